"""The duplicate settings in points (``dedupe_auto_score``, ``dedupe_review_score``) are retired: a workbook that still
has their rows gets a ``retired-setting`` warning and their values are not read (80 points is no probability of
80 %); the settings of match probability that replace them are range-checked like the other numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.builders import settings_records, valid_records, write_records
from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.settings import Settings, read_settings
from xlcrm.cli.main import cli
from xlcrm.dedupe.plan import DedupePlan, plan_dedupe
from xlcrm.messages import render
from xlcrm.xlsx.reader import read_workbook

OLDER = Path(__file__).parents[1] / "data" / "older"
OLD_TEMPLATE = OLDER / "template-en-1181351.xlsx"  # the blank English template from before match probability
OLD_DEMO = OLDER / "demo-ru-1181351.xlsx"  # its Russian demo
RETIRED_BY_NEW = {"dedupe_auto_probability": "dedupe_auto_score", "dedupe_review_probability": "dedupe_review_score"}


def read(path: Path) -> tuple[Settings, list[Finding]]:
    """The settings of the workbook, and its findings with their messages in the workbook's language."""
    data = read_workbook(path)
    settings, findings = read_settings(data)
    return settings, [dataclasses.replace(f, message=render(f.message, data.locale)) for f in findings]


def with_settings_rows(tmp_path: Path, rows: list[dict[str, object]], locale: str = "en") -> Path:
    records = valid_records(locale)
    records[schema.SETTINGS.key] = rows
    return write_records(tmp_path / "clients.xlsx", locale, records)


def with_values(tmp_path: Path, values: dict[str, object]) -> Path:
    records = valid_records("en")
    records[schema.SETTINGS.key] = settings_records("en", None, values)
    return write_records(tmp_path / "clients.xlsx", "en", records)


def row_of(key: str) -> int:
    """Excel row of a setting written by settings_records (keys in schema order from row 2)."""
    return [item.key for item in schema.SETTINGS_KEYS].index(key) + 2


# --- the retired rows ---------------------------------------------------------------------------------------------


def test_the_older_template_warns_of_its_two_retired_rows_and_reads_the_new_defaults(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    shutil.copyfile(OLD_TEMPLATE, path)
    settings, findings = read(path)
    assert findings == [
        Finding(
            Severity.WARNING,
            Code.RETIRED_SETTING,
            "Settings",
            "Settings!A19",
            "dedupe_auto_score",
            "dedupe_auto_score is no longer used: duplicates are now judged by their match probability, not by "
            "points, so its value is not read; dedupe_auto_probability takes its place (99 % until set), and xlcrm "
            "init --upgrade puts it in this row",
        ),
        Finding(
            Severity.WARNING,
            Code.RETIRED_SETTING,
            "Settings",
            "Settings!A20",
            "dedupe_review_score",
            "dedupe_review_score is no longer used: duplicates are now judged by their match probability, not by "
            "points, so its value is not read; dedupe_review_probability takes its place (50 % until set), and "
            "xlcrm init --upgrade puts it in this row",
        ),
    ]
    assert (settings.dedupe_auto_probability, settings.dedupe_review_probability) == (99, 50)
    assert settings.dedupe_review_limit == 500


def test_validate_lists_the_warnings_and_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    shutil.copyfile(OLD_TEMPLATE, path)
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["--lang", "en", "validate", str(path), "--json"])
    assert result.exit_code == 0, result.output
    found = [(f["severity"], f["code"], f["cell"]) for f in json.loads(result.output)["findings"]]
    assert found == [
        ("warning", "retired-setting", "Settings!A19"),
        ("warning", "retired-setting", "Settings!A20"),
    ]
    printed = CliRunner().invoke(cli, ["--lang", "en", "validate", str(path)])
    assert printed.exit_code == 0 and "0 errors, 2 warnings" in printed.output
    assert path.read_bytes() == before


def test_a_russian_workbook_is_told_in_russian_by_the_settings_labels(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    shutil.copyfile(OLD_DEMO, path)
    _, findings = read(path)
    retired = [f for f in findings if f.code is Code.RETIRED_SETTING]
    assert [(f.cell, f.value) for f in retired] == [
        ("Настройки!A19", "dedupe_auto_score"),
        ("Настройки!A20", "dedupe_review_score"),
    ]
    assert retired[0].message == (
        "настройка «Объединять дубли от оценки» больше не используется: дубли теперь оцениваются по вероятности "
        "совпадения, а не по баллам, поэтому её значение не читается; вместо неё действует «Объединять дубли от "
        "вероятности, %» (пока она не задана, 99 %), и xlcrm init --upgrade поставит её в эту строку"
    )
    assert not [f for f in findings if f.code is Code.BAD_SETTING]


def test_a_retired_row_named_by_its_label_or_key_in_either_spelling_is_recognised(tmp_path: Path) -> None:
    path = with_settings_rows(
        tmp_path,
        [
            {"key": None, "label": "Объединять дубли от оценки", "value": 70},
            {"key": " Dedupe Review Score ", "value": 30},
        ],
        "ru",
    )
    settings, findings = read(path)
    assert [(f.code, f.cell, f.value) for f in findings] == [
        (Code.RETIRED_SETTING, "Настройки!B2", "Объединять дубли от оценки"),
        (Code.RETIRED_SETTING, "Настройки!A3", "Dedupe Review Score"),
    ]
    assert (settings.dedupe_auto_probability, settings.dedupe_review_probability) == (99, 50)


def test_beside_the_new_row_the_retired_one_is_to_be_deleted(tmp_path: Path) -> None:
    path = with_settings_rows(
        tmp_path,
        [
            {"key": "dedupe_auto_score", "value": 80},
            {"key": "partner_orders", "value": 10},
            {"key": "dedupe_auto_probability", "value": 97},
        ],
    )
    settings, findings = read(path)
    assert settings.dedupe_auto_probability == 97
    assert [str(f.message) for f in findings] == [
        "dedupe_auto_score is no longer used: duplicates are now judged by their match probability, not by points, "
        "so its value is not read; dedupe_auto_probability on row 4 takes its place: delete this row"
    ]


def dedupe_plan(tmp_path: Path, name: str, values: dict[str, object], retire: bool = False) -> DedupePlan:
    """The dedupe plan of a small base (a pair sharing a phone, a pair alike in name and city) whose Settings have
    ``values``; with ``retire`` the rows of the two probabilities carry the retired keys instead."""
    clients = [
        {"client_id": "C000001", "name": "Петров Иван Иванович", "phone": "8 916 123 45 67", "city": "Казань"},
        {"client_id": "C000002", "name": "Петров И.И.", "phone": "+7 (916) 123-45-67", "city": "Казань"},
        {"client_id": "C000003", "name": "Сидорова Анна", "city": "Пермь", "birthday": dt.date(1990, 1, 2)},
        {"client_id": "C000004", "name": "Сидорова Анна Петровна", "city": "Пермь"},
    ]
    rows = settings_records("en", None, values)
    for row in rows:
        row["key"] = RETIRED_BY_NEW.get(str(row.get("key")), row.get("key")) if retire else row.get("key")
    records = {**valid_records("en"), schema.CLIENTS.key: clients, schema.SETTINGS.key: rows}
    folder = tmp_path / name
    folder.mkdir()
    data = read_workbook(write_records(folder / "clients.xlsx", "en", records))
    settings, _ = read_settings(data)
    return plan_dedupe(data, settings)


def outcome(plan: DedupePlan) -> tuple[list[set[str]], list[tuple[set[str], float]]]:
    """What a plan merges and lists for review, by ClientID."""
    ids = plan.records
    merged = [{ids[row].client_id for row in group.rows} for group in plan.groups]
    review = [({ids[m.first].client_id, ids[m.second].client_id}, m.percent) for m in plan.review]
    return merged, review


@pytest.mark.parametrize("auto, review", [(80, 50), (100, 100), (99, 99), (1, 1)])
def test_the_values_of_retired_rows_are_not_used(tmp_path: Path, auto: int, review: int) -> None:
    """Merging from 80 points is not merging from 80 %: the pair alike in name and city, below 99 %, still waits
    for review, and values that as probabilities would change the plan change nothing."""
    values = {"dedupe_auto_probability": auto, "dedupe_review_probability": review}
    default = outcome(dedupe_plan(tmp_path, "default", {}))
    assert default[0] == [{"C000001", "C000002"}]
    assert [pair for pair, percent in default[1]] == [{"C000003", "C000004"}] and default[1][0][1] < 99
    assert outcome(dedupe_plan(tmp_path, "retired", values, retire=True)) == default


@pytest.mark.parametrize("auto, review", [(100, 100), (99, 99)])
def test_the_same_values_in_the_rows_of_probability_are_used(tmp_path: Path, auto: int, review: int) -> None:
    values = {"dedupe_auto_probability": auto, "dedupe_review_probability": review}
    assert outcome(dedupe_plan(tmp_path, "new", values)) != outcome(dedupe_plan(tmp_path, "default", {}))


# --- ranges of the probabilities and the review limit ------------------------------------------------------------


@pytest.mark.parametrize("key", ["dedupe_auto_probability", "dedupe_review_probability"])
@pytest.mark.parametrize("value, shown", [(0, "0"), (101, "101"), (99.5, "99.5"), ("99 %", "99 %"), (-1, "-1")])
def test_a_probability_outside_1_to_100_is_refused(tmp_path: Path, key: str, value: object, shown: str) -> None:
    settings, findings = read(with_values(tmp_path, {key: value}))
    default = schema.setting(key).number
    assert getattr(settings, key) == default
    assert findings == [
        Finding(
            Severity.ERROR,
            Code.BAD_SETTING,
            "Settings",
            f"Settings!C{row_of(key)}",
            shown,
            f"{key} must be a whole number of per cent from 1 to 100; the default {default} is used until it is fixed",
        )
    ]


@pytest.mark.parametrize("auto, review", [(100, 1), (1, 1), (100, 100), ("95", 95)])
def test_probabilities_at_the_ends_of_the_range_are_read(tmp_path: Path, auto: object, review: int) -> None:
    values = {"dedupe_auto_probability": auto, "dedupe_review_probability": review}
    settings, findings = read(with_values(tmp_path, values))
    assert findings == []
    assert (settings.dedupe_auto_probability, settings.dedupe_review_probability) == (int(str(auto)), review)


def test_a_review_probability_above_the_merge_one_is_an_error_and_both_are_kept(tmp_path: Path) -> None:
    path = with_values(tmp_path, {"dedupe_auto_probability": 90, "dedupe_review_probability": 95})
    settings, findings = read(path)
    assert (settings.dedupe_auto_probability, settings.dedupe_review_probability) == (90, 95)
    assert findings == [
        Finding(
            Severity.ERROR,
            Code.BAD_SETTING,
            "Settings",
            f"Settings!C{row_of('dedupe_review_probability')}",
            "95",
            "dedupe_review_probability (95 %) must not be above dedupe_auto_probability (90 %), otherwise pairs "
            "from 90 % to below 95 % are neither merged nor listed for review",
        )
    ]
    result = CliRunner().invoke(cli, ["--lang", "en", "validate", str(path)])
    assert result.exit_code == 1 and "bad-setting" in result.output


def test_a_merge_probability_typed_below_the_default_review_one_points_at_itself(tmp_path: Path) -> None:
    path = with_settings_rows(tmp_path, [{"key": "dedupe_auto_probability", "value": 40}], "ru")
    _, findings = read(path)
    assert [(f.cell, f.value) for f in findings] == [("Настройки!C2", "40")]
    assert findings[0].message == (
        "значение «Проверять дубли от вероятности, %» (50 %) не должно быть больше значения «Объединять дубли от "
        "вероятности, %» (40 %), иначе пары с вероятностью от 40 % до 50 % не объединяются и не попадают на проверку"
    )


@pytest.mark.parametrize(
    "value, problem", [(0, "a whole number of 1 or more"), ("many", "a whole number of 1 or more")]
)
def test_the_review_limit_is_a_whole_number_of_1_or_more(tmp_path: Path, value: object, problem: str) -> None:
    settings, findings = read(with_values(tmp_path, {"dedupe_review_limit": value}))
    assert settings.dedupe_review_limit == 500
    assert [str(f.message) for f in findings] == [
        "dedupe_review_limit must be a whole number of 1 or more; the default 500 is used until it is fixed"
    ]
    settings, findings = read(with_values(tmp_path, {"dedupe_review_limit": 20}))
    assert (settings.dedupe_review_limit, findings) == (20, [])
