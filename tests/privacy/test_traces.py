"""Finding a person's values: phones in every written form, texts whatever their case, in cells and zip parts."""

from __future__ import annotations

import zipfile
from pathlib import Path

from xlcrm.privacy.traces import Matcher, PersonValues, cells_holding, package_traces, phone_numbers


def person() -> PersonValues:
    values = PersonValues("C000001")
    values.add_text("Князев Юрий Олегович")
    values.add_text("yu.knyazev@mail.ru")
    values.add_text("ИП")  # too short to look for: it would be found everywhere
    values.add_phones("+7 (903) 426-22-75 доб. 12; 8 495 111 22 33")
    return values


def test_phone_numbers_are_their_national_digits() -> None:
    assert phone_numbers("+7 (903) 426-22-75 доб. 12; 8 495 111 22 33") == ["9034262275", "4951112233"]
    assert phone_numbers("79034262275 или 89034262275") == ["9034262275", "9034262275"]
    assert phone_numbers("доб. 12") == []


def test_a_phone_is_found_in_every_form_it_is_written() -> None:
    matcher = Matcher([person()])
    rows = [
        ["+79034262275", "8(903)4262275", "8 903 426 22 75", "9034262275"],
        ["YU.KNYAZEV@MAIL.RU", "звонил Князев Юрий Олегович", "ИП Иванов", 9034262275],
        ["+7 903 426 22 76", None, 12.5, "Князев Ю.О."],
    ]
    assert cells_holding(rows, matcher) == [(1, 0), (1, 1), (1, 2), (1, 3), (2, 0), (2, 1), (2, 3)]


def test_package_traces_name_the_parts_and_read_character_references(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "xl/sharedStrings.xml",
            "<sst><si><t>&#1050;&#1085;&#1103;&#1079;&#1077;&#1074; Юрий Олегович</t></si></sst>",
        )
        archive.writestr("xl/comments1.xml", "<comments><t>8-903-426-22-75</t><t>+7 903 426 22 75</t></comments>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet><v>42</v></worksheet>")
        archive.writestr("xl/media/image1.png", "9034262275")  # not a text part

    traces = package_traces(path, Matcher([person()]))

    assert [(trace.part, trace.count) for trace in traces] == [("xl/sharedStrings.xml", 1), ("xl/comments1.xml", 2)]


def test_a_value_is_found_where_it_begins_a_word_and_runs_into_no_number() -> None:
    """An address is not found inside a longer house number, a name not inside a longer word, but a name with a case
    ending is, and so is an INN glued to its label; a phone may be followed by an extension, not by another digit; a
    lone word (a first name, a surname, a city) only as a whole cell or element."""
    person = PersonValues("C000001")
    for value in ("ул. Октябрьская, д. 1", "ИП Князев", "7822697475", "Анна"):
        person.add_text(value)
    person.add_phones("+7 916 123-45-67")
    matcher = Matcher([person])
    texts = {
        "г. Тула, ул. Октябрьская, д. 147": 0,
        "г. Тула, ул. Октябрьская, д. 1": 1,
        "Счёт от ИП Князева оплачен": 1,
        "Поставщик ИНН7822697475": 1,
        "78226974751": 0,
        "Анна Соколова": 0,
        "Анна": 1,
        "Марианна": 0,
        "+7 916 123-45-67 доб. 5": 1,
        "8 916 123-45-670": 0,
    }
    assert {text: matcher.count(text) for text in texts} == texts
    pattern = person.pattern()
    assert pattern is not None
    found = {
        text: bool(pattern.search(text)) for text in ("<t>Анна</t>", "<t>Анна Соколова</t>", "tel. 8(916)123-45-67")
    }
    assert found == {"<t>Анна</t>": True, "<t>Анна Соколова</t>": False, "tel. 8(916)123-45-67": True}


def test_a_phone_in_a_cell_before_a_number_is_found_in_its_row() -> None:
    """A row is searched as its cells joined by a break that no phone spans, even where the next cell is a number."""
    matcher = Matcher([PersonValues("C000001", phones={"9161234567"})])
    row = ["D-001/1", "C000001", "Доставка, связь по +7 916 123-45-67", 8000.0]
    assert cells_holding([["ContractID", "ClientID", "Subject", "Amount"], row], matcher) == [(2, 2)]
