"""Findings of payments and debts, each at its boundary, through ``xlcrm validate``, the library and a refresh's
Problems sheet, in both languages: a payment or return naming no order of its client (exactly the rows the debts
leave unmatched), one Order No. on two orders of a client, a payment without an amount, and a client's Payment
term. A workbook without the new columns and settings has none of these findings."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.builders import record_rows, settings_records, valid_records, write_records, write_workbook
from tests.checks.test_validate import TODAY, check_single_finding, run
from xlcrm import schema
from xlcrm.checks.findings import Code, Finding
from xlcrm.checks.settings import read_settings
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.validate import validate_workbook
from xlcrm.lifecycle.analysis import analyse
from xlcrm.lifecycle.frames import build_frames
from xlcrm.lifecycle.payments import client_terms
from xlcrm.messages import render
from xlcrm.xlsx.reader import read_workbook

D = dt.date
ORDER, PAYMENT, RETURN = schema.ORDER, schema.PAYMENT, schema.RETURN


def row(
    kind: schema.ListValue, day: object, number: object, amount: object = 1000, **more: object
) -> dict[str, object]:
    """A log row of C000001 unless ``client_id`` says otherwise; ``kind`` is written in the workbook's language."""
    return {"date": day, "client_id": "C000001", "type": kind, "amount": amount, "order_number": number, **more}


def build(
    tmp_path: Path,
    *rows: dict[str, object],
    locale: str = "en",
    settings: dict[str, object] | None = None,
    clients: dict[str, object] | None = None,
) -> Path:
    """valid_records with these log rows (from Excel row 7: valid_records' log has five), these Settings values,
    and these cells of the first client."""
    records = valid_records(locale)
    for added in rows:
        kind = added["type"]
        assert isinstance(kind, schema.ListValue)
        records[schema.INTERACTIONS.key].append({**added, "type": kind.name(locale)})
    managers = [record["manager"] for record in records[schema.CLIENTS.key]]
    records[schema.SETTINGS.key] = settings_records(locale, {"managers": [str(m) for m in managers]}, settings)
    records[schema.CLIENTS.key][0].update(clients or {})
    return write_records(tmp_path / f"payments-{locale}.xlsx", locale, records)


def findings(path: Path) -> list[Finding]:
    return validate_workbook(path, today=TODAY).findings


def codes(path: Path) -> list[tuple[str, str]]:
    return [(f.code.value, f.cell) for f in findings(path)]


def unmatched_by_lifecycle(path: Path) -> set[int]:
    """The rows the debts of a refresh's lifecycle leave unmatched, computed on the workbook as it is."""
    return {int(row) for row in analyse(read_workbook(path), TODAY).lifecycle.receivables.unmatched}


def unknown_order_rows(path: Path) -> set[int]:
    return {int(f.cell.rsplit("K", 1)[1]) for f in findings(path) if f.code is Code.UNKNOWN_ORDER}


def test_payments_naming_orders_of_their_client_whatever_the_case_spaces_or_cell_type_have_no_finding(
    tmp_path: Path,
) -> None:
    path = build(
        tmp_path,
        row(ORDER, D(2026, 10, 1), "A-12"),
        row(ORDER, D(2026, 10, 2), 45, amount=300),  # a number cell
        row(PAYMENT, D(2026, 10, 5), " a-12 "),
        row(PAYMENT, D(2026, 10, 6), "45", amount=300),
        row(RETURN, D(2026, 10, 7), "A-12", amount=-100),
        row(PAYMENT, D(2026, 10, 8), None, amount=500),  # no number: the oldest orders first
        row(PAYMENT, D(2026, 10, 9), "NO-SUCH", amount=-50),  # a refund names no order
        row(PAYMENT, D(2026, 10, 9), "NO-SUCH", amount=0.004),  # less than a kopeck settles nothing
    )
    assert codes(path) == []
    assert unmatched_by_lifecycle(path) == set()


def test_a_payment_naming_an_order_of_another_client_is_an_error_naming_that_client(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        row(ORDER, D(2026, 10, 1), "A-12"),
        row(ORDER, D(2026, 10, 3), "B-7", client_id="C000002"),
        row(PAYMENT, D(2026, 10, 5), "b-7"),
    )
    check_single_finding(
        path,
        'error   Interactions!K9  unknown-order  "b-7"  Order No. b-7 is an order of ClientID C000002 '
        "(Interactions!K8), not of this client: this Payment settles no order, though it counts in this client's "
        "▸ Balance; correct the Order No. or the ClientID",
    )
    assert unmatched_by_lifecycle(path) == {9}


def test_a_return_naming_no_order_at_all_is_an_error(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        row(ORDER, D(2026, 10, 1), "A-12"),
        row(PAYMENT, D(2026, 10, 2), "A-12"),
        row(RETURN, D(2026, 10, 3), "A-13", amount=200),
    )
    check_single_finding(
        path,
        'error   Interactions!K9  unknown-order  "A-13"  no order of this client has Order No. A-13: this Return '
        "settles no order, though it counts in the client's ▸ Balance; type the number of one of the client's "
        "orders, or clear the cell so that it settles the oldest orders first",
    )


def test_an_order_without_a_date_carries_its_number_for_nobody_and_the_finding_says_why(tmp_path: Path) -> None:
    path = build(tmp_path, row(ORDER, None, "A-12"), row(PAYMENT, D(2026, 10, 2), "A-12"))
    assert codes(path) == [("missing-value", "Interactions!A7"), ("unknown-order", "Interactions!K8")]
    [finding] = [f for f in findings(path) if f.code is Code.UNKNOWN_ORDER]
    assert str(finding.message).startswith(
        "the order with Order No. A-12 (Interactions!A7) has no Date that can be read, so this Payment settles no order"
    )
    assert unmatched_by_lifecycle(path) == {8}


def test_in_russian_the_finding_names_the_other_client_and_validate_exits_1_leaving_the_file(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        row(ORDER, D(2026, 10, 3), "B-7", client_id="C000002"),
        row(PAYMENT, D(2026, 10, 5), "B-7"),
        locale="ru",
    )
    before = path.read_bytes()
    result = run(path)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        'ошибка         Взаимодействия!K8  unknown-order  "B-7"  № заказа B-7 — заказ клиента с ID клиента C000002 '
        "(Взаимодействия!K7), а не этого клиента: эта строка «Оплата» не закрывает ни одного заказа, хотя "
        "учитывается в графе «▸ Баланс» этого клиента; исправьте «№ заказа» или «ID клиента»",
        f"1 ошибка, 0 предупреждений в {path.name}",
    ]
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("rows", "settings", "why"),
    [
        ([row(RETURN, D(2026, 10, 3), "X-1")], None, "no Payment row: debts are not tracked"),
        (
            [row(PAYMENT, D(2026, 10, 2), None), row(PAYMENT, D(2026, 9, 30), "X-1")],
            {"payments_from": D(2026, 10, 1)},
            "dated before payments_from: settled",
        ),
        ([row(PAYMENT, D(2026, 10, 2), None), row(PAYMENT, D(2026, 11, 24), "X-1")], None, "after today: a plan"),
        ([row(PAYMENT, D(2026, 10, 2), None), row(PAYMENT, D(2026, 10, 2), "X-1", client_id="C000009")], None, ""),
    ],
)
def test_payments_the_debts_leave_out_are_never_unmatched(
    tmp_path: Path, rows: list[dict[str, object]], settings: dict[str, object] | None, why: str
) -> None:
    path = build(tmp_path, *rows, settings=settings)
    assert Code.UNKNOWN_ORDER not in {f.code for f in findings(path)}, why
    assert unmatched_by_lifecycle(path) == set()


def test_payments_from_is_a_boundary_day_counted_from(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        row(PAYMENT, D(2026, 9, 30), "X-1"),
        row(PAYMENT, D(2026, 10, 1), "X-2"),
        settings={"payments_from": D(2026, 10, 1)},
    )
    assert unknown_order_rows(path) == {8} == unmatched_by_lifecycle(path)


def test_the_findings_are_exactly_the_rows_the_debts_leave_unmatched_before_and_after_a_refresh(
    tmp_path: Path,
) -> None:
    """A log of every kind of row at random: the unknown-order findings are the unmatched rows of the lifecycle,
    and the Problems sheet of a refresh lists them."""
    rng = random.Random(24)
    clients = ["C000001", "C000002", "C000009", None]  # one unknown client, one blank
    order_numbers = ["A-1", "A-2", 3, "B-7", "C-1", "C-2", None]
    named_numbers = ["a-1 ", "3", 3.0, "b-7", "c-1", "C-2", "X", None]
    days = [D(2026, 9, 1), D(2026, 10, 1), D(2026, 11, 23), D(2026, 11, 24), None, "not a date"]
    amounts = [1000, -300, 0, 0.004, "1 000 руб.", "abc", None, 250.5]
    kinds = [ORDER, PAYMENT, PAYMENT, RETURN, schema.CALL_IN]
    rows = []
    for _ in range(120):
        kind = rng.choice(kinds)
        numbers = order_numbers if kind is ORDER else named_numbers
        rows.append(
            row(kind, rng.choice(days), rng.choice(numbers), amount=rng.choice(amounts), client_id=rng.choice(clients))
        )
    path = build(tmp_path, *rows, settings={"payments_from": D(2026, 10, 1)})
    found = unknown_order_rows(path)
    assert found == unmatched_by_lifecycle(path)
    assert len(found) >= 3  # the random log does name unknown orders

    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    assert unknown_order_rows(path) == unmatched_by_lifecycle(path) == found
    problems = load_workbook(path)[schema.PROBLEMS.name("en")]
    listed = {line[2] for line in problems.iter_rows(values_only=True) if line[5] == "unknown-order"}
    assert listed == {f"Interactions!K{number}" for number in found}


def test_one_order_number_on_two_orders_of_a_client_is_a_warning_on_the_later_row(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        row(ORDER, D(2026, 10, 1), "A-12"),
        row(ORDER, D(2026, 10, 2), "A-12", client_id="C000002"),  # another client's: no finding
        row(ORDER, D(2026, 10, 3), "a-12 "),
    )
    check_single_finding(
        path,
        'warning Interactions!K9  duplicate-order-number  "a-12"  another order of this client has Order No. a-12 '
        "too (Interactions!K7): a payment naming it settles the older of the two first; give each order its own "
        "number",
    )


def test_a_payment_without_an_amount_is_an_error_and_a_bad_amount_is_reported_once(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        row(ORDER, D(2026, 10, 1), None),
        row(PAYMENT, D(2026, 10, 2), None, amount=None),
        row(PAYMENT, D(2026, 10, 3), None, amount="paid"),
        row(PAYMENT, D(2026, 9, 1), None, amount=None),  # before payments_from: settled
        settings={"payments_from": D(2026, 10, 1)},
    )
    assert codes(path) == [("payment-without-amount", "Interactions!E8"), ("bad-amount", "Interactions!E9")]
    assert str(findings(path)[0].message) == (
        "a Payment without an Amount: it counts for nothing in the client's ▸ Balance; type the money received "
        "(below zero for money paid back)"
    )


def test_a_payment_without_an_amount_in_russian(tmp_path: Path) -> None:
    path = build(tmp_path, row(PAYMENT, D(2026, 10, 2), None, amount=None), locale="ru")
    [finding] = findings(path)
    assert (finding.cell, finding.code, render(finding.message, "ru")) == (
        "Взаимодействия!E7",
        Code.PAYMENT_WITHOUT_AMOUNT,
        "строка «Оплата» с пустой графой «Сумма» ничего не меняет в графе «▸ Баланс» клиента; введите полученную "
        "сумму (со знаком минус — если деньги вернули клиенту)",
    )


@pytest.mark.parametrize(
    ("term", "line"),
    [
        (0, None),
        (30, None),
        (
            -1,
            'error   Clients!T2  bad-payment-term  "-1"  a payment term is a whole number of days from 0 to 3650; '
            "until it is fixed, the client's orders are due in 21 days, the payment term on sheet Settings",
        ),
        (
            7.5,
            'error   Clients!T2  bad-payment-term  "7.5"  a payment term is a whole number of days from 0 to 3650; '
            "until it is fixed, the client's orders are due in 21 days, the payment term on sheet Settings",
        ),
        (
            "two weeks",
            'error   Clients!T2  bad-payment-term  "two weeks"  not a number of days; until it is fixed, the '
            "client's orders are due in 21 days, the payment term on sheet Settings",
        ),
        ("14", 'warning Clients!T2  bad-number  "14"  typed as text; retype it as a number'),
    ],
)
def test_a_payment_term_is_a_whole_number_of_days_or_the_settings_term_is_used(
    tmp_path: Path, term: object, line: str | None
) -> None:
    path = build(tmp_path, clients={"payment_term": term}, settings={"payment_term_days": 21})
    if line is None:
        assert codes(path) == []
    else:
        check_single_finding(path, line)


def test_a_bad_payment_term_in_russian(tmp_path: Path) -> None:
    path = build(tmp_path, clients={"payment_term": -3}, locale="ru", settings={"payment_term_days": 1})
    [finding] = findings(path)
    assert (finding.cell, finding.code, render(finding.message, "ru")) == (
        "Клиенты!T2",
        Code.BAD_PAYMENT_TERM,
        "срок оплаты — целое число дней от 0 до 3650; пока это не исправлено, заказы клиента ждут оплаты 1 день — "
        "срок оплаты с листа Настройки",
    )


def test_an_older_workbook_without_the_new_columns_and_settings_has_no_finding(tmp_path: Path) -> None:
    """Written as before issue 24: no Order No., Discount, Card number or Payment term column, no payment setting,
    and Payment not on the types list; its orders and returns are checked as they always were."""
    records = valid_records("en")
    records[schema.INTERACTIONS.key].append(
        {"date": D(2026, 10, 1), "client_id": "C000001", "type": "Return", "amount": 500}
    )
    new_columns = {"order_number", "discount", "card_number", "payment_term"}
    new_settings = {"payment_term_days", "payments_from", "card_digits"}
    types = [kind.name("en") for kind in schema.INTERACTION_TYPES if kind is not PAYMENT]
    settings = [
        record
        for record in settings_records("en", {"managers": ["Anna", "Boris"], "interaction_types": types})
        if record.get("key") not in new_settings
    ]
    sheets = {
        spec.name("en"): record_rows(
            spec, "en", records[spec.key], [c.key for c in spec.columns if c.key not in new_columns]
        )
        for spec in (schema.CLIENTS, schema.CONTACTS, schema.SERVICES, schema.INTERACTIONS)
    }
    sheets[schema.SETTINGS.name("en")] = record_rows(schema.SETTINGS, "en", settings)
    path = write_workbook(tmp_path / "older.xlsx", sheets)
    before = path.read_bytes()
    result = run(path)
    assert (result.exit_code, result.output) == (0, f"No problems found in {path.name}\n")
    assert path.read_bytes() == before


@pytest.mark.parametrize(("start", "finding"), [(None, False), (TODAY, False), (D(2026, 11, 24), True)])
def test_payments_tracked_from_a_day_after_today_is_a_warning(
    tmp_path: Path, start: dt.date | None, finding: bool
) -> None:
    path = build(tmp_path, row(PAYMENT, D(2026, 10, 2), None), settings={"payments_from": start})
    if not finding:
        assert codes(path) == []
        return
    [settings_row] = [
        number for number, record in enumerate(settings_records("en"), start=2) if record["key"] == "payments_from"
    ]
    check_single_finding(
        path,
        f'warning Settings!C{settings_row}  future-payments-from  "2026-11-24"  Track payments from is 24 November '
        "2026, after today (23 November 2026): until then no order waits for a payment and ▸ Balance stays blank; "
        "check the day, month and year",
    )


def test_payments_tracked_from_a_day_after_today_in_russian(tmp_path: Path) -> None:
    path = build(tmp_path, settings={"payments_from": D(2027, 1, 1)}, locale="ru")
    [finding] = findings(path)
    assert render(finding.message, "ru") == (
        "Учёт оплат с: 1 января 2027 — позже сегодняшнего дня (23 ноября 2026): до этого дня ни один заказ не ждёт "
        "оплаты, а графа «▸ Баланс» остаётся пустой; проверьте день, месяц и год"
    )


def test_the_payment_terms_found_wrong_are_exactly_those_the_debts_replace_by_the_setting(tmp_path: Path) -> None:
    terms: list[object] = [-1, 7.5, "two weeks", "14 days", True, "14", "1e1", 0, 30, None]
    records = valid_records("en")
    base = records[schema.CLIENTS.key][1]
    records[schema.CLIENTS.key] = [
        {**base, "client_id": f"C{index:06d}", "payment_term": term} for index, term in enumerate(terms, start=1)
    ]
    records[schema.SETTINGS.key] = settings_records("en", {"managers": ["Boris"]}, {"payment_term_days": 21})
    path = write_records(tmp_path / "terms.xlsx", "en", records)
    errors = {f.cell for f in findings(path) if f.code is Code.BAD_PAYMENT_TERM}
    data = read_workbook(path)
    settings, _ = read_settings(data)
    clients = build_frames(data).clients
    used = client_terms(clients, pd.Index(clients["client_id"]), settings)
    replaced = {
        f"Clients!T{row}"
        for row, client_id, own in zip(clients.index, clients["client_id"], terms)
        if own is not None and used[client_id] == 21
    }
    assert errors == replaced == {"Clients!T2", "Clients!T3", "Clients!T4", "Clients!T5", "Clients!T6"}


def test_a_refresh_lists_the_findings_on_the_russian_problems_sheet(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        row(ORDER, D(2026, 10, 1), "A-12"),
        row(ORDER, D(2026, 10, 2), "A-12"),
        row(PAYMENT, D(2026, 10, 5), "A-13"),
        row(PAYMENT, D(2026, 10, 6), None, amount=None),
        locale="ru",
        clients={"payment_term": "две недели"},
    )
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    problems = load_workbook(path)[schema.PROBLEMS.name("ru")]
    listed = {(line[2], line[5]) for line in problems.iter_rows(values_only=True)}
    assert {
        ("Клиенты!T2", "bad-payment-term"),
        ("Взаимодействия!K8", "duplicate-order-number"),
        ("Взаимодействия!K9", "unknown-order"),
        ("Взаимодействия!E10", "payment-without-amount"),
    } <= listed
