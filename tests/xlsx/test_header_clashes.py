"""Two columns with one header: refused where xlcrm reads them, carried along one by one where it does not."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.dedupe.merge_log import read_merge_log, read_sheet_rows
from xlcrm.jobs.demo import create_demo
from xlcrm.xlsx.refs import column_letter

TODAY = dt.date(2026, 11, 23)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args])
    return result.exit_code, result.output


def user_sheets(path: Path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        return {
            name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in book.sheet_names
            if not name.startswith(schema.REPORT_MARKER)
        }
    finally:
        book.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The issue's demo: 200 clients with planted duplicates (some with a second phone to merge)."""
    return create_demo(tmp_path_factory.mktemp("demo") / "d.xlsx", clients=200, seed=1, today=TODAY).path


def with_column(source: Path, target: Path, sheet: str, header: str, values: dict[int, object]) -> Path:
    shutil.copyfile(source, target)
    book = openpyxl.load_workbook(target)
    clients = book[sheet]
    column = clients.max_column + 1
    clients.cell(1, column, header)
    for row, value in values.items():
        clients.cell(row, column, value)
    book.save(target)
    return target


@pytest.mark.parametrize("header", ["Телефон", "телефон ", " ТЕЛЕФОН"])
def test_a_second_phone_column_is_an_error_and_stops_every_writing_command(
    demo: Path, tmp_path: Path, header: str
) -> None:
    path = with_column(demo, tmp_path / "d.xlsx", "Клиенты", header, {5: "+7 916 000-00-01"})
    refused = (  # the workbook is Russian, so is the run without --lang
        "Ошибка: В ячейках Клиенты!E1 и Клиенты!U1 один и тот же заголовок «Телефон»: xlcrm не может понять, какой из "
        "столбцов брать; переименуйте или удалите один из них и запустите команду снова; книга не изменена\n"
    )
    code, output = run("validate", str(path), "--today", "2026-11-23")
    assert code == 1
    assert (
        'ошибка         Клиенты!U1  duplicate-header  "Телефон"  в ячейках Клиенты!E1 и Клиенты!U1 один и тот же '
        "заголовок «Телефон»; xlcrm не может понять, какой из них использовать, поэтому ничего не меняет, пока один "
        "из них не переименуют или не удалят\n" in output
    )
    original = path.read_bytes()
    source = tmp_path / "new.csv"
    source.write_text("Компания,Телефон\nООО Новое,+7 916 555-00-11\n", encoding="utf-8")
    for command in (
        ["refresh", str(path), "--today", "2026-11-23"],
        ["refresh", str(path), "--dry-run"],
        ["dedupe", str(path)],
        ["unmerge", str(path), "M0001"],
        ["import", str(source), "--into", str(path)],
    ):
        code, output = run(*command)
        assert code == 1, (command, output)
        assert output == refused, command
        assert path.read_bytes() == original, command


def test_unmerge_refuses_once_a_second_phone_column_appears(demo: Path, tmp_path: Path) -> None:
    path = tmp_path / "d.xlsx"
    shutil.copyfile(demo, path)
    assert run("dedupe", str(path), "--keep-backups", "0")[0] == 0
    path = with_column(path, tmp_path / "again.xlsx", "Клиенты", "Телефон", {})
    original = path.read_bytes()
    code, output = run("unmerge", str(path), "M0001")
    assert (code, output) == (
        1,
        "Ошибка: В ячейках Клиенты!E1 и Клиенты!U1 один и тот же заголовок «Телефон»: xlcrm не может понять, какой из "
        "столбцов брать; переименуйте или удалите один из них и запустите команду снова; книга не изменена\n",
    )
    assert path.read_bytes() == original
    code, output = run("--lang", "en", "unmerge", str(path), "M0001")
    assert (code, output) == (
        1,
        "Error: Клиенты!E1 and Клиенты!U1 both head Телефон; xlcrm cannot tell which one "
        "to use: rename or delete one of them, then run again; the workbook was not "
        "changed\n",
    )
    assert path.read_bytes() == original


def test_a_second_interactions_client_id_column_stops_a_refresh(demo: Path, tmp_path: Path) -> None:
    """Re-pointing would change one ClientID column and leave the other pointing at the merged client."""
    path = with_column(demo, tmp_path / "d.xlsx", "Взаимодействия", "ID клиента", {2: "C000001"})
    original = path.read_bytes()
    code, output = run("refresh", str(path), "--today", "2026-11-23")
    added = column_letter(len(schema.template_columns(schema.INTERACTIONS)))  # right of the template's columns
    assert (code, output) == (
        1,
        f"Ошибка: В ячейках Взаимодействия!B1 и Взаимодействия!{added}1 один и тот же заголовок «ID клиента»: xlcrm не "
        "может понять, какой из столбцов брать; переименуйте или удалите один из них и запустите команду снова; книга "
        "не изменена\n",
    )
    assert path.read_bytes() == original


def test_a_second_computed_column_is_refused_too(demo: Path, tmp_path: Path) -> None:
    path = tmp_path / "d.xlsx"
    shutil.copyfile(demo, path)
    assert run("--lang", "en", "refresh", str(path), "--today", "2026-11-23", "--keep-backups", "0")[1].startswith(
        "Refreshed"
    )
    book = openpyxl.load_workbook(path)
    headers = [cell.value for cell in book["Клиенты"][1]]
    block = next(h for h in headers if isinstance(h, str) and h.startswith(schema.REPORT_MARKER))
    path = with_column(path, tmp_path / "twice.xlsx", "Клиенты", block, {})
    original = path.read_bytes()
    code, output = run("refresh", str(path), "--today", "2026-11-23")
    assert code == 1 and f"один и тот же заголовок «{block}»:" in output.splitlines()[0]
    code, output = run("--lang", "en", "refresh", str(path), "--today", "2026-11-23")
    assert code == 1 and f"both head {block}" in output.splitlines()[0]
    assert path.read_bytes() == original


@pytest.mark.parametrize("second_header", ["Заметки", "заметки "])
def test_two_columns_of_the_users_named_alike_are_logged_and_restored_one_by_one(
    demo: Path, tmp_path: Path, second_header: str
) -> None:
    """The user's own columns are not read, only carried: a merge logs each by its place, unmerge puts each back."""
    path = tmp_path / "d.xlsx"
    shutil.copyfile(demo, path)
    book = openpyxl.load_workbook(path)
    clients = book["Клиенты"]
    first = len(schema.CLIENTS.columns) + 1  # right of every column xlcrm reads
    assert clients.max_column == first - 1
    clients.cell(1, first, "Заметки")
    clients.cell(1, first + 1, second_header)
    for row in range(2, clients.max_row + 1):
        clients.cell(row, first, f"first {row}")
        clients.cell(row, first + 1, f"second {row}")
    book.save(path)
    before = user_sheets(path)
    code, output = run("validate", str(path), "--today", "2026-11-23")
    assert (
        'предупреждение Клиенты!V1  duplicate-header  "Заметки"  в ячейках Клиенты!U1 и Клиенты!V1 один и тот же '
        "заголовок «Заметки»; xlcrm сохраняет оба столбца как есть; переименуйте один из них, чтобы их различать\n"
        in output
    )
    code, output = run("dedupe", str(path), "--keep-backups", "0", "--json")
    assert code == 0, output
    # The demo's client typed in without a ClientID gets one, which no unmerge takes back.
    blank = [row for row in before["Клиенты"][1:] if row[0] == "" and any(value != "" for value in row)]
    for row, assigned in zip(blank, json.loads(output)["assigned_ids"], strict=True):
        row[0] = assigned["client_id"]
    log = read_merge_log(read_sheet_rows(path, schema.MERGE_LOG))
    assert log.headers[-2:] == ["Заметки", second_header.strip()]
    for entry in log.entries:
        if entry.role != schema.REPOINTED_ROLE.key:
            first, second = entry.values[-2:]
            assert str(first).startswith("first ") and second == "second " + str(first)[len("first ") :]
    for merge_id in reversed(log.ids()):
        code, output = run("unmerge", str(path), merge_id, "--keep-backups", "0")
        assert code == 0, output
    assert user_sheets(path) == before
