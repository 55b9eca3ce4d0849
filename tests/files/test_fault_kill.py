"""Kill -9 a process in the middle of saving: the workbook must always be the old or the new version.

One test kills a process that saves again and again at random moments; the
other kills a save exactly at each of its steps, where the outcome is known.
The saving process is forked from the test rather than started as a new
interpreter: a fresh Python importing pandas takes about a second, thirty of
them would blow the time budget, and a forked child dies from SIGKILL just the
same.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from xlcrm.files import safe_save
from xlcrm.files.safe_save import BACKUP_FOLDER, TEMP_PREFIX, list_backups, remove_stale_temps, replace_workbook
from xlcrm.xlsx.reader import FileStamp, check_workbook_file

KILLS = 30
MAX_KILLS = 100  # bounds the test at about half a minute even on a busy machine
KEEP_BACKUPS = 3
SEED = 20261123
ROWS = 200  # enough rows that a save takes a few milliseconds, so kills land inside it


def build(path: Path) -> None:
    book = Workbook()
    clients = book.active
    clients.title = "Clients"
    clients.append(["ClientID", "Name", "Version"])
    for row in range(1, ROWS + 1):
        clients.append([f"C{row:06d}", f"Client {row}", 0])
    book.create_sheet("Settings").append(["counter", 0])
    book.save(path)


def version(path: Path) -> int:
    """The counter of a whole, consistent workbook: every cell that carries it agrees, in both readers."""
    check_workbook_file(path)
    calamine = CalamineWorkbook.from_path(str(path))
    counter = int(calamine.get_sheet_by_name("Settings").to_python()[0][1])
    rows = calamine.get_sheet_by_name("Clients").to_python()
    calamine.close()
    assert len(rows) == ROWS + 1 and {int(row[2]) for row in rows[1:]} == {counter}
    assert load_workbook(path, read_only=True)["Settings"]["B1"].value == counter
    return counter


def counter_writer(path: Path, counter: int) -> Callable[[Path], None]:
    def write(temp: Path) -> None:
        book = load_workbook(path)
        book["Settings"]["B1"] = counter
        for (cell,) in book["Clients"].iter_rows(min_row=2, min_col=3, max_col=3):
            cell.value = counter
        book.save(temp)

    return write


def temp_leftovers(folder: Path) -> list[Path]:
    return [p for place in (folder, folder / BACKUP_FOLDER) for p in place.glob(TEMP_PREFIX + "*")]


def save_forever(path: Path, log: Path) -> None:
    """The victim: save counter+1 again and again, logging each save's start and end."""
    with log.open("a", buffering=1) as journal:
        while True:
            stamp = FileStamp.of(path)
            calamine = CalamineWorkbook.from_path(str(path))
            counter = int(calamine.get_sheet_by_name("Settings").to_python()[0][1]) + 1
            calamine.close()
            journal.write(f"start {counter}\n")
            replace_workbook(path, counter_writer(path, counter), stamp=stamp, keep_backups=KEEP_BACKUPS)
            journal.write(f"done {counter}\n")


def run_and_kill(path: Path, log: Path, delay: float) -> None:
    child = os.fork()
    if child == 0:  # the child never returns into pytest
        try:
            save_forever(path, log)
        except BaseException as exc:
            with log.open("a") as journal:
                journal.write(f"error {type(exc).__name__}: {exc}\n")
        finally:
            os._exit(1)
    time.sleep(delay)
    os.kill(child, signal.SIGKILL)
    _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "the saver stopped by itself"


def test_kill_during_saves_leaves_old_or_new_version(tmp_path: Path) -> None:
    path = tmp_path / "clients.xlsx"
    build(path)
    rng = random.Random(SEED)
    kills = completed = interrupted = 0
    # At least KILLS kills and KILLS finished saves; a loaded machine saves more slowly and needs more rounds.
    while kills < KILLS or completed < KILLS:
        assert kills < MAX_KILLS, f"only {completed} saves finished in {kills} rounds"
        before = version(path)
        log = tmp_path / "journal.txt"
        log.write_text("")
        run_and_kill(path, log, delay=rng.uniform(0.0, 0.3))
        kills += 1
        events = [line.split(" ", 1) for line in log.read_text().splitlines()]
        assert not [e for e in events if e[0] == "error"], events
        done = [int(n) for kind, n in events if kind == "done"]
        started = [int(n) for kind, n in events if kind == "start"]
        last_done = done[-1] if done else before
        in_flight = started[-1] if started and started[-1] != last_done else None
        after = version(path)
        assert after in {last_done, in_flight}, (before, events, after)
        completed += len(done)
        interrupted += in_flight is not None
    assert interrupted >= kills // 2, (kills, completed, interrupted)

    # Backups were made by hard link or by copy-then-rename: each one is a whole workbook.
    backups = list_backups(path)
    assert 0 < len(backups) <= KEEP_BACKUPS + 1  # a kill after the replace may leave pruning to the next save
    for backup in backups:
        version(backup)

    # Each killed save may leave one temporary file; cleanup clears them all.
    assert len(temp_leftovers(tmp_path)) <= kills
    remove_stale_temps(tmp_path, older_than=dt.timedelta(0))
    assert temp_leftovers(tmp_path) == []


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def dying(step: Callable[..., Any], moment: str) -> Callable[..., Any]:
    """``step`` wrapped to kill its own process just before or just after it runs."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if moment == "before":
            die()
        result = step(*args, **kwargs)
        die()
        return result

    return wrapper


def half_written(path: Path) -> Callable[[Path], None]:
    def write(temp: Path) -> None:
        counter_writer(path, 1)(temp)
        data = temp.read_bytes()
        temp.write_bytes(data[: len(data) // 2])
        die()

    return write


@pytest.mark.parametrize(
    ("step", "moment", "expected"),
    [
        ("write", "during", 0),
        ("_check_saved", "before", 0),
        ("make_backup", "after", 0),
        ("_replace", "before", 0),
        ("_replace", "after", 1),
        ("_sync_folder", "after", 1),
        ("prune_backups", "before", 1),
    ],
)
def test_kill_at_each_step_of_a_save(tmp_path: Path, step: str, moment: str, expected: int) -> None:
    path = tmp_path / "clients.xlsx"
    build(path)
    before = path.read_bytes()
    child = os.fork()
    if child == 0:  # the child never returns into pytest
        try:
            write = counter_writer(path, 1)
            if step == "write":
                write = half_written(path)
            else:
                setattr(safe_save, step, dying(getattr(safe_save, step), moment))
            replace_workbook(path, write, stamp=FileStamp.of(path))
        finally:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "the save was not killed"

    assert version(path) == expected
    if expected == 0:
        assert path.read_bytes() == before
    for backup in list_backups(path):
        assert backup.read_bytes() == before
    assert len(temp_leftovers(tmp_path)) <= 1
    # The next run is not disturbed by what the killed one left behind.
    replace_workbook(path, counter_writer(path, 2), stamp=FileStamp.of(path))
    assert version(path) == 2
    remove_stale_temps(tmp_path, older_than=dt.timedelta(0))
    assert temp_leftovers(tmp_path) == []
