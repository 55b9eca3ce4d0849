"""The scheduled run: waits while the workbook is open in Excel (a real owner file ``~$NAME``, as Excel writes
it), gives up after its last try, and logs every run to a rotated log beside the backups."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlcrm import schema
from xlcrm.errors import XlcrmError
from xlcrm.files.locks import owner_file_content
from xlcrm.files.safe_save import BACKUP_FOLDER
from xlcrm.jobs import schedule
from xlcrm.messages import speaking

QUICK = schedule.RetryPlan(tries=6, every=0.3)


def open_in_excel(workbook: Path, user: str = "Анна Петрова") -> Path:
    """Excel's owner file for ``workbook``, as Excel writes it while the workbook is open."""
    owner = workbook.parent / f"~${workbook.name}"
    owner.write_bytes(owner_file_content(user))
    return owner


def close_when_logged(log: Path, owner: Path, wanted: str, timeout: float = 60) -> threading.Thread:
    """A thread deleting ``owner`` (closing Excel) once ``log`` says ``wanted``."""

    def close() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if log.exists() and wanted in log.read_text(encoding="utf-8"):
                owner.unlink()
                return
            time.sleep(0.02)

    thread = threading.Thread(target=close, daemon=True)
    thread.start()
    return thread


def report_sheets(workbook: Path) -> bool:
    book = load_workbook(workbook, read_only=True)
    try:
        return schema.PROBLEMS.name("ru") in book.sheetnames
    finally:
        book.close()


def test_a_run_waits_until_excel_closes_the_workbook_then_refreshes_it(workbook: Path) -> None:
    owner = open_in_excel(workbook)
    log = schedule.log_path(workbook)
    closer = close_when_logged(log, owner, "try 2 of 6")

    result = schedule.scheduled_run(workbook, retry=QUICK)

    closer.join(5)
    assert result.tries == 3 and result.errors == 0 and result.warnings == 0
    assert result.log == log == workbook.parent / BACKUP_FOLDER / "Клиенты.xlsx.schedule.log"
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    assert lines[0].endswith(f"scheduled refresh of {workbook} started")
    assert "try 1 of 6: " in lines[1] and "open in Excel by Анна Петрова" in lines[1]
    assert lines[1].endswith("trying again in 0 seconds")
    assert "try 2 of 6: " in lines[2]
    assert lines[3].endswith("scheduled refresh done after 3 tries: 0 errors, 0 warnings left")
    assert report_sheets(workbook)


def test_a_run_gives_up_after_its_last_try_and_leaves_the_workbook(workbook: Path) -> None:
    open_in_excel(workbook)
    before = workbook.read_bytes()
    waits: list[float] = []

    with pytest.raises(schedule.ScheduledRunGaveUp, match="still open after 3 tries, so refresh gave up"):
        schedule.scheduled_run(workbook, retry=schedule.RetryPlan(tries=3, every=600), sleep=waits.append)

    assert waits == [600, 600]  # ten minutes between tries, none after the last
    assert workbook.read_bytes() == before
    lines = schedule.log_path(workbook).read_text(encoding="utf-8").splitlines()
    assert [line.split(" ", 2)[2].split(":")[0] for line in lines[1:3]] == ["try 1 of 3", "try 2 of 3"]
    assert lines[1].endswith("trying again in 10 minutes")
    assert "scheduled refresh failed: " in lines[3] and "still open after 3 tries, so refresh gave up" in lines[3]
    assert len(lines) == 4


def test_the_log_speaks_russian_in_a_russian_run(workbook: Path) -> None:
    open_in_excel(workbook)
    with speaking("ru"), pytest.raises(schedule.ScheduledRunGaveUp) as raised:
        schedule.scheduled_run(workbook, retry=schedule.RetryPlan(tries=2, every=120), sleep=lambda _: None)
    text = schedule.log_path(workbook).read_text(encoding="utf-8")
    assert f"Запуск по расписанию: refresh для {workbook}" in text
    assert "Попытка 1 из 2: " in text and "следующая попытка через 2 минуты" in text
    assert "Команда refresh по расписанию не выполнена: " in text
    assert f"Файл {workbook} был открыт при всех попытках (2), поэтому команда refresh не выполнена" in text
    with speaking("ru"):
        assert str(raised.value).startswith(f"Файл {workbook} был открыт при всех попытках (2)")


def test_an_error_other_than_a_lock_is_logged_at_once(workbook: Path) -> None:
    workbook.write_bytes(b"not a workbook")
    waits: list[float] = []

    with pytest.raises(XlcrmError):
        schedule.scheduled_run(workbook, sleep=waits.append)

    assert waits == []
    lines = schedule.log_path(workbook).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and "scheduled refresh failed: " in lines[1]


def test_the_log_rotates(workbook: Path) -> None:
    for _ in range(8):
        schedule.scheduled_run(workbook, command="validate", max_log_bytes=400)

    folder = workbook.parent / BACKUP_FOLDER
    logs = sorted(path.name for path in folder.glob("Клиенты.xlsx.schedule.log*"))
    assert logs == ["Клиенты.xlsx.schedule.log"] + [
        f"Клиенты.xlsx.schedule.log.{n}" for n in range(1, schedule.LOG_BACKUP_COUNT + 1)
    ]
    assert all((folder / name).stat().st_size <= 400 for name in logs)
    assert "scheduled validate done: 0 errors" in (folder / "Клиенты.xlsx.schedule.log").read_text(encoding="utf-8")


def test_the_log_sits_beside_the_backups_and_is_not_taken_for_one(workbook: Path) -> None:
    from xlcrm.files.safe_save import list_backups

    schedule.scheduled_run(workbook)
    schedule.scheduled_run(workbook)

    assert schedule.log_path(workbook).exists()
    assert all(backup.suffix == ".xlsx" for backup in list_backups(workbook))
    assert len(list_backups(workbook)) == 2


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "If nobody has the workbook open, its lock file {lock} was left over from a crash: delete that file"),
        ("ru", "Если книга ни у кого не открыта, её файл блокировки {lock} остался после сбоя: удалите этот файл"),
    ],
)
def test_giving_up_names_the_lock_file_to_delete(workbook: Path, language: str, expected: str) -> None:
    """A scheduled run cannot be given --ignore-lock: what it logs when it gives up names the file to delete."""
    owner = open_in_excel(workbook)
    with speaking(language), pytest.raises(schedule.ScheduledRunGaveUp) as raised:
        schedule.scheduled_run(workbook, retry=schedule.RetryPlan(tries=2, every=1), sleep=lambda _: None)
    last = schedule.log_path(workbook).read_text(encoding="utf-8").splitlines()[-1]
    assert expected.format(lock=owner) in last
    with speaking(language):
        assert expected.format(lock=owner) in str(raised.value)
