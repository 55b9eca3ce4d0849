"""Hostile or unusual workbooks: decompression bombs, cells longer than Excel allows, a value far outside the
table. Each gets one ``Error:`` line, exit 1 and an untouched folder, quickly and in little memory.

The commands run in a process of their own, with its memory capped and a time limit: before these checks,
python-calamine aborted the whole interpreter (exit 134) on a value at XFD1048576, and a bomb took gigabytes
or minutes.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from tests.paths import REPO
from tests.test_bad_inputs import good_workbook, snapshot
from tests.xlsx.test_columnar import SHEET, as_calamine_reads, write_raw
from xlcrm import schema
from xlcrm.create import template
from xlcrm.errors import BeyondLimits, NotAWorkbook
from xlcrm.xlsx import limits
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.refs import column_index, column_letter

TODAY = "2026-11-23"
MEMORY_CAP = 3 * 2**30  # far above what these small workbooks need; a bomb or a dense 17-billion-cell grid is not
SECONDS = 120


def run_xlcrm(*args: str) -> subprocess.CompletedProcess[str]:
    """``xlcrm args`` in a process of its own, as a user runs it, with its memory capped."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run(
        [sys.executable, "-m", "xlcrm", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=cap_memory,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *words: str, error: str = "Error:") -> str:
    """The one ``Error:`` line (``error``: its first word in the run's language) of a refusal (exit 1, no traceback
    or crash), holding ``words``."""
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith(error)]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def command(name: str, path: Path) -> list[str]:
    return [name, str(path), "--today", TODAY]


def rewrite_part(path: Path, part: str, *, insert_after: bytes, filler: bytes, filler_bytes: int) -> None:
    """Rewrite ``path`` with ``filler`` repeated to ``filler_bytes`` inserted into ``part`` right after the first
    ``insert_after``, deflated as tightly as zlib can, streamed so no test holds the inflated part."""
    source = path.with_suffix(".source.xlsx")
    path.rename(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as new:
        for entry in old.infolist():
            data = old.read(entry.filename)
            if entry.filename != part:
                new.writestr(entry, data)
                continue
            head, found, tail = data.partition(insert_after)
            assert found, f"{insert_after!r} not in {part}"
            with new.open(entry.filename, "w", force_zip64=True) as out:
                out.write(head + found)
                left = filler_bytes
                while left >= len(filler):
                    count = min(left, 2**20) // len(filler)
                    out.write(filler * count)
                    left -= count * len(filler)
                out.write(tail)
    source.unlink()


# --- point 10: a value far outside the table ------------------------------------------------------------


@pytest.mark.parametrize("name", ["validate", "refresh"])
@pytest.mark.parametrize(
    "locale, sheet, cell, cells",
    [
        ("en", schema.CLIENTS, "XFD1048576", 16_384 * 1_048_576),
        ("ru", schema.CONTACTS, "XFD1048576", 16_384 * 1_048_576),
        ("en", schema.INTERACTIONS, "AAA1048576", 703 * 1_048_576),
        # 64 columns of a million rows: 2.8 GB in the reader
        ("ru", schema.INTERACTIONS, "BL1048576", 64 * 1_048_576),
    ],
)
def test_a_value_far_outside_the_table_is_refused_naming_it(
    tmp_path: Path, name: str, locale: str, sheet: schema.Sheet, cell: str, cells: int
) -> None:
    path = good_workbook(tmp_path / "clients.xlsx", locale)
    book = openpyxl.load_workbook(path)
    book[sheet.name(locale)][cell] = "x"
    book.save(path)
    before = snapshot(tmp_path)

    if locale == "ru":  # without --lang the run speaks the workbook's language
        error = assert_refused(run_xlcrm(*command(name, path)), error="Ошибка:")
        count, limit = (f"{number:,}".replace(",", "\xa0") for number in (cells, limits.MAX_USED_CELLS))  # «1 000»
        assert error == (
            f"Ошибка: В ячейке {sheet.name(locale)}!{cell} есть значение далеко за пределами таблицы (значения листа "
            f"занимают тогда диапазон A1:{cell}, это {count} ячеек, а xlcrm читает не больше {limit}); удалите его в "
            "Excel и запустите команду снова"
        )
    else:
        error = assert_refused(
            run_xlcrm(*command(name, path)),
            f"{sheet.name(locale)}!{cell} holds a value far outside the table",
            "delete it in Excel and run again",
        )
        assert f"{cells:,} cells" in error
    assert snapshot(tmp_path) == before


def test_a_file_to_import_with_a_value_far_out_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "export.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Export"
    book.active.append(["ФИО", "Телефон"])
    book.active.append(["Петров Иван", "+7 916 123-45-67"])
    book.active["XFD1048576"] = "x"
    book.save(source)
    workbook = tmp_path / "base.xlsx"
    template.build_workbook("ru").save(workbook)
    before = snapshot(tmp_path)

    assert_refused(  # the run speaks the Russian workbook's language
        run_xlcrm("import", str(source), "--into", str(workbook)),
        "Ошибка: В ячейке Export!XFD1048576 есть значение далеко за пределами таблицы",
        error="Ошибка:",
    )
    assert_refused(
        run_xlcrm("--lang", "en", "import", str(source), "--into", str(workbook)),
        "Export!XFD1048576 holds a value far outside the table",
    )
    assert snapshot(tmp_path) == before


def test_a_far_cell_with_only_a_format_is_no_value_and_is_read(tmp_path: Path) -> None:
    """Excel writes formatted empty cells far out (a whole row made bold): they hold nothing to read."""
    path = good_workbook(tmp_path / "clients.xlsx")
    book = openpyxl.load_workbook(path)
    book[schema.CLIENTS.name("en")]["XFD1048576"].font = openpyxl.styles.Font(bold=True)
    book.save(path)

    data = read_workbook(path)

    assert len(data.sheets[schema.CLIENTS.key].frame) == 1


def with_sheet_xml(path: Path, sheet: str, change: Callable[[bytes], bytes]) -> Path:
    """A copy of the workbook at ``path`` whose sheet named ``sheet`` has its XML changed by ``change``."""
    with zipfile.ZipFile(path) as archive:
        part = limits.sheet_parts(archive)[sheet]
    rebuilt = path.with_name("rebuilt.xlsx")
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as new:
        for entry in old.infolist():
            data = old.read(entry.filename)
            new.writestr(entry, change(data) if entry.filename == part else data)
    return rebuilt


def test_the_far_cell_is_found_after_other_attributes_too(tmp_path: Path) -> None:
    """A writer may put the reference after the style: ``<c s="0" t="str" r="XFD5">``."""
    path = with_sheet_xml(
        good_workbook(tmp_path / "clients.xlsx"),
        "Clients",
        lambda xml: xml.replace(
            b"</sheetData>", b'<row r="1048576"><c s="0" t="str" r="XFD1048576"><v>x</v></c></row></sheetData>'
        ),
    )

    with pytest.raises(BeyondLimits, match=r"Clients!XFD1048576 holds a value far outside the table"):
        read_workbook(path)


def test_the_far_cell_is_found_when_the_sheet_writes_a_namespace_prefix(tmp_path: Path) -> None:
    """The OpenXML SDK writes <x:c r="A1">; python-calamine reads such cells as any others."""

    def prefixed(xml: bytes) -> bytes:
        xml = xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="str"><v>x</v></c></row></sheetData>')
        return re.sub(rb"<(/?)(?![?!])([A-Za-z])", rb"<\1x:\2", xml).replace(b"xmlns=", b"xmlns:x=", 1)

    path = with_sheet_xml(good_workbook(tmp_path / "clients.xlsx"), "Clients", prefixed)

    with pytest.raises(BeyondLimits, match=r"Clients!XFD1048576 holds a value far outside the table"):
        read_workbook(path)


def test_cells_without_references_are_placed_as_a_reader_places_them(tmp_path: Path) -> None:
    """A cell may leave out its reference: readers put it right of the one before, so 20,000 of them in one
    row reach column ACOG (a 6 KB file that made python-calamine abort)."""
    far_row = b'<row r="1048576">' + b'<c t="str"><v>1</v></c>' * 20_000 + b"</row></sheetData>"
    path = with_sheet_xml(
        good_workbook(tmp_path / "clients.xlsx"), "Clients", lambda xml: xml.replace(b"</sheetData>", far_row)
    )

    with pytest.raises(BeyondLimits, match=r"Clients!ACO[A-Z]1048576 holds a value far outside the table"):
        read_workbook(path)


def test_a_few_cells_without_references_are_read(tmp_path: Path) -> None:
    row = b'<row r="3"><c t="str"><v>C000002</v></c><c t="str"><v>Anna Smirnova</v></c></row></sheetData>'
    path = with_sheet_xml(
        good_workbook(tmp_path / "clients.xlsx"), "Clients", lambda xml: xml.replace(b"</sheetData>", row)
    )

    frame = read_workbook(path).sheets[schema.CLIENTS.key].frame

    assert frame.loc[3, "name"] == "Anna Smirnova"


def test_a_legitimate_big_range_is_not_refused(tmp_path: Path) -> None:
    """A thousand rows over 60 columns stays well inside the limit: read as ever."""
    path = good_workbook(tmp_path / "clients.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book[schema.CLIENTS.name("en")]
    sheet["BH1000"] = "note"
    book.save(path)

    limits.check_sheet(path, schema.CLIENTS.name("en"))
    assert read_workbook(path).sheets[schema.CLIENTS.key].width == 60


# --- point 9: decompression bombs and cells longer than Excel allows ----------------------------------------


def whitespace_bomb(folder: Path) -> Path:
    """200 MB of spaces between two tags of the Clients sheet: 200 KB once deflated."""
    path = good_workbook(folder / "clients.xlsx")
    with zipfile.ZipFile(path) as archive:
        part = limits.sheet_parts(archive)[schema.CLIENTS.name("en")]
    rewrite_part(path, part, insert_after=b"<sheetData>", filler=b" ", filler_bytes=200 * 2**20)
    return path


def huge_cell_bomb(folder: Path) -> Path:
    """One cell of 200 million letters in the shared strings, as Excel and xlsxwriter keep text (a 1 GB cell is
    the same, five times over)."""
    path = folder / "clients.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet(schema.CLIENTS.name("en"))
    for column, spec in enumerate(schema.CLIENTS.columns):
        sheet.write(0, column, spec.name("en"))
    sheet.write(1, 1, "PLACEHOLDER")
    book.close()
    rewrite_part(path, "xl/sharedStrings.xml", insert_after=b"PLACEHOLDER", filler=b"A", filler_bytes=200 * 2**20)
    return path


@pytest.mark.parametrize("name", ["validate", "refresh"])
@pytest.mark.parametrize(
    "make, part",
    [
        (whitespace_bomb, "sheet 'Clients' (xl/worksheets/sheet1.xml)"),
        (huge_cell_bomb, "the part xl/sharedStrings.xml"),
    ],
)
def test_a_decompression_bomb_is_refused_before_it_is_inflated(tmp_path: Path, name: str, make, part: str) -> None:
    path = make(tmp_path)
    before = snapshot(tmp_path)

    error = assert_refused(
        run_xlcrm(*command(name, path)), part, "200.0 MB", "decompression bomb", f"more than {limits.MAX_RATIO}×"
    )

    assert "inflates from" in error
    assert snapshot(tmp_path) == before


def test_a_bomb_is_refused_as_a_file_to_import_too(tmp_path: Path) -> None:
    source = whitespace_bomb(tmp_path)
    workbook = tmp_path / "base.xlsx"
    template.build_workbook("en").save(workbook)
    before = snapshot(tmp_path)

    assert_refused(run_xlcrm("import", str(source), "--into", str(workbook)), "decompression bomb")
    assert snapshot(tmp_path) == before


def test_a_cell_longer_than_excel_allows_is_refused(tmp_path: Path) -> None:
    """openpyxl and xlsxwriter cut such a cell themselves: the 40,000 letters are put into the XML by hand."""
    path = good_workbook(tmp_path / "clients.xlsx")
    with_sheet_xml(
        path, "Clients", lambda xml: xml.replace(b"<t>Ivan Petrov</t>", b"<t>" + "ы".encode() * 40_000 + b"</t>")
    ).replace(path)
    before = snapshot(tmp_path)

    assert_refused(
        run_xlcrm(*command("refresh", path)),
        "sheet 'Clients', cell B2, holds a text of 40,000 characters",
        "Excel's limit of 32,767 characters",
        "cannot come from Excel",
    )
    assert snapshot(tmp_path) == before


def test_a_cell_of_exactly_excels_limit_is_read(tmp_path: Path) -> None:
    """32,767 Cyrillic letters are 65,534 bytes of XML: counted in characters, as Excel counts them."""
    path = good_workbook(tmp_path / "clients.xlsx")
    book = openpyxl.load_workbook(path)
    book[schema.CLIENTS.name("en")]["P2"] = "ы" * limits.MAX_CELL_CHARS
    book.save(path)

    data = read_workbook(path)

    assert len(data.sheets[schema.CLIENTS.key].frame.iloc[0].to_dict()["comment"]) == limits.MAX_CELL_CHARS


def test_an_inline_cell_longer_than_excel_allows_is_refused_naming_the_cell(tmp_path: Path) -> None:
    long_cell = b'<row r="9"><c r="H9" t="inlineStr"><is><t>' + b"x" * 50_000 + b"</t></is></c></row></sheetData>"
    path = with_sheet_xml(
        good_workbook(tmp_path / "clients.xlsx"), "Clients", lambda xml: xml.replace(b"</sheetData>", long_cell)
    )

    with pytest.raises(BeyondLimits, match=r"sheet 'Clients', cell H9, holds a text of 50,000 characters"):
        read_workbook(path)


def test_a_shared_string_longer_than_excel_allows_is_refused_naming_a_cell_that_uses_it(tmp_path: Path) -> None:
    """Excel keeps text in the shared strings part, used by cells elsewhere: the message names the cell."""
    path = tmp_path / "clients.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet(schema.CLIENTS.name("en"))
    for column, spec in enumerate(schema.CLIENTS.columns):
        sheet.write(0, column, spec.name("en"))
    sheet.write(1, 1, "Ivan Petrov")
    sheet.write(4, 14, "PLACEHOLDER")
    book.close()
    rewrite_part(path, "xl/sharedStrings.xml", insert_after=b"PLACEHOLDER", filler="ы".encode(), filler_bytes=80_000)

    with pytest.raises(BeyondLimits) as refused:
        read_workbook(path)

    assert str(refused.value) == (
        f"{path}: the shared strings part (xl/sharedStrings.xml), used in Clients!O5, "
        "holds a text of 40,011 characters, longer than Excel's limit of 32,767 "
        "characters for one cell: it cannot come from Excel"
    )


def test_a_part_larger_than_its_directory_says_is_damaged(tmp_path: Path) -> None:
    """The sizes in a zip's directory can lie: no more than the declared size is ever inflated."""
    path = good_workbook(tmp_path / "clients.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        central = data.rfind(b"PK\x01\x02" + data[info.header_offset + 4 : info.header_offset + 16])
    declared = (info.file_size // 2).to_bytes(4, "little")
    data[info.header_offset + 22 : info.header_offset + 26] = declared  # local header
    data[central + 24 : central + 28] = declared  # central directory
    path.write_bytes(bytes(data))

    with pytest.raises(NotAWorkbook, match="damaged"):
        read_workbook(path)


# --- the range of a sheet read a chunk at a time ---------------------------------------------------------------


def wide_rows(count: int, last_column: str = "AK", first: int = 2) -> list[bytes]:
    """``count`` rows of numbers from column A to ``last_column``, as Clients is once xlcrm added its columns."""
    width = column_index(last_column) + 1
    return [
        b'<row r="%d">%s</row>' % (row, b"".join(b'<c r="%s%d"><v>1</v></c>' % (letters(c), row) for c in range(width)))
        for row in range(first, first + count)
    ]


def letters(column: int) -> bytes:
    return column_letter(column).encode()


@pytest.mark.parametrize("far", ["Z999999", "AZ999999", "A1048576"])
def test_a_far_value_among_wide_rows_is_refused_whichever_chunk_holds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, far: str
) -> None:
    """Rows reaching column AK, read in many chunks, with one value far down among them: the range is A1 to AK of
    that row, more than the limit, wherever the scan passed over chunks."""
    far_row = int(re.sub("[A-Z]", "", far))
    rows = [*wide_rows(200), b'<row r="%d"><c r="%s"><v>1</v></c></row>' % (far_row, far.encode())]
    path = write_raw(tmp_path / "book.xlsx", rows)
    monkeypatch.setattr(limits, "SCAN_CHUNK", 4096)  # a chunk holds a few rows
    with pytest.raises(BeyondLimits, match="far outside the table"):
        limits.check_sheet(path, SHEET)


def test_a_far_value_in_a_chunk_of_long_text_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk whose text is looked at for its length still counts its cells towards the range."""
    # 20,000 characters, inside Excel's limit, in 40,000 bytes: the scan counts the characters of this text
    text = "Ж" * 20_000
    long_text = b'<row r="202"><c r="A202" t="inlineStr"><is><t>%s</t></is></c></row>' % text.encode()
    far = b'<row r="999999"><c r="Z999999"><v>1</v></c></row>'
    path = write_raw(tmp_path / "book.xlsx", [*wide_rows(200), long_text, far])
    monkeypatch.setattr(limits, "SCAN_CHUNK", 4096)
    with pytest.raises(BeyondLimits, match="far outside the table"):
        limits.check_sheet(path, SHEET)


@pytest.mark.parametrize("last_column", ["Z", "AK", "AZ", "BA"])
def test_wide_rows_within_the_limit_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, last_column: str) -> None:
    """Rows of a client list down to row 400,000 (the last ones far down), read in many chunks: inside the limit."""
    rows = [*wide_rows(100, last_column), *wide_rows(3, last_column, first=399_998)]
    path = write_raw(tmp_path / "book.xlsx", rows)
    monkeypatch.setattr(limits, "SCAN_CHUNK", 4096)
    limits.check_sheet(path, SHEET)


def test_a_sheet_whose_cells_have_no_references_is_read(tmp_path: Path) -> None:
    """References are optional: a reader places such a cell right of the one before it."""
    rows = [b'<row r="%d">' % row + b"<c><v>1</v></c>" * 30 + b"</row>" for row in range(1, 2001)]
    path = write_raw(tmp_path / "book.xlsx", rows)
    limits.check_sheet(path, SHEET)
    assert len(as_calamine_reads(path, SHEET)) == 2000


@pytest.mark.parametrize("chunk", [limits.SCAN_CHUNK, 4096])
def test_every_row_of_cells_without_references_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """A far row of cells without references is refused, however wide another such row is."""
    wide = b'<row r="1"><c r="A1"><v>1</v></c>' + b"<c><v>1</v></c>" * 400 + b"</row>"
    path = write_raw(tmp_path / "book.xlsx", [wide, b'<row r="1048576"><c><v>1</v></c></row>'])
    monkeypatch.setattr(limits, "SCAN_CHUNK", chunk)
    with pytest.raises(BeyondLimits, match="far outside the table"):
        limits.check_sheet(path, SHEET)


@pytest.mark.parametrize(
    "far",
    [
        pytest.param(b"<c r='XFD1048576'><v>1</v></c>", id="reference in single quotes"),
        pytest.param(b'<c r="XFD1048576">/><v>1</v></c>', id="text '/>' after the tag"),
        pytest.param(b'<c x=\' r="A1"\' r="XFD1048576"><v>1</v></c>', id="r= inside another attribute"),
        pytest.param(b'<c t="n" x="a>b" r="XFD1048576"><v>1</v></c>', id="'>' inside another attribute"),
    ],
)
@pytest.mark.parametrize("width", [1, 30], ids=["narrow", "past column Z"])
def test_a_far_cell_written_oddly_is_found(tmp_path: Path, far: bytes, width: int) -> None:
    """What an XML parser (python-calamine's) reads as the cell XFD1048576 is found as that, however its tag is
    written."""
    first = b'<row r="1">%s</row>' % b"".join(b'<c r="%s1"><v>1</v></c>' % letters(c) for c in range(width))
    path = write_raw(tmp_path / "book.xlsx", [first, b'<row r="1048576">' + far + b"</row>"])
    with pytest.raises(BeyondLimits, match="XFD1048576 holds a value far outside the table"):
        limits.check_sheet(path, SHEET)


def test_an_oddly_written_cell_is_placed_where_calamine_places_it(tmp_path: Path) -> None:
    """The same tags, the far cell brought near: calamine reads each at the cell the check counts."""
    for far in (b"<c r='D7'><v>1</v></c>", b'<c r="D7">/><v>1</v></c>', b'<c x=\' r="A1"\' r="D7"><v>1</v></c>'):
        path = write_raw(
            tmp_path / "book.xlsx", [b'<row r="1"><c r="A1"><v>1</v></c></row>', b'<row r="7">' + far + b"</row>"]
        )
        rows = as_calamine_reads(path, SHEET)
        assert (len(rows), len(rows[0])) == (7, 4), far


UNREFERENCED = b"<c><v>1</v></c>"


@pytest.mark.parametrize(
    "row_tag",
    [
        pytest.param(b"<row r='1048576'>", id="single quotes"),
        pytest.param(b'<row r="A1048576">', id="letters before the number"),
        pytest.param(b'<row a=\' r="1"\' r="1048576">', id="r= inside another attribute"),
        pytest.param(b'<row spans="1:3"r="1048576">', id="no space before r"),
        pytest.param(b'<row r="1" r="1048576">', id="r twice"),
        pytest.param(b'<row r = "1048576" >', id="spaces around ="),
    ],
)
def test_the_row_of_cells_without_references_is_read_however_its_tag_is_written(tmp_path: Path, row_tag: bytes) -> None:
    """python-calamine numbers such a row by its tag: a far row of 16,383 cells without references is refused."""
    first = b'<row r="1"><c r="A1"><v>1</v></c></row>'
    path = write_raw(tmp_path / "book.xlsx", [first, row_tag + UNREFERENCED * 16_383 + b"</row>"])
    with pytest.raises(BeyondLimits, match="far outside the table"):
        limits.check_sheet(path, SHEET)


def test_a_row_of_cells_without_references_read_over_many_chunks_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks that hold cells without references but no row tag (the row began in an earlier chunk), as a writer
    of such cells gives them: the sheet is read."""
    rows = [b'<row r="%d">' % row + UNREFERENCED * 500 + b"</row>" for row in range(1, 4)]
    path = write_raw(tmp_path / "book.xlsx", rows)
    monkeypatch.setattr(limits, "SCAN_CHUNK", 1024)
    limits.check_sheet(path, SHEET)


def test_a_far_row_whose_cells_start_in_the_next_chunk_is_refused(tmp_path: Path) -> None:
    """The far row's tag ends a chunk; its cells without references follow in the next one, in that row."""
    first = b'<row r="1"><c r="A1"><v>1</v></c></row>'
    far = b'<row r="1048576">'
    before_rows = write_raw(tmp_path / "probe.xlsx", [b"@@"])
    with zipfile.ZipFile(before_rows) as archive:
        sheet_start = archive.read("xl/worksheets/sheet1.xml").index(b"@@")
    # Empty rows as padding, so that the far row's tag ends two bytes before the first chunk does.
    need = limits.SCAN_CHUNK - 2 - sheet_start - len(first) - len(far)
    filler = b'<row r="2"/>'
    count, rest = divmod(need, len(filler))
    padding = filler * (count - 1) + b'<row r="2"' + b" " * (rest + len(filler) - 12) + b"/>"
    path = write_raw(tmp_path / "book.xlsx", [first, padding, far + UNREFERENCED * 16_383 + b"</row>"])
    with pytest.raises(BeyondLimits, match="far outside the table"):
        limits.check_sheet(path, SHEET)


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(b'<row r="2"><c s="0" r="A' + b"1" * 5000 + b'"><v>1</v></c></row>', id="5,000 digits"),
        pytest.param(b'<row r="2"><c s="0" r="' + b"A" * 5000 + b'1"><v>1</v></c></row>', id="5,000 letters"),
        pytest.param(b'<row r="' + b"1" * 5000 + b'">' + UNREFERENCED + b"</row>", id="a row of 5,000 digits"),
    ],
)
def test_a_reference_of_thousands_of_characters_is_refused_with_a_message(tmp_path: Path, row: bytes) -> None:
    path = write_raw(tmp_path / "book.xlsx", [b'<row r="1"><c r="A1"><v>1</v></c></row>', row])
    with pytest.raises(BeyondLimits) as refused:
        limits.check_sheet(path, SHEET)
    assert "far outside the table" in str(refused.value) and len(str(refused.value)) < 400
