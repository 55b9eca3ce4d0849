"""Reading the Block history back: the rows an earlier refresh wrote, as any spreadsheet program leaves them."""

from __future__ import annotations

import datetime as dt

from xlcrm import schema
from xlcrm.lifecycle.history import read_history


def test_each_cell_of_the_history_is_read_as_itself_whatever_came_before() -> None:
    """A block written as the number 1, the text "1 Dead", TRUE or 1.0 and a date as a date or as text: each
    row is read by its own cells, even where an equal value of another type came first (TRUE equals 1 in Python)."""
    day, earlier = dt.date(2026, 12, 1), dt.date(2026, 11, 30)
    rows = [
        ["Block history"],
        [schema.label("history_clients", "en")],
        ["Date", "ClientID", "Block", "Block name"],
        [dt.datetime(2026, 12, 1), "C1", True, ""],
        [dt.datetime(2026, 12, 1), "C2", 1, "Dead"],
        ["01.12.2026", "C3", "1 Dead", "Dead"],
        ["30.11.2026", "C4", 1.0, "Dead"],
        [True, "C5", 2, "Potential"],
        [dt.datetime(2026, 11, 30), "C6", "TRUE", ""],
    ]
    history = read_history(rows)
    assert history.snapshots == {day: {"C2": 1, "C3": 1}, earlier: {"C4": 1}}


def test_a_count_that_is_no_whole_number_counts_nothing() -> None:
    """The counts table of a file written by hand may hold text, TRUE, NaN or infinity: each counts 0, where NaN and
    infinity stopped the refresh with a traceback."""
    blocks = [f"{block.number} {block.en}" for block in reversed(schema.BLOCKS)]
    rows = [
        ["Block history"],
        [schema.label("history_counts", "en")],
        ["Date", *blocks, "Total"],
        [dt.datetime(2026, 12, 1), float("nan"), float("inf"), -float("inf"), "many", True, 7, 7.0, 1.5, 0],
    ]
    counts = read_history(rows).counts[dt.date(2026, 12, 1)]
    assert [counts[block.number] for block in reversed(schema.BLOCKS)] == [0, 0, 0, 0, 0, 7, 7, 1]
