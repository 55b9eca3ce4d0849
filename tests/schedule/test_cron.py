"""xlcrm schedule on Linux and macOS: a marked line of the user's crontab, installed, replaced, listed, removed,
and the line itself runs the refresh when a shell runs it as cron would."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.schedule.conftest import FOLDER, Crontab
from xlcrm import schema
from xlcrm.errors import UsageError
from xlcrm.files.encryption import encrypt
from xlcrm.jobs import opening, schedule
from xlcrm.jobs.init import create_template

FOREIGN_LINE = "0 1 * * * /usr/bin/backup --all # the user's own"


def our_lines(table: str, name: str) -> list[str]:
    return [line for line in table.splitlines() if name in line]


def test_install_replace_list_and_remove_with_crontab(crontab: Crontab, workbook: Path) -> None:
    subprocess.run(["crontab", "-"], input=FOREIGN_LINE + "\n", text=True, check=True)

    installed = schedule.install_schedule(workbook, "07:30")

    name = installed.schedule.name
    comment, entry = our_lines(crontab.read(), name)
    assert comment == f"# xlcrm schedule: refresh {workbook} [{name}]"
    assert entry.startswith("30 7 * * * ")
    assert entry.endswith(f" # {name}")
    assert installed.command_line == f"{comment}\n{entry}"
    assert not installed.replaced
    assert FOREIGN_LINE in crontab.read().splitlines()
    assert [entry.name for entry in schedule.list_schedules()] == [name]

    again = schedule.install_schedule(workbook, "8:05", command="dedupe")

    assert again.replaced
    lines = our_lines(crontab.read(), name)
    assert len(lines) == 2 and lines[1].startswith("5 8 * * * ") and "--command dedupe" in lines[1]
    assert FOREIGN_LINE in crontab.read().splitlines()

    removal = schedule.remove_schedule(workbook)

    assert removal.removed and removal.name == name
    assert crontab.read().splitlines() == [FOREIGN_LINE]
    assert schedule.list_schedules() == []
    assert not schedule.remove_schedule(workbook).removed


def test_the_fake_crontab_honours_list_write_and_remove(fake_crontab: Crontab) -> None:
    """The stand-in used where cron is not installed behaves as crontab(1) does for what xlcrm uses."""
    assert schedule.read_crontab() == b""
    schedule.write_crontab(b"0 1 * * * true\n")
    assert schedule.read_crontab() == b"0 1 * * * true\n"
    subprocess.run(["crontab", "-r"], check=True)
    assert fake_crontab.table is not None and not fake_crontab.table.exists()
    assert schedule.read_crontab() == b""


def test_the_entry_runs_the_absolute_python_on_the_absolute_workbook(fake_crontab: Crontab, workbook: Path) -> None:
    entry = schedule.install_schedule(workbook, "07:30").command_line.splitlines()[1]

    assert f" {sys.executable} " in entry or f" '{sys.executable}' " in entry
    # the folder's % is escaped for cron, which would otherwise end the command there
    assert "100\\%" in entry and not re.search(r"[^\\]%", entry)
    assert "--run" in entry and "Клиенты.xlsx" in entry


LOGGED = {
    "ru": [
        "Запуск по расписанию: refresh для {workbook}",
        "Команда refresh по расписанию выполнена; осталось: 0 ошибок",
    ],
    "en": ["scheduled refresh of {workbook} started", "scheduled refresh done: 0 errors, 0 warnings left"],
}


@pytest.mark.usefixtures("xlcrm_importable")
@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_crontab_line_refreshes_the_workbook_when_a_shell_runs_it(
    fake_crontab: Crontab, tmp_path: Path, locale: str
) -> None:
    """The line is run as cron runs it: the five time fields dropped, ``\\%`` turned into ``%``, the rest given to
    /bin/sh in another folder: the quoting of the folder's spaces, quote, ``%`` and Cyrillic holds. The run speaks
    the workbook's language, given to it as --lang: whatever the environment cron gives it says."""
    workbook = tmp_path / FOLDER / f"{locale}.xlsx"
    workbook.parent.mkdir()
    create_template(workbook, locale)
    installed = schedule.install_schedule(workbook, "07:30")
    entry = installed.command_line.splitlines()[1]
    command = entry.split(" ", 5)[5].replace("\\%", "%")
    other = "en" if locale == "ru" else "ru"

    assert installed.schedule.language == locale
    assert f" -m xlcrm --lang {locale} schedule --run " in entry and "LANGUAGE=" not in entry
    done = subprocess.run(
        ["/bin/sh", "-c", command],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LANGUAGE": other},
    )

    assert done.returncode == 0, done.stderr
    log = schedule.log_path(workbook).read_text(encoding="utf-8")
    for line in LOGGED[locale]:
        assert line.format(workbook=workbook) in log, log
    book = load_workbook(workbook, read_only=True)
    try:
        assert schema.PROBLEMS.name(locale) in book.sheetnames  # refreshed: the report sheets are there
    finally:
        book.close()


def test_the_entry_speaks_the_language_it_is_given(fake_crontab: Crontab, workbook: Path) -> None:
    installed = schedule.install_schedule(workbook, "07:30", language="en", dry_run=True)
    entry = installed.command_line.splitlines()[1]
    assert " -m xlcrm --lang en schedule --run " in entry and "LANGUAGE=" not in entry


def test_a_workbook_that_cannot_be_read_gets_english(fake_crontab: Crontab, workbook: Path, tmp_path: Path) -> None:
    """Its language is not known (password-protected, not a workbook): the run speaks English, unless told."""
    protected = tmp_path / "Защищённый.xlsx"
    encrypt(workbook, protected, "Пароль")
    damaged = tmp_path / "Испорченный.xlsx"
    damaged.write_bytes(b"not a workbook at all")
    for path in (protected, damaged):
        assert opening.workbook_locale(path) is None
        assert schedule.install_schedule(path, "07:30", dry_run=True).schedule.language == "en"
    assert opening.workbook_locale(workbook) == "ru"


def test_print_installs_nothing(fake_crontab: Crontab, workbook: Path) -> None:
    shown = schedule.install_schedule(workbook, "07:30", dry_run=True)

    assert shown.dry_run and shown.task_xml is None
    assert shown.command_line.splitlines()[1].startswith("30 7 * * * ")
    assert fake_crontab.table is not None and not fake_crontab.table.exists()


def test_the_name_is_stable_and_safe(tmp_path: Path) -> None:
    first = schedule.task_name(tmp_path / "a" / "Клиенты 2026 (копия).xlsx")
    assert first == schedule.task_name(tmp_path / "a" / "Клиенты 2026 (копия).xlsx")
    assert first != schedule.task_name(tmp_path / "b" / "Клиенты 2026 (копия).xlsx")
    assert re.fullmatch(r"xlcrm-[A-Za-z0-9_-]+", first)
    assert schedule.task_name(tmp_path / "clients.xlsx").startswith("xlcrm-clients-")


@pytest.mark.parametrize(
    ("text", "expected"), [("07:30", dt.time(7, 30)), ("7:05", dt.time(7, 5)), ("23.59", dt.time(23, 59))]
)
def test_times_of_day(text: str, expected: dt.time) -> None:
    assert schedule.parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "7:60", "7", "07:30pm", "", "seven"])
def test_not_times_of_day(text: str) -> None:
    with pytest.raises(UsageError, match="not a time of day"):
        schedule.parse_time(text)


def test_a_crontab_that_cannot_be_read_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "bin" / "crontab"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\necho 'crontab: your crontab is unreadable' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken.parent}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(schedule.ScheduleError, match="your crontab is unreadable"):
        schedule.read_crontab()


# A user's own lines in a legacy code page (cp1251) and with a form feed inside a job line: Python's
# str.splitlines() would split the latter, and UTF-8 decoding would turn the former into U+FFFD.
USER_TABLE = (
    "# резервная копия базы\n".encode("cp1251")
    + b"0 1 * * * /usr/bin/backup --tag a\x0cb # page\n"
    + b"# odd \x0b\x1c\x1d\x1e\x85 and \xe2\x80\xa8 bytes\n"
    + b"\n"
    + b"5 2 * * * true"  # no newline at the end
)


def test_the_users_own_lines_are_kept_byte_for_byte(fake_crontab: Crontab, workbook: Path) -> None:
    assert fake_crontab.table is not None
    fake_crontab.table.write_bytes(USER_TABLE)

    installed = schedule.install_schedule(workbook, "07:30")

    table = fake_crontab.table.read_bytes()
    assert table.startswith(USER_TABLE + b"\n")
    assert table.endswith(b"\n") and table.count(installed.schedule.name.encode()) == 2
    assert [entry.name for entry in schedule.list_schedules()] == [installed.schedule.name]

    schedule.install_schedule(workbook, "08:00")  # replaced: the user's lines still as they were
    assert fake_crontab.table.read_bytes().startswith(USER_TABLE + b"\n")

    assert schedule.remove_schedule(workbook).removed
    assert fake_crontab.table.read_bytes() == USER_TABLE + b"\n"
    assert not schedule.remove_schedule(workbook).removed
    assert fake_crontab.table.read_bytes() == USER_TABLE + b"\n"


def test_a_trailing_newline_stays_as_it_was(fake_crontab: Crontab, workbook: Path) -> None:
    assert fake_crontab.table is not None
    fake_crontab.table.write_bytes(USER_TABLE + b"\n")
    schedule.install_schedule(workbook, "07:30")
    schedule.remove_schedule(workbook)
    assert fake_crontab.table.read_bytes() == USER_TABLE + b"\n"
