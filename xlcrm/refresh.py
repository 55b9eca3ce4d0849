"""Refresh: the daily job. Read the workbook once, compute everything, save it once.

validate → (dedupe) → lifecycle → reports → one safe save. The report sheets
(Dashboard, Agenda, Managers, Services, ABC, Problems, Block history) are
rebuilt from scratch each time. On the user's sheets only the computed columns
of Clients (``▸ Block``, ``▸ Orders`` … right of the user's columns) are
written; every other cell stays as it was. Cell-level
problems do not stop a refresh: they are listed on the Problems sheet, and
the result says how many errors remain (the CLI exits 1 while there are any).
A workbook whose sheets or headers xlcrm cannot read is refused and left as it
was. ``dry_run`` computes everything and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlcrm import schema
from xlcrm.agenda import build_agenda
from xlcrm.analysis import analyse
from xlcrm.computed import computed_cells
from xlcrm.history import read_history
from xlcrm.reports import Migration, RefreshReports, build_reports
from xlcrm.safe_save import DEFAULT_KEEP_BACKUPS, SaveResult
from xlcrm.save import save_changes
from xlcrm.sheet_edits import SheetEdit
from xlcrm.workbook import read_workbook


@dataclass(frozen=True)
class RefreshResult:
    path: Path  # the workbook refreshed (the output file when one was given)
    locale: str
    today: dt.date
    dry_run: bool
    blocks: dict[int, int]  # block number -> clients
    migration: Migration
    errors: int  # cell errors left in the workbook, listed on the Problems sheet
    warnings: int
    added_sheets: tuple[str, ...]  # report sheets the workbook did not have yet
    replaced_sheets: tuple[str, ...]
    added_columns: tuple[str, ...]  # computed columns new on Clients
    save: SaveResult | None  # None on a dry run

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "locale": self.locale,
            "today": self.today.isoformat(),
            "dry_run": self.dry_run,
            "blocks": {schema.block(n).key: count for n, count in self.blocks.items()},
            "previous_refresh": self.migration.previous.isoformat() if self.migration.previous else None,
            "moved": self.migration.moved if self.migration.previous else None,
            "errors": self.errors,
            "warnings": self.warnings,
            "added_sheets": list(self.added_sheets),
            "replaced_sheets": list(self.replaced_sheets),
            "added_columns": list(self.added_columns),
            "save": self.save.to_dict() if self.save else None,
        }


def refresh_workbook(path: str | Path, *, today: dt.date | None = None, dry_run: bool = False,
                     output: Path | None = None, ignore_lock: bool = False,
                     keep_backups: int = DEFAULT_KEEP_BACKUPS) -> RefreshResult:
    """Rebuild every report sheet of the workbook at ``path`` for ``today`` (default: the real date)."""
    path = Path(path)
    today = today or dt.date.today()
    data = read_workbook(path)
    analysis = analyse(data, today)
    # Dedupe plugs in here: plan = merge.load_plan(data), then merge.apply_plan(plan) gives sheet edits and the
    # Duplicates / Merge log sheets. The lifecycle must then see the merged clients (merged rows gone, their
    # interactions re-pointed); dedupe's edits and sheets then go into the one save_changes call below with
    # these (edits of one sheet combine), and no computed cell is written on a merged row.
    history = read_history(data.report_rows.get(schema.BLOCK_HISTORY.key, []))
    agenda = build_agenda(analysis.frames, analysis.lifecycle)
    reports: RefreshReports = build_reports(analysis.frames, analysis.lifecycle, agenda, analysis.report.findings,
                                            history)

    clients = data.sheet(schema.CLIENTS.key)
    assert clients is not None  # analyse refuses a workbook without a readable Clients sheet
    computed = computed_cells(clients, analysis.frames, analysis.lifecycle)
    edit = SheetEdit(computed.sheet, set_cells=computed.cells, computed_header=computed.letters)

    existing = {schema.fold(name) for name in data.sheet_names}
    names = [sheet.name for sheet in reports.sheets]
    save = None
    if not dry_run:
        save = save_changes(data, reports=reports.sheets, edits=[edit], output=output, ignore_lock=ignore_lock,
                            keep_backups=keep_backups)
    tally = analysis.lifecycle.clients["block"].value_counts()
    return RefreshResult(
        path=save.path if save else (output or path), locale=data.locale, today=today, dry_run=dry_run,
        blocks={b.number: int(tally.get(b.number, 0)) for b in reversed(schema.BLOCKS)},
        migration=reports.migration,
        errors=len(analysis.report.errors), warnings=len(analysis.report.warnings),
        added_sheets=tuple(n for n in names if schema.fold(n) not in existing),
        replaced_sheets=tuple(n for n in names if schema.fold(n) in existing),
        added_columns=computed.added,
        save=save,
    )


def format_result(result: RefreshResult) -> str:
    """A few lines for the terminal: blocks, movement, sheets, problems; names in the workbook's language."""
    locale = result.locale
    verb = "Would refresh" if result.dry_run else "Refreshed"
    lines = [f"{verb} {result.path} for {result.today:%d.%m.%Y}"]
    lines.append("Blocks: " + ", ".join(f"{schema.block(n).label(locale)} {count}"
                                        for n, count in result.blocks.items()))
    if result.migration.previous:
        lines.append(f"Since the refresh of {result.migration.previous:%d.%m.%Y}: "
                     f"{result.migration.moved} client{'' if result.migration.moved == 1 else 's'} changed block")
    else:
        lines.append("First refresh: block movement will show from the next one")
    if result.added_sheets:
        lines.append(("Would add " if result.dry_run else "Added ") + ", ".join(result.added_sheets))
    if result.replaced_sheets:
        lines.append(("Would rebuild " if result.dry_run else "Rebuilt ") + ", ".join(result.replaced_sheets))
    if result.added_columns:
        clients = schema.CLIENTS.name(locale)
        lines.append(("Would add " if result.dry_run else "Added ") + f"columns to {clients}: "
                     + ", ".join(result.added_columns))
    problems = schema.PROBLEMS.name(locale)
    lines.append(f"{result.errors} errors and {result.warnings} warnings, listed on {problems}")
    if result.save and result.save.backup:
        lines.append(f"Previous version kept as {result.save.backup}")
    if result.save:
        lines.extend(f"Warning: {warning}" for warning in result.save.warnings)
    return "\n".join(lines)
