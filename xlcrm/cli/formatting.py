"""What the commands' summaries share: counted nouns, how many items a summary lists, the ClientIDs assigned."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from xlcrm.checks.findings import Finding

if TYPE_CHECKING:  # every command's summary imports this module: the writing machinery loads only where needed
    from xlcrm.checks.client_ids import AssignedId

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


def assigned_id_lines(assigned: Sequence[AssignedId], *, dry_run: bool, shown: int = SHOWN_ITEMS) -> list[str]:
    """What a saving command says of the ClientIDs it gave rows of Clients that had none: one line for one, else a
    heading and up to ``shown`` of them (``--verbose`` and ``--json`` have them all); nothing when it gave none."""
    if not assigned:
        return []
    verb, sheet = ("Would assign" if dry_run else "Assigned"), assigned[0].sheet
    if len(assigned) == 1:
        return [f"{verb} ClientID {assigned[0].text(with_sheet=True)}"]
    lines = [f"{verb} ClientIDs to {count(len(assigned), 'row')} of {sheet} that had none:"]
    lines += [f"  {item.text()}" for item in assigned[:shown]]
    if len(assigned) > shown:
        lines.append(f"  … and {len(assigned) - shown} more (see --verbose or --json)")
    return lines
