"""The segment language: every operator, every kind of value, Russian names and keywords, and every error with its
position, on the parser alone and evaluated over a small frame of clients."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlcrm import schema
from xlcrm.checks.segment_language import (
    AllOf,
    AnyOf,
    Condition,
    Not,
    SegmentFilterError,
    find_field,
    parse_filter,
)
from xlcrm.errors import UsageError
from xlcrm.lifecycle.segments import ClientFields, matches
from xlcrm.messages import render


def condition(text: str, locale: str = "en") -> Condition:
    root = parse_filter(text, locale).root
    assert isinstance(root, Condition)
    return root


def error(text: str, locale: str = "en") -> tuple[int, str]:
    with pytest.raises(SegmentFilterError) as raised:
        parse_filter(text, locale)
    return raised.value.position, render(raised.value.args[0], locale)


# --- fields -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("city", "city"),
        ("Город", "city"),
        ("  ГОРОД ", "city"),
        ("consent date", "consent_date"),
        ("consent_date", "consent_date"),
        ("Дата   согласия", "consent_date"),
        ("блок", "block"),
        ("5 Regular" and "Block", "block"),
        ("заказов", "orders"),
        ("выручка", "revenue"),
        ("Последний заказ", "last_order"),
        ("следующий контакт", "next_contact"),
        ("согласие", "consent"),
        ("Consent", "consent"),
        ("Статус", "designation"),
        ("Контактное лицо", "name"),
        ("ID клиента", "client_id"),
        ("Причина ухода", "lost_reason"),
        ("Партнеры", None),
    ],
)
def test_fields_are_found_by_either_language_or_key(name: str, key: str | None) -> None:
    found = find_field(name)
    assert (found.key if found else None) == key


# --- operators ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "operator", "negated"),
    [
        ("orders = 3", "=", False),
        ("orders == 3", "=", False),
        ("orders != 3", "=", True),
        ("orders <> 3", "=", True),
        ("orders < 3", "<", False),
        ("orders <= 3", "<=", False),
        ("orders > 3", ">", False),
        ("orders >= 3", ">=", False),
        ("orders in (1, 2)", "in", False),
        ("orders not in (1, 2)", "in", True),
        ("city contains ань", "contains", False),
        ("city not contains ань", "contains", True),
        ("city is empty", "empty", False),
        ("city empty", "empty", False),
        ("city is not empty", "empty", True),
        ("consent", "yes", False),
        ("заказов в (1, 2)", "in", False),
        ("заказов не в (1, 2)", "in", True),
        ("город содержит ань", "contains", False),
        ("город не содержит ань", "contains", True),
        ("город пусто", "empty", False),
        ("город не пусто", "empty", True),
        ("согласие", "yes", False),
    ],
)
def test_every_operator_in_both_languages(text: str, operator: str, negated: bool) -> None:
    read = condition(text)
    assert (read.operator, read.negated) == (operator, negated)


def test_and_binds_tighter_than_or_and_not_and_parentheses_group() -> None:
    root = parse_filter("city = a or orders > 1 and not consent").root
    assert isinstance(root, AnyOf)
    second = root.operands[1]
    assert isinstance(second, AllOf) and isinstance(second.operands[1], Not)
    grouped = parse_filter("(city = a or orders > 1) and consent").root
    assert isinstance(grouped, AllOf) and isinstance(grouped.operands[0], AnyOf)
    russian = parse_filter("(город = а или заказов > 1) и не согласие", "ru").root
    assert russian == parse_filter("(city = а or orders > 1) and not consent").root


def test_values_are_read_for_the_kind_of_their_field() -> None:
    assert condition("revenue > 12 500,50").values == (12500.5,)
    assert condition("revenue > 12500.5").values == (12500.5,)
    assert condition("orders in (1.5, 2)").values == (1.5, 2.0)  # commas separate the values of a list
    assert condition("last order < 31.12.2026").values == (dt.date(2026, 12, 31),)
    assert condition("last order < 2026-12-31").values == (dt.date(2026, 12, 31),)
    assert condition("block in (Regular, 6, 7 VIP, Ключевые)").values == (5, 6, 7, 8)
    assert condition("блок в (Постоянные, 6 Партнёры, партнеры)", "ru").values == (5, 6, 6)
    assert condition("block >= 5").values == (5,)
    assert condition("Статус = Потерян").values == (schema.LOST.key,)
    assert condition("designation in (lost, VIP)").values == (schema.LOST.key, schema.VIP.key)
    assert condition("consent = Нет").values == (False,)
    # Text is folded like headers: case, spaces and ё do not matter; bare words, "…" and «…».
    assert condition("city = Нижний   НОВГОРОД").values == ("нижний новгород",)
    assert condition('city = "Орёл, центр"').values == ("орел, центр",)
    assert condition("company = «Иванов и партнёры»").values == ("иванов и партнеры",)
    assert condition("company in («А и Б», 5 Постоянные)").values == ("а и б", "5 постоянные")
    assert condition("comment contains не звонить").values == ("не звонить",)


# --- errors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "says"),
    [
        ("city = ", 8, 'at 8 (the end of the filter): expected a value after "="'),
        ("city = and consent", 8, 'at 8 ("and consent"): expected a value after "="'),
        ("city", 5, 'expected a test after "City"'),
        ("city Казань", 1, 'unknown field "city Казань"'),  # words up to an operator name a field
        ("= 5", 1, 'expected a field name, found "="'),
        ("city = a and", 13, "expected a field name"),
        ("orders > abc", 10, '"abc" is not a number'),
        (
            "revenue > 1,500",
            11,
            '"1,500": a thousand or a fraction? Write it without the separator, or with two decimals',
        ),
        ("last order < 32.13.2026", 14, '"32.13.2026" is not a date such as 31.12.2026'),
        ("block in (5, Gold)", 14, '"Gold" is not a block'),
        ("designation = Gone", 15, '"Gone" is none of VIP, Key, Lost'),
        ("consent = maybe", 11, '"maybe" is none of Yes, No'),
        ("(city = a", 10, 'expected ")" to close the "(" at 1'),
        ("city = a)", 9, '")" closes no "("'),
        ('city = "Kazan', 8, "the quote opened here is not closed"),
        ("city = «Kazan", 8, "the quote opened here is not closed"),
        ("orders ! 3", 8, '"!" is no comparison'),
        ("block in 5", 10, 'expected "(" after "in"'),
        ("block in (5 6", 14, 'expected "," or ")" in the list of values'),
        ("block in ()", 11, 'expected a value after "("'),
        ("orders contains 3", 8, '"contains" works on text; "Orders" is not text'),
        ("consent < yes", 9, '"<" does not work on "Consent"'),
        ("designation > VIP", 13, '">" does not work on "Designation"'),
        ("city is full", 9, 'expected "empty" or "not empty" after "is"'),
        ("city not = 3", 10, 'expected "in", "contains" or "empty" after "not"'),
        ("city = a consent", None, None),  # a value of two words: no error
        ("city = a; orders > 1", 18, 'expected "and" or "or" after a condition, found ">"'),
        ("(city = a) consent", 12, 'expected "and" or "or" after a condition, found "consent"'),
    ],
)
def test_errors_name_the_position_and_the_text_there(text: str, position: int | None, says: str | None) -> None:
    if position is None:
        parse_filter(text)
        return
    at, message = error(text)
    assert at == position
    assert message.startswith(f"at {position} (") and says in message


def test_an_unknown_field_lists_the_known_ones_in_the_workbook_language() -> None:
    at, message = error("orders > 1 and town = Kazan")
    assert at == 16 and 'unknown field "town"' in message
    assert "City" in message and "Last order" in message and "Consent" in message
    at, message = error("заказов > 1 и городок = Казань", "ru")
    assert at == 15
    assert message.startswith("позиция 15 («городок = Казань»): нет поля «городок»")
    assert "Город" in message and "Последний заказ" in message and "Согласие" in message


def test_an_empty_filter_is_an_error_and_the_error_is_a_usage_error() -> None:
    assert issubclass(SegmentFilterError, UsageError)
    for text in ("", "   "):
        at, message = error(text)
        assert at == 1 and "the filter is empty" in message


def test_errors_speak_russian() -> None:
    at, message = error("город = ", "ru")
    assert message == "позиция 9 (конец условия): после «=» ожидалось значение"
    at, message = error("выручка > много", "ru")
    assert message == "позиция 11 («много»): «много» — не число"


# --- evaluation ---------------------------------------------------------------------------------------------------


def clients() -> ClientFields:
    """Four clients with a value, another value and a blank in each kind of field."""
    day = pd.Timestamp
    values = pd.DataFrame(
        {
            "city": ["Казань", "Нижний Новгород", "", "казань "],
            "email": ["a@x.ru", "", "", "b@x.ru"],
            "designation": [None, schema.VIP.key, schema.LOST.key, None],
            "orders": [3.0, 0.0, np.nan, 12.0],
            "last_order": [day("2026-05-01"), pd.NaT, pd.NaT, day("2026-11-01")],
            "block": [5.0, 7.0, 1.0, 6.0],
            "consent": [True, False, True, True],
        },
        index=pd.Index(["C1", "C2", "C3", "C4"], name="client_id"),
    )
    return ClientFields(values)


@pytest.mark.parametrize(
    ("text", "picked"),
    [
        ("city = казань", ["C1", "C4"]),
        ("city != Kazan", ["C1", "C2", "C3", "C4"]),
        ("city != казань", ["C2", "C3"]),  # a blank is not Казань
        ("city < М", ["C1", "C4"]),  # text compared folded; a blank is no smaller
        ("city >= нижний", ["C2"]),
        ("city in (Москва, нижний новгород)", ["C2"]),
        ("city not in (Казань)", ["C2", "C3"]),
        ("city contains нов", ["C2"]),
        ("city not contains нов", ["C1", "C3", "C4"]),
        ("email is empty", ["C2", "C3"]),
        ("email is not empty", ["C1", "C4"]),
        ("orders = 3", ["C1"]),
        ("orders > 0", ["C1", "C4"]),
        ("orders >= 0", ["C1", "C2", "C4"]),  # a blank number passes no comparison
        ("orders < 12", ["C1", "C2"]),
        ("orders <= 12", ["C1", "C2", "C4"]),
        ("orders is empty", ["C3"]),
        ("last order < 01.06.2026", ["C1"]),
        ("last order >= 2026-05-01", ["C1", "C4"]),
        ("last order = 01.11.2026", ["C4"]),
        ("last order is empty", ["C2", "C3"]),
        ("block in (Regular, Partner)", ["C1", "C4"]),
        ("block >= 5 and block <= 6", ["C1", "C4"]),
        ("block = 7 VIP", ["C2"]),
        ("designation = Lost", ["C3"]),
        ("статус != Потерян", ["C1", "C2", "C4"]),
        ("designation is empty", ["C1", "C4"]),
        ("consent", ["C1", "C3", "C4"]),
        ("not consent", ["C2"]),
        ("consent = no", ["C2"]),
        ("consent != да", ["C2"]),
        ("блок в (Постоянные, Партнёры) и согласие", ["C1", "C4"]),
        ("city = Казань or designation = VIP and consent", ["C1", "C4"]),
        ("(city = Казань or designation = VIP) and not consent", ["C2"]),
        ("not (orders > 1 or email пусто)", []),
    ],
)
def test_each_operator_picks_the_clients_it_says(text: str, picked: list[str]) -> None:
    fields = clients()
    chosen = matches(parse_filter(text), fields)
    assert fields.values.index[chosen].tolist() == picked


# --- any text --------------------------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "city",
        "Город",
        "orders",
        "block",
        "consent",
        "last order",
        "=",
        "!=",
        "<",
        ">=",
        "!",
        "in",
        "not",
        "и",
        "или",
        "не",
        "в",
        "contains",
        "is",
        "empty",
        "пусто",
        "(",
        ")",
        ",",
        '"',
        "«",
        "»",
        "Казань",
        "12 500,50",
        "31.12.2026",
        "5 Regular",
        " ",
    ]
)


@given(st.lists(_PIECES, max_size=12).map(" ".join) | st.text(max_size=40))
def test_any_text_is_read_or_refused_with_a_position_inside_it(text: str) -> None:
    """Whatever a person types, the filter is read or refused with one SegmentFilterError, never another exception,
    and the position it names is a character of the text or just after it."""
    try:
        parse_filter(text)
    except SegmentFilterError as refused:
        assert 1 <= refused.position <= len(text) + 1
        assert render(refused.args[0], "ru") and render(refused.args[0], "en")
