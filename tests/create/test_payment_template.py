"""The template's parts for payments and loyalty: entry checks of Discount and Payment term, text columns for a
card number and an Order No., a date cell for «Track payments from», and the How-to paragraph on payments."""

from __future__ import annotations

import openpyxl
import pytest

from xlcrm import schema
from xlcrm.jobs.init import create_template
from xlcrm.xlsx.refs import column_letter


@pytest.fixture(scope="module", params=schema.LOCALES)
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, openpyxl.Workbook]:
    locale: str = request.param
    path = tmp_path_factory.mktemp("payments") / "clients.xlsx"
    create_template(path, locale, keep_saved_copy=False)
    return locale, openpyxl.load_workbook(path)


def letter(spec: schema.Sheet, key: str) -> str:
    return column_letter(schema.template_columns(spec).index(spec.column(key)))


def check_of(book: openpyxl.Workbook, spec: schema.Sheet, key: str, locale: str) -> object:
    cells = f"{letter(spec, key)}2:{letter(spec, key)}1048576"
    found = [v for v in book[spec.name(locale)].data_validations.dataValidation if str(v.sqref) == cells]
    assert len(found) == 1, cells
    return found[0]


def test_a_discount_takes_a_number_from_0_to_100_and_shows_its_decimals(made) -> None:
    locale, book = made
    check = check_of(book, schema.CLIENTS, "discount", locale)
    assert (check.type, check.operator, check.formula1, check.formula2) == ("decimal", "between", "0", "100")
    assert check.errorStyle == "stop" and check.showInputMessage and check.showErrorMessage
    assert "100" in check.prompt and "100" in check.error
    # 7.5 % stays 7.5, not 8.
    assert book[schema.CLIENTS.name(locale)].column_dimensions[letter(schema.CLIENTS, "discount")].number_format == (
        "General"
    )


def test_a_payment_term_takes_whole_days_of_0_or_more(made) -> None:
    locale, book = made
    check = check_of(book, schema.CLIENTS, "payment_term", locale)
    assert (check.type, check.operator, check.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert check.errorStyle == "stop" and check.prompt and check.error


def test_card_numbers_and_order_numbers_are_text_so_leading_zeros_stay(made) -> None:
    locale, book = made
    for spec, key in ((schema.CLIENTS, "card_number"), (schema.INTERACTIONS, "order_number")):
        assert book[spec.name(locale)].column_dimensions[letter(spec, key)].number_format == "@"


def test_track_payments_from_is_a_blank_date_cell_with_a_date_check(made) -> None:
    locale, book = made
    settings = book[schema.SETTINGS.name(locale)]
    row = next(cell.row for cell in settings["A"] if cell.value == "payments_from")
    value = settings[f"C{row}"]
    assert value.value is None and value.number_format == "DD.MM.YYYY"
    dates = [v for v in settings.data_validations.dataValidation if v.type == "date"]
    assert [str(v.sqref) for v in dates] == [f"C{row}"]
    assert dates[0].errorStyle == "stop" and "31.12.2025" in dates[0].prompt
    # Payment is in the list behind the Type dropdown.
    types = letter(schema.SETTINGS, "interaction_types")
    assert schema.PAYMENT.name(locale) in [cell.value for (cell,) in settings[f"{types}2:{types}20"]]


def test_the_how_to_explains_payments_refunds_order_numbers_the_term_and_track_payments_from(made) -> None:
    locale, book = made
    how_to = book[schema.HOW_TO.name(locale)]
    rows = [(row[0].value, row[1].value) for row in how_to.iter_rows(max_col=2)]
    heading = "Оплаты и долги" if locale == "ru" else "Payments and debts"
    start = rows.index((heading, None))
    labels = [label for label, _ in rows[start + 1 : start + 6]]
    assert labels == [
        schema.PAYMENT.name(locale),
        schema.INTERACTIONS.column("order_number").name(locale),
        "Срок оплаты" if locale == "ru" else "Payment term",
        schema.setting("payments_from").label(locale),
        "▸ " + ("Баланс" if locale == "ru" else "Balance"),
    ]
    text = " ".join(str(value) for _, value in rows[start + 1 : start + 6])
    assert "-5000" in text and "xlcrm init --upgrade" in text
    # Every new column is explained under Columns.
    explained = {label for label, value in rows if value}
    for spec, key in (
        (schema.CLIENTS, "discount"),
        (schema.CLIENTS, "card_number"),
        (schema.CLIENTS, "payment_term"),
        (schema.INTERACTIONS, "order_number"),
    ):
        assert spec.column(key).name(locale) in explained


def test_no_how_to_text_is_taken_for_a_formula(made) -> None:
    locale, book = made
    # "= != < <= …" of the segment help was written as a formula, which LibreOffice showed as Err:501.
    formulas = [
        cell.coordinate for row in book[schema.HOW_TO.name(locale)].iter_rows() for cell in row if cell.data_type == "f"
    ]
    assert formulas == []
