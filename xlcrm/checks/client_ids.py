"""ClientIDs: the sequence new ones continue, and the blank ones xlcrm fills before it saves a workbook.

A client typed in by hand (at the bottom of Clients, inside its table or below it) has no ClientID yet. Every
command that saves the workbook (refresh, dedupe, import) first gives each Clients row that has a Name or a Company
but a blank ClientID the next free ID, in row order: after the last one on Clients, in its most common form,
skipping any ID that another sheet xlcrm reads names (Contacts, Interactions, Contracts, Duplicates, Merge log,
Block history), so a new client inherits no other client's interactions, contracts, decisions or history. It then
works on the workbook as if the IDs had been typed in: the new client is validated, imported into and sorted into
its block like any other, and the IDs are written in the same save as the rest. Dedupe merges a new client like any
other, but as a client without an ID: an established client it duplicates survives and keeps its ID. A row with
neither Name nor Company (a manager or date filled down ahead of time, a totals row) is no client and gets nothing
(validation names it), nor does a ClientID cell holding a formula (the user's own numbering); the ClientIDs of
Contacts, Interactions and Contracts point at clients and are never made up.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlcrm import schema
from xlcrm.checks.normalize import as_text
from xlcrm.messages import Message, Text, t
from xlcrm.xlsx.package import rows_with_formula
from xlcrm.xlsx.reader import SheetData, WorkbookData
from xlcrm.xlsx.refs import column_index
from xlcrm.xlsx.report_sheet import CellValue
from xlcrm.xlsx.sheet_edits import RowMap, SheetEdit

DEFAULT_ID_PREFIX = "C"
DEFAULT_ID_DIGITS = 6
_CLIENT_ID = re.compile(r"^([A-Za-zА-Яа-я]*)(\d+)$")


def id_sequence(ids: Iterable[object]) -> tuple[str, int, int]:
    """(prefix, digits, last number) of the workbook's ClientIDs: new ones continue the most common prefix.

    Digits is the width most of that prefix's IDs are written in (the narrower one on a tie): one ID typed short by
    hand among ``C000001`` … ``C000300`` does not unpad the next ones (``C000301`` follows ``C5``), and IDs that
    were never padded (``K1`` … ``K12``) stay unpadded, a number wider than the digits being written whole.
    """
    count: dict[str, int] = defaultdict(int)
    widths: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    last: dict[str, int] = defaultdict(int)
    for value in ids:
        match = _CLIENT_ID.match(as_text(value))
        if match:
            prefix, number = match.groups()
            count[prefix] += 1
            widths[prefix][len(number)] += 1
            last[prefix] = max(last[prefix], int(number))
    if not count:
        return DEFAULT_ID_PREFIX, DEFAULT_ID_DIGITS, 0
    prefix = max(count, key=lambda p: (count[p], p == DEFAULT_ID_PREFIX))
    written = widths[prefix]
    return prefix, max(written, key=lambda width: (written[width], -width)), last[prefix]


def client_id_text(number: int, prefix: str = DEFAULT_ID_PREFIX, digits: int = DEFAULT_ID_DIGITS) -> str:
    """The ClientID numbered ``number``: ``C000301`` in a workbook of xlcrm's own IDs."""
    return f"{prefix}{number:0{digits}d}"


class ClientIdSequence:
    """The free ClientIDs after those of Clients (see ``id_sequence``), handed out one by one; an ID in ``taken``
    is skipped."""

    def __init__(self, ids: Iterable[object], taken: Collection[str] = frozenset()):
        self.prefix, self.digits, self.last = id_sequence(ids)
        self.taken = taken

    @classmethod
    def for_workbook(cls, data: WorkbookData) -> ClientIdSequence:
        """The free ClientIDs of the workbook: after those of its Clients sheet, none that another sheet names
        (see ``named_client_ids``)."""
        clients = data.sheet(schema.CLIENTS.key)
        ids = clients.column_values("client_id") if clients is not None else ()
        return cls(ids, named_client_ids(data))

    def upcoming(self) -> str:
        """The ClientID ``next`` gives next, not taken yet."""
        number = self.last + 1
        while client_id_text(number, self.prefix, self.digits) in self.taken:
            number += 1
        return client_id_text(number, self.prefix, self.digits)

    def next(self) -> str:
        """The next free ClientID, taken."""
        client_id = self.upcoming()
        self.last = int(client_id[len(self.prefix) :])
        return client_id


def named_client_ids(data: WorkbookData) -> set[str]:
    """The ClientIDs any sheet xlcrm reads names, whether a client on Clients has them or not: those Contacts,
    Interactions and Contracts point at, and those on the report sheets read back (the Duplicates sheet's pairs and
    kept-apart decisions, the Merge log, the Block history). A new client given one would take over an interaction
    or a contract logged under a mistyped ID, clash with the client an unmerge puts back, inherit a past client's
    block history, or be merged by a Decision typed for another client."""
    named: set[str] = set()
    for spec in schema.CLIENT_POINTING_SHEETS:
        sheet = data.sheet(spec.key)
        if sheet is not None and sheet.has("client_id"):
            named.update(as_text(value) for value in sheet.distinct("client_id")[1])
    # Report sheets hold IDs in several tables and columns (the Merge log copies whole Clients rows): any text
    # there shaped like a ClientID may be one, and skipping a number in vain costs nothing.
    for spec in schema.READ_BACK_REPORTS:
        for row in data.report_rows.get(spec.key, ()):
            named.update(text for value in row if isinstance(value, str) and _CLIENT_ID.match(text := value.strip()))
    return named


@dataclass(frozen=True)
class AssignedId:
    """A ClientID xlcrm gave a Clients row whose ClientID was blank."""

    sheet: str  # the Clients sheet's actual name
    row: int | None  # Excel row; None once the row is deleted, merged into another client in the same save
    cell: str | None  # "Clients!A302"; None with ``row``
    client_id: str
    client: str  # the row's name and company as typed, so a person knows which row it is
    merged_into: str | None = None  # the ClientID of the client this new one is merged into in the same run

    def text(self, *, with_sheet: bool = False) -> Message:
        """``C000301 to row 302 (Иванов Иван, ООО «Ромашка»)``, ``… to row 302 of Клиенты (…)`` ``with_sheet``; a
        client merged away in the same run is ``C000301 to a new row (…) merged into C000007``, or ``… to row 302
        (…), to be merged into C000007`` while its row is still there (a dry run)."""
        sheet: Text = t(" of {sheet_name}", sheet_name=self.sheet) if with_sheet else ""
        client: Text = t(" ({client})", client=self.client) if self.client else ""
        if self.row is None:
            return t(
                "{id} to a new row{sheet}{client} merged into {into}",
                id=self.client_id,
                sheet=sheet,
                client=client,
                into=self.merged_into,
            )
        merged: Text = t(", to be merged into {into}", into=self.merged_into) if self.merged_into else ""
        return t(
            "{id} to row {row}{sheet}{client}{merged}",
            id=self.client_id,
            row=self.row,
            sheet=sheet,
            client=client,
            merged=merged,
        )

    def to_dict(self) -> dict[str, Any]:
        """The assignment as JSON-ready values, as ``--json`` prints it (``row`` and ``cell`` null for a row merged
        away, ``merged_into`` null for a client not merged)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class FilledIds:
    """The workbook with its blank ClientIDs filled: what every later stage of a saving command works on."""

    data: WorkbookData  # as read, but for the ClientIDs assigned (``data`` itself when none were blank)
    assigned: tuple[AssignedId, ...]  # in row order
    edit: SheetEdit | None  # the ClientID cells to write; None when none were blank

    @property
    def new_rows(self) -> frozenset[int]:
        """The Excel rows of Clients given an ID: clients without one until this run."""
        return frozenset(assigned.row for assigned in self.assigned if assigned.row is not None)

    def edits_beside(self, edits: Sequence[SheetEdit]) -> list[SheetEdit]:
        """The edits that write the new IDs in one save with ``edits``: none for a row those delete (a new client
        merged into another is gone; the Merge log keeps it with its new ID)."""
        if self.edit is None:
            return []
        deleted = self._deleted(edits)
        if not deleted:
            return [self.edit]
        ((letter, ids),) = self.edit.set_columns.items()
        kept = {row: client_id for row, client_id in ids.items() if not deleted.is_deleted(row)}
        return [dataclasses.replace(self.edit, set_columns={letter: kept})] if kept else []

    def as_read(self, merged_into: Mapping[int, str]) -> tuple[AssignedId, ...]:
        """The assignments under the row numbers as read (what a dry run shows), each new client that the run
        merges into another (``merged_into``: its ClientID by merged Excel row) saying into which."""
        return tuple(
            dataclasses.replace(assigned, merged_into=survivor)
            if assigned.row is not None and (survivor := merged_into.get(assigned.row))
            else assigned
            for assigned in self.assigned
        )

    def as_saved(self, edits: Sequence[SheetEdit], merged_into: Mapping[int, str]) -> tuple[AssignedId, ...]:
        """The assignments under the row numbers they have once ``edits`` (saved with them) removed the rows of
        merged duplicates above them; a new client merged away itself has no row left and says into which client
        it went (``merged_into``: its ClientID by merged Excel row)."""
        deleted = self._deleted(edits)
        saved = []
        for assigned in self.as_read(merged_into):
            row = deleted.row(assigned.row) if assigned.row is not None else None
            if row is None:
                saved.append(dataclasses.replace(assigned, row=None, cell=None))
            elif row != assigned.row:
                cell = (assigned.cell or "").rstrip("0123456789") + str(row)
                saved.append(dataclasses.replace(assigned, row=row, cell=cell))
            else:
                saved.append(assigned)
        return tuple(saved)

    def _deleted(self, edits: Sequence[SheetEdit]) -> RowMap:
        """The rows of Clients that ``edits`` delete."""
        sheet = self.edit.sheet.casefold() if self.edit is not None else None
        return RowMap([row for edit in edits if edit.sheet.casefold() == sheet for row in edit.delete_rows])


def fill_blank_client_ids(data: WorkbookData) -> FilledIds:
    """The next free ClientID for every Clients row that has a Name or a Company but a blank ClientID, in row order.

    A row with neither is no client to xlcrm (validation warns of it): a manager or a date filled down ahead of
    time, a totals row. It keeps its blank ClientID, so it gets no block and counts in no report.

    Nothing is assigned without a readable Clients sheet with a ClientID column (validation says why). The cells
    are set through a ``SheetEdit``, which keeps each cell's style (a new cell takes the style above it).
    """
    clients = data.sheet(schema.CLIENTS.key)
    if clients is None or clients.misplaced_header or not clients.has("client_id"):
        return FilledIds(data, (), None)
    codes, _ = clients.distinct("client_id")
    blank = (codes < 0) & _names_client(clients)
    if not blank.any():
        return FilledIds(data, (), None)
    letter = clients.letters["client_id"]
    rows = clients.frame.index.to_numpy()[blank].tolist()
    # A ClientID cell whose formula gives nothing yet is the user's formula's to fill: a value would replace it.
    with_formula = rows_with_formula(data.path, clients.name, rows, column_index(letter))
    rows = [row for row in rows if row not in with_formula]
    if not rows:
        return FilledIds(data, (), None)
    sequence = ClientIdSequence.for_workbook(data)
    new_ids = [sequence.next() for _ in rows]
    assigned = tuple(
        AssignedId(clients.name, row, clients.cell("client_id", row), client_id, _shown_client(clients, row))
        for row, client_id in zip(rows, new_ids)
    )
    edit = SheetEdit(clients.name, set_columns={letter: dict(zip(rows, new_ids))})
    return FilledIds(data.with_sheet(schema.CLIENTS.key, _with_ids(clients, rows, new_ids)), assigned, edit)


def _names_client(clients: SheetData) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per row of the frame, whether its Name or Company is filled: what makes a row a client (as validation
    says)."""
    names = [key for key in ("name", "company") if clients.has(key)]
    named: np.ndarray[Any, np.dtype[np.bool_]] = clients.frame[names].notna().any(axis=1).to_numpy(dtype=bool)
    return named


def _shown_client(clients: SheetData, row: int) -> str:
    parts = (as_text(clients.frame.at[row, key]) for key in ("name", "company") if clients.has(key))
    return ", ".join(part for part in parts if part)


def _with_ids(clients: SheetData, rows: list[int], new_ids: list[str]) -> SheetData:
    """The Clients sheet as read with ``new_ids`` typed into the ClientID cells of ``rows``."""
    frame = clients.frame.copy()
    frame.loc[rows, "client_id"] = new_ids
    raw_rows = clients.raw_rows
    if raw_rows is not None:  # the Merge log copies rows from here: a merged new client is logged with its ID
        position = column_index(clients.letters["client_id"])
        raw_rows = list(raw_rows)
        for row, client_id in zip(rows, new_ids):
            cells: list[CellValue] = list(raw_rows[row - 1])  # Excel row n is rows[n - 1]
            cells += [""] * (position + 1 - len(cells))
            cells[position] = client_id
            raw_rows[row - 1] = cells
    filled = dataclasses.replace(clients, frame=frame, raw_rows=raw_rows)
    every_row = np.ones(len(frame), dtype=bool)
    filled.keep_distinct(clients, every_row, [key for key in frame.columns if key != "client_id"])
    return filled
