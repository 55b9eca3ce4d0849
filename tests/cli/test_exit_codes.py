"""Exit codes: a saving command exits 0 once it saved what it was asked to, errors left in cells or not; --strict
makes remaining errors exit 1; validate exits 1 for errors. Each command's --help lists its codes."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

import xlcrm
from tests.builders import valid_records, write_records
from xlcrm import schema
from xlcrm.checks.findings import Code
from xlcrm.cli.commands_list import all_commands
from xlcrm.cli.main import cli
from xlcrm.files.encryption import encrypt
from xlcrm.jobs.dedupe import dedupe_workbook
from xlcrm.jobs.validate import validate_workbook

TODAY = "2026-11-23"
SAVING_COMMANDS = ("refresh", "dedupe", "import", "unmerge")
BAD_EMAIL = "olga-at-example.com"


def client_base(folder: Path, *, with_error: bool, typed_by_hand: bool = False) -> Path:
    """A small workbook whose first client was typed in twice (a certain duplicate); with ``with_error`` the second
    client's email is not an email, an error no command repairs; with ``typed_by_hand`` one more client has no
    ClientID (a warning until a command gives it one)."""
    records = valid_records("en")
    clients = records[schema.CLIENTS.key]
    clients.append({**clients[0], "client_id": "C000003"})
    if with_error:
        clients[1]["email"] = BAD_EMAIL
    if typed_by_hand:
        clients.append({"client_id": "", "name": "Typed By Hand", "city": "Tula", "created": dt.date(2026, 1, 5)})
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


def prepared(folder: Path, command: str, *, with_error: bool, typed_by_hand: bool = False) -> Path:
    path = client_base(folder, with_error=with_error, typed_by_hand=typed_by_hand)
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


@pytest.mark.parametrize("command", ["refresh", "dedupe", "import"])
def test_strict_on_a_dry_run_says_the_errors_would_remain(tmp_path: Path, command: str) -> None:
    path = prepared(tmp_path, command, with_error=True)
    result = run(tmp_path, command, "--dry-run", "--strict")
    assert result.stderr.splitlines() == [
        f"Error: 1 error would remain in {path} (--strict); xlcrm validate lists them"
    ]


def test_strict_on_a_dry_run_counts_the_workbook_as_it_would_be_saved(tmp_path: Path) -> None:
    """The workbook has no error, but the record to import brings one: a dry run with --strict exits 1 for it."""
    path = client_base(tmp_path, with_error=False)
    source = tmp_path / "new_clients.csv"
    source.write_text(f"Name,Phone,Email\nPavel Orlov,+7 903 765-43-21,{BAD_EMAIL}\n", encoding="utf-8")
    before = path.read_bytes()
    args = ["import", str(source), "--into", str(path), "--today", TODAY, "--dry-run", "--strict"]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["errors"] == 1
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".xlcrm-backups/*"))
    # Without it, the dry run exits 0 and says the same.
    plain = CliRunner().invoke(cli, [*args[:-1], "--json"])
    assert plain.exit_code == 0
    assert json.loads(plain.stdout) == json.loads(result.stdout)


def block_temp_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The system's temporary folder made unusable (a file where it should be): anything written there fails, as
    it does when that folder is full."""
    blocked = folder / "temp-folder"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(blocked))


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` (hidden ones and subfolders' too) by its path there, with its bytes."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("strict", [False, True], ids=["plain", "strict"])
def test_an_import_dry_run_writes_nothing_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strict: bool
) -> None:
    """Neither in the temporary folder (the dry run succeeds with it unusable) nor beside the workbook; with
    --strict it still counts the errors the import would leave."""
    path = prepared(tmp_path, "import", with_error=True)
    source_csv(tmp_path)
    block_temp_folder(tmp_path, monkeypatch)
    before = files_in(tmp_path)
    result = run(tmp_path, "import", "--dry-run", *(["--strict"] if strict else []))
    assert result.exit_code == (1 if strict else 0), result.output
    assert "Dry run: the workbook was not changed" in result.stdout
    if strict:
        assert result.stderr.splitlines() == [
            f"Error: 1 error would remain in {path} (--strict); xlcrm validate lists them"
        ]
    else:
        assert result.stderr == ""
    assert files_in(tmp_path) == before


def test_a_strict_dry_run_of_a_protected_workbook_writes_no_plain_copy_but_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The errors a password-protected workbook would be left with are counted without a plain copy in the
    system's temporary folder (unusable here); the one plain copy, xlcrm's own beside it, is gone afterwards."""
    path = prepared(tmp_path, "import", with_error=True)
    plain = path.rename(tmp_path / "plain.xlsx")
    encrypt(plain, path, "secret")
    plain.unlink()
    source_csv(tmp_path)
    block_temp_folder(tmp_path, monkeypatch)
    before = files_in(tmp_path)
    result = run(tmp_path, "import", "--dry-run", "--strict", "--json", "--password", "secret")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["errors"] == 1
    assert files_in(tmp_path) == before


def test_an_unmerge_counts_the_errors_it_leaves_only_with_strict(tmp_path: Path) -> None:
    """Counting them reads the whole saved workbook back: without --strict that is not paid, and they are null."""
    prepared(tmp_path, "unmerge", with_error=True)
    result = run(tmp_path, "unmerge", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["errors"], shown["warnings"]) == (None, None)
    assert shown["save"] is not None


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_an_unmerge_whose_saved_workbook_cannot_be_read_back_is_still_a_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    """With --strict unmerge counts the errors in the workbook read back once saved; when that read fails it
    still succeeds (it saved), its count unknown, and says so."""
    command = "unmerge"
    path = prepared(tmp_path, command, with_error=True)
    assert not cell_of(path, "C000003")  # merged away by the dedupe

    def unreadable(_path: object) -> None:
        raise OSError("the disk went away")

    monkeypatch.setattr("xlcrm.jobs.validate.read_workbook", unreadable)
    result = run(tmp_path, command, "--strict", *(["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    if as_json:
        shown = json.loads(result.stdout)
        assert (shown["errors"], shown["warnings"]) == (None, None)
        assert shown["save"] is not None
        assert result.stderr == ""
    else:
        assert result.stderr.splitlines() == [
            f"Warning: the errors left in {path} could not be counted (--strict); xlcrm validate lists them"
        ]
    # Saved all the same: the client merged away is back on Clients.
    assert cell_of(path, "C000003")


@pytest.mark.parametrize("command", SAVING_COMMANDS)
def test_strict_with_json_prints_the_result_with_its_errors_and_exits_1(tmp_path: Path, command: str) -> None:
    prepared(tmp_path, command, with_error=True)
    result = run(tmp_path, command, "--strict", "--json")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["errors"] == 1
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("command", "dry_run"),
    [(command, False) for command in SAVING_COMMANDS] + [(command, True) for command in SAVING_COMMANDS[:3]],
    ids=lambda value: {False: "saved", True: "dry run"}.get(value, value),
)
def test_a_saving_job_counts_what_validate_finds_in_the_workbook_it_saves(
    tmp_path: Path, command: str, dry_run: bool
) -> None:
    """The library's result counts the errors and warnings of the workbook as saved (the dedupe's blank ClientID
    filled, the imported record's bad email added); a dry run counts them in the workbook it would save."""
    path = prepared(tmp_path, command, with_error=True, typed_by_hand=command != "unmerge")
    source = tmp_path / "new_clients.csv"
    source.write_text(f"Name,Phone,Email\nPavel Orlov,+7 903 765-43-21,x-{BAD_EMAIL}\n", encoding="utf-8")
    today = dt.date.fromisoformat(TODAY)
    options = {"save": xlcrm.SaveOptions(keep_backups=0)}
    if command == "refresh":
        result: Any = xlcrm.refresh_workbook(path, today=today, dry_run=dry_run, **options)
    elif command == "dedupe":
        result = xlcrm.dedupe_workbook(path, dry_run=dry_run, now=dt.datetime(2026, 11, 23, 9, 0), **options)
    elif command == "import":
        result = xlcrm.import_rows(source, path, today=today, dry_run=dry_run, **options)
    else:  # unmerge has no dry run
        result = xlcrm.unmerge_workbook(path, "M0001", count_errors=True, **options)
    if dry_run:
        saved = tmp_path / "saved.xlsx"
        rerun = {
            "refresh": lambda: xlcrm.refresh_workbook(path, today=today, save=xlcrm.SaveOptions(saved, False, 0)),
            "dedupe": lambda: xlcrm.dedupe_workbook(
                path, now=dt.datetime(2026, 11, 23, 9, 0), save=xlcrm.SaveOptions(saved, False, 0)
            ),
            "import": lambda: xlcrm.import_rows(source, path, today=today, save=xlcrm.SaveOptions(saved, False, 0)),
        }[command]
        rerun()
    else:
        saved = path
    found = validate_workbook(saved, today)
    assert (result.errors, result.warnings) == (len(found.errors), len(found.warnings))
    assert result.to_dict()["errors"] == result.errors and result.to_dict()["warnings"] == result.warnings
    assert result.errors == (2 if command == "import" else 1)  # the bad email, and the imported one
    if dry_run:  # not the workbook as it stands, which still has the row without a ClientID
        # and, but for import, which merges nothing, the copy of the VIP typed in twice: a VIP with no order of its
        # own until it is merged
        as_read = validate_workbook(path, today).warnings
        assert [f.code for f in as_read].count(Code.DESIGNATION_WITHOUT_ORDERS) == 1
        # import adds a person without a Consent date: one warning more
        assert result.warnings == len(as_read) - (0 if command == "import" else 2)


@pytest.mark.parametrize("with_error", [False, True], ids=["clean", "with an error"])
def test_validate_exits_1_for_errors(tmp_path: Path, with_error: bool) -> None:
    path = client_base(tmp_path, with_error=with_error)
    result = CliRunner().invoke(cli, ["validate", str(path), "--today", TODAY])
    assert result.exit_code == (1 if with_error else 0), result.output


@pytest.mark.parametrize("name", sorted(all_commands()))
def test_help_lists_every_exit_code(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    epilog = result.output.split("Exit codes:", 1)[1]
    codes = [line.split()[0] for line in epilog.splitlines() if line.strip() and line.split()[0].isdigit()]
    assert codes == ["0", "1", "2", "130"]
    assert all(len(line) <= 80 for line in result.output.splitlines())
    has_strict = any(param.name == "strict" for param in all_commands()[name].params)
    assert has_strict == (name in SAVING_COMMANDS)
    assert ("--strict" in epilog) == has_strict
