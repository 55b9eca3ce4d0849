"""``xlcrm export --sqlite`` and the columns of payments and loyalty: Discount and Payment term as numbers, Card
number and Order No. as text (a card typed as a number cell too), each client's balance and unpaid-since date in
client_lifecycle; a Discount that is no number stops the export, naming its cell."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from tests.builders import write_records
from tests.export.test_segments import sha
from tests.loyalty_book import TODAY, loyalty_records, write_loyalty_book
from xlcrm.cli.main import cli


def export(path: Path, target: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--lang", "en", "export", str(path), "--sqlite", str(target), "--today",
                                      TODAY.isoformat()])  # fmt: skip
    return result.exit_code, result.output


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def test_the_new_columns_and_the_balance_are_typed_tables_columns(tmp_path: Path) -> None:
    path = write_loyalty_book(tmp_path / "clients.xlsx", "ru")
    book = openpyxl.load_workbook(path)
    clients = book.worksheets[0]
    clients.cell(5, [cell.value for cell in clients[1]].index("Номер карты") + 1).value = 9876543210
    book.save(path)
    target = tmp_path / "base.sqlite"
    code, output = export(path, target)
    assert code == 0, output
    assert query(
        target,
        "SELECT client_id, discount, typeof(discount), card_number, typeof(card_number), payment_term "
        "FROM clients ORDER BY client_id",
    ) == [
        ("C000001", 10.0, "real", "1234567890", "text", 30.0),
        ("C000002", 5.0, "real", None, "null", None),
        ("C000003", 0.0, "real", "0042", "text", 0.0),
        ("C000004", None, "null", "9876543210", "text", None),
    ]
    assert query(target, "SELECT client_id, balance, unpaid_since FROM client_lifecycle ORDER BY client_id") == [
        ("C000001", 25000, "2024-03-05"),
        ("C000002", None, None),
        ("C000003", -2000, None),
        ("C000004", 5000, "2026-10-01"),
    ]
    assert query(target, "SELECT order_number FROM interactions WHERE order_number IS NOT NULL") == [
        ("A-17",),
        ("501",),
        ("501",),
    ]
    owed = query(
        target,
        "SELECT c.client_id FROM clients c JOIN client_lifecycle l USING (client_id) "
        "WHERE l.balance > 0 AND c.discount >= 10",
    )
    assert owed == [("C000001",)]


def test_a_workbook_without_payments_has_no_balance(tmp_path: Path) -> None:
    records = loyalty_records("en")
    records["interactions"] = [row for row in records["interactions"] if row["type"] != "Payment"]
    path = write_records(tmp_path / "clients.xlsx", "en", records)
    target = tmp_path / "base.sqlite"
    assert export(path, target)[0] == 0
    assert query(target, "SELECT count(*), count(balance), count(unpaid_since) FROM client_lifecycle") == [(4, 0, 0)]


def test_a_discount_that_is_no_number_stops_the_export_naming_its_cell(tmp_path: Path) -> None:
    records = loyalty_records("en")
    records["clients"][2]["discount"] = "a lot"
    path = write_records(tmp_path / "clients.xlsx", "en", records)
    before, target = sha(path), tmp_path / "base.sqlite"
    code, output = export(path, target)
    assert code == 1
    assert "Clients!R4: 'a lot' is not a number" in output
    assert not target.exists() and sha(path) == before
