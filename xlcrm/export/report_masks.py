"""The report sheets of an anonymised copy: every personal value they repeat masked as on the user sheets.

A report sheet is a stack of tables, each under a header row. A header row that
names the ClientID column, or two columns of Clients or Contacts (``Телефон``,
``Компания``; the Duplicates sheet's ``Телефон A`` and ``Телефон B`` are two
groups, each with its own ``ID клиента A`` / ``B``), starts a table that runs to
the next blank row: its cells under those columns are masked by their kind, with
the pseudonym of the client of the row's (group's) ClientID. That covers the
original rows of the Merge log and the Duplicates sheet, which the user sheets no
longer hold. Every other text (a title, an Agenda task, a reason for a merge, a
value on Problems) has each original masked elsewhere replaced by its mask, and
its phones and e-mails masked; a number that is a masked INN or phone is masked.
An Agenda row that greets a birthday loses its due date, which is the birthday.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xlcrm import schema
from xlcrm.checks.normalize import is_blank
from xlcrm.export.masking import PERSONAL_COLUMNS, Kind, Masker
from xlcrm.messages import t
from xlcrm.reports.agenda import TASK_NAMES
from xlcrm.xlsx.reader import read_sheet_rows
from xlcrm.xlsx.refs import column_letter
from xlcrm.xlsx.report_sheet import CellValue
from xlcrm.xlsx.sheet_edits import SheetEdit

_ID = "id"  # the header of a table's ClientID column
_DUE = "due"  # the header of the Agenda's due date
_BIRTHDAY_TASKS = ("birthday", "contact_birthday")
_SHARED_HEADERS = 2  # headers of user sheets' columns that make a row without a ClientID header a table's header


@dataclass(frozen=True)
class Column:
    """What a header of a report's table says its column holds."""

    kind: Kind | str  # a kind of personal value, _ID or _DUE
    group: str = ""  # "A" or "B" on the Duplicates sheet: which client of the row
    contact: bool = False  # a contact person's name, not a client's


@dataclass
class _Table:
    columns: dict[int, Column] = field(default_factory=dict)  # column number (0-based) -> what it holds

    def client_id(self, row: Sequence[CellValue], group: str) -> CellValue:
        """The ClientID of ``group`` in ``row``; None when the table has none."""
        for number, column in self.columns.items():
            if column.kind == _ID and column.group == group and number < len(row):
                return row[number]
        return None

    def due(self) -> int | None:
        """The column of the due date, when the table has one."""
        return next((number for number, column in self.columns.items() if column.kind == _DUE), None)


def report_edits(path: Path, reports: Sequence[str], masker: Masker) -> list[SheetEdit]:
    """The cells to mask on each of the report sheets ``reports`` of the workbook at ``path``; the user sheets'
    values are masked by ``masker`` already, so their originals are known."""
    headers = _headers(masker.locale)
    birthday_tasks = tuple(TASK_NAMES[task].render(masker.locale) for task in _BIRTHDAY_TASKS)
    masked: dict[str, dict[str, CellValue]] = {}
    free: dict[str, dict[str, CellValue]] = {}  # the cells outside the tables' personal columns, per sheet
    for name, rows in read_sheet_rows(path, reports).items():
        masked[name], free[name] = _masked_cells(name, rows, masker, headers, birthday_tasks)
    # The free texts last, once the tables' originals (the Merge log's merged rows) are known too.
    for name, cells in free.items():
        for ref, value in cells.items():
            scrubbed = masker.scrub(value)
            if scrubbed != value:
                masked[name][ref] = scrubbed
    return [SheetEdit(name, set_cells=cells) for name, cells in masked.items() if cells]


def _headers(locale: str) -> dict[str, Column]:
    """Folded header text -> its column, for the headers a report's table shares with the user sheets."""
    headers: dict[str, Column] = {}
    for spec, columns in PERSONAL_COLUMNS:
        for key, kind in columns.items():
            header = schema.fold(spec.column(key).name(locale))
            headers.setdefault(header, Column(kind, contact=spec is schema.CONTACTS and kind is Kind.NAME))
    headers[schema.fold(schema.CLIENT_NAME.column.name(locale))] = Column(Kind.NAME)
    headers[schema.fold(schema.CLIENTS.column("client_id").name(locale))] = Column(_ID)
    headers[schema.fold(t("Due date").render(locale))] = Column(_DUE)
    return headers


def _table(row: Sequence[CellValue], headers: dict[str, Column]) -> _Table | None:
    """The table ``row`` is the header of; None when it is not a header."""
    table = _Table()
    for number, value in enumerate(row):
        if not isinstance(value, str):
            continue
        folded = schema.fold(value)
        head, _, group = folded.rpartition(" ")
        column = headers.get(folded) or (headers.get(head) if len(group) == 1 else None)
        if column is not None:
            table.columns[number] = column if folded in headers else Column(column.kind, group.upper(), column.contact)
    ids = sum(column.kind == _ID for column in table.columns.values())
    return table if ids or len(table.columns) >= _SHARED_HEADERS else None


def _masked_cells(
    sheet: str,
    rows: Sequence[Sequence[CellValue]],
    masker: Masker,
    headers: dict[str, Column],
    birthday_tasks: tuple[str, ...],
) -> tuple[dict[str, CellValue], dict[str, CellValue]]:
    """The cells of the report ``sheet`` (its ``rows``) under the personal columns of its tables that change
    (reference -> masked value), and the other cells (reference -> value), which may repeat originals."""
    cells: dict[str, CellValue] = {}
    free: dict[str, CellValue] = {}
    table: _Table | None = None
    for number, row in enumerate(rows, start=1):
        if all(is_blank(value) for value in row):
            table = None
            continue
        header = _table(row, headers)
        if header is not None:
            table = header
            continue
        greeting = any(isinstance(value, str) and value.startswith(birthday_tasks) for value in row)
        due = table.due() if table is not None and greeting else None
        for column, value in enumerate(row):
            if is_blank(value):
                continue
            ref = f"{column_letter(column)}{number}"
            spec = table.columns.get(column) if table is not None else None
            if column == due:
                cells[ref] = None
            elif spec is not None and isinstance(spec.kind, Kind):
                client = table.client_id(row, spec.group) if table is not None else None
                client = f"\x00{sheet}!{number}{spec.group}" if is_blank(client) else client
                masked = masker.mask(spec.kind, value, client, contact=spec.contact)
                if masked != value:
                    cells[ref] = masked
            else:
                free[ref] = value
    return cells, free
