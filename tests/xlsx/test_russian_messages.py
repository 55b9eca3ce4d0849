"""The file format's refusals read in Russian to a Russian run, and the workbook is untouched (issue 19)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from tests.builders import valid_records
from xlcrm import schema
from xlcrm.create.template import build_workbook
from xlcrm.errors import EditRefused, NotAReportSheet, WorkbookStructureError
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.messages import speaking
from xlcrm.xlsx.package import write_workbook
from xlcrm.xlsx.report_sheet import ReportSheet
from xlcrm.xlsx.sheet_edits import SheetEdit

TODAY = dt.date(2026, 11, 23)


def russian_workbook(path: Path) -> Path:
    records = valid_records("ru")
    records.pop(schema.SETTINGS.key)
    build_workbook("ru", rows=records).save(path)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def russian(error: BaseException) -> str:
    with speaking("ru"):
        return str(error)


def test_a_users_sheet_with_a_reports_name_is_kept_and_the_russian_run_is_told_why(tmp_path: Path) -> None:
    path = russian_workbook(tmp_path / "клиенты.xlsx")
    problems = schema.PROBLEMS.name("ru")
    book = openpyxl.load_workbook(path)
    book.create_sheet(problems)["A1"] = "мои заметки"
    book.save(path)
    before = snapshot(tmp_path)

    with pytest.raises(NotAReportSheet) as raised:
        refresh_workbook(path, today=TODAY)

    assert russian(raised.value) == (
        f"В книге есть лист «{problems}», который создан не xlcrm; xlcrm хранит там свой отчёт и записал бы его "
        "поверх вашего листа: переименуйте свой лист (названия, которые начинаются с «▸», принадлежат xlcrm) и "
        "запустите команду снова; книга не изменена"
    )
    assert str(raised.value) == (
        f"the workbook has a sheet named '{problems}' that xlcrm did not write; xlcrm keeps its own report there "
        "and would overwrite it: rename your sheet (names starting with '▸' are xlcrm's) and run again; the "
        "workbook was not changed"
    )
    assert snapshot(tmp_path) == before


def test_a_report_never_replaces_a_sheet_without_the_marker(tmp_path: Path) -> None:
    path = russian_workbook(tmp_path / "клиенты.xlsx")
    clients = schema.CLIENTS.name("ru")
    with pytest.raises(NotAReportSheet) as raised:
        write_workbook(path, tmp_path / "out.xlsx", reports=[ReportSheet(clients, "Не наш")])
    assert russian(raised.value) == (
        f"Лист «{clients}» — не отчёт xlcrm (его название не начинается с «▸»); xlcrm никогда не перезаписывает и "
        "не удаляет ваши листы"
    )
    assert not (tmp_path / "out.xlsx").exists()


def test_an_edit_of_a_missing_sheet_is_refused_in_russian(tmp_path: Path) -> None:
    path = russian_workbook(tmp_path / "клиенты.xlsx")
    with pytest.raises(EditRefused) as raised:
        write_workbook(path, tmp_path / "out.xlsx", edits=[SheetEdit("Нет такого", set_cells={"A2": "x"})])
    assert russian(raised.value) == "В книге нет листа «Нет такого»"
    assert str(raised.value) == "the workbook has no worksheet named 'Нет такого'"


def test_headers_lower_down_are_told_in_russian(tmp_path: Path) -> None:
    path = russian_workbook(tmp_path / "клиенты.xlsx")
    clients = schema.CLIENTS.name("ru")
    book = openpyxl.load_workbook(path)
    sheet = book[clients]
    for table in list(sheet.tables):
        del sheet.tables[table]
    sheet.insert_rows(1, 2)
    book.save(path)
    before = snapshot(tmp_path)
    with pytest.raises(WorkbookStructureError) as raised:
        refresh_workbook(path, today=TODAY)
    assert russian(raised.value).startswith("Книгу нельзя обновить, пока это не исправлено: ")
    assert snapshot(tmp_path) == before


def test_names_are_quoted_as_before_in_english_and_in_yolochki_in_russian() -> None:
    from xlcrm.errors import joined, quoted

    assert quoted("Clients").render("en") == "'Clients'"
    assert quoted("Ivan's notes").render("en") == repr("Ivan's notes")  # as the f-string's !r wrote it
    assert quoted("Клиенты").render("ru") == "«Клиенты»"
    both = joined([quoted("A"), "b"], ": ")
    assert (both.render("en"), both.render("ru")) == ("'A': b", "«A»: b")
