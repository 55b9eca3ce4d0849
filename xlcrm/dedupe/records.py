"""Clients rows as the duplicate matcher sees them: derived keys beside the text as typed.

Every Clients row becomes a :class:`ClientRecord`; the user's cells are not touched. ``dedupe``, ``import`` and the
match probability (:mod:`xlcrm.dedupe.probability`) all read clients through :func:`client_records`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

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
    phone_keys_column,
    tax_id_key,
    text_key,
)
from xlcrm.xlsx.reader import SheetData


@dataclass(frozen=True)
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
    return _records([int(row) for row in sheet.frame.index], sheet.column_values, region)


def logged_records(rows: Sequence[Mapping[str, object]], region: str, first_row: int) -> list[ClientRecord]:
    """Keys of Clients rows kept elsewhere (the Merge log's), each a mapping of column key -> value; numbered
    ``first_row``, ``first_row - 1`` and so on down, so that they never meet an Excel row number."""
    index = pd.RangeIndex(first_row, first_row - len(rows), -1)

    def column(key: str) -> pd.Series:
        return pd.Series([row.get(key) for row in rows], index=index, dtype=object)  # a blank stays None

    return _records(list(index), column, region)


def _records(rows: Sequence[int], column: Callable[[str], pd.Series], region: str) -> list[ClientRecord]:
    columns = {
        key: column(key) for key in ("client_id", "name", "company", "inn", "city", "address", "birthday", "created")
    }
    phones = phone_keys_column(column("phone"), region)
    emails = email_keys_column(column("email"))
    cards = [card_key(value) for value in column("card_number")]  # None stays None, not NaN
    records = []
    for row, client_id, name, company, inn, city, address, birthday, created, phone, email, card in zip(
        rows, *(columns[key] for key in columns), phones, emails, cards
    ):
        records.append(
            ClientRecord(
                row=row,
                client_id=as_text(client_id),
                name=person_name(name),
                company=company_name(company),
                tax_id=tax_id_key(inn),
                phones=phone,
                emails=email,
                card=card,
                city=city_key(city),
                address=text_key(address),
                birthday=_date(birthday),
                created=_date(created),
                shown_name=as_text(name),
                shown_company=as_text(company),
            )
        )
    return records


def _date(value: object) -> dt.date | None:
    return value if type(value) is dt.date else parse_date(value).date
