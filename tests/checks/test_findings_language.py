"""Findings speak the workbook's language on its Problems sheet and the run's language in --json; codes never
change."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.builders import settings_records, sheets_from_records, valid_records, write_records, write_workbook
from tests.checks.test_validate import TYPES_EN, TYPES_RU, Edit, put
from xlcrm import schema
from xlcrm.checks.client_ids import AssignedId
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.cli.main import cli
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render, speaking, t

TODAY = dt.date(2026, 11, 23)

# One workbook with a mistake of each kind: (edit, code, value as Problems shows it, English text, Russian text).
MISTAKES: list[tuple[Edit, str, str, str, str]] = [
    (
        put("clients", 0, "phone", "8 916 12"),
        "bad-phone",
        "8 916 12",
        "not a valid phone number",
        "неверный номер телефона",
    ),
    (
        put("contacts", 0, "phone", "+7 912 345-67-89; 12-34"),
        "bad-phone",
        "+7 912 345-67-89; 12-34",
        '"12-34" is not a valid phone number',
        "не похоже на номер телефона: «12-34»",
    ),
    (
        put("clients", 1, "email", "olga@example"),
        "bad-email",
        "olga@example",
        "not a valid email address",
        "неверный адрес e-mail",
    ),
    (
        put("contacts", 0, "email", "maria@romashka.ru, maria at home"),
        "bad-email",
        "maria@romashka.ru, maria at home",
        '"maria", "at", "home" is not a valid email address',
        "не похоже на адрес e-mail: «maria», «at», «home»",
    ),
    (
        put("clients", 0, "inn", "7707083894"),
        "bad-inn",
        "7707083894",
        "not a valid INN: the check digit is wrong (typo?)",
        "неверный ИНН: не сходится контрольная цифра (опечатка?)",
    ),
    (
        put("clients", 1, "inn", 77070838),
        "bad-inn",
        "77070838",
        "not a valid INN: an INN has 10 or 12 digits, this has 8",
        "неверный ИНН: в ИНН 10 или 12 цифр, а здесь 8",
    ),
    (
        put("clients", 0, "birthday", dt.date(2027, 1, 1)),
        "future-birthday",
        "2027-01-01",
        "a birthday in the future (today is 2026-11-23)",
        "день рождения в будущем (сегодня 23 ноября 2026)",
    ),
    (
        put("contacts", 0, "birthday", "15.08.2004"),
        "text-date",
        "15.08.2004",
        "typed as text; read as 15 August 2004 — retype it as a date so Excel can sort and filter it",
        "введено как текст; прочитано как 15 августа 2004 — введите заново как дату, чтобы Excel мог сортировать и "
        "фильтровать по ней",
    ),
    (
        put("interactions", 0, "next_date", "next week"),
        "bad-date",
        "next week",
        "not a date",
        "это не дата",
    ),
    (
        put("interactions", 1, "amount", "12 500,50 руб."),
        "text-amount",
        "12 500,50 руб.",
        "typed as text; read as 12 500.50 — retype it as a number so Excel includes it in sums",
        "введено как текст; прочитано как 12\xa0500,50 — введите заново как число, чтобы Excel учитывал его в суммах",
    ),
    (
        put("services", 1, "price", "2.500"),
        "bad-amount",
        "2.500",
        "a thousand or a fraction? The comma or point may be either; type the amount as a number",
        "тысячи или доли? Запятая или точка может значить и то и другое; введите сумму числом",
    ),
    (
        put("services", 0, "price", -5),
        "negative-amount",
        "-5",
        "a negative amount; amounts cannot be below zero",
        "отрицательная сумма; сумма не может быть меньше нуля",
    ),
    (
        put("interactions", 0, "type", "Phone call"),
        "not-in-list",
        "Phone call",
        f"not in the Interaction types list on sheet Settings: {TYPES_EN}",
        f"значения нет в списке Типы взаимодействий на листе Настройки: {TYPES_RU}",
    ),
    (
        put("contacts", 0, "decision_maker", "maybe"),
        "not-in-list",
        "maybe",
        "use one of: Yes, No",
        "выберите одно из значений: Да, Нет",
    ),
    (
        put("interactions", 2, "client_id", "C000099"),
        "unknown-client",
        "C000099",
        "no client with ClientID C000099 on Clients",
        "ID клиента C000099 нет на листе Клиенты",
    ),
    (
        put("settings", 0, "value", "ten"),
        "bad-setting",
        "ten",
        "partner_orders must be a whole number of 1 or more; the default 10 is used until it is fixed",
        # A Russian owner reads the setting's label, not its key.
        "Настройка «Заказов до Партнёра»: значение должно быть целым числом не меньше 1; пока оно не исправлено, "
        "используется значение по умолчанию 10",
    ),
    (
        put("clients", 1, "client_id", "C000001"),
        "duplicate-client-id",
        "C000001",
        "ClientID C000001 is on rows 2 and 3 (Clients!A2, Clients!A3); every client needs its own ID. Until each "
        "row has its own, xlcrm leaves the computed columns of these rows blank and counts them in no report; clear "
        "the ClientID of a row added by mistake and the next refresh gives it a new one",
        "ID клиента C000001 встречается в строках 2 и 3 (Клиенты!A2, Клиенты!A3); у каждого клиента должен быть "
        "свой ID. Пока у каждой строки нет своего, xlcrm оставляет вычисляемые столбцы этих строк пустыми и не "
        "учитывает их в отчётах; очистите ID клиента в строке, добавленной по ошибке, и при следующем обновлении "
        "она получит новый",
    ),
    (
        put("contacts", 0, "name", None),
        "missing-value",
        "",
        "Name is blank; who is this contact person?",
        "пустая ячейка в столбце ФИО; кто это контактное лицо?",
    ),
]


def workbook_with_mistakes(tmp_path: Path, locale: str) -> Path:
    records = valid_records(locale)
    for edit, *_ in MISTAKES:
        edit(records)
    return write_records(tmp_path / f"clients-{locale}.xlsx", locale, records)


def problems_sheet(path: Path, locale: str) -> list[tuple[object, ...]]:
    return list(load_workbook(path)[schema.PROBLEMS.name(locale)].iter_rows(values_only=True))


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_refresh_writes_every_finding_in_the_workbooks_language(tmp_path: Path, locale: str) -> None:
    path = workbook_with_mistakes(tmp_path, locale)
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    rows = problems_sheet(path, locale)

    # (code, value) -> the Problem cell beside them; the code column keeps its stable code.
    written = {(row[5], row[3] or ""): row[4] for row in rows if row[5] in {code.value for code in Code}}
    expected = {(code, value): ru if locale == "ru" else en for _, code, value, en, ru in MISTAKES}
    assert {key: written.get(key) for key in expected} == expected
    assert len(written) == len(expected)  # no finding but the planted ones

    # The sheet's own texts are in the workbook's language too.
    def label(key: str) -> str:
        return schema.label(key, locale)

    heading = [label(key) for key in ("severity", "sheet", "cell", "value", "problem", "code")]
    assert rows[0][0] == label("problems_title") and (label("problems_heading"),) == rows[3][:1]
    assert heading in [list(row[:6]) for row in rows]
    assert {row[0] for row in rows if row[5] in {code.value for code in Code}} == {label("error"), label("warning")}
    if locale == "ru":
        assert heading == ["Важность", "Лист", "Ячейка", "Значение", "Проблема", "Код"]


def test_json_keeps_the_codes_and_speaks_the_runs_language(tmp_path: Path) -> None:
    russian = workbook_with_mistakes(tmp_path, "ru")
    english = workbook_with_mistakes(tmp_path, "en")
    payload = json.loads(CliRunner().invoke(cli, ["validate", str(russian), "--today", "2026-11-23", "--json"]).output)
    codes = sorted((f["code"], f["value"]) for f in payload["findings"])
    assert codes == sorted((code, value) for _, code, value, _, _ in MISTAKES)
    english_payload = validate_workbook(english, today=TODAY).to_dict()
    assert sorted((f["code"], f["value"]) for f in english_payload["findings"]) == codes  # type: ignore[union-attr]

    report = validate_workbook(russian, today=TODAY)
    by_code = {(f.code.value, f.value): f for f in report.findings}
    finding = by_code[("bad-email", "olga@example")]
    assert finding.to_dict() == {
        "severity": "error",
        "code": "bad-email",
        "sheet": "Клиенты",
        "cell": "Клиенты!F3",
        "value": "olga@example",
        "message": "not a valid email address",
    }
    with speaking("ru"):
        assert finding.to_dict()["message"] == "неверный адрес e-mail"
        assert finding.to_dict()["code"] == "bad-email"
        assert report.to_dict()["findings"][0]["message"] == render(report.findings[0].message, "ru")  # type: ignore[index]


def test_a_finding_keeps_its_message_to_render_in_either_language(tmp_path: Path) -> None:
    [finding] = [
        f
        for f in validate_workbook(workbook_with_mistakes(tmp_path, "en"), today=TODAY).findings
        if f.code is Code.FUTURE_BIRTHDAY
    ]
    assert render(finding.message, "en") == "a birthday in the future (today is 2026-11-23)"
    assert render(finding.message, "ru") == "день рождения в будущем (сегодня 23 ноября 2026)"
    # A finding made with plain text (data, or a caller's own words) is shown as it is.
    plain = Finding(Severity.WARNING, Code.BAD_SETTING, "Settings", "Settings!C2", "x", "as typed")
    assert plain.to_dict()["message"] == "as typed" and render(plain.message, "ru") == "as typed"


def test_many_repeats_of_an_id_are_counted_in_russian(tmp_path: Path) -> None:
    records = valid_records("ru")
    extra = [{**records["clients"][1], "client_id": "C000001", "name": f"Клиент {n}"} for n in range(20)]
    records["clients"].extend(extra)
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    [finding] = [f for f in validate_workbook(path, today=TODAY).findings if f.code is Code.DUPLICATE_CLIENT_ID]
    cells = "Клиенты!A2, Клиенты!A4, Клиенты!A5, Клиенты!A6, Клиенты!A7"  # row 3 is C000002
    assert render(finding.message, "ru").startswith(f"ID клиента C000001 встречается в 21 строке ({cells} … и ещё 16);")
    assert render(finding.message, "en").startswith(f"ID клиента C000001 is on 21 rows ({cells} … and 16 more);")


def test_settings_findings_in_russian(tmp_path: Path) -> None:
    records = valid_records("ru")
    settings = records["settings"]
    settings.append({"key": "colour", "label": None, "value": "red"})
    settings.append({"key": "partner_orders", "label": None, "value": 20})
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    texts = [render(f.message, "ru") for f in validate_workbook(path, today=TODAY).findings]
    assert texts[0].startswith(
        "такой настройки xlcrm не знает, поэтому она не учитывается; известные настройки: Заказов до Партнёра, "
    )
    # The setting by its label, as a Russian owner reads it.
    assert texts[1].startswith("Настройка «Заказов до Партнёра» задана повторно; используется значение из строки 2")


def test_new_client_ids_are_told_in_either_language() -> None:
    assigned = AssignedId("Клиенты", 302, "Клиенты!A302", "C000301", "Иванов Иван, ООО «Ромашка»", "C000007")
    assert render(assigned.text(with_sheet=True), "en") == (
        "C000301 to row 302 of Клиенты (Иванов Иван, ООО «Ромашка»), to be merged into C000007"
    )
    assert render(assigned.text(with_sheet=True), "ru") == (
        "C000301 строке 302 листа Клиенты (Иванов Иван, ООО «Ромашка»), которая будет объединена с C000007"
    )
    gone = AssignedId("Клиенты", None, None, "C000301", "", "C000007")
    assert render(gone.text(), "en") == "C000301 to a new row merged into C000007"
    assert render(gone.text(), "ru") == "C000301 новой строке, объединённой с C000007"
    assert str(t("not a date")) == "not a date"


def test_sheet_header_and_settings_findings_in_russian(tmp_path: Path) -> None:
    records = valid_records("ru")
    del records[schema.CONTACTS.key]
    records[schema.SETTINGS.key] = settings_records(
        "ru", {"interaction_types": ["Звонок", "Встреча"]}, {"regular_orders": 12}
    )
    sheets = sheets_from_records("ru", records)
    headers = sheets[schema.CLIENTS.ru][0]
    headers[headers.index("Email")] = "Телефон"
    sheets[schema.SERVICES.ru].insert(0, [None, None, None])
    path = write_workbook(tmp_path / "clients.xlsx", sheets)
    shown = {Code.NOT_IN_LIST, Code.DESIGNATION_WITHOUT_ORDERS}  # the values' findings aside
    findings = [f for f in validate_workbook(path, today=TODAY).findings if f.code not in shown]
    assert [(f.code.value, f.cell, render(f.message, "ru")) for f in findings] == [
        ("missing-column", "Клиенты", "в строке 1 нет столбца Email; его проверки пропущены"),
        (
            "duplicate-header",
            "Клиенты!F1",
            (
                "в ячейках Клиенты!E1 и Клиенты!F1 один и тот же заголовок «Телефон»; xlcrm не может понять, какой из "
                "них использовать, поэтому ничего не меняет, пока один из них не переименуют или не удалят"
            ),
        ),
        ("missing-sheet", "Контакты", "нет листа Контакты (или Contacts); его проверки пропущены"),
        (
            "misplaced-header",
            "Мои услуги",
            (
                "заголовки стоят в строке 2, а не в строке 1; удалите строки над ними, чтобы xlcrm мог прочитать "
                "этот лист"
            ),
        ),
        (
            "bad-setting",
            "Настройки!F1",
            (
                "в списке нет значений «Заказ» и «Договорённость»; блоки жизненного цикла считают заказы и "
                "договорённости по этим типам"
            ),
        ),
        (
            "bad-setting",
            "Настройки!C3",
            (
                "значение «Заказов до Постоянного» (12) должно быть меньше значения «Заказов до Партнёра» (10), иначе "
                "ни один клиент не попадёт в блок «Постоянные»"
            ),
        ),
    ]
    # In English, word for word what it always said.
    english = {f.code: render(f.message, "en") for f in findings}
    assert english[Code.MISSING_SHEET] == "no sheet named Контакты (or Contacts); its checks are skipped"
    assert english[Code.MISSING_COLUMN] == "no column Email in row 1; its checks are skipped"
    assert english[Code.MISPLACED_HEADER] == (
        "the headers are on row 2, not on row 1; delete the rows above them so xlcrm can read this sheet"
    )
