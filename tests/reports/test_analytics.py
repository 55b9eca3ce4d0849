"""▸ Analytics on the refreshed demo, each figure checked against pandas run on the saved file's own sheets (read
with pandas and openpyxl, not through xlcrm's frames); the sheet of an empty workbook; the Rating as the agenda's
tie-breaker and as a column of the ABC list."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, write_records
from tests.create.test_russian_words import english_left
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create import template
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.lifecycle.analysis import analyse
from xlcrm.reports.agenda import build_agenda
from xlcrm.xlsx.reader import read_workbook

TODAY = pd.Timestamp(2026, 11, 23)
PERIOD_START = pd.Timestamp(2025, 12, 1)  # the twelve calendar months up to 23.11.2026


@dataclass(frozen=True)
class Words:
    """What the test reads in a workbook of one language, spelled out here rather than taken from xlcrm."""

    sheet: str
    clients: str
    log: str
    client_id: str
    source: str
    city: str
    created: str
    manager: str
    rating: str
    block: str  # the computed column of Clients
    date: str
    type: str
    amount: str
    order: str
    refund: str
    not_given: str
    no_manager: str
    total: str
    by_block: str
    by_manager: str
    by_source: str
    cohorts: str
    cities: str
    abc: str
    abc_ranking: str


WORDS = {
    "ru": Words(
        "▸ Аналитика",
        "Клиенты",
        "Взаимодействия",
        "ID клиента",
        "Источник",
        "Город",
        "Создан",
        "Менеджер",
        "Рейтинг",
        "▸ Блок",
        "Дата",
        "Тип",
        "Сумма",
        "заказ",
        "возврат",
        "(не указан)",
        "(без менеджера)",
        "Итого",
        "Средний чек и частота покупок по блокам",
        "Средний чек и частота покупок по менеджерам",
        "Источники: конверсия в первый заказ и выручка",
        "Когорты: клиенты по месяцу создания",
        "Города с наибольшей выручкой",
        "▸ ABC-анализ",
        "Клиенты по выручке за период",
    ),
    "en": Words(
        "▸ Analytics",
        "Clients",
        "Interactions",
        "ClientID",
        "Source",
        "City",
        "Created",
        "Manager",
        "Rating",
        "▸ Block",
        "Date",
        "Type",
        "Amount",
        "order",
        "return",
        "(not given)",
        "(no manager)",
        "Total",
        "Average check and purchase frequency by block",
        "Average check and purchase frequency by manager",
        "Sources: conversion to a first order and revenue",
        "Cohorts: clients by the month they were created",
        "Top cities by revenue",
        "▸ ABC",
        "Clients ranked by revenue over the period",
    ),
}


# --- reading the saved workbook ------------------------------------------------------------------------------


def sheet_values(path: Path, name: str) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()


def table(rows: Sequence[tuple[object, ...]], heading: str) -> pd.DataFrame:
    """The table under ``heading``: its header is the first row after the heading with a second cell (the note
    lines have one cell), its values the rows down to the next blank one."""
    start = next(index for index, row in enumerate(rows) if row and row[0] == heading)
    header_at = next(index for index in range(start + 1, len(rows)) if rows[index][1] is not None)
    header = [value for value in rows[header_at] if value is not None]
    values = []
    for row in rows[header_at + 1 :]:
        if row[0] is None:
            break
        values.append(list(row[: len(header)]))
    return pd.DataFrame(values, columns=header).set_index(header[0])


def as_day(value: object) -> pd.Timestamp:
    """A typed date: a date cell, or dd.mm.yyyy text; NaT for anything else ("вчера")."""
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value).normalize()
    if isinstance(value, str) and re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", value.strip()):
        return pd.Timestamp(dt.datetime.strptime(value.strip(), "%d.%m.%Y"))
    return pd.NaT


@dataclass(frozen=True)
class Base:
    clients: pd.DataFrame  # indexed by ClientID: block, source, city, created, manager, rating
    counted: pd.DataFrame  # orders and returns of known clients up to today: client, date, amount, manager, order
    period: pd.DataFrame  # the counted ones dated within the period


def independent_base(path: Path, words: Words) -> Base:
    """The saved workbook's clients and sales as pandas reads them off the file."""
    clients = pd.read_excel(path, sheet_name=words.clients, dtype=object, engine="openpyxl")
    ids = clients[words.client_id]
    clients = clients[ids.notna() & ~ids.duplicated(keep=False)].set_index(words.client_id)
    frame = pd.DataFrame(
        {
            "block": clients[words.block],
            "source": clients[words.source].fillna(words.not_given),
            "city": clients[words.city].fillna(words.not_given),
            "created": clients[words.created].map(as_day),
            "manager": clients[words.manager],
            "rating": pd.to_numeric(clients[words.rating], errors="coerce"),
        }
    )
    log = pd.read_excel(path, sheet_name=words.log, dtype=object, engine="openpyxl")
    kind = log[words.type].astype(str).str.strip().str.casefold()
    sales = pd.DataFrame(
        {
            "client": log[words.client_id],
            "date": log[words.date].map(as_day),
            "amount": pd.to_numeric(log[words.amount], errors="coerce").fillna(0.0),
            "manager": log[words.manager],
            "order": kind == words.order,
        }
    )[kind.isin([words.order, words.refund])]
    sales.loc[~sales["order"], "amount"] = -sales.loc[~sales["order"], "amount"].abs()
    counted = sales[sales["client"].isin(frame.index) & ~(sales["date"] > TODAY)]
    period = counted[(counted["date"] >= PERIOD_START) & (counted["date"] <= TODAY)]
    return Base(frame, counted, period)


def check_figures(sales: pd.DataFrame, group: pd.Series) -> pd.DataFrame:
    """Orders, revenue, ordering clients, average check, orders per client, median days between orders."""
    orders = sales[sales["order"]].assign(group=group[sales["order"]]).sort_values(["client", "date"])
    gaps = []  # each gap between a client's orders counted for the group of the later order
    for _client, client_orders in orders.groupby("client"):
        dates = client_orders["date"].tolist()
        groups = client_orders["group"].tolist()
        gaps += [(groups[i], (dates[i] - dates[i - 1]).days) for i in range(1, len(dates))]
    gap = pd.DataFrame(gaps, columns=["group", "days"]).groupby("group")["days"].median()
    result = pd.DataFrame(
        {
            "orders": orders.groupby("group").size(),
            "revenue": sales["amount"].groupby(group).sum(),
            "clients": orders.groupby("group")["client"].nunique(),
        }
    ).fillna(0)
    result["check"] = result["revenue"] / result["orders"]
    result["frequency"] = result["orders"] / result["clients"]
    result["gap"] = gap
    return result


def same(shown: Sequence[object], expected: Sequence[object]) -> bool:
    """Cells equal to the figures: a blank cell where the figure has no value (0 ÷ 0)."""

    def number(value: object) -> float:
        return math.nan if value is None else float(value)  # type: ignore[arg-type]

    def no_value(value: float) -> bool:
        return math.isnan(value) or math.isinf(value)

    pairs = [(number(a), number(b)) for a, b in zip(shown, expected, strict=True)]
    return all((no_value(a) and no_value(b)) or a == pytest.approx(b) for a, b in pairs)


# --- the demo ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["ru", "en"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Words]:
    locale = request.param
    path = tmp_path_factory.mktemp(f"analytics-{locale}") / "demo.xlsx"
    create_demo(path, clients=300, seed=1, locale=locale, today=TODAY.date())
    refresh_workbook(path, today=TODAY.date(), save=SaveOptions(keep_backups=0))
    return path, WORDS[locale]


@pytest.fixture(scope="module")
def base(demo: tuple[Path, Words]) -> Base:
    return independent_base(*demo)


@pytest.fixture(scope="module")
def analytics(demo: tuple[Path, Words]) -> list[tuple[object, ...]]:
    path, words = demo
    return sheet_values(path, words.sheet)


def test_the_sheet_comes_after_the_dashboard(demo: tuple[Path, Words]) -> None:
    path, words = demo
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert names[names.index(words.sheet) - 1] in ("▸ Сводка", "▸ Dashboard")


def test_average_check_and_frequency_by_block(demo: tuple[Path, Words], base: Base, analytics: list) -> None:
    words = demo[1]
    shown = table(analytics, words.by_block)
    block = base.clients["block"].reindex(base.period["client"]).to_numpy()
    expected = check_figures(base.period, pd.Series(block, index=base.period.index))
    labels = list(shown.index[:-1])
    assert [int(label.split()[0]) for label in labels] == [8, 7, 6, 5, 4, 3, 2, 1]
    sizes = base.clients["block"].value_counts().reindex(labels, fill_value=0)
    expected = expected.reindex(labels).fillna({"orders": 0, "revenue": 0.0, "clients": 0})
    for label, row in shown.iloc[:-1].iterrows():
        assert row.iloc[0] == sizes[label], label
        assert same(row.iloc[1:].tolist(), list(expected.loc[label])), label
    total = check_figures(base.period, pd.Series("all", index=base.period.index)).iloc[0]
    assert shown.index[-1] == words.total
    assert same(shown.iloc[-1].tolist(), [len(base.clients), *total])
    assert total["orders"] > 100 and 0 < total["frequency"] and total["gap"] > 0  # the demo has something to show


def test_average_check_and_frequency_by_manager(demo: tuple[Path, Words], base: Base, analytics: list) -> None:
    words = demo[1]
    shown = table(analytics, words.by_manager)
    sales = base.period
    acting = sales["manager"].fillna(base.clients["manager"].reindex(sales["client"]).set_axis(sales.index))
    expected = check_figures(sales, acting.fillna(words.no_manager))
    assert set(shown.index[:-1]) == set(expected.index) and len(expected) >= 2
    for label, row in shown.iloc[:-1].iterrows():
        assert same(row.tolist(), list(expected.loc[label])), label
    total = check_figures(sales, pd.Series("all", index=sales.index)).iloc[0]
    assert shown.index[-1] == words.total and same(shown.iloc[-1].tolist(), list(total))


def test_sources_conversion_and_revenue(demo: tuple[Path, Words], base: Base, analytics: list) -> None:
    words = demo[1]
    shown = table(analytics, words.by_source)
    clients, counted = base.clients, base.counted
    first_order = counted[counted["order"]].groupby("client")["date"].min().reindex(clients.index)
    orders = counted[counted["order"]].groupby("client").size().reindex(clients.index, fill_value=0)
    revenue = counted.groupby("client")["amount"].sum().reindex(clients.index, fill_value=0.0)
    period = base.period.groupby("client")["amount"].sum().reindex(clients.index, fill_value=0.0)
    new = (clients["created"] >= PERIOD_START) & (clients["created"] <= TODAY)
    by = clients["source"]
    expected = pd.DataFrame(
        {
            "clients": by.value_counts(),
            "new": new.groupby(by).sum(),
            "converted": first_order.notna().groupby(by).sum(),
            "orders": orders.groupby(by).sum(),
            "revenue": revenue.groupby(by).sum(),
            "period": period.groupby(by).sum(),
        }
    )
    expected.loc[words.total] = expected.sum()
    expected["conversion"] = expected["converted"] / expected["clients"]
    expected["per_client"] = expected["revenue"] / expected["clients"]
    expected["check"] = expected["revenue"] / expected["orders"]
    columns = ["clients", "new", "converted", "conversion", "orders", "revenue", "per_client", "check", "period"]
    assert set(shown.index) == set(expected.index) and shown.index[-1] == words.total
    for label, row in shown.iterrows():
        assert same(row.tolist(), list(expected.loc[label, columns])), label
    revenues = shown["Выручка за всё время" if words.total == "Итого" else "Revenue, all time"].iloc[:-1]
    assert list(revenues) == sorted(revenues, reverse=True)  # most revenue first
    conversions = expected["conversion"].drop(words.total)
    assert conversions.max() - conversions.min() > 0.1  # the demo's sources convert differently


def test_cohorts_by_month_of_creation(demo: tuple[Path, Words], base: Base, analytics: list) -> None:
    words = demo[1]
    shown = table(analytics, words.cohorts)
    clients, counted = base.clients, base.counted
    first_order = counted[counted["order"]].groupby("client")["date"].min().reindex(clients.index)
    revenue = counted.groupby("client")["amount"].sum().reindex(clients.index, fill_value=0.0)
    created = clients["created"]
    dated = created.notna() & (created <= TODAY)
    months = pd.period_range(PERIOD_START, TODAY, freq="M")
    cohort = created[dated].dt.to_period("M").map(lambda month: month if month in months else "before")
    days = (first_order - created)[dated].dt.days
    rows = []
    for key in ["before", *months]:
        members = cohort.index[cohort == key]
        count, converted = len(members), int(first_order[members].notna().sum())
        rows.append(
            [
                count,
                converted,
                converted / count if count else None,
                int((days[members] <= 30).sum()),
                int((days[members] <= 90).sum()),
                revenue[members].sum(),
                revenue[members].sum() / count if count else None,
            ]
        )
    assert len(shown) == len(rows) + 1
    assert str(shown.index[0]).endswith("2025-12") and str(shown.index[-2]).startswith("2026-11")
    for (label, row), figures in zip(shown.iterrows(), rows):
        assert same(row.tolist(), figures), label
    assert shown.iloc[-1].iloc[0] == int((~dated).sum())  # the clients left out, counted
    assert sum(row[0] for row in rows) + int((~dated).sum()) == len(clients)


def test_top_cities(demo: tuple[Path, Words], base: Base, analytics: list) -> None:
    words = demo[1]
    shown = table(analytics, words.cities)
    sales = base.period
    city = base.clients["city"].reindex(sales["client"]).to_numpy()
    expected = pd.DataFrame(
        {
            "clients": base.clients["city"].value_counts(),
            "ordering": sales["client"].where(sales["order"]).groupby(city).nunique(),
            "revenue": sales["amount"].groupby(city).sum(),
        }
    ).fillna(0)
    expected = expected.sort_values(["revenue", "clients"], ascending=False)
    total = expected["revenue"].sum()
    assert len(expected) > 15, "the demo has more than 15 cities"
    top = expected.iloc[:15]
    assert list(shown.index[:15]) == list(top.index)
    for label, row in top.iterrows():
        assert same(shown.loc[label].tolist(), [*row, row["revenue"] / total]), label
    rest = expected.iloc[15:].sum()
    assert str(shown.index[15]).endswith(f"({len(expected) - 15})")
    assert same(shown.iloc[15].tolist(), [*rest, rest["revenue"] / total])
    assert shown.index[16] == words.total and same(shown.iloc[16].tolist(), [*expected.sum(), 1.0])


def test_each_table_says_how_its_figures_are_worked_out(demo: tuple[Path, Words], analytics: list) -> None:
    words = demo[1]
    for heading in (words.by_block, words.by_manager, words.by_source, words.cohorts, words.cities):
        below = analytics[next(i for i, row in enumerate(analytics) if row[0] == heading) + 1]
        assert isinstance(below[0], str) and len(below[0]) > 30 and below[1] is None, heading


def test_two_native_charts_of_the_sources(demo: tuple[Path, Words]) -> None:
    path, words = demo
    book = openpyxl.load_workbook(path)
    charts = book[words.sheet]._charts
    assert len(charts) == 2


def test_the_russian_sheet_has_no_english_words(tmp_path: Path, demo: tuple[Path, Words], analytics: list) -> None:
    if demo[1] is not WORDS["ru"]:
        pytest.skip("Russian only")
    found = {value: english_left(value) for row in analytics for value in row}
    assert not {value: words for value, words in found.items() if words}


def test_the_abc_list_shows_each_clients_rating(demo: tuple[Path, Words], base: Base) -> None:
    path, words = demo
    ranking = table(sheet_values(path, words.abc), words.abc_ranking)
    ranking = ranking.set_index(ranking.columns[0])  # by ClientID (the first column is the rank)
    shown = pd.to_numeric(ranking[words.rating], errors="coerce")
    assert shown.notna().sum() > 10 and shown.isna().sum() > 0
    pd.testing.assert_series_equal(
        shown, base.clients["rating"].reindex(shown.index).astype(float), check_names=False, check_index_type=False
    )


# --- an empty workbook ----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_an_empty_workbook_gets_the_sheet_with_zero_totals(tmp_path: Path, locale: str) -> None:
    path = tmp_path / "clients.xlsx"
    template.build_workbook(locale).save(path)
    words = WORDS[locale]
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23"])
    assert result.exit_code == 0 and words.sheet in result.output, result.output
    rows = sheet_values(path, words.sheet)
    blocks = table(rows, words.by_block)
    assert len(blocks) == len(schema.BLOCKS) + 1 and blocks.iloc[:, :3].sum().sum() == 0
    managers = table(rows, words.by_manager)  # no orders: no manager to show, a Total of nothing
    assert list(managers.index) == [words.total] and managers.iloc[0].tolist()[:3] == [0, 0, 0]
    sources = table(rows, words.by_source)
    assert list(sources.index) == [words.total] and sources.iloc[0].tolist()[:2] == [0, 0]
    assert len(table(rows, words.cohorts)) == 12 + 2  # before, the twelve months, left out
    assert list(table(rows, words.cities).index) == [words.total]
    assert not openpyxl.load_workbook(path)[words.sheet]._charts  # no sources to chart


# --- the Rating breaks ties on the agenda ------------------------------------------------------------------


def test_of_two_clients_alike_but_for_rating_the_higher_rated_comes_first(tmp_path: Path) -> None:
    today = dt.date(2027, 2, 20)
    created = today - dt.timedelta(days=20)  # leads never contacted: a first contact is due
    ratings = {"C00": None, "C01": 2, "C02": 5}
    clients = [
        {"client_id": client_id, "name": "Person", "company": "Company", "phone": "+7 916 123-45-67",
         "manager": "Anna", "created": created, "rating": rating}
        for client_id, rating in ratings.items()
    ]  # fmt: skip
    path = write_records(
        tmp_path / "rating.xlsx",
        "en",
        {
            schema.CLIENTS.key: clients,
            schema.INTERACTIONS.key: [],
            schema.SETTINGS.key: settings_records("en", {"managers": ["Anna"]}),
        },
    )
    analysis = analyse(read_workbook(path), today)
    items = build_agenda(analysis.frames, analysis.lifecycle).items
    assert items["tasks"].tolist() == [("first_contact",)] * 3
    assert items["client_id"].tolist() == ["C02", "C01", "C00"]  # rated highest first, no rating last
