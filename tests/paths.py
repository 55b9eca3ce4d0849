"""Where the tests find the repository, its files and their own data, whichever folder a test file is in."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
DATA = TESTS / "data"  # the committed fixture workbooks (see tests/data/make_fixtures.py and data/foreign)
EXAMPLE = REPO / "examples" / "demo.xlsx"
README = REPO / "README.md"
