"""The two report sheets of deduplication, written and read back.

``▸ Duplicates`` lists the pairs to review side by side, with a Decision
column the user fills in Excel (merge / keep apart, from a dropdown in the
workbook's language). It is the only report sheet whose typed cells xlcrm
keeps: the next ``dedupe`` (or ``refresh``) reads the decisions, merges the
pairs marked "merge", and lists the pairs marked "keep apart" in a second
table, *Kept apart*, which every later run reads again. That table is the
memory of "keep apart": such a pair is never proposed again, unless the user
changes its Decision to "merge". Deleting the sheet forgets the decisions. A
Decision xlcrm does not understand decides nothing: it is written back as
typed, its pair stays as it was (to review, or kept apart), and the cell is
reported (``unknown-decision``).

Each pair shows its match probability in per cent and, as its Reason, the waterfall of weighed reasons that makes
it (:mod:`xlcrm.dedupe.explain`), the likeliest pair first. At most Settings' ``dedupe_review_limit`` pairs are
listed; a line above the table says how many more wait for a later run. A sheet written before probabilities has
points in that column (headed Score): its decisions read as any others, its points are not shown as a probability.

``▸ Merge log`` holds every merge with the complete original rows (every column of the Clients sheet, the user's own
columns too, values as they were, and, in two last columns, the links on a merged row's cells, since Excel makes one
of every typed e-mail, and its formulas) and the Contacts, Interactions and Contracts rows that were re-pointed, so
``xlcrm unmerge`` can restore them exactly, and why the clients were merged, as the command said. Each run writes
the entries it read back plus its new ones. The log's own columns are read by their headers, so a log written before
one of them existed (Why merged) still reads.

Headers and decisions are recognised in either language, as everywhere else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from python_calamine import CalamineError

from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.normalize import as_text, is_blank
from xlcrm.dedupe.plan import DedupePlan, InteractionDuplicate, Match, PairDecision
from xlcrm.dedupe.records import ClientRecord, logged_records
from xlcrm.errors import NotAWorkbook
from xlcrm.messages import Message, Number, Text, render, t
from xlcrm.xlsx.reader import WorkbookData, open_book
from xlcrm.xlsx.refs import sheet_ref
from xlcrm.xlsx.report_sheet import (
    CellValue,
    Choices,
    ColumnFormat,
    ReportColumn,
    ReportSheet,
    ReportTable,
    layout,
)

# The last columns of the Merge log when a merged row had links or formulas (a merge deletes them with the row):
# one line per cell, "header → address" and "header → =formula".
LINKS_HEADERS = {"en": schema.REPORT_MARKER + "Links", "ru": schema.REPORT_MARKER + "Ссылки"}
FORMULAS_HEADERS = {"en": schema.REPORT_MARKER + "Formulas", "ru": schema.REPORT_MARKER + "Формулы"}
_LINK_SEPARATOR = " → "

# Clients columns shown for each side of a pair on the Duplicates sheet.
PAIR_COLUMNS = ("client_id", "name", "company", "inn", "phone", "email", "city", "created")
_PAIR_LEAD_COLUMNS = 3  # Decision, Probability and Reason, before the two clients' PAIR_COLUMNS
_PROBABILITY_COLUMN = 1
# The first columns of the Merge log, by their DEDUPE_LABELS key; the Clients columns follow. They are read back by
# their headers: a log written before "why_merged" existed has the others only, and still reads.
LOG_LEAD_COLUMNS = ("merge_id", "merged_on", "why_merged", "role", "sheet", "row")


def label(key: str, locale: str) -> str:
    """A Duplicates or Merge log label in the workbook's language."""
    return schema.dedupe_label(key, locale)


def _is(cell: object, key: str) -> bool:
    """Whether a header cell is the label ``key`` in either language."""
    return schema.fold(cell) in {schema.fold(text) for text in schema.DEDUPE_LABELS[key]}


def read_sheet_rows(path: Path, spec: schema.Sheet) -> list[list[CellValue]]:
    """Every cell of one sheet as typed (blank cells as None), or [] when the workbook does not have it.

    The user sheets' frames hold only schema columns with text trimmed; a merge log needs the rows exactly.
    """
    book = open_book(path)
    try:
        name = schema.find_sheet_name(spec, book.sheet_names)
        if name is None:
            return []
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        return [[None if cell == "" else cell for cell in row] for row in rows]
    except CalamineError as exc:
        raise NotAWorkbook(
            t(
                "{workbook}: sheet {sheet} cannot be read: {error}",
                workbook=str(path),
                sheet=repr(spec.name("en")),
                error=str(exc),
            )
        ) from None
    finally:
        book.close()


class RawRows:
    """The rows of a user sheet in ``schema.RAW_ROW_SHEETS`` as read; ``rows[n]`` is Excel row n + 1 with
    blank cells as None, converted only when asked for (a merge needs a few rows of a big sheet)."""

    def __init__(self, rows: Sequence[Sequence[CellValue]]):
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: int) -> list[CellValue]:
        return [None if cell == "" else cell for cell in self._rows[index]]

    def all(self) -> list[list[CellValue]]:
        """Every row, blank cells as None."""
        return [self[index] for index in range(len(self._rows))]


def sheet_rows(data: WorkbookData, spec: schema.Sheet) -> RawRows:
    """Every cell of a user sheet in ``schema.RAW_ROW_SHEETS`` as read, or no rows without the sheet."""
    sheet = data.sheet(spec.key)
    return RawRows(sheet.raw_rows if sheet is not None and sheet.raw_rows is not None else [])


def report_rows(data: WorkbookData, spec: schema.Sheet) -> list[list[CellValue]]:
    """The cells of a report sheet read back with the workbook (blank cells as None), or [] without the sheet."""
    return [[None if cell == "" else cell for cell in row] for row in data.report_rows.get(spec.key, [])]


@dataclass(frozen=True)
class _Table:
    """A table of a report sheet: its header cells, its value rows and the Excel row of the first of them."""

    header: Sequence[CellValue]
    body: Sequence[Sequence[CellValue]]
    first_row: int


def _tables(rows: Sequence[Sequence[CellValue]], first_header: str) -> list[_Table]:
    """Every table of a sheet's rows (``rows[n]`` is Excel row n + 1) whose first header cell is ``first_header``;
    a blank row ends one."""
    found = []
    index = 0
    while index < len(rows):
        row = rows[index]
        if row and _is(row[0], first_header):
            width = max(i for i, cell in enumerate(row) if not is_blank(cell)) + 1
            body = []
            index += 1
            first_row = index + 1
            while index < len(rows) and any(not is_blank(v) for v in rows[index][:width]):
                body.append((list(rows[index]) + [None] * width)[:width])
                index += 1
            found.append(_Table(row[:width], body, first_row))
        index += 1
    return found


# --- Duplicates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypedDecision:
    """A Decision cell the user filled on the Duplicates sheet, for the pair of ClientIDs on its row."""

    ids: frozenset[str]
    value: CellValue  # as typed
    chosen: schema.ListValue | None  # the decision understood (either language), None when not understood
    kept_apart: bool  # typed in the Kept apart table, not in the table of pairs to review
    row: int  # the cell's Excel row (the Decision column is column A)

    @property
    def understood(self) -> bool:
        """Whether the value is one of schema.DECISIONS in either language."""
        return self.chosen is not None


def typed_decisions(rows: Sequence[Sequence[CellValue]]) -> list[TypedDecision]:
    """Every filled Decision cell of a Duplicates sheet's rows (``rows[n]`` is Excel row n + 1) whose row names two
    ClientIDs: the first table with a Decision column holds the pairs to review, the next ones the pairs kept
    apart."""
    return _typed_decisions(_tables(rows, "decision"))


def _typed_decisions(tables: Sequence[_Table]) -> list[TypedDecision]:
    found = []
    for number, table in enumerate(tables):
        try:
            first = next(i for i, cell in enumerate(table.header) if _is(cell, "id_a"))
            second = next(i for i, cell in enumerate(table.header) if _is(cell, "id_b"))
        except StopIteration:
            continue
        for row_number, row in enumerate(table.body, start=table.first_row):
            if not row or is_blank(row[0]):
                continue
            ids = frozenset(as_text(row[i]) for i in (first, second) if i < len(row) and not is_blank(row[i]))
            if len(ids) == 2:
                chosen = schema.match_list_value(row[0], schema.DECISIONS)
                found.append(TypedDecision(ids, row[0], chosen, number > 0, row_number))
    return found


def read_decisions(rows: Sequence[Sequence[CellValue]]) -> list[PairDecision]:
    """Every Decision typed on the Duplicates sheet (pairs table and Kept apart table), by ClientIDs.

    A value not understood decides nothing new: a pair to review stays open, and a pair of the Kept apart table
    stays kept apart (its Decision reads "keep apart" until the user types another one).
    """
    decisions: dict[frozenset[str], PairDecision] = {}
    for typed in typed_decisions(rows):
        if typed.chosen is not None:
            decisions[typed.ids] = PairDecision(typed.ids, typed.chosen is schema.MERGE_DECISION)
        elif typed.kept_apart:
            decisions[typed.ids] = PairDecision(typed.ids, merge=False)
    return list(decisions.values())


@dataclass
class DuplicatesContent:
    """The three tables of the Duplicates sheet as rows of values."""

    pairs: list[list[CellValue]] = field(default_factory=list)
    kept: list[list[CellValue]] = field(default_factory=list)  # keep apart, ClientID A, ClientID B, names, companies
    repeated: list[list[CellValue]] = field(default_factory=list)
    # The line above the pairs saying how many more wait for a later run (in the workbook's language); "" when all
    # are listed.
    left_out: Text = ""

    def keep_apart(
        self,
        first: str,
        second: str,
        locale: str,
        first_name: CellValue = None,
        first_company: CellValue = None,
        second_name: CellValue = None,
        second_company: CellValue = None,
    ) -> None:
        """Remember one more pair to keep apart (replacing a row of the same pair)."""
        ids = {first, second}
        self.kept = [row for row in self.kept if {as_text(row[1]), as_text(row[2])} != ids]
        self.kept.append(
            [schema.KEEP_APART.name(locale), first, second, first_name, first_company, second_name, second_company]
        )


def read_duplicates(rows: Sequence[Sequence[CellValue]]) -> DuplicatesContent:
    """The tables of a Duplicates sheet as read (the first table with a Decision column is the pairs table)."""
    content = DuplicatesContent()
    decided = _tables(rows, "decision")
    if decided:
        pairs = decided[0]
        content.pairs = [list(row) for row in pairs.body]
        if _is(_cell(pairs.header, _PROBABILITY_COLUMN), "score"):
            # Points of an older version, not a probability: left blank rather than shown as one.
            for row in content.pairs:
                row[_PROBABILITY_COLUMN] = None
        content.left_out = _note_above(rows, pairs)
        for table in decided[1:]:
            content.kept += [list(row) for row in table.body]
    for table in _tables(rows, "client_id_header"):
        content.repeated += [list(row) for row in table.body]
    return content


def _note_above(rows: Sequence[Sequence[CellValue]], table: _Table) -> str:
    """The text of the line between a table's heading and its header (``rows[n]`` is Excel row n + 1), or ""."""
    above = table.first_row - 3  # the header is on the row before the first value row
    line = rows[above] if above >= 0 else ()
    text = as_text(_cell(line, 0))
    return "" if _is(text, "pairs") else text


def _sides(plan: DedupePlan) -> dict[int, list[CellValue]]:
    """The PAIR_COLUMNS values of every Clients row under review, blanks as None."""
    frame = plan.data.sheets[schema.CLIENTS.key].frame
    rows = sorted({row for match in plan.review for row in match.rows})
    shown = frame.reindex(index=rows, columns=list(PAIR_COLUMNS))
    return {
        row: [None if is_blank(value) else value for value in values]
        for row, values in zip(rows, shown.itertuples(index=False, name=None))
    }


def pair_row(
    decision: CellValue,
    percent: float,
    reason: Text,
    first: Sequence[CellValue],
    second: Sequence[CellValue],
    locale: str,
) -> list[CellValue]:
    """A row of the Duplicates sheet's pairs table: Decision, the probability in per cent and the Reason (its
    waterfall, in the workbook's language, ``locale``), then the ``PAIR_COLUMNS`` cells of each client (``first``,
    ``second``)."""
    return [decision, percent, render(reason, locale) or None, *first, *second]


def left_out_line(listed: int, left_out: int) -> Message:
    """The line above the pairs when Settings' dedupe_review_limit left some out: how many, and when they come."""
    return t(
        "Listed: the {listed} likeliest pairs of {total}; the other {left_out} come on the next run, once these are "
        "decided",
        listed=Number(listed),
        total=Number(listed + left_out),
        left_out=Number(left_out),
    )


def pair_row_ids(row: Sequence[CellValue]) -> frozenset[str]:
    """The two ClientIDs of a row of the pairs table, as ``pair_row`` lays it out."""
    first = _PAIR_LEAD_COLUMNS + PAIR_COLUMNS.index("client_id")
    return frozenset(as_text(row[i]) for i in (first, first + len(PAIR_COLUMNS)) if i < len(row))


def pair_probability(row: Sequence[CellValue]) -> float:
    """The probability in per cent of a row of the pairs table, as ``pair_row`` lays it out; 0 when the cell holds
    none (a sheet written with points, or typed over)."""
    value = _cell(row, _PROBABILITY_COLUMN)
    return float(value) if isinstance(value, (int, float)) else 0.0


def pair_side(values: Mapping[str, object]) -> list[CellValue]:
    """One client's ``PAIR_COLUMNS`` cells in a row of the pairs table, from its values by column key; blanks as
    None."""
    return [None if is_blank(values.get(key)) else cast(CellValue, values.get(key)) for key in PAIR_COLUMNS]


def plan_content(plan: DedupePlan) -> DuplicatesContent:
    """What the Duplicates sheet shows after a dedupe run: open pairs, remembered decisions, repeated interactions."""
    locale = plan.data.locale
    records = plan.records
    content = DuplicatesContent()
    sides = _sides(plan)
    # A Decision not understood stays in its cell as typed, for the user to correct: the pair stays where it was.
    typed = [t for t in typed_decisions(report_rows(plan.data, schema.DUPLICATES)) if not t.understood]
    open_typed = {t.ids: t.value for t in typed if not t.kept_apart}
    kept_typed = {t.ids: t.value for t in typed if t.kept_apart}

    def decision(match: Match) -> CellValue:
        return open_typed.get(frozenset((records[match.first].client_id, records[match.second].client_id)))

    content.pairs = [
        pair_row(decision(match), match.percent, match.reason, sides[match.first], sides[match.second], locale)
        for match in plan.review
    ]
    by_id = {r.client_id: r for r in records.values() if r.client_id}
    for pair in sorted(plan.kept_apart, key=lambda d: sorted(d.ids)):
        first, second = sorted(pair.ids)
        a, b = by_id.get(first), by_id.get(second)
        content.keep_apart(
            first,
            second,
            locale,
            a.shown_name or None if a else None,
            a.shown_company or None if a else None,
            b.shown_name or None if b else None,
            b.shown_company or None if b else None,
        )
    for row in content.kept:
        row[0] = kept_typed.get(frozenset((as_text(row[1]), as_text(row[2]))), row[0])
    content.repeated = [_repeated_row(item) for item in plan.interaction_duplicates]
    if plan.review_left_out:
        content.left_out = left_out_line(len(plan.review), plan.review_left_out)
    return content


def duplicates_sheet(content: DuplicatesContent, locale: str) -> ReportSheet:
    """Pairs to review side by side, decisions remembered, and interactions entered twice."""
    clients = schema.CLIENTS

    def side_columns(side: str) -> list[ReportColumn]:
        columns = []
        for key in PAIR_COLUMNS:
            column = clients.column(key)
            header = (
                label(side, locale).format(column=column.name(locale))
                if key != "client_id"
                else label("id_a" if side == "side_a" else "id_b", locale)
            )
            fmt = ColumnFormat.DATE if column.kind is schema.Kind.DATE else ColumnFormat.TEXT
            columns.append(ReportColumn(header, fmt))
        return columns

    decision = ReportColumn(label("decision", locale), width=16, choices=decision_choices(locale), editable=True)
    pair_columns = [
        decision,
        ReportColumn(label("probability", locale), ColumnFormat.TENTHS),
        ReportColumn(label("reason", locale), width=50),
    ]
    pair_columns += side_columns("side_a") + side_columns("side_b")
    kept_columns = [
        decision,
        ReportColumn(label("id_a", locale)),
        ReportColumn(label("id_b", locale)),
        ReportColumn(label("side_a", locale).format(column=clients.column("name").name(locale))),
        ReportColumn(label("side_a", locale).format(column=clients.column("company").name(locale))),
        ReportColumn(label("side_b", locale).format(column=clients.column("name").name(locale))),
        ReportColumn(label("side_b", locale).format(column=clients.column("company").name(locale))),
    ]
    interactions = schema.INTERACTIONS
    formats = {"date": ColumnFormat.DATE, "amount": ColumnFormat.MONEY}
    repeated_columns = [
        ReportColumn(interactions.column(key).name(locale), formats.get(key, ColumnFormat.TEXT))
        for key in ("client_id", "date", "type", "amount", "comment")
    ]
    repeated_columns.append(ReportColumn(label("rows", locale)))
    tables = [
        ReportTable(
            label("pairs", locale),
            pair_columns,
            content.pairs,
            autofilter=True,
            note=render(content.left_out, locale),
        ),
        ReportTable(label("kept_apart", locale), kept_columns, content.kept),
        ReportTable(label("repeated_interactions", locale), repeated_columns, content.repeated),
    ]
    return ReportSheet.of(schema.DUPLICATES, locale, label("duplicates_title", locale), tables=tables)


def decision_choices(locale: str) -> Choices:
    """The dropdown of the Decision column: the decisions in the workbook's language, and the warning shown for
    anything else (which the user may keep: xlcrm then lists it on the Problems sheet)."""
    merge, keep_apart = schema.MERGE_DECISION.name(locale), schema.KEEP_APART.name(locale)
    return Choices(
        (merge, keep_apart),
        label("decision_error_title", locale),
        label("decision_error", locale).format(
            merge=merge, keep_apart=keep_apart, problems=schema.PROBLEMS.name(locale)
        ),
    )


def unknown_decision_findings(sheet: ReportSheet, locale: str) -> list[Finding]:
    """A warning for every Decision of a Duplicates sheet about to be written that xlcrm does not understand,
    naming the cell it will be in."""
    where = layout(sheet).tables
    tables = [
        _Table([column.header for column in table.columns], table.rows, at.first_row)
        for table, at in zip(sheet.tables, where)
        if table.columns and _is(table.columns[0].header, "decision")
    ]
    return _unknown_decision_findings(_typed_decisions(tables), sheet.name, locale)


def typed_decision_findings(data: WorkbookData) -> list[Finding]:
    """A warning for every Decision on the workbook's Duplicates sheet, as read, that xlcrm does not understand."""
    name = schema.find_sheet_name(schema.DUPLICATES, data.sheet_names)
    if name is None:
        return []
    return _unknown_decision_findings(typed_decisions(report_rows(data, schema.DUPLICATES)), name, data.locale)


def _unknown_decision_findings(typed: Sequence[TypedDecision], sheet_name: str, locale: str) -> list[Finding]:
    merge, keep_apart = (value.name(locale) for value in schema.DECISIONS)
    findings = []
    for decision in typed:
        if decision.understood:
            continue
        pair = " / ".join(sorted(decision.ids))
        outcome = (
            t("the pair {pair} stays kept apart", pair=pair)
            if decision.kept_apart
            else t("the pair {pair} stays open for review", pair=pair)
        )
        findings.append(
            Finding(
                Severity.WARNING,
                Code.UNKNOWN_DECISION,
                sheet_name,
                f"{sheet_ref(sheet_name)}!A{decision.row}",
                _shown(decision.value),
                t(
                    "Decision not understood: type {merge} or {keep_apart}; until then {outcome}",
                    merge=merge,
                    keep_apart=keep_apart,
                    outcome=outcome,
                ),
            )
        )
    return findings


def _shown(value: CellValue) -> str:
    """A typed value as a person reads it in the cell."""
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return as_text(value)


def _repeated_row(item: InteractionDuplicate) -> list[CellValue]:
    return [
        item.client_id,
        item.date,
        item.type or None,
        item.amount,
        item.comment or None,
        ", ".join(str(row) for row in item.rows),
    ]


# --- Merge log -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    """One row of the Merge log: a Clients row as it was before a merge, or a re-pointed row."""

    merge_id: str
    merged_on: dt.datetime | dt.date | None
    role: str  # key of one of schema.MERGE_ROLES
    sheet: str  # actual sheet name the row was on
    row: int  # Excel row number at the time of the merge
    values: tuple[CellValue, ...]  # one per Clients header of the log; a re-pointed row holds only its old ClientID
    links: tuple[tuple[str, str], ...] = ()  # (Clients header, where the link on that cell went) of a merged row
    formulas: tuple[tuple[str, str], ...] = ()  # (Clients header, the cell's formula without "=") of a merged row
    # Why the clients were merged, as the command said (on the survivor's and merged rows): written in the workbook's
    # language; read back as the text in the cell (an older log's may be in English), and written back as it is.
    why: Text = ""


@dataclass
class MergeLog:
    headers: list[str]  # the Clients headers the entries' values follow
    entries: list[LogEntry] = field(default_factory=list)

    def ids(self) -> list[str]:
        """The merge IDs of the log, each once, in the order they first appear."""
        seen: list[str] = []
        for entry in self.entries:
            if entry.merge_id not in seen:
                seen.append(entry.merge_id)
        return seen

    def next_id(self) -> str:
        """The ID the next merge gets: one more than the highest so far (``M0001`` for the first)."""
        numbers = [int(mid[1:]) for mid in self.ids() if mid[1:].isdecimal()]
        return f"M{max(numbers, default=0) + 1:04d}"


def read_merge_log(rows: Sequence[Sequence[CellValue]]) -> MergeLog:
    """The Merge log as read back: the Clients headers its rows follow and one entry per logged row."""
    log = MergeLog(headers=[])
    for table in _tables(rows, "merge_id"):
        header = table.header
        # The log's own columns are the first ones whose headers are its labels, each once (an older log lacks
        # some); the Clients columns follow, then the links and formulas.
        lead: dict[str, int] = {}
        while len(lead) < len(header) and (key := _lead_key(header[len(lead)])) is not None and key not in lead:
            lead[key] = len(lead)
        fixed = len(lead)
        headers = [as_text(cell) for cell in header[fixed:]]
        while headers and not headers[-1]:
            headers.pop()
        trailing: dict[str, int] = {}  # "links" / "formulas" -> its column
        names = {
            schema.fold(text): kind
            for kind, texts in (("links", LINKS_HEADERS), ("formulas", FORMULAS_HEADERS))
            for text in texts.values()
        }
        while headers and names.get(schema.fold(headers[-1])) not in (None, *trailing):
            trailing[names[schema.fold(headers[-1])]] = fixed + len(headers) - 1
            headers.pop()

        log.headers = log.headers or headers
        # Where each of the log's headers sits in this table's row (an older table may order them otherwise).
        positions = [None if i is None else fixed + i for i in column_positions(headers, log.headers)]
        # A role cell as typed (its type too: True == 1) -> the role's key, or its text when it names no role.
        roles: dict[tuple[type, CellValue], str] = {}
        for row in table.body:
            role_cell = _cell(row, lead.get("role"))
            typed = (type(role_cell), role_cell)
            if typed not in roles:
                role = schema.match_list_value(role_cell, schema.MERGE_ROLES)
                roles[typed] = role.key if role else as_text(role_cell)
            merged_on = _cell(row, lead.get("merged_on"))
            entry_values = [None if (value := _cell(row, i)) == "" else value for i in positions]
            log.entries.append(
                LogEntry(
                    merge_id=as_text(_cell(row, lead.get("merge_id"))),
                    merged_on=merged_on if isinstance(merged_on, (dt.date, dt.datetime)) else None,
                    role=roles[typed],
                    sheet=as_text(_cell(row, lead.get("sheet"))),
                    row=_row_number(_cell(row, lead.get("row"))),
                    values=tuple(entry_values),
                    links=_read_lines(_cell(row, trailing.get("links"))),
                    formulas=tuple(
                        (header, _formula_from_log(text))
                        for header, text in _read_lines(_cell(row, trailing.get("formulas")))
                    ),
                    why=as_text(_cell(row, lead.get("why_merged"))),
                )
            )
    return log


def logged_values(headers: Sequence[str], values: Sequence[CellValue]) -> dict[str, object]:
    """A logged Clients row as column key -> value (the first column of each key, as on the Clients sheet)."""
    return {key: value for key, value in zip(_logged_keys(tuple(headers)), values) if key is not None}


def logged_row(headers: Sequence[str], values: Mapping[str, CellValue]) -> list[CellValue]:
    """``values`` (column key -> value) laid out under the log's Clients ``headers``, each under the first header of
    its column: the row :func:`logged_values` reads back."""
    return [values.get(key) if key is not None else None for key in _logged_keys(tuple(headers))]


@functools.lru_cache(maxsize=8)
def _logged_keys(headers: tuple[str, ...]) -> tuple[str | None, ...]:
    """The column key of each of the log's Clients headers, None for a header no column has or one whose key an
    earlier header took. Worked out once per log, not once per row: a log of many merges has many rows."""
    keys: list[str | None] = []
    for header in headers:
        column = schema.match_column(schema.CLIENTS, header)
        keys.append(column.key if column is not None and column.key not in keys else None)
    return tuple(keys)


def merged_pairs(log: MergeLog, region: str) -> list[tuple[ClientRecord, ClientRecord]]:
    """Every duplicate the log holds, as the two records that were merged: the survivor's row as it was then and
    each row merged into it (by ``dedupe``, or imported into it by ``import``). The workbook no longer shows these
    pairs; the match model learns from them as the run that merged them did.

    A pair the log holds more than once alike (the same record imported into one client again and again, say with
    a new comment each time) is one duplicate, and is given once: learnt once per import it would teach that
    duplicates always agree."""
    survivors: dict[str, dict[str, object]] = {}
    merged: list[tuple[str, dict[str, object]]] = []
    for entry in log.entries:
        if entry.role == schema.SURVIVOR_ROLE.key:
            survivors.setdefault(entry.merge_id, logged_values(log.headers, entry.values))
        elif entry.role in (schema.MERGED_ROLE.key, schema.IMPORTED_ROLE.key):
            merged.append((entry.merge_id, logged_values(log.headers, entry.values)))
    rows = [(survivors[merge_id], values) for merge_id, values in merged if merge_id in survivors]
    records = logged_records([row for pair in rows for row in pair], region, first_row=-1)
    pairs: dict[tuple[ClientRecord, ClientRecord], tuple[ClientRecord, ClientRecord]] = {}
    for survivor, row in zip(records[::2], records[1::2]):
        pairs.setdefault((_compared(survivor), _compared(row)), (survivor, row))
    return list(pairs.values())


def _compared(record: ClientRecord) -> ClientRecord:
    """The record as the model compares it: where it was and what else its row held left out."""
    return dataclasses.replace(record, row=0, client_id="", created=None)


def _cell(row: Sequence[CellValue], column: int | None) -> CellValue:
    """The cell of ``row`` in ``column``; None past the row's end or without the column."""
    return row[column] if column is not None and column < len(row) else None


def _lead_key(header: object) -> str | None:
    """The key of the Merge log's own column with this header (either language), or None."""
    return next((key for key in LOG_LEAD_COLUMNS if _is(header, key)), None)


def _row_number(cell: object) -> int:
    """A logged row number; 0 when the cell holds no whole number (typed over in Excel)."""
    if isinstance(cell, bool) or not isinstance(cell, (int, float)) or not math.isfinite(cell) or cell != int(cell):
        return 0  # a NaN or an infinity (a file may hold one) is no number of a row either
    return int(cell)


def _formula_in_log(text: str) -> str:
    """How the Merge log shows a formula (``text`` without its "="): "=text", or, when that would not survive
    a cell of one line per formula (a line break in it, spaces at an end), as a JSON string ("\"=…\"")."""
    shown = "=" + text
    if "\n" in shown or "\r" in shown or shown != shown.strip():
        return json.dumps(shown, ensure_ascii=False)
    return shown


def _formula_from_log(shown: str) -> str:
    """``_formula_in_log`` undone."""
    if shown.startswith('"'):
        try:
            shown = json.loads(shown)
        except ValueError:
            pass
    return shown.removeprefix("=")


def _read_lines(cell: object) -> tuple[tuple[str, str], ...]:
    """The "header → what" lines of a Links or Formulas cell."""
    found = []
    for line in as_text(cell).splitlines():
        header, separator, what = line.partition(_LINK_SEPARATOR)
        if separator and what.strip():
            found.append((header.strip(), what.strip()))
    return tuple(found)


def column_positions(headers: Sequence[object], wanted: Sequence[object]) -> list[int | None]:
    """For each of ``wanted``, the index of the same header among ``headers`` (None: not there).

    Headers match as xlcrm matches them everywhere (``schema.fold``); the second column of two with one header
    matches the second of ``headers`` with it, so two columns of the user's named alike are never one.
    """
    places: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        if not is_blank(header):
            places.setdefault(schema.fold(header), []).append(index)
    seen: dict[str, int] = {}
    positions: list[int | None] = []
    for header in wanted:
        key = schema.fold(header)
        occurrence = seen[key] = seen.get(key, -1) + 1
        found = places.get(key, [])
        positions.append(found[occurrence] if occurrence < len(found) else None)
    return positions


def _log_lead_columns(locale: str) -> list[ReportColumn]:
    """The Merge log's own columns, left of the copied row's."""
    return [
        ReportColumn(label("merge_id", locale)),
        ReportColumn(label("merged_on", locale), ColumnFormat.DATETIME),
        ReportColumn(label("why_merged", locale), width=50),
        ReportColumn(label("role", locale)),
        ReportColumn(label("sheet", locale)),
        ReportColumn(label("row", locale), ColumnFormat.INTEGER),
    ]


# How many columns the Merge log adds to the width of the Clients rows it copies: its own before them, and the
# links and formulas of merged rows after them.
LOG_ADDED_COLUMNS = len(_log_lead_columns("en")) + len((LINKS_HEADERS, FORMULAS_HEADERS))


def merge_log_sheet(log: MergeLog, locale: str) -> ReportSheet:
    """The Merge log sheet: the fixed columns, then each logged row's cells under the Clients headers."""
    columns = _log_lead_columns(locale)
    columns += [ReportColumn(header or " ") for header in log.headers]
    linked = any(entry.links for entry in log.entries)
    with_formulas = any(entry.formulas for entry in log.entries)
    if linked:
        columns.append(ReportColumn(LINKS_HEADERS.get(locale, LINKS_HEADERS["en"])))
    if with_formulas:
        columns.append(ReportColumn(FORMULAS_HEADERS.get(locale, FORMULAS_HEADERS["en"])))
    roles = {role.key: role for role in schema.MERGE_ROLES}
    rows = []
    for entry in log.entries:
        role = roles[entry.role].name(locale) if entry.role in roles else entry.role
        values = [*entry.values, *[None] * (len(log.headers) - len(entry.values))]
        links = "\n".join(f"{header}{_LINK_SEPARATOR}{target}" for header, target in entry.links) or None
        formulas = (
            "\n".join(f"{header}{_LINK_SEPARATOR}{_formula_in_log(text)}" for header, text in entry.formulas) or None
        )
        rows.append(
            [
                entry.merge_id,
                entry.merged_on,
                render(entry.why, locale) or None,
                role,
                entry.sheet,
                entry.row,
                *values,
                *([links] if linked else []),
                *([formulas] if with_formulas else []),
            ]
        )
    return ReportSheet.of(
        schema.MERGE_LOG,
        locale,
        label("merge_log_title", locale),
        tables=[ReportTable(label("merges", locale), columns, rows, autofilter=True)],
    )
