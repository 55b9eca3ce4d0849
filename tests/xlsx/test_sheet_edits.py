"""Edits of user sheets at the zip level: cells set, rows deleted and appended, computed columns.

Workbooks are real: the xlcrm template filled by ``build_workbook`` (tables, whole-column formats,
dropdowns and highlights), the LibreOffice-made fixtures in tests/data (comments, a chart, a
pivot table, formulas, a macro), and small openpyxl books for the cases that must be refused.
Every result is opened with openpyxl and with python-calamine (``read_workbook``).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from tests.conftest import convert_with_libreoffice
from tests.package_checks import assert_package_consistent, assert_styles_extended, canonical, entries, xml
from tests.paths import DATA
from xlcrm import schema
from xlcrm.create.template import build_workbook
from xlcrm.errors import EditRefused, WorkbookChanged
from xlcrm.files.safe_save import BACKUP_FOLDER, TEMP_PREFIX
from xlcrm.files.save import save_changes
from xlcrm.xlsx.package import row_extras, write_workbook
from xlcrm.xlsx.parts import NS_MAIN
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.refs import column_index, column_letter
from xlcrm.xlsx.report_sheet import ReportColumn, ReportSheet, ReportTable
from xlcrm.xlsx.sheet_edits import (
    COMPUTED_HEADER,
    CellChange,
    RowMap,
    RowParser,
    RowWriter,
    SheetEdit,
    SheetPlan,
    StyleChooser,
    noting_shared_strings,
    whole_rows,
    without_formula_results,
)

CLIENTS = schema.CLIENTS.name("en")
INTERACTIONS = schema.INTERACTIONS.name("en")
CLIENTS_PART = "xl/worksheets/sheet1.xml"
INTERACTIONS_PART = "xl/worksheets/sheet4.xml"
CLIENTS_TABLE = "xl/tables/table1.xml"
WORKBOOK = "xl/workbook.xml"
DATE_FORMAT = schema.NUMBER_FORMATS[schema.Kind.DATE]


def letter(spec: schema.Sheet, key: str) -> str:
    return column_letter(spec.columns.index(spec.column(key)))


ID, NAME, COMPANY, BIRTHDAY, RATING, CREATED = (
    letter(schema.CLIENTS, k) for k in ("client_id", "name", "company", "birthday", "rating", "created")
)
I_CLIENT = letter(schema.INTERACTIONS, "client_id")
LAST = len(schema.CLIENTS.columns) - 1  # index of the template's last Clients column
ORDERS, FIRST_ORDER = column_letter(LAST + 1), column_letter(LAST + 2)


def client_base(path: Path, clients: int = 6, locale: str = "en") -> Path:
    """The template with ``clients`` clients (every third without a ClientID) and some interactions."""
    rows = {
        "clients": [
            {
                "client_id": None if i % 3 == 0 else f"C{i:06d}",
                "name": f"Person {i}",
                "company": f"Company {i}",
                "birthday": dt.date(1980, 1, i),
                "rating": i,
                "created": dt.date(2026, 1, i),
            }
            for i in range(1, clients + 1)
        ],
        "interactions": [
            {
                "date": dt.date(2026, 2, i),
                "client_id": f"C{i % clients + 1:06d}",
                "type": "Order",
                "amount": 100 * i,
                "next_date": dt.date(2026, 3, i),
            }
            for i in range(1, 11)
        ],
    }
    build_workbook(locale, rows).save(path)
    return path


def changed_parts(before: Path, after: Path) -> set[str]:
    """Parts whose content differs; every other part must also be stored exactly as before."""
    old, new = entries(before), entries(after)
    assert set(new) >= set(old) - {name for name in old if "calcChain" in name}
    changed = {name for name in old if name in new and old[name] != new[name]}
    with zipfile.ZipFile(before) as a, zipfile.ZipFile(after) as b:
        for name in set(old) - changed:
            if name in new:
                info_a, info_b = a.getinfo(name), b.getinfo(name)
                assert (info_a.CRC, info_a.compress_size) == (info_b.CRC, info_b.compress_size), name
    return changed


def table(path: Path, part: str = CLIENTS_TABLE) -> tuple[str, list[tuple[str, str]]]:
    root = xml(entries(path)[part])
    columns = [(c.get("id"), c.get("name")) for c in root.iter(f"{{{NS_MAIN}}}tableColumn")]
    assert root.find(f"{{{NS_MAIN}}}autoFilter").get("ref") == root.get("ref")
    return root.get("ref"), columns


def tail(path: Path, part: str) -> list[tuple[object, ...]]:
    """Conditional formats and validations of a sheet, comparable."""
    root = xml(entries(path)[part])
    return [canonical(e) for e in root if e.tag.split("}")[1] in ("conditionalFormatting", "dataValidations")]


def test_set_cells_writes_values_and_keeps_each_cells_style(tmp_path: Path) -> None:
    source = client_base(tmp_path / "base.xlsx")
    target = tmp_path / "out.xlsx"
    write_workbook(
        source,
        target,
        edits=[
            SheetEdit(
                CLIENTS,
                set_cells={
                    f"{ID}4": "C000777",
                    f"{NAME}2": " Anna & <Co>\nline two",
                    f"{RATING}3": 4.5,
                    f"{BIRTHDAY}2": dt.date(1990, 5, 17),
                    f"{CREATED}3": None,
                    f"{COMPANY}5": True,
                },
            )
        ],
    )

    assert changed_parts(source, target) == {CLIENTS_PART}
    assert xml(entries(target)[WORKBOOK]).find(f"{{{NS_MAIN}}}calcPr").get("fullCalcOnLoad") == "1"
    sheet = openpyxl.load_workbook(target)[CLIENTS]
    assert sheet[f"{ID}4"].value == "C000777"
    assert sheet[f"{NAME}2"].value == " Anna & <Co>\nline two"
    assert sheet[f"{RATING}3"].value == 4.5 and sheet[f"{COMPANY}5"].value is True
    assert sheet[f"{BIRTHDAY}2"].value == dt.datetime(1990, 5, 17)
    assert sheet[f"{BIRTHDAY}2"].number_format == DATE_FORMAT
    # A cleared cell keeps its format, so a date typed there later still shows as a date.
    assert sheet[f"{CREATED}3"].value is None and sheet[f"{CREATED}3"].number_format == DATE_FORMAT
    assert sheet[f"{CREATED}4"].value == dt.datetime(2026, 1, 3)

    clients = read_workbook(target).sheets["clients"].frame
    assert clients.loc[4, "client_id"] == "C000777" and clients.loc[2, "name"] == "Anna & <Co>\nline two"
    assert clients.loc[2, "birthday"] == dt.date(1990, 5, 17) and clients.loc[3, "created"] is None
    assert len(clients) == 6


def test_a_date_in_a_column_without_format_gets_a_date_format(tmp_path: Path) -> None:
    source = client_base(tmp_path / "base.xlsx")
    target = tmp_path / "out.xlsx"
    write_workbook(
        source,
        target,
        edits=[
            SheetEdit(
                CLIENTS,
                set_cells={
                    f"{ORDERS}2": dt.date(2026, 4, 1),
                    f"{FIRST_ORDER}3": dt.datetime(2026, 4, 1, 9, 30),
                    f"{NAME}2": dt.date(2026, 4, 2),
                },
            )
        ],
    )

    assert changed_parts(source, target) == {CLIENTS_PART, "xl/styles.xml"}
    assert_styles_extended(entries(source)["xl/styles.xml"], entries(target)["xl/styles.xml"])
    sheet = openpyxl.load_workbook(target)[CLIENTS]
    assert sheet[f"{ORDERS}2"].value == dt.datetime(2026, 4, 1) and sheet[f"{ORDERS}2"].number_format == DATE_FORMAT
    assert sheet[f"{FIRST_ORDER}3"].number_format == DATE_FORMAT + " HH:MM"
    assert sheet[f"{NAME}2"].number_format == DATE_FORMAT
    assert CalamineWorkbook.from_path(str(target)).get_sheet_by_name(CLIENTS).to_python()[2][LAST + 2] == dt.datetime(
        2026, 4, 1, 9, 30
    )


def test_computed_columns_join_the_table_with_marked_headers(tmp_path: Path) -> None:
    source = client_base(tmp_path / "base.xlsx")
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"

    def computed(orders: list[int]) -> SheetEdit:
        cells: dict[str, object] = {f"{ORDERS}1": "Orders", f"{FIRST_ORDER}1": "First order"}
        for row, count in enumerate(orders, start=2):
            cells[f"{ORDERS}{row}"] = count
            cells[f"{FIRST_ORDER}{row}"] = dt.date(2026, 2, row) if count else None
        return SheetEdit(CLIENTS, set_cells=cells, computed_header=[ORDERS, FIRST_ORDER])

    write_workbook(source, first, edits=[computed([1, 0, 2, 0, 0, 3])])
    assert changed_parts(source, first) == {CLIENTS_PART, CLIENTS_TABLE, "xl/styles.xml"}
    ref, columns = table(first)
    assert ref == f"A1:{FIRST_ORDER}7"
    assert columns[-2:] == [(str(LAST + 2), "Orders"), (str(LAST + 3), "First order")]
    assert len({column_id for column_id, _ in columns}) == len(columns) == LAST + 3
    sheet = openpyxl.load_workbook(first)[CLIENTS]
    header = sheet[f"{ORDERS}1"]
    assert header.fill.fgColor.rgb == COMPUTED_HEADER.fill and header.font.b and header.font.i
    assert sheet["A1"].fill.fgColor.rgb != COMPUTED_HEADER.fill
    assert sheet[f"{FIRST_ORDER}2"].number_format == DATE_FORMAT and sheet[f"{FIRST_ORDER}3"].value is None

    # The next refresh writes the same columns again: the table does not grow a second time.
    write_workbook(first, second, edits=[computed([2, 1, 2, 0, 0, 3])])
    assert table(second) == (ref, columns)
    assert changed_parts(first, second) == {CLIENTS_PART}
    frame = read_workbook(second).sheets["clients"]
    assert "Orders" in frame.extra_columns and len(frame.frame) == 6


def test_a_table_of_the_users_beside_the_data_does_not_take_the_computed_columns(tmp_path: Path) -> None:
    """A small table of the user's right of the Clients table (a sales plan at W1:X6), whose last column the computed
    columns follow: it keeps its range, columns and filter; only the table holding the data (ClientID) takes
    columns."""
    base = client_base(tmp_path / "base.xlsx")
    book = openpyxl.load_workbook(base)
    sheet = book[CLIENTS]
    beside = LAST + 3
    first, second = column_letter(beside), column_letter(beside + 1)
    for row, (month, plan) in enumerate([("Month", "Plan"), ("Jan", 10), ("Feb", 12)], start=1):
        sheet[f"{first}{row}"], sheet[f"{second}{row}"] = month, plan
    sheet.add_table(Table(displayName="SalesPlan", ref=f"{first}1:{second}3"))
    book.save(base)
    plan_part = next(
        name for name in entries(base) if name.startswith("xl/tables/") and b"SalesPlan" in entries(base)[name]
    )
    before = table(base, plan_part)
    after_plan = column_letter(beside + 2)
    target = tmp_path / "out.xlsx"
    edit = SheetEdit(
        CLIENTS,
        set_cells={f"{after_plan}1": "Orders", f"{after_plan}2": 1},
        computed_header=[after_plan],
        data_column="A",
    )

    write_workbook(base, target, edits=[edit])

    assert table(target, plan_part) == before
    assert openpyxl.load_workbook(target)[CLIENTS][f"{after_plan}1"].value == "Orders"


def test_the_data_table_takes_the_computed_columns_wherever_it_starts(tmp_path: Path) -> None:
    """A Clients table that starts in column B (column A left as a margin) still takes the columns written just
    right of it, as the one that starts in A does."""
    source = client_base(tmp_path / "base.xlsx")
    book = openpyxl.load_workbook(source)
    sheet = book[CLIENTS]
    sheet.insert_cols(1)
    [data] = sheet.tables.values()
    data.ref = f"B1:{column_letter(LAST + 1)}7"
    data.autoFilter.ref = data.ref
    book.save(source)
    target = tmp_path / "out.xlsx"
    after = column_letter(LAST + 2)
    edit = SheetEdit(
        CLIENTS, set_cells={f"{after}1": "Orders", f"{after}2": 1}, computed_header=[after], data_column="B"
    )

    write_workbook(source, target, edits=[edit])

    ref, columns = table(target)
    assert ref == f"B1:{after}7" and columns[-1][1] == "Orders"


def test_appended_rows_extend_the_table_and_look_like_the_row_above(tmp_path: Path) -> None:
    source = client_base(tmp_path / "base.xlsx")
    target = tmp_path / "out.xlsx"
    restored = [
        {ID: "C000090", NAME: "Restored one", CREATED: dt.date(2025, 12, 1), BIRTHDAY: dt.date(1970, 1, 1)},
        {ID: "C000091", NAME: "Restored two", RATING: 2},
    ]
    write_workbook(source, target, edits=[SheetEdit(CLIENTS, append_rows=restored)])

    assert changed_parts(source, target) == {CLIENTS_PART, CLIENTS_TABLE}
    assert table(target)[0] == f"A1:{column_letter(LAST)}9"
    sheet = openpyxl.load_workbook(target)[CLIENTS]
    assert [sheet[f"{c}8"].value for c in (ID, NAME, CREATED)] == ["C000090", "Restored one", dt.datetime(2025, 12, 1)]
    assert sheet[f"{CREATED}8"].number_format == DATE_FORMAT and sheet[f"{BIRTHDAY}8"].number_format == DATE_FORMAT
    assert sheet[f"{ID}9"].number_format == sheet[f"{ID}7"].number_format
    clients = read_workbook(target).sheets["clients"].frame
    assert list(clients.index) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert clients.loc[9, "rating"] == 2


def test_rows_appended_to_an_empty_template_fill_its_blank_table_row(tmp_path: Path) -> None:
    source = tmp_path / "blank.xlsx"
    build_workbook("ru").save(source)
    name = schema.CLIENTS.name("ru")
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    write_workbook(source, once, edits=[SheetEdit(name, append_rows=[{ID: "C000001", NAME: "Анна"}])])
    assert table(once)[0] == table(source)[0] == f"A1:{column_letter(LAST)}2"
    write_workbook(once, twice, edits=[SheetEdit(name, append_rows=[{ID: "C000002", NAME: "Борис"}])])
    assert table(twice)[0] == f"A1:{column_letter(LAST)}3"
    clients = read_workbook(twice).sheets["clients"].frame
    assert clients["name"].tolist() == ["Анна", "Борис"] and list(clients.index) == [2, 3]


def test_deleted_rows_move_the_rows_below_up_and_shrink_the_table(tmp_path: Path) -> None:
    source = client_base(tmp_path / "base.xlsx")
    target = tmp_path / "out.xlsx"
    # Row numbers are those of the workbook as read: B5 is the client on row 5, which ends up on row 4.
    write_workbook(source, target, edits=[SheetEdit(CLIENTS, delete_rows={3, 6}, set_cells={f"{COMPANY}5": "Kept"})])

    assert changed_parts(source, target) == {CLIENTS_PART, CLIENTS_TABLE}
    assert table(target)[0] == f"A1:{column_letter(LAST)}5"
    # Whole-column formats and dropdowns cover the same cells as before.
    assert tail(target, CLIENTS_PART) == tail(source, CLIENTS_PART)
    clients = read_workbook(target).sheets["clients"].frame
    assert clients["name"].tolist() == ["Person 1", "Person 3", "Person 4", "Person 6"]
    assert list(clients.index) == [2, 3, 4, 5] and clients.loc[4, "company"] == "Kept"
    sheet = openpyxl.load_workbook(target)[CLIENTS]
    assert sheet[f"{CREATED}5"].value == dt.datetime(2026, 1, 6) and sheet[f"{CREATED}5"].number_format == DATE_FORMAT
    assert sheet.max_row == 5
    assert_package_consistent(target)


@pytest.mark.parametrize("fixture", ["user_workbook.xlsx", "user_workbook.xlsm"])
def test_libreoffice_workbook_keeps_comments_names_and_formulas_in_step(fixture: str, tmp_path: Path) -> None:
    source = DATA / fixture
    target = tmp_path / f"out{source.suffix}"
    write_workbook(
        source,
        target,
        edits=[
            SheetEdit(
                "Clients",
                delete_rows=[3, 4],
                set_cells={"B2": "Merged"},
                append_rows=[{"A": "C000099", "B": "Restored"}],
            )
        ],
    )

    assert changed_parts(source, target) == {
        "xl/worksheets/sheet1.xml",
        "xl/workbook.xml",
        "xl/comments1.xml",
        "xl/drawings/vmlDrawing1.vml",
    }
    parts = entries(target)
    comments = [c.get("ref") for c in xml(parts["xl/comments1.xml"]).iter(f"{{{NS_MAIN}}}comment")]
    assert comments == ["B2", "C3"]
    assert b"<x:Row>2</x:Row>" in parts["xl/drawings/vmlDrawing1.vml"]
    names = {d.get("name"): d.text for d in xml(parts["xl/workbook.xml"]).iter(f"{{{NS_MAIN}}}definedName")}
    assert names == {"_xlnm._FilterDatabase": "Clients!$A$1:$H$12", "ClientIDs": "Clients!$A$2:$A$11"}

    book = openpyxl.load_workbook(target)
    sheet = book["Clients"]
    assert sheet.auto_filter.ref == "A1:H12"
    assert [sheet[f"A{r}"].value for r in (2, 3, 11, 12)] == ["C000001", "C000004", "C000012", "C000099"]
    # Each row's formula still counts the orders of its own client.
    assert sheet["H3"].value == '=COUNTIFS(Interactions!B$2:B$31,A3,Interactions!C$2:C$31,"Order")'
    assert sheet["B2"].value == "Merged" and sheet["B2"].comment.text.startswith("VIP since 2020")
    assert sheet["C3"].comment.text == "Birthday checked by phone"
    data = read_workbook(target)
    assert data.sheets["clients"].frame["client_id"].tolist()[:2] == ["C000001", "C000004"]
    assert_package_consistent(target)


@pytest.mark.parametrize("written", ["00", " 0"])
def test_a_filter_whose_sheet_number_has_zeros_or_spaces_follows_the_rows(written: str, tmp_path: Path) -> None:
    """The sheet's filter name is found by its ``localSheetId`` read as a number, however it is written."""
    source, target = tmp_path / "source.xlsx", tmp_path / "target.xlsx"
    shutil.copy(DATA / "user_workbook.xlsx", source)
    rewrite(
        source,
        {},
        {"xl/workbook.xml": lambda data: data.replace(b'localSheetId="0"', f'localSheetId="{written}"'.encode())},
    )
    write_workbook(source, target, edits=[SheetEdit("Clients", append_rows=[{"A": "C000099", "B": "Added"}])])
    names = {d.get("name"): d.text for d in xml(entries(target)["xl/workbook.xml"]).iter(f"{{{NS_MAIN}}}definedName")}
    assert names["_xlnm._FilterDatabase"] == "Clients!$A$1:$H$14"
    assert openpyxl.load_workbook(target)["Clients"].auto_filter.ref == "A1:H14"


def test_many_rows_stream_through(tmp_path: Path) -> None:
    """Enough rows that the sheet is read in several chunks: every edit lands, nothing else moves."""
    source = tmp_path / "big.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(INTERACTIONS)
    sheet.append(["Date", "ClientID", "Comment"])
    count = 8_000
    for i in range(count):
        sheet.append([dt.date(2026, 1, 1) + dt.timedelta(days=i % 300), f"C{i % 500:06d}", f"note {i} " * 12])
    book.save(source)
    repointed = {r: "C999999" for r in range(2, count + 2, 7)}
    deleted = set(range(5, count + 2, 11)) - set(repointed)
    target = tmp_path / "out.xlsx"
    write_workbook(
        source,
        target,
        edits=[SheetEdit(INTERACTIONS, set_cells={f"B{r}": v for r, v in repointed.items()}, delete_rows=deleted)],
    )

    expected = [
        [f"C{i % 500:06d}" if i + 2 not in repointed else "C999999", f"note {i} " * 12]
        for i in range(count)
        if i + 2 not in deleted
    ]
    rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_name(INTERACTIONS).to_python()
    assert [row[1:] for row in rows[1:]] == expected
    assert rows[1][0] == dt.date(2026, 1, 1)


def test_a_sheet_written_with_a_namespace_prefix_keeps_it(tmp_path: Path) -> None:
    """Some generators write <x:row>, <x:c>: new cells and rows must use the same prefix."""
    source = tmp_path / "prefixed.xlsx"
    book = openpyxl.Workbook()
    book.active.title = CLIENTS
    for row in (["ClientID", "Name"], ["C000001", "Anna"], [None, "Boris"], ["C000003", "Vera"]):
        book.active.append(row)
    book.save(source)
    main = f'xmlns="{NS_MAIN}"'.encode()
    rewrite(
        source,
        {},
        {
            CLIENTS_PART: lambda d: re.sub(rb"<(/?)([A-Za-z]+)([ >/])", rb"<\1x:\2\3", d).replace(
                main, main.replace(b"xmlns", b"xmlns:x")
            )
        },
    )
    target = tmp_path / "out.xlsx"
    write_workbook(
        source,
        target,
        edits=[
            SheetEdit(
                CLIENTS,
                set_cells={"A3": "C000002", "C1": "Orders", "C3": 1},
                delete_rows=[2],
                append_rows=[{"A": "C000009", "C": dt.date(2026, 1, 1)}],
            )
        ],
    )
    assert b"<row" not in entries(target)[CLIENTS_PART]
    rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_name(CLIENTS).to_python()
    assert rows == [
        ["ClientID", "Name", "Orders"],
        ["C000002", "Boris", 1.0],
        ["C000003", "Vera", ""],
        ["C000009", "", dt.date(2026, 1, 1)],
    ]
    assert openpyxl.load_workbook(target)[CLIENTS]["C4"].number_format == DATE_FORMAT


# A dropdown as Excel 2010 writes it when its list is on another sheet: in an extension, not in <dataValidations>.
X14_VALIDATION = (
    b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    b'<x14:dataValidations xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" count="1">'
    b'<x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>Settings!$A$2:$A$10</xm:f></x14:formula1>'
    b"<xm:sqref>B2:B9</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>"
)


def people(book: openpyxl.Workbook) -> Worksheet:
    """The book's first sheet as Clients with eight people on rows 2 to 9 (ClientID, Name, Email, Note)."""
    sheet = book.active
    sheet.title = CLIENTS
    sheet.append(["ClientID", "Name", "Email", "Note"])
    for row in range(2, 10):
        sheet.append([f"C{row:06d}", f"Person {row}", f"p{row}@example.ru", None])
    return sheet


# openpyxl warns that it would drop the extension: the reason xlcrm never saves a workbook through it.
@pytest.mark.filterwarnings("ignore:Data Validation extension is not supported")
def test_ranges_below_deleted_rows_move_up_with_them(tmp_path: Path) -> None:
    source = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    sheet = people(book)
    sheet["C5"].hyperlink = "mailto:p5@example.ru"
    sheet["C4"].hyperlink = "mailto:p4@example.ru"
    sheet.merge_cells("D3:D6")
    sheet.merge_cells("D8:D9")
    sheet.auto_filter.ref = "A1:D9"
    sheet.conditional_formatting.add("B2:B9", FormulaRule(formula=["LEN(B2)>8"], fill=PatternFill("solid", "FFFF00")))
    book.save(source)
    rewrite(source, {}, {CLIENTS_PART: lambda d: d.replace(b"</worksheet>", X14_VALIDATION + b"</worksheet>")})
    target = tmp_path / "out.xlsx"
    write_workbook(source, target, edits=[SheetEdit(CLIENTS, delete_rows=[4, 9])])

    assert b"<xm:sqref>B2:B7</xm:sqref>" in entries(target)[CLIENTS_PART]
    sheet = openpyxl.load_workbook(target)[CLIENTS]
    assert sheet["C4"].hyperlink.target == "mailto:p5@example.ru" and sheet["C3"].hyperlink is None
    assert sorted(str(r) for r in sheet.merged_cells.ranges) == ["D3:D5"]  # D8:D9 shrank to one cell
    assert sheet.auto_filter.ref == "A1:D7"
    assert [str(r.sqref) for r in sheet.conditional_formatting] == ["B2:B7"]
    assert [sheet[f"A{r}"].value for r in range(2, 8)] == [f"C{r:06d}" for r in (2, 3, 5, 6, 7, 8)]


def test_a_format_that_points_at_a_moving_row_is_refused(tmp_path: Path) -> None:
    source = client_base(tmp_path / "base.xlsx")
    book = openpyxl.load_workbook(source)
    book[CLIENTS].conditional_formatting.add(
        "A2:A7", FormulaRule(formula=[f'${NAME}$6="VIP"'], fill=PatternFill("solid", "FFFF00"))
    )
    book.save(source)
    with pytest.raises(EditRefused, match=r"conditional format or validation on A2:A7: .*refers to row 6"):
        write_workbook(source, tmp_path / "out.xlsx", edits=[SheetEdit(CLIENTS, delete_rows=[3])])
    write_workbook(source, tmp_path / "below.xlsx", edits=[SheetEdit(CLIENTS, delete_rows=[7])])


def test_date1904_workbook_gets_its_own_serials(tmp_path: Path) -> None:
    source = tmp_path / "mac.xlsx"
    book = openpyxl.Workbook()
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    book.active.title = CLIENTS
    book.active.append(["ClientID", "Created"])
    book.save(source)
    target = tmp_path / "out.xlsx"
    write_workbook(source, target, edits=[SheetEdit(CLIENTS, set_cells={"B2": dt.date(2026, 11, 23)})])
    assert openpyxl.load_workbook(target)[CLIENTS]["B2"].value == dt.datetime(2026, 11, 23)


def formula_book(path: Path, *, calc_chain: bool = False) -> Path:
    """Clients with a formula column, and a calculation chain as Excel keeps one."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = CLIENTS
    sheet.append(["ClientID", "Name", "Length"])
    for row in range(2, 7):
        sheet.append([f"C{row:06d}", f"Person {row}", f"=LEN(B{row})"])
    sheet["E1"] = "=SUM(C2:C6)"
    book.save(path)
    if calc_chain:
        chain = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="'
            + NS_MAIN
            + '">'
            + "".join(f'<c r="C{r}" i="1"/>' for r in range(2, 7))
            + '<c r="E1"/></calcChain>'
        )
        rewrite(
            path,
            {"xl/calcChain.xml": chain.encode()},
            {
                "xl/_rels/workbook.xml.rels": lambda d: d.replace(
                    b"</Relationships>",
                    (
                        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        b'relationships/calcChain" Target="calcChain.xml"/></Relationships>'
                    ),
                ),
                "[Content_Types].xml": lambda d: d.replace(
                    b"</Types>",
                    (
                        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
                        b'officedocument.spreadsheetml.calcChain+xml"/></Types>'
                    ),
                ),
            },
        )
    return path


def rewrite(path: Path, add: dict[str, bytes], change: dict[str, Callable[[bytes], bytes]]) -> None:
    parts = entries(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, change[name](data) if name in change else data)
        for name, data in add.items():
            archive.writestr(name, data)


def test_formulas_follow_deleted_rows_and_the_calc_chain_goes(tmp_path: Path) -> None:
    source = formula_book(tmp_path / "book.xlsx", calc_chain=True)
    target = tmp_path / "out.xlsx"
    write_workbook(source, target, edits=[SheetEdit(CLIENTS, delete_rows=[6])])
    sheet = openpyxl.load_workbook(target)[CLIENTS]
    assert [sheet[f"C{r}"].value for r in range(2, 7)] == ["=LEN(B2)", "=LEN(B3)", "=LEN(B4)", "=LEN(B5)", None]
    assert sheet["E1"].value == "=SUM(C2:C5)"
    # Only the last row went, so no formula moved; but the chain still listed its cell.
    parts = entries(target)
    assert "xl/calcChain.xml" not in parts and b"calcChain" not in parts["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in parts["[Content_Types].xml"]
    assert_package_consistent(target)


def test_formulas_above_deleted_rows_follow_them(tmp_path: Path) -> None:
    source = formula_book(tmp_path / "book.xlsx")
    target = tmp_path / "out.xlsx"
    write_workbook(source, target, edits=[SheetEdit(CLIENTS, delete_rows=[3, 4])])
    sheet = openpyxl.load_workbook(target)[CLIENTS]
    assert [sheet[f"C{r}"].value for r in range(2, 5)] == ["=LEN(B2)", "=LEN(B3)", "=LEN(B4)"]
    assert sheet["B3"].value == "Person 5" and sheet["E1"].value == "=SUM(C2:C4)"


def test_a_formula_changes_only_when_its_cell_is_asked_for(tmp_path: Path) -> None:
    source = formula_book(tmp_path / "book.xlsx", calc_chain=True)
    kept, replaced = tmp_path / "kept.xlsx", tmp_path / "replaced.xlsx"
    write_workbook(source, kept, edits=[SheetEdit(CLIENTS, set_cells={"B3": "Renamed"})])
    assert changed_parts(source, kept) == {CLIENTS_PART}  # the calculation chain still holds
    assert openpyxl.load_workbook(kept)[CLIENTS]["C3"].value == "=LEN(B3)"

    write_workbook(source, replaced, edits=[SheetEdit(CLIENTS, set_cells={"C3": 8})])
    sheet = openpyxl.load_workbook(replaced)[CLIENTS]
    assert sheet["C3"].value == 8 and sheet["C4"].value == "=LEN(B4)"
    assert "xl/calcChain.xml" not in entries(replaced)


def refuse_comment(tmp_path: Path) -> tuple[Path, SheetEdit]:
    path = tmp_path / "book.xlsx"
    path.write_bytes((DATA / "user_workbook.xlsx").read_bytes())
    return path, SheetEdit("Clients", delete_rows=[5])


def refuse_chart(tmp_path: Path) -> tuple[Path, SheetEdit]:
    path = tmp_path / "book.xlsx"
    path.write_bytes((DATA / "user_workbook.xlsx").read_bytes())
    return path, SheetEdit("Interactions", delete_rows=[3])


def refuse_formula_elsewhere(tmp_path: Path) -> tuple[Path, SheetEdit]:
    path = client_base(tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    book.create_sheet("Notes")["A1"] = f"={CLIENTS}!{NAME}5"
    book.save(path)
    return path, SheetEdit(CLIENTS, delete_rows=[3])


def refuse_lost_name(tmp_path: Path) -> tuple[Path, SheetEdit]:
    path = client_base(tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    book.defined_names["BestClient"] = DefinedName("BestClient", attr_text=f"{CLIENTS}!${NAME}$3")
    book.save(path)
    return path, SheetEdit(CLIENTS, delete_rows=[3])


def refuse_drawing_below(tmp_path: Path) -> tuple[Path, SheetEdit]:
    path = client_base(tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(book[CLIENTS], min_col=LAST + 1 - 3, min_row=1, max_row=7), titles_from_data=True)
    book[CLIENTS].add_chart(chart, "R10")
    book.save(path)
    return path, SheetEdit(CLIENTS, delete_rows=[3])


def refuse_drawing_at_an_unreadable_row(tmp_path: Path) -> tuple[Path, SheetEdit]:
    """The chart of ``refuse_drawing_below`` placed at a row written ``9²``, which no writer writes."""
    path, edit = refuse_drawing_below(tmp_path)
    rewrite(path, {}, {"xl/drawings/drawing1.xml": lambda data: data.replace(b"<row>9<", "<row>9²<".encode(), 1)})
    return path, edit


def refuse_shared_formula(tmp_path: Path) -> tuple[Path, SheetEdit]:
    path = formula_book(tmp_path / "book.xlsx")
    rewrite(
        path,
        {},
        {
            CLIENTS_PART: lambda d: d.replace(
                b"<f>LEN(B2)</f>", b'<f t="shared" ref="C2:C6" si="0">LEN(B2)</f>'
            ).replace(b"<f>LEN(B4)</f>", b'<f t="shared" si="0"/>')
        },
    )
    return path, SheetEdit(CLIENTS, delete_rows=[3])


def refuse_totals_row(tmp_path: Path) -> tuple[Path, SheetEdit]:
    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = CLIENTS
    for row in (["ClientID", "Name"], ["C000001", "Anna"], ["Total", None]):
        sheet.append(row)
    sheet.add_table(Table(displayName="Clients", ref="A1:B3", totalsRowCount=1))
    book.save(path)
    return path, SheetEdit(CLIENTS, append_rows=[{"A": "C000002"}])


@pytest.mark.parametrize(
    "make, message",
    [
        (refuse_comment, "cell Clients!C5 has a comment"),
        (refuse_chart, "a chart, picture or shape is placed at row"),
        (refuse_formula_elsewhere, f"a formula in sheet 'Notes' uses {CLIENTS}!{NAME}5"),
        (refuse_lost_name, "the name 'BestClient'"),
        (refuse_drawing_below, "a chart, picture or shape is placed at row 10"),
        (refuse_drawing_at_an_unreadable_row, "a chart, picture or shape is placed at a row xlcrm cannot read (9²)"),
        (refuse_shared_formula, "holds a shared or array formula"),
        (refuse_totals_row, "has a totals row"),
    ],
)
def test_edits_that_would_break_something_are_refused_and_nothing_is_written(
    make: Callable[[Path], tuple[Path, SheetEdit]], message: str, tmp_path: Path
) -> None:
    path, edit = make(tmp_path)
    data = read_workbook(path)
    before = path.read_bytes()
    with pytest.raises(EditRefused, match=re.escape(message)):
        save_changes(data, edits=[edit])
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(TEMP_PREFIX + "*")) and not (tmp_path / BACKUP_FOLDER).exists()


def test_requests_that_make_no_sense_are_programming_errors(tmp_path: Path) -> None:
    source = client_base(tmp_path / "base.xlsx")
    target = tmp_path / "out.xlsx"
    with pytest.raises(ValueError, match="Clients!B3 is set and deleted at once"):
        write_workbook(source, target, edits=[SheetEdit(CLIENTS, set_cells={"B3": "x"}, delete_rows=[3])])
    with pytest.raises(ValueError, match="row 1 holds the headers"):
        write_workbook(source, target, edits=[SheetEdit(CLIENTS, delete_rows=[1])])
    with pytest.raises(ValueError, match="not a cell reference"):
        write_workbook(source, target, edits=[SheetEdit(CLIENTS, set_cells={"Clients!B3": "x"})])
    with pytest.raises(ValueError, match="report sheet"):
        write_workbook(source, target, edits=[SheetEdit(schema.PROBLEMS.name("en"), set_cells={"A1": "x"})])
    with pytest.raises(EditRefused, match="no worksheet named 'Nope'"):
        write_workbook(source, target, edits=[SheetEdit("Nope", set_cells={"A1": "x"})])
    assert not target.exists()


def test_edits_of_one_sheet_combine(tmp_path: Path) -> None:
    """A refresh merges duplicates and writes computed columns on Clients in the same save."""
    source = client_base(tmp_path / "base.xlsx")
    target = tmp_path / "out.xlsx"
    merge = SheetEdit(CLIENTS, set_cells={f"{COMPANY}2": "Merged"}, delete_rows=[4])
    computed = SheetEdit(
        CLIENTS, set_cells={f"{ORDERS}1": "Orders", f"{ORDERS}2": 5, f"{ORDERS}5": 1}, computed_header=[ORDERS]
    )
    write_workbook(source, target, edits=[merge, computed])
    clients = read_workbook(target).sheets["clients"]
    assert clients.frame["company"].tolist()[:2] == ["Merged", "Company 2"] and len(clients.frame) == 5
    sheet = openpyxl.load_workbook(target)[CLIENTS]
    assert [sheet[f"{ORDERS}{r}"].value for r in (2, 3, 4)] == [5, None, 1]
    with pytest.raises(ValueError, match="two values"):
        write_workbook(
            source,
            tmp_path / "clash.xlsx",
            edits=[merge, SheetEdit(CLIENTS, set_cells={f"{COMPANY.lower()}2": "Other"})],
        )


def test_cells_given_a_column_at_a_time_are_written_as_set_cells_writes_them(tmp_path: Path) -> None:
    """A refresh hands its computed columns over as set_columns; the saved workbook is the same to the byte."""
    source = client_base(tmp_path / "base.xlsx")
    columns = {ORDERS: {1: "Orders", 2: 5, 5: 1.5, 6: None}, FIRST_ORDER: {1: "First", 3: dt.date(2026, 2, 1)}}
    as_cells = {f"{letter}{row}": value for letter, cells in columns.items() for row, value in cells.items()}
    merge = SheetEdit(CLIENTS, set_cells={f"{COMPANY}2": "Merged"}, delete_rows=[4])
    by_column, by_cell = tmp_path / "columns.xlsx", tmp_path / "cells.xlsx"
    write_workbook(
        source, by_column, edits=[merge, SheetEdit(CLIENTS, set_columns=columns, computed_header=[ORDERS, FIRST_ORDER])]
    )
    write_workbook(
        source, by_cell, edits=[merge, SheetEdit(CLIENTS, set_cells=as_cells, computed_header=[ORDERS, FIRST_ORDER])]
    )
    assert entries(by_column) == entries(by_cell)
    sheet = openpyxl.load_workbook(by_column)[CLIENTS]
    assert [sheet[f"{ORDERS}{r}"].value for r in (1, 2, 4, 5)] == ["Orders", 5, 1.5, None]
    assert sheet[f"{FIRST_ORDER}3"].value == dt.datetime(2026, 2, 1)

    for clash in (
        [SheetEdit(CLIENTS, set_columns={COMPANY: {2: "Other"}})],
        [SheetEdit(CLIENTS, set_columns={ORDERS: {3: 1}}), SheetEdit(CLIENTS, set_columns={ORDERS: {3: 2}})],
        [SheetEdit(CLIENTS, set_cells={f"{ORDERS}3": 1}, set_columns={ORDERS.lower(): {3: 2}})],
    ):
        with pytest.raises(ValueError, match="two values"):
            write_workbook(source, tmp_path / "clash.xlsx", edits=[merge, *clash])
    with pytest.raises(ValueError, match="outside Excel's grid"):
        write_workbook(source, tmp_path / "clash.xlsx", edits=[SheetEdit(CLIENTS, set_columns={ORDERS: {0: 1}})])
    with pytest.raises(ValueError, match=f"Clients!{ORDERS}4 is set and deleted at once"):
        write_workbook(source, tmp_path / "clash.xlsx", edits=[merge, SheetEdit(CLIENTS, set_columns={ORDERS: {4: 1}})])
    assert not (tmp_path / "clash.xlsx").exists()


def test_row_map_numbers_many_rows_at_once_as_it_numbers_one() -> None:
    rows = RowMap([3, 4, 9, 20])
    kept = np.array([row for row in range(1, 40) if not rows.is_deleted(row)])
    saved = rows.saved(kept)
    assert saved.tolist() == [rows.row(int(row)) for row in kept]
    assert rows.as_read(saved).tolist() == kept.tolist()


def test_save_changes_writes_reports_and_edits_in_one_safe_save(tmp_path: Path) -> None:
    path = client_base(tmp_path / "base.xlsx")
    data = read_workbook(path)
    report = ReportSheet(
        schema.PROBLEMS.name("en"),
        "Problems",
        "",
        (ReportTable("Findings", (ReportColumn("Cell"),), [["Clients!A4"]]),),
    )
    result = save_changes(
        data,
        reports=[report],
        edits=[
            SheetEdit(CLIENTS, set_cells={f"{ID}4": "C000003"}),
            SheetEdit(INTERACTIONS, set_cells={f"{I_CLIENT}2": "C000003"}),
        ],
    )
    assert result.backup is not None and result.backup.read_bytes() != path.read_bytes()
    again = read_workbook(path)
    assert again.sheet_names == data.sheet_names + [report.name]
    assert again.sheets["clients"].frame.loc[4, "client_id"] == "C000003"
    assert again.sheets["interactions"].frame.loc[2, "client_id"] == "C000003"

    # Someone saved the workbook after this read: nothing is overwritten.
    openpyxl.load_workbook(path).save(path)
    with pytest.raises(WorkbookChanged):
        save_changes(again, edits=[SheetEdit(CLIENTS, set_cells={f"{ID}7": "C000006"})])


RECALCULATE_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


@pytest.mark.libreoffice
def test_libreoffice_opens_an_edited_workbook(tmp_path: Path) -> None:
    source = DATA / "user_workbook.xlsx"
    edited = tmp_path / "edited.xlsx"
    write_workbook(
        source,
        edited,
        edits=[
            SheetEdit(
                "Clients",
                delete_rows=[3, 4],
                set_cells={"I1": "Orders", "I2": 7},
                append_rows=[{"A": "C000099", "B": "Restored", "E": dt.date(1990, 1, 1)}],
                computed_header=["I"],
            ),
            SheetEdit("Interactions", set_cells={"B6": "C000004"}),
        ],
    )
    # LibreOffice keeps the cached results of an .xlsx unless told to recalculate; here it must, to check
    # that the formulas that moved up still point at their own rows.
    settings = tmp_path / "lo" / "lo-profile" / "user" / "registrymodifications.xcu"
    settings.parent.mkdir(parents=True)
    settings.write_text(RECALCULATE_ALWAYS, encoding="utf-8")
    resaved = convert_with_libreoffice(edited, "xlsx", tmp_path / "lo")
    book = CalamineWorkbook.from_path(str(resaved))
    clients = book.get_sheet_by_name("Clients").to_python()
    assert clients[0][8] == "Orders" and clients[1][8] == 7
    assert [row[0] for row in clients[1:4]] == ["C000001", "C000004", "C000005"]
    assert clients[11][:2] == ["C000099", "Restored"] and clients[11][4] == dt.date(1990, 1, 1)
    # LibreOffice recalculated the formulas that moved up: C000004 has one order more, re-pointed from C000005.
    original = CalamineWorkbook.from_path(str(source)).get_sheet_by_name("Clients").to_python()
    assert clients[2][7] == original[4][7] + 1
    assert book.get_sheet_by_name("Interactions").to_python()[5][1] == "C000004"


@pytest.mark.libreoffice
def test_libreoffice_reads_a_template_table_with_computed_columns_and_new_rows(tmp_path: Path) -> None:
    source = client_base(tmp_path / "base.xlsx")
    edited = tmp_path / "edited.xlsx"
    write_workbook(
        source,
        edited,
        edits=[
            SheetEdit(
                CLIENTS,
                set_cells={
                    f"{ORDERS}1": "Orders",
                    f"{ORDERS}2": 3,
                    f"{FIRST_ORDER}1": "First order",
                    f"{FIRST_ORDER}2": dt.date(2026, 2, 1),
                },
                delete_rows=[3],
                append_rows=[{ID: "C000090", NAME: "Restored", CREATED: dt.date(2025, 12, 1)}],
                computed_header=[ORDERS, FIRST_ORDER],
            )
        ],
    )
    resaved = convert_with_libreoffice(edited, "xlsx", tmp_path / "lo")
    rows = CalamineWorkbook.from_path(str(resaved)).get_sheet_by_name(CLIENTS).to_python()
    assert rows[0][LAST + 1 : LAST + 3] == ["Orders", "First order"]
    assert rows[1][LAST + 1 : LAST + 3] == [3, dt.date(2026, 2, 1)]
    assert [row[1] for row in rows[1:7]] == ["Person 1", "Person 3", "Person 4", "Person 5", "Person 6", "Restored"]
    assert rows[6][column_index(CREATED)] == dt.date(2025, 12, 1)


def test_renumber_rewrites_references_only() -> None:
    parser = RowParser(b"")
    row = (
        b'<row r="12" spans="1:12" ht="12" customHeight="1"><c r="A12" s="12"><v>12</v></c>'
        b'<c r="AB12" t="inlineStr"><is><t>12" wide</t></is></c><c r="B112"><v>1</v></c></row>'
    )
    assert parser.renumber(row, 12, 9) == (
        b'<row r="9" spans="1:12" ht="12" customHeight="1"><c r="A9" s="12"><v>12</v></c>'
        b'<c r="AB9" t="inlineStr"><is><t>12" wide</t></is></c><c r="B9"><v>1</v></c></row>'
    )
    clean = b'<row r="15" ht="15"><c r="A15" s="15"><v>15</v></c><c r="C15"/></row>'
    assert parser.renumber(clean, 15, 14) == b'<row r="14" ht="15"><c r="A14" s="15"><v>15</v></c><c r="C14"/></row>'


def _generated_rows(rng: random.Random, prefix: str) -> tuple[bytes, list[int]]:
    """Rows as Excel, LibreOffice and other writers put them: empty, styled, r not first, r left out."""
    numbers = sorted(rng.sample(range(1, 60), rng.randint(1, 30)))
    rows, previous = [], 0
    for n in numbers:
        p = prefix
        kind = rng.randint(0, 5)
        if kind == 0:
            rows.append(
                f'<{p}row r="{n}" spans="1:3"><{p}c r="A{n}" t="s"><{p}v>{n}</{p}v></{p}c>'
                f'<{p}c r="C{n}" s="2"><{p}v>{n}</{p}v></{p}c></{p}row>'
            )
        elif kind == 1:
            rows.append(f'<{p}row r="{n}"/>')
        elif kind == 2:
            rows.append(f'<{p}row r="{n}" ht="15" customHeight="1">\n<{p}c r="B{n}"><{p}v>{n}</{p}v></{p}c></{p}row>\n')
        elif kind == 3:
            rows.append(f'<{p}row spans="1:2" r="{n}"><{p}c r="A{n}" s="3"><{p}v>{n}</{p}v></{p}c></{p}row>')
        elif kind == 4 and n == previous + 1:
            rows.append(f"<{p}row><{p}c><{p}v>{n}</{p}v></{p}c></{p}row>")
        else:
            rows.append(f'<{p}row r="{n}"><{p}c r="A{n}" s="3"><{p}v>{n}</{p}v></{p}c></{p}row>')
        previous = n
    return "".join(rows).encode(), numbers


@pytest.mark.parametrize("prefix", ["", "x:"])
def test_looking_up_changed_rows_writes_what_reading_every_row_writes(prefix: str) -> None:
    """With no row deleted, the rows to change are found by number and the rest copied unread: same bytes."""
    rng = random.Random(3)

    def written(content: bytes, changes: dict[int, dict[int, object]], size: int, every_row: bool) -> bytes:
        plan = SheetPlan(
            "S",
            prefix.encode(),
            RowMap(),
            {row: {column: CellChange(value) for column, value in cells.items()} for row, cells in changes.items()},
            {},
            StyleChooser(lambda style: style == 4, lambda style, _: 4, lambda style, _: 5),
            False,
        )
        writer = RowWriter(plan, "xl/worksheets/sheet1.xml")
        chunks = (content[i : i + size] for i in range(0, len(content), size))
        return b"".join(writer._write_every_row(chunks, 0) if every_row else writer.write(chunks))

    for _ in range(400):
        content, numbers = _generated_rows(rng, prefix)
        rows = rng.sample(numbers, min(len(numbers), rng.randint(0, 4))) + rng.sample(range(1, 70), rng.randint(0, 3))
        changes = {row: {rng.randint(0, 4): rng.choice([1, "x", None, 2.5, dt.date(2026, 1, 2)])} for row in rows}
        size = rng.choice([5, 40, 200, 1 << 20])
        assert written(content, changes, size, every_row=False) == written(content, changes, size, every_row=True)


class _CellByCell(RowWriter):
    """New cells written one ``_cell`` call at a time, as before they were worked out once per repeated value."""

    def _new_cells(self, number: int, changes: dict[int, CellChange], row_style: int) -> bytes:
        return b"".join(self._cell(number, column, changes[column], None, row_style) for column in sorted(changes))


def test_new_cells_of_repeated_values_are_written_as_one_by_one() -> None:
    """Values that are equal in Python but written apart (1, 1.0, TRUE; 0.0, -0.0) keep their own bytes and
    styles, whatever was written for an equal value before, in appended rows and in cells added to rows."""
    rng = random.Random(7)
    values = [
        1,
        True,
        1.0,
        0,
        False,
        0.0,
        -0.0,
        "x",
        "",
        None,
        dt.date(2026, 1, 2),
        dt.datetime(2026, 1, 2, 10, 30),
        dt.datetime(2026, 1, 2),
        float("nan"),
        12345678901234567890,
    ]

    def written(
        writer_class: type[RowWriter], content: bytes, changes: dict[int, dict[int, object]], deleted: list[int]
    ) -> bytes:
        styles = StyleChooser(
            lambda style: style in (4, 6),
            lambda style, with_time: 6 if with_time else 4,
            lambda style, _: style if style == 5 else 5,
        )
        plan = SheetPlan(
            "S",
            b"",
            RowMap(deleted),
            {row: {column: CellChange(value) for column, value in cells.items()} for row, cells in changes.items()},
            {3: 7},
            styles,
            False,
            number_formats={2: "0.00"},
        )
        return b"".join(writer_class(plan, "xl/worksheets/sheet1.xml").write(iter([content])))

    for _ in range(200):
        rows = sorted(rng.sample(range(2, 40), rng.randint(1, 20)))
        row_styles = {n: ' s="9" customFormat="1"' if n % 5 == 0 else "" for n in rows}
        content = b"".join(
            f'<row r="{n}"{row_styles[n]}><c r="A{n}" s="{rng.choice([0, 3])}"><v>{n}</v></c></row>'.encode()
            for n in rows
        )
        changes = {
            n: {column: rng.choice(values) for column in rng.sample(range(1, 6), rng.randint(1, 4))}
            for n in rows + rng.sample(range(40, 60), rng.randint(0, 5))
        }
        deleted = [rows[0]] if rng.random() < 0.5 and len(rows) > 1 else []
        if deleted:
            changes = {RowMap(deleted).row(n) or n: cells for n, cells in changes.items() if n != rows[0]}
        expected = written(_CellByCell, content, changes, deleted)
        assert written(RowWriter, content, changes, deleted) == expected
        assert b'<c r="B' in expected or not any(1 in cells for cells in changes.values())


@pytest.mark.parametrize(
    "written",
    [
        "Клиенты".encode(),
        "кЛИЕНТЫ".encode(),
        b"&#1050;&#1083;&#1080;&#1077;&#1085;&#1090;&#1099;",  # as openpyxl writes it
        b"&#x41a;&#x0043B;" + "иенты".encode(),
    ],
)
def test_a_watched_name_is_seen_in_any_spelling_wherever_the_reading_cuts_the_sheet(written: bytes) -> None:
    from io import BytesIO

    from xlcrm.xlsx.sheet_edits import READ_CHUNK, SheetMentions, SheetXml

    for offset in range(-len(written), 2):
        filler = b"x" * (READ_CHUNK + offset - len(b"<worksheet><sheetData><row>"))
        data = b"<worksheet><sheetData><row>" + filler + written + b"</row></sheetData></worksheet>"
        sheet = SheetXml(BytesIO(data), "sheet", SheetMentions(["Клиенты", "Elsewhere"]))
        assert b"".join(sheet.content()) + sheet.tail
        assert sheet.seen == {"Клиенты"}, offset


# --- rows inserted: the inverse of rows deleted -------------------------------------------------------------------


def sheet_state(path: Path, name: str) -> dict[str, object]:
    """What follows rows on a sheet, as openpyxl reads it: values and formulas, comments, links, merged cells,
    formats, validations, the filter, tables and the workbook's defined names."""
    book = openpyxl.load_workbook(path)
    sheet = book[name]
    return {
        "cells": {cell.coordinate: cell.value for row in sheet.iter_rows() for cell in row if cell.value is not None},
        "comments": {cell.coordinate: cell.comment.text for row in sheet.iter_rows() for cell in row if cell.comment},
        "links": {
            cell.coordinate: cell.hyperlink.target for row in sheet.iter_rows() for cell in row if cell.hyperlink
        },
        "merged": sorted(str(cells) for cells in sheet.merged_cells.ranges),
        "formats": [str(rule.sqref) for rule in sheet.conditional_formatting],
        "validations": [str(validation.sqref) for validation in sheet.data_validations.dataValidation],
        "filter": sheet.auto_filter.ref,
        "tables": {table.name: table.ref for table in sheet.tables.values()},
        "names": {name: defined.attr_text for name, defined in book.defined_names.items()},
    }


def round_trip(source: Path, tmp_path: Path, sheet: str, rows: list[int]) -> tuple[Path, Path]:
    """``rows`` deleted, then inserted back with their values (formulas excepted: the values are all a merge logs)."""
    deleted, restored = tmp_path / "deleted.xlsx", tmp_path / "restored.xlsx"
    write_workbook(source, deleted, edits=[SheetEdit(sheet, delete_rows=rows)])
    cells = sheet_state(source, sheet)["cells"]
    values = {
        ref: value
        for ref, value in cells.items()  # type: ignore[union-attr]
        if int(re.sub("[A-Z]", "", ref)) in rows and not str(value).startswith("=")
    }
    write_workbook(deleted, restored, edits=[SheetEdit(sheet, set_cells=values, insert_rows=rows)])
    assert_package_consistent(restored)
    return deleted, restored


def without_formulas_of(state: dict[str, object], rows: list[int]) -> dict[str, object]:
    cells = {
        ref: value
        for ref, value in state["cells"].items()  # type: ignore[attr-defined]
        if not (int(re.sub("[A-Z]", "", ref)) in rows and str(value).startswith("="))
    }
    return {**state, "cells": cells}


@pytest.mark.parametrize("rows", [[3, 6], [3], [7], [3, 4, 7]])
def test_rows_inserted_where_rows_were_deleted_give_the_template_back(tmp_path: Path, rows: list[int]) -> None:
    """The template's table, whole-column formats and dropdowns grow back, at the first and last client too."""
    source = client_base(tmp_path / "base.xlsx")
    _, restored = round_trip(source, tmp_path, CLIENTS, rows)
    assert sheet_state(restored, CLIENTS) == sheet_state(source, CLIENTS)
    assert tail(restored, CLIENTS_PART) == tail(source, CLIENTS_PART)
    assert changed_parts(source, restored) <= {CLIENTS_PART, CLIENTS_TABLE}


def test_inserted_rows_move_comments_names_and_formulas_back(tmp_path: Path) -> None:
    source = DATA / "user_workbook.xlsx"
    deleted, restored = round_trip(source, tmp_path, "Clients", [3, 4])
    assert list(sheet_state(deleted, "Clients")["comments"]) == ["B2", "C3"]  # type: ignore[call-overload]
    assert sheet_state(restored, "Clients") == without_formulas_of(sheet_state(source, "Clients"), [3, 4])
    assert b"<x:Row>4</x:Row>" in entries(restored)["xl/drawings/vmlDrawing1.vml"]  # the note of C5, 0-based
    sheet = openpyxl.load_workbook(restored)["Clients"]
    assert sheet["H5"].value == '=COUNTIFS(Interactions!B$2:B$31,A5,Interactions!C$2:C$31,"Order")'


@pytest.mark.filterwarnings("ignore:Data Validation extension is not supported")
def test_inserted_rows_give_links_merged_cells_and_ranges_their_rows_back(tmp_path: Path) -> None:
    source = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    sheet = people(book)
    for row in range(2, 10):
        sheet[f"C{row}"].hyperlink = f"mailto:p{row}@example.ru"
    sheet.merge_cells("D3:D6")
    sheet.merge_cells("A12:B12")
    sheet.auto_filter.ref = "A1:D9"
    sheet.conditional_formatting.add("B2:B9", FormulaRule(formula=["LEN(B2)>8"], fill=PatternFill("solid", "FFFF00")))
    book.save(source)
    rewrite(source, {}, {CLIENTS_PART: lambda d: d.replace(b"</worksheet>", X14_VALIDATION + b"</worksheet>")})
    deleted, restored = round_trip(source, tmp_path, CLIENTS, [4, 9])

    assert b"<xm:sqref>B2:B9</xm:sqref>" in entries(restored)[CLIENTS_PART]
    before, after = sheet_state(source, CLIENTS), sheet_state(restored, CLIENTS)
    # The deleted rows' own links went with them; every other link is back on its client's row.
    assert after["links"] == {
        ref: target
        for ref, target in before["links"].items()  # type: ignore[attr-defined]
        if ref not in ("C4", "C9")
    }
    assert {**after, "links": None} == {**before, "links": None}


def test_row_map_of_inserted_rows() -> None:
    rows = RowMap(inserted=[3, 4, 9])  # as read: two rows go above row 3, one above row 7
    assert rows.points == [3, 3, 7] and rows.first == 3 and str(rows.change) == "insert rows into"
    assert [rows.row(row) for row in (1, 2, 3, 6, 7, 20)] == [1, 2, 5, 8, 10, 23]
    kept = np.arange(1, 30)
    assert rows.saved(kept).tolist() == [rows.row(int(row)) for row in kept]
    assert rows.as_read(rows.saved(kept)).tolist() == kept.tolist()
    assert rows.span(5, 5) == (7, 7)  # one row moves with its row
    assert rows.span(2, 6) == (2, 9)  # rows inserted inside, or right below, join the range
    assert rows.span(3, 6) == (3, 9)  # and right above it: a deletion there shrank it
    assert rows.span(1, 2) == (1, 4)
    assert rows.span(8, 20) == (11, 23) and rows.span(1, 1) == (1, 1)
    assert rows.span(2, 1_048_576) == (2, 1_048_576)
    assert not RowMap() and str(RowMap().change) == "delete rows of"
    with pytest.raises(ValueError, match="both delete and insert"):
        RowMap([3], [4])


def test_inserting_rows_refuses_what_deleting_them_refuses(tmp_path: Path) -> None:
    source = client_base(tmp_path / "base.xlsx")
    book = openpyxl.load_workbook(source)
    book.create_sheet("Notes")["A1"] = f"={CLIENTS}!B5"
    book.save(source)
    target = tmp_path / "out.xlsx"
    with pytest.raises(
        EditRefused,
        match=r"^cannot insert rows into 'Clients': a formula in sheet 'Notes' uses "
        r"Clients!B5; the workbook was not changed$",
    ):
        write_workbook(source, target, edits=[SheetEdit(CLIENTS, insert_rows=[4])])
    write_workbook(source, target, edits=[SheetEdit(CLIENTS, insert_rows=[6])])  # below what the formula reads
    assert openpyxl.load_workbook(target)["Notes"]["A1"].value == f"={CLIENTS}!B5"
    with pytest.raises(ValueError, match="cannot delete or append rows too"):
        write_workbook(source, target, edits=[SheetEdit(CLIENTS, insert_rows=[6], append_rows=[{"A": "x"}])])
    with pytest.raises(ValueError, match="row 1 holds the headers"):
        write_workbook(source, target, edits=[SheetEdit(CLIENTS, insert_rows=[1])])
    with pytest.raises(ValueError, match="cannot be combined"):
        write_workbook(
            source, target, edits=[SheetEdit(CLIENTS, insert_rows=[6]), SheetEdit(CLIENTS, set_cells={"B2": "x"})]
        )


def test_a_row_inserted_above_the_first_client_keeps_the_template_whole(tmp_path: Path) -> None:
    """The first client put back on row 2: the table, formats and dropdowns over every client row take it in, and
    the birthday highlight written for row 2 still reads each cell's own row."""
    source = client_base(tmp_path / "base.xlsx")
    target = tmp_path / "out.xlsx"
    write_workbook(
        source, target, edits=[SheetEdit(CLIENTS, insert_rows=[2], set_cells={f"{ID}2": "C000100", f"{NAME}2": "Back"})]
    )
    assert tail(target, CLIENTS_PART) == tail(source, CLIENTS_PART)
    assert table(target)[0] == f"A1:{column_letter(LAST)}8"
    clients = read_workbook(target).sheets["clients"].frame
    assert clients["name"].tolist() == ["Back"] + [f"Person {i}" for i in range(1, 7)]
    assert_package_consistent(target)


def test_rows_are_not_pushed_off_the_bottom_of_the_sheet(tmp_path: Path) -> None:
    source = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    book.active.title = CLIENTS
    book.active.append(["ClientID", "Name"])
    book.active.cell(1_048_576, 1, "the last row")
    book.save(source)
    with pytest.raises(EditRefused, match="row 1048576 would be pushed off the bottom of the sheet"):
        write_workbook(source, tmp_path / "out.xlsx", edits=[SheetEdit(CLIENTS, insert_rows=[3])])
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.libreoffice
def test_libreoffice_opens_a_workbook_with_rows_inserted_back(tmp_path: Path) -> None:
    """The rows a deletion removed, inserted back: LibreOffice recalculates every formula that moved down to the
    results of the original workbook, the restored rows' values are read back, the notes are on their cells."""
    source = DATA / "user_workbook.xlsx"
    _, restored = round_trip(source, tmp_path, "Clients", [3, 4])
    settings = tmp_path / "lo" / "lo-profile" / "user" / "registrymodifications.xcu"
    settings.parent.mkdir(parents=True)
    settings.write_text(RECALCULATE_ALWAYS, encoding="utf-8")
    resaved = convert_with_libreoffice(restored, "xlsx", tmp_path / "lo")
    clients = CalamineWorkbook.from_path(str(resaved)).get_sheet_by_name("Clients").to_python()
    original = CalamineWorkbook.from_path(str(source)).get_sheet_by_name("Clients").to_python()
    assert [row[:7] for row in clients] == [row[:7] for row in original]
    assert [row[7] for row in clients[4:]] == [row[7] for row in original[4:]]  # rows 3 and 4 lost their formulas
    assert sheet_state(resaved, "Clients")["comments"].keys() == {"B2", "C5"}  # type: ignore[attr-defined]


def test_links_set_on_cells_reuse_a_relationship_left_unused(tmp_path: Path) -> None:
    """A deletion leaves the relationship of a deleted row's link; a link put back to the same address takes it
    again, so the sheet's relationships read as before. A new address takes a new one, a place no relationship."""
    source = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = CLIENTS
    sheet.append(["ClientID", "Name", "Email"])
    for row in range(2, 6):
        sheet.append([f"C{row:06d}", f"Person {row}", f"p{row}@example.ru"])
        sheet[f"C{row}"].hyperlink = f"mailto:p{row}@example.ru"
    book.save(source)
    rels = "xl/worksheets/_rels/sheet1.xml.rels"
    links = row_extras(source, CLIENTS, [3, 4]).links
    assert links == {(3, 2): "mailto:p3@example.ru", (4, 2): "mailto:p4@example.ru"}
    deleted, restored = round_trip(source, tmp_path, CLIENTS, [3])
    assert entries(deleted)[rels] == entries(source)[rels]  # the relationship of C3's link is left unused
    linked = tmp_path / "linked.xlsx"
    write_workbook(
        restored,
        linked,
        edits=[
            SheetEdit(
                CLIENTS, set_links={"C3": "mailto:p3@example.ru", "B2": "#Clients!A5", "C5": "https://example.ru/p5"}
            )
        ],
    )
    assert entries(linked)[rels] != entries(source)[rels]  # one relationship more, for the new address
    state = sheet_state(linked, CLIENTS)
    assert state["links"] == {
        "B2": None,
        "C2": "mailto:p2@example.ru",
        "C3": "mailto:p3@example.ru",
        "C4": "mailto:p4@example.ru",
        "C5": "https://example.ru/p5",
    }
    assert openpyxl.load_workbook(linked)[CLIENTS]["B2"].hyperlink.location == "Clients!A5"
    write_workbook(
        restored, tmp_path / "again.xlsx", edits=[SheetEdit(CLIENTS, set_links={"C3": "mailto:p3@example.ru"})]
    )
    assert entries(tmp_path / "again.xlsx")[rels] == entries(source)[rels]
    assert sheet_state(tmp_path / "again.xlsx", CLIENTS) == sheet_state(source, CLIENTS)
    assert_package_consistent(linked)


def test_formula_results_are_dropped_and_shared_strings_noted_however_the_rows_are_cut() -> None:
    """Cells with a namespace prefix, a shared formula and a formula's text result: only the results go; a
    text cell's shared-string index is noted whatever chunk boundary falls inside it."""
    rows = (
        b'<x:row r="2"><x:c r="A2" t="s"><x:v>7</x:v></x:c>'
        b'<x:c r="B2" s="3" t="str"><x:f>IF(A2="","",A2)</x:f><x:v>Olga Sidorova</x:v></x:c>'
        b'<x:c r="C2" t="n"><x:f t="shared" si="0" ref="C2:C3">1+1</x:f><x:v>2</x:v></x:c></x:row>'
        b'<x:row r="3"><x:c r="A3" t="s"><x:v>12</x:v></x:c><x:c r="C3"><x:f t="shared" si="0"/><x:v>2</x:v></x:c>'
        b'<x:c r="D3" t="e"><x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c><x:c r="E3"><x:v>5</x:v></x:c></x:row>'
    )
    expected = (
        b'<x:row r="2"><x:c r="A2" t="s"><x:v>7</x:v></x:c>'
        b'<x:c r="B2" s="3"><x:f>IF(A2="","",A2)</x:f></x:c>'
        b'<x:c r="C2"><x:f t="shared" si="0" ref="C2:C3">1+1</x:f></x:c></x:row>'
        b'<x:row r="3"><x:c r="A3" t="s"><x:v>12</x:v></x:c><x:c r="C3"><x:f t="shared" si="0"/></x:c>'
        b'<x:c r="D3"><x:f>1/0</x:f></x:c><x:c r="E3"><x:v>5</x:v></x:c></x:row>'
    )
    for size in (1, 7, 50, len(rows)):
        chunks = iter([rows[i : i + size] for i in range(0, len(rows), size)])
        used: set[int] = set()
        written = noting_shared_strings(without_formula_results(whole_rows(chunks, b"x:"), b"x:"), b"x:", used)
        assert b"".join(written) == expected, size
        assert used == {7, 12}, size


@pytest.mark.parametrize("prefix", [b"", b"x:"])
def test_formula_results_go_whatever_whitespace_or_children_the_cell_holds(prefix: bytes) -> None:
    """An anonymised copy drops every formula's cached result: with whitespace between the cell's children (as a
    program that indents its XML writes them), with a self-closing formula, with an inline result; a cell without a
    formula and an empty cell stay as they are."""
    p = prefix.decode()
    cells = [
        f'<{p}c r="A40" t="str">\n <{p}f>"x"</{p}f>\n <{p}v>Ivan Petrov SECRET</{p}v>\n</{p}c>',
        f'<{p}c r="B40" s="1" t="s"><{p}f t="shared" si="0"/>\n<{p}v>3</{p}v></{p}c>',
        f'<{p}c r="C40" t="inlineStr"> <{p}f>D40</{p}f> <{p}is><{p}t>Maria Ivanova</{p}t></{p}is> </{p}c>',
        f'<{p}c r="D40" t="s"><{p}v>4</{p}v></{p}c>',
        f'<{p}c r="E40" s="2"/>',
    ]
    row = f'<{p}row r="40">{"".join(cells)}</{p}row>'.encode()

    written = b"".join(without_formula_results(iter([row]), prefix)).decode()

    assert written == (
        f'<{p}row r="40">'
        f'<{p}c r="A40">\n <{p}f>"x"</{p}f>\n \n</{p}c>'
        f'<{p}c r="B40" s="1"><{p}f t="shared" si="0"/>\n</{p}c>'
        f'<{p}c r="C40"> <{p}f>D40</{p}f>  </{p}c>'
        f"{cells[3]}{cells[4]}</{p}row>"
    )
