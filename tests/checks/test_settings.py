"""Reading the Settings sheet: values, defaults, lists and the findings for values that cannot be used."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.builders import (
    record_rows,
    settings_records,
    sheets_from_records,
    valid_records,
    write_records,
    write_workbook,
)
from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.settings import Settings, builtin_list, read_settings
from xlcrm.cli.main import cli
from xlcrm.messages import render
from xlcrm.xlsx.reader import read_workbook


def read(path: Path) -> tuple[Settings, list[Finding]]:
    """The settings of the workbook, and its findings with their messages as its Problems sheet writes them (in the
    workbook's language)."""
    data = read_workbook(path)
    settings, findings = read_settings(data)
    return settings, [dataclasses.replace(f, message=render(f.message, data.locale)) for f in findings]


def workbook_with_settings(
    tmp_path: Path,
    locale: str = "en",
    *,
    lists: dict[str, list[str]] | None = None,
    values: dict[str, object] | None = None,
) -> Path:
    records = valid_records(locale)
    records[schema.SETTINGS.key] = settings_records(locale, lists, values)
    return write_records(tmp_path / "clients.xlsx", locale, records)


def row_of(key: str) -> int:
    """Excel row of a setting written by settings_records (keys in schema order from row 2)."""
    return [item.key for item in schema.SETTINGS_KEYS].index(key) + 2


def test_defaults_without_a_settings_sheet(tmp_path: Path) -> None:
    records = valid_records("en")
    del records[schema.SETTINGS.key]
    settings, findings = read(write_records(tmp_path / "clients.xlsx", "en", records))
    assert findings == []
    assert settings.partner_orders == 10 and settings.regular_orders == 3
    assert settings.dead_after_days == 365 and settings.birthday_days == 14
    assert settings.phone_region == "RU"
    assert settings.managers == ()
    # Built-in lists work in both languages whatever the workbook's language.
    assert {"Order", "Заказ", "Agreement", "Договорённость"} <= set(settings.interaction_types)
    assert {"VIP", "Key", "Ключевой", "Lost", "Потерян"} <= set(settings.designations)
    assert settings.services == ("Consulting", "Audit")


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_values_and_lists_are_read(tmp_path: Path, locale: str) -> None:
    path = workbook_with_settings(
        tmp_path,
        locale,
        values={
            "partner_orders": 12,
            "regular_orders": "4",
            "dead_after_days": 180,
            "phone_region": " kz ",
            "birthday_days": 7,
        },
        lists={"managers": ["Anna", " anna ", "Boris"], "sources": ["Avito", "Сарафан"]},
    )
    settings, findings = read(path)
    assert findings == []
    assert (settings.partner_orders, settings.regular_orders, settings.dead_after_days) == (12, 4, 180)
    assert (settings.phone_region, settings.birthday_days) == ("KZ", 7)
    assert settings.managers == ("Anna", "Boris")  # the same name twice counts once
    assert settings.sources == ("Avito", "Сарафан")


def test_key_spelled_with_spaces_and_capitals(tmp_path: Path) -> None:
    records = valid_records("en")
    records[schema.SETTINGS.key] = [{"key": "  Partner Orders ", "value": 7}]
    settings, findings = read(write_records(tmp_path / "clients.xlsx", "en", records))
    assert findings == []
    assert settings.partner_orders == 7


def test_blank_value_means_default(tmp_path: Path) -> None:
    settings, findings = read(workbook_with_settings(tmp_path, values={"dead_after_days": None}))
    assert findings == []
    assert settings.dead_after_days == 365


@pytest.mark.parametrize(
    "value, shown", [("ten", "ten"), (0, "0"), (-3, "-3"), (2.5, "2.5"), (True, "True"), ("3²", "3²")]
)
def test_threshold_that_is_not_a_positive_whole_number(tmp_path: Path, value: object, shown: str) -> None:
    settings, findings = read(workbook_with_settings(tmp_path, values={"dead_after_days": value}))
    assert settings.dead_after_days == 365
    assert findings == [
        Finding(
            Severity.ERROR,
            Code.BAD_SETTING,
            "Settings",
            f"Settings!C{row_of('dead_after_days')}",
            shown,
            "dead_after_days must be a whole number of 1 or more; the default 365 is used until it is fixed",
        )
    ]


def test_unknown_phone_region(tmp_path: Path) -> None:
    settings, findings = read(workbook_with_settings(tmp_path, "ru", values={"phone_region": "Россия"}))
    assert settings.phone_region == "RU"
    assert findings == [
        Finding(
            Severity.ERROR,
            Code.BAD_SETTING,
            "Настройки",
            f"Настройки!C{row_of('phone_region')}",
            "Россия",
            # A Russian owner reads the setting's label, not its key.
            "Настройка «Страна телефонов»: значение должно быть двухбуквенным кодом страны, например RU, KZ или BY; "
            "пока оно не исправлено, используется значение по умолчанию RU",
        )
    ]


def test_regular_threshold_not_below_partner(tmp_path: Path) -> None:
    settings, findings = read(workbook_with_settings(tmp_path, values={"regular_orders": 10}))
    assert (settings.regular_orders, settings.partner_orders) == (10, 10)
    assert findings == [
        Finding(
            Severity.ERROR,
            Code.BAD_SETTING,
            "Settings",
            f"Settings!C{row_of('regular_orders')}",
            "10",
            "regular_orders (10) must be below partner_orders (10), otherwise no client is ever Regular",
        )
    ]


def test_unknown_and_repeated_keys_are_warnings(tmp_path: Path) -> None:
    records = valid_records("en")
    records[schema.SETTINGS.key] = [
        {"key": "partner_orders", "value": 8},
        {"key": "colour", "value": "red"},
        {"key": "PARTNER_ORDERS", "value": 20},
    ]
    settings, findings = read(write_records(tmp_path / "clients.xlsx", "en", records))
    assert settings.partner_orders == 8
    assert [(f.severity, f.cell, f.value) for f in findings] == [
        (Severity.WARNING, "Settings!A3", "colour"),
        (Severity.WARNING, "Settings!A4", "PARTNER_ORDERS"),
    ]
    assert findings[1].message == "partner_orders is set again; the value on row 2 is used"


def test_empty_list_falls_back_to_both_languages(tmp_path: Path) -> None:
    settings, _ = read(workbook_with_settings(tmp_path, "ru", lists={"interaction_types": [], "designations": []}))
    assert settings.interaction_types == builtin_list("interaction_types")
    assert settings.designations == builtin_list("designations")
    assert settings.allows("interaction_types", "Order") and settings.allows("interaction_types", "Заказ")


def test_custom_types_without_order_are_flagged(tmp_path: Path) -> None:
    settings, findings = read(workbook_with_settings(tmp_path, lists={"interaction_types": ["Call", "Sale"]}))
    assert settings.interaction_types == ("Call", "Sale")
    assert findings == [
        Finding(
            Severity.WARNING,
            Code.BAD_SETTING,
            "Settings",
            "Settings!F1",
            "Interaction types",
            "the list has no Order and no Agreement; lifecycle blocks count orders and agreements by these types",
        )
    ]


def test_list_matching_ignores_case_spaces_and_yo() -> None:
    settings = Settings(managers=("Пётр Семёнов",))
    assert settings.allows("managers", "  петр   семенов ")
    assert settings.allows("interaction_types", "ДОГОВОРЕННОСТЬ")
    assert settings.allows("yes_no", "да")
    assert not settings.allows("managers", "Пётр")


def test_services_come_from_my_services(tmp_path: Path) -> None:
    records = valid_records("ru")
    records[schema.SERVICES.key].append({"service": "консультация"})  # same service, other case
    settings, _ = read(write_records(tmp_path / "clients.xlsx", "ru", records))
    assert settings.services == ("Консультация", "Аудит")


def test_settings_sheet_with_headers_lower_down_is_ignored(tmp_path: Path) -> None:
    records = valid_records("en")
    path = write_records(tmp_path / "clients.xlsx", "en", records)
    book = load_workbook(path)
    book["Settings"].insert_rows(1, 2)
    book.save(path)
    settings, findings = read(path)
    assert findings == []  # validation reports the misplaced header row once
    assert settings == Settings(services=("Consulting", "Audit"))


# --- keys and their human labels -----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_the_template_labels_every_key_next_to_it_and_reads_back_its_defaults(tmp_path: Path, locale: str) -> None:
    path = tmp_path / "clients.xlsx"
    result = CliRunner().invoke(cli, ["init", str(path), "--locale", locale])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(path)[schema.SETTINGS.name(locale)].iter_rows(min_row=1, max_col=3, values_only=True))
    assert rows[0] == tuple(schema.SETTINGS.column(k).name(locale) for k in ("key", "label", "value"))
    assert rows[1 : 1 + len(schema.SETTINGS_KEYS)] == [
        (item.key, item.label(locale), item.default_in(locale)) for item in schema.SETTINGS_KEYS
    ]
    assert rows[1][1] == ("Заказов до Партнёра" if locale == "ru" else "Orders to become a Partner")
    settings, findings = read(path)
    assert findings == []
    assert {item.key: getattr(settings, item.key) for item in schema.SETTINGS_KEYS} == {
        item.key: item.default == schema.YES if item.default in (schema.YES, schema.NO) else item.default
        for item in schema.SETTINGS_KEYS
    }


def test_a_setting_is_found_by_its_key_or_by_its_label_in_either_language(tmp_path: Path) -> None:
    records = valid_records("ru")
    records[schema.SETTINGS.key] = [
        {"key": None, "label": "Заказов до Партнёра", "value": 12},  # the key deleted: the label names it
        {"key": None, "label": "  orders to become regular ", "value": 4},  # an English label in a Russian book
        {"key": "Дней тишины до «мёртвого»", "value": 200},  # a label typed into the Key column
        {"key": "birthday_days", "label": "Страна телефонов", "value": 7},  # the key wins over a wrong label
    ]
    settings, findings = read(write_records(tmp_path / "clients.xlsx", "ru", records))
    assert findings == []
    assert (settings.partner_orders, settings.regular_orders, settings.dead_after_days) == (12, 4, 200)
    assert (settings.birthday_days, settings.phone_region) == (7, "RU")


def test_an_unknown_or_repeated_label_is_a_warning_on_the_label_cell(tmp_path: Path) -> None:
    records = valid_records("en")
    records[schema.SETTINGS.key] = [
        {"key": "partner_orders", "label": "Orders to become a Partner", "value": 8},
        {"key": None, "label": "Colour of the sheet", "value": "red"},
        {"key": None, "label": "Заказов до Партнёра", "value": 20},
    ]
    settings, findings = read(write_records(tmp_path / "clients.xlsx", "en", records))
    assert settings.partner_orders == 8
    assert [(f.severity, f.cell, f.value) for f in findings] == [
        (Severity.WARNING, "Settings!B3", "Colour of the sheet"),
        (Severity.WARNING, "Settings!B4", "Заказов до Партнёра"),
    ]
    assert findings[1].message == "partner_orders is set again; the value on row 2 is used"


def test_a_workbook_from_before_the_labels_is_read_by_its_keys(tmp_path: Path) -> None:
    """Key | Value | Description, as xlcrm wrote Settings before the Setting column existed."""
    sheets = sheets_from_records("ru", valid_records("ru"))
    old_columns = [c.key for c in schema.SETTINGS.columns if c.key != "label"]
    old_rows = [{"key": "partner_orders", "value": 15, "description": "…"}, {"key": "dead after days", "value": 90}]
    sheets[schema.SETTINGS.ru] = record_rows(schema.SETTINGS, "ru", old_rows, old_columns)
    path = write_workbook(tmp_path / "clients.xlsx", sheets)
    assert "Настройка" not in [cell.value for cell in load_workbook(path)[schema.SETTINGS.ru][1]]
    settings, findings = read(path)
    assert findings == []
    assert (settings.partner_orders, settings.dead_after_days) == (15, 90)
    result = CliRunner().invoke(cli, ["validate", str(path), "--json"])
    assert not [f for f in json.loads(result.output)["findings"] if f["sheet"] == schema.SETTINGS.ru]


def test_a_settings_sheet_without_its_key_column_is_refused_and_none_of_its_values_used(tmp_path: Path) -> None:
    """The Key column is required: validate and refresh refuse the sheet without it, and nothing reads a setting
    from its labels alone (dedupe and import would otherwise work with values validate calls unusable)."""
    sheets = sheets_from_records("ru", valid_records("ru"))
    columns = [c.key for c in schema.SETTINGS.columns if c.key != "key"]
    rows = [
        {"label": "Заказов до Партнёра", "value": 12},
        {"label": schema.setting("dedupe_auto_probability").label("ru"), "value": 90},
    ]
    sheets[schema.SETTINGS.ru] = record_rows(schema.SETTINGS, "ru", rows, columns)
    path = write_workbook(tmp_path / "clients.xlsx", sheets)
    before = path.read_bytes()

    settings, findings = read(path)
    assert settings == Settings(managers=settings.managers, services=settings.services)  # every value its default
    assert findings == []
    validated = CliRunner().invoke(cli, ["--lang", "en", "validate", str(path), "--json"])
    assert validated.exit_code == 1
    errors = [f for f in json.loads(validated.output)["findings"] if f["severity"] == "error"]
    assert [(f["sheet"], f["message"]) for f in errors] == [
        (schema.SETTINGS.ru, "no column Ключ (or Key) in row 1; xlcrm needs it")
    ]
    refreshed = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23"])
    assert refreshed.exit_code == 1 and "Ключ" in refreshed.output
    assert path.read_bytes() == before


def test_no_reactivations_is_a_setting_of_its_own(tmp_path: Path) -> None:
    # 0 reactivations per week: the owner wants none on the agenda.
    settings, findings = read(workbook_with_settings(tmp_path, values={"reactivations_per_week": 0}))
    assert (settings.reactivations_per_week, findings) == (0, [])


@pytest.mark.parametrize("key, value, rule", [("reactivations_per_week", -1, "0"), ("agenda_limit", 0, "1")])
def test_below_the_least_a_setting_allows(tmp_path: Path, key: str, value: int, rule: str) -> None:
    settings, findings = read(workbook_with_settings(tmp_path, values={key: value}))
    default = schema.setting(key).default
    assert getattr(settings, key) == default
    assert [str(f.message) for f in findings] == [
        f"{key} must be a whole number of {rule} or more; the default {default} is used until it is fixed"
    ]
