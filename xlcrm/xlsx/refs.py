"""Cell and sheet references as Excel writes them: column letters, ``D14``, quoted sheet names."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from functools import cache

# Excel's grid: a value beyond it cannot come from Excel.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384


def sheet_ref(name: str) -> str:
    """A sheet name as Excel writes it in a reference."""
    if name.replace("_", "").isalnum() and not name[0].isdigit():
        return name
    return "'" + name.replace("'", "''") + "'"


@cache  # at most Excel's 16,384 columns, asked for by every cell written
def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_CELL_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


@cache  # at most Excel's 16,384 columns; a million cell references ask again and again
def column_index(letters: str) -> int:
    """Column letters -> 0-based index (A -> 0, AA -> 26)."""
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def parse_cell(ref: str) -> tuple[int, int]:
    """``"D14"`` -> (row 14, column index 3); ValueError for anything else."""
    match = _CELL_REF.fullmatch(ref) or _CELL_REF.fullmatch(ref.strip().upper())
    if match is None:
        raise ValueError(f"{ref!r} is not a cell reference such as D14")
    row, column = int(match.group(2)), column_index(match.group(1))
    if row > MAX_ROWS or column >= MAX_COLUMNS:
        raise ValueError(f"{ref!r} is outside Excel's grid")
    return row, column


def row_runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """The row numbers as runs of consecutive rows, in order: ``[(15, 20), (33, 33)]`` for 15 to 20 and 33."""
    ordered = sorted(set(rows))
    # The rows of one run are all equally far from their place in the order.
    return [
        (run[0][1], run[-1][1])
        for run in (list(group) for _, group in itertools.groupby(enumerate(ordered), lambda item: item[1] - item[0]))
    ]
