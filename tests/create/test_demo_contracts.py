"""The demo's contracts and sources: business clients sign contracts with annexes, every contract rule has a planted
case relative to today, and the sources convert differently, as a pandas computation on the saved workbook shows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from xlcrm import schema
from xlcrm.checks.findings import Code
from xlcrm.create import demo_contracts as contracts
from xlcrm.create.demo import generate_demo
from xlcrm.jobs.demo import DemoResult, create_demo
from xlcrm.jobs.validate import validate_workbook

TODAY = dt.date(2026, 11, 23)
END_DAYS = int(schema.setting("contract_end_days").default)
ACTIVE, CLOSED, DRAFT = schema.CONTRACT_ACTIVE.ru, schema.CONTRACT_CLOSED.ru, schema.CONTRACT_DRAFT.ru
SOURCES = {source.key: source.ru for source in schema.DEFAULT_SOURCES}


def read_sheet(path: Path, sheet: schema.Sheet) -> pd.DataFrame:
    """A saved sheet with its columns named by their schema keys, dates as Timestamps."""
    frame = pd.read_excel(path, sheet_name=sheet.ru, engine="openpyxl")
    return frame.rename(columns={column.ru: column.key for column in schema.template_columns(sheet)})


@pytest.fixture(scope="module", params=[(300, 1), (120, 1)], ids=["300-clients", "the-example"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    clients, seed = request.param
    return create_demo(tmp_path_factory.mktemp("demo") / "demo.xlsx", clients=clients, seed=seed, today=TODAY)


@pytest.fixture(scope="module")
def sheets(demo: DemoResult) -> dict[str, pd.DataFrame]:
    return {spec.key: read_sheet(demo.path, spec) for spec in (schema.CLIENTS, schema.INTERACTIONS, schema.CONTRACTS)}


def days_left(row: pd.Series) -> int:
    return int((row["valid_until"] - pd.Timestamp(TODAY)).days)


# --- contracts and annexes ---------------------------------------------------------------------------


def test_business_clients_sign_contracts_with_annexes(demo: DemoResult, sheets: dict[str, pd.DataFrame]) -> None:
    signed, clients = sheets[schema.CONTRACTS.key], sheets[schema.CLIENTS.key]
    assert len(signed) == demo.contracts >= 20
    assert signed["contract_id"].is_unique
    assert set(signed["status"]) == {ACTIVE, CLOSED, DRAFT}
    companies = dict(zip(clients["client_id"], clients["company"]))
    unknown = next(c.client_id for c in demo.planted_contracts if c.case == contracts.CONTRACT_UNKNOWN_CLIENT)
    known = signed[signed["client_id"] != unknown]
    assert known["client_id"].map(companies).notna().all()  # only clients with a company sign contracts
    annexes = signed[signed["parent_id"].notna()]
    orphan = next(c.contract_id for c in demo.planted_contracts if c.case == contracts.ANNEX_WITHOUT_CONTRACT)
    pointing = annexes[annexes["contract_id"] != orphan]
    assert len(pointing) >= 1
    assert pointing["parent_id"].isin(signed["contract_id"]).all()
    assert pointing["subject"].str.startswith("Доп. соглашение №").all()
    # An annex is the client's own contract's, signed after it.
    parents = signed.set_index("contract_id")
    for _, annex in pointing.iterrows():
        parent = parents.loc[annex["parent_id"]]
        assert parent["client_id"] == annex["client_id"] and parent["date"] <= annex["date"]
    # Partner and Key clients nearly all have contracts; most other clients have none.
    with_contracts = set(known["client_id"])
    designated = clients[clients["designation"] == schema.KEY_ACCOUNT.ru]
    assert set(designated["client_id"]) - with_contracts <= {c.client_id for c in demo.planted_cases}
    assert len(with_contracts) < len(clients) / 2


def test_every_contract_case_is_planted_relative_to_today(demo: DemoResult, sheets: dict[str, pd.DataFrame]) -> None:
    signed = sheets[schema.CONTRACTS.key].set_index("contract_id")
    clients = sheets[schema.CLIENTS.key].drop_duplicates("client_id").set_index("client_id")
    cases: dict[str, list[contracts.PlantedContract]] = {}
    for case in demo.planted_contracts:
        cases.setdefault(case.case, []).append(case)
    assert set(cases) == set(contracts.CONTRACT_CASES)
    for case in demo.planted_contracts:
        row = signed.loc[case.contract_id]
        assert row["client_id"] == case.client_id
        number = int(case.cell.split("!")[1].lstrip("ABCDEFGHIJK"))
        assert sheets[schema.CONTRACTS.key].iloc[number - 2]["contract_id"] == case.contract_id, case
        if case.case != contracts.CONTRACT_UNKNOWN_CLIENT:
            assert clients.loc[case.client_id, "manager"] == case.manager

    soon = cases[contracts.CONTRACT_ENDS_SOON]
    managers = set(sheets[schema.CLIENTS.key]["manager"].dropna())
    assert {case.manager for case in soon} == managers and len(soon) == len(managers)  # one for each manager
    for case in soon:
        row = signed.loc[case.contract_id]
        assert row["status"] == ACTIVE and 0 < days_left(row) < END_DAYS
        assert case.due == row["valid_until"].date()
    for name, left, due in (
        (contracts.CONTRACT_ENDS_AT_LIMIT, END_DAYS, True),
        (contracts.CONTRACT_ENDS_AFTER_LIMIT, END_DAYS + 1, False),
    ):
        (case,) = cases[name]
        row = signed.loc[case.contract_id]
        assert row["status"] == ACTIVE and days_left(row) == left
        assert case.due == (row["valid_until"].date() if due else None)
    (ended,) = cases[contracts.CONTRACT_ENDED_ACTIVE]
    assert signed.loc[ended.contract_id, "status"] == ACTIVE and -7 <= days_left(signed.loc[ended.contract_id]) < 0

    (extended,) = cases[contracts.ANNEX_EXTENDS_TERM]
    annex = signed.loc[extended.contract_id]
    parent = signed.loc[annex["parent_id"]]
    assert annex["status"] == parent["status"] == ACTIVE and annex["subject"].endswith("продление срока")
    assert 0 < days_left(parent) <= END_DAYS and days_left(annex) > 365 and extended.due is None

    for name, status in ((contracts.CONTRACT_CLOSED, CLOSED), (contracts.CONTRACT_DRAFT, DRAFT)):
        (case,) = cases[name]
        row = signed.loc[case.contract_id]
        assert row["status"] == status and 0 < days_left(row) <= END_DAYS and case.due is None


def test_planted_contract_mistakes(demo: DemoResult, sheets: dict[str, pd.DataFrame]) -> None:
    table = sheets[schema.CONTRACTS.key]
    signed = table.set_index("contract_id")
    (orphan,) = (c for c in demo.planted_contracts if c.case == contracts.ANNEX_WITHOUT_CONTRACT)
    assert signed.loc[orphan.contract_id, "parent_id"] not in set(table["contract_id"])
    (reversed_,) = (c for c in demo.planted_contracts if c.case == contracts.CONTRACT_DATES_REVERSED)
    row = signed.loc[reversed_.contract_id]
    assert row["valid_from"] > row["valid_until"]
    (overlap,) = (c for c in demo.planted_contracts if c.case == contracts.OVERLAPPING_CONTRACTS)
    second = signed.loc[overlap.contract_id]
    same = table[
        (table["client_id"] == second["client_id"])
        & (table["subject"] == second["subject"])
        & (table["status"] == ACTIVE)
        & (table["contract_id"] != overlap.contract_id)
    ]
    assert len(same) == 1
    first = same.iloc[0]
    assert first["valid_from"] < second["valid_from"] <= first["valid_until"]
    (unknown,) = (c for c in demo.planted_contracts if c.case == contracts.CONTRACT_UNKNOWN_CLIENT)
    assert unknown.client_id not in set(sheets[schema.CLIENTS.key]["client_id"])
    # Each is a planted mistake too, at the cell validation reports it.
    planted = {(m.code, m.cell) for m in demo.planted_mistakes}
    for case, code in (
        (orphan, Code.UNKNOWN_PARENT_CONTRACT),
        (reversed_, Code.TERM_ENDS_BEFORE_START),
        (overlap, Code.OVERLAPPING_CONTRACTS),
        (unknown, Code.UNKNOWN_CLIENT),
    ):
        assert (code, case.cell) in planted
    report = validate_workbook(demo.path, TODAY)
    found = {(f.code, f.cell) for f in report.findings if f.sheet == schema.CONTRACTS.ru}
    assert found == {(m.code, m.cell) for m in demo.planted_mistakes if m.cell.startswith(schema.CONTRACTS.ru)}


def test_only_planted_active_contracts_end_within_the_reminder_window(
    demo: DemoResult, sheets: dict[str, pd.DataFrame]
) -> None:
    table = sheets[schema.CONTRACTS.key]
    active = table[table["status"] == ACTIVE]
    near = active[active["valid_until"] <= pd.Timestamp(TODAY + dt.timedelta(days=END_DAYS + 1))]
    planted = {case.contract_id for case in demo.planted_contracts}
    extended = next(c for c in demo.planted_contracts if c.case == contracts.ANNEX_EXTENDS_TERM)
    planted.add(table.set_index("contract_id").loc[extended.contract_id, "parent_id"])
    assert set(near["contract_id"]) <= planted


# --- sources ---------------------------------------------------------------------------------------------


def test_sources_convert_and_earn_differently(sheets: dict[str, pd.DataFrame]) -> None:
    """Conversion (Potential -> first order) and revenue per Source, computed independently with pandas."""
    clients, log = sheets[schema.CLIENTS.key], sheets[schema.INTERACTIONS.key]
    orders = log[log["type"] == schema.ORDER.ru]
    revenue = pd.to_numeric(orders["amount"], errors="coerce").groupby(orders["client_id"]).sum()
    clients = clients[clients["client_id"].notna()].drop_duplicates("client_id")
    by_source = pd.DataFrame(
        {
            "source": clients["source"],
            "ordered": clients["client_id"].isin(set(orders["client_id"])),
            "revenue": clients["client_id"].map(revenue).fillna(0),
        }
    ).groupby("source")
    conversion, earned, size = by_source["ordered"].mean(), by_source["revenue"].sum(), by_source.size()
    assert set(conversion.index) == {source.ru for source in schema.DEFAULT_SOURCES}
    counted = conversion[size >= 5]
    assert counted.max() >= 2 * counted.min()
    referral, cold_call, advert = SOURCES["referral"], SOURCES["cold_call"], SOURCES["advert"]
    assert conversion.idxmax() == referral
    assert conversion[cold_call] <= conversion[referral] / 2 and conversion[advert] <= conversion[referral] / 2
    assert earned.idxmax() == referral and earned[referral] >= 5 * earned[cold_call]


def test_cities_and_ratings_are_realistic(sheets: dict[str, pd.DataFrame]) -> None:
    clients = sheets[schema.CLIENTS.key]
    cities = clients["city"].value_counts(normalize=True)
    assert cities.index[0] == "Москва" and cities.iloc[0] > 0.25 and cities.iloc[:3].sum() > 0.5
    ratings = clients["rating"].dropna()
    assert set(ratings) <= {1, 2, 3, 4, 5} and 0.2 < len(ratings) / len(clients) < 0.9


# --- determinism and size ------------------------------------------------------------------------------


def test_contracts_are_the_same_for_the_same_seed_and_differ_for_another() -> None:
    first = generate_demo(150, 4, "en", TODAY)
    assert first.rows["contracts"] == generate_demo(150, 4, "en", TODAY).rows["contracts"]
    assert first.planted_contracts == generate_demo(150, 4, "en", TODAY).planted_contracts
    assert first.rows["contracts"] != generate_demo(150, 5, "en", TODAY).rows["contracts"]
    russian = generate_demo(150, 4, "ru", TODAY)
    assert [c.case for c in russian.planted_contracts] == [c.case for c in first.planted_contracts]
    assert all(str(row["contract_id"]).startswith("C-") for row in first.rows["contracts"])
    assert all(str(row["contract_id"]).startswith("Д-") for row in russian.rows["contracts"])


def test_a_small_demo_plants_what_fits() -> None:
    small = generate_demo(10, 5, "ru", TODAY)
    planted = [case.case for case in small.planted_contracts]
    assert contracts.CONTRACT_UNKNOWN_CLIENT in planted
    assert len({c.contract_id for c in small.planted_contracts}) == len(planted)
