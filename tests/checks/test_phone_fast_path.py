"""The shortcut for common Russian mobile numbers gives exactly what phonenumbers' full parse gives."""

from __future__ import annotations

import random
import re

import phonenumbers
import pytest

from xlcrm.checks import normalize

FORMS = (
    "+7 ({a}) {b}-{c}-{d}",
    "8 {a} {b} {c} {d}",
    "8{a}{b}{c}{d}",
    "+7{a}{b}{c}{d}",
    "+7 {a} {b}-{c}-{d}",
    "8 ({a}) {b}-{c}-{d}",
    "8({a}){b}-{c}-{d}",
    "+7({a}){b}{c}{d}",
    "+7 {a} {b} {c}{d}",
    "8-{a}-{b}-{c}-{d}",
    "+7 ({a}) {b}-{c}-{d} доб. 12",
    "7{a}{b}{c}{d}",
    "7 ({a}) {b}-{c}-{d}",
    "7 {a} {b} {c} {d}",
    "8 {a} {b} {c} {d}1",
    "+7 {a}{b}{c}",
)


def generated(count: int, seed: int) -> list[str]:
    """Every 9XX code, in every form, with random digits (some too short or long, so invalid)."""
    rng = random.Random(seed)
    numbers = []
    for index in range(count):
        code = f"9{index % 100:02d}"
        numbers.append(
            rng.choice(FORMS).format(
                a=code, b=f"{rng.randint(0, 999):03d}", c=f"{rng.randint(0, 99):02d}", d=f"{rng.randint(0, 99):02d}"
            )
        )
    return numbers


def test_shortcut_matches_full_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    numbers = generated(4000, seed=11)
    fast = [normalize._parse_phone(text, "RU") for text in numbers]
    assert sum(normalize._RU_MOBILE.fullmatch(text) is not None for text in numbers) > 2000  # the shortcut is used
    monkeypatch.setattr(normalize, "_RU_MOBILE", re.compile(r"(?!)"))  # never matches: the full parse every time
    assert fast == [normalize._parse_phone(text, "RU") for text in numbers]


def test_invalid_mobile_range_stays_invalid() -> None:
    # +7 930 000… is not an assigned mobile range: the shortcut still asks phonenumbers whether it is valid.
    assert normalize.parse_phones("+7 (930) 000-22-33").invalid == ("+7 (930) 000-22-33",)
    assert normalize.parse_phones("8 (916) 123-45-67").numbers == ("+79161234567",)


def test_plus7_validity_matches_phonenumbers_on_every_range() -> None:
    """Every four-digit range of +7 (Russia and Kazakhstan), several numbers each, plus wrong lengths."""
    rng = random.Random(5)
    numbers = [f"{prefix:04d}{rng.randint(0, 999_999):06d}" for prefix in range(10_000) for _ in range(3)]
    numbers += [f"{rng.randint(0, 10**length - 1):0{length}d}" for length in (8, 9, 11, 14) for _ in range(500)]
    numbers += ["9300050000", "9300349999", "9300700000", "7172123456", "3301234567", "0916123456"]
    expected = [
        phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=7, national_number=int(n))) for n in numbers
    ]
    assert [normalize.valid_plus7(n) for n in numbers] == expected
    assert 5_000 < sum(expected) < len(numbers) - 5_000  # both answers are well represented


def test_whole_cells_parse_alike_with_and_without_the_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell holding one plain mobile number skips the splitting of a cell into numbers: every cell, one number or
    several however separated, numbers typed as numbers, spaces around, reads the same either way."""
    rng = random.Random(3)
    single = generated(2000, seed=3)
    separators = (", ", "; ", " / ", "\n", "  ", " или ", " or ", ",")
    cells: list[object] = [*single, *(f"  {number}\t" for number in single[:200])]
    cells += [rng.choice(single) + rng.choice(separators) + rng.choice(single) for _ in range(1000)]
    cells += [79161234567.0, 89161234567, 9161234567.0, "8 916  123 45 67", "8 (916) 123-45-67 ", "", None]
    fast = [normalize.parse_phones(cell, "RU") for cell in cells]
    assert sum(normalize._RU_MOBILE.fullmatch(normalize.as_text(cell)) is not None for cell in cells) > 1000
    monkeypatch.setattr(normalize, "_RU_MOBILE", re.compile(r"(?!)"))  # never matches: cells split, then parsed
    assert fast == [normalize.parse_phones(cell, "RU") for cell in cells]
