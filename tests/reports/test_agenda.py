"""The agenda: one row per client and day with every reason in it, the most urgent first; reactivations rotating by
week; long overdue rows apart; a cap per manager on the sheet with the count of the rest; a calendar per manager
read by an independent parser; the command line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import ics
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, write_records
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.jobs.agenda import workbook_agenda
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.lifecycle.analysis import Analysis, analyse
from xlcrm.reports.agenda import (
    TASK_NAMES,
    Agenda,
    agenda_sheet,
    assemble_agenda,
    calendar_file_name,
    calendar_file_names,
)
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2027, 2, 20)  # a Saturday; 2027 is not a leap year: a 29 February birthday falls on the 28th


def day(offset: int, today: dt.date = TODAY) -> dt.date:
    return today + dt.timedelta(days=offset)


def client(client_id: str, manager: str, **values: object) -> dict[str, object]:
    return {
        "client_id": client_id,
        "name": f"Person {client_id}",
        "company": f"Company {client_id}",
        "phone": "+7 916 123-45-67",
        "manager": manager,
        **values,
    }


# --- the agenda from hand-made raw tasks ------------------------------------------------------------------------


def analysed(
    folder: Path, *, locale: str = "en", today: dt.date = TODAY, clients: int = 12, **values: object
) -> Analysis:
    """A workbook of ``clients`` clients, C01.. (odd ones Anna's, even ones Boris's), analysed at ``today``."""
    rows = [client(f"C{n:02}", "Anna" if n % 2 else "Boris") for n in range(1, clients + 1)]
    log = [{"date": day(-3, today), "client_id": "C01", "type": schema.CALL_OUT.en}]
    path = write_records(
        folder / f"base-{locale}-{today}.xlsx",
        locale,
        {
            schema.CLIENTS.key: rows,
            schema.INTERACTIONS.key: log,
            schema.SETTINGS.key: settings_records(locale, {"managers": ["Anna", "Boris"]}, values),
        },
    )
    return analyse(read_workbook(path), today)


def tasks(*rows: tuple[str, str, dt.date | None, str | None]) -> pd.DataFrame:
    """A raw task frame, as the generators give it: (client, task, due, details)."""
    frame = pd.DataFrame(rows, columns=["client_id", "task", "due", "details"])
    frame["due"] = pd.to_datetime(frame["due"]).astype("datetime64[ns]")
    return frame


def assemble(analysis: Analysis, *rows: tuple[str, str, dt.date | None, str | None]) -> Agenda:
    return assemble_agenda(tasks(*rows), analysis.frames, analysis.lifecycle)


def rows_of(agenda: Agenda) -> list[tuple[str, str, str, dt.date, int | None, tuple[str, ...]]]:
    """(manager, part, client, due, days late, tasks) of every item, in agenda order."""
    return [
        (
            item.manager,
            item.part,
            item.client_id,
            item.due.date(),
            None if pd.isna(item.days_late) else int(item.days_late),
            item.tasks,
        )
        for item in agenda.items.itertuples()
    ]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    return analysed(tmp_path_factory.mktemp("agenda"))


def test_one_row_per_client_and_day_with_every_reason_most_urgent_first(base: Analysis) -> None:
    agenda = assemble(
        base,
        ("C01", "birthday", TODAY, "turns 47"),
        ("C01", "reorder", day(-10), "orders every 20 days"),
        ("C01", "plan", day(-3), "Send offer"),
        ("C01", "plan", day(3), "Call back"),  # another day: a row of its own
        ("C03", "holiday", day(2), None),
        ("C03", "contact_birthday", day(2), "Leap Day"),
        ("C03", "contact_birthday", day(2), "Eve"),  # two contact persons, one day: both named
    )
    assert rows_of(agenda) == [
        ("Anna", "now", "C01", day(-10), 10, ("plan", "reorder", "birthday")),
        ("Anna", "upcoming", "C01", day(3), None, ("plan",)),  # upcoming rows too: the most urgent first
        ("Anna", "upcoming", "C03", day(2), None, ("contact_birthday", "contact_birthday", "holiday")),
    ]
    first = agenda.items.iloc[0]
    assert first["reasons"] == (
        "Planned contact: Send offer; Due to order again: orders every 20 days; Birthday: turns 47"
    )
    assert agenda.items.iloc[2]["reasons"] == (
        "Birthday of a contact person: Eve; Birthday of a contact person: Leap Day; Holiday greeting"
    )
    assert first["last_contact"] == pd.Timestamp(day(-3)) and first["company"] == "Company C01"


def test_follow_ups_wait_for_their_day_plans_and_greetings_are_listed_ahead(base: Analysis) -> None:
    horizon = base.settings.birthday_days
    agenda = assemble(
        base,
        ("C01", "first_order", day(1), None),  # not yet due: not on the agenda
        ("C03", "first_order", TODAY, None),
        ("C05", "plan", day(horizon), None),
        ("C07", "plan", day(horizon + 1), None),  # beyond the horizon
        ("C09", "holiday", day(horizon), None),
        ("C11", "second_order", None, None),  # no due date: due today
    )
    assert [(item[2], item[1], item[4]) for item in rows_of(agenda)] == [
        ("C03", "now", 0),  # first_order before second_order: more urgent
        ("C11", "now", 0),
        ("C05", "upcoming", None),
        ("C09", "upcoming", None),
    ]


def test_rows_sorted_per_manager_by_part_urgency_and_days_late(base: Analysis) -> None:
    stale = base.settings.stale_after_days
    agenda = assemble(
        base,
        ("C02", "reactivate", day(-400), None),
        ("C04", "review", day(-5), None),
        ("C06", "review", day(-9), None),
        ("C08", "plan", day(-1), None),
        ("C10", "plan", day(1), None),
        ("C12", "reorder", day(-stale - 1), None),
        ("C01", "first_contact", day(-2), None),
    )
    assert [(item[0], item[1], item[2]) for item in rows_of(agenda)] == [
        ("Anna", "now", "C01"),
        ("Boris", "now", "C08"),
        ("Boris", "now", "C06"),  # reviews: the longer late first
        ("Boris", "now", "C04"),
        ("Boris", "now", "C02"),  # a reactivation: the least urgent, whatever its lateness
        ("Boris", "upcoming", "C10"),
        ("Boris", "stale", "C12"),
    ]


def test_a_row_is_long_overdue_from_stale_after_days_plus_one(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, stale_after_days=30)
    agenda = assemble(
        analysis,
        ("C01", "reorder", day(-30), None),
        ("C03", "reorder", day(-31), None),
        ("C05", "reorder", day(-31), None),
        ("C05", "plan", day(-2), None),  # a fresh reason keeps the row among those to do now
    )
    parts = {item[2]: (item[1], item[4], item[5]) for item in rows_of(agenda)}
    assert parts == {
        "C01": ("now", 30, ("reorder",)),
        "C03": ("stale", 31, ("reorder",)),
        # A fresh reason keeps the row among those to do now, with its own due date; the stale one follows it.
        "C05": ("now", 2, ("plan", "reorder")),
    }
    assert agenda.to_dict()["items"][-1] | {"reasons": None} == {
        "manager": "Anna",
        "part": "stale",
        "due": day(-31).isoformat(),
        "days_late": 31,
        "last_contact": None,
        "client_id": "C03",
        "client": "Person C03",
        "company": "Company C03",
        "phone": "+7 916 123-45-67",
        "tasks": ["reorder"],
        "details": [None],
        "reasons": None,
        "shown": True,
    }


def test_a_fresh_reason_does_not_pull_a_stale_one_into_to_do_now_as_late(base: Analysis) -> None:
    """A plan 541 days late and this week's reactivation: the row is to do now, due on the week's Monday, the
    reactivation first; a row of stale reasons only stays long overdue, dated by the earliest."""
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    agenda = assemble(
        base,
        ("C02", "plan", day(-541), "Call back"),
        ("C02", "reactivate", day(-600), None),
        ("C04", "plan", day(-541), None),
        ("C04", "reorder", day(-100), None),
    )
    assert rows_of(agenda) == [
        ("Boris", "now", "C02", monday, (TODAY - monday).days, ("reactivate", "plan")),
        ("Boris", "stale", "C04", day(-541), 541, ("plan", "reorder")),
    ]
    revive, plan = (TASK_NAMES[key].render("en") for key in ("reactivate", "plan"))
    assert agenda.items.iloc[0]["reasons"] == f"{revive}; {plan}: Call back"


def reactivations(
    analysis: Analysis, today: dt.date, count: int = 24, called: frozenset[str] = frozenset()
) -> dict[str, list[str]]:
    """The clients to reactivate on the agenda at ``today``, per manager, of ``count`` candidates (C01..) but the
    ``called`` ones."""
    candidates = [
        (f"C{n:02}", "reactivate", dt.date(2025, 1, 1) + dt.timedelta(days=n), None)
        for n in range(1, count + 1)
        if f"C{n:02}" not in called
    ]
    lifecycle = dataclasses.replace(analysis.lifecycle, today=today)
    agenda = assemble_agenda(tasks(*candidates), analysis.frames, lifecycle)
    found: dict[str, list[str]] = {}
    for item in agenda.items.itertuples():
        assert item.tasks == ("reactivate",)
        monday = today - dt.timedelta(days=today.weekday())
        assert item.due.date() == monday  # due on the week's Monday, whatever the day of the run
        found.setdefault(item.manager, []).append(item.client_id)
    return {manager: sorted(ids) for manager, ids in found.items()}


def test_reactivations_rotate_by_week_and_come_round(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, clients=24, reactivations_per_week=5)
    monday = dt.date(2027, 2, 15)
    weeks = [reactivations(analysis, monday + dt.timedelta(weeks=n)) for n in range(20)]
    # Any day of the week gives the week's list.
    assert reactivations(analysis, monday + dt.timedelta(days=6)) == weeks[0]
    for manager in ("Anna", "Boris"):
        lists = [week[manager] for week in weeks]
        assert {len(ids) for ids in lists} == {5}
        assert all(lists[n] != lists[n + 1] for n in range(19))  # next week: others
        # 12 candidates, 5 a week: every one comes round within 20 weeks.
        assert len(set().union(*lists)) == 12
    assert set(weeks[0]["Anna"]) <= {f"C{n:02}" for n in range(1, 25, 2)}


def test_calling_a_pick_mid_week_only_lets_the_next_one_in(tmp_path: Path) -> None:
    """The week's picks stay from Monday to Sunday: a pick called on Wednesday leaves (it is no longer a candidate)
    and one other comes in; a candidate called outside the picks changes nothing."""
    analysis = analysed(tmp_path, clients=24, reactivations_per_week=5)
    monday = dt.date(2027, 2, 15)
    for week in range(8):
        start = monday + dt.timedelta(weeks=week)
        picks = reactivations(analysis, start)
        for manager, ids in picks.items():
            called = frozenset({ids[1]})
            for later in range(2, 7):
                after = reactivations(analysis, start + dt.timedelta(days=later), called=called)[manager]
                assert len(after) == 5 and len(set(after) - set(ids)) == 1 and set(ids) - set(after) == called
        others = sorted({f"C{n:02}" for n in range(1, 25)}.difference(*picks.values()))
        assert reactivations(analysis, start + dt.timedelta(days=3), called=frozenset(others[:3])) == picks


def test_a_new_candidate_waits_for_the_next_monday(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, clients=4, reactivations_per_week=5)
    monday = dt.date(2027, 2, 15)
    candidates = [("C01", "reactivate", day(-400), None), ("C03", "reactivate", monday + dt.timedelta(days=1), None)]
    wednesday = dataclasses.replace(analysis.lifecycle, today=monday + dt.timedelta(days=2))
    assert assemble_agenda(tasks(*candidates), analysis.frames, wednesday).items["client_id"].tolist() == ["C01"]
    next_monday = dataclasses.replace(analysis.lifecycle, today=monday + dt.timedelta(weeks=1))
    agenda = assemble_agenda(tasks(*candidates), analysis.frames, next_monday)
    assert sorted(agenda.items["client_id"]) == ["C01", "C03"]


@pytest.mark.parametrize("count", [12, 20, 31, 40])
def test_every_candidate_comes_round_within_a_bounded_number_of_weeks(tmp_path: Path, count: int) -> None:
    analysis = analysed(tmp_path, clients=2 * count, reactivations_per_week=5)
    candidates = [(f"C{n:02}", "reactivate", dt.date(2025, 1, 1), None) for n in range(1, 2 * count + 1)]
    frame = tasks(*candidates)
    seen: set[str] = set()
    monday, weeks = dt.date(2027, 2, 15), 0
    while len(seen) < 2 * count:
        lifecycle = dataclasses.replace(analysis.lifecycle, today=monday + dt.timedelta(weeks=weeks))
        seen |= set(assemble_agenda(frame, analysis.frames, lifecycle).items["client_id"])
        weeks += 1
        # 5 a week would take count / 5 weeks at best; a fixed place per client costs a few times that.
        assert weeks <= 6 * -(-count // 5)


def test_fewer_candidates_than_the_weekly_number_are_all_listed(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, clients=4, reactivations_per_week=5)
    agenda = assemble(analysis, ("C01", "reactivate", day(-400), None), ("C03", "reactivate", day(-500), None))
    assert sorted(agenda.items["client_id"]) == ["C01", "C03"]


def test_the_sheet_shows_at_most_agenda_limit_rows_per_manager_and_counts_the_rest(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, agenda_limit=3, stale_after_days=30)
    agenda = assemble(
        analysis,
        *[(f"C{n:02}", "first_contact", day(-n), None) for n in (1, 3, 5, 7)],
        ("C09", "plan", day(2), None),
        ("C11", "reorder", day(-100), None),  # long overdue
        ("C02", "plan", TODAY, None),
    )
    shown = agenda.on_sheet()
    assert shown["client_id"].tolist() == ["C07", "C05", "C03", "C02"]
    counts = agenda.counts()
    assert counts.to_dict("index") == {
        "Anna": {"on_sheet": 3, "not_shown": 3, "stale": 1},
        "Boris": {"on_sheet": 1, "not_shown": 0, "stale": 0},
    }
    sheet = agenda_sheet(agenda, "")
    summary, table = sheet.tables
    assert [list(row) for row in summary.rows] == [["Anna", 3, 3, 1], ["Boris", 1, 0, 0]]
    assert [row[5] for row in table.rows] == ["C07", "C05", "C03", "C02"]
    assert list(table.page_breaks) == [3] and list(summary.page_breaks) == [1 + 1]


def test_the_weeks_reactivations_keep_their_room_on_a_busy_sheet(tmp_path: Path) -> None:
    """30 first contacts late and 3 clients to revive, a limit of 10 and 2 reactivations a week: the sheet keeps the
    week's 2 reactivation rows and fills the other 8 places by urgency."""
    analysis = analysed(tmp_path, clients=40, agenda_limit=10, reactivations_per_week=2)
    anna = [f"C{n:02}" for n in range(1, 41, 2)]
    rows = [(client_id, "first_contact", day(-n - 1), None) for n, client_id in enumerate(anna[:17])]
    rows += [(client_id, "reactivate", day(-400), None) for client_id in anna[17:]]
    agenda = assemble(analysis, *rows)
    shown = agenda.on_sheet()
    revived = shown[shown["tasks"] == ("reactivate",)]
    assert len(revived) == 2 and len(shown) == 10
    assert shown["client_id"].tolist()[:8] == anna[16:8:-1]  # the latest first contacts, the longest late first
    assert agenda.counts().loc["Anna"].to_dict() == {"on_sheet": 10, "not_shown": 9, "stale": 0}
    # Never more than the limit.
    tight = dataclasses.replace(analysis.lifecycle, settings=dataclasses.replace(analysis.settings, agenda_limit=1))
    one = assemble_agenda(tasks(*rows), analysis.frames, tight).on_sheet()
    assert one["tasks"].tolist() == [("reactivate",)]


# --- the agenda of a real workbook, the sheet and the command line --------------------------------------------------


# A day far from the default holidays, with only plans and birthdays due: every client was contacted lately and
# none ordered, so no follow-up is due (the rows are the same whichever generators make the tasks).
ON = dt.date(2027, 6, 10)  # a Thursday


def on(offset: int) -> dt.date:
    return day(offset, ON)


@pytest.fixture()
def workbook(tmp_path: Path) -> Path:
    return agenda_workbook(tmp_path / "agenda.xlsx")


def agenda_workbook(path: Path, **values: object) -> Path:
    en = "en"
    clients = [
        client("C1", "Anna", birthday=dt.date(1980, 6, 15)),  # birthday in 5 days, turns 47
        client("C2", "Anna"),
        client("C3", "Boris", birthday=dt.date(1990, 8, 30)),  # beyond the 14-day horizon
        client("C4", "Boris", designation=schema.VIP.en),
        client("C5", "Boris"),
        client("C6", "Anna", birthday=dt.date(1970, 6, 10)),  # birthday today
        client("C8", "Clara / Sales: North"),
    ]
    contacts = [{"client_id": "C2", "name": "Eve", "birthday": dt.date(1996, 6, 18)}]
    call, meeting = schema.CALL_OUT.en, schema.MEETING.en
    log = [
        {"date": on(-10), "client_id": "C1", "type": call, "next_action": "Send offer", "next_date": on(-2)},
        {"date": on(-5), "client_id": "C2", "type": meeting, "next_action": "Call back", "next_date": on(3)},
        {"date": on(-20), "client_id": "C3", "type": call, "next_date": on(30)},  # beyond the horizon
        {"date": on(-3), "client_id": "C4", "type": call, "next_action": "Agree terms", "next_date": on(-1)},
        {"date": on(-4), "client_id": "C5", "type": call, "next_date": on(2)},
        {"date": on(-1), "client_id": "C6", "type": call},
        {"date": on(-5), "client_id": "C8", "type": call, "next_date": on(1)},
    ]
    return write_records(
        path,
        en,
        {
            schema.CLIENTS.key: clients,
            schema.CONTACTS.key: contacts,
            schema.INTERACTIONS.key: log,
            schema.SETTINGS.key: settings_records(
                en, {"managers": ["Anna", "Boris", "Clara / Sales: North", "Dmitry"]}, values
            ),
        },
    )


def test_agenda_of_a_workbook(workbook: Path) -> None:
    agenda = workbook_agenda(workbook, today=ON).agenda
    assert rows_of(agenda) == [
        ("Anna", "now", "C1", on(-2), 2, ("plan",)),
        ("Anna", "now", "C6", ON, 0, ("birthday",)),
        ("Anna", "upcoming", "C2", on(3), None, ("plan",)),
        ("Anna", "upcoming", "C1", on(5), None, ("birthday",)),
        ("Anna", "upcoming", "C2", on(8), None, ("contact_birthday",)),
        ("Boris", "now", "C4", on(-1), 1, ("plan",)),
        ("Boris", "upcoming", "C5", on(2), None, ("plan",)),
        ("Clara / Sales: North", "upcoming", "C8", on(1), None, ("plan",)),
    ]
    assert agenda.items.iloc[0]["reasons"] == "Planned contact: Send offer"
    assert agenda.items.iloc[0]["last_contact"] == pd.Timestamp(on(-10))


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_agenda_sheet_in_the_workbook_language(tmp_path: Path, locale: str) -> None:
    clients = [client(f"C{n}", "Anna" if n < 5 else "Boris") for n in range(1, 8)]
    log = [
        {"date": on(-10), "client_id": f"C{n}", "type": schema.CALL_OUT.name(locale), "next_date": on(-n)}
        for n in range(1, 8)
    ]
    path = write_records(
        tmp_path / "book.xlsx",
        locale,
        {
            schema.CLIENTS.key: clients,
            schema.INTERACTIONS.key: log,
            schema.SETTINGS.key: settings_records(locale, {"managers": ["Anna", "Boris"]}, {"agenda_limit": 3}),
        },
    )
    refresh_workbook(path, today=ON)
    sheet = openpyxl.load_workbook(path)[schema.AGENDA.name(locale)]
    rows = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    words = {
        "ru": (
            "Менеджер",
            "На листе",
            "Не показано",
            "Раздел",
            "Срок",
            "Дней просрочки",
            "Что сделать",
            "Сделать сейчас",
        ),
        "en": ("Manager", "On the sheet", "Not shown", "Part", "Due date", "Days late", "What to do", "To do now"),
    }[locale]
    assert rows[4] == [words[0], words[1], words[2], rows[4][3]]
    assert rows[5] == ["Anna", 3, 1, 0] and rows[6] == ["Boris", 3, 0, 0]
    header = rows[9]
    assert header[0] == words[0] and header[1:4] == list(words[3:6]) and header[-1] == words[6]
    body = rows[10:]
    assert [row[0] for row in body] == ["Anna"] * 3 + ["Boris"] * 3
    assert body[0][1] == words[7] and body[0][3] == 4  # C4, the longest late of Anna's
    assert [brk.id for brk in sheet.row_breaks.brk] == [7, 13]  # the summary, then a page per manager


def cli_agenda(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["agenda", *map(str, args), "--today", ON.isoformat()])
    return result.exit_code, result.output


def test_cli_prints_the_capped_view_with_counts_and_all_with_all(tmp_path: Path) -> None:
    limited = agenda_workbook(tmp_path / "limited.xlsx", agenda_limit=2)

    code, output = cli_agenda(limited, "--manager", " anna ")
    assert code == 0, output
    assert output.splitlines() == [
        "Anna: 5 in all, 2 on the sheet, 0 long overdue",
        "  To do now",
        "    08.06.2027    2  C1 Company C1 +7 916 123-45-67 — Planned contact: Send offer",
        "    10.06.2027    0  C6 Company C6 +7 916 123-45-67 — Birthday: turns 57",
        "  3 more rows not shown (--all lists them)",
    ]
    code, everything = cli_agenda(limited, "--manager", "Anna", "--all")
    assert code == 0 and len(everything.splitlines()) == 1 + 1 + 2 + 1 + 3
    assert "  Coming up" in everything and "not shown" not in everything

    code, printed = cli_agenda(limited, "--json")
    payload = json.loads(printed)
    assert payload["managers"][0] == {"manager": "Anna", "on_sheet": 2, "not_shown": 3, "stale": 0}
    assert [(i["client_id"], i["part"], i["shown"]) for i in payload["items"] if i["manager"] == "Anna"] == [
        ("C1", "now", True),
        ("C6", "now", True),
        ("C2", "upcoming", False),
        ("C1", "upcoming", False),
        ("C2", "upcoming", False),
    ]


def test_json_matches_library(workbook: Path) -> None:
    code, output = cli_agenda(workbook, "--json")
    assert code == 0, output
    assert json.loads(output) == json.loads(json.dumps(workbook_agenda(workbook, today=ON).to_dict()))


def events_of(path: Path) -> list[ics.Event]:
    return sorted(ics.Calendar(path.read_text(encoding="utf-8")).events, key=lambda e: (e.begin, e.name))


def test_one_calendar_per_manager_in_a_folder(workbook: Path, tmp_path: Path) -> None:
    folder = tmp_path / "calendars"
    code, output = cli_agenda(workbook, "--ics", folder)
    assert code == 0, output
    # Every known manager gets a calendar, Dmitry (nothing to do today) an empty one.
    assert sorted(p.name for p in folder.iterdir()) == [
        "Anna.ics",
        "Boris.ics",
        "Clara _ Sales_ North.ics",
        "Dmitry.ics",
    ]
    assert output.splitlines()[-4:] == [
        f"Wrote 5 events to {folder / 'Anna.ics'}",
        f"Wrote 2 events to {folder / 'Boris.ics'}",
        f"Wrote 1 event to {folder / 'Clara _ Sales_ North.ics'}",
        f"Wrote 0 events to {folder / 'Dmitry.ics'}",
    ]
    anna = events_of(folder / "Anna.ics")
    assert [(e.begin.date(), e.name) for e in anna] == [
        (ON, "Birthday: Company C6"),
        (ON, "Planned contact: Company C1"),  # overdue: on today, still to do
        (on(3), "Planned contact: Company C2"),
        (on(5), "Birthday: Company C1"),
        (on(8), "Birthday of a contact person: Company C2"),
    ]
    assert all(e.all_day for e in anna)
    # A single reminder a day, at 9:00, saying how many tasks the day holds.
    alarms = [(e.begin.date(), a.trigger, a.display_text) for e in anna for a in e.alarms]
    assert sorted(alarms) == [
        (ON, dt.timedelta(hours=9), "2 tasks on the agenda"),
        (on(3), dt.timedelta(hours=9), "1 task on the agenda"),
        (on(5), dt.timedelta(hours=9), "1 task on the agenda"),
        (on(8), dt.timedelta(hours=9), "1 task on the agenda"),
    ]
    assert "Send offer" in anna[1].description and "+7 916 123-45-67" in anna[1].description
    assert [(e.begin.date(), e.name) for e in events_of(folder / "Boris.ics")] == [
        (ON, "Planned contact: Company C4"),
        (on(2), "Planned contact: Company C5"),
    ]


def test_uids_stay_the_same_on_a_rerun_and_the_next_day(workbook: Path, tmp_path: Path) -> None:
    first, again, tomorrow = tmp_path / "1", tmp_path / "2", tmp_path / "3"
    workbook_agenda(workbook, today=ON, ics=first)
    workbook_agenda(workbook, today=ON, ics=again)
    workbook_agenda(workbook, today=on(1), ics=tomorrow)
    assert (first / "Anna.ics").read_bytes() == (again / "Anna.ics").read_bytes()
    today_events = {e.uid: (e.begin.date(), e.name) for e in events_of(first / "Anna.ics")}
    next_events = {e.uid: (e.begin.date(), e.name) for e in events_of(tomorrow / "Anna.ics")}
    assert len(today_events) == 5
    # The overdue plan is the same row the next day: same UID, moved to the new today; the upcoming rows keep
    # theirs and their days; today's birthday is gone.
    overdue = next(uid for uid, (_, name) in today_events.items() if name == "Planned contact: Company C1")
    assert next_events[overdue] == (on(1), "Planned contact: Company C1")
    upcoming = {uid: event for uid, event in today_events.items() if event[0] > ON}
    assert {uid: next_events[uid] for uid in upcoming} == upcoming
    assert set(next_events) == set(today_events) - {
        uid for uid, (_, name) in today_events.items() if name == "Birthday: Company C6"
    }


def test_a_manager_calendar_to_a_file_or_into_a_folder(workbook: Path, tmp_path: Path) -> None:
    target = tmp_path / "anna.ics"
    code, output = cli_agenda(workbook, "--manager", "anna", "--ics", target)
    assert code == 0, output
    assert output.endswith(f"Wrote 5 events to {target}\n") and len(events_of(target)) == 5
    code, output = cli_agenda(workbook, "--manager", "clara / sales: north", "--ics", tmp_path)
    assert code == 0, output
    assert len(events_of(tmp_path / "Clara _ Sales_ North.ics")) == 1
    code, output = cli_agenda(workbook, "--manager", "Dmitry", "--ics", tmp_path)
    assert code == 0 and output.endswith(f"Wrote 0 events to {tmp_path / 'Dmitry.ics'}\n")
    assert events_of(tmp_path / "Dmitry.ics") == []


@pytest.mark.parametrize("name", ["agenda.ics", "existing.txt"])
def test_a_file_without_manager_is_a_usage_error(workbook: Path, tmp_path: Path, name: str) -> None:
    (tmp_path / "existing.txt").write_text("mine", encoding="utf-8")
    code, output = cli_agenda(workbook, "--ics", tmp_path / name)
    assert code == 2
    assert output == (
        f"Error: --ics '{tmp_path / name}': without --manager the agenda writes one calendar per manager into a "
        "folder; give a folder, or add --manager to write one manager's file\n"
    )
    assert (tmp_path / "existing.txt").read_text(encoding="utf-8") == "mine"


def test_calendar_file_names_are_safe_on_windows() -> None:
    assert calendar_file_name("Anna Petrova") == "Anna Petrova.ics"
    assert calendar_file_name('A<b>:"c"/d\\e|f?g*') == "A_b___c__d_e_f_g_.ics"
    assert calendar_file_name("con") == "_con.ics" and calendar_file_name("Lpt1.x") == "_Lpt1.x.ics"
    assert calendar_file_name("Ivan. ") == "Ivan.ics" and calendar_file_name("...") == "agenda.ics"


def test_calendar_files_of_managers_whose_names_clash_on_windows() -> None:
    names = calendar_file_names(["Anna", "anna", "A/B", "A:B"])
    assert list(names.values()) == ["Anna.ics", "anna-2.ics", "A_B.ics", "A_B-2.ics"]


def test_unknown_manager_is_a_usage_error(workbook: Path) -> None:
    code, output = cli_agenda(workbook, "--manager", "Anya")
    assert code == 2
    assert output == (
        "Error: no manager named 'Anya' in the workbook; managers: Anna, Boris, Clara / Sales: North, Dmitry\n"
    )


def test_a_manager_with_nothing_to_do(workbook: Path) -> None:
    code, output = cli_agenda(workbook, "--manager", "dmitry")
    assert code == 0
    assert output == "Nothing on the agenda.\n"


def test_missing_workbook(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["agenda", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "no such file" in result.output
