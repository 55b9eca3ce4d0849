"""The block history: what earlier refreshes found, kept in the ▸ Block history report sheet.

Each refresh writes two tables there: the number of clients per block at
every refresh, and each client's block at the last two refreshes (the one
before "today" and today's). The next refresh reads them back to show who
moved between blocks. A refresh repeated with the same "today" replaces that
day's entries, so it compares with the same earlier refresh and gives the
same report.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from xlcrm import schema
from xlcrm.checks.normalize import as_text, parse_date
from xlcrm.xlsx.report_sheet import ColumnFormat, ReportColumn, ReportSheet, ReportTable


@dataclass(frozen=True)
class BlockHistory:
    """``counts``: refresh date -> clients per block number; ``snapshots``: refresh date -> ClientID -> block."""

    counts: dict[dt.date, dict[int, int]] = field(default_factory=dict)
    snapshots: dict[dt.date, dict[str, int]] = field(default_factory=dict)

    def previous(self, today: dt.date) -> tuple[dt.date, dict[str, int]] | None:
        """The latest snapshot taken before ``today``."""
        earlier = [day for day in self.snapshots if day < today]
        if not earlier:
            return None
        day = max(earlier)
        return day, self.snapshots[day]

    def updated(self, today: dt.date, blocks: pd.Series) -> BlockHistory:
        """This history with ``blocks`` (ClientID -> block number) recorded for ``today``."""
        counts = {day: value for day, value in self.counts.items() if day != today}
        tally = blocks.value_counts()
        counts[today] = {b.number: int(tally.get(b.number, 0)) for b in schema.BLOCKS}
        snapshots: dict[dt.date, dict[str, int]] = {}
        previous = self.previous(today)
        if previous is not None:
            snapshots[previous[0]] = previous[1]
        # Whole columns to Python values at once: a hundred thousand clients iterated as pandas items take several
        # times longer.
        snapshots[today] = dict(zip(map(str, blocks.index.tolist()), blocks.to_numpy(dtype=int).tolist()))
        return BlockHistory(dict(sorted(counts.items())), snapshots)


def read_history(rows: Sequence[Sequence[object]]) -> BlockHistory:
    """The history in the raw rows of the history sheet; tables it cannot find are taken as empty."""
    counts: dict[dt.date, dict[int, int]] = {}
    snapshots: dict[dt.date, dict[str, int]] = {}
    # A hundred thousand rows of clients hold two dates and eight blocks: each distinct cell is read once (typed:
    # the number 1 and the boolean TRUE are told apart).
    day_of = functools.lru_cache(maxsize=None, typed=True)(lambda value: parse_date(value).date)
    block_of = functools.lru_cache(maxsize=None, typed=True)(schema.match_block)
    for header_row, kind in _tables(rows):
        header = list(rows[header_row])
        for values in _body(rows, header_row):
            day = day_of(values[0])
            if day is None:
                continue
            if kind == "history_counts":
                counts[day] = {
                    block.number: _whole(values[i])
                    for i, cell in enumerate(header)
                    if i < len(values) and (block := _header_block(cell)) is not None
                }
            elif len(values) >= 3:
                client_id = as_text(values[1])
                found = block_of(values[2])
                if client_id and found is not None:
                    snapshots.setdefault(day, {})[client_id] = found.number
    return BlockHistory(dict(sorted(counts.items())), snapshots)


def history_sheet(history: BlockHistory, locale: str, today: dt.date) -> ReportSheet:
    """The block history sheet: clients per block at each refresh, and the block each client was in."""

    def text(key: str) -> str:
        return schema.label(key, locale)

    blocks = list(reversed(schema.BLOCKS))
    counts = ReportTable(
        text("history_counts"),
        [ReportColumn(text("date"), ColumnFormat.DATE)]
        + [ReportColumn(b.label(locale), ColumnFormat.INTEGER) for b in blocks]
        + [ReportColumn(text("total"), ColumnFormat.INTEGER)],
        [
            [day] + [tally.get(b.number, 0) for b in blocks] + [sum(tally.values())]
            for day, tally in history.counts.items()
        ],
    )
    clients = ReportTable(
        text("history_clients"),
        [
            ReportColumn(text("date"), ColumnFormat.DATE),
            ReportColumn(text("client_id")),
            ReportColumn(text("block"), ColumnFormat.INTEGER),
            ReportColumn(text("block_name")),
        ],
        [
            [day, client_id, number, schema.block(number).name(locale)]
            for day, blocks_of in sorted(history.snapshots.items())
            for client_id, number in blocks_of.items()
        ],
        autofilter=True,
    )
    return ReportSheet.of(
        schema.BLOCK_HISTORY,
        locale,
        text("history_title"),
        text("computed_on").format(today=f"{today:%d.%m.%Y}"),
        (counts, clients),
        main_table=1,
    )


def _tables(rows: Sequence[Sequence[object]]) -> list[tuple[int, str]]:
    """(header row index, table kind) of each table, found by its heading in either language."""
    headings = {
        schema.fold(spelling): key
        for key in ("history_counts", "history_clients")
        for spelling in schema.label_spellings(key)
    }
    found = []
    for index, values in enumerate(rows):
        kind = headings.get(schema.fold(values[0])) if values and isinstance(values[0], str) else None
        if kind is not None and index + 1 < len(rows):
            found.append((index + 1, kind))
    return found


def _body(rows: Sequence[Sequence[object]], header_row: int) -> list[Sequence[object]]:
    body = []
    for values in rows[header_row + 1 :]:
        if not values or values[0] is None or values[0] == "":
            break
        body.append(values)
    return body


def _header_block(cell: object) -> schema.Block | None:
    return schema.match_block(cell) if str(cell)[:1].isdigit() else None


def _whole(value: object) -> int:
    """A count of the history's first table as a whole number; 0 for a cell that holds none (text, TRUE, and the
    NaN or infinity that only a file written by hand can hold)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0
    return int(value)
