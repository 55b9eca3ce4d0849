"""Contracts on the agenda and on Clients, through a real refresh: «contract ends in N days» up to
``contract_end_days`` ahead, «expired but still Active» as long after, one row per client and day, the calendar,
and the two computed columns of Clients in a new and in an older workbook."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from icalendar import Calendar
from openpyxl import load_workbook

from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.lifecycle.analysis import analyse
from xlcrm.reports.agenda import TASK_NAMES, Agenda, agenda_calendars, build_agenda
from xlcrm.reports.contract_tasks import CONTRACT_ENDS, CONTRACT_EXPIRED
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 12, 3)
MANAGER = {"en": "Anna", "ru": "Анна"}


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def client(client_id: str, locale: str, **values: object) -> dict[str, object]:
    """A client created today with consent given: nothing else of it is due, so only its contracts come up."""
    return {
        "client_id": client_id,
        "name": f"Person {client_id}",
        "company": f"Company {client_id}",
        "manager": MANAGER[locale],
        "created": TODAY,
        "consent_date": TODAY,
        **values,
    }


def contract(contract_id: str, client_id: str, **values: object) -> dict[str, object]:
    return {"contract_id": contract_id, "client_id": client_id, **values}


# ClientID -> its contracts; the name says what the agenda should do with them (contract_end_days = 30).
CONTRACTS = {
    "C01": [contract("D01", "C01", number="12/26", subject="Paper supply", valid_until=day(30))],  # the last day
    "C02": [contract("D02", "C02", valid_until=day(31))],  # one day too early
    "C03": [contract("D03", "C03", number="7", valid_until=day(0))],  # ends today
    "C04": [contract("D04", "C04", subject="Audit", valid_until=day(-1))],  # ended yesterday, still Active
    "C05": [contract("D05", "C05", valid_until=day(-30))],  # ended 30 days ago: still listed
    "C06": [contract("D06", "C06", valid_until=day(-31))],  # 31 days ago: left alone
    "C07": [contract("D07", "C07", status=schema.CONTRACT_DRAFT, valid_until=day(3))],
    "C08": [contract("D08", "C08", status=schema.CONTRACT_CLOSED, valid_until=day(-1))],
    "C09": [  # an annex puts the end off beyond the window
        contract("D09", "C09", valid_until=day(5)),
        contract("A09", "C09", parent_id="D09", valid_until=day(200)),
    ],
    "C10": [contract("A10", "C10", parent_id="D99", valid_until=day(5))],  # an annex alone is no contract
    "C11": [  # two contracts ending and one expired: one row, every reason, the expired first
        contract("D11", "C11", number="1", valid_until=day(20)),
        contract("E11", "C11", number="2", valid_until=day(2)),
        contract("F11", "C11", number="3", valid_until=day(-3)),
    ],
}


def workbook(folder: Path, locale: str, **extra: list[dict[str, object]]) -> Path:
    """The template in ``locale`` with the clients of CONTRACTS (C11 marked Lost) and their contracts."""

    def cells(row: dict[str, object]) -> dict[str, object]:
        return {key: value.name(locale) if isinstance(value, schema.ListValue) else value for key, value in row.items()}

    clients = [client(client_id, locale) for client_id in CONTRACTS]
    clients[-1]["designation"] = schema.LOST.name(locale)  # a Lost client's contract ends all the same
    contracts = [cells(row) for rows in CONTRACTS.values() for row in rows]
    book = build_workbook(
        locale, rows={"clients": clients, "contracts": contracts, **extra}, lists={"managers": [MANAGER[locale]]}
    )
    path = folder / f"contracts-{locale}.xlsx"
    book.save(path)
    return path


def agenda_of(path: Path, today: dt.date = TODAY) -> Agenda:
    analysis = analyse(read_workbook(path), today)
    return build_agenda(analysis.frames, analysis.lifecycle)


def test_contracts_come_up_within_contract_end_days_before_and_after_their_end(tmp_path: Path) -> None:
    items = agenda_of(workbook(tmp_path, "en")).items.set_index("client_id")
    assert sorted(items.index) == ["C01", "C03", "C04", "C05", "C11"]
    assert items.loc["C01", "reasons"] == "Contract ends soon: No. 12/26 “Paper supply”, in 30 days (2 January 2027)"
    assert items.loc["C03", "reasons"] == "Contract ends soon: No. 7, today (3 December 2026)"
    expired = TASK_NAMES[CONTRACT_EXPIRED].render("en")
    assert items.loc["C04", "reasons"] == f"{expired}: D04 “Audit”, ended 2 December 2026"
    assert items.loc["C05", "reasons"] == f"{expired}: D05, ended 3 November 2026"
    # Due contract_end_days before the end: late by how long the reminder has waited, whichever side of the end.
    assert items.loc["C01", "part"] == "now" and items.loc["C01", "due"] == pd.Timestamp(TODAY)
    assert items.loc["C01", "days_late"] == 0
    assert items.loc["C03", "days_late"] == 30
    assert items.loc["C04", "due"] == pd.Timestamp(day(-31)) and items.loc["C04", "days_late"] == 31
    assert items.loc["C05", "days_late"] == 60 and items.loc["C05", "part"] == "now"  # stale after 60, not at 60
    assert items.loc["C11", "tasks"] == (CONTRACT_EXPIRED, CONTRACT_ENDS, CONTRACT_ENDS)
    assert items.loc["C11", "details"] == (
        "No. 3, ended 30 November 2026",
        "No. 2, in 2 days (5 December 2026)",
        "No. 1, in 20 days (23 December 2026)",
    )


def test_the_reminder_follows_the_setting(tmp_path: Path) -> None:
    path = workbook(tmp_path, "en")
    book = load_workbook(path)
    settings = book[schema.SETTINGS.en]
    [row] = [cell.row for cell in settings["A"] if cell.value == "contract_end_days"]
    settings.cell(row, 3).value = 2  # Key, Setting, Value
    book.save(path)
    items = agenda_of(path).items.set_index("client_id")
    assert sorted(items.index) == ["C03", "C04", "C11"]  # C05 ended 30 days ago, C01 ends in 30
    assert items.loc["C11", "tasks"] == (CONTRACT_ENDS,)  # No. 3 ended 3 days ago, No. 1 ends in 20


def test_contract_reasons_join_the_clients_other_reasons_in_one_row(tmp_path: Path) -> None:
    plan = {"date": day(-5), "client_id": "C03", "type": schema.CALL_OUT.en, "next_date": day(-1)}
    plan["next_action"] = "Send the invoice"
    agenda = agenda_of(workbook(tmp_path, "en", interactions=[plan]))
    [row] = agenda.items[agenda.items["client_id"] == "C03"].itertuples()
    assert row.tasks == ("plan", CONTRACT_ENDS)
    assert row.reasons == "Planned contact: Send the invoice; Contract ends soon: No. 7, today (3 December 2026)"


def test_the_calendar_carries_the_contract_like_any_task(tmp_path: Path) -> None:
    [(content, events)] = agenda_calendars(agenda_of(workbook(tmp_path, "en"))).values()
    summaries = {
        str(event["summary"]): str(event["description"]) for event in Calendar.from_ical(content).walk("VEVENT")
    }
    assert events == 5
    assert summaries["Contract ends soon: Company C01"].startswith("Contract ends soon: No. 12/26")


def computed(path: Path, locale: str) -> dict[str, dict[str, object]]:
    """ClientID -> header -> value of the Clients computed columns (blank cells left out)."""
    sheet = load_workbook(path)[schema.CLIENTS.name(locale)]
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[0])
    wanted = [schema.REPORT_MARKER + column.name(locale) for column in schema.CLIENT_COMPUTED_COLUMNS]
    return {
        str(row[0]): {header: row[headers.index(header)] for header in wanted if row[headers.index(header)] is not None}
        for row in rows[1:]
        if row[0] is not None
    }


def test_refresh_writes_the_contract_columns_and_the_agenda_in_russian(tmp_path: Path) -> None:
    path = workbook(tmp_path, "ru")
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    count, ends = (
        schema.REPORT_MARKER + column.ru
        for column in schema.CLIENT_COMPUTED_COLUMNS
        if column.key in ("active_contracts", "contract_ends")
    )
    assert (count, ends) == ("▸ Действующих договоров", "▸ Договор до")
    figures = {client_id: (cells.get(count), cells.get(ends)) for client_id, cells in computed(path, "ru").items()}
    midnight = dt.datetime.combine
    assert figures == {
        "C01": (1, midnight(day(30), dt.time())),
        "C02": (1, midnight(day(31), dt.time())),
        "C03": (1, midnight(day(0), dt.time())),
        "C04": (None, None),  # expired: no contract in force, blank rather than 0
        "C05": (None, None),
        "C06": (None, None),
        "C07": (None, None),
        "C08": (None, None),
        "C09": (1, midnight(day(200), dt.time())),  # the annex's end
        "C10": (None, None),
        "C11": (2, midnight(day(2), dt.time())),
    }
    sheet = load_workbook(path)[schema.AGENDA.name("ru")]
    reasons = {row[5]: row[9] for row in sheet.iter_rows(values_only=True) if row[0] == MANAGER["ru"] and row[5]}
    assert reasons["C01"] == "Договор заканчивается: № 12/26 «Paper supply», через 30 дней (2 января 2027)"
    assert reasons["C03"] == "Договор заканчивается: № 7, сегодня (3 декабря 2026)"
    assert (
        reasons["C04"]
        == "Договор истёк, но числится действующим — продлить или закрыть: D04 «Audit», срок истёк 2 декабря 2026"
    )
    assert reasons["C11"].count("через") == 2 and "через 2 дня" in reasons["C11"]
    assert set(reasons) == {"C01", "C03", "C04", "C05", "C11"}


def test_the_next_refresh_updates_the_columns_and_an_older_workbook_gains_them(tmp_path: Path) -> None:
    path = workbook(tmp_path, "en")
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    # An older workbook: refreshed by a version without the contract columns (nor the later ones after them).
    book = load_workbook(path)
    sheet = book[schema.CLIENTS.en]
    headers = [cell.value for cell in sheet[1]]
    first = headers.index("▸ Active contracts")
    sheet.delete_cols(first + 1, len(headers) - first)
    book.save(path)
    later = day(4)  # C03 ended, C11's No. 2 is the next to end no more
    result = refresh_workbook(path, today=later, save=SaveOptions(keep_backups=0))
    assert result.added_columns[:2] == ("▸ Active contracts", "▸ Contract ends")
    figures = computed(path, "en")
    assert figures["C01"]["▸ Active contracts"] == 1
    assert "▸ Active contracts" not in figures["C03"] and "▸ Contract ends" not in figures["C03"]
    assert figures["C11"]["▸ Contract ends"] == dt.datetime(2026, 12, 23)
    assert figures["C11"]["▸ Active contracts"] == 1
    # Every other computed column is where it was; the new ones come after them.
    headers = [cell.value for cell in load_workbook(path)[schema.CLIENTS.en][1]]
    assert headers[-len(schema.CLIENT_COMPUTED_COLUMNS) :] == [
        schema.REPORT_MARKER + column.en for column in schema.CLIENT_COMPUTED_COLUMNS
    ]


def test_the_database_export_carries_the_contract_figures(tmp_path: Path) -> None:
    target = tmp_path / "base.sqlite"
    result = CliRunner().invoke(
        cli, ["export", str(workbook(tmp_path, "en")), "--sqlite", str(target), "--today", TODAY.isoformat()]
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as connection:
        rows = connection.execute(
            "SELECT client_id, active_contracts, contract_ends FROM client_lifecycle "
            "WHERE client_id IN ('C01', 'C04', 'C11') ORDER BY client_id"
        ).fetchall()
    # In the database a client without a contract in force has 0: a count to sum, not a cell to read.
    assert rows == [("C01", 1, "2027-01-02"), ("C04", 0, None), ("C11", 2, "2026-12-05")]
