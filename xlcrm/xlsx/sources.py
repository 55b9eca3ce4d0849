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
import html
import posixpath
import re
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

from xlcrm.xlsx.limits import sheet_parts
from xlcrm.xlsx.parts import Relationships, rels_part
from xlcrm.xlsx.xml_io import local_name, parse_part
from xlcrm.xlsx.zip_writer import seek_stored_data

_CHUNK = 1 << 20
_PACKAGE_RELS = "_rels/.rels"
# Changed whenever what a digest covers changes, so that no digest made otherwise can match.
_DIGEST_FORMAT = b"xlcrm sheet sources 2\0"
# Relationship types are named by URIs ending in these (transitional and strict OOXML differ before the last part).
_OFFICE_DOCUMENT = "/officeDocument"
_TABLE = "/table"
# The shared strings and the styles: calamine opens them by these names beside the workbook part, whatever the
# relationships say, so both what they name and these count.
_SHARED_PARTS = (("/sharedStrings", "sharedStrings.xml"), ("/styles", "styles.xml"))
_SHEET_NAME = re.compile(rb'<(?:\w+:)?sheet\s[^>]*?\bname\s*=\s*(["\'])(.*?)\1')
_DATE_1904 = re.compile(rb'\bdate1904\s*=\s*(["\'])(.*?)\1')
_SOURCE = re.compile(r"([0-9]{1,9}):[0-9a-f]{64}")


def sheet_sources(path: Path, sheet_names: Collection[str], cell_formats: int | None = None) -> dict[str, str]:
    """Sheet name -> ``"<cell formats>:<hex SHA-256>"`` of what reading it depends on, for each of ``sheet_names`` the
    workbook at ``path`` has; {} when the file cannot be read as a package or is ambiguous (two parts or two sheets
    whose names differ only in case): the caller then has no digest to match, and reads. ``cell_formats``: count
    only that many of the first cell formats of the styles (all when None), to match a digest that counted that
    many."""
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            return _sources(archive, raw, sheet_names, cell_formats)
    except Exception:  # noqa: BLE001 - whatever keeps a file from being digested only means it is read instead
        return {}


def cell_formats_counted(source: str) -> int | None:
    """How many cell formats the digest ``source`` (of ``sheet_sources``) counted; None when it is not one."""
    found = _SOURCE.fullmatch(source)
    return int(found.group(1)) if found else None


def _sources(
    archive: zipfile.ZipFile, raw: BinaryIO, sheet_names: Collection[str], cell_formats: int | None
) -> dict[str, str]:
    entries = {name.casefold(): name for name in archive.NameToInfo}
    book = _workbook_part(archive)
    if book is None or len(entries) != len(archive.NameToInfo):
        return {}
    book_data = archive.read(book)
    names = [html.unescape(match.group(2).decode("utf-8", "replace")) for match in _SHEET_NAME.finditer(book_data)]
    if len({name.casefold() for name in names}) != len(names):
        return {}
    parts = sheet_parts(archive)
    shared = hashlib.sha256(_DIGEST_FORMAT)
    shared.update(repr(names).encode())  # every sheet name, in order
    shared.update(repr(_DATE_1904.findall(book_data)).encode())
    strings, styles = (_shared_part_names(archive, book, entries, kind) for kind in _SHARED_PARTS)
    for part in strings:
        _add_part(shared, archive, raw, part)
    counted = 0
    for part in styles:
        formats = _number_formats(archive, part)[:cell_formats]
        counted = max(counted, len(formats))
        shared.update(repr((part, formats)).encode())
    found = {}
    for name in sheet_names:
        sheet_part = parts.get(name)
        if sheet_part is None:
            continue
        digest = shared.copy()
        digest.update(repr((name, sheet_part)).encode())
        _add_part(digest, archive, raw, sheet_part)
        for table in _table_parts(archive, sheet_part):
            _add_part(digest, archive, raw, table)
        found[name] = f"{counted}:{digest.hexdigest()}"
    return found


def _workbook_part(archive: zipfile.ZipFile) -> str | None:
    rels = _relationships(archive, "")
    found = next((rels.target(rel) for rel in rels.items if (rel.get("Type") or "").endswith(_OFFICE_DOCUMENT)), None)
    return found if found in archive.NameToInfo else None


def _shared_part_names(
    archive: zipfile.ZipFile, book: str, entries: dict[str, str], kind: tuple[str, str]
) -> list[str]:
    """The zip entries of one kind of the workbook's shared parts: the one its relationships name and the one by the
    usual name beside the workbook part, each once; a name the package lacks stays as named, to count as missing."""
    rel_type, usual = kind
    rels = _relationships(archive, book)
    named = [
        target for rel in rels.items if (rel.get("Type") or "").endswith(rel_type) and (target := rels.target(rel))
    ]
    candidates = [*named, posixpath.join(posixpath.dirname(book), usual)]
    return list(dict.fromkeys(entries.get(name.casefold(), name) for name in candidates))


def _number_formats(archive: zipfile.ZipFile, styles: str) -> list[str]:
    """The number format each cell format (``cellXfs``) of the styles part applies, in order: its id, and its code
    when the styles define one ([] when the package lacks the part)."""
    if styles not in archive.NameToInfo:
        return []
    root = parse_part(archive.read(styles), styles).getroot()
    codes = {
        element.get("numFmtId"): element.get("formatCode") or ""
        for group in root
        if local_name(group) == "numFmts"
        for element in group
        if local_name(element) == "numFmt"
    }
    return [
        f"{number}:{codes.get(number, '')}"
        for group in root
        if local_name(group) == "cellXfs"
        for element in group
        if local_name(element) == "xf"
        for number in [element.get("numFmtId", "0")]
    ]


def _table_parts(archive: zipfile.ZipFile, part: str) -> list[str]:
    """The table parts the sheet's relationships point to (the reader takes table header and total rows from them),
    each once, in name order."""
    if rels_part(part) not in archive.NameToInfo:
        return []
    rels = _relationships(archive, part)
    return sorted(
        {
            target
            for rel in rels.items
            if (rel.get("Type") or "").endswith(_TABLE) and (target := rels.target(rel)) is not None
        }
    )


def _relationships(archive: zipfile.ZipFile, part: str) -> Relationships:
    name = rels_part(part) if part else _PACKAGE_RELS
    return Relationships(part, archive.read(name) if name in archive.NameToInfo else None)


def _add_part(digest: hashlib._Hash, archive: zipfile.ZipFile, raw: BinaryIO, part: str) -> None:
    """Nothing; adds the part's name, size, CRC and stored bytes to ``digest`` ("missing" for a part the package
    lacks, so a part added later changes the digest)."""
    info = archive.NameToInfo.get(part)
    if info is None:
        digest.update(f"missing {part}\0".encode())
        return
    digest.update(f"{part}\0{info.compress_type}\0{info.file_size}\0{info.CRC}\0".encode())
    seek_stored_data(raw, info)
    left = info.compress_size
    while left > 0:
        chunk = raw.read(min(left, _CHUNK))
        if not chunk:
            raise ValueError(f"entry {part} is cut short")
        digest.update(chunk)
        left -= len(chunk)
