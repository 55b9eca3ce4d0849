"""Build small real workbooks for tests, with plain openpyxl and names from the schema.

Typical use::

    records = valid_records("en")
    records["clients"][1]["phone"] = "8 916 12"        # Excel row 3 of Clients
    path = write_records(tmp_path / "clients.xlsx", "en", records)

Records are keyed by schema sheet key, then by schema column key, so tests
never spell a sheet or column name themselves. The first record of a sheet is
Excel row 2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook

from xlcrm import schema
from xlcrm.schema import Sheet

Records = dict[str, list[dict[str, object]]]


def write_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """Write ``{sheet name: rows}`` to ``path`` (the first row is the header row) and return the path."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def record_rows(
    spec: Sheet, locale: str, records: Iterable[dict[str, object]], columns: Iterable[str] | None = None
) -> list[list[object]]:
    """Header row plus one row per record; ``columns`` (schema keys) picks and orders the columns."""
    keys = list(columns) if columns is not None else [c.key for c in spec.columns]
    header = [spec.column(key).name(locale) for key in keys]
    return [header] + [[record.get(key) for key in keys] for record in records]


def valid_records(locale: str) -> Records:
    """A small workbook with no problem at all: two clients, a contact, services, interactions, settings."""

    def word(value: schema.ListValue) -> str:
        return value.name(locale)

    managers = ["Анна", "Борис"] if locale == "ru" else ["Anna", "Boris"]
    services = ["Консультация", "Аудит"] if locale == "ru" else ["Consulting", "Audit"]
    clients = [
        {
            "client_id": "C000001",
            "name": "Ivan Petrov",
            "company": "Romashka LLC",
            "inn": "7707083893",
            "phone": "+7 916 123-45-67",
            "email": "ivan@romashka.ru",
            "city": "Moscow",
            "address": "Tverskaya 1",
            "birthday": dt.date(1980, 5, 17),
            "source": word(schema.DEFAULT_SOURCES[0]),
            "manager": managers[0],
            "designation": word(schema.VIP),
            "rating": 5,
            "consent_date": dt.date(2024, 1, 10),
            "comment": "Prefers calls",
            "created": dt.date(2024, 1, 10),
        },
        {
            "client_id": "C000002",
            "name": "Olga Sidorova",
            "company": None,
            "inn": "123456789047",
            "phone": "8 (495) 123-45-67",
            "email": "olga@example.com",
            "city": "Kazan",
            "address": None,
            "birthday": None,
            "source": word(schema.DEFAULT_SOURCES[1]),
            "manager": managers[1],
            "designation": None,
            "rating": None,
            "consent_date": dt.date(2024, 2, 1),
            "comment": None,
            "created": dt.date(2024, 2, 1),
        },
    ]
    contacts = [
        {
            "client_id": "C000001",
            "name": "Maria Ivanova",
            "role": "Accountant",
            "phone": "+7 912 345-67-89",
            "email": "maria@romashka.ru",
            "birthday": dt.date(1990, 3, 8),
            "decision_maker": word(schema.NO),
        },
    ]
    my_services = [
        {
            "service_id": "S01",
            "service": services[0],
            "price": 5000,
            "unit": "h",
            "active": word(schema.YES),
            "description": None,
        },
        {
            "service_id": "S02",
            "service": services[1],
            "price": 45000,
            "unit": "pc",
            "active": word(schema.YES),
            "description": None,
        },
    ]
    interactions = [
        {
            "date": dt.date(2024, 3, 1),
            "client_id": "C000001",
            "type": word(schema.CALL_OUT),
            "service": None,
            "amount": None,
            "manager": managers[0],
            "result": "Interested",
            "comment": None,
            "next_action": "Send offer",
            "next_date": dt.date(2024, 3, 4),
        },
        {
            "date": dt.date(2024, 3, 5),
            "client_id": "C000001",
            "type": word(schema.ORDER),
            "service": services[1],
            "amount": 45000,
            "manager": managers[0],
            "result": None,
            "comment": None,
            "next_action": None,
            "next_date": None,
        },
        {
            "date": dt.date(2024, 4, 2),
            "client_id": "C000002",
            "type": word(schema.AGREEMENT),
            "service": services[0],
            "amount": None,
            "manager": managers[1],
            "result": None,
            "comment": None,
            "next_action": None,
            "next_date": None,
        },
        # Earlier orders without an amount: a VIP with fewer orders than a Regular client is a finding.
        *(
            {
                "date": when,
                "client_id": "C000001",
                "type": word(schema.ORDER),
                "service": None,
                "amount": None,
                "manager": managers[0],
                "result": None,
                "comment": None,
                "next_action": None,
                "next_date": None,
            }
            for when in (dt.date(2024, 1, 15), dt.date(2024, 2, 12))
        ),
    ]
    return {
        schema.CLIENTS.key: clients,
        schema.CONTACTS.key: contacts,
        schema.SERVICES.key: my_services,
        schema.INTERACTIONS.key: interactions,
        schema.SETTINGS.key: settings_records(locale, {"managers": managers}),
    }


def settings_records(
    locale: str, lists: dict[str, list[str]] | None = None, values: dict[str, object] | None = None
) -> list[dict[str, object]]:
    """Settings rows: every known key with its default (or ``values``), and list columns side by side.

    Lists not given get the built-in values in ``locale``; pass an empty list to leave a column blank.
    """
    chosen: dict[str, object] = {item.key: item.default_in(locale) for item in schema.SETTINGS_KEYS}
    chosen.update(values or {})
    columns = {key: [v.name(locale) for v in builtin] for key, builtin in schema.SETTINGS_LISTS.items()}
    columns.update(lists or {})
    rows: list[dict[str, object]] = [
        {"key": key, "value": value, "description": schema.setting(key).description(locale)}
        for key, value in chosen.items()
    ]
    depth = max([len(rows)] + [len(column) for column in columns.values()])
    rows += [{} for _ in range(depth - len(rows))]
    for key, list_values in columns.items():
        for row, value in zip(rows, list_values):
            row[key] = value
    return rows


def sheets_from_records(locale: str, records: Records) -> dict[str, list[list[object]]]:
    """``{sheet name: rows}`` in ``locale`` with every schema column, for :func:`write_workbook`."""
    return {
        schema.sheet_by_key(key).name(locale): record_rows(schema.sheet_by_key(key), locale, rows)
        for key, rows in records.items()
    }


def write_records(path: Path, locale: str, records: Records) -> Path:
    """Write records as a workbook in ``locale`` and return the path."""
    return write_workbook(path, sheets_from_records(locale, records))


def valid_rows(locale: str) -> dict[str, list[list[object]]]:
    """The clean workbook of :func:`valid_records` as ``{sheet name: rows}``."""
    return sheets_from_records(locale, valid_records(locale))
