"""`xlcrm validate`: every rule with a workbook that breaks it, through the CLI and the library."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.builders import Records, settings_records, valid_records, valid_rows, write_records, write_workbook
from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.validate import ValidationReport
from xlcrm.cli.main import cli
from xlcrm.cli.validate import format_report
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render

TODAY = dt.date(2026, 11, 23)
Edit = Callable[[Records], None]

TYPES_EN = "Call in, Call out, Meeting, Letter, Message, Agreement, Order, Return, Payment"
TYPES_RU = "Входящий звонок, Исходящий звонок, Встреча, Письмо, Сообщение, Договорённость, Заказ, Возврат, Оплата"


def put(sheet: str, index: int, column: str, value: object) -> Edit:
    """Set one cell: record ``index`` of ``sheet`` is Excel row ``index + 2``."""

    def edit(records: Records) -> None:
        records[sheet][index][column] = value

    return edit


def add(sheet: str, record: dict[str, object]) -> Edit:
    def edit(records: Records) -> None:
        records[sheet].append(record)

    return edit


def run(path: Path, *args: str, lang: str | None = None) -> Result:
    """``xlcrm validate``; ``lang`` is the group's ``--lang`` (without it the run speaks the workbook's language)."""
    speak = ["--lang", lang] if lang else []
    return CliRunner().invoke(cli, [*speak, "validate", str(path), "--today", TODAY.isoformat(), *args])


def build(tmp_path: Path, edits: list[Edit], locale: str = "en", name: str = "clients.xlsx") -> Path:
    records = valid_records(locale)
    for edit in edits:
        edit(records)
    return write_records(tmp_path / name, locale, records)


def check_single_finding(path: Path, line: str, lang: str | None = None) -> None:
    """The CLI prints exactly this finding and a total, exits by severity, and leaves the file alone."""
    before = path.read_bytes()
    result = run(path, lang=lang)
    is_error = line.startswith("error")
    total = "1 error, 0 warnings" if is_error else "0 errors, 1 warning"
    assert result.output.splitlines() == [line, f"{total} in {path.name}"]
    assert result.exit_code == (1 if is_error else 0)
    assert path.read_bytes() == before

    report = validate_workbook(path, today=TODAY)
    assert len(report.findings) == 1
    finding = report.findings[0]
    assert report.valid is not is_error
    assert line.startswith(f"{finding.severity.value:<7} {finding.cell}  {finding.code.value}  ")
    assert line.endswith(f"  {finding.message}")
    if finding.value:
        assert f'  "{finding.value}"  ' in line


CELL_RULES = {
    "phone": (
        [put("clients", 0, "phone", "8 916 12")],
        'error   Clients!E2  bad-phone  "8 916 12"  not a valid phone number',
    ),
    "one-of-two-phones": (
        [put("contacts", 0, "phone", "+7 912 345-67-89; 12-34")],
        'error   Contacts!D2  bad-phone  "+7 912 345-67-89; 12-34"  "12-34" is not a valid phone number',
    ),
    "email": (
        [put("clients", 1, "email", "olga@example")],
        'error   Clients!F3  bad-email  "olga@example"  not a valid email address',
    ),
    "contact-email": (
        [put("contacts", 0, "email", "maria at romashka.ru")],
        'error   Contacts!E2  bad-email  "maria at romashka.ru"  not a valid email address',
    ),
    "inn-checksum": (
        [put("clients", 0, "inn", "7707083894")],
        'error   Clients!D2  bad-inn  "7707083894"  not a valid INN: the check digit is wrong (typo?)',
    ),
    "inn-length": (
        [put("clients", 0, "inn", 77070838)],
        'error   Clients!D2  bad-inn  "77070838"  not a valid INN: an INN has 10 or 12 digits, this has 8',
    ),
    "inn-letters": (
        [put("clients", 1, "inn", "77O7083893")],
        'error   Clients!D3  bad-inn  "77O7083893"  not a valid INN: an INN has only digits',
    ),
    "text-date": (
        [put("interactions", 0, "date", "01.03.2024")],
        'warning Interactions!A2  text-date  "01.03.2024"  typed as text; read as 1 March 2024 '
        "— retype it as a date so Excel can sort and filter it",
    ),
    "bad-date": (
        [put("interactions", 0, "next_date", "next week")],
        'error   Interactions!J2  bad-date  "next week"  not a date',
    ),
    "number-as-date": (
        [put("clients", 1, "created", 45000)],
        'error   Clients!Q3  bad-date  "45000"  a number, not a date; if it should be a date, format the cell as Date',
    ),
    "time-as-date": (
        [put("clients", 0, "consent_date", dt.time(9, 30))],
        'error   Clients!O2  bad-date  "09:30:00"  a time without a date',
    ),
    "future-birthday": (
        [put("clients", 0, "birthday", dt.date(2027, 1, 1))],
        'error   Clients!I2  future-birthday  "2027-01-01"  a birthday in the future (today is 2026-11-23)',
    ),
    "future-birthday-as-text": (
        [put("contacts", 0, "birthday", "01.01.2030")],
        'error   Contacts!F2  future-birthday  "01.01.2030"  a birthday in the future (today is 2026-11-23)',
    ),
    "negative-amount": (
        [put("interactions", 1, "amount", -45000)],
        'error   Interactions!E3  negative-amount  "-45000"  a negative amount; only a Return may be below zero',
    ),
    "text-amount": (
        [put("interactions", 1, "amount", "45 000 руб.")],
        'warning Interactions!E3  text-amount  "45 000 руб."  typed as text; read as 45 000 '
        "— retype it as a number so Excel includes it in sums",
    ),
    "bad-amount": (
        [put("interactions", 1, "amount", "a lot")],
        'error   Interactions!E3  bad-amount  "a lot"  not a number; type the amount as a number',
    ),
    "thousands-or-decimals": (
        [put("interactions", 1, "amount", "1,500")],
        'error   Interactions!E3  bad-amount  "1,500"  a thousand or a fraction? The comma or point may be either; '
        "type the amount as a number",
    ),
    "negative-price": (
        [put("services", 0, "price", -5)],
        "error   'My Services'!C2  negative-amount  \"-5\"  a negative amount; amounts cannot be below zero",
    ),
    "type": (
        [put("interactions", 0, "type", "Phone call")],
        f'error   Interactions!C2  not-in-list  "Phone call"  not in the Interaction types list on sheet Settings: '
        f"{TYPES_EN}",
    ),
    "designation": (
        [put("clients", 0, "designation", "Gold")],
        'error   Clients!L2  not-in-list  "Gold"  not in the Designations list on sheet Settings: VIP, Key, Lost',
    ),
    "manager": (
        [put("interactions", 2, "manager", "Zed")],
        'warning Interactions!F4  not-in-list  "Zed"  not in the Managers list on sheet Settings: Anna, Boris',
    ),
    "service": (
        [put("interactions", 1, "service", "Repair")],
        'warning Interactions!D3  not-in-list  "Repair"  not in the Service list on sheet My Services: '
        "Consulting, Audit",
    ),
    "source": (
        [put("clients", 0, "source", "TV")],
        'warning Clients!J2  not-in-list  "TV"  not in the Sources list on sheet Settings: '
        "Referral, Website, Advert, Cold call, Exhibition, Social media",
    ),
    "yes-no": (
        [put("contacts", 0, "decision_maker", "maybe")],
        'warning Contacts!G2  not-in-list  "maybe"  use one of: Yes, No',
    ),
    "rating": ([put("clients", 0, "rating", "five")], 'warning Clients!N2  bad-number  "five"  not a number'),
    "rating-as-text": (
        [put("clients", 0, "rating", "5")],
        'warning Clients!N2  bad-number  "5"  typed as text; retype it as a number',
    ),
    "blank-client-id": (
        [put("clients", 1, "client_id", None), put("interactions", 2, "client_id", "C000001")],
        "warning Clients!A3  blank-client-id  blank ClientID; the next refresh, dedupe or import gives this row "
        "the next free ClientID and saves it with the rest",
    ),
    "unknown-client": (
        [put("interactions", 0, "client_id", "C000099")],
        'error   Interactions!B2  unknown-client  "C000099"  no client with ClientID C000099 on Clients',
    ),
    "unknown-client-of-contact": (
        [put("contacts", 0, "client_id", "c000001")],
        'error   Contacts!A2  unknown-client  "c000001"  no client with ClientID c000001 on Clients',
    ),
    "interaction-without-date": (
        [put("interactions", 0, "date", None)],
        "error   Interactions!A2  missing-value  Date is blank; every interaction needs a date for lifecycle "
        "and reports",
    ),
    "interaction-without-client": (
        [put("interactions", 0, "client_id", None)],
        "error   Interactions!B2  missing-value  ClientID is blank; the interaction belongs to no client",
    ),
    "interaction-without-type": (
        [put("interactions", 0, "type", None)],
        "error   Interactions!C2  missing-value  Type is blank; lifecycle counts orders and agreements by type",
    ),
    "contact-without-client": (
        [put("contacts", 0, "client_id", None)],
        "error   Contacts!A2  missing-value  ClientID is blank; the contact person belongs to no client",
    ),
    "contact-without-name": (
        [put("contacts", 0, "name", None)],
        "warning Contacts!B2  missing-value  Name is blank; who is this contact person?",
    ),
    "service-without-name": (
        [add("services", {"service_id": "S03", "price": 100})],
        "warning 'My Services'!B4  missing-value  Service is blank; interactions refer to services by name",
    ),
    "client-without-name-or-company": (
        [put("clients", 1, "name", None)],
        "warning Clients!B3  missing-value  neither Name nor Company is filled; add at least one so the client "
        "can be recognised",
    ),
    "bad-setting": (
        [put("settings", 0, "value", "ten")],
        'error   Settings!C2  bad-setting  "ten"  partner_orders must be a whole number of 1 or more; '
        "the default 10 is used until it is fixed",
    ),
    "two-digit-year-as-excel-reads-it": (
        [put("clients", 0, "birthday", "12.11.64")],
        'warning Clients!I2  text-date  "12.11.64"  typed as text; read as 12 November 1964 — retype it as a date so '
        "Excel can sort and filter it",
    ),
    "days-setting-beyond-ten-years": (
        [put("settings", 2, "value", 999999)],
        'error   Settings!C4  bad-setting  "999999"  dead_after_days must be a whole number of days from 1 to 3650; '
        "the default 365 is used until it is fixed",
    ),
}


def test_a_days_setting_of_a_million_is_a_finding_not_a_failure(tmp_path: Path) -> None:
    """999999 days, a natural way to write "never": refresh goes on with the default, Problems names the cell."""
    path = build(tmp_path, [put("settings", 2, "value", 999999), put("settings", 14, "value", 999999)])
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23", "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    problems = [row[2] for row in load_workbook(path)[schema.PROBLEMS.name("en")].iter_rows(values_only=True)]
    assert {"Settings!C4", "Settings!C16"} <= set(problems)


@pytest.mark.parametrize("edits, line", CELL_RULES.values(), ids=CELL_RULES.keys())
def test_cell_rule(tmp_path: Path, edits: list[Edit], line: str) -> None:
    check_single_finding(build(tmp_path, edits), line)


RUSSIAN_RULES = {
    "type": (
        [put("interactions", 0, "type", "Звонок")],
        f'error   Взаимодействия!C2  not-in-list  "Звонок"  not in the Типы взаимодействий list on sheet '
        f"Настройки: {TYPES_RU}",
        f"значения нет в списке Типы взаимодействий на листе Настройки: {TYPES_RU}",
    ),
    "text-date": (
        [put("clients", 0, "birthday", "17.05.1980")],
        'warning Клиенты!I2  text-date  "17.05.1980"  typed as text; read as 17 May 1980 '
        "— retype it as a date so Excel can sort and filter it",
        "введено как текст; прочитано как 17 мая 1980 — введите заново как дату, чтобы Excel мог сортировать и "
        "фильтровать по ней",
    ),
    "unknown-client": (
        [put("interactions", 0, "client_id", "C000099")],
        'error   Взаимодействия!B2  unknown-client  "C000099"  no client with ID клиента C000099 on Клиенты',
        "ID клиента C000099 нет на листе Клиенты",
    ),
    "blank-client-id": (
        [put("clients", 1, "client_id", None), put("interactions", 2, "client_id", "C000001")],
        "warning Клиенты!A3  blank-client-id  blank ID клиента; the next refresh, dedupe or import gives this "
        "row the next free ID клиента and saves it with the rest",
        "не заполнен ID клиента; при следующем запуске xlcrm refresh, dedupe или import строка получит следующий "
        "свободный ID клиента, и он сохранится вместе с остальными изменениями",
    ),
    "missing-value": (
        [put("interactions", 2, "type", None)],
        "error   Взаимодействия!C4  missing-value  Тип is blank; lifecycle counts orders and agreements by type",
        "пустая ячейка в столбце Тип; жизненный цикл считает заказы и договорённости по типу",
    ),
    "yes-no": (
        [put("services", 1, "active", "Yes please")],
        "warning 'Мои услуги'!E3  not-in-list  \"Yes please\"  use one of: Да, Нет",
        "выберите одно из значений: Да, Нет",
    ),
    "client-without-name-or-company": (
        [put("clients", 1, "name", " ")],
        "warning Клиенты!B3  missing-value  neither Контактное лицо nor Компания is filled; add at least one "
        "so the client can be recognised",
        "не заполнены ни Контактное лицо, ни Компания; заполните хотя бы одно, чтобы клиента можно было узнать",
    ),
}


@pytest.mark.parametrize("edits, line, russian", RUSSIAN_RULES.values(), ids=RUSSIAN_RULES.keys())
def test_russian_workbook_rule(tmp_path: Path, edits: list[Edit], line: str, russian: str) -> None:
    """The terminal speaks the run's language (English with --lang en, else the workbook's Russian); the workbook's
    Problems sheet gets the Russian."""
    path = build(tmp_path, edits, "ru")
    check_single_finding(path, line, lang="en")
    [finding] = validate_workbook(path, today=TODAY).findings
    assert render(finding.message, "ru") == russian
    severity, rest = line.split(" ", 1)
    russian_line = f"{ {'error': 'ошибка', 'warning': 'предупреждение'}[severity]:<14} {rest.lstrip(' ')}"
    russian_line = russian_line[: len(russian_line) - len(str(finding.message))] + russian
    total = "1 ошибка, 0 предупреждений" if severity == "error" else "0 ошибок, 1 предупреждение"
    assert run(path).output.splitlines() == [russian_line, f"{total} в {path.name}"]


@pytest.mark.parametrize(
    "locale, name, said",
    [
        ("en", "clients.xlsx", "No problems found in clients.xlsx"),
        ("ru", "клиенты.xlsx", "В клиенты.xlsx проблем не найдено"),
    ],
)
def test_clean_workbook(tmp_path: Path, locale: str, name: str, said: str) -> None:
    path = build(tmp_path, [], locale, name)
    before = path.read_bytes()
    result = run(path)
    assert (result.exit_code, result.output) == (0, f"{said}\n")
    assert path.read_bytes() == before
    report = validate_workbook(path, today=TODAY)
    assert (report.valid, report.findings, report.locale) == (True, [], locale)


def test_english_values_pass_in_a_russian_workbook_without_lists(tmp_path: Path) -> None:
    """With no list in Settings, the built-in values count in both languages."""
    records = valid_records("ru")
    records["settings"] = settings_records("ru", {"interaction_types": [], "designations": [], "sources": []})
    records["interactions"][0]["type"] = "order"
    records["clients"][0]["designation"] = "Key"
    records["clients"][1]["source"] = "Холодный  звонок"
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    assert run(path, lang="en").output == "No problems found in clients.xlsx\n"


def test_list_values_match_ignoring_case_spaces_and_yo(tmp_path: Path) -> None:
    edits = [put("interactions", 2, "type", "  ДОГОВОРЕННОСТЬ "), put("clients", 0, "manager", "анна")]
    path = build(tmp_path, edits, "ru")
    assert run(path, lang="en").output == "No problems found in clients.xlsx\n"


def test_a_repeated_client_id_is_one_finding_naming_every_cell(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [
            put("clients", 1, "client_id", "C000001"),
            add(
                "clients",
                {
                    "client_id": "C000001",
                    "name": "Third",
                    "phone": "+7 916 000-00-01",
                    "manager": "Anna",
                    "consent_date": dt.date(2024, 1, 10),
                },
            ),
            put("interactions", 2, "client_id", "C000001"),
        ],
    )
    result = run(path)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        'error   Clients!A3  duplicate-client-id  "C000001"  ClientID C000001 is on rows 2, 3 and 4 (Clients!A2, '
        "Clients!A3, Clients!A4); every client needs its own ID. Until each row has its own, xlcrm leaves the "
        "computed columns of these rows blank and counts them in no report; clear the ClientID of a row added by "
        "mistake and the next refresh gives it a new one",
        "1 error, 0 warnings in clients.xlsx",
    ]


def test_numeric_client_ids_match_text_ones(tmp_path: Path) -> None:
    """An ID typed as the number 17 on Clients and as the text "17" on Interactions is the same client."""
    path = build(tmp_path, [put("clients", 1, "client_id", 17), put("interactions", 2, "client_id", "17")])
    assert run(path).output == "No problems found in clients.xlsx\n"


def test_true_is_not_mistaken_for_one(tmp_path: Path) -> None:
    """Python treats True == 1; a TRUE cell must still be flagged when a 1 next to it is fine."""
    path = build(tmp_path, [put("clients", 0, "rating", 1), put("clients", 1, "rating", True)])
    check_single_finding(path, 'warning Clients!N3  bad-number  "TRUE"  not a number')


def test_settings_change_results(tmp_path: Path) -> None:
    records = valid_records("en")
    records["clients"][0]["phone"] = "29 123-45-67"  # a Belarus mobile without the country code
    records["clients"][1]["phone"] = "+7 495 123-45-67"  # the 8-for-+7 habit is Russian only
    records["interactions"][0]["manager"] = "Zed"
    records["settings"] = settings_records("en", {"managers": []}, {"phone_region": "BY"})
    path = write_records(tmp_path / "clients.xlsx", "en", records)
    # The Belarus region makes the phone valid, and without a managers list no manager is checked.
    assert run(path).output == "No problems found in clients.xlsx\n"

    records["settings"] = settings_records("en", {"managers": ["Anna", "Boris"]})
    path = write_records(tmp_path / "clients.xlsx", "en", records)
    assert run(path).output.splitlines() == [
        'error   Clients!E2  bad-phone  "29 123-45-67"  not a valid phone number',
        'warning Interactions!F2  not-in-list  "Zed"  not in the Managers list on sheet Settings: Anna, Boris',
        "1 error, 1 warning in clients.xlsx",
    ]


def test_custom_type_list_replaces_the_built_in_one(tmp_path: Path) -> None:
    records = valid_records("en")
    records["settings"] = settings_records(
        "en", {"managers": ["Anna", "Boris"], "interaction_types": ["Call out", "Order", "Agreement", "Visit"]}
    )
    records["interactions"][0]["type"] = "Visit"
    records["interactions"][2]["type"] = "Meeting"
    path = write_records(tmp_path / "clients.xlsx", "en", records)
    check_single_finding(
        path,
        'error   Interactions!C4  not-in-list  "Meeting"  not in the Interaction types list '
        "on sheet Settings: Call out, Order, Agreement, Visit",
    )


def test_findings_follow_sheet_row_and_column_order(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [
            put("settings", 0, "value", 0),
            put("interactions", 0, "next_date", "soon"),
            put("interactions", 0, "date", "x"),
            put("clients", 1, "email", "bad"),
            put("clients", 0, "rating", "high"),
            put("clients", 0, "inn", "1"),
        ],
    )
    cells = [f.cell for f in validate_workbook(path, today=TODAY).findings]
    assert cells == ["Clients!D2", "Clients!N2", "Clients!F3", "Interactions!A2", "Interactions!J2", "Settings!C2"]


# --- sheets and headers ------------------------------------------------------------------------------

MISSING_SHEETS = {
    "clients": "error   Clients  missing-sheet  no sheet named Clients (or Клиенты); xlcrm cannot work without it",
    "interactions": "error   Interactions  missing-sheet  no sheet named Interactions (or Взаимодействия); "
    "xlcrm cannot work without it",
    "contacts": "warning Contacts  missing-sheet  no sheet named Contacts (or Контакты); its checks are skipped",
    "services": "warning My Services  missing-sheet  no sheet named My Services (or Мои услуги); "
    "its checks are skipped",
    "settings": "warning Settings  missing-sheet  no sheet named Settings (or Настройки); its checks are skipped",
}


@pytest.mark.parametrize("sheet, line", MISSING_SHEETS.items(), ids=MISSING_SHEETS.keys())
def test_missing_sheet(tmp_path: Path, sheet: str, line: str) -> None:
    """One finding: no knock-on unknown clients, unchecked services or managers."""

    def drop(records: Records) -> None:
        del records[sheet]

    check_single_finding(build(tmp_path, [drop]), line)


def write_columns(tmp_path: Path, sheet: str, columns: list[str], locale: str = "en") -> Path:
    """The clean workbook with ``sheet`` reduced to ``columns`` (schema keys, in that order)."""
    records = valid_records(locale)
    spec = schema.sheet_by_key(sheet)
    rows = valid_rows(locale)
    headers = [spec.column(key).name(locale) for key in columns]
    rows[spec.name(locale)] = [headers] + [[record.get(key) for key in columns] for record in records[sheet]]
    return write_workbook(tmp_path / "clients.xlsx", rows)


def without(sheet: str, *keys: str) -> list[str]:
    return [c.key for c in schema.sheet_by_key(sheet).columns if c.key not in keys]


def test_missing_optional_column(tmp_path: Path) -> None:
    check_single_finding(
        write_columns(tmp_path, "clients", without("clients", "inn")),
        "warning Clients  missing-column  no column INN (or ИНН) in row 1; its checks are skipped",
    )


def test_missing_required_column(tmp_path: Path) -> None:
    check_single_finding(
        write_columns(tmp_path, "interactions", without("interactions", "type"), "ru"),
        "error   Взаимодействия  missing-column  no column Тип (or Type) in row 1; xlcrm needs it",
        lang="en",
    )


def test_missing_client_id_column_is_one_error(tmp_path: Path) -> None:
    check_single_finding(
        write_columns(tmp_path, "clients", without("clients", "client_id")),
        "error   Clients  missing-column  no column ClientID (or ID клиента) in row 1; xlcrm needs it",
    )


def test_headers_in_any_order_case_and_spacing_with_extra_columns(tmp_path: Path) -> None:
    rows = valid_rows("en")
    clients = rows["Clients"]
    header = [f"  {name.upper()} " if i % 2 else name.lower() for i, name in enumerate(clients[0])]
    reordered = [list(reversed(header)) + ["My notes"]]
    reordered += [list(reversed(row)) + ["keep me"] for row in clients[1:]]
    rows["Clients"] = reordered
    path = write_workbook(tmp_path / "clients.xlsx", rows)
    assert run(path).output == "No problems found in clients.xlsx\n"
    # Cells are still named by where they really are.
    load = load_workbook(path)
    load["Clients"]["P2"] = "8 916 12"  # Phone is the 16th column once reversed
    load.save(path)
    check_single_finding(path, 'error   Clients!P2  bad-phone  "8 916 12"  not a valid phone number')


def test_headers_not_on_row_one(tmp_path: Path) -> None:
    path = build(tmp_path, [])
    book = load_workbook(path)
    book["Clients"].insert_rows(1, 2)
    book.save(path)
    check_single_finding(
        path,
        "error   Clients  misplaced-header  the headers are on row 3, not on row 1; "
        "delete the rows above them so xlcrm can read this sheet",
    )


def test_duplicate_header(tmp_path: Path) -> None:
    path = build(tmp_path, [])
    book = load_workbook(path)
    book["Clients"]["R1"] = "phone"
    book["Clients"]["R2"] = "not checked"
    book.save(path)
    check_single_finding(
        path,
        'error   Clients!R1  duplicate-header  "Phone"  Clients!E1 and Clients!R1 both head '
        "Phone; xlcrm cannot tell which one to use, so it changes nothing until one is "
        "renamed or deleted",
    )


def test_sheet_without_headers(tmp_path: Path) -> None:
    rows = valid_rows("en")
    rows["Contacts"] = []
    path = write_workbook(tmp_path / "clients.xlsx", rows)
    check_single_finding(
        path,
        "warning Contacts  missing-column  row 1 has none of the expected headers "
        "(ClientID, Name, Role, Phone, Email, Birthday, Decision maker); "
        "the sheet cannot be read",
    )


# --- output ------------------------------------------------------------------------------------


def test_json_output_is_the_library_report(tmp_path: Path) -> None:
    path = build(tmp_path, [put("clients", 0, "phone", "8 916 12"), put("interactions", 0, "date", "01.03.2024")], "ru")
    result = run(path, "--json", lang="en")
    assert result.exit_code == 1
    expected = validate_workbook(path, today=TODAY).to_dict()
    assert json.loads(result.output) == json.loads(json.dumps(expected))
    assert expected["counts"] == {"errors": 1, "warnings": 1}
    assert (expected["valid"], expected["today"], expected["locale"]) == (False, "2026-11-23", "ru")
    assert expected["findings"][0] == {
        "severity": "error",
        "code": "bad-phone",
        "sheet": "Клиенты",
        "cell": "Клиенты!E2",
        "value": "8 916 12",
        "message": "not a valid phone number",
    }


def test_json_of_a_workbook_with_warnings_only_exits_0(tmp_path: Path) -> None:
    result = run(build(tmp_path, [put("interactions", 0, "date", "01.03.2024")]), "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["valid"] is True


def test_format_report_shortens_long_values() -> None:
    finding = Finding(Severity.ERROR, Code.BAD_PHONE, "Clients", "Clients!E2", "9" * 80, "not a valid phone number")
    report = ValidationReport(Path("/x/clients.xlsx"), "en", [finding], TODAY)
    assert format_report(report).splitlines()[0] == (
        f'error   Clients!E2  bad-phone  "{"9" * 59}…"  not a valid phone number'
    )


def test_default_today_is_the_real_date(tmp_path: Path) -> None:
    report = validate_workbook(build(tmp_path, []))
    assert report.today == dt.date.today()


# --- files that are not workbooks ---------------------------------------------------------------


def _zip(path: Path, members: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)


def _repacked(path: Path, *, method: int | None = None, flags: int = 0, part: str = "xl/worksheets/sheet1.xml") -> None:
    """A workbook whose ``part`` (the Clients sheet) is marked, in both of the zip's headers, as packed by ``method``
    or with the general purpose ``flags`` set (1: encrypted), as zip tools write it and Excel never does."""
    whole = bytearray(build(path.parent, [], name="whole.xlsx").read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(whole))) as archive:
        offset = archive.getinfo(part).header_offset
    central = [at for at in range(len(whole)) if whole[at : at + 4] == b"PK\x01\x02"]
    (entry,) = [at for at in central if struct.unpack_from("<I", whole, at + 42)[0] == offset]
    for flag_at, method_at in ((offset + 6, offset + 8), (entry + 8, entry + 10)):
        struct.pack_into("<H", whole, flag_at, struct.unpack_from("<H", whole, flag_at)[0] | flags)
        if method is not None:
            struct.pack_into("<H", whole, method_at, method)
    path.write_bytes(bytes(whole))


def _truncated_workbook(path: Path) -> None:
    whole = build(path.parent, [], name="whole.xlsx").read_bytes()
    path.write_bytes(whole[: len(whole) // 2])


BAD_FILES: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "empty": ("empty.xlsx", lambda p: p.write_bytes(b""), "{path} is empty (0 bytes), not an Excel workbook"),
    "csv": (
        "clients.xlsx",
        lambda p: p.write_text("Name;Phone\nИван;+7 916 123-45-67\n", encoding="cp1251"),
        "{path} is a text or CSV file, not an .xlsx workbook; "
        "open it in Excel and save it as an Excel workbook (.xlsx)",
    ),
    "corrupt-zip": (
        "clients.xlsx",
        lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 50),
        "{path} is damaged: its zip container cannot be read",
    ),
    "truncated": ("clients.xlsx", _truncated_workbook, "{path} is damaged: its zip container cannot be read"),
    "deflate64": (
        "clients.xlsx",
        lambda p: _repacked(p, method=9),
        "{path} cannot be read: sheet 'Clients' (xl/worksheets/sheet1.xml) is packed with a compression method Excel "
        "does not use (zip method 9); save the workbook again from Excel or LibreOffice, or repack it with ordinary "
        "(Deflate) compression",
    ),
    "zip-password": (
        "clients.xlsx",
        lambda p: _repacked(p, flags=1),
        "{path} cannot be read: sheet 'Clients' (xl/worksheets/sheet1.xml) is encrypted with a zip password, which is "
        "not how Excel protects a workbook; open the original workbook in Excel and save it again",
    ),
    "xls": (
        "old.xls",
        lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512),
        "{path} is an old Excel 97-2003 (.xls) file; open it in Excel and save it as .xlsx",
    ),
    "docx": (
        "letter.xlsx",
        lambda p: _zip(p, {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}),
        "{path} is a zip file but not an Excel workbook (no xl/workbook.xml)",
    ),
    "wrong-extension": (
        "clients.txt",
        lambda p: p.write_bytes(build(p.parent, [], name="w.xlsx").read_bytes()),
        "{path} has the extension .txt; xlcrm works on .xlsx or .xlsm files",
    ),
}


@pytest.mark.parametrize("name, make, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_file_that_is_not_a_workbook(tmp_path: Path, name: str, make: Callable[[Path], None], message: str) -> None:
    path = tmp_path / name
    make(path)
    before = path.read_bytes()
    result = run(path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {message.format(path=path)}\n"
    assert path.read_bytes() == before


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.xlsx"
    result = run(path)
    assert (result.exit_code, result.stderr) == (1, f"Error: {path}: no such file\n")
    assert not path.exists()


def test_folder(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert (result.exit_code, result.stderr) == (1, f"Error: {tmp_path} is a folder, not a workbook\n")


def test_a_client_id_repeated_on_many_rows_names_a_few_of_its_cells(tmp_path: Path) -> None:
    """An ID pasted down 1,500 rows is one finding of one readable line: five cells and how many more."""
    copies = [
        add(
            "clients",
            {
                "client_id": "C000001",
                "name": f"Client {i}",
                "phone": f"+7 916 {i:07d}",
                "manager": "Anna",
                "consent_date": dt.date(2024, 1, 10),
            },
        )
        for i in range(1, 1500)
    ]
    path = build(tmp_path, copies)
    before = path.read_bytes()

    result = run(path)

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        'error   Clients!A4  duplicate-client-id  "C000001"  ClientID C000001 is on 1,500 rows (Clients!A2, '
        "Clients!A4, Clients!A5, Clients!A6, Clients!A7 … and 1,495 more); every client needs its own ID. Until "
        "each row has its own, xlcrm leaves the computed columns of these rows blank and counts them in no report; "
        "clear the ClientID of a row added by mistake and the next refresh gives it a new one",
        "1 error, 0 warnings in clients.xlsx",
    ]
    assert path.read_bytes() == before


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_a_workbook_made_before_the_reason_lost_and_holiday_columns_is_complete(tmp_path: Path, locale: str) -> None:
    """Columns a later version added are optional: a workbook without them gets no warning about them."""
    path = build(tmp_path, [], locale=locale)
    book = load_workbook(path)
    for spec, keys in (
        (schema.CLIENTS, ["lost_reason"]),
        (schema.SETTINGS, ["lost_reasons", "holiday", "holiday_date", "holiday_blocks"]),
    ):
        sheet = book[spec.name(locale)]
        headers = [cell.value for cell in sheet[1]]
        for key in keys:
            name = spec.column(key).name(locale)
            if name in headers:
                sheet.delete_cols(headers.index(name) + 1)
                headers.remove(name)
    book.save(path)
    report = validate_workbook(path, today=TODAY)
    assert [f for f in report.findings if f.code is Code.MISSING_COLUMN] == []


@pytest.mark.parametrize(
    ("repack", "named"),
    [
        ({"method": 9}, "лист «Clients» (xl/worksheets/sheet1.xml) — сжатие, которого Excel не использует"),
        ({"method": zipfile.ZIP_BZIP2}, "лист «Clients» (xl/worksheets/sheet1.xml) — сжатие"),
        ({"flags": 1}, "лист «Clients» (xl/worksheets/sheet1.xml) — под паролем архива"),
        ({"method": 9, "part": "xl/workbook.xml"}, "часть xl/workbook.xml — сжатие"),  # the sheets' names unread
        ({"flags": 1, "part": "xl/workbook.xml"}, "часть xl/workbook.xml — под паролем архива"),
    ],
)
@pytest.mark.parametrize("command", [["validate"], ["refresh", "--today", TODAY.isoformat()], ["dedupe", "--dry-run"]])
def test_a_part_no_reader_can_read_is_named_in_russian_before_anything_is_read(
    tmp_path: Path, repack: dict[str, Any], named: str, command: list[str]
) -> None:
    """Packed by a zip tool: a part in another compression or under a zip password is named in one line, in the
    language asked for, whatever the command, and the file is left as it was."""
    path = tmp_path / "clients.xlsx"
    _repacked(path, **repack)
    before = path.read_bytes()

    result = CliRunner().invoke(cli, ["--lang", "ru", command[0], str(path), *command[1:]])

    assert result.exit_code == 1
    assert result.output.count("Ошибка: ") == 1 and "Traceback" not in result.output
    assert f"Файл {path} не читается: {named}" in result.output
    assert path.read_bytes() == before
