"""Whether an Arrow read of a sheet (fastexcel) gives back every cell as xlcrm reads it today (python-calamine).

    .venv/bin/python benchmarks/arrow_fidelity.py [--rows 5000] [--seed 1]

It writes a sheet of columns that users' workbooks hold (only dates; dates some of which are typed as text;
amounts some of which are typed as text; numbers with a text cell far below the first thousand rows; TRUE and
1 in one column; text), reads it with python-calamine (the reference: each cell's own type) and with fastexcel in
three ways (its default inference from the first 1,000 rows; inference from every row, refusing a mixed column;
every column as text), and prints per column how many cells come back different, or the error. A column counts
as read exactly only when every cell has the same value and the same type as calamine gives it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import fastexcel
import openpyxl
from python_calamine import CalamineWorkbook

SHEET = "Sheet"


def columns(rows: int, rng: random.Random) -> dict[str, Callable[[int], object]]:
    """Column header -> the value of its cell on data row ``number`` (0-based)."""

    def day(number: int) -> dt.date:
        return dt.date(2020, 1, 1) + dt.timedelta(days=number % 2000)

    far = rows - 3  # below fastexcel's default sample of 1,000 rows
    return {
        "dates": lambda n: day(n),
        "dates, some as text": lambda n: day(n).strftime("%d.%m.%Y") if rng.random() < 0.05 else day(n),
        "amounts, some as text": lambda n: f"{n * 10} руб" if rng.random() < 0.05 else float(n * 10),
        "numbers, text far below": lambda n: "нет" if n == far else float(n),
        "numbers typed as text": lambda n: str(n) if n % 7 == 0 else float(n),
        "TRUE and 1": lambda n: True if n % 3 == 0 else 1.0,
        "text": lambda n: f"Клиент {n}",
    }


def write(path: Path, rows: int, seed: int) -> list[str]:
    """The sheet written to ``path``; returns its headers."""
    makers = columns(rows, random.Random(seed))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(list(makers))
    for number in range(rows):
        sheet.append([make(number) for make in makers.values()])
    book.save(path)
    return list(makers)


def reference(path: Path) -> list[list[object]]:
    """Each column's cells as python-calamine reads them (blank as None)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    return [[None if cell == "" else cell for cell in column] for column in zip(*rows[1:])]


def arrow(path: Path, **options: object) -> list[list[object]] | str:
    """Each column's cells as fastexcel reads them with ``options``, or the error it raised."""
    try:
        table = fastexcel.read_excel(path).load_sheet_by_name(SHEET, **options).to_arrow()  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001 - the error is the result
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return [table.column(index).to_pylist() for index in range(table.num_columns)]


def same(expected: object, got: object) -> bool:
    """Whether a cell came back with the value and the type calamine gives it (a date may come as midnight)."""
    if isinstance(expected, dt.date) and not isinstance(expected, dt.datetime) and isinstance(got, dt.datetime):
        return got == dt.datetime.combine(expected, dt.time())
    return type(expected) is type(got) and expected == got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mixed.xlsx"
        headers = write(path, args.rows, args.seed)
        expected = reference(path)
        ways = {
            "default inference": {},
            "every row, strict": {"schema_sample_rows": None, "dtype_coercion": "strict"},
            "every column as text": {"dtypes": "string"},
        }
        print(f"{args.rows} rows; cells that differ from python-calamine's read, per column:")
        for way, options in ways.items():
            got = arrow(path, **options)
            print(f"\n{way}:")
            if isinstance(got, str):
                print(f"  {got}")
                continue
            for header, want, have in zip(headers, expected, got):
                wrong = sum(not same(cell, read) for cell, read in zip(want, have))
                example = next(((cell, read) for cell, read in zip(want, have) if not same(cell, read)), None)
                shown = f"  (e.g. {example[0]!r} came back as {example[1]!r})" if example else ""
                print(f"  {header:26} {wrong:6}{shown}")


if __name__ == "__main__":
    main()
