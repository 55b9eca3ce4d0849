"""Tests of xlcrm.files."""
