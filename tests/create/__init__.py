"""Tests of xlcrm.create."""
