"""Merging duplicate clients into the workbook, logging every merge, and undoing one.

A :class:`~xlcrm.dedupe.plan.MergeGroup` becomes a :class:`MergeAction`: the
survivor (the oldest client with a ClientID) keeps its row and ID; its blank
cells are filled from the others; phones and emails it lacks are appended;
a different comment is appended; any other value that differs stays as the
survivor had it (the others' rows are in the Merge log). The merged rows are
deleted, and the Contacts, Interactions and Contracts rows pointing at a
merged ClientID are re-pointed to the survivor. Undoing a merge inserts its
rows back where they were, so what follows rows (links, notes, merged cells,
formats, formulas) follows the rows below back down, as it followed them up.

``apply_plan`` turns a plan into sheet edits and report sheets, so ``refresh``
can fold dedupe into its own single read and save; ``dedupe_changes`` and
``unmerge_changes`` work out what the dedupe and unmerge commands save.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from xlcrm import schema
from xlcrm.checks.findings import Finding
from xlcrm.checks.normalize import as_text, is_blank, split_phone_cell
from xlcrm.checks.settings import read_settings
from xlcrm.dedupe.keys import email_keys, phone_keys
from xlcrm.dedupe.merge_log import (
    LOG_ADDED_COLUMNS,
    LogEntry,
    MergeLog,
    column_positions,
    duplicates_sheet,
    merge_log_sheet,
    merged_pairs,
    plan_content,
    read_decisions,
    read_duplicates,
    read_merge_log,
    report_rows,
    sheet_rows,
    unknown_decision_findings,
)
from xlcrm.dedupe.plan import DedupePlan, MergeGroup, joined, plan_dedupe
from xlcrm.errors import MergeNotFound, MergeNotUndoable, WorkbookStructureError
from xlcrm.messages import Message, Number, Text, t
from xlcrm.xlsx.package import row_extras
from xlcrm.xlsx.reader import (
    SheetData,
    WorkbookData,
    require_distinct_headers,
    require_headers_on_row_one,
    require_room_right,
)
from xlcrm.xlsx.refs import column_index, column_letter
from xlcrm.xlsx.report_sheet import MAX_CELL_TEXT, CellValue, Formula, ReportSheet
from xlcrm.xlsx.sheet_edits import FormulaBlocked, RowMap, SheetEdit, remap_formula

# Columns merged by appending what the survivor lacks, and how the parts are joined.
PHONE_JOINER = ", "
EMAIL_JOINER = ", "
COMMENT_JOINER = "; "
# Never changed on the survivor: its identity and age.
_KEPT_AS_IS = frozenset({"client_id", "created"})


@dataclass(frozen=True)
class MergeAction:
    """One merge as it will be written."""

    merge_id: str
    group: MergeGroup
    survivor_id: str
    merged_ids: tuple[str, ...]  # ClientIDs of the merged rows (blank ones left out)
    changes: dict[str, CellValue]  # column key -> new value on the survivor's row
    repointed: dict[str, tuple[int, ...]]  # schema sheet key -> rows whose ClientID becomes the survivor's
    # Column keys whose merged text would pass Excel's limit for one cell: the survivor's cell is left whole.
    left_whole: tuple[str, ...] = ()
    # Column keys whose survivor's cell holds a formula, which a merge never writes over (its result may look blank).
    kept_formulas: tuple[str, ...] = ()
    # The user's own columns (header as typed -> value) the survivor had blank, filled from a merged row.
    own_changes: dict[str, CellValue] = field(default_factory=dict)

    def to_dict(self, plan: DedupePlan) -> dict[str, Any]:
        """The merge as ``--json`` prints it: values ready for JSON but the reasons (``why_merged`` and each pair's
        ``reason`` and weighed evidence, see :meth:`Match.explained`), messages the result renders in the language of
        the run when it is shown."""
        records = plan.records
        return {
            "merge_id": self.merge_id,
            "survivor": {
                "row": self.group.survivor,
                "client_id": self.survivor_id,
                "name": records[self.group.survivor].shown_name,
                "company": records[self.group.survivor].shown_company,
            },
            "merged": [
                {
                    "row": row,
                    "client_id": records[row].client_id,
                    "name": records[row].shown_name,
                    "company": records[row].shown_company,
                }
                for row in self.group.merged
            ],
            "decided_by_user": self.group.decided,
            "why_merged": why_merged(plan, self.group),
            "reasons": [{"rows": list(m.rows), **m.explained()} for m in self.group.matches],
            "changes": {key: _jsonable(value) for key, value in self.changes.items()},
            "own_changes": {header: _jsonable(value) for header, value in self.own_changes.items()},
            "repointed": {key: len(rows) for key, rows in self.repointed.items()},
            "left_whole": list(self.left_whole),
            "kept_formulas": list(self.kept_formulas),
        }

    def left_whole_note(self, clients: SheetData, locale: str) -> Message | None:
        """What a user is told when some merged text was not appended to the survivor's cell, or None (columns
        named as the workbook in ``locale`` names them)."""
        if not self.left_whole:
            return None
        return t(
            "{merge_id}: {columns} of {merged} not appended to {survivor}'s: together longer than Excel's limit of "
            "{limit} characters for one cell; {survivor} keeps its own, the merged values are kept whole in the "
            "Merge log",
            merge_id=self.merge_id,
            columns=and_joined([clients.spec.column(key).name(locale) for key in self.left_whole]),
            merged=", ".join(self.merged_ids) or t("the merged rows"),
            survivor=self.survivor_id,
            limit=Number(MAX_CELL_TEXT),
        )

    def kept_formulas_note(self, clients: SheetData, locale: str) -> Message | None:
        """What a user is told when a survivor's cells that hold formulas were left as they are although the merged
        rows had values for them, or None (columns named as the workbook in ``locale`` names them)."""
        if not self.kept_formulas:
            return None
        return t(
            "{merge_id}: {columns} of {survivor} hold formulas, kept as they are; the values of {merged} there are "
            "kept in the Merge log",
            merge_id=self.merge_id,
            columns=and_joined([clients.spec.column(key).name(locale) for key in self.kept_formulas]),
            survivor=self.survivor_id,
            merged=", ".join(self.merged_ids) or t("the merged rows"),
        )


def and_joined(names: Sequence[str]) -> Text:
    """``Phone and Email``, «Телефон и E-mail»: names joined by the language's "and"."""
    if len(names) <= 1:
        return "".join(names)
    return t("{names} and {name}", names=and_joined(names[:-1]), name=names[-1])


def why_merged(plan: DedupePlan, group: MergeGroup) -> Text:
    """Why a group of clients is merged, as the commands print it and the Merge log keeps it: the reasons of the
    pairs that joined it, or that the user chose merge in Decision (with the pair's reasons, if it had any), on the
    Duplicates sheet as the workbook names it."""
    reasons = joined([match.reason for match in group.matches], " | ")
    if not group.decided:
        return reasons
    duplicates = schema.DUPLICATES.name(plan.data.locale)
    if reasons:
        return t("you chose merge in Decision on {duplicates} ({reasons})", duplicates=duplicates, reasons=reasons)
    return t("you chose merge in Decision on {duplicates}", duplicates=duplicates)


def _jsonable(value: object) -> object:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


# --- field merge ------------------------------------------------------------------------------------


def merged_values(
    frame_rows: Sequence[Mapping[str, object]], region: str, left_whole: list[str] | None = None
) -> dict[str, CellValue]:
    """New values of the survivor (first of ``frame_rows``, the others oldest first): only what changes.

    A phone, email or comment cell whose appended text would be longer than Excel's limit for one cell is left
    as the survivor has it (Excel would cut the text; the others' values stay whole in the Merge log), and its
    column key is added to ``left_whole``.
    """
    survivor, others = frame_rows[0], frame_rows[1:]
    changes: dict[str, CellValue] = {}
    for key in survivor:
        if key in _KEPT_AS_IS:
            continue
        current = survivor[key]
        if key == "phone":
            value = _append_new(current, others, key, split_phone_cell, lambda v: phone_keys(v, region), PHONE_JOINER)
        elif key == "email":
            value = _append_new(current, others, key, _email_parts, email_keys, EMAIL_JOINER)
        elif key == "comment":
            value = _append_new(
                current, others, key, lambda v: [as_text(v)], lambda v: {schema.fold(v)}, COMMENT_JOINER
            )
        elif is_blank(current):
            value = next((other[key] for other in others if not is_blank(other.get(key))), None)
        else:
            continue
        if isinstance(value, str) and len(value) > MAX_CELL_TEXT and value != current:
            if left_whole is not None:
                left_whole.append(key)
            continue
        if value is not None and value != current:
            changes[key] = value  # type: ignore[assignment]  # a cell's value, or texts joined
    return changes


def _email_parts(value: object) -> list[str]:
    return [part for part in as_text(value).replace(";", ",").split(",") if part.strip()]


def _append_new(
    current: object,
    others: Sequence[Mapping[str, object]],
    key: str,
    parts: Callable[[object], list[str]],
    keys: Callable[[object], Iterable[str]],
    joiner: str,
) -> object:
    """``current`` with every part of the others' cells whose key it does not have yet appended, as typed."""
    seen = set(keys(current)) if not is_blank(current) else set()
    texts = [as_text(current)] if not is_blank(current) else []
    for other in others:
        value = other.get(key)
        if is_blank(value):
            continue
        for part in parts(value):
            part_keys = set(keys(part)) or {schema.fold(part)}
            if not part_keys & seen:
                texts.append(part.strip())
                seen |= part_keys
    if not texts:
        return None
    if len(texts) == 1 and not is_blank(current):
        return current  # unchanged, as typed (a number stays a number)
    return joiner.join(texts)


def _text(value: object) -> str:
    """``as_text`` with a shortcut for the common case: text, already trimmed by the reader."""
    return value if type(value) is str else as_text(value)


def plan_actions(plan: DedupePlan, log: MergeLog, formula_cells: Collection[tuple[int, int]] = ()) -> list[MergeAction]:
    """One action per group, with Merge IDs following those already in ``log``; a survivor's cell among
    ``formula_cells`` (row, column index) holds a formula and is left as it is."""
    data = plan.data
    clients = data.sheets.get(schema.CLIENTS.key)
    if clients is None or not plan.groups:
        return []
    frame = clients.frame
    pointing = {spec.key: data.sheets[spec.key] for spec in schema.CLIENT_POINTING_SHEETS if spec.key in data.sheets}
    next_number = int(log.next_id()[1:])
    merged_ids_of: list[tuple[str, ...]] = []
    group_of_id: dict[str, int] = {}
    for index, group in enumerate(plan.groups):
        survivor_id = plan.records[group.survivor].client_id
        ids = tuple(
            dict.fromkeys(
                plan.records[r].client_id
                for r in group.merged
                if plan.records[r].client_id and plan.records[r].client_id != survivor_id
            )
        )
        merged_ids_of.append(ids)
        group_of_id.update((cid, index) for cid in ids)
    # One pass over each pointing sheet: a big Interactions sheet is not scanned once per group. Its distinct
    # ClientIDs are looked up, each once; a cell the codes count as blank is looked at on its own (a NaN is one, and
    # its text is not blank).
    repointed: list[dict[str, list[int]]] = [{} for _ in plan.groups]
    for key, sheet in pointing.items():
        groups = sheet.each_cell("client_id", lambda value: group_of_id.get(_text(value), -1), dtype=np.int64)
        blank = np.flatnonzero(sheet.distinct("client_id")[0] < 0)
        if len(blank):
            cells = sheet.column_values("client_id").to_numpy(dtype=object)[blank]
            groups[blank] = [group_of_id.get(_text(cell), -1) for cell in cells]
        hit = np.flatnonzero(groups >= 0)
        for row, index in zip(sheet.frame.index[hit], groups[hit]):
            repointed[index].setdefault(key, []).append(int(row))
    grouped = frame.loc[[row for group in plan.groups for row in group.rows]]
    values_of = dict(zip(grouped.index, grouped.to_dict("records")))
    actions = []
    for index, group in enumerate(plan.groups):
        rows = [values_of[row] for row in group.rows]
        left_whole: list[str] = []
        changes = merged_values(rows, plan.settings.phone_region, left_whole)
        # A formula's result may read as blank (""), but the cell is the owner's formula, not a blank to fill.
        kept = tuple(key for key in changes if (group.survivor, column_index(clients.letters[key])) in formula_cells)
        own = {
            header: value
            for header, value in _own_blanks_filled(clients, group).items()
            if (group.survivor, column_index(clients.extra_letters[header])) not in formula_cells
        }
        actions.append(
            MergeAction(
                f"M{next_number + index:04d}",
                group,
                plan.records[group.survivor].client_id,
                merged_ids_of[index],
                {key: value for key, value in changes.items() if key not in kept},
                {key: tuple(rows_) for key, rows_ in repointed[index].items()},
                tuple(left_whole),
                kept,
                own,
            )
        )
    return actions


def _own_blanks_filled(clients: SheetData, group: MergeGroup) -> dict[str, CellValue]:
    """The user's own columns of Clients (header -> value) that the survivor of ``group`` has blank and a merged row
    fills, from the oldest merged row that has a value there, as a blank of xlcrm's columns is filled."""
    extra = clients.extra_values
    if extra is None:
        return {}
    filled: dict[str, CellValue] = {}
    for header in clients.extra_letters:
        if header not in extra.columns or not is_blank(extra.at[group.survivor, header]):
            continue
        cells = [cast(CellValue, extra.at[row, header]) for row in group.merged]  # the frame holds cells as read
        value = next((cell for cell in cells if not is_blank(cell)), None)
        if value is not None:
            filled[header] = value
    return filled


# --- edits, log, reports -------------------------------------------------------------------------------


def _log_headers(header_row: Sequence[object], width: int) -> list[str]:
    """The Clients headers as typed; a column with values but no header is named by its letter."""
    return [
        as_text(header_row[i]) if i < len(header_row) and not is_blank(header_row[i]) else f"({column_letter(i)})"
        for i in range(width)
    ]


def apply_plan(
    plan: DedupePlan, log: MergeLog, *, now: dt.datetime | None = None
) -> tuple[list[SheetEdit], list[ReportSheet]]:
    """The sheet edits and report sheets that carry out ``plan``: merges, Merge log, Duplicates sheet. ``log`` is the
    workbook's Merge log as ``load_plan`` read it (left as it is: the new entries go into a copy)."""
    edits, reports, _actions = _apply(plan, log, now or dt.datetime.now().replace(microsecond=0))
    return edits, reports


def _apply(
    plan: DedupePlan, read_log: MergeLog, now: dt.datetime, logged: bool = True
) -> tuple[list[SheetEdit], list[ReportSheet], list[MergeAction]]:
    """The edits, report sheets and merges that carry out ``plan``; without ``logged``, the merges are not logged
    and the reports lack the Merge log (for a dry run, which writes neither)."""
    data = plan.data
    locale = data.locale
    log = MergeLog(list(read_log.headers), list(read_log.entries))
    clients = data.sheets.get(schema.CLIENTS.key)
    # The merged rows go, links and formulas and all: the log keeps each under its column's header. The survivors'
    # formulas are found in the same pass, so that no merge writes over them.
    merged_rows = {row for group in plan.groups for row in group.merged} if logged else set()
    survivors = {group.survivor for group in plan.groups}
    extras = row_extras(data.path, clients.name, merged_rows | survivors) if clients is not None else None
    actions = plan_actions(plan, log, extras.formula_cells if extras is not None else ())
    edits: list[SheetEdit] = []
    if actions and clients is not None and extras is not None:
        raw = sheet_rows(data, schema.CLIENTS)
        involved = {row: raw[row - 1] for action in actions for row in action.group.rows}
        header_row = raw[0] if len(raw) else []
        width = max(len(header_row), *(len(values) for values in involved.values()))
        headers = _log_headers(header_row, width)
        if not log.headers:
            log.headers = headers
        # Where each Clients column of this sheet lands among the log's columns (older logs may differ).
        follow = column_positions(headers, log.headers)
        id_column = next((i for i, h in enumerate(log.headers) if _is_client_id(h, clients)), None)
        links, formulas = _by_row(extras.links), _by_row(extras.formulas)
        set_cells: dict[str, CellValue] = {}
        deleted: list[int] = []  # sorted
        pointing_cells: dict[str, dict[str, CellValue]] = {}
        for action in actions:
            group = action.group
            if logged:  # each row of the merge as it was, for unmerge
                why = why_merged(plan, group)
                roles = [(group.survivor, schema.SURVIVOR_ROLE)] + [(r, schema.MERGED_ROLE) for r in group.merged]
                for row, role in roles:
                    values = involved[row]
                    entry_values = [values[i] if i is not None and i < len(values) else None for i in follow]
                    # Merges are logged as if made one after another: a row's number is where it was once the
                    # earlier merges of this save had removed their rows, so undoing in reverse order is exact.
                    logged_row = row - bisect.bisect_left(deleted, row)
                    merged = role is schema.MERGED_ROLE  # only merged rows are deleted, links, formulas and all
                    log.entries.append(
                        LogEntry(
                            action.merge_id,
                            now,
                            role.key,
                            clients.name,
                            logged_row,
                            tuple(entry_values),
                            _by_header(links.get(row, ()), headers) if merged else (),
                            _logged_formulas(formulas.get(row, ()), headers, clients.name, deleted) if merged else (),
                            why=why,
                        )
                    )
            for key, value in action.changes.items():
                set_cells[f"{clients.letters[key]}{group.survivor}"] = value
            for header, value in action.own_changes.items():
                set_cells[f"{clients.extra_letters[header]}{group.survivor}"] = value
            for row in group.merged:
                bisect.insort(deleted, row)
            for sheet_key, rows in action.repointed.items():
                sheet = data.sheets[sheet_key]
                letter = sheet.letters["client_id"]
                ids = sheet.frame["client_id"]
                for row in rows:
                    if logged:
                        values = [None] * len(log.headers)
                        if id_column is not None:
                            values[id_column] = cast(CellValue, ids.at[row])  # the frame holds cells as read
                        log.entries.append(
                            LogEntry(action.merge_id, now, schema.REPOINTED_ROLE.key, sheet.name, row, tuple(values))
                        )
                    pointing_cells.setdefault(sheet.name, {})[f"{letter}{row}"] = action.survivor_id
        edits.append(SheetEdit(clients.name, set_cells=set_cells, delete_rows=tuple(sorted(deleted))))
        edits += [SheetEdit(name, set_cells=cells) for name, cells in pointing_cells.items()]
    reports = [duplicates_sheet(plan_content(plan), locale)]
    if logged and log.entries:
        reports.append(merge_log_sheet(log, locale))
    return edits, reports, actions


def _is_client_id(header: str, clients: SheetData) -> bool:
    column = schema.match_column(clients.spec, header)
    return column is not None and column.key == "client_id"


# --- a dedupe run -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DedupeChanges:
    """A dedupe of a workbook as read: its plan, the merges made of it, and what saving them writes."""

    plan: DedupePlan
    actions: list[MergeAction]
    edits: list[SheetEdit]
    reports: list[ReportSheet]
    writes: bool  # False for a clean base with no Duplicates sheet yet: nothing to write, so no save and no backup
    notes: list[Message]  # the plan's notes, then those of merged text left out of a survivor's cell
    unknown_decisions: list[Finding]  # Decisions typed on the Duplicates sheet that xlcrm did not understand


def needs_duplicate_sheets(plan: DedupePlan, edits: Sequence[SheetEdit], sheet_names: Sequence[str]) -> bool:
    """Whether the Duplicates and Merge log sheets are written: something merged, to review or kept apart, or a
    Duplicates sheet already there. A base with none of these gets no such sheets."""
    return bool(
        edits
        or plan.review
        or plan.kept_apart
        or plan.interaction_duplicates
        or schema.find_sheet_name(schema.DUPLICATES, sheet_names)
    )


def load_plan(data: WorkbookData, new_rows: Collection[int] = ()) -> tuple[DedupePlan, MergeLog]:
    """The dedupe plan of a workbook as read, with the decisions typed on its Duplicates sheet, and its Merge log
    (which the plan learnt from; ``apply_plan`` adds the merges to a copy of it); ``new_rows`` are the Clients rows
    given a ClientID in this run (see :func:`xlcrm.dedupe.plan.plan_dedupe`)."""
    settings, _findings = read_settings(data)
    decisions = read_decisions(report_rows(data, schema.DUPLICATES))
    log = read_merge_log(report_rows(data, schema.MERGE_LOG))
    return plan_dedupe(data, settings, decisions, new_rows, merged_pairs(log, settings.phone_region)), log


def dedupe_changes(
    data: WorkbookData, *, now: dt.datetime | None = None, new_rows: Collection[int] = (), logged: bool = True
) -> DedupeChanges:
    """Certain duplicates merged, probable ones listed on the Duplicates sheet, the user's decisions applied: the
    edits and report sheets of the workbook ``data`` was read from, the merges logged as made at ``now`` (default:
    the real time). ``new_rows`` are the Clients rows given a ClientID in this run: they merge as rows without one.
    Without ``logged`` (a dry run, which saves nothing) the merges are not logged: the reports lack the Merge log."""
    _check_clients(data)
    plan, log = load_plan(data, new_rows)
    require_distinct_headers(data)  # after the plan: it waits for the sheets still being read, as the plan does
    now = now or dt.datetime.now().replace(microsecond=0)
    edits, reports, actions = _apply(plan, log, now, logged)
    clean = not needs_duplicate_sheets(plan, edits, data.sheet_names)
    clients = data.sheets[schema.CLIENTS.key]
    notes = plan.notes + [
        note
        for action in actions
        for note in (action.left_whole_note(clients, data.locale), action.kept_formulas_note(clients, data.locale))
        if note is not None
    ]
    return DedupeChanges(plan, actions, edits, reports, not clean, notes, unknown_decisions(reports, data.locale))


def unknown_decisions(reports: Sequence[ReportSheet], locale: str) -> list[Finding]:
    """The Decisions of the Duplicates sheet among ``reports`` that xlcrm does not understand, each naming the
    cell it is written back into, as typed."""
    names = set(schema.DUPLICATES.names())
    return [finding for sheet in reports if sheet.name in names for finding in unknown_decision_findings(sheet, locale)]


def _by_row(cells: Mapping[tuple[int, int], str]) -> dict[int, list[tuple[int, str]]]:
    """``cells`` (by row and column) as row -> the row's (column, text), in column order: each merged row then finds
    its own at once, not by going through those of every row merged."""
    rows: dict[int, list[tuple[int, str]]] = {}
    for (row, column), text in sorted(cells.items()):
        rows.setdefault(row, []).append((column, text))
    return rows


def _by_header(cells: Sequence[tuple[int, str]], headers: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The (column, text) cells of a row, each under its column's header (its letter in brackets, past them)."""
    return tuple(
        (headers[column] if column < len(headers) else f"({column_letter(column)})", text) for column, text in cells
    )


def _cells_by_header(logged: Sequence[tuple[str, str]], header: Sequence[object], row: int) -> dict[str, str]:
    """``_by_header`` undone: what the log keeps under each header, by the reference of its cell on ``row``."""
    return {
        f"{column_letter(column)}{row}": text
        for (_, text), column in zip(logged, _positions(header, [h for h, _ in logged]))
        if column is not None
    }


def _logged_formulas(
    formulas: Sequence[tuple[int, str]], headers: Sequence[str], sheet: str, deleted: Sequence[int]
) -> tuple[tuple[str, str], ...]:
    """The formulas of a merged row, (column, text) each, as the Merge log keeps them: as they read once the earlier
    merges of this save removed their rows, the state that undoing in reverse order puts the row back into. A formula
    that pointed at one of those rows is kept as it was."""
    found = _by_header(formulas, headers)
    if not found:
        return ()
    moved = RowMap(deleted)  # made for a row with formulas only: it copies every row deleted so far
    logged = []
    for header, text in found:
        try:
            logged.append((header, remap_formula(text, sheet, moved, own_by_default=True) if deleted else text))
        except FormulaBlocked:
            logged.append((header, text))
    return tuple(logged)


def _check_clients(data: WorkbookData) -> None:
    """Merging needs the Clients sheet with its headers on row 1 and a ClientID column to re-point rows by."""
    spec = schema.CLIENTS
    clients = data.sheet(spec.key)
    name = spec.name(data.locale)
    if clients is None:
        raise WorkbookStructureError(
            t("{path} has no {sheet} sheet, so there are no clients to deduplicate", path=str(data.path), sheet=name)
        )
    require_headers_on_row_one(clients)
    require_room_right(clients, LOG_ADDED_COLUMNS, t("the Merge log's copies of its rows"))
    if not clients.has("client_id"):
        raise WorkbookStructureError(
            t(
                "{sheet} has no {column} column, so merged clients' interactions could not be re-pointed",
                sheet=clients.name,
                column=spec.column("client_id").name(data.locale),
            )
        )


# --- unmerge -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnmergeChanges:
    """One merge of the Merge log undone: what saving it writes, and what it restores."""

    merge_id: str  # as the Merge log spells it
    survivor_id: str
    restored_ids: list[str]  # ClientIDs of the rows put back
    restored_rows: int
    repointed_back: int  # Contacts, Interactions and Contracts rows pointing at a restored client again
    edits: list[SheetEdit]
    reports: list[ReportSheet]
    remove: list[str]  # report sheets to remove (the Merge log, once its last merge is undone)


def unmerge_changes(data: WorkbookData, merge_id: str) -> UnmergeChanges:
    """Undo the merge ``merge_id`` (any case) of the workbook ``data`` was read from: original rows back in place,
    re-pointed rows back, pairs kept apart. MergeNotFound or MergeNotUndoable when it cannot be undone."""
    require_distinct_headers(data)
    locale = data.locale
    log = read_merge_log(report_rows(data, schema.MERGE_LOG))
    wanted = merge_id.strip().upper()
    entries = [e for e in log.entries if e.merge_id.upper() == wanted]
    if not entries:
        raise MergeNotFound(
            t(
                "the Merge log of {path} has no merge {merge_id}; merges logged: {known}",
                path=str(data.path),
                merge_id=merge_id,
                known=log.ids(),
            )
            if log.ids()
            else t(
                "the Merge log of {path} has no merge {merge_id}; merges logged: none",
                path=str(data.path),
                merge_id=merge_id,
            )
        )
    merge_id = entries[0].merge_id
    # A row number typed over on the Merge log cannot say where to put a row back. (An imported record's row is
    # the one it had in its file, and it is not put back.)
    if any(entry.row < 2 for entry in entries if entry.role != schema.IMPORTED_ROLE.key):
        raise MergeNotUndoable(
            t(
                "{merge_id} cannot be undone: a row number of it on {sheet} was typed over (each must be the row a "
                "client or interaction was on, 2 or more), so xlcrm cannot tell where to put it back; the workbook "
                "was not changed",
                merge_id=merge_id,
                sheet=schema.MERGE_LOG.name(locale),
            )
        )
    clients = data.sheets.get(schema.CLIENTS.key)
    if clients is None:
        raise MergeNotUndoable(
            t(
                "{path} has no {sheet} sheet to restore the rows into",
                path=str(data.path),
                sheet=schema.CLIENTS.name(locale),
            )
        )
    id_index = next((i for i, h in enumerate(log.headers) if _is_client_id(h, clients)), None)
    if id_index is None:
        raise MergeNotUndoable(
            t(
                "the Merge log of {path} has no ClientID column, so {merge_id} cannot be undone",
                path=str(data.path),
                merge_id=merge_id,
            )
        )
    survivor = next((e for e in entries if e.role == schema.SURVIVOR_ROLE.key), None)
    if survivor is None:
        raise MergeNotUndoable(
            t(
                "{merge_id} cannot be undone: its row with the role {role} is gone from {sheet} (deleted or its role "
                "typed over), so xlcrm does not know the client as it was; the workbook was not changed",
                merge_id=merge_id,
                role=schema.SURVIVOR_ROLE.name(locale),
                sheet=schema.MERGE_LOG.name(locale),
            )
        )
    merged = sorted((e for e in entries if e.role == schema.MERGED_ROLE.key), key=lambda e: e.row)
    # A merged row comes back onto Clients; one logged from elsewhere (an imported file's record whose role was typed
    # over) never was a client there, and putting it back would give a second row the survivor's ClientID.
    foreign = next((e for e in merged if schema.find_sheet_name(schema.CLIENTS, [e.sheet]) is None), None)
    if foreign is not None:
        raise MergeNotUndoable(
            t(
                "{merge_id} cannot be undone: its row with the role {role} was on {sheet}, not on {clients}, so xlcrm "
                "cannot put it back there (was its role typed over?); the workbook was not changed",
                merge_id=merge_id,
                role=schema.MERGED_ROLE.name(locale),
                sheet=foreign.sheet,
                clients=schema.CLIENTS.name(locale),
            )
        )
    survivor_id = as_text(survivor.values[id_index])
    group_ids = {survivor_id} | {as_text(e.values[id_index]) for e in merged}
    _check_no_later_merge(log, merge_id, group_ids, id_index)

    raw = sheet_rows(data, schema.CLIENTS).all()
    header = raw[0] if raw else []
    current_ids = clients.column_values("client_id").map(as_text)
    survivor_rows = [int(r) for r in current_ids.index[current_ids == survivor_id]]
    if len(survivor_rows) != 1:
        params = {"merge_id": merge_id, "client_id": survivor_id, "sheet": clients.name}
        raise MergeNotUndoable(
            t(
                "{merge_id} cannot be undone: ClientID {client_id} is on no row of {sheet}; put it back on one row "
                "first",
                **params,
            )
            if not survivor_rows
            else t(
                "{merge_id} cannot be undone: ClientID {client_id} is on rows {rows} of {sheet}; put it back on one "
                "row first",
                rows=survivor_rows,
                **params,
            )
        )
    width = max(len(header), len(log.headers), *(len(r) for r in raw))
    positions = _positions(header, log.headers)

    def restored(entry: LogEntry, base: Sequence[CellValue]) -> list[CellValue]:
        row = list(base) + [None] * (width - len(base))
        for index, value in zip(positions, entry.values):
            if index is not None:
                row[index] = value
        return row

    # The merged rows go back where they were, as rows inserted: what follows rows (links, comments, merged
    # cells, formats, formulas) follows the rows below back down, as it followed them up when the merge deleted
    # them. ``body`` is the sheet as it will be, ``origin`` the row each of its rows is now (None: put back).
    body = [list(r) + [None] * (width - len(r)) for r in raw[1:]]
    origin: list[int | None] = list(range(2, len(raw) + 1))
    survivor_row = body[survivor_rows[0] - 2]
    formula_columns = [column for _, column in row_extras(data.path, clients.name, survivor_rows).formula_cells]
    kept = {column: survivor_row[column] for column in formula_columns if column < width}
    survivor_row[:] = restored(survivor, survivor_row)
    # A survivor's cell holding a formula was never written by the merge (see ``plan_actions``): it stays, whatever
    # its result read then and reads now.
    for column, value in kept.items():
        survivor_row[column] = value
    inserted = []
    for entry in merged:
        position = min(entry.row - 2, len(body))
        body.insert(position, restored(entry, []))
        origin.insert(position, None)
        inserted.append(position + 2)
    links: dict[str, str] = {}  # the links and formulas the merge deleted with the rows, back on their cells
    cells: dict[str, CellValue | Formula] = dict(_diff(raw, body, origin, width))
    for entry, row in zip(merged, inserted):
        links.update(_cells_by_header(entry.links, header, row))
        cells.update({ref: Formula(text) for ref, text in _cells_by_header(entry.formulas, header, row).items()})
    edits = [SheetEdit(clients.name, set_cells=cells, insert_rows=inserted, set_links=links)]

    repointed = [e for e in entries if e.role == schema.REPOINTED_ROLE.key]
    edits += _repoint_back(data, repointed, survivor_id, id_index, merge_id)

    remaining = MergeLog(log.headers, [e for e in log.entries if e.merge_id != merge_id])
    content = read_duplicates(report_rows(data, schema.DUPLICATES))
    names = {as_text(e.values[id_index]): e for e in [survivor] + merged}
    name_index = _header_index(log.headers, clients, "name")
    company_index = _header_index(log.headers, clients, "company")
    ids = sorted(group_ids - {""})
    for i, first in enumerate(ids):
        for second in ids[i + 1 :]:
            content.keep_apart(
                first,
                second,
                locale,
                *_shown(names[first], name_index, company_index),
                *_shown(names[second], name_index, company_index),
            )
    reports = [duplicates_sheet(content, locale)]
    remove: list[str] = []
    if remaining.entries:
        reports.append(merge_log_sheet(remaining, locale))
    else:
        remove.append(schema.find_sheet_name(schema.MERGE_LOG, data.sheet_names) or schema.MERGE_LOG.name(locale))
    return UnmergeChanges(
        merge_id,
        survivor_id,
        sorted(group_ids - {survivor_id, ""}),
        len(merged),
        sum(len(e.set_cells) for e in edits[1:]),
        edits,
        reports,
        remove,
    )


def _check_no_later_merge(log: MergeLog, merge_id: str, group_ids: set[str], id_index: int) -> None:
    """A later merge that took in one of these clients must be undone first, or its rows would be lost."""
    order = log.ids()
    for later in order[order.index(merge_id) + 1 :]:
        touched = {
            as_text(e.values[id_index])
            for e in log.entries
            if e.merge_id == later and e.role != schema.REPOINTED_ROLE.key
        }
        if touched & group_ids:
            raise MergeNotUndoable(
                t(
                    "{merge_id} cannot be undone before {later}, which merged {ids} again; undo {later} first",
                    merge_id=merge_id,
                    later=later,
                    ids=sorted(touched & group_ids),
                )
            )


def _positions(header: Sequence[object], log_headers: Sequence[str]) -> list[int | None]:
    """For each log header, the column of the current Clients sheet with the same header (or its letter)."""
    by_header = column_positions([as_text(h) if not is_blank(h) else None for h in header], log_headers)
    positions: list[int | None] = []
    for text, found in zip(log_headers, by_header):
        if text.startswith("(") and text.endswith(")"):
            letter = text[1:-1]
            positions.append(next((i for i in range(len(header) + 26) if column_letter(i) == letter), None))
        else:
            positions.append(found)
    return positions


def _diff(
    before: Sequence[Sequence[CellValue]],
    after: Sequence[Sequence[CellValue]],
    origin: Sequence[int | None],
    width: int,
) -> dict[str, CellValue]:
    """Cells to set, numbered as in the sheet written, so that its rows from Excel row 2 read as ``after``.

    ``before``: the sheet's rows as read, from row 1; ``origin``: for each row of ``after``, the row of ``before``
    it is (None: a row inserted, blank until set).
    """
    set_cells: dict[str, CellValue] = {}
    letters = [column_letter(i) for i in range(width)]
    for index, (new, was_row) in enumerate(zip(after, origin)):
        old = before[was_row - 1] if was_row is not None else ()
        for column, letter in enumerate(letters):
            was = old[column] if column < len(old) else None
            value = new[column] if column < len(new) else None
            if was != value or type(was) is not type(value):
                set_cells[f"{letter}{index + 2}"] = value
    return set_cells


def _repoint_back(
    data: WorkbookData, entries: Sequence[LogEntry], survivor_id: str, id_index: int, merge_id: str
) -> list[SheetEdit]:
    by_name = {sheet.name: sheet for sheet in data.sheets.values()}
    cells: dict[str, dict[str, CellValue]] = {}
    for entry in entries:
        sheet = by_name.get(entry.sheet)
        if sheet is None or not sheet.has("client_id"):
            raise MergeNotUndoable(
                t(
                    "{merge_id} cannot be undone: sheet {sheet} with its ClientID column is gone",
                    merge_id=merge_id,
                    sheet=repr(entry.sheet),
                )
            )
        current = sheet.frame["client_id"].get(entry.row) if entry.row in sheet.frame.index else None
        if as_text(current) != survivor_id:
            where = {"merge_id": merge_id, "cell": sheet.cell("client_id", entry.row), "client_id": survivor_id}
            raise MergeNotUndoable(
                t(
                    "{merge_id} cannot be undone: {cell} should hold {client_id} but holds {held} (rows moved since "
                    "the merge?)",
                    held=as_text(current),
                    **where,
                )
                if as_text(current)
                else t(
                    "{merge_id} cannot be undone: {cell} should hold {client_id} but holds nothing (rows moved since "
                    "the merge?)",
                    **where,
                )
            )
        cells.setdefault(sheet.name, {})[f"{sheet.letters['client_id']}{entry.row}"] = entry.values[id_index]
    return [SheetEdit(name, set_cells=values) for name, values in cells.items()]


def _header_index(log_headers: Sequence[str], clients: SheetData, key: str) -> int | None:
    for index, text in enumerate(log_headers):
        column = schema.match_column(clients.spec, text)
        if column is not None and column.key == key:
            return index
    return None


def _shown(entry: LogEntry, name_index: int | None, company_index: int | None) -> tuple[CellValue, CellValue]:
    return (
        entry.values[name_index] if name_index is not None else None,
        entry.values[company_index] if company_index is not None else None,
    )
