"""Segments over the columns of payments and loyalty: Discount, Card number, Payment term, ▸ Balance and ▸ Unpaid
since in filters and ``--columns``, typed as numbers, text, money and dates, on the workbook of
``tests.loyalty_book`` (see its table of who owes what)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.export.test_segments import read_csv, sha
from tests.loyalty_book import TODAY, write_loyalty_book
from tests.reports.test_segments_sheet import refresh, segment_rows
from xlcrm import schema
from xlcrm.checks.segment_language import find_field, parse_filter
from xlcrm.cli.main import cli

COLUMNS = {
    "ru": "ID клиента,баланс,не оплачено с,скидка,номер карты,срок оплаты",
    "en": "client id,balance,unpaid since,discount,card number,payment term",
}


@pytest.fixture(scope="module", params=["ru", "en"])
def book(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    locale: str = request.param
    path = write_loyalty_book(tmp_path_factory.mktemp(f"loyalty-{locale}") / "clients.xlsx", locale)
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    return locale, path


def export(path: Path, segment: str, out: Path, columns: str) -> list[list[str]]:
    result = CliRunner().invoke(
        cli,
        ["export", str(path), "--segment", segment, "--columns", columns, "--no-consent-check",
         "--today", TODAY.isoformat(), "--csv" if out.suffix == ".csv" else "--xlsx", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return read_csv(out) if out.suffix == ".csv" else []


@pytest.mark.parametrize(
    ("segments", "picked"),
    [
        ({"ru": "баланс > 0", "en": "balance > 0"}, ["C000001", "C000004"]),
        ({"ru": "баланс < 0", "en": "balance < 0"}, ["C000003"]),
        ({"ru": "баланс пусто", "en": "balance is empty"}, ["C000002"]),
        ({"ru": "скидка >= 10", "en": "discount >= 10"}, ["C000001"]),
        ({"ru": "Скидка > 0 и скидка < 10", "en": "Discount > 0 and discount < 10"}, ["C000002"]),
        ({"ru": "номер карты не пусто", "en": "card number is not empty"}, ["C000001", "C000003"]),
        ({"ru": "номер карты = 0042", "en": "card number = 0042"}, ["C000003"]),
        ({"ru": "срок оплаты = 0", "en": "payment term = 0"}, ["C000003"]),
        ({"ru": "не оплачено с < 01.01.2026", "en": "unpaid since < 01.01.2026"}, ["C000001"]),
        ({"ru": "не (не оплачено с пусто)", "en": "not unpaid since is empty"}, ["C000001", "C000004"]),
    ],
)
def test_a_filter_over_the_new_columns_picks_the_right_clients(
    book: tuple[str, Path], tmp_path: Path, segments: dict[str, str], picked: list[str]
) -> None:
    locale, path = book
    before = sha(path)
    rows = export(path, segments[locale], tmp_path / "list.csv", "client_id")
    assert [row[0] for row in rows[1:]] == picked
    assert sha(path) == before


def test_the_columns_are_written_as_the_workbook_holds_them(book: tuple[str, Path], tmp_path: Path) -> None:
    locale, path = book
    rows = export(path, "client_id contains C", tmp_path / "list.csv", COLUMNS[locale])
    header = {
        "ru": ["ID клиента", "Баланс", "Не оплачено с", "Скидка, %", "Номер карты", "Срок оплаты, дней"],
        "en": ["ClientID", "Balance", "Unpaid since", "Discount, %", "Card number", "Payment term, days"],
    }
    assert rows == [
        header[locale],
        ["C000001", "25000", "05.03.2024", "10", "1234567890", "30"],
        ["C000002", "", "", "5", "", ""],
        ["C000003", "-2000", "", "0", "0042", "0"],
        ["C000004", "5000", "01.10.2026", "", "", ""],
    ]


def test_the_xlsx_list_types_money_dates_and_discounts_and_keeps_a_card_number_as_text(
    book: tuple[str, Path], tmp_path: Path
) -> None:
    locale, path = book
    out = tmp_path / "list.xlsx"
    export(path, "client_id contains C", out, COLUMNS[locale])
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("C000001", 25000, dt.datetime(2024, 3, 5), 10, "1234567890", 30)
    assert rows[2] == ("C000003", -2000, None, 0, "0042", 0)
    assert sheet["B2"].number_format == "#,##0.00" and sheet["C2"].number_format == "DD.MM.YYYY"


@pytest.mark.parametrize(("locale", "text"), [("ru", "12,5"), ("en", "12.5")])
def test_a_fractional_discount_has_the_decimal_sign_of_the_workbook(tmp_path: Path, locale: str, text: str) -> None:
    path = write_loyalty_book(tmp_path / "clients.xlsx", locale)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(2, header.index("Скидка, %" if locale == "ru" else "Discount, %") + 1).value = 12.5
    book.save(path)
    rows = export(path, "discount > 12", tmp_path / "list.csv", "client_id,discount")
    assert rows[1] == ["C000001", f"{text}0"]  # Russian Excel reads «12.5» as 12 May


def test_a_name_with_its_unit_and_a_field_whose_name_starts_with_not() -> None:
    assert find_field("Скидка, %") is find_field("скидка") is find_field("DISCOUNT")
    assert find_field("срок оплаты") is find_field("Payment term, days")
    unpaid = parse_filter("не оплачено с < 01.11.2026", "ru").root
    assert getattr(unpaid, "field", None) is find_field("unpaid since")
    negated = parse_filter("не город = Казань", "ru").root
    assert type(negated).__name__ == "Not"  # «не» before a field of another name is still a negation


def test_an_own_column_named_like_the_discount_without_its_unit_is_still_the_one_read(tmp_path: Path) -> None:
    path = write_loyalty_book(tmp_path / "clients.xlsx", "ru")
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    column = sheet.max_column + 1
    sheet.cell(1, column).value = "Скидка"  # the owner's own column, kept from before xlcrm had a Discount
    for row, value in zip(range(2, 6), (0, 50, 60, 0)):
        sheet.cell(row, column).value = value
    book.save(path)
    rows = export(path, "скидка >= 50", tmp_path / "list.csv", "client_id,скидка,discount")
    assert rows == [["ID клиента", "Скидка", "Скидка, %"], ["C000002", "50", "5"], ["C000003", "60", "0"]]


def test_an_unknown_field_lists_the_names_as_they_can_be_typed(book: tuple[str, Path], tmp_path: Path) -> None:
    locale, path = book
    out = tmp_path / "list.csv"
    result = CliRunner().invoke(cli, ["--lang", "en", "export", str(path), "--segment", "скидк > 5", "--csv", str(out)])
    assert result.exit_code == 2 and not out.exists()
    known = result.output.split("the fields are: ")[1]
    typed = {"ru": "Скидка, Номер карты, Срок оплаты,", "en": "Discount, Card number, Payment term,"}
    assert typed[locale] in known and "%" not in known
    result = CliRunner().invoke(
        cli, ["--lang", "en", "export", str(path), "--segment", "consent", "--columns", "скидк", "--csv", str(out)]
    )
    assert result.exit_code == 2 and "Discount (Скидка), Card number (Номер карты), Payment term (Срок оплаты)" in (
        result.output
    )


@pytest.mark.parametrize(
    ("locale", "filters"),
    [
        ("ru", {"Должники": "баланс > 0", "С картой и скидкой": "номер карты не пусто и скидка > 0"}),
        ("en", {"Debtors": "balance > 0", "Card and discount": "card number is not empty and discount > 0"}),
    ],
)
def test_named_segments_over_the_new_columns_are_counted_on_the_segments_sheet(
    tmp_path: Path, locale: str, filters: dict[str, str]
) -> None:
    path = write_loyalty_book(tmp_path / "clients.xlsx", locale)
    book = openpyxl.load_workbook(path)
    settings = book[schema.SETTINGS.name(locale)]
    headers = [cell.value for cell in settings[1]]
    name_column = headers.index(schema.SETTINGS.column("segment").name(locale)) + 1
    filter_column = headers.index(schema.SETTINGS.column("segment_filter").name(locale)) + 1
    for row, (name, text) in enumerate(filters.items(), start=2):
        settings.cell(row, name_column, name)
        settings.cell(row, filter_column, text)
    book.save(path)
    refresh(path)
    _, rows = segment_rows(path, locale)
    counted = {row[0]: row[2] for row in rows if row[0] in filters}
    assert counted == dict(zip(filters, (2, 1)))  # C000001 and C000004 owe; C000001 has card 1234567890 and 10 %
