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
