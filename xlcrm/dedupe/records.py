"""Clients rows as the duplicate matcher sees them: derived keys beside the text as typed.

Every Clients row becomes a :class:`ClientRecord`; the user's cells are not touched. ``dedupe``, ``import`` and the
match probability (:mod:`xlcrm.dedupe.probability`) all read clients through :func:`client_records`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlcrm.checks.loyalty import card_key
from xlcrm.checks.normalize import as_text, parse_date
from xlcrm.dedupe.keys import (
    CompanyName,
    PersonName,
    city_key,
    company_name,
    email_keys_column,
    person_name,
    phone_keys,
    tax_id_key,
    text_key,
)
from xlcrm.xlsx.reader import SheetData, factorize_cells


# Not frozen, though a record is never changed once made (copies go through dataclasses.replace): a frozen
# dataclass sets each field through object.__setattr__, which made building a big base's records cost twice as much.
# Hashed by its fields all the same, as a frozen one is: the Merge log's pairs of records are dictionary keys.
@dataclass(unsafe_hash=True)
class ClientRecord:
    """One Clients row as the matcher sees it."""

    row: int  # Excel row number
    client_id: str
    name: PersonName
    company: CompanyName
    tax_id: str | None  # "inn:…" / "ogrn:…"
    phones: frozenset[str]
    emails: frozenset[str]
    card: str | None  # the Card number's key (see keys.card_key)
    city: str
    address: str  # words in Latin spelling
    birthday: dt.date | None
    created: dt.date | None
    shown_name: str  # as typed, for reasons and reports
    shown_company: str


def client_records(sheet: SheetData, region: str) -> list[ClientRecord]:
    """Keys of every Clients row."""
    # Through the sheet's own distinct values (SheetData.distinct), which validation goes through again.
    return _records([int(row) for row in sheet.frame.index], sheet.distinct, sheet.column_values, region)


def logged_records(rows: Sequence[Mapping[str, object]], region: str, first_row: int) -> list[ClientRecord]:
    """Keys of Clients rows kept elsewhere (the Merge log's), each a mapping of column key -> value; numbered
    ``first_row``, ``first_row - 1`` and so on down, so that they never meet an Excel row number."""
    index = pd.RangeIndex(first_row, first_row - len(rows), -1)

    def column(key: str) -> pd.Series:
        return pd.Series([row.get(key) for row in rows], index=index, dtype=object)  # a blank stays None

    return _records(list(index), lambda key: factorize_cells(column(key)), column, region)


def _records(
    rows: Sequence[int],
    distinct: Callable[[str], tuple[np.ndarray, list[object]]],
    column: Callable[[str], pd.Series],
    region: str,
) -> list[ClientRecord]:
    """The records of ``rows``, whose columns are ``column(key)`` and their ``distinct(key)`` (see
    :func:`xlcrm.xlsx.reader.factorize_cells`): each key is worked out once per distinct value, as a big base
    repeats its names, cities and birthdays over and over."""

    def each_cell(key: str, convert: Callable[[Any], Any]) -> list[Any]:
        codes, values = distinct(key)
        # The last for blanks (code -1).
        converted = np.fromiter(map(convert, [*values, None]), dtype=object, count=len(values) + 1)
        by_row = converted[codes]
        # factorize_cells takes NaN for a blank too, which as_text does not ("nan"): such a cell is converted as is.
        cells = column(key).to_numpy(dtype=object)
        odd = np.flatnonzero((codes < 0) & ~np.equal(cells, None))  # type: ignore[call-overload]
        by_row[odd] = np.fromiter(map(convert, cells[odd]), dtype=object, count=len(odd))
        return by_row.tolist()  # type: ignore[no-any-return]

    return [
        ClientRecord(
            row=row,
            client_id=client_id,
            name=name,
            company=company,
            tax_id=tax_id,
            phones=phones,
            emails=emails,
            card=card,
            city=city,
            address=address,
            birthday=birthday,
            created=created,
            shown_name=shown_name,
            shown_company=shown_company,
        )
        for (
            row,
            client_id,
            name,
            company,
            tax_id,
            phones,
            emails,
            card,
            city,
            address,
            birthday,
            created,
            shown_name,
            shown_company,
        ) in zip(
            rows,
            each_cell("client_id", as_text),
            each_cell("name", person_name),
            each_cell("company", company_name),
            each_cell("inn", tax_id_key),
            [phone_keys(cell, region) for cell in column("phone").to_numpy(dtype=object)],
            email_keys_column(column("email")),
            each_cell("card_number", card_key),
            each_cell("city", city_key),
            each_cell("address", text_key),
            each_cell("birthday", _date),
            each_cell("created", _date),
            each_cell("name", as_text),
            each_cell("company", as_text),
            strict=True,
        )
    ]


def _date(value: object) -> dt.date | None:
    return value if type(value) is dt.date else parse_date(value).date
