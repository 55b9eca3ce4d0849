"""A sheet read in chunks, and handed over from another process, holds every cell as a plain per-cell reading
gives it: the same value of the same type (1, 1.0 and TRUE apart, dates typed as text left as text), text
stripped, blanks as None, rows blank in every schema column left out."""

from __future__ import annotations

import datetime as dt
import math
import pickle
import random
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.builders import write_workbook
from xlcrm import schema
from xlcrm.runtime.child_process import Child
from xlcrm.xlsx import reader
from xlcrm.xlsx.refs import column_letter

SPEC = schema.INTERACTIONS
OWNED = schema.REPORT_MARKER + "Score"
HEADER: list[object] = [column.en for column in SPEC.columns] + ["My notes", OWNED, "  "]
# What a cell may hold: numbers (whole ones typed as floats among them, and -0.0), booleans beside 1 and 0,
# text with spaces around it, text of only spaces, empty text, dates, date-times, times, a date typed as text.
POOL: list[object] = [
    1.5,
    2.0,
    -0.0,
    0.0,
    1.0,
    7,
    True,
    False,
    "Anna",
    "  Anna ",
    "Anna ",
    "",
    "   ",
    None,
    "05.01.2026",
    " C000001",
    dt.date(2026, 1, 5),
    dt.datetime(2026, 1, 5, 10, 30),
    dt.datetime(2026, 1, 5),
    dt.time(9, 15),
]


def cleaned(value: object) -> object:
    """A cell as xlcrm reads it, worked out on its own."""
    return (value.strip() or None) if type(value) is str else value


def blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def same(first: object, second: object) -> bool:
    """Equal and of the same type; a float's sign counts (-0.0 is not 0.0), and NaN is NaN."""
    if type(first) is not type(second):
        return False
    if isinstance(first, float) and isinstance(second, float):
        if math.isnan(first) or math.isnan(second):
            return math.isnan(first) and math.isnan(second)
        return first == second and math.copysign(1, first) == math.copysign(1, second)
    return first == second


def assert_cells(frame: pd.DataFrame, expected: dict[str, list[object]], rows: list[int]) -> None:
    assert list(frame.index) == rows and frame.index.name == "row"
    assert list(frame.columns) == list(expected)
    for key, values in expected.items():
        got = frame[key].tolist()
        bad = [(row, a, b) for row, a, b in zip(rows, got, values, strict=True) if not same(a, b)]
        assert not bad, f"{key}: {bad[:5]}"


def assert_read_as_expected(
    sheet: reader.SheetData, rows: Sequence[Sequence[object]], furniture: frozenset[int] = frozenset()
) -> None:
    """Every cell of ``sheet`` against ``rows`` (the sheet's cells as read one by one, header first), the rows of
    ``furniture`` (tables' header and total rows) left out."""
    header = list(rows[0])
    width = max(map(len, rows))
    padded = [[*row, *[None] * (width - len(row))] for row in rows]
    schema_at = {column.key: header.index(column.en) for column in SPEC.columns if column.en in header}
    kept = [
        number
        for number, row in enumerate(padded[1:], start=2)
        if any(not blank(cleaned(row[index])) for index in schema_at.values()) and number not in furniture
    ]
    assert_cells(
        sheet.frame, {key: [cleaned(padded[row - 1][index]) for row in kept] for key, index in schema_at.items()}, kept
    )
    assert sheet.extra_values is not None
    notes = header.index("My notes")
    assert_cells(sheet.extra_values, {"My notes": [cleaned(padded[row - 1][notes]) for row in kept]}, kept)
    owned = header.index(OWNED)
    expected_owned = {
        number: row[owned]
        for number, row in enumerate(padded[1:], start=2)
        if row[owned] is not None
        and not (isinstance(row[owned], str) and not row[owned].strip())
        and number not in furniture
    }
    assert list(sheet.owned_values) == [OWNED]
    assert list(sheet.owned_values[OWNED]) == list(expected_owned)
    assert all(same(sheet.owned_values[OWNED][row], value) for row, value in expected_owned.items())
    assert sheet.width == width
    assert sheet.letters == {key: column_letter(index) for key, index in schema_at.items()}
    assert sheet.misplaced_header is None and sheet.raw_rows is None


def mixed_rows(count: int, seed: int) -> list[list[object]]:
    """Header and ``count`` rows of cells drawn from POOL, some rows blank, some blank but for the user's own
    columns, a few columns of one kind only (dates, numbers, text) as real sheets have."""
    pick = random.Random(seed)
    rows: list[list[object]] = [list(HEADER)]
    for number in range(count):
        if number % 9 == 4:
            rows.append([None] * len(HEADER))
            continue
        row = [pick.choice(POOL) for _ in HEADER]
        row[0] = pick.choice([dt.date(2026, 1, 1 + number % 28), "", None])  # dates and blanks only
        row[4] = pick.choice([1500.0, 2.5, 3, ""])  # numbers and blanks only
        row[5] = pick.choice(["Anna", " Boris", "Anna  "])  # text only
        if number % 9 == 7:  # a value only in the user's columns: no record
            row[: len(SPEC.columns)] = ["  "] * len(SPEC.columns)
        rows.append(row)
    return rows


@pytest.mark.parametrize("chunk", [7, 1_000])
def test_a_sheet_read_from_a_file_holds_every_cell_as_read_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    path = write_workbook(tmp_path / "book.xlsx", {SPEC.en: mixed_rows(150, seed=chunk)})
    book = reader.open_book(path)
    try:
        as_read = book.get_sheet_by_name(SPEC.en).to_python(skip_empty_area=False)
    finally:
        book.close()
    # The file's cells keep their kinds: a whole number typed as a float, a boolean, a date typed as text.
    kinds = {type(value) for row in as_read for value in row}
    assert {float, bool, str, dt.date, dt.datetime, dt.time} <= kinds
    monkeypatch.setattr(reader, "ROW_CHUNK", chunk)
    sheet = reader.read_alone(path, SPEC, SPEC.en)
    assert_read_as_expected(sheet, as_read)
    assert len(sheet.frame) > 100
    # Read in a process of its own (which reads the whole sheet as one chunk) and handed over packed.
    handed_over = reader.read_in_process(Child(reader.__name__), path, SPEC, SPEC.en)
    assert_read_as_expected(handed_over, as_read)
    assert handed_over._distinct  # the codes came along
    for key in handed_over.frame.columns:
        codes, distinct = handed_over.distinct(key)
        expected_codes, expected_distinct = reader.factorize_cells(handed_over.frame[key])
        assert np.array_equal(codes, expected_codes) and distinct == expected_distinct


def test_rows_given_in_chunks_short_rows_among_them_hold_every_cell_as_given() -> None:
    rows = mixed_rows(60, seed=3)
    rows[3] = rows[3][:4]  # short rows: the cells right of them are blank
    rows[10] = rows[10][:1]
    rows[12] = [*rows[12], "beyond the header"]  # a row wider than the header
    rows[20][6] = math.nan  # not a cell Excel writes, but one a hostile file may hold: blank, kept as it is
    rows[21][HEADER.index(OWNED)] = math.nan  # in a computed column: a value
    chunks = [rows[1 + start : 1 + start + 7] for start in range(0, len(rows) - 1, 7)]
    furniture = frozenset({2, 8, 9, 30})  # a table's header and total rows: no records, no computed values
    sheet = reader._sheet_data(SPEC, SPEC.en, [rows[0], *chunks[0]], iter(chunks[1:]), furniture)
    assert_read_as_expected(sheet, rows, furniture)
    assert sheet.width == len(HEADER) + 1


def test_equal_texts_and_dates_of_a_column_share_one_object() -> None:
    rows: list[list[object]] = [list(HEADER)]
    rows += [[dt.date(2026, 1, 5), f" C{number % 3:06d}", "Call", *[None] * (len(HEADER) - 3)] for number in range(40)]
    chunks = [rows[1 + start : 1 + start + 7] for start in range(0, len(rows) - 1, 7)]
    frame = reader._sheet_data(SPEC, SPEC.en, [rows[0], *chunks[0]], iter(chunks[1:])).frame
    within_chunk = frame["client_id"].iloc[:7].tolist()
    assert within_chunk[0] is within_chunk[3] and len({id(value) for value in frame["type"].iloc[:7]}) == 1


@pytest.mark.parametrize("furniture", [frozenset(), frozenset({5})], ids=["no table", "a table's total row"])
def test_the_codes_worked_out_while_reading_text_are_those_of_its_cells(furniture: frozenset[int]) -> None:
    """A column of text whose cleaning makes no two texts alike is factorised as it is read: the codes are those
    ``factorize_cells`` works out from the column, blank rows left out (and TRUE's key read as TRUE). A column
    where it does ("Anna" and "Anna  ") is left to be factorised when asked."""
    rows = mixed_rows(60, seed=8)
    for number, row in enumerate(rows[1:]):
        if any(value not in (None, "  ") for value in row[: len(SPEC.columns)]):  # a record
            row[1] = f"C{number % 17:06d}" if number % 5 != 3 else ["  ", None][number % 2]  # repeated, and blanks
            row[2] = ["Call", "Order", "\x00TRUE", None][number % 4]
            row[3] = f" Anna {number}" if number % 3 else f"Anna {number}"  # each one distinct, some with spaces
        else:  # blank in every column (spaces only too): left out
            row[1:4] = ["  ", None, "   "]
    sheet = reader._sheet_data(SPEC, SPEC.en, rows, iter([]), furniture)
    assert len(sheet.frame) < len(rows) - 1  # rows blank in every column were left out
    worked_out = dict(sheet._distinct)
    assert set(worked_out) == (set() if furniture else {"client_id", "type", "service"})
    assert furniture or True in worked_out["type"][1]
    for key, (codes, distinct) in worked_out.items():
        expected_codes, expected_distinct = reader.factorize_cells(sheet.frame[key])
        assert np.array_equal(codes, expected_codes) and codes.dtype == expected_codes.dtype
        assert [(type(value), value) for value in distinct] == [(type(value), value) for value in expected_distinct]


def test_a_frame_packed_for_another_process_is_the_frame_and_its_distinct_values() -> None:
    rows = mixed_rows(80, seed=5)
    for number, row in enumerate(rows[1:]):
        row[7] = ["Call back", " Call back", "", None][number % 4]  # text only
        row[9] = [dt.time(9, 15), dt.datetime(2026, 1, 5, 10, 30), " 05.01.2026", None][number % 4]  # no numbers
    rows[9][7] = math.nan  # a NaN among the texts: blank as None is, but kept as it is
    sheet = reader._sheet_data(SPEC, SPEC.en, rows, iter([]))
    packed = pickle.loads(pickle.dumps(reader.PackedFrame.of(sheet.frame, {}), protocol=pickle.HIGHEST_PROTOCOL))
    frame = packed.unpacked()
    pd.testing.assert_frame_equal(frame, sheet.frame)
    assert_cells(frame, {key: sheet.frame[key].tolist() for key in sheet.frame.columns}, list(sheet.frame.index))
    factorized = packed.factorized()
    assert {"date", "manager", "next_date"} <= set(factorized)  # text, dates, times and blanks
    assert not {"comment", "amount", "service"} & set(factorized)  # NaN, numbers, booleans: cell by cell
    for key, (codes, distinct) in factorized.items():
        expected_codes, expected_distinct = reader.factorize_cells(frame[key])
        assert np.array_equal(codes, expected_codes) and codes.dtype == expected_codes.dtype
        assert len(distinct) == len(expected_distinct)
        assert all(a is b for a, b in zip(distinct, expected_distinct, strict=True))  # the frame's own objects


def with_nan_cells(path: Path, marker: str) -> Path:
    """The workbook at ``path`` with each number ``marker`` in its sheets written as NaN (which no spreadsheet
    writes, but a hostile file may hold, and calamine reads as a float NaN)."""
    changed = path.with_name("nan-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name.startswith("xl/worksheets/"):
                data = data.replace(f"<v>{marker}</v>".encode(), b"<v>NaN</v>")
            target.writestr(name, data)
    return changed


@pytest.mark.parametrize("with_nan", [False, True])
def test_a_sheet_read_as_columns_is_packed_for_another_process_as_its_frame_read_here_is(
    tmp_path: Path, with_nan: bool
) -> None:
    """The helper process packs a sheet read as columns from its codes, without a frame of a value per cell: the
    same columns, codes and cells (a NaN among texts kept a NaN) as packing the frame read here gives."""
    rows = mixed_rows(120, seed=11)
    if with_nan:
        rows[6][5] = rows[10][4] = 987654.5  # the column of text only and the number column, in rows with records
    path = write_workbook(tmp_path / "book.xlsx", {SPEC.en: rows})
    if with_nan:
        path = with_nan_cells(path, "987654.5")
    assert reader.read_grid(path, SPEC.en) is not None  # read as columns, not cell by cell
    read_here = reader.read_alone(path, SPEC, SPEC.en)
    expected = reader.PackedFrame.of(read_here.frame, read_here._distinct)
    sheet, packed = reader.read_packed(path, SPEC, SPEC.en)
    assert packed.keys == expected.keys and packed.index.equals(expected.index)
    for key, got, want in zip(packed.keys, packed.columns, expected.columns, strict=True):
        assert isinstance(got, tuple) == isinstance(want, tuple), key
        if isinstance(got, tuple) and isinstance(want, tuple):
            assert np.array_equal(got[0], want[0]) and len(got[1]) == len(want[1]), key
            assert all(same(a, b) for a, b in zip(got[1], want[1], strict=True)), key
        else:
            assert all(same(a, b) for a, b in zip(got, want, strict=True)), key  # type: ignore[arg-type]
    assert with_nan == any(isinstance(value, float) for value in packed.unpacked()["manager"])  # NaN: kept
    assert sheet.frame.empty and list(sheet.frame.columns) == list(read_here.frame.columns)
    pd.testing.assert_frame_equal(sheet.extra_values, read_here.extra_values)
    assert sheet.owned_values == read_here.owned_values and sheet.width == read_here.width
    assert sheet.letters == read_here.letters and sheet.misplaced_header == read_here.misplaced_header
    assert sheet.without_cells == read_here.without_cells and sheet.raw_rows == read_here.raw_rows
    assert set(sheet._distinct) == set(read_here._distinct)
    handed_over = reader.read_in_process(Child(reader.__name__), path, SPEC, SPEC.en)
    pd.testing.assert_frame_equal(handed_over.frame, read_here.frame)
