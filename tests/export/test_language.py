"""What export says, in the language of the run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.builders import valid_records, write_records
from xlcrm.errors import ExportRefused, UsageError
from xlcrm.export.anonymise import anonymisation
from xlcrm.export.database import export_sqlite
from xlcrm.messages import speaking
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_cells_that_would_break_the_database_are_named_in_russian(tmp_path: Path, locale: str) -> None:
    records = valid_records(locale)
    records["clients"][1]["client_id"] = "C000001"
    records["interactions"][0]["date"] = "вчера"
    records["interactions"][2]["client_id"] = "C000099"
    workbook = write_records(tmp_path / "dirty.xlsx", locale, records)
    data = read_workbook(workbook)

    with speaking("ru"), pytest.raises(ExportRefused) as refused:
        export_sqlite(data, tmp_path / "base.sqlite", today=TODAY)

    interactions, clients = ("Взаимодействия", "Клиенты") if locale == "ru" else ("Interactions", "Clients")
    with speaking("ru"):
        assert str(refused.value) == (
            f"{workbook} нельзя выгрузить в базу данных, пока не исправлены эти ячейки (их перечисляет xlcrm "
            f"validate): {interactions}!A2: 'вчера' — не дата; {clients}!A3: ID клиента C000001 есть и в строке 2; "
            f"{interactions}!B4: на листе «{clients}» нет клиента C000099"
        )
    assert str(refused.value).startswith(f"{workbook} cannot be exported to a database until these cells are fixed")


def test_files_already_there_are_kept_and_said_so_in_russian(tmp_path: Path) -> None:
    workbook = write_records(tmp_path / "clients.xlsx", "ru", valid_records("ru"))
    data = read_workbook(workbook)
    taken = tmp_path / "taken.xlsx"
    taken.write_bytes(b"mine")
    with speaking("ru"):
        with pytest.raises(UsageError) as copy:
            anonymisation(data, taken)
        assert str(copy.value) == f"{taken} уже существует; чтобы заменить его, добавьте --force"
        with pytest.raises(UsageError) as itself:
            anonymisation(data, workbook)
        assert str(itself.value) == f"{workbook} — это сама книга; обезличенную копию нужно записать в другой файл"
        with pytest.raises(UsageError) as database:
            export_sqlite(data, taken, today=TODAY)
        assert str(database.value) == f"{taken} уже существует; чтобы заменить его, добавьте --force"
    assert str(copy.value) == f"{taken} already exists; use --force to replace it"
    assert taken.read_bytes() == b"mine"
