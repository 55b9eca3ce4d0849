"""The anonymised copy and the columns of payments and loyalty: card numbers masked to their last two characters on
Clients and in every report that repeats them, found in no part of the file; the Order No., Discount and Payment term
kept (the business's number of a document and its terms of trade, not the person's data); a card number ▸ Problems
lists is masked there too."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, write_records
from tests.export.test_segments import sha
from tests.loyalty_book import TODAY, loyalty_records, write_loyalty_book
from tests.privacy.test_forget_loyalty import WORDS, clients_by_id, order_numbers
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.export.text_masks import mask_card

CARD = "1234567890"


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_card_numbers_are_masked_and_the_order_numbers_and_terms_stay(tmp_path: Path, locale: str) -> None:
    _, _, _, card, discount, term, _ = WORDS[locale]
    path = write_loyalty_book(tmp_path / "clients.xlsx", locale)
    book = openpyxl.load_workbook(path)
    clients = book.worksheets[0]
    column = [cell.value for cell in clients[1]].index(card) + 1
    clients.cell(5, column).value = 9876543210  # a card typed as a number
    book.save(path)
    assert CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat()]).exit_code == 0
    before = sha(path)
    copy = tmp_path / "copy.xlsx"
    result = CliRunner().invoke(
        cli, ["--lang", "en", "export", str(path), "--anonymise", str(copy), "--today", TODAY.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert "3 card numbers" in result.output
    assert sha(path) == before
    original, masked = clients_by_id(path, locale), clients_by_id(copy, locale)
    assert [masked[client][card] for client in ("C000001", "C000002", "C000003", "C000004")] == [
        "********90",
        None,
        "**42",
        "********10",
    ]
    for client in original:
        assert (masked[client][discount], masked[client][term]) == (original[client][discount], original[client][term])
    assert order_numbers(copy, locale) == order_numbers(path, locale)
    with zipfile.ZipFile(copy) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", errors="replace")
            assert CARD not in text and "9876543210" not in text, name


@pytest.mark.parametrize(
    ("card", "masked"),
    [("1234 5678 9012", "**** **** **12"), ("AB-77", "**-77"), ("7", "7"), ("0042", "**42")],
)
def test_a_card_keeps_its_separators_and_last_two_characters(card: str, masked: str) -> None:
    assert mask_card(card) == masked


def test_a_card_number_listed_on_problems_is_masked_there_too(tmp_path: Path) -> None:
    records = loyalty_records("ru")
    records[schema.SETTINGS.key] = settings_records("ru", {"managers": ["Анна", "Борис"]}, {"card_digits": 8})
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    assert CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat()]).exit_code == 0
    problems = schema.PROBLEMS.name("ru")

    def card_rows(book: Path) -> list[tuple[object, ...]]:
        rows = openpyxl.load_workbook(book)[problems].iter_rows(values_only=True)
        return [row[2:4] for row in rows if "bad-card-number" in row]

    assert card_rows(path) == [("Клиенты!S2", CARD), ("Клиенты!S4", "0042")]
    copy = tmp_path / "copy.xlsx"
    assert CliRunner().invoke(cli, ["export", str(path), "--anonymise", str(copy)]).exit_code == 0
    assert card_rows(copy) == [("Клиенты!S2", "********90"), ("Клиенты!S4", "**42")]
