"""Every cell of chosen rows of a sheet, values and formulas, as a copy of those rows needs them.

``xlcrm restore`` puts rows deleted by a person back from the copy xlcrm kept of its last save, cell for cell:
the user's own columns and formulas too, which the reader's parsed values leave out. openpyxl reads the rows
(read-only, so only up to the last row wanted is parsed): it gives each formula's text, the cells of a shared
formula included, and dates as dates.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.formula.tokenizer import TokenizerError
from openpyxl.formula.translate import Translator
from openpyxl.worksheet.formula import ArrayFormula

from xlcrm.errors import NotAWorkbook
from xlcrm.messages import t
from xlcrm.xlsx.refs import column_letter
from xlcrm.xlsx.report_sheet import CellValue, Formula

RowCells = dict[str, CellValue | Formula]  # column letter -> value, or formula; empty cells left out


@dataclass(frozen=True)
class SheetRows:
    """Some rows of a sheet as read: its headers and every non-empty cell of each row asked for."""

    headers: dict[str, str]  # column letter -> header text of row 1 (blank headers left out)
    rows: dict[int, RowCells]  # Excel row -> its cells; a row the sheet does not hold is absent


def read_sheet_rows(source: Path, sheet_name: str, rows: Collection[int]) -> SheetRows:
    """The headers (row 1) and the cells of ``rows`` of the sheet ``sheet_name`` of the workbook at ``source``;
    no headers and no rows when the workbook has no such sheet."""
    try:
        book = load_workbook(source, read_only=True, data_only=False, keep_links=False)
        try:
            return _rows_of(book, sheet_name, set(rows))
        finally:
            book.close()
    except _UNREADABLE as exc:  # openpyxl is stricter than the reader, which read this file already
        raise NotAWorkbook(t("{path} cannot be read as a workbook: {reason}", path=source, reason=str(exc))) from None


# What openpyxl raises for a file it cannot parse (XML parsers' errors are SyntaxErrors).
_UNREADABLE = (OSError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile, SyntaxError)


def _rows_of(book: Workbook, sheet_name: str, wanted: set[int]) -> SheetRows:
    if sheet_name not in book.sheetnames:
        return SheetRows({}, {})
    sheet = book[sheet_name]
    found: dict[int, RowCells] = {}
    headers: dict[str, str] = {}
    # Read-only sheets give every row up to the last one asked for, the rows without cells as empty ones.
    for number, cells in enumerate(sheet.iter_rows(min_row=1, max_row=max(wanted, default=1)), start=1):
        if number == 1:
            headers = {
                column_letter(index): str(cell.value).strip()
                for index, cell in enumerate(cells)
                if cell.value is not None and str(cell.value).strip()
            }
        if number in wanted:
            found[number] = {
                column_letter(index): _cell_content(cell.value, cell.data_type)
                for index, cell in enumerate(cells)
                if cell.value is not None and cell.value != ""
            }
    return SheetRows(headers, found)


def _cell_content(value: object, data_type: str | None) -> CellValue | Formula:
    """A cell as ``SheetEdit`` writes it: a formula without its "=", else its value."""
    if isinstance(value, ArrayFormula):
        return Formula((value.text or "").removeprefix("="))
    if data_type == "f" and isinstance(value, str):
        return Formula(value.removeprefix("="))
    if isinstance(value, (str, int, float, bool, dt.date, dt.time, dt.timedelta)):
        return value
    return str(value)


def moved_formula(formula: Formula, column: str, origin: int, destination: int) -> Formula:
    """``formula`` of the cell ``column``+``origin`` as Excel writes it when the cell is copied to row
    ``destination``: relative row references move with it (``=F5*2`` on row 5 reads ``=F9*2`` on row 9). A
    formula that cannot be taken apart is kept as it is: Excel's own check shows it once the row is back."""
    if origin == destination:
        return formula
    try:
        moved = Translator("=" + formula.text, origin=f"{column}{origin}").translate_formula(f"{column}{destination}")
    except (TokenizerError, ValueError):
        return formula
    return Formula(moved.removeprefix("="))
