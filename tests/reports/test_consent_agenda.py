"""The agenda asks managers to collect consent: joined to a client's row whenever the client is on the agenda for
something else, a row of its own only when it is due (``CONSENT_AFTER_DAYS`` after Created), for clients not Dead,
a few per manager. Through the library and ``xlcrm agenda --json``; the Dashboard line through ``xlcrm refresh``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, write_records
from xlcrm import schema
from xlcrm.checks.settings import read_settings
from xlcrm.cli.main import cli
from xlcrm.lifecycle.blocks import compute_lifecycle
from xlcrm.lifecycle.frames import build_frames
from xlcrm.reports.agenda import CONSENT_ROWS_PER_MANAGER, Agenda, build_agenda
from xlcrm.reports.consent import CONSENT, CONSENT_AFTER_DAYS
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
DUE = CONSENT_AFTER_DAYS  # created this many days ago: consent due today


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def client(
    client_id: str,
    created: int,
    company: str | None = None,
    consent: dt.date | None = None,
    designation: schema.ListValue | None = None,
    manager: str = "Anna",
) -> dict[str, object]:
    return {
        "client_id": client_id,
        "name": f"Person {client_id}",
        "company": company,
        "phone": "+7 916 123-45-67",
        "manager": manager,
        "designation": designation.name("en") if designation else None,
        "lost_reason": schema.DEFAULT_LOST_REASONS[0].name("en") if designation is schema.LOST else None,
        "consent_date": consent,
        "created": ago(created),
    }


def call(client_id: str, days_ago: int, **cells: object) -> dict[str, object]:
    return {
        "date": ago(days_ago),
        "client_id": client_id,
        "type": schema.CALL_OUT.name("en"),
        "manager": "Anna",
        **cells,
    }


# Every client was called yesterday (no first contact is due) unless its log says otherwise.
CLIENTS = [
    client("day_before", DUE - 1),
    client("due_today", DUE),
    client("given", DUE + 30, consent=ago(DUE + 30)),
    client("company", DUE + 30, company="ООО «Ромашка»"),
    client("sole_trader", DUE + 1, company="ИП Тарасова М.С."),
    client("lost", DUE + 30, designation=schema.LOST),
    client("planned_new", 2),  # consent not due yet, but a plan today brings the client up
    client("upcoming", 2),  # a plan in five days
    client("dead", 800),  # a former client silent two years: Dead, no reactivation this week (the Setting is 0)
]
LOG = [
    *(call(str(c["client_id"]), 1) for c in CLIENTS if c["client_id"] not in ("planned_new", "upcoming", "dead")),
    call("planned_new", 1, next_date=TODAY, next_action="Send the offer"),
    call("upcoming", 1, next_date=ago(-5), next_action="Call again"),
    {"date": ago(790), "client_id": "dead", "type": schema.ORDER.name("en"), "amount": 100, "manager": "Anna"},
    call("dead", 700),
]


def workbook(path: Path, clients: list[dict[str, object]], log: list[dict[str, object]], required: str = "Yes") -> Path:
    managers = sorted({str(c["manager"]) for c in clients})
    values = {"consent_required": required, "reactivations_per_week": 0}
    records = {
        schema.CLIENTS.key: clients,
        schema.INTERACTIONS.key: log,
        schema.SETTINGS.key: settings_records("en", {"managers": managers}, values),
    }
    return write_records(path, "en", records)


def agenda_of(path: Path) -> Agenda:
    data = read_workbook(path)
    settings, _ = read_settings(data)
    frames = build_frames(data)
    return build_agenda(frames, compute_lifecycle(frames, settings, TODAY))


def rows(agenda: Agenda) -> dict[str, tuple[tuple[str, ...], str, str]]:
    """Client -> (its tasks, part, reasons) of the agenda's rows."""
    items = agenda.items
    return {
        str(item.client_id): (tuple(item.tasks), str(item.part), str(item.reasons))
        for item in items.itertuples(index=False)
    }


@pytest.fixture(scope="module")
def agenda(tmp_path_factory: pytest.TempPathFactory) -> Agenda:
    return agenda_of(workbook(tmp_path_factory.mktemp("consent") / "clients.xlsx", CLIENTS, LOG))


def test_a_row_of_its_own_on_the_day_consent_is_due_not_the_day_before(agenda: Agenda) -> None:
    found = rows(agenda)
    assert "day_before" not in found
    created = f"{ago(DUE).day} {ago(DUE):%B} {ago(DUE).year}"
    assert found["due_today"] == ((CONSENT,), "now", f"Collect consent to personal data: in the base since {created}")
    assert found["sole_trader"][0] == (CONSENT,)


def test_no_consent_task_for_consent_given_a_company_a_lost_or_a_dead_client(agenda: Agenda) -> None:
    found = rows(agenda)
    for client_id in ("given", "company", "lost", "dead"):
        assert client_id not in found, client_id


def test_a_client_on_the_agenda_for_something_else_is_asked_on_that_row_even_before_it_is_due(agenda: Agenda) -> None:
    found = rows(agenda)
    assert found["planned_new"][:2] == (("plan", CONSENT), "now")
    assert found["planned_new"][2].startswith("Planned contact: Send the offer; Collect consent to personal data")
    assert found["upcoming"][:2] == (("plan", CONSENT), "upcoming")
    assert len(agenda.items) == len(found)  # one row per client: the consent task made none of its own


def test_consent_comes_last_among_a_rows_reasons_and_its_rows_after_the_others(agenda: Agenda) -> None:
    now = agenda.items[agenda.items["part"] == "now"]
    # The plan first; then the consent rows, the later first, as any rows of one urgency.
    assert list(now["client_id"]) == ["planned_new", "sole_trader", "due_today"]


def test_at_most_a_few_rows_of_their_own_per_manager_the_newest_clients_first(tmp_path: Path) -> None:
    many = [client(f"c{days:03d}", days) for days in range(DUE, DUE + 10)]
    other = [client("boris", DUE + 50, manager="Boris")]
    log = [call(str(c["client_id"]), 1) for c in many + other]
    agenda = agenda_of(workbook(tmp_path / "many.xlsx", many + other, log))
    found = rows(agenda)
    anna = [client_id for client_id in found if client_id != "boris"]
    assert sorted(anna) == [f"c{days:03d}" for days in range(DUE, DUE + CONSENT_ROWS_PER_MANAGER)]
    assert "boris" in found  # another manager has rows of their own


def test_no_consent_reason_anywhere_when_the_setting_says_no(tmp_path: Path) -> None:
    agenda = agenda_of(workbook(tmp_path / "no.xlsx", CLIENTS, LOG, required="No"))
    assert all(CONSENT not in tasks for tasks in agenda.items["tasks"])
    assert set(agenda.items["client_id"]) == {"planned_new", "upcoming"}


def test_the_agenda_command_says_it_in_russian(tmp_path: Path) -> None:
    clients = [client("due_today", DUE)]
    clients[0]["manager"] = "Анна"
    records = {
        schema.CLIENTS.key: clients,
        schema.INTERACTIONS.key: [call("due_today", 1, type=schema.CALL_OUT.name("ru"), manager="Анна")],
        schema.SETTINGS.key: settings_records("ru", {"managers": ["Анна"]}),
    }
    path = write_records(tmp_path / "ru.xlsx", "ru", records)
    result = CliRunner().invoke(cli, ["agenda", str(path), "--today", TODAY.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    [item] = json.loads(result.output)["items"]
    assert item["tasks"] == [CONSENT]
    assert item["reasons"] == f"Получить согласие на обработку ПДн: в базе с {ago(DUE).day} ноября 2026"


def test_the_dashboard_counts_the_clients_without_consent(tmp_path: Path) -> None:
    path = workbook(tmp_path / "dash.xlsx", CLIENTS, LOG)
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(path)[schema.DASHBOARD.name("en")]
    values = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    # day_before, due_today, sole_trader, planned_new, upcoming and dead: persons without consent, not Lost.
    assert ["Clients who are persons, without a Consent date: collect consent before mailings", 6] in values
    assert ["Consent to process personal data"] in values


def test_the_dashboard_has_no_consent_line_when_the_setting_says_no(tmp_path: Path) -> None:
    path = workbook(tmp_path / "dash.xlsx", CLIENTS, LOG, required="No")
    assert CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat()]).exit_code == 0
    sheet = openpyxl.load_workbook(path)[schema.DASHBOARD.name("en")]
    assert all("Consent to process personal data" not in row for row in sheet.iter_rows(values_only=True)), (
        "a consent table although consent is not required"
    )
