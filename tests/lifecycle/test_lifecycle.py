"""Lifecycle blocks: every rule of DESIGN.md's table and its boundaries, on real workbooks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.builders import Records, settings_records, write_records
from xlcrm import schema
from xlcrm.checks.settings import read_settings
from xlcrm.lifecycle.blocks import Lifecycle, compute_lifecycle
from xlcrm.lifecycle.frames import build_frames
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
LOCALE = "en"


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def word(value: schema.ListValue) -> str:
    return value.name(LOCALE)


# Each case: designation, interactions as (days ago, type), the block expected, review, reactivate.
CASES: dict[str, tuple[schema.ListValue | None, list[tuple[int, schema.ListValue]], int, bool, bool]] = {
    "key_quiet": (schema.KEY_ACCOUNT, [(800, schema.ORDER)], 8, True, False),
    "vip_quiet": (schema.VIP, [(400, schema.ORDER), (366, schema.CALL_OUT)], 7, True, False),
    "vip_busy": (schema.VIP, [(10, schema.ORDER)], 7, False, False),
    "vip_no_log": (schema.VIP, [], 7, True, False),  # never contacted: to review at once
    "lost_partner": (schema.LOST, [(d, schema.ORDER) for d in range(5, 16)], 1, False, False),
    "partner_10": (None, [(d, schema.ORDER) for d in range(10, 20)], 6, False, False),
    "regular_9": (None, [(d, schema.ORDER) for d in range(10, 19)], 5, False, False),
    "regular_3": (None, [(30, schema.ORDER), (20, schema.ORDER), (10, schema.ORDER)], 5, False, False),
    "working_2": (None, [(30, schema.ORDER), (20, schema.ORDER)], 4, False, False),
    "working_1": (None, [(30, schema.ORDER)], 4, False, False),
    "agreement_and_order": (None, [(30, schema.AGREEMENT), (20, schema.ORDER)], 4, False, False),
    "agreement_only": (None, [(30, schema.CALL_IN), (20, schema.AGREEMENT)], 3, False, False),
    "calls_only": (None, [(30, schema.CALL_IN), (20, schema.MEETING)], 2, False, False),
    "nothing_logged": (None, [], 2, False, False),
    "silent_364": (None, [(400, schema.ORDER)] * 3 + [(364, schema.LETTER)], 5, False, False),
    "silent_365": (None, [(400, schema.ORDER)] * 3 + [(365, schema.LETTER)], 1, False, True),
    "silent_366": (None, [(400, schema.ORDER)] * 3 + [(366, schema.LETTER)], 1, False, True),
    "one_order_364": (None, [(364, schema.ORDER)], 4, False, False),
    "one_order_365": (None, [(365, schema.ORDER)], 1, False, True),
    # A prospect who never ordered is never Dead by silence: Active or Potential, however long silent.
    "agreement_366": (None, [(366, schema.AGREEMENT)], 3, False, False),
    "prospect_400": (None, [(400, schema.CALL_IN)], 2, False, False),
    "lost_prospect": (schema.LOST, [(10, schema.CALL_IN)], 1, False, False),
    "future_order_ignored": (None, [(30, schema.ORDER), (20, schema.ORDER), (-5, schema.ORDER)], 4, False, False),
    "future_orders_only": (None, [(-5, schema.ORDER), (-6, schema.ORDER)], 2, False, False),
}


def case_records(cases: dict = CASES, settings: dict[str, object] | None = None) -> Records:
    clients, interactions = [], []
    for client_id, (designation, log, _, _, _) in cases.items():
        clients.append(
            {
                "client_id": client_id,
                "name": client_id,
                "company": "Co " + client_id,
                "phone": "+7 916 123-45-67",
                "manager": "Anna",
                "designation": word(designation) if designation else None,
                "created": ago(900),
            }
        )
        for days, kind in log:
            interactions.append(
                {
                    "date": ago(days),
                    "client_id": client_id,
                    "type": word(kind),
                    "amount": 1000 if kind is schema.ORDER else None,
                    "manager": "Anna",
                }
            )
    return {
        schema.CLIENTS.key: clients,
        schema.INTERACTIONS.key: interactions,
        schema.SETTINGS.key: settings_records(LOCALE, {"managers": ["Anna"]}, settings),
    }


def lifecycle_of(path: Path, today: dt.date = TODAY) -> Lifecycle:
    data = read_workbook(path)
    settings, findings = read_settings(data)
    assert not findings
    return compute_lifecycle(build_frames(data), settings, today)


@pytest.fixture(scope="module")
def cases_lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Lifecycle:
    path = write_records(tmp_path_factory.mktemp("lifecycle") / "cases.xlsx", LOCALE, case_records())
    return lifecycle_of(path)


@pytest.mark.parametrize("client_id", list(CASES))
def test_block_rules(cases_lifecycle: Lifecycle, client_id: str) -> None:
    _, _, block, review, reactivate = CASES[client_id]
    row = cases_lifecycle.clients.loc[client_id]
    assert (row["block"], row["review"], row["dead_kind"] == "revive") == (block, review, reactivate)


def test_figures_behind_the_block(cases_lifecycle: Lifecycle) -> None:
    clients = cases_lifecycle.clients
    regular = clients.loc["regular_3"]
    assert (regular["orders"], regular["revenue"]) == (3, 3000.0)
    assert regular["first_order"] == pd.Timestamp(ago(30))
    assert regular["last_order"] == regular["last_contact"] == pd.Timestamp(ago(10))
    assert regular["rhythm_days"] == 10.0
    assert regular["rhythm_due"] == pd.Timestamp(TODAY)
    assert (regular["follow_up"], regular["follow_up_due"]) == ("reorder", pd.Timestamp(TODAY))  # due today
    future = clients.loc["future_order_ignored"]
    assert (future["orders"], future["last_order"]) == (2, pd.Timestamp(ago(20)))
    assert pd.isna(clients.loc["nothing_logged", "last_contact"])
    assert clients.loc["silent_366", "days_silent"] == 366
    assert clients.loc["agreement_only", "agreements"] == 1


def test_thresholds_come_from_settings(tmp_path: Path) -> None:
    settings = {"partner_orders": 3, "regular_orders": 2, "dead_after_days": 100}
    path = write_records(tmp_path / "strict.xlsx", LOCALE, case_records(settings=settings))
    clients = lifecycle_of(path).clients
    assert clients.loc["regular_3", "block"] == schema.PARTNER.number
    assert clients.loc["working_2", "block"] == schema.REGULAR.number
    assert clients.loc["working_1", "block"] == schema.WORKING.number
    assert clients.loc["silent_364", "block"] == schema.DEAD.number
    assert clients.loc["vip_quiet", "review"]


def test_next_contact_is_the_earliest_open_plan(tmp_path: Path) -> None:
    records = case_records({"c1": (None, [], 2, False, False)})
    records[schema.INTERACTIONS.key] = [
        {"date": ago(40), "client_id": "c1", "type": word(schema.CALL_OUT), "next_date": ago(30)},
        {"date": ago(30), "client_id": "c1", "type": word(schema.MEETING), "next_date": ago(3)},
        # Still open: the meeting of 30 days ago came long before this plan's date.
        {"date": ago(50), "client_id": "c1", "type": word(schema.LETTER), "next_date": TODAY + dt.timedelta(days=9)},
    ]
    path = write_records(tmp_path / "plans.xlsx", LOCALE, records)
    lifecycle = lifecycle_of(path)
    assert lifecycle.clients.loc["c1", "next_contact"] == pd.Timestamp(ago(3))
    assert lifecycle.plans["due"].tolist() == [pd.Timestamp(ago(3)), pd.Timestamp(TODAY + dt.timedelta(days=9))]


def test_each_client_gets_its_own_plan_and_rhythm_among_interleaved_rows(tmp_path: Path) -> None:
    """Clients' rows mixed in the log: figures are grouped by client whatever the order of the rows."""
    records = case_records({"c1": (None, [], 2, False, False), "c2": (None, [], 2, False, False)})
    call = word(schema.CALL_OUT)
    records[schema.INTERACTIONS.key] = [
        {"date": ago(5), "client_id": "c2", "type": call, "next_date": ago(-4), "next_action": "c2 first"},
        {"date": ago(5), "client_id": "c1", "type": call, "next_date": ago(-7), "next_action": "c1 later date"},
        {"date": ago(5), "client_id": "c2", "type": call, "next_date": ago(-4), "next_action": "c2 last in the log"},
        {"date": ago(5), "client_id": "c1", "type": call, "next_date": ago(-2), "next_action": "c1 earlier date"},
        {"date": ago(5), "client_id": "nobody", "type": call, "next_date": ago(-1), "next_action": "unknown"},
        *(
            {"date": ago(days), "client_id": client, "type": word(schema.ORDER), "amount": 10}
            for days, client in [(60, "c1"), (40, "c2"), (50, "c1"), (10, "c2"), (30, "c1"), (70, "c2")]
        ),
    ]
    path = write_records(tmp_path / "mixed.xlsx", LOCALE, records)
    clients = lifecycle_of(path).clients
    # The earliest open plan; of two due the same day, the first in the log.
    assert clients.loc["c1", "next_contact"] == pd.Timestamp(ago(-2))
    assert clients.loc["c1", "next_action"] == "c1 earlier date"
    assert clients.loc["c2", "next_action"] == "c2 first"
    assert (clients.loc["c1", "rhythm_days"], clients.loc["c2", "rhythm_days"]) == (15.0, 30.0)  # gaps 10, 20; 30, 30
    assert (clients.loc["c1", "orders"], clients.loc["c2", "revenue"]) == (3, 30.0)
    assert "nobody" not in clients.index


def test_russian_workbook_and_text_values(tmp_path: Path) -> None:
    """Types and designations typed in Russian, dates typed as text, IDs typed as numbers: same blocks."""
    records = {
        schema.CLIENTS.key: [
            {
                "client_id": 101,
                "name": "Иван",
                "company": "ООО Ромашка",
                "phone": "89161234567",
                "manager": "Анна",
                "designation": " потерян ",
            },
            {
                "client_id": "102",
                "name": "Олег",
                "company": "АО Вектор",
                "phone": "89161234568",
                "manager": "Анна",
                "designation": None,
            },
        ],
        schema.INTERACTIONS.key: [
            {"date": f"{ago(d):%d.%m.%Y}", "client_id": 102, "type": "заказ", "amount": "12 500,50 руб."}
            for d in (90, 60, 30)
        ],
    }
    path = write_records(tmp_path / "ru.xlsx", "ru", records)
    data = read_workbook(path)
    settings, _ = read_settings(data)
    clients = compute_lifecycle(build_frames(data), settings, TODAY).clients
    assert clients.loc["101", "block"] == schema.DEAD.number
    assert clients.loc["101", "dead_kind"] == "lost"
    assert (clients.loc["102", "block"], clients.loc["102", "revenue"]) == (schema.REGULAR.number, 37501.5)
    assert clients.loc["102", "rhythm_days"] == 30


# dead_kind and cold of the cases: Lost is Dead "lost", a former client silent a year Dead "revive", a prospect
# silent a year (or never contacted and in the base a year) stays where it is, "cold".
DEAD_AND_COLD = {
    "lost_partner": ("lost", False),
    "lost_prospect": ("lost", False),
    "silent_365": ("revive", False),
    "one_order_365": ("revive", False),
    "one_order_364": (None, False),
    "agreement_366": (None, True),
    "prospect_400": (None, True),
    "nothing_logged": (None, True),  # created 900 days ago, never contacted
    "calls_only": (None, False),
    "vip_quiet": (None, False),
}


@pytest.mark.parametrize("client_id", list(DEAD_AND_COLD))
def test_dead_kind_and_cold(cases_lifecycle: Lifecycle, client_id: str) -> None:
    row = cases_lifecycle.clients.loc[client_id]
    dead_kind, cold = DEAD_AND_COLD[client_id]
    assert (None if pd.isna(row["dead_kind"]) else row["dead_kind"], bool(row["cold"])) == (dead_kind, cold)


def test_never_contacted_prospect_is_cold_from_dead_after_days_in_the_base(tmp_path: Path) -> None:
    cases = {"new_364": (None, [], 2, False, False), "old_365": (None, [], 2, False, False)}
    records = case_records(cases)
    records[schema.CLIENTS.key][0]["created"] = ago(364)
    records[schema.CLIENTS.key][1]["created"] = ago(365)
    clients = lifecycle_of(write_records(tmp_path / "cold.xlsx", LOCALE, records)).clients
    assert (bool(clients.loc["new_364", "cold"]), bool(clients.loc["old_365", "cold"])) == (False, True)
    assert (clients["block"] == schema.POTENTIAL.number).all()


def test_lost_client_keeps_its_reason(tmp_path: Path) -> None:
    cases = {
        "lost": (schema.LOST, [(30, schema.ORDER)], 1, False, False),
        "lost_no_reason": (schema.LOST, [], 1, False, False),
        "kept": (None, [(30, schema.ORDER)], 4, False, False),
    }
    records = case_records(cases)
    reason = schema.DEFAULT_LOST_REASONS[0].name(LOCALE)
    records[schema.CLIENTS.key][0]["lost_reason"] = reason
    records[schema.CLIENTS.key][2]["lost_reason"] = reason  # not Lost: the reason means nothing
    clients = lifecycle_of(write_records(tmp_path / "lost.xlsx", LOCALE, records)).clients
    assert (clients.loc["lost", "block"], clients.loc["lost", "dead_kind"]) == (schema.DEAD.number, "lost")
    assert clients.loc["lost", "lost_reason"] == reason
    assert pd.isna(clients.loc["lost_no_reason", "lost_reason"]) and pd.isna(clients.loc["kept", "lost_reason"])
    assert clients.loc["lost", "follow_up"] != "reactivate"
