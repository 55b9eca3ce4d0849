"""Greetings on the agenda: birthdays of clients and contact persons, and holidays, each on its day, listed
``birthday_days`` ahead for the clients of the holiday's blocks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from tests.builders import record_rows, settings_records, sheets_from_records, write_workbook
from xlcrm import schema
from xlcrm.lifecycle.analysis import analyse
from xlcrm.reports.greetings import TASK_COLUMNS, greeting_tasks
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 20)
Task = tuple[str, str, dt.date, object]


def client(client_id: str, locale: str = "en", **values: object) -> dict[str, object]:
    manager = "Anna" if locale == "en" else "Анна"
    return {"client_id": client_id, "name": f"Person {client_id}", "manager": manager, **values}


def clients_in_every_block(locale: str = "en", **birthdays: dt.date) -> list[dict[str, object]]:
    """One client per block (see ``log``): C2 Potential, C3 Active, C4 Working, C7 VIP, C8 Key, C1L Lost and C1R
    Dead by silence; ``birthdays`` by client ID."""
    designations = {"C7": schema.VIP, "C8": schema.KEY_ACCOUNT, "C1L": schema.LOST}
    return [
        client(
            client_id,
            locale,
            designation=designations[client_id].name(locale) if client_id in designations else None,
            birthday=birthdays.get(client_id),
            created=TODAY - dt.timedelta(days=30),
        )
        for client_id in ("C2", "C3", "C4", "C7", "C8", "C1L", "C1R")
    ]


def log(locale: str = "en") -> list[dict[str, object]]:
    def row(client_id: str, days_ago: int, kind: schema.ListValue) -> dict[str, object]:
        amount = 100 if kind is schema.ORDER else None
        return {
            "date": TODAY - dt.timedelta(days=days_ago),
            "client_id": client_id,
            "type": kind.name(locale),
            "amount": amount,
        }

    return [
        row("C3", 5, schema.AGREEMENT),
        row("C4", 5, schema.ORDER),
        row("C7", 5, schema.ORDER),
        row("C8", 5, schema.ORDER),
        row("C1L", 5, schema.ORDER),
        row("C1R", 500, schema.ORDER),
    ]


def workbook(
    tmp_path: Path,
    *,
    locale: str = "en",
    clients: list[dict[str, object]] | None = None,
    contacts: list[dict[str, object]] | None = None,
    holidays: list[tuple[object, object, object]] | None = None,
    values: dict[str, object] | None = None,
) -> Path:
    """A workbook with the clients of every block; ``holidays`` typed on Settings, None: a Settings sheet made
    before the holiday columns existed."""
    managers = ["Anna"] if locale == "en" else ["Анна"]
    settings = settings_records(locale, {"managers": managers}, values)
    for row, (name, date, blocks) in zip(settings, holidays or []):
        row.update(holiday=name, holiday_date=date, holiday_blocks=blocks)
    records = {
        schema.CLIENTS.key: clients if clients is not None else clients_in_every_block(locale),
        schema.CONTACTS.key: contacts or [],
        schema.INTERACTIONS.key: log(locale),
        schema.SETTINGS.key: settings,
    }
    sheets = sheets_from_records(locale, records)
    if holidays is None:
        keys = [c.key for c in schema.SETTINGS.columns if not c.key.startswith("holiday")]
        sheets[schema.SETTINGS.name(locale)] = record_rows(schema.SETTINGS, locale, settings, keys)
    return write_workbook(tmp_path / "greetings.xlsx", sheets)


def greetings(path: Path, today: dt.date = TODAY) -> pd.DataFrame:
    analysis = analyse(read_workbook(path), today)
    return greeting_tasks(analysis.frames, analysis.lifecycle)


def found(path: Path, today: dt.date = TODAY, task: str | None = None) -> set[Task]:
    tasks = greetings(path, today)
    if task is not None:
        tasks = tasks[tasks["task"] == task]
    return {(row.client_id, row.task, row.due.date(), row.details) for row in tasks.itertuples()}


def test_the_raw_task_frame(tmp_path: Path) -> None:
    tasks = greetings(workbook(tmp_path, clients=clients_in_every_block(C4=dt.date(1980, 11, 25)), holidays=[]))
    assert tuple(tasks.columns) == TASK_COLUMNS
    assert tasks["due"].dtype == "datetime64[ns]"
    assert tasks.to_dict("records") == [
        {"client_id": "C4", "task": "birthday", "due": pd.Timestamp(2026, 11, 25), "details": "turns 46"}
    ]


def test_nothing_to_greet_is_an_empty_frame_with_the_columns(tmp_path: Path) -> None:
    tasks = greetings(workbook(tmp_path, holidays=[]))
    assert tasks.empty and tuple(tasks.columns) == TASK_COLUMNS and tasks["due"].dtype == "datetime64[ns]"


def test_a_birthday_is_listed_from_birthday_days_ahead_today_included(tmp_path: Path) -> None:
    birthdays = {
        "C2": dt.date(1980, 11, 20),  # today
        "C3": dt.date(1980, 12, 4),  # exactly 14 days ahead
        "C4": dt.date(1980, 12, 5),  # 15 days: not yet
        "C7": dt.date(1980, 11, 19),  # yesterday: next year's is far away
    }
    path = workbook(tmp_path, clients=clients_in_every_block(**birthdays), holidays=[])
    assert found(path) == {
        ("C2", "birthday", dt.date(2026, 11, 20), "turns 46"),
        ("C3", "birthday", dt.date(2026, 12, 4), "turns 46"),
    }
    # The horizon is the birthday_days setting.
    shorter = workbook(tmp_path, clients=clients_in_every_block(**birthdays), holidays=[], values={"birthday_days": 13})
    assert found(shorter) == {("C2", "birthday", dt.date(2026, 11, 20), "turns 46")}


def test_year_end_wrap_leap_day_and_unknown_birth_year(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        clients=clients_in_every_block(C2=dt.date(1990, 1, 2), C3=dt.date(1900, 1, 3), C4=dt.date(1996, 2, 29)),
        contacts=[
            {"client_id": "C7", "name": "Maria Ivanova", "birthday": dt.date(1900, 12, 31)},
            {"client_id": "C8", "name": None, "birthday": dt.date(1985, 12, 25)},
        ],
        holidays=[],
    )
    assert found(path, dt.date(2026, 12, 20)) == {
        ("C2", "birthday", dt.date(2027, 1, 2), "turns 37"),  # next year's birthday, next year's age
        ("C3", "birthday", dt.date(2027, 1, 3), None),  # 1900: the year is not known
        ("C7", "contact_birthday", dt.date(2026, 12, 31), "Maria Ivanova"),
        ("C8", "contact_birthday", dt.date(2026, 12, 25), "turns 41"),
    }
    # 2027 has no 29 February: the birthday falls on the 28th.
    assert found(path, dt.date(2027, 2, 20), "birthday") == {("C4", "birthday", dt.date(2027, 2, 28), "turns 31")}
    assert found(path, dt.date(2028, 2, 20), "birthday") == {("C4", "birthday", dt.date(2028, 2, 29), "turns 32")}


def test_contact_persons_each_once_and_the_client_himself_not_twice(tmp_path: Path) -> None:
    born = dt.date(1980, 11, 25)
    path = workbook(
        tmp_path,
        clients=clients_in_every_block(C4=born),
        contacts=[
            {"client_id": "C4", "name": "Person C4", "birthday": born},  # the client typed again as a contact
            {"client_id": "C7", "name": "Maria Ivanova", "birthday": dt.date(1990, 11, 22)},
            {"client_id": "C7", "name": "maria  ivanova", "birthday": dt.date(1990, 11, 22)},  # the same, twice
            {"client_id": "C7", "name": "Oleg Petrov", "birthday": dt.date(1991, 11, 22)},
            {"client_id": "C1L", "name": "Lost Friend", "birthday": dt.date(1991, 11, 22)},  # Lost: not greeted
        ],
        holidays=[],
    )
    assert found(path) == {
        ("C4", "birthday", dt.date(2026, 11, 25), "turns 46"),
        ("C7", "contact_birthday", dt.date(2026, 11, 22), "Maria Ivanova, turns 36"),
        ("C7", "contact_birthday", dt.date(2026, 11, 22), "Oleg Petrov, turns 35"),
    }


def test_a_client_designated_lost_gets_no_birthday_greeting(tmp_path: Path) -> None:
    path = workbook(tmp_path, clients=clients_in_every_block(C1L=dt.date(1980, 11, 22)), holidays=[])
    assert found(path) == set()


def test_an_old_workbook_is_greeted_on_the_default_holidays_every_block_but_dead(tmp_path: Path) -> None:
    path = workbook(tmp_path)  # Settings without the holiday columns
    new_year = dt.date(2027, 1, 1)
    # Seen from 20 December, New Year is 12 days ahead, in the next year.
    assert found(path, dt.date(2026, 12, 20)) == {
        ("C2", "holiday", new_year, "New Year — a message or a card"),
        ("C3", "holiday", new_year, "New Year — a message or a card"),
        ("C4", "holiday", new_year, "New Year — a message or a card"),
        ("C7", "holiday", new_year, "New Year — a call or a small gift"),
        ("C8", "holiday", new_year, "New Year — a call or a small gift"),
    }
    # 23 February is 3 days ahead, 8 March 16: only the first is listed.
    assert {task[2] for task in found(path, dt.date(2027, 2, 20))} == {dt.date(2027, 2, 23)}


def test_a_holiday_exactly_birthday_days_ahead_is_listed_one_more_is_not(tmp_path: Path) -> None:
    path = workbook(tmp_path, holidays=[("Own day", "04.12", "8"), ("Later day", "05.12", "8")])
    assert found(path) == {("C8", "holiday", dt.date(2026, 12, 4), "Own day — a call or a small gift")}


def test_the_owners_own_holiday_for_its_blocks(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        holidays=[
            ("Accountant's Day", "21.11", "3; Working"),  # tomorrow, for Active and Working
            ("Retail Day", dt.date(2019, 11, 22), None),  # every block but Dead
            ("Old friends", "23.11", "1"),  # only a holiday naming block 1 greets the Dead
        ],
    )
    tasks = found(path)
    assert {(client_id, due) for client_id, task, due, _ in tasks if due == dt.date(2026, 11, 21)} == {
        ("C3", dt.date(2026, 11, 21)),
        ("C4", dt.date(2026, 11, 21)),
    }
    assert {client_id for client_id, task, due, _ in tasks if due == dt.date(2026, 11, 22)} == {
        "C2",
        "C3",
        "C4",
        "C7",
        "C8",
    }
    assert {client_id for client_id, task, due, _ in tasks if due == dt.date(2026, 11, 23)} == {"C1L", "C1R"}
    # New Year is not on the owner's table: nobody is greeted on it.
    assert found(path, dt.date(2026, 12, 20)) == set()


def test_a_holiday_greets_each_client_once_and_bad_rows_are_left_out(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        contacts=[{"client_id": "C8", "name": "A"}, {"client_id": "C8", "name": "B"}],
        holidays=[("Key day", "22.11", "Key account"), ("Broken", "31.11", "8"), ("Typo", "22.11", "8, 12")],
    )
    assert found(path) == {("C8", "holiday", dt.date(2026, 11, 22), "Key day — a call or a small gift")}


def test_a_russian_workbook_gets_russian_details(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        locale="ru",
        clients=clients_in_every_block("ru", C4=dt.date(1980, 11, 25)),
        contacts=[{"client_id": "C7", "name": "Мария Иванова", "birthday": dt.date(1990, 11, 22)}],
    )
    assert found(path) == {
        ("C4", "birthday", dt.date(2026, 11, 25), "исполняется 46"),
        ("C7", "contact_birthday", dt.date(2026, 11, 22), "Мария Иванова, исполняется 36"),
    }
    new_year = found(path, dt.date(2026, 12, 25), "holiday")
    assert ("C4", "holiday", dt.date(2027, 1, 1), "Новый год — сообщением или открыткой") in new_year
    assert ("C8", "holiday", dt.date(2027, 1, 1), "Новый год — звонком или небольшим подарком") in (new_year)
