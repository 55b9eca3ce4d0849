"""The How-to sheet says who may change what, in the workbook's language."""

from __future__ import annotations

import pytest

from xlcrm import schema
from xlcrm.create import template

HEADINGS = {
    "en": ("Who may change what", "Report sheets", "Settings and computed columns", "What xlcrm cannot enforce"),
    "ru": ("Кто что может менять", "Листы отчётов", "Защита настроек", "Пределы защиты"),
}


@pytest.mark.parametrize("locale", schema.LOCALES)
def test_the_how_to_sheet_explains_who_may_change_what(locale: str) -> None:
    sheet = template.build_workbook(locale)[schema.HOW_TO.name(locale)]
    rows = [(label, text) for label, text in sheet.iter_rows(max_col=2, values_only=True)]
    start = rows.index((HEADINGS[locale][0], None))
    section = rows[start + 1 : start + 4]

    assert [label for label, _ in section] == list(HEADINGS[locale][1:])
    text = " ".join(str(text) for _, text in section)
    assert "{" not in text
    for name in (schema.DUPLICATES, schema.CHANGES, schema.SETTINGS, schema.CLIENTS):
        assert name.name(locale) in text
    assert "xlcrm restore" in text
