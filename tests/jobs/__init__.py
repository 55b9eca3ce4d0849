"""Tests of xlcrm.jobs."""
