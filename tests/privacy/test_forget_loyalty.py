"""``xlcrm forget`` and the columns of payments and loyalty: the Card number of the erased client is cleared, in the
workbook and in its backups; its Discount, Payment term and the Order No. of its interactions stay, and so do its
balance and every other client's card; ▸ Problems, which names a card number of the wrong length, is rebuilt
without it."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, write_records
from tests.loyalty_book import TODAY, loyalty_records, write_loyalty_book
from xlcrm import schema
from xlcrm.cli.main import cli

WORDS = {
    "ru": ("Клиенты", "Взаимодействия", "ID клиента", "Номер карты", "Скидка, %", "Срок оплаты, дней", "▸ Баланс"),
    "en": ("Clients", "Interactions", "ClientID", "Card number", "Discount, %", "Payment term, days", "▸ Balance"),
}


def clients_by_id(path: Path, locale: str) -> dict[str, dict[str, object]]:
    clients, _, client_id, *_ = WORDS[locale]
    rows = list(openpyxl.load_workbook(path)[clients].iter_rows(values_only=True))
    return {row[rows[0].index(client_id)]: dict(zip(rows[0], row)) for row in rows[1:]}


def order_numbers(path: Path, locale: str) -> list[object]:
    rows = list(openpyxl.load_workbook(path)[WORDS[locale][1]].iter_rows(values_only=True))
    column = rows[0].index("№ заказа" if locale == "ru" else "Order No.")
    return [row[column] for row in rows[1:]]


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_card_number_is_erased_and_the_terms_of_trade_stay(tmp_path: Path, locale: str) -> None:
    _, _, _, card, discount, term, balance = WORDS[locale]
    path = write_loyalty_book(tmp_path / "clients.xlsx", locale)
    run("refresh", str(path))
    before, orders = clients_by_id(path, locale), order_numbers(path, locale)
    run("refresh", str(path))  # a backup that holds the card number
    output = run("forget", str(path), "C000001", "--include-backups")
    after = clients_by_id(path, locale)
    assert after["C000001"][card] is None and before["C000001"][card] == "1234567890"
    for key in (discount, term, balance):
        assert after["C000001"][key] == before["C000001"][key] and before["C000001"][key] is not None
    assert after["C000003"] == before["C000003"]  # another client's card stays
    assert order_numbers(path, locale) == orders and "A-17" in orders
    backups = list((tmp_path / ".xlcrm-backups").glob("*.xlsx"))
    assert backups, output
    for backup in backups:
        assert clients_by_id(backup, locale)["C000001"][card] is None, backup.name


def test_a_card_number_listed_on_problems_goes_with_the_client(tmp_path: Path) -> None:
    records = loyalty_records("ru")
    records[schema.SETTINGS.key] = settings_records("ru", {"managers": ["Анна", "Борис"]}, {"card_digits": 8})
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    run("refresh", str(path))

    def cells_with(text: str) -> list[str]:
        book = openpyxl.load_workbook(path)
        return [
            f"{sheet.title}!{cell.coordinate}"
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None and str(cell.value) == text
        ]

    assert cells_with("1234567890") == ["Клиенты!S2", "▸ Проблемы!D6"]
    output = run("forget", str(path), "C000001")
    assert any(line.endswith("▸ Проблемы") for line in output.splitlines())  # rebuilt without the data
    assert cells_with("1234567890") == []
    assert cells_with("0042") == ["Клиенты!S4", "▸ Проблемы!D6"]  # another client's card and its finding stay
    assert cells_with("123456789047") == ["Клиенты!D3"]  # an INN holding the erased card's digits is no trace
