"""Exit codes: a saving command exits 0 once it saved what it was asked to, errors left in cells or not; --strict
makes remaining errors exit 1; validate exits 1 for errors. Each command's --help lists its codes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.builders import valid_records, write_records
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.jobs.dedupe import dedupe_workbook

TODAY = "2026-11-23"
SAVING_COMMANDS = ("refresh", "dedupe", "import", "unmerge")
BAD_EMAIL = "olga-at-example.com"


def client_base(folder: Path, *, with_error: bool) -> Path:
    """A small workbook whose first client was typed in twice (a certain duplicate); with ``with_error`` the second
    client's email is not an email, an error no command repairs."""
    records = valid_records("en")
    clients = records[schema.CLIENTS.key]
    clients.append({**clients[0], "client_id": "C000003"})
    if with_error:
        clients[1]["email"] = BAD_EMAIL
    return write_records(folder / "clients.xlsx", "en", records)


def source_csv(folder: Path) -> Path:
    path = folder / "new_clients.csv"
    path.write_text("Name,Phone,City\nPavel Orlov,+7 903 765-43-21,Tver\n", encoding="utf-8")
    return path


def run(folder: Path, command: str, *options: str) -> Result:
    """``xlcrm command`` on the workbook ``folder/clients.xlsx`` with ``options`` (and what the command needs)."""
    path = folder / "clients.xlsx"
    args = {
        "refresh": ["refresh", str(path), "--today", TODAY],
        "dedupe": ["dedupe", str(path)],
        "import": ["import", str(source_csv(folder)), "--into", str(path), "--today", TODAY],
        "unmerge": ["unmerge", str(path), "M0001"],
    }[command]
    return CliRunner().invoke(cli, [*args, "--keep-backups", "0", *options])


def prepared(folder: Path, command: str, *, with_error: bool) -> Path:
    path = client_base(folder, with_error=with_error)
    if command == "unmerge":
        dedupe_workbook(path, now=dt.datetime(2026, 11, 23, 9, 0))  # M0001, to undo
    return path


def cell_of(path: Path, value: str) -> bool:
    """Whether some cell of Clients holds ``value``."""
    sheet = load_workbook(path, read_only=True)[schema.CLIENTS.name("en")]
    return any(value in row for row in sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("command", SAVING_COMMANDS)
@pytest.mark.parametrize("with_error", [False, True], ids=["clean", "with an error"])
def test_a_saving_command_exits_0_and_with_strict_1_while_errors_remain(
    tmp_path: Path, command: str, with_error: bool
) -> None:
    first, second = tmp_path / "plain", tmp_path / "strict"
    for folder in (first, second):
        folder.mkdir()
        prepared(folder, command, with_error=with_error)

    plain = run(first, command)
    strict = run(second, command, "--strict")

    assert plain.exit_code == 0, plain.output
    assert strict.exit_code == (1 if with_error else 0), strict.output
    assert "Error" not in plain.stderr
    if with_error:
        # Saved all the same: the error is still in the cell, and strict says so in one line.
        assert cell_of(second / "clients.xlsx", BAD_EMAIL)
        assert strict.stderr.splitlines() == [
            f"Error: 1 error remains in {second / 'clients.xlsx'} (--strict); xlcrm validate lists them"
        ]
    else:
        assert strict.stderr == ""
    # The same work was done with and without --strict.
    assert strict.stdout.replace(str(second), str(first)) == plain.stdout


@pytest.mark.parametrize("command", ["refresh", "dedupe", "import"])
def test_strict_on_a_dry_run_counts_the_errors_and_writes_nothing(tmp_path: Path, command: str) -> None:
    path = prepared(tmp_path, command, with_error=True)
    before = path.read_bytes()
    result = run(tmp_path, command, "--dry-run", "--strict")
    assert result.exit_code == 1, result.output
    assert path.read_bytes() == before


def test_strict_with_json_prints_the_result_and_exits_1(tmp_path: Path) -> None:
    prepared(tmp_path, "refresh", with_error=True)
    result = run(tmp_path, "refresh", "--strict", "--json")
    assert result.exit_code == 1
    assert result.stdout.startswith("{") and '"errors": 1' in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("with_error", [False, True], ids=["clean", "with an error"])
def test_validate_exits_1_for_errors(tmp_path: Path, with_error: bool) -> None:
    path = client_base(tmp_path, with_error=with_error)
    result = CliRunner().invoke(cli, ["validate", str(path), "--today", TODAY])
    assert result.exit_code == (1 if with_error else 0), result.output


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_help_lists_every_exit_code(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    epilog = result.output.split("Exit codes:", 1)[1]
    codes = [line.split()[0] for line in epilog.splitlines() if line.strip() and line.split()[0].isdigit()]
    assert codes == ["0", "1", "2", "130"]
    assert all(len(line) <= 80 for line in result.output.splitlines())
    has_strict = any(param.name == "strict" for param in cli.commands[name].params)
    assert has_strict == (name in SAVING_COMMANDS)
    assert ("--strict" in epilog) == has_strict
