"""Tests of xlcrm.checks."""
