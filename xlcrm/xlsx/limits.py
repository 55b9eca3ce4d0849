"""Limits on what xlcrm reads from a workbook, checked before anything parses it (DESIGN.md, safety rule 5).

A workbook is a zip of XML parts, and a hostile or broken file can hold parts
that inflate a thousandfold (a decompression bomb: a 1 MB file holding a 1 GB
cell, or a gigabyte of spaces), a cell no Excel could have written, or one
value at XFD1048576 that makes python-calamine allocate its whole
17-billion-cell grid and abort the process. So, before any reader sees the file:

- ``check_package`` looks at the zip's directory only (declared sizes, no
  inflating): the size of each part, of the whole package, and the compression
  ratio of big parts, and the size of the styles, which python-calamine reads
  all of as it opens the file; then it streams the shared strings through
  ``scan_part``.
- ``check_sheet`` streams one sheet's XML through ``scan_part`` before
  python-calamine reads the sheet: the bytes inflated (whatever the directory
  declared), the longest text in one cell, and the range the cells with values
  span.

The parts scanned are the ones python-calamine reads, found as it finds them
(``sheet_parts``): workbook.xml and sharedStrings.xml by those names in the
folder of the package's last officeDocument relationship, a sheet through its
relationship's Target as written, zip entries whatever the case of their names.
A package reader would resolve the relationships otherwise, and a crafted file
could then show the scan clean copies of the parts calamine reads.

The scan reads raw bytes a few megabytes at a time, never parsing: a chunk
whose cells all open with a reference inside A1:Z999999 (or A1:AZ499999, a
client list with columns past Z) and whose text has a ``<`` every 16 KB passes
on a regular-expression search or two and a few ``find`` calls; any other chunk
is looked at tag by tag with numpy (the position of every ``<``). The
million-row Interactions sheet of benchmarks/scale.py (251 MB) takes about
0.5 s on top of the 0.5 s of inflating it. Every limit is a named
constant below with the reason for its value.
"""

from __future__ import annotations

import html
import os
import re
import string
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
from lxml import etree

from xlcrm.errors import BeyondLimits, NotAWorkbook, quoted
from xlcrm.messages import Message, Number, Text, t, tn
from xlcrm.xlsx.refs import MAX_COLUMNS, MAX_ROWS, sheet_ref
from xlcrm.xlsx.xml_io import MAX_PARSED_BYTES, local_name, parse_part, refuse_dtd

# Largest part (one sheet's XML, the shared strings) inflated. The benchmark workbook of 100,000 clients and a
# million interactions (benchmarks/scale.py) holds a 251 MB Interactions sheet, about 25 bytes a cell: 2 GiB is
# a full million rows of some 80 columns, more than any client base; beyond it reading alone takes minutes.
MAX_PART_BYTES = 2 * 2**30
# Largest whole package inflated: that million-row workbook is 410 MB once refreshed (report sheets included).
MAX_PACKAGE_BYTES = 4 * 2**30
# Largest compression ratio of a big part. Measured: real sheets compress 5-16× (demo workbooks, the
# million-row benchmark before and after a refresh), the most repetitive legitimate XML (a million formatted
# empty rows) 23×; a gigabyte of spaces or of one repeated letter compresses 1,000×.
MAX_RATIO = 100
# Parts smaller than this inflated are never refused for their ratio: they cannot hurt, and small repetitive
# parts (styles, a sheet of empty formatted rows) may compress far more than sheets of data do.
RATIO_CHECKED_FROM = 16 * 2**20
# Excel's limit for the text of one cell, in characters (UTF-16 units, as Excel counts them).
MAX_CELL_CHARS = 32_767
# Longest stretch of bytes between two tags that can still be one legitimate cell: each of its 32,767
# characters written in the longest way XML allows (``&#x10FFFF;``, 10 bytes). Longer is refused unread;
# shorter but over 32,767 bytes is decoded to count its characters exactly.
MAX_CELL_BYTES = 10 * MAX_CELL_CHARS
# Largest range (rows × columns) the cells holding values of one sheet may span: Excel's full 1,048,576 rows of
# 26 columns, A to Z (a million interactions take 10). python-calamine holds every cell of that range: measured,
# a sheet spanning 1,048,576 × 64 cells took 2.8 GB and three such sheets made a refresh abort for lack of
# memory; at 26 columns a sheet takes about 1.1 GB. One value far out (XFD1048576: 17 billion cells) would make
# it abort the whole process. (The scan below passes over chunks whose cells all lie within A1:Z999999, or all
# within A1:AZ499999, each of which this limit holds.)
MAX_USED_CELLS = MAX_ROWS * 26
# Largest part read whole and parsed (workbook.xml, relationships): a workbook of a thousand sheets and as many
# defined names has a workbook.xml of well under a megabyte.
MAX_PARSED_PART_BYTES = 64 * 2**20
# Bytes inflated and scanned at a time.
SCAN_CHUNK = 4 * 2**20

_LT, _SLASH, _GT, _QUOTE = (ord(char) for char in '</>"')
# One attribute of a tag and its value in double or single quotes; the next one starts where it ends (python-calamine
# reads one without a space before it too).
_ATTRIBUTE = re.compile(rb"""\s*([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TRAILING_DIGITS = re.compile(rb"[0-9]+$")
_REFERENCE = re.compile(rb"([A-Za-z]+)([0-9]+)")


def check_package(path: Path) -> None:
    """Refuse (``BeyondLimits``) a workbook whose parts inflate beyond the limits, or whose styles are bigger than
    xlcrm parses whole, before anything inflates them; then stream its shared strings through ``scan_part``
    (python-calamine reads them all as soon as it opens the file). ``NotAWorkbook`` when the zip cannot be read, or
    could be read otherwise by python-calamine (``check_entries_readable``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_sizes(archive, path)
            _check_styles_size(archive, path)
            strings = _beside_workbook(archive, "sharedStrings.xml")
            if strings is not None:
                scan_part(
                    archive,
                    strings,
                    t("{path}: the shared strings part ({part})", path=path, part=strings),
                    locate=lambda offset: _shared_string_use(archive, strings, offset),
                )
    # UnicodeDecodeError: a name flagged as UTF-8 that is not; NotImplementedError: what zipfile cannot read
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, UnicodeDecodeError, NotImplementedError):
        raise damaged_zip(path) from None


def damaged_zip(path: Path) -> NotAWorkbook:
    """The error that says the workbook at ``path`` is damaged: its zip container cannot be read, or could be read
    two ways."""
    return NotAWorkbook(t("{path} is damaged: its zip container cannot be read", path=path))


def check_entries_readable(archive: zipfile.ZipFile, path: Path) -> None:
    """Refuse (``NotAWorkbook``) a package with a part encrypted with a zip password or compressed by a method other
    than Excel's (stored or deflated): python-calamine cannot read such a part, and the reading would otherwise stop
    deep inside, on the first such part it reached. A zip tool writes them, never Excel or LibreOffice.

    Refuse too a package that python-calamine and Python's ``zipfile`` (through which the limits are checked) could
    read otherwise, each finding another part: records ending the directory that allow two readings
    (``_directory_end_is_plain``), an ambiguous name (``_ambiguous_name``), a part with two zip64 or Unicode Path
    fields, or of patched data; and a package that names two main documents (``_main_documents``), of which calamine
    reads the last and xlcrm's writer edits the first."""
    if not _directory_end_is_plain(archive, path):
        raise damaged_zip(path)
    ambiguous = _ambiguous_name(archive)
    if ambiguous is not None:
        raise NotAWorkbook(
            t(
                "{path} cannot be read: the name of its part {part} is ambiguous (another part has the same name, "
                "perhaps in other letters, or the zip gives the part a second name); save the workbook again from "
                "Excel or LibreOffice",
                path=path,
                part=ambiguous,
            )
        )
    for entry in archive.infolist():
        kinds = [kind for kind, _ in _extra_fields(entry.extra) if kind in _ONE_OF_EACH]
        if entry.flag_bits & _PATCHED or len(kinds) != len(set(kinds)):
            # Python's zipfile reads the first of two zip64 fields, calamine's reader the last; zipfile cannot read
            # patched data (NotImplementedError), which calamine's reader reads as if it were not flagged
            raise damaged_zip(path)
        if entry.flag_bits & _ENCRYPTED:
            raise NotAWorkbook(
                t(
                    "{path} cannot be read: {part} is encrypted with a zip password, which is not how Excel protects "
                    "a workbook; open the original workbook in Excel and save it again",
                    path=path,
                    part=_part_name(archive, entry.filename),
                )
            )
        if entry.compress_type not in _EXCEL_METHODS:
            raise NotAWorkbook(
                t(
                    "{path} cannot be read: {part} is packed with a compression method Excel does not use (zip method "
                    "{method}); save the workbook again from Excel or LibreOffice, or repack it with ordinary "
                    "(Deflate) compression",
                    path=path,
                    part=_part_name(archive, entry.filename),
                    method=entry.compress_type,
                )
            )

    documents = _main_documents(archive)
    if documents > 1:
        raise NotAWorkbook(
            t(
                "{path} cannot be read: its package names {count} main documents, where Excel and LibreOffice write "
                "one; save the workbook again from Excel or LibreOffice",
                path=path,
                count=documents,
            )
        )


def _directory_end_is_plain(archive: zipfile.ZipFile, path: Path) -> bool:
    """Whether the records that end the zip's directory in the workbook at ``path`` leave python-calamine's zip
    reader no other reading than ``zipfile``'s: the end record ends the file with the comment it declares, names
    disk 0 and as many entries as ``archive`` holds, and its directory (or the zip64 end record's, found through a
    locator only when a field of the end record says so, or saying the same) ends where those records start.

    ``zipfile`` reads the last end record and the zip64 records before it whatever they declare; calamine's reader
    passes over a record it finds unsound to an earlier one, and reads zip64 records only when the end record points
    to them: each difference lets the two read two directories. Zip writers end the file with these records."""
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        base = max(size - _END_RECORD_SIZE - _MAX_ZIP_COMMENT - _ZIP64_LOCATOR_SIZE - _ZIP64_END_SIZE, 0)
        handle.seek(base)
        tail = handle.read()
    end = len(tail) - _END_RECORD_SIZE
    if not (tail[end:].startswith(_END_RECORD) and tail.endswith(b"\0\0")):
        end = tail.rfind(_END_RECORD)  # where zipfile looks next: the record before a comment
    if end < 0:
        return False
    disk, directory_disk, on_disk, count, length, offset, comment = struct.unpack("<HHHHIIH", tail[end + 4 : end + 22])
    if end + _END_RECORD_SIZE + comment != len(tail) or disk or directory_disk or on_disk != count:
        return False
    marked = count == 0xFFFF or length == 0xFFFFFFFF or offset == 0xFFFFFFFF
    directory_end = base + end
    locator = end - _ZIP64_LOCATOR_SIZE
    if locator >= 0 and tail[locator:].startswith(_ZIP64_LOCATOR):
        locator_disk, zip64_at, disks = struct.unpack("<IQI", tail[locator + 4 : locator + 20])
        record = locator - _ZIP64_END_SIZE
        if record < 0 or locator_disk or disks > 1 or zip64_at != base + record:
            return False
        if not tail[record:].startswith(_ZIP64_END):
            return False
        record_size, _, _, disk, directory_disk, on_disk, *counted = struct.unpack(
            "<QHHIIQQQQ", tail[record + 4 : record + _ZIP64_END_SIZE]
        )
        if record_size != _ZIP64_END_SIZE - 12 or disk or directory_disk or on_disk != counted[0]:
            return False
        if not marked and tuple(counted) != (count, length, offset):
            return False
        (count, length, offset), directory_end = counted, base + record
    elif marked:
        return False
    if offset + length != directory_end or count != len(archive.infolist()):
        return False
    return _records_fill(path, offset, length, count)


def _records_fill(path: Path, offset: int, length: int, count: int) -> bool:
    """Whether the zip directory of ``length`` bytes at ``offset`` in the file at ``path`` is ``count`` records, each
    as long as its name, extra field and comment say, the last ending where the directory does. ``zipfile`` reads the
    directory as one block and cuts a record's last field at its end; calamine's zip reader reads on, into the
    records after it, where a comment could give an entry another name."""
    with path.open("rb") as handle:
        handle.seek(offset)
        directory = handle.read(length)
    position = 0
    for _ in range(count):
        if directory[position : position + 4] != _DIRECTORY_RECORD or position + _DIRECTORY_RECORD_SIZE > length:
            return False
        name, extra, comment = struct.unpack("<HHH", directory[position + 28 : position + 34])
        position += _DIRECTORY_RECORD_SIZE + name + extra + comment
    return position == length


def _ambiguous_name(archive: zipfile.ZipFile) -> str | None:
    """The name of the first part that python-calamine and ``zipfile`` may take for different parts; None when there
    is none. ``zipfile`` cuts a name at a NUL byte, keeps the last of two entries of one name, and reads a name not
    flagged as UTF-8 as CP437; calamine names each entry as ``_calamine_name`` says and finds it whatever the case
    of its ASCII letters (``_calamine_lookup``); xlcrm's writer finds it whatever its case by Unicode's rules
    (``str.casefold``, which makes ``ſ`` an ``s`` and the Kelvin sign a ``k``). Excel and LibreOffice write no such
    names."""
    seen: set[str] = set()
    seen_by_writer: set[str] = set()
    for entry in archive.infolist():
        name = _calamine_name(entry)
        folded, writer_folded = _calamine_key(name), entry.filename.casefold()
        if (
            "\0" in entry.orig_filename + name
            or folded in seen
            or writer_folded in seen_by_writer
            or archive.NameToInfo[entry.filename] is not entry
        ):
            return entry.filename
        seen.add(folded)
        seen_by_writer.add(writer_folded)
    return None


def _calamine_name(entry: zipfile.ZipInfo) -> str:
    """The name python-calamine's zip reader gives ``entry``: its Info-ZIP Unicode Path field's (header 0x7075: a
    version byte, the CRC-32 of the name as stored, the name in UTF-8) when that field's checksum matches and it is
    valid UTF-8, else the name as stored, read as UTF-8 when it is valid UTF-8, whatever the entry's flag says, and
    as CP437 otherwise. An entry with two such fields is given its stored name with a NUL: ``_ambiguous_name``
    refuses it."""
    stored = entry.orig_filename.encode("utf-8" if entry.flag_bits & _UTF8_NAME else "cp437")
    fields = [data[1:] for kind, data in _extra_fields(entry.extra) if kind == _UNICODE_PATH]
    if len(fields) > 1:
        return entry.orig_filename + "\0"
    if fields and fields[0][:4] == zlib.crc32(stored).to_bytes(4, "little") and _is_utf8(fields[0][4:]):
        stored = fields[0][4:]
    return stored.decode("utf-8" if _is_utf8(stored) else "cp437")


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _extra_fields(extra: bytes) -> list[tuple[int, bytes]]:
    """The zip extra fields in ``extra``: the header ID and the data of each, in order."""
    fields = []
    while len(extra) >= 4:
        kind, size = int.from_bytes(extra[:2], "little"), int.from_bytes(extra[2:4], "little")
        fields.append((kind, extra[4 : 4 + size]))
        extra = extra[4 + size :]
    return fields


def _calamine_key(name: str) -> str:
    """``name`` as python-calamine compares part names: ASCII letters in lower case, and a backslash, which calamine
    reads as ``/`` in the names of zip entries, as ``/`` (in a name looked up, where calamine keeps it, this finds an
    entry calamine would not, which is scanned all the same)."""
    return name.replace("\\", "/").translate(_ASCII_LOWER)


def check_sizes(archive: zipfile.ZipFile, path: Path) -> None:
    """Refuse parts, or a package, that would inflate beyond the limits, from the sizes the zip declares, and parts
    that cannot be read at all (``check_entries_readable``)."""
    check_entries_readable(archive, path)
    total = 0
    for entry in archive.infolist():
        size, packed = entry.file_size, entry.compress_size
        total += size
        if size > MAX_PART_BYTES:
            raise BeyondLimits(
                t(
                    "{path}: {part} inflates to {size}, more than the {limit} xlcrm reads in one part",
                    path=path,
                    part=_part_name(archive, entry.filename),
                    size=_size(size),
                    limit=_size(MAX_PART_BYTES),
                )
            )
        if size >= RATIO_CHECKED_FROM and size > MAX_RATIO * max(packed, 1):
            raise BeyondLimits(
                t(
                    "{path}: {part} inflates from {packed} to {size}, {ratio}× compressed, where real workbooks "
                    "compress at most about 25× and xlcrm refuses more than {limit}×: the file looks like a "
                    "decompression bomb",
                    path=path,
                    part=_part_name(archive, entry.filename),
                    packed=_size(packed),
                    size=_size(size),
                    ratio=Number(size // max(packed, 1)),
                    limit=MAX_RATIO,
                )
            )
    if total > MAX_PACKAGE_BYTES:
        raise BeyondLimits(
            t(
                "{path}: its parts inflate to {size} in all, more than the {limit} xlcrm reads in one workbook",
                path=path,
                size=_size(total),
                limit=_size(MAX_PACKAGE_BYTES),
            )
        )


def _part_name(archive: zipfile.ZipFile, part: str) -> Message:
    """``sheet 'Clients' (xl/worksheets/sheet1.xml)``, or ``the part docProps/big.xml`` for what is not a sheet."""
    try:
        sheets = sheet_parts(archive)
    # workbook.xml itself is the part too big to read, or packed by another method or under a zip password
    except (BeyondLimits, NotImplementedError, RuntimeError):
        sheets = {}
    sheet = next((name for name, sheet_part in sheets.items() if sheet_part == part), None)
    if sheet is not None:
        return t("sheet {sheet} ({part})", sheet=quoted(sheet), part=part)
    return t("the part {part}", part=part)


def check_sheet(path: Path, sheet: str) -> None:
    """Stream the XML of the sheet named ``sheet`` through ``scan_part`` (nothing when the workbook has no
    worksheet of that name, or is not an OOXML package, such as an .ods file). The part is read to its end, where
    ``zipfile`` checks its checksum: ``reader.read_workbook`` leaves that check of the sheets it reads to this."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_parts(archive).get(sheet)
            if part is not None:
                for _ in checked_sheet_chunks(archive, path, sheet, part):
                    pass
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
        raise damaged_zip(path) from None


def checked_sheet_chunks(
    archive: zipfile.ZipFile, path: Path, sheet: str, part: str, *, range_bounded_by_reader: bool = False
) -> Iterator[bytes]:
    """The XML of the sheet named ``sheet`` (the zip entry ``part`` of the workbook at ``path``) inflated a chunk
    at a time, each chunk checked as ``scan_part`` checks it before it is handed on, and the sheet's range once
    all of it has been: a reader of these chunks has held nothing beyond the limits when the last one comes.

    ``range_bounded_by_reader`` leaves the range out, for a reader that finds every cell's reference itself and
    places no more cells than ``MAX_USED_CELLS`` allows (``xlcrm.xlsx.columnar.read_grid``): the searches that
    bound it here hold Python's lock for milliseconds at a time, which that reader's own scanning threads then wait
    for. The part's size and its texts are checked all the same."""
    check_sizes(archive, path)
    what = t("{path}: sheet {sheet}", path=path, sheet=quoted(sheet))
    yield from _scanned_chunks(archive, part, what, sheet, ranged=not range_bounded_by_reader)


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip entry python-calamine reads as that sheet ({} when it finds no workbook), found as
    calamine finds it (see ``_calamine_elements``): through the first sheet of that name in workbook.xml, the last
    attribute of that sheet whose local name is ``id``, and the Target of the relationship with that Id, both as
    written (not unescaped), the Target not resolved (``..`` stays) and its TargetMode not read."""
    find = _calamine_lookup(archive)
    folder = _workbook_folder(archive, find)
    if folder is None:
        return {}
    rels = _calamine_elements(archive, find(folder + "_rels/workbook.xml.rels"), b"Relationship", b"Relationships")
    targets = {rel[b"Id"]: rel.get(b"Target", b"").decode(errors="replace") for rel in rels if b"Id" in rel}
    found: dict[str, str | None] = {}
    for sheet in _calamine_elements(archive, find(folder + "workbook.xml"), b"sheet", b"workbook", b"definedName"):
        rel_id = next((value for key, value in reversed(sheet.items()) if key == b"id" or key.endswith(b":id")), b"")
        target = targets.get(rel_id)
        if target is None:
            continue  # calamine opens no workbook then
        found.setdefault(
            _unescaped(sheet.get(b"name", b"")), find(target[1:] if target[:1] == "/" else folder + target)
        )
    return {name: part for name, part in found.items() if part is not None}


def scan_part(
    archive: zipfile.ZipFile,
    part: str,
    what: Text,
    sheet: str | None = None,
    locate: Callable[[int], str | None] | None = None,
) -> None:
    """Inflate ``part`` a chunk at a time and refuse (``BeyondLimits``) one holding more bytes than the
    limit, a cell's text longer than Excel allows, or (for a sheet named ``sheet``) values spanning a range
    too large to hold. ``what`` names the part in messages; ``locate`` names the cell that uses the text at
    a byte offset of the part, for a refusal (the shared strings are used by cells elsewhere).

    Most chunks of most sheets hold only cells from A1 to Z999999 (or, with columns past Z, A1 to AZ499999), which
    bound the range inside the limit: such a chunk is told by a regular-expression search or two and not looked at
    cell by cell. When the sheet's other cells reach beyond such a bound, or chunks in both bounds were passed
    over, the bound no longer holds, and the sheet is scanned again cell by cell. A part
    that declares a DTD is refused (``NotAWorkbook``), as everywhere xlcrm reads XML: its entities could hide text.
    """
    for _ in _scanned_chunks(archive, part, what, sheet, locate):
        pass


def _scanned_chunks(
    archive: zipfile.ZipFile,
    part: str,
    what: Text,
    sheet: str | None = None,
    locate: Callable[[int], str | None] | None = None,
    *,
    ranged: bool = True,
) -> Iterator[bytes]:
    """``part`` inflated a chunk at a time, as ``scan_part`` checks it: each chunk once it passed, then the range
    (unless not ``ranged``)."""
    with archive.open(part) as handle:
        refuse_dtd(handle.read(_DTD_LOOKOUT), part)
    scan = _Scan(what, sheet, every_cell=False, locate=locate, ranged=ranged)
    with archive.open(part) as handle:
        while chunk := handle.read(SCAN_CHUNK):
            scan.feed(chunk)
            yield chunk
    if scan.finish():
        return
    scan = _Scan(what, sheet, every_cell=True, locate=locate)
    with archive.open(part) as handle:
        scan.run(handle)


@dataclass
class _Corner:
    """The extreme row or column of the cells with values seen so far, and the cell it was seen at."""

    value: int
    ref: str


class _Scan:
    def __init__(
        self,
        what: Text,
        sheet: str | None,
        every_cell: bool,
        locate: Callable[[int], str | None] | None = None,
        *,
        ranged: bool = True,
    ):
        self.what = what
        self.sheet = sheet
        self.ranged = ranged and sheet is not None  # whether the range of the sheet's cells is bounded here
        self.locate = locate
        self.data_start = 0  # where in the part the data being scanned starts
        self.open_row_cells = 0  # cells of the row still open at the end of the data scanned so far
        self.open_row: int | None = None  # the number of that row, when its tag says
        self.every_cell = every_cell
        self.boxes: set[_Box] = set()  # the boxes of the chunks passed over, not looked at cell by cell
        self.inflated = 0
        self.carry = b""  # from the last "<" of what was read so far: a tag or text not yet complete
        self.first_row: _Corner | None = None
        self.last_row: _Corner | None = None
        self.first_column: _Corner | None = None
        self.last_column: _Corner | None = None

    def run(self, handle: IO[bytes]) -> bool:
        """Scan the part read from ``handle``; False when it has to be scanned again cell by cell."""
        while chunk := handle.read(SCAN_CHUNK):
            self.feed(chunk)
        return self.finish()

    def feed(self, chunk: bytes) -> None:
        """Scan the next ``chunk`` of the part as inflated."""
        self.inflated += len(chunk)
        if self.inflated > MAX_PART_BYTES:  # the zip's directory may declare less than the entry holds
            raise BeyondLimits(
                t(
                    "{part} inflates to more than the {limit} xlcrm reads in one part",
                    part=self.what,
                    limit=_size(MAX_PART_BYTES),
                )
            )
        self.data_start = self.inflated - len(chunk) - len(self.carry)
        self.carry = self._chunk(self.carry + chunk)

    def finish(self) -> bool:
        """Scan what is left once the part is all read; False when it has to be scanned again cell by cell."""
        self.data_start = self.inflated - len(self.carry)
        self._chunk(self.carry + b"<")
        return self._check_range()

    def _chunk(self, data: bytes) -> bytes:
        """Scan every complete stretch of ``data`` (each from one ``<`` to the next); return the rest."""
        end = data.rfind(b"<")
        if end <= 0:  # one stretch, still open
            if len(data) > MAX_CELL_BYTES:
                self._refuse_text(data, 0, len(data))
            return data
        # A stretch longer than the limit holds a whole block of half its length free of "<".
        long_text = any(data.find(b"<", at, at + _TEXT_BLOCK) < 0 for at in range(0, end, _TEXT_BLOCK))
        unusual_cells = False
        if self.ranged:
            # Cells written with a namespace prefix (<x:c r="A1">, as the OpenXML SDK does) are always looked at.
            if self.every_cell or _PREFIXED_CELL.search(data, 0, end) is not None:
                unusual_cells = True
            elif _CELL_TAG.search(data, 0, end) is not None:  # a stretch without cells says nothing of the range
                box = next((box for box in _BOXES if box.outside.search(data, 0, end) is None), None)
                if box is None:
                    unusual_cells = True
                else:
                    self.boxes.add(box)
                    self.open_row_cells = box.columns  # its cells all have references: none right of the box
        if long_text or unusual_cells:
            self._look_closely(data, long_text, unusual_cells)
        if self.ranged:
            self._note_open_row(data, end)
        rest = data[end:]
        if len(rest) > MAX_CELL_BYTES:
            self._refuse_text(data, end, len(data))
        return rest

    def _note_open_row(self, data: bytes, end: int) -> None:
        """Keep the number of the last row that starts in ``data[:end]``: cells without a reference after it, in a
        later chunk, are in that row."""
        at = data.rfind(b"row", 0, end)
        while at > 0 and not _ROW_TAG.match(data, at - 1):
            at = data.rfind(b"row", 0, at)
        if at > 0:
            numbers = _row_numbers(data[data.rfind(b"<", 0, at) : data.find(b"<", at)])
            self.open_row = max(numbers) if numbers else None

    def _look_closely(self, data: bytes, long_text: bool, unusual_cells: bool) -> None:
        """Check the length of every text of ``data`` and widen the range by every cell with a value."""
        view = np.frombuffer(data + b"\0" * 48, dtype=np.uint8)  # padded: the bytes after any "<" are there
        starts = np.flatnonzero(view[: len(data)] == _LT)
        if unusual_cells:
            # Cells may be written with a namespace prefix (<x:c r="A1">, as the OpenXML SDK does).
            # The regular expression stops at every "<"; the plain search for ":c" passes over most data at once.
            prefixes = set(_PREFIXED_CELL_NAME.findall(data)) if b":c" in data else set()
            for prefix in {b""} | prefixes:
                self._cells(data, view, starts, prefix)
        if not long_text:
            return
        lengths = np.diff(starts)
        if starts[0] > MAX_CELL_CHARS:  # text before the first tag (only at the very start of a part)
            self._check_text(data, 0, int(starts[0]))
        for long in np.flatnonzero(lengths > MAX_CELL_CHARS):  # rare: only then is the text decoded
            self._check_text(data, int(starts[long]), int(starts[long + 1]))

    def _check_text(self, data: bytes, start: int, end: int) -> None:
        """Refuse the stretch ``data[start:end]`` (a tag and the text after it) when its text is over Excel's
        limit for a cell, counted in characters as Excel counts them."""
        if end - start > MAX_CELL_BYTES:
            self._refuse_text(data, start, end)
        closing = data.find(b">", start, end)
        text = html.unescape(data[closing + 1 : end].decode("utf-8", "replace"))
        if len(text.encode("utf-16-le")) // 2 > MAX_CELL_CHARS:
            self._refuse_text(data, start, end, len(text))

    def _refuse_text(self, data: bytes, start: int, end: int, characters: int | None = None) -> None:
        cell = self._cell_before(data, start)
        used = self.locate(self.data_start + start) if self.locate is not None else None
        where: Text
        if cell:
            where = t("{part}, cell {cell},", part=self.what, cell=cell)
        elif used:
            where = t("{part}, used in {cell},", part=self.what, cell=used)
        else:
            where = self.what
        size = (
            tn("{count} character", "{count} characters", characters)
            if characters is not None
            else t("more than {size}", size=tn("{count} byte", "{count} bytes", MAX_CELL_BYTES))
        )
        raise BeyondLimits(
            t(
                "{where} holds a text of {size}, longer than Excel's limit of {limit} characters for one cell: "
                "it cannot come from Excel",
                where=where,
                size=size,
                limit=Number(MAX_CELL_CHARS),
            )
        )

    def _cell_before(self, data: bytes, position: int) -> str | None:
        """The reference of the sheet cell whose text starts at ``position``, when it is in ``data``."""
        if self.sheet is None:
            return None
        opening = data.rfind(b"<c", 0, position + 1)
        references = _references(_attribute_values(_tag_at(data, opening), b"r")) if opening >= 0 else []
        return _shown(*references[0]) if references else None

    def _cells(self, data: bytes, view: np.ndarray, starts: np.ndarray, prefix: bytes) -> None:
        """Widen the range seen by the cells with a value (their tags written with ``prefix``, such as b"x:")
        among the complete tags of ``data``."""
        tags = starts[:-1]
        shift = len(prefix)
        is_name = view[tags + 1 + shift] == ord("c")  # <c …>, but also <col>, <cfRule> …
        for offset, byte in enumerate(prefix, start=1):
            is_name &= view[tags + offset] == byte
        opening_c = np.flatnonzero(is_name)
        tags, following = tags[opening_c], starts[opening_c + 1]
        is_cell = ends_name(view[tags + 2 + shift])
        every_cell, following = tags[is_cell], following[is_cell]
        # No value: the tag closes itself (<c r="A1" s="3"/>) or is closed at once (<c r="A1"></c>). A tag closes
        # itself only where its first ">" ends it: a text "/>" after the tag (<c r="A1">/><v>1</v>) is no ending.
        closings = np.append(np.flatnonzero(view[: len(data)] == _GT), len(data))  # the last: a tag left open
        first_closing = closings[np.searchsorted(closings, every_cell)]
        closes_itself = (view[following - 2] == _SLASH) & (first_closing == following - 1)
        empty = closes_itself | (view[following + 1] == _SLASH)
        tags = every_cell[~empty]
        if len(tags):
            ref_first = view[tags[:, None] + shift + _REF_OFFSETS].view(np.uint32).ravel() == _REF_FIRST
            self._refs(data, view, tags[ref_first] + shift + 6)
            # References written after other attributes, or left out: rare, looked at one by one.
            unplaced = [int(tag) for tag in tags[~ref_first] if not self._cell_at(data, int(tag))]
            if unplaced:
                self._unplaced_cells(data, view, starts, every_cell, np.array(unplaced), prefix)
        rows = self._row_tags(view, starts, prefix)
        self.open_row_cells = (
            len(every_cell) - int(np.searchsorted(every_cell, rows[-1]))
            if len(rows)
            else self.open_row_cells + len(every_cell)
        )

    @staticmethod
    def _row_tags(view: np.ndarray, starts: np.ndarray, prefix: bytes) -> np.ndarray:
        """The positions of the row tags (<row …>, written with ``prefix``) among the tags at ``starts``."""
        tags = starts[:-1]
        shift = len(prefix)
        is_row = ends_name(view[tags + 4 + shift])
        for offset, byte in enumerate(prefix + b"row", start=1):
            is_row &= view[tags + offset] == byte
        return tags[is_row]

    def _unplaced_cells(
        self,
        data: bytes,
        view: np.ndarray,
        starts: np.ndarray,
        every_cell: np.ndarray,
        unplaced: np.ndarray,
        prefix: bytes,
    ) -> None:
        """Widen the range by cells with a value but no reference, which a reader places one column right of
        the cell before them: at most as far right as the widest reference seen plus the cells of their row, in the
        row their row tag numbers (a row begun in an earlier chunk: the last row seen)."""
        rows = self._row_tags(view, starts, prefix)
        row_of = np.searchsorted(rows, unplaced) - 1  # -1: the row began in an earlier chunk
        opening = np.where(row_of >= 0, rows[np.maximum(row_of, 0)], -1) if len(rows) else np.full(len(unplaced), -1)
        before = np.searchsorted(every_cell, unplaced, "right") - np.searchsorted(every_cell, opening, "right")
        before += np.where(row_of >= 0, 0, self.open_row_cells)
        seen_columns = self.last_column.value if self.last_column else 0
        earlier_row = self.open_row or (self.last_row.value if self.last_row else 1)
        # Every row holding such a cell counts, each with its widest one (``opening`` ascends: a row's cells are
        # side by side).
        row_tags, firsts = np.unique(opening, return_index=True)
        for row_tag, widest in zip(row_tags.tolist(), np.maximum.reduceat(before, firsts).tolist(), strict=True):
            numbers = _row_numbers(data[row_tag : data.find(b"<", row_tag + 1)]) if row_tag >= 0 else []
            column = seen_columns + widest
            for row in numbers or [earlier_row]:
                ref = f"{_column_letters(column)}{row}"
                for name, value in (
                    ("first_row", row),
                    ("last_row", row),
                    ("first_column", 1),
                    ("last_column", column),
                ):
                    self._corner(name, value, ref)

    def _refs(self, data: bytes, view: np.ndarray, at: np.ndarray) -> None:
        """Widen the range by the references (``XFD1048576"``) starting at the positions ``at``.

        Only the extremes matter, so numbers are worked out for the few references that hold one: of those
        with the most (fewest) digits, the one whose digits sort last (first) holds the last (first) row.
        A reference of another shape (lower case, five letters, a dozen digits) is read on its own.
        """
        window = view[at[:, None] + _WINDOW]  # the bytes of each reference and a few after it
        letters = np.argmin((window[:, :5] - np.uint8(ord("A"))) < 26, axis=1)  # wraps below "A": one comparison
        closing = np.argmax(window == _QUOTE, axis=1)
        is_digit = (window - np.uint8(ord("0"))) < 10
        digits = closing - letters
        valid = (letters > 0) & (digits > 0) & ((is_digit & (_WINDOW < closing[:, None])).sum(axis=1) == digits)
        if not valid.all():
            for position in at[~valid]:
                self._cell_at(data, int(position) - 4)
            window, at, letters, digits = window[valid], at[valid], letters[valid], digits[valid]
        if not len(at):
            return
        for count in range(int(letters.min()), int(letters.max()) + 1):  # one to three letters, four past XFD
            members = letters == count
            group = slice(None) if members.all() else members
            self._group_corners(view, at[group], window[group], count, digits[group])

    def _cell_at(self, data: bytes, position: int) -> bool:
        """Widen the range by the cell whose tag is at (or holds) ``position``; False when the tag has no reference.

        The tag's attributes are read one after the other, values in either quotes, as an XML parser reads them:
        an ``r="…"`` inside another attribute's value, or a ``>`` there, must not be taken for the reference or the
        tag's end (a tag ends before the next ``<``, which no attribute value holds). A tag naming ``r`` twice
        counts both."""
        values = _attribute_values(_tag_at(data, data.rfind(b"<", 0, position + 1)), b"r")
        for letters, digits in _references(values):
            ref = _shown(letters, digits)
            for name, number in (
                ("first_row", int(digits)),
                ("last_row", int(digits)),
                ("first_column", _column_number(letters)),
                ("last_column", _column_number(letters)),
            ):
                self._corner(name, number, ref)
        return bool(values)

    def _group_corners(
        self, view: np.ndarray, at: np.ndarray, window: np.ndarray, letters: int, digits: np.ndarray
    ) -> None:
        """Widen the range by references that all have ``letters`` letters (``digits`` digits each)."""
        if not len(at):
            return
        # Bytes as big-endian numbers sort as the text does: letters (or digits) of equal length by value.
        column_keys = np.ascontiguousarray(window[:, :4]).view(">u4").ravel()
        row_keys = np.ascontiguousarray(window[:, letters : letters + 8]).view(">u8").ravel()
        for name, pick_length, pick in (("last_row", np.max, np.argmax), ("first_row", np.min, np.argmin)):
            chosen = np.flatnonzero(digits == pick_length(digits))
            self._corner_at(name, view, int(at[chosen[pick(row_keys[chosen])]]), letters)
        for name, pick in (("last_column", np.argmax), ("first_column", np.argmin)):
            self._corner_at(name, view, int(at[pick(column_keys)]), letters)

    def _corner_at(self, name: str, view: np.ndarray, start: int, letters: int) -> None:
        """Take the reference at ``start`` (``letters`` letters long) as the corner ``name`` if it lies beyond."""
        ref = bytes(view[start : start + 16]).split(b'"', 1)[0].decode()
        value = int(ref[letters:]) if name.endswith("row") else _column_number(ref[:letters].encode())
        self._corner(name, value, ref)

    def _corner(self, name: str, value: int, ref: str) -> None:
        """Take ``value`` (at the cell ``ref``) as the corner ``name`` when it lies beyond the one seen so far."""
        current: _Corner | None = getattr(self, name)
        further = (
            value > current.value if current and name.startswith("last") else value < current.value if current else True
        )
        if further:
            setattr(self, name, _Corner(value, ref))

    def _check_range(self) -> bool:
        """Refuse a sheet whose values span too large a range; False when chunks passed over may hide it (True when
        the range is not bounded here)."""
        if not self.ranged or self.sheet is None:
            return True
        if self.boxes:  # the chunks passed over may hold anything inside their boxes
            columns = max([self.last_column.value if self.last_column else 0, *(box.columns for box in self.boxes)])
            rows = max([self.last_row.value if self.last_row else 0, *(box.rows for box in self.boxes)])
            return columns * rows <= MAX_USED_CELLS and rows <= MAX_ROWS
        if self.last_row is None:
            return True
        assert self.first_row and self.first_column and self.last_column
        rows = self.last_row.value - self.first_row.value + 1
        columns = self.last_column.value - self.first_column.value + 1
        if (
            rows * columns <= MAX_USED_CELLS
            and self.last_column.value <= MAX_COLUMNS
            and self.last_row.value <= MAX_ROWS
        ):
            return True

        far = dict.fromkeys([self.last_column.ref, self.last_row.ref])
        cells = [f"{sheet_ref(self.sheet)}!{ref}" for ref in far]
        span = (
            f"{_column_letters(self.first_column.value)}{self.first_row.value}:"
            f"{_column_letters(self.last_column.value)}{self.last_row.value}"
        )
        if len(cells) == 1:
            raise BeyondLimits(
                t(
                    "{cell} holds a value far outside the table (the sheet's values then span {span}, {cells} "
                    "cells, more than the {limit} xlcrm reads); delete it in Excel and run again",
                    cell=cells[0],
                    span=span,
                    cells=Number(rows * columns),
                    limit=Number(MAX_USED_CELLS),
                )
            )
        raise BeyondLimits(
            t(
                "{first} and {second} hold values far outside the table (the sheet's values then span {span}, "
                "{cells} cells, more than the {limit} xlcrm reads); delete it in Excel and run again",
                first=cells[0],
                second=cells[1],
                span=span,
                cells=Number(rows * columns),
                limit=Number(MAX_USED_CELLS),
            )
        )


_WINDOW = np.arange(16)


@dataclass(frozen=True)
class _Box:
    """A range from A1 that holds at most ``MAX_USED_CELLS`` cells, and how to find a cell outside it."""

    columns: int
    rows: int
    outside: re.Pattern[bytes]  # finds a cell tag whose reference does not come first or lies outside the box


# A chunk whose cells all lie in one of these boxes (references first) is passed over, not looked at cell by cell.
# The usual sheet: columns A to Z, any row up to 999,999. A client list with columns past Z (Clients once xlcrm
# added its computed columns): A to AZ, rows up to 499,999.
_BOXES = (
    _Box(26, 999_999, re.compile(rb'<c(?! r="[A-Z][0-9]{1,6}")[\s>/]')),
    _Box(52, 499_999, re.compile(rb'<c(?! r="A?[A-Z](?:[0-9]{1,5}|[1-4][0-9]{5})")[\s>/]')),
)
# How Excel and LibreOffice store a part: as it is, or deflated.
_EXCEL_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# The zip's general purpose flags of a part encrypted with a password (strong encryption included), of patched data.
_ENCRYPTED = 0x1 | 0x40
_PATCHED = 0x20
_UNICODE_PATH = 0x7075  # the Info-ZIP extra field that gives an entry another name, in UTF-8
# Extra fields that an entry may hold once: zip64 sizes and offset, the Info-ZIP Unicode Path.
_ONE_OF_EACH = (0x0001, _UNICODE_PATH)
_UTF8_NAME = 0x800  # the zip's general purpose flag of a name stored in UTF-8
# A record of a zip's directory: its signature, its size without its name, extra field and comment.
_DIRECTORY_RECORD = b"PK\x01\x02"
_DIRECTORY_RECORD_SIZE = 46
# The end record of a zip's directory: its signature, its size without the comment, the longest comment it declares.
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_MAX_ZIP_COMMENT = 0xFFFF
# The zip64 end record (its signature and size) and the locator that follows it, before the end record.
_ZIP64_END = b"PK\x06\x06"
_ZIP64_END_SIZE = 56
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_CELL_TAG = re.compile(rb"<c[\s>/]")
_TAG_NAME = re.compile(rb"<[^\s/>]*")
_ROW_TAG = re.compile(rb"[<:]row[\s>/]")
_MAX_LETTERS, _MAX_DIGITS = 4, 8  # one more than Excel's grid has (XFD, 1048576)
_PREFIXED_CELL = re.compile(rb":c[\s>/]")
_PREFIXED_CELL_NAME = re.compile(rb"<([^\s<>/:]+:)c[\s>/]")
# A document type declaration stands before the root element, after at most the XML declaration and comments.
_DTD_LOOKOUT = 64 * 1024
# Text is looked for in blocks of this size: a stretch over the limit always holds a whole one free of "<".
_TEXT_BLOCK = (MAX_CELL_CHARS + 1) // 2
_REF_OFFSETS = np.arange(2, 6)
_REF_FIRST = np.frombuffer(b' r="', dtype=np.uint32)[0]


_SHARED_STRING_START = re.compile(rb"<si[\s>/]")


def _shared_string_use(archive: zipfile.ZipFile, strings: str, offset: int) -> str | None:
    """The first cell (``Clients!O2``) using the shared string that holds byte ``offset`` of the part
    ``strings``, or None when no sheet does. Only for a refusal: every sheet may be read through."""

    index, tail, read = -1, b"", 0
    with archive.open(strings) as handle:
        while read < offset and (chunk := handle.read(min(SCAN_CHUNK, offset - read))):
            read += len(chunk)
            index += len(_SHARED_STRING_START.findall(tail + chunk))  # a 3-byte tail holds no whole "<si>"
            tail = chunk[-3:]
    value = b"<v>%d</v>" % index
    for name, part in sheet_parts(archive).items():
        with archive.open(part) as handle:
            tail = b""
            while chunk := handle.read(SCAN_CHUNK):
                data = tail + chunk
                at = data.find(value)
                while at >= 0:
                    opening = data.rfind(b"<c", 0, at)
                    tag = _tag_at(data, opening) if opening >= 0 else b""
                    references = _references(_attribute_values(tag, b"r"))
                    if references and b"s" in _attribute_values(tag, b"t"):
                        return f"{sheet_ref(name)}!{_shown(*references[0])}"
                    at = data.find(value, at + 1)
                tail = data[-256:]  # the cell's tag before a <v> the next chunk starts with
    return None


def _tag_at(data: bytes, start: int) -> bytes:
    """The tag starting at ``start`` (its ``<``), to the next ``<``: no attribute value holds one."""
    end = data.find(b"<", start + 1)
    return data[start : end if end >= 0 else len(data)]


def _references(values: list[bytes]) -> list[tuple[bytes, bytes]]:
    """The letters and digits of each reference among the ``r`` values of a cell tag (a tag may name it twice). Any
    other value stops python-calamine's reading with an error, so the cell holds nothing then. A longer reference lies
    past Excel's grid either way: it is cut to one letter and one digit more than the grid has before it is read
    as a number."""
    found = (_REFERENCE.fullmatch(value) for value in values)
    return [(reference[1][:_MAX_LETTERS], reference[2][:_MAX_DIGITS]) for reference in found if reference]


def _shown(letters: bytes, digits: bytes) -> str:
    """A reference as messages show it: ``XFD1048576``."""
    return (letters + digits).decode().upper()


def _attribute_values(tag: bytes, name: bytes) -> list[bytes]:
    """The values of every attribute ``name`` (no prefix) of ``tag``, from its ``<`` to the next one."""
    opening = _TAG_NAME.match(tag)
    return [
        found[2] if found[2] is not None else found[3]
        for found in _ATTRIBUTE.finditer(tag, opening.end() if opening else 0)
        if found[1] == name
    ]


def _row_numbers(tag: bytes) -> list[int]:
    """The numbers a row tag gives its row (python-calamine takes the digits that end ``r``), cut to one past
    Excel's last row."""
    found = (_TRAILING_DIGITS.search(value) for value in _attribute_values(tag, b"r"))
    return [int(digits[0][:_MAX_DIGITS]) for digits in found if digits]


def ends_name(after: np.ndarray) -> npt.NDArray[np.bool_]:
    """Whether each byte ends a tag's name: a space, a line break, ">" or "/" (so <c but not <col)."""
    ends: npt.NDArray[np.bool_] = (
        (after == ord(" ")) | (after == _GT) | (after == _SLASH) | ((after >= 9) & (after <= 13))
    )
    return ends


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _size(count: int) -> Message:
    """A byte count as people read it: ``1.0 GB``, ``350 KB``."""
    if count >= 2**30:
        return t("{size} GB", size=Number(count / 2**30, decimals=1))
    if count >= 2**20:
        return t("{size} MB", size=Number(count / 2**20, decimals=1))
    if count >= 2**10:
        return t("{size} KB", size=Number(count / 2**10, decimals=1))
    return tn("{count} byte", "{count} bytes", count)


def _workbook_folder(archive: zipfile.ZipFile, find: Callable[[str], str | None]) -> str | None:
    """The folder from which python-calamine reads workbook.xml, its relationships and sharedStrings.xml, by those
    names whatever the relationships say (``xl/`` as Excel and LibreOffice write it): that of the Target of the last
    officeDocument relationship of the package, of either OOXML flavour; None when there is none, and calamine opens
    no workbook. ``find``: the package's ``_calamine_lookup``."""
    # calamine takes only those after the start of the Relationships element: the last is the same one (or, with
    # none after it, calamine opens nothing).
    targets = [
        rel[b"Target"]
        for rel in _calamine_elements(archive, find("_rels/.rels"), b"Relationship", b"Relationships")
        if rel.get(b"Type", b"").endswith(b"/relationships/officeDocument") and b"Target" in rel
    ]
    if not targets:
        return None
    target = _unescaped(targets[-1])
    return target[: target.rfind("/") + 1].removeprefix("/")


def _main_documents(archive: zipfile.ZipFile) -> int:
    """How many relationships of the package's relationships part (``_rels/.rels``, as python-calamine finds it) a
    reader could take for its main document, counted the two ways they are read: python-calamine's (the elements
    it meets up to the first end of a Relationships element, Type as written) and an XML parser's, as xlcrm's writer
    and change digest read it (Relationship elements anywhere in the part, Type unescaped); the larger count. Any
    Type ending with ``/officeDocument`` counts, the widest test of the three readers. 0 when there is no such part."""
    part = _calamine_lookup(archive)("_rels/.rels")
    if part is None:
        return 0
    as_calamine_reads = sum(
        rel.get(b"Type", b"").endswith(b"/officeDocument")
        for rel in _calamine_elements(archive, part, b"Relationship", b"Relationships")
    )
    as_parsed = sum(
        local_name(element) == "Relationship" and element.get("Type", "").endswith("/officeDocument")
        for element in parse_part(_parsed_xml(archive, part), part).iter(tag=etree.Element)
    )
    return max(as_calamine_reads, as_parsed)


def _beside_workbook(archive: zipfile.ZipFile, name: str) -> str | None:
    """The zip entry python-calamine reads as the part ``name`` (sharedStrings.xml, styles.xml) of the workbook, None
    when it reads none: the part of that name beside workbook.xml, whatever part the workbook's relationships name."""
    find = _calamine_lookup(archive)
    folder = _workbook_folder(archive, find)
    return None if folder is None else find(folder + name)


def _check_styles_size(archive: zipfile.ZipFile, path: Path) -> None:
    """Refuse (``BeyondLimits``) styles that python-calamine would read bigger than xlcrm parses whole when it saves
    (``MAX_PARSED_BYTES``). calamine reads all of the styles part as it opens the workbook, each tag whole into
    memory: one number format as long as the part takes twice the part's size."""
    styles = _beside_workbook(archive, "styles.xml")
    size = 0 if styles is None else archive.getinfo(styles).file_size
    if size > MAX_PARSED_BYTES:
        raise BeyondLimits(
            t(
                "{path}: the part {part} inflates to {size}, more than the {limit} xlcrm parses whole",
                path=path,
                part=styles,
                size=_size(size),
                limit=_size(MAX_PARSED_BYTES),
            )
        )


# calamine (src/xlsx/mod.rs: Xlsx::new and what it calls, xml_reader) finds the parts it reads so, whatever the
# package's relationships would resolve to: a scan of the parts they name could leave the ones it reads unscanned.
_NOT_TAGS = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?]]>|<\?.*?\?>", re.DOTALL)
_TAG = re.compile(rb"""<(/?)([^\s/>]+)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_XML_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(lt|gt|amp|apos|quot));")
_XML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": '"'}
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _calamine_lookup(archive: zipfile.ZipFile) -> Callable[[str], str | None]:
    """A function giving the name by which ``zipfile`` opens the zip entry that python-calamine opens as a part of
    the given name (None when there is none): names as calamine gives them (``_calamine_name``), compared with
    ASCII letters in lower case; ``_ambiguous_name`` refuses a package in which two entries compare equal."""
    entries = {_calamine_key(_calamine_name(entry)): entry.filename for entry in archive.infolist()}
    return lambda part: entries.get(_calamine_key(part))


def _calamine_elements(
    archive: zipfile.ZipFile, entry: str | None, name: bytes, until: bytes, skipped: bytes = b""
) -> Iterator[dict[bytes, bytes]]:
    """The attributes (name -> value, both as written) of each element called ``name`` in the zip entry ``entry``
    (nothing when None), met as calamine's XML reader meets them: elements named with any prefix or none, up to the
    first end of an element called ``until``, none inside a ``skipped`` element that has a name attribute (calamine
    reads a defined name's text up to its end tag).

    The part is parsed first (``_parsed_xml``): in well-formed XML without a DTD every ``<`` outside comments, CDATA
    and processing instructions opens a tag, and no attribute value holds one."""
    if entry is None:
        return
    skipping = b""  # the name of the skipped element being read through
    for tag in _TAG.finditer(_NOT_TAGS.sub(b"", _parsed_xml(archive, entry))):
        closing, tag_name, attributes = tag[1], tag[2], tag[3]
        local = tag_name[tag_name.find(b":") + 1 :]
        if not closing and not skipping and local in (name, skipped):
            values = {
                found[1]: found[2] if found[2] is not None else found[3] for found in _ATTRIBUTE.finditer(attributes)
            }
            if local == name:
                yield values
            elif b"name" in values:
                skipping = tag_name
        if closing or attributes.endswith(b"/"):  # an end tag, or the end of an empty element
            if skipping:
                skipping = b"" if tag_name == skipping else skipping
            elif local == until:
                return


def _unescaped(value: bytes) -> str:
    """An attribute value as calamine decodes a name: character references and the five entities of XML replaced,
    white space kept as written (an XML parser makes a line break or a tab a space)."""

    def replaced(found: re.Match[str]) -> str:
        hexadecimal, decimal, entity = found.groups()
        return chr(int(hexadecimal, 16)) if hexadecimal else chr(int(decimal)) if decimal else _XML_ENTITIES[entity]

    return _XML_REFERENCE.sub(replaced, value.decode(errors="replace"))


def _parsed_xml(archive: zipfile.ZipFile, entry: str) -> bytes:
    """The bytes of the zip entry ``entry``, read whole and parsed, nothing in it resolved or fetched: ``BeyondLimits``
    when it is too big to parse whole, ``NotAWorkbook`` when it is damaged or declares a DTD."""
    size = archive.getinfo(entry).file_size
    if size > MAX_PARSED_PART_BYTES:
        raise BeyondLimits(
            t(
                "{path}: the part {part} inflates to {size}, more than the {limit} xlcrm parses whole",
                path=archive.filename,
                part=entry,
                size=_size(size),
                limit=_size(MAX_PARSED_PART_BYTES),
            )
        )
    data = archive.read(entry)
    parse_part(data, entry)
    return data
