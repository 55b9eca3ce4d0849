"""``xlcrm init --upgrade`` swaps the rows of the duplicate settings in points for those of match probability, in
place, and adds the review limit below the last setting; a value the owner chose in points is not carried over,
and the result says what it was."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import convert_with_libreoffice
from tests.jobs.test_upgrade import assert_cells_kept, cell_looks, parts_kept, sha, sheet_parts
from xlcrm import schema
from xlcrm.checks.findings import Code
from xlcrm.cli.main import cli
from xlcrm.files.safe_save import BACKUP_FOLDER
from xlcrm.jobs.upgrade import AddedSetting, UpgradeResult, upgrade_workbook
from xlcrm.jobs.validate import validate_workbook

OLDER = Path(__file__).parents[1] / "data" / "older"
OLD_TEMPLATE = OLDER / "template-en-1181351.xlsx"  # the blank English template from before match probability
OLD_DEMO = OLDER / "demo-ru-1181351.xlsx"  # its Russian demo
UPGRADE_DAY = dt.date(2026, 12, 3)
# The rows of the duplicate settings in points on both older workbooks, and the row the review limit gets.
AUTO_ROW, REVIEW_ROW, LIMIT_ROW = 19, 20, 24


def copy(source: Path, folder: Path, name: str = "clients.xlsx") -> Path:
    path = folder / name
    shutil.copyfile(source, path)
    return path


def setting_row(path: Path, row: int) -> list[object]:
    settings = openpyxl.load_workbook(path).worksheets[-2]  # Settings, before How to use
    return [settings.cell(row, column).value for column in range(1, 5)]


def dedupe_settings(result: UpgradeResult) -> list[AddedSetting]:
    return [item for item in result.settings if item.key.startswith("dedupe_")]


def test_the_older_template_gets_the_probability_rows_in_place_of_the_points(tmp_path: Path) -> None:
    path = copy(OLD_TEMPLATE, tmp_path)

    result = upgrade_workbook(path, today=UPGRADE_DAY)

    assert dedupe_settings(result) == [
        AddedSetting(
            "dedupe_auto_probability", "Merge duplicates from probability, %", AUTO_ROW, 99, "dedupe_auto_score"
        ),
        AddedSetting(
            "dedupe_review_probability", "Review duplicates from probability, %", REVIEW_ROW, 50, "dedupe_review_score"
        ),
        AddedSetting("dedupe_review_limit", "Duplicate pairs to review at most", LIMIT_ROW, 500),
    ]
    assert result.notes == ()  # the points were the template's own, nothing the owner chose is lost
    for row, key in ((AUTO_ROW, "dedupe_auto_probability"), (REVIEW_ROW, "dedupe_review_probability")):
        item = schema.setting(key)
        assert setting_row(path, row) == [key, item.label("en"), item.default, item.description("en")]
    assert setting_row(path, LIMIT_ROW)[:3] == ["dedupe_review_limit", "Duplicate pairs to review at most", 500]

    # The two rows keep their looks; every other cell is as it was, and only the Settings sheet among the sheets
    # changed (the other new columns aside).
    swapped = {"Settings": {f"{letter}{row}" for row in (AUTO_ROW, REVIEW_ROW) for letter in "ABCD"}}
    added: dict[str, set[str]] = {"Settings": {"F10"}}
    for item in result.settings:
        if item.replaces is None:
            added["Settings"] |= {f"{letter}{item.row}" for letter in "ABCD"}
    for column in result.columns:
        added.setdefault(column.sheet, set()).add(column.cell)
    assert_cells_kept(OLD_TEMPLATE, path, added, swapped)
    parts = sheet_parts(OLD_TEMPLATE)
    for name in ("Contacts", "My Services", "Contracts", "How to use"):
        assert parts[name] in parts_kept(OLD_TEMPLATE, path)

    assert not [f for f in validate_workbook(path, UPGRADE_DAY).findings if f.code is Code.RETIRED_SETTING]


def test_a_second_upgrade_writes_nothing(tmp_path: Path) -> None:
    path = copy(OLD_TEMPLATE, tmp_path)
    upgrade_workbook(path, today=UPGRADE_DAY)
    before = sha(path)
    backups = sorted((tmp_path / BACKUP_FOLDER).iterdir())

    again = upgrade_workbook(path, today=UPGRADE_DAY + dt.timedelta(days=1))

    assert again.nothing_to_add and again.save is None and again.notes == ()
    assert sha(path) == before
    assert sorted((tmp_path / BACKUP_FOLDER).iterdir()) == backups


def test_a_value_the_owner_chose_in_points_is_not_carried_over_and_the_result_says_so(tmp_path: Path) -> None:
    path = copy(OLD_TEMPLATE, tmp_path)
    book = openpyxl.load_workbook(path)
    book["Settings"][f"C{AUTO_ROW}"] = 70
    book.save(path)

    result = CliRunner().invoke(cli, ["--lang", "en", "init", "--upgrade", str(path), "--today", "2026-12-03"])

    assert result.exit_code == 0, result.output
    note = (
        "Note: 'Merge duplicates from score' on row 19 of 'Settings' was 70, in points of a duplicate score; a match "
        "probability is another scale, so it is not carried over: 'Merge duplicates from probability, %' is 99 %, "
        "set it anew if you want another"
    )
    assert note in result.output.splitlines()
    assert (
        "  setting Merge duplicates from probability, % (dedupe_auto_probability) on row 19, in place of "
        "dedupe_auto_score: 99"
    ) in result.output.splitlines()
    assert setting_row(path, AUTO_ROW)[2] == 99


def test_the_russian_demo_is_told_in_russian_and_its_json_names_what_was_replaced(tmp_path: Path) -> None:
    path = copy(OLD_DEMO, tmp_path)
    book = openpyxl.load_workbook(path)
    book[schema.SETTINGS.ru][f"C{REVIEW_ROW}"] = 35
    book.save(path)
    before = sha(path)

    dry = CliRunner().invoke(cli, ["init", "--upgrade", str(path), "--dry-run", "--today", "03.12.2026"])

    assert dry.exit_code == 0, dry.output
    assert (
        "  настройка Проверять дубли от вероятности, % (dedupe_review_probability) в строке 20 вместо "
        "dedupe_review_score: 50"
    ) in dry.output.splitlines()
    assert (
        "Примечание: «Проверять дубли от оценки» в строке 20 листа «Настройки» было 35 — это баллы оценки дублей; "
        "вероятность совпадения — другая шкала, поэтому значение не перенесено: «Проверять дубли от вероятности, %» "
        "— 50 %, задайте заново, если нужно другое"
    ) in dry.output.splitlines()
    assert sha(path) == before and not (tmp_path / BACKUP_FOLDER).exists()

    result = upgrade_workbook(path, today=UPGRADE_DAY)
    answer = result.to_dict()
    assert [(item["key"], item["row"], item["replaces"]) for item in answer["settings"][-3:]] == [
        ("dedupe_auto_probability", AUTO_ROW, "dedupe_auto_score"),
        ("dedupe_review_probability", REVIEW_ROW, "dedupe_review_score"),
        ("dedupe_review_limit", LIMIT_ROW, None),
    ]
    assert len(answer["notes"]) == 1 and "35" in answer["notes"][0]
    assert setting_row(path, REVIEW_ROW)[:3] == ["dedupe_review_probability", "Проверять дубли от вероятности, %", 50]


def test_a_retired_row_named_by_its_label_alone_is_swapped_key_and_all(tmp_path: Path) -> None:
    path = copy(OLD_DEMO, tmp_path)
    book = openpyxl.load_workbook(path)
    book[schema.SETTINGS.ru][f"A{AUTO_ROW}"] = None  # the owner cleared the key; the label names the row
    book.save(path)

    result = upgrade_workbook(path, today=UPGRADE_DAY)

    assert [(item.key, item.row) for item in dedupe_settings(result)][0] == ("dedupe_auto_probability", AUTO_ROW)
    assert setting_row(path, AUTO_ROW)[:3] == ["dedupe_auto_probability", "Объединять дубли от вероятности, %", 99]


def test_beside_a_probability_row_the_owner_typed_the_retired_row_is_left_to_the_owner(tmp_path: Path) -> None:
    path = copy(OLD_TEMPLATE, tmp_path)
    book = openpyxl.load_workbook(path)
    book["Settings"].append(["dedupe_auto_probability", None, 98])
    book.save(path)
    retired = setting_row(path, AUTO_ROW)

    result = upgrade_workbook(path, today=UPGRADE_DAY)

    assert [(item.key, item.replaces) for item in dedupe_settings(result)] == [
        ("dedupe_review_probability", "dedupe_review_score"),
        ("dedupe_review_limit", None),
    ]
    assert setting_row(path, AUTO_ROW) == retired
    findings = [f for f in validate_workbook(path, UPGRADE_DAY).findings if f.code is Code.RETIRED_SETTING]
    assert [(f.cell, "delete this row" in str(f.message)) for f in findings] == [("Settings!A19", True)]


@pytest.mark.parametrize("source", [OLD_TEMPLATE, OLD_DEMO], ids=["template", "demo"])
def test_a_workbook_saved_by_libreoffice_is_swapped_too(tmp_path: Path, source: Path) -> None:
    (tmp_path / "source").mkdir()
    saved = convert_with_libreoffice(copy(source, tmp_path / "source"), "xlsx", tmp_path / "saved")
    locale = "en" if source == OLD_TEMPLATE else "ru"
    looks = [cell_looks(cell) for cell in openpyxl.load_workbook(saved).worksheets[-2][AUTO_ROW][:4]]

    result = upgrade_workbook(saved, today=UPGRADE_DAY)

    assert [(item.key, item.row, item.replaces) for item in dedupe_settings(result)] == [
        ("dedupe_auto_probability", AUTO_ROW, "dedupe_auto_score"),
        ("dedupe_review_probability", REVIEW_ROW, "dedupe_review_score"),
        ("dedupe_review_limit", LIMIT_ROW, None),
    ]
    label = schema.setting("dedupe_auto_probability").label(locale)
    assert setting_row(saved, AUTO_ROW)[:3] == ["dedupe_auto_probability", label, 99]
    after = openpyxl.load_workbook(saved).worksheets[-2][AUTO_ROW][:4]
    assert [cell_looks(cell)[1:] for cell in after] == [old[1:] for old in looks]
    assert not [f for f in validate_workbook(saved, UPGRADE_DAY).findings if f.code is Code.RETIRED_SETTING]
    before = sha(saved)
    assert upgrade_workbook(saved, today=UPGRADE_DAY).nothing_to_add and sha(saved) == before
