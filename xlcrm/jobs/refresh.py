"""Refresh: the daily job. Read the workbook once, compute everything, save it once.

Blank ClientIDs filled → dedupe → validate → lifecycle → reports → one safe save. The rows of Clients with a
Name or Company but no ClientID get the next free ones first (see :mod:`xlcrm.checks.client_ids`), so a client
typed in by hand is found, merged (as a client without an ID), validated and counted like any other. Dedupe
runs as ``xlcrm dedupe`` would (certain duplicates merged, the Decision column of ``▸ Duplicates`` applied,
kept-apart pairs remembered), and every later
stage sees the base as it will be saved: merged rows gone, their interactions and
contacts re-pointed to the survivor, the survivor's blanks filled, rows
numbered as they will be. Validation comes after dedupe for that reason: the
Problems sheet then names the cells of the saved workbook. The report
sheets (Dashboard, Agenda, Managers, Services, ABC, Problems, Block history, Changes,
and Duplicates / Merge log when dedupe has something to show) are rebuilt from
scratch each time. The user sheets are compared with the version xlcrm saved last while the refresh reads and
plans (:mod:`xlcrm.jobs.changes`): ▸ Changes lists what people added, changed and deleted since, and too many
deleted rows stop the refresh before it writes anything. On the user's sheets only the merges and the computed
columns of Clients (``▸ Block``, ``▸ Orders`` … right of the user's columns)
and the ClientIDs given to rows that had none are written; every other cell stays as it was. A workbook made by
an older xlcrm gets the template's highlight of open plans on Interactions in place of its old one, once (see
:mod:`xlcrm.create.highlights`). Cell-level
problems do not stop a refresh: they are listed on the Problems sheet, and
the result says how many errors remain (with ``--strict`` the CLI then exits 1).
A workbook whose sheets or headers xlcrm cannot read is refused and left as it
was. ``dry_run`` computes everything and writes nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xlcrm import schema
from xlcrm.checks.changes import ChangeLog, SheetFingerprint
from xlcrm.checks.client_ids import AssignedId, fill_blank_client_ids
from xlcrm.checks.findings import Finding
from xlcrm.create.formulas import missing_formulas
from xlcrm.create.highlights import plan_highlight_upgrade
from xlcrm.dedupe.merge import apply_plan, load_plan, needs_duplicate_sheets, unknown_decisions, why_merged
from xlcrm.dedupe.merge_log import LOG_ADDED_COLUMNS, MergeLog
from xlcrm.dedupe.plan import DedupePlan
from xlcrm.files.safe_save import SaveOptions, SaveResult, holding_workbook_lock
from xlcrm.files.save import save_changes
from xlcrm.jobs.as_saved import as_saved, deleted_rows
from xlcrm.jobs.changes import begin_change_check
from xlcrm.jobs.opening import open_to_change
from xlcrm.lifecycle.analysis import analyse
from xlcrm.lifecycle.computed import computed_cells, missing_computed_columns
from xlcrm.lifecycle.history import read_history
from xlcrm.lifecycle.payments import DebtTotals
from xlcrm.lifecycle.segments import segments_of
from xlcrm.messages import Text, t
from xlcrm.messages.as_json import JsonFields
from xlcrm.reports.agenda import build_agenda
from xlcrm.reports.changes import changes_sheet
from xlcrm.reports.sheets import Migration, RefreshReports, build_reports
from xlcrm.xlsx.package import first_free_column
from xlcrm.xlsx.prerender import EditPrewriting, helper_process
from xlcrm.xlsx.reader import (
    WorkbookData,
    finish_reading,
    is_big_workbook,
    read_workbook,
    require_distinct_headers,
    require_room_right,
)
from xlcrm.xlsx.report_sheet import CellValue, ReportSheet
from xlcrm.xlsx.sheet_edits import RowMap, SheetEdit, combine_edits


@dataclass(frozen=True)
class MergeSummary(JsonFields):
    """One merge of the dedupe step, as the terminal and --json show it."""

    survivor: str  # ClientID kept
    merged: tuple[str, ...]  # ClientIDs merged into it ("row N" for a row without one)
    reason: Text  # why: the first pair's reasons, or the user's Decision


@dataclass(frozen=True)
class RefreshResult:
    """What ``refresh_workbook`` did: the clients per block, the merges, the sheets and columns written, the errors
    left."""

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
    merged_clients: int  # Clients rows merged into their survivors (listed on the Merge log)
    merges: tuple[MergeSummary, ...]
    review_pairs: int  # probable duplicate pairs waiting for a Decision on the Duplicates sheet
    save: SaveResult | None  # None on a dry run
    # Decisions typed on the Duplicates sheet that xlcrm did not understand: kept as typed, listed on Problems.
    unknown_decisions: tuple[Finding, ...] = ()
    assigned_ids: tuple[AssignedId, ...] = ()  # ClientIDs given to Clients rows that had none, rows as saved
    filled_formulas: int = 0  # Interactions rows whose empty Client cell got its formula
    # The old highlight of Next dates on Interactions (every past date red) was upgraded to the template's (only
    # open plans), see xlcrm.create.highlights.
    highlights_upgraded: bool = False
    # What people changed on the user sheets since xlcrm last saved the workbook (listed on ▸ Changes).
    changes: ChangeLog | None = None
    debts: DebtTotals | None = None  # None when the workbook records no payments

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
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
            "merged_clients": self.merged_clients,
            "merges": [merge.to_dict() for merge in self.merges],
            "review_pairs": self.review_pairs,
            "unknown_decisions": [finding.to_dict() for finding in self.unknown_decisions],
            "assigned_ids": [assigned.to_dict() for assigned in self.assigned_ids],
            "filled_formulas": self.filled_formulas,
            "highlights_upgraded": self.highlights_upgraded,
            "changes": self.changes.to_dict() if self.changes else None,
            "debts": self.debts.to_dict() if self.debts else None,
            "save": self.save.to_dict() if self.save else None,
        }


def refresh_workbook(
    path: str | Path,
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    save: SaveOptions = SaveOptions(),
    password: str | None = None,
    accept_deletions: bool = False,
) -> RefreshResult:
    """Merge duplicates, recompute the lifecycle columns and rebuild every report sheet of the workbook at ``path``
    for ``today`` (default: the real date), in one read and one save; returns what was done (nothing is written
    with ``dry_run``). ``password`` opens a password-protected workbook, which is saved back protected.

    Raises ``DeletionsFound`` (nothing written) when rows were deleted since xlcrm last saved the workbook, more
    than the Setting ``deletion_stop_percent`` allows, unless ``accept_deletions`` (see ``xlcrm.jobs.changes``).
    """
    return open_to_change(
        path,
        password,
        save,
        functools.partial(_refresh, today=today or dt.date.today(), dry_run=dry_run, accept_deletions=accept_deletions),
        dry_run=dry_run,
    )


@dataclass(frozen=True)
class _Refreshed:
    """What a refresh writes, and what it tells once the save is done."""

    read: WorkbookData  # the workbook as read, without its sheets' values: what the save checks the file against
    reports: list[ReportSheet]
    edits: list[SheetEdit]
    prewritten: EditPrewriting | None
    fingerprints: dict[str, SheetFingerprint]  # of the user sheets as read, for the saved copy (none in a dry run)
    result: RefreshResult  # with no save yet


@holding_workbook_lock("path")
def _refresh(path: Path, save: SaveOptions, *, today: dt.date, dry_run: bool, accept_deletions: bool) -> RefreshResult:
    with contextlib.ExitStack() as cleanup:
        # Worked out by a function of its own: the sheets as read, their frames and everything the reports were
        # computed from are freed when it returns, so the save, the run's peak of memory, does not hold them too.
        refreshed = _work_out(path, cleanup, today=today, dry_run=dry_run, accept_deletions=accept_deletions)
        if dry_run:
            return dataclasses.replace(refreshed.result, path=save.output or path)
        saved = save_changes(
            refreshed.read,
            reports=refreshed.reports,
            edits=refreshed.edits,
            save=save,
            prewritten=refreshed.prewritten,
            fingerprints=refreshed.fingerprints,
        )
    return dataclasses.replace(refreshed.result, path=saved.path, save=saved)


def _work_out(
    path: Path, cleanup: contextlib.ExitStack, *, today: dt.date, dry_run: bool, accept_deletions: bool
) -> _Refreshed:
    """The refresh of the workbook at ``path`` up to its save; the helper processes of a big workbook are left to
    ``cleanup``."""
    data = read_workbook(path)
    # A big workbook's merges are written in a helper process (xlcrm.xlsx.prerender).
    helped = not dry_run and is_big_workbook(path)
    history = read_history(data.report_rows.get(schema.BLOCK_HISTORY.key, []))
    # The copy of the last save is read while a big workbook's Interactions still is; what changed on that sheet is
    # told once it is read, and rows people deleted by mistake stop the refresh before anything is written.
    change_check = begin_change_check(data)
    # Every later stage works on the base with its blank ClientIDs filled: the dedupe plan finds a client typed
    # in by hand by its new ID, and it gets its block and counts like any other. ``data`` stays as read.
    filled = fill_blank_client_ids(data)
    work = filled.data
    # The Block history's rows, a row per block change ever recorded, were read for the history and the IDs in
    # use: they go before the plan waits for Interactions, when a big workbook's reading needs the most memory.
    data.report_rows.pop(schema.BLOCK_HISTORY.key, None)
    # When the rows of Interactions were not only added, the copy's is read during the dedupe plan.
    change_check.settle()
    plan, merge_log = load_plan(work, filled.new_rows) if _can_dedupe(work) else (None, None)
    require_distinct_headers(data)  # after the plan, which waits for the sheets still being read anyway
    if (clients_read := data.sheet(schema.CLIENTS.key)) is not None:
        require_room_right(
            clients_read,
            max(len(schema.CLIENT_COMPUTED_COLUMNS), LOG_ADDED_COLUMNS),
            t("its computed columns and the Merge log's copies of its rows"),
        )
    # Rows typed in LibreOffice or imported below the table lack the Client column's formula (Excel copies it).
    formulas = missing_formulas(work)
    # A workbook made by an older xlcrm paints every past Next date red: its two rules get the template's.
    highlights = plan_highlight_upgrade(data)
    dedupe_edits, dedupe_sheets = _dedupe(work, plan, merge_log)
    del merge_log  # its rows are on the Merge log sheet now, with the merges just made
    change_log = change_check.finish(accept_deletions=accept_deletions)
    # The edits of sheets other than Clients (merges re-pointing rows, the Client formulas) are final now: a big
    # workbook's are written meanwhile, combined one per sheet as the save combines them.
    clients_name = data.sheets[schema.CLIENTS.key].name
    final = combine_edits(
        [edit for edit in dedupe_edits if edit.sheet != clients_name]
        + ([formulas] if formulas else [])
        + ([highlights] if highlights else [])
    )
    prewritten: EditPrewriting | None = cleanup.enter_context(EditPrewriting(path)) if helped else None
    if final and prewritten is not None:
        prewritten.add(final, helper_process(), [edit.sheet for edit in dedupe_edits if edit.delete_rows])
    # The row hashes kept for the next run come from the sheets as read: made before the analysis, whose frames
    # would otherwise be held alongside the hashing's work arrays, the refresh's peak of memory.
    fingerprints = {} if dry_run else change_check.fingerprints()
    # Validation, lifecycle and reports see the base as it will be saved, rows numbered as they will be, so
    # the Problems sheet points at the right cells; the computed cells go back to the numbers as read, which
    # is what every edit of one save uses (write_workbook renumbers once, after the merges' deletions).
    deleted = deleted_rows(dedupe_edits)
    merged = as_saved(work, dedupe_edits, deleted)
    analysis = analyse(merged, today)
    frames, lifecycle, report = analysis.frames, analysis.lifecycle, analysis.report
    segments = segments_of(analysis.data, lifecycle)
    clients = merged.sheet(schema.CLIENTS.key)
    assert clients is not None  # analyse refuses a workbook without a readable Clients sheet
    # A Decision xlcrm did not understand is listed on Problems at the cell it is written back into.
    decisions = unknown_decisions(dedupe_sheets, data.locale)
    merged_into = plan.merged_into() if plan else {}
    assigned_ids = filled.as_read(merged_into) if dry_run else filled.as_saved(dedupe_edits, merged_into)
    merges, merged_clients = _merge_summaries(plan), plan.merged_rows if plan else 0
    review_pairs = len(plan.review) if plan else 0
    new_ids = filled.edits_beside(dedupe_edits)
    # The save reads only the file's name, sheet names and stamp of the workbook as read; every sheet is read by now.
    finish_reading(data)
    read = dataclasses.replace(data, sheets={}, report_rows={})
    # What was read is in the frames now: the sheets as read (a million Interactions rows of Python values) go
    # before the reports are built, which with the save need the most memory.
    del data, work, filled, plan, merged, analysis, clients_read, change_check

    # New computed columns go right of everything on the sheet, a column of formulas whose results read blank too.
    first_free = first_free_column(path, clients.name, clients.width) if missing_computed_columns(clients) else None
    computed = computed_cells(clients, frames, lifecycle, first_free)
    columns = _as_read(computed.columns, deleted.get(clients.name.casefold(), RowMap()))
    edit = SheetEdit(
        computed.sheet,
        set_columns=columns,
        computed_header=computed.letters,
        column_widths=computed.widths,
        number_formats=computed.number_formats,
        data_column=clients.letters.get("client_id"),
    )
    # Clients' edit is final now: a big workbook's is written meanwhile, with the styles of the reports, which the
    # save adds first.
    clients_edits = combine_edits(
        [*new_ids, *(merge_edit for merge_edit in dedupe_edits if merge_edit.sheet == clients_name), edit]
    )
    if prewritten is not None:
        prewritten.add(clients_edits, helper_process(), report_styles=True)
    edits = [*clients_edits, *final]

    findings = report.findings + decisions
    agenda = build_agenda(frames, lifecycle)
    reports: RefreshReports = build_reports(frames, lifecycle, agenda, findings, history, segments)
    sheets = [*reports.sheets, changes_sheet(change_log, read.locale), *dedupe_sheets]

    existing = {schema.fold(name) for name in read.sheet_names}
    names = [sheet.name for sheet in sheets]
    tally = lifecycle.clients["block"].value_counts()
    result = RefreshResult(
        path=path,
        locale=read.locale,
        today=today,
        dry_run=dry_run,
        blocks={b.number: int(tally.get(b.number, 0)) for b in reversed(schema.BLOCKS)},
        migration=reports.migration,
        errors=len(report.errors),
        warnings=len(report.warnings) + len(decisions),
        added_sheets=tuple(n for n in names if schema.fold(n) not in existing),
        replaced_sheets=tuple(n for n in names if schema.fold(n) in existing),
        added_columns=computed.added,
        merged_clients=merged_clients,
        merges=merges,
        review_pairs=review_pairs,
        save=None,
        unknown_decisions=tuple(decisions),
        assigned_ids=assigned_ids,
        filled_formulas=len(formulas.set_cells) if formulas else 0,
        highlights_upgraded=highlights is not None,
        changes=change_log,
        debts=lifecycle.receivables.totals(),
    )
    return _Refreshed(read, sheets, edits, prewritten, fingerprints, result)


def _can_dedupe(data: WorkbookData) -> bool:
    """Whether Clients can be deduplicated; when not, validation refuses the workbook with the reason."""
    clients = data.sheet(schema.CLIENTS.key)
    return clients is not None and not data.misplaced_header(schema.CLIENTS.key) and clients.has("client_id")


def _dedupe(
    data: WorkbookData, plan: DedupePlan | None, log: MergeLog | None
) -> tuple[list[SheetEdit], list[ReportSheet]]:
    """The merges' edits and the Duplicates / Merge log sheets of ``plan`` and the Merge log it was made with.

    As with ``xlcrm dedupe``, a base with nothing to review and no Duplicates sheet yet does not get one.
    """
    if plan is None or log is None:
        return [], []
    edits, sheets = apply_plan(plan, log)
    return edits, sheets if needs_duplicate_sheets(plan, edits, data.sheet_names) else []


def _merge_summaries(plan: DedupePlan | None) -> tuple[MergeSummary, ...]:
    if plan is None:
        return ()
    records = plan.records
    return tuple(
        MergeSummary(
            records[group.survivor].client_id,
            tuple(records[row].client_id or f"row {row}" for row in group.merged),
            why_merged(plan, group),
        )
        for group in plan.groups
    )


def _as_read(columns: dict[str, dict[int, CellValue]], rows: RowMap) -> dict[str, dict[int, CellValue]]:
    """Cells given by their row numbers once saved, under the numbers of the workbook as read."""
    if not rows:
        return columns
    return {
        letter: dict(zip(rows.as_read(np.fromiter(cells, dtype=np.int64, count=len(cells))).tolist(), cells.values()))
        for letter, cells in columns.items()
    }
