"""The frames' text columns (``xlcrm.lifecycle.frames._text``): each cell as the text a person sees, None for a
blank, whether the column holds only text (worked out in one pass) or other values too (one value at a time)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from xlcrm import schema
from xlcrm.checks.normalize import as_text, is_blank
from xlcrm.lifecycle import frames
from xlcrm.xlsx import reader

SPEC = schema.INTERACTIONS
HEADER = [column.en for column in SPEC.columns]


def sheet_holding(cells: list[object]) -> reader.SheetData:
    """An Interactions sheet whose ClientID column holds ``cells`` as they are (not cleaned, as merges may set them)."""
    rows: list[list[object]] = [HEADER, *[["C1", "x", "Call"] + [None] * (len(HEADER) - 3) for _ in cells]]
    sheet = reader._sheet_data(SPEC, SPEC.en, rows, iter([]))
    frame = sheet.frame.copy()
    frame["client_id"] = pd.Series(cells, index=frame.index, dtype=object)
    return dataclasses.replace(sheet, frame=frame)


@pytest.mark.parametrize(
    "cells",
    [
        pytest.param([" C1", "C1", "C2 ", "   ", "", None, "C2", "Ж 7"], id="text"),
        pytest.param([" C1", 7.0, 7, True, dt.date(2026, 1, 5), None, "   ", float("nan")], id="mixed"),
        pytest.param([None, None], id="blank"),
    ],
)
def test_a_text_column_is_each_cell_as_a_person_reads_it(cells: list[object]) -> None:
    sheet = sheet_holding(cells)
    got = frames._text(sheet, "client_id")
    expected = [None if is_blank(value) else as_text(value) for value in cells]
    assert got.tolist() == expected
    assert got.index.equals(sheet.frame.index) and got.dtype == object
