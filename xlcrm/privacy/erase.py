"""Erasing clients' personal data from a workbook: what ``xlcrm forget`` changes, and every place it found.

A client who asks to be forgotten keeps their Clients row, so that the interactions still count (revenue, orders and
blocks do not change): its ClientID and business fields stay (Source, Manager, Designation, Reason lost, Rating,
Consent date as evidence of the consent given, Created, City, a legal entity's Company, Discount and Payment term,
the terms the business gave) and its personal fields are cleared (INN, Phone, Email, Address, Birthday, Comment,
Card number, a sole trader's Company «ИП …», and the user's own columns on that row, whose content xlcrm cannot
judge); its Name says «Данные удалены (C000123)», so the row is still a client, and two erased clients never look
alike. The client's Contacts rows are deleted; its Interactions stay as anonymous history with their free text
(Result, Comment, Next action) and their Next date cleared, since nobody is to be called back (their Order No.
stays: the business's number of an order, as its amount); its Contracts stay with their ContractID, number, dates,
amount, term, parent and status (a contract's terms and money are the business's, not the person's) and their
Comment cleared, a free text that may say anything about the person (a Subject, a Number or the user's own column
that holds one of the person's values is cleared like any other cell, below). The Merge log loses every merge the
client took part in (its rows copy the client's), the Duplicates sheet every row naming the client, Block history
its rows; any other cell of a user sheet that still shows one of the person's values (a colleague's comment with
their phone, a sheet of the user's) is cleared, except formulas, which compute again from the cleared cells, and the
values of the workbook's lists (a contact named like a manager). A value another client holds too, or holds within
one of theirs, is theirs as well and is kept; a ClientID on two rows is refused. Report
sheets that still show a value are left to the job (refresh's reports are rebuilt, others removed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xlcrm import schema
from xlcrm.checks.erased import erased_name, is_erased
from xlcrm.checks.normalize import as_text, is_blank
from xlcrm.checks.settings import read_settings
from xlcrm.dedupe.keys import company_name
from xlcrm.dedupe.merge_log import (
    DuplicatesContent,
    MergeLog,
    duplicates_sheet,
    logged_values,
    pair_row_ids,
    read_duplicates,
    read_merge_log,
    report_rows,
)
from xlcrm.dedupe.merge_log import merge_log_sheet as merge_log_report
from xlcrm.errors import ClientNotFound, NotAWorkbook, WorkbookStructureError, quoted
from xlcrm.lifecycle.history import BlockHistory, history_sheet, read_history
from xlcrm.messages import Message, Text, t
from xlcrm.messages.as_json import JsonFields
from xlcrm.privacy.traces import Matcher, PersonValues, cells_holding, phone_numbers
from xlcrm.xlsx.package import rows_with_formula
from xlcrm.xlsx.reader import SheetData, WorkbookData, every_sheet_rows
from xlcrm.xlsx.refs import column_index, column_letter
from xlcrm.xlsx.report_sheet import CellValue, ColumnFormat, ReportColumn, ReportSheet, ReportTable
from xlcrm.xlsx.sheet_edits import SheetEdit

# Clients columns whose values are the person's; Name gets the erased name, Company is cleared for a sole trader only.
PERSONAL_CLIENT_COLUMNS = ("inn", "phone", "email", "address", "birthday", "comment", "card_number")
# The columns of free text (and the plan to call back) cleared on the client's rows of the sheets that keep them.
CLEARED_COLUMNS: tuple[tuple[schema.Sheet, tuple[str, ...]], ...] = (
    (schema.INTERACTIONS, ("result", "comment", "next_action", "next_date")),
    (schema.CONTRACTS, ("comment",)),
)
# Clients and Contacts columns whose values are looked for elsewhere. Not the Card number: a number the business
# gave out, which names the person only beside the Clients row it is cleared from, and which, looked for as digits
# inside every cell and part of the package, would be found in an INN, an amount or a drawing offset; a report
# sheet with a cell that is the card whole is rebuilt (see _clear_other_cells).
SEARCHED_TEXT_COLUMNS = ("name", "inn", "email", "address")
# Report sheets the erasure rewrites itself from their rows read back.
REWRITTEN_REPORTS = (schema.MERGE_LOG, schema.DUPLICATES, schema.BLOCK_HISTORY, schema.ERASURE_LOG)

ERASURE_LOG_TEXTS: dict[str, Message] = {
    "title": t("Erasure log: personal data erased by xlcrm forget (this sheet holds none)"),
    "erasures": t("Erasures"),
    "client_id": t("ClientID"),
    "erased_on": t("Erased on"),
    "reason": t("Reason"),
    "places": t("Places erased"),
    "backups": t("Backups erased"),
}


@dataclass(frozen=True)
class Place(JsonFields):
    """A place the person's data was found: a cell or rows of a sheet, and what is done there."""

    sheet: str
    where: str  # "D14", a row "5:5", merge IDs, or "" for the whole sheet or part
    action: Text  # cleared, deleted, removed, rebuilt

    def __str__(self) -> str:
        return f"{self.sheet}!{self.where}" if self.where else self.sheet


@dataclass
class Erasure:
    """What erasing some clients changes in one workbook."""

    client_ids: list[str]  # clients whose data is erased now
    already_erased: list[str]  # clients asked for whose Clients row was erased before
    people: list[PersonValues]  # each client's values, to look for elsewhere
    edits: list[SheetEdit] = field(default_factory=list)
    reports: list[ReportSheet] = field(default_factory=list)  # Merge log, Duplicates, Block history rewritten
    places: list[Place] = field(default_factory=list)
    # Other report sheets that still show one of the values: rebuilt or removed by the job.
    showing_reports: list[str] = field(default_factory=list)
    history: BlockHistory = field(default_factory=BlockHistory)  # Block history without the clients
    # (ClientID erased, another client's ClientID) for each value the two share (the same name, a shared office
    # phone): it is that client's data too, so it is neither looked for nor erased elsewhere.
    shared: list[tuple[str, str]] = field(default_factory=list)
    # The clients the Merge log says were merged into them: the same people, still apart in older backups.
    merged_ids: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        """Whether anything is to be written."""
        return bool(self.edits or self.reports or self.showing_reports)


def plan_erasure(
    data: WorkbookData,
    client_ids: Sequence[str],
    *,
    known: Sequence[PersonValues] = (),
    require_known: bool = True,
) -> Erasure:
    """What erasing ``client_ids`` changes in the workbook ``data`` was read from (see the module's docstring).

    ``known``: values of the same people found elsewhere (the workbook, for a backup), looked for as well. With
    ``require_known`` an ID that is not on Clients raises ``ClientNotFound`` (one naming every such ID); else it
    is erased from wherever it still is."""
    clients = data.sheet(schema.CLIENTS.key)
    if clients is None or not clients.has("client_id"):
        raise NotAWorkbook(t("{path} has no Clients sheet with a ClientID column", path=data.path))
    ids = _as_written(clients, client_ids)
    rows = _client_rows(clients, ids)
    if require_known and (unknown := [client_id for client_id in ids if client_id not in rows]):
        raise ClientNotFound(
            t("no client with ClientID {ids} on {sheet}; nothing was changed", ids=unknown, sheet=quoted(clients.name))
        )
    # Two rows with one ClientID may be two people (validate reports it): erasing both would erase the wrong one.
    shared_id = next((client_id for client_id in ids if len(rows.get(client_id, ())) > 1), None)
    if require_known and shared_id is not None and not _is_erased(clients, rows[shared_id], shared_id):
        raise WorkbookStructureError(
            t(
                "ClientID {client_id} is on rows {rows} of {sheet}: which of them is the person to forget? Give the "
                "other rows ClientIDs of their own, or clear them; nothing was changed",
                client_id=shared_id,
                rows=rows[shared_id],
                sheet=quoted(clients.name),
            )
        )
    already = [client_id for client_id in ids if _is_erased(clients, rows.get(client_id, []), client_id)]
    erasing = [client_id for client_id in ids if client_id not in already]
    log = read_merge_log(report_rows(data, schema.MERGE_LOG))
    people = {client_id: _person(data, clients, rows.get(client_id, []), client_id, log) for client_id in ids}
    for person in known:
        if person.client_id in people:
            people[person.client_id].merge(person)
    erasure = Erasure(erasing, already, list(people.values()))
    erasure.merged_ids = sorted(_merged_into(log, set(ids)) - set(ids))
    erasure.shared = _keep_shared(data, clients, people.values(), set(ids))
    _keep_listed(data, people.values())
    _erase_clients(erasure, data, clients, {client_id: rows.get(client_id, []) for client_id in erasing})
    _erase_contacts(erasure, data, set(erasing))
    for spec, columns in CLEARED_COLUMNS:
        _clear_free_text(erasure, data.sheet(spec.key), columns, set(erasing))
    _rewrite_reports(erasure, data, set(ids), log)
    cards = _card_numbers(clients, [row for client_id in erasing for row in rows.get(client_id, [])])
    _clear_other_cells(erasure, data, cards)
    return erasure


def _keep_shared(
    data: WorkbookData, clients: SheetData, people: Iterable[PersonValues], ids: set[str]
) -> list[tuple[str, str]]:
    """Take out of ``people`` the values that other clients (not among ``ids``) or their contacts hold too;
    returns (ClientID, other ClientID) for each value taken out."""
    people = list(people)
    texts = {text.casefold() for person in people for text in person.texts}
    phones = {phone for person in people for phone in person.phones}
    owners: dict[str, str] = {}
    for sheet in (clients, data.sheet(schema.CONTACTS.key)):
        if sheet is not None and sheet.has("client_id"):
            for value, holder in _owners(sheet, ids, texts, phones).items():
                owners.setdefault(value, holder)
    shared = []
    for person in people:
        for text in sorted(person.texts):
            if (owner := owners.get(text.casefold())) is not None:
                person.texts.discard(text)
                shared.append((person.client_id, owner))
        for phone in sorted(person.phones):
            if (owner := owners.get(phone)) is not None:
                person.phones.discard(phone)
                shared.append((person.client_id, owner))
    return shared


def _keep_listed(data: WorkbookData, people: Iterable[PersonValues]) -> None:
    """Take out of ``people`` the values that are whole items of the workbook's lists (Managers, Sources …): a
    contact named like a manager leaves the manager's name on Settings and in every Manager cell. A cell that only
    mentions the person (a Source typed with their name and phone) is still found by their other values."""
    settings, _ = read_settings(data)
    for person in people:
        person.texts = {
            text for text in person.texts if not any(settings.allows(key, text) for key in schema.LIST_SOURCES)
        }


def _owners(sheet: SheetData, ids: set[str], texts: set[str], phones: set[str]) -> dict[str, str]:
    """Each of ``texts`` (case-folded) and ``phones`` (national digits) that a row of ``sheet`` whose ClientID is
    not among ``ids`` holds -> that row's ClientID."""
    frame = sheet.frame
    client_ids = frame["client_id"].map(as_text)
    others = frame[~client_ids.isin(list(ids))]
    owners: dict[str, str] = {}
    for key in (*SEARCHED_TEXT_COLUMNS, "company"):
        if key in others.columns:
            folded = others[key].map(lambda value: as_text(value).casefold())
            # A value within another client's (their address «г. Тула, ул. Октябрьская, д. 1» holding «ул.
            # Октябрьская, д. 1») is theirs too: looked for, it would clear their cell.
            for text in texts:
                holding = Matcher([PersonValues("", texts={text})])
                hits = folded[folded.str.contains(text, regex=False)]
                owner = next((row for row, value in zip(hits.index, hits) if holding.count(value)), None)
                if owner is not None:
                    owners.setdefault(text, client_ids[owner])
    if "phone" in others.columns and phones:
        numbers = others["phone"].map(phone_numbers).explode().dropna()
        hits = numbers[numbers.isin(list(phones))]
        for row, value in zip(hits.index, hits):
            owners.setdefault(str(value), client_ids[row])
    return owners


def _as_written(clients: SheetData, client_ids: Sequence[str]) -> list[str]:
    """``client_ids`` each once, as Clients writes them (``c000123`` typed for ``C000123``)."""
    written = {as_text(value).casefold(): as_text(value) for value in clients.column_values("client_id").unique()}
    given = (as_text(client_id) for client_id in client_ids)
    return list(dict.fromkeys(written.get(client_id.casefold(), client_id) for client_id in given))


def _client_rows(clients: SheetData, ids: Collection[str]) -> dict[str, list[int]]:
    """ClientID -> its rows on Clients (a ClientID typed twice has two), for the IDs among ``ids``."""
    rows: dict[str, list[int]] = {}
    for row, client_id in _rows_of(clients, ids):
        rows.setdefault(client_id, []).append(row)
    return rows


def _rows_of(sheet: SheetData, ids: Collection[str]) -> list[tuple[int, str]]:
    """(row, ClientID) of each row of ``sheet`` whose ClientID is among ``ids``."""
    given = sheet.column_values("client_id").map(as_text)
    hits = given[given.isin(list(ids))]
    return [(int(row), client_id) for row, client_id in zip(hits.index, hits)]


def _is_erased(clients: SheetData, rows: Sequence[int], client_id: str) -> bool:
    """Whether the client's rows were erased before: their Name is the erased one, in either language."""
    return bool(rows) and all(is_erased(clients.frame.at[row, "name"], client_id) for row in rows)


def _person(data: WorkbookData, clients: SheetData, rows: Sequence[int], client_id: str, log: MergeLog) -> PersonValues:
    """The values of the client's Clients rows, Contacts rows and logged merges."""
    person = PersonValues(client_id)
    for row in rows:
        _add_values(person, {key: clients.frame.at[row, key] for key in clients.frame.columns})
    contacts = data.sheet(schema.CONTACTS.key)
    if contacts is not None and contacts.has("client_id"):
        mine = contacts.frame[contacts.frame["client_id"].map(as_text) == client_id]
        for _, values in mine.iterrows():
            _add_values(person, values.to_dict())
    for merge_id in _merges_of(log, {client_id}):
        for entry in log.entries:
            if entry.merge_id == merge_id and entry.role != schema.REPOINTED_ROLE.key:
                _add_values(person, logged_values(log.headers, entry.values))
    for locale in schema.LOCALES:  # an erased row's Name is no trace of the person
        person.texts.discard(erased_name(client_id, locale))
    return person


def _add_values(person: PersonValues, values: Mapping[str, object]) -> None:
    """Look for the searched values among ``values`` (column key -> value) too."""
    for key in SEARCHED_TEXT_COLUMNS:
        person.add_text(values.get(key))
    if company_name(values.get("company")).individual:
        person.add_text(values.get("company"))
    person.add_phones(values.get("phone"))


def _merges_of(log: MergeLog, ids: Collection[str]) -> set[str]:
    """The merges of the log that ``ids`` took part in, as survivor or merged client (or re-pointed to)."""
    position = next((i for i, header in enumerate(log.headers) if _is_client_id(header)), None)
    return {
        entry.merge_id
        for entry in log.entries
        if position is not None and position < len(entry.values) and as_text(entry.values[position]) in ids
    }


def _merged_into(log: MergeLog, ids: Collection[str]) -> set[str]:
    """The ClientIDs of the Clients rows logged in the merges ``ids`` took part in."""
    position = next((i for i, header in enumerate(log.headers) if _is_client_id(header)), None)
    merges = _merges_of(log, ids)
    return {
        as_text(entry.values[position])
        for entry in log.entries
        if entry.merge_id in merges
        and entry.role != schema.REPOINTED_ROLE.key
        and position is not None
        and position < len(entry.values)
        and not is_blank(entry.values[position])
    }


def _is_client_id(header: object) -> bool:
    column = schema.match_column(schema.CLIENTS, header)
    return column is not None and column.key == "client_id"


def _erase_clients(erasure: Erasure, data: WorkbookData, clients: SheetData, rows: Mapping[str, list[int]]) -> None:
    """The Clients rows: Name marked erased, personal fields and the user's own columns cleared."""
    cells: dict[str, CellValue] = {}
    for client_id, numbers in rows.items():
        for row in numbers:
            cells[_ref(clients, "name", row)] = erased_name(client_id, data.locale)
            for key in PERSONAL_CLIENT_COLUMNS:
                if clients.has(key) and not is_blank(clients.frame.at[row, key]):
                    cells[_ref(clients, key, row)] = None
            if clients.has("company") and company_name(clients.frame.at[row, "company"]).individual:
                cells[_ref(clients, "company", row)] = None
            cells.update(_own_cells(clients, row, data.path))
    _add_cleared(erasure, clients.name, cells)


def _own_cells(sheet: SheetData, row: int, path: Path) -> dict[str, CellValue]:
    """The user's own columns of ``row`` that hold a value (not a formula), cleared."""
    raw = sheet.raw_rows or []
    cells: dict[str, CellValue] = {}
    for header, letter in sheet.extra_letters.items():
        if header.startswith(schema.REPORT_MARKER):
            continue  # xlcrm's computed columns: blocks and figures, no personal data
        column = column_index(letter)
        values = raw[row - 1] if row - 1 < len(raw) else []
        if (
            column < len(values)
            and not is_blank(values[column])
            and not rows_with_formula(path, sheet.name, [row], column)
        ):
            cells[f"{letter}{row}"] = None
    return cells


def _ref(sheet: SheetData, key: str, row: int) -> str:
    """The cell of column ``key`` in ``row``, as ``D14``."""
    return f"{sheet.letters[key]}{row}"


def _add_cleared(erasure: Erasure, sheet: str, cells: Mapping[str, CellValue]) -> None:
    if not cells:
        return
    erasure.edits.append(SheetEdit(sheet, set_cells=dict(cells)))
    erasure.places += [
        Place(sheet, ref, t("name marked erased") if value is not None else t("cleared"))
        for ref, value in cells.items()
    ]


def _erase_contacts(erasure: Erasure, data: WorkbookData, ids: set[str]) -> None:
    contacts = data.sheet(schema.CONTACTS.key)
    if contacts is None or not contacts.has("client_id") or not ids:
        return
    rows = sorted(row for row, _ in _rows_of(contacts, ids))
    if rows:
        erasure.edits.append(SheetEdit(contacts.name, delete_rows=rows))
        erasure.places += [Place(contacts.name, f"{row}:{row}", t("row deleted")) for row in rows]


def _clear_free_text(erasure: Erasure, sheet: SheetData | None, columns: Sequence[str], ids: set[str]) -> None:
    """The cells of ``columns`` on the rows of ``sheet`` that belong to the clients ``ids``, cleared."""
    if sheet is None or not sheet.has("client_id") or not ids:
        return
    frame = sheet.frame
    mine = frame.index[frame["client_id"].map(as_text).isin(ids)]
    cells: dict[str, CellValue] = {
        _ref(sheet, key, int(row)): None
        for row in mine
        for key in columns
        if sheet.has(key) and not is_blank(frame.at[row, key])
    }
    _add_cleared(erasure, sheet.name, cells)


def _rewrite_reports(erasure: Erasure, data: WorkbookData, ids: set[str], log: MergeLog) -> None:
    """The Merge log without the clients' merges, Duplicates without rows naming them, Block history without
    their rows; each only when it changes."""
    locale = data.locale
    merges = _merges_of(log, ids)
    if merges:
        kept = MergeLog(log.headers, [entry for entry in log.entries if entry.merge_id not in merges])
        erasure.reports.append(merge_log_report(kept, locale))
        erasure.places.append(Place(schema.MERGE_LOG.name(locale), ", ".join(sorted(merges)), t("removed")))
    duplicates = read_duplicates(report_rows(data, schema.DUPLICATES))
    without = DuplicatesContent(
        [row for row in duplicates.pairs if not pair_row_ids(row) & ids],
        [row for row in duplicates.kept if not {as_text(cell) for cell in row[1:3]} & ids],
        [row for row in duplicates.repeated if as_text(row[0] if row else None) not in ids],
        duplicates.left_out,
    )
    if without != duplicates:
        erasure.reports.append(duplicates_sheet(without, locale))
        erasure.places.append(Place(schema.DUPLICATES.name(locale), "", t("rows removed")))
    history = read_history(data.report_rows.get(schema.BLOCK_HISTORY.key, []))
    snapshots = {day: {c: b for c, b in blocks.items() if c not in ids} for day, blocks in history.snapshots.items()}
    erasure.history = BlockHistory(history.counts, snapshots)
    if snapshots != history.snapshots:
        last = max(history.counts, default=None) or max(snapshots, default=dt.date.today())
        erasure.reports.append(history_sheet(erasure.history, locale, last))
        erasure.places.append(Place(schema.BLOCK_HISTORY.name(locale), "", t("rows removed")))


def _clear_other_cells(erasure: Erasure, data: WorkbookData, cards: Collection[str]) -> None:
    """Every other cell of a user sheet that shows one of the values: cleared, unless a formula (it computes
    again); report sheets that show one, an erased ClientID or one of the erased ``cards`` (▸ Problems names a card
    number of the wrong length), are noted for the job."""
    matcher = Matcher(erasure.people)
    # A report row keyed by an erased ClientID shows the client (a name the search may not find alone, a surname).
    shown_whole = set(cards) | set(erasure.client_ids)
    if not matcher and not shown_whole:
        return
    handled, deleted = _handled_cells(erasure)
    rewritten = {schema.fold(spec.name(locale)) for spec in REWRITTEN_REPORTS for locale in schema.LOCALES}
    for sheet, rows in every_sheet_rows(data.path).items():
        if schema.fold(sheet) in rewritten:
            continue
        found = cells_holding(rows, matcher)
        if sheet.startswith(schema.REPORT_MARKER):
            if found or _shows_whole(rows, shown_whole):
                erasure.showing_reports.append(sheet)
            continue
        if not found:
            continue
        done, gone = handled.get(sheet.casefold(), set()), deleted.get(sheet.casefold(), set())
        by_column: dict[int, list[int]] = {}
        for row, column in found:
            if (row, column) not in done and row not in gone:
                by_column.setdefault(column, []).append(row)
        cells: dict[str, CellValue] = {}
        for column, rows_found in by_column.items():
            formulas = rows_with_formula(data.path, sheet, rows_found, column)
            cells.update({f"{column_letter(column)}{row}": None for row in rows_found if row not in formulas})
        _add_cleared(erasure, sheet, cells)


def _card_numbers(clients: SheetData, rows: Iterable[int]) -> set[str]:
    """The Card numbers of the Clients ``rows``, as their cells show them."""
    if not clients.has("card_number"):
        return set()
    cells = (clients.frame.at[row, "card_number"] for row in rows)
    return {as_text(cell).strip() for cell in cells if not is_blank(cell)}


def _shows_whole(rows: Sequence[Sequence[object]], values: Collection[str]) -> bool:
    """Whether a cell of ``rows`` is one of ``values`` whole: an erased ClientID, or a card number (digits: found
    inside a longer number it would be another number, an INN or an amount)."""
    return bool(values) and any(
        not is_blank(value) and as_text(value).strip() in values for row in rows for value in row
    )


def _handled_cells(erasure: Erasure) -> tuple[dict[str, set[tuple[int, int]]], dict[str, set[int]]]:
    """The cells the edits already set, as (row, 0-based column), and the rows they delete, by case-folded sheet
    name."""
    handled: dict[str, set[tuple[int, int]]] = {}
    deleted: dict[str, set[int]] = {}
    for edit in erasure.edits:
        handled.setdefault(edit.sheet.casefold(), set()).update(edit.cell_values())
        deleted.setdefault(edit.sheet.casefold(), set()).update(edit.delete_rows)
    return handled, deleted


# --- the Erasure log ---------------------------------------------------------------------------


_LOG_COLUMNS = 5  # ClientID, Erased on, Reason, Places erased, Backups erased


@dataclass(frozen=True)
class ErasureEntry:
    """One row of the Erasure log: no personal data, only what was done."""

    client_id: str
    erased_on: dt.date
    reason: str
    places: int
    backups: int

    def row(self) -> list[CellValue]:
        """The entry as a row of the log."""
        return [self.client_id, self.erased_on, self.reason or None, self.places, self.backups]


def erasure_log_sheet(data: WorkbookData, entries: Iterable[ErasureEntry]) -> ReportSheet:
    """The Erasure log: the rows read back, then ``entries``."""
    locale = data.locale

    def text(key: str) -> str:
        return ERASURE_LOG_TEXTS[key].render(locale)

    columns = [
        ReportColumn(text("client_id")),
        ReportColumn(text("erased_on"), ColumnFormat.DATE),
        ReportColumn(text("reason"), ColumnFormat.LONG_TEXT, width=40),
        ReportColumn(text("places"), ColumnFormat.INTEGER),
        ReportColumn(text("backups"), ColumnFormat.INTEGER),
    ]
    rows = logged_erasures(data) + [entry.row() for entry in entries]
    return ReportSheet.of(
        schema.ERASURE_LOG,
        locale,
        text("title"),
        tables=[ReportTable(text("erasures"), columns, rows, autofilter=True)],
    )


def logged_erasures(data: WorkbookData) -> list[list[CellValue]]:
    """The rows of the Erasure log read back: those under its header row (found in either language), up to the
    first without a ClientID."""
    headers = {schema.fold(spelling) for spelling in _spellings("client_id")}
    rows = report_rows(data, schema.ERASURE_LOG)
    start = next((i + 1 for i, row in enumerate(rows) if row and schema.fold(row[0]) in headers), len(rows))
    body = []
    for row in rows[start:]:
        if not row or is_blank(row[0]):
            break
        cells = [_whole(cell) for cell in row[:_LOG_COLUMNS]]
        body.append([*cells, *[None] * (_LOG_COLUMNS - len(cells))])
    return body


def _whole(cell: CellValue) -> CellValue:
    """A count read back as the whole number it was written as (the reader gives numbers as floats)."""
    return int(cell) if isinstance(cell, float) and cell.is_integer() else cell


def _spellings(key: str) -> tuple[str, ...]:
    return tuple(ERASURE_LOG_TEXTS[key].render(locale) for locale in schema.LOCALES)
