"""xlcrm restore: rows a person deleted since xlcrm's last save come back from its saved copy, cell for cell."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from openpyxl.worksheet.worksheet import Worksheet

from tests.files.test_locks import excel_owner_file
from xlcrm import schema
from xlcrm.checks.changes import compare_workbooks
from xlcrm.cli.main import cli
from xlcrm.errors import DeletionsFound, RestoreRefused
from xlcrm.files.encryption import PASSWORD_ENV, encrypt
from xlcrm.files.saved_copy import BACKUP_FOLDER, saved_copy_path
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.restore import parse_row_choices, restore_deleted_rows
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
CLIENTS = schema.CLIENTS.name("ru")
CONTACTS = schema.CONTACTS.name("ru")
INTERACTIONS = schema.INTERACTIONS.name("ru")
OWN_NOTE = "Моя пометка"  # a column of the user's own on Clients
OWN_FORMULA = "Сумма с НДС"  # a formula column of the user's own on Interactions, reading its own row


@pytest.fixture(scope="module")
def refreshed_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Russian demo (120 clients) with a column of the user's own on Clients and Interactions each, refreshed
    once, so xlcrm's saved copy of it is there."""
    path = tmp_path_factory.mktemp("demo") / "база.xlsx"
    create_demo(path, clients=120, seed=1, locale="ru", today=TODAY)
    book = openpyxl.load_workbook(path)
    clients = book[CLIENTS]
    note = clients.max_column + 1
    clients.cell(1, note, OWN_NOTE)
    for row in range(2, clients.max_row + 1, 3):
        clients.cell(row, note, f"пометка {row}")
    interactions = book[INTERACTIONS]
    amount = _column(interactions, "Сумма")
    formula = interactions.max_column + 1
    interactions.cell(1, formula, OWN_FORMULA)
    for row in range(2, interactions.max_row + 1):
        interactions.cell(row, formula, f"={amount}{row}*1.2")
    book.save(path)
    refresh_workbook(path, today=TODAY)
    assert saved_copy_path(path).is_file()
    return path


@pytest.fixture
def workbook(refreshed_demo: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the refreshed demo and of its saved copy."""
    path = tmp_path / refreshed_demo.name
    shutil.copy(refreshed_demo, path)
    (tmp_path / BACKUP_FOLDER).mkdir()
    shutil.copy(saved_copy_path(refreshed_demo), saved_copy_path(path))
    yield path


def _column(sheet: Worksheet, header: str) -> str:
    """The letter of the column headed ``header`` on an openpyxl sheet."""
    for cell in sheet[1]:
        if cell.value == header:
            return str(cell.column_letter)
    raise AssertionError(header)


def delete_rows(path: Path, rows: dict[str, list[int]]) -> None:
    """Delete the rows of each sheet with openpyxl, as a person deleting them in a spreadsheet program would."""
    book = openpyxl.load_workbook(path)
    for sheet, numbers in rows.items():
        for row in sorted(numbers, reverse=True):
            book[sheet].delete_rows(row)
    book.save(path)


def rows_of(path: Path, sheet: str, value: str) -> list[int]:
    """The rows of ``sheet`` whose ClientID is ``value``."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = book[sheet].iter_rows(values_only=True)
        column = next(rows).index("ID клиента")
        return [number for number, row in enumerate(rows, start=2) if row[column] == value]
    finally:
        book.close()


def cells(sheet: Worksheet, row: int) -> dict[str, object]:
    """Header -> value (a formula as its text) of every cell of ``row`` of an openpyxl sheet."""
    headers = [cell.value for cell in sheet[1]]
    return {str(header): sheet.cell(row, index).value for index, header in enumerate(headers, start=1) if header}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", "restore", *map(str, args)])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def deleted_now(path: Path) -> dict[str, int]:
    """Rows deleted since xlcrm's last save, per sheet key, as the comparison finds them."""
    changes = compare_workbooks(read_workbook(saved_copy_path(path)), read_workbook(path))
    return {key: count for key, kinds in changes.counts().items() if (count := kinds["deleted"])}


# --- everything back ------------------------------------------------------------------------------------------


def test_all_deleted_brings_40_clients_and_100_interactions_back_cell_for_cell(
    refreshed_demo: Path, workbook: Path
) -> None:
    copy = saved_copy_path(workbook)
    before_copy = digest(copy)
    delete_rows(workbook, {CLIENTS: list(range(10, 50)), INTERACTIONS: list(range(100, 200))})
    assert deleted_now(workbook) == {"clients": 40, "interactions": 100}
    with pytest.raises(DeletionsFound, match="40 of .* rows"):
        refresh_workbook(workbook, today=TODAY)
    clients_left = openpyxl.load_workbook(workbook)[CLIENTS].max_row
    interactions_left = openpyxl.load_workbook(workbook)[INTERACTIONS].max_row

    result = run(workbook, "--all-deleted")

    assert result.exit_code == 0, result.output
    assert "restored 40 rows of 'Клиенты', 100 rows of 'Взаимодействия'" in result.output
    assert digest(copy) == before_copy  # the copy still describes xlcrm's last own save
    saved_book, book = openpyxl.load_workbook(copy), openpyxl.load_workbook(workbook)
    for sheet, saved_rows, first in (
        (CLIENTS, range(10, 50), clients_left + 1),
        (INTERACTIONS, range(100, 200), interactions_left + 1),
    ):
        for offset, saved_row in enumerate(saved_rows):
            row = first + offset
            expected = cells(saved_book[sheet], saved_row)
            got = cells(book[sheet], row)
            if sheet == INTERACTIONS:  # the user's formula reads its own row, as Excel moves a copied formula
                assert got[OWN_FORMULA] == f"={_column(book[sheet], 'Сумма')}{row}*1.2"
                expected[OWN_FORMULA] = got[OWN_FORMULA]
            assert got == expected, (sheet, saved_row, row)
    assert re.fullmatch(rf"A1:[A-Z]+{clients_left + 40}", book[CLIENTS].tables[CLIENTS].ref)
    assert re.fullmatch(rf"A1:[A-Z]+{interactions_left + 100}", book[INTERACTIONS].tables[INTERACTIONS].ref)
    assert deleted_now(workbook) == {}
    clients = sum(refresh_workbook(refreshed_demo, today=TODAY, dry_run=True).blocks.values())
    refreshed = refresh_workbook(workbook, today=TODAY)
    assert refreshed.save is not None
    assert sum(refreshed.blocks.values()) == clients


def test_the_restored_cells_keep_the_date_and_money_formats(workbook: Path) -> None:
    delete_rows(workbook, {INTERACTIONS: list(range(100, 200))})
    assert run(workbook, "--all-deleted").exit_code == 0
    ws = openpyxl.load_workbook(workbook)[INTERACTIONS]
    date, amount = _column(ws, "Дата"), _column(ws, "Сумма")
    restored = range(ws.max_row - 99, ws.max_row + 1)
    assert all(ws[f"{date}{row}"].number_format == "DD.MM.YYYY" for row in restored)
    assert all(ws[f"{amount}{row}"].number_format == "#,##0.00" for row in restored if ws[f"{amount}{row}"].value)


# --- chosen rows ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("client", "has_contacts"), [("C000012", False), ("C000017", True)])
def test_a_client_id_brings_back_that_client_with_its_contacts_and_interactions_only(
    workbook: Path, client: str, has_contacts: bool
) -> None:
    interactions = rows_of(workbook, INTERACTIONS, client)
    contacts = rows_of(workbook, CONTACTS, client)
    assert interactions
    assert bool(contacts) == has_contacts
    clients = rows_of(workbook, CLIENTS, client)
    delete_rows(workbook, {CLIENTS: [*clients, 20, 21], INTERACTIONS: [*interactions, 2, 3], CONTACTS: contacts})

    result = run(workbook, "--rows", client, "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["client_ids"] == [client]
    assert report["restored"] == {
        key: count
        for key, count in (("clients", 1), ("contacts", len(contacts)), ("interactions", len(interactions)))
        if count
    }
    assert deleted_now(workbook) == {"clients": 2, "interactions": 2}
    assert rows_of(workbook, CLIENTS, client)
    assert len(rows_of(workbook, INTERACTIONS, client)) == len(interactions)
    assert len(rows_of(workbook, CONTACTS, client)) == len(contacts)


def test_a_row_range_named_in_english_brings_back_those_rows_of_a_russian_workbook(workbook: Path) -> None:
    copy = saved_copy_path(workbook)
    delete_rows(workbook, {INTERACTIONS: list(range(10, 31))})

    result = run(workbook, "--rows", "Interactions:15-20")

    assert result.exit_code == 0, result.output
    assert "restored 6 rows of 'Взаимодействия'" in result.output
    assert "15-20 as saved" in result.output
    assert deleted_now(workbook) == {"interactions": 15}
    ws = openpyxl.load_workbook(workbook)[INTERACTIONS]
    first = ws.max_row - 5
    date = _column(ws, "Дата")
    saved = openpyxl.load_workbook(copy)[INTERACTIONS]
    assert [ws[f"{date}{first + k}"].value for k in range(6)] == [saved[f"{date}{row}"].value for row in range(15, 21)]


def test_cells_of_a_column_no_longer_on_the_sheet_are_named_not_restored(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    clients = book[CLIENTS]
    clients.delete_cols(clients[_column(clients, OWN_NOTE) + "1"].column)
    book.save(workbook)
    delete_rows(workbook, {CLIENTS: [5]})  # row 5 of the saved copy has a note of its own (every third row does)

    result = run(workbook, "--rows", "Clients:5")

    assert result.exit_code == 0, result.output
    assert f"their cells were not restored: {OWN_NOTE}" in result.output
    ws = openpyxl.load_workbook(workbook)[CLIENTS]
    assert OWN_NOTE not in [cell.value for cell in ws[1]]
    assert (
        cells(ws, ws.max_row)["ID клиента"]
        == cells(openpyxl.load_workbook(saved_copy_path(workbook))[CLIENTS], 5)["ID клиента"]
    )


def test_the_rows_refresh_suggests_when_it_stops_are_the_rows_restore_brings_back(workbook: Path) -> None:
    delete_rows(workbook, {INTERACTIONS: [*range(120, 131), 135]})
    stopped = CliRunner().invoke(cli, ["--lang", "en", "refresh", str(workbook), "--today", TODAY.isoformat()])
    assert stopped.exit_code == 1, stopped.output
    suggested = re.search(r"--rows (\S+?)\)", stopped.output)
    assert suggested, stopped.output

    result = run(workbook, "--rows", suggested[1])

    assert result.exit_code == 0, result.output
    assert "restored 12 rows of 'Взаимодействия'" in result.output
    refreshed = CliRunner().invoke(cli, ["refresh", str(workbook), "--today", TODAY.isoformat()])
    assert refreshed.exit_code == 0, refreshed.output


def test_a_dry_run_lists_the_rows_and_writes_nothing(workbook: Path) -> None:
    delete_rows(workbook, {CLIENTS: [5, 6]})
    before = digest(workbook)
    result = run(workbook, "--all-deleted", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would restore 2 rows of 'Клиенты'" in result.output
    assert "5-6 as saved" in result.output
    assert digest(workbook) == before


def test_the_json_of_the_command_is_the_library_result(workbook: Path) -> None:
    delete_rows(workbook, {CLIENTS: [5, 6], INTERACTIONS: [7]})
    result = run(workbook, "--rows", "Clients:5,Interactions:7", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    direct = restore_deleted_rows(workbook, rows=["Clients:5,Interactions:7"], dry_run=True)
    assert json.loads(result.output) == json.loads(json.dumps(direct.to_dict(), default=str))
    assert json.loads(result.output)["restored"] == {"clients": 1, "interactions": 1}
    assert json.loads(result.output)["deleted"] == 3


def test_nothing_deleted_is_nothing_to_restore(workbook: Path) -> None:
    before = digest(workbook)
    result = run(workbook, "--all-deleted")
    assert result.exit_code == 0, result.output
    assert "no rows were deleted since xlcrm's last save" in result.output
    assert digest(workbook) == before


def test_the_summary_speaks_russian_for_a_russian_run(workbook: Path) -> None:
    delete_rows(workbook, {CLIENTS: [5]})
    result = CliRunner().invoke(cli, ["--lang", "ru", "restore", str(workbook), "--rows", "Клиенты:5"])
    assert result.exit_code == 0, result.output
    assert "xlcrm вернул 1 строку листа «Клиенты»" in result.output


# --- refused --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("C999999", "no row deleted since xlcrm's last save matches C999999"),
        ("Interactions:40", "no row deleted since xlcrm's last save matches Interactions:40"),
        ("Interactions:abc", "Interactions:abc: write rows as a number or a range"),
        ("Interactions:9-7", "Interactions:9-7: write rows as a number or a range"),
        ("Interactions:1", "Interactions:1: write rows as a number or a range below the headers"),
        ("Sales:3", "there is no sheet 'Sales'"),
        ("C000012,15-20", "15-20: name the sheet of the rows"),
    ],
)
def test_a_bad_choice_of_rows_is_a_usage_error_and_writes_nothing(workbook: Path, spec: str, said: str) -> None:
    delete_rows(workbook, {INTERACTIONS: [5, 6]})
    before = digest(workbook)
    result = run(workbook, "--rows", f"Interactions:5,{spec}")
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert digest(workbook) == before


def test_rows_and_all_deleted_together_or_neither_is_a_usage_error(workbook: Path) -> None:
    before = digest(workbook)
    for args in (["--all-deleted", "--rows", "C000012"], [], ["--rows", " , "]):
        result = run(workbook, *args)
        assert result.exit_code == 2, result.output
        assert "choose the rows to restore" in result.output
    assert digest(workbook) == before


def test_without_a_saved_copy_there_is_nothing_to_restore_from(workbook: Path) -> None:
    saved_copy_path(workbook).unlink()
    before = digest(workbook)
    result = run(workbook, "--all-deleted")
    assert result.exit_code == 1
    assert "has no copy of xlcrm's last save to restore rows from" in result.output
    assert digest(workbook) == before


def test_without_a_saved_copy_the_timestamped_backups_are_named(refreshed_demo: Path) -> None:
    backups = sorted((refreshed_demo.parent / BACKUP_FOLDER).glob(f"{refreshed_demo.stem}.2*"))
    assert backups
    folder = refreshed_demo.parent.parent / "no-copy"
    (folder / BACKUP_FOLDER).mkdir(parents=True)
    path = folder / refreshed_demo.name
    shutil.copy(refreshed_demo, path)
    shutil.copy(backups[0], folder / BACKUP_FOLDER / backups[0].name)
    result = run(path, "--all-deleted")
    assert result.exit_code == 1
    assert backups[0].name in result.output


def test_a_password_protected_workbook_has_no_readable_copy_to_restore_from(workbook: Path) -> None:
    protected = workbook.with_name("защищённая.xlsx")
    encrypt(workbook, protected, "secret")
    shutil.copyfile(workbook, saved_copy_path(protected))  # kept before the workbook got its password
    before = digest(protected)
    result = CliRunner(env={PASSWORD_ENV: "secret"}).invoke(
        cli, ["--lang", "en", "restore", str(protected), "--all-deleted"]
    )
    assert result.exit_code == 1
    assert "is password-protected, and xlcrm keeps no readable copy of it" in result.output
    assert digest(protected) == before


def test_a_workbook_open_in_excel_is_refused(workbook: Path) -> None:
    delete_rows(workbook, {CLIENTS: [5]})
    (workbook.parent / f"~${workbook.name}").write_bytes(excel_owner_file("Anna Ivanova"))
    before = digest(workbook)
    result = run(workbook, "--all-deleted")
    assert result.exit_code == 1
    assert "is open in Excel by Anna Ivanova" in result.output
    assert digest(workbook) == before


def test_a_client_id_given_to_another_client_meanwhile_is_refused(workbook: Path) -> None:
    client = "C000012"
    (row,) = rows_of(workbook, CLIENTS, client)
    delete_rows(workbook, {CLIENTS: [row]})
    book = openpyxl.load_workbook(workbook)
    new = book[CLIENTS].max_row + 1
    # A new client typed in meanwhile with the ID in small letters: Excel's lookups take it for the same ID.
    book[CLIENTS][f"A{new}"], book[CLIENTS][f"B{new}"] = client.lower(), "Новый Клиент Иванович"
    book.save(workbook)
    before = digest(workbook)
    with pytest.raises(RestoreRefused, match="given to another client"):
        restore_deleted_rows(workbook, rows=[client])
    result = run(workbook, "--rows", client)
    assert result.exit_code == 1
    assert f"{client} (now on row" in result.output
    assert digest(workbook) == before


def test_choices_name_sheets_in_either_language_and_rows_after_a_sheet_are_of_that_sheet() -> None:
    choices = parse_row_choices(["Взаимодействия:15-20,25, My Services:3", "c000012"])
    assert [(c.sheet, c.first, c.last, c.client_id) for c in choices] == [
        ("interactions", 15, 20, None),
        ("interactions", 25, 25, None),
        ("services", 3, 3, None),
        (None, 0, 0, "c000012"),
    ]
