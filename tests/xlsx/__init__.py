"""Tests of xlcrm.xlsx."""
