"""A new workbook starts with example segments on Settings that work, in its language, and its How to use sheet
explains segments."""

from __future__ import annotations

import pytest

from xlcrm import schema
from xlcrm.checks.segment_language import parse_filter
from xlcrm.create import template
from xlcrm.create.segment_help import SEGMENTS_HEADING, example_segments


@pytest.mark.parametrize("locale", schema.LOCALES)
def test_the_settings_sheet_holds_example_segments_that_parse(locale: str) -> None:
    book = template.build_workbook(locale)
    sheet = book[schema.SETTINGS.name(locale)]
    header = [cell.value for cell in sheet[1]]
    name_col = header.index(schema.SETTINGS.column("segment").name(locale)) + 1
    filter_col = header.index(schema.SETTINGS.column("segment_filter").name(locale)) + 1
    written = [
        (sheet.cell(row, name_col).value, sheet.cell(row, filter_col).value)
        for row in range(2, sheet.max_row + 1)
        if sheet.cell(row, name_col).value
    ]
    assert written == example_segments(locale) and len(written) == 3
    for _, text in written:
        parse_filter(text, locale)  # raises when an example does not parse
    if locale == "ru":
        assert written[0] == ("Постоянные и партнёры с согласием", "блок в (Постоянные, Партнёры) и согласие")


@pytest.mark.parametrize("locale", schema.LOCALES)
def test_how_to_use_explains_segments(locale: str) -> None:
    book = template.build_workbook(locale)
    rows = [(a, b) for a, b in book[schema.HOW_TO.name(locale)].iter_rows(values_only=True, max_col=2)]
    start = [a for a, _ in rows].index(SEGMENTS_HEADING.render(locale))
    section = "\n".join(str(b) for _, b in rows[start : start + 8] if b)
    for name in (schema.SETTINGS.column("segment_filter").name(locale), schema.SEGMENTS.name(locale)):
        assert name in section
    assert "xlcrm export clients.xlsx --segment" in section
    example = next(b for a, b in rows[start:] if a in ("Example", "Пример"))
    parse_filter(str(example), locale)
