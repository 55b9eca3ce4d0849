"""A worksheet of another workbook copied in as a new sheet: table names and ids stay unique, and the names and
views that point at later sheets by position follow them."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
from lxml import etree

from xlcrm import schema
from xlcrm.create.template import build_workbook
from xlcrm.xlsx.package import write_workbook
from xlcrm.xlsx.sheet_copy import SheetCopy, free_table_name, names_of_sheet


def test_a_copied_sheet_gets_a_free_table_name_and_later_sheets_keep_their_names(tmp_path: Path) -> None:
    source, target = tmp_path / "template.xlsx", tmp_path / "target.xlsx"
    build_workbook("ru").save(source)
    book = build_workbook("ru")
    book.active = len(book.sheetnames) - 1  # the last tab selected: it moves on by one
    book.save(target)
    copy = SheetCopy(source, schema.CONTACTS.ru, "Контакты 2", after=schema.CLIENTS.ru)
    written = tmp_path / "written.xlsx"

    write_workbook(target, written, copies=[copy])

    result = openpyxl.load_workbook(written)
    assert result.sheetnames[1] == "Контакты 2"
    assert result.sheetnames[2:] == openpyxl.load_workbook(target).sheetnames[1:]
    tables = {name: sheet.title for sheet in result.worksheets for name in sheet.tables}
    assert tables["Контакты_2"] == "Контакты 2" and tables["Контакты"] == schema.CONTACTS.ru
    assert [cell.value for cell in result["Контакты 2"][1]] == [column.ru for column in schema.CONTACTS.columns]
    for sheet in result.worksheets:
        assert sheet.print_title_rows == "$1:$1" or sheet.title == schema.HOW_TO.ru, sheet.title
    assert result.active is not None and result.active.title == schema.HOW_TO.ru
    with zipfile.ZipFile(written) as archive:
        ids = [
            re.search(rb'\sid="(\d+)"', archive.read(name)).group(1)  # type: ignore[union-attr]
            for name in archive.namelist()
            if name.startswith("xl/tables/")
        ]
    assert len(ids) == len(set(ids))


def test_a_free_table_name_is_numbered_past_the_names_taken() -> None:
    assert free_table_name("Договоры", ["договоры", "Договоры_2"]) == "Договоры_3"
    assert free_table_name("Contracts", ["Clients"]) == "Contracts"


def test_the_names_of_a_sheet_are_found_by_its_number_however_written() -> None:
    """A name local to the sheet copied is copied with it whether its ``localSheetId`` reads ``1``, ``01`` or
    `` 1 ``; one local to another sheet, or whose sheet number is no number, is not."""
    names = [
        etree.fromstring(f'<definedName name="Print_Titles" localSheetId="{written}">Clients!$1:$1</definedName>')
        for written in ("1", "01", " 1 ", "2", "x")
    ]
    copies = names_of_sheet(names, 1, "Clients", "'Clients (2)'")
    assert [copy.get("localSheetId") for copy in copies] == ["1", "01", " 1 "]
    assert {copy.text for copy in copies} == {"'Clients (2)'!$1:$1"}
