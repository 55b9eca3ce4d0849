"""The limits scan looks at the parts python-calamine reads, found as calamine finds them: workbook.xml, its
relationships and sharedStrings.xml in the folder of the package's last officeDocument relationship, by those names;
each sheet through the first sheet of its name and the relationship its last ``id`` attribute names, Target and Id as
written; zip entries whatever the case of their names.

Each workbook here is a real one (the template xlcrm makes, or one openpyxl or xlsxwriter wrote) rewritten at the zip
level so that a scan of the parts its relationships name, resolved as a package reader resolves them, sees a clean
copy while python-calamine reads a cell of Clients 40,000 characters long. Before the scan followed calamine, such a
workbook was read without a refusal.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner
from lxml import etree
from python_calamine import CalamineWorkbook

from tests.builders import write_workbook
from tests.paths import DATA
from tests.test_bad_inputs import good_workbook, snapshot
from tests.xlsx.test_columnar import as_calamine_reads
from xlcrm import schema
from xlcrm.cli import cli
from xlcrm.errors import BeyondLimits
from xlcrm.importing.sources import read_source
from xlcrm.xlsx import limits
from xlcrm.xlsx.reader import read_workbook

TODAY = "2026-11-23"
CLIENTS = schema.CLIENTS.name("en")
NAME = b"Ivan Petrov"
LONG = "ы".encode() * 40_000
TOO_LONG = "holds a text of 40,000 characters, longer than Excel's limit of 32,767"
REFUSAL = f"sheet '{CLIENTS}', cell B2, {TOO_LONG}"
STRINGS_REFUSAL = f"the shared strings part (xl/sharedStrings.xml), used in {CLIENTS}!B2, {TOO_LONG}"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
DECOY = "xl/worksheets/decoy.xml"

Parts = dict[str, bytes]


def parts_of(path: Path) -> Parts:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_parts(path: Path, parts: Parts) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def clients_rows() -> list[list[object]]:
    return [[column.en for column in schema.CLIENTS.columns], ["C000001", NAME.decode()]]


def openpyxl_workbook(path: Path) -> Path:
    return write_workbook(path, {CLIENTS: clients_rows()})


def xlsxwriter_workbook(path: Path) -> Path:
    """Clients written with shared strings, as Excel writes text."""
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet(CLIENTS)
    for row, values in enumerate(clients_rows()):
        for column, value in enumerate(values):
            sheet.write(row, column, value)
    book.close()
    return path


def calamine_names(path: Path) -> list[str]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        return list(book.sheet_names)
    finally:
        book.close()


def replaced(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with its one ``old`` made ``new``."""
    assert data.count(old) == 1, (old, data[:300])
    return data.replace(old, new)


def clients_part(parts: Parts) -> str:
    """The zip entry of Clients, as the workbook was written (its parts named as Excel names them)."""
    sheet = re.search(rb'<sheet [^>]*name="%s"[^>]*r:id="([^"]+)"' % CLIENTS.encode(), parts["xl/workbook.xml"])
    assert sheet is not None
    for rel in etree.fromstring(parts[WORKBOOK_RELS]):
        if rel.get("Id") == sheet[1].decode():
            target = rel.get("Target")
            return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    raise AssertionError("no relationship for Clients")


def clients_target(parts: Parts) -> bytes:
    """The Target of Clients' relationship, as written."""
    part = re.escape(clients_part(parts).removeprefix("xl/").encode())
    target = re.search(rb'Target="(/?(?:xl/)?%s)"' % part, parts[WORKBOOK_RELS])
    assert target is not None
    return target[1]


def with_decoy_clients(parts: Parts) -> str:
    """A clean copy of Clients in ``DECOY``, and the text over the limit in the part python-calamine reads, which
    is returned."""
    real = clients_part(parts)
    parts[DECOY] = parts[real]
    parts[real] = replaced(parts[real], b">" + NAME + b"<", b">" + LONG + b"<")
    return real


def decoy_workbook_part(parts: Parts) -> None:
    """The package's relationships name xl/book2.xml, whose Clients is the clean copy; python-calamine reads
    workbook.xml beside it, by that name."""
    with_decoy_clients(parts)
    target = clients_target(parts)
    parts["xl/book2.xml"] = parts["xl/workbook.xml"]
    parts["xl/_rels/book2.xml.rels"] = replaced(parts[WORKBOOK_RELS], target, b"/" + DECOY.encode())
    parts["_rels/.rels"] = replaced(parts["_rels/.rels"], b'Target="xl/workbook.xml"', b'Target="xl/book2.xml"')


def add_decoy_folder(parts: Parts) -> None:
    """A decoy workbook in the folder decoy/, whose Clients is the clean copy; nothing names it yet."""
    with_decoy_clients(parts)
    parts["decoy/workbook.xml"] = parts["xl/workbook.xml"]
    parts["decoy/_rels/workbook.xml.rels"] = replaced(
        parts[WORKBOOK_RELS], clients_target(parts), b"/" + DECOY.encode()
    )


def decoy_folder_named_first(parts: Parts) -> None:
    """Two officeDocument relationships: the first names a decoy folder, python-calamine reads the last."""
    add_decoy_folder(parts)
    first = (
        b'<Relationship Id="rIdDecoy" Target="decoy/workbook.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    )
    parts["_rels/.rels"] = parts["_rels/.rels"].replace(b"<Relationship ", first + b"<Relationship ", 1)


def decoy_shared_strings(parts: Parts) -> None:
    """The workbook's relationships name a clean copy of the shared strings; python-calamine reads
    sharedStrings.xml, by that name."""
    parts["xl/decoyStrings.xml"] = parts["xl/sharedStrings.xml"]
    parts[WORKBOOK_RELS] = replaced(parts[WORKBOOK_RELS], b'Target="sharedStrings.xml"', b'Target="decoyStrings.xml"')
    parts["xl/sharedStrings.xml"] = replaced(parts["xl/sharedStrings.xml"], b">" + NAME + b"<", b">" + LONG + b"<")


def target_in_other_case(parts: Parts) -> None:
    """Clients' Target in capitals: python-calamine finds the entry whatever the case of its name."""
    real = with_decoy_clients(parts)
    target = clients_target(parts)
    parts[WORKBOOK_RELS] = replaced(parts[WORKBOOK_RELS], target, target.upper())
    assert real.upper().encode() in parts[WORKBOOK_RELS] and real.upper() not in parts


def external_target(parts: Parts) -> None:
    """Clients' relationship marked External: python-calamine does not read TargetMode."""
    with_decoy_clients(parts)
    target = clients_target(parts)
    parts[WORKBOOK_RELS] = replaced(parts[WORKBOOK_RELS], target + b'"', target + b'" TargetMode="External"')


def with_decoy_relationship(parts: Parts) -> None:
    """``with_decoy_clients``, and a relationship rIdDecoy of the workbook to the clean copy."""
    with_decoy_clients(parts)
    parts[WORKBOOK_RELS] = replaced(
        parts[WORKBOOK_RELS],
        b"</Relationships>",
        b'<Relationship Id="rIdDecoy" Target="/%s" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        b"</Relationships>" % DECOY.encode(),
    )


def second_sheet_of_the_name(parts: Parts) -> None:
    """A second sheet named Clients, after the first, points at the clean copy: python-calamine reads the first."""
    with_decoy_relationship(parts)
    second = b'<sheet name="%s" sheetId="99" r:id="rIdDecoy"/>' % CLIENTS.encode()
    workbook = replaced(parts["xl/workbook.xml"], b"</sheets>", second + b"</sheets>")
    parts["xl/workbook.xml"] = workbook.replace(
        b"<workbook ", b'<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ', 1
    )


def id_without_prefix(parts: Parts) -> None:
    """Clients' sheet has r:id naming the clean copy and a plain id after it naming its own part: python-calamine
    takes the last attribute whose local name is id."""
    with_decoy_relationship(parts)
    rel_id = re.search(rb'name="%s"[^>]*r:id="([^"]+)"' % CLIENTS.encode(), parts["xl/workbook.xml"])
    assert rel_id is not None
    parts["xl/workbook.xml"] = replaced(
        parts["xl/workbook.xml"], b'r:id="%s"/>' % rel_id[1], b'r:id="rIdDecoy" id="%s"/>' % rel_id[1]
    )


def character_reference_in_the_target(parts: Parts) -> None:
    """Clients' Target spells a digit as a character reference: python-calamine opens the entry of that name as
    written, a package reader the part the reference stands for."""
    real = clients_part(parts)
    digit = re.search(r"[0-9]", real)
    assert digit is not None
    written = f"{real[: digit.start()]}&#{ord(digit[0])};{real[digit.end() :]}"
    parts[written] = replaced(parts[real], b">" + NAME + b"<", b">" + LONG + b"<")
    target = clients_target(parts)
    parts[WORKBOOK_RELS] = replaced(parts[WORKBOOK_RELS], target, target.replace(real.encode(), written.encode()))


def tab_in_the_sheet_name(parts: Parts) -> None:
    """Clients' name ends with a tab as written: python-calamine keeps it (and xlcrm takes the sheet for Clients),
    an XML parser makes it a space."""
    with_decoy_clients(parts)
    parts["xl/workbook.xml"] = replaced(
        parts["xl/workbook.xml"], b'name="%s"' % CLIENTS.encode(), b'name="%s\t"' % CLIENTS.encode()
    )


@pytest.mark.parametrize("command", ["validate", "refresh"])
@pytest.mark.parametrize(
    "make, rewrite, refusal",
    [
        (good_workbook, decoy_workbook_part, REFUSAL),
        (openpyxl_workbook, decoy_workbook_part, REFUSAL),
        (xlsxwriter_workbook, decoy_shared_strings, STRINGS_REFUSAL),
    ],
    ids=["template, decoy workbook part", "openpyxl, decoy workbook part", "xlsxwriter, decoy shared strings"],
)
def test_a_long_cell_behind_a_decoy_part_is_refused_and_the_file_stays(
    tmp_path: Path, command: str, make: Callable[[Path], Path], rewrite: Callable[[Parts], None], refusal: str
) -> None:
    path = make(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    rewrite(parts)
    write_parts(path, parts)
    assert len(as_calamine_reads(path, CLIENTS)[1][1]) == 40_000  # what the reader would take
    before = snapshot(tmp_path)

    result = CliRunner().invoke(cli, [command, str(path), "--today", TODAY])

    assert result.exit_code == 1, result.output
    assert len(result.output.splitlines()) == 1 and result.output.startswith(f"Error: {path}: "), result.output
    assert refusal in result.output
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "rewrite",
    [
        decoy_workbook_part,
        target_in_other_case,
        external_target,
        second_sheet_of_the_name,
        id_without_prefix,
        character_reference_in_the_target,
        tab_in_the_sheet_name,
    ],
)
def test_the_scan_finds_the_sheet_where_calamine_finds_it(tmp_path: Path, rewrite: Callable[[Parts], None]) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    rewrite(parts)
    write_parts(path, parts)
    read_as = schema.find_sheet_name(schema.CLIENTS, calamine_names(path))
    assert read_as is not None
    assert len(as_calamine_reads(path, read_as)[1][1]) == 40_000

    # The sheet named as python-calamine reads it: with the tab, shown as \t.
    with pytest.raises(BeyondLimits, match=rf"sheet '{CLIENTS}(\\t)?', cell B2, {re.escape(TOO_LONG)}"):
        read_workbook(path)


FOREIGN = sorted((DATA / "foreign").glob("**/*.xls[xm]"))
NS_R = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}",
)


@pytest.mark.parametrize("path", FOREIGN, ids=[str(path.relative_to(DATA)) for path in FOREIGN])
def test_in_workbooks_other_programs_wrote_the_parts_are_those_the_relationships_name(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel, LibreOffice, openpyxl, xlsxwriter and pandas write xl/workbook.xml as the office document, the shared
    strings as xl/sharedStrings.xml and each sheet once: calamine's way finds the parts the relationships name."""
    parts = parts_of(path)
    named = {}
    for rel in etree.fromstring(parts[WORKBOOK_RELS]):
        target = rel.get("Target")
        named[rel.get("Id")] = (
            rel.get("Type").rsplit("/", 1)[1],
            posixpath.normpath(posixpath.join("/xl", target))[1:],
        )
    sheets = {
        sheet.get("name"): named[next(sheet.get(ns + "id") for ns in NS_R if sheet.get(ns + "id"))][1]
        for sheet in etree.fromstring(parts["xl/workbook.xml"]).iter("{*}sheet")
    }
    strings = [part for kind, part in named.values() if kind == "sharedStrings"]
    scanned: list[str] = []
    monkeypatch.setattr(limits, "scan_part", lambda archive, part, *args, **kwargs: scanned.append(part))

    limits.check_package(path)  # scans the shared strings

    assert scanned == strings
    with zipfile.ZipFile(path) as archive:
        assert limits.sheet_parts(archive) == sheets


def decoy_folder_with_its_type_escaped(parts: Parts) -> None:
    """``decoy_folder_named_first``, the end of the decoy's Type written with a character reference: python-calamine
    compares it as written and does not take it for a main document, xlcrm's writer unescapes it and does."""
    decoy_folder_named_first(parts)
    parts["_rels/.rels"] = replaced(
        parts["_rels/.rels"],
        b'Target="decoy/workbook.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'officeDocument"',
        b'Target="decoy/workbook.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'officeDocumen&#x74;"',
    )


def decoy_folder_in_a_nested_element(parts: Parts) -> None:
    """``decoy_folder_named_first``, the decoy's relationship inside a Relationships element of its own: calamine
    stops reading at its end and takes the decoy, xlcrm's writer reads the root's own relationships."""
    decoy_folder_named_first(parts)
    parts["_rels/.rels"] = replaced(
        parts["_rels/.rels"], b'<Relationship Id="rIdDecoy"', b'<Relationships><Relationship Id="rIdDecoy"'
    )
    rels = parts["_rels/.rels"]
    end = rels.index(b"/>", rels.index(b'Id="rIdDecoy"')) + 2
    parts["_rels/.rels"] = rels[:end] + b"</Relationships>" + rels[end:]


def decoy_folder_of_another_type(parts: Parts) -> None:
    """``decoy_folder_named_first``, the decoy's Type ending with /officeDocument but not of the OOXML namespaces:
    calamine and xlcrm's writer pass over it, a reader testing only the end of the Type does not."""
    decoy_folder_named_first(parts)
    parts["_rels/.rels"] = replaced(
        parts["_rels/.rels"],
        b'Target="decoy/workbook.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'officeDocument"',
        b'Target="decoy/workbook.xml" Type="urn:example/officeDocument"',
    )


@pytest.mark.parametrize("command", ["validate", "refresh"])
@pytest.mark.parametrize(
    "rewrite",
    [
        decoy_folder_named_first,
        decoy_folder_with_its_type_escaped,
        decoy_folder_in_a_nested_element,
        decoy_folder_of_another_type,
    ],
)
def test_a_package_naming_two_main_documents_is_refused_and_the_file_stays(
    tmp_path: Path, command: str, rewrite: Callable[[Parts], None]
) -> None:
    """python-calamine reads the last of the two, xlcrm's writer edits the first: neither is taken for the other."""
    path = good_workbook(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    rewrite(parts)
    write_parts(path, parts)
    before = snapshot(tmp_path)

    result = CliRunner().invoke(cli, [command, str(path), "--today", TODAY])

    assert result.exit_code == 1, result.output
    assert result.output == (
        f"Error: {path} cannot be read: its package names 2 main documents, where Excel and LibreOffice write one; "
        "save the workbook again from Excel or LibreOffice\n"
    )
    assert snapshot(tmp_path) == before


def test_the_refusal_of_two_main_documents_is_in_russian_for_a_russian_run(tmp_path: Path) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    decoy_folder_named_first(parts)
    write_parts(path, parts)

    result = CliRunner().invoke(cli, ["--lang", "ru", "validate", str(path)])

    assert result.exit_code == 1
    assert "основных документов в нём указано 2" in result.output, result.output


# --- the styles python-calamine reads whole as it opens the workbook ------------------------------------------------


def _styles_over(monkeypatch: pytest.MonkeyPatch, styles: bytes) -> None:
    """The limit of parts parsed whole set just below the size of ``styles``: a part over the real limit (256 MB)
    is too big to write in a test."""
    monkeypatch.setattr(limits, "MAX_PARSED_BYTES", len(styles) - 1)


@pytest.mark.parametrize("command", [["validate", "--today", TODAY], ["refresh", "--today", TODAY], ["dedupe"]])
def test_styles_bigger_than_xlcrm_parses_are_refused_before_calamine_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    styles = parts_of(path)["xl/styles.xml"]
    _styles_over(monkeypatch, styles)
    before = snapshot(tmp_path)

    result = CliRunner().invoke(cli, [command[0], str(path), *command[1:]])

    assert result.exit_code == 1, result.output
    assert result.output == (
        f"Error: {path}: the part xl/styles.xml inflates to {len(styles) / 1024:.1f} KB, more than the "
        f"{(len(styles) - 1) / 1024:.1f} KB xlcrm parses whole\n"
    )
    assert snapshot(tmp_path) == before


def styles_in_other_letters(parts: Parts) -> tuple[str, bytes]:
    """The styles part named xl/Styles.XML, which python-calamine finds as xl/styles.xml: its name and content."""
    styles = parts.pop("xl/styles.xml")
    parts["xl/Styles.XML"] = styles
    return "xl/Styles.XML", styles


def styles_beside_a_small_part_the_relationships_name(parts: Parts) -> tuple[str, bytes]:
    """The workbook's relationships name a small styles part; python-calamine reads xl/styles.xml all the same."""
    parts["xl/small.xml"] = b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(
        b"</styleSheet>", b"<!--" + b"x" * 4096 + b"--></styleSheet>"
    )
    parts[WORKBOOK_RELS] = replaced(parts[WORKBOOK_RELS], b'Target="styles.xml"', b'Target="small.xml"')
    return "xl/styles.xml", parts["xl/styles.xml"]


@pytest.mark.parametrize("rewrite", [styles_in_other_letters, styles_beside_a_small_part_the_relationships_name])
def test_the_styles_checked_are_those_calamine_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rewrite: Callable[[Parts], tuple[str, bytes]]
) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    part, styles = rewrite(parts)
    write_parts(path, parts)
    _styles_over(monkeypatch, styles)

    with pytest.raises(BeyondLimits, match=rf"the part {re.escape(part)} inflates to .* xlcrm parses whole"):
        read_workbook(path)


def test_the_refusal_of_big_styles_is_in_russian_for_a_russian_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    _styles_over(monkeypatch, parts_of(path)["xl/styles.xml"])

    result = CliRunner().invoke(cli, ["--lang", "ru", "validate", str(path)])

    assert result.exit_code == 1
    assert "часть xl/styles.xml в распакованном виде занимает" in result.output, result.output


# --- names that python-calamine and Python's zipfile read as different parts -------------------------------------

AMBIGUOUS = "cannot be read: the name of its part {part} is ambiguous"


def clean_and_long(parts: Parts) -> tuple[str, bytes, bytes]:
    """Clients' zip entry, its XML as written and with the text over the limit."""
    real = clients_part(parts)
    return real, parts[real], replaced(parts[real], b">" + NAME + b"<", b">" + LONG + b"<")


def write_entries(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, data in entries:
            archive.writestr(entry, data, zipfile.ZIP_DEFLATED)


def names_in_other_case(path: Path) -> str:
    """Clients' part twice, the second (which python-calamine takes) in capitals with the text over the limit."""
    parts = parts_of(path)
    real, clean, long = clean_and_long(parts)
    write_entries(path, [*parts.items(), (real.upper(), long)])
    return real.upper()


def name_cut_at_a_nul(path: Path) -> str:
    """A clean copy of Clients last, named as Clients' part and a NUL byte: Python's zipfile cuts the name there and
    takes that copy, the last of the name; python-calamine reads the part of exactly that name."""
    parts = parts_of(path)
    real, clean, long = clean_and_long(parts)
    parts[real] = long
    write_entries(path, [*parts.items(), (real + "~", clean)])
    data = path.read_bytes()
    assert data.count(real.encode() + b"~") == 2  # its local header and its central directory record
    path.write_bytes(data.replace(real.encode() + b"~", real.encode() + b"\0"))
    return real


def name_given_by_a_unicode_path_field(path: Path) -> str:
    """A part named xl/worksheets/other.xml whose Info-ZIP Unicode Path field names it as Clients' part, with the
    text over the limit: python-calamine takes the field's name, Python's zipfile ignores it."""
    parts = parts_of(path)
    real, clean, long = clean_and_long(parts)
    stored = "xl/worksheets/other.xml"
    entry = zipfile.ZipInfo(stored)
    name = real.encode()
    entry.extra = struct.pack("<HHBI", 0x7075, 5 + len(name), 1, zlib.crc32(stored.encode())) + name
    write_entries(path, [*parts.items(), (entry, long)])
    return stored


@pytest.mark.parametrize("command", ["validate", "refresh"])
@pytest.mark.parametrize("rewrite", [names_in_other_case, name_cut_at_a_nul, name_given_by_a_unicode_path_field])
def test_a_part_whose_name_is_ambiguous_is_refused_and_the_file_stays(
    tmp_path: Path, command: str, rewrite: Callable[[Path], str]
) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    part = rewrite(path)
    assert len(as_calamine_reads(path, CLIENTS)[1][1]) == 40_000  # what the reader would take
    before = snapshot(tmp_path)

    result = CliRunner().invoke(cli, [command, str(path), "--today", TODAY])

    assert result.exit_code == 1, result.output
    assert result.output == f"Error: {path} {AMBIGUOUS.format(part=part)}" + (
        " (another part has the same name, perhaps in other letters, or the zip gives the part a second name); "
        "save the workbook again from Excel or LibreOffice\n"
    )
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", ["validate", "refresh"])
def test_a_part_named_alike_by_unicode_case_folding_is_refused_and_the_file_stays(tmp_path: Path, command: str) -> None:
    """A second package relationships part spelt with a long s (ſ), naming a decoy workbook: python-calamine folds
    only ASCII letters and reads _rels/.rels, xlcrm's writer folds names as Unicode does and would read the other."""
    path = good_workbook(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    add_decoy_folder(parts)
    parts["_rel\u017f/.rels"] = replaced(
        parts["_rels/.rels"], b'Target="xl/workbook.xml"', b'Target="decoy/workbook.xml"'
    )
    write_parts(path, parts)
    before = snapshot(tmp_path)

    result = CliRunner().invoke(cli, [command, str(path), "--today", TODAY])

    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {path} {AMBIGUOUS.format(part='_relſ/.rels')} "), result.output
    assert snapshot(tmp_path) == before


def test_the_refusal_of_an_ambiguous_name_is_in_russian_for_a_russian_run(tmp_path: Path) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    names_in_other_case(path)

    result = CliRunner().invoke(cli, ["--lang", "ru", "validate", str(path)])

    assert result.exit_code == 1
    assert "имя его части" in result.output and "неоднозначно" in result.output, result.output


@pytest.mark.parametrize("path", FOREIGN, ids=[str(path.relative_to(DATA)) for path in FOREIGN])
def test_no_part_name_is_ambiguous_in_workbooks_other_programs_wrote(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        limits.check_entries_readable(archive, path)


def assert_damaged(folder: Path, path: Path, command: list[str]) -> None:
    """``command`` stops with exit code 1 and the one line saying the workbook at ``path`` is damaged, and leaves
    everything in ``folder`` as it was."""
    before = snapshot(folder)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1, result.output
    assert result.output == f"Error: {path} is damaged: its zip container cannot be read\n"
    assert snapshot(folder) == before


# --- zips written byte by byte: names and directories python-calamine's zip reader reads otherwise ----------------


def _deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def _local_header(name: bytes, data: bytes, flags: int = 0, extra: bytes = b"") -> bytes:
    packed = _deflated(data)
    head = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        20,
        flags,
        8,
        0,
        0x21,
        zlib.crc32(data),
        len(packed),
        len(data),
        len(name),
        len(extra),
    )
    return head + name + extra + packed


def _directory_record(name: bytes, data: bytes, offset: int, flags: int = 0, extra: bytes = b"") -> bytes:
    fields = (0x02014B50, 20, 20, flags, 8, 0, 0x21, zlib.crc32(data), len(_deflated(data)), len(data), len(name))
    return struct.pack("<IHHHHHHIIIHHHHHII", *fields, len(extra), 0, 0, 0, 0, offset) + name + extra


def _end_record(count: int, directory: bytes, offset: int, comment: int = 0) -> bytes:
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), offset, comment)


def raw_zip(entries: list[tuple[bytes, bytes, int, bytes]]) -> bytes:
    """A zip of (name as stored, data, general purpose flags, extra field) entries, deflated, as written."""
    body, directory = b"", b""
    for name, data, flags, extra in entries:
        directory += _directory_record(name, data, len(body), flags, extra)
        body += _local_header(name, data, flags, extra)
    return body + directory + _end_record(len(entries), directory, len(body))


def entries_with(parts: Parts, renamed: dict[str, bytes]) -> list[tuple[bytes, bytes, int, bytes]]:
    return [(renamed.get(name, name.encode()), data, 0, b"") for name, data in parts.items()]


def test_a_sheet_named_in_utf8_without_the_flag_is_scanned_as_calamine_reads_it(tmp_path: Path) -> None:
    """Info-ZIP's zip stores a name outside ASCII in UTF-8 without the zip's UTF-8 flag: Python's zipfile reads it
    as CP437, python-calamine as UTF-8, as the workbook's relationships name it."""
    path = good_workbook(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    real, clean, long = clean_and_long(parts)
    parts[real] = long
    parts[WORKBOOK_RELS] = replaced(parts[WORKBOOK_RELS], clients_target(parts), "/xl/worksheets/лист1.xml".encode())
    path.write_bytes(raw_zip(entries_with(parts, {real: "xl/worksheets/лист1.xml".encode()})))
    assert len(as_calamine_reads(path, CLIENTS)[1][1]) == 40_000
    before = snapshot(tmp_path)

    result = CliRunner().invoke(cli, ["validate", str(path)])

    assert result.exit_code == 1 and REFUSAL in result.output, result.output
    assert snapshot(tmp_path) == before


def test_a_part_renamed_by_a_unicode_path_field_as_zip_tools_do_is_read(tmp_path: Path) -> None:
    """Info-ZIP's zip on Windows stores a name outside ASCII in the OEM code page (CP866 for Russian) and gives its
    UTF-8 spelling in a Unicode Path field: both readers read the one part, and the workbook is not refused."""
    path = good_workbook(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    stored = "xl/media/Документ.bin".encode("cp866")
    field = b"\x01" + zlib.crc32(stored).to_bytes(4, "little") + "xl/media/Документ.bin".encode()
    entries = [*entries_with(parts, {}), (stored, b"attached", 0, struct.pack("<HH", 0x7075, len(field)) + field)]
    path.write_bytes(raw_zip(entries))

    result = CliRunner().invoke(cli, ["validate", str(path), "--today", TODAY])

    assert result.exit_code == 0, result.output


def test_a_zip_whose_last_end_record_declares_a_comment_past_the_end_is_refused(tmp_path: Path) -> None:
    """Two directories, each with its end record: the last, pointing Clients at its clean part, declares a comment
    longer than what follows it. Python's zipfile reads that directory all the same; python-calamine's zip reader
    passes over the record to the one before, whose directory points Clients at a part with the long text."""
    path = good_workbook(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    real, clean, long = clean_and_long(parts)
    body, offsets = b"", {}
    for name, data in [*parts.items(), ("long", long)]:
        offsets[name] = len(body)
        body += _local_header(real.encode() if name == "long" else name.encode(), data)
    records = {name: _directory_record(name.encode(), data, offsets[name]) for name, data in parts.items()}
    with_long = b"".join(
        _directory_record(name.encode(), long, offsets["long"]) if name == real else records[name] for name in parts
    )
    clean_directory = b"".join(records.values())
    data = body + with_long + _end_record(len(parts), with_long, len(body))
    data += clean_directory + _end_record(len(parts), clean_directory, len(data), comment=0xFFFF)
    path.write_bytes(data)
    assert len(as_calamine_reads(path, CLIENTS)[1][1]) == 40_000
    with zipfile.ZipFile(path) as archive:
        assert archive.read(real) == clean
    assert_damaged(tmp_path, path, ["validate", str(path)])


def test_a_name_flagged_as_utf8_that_is_not_is_refused_as_damage(tmp_path: Path) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    entries = [*entries_with(parts_of(path), {}), (b"xl/media/\xff.bin", b"attached", 0x800, b"")]
    path.write_bytes(raw_zip(entries))
    assert_damaged(tmp_path, path, ["validate", str(path)])


def test_an_imported_workbook_behind_other_bytes_is_refused(tmp_path: Path) -> None:
    """python-calamine opens a source named .xlsx as a zip wherever the zip starts in the file: a zip after the 8
    bytes that open an old .xls file is checked as one, and refused, as no spreadsheet program writes that."""
    source = xlsxwriter_workbook(tmp_path / "source.xlsx")
    parts = parts_of(source)
    parts["xl/sharedStrings.xml"] = replaced(parts["xl/sharedStrings.xml"], b">" + NAME + b"<", b">" + LONG + b"<")
    write_parts(source, parts)
    source.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + source.read_bytes())
    assert len(as_calamine_reads(source, CLIENTS)[1][1]) == 40_000
    into = good_workbook(tmp_path / "clients.xlsx")
    assert_damaged(tmp_path, source, ["import", str(source), "--into", str(into), "--today", TODAY])


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Name;Phone\nIvan Petrov;+7 916 123-45-67\n", "csv"),
        ("<html><body><table><tr><td>Name</td></tr><tr><td>Ivan Petrov</td></tr></table></body></html>", "html"),
    ],
)
def test_a_text_export_named_xlsx_is_still_read_as_text(tmp_path: Path, text: str, kind: str) -> None:
    """Some programs export CSV or HTML under an .xlsx name: no zip in it, it is read as the text it is."""
    source = tmp_path / "export.xlsx"
    source.write_text(text, encoding="utf-8")

    assert read_source(source).kind == kind


def _end_of(data: bytes) -> int:
    return data.rindex(b"PK\x05\x06")


def disk_one(data: bytes) -> bytes:
    """The end record names disk 1: calamine's zip reader passes over it, zipfile does not."""
    end = _end_of(data)
    return data[: end + 4] + b"\x01\x00" + data[end + 6 :]


def more_entries_on_the_disk(data: bytes) -> bytes:
    end = _end_of(data)
    on_disk = int.from_bytes(data[end + 8 : end + 10], "little")
    return data[: end + 8] + (on_disk + 1).to_bytes(2, "little") + data[end + 10 :]


def zip64_records_the_end_record_does_not_mark(data: bytes) -> bytes:
    """A zip64 end record and its locator before a plain end record, naming another directory offset: zipfile reads
    them, calamine's zip reader only when the end record marks a field as in them."""
    end = _end_of(data)
    count, length, offset = struct.unpack("<HII", data[end + 10 : end + 20])
    record = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, length, offset + 1)
    locator = struct.pack("<IIQI", 0x07064B50, 0, end, 1)
    return data[:end] + record + locator + data[end:]


def past_the_end_comment(data: bytes) -> bytes:
    end = _end_of(data)
    return data[: end + 20] + b"\xff\xff"


@pytest.mark.parametrize(
    "rewrite", [disk_one, more_entries_on_the_disk, zip64_records_the_end_record_does_not_mark, past_the_end_comment]
)
def test_end_records_another_zip_reader_would_read_otherwise_are_refused(
    tmp_path: Path, rewrite: Callable[[bytes], bytes]
) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    path.write_bytes(rewrite(path.read_bytes()))
    assert_damaged(tmp_path, path, ["refresh", str(path), "--today", TODAY])


def test_zip64_sizes_and_a_comment_as_zip_writers_write_them_are_read(tmp_path: Path) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            with archive.open(name, "w", force_zip64=True) as part:
                part.write(data)
        archive.comment = b"PK repacked by a zip tool"

    result = CliRunner().invoke(cli, ["validate", str(path), "--today", TODAY])

    assert result.exit_code == 0, result.output


# Python's zipfile takes a part's sizes from the first of two zip64 fields, calamine's reader from the last.
TWO_ZIP64_FIELDS = (0, struct.pack("<HHQ", 1, 8, 0) * 2)
# General purpose flag bit 5, patched data: zipfile cannot read such a part (NotImplementedError), calamine reads it.
PATCHED_DATA = (0x20, b"")


@pytest.mark.parametrize("flags, extra", [TWO_ZIP64_FIELDS, PATCHED_DATA], ids=["two zip64 fields", "patched data"])
def test_a_part_zip_readers_read_otherwise_is_refused_as_damage(tmp_path: Path, flags: int, extra: bytes) -> None:
    path = good_workbook(tmp_path / "clients.xlsx")
    parts = parts_of(path)
    clients = clients_part(parts)
    entries = [
        (name, data, *((flags, extra) if name == clients.encode() else (0, b"")))
        for name, data, _, _ in entries_with(parts, {})
    ]
    path.write_bytes(raw_zip(entries))
    assert_damaged(tmp_path, path, ["validate", str(path)])


def test_a_directory_record_reaching_past_the_directory_is_refused(tmp_path: Path) -> None:
    """The last record of the directory declares a comment that runs on into the end record: Python's zipfile cuts it
    at the directory's end, calamine's reader reads on, where a crafted comment can hold fields renaming a part."""
    path = good_workbook(tmp_path / "clients.xlsx")
    data = path.read_bytes()
    last = data.rindex(b"PK\x01\x02")
    path.write_bytes(data[: last + 32] + (10).to_bytes(2, "little") + data[last + 34 :])
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # zipfile reads it as it was
    assert_damaged(tmp_path, path, ["validate", str(path)])
