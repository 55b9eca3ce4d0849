"""Matching keys: phones, emails, INN/OGRN, company names, person names; Russian and English, tricky cases."""

from __future__ import annotations

import datetime as dt

import pytest

from xlcrm.checks.normalize import as_text, is_blank, parse_inn, parse_phones, text_or_none
from xlcrm.dedupe.keys import (
    city_key,
    company_name,
    compare_companies,
    compare_people,
    email_keys,
    fingerprint,
    fix_lookalikes,
    person_name,
    phone_keys,
    tax_id_key,
    text_key,
)


@pytest.mark.parametrize(
    "typed",
    [
        "8 (916) 123-45-67",
        "+7 916 123 45 67",
        "7 916 1234567",
        "89161234567",
        89161234567.0,
        "+7(916)123-45-67",
        "8٩١٦١٢٣٤٥٦٧",  # Arabic-Indic digits after a typed 8: still the E.164 key, in ASCII digits
        "８ ９１６ １２３ ４５ ６７",  # full-width digits, as a Japanese input method types them
    ],
)
def test_phone_prefixes_8_plus7_and_7_meet(typed: object) -> None:
    assert phone_keys(typed) == {"+79161234567"}


def test_several_numbers_in_one_cell_and_extensions() -> None:
    assert phone_keys("8 (916) 123-45-67, +7 495 123-45-67 доб. 12") == {"+79161234567", "+74951234567"}
    assert phone_keys("+7 495 123-45-67 ext. 7; 8 916 123 45 67") == {"+74951234567", "+79161234567"}


def test_invalid_and_blank_phones_give_no_key() -> None:
    assert phone_keys("8 916 12") == frozenset()
    assert phone_keys(None) == frozenset()
    assert phone_keys("8 (000) 123-45-67") == frozenset()


def test_fast_phone_path_agrees_with_the_parser() -> None:
    for typed in ("8 (800) 555-35-35", "+7 (812) 532-66-05", "8 (343) 555-12-34", "+7 701 123 45 67"):
        assert phone_keys(typed) == frozenset(parse_phones(typed).numbers)


def test_emails_fold_case_spaces_and_mailto() -> None:
    assert email_keys(" mailto:Ivan.Petrov@Mail.RU ") == {"ivan.petrov@mail.ru"}
    assert email_keys("a@b.ru; C@D.com") == {"a@b.ru", "c@d.com"}
    assert email_keys("not an email") == frozenset()


def test_tax_ids_are_validated() -> None:
    assert tax_id_key("7707083893") == "inn:7707083893"
    assert tax_id_key(" 7707 083 893 ") == "inn:7707083893"
    assert tax_id_key("7707083894") is None  # wrong check digit: a typo must not prove or disprove anything
    assert tax_id_key("1027700132195") == "ogrn:1027700132195"
    assert tax_id_key(500100732259) == "inn:500100732259"
    assert tax_id_key(None) is None
    assert tax_id_key("12345678²0") is None  # a superscript is not: no key, and no failure


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("７７０７０８３８９３", "inn:7707083893"),
        ("٧٧٠٧٠٨٣٨٩٣", "inn:7707083893"),
        ("77070838٩3", "inn:7707083893"),
        ("５００１００７３２２５９", "inn:500100732259"),
        ("１０２７７００１３２１９５", "ogrn:1027700132195"),
        ("७७०७०८३८९३", "inn:7707083893"),  # Devanagari
        ("７７０７０８３８９４", None),
        ("٧٧٠٧٠٨٣٨٩٤", None),
    ],
)
def test_tax_ids_in_other_decimal_digits_key_as_ascii(typed: str, key: str | None) -> None:
    # The key is the one the same number typed in ASCII digits gets, so the two meet; and an INN is a key exactly
    # when validation finds it valid, so what validation calls a typo never makes two clients look the same.
    assert tax_id_key(typed) == key
    if not key or key.startswith("inn:"):
        assert parse_inn(typed).valid is (key is not None)
    if key and key.startswith("inn:"):  # what import writes, and how it tells a row it already holds
        assert parse_inn(typed).inn == key.removeprefix("inn:")


@pytest.mark.parametrize(
    "typed",
    [
        'ООО "Ромашка"',
        "ООО «Ромашка»",
        "ООО „Ромашка“",
        "Ромашка ООО",
        "Romashka LLC",
        "Romashka, Ltd.",
        "Общество с ограниченной ответственностью «Ромашка»",
        "ооо ромашка",
        "Рoмашка",  # Latin o inside
        "Romaschka GmbH",
        "OOO Romashka",
    ],
)
def test_company_names_meet_without_legal_form_quotes_alphabet(typed: str) -> None:
    assert company_name(typed).key == "romashka"


def test_company_legal_forms_are_recognised() -> None:
    assert company_name("ЗАО „Вектор“").legal_form == "зао"
    assert company_name("Vector Inc").legal_form == "inc"
    individual = company_name("ИП Смирнов А.В.")
    assert individual.individual and individual.key == "smirnov a v"
    assert company_name("АО").key == "ao"  # a name made only of a legal form is still a name


def test_yo_and_lookalikes() -> None:
    assert company_name("Ёлка").key == company_name("Елка").key
    assert fix_lookalikes("Рoмашка") == "Ромашка"  # Latin o in a Cyrillic word
    assert fix_lookalikes("Rоmashka") == "Romashka"  # Cyrillic о in a Latin word
    assert fix_lookalikes("Ромашка") == "Ромашка"
    assert text_key("Москва") == text_key("Moskva") == "moskva"


def test_transliteration_variants_meet() -> None:
    assert company_name("Хорошие решения").key == company_name("Khoroshie resheniya").key
    assert company_name("Щукин и партнёры").key == company_name("Schukin i partnery").key
    assert compare_companies(company_name("ООО Ромашка"), company_name("Romashka LLC")) == 100


@pytest.mark.parametrize(
    "first, second, at_least",
    [
        ("Петров Иван Иванович", "Иван Иванович Петров", 100),  # name order
        ("Петров И.И.", "Петров Иван Иванович", 90),  # initials
        ("Петров И. И.", "Иван Петров", 80),
        ("Иван Петров", "Петров Иван Иванович", 85),  # patronymic missing
        ("Petrov Ivan", "Петров Иван", 100),  # transliterated
        ("Пётр Семёнов", "Петр Семенов", 100),  # ё
        ("Смирнова Анна", "Смирнова Ана", 85),  # a typo
    ],
)
def test_people_match_in_any_order_with_initials(first: str, second: str, at_least: int) -> None:
    result = compare_people(person_name(first), person_name(second))
    assert not result.conflict
    assert result.similarity >= at_least


@pytest.mark.parametrize(
    "first, second",
    [
        ("Смирнов Андрей Викторович", "Смирнов Алексей Васильевич"),
        ("Смирнов А.В.", "Смирнов А.Б."),
        ("Ivan Petrov", "Maria Petrova"),
        ("Иванов Иван", "Сидоров Пётр"),
    ],
)
def test_different_people_conflict(first: str, second: str) -> None:
    result = compare_people(person_name(first), person_name(second))
    assert result.conflict and result.similarity == 0


def test_blank_names_neither_match_nor_conflict() -> None:
    result = compare_people(person_name(None), person_name("Иван Петров"))
    assert result.similarity == 0 and not result.conflict


def test_individual_entrepreneur_names_compare_as_people() -> None:
    assert compare_companies(company_name("ИП Смирнов А.В."), company_name("ИП Смирнов Андрей Викторович")) >= 85
    assert compare_companies(company_name("ИП Смирнов А.В."), company_name("ИП Смирнов Б.В.")) == 0


def test_company_names_with_other_numbers_are_other_companies() -> None:
    assert compare_companies(company_name("Филиал 1"), company_name("Филиал 2")) == 0
    assert compare_companies(company_name("ООО «Автосервис 24»"), company_name("Avtoservis 24 LLC")) == 100
    assert compare_companies(company_name("Школа № 5"), company_name("Школа")) > 50  # one number only: letters decide


def test_openrefine_fingerprint() -> None:
    assert fingerprint("Romashka, LLC") == fingerprint("llc romashka") == "llc romashka"
    assert fingerprint("ООО Ромашка") == "ооо ромашка"


@pytest.mark.parametrize("typed", ["Москва", "г. Москва", "Moscow", "MOSKVA", "москва "])
def test_city_keys_meet_across_languages(typed: str) -> None:
    assert city_key(typed) == "moskva"


class _Text(str):
    """A str subclass, which takes the general path."""


@pytest.mark.parametrize(
    "value",
    [None, float("nan"), "", "   ", "\t\n", " C0007 ", "Иван", 7.0, 7.5, 0, True, dt.date(2024, 1, 2)]
    + [_Text("  x "), _Text(" ")],
)
def test_text_or_none_is_the_text_a_person_sees_or_none_for_a_blank(value: object) -> None:
    assert text_or_none(value) == (None if is_blank(value) else as_text(value))
