"""Tests of xlcrm.export."""
