"""Refresh and the change log on a small demo: deleted rows stop it, ▸ Changes lists what people changed."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.conftest import convert_with_libreoffice
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.errors import DeletionsFound
from xlcrm.files.encryption import PASSWORD_ENV, encrypt
from xlcrm.files.saved_copy import BACKUP_FOLDER, saved_copy_path
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.init import create_template
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.schedule import log_path, scheduled_run
from xlcrm.xlsx.reader import OLE_MAGIC

TODAY = dt.date(2026, 11, 23)
CLIENTS = schema.CLIENTS.name("ru")
INTERACTIONS = schema.INTERACTIONS.name("ru")
CHANGES = schema.CHANGES.name("ru")


@pytest.fixture(scope="module")
def refreshed_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the demo of 60 clients, refreshed once (its duplicates merged), and its saved copy."""
    path = tmp_path_factory.mktemp("demo") / "clients.xlsx"
    create_demo(path, clients=60, seed=1, locale="ru", today=TODAY)
    refresh_workbook(path, today=TODAY)
    return path.parent


@pytest.fixture
def workbook(refreshed_demo: Path, tmp_path: Path) -> Path:
    shutil.copytree(refreshed_demo, tmp_path / "work")
    return tmp_path / "work" / "clients.xlsx"


def refresh(path: Path, *options: str) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", "refresh", str(path), "--today", TODAY.isoformat(), *options])


def refresh_json(path: Path, *options: str) -> dict[str, object]:
    result = refresh(path, "--json", *options)
    assert result.exit_code == 0, result.output
    changes: dict[str, object] = json.loads(result.output)["changes"]
    return changes


def column_values(path: Path, sheet: str, header: str) -> list[object]:
    rows = list(load_workbook(path)[sheet].iter_rows(values_only=True))
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def change_lines(path: Path) -> tuple[str, list[dict[str, object]]]:
    """The heading of the ▸ Changes table and its lines, by header."""
    rows = list(load_workbook(path)[CHANGES].iter_rows(values_only=True))
    at = next(number for number, row in enumerate(rows) if row[:2] == ("Лист", "Изменение"))
    header = [str(cell) for cell in rows[at]]
    return str(rows[at - 1][0]), [dict(zip(header, row)) for row in rows[at + 1 :] if any(row)]


def no_changes(changes: dict[str, object]) -> bool:
    counts = changes["counts"]
    assert isinstance(counts, dict)
    return all(count == 0 for kinds in counts.values() for count in kinds.values())


def test_init_demo_and_refresh_keep_a_copy_of_what_they_saved(tmp_path: Path) -> None:
    template = tmp_path / "new.xlsx"
    create_template(template, "ru")
    assert saved_copy_path(template).read_bytes() == template.read_bytes()
    demo = tmp_path / "demo.xlsx"
    create_demo(demo, clients=20, seed=1, locale="ru", today=TODAY)
    assert saved_copy_path(demo).read_bytes() == demo.read_bytes()
    refresh_workbook(demo, today=TODAY)
    assert saved_copy_path(demo).read_bytes() == demo.read_bytes()


def test_deleted_rows_stop_the_next_refresh_until_accepted(workbook: Path) -> None:
    ids = column_values(workbook, CLIENTS, "ID клиента")
    book = load_workbook(workbook)
    book[CLIENTS].delete_rows(5, 40)  # 40 of the clients
    book[INTERACTIONS].delete_rows(10, 100)
    book.save(workbook)
    before = workbook.read_bytes()
    kept = sorted(p.name for p in (workbook.parent / BACKUP_FOLDER).iterdir())

    stopped = refresh(workbook)
    assert stopped.exit_code == 1
    (line,) = stopped.output.splitlines()
    deleted = ids[3:43]
    assert line.startswith(f"Error: rows were deleted from {workbook} since xlcrm last saved it (")
    assert f"Клиенты: 40 of {len(ids)} rows ({deleted[0]}, {deleted[1]}, {deleted[2]}, …)" in line
    assert "Взаимодействия: 100 of " in line and "rows (row 10: " in line
    assert f"xlcrm restore {workbook} --all-deleted (or only some: --rows {deleted[0]},{deleted[1]})" in line
    assert line.endswith("run again with --accept-deletions")
    assert workbook.read_bytes() == before
    assert sorted(p.name for p in (workbook.parent / BACKUP_FOLDER).iterdir()) == kept

    changes = refresh_json(workbook, "--accept-deletions")
    counts = changes["counts"]
    assert isinstance(counts, dict)
    assert counts["clients"]["deleted"] == 40 and counts["interactions"]["deleted"] == 100
    heading, lines = change_lines(workbook)
    assert heading == "Изменения"
    gone = [line for line in lines if line["Изменение"] == "удалена"]
    assert sorted(str(line["ID клиента"]) for line in gone if line["Лист"] == CLIENTS) == sorted(map(str, deleted))
    assert len([line for line in gone if line["Лист"] == INTERACTIONS]) == 100
    assert {line["Строка при сохранении"] for line in gone if line["Лист"] == INTERACTIONS} == set(range(10, 110))
    assert saved_copy_path(workbook).read_bytes() == workbook.read_bytes()


def test_a_changed_phone_shows_with_its_old_and_new_value(workbook: Path) -> None:
    book = load_workbook(workbook)
    sheet = book[CLIENTS]
    header = [cell.value for cell in sheet[1]]
    phone, client_id = sheet.cell(3, header.index("Телефон") + 1), sheet.cell(3, header.index("ID клиента") + 1).value
    old, phone.value = phone.value, "+7 999 123-45-67"
    book.save(workbook)
    assert refresh(workbook).exit_code == 0
    _, lines = change_lines(workbook)
    assert lines == [
        {
            "Лист": CLIENTS,
            "Изменение": "изменена",
            "Строка сейчас": 3,
            "Строка при сохранении": 3,
            "ID клиента": client_id,
            "Столбец": "Телефон",
            "Было": old,
            "Стало": "+7 999 123-45-67",
        }
    ]
    # The next refresh compares with this save: nothing changed since.
    assert "No changes since xlcrm last saved the workbook" in refresh(workbook).output


def test_sorting_interactions_is_no_change(workbook: Path) -> None:
    book = load_workbook(workbook)
    sheet = book[INTERACTIONS]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    for number, values in enumerate(reversed(rows), start=2):
        for column, value in enumerate(values, start=1):
            sheet.cell(number, column).value = value
    book.save(workbook)
    changes = refresh_json(workbook)
    assert changes["baseline"] == "compared" and no_changes(changes)


def test_a_refresh_right_after_a_refresh_compares_nothing(workbook: Path) -> None:
    changes = refresh_json(workbook)
    assert changes["baseline"] == "same_file" and no_changes(changes)
    heading, lines = change_lines(workbook)
    assert (heading, lines) == ("С последнего сохранения xlcrm ничего не изменилось", [])


def test_without_a_saved_copy_nothing_stops(workbook: Path) -> None:
    saved_copy_path(workbook).unlink()
    book = load_workbook(workbook)
    book[INTERACTIONS].delete_rows(2, 50)
    book.save(workbook)
    changes = refresh_json(workbook)
    assert changes["baseline"] == "no_saved_copy" and no_changes(changes)
    heading, _ = change_lines(workbook)
    assert heading.startswith("Не с чем сравнить")
    assert saved_copy_path(workbook).read_bytes() == workbook.read_bytes()  # the next refresh compares


def test_a_password_protected_workbook_leaves_no_readable_copy(workbook: Path, tmp_path: Path) -> None:
    protected = tmp_path / "protected.xlsx"
    encrypt(workbook, protected, "secret")
    (tmp_path / BACKUP_FOLDER).mkdir()
    shutil.copyfile(workbook, saved_copy_path(protected))  # kept before the workbook got its password
    result = CliRunner(env={PASSWORD_ENV: "secret"}).invoke(
        cli, ["--lang", "en", "refresh", str(protected), "--today", TODAY.isoformat(), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["changes"]["baseline"] == "protected"
    assert not saved_copy_path(protected).exists()
    kept = list((tmp_path / BACKUP_FOLDER).iterdir())
    assert kept and all(path.read_bytes().startswith(OLE_MAGIC) for path in kept)
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".xlcrm-tmp")]


def test_a_save_by_libreoffice_in_between_is_no_change(workbook: Path, tmp_path: Path) -> None:
    converted = convert_with_libreoffice(workbook, "xlsx", tmp_path / "libreoffice")
    shutil.copyfile(converted, workbook)
    changes = refresh_json(workbook)
    assert changes["baseline"] == "compared" and no_changes(changes)


def test_a_scheduled_refresh_stops_for_deleted_rows_and_logs_why(workbook: Path) -> None:
    book = load_workbook(workbook)
    book[INTERACTIONS].delete_rows(2, 3)
    book.save(workbook)
    before = workbook.read_bytes()
    with pytest.raises(DeletionsFound):
        scheduled_run(workbook, command="refresh")
    assert workbook.read_bytes() == before
    assert "scheduled refresh failed: rows were deleted from" in log_path(workbook).read_text(encoding="utf-8")
