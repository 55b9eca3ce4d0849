"""Everything xlcrm does not own survives a refresh of its report sheets, byte for byte.

The fixtures in tests/data were made by LibreOffice (tests/data/make_fixtures.py): a
chart, an image, a pivot table, cell comments, a defined name, an autofilter,
conditional formatting, data validation, formulas, an extra sheet and, in the
.xlsm, a VBA project. Each goes through ``write_report_sheets`` twice: the
report sheets are added, then replaced with new contents.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import convert_with_libreoffice
from tests.package_checks import assert_package_consistent, assert_styles_extended, canonical, entries, xml
from tests.paths import DATA
from xlcrm import schema
from xlcrm.xlsx.package import write_report_sheets
from xlcrm.xlsx.parts import NS_CONTENT_TYPES, NS_MAIN, NS_PACKAGE_RELS
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.report_sheet import ColumnFormat, ReportColumn, ReportSheet, ReportTable

USER_SHEETS = ["Clients", "Interactions", "Pivot", "Notes"]
DASHBOARD = "▸ Dashboard"
PROBLEMS = schema.PROBLEMS.name("en")
# The only parts xlcrm edits in a workbook that has no report sheets yet.
EDITED = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}


def reports(day: dt.date, revenue: float) -> list[ReportSheet]:
    blocks = ReportTable(
        "Clients per block",
        (
            ReportColumn("Block"),
            ReportColumn("Clients", ColumnFormat.INTEGER),
            ReportColumn("Revenue", ColumnFormat.MONEY),
            ReportColumn("Share", ColumnFormat.PERCENT),
        ),
        [["Key account", 3, revenue, 0.5], ["Potential", 9, 0.0, 0.0]],
    )
    managers = ReportTable(
        "Next actions",
        (ReportColumn("Manager"), ReportColumn("Next date", ColumnFormat.DATE)),
        [["Anna", day], ["Boris", day + dt.timedelta(days=3)]],
    )
    findings = ReportTable(
        "Findings",
        (ReportColumn("Cell"), ReportColumn("Problem")),
        [["Clients!D3", "_x0041_ stays as typed"], ["Interactions!C4", f"checked on {day}"]],
        autofilter=True,
    )
    subtitle = f"computed for {day:%d.%m.%Y}"
    return [
        ReportSheet(DASHBOARD, "Dashboard", subtitle, (blocks, managers)),
        ReportSheet.of(schema.PROBLEMS, "en", "Problems", subtitle, (findings,)),
    ]


@dataclass(frozen=True)
class Refresh:
    original: Path
    added: Path  # after the first write: report sheets added
    replaced: Path  # after the second: report sheets replaced


@pytest.fixture(scope="module", params=["user_workbook.xlsx", "user_workbook.xlsm"])
def refresh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Refresh:
    folder = tmp_path_factory.mktemp(Path(request.param).suffix[1:])
    original = DATA / request.param
    added, replaced = folder / f"added{original.suffix}", folder / f"replaced{original.suffix}"
    write_report_sheets(original, added, reports(dt.date(2026, 11, 23), 4500.0))
    write_report_sheets(added, replaced, reports(dt.date(2026, 11, 24), 6750.0))
    return Refresh(original, added, replaced)


def test_parts_xlcrm_does_not_own_are_copied_byte_for_byte(refresh: Refresh) -> None:
    before, after = entries(refresh.original), entries(refresh.replaced)
    new_sheets = {"xl/worksheets/sheet5.xml", "xl/worksheets/sheet6.xml"}
    assert set(after) == set(before) | new_sheets
    with zipfile.ZipFile(refresh.original) as old, zipfile.ZipFile(refresh.replaced) as new:
        for name in set(before) - EDITED:
            assert after[name] == before[name], name
            # Copied as stored: not even recompressed.
            old_info, new_info = old.getinfo(name), new.getinfo(name)
            assert (new_info.CRC, new_info.compress_type, new_info.compress_size) == (
                old_info.CRC,
                old_info.compress_type,
                old_info.compress_size,
            ), name
    if refresh.original.suffix == ".xlsm":
        assert "xl/vbaProject.bin" in before
    assert_package_consistent(refresh.added)
    assert_package_consistent(refresh.replaced)


def test_edited_parts_keep_everything_they_had(refresh: Refresh) -> None:
    before, after = entries(refresh.original), entries(refresh.replaced)

    old_book, new_book = xml(before["xl/workbook.xml"]), xml(after["xl/workbook.xml"])
    assert [child.tag for child in new_book] == [child.tag for child in old_book]  # none dropped, none added
    for old_child, new_child in zip(old_book, new_book):
        if old_child.tag not in (f"{{{NS_MAIN}}}sheets", f"{{{NS_MAIN}}}definedNames"):
            assert canonical(new_child) == canonical(old_child)
    old_sheets = [canonical(s) for s in old_book.iter(f"{{{NS_MAIN}}}sheet")]
    new_sheets = [s.get("name") for s in new_book.iter(f"{{{NS_MAIN}}}sheet")]
    assert [canonical(s) for s in new_book.iter(f"{{{NS_MAIN}}}sheet")][:4] == old_sheets
    assert new_sheets == USER_SHEETS + [DASHBOARD, PROBLEMS]
    new_names = {canonical(d) for d in new_book.iter(f"{{{NS_MAIN}}}definedName")}
    assert {canonical(d) for d in old_book.iter(f"{{{NS_MAIN}}}definedName")} <= new_names
    # The user's filter and name, the Problems filter and print titles, each report's mark.
    assert len(new_names) == 6

    rels = f"{{{NS_PACKAGE_RELS}}}Relationship"
    assert {canonical(r) for r in xml(before["xl/_rels/workbook.xml.rels"]).iter(rels)} <= {
        canonical(r) for r in xml(after["xl/_rels/workbook.xml.rels"]).iter(rels)
    }

    old_types = {canonical(t) for t in xml(before["[Content_Types].xml"])}
    new_types = {canonical(t) for t in xml(after["[Content_Types].xml"])}
    assert old_types <= new_types
    workbook_type = {
        t.get("ContentType")
        for t in xml(after["[Content_Types].xml"]).iter(f"{{{NS_CONTENT_TYPES}}}Override")
        if t.get("PartName") == "/xl/workbook.xml"
    }
    macro = refresh.original.suffix == ".xlsm"
    assert workbook_type == {
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        if macro
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    }

    assert_styles_extended(before["xl/styles.xml"], after["xl/styles.xml"])
    assert entries(refresh.added)["xl/styles.xml"] == after["xl/styles.xml"]  # found again, not appended again


def _cells(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[tuple[object, ...]]:
    # Style objects are proxies that compare by identity; their repr lists every attribute.
    return [
        (
            c.coordinate,
            c.value,
            c.number_format,
            repr(c.font),
            repr(c.fill),
            repr(c.border),
            repr(c.alignment),
            repr(c.protection),
        )
        for row in sheet.iter_rows()
        for c in row
    ]


def test_user_sheets_read_the_same(refresh: Refresh) -> None:
    old = openpyxl.load_workbook(refresh.original, keep_vba=True)
    new = openpyxl.load_workbook(refresh.replaced, keep_vba=True)
    assert new.sheetnames == USER_SHEETS + [DASHBOARD, PROBLEMS]
    assert dict(new.defined_names).keys() == dict(old.defined_names).keys()
    for name in USER_SHEETS:
        before, after = old[name], new[name]
        assert _cells(after) == _cells(before), name
        assert [c.comment and c.comment.text for row in after.iter_rows() for c in row] == [
            c.comment and c.comment.text for row in before.iter_rows() for c in row
        ]
        assert repr(after.data_validations.dataValidation) == repr(before.data_validations.dataValidation)
        assert [str(r.sqref) for r in after.conditional_formatting] == [
            str(r.sqref) for r in before.conditional_formatting
        ]
        assert (len(after._charts), len(after._pivots)) == (len(before._charts), len(before._pivots))
        assert after.auto_filter.ref == before.auto_filter.ref
    # openpyxl loads images only with Pillow installed; the image's parts are compared byte for byte above.
    assert (len(new["Interactions"]._charts), len(new["Pivot"]._pivots)) == (1, 1)
    assert new["Clients"]["H2"].value.startswith("=COUNTIFS(")

    old_calamine = CalamineWorkbook.from_path(str(refresh.original))
    new_calamine = CalamineWorkbook.from_path(str(refresh.replaced))
    for name in USER_SHEETS:
        assert new_calamine.get_sheet_by_name(name).to_python() == old_calamine.get_sheet_by_name(name).to_python()


def test_report_sheets_read_back(refresh: Refresh) -> None:
    data = read_workbook(refresh.replaced)
    assert data.sheet_names == USER_SHEETS + [DASHBOARD, PROBLEMS]
    original = read_workbook(refresh.original)
    for key in ("clients", "interactions"):
        assert data.sheet(key).frame.equals(original.sheet(key).frame)

    book = openpyxl.load_workbook(refresh.replaced)
    dashboard = book[DASHBOARD]
    assert dashboard["A2"].value == "computed for 24.11.2026"
    assert dashboard["C6"].value == 6750.0 and dashboard["C6"].number_format == "#,##0.00"
    assert dashboard["B11"].value == dt.datetime(2026, 11, 24) and dashboard["B11"].number_format == "DD.MM.YYYY"
    assert book[PROBLEMS].auto_filter.ref == "A5:B7"


@pytest.mark.libreoffice
def test_libreoffice_opens_the_refreshed_workbook(refresh: Refresh, tmp_path: Path) -> None:
    if refresh.original.suffix == ".xlsx":
        convert_with_libreoffice(refresh.replaced, "ods", tmp_path / "ods")
    resaved = convert_with_libreoffice(refresh.replaced, "xlsx", tmp_path / "xlsx")

    book = CalamineWorkbook.from_path(str(resaved))
    assert book.sheet_names == USER_SHEETS + [DASHBOARD, PROBLEMS]
    dashboard = book.get_sheet_by_name(DASHBOARD).to_python()
    assert dashboard[0][0] == "Dashboard" and dashboard[5][:3] == ["Key account", 3, 6750.0]
    assert dashboard[11][:2] == ["Boris", dt.date(2026, 11, 27)]
    problems = book.get_sheet_by_name(PROBLEMS).to_python()
    assert problems[5][1] == "_x0041_ stays as typed"
    # The user's total row, recalculated by LibreOffice, matches what the user saw.
    total = CalamineWorkbook.from_path(str(refresh.original)).get_sheet_by_name("Interactions").to_python()[31]
    assert book.get_sheet_by_name("Interactions").to_python()[31] == total
