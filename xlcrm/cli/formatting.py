"""What the commands' summaries share: how many items a summary lists, the lines of the ClientIDs assigned and the
Decisions not understood, the save. Every text is a catalogue message, rendered (``str``) in the language the command
speaks (:func:`xlcrm.messages.speaking`, set by :func:`xlcrm.cli.options.show`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from xlcrm.checks.findings import Finding
from xlcrm.messages import t, tn

if TYPE_CHECKING:  # every command's summary imports this module: the writing machinery loads only where needed
    from xlcrm.checks.client_ids import AssignedId
    from xlcrm.files.safe_save import SaveResult

# A summary lists this many merges, pairs or records; --verbose and --json have them all.
SHOWN_ITEMS = 20
ALL_ITEMS = sys.maxsize  # the limit of --verbose: every item


def unknown_decision_lines(findings: Sequence[Finding]) -> list[str]:
    """One line per Decision xlcrm did not understand: its cell, what was typed and what xlcrm did instead."""
    return [
        str(
            t(
                "Warning: {cell} {value}: {message}",
                cell=finding.cell,
                value=json.dumps(finding.value, ensure_ascii=False),
                message=finding.message,
            )
        )
        for finding in findings
    ]


def assigned_id_lines(assigned: Sequence[AssignedId], *, dry_run: bool, shown: int = SHOWN_ITEMS) -> list[str]:
    """What a saving command says of the ClientIDs it gave rows of Clients that had none: one line for one, else a
    heading and up to ``shown`` of them (``--verbose`` and ``--json`` have them all); nothing when it gave none."""
    if not assigned:
        return []
    sheet = assigned[0].sheet
    if len(assigned) == 1:
        item = assigned[0].text(with_sheet=True)
        return [
            str(t("Would assign ClientID {item}", item=item) if dry_run else t("Assigned ClientID {item}", item=item))
        ]
    rows = tn("{count} row", "{count} rows", len(assigned))
    if dry_run:
        heading = t("Would assign ClientIDs to {rows} of {sheet} that had none:", rows=rows, sheet=sheet)
    else:
        heading = t("Assigned ClientIDs to {rows} of {sheet} that had none:", rows=rows, sheet=sheet)
    lines = [str(heading)]
    lines += [f"  {item.text()}" for item in assigned[:shown]]
    if len(assigned) > shown:
        lines.append(more_line(len(assigned) - shown))
    return lines


def more_line(more: int) -> str:
    """The line after the items a summary lists, saying how many more there are and where to see them."""
    return "  " + str(t("… and {more} more (see --verbose or --json)", more=more))


def saved_lines(save: SaveResult) -> list[str]:
    """``Saved PATH`` (and where the previous version is kept), then a ``Warning:`` line per warning of the save."""
    if save.backup:
        saved = t("Saved {path}; previous version kept as {backup}", path=save.path, backup=save.backup)
    else:
        saved = t("Saved {path}", path=save.path)
    return [str(saved), *warning_lines(save.warnings)]


def warning_lines(warnings: Sequence[object]) -> list[str]:
    """A ``Warning:`` line per warning (of a save)."""
    return [str(t("Warning: {warning}", warning=warning)) for warning in warnings]
