"""Tests of xlcrm.dedupe."""
