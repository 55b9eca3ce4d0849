"""Consent to process personal data: which clients need it, and the warnings of ``xlcrm validate`` and the library
when a person has no Consent date or one after today."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import xlcrm.dedupe.keys as keys
from tests.builders import settings_records
from tests.checks.test_validate import TODAY, Edit, build, check_single_finding, put, run
from xlcrm import schema
from xlcrm.checks.consent import ERASED_NAMES, SOLE_TRADER_FORMS, is_erased, is_sole_trader, persons
from xlcrm.checks.settings import read_settings
from xlcrm.cli.main import cli
from xlcrm.dedupe.keys import company_name
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render
from xlcrm.xlsx.reader import read_workbook

OLGA = 1  # valid_records' C000002: a person (a name and no company), Excel row 3
IVAN = 0  # valid_records' C000001: a company's contact person (Romashka LLC), Excel row 2


def consent_cell(row: int) -> str:
    """The Consent date cell of Excel ``row`` in a workbook written by tests.builders (every column, in order)."""
    return (
        "Clients!"
        + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[[c.key for c in schema.CLIENTS.columns].index("consent_date")]
        + str(row)
    )


def no_consent(index: int) -> Edit:
    return put("clients", index, "consent_date", None)


def consent_setting(value: str, locale: str = "en") -> Edit:
    def edit(records: dict[str, list[dict[str, object]]]) -> None:
        managers = [str(client["manager"]) for client in records["clients"]]
        records["settings"] = settings_records(locale, {"managers": managers}, {"consent_required": value})

    return edit


# --- who is a person ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "company",
    ["ИП Тарасова М.С.", "Индивидуальный предприниматель Иванов И.И.", "IP Petrov", "ПБОЮЛ Сидоров", "ЧП «Кузнецов»"],
)
def test_sole_traders_are_told_by_their_legal_form(company: str) -> None:
    assert is_sole_trader(company)
    assert company_name(company).individual  # dedupe reads the same forms


@pytest.mark.parametrize("company", ["ООО «Ромашка»", "Типография «Ипподром»", "Romashka LLC", "", None])
def test_companies_and_words_that_contain_a_form_are_no_sole_traders(company: str | None) -> None:
    assert not is_sole_trader(company)


def test_the_forms_are_defined_once_in_checks() -> None:
    assert keys.SOLE_TRADER_FORMS is SOLE_TRADER_FORMS
    assert not hasattr(keys, "INDIVIDUAL_FORMS")


def test_persons_are_a_name_without_a_company_or_a_sole_trader_and_never_an_erased_client() -> None:
    names = pd.Series(["Ольга", "Иван", None, "Пётр", ERASED_NAMES[0], ERASED_NAMES[1], "  данные  удалены "])
    companies = pd.Series([None, "ООО «Ромашка»", "ИП Тарасова М.С.", "  ", None, "ИП Тарасова", None])
    assert persons(names, companies).tolist() == [True, False, True, True, False, False, False]
    assert is_erased("ДАННЫЕ УДАЛЕНЫ") and not is_erased("Данные")


# --- validate -------------------------------------------------------------------------------------


def test_a_person_without_a_consent_date_is_a_warning_naming_the_cell(tmp_path: Path) -> None:
    check_single_finding(
        build(tmp_path, [no_consent(OLGA)]),
        f"warning {consent_cell(3)}  no-consent  no Consent date: the client is a person (a name and no company, or a "
        "sole trader), so consent to process personal data is needed; collect it and type its date (Consent "
        "required on sheet Settings)",
    )


def test_the_warning_speaks_russian_in_a_russian_workbook(tmp_path: Path) -> None:
    path = build(tmp_path, [no_consent(OLGA)], locale="ru")
    result = run(path)
    assert result.exit_code == 0
    assert (
        "не заполнена Дата согласия: клиент — физическое лицо (имя без компании или ИП), поэтому нужно согласие на "
        "обработку персональных данных; получите его и впишите дату (Нужно согласие на обработку ПДн на листе "
        "Настройки)"
    ) in result.output
    [finding] = validate_workbook(path, today=TODAY).findings
    assert (finding.code.value, finding.cell) == ("no-consent", consent_cell(3).replace("Clients", "Клиенты"))


def test_a_company_client_needs_no_consent(tmp_path: Path) -> None:
    assert validate_workbook(build(tmp_path, [no_consent(IVAN)]), today=TODAY).findings == []


def test_a_sole_trader_needs_consent(tmp_path: Path) -> None:
    path = build(tmp_path, [no_consent(IVAN), put("clients", IVAN, "company", "ИП Петров И.И.")])
    [finding] = validate_workbook(path, today=TODAY).findings
    assert (finding.code.value, finding.cell) == ("no-consent", consent_cell(2))


@pytest.mark.parametrize("answer", ["No", "нет", " NO "])
def test_no_warning_when_the_setting_says_consent_is_not_required(tmp_path: Path, answer: str) -> None:
    path = build(tmp_path, [no_consent(OLGA), consent_setting(answer)])
    assert validate_workbook(path, today=TODAY).findings == []
    assert run(path).output == "No problems found in clients.xlsx\n"


def test_a_lost_client_and_an_erased_one_need_no_consent(tmp_path: Path) -> None:
    lost = [put("clients", OLGA, "designation", "Lost"), put("clients", OLGA, "lost_reason", "Price did not suit")]
    path = build(tmp_path, [no_consent(OLGA), *lost], name="lost.xlsx")
    assert [f.code.value for f in validate_workbook(path, today=TODAY).findings] == []
    erased = build(tmp_path, [no_consent(OLGA), put("clients", OLGA, "name", "Данные удалены")], name="erased.xlsx")
    assert validate_workbook(erased, today=TODAY).findings == []


def test_a_consent_date_after_today_is_a_warning_today_is_fine(tmp_path: Path) -> None:
    assert validate_workbook(build(tmp_path, [put("clients", OLGA, "consent_date", TODAY)]), TODAY).findings == []
    tomorrow = TODAY + dt.timedelta(days=1)
    check_single_finding(
        build(tmp_path, [put("clients", OLGA, "consent_date", tomorrow)], name="future.xlsx"),
        f'warning {consent_cell(3)}  future-consent  "2026-11-24"  a Consent date after today (23 November 2026): '
        "consent cannot have been given yet; check the day, month and year",
    )


def test_a_consent_date_that_is_not_a_date_is_one_finding_of_the_date_check(tmp_path: Path) -> None:
    path = build(tmp_path, [put("clients", OLGA, "consent_date", "31.02.2025")])
    [finding] = validate_workbook(path, today=TODAY).findings
    assert (finding.code.value, finding.cell) == ("bad-date", consent_cell(3))


def test_every_person_without_consent_of_the_demo_is_one_warning(tmp_path: Path) -> None:
    result = create_demo(tmp_path / "demo.xlsx", clients=120, seed=1, locale="ru", today=TODAY)
    report = validate_workbook(result.path, today=TODAY)
    found = sorted(f.cell for f in report.findings if f.code.value == "no-consent")
    planted = sorted(m.cell for m in result.planted_mistakes if m.code.value == "no-consent")
    assert found == planted and len(found) >= 2
    warning = next(f for f in report.findings if f.code.value == "no-consent")
    assert render(warning.message, "ru").startswith("не заполнена Дата согласия: клиент — физическое лицо")


@pytest.mark.parametrize(("locale", "answers"), [("ru", '"Да,Нет"'), ("en", '"Yes,No"')])
def test_a_new_workbook_offers_yes_or_no_for_consent_required(tmp_path: Path, locale: str, answers: str) -> None:
    path = tmp_path / "new.xlsx"
    assert CliRunner().invoke(cli, ["init", str(path), "--locale", locale]).exit_code == 0
    sheet = load_workbook(path)[schema.SETTINGS.name(locale)]
    row = next(cell.row for cell in sheet["A"] if cell.value == "consent_required")
    value_cell = f"C{row}"
    assert sheet[value_cell].value == schema.YES.name(locale)
    [dropdown] = [v for v in sheet.data_validations.dataValidation if value_cell in v.sqref]
    assert (dropdown.type, dropdown.formula1) == ("list", answers)
    settings, findings = read_settings(read_workbook(path))
    assert settings.consent_required and findings == []
