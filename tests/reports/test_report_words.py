"""The report sheets of a refresh speak the workbook's language: a Russian demo's reports hold no English words."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from tests.create.test_russian_words import english_left
from xlcrm import schema
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook

TODAY = dt.date(2026, 11, 23)
# Report sheets whose every cell xlcrm writes from its catalogue or from the (Russian) demo data.
WHOLLY_OURS = (
    schema.DASHBOARD,
    schema.AGENDA,
    schema.MANAGERS_REPORT,
    schema.SERVICES_REPORT,
    schema.ABC,
    schema.BLOCK_HISTORY,
)


def refreshed(folder: Path, locale: str) -> openpyxl.Workbook:
    path = folder / f"demo-{locale}.xlsx"
    create_demo(path, clients=120, seed=1, locale=locale, today=TODAY)
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def russian(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    return refreshed(tmp_path_factory.mktemp("ru"), "ru")


def test_russian_report_sheets_have_no_english_words(russian: openpyxl.Workbook) -> None:
    # What the user typed is shown as typed ("IT-консультация" on My Services): only xlcrm's own words are checked.
    typed = {
        value
        for spec in schema.USER_SHEETS
        for row in russian[spec.name("ru")].iter_rows(min_row=2, values_only=True)
        for value in row
        if isinstance(value, str)
    }
    found = {}
    for spec in WHOLLY_OURS:
        sheet = russian[spec.name("ru")]
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in typed:
                    continue
                text = re.sub(r"\S+@\S+", "", cell.value) if isinstance(cell.value, str) else cell.value
                if words := english_left(text):
                    found[f"{sheet.title}!{cell.coordinate}"] = words
    assert not found
    # The Problems sheet: its title, subtitle, heading and column headers (the findings are the checks' texts).
    problems = russian[schema.PROBLEMS.name("ru")]
    assert problems["A1"].value == "Проблемы в книге"
    rows = list(problems.iter_rows(values_only=True))
    at = next(index for index, row in enumerate(rows) if row[0] == schema.label("severity", "ru"))
    assert list(rows[at][:6]) == ["Важность", "Лист", "Ячейка", "Значение", "Проблема", "Код"]
    severities = {row[0] for row in rows[at + 1 :] if row[0]}
    assert severities <= {"Ошибка", "Предупреждение"} and severities


def test_russian_report_titles_and_headings(russian: openpyxl.Workbook) -> None:
    assert russian[schema.DASHBOARD.name("ru")]["A1"].value == "Клиентская база: сводка"
    subtitle = "Рассчитано на 23.11.2026; период 01.12.2025 – 23.11.2026"
    assert russian[schema.DASHBOARD.name("ru")]["A2"].value == subtitle
    assert russian[schema.AGENDA.name("ru")]["A1"].value == "Повестка: что сделать, по менеджерам"
    history = russian[schema.BLOCK_HISTORY.name("ru")]
    assert history["A1"].value == "История блоков (xlcrm читает этот лист; не редактируйте)"
    # Russian workbooks keep their Russian table names through a refresh.
    assert list(russian[schema.CLIENTS.name("ru")].tables) == ["Клиенты"]


def test_english_reports_keep_their_english_words(tmp_path: Path) -> None:
    english = refreshed(tmp_path, "en")
    assert english[schema.DASHBOARD.name("en")]["A1"].value == "Client base at a glance"
    assert english[schema.DASHBOARD.name("en")]["A2"].value == "Computed for 23.11.2026; period 01.12.2025 – 23.11.2026"
    assert english[schema.AGENDA.name("en")]["A1"].value == "Agenda: what to do, by manager"
    assert english[schema.BLOCK_HISTORY.name("en")]["A1"].value == (
        "Block history (xlcrm reads this sheet back; do not edit)"
    )
    assert list(english[schema.CLIENTS.name("en")].tables) == ["Clients"]


def test_read_back_labels_and_titles_are_known_in_every_language() -> None:
    assert schema.label_spellings("history_counts") == (
        "Clients by block at each refresh",
        "Клиенты по блокам при каждом обновлении",
    )
    assert schema.DEDUPE_LABELS["decision"] == ("Decision", "Решение")
    for title in ("Client base at a glance", "Клиентская база: сводка", schema.dedupe_label("merge_log_title", "ru")):
        assert title in schema.REPORT_TITLES
    assert "Клиенты" not in schema.REPORT_TITLES  # a sheet's name, not a report's title
