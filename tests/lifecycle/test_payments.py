"""What each client owes, from real workbooks: payments settling orders exactly, in part and beyond, by Order No. and
oldest first, refunds and returns, the payment term at its boundary, the day tracking starts, and a base that
records no payments. The expected figures are worked out by hand in each test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.lifecycle.analysis import Analysis, analyse
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 12, 3)
ORDER, PAYMENT, RETURN, CALL = schema.ORDER.ru, schema.PAYMENT.ru, schema.RETURN.ru, schema.CALL_OUT.ru


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def row(
    client_id: str, when: int, kind: str, amount: float | None = None, number: str | None = None
) -> dict[str, object]:
    return {"client_id": client_id, "date": day(when), "type": kind, "amount": amount, "order_number": number}


def workbook(
    folder: Path,
    interactions: list[dict[str, object]],
    settings: dict[str, object] | None = None,
    terms: dict[str, int] | None = None,
    locale: str = "ru",
) -> Path:
    """A template workbook of clients C01..C09 and ``interactions``, with Settings values and Payment terms set."""
    clients = [
        {
            "client_id": f"C{n:02}",
            "name": f"Клиент {n}",
            "created": day(-400),
            "payment_term": (terms or {}).get(f"C{n:02}"),
        }
        for n in range(1, 10)
    ]
    book = build_workbook(locale, rows={"clients": clients, "interactions": interactions})
    sheet = book[schema.SETTINGS.name(locale)]
    for key, value in (settings or {}).items():
        [cell] = [line[0] for line in sheet.iter_rows() if line[0].value == key]
        sheet.cell(cell.row, cell.column + 2).value = value  # Key, Setting, Value
    path = folder / "payments.xlsx"
    book.save(path)
    return path


def analysed(path: Path) -> Analysis:
    return analyse(read_workbook(path), TODAY)


def debts(analysis: Analysis) -> dict[str, tuple[float | None, dt.date | None, float, float, float]]:
    """ClientID -> (balance, unpaid since, owed, overdue, credit) of the clients with a balance."""
    figures = analysis.lifecycle.receivables.clients
    return {
        str(client_id): (
            float(line.balance),
            None if pd.isna(line.unpaid_since) else pd.Timestamp(line.unpaid_since).date(),
            float(line.owed),
            float(line.overdue),
            float(line.credit),
        )
        for client_id, line in figures.iterrows()
        if not pd.isna(line.balance)
    }


def test_payments_settle_exactly_in_part_beyond_and_ahead(tmp_path: Path) -> None:
    analysis = analysed(
        workbook(
            tmp_path,
            [
                row("C01", -40, ORDER, 1000, "З-1"),
                row("C01", -35, PAYMENT, 1000, "З-1"),  # exactly
                row("C02", -40, ORDER, 1000),
                row("C02", -30, PAYMENT, 400),  # in part: 600 left, due on day -26
                row("C03", -40, ORDER, 1000),
                row("C03", -30, PAYMENT, 1500),  # beyond: a credit of 500, not a hidden negative debt
                row("C04", -60, PAYMENT, 2000),  # ahead of the orders: they take it as they come
                row("C04", -50, ORDER, 1200),
                row("C04", -20, ORDER, 1300),  # 800 of it covered, 500 left
                row("C05", -10, CALL),  # no money rows: no balance
            ],
        )
    )
    assert debts(analysis) == {
        "C01": (0.0, None, 0.0, 0.0, 0.0),
        "C02": (600.0, day(-40), 600.0, 600.0, 0.0),
        "C03": (-500.0, None, 0.0, 0.0, 500.0),
        "C04": (500.0, day(-20), 500.0, 500.0, 0.0),
    }
    assert analysis.lifecycle.receivables.tracked


def test_without_an_order_number_the_oldest_orders_are_settled_first(tmp_path: Path) -> None:
    analysis = analysed(
        workbook(
            tmp_path,
            [
                row("C01", -20, ORDER, 300),  # newest, typed first
                row("C01", -60, ORDER, 100),
                row("C01", -40, ORDER, 200),
                row("C01", -5, PAYMENT, 250),  # pays the 100 of day -60 and 150 of the 200 of day -40
            ],
        )
    )
    unpaid = analysis.lifecycle.receivables.unpaid
    assert [(pd.Timestamp(d).date(), left) for d, left in zip(unpaid["date"], unpaid["left"])] == [
        (day(-40), 50.0),
        (day(-20), 300.0),
    ]
    assert debts(analysis)["C01"] == (350.0, day(-40), 350.0, 350.0, 0.0)


def test_an_order_number_is_settled_first_and_what_it_leaves_pays_the_oldest(tmp_path: Path) -> None:
    analysis = analysed(
        workbook(
            tmp_path,
            [
                row("C01", -60, ORDER, 100, "1"),
                row("C01", -40, ORDER, 200, "2"),
                row("C01", -30, ORDER, 400, "3"),
                row("C01", -5, PAYMENT, 450, " 3 "),  # № 3 first (spaces ignored), the 50 left to № 1
                row("C02", -30, ORDER, 100, "a-7"),
                row("C02", -5, PAYMENT, 100, "A-7"),  # case ignored
            ],
        )
    )
    unpaid = analysis.lifecycle.receivables.unpaid
    assert list(zip(unpaid["order_number"], unpaid["left"])) == [("1", 50.0), ("2", 200.0)]
    assert debts(analysis)["C02"] == (0.0, None, 0.0, 0.0, 0.0)


def test_a_payment_naming_no_order_of_its_client_settles_nothing_but_counts_in_the_balance(tmp_path: Path) -> None:
    analysis = analysed(
        workbook(
            tmp_path,
            [
                row("C01", -30, ORDER, 1000, "5"),
                row("C01", -5, PAYMENT, 1000, "55"),  # a typo: no order 55
                row("C02", -30, ORDER, 700, "8"),
                row("C01", -4, PAYMENT, 100, "8"),  # order 8 is another client's
            ],
        )
    )
    receivables = analysis.lifecycle.receivables
    assert sorted(receivables.unmatched) == [3, 5]  # Excel rows of the two payments
    # Nothing guessed: order 5 stays unpaid and overdue, though the money is in the balance.
    assert debts(analysis)["C01"] == (-100.0, day(-30), 1000.0, 1000.0, 0.0)
    assert debts(analysis)["C02"] == (700.0, day(-30), 700.0, 700.0, 0.0)


def test_refunds_and_returns(tmp_path: Path) -> None:
    analysis = analysed(
        workbook(
            tmp_path,
            [
                # Paid, then the goods came back and the money was paid back: nothing owed either way.
                row("C01", -40, ORDER, 1000),
                row("C01", -35, PAYMENT, 1000),
                row("C01", -20, RETURN, 1000),
                row("C01", -19, PAYMENT, -1000),
                # Unpaid, part of the goods came back (typed below zero): the rest is owed.
                row("C02", -40, ORDER, 1000),
                row("C02", -30, RETURN, -300),
                # Money paid back on a paid order: the order is unpaid again by that much.
                row("C03", -40, ORDER, 500),
                row("C03", -35, PAYMENT, 500),
                row("C03", -10, PAYMENT, -200),
                # The same, the order paid by its number: the refund re-opens it all the same.
                row("C04", -40, ORDER, 500, "9"),
                row("C04", -35, PAYMENT, 500, "9"),
                row("C04", -10, PAYMENT, -200),
                # A refund beyond everything paid: owed back, no order to show it on.
                row("C05", -10, PAYMENT, -50),
            ],
        )
    )
    assert debts(analysis) == {
        "C01": (0.0, None, 0.0, 0.0, 0.0),
        "C02": (700.0, day(-40), 700.0, 700.0, 0.0),
        "C03": (200.0, day(-40), 200.0, 200.0, 0.0),
        "C04": (200.0, day(-40), 200.0, 200.0, 0.0),
        "C05": (50.0, None, 0.0, 0.0, 0.0),
    }


@pytest.mark.parametrize(("age", "overdue_days"), [(13, None), (14, None), (15, 1)])
def test_the_payment_term_boundary(tmp_path: Path, age: int, overdue_days: int | None) -> None:
    """With a term of 14 days an order is on time on day 14 and one day overdue on day 15."""
    analysis = analysed(
        workbook(tmp_path, [row("C01", -age, ORDER, 100), row("C02", -1, PAYMENT, 1)], {"payment_term_days": 14})
    )
    line = analysis.lifecycle.receivables.clients.loc["C01"]
    assert float(line.owed) == 100.0
    if overdue_days is None:
        assert float(line.overdue) == 0.0 and pd.isna(line.overdue_days)
    else:
        assert float(line.overdue) == 100.0 and line.overdue_days == overdue_days


def test_a_client_payment_term_overrides_the_setting_and_a_bad_one_does_not(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [row(f"C0{n}", -10, ORDER, 100) for n in (1, 2, 3, 4)] + [row("C09", -1, PAYMENT, 1)],
        {"payment_term_days": 14},
        terms={"C01": 0, "C02": 30, "C03": -5},
    )
    book = load_workbook(path)
    clients = book[schema.CLIENTS.ru]
    headers = [cell.value for cell in clients[1]]
    clients.cell(5, headers.index(schema.CLIENTS.column("payment_term").ru) + 1).value = "неделя"  # C04
    book.save(path)
    overdue = analysed(path).lifecycle.receivables.clients["overdue_days"]
    assert overdue["C01"] == 10  # due on the day of the order
    assert pd.isna(overdue["C02"]) and pd.isna(overdue["C03"]) and pd.isna(overdue["C04"])  # 30, then 14 and 14


def test_rows_before_tracking_starts_count_as_settled(tmp_path: Path) -> None:
    analysis = analysed(
        workbook(
            tmp_path,
            [
                row("C01", -100, ORDER, 1000, "1"),  # before the start: settled
                row("C01", -20, ORDER, 300, "2"),
                row("C01", -10, PAYMENT, 1000, "1"),  # pays the settled order: counts nowhere
                row("C02", -100, PAYMENT, 500),  # before the start: left out
                row("C02", -20, ORDER, 200),
            ],
            {"payments_from": day(-50)},
        )
    )
    assert debts(analysis) == {
        "C01": (300.0, day(-20), 300.0, 300.0, 0.0),
        "C02": (200.0, day(-20), 200.0, 200.0, 0.0),
    }
    assert not len(analysis.lifecycle.receivables.unmatched)


def test_a_base_that_records_no_payments_owes_nothing(tmp_path: Path) -> None:
    path = workbook(tmp_path, [row("C01", -400, ORDER, 1000), row("C02", -100, ORDER, 500), row("C03", 5, PAYMENT, 10)])
    analysis = analysed(path)  # the only payment is dated after today: a plan, not a payment
    assert not analysis.lifecycle.receivables.tracked
    assert debts(analysis) == {} and not len(analysis.lifecycle.receivables.unpaid)
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    clients = load_workbook(path)[schema.CLIENTS.ru]
    headers = [cell.value for cell in clients[1]]
    for key in ("balance", "unpaid_since"):
        letter = headers.index(
            schema.REPORT_MARKER + next(c for c in schema.CLIENT_COMPUTED_COLUMNS if c.key == key).ru
        )
        assert all(line[letter].value is None for line in clients.iter_rows(min_row=2))


def test_money_is_summed_in_kopecks(tmp_path: Path) -> None:
    analysis = analysed(
        workbook(
            tmp_path,
            [row("C01", -20, ORDER, 0.3), row("C01", -10, PAYMENT, 0.1), row("C01", -9, PAYMENT, 0.2)],
        )
    )
    assert debts(analysis)["C01"] == (0.0, None, 0.0, 0.0, 0.0)


def test_payments_change_no_block_no_revenue_and_no_contact(tmp_path: Path) -> None:
    rows = [row("C01", -400, ORDER, 1000), row("C01", -399, CALL), row("C02", -5, ORDER, 100)]
    before = analysed(workbook(tmp_path, rows)).lifecycle.clients
    after = analysed(workbook(tmp_path, [*rows, row("C01", -3, PAYMENT, 1000)])).lifecycle.clients
    for key in ("block", "orders", "revenue", "last_contact", "days_silent", "follow_up"):
        pd.testing.assert_series_equal(before[key], after[key])
    assert after.loc["C01", "block"] == schema.DEAD.number  # a payment from a silent client does not revive it


def test_refresh_writes_balance_and_unpaid_since_on_clients(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            row("C01", -40, ORDER, 1000),
            row("C01", -30, PAYMENT, 400),
            row("C02", -40, ORDER, 100),
            row("C02", -1, PAYMENT, 300),
        ],
        locale="en",
    )
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    clients = load_workbook(path)[schema.CLIENTS.en]
    headers = [cell.value for cell in clients[1]]
    balance, since = (headers.index(f"▸ {name}") for name in ("Balance", "Unpaid since"))
    cells = {line[0].value: (line[balance].value, line[since].value) for line in clients.iter_rows(min_row=2)}
    assert cells["C01"] == (600, dt.datetime.combine(day(-40), dt.time()))
    assert cells["C02"] == (-200, None)
    assert cells["C03"] == (None, None)
    assert clients.cell(2, balance + 1).number_format == schema.NUMBER_FORMATS[schema.Kind.MONEY]


def test_a_payment_naming_an_order_without_an_amount_settles_nothing(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            row("C01", -80, ORDER, 100, "3"),
            row("C01", -50, ORDER, None, "5"),  # the order's amount was never typed
            row("C01", -5, PAYMENT, 100, "5"),
        ],
    )
    analysis = analysed(path)
    assert list(analysis.lifecycle.receivables.unmatched) == [4]
    assert debts(analysis)["C01"] == (0.0, day(-80), 100.0, 100.0, 0.0)  # order 3 stays unpaid: nothing guessed
    result = CliRunner().invoke(cli, ["--lang", "en", "validate", str(path), "--today", TODAY.isoformat()])
    assert "Взаимодействия!L4" in result.output and "unknown-order" in result.output, result.output
    assert "has no Сумма above zero" in result.output


@pytest.mark.parametrize("term", [100_000, 3651])
def test_a_payment_term_beyond_ten_years_is_refused_and_the_setting_used(tmp_path: Path, term: int) -> None:
    path = workbook(tmp_path, [row("C01", -20, ORDER, 100), row("C02", -1, PAYMENT, 1)], terms={"C01": term})
    assert analysed(path).lifecycle.receivables.clients.loc["C01", "overdue_days"] == 6  # the 14 days of Settings
    result = CliRunner().invoke(cli, ["--lang", "en", "validate", str(path), "--today", TODAY.isoformat()])
    assert "bad-payment-term" in result.output and "from 0 to 3650" in result.output, result.output
    assert refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0)).debts is not None


def test_a_setting_term_beyond_ten_years_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path, [row("C01", -20, ORDER, 100), row("C02", -1, PAYMENT, 1)], {"payment_term_days": 10**6})
    assert analysed(path).lifecycle.receivables.clients.loc["C01", "overdue_days"] == 6
    result = CliRunner().invoke(cli, ["--lang", "en", "validate", str(path), "--today", TODAY.isoformat()])
    assert "must be a whole number of days from 0 to 3650" in result.output, result.output


def test_a_workbook_made_before_payments_tracks_none_until_upgraded(tmp_path: Path) -> None:
    """Without the «Учёт оплат с» row the first Payment typed does not turn the whole history into debts."""
    path = workbook(tmp_path, [row("C01", -400, ORDER, 1000), row("C02", -100, ORDER, 500), row("C02", -1, PAYMENT, 1)])
    book = load_workbook(path)
    settings = book[schema.SETTINGS.ru]
    [line] = [cells[0].row for cells in settings.iter_rows() if cells[0].value == "payments_from"]
    settings.delete_rows(line)
    book.save(path)
    assert not analysed(path).lifecycle.receivables.tracked
    result = CliRunner().invoke(cli, ["--lang", "ru", "validate", str(path), "--today", TODAY.isoformat()])
    assert "payments-not-tracked" in result.output and "xlcrm init --upgrade" in result.output, result.output
    upgraded = CliRunner().invoke(cli, ["init", "--upgrade", str(path), "--today", TODAY.isoformat()])
    assert upgraded.exit_code == 0, upgraded.output
    analysis = analysed(path)  # tracked from the day of the upgrade: the old orders count as settled
    assert analysis.lifecycle.receivables.tracked and debts(analysis) == {}
