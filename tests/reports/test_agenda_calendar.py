"""The agenda's calendars, read by an independent parser: UIDs that stay the same from one day to the next, a file
for every manager the workbook knows under a name that does not depend on who has rows today; and what the agenda
command says about settings it could not use, and no reactivations when the owner wants none."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import ics
from click.testing import CliRunner, Result

from tests.builders import settings_records, write_records
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.jobs.agenda import workbook_agenda

TITLE = schema.label("agenda_title", "en")
MONDAY = dt.date(2026, 11, 23)
TUESDAY = dt.date(2026, 11, 24)


def day(offset: int) -> dt.date:
    return MONDAY + dt.timedelta(days=offset)


def client(client_id: str, manager: str, **values: object) -> dict[str, object]:
    return {"client_id": client_id, "name": f"Person {client_id}", "company": f"Company {client_id}", **values}


def workbook(
    path: Path,
    clients: list[dict[str, object]],
    log: list[dict[str, object]],
    managers: list[str],
    *,
    settings: dict[str, object] | None = None,
    locale: str = "en",
) -> Path:
    return write_records(
        path,
        locale,
        {
            schema.CLIENTS.key: clients,
            schema.INTERACTIONS.key: log,
            schema.SETTINGS.key: settings_records(locale, {"managers": managers}, settings),
        },
    )


def events_of(path: Path) -> dict[str, tuple[dt.date, str]]:
    """UID -> (day, summary) of the calendar's events."""
    calendar = ics.Calendar(path.read_text(encoding="utf-8"))
    return {event.uid: (event.begin.date(), event.name) for event in calendar.events}


def calendar_name(path: Path) -> str:
    [name] = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("X-WR-CALNAME:")]
    return name.removeprefix("X-WR-CALNAME:")


def agenda(*args: object, today: dt.date = MONDAY) -> Result:
    return CliRunner().invoke(cli, ["agenda", *map(str, args), "--today", today.isoformat()])


# --- UIDs ---------------------------------------------------------------------------------------------------------


def test_the_rows_to_do_now_keep_their_uids_the_next_day(tmp_path: Path) -> None:
    call = schema.CALL_OUT.en
    path = workbook(
        tmp_path / "clients.xlsx",
        [
            # Never contacted and no Created date: the first contact is due on the day of the run, every day.
            {**client("P1", "Anna"), "manager": "Anna"},
            {**client("C1", "Anna"), "manager": "Anna"},
            {**client("C2", "Anna"), "manager": "Anna"},
        ],
        [
            {"date": day(-10), "client_id": "C1", "type": call, "next_action": "Send offer", "next_date": day(-2)},
            {"date": day(-5), "client_id": "C2", "type": call, "next_action": "Call back", "next_date": day(3)},
        ],
        ["Anna"],
    )
    monday, tuesday = tmp_path / "monday", tmp_path / "tuesday"
    workbook_agenda(path, today=MONDAY, ics=monday)
    workbook_agenda(path, today=TUESDAY, ics=tuesday)
    assert events_of(monday / "Anna.ics") == {
        "agenda-P1-open@xlcrm": (MONDAY, "First contact: Company P1"),
        "agenda-C1-open@xlcrm": (MONDAY, "Planned contact: Company C1"),
        "agenda-C2-2026-11-26@xlcrm": (day(3), "Planned contact: Company C2"),
    }
    # The same rows the next day: the same UIDs, the rows to do now moved to the new today, so a calendar that
    # imports the file again moves them instead of keeping yesterday's events beside them.
    assert events_of(tuesday / "Anna.ics") == {
        "agenda-P1-open@xlcrm": (TUESDAY, "First contact: Company P1"),
        "agenda-C1-open@xlcrm": (TUESDAY, "Planned contact: Company C1"),
        "agenda-C2-2026-11-26@xlcrm": (day(3), "Planned contact: Company C2"),
    }


# --- a file for every known manager, under a name of its own ----------------------------------------------------


def test_a_manager_with_nothing_to_do_gets_an_empty_calendar(tmp_path: Path) -> None:
    # Boris's only row is a birthday on Monday: on Tuesday his calendar of Monday must lose it.
    path = workbook(
        tmp_path / "clients.xlsx",
        [
            {**client("C1", "Anna"), "manager": "Anna"},
            {**client("C2", "Boris"), "manager": "Boris", "birthday": dt.date(1980, 11, 23)},
        ],
        [
            {"date": day(-1), "client_id": "C1", "type": schema.CALL_OUT.en, "next_date": day(2)},
            {"date": day(-1), "client_id": "C2", "type": schema.CALL_OUT.en},
        ],
        # Clara is on the list only, Boris on Clients only: both are managers the workbook knows.
        ["Anna", "Clara"],
    )
    folder = tmp_path / "calendars"
    result = agenda(path, "--ics", folder)
    assert result.exit_code == 0, result.output
    assert {file.name: len(events_of(file)) for file in folder.iterdir()} == {
        "Anna.ics": 1,
        "Boris.ics": 1,
        "Clara.ics": 0,
    }
    result = agenda(path, "--ics", folder, today=TUESDAY)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-3:] == [
        f"Wrote 1 event to {folder / 'Anna.ics'}",
        f"Wrote 0 events to {folder / 'Boris.ics'}",
        f"Wrote 0 events to {folder / 'Clara.ics'}",
    ]
    assert events_of(folder / "Boris.ics") == {}
    assert calendar_name(folder / "Boris.ics") == f"{TITLE} — Boris"


def test_file_names_do_not_depend_on_who_has_rows_today(tmp_path: Path) -> None:
    # Both names make the file name «Анна_Борис.ics»: the first by name gets it, whoever has rows today.
    path = workbook(
        tmp_path / "clients.xlsx",
        [{**client("C1", "Анна_Борис"), "manager": "Анна_Борис"}],
        [{"date": day(-1), "client_id": "C1", "type": schema.CALL_OUT.en, "next_date": day(2)}],
        ["Анна/Борис", "Анна_Борис"],
    )
    folder = tmp_path / "calendars"
    result = agenda(path, "--ics", folder)
    assert result.exit_code == 0, result.output
    assert {file.name: calendar_name(file) for file in folder.iterdir()} == {
        "Анна_Борис.ics": f"{TITLE} — Анна/Борис",
        "Анна_Борис-2.ics": f"{TITLE} — Анна_Борис",
    }
    assert len(events_of(folder / "Анна_Борис-2.ics")) == 1

    # One manager's calendar into a folder goes to the same file the run for all managers writes.
    alone = tmp_path / "alone"
    alone.mkdir()
    result = agenda(path, "--manager", "анна_борис", "--ics", alone)
    assert result.exit_code == 0, result.output
    assert [file.name for file in alone.iterdir()] == ["Анна_Борис-2.ics"]
    assert (alone / "Анна_Борис-2.ics").read_bytes() == (folder / "Анна_Борис-2.ics").read_bytes()


# --- settings the agenda could not use ----------------------------------------------------------------------------


def base_workbook(path: Path, settings: dict[str, object], locale: str = "en") -> Path:
    return workbook(
        path,
        [{**client("C1", "Anna"), "manager": "Anna"}],
        [{"date": day(-1), "client_id": "C1", "type": schema.CALL_OUT.en, "next_date": day(2)}],
        ["Anna"],
        settings=settings,
        locale=locale,
    )


def test_the_agenda_names_the_settings_it_could_not_use(tmp_path: Path) -> None:
    path = base_workbook(tmp_path / "clients.xlsx", {"agenda_limit": "ten"})
    result = agenda(path)
    assert result.exit_code == 0, result.output  # the agenda is made with the default
    row = [item.key for item in schema.SETTINGS_KEYS].index("agenda_limit") + 2
    assert result.stderr.splitlines() == [
        f'error   Settings!C{row}  bad-setting  "ten"  agenda_limit must be a whole number of 1 or more; the default '
        "25 is used until it is fixed",
        "1 setting could not be used; xlcrm validate lists every problem of the workbook",
    ]
    assert result.stdout.startswith("Anna: 1 in all, 1 on the sheet, 0 long overdue\n")

    # A Russian workbook: the command speaks Russian and names the setting by its label.
    russian = base_workbook(tmp_path / "клиенты.xlsx", {"agenda_limit": 0}, locale="ru")
    result = agenda(russian)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f'{"ошибка":<14} Настройки!C{row}  bad-setting  "0"  Настройка «Задач повестки на менеджера»: значение '
        "должно быть целым числом не меньше 1; пока оно не исправлено, используется значение по умолчанию 25",
        "1 настройку не удалось применить; все проблемы книги покажет команда xlcrm validate",
    ]


def test_json_carries_the_settings_it_could_not_use_and_leaves_stderr_empty(tmp_path: Path) -> None:
    path = base_workbook(tmp_path / "clients.xlsx", {"agenda_limit": "ten"})
    result = agenda(path, "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    (finding,) = json.loads(result.stdout)["bad_settings"]
    assert (finding["code"], finding["value"], finding["severity"]) == ("bad-setting", "ten", "error")


def test_a_clean_workbook_gets_no_note(tmp_path: Path) -> None:
    result = agenda(base_workbook(tmp_path / "clients.xlsx", {}))
    assert (result.exit_code, result.stderr) == (0, "")


def test_no_reactivations_when_the_owner_wants_none(tmp_path: Path) -> None:
    order = schema.ORDER.en
    clients = [{**client(f"D{n}", "Anna"), "manager": "Anna"} for n in range(1, 4)]
    # Ordered two years ago and silent since: Dead, worth reviving.
    log = [{"date": day(-730), "client_id": f"D{n}", "type": order, "amount": 100} for n in range(1, 4)]
    for wanted, expected in ((2, 2), (0, 0)):
        path = workbook(
            tmp_path / f"clients-{wanted}.xlsx", clients, log, ["Anna"], settings={"reactivations_per_week": wanted}
        )
        items = workbook_agenda(path, today=MONDAY).agenda.items
        assert sum("reactivate" in tasks for tasks in items["tasks"]) == expected
        assert agenda(path).stderr == ""  # 0 is a setting like any other
