"""``xlcrm init --upgrade`` of workbooks made before payments: they gain the Payment type, the Order No., Discount,
Card number and Payment term columns with the template's checks, the payment settings (Track payments from = the
day of the upgrade, so the old history is not a debt) and the Amount check that lets a refund in; every cell and
every untouched part stays as it was."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import convert_with_libreoffice
from tests.jobs.test_upgrade import assert_cells_kept, parts_kept, sha, sheet_parts, upgrade_json, validations
from xlcrm import schema
from xlcrm.checks.findings import Code
from xlcrm.cli.main import cli
from xlcrm.files.safe_save import BACKUP_FOLDER, SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.upgrade import upgrade_workbook
from xlcrm.jobs.validate import validate_workbook
from xlcrm.xlsx.refs import column_letter

OLDER = Path(__file__).parents[1] / "data" / "older"
OLD_DEMO = OLDER / "demo-ru-1181351.xlsx"  # the Russian demo of the version before payments
OLD_TEMPLATE = OLDER / "template-en-1181351.xlsx"  # its blank English template
UPGRADE_DAY = dt.date(2026, 12, 3)
CLIENTS, INTERACTIONS, SETTINGS = schema.CLIENTS.ru, schema.INTERACTIONS.ru, schema.SETTINGS.ru
NEW_CLIENT_COLUMNS = ("Скидка, %", "Номер карты", "Срок оплаты, дней")
NEW_SETTINGS = ["payment_term_days", "payments_from", "card_digits"]
# The duplicate settings in points, rows 19 and 20, become those of match probability; the review limit is new.
DEDUPE_SETTINGS = ["dedupe_auto_probability", "dedupe_review_probability", "dedupe_review_limit"]
OLD_AMOUNT_CHECK = 'IF(OR($D2="Return",$D2="Возврат"),-1E+15,0)'
NEW_AMOUNT_CHECK = 'IF(OR($D2="Return",$D2="Возврат",$D2="Payment",$D2="Оплата"),-1E+15,0)'


@pytest.fixture()
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "clients.xlsx"
    shutil.copyfile(OLD_DEMO, path)
    return path


def upgrade(path: Path, *args: str) -> dict[str, object]:
    return upgrade_json(path, "--today", UPGRADE_DAY.isoformat(), *args)


def test_an_older_demo_gains_the_payment_columns_settings_and_type_and_keeps_every_cell(workbook: Path) -> None:
    answer = upgrade(workbook)

    columns = {(c["sheet"], c["header"]): c["cell"] for c in answer["columns"]}  # type: ignore[union-attr, index]
    assert columns == {
        (CLIENTS, "Скидка, %"): "R1",
        (CLIENTS, "Номер карты"): "S1",
        (CLIENTS, "Срок оплаты, дней"): "T1",
        (INTERACTIONS, "№ заказа"): "L1",
    }
    settings = answer["settings"]
    assert [item["key"] for item in settings] == NEW_SETTINGS + DEDUPE_SETTINGS  # type: ignore[union-attr, index]
    # From the day of the upgrade orders wait for payments; the old history counts as settled.
    assert [item["value"] for item in settings] == [14, UPGRADE_DAY.isoformat(), 0, 99, 50, 500]  # type: ignore[union-attr, index]
    assert [(item["row"], item["replaces"]) for item in settings] == [  # type: ignore[union-attr, index]
        (21, None),
        (22, None),
        (23, None),
        (19, "dedupe_auto_score"),
        (20, "dedupe_review_score"),
        (24, None),
    ]
    assert answer["list_values"] == [
        {"sheet": SETTINGS, "header": "Типы взаимодействий", "value": "Оплата", "cell": "F10"}
    ]
    assert answer["checks"] == [{"sheet": INTERACTIONS, "header": "Сумма", "cells": "F2:F1048576"}]
    assert answer["sheets"] == [] and answer["left_out"] == [] and answer["notes"] == []

    added = {CLIENTS: {"R1", "S1", "T1"}, INTERACTIONS: {"L1"}, SETTINGS: {"F10"}}
    added[SETTINGS] |= {f"{letter}{row}" for row in (21, 22, 23, 24) for letter in "ABCD"}
    swapped = {SETTINGS: {f"{letter}{row}" for row in (19, 20) for letter in "ABCD"}}
    assert_cells_kept(OLD_DEMO, workbook, added, swapped)

    # Only the three sheets changed (and the tables growing over their new columns, and the styles of the new
    # cells); every other part byte for byte.
    parts = sheet_parts(OLD_DEMO)
    changed = {parts[name] for name in (CLIENTS, INTERACTIONS, SETTINGS)} | {"xl/styles.xml"}
    with zipfile.ZipFile(OLD_DEMO) as archive:
        original = set(archive.namelist())
    tables = {name for name in original if name.startswith("xl/tables/")}
    assert original - parts_kept(OLD_DEMO, workbook) <= changed | tables
    kept = parts_kept(OLD_DEMO, workbook)
    for name in (schema.CONTACTS.ru, schema.SERVICES.ru, schema.CONTRACTS.ru, schema.HOW_TO.ru):
        assert parts[name] in kept
    assert {"xl/workbook.xml", "[Content_Types].xml", "docProps/app.xml"} <= kept

    book = openpyxl.load_workbook(workbook)
    row = next(item["row"] for item in settings if item["key"] == "payments_from")  # type: ignore[union-attr, index]
    value = book[SETTINGS][f"C{row}"]
    assert value.value == dt.datetime(2026, 12, 3) and value.number_format == "DD.MM.YYYY"
    # The setting after it is a number, not a date that took the look of the cell above.
    assert book[SETTINGS][f"C{row + 1}"].number_format == "General"


def test_the_new_columns_get_the_entry_checks_and_formats_of_the_template(workbook: Path) -> None:
    old = openpyxl.load_workbook(OLD_DEMO)
    upgrade(workbook)

    book = openpyxl.load_workbook(workbook)
    clients = validations(book[CLIENTS])
    assert clients[: len(validations(old[CLIENTS]))] == validations(old[CLIENTS])
    checks = {cells: (kind, first, second) for kind, cells, first, second, *_ in clients}
    assert checks["R2:R1048576"] == ("decimal", "0", "100")  # Discount, %
    assert checks["T2:T1048576"] == ("whole", "0", None)  # Payment term, days
    discount = next(v for v in book[CLIENTS].data_validations.dataValidation if str(v.sqref) == "R2:R1048576")
    assert discount.errorStyle == "stop" and "100" in str(discount.error) and "100" in str(discount.prompt)
    # A card number and an Order No. typed in Excel keep their leading zeros: the columns are text.
    assert book[CLIENTS].column_dimensions["S"].number_format == "@"
    assert book[INTERACTIONS].column_dimensions["L"].number_format == "@"
    assert book[CLIENTS].column_dimensions["T"].number_format == "0"

    # The Amount check of the older template is replaced: a Payment below zero (a refund) is allowed now; the
    # sheet's other validations stay as they were, in order.
    before = validations(old[INTERACTIONS])
    after = validations(book[INTERACTIONS])
    assert [v for v in before if v[2] != OLD_AMOUNT_CHECK] == after[:-1]
    assert after[-1][:3] == ("decimal", "F2:F1048576", NEW_AMOUNT_CHECK)
    assert "Оплата" in str(after[-1][6]) and "Оплата" in str(after[-1][7])

    # The date of Track payments from is checked as a date.
    dates = [v for v in book[SETTINGS].data_validations.dataValidation if v.type == "date"]
    assert [str(v.sqref) for v in dates] == ["C22"] and book[SETTINGS]["B22"].value == "Учёт оплат с"


def test_a_second_upgrade_adds_nothing_and_leaves_the_bytes(workbook: Path) -> None:
    upgrade(workbook)
    before = sha(workbook)
    backups = sorted((workbook.parent / BACKUP_FOLDER).iterdir())

    again = upgrade_workbook(workbook, today=UPGRADE_DAY + dt.timedelta(days=1))

    assert again.nothing_to_add and again.save is None
    assert sha(workbook) == before
    assert sorted((workbook.parent / BACKUP_FOLDER).iterdir()) == backups


def test_the_dry_run_names_the_payment_type_and_the_check_and_writes_nothing(workbook: Path) -> None:
    before = sha(workbook)
    result = CliRunner().invoke(cli, ["init", "--upgrade", str(workbook), "--dry-run", "--today", "03.12.2026"])
    assert result.exit_code == 0, result.output
    assert "1 значение списка" in result.output
    assert "значение Оплата в списке Типы взаимодействий на листе Настройки (F10)" in result.output
    assert "Учёт оплат с (payments_from) в строке 22: 3 декабря 2026" in result.output
    assert "проверка ввода графы Сумма на листе Взаимодействия (F2:F1048576) теперь допускает возврат" in result.output
    assert sha(workbook) == before and not (workbook.parent / BACKUP_FOLDER).exists()


def test_validate_finds_nothing_new_and_a_payment_typed_after_the_upgrade_settles_an_order(
    workbook: Path, tmp_path: Path
) -> None:
    before = {(f.code, f.cell) for f in validate_workbook(OLD_DEMO, UPGRADE_DAY).findings}
    upgrade(workbook)
    # The rows of the duplicate settings in points, no longer read, are swapped: their warnings go.
    retired = {(Code.RETIRED_SETTING, f"{SETTINGS}!A19"), (Code.RETIRED_SETTING, f"{SETTINGS}!A20")}
    assert retired <= before
    assert {(f.code, f.cell) for f in validate_workbook(workbook, UPGRADE_DAY).findings} == before - retired

    # A user types, after the upgrade, an order of 5000 (No. 7) and its payment, and an unpaid order of 3000.
    book = openpyxl.load_workbook(workbook)
    interactions = book[INTERACTIONS]
    headers = [cell.value for cell in interactions[1]]
    client = interactions["B2"].value
    for day, kind, amount, number in (
        (dt.datetime(2026, 12, 4), "Заказ", 5000, "7"),
        (dt.datetime(2026, 12, 5), "Оплата", 5000, "7"),
        (dt.datetime(2026, 12, 6), "Заказ", 3000, None),
    ):
        row = dict.fromkeys(headers)
        row.update({"Дата": day, "ID клиента": client, "Тип": kind, "Сумма": amount, "№ заказа": number})
        interactions.append(list(row.values()))
    book.save(workbook)

    refreshed = tmp_path / "refreshed.xlsx"
    result = refresh_workbook(workbook, today=dt.date(2026, 12, 10), save=SaveOptions(output=refreshed))
    assert result.save is not None

    clients = openpyxl.load_workbook(refreshed)[CLIENTS]
    header = [cell.value for cell in clients[1]]
    balance = column_letter(header.index("▸ Баланс"))
    unpaid = column_letter(header.index("▸ Не оплачено с"))
    by_client = {row[0].value: row[0].row for row in clients.iter_rows(min_row=2) if row[0].value}
    # Only the order after the upgrade still waits: the years of orders before it count as settled.
    assert clients[f"{balance}{by_client[client]}"].value == 3000
    assert clients[f"{unpaid}{by_client[client]}"].value == dt.datetime(2026, 12, 6)
    others = [clients[f"{balance}{row}"].value for name, row in by_client.items() if name != client]
    assert all(value in (None, 0) for value in others)


def test_a_dropdown_that_does_not_reach_below_the_list_leaves_the_value_out_and_says_so(workbook: Path) -> None:
    name = schema.LIST_DEFINED_NAMES["interaction_types"]
    book = openpyxl.load_workbook(workbook)
    book.defined_names[name].attr_text = f"{SETTINGS}!$F$2:$F$9"  # the owner's own name, over the list as it is
    book.save(workbook)

    answer = upgrade(workbook)

    assert answer["list_values"] == []
    assert any("Оплата" in reason and "F10" in reason for reason in answer["left_out"])  # type: ignore[union-attr]
    book = openpyxl.load_workbook(workbook)
    assert book[SETTINGS]["F10"].value is None
    assert book.defined_names[name].attr_text == f"{SETTINGS}!$F$2:$F$9"


def test_the_older_english_template_gains_the_payment_type_in_english(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    shutil.copyfile(OLD_TEMPLATE, path)

    result = upgrade_workbook(path, today=UPGRADE_DAY)

    assert [(item.value, item.cell) for item in result.list_values] == [("Payment", "F10")]
    assert {column.header for column in result.columns} == {
        "Discount, %",
        "Card number",
        "Payment term, days",
        "Order No.",
    }
    assert [item.key for item in result.settings] == NEW_SETTINGS + DEDUPE_SETTINGS
    assert [check.header for check in result.checks] == ["Amount"]
    assert not validate_workbook(path, UPGRADE_DAY).errors
    settings = openpyxl.load_workbook(path)[schema.SETTINGS.en]
    assert settings["F10"].value == "Payment"
    assert upgrade_workbook(path, today=UPGRADE_DAY).nothing_to_add


def test_libreoffice_opens_the_upgraded_older_demo(workbook: Path, tmp_path: Path) -> None:
    upgrade(workbook)
    assert convert_with_libreoffice(workbook, "pdf", tmp_path / "pdf").stat().st_size > 0


def test_today_without_upgrade_is_a_usage_error_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new.xlsx"
    result = CliRunner().invoke(cli, ["--lang", "en", "init", str(path), "--today", "2026-12-03"])
    assert result.exit_code == 2 and "--today goes with --upgrade" in result.output
    assert not path.exists()


def test_a_workbook_without_settings_is_told_that_track_payments_from_is_blank(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    book.remove(book[SETTINGS])
    for name in [name for name, item in book.defined_names.items() if SETTINGS in str(item.attr_text)]:
        del book.defined_names[name]
    book.save(workbook)

    answer = upgrade(workbook)

    assert SETTINGS in answer["sheets"]  # type: ignore[operator]
    assert any("«Учёт оплат с»" in reason and "пуста" in reason for reason in answer["left_out"])  # type: ignore[union-attr]
