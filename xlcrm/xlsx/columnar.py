"""A sheet read as columns of codes: each cell's position from a scan of the sheet's XML with numpy, each distinct
cell's value from python-calamine.

python-calamine reads a sheet into a Python object per cell: ten million of them for a million rows, most of the
time of reading. A sheet repeats itself, though: a million interactions hold a hundred thousand ClientIDs, a few
thousand dates and amounts, ten types. So the cells are told apart by their XML instead: what follows a cell's
reference up to the next cell (``t="s"><v>408735</v></c>``) decides its value, whatever its position, because
every other input of that value (the shared strings, the cell formats, the date system) is the workbook's. The
scan finds every cell's row, column and that tail, vectorised over a few megabytes at a time; cells with the same
tail share one code. Each distinct tail is then read once by python-calamine itself, in a copy of the workbook
whose sheet holds one cell per tail (``_values_of``): the values, dates, booleans, errors and escapes are
calamine's own, not a second implementation of its rules.

A sheet whose XML is not in the usual layout (cells with a namespace prefix, a cell without a reference or with
attributes before it, one cell written twice, values not starting at row 1 and column A, an error or an empty text
at the edge of the values, where only calamine's own reading tells whether it widens the sheet) gives None: its
caller reads it cell by cell as before.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook

from xlcrm.errors import NotAWorkbook
from xlcrm.runtime.allocator import give_back_freed_memory
from xlcrm.xlsx.limits import MAX_USED_CELLS, checked_sheet_chunks, ends_name, sheet_parts
from xlcrm.xlsx.refs import MAX_COLUMNS, MAX_ROWS
from xlcrm.xlsx.report_sheet import CellValue
from xlcrm.xlsx.xml_io import SheetWithoutCells

# Inflated sheet XML goes to the scanners in pieces of at least half this size, each cut after a row's end: the work
# arrays of one piece stay small.
SCAN_CHUNK = 8 * 2**20
_SCANNERS = 2  # threads scanning pieces: the machines xlcrm runs on have two cores or more
# A cell's tail is compared as this many 8-byte words; longer tails (formulas, long inline text) one by one.
_WORDS = 6

_LT, _QUOTE, _SLASH = ord("<"), ord('"'), ord("/")
# White space a writer leaves after a cell before the next (an indented file: a line break and a few spaces).
_MAX_TRAILING_SPACE = 64
_CELL_HEAD = np.frombuffer(b' r="', dtype="<u4")[0]
_SHIFTS = np.arange(_WORDS)
_ALL_BYTES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
# Odd 64-bit multipliers: a tail's key is the sum of its words times these (wrapping), its length mixed in.
_MIX = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
    ],
    dtype=np.uint64,
)
_LENGTH_MIX = np.uint64(0x2545F4914F6CDD1D)
_ZEROS = np.uint64(0x3030303030303030)  # eight "0"
_HIGH_HALVES = np.uint64(0xF0F0F0F0F0F0F0F0)
_SIXES = np.uint64(0x0606060606060606)
_PREFIXED_NAME = re.compile(rb"</?[^\s/>!?<]*:")
# What may follow a cell's reference up to the next cell: the attributes Excel and LibreOffice write (double-quoted),
# then the tag closes itself or holds content (no </c> within) up to its end tag; then only white space.
_TAIL = re.compile(rb'(?:\s+(?:s|t|cm|vm|ph)\s*=\s*"[^"<]*")*\s*(?:/>|>(?:[^<]|<(?!/c>)[^<>]*>)*</c>)\s*')
# The sheet's XML before its cells: the declaration first, then tags with nothing inside them that could hide one.
_ATTRIBUTES = rb"""(?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*"""
_HEAD = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml" + _ATTRIBUTES + rb"\?>)?[^<]*"
    rb"(?:(?:<[\w.-]+" + _ATTRIBUTES + rb"/?>|</[\w.-]+\s*>)[^<]*)*"
)
# A cell's start tag, with a namespace prefix or not: each one in a row read apart must be renumbered.
_ANY_CELL = re.compile(rb"<(?:[^\s/>!?<]*:)?c[\s/>]")
_CELL_REFERENCE = re.compile(rb'<c r="([A-Z]{1,3})([0-9]+)"')
_SHEET_DATA_START = re.compile(rb"<sheetData(?=[\s/>])")
_ANY_SHEET_DATA = re.compile(rb"<(?:[^\s/>!?<]*:)?sheetData[\s/>]")
_SHEET_DATA_CLOSE = re.compile(rb"</sheetData\s*>")
# The most of a sheet's XML the scan keeps around its cells (before them, after them, or in one row).
_MAX_FRAME = 16 * 2**20


class NotPlain(Exception):
    """The sheet's XML is not in the layout the scan reads."""


@dataclass(frozen=True)
class CellGrid:
    """A sheet's cells: ``codes[row, column]`` (row 0 is Excel's row 1, column 0 is A) indexes ``values``, -1
    where the sheet holds no value; the grid spans calamine's range of the sheet, which starts at A1."""

    codes: np.ndarray
    values: list[CellValue]
    without_cells: SheetWithoutCells | None = None

    def cells(self) -> np.ndarray:
        """``values`` as an object array indexed by code, one more last for code -1: "", as calamine reads a cell
        without a value."""
        cells = np.empty(len(self.values) + 1, dtype=object)
        cells[:-1] = self.values
        cells[-1] = ""
        return cells

    def rows(self, count: int | None = None) -> list[list[CellValue]]:
        """The first ``count`` rows (all when None) as python-calamine's ``to_python`` gives them: a list of
        values per row, "" where a cell holds none."""
        found: list[list[CellValue]] = self.cells()[self.codes[:count]].tolist()
        return found


def read_grid(path: Path, sheet_name: str) -> CellGrid | None:
    """The sheet named ``sheet_name`` as a ``CellGrid``: every cell as python-calamine reads it, the sheet checked
    as ``limits.check_sheet`` checks it while it is read (``BeyondLimits``); None when the sheet is not in the usual
    layout, the workbook is not an OOXML package or its zip cannot be read: the reading cell by cell decides.

    The range of the cells is bounded here rather than by the limits' scan: no more than ``MAX_USED_CELLS`` cells
    are kept (``_Cells.add``), and none placed in a grid wider or longer than that allows (``_placed``). A sheet
    beyond either is left to the reading cell by cell, whose checks refuse it."""
    try:
        with zipfile.ZipFile(path) as archive:
            part, chunks = _sheet_xml(archive, path, sheet_name, range_bounded_here=True)
            frame = _Frame()
            try:
                cells = _scanned_cells(_sheet_data_chunks(chunks, frame))
            finally:
                # The rest of the part is checked too, whatever the scan made of it: the limits, and the checksum
                # at its end, which reader.read_workbook leaves to this reading (a damaged part: BadZipFile, read
                # cell by cell, whose check names it).
                for _ in chunks:
                    pass
            # glibc keeps the memory freed here for reuse (the scan's work arrays, over a hundred MB for a million
            # rows), but what comes next asks for blocks of other sizes and would take fresh pages beside it.
            give_back_freed_memory()
            tails, coded = cells.coded()
            del cells
            # A cell whose element holds nothing (a formatted blank, <c r="B2" s="3"></c>) has no value: calamine
            # leaves it out of the sheet's range, and so does the grid.
            without_value = np.array([_NO_VALUE.fullmatch(tail) is not None for tail in tails], dtype=bool)
            # The cells are placed before their values are read: the grid holds less than half of what their chunks
            # held.
            grid = _placed(coded, without_value)
            give_back_freed_memory()  # the chunks' arrays, freed as they were placed
            values = _values_of(archive, sheet_name, part, tails, frame)
            return _grid(grid, values, without_value, SheetWithoutCells(part, frame.head, frame.tail))
    except _NOT_READ_HERE:
        return None


# What makes a sheet's XML not read here: the caller reads the sheet another way.
_NOT_READ_HERE = (NotPlain, NotAWorkbook, CalamineError, zipfile.BadZipFile, zlib.error, EOFError, OSError)


def _sheet_xml(
    archive: zipfile.ZipFile, path: Path, sheet_name: str, *, range_bounded_here: bool = False
) -> tuple[str, Iterator[bytes]]:
    """The zip entry of the sheet named ``sheet_name`` in ``archive`` (the workbook at ``path``) and its XML inflated
    a chunk at a time, each checked against the limits (``checked_sheet_chunks``, the range left to the caller when
    ``range_bounded_here``); ``NotPlain`` when the workbook names no such sheet."""
    part = sheet_parts(archive).get(sheet_name)
    if part is None:
        raise NotPlain
    return part, checked_sheet_chunks(archive, path, sheet_name, part, range_bounded_by_reader=range_bounded_here)


def _scanned_cells(chunks: Iterator[bytes]) -> _Cells:
    """The cells of ``chunks`` (whole rows of a sheet's XML each), scanned on two threads while the next chunk is
    inflated (numpy and zlib let go of Python's lock); a few chunks at most are in hand at once."""
    cells = _Cells()
    with ThreadPoolExecutor(max_workers=_SCANNERS, thread_name_prefix="xlcrm-scan") as scanners:
        scanning: deque[Future[_Chunk | None]] = deque()
        for data in chunks:
            scanning.append(scanners.submit(_scan_chunk, data))
            if len(scanning) > _SCANNERS:
                cells.add(scanning.popleft().result())
        while scanning:
            cells.add(scanning.popleft().result())
    return cells


@dataclass
class _Frame:
    """The sheet's XML around its cells: up to and with ``<sheetData>``, and from ``</sheetData>`` on."""

    head: bytes = b""
    tail: bytes = b""


def _sheet_data_chunks(inflated: Iterator[bytes], frame: _Frame) -> Iterator[bytes]:
    """The XML inside a sheet's one ``<sheetData>``, from the chunks of the sheet as ``inflated``, in pieces of at
    least half ``SCAN_CHUNK`` that each end after a row's end tag (the last one as the sheet data ends); ``frame``
    gets what surrounds it. ``NotPlain`` when the sheet data could be other than where calamine finds it."""
    carry = b""
    started = False
    for chunk in inflated:
        data = carry + chunk
        if not started:
            opening = _SHEET_DATA_START.search(data)
            if opening is None:
                if len(data) > _MAX_FRAME:
                    raise NotPlain
                carry = data
                continue
            end = opening.start() + len(b"<sheetData>")
            frame.head = data[:end]
            if data[opening.start() : end] != b"<sheetData>" or _HEAD.fullmatch(frame.head[: opening.start()]) is None:
                raise NotPlain  # attributes on it, or a comment or tag before it that may hold "<sheetData>"
            if _ANY_CELL.search(frame.head) is not None:
                raise NotPlain  # a cell outside the sheet data: see below
            data, started = data[end:], True
        closing = _SHEET_DATA_CLOSE.search(data)
        if closing is not None:
            yield data[: closing.start()]
            frame.tail = data[closing.start() :] + b"".join(_bounded(inflated, _MAX_FRAME))
            if _ANY_SHEET_DATA.search(frame.tail) is not None:
                raise NotPlain  # a second sheet data: which one calamine reads, only calamine tells
            if _ANY_CELL.search(frame.tail) is not None:
                # calamine leaves a cell outside the sheet data out, but the limits count it in the sheet's range,
                # which this read bounds by the cells it places: the reading cell by cell checks the whole part.
                raise NotPlain
            return
        cut = data.rfind(b"</row>")
        if cut < SCAN_CHUNK // 2:
            if len(data) > _MAX_FRAME + SCAN_CHUNK:  # a row this long, or rows never closed: not the usual layout
                raise NotPlain
            carry = data
            continue
        carry = data[cut + 6 :]
        yield data[: cut + 6]
    raise NotPlain  # a sheet without sheetData, or one cut short: calamine's reading decides what it holds


def _bounded(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """The rest of ``chunks``; ``NotPlain`` once they pass ``limit`` bytes."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise NotPlain
        yield chunk


@dataclass
class _Chunk:
    """The cells of one chunk of a sheet's XML: row and column of each, and which of the chunk's distinct short tails
    (key, words, length) it has (-1 for a long one); its long tails by cell."""

    rows: np.ndarray
    columns: np.ndarray
    tail_codes: np.ndarray
    distinct_keys: np.ndarray
    distinct_words: np.ndarray
    distinct_lengths: np.ndarray
    long_tails: list[tuple[int, bytes]]


def _scan_chunk(data: bytes) -> _Chunk | None:
    """The cells of ``data`` (whole rows of a sheet's XML), None when it holds none; ``NotPlain`` for a layout the
    scan does not read."""
    size = len(data)
    padded = data + b"\0" * (16 + 8 * _WORDS + (-size) % 8)
    view = np.frombuffer(padded, dtype=np.uint8)
    _refuse_prefixed_names(data, view, size)
    tags = np.flatnonzero(view[:size] == _LT)
    name = view[tags + 1]
    if ((name == ord("!")) | (name == ord("?"))).any():
        raise NotPlain  # a comment, CDATA or processing instruction: text that may look like tags
    tag_ends = _tag_ends(view, tags, size)
    # Each cell's tail runs to the next cell or row tag: those tags are marked among all.
    cell_tags = np.flatnonzero(name == ord("c"))
    cell_tags = cell_tags[ends_name(view[tags[cell_tags] + 2])]  # <c …>, not <col> or <cfRule>
    row_tags = np.flatnonzero((name == ord("r")) | (name == ord("/")))
    at = tags[row_tags]
    at = at + (view[at + 1] == ord("/"))  # "</row" read from its "/"
    row_tags = row_tags[
        (view[at + 1] == ord("r"))
        & (view[at + 2] == ord("o"))
        & (view[at + 3] == ord("w"))
        & ends_name(view[at + 4])  # not <rowBreaks>; "</r>" closes a run of rich text
    ]
    if not len(cell_tags):
        return None
    # Per tag: 0 another, 1 a row's start, 2 a row's end, 3 a cell, 4 a row closed in its own tag.
    kind = np.zeros(len(tags) + 1, dtype=np.int8)
    kind[row_tags] = np.where(
        view[tags[row_tags] + 1] == ord("/"), 2, np.where(view[tag_ends[row_tags] - 1] == ord("/"), 4, 1)
    )
    kind[cell_tags] = 3
    kind[-1] = 1  # what follows the piece: the next row
    _require_cells_in_rows(kind)
    _require_closed_quotes(view, size, tags[row_tags], tag_ends[row_tags])
    _require_row_numbers(padded, view, tags[row_tags[(kind[row_tags] == 1) | (kind[row_tags] == 4)]])
    marked = kind > 0
    bounds = np.append(tags, size)[marked]
    cells = tags[cell_tags]
    if not (_unaligned(padded, cells + 2, 1)[0].view(np.uint32)[::2] == _CELL_HEAD).all():
        raise NotPlain  # a cell without a reference, or with an attribute before it
    rows, columns, tail_starts = _references(padded, view, cells)
    tail_ends = bounds[np.searchsorted(bounds, cells, "right")]  # the next bound after each cell
    # A cell closed in its own tag (<c r="B2" s="3"/>, a formatted blank) holds no value: calamine leaves it out.
    # Its tail holds no tag (the next tag is the next bound); any other tail is checked whole once (_TAIL).
    tagless = np.append(tags, size)[cell_tags + 1] == tail_ends
    holding = ~(_require_whole_cells(view, tail_ends) & tagless)
    if not holding.all():
        blank_tails = {data[start:end] for start, end in zip(tail_starts[~holding], tail_ends[~holding], strict=True)}
        if not all(_TAIL.fullmatch(tail) for tail in blank_tails):
            raise NotPlain
        rows, columns = rows[holding], columns[holding]
        tail_starts, tail_ends = tail_starts[holding], tail_ends[holding]
    if not len(rows):
        return None
    lengths = tail_ends - tail_starts
    short = lengths <= 8 * _WORDS
    # Words past the longest short tail would be zero in every cell, adding nothing to a key or a comparison: most
    # sheets' tails fit in three or four (' t="s"><v>408735</v></c>').
    count = (int(lengths[short].max(initial=1)) + 7) // 8
    words = _words(padded, tail_starts, lengths, count)
    mixed = (words * _MIX[:count, None]).sum(axis=0, dtype=np.uint64)
    keys = mixed ^ (lengths.astype(np.uint64) * _LENGTH_MIX)
    long_tails = [(int(index), data[tail_starts[index] : tail_ends[index]]) for index in np.flatnonzero(~short)]
    chunk_codes, chunk_keys = pd.factorize(keys[short])
    first = np.full(len(chunk_keys), -1, dtype=np.int64)
    first[chunk_codes] = np.flatnonzero(short)  # a cell of each short tail, any: every one is compared with it
    short_words, short_lengths = (words, lengths) if not long_tails else (words[:, short], lengths[short])
    if not (
        (short_words == words[:, first[chunk_codes]]).all() and (short_lengths == lengths[first[chunk_codes]]).all()
    ):  # two tails with one key: vanishingly rare
        raise NotPlain
    # A chunk's cells are kept until the sheet is scanned: as narrow as their values let them be.
    code_type = np.int16 if len(chunk_keys) < 2**15 else np.int32
    if long_tails:
        tail_codes = np.full(len(rows), -1, dtype=code_type)
        tail_codes[short] = chunk_codes
    else:
        tail_codes = chunk_codes.astype(code_type)
    return _Chunk(
        rows.astype(np.int32),
        columns.astype(np.uint16),  # three letters at most (ZZZ), below 2**16
        tail_codes,
        np.asarray(chunk_keys, dtype=np.uint64),
        np.pad(words[:, first].T, ((0, 0), (0, _WORDS - count))),  # as wide as every chunk's, to be compared across
        lengths[first],
        long_tails,
    )


class _Cells:
    """Every cell of a sheet scanned so far: row and column, and its tail, chunk by chunk."""

    def __init__(self) -> None:
        self.chunks: list[_Chunk] = []
        self.count = 0  # cells with a value
        self.long_tails: dict[bytes, int] = {}  # tails over _WORDS words, each numbered by content

    def add(self, chunk: _Chunk | None) -> None:
        """Add the cells of a chunk scanned, after those of the chunks added before."""
        if chunk is None:
            return
        self.count += len(chunk.rows)
        if self.count > MAX_USED_CELLS:  # more values than the limit lets a sheet hold: check_sheet refuses it
            raise NotPlain
        for _, tail in chunk.long_tails:
            self.long_tails.setdefault(tail, len(self.long_tails))
        self.chunks.append(chunk)

    def coded(self) -> tuple[list[bytes], list[_CodedCells]]:
        """Each distinct tail once, and the cells chunk by chunk (in the order scanned), each with its code into that
        list; the chunks scanned are handed over, each let go once its cells are coded."""
        if not self.chunks:
            raise NotPlain  # no cell: nothing to gain
        keys = np.concatenate([chunk.distinct_keys for chunk in self.chunks])
        words = np.concatenate([chunk.distinct_words for chunk in self.chunks])
        lengths = np.concatenate([chunk.distinct_lengths for chunk in self.chunks])
        codes, distinct = pd.factorize(keys)
        first = np.full(len(distinct), -1, dtype=np.int64)
        first[codes] = np.arange(len(codes))
        if not ((words == words[first[codes]]).all() and (lengths == lengths[first[codes]]).all()):
            raise NotPlain
        tails = [words[index].tobytes()[: lengths[index]] for index in first]
        short_tails = len(tails)
        tails.extend(self.long_tails)
        if not all(_TAIL.fullmatch(tail) for tail in tails):
            raise NotPlain  # a second reference, an attribute of another kind, another element after the cell
        lookup = pd.Index(np.asarray(distinct, dtype=np.uint64))
        coded = []
        chunks, self.chunks = self.chunks[::-1], []
        while chunks:
            chunk = chunks.pop()
            # Each of the chunk's distinct tails is looked up once; its cells take that tail's code (a long tail's
            # cells, code -1, take the -1 appended, then their own).
            local = lookup.get_indexer(chunk.distinct_keys)  # type: ignore[arg-type]  # an array is looked up as an index
            found = np.append(local, -1).astype(np.int32)[chunk.tail_codes]
            for index, tail in chunk.long_tails:
                found[index] = short_tails + self.long_tails[tail]
            coded.append(_CodedCells(chunk.rows, chunk.columns, found))
        return tails, coded


@dataclass(frozen=True)
class _CodedCells:
    """Cells of one chunk: the row (1-based) and column (0-based) of each, and its code into the sheet's tails."""

    rows: np.ndarray
    columns: np.ndarray
    codes: np.ndarray


def _tag_ends(view: np.ndarray, tags: np.ndarray, size: int) -> np.ndarray:
    """Where each tag at ``tags`` ends (its ``>``); ``NotPlain`` unless each ends before the next one starts: a ``<``
    inside an attribute's value (which calamine's parser takes) could otherwise hide a cell or a row."""
    ends = np.flatnonzero(view[:size] == ord(">"))
    if len(ends) == len(tags):  # as writers escape ">" in text: then each tag's end is the one of its rank
        following = ends
    else:
        index = np.searchsorted(ends, tags)
        if len(tags) and index[-1] >= len(ends):
            raise NotPlain
        following = ends[index]
    if len(tags) and ((following <= tags).any() or (following >= np.append(tags[1:], size)).any()):
        raise NotPlain
    # Values in apostrophes (which no writer uses) are left to calamine.
    apostrophes = np.flatnonzero(view[:size] == ord("'"))
    if len(apostrophes):
        tag = np.searchsorted(tags, apostrophes, "right") - 1
        if ((tag >= 0) & (apostrophes < following[np.maximum(tag, 0)])).any():
            raise NotPlain
    return following


def _require_closed_quotes(view: np.ndarray, size: int, starts: np.ndarray, ends: np.ndarray) -> None:
    """``NotPlain`` unless each tag from ``starts`` to ``ends`` (its ``>``) holds an even number of quotes: a ``>``
    inside a quoted value is not the tag's end, and what follows it up to the real end (cells, rows) is the tag's
    to calamine. Cells' tags are checked whole with their tails (``_TAIL``)."""
    if not len(starts):
        return
    bounds = np.empty(2 * len(starts), dtype=np.int64)
    bounds[0::2], bounds[1::2] = starts, ends
    parity = np.bitwise_xor.reduceat((view[:size] == _QUOTE).view(np.uint8), bounds)[0::2]
    if parity.any():
        raise NotPlain


def _require_cells_in_rows(kind: np.ndarray) -> None:
    """``NotPlain`` unless the tags, by ``kind`` (see ``_scan_chunk``) in order, nest as rows of cells: a row starts
    after the end of the one before, a cell in a row (after its start or another cell), another tag in a cell (after
    it or another such tag), a row ends after its start or its cells."""
    before, after = kind[:-1], kind[1:]
    in_row = (before == 1) | (before == 3) | (before == 0)  # what stands before a cell, or a row's end
    out_of_row = (before == 2) | (before == 4)  # what stands before a row's start
    misplaced = (
        (((after == 3) | (after == 2)) & ~in_row)
        | (((after == 1) | (after == 4)) & ~out_of_row)
        | ((after == 0) & ~((before == 3) | (before == 0)))
    )
    if kind[0] not in (1, 4) or misplaced.any():
        raise NotPlain


def _require_row_numbers(padded: bytes, view: np.ndarray, starts: np.ndarray) -> None:
    """``NotPlain`` unless each row's start tag (at ``starts``) is ``<row>`` or numbers the row from 1 first
    (``<row r="7"``, then a space, ``>`` or ``/``): calamine refuses a sheet with a row 0 or a number that is not
    one, and every writer puts the number first."""
    bare = view[starts + 4] == ord(">")
    numbered = _unaligned(padded, starts + 4, 1)[0].view(np.uint32)[::2] == _CELL_HEAD
    window = _bytes_at(padded, starts + 8)
    closing = np.argmax(window == _QUOTE, axis=1)
    digit = (window - np.uint8(ord("0"))) < 10
    all_digits = (digit | (np.arange(16) >= closing[:, None])).all(axis=1)
    after = window[np.arange(len(starts)), np.minimum(closing + 1, 15)]
    number = numbered & (window[:, 0] != ord("0")) & (closing > 0) & all_digits & ends_name(after)
    if not (bare | number).all():
        raise NotPlain


def _require_whole_cells(view: np.ndarray, tail_ends: np.ndarray) -> np.ndarray:
    """Whether each cell's tag closes itself (``/>``); ``NotPlain`` unless each cell's tail ends its element
    (``</c>`` or ``/>``, then only white space): what lies between one cell and the next tag the scan looks for is
    that cell, and only that."""
    last = tail_ends - 1
    for _ in range(_MAX_TRAILING_SPACE):
        spaces = (view[last] == ord(" ")) | ((view[last] >= 9) & (view[last] <= 13))
        if not spaces.any():
            break
        last = np.where(spaces, last - 1, last)
    else:
        raise NotPlain
    self_closed: np.ndarray = view[last - 1] == ord("/")
    closed = (view[last] == ord(">")) & (
        self_closed | ((view[last - 1] == ord("c")) & (view[last - 2] == ord("/")) & (view[last - 3] == _LT))
    )
    if not closed.all():
        raise NotPlain
    return self_closed


def _refuse_prefixed_names(data: bytes, view: np.ndarray, size: int) -> None:
    """``NotPlain`` when an element of ``data`` is written with a namespace prefix (``<x:c r="A1">``, as the
    OpenXML SDK writes): the scan looks for cells by their plain names only."""
    colons = np.flatnonzero(view[:size] == ord(":"))  # few: prefixed names, xml:space, text with a colon
    if len(colons) and _PREFIXED_NAME.search(data) is not None:
        raise NotPlain


def _references(padded: bytes, view: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The row (1-based) and column (0-based) of each cell's ``r="B12"`` and where its tail starts (after the
    quote), for the cells whose tags start at ``cells``; ``NotPlain`` for a reference of another shape."""
    window = _bytes_at(padded, cells + 6)
    letters = np.argmin((window[:, :4] - np.uint8(ord("A"))) < 26, axis=1)  # wraps below "A": one comparison
    closing = np.argmax(window == _QUOTE, axis=1)
    digits = closing - letters
    if not ((letters > 0) & (letters < 4) & (digits > 0) & (digits < 8)).all():
        raise NotPlain
    columns = window[:, 0].astype(np.int64) - (ord("A") - 1)
    for place in (1, 2):
        columns = np.where(letters > place, columns * 26 + window[:, place] - (ord("A") - 1), columns)
    # The eight bytes before the quote as one number, the bytes before the digits made "0"; then the digits are
    # summed pairwise in place (SWAR): first digit in the lowest byte, as a little-endian load puts it.
    number = _unaligned(padded, cells + 6 + closing - 8, 1)[0]
    filler = (np.uint64(1) << ((8 - digits) * 8).astype(np.uint64)) - np.uint64(1)
    number = (number & ~filler) | (_ZEROS & filler)
    # Every byte a digit: its high half 3, and its low half at most 9 (adding 6 keeps the high half 3).
    if not (((number & _HIGH_HALVES) == _ZEROS) & (((number + _SIXES) & _HIGH_HALVES) == _ZEROS)).all():
        raise NotPlain
    number -= _ZEROS
    number = number * np.uint64(10) + (number >> np.uint64(8)) & np.uint64(0x00FF00FF00FF00FF)
    number = number * np.uint64(100) + (number >> np.uint64(16)) & np.uint64(0x0000FFFF0000FFFF)
    number = number * np.uint64(10000) + (number >> np.uint64(32)) & np.uint64(0x00000000FFFFFFFF)
    rows = number.astype(np.int64)
    if not (rows > 0).all():
        raise NotPlain  # row 0 is no row: calamine refuses the sheet
    return rows, columns - 1, cells + 6 + closing + 1


def _unaligned(padded: bytes, starts: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` 8-byte little-endian words at each of ``starts`` (any byte offset) of ``padded``: row ``n`` holds
    the ``n``-th word of every start, so that a word of all of them is one contiguous array."""
    aligned = np.frombuffer(padded, dtype="<u8")
    index = starts >> 3
    shift = ((starts & 7) << 3).astype(np.uint64)
    # The next word's bytes shifted in: by 64 - shift, done as two shifts (by 64 would keep the word, not clear it).
    back = np.uint64(63) - shift
    one = np.uint64(1)
    words = np.empty((count, len(starts)), dtype=np.uint64)
    low = aligned[index]
    for place in range(count):
        high = aligned[index + place + 1]
        words[place] = (low >> shift) | ((high << back) << one)
        low = high
    return words


def _bytes_at(padded: bytes, starts: np.ndarray) -> np.ndarray:
    """The 16 bytes at each of ``starts`` of ``padded``, a row of them per start."""
    return np.ascontiguousarray(_unaligned(padded, starts, 2).T).view(np.uint8).reshape(len(starts), 16)


def _words(padded: bytes, starts: np.ndarray, lengths: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` 8-byte words of the bytes at each of ``starts`` (as ``_unaligned`` lays them out), bytes
    past each ``lengths`` zeroed."""
    words = _unaligned(padded, starts, count)
    kept = np.clip(lengths[None, :] - 8 * _SHIFTS[:count, None], 0, 8).astype(np.uint64)
    words &= np.where(kept >= 8, _ALL_BYTES, (np.uint64(1) << (kept * np.uint64(8))) - np.uint64(1))
    return words


def _values_of(
    archive: zipfile.ZipFile, sheet_name: str, part: str, tails: list[bytes], frame: _Frame
) -> list[CellValue]:
    """What python-calamine reads for a cell with each tail, in a copy of the workbook whose sheet holds one cell
    per tail between the sheet's own XML before and after its cells."""
    rows = b"".join(b'<row r="%d"><c r="A%d"%s</row>' % (number, number, tail) for number, tail in enumerate(tails, 1))
    read = _read_in_copy(archive, sheet_name, part, frame, rows, len(tails))
    if read and len(read[0]) != 1:
        raise NotPlain  # calamine read cells past column A: more than the copy's one cell per row
    values: list[CellValue] = [row[0] for row in read]
    return values


def _read_in_copy(
    archive: zipfile.ZipFile, sheet_name: str, part: str, frame: _Frame, rows: bytes, count: int
) -> list[list[CellValue]]:
    """The ``count`` rows that python-calamine reads from ``rows`` (the XML of rows 1 to ``count``), in a copy of the
    workbook whose sheet holds them between the sheet's own XML before and after its cells: each row from column A,
    padded to the widest."""
    # A last row of a text no workbook holds: the copy is read as written only if it comes back last, alone.
    mark = secrets.token_hex(16)
    last = count + 1
    rows += b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (last, last, mark.encode())
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w", zipfile.ZIP_STORED) as copy:
        for entry in _context_parts(archive):
            copy.writestr(entry, archive.read(entry))
        copy.writestr(part, frame.head + rows + frame.tail)
    package.seek(0)
    book = CalamineWorkbook.from_filelike(package)
    try:
        read = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    finally:
        book.close()
    if len(read) != last or read[-1][0] != mark or any(value != "" for value in read[-1][1:]):
        raise NotPlain  # calamine read other cells than the copy's: another part, or more than its sheet data
    # calamine's cell types are among CellValue's; a list of them is not a list of CellValue to mypy.
    return cast(list[list[CellValue]], read[:-1])


def read_rows(path: Path, sheet_name: str, numbers: Sequence[int]) -> list[list[CellValue]] | None:
    """Row 1 and the rows ``numbers`` (ascending, each past 1) of the sheet named ``sheet_name``, as python-calamine
    reads them from the whole sheet: one list per row, from column A, padded to the widest. A comparison that needs
    a few rows of a million costs one pass over the sheet's XML, not a read of every cell.

    Each row is found by its ``<row r="…">`` and read by calamine in a copy of the workbook whose sheet holds only
    those rows, numbered 1 on (the references of their cells with them), between the sheet's own XML before and
    after its cells; the sheet is checked as ``read_grid`` checks it while it is read. None when a row is missing or
    not one plain element, a cell of it refers to another row, or the sheet or the workbook is not read that way
    (see ``read_grid``).

    Rows written in a way no writer uses can come back other than the whole sheet's read gives them: a row's cells
    split over two elements of its number, or one of its cells written in another row's element, or a copy of the
    row inside a comment before it. A caller that needs the rows exact compares them with what it knows of them
    (``xlcrm.checks.changes.changes_since`` with their hashes).
    """
    wanted = [1, *numbers]
    try:
        with zipfile.ZipFile(path) as archive:
            part, chunks = _sheet_xml(archive, path, sheet_name)
            frame = _Frame()
            found = _rows_found(_sheet_data_chunks(chunks, frame), wanted)
            for _ in chunks:  # the rest of the part is checked too (a sheet not read apart is left to the whole read)
                pass
            return _read_in_copy(archive, sheet_name, part, frame, b"".join(found), len(found))
    except _NOT_READ_HERE:
        return None


def _rows_found(chunks: Iterator[bytes], wanted: list[int]) -> list[bytes]:
    """The XML of each row numbered in ``wanted`` (ascending), from ``chunks`` of whole rows, renumbered 1 on in
    that order; ``NotPlain`` when one is not found."""
    found: list[bytes] = []
    for data in chunks:
        at = 0
        while len(found) < len(wanted):
            number = wanted[len(found)]
            start = data.find(b'<row r="%d"' % number, at)
            if start < 0:
                break  # in a later chunk
            found.append(_renumbered(data, start, number, len(found) + 1))
            at = start + 1
    if len(found) < len(wanted):
        raise NotPlain
    return found


def _renumbered(data: bytes, start: int, number: int, new: int) -> bytes:
    """The row element at ``start`` of ``data``, row ``number``, made row ``new``: its number and those of its
    cells' references; ``NotPlain`` unless it ends before another row starts and each of its cells refers to it."""
    tag_end = data.find(b">", start)
    if tag_end < 0:
        raise NotPlain
    end = tag_end + 1 if data[tag_end - 1] == _SLASH else data.find(b"</row>", tag_end) + len(b"</row>")
    row = data[start:end]
    if end <= tag_end or row.count(b"<row") != 1:
        raise NotPlain
    cells = len(_ANY_CELL.findall(row))
    reference = b"%d" % number
    renumbered = 0

    def renumber(cell: re.Match[bytes]) -> bytes:
        nonlocal renumbered
        if cell[2] != reference:
            raise NotPlain  # a cell of another row
        renumbered += 1
        return b'<c r="%s%d"' % (cell[1], new)

    row = _CELL_REFERENCE.sub(renumber, row)
    if renumbered != cells:
        raise NotPlain  # a cell without a reference, or with attributes before it
    return b'<row r="%d' % new + row[len(b'<row r="') + len(reference) :]


def _context_parts(archive: zipfile.ZipFile) -> list[str]:
    """Every zip entry but the sheets: what python-calamine may read to open the workbook and read a sheet's
    values (it finds parts by name whatever their case, so a package holding two names that differ only so is
    ``NotPlain``: which one it reads is its own affair)."""
    names = archive.namelist()
    folded = [name.replace("\\", "/").casefold() for name in names]
    if len(set(folded)) != len(folded):
        raise NotPlain
    sheets = {sheet.casefold() for sheet in sheet_parts(archive).values()}
    return [name for name, fold in zip(names, folded, strict=True) if fold not in sheets]


_NO_VALUE = re.compile(rb'(?:\s+[\w:]+\s*=\s*"[^"<>]*")*\s*(?:/>|>\s*</c>)\s*')


def _placed(cells: list[_CodedCells], left_out: np.ndarray) -> np.ndarray:
    """The codes of the cells scanned (``_Cells.coded``, handed over: each chunk's arrays go once placed) at their
    places in a grid from A1 to the last row and column any of them is in, -1 where there is none; the cells whose
    code ``left_out`` marks are not placed. ``NotPlain`` when they do not start at A1, reach past what a workbook
    holds, or one place is written twice."""
    leaving_out = bool(left_out.any())

    def kept(part: _CodedCells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not leaving_out:
            return part.rows, part.columns, part.codes
        placed = ~left_out[part.codes]
        return part.rows[placed], part.columns[placed], part.codes[placed]

    extents = [
        (int(rows.min()), int(rows.max()), int(columns.min()), int(columns.max()))
        for rows, columns, _ in map(kept, cells)
        if len(rows)
    ]
    if not extents:
        raise NotPlain  # no cell with a value
    height, width = max(extent[1] for extent in extents), max(extent[3] for extent in extents) + 1
    if min(extent[0] for extent in extents) != 1 or min(extent[2] for extent in extents) != 0:
        raise NotPlain  # calamine's rows would not start at A1
    if height > MAX_ROWS or width > MAX_COLUMNS or height * width > MAX_USED_CELLS:
        raise NotPlain  # beyond what a workbook holds, or beyond the limits: the checks say which
    grid = np.full((height, width), -1, dtype=np.int32)
    count = 0
    while cells:
        rows, columns, codes = kept(cells.pop())
        # Positions in the grid as 64-bit integers (a sheet's cells number up to 2**34), worked out in place.
        flat = rows.astype(np.int64)
        flat -= 1
        flat *= width
        flat += columns
        grid.ravel()[flat] = codes
        count += len(flat)
    if np.count_nonzero(grid >= 0) != count:
        raise NotPlain  # a cell written twice
    return grid


def _grid(
    grid: np.ndarray, values: list[CellValue], left_out: np.ndarray, without_cells: SheetWithoutCells
) -> CellGrid:
    """The cells placed (``_placed``, but those whose code ``left_out`` marks) as calamine lays out the sheet, given
    the value of each code (``without_cells``: the rest of its XML); ``NotPlain`` when that layout cannot be told
    without calamine's reading of the sheet itself."""
    blank = np.array([value == "" for value in values], dtype=bool)
    if (left_out & ~blank).any():
        raise NotPlain  # an element holding nothing that calamine reads a value from
    # A cell placed that reads as blank holds an empty text or an error: it is in calamine's range, so it matters
    # only at the edges of the range of the values. Most sheets have none (the codes left out are in no place).
    blank &= ~left_out
    if not blank.any():
        return CellGrid(grid, values, without_cells)
    blank_cells = np.append(blank, False)[grid]  # code -1 (no cell) takes the False appended
    valued = (grid >= 0) & ~blank_cells
    valued_rows, valued_columns = np.flatnonzero(valued.any(axis=1)), np.flatnonzero(valued.any(axis=0))
    if not len(valued_rows) or valued_rows[0] != 0 or valued_columns[0] != 0:
        raise NotPlain  # calamine's rows would not start at A1
    height, width = int(valued_rows[-1]) + 1, int(valued_columns[-1]) + 1
    if blank_cells[height:].any() or blank_cells[:, width:].any():
        raise NotPlain  # whether calamine's range reaches them, only its own reading tells
    return CellGrid(np.ascontiguousarray(grid[:height, :width]), values, without_cells)
