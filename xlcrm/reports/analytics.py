"""The ▸ Analytics sheet: the figures an owner asks for, each table saying under its heading how it is worked out.

- **By block and by manager** (the reporting period): orders, revenue (orders minus returns), clients who
  ordered, the average check (revenue ÷ orders), the purchase frequency (orders ÷ clients who ordered) and the
  median number of days between two consecutive orders of one client. A block counts its clients' orders; a
  manager the orders they logged (the client's manager when the Manager cell is blank), as on ▸ Managers.
- **By Source** (all time up to today, blank Source as "(not given)"): clients, of them new in the period (by
  Created), those who ever ordered (the conversion from prospect to a first order), orders, revenue, revenue per
  client, the average check, and the revenue of the period.
- **Cohorts** by the month of Created: the period's months, one row for the clients created before it and one
  counting the clients left out (no Created date, or one after today): clients, those who ever ordered, those who
  did within 30 and 90 days of Created, and their revenue up to today.
- **Cities**: clients, clients who ordered in the period, the period's revenue and its share; the
  ``TOP_CITIES`` cities with the most revenue, the others in one row.
- **Card holders and others**: the clients with a Card number, those without one and all of them: clients, and over
  the period clients who ordered, orders, revenue, revenue per client (÷ all the row's clients) and the average
  check; and the average Discount of the row's clients that have one (above 0). A base without card numbers shows
  0 card holders, so the table stays where it is and says what it would compare.

Sources and cities that differ only in case, spaces or ё are one group, spelled as its first client spells it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.checks.loyalty import card_key
from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.frames import Frames
from xlcrm.messages import Message, t
from xlcrm.reports.period import Period, acting_manager, manager_order, month_label
from xlcrm.xlsx.report_sheet import CellValue, Chart, ChartKind, ColumnFormat, ReportColumn, ReportSheet, ReportTable

TOP_CITIES = 15
FIRST_ORDER_WITHIN_DAYS = (30, 90)
NOT_GIVEN = t("(not given)")
# Widths of the number columns, in characters: 18,306,000.00 fits, and so does 100.0 % or 1,234.
MONEY_WIDTH, COUNT_WIDTH = 15, 11


def analytics_sheet(
    frames: Frames, lifecycle: Lifecycle, period: Period, sales: pd.DataFrame, subtitle: str
) -> ReportSheet:
    """The ▸ Analytics sheet of ``frames``' workbook for ``period`` (``sales``: its ``period_sales``): see the
    module."""
    locale = frames.locale
    clients = client_groups(frames, lifecycle)
    sources = source_table(clients, sales, period, locale)
    tables = (
        block_table(lifecycle, sales, locale),
        manager_table(lifecycle, sales, locale),
        sources,
        cohort_table(clients, period, lifecycle, locale),
        city_table(clients, sales, locale),
        card_table(frames, lifecycle, sales, locale),
    )
    at, source_rows = tables.index(sources), len(sources.rows) - 1  # the Total row is not a source
    # Columns of the sources table: 4 the conversion, 6 the revenue of all time.
    charts = (
        Chart(t("Revenue by source, all time").render(locale), at, 0, 6, ChartKind.BAR, source_rows),
        Chart(t("Conversion to a first order by source").render(locale), at, 0, 4, ChartKind.BAR, source_rows, "0%"),
    )
    return ReportSheet.of(
        schema.ANALYTICS,
        locale,
        schema.label("analytics_title", locale),
        subtitle,
        tables,
        main_table=None,
        charts=charts if source_rows else (),  # no clients: a chart of no sources would plot the Total row
    )


def client_groups(frames: Frames, lifecycle: Lifecycle) -> pd.DataFrame:
    """The lifecycle's clients with their ``source`` and ``city`` as group labels (see ``group_labels``)."""
    rows = lifecycle.clients["row"]
    blank = NOT_GIVEN.render(frames.locale)
    typed = frames.clients.reindex(rows)
    grouped: pd.DataFrame = lifecycle.clients.assign(
        source=group_labels(typed["source"], blank).to_numpy(), city=group_labels(typed["city"], blank).to_numpy()
    )
    return grouped


def group_labels(values: pd.Series, blank: str) -> pd.Series:
    """Each value's group: values equal but for case, spaces and ё are one, spelled as the first of them is;
    ``blank`` for a blank one."""
    # Worked out once per distinct value, in order of first appearance, so the first spelling of a group wins.
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    folded = [schema.fold(value) for value in distinct]
    spelling: dict[str, object] = {}
    for value, key in zip(distinct, folded):
        spelling.setdefault(key, value)
    named = np.array([spelling[key] if key else blank for key in folded] + [blank], dtype=object)
    labels: pd.Series = pd.Series(named[codes], index=values.index)  # a blank's code, -1, takes the blank at the end
    return labels


# --- average check and frequency ------------------------------------------------------------


def order_figures(sales: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per group of the ``sales`` rows (``period_sales``; ``groups`` aligned with them): ``orders``, ``revenue``,
    ``clients`` who ordered, ``check`` (revenue ÷ orders), ``frequency`` (orders ÷ clients) and ``gap_days`` (the
    median of the days between a client's consecutive orders, each gap counted for the later order's group).
    Ratios are NaN where they divide by zero."""
    orders = sales[sales["is_order"]].assign(group=groups[sales["is_order"]])
    orders = orders.sort_values(["client_id", "date"], kind="stable")
    gaps = orders["date"].diff().dt.days.where(orders["client_id"].eq(orders["client_id"].shift()))
    figures: pd.DataFrame = pd.DataFrame(
        {
            "orders": orders.groupby("group").size(),
            "revenue": sales["amount"].fillna(0.0).groupby(groups).sum(),
            "clients": orders.groupby("group")["client_id"].nunique(),
            "gap_days": gaps.groupby(orders["group"]).median(),
        }
    )
    figures[["orders", "clients"]] = figures[["orders", "clients"]].fillna(0).astype(int)
    figures["revenue"] = figures["revenue"].fillna(0.0)
    figures["check"] = figures["revenue"] / figures["orders"].where(figures["orders"] > 0)
    figures["frequency"] = figures["orders"] / figures["clients"].where(figures["clients"] > 0)
    return figures


def _check_columns(locale: str) -> list[ReportColumn]:
    """The columns of ``order_figures`` on the sheet, in ``_check_values``' order."""
    return [
        _figure(schema.label("orders", locale), ColumnFormat.INTEGER),
        _figure(schema.label("revenue", locale), ColumnFormat.MONEY),
        _figure(t("Clients who ordered").render(locale), ColumnFormat.INTEGER),
        _figure(t("Average check").render(locale), ColumnFormat.MONEY),
        _figure(t("Orders per client").render(locale), ColumnFormat.NUMBER),
        _figure(t("Days between orders").render(locale), ColumnFormat.INTEGER),
    ]


def _check_values(row: pd.Series) -> list[CellValue]:
    """One row of ``order_figures`` as cells; a ratio without a value blank."""
    return [
        int(row["orders"]),
        float(row["revenue"]),
        int(row["clients"]),
        _ratio(row["check"]),
        _ratio(row["frequency"]),
        _ratio(row["gap_days"]),
    ]


def _with_total(figures: pd.DataFrame, sales: pd.DataFrame, label: str) -> list[list[CellValue]]:
    """The rows of ``figures`` (their index the first cell), and a ``label`` row of all ``sales``."""
    rows: list[list[CellValue]] = [[str(name), *_check_values(row)] for name, row in figures.iterrows()]
    total = _for_each(order_figures(sales, pd.Series(label, index=sales.index)), [label])
    rows.append([label, *_check_values(total.iloc[0])])
    return rows


def _for_each(figures: pd.DataFrame, groups: list[int] | list[str]) -> pd.DataFrame:
    """``order_figures`` with a row for each of ``groups``, in their order: nothing ordered is 0 orders."""
    every: pd.DataFrame = figures.reindex(groups).fillna({"orders": 0, "clients": 0, "revenue": 0.0})
    return every


def block_table(lifecycle: Lifecycle, sales: pd.DataFrame, locale: str) -> ReportTable:
    """Average check and purchase frequency of each block's clients over the period, with a Total row."""
    numbers = [b.number for b in reversed(schema.BLOCKS)]
    block = lifecycle.clients["block"].reindex(sales["client_id"]).to_numpy()
    figures = _for_each(order_figures(sales, pd.Series(block, index=sales.index)), numbers)
    figures.index = [schema.block(int(number)).label(locale) for number in numbers]
    sizes = lifecycle.clients.groupby("block").size().reindex(numbers, fill_value=0).tolist()
    rows = _with_total(figures, sales, schema.label("total", locale))
    for values, size in zip(rows, [*sizes, len(lifecycle.clients)]):
        values.insert(1, int(size))
    return ReportTable(
        t("Average check and purchase frequency by block").render(locale),
        [
            ReportColumn(schema.label("block", locale)),
            _figure(schema.label("clients", locale), ColumnFormat.INTEGER),
        ]
        + _check_columns(locale),
        rows,
        note=_note(
            locale,
            t("Over the period. Average check = revenue ÷ orders (returns lower revenue)."),
            t("Orders per client = orders ÷ clients who ordered."),
            t("Days between orders: the median gap between two consecutive orders of one client."),
        ),
    )


def manager_table(lifecycle: Lifecycle, sales: pd.DataFrame, locale: str) -> ReportTable:
    """Average check and purchase frequency of the orders each manager logged over the period, with a Total row."""
    figures = order_figures(sales, acting_manager(sales, lifecycle, locale))
    figures = figures.reindex(manager_order(lifecycle, figures.index.tolist(), locale))
    return ReportTable(
        t("Average check and purchase frequency by manager").render(locale),
        [ReportColumn(schema.label("manager", locale))] + _check_columns(locale),
        _with_total(figures, sales, schema.label("total", locale)),
        note=_note(
            locale,
            t(
                "As by block; an order or a return counts for the manager who logged it (the client's manager when "
                "Manager is blank)."
            ),
        ),
    )


# --- sources --------------------------------------------------------------------------------------


def source_table(clients: pd.DataFrame, sales: pd.DataFrame, period: Period, locale: str) -> ReportTable:
    """Clients, conversion to a first order and revenue of each Source, most revenue first, with a Total row."""
    created = clients["created"]
    new = (created >= pd.Timestamp(period.start)) & (created <= pd.Timestamp(period.end))
    period_revenue = sales["amount"].fillna(0.0).groupby(sales["client_id"]).sum()
    figures = _acquisition(clients, clients["source"]).assign(
        new=new.groupby(clients["source"]).sum(),
        period=period_revenue.reindex(clients.index, fill_value=0.0).groupby(clients["source"]).sum(),
    )
    figures = figures.sort_index(key=_fold_key).sort_values(["revenue", "clients"], ascending=False, kind="stable")
    everyone = figures.sum()

    def values(name: str, row: pd.Series) -> list[CellValue]:
        return [
            name,
            int(row["clients"]),
            int(row["new"]),
            int(row["converted"]),
            _ratio(row["converted"] / row["clients"] if row["clients"] else None),
            int(row["orders"]),
            float(row["revenue"]),
            _ratio(row["revenue"] / row["clients"] if row["clients"] else None),
            _ratio(row["revenue"] / row["orders"] if row["orders"] else None),
            float(row["period"]),
        ]

    rows = [values(str(name), row) for name, row in figures.iterrows()]
    rows.append(values(schema.label("total", locale), everyone))
    return ReportTable(
        t("Sources: conversion to a first order and revenue").render(locale),
        [
            ReportColumn(schema.CLIENTS.column("source").name(locale)),
            _figure(schema.label("clients", locale), ColumnFormat.INTEGER),
            _figure(t("New in the period").render(locale), ColumnFormat.INTEGER),
            _figure(t("With a first order").render(locale), ColumnFormat.INTEGER),
            _figure(t("Conversion").render(locale), ColumnFormat.PERCENT),
            _figure(schema.label("orders", locale), ColumnFormat.INTEGER),
            _figure(schema.label("revenue_all_time", locale), ColumnFormat.MONEY),
            _figure(t("Revenue per client").render(locale), ColumnFormat.MONEY),
            _figure(t("Average check").render(locale), ColumnFormat.MONEY),
            _figure(schema.label("revenue_period", locale), ColumnFormat.MONEY),
        ],
        rows,
        note=_note(
            locale,
            t("All time up to today, by the clients' Source. Conversion = clients with a first order ÷ clients."),
            t("New in the period: clients Created in the period."),
        ),
    )


def _acquisition(clients: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per group of clients: ``clients``, ``converted`` (with a first order), ``orders`` and ``revenue`` to date."""
    figures: pd.DataFrame = (
        clients.assign(converted=clients["first_order"].notna())
        .groupby(groups)
        .agg(
            clients=("block", "size"),
            converted=("converted", "sum"),
            orders=("orders", "sum"),
            revenue=("revenue", "sum"),
        )
    )
    return figures


def _fold_key(index: pd.Index) -> pd.Index:
    return index.map(schema.fold)


# --- cohorts --------------------------------------------------------------------------------------


def cohort_table(clients: pd.DataFrame, period: Period, lifecycle: Lifecycle, locale: str) -> ReportTable:
    """Clients by the month they were created: the clients created before the period in one row, each month of
    the period, and the clients left out (no Created, or Created after today) counted in a last row."""
    start, today = pd.Timestamp(period.start), pd.Timestamp(lifecycle.today)
    created = clients["created"]
    dated = created.notna() & (created <= today)
    month = created.dt.to_period("M").astype(object).where(created >= start, "before")
    cohorts = clients[dated].assign(month=month[dated])
    days_to_order = (cohorts["first_order"] - cohorts["created"]).dt.days
    figures = _acquisition(cohorts, cohorts["month"])
    for days in FIRST_ORDER_WITHIN_DAYS:
        figures[days] = (days_to_order <= days).groupby(cohorts["month"]).sum()
    figures = figures.reindex(["before", *period.months()], fill_value=0)

    def values(name: str, row: pd.Series) -> list[CellValue]:
        converted, count = int(row["converted"]), int(row["clients"])
        return [
            name,
            count,
            converted,
            _ratio(converted / count if count else None),
            *(int(row[days]) for days in FIRST_ORDER_WITHIN_DAYS),
            float(row["revenue"]),
            _ratio(row["revenue"] / count if count else None),
        ]

    before = t("Before {month}", month=str(period.months()[0])).render(locale)
    rows = [
        values(before if key == "before" else month_label(key, lifecycle.today, locale), row)
        for key, row in figures.iterrows()
    ]
    left_out = t("(no Created date)").render(locale)
    rows.append([left_out, int((~dated).sum())])
    return ReportTable(
        t("Cohorts: clients by the month they were created").render(locale),
        [
            ReportColumn(schema.label("month", locale)),
            _figure(t("Clients created").render(locale), ColumnFormat.INTEGER),
            _figure(t("With a first order").render(locale), ColumnFormat.INTEGER),
            _figure(t("Conversion").render(locale), ColumnFormat.PERCENT),
            *(
                _figure(t("First order within {days} days", days=days).render(locale), ColumnFormat.INTEGER)
                for days in FIRST_ORDER_WITHIN_DAYS
            ),
            _figure(t("Revenue since").render(locale), ColumnFormat.MONEY),
            _figure(t("Revenue per client").render(locale), ColumnFormat.MONEY),
        ],
        rows,
        note=_note(
            locale,
            t("By the month of Created (a date after today counts as none). With a first order: ever."),
            t("Within N days: a first order at most N days after Created."),
            t("Revenue since: the cohort's orders minus returns up to today."),
        ),
    )


# --- cities ---------------------------------------------------------------------------------------


def city_table(clients: pd.DataFrame, sales: pd.DataFrame, locale: str) -> ReportTable:
    """The cities with the most revenue over the period (at most ``TOP_CITIES``), the others in one row."""
    city = clients["city"].reindex(sales["client_id"]).to_numpy()
    ordering = sales["client_id"].where(sales["is_order"])
    figures = pd.DataFrame(
        {
            "clients": clients.groupby("city").size(),
            "ordering": ordering.groupby(city).nunique(),
            "revenue": sales["amount"].fillna(0.0).groupby(city).sum(),
        }
    ).fillna(0)
    figures = figures.sort_index(key=_fold_key).sort_values(["revenue", "clients"], ascending=False, kind="stable")
    top, rest = figures.iloc[:TOP_CITIES], figures.iloc[TOP_CITIES:]
    total = figures["revenue"].sum()
    named: list[tuple[str, pd.Series]] = [(str(name), row) for name, row in top.iterrows()]
    if len(rest):
        others = t("Other cities ({count})", count=len(rest)).render(locale)
        named.append((others, rest.sum()))
    named.append((schema.label("total", locale), figures.sum()))
    rows: list[Sequence[CellValue]] = [
        [
            name,
            int(row["clients"]),
            int(row["ordering"]),
            float(row["revenue"]),
            _ratio(row["revenue"] / total if total else None),
        ]
        for name, row in named
    ]
    return ReportTable(
        t("Top cities by revenue").render(locale),
        [
            ReportColumn(schema.CLIENTS.column("city").name(locale)),
            _figure(schema.label("clients", locale), ColumnFormat.INTEGER),
            _figure(t("Clients who ordered").render(locale), ColumnFormat.INTEGER),
            _figure(schema.label("revenue_period", locale), ColumnFormat.MONEY),
            _figure(schema.label("share_of_revenue", locale), ColumnFormat.PERCENT),
        ],
        rows,
        note=_note(
            locale,
            t("Clients: all in the base. Clients who ordered, revenue and its share: over the period."),
        ),
    )


# --- card holders ---------------------------------------------------------------------------------------


def card_table(frames: Frames, lifecycle: Lifecycle, sales: pd.DataFrame, locale: str) -> ReportTable:
    """The clients with a Card number against those without one over the period, with a Total row."""
    typed = frames.clients.reindex(lifecycle.clients["row"])
    with_card, without_card = t("With a card").render(locale), t("Without a card").render(locale)
    holder = pd.Series(
        typed["card_number"].map(card_key).notna().map({True: with_card, False: without_card}).to_numpy(),
        index=lifecycle.clients.index,
    )
    discount = typed["discount"].set_axis(lifecycle.clients.index)
    discount = discount.where((discount > 0) & (discount <= 100))  # 0 is none; beyond 100 ▸ Problems names it
    total = schema.label("total", locale)
    groups = [with_card, without_card]
    figures = _for_each(
        order_figures(sales, pd.Series(holder.reindex(sales["client_id"]).to_numpy(), sales.index)), groups
    )
    everyone = _for_each(order_figures(sales, pd.Series(total, index=sales.index)), [total])
    figures = pd.concat([figures, everyone]).assign(
        members=[*holder.value_counts().reindex(groups, fill_value=0), len(holder)],
        discount=[*discount.groupby(holder).mean().reindex(groups), discount.mean()],
    )
    rows: list[Sequence[CellValue]] = [
        [
            str(name),
            int(row["members"]),
            int(row["clients"]),
            int(row["orders"]),
            float(row["revenue"]),
            _ratio(row["revenue"] / row["members"] if row["members"] else None),
            _ratio(row["check"]),
            _ratio(row["discount"]),
        ]
        for name, row in figures.iterrows()
    ]
    return ReportTable(
        t("Card holders and others").render(locale),
        [
            ReportColumn(t("Loyalty card").render(locale)),
            _figure(schema.label("clients", locale), ColumnFormat.INTEGER),
            _figure(t("Clients who ordered").render(locale), ColumnFormat.INTEGER),
            _figure(schema.label("orders", locale), ColumnFormat.INTEGER),
            _figure(schema.label("revenue_period", locale), ColumnFormat.MONEY),
            _figure(t("Revenue per client").render(locale), ColumnFormat.MONEY),
            _figure(t("Average check").render(locale), ColumnFormat.MONEY),
            _figure(t("Average discount, %").render(locale), ColumnFormat.NUMBER),
        ],
        rows,
        note=_note(
            locale,
            t(
                "With a card: clients with a Card number. Over the period: clients who ordered, orders, revenue, "
                "average check; revenue per client = revenue ÷ clients."
            ),
            t("Average discount: of the clients whose Discount is above 0."),
        ),
    )


def _figure(header: str, number_format: ColumnFormat) -> ReportColumn:
    """A column of numbers, narrow enough that its header wraps rather than widening the sheet."""
    return ReportColumn(
        header, number_format, width=MONEY_WIDTH if number_format is ColumnFormat.MONEY else COUNT_WIDTH
    )


def _note(locale: str, *lines: Message) -> str:
    """The lines of a table's note in ``locale``, one a row."""
    return "\n".join(line.render(locale) for line in lines)


def _ratio(value: float | None) -> float | None:
    """A ratio as a cell holds it: None (blank) for a missing (NaN) or infinite one."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
