"""The owner's own Clients columns («Сегмент», «Отрасль», «Размер скидки») as fields of the segment language.

A column of Clients that is none of xlcrm's (no schema column, no ``▸`` computed one) is a field named by its header
(case, spaces and ё aside). Its kind is read off its cells, so a filter means the same on every row: a number when
every filled cell reads as one (``5``, ``12 500,50``), else a date when every filled cell reads as one
(``31.12.2026``), else text. A number or date column takes ``<`` ``>`` and the rest like Orders or Last order do;
a text one takes ``=``, ``in``, ``contains`` and ``is empty``, as City does. A header named like a field of xlcrm
(«Выручка» without the ▸) is left to xlcrm's field; a header typed twice is the first of those columns.
"""

from __future__ import annotations

import pandas as pd

from xlcrm import schema
from xlcrm.checks.normalize import is_blank, parse_amount, parse_date
from xlcrm.checks.segment_language import FIELDS, Field, FieldKind, field_name
from xlcrm.xlsx.reader import WorkbookData, factorize_cells

# The key of an own column's field: its header after this, apart from every schema key.
OWN_KEY_PREFIX = "own:"

# The names xlcrm's fields are matched by, folded: an own column named so is left to them.
_TAKEN = frozenset(field_name(name) for item in FIELDS for name in (item.en, item.ru, item.key.replace("_", " ")))


def own_fields(data: WorkbookData) -> tuple[Field, ...]:
    """The owner's own columns of the Clients sheet of ``data`` as fields, in sheet order (none without the sheet)."""
    sheet = data.sheet(schema.CLIENTS.key)
    if sheet is None or sheet.extra_values is None:
        return ()
    found: list[Field] = []
    taken = set(_TAKEN)
    for header in sheet.extra_values.columns:
        text = str(header)
        # extra_letters holds each header once, as typed; a second column of that header is "Note (K)" here.
        if text not in sheet.extra_letters or field_name(text) in taken:
            continue
        taken.add(field_name(text))
        found.append(Field(OWN_KEY_PREFIX + text, text, text, column_kind(sheet.extra_values[header]), own=True))
    return tuple(found)


def column_kind(cells: pd.Series) -> FieldKind:
    """NUMBER when every filled cell reads as a number, else DATE when every one reads as a date, else TEXT (an
    empty column too)."""
    _, values = factorize_cells(cells)
    filled = [value for value in values if not is_blank(value)]
    if not filled:
        return FieldKind.TEXT
    if all(parse_amount(value).amount is not None for value in filled):
        return FieldKind.NUMBER
    if all(parse_date(value).date is not None for value in filled):
        return FieldKind.DATE
    return FieldKind.TEXT


def own_header(item: Field) -> str:
    """The Clients header of the own column ``item`` reads."""
    return item.key.removeprefix(OWN_KEY_PREFIX)
