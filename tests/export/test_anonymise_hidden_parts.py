"""The anonymised copy of a workbook whose notes, document properties, charts, formula results laid out with
whitespace and dialog sheets hold personal data: none of it survives in any part of the copy."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment

from tests.conftest import convert_with_libreoffice
from tests.package_checks import assert_package_consistent
from xlcrm import schema
from xlcrm.cli.main import cli

NOTE = "Ivan Petrov asked to call back, +7 916 123-45-67"
THREADED = "Threaded: Ivan Petrov lives at Tverskaya 7"
PERSON = "Ivan Petrov Commenter"
NOTE_AUTHOR = "Petrov Note Author"
PROPERTIES = {
    "title": "Title Ivan Petrov",
    "subject": "Subject Ivan Petrov",
    "keywords": "Keywords Ivan Petrov",
    "description": "Description Ivan Petrov",
    "creator": "Creator Ivan Petrov",
    "lastModifiedBy": "Editor Ivan Petrov",
}
COMPANY, MANAGER, CUSTOM = "Company of Ivan Petrov", "Manager Ivan Petrov", "Client Ivan Petrov"
FORMULA_RESULT = "Ivan Petrov SECRET"
CHART_NAME, CHART_NUMBER = "Chart cache Ivan Petrov", "9161234567"
DIALOG_TEXT = "Dialog sheet text to keep"
SCRATCH = "Scratch"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A demo workbook (English), as ``xlcrm demo`` writes it."""
    path = tmp_path / "demo.xlsx"
    result = CliRunner().invoke(cli, ["demo", str(path), "--clients", "20", "--locale", "en", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    return path


def rewrite(path: Path, changes: dict[str, Callable[[bytes], bytes]]) -> None:
    """Change parts of the package at ``path`` (a part it lacks is given b"")."""
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    for name, change in changes.items():
        parts[name] = change(parts.get(name, b""))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)


def part_of_sheet(path: Path, name: str) -> str:
    """The zip entry of sheet ``name``."""
    book = load_workbook(path)
    return f"xl/worksheets/sheet{book.sheetnames.index(name) + 1}.xml"


def planted_in(path: Path, texts: list[str]) -> list[tuple[str, str]]:
    """(part, text) for each of ``texts`` found in the bytes of any part of the package at ``path``."""
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    return [(name, text) for name, data in parts.items() for text in texts if text.encode() in data]


def export_anonymised(source: Path, target: Path) -> None:
    result = CliRunner().invoke(cli, ["export", str(source), "--anonymise", str(target)])
    assert result.exit_code == 0, result.output


def plant_hidden_personal_data(path: Path) -> None:
    """A note and a threaded comment on Clients!B2, document properties (a custom one too), a chart of Clients with
    cached values, and a sheet whose formula cell keeps its result with whitespace between its children."""
    book = load_workbook(path)
    clients = book[schema.CLIENTS.name("en")]
    clients["B2"].comment = Comment(NOTE, NOTE_AUTHOR)
    for field, text in PROPERTIES.items():
        setattr(book.properties, field, text)
    chart = BarChart()
    chart.add_data(Reference(clients, min_col=1, min_row=1, max_row=5), titles_from_data=True)
    chart.set_categories(Reference(clients, min_col=2, min_row=2, max_row=5))
    clients.add_chart(chart, "T2")
    book.create_sheet(SCRATCH)["A1"] = "scratch"
    book.save(path)
    clients_part = part_of_sheet(path, schema.CLIENTS.name("en"))
    scratch_part = part_of_sheet(path, SCRATCH)
    clients_rels = clients_part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    threaded = (
        '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        '<threadedComment ref="B2" dT="2026-11-20T10:00:00.00" personId="{11111111-1111-1111-1111-111111111111}" '
        f'id="{{22222222-2222-2222-2222-222222222222}}"><text>{THREADED}</text></threadedComment></ThreadedComments>'
    )
    persons = (
        '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        f'<person displayName="{PERSON}" id="{{11111111-1111-1111-1111-111111111111}}" userId="ivan@romashka.ru" '
        'providerId="Windows Live"/></personList>'
    )
    office = "http://schemas.microsoft.com/office/2017/10/relationships"
    custom = (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Client">'
        f"<vt:lpwstr>{CUSTOM}</vt:lpwstr></property></Properties>"
    )

    def add_rel(rel_type: str, target: str, rel_id: str) -> Callable[[bytes], bytes]:
        return lambda data: data.replace(
            b"</Relationships>",
            f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{target}"/></Relationships>'.encode(),
        )

    def add_type(part: str, content_type: str) -> Callable[[bytes], bytes]:
        return lambda data: data.replace(
            b"</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'.encode()
        )

    def with_caches(data: bytes) -> bytes:
        data = re.sub(
            rb"(<strRef><f>[^<]*</f>)",
            rb'\1<strCache><ptCount val="1"/><pt idx="0"><v>' + CHART_NAME.encode() + rb"</v></pt></strCache>",
            data,
            count=1,
        )
        return re.sub(
            rb"(<numRef><f>[^<]*</f>)",
            rb'\1<numCache><formatCode>General</formatCode><ptCount val="1"/><pt idx="0"><v>'
            + CHART_NUMBER.encode()
            + rb"</v></pt></numCache>",
            data,
        )

    def with_result(data: bytes) -> bytes:
        row = f'<row r="40"><c r="A40" t="str">\n <f>"x"</f>\n <v>{FORMULA_RESULT}</v>\n</c></row>'
        return re.sub(rb"</sheetData>", row.encode() + b"</sheetData>", data, count=1)

    with zipfile.ZipFile(path) as package:
        names = package.namelist()
    chart_part = next(name for name in names if name.startswith("xl/charts/chart"))
    rewrite(
        path,
        {
            "xl/threadedComments/threadedComment1.xml": lambda _: threaded.encode(),
            "xl/persons/person.xml": lambda _: persons.encode(),
            "docProps/custom.xml": lambda _: custom.encode(),
            "_rels/.rels": add_rel(
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
                "docProps/custom.xml",
                "rIdC1",
            ),
            clients_rels: add_rel(f"{office}/threadedComment", "../threadedComments/threadedComment1.xml", "rIdT1"),
            "xl/_rels/workbook.xml.rels": add_rel(f"{office}/person", "persons/person.xml", "rIdP1"),
            "[Content_Types].xml": lambda data: add_type(
                "docProps/custom.xml", "application/vnd.openxmlformats-officedocument.custom-properties+xml"
            )(
                add_type("xl/persons/person.xml", "application/vnd.ms-excel.person+xml")(
                    add_type(
                        "xl/threadedComments/threadedComment1.xml", "application/vnd.ms-excel.threadedcomments+xml"
                    )(data)
                )
            ),
            "docProps/app.xml": lambda data: data.replace(
                b"</Properties>", f"<Manager>{MANAGER}</Manager><Company>{COMPANY}</Company></Properties>".encode()
            ),
            chart_part: with_caches,
            scratch_part: with_result,
        },
    )


def test_notes_properties_chart_caches_and_spaced_formula_results_leave_no_trace(demo: Path, tmp_path: Path) -> None:
    plant_hidden_personal_data(demo)
    texts = [NOTE, THREADED, PERSON, NOTE_AUTHOR, *PROPERTIES.values(), COMPANY, MANAGER, CUSTOM, FORMULA_RESULT]
    texts += [CHART_NAME, CHART_NUMBER, "ivan@romashka.ru"]
    assert {text for _, text in planted_in(demo, texts)} == set(texts)  # every text is planted somewhere
    target = tmp_path / "for accountant.xlsx"

    export_anonymised(demo, target)

    assert planted_in(target, texts) == []
    assert_package_consistent(target)  # every part kept, with its relationships and content type
    copy = load_workbook(target)  # openpyxl opens it
    note = copy[schema.CLIENTS.name("en")]["B2"].comment
    assert note is None or not note.text.strip()
    assert str(copy[SCRATCH]["A40"].value) == '="x"'  # the formula stays, its result goes
    assert len(copy[schema.CLIENTS.name("en")]._charts) == 1  # the chart stays, without its caches
    csv = convert_with_libreoffice(target, "csv", tmp_path / "opened")  # so does LibreOffice
    assert csv.read_text(encoding="utf-8", errors="replace").strip()
    with zipfile.ZipFile(target) as package:
        chart = next(package.read(name) for name in package.namelist() if name.startswith("xl/charts/chart"))
    assert b"<f>" in chart and b"Cache" not in chart


def test_shared_strings_a_dialog_sheet_shows_are_kept(demo: Path, tmp_path: Path) -> None:
    """A dialog sheet's cells show shared strings too: the copy keeps those entries (the sheet is copied as it is),
    and still empties the entries no sheet shows."""
    dialog = (
        '<dialogsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></dialogsheet>'
    )
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
        f"<si><t>{DIALOG_TEXT}</t></si><si><t>{FORMULA_RESULT}</t></si></sst>"
    )
    relationships = (
        '<Relationship Id="rIdM1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/dialogsheet" '
        'Target="dialogsheets/sheet1.xml"/><Relationship Id="rIdS1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    )
    types = (
        '<Override PartName="/xl/dialogsheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.dialogsheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    with zipfile.ZipFile(demo) as package:
        assert "xl/sharedStrings.xml" not in package.namelist()  # xlcrm writes its strings inline
    rewrite(
        demo,
        {
            "xl/dialogsheets/sheet1.xml": lambda _: dialog.encode(),
            "xl/sharedStrings.xml": lambda _: strings.encode(),
            "xl/workbook.xml": lambda data: data.replace(
                b"</sheets>",
                b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                b'name="Dialog1" '
                b'sheetId="99" r:id="rIdM1"/></sheets>',
            ),
            "xl/_rels/workbook.xml.rels": lambda data: data.replace(b"</Relationships>", relationships.encode()),
            "[Content_Types].xml": lambda data: data.replace(b"</Types>", types.encode()),
        },
    )
    target = tmp_path / "for accountant.xlsx"

    export_anonymised(demo, target)

    with zipfile.ZipFile(target) as package:
        copied = package.read("xl/sharedStrings.xml")
        assert DIALOG_TEXT.encode() in copied and FORMULA_RESULT.encode() not in copied
        assert package.read("xl/dialogsheets/sheet1.xml") == dialog.encode()
