"""Tests of xlcrm.cli."""
