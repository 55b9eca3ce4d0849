"""How each kind of personal value is masked, with one pseudonym per client (xlcrm.export.masking)."""

from __future__ import annotations

import datetime as dt

import pytest

from xlcrm.export.masking import Kind, Masker


@pytest.mark.parametrize(
    "locale, company, expected",
    [
        ("ru", "ИП Тарасова М.С.", "ИП Клиент 1"),
        ("ru", "Индивидуальный предприниматель Тарасова Мария Сергеевна", "Индивидуальный предприниматель Клиент 1"),
        ("ru", "ип Тарасова", "ип Клиент 1"),
        ("en", "IP Tarasova M.S.", "IP Client 1"),
        ("ru", "ООО «Ромашка»", "ООО «Ромашка»"),  # a firm's name is kept
        ("en", "Romashka LLC", "Romashka LLC"),
    ],
)
def test_a_sole_traders_name_is_the_clients_pseudonym(locale: str, company: str, expected: str) -> None:
    masker = Masker(locale)
    assert masker.mask(Kind.COMPANY, company, "C000007") == expected
    assert masker.mask(Kind.NAME, "Тарасова Мария Сергеевна", "C000007") == (
        "Клиент 1" if locale == "ru" else "Client 1"
    )
    assert masker.counts[Kind.COMPANY] == (company != expected)


def test_one_pseudonym_per_client_and_per_contact_person() -> None:
    masker = Masker("ru")
    masker.number_client("C000002")
    assert masker.mask(Kind.NAME, "Петров Иван", "C000001") == "Клиент 2"
    assert masker.mask(Kind.NAME, "Петров Иван", "c000001 ") == "Клиент 2"  # the ClientID as Excel folds it
    assert masker.mask(Kind.NAME, "Сидорова Ольга", "C000002") == "Клиент 1"
    assert masker.mask(Kind.NAME, "петров  иван", None, contact=True) == "Клиент 2"  # the client's own person
    assert masker.mask(Kind.NAME, "Иванова Мария", None, contact=True) == "Контакт 1"
    assert masker.mask(Kind.NAME, "Орлов Пётр", None, contact=True) == "Контакт 2"
    assert masker.mask(Kind.NAME, "Иванова Мария", None, contact=True) == "Контакт 1"
    assert masker.counts[Kind.NAME] == 7


@pytest.mark.parametrize(
    "value, expected",
    [
        (dt.datetime(1980, 5, 17), dt.date(1980, 7, 1)),
        (dt.date(1990, 12, 31), dt.date(1990, 7, 1)),
        ("03.02.1961", dt.date(1961, 7, 1)),  # typed as text
        ("весной", None),  # no year: nothing is kept
    ],
)
def test_a_birthday_keeps_its_year(value: object, expected: dt.date | None) -> None:
    assert Masker("ru").mask(Kind.BIRTHDAY, value) == expected  # type: ignore[arg-type]


def test_free_texts_are_hidden_or_kept_with_what_they_name_masked() -> None:
    comment = "Петров Иван просил звонить на +7 916 123-45-67 или писать ivan@romashka.ru"
    hidden, kept = Masker("ru"), Masker("en", keep_comments=True)
    for masker in (hidden, kept):
        masker.mask(Kind.NAME, "Петров Иван", "C000001")
    assert hidden.mask(Kind.TEXT, comment) == "(скрыто)"
    assert kept.mask(Kind.TEXT, comment) == "Client 1 просил звонить на +7 *** ***-**-67 или писать i***@r*******.ru"
    assert kept.mask(Kind.TEXT, "Перезвонить") == "Перезвонить"
    assert kept.counts[Kind.TEXT] == 1


def test_a_report_text_shows_the_masks_of_the_originals_it_repeats() -> None:
    masker = Masker("ru")
    masker.mask(Kind.NAME, "Петров Иван", "C000001")
    masker.mask(Kind.NAME, "Петров Иван Сергеевич", "C000002")
    masker.mask(Kind.INN, "7707083893", "C000001")
    masker.mask(Kind.TEXT, "Да", "C000001")  # too short to be searched for
    masker.mask(Kind.BIRTHDAY, dt.date(2027, 8, 13), "C000001")
    assert masker.scrub("День рождения контактного лица: Петров Иван Сергеевич, исполняется 53") == (
        "День рождения контактного лица: Клиент 2, исполняется 53"
    )
    assert masker.scrub("Петров Иван; Да") == "Клиент 1; Да"
    assert masker.scrub(7707083893.0) == "77********"
    assert masker.scrub(7707083893) == "77********"
    assert masker.scrub(2027) == 2027 and masker.scrub("2027-08-13") == "2027"
    assert masker.scrub("тот же телефон +79161234567") == "тот же телефон +7********67"


def test_an_email_cell_without_an_address_shows_its_first_character() -> None:
    assert Masker("ru").mask(Kind.EMAIL, "officelogistik.ru") == "o***"


def test_an_original_is_masked_where_it_begins_a_word_and_ends_no_number() -> None:
    """A card number 0001 is not inside the ClientID C000001 or the Merge ID M0001 a report shows, an address ending
    «д. 1» not inside «д. 147», a name not inside a longer word; a name followed by a case ending is masked."""
    masker = Masker("ru")
    masker.mask(Kind.CARD, "0001", "C000001")
    masker.mask(Kind.NAME, "Анна Петрова", "C000001")
    masker.mask(Kind.TEXT, "ул. Октябрьская, д. 1", "C000001")
    assert masker.scrub("C000001") == "C000001"
    assert masker.scrub("M0001: C000001 ← C000007") == "M0001: C000001 ← C000007"
    assert masker.scrub("карта 0001, C000001") == "карта **01, C000001"
    assert masker.scrub("Марианна Петрова") == "Марианна Петрова"
    assert masker.scrub("звонила Анна Петрова.") == "звонила Клиент 1."
    masker.mask(Kind.COMPANY, "ИП Князев", "C000002")
    assert masker.scrub("Счёт от ИП Князева") == "Счёт от ИП Клиент 2а"  # a case ending stays, the name does not
    assert masker.scrub("соседка: ул. Октябрьская, д. 147") == "соседка: ул. Октябрьская, д. 147"
