"""▸ Analytics' table of card holders and others: on the refreshed demo with card numbers and discounts typed in,
each figure checked against pandas run on the saved file's own sheets; a base without card numbers shows 0 card
holders."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.reports.test_analytics import TODAY, WORDS, Words, independent_base, same, sheet_values, table
from xlcrm.cli.main import cli
from xlcrm.create import template
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook

HEADING = {"ru": "Владельцы карт и остальные", "en": "Card holders and others"}
ROWS = {"ru": ["С картой", "Без карты", "Итого"], "en": ["With a card", "Without a card", "Total"]}
CARD = {"ru": "Номер карты", "en": "Card number"}
DISCOUNT = {"ru": "Скидка, %", "en": "Discount, %"}


def type_cards(path: Path, locale: str) -> None:
    """Card numbers on every third client instead of the demo's own (one typed as a number, one as spaces only: no
    card), discounts on some of them and on some clients without a card (0 is no discount, 150 a mistake the
    average leaves out)."""
    book = openpyxl.load_workbook(path)
    sheet = book[WORDS[locale].clients]
    header = [cell.value for cell in sheet[1]]
    card, discount = header.index(CARD[locale]) + 1, header.index(DISCOUNT[locale]) + 1
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, card).value = sheet.cell(row, discount).value = None  # the demo's own cards give way
        if row % 3 == 0:
            sheet.cell(row, card).value = f"{row:08d}"
            sheet.cell(row, discount).value = [0, 5, 10, 12.5][row % 4]
        elif row % 7 == 0:
            sheet.cell(row, discount).value = 3
    sheet.cell(4, card).value = 40000004  # a number cell is a card too
    sheet.cell(5, card).value = "   "
    sheet.cell(6, discount).value = 150
    book.save(path)


@pytest.fixture(scope="module", params=["ru", "en"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    locale = request.param
    path = tmp_path_factory.mktemp(f"cards-{locale}") / "demo.xlsx"
    create_demo(path, clients=150, seed=1, locale=locale, today=TODAY.date())
    type_cards(path, locale)
    refresh_workbook(path, today=TODAY.date(), save=SaveOptions(keep_backups=0))
    return path, locale


def expected_figures(path: Path, words: Words, locale: str) -> pd.DataFrame:
    """The table worked out with pandas from the saved Clients and Interactions sheets."""
    base = independent_base(path, words)
    typed = pd.read_excel(path, sheet_name=words.clients, dtype=object, engine="openpyxl")
    typed = typed[typed[words.client_id].isin(base.clients.index)].set_index(words.client_id)
    card = typed[CARD[locale]].map(lambda value: pd.notna(value) and str(value).strip() != "")
    discount = pd.to_numeric(typed[DISCOUNT[locale]], errors="coerce")
    discount = discount.where((discount > 0) & (discount <= 100))
    with_card, without_card, total = ROWS[locale]
    group = card.map({True: with_card, False: without_card})
    sales = base.period.assign(group=group.reindex(base.period["client"]).to_numpy())
    rows = {}
    for label, members, bought in (
        (with_card, group.index[group == with_card], sales[sales["group"] == with_card]),
        (without_card, group.index[group == without_card], sales[sales["group"] == without_card]),
        (total, group.index, sales),
    ):
        orders = int(bought["order"].sum())
        revenue = bought["amount"].sum()
        rows[label] = [
            len(members),
            bought.loc[bought["order"], "client"].nunique(),
            orders,
            revenue,
            revenue / len(members) if len(members) else None,
            revenue / orders if orders else None,
            discount.reindex(members).mean(),
        ]
    return pd.DataFrame.from_dict(rows, orient="index")


def test_card_holders_against_an_independent_computation(demo: tuple[Path, str]) -> None:
    path, locale = demo
    words = WORDS[locale]
    shown = table(sheet_values(path, words.sheet), HEADING[locale])
    expected = expected_figures(path, words, locale)
    assert list(shown.index) == ROWS[locale]
    for label, row in shown.iterrows():
        assert same(row.tolist(), expected.loc[label].tolist()), label
    holders = shown.loc[ROWS[locale][0]]
    assert holders.iloc[0] == 50 and holders.iloc[2] > 0  # rows 3, 6, … 150, and 4; not row 5's spaces
    assert holders.iloc[-1] == pytest.approx(expected.loc[ROWS[locale][0]].iloc[-1]) and holders.iloc[-1] > 0


def test_the_table_says_how_it_is_worked_out(demo: tuple[Path, str]) -> None:
    path, locale = demo
    rows = sheet_values(path, WORDS[locale].sheet)
    below = rows[next(i for i, row in enumerate(rows) if row[0] == HEADING[locale]) + 1]
    assert isinstance(below[0], str) and len(below[0]) > 30 and below[1] is None


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_a_base_without_card_numbers_shows_no_card_holders(tmp_path: Path, locale: str) -> None:
    path = tmp_path / "clients.xlsx"
    template.build_workbook(locale).save(path)
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    shown = table(sheet_values(path, WORDS[locale].sheet), HEADING[locale])
    assert list(shown.index) == ROWS[locale]
    assert [row.iloc[:4].tolist() for _, row in shown.iterrows()] == [[0, 0, 0, 0]] * 3
    assert shown.iloc[:, 4:].isna().all().all()  # nothing to divide: blank, not 0
