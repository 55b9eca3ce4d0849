"""The Excel tables (ListObjects) of a sheet, read from the package: where each one's header and total rows are.

A table's total row («Итого», SUBTOTAL formulas) and its header row are part of the table, not records: reading
leaves them out of a user sheet's rows, so they are never validated, counted or given computed values.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from xlcrm.errors import NotAWorkbook
from xlcrm.messages import t
from xlcrm.xlsx.parts import rels_part, resolve_target
from xlcrm.xlsx.sheet_edits import range_bounds
from xlcrm.xlsx.xml_io import local_name, parse_part, xml_number

_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_REL_ID = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


@dataclass(frozen=True)
class SheetTable:
    """One Excel table of a sheet: its name and rows (Excel numbers)."""

    name: str
    first_row: int
    last_row: int
    header_rows: int  # 0 or 1: the table's first row holds its headers
    total_rows: int  # 0 or 1: the table's last row is its total row

    def furniture_rows(self) -> list[int]:
        """The rows of the table that are not records: its header row and its total row."""
        rows = list(range(self.first_row, self.first_row + self.header_rows))
        return rows + list(range(self.last_row - self.total_rows + 1, self.last_row + 1))


def sheet_tables(path: Path, sheet_name: str) -> list[SheetTable]:
    """The Excel tables on the sheet named ``sheet_name`` (none when it has no table part or no such sheet)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = {name.casefold(): name for name in archive.namelist()}

            def read(part: str) -> bytes | None:
                entry = names.get(part.casefold())
                return archive.read(entry) if entry is not None else None

            def relationships(part: str) -> dict[str, tuple[str, str]]:
                """Relationship id -> (type, target part) of ``part``."""
                data = read(rels_part(part))
                if data is None:
                    return {}
                return {
                    rel.get("Id", ""): (rel.get("Type", ""), resolve_target(part, rel.get("Target", "")))
                    for rel in parse_part(data, rels_part(part)).getroot()
                    if local_name(rel) == "Relationship" and rel.get("TargetMode") != "External"
                }

            book_part = "xl/workbook.xml"
            data = read(book_part)
            if data is None:
                return []
            sheet = next(
                (
                    element
                    for element in parse_part(data, book_part).getroot().iter()
                    if local_name(element) == "sheet" and element.get("name") == sheet_name
                ),
                None,
            )
            if sheet is None:
                return []
            rel_id = sheet.get(_REL_ID) or sheet.get(_STRICT_REL_ID) or ""
            sheet_part = relationships(book_part).get(rel_id, ("", ""))[1]
            tables = []
            for rel_type, part in relationships(sheet_part).values() if sheet_part else ():
                table = read(part) if rel_type.endswith("/table") else None
                if table is not None:
                    found = _table(parse_part(table, part).getroot())
                    if found is not None:
                        tables.append(found)
            return tables
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise NotAWorkbook(t("{path} cannot be read as a workbook: {reason}", path=path, reason=str(exc))) from None


def header_row_count(table: etree._Element) -> int:
    """How many header rows a table part's ``<table>`` has: 0 when its headerRowCount reads 0, else the format's
    default, 1. Reading and the row edits both ask here, so they never disagree about a table's first row."""
    return 0 if xml_number(table.get("headerRowCount")) == 0 else 1


def totals_row_count(table: etree._Element) -> int | None:
    """How many totals rows a table part's ``<table>`` has (0 when it names none); None when that count is no
    number."""
    return xml_number(table.get("totalsRowCount") or "0")


def _table(root: etree._Element) -> SheetTable | None:
    try:
        first_row, _first_column, last_row, _last_column = range_bounds(root.get("ref", ""))
        header_rows = header_row_count(root)
        totals = totals_row_count(root)
        if totals is None:
            return None  # a table Excel itself would repair: nothing to go by
        total_rows = 1 if totals > 0 else 0
    except ValueError:
        return None  # a table Excel itself would repair: nothing to go by
    name = root.get("displayName") or root.get("name") or "?"
    return SheetTable(
        name, first_row, last_row, header_rows, max(0, min(total_rows, last_row - first_row + 1 - header_rows))
    )
