"""The XML of a user's workbook read as Excel reads it, and written back exactly (issue 15, points 3, 4, 11, 12).

- A sheet name in a formula, a chart, a validation, a format, a link or a defined name matches in any letter
  case, quoted or not, written as itself or as character references (openpyxl writes every non-ASCII
  character of a formula as ``&#1050;``): a row deletion that would move what such a reference points at is
  refused, or the reference follows the rows, never silently wrong.
- A formula that is rewritten keeps every character (``&#13;`` included).
- Parts are parsed by one hardened parser: a DTD is refused with one clear line, no entity is ever resolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner
from lxml import etree
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.pagebreak import Break

from tests.builders import valid_records, write_records
from tests.dedupe.test_unmerge import book  # noqa: F401  (a fixture: Romashka typed twice, rows 2 and 4 of Clients)
from tests.package_checks import entries
from tests.xlsx.test_sheet_edits import CLIENTS, CLIENTS_PART, INTERACTIONS, NAME, client_base, rewrite
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.errors import EditRefused, NotAWorkbook
from xlcrm.files.safe_save import BACKUP_FOLDER
from xlcrm.files.save import save_changes
from xlcrm.xlsx.package import write_edit_ahead, write_workbook
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.sheet_edits import SheetEdit
from xlcrm.xlsx.tables import sheet_tables
from xlcrm.xlsx.xml_io import escape_xml, parse_part, unescape_xml, xml_number

KLIENTY = schema.CLIENTS.name("ru")  # Клиенты
NCR_KLIENTY = "".join(f"&#{ord(char)};" for char in KLIENTY).encode()


def refused(path: Path, edit: SheetEdit, message: str) -> None:
    """The edit is refused with ``message`` in its text, and the workbook is byte for byte as it was."""
    data = read_workbook(path)
    before = path.read_bytes()
    with pytest.raises(EditRefused) as caught:
        save_changes(data, edits=[edit])
    assert message in str(caught.value)
    assert path.read_bytes() == before and not (path.parent / BACKUP_FOLDER).exists()


# --- point 3: other parts' references to the sheet whose rows move ---------------------------------------


def test_dedupe_refuses_when_a_lower_case_formula_elsewhere_points_at_a_moving_client(book: Path) -> None:  # noqa: F811
    workbook = openpyxl.load_workbook(book)
    workbook.create_sheet("Notes")["A1"] = "=clients!B5"  # row 5 moves up when the copy in row 4 goes
    workbook.save(book)
    before = book.read_bytes()
    result = CliRunner().invoke(cli, ["dedupe", str(book)])
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: cannot delete rows of 'Clients': a formula in sheet 'Notes' uses "
        "clients!B5; the workbook was not changed"
    )
    assert book.read_bytes() == before


def notes_formula(formula: str) -> Callable[[Path], None]:
    def add(path: Path) -> None:
        workbook = openpyxl.load_workbook(path)
        workbook.create_sheet("Notes")["A1"] = formula
        workbook.save(path)

    return add


def notes_validation(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    validation = DataValidation(type="list", formula1=f"clients!${NAME}$5:${NAME}$7")
    validation.add("A1:A3")
    workbook.create_sheet("Notes").add_data_validation(validation)
    workbook.save(path)


def notes_format(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("Notes").conditional_formatting.add(
        "A1:A3", FormulaRule(formula=[f'CLIENTS!${NAME}$5="Person 5"'], fill=PatternFill("solid", "FFFF00"))
    )
    workbook.save(path)


def notes_link(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    notes = workbook.create_sheet("Notes")
    notes["A1"] = "go to the client"
    notes["A1"].hyperlink = Hyperlink(ref="A1", location=f"clients!{NAME}5")
    workbook.save(path)


def notes_chart(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(workbook[CLIENTS], min_col=1, min_row=5, max_row=7))
    workbook.create_sheet("Notes").add_chart(chart, "B2")
    workbook.save(path)
    rewrite(path, {}, {"xl/charts/chart1.xml": lambda data: data.replace(CLIENTS.encode(), b"clients")})


@pytest.mark.parametrize(
    "make, message",
    [
        (notes_formula(f"=clients!{NAME}5"), f"a formula in sheet 'Notes' uses clients!{NAME}5"),
        (notes_formula(f"='CLIENTS'!${NAME}$5"), f"a formula in sheet 'Notes' uses 'CLIENTS'!${NAME}$5"),
        (notes_formula(f"=SUM(cLiEnTs!{NAME}2:{NAME}9)"), f"uses cLiEnTs!{NAME}2:{NAME}9"),
        # A range that ends in a function (a growing list): openpyxl reads its first cell as part of the function.
        (notes_formula(f"=COUNTA(clients!{NAME}5:INDEX(clients!{NAME}:{NAME},9))"), f"uses clients!{NAME}5"),
        (notes_validation, f"a formula in sheet 'Notes' uses clients!${NAME}$5:${NAME}$7"),
        (notes_format, f"a formula in sheet 'Notes' uses CLIENTS!${NAME}$5"),
        (notes_link, f"a link or control in sheet 'Notes' uses clients!{NAME}5"),
        (notes_chart, "a formula in the chart in xl/charts/chart1.xml uses 'clients'!$A$5:$A$7"),
    ],
)
def test_references_elsewhere_in_any_letter_case_stop_a_deletion(
    make: Callable[[Path], None], message: str, tmp_path: Path
) -> None:
    path = client_base(tmp_path / "book.xlsx")
    make(path)
    refused(path, SheetEdit(CLIENTS, delete_rows=[3]), message)


def test_a_cyrillic_name_written_as_character_references_is_found_and_quoted_readably(tmp_path: Path) -> None:
    path = client_base(tmp_path / "book.xlsx", locale="ru")
    notes_formula(f"=клиенты!{NAME}5")(path)
    assert b"<f>&#1082;&#1083;" in b"".join(entries(path).values())  # openpyxl writes character references
    refused(path, SheetEdit(KLIENTY, delete_rows=[3]), f"a formula in sheet 'Notes' uses клиенты!{NAME}5;")


def test_a_refusal_quotes_a_formula_as_the_user_typed_it(tmp_path: Path) -> None:
    """Point 12: not ``="&#1050;&#1083;…``."""
    path = client_base(tmp_path / "book.xlsx", locale="ru")
    workbook = openpyxl.load_workbook(path)
    workbook[KLIENTY]["Z2"] = f'="Клиенты: "&{NAME}3'
    workbook.save(path)
    assert NCR_KLIENTY in entries(path)[CLIENTS_PART]
    refused(
        path,
        SheetEdit(KLIENTY, delete_rows=[3]),
        f'the formula ="Клиенты: "&{NAME}3 uses {NAME}3, which would be deleted',
    )


def test_the_sheets_own_formulas_naming_it_in_character_references_follow_the_rows(tmp_path: Path) -> None:
    path = client_base(tmp_path / "book.xlsx", locale="ru")
    workbook = openpyxl.load_workbook(path)
    workbook[KLIENTY]["Z2"] = f"=клиенты!{NAME}7"
    workbook[KLIENTY]["Z7"] = f"='{KLIENTY}'!{NAME}7&{NAME}6"
    workbook.save(path)
    target = tmp_path / "out.xlsx"
    write_workbook(path, target, edits=[SheetEdit(KLIENTY, delete_rows=[3])])
    sheet = openpyxl.load_workbook(target)[KLIENTY]
    assert sheet["Z2"].value == f"=клиенты!{NAME}6"
    assert sheet["Z6"].value == f"='{KLIENTY}'!{NAME}6&{NAME}5"


def test_names_with_an_apostrophe_are_matched_quoted(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Bob's clients"
    for row in range(1, 8):
        sheet.append([f"C{row}", f"Person {row}"])
    workbook.defined_names["Fifth"] = DefinedName("Fifth", attr_text="'bob''s clients'!$B$5")
    workbook.save(path)
    target = tmp_path / "out.xlsx"
    write_workbook(path, target, edits=[SheetEdit("Bob's clients", delete_rows=[3])])
    names = openpyxl.load_workbook(target).defined_names
    assert names["Fifth"].attr_text == "'bob''s clients'!$B$4"  # the name follows its client

    notes_formula("='BOB''S CLIENTS'!B5")(path)
    with pytest.raises(EditRefused, match="a formula in sheet 'Notes' uses 'BOB''S CLIENTS'!B5"):
        write_workbook(path, tmp_path / "refused.xlsx", edits=[SheetEdit("Bob's clients", delete_rows=[3])])


@pytest.mark.parametrize("formula", [f"=clients!{NAME}5", f"=Clients!{NAME}5"])
def test_a_sheet_written_ahead_says_it_mentions_a_name_in_any_case(formula: str, tmp_path: Path) -> None:
    """The merges' writer notes which moving sheets an edited sheet never mentions; the save then skips
    reading it again, so a mention missed there would never be checked."""
    path = client_base(tmp_path / "book.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook[INTERACTIONS]["Z2"] = formula
    workbook.save(path)
    written = write_edit_ahead(
        path, SheetEdit(INTERACTIONS, set_cells={"B2": "C000002"}), tmp_path / "part", watch=[CLIENTS, "Elsewhere"]
    )
    assert written is not None
    assert written.silent_about == frozenset({"Elsewhere"})


# --- point 4: text that is rewritten keeps every character ------------------------------------------------


def test_a_moved_formula_keeps_line_breaks_and_special_characters(tmp_path: Path) -> None:
    path = client_base(tmp_path / "book.xlsx")
    workbook = openpyxl.load_workbook(path)
    formula = f'="line1\r\nline2\ttab <&> ""quoted"" ёж 😀"&{NAME}7'
    workbook[CLIENTS]["Z7"] = formula
    workbook.save(path)
    assert b"&#13;" in entries(path)[CLIENTS_PART]  # how openpyxl writes the carriage return
    target = tmp_path / "out.xlsx"
    write_workbook(path, target, edits=[SheetEdit(CLIENTS, delete_rows=[3])])
    moved = openpyxl.load_workbook(target)[CLIENTS]["Z6"].value
    assert moved == formula.replace(f"{NAME}7", f"{NAME}6")
    assert b"&amp;#" not in entries(target)[CLIENTS_PART]


TRICKY = [
    "",
    "plain",
    "a & b < c > d",
    'say "hi"',
    "it's",
    "line1\r\nline2",
    "cr\ronly",
    "tab\tand\nlf",
    "&#13; typed as text",
    "&amp; typed",
    "Клиенты 😀 \u2028",
    " spaced ",
]


@pytest.mark.parametrize("text", TRICKY)
def test_escape_and_unescape_round_trip_as_an_xml_parser_reads_them(text: str) -> None:
    element = etree.fromstring(b"<f>" + escape_xml(text).encode() + b"</f>")
    assert (element.text or "") == text
    attribute = etree.fromstring(b'<f v="' + escape_xml(text, attribute=True).encode() + b'"/>')
    assert attribute.get("v") == text
    assert unescape_xml(escape_xml(text).encode()) == text
    assert unescape_xml(escape_xml(text, attribute=True).encode(), attribute=True) == text


def test_unescape_reads_every_reference_and_line_end_as_a_parser_does() -> None:
    raw = b"&#1050;&#x43B;&#X;&lt;&gt;&amp;&apos;&quot;&#13;\r\n|\r|\t\n"
    with pytest.raises(NotAWorkbook):  # &#X; (capital X) is not a reference
        unescape_xml(raw)
    raw = raw.replace(b"&#X;", b"")
    for attribute in (False, True):
        wanted = (
            etree.fromstring(b'<f v="' + raw + b'"/>').get("v")
            if attribute
            else etree.fromstring(b"<f>" + raw + b"</f>").text
        )
        assert unescape_xml(raw, attribute=attribute) == wanted
    for bad in (b"&#0;", b"&#xD800;", b"&nbsp;", b"a & b", b"\x01", b"\xff"):
        with pytest.raises(NotAWorkbook, match="damaged"):
            unescape_xml(bad)


# --- point 11: one hardened parser -------------------------------------------------------------------------

EXTERNAL = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def with_dtd(data: bytes, used_after: bytes | None = None) -> bytes:
    """``data`` with a DTD declaring an external entity, used right after ``used_after`` when given."""
    end = data.index(b"?>") + 2 if data.startswith(b"<?xml") else 0
    data = data[:end] + EXTERNAL + data[end:]
    return data.replace(used_after, used_after + b"&xxe;", 1) if used_after else data


@pytest.mark.parametrize(
    "part, used_after",
    [
        ("xl/workbook.xml", b"<sheets>"),
        ("xl/styles.xml", None),
        ("xl/worksheets/sheet1.xml", None),
    ],
)
def test_a_dtd_in_a_part_xlcrm_edits_is_refused_in_one_line(
    part: str, used_after: bytes | None, tmp_path: Path
) -> None:
    path = write_records(tmp_path / "book.xlsx", "en", valid_records("en"))
    rewrite(path, {}, {part: lambda data: with_dtd(data, used_after)})
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the workbook's {part} contains a DTD (<!DOCTYPE …>), which Excel never "
        "writes; xlcrm does not read such a file (save it again in Excel first)\n"
    )
    assert path.read_bytes() == before and not (tmp_path / BACKUP_FOLDER).exists()


@pytest.mark.parametrize(
    ("part", "pattern", "written"),
    [
        ("xl/workbook.xml", rb'<sheet [^>]*?sheetId="(?P<number>\d+)"', "x"),
        ("xl/workbook.xml", rb'<sheet [^>]*?sheetId="(?P<number>\d+)"', "٢"),
        ("xl/styles.xml", rb'<numFmt [^>]*?numFmtId="(?P<number>\d+)"', "y"),
    ],
)
def test_a_number_xlcrm_cannot_read_in_the_sheet_list_or_the_styles_does_not_stop_a_refresh(
    part: str, pattern: bytes, written: str, tmp_path: Path
) -> None:
    """A sheet id or number format id that is no number (it stopped a refresh with "unexpected failure"): new
    sheets and formats take numbers of their own, and the clients are as they were."""
    path = write_records(tmp_path / "book.xlsx", "en", valid_records("en"))

    def damaged(data: bytes) -> bytes:
        found = re.search(pattern, data)
        assert found is not None
        return data[: found.start("number")] + written.encode() + data[found.end("number") :]

    rewrite(path, {}, {part: damaged})
    clients = read_workbook(path).sheets["clients"].frame
    result = CliRunner().invoke(cli, ["refresh", str(path)])
    assert result.exit_code == 0, result.output
    assert read_workbook(path).sheets["clients"].frame[clients.columns].equals(clients)
    sheet_ids = [
        sheet.get("sheetId") for sheet in etree.fromstring(entries(path)["xl/workbook.xml"]).iter(f"{{{NS}}}sheet")
    ]
    numbers = [int(number) for number in sheet_ids if number.isascii() and number.isdecimal()]
    assert len(numbers) == len(set(numbers)) >= len(sheet_ids) - 1
    formats = etree.fromstring(entries(path)["xl/styles.xml"]).iter(f"{{{NS}}}numFmt")
    format_ids = [number for item in formats if (number := item.get("numFmtId", "")).isdecimal()]
    assert len(format_ids) == len(set(format_ids))


NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def test_an_entity_in_shared_strings_is_never_resolved(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet(CLIENTS)
    sheet.write_row(0, 0, [column.en for column in schema.CLIENTS.columns])
    sheet.write_row(1, 0, ["C000001", "Anna"])
    workbook.close()
    rewrite(path, {}, {"xl/sharedStrings.xml": lambda data: with_dtd(data, b"<t>")})
    before = path.read_bytes()
    for command in ("refresh", "validate"):
        result = CliRunner().invoke(cli, [command, str(path)])
        assert result.exit_code == 1 and result.output.startswith("Error: ") and result.output.count("\n") == 1
        assert "contains a DTD" in result.output and "sharedStrings.xml" in result.output, result.output
        assert "root:" not in result.output and "unexpected failure" not in result.output
        assert path.read_bytes() == before


def test_unmerge_reads_the_workbook_part_with_the_hardened_parser(book: Path) -> None:  # noqa: F811
    assert CliRunner().invoke(cli, ["dedupe", str(book), "--keep-backups", "0"]).exit_code == 0
    rewrite(book, {}, {"xl/workbook.xml": lambda data: with_dtd(data, b"<sheets>")})
    before = book.read_bytes()
    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0001"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the workbook's xl/workbook.xml contains a DTD")
    assert book.read_bytes() == before


def test_a_part_never_parses_an_entity_nor_a_huge_text() -> None:
    with pytest.raises(NotAWorkbook, match="contains a DTD"):
        parse_part(
            b'<?xml version="1.0" encoding="UTF-16"?>'.decode().encode("utf-16")
            + (EXTERNAL + b"<a>&xxe;</a>").decode().encode("utf-16")[2:],
            "part",
        )
    huge = b"<a>" + b"x" * (11 << 20) + b"</a>"  # more than libxml2's limit for one text without huge_tree
    with pytest.raises(NotAWorkbook, match="damaged"):
        parse_part(huge, "part")


# --- what hangs off the sheet itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "number"),
    [
        *[("7", 7), (" 12 ", 12), ("\t3\r\n", 3), ("0", 0), ("9" * 20, int("9" * 20))],
        *[("١", None), ("²", None), ("１", None), ("\xa01", None), ("1\u3000", None), ("-1", None), ("1e3", None)],
        *[("9" * 21, None), ("9" * 5000, None), ("", None), (None, None)],
    ],
)
def test_a_number_in_the_markup_is_ascii_digits(written: str | None, number: int | None) -> None:
    # int() would read the Arabic-Indic and the full-width one; no spreadsheet program takes them for numbers there.
    assert xml_number(written) == number


def test_a_link_on_the_sheet_to_its_own_rows_follows_them(tmp_path: Path) -> None:
    path = client_base(tmp_path / "book.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook[CLIENTS]["Z2"].hyperlink = Hyperlink(ref="Z2", location=f"clients!{NAME}7")
    workbook[CLIENTS]["Z4"].hyperlink = Hyperlink(ref="Z4", location=f"'{CLIENTS}'!{NAME}2")
    workbook.save(path)
    target = tmp_path / "out.xlsx"
    write_workbook(path, target, edits=[SheetEdit(CLIENTS, delete_rows=[3])])
    sheet = openpyxl.load_workbook(target)[CLIENTS]
    assert sheet["Z2"].hyperlink.location == f"clients!{NAME}6"
    assert sheet["Z3"].hyperlink.location == f"'{CLIENTS}'!{NAME}2"

    refused(path, SheetEdit(CLIENTS, delete_rows=[7]), f"the link in cell {CLIENTS}!Z2 goes to clients!{NAME}7:")


def test_a_shape_on_the_sheet_showing_a_moving_cell_stops_the_deletion(tmp_path: Path) -> None:
    path = client_base(tmp_path / "book.xlsx", clients=30)
    workbook = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(workbook[CLIENTS], min_col=1, min_row=1, max_row=3))
    workbook[CLIENTS].add_chart(chart, "AA1")
    workbook.save(path)
    # A text box above the deleted row that shows a cell below it: the reference names no sheet.
    box = (
        b"<twoCellAnchor><from><col>30</col><colOff>0</colOff><row>0</row><rowOff>0</rowOff></from>"
        b'<to><col>32</col><colOff>0</colOff><row>2</row><rowOff>0</rowOff></to><sp macro="" textlink="$B$28">'
        b'<nvSpPr><cNvPr id="9" name="Box"/><cNvSpPr txBox="1"/></nvSpPr><spPr/></sp><clientData/>'
        b"</twoCellAnchor></wsDr>"
    )
    rewrite(path, {}, {"xl/drawings/drawing1.xml": lambda data: data.replace(b"</wsDr>", box)})
    refused(
        path,
        SheetEdit(CLIENTS, delete_rows=[25]),
        "a link or control in the drawing or control in xl/drawings/drawing1.xml uses $B$28",
    )


def _control_at(row: str) -> Callable[[bytes], bytes]:
    """The sheet's markup with a form control anchored from ``row`` (counted from 0), as Excel writes a check box."""
    control = (
        '<controls><control shapeId="1025" name="Check Box 1"><controlPr defaultSize="0"><anchor moveWithCells="1">'
        f'<from><xdr:col xmlns:xdr="{XDR}">1</xdr:col><xdr:colOff xmlns:xdr="{XDR}">0</xdr:colOff>'
        f'<xdr:row xmlns:xdr="{XDR}">{row}</xdr:row><xdr:rowOff xmlns:xdr="{XDR}">0</xdr:rowOff></from>'
        f'<to><xdr:col xmlns:xdr="{XDR}">2</xdr:col><xdr:colOff xmlns:xdr="{XDR}">0</xdr:colOff>'
        f'<xdr:row xmlns:xdr="{XDR}">{row}</xdr:row><xdr:rowOff xmlns:xdr="{XDR}">0</xdr:rowOff></to>'
        "</anchor></controlPr></control></controls></worksheet>"
    ).encode()
    return lambda data: data.replace(b"</worksheet>", control)


XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("27", "an embedded object or control is placed at row 28"),
        ("2٧", "an embedded object or control is placed at a row xlcrm cannot read (2٧)"),
        ("27²", "an embedded object or control is placed at a row xlcrm cannot read (27²)"),
    ],
)
def test_a_control_on_the_moving_rows_or_at_a_row_that_is_no_number_stops_the_deletion(
    row: str, message: str, tmp_path: Path
) -> None:
    path = client_base(tmp_path / "book.xlsx", clients=30)
    rewrite(path, {}, {CLIENTS_PART: _control_at(row)})
    refused(path, SheetEdit(CLIENTS, delete_rows=[25]), message)


def test_a_control_above_the_moving_rows_stays_where_it_is(tmp_path: Path) -> None:
    path = client_base(tmp_path / "book.xlsx", clients=30)
    rewrite(path, {}, {CLIENTS_PART: _control_at("2")})
    target = tmp_path / "out.xlsx"
    write_workbook(path, target, edits=[SheetEdit(CLIENTS, delete_rows=[25])])
    assert f'<xdr:row xmlns:xdr="{XDR}">2</xdr:row>'.encode() in entries(target)[CLIENTS_PART]


def _commented_base(path: Path) -> Path:
    """A base of 30 clients with a comment on B29, whose box Excel's legacy drawing (VML) anchors by row."""
    client_base(path, clients=30)
    workbook = openpyxl.load_workbook(path)
    workbook[CLIENTS]["B29"].comment = Comment("Call back in spring", "Anna")
    workbook.save(path)
    return path


@pytest.mark.parametrize(("where", "written"), [("box", "2٦"), ("box", "x"), ("note", "2٨")])
def test_a_comment_box_at_a_row_that_is_no_number_stops_the_deletion(where: str, written: str, tmp_path: Path) -> None:
    """The box's top row (the third number of its Anchor, as Excel writes it) or the note's cell (its Row)."""
    path = _commented_base(tmp_path / "book.xlsx")
    vml = next(name for name in entries(path) if name.endswith(".vml"))

    def unreadable(data: bytes) -> bytes:
        row = re.search(rb"<(?:(\w+):)?Row>(28)<", data)
        assert row is not None
        if where == "note":
            return data[: row.start(2)] + written.encode() + data[row.end(2) :]
        prefix = row[1] + b":" if row[1] else b""
        box = b"<%sAnchor>2, 15, %s, 10, 4, 15, 30, 4</%sAnchor>" % (prefix, written.encode(), prefix)
        return data[: row.start()] + box + data[row.start() :]

    rewrite(path, {}, {vml: unreadable})
    message = f"a comment box, form control or shape is placed at a row xlcrm cannot read ({written})"
    refused(path, SheetEdit(CLIENTS, delete_rows=[5]), message)


def test_a_comment_box_whose_row_is_empty_is_one_without_a_row(tmp_path: Path) -> None:
    """``<x:Row></x:Row>`` is ``<x:Row/>``: above the moving rows (by its Anchor) it stays as it is."""
    path = _commented_base(tmp_path / "book.xlsx")
    vml = next(name for name in entries(path) if name.endswith(".vml"))
    rewrite(path, {}, {vml: lambda data: re.sub(rb"(<(?:\w+:)?Row>)28(<)", rb"\1\2", data, count=1)})
    save_changes(read_workbook(path), edits=[SheetEdit(CLIENTS, delete_rows=[30])])
    assert entries(path)[vml] == entries(next((path.parent / BACKUP_FOLDER).iterdir()))[vml]


@pytest.mark.parametrize("written", ["x", "١"])
def test_a_table_whose_totals_row_count_is_no_number_stops_the_deletion(written: str, tmp_path: Path) -> None:
    """Where the table's rows end is unknown: rows moving through it are refused, a cell changed inside it is not."""
    path = client_base(tmp_path / "book.xlsx")
    table = next(name for name in entries(path) if name.startswith("xl/tables/"))
    counted = f'headerRowCount="1" totalsRowCount="{written}"'.encode()
    rewrite(path, {}, {table: lambda data: data.replace(b'headerRowCount="1"', counted, 1)})
    message = f"table 'Clients' on 'Clients' has a totals row count xlcrm cannot read ({written})"
    refused(path, SheetEdit(CLIENTS, delete_rows=[3]), message)

    save_changes(read_workbook(path), edits=[SheetEdit(CLIENTS, set_cells={f"{NAME}3": "Anna"})])
    assert read_workbook(path).sheets["clients"].frame.loc[3, "name"] == "Anna"  # openpyxl cannot open it
    assert entries(path)[table] == entries(next((path.parent / BACKUP_FOLDER).iterdir()))[table]


@pytest.mark.parametrize("written", ["0", " 0 ", "00"])
def test_a_table_without_a_header_row_however_written_loses_its_first_row_like_any_other(
    written: str, tmp_path: Path
) -> None:
    """``headerRowCount`` is a number (XML Schema reads `` 0 `` and ``00`` as 0): the reader and the row edits
    both take such a table's first row for a record, which a merge may delete."""
    path = client_base(tmp_path / "book.xlsx")
    table = next(name for name in entries(path) if name.startswith("xl/tables/"))

    def headerless(data: bytes) -> bytes:
        data = data.replace(b'headerRowCount="1"', f'headerRowCount="{written}"'.encode(), 1)
        return data.replace(b'ref="A1:', b'ref="A2:')

    rewrite(path, {}, {table: headerless})
    assert [found.furniture_rows() for found in sheet_tables(path, CLIENTS)] == [[]]
    save_changes(read_workbook(path), edits=[SheetEdit(CLIENTS, delete_rows=[2])])
    ref = etree.fromstring(entries(path)[table]).get("ref")
    assert ref is not None and ref.startswith("A2:") and ref.endswith("6")
    assert read_workbook(path).sheets["clients"].frame["name"].tolist()[:1] == ["Person 2"]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('id="25"', "a page break is set at row 25"),
        ('id="2٥"', "a page break is set at a row xlcrm cannot read (2٥)"),
        ('id="x"', "a page break is set at a row xlcrm cannot read (x)"),
    ],
)
def test_a_page_break_on_the_moving_rows_or_at_a_row_that_is_no_number_stops_the_deletion(
    written: str, message: str, tmp_path: Path
) -> None:
    path = client_base(tmp_path / "book.xlsx", clients=30)
    workbook = openpyxl.load_workbook(path)
    workbook[CLIENTS].row_breaks.append(Break(id=25))
    workbook.save(path)
    rewrite(path, {}, {CLIENTS_PART: lambda data: data.replace(b'<brk id="25"', f"<brk {written}".encode())})
    refused(path, SheetEdit(CLIENTS, delete_rows=[25]), message)


@pytest.mark.parametrize(
    "written", [b"<f>cli<!-- a note -->ents!B5</f>", b"<f><![CDATA[Clients!B5]]></f>", b"<f>Clients<?pi?>!B5</f>"]
)
def test_a_formula_split_by_markup_is_not_overlooked(written: bytes, tmp_path: Path) -> None:
    path = client_base(tmp_path / "book.xlsx")
    notes_formula("=Clients!B1")(path)
    notes = next(name for name, data in entries(path).items() if b"<f>Clients!B1</f>" in data)
    rewrite(path, {}, {notes: lambda data: data.replace(b"<f>Clients!B1</f>", written)})
    refused(
        path,
        SheetEdit(CLIENTS, delete_rows=[3]),
        "sheet 'Notes' holds a formula with a comment or CDATA section in it, which xlcrm does not read",
    )


def test_a_part_bigger_than_xlcrm_parses_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlcrm.xlsx.parts

    path = client_base(tmp_path / "book.xlsx")
    styles = len(entries(path)["xl/styles.xml"])
    monkeypatch.setattr(xlcrm.xlsx.parts, "MAX_PARSED_BYTES", styles - 1)
    with pytest.raises(NotAWorkbook, match=r"the workbook's xl/styles.xml is 0 MB, more than the 0 MB xlcrm reads"):
        write_workbook(path, tmp_path / "out.xlsx", edits=[SheetEdit(CLIENTS, set_cells={"B2": "x"})])


def test_a_formula_filled_down_on_another_sheet_is_checked_for_every_row_it_fills(tmp_path: Path) -> None:
    """Excel writes a formula filled down a column once, for its first cell (a shared formula): the first cell's
    =Clients!B2 is above the moving rows, but the cells below it read rows that move."""
    path = client_base(tmp_path / "book.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("Notes")["A1"] = f"=Clients!{NAME}2"
    workbook.save(path)
    notes = next(
        name
        for name, data in entries(path).items()
        if name.startswith("xl/worksheets/sheet") and f"<f>{CLIENTS}!".encode() in data
    )

    def filled_down(data: bytes) -> bytes:
        cells = f'<row r="1"><c r="A1"><f t="shared" ref="A1:A9" si="0">Clients!{NAME}2</f></c></row>' + "".join(
            f'<row r="{row}"><c r="A{row}"><f t="shared" si="0"/></c></row>' for row in range(2, 10)
        )
        start, end = data.index(b"<sheetData>") + len(b"<sheetData>"), data.index(b"</sheetData>")
        return data[:start] + cells.encode() + data[end:]

    rewrite(path, {}, {notes: filled_down})
    refused(
        path,
        SheetEdit(CLIENTS, delete_rows=[5]),
        f"a formula filled down over 9 rows in sheet 'Notes' uses Clients!{NAME}2",
    )


def test_a_range_ending_in_a_function_on_the_sheet_follows_its_rows(tmp_path: Path) -> None:
    path = client_base(tmp_path / "book.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook[CLIENTS]["Z1"] = f"=COUNTA({NAME}5:INDEX({NAME}:{NAME},9))"
    workbook.save(path)
    target = tmp_path / "out.xlsx"
    write_workbook(path, target, edits=[SheetEdit(CLIENTS, delete_rows=[3])])
    assert openpyxl.load_workbook(target)[CLIENTS]["Z1"].value == f"=COUNTA({NAME}4:INDEX({NAME}:{NAME},9))"
