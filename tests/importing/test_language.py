"""What import says, in the language of the run, and what it writes, in the workbook's."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.dedupe.waterfalls import unweighed
from tests.importing.test_import import base_clients, write_cp1251_csv
from xlcrm import schema
from xlcrm.create.template import build_workbook
from xlcrm.errors import MappingError, SourceError
from xlcrm.importing.importer import REVIEW
from xlcrm.importing.mapping import auto_mapping, read_mapping_file
from xlcrm.importing.sources import read_source
from xlcrm.jobs.importing import import_rows
from xlcrm.messages import speaking

TODAY = dt.date(2026, 11, 23)


def test_a_source_that_cannot_be_read_is_said_in_russian(tmp_path: Path) -> None:
    missing = tmp_path / "нет.csv"
    with speaking("ru"), pytest.raises(SourceError) as error:
        read_source(missing)
    with speaking("ru"):
        assert str(error.value) == f"{missing}: такого файла нет"
    assert str(error.value) == f"{missing}: no such file"
    empty = tmp_path / "empty.csv"
    empty.write_text("  \n", encoding="utf-8")
    with speaking("ru"), pytest.raises(SourceError) as nothing:
        read_source(empty)
    with speaking("ru"):
        assert str(nothing.value) == f"{empty} пуст: импортировать нечего"


def test_a_bad_mapping_file_is_said_in_russian(tmp_path: Path) -> None:
    mapping = tmp_path / "map.txt"
    mapping.write_text("Телефон офиса\n", encoding="utf-8")
    with speaking("ru"), pytest.raises(MappingError) as error:
        read_mapping_file(mapping)
    with speaking("ru"):
        assert str(error.value) == (
            f"{mapping}, строка 1: ожидалось «заголовок источника = столбец», а написано 'Телефон офиса'"
        )


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_why_a_column_is_not_imported_names_the_workbooks_column(locale: str) -> None:
    mappings = auto_mapping(schema.CLIENTS, ["ClientID", "Фамилия", "Теги"], locale)
    why = {mapping.header: mapping.origin for mapping in mappings if mapping.column is None}
    client_id = schema.CLIENTS.column("client_id").name(locale)
    with speaking("ru"):
        assert {header: str(origin) for header, origin in why.items()} == {
            "ClientID": f"«{client_id}» заполняет xlcrm",
            "Теги": "нет подходящего столбца",
        }
    assert {header: str(origin) for header, origin in why.items()} == {
        "ClientID": f"{client_id} is given by xlcrm",
        "Теги": "no matching column",
    }


def test_an_import_into_a_russian_workbook_writes_russian_and_prints_in_the_run_language(tmp_path: Path) -> None:
    workbook = tmp_path / "clients.xlsx"
    clients = [
        {"client_id": "C000001", "name": "Петров Иван", "company": "ООО Ромашка", "phone": "+7 916 123-45-67"},
        {"client_id": "C000002", "name": "Смирнова Анна Викторовна", "city": "Казань", "created": TODAY},
    ]
    build_workbook("ru", rows={"clients": clients}).save(workbook)
    source = tmp_path / "source.csv"
    source.write_text("ФИО;Город;Телефон\nСмирнова Анна Викторовна;Казань;+7 912 333-44-55\n", encoding="utf-8")

    result = import_rows(source, workbook, today=TODAY)

    [record] = result.records
    assert record.outcome == REVIEW
    fewer = "fewer than two things agree besides the name"
    assert (
        unweighed(str(record.detail))
        == f"probably C000002 (same name; same city; no INN, phone or email in common, and {fewer})"
    )
    with speaking("ru"):
        printed = result.to_dict()
    detail = printed["records"][0]["detail"]
    fewer_ru = "кроме имени совпадает меньше двух признаков"
    assert (
        unweighed(detail)
        == f"вероятно, C000002 (то же имя; тот же город; нет общего ИНН, телефона или e-mail, и {fewer_ru})"
    )
    assert re.search(r"то же имя \+\d+,\d; тот же город \+\d+,\d → \d+(,\d)? %", detail), detail
    assert printed["read_as"] == "CSV (utf-8, ';')"
    rows = list(load_workbook(workbook)[schema.DUPLICATES.name("ru")].iter_rows(values_only=True))
    header = next(row for row in rows if row[0] == schema.dedupe_label("decision", "ru"))
    reason = rows[rows.index(header) + 1][header.index(schema.dedupe_label("reason", "ru"))]
    assert unweighed(reason).startswith("то же имя; тот же город; ")


def test_the_merge_log_of_an_import_says_why_in_russian(tmp_path: Path) -> None:
    workbook = tmp_path / "clients.xlsx"
    build_workbook("ru", rows={"clients": base_clients()}).save(workbook)
    import_rows(write_cp1251_csv(tmp_path), workbook, today=TODAY)
    rows = list(load_workbook(workbook)[schema.MERGE_LOG.name("ru")].iter_rows(values_only=True))
    header = next(row for row in rows if row[0] == schema.dedupe_label("merge_id", "ru"))
    why = rows[rows.index(header) + 1][header.index(schema.dedupe_label("why_merged", "ru"))]
    assert str(why).startswith("строка источника 2: ")
    assert "тот же ИНН 3982597915; тот же телефон +79161234567" in unweighed(str(why))
