"""The Segments report sheet: each named segment of Settings, its size, how many of it may be mailed, its revenue.

Written on every refresh. A workbook without named segments gets the sheet all the same, saying how to define
one: the sheet is where an owner looks for segments, and an empty one that explains itself is found; a missing
one is not. A filter that cannot be read shows its error on its row and counts nobody.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.checks.segments import NamedSegment
from xlcrm.errors import error_text
from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.segments import Segments, matches, may_be_mailed
from xlcrm.messages import render, t
from xlcrm.xlsx.report_sheet import CellValue, ColumnFormat, ReportColumn, ReportSheet, ReportTable


def segments_sheet(
    segments: Segments, lifecycle: Lifecycle, period_sales: pd.DataFrame, locale: str, subtitle: str
) -> ReportSheet:
    """The sheet of the named segments; ``period_sales`` are the orders and returns of the report period."""
    clients = lifecycle.clients
    revenue = clients["revenue"].to_numpy(dtype=float)
    in_period = period_sales.groupby("client_id")["amount"].sum().reindex(clients.index, fill_value=0.0)
    tested = any(segment.filter is not None for segment in segments.named)
    mailable = may_be_mailed(segments.fields) if tested else np.zeros(len(clients), dtype=bool)
    rows = [
        _row(segment, segments, revenue, in_period.to_numpy(dtype=float), mailable, locale)
        for segment in segments.named
    ]
    if rows:
        heading = render(t("Named segments of {settings}", settings=schema.SETTINGS.name(locale)), locale)
    else:
        heading = render(_HOW_TO_DEFINE, locale).format(
            segment=schema.SETTINGS.column("segment").name(locale),
            segment_filter=schema.SETTINGS.column("segment_filter").name(locale),
            settings=schema.SETTINGS.name(locale),
            how_to=schema.HOW_TO.name(locale),
            example=render(t("block in (Regular, Partner) and city = Kazan and consent"), locale),
        )
    table = ReportTable(
        heading,
        [
            ReportColumn(render(t("Segment"), locale), ColumnFormat.LONG_TEXT, width=28),
            ReportColumn(render(t("Filter"), locale), ColumnFormat.LONG_TEXT, width=44),
            ReportColumn(schema.label("clients", locale), ColumnFormat.INTEGER),
            ReportColumn(render(t("May be mailed"), locale), ColumnFormat.INTEGER),
            ReportColumn(schema.label("revenue_all_time", locale), ColumnFormat.MONEY),
            ReportColumn(schema.label("revenue_period", locale), ColumnFormat.MONEY),
            ReportColumn(render(t("Problem"), locale), ColumnFormat.LONG_TEXT, width=50),
        ],
        rows,
    )
    title = schema.label("segments_title", locale)
    # A few segments, one short table: nothing to keep in view while scrolling (and the Problem column, blank on
    # most rows, would leave a frozen header wider than the rows below it).
    return ReportSheet.of(schema.SEGMENTS, locale, title, subtitle, (table,), main_table=None)


_HOW_TO_DEFINE = t(
    "No named segments yet. Type a name in {segment} and a filter in {segment_filter} on {settings}, for example "
    "{example}; {how_to} explains the filters."
)


def _row(
    segment: NamedSegment,
    segments: Segments,
    revenue: np.ndarray,
    in_period: np.ndarray,
    mailable: np.ndarray,
    locale: str,
) -> list[CellValue]:
    """A segment's row: name, filter, clients, of them may be mailed, revenue all time and in the period, problem."""
    if segment.filter is None:
        problem = render(error_text(segment.error), locale) if segment.error else ""
        return [segment.name, segment.text, None, None, None, None, problem]
    picked = matches(segment.filter, segments.fields)
    return [
        segment.name,
        segment.text,
        int(picked.sum()),
        int((picked & mailable).sum()),
        float(revenue[picked].sum()),
        float(in_period[picked].sum()),
        "",
    ]
