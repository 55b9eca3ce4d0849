"""Reading a workbook: file checks, fast loading of the user sheets, header mapping.

Values are read with python-calamine (a Rust reader) rather than openpyxl: it
is an order of magnitude faster and gives real ``date``/``datetime`` objects
for date-formatted cells. Every row keeps its Excel row number so findings can
point at ``Clients!D14``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import itertools
import operator
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from xlcrm import schema
from xlcrm.errors import (
    BeyondLimits,
    EncryptedWorkbook,
    NotAWorkbook,
    WorkbookNotFound,
    WorkbookStructureError,
    joined,
    quoted,
)
from xlcrm.messages import Message, Text, t
from xlcrm.runtime import progress
from xlcrm.runtime.child_process import Child, ChildProcessFailed
from xlcrm.runtime.paths import path_problem
from xlcrm.schema import Column, Sheet
from xlcrm.xlsx.columnar import CellGrid, read_grid, read_rows
from xlcrm.xlsx.limits import check_entries_readable, check_package, check_sheet, damaged_zip, sheet_parts
from xlcrm.xlsx.refs import MAX_COLUMNS, column_letter, sheet_ref
from xlcrm.xlsx.report_sheet import CellValue
from xlcrm.xlsx.xml_io import SheetWithoutCells
from xlcrm.xlsx.zip_writer import ZIP_MAGIC

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# How far down we look for a header row that is not on row 1, to say where it is.
HEADER_SEARCH_ROWS = 10
# From this file size on, work that can go to a process of its own does (read_in_process, xlcrm.xlsx.prerender):
# starting one costs about half a second of imports, worth it only when the work takes seconds.
BIG_WORKBOOK_BYTES = 8 * 2**20
# User sheets that grow into the hundreds of thousands of rows (a log of every call): read_workbook reads them on
# a worker thread while the other sheets are read and worked on, and a caller waits only when it asks for one.
BACKGROUND_SHEETS = (schema.INTERACTIONS,)

# An OLE container (an .xls file, or a password-protected .xlsx) starts with this; a protected one holds a
# stream of this name.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class FileStamp:
    """What a file looked like when read, to notice if someone saved it since."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        """The file's size, modification time and SHA-256 now."""
        stat = path.stat()
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return cls(stat.st_size, stat.st_mtime_ns, digest.hexdigest())

    def same_file(self, path: Path) -> bool:
        """Whether the file at ``path`` still has this size and modification time: not written since."""
        try:
            stat = path.stat()
        except OSError:
            return False
        return stat.st_size == self.size and stat.st_mtime_ns == self.mtime_ns


@dataclass(frozen=True)
class HeaderClash:
    """Two header cells of one sheet that xlcrm matches as the same column (case and surrounding spaces aside)."""

    header: str  # the first cell's text, as typed
    first: str  # column letters, left to right
    second: str
    read: bool  # a column xlcrm reads or writes (a schema column or a computed one), not a user's own

    def text(self, sheet_name: str) -> Message:
        """``Clients!E1 and Clients!K1 both head Phone``."""
        where = sheet_ref(sheet_name)
        return t(
            "{first} and {second} both head {header}",
            first=f"{where}!{self.first}1",
            second=f"{where}!{self.second}1",
            header=self.header,
        )


@dataclass
class SheetData:
    """One user sheet as read: values by schema column key, indexed by Excel row number."""

    spec: Sheet
    name: str
    frame: pd.DataFrame
    letters: dict[str, str] = field(default_factory=dict)  # column key -> column letter
    extra_columns: list[str] = field(default_factory=list)  # the user's own headers, kept untouched
    missing_columns: list[Column] = field(default_factory=list)
    header_clashes: list[HeaderClash] = field(default_factory=list)
    header_row: int = 1
    # Every cell as read ("" for blank), kept only for sheets in schema.RAW_ROW_SHEETS: a merge log must
    # record rows exactly, the user's own columns included. None as well when read_workbook was asked for no rows
    # as read (the saved copy a comparison reads): only a read that compares values may ask so.
    raw_rows: Sequence[Sequence[CellValue]] | None = None
    extra_letters: dict[str, str] = field(default_factory=dict)  # each of those headers -> its column letter
    width: int = 0  # columns of the sheet's used range: the first free column is column_letter(width)
    # Columns whose header carries the report marker are xlcrm's own (computed): header -> {row: value}, so the
    # next run rewrites only the cells whose value changed.
    owned_values: dict[str, dict[int, object]] = field(default_factory=dict)
    misplaced_header: int | None = None  # the row the headers were found on, when that is not row 1
    # The user's own columns (headers without the report marker), by header as typed, indexed like ``frame``; a
    # header typed twice is told apart by its column letter: ``Note (K)``. Read to notice changes the user made.
    extra_values: pd.DataFrame | None = None
    # The sheet's XML without its cells, when the read had all of it in hand (``columnar.read_grid``).
    without_cells: SheetWithoutCells | None = None
    # What ``distinct`` worked out, by column key. The frame is never changed once read (a changed sheet is a
    # new SheetData), so it stays true.
    _distinct: dict[str, tuple[np.ndarray, list[object]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def cell(self, column_key: str, row: int) -> str:
        """Reference such as ``Clients!D14`` (quoted when the sheet name needs it)."""
        return f"{sheet_ref(self.name)}!{self.letters[column_key]}{row}"

    def has(self, column_key: str) -> bool:
        """Whether the sheet has this schema column."""
        return column_key in self.letters

    def column_values(self, column_key: str) -> pd.Series:
        """The column's cells by row; all None when the sheet lacks the column."""
        if column_key in self.frame.columns:
            return self.frame[column_key]
        return pd.Series([None] * len(self.frame), index=self.frame.index, dtype=object)

    def distinct(self, column_key: str) -> tuple[np.ndarray, list[object]]:
        """``factorize_cells`` of a column, worked out once: validation and the parsed frames go through the
        same million-row columns value by distinct value."""
        found = self._distinct.get(column_key)
        if found is None:
            found = self._distinct[column_key] = factorize_cells(self.column_values(column_key))
        return found

    def each_cell(
        self,
        column_key: str,
        convert: Callable[[object], object],
        where: np.ndarray | None = None,
        dtype: npt.DTypeLike = object,
    ) -> np.ndarray:
        """``convert`` of each cell of a column (of the rows where ``where`` is True, when given) as a ``dtype``
        array, asked once per distinct value there; a blank cell gives ``convert(None)``."""
        codes, values = self.distinct(column_key)
        if where is not None:
            codes = codes[where]
        converted = np.empty(len(values) + 1, dtype=dtype)  # the last one for blanks (code -1)
        # The codes in use, ascending: counted in one pass (np.unique would sort a million codes per call).
        used = np.flatnonzero(np.bincount(codes + 1, minlength=len(values) + 1)[1:])
        converted[used] = [convert(values[code]) for code in used]
        converted[-1] = convert(None)
        by_row: np.ndarray = converted[codes]
        return by_row

    def keep_distinct(self, source: SheetData, kept: np.ndarray, columns: Iterable[str]) -> None:
        """Take over what ``distinct`` found in ``source`` for ``columns``, this sheet being the rows of source
        where ``kept`` is True with those columns unchanged."""
        every_row = bool(kept.all())
        for key in columns:
            if key in source._distinct:
                codes, values = source._distinct[key]
                self._distinct[key] = (codes if every_row else codes[kept], values)


# Sentinels that keep real booleans apart from 1 and 0, which hash and compare equal to them.
_BOOL_KEYS = {True: "\x00TRUE", False: "\x00FALSE"}
_KEY_BOOLS = {key: value for value, key in _BOOL_KEYS.items()}


def factorize_cells(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Each cell's code (-1 for a blank) and one value as read per code, so work runs once per distinct value.

    TRUE keeps a code of its own apart from 1 (they are equal in Python), as FALSE does from 0.
    """
    raw = values.to_numpy(dtype=object)
    codes, distinct = pd.factorize(raw)
    merged = [code for code, value in enumerate(distinct) if isinstance(value, (int, float)) and value in (0, 1)]
    if merged:  # TRUE and 1 may share a code: give real booleans keys of their own and count again
        keys = raw.copy()
        for position in np.flatnonzero(np.isin(codes, merged)):
            if isinstance(raw[position], bool):
                keys[position] = _BOOL_KEYS[raw[position]]
        codes, distinct = pd.factorize(keys)
    # Kept as 32-bit integers: a sheet holds at most Excel's 1,048,576 rows, and a refresh keeps many columns.
    return codes.astype(np.int32), _keys_as_values(list(distinct))


def _text_codes(codes: np.ndarray, cleaned: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """``factorize_cells`` of the column whose cells are ``cleaned[codes]`` (None where a code is -1), ``cleaned``
    holding distinct texts and None, in the order the column first holds them: the Nones left out, and the codes
    after each moved down one."""
    blank = np.equal(cleaned, None)  # type: ignore[call-overload]  # None is compared with each object
    if blank.any():
        renumbered = np.cumsum(~blank) - 1
        renumbered[blank] = -1
        codes = np.append(renumbered, -1)[codes]  # a blank's code, -1, takes the -1 at the end
        cleaned = cleaned[~blank]
    return codes.astype(np.int32), _keys_as_values(cleaned.tolist())


def _keys_as_values(distinct: list[object]) -> list[object]:
    """``distinct`` with the keys that stood in for TRUE and FALSE (``_BOOL_KEYS``) turned back into them."""
    if _KEY_BOOLS.keys().isdisjoint(distinct):  # nearly always: asked first, without a loop in Python
        return distinct
    return [_KEY_BOOLS.get(value, value) if isinstance(value, str) else value for value in distinct]


@dataclass
class WorkbookData:
    path: Path
    locale: str
    sheet_names: list[str]
    sheets: Mapping[str, SheetData]  # schema sheet key -> data, only sheets that exist
    stamp: FileStamp | None = None
    # schema.READ_BACK_REPORTS key -> rows
    report_rows: dict[str, Sequence[Sequence[CellValue]]] = field(default_factory=dict)

    def sheet(self, key: str) -> SheetData | None:
        """The sheet with this schema key, or None when the workbook does not have it."""
        return self.sheets.get(key)

    def misplaced_header(self, key: str) -> int | None:
        """The row a sheet's headers were found on when that is not row 1 (None: row 1, or no such sheet)."""
        sheet = self.sheets.get(key)
        return sheet.misplaced_header if sheet is not None else None

    def with_sheet(self, key: str, sheet: SheetData) -> WorkbookData:
        """The workbook as read with the sheet of schema key ``key`` replaced by ``sheet``; a sheet still being read
        in the background stays so (see ``Sheets``)."""
        return dataclasses.replace(self, sheets=_SheetReplaced(self.sheets, key, sheet))


class _SheetReplaced(Mapping[str, SheetData]):
    """``sheets`` with one of them replaced; the others are asked for only when asked for."""

    def __init__(self, sheets: Mapping[str, SheetData], key: str, sheet: SheetData):
        self._sheets, self._key, self._sheet = sheets, key, sheet

    def __getitem__(self, key: str) -> SheetData:
        return self._sheet if key == self._key else self._sheets[key]

    def __contains__(self, key: object) -> bool:
        return key in self._sheets

    def __iter__(self) -> Iterator[str]:
        return iter(self._sheets)

    def __len__(self) -> int:
        return len(self._sheets)


def require_distinct_headers(data: WorkbookData) -> None:
    """Commands that write refuse a sheet where two columns xlcrm reads have the same header: whichever one it
    took, a merge or a re-pointing would write one and leave the other as it was (data lost or wrong)."""
    for key in data.sheets:
        sheet = data.sheets[key]
        clash = next((clash for clash in sheet.header_clashes if clash.read), None)
        if clash is not None:
            raise WorkbookStructureError(
                t(
                    "{clash}; xlcrm cannot tell which one to use: rename or delete one of them, then run again; the "
                    "workbook was not changed",
                    clash=clash.text(sheet.name),
                )
            )


def require_room_right(sheet: SheetData, columns: int, what: Text) -> None:
    """Commands that write ``columns`` columns right of a sheet's used range (the computed columns of Clients,
    its rows copied to the Merge log beside columns of the log's own) refuse a sheet whose used range reaches
    so far right that they would not fit in Excel's grid: a stray value far to the right, as a rule."""
    if sheet.width + columns <= MAX_COLUMNS:
        return
    last = column_letter(sheet.width - 1)
    rows = sheet.raw_rows or []
    row = next(
        (
            number
            for number, cells in enumerate(rows, start=1)
            if len(cells) >= sheet.width and cells[sheet.width - 1] not in ("", None)
        ),
        None,
    )
    where: Text = (
        f"{sheet_ref(sheet.name)}!{last}{row}"
        if row is not None
        else t("column {column} of {sheet}", column=last, sheet=sheet.name)
    )
    raise WorkbookStructureError(
        t(
            "{where} holds a value at the right edge of the sheet, and xlcrm needs {columns} free columns right of "
            "your table for {what}; delete or move that value and run again; the workbook was not changed",
            where=where,
            columns=columns,
            what=what,
        )
    )


def require_headers_on_row_one(sheet: SheetData) -> None:
    """Commands that write rows refuse a sheet whose headers are lower down (which rows would be data?)."""
    if sheet.misplaced_header:
        raise WorkbookStructureError(
            t(
                "{sheet}: the headers are on row {row}, not row 1; move them to row 1 first",
                sheet=sheet.name,
                row=sheet.misplaced_header,
            )
        )


class Sheets(Mapping[str, SheetData]):
    """The user sheets of a workbook by schema key, some perhaps still being read in the background.

    Asking for such a sheet waits until it is read (and raises what its reading raised), so the work on the
    other sheets goes on meanwhile; which sheets exist is known from the start.
    """

    def __init__(self, keys: Sequence[str], pending: Mapping[str, Future[SheetData]]):
        self._keys = list(keys)
        self._ready: dict[str, SheetData] = {}
        self._pending = dict(pending)

    def add(self, key: str, sheet: SheetData) -> None:
        """Nothing; records a sheet as read."""
        self._ready[key] = sheet

    def unread(self) -> Sheets:
        """The sheets still being read, without those read already."""
        return Sheets(list(self._pending), self._pending)

    def __getitem__(self, key: str) -> SheetData:
        reading = self._pending.get(key)
        if reading is not None:
            self._ready[key] = reading.result()  # what the reading raised is raised again at every ask
            del self._pending[key]
        return self._ready[key]

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def finish_reading(data: WorkbookData) -> None:
    """Nothing; waits until the sheets of ``data`` still being read in the background are read, and raises what
    their reading raised (``NotAWorkbook`` for a damaged part among them). A command calls it before it writes
    anything."""
    for key in data.sheets:
        data.sheets[key]


def still_being_read(data: WorkbookData) -> WorkbookData:
    """``data`` with only its sheets still being read in the background: the others, and the reports' rows, are
    let go."""
    sheets = data.sheets.unread() if isinstance(data.sheets, Sheets) else {}
    return dataclasses.replace(data, sheets=sheets, report_rows={})


def check_workbook_file(path: Path) -> None:
    """Refuse, with a message a user understands, anything that is not an .xlsx/.xlsm workbook."""
    check_workbook_file_start(path)
    check_workbook_zip(path)


def check_workbook_file_start(path: Path) -> None:
    """The quick half of ``check_workbook_file``: the file is there, readable, and a zip (not .xls, CSV …)."""
    if (problem := path_problem(path)) is not None:
        raise WorkbookNotFound(joined((path, problem), ": "))
    if not path.exists():
        raise WorkbookNotFound(t("{path}: no such file", path=path))
    if path.is_dir():
        raise NotAWorkbook(t("{path} is a folder, not a workbook", path=path))
    if not os.access(path, os.R_OK):
        raise NotAWorkbook(t("{path} cannot be read: permission denied", path=path))
    size = path.stat().st_size
    if size == 0:
        raise NotAWorkbook(t("{path} is empty (0 bytes), not an Excel workbook", path=path))
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE_MAGIC):
        if ENCRYPTED_STREAM in path.read_bytes():
            raise EncryptedWorkbook(t("{path} is password-protected; remove the password in Excel first", path=path))
        raise NotAWorkbook(
            t("{path} is an old Excel 97-2003 (.xls) file; open it in Excel and save it as .xlsx", path=path)
        )
    if not head.startswith(ZIP_MAGIC):
        if _looks_like_text(path):
            raise NotAWorkbook(
                t(
                    "{path} is a text or CSV file, not an .xlsx workbook; open it in Excel and save it as an Excel "
                    "workbook (.xlsx)",
                    path=path,
                )
            )
        raise NotAWorkbook(
            t(
                "{path} is not an Excel workbook, not an .xlsx workbook; open it in Excel and save it as an Excel "
                "workbook (.xlsx)",
                path=path,
            )
        )


# Bytes inflated at a time by a check of a part's checksum: ZipFile.testzip's size.
_CHECK_CHUNK = 2**20


def inflate_to_end(archive: zipfile.ZipFile, name: str) -> None:
    """Nothing; inflates the entry ``name`` to its end, where ``zipfile`` checks its checksum (``BadZipFile``; a
    damaged stream: ``zlib.error`` or ``EOFError``)."""
    with archive.open(name) as entry:
        while entry.read(_CHECK_CHUNK):
            pass


def check_workbook_zip(path: Path) -> None:
    """The second half of ``check_workbook_file``: every zip entry inflates to its checksum, and it is a workbook."""
    _check_zip(path, lambda archive: {})


def _check_zip(path: Path, left_to_reading: Callable[[zipfile.ZipFile], Mapping[str, str]]) -> set[str]:
    """``check_workbook_zip``, but for the parts of the sheets that ``left_to_reading`` finds in the zip (sheet name
    -> zip entry), whose reader checks them: the names of those sheets."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            check_entries_readable(archive, path)
            left = left_to_reading(archive)
            left_parts = set(left.values())
            for name in archive.namelist():  # as ZipFile.testzip reads them, by name
                if name not in left_parts:
                    inflate_to_end(archive, name)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise damaged_zip(path) from None
    if "xl/workbook.xml" not in names:
        raise NotAWorkbook(t("{path} is a zip file but not an Excel workbook (no xl/workbook.xml)", path=path))
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise NotAWorkbook(
            t(
                "{path} has the extension {suffix}; xlcrm works on .xlsx or .xlsm files",
                path=path,
                suffix=path.suffix or t("(none)"),
            )
        )
    return set(left)


def _check_zip_but_sheets_read(path: Path, skip: Collection[str]) -> set[str]:
    """The names of the sheets ``read_workbook`` is to read (those of the schema's user sheets and read-back reports,
    but the ones whose key is in ``skip``), as the workbook part names them, once every other part of the file is
    checked as ``check_workbook_zip`` checks it.

    The parts of those sheets are left to their reading: ``limits.check_sheet`` and ``columnar.read_grid`` inflate
    each sheet they read to its end through ``zipfile``, which checks the part's checksum there (``BadZipFile``).
    Checking them here too inflated the largest of them, a million rows of Interactions, twice. The caller checks
    that the sheets it read are these: ``sheet_parts`` finds them as python-calamine, which gives the caller their
    names, finds them, but a version of it that found them otherwise could name others."""

    def sheets_read(archive: zipfile.ZipFile) -> dict[str, str]:
        try:
            parts = sheet_parts(archive)
        except (NotAWorkbook, BeyondLimits):
            return {}  # the check of every part, or the reading, says what is wrong
        names = list(parts)
        return {
            actual: parts[actual]
            for spec in (*schema.USER_SHEETS, *schema.READ_BACK_REPORTS)
            if spec.key not in skip and (actual := schema.find_sheet_name(spec, names)) is not None
        }

    return _check_zip(path, sheets_read)


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as handle:
        sample = handle.read(4096)
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        return all(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return False


@progress.step(t("reading the workbook"))
def read_workbook(
    path: str | os.PathLike[str], skip: Collection[str] = (), *, rows_as_read: bool = True
) -> WorkbookData:
    """Check the file and read every user sheet it has into a DataFrame, and the rows of the reports xlcrm reads
    back, but those whose schema key is in ``skip`` (the result then lacks them, as if the workbook did).
    ``rows_as_read`` False leaves out the rows that the sheets of ``schema.RAW_ROW_SHEETS`` keep as read
    (``SheetData.raw_rows``, which a save copies from): a read that only compares values needs none.

    The sheets of ``BACKGROUND_SHEETS`` are still being read when this returns (see ``Sheets``), on a
    worker thread, or for a big file in a process of its own (``read_in_process``); the file's checks are
    complete but for the checksum of such a sheet's part, which its reading checks: a damaged one is raised when
    the sheet is asked for, as any other error of its reading.
    """
    path = Path(path)
    check_workbook_file_start(path)
    check_package(path)
    workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="xlcrm-read")
    try:
        integrity = workers.submit(_check_zip_but_sheets_read, path, skip)
        try:
            data, read_whole = _read_sheets(path, workers, skip, rows_as_read)
        except BaseException as error:
            integrity.result()  # a damaged file is named as such, whatever the reader tripped over:
            if isinstance(error, Exception):
                check_workbook_zip(path)  # the parts left to the reading too
            raise
        if not integrity.result() <= read_whole:
            check_workbook_zip(path)  # a sheet left to its reading was not read: the check takes every part after all
        return data
    finally:
        workers.shutdown(wait=False)  # a sheet being read in the background goes on


def _read_sheets(
    path: Path, workers: ThreadPoolExecutor, skip: Collection[str], rows_as_read: bool
) -> tuple[WorkbookData, set[str]]:
    """The workbook read as ``read_workbook`` reads it, and the names of the sheets whose parts were (or, in the
    background, are being) inflated to their end: ``check_sheet`` or ``read_grid`` streams each whole first."""
    # A big file's background sheet is read by a child process, started first: its imports run meanwhile.
    in_background = any(spec.key not in skip for spec in BACKGROUND_SHEETS)
    child = Child(__name__) if in_background and is_big_workbook(path) else None
    try:
        stamp = FileStamp.of(path)
        book = open_book(path)
    except BaseException:
        if child is not None:
            child.close()
        raise
    try:
        names = list(book.sheet_names)
        found = [
            (spec, actual)
            for spec in schema.USER_SHEETS
            if spec.key not in skip and (actual := schema.find_sheet_name(spec, names)) is not None
        ]
        # Each worker opens the file itself: one calamine workbook is not read from two threads.
        background = [(spec, actual) for spec, actual in found if spec in BACKGROUND_SHEETS]
        pending = {}
        for spec, actual in background:
            if child is not None:
                pending[spec.key] = workers.submit(read_in_process, child, path, spec, actual)
                child = None  # a child takes one call
            else:
                pending[spec.key] = workers.submit(read_alone, path, spec, actual)
        read_now = {
            spec.key: _read_sheet(book, path, spec, actual, rows_as_read)
            for spec, actual in found
            if spec.key not in pending
        }
        ours = {key: sheet for key, sheet in read_now.items() if not _owners_own_sheet(sheet)}
        sheets = Sheets([spec.key for spec, _ in found if spec.key in pending or spec.key in ours], pending)
        for key, sheet in ours.items():
            sheets.add(key, sheet)
        data = WorkbookData(
            path=path, locale=schema.detect_locale(names), sheet_names=names, sheets=sheets, stamp=stamp
        )
        read_whole = {actual for _, actual in found}
        for spec in schema.READ_BACK_REPORTS:
            actual = schema.find_sheet_name(spec, names)
            if actual is not None and spec.key not in skip:
                try:
                    check_sheet(path, actual)
                    read_whole.add(actual)
                    data.report_rows[spec.key] = book.get_sheet_by_name(actual).to_python(skip_empty_area=False)
                except CalamineError as exc:
                    raise NotAWorkbook(
                        t(
                            "{path}: sheet {sheet} cannot be read: {reason}",
                            path=path,
                            sheet=quoted(actual),
                            reason=str(exc),
                        )
                    ) from None
    finally:
        book.close()
        if child is not None:  # no sheet for it, or the reading stopped before
            child.close()
    return data, read_whole


def _owners_own_sheet(sheet: SheetData) -> bool:
    """Whether a sheet named like an optional user sheet (Contracts) is the owner's own: row 1 heads none of
    that sheet's required columns. A workbook made before xlcrm had the sheet may hold one of the same name
    (a list of contracts kept another way); xlcrm leaves it alone as it leaves any sheet of the owner's."""
    required = [column.key for column in sheet.spec.columns if column.required]
    return sheet.spec.optional and sheet.misplaced_header is None and not any(key in sheet.letters for key in required)


def is_big_workbook(path: Path) -> bool:
    """Whether the workbook is big enough for helper processes to pay off."""
    return path.stat().st_size >= BIG_WORKBOOK_BYTES


def workbook_locale(path: str | os.PathLike[str]) -> str | None:
    """The language of the sheet names of the workbook at ``path`` (``schema.detect_locale``), read cheaply: only
    the sheet list of ``xl/workbook.xml``, so a command can speak the workbook's language before it reads the
    workbook. None when that cannot be read (missing, password-protected, not a workbook, an unusual layout)."""
    try:
        with zipfile.ZipFile(path) as package:
            info = package.getinfo("xl/workbook.xml")
            if info.file_size > _MAX_WORKBOOK_PART:
                return None
            data = package.read(info)
    # NotImplementedError and RuntimeError: a part packed by another method or under a zip password, which the
    # checks of the workbook name when it is read.
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, NotImplementedError, RuntimeError):
        return None
    names = [html.unescape(name.decode("utf-8", "replace")) for name in _SHEET_NAME.findall(data)]
    return schema.detect_locale(names) if names else None


# The sheet list of workbook.xml: <sheet name="…" sheetId="…" r:id="…"/>, with or without a namespace prefix.
_SHEET_NAME = re.compile(rb'<(?:\w+:)?sheet\s[^>]*?\bname="([^"]*)"')
_MAX_WORKBOOK_PART = 16 * 1024 * 1024  # workbook.xml lists sheets and names: kilobytes; more is not a workbook


def open_book(path: Path) -> CalamineWorkbook:
    """The workbook at ``path`` opened for reading cells (the caller closes it); raises EncryptedWorkbook for a
    password-protected file, NotAWorkbook for anything else calamine cannot open."""
    try:
        return CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise EncryptedWorkbook(
            t("{path} is password-protected; remove the password in Excel first", path=path)
        ) from None
    except (CalamineError, OSError, ValueError) as exc:
        raise NotAWorkbook(t("{path} cannot be read as a workbook: {reason}", path=path, reason=str(exc))) from None


def read_sheet_rows(path: Path, sheets: Sequence[str]) -> dict[str, Sequence[Sequence[CellValue]]]:
    """Every cell of each sheet named in ``sheets`` (actual names) of the workbook at ``path``: sheet name -> rows
    from row 1, each from column A. A sheet too big to read is refused like any (see ``check_sheet``)."""
    book = open_book(path)
    rows: dict[str, Sequence[Sequence[CellValue]]] = {}
    for name in sheets:
        check_sheet(path, name)
        rows[name] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return rows


def every_sheet_rows(path: Path, names: Collection[str] | None = None) -> dict[str, list[list[Any]]]:
    """Every worksheet's cells as read (``rows[0]`` is row 1), by sheet name, or only those of the sheets ``names``;
    a chart sheet, which has no cells, is left out."""
    book = open_book(path)
    try:
        found = {}
        for name in book.sheet_names if names is None else [name for name in book.sheet_names if name in names]:
            try:
                found[name] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except CalamineError:
                continue
        return found
    finally:
        book.close()


def header_rows(path: Path, sheets: Sequence[str]) -> dict[str, Sequence[CellValue]]:
    """Row 1 of each sheet named in ``sheets`` (actual names), from column A; a sheet that cannot be read as
    cells (a chart sheet) has none."""
    book = open_book(path)
    rows: dict[str, Sequence[CellValue]] = {}
    try:
        for name in sheets:
            try:
                first = book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=1)
            except CalamineError:
                continue
            rows[name] = first[0] if first else []
    finally:
        book.close()
    return rows


def read_in_process(child: Child, path: Path, spec: Sheet, actual: str) -> SheetData:
    """``read_alone`` in ``child``, where turning a million rows into ten million Python values runs on another
    core instead of taking turns with the main thread. The sheet comes back pickled, its frame packed
    (``PackedFrame``). When no such process can run, it is read here.
    """
    try:
        sheet, packed = child.call(read_packed, path, spec, actual)
    except ChildProcessFailed:
        failed = True
    else:
        failed = False
    if failed:  # read here, slower, but the workbook is not refused for it; outside the handler, which holds the call
        return read_alone(path, spec, actual)
    sheet.frame = packed.unpacked()
    sheet._distinct.update(packed.factorized())  # what ``distinct`` would work out again
    # The child's schema objects are copies: point the sheet at this process's own.
    sheet.spec = spec
    sheet.missing_columns = [spec.column(column.key) for column in sheet.missing_columns]
    return sheet


def read_packed(path: Path, spec: Sheet, actual: str) -> tuple[SheetData, PackedFrame]:
    """``read_alone`` for another process: the sheet with an empty frame (its columns only), and the frame
    packed. A sheet read as columns is packed from its codes, without the frame of a value per cell."""
    rows = _grid_rows(path, spec, actual)
    if rows is not None:
        return rows.packed(spec, actual)
    sheet = _read_cells_alone(path, spec, actual)
    packed = PackedFrame.of(sheet.frame, sheet._distinct)
    sheet.frame = sheet.frame.iloc[:0]
    return sheet, packed


# One packed column: ``factorize_cells`` of it, or its cells.
PackedColumn = tuple[np.ndarray, list[object]] | np.ndarray


@dataclass(frozen=True)
class PackedFrame:
    """A frame of object columns for another process: its columns of text and dates as ``factorize_cells`` of
    them, the others cell by cell.

    Pickle writes an object column cell by cell (a million rows of ten columns: 50 MB, most of a second to
    write and half a second to read back); codes go as one block of bytes. Text and dates are equal only to
    their own kind, so the cells unpacked are what was packed; the codes are what ``SheetData.distinct`` works
    out, and need not be worked out again.
    """

    keys: list[str]
    index: pd.Index
    columns: list[PackedColumn]

    @classmethod
    def of(cls, frame: pd.DataFrame, factorized: Mapping[str, tuple[np.ndarray, list[object]]]) -> PackedFrame:
        """The frame packed; ``factorized`` holds ``factorize_cells`` of the columns it was worked out for."""
        return cls(
            list(frame.columns),
            frame.index,
            [_packed_column(column, factorized.get(str(key))) for key, column in frame.items()],
        )

    def unpacked(self) -> pd.DataFrame:
        """The frame as it was packed."""
        values = np.empty((len(self.columns), len(self.index)), dtype=object)
        for cells, packed in zip(values, self.columns, strict=True):
            if isinstance(packed, tuple):
                codes, distinct = packed
                objects = np.empty(len(distinct) + 1, dtype=object)  # the last one for blanks (code -1)
                objects[:-1] = distinct
                cells[:] = objects[codes]
            else:
                cells[:] = packed
        return _object_frame([values], self.keys, self.index)

    def factorized(self) -> dict[str, tuple[np.ndarray, list[object]]]:
        """``factorize_cells`` of the columns packed as codes, by column key."""
        return {key: packed for key, packed in zip(self.keys, self.columns, strict=True) if isinstance(packed, tuple)}


def _packed_column(column: pd.Series, factorized: tuple[np.ndarray, list[object]] | None) -> PackedColumn:
    """``factorize_cells`` of a column of text, dates and blanks (None), which is ``factorized`` when given; the
    cells of any other."""
    codes, distinct = factorized if factorized is not None else factorize_cells(column)
    cells = column.to_numpy(dtype=object)
    holds_nan = not np.equal(cells[codes < 0], None).all()  # type: ignore[call-overload]  # each compared with None
    return (codes, distinct) if _packs_as_codes(distinct, holds_nan) else cells


def _packs_as_codes(distinct: Sequence[object], holds_nan: bool) -> bool:
    """Whether a column whose ``factorize_cells`` values are ``distinct`` goes to another process as codes: text,
    dates and blanks only (equal only to their own kind), and no blank that is a NaN (a float, not an Excel value,
    but a file may hold one), which the codes would bring back as None."""
    return not holds_nan and set(map(type, distinct)).issubset(_SHAREABLE)


def read_alone(path: Path, spec: Sheet, actual: str) -> SheetData:
    """One sheet, read with a calamine handle of its own, opened only when the sheet is not read as columns (opening
    one parses the shared strings, which the columnar read does in a copy of its own)."""
    data = _read_as_columns(path, spec, actual)
    return data if data is not None else _read_cells_alone(path, spec, actual)


def _read_cells_alone(path: Path, spec: Sheet, actual: str) -> SheetData:
    """The sheet read cell by cell, with a calamine handle of its own."""
    book = open_book(path)
    try:
        return _read_cells(book, path, spec, actual)
    finally:
        book.close()


def _read_sheet(book: CalamineWorkbook, path: Path, spec: Sheet, actual: str, rows_as_read: bool) -> SheetData:
    data = _read_as_columns(path, spec, actual)
    return data if data is not None else _read_cells(book, path, spec, actual, rows_as_read)


def _read_as_columns(path: Path, spec: Sheet, actual: str) -> SheetData | None:
    """The sheet read through ``read_grid`` (checked as it is read), when it is one of ``BACKGROUND_SHEETS`` and in
    a layout that read knows; else None."""
    rows = _grid_rows(path, spec, actual)
    return rows.sheet_data(spec, actual) if rows is not None else None


def _grid_rows(path: Path, spec: Sheet, actual: str) -> _GridRows | None:
    """The rows of the sheet read through ``read_grid``, when it is one of ``BACKGROUND_SHEETS`` and in a layout
    that read knows; else None."""
    grid = read_grid(path, actual) if spec in BACKGROUND_SHEETS else None
    return _GridRows.of(spec, grid, _table_furniture(path, actual)) if grid is not None else None


def read_rows_apart(path: Path, spec: Sheet, actual: str, numbers: Sequence[int]) -> SheetData | None:
    """The rows ``numbers`` (Excel row numbers, ascending, each past the header row 1) of the sheet ``actual`` of the
    workbook at ``path``, as reading the whole sheet gives them, indexed by those numbers; None when they cannot be
    read apart (see ``xlcrm.xlsx.columnar.read_rows``) or one of them is blank in every schema column (not a row of
    data).

    Only the rows' values, the header's layout and the user's own columns are read: a comparison with a few rows
    of a long sheet needs no more. A cell placed on a row from elsewhere is missed: a caller checks what it got.
    """
    rows = read_rows(path, actual, numbers)
    if rows is None:
        return None
    read = _sheet_data(spec, actual, rows, iter(()))
    if len(read.frame) != len(numbers):
        return None
    # The rows were read as rows 2 on, in order: each takes its own number back.
    index = pd.Index(np.asarray(numbers, dtype=np.int64), name="row")
    by_number = dict(zip(range(2, len(numbers) + 2), index.tolist(), strict=True))
    return dataclasses.replace(
        read,
        frame=read.frame.set_axis(index),
        extra_values=None if read.extra_values is None else read.extra_values.set_axis(index),
        owned_values={
            header: {by_number[row]: value for row, value in cells.items()}
            for header, cells in read.owned_values.items()
        },
    )


def _read_cells(book: CalamineWorkbook, path: Path, spec: Sheet, actual: str, rows_as_read: bool = True) -> SheetData:
    """The sheet read cell by cell through ``book``, once ``check_sheet`` let it through; its rows as read kept
    (``SheetData.raw_rows``) when it is one of ``schema.RAW_ROW_SHEETS`` and ``rows_as_read``."""
    check_sheet(path, actual)
    try:
        sheet = book.get_sheet_by_name(actual)
        keeps_rows = rows_as_read and spec in schema.RAW_ROW_SHEETS
        rows = sheet.to_python(skip_empty_area=False) if keeps_rows or sheet.start not in (None, (0, 0)) else None
        chunks: Iterator[Sequence[Sequence[object]]] = (
            iter([rows]) if rows is not None else _row_chunks(sheet.iter_rows())
        )
        del sheet  # the row iterator keeps it while rows are left: calamine's copy goes with the last of them
        first = next(chunks, [])
        data = _sheet_data(spec, actual, first, chunks, _table_furniture(path, actual))
    except CalamineError as exc:
        raise NotAWorkbook(
            t("{path}: sheet {sheet} cannot be read: {reason}", path=path, sheet=quoted(actual), reason=str(exc))
        ) from None
    data.misplaced_header = _misplaced_header_row(spec, first)
    if keeps_rows:
        data.raw_rows = rows
    return data


def _table_furniture(path: Path, sheet_name: str) -> frozenset[int]:
    """The rows of a sheet that are an Excel table's header or total row (rows of labels and SUBTOTALs, not
    records)."""
    # Imported here: it brings the modules that write workbooks (openpyxl's formula tokenizer among them), a quarter of
    # a second of imports that a command stopped by the file checks never needs.
    from xlcrm.xlsx.tables import sheet_tables

    return frozenset(row for table in sheet_tables(path, sheet_name) for row in table.furniture_rows())


def _misplaced_header_row(spec: Sheet, rows: Sequence[Sequence[object]]) -> int | None:
    """Row number (1-based) where this sheet's headers are, when that is not row 1."""

    def hits(row: Sequence[object]) -> int:
        return sum(schema.match_column(spec, value) is not None for value in row)

    if not rows or hits(rows[0]) > 0:
        return None
    for number, row in enumerate(rows[1:HEADER_SEARCH_ROWS], start=2):
        if hits(row) >= 2:
            return number
    return None


# Rows of a big sheet are turned into Python values this many at a time, each batch cleaned before the next:
# the same text read a million times then never sits in memory a million times (see _cleaned). A batch this small
# is still in the processor's cache when it is cleaned: the million rows of the benchmark's Interactions take
# 3.4 s from the parsed sheet to the frame in batches of 10,000, 3.9-4.1 s in batches of 50,000.
ROW_CHUNK = 10_000


def _row_chunks(rows: Iterator[Sequence[object]]) -> Iterator[list[Sequence[object]]]:
    while chunk := list(itertools.islice(rows, ROW_CHUNK)):
        yield chunk


def _sheet_data(
    spec: Sheet,
    name: str,
    first: Sequence[Sequence[object]],
    more: Iterator[Sequence[Sequence[object]]],
    furniture: frozenset[int] = frozenset(),
) -> SheetData:
    """The sheet whose rows are ``first`` (header row first) followed by the chunks of ``more``, leaving out the
    rows of ``furniture`` (tables' header and total rows)."""
    header = first[0] if first else []
    layout = _Layout.of(spec, header)
    positions, owned, extras = layout.positions, layout.owned, layout.extras
    owned_values: dict[str, dict[int, object]] = {text: {} for text in owned}
    keys = list(positions)
    width = len(header)
    parts: list[tuple[np.ndarray, np.ndarray]] = []  # each chunk's kept rows: (schema columns, user's columns)
    numbers: list[np.ndarray] = []
    # factorize_cells of the schema columns, by key, when one chunk held the sheet: worked out while cleaning.
    factorized: dict[str, tuple[np.ndarray, list[object]]] = {}
    number = 2  # Excel row of the chunk's first row
    for body in itertools.chain([first[1:]], more):
        chunk_width = max(map(len, body), default=0)
        width = max(width, chunk_width)
        table = _object_table(body, max(chunk_width, len(header)))
        furniture_at = [row - number for row in furniture if number <= row < number + len(body)]
        for text, index in owned.items():
            cells = table[:, index]
            shown = _present_cells(cells)
            shown[furniture_at] = False
            owned_values[text].update(zip((np.flatnonzero(shown) + number).tolist(), cells[shown].tolist()))
        # The codes of the first chunk's cells are the column's when no other chunk follows and no table's header
        # or total row (which holds values of its own) is left out; the rows left out besides are blank in every
        # column, so each value is still held where it first was.
        with_codes = not parts and not furniture_at
        values, keep, coded = _cleaned(table, list(positions.values()), with_codes)
        keep[furniture_at] = False
        # Rows that are blank in every schema column carry no record (formatted but empty table rows).
        every_row = bool(keep.all())
        if with_codes:
            factorized = _kept_codes(keys, coded, None if every_row else keep)
        extra_table = _cleaned(table, list(extras.values()))[0]
        parts.append((values if every_row else values[:, keep], extra_table if every_row else extra_table[:, keep]))
        numbers.append(np.flatnonzero(keep) + number)
        number += len(body)
    found = np.concatenate(numbers) if numbers else np.empty(0, dtype=np.int64)
    # No rows: an empty list, which gives the same empty index as ever. The values are not copied again:
    # a million-row sheet is 80 MB of pointers, held while calamine still holds the sheet.
    row_index = pd.Index(found if len(found) else [], name="row")
    frame = _object_frame([values for values, _ in parts], keys, row_index)
    extra_values = _object_frame([extra for _, extra in parts], list(extras), row_index)
    sheet = layout.sheet(spec, name, frame, extra_values, width, owned_values)
    if len(parts) == 1:
        sheet._distinct.update(factorized)
    return sheet


def _kept_codes(
    keys: list[str], coded: list[tuple[np.ndarray, list[object]] | None], kept: np.ndarray | None
) -> dict[str, tuple[np.ndarray, list[object]]]:
    """By key, the ``factorize_cells`` worked out for the columns ``keys`` (None: none), of the rows ``kept`` (all
    when None)."""
    return {
        key: (codes if kept is None else codes[kept], values)
        for key, found in zip(keys, coded, strict=True)
        if found is not None
        for codes, values in [found]
    }


@dataclass(frozen=True)
class _Layout:
    """What a sheet's header row says: where each schema column, computed column and user's own column is."""

    header: Sequence[object]
    letters: dict[str, str]  # schema column key -> column letter
    positions: dict[str, int]  # schema column key -> position
    extra: list[str]  # the user's own headers
    extra_letters: dict[str, str]
    owned: dict[str, int]  # computed columns (report marker): header -> position
    extras: dict[str, int]  # the user's own columns: header (told apart by letter) -> position

    @classmethod
    def of(cls, spec: Sheet, header: Sequence[object]) -> _Layout:
        """The layout of ``header``, the sheet's first row."""
        letters: dict[str, str] = {}
        positions: dict[str, int] = {}
        extra: list[str] = []
        extra_letters: dict[str, str] = {}
        for index, value in enumerate(header):
            column = schema.match_column(spec, value)
            if column is None:
                if _present(value):
                    extra.append(str(value).strip())
                    extra_letters.setdefault(str(value).strip(), column_letter(index))
            elif column.key not in letters:
                letters[column.key] = column_letter(index)
                positions[column.key] = index
        owned = {
            text: index
            for index, value in enumerate(header)
            if _present(value)
            and (text := str(value).strip()).startswith(schema.REPORT_MARKER.strip())
            and schema.match_column(spec, value) is None
        }
        extras = _extra_positions(header, positions.values(), owned.values())
        return cls(header, letters, positions, extra, extra_letters, owned, extras)

    def sheet(
        self,
        spec: Sheet,
        name: str,
        frame: pd.DataFrame,
        extra_values: pd.DataFrame,
        width: int,
        owned_values: dict[str, dict[int, object]],
    ) -> SheetData:
        """The sheet so laid out, with its rows as read."""
        return SheetData(
            spec,
            name,
            frame,
            self.letters,
            self.extra,
            [c for c in spec.columns if c.key not in self.letters],
            _header_clashes(spec, self.header),
            extra_letters=self.extra_letters,
            width=width,
            owned_values=owned_values,
            extra_values=extra_values,
        )


@dataclass(frozen=True)
class _GridRows:
    """The rows of a sheet read as a ``CellGrid`` that ``_sheet_data`` keeps, as codes into ``clean``."""

    grid: CellGrid
    layout: _Layout
    kept: np.ndarray  # a row per row kept, a column per column of the sheet: codes into ``clean``
    clean: np.ndarray  # each distinct cell's value cleaned (see _cleaned_distinct), the last one (code -1) None
    index: pd.Index  # the Excel row number of each row kept
    owned_values: dict[str, dict[int, object]]  # the computed columns' cells that show a value, by header

    @classmethod
    def of(cls, spec: Sheet, grid: CellGrid, furniture: frozenset[int]) -> _GridRows:
        """The rows of ``grid`` that hold a value in a column xlcrm reads, the rows of ``furniture`` (tables' header
        and total rows) left out."""
        raw = grid.cells()
        # Each value cleaned once, as _cleaned cleans a column's distinct values: blank and spaces-only text is None.
        clean = _cleaned_distinct(raw)[0][:-1]
        # A value fills its row unless it is None or NaN (not an Excel value, but a file may hold one): pd.factorize
        # in _cleaned counts both as blanks.
        filled_value = np.array([value is not None and value == value for value in clean], dtype=bool)
        present_value = np.array([_present(value) for value in raw], dtype=bool)
        layout = _Layout.of(spec, raw[grid.codes[0]].tolist())
        body = grid.codes[1:]
        rows = np.arange(2, len(grid.codes) + 1)
        furniture_at = [row - 2 for row in furniture if 2 <= row < len(grid.codes) + 1]  # positions in body
        keep = np.zeros(len(body), dtype=bool)
        for index in layout.positions.values():
            keep |= filled_value[body[:, index]]
        keep[furniture_at] = False
        owned_values: dict[str, dict[int, object]] = {}
        for text, index in layout.owned.items():
            column = body[:, index]
            shown = present_value[column]
            shown[furniture_at] = False
            owned_values[text] = dict(zip(rows[shown].tolist(), raw[column[shown]].tolist(), strict=True))
        kept = body[keep]
        row_index = pd.Index(rows[keep] if keep.any() else [], name="row")
        return cls(grid, layout, kept, clean, row_index, owned_values)

    def cells(self, positions: Iterable[int]) -> np.ndarray:
        """The values of the columns at ``positions``, a row of the result per column."""
        found = list(positions)
        values = np.empty((len(found), len(self.kept)), dtype=object)
        for cells, position in zip(values, found, strict=True):
            cells[:] = self.clean[self.kept[:, position]]
        return values

    def sheet_data(self, spec: Sheet, name: str) -> SheetData:
        """The sheet of these rows (``_sheet_data`` of them, worked out a column at a time)."""
        positions = self.layout.positions
        sheet = self.sheet(spec, name, _object_frame([self.cells(positions.values())], list(positions), self.index))
        for key, position in positions.items():
            sheet._distinct[key] = _factorized(self.kept[:, position], self.clean)
        return sheet

    def sheet(self, spec: Sheet, name: str, frame: pd.DataFrame) -> SheetData:
        """The sheet of these rows whose columns read are ``frame``, with what else the reading tells: where its
        header is, its XML around the cells and, for the sheets that keep them, its rows as read."""
        extras = self.layout.extras
        extra_values = _object_frame([self.cells(extras.values())], list(extras), self.index)
        sheet = self.layout.sheet(spec, name, frame, extra_values, self.grid.codes.shape[1], self.owned_values)
        sheet.misplaced_header = _misplaced_header_row(spec, self.grid.rows(HEADER_SEARCH_ROWS))
        sheet.without_cells = self.grid.without_cells
        if spec in schema.RAW_ROW_SHEETS:
            sheet.raw_rows = self.grid.rows()
        return sheet

    def packed(self, spec: Sheet, name: str) -> tuple[SheetData, PackedFrame]:
        """The sheet of these rows with an empty frame, and its frame packed as ``PackedFrame.of`` packs it: a
        column of text, dates and blanks as the codes ``_factorized`` gives, any other cell by cell."""
        positions = self.layout.positions
        keys = list(positions)
        sheet = self.sheet(spec, name, _object_frame([np.empty((len(keys), 0), dtype=object)], keys, self.index[:0]))
        # Which distinct values are a NaN, told once: a column holding one goes cell by cell (see _packs_as_codes).
        nan = np.array([value != value for value in self.clean], dtype=bool)
        columns: list[PackedColumn] = []
        for key, position in positions.items():
            codes = self.kept[:, position]
            sheet._distinct[key] = factorized = _factorized(codes, self.clean)
            columns.append(factorized if _packs_as_codes(factorized[1], bool(nan[codes].any())) else self.clean[codes])
        return sheet, PackedFrame(keys, self.index, columns)


def _factorized(codes: np.ndarray, clean: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """``factorize_cells`` of the column whose cells are ``clean[codes]`` (None where a code is -1), worked out from
    the codes: the values are factorised once each, in the order the column first holds them."""
    in_order = pd.unique(codes)  # each code once, in the order the column first holds it (hashed, not sorted)
    in_order = in_order[in_order >= 0]
    local, distinct = factorize_cells(pd.Series(clean[in_order], dtype=object))
    lookup = np.full(len(clean) + 1, -1, dtype=np.int32)  # the last one for code -1
    lookup[in_order] = local
    found: np.ndarray = lookup[codes]
    return found, distinct


def _extra_positions(header: Sequence[object], read: Iterable[int], owned: Iterable[int]) -> dict[str, int]:
    """The user's own columns of a header row: header text -> position, neither read by xlcrm (``read``) nor
    computed by it (``owned``); a header seen before gets its column letter added."""
    taken = set(read) | set(owned)
    found: dict[str, int] = {}
    for index, value in enumerate(header):
        if index in taken or not _present(value):
            continue
        text = str(value).strip()
        found[f"{text} ({column_letter(index)})" if text in found else text] = index
    return found


def _header_clashes(spec: Sheet, header: Sequence[object]) -> list[HeaderClash]:
    """Every header cell that matches an earlier one of the row as xlcrm matches headers (``schema.fold``).

    A schema column or a computed one (report marker) xlcrm reads and writes by its header; a user's own column
    it only carries along, by position.
    """
    clashes = []
    first_of: dict[str, int] = {}
    for index, value in enumerate(header):
        if not _present(value):
            continue
        column = schema.match_column(spec, value)
        key = f"column:{column.key}" if column is not None else schema.fold(value)
        first = first_of.setdefault(key, index)
        if first != index:
            text = str(header[first]).strip()
            read = column is not None or text.startswith(schema.REPORT_MARKER.strip())
            clashes.append(HeaderClash(text, column_letter(first), column_letter(index), read))
    return clashes


def _object_table(body: Sequence[Sequence[object]], width: int) -> np.ndarray:
    """The rows below the header as one 2-D object array, short rows padded with None."""
    if min(map(len, body), default=width) < width:
        body = [[*row, *[None] * (width - len(row))] for row in body]
    cells = itertools.chain.from_iterable(body)
    table: np.ndarray = np.fromiter(cells, dtype=object, count=len(body) * width).reshape(len(body), width)
    return table


def _cleaned(
    table: np.ndarray, columns: Sequence[int], with_codes: bool = False
) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, list[object]] | None]]:
    """The cells of the table's ``columns`` (by position) as a 2-D array of their own, one row per column, with
    empty strings as blanks and text stripped of the spaces people leave around it; which rows hold a value in any
    of those columns; and, ``with_codes``, for each column of text whose cleaning made no two texts alike,
    ``factorize_cells`` of it (None for any other column, and for every column without ``with_codes``).

    A column is worked on through its distinct values: a million-row sheet repeats a few managers, types
    and dates over and over, so each is cleaned once, and every cell holding it then shares one object
    (the same text read a million times would otherwise be held in memory a million times).
    """
    values = np.empty((len(columns), len(table)), dtype=object)
    filled = np.zeros(len(table), dtype=bool)
    factorized: list[tuple[np.ndarray, list[object]] | None] = []
    for cleaned, column in zip(values, columns, strict=True):
        cells = table[:, column]
        codes, distinct = pd.factorize(cells)  # blanks (None) get code -1 and stay as they are
        clean, shared, texts_apart = _cleaned_distinct(distinct)
        # Texts the cleaning kept apart are still distinct, in the order the column first holds them: their codes
        # are what factorize_cells would work out again from the column (one of the longest steps of reading a
        # client list, whose names, phones and e-mails are nearly all distinct).
        factorized.append(_text_codes(codes, clean[:-1]) if with_codes and texts_apart else None)
        by_code = shared[codes]
        if by_code.all():
            cleaned[:] = clean[codes]
        else:  # numbers and blanks keep their own objects: a cell stays 1, 1.0 or TRUE as typed
            cleaned[:] = cells
            cleaned[by_code] = clean[codes[by_code]]
        blank = np.equal(clean, None)  # type: ignore[call-overload]  # None is compared with each object
        filled |= ~blank[codes]
    return values, filled, factorized


def _cleaned_distinct(distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Each distinct value of a column cleaned (text stripped, None for text of only spaces), and whether cells
    holding it take that one object; one entry more, last, for the blanks (code -1): None, not taken. Last, whether
    every value is text and no two are alike once cleaned (blanks aside).

    Only text and dates are shared: 1, 1.0 and TRUE are one "distinct value" to pandas, but not to a user.
    """
    clean = np.empty(len(distinct) + 1, dtype=object)
    shared = np.ones(len(distinct) + 1, dtype=bool)
    shared[-1] = False
    cleaned = clean[:-1]
    kinds = set(map(type, distinct))
    if kinds <= {str}:  # a column of text, as most are: stripped without a Python loop
        stripped = list(map(str.strip, distinct))
        cleaned[:] = stripped
        cleaned[cleaned == ""] = None
        # Texts left as they were (the very objects) are still distinct; else the texts are counted.
        if all(map(operator.is_, stripped, distinct)):
            return clean, shared, True
        texts = [text for text in stripped if text]
        return clean, shared, len(set(texts)) == len(texts)
    cleaned[:] = [(value.strip() or None) if type(value) is str else value for value in distinct]
    if not kinds.issubset(_SHAREABLE):
        shared[:-1] = [type(value) in _SHAREABLE for value in distinct]
    return clean, shared, False


def _object_frame(parts: Sequence[np.ndarray], columns: list[str], index: pd.Index) -> pd.DataFrame:
    """The frame of object columns whose values, one row per column, are ``parts`` side by side."""
    values = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
    # The transpose, C-ordered as pandas keeps a block of columns, is taken as it is.
    frame: pd.DataFrame = pd.DataFrame(values.T, columns=columns, index=index, dtype=object, copy=False)
    return frame


_SHAREABLE = (str, dt.date, dt.datetime, dt.time)


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _present_cells(cells: np.ndarray) -> np.ndarray:
    """``_present`` of each cell of an object array, worked out once per distinct value."""
    codes, distinct = pd.factorize(cells)  # 1, 1.0 and TRUE share a code: all of them are present
    shown: np.ndarray = np.array([*map(_present, distinct), False], dtype=bool)[codes]  # code -1 takes the last
    # None and NaN both get code -1: a NaN (not an Excel value, but a file may hold one) is present.
    missing = codes < 0
    shown[missing] = np.not_equal(cells[missing], None)  # type: ignore[call-overload]  # each compared with None
    return shown
