"""A Russian template and demo speak Russian to people: no English left in what they read, English ones unchanged."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from xlcrm import schema
from xlcrm.checks.settings import read_settings
from xlcrm.create import template
from xlcrm.jobs.demo import create_demo
from xlcrm.messages import speaking
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
# Latin words a Russian reader is meant to see: the program, its commands and options, office programs, kinds of
# identifier, and example file names; each removed before a cell is searched for English.
ALLOWED_LATIN = re.compile(
    r"xlcrm|--[a-z][a-z-]+|clients\.xlsx|\.csv\b|\b(?:init|refresh|dedupe|import|unmerge|validate|agenda|restore|forget|export)\b|"
    r"Excel|"
    r"LibreOffice|"
    r"e-mail|Email|CSV|\bID\b|VIP|ABC|\bISO\b|\bRU\b"
)
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def english_left(text: object) -> list[str]:
    """The English words of a cell's text, besides those a Russian reader is meant to see."""
    return ENGLISH_WORD.findall(ALLOWED_LATIN.sub("", text)) if isinstance(text, str) else []


def visible_cells(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[openpyxl.cell.Cell]:
    hidden = {letter for letter, dimension in sheet.column_dimensions.items() if dimension.hidden}
    return [cell for row in sheet.iter_rows() for cell in row if cell.column_letter not in hidden]


@pytest.fixture(scope="module")
def russian_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "clients.xlsx"
    template.build_workbook("ru").save(path)
    return path


def test_russian_settings_and_how_to_sheets_have_no_english_words(russian_template: Path) -> None:
    book = openpyxl.load_workbook(russian_template)
    for spec in (schema.SETTINGS, schema.HOW_TO):
        sheet = book[spec.name("ru")]
        found = {cell.coordinate: english_left(cell.value) for cell in visible_cells(sheet)}
        assert not {where: words for where, words in found.items() if words}, spec.name("ru")


def test_the_english_setting_keys_are_hidden_in_russian_and_still_read(russian_template: Path) -> None:
    book = openpyxl.load_workbook(russian_template)
    sheet = book[schema.SETTINGS.name("ru")]
    assert sheet.column_dimensions["A"].hidden
    assert [sheet.cell(1, column).value for column in (2, 3)] == ["Настройка", "Значение"]
    assert sheet["A2"].value == "partner_orders" and sheet["B2"].value == "Заказов до Партнёра"
    assert not any(sheet.column_dimensions[letter].hidden for letter in "BCD")
    # A value typed in next to a hidden key is read as that setting.
    sheet["C3"] = 4
    book.save(russian_template.with_name("changed.xlsx"))
    settings, findings = read_settings(read_workbook(russian_template.with_name("changed.xlsx")))
    assert settings.regular_orders == 4 and not findings

    english = template.build_workbook("en")[schema.SETTINGS.name("en")]
    assert not english.column_dimensions["A"].hidden and english["A2"].value == "partner_orders"


@pytest.mark.parametrize(
    ("locale", "names"),
    [
        ("ru", ["Клиенты", "Контакты", "Мои_услуги", "Взаимодействия", "Договоры"]),
        ("en", ["Clients", "Contacts", "Services", "Interactions", "Contracts"]),
    ],
)
def test_tables_are_named_in_the_workbook_language(locale: str, names: list[str]) -> None:
    book = template.build_workbook(locale)
    found = [name for spec in template.DATA_SHEETS for name in book[spec.name(locale)].tables]
    assert found == names == [spec.table_name_in(locale) for spec in template.DATA_SHEETS]


def test_the_demo_manifest_speaks_the_run_language(tmp_path: Path) -> None:
    result = create_demo(tmp_path / "demo.xlsx", clients=120, seed=1, locale="ru", today=TODAY)
    with speaking("ru"):
        russian = result.to_dict()
    with speaking("en"):
        english = result.to_dict()
    texts = [
        (english[kind][index][field], russian[kind][index][field])
        for kind, field in (
            ("planted_mistakes", "note"),
            ("planted_duplicates", "how"),
            ("probable_duplicates", "how"),
            ("lookalikes", "why"),
            ("planted_contracts", "note"),
        )
        for index in range(len(english[kind]))
    ]
    assert len(texts) > 20
    for in_english, in_russian in texts:
        assert re.search("[а-яё]", in_russian), in_russian
        # Only the demo's own data (names, phones, e-mail addresses) stays as it was typed: no English word is left.
        assert not english_left(re.sub(r"\S+@\S+", "", in_russian)), in_russian
        assert in_english != in_russian
    assert english["planted_duplicates"][0]["how"].startswith("phone typed as '")
    mistake = next(m for m in russian["planted_mistakes"] if m["code"] == "bad-inn")
    assert mistake["note"] == "опечатка в последней цифре ИНН: контрольная цифра не сходится"
