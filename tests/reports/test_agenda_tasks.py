"""The agenda's work tasks from a real workbook: which clients get which task, when it is due, and what it says."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.builders import settings_records, write_records
from xlcrm import schema
from xlcrm.checks.settings import read_settings
from xlcrm.lifecycle.blocks import compute_lifecycle
from xlcrm.lifecycle.frames import build_frames
from xlcrm.reports.agenda_tasks import TASK_COLUMNS, follow_up_tasks
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


ORDER, CALL, AGREEMENT, MEETING = schema.ORDER, schema.CALL_IN, schema.AGREEMENT, schema.MEETING
Entry = tuple[int, schema.ListValue, dict[str, object]]
# Each client: designation, created (days ago), log as (days ago, type, other cells).
CLIENTS: dict[str, tuple[schema.ListValue | None, int | None, list[Entry]]] = {
    "planned": (None, 400, [(10, CALL, {"next_date": ago(2), "next_action": "Send the offer"})]),
    "plan_14_ahead": (None, 400, [(10, CALL, {"next_date": ago(-14), "next_action": "Call again"})]),
    "plan_15_ahead": (None, 400, [(10, CALL, {"next_date": ago(-15), "next_action": "Too far"})]),
    "plan_no_action": (None, 400, [(10, CALL, {"next_date": ago(1)})]),
    "booked": (None, 400, [(10, CALL, {}), (-3, MEETING, {"comment": "Bring samples"})]),
    "booked_bare": (None, 400, [(10, CALL, {}), (-4, MEETING, {})]),
    "lost_planned": (schema.LOST, 400, [(100, CALL, {"next_date": ago(5), "next_action": "Ask why"})]),
    "lost_plan_no_action": (schema.LOST, 400, [(100, CALL, {"next_date": ago(6)})]),
    "lost_ordered": (schema.LOST, 400, [(10, ORDER, {"amount": 500})]),
    "lost_ordered_61": (schema.LOST, 400, [(61, ORDER, {"amount": 500})]),
    "new": (None, 3, []),
    "new_tomorrow": (None, 2, []),
    "new_no_date": (None, None, []),
    "agreed": (None, 400, [(20, AGREEMENT, {})]),
    "agreed_13": (None, 400, [(13, AGREEMENT, {})]),
    "working": (None, 400, [(45, ORDER, {"amount": 10})]),
    "working_29": (None, 400, [(29, ORDER, {"amount": 10})]),
    "regular": (None, 400, [(d, ORDER, {"amount": 10}) for d in (90, 60, 30)]),
    "vip": (schema.VIP, 400, [(75, CALL, {})]),
    "vip_never": (schema.VIP, 400, []),
    "former": (None, 900, [*((d, ORDER, {"amount": 10}) for d in (700, 650, 600, 550, 500)), (400, CALL, {})]),
    "prospect_cold": (None, 900, [(400, CALL, {})]),
}


def workbook(path: Path, locale: str) -> Path:
    def word(value: schema.ListValue | None) -> str | None:
        return value.name(locale) if value else None

    clients = [
        {
            "client_id": client,
            "name": client,
            "company": "Co " + client,
            "phone": "+7 916 123-45-67",
            "manager": "Anna",
            "designation": word(designation),
            "created": None if created is None else ago(created),
        }
        for client, (designation, created, _) in CLIENTS.items()
    ]
    log = [
        {"date": ago(days), "client_id": client, "type": word(kind), "manager": "Anna", **cells}
        for client, (_, _, entries) in CLIENTS.items()
        for days, kind, cells in entries
    ]
    records = {
        schema.CLIENTS.key: clients,
        schema.INTERACTIONS.key: log,
        schema.SETTINGS.key: settings_records(locale, {"managers": ["Anna"]}),
    }
    return write_records(path, locale, records)


def tasks_of(path: Path) -> pd.DataFrame:
    data = read_workbook(path)
    settings, _ = read_settings(data)
    frames = build_frames(data)
    return follow_up_tasks(frames, compute_lifecycle(frames, settings, TODAY))


@pytest.fixture(scope="module", params=["en", "ru"])
def tasks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pd.DataFrame]:
    locale = str(request.param)
    return locale, tasks_of(workbook(tmp_path_factory.mktemp("tasks") / f"{locale}.xlsx", locale))


# client -> (task, due days ago, details in an English workbook, in a Russian one); clients not here have none.
EXPECTED: dict[str, list[tuple[str, int, str | None, str | None]]] = {
    "planned": [("plan", 2, "Send the offer", "Send the offer")],
    "plan_14_ahead": [("plan", -14, "Call again", "Call again")],
    "plan_no_action": [("plan", 1, None, None)],
    "booked": [("plan", -3, "Meeting, booked ahead, Bring samples", "Встреча, назначено заранее, Bring samples")],
    "booked_bare": [("plan", -4, "Meeting, booked ahead", "Встреча, назначено заранее")],
    "lost_planned": [
        ("plan", 5, "Ask why (the client is marked Lost)", "Ask why (у клиента статус «Потерян»)"),
    ],
    "lost_plan_no_action": [("plan", 6, "The client is marked Lost", "У клиента статус «Потерян»")],
    "lost_ordered": [
        (
            "check_status",
            10,
            "marked Lost, but ordered on 13 November 2026",
            "статус «Потерян», но 13 ноября 2026 был заказ",
        )
    ],
    "new": [
        (
            "first_contact",
            0,
            "no contact yet, in the base since 20 November 2026",
            "контактов ещё не было, в базе с 20 ноября 2026",
        )
    ],
    "new_no_date": [("first_contact", 0, "no contact yet", "контактов ещё не было")],
    "agreed": [
        ("first_order", 6, "agreement 20 days ago, no order yet", "договорённость 20 дней назад, заказа нет"),
    ],
    "working": [("second_order", 15, "1 order, silent 45 days", "1 заказ, тишина 45 дней")],
    "regular": [
        ("reorder", 0, "rhythm 30 days, last order 24 October 2026", "ритм 30 дней, последний заказ 24 октября 2026")
    ],
    "vip": [("review", 15, "no contact for 75 days", "нет связи 75 дней")],
    "vip_never": [("review", 0, "no contact yet", "контактов ещё не было")],
    "former": [("reactivate", 35, "5 orders, silent 400 days", "5 заказов, тишина 400 дней")],
}


def test_columns(tasks: tuple[str, pd.DataFrame]) -> None:
    _, frame = tasks
    assert tuple(frame.columns) == TASK_COLUMNS
    assert frame["due"].dtype == "datetime64[ns]"
    assert frame["due"].is_monotonic_increasing


@pytest.mark.parametrize("client", list(CLIENTS))
def test_tasks_of_each_client(tasks: tuple[str, pd.DataFrame], client: str) -> None:
    locale, frame = tasks
    mine = frame[frame["client_id"] == client]
    found = [
        (task, pd.Timestamp(due), details) for task, due, details in zip(mine["task"], mine["due"], mine["details"])
    ]
    expected = EXPECTED.get(client, [])
    assert [(task, due) for task, due, _ in found] == [(task, pd.Timestamp(ago(days))) for task, days, *_ in expected]
    for (_, _, details), (*_, english, russian) in zip(found, expected):
        assert (None if pd.isna(details) else details) == (english if locale == "en" else russian)


def test_nothing_for_clients_not_due(tasks: tuple[str, pd.DataFrame]) -> None:
    """Each follow-up a day before it is due, a plan a day beyond the horizon, a Lost order a day too old,
    a contacted prospect however cold: none is a task."""
    _, frame = tasks
    quiet = {"plan_15_ahead", "new_tomorrow", "agreed_13", "working_29", "lost_ordered_61", "prospect_cold"}
    assert not quiet & set(frame["client_id"])
