"""What the reports show of debts, from :attr:`xlcrm.lifecycle.blocks.Lifecycle.receivables` (the rules of who owes
what are :mod:`xlcrm.lifecycle.payments`).

- **Receivables by age** (Dashboard): the orders not paid in full, by the days since the order's date (0–30,
  31–60, 61–90, over 90, and a Total row): how many, of how many clients, what they still lack (owed), the part of
  it past the client's payment term (overdue), and each age's share of all that is owed.
- **Top debtors** (Dashboard): the ``TOP_DEBTORS`` clients who owe the most, with their manager and phone, what
  they owe and how much of it is overdue, the date of their oldest unpaid order and how many days the oldest
  overdue order is past due.
- **Paid ahead** (Dashboard): one line, the clients whose payments exceed their orders and their credit.
- **By manager** (Managers): what the clients of each manager (by Manager on Clients) owe, and the overdue part.

A workbook that records no payment tracks no debts: the Dashboard says so in one line and how to start, instead
of tables of zeros, and the Managers sheet has no receivables columns.
"""

from __future__ import annotations

import pandas as pd

from xlcrm import schema
from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.payments import Receivables
from xlcrm.messages import Message, t, tn
from xlcrm.xlsx.report_sheet import CellValue, ColumnFormat, ReportColumn, ReportTable

TOP_DEBTORS = 10
# The last day of each age group but the oldest, which has none: 0–30, 31–60, 61–90 and over 90 days.
AGE_LIMITS = (30, 60, 90)
# Widths of the number columns, in characters: 18,306,000.00 fits, and a header wraps rather than widening.
MONEY_WIDTH, COUNT_WIDTH, DATE_WIDTH = 15, 11, 12


def receivables_tables(lifecycle: Lifecycle, locale: str) -> tuple[ReportTable, ...]:
    """The Dashboard's tables of debts: receivables by age, the top debtors and the clients who paid ahead; when
    the workbook records no payments, one line saying how to start."""
    debts = lifecycle.receivables
    if not debts.tracked:
        return (untracked_table(locale),)
    return ageing_table(debts, locale), debtors_table(lifecycle, locale), credit_table(debts, locale)


def untracked_table(locale: str) -> ReportTable:
    """One line: no payment is recorded, so no debts are tracked; what to type to start."""
    start = t(
        "To see who owes what, type a “{payment}” row on {sheet} ({amount}: the money received); the setting "
        "“{setting}” says from which day orders wait for payment.",
        payment=schema.PAYMENT.name(locale),
        sheet=schema.INTERACTIONS.name(locale),
        amount=schema.INTERACTIONS.column("amount").name(locale),
        setting=schema.setting("payments_from").label(locale),
    )
    return ReportTable(
        t("Receivables").render(locale),
        [ReportColumn(t("No payments are recorded: debts are not tracked").render(locale), width=44)],
        [[start.render(locale)]],
    )


def age_groups(age_days: pd.Series) -> pd.Series:
    """The index (0 to ``len(AGE_LIMITS)``) of the age group of each number of days since an order's date."""
    groups: pd.Series = pd.Series(
        pd.cut(age_days, [-float("inf"), *AGE_LIMITS, float("inf")], labels=False), index=age_days.index
    )
    return groups


def age_labels(locale: str) -> list[str]:
    """``0–30 days``, ``31–60 days``, ``61–90 days``, ``over 90 days``."""
    firsts = [0, *(limit + 1 for limit in AGE_LIMITS[:-1])]
    ranges = [t("{first}–{last} days", first=first, last=last) for first, last in zip(firsts, AGE_LIMITS)]
    return [label.render(locale) for label in [*ranges, t("over {days} days", days=AGE_LIMITS[-1])]]


def ageing_table(debts: Receivables, locale: str) -> ReportTable:
    """The orders not paid in full by the days since their date, with a Total row (see the module)."""
    unpaid = debts.unpaid.assign(group=age_groups(debts.unpaid["age_days"].astype(float)))
    unpaid = unpaid.assign(overdue=unpaid["left"].where(unpaid["overdue_days"] > 0, 0.0))
    groups = range(len(AGE_LIMITS) + 1)
    figures = (
        unpaid.groupby("group")
        .agg(orders=("row", "size"), clients=("client_id", "nunique"), owed=("left", "sum"), overdue=("overdue", "sum"))
        .reindex(groups, fill_value=0)
    )
    owed = float(unpaid["left"].sum())

    def share(amount: float) -> float | None:
        return amount / owed if owed else None

    rows: list[list[CellValue]] = [
        [label, int(row.orders), int(row.clients), float(row.owed), float(row.overdue), share(float(row.owed))]
        for label, row in zip(age_labels(locale), figures.itertuples())
    ]
    rows.append(
        [
            schema.label("total", locale),
            len(unpaid),
            int(unpaid["client_id"].nunique()),
            owed,
            float(unpaid["overdue"].sum()),
            share(owed),
        ]
    )
    return ReportTable(
        t("Receivables by age").render(locale),
        [
            ReportColumn(t("Days since the order").render(locale), width=18),
            _figure(t("Unpaid orders"), ColumnFormat.INTEGER, locale),
            _figure(schema.REPORT_LABELS["clients"], ColumnFormat.INTEGER, locale),
            _figure(t("Owed"), ColumnFormat.MONEY, locale),
            _figure(t("Of which overdue"), ColumnFormat.MONEY, locale),
            _figure(t("Share of owed"), ColumnFormat.PERCENT, locale),
        ],
        rows,
        note=t(
            "Orders not paid in full by the days since their date; owed: what they still lack; overdue: past the "
            "client's payment term."
        ).render(locale),
    )


def debtors_table(lifecycle: Lifecycle, locale: str) -> ReportTable:
    """The ``TOP_DEBTORS`` clients who owe the most, the most first (equal debts by ClientID)."""
    figures = lifecycle.receivables.clients
    owing = figures[figures["owed"] > 0].rename_axis("client_id").reset_index()
    top = owing.sort_values(["owed", "client_id"], ascending=[False, True], kind="stable").head(TOP_DEBTORS)
    clients = lifecycle.clients.reindex(top["client_id"])
    who = clients["company"].where(clients["company"].notna(), clients["name"])
    since = top["unpaid_since"].to_numpy(dtype="datetime64[D]").astype(object).tolist()
    rows: list[list[CellValue]] = [
        [client_id, _text(name), _text(manager), _text(phone), float(owed), float(overdue), day, _days(late)]
        for client_id, name, manager, phone, owed, overdue, day, late in zip(
            top["client_id"].tolist(),
            who.tolist(),
            clients["manager"].tolist(),
            clients["phone"].tolist(),
            top["owed"].tolist(),
            top["overdue"].tolist(),
            since,
            top["overdue_days"].tolist(),
        )
    ]
    return ReportTable(
        t("Top debtors").render(locale),
        [
            ReportColumn(schema.label("client_id", locale)),
            ReportColumn(schema.label("client", locale), ColumnFormat.LONG_TEXT, width=22),
            # «Екатерина Лебедева» on one line; a long phone cell («… или +7 …») wraps rather than being cut.
            ReportColumn(schema.label("manager", locale), ColumnFormat.LONG_TEXT, width=21),
            ReportColumn(schema.label("phone", locale), ColumnFormat.LONG_TEXT, width=20),
            _figure(t("Owed"), ColumnFormat.MONEY, locale),
            # A short header: the date column after it has its header on the left, which a long one would touch.
            _figure(t("Overdue"), ColumnFormat.MONEY, locale),
            # Wide enough that its header, on the left as a date column's is, keeps clear of the one before it.
            ReportColumn(_computed_name("unpaid_since", locale), ColumnFormat.DATE, width=DATE_WIDTH + 4),
            _figure(t("Days overdue"), ColumnFormat.INTEGER, locale),
        ],
        rows,
        note=tn(
            "The {count} client who owes the most; days overdue: of the oldest order past its payment term.",
            "The {count} clients who owe the most; days overdue: of the oldest order past its payment term.",
            TOP_DEBTORS,
        ).render(locale),
    )


def credit_table(debts: Receivables, locale: str) -> ReportTable:
    """One line: how many clients paid ahead, and their credit in all."""
    credit = debts.clients["credit"]
    ahead = credit[credit > 0]
    return ReportTable(
        t("Paid ahead").render(locale),
        [
            ReportColumn(t("Who").render(locale), width=44),
            _figure(schema.REPORT_LABELS["clients"], ColumnFormat.INTEGER, locale),
            _figure(t("Credit"), ColumnFormat.MONEY, locale),
        ],
        [[t("Clients whose payments exceed their orders").render(locale), len(ahead), float(ahead.sum())]],
        note=t("Credit: money received that no order has taken yet; it pays for the next orders.").render(locale),
    )


def manager_receivables(lifecycle: Lifecycle, managers: pd.Series) -> pd.DataFrame:
    """Per manager of ``managers`` (each client's manager, indexed by ClientID): ``owed``, what their clients owe,
    and the ``overdue`` part of it."""
    figures = lifecycle.receivables.clients.reindex(managers.index)
    result: pd.DataFrame = figures[["owed", "overdue"]].fillna(0.0).groupby(managers).sum()
    return result


def manager_columns(locale: str) -> list[ReportColumn]:
    """The Managers sheet's receivables columns, in ``manager_receivables``' order."""
    return [
        _figure(t("Owed by clients"), ColumnFormat.MONEY, locale),
        _figure(t("Of which overdue"), ColumnFormat.MONEY, locale),
    ]


def _figure(header: Message, number_format: ColumnFormat, locale: str) -> ReportColumn:
    """A column of numbers, narrow enough that its header wraps rather than widening the sheet."""
    return ReportColumn(
        header.render(locale), number_format, width=MONEY_WIDTH if number_format is ColumnFormat.MONEY else COUNT_WIDTH
    )


def _computed_name(key: str, locale: str) -> str:
    """The name of a computed Clients column, as its header says it without the report marker."""
    [column] = [column for column in schema.CLIENT_COMPUTED_COLUMNS if column.key == key]
    return column.name(locale)


def _text(value: object) -> str | None:
    """A text cell: None for a blank (NaN) value."""
    return None if value is None or value != value else str(value)


def _days(value: float) -> int | None:
    """A whole number of days: None for none (NaN)."""
    return None if value != value else int(value)
