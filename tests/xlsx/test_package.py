"""Writing report sheets into workbooks at the zip level: layout, values, formats, and the package edits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from python_calamine import CalamineWorkbook

from tests.package_checks import assert_package_consistent, assert_styles_extended, canonical, entries, xml
from xlcrm import schema
from xlcrm.errors import NotAReportSheet, NotAWorkbook, WorkbookError
from xlcrm.xlsx.package import write_report_sheets
from xlcrm.xlsx.parts import NS_MAIN
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.report_sheet import Choices, ColumnFormat, ReportColumn, ReportSheet, ReportTable, layout

PROBLEMS = schema.PROBLEMS.name("en")
COLUMNS = (
    ReportColumn("Sheet"),
    ReportColumn("Found", ColumnFormat.DATE),
    ReportColumn("Amount", ColumnFormat.MONEY),
    ReportColumn("Share", ColumnFormat.PERCENT),
    ReportColumn("Count", ColumnFormat.INTEGER),
    ReportColumn("Logged", ColumnFormat.DATETIME),
    ReportColumn("Note", width=40),
)
ROWS = [
    ["Clients", dt.date(2026, 11, 23), 1234.5, 0.25, 3, dt.datetime(2026, 11, 23, 9, 30), "first"],
    ["Interactions", dt.date(2026, 1, 2), None, 1.0, 0, dt.datetime(2026, 1, 2, 18, 0), None],
]


def problems_report(rows: list[list[object]] = ROWS, subtitle: str = "computed for 23.11.2026") -> ReportSheet:
    findings = ReportTable("Findings", COLUMNS, rows, autofilter=True)
    totals = ReportTable(
        "Totals", (ReportColumn("What"), ReportColumn("Amount", ColumnFormat.MONEY)), [["All", 1234.5]]
    )
    return ReportSheet.of(schema.PROBLEMS, "en", "Problems", subtitle, [findings, totals])


def user_workbook(path: Path, *, report_at: int | None = None, report_comment: bool = False) -> Path:
    """A small client base as openpyxl writes it; optionally with an old report sheet at position ``report_at``."""
    book = openpyxl.Workbook()
    clients = book.active
    clients.title = schema.CLIENTS.name("en")
    clients.append([column.en for column in schema.CLIENTS.columns])
    clients.append(
        [
            "C000001",
            "Anna",
            "Acme",
            "7701234567",
            "+7 900 000-00-01",
            "anna@acme.ru",
            "Moscow",
            "",
            dt.datetime(1985, 3, 4),
            "Website",
            "Boris",
            "VIP",
            5,
            None,
            "likes tea",
            dt.datetime(2026, 1, 5),
        ]
    )
    clients["O2"].comment = Comment("the owner's note", "owner")
    interactions = book.create_sheet(schema.INTERACTIONS.name("en"))
    interactions.append([column.en for column in schema.INTERACTIONS.columns])
    interactions.append([dt.datetime(2026, 2, 1), "C000001", "Order", "Audit", 1500, "Boris", "done", "", "", None])
    interactions["E3"] = "=SUM(E2:E2)"
    book.defined_names["Owners"] = DefinedName("Owners", attr_text="Clients!$K$2:$K$10")
    interactions.defined_names["LocalTotal"] = DefinedName("LocalTotal", attr_text="Interactions!$E$3")
    if report_at is not None:
        old = book.create_sheet(PROBLEMS, report_at)
        old["A1"] = schema.label("problems_title", "en")  # as an xlcrm from before the report mark wrote it
        old["A3"] = "typed by a user, overwritten on refresh"
        if report_comment:
            old["A1"].comment = Comment("a comment on the old report", "user")
    book.save(path)
    return path


def sheet_names(path: Path) -> list[str]:
    return [s.get("name") for s in xml(entries(path)["xl/workbook.xml"]).iter(f"{{{NS_MAIN}}}sheet")]


def defined_names(path: Path) -> list[tuple[str | None, str | None, str | None]]:
    root = xml(entries(path)["xl/workbook.xml"])
    return [(d.get("name"), d.get("localSheetId"), d.text) for d in root.iter(f"{{{NS_MAIN}}}definedName")]


def test_layout_stacks_title_and_tables() -> None:
    where = layout(problems_report())
    assert (where.title_row, where.subtitle_row) == (1, 2)
    findings, totals = where.tables
    assert (findings.heading_row, findings.header_row, findings.first_row, findings.last_row) == (4, 5, 6, 7)
    assert (totals.heading_row, totals.header_row, totals.last_row) == (9, 10, 11)
    assert findings.ref == "A5:G7"
    assert where.ref == "A1:G11"
    # The first table's header would stay over the totals' other columns: nothing is frozen or repeated in print.
    assert where.freeze_row is None and where.repeated_header_row is None
    last = layout(dataclasses.replace(problems_report(), main_table=1))
    assert last.freeze_row == 10 and last.repeated_header_row == 10
    # Above a screenful of rows the header is repeated in print only.
    tall = layout(dataclasses.replace(problems_report(ROWS * 6), main_table=1))
    assert tall.freeze_row is None and tall.repeated_header_row == 20


def test_new_report_sheet_reads_back_with_values_formats_and_view(tmp_path: Path) -> None:
    source = user_workbook(tmp_path / "book.xlsx")
    target = tmp_path / "out.xlsx"
    write_report_sheets(source, target, [problems_report()])

    assert sheet_names(target) == ["Clients", "Interactions", PROBLEMS]
    assert_package_consistent(target)
    book = openpyxl.load_workbook(target)
    sheet = book[PROBLEMS]
    assert sheet["A1"].value == "Problems" and sheet["A1"].font.b and sheet["A1"].font.sz == 14
    assert sheet["A2"].value == "computed for 23.11.2026" and sheet["A2"].font.i
    assert sheet["A4"].value == "Findings" and sheet["A4"].font.b
    assert [c.value for c in sheet[5]] == [c.header for c in COLUMNS]
    assert all(c.font.b and c.fill.fgColor.rgb == "FFDDEBF7" for c in sheet[5])
    assert [c.value for c in sheet[6]] == [*ROWS[0][:1], dt.datetime(2026, 11, 23), *ROWS[0][2:]]
    assert [c.number_format for c in sheet[6]] == [
        "General",
        "DD.MM.YYYY",
        "#,##0.00",
        "0.0%",
        "#,##0",
        "DD.MM.YYYY HH:MM",
        "General",
    ]
    assert sheet["F7"].value == dt.datetime(2026, 1, 2, 18, 0) and sheet["C7"].value is None
    assert sheet["A10"].value == "What" and sheet["B11"].value == 1234.5
    assert sheet.freeze_panes is None
    assert sheet.auto_filter.ref == "A5:G7"
    assert sheet.column_dimensions["G"].width == 40
    assert sheet.column_dimensions["A"].width == len("Interactions") + 2
    assert ("_xlnm._FilterDatabase", "2", f"'{PROBLEMS}'!$A$5:$G$7") in defined_names(target)

    calamine = CalamineWorkbook.from_path(str(target)).get_sheet_by_name(PROBLEMS).to_python()
    assert calamine[5][:4] == ["Clients", dt.date(2026, 11, 23), 1234.5, 0.25]
    assert calamine[6][5] == dt.datetime(2026, 1, 2, 18, 0)

    data = read_workbook(target)
    assert data.sheet_names == ["Clients", "Interactions", PROBLEMS]
    assert data.sheet("clients").frame.loc[2, "company"] == "Acme"


def test_replacing_keeps_place_id_and_styles_do_not_grow(tmp_path: Path) -> None:
    source = user_workbook(tmp_path / "book.xlsx", report_at=0)
    original = xml(entries(source)["xl/workbook.xml"])
    first, second, third = (tmp_path / f"out{i}.xlsx" for i in range(3))
    write_report_sheets(source, first, [problems_report()])
    write_report_sheets(first, second, [problems_report(ROWS[:1], "computed for 24.11.2026")])
    write_report_sheets(second, third, [problems_report(ROWS[1:], "computed for 25.11.2026")])

    for path in (first, second, third):
        assert_package_consistent(path)
        root = xml(entries(path)["xl/workbook.xml"])
        assert [canonical(s) for s in root.iter(f"{{{NS_MAIN}}}sheet")] == [
            canonical(s) for s in original.iter(f"{{{NS_MAIN}}}sheet")
        ]
    # The report stays first, so the user's sheet-local name still points at the same sheet.
    assert ("LocalTotal", "2", "Interactions!$E$3") in defined_names(third)
    assert ("_xlnm._FilterDatabase", "0", f"'{PROBLEMS}'!$A$5:$G$6") in defined_names(third)
    assert [n for n, *_ in defined_names(third)].count("_xlnm._FilterDatabase") == 1
    assert entries(second)["xl/styles.xml"] == entries(third)["xl/styles.xml"]
    sheet = openpyxl.load_workbook(third)[PROBLEMS]
    assert sheet["A2"].value == "computed for 25.11.2026"
    assert sheet["A6"].value == "Interactions" and sheet["A7"].value is None
    assert sheet["A1"].comment is None


def test_existing_styles_keep_their_indexes(tmp_path: Path) -> None:
    source = user_workbook(tmp_path / "book.xlsx")
    target = tmp_path / "out.xlsx"
    write_report_sheets(source, target, [problems_report()])
    assert_styles_extended(entries(source)["xl/styles.xml"], entries(target)["xl/styles.xml"])


def test_stale_parts_of_the_old_report_sheet_are_removed(tmp_path: Path) -> None:
    source = user_workbook(tmp_path / "book.xlsx", report_at=2, report_comment=True)
    before = entries(source)
    target = tmp_path / "out.xlsx"
    write_report_sheets(source, target, [problems_report()])

    after = entries(target)
    gone = set(before) - set(after)
    # The old report's comments and their VML drawing go; the user's comments on Clients stay.
    assert gone == {
        "xl/comments/comment2.xml",
        "xl/drawings/commentsDrawing2.vml",
        "xl/worksheets/_rels/sheet3.xml.rels",
    }
    assert openpyxl.load_workbook(target)["Clients"]["O2"].comment.text == "the owner's note"
    assert_package_consistent(target)


def test_a_chart_sheet_with_a_report_name_is_the_users_and_is_kept(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(user_workbook(tmp_path / "book.xlsx"))
    chart = openpyxl.chart.BarChart()
    chart.add_data(openpyxl.chart.Reference(book["Interactions"], min_col=5, min_row=1, max_row=2))
    book.create_chartsheet(PROBLEMS).add_chart(chart)
    book.save(tmp_path / "charts.xlsx")
    target = tmp_path / "out.xlsx"
    with pytest.raises(NotAReportSheet, match=f"a sheet named '{PROBLEMS}' that xlcrm did not write"):
        write_report_sheets(tmp_path / "charts.xlsx", target, [problems_report()])
    assert not target.exists()


def test_a_user_sheet_named_like_a_report_is_never_overwritten_or_removed(tmp_path: Path) -> None:
    """Only the mark xlcrm writes on its own report sheets (or, from older versions, the title it writes in A1)
    lets it replace a sheet; the report's name alone does not."""
    book = openpyxl.load_workbook(user_workbook(tmp_path / "book.xlsx"))
    book.create_sheet(PROBLEMS)["A1"] = "my own notes"
    book.save(tmp_path / "mine.xlsx")
    target = tmp_path / "out.xlsx"
    for remove in ([], [PROBLEMS]):
        with pytest.raises(NotAReportSheet, match="rename your sheet"):
            write_report_sheets(tmp_path / "mine.xlsx", target, [] if remove else [problems_report()], remove=remove)
    assert not target.exists()
    # A report sheet xlcrm wrote carries its mark, which Excel and LibreOffice keep with the sheet.
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    write_report_sheets(user_workbook(tmp_path / "fresh.xlsx"), first, [problems_report()])
    assert (schema.REPORT_SHEET_MARK, "2", f"'{PROBLEMS}'!$A$1") in defined_names(first)
    rewritten = openpyxl.load_workbook(first)
    rewritten[PROBLEMS]["A1"] = "a title changed by hand"  # the mark, not the title, makes it xlcrm's
    rewritten.save(first)
    write_report_sheets(first, second, [problems_report(ROWS[:1])], remove=[])
    assert openpyxl.load_workbook(second)[PROBLEMS]["A1"].value == "Problems"
    assert [name for name, *_ in defined_names(second)].count(schema.REPORT_SHEET_MARK) == 1


@pytest.mark.parametrize("name", ["Clients", "Problems", "clients"])
def test_never_touches_a_user_sheet(tmp_path: Path, name: str) -> None:
    source = user_workbook(tmp_path / "book.xlsx")
    target = tmp_path / "out.xlsx"
    report = ReportSheet(name, "Not ours")
    with pytest.raises(NotAReportSheet, match="not an xlcrm report sheet"):
        write_report_sheets(source, target, [report])
    with pytest.raises(NotAReportSheet):
        write_report_sheets(source, target, [], remove=[name])
    assert not target.exists()


def test_removing_a_report_sheet_shifts_positions_after_it(tmp_path: Path) -> None:
    source = user_workbook(tmp_path / "book.xlsx", report_at=1)
    book = openpyxl.load_workbook(source)
    book.active = 2
    book.defined_names["Report"] = DefinedName("Report", attr_text=f"'{PROBLEMS}'!$A$1")
    book.save(source)
    assert ("LocalTotal", "2", "Interactions!$E$3") in defined_names(source)
    target = tmp_path / "out.xlsx"
    write_report_sheets(source, target, [], remove=[PROBLEMS, schema.PROBLEMS.name("ru")])

    assert sheet_names(target) == ["Clients", "Interactions"]
    names = defined_names(target)
    assert ("LocalTotal", "1", "Interactions!$E$3") in names
    assert ("Report", None, "#REF!$A$1") in names
    view = xml(entries(target)["xl/workbook.xml"]).find(f"{{{NS_MAIN}}}bookViews/{{{NS_MAIN}}}workbookView")
    assert view.get("activeTab") == "1"
    assert not any("sheet2.xml" in name for name in entries(target))
    assert_package_consistent(target)
    assert openpyxl.load_workbook(target).sheetnames == ["Clients", "Interactions"]


def _with_calc_chain(path: Path, chain: str) -> Path:
    """Add an Excel-style calculation chain (openpyxl does not write one)."""
    parts = entries(path)
    parts["xl/calcChain.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="{NS_MAIN}">{chain}</calcChain>'
    ).encode()
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdChain" Target="calcChain.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/calcChain"/></Relationships>',
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_calc_chain_is_kept_unless_it_lists_cells_of_a_replaced_report(tmp_path: Path) -> None:
    user_only = _with_calc_chain(user_workbook(tmp_path / "a.xlsx", report_at=2), '<c r="E3" i="2"/>')
    write_report_sheets(user_only, tmp_path / "a-out.xlsx", [problems_report()])
    assert entries(tmp_path / "a-out.xlsx")["xl/calcChain.xml"] == entries(user_only)["xl/calcChain.xml"]

    # The second entry inherits sheet id 3, the old report sheet.
    stale = _with_calc_chain(
        user_workbook(tmp_path / "b.xlsx", report_at=2), '<c r="E3" i="2"/><c r="A1" i="3"/><c r="A2"/>'
    )
    write_report_sheets(stale, tmp_path / "b-out.xlsx", [problems_report()])
    assert "xl/calcChain.xml" not in entries(tmp_path / "b-out.xlsx")
    assert b"calcChain" not in entries(tmp_path / "b-out.xlsx")["xl/_rels/workbook.xml.rels"]
    assert_package_consistent(tmp_path / "b-out.xlsx")


@pytest.mark.parametrize(
    ("chain", "kept"),
    [
        ('<c r="A1"/><c r="E3" i="2"/>', True),  # no sheet before the first id: nothing of the report's
        ('<c r="E3" i=" 2 "/>', True),
        ('<c r="E3" i="2"/><c r="A1" i="x"/>', False),  # a sheet xlcrm cannot tell may be the report's
        ('<c r="E3" i="٣"/>', False),
    ],
)
def test_calc_chain_with_a_sheet_id_xlcrm_cannot_read_is_dropped(chain: str, kept: bool, tmp_path: Path) -> None:
    source = _with_calc_chain(user_workbook(tmp_path / "a.xlsx", report_at=2), chain)
    write_report_sheets(source, tmp_path / "out.xlsx", [problems_report()])
    assert ("xl/calcChain.xml" in entries(tmp_path / "out.xlsx")) is kept
    assert_package_consistent(tmp_path / "out.xlsx")


def test_workbook_without_styles_part_gets_one(tmp_path: Path) -> None:
    source = user_workbook(tmp_path / "book.xlsx")
    parts = entries(source)
    del parts["xl/styles.xml"]
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b'<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"'
        b' Target="styles.xml"/>',
        b"",
    )
    with zipfile.ZipFile(source, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    target = tmp_path / "out.xlsx"
    write_report_sheets(source, target, [problems_report()])
    assert_package_consistent(target)
    sheet = openpyxl.load_workbook(target)[PROBLEMS]
    assert sheet["A5"].font.b and sheet["B6"].number_format == "DD.MM.YYYY"


def test_1904_date_system(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(user_workbook(tmp_path / "book.xlsx"))
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    book.save(tmp_path / "mac.xlsx")
    write_report_sheets(tmp_path / "mac.xlsx", tmp_path / "out.xlsx", [problems_report()])
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")[PROBLEMS]
    assert sheet["B6"].value == dt.datetime(2026, 11, 23)
    assert sheet["F6"].value == dt.datetime(2026, 11, 23, 9, 30)


def test_awkward_values(tmp_path: Path) -> None:
    texts = [
        'a & b < c > d " e',
        "  padded  ",
        "two\nlines",
        "bell\x07",
        "_x0041_ literal",
        "emoji 😀",
        "crlf\r\nline",
        "x" * 40_000,
    ]
    others = [
        float("nan"),
        float("inf"),
        np.int64(7),
        decimal.Decimal("2.5"),
        pd.Timestamp("2026-03-04 05:06"),
        pd.NaT,
        dt.datetime(2026, 5, 6, 7, 8, tzinfo=dt.timezone.utc),
        dt.date(1899, 1, 1),
        dt.date(1900, 1, 1),
        True,
        "",
    ]
    table = ReportTable("Values", [ReportColumn("Value")], [[v] for v in texts + others])
    write_report_sheets(
        user_workbook(tmp_path / "book.xlsx"), tmp_path / "out.xlsx", [ReportSheet(PROBLEMS, "Awkward", tables=[table])]
    )

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")[PROBLEMS]
    got = [sheet.cell(row, 1).value for row in range(5, 5 + len(texts) + len(others))]
    # openpyxl does not decode Excel's _xHHHH_ escapes in inline strings; Excel, LibreOffice and calamine do.
    assert got[:3] + got[5:6] == texts[:3] + texts[5:6]
    assert got[7] == "x" * 32_767  # Excel's limit for one cell
    assert got[8:] == [
        None,
        None,
        7,
        2.5,
        dt.datetime(2026, 3, 4, 5, 6),
        None,
        dt.datetime(2026, 5, 6, 7, 8),
        "1899-01-01",
        dt.datetime(1900, 1, 1),
        True,
        None,
    ]
    calamine = CalamineWorkbook.from_path(str(tmp_path / "out.xlsx")).get_sheet_by_name(PROBLEMS).to_python()
    assert [row[0] for row in calamine[4:11]] == texts[:7]


def test_refuses_files_that_are_not_workbooks(tmp_path: Path) -> None:
    text = tmp_path / "clients.xlsx"
    text.write_text("ClientID;Name\nC1;Anna\n")
    with pytest.raises(NotAWorkbook):
        write_report_sheets(text, tmp_path / "out.xlsx", [problems_report()])


def test_strict_open_xml_is_refused_with_advice(tmp_path: Path) -> None:
    source = user_workbook(tmp_path / "book.xlsx")
    parts = entries(source)
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        NS_MAIN.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main"
    )
    with zipfile.ZipFile(source, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(WorkbookError, match="Strict Open XML"):
        write_report_sheets(source, tmp_path / "out.xlsx", [problems_report()])


def test_report_sheet_rules() -> None:
    with pytest.raises(ValueError, match="character"):
        ReportSheet("▸ a/b", "x")
    with pytest.raises(ValueError, match="1 to 31"):
        ReportSheet("▸ " + "x" * 30, "x")
    filtered = ReportTable("t", COLUMNS, [], autofilter=True)
    with pytest.raises(ValueError, match="one table"):
        ReportSheet(PROBLEMS, "x", tables=[filtered, filtered])
    with pytest.raises(ValueError, match="not a report sheet"):
        ReportSheet.of(schema.CLIENTS, "en", "x")
    assert ReportSheet.of(schema.PROBLEMS, "ru", "x").name == "▸ Проблемы"


def _with_app_titles(path: Path, groups: list[tuple[str, list[str]]]) -> Path:
    """Replace docProps/app.xml with one listing sheet names the way Excel does."""
    pairs = "".join(
        f"<vt:variant><vt:lpstr>{title}</vt:lpstr></vt:variant><vt:variant><vt:i4>{len(names)}</vt:i4></vt:variant>"
        for title, names in groups
    )
    titles = "".join(f"<vt:lpstr>{name}</vt:lpstr>" for _, names in groups for name in names)
    count = sum(len(names) for _, names in groups)
    parts = entries(path)
    parts["docProps/app.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.'
        'org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/docPropsVTypes"><Application>Microsoft Excel</Application><HeadingPairs><vt:vector size="'
        f'{2 * len(groups)}" baseType="variant">{pairs}</vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="'
        f'{count}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts></Properties>'
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _app_titles(path: Path) -> tuple[list[str | None], list[str | None]]:
    root = xml(entries(path)["docProps/app.xml"])
    vt = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
    pairs = [v.text for v in root.iter(f"{vt}lpstr", f"{vt}i4") if v.getparent().tag == f"{vt}variant"]
    titles = [t.text for t in root.iter(f"{vt}lpstr") if t.getparent().tag == f"{vt}vector"]
    return pairs, titles


def test_app_properties_list_the_new_sheet_when_unambiguous(tmp_path: Path) -> None:
    # Russian Excel names the group "Листы": the group is found by its contents, not its title.
    source = _with_app_titles(
        user_workbook(tmp_path / "book.xlsx"),
        [("Листы", ["Clients", "Interactions"]), ("Именованные диапазоны", ["Owners"])],
    )
    write_report_sheets(source, tmp_path / "out.xlsx", [problems_report()])
    assert _app_titles(tmp_path / "out.xlsx") == (
        ["Листы", "3", "Именованные диапазоны", "1"],
        ["Clients", "Interactions", PROBLEMS, "Owners"],
    )
    assert b'size="4"' in entries(tmp_path / "out.xlsx")["docProps/app.xml"]

    stale = _with_app_titles(user_workbook(tmp_path / "stale.xlsx"), [("Worksheets", ["Sheet1"])])
    write_report_sheets(stale, tmp_path / "stale-out.xlsx", [problems_report()])
    assert entries(tmp_path / "stale-out.xlsx")["docProps/app.xml"] == entries(stale)["docProps/app.xml"]


def test_widths_only_for_columns_nobody_sized() -> None:
    from xlcrm.xlsx.user_sheet import _with_widths

    head = (
        b'<worksheet><dimension ref="A1:P3"/><sheetFormatPr defaultRowHeight="15"/><cols>'
        b'<col min="1" max="1" width="11" customWidth="1"/>\n<col min="5" max="16" width="14" customWidth="1"/>'
        b"</cols>"
    )
    assert _with_widths(head, b"", {1: 20, 5: 9, 16: 13.5}) == (
        b'<worksheet><dimension ref="A1:P3"/><sheetFormatPr defaultRowHeight="15"/><cols>'
        b'<col min="1" max="1" width="11" customWidth="1"/><col min="2" max="2" width="20" customWidth="1"/>'
        b'<col min="5" max="16" width="14" customWidth="1"/><col min="17" max="17" width="13.5" customWidth="1"/>'
        b"</cols>"
    )
    assert (
        _with_widths(b'<x:worksheet><x:dimension ref="A1"/>', b"x:", {0: 13})
        == b'<x:worksheet><x:dimension ref="A1"/><x:cols><x:col min="1" max="1" width="13" customWidth="1"/></x:cols>'
    )
    twice = b'<worksheet><cols><col min="1" max="1" width="11"/></cols><cols><col min="3" max="3" width="9"/></cols>'
    assert _with_widths(twice, b"", {5: 13}) == twice  # not seen in practice: left as it is
    assert _with_widths(head, b"", {0: 30}) == head  # column A has the user's width


def test_a_column_with_choices_gets_a_dropdown_on_its_value_cells(tmp_path: Path) -> None:
    choices = Choices(("yes & go", "no <wait>"), "Not in the list", 'Keep "this" anyway?')
    table = ReportTable("Pick", (ReportColumn("Answer", choices=choices), ReportColumn("Other")), [["x", 1], [None, 2]])
    empty = ReportTable("None yet", (ReportColumn("Answer", choices=Choices(("a",))),), [])
    report = ReportSheet.of(schema.PROBLEMS, "en", "Problems", tables=[table, empty])
    target = tmp_path / "out.xlsx"
    write_report_sheets(user_workbook(tmp_path / "book.xlsx"), target, [report])
    assert_package_consistent(target)
    [rule] = openpyxl.load_workbook(target)[PROBLEMS].data_validations.dataValidation  # none for the empty table
    assert (rule.type, rule.formula1, str(rule.sqref)) == ("list", '"yes & go,no <wait>"', "A5:A6")
    assert (rule.errorStyle, rule.errorTitle, rule.error) == ("warning", "Not in the list", 'Keep "this" anyway?')
    assert rule.allow_blank and rule.showErrorMessage


@pytest.mark.parametrize(
    "values, title",
    [(("a,b",), ""), (('say "a"',), ""), (("x" * 200, "y" * 60), ""), ((), ""), (("a",), "t" * 33)],
)
def test_choices_excel_cannot_hold_are_refused(values: tuple[str, ...], title: str) -> None:
    with pytest.raises(ValueError):
        Choices(values, title)


@pytest.mark.parametrize("written", ["02", " 2 "])
def test_a_sheet_number_of_a_name_written_with_zeros_or_spaces_is_the_same_sheet(written: str, tmp_path: Path) -> None:
    """A name's ``localSheetId`` is a number (XML Schema reads ``02`` and `` 2 `` as 2): a report's mark and filter
    written that way are still the report's, replaced once rather than kept beside new ones (two filters of one
    sheet are a file Excel repairs)."""
    first, changed, second = tmp_path / "first.xlsx", tmp_path / "changed.xlsx", tmp_path / "second.xlsx"
    write_report_sheets(user_workbook(tmp_path / "book.xlsx"), first, [problems_report()])
    parts = entries(first)
    assert parts["xl/workbook.xml"].count(b'localSheetId="2"') == 2  # the report's mark and its filter
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b'localSheetId="2"', f'localSheetId="{written}"'.encode()
    )
    with zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)

    write_report_sheets(changed, second, [problems_report(ROWS[:1])])
    names = [name for name, *_ in defined_names(second)]
    assert names.count(schema.REPORT_SHEET_MARK) == names.count("_xlnm._FilterDatabase") == 1
    filters = [(local, text) for name, local, text in defined_names(second) if name == "_xlnm._FilterDatabase"]
    assert filters[0][1] == f"'{PROBLEMS}'!$A$5:$G$6"
    assert_package_consistent(second)
