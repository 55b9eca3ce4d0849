"""What the commands' summaries share: counted nouns, and how many items a summary lists."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from xlcrm.checks.findings import Finding

# A summary lists this many merges, pairs or records; --verbose and --json have them all.
SHOWN_ITEMS = 20
ALL_ITEMS = sys.maxsize  # the limit of --verbose: every item


def count(number: int, noun: str, *, grouped: bool = True) -> str:
    """``1 pair``, ``2 pairs``, ``1,250 pairs``: the number (thousands separated by commas unless not
    ``grouped``) and the noun, with an s unless the number is 1."""
    return (f"{number:,}" if grouped else f"{number}") + f" {noun}" + ("" if number == 1 else "s")


def unknown_decision_lines(findings: Sequence[Finding]) -> list[str]:
    """One line per Decision xlcrm did not understand: its cell, what was typed and what xlcrm did instead."""
    return [
        f"Warning: {finding.cell} {json.dumps(finding.value, ensure_ascii=False)}: {finding.message}"
        for finding in findings
    ]
