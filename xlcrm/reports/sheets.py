"""The report sheets of a refresh, built from the parsed frames and the lifecycle; pure, no file access.

Every sheet states at the top the "today" it was computed for and the period
its figures cover: the twelve calendar months up to today (from the first day
of the month eleven months back). "Revenue" is the sum of the Amount of Order
interactions. Interactions count for the manager who logged them (the
client's manager when the Manager cell is blank); clients, blocks and tasks
count for the client's manager.

All figures are computed with pandas group-bys, so a million interactions
make a report in seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import pandas as pd

from xlcrm import schema
from xlcrm.checks.findings import Finding
from xlcrm.lifecycle.blocks import DEAD_LOST, DEAD_REVIVE, Lifecycle
from xlcrm.lifecycle.frames import Frames
from xlcrm.lifecycle.history import BlockHistory, history_sheet
from xlcrm.lifecycle.segments import Segments
from xlcrm.messages import render, t, tn
from xlcrm.reports.agenda import Agenda, agenda_sheet
from xlcrm.reports.analytics import analytics_sheet
from xlcrm.reports.consent import without_consent
from xlcrm.reports.period import Period, acting_manager, manager_order, month_label, period_sales
from xlcrm.reports.receivables import manager_columns, manager_receivables, receivables_tables
from xlcrm.reports.segments import segments_sheet
from xlcrm.runtime import progress
from xlcrm.xlsx.report_sheet import CellValue, Chart, ChartKind, ColumnFormat, ReportColumn, ReportSheet, ReportTable

ABC_LIMITS = (0.80, 0.95)  # cumulative revenue share where class A ends, then B
DASHBOARD_HISTORY = 12  # refreshes shown on the Dashboard; the history sheet keeps them all
# Built-in touch types shown as their own Managers columns; a user's own types add up under "Other".
# Orders and returns are counted as sales, not as touches; a payment is bookkeeping, neither.
TOUCH_TYPES = tuple(
    t for t in schema.INTERACTION_TYPES if t not in schema.REVENUE_TYPES and t not in schema.NON_CONTACT_TYPES
)

Money, Integer, Percent, Date, Text, LongText = (
    ColumnFormat.MONEY,
    ColumnFormat.INTEGER,
    ColumnFormat.PERCENT,
    ColumnFormat.DATE,
    ColumnFormat.TEXT,
    ColumnFormat.LONG_TEXT,
)


@dataclass(frozen=True)
class Migration:
    """Clients by block at the previous refresh (rows: block numbers and "new") and now (columns and "gone")."""

    previous: dt.date | None
    matrix: pd.DataFrame  # index: 8..1, "new"; columns: 8..1, "gone"; counts
    moves: pd.DataFrame  # clients whose block changed (new and gone ones aside): index ClientID, "from", "to"

    @property
    def moved(self) -> int:
        """How many clients changed block since the previous refresh."""
        return len(self.moves)


@dataclass(frozen=True)
class RefreshReports:
    sheets: list[ReportSheet]
    migration: Migration
    history: BlockHistory  # including today's refresh
    period: Period


@progress.step(t("building the report sheets"))
def build_reports(
    frames: Frames,
    lifecycle: Lifecycle,
    agenda: Agenda,
    findings: Sequence[Finding],
    history: BlockHistory,
    segments: Segments | None = None,
) -> RefreshReports:
    """Dashboard, Analytics, Agenda, Managers, Services, ABC, Segments (when ``segments`` are given), Problems and
    Block history, in that order."""
    locale, today = frames.locale, lifecycle.today
    period = Period.ending(today)
    subtitle = schema.label("computed_for", locale).format(
        today=_day(today), start=_day(period.start), end=_day(period.end)
    )
    blocks = lifecycle.clients["block"]
    migration = migration_matrix(history, today, blocks)
    updated = history.updated(today, blocks)
    sales = period_sales(lifecycle, period)  # picked out of the log once, for every sheet that counts them
    sheets = [
        dashboard_sheet(
            lifecycle, period, sales, migration, updated, locale, subtitle, consent_table(frames, lifecycle)
        ),
        analytics_sheet(frames, lifecycle, period, sales, subtitle),
        agenda_sheet(agenda, schema.label("computed_on", locale).format(today=_day(today))),  # no period: a day's list
        managers_sheet(lifecycle, period, locale, subtitle, agenda),
        services_sheet(frames, lifecycle, sales, subtitle),
        abc_sheet(lifecycle, sales, locale, subtitle),
        *([segments_sheet(segments, lifecycle, sales, locale, subtitle)] if segments else []),
        problems_sheet(findings, locale, subtitle),
        history_sheet(updated, locale, today),
    ]
    return RefreshReports(sheets, migration, updated, period)


# --- shared figures -------------------------------------------------------------------


def _sales_figures(sales: pd.DataFrame, by: pd.Series | list[pd.Series]) -> pd.DataFrame:
    """Orders, revenue and clients who ordered, of each group of :func:`period_sales` rows."""
    ordering = sales.assign(ordering_client=sales["client_id"].where(sales["is_order"]))
    figures: pd.DataFrame = ordering.groupby(by).agg(
        orders=("is_order", "sum"), revenue=("amount", "sum"), clients=("ordering_client", "nunique")
    )
    return figures


def client_manager(lifecycle: Lifecycle, locale: str) -> pd.Series:
    """Each client's manager, with the "no manager" label where the cell is blank."""
    return lifecycle.clients["manager"].fillna(schema.label("no_manager", locale))


def migration_matrix(history: BlockHistory, today: dt.date, blocks: pd.Series) -> Migration:
    """How clients moved between blocks since the previous refresh recorded in the block history."""
    numbers = [b.number for b in reversed(schema.BLOCKS)]
    previous = history.previous(today)
    before = pd.Series(previous[1] if previous else {}, dtype="Int64")
    pairs = pd.DataFrame({"from": before, "to": blocks.astype("Int64")})
    pairs.index = pairs.index.astype(str)
    if previous is None:
        pairs = pairs.iloc[0:0]
    source = pairs["from"].astype(object).where(pairs["from"].notna(), "new")
    target = pairs["to"].astype(object).where(pairs["to"].notna(), "gone")
    counts = pd.crosstab(source, target) if len(pairs) else pd.DataFrame()
    matrix = counts.reindex(index=numbers + ["new"], columns=numbers + ["gone"], fill_value=0).astype(int)
    matrix.loc["new", "gone"] = 0
    changed = pairs[pairs["from"].notna() & pairs["to"].notna() & (pairs["from"] != pairs["to"])].astype(int)
    moves = (
        changed.assign(client_id=changed.index)
        .sort_values(["to", "from", "client_id"], ascending=[False, False, True])
        .drop(columns="client_id")
    )
    return Migration(previous[0] if previous else None, matrix, moves)


# --- Dashboard ----------------------------------------------------------------------------


def dashboard_sheet(
    lifecycle: Lifecycle,
    period: Period,
    sales: pd.DataFrame,
    migration: Migration,
    history: BlockHistory,
    locale: str,
    subtitle: str,
    consent: ReportTable | None = None,
) -> ReportSheet:
    """The dashboard sheet: clients and revenue per block, the Dead and the cold (and, when given, the clients
    without consent), what clients owe (:mod:`xlcrm.reports.receivables`), who moved between blocks, with charts.
    ``sales`` are the orders and returns of the ``period`` (``period_sales``)."""

    def text(key: str) -> str:
        return schema.label(key, locale)

    clients = lifecycle.clients
    period_revenue = sales.groupby("client_id")["amount"].sum().reindex(clients.index, fill_value=0.0)
    by_block = pd.DataFrame(
        {
            "clients": clients.groupby("block").size(),
            "orders": clients.groupby("block")["orders"].sum(),
            "revenue": clients.groupby("block")["revenue"].sum(),
            "period": period_revenue.groupby(clients["block"]).sum(),
        }
    ).reindex([b.number for b in reversed(schema.BLOCKS)], fill_value=0)
    total = max(len(clients), 1)
    block_rows: list[list[CellValue]] = [
        [
            number,
            schema.block(number).name(locale),
            int(row.clients),
            row.clients / total,
            int(row.orders),
            float(row.revenue),
            float(row.period),
        ]
        for number, row in by_block.iterrows()
    ]
    block_rows.append(
        [
            None,
            text("total"),
            len(clients),
            1.0 if len(clients) else 0.0,
            int(by_block["orders"].sum()),
            float(by_block["revenue"].sum()),
            float(by_block["period"].sum()),
        ]
    )
    blocks_table = ReportTable(
        text("by_block"),
        [
            ReportColumn(text("block_number"), Integer, width=5),
            ReportColumn(text("block"), width=16),
            ReportColumn(text("clients"), Integer),
            ReportColumn(text("share_of_clients"), Percent),
            ReportColumn(text("orders"), Integer),
            ReportColumn(text("revenue_all_time"), Money),
            ReportColumn(text("revenue_period"), Money),
        ],
        block_rows,
    )

    by_month = revenue_by_month_table(sales, period, locale)
    tables = (
        blocks_table,
        dead_and_cold_table(lifecycle, locale),
        *((consent,) if consent is not None else ()),
        *receivables_tables(lifecycle, locale),
        migration_table(migration, locale),
        by_month,
        history_table(history, locale),
        moves_table(migration, lifecycle, locale),
    )
    block_chart = Chart(
        text("chart_clients_by_block"), table=0, categories=1, values=2, kind=ChartKind.BAR, rows=len(schema.BLOCKS)
    )  # the Total row is not a block
    month_chart = Chart(text("chart_revenue_by_month"), table=tables.index(by_month), categories=0, values=2)
    # An overview of short tables: no header of one of them may stay in view over the others.
    return ReportSheet.of(
        schema.DASHBOARD,
        locale,
        text("dashboard_title"),
        subtitle,
        tables,
        main_table=None,
        charts=(block_chart, month_chart),
    )


def dead_and_cold_table(lifecycle: Lifecycle, locale: str) -> ReportTable:
    """The two kinds of Dead apart (designated Lost, with a count per Reason lost; former clients silent, worth
    reviving) and the cold prospects."""
    kinds = lifecycle.clients
    lost = kinds[kinds["dead_kind"] == DEAD_LOST]
    no_reason = t("(no reason given)").render(locale)
    counts = lost["lost_reason"].fillna(no_reason).value_counts()
    # Most frequent first, then by name; the clients without a reason last, to be filled in.
    named = sorted(((r, int(n)) for r, n in counts.items() if r != no_reason), key=lambda p: (-p[1], schema.fold(p[0])))
    if no_reason in counts.index:
        named.append((no_reason, int(counts[no_reason])))
    days = lifecycle.settings.dead_after_days
    lost_group = t("Designated {lost}: not to revive", lost=schema.LOST.name(locale)).render(locale)
    rows: list[list[CellValue]] = [[lost_group, None, len(lost)]]
    rows += [[lost_group, str(reason), count] for reason, count in named]
    revive = tn(
        "Former clients, no contact for {count} day or more: worth reviving",
        "Former clients, no contact for {count} days or more: worth reviving",
        days,
    )
    cold = tn(
        "Never ordered, no contact for {count} day or more (or none at all and in the base as long): cold",
        "Never ordered, no contact for {count} days or more (or none at all and in the base as long): cold",
        days,
    )
    rows.append([revive.render(locale), None, int((kinds["dead_kind"] == DEAD_REVIVE).sum())])
    rows.append([cold.render(locale), None, int(kinds["cold"].sum())])
    return ReportTable(
        t("{dead} and cold prospects", dead=schema.DEAD.label(locale)).render(locale),
        [
            ReportColumn(t("Who").render(locale), width=44),
            ReportColumn(schema.CLIENTS.column("lost_reason").name(locale), width=24),
            ReportColumn(schema.label("clients", locale), Integer),
        ],
        rows,
    )


def consent_table(frames: Frames, lifecycle: Lifecycle) -> ReportTable | None:
    """The clients whose consent to process personal data is still to be collected, as one line; None when the
    Setting says consent is not required."""
    if not lifecycle.settings.consent_required:
        return None
    locale = frames.locale
    count = int(without_consent(frames, lifecycle).sum())
    who = t("Clients who are persons, without a Consent date: collect consent before mailings").render(locale)
    return ReportTable(
        t("Consent to process personal data").render(locale),
        [ReportColumn(t("Who").render(locale), width=44), ReportColumn(schema.label("clients", locale), Integer)],
        [[who, count]],
    )


def migration_table(migration: Migration, locale: str) -> ReportTable:
    """The migration matrix as a report table, with totals."""

    def text(key: str) -> str:
        return schema.label(key, locale)

    def name(key: object) -> str:
        # A key other than "new" is a block number (the matrix's index is of both).
        return text("new_client") if key == "new" else schema.block(int(key)).label(locale)  # type: ignore[call-overload]

    heading = (
        text("migration").format(previous=_day(migration.previous)) if migration.previous else text("migration_first")
    )
    matrix = migration.matrix
    columns = [ReportColumn(text("from_to"), width=18)]
    columns += [
        ReportColumn(schema.block(int(c)).label(locale) if c != "gone" else text("gone_client"), Integer)
        for c in matrix.columns
    ]
    columns.append(ReportColumn(text("total"), Integer))
    rows: list[Sequence[CellValue]] = [
        [name(key)] + [int(v) for v in values] + [int(values.sum())] for key, values in matrix.iterrows()
    ]
    rows.append([text("total")] + [int(v) for v in matrix.sum()] + [int(matrix.to_numpy().sum())])
    # The counts (not the totals) shaded: where clients stayed and where many moved stands out.
    grid = (range(len(matrix.index)), range(1, len(matrix.columns) + 1))
    return ReportTable(heading, columns, rows, color_scale=grid)


def moves_table(migration: Migration, lifecycle: Lifecycle, locale: str) -> ReportTable:
    """Who changed block: the names behind the migration matrix, highest block now first."""

    def text(key: str) -> str:
        return schema.label(key, locale)

    clients = lifecycle.clients.reindex(migration.moves.index)
    rows: list[list[CellValue]] = [
        [
            client_id,
            name,
            company,
            manager,
            schema.block(int(before)).label(locale),
            schema.block(int(after)).label(locale),
        ]
        for client_id, name, company, manager, before, after in zip(
            migration.moves.index,
            clients["name"],
            clients["company"],
            clients["manager"],
            migration.moves["from"],
            migration.moves["to"],
        )
    ]
    heading = (
        text("who_moved").format(previous=_day(migration.previous)) if migration.previous else text("who_moved_first")
    )
    return ReportTable(
        heading,
        [
            ReportColumn(text("client_id")),
            ReportColumn(text("client")),
            ReportColumn(text("company")),
            ReportColumn(text("manager")),
            ReportColumn(text("block_before")),
            ReportColumn(text("block_now")),
        ],
        rows,
    )


def revenue_by_month_table(sales: pd.DataFrame, period: Period, locale: str) -> ReportTable:
    """Orders and revenue of each month of the period (``sales``: its ``period_sales``) as a report table."""
    month = sales["date"].dt.to_period("M")
    grouped = (
        sales.groupby(month)
        .agg(orders=("is_order", "sum"), revenue=("amount", "sum"))
        .reindex(period.months(), fill_value=0)
    )
    rows: list[list[CellValue]] = [
        [month_label(m, period.end, locale), int(r["orders"]), float(r["revenue"])] for m, r in grouped.iterrows()
    ]
    return ReportTable(
        schema.label("revenue_by_month", locale),
        [
            ReportColumn(schema.label("month", locale)),
            ReportColumn(schema.label("orders", locale), Integer),
            ReportColumn(schema.label("revenue", locale), Money),
        ],
        rows,
    )


def history_table(history: BlockHistory, locale: str) -> ReportTable:
    """Clients per block at the last refreshes as a report table."""
    blocks = list(reversed(schema.BLOCKS))
    recent = list(history.counts.items())[-DASHBOARD_HISTORY:]
    return ReportTable(
        schema.label("history", locale),
        [ReportColumn(schema.label("date", locale), Date)]
        + [ReportColumn(b.label(locale), Integer) for b in blocks]
        + [ReportColumn(schema.label("total", locale), Integer)],
        [[day] + [tally.get(b.number, 0) for b in blocks] + [sum(tally.values())] for day, tally in recent],
    )


# --- Managers -------------------------------------------------------------------------------


def managers_sheet(lifecycle: Lifecycle, period: Period, locale: str, subtitle: str, agenda: Agenda) -> ReportSheet:
    """The managers sheet: each manager's activity and results in the period, with the clients on their agenda
    and, when the workbook records payments, what their clients owe; and clients by block."""

    def text(key: str) -> str:
        return schema.label(key, locale)

    activity = manager_activity(lifecycle, period, locale)
    agenda_clients = agenda_size(agenda).reindex(activity.index, fill_value=0)
    tracked = lifecycle.receivables.tracked
    owed = manager_receivables(lifecycle, client_manager(lifecycle, locale)).reindex(activity.index, fill_value=0.0)
    type_columns = [ReportColumn(t.name(locale), Integer) for t in TOUCH_TYPES]
    activity_table = ReportTable(
        text("activity"),
        [ReportColumn(text("manager"))]
        + type_columns
        + [
            ReportColumn(text("other_types"), Integer),
            ReportColumn(text("touches"), Integer),
            ReportColumn(text("orders"), Integer),
            ReportColumn(text("revenue"), Money),
            ReportColumn(text("conversion_base"), Integer),
            ReportColumn(text("converted"), Integer),
            ReportColumn(text("conversion"), Percent),
            ReportColumn(text("overdue_tasks"), Integer),
            ReportColumn(t("Clients on the agenda").render(locale), Integer),
            *(manager_columns(locale) if tracked else ()),
        ],
        [
            [cast(str, name)]  # the index is the managers' names
            + [int(row[t.key]) for t in TOUCH_TYPES]
            + [
                int(row["other"]),
                int(row["touches"]),
                int(row["orders"]),
                float(row["revenue"]),
                int(row["base"]),
                int(row["converted"]),
                None if pd.isna(row["conversion"]) else float(row["conversion"]),
                int(row["overdue"]),
            ]
            + [int(agenda_clients[cast(str, name)])]
            + ([float(value) for value in owed.loc[cast(str, name)]] if tracked else [])
            for name, row in activity.iterrows()
        ],
    )

    blocks = list(reversed(schema.BLOCKS))
    by_block = (
        pd.crosstab(client_manager(lifecycle, locale), lifecycle.clients["block"])
        .reindex(columns=[b.number for b in blocks], fill_value=0)
        .reindex(activity.index, fill_value=0)
    )
    block_table = ReportTable(
        text("clients_by_block_manager"),
        [ReportColumn(text("manager"))]
        + [ReportColumn(b.label(locale), Integer) for b in blocks]
        + [ReportColumn(text("total"), Integer)],
        [[name] + [int(v) for v in row] + [int(row.sum())] for name, row in by_block.iterrows()],
    )
    # Two tables of one row per manager: short, so neither header is kept in view over the other.
    return ReportSheet.of(
        schema.MANAGERS_REPORT, locale, text("managers_title"), subtitle, (activity_table, block_table), main_table=None
    )


def manager_activity(lifecycle: Lifecycle, period: Period, locale: str) -> pd.DataFrame:
    """One row per manager: touches by type, other touches, touches, orders, revenue in the period,
    conversion base, converted, conversion (NaN when the base is empty) and overdue tasks: the clients whose earliest
    open plan is due today or before, whatever their block."""
    log = lifecycle.interactions
    inside = (log["date"] >= pd.Timestamp(period.start)) & (log["date"] <= pd.Timestamp(period.end))
    log = log[inside]
    who = acting_manager(log, lifecycle, locale)
    type_keys = log["type"].where(log["type"].isin([t.key for t in schema.INTERACTION_TYPES]), "other")
    by_type = pd.crosstab(who, type_keys) if len(log) else pd.DataFrame()
    touches = by_type.reindex(columns=[t.key for t in TOUCH_TYPES] + ["other"], fill_value=0)
    orders = log["type"] == schema.ORDER.key
    sales = log["type"].isin([t.key for t in schema.REVENUE_TYPES])
    figures = pd.DataFrame(
        {
            "orders": orders.groupby(who).sum(),
            "revenue": log["amount"].where(sales, 0.0).fillna(0.0).groupby(who).sum(),
        }
    )

    clients = lifecycle.clients
    owner = client_manager(lifecycle, locale)
    start = pd.Timestamp(period.start)
    base = clients["first_order"].isna() | (clients["first_order"] >= start)
    converted = base & clients["first_order"].notna()
    # A client's earliest open plan due today or before: a plan is a plan, a Dead client's too.
    overdue = clients["next_contact"] <= pd.Timestamp(lifecycle.today)
    per_client = pd.DataFrame(
        {
            "base": base.groupby(owner).sum(),
            "converted": converted.groupby(owner).sum(),
            "overdue": overdue.groupby(owner).sum(),
        }
    )

    managers = manager_order(lifecycle, [*touches.index, *figures.index, *per_client.index], locale)
    result: pd.DataFrame = touches.reindex(managers, fill_value=0)
    result["touches"] = result.sum(axis=1)
    result = result.join(figures.reindex(managers, fill_value=0))
    result = result.join(per_client.reindex(managers, fill_value=0)[["base", "converted"]])
    result["conversion"] = (result["converted"] / result["base"]).where(result["base"] > 0)
    result["overdue"] = per_client["overdue"].reindex(managers, fill_value=0)
    return result


def agenda_size(agenda: Agenda) -> pd.Series:
    """How many clients each manager has on the Agenda (a client with several reasons counts once)."""
    items = agenda.items
    sizes: pd.Series = items.groupby("manager")["client_id"].nunique() if len(items) else pd.Series(dtype=int)
    return sizes


# --- Services -------------------------------------------------------------------------------


def service_names(orders: pd.DataFrame, frames: Frames) -> pd.Series:
    """Each order's service as My Services spells it (typed spellings matched ignoring case), or "(no service)"."""
    spelled = {schema.fold(name): name for name in frames.services}
    typed = orders["service"].dropna().unique()
    names = {value: spelled.get(schema.fold(value), value) for value in typed}  # once per distinct spelling
    return orders["service"].map(names).astype(object).fillna(schema.label("no_service", frames.locale))


def services_sheet(frames: Frames, lifecycle: Lifecycle, sales: pd.DataFrame, subtitle: str) -> ReportSheet:
    """The services sheet: orders and revenue by service in the period (``sales``: its ``period_sales``), by month,
    and services never ordered."""
    locale = frames.locale

    def text(key: str) -> str:
        return schema.label(key, locale)

    service = service_names(sales, frames)
    totals = _sales_figures(sales, service)
    totals = totals.sort_values(["revenue", "orders"], ascending=False, kind="stable")
    revenue = totals["revenue"].sum()
    totals_table = ReportTable(
        text("services_totals"),
        [
            ReportColumn(text("service")),
            ReportColumn(text("orders"), Integer),
            ReportColumn(text("revenue"), Money),
            ReportColumn(text("clients"), Integer),
            ReportColumn(text("share_of_revenue"), Percent),
        ],
        [
            [name, int(r.orders), float(r.revenue), int(r.clients), r.revenue / revenue if revenue else None]
            for name, r in totals.iterrows()
        ],
    )

    by_month = _sales_figures(sales, [service, sales["date"].dt.to_period("M")])
    month_table = ReportTable(
        text("services_by_month"),
        [
            ReportColumn(text("service")),
            ReportColumn(text("month"), width=10),
            ReportColumn(text("orders"), Integer),
            ReportColumn(text("revenue"), Money),
            ReportColumn(text("clients"), Integer),
        ],
        [
            [name, str(month), int(r.orders), float(r.revenue), int(r.clients)]
            for (name, month), (_, r) in zip(by_month.index.tolist(), by_month.iterrows())
        ],
        autofilter=True,
    )

    ever = set(service_names(lifecycle.interactions[lifecycle.interactions["type"] == schema.ORDER.key], frames))
    never = [name for name in frames.services if name not in ever]
    never_table = ReportTable(text("services_never"), [ReportColumn(text("service"))], [[n] for n in never])
    return ReportSheet.of(
        schema.SERVICES_REPORT,
        locale,
        text("services_title"),
        subtitle,
        (totals_table, never_table, month_table),
        main_table=2,
    )


# --- ABC ------------------------------------------------------------------------------------


def abc_ranking(sales: pd.DataFrame) -> pd.DataFrame:
    """Clients with revenue in the period (``sales``: its ``period_sales``), highest first: revenue, share,
    cumulative share, class.

    A client belongs to class A while the clients ranked above it hold less
    than 80 % of revenue (so the client that crosses 80 % is still A), to B
    below 95 %, to C after. Equal revenue is ranked by ClientID.
    """
    revenue = sales.groupby("client_id")["amount"].sum()
    revenue = revenue[revenue > 0]
    ranked: pd.DataFrame = pd.DataFrame({"revenue": revenue}).rename_axis("client_id")
    ranked = ranked.sort_values(["revenue", "client_id"], ascending=[False, True], kind="stable")
    total = ranked["revenue"].sum()
    ranked["share"] = ranked["revenue"] / total
    ranked["cumulative"] = ranked["revenue"].cumsum() / total
    before = ranked["cumulative"] - ranked["share"]
    ranked["class"] = "C"
    ranked.loc[before < ABC_LIMITS[1], "class"] = "B"
    ranked.loc[before < ABC_LIMITS[0], "class"] = "A"
    return ranked


def abc_sheet(lifecycle: Lifecycle, sales: pd.DataFrame, locale: str, subtitle: str) -> ReportSheet:
    """The ABC sheet: clients ranked by revenue in the period (``sales``: its ``period_sales``), with classes A, B
    and C."""

    def text(key: str) -> str:
        return schema.label(key, locale)

    ranked = abc_ranking(sales)
    total = ranked["revenue"].sum()
    summary = ranked.groupby("class")["revenue"].agg(["size", "sum"]).reindex(["A", "B", "C"], fill_value=0)
    summary_table = ReportTable(
        text("abc_summary"),
        [
            ReportColumn(text("abc_class"), width=8),
            ReportColumn(text("clients"), Integer),
            ReportColumn(text("revenue"), Money),
            ReportColumn(text("share_of_revenue"), Percent),
        ],
        [
            [name, int(r["size"]), float(r["sum"]), r["sum"] / total if total else None]
            for name, r in summary.iterrows()
        ],
    )
    clients = lifecycle.clients.reindex(ranked.index)
    block_labels = {b.number: b.label(locale) for b in schema.BLOCKS}
    # As plain Python values first: going through a Series value by value costs a numpy scalar per cell.
    columns = zip(
        ranked.index.tolist(),
        *(clients[key].tolist() for key in ("name", "company", "manager", "block", "rating")),
        *(ranked[key].tolist() for key in ("revenue", "share", "cumulative", "class")),
    )
    rows = [
        [
            rank,
            client_id,
            name,
            company,
            manager,
            block_labels[int(block)],
            rating_value(rating),
            float(revenue),
            float(share),
            float(cumulative),
            abc_class,
        ]
        for rank, (
            client_id,
            name,
            company,
            manager,
            block,
            rating,
            revenue,
            share,
            cumulative,
            abc_class,
        ) in enumerate(columns, start=1)
    ]
    ranking_table = ReportTable(
        text("abc_ranking"),
        [
            ReportColumn(text("rank"), Integer, width=7),
            ReportColumn(text("client_id")),
            ReportColumn(text("client")),
            ReportColumn(text("company")),
            ReportColumn(text("manager")),
            ReportColumn(text("block")),
            # General format: a rating of 4 shows as 4, one of 4.5 as 4.5.
            ReportColumn(schema.CLIENTS.column("rating").name(locale), width=9),
            ReportColumn(text("revenue"), Money),
            ReportColumn(text("share"), Percent),
            ReportColumn(text("cumulative_share"), Percent),
            ReportColumn(text("abc_class"), width=8),
        ],
        rows,
        autofilter=True,
    )
    return ReportSheet.of(schema.ABC, locale, text("abc_title"), subtitle, (summary_table, ranking_table), main_table=1)


def rating_value(rating: float) -> int | float | None:
    """A client's Rating as a cell shows it: a whole number as an integer, blank (NaN) as None."""
    if pd.isna(rating):
        return None
    return int(rating) if float(rating).is_integer() else float(rating)


# --- Problems ---------------------------------------------------------------------------------


def problems_sheet(findings: Sequence[Finding], locale: str, subtitle: str) -> ReportSheet:
    """The problems sheet: every finding of validation with its cell."""

    def text(key: str) -> str:
        return schema.label(key, locale)

    table = ReportTable(
        text("problems_heading") if findings else text("no_problems"),
        [
            # All wrapping, so that a row that a long message makes taller reads from its top line.
            ReportColumn(text("severity"), LongText),
            ReportColumn(text("sheet"), LongText),
            ReportColumn(text("cell"), LongText),
            ReportColumn(text("value"), LongText, width=24),
            ReportColumn(text("problem"), LongText, width=60),
            ReportColumn(text("code"), LongText),
        ],
        [[text(f.severity.value), f.sheet, f.cell, f.value, render(f.message, locale), f.code.value] for f in findings],
        autofilter=True,
    )
    return ReportSheet.of(schema.PROBLEMS, locale, text("problems_title"), subtitle, (table,))


def _day(value: dt.date | None) -> str:
    return f"{value:%d.%m.%Y}" if value else ""
