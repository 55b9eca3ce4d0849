"""What the commands' summaries share: counted nouns, and how many items a summary lists."""

from __future__ import annotations

import sys

# A summary lists this many merges, pairs or records; --verbose and --json have them all.
SHOWN_ITEMS = 20
ALL_ITEMS = sys.maxsize  # the limit of --verbose: every item


def count(number: int, noun: str, *, grouped: bool = True) -> str:
    """``1 pair``, ``2 pairs``, ``1,250 pairs``: the number (thousands separated by commas unless not
    ``grouped``) and the noun, with an s unless the number is 1."""
    return (f"{number:,}" if grouped else f"{number}") + f" {noun}" + ("" if number == 1 else "s")
