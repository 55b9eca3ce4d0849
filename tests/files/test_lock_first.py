"""Writing commands refuse a workbook open in Excel or LibreOffice at once, before reading or computing anything.

The save looks at the lock again (tests/files/test_safe_save.py); these tests show the
early look: the lock's one-line ``Error:``, a non-zero exit and no file touched, even when
the files are ones xlcrm could not read (which it would have said, had it read them first).
Dry runs only read, so they go on.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.builders import valid_records, write_records
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.demo import MIN_CLIENTS
from xlcrm.errors import WorkbookLocked
from xlcrm.files.encryption import PASSWORD_ENV, encrypt
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs import dedupe, demo, importing, refresh
from xlcrm.jobs.dedupe import dedupe_workbook

TODAY = "2026-11-23"
PASSWORD = "secret"
HOLDER = "Anna Smirnova"
# Bytes no reader of xlcrm accepts: a command that read them before looking at the lock would say so instead.
UNREADABLE = b"\x00\x01 neither a workbook nor text"


def excel_lock(workbook: Path) -> str:
    """Put Excel's owner file beside ``workbook``; returns the time the message shows."""
    owner = bytes([len(HOLDER)]) + HOLDER.encode("latin-1").ljust(54, b" ")
    owner += len(HOLDER).to_bytes(2, "little") + HOLDER.encode("utf-16-le")
    lock = workbook.parent / f"~${workbook.name}"
    lock.write_bytes(owner.ljust(165, b" "))
    opened = time.time() - 300  # recent: a lock older than a day is taken as left over from a crash
    os.utime(lock, (opened, opened))
    return dt.datetime.fromtimestamp(opened).strftime("%d.%m.%Y %H:%M")


def libreoffice_lock(workbook: Path) -> str:
    """Put LibreOffice's lock file beside ``workbook``; returns the time the message shows (the one it records)."""
    (workbook.parent / f".~lock.{workbook.name}#").write_text(
        f"{HOLDER},anna,OFFICE-PC,23.11.2026 09:14,file:///home/anna/.config/libreoffice/4;", encoding="utf-8"
    )
    return "23.11.2026 09:14"


LOCKS: dict[str, tuple[Callable[[Path], str], str]] = {
    "Excel": (excel_lock, HOLDER),
    "LibreOffice": (libreoffice_lock, f"{HOLDER} on OFFICE-PC"),
}


def lock_error(locked: Path, kind: str, since: str) -> str:
    """The line the save-time check has always printed for this lock."""
    return (
        f"Error: {locked} is open in {kind} by {LOCKS[kind][1]} since {since}; close it there and run again "
        "(or use --ignore-lock if that lock is left over from a crash)\n"
    )


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A valid base whose two clients typed twice are merged: M0001 for unmerge, a Duplicates sheet for dedupe."""
    records = valid_records("en")
    clients = records[schema.CLIENTS.key]
    clients.append({**clients[0], "client_id": "C000003"})
    clients.append({**clients[1], "client_id": "C000004"})
    path = write_records(tmp_path / "clients.xlsx", "en", records)
    dedupe_workbook(path, save=SaveOptions(keep_backups=0))
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A CSV of one new client to import."""
    columns = [schema.CLIENTS.column(key).en for key in ("name", "phone")]
    path = tmp_path / "new.csv"
    path.write_text(f"{','.join(columns)}\nOlga Sidorova,+7 903 111-22-33\n", encoding="utf-8")
    return path


def make_unreadable(*paths: Path) -> None:
    """Overwrite the workbook and the file to import with bytes that cannot be read as either."""
    for path in paths:
        path.write_bytes(UNREADABLE)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# Each writing command on the workbook: its arguments, and the file whose lock stops it.
COMMANDS: dict[str, Callable[[Path, Path], tuple[list[str], Path]]] = {
    "refresh": lambda book, csv: (["refresh", str(book), "--today", TODAY], book),
    "dedupe": lambda book, csv: (["dedupe", str(book)], book),
    "unmerge": lambda book, csv: (["unmerge", str(book), "M0001"], book),
    "forget": lambda book, csv: (["forget", str(book), "C000001"], book),
    "import": lambda book, csv: (["import", str(csv), "--into", str(book)], book),
    "demo --force": lambda book, csv: (["demo", str(book), "--force", "--clients", "10", "--locale", "en"], book),
    "export --anonymise": lambda book, csv: (
        ["export", str(book), "--anonymise", str(book.parent / "copy.xlsx")],
        book.parent / "copy.xlsx",
    ),
}


def invoke(args: list[str], password: str | None = None) -> Result:
    return CliRunner(env={PASSWORD_ENV: password} if password else {}).invoke(cli, args)


@pytest.mark.parametrize("kind", list(LOCKS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_locked_workbook_is_refused_before_it_is_read(workbook: Path, source: Path, command: str, kind: str) -> None:
    args, locked = COMMANDS[command](workbook, source)
    make_unreadable(workbook, source)
    since = LOCKS[kind][0](locked)
    before = snapshot(workbook.parent)

    result = invoke(args)

    assert (result.exit_code, result.stdout, result.stderr) == (1, "", lock_error(locked, kind, since))
    assert snapshot(workbook.parent) == before


@pytest.mark.parametrize("command", [name for name in COMMANDS if name != "demo --force"])  # demo reads nothing
def test_without_a_lock_the_unreadable_files_are_refused_for_what_they_are(
    workbook: Path, source: Path, command: str
) -> None:
    """The control of the test above: the files it gives are ones the command refuses once it reads them."""
    args, _locked = COMMANDS[command](workbook, source)
    make_unreadable(workbook, source)

    result = invoke(args)

    assert result.exit_code == 1 and result.stdout == "", result.output
    assert result.stderr.startswith((f"Error: {workbook} ", f"Error: {source} ")), result.stderr
    assert result.stderr.count("\n") == 1 and "--ignore-lock" not in result.stderr  # what a lock's message says


@pytest.mark.parametrize("command", [name for name in COMMANDS if name != "demo --force"])  # demo: no --ignore-lock
def test_ignore_lock_goes_on_and_does_the_work(workbook: Path, source: Path, command: str) -> None:
    """The same command with --ignore-lock reads, and saves with a warning."""
    args, locked = COMMANDS[command](workbook, source)
    libreoffice_lock(locked)

    result = invoke([*args, "--ignore-lock"])

    assert result.exit_code == 0, result.output
    assert f"Warning: {locked} has a LibreOffice lock" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["refresh", "{book}", "--today", TODAY, "--dry-run"],
        ["dedupe", "{book}", "--dry-run"],
        ["forget", "{book}", "C000001", "--dry-run"],
        ["import", "{csv}", "--into", "{book}", "--dry-run"],
    ],
)
def test_a_dry_run_reads_a_locked_workbook(workbook: Path, source: Path, args: list[str]) -> None:
    libreoffice_lock(workbook)
    before = snapshot(workbook.parent)

    result = invoke([arg.format(book=workbook, csv=source) for arg in args])

    assert result.exit_code == 0, result.output  # done: it read the workbook
    assert result.stdout and "Error" not in result.output
    assert snapshot(workbook.parent) == before


def test_with_output_elsewhere_only_the_output_lock_counts(workbook: Path) -> None:
    """As at save time: the workbook is only read, so it may stay open; the file written may not be."""
    copy = workbook.parent / "copy.xlsx"
    libreoffice_lock(workbook)
    refreshed = invoke(["refresh", str(workbook), "--today", TODAY, "--output", str(copy), "--keep-backups", "0"])
    assert refreshed.exit_code == 0, refreshed.output
    assert copy.exists()

    (workbook.parent / f".~lock.{workbook.name}#").unlink()
    make_unreadable(workbook)
    since = excel_lock(copy)
    before = snapshot(workbook.parent)
    refused = invoke(["refresh", str(workbook), "--today", TODAY, "--output", str(copy)])
    assert (refused.exit_code, refused.stderr) == (1, lock_error(copy, "Excel", since))
    assert snapshot(workbook.parent) == before


def test_a_locked_protected_workbook_is_refused_before_it_is_decrypted(workbook: Path) -> None:
    """With a wrong password, too: decrypting first would have refused the password instead."""
    protected = workbook.with_name("protected.xlsx")
    encrypt(workbook, protected, PASSWORD)
    since = libreoffice_lock(protected)
    before = snapshot(workbook.parent)

    for password in (PASSWORD, "wrong " + PASSWORD):
        result = invoke(["refresh", str(protected), "--today", TODAY], password)
        assert (result.exit_code, result.stderr) == (1, lock_error(protected, "LibreOffice", since))
    assert snapshot(workbook.parent) == before

    # The control: unlocked, the wrong password is what stops it.
    (workbook.parent / f".~lock.{protected.name}#").unlink()
    wrong = invoke(["refresh", str(protected), "--today", TODAY], "wrong " + PASSWORD)
    assert wrong.exit_code == 1 and "password" in wrong.stderr and " is open in " not in wrong.stderr


def test_a_dry_run_decrypts_a_locked_protected_workbook(workbook: Path) -> None:
    protected = workbook.with_name("protected.xlsx")
    encrypt(workbook, protected, PASSWORD)
    libreoffice_lock(protected)
    before = snapshot(workbook.parent)

    result = invoke(["refresh", str(protected), "--today", TODAY, "--dry-run"], PASSWORD)

    assert result.exit_code == 0, result.output  # it decrypted the workbook to read it
    assert snapshot(workbook.parent) == before


LIBRARY_CALLS: dict[str, Callable[[Path, Path], object]] = {
    "refresh_workbook": lambda book, csv: refresh.refresh_workbook(book),
    "dedupe_workbook": lambda book, csv: dedupe.dedupe_workbook(book),
    "unmerge_workbook": lambda book, csv: dedupe.unmerge_workbook(book, "M0001"),
    "import_rows": lambda book, csv: importing.import_rows(csv, book),
    # a demo too small to make: refused for the lock all the same, before the demo is generated
    "create_demo": lambda book, csv: demo.create_demo(book, clients=MIN_CLIENTS - 1, force=True),
}


@pytest.mark.parametrize("call", list(LIBRARY_CALLS))
def test_the_library_refuses_first_too(workbook: Path, source: Path, call: str) -> None:
    make_unreadable(workbook, source)
    libreoffice_lock(workbook)
    before = snapshot(workbook.parent)
    with pytest.raises(WorkbookLocked):
        LIBRARY_CALLS[call](workbook, source)
    assert snapshot(workbook.parent) == before


def test_the_save_still_looks_again(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook opened while xlcrm computes is still refused, by the save."""
    real_read = refresh.read_workbook

    def read_then_get_opened(path: Path) -> object:
        data = real_read(path)
        libreoffice_lock(workbook)
        return data

    monkeypatch.setattr(refresh, "read_workbook", read_then_get_opened)
    before = snapshot(workbook.parent)

    result = invoke(["refresh", str(workbook), "--today", TODAY])

    assert (result.exit_code, result.stderr) == (1, lock_error(workbook, "LibreOffice", "23.11.2026 09:14"))
    after = snapshot(workbook.parent)
    del after[f".~lock.{workbook.name}#"]
    assert after == before
