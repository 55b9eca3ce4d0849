"""The demo's payments and loyalty: every planted payment case shows on a refreshed Clients sheet as planted, and the
ageing of what is owed, computed here with pandas from the saved Interactions by the rules of the debts, equals what
xlcrm computes, bucket by bucket, in both languages."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create import demo_payments as payments
from xlcrm.create.demo import generate_demo
from xlcrm.jobs.demo import DemoResult, create_demo
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.lifecycle.analysis import analyse
from xlcrm.messages import render
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
BUCKETS = ((0, 30), (31, 60), (61, 90), (91, 10**6))  # days since the order's date
INTERACTIONS, CLIENTS = schema.INTERACTIONS, schema.CLIENTS


@pytest.fixture(scope="module", params=["ru", "en"])
def refreshed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    """The example's demo (120 clients, seed 1), refreshed on the day it was made; as generated in
    ``generated.xlsx`` beside it."""
    folder = tmp_path_factory.mktemp(f"payments-{request.param}")
    result = create_demo(folder / "demo.xlsx", clients=120, seed=1, locale=request.param, today=TODAY)
    shutil.copy(result.path, folder / "generated.xlsx")
    refresh_workbook(result.path, today=TODAY)
    return result


BALANCE_COLUMNS = ("balance", "unpaid_since")


def computed(key: str) -> schema.Column:
    return next(column for column in schema.CLIENT_COMPUTED_COLUMNS if column.key == key)


def saved(path: Path, sheet: schema.Sheet, locale: str) -> pd.DataFrame:
    """A saved user sheet with its columns named by schema keys (computed ones too), indexed by Excel row."""
    columns = schema.template_columns(sheet) + (schema.CLIENT_COMPUTED_COLUMNS if sheet is CLIENTS else ())
    names = {column.name(locale): column.key for column in columns}
    names.update({schema.REPORT_MARKER + column.name(locale): column.key for column in columns})
    frame = pd.read_excel(path, sheet_name=sheet.name(locale), engine="openpyxl", dtype=object)
    frame.index += 2
    return frame.rename(columns=names)


def settings_of(path: Path, locale: str) -> dict[str, object]:
    """The Settings values by key, as saved."""
    sheet = openpyxl.load_workbook(path)[schema.SETTINGS.name(locale)]
    header = [cell.value for cell in sheet[1]]
    key, value = (header.index(schema.SETTINGS.column(name).name(locale)) for name in ("key", "value"))
    return {row[key]: row[value] for row in sheet.iter_rows(min_row=2, values_only=True) if row[key]}


# --- the planted cases on a refreshed Clients sheet ---------------------------------------------------------


def test_every_payment_case_is_planted_on_its_own_client_and_the_managers_share_them(refreshed: DemoResult) -> None:
    cases = refreshed.planted_payments
    assert [case.case for case in cases] == list(payments.PAYMENT_CASES)  # the example fits every case
    assert len({case.client_id for case in cases}) == len(cases)
    ids = {case.client_id for case in refreshed.planted_cases}
    for pair in refreshed.planted_duplicates + refreshed.probable_duplicates:
        ids |= {pair.original, pair.duplicate}
    assert not ids & {case.client_id for case in cases}  # no lifecycle case, no duplicate
    owing = {case.manager for case in cases if case.due and case.due < TODAY}
    assert owing == set(generate_demo(120, 1, refreshed.locale, TODAY).lists["managers"])  # each has overdue money
    assert refreshed.to_dict()["planted_payments"] == [case.to_dict() for case in cases]


def test_each_planted_case_shows_its_balance_and_unpaid_since_after_a_refresh(refreshed: DemoResult) -> None:
    locale = refreshed.locale
    book = openpyxl.load_workbook(refreshed.path)
    sheet = book[CLIENTS.name(locale)]
    header = [cell.value for cell in sheet[1]]
    balance, since = (header.index(schema.REPORT_MARKER + computed(key).name(locale)) for key in BALANCE_COLUMNS)
    client_id = header.index(CLIENTS.column("client_id").name(locale))
    rows = {row[client_id]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    for case in refreshed.planted_payments:
        row = rows[case.client_id]
        unpaid = row[since].date() if isinstance(row[since], dt.datetime) else row[since]
        assert (row[balance], unpaid) == (case.balance, case.unpaid_since), case
    by_case = {case.case: case for case in refreshed.planted_payments}
    assert by_case[payments.PREPAID].balance < 0  # a credit shows below zero, not hidden as no debt
    for name in (payments.PAID_IN_FULL, payments.REFUND, payments.PREPAID):
        assert by_case[name].unpaid_since is None and by_case[name].due is None
    # The typo's money counts in the balance but settles nothing: no debt, yet the order is unpaid.
    typo = by_case[payments.UNKNOWN_ORDER_NUMBER]
    assert typo.balance == 0 and typo.unpaid_since is not None and typo.due is not None and typo.due < TODAY


def test_each_planted_case_rests_on_the_cell_it_names(refreshed: DemoResult) -> None:
    """A case's cell is where it is as generated, before a refresh merges the planted duplicates."""
    locale, generated = refreshed.locale, refreshed.path.parent / "generated.xlsx"
    log, clients = saved(generated, INTERACTIONS, locale), saved(generated, CLIENTS, locale)
    payment, order = schema.PAYMENT.name(locale), schema.ORDER.name(locale)
    settings = settings_of(refreshed.path, locale)
    default_term = int(str(settings["payment_term_days"]))
    terms = pd.to_numeric(clients.set_index("client_id")["payment_term"]).fillna(default_term)
    for case in refreshed.planted_payments:
        match = re.fullmatch(r"'?(.+?)'?!([A-Z]+)([0-9]+)", case.cell)
        assert match, case
        sheet = log if match[1] == INTERACTIONS.name(locale) else clients
        row = sheet.loc[int(match[3])]
        assert row["client_id"] == case.client_id, case
        mine = log[log["client_id"] == case.client_id]
        numbers = {schema.fold(number) for number in mine.loc[mine["type"] == order, "order_number"].dropna()}
        if case.case in payments._AGES:
            assert row["type"] == order and row["date"].date() == case.unpaid_since, case
            age = (TODAY - case.unpaid_since).days
            low, high = payments._AGES[case.case]
            assert low <= age <= high and case.due == case.unpaid_since + dt.timedelta(days=terms[case.client_id])
            assert case.due < TODAY, case
        elif case.case == payments.UNKNOWN_ORDER_NUMBER:
            assert row["type"] == payment and schema.fold(row["order_number"]) not in numbers, case
        elif case.case in (payments.OWN_TERM_ON_TIME, payments.OWN_TERM_ZERO):
            term = row["payment_term"]
            assert term == (45 if case.case == payments.OWN_TERM_ON_TIME else 0), case
            assert case.unpaid_since is not None and case.due == case.unpaid_since + dt.timedelta(days=term), case
            # The client's own term decides: on time past the default term, or overdue within it.
            on_time = case.case == payments.OWN_TERM_ON_TIME
            assert (case.due >= TODAY) == on_time and ((TODAY - case.unpaid_since).days > default_term) == on_time
        else:
            assert row["type"] == payment and row["amount"] is not None, case
            if case.case == payments.REFUND:
                assert row["amount"] < 0, case
            if case.case == payments.PAID_OLDEST_FIRST:
                assert pd.isna(row["order_number"]), case


# --- the ageing, computed independently ---------------------------------------------------------------------


def fifo_unpaid(path: Path, locale: str) -> pd.DataFrame:
    """Every order not paid in full on TODAY, with what it still lacks (``left``) and ``age_days``, from the saved
    Interactions, by the rules of the debts: from the Setting «Track payments from», a payment naming an Order No. of
    its client settles that order first (orders of one number oldest first), the rest and every payment without
    one (a refund takes away) settle the client's oldest orders first (by Date, then row), and refunds beyond that
    make the newest paid orders unpaid again; a payment naming an Order No. no order of the client carries settles
    nothing."""
    settings = settings_of(path, locale)
    start = pd.Timestamp(settings["payments_from"])
    clients = saved(path, CLIENTS, locale)
    counts = clients["client_id"].value_counts()
    clients = clients[clients["client_id"].isin(counts[counts == 1].index)].set_index("client_id")
    terms = pd.to_numeric(clients["payment_term"]).fillna(int(str(settings["payment_term_days"])))

    log = saved(path, INTERACTIONS, locale)
    log = log[log["client_id"].isin(terms.index)]
    log = log.assign(
        day=pd.to_datetime(log["date"], errors="coerce"),
        money=pd.to_numeric(log["amount"], errors="coerce"),
        key=log["order_number"].map(lambda number: None if pd.isna(number) else schema.fold(number)),
    )
    orders_any_day = log[log["type"] == schema.ORDER.name(locale)]
    log = log[(log["day"] >= start) & (log["day"] <= pd.Timestamp(TODAY))]
    orders = log[(log["type"] == schema.ORDER.name(locale)) & (log["money"] > 0)]
    paid = log[(log["type"] == schema.PAYMENT.name(locale)) & log["money"].notna()]

    unpaid = []
    for client, own in orders.groupby("client_id"):
        own = own.sort_values("day", kind="stable")  # rows are in sheet order: ties stay by row
        left = (own["money"] * 100).round().astype(int)
        payments_of = paid[paid["client_id"] == client]
        carried = set(orders_any_day.loc[orders_any_day["client_id"] == client, "key"].dropna())
        pool = 0
        for _, payment in payments_of.iterrows():
            cents = round(payment["money"] * 100)
            if cents > 0 and isinstance(payment["key"], str):  # a refund names no order
                if payment["key"] not in set(own["key"]):
                    # Names no order of the client (a typo) or one settled before «Track payments from»: settles
                    # nothing. An order dated after today is not in the demo.
                    assert payment["key"] not in carried or orders_any_day["day"].max() <= pd.Timestamp(TODAY)
                    continue
                for row in own.index[own["key"] == payment["key"]]:
                    taken = min(cents, left[row])
                    left[row] -= taken
                    cents -= taken
            pool += cents
        for row in own.index:
            taken = min(max(pool, 0), left[row])
            left[row] -= taken
            pool -= taken
        for row in reversed(own.index):  # refunds beyond the credit: the newest paid orders are unpaid again
            given = min(max(-pool, 0), round(own.loc[row, "money"] * 100) - left[row])
            left[row] += given
            pool += given
        for row in own.index[left > 0]:
            unpaid.append((client, row, left[row] / 100, (pd.Timestamp(TODAY) - own.loc[row, "day"]).days))
    return pd.DataFrame(unpaid, columns=["client_id", "row", "left", "age_days"])


def by_bucket(unpaid: pd.DataFrame) -> dict[tuple[int, int], dict[tuple[str, int], float]]:
    """(client, Interactions row) -> what the order lacks, for each ageing bucket."""
    return {
        (low, high): {
            (str(item.client_id), int(item.row)): float(item.left)
            for item in unpaid.itertuples()
            if low <= item.age_days <= high
        }
        for low, high in BUCKETS
    }


def test_the_ageing_of_what_is_owed_equals_an_independent_computation(refreshed: DemoResult) -> None:
    expected = by_bucket(fifo_unpaid(refreshed.path, refreshed.locale))
    receivables = analyse(read_workbook(refreshed.path), TODAY).lifecycle.receivables
    assert receivables.tracked
    assert by_bucket(receivables.unpaid) == expected
    assert all(expected[bucket] for bucket in BUCKETS)  # every bucket has something to show
    totals = {bucket: round(sum(orders.values()), 2) for bucket, orders in expected.items()}
    assert totals == {
        bucket: round(float(receivables.unpaid.loc[receivables.unpaid["age_days"].between(*bucket), "left"].sum()), 2)
        for bucket in BUCKETS
    }


# --- orders, terms, cards and settings ------------------------------------------------------------------------


def test_orders_are_mostly_numbered_and_payments_mostly_name_them(refreshed: DemoResult) -> None:
    locale = refreshed.locale
    log = saved(refreshed.path, INTERACTIONS, locale)
    orders = log[log["type"] == schema.ORDER.name(locale)]
    numbered = orders["order_number"].dropna()
    prefix = "З" if locale == "ru" else "O"
    assert numbered.str.fullmatch(prefix + r"-\d{4}").all() and numbered.is_unique
    assert 0.75 < len(numbered) / len(orders) < 0.97  # most orders, not all
    paid = log[log["type"] == schema.PAYMENT.name(locale)]
    naming = paid["order_number"].notna().mean()
    assert 0.5 < naming < 0.95  # some payments name no order
    assert (pd.to_numeric(paid["amount"]) < 0).sum() == 1  # the planted refund
    start = settings_of(refreshed.path, locale)["payments_from"]
    assert isinstance(start, dt.datetime) and start.date() == payments.payments_start(TODAY)
    assert (pd.to_datetime(paid["date"]) >= start).all()


def test_card_holders_have_digits_and_a_discount_and_order_more_often(refreshed: DemoResult) -> None:
    locale = refreshed.locale
    clients = saved(refreshed.path, CLIENTS, locale)
    digits = settings_of(refreshed.path, locale)["card_digits"]
    holders = clients[clients["card_number"].notna()]
    assert digits == payments.CARD_DIGITS and len(holders) >= 5
    assert holders["card_number"].astype(str).str.fullmatch(rf"\d{{{digits}}}").all()
    assert holders["card_number"].is_unique
    assert set(holders["discount"]) <= {5, 10, 15} and len(set(holders["discount"])) >= 2
    retail = clients[clients["company"].isna() | clients["company"].astype(str).str.startswith("ИП")]
    assert set(holders.index) <= set(retail.index)  # cards are for persons and sole traders
    orders = pd.to_numeric(retail["orders"]).fillna(0)
    assert orders[retail["card_number"].notna()].mean() > 1.5 * orders[retail["card_number"].isna()].mean()
    terms = pd.to_numeric(clients["payment_term"]).dropna()
    assert set(terms) <= {0, 30, 45} and {0, 30, 45} <= set(terms)
    companies = clients[clients["company"].notna() & ~clients["company"].astype(str).str.startswith("ИП")]
    companies = companies[~companies["client_id"].isin({case.client_id for case in refreshed.planted_payments})]
    assert (pd.to_numeric(companies["payment_term"]).dropna() >= 30).all()  # companies get longer terms


def test_a_small_demo_plants_the_payment_cases_that_fit() -> None:
    small = generate_demo(30, 1, "ru", TODAY)
    assert 1 <= len(small.planted_payments) < len(payments.PAYMENT_CASES)
    assert generate_demo(30, 1, "ru", TODAY).planted_payments == small.planted_payments
    assert generate_demo(10, 1, "ru", TODAY).settings == small.settings  # settings whether or not a case fits


def test_cli_verbose_lists_the_planted_payments(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--lang", "ru", "demo", str(tmp_path / "demo.xlsx"), "--clients", "120", "--today", "2026-11-23", "-v"]
    )
    assert result.exit_code == 0, result.output
    assert "Заложенные оплаты" in result.output
    for case in generate_demo(120, 1, "ru", TODAY).planted_payments:
        assert f"  {case.client_id} {case.case} {case.cell}: {render(case.note, 'ru')} (баланс " in result.output
