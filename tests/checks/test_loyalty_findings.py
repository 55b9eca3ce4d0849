"""Findings of the loyalty columns of Clients, each at its boundary, through ``xlcrm validate`` and the library, in
both languages: a Discount, % from 0 to 100 (a share typed for a percentage suggests the number meant), a Card
number of the digits Settings say, and one card on two clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import settings_records, valid_records, write_records
from tests.checks.test_payment_findings import codes, findings
from tests.checks.test_validate import check_single_finding, run
from xlcrm import schema
from xlcrm.checks.findings import Code
from xlcrm.messages import render


def build(
    tmp_path: Path,
    first: dict[str, object],
    second: dict[str, object] | None = None,
    locale: str = "en",
    card_digits: int = 0,
) -> Path:
    """valid_records with these cells of its two clients (Excel rows 2 and 3) and the Setting card_digits."""
    records = valid_records(locale)
    records[schema.CLIENTS.key][0].update(first)
    records[schema.CLIENTS.key][1].update(second or {})
    managers = [str(record["manager"]) for record in records[schema.CLIENTS.key]]
    records[schema.SETTINGS.key] = settings_records(locale, {"managers": managers}, {"card_digits": card_digits})
    return write_records(tmp_path / f"loyalty-{locale}.xlsx", locale, records)


@pytest.mark.parametrize("discount", [0, 1, 15, 99.5, 100])
def test_a_discount_from_0_to_100_has_no_finding(tmp_path: Path, discount: float) -> None:
    assert codes(build(tmp_path, {"discount": discount})) == []


@pytest.mark.parametrize("discount", [100.01, -1, 250])
def test_a_discount_below_0_or_above_100_is_an_error(tmp_path: Path, discount: float) -> None:
    path = build(tmp_path, {"discount": discount})
    check_single_finding(
        path, f'error   Clients!R2  bad-discount  "{discount}"  a discount is from 0 to 100 per cent; check the number'
    )


@pytest.mark.parametrize(("share", "meant"), [(0.1, "10"), (0.125, "12.5"), (0.99, "99")])
def test_a_discount_between_0_and_1_is_a_share_typed_for_a_percentage(tmp_path: Path, share: float, meant: str) -> None:
    check_single_finding(
        build(tmp_path, {"discount": share}),
        f'warning Clients!R2  discount-as-fraction  "{share}"  less than one per cent: if the discount is {meant} %, '
        f"type {meant}; the column holds per cent, not a share of one",
    )


@pytest.mark.parametrize(
    ("typed", "line"),
    [
        (
            "10%",
            'warning Clients!R2  bad-discount  "10%"  typed as text with a per cent sign, so it counts as no '
            "discount; type the number 10 alone: the column is in per cent",
        ),
        (
            "7,5 %",
            'warning Clients!R2  bad-discount  "7,5 %"  typed as text with a per cent sign, so it counts as no '
            "discount; type the number 7.5 alone: the column is in per cent",
        ),
        (
            "ten",
            'warning Clients!R2  bad-discount  "ten"  not a number, so it counts as no discount; type the discount '
            "in per cent, from 0 to 100",
        ),
        ("15", 'warning Clients!R2  bad-number  "15"  typed as text; retype it as a number'),
        ("150", 'error   Clients!R2  bad-discount  "150"  a discount is from 0 to 100 per cent; check the number'),
    ],
)
def test_a_discount_typed_as_text_is_one_warning_saying_what_to_type(tmp_path: Path, typed: str, line: str) -> None:
    check_single_finding(build(tmp_path, {"discount": typed}), line)


def test_discount_findings_in_russian(tmp_path: Path) -> None:
    path = build(tmp_path, {"discount": 0.1}, {"discount": "10%"}, locale="ru")
    assert [(f.cell, f.code, f.value, render(f.message, "ru")) for f in findings(path)] == [
        (
            "Клиенты!R2",
            Code.DISCOUNT_AS_FRACTION,
            "0.1",
            "меньше одного процента: если скидка 10 %, введите 10; в графе проценты, а не доля от единицы",
        ),
        (
            "Клиенты!R3",
            Code.BAD_DISCOUNT,
            "10%",
            "введено как текст со знаком процента, поэтому считается, что скидки нет; введите одно число 10: графа и "
            "так в процентах",
        ),
    ]
    before = path.read_bytes()
    result = run(path)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == f"0 ошибок, 2 предупреждения в {path.name}"
    assert path.read_bytes() == before


@pytest.mark.parametrize("card", ["12345678", "1234 5678", " 1234\u00a05678 ", 12345678])
def test_a_card_of_the_digits_settings_say_has_no_finding_spaces_between_groups_allowed(
    tmp_path: Path, card: object
) -> None:
    assert codes(build(tmp_path, {"card_number": card}, card_digits=8)) == []


@pytest.mark.parametrize(
    ("card", "line"),
    [
        (
            "1234567",
            'warning Clients!S2  bad-card-number  "1234567"  7 digits, but a card number is 8 digits (Digits in a '
            "card number on sheet Settings)",
        ),
        (
            123456789,
            'warning Clients!S2  bad-card-number  "123456789"  9 digits, but a card number is 8 digits (Digits in a '
            "card number on sheet Settings)",
        ),
        (
            "1234-5678",
            'warning Clients!S2  bad-card-number  "1234-5678"  a card number is 8 digits (Digits in a card number '
            "on sheet Settings); this one has other characters",
        ),
        (
            "AB345678",
            'warning Clients!S2  bad-card-number  "AB345678"  a card number is 8 digits (Digits in a card number on '
            "sheet Settings); this one has other characters",
        ),
    ],
)
def test_a_card_of_other_digits_or_characters_is_a_warning(tmp_path: Path, card: object, line: str) -> None:
    check_single_finding(build(tmp_path, {"card_number": card}, card_digits=8), line)


def test_card_numbers_are_not_checked_while_the_setting_is_0(tmp_path: Path) -> None:
    assert codes(build(tmp_path, {"card_number": "AB-1"}, {"card_number": "77"})) == []


def test_one_card_on_two_clients_is_a_warning_naming_both_compared_as_digits(tmp_path: Path) -> None:
    check_single_finding(
        build(tmp_path, {"card_number": 12345678}, {"card_number": "1234 5678"}),
        'warning Clients!S3  duplicate-card-number  "1234 5678"  ClientID C000002 has the same Card number as '
        "ClientID C000001 (Clients!S2): a card belongs to one client; check whose card it is",
    )


def test_card_findings_in_russian(tmp_path: Path) -> None:
    path = build(tmp_path, {"card_number": "1234"}, {"card_number": "1234"}, locale="ru", card_digits=5)
    assert [(f.cell, f.code, render(f.message, "ru")) for f in findings(path)] == [
        (
            "Клиенты!S2",
            Code.BAD_CARD_NUMBER,
            "4 цифры, а цифр в номере карты должно быть 5 (Цифр в номере карты на листе Настройки)",
        ),
        (
            "Клиенты!S3",
            Code.BAD_CARD_NUMBER,
            "4 цифры, а цифр в номере карты должно быть 5 (Цифр в номере карты на листе Настройки)",
        ),
        (
            "Клиенты!S3",
            Code.DUPLICATE_CARD_NUMBER,
            "у клиента с ID клиента C000002 тот же Номер карты, что у клиента с ID клиента C000001 (Клиенты!S2): "
            "карта принадлежит одному клиенту; проверьте, чья это карта",
        ),
    ]


@pytest.mark.parametrize("card_digits", [0, 16])
def test_a_card_of_more_than_15_digits_in_a_number_cell_lost_its_last_digits(tmp_path: Path, card_digits: int) -> None:
    """Excel keeps 15 digits of a number: 1234567812345678 typed into a number cell is saved as 1234567812345670."""
    path = build(
        tmp_path, {"card_number": 1234567812345670}, {"card_number": "1234 5678 1234 5678"}, card_digits=card_digits
    )
    check_single_finding(
        path,
        'warning Clients!S2  bad-card-number  "1234567812345670"  a number of more than 15 digits: Excel keeps only '
        "the first 15 and makes the rest zeros; format the cell as Text and type the card number again",
    )
    ru = build(tmp_path, {"card_number": 1234567812345670}, locale="ru")
    assert [render(f.message, "ru") for f in findings(ru)] == [
        "число длиннее 15 цифр: Excel хранит только первые 15, а остальные заменяет нулями; задайте ячейке формат "
        "«Текстовый» и введите номер карты заново"
    ]
