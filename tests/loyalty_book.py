"""A small workbook that records payments, card numbers, discounts and payment terms, for the tests of the new
Clients and Interactions columns outside the reports of debts.

On 23.11.2026, with payments tracked (the log has a Payment row):

| client | card | discount | term | log | balance | unpaid since |
|---|---|---|---|---|---|---|
| C000001 | 1234567890 | 10 | 30 | 45 000 (05.03.2024, № A-17), 2 without amount; paid 20 000 | 25 000 | 05.03.2024 |
| C000002 | | 5 | | an agreement | blank | blank |
| C000003 | 0042 | 0 | 0 | order 10 000 (01.11.2026, № 501), paid 12 000 naming it | −2 000 | blank |
| C000004 | | | | order 5 000 (01.10.2026) | 5 000 | 01.10.2026 |
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.builders import Records, valid_records, write_records
from xlcrm import schema

TODAY = dt.date(2026, 11, 23)


def loyalty_records(locale: str) -> Records:
    """The records of the table above (the two clients of ``valid_records`` and two more)."""
    records = valid_records(locale)
    first, second = records[schema.CLIENTS.key]
    first.update(card_number="1234567890", discount=10, payment_term=30)
    second.update(discount=5)
    third = {**second, "client_id": "C000003", "name": "Petr Sokolov", "inn": None, "phone": "+7 903 765-43-21",
             "email": "petr@example.com", "card_number": "0042", "discount": 0, "payment_term": 0}  # fmt: skip
    fourth = {**second, "client_id": "C000004", "name": "Anna Lebedeva", "inn": None, "phone": "+7 926 111-22-33",
              "email": "anna@example.com", "discount": None}  # fmt: skip
    records[schema.CLIENTS.key] += [third, fourth]
    log = records[schema.INTERACTIONS.key]
    log[1]["order_number"] = "A-17"
    manager = log[0]["manager"]

    def row(day: dt.date, client_id: str, kind: schema.ListValue, amount: float, number: str | None) -> dict:
        return {"date": day, "client_id": client_id, "type": kind.name(locale), "amount": amount,
                "manager": manager, "order_number": number}  # fmt: skip

    log += [
        row(dt.date(2024, 4, 1), "C000001", schema.PAYMENT, 20000, None),
        row(dt.date(2026, 11, 1), "C000003", schema.ORDER, 10000, "501"),
        row(dt.date(2026, 11, 2), "C000003", schema.PAYMENT, 12000, "501"),
        row(dt.date(2026, 10, 1), "C000004", schema.ORDER, 5000, None),
    ]
    return records


def write_loyalty_book(path: Path, locale: str) -> Path:
    """The workbook of the table above, written to ``path``."""
    return write_records(path, locale, loyalty_records(locale))
