"""Open plans: every Next date and every future-dated row, closed only by a contact in the plan's window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.builders import write_records
from tests.lifecycle.test_lifecycle import LOCALE, TODAY, ago, case_records, lifecycle_of, word
from xlcrm import schema
from xlcrm.jobs.agenda import workbook_agenda
from xlcrm.lifecycle.blocks import Lifecycle

CALL = schema.CALL_OUT
# Each client: its log as (days ago or None for undated, type, Next date as days ago or None, Next action).
LOGS: dict[str, list[tuple[int | None, schema.ListValue, int | None, str | None]]] = {
    # A plan made 20 days ago for 5 days ago...
    "done_on_the_day": [(20, CALL, 5, "call back"), (5, CALL, None, None)],
    "done_3_days_early": [(20, CALL, 5, "call back"), (8, CALL, None, None)],
    "call_a_week_early": [(20, CALL, 5, "call back"), (12, CALL, None, None)],
    "call_4_days_early": [(20, CALL, 5, "call back"), (9, CALL, None, None)],
    "done_late": [(20, CALL, 5, "call back"), (1, schema.ORDER, None, None)],
    # A second row on the planning day is not "after" it.
    "same_day_row": [(20, CALL, 19, "call back"), (20, schema.LETTER, None, None)],
    # Planned for later than the contact that followed: that contact was about something else.
    "unrelated_contact": [(50, CALL, -9, "visit"), (30, schema.MEETING, None, None)],
    # A future-dated row is booked: a plan due on its date, and neither a contact nor an order yet.
    "booked_meeting": [(40, CALL, None, None), (-5, schema.MEETING, None, None)],
    "booked_order": [(-6, schema.ORDER, None, None)],
    # An undated row's plan is closed by any contact from three days before its date.
    "undated_closed": [(None, CALL, 10, "undated plan"), (13, CALL, None, None)],
    "undated_open": [(None, CALL, 10, "undated plan"), (14, CALL, None, None)],
    "no_plan": [(10, CALL, None, "a Next action without a Next date plans nothing")],
}


def records() -> dict[str, list[dict[str, object]]]:
    result = case_records({client: (None, [], 2, False, False) for client in LOGS})
    result[schema.INTERACTIONS.key] = [
        {
            "date": None if days is None else ago(days),
            "client_id": client,
            "type": word(kind),
            "amount": 100 if kind is schema.ORDER else None,
            "next_date": None if next_days is None else ago(next_days),
            "next_action": action,
        }
        for client, log in LOGS.items()
        for days, kind, next_days, action in log
    ] + [{"date": ago(3), "client_id": "nobody", "type": word(CALL), "next_date": ago(1)}]
    return result


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Lifecycle:
    path = write_records(tmp_path_factory.mktemp("plans") / "plans.xlsx", LOCALE, records())
    return lifecycle_of(path)


OPEN = {
    "done_on_the_day": [],
    "done_3_days_early": [],
    "call_a_week_early": [(5, "next_date", "call back")],
    "call_4_days_early": [(5, "next_date", "call back")],
    "done_late": [],
    "same_day_row": [(19, "next_date", "call back")],
    "unrelated_contact": [(-9, "next_date", "visit")],
    "booked_meeting": [(-5, "booked", None)],
    "booked_order": [(-6, "booked", None)],
    "undated_closed": [],
    "undated_open": [(10, "next_date", "undated plan")],
    "no_plan": [],
}


@pytest.mark.parametrize("client", list(OPEN))
def test_open_plans(lifecycle: Lifecycle, client: str) -> None:
    plans = lifecycle.plans[lifecycle.plans["client_id"] == client]
    found = [
        (pd.Timestamp(due), kind, action) for due, kind, action in zip(plans["due"], plans["kind"], plans["action"])
    ]
    assert found == [(pd.Timestamp(ago(days)), kind, action) for days, kind, action in OPEN[client]]
    row = lifecycle.clients.loc[client]
    expected = OPEN[client]
    if expected:
        assert row["next_contact"] == pd.Timestamp(ago(expected[0][0]))
        assert (None if pd.isna(row["next_action"]) else row["next_action"]) == expected[0][2]
    else:
        assert pd.isna(row["next_contact"]) and pd.isna(row["next_action"])


def test_plans_of_unknown_clients_are_left_out(lifecycle: Lifecycle) -> None:
    assert set(lifecycle.plans["client_id"]) <= set(LOGS)
    assert lifecycle.plans["due"].is_monotonic_increasing


def test_plan_rows_point_at_interactions(lifecycle: Lifecycle) -> None:
    """``row`` is the Excel row of the planning interaction (the header is row 1)."""
    flat = [(client, entry) for client, log in LOGS.items() for entry in log]
    plans = lifecycle.plans.set_index("client_id")
    assert plans.loc["unrelated_contact", "row"] == 2 + flat.index(("unrelated_contact", LOGS["unrelated_contact"][0]))


def test_booked_rows_are_not_contacts_or_orders(lifecycle: Lifecycle) -> None:
    clients = lifecycle.clients
    meeting, order = clients.loc["booked_meeting"], clients.loc["booked_order"]
    assert meeting["last_contact"] == pd.Timestamp(ago(40))
    assert (order["orders"], order["revenue"], order["block"]) == (0, 0.0, schema.POTENTIAL.number)
    assert pd.isna(order["last_contact"])


def test_a_plan_is_open_until_its_contact_and_closed_after(tmp_path: Path) -> None:
    """The same log a day before and on the day of the call that closes the plan."""
    path = write_records(tmp_path / "plans.xlsx", LOCALE, records())
    before = lifecycle_of(path, today=TODAY - dt.timedelta(days=6))  # the call of 5 days ago not made yet
    assert "done_on_the_day" in set(before.plans["client_id"])
    assert "done_on_the_day" not in set(lifecycle_of(path).plans["client_id"])


def test_plan_early_days_from_settings(tmp_path: Path) -> None:
    result = records()
    result[schema.SETTINGS.key] = case_records({}, settings={"plan_early_days": 8})[schema.SETTINGS.key]
    plans = lifecycle_of(write_records(tmp_path / "early.xlsx", LOCALE, result)).plans
    assert "call_a_week_early" not in set(plans["client_id"])  # 7 days early is within 8


BOOKED_DAY = dt.date(2026, 11, 30)


def _booked_workbook(tmp_path: Path, result: str | None) -> Path:
    """A meeting booked for 30.11 (written on 20.11), with ``result`` in its Result."""
    records = case_records({"booked": (None, [], 2, False, False)})
    records[schema.INTERACTIONS.key] = [
        {"date": dt.date(2026, 11, 20), "client_id": "booked", "type": word(CALL), "result": "agreed to meet"},
        {"date": BOOKED_DAY, "client_id": "booked", "type": word(schema.MEETING), "result": result},
    ]
    return write_records(tmp_path / "booked.xlsx", LOCALE, records)


def _agenda_of(path: Path, today: dt.date) -> list[tuple[str, str, dt.date]]:
    rows = workbook_agenda(path, today=today).agenda.items
    return [(row["client_id"], row["part"], row["due"].date()) for _, row in rows.iterrows() if "plan" in row["tasks"]]


def test_a_booked_meeting_is_a_plan_on_its_own_day_until_its_result_is_typed(tmp_path: Path) -> None:
    path = _booked_workbook(tmp_path, None)
    day_before, on_the_day, day_after = (BOOKED_DAY + dt.timedelta(days=shift) for shift in (-1, 0, 1))
    assert _agenda_of(path, day_before) == [("booked", "upcoming", BOOKED_DAY)]
    assert _agenda_of(path, on_the_day) == [("booked", "now", BOOKED_DAY)]
    plans = lifecycle_of(path, today=on_the_day).plans
    assert plans[["client_id", "kind"]].values.tolist() == [["booked", "booked"]]
    # It counts as a contact all the same: the lifecycle is the same as for a done meeting.
    assert lifecycle_of(path, today=on_the_day).clients.loc["booked", "last_contact"] == pd.Timestamp(BOOKED_DAY)
    assert _agenda_of(path, day_after) == []
    assert lifecycle_of(path, today=day_after).plans.empty


def test_a_meeting_of_today_with_its_result_is_no_plan(tmp_path: Path) -> None:
    path = _booked_workbook(tmp_path, "signed the order")
    assert lifecycle_of(path, today=BOOKED_DAY).plans.empty
    assert _agenda_of(path, BOOKED_DAY) == []


def test_an_order_logged_today_without_a_result_is_no_plan(tmp_path: Path) -> None:
    records = case_records({"ordered": (None, [], 2, False, False)})
    records[schema.INTERACTIONS.key] = [
        {"date": BOOKED_DAY, "client_id": "ordered", "type": word(schema.ORDER), "amount": 500, "result": None},
    ]
    path = write_records(tmp_path / "ordered.xlsx", LOCALE, records)
    assert lifecycle_of(path, today=BOOKED_DAY).plans.empty
    assert _agenda_of(path, BOOKED_DAY) == []
