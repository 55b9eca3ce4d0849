"""The demo workbook: realistic, deterministic, and validation finds exactly what was planted."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from stdnum.ru import inn as stdnum_inn

from tests.conftest import convert_with_libreoffice
from tests.paths import EXAMPLE
from xlcrm import schema
from xlcrm.checks.findings import Code
from xlcrm.checks.normalize import parse_date, parse_emails, parse_inn, parse_phones
from xlcrm.cli.main import cli
from xlcrm.create import demo, demo_contracts, demo_payments, template
from xlcrm.create.demo import DemoData, _next_anniversary, generate_demo
from xlcrm.errors import UsageError
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render
from xlcrm.reports.greetings import next_anniversary
from xlcrm.xlsx.refs import column_letter, sheet_ref

TODAY = dt.date(2026, 11, 23)
# How examples/demo.xlsx was made; examples/README.md shows the same command.
EXAMPLE_ARGS = {"clients": 120, "seed": 1, "locale": "ru", "today": TODAY}

CLIENTS, CONTACTS, INTERACTIONS = schema.CLIENTS.key, schema.CONTACTS.key, schema.INTERACTIONS.key


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate_demo(300, 1, "ru", TODAY)


def planted_cells(data: DemoData, sheet: schema.Sheet) -> set[tuple[int, str]]:
    """(row index in data.rows, column key) of every planted mistake on ``sheet``."""
    name = schema.sheet_by_key(sheet.key).name(data.locale)
    letters = {chr(65 + index): column.key for index, column in enumerate(schema.template_columns(sheet))}
    cells = set()
    for mistake in data.planted_mistakes:
        match = re.fullmatch(r"'?(.+?)'?!([A-Z])([0-9]+)", mistake.cell)
        assert match, mistake.cell
        if match[1] == name:
            cells.add((int(match[3]) - 2, letters[match[2]]))
    return cells


def cell_name(data: DemoData, sheet: schema.Sheet, index: int, column: str) -> str:
    """The cell of row ``index`` of data.rows and ``column`` as validation names it: "Клиенты!L93"."""
    return f"{sheet_ref(sheet.name(data.locale))}!{letter_of(sheet, column)}{index + 2}"


def letter_of(sheet: schema.Sheet, column: str) -> str:
    return column_letter([c.key for c in schema.template_columns(sheet)].index(column))


def clean_values(data: DemoData, sheet: schema.Sheet, column: str) -> list[object]:
    """Non-blank values of a column, without the planted mistakes."""
    planted = planted_cells(data, sheet)
    return [
        row[column]
        for index, row in enumerate(data.rows[sheet.key])
        if row[column] is not None and (index, column) not in planted
    ]


def client_histories(data: DemoData) -> dict[str, list[dict[str, object]]]:
    history: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in data.rows[INTERACTIONS]:
        history[str(row["client_id"])].append(row)
    return history


# --- determinism -----------------------------------------------------------------------------


def test_same_seed_and_today_give_the_same_data() -> None:
    assert generate_demo(120, 7, "ru", TODAY) == generate_demo(120, 7, "ru", TODAY)


def test_another_seed_or_today_gives_other_data() -> None:
    base = generate_demo(120, 7, "ru", TODAY)
    assert generate_demo(120, 8, "ru", TODAY).rows != base.rows
    assert generate_demo(120, 7, "ru", TODAY + dt.timedelta(days=1)).rows != base.rows


def test_both_locales_tell_the_same_story_in_their_own_words() -> None:
    ru, en = generate_demo(120, 3, "ru", TODAY), generate_demo(120, 3, "en", TODAY)
    assert [r["name"] for r in ru.rows[CLIENTS]] == [r["name"] for r in en.rows[CLIENTS]]
    logged = [v for v in schema.INTERACTION_TYPES if v is not schema.RETURN]  # the demo's clients return nothing
    assert {r["type"] for r in ru.rows[INTERACTIONS]} >= {v.ru for v in logged}
    assert {r["type"] for r in en.rows[INTERACTIONS]} >= {v.en for v in logged}
    sheets = (schema.CLIENTS, schema.INTERACTIONS, schema.CONTRACTS)
    assert {m.cell.split("!")[0] for m in en.planted_mistakes} == {sheet.en for sheet in sheets}
    assert {m.cell.split("!")[0] for m in ru.planted_mistakes} == {sheet.ru for sheet in sheets}
    assert [c.to_dict()["cell"] for c in ru.planted_contracts] == [
        c.to_dict()["cell"].replace(schema.CONTRACTS.en, schema.CONTRACTS.ru) for c in en.planted_contracts
    ]


@pytest.mark.parametrize(("clients", "locale"), [(5, "ru"), (120, "de")])
def test_bad_arguments_are_usage_errors(clients: int, locale: str) -> None:
    with pytest.raises(UsageError):
        generate_demo(clients, 1, locale, TODAY)


# --- realistic content ------------------------------------------------------------------------


def test_sizes_follow_the_request(data: DemoData) -> None:
    assert len(data.rows[CLIENTS]) == 300
    assert 3 <= len(data.lists["managers"]) <= 5
    assert len(data.rows[INTERACTIONS]) > 3 * 300
    assert 12 <= len(data.planted_mistakes) <= 40
    assert len(data.planted_duplicates) == 15  # 5 %
    assert len(data.lookalikes) >= 3


def test_companies_have_legal_forms_and_quotes_of_every_kind(data: DemoData) -> None:
    companies = [str(c) for c in clean_values(data, schema.CLIENTS, "company")]
    forms = Counter(company.split()[0] for company in companies)
    assert {"ООО", "ИП", "АО", "ЗАО", "ПАО"} <= set(forms)
    assert forms["ООО"] > forms["ИП"] > forms["АО"]
    for quotes in ("«", '"', "“"):
        assert any(quotes in company for company in companies)
    # Private persons: a name, no company.
    assert any(row["company"] is None for row in data.rows[CLIENTS])


def test_every_inn_is_valid_except_the_planted_ones(data: DemoData) -> None:
    planted = planted_cells(data, schema.CLIENTS)
    copies = {d.duplicate for d in data.planted_duplicates}  # their company may lack the legal form
    inns = []
    for index, row in enumerate(data.rows[CLIENTS]):
        if row["inn"] is None or (index, "inn") in planted:
            continue
        inn = str(row["inn"])
        assert stdnum_inn.is_valid(inn), row
        # 12 digits for an individual entrepreneur or a person, 10 for a company.
        if row["client_id"] not in copies:
            person = row["company"] is None or str(row["company"]).startswith("ИП")
            assert len(inn) == (12 if person else 10), row
        inns.append(inn)
    assert len(inns) > 200
    # Only a planted duplicate repeats an INN.
    repeated = {inn for inn, count in Counter(inns).items() if count > 1}
    clients = rows_by_id(data)
    assert repeated <= {clients[d.original]["inn"] for d in data.planted_duplicates}


def test_phones_and_emails_are_valid_in_the_many_forms_people_type(data: DemoData) -> None:
    phones = [str(p) for sheet in (schema.CLIENTS, schema.CONTACTS) for p in clean_values(data, sheet, "phone")]
    for phone in phones:
        assert parse_phones(phone).valid, phone
    assert any(p.startswith("8 (") for p in phones) and any(p.startswith("+7 ") for p in phones)
    assert any(re.fullmatch(r"8\d{10}", p) for p in phones)
    assert any("доб." in p for p in phones)
    assert any(len(parse_phones(p).numbers) == 2 for p in phones)
    emails = [e for sheet in (schema.CLIENTS, schema.CONTACTS) for e in clean_values(data, sheet, "email")]
    assert all(parse_emails(e).valid for e in emails)


def test_names_agree_in_gender(data: DemoData) -> None:
    people = [str(n) for n in clean_values(data, schema.CONTACTS, "name")]
    assert len(people) > 100
    for person in people:
        surname, first, patronymic = person.split()
        female = patronymic.endswith("на")
        assert (first in demo.vocab.FEMALE_NAMES) == female, person
        if surname.endswith(("ов", "ев", "ёв", "ин")):
            assert not female, person
        if surname.endswith(("ова", "ева", "ёва", "ина", "ская")):
            assert female, person


def test_list_values_and_dates_are_clean(data: DemoData) -> None:
    managers = set(data.lists["managers"])
    types = {v.ru for v in schema.INTERACTION_TYPES}
    services = {row["service"] for row in data.rows[schema.SERVICES.key]}
    planted = planted_cells(data, schema.INTERACTIONS)
    for index, row in enumerate(data.rows[INTERACTIONS]):
        assert row["manager"] in managers
        assert row["service"] is None or row["service"] in services
        if (index, "date") not in planted:
            assert isinstance(row["date"], dt.date) and TODAY - dt.timedelta(days=800) <= row["date"]
            # Only a meeting booked ahead is dated after today, and it has no result yet.
            assert row["date"] <= TODAY or (row["type"] == schema.MEETING.ru and row["result"] is None)
        if (index, "type") not in planted:
            assert row["type"] in types
        if row["next_date"] is not None:
            assert row["next_date"] > parse_date(row["date"]).date if (index, "date") not in planted else True
    for row in data.rows[CLIENTS]:
        assert row["manager"] in managers
        assert row["designation"] in (None, *(v.ru for v in schema.DESIGNATIONS))
        assert row.get("lost_reason") in (None, *(v.ru for v in schema.DEFAULT_LOST_REASONS))
        assert row.get("lost_reason") is None or row["designation"] == schema.LOST.ru
        assert isinstance(row["created"], dt.date) and row["created"] <= TODAY
    assert {row["decision_maker"] for row in data.rows[CONTACTS]} == {schema.YES.ru, schema.NO.ru}


def test_orders_are_priced_from_the_services(data: DemoData) -> None:
    prices = {row["service"]: row["price"] for row in data.rows[schema.SERVICES.key]}
    orders = [row for row in data.rows[INTERACTIONS] if row["type"] == schema.ORDER.ru]
    priced = [row for row in orders if isinstance(row["amount"], int) and row["amount"] > 0]
    assert len(priced) >= len(orders) - 2
    for row in priced:
        price = prices[row["service"]]
        quantity = row["amount"] / price
        # Price times quantity, or that with a 5 or 10 % discount.
        assert any(abs(quantity / factor - round(quantity / factor)) < 0.01 for factor in (1, 0.9, 0.95)), row


def test_every_lifecycle_situation_is_present(data: DemoData) -> None:
    history = client_histories(data)
    orders, agreements, last_contact = Counter(), set(), {}
    for client_id, rows in history.items():
        for row in rows:
            day = parse_date(row["date"]).date
            if row["type"] == schema.ORDER.ru:
                orders[client_id] += 1
            if row["type"] == schema.AGREEMENT.ru:
                agreements.add(client_id)
            if day:
                last_contact[client_id] = max(day, last_contact.get(client_id, day))
    ids = [str(row["client_id"]) for row in data.rows[CLIENTS] if row["client_id"]]
    assert any(orders[c] >= 10 for c in ids)
    assert any(3 <= orders[c] <= 9 for c in ids)
    assert any(1 <= orders[c] <= 2 for c in ids)
    assert any(orders[c] == 0 and c in agreements for c in ids)
    assert any(c not in history for c in ids)
    assert any(c in last_contact and (TODAY - last_contact[c]).days > 365 for c in ids)
    designations = Counter(row["designation"] for row in data.rows[CLIENTS])
    assert all(designations[value.ru] for value in schema.DESIGNATIONS)


def test_the_agenda_has_something_to_show(data: DemoData) -> None:
    next_dates = [row["next_date"] for row in data.rows[INTERACTIONS] if isinstance(row["next_date"], dt.date)]
    assert any(day < TODAY for day in next_dates) and any(day > TODAY for day in next_dates)
    birthdays = [b for b in clean_values(data, schema.CLIENTS, "birthday")]
    assert any(
        0 < (b.replace(year=TODAY.year) - TODAY).days <= 14
        for b in birthdays
        if isinstance(b, dt.date) and (b.month, b.day) != (2, 29)
    )
    assert all(b < TODAY for b in birthdays if isinstance(b, dt.date))


# --- planted cases: a client for every rule of the blocks and the agenda ----------------------------


def days(key: str) -> int:
    return int(schema.setting(key).default)


def saved_sheet(book: openpyxl.Workbook, spec: schema.Sheet, locale: str) -> list[dict[str, object]]:
    """The rows of a saved sheet, as dicts of schema column key -> value, dates as dates."""
    sheet = book[spec.name(locale)]
    names = {column.name(locale): column.key for column in schema.template_columns(spec)}
    rows = sheet.iter_rows(values_only=True)
    keys = [names[str(name)] for name in next(rows)]
    return [
        {key: value.date() if isinstance(value, dt.datetime) else value for key, value in zip(keys, row)}
        for row in rows
    ]


@pytest.fixture(scope="module")
def saved_cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, list[dict[str, object]]]]:
    """The 300-client demo as saved, and its sheets read back with openpyxl."""
    result = create_demo(tmp_path_factory.mktemp("cases") / "demo.xlsx", clients=300, seed=1, today=TODAY)
    book = openpyxl.load_workbook(result.path)
    sheets = {
        spec.key: saved_sheet(book, spec, "ru") for spec in (schema.CLIENTS, schema.CONTACTS, schema.INTERACTIONS)
    }
    return result, sheets


def _cell_row(cell: str, sheets: dict[str, list[dict[str, object]]]) -> tuple[dict[str, object], str]:
    """The saved row a manifest cell points at, and its column key."""
    match = re.fullmatch(r"'?(.+?)'?!([A-Z]+)([0-9]+)", cell)
    assert match, cell
    spec = next(s for s in (schema.CLIENTS, schema.CONTACTS, schema.INTERACTIONS) if s.ru == match[1])
    column = schema.template_columns(spec)[ord(match[2]) - ord("A")].key
    return sheets[spec.key][int(match[3]) - 2], column


def _next_birthday(birthday: object) -> dt.date:
    """The birthday's first anniversary today or later."""
    assert isinstance(birthday, dt.date)
    day = 28 if (birthday.month, birthday.day) == (2, 29) else birthday.day
    this_year = dt.date(TODAY.year, birthday.month, day)
    return this_year if this_year >= TODAY else this_year.replace(year=TODAY.year + 1)


# The cases that rest on a plan (a Next date or a row dated after today).
PLANS = (demo.BOOKED_MEETING, demo.PLAN_CLOSED, demo.PLAN_OVERDUE, demo.PLAN_AFTER_CALL, demo.PLAN_UPCOMING)


def test_the_manifest_lists_every_planted_case_once_and_plans_for_every_manager(saved_cases: Any) -> None:
    result, _ = saved_cases
    counts = Counter(case.case for case in result.planted_cases)
    managers = generate_demo(300, 1, "ru", TODAY).lists["managers"]
    assert set(counts) == set(demo.CASES)
    assert counts[demo.PLAN_UPCOMING] == len(managers)
    assert all(n == 1 for case, n in counts.items() if case != demo.PLAN_UPCOMING)
    assert {c.manager for c in result.planted_cases if c.case == demo.PLAN_UPCOMING} == set(managers)
    assert len({c.client_id for c in result.planted_cases}) == len(result.planted_cases)  # a client per case
    json_ready = result.to_dict()["planted_cases"]
    assert [item["case"] for item in json_ready] == [c.case for c in result.planted_cases]
    assert all(item["note"] and item["cell"] for item in json_ready)


def test_the_workbook_holds_every_planted_case(saved_cases: Any) -> None:
    result, sheets = saved_cases
    clients = {str(row["client_id"]): row for row in sheets[CLIENTS]}
    history: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in sheets[INTERACTIONS]:
        # A payment is bookkeeping, not a contact (schema.NON_CONTACT_TYPES): it moves no case of the blocks or the
        # agenda, so a case's client pays for its orders as every client does.
        if row["type"] != schema.PAYMENT.ru:
            history[str(row["client_id"])].append(row)
    contacts: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in sheets[CONTACTS]:
        contacts[str(row["client_id"])].append(row)
    order, agreement = schema.ORDER.ru, schema.AGREEMENT.ru
    early, horizon = days("plan_early_days"), days("birthday_days")
    lost_reasons = {value.ru for value in schema.DEFAULT_LOST_REASONS}

    for case in result.planted_cases:
        client = clients[case.client_id]
        rows = history[case.client_id]
        past = [r for r in rows if isinstance(r["date"], dt.date) and r["date"] <= TODAY]
        orders = sorted(r["date"] for r in past if r["type"] == order)
        last = max((r["date"] for r in past), default=None)
        silent = (TODAY - last).days if last else None
        cell_row, column = _cell_row(case.cell, sheets)
        assert cell_row["client_id"] == case.client_id, case
        assert client["manager"] == case.manager, case
        what = (case.case, case.client_id)
        # Nothing but the case itself: no stray plans, no birthday in the window, no planted mistakes.
        if case.case not in PLANS:
            assert all(r["next_date"] is None and r["date"] <= TODAY for r in rows), what
        if case.case != demo.CLIENT_BIRTHDAY and client["birthday"] is not None:
            assert (_next_birthday(client["birthday"]) - TODAY).days > horizon, what
        if case.case != demo.CONTACT_BIRTHDAY:
            assert all(
                c["birthday"] is None or (_next_birthday(c["birthday"]) - TODAY).days > horizon
                for c in contacts[case.client_id]
            ), what
        assert all(isinstance(r["date"], dt.date) for r in rows), what
        if client["designation"] == schema.LOST.ru:
            assert case.case in (demo.LOST_WITH_REASON, demo.LOST_WITHOUT_REASON, demo.LOST_ORDERED_AGAIN), what

        if case.case == demo.BOOKED_MEETING:
            assert column == "date" and cell_row["date"] > TODAY and cell_row["type"] == schema.MEETING.ru
            assert cell_row["result"] is None and case.due == cell_row["date"] <= TODAY + dt.timedelta(days=horizon)
            assert len(orders) == len([r for r in rows if r["type"] == order])  # the booked row is no order
        elif case.case in PLANS:
            assert column == "next_date"
            made, due = cell_row["date"], cell_row["next_date"]
            assert isinstance(made, dt.date) and isinstance(due, dt.date) and made < due
            later = [r["date"] for r in past if r["date"] > made]
            closing = [d for d in later if d >= due - dt.timedelta(days=early)]
            if case.case == demo.PLAN_CLOSED:
                assert due in closing and case.due is None, what  # followed up on the planned day
            elif case.case == demo.PLAN_OVERDUE:
                assert due < TODAY and case.due == due and later and not closing, what  # an unrelated earlier call
            elif case.case == demo.PLAN_AFTER_CALL:
                assert TODAY < due <= TODAY + dt.timedelta(days=horizon) and case.due == due, what
                assert later and not closing and all(r["next_date"] is None for r in past if r["date"] > made), what
            else:
                assert TODAY < due <= TODAY + dt.timedelta(days=horizon) and case.due == due and not later, what
        elif case.case in (demo.ACTIVE_SILENT, demo.ACTIVE_QUIET):
            limit = days("active_silent_days")
            assert not orders and any(r["type"] == agreement for r in past), what
            assert column == "date" and cell_row["date"] == last
            if case.case == demo.ACTIVE_SILENT:
                assert silent is not None and silent > limit and case.due == last + dt.timedelta(days=limit), what
            else:
                assert silent == limit - 1 and case.due is None, what
        elif case.case in (demo.WORKING_SILENT, demo.WORKING_QUIET):
            limit = days("working_silent_days")
            assert 1 <= len(orders) < days("regular_orders") and column == "date" and cell_row["date"] == last
            if case.case == demo.WORKING_SILENT:
                assert silent is not None and silent > limit and case.due == last + dt.timedelta(days=limit), what
            else:
                assert silent == limit - 1 and case.due is None, what
        elif case.case in (demo.NEVER_CONTACTED, demo.NEVER_CONTACTED_NEW):
            assert not rows and column == "created" and client["designation"] is None, what
            due = client["created"] + dt.timedelta(days=days("first_contact_days"))
            assert case.due == due and (due <= TODAY) == (case.case == demo.NEVER_CONTACTED), what
        elif case.case == demo.COLD_PROSPECT:
            assert not orders and not any(r["type"] == agreement for r in rows) and client["designation"] is None
            assert silent is not None and silent >= 400 and case.due is None, what
        elif case.case in (demo.REVIVE_AT_LIMIT, demo.REVIVE):
            assert orders and client["designation"] is None and column == "date" and cell_row["date"] == last, what
            dead = days("dead_after_days")
            assert silent == dead if case.case == demo.REVIVE_AT_LIMIT else silent is not None and silent > dead
        elif case.case in (demo.LOST_WITH_REASON, demo.LOST_WITHOUT_REASON, demo.LOST_ORDERED_AGAIN):
            assert client["designation"] == schema.LOST.ru and orders, what
            recent = [d for d in orders if (TODAY - d).days <= days("lost_order_days")]
            if case.case == demo.LOST_ORDERED_AGAIN:
                assert recent and cell_row["type"] == order and cell_row["date"] in recent, what
                assert client["lost_reason"] in lost_reasons, what
            else:
                assert not recent, what
                assert (client["lost_reason"] in lost_reasons) == (case.case == demo.LOST_WITH_REASON), what
                assert column == ("lost_reason" if case.case == demo.LOST_WITH_REASON else "designation")
        elif case.case in (demo.VIP_NO_ORDERS, demo.KEY_ONE_ORDER):
            vip = case.case == demo.VIP_NO_ORDERS
            assert client["designation"] == (schema.VIP if vip else schema.KEY_ACCOUNT).ru and column == "designation"
            assert len(orders) == (0 if vip else 1) < days("regular_orders"), what
            assert silent is not None and silent < days("review_days"), what  # the finding, not a review, is the point
        elif case.case == demo.REORDER_OVERDUE:
            assert days("regular_orders") <= len(orders) < days("partner_orders") and client["designation"] is None
            gaps = {(b - a).days for a, b in zip(orders, orders[1:])}
            assert len(gaps) == 1, what  # a steady rhythm: the median gap is that gap
            assert case.due == orders[-1] + dt.timedelta(days=gaps.pop()) < TODAY, what
            assert column == "date" and cell_row["date"] == orders[-1] == last, what
        elif case.case == demo.CLIENT_BIRTHDAY:
            assert column == "birthday" and cell_row is client, what
            assert case.due == _next_birthday(client["birthday"]) <= TODAY + dt.timedelta(days=horizon), what
        elif case.case == demo.CONTACT_BIRTHDAY:
            assert column == "birthday" and cell_row in contacts[case.client_id], what
            assert case.due == _next_birthday(cell_row["birthday"]) <= TODAY + dt.timedelta(days=horizon), what
        else:
            raise AssertionError(f"no check for {case.case}")


def test_planted_cases_stay_out_of_the_planted_duplicates_and_mistakes(data: DemoData) -> None:
    case_ids = {case.client_id for case in data.planted_cases}
    paired = {p.original for p in data.planted_duplicates} | {p.duplicate for p in data.planted_duplicates}
    paired |= {p.original for p in data.probable_duplicates} | {p.duplicate for p in data.probable_duplicates}
    paired |= {p.first for p in data.lookalikes} | {p.second for p in data.lookalikes}
    assert not case_ids & paired
    # The only finding on a case's client is the case's own: its Designation not borne out by the log.
    own = {
        demo.VIP_NO_ORDERS: (Code.DESIGNATION_WITHOUT_ORDERS, "designation"),
        demo.KEY_ONE_ORDER: (Code.DESIGNATION_WITHOUT_ORDERS, "designation"),
        demo.LOST_WITHOUT_REASON: (Code.LOST_WITHOUT_REASON, "lost_reason"),
    }
    expected = {(case.client_id, *own[case.case]) for case in data.planted_cases if case.case in own}
    assert len(expected) == len(own)
    on_cases = set()
    for sheet in (schema.CLIENTS, schema.INTERACTIONS):
        for index, column in planted_cells(data, sheet):
            row = data.rows[sheet.key][index]
            if str(row["client_id"]) in case_ids:
                code = next(m.code for m in data.planted_mistakes if m.cell == cell_name(data, sheet, index, column))
                on_cases.add((str(row["client_id"]), code, column))
    assert on_cases == expected


def test_planted_cases_are_the_same_for_the_same_seed_and_fit_any_size() -> None:
    first, again = generate_demo(300, 1, "ru", TODAY), generate_demo(300, 1, "ru", TODAY)
    assert first.planted_cases == again.planted_cases
    assert [c.to_dict() for c in first.planted_cases] == [c.to_dict() for c in again.planted_cases]
    assert generate_demo(300, 2, "ru", TODAY).planted_cases != first.planted_cases
    # A small demo keeps the most important cases and enough ordinary clients for its mistakes.
    small = generate_demo(20, 1, "ru", TODAY)
    assert [c.case for c in small.planted_cases] == list(demo.CASES[: len(small.planted_cases)])
    assert 1 <= len(small.planted_cases) <= 10
    assert generate_demo(demo.MIN_CLIENTS, 1, "ru", TODAY).planted_cases == []
    # The English demo plants the same cases, its notes in English with the workbook's own names.
    english = generate_demo(300, 1, "en", TODAY)
    assert [(c.case, c.client_id) for c in english.planted_cases] == [
        (c.case, c.client_id) for c in first.planted_cases
    ]
    notes = {c.case: str(c.note) for c in english.planted_cases}
    assert schema.PROBLEMS.en in notes[demo.VIP_NO_ORDERS] and schema.LOST.en in notes[demo.LOST_WITH_REASON]


def test_cli_verbose_lists_the_planted_cases(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    result = CliRunner().invoke(
        cli, ["--lang", "ru", "demo", str(path), "--clients", "120", "--today", "2026-11-23", "--verbose"]
    )
    assert result.exit_code == 0, result.output
    assert "Заложенные случаи" in result.output
    cases = generate_demo(120, 1, "ru", TODAY).planted_cases
    for case in cases:
        assert f"  {case.client_id} {case.case} {case.cell}: {render(case.note, 'ru')}" in result.output
    contracts = generate_demo(120, 1, "ru", TODAY).planted_contracts
    assert "Заложенные договоры" in result.output
    for contract in contracts:
        line = f"  {contract.contract_id} {contract.client_id} {contract.case} {contract.cell}: "
        assert line + render(contract.note, "ru") in result.output
    assert result.output.count("(срок ") == sum(1 for item in [*cases, *contracts] if item.due)


# --- planted duplicates and look-alikes ------------------------------------------------------------


def rows_by_id(data: DemoData) -> dict[str, dict[str, object]]:
    result: dict[str, dict[str, object]] = {}
    for row in data.rows[CLIENTS]:
        result.setdefault(str(row["client_id"]), row)
    return result


def test_planted_duplicates_are_the_same_client_typed_differently(data: DemoData) -> None:
    clients = rows_by_id(data)
    history = client_histories(data)
    hows = Counter()
    for pair in data.planted_duplicates:
        original, copy = clients[pair.original], clients[pair.duplicate]
        assert pair.original != pair.duplicate
        assert parse_phones(original["phone"]).numbers[0] in parse_phones(copy["phone"]).numbers
        assert original["phone"] != copy["phone"]
        assert copy["inn"] in (None, original["inn"])
        assert original["manager"] != copy["manager"]
        assert history[pair.duplicate], "another manager logged something on the copy"
        hows.update(part.split(" typed as ")[0] for part in str(pair.how).split("; "))
    assert hows["phone"] == len(data.planted_duplicates)
    assert len(hows) >= 6  # many kinds of differences, not one trick


def test_lookalikes_are_different_clients(data: DemoData) -> None:
    clients = rows_by_id(data)
    duplicate_ids = {d.original for d in data.planted_duplicates} | {d.duplicate for d in data.planted_duplicates}
    kinds = Counter()
    for pair in data.lookalikes:
        first, second = clients[pair.first], clients[pair.second]
        assert parse_inn(first["inn"]).valid and parse_inn(second["inn"]).valid
        assert first["inn"] != second["inn"]
        assert first["city"] != second["city"]
        assert not set(parse_phones(first["phone"]).numbers) & set(parse_phones(second["phone"]).numbers)
        assert first["email"] is None or first["email"] != second["email"]
        assert not {pair.first, pair.second} & duplicate_ids
        if first["name"] == second["name"]:
            kinds["same name"] += 1
        elif unquoted(first["company"]) == unquoted(second["company"]):
            kinds["same company"] += 1
    assert kinds["same name"] and kinds["same company"] >= 2  # a company name, and an ИП's short name


def test_probable_duplicates_share_a_name_but_nothing_that_proves_it(data: DemoData) -> None:
    clients = rows_by_id(data)
    history = client_histories(data)
    others = {d.original for d in data.planted_duplicates} | {d.duplicate for d in data.planted_duplicates}
    others |= {pair.first for pair in data.lookalikes} | {pair.second for pair in data.lookalikes}
    assert len(data.probable_duplicates) == 5  # a few, however big the demo
    assert len(generate_demo(1200, 1, "ru", TODAY).probable_duplicates) == 5
    assert len(generate_demo(20, 1, "ru", TODAY).probable_duplicates) == 1
    assert not generate_demo(19, 1, "ru", TODAY).probable_duplicates  # a tiny demo keeps its clients for mistakes
    for pair in data.probable_duplicates:
        original, copy = clients[pair.original], clients[pair.duplicate]
        for key in ("name", "company", "city"):
            assert copy[key] == original[key]
        assert not set(parse_phones(original["phone"]).numbers) & set(parse_phones(copy["phone"]).numbers)
        assert copy["email"] is None or copy["email"] != original["email"]
        assert copy["inn"] is None and original["manager"] != copy["manager"]
        assert history[pair.duplicate], "another manager logged something on the copy"
        assert not {pair.original, pair.duplicate} & others
        assert str(pair.how).startswith(f"a new phone {copy['phone']}")


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_a_refreshed_demo_asks_about_the_probable_duplicates(tmp_path: Path, locale: str) -> None:
    result = create_demo(tmp_path / "demo.xlsx", clients=120, seed=1, locale=locale, today=TODAY)
    refreshed = CliRunner().invoke(
        cli, ["refresh", str(result.path), "--today", "2026-11-23", "--keep-backups", "0", "--json"]
    )
    payload = json.loads(refreshed.output)
    assert payload["review_pairs"] == len(result.probable_duplicates) == 3
    sheet = openpyxl.load_workbook(result.path)[schema.DUPLICATES.name(locale)]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(index for index, row in enumerate(rows) if row[0] == schema.dedupe_label("decision", locale))
    id_a, id_b = (rows[header].index(schema.dedupe_label(key, locale)) for key in ("id_a", "id_b"))
    pairs = []
    for row in rows[header + 1 :]:
        if not any(row):
            break
        assert row[0] is None  # waiting for the user's Decision
        pairs.append(frozenset((row[id_a], row[id_b])))
    assert set(pairs) == {frozenset((pair.original, pair.duplicate)) for pair in result.probable_duplicates}
    assert len(pairs) == 3


def unquoted(company: object) -> str:
    return schema.fold(re.sub('[«»"“”]', "", str(company)))


# --- the workbook ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "seed", "clients"), [("ru", 1, 120), ("en", 1, 120), ("ru", 2, 150), ("en", 5, 10)])
def test_validation_finds_exactly_the_planted_mistakes(tmp_path: Path, locale: str, seed: int, clients: int) -> None:
    result = create_demo(tmp_path / "demo.xlsx", clients=clients, seed=seed, locale=locale, today=TODAY)
    report = validate_workbook(result.path, TODAY)
    found = {(f.code, f.cell) for f in report.findings}
    planted = {(m.code, m.cell) for m in result.planted_mistakes}
    assert found == planted
    assert len(report.findings) == len(result.planted_mistakes)
    findings_of_big_demos = {Code.DESIGNATION_WITHOUT_ORDERS, Code.LOST_WITHOUT_REASON, Code.NO_CONSENT}
    codes = {m.code for m in result.planted_mistakes}
    # A small demo may show a finding of the big ones by chance (a person without consent), a big one shows each.
    assert codes - (findings_of_big_demos if clients < 100 else set()) == {
        Code.BAD_PHONE,
        Code.BAD_EMAIL,
        Code.BAD_INN,
        Code.TEXT_DATE,
        Code.BAD_DATE,
        Code.NEGATIVE_AMOUNT,
        Code.BAD_AMOUNT,
        Code.UNKNOWN_CLIENT,
        Code.DUPLICATE_CLIENT_ID,
        Code.BLANK_CLIENT_ID,
        Code.NOT_IN_LIST,
        Code.FUTURE_BIRTHDAY,
    } | (findings_of_big_demos if clients >= 100 else set()) | {
        demo_contracts.FINDINGS[case.case] for case in result.planted_contracts if case.case in demo_contracts.FINDINGS
    } | {Code.UNKNOWN_ORDER for case in result.planted_payments if case.case == demo_payments.UNKNOWN_ORDER_NUMBER}
    # The planted cases of a VIP and a Key client with too few orders and of a Lost client without a reason are
    # findings on purpose: the manifest lists them on the case's own row.
    cases = {case.case: case for case in result.planted_cases}
    if clients >= 100:
        for case in (demo.VIP_NO_ORDERS, demo.KEY_ONE_ORDER):
            assert (Code.DESIGNATION_WITHOUT_ORDERS, cases[case].cell) in planted
        lost = cases[demo.LOST_WITHOUT_REASON].cell  # its Designation; the finding is on its Reason lost
        reason = re.sub(r"![A-Z]+", "!" + letter_of(schema.CLIENTS, "lost_reason"), lost)
        assert (Code.LOST_WITHOUT_REASON, reason) in planted
    # The value validation quotes is the value the manifest says was typed.
    typed = {m.cell: m.value for m in result.planted_mistakes}
    for finding in report.findings:
        if finding.value:
            assert finding.value == typed[finding.cell]


def test_create_demo_saves_the_generated_rows(tmp_path: Path) -> None:
    result = create_demo(tmp_path / "demo.xlsx", clients=40, seed=4, locale="en", today=TODAY)
    data = generate_demo(40, 4, "en", TODAY)
    book = openpyxl.load_workbook(result.path)
    for spec in (schema.CLIENTS, schema.CONTACTS, schema.SERVICES, schema.INTERACTIONS):
        sheet = book[spec.name("en")]
        columns = schema.template_columns(spec)
        assert [cell.value for cell in sheet[1]] == [column.en for column in columns]
        saved = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
        expected = [
            [
                "=" + template.client_name_formula() if c is schema.CLIENT_NAME.column else _as_saved(row[c.key])
                for c in columns
            ]
            for row in data.rows[spec.key]
        ]
        assert saved == expected
    managers = [row[0].value for row in book[schema.SETTINGS.en].iter_rows(min_row=2, min_col=5, max_col=5)]
    assert [m for m in managers if m] == data.lists["managers"]
    assert result.clients == 40 and result.interactions == len(data.rows[INTERACTIONS])


def _as_saved(value: object) -> object:
    """openpyxl reads dates back as datetimes."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def test_create_demo_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    path.write_bytes(b"mine")
    with pytest.raises(UsageError, match="already exists"):
        create_demo(path, clients=20, today=TODAY)
    assert path.read_bytes() == b"mine"


# --- command line ---------------------------------------------------------------------------------


def test_cli_json_equals_the_library_result(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    expected = create_demo(path, clients=30, seed=9, locale="en", today=TODAY).to_dict()
    result = CliRunner().invoke(
        cli,
        [
            "demo",
            str(path),
            "--clients",
            "30",
            "--seed",
            "9",
            "--locale",
            "en",
            "--today",
            "2026-11-23",
            "--force",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == expected


def test_cli_summary_line(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    result = CliRunner().invoke(cli, ["--lang", "en", "demo", str(path), "--clients", "20", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    library = generate_demo(20, 1, "ru", TODAY)

    def planted(items: list[Any], noun: str) -> str:
        return f"{len(items)} planted {noun}{'' if len(items) == 1 else 's'}"

    assert library.probable_duplicates  # one from 20 clients
    assert result.output == (
        f"Created {path}: 20 clients, {len(library.rows[INTERACTIONS])} interactions, "
        f"{planted(library.planted_duplicates, 'duplicate')}, "
        f"{planted(library.probable_duplicates, 'probable duplicate')}, "
        f"{planted(library.planted_mistakes, 'mistake')}\n"
    )

    def russian(count: int, one: str, few: str, many: str) -> str:
        if count % 10 == 1 and count % 100 != 11:
            return f"{count} {one}"
        return f"{count} {few if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14 else many}"

    # Without --lang the run speaks the workbook's language: the demo is Russian.
    said = CliRunner().invoke(cli, ["demo", str(path), "--clients", "20", "--today", "2026-11-23", "--force"])
    assert said.exit_code == 0, said.output
    duplicates = ("заложенный дубль", "заложенных дубля", "заложенных дублей")
    probable = ("заложенный вероятный дубль", "заложенных вероятных дубля", "заложенных вероятных дублей")
    assert said.output == (
        f"Создан файл {path}: 20 клиентов, "
        f"{russian(len(library.rows[INTERACTIONS]), 'взаимодействие', 'взаимодействия', 'взаимодействий')}, "
        f"{russian(len(library.planted_duplicates), *duplicates)}, "
        f"{russian(len(library.probable_duplicates), *probable)}, "
        f"{russian(len(library.planted_mistakes), 'заложенная ошибка', 'заложенные ошибки', 'заложенных ошибок')}\n"
    )


def test_cli_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=20, seed=1, today=TODAY)
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["demo", str(path), "--clients", "20", "--seed", "2"])
    assert result.exit_code == 2
    assert "уже существует" in result.output and "--force" in result.output  # said in the existing file's language
    assert "Traceback" not in result.output
    assert path.read_bytes() == before


# --- the committed example ----------------------------------------------------------------------


def test_committed_example_equals_a_fresh_generation(tmp_path: Path) -> None:
    fresh = create_demo(tmp_path / "demo.xlsx", **EXAMPLE_ARGS).path
    committed_book = openpyxl.load_workbook(EXAMPLE)
    fresh_book = openpyxl.load_workbook(fresh)
    assert committed_book.sheetnames == fresh_book.sheetnames
    for name in fresh_book.sheetnames:
        committed, new = committed_book[name], fresh_book[name]
        assert committed.dimensions == new.dimensions, name
        for old_row, new_row in zip(committed.iter_rows(), new.iter_rows()):
            for old, cell in zip(old_row, new_row):
                assert (old.value, old.number_format) == (cell.value, cell.number_format), (name, cell.coordinate)


def test_example_readme_lists_what_was_planted() -> None:
    readme = (EXAMPLE.parent / "README.md").read_text(encoding="utf-8")
    data = generate_demo(EXAMPLE_ARGS["clients"], EXAMPLE_ARGS["seed"], EXAMPLE_ARGS["locale"], TODAY)
    for mistake in data.planted_mistakes:
        assert f"| `{mistake.cell}` | `{mistake.code.value}` | `{mistake.value}` |" in readme
    for pair in data.planted_duplicates:
        assert f"| {pair.original} | {pair.duplicate} | {pair.how} |" in readme
    for lookalike in data.lookalikes:
        assert f"| {lookalike.first} | {lookalike.second} | {lookalike.why} |" in readme
    assert data.probable_duplicates
    for pair in data.probable_duplicates:
        assert f"| {pair.original} | {pair.duplicate} | {pair.how} |" in readme
    assert f"{len(data.rows[INTERACTIONS])} interactions" in readme
    assert data.planted_cases
    for case in data.planted_cases:
        due = case.due.isoformat() if case.due else ""
        row = f"| `{case.case}` | {case.client_id} | {case.manager} | `{case.cell}` | {due} | {case.note} |"
        assert row in readme
    assert data.planted_contracts
    for contract in data.planted_contracts:
        due = contract.due.isoformat() if contract.due else ""
        row = (
            f"| `{contract.case}` | {contract.contract_id} | {contract.client_id} | {contract.manager} "
            f"| `{contract.cell}` | {due} | {contract.note} |"
        )
        assert row in readme
    assert f"{len(data.rows[schema.CONTRACTS.key])} contracts and annexes" in readme
    assert data.planted_payments
    for case in data.planted_payments:
        since, due = (day.isoformat() if day else "" for day in (case.unpaid_since, case.due))
        row = f"| `{case.case}` | {case.client_id} | {case.manager} | `{case.cell}` | {case.balance:.2f} |"
        assert f"{row} {since} | {due} | {case.note} |" in readme


@pytest.mark.libreoffice
def test_libreoffice_opens_the_demo_and_validation_still_finds_the_planted_mistakes(tmp_path: Path) -> None:
    result = create_demo(tmp_path / "demo.xlsx", clients=60, seed=3, locale="ru", today=TODAY)
    converted = convert_with_libreoffice(result.path, "xlsx", tmp_path / "lo")
    book = openpyxl.load_workbook(converted)
    assert book.sheetnames[:4] == [
        s.ru for s in (schema.CLIENTS, schema.CONTACTS, schema.SERVICES, schema.INTERACTIONS)
    ]
    assert book[schema.CLIENTS.ru].max_row == 61
    report = validate_workbook(converted, TODAY)
    assert {(f.code, f.cell) for f in report.findings} == {(m.code, m.cell) for m in result.planted_mistakes}


@pytest.mark.parametrize(
    ("birthday", "today", "expected"),
    [
        (dt.date(1988, 2, 29), dt.date(2028, 2, 1), dt.date(2028, 2, 29)),  # a leap year: on its own day
        (dt.date(1988, 2, 29), dt.date(2027, 2, 1), dt.date(2027, 2, 28)),
        (dt.date(1988, 2, 29), dt.date(2028, 2, 29), dt.date(2029, 2, 28)),  # today's is not "after today"
        (dt.date(1985, 12, 31), dt.date(2026, 12, 31), dt.date(2027, 12, 31)),
    ],
)
def test_planted_birthdays_fall_due_when_the_agenda_lists_them(
    birthday: dt.date, today: dt.date, expected: dt.date
) -> None:
    """The demo dates its planted birthdays by the agenda's own rule, 29 February in leap years included."""
    assert _next_anniversary(birthday, today) == expected
    after_today = pd.Timestamp(today + dt.timedelta(days=1))
    assert next_anniversary(pd.Series([pd.Timestamp(birthday)]), after_today).iloc[0].date() == expected
