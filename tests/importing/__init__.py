"""Tests of xlcrm.importing."""
