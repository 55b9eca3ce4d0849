"""The columnar read (``xlsx.columnar.read_grid``) gives every cell exactly as python-calamine reads it, or gives
None and leaves the sheet to the reading cell by cell.

Sheets are written here as raw XML, cell by cell from a pool of every kind of cell a writer produces (numbers
written many ways, shared and inline text with entities, runs, escapes and spaces, booleans, errors, formulas
with their results, dates in both date systems, styled blanks, tails longer than the scan compares at once), laid
out at random, and compared value and type with python-calamine's ``to_python``; so is every sheet of the
workbooks other programs saved (tests/data).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from python_calamine import CalamineError, CalamineWorkbook

from tests.builders import write_workbook
from tests.xlsx.test_read_exact import OWNED, POOL, SPEC, mixed_rows
from xlcrm import schema
from xlcrm.errors import BeyondLimits, WorkbookError
from xlcrm.xlsx import columnar, reader
from xlcrm.xlsx.package import conditional_rules, validation_formulas
from xlcrm.xlsx.refs import column_letter

DATA = Path(__file__).parent.parent / "data"
SHEET = "Data"

STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<numFmts count="3"><numFmt numFmtId="164" formatCode="dd.mm.yyyy"/>'
    b'<numFmt numFmtId="165" formatCode="[h]:mm:ss"/><numFmt numFmtId="166" formatCode="0.00&quot; rub.&quot;"/>'
    b"</numFmts>"
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    b"</fills>"
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="9"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    + b"".join(
        b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' % number
        for number in (14, 164, 20, 165, 22, 10, 49, 166)
    )
    + b"</cellXfs></styleSheet>"
)
# Shared strings: plain, spaces kept, entities, a run of rich text, an escaped carriage return, empty, Cyrillic,
# a date typed as text, a phonetic run (not part of the text).
SHARED = [
    b"<t>Anna</t>",
    b'<t xml:space="preserve">  Anna </t>',
    b"<t>OOO &quot;Romashka&quot; &amp; Co &lt;1&gt;</t>",
    b'<r><rPr><b/><sz val="11"/></rPr><t>bold</t></r><r><t xml:space="preserve"> and plain</t></r>',
    b"<t>line_x000D_break</t>",
    b"<t></t>",
    "<t>Анна Соколова</t>".encode(),
    b"<t>05.01.2026</t>",
    b'<t>Kanji</t><rPh sb="0" eb="1"><t>kana</t></rPh>',
    b"<t>" + b"long text " * 8 + b"</t>",
]
# A cell's attributes and content after its reference (``<c r="A1"`` + tail).
TAILS = [
    b"><v>1</v></c>",
    b"><v>1.0</v></c>",
    b' t="n"><v>-0</v></c>',
    b"><v>1500</v></c>",
    b"><v>0.1</v></c>",
    b"><v>1234.5600000000001</v></c>",
    b"><v>1E3</v></c>",
    b"><v>-2.5e-3</v></c>",
    b' s="1"><v>46027</v></c>',
    b' s="2"><v>46027</v></c>',
    b' s="2"><v>46027.5</v></c>',
    b' s="3"><v>0.375</v></c>',
    b' s="4"><v>1.25</v></c>',
    b' s="5"><v>46027.4375</v></c>',
    b' s="6"><v>0.15</v></c>',
    b' s="7"><v>42</v></c>',
    b' s="8"><v>99.5</v></c>',
    b' t="b"><v>1</v></c>',
    b' t="b"><v>0</v></c>',
    b' t="e"><v>#N/A</v></c>',
    b' t="e"><f>1/0</f><v>#DIV/0!</v></c>',
    b' t="str"><f>A1&amp;"x"</f><v>Annax</v></c>',
    b' t="str"><f>""</f><v></v></c>',
    b"><f>1+1</f><v>2</v></c>",
    b' s="1"><f>TODAY()</f><v>46027</v></c>',
    b"><f>SUM(A1:A9999)+SUM(B1:B9999)+SUM(C1:C9999)+SUM(D1:D9999)</f><v>12345.678</v></c>",
    b' t="inlineStr"><is><t>C000123</t></is></c>',
    b' t="inlineStr"><is><t xml:space="preserve"> C000123 </t></is></c>',
    b' t="inlineStr"><is><t></t></is></c>',
    b' t="inlineStr"><is><r><t>rich</t></r><r><rPr><i/></rPr><t> inline</t></r></is></c>',
    b' t="inlineStr"><is><t>' + "Длинный комментарий менеджера о звонке".encode() + b"</t></is></c>",
    b' t="inlineStr"><is><t>a &amp; b</t></is></c>',
    b' t="d"><v>2026-01-05T10:30:00</v></c>',
    b' s="3"/>',
    b"></c>",
    b' s="1"><v></v></c>',
    b' s="2" t="s"><v>3</v></c>',
    b' t="s" s="1"><v>7</v></c>',
] + [b' t="s"><v>%d</v></c>' % index for index in range(len(SHARED))]


def write_raw(path: Path, rows: list[bytes], date1904: bool = False, pretty: bool = False) -> Path:
    """A workbook whose one sheet ``SHEET`` holds ``rows`` (each a row's XML), with STYLES and SHARED."""
    strings = b"".join(b"<si>%s</si>" % text for text in SHARED)
    shared = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>'
        % (len(SHARED), len(SHARED), strings)
    )
    separator = b"\n  " if pretty else b""
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<dimension ref="A1"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        b'<cols><col min="1" max="3" width="12" customWidth="1"/></cols>'
        b"<sheetData>" + separator + separator.join(rows) + separator + b"</sheetData>"
        b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    )
    workbook = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        + (b'<workbookPr date1904="1"/>' if date1904 else b"<workbookPr/>")
        + b'<sheets><sheet name="%s" sheetId="1" r:id="rId1"/><sheet name="Other" sheetId="2" r:id="rId4"/>'
        b"</sheets></workbook>" % SHEET.encode()
    )
    relationships = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
        b' Target="worksheets/sheet1.xml"/>'
        b'<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
        b' Target="worksheets/sheet2.xml"/>'
        b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"'
        b' Target="styles.xml"/>'
        b'<Relationship Id="rId3"'
        b' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"'
        b' Target="sharedStrings.xml"/></Relationships>'
    )
    content_types = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml"'
        b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml"'
        b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet2.xml"'
        b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        b'<Override PartName="/xl/styles.xml"'
        b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        b'<Override PartName="/xl/sharedStrings.xml"'
        b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    package_rels = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1"'
        b' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
        b' Target="xl/workbook.xml"/></Relationships>'
    )
    other = sheet.replace(b"<sheetData>", b"<sheetData>" + b'<row r="1"><c r="A1"><v>7</v></c></row>', 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", package_rels)
        package.writestr("xl/workbook.xml", workbook)
        package.writestr("xl/_rels/workbook.xml.rels", relationships)
        package.writestr("xl/styles.xml", STYLES)
        package.writestr("xl/sharedStrings.xml", shared)
        package.writestr("xl/worksheets/sheet1.xml", sheet)
        package.writestr("xl/worksheets/sheet2.xml", other)
    return path


def random_rows(seed: int, count: int = 300, width: int = 12, pretty: bool = False) -> list[bytes]:
    """A header row of text from A1 on, then ``count`` rows of cells drawn from TAILS at random places, some rows
    missing, some empty, a few far down."""
    pick = random.Random(seed)
    header = b"".join(
        b'<c r="%s1" t="inlineStr"><is><t>H%d</t></is></c>' % (column_letter(i).encode(), i) for i in range(width)
    )
    rows = [b'<row r="1">' + header + b"</row>"]
    numbers = sorted(pick.sample(range(2, count * 2), count))
    if pick.random() < 0.5:
        numbers.append(pick.choice([5000, 65536, 104857]))
    gap = b"\n    " if pretty else b""
    for number in numbers:
        columns = sorted(pick.sample(range(width), pick.randint(0, width)))
        cells = [b'<c r="%s%d"%s' % (column_letter(column).encode(), number, pick.choice(TAILS)) for column in columns]
        opening = b'<row r="%d" spans="1:%d">' % (number, width) if pick.random() < 0.8 else b"<row>"
        rows.append(opening + gap + gap.join(cells) + b"</row>")
    return rows


def random_sheet(path: Path, seed: int) -> Path:
    """A workbook at ``path`` whose sheet ``SHEET`` holds ``random_rows(seed)``: every third one indented, every
    other one in the 1904 date system."""
    pretty = seed % 3 == 2
    return write_raw(path, random_rows(seed, pretty=pretty), date1904=seed % 2 == 1, pretty=pretty)


def as_calamine_reads(path: Path, sheet: str) -> list[list[object]]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        rows: list[list[object]] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        return rows
    finally:
        book.close()


def typed(rows: list[list[object]]) -> list[list[tuple[str, object]]]:
    """Each cell as its type and value: 1.0, 1 and True differ; -0.0 keeps its sign; NaN equals NaN."""

    def cell(value: object) -> tuple[str, object]:
        if isinstance(value, float):
            return ("float", "nan" if math.isnan(value) else (value, math.copysign(1, value)))
        return (type(value).__name__, value)

    return [[cell(value) for value in row] for row in rows]


@pytest.mark.parametrize("chunk", [256, columnar.SCAN_CHUNK])
@pytest.mark.parametrize("seed", range(12))
def test_random_sheets_read_as_columns_hold_what_calamine_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, chunk: int
) -> None:
    monkeypatch.setattr(columnar, "SCAN_CHUNK", chunk)
    path = random_sheet(tmp_path / "book.xlsx", seed)
    grid = columnar.read_grid(path, SHEET)
    assert grid is not None
    expected = as_calamine_reads(path, SHEET)
    assert typed(grid.rows()) == typed(expected)
    kinds = {type(value) for row in expected for value in row}
    assert {float, bool, str, dt.date, dt.datetime, dt.time, dt.timedelta} <= kinds
    assert len(grid.values) < sum(map(len, expected))  # cells alike share a code


def test_every_kind_of_cell_alone_and_together_reads_as_calamine_reads(tmp_path: Path) -> None:
    rows = [b'<row r="1"><c r="A1" t="inlineStr"><is><t>H</t></is></c></row>']
    rows += [b'<row r="%d"><c r="A%d"%s<c r="B%d"%s</row>' % (n, n, tail, n, tail) for n, tail in enumerate(TAILS, 2)]
    path = write_raw(tmp_path / "book.xlsx", rows)
    grid = columnar.read_grid(path, SHEET)
    assert grid is not None
    assert typed(grid.rows()) == typed(as_calamine_reads(path, SHEET))


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([b'<row r="1"><x:c r="A1"><x:v>1</x:v></x:c><c r="B1"><v>2</v></c></row>'], id="prefixed cell"),
        pytest.param([b'<row r="1"><c r="A1"><v>1</v></c><c><v>2</v></c></row>'], id="cell without a reference"),
        pytest.param([b'<row r="1"><c s="1" r="A1"><v>1</v></c></row>'], id="attribute before the reference"),
        pytest.param([b'<row r="1"><c r="A1"><v>1</v></c><c r="A1"><v>2</v></c></row>'], id="cell written twice"),
        pytest.param([b'<row r="2"><c r="B2"><v>1</v></c></row>'], id="values from B2"),
        pytest.param([b'<row r="1"><c r="a1"><v>1</v></c></row>'], id="lower-case reference"),
        pytest.param([b'<row r="1"><c r="A1" s="3"/></row>'], id="no value at all"),
        pytest.param(
            [
                b'<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[x</c><c r="B1"><v>5</v></c>]]></t></is></c></row>',
                b'<row r="2"><c r="A2"><v>2</v></c></row>',
            ],
            id="markup in CDATA",
        ),
        pytest.param(
            [b'<row r="1"><c r="A1"><v>1</v></c><!-- <c r="B1"><v>2</v></c> --></row>'], id="cell in a comment"
        ),
        pytest.param(
            [b'<row r="1"><c r="A1"><v>1</v></c><c r="F1" t="e"><v>#N/A</v></c></row>'], id="error at the edge"
        ),
        pytest.param(
            [b'<row r="1"><c r="A1"><v>1</v></c></row><row r="9"><c r="A9" t="inlineStr"><is><t/></is></c></row>'],
            id="empty text below",
        ),
    ],
)
def test_a_sheet_of_another_layout_is_left_to_the_reading_cell_by_cell(tmp_path: Path, rows: list[bytes]) -> None:
    path = write_raw(tmp_path / "book.xlsx", rows)
    assert columnar.read_grid(path, SHEET) is None


ROWS = [b'<row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>3</v></c></row>']


def rewritten(path: Path, sheet: Callable[[bytes], bytes] | None = None, renames: dict[str, str] | None = None) -> Path:
    """``path`` with its sheet's XML changed by ``sheet`` and entries renamed."""
    with zipfile.ZipFile(path) as package:
        entries = [(entry.filename, package.read(entry.filename)) for entry in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries:
            if name == "xl/worksheets/sheet1.xml" and sheet is not None:
                data = sheet(data)
            package.writestr((renames or {}).get(name, name), data)
    return path


def cells_of(body: bytes) -> Callable[[bytes], bytes]:
    """A change of the sheet's XML that puts ``body`` in place of its sheet data."""
    return lambda xml: re.sub(rb"<sheetData>.*</sheetData>", lambda _: body, xml, flags=re.S)


# Files that make a scan of the XML see other cells than calamine's parser sees (found by a hostile review).
TRICKS: dict[str, tuple[list[bytes], Callable[[bytes], bytes] | None]] = {
    "second reference": ([ROWS[0], b'<row r="2"><c r="A2" r="B2"><v>5</v></c><c r="C2"><v>7</v></c></row>'], None),
    "prefix of digits": ([b'<row r="1"><1:c r="B1"><1:v>2</1:v></1:c><c r="A1"><v>1</v></c></row>'], None),
    "empty prefix": ([b'<row r="1"><:c r="B1"><:v>2</:v></:c><c r="A1"><v>1</v></c></row>'], None),
    "sheet data in a comment before": (
        ROWS,
        lambda xml: xml.replace(
            b"<sheetData>", b'<!-- <sheetData><row r="1"><c r="B1"><v>2</v></c></row> --><sheetData>', 1
        ),
    ),
    "sheet data in an attribute before": (
        ROWS,
        lambda xml: xml.replace(
            b'<sheetView workbookViewId="0"/>',
            b'<sheetView workbookViewId="0" x=\'<sheetData><row r="1"><c r="B1"><v>3</v></c></row>\'/>',
            1,
        ),
    ),
    "first sheet data with an attribute": (
        ROWS,
        cells_of(
            b'<sheetData foo="1"><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
            b'<sheetData><row r="1"><c r="A1"><v>2</v></c></row></sheetData>'
        ),
    ),
    "first sheet data empty": (
        ROWS,
        cells_of(b'<sheetData/><sheetData><row r="1"><c r="A1"><v>2</v></c></row></sheetData>'),
    ),
    "end tag with a space, then more": (
        ROWS,
        cells_of(
            b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData >'
            b'<sheetData><row r="2"><c r="A2"><v>2</v></c></row></sheetData>'
        ),
    ),
    "end of sheet data in a row's attribute": (
        [ROWS[0], b'<row r="2" x=\'</sheetData>\'><c r="A2"><v>2</v></c></row>'],
        None,
    ),
    "a cell in an attribute": (
        [
            b'<row r="1"><c r="A1"><v>5</v></c><c r="B1"><v>0</v></c><c r="C1"><v>0</v></c></row>',
            b'<row r="2"><c r="A2" a=\'/><c r="B2"><v>5</v></c><c r="C2"/>\'><v>1</v></c></row>',
        ],
        None,
    ),
    "an element after a cell": ([b'<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>5</v></c><x/></row>'], None),
    "extLst after the last cell": ([b'<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>5</v></c><extLst/></row>'], None),
    "a tag between rows": ([ROWS[0], b"<x/>", b'<row r="2"><c r="A2"><v>2</v></c></row>'], None),
    "a cell outside rows": ([ROWS[0], b'<c r="B2"><v>2</v></c>'], None),
    "row 0": ([b'<row r="0"><c r="A1"><v>1</v></c></row>'], None),
    "row without a number": ([b'<row r=""><c r="A1"><v>1</v></c></row>'], None),
    "row numbered last": ([b'<row spans="1:1" r="0"><c r="A1"><v>1</v></c></row>'], None),
    "cell on row 0": ([ROWS[0], b'<row r="2"><c r="B0"><v>1</v></c></row>'], None),
    "prefixed sheet data first": (
        ROWS,
        cells_of(
            b'<s:sheetData xmlns:s="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<s:row r="1"><s:c r="A1"><s:v>1</s:v></s:c></s:row><s:row r="2"><s:c r="A2"><s:v>2</s:v></s:c></s:row>'
            b'</s:sheetData><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row></sheetData>'
        ),
    ),
    "sheet data in an attribute of the head": (
        ROWS,
        cells_of(
            b'<x a="><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row></sheetData>"/>'
            b'<s:sheetData xmlns:s="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<s:row r="1"><s:c r="A1"><s:v>1</s:v></s:c></s:row></s:sheetData>'
        ),
    ),
    "a formatted blank's attribute hiding a cell": (
        [ROWS[0], b'<row r="2"><c r="A2" a=\'/><c r="B2"><v>5</v>\'><v>1</v></c></row>'],
        None,
    ),
    "a row's attribute spanning a row": (
        [b'<row a=\'><c r="A1"><v>7</v></c><c r="B1"><v>8</v></c></row><row b=\'><c r="A2"><v>1</v></c></row>'],
        None,
    ),
    "a cell's text after its tag closed": ([b'<row r="1"><c r="A1"><v>1</v></c><c r="B1" s="1">/></row>'], None),
    "row number with a letter": ([b'<row r="1x"><c r="A1"><v>1</v></c></row>'], None),
    "row 0 closed in its tag": ([ROWS[0], b'<row r="0"/>', b'<row r="2"><c r="A2"><v>2</v></c></row>'], None),
    "a row's end alone": ([ROWS[0], b'</row><row r="2"><c r="A2"><v>2</v></c></row>'], None),
    "a quote left open in a row": ([ROWS[0], b'<row a=\'r="2"><c r="A2"><v>2</v></c></row>'], None),
    "doubled quote in a formatted blank": ([b'<row r="1"><c r="A1"><v>1</v></c><c r="B1""/></row>'], None),
}


@pytest.mark.parametrize("trick", list(TRICKS))
def test_a_trick_of_the_xml_gives_what_calamine_reads_or_is_read_cell_by_cell(tmp_path: Path, trick: str) -> None:
    rows, change = TRICKS[trick]
    path = rewritten(write_raw(tmp_path / "book.xlsx", rows), change)
    grid = columnar.read_grid(path, SHEET)
    try:
        expected = as_calamine_reads(path, SHEET)
    except CalamineError:
        assert grid is None
        return
    assert grid is None or typed(grid.rows()) == typed(expected)


@pytest.mark.parametrize("name", ["xl/Styles.xml", "xl\\styles.xml"])
def test_parts_named_in_another_case_are_in_the_copy_calamine_reads(tmp_path: Path, name: str) -> None:
    path = write_raw(tmp_path / "book.xlsx", [b'<row r="1"><c r="A1" s="1"><v>46027</v></c></row>'])
    rewritten(path, renames={"xl/styles.xml": name})
    grid = columnar.read_grid(path, SHEET)
    assert grid is not None and grid.rows() == as_calamine_reads(path, SHEET) == [[dt.date(2026, 1, 5)]]


@pytest.mark.parametrize(
    "target", ["./worksheets/sheet1.xml", "../xl/worksheets/sheet1.xml", "worksheets/a/../sheet1.xml"]
)
def test_a_sheet_calamine_finds_elsewhere_is_left_to_calamine(tmp_path: Path, target: str) -> None:
    path = write_raw(tmp_path / "book.xlsx", ROWS)
    with zipfile.ZipFile(path) as package:
        entries = [(entry.filename, package.read(entry.filename)) for entry in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries:
            if name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b'Target="worksheets/sheet1.xml"', b'Target="%s"' % target.encode())
            package.writestr(name, data)
        literal = "xl/" + target  # the entry a reader that takes the target literally opens
        package.writestr(
            literal, b'<worksheet><sheetData><row r="1"><c r="A1"><v>666</v></c></row></sheetData></worksheet>'
        )
    grid = columnar.read_grid(path, SHEET)
    assert grid is None or typed(grid.rows()) == typed(as_calamine_reads(path, SHEET))


def test_two_parts_whose_names_differ_in_case_only_leave_the_sheet_to_calamine(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "book.xlsx", [b'<row r="1"><c r="A1"><v>1</v></c></row>'])
    with zipfile.ZipFile(path, "a") as package:
        package.writestr("xl/worksheets/Sheet1.xml", b"<worksheet/>")
    assert columnar.read_grid(path, SHEET) is None


def test_a_row_whose_only_value_is_nan_is_left_out_as_cell_by_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = b"".join(
        b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (column_letter(i).encode(), column.en.encode())
        for i, column in enumerate(SPEC.columns)
    )
    rows = [
        b'<row r="1">' + header + b"</row>",
        b'<row r="2"><c r="B2" t="inlineStr"><is><t>C1</t></is></c></row>',
        b'<row r="3"><c r="A3"><v>NaN</v></c></row>',
        b'<row r="4"><c r="B4" t="inlineStr"><is><t>C2</t></is></c></row>',
    ]
    path = write_raw(tmp_path / "book.xlsx", rows)
    monkeypatch.setattr(reader, "BACKGROUND_SHEETS", (SPEC,))
    as_columns = reader.read_alone(path, SPEC, SHEET)
    monkeypatch.setattr(reader, "read_grid", lambda path, name: None)
    same_sheet(as_columns, reader.read_alone(path, SPEC, SHEET))
    assert list(as_columns.frame.index) == [2, 4]


def test_cells_that_are_not_in_rows_are_left_to_calamine_without_holding_them(tmp_path: Path) -> None:
    cells = b"".join(b'<c r="A%d" s="1"/>' % number for number in range(1, 200_000))
    path = rewritten(write_raw(tmp_path / "book.xlsx", ROWS), cells_of(b"<sheetData>" + cells + b"</sheetData>"))
    assert columnar.read_grid(path, SHEET) is None


def test_blank_cells_inside_the_range_need_not_be_told_apart(tmp_path: Path) -> None:
    rows = [
        b'<row r="1"><c r="A1"><v>1</v></c><c r="B1" t="e"><v>#N/A</v></c><c r="C1"><v>3</v></c></row>',
        b'<row r="2"><c r="A2" t="inlineStr"><is><t></t></is></c><c r="D2" s="3"/><c r="E2"></c></row>',
        b'<row r="3"><c r="B3" s="2"></c><c r="C3"><v>5</v></c></row>',
    ]
    path = write_raw(tmp_path / "book.xlsx", rows)
    grid = columnar.read_grid(path, SHEET)
    assert grid is not None and grid.codes.shape == (3, 3)
    assert typed(grid.rows()) == typed(as_calamine_reads(path, SHEET))
    assert grid.codes[2, 1] == -1  # a cell without a value holds none in the grid either


def test_formatted_blank_cells_around_the_values_are_not_part_of_the_sheet(tmp_path: Path) -> None:
    rows = [b'<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c>' + b'<c r="Z1" s="3"/></row>']
    rows += [b'<row r="%d"><c r="A%d" s="1"/><c r="B%d" s="2"/></row>' % (n, n, n) for n in range(2, 500)]
    path = write_raw(tmp_path / "book.xlsx", rows)
    grid = columnar.read_grid(path, SHEET)
    assert grid is not None and grid.codes.shape == (1, 2)
    assert typed(grid.rows()) == typed(as_calamine_reads(path, SHEET))


@pytest.mark.parametrize(
    "rows",
    [
        [b'<row r="1"><c r="A1"><v>1</v></c></row>', b'<row r="1048576"><c r="XFD1048576" s="1"></c></row>'],
        [b'<row r="1"><c r="A1"><v>1</v></c><c r="A1" s="2"></c><c r="B1" s="2"/></row>'],
    ],
    ids=["far out", "beside a value"],
)
def test_an_element_holding_nothing_is_not_a_cell_of_the_sheet(tmp_path: Path, rows: list[bytes]) -> None:
    """A cell element closed with nothing in it has no value: it is not in calamine's range of the sheet, whether
    it lies past the last cell Excel's grid can hold a value in or shares a place with a cell that has one."""
    path = write_raw(tmp_path / "book.xlsx", rows)
    grid = columnar.read_grid(path, SHEET)
    assert grid is not None and grid.codes.shape == (1, 1)
    assert typed(grid.rows()) == typed(as_calamine_reads(path, SHEET)) == typed([[1.0]])


def test_an_element_holding_nothing_that_reads_as_a_value_is_left_to_calamine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cells whose element holds nothing are left out of the grid before their values are read; should calamine read
    a value from one, the sheet is read cell by cell."""
    path = write_raw(tmp_path / "book.xlsx", [b'<row r="1"><c r="A1"><v>1</v></c><c r="B1" s="2"></c></row>'])
    reading = columnar._values_of

    def a_value_for_every_tail(*args: object, **kwargs: object) -> list[object]:
        return [value if value != "" else "a value" for value in reading(*args, **kwargs)]  # type: ignore[arg-type]

    monkeypatch.setattr(columnar, "_values_of", a_value_for_every_tail)
    assert columnar.read_grid(path, SHEET) is None


def test_a_sheet_with_more_values_than_a_sheet_may_hold_is_left_to_the_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_raw(tmp_path / "book.xlsx", random_rows(4))
    monkeypatch.setattr(columnar, "MAX_USED_CELLS", 100)  # the scan stops counting there, before holding more
    assert columnar.read_grid(path, SHEET) is None


@pytest.mark.parametrize(
    "far",
    [
        pytest.param("XFD1048576", id="past the last column"),
        pytest.param("AA1048576", id="27 columns of a million rows"),
        pytest.param("BL600000", id="64 columns down to row 600,000"),
    ],
)
def test_a_value_far_outside_the_table_is_left_to_the_checks_that_refuse_it(tmp_path: Path, far: str) -> None:
    """The limits' scan leaves the range to the columnar read (``range_bounded_by_reader``): the read places no grid
    beyond the limit, and the reading cell by cell refuses the sheet, naming the cell."""
    number = int(re.sub("[A-Z]", "", far))
    rows = [*random_rows(5), b'<row r="%d"><c r="%s"><v>1</v></c></row>' % (number, far.encode())]
    path = write_raw(tmp_path / "book.xlsx", rows)
    assert columnar.read_grid(path, SHEET) is None
    with pytest.raises(BeyondLimits, match=f"{SHEET}!{far} holds a value far outside the table"):
        reader.read_alone(path, schema.INTERACTIONS, SHEET)


@pytest.mark.parametrize("far", [False, True], ids=["near", "far"])
@pytest.mark.parametrize("where", ["before", "after"])
def test_a_cell_outside_the_sheet_data_is_left_to_the_reading_cell_by_cell(
    tmp_path: Path, where: str, far: bool
) -> None:
    """calamine leaves a cell outside ``<sheetData>`` out, but the limits count it in the sheet's range: the sheet is
    read cell by cell, whose check of the whole part refuses a far one, as before the columnar read bounded the range
    of the cells it places."""
    cell = b'<c r="XFD1048576"><v>5</v></c>' if far else b'<c r="Z20"><v>5</v></c>'
    path = write_raw(tmp_path / "book.xlsx", random_rows(7))  # 12 columns, A to L
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/sheet"))
    around = b"<extra>%s</extra>" % cell
    parts[sheet] = (
        parts[sheet].replace(b"<sheetData>", around + b"<sheetData>")
        if where == "before"
        else parts[sheet].replace(b"</sheetData>", b"</sheetData>" + around)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    assert columnar.read_grid(path, SHEET) is None
    if far:
        with pytest.raises(BeyondLimits, match=f"{SHEET}!XFD1048576 holds a value far outside the table"):
            reader.read_alone(path, schema.INTERACTIONS, SHEET)
    else:
        read = reader.read_alone(path, schema.INTERACTIONS, SHEET)
        assert read.width == 12 and max(map(len, as_calamine_reads(path, SHEET))) == 12  # Z20 left out


def test_a_text_longer_than_excel_allows_is_refused_by_the_columnar_read_naming_the_cell(tmp_path: Path) -> None:
    """Leaving the range to the columnar read leaves the texts to the limits' scan all the same."""
    long_cell = b'<row r="900"><c r="C900" t="inlineStr"><is><t>' + b"x" * 50_000 + b"</t></is></c></row>"
    path = write_raw(tmp_path / "book.xlsx", [*random_rows(6), long_cell])
    with pytest.raises(BeyondLimits, match="C900"):
        columnar.read_grid(path, SHEET)


def fixture_sheets() -> list[tuple[Path, str]]:
    found = []
    for path in sorted(DATA.rglob("*.xlsx")):
        book = CalamineWorkbook.from_path(str(path))
        try:
            found += [(path, name) for name in book.sheet_names]
        finally:
            book.close()
    return found


def test_every_sheet_of_the_workbooks_other_programs_saved_reads_as_calamine_reads() -> None:
    read = 0
    for path, name in fixture_sheets():
        grid = columnar.read_grid(path, name)
        if grid is None:
            continue
        read += 1
        assert typed(grid.rows()) == typed(as_calamine_reads(path, name)), (path.name, name)
    assert read >= 100  # the usual layout is what Excel, LibreOffice, openpyxl and XlsxWriter write


def test_the_sheet_without_its_cells_holds_the_conditional_formats_and_validations_of_the_part() -> None:
    """What the read keeps of a sheet besides its cells gives the rules that reading the part again gives."""
    compared = 0
    for path, name in fixture_sheets():
        grid = columnar.read_grid(path, name)
        if grid is None:
            continue
        assert grid.without_cells is not None
        root = grid.without_cells.root()
        assert [element for element in root.iter("{*}c")] == []  # no cell is left in it
        try:
            from_part = conditional_rules(path, name)
        except WorkbookError:  # a Strict Open XML workbook, which xlcrm changes nothing of
            continue
        found = conditional_rules(path, name, grid.without_cells)
        assert found == from_part, (path.name, name)
        validations = [element.get("sqref") for element in root.iter("{*}dataValidation")]
        assert validations == [sqref for sqref, _ in validation_formulas(path, name)], (path.name, name)
        compared += bool(found)
    assert compared >= 5  # Excel, LibreOffice, openpyxl and XlsxWriter all write conditional formats


def same_sheet(first: reader.SheetData, second: reader.SheetData) -> None:
    """Two readings of a sheet hold the same: every value of the same type, the same rows and columns."""
    for attribute in ("frame", "extra_values"):
        one, other = getattr(first, attribute), getattr(second, attribute)
        assert list(one.columns) == list(other.columns) and list(one.index) == list(other.index)
        assert one.index.name == other.index.name
        for key in one.columns:
            assert typed([one[key].tolist()]) == typed([other[key].tolist()]), key
    assert {k: typed([list(v.items())]) for k, v in first.owned_values.items()} == {
        k: typed([list(v.items())]) for k, v in second.owned_values.items()
    }
    for attribute in ("letters", "extra_columns", "missing_columns", "header_clashes", "width", "extra_letters"):
        assert getattr(first, attribute) == getattr(second, attribute), attribute
    assert first.misplaced_header == second.misplaced_header
    assert (first.raw_rows is None) == (second.raw_rows is None)
    if first.raw_rows is not None and second.raw_rows is not None:
        assert typed([list(row) for row in first.raw_rows]) == typed([list(row) for row in second.raw_rows])


@pytest.mark.parametrize("spec", [schema.INTERACTIONS, schema.CLIENTS])
@pytest.mark.parametrize("seed", range(4))
def test_a_sheet_read_as_columns_is_the_sheet_read_cell_by_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: schema.Sheet, seed: int
) -> None:
    rows = mixed_rows(200, seed=seed)
    header = [*(column.en for column in spec.columns), "My notes", OWNED, "  ", "My notes"]
    pick = random.Random(seed)
    rows = [header] + [[*row, *(pick.choice(POOL) for _ in range(len(header) - len(row)))] for row in rows[1:]]
    rows[5] = rows[5][:3]
    rows[17] = [*rows[17], *[None] * 6, "far right"]
    path = write_workbook(tmp_path / "book.xlsx", {spec.en: rows})
    monkeypatch.setattr(reader, "BACKGROUND_SHEETS", (spec,))  # the columnar read is for those
    as_columns = reader.read_alone(path, spec, spec.en)
    monkeypatch.setattr(reader, "read_grid", lambda path, name: None)
    cell_by_cell = reader.read_alone(path, spec, spec.en)
    same_sheet(as_columns, cell_by_cell)
    assert len(as_columns.frame) > 150 and as_columns.owned_values[OWNED]
    # The codes of each schema column come along, as factorize_cells works them out from the cells.
    assert set(as_columns._distinct) == set(as_columns.frame.columns)
    for key in as_columns.frame.columns:
        codes, distinct = as_columns.distinct(key)
        expected_codes, expected_distinct = reader.factorize_cells(as_columns.frame[key])
        assert codes.dtype == np.int32 and np.array_equal(codes, expected_codes)
        assert typed([distinct]) == typed([expected_distinct])


def test_a_table_s_header_and_total_rows_are_left_out_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = mixed_rows(30, seed=9)
    path = write_workbook(tmp_path / "book.xlsx", {SPEC.en: rows})
    monkeypatch.setattr(reader, "_table_furniture", lambda path, name: frozenset({2, 9, 30}))
    as_columns = reader.read_alone(path, SPEC, SPEC.en)
    monkeypatch.setattr(reader, "read_grid", lambda path, name: None)
    same_sheet(as_columns, reader.read_alone(path, SPEC, SPEC.en))
    assert not {2, 9, 30} & set(as_columns.frame.index)


def test_the_codes_cover_each_cell_once(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "book.xlsx", random_rows(3))
    grid = columnar.read_grid(path, SHEET)
    assert grid is not None
    assert grid.codes.dtype == np.int32 and grid.codes.min() >= -1 and grid.codes.max() < len(grid.values)


@pytest.mark.parametrize("distinct", [2**15 - 2, 2**15 + 2, 2**16 + 2])
def test_a_piece_with_more_distinct_cells_than_a_narrow_code_holds_reads_as_calamine_reads(
    tmp_path: Path, distinct: int
) -> None:
    """A piece's cells are kept with codes as narrow as its distinct tails allow; past 2**15 they are wider, with a
    long tail among them (code -1) in either case."""
    long_text = b' t="inlineStr"><is><t>%s</t></is></c>' % (b"a text longer than the words compared " * 2)
    rows = [b'<row r="1"><c r="A1"><v>0</v></c><c r="Z1"%s</row>' % long_text]
    rows += [b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n) for n in range(2, distinct + 2)]
    path = write_raw(tmp_path / "book.xlsx", rows)

    grid = columnar.read_grid(path, SHEET)

    assert grid is not None and grid.codes.shape == (distinct + 1, 26)
    assert len(grid.values) == distinct + 2
    assert typed(grid.rows()) == typed(as_calamine_reads(path, SHEET))


def test_a_tail_is_one_value_in_pieces_whose_longest_tails_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A piece of short tails compares fewer words than a piece with longer ones: the same tail in both is still
    one value, read once."""
    monkeypatch.setattr(columnar, "SCAN_CHUNK", 256)
    short = b"><v>7</v></c>"
    longer = b' s="2" t="inlineStr"><is><t>a text of forty bytes</t></is></c>'
    rows = [b'<row r="%d"><c r="A%d"%s</row>' % (n, n, short) for n in range(1, 40)]
    rows += [b'<row r="%d"><c r="A%d"%s<c r="B%d"%s</row>' % (n, n, short, n, longer) for n in range(40, 80)]
    path = write_raw(tmp_path / "book.xlsx", rows)

    grid = columnar.read_grid(path, SHEET)

    assert grid is not None
    assert grid.rows() == as_calamine_reads(path, SHEET)
    assert sorted(map(str, grid.values)) == ["7.0", "a text of forty bytes"]
