"""Single quotes, typed out of habit from SQL or a shell, quote a value as double quotes and «ёлочки» do (before,
'Казань' was the value with its quotes and matched nobody, without a word); inside a word an apostrophe stays a
letter."""

from __future__ import annotations

import pytest

from xlcrm import schema
from xlcrm.checks.segment_language import Condition, SegmentFilterError, parse_filter


def values(text: str) -> tuple[object, ...]:
    root = parse_filter(text, "ru").root
    assert isinstance(root, Condition)
    return root.values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("город = 'Казань'", ("Казань",)),
        ("город = ‘Казань’", ("Казань",)),
        ("город в ('Казань', 'Нижний Новгород')", ("Казань", "Нижний Новгород")),
        ("компания contains O'Neil", ("O'Neil",)),
        ('компания = "Д\'Артаньян"', ("Д'Артаньян",)),
    ],
)
def test_single_quotes_quote_a_value_and_an_apostrophe_in_a_word_is_a_letter(
    text: str, expected: tuple[object, ...]
) -> None:
    assert values(text) == tuple(schema.fold(value) for value in expected)  # text values are kept folded


def test_an_unclosed_single_quote_is_refused_at_its_position() -> None:
    with pytest.raises(SegmentFilterError) as raised:
        parse_filter("город = 'Казань", "ru")
    assert raised.value.position == 9
