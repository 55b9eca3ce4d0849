"""Tests of xlcrm.lifecycle."""
