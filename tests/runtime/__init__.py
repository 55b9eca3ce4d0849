"""Tests of xlcrm.runtime."""
