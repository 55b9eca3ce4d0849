"""``xlcrm import`` and the columns of payments and loyalty: the headers other tables use for Discount, Card number,
Payment term and Order No. are mapped to them, a card keeps its leading zeros as text, a discount with a decimal
comma or a per cent sign is a number; «Номер документа» (on a bank statement the payment order's own number) is
not taken for an Order No."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from tests.importing.test_import import TODAY, rows_by_id
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook
from xlcrm.xlsx.reader import read_workbook


def base(path: Path, locale: str) -> Path:
    manager = "Анна" if locale == "ru" else "Anna"
    client = {"client_id": "C000001", "name": "Петров Иван", "phone": "+7 916 123-45-67", "manager": manager}
    build_workbook(locale, rows={"clients": [client]}, lists={"managers": [manager]}).save(path)
    return path


def run_import(source: Path, workbook: Path, *options: str) -> str:
    result = CliRunner().invoke(
        cli, ["--lang", "en", "import", str(source), "--into", str(workbook), "--today", TODAY.isoformat(), *options]
    )
    assert result.exit_code == 0, result.output
    return result.output


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("discount", "card", "term"),
    [
        ("Скидка %", "Дисконтная карта", "Отсрочка платежа"),
        ("Процент скидки", "Карта лояльности", "Срок оплаты"),
        ("Скидка", "Номер карты", "Отсрочка"),
    ],
)
def test_a_russian_csv_fills_discount_card_and_term(tmp_path: Path, discount: str, card: str, term: str) -> None:
    workbook = base(tmp_path / "clients.xlsx", "ru")
    source = tmp_path / "клиенты.csv"
    text = f"ФИО;Телефон;{discount};{card};{term}\r\nМорозова Анна;+7 912 000-11-22;7,5;00012345;30\r\n"
    source.write_bytes(text.encode("cp1251"))
    output = run_import(source, workbook)
    assert f"{discount} -> Скидка, %" in output and f"{card} -> Номер карты" in output
    assert f"{term} -> Срок оплаты, дней" in output
    added = rows_by_id(workbook)["C000002"]
    assert (added["discount"], added["card_number"], added["payment_term"]) == (7.5, "00012345", 30)


def test_a_discount_written_with_its_percent_sign_is_a_number(tmp_path: Path) -> None:
    workbook = base(tmp_path / "clients.xlsx", "ru")
    source = tmp_path / "клиенты.csv"
    rows = ["ФИО;Телефон;Скидка;Рейтинг", "Морозова Анна;+7 912 000-11-22;7,5 %;", "Орлов Пётр;+7 913 000-11-22;10%;5%"]
    source.write_bytes("\r\n".join(rows).encode("cp1251"))
    run_import(source, workbook)
    clients = rows_by_id(workbook)
    assert (clients["C000002"]["discount"], clients["C000003"]["discount"]) == (7.5, 10)
    assert clients["C000003"]["rating"] == "5%"  # a rating is no per cent: kept as typed, for validation to name


def test_english_headers_of_an_xlsx_into_an_english_workbook(tmp_path: Path) -> None:
    workbook = base(tmp_path / "clients.xlsx", "en")
    source = write_xlsx(
        tmp_path / "loyalty.xlsx",
        [
            ["Full name", "Phone", "Discount", "Loyalty card", "Payment terms"],
            ["Ann Lee", "+7 926 555-00-11", 5, 77, 14],
        ],
    )
    output = run_import(source, workbook)
    assert "Loyalty card -> Card number" in output and "Payment terms -> Payment term, days" in output
    added = rows_by_id(workbook)["C000002"]
    assert (added["discount"], added["card_number"], added["payment_term"]) == (5, "77", 14)


@pytest.mark.parametrize(("locale", "header"), [("ru", "Номер заказа"), ("ru", "Заказ №"), ("en", "Order #"),
                                                 ("en", "Order number")])  # fmt: skip
def test_order_numbers_of_orders_and_payments(tmp_path: Path, locale: str, header: str) -> None:
    workbook = base(tmp_path / "clients.xlsx", locale)
    order, payment = schema.ORDER.name(locale), schema.PAYMENT.name(locale)
    source = write_xlsx(
        tmp_path / "orders.xlsx",
        [
            ["Date", "Client ID", "Type", "Amount", header],
            [dt.date(2026, 11, 1), "C000001", order, 15000, "З-101"],
            [dt.date(2026, 11, 5), "C000001", payment, 15000, "З-101"],
        ],
    )
    output = run_import(source, workbook, "--sheet", "interactions")
    assert f"{header} -> {schema.INTERACTIONS.column('order_number').name(locale)}" in output
    frame = read_workbook(workbook).sheets["interactions"].frame
    assert frame["order_number"].tolist() == ["З-101", "З-101"]


def test_a_document_number_is_not_taken_for_an_order_number(tmp_path: Path) -> None:
    workbook = base(tmp_path / "clients.xlsx", "ru")
    source = write_xlsx(
        tmp_path / "bank.xlsx",
        [
            ["Дата", "Код клиента", "Тип", "Сумма", "Номер документа"],
            [dt.date(2026, 11, 5), "C000001", "Оплата", 900, 4711],
        ],
    )
    output = run_import(source, workbook, "--sheet", "interactions")
    assert "Номер документа -> № заказа" not in output
    frame = read_workbook(workbook).sheets["interactions"].frame
    assert frame["order_number"].isna().all() and frame["amount"].tolist() == [900]
