"""Tests of xlcrm.reports."""
