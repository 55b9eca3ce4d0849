"""A few rows of a long sheet read apart (``columnar.read_rows``, ``reader.read_rows_apart``) hold what reading the
whole sheet gives for them, or the read gives None and the caller reads the sheet whole."""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pytest

from tests.builders import write_workbook
from tests.xlsx.test_columnar import (
    SHEET,
    as_calamine_reads,
    fixture_sheets,
    random_sheet,
    rewritten,
    same_sheet,
    typed,
    write_raw,
)
from tests.xlsx.test_read_exact import OWNED, POOL, mixed_rows
from xlcrm import schema
from xlcrm.errors import BeyondLimits
from xlcrm.xlsx import columnar, reader
from xlcrm.xlsx.limits import sheet_parts


def numbered_rows(path: Path, sheet: str) -> list[int]:
    """The rows past 1 that the sheet's XML writes as ``<row r="N"`` and that hold a value."""
    whole = as_calamine_reads(path, sheet)
    with zipfile.ZipFile(path) as package:
        xml = package.read(sheet_parts(package)[sheet])
    written = {int(number) for number in re.findall(rb'<row r="(\d+)"', xml)}
    return [number for number in sorted(written) if 1 < number <= len(whole) and any(whole[number - 1])]


def assert_rows_as_read_whole(path: Path, sheet: str, numbers: list[int], found: list[list[object]]) -> None:
    """``found`` is row 1 and the rows ``numbers`` of the whole sheet as calamine reads it, cell for cell and type
    for type; the whole sheet's rows may run further right, blank there."""
    whole = as_calamine_reads(path, sheet)
    assert len(found) == len(numbers) + 1
    for row, number in zip(found, [1, *numbers], strict=True):
        expected = whole[number - 1]
        assert typed([row]) == typed([expected[: len(row)]]), number
        assert all(value == "" for value in expected[len(row) :]), number


@pytest.mark.parametrize("chunk", [256, columnar.SCAN_CHUNK])
@pytest.mark.parametrize("seed", range(8))
def test_rows_of_random_sheets_read_apart_hold_what_the_whole_sheet_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, chunk: int
) -> None:
    monkeypatch.setattr(columnar, "SCAN_CHUNK", chunk)
    path = random_sheet(tmp_path / "book.xlsx", seed)
    candidates = numbered_rows(path, SHEET)
    numbers = sorted({*random.Random(seed).sample(candidates, 12), candidates[-1]})
    found = columnar.read_rows(path, SHEET, numbers)
    assert found is not None
    assert_rows_as_read_whole(path, SHEET, numbers, found)


def test_rows_of_the_workbooks_other_programs_saved_read_apart_as_read_whole() -> None:
    read = 0
    for path, name in fixture_sheets():
        candidates = numbered_rows(path, name)
        if not candidates:
            continue
        numbers = sorted(set(candidates[:2] + candidates[len(candidates) // 2 :][:1] + candidates[-1:]))
        found = columnar.read_rows(path, name, numbers)
        if found is None:
            continue
        read += 1
        assert_rows_as_read_whole(path, name, numbers, found)
    assert read >= 50  # Excel, LibreOffice, openpyxl and XlsxWriter all number their rows


ROWS = [
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>H</t></is></c><c r="B1" t="inlineStr"><is><t>I</t></is></c></row>',
    b'<row r="2"><c r="A2"><v>2</v></c><c r="B2"><v>20</v></c></row>',
    b'<row r="3"><c r="A3"><v>3</v></c></row>',
    b'<row r="12"><c r="A12"><v>12</v></c><c r="B12" t="inlineStr"><is><t>twelve</t></is></c></row>',
]


def test_rows_are_renumbered_in_the_copy_and_come_back_in_order(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "book.xlsx", ROWS)
    assert columnar.read_rows(path, SHEET, [3, 12]) == [["H", "I"], [3.0, ""], [12.0, "twelve"]]
    assert columnar.read_rows(path, SHEET, [12]) == [["H", "I"], [12.0, "twelve"]]
    # A row number that is the start of another's (1 of 12) finds only its own row.
    assert columnar.read_rows(path, SHEET, [2]) == [["H", "I"], [2.0, 20.0]]


@pytest.mark.parametrize(
    ("rows", "numbers"),
    [
        pytest.param(ROWS, [4], id="a row the sheet lacks"),
        pytest.param(ROWS, [3, 13], id="one of them missing"),
        pytest.param([*ROWS[:2], b'<row r="3"><c r="A4"><v>3</v></c></row>', ROWS[3]], [3], id="a cell of another row"),
        pytest.param([*ROWS[:2], b'<row r="3"><c><v>3</v></c></row>', ROWS[3]], [3], id="a cell without a reference"),
        pytest.param([*ROWS[:2], b'<row r="3"><c s="0" r="A3"><v>3</v></c></row>', ROWS[3]], [3], id="attribute first"),
        pytest.param([*ROWS[:2], b'<row r="3"><c r="A3"><v>3</v></c>', ROWS[3]], [3], id="a row never closed"),
        pytest.param([*ROWS[:2], b'<row><c r="A3"><v>3</v></c></row>', ROWS[3]], [3], id="a row without its number"),
        pytest.param([b'<row r="1"><x:c r="A1"><x:v>1</x:v></x:c></row>', *ROWS[1:]], [2], id="prefixed cells"),
    ],
)
def test_rows_that_cannot_be_found_as_written_give_none(tmp_path: Path, rows: list[bytes], numbers: list[int]) -> None:
    path = write_raw(tmp_path / "book.xlsx", rows)
    assert columnar.read_rows(path, SHEET, numbers) is None


def test_a_sheet_or_file_that_is_not_there_gives_none(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "book.xlsx", ROWS)
    assert columnar.read_rows(path, "No such sheet", [2]) is None
    assert columnar.read_rows(tmp_path / "missing.xlsx", SHEET, [2]) is None
    (tmp_path / "text.xlsx").write_text("not a workbook")
    assert columnar.read_rows(tmp_path / "text.xlsx", SHEET, [2]) is None


def test_the_sheet_is_checked_against_the_limits_while_it_is_read(tmp_path: Path) -> None:
    far = b'<row r="1048577"><c r="A1048577"><v>1</v></c></row>'  # past Excel's last row
    path = rewritten(
        write_raw(tmp_path / "book.xlsx", ROWS), lambda xml: xml.replace(b"</sheetData>", far + b"</sheetData>")
    )
    with pytest.raises(BeyondLimits):
        columnar.read_rows(path, SHEET, [2])


@pytest.mark.parametrize("spec", [schema.INTERACTIONS, schema.CLIENTS])
@pytest.mark.parametrize("seed", range(3))
def test_rows_read_apart_are_those_rows_of_the_sheet_read_whole(tmp_path: Path, spec: schema.Sheet, seed: int) -> None:
    rows = mixed_rows(200, seed=seed)
    header = [*(column.en for column in spec.columns), "My notes", OWNED, "  ", "My notes"]
    pick = random.Random(seed)
    rows = [header] + [[*row, *(pick.choice(POOL) for _ in range(len(header) - len(row)))] for row in rows[1:]]
    path = write_workbook(tmp_path / "book.xlsx", {spec.en: rows})
    whole = reader.read_alone(path, spec, spec.en)
    numbers = sorted(pick.sample(list(whole.frame.index), 15))

    apart = reader.read_rows_apart(path, spec, spec.en, numbers)

    assert apart is not None
    kept = whole.frame.index.isin(numbers)
    expected = reader.SheetData(
        spec,
        whole.name,
        whole.frame[kept],
        whole.letters,
        whole.extra_columns,
        whole.missing_columns,
        whole.header_clashes,
        extra_letters=whole.extra_letters,
        width=apart.width,  # the rows read apart reach as far right as they do
        owned_values={
            header: {row: value for row, value in cells.items() if row in numbers}
            for header, cells in whole.owned_values.items()
        },
        extra_values=None if whole.extra_values is None else whole.extra_values[kept],
    )
    same_sheet(apart, expected)


def test_a_row_blank_in_every_schema_column_is_not_read_apart_as_a_row_of_data(tmp_path: Path) -> None:
    spec = schema.INTERACTIONS
    header, *rows = mixed_rows(30, seed=1)
    # A note right of the table on every row: the rows blank in every schema column hold a value all the same.
    path = write_workbook(tmp_path / "book.xlsx", {spec.en: [header, *([*row, "note"] for row in rows)]})
    data = list(reader.read_alone(path, spec, spec.en).frame.index)
    not_data = [number for number in range(2, len(rows) + 2) if number not in data]
    assert not_data and len(data) > 10

    assert reader.read_rows_apart(path, spec, spec.en, sorted([data[0], not_data[0]])) is None
    apart = reader.read_rows_apart(path, spec, spec.en, data[:5])
    assert apart is not None and list(apart.frame.index) == data[:5]
