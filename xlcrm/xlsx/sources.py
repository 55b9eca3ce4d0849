"""What the read of a sheet depends on, as one digest: two files whose digests for a sheet are equal read that sheet
alike, so what one read gave stands for the other.

The digest covers the bytes of the parts the reader looks at for the sheet, as stored in the zip (compressed, so
no part is inflated): the sheet's own XML, its relationships and the parts they point to (tables, notes), and the
shared strings. From the workbook part it covers only what the reader takes from it: the sheet names in order (they
decide which sheet is which, and the language) and the 1904 date system; the rest, which every save rewrites
(defined names, the active sheet), does not count. From the styles it covers the number format of each cell format
(a number whose format is a date reads as a date), and only of the cell formats there were when the digest was
made: a save that adds report styles after them changes nothing the sheet's cells point to. The same content
stored with other compression digests differently: that only costs a read.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

from xlcrm.errors import XlcrmError
from xlcrm.xlsx.limits import sheet_parts
from xlcrm.xlsx.parts import Relationships, rels_part
from xlcrm.xlsx.xml_io import local_name, parse_part

_LOCAL_HEADER_SIZE = 30
_ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20
_PACKAGE_RELS = "_rels/.rels"
# Relationship types are named by URIs ending in these (transitional and strict OOXML differ before the last part).
_OFFICE_DOCUMENT = "/officeDocument"
_SHARED_PARTS = ("/sharedStrings", "/styles")
_DATE_1904 = re.compile(rb'<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*"(?:1|true)"')


def sheet_sources(path: Path, sheet_names: Collection[str], cell_formats: int | None = None) -> dict[str, str]:
    """Sheet name -> ``"<cell formats>:<hex SHA-256>"`` of what reading it depends on, for each of ``sheet_names`` the
    workbook at ``path`` has; {} when the file cannot be read as a package (the caller then simply has no digest to
    match). ``cell_formats``: count only that many of the first cell formats of the styles (all when None), to
    match a digest that counted that many."""
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            return _sources(archive, raw, sheet_names, cell_formats)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, XlcrmError):
        return {}


def cell_formats_counted(source: str) -> int | None:
    """How many cell formats the digest ``source`` (of ``sheet_sources``) counted; None when it is not one."""
    count, _, _ = source.partition(":")
    return int(count) if count.isdigit() else None


def _sources(
    archive: zipfile.ZipFile, raw: BinaryIO, sheet_names: Collection[str], cell_formats: int | None
) -> dict[str, str]:
    book = _workbook_part(archive)
    if book is None:
        return {}
    parts = sheet_parts(archive)
    book_data = archive.read(book)
    shared = hashlib.sha256()
    shared.update(repr(list(parts)).encode())  # every sheet name, in order
    shared.update(b"1904" if _DATE_1904.search(book_data) else b"1900")
    strings, styles = _shared_parts(archive, book)
    if strings is not None:
        _add_part(shared, archive, raw, strings)
    formats = _number_formats(archive, styles)[:cell_formats]
    shared.update(repr(formats).encode())
    found = {}
    for name in sheet_names:
        sheet_part = parts.get(name)
        if sheet_part is None:
            continue
        digest = shared.copy()
        digest.update(repr((name, sheet_part)).encode())
        _add_part(digest, archive, raw, sheet_part)
        for linked in _linked_parts(archive, sheet_part):
            _add_part(digest, archive, raw, linked)
        found[name] = f"{len(formats)}:{digest.hexdigest()}"
    return found


def _workbook_part(archive: zipfile.ZipFile) -> str | None:
    rels = _relationships(archive, "")
    found = next((rels.target(rel) for rel in rels.items if (rel.get("Type") or "").endswith(_OFFICE_DOCUMENT)), None)
    return found if found in archive.NameToInfo else None


def _shared_parts(archive: zipfile.ZipFile, book: str) -> tuple[str | None, str | None]:
    """The shared strings and the styles part of the workbook part ``book`` (None for one it lacks)."""
    rels = _relationships(archive, book)
    strings, styles = (
        next((rels.target(rel) for rel in rels.items if (rel.get("Type") or "").endswith(suffix)), None)
        for suffix in _SHARED_PARTS
    )
    return strings, styles


def _number_formats(archive: zipfile.ZipFile, styles: str | None) -> list[str]:
    """The number format each cell format (``cellXfs``) of the styles part applies, in order: its id, and its code
    when the styles define one ([] without styles)."""
    if styles is None or styles not in archive.NameToInfo:
        return []
    tree = parse_part(archive.read(styles), styles)
    codes = {element.get("numFmtId"): element.get("formatCode") or "" for element in tree.iter("{*}numFmt")}
    cell_formats = next(tree.iter("{*}cellXfs"), None)
    if cell_formats is None:
        return []
    return [
        f"{number}:{codes.get(number, '')}"
        for element in cell_formats
        if local_name(element) == "xf"
        for number in [element.get("numFmtId", "0")]
    ]


def _linked_parts(archive: zipfile.ZipFile, part: str) -> list[str]:
    """The sheet's relationships part and every part of the package it points to, when it has one."""
    rels_name = rels_part(part)
    if rels_name not in archive.NameToInfo:
        return []
    rels = _relationships(archive, part)
    return [rels_name, *(target for rel in rels.items if (target := rels.target(rel)) is not None)]


def _relationships(archive: zipfile.ZipFile, part: str) -> Relationships:
    name = rels_part(part) if part else _PACKAGE_RELS
    return Relationships(part, archive.read(name) if name in archive.NameToInfo else None)


def _add_part(digest: hashlib._Hash, archive: zipfile.ZipFile, raw: BinaryIO, part: str) -> None:
    """Nothing; adds the part's name, size, CRC and stored bytes to ``digest`` ("missing" for a part the package
    lacks, so a part added later changes the digest)."""
    info = archive.NameToInfo.get(posixpath.normpath(part))
    if info is None:
        digest.update(f"missing {part}\0".encode())
        return
    digest.update(f"{part}\0{info.compress_type}\0{info.file_size}\0{info.CRC}\0".encode())
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER_SIZE)
    if len(header) != _LOCAL_HEADER_SIZE or header[:4] != _ZIP_MAGIC:
        raise ValueError(f"entry {part} has no valid header")
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    raw.seek(info.header_offset + _LOCAL_HEADER_SIZE + name_length + extra_length)
    left = info.compress_size
    while left > 0:
        chunk = raw.read(min(left, _CHUNK))
        if not chunk:
            raise ValueError(f"entry {part} is cut short")
        digest.update(chunk)
        left -= len(chunk)
