"""Report tables are written a column at a time: the cells are those written one at a time, byte for byte."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import random
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import pytest

from xlcrm.xlsx import report_sheet
from xlcrm.xlsx.refs import column_letter
from xlcrm.xlsx.report_sheet import (
    MAX_CELL_TEXT,
    CellXml,
    ColumnFormat,
    Formula,
    ReportColumn,
    ReportSheet,
    ReportTable,
    Role,
    StyleKey,
    TableLayout,
    layout,
    line_capacity,
    render_worksheet,
)

UTC, MOSCOW = dt.timezone.utc, dt.timezone(dt.timedelta(hours=3))
STYLES: dict[StyleKey, int] = {key: number for number, key in enumerate([*Role, *ColumnFormat], start=1)}


def per_cell_table_body(
    table: ReportTable,
    where: TableLayout,
    styles: Mapping[StyleKey, int],
    cells_xml: CellXml,
    widths: Sequence[float],
) -> Iterator[bytes]:
    """The rows of a table's values written a cell at a time, as before they were written a column at a time."""
    letters = [column_letter(i) for i in range(len(table.columns))]
    style_by_column = [
        f' s="{styles[Role.EDITABLE if column.editable else column.format]}"' for column in table.columns
    ]
    # A blank editable cell is written too (without a value): a cell left out would be locked.
    editable = [column.editable for column in table.columns]
    editable_columns = [index for index, typed_in in enumerate(editable) if typed_in]
    # A date in a column not meant for dates still shows as a date, never as Excel's bare day number; but a date
    # typed into an editable column keeps the column's style, so that its cell stays unlocked.
    style_kept = [
        column.editable or column.format in (ColumnFormat.DATE, ColumnFormat.DATETIME) for column in table.columns
    ]
    date_style, datetime_style = f' s="{styles[ColumnFormat.DATE]}"', f' s="{styles[ColumnFormat.DATETIME]}"'
    after_ref = cells_xml.after_ref  # looked up once: this loop runs once per cell of a report of any size
    width = len(table.columns)
    long_columns = [
        (index, line_capacity(widths[index]))
        for index, column in enumerate(table.columns)
        if column.format is ColumnFormat.LONG_TEXT
    ]
    chunk: list[str] = []
    for number, values in enumerate(table.rows, start=where.first_row):
        if len(values) > width:
            raise ValueError(f"table {table.heading!r}, row {number}: {len(values)} values for {width} columns")
        cells = []
        for letter, style, kept, typed_in, value in zip(letters, style_by_column, style_kept, editable, values):
            if value is None and not typed_in:
                continue
            if not kept and isinstance(value, dt.date):
                style = datetime_style if isinstance(value, dt.datetime) else date_style
            ref = f"{letter}{number}"
            after = after_ref(ref, value, style)
            if after:
                cells.append(f'<c r="{ref}"{after}')
            elif typed_in:
                cells.append(f'<c r="{ref}"{style}/>')
        if editable_columns and len(values) <= editable_columns[-1]:  # editable columns past a short row's end
            cells += [
                f'<c r="{letters[index]}{number}"{style_by_column[index]}/>'
                for index in editable_columns
                if index >= len(values)
            ]
        row_open = report_sheet._row_open(number, values, long_columns) if long_columns else f'<row r="{number}">'
        chunk.append(f"{row_open}{''.join(cells)}</row>")
        if len(chunk) == report_sheet._ROWS_PER_CHUNK:
            yield "".join(chunk).encode("utf-8")
            chunk.clear()
    if chunk:
        yield "".join(chunk).encode("utf-8")


KINDS = 27


def random_value(rng: random.Random, kind: int | None = None) -> object:
    kind = rng.randrange(KINDS) if kind is None else kind
    pool: list[object] = [
        None,
        "",
        " leading space",
        "trailing space ",
        'a & b < c > "d"',
        "x" * (MAX_CELL_TEXT + 5),
        "Иванов Иван",
        "line\nbreak",
        "_x0041_ and \x01",
        rng.randrange(-5, 5),
        rng.choice([0.1, 2.5, -3.75, 1e16, 1e-7]),
        math.nan,
        math.inf,
        True,
        False,
        dt.date(2026, 11, rng.randrange(1, 30)),
        dt.datetime(2026, 11, 23, rng.randrange(24), 30),
        dt.date(1899, 12, 1),
        pd.NaT,
        np.int64(rng.randrange(100)),
        np.float64(rng.random()),
        decimal.Decimal("12.50"),
        # Equal values written differently: zeros of either sign, one moment in two time zones.
        rng.choice([0.0, -0.0]),
        rng.choice([decimal.Decimal("-0"), decimal.Decimal("0")]),
        rng.choice([dt.datetime(2026, 11, 23, 12, tzinfo=UTC), dt.datetime(2026, 11, 23, 15, tzinfo=MOSCOW)]),
        rng.choice([dt.time(9, 30, tzinfo=UTC), dt.time(12, 30, tzinfo=MOSCOW)]),
    ]
    if kind == KINDS - 1:
        return rng.choice([Formula("SUM(A1:A3)"), dt.time(9, 30), dt.timedelta(hours=36)])
    return pool[kind]


def random_table(rng: random.Random, autofilter: bool) -> ReportTable:
    width = rng.randrange(1, 8)
    columns = []
    for index in range(width):
        column_format = rng.choice(list(ColumnFormat))
        editable = column_format is ColumnFormat.TEXT and rng.random() < 0.3
        columns.append(ReportColumn(f"Column {index}", column_format, editable=editable))
    # Columns of one kind, as reports mostly are, and of every kind mixed; rows shorter than the table too.
    # Most columns hold values of one kind (and blanks), as reports do; some mix every kind.
    kinds = [rng.randrange(KINDS) for _ in range(width)]
    mixed = [rng.random() < 0.3 for _ in range(width)]
    rows = []
    for _ in range(rng.randrange(0, 2 * report_sheet._ROWS_PER_CHUNK + 10)):
        length = width if rng.random() < 0.9 else rng.randrange(0, width + 1)
        row = []
        for index in range(length):
            if rng.random() < 0.1:
                row.append(None)
            else:
                row.append(random_value(rng, None if mixed[index] and rng.random() < 0.5 else kinds[index]))
        rows.append(tuple(row))
    return ReportTable("Table", columns, rows, autofilter=autofilter, note="A note\non two lines")


@pytest.mark.parametrize("seed", range(40))
def test_a_table_written_column_by_column_is_the_table_written_cell_by_cell(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    report = ReportSheet(
        name=f"▸ Report {seed}",
        title="Report",
        tables=[random_table(rng, rng.random() < 0.5 and first) for first in (True, False)[: rng.randrange(1, 3)]],
    )
    where = layout(report)
    new = b"".join(render_worksheet(report, where, STYLES, date1904=seed % 2 == 1))
    monkeypatch.setattr(report_sheet, "_table_body", per_cell_table_body)
    old = b"".join(render_worksheet(report, where, STYLES, date1904=seed % 2 == 1))
    assert new == old


def test_a_row_longer_than_its_table_is_refused() -> None:
    table = ReportTable("Table", [ReportColumn("A"), ReportColumn("B")], [("a", "b"), ("a", "b", "c")])
    report = ReportSheet(name="▸ Report", title="Report", tables=[table])
    with pytest.raises(ValueError, match="row 6: 3 values for 2 columns"):
        b"".join(render_worksheet(report, layout(report), STYLES))


@pytest.mark.parametrize(
    ("rows", "cell"),
    [
        ([("a",), (object(),), (object(),)], "A6"),  # a column of mixed kinds
        ([(object(),), (object(),)], "A5"),  # of one kind
    ],
)
def test_a_value_no_cell_can_hold_is_named_at_its_first_cell(rows: list[tuple[object]], cell: str) -> None:
    table = ReportTable("Table", [ReportColumn("A")], rows)  # type: ignore[arg-type]  # not a CellValue
    report = ReportSheet(name="▸ Report", title="Report", tables=[table])
    with pytest.raises(TypeError, match=f"cell {cell}:"):
        b"".join(render_worksheet(report, layout(report), STYLES))
