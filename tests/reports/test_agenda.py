"""xlcrm agenda: tasks per manager in the terminal and as an iCalendar file read by an independent parser."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import ics
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, write_records
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.jobs.agenda import workbook_agenda

TODAY = dt.date(2027, 2, 20)  # 2027 is not a leap year: a 29 February birthday falls on the 28th


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def client(client_id: str, manager: str, **values: object) -> dict[str, object]:
    return {
        "client_id": client_id,
        "name": f"Person {client_id}",
        "company": f"Company {client_id}",
        "phone": "+7 916 123-45-67",
        "manager": manager,
        **values,
    }


@pytest.fixture()
def workbook(tmp_path: Path) -> Path:
    en = "en"
    clients = [
        client("C1", "Anna", birthday=dt.date(1980, 2, 25)),  # birthday in 5 days, turns 47
        client("C2", "Anna"),
        client("C3", "Boris", birthday=dt.date(1990, 3, 30)),  # beyond the 14-day horizon
        client("C4", "Boris", designation=schema.VIP.en),
        client("C5", "Boris"),
        client("C6", "Anna"),
        client("C7", "Anna", designation=schema.LOST.en),  # not to reactivate: no tasks, even a planned one
    ]
    contacts = [{"client_id": "C2", "name": "Leap Day", "birthday": dt.date(1996, 2, 29)}]
    log = [
        {
            "date": day(-10),
            "client_id": "C1",
            "type": schema.CALL_OUT.en,
            "next_action": "Send offer",
            "next_date": day(-2),
        },  # overdue
        {
            "date": day(-5),
            "client_id": "C2",
            "type": schema.MEETING.en,
            "next_action": "Call back",
            "next_date": day(3),
        },  # upcoming
        {"date": day(-20), "client_id": "C3", "type": schema.CALL_IN.en, "next_date": day(30)},  # beyond horizon
        {"date": day(-400), "client_id": "C4", "type": schema.ORDER.en, "amount": 500},  # VIP gone quiet
        {"date": day(-500), "client_id": "C5", "type": schema.ORDER.en, "amount": 100},  # to reactivate
        {"date": day(-5), "client_id": "C7", "type": schema.CALL_IN.en, "next_date": day(4)},
    ] + [{"date": day(-d), "client_id": "C6", "type": schema.ORDER.en, "amount": 10} for d in (100, 80, 60)]
    return write_records(
        tmp_path / "agenda.xlsx",
        en,
        {
            schema.CLIENTS.key: clients,
            schema.CONTACTS.key: contacts,
            schema.INTERACTIONS.key: log,
            schema.SETTINGS.key: settings_records(en, {"managers": ["Anna", "Boris"]}),
        },
    )


def test_agenda_items(workbook: Path) -> None:
    items = workbook_agenda(workbook, today=TODAY).agenda.items
    found = {(row.manager, row.task, row.client_id, row.date.date()) for row in items.itertuples()}
    assert found == {
        ("Anna", "overdue", "C1", day(-2)),
        ("Anna", "upcoming", "C2", day(3)),
        ("Anna", "birthday", "C1", dt.date(2027, 2, 25)),
        ("Anna", "contact_birthday", "C2", dt.date(2027, 2, 28)),
        ("Anna", "rhythm", "C6", day(-40)),  # orders every 20 days, last 60 days ago
        ("Boris", "review", "C4", day(-400)),
        ("Boris", "reactivate", "C5", day(-500)),
    }
    assert items["manager"].tolist() == sorted(items["manager"])
    birthday = items[items["task"] == "birthday"].iloc[0]
    assert birthday["details"] == "turns 47" and birthday["days"] == 5


def test_cli_manager_filter_and_ics(workbook: Path, tmp_path: Path) -> None:
    target = tmp_path / "anna.ics"
    result = CliRunner().invoke(
        cli, ["agenda", str(workbook), "--manager", " anna ", "--ics", str(target), "--today", TODAY.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Anna (5)\n")
    assert "Boris" not in result.output
    assert "Overdue contact: C1 Company C1 +7 916 123-45-67 — Send offer" in result.output
    assert result.output.endswith(f"Wrote 4 events to {target}\n")

    calendar = ics.Calendar(target.read_text(encoding="utf-8"))
    events = sorted(calendar.events, key=lambda e: (e.begin, e.name))
    assert [(e.begin.date(), e.name) for e in events] == [
        (TODAY, "Overdue contact: Company C1"),  # still to do: reminded today, not in the past
        (day(3), "Planned contact: Company C2"),
        (dt.date(2027, 2, 25), "Birthday: Company C1"),
        (dt.date(2027, 2, 28), "Birthday of a contact person: Company C2"),
    ]
    assert all(e.all_day for e in events)
    assert all([a.trigger for a in e.alarms] == [dt.timedelta(hours=9)] for e in events)
    assert "Call back" in events[1].description
    assert len({e.uid for e in events}) == 4


def test_json_matches_library(workbook: Path) -> None:
    result = CliRunner().invoke(cli, ["agenda", str(workbook), "--json", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(json.dumps(workbook_agenda(workbook, today=TODAY).to_dict()))


def test_unknown_manager_is_a_usage_error(workbook: Path) -> None:
    result = CliRunner().invoke(cli, ["agenda", str(workbook), "--manager", "Anya", "--today", TODAY.isoformat()])
    assert result.exit_code == 2
    assert result.output == "Error: no manager named 'Anya' in the workbook; managers: Anna, Boris\n"


def test_a_manager_with_nothing_to_do(workbook: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["agenda", str(workbook), "--manager", "boris", "--today", "2025-01-01"])
    assert result.exit_code == 0
    assert result.output == "Nothing on the agenda.\n"


def test_missing_workbook(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["agenda", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "no such file" in result.output
