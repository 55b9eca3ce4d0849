"""«Payment overdue» on the agenda, through a real refresh and ``xlcrm agenda`` (its ``--json`` and its calendars):
the term's boundaries, a client's own term over the setting, exact, partial and over-payments, payments without an
Order No. settling the oldest orders first, a refund opening a debt again, and where the task stands among the
others."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from icalendar import Calendar

from tests.reports.test_receivables import TODAY, WORDS, Row, Words, day, refresh, workbook
from xlcrm.cli.main import cli
from xlcrm.lifecycle.analysis import analyse
from xlcrm.reports.agenda import TASKS, build_agenda
from xlcrm.reports.contract_tasks import CONTRACT_EXPIRED
from xlcrm.reports.payment_tasks import PAYMENT_OVERDUE
from xlcrm.xlsx.reader import read_workbook

# ClientID -> its own cells on Clients; the name says what the agenda should make of its rows below.
CLIENTS: dict[str, dict[str, object]] = {
    "T13": {},  # an order 13 days ago, with the term of 14: not due yet
    "T14": {},  # 14 days ago: due today, on time
    "T15": {},  # 15 days ago: 1 day overdue
    "OWN30": {"payment_term": 30},  # its own term: 20 days is on time, though the setting says overdue
    "OWN0": {"payment_term": 0},  # pays on the day: yesterday's order is 1 day overdue
    "EXACT": {},
    "PARTIAL": {"manager": 1},
    "OVER": {},
    "OLDEST": {},
    "REFUND": {},
    "TWO": {},
    "OLD": {},  # overdue for half a year: still to do now, never long overdue
}
ROWS = [
    Row("T13", "order", 13, 1000.0),
    Row("T14", "order", 14, 1000.0),
    Row("T15", "order", 15, 12500.0, "45"),
    Row("OWN30", "order", 20, 1000.0),
    Row("OWN0", "order", 1, 1000.0),
    Row("EXACT", "order", 40, 1000.0),
    Row("EXACT", "payment", 30, 1000.0),
    Row("PARTIAL", "order", 40, 1000.0),
    Row("PARTIAL", "payment", 30, 400.0),
    Row("OVER", "order", 40, 1000.0),
    Row("OVER", "payment", 30, 1500.0),
    Row("OLDEST", "order", 50, 1000.0, "1"),
    Row("OLDEST", "order", 20, 1000.0, "2"),
    Row("OLDEST", "payment", 10, 1000.0),  # no Order No.: settles No. 1, the oldest
    Row("REFUND", "order", 40, 1000.0),
    Row("REFUND", "payment", 30, 1000.0),
    Row("REFUND", "payment", 10, -300.0),  # money paid back: 300 of the order is open again
    Row("TWO", "order", 50, 2000.0),
    Row("TWO", "order", 30, 3000.0),
    Row("OLD", "order", 200, 700.0),
]
# ClientID -> (due days ago, the task's details in English, in Russian); the other clients get no task.
EXPECTED = {
    "T15": (
        1,
        "12,500.00 overdue by 1 day, order No. 45 of 18 November 2026",
        "12 500,00 просрочено на 1 день, заказ № 45 от 18 ноября 2026",
    ),
    "OWN0": (
        1,
        "1,000.00 overdue by 1 day, order of 2 December 2026",
        "1 000,00 просрочено на 1 день, заказ от 2 декабря 2026",
    ),
    "PARTIAL": (
        26,
        "600.00 overdue by 26 days, order of 24 October 2026",
        "600,00 просрочено на 26 дней, заказ от 24 октября 2026",
    ),
    "OLDEST": (
        6,
        "1,000.00 overdue by 6 days, order No. 2 of 13 November 2026",
        "1 000,00 просрочено на 6 дней, заказ № 2 от 13 ноября 2026",
    ),
    "REFUND": (
        26,
        "300.00 overdue by 26 days, order of 24 October 2026",
        "300,00 просрочено на 26 дней, заказ от 24 октября 2026",
    ),
    "TWO": (
        36,
        "5,000.00 overdue by 36 days, order of 14 October 2026 and 1 more",
        "5 000,00 просрочено на 36 дней, заказ от 14 октября 2026 и ещё 1",
    ),
    "OLD": (
        186,
        "700.00 overdue by 186 days, order of 17 May 2026",
        "700,00 просрочено на 186 дней, заказ от 17 мая 2026",
    ),
}


def plain(text: str) -> str:
    """``text`` with the no-break spaces Russian numbers are written with as plain spaces."""
    return text.replace("\xa0", " ")


@pytest.fixture(scope="module", params=["en", "ru"])
def refreshed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    locale = str(request.param)
    path = workbook(tmp_path_factory.mktemp("payments") / f"payments-{locale}.xlsx", locale, CLIENTS, ROWS)
    refresh(path, locale)
    return locale, path


def payment_items(path: Path) -> dict[str, tuple[dt.date, int, str]]:
    """ClientID -> (due, days late, details) of each row with a payment task, as the library makes the agenda."""
    analysis = analyse(read_workbook(path), TODAY)
    items = build_agenda(analysis.frames, analysis.lifecycle).items
    found = {}
    for row in items.itertuples():
        if PAYMENT_OVERDUE in row.tasks:
            found[row.client_id] = (row.due.date(), int(row.days_late), row.details[row.tasks.index(PAYMENT_OVERDUE)])
    return found


def test_the_agenda_lists_each_client_with_an_overdue_order_once(refreshed: tuple[str, Path]) -> None:
    locale, path = refreshed
    found = payment_items(path)
    assert sorted(found) == sorted(EXPECTED)  # not T13, T14, OWN30, EXACT, OVER
    for client_id, (ago, english, russian) in EXPECTED.items():
        due, late, details = found[client_id]
        assert (due, late) == (day(ago), ago), client_id
        assert plain(details) == (russian if locale == "ru" else english)


def test_the_agenda_sheet_names_the_task_for_the_clients_manager(refreshed: tuple[str, Path]) -> None:
    locale, path = refreshed
    words = WORDS[locale]
    sheet = openpyxl.load_workbook(path)[words.agenda]
    rows = {row[5]: row for row in sheet.iter_rows(values_only=True) if row[5] in CLIENTS}
    for client_id, (ago, english, russian) in EXPECTED.items():
        manager, _, due, late, *_, reasons = rows[client_id]
        assert manager == words.managers[int(str(CLIENTS[client_id].get("manager", 0)))]
        assert (due, late) == (dt.datetime.combine(day(ago), dt.time()), ago)  # a date cell, the days late
        assert f"{words.payment_overdue}: {russian if locale == 'ru' else english}" in plain(reasons)
    # The most urgent reason first: the debt before the second order the client is silent for.
    assert plain(rows["PARTIAL"][9]).startswith(words.payment_overdue)
    assert not any(words.payment_overdue in str(rows.get(client, ("",) * 10)[9]) for client in ("T13", "T14", "OVER"))


def test_a_payment_overdue_comes_after_a_lost_client_who_ordered_and_before_an_expired_contract() -> None:
    assert TASKS.index(PAYMENT_OVERDUE) == TASKS.index("check_status") + 1 == TASKS.index(CONTRACT_EXPIRED) - 1


def test_the_setting_sets_the_term_and_a_clients_own_term_wins(tmp_path: Path) -> None:
    rows = [Row("T8", "order", 8, 1000.0), Row("T7", "order", 7, 1000.0), Row("OWN30", "order", 20, 1000.0)]
    rows.append(Row("T7", "payment", 1, 1.0))
    clients = {"T8": {}, "T7": {}, "OWN30": {"payment_term": 30}}
    path = workbook(tmp_path / "term.xlsx", "en", clients, rows, settings={"payment_term_days": 7})
    found = payment_items(path)
    assert sorted(found) == ["T8"]
    assert found["T8"][1:] == (1, "1,000.00 overdue by 1 day, order of 25 November 2026")


def test_agenda_json_and_calendar_carry_the_task(refreshed: tuple[str, Path], tmp_path: Path) -> None:
    locale, path = refreshed
    words: Words = WORDS[locale]
    runner = CliRunner()
    result = runner.invoke(cli, ["agenda", str(path), "--today", TODAY.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    items = {item["client_id"]: item for item in json.loads(result.output)["items"]}
    item = items["T15"]
    assert item["tasks"] == [PAYMENT_OVERDUE] and item["due"] == day(1).isoformat() and item["days_late"] == 1
    ago, english, russian = EXPECTED["T15"]
    assert [plain(text) for text in item["details"]] == [russian if locale == "ru" else english]
    assert plain(item["reasons"]) == f"{words.payment_overdue}: {russian if locale == 'ru' else english}"

    result = runner.invoke(cli, ["agenda", str(path), "--today", TODAY.isoformat(), "--ics", str(tmp_path)])
    assert result.exit_code == 0, result.output
    calendar = Calendar.from_ical((tmp_path / f"{words.managers[0]}.ics").read_bytes())
    events = {str(event["uid"]): event for event in calendar.walk("VEVENT")}
    event = events["agenda-T15-open@xlcrm"]
    company = "ООО «T15»" if locale == "ru" else "T15 Ltd"
    assert str(event["summary"]) == f"{words.payment_overdue}: {company}"
    assert event["dtstart"].dt == TODAY  # overdue: to do today
    assert plain(str(event["description"])).startswith(
        f"{words.payment_overdue}: {russian if locale == 'ru' else english}"
    )


def test_a_debt_never_moves_to_the_long_overdue_part(refreshed: tuple[str, Path]) -> None:
    _locale, path = refreshed
    analysis = analyse(read_workbook(path), TODAY)
    items = build_agenda(analysis.frames, analysis.lifecycle).items
    [old] = items[items["client_id"] == "OLD"].itertuples()
    assert old.part == "now" and int(old.days_late) == 186
