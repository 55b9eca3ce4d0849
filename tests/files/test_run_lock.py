"""xlcrm's own lock: two runs on one workbook never overwrite each other (issue 15, point 2).

The race this closes: two imports read the same workbook, each passes the
"changed since read" check, each keeps a backup and renames its file into
place; both say "Saved" and the later one has dropped the earlier one's rows.
A slow backup step (a network share) makes it certain; here the backup waits
for the other run to get there too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from tests.builders import valid_records, write_records
from tests.paths import REPO
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.errors import WorkbookLocked
from xlcrm.files import encryption, run_lock, safe_save
from xlcrm.files.encryption import PASSWORD_ENV, encrypt
from xlcrm.files.locks import owner_file_content, parse_excel_owner_file
from xlcrm.files.run_lock import RunLockHolder, holding_run_lock, read_run_lock, run_lock_path
from xlcrm.files.safe_save import replace_workbook
from xlcrm.jobs import importing
from xlcrm.xlsx.reader import FileStamp

TODAY = "2026-11-23"
NEWCOMERS = {"first": ("Olga Sidorova", "+7 903 111-22-33"), "second": ("Pavel Orlov", "+7 916 444-55-66")}
MEETING_TIMEOUT = 2.0  # how long a run waits for the other at a meeting point (the other may be held back)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_records(tmp_path / "clients.xlsx", "en", valid_records("en"))


def csv_of(folder: Path, key: str) -> Path:
    name, phone = NEWCOMERS[key]
    headers = [schema.CLIENTS.column(column).en for column in ("name", "phone")]
    path = folder / f"{key}.csv"
    path.write_text(f"{','.join(headers)}\n{name},{phone}\n", encoding="utf-8")
    return path


def client_names(path: Path) -> set[str]:
    sheet = openpyxl.load_workbook(path, read_only=True)[schema.CLIENTS.en]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index(schema.CLIENTS.column("name").en)
    return {row[column] for row in rows[1:] if row[column]}


def xlcrm_files(folder: Path) -> list[str]:
    """The lock and owner files xlcrm may leave beside a workbook."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".~xlcrm-lock.", "~$")))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args)


class Meeting:
    """Where two runs wait for each other, each for at most ``MEETING_TIMEOUT``; a run held back elsewhere
    (by the lock) never arrives, and the other goes on alone."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=MEETING_TIMEOUT)

    def wait(self) -> None:
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            pass


@pytest.fixture
def runs_meet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both runs read the workbook before either saves, and the backup step waits for the other run."""
    after_read, at_backup = Meeting(), Meeting()
    real_read, real_backup = importing.read_workbook, safe_save.make_backup

    def read_then_meet(path: Any) -> Any:
        data = real_read(path)
        after_read.wait()
        return data

    def slow_backup(path: Path, **kwargs: Any) -> Path:
        at_backup.wait()
        return real_backup(path, **kwargs)

    monkeypatch.setattr(importing, "read_workbook", read_then_meet)
    monkeypatch.setattr(safe_save, "make_backup", slow_backup)


def import_in_threads(workbook: Path) -> dict[str, object]:
    """Import both newcomers at the same time; returns each import's result or the exception it raised."""
    outcomes: dict[str, object] = {}

    def run(key: str) -> None:
        try:
            outcomes[key] = importing.import_rows(csv_of(workbook.parent, key), workbook, today=dt.date(2026, 11, 23))
        except Exception as exc:
            outcomes[key] = exc

    threads = [threading.Thread(target=run, args=(key,)) for key in NEWCOMERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_two_imports_at_once_lose_no_rows(workbook: Path, runs_meet: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the lock both imports said "Saved" and the later one dropped the earlier one's client."""
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 60.0)  # the second run waits as long as the first takes
    outcomes = import_in_threads(workbook)

    assert all(isinstance(outcome, importing.ImportResult) for outcome in outcomes.values()), outcomes
    assert {name for name, _phone in NEWCOMERS.values()} <= client_names(workbook)
    assert xlcrm_files(workbook.parent) == []


def test_a_run_that_cannot_wait_long_enough_refuses_and_loses_nothing(
    workbook: Path, runs_meet: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.3)
    outcomes = import_in_threads(workbook)

    saved = [key for key, outcome in outcomes.items() if isinstance(outcome, importing.ImportResult)]
    refused = [outcome for outcome in outcomes.values() if isinstance(outcome, WorkbookLocked)]
    assert len(saved) == 1 and len(refused) == 1, outcomes
    assert NEWCOMERS[saved[0]][0] in client_names(workbook)
    me = RunLockHolder.of_this_process()
    assert str(refused[0]).startswith(
        f"{workbook} is being changed by another xlcrm run: {me.user} on {me.host} (process {os.getpid()}) since "
    )
    # On Windows and macOS a process number used again later cannot be told apart: the user is told the way out.
    assert str(refused[0]).endswith(
        f"; run again when it has finished (if that run was stopped without finishing, "
        f"delete {run_lock.run_lock_path(workbook)} and run again)"
    )
    assert xlcrm_files(workbook.parent) == []


def test_while_it_works_xlcrm_holds_a_lock_file_and_an_excel_owner_file(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, bytes] = {}
    real_read = importing.read_workbook

    def read_and_look(path: Any) -> Any:
        seen.update({p.name: p.read_bytes() for p in workbook.parent.iterdir() if p.name in xlcrm_files(tmp_path)})
        return real_read(path)

    monkeypatch.setattr(importing, "read_workbook", read_and_look)

    result = invoke(["import", str(csv_of(tmp_path, "first")), "--into", str(workbook), "--today", TODAY])

    assert result.exit_code == 0, result.output
    assert sorted(seen) == [".~xlcrm-lock.clients.xlsx", "~$clients.xlsx"]
    me = RunLockHolder.of_this_process()
    owner = seen["~$clients.xlsx"]
    assert len(owner) == 165 and parse_excel_owner_file(owner) == f"{me.user} (xlcrm)"
    lock = json.loads(seen[".~xlcrm-lock.clients.xlsx"])
    assert (lock["program"], lock["user"], lock["host"], lock["pid"]) == ("xlcrm", me.user, me.host, os.getpid())
    assert dt.datetime.fromisoformat(lock["since"]) <= dt.datetime.now()
    assert xlcrm_files(tmp_path) == []


@pytest.mark.parametrize("failure", [RuntimeError("a bug"), KeyboardInterrupt()])
def test_lock_and_owner_file_go_however_the_command_ends(
    workbook: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    def fail(path: Any) -> Any:
        assert xlcrm_files(workbook.parent) == [".~xlcrm-lock.clients.xlsx", "~$clients.xlsx"]
        raise failure

    monkeypatch.setattr(importing, "read_workbook", fail)
    source = csv_of(workbook.parent, "first")
    before = snapshot(workbook.parent)
    with pytest.raises(type(failure)):
        importing.import_rows(source, workbook)
    assert snapshot(workbook.parent) == before


@pytest.fixture
def holder_process(workbook: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start a process that takes xlcrm's lock on ``workbook`` (or the path given) and holds it until its input
    closes."""
    started: list[subprocess.Popen[str]] = []
    code = (
        "import sys, pathlib; from xlcrm.files.run_lock import holding_run_lock\n"
        "with holding_run_lock(pathlib.Path(sys.argv[1])):\n"
        "    print('holding', flush=True)\n"
        "    sys.stdin.read()\n"
    )

    def start(path: Path = workbook) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", code, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        started.append(process)
        assert process.stdout is not None and process.stdout.readline() == "holding\n"
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_a_second_process_waits_then_refuses_with_one_line(
    workbook: Path, holder_process: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.5)
    holder = holder_process()
    before = snapshot(workbook.parent)

    started = time.monotonic()
    result = invoke(["refresh", str(workbook), "--today", TODAY, "--ignore-lock"])  # not a way past a live run

    assert time.monotonic() - started >= 0.5
    assert result.exit_code == 1 and result.stdout == ""
    me = RunLockHolder.of_this_process()
    assert result.stderr.startswith(
        f"Error: {workbook} is being changed by another xlcrm run: {me.user} on {me.host} (process {holder.pid}) since "
    )
    assert result.stderr.count("\n") == 1 and "run again when it has finished" in result.stderr
    assert snapshot(workbook.parent) == before  # the holder's lock and owner file included

    # The standalone save takes the lock too.
    with pytest.raises(WorkbookLocked, match="being changed by another xlcrm run"):
        replace_workbook(workbook, lambda temp: temp.write_bytes(workbook.read_bytes()), stamp=None)

    holder.stdin.close()
    holder.wait(timeout=30)
    assert xlcrm_files(workbook.parent) == []
    assert invoke(["refresh", str(workbook), "--today", TODAY]).exit_code == 0


# Each writing command: its arguments, and the file it writes (whose lock stops it).
COMMANDS: dict[str, Callable[[Path], tuple[list[str], Path]]] = {
    "refresh": lambda book: (["refresh", str(book), "--today", TODAY], book),
    "dedupe": lambda book: (["dedupe", str(book)], book),
    "unmerge": lambda book: (["unmerge", str(book), "M0001"], book),
    "forget": lambda book: (["forget", str(book), "C000001"], book),
    "import": lambda book: (["import", str(csv_of(book.parent, "first")), "--into", str(book)], book),
    "init --force": lambda book: (["init", str(book), "--force"], book),
    "init --upgrade": lambda book: (["init", "--upgrade", str(book)], book),
    "restore": lambda book: (["restore", str(book), "--all-deleted"], book),
    "demo --force": lambda book: (["demo", str(book), "--force", "--clients", "10", "--locale", "en"], book),
    "export --anonymise": lambda book: (
        ["export", str(book), "--anonymise", str(book.parent / "copy.xlsx")],
        book.parent / "copy.xlsx",
    ),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_writing_command_refuses_while_another_run_holds_the_lock(
    workbook: Path, holder_process: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.2)
    args, written = COMMANDS[command](workbook)
    holder = holder_process(written)
    before = snapshot(workbook.parent)

    result = invoke(args)

    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"Error: {written} is being changed by another xlcrm run: ")
    assert f"(process {holder.pid})" in result.stderr and result.stderr.count("\n") == 1
    assert snapshot(workbook.parent) == before


def test_a_protected_workbook_is_locked_from_before_decrypting_until_saved_encrypted(
    workbook: Path, holder_process: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.2)
    protected = workbook.with_name("protected.xlsx")
    encrypt(workbook, protected, "secret")
    seen: list[list[str]] = []
    real_decrypt = encryption.decrypt

    def decrypt_and_look(path: Path, password: str) -> bytes:
        seen.append(xlcrm_files(workbook.parent))
        return real_decrypt(path, password)

    monkeypatch.setattr(encryption, "decrypt", decrypt_and_look)
    runner = CliRunner(env={PASSWORD_ENV: "secret"})

    holder = holder_process(protected)
    # Refused before decrypting: a wrong password is not even tried.
    for password in ("secret", "wrong"):
        refused = CliRunner(env={PASSWORD_ENV: password}).invoke(cli, ["refresh", str(protected), "--today", TODAY])
        assert refused.exit_code == 1 and f"(process {holder.pid})" in refused.stderr, refused.output
    holder.stdin.close()
    holder.wait(timeout=30)

    result = runner.invoke(cli, ["refresh", str(protected), "--today", TODAY])
    assert result.exit_code == 0, result.output
    # Whenever it was decrypted (to work on, to check the encrypted save), the workbook was under xlcrm's lock.
    assert seen and all(files == [".~xlcrm-lock.protected.xlsx", "~$protected.xlsx"] for files in seen), seen
    assert xlcrm_files(workbook.parent) == []


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name == "nt", reason="POSIX signals")
def test_sigterm_removes_the_lock_and_owner_file(workbook: Path, holder_process: Callable[[], Any]) -> None:
    holder = holder_process()
    assert xlcrm_files(workbook.parent) == [".~xlcrm-lock.clients.xlsx", "~$clients.xlsx"]
    holder.send_signal(signal.SIGTERM)
    assert holder.wait(timeout=30) == 128 + signal.SIGTERM
    assert xlcrm_files(workbook.parent) == []


def test_the_lock_of_a_killed_run_on_this_computer_is_taken_over(
    workbook: Path, holder_process: Callable[[], Any]
) -> None:
    holder = holder_process()
    holder.kill()  # SIGKILL: no chance to clean up
    holder.wait(timeout=30)
    assert xlcrm_files(workbook.parent) == [".~xlcrm-lock.clients.xlsx", "~$clients.xlsx"]
    assert read_run_lock(workbook) is not None and read_run_lock(workbook).pid == holder.pid

    result = invoke(["refresh", str(workbook), "--today", TODAY])

    assert result.exit_code == 0, result.output
    assert xlcrm_files(workbook.parent) == []


def write_lock(workbook: Path, **fields: object) -> Path:
    lock = {
        "program": "xlcrm",
        "user": "anna",
        "host": "OTHER-PC",
        "pid": 4242,
        "since": "2026-11-23T09:14:05",
        "process": None,
        "owner": "anna (xlcrm)",
        "token": "0" * 32,
        **fields,
    }
    path = run_lock_path(workbook)
    path.write_text(json.dumps(lock), encoding="utf-8")
    return path


def test_an_owner_file_left_by_an_xlcrm_run_goes_but_a_persons_stays(workbook: Path) -> None:
    """With its lock deleted by hand, a killed run's owner file is xlcrm's own leftover; a person's is a lock."""
    owner = workbook.parent / "~$clients.xlsx"
    owner.write_bytes(owner_file_content("anna (xlcrm)"))
    assert invoke(["refresh", str(workbook), "--today", TODAY]).exit_code == 0
    assert xlcrm_files(workbook.parent) == []

    owner.write_bytes(owner_file_content("anna"))
    refused = invoke(["refresh", str(workbook), "--today", TODAY])
    assert refused.exit_code == 1 and "is open in Excel by anna since" in refused.stderr
    assert xlcrm_files(workbook.parent) == ["~$clients.xlsx"]


def test_a_lock_from_another_computer_is_never_taken_over(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its process cannot be seen from here, whatever its age: the message says whose it is and how to remove it."""
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.2)
    lock = write_lock(workbook, since="2026-11-20T09:14:05")
    (workbook.parent / "~$clients.xlsx").write_bytes(owner_file_content("anna (xlcrm)"))
    before = snapshot(workbook.parent)

    for extra in ([], ["--ignore-lock"]):
        result = invoke(["refresh", str(workbook), "--today", TODAY, *extra])
        assert (result.exit_code, result.stderr) == (
            1,
            (
                f"Error: {workbook} is being changed by another xlcrm run: anna on OTHER-PC (process 4242) since "
                f"20.11.2026 09:14:05; run again when it has finished (if that run was stopped without finishing, "
                f"e.g. its computer crashed, delete {lock} and run again)\n"
            ),
        )
        assert snapshot(workbook.parent) == before


def test_a_lock_of_a_finished_process_on_this_computer_is_taken_over(workbook: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    write_lock(workbook, host=socket.gethostname(), pid=int(finished.stdout))
    (workbook.parent / "~$clients.xlsx").write_bytes(owner_file_content("anna (xlcrm)"))
    assert invoke(["refresh", str(workbook), "--today", TODAY]).exit_code == 0
    assert xlcrm_files(workbook.parent) == []


def test_a_lock_of_a_live_process_on_this_computer_is_not_taken_over(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.2)
    write_lock(workbook, host=socket.gethostname(), pid=os.getppid())
    before = snapshot(workbook.parent)
    result = invoke(["refresh", str(workbook), "--today", TODAY])
    assert result.exit_code == 1 and f"(process {os.getppid()})" in result.stderr
    assert snapshot(workbook.parent) == before


def test_an_empty_lock_is_left_over_only_once_it_is_old(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run killed between creating its lock and writing it leaves an empty file; a live one fills it at once."""
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.2)
    lock = run_lock_path(workbook)
    lock.write_bytes(b"")
    refused = invoke(["refresh", str(workbook), "--today", TODAY])
    assert refused.exit_code == 1 and f"its lock file {lock} cannot be read" in refused.stderr
    old = time.time() - 3600
    os.utime(lock, (old, old))
    assert invoke(["refresh", str(workbook), "--today", TODAY]).exit_code == 0
    assert xlcrm_files(workbook.parent) == []


def test_no_owner_file_beside_a_lock_of_excel_or_libreoffice(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --ignore-lock xlcrm writes past a person's lock, but never writes over or removes their owner file."""
    theirs = owner_file_content("Anna Smirnova")
    (workbook.parent / "~$clients.xlsx").write_bytes(theirs)
    seen: list[list[str]] = []
    real_read = importing.read_workbook

    def read_and_look(path: Any) -> Any:
        seen.append(xlcrm_files(workbook.parent))
        return real_read(path)

    monkeypatch.setattr(importing, "read_workbook", read_and_look)

    result = invoke(["import", str(csv_of(workbook.parent, "first")), "--into", str(workbook), "--ignore-lock"])

    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stdout and "Anna Smirnova" in result.stdout
    # Import reads the workbook, and reads it back once saved to count what is left: the lock is held each time.
    assert seen and all(files == [".~xlcrm-lock.clients.xlsx", "~$clients.xlsx"] for files in seen)
    assert (workbook.parent / "~$clients.xlsx").read_bytes() == theirs
    assert xlcrm_files(workbook.parent) == ["~$clients.xlsx"]


def test_a_dry_run_takes_no_lock(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_lock(workbook)  # held by another computer
    before = snapshot(workbook.parent)
    result = invoke(["refresh", str(workbook), "--today", TODAY, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert snapshot(workbook.parent) == before


def test_with_output_the_lock_is_on_the_file_written(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.2)
    write_lock(workbook)  # another run changes the workbook: reading it for a copy elsewhere is fine
    copy = workbook.parent / "copy.xlsx"
    result = invoke(["refresh", str(workbook), "--today", TODAY, "--output", str(copy)])
    assert result.exit_code == 0, result.output
    assert copy.exists() and not run_lock_path(copy).exists()

    write_lock(copy)
    refused = invoke(["refresh", str(workbook), "--today", TODAY, "--output", str(copy)])
    assert refused.exit_code == 1 and refused.stderr.startswith(f"Error: {copy} is being changed by another")


def test_the_save_inside_a_command_goes_on_under_its_lock(workbook: Path) -> None:
    with holding_run_lock(workbook) as holder:
        assert holder is not None
        result = replace_workbook(
            workbook, lambda temp: temp.write_bytes(workbook.read_bytes()), stamp=FileStamp.of(workbook)
        )
        assert result.replaced and read_run_lock(workbook) == holder
    assert xlcrm_files(workbook.parent) == []


def test_a_three_day_old_excel_lock_refuses_through_the_cli(workbook: Path) -> None:
    """Point 8: a workbook left open over a long weekend is still open."""
    owner = workbook.parent / "~$clients.xlsx"
    owner.write_bytes(owner_file_content("Anna Smirnova"))
    opened = time.time() - 3 * 24 * 3600
    os.utime(owner, (opened, opened))
    before = snapshot(workbook.parent)
    result = invoke(["refresh", str(workbook), "--today", TODAY])
    since = dt.datetime.fromtimestamp(opened).strftime("%d.%m.%Y %H:%M")
    assert (result.exit_code, result.stderr) == (
        1,
        (
            f"Error: {workbook} is open in Excel by Anna Smirnova since {since}; close it there and run again "
            "(or use --ignore-lock if that lock is left over from a crash)\n"
        ),
    )
    assert snapshot(workbook.parent) == before


def test_a_long_user_name_is_cut_so_excel_still_shows_xlcrm(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_lock, "_user_name", lambda: "Konstantin Konstantinopolsky-Rimsky-Korsakov Junior")
    with holding_run_lock(workbook):
        shown = parse_excel_owner_file((workbook.parent / "~$clients.xlsx").read_bytes())
    assert shown == "Konstantin Konstantinopolsky-Rimsky-Korsakov (xlcrm)" and len(shown) == 52  # Office's limit
    assert xlcrm_files(workbook.parent) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a process to kill")
def test_a_run_killed_at_any_moment_of_taking_the_lock_never_blocks_the_next(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL while the lock is taken, held or given back: the next run always gets it at once."""
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.5)
    rng = random.Random(20261202)
    for _ in range(40):
        child = os.fork()
        if child == 0:  # the child never returns into pytest
            try:
                while True:
                    with holding_run_lock(workbook):
                        pass
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        with holding_run_lock(workbook) as holder:
            assert holder is not None and read_run_lock(workbook) == holder
    assert xlcrm_files(workbook.parent) == []
    assert not [p.name for p in workbook.parent.iterdir() if p.name.startswith(".~xlcrm")]
