"""Importing rows from another table into a user sheet, without making duplicates.

The source (:mod:`xlcrm.importing.sources`) is mapped onto the sheet's columns
(:mod:`xlcrm.importing.mapping`); each record becomes one row's values: phones and
emails of several columns collected into one cell each, dates and amounts
typed as text turned into real dates and numbers, list values translated to
the workbook's language.

Into Clients, every record meets the clients already there (and the records
added before it) under dedupe's own rules: it is compared by
:func:`xlcrm.dedupe.plan.compare` and the pair decided by
:meth:`xlcrm.dedupe.plan.PairRules.verdict` with the decisions typed on the
Duplicates sheet, so a pair gets the same decision from ``import`` as from
``dedupe``. A record that is a copy of a row (its values there, and the row
blank where the record is) is left out. A certain duplicate (a score from
``dedupe_auto_score`` and an INN, phone or email in common, or a "merge"
decision) is merged as dedupe merges (:func:`xlcrm.dedupe.merge.merged_values`:
blank cells filled, the phones, emails and comments it lacks appended), and
the client as it was goes to the Merge log (``xlcrm unmerge`` undoes it). A
probable one (from ``dedupe_review_score``; names, companies and cities alone
never make more) is added as a new client, and the pair is listed on the
Duplicates sheet for a Decision, as dedupe lists it. A pair kept apart by the
user's decision, or vetoed, is neither. Anything else is a new client with
the next ClientID of the workbook's sequence and today as Created when the
source has no date. A record certain of several clients is merged into the
likeliest: import adds and fills rows, it never joins two clients already
there (``xlcrm dedupe`` does). Into Contacts, Interactions and Contracts, records
need the ClientID of a client on Clients; a record equal to a row already there
is left out, and so is a contract whose ContractID another row has (a contract
changed since is not a second contract: its row is the user's to update). So
importing the same file twice adds nothing the second time.

``import_changes`` works it all out, for the import command to write in one safe save.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pandas as pd

from xlcrm import schema
from xlcrm.checks.client_ids import ClientIdSequence
from xlcrm.checks.normalize import (
    as_text,
    is_blank,
    parse_amount,
    parse_date,
    parse_emails,
    parse_inn,
    split_phone_cell,
)
from xlcrm.checks.settings import Settings, read_settings
from xlcrm.dedupe.keys import email_keys, phone_keys
from xlcrm.dedupe.merge import EMAIL_JOINER, PHONE_JOINER, and_joined, merged_values
from xlcrm.dedupe.merge_log import (
    LogEntry,
    column_positions,
    duplicates_sheet,
    left_out_line,
    logged_row,
    merge_log_sheet,
    merged_pairs,
    pair_probability,
    pair_row,
    pair_row_ids,
    pair_side,
    read_decisions,
    read_duplicates,
    read_merge_log,
    report_rows,
    sheet_rows,
)
from xlcrm.dedupe.plan import (
    CERTAIN,
    DECIDED_MERGE,
    PROBABLE,
    Match,
    PairRules,
    block_cap,
    block_keys,
    blocked_model,
    compare,
    joined,
)
from xlcrm.dedupe.records import ClientRecord, client_records
from xlcrm.errors import MappingError, WorkbookStructureError
from xlcrm.importing.mapping import ColumnMapping, apply_mapping_file, auto_mapping, combined_name, read_mapping_file
from xlcrm.importing.sources import SourceTable
from xlcrm.messages import Message, Number, Text, t, tn
from xlcrm.messages.as_json import JsonFields
from xlcrm.schema import Column, Kind, Sheet
from xlcrm.xlsx.package import row_extras
from xlcrm.xlsx.reader import (
    SheetData,
    WorkbookData,
    require_distinct_headers,
    require_headers_on_row_one,
)
from xlcrm.xlsx.refs import column_index, column_letter
from xlcrm.xlsx.report_sheet import MAX_CELL_TEXT, CellValue, ReportSheet
from xlcrm.xlsx.sheet_edits import SheetEdit

COMMENT_JOINER = "; "
# Imported records are numbered from here while they are matched, apart from the sheet's Excel rows.
_IMPORTED_ROWS = 10_000_000

# What happened to each source record.
ADDED = "added"
MERGED = "merged"  # into an existing client (or a client added earlier in the same import)
REVIEW = "review"  # added, but probably a duplicate: xlcrm dedupe lists the pair
UNCHANGED = "unchanged"  # everything in it is in the workbook already
SKIPPED = "skipped"
OUTCOMES = (ADDED, MERGED, REVIEW, UNCHANGED, SKIPPED)


@dataclass(frozen=True)
class RecordOutcome(JsonFields):
    """One source record: what became of it, and why."""

    source_row: int
    outcome: str
    client_id: str = ""  # the client added, merged into, or already holding it
    detail: Text = ""  # reason, or the probable duplicate's ClientID and score (a message, rendered when shown)
    merge_id: str = ""  # the Merge log entry of a merge into a client already in the workbook


@dataclass(frozen=True)
class ImportChanges:
    """An import worked out: what became of each source record, and the edit and Merge log that carry it out."""

    sheet: str  # the sheet's name in the workbook
    mappings: list[ColumnMapping]
    outcomes: list[RecordOutcome]
    edit: SheetEdit | None  # the cells set and rows appended; None when there is nothing to write
    changed_cells: int  # cells set on rows already in the workbook
    reports: list[ReportSheet]  # the Merge log, when clients already in the workbook were changed
    notes: list[Message]


# What is said of a record skipped or left as it is (messages are rendered when shown, so one serves every run).
_NO_VALUE = t("no value in the imported columns")
_ALREADY_THERE = t("already in the workbook")


# --- records to values ---------------------------------------------------------------------------------


def record_values(
    row: Sequence[object], mappings: Sequence[ColumnMapping], spec: Sheet, locale: str, region: str
) -> dict[str, CellValue]:
    """The cell values one source record gives the sheet's columns, blanks left out."""
    gathered: dict[str, list[object]] = defaultdict(list)
    name_parts: dict[int | None, str] = {}
    for mapping in mappings:
        value = row[mapping.index] if mapping.index < len(row) else None
        if mapping.column is None or is_blank(value):
            continue
        if mapping.column == "name":
            name_parts.setdefault(mapping.part, " ".join(as_text(value).split()))
        else:
            gathered[mapping.column].append(value)
    values: dict[str, CellValue] = {}
    if name_parts:
        values["name"] = combined_name(name_parts)
    for key, found in gathered.items():
        column = spec.column(key)
        if key == "phone":
            values[key] = _collect(found, split_phone_cell, lambda part: phone_keys(part, region), PHONE_JOINER)
        elif key == "email":
            values[key] = _collect(found, _email_parts, email_keys, EMAIL_JOINER)
        elif column.kind == Kind.LONG_TEXT:
            values[key] = _collect(found, lambda v: [as_text(v)], lambda v: {schema.fold(v)}, COMMENT_JOINER)
        else:
            values[key] = convert_value(found[0], column, locale)
    return {key: value for key, value in values.items() if not is_blank(value)}


def _email_parts(value: object) -> list[str]:
    text = as_text(value)
    return list(parse_emails(text).addresses) + list(parse_emails(text).invalid)


def _collect(
    found: Iterable[object],
    parts: Callable[[object], list[str]],
    keys: Callable[[object], Iterable[str]],
    joiner: str,
) -> str:
    """The parts of several cells, each once (by its key, or its folded text when it has none), joined."""
    seen: set[str] = set()
    texts: list[str] = []
    for value in found:
        for part in parts(value):
            part_keys = set(keys(part)) or {schema.fold(part)}
            if part.strip() and not part_keys & seen:
                texts.append(part.strip())
                seen |= part_keys
    return joiner.join(texts)


def _without_percent_sign(value: object, column: Column) -> object:
    """A text such as ``7,5 %`` as ``7,5`` when ``column`` holds per cents (``Discount, %``): other tables write
    the sign the column's header already says; any other value as it is."""
    if isinstance(value, str) and column.en.endswith("%") and value.strip().endswith("%"):
        return value.strip().removesuffix("%")
    return value


def convert_value(value: object, column: Column, locale: str) -> CellValue:
    """A source value as the sheet's column holds it: dates and numbers typed as text become real ones."""
    if column.kind == Kind.DATE:
        parsed = parse_date(value).date
        return parsed if parsed is not None else as_text(value)
    if column.kind in (Kind.MONEY, Kind.NUMBER):
        amount = parse_amount(_without_percent_sign(value, column)).amount
        if amount is None:
            return as_text(value)
        return int(amount) if amount.is_integer() else amount
    if column.kind == Kind.INN:
        inn = parse_inn(value)
        return inn.inn if inn.valid else as_text(value)
    if column.kind in (Kind.BOOL, Kind.CHOICE) and column.choices:
        builtin = schema.FIXED_LISTS.get(column.choices) or schema.SETTINGS_LISTS.get(column.choices) or ()
        known = schema.match_list_value(value, builtin)
        if known is not None:
            return known.name(locale)
        if column.kind == Kind.BOOL:
            return _yes_no(value, locale)
    if isinstance(value, (dt.date, int, float)) and column.kind not in (Kind.PHONE, Kind.ID, Kind.INN):
        return value
    return as_text(value)


def _yes_no(value: object, locale: str) -> str:
    folded = schema.fold(value)
    if folded in {"1", "true", "y", "д", "x", "+"}:
        return schema.YES.name(locale)
    if folded in {"0", "false", "n", "н", "-"}:
        return schema.NO.name(locale)
    return as_text(value)


def _same(held: object, value: CellValue, key: str, region: str) -> bool:
    """Whether a cell already holds ``value``: every phone and email in it, the comment in it, or equal."""
    if is_blank(held):
        return False
    if key == "phone":
        wanted = phone_keys(value, region)
        return bool(wanted) and wanted <= phone_keys(held, region) or schema.fold(value) == schema.fold(held)
    if key == "email":
        wanted = email_keys(value)
        return bool(wanted) and wanted <= email_keys(held) or schema.fold(value) == schema.fold(held)
    if isinstance(value, dt.date):
        return parse_date(held).date == value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = parse_amount(held).amount
        return amount is not None and abs(amount - value) < 0.005
    if key == "comment":
        return schema.fold(value) in {
            schema.fold(part) for part in as_text(held).split(COMMENT_JOINER.strip())
        } or schema.fold(value) == schema.fold(held)
    if key == "inn":
        return parse_inn(held).inn == parse_inn(value).inn
    return schema.fold(as_text(held)) == schema.fold(as_text(value))


def holds(existing: Mapping[str, object], values: Mapping[str, CellValue], region: str) -> bool:
    """Whether a row already holds every value of a record."""
    return all(_same(existing.get(key), value, key, region) for key, value in values.items())


# --- into Clients -----------------------------------------------------------------------------------------


@dataclass
class _Plan:
    outcomes: list[RecordOutcome] = field(default_factory=list)
    appended: list[dict[str, CellValue]] = field(default_factory=list)  # column key -> value
    changed: dict[int, dict[str, CellValue]] = field(default_factory=dict)  # Excel row -> column key -> value
    merged_into: dict[int, list[int]] = field(default_factory=dict)  # Excel row -> outcomes of records merged in
    incoming: dict[int, dict[str, CellValue]] = field(default_factory=dict)  # outcome -> its record, merged in
    review: list[list[CellValue]] = field(default_factory=list)  # pairs for the Duplicates sheet, as dedupe lists them


class _ClientMatcher:
    """The clients of the workbook and those added by this import, found by the duplicate rules' keys."""

    def __init__(self, sheet: SheetData, settings: Settings):
        self.settings = settings
        self.region = settings.phone_region
        self.records: dict[int, ClientRecord] = {}
        self.values: dict[int, dict[str, object]] = {}
        self.blocks: dict[str, set[int]] = defaultdict(set)
        self.names: dict[str, set[int]] = defaultdict(set)  # folded name or company -> rows
        frame = sheet.frame
        for record, values in zip(client_records(sheet, self.region), frame.to_dict("records")):
            self.values[record.row] = cast(dict[str, object], values)  # the frame's columns are column keys
            self.add(record)

    def add(self, record: ClientRecord) -> None:
        self.records[record.row] = record
        for key in block_keys(record):
            self.blocks[key].add(record.row)
        for text in {schema.fold(record.shown_name), schema.fold(record.shown_company)} - {""}:
            self.names[text].add(record.row)

    def same_names(self, record: ClientRecord) -> list[int]:
        """Rows with the same name or company as typed: where a record with no key to block by is looked for."""
        texts = {schema.fold(record.shown_name), schema.fold(record.shown_company)} - {""}
        if not texts:
            return list(self.values)  # a record with neither (only a city, say) is compared with every client
        return sorted({row for text in texts for row in self.names.get(text, ())})

    def candidates(self, record: ClientRecord) -> list[int]:
        rows: set[int] = set()
        for key in block_keys(record):
            block = self.blocks.get(key, ())
            if len(block) < block_cap(key):
                rows.update(block)
        return sorted(rows)

    def records_of(self, values: Mapping[int, Mapping[str, object]]) -> dict[int, ClientRecord]:
        """The keys of records by row, made by the duplicate rules' own :func:`xlcrm.dedupe.plan.client_records`."""
        columns = list(dict.fromkeys(key for record in values.values() for key in record))
        frame = pd.DataFrame(
            [[record.get(key) for key in columns] for record in values.values()],
            columns=columns,
            index=pd.Index(list(values), name="row"),
            dtype=object,
        )
        sheet = SheetData(schema.CLIENTS, "", frame, letters={key: "" for key in columns})
        return {record.row: record for record in client_records(sheet, self.region)}


def _merge_detail(
    reason: Text, left_whole: Sequence[str], kept_formulas: Sequence[str], spec: Sheet, locale: str
) -> Text:
    """What is said of a merged record: the reason of its match, which of its cells could not be appended whole
    (see ``merged_values``), and which it had values for where the client's cells hold formulas."""
    detail = reason
    if left_whole:
        detail = t(
            "{reason}; its {columns} not appended: together longer than Excel's limit of {limit} characters for one "
            "cell, so the client keeps its own",
            reason=detail,
            columns=and_joined([spec.column(key).name(locale) for key in left_whole]),
            limit=Number(MAX_CELL_TEXT),
        )
    if kept_formulas:
        detail = t(
            "{reason}; its {columns} not written: the client's cells there hold formulas, kept as they are",
            reason=detail,
            columns=and_joined([spec.column(key).name(locale) for key in kept_formulas]),
        )
    return detail


def _plan_clients(
    table: SourceTable,
    mappings: Sequence[ColumnMapping],
    data: WorkbookData,
    sheet: SheetData,
    settings: Settings,
    today: dt.date,
) -> _Plan:
    plan = _Plan()
    matcher = _ClientMatcher(sheet, settings)
    # The clients' cells computed by formulas: a record merged into a client never writes over one.
    formulas = row_extras(data.path, sheet.name, sheet.frame.index.tolist()).formula_cells if len(sheet.frame) else ()
    # Dedupe's own rules with the decisions typed on the Duplicates sheet: a pair is decided as dedupe decides it.
    rules = PairRules.of(matcher.records.values(), settings, read_decisions(report_rows(data, schema.DUPLICATES)))
    region = settings.phone_region
    imported = {m.column for m in mappings if m.column}
    ids = ClientIdSequence.for_workbook(data)
    new_rows: dict[int, int] = {}  # matcher row of a client added by this import -> index in plan.appended
    pairs: list[Match] = []  # probable duplicates of the clients added, for review
    every_values = [record_values(row, mappings, sheet.spec, data.locale, region) for row in table.rows]
    records = (
        matcher.records_of({_IMPORTED_ROWS + number: values for number, values in enumerate(every_values) if values})
        if any(every_values)
        else {}
    )
    # One model for the clients there and the records coming in, learnt as dedupe learns it. Records that are copies
    # of a row are left out of it: a file exported from this very workbook would otherwise make every pair look
    # likelier, as if the base held that many duplicates.
    news = {
        row: record
        for row, record in records.items()
        if not any(
            _equal_row(matcher.values[other], every_values[row - _IMPORTED_ROWS], imported, region)
            for other in matcher.candidates(record)
        )
    }
    merged = merged_pairs(read_merge_log(report_rows(data, schema.MERGE_LOG)), region)
    model = blocked_model({**matcher.records, **news}, merged).model
    for number, (source_row, values) in enumerate(zip(table.row_numbers, every_values)):
        if not values:
            plan.outcomes.append(RecordOutcome(source_row, SKIPPED, detail=_NO_VALUE))
            continue
        record = records[_IMPORTED_ROWS + number]
        candidates = matcher.candidates(record)
        # A copy of a row (imported before, say) is no news whatever the rules say of the pair: so importing a file
        # twice adds nothing. A record with no key to meet others by (a lone first name) is looked for by its name.
        pool = candidates if candidates else matcher.same_names(record)
        copy = next((row_ for row_ in pool if _equal_row(matcher.values[row_], values, imported, region)), None)
        if copy is not None:
            plan.outcomes.append(
                RecordOutcome(source_row, UNCHANGED, as_text(matcher.values[copy]["client_id"]), _ALREADY_THERE)
            )
            continue
        # The record as the client it becomes if added, with its ClientID and Created: so the decisions typed for
        # that ClientID apply, and each pair is ordered and worded as dedupe, meeting both rows, orders and words it.
        created = values.get("created", today if sheet.has("created") else None)
        record = dataclasses.replace(record, client_id=ids.upcoming(), created=parse_date(created).date)
        verdicts = [
            rules.verdict(
                compare(matcher.records[other], record, model), matcher.records[other].client_id, record.client_id
            )
            for other in candidates
        ]
        merges = [match for verdict, match in verdicts if verdict in (CERTAIN, DECIDED_MERGE)]
        best = max(merges, key=lambda m: (m.probability, -_other(m, record.row)), default=None)
        if best is not None:
            outcome = _merge_record(plan, matcher, record.row, best, values, new_rows, sheet, data.locale, formulas)
            # Import fills one client; whether the others it is like are that client too is dedupe's to say.
            others = [as_text(matcher.values[_other(m, record.row)]["client_id"]) for m in merges if m is not best]
            detail = (
                t("{detail}; also like {client_ids}: left to xlcrm dedupe", detail=outcome.detail, client_ids=others)
                if others
                else outcome.detail
            )
            plan.outcomes.append(dataclasses.replace(outcome, source_row=source_row, detail=detail))
            continue
        values = {"client_id": ids.next(), **values}
        if created is not None:
            values.setdefault("created", created)
        # Every column of the sheet, so a later record of the same client can fill what this one left blank.
        held_values: dict[str, object] = {key: None for key in sheet.letters}
        held_values.update(values)
        matcher.values[record.row] = held_values
        matcher.add(record)
        new_rows[record.row] = len(plan.appended)
        plan.appended.append(values)
        review = sorted((m for verdict, m in verdicts if verdict == PROBABLE), key=lambda m: -m.probability)
        pairs += review
        detail = joined(
            [
                t(
                    "probably {client_id} ({reason})",
                    client_id=as_text(matcher.values[_other(m, record.row)]["client_id"]),
                    reason=m.reason,
                )
                for m in review
            ]
        )
        plan.outcomes.append(RecordOutcome(source_row, REVIEW if review else ADDED, record.client_id, detail))
    # Each side as the import leaves it, so a client filled by a later record shows its filled cells.
    plan.review = [
        pair_row(
            None,
            match.percent,
            match.reason,
            pair_side(matcher.values[match.first]),
            pair_side(matcher.values[match.second]),
            data.locale,
        )
        for match in pairs
    ]
    return plan


def _other(match: Match, row: int) -> int:
    """The row of the pair ``match`` that is not ``row``."""
    return match.second if match.first == row else match.first


def _merge_record(
    plan: _Plan,
    matcher: _ClientMatcher,
    row: int,
    match: Match,
    values: dict[str, CellValue],
    new_rows: Mapping[int, int],
    sheet: SheetData,
    locale: str,
    formulas: Collection[tuple[int, int]],
) -> RecordOutcome:
    """The record of matcher row ``row`` merged as dedupe merges, into the client it is a certain duplicate of:
    blanks filled, phones, emails and comments it lacks appended (``merge.merged_values``), but no cell among
    ``formulas`` (row, column index) written over; what became of the record, its source row left for the caller to
    fill in."""
    other = _other(match, row)
    held = matcher.values[other]
    left_whole: list[str] = []
    changes = merged_values([held, values], matcher.region, left_whole)
    # A formula's result may read as blank (""), but the cell is the owner's formula, not a blank to fill.
    kept = [key for key in changes if (other, column_index(sheet.letters[key])) in formulas]
    for key in kept:
        del changes[key]
    held.update(changes)
    if other in new_rows:
        plan.appended[new_rows[other]].update(changes)
    elif changes:
        plan.changed.setdefault(other, {}).update(changes)
        plan.merged_into.setdefault(other, []).append(len(plan.outcomes))
        plan.incoming[len(plan.outcomes)] = values
    if changes:
        matcher.add(matcher.records_of({other: held})[other])
    # A record whose only news could not be written is not in the workbook: said as skipped.
    outcome = MERGED if changes else SKIPPED if left_whole or kept else UNCHANGED
    return RecordOutcome(
        0, outcome, as_text(held["client_id"]), _merge_detail(match.reason, left_whole, kept, sheet.spec, locale)
    )


# --- into Contacts, Interactions and Contracts ------------------------------------------------------------


def _plan_rows(
    table: SourceTable, mappings: Sequence[ColumnMapping], data: WorkbookData, sheet: SheetData, settings: Settings
) -> _Plan:
    plan = _Plan()
    clients = data.sheet(schema.CLIENTS.key)
    known = {as_text(v) for v in clients.column_values("client_id")} if clients is not None else set()
    known.discard("")
    frame = sheet.frame
    imported = {m.column for m in mappings if m.column}
    existing: dict[str, list[dict[str, object]]] = defaultdict(list)  # by ClientID
    for row in frame.index:
        held: dict[str, object] = {key: frame.at[row, key] for key in frame.columns}
        existing[as_text(held.get("client_id"))].append(held)
    region = settings.phone_region
    # A contract is one row: a record with the ContractID of another row (there, or added before it) is not added.
    contract_ids = _contract_ids(sheet)
    for source_row, row in zip(table.row_numbers, table.rows):
        values = record_values(row, mappings, sheet.spec, data.locale, region)
        client_id = as_text(values.get("client_id"))
        contract_id = as_text(values.get("contract_id"))
        if not values:
            plan.outcomes.append(RecordOutcome(source_row, SKIPPED, detail=_NO_VALUE))
        elif not client_id:
            plan.outcomes.append(RecordOutcome(source_row, SKIPPED, detail=t("no ClientID")))
        elif client_id not in known:
            plan.outcomes.append(RecordOutcome(source_row, SKIPPED, client_id, t("no client with this ClientID")))
        elif (copy := _first_equal(existing[client_id], values, imported, region)) is not None:
            # Each row there stands for one record: a file holding the same call twice (two calls) adds the second
            # when the sheet holds one, and importing the file again adds neither.
            del existing[client_id][copy]
            plan.outcomes.append(RecordOutcome(source_row, UNCHANGED, client_id, _ALREADY_THERE))
        elif contract_ids is not None and contract_id and contract_id in contract_ids:
            detail = t("ContractID {contract_id} is on another row already", contract_id=contract_id)
            plan.outcomes.append(RecordOutcome(source_row, SKIPPED, client_id, detail))
        else:
            if contract_ids is not None and contract_id:
                contract_ids.add(contract_id)
            plan.appended.append(values)
            plan.outcomes.append(RecordOutcome(source_row, ADDED, client_id))
    return plan


def _first_equal(
    rows: Sequence[Mapping[str, object]], values: Mapping[str, CellValue], imported: set[str], region: str
) -> int | None:
    """The position in ``rows`` of the first that is the same row as ``values`` (``_equal_row``); None if none is."""
    return next((index for index, held in enumerate(rows) if _equal_row(held, values, imported, region)), None)


def _contract_ids(sheet: SheetData) -> set[str] | None:
    """The ContractIDs on ``sheet`` when it is the Contracts sheet; None for any other sheet."""
    if sheet.spec is not schema.CONTRACTS:
        return None
    return {text for value in sheet.column_values("contract_id") if (text := as_text(value))}


def _equal_row(held: Mapping[str, object], values: Mapping[str, CellValue], imported: set[str], region: str) -> bool:
    """The same row: every imported value there, and nothing else in the imported columns."""
    return holds(held, values, region) and all(is_blank(held.get(key)) for key in imported - values.keys())


# --- the command ------------------------------------------------------------------------------------------


def choose_mapping(table: SourceTable, spec: Sheet, locale: str, mapping_file: Path | None) -> list[ColumnMapping]:
    """The automatic mapping of the source's headers, with the mapping file's lines over it."""
    mappings = auto_mapping(spec, table.headers, locale)
    if mapping_file is not None:
        mappings = apply_mapping_file(
            spec, table.headers, mappings, read_mapping_file(mapping_file), locale, str(mapping_file)
        )
    return mappings


def import_changes(
    table: SourceTable,
    data: WorkbookData,
    spec: Sheet,
    *,
    mapping_file: Path | None = None,
    today: dt.date,
    now: dt.datetime | None = None,
) -> ImportChanges:
    """The records of ``table`` imported into the user sheet ``spec`` of the workbook ``data`` was read from (see the
    module's docstring); merges into clients already there are logged as made at ``now`` (default: the real time)."""
    target = data.sheet(spec.key)
    locale = data.locale
    if target is None:
        raise WorkbookStructureError(
            t("{path} has no {sheet} sheet to import into", path=str(data.path), sheet=spec.name(locale))
        )
    require_headers_on_row_one(target)
    require_distinct_headers(data)
    mappings = choose_mapping(table, spec, locale, mapping_file)
    needed = ("client_id",) if spec.key != schema.CLIENTS.key else ()
    for key in needed:
        if not any(m.column == key for m in mappings):
            raise _missing_column(spec, key, locale, table)
    notes: list[Message] = []
    lacking = sorted({m.column for m in mappings if m.column and not target.has(m.column)})
    if "client_id" in lacking or (spec.key == schema.CLIENTS.key and not target.has("client_id")):
        raise WorkbookStructureError(
            t("{sheet} has no {column} column", sheet=target.name, column=spec.column("client_id").name(locale))
        )
    for key in lacking:
        notes.append(
            t(
                "{sheet} has no {column} column: its values were not imported",
                sheet=target.name,
                column=spec.column(key).name(locale),
            )
        )
    mappings = [
        m
        if m.column not in lacking
        else ColumnMapping(
            m.header,
            m.index,
            None,
            origin=t("no {column} column on {sheet}", column=spec.column(m.column).name(locale), sheet=target.name),
        )
        for m in mappings
    ]
    if not any(m.column for m in mappings):
        notes.append(t("no source column matches a column of the sheet: use --map to say which is which"))

    settings, _findings = read_settings(data)
    if spec.key == schema.CLIENTS.key:
        plan = _plan_clients(table, mappings, data, target, settings, today)
    else:
        plan = _plan_rows(table, mappings, data, target, settings)

    letters = target.letters
    set_cells = {
        f"{letters[key]}{row}": value for row, changes in plan.changed.items() for key, value in changes.items()
    }
    append_rows = [
        {letters[key]: value for key, value in values.items() if value is not None} for values in plan.appended
    ]
    # In dedupe's order: the Duplicates sheet, then the Merge log.
    reports = []
    if plan.review:
        duplicates, left_off = list_for_review(data, plan.review, settings.dedupe_review_limit)
        reports.append(duplicates)
        if left_off:
            notes.append(
                tn(
                    "{count} pair of this import waits for a later run of xlcrm dedupe: {sheet} lists at most {limit} "
                    "pairs (Settings, dedupe_review_limit)",
                    "{count} pairs of this import wait for a later run of xlcrm dedupe: {sheet} lists at most {limit} "
                    "pairs (Settings, dedupe_review_limit)",
                    left_off,
                    sheet=schema.DUPLICATES.name(locale).removeprefix(schema.REPORT_MARKER),
                    limit=Number(settings.dedupe_review_limit),
                )
            )
    if plan.changed:
        reports.append(log_merges(data, plan, table.path.name, now or dt.datetime.now().replace(microsecond=0)))
    edit = SheetEdit(target.name, set_cells=set_cells, append_rows=append_rows) if set_cells or append_rows else None
    return ImportChanges(target.name, mappings, plan.outcomes, edit, len(set_cells), reports, notes)


def list_for_review(data: WorkbookData, pairs: Sequence[Sequence[CellValue]], limit: int) -> tuple[ReportSheet, int]:
    """The Duplicates sheet as read with the import's pairs for review added below its own: the pairs, decisions
    and repeated interactions already there are kept as they are, so nothing typed there is lost.

    The import's pairs fill the list up to ``limit`` pairs (Settings' dedupe_review_limit), the likeliest first; the
    line above the pairs says how many wait for a later run. When an earlier run left pairs out, how many is not
    known any more, and the line says only that more come. Returns the sheet and how many of the import's pairs it
    left off."""
    content = read_duplicates(report_rows(data, schema.DUPLICATES))
    known = {pair_row_ids(row) for row in content.pairs}
    news = sorted((list(row) for row in pairs if pair_row_ids(row) not in known), key=pair_probability, reverse=True)
    room = max(0, limit - len(content.pairs))
    content.pairs += news[:room]
    left_out = max(0, len(news) - room)
    if content.left_out and news:
        content.left_out = t(
            "Listed: {listed} pairs; more come on the next run, once these are decided",
            listed=Number(len(content.pairs)),
        )
    elif left_out:
        content.left_out = left_out_line(len(content.pairs), left_out)
    return duplicates_sheet(content, data.locale), left_out


def log_merges(data: WorkbookData, plan: _Plan, source: str, now: dt.datetime) -> ReportSheet:
    """The Merge log with every client the import changed, as it was before, so ``xlcrm unmerge`` restores it.

    Each changed client is one merge of its own: its row as it was, then each record of the file ``source`` merged
    into it (role imported, the client's ClientID, the record's row in the file), from which the match model keeps
    learning what a duplicate looks like. The outcomes of those records name its Merge ID.
    """
    clients = data.sheets[schema.CLIENTS.key]
    log = read_merge_log(report_rows(data, schema.MERGE_LOG))
    raw = sheet_rows(data, schema.CLIENTS)
    header_row = raw[0] if len(raw) else []
    before = {row: raw[row - 1] for row in plan.changed}
    width = max(len(header_row), *(len(values) for values in before.values()))
    headers = [
        as_text(header_row[i]) if i < len(header_row) and not is_blank(header_row[i]) else f"({column_letter(i)})"
        for i in range(width)
    ]
    if not log.headers:
        log.headers = headers
    # Where each Clients column lands among the log's columns (an older log may have other columns).
    follow = column_positions(headers, log.headers)
    for row in sorted(plan.changed):
        merge_id = log.next_id()
        values = before[row]
        log.entries.append(
            LogEntry(
                merge_id,
                now,
                schema.SURVIVOR_ROLE.key,
                clients.name,
                row,
                tuple(values[i] if i is not None and i < len(values) else None for i in follow),
                why=joined(
                    [
                        t(
                            "source row {number}: {detail}",
                            number=plan.outcomes[index].source_row,
                            detail=plan.outcomes[index].detail,
                        )
                        for index in plan.merged_into[row]
                    ],
                    " | ",
                ),
            )
        )
        client_id = as_text(clients.frame.at[row, "client_id"])
        for index in plan.merged_into[row]:
            outcome = plan.outcomes[index]
            plan.outcomes[index] = dataclasses.replace(outcome, merge_id=merge_id)
            record = {**plan.incoming[index], "client_id": client_id}
            log.entries.append(
                LogEntry(
                    merge_id,
                    now,
                    schema.IMPORTED_ROLE.key,
                    source,
                    outcome.source_row,
                    tuple(logged_row(log.headers, record)),
                    why=t("source row {number}: {detail}", number=outcome.source_row, detail=outcome.detail),
                )
            )
    return merge_log_sheet(log, data.locale)


def _missing_column(spec: Sheet, key: str, locale: str, table: SourceTable) -> MappingError:
    headers = ", ".join(repr(h) for h in table.headers if h)
    return MappingError(
        t(
            "rows for {sheet} need a {column} column, and none of the source's headers ({headers}) is one; name it "
            "in a --map file",
            sheet=spec.name(locale),
            column=spec.column(key).name(locale),
            headers=headers,
        )
    )
