"""Interactions read on a worker thread and in chunks: the same data as one plain read, errors where they belong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from builders import write_workbook
from xlcrm import schema, workbook
from xlcrm.cli import cli
from xlcrm.demo import create_demo
from xlcrm.errors import NotAWorkbook
from xlcrm.workbook import WorkbookData, read_workbook

TODAY = dt.date(2026, 11, 23)


def assert_same(first: WorkbookData, second: WorkbookData) -> None:
    assert list(first.sheets) == list(second.sheets)
    for key in first.sheets:
        a, b = first.sheets[key], second.sheets[key]
        pd.testing.assert_frame_equal(a.frame, b.frame)
        for frame_a, frame_b in ((a.frame, b.frame),):  # same types cell by cell: 1, 1.0 and TRUE stay apart
            assert [[type(v) for v in row] for row in frame_a.itertuples()] == \
                [[type(v) for v in row] for row in frame_b.itertuples()]
        assert (a.letters, a.extra_columns, a.width, a.owned_values, a.misplaced_header, a.raw_rows) == \
            (b.letters, b.extra_columns, b.width, b.owned_values, b.misplaced_header, b.raw_rows)


def test_background_and_chunked_reading_give_what_one_plain_read_gives(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=120, seed=3, locale="ru", today=TODAY)
    usual = read_workbook(path)
    monkeypatch.setattr(schema, "BACKGROUND_SHEETS", ())
    monkeypatch.setattr(workbook, "ROW_CHUNK", 7)  # many chunks, rows and blank rows split across them
    assert_same(usual, read_workbook(path))


def test_chunks_keep_row_numbers_blank_rows_and_mixed_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = [c.en for c in schema.INTERACTIONS.columns]
    rows = [header]
    for number in range(2, 40):
        if number % 5 == 0:
            rows.append([None] * len(header))  # a formatted but empty row
            continue
        rows.append([dt.date(2026, 1, number % 28 + 1), f"  C{number % 4:06d} ", "Call", True if number % 3 else 1,
                     1.0 if number % 2 else 1, "Anna", "", None, None, None])
    path = write_workbook(tmp_path / "book.xlsx", {schema.INTERACTIONS.en: rows})
    monkeypatch.setattr(workbook, "ROW_CHUNK", 4)
    chunked = read_workbook(path).sheets[schema.INTERACTIONS.key]
    monkeypatch.setattr(workbook, "ROW_CHUNK", 1_000)
    whole = read_workbook(path).sheets[schema.INTERACTIONS.key]
    pd.testing.assert_frame_equal(chunked.frame, whole.frame)
    assert [type(v) for v in chunked.frame["service"]] == [type(v) for v in whole.frame["service"]]
    frame = chunked.frame
    assert 5 not in frame.index and 10 not in frame.index and frame.index[0] == 2
    assert frame.loc[2, "client_id"] == "C000002"  # stripped
    assert frame.loc[2, "result"] is None  # "" is a blank
    assert frame.loc[4, "service"] is True and frame.loc[3, "service"] == 1 and frame.loc[3, "service"] is not True


def test_a_background_sheet_that_cannot_be_read_stops_the_command(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    before = path.read_bytes()
    read_sheet = workbook._read_sheet

    def failing(book, where, spec, actual):  # type: ignore[no-untyped-def]
        if spec in schema.BACKGROUND_SHEETS:
            raise NotAWorkbook(f"{where}: sheet {actual!r} cannot be read: broken XML")
        return read_sheet(book, where, spec, actual)

    monkeypatch.setattr(workbook, "_read_sheet", failing)
    for command in (["validate", str(path)], ["refresh", str(path), "--today", TODAY.isoformat()],
                    ["dedupe", str(path)]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1, result.output
        assert result.output.splitlines() == [f"Error: {path}: sheet 'Interactions' cannot be read: broken XML"]
    assert path.read_bytes() == before
    data = read_workbook(path)
    for _ in range(2):  # asked again, the same error: not a missing sheet
        with pytest.raises(NotAWorkbook, match="broken XML"):
            data.sheet(schema.INTERACTIONS.key)


def test_a_damaged_file_is_named_damaged_though_sheets_are_read_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)  # somewhere inside a compressed part
    path.write_bytes(bytes(data))
    with pytest.raises(NotAWorkbook, match="is damaged: its zip container cannot be read"):
        read_workbook(path)
