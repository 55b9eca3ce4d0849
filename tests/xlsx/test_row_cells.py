"""read_sheet_rows: every cell of chosen rows, values and formulas, as ``xlcrm restore`` copies them."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlcrm.errors import NotAWorkbook
from xlcrm.xlsx.report_sheet import Formula
from xlcrm.xlsx.row_cells import moved_formula, read_sheet_rows

SHEET_PART = "xl/worksheets/sheet1.xml"


def _workbook(path: Path) -> Path:
    """Rows 2-5 of a sheet: an amount, a date, a formula doubling the amount, a note on every other row."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Interactions"
    sheet.append(["Amount", "Date", "Doubled", "Note"])
    for row in range(2, 6):
        sheet.append([row * 10, dt.date(2026, 1, row), f"=A{row}*2", "x" if row % 2 else None])
    book.save(path)
    return path


def _fill_down_shared(path: Path) -> None:
    """Column C rewritten as Excel writes a formula filled down: one shared formula given on C2, the cells below
    naming it only."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts[SHEET_PART].decode()
    sheet = sheet.replace('<c r="C2"><f>A2*2</f>', '<c r="C2"><f t="shared" ref="C2:C5" si="0">A2*2</f>')
    sheet, count = re.subn(r'<c r="C([345])"><f>A\d\*2</f>', r'<c r="C\1"><f t="shared" si="0"/>', sheet)
    assert count == 3
    parts[SHEET_PART] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_the_rows_asked_for_with_their_values_formulas_and_headers(tmp_path: Path) -> None:
    rows = read_sheet_rows(_workbook(tmp_path / "book.xlsx"), "Interactions", [3, 4])
    assert rows.headers == {"A": "Amount", "B": "Date", "C": "Doubled", "D": "Note"}
    assert rows.rows == {
        3: {"A": 30, "B": dt.datetime(2026, 1, 3), "C": Formula("A3*2"), "D": "x"},
        4: {"A": 40, "B": dt.datetime(2026, 1, 4), "C": Formula("A4*2")},
    }


def test_a_cell_of_a_shared_formula_gets_its_own_formula(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "book.xlsx")
    _fill_down_shared(path)
    rows = read_sheet_rows(path, "Interactions", [4, 5])
    assert rows.rows[4]["C"] == Formula("A4*2")
    assert rows.rows[5]["C"] == Formula("A5*2")


def test_a_sheet_openpyxl_cannot_parse_is_one_clear_error(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "book.xlsx")
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts[SHEET_PART] = parts[SHEET_PART][:300]  # cut off in the middle
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    with pytest.raises(NotAWorkbook, match="cannot be read as a workbook"):
        read_sheet_rows(path, "Interactions", [3])


def test_no_such_sheet_is_no_rows(tmp_path: Path) -> None:
    rows = read_sheet_rows(_workbook(tmp_path / "book.xlsx"), "Clients", [2])
    assert (rows.headers, rows.rows) == ({}, {})


def test_a_formula_moved_to_another_row_reads_that_row_as_a_copied_cell_does() -> None:
    assert moved_formula(Formula("A4*2+$A$1"), "C", 4, 120) == Formula("A120*2+$A$1")
    row_free = Formula('IF(INDEX($B:$B,ROW())="","",1)')
    assert moved_formula(row_free, "C", 4, 120) == row_free
    broken = Formula('SUM(A4"')  # an unterminated text: kept as it was
    assert moved_formula(broken, "C", 4, 120) == broken
