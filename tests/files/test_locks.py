"""Lock files of Excel and LibreOffice beside a workbook: who holds it and since when; never "stale"."""

from __future__ import annotations

import datetime as dt
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from xlcrm.cli.exit_codes import exit_code_of
from xlcrm.errors import WorkbookLocked
from xlcrm.files.locks import EXCEL, LIBREOFFICE, check_not_locked, find_lock, lock_warning

OPENED = dt.datetime(2026, 11, 23, 9, 14)
SOFFICE = shutil.which("soffice")


def excel_owner_file(user: str) -> bytes:
    """An owner file as Excel writes it: 165 bytes, 8-bit name, 0x20 padding, UTF-16-LE copy at offset 55."""
    data = bytearray([len(user)]) + user.encode("cp1252", errors="replace")
    data += b"\x20" * (55 - len(data))
    data += len(user).to_bytes(2, "little") + user.encode("utf-16-le")
    while len(data) < 165:
        data += b"\x20\x00"
    return bytes(data[:165])


def word_owner_file(user: str) -> bytes:
    """An owner file as Word writes it: 162 bytes, zero padding, UTF-16-LE copy at offset 54."""
    data = bytearray([len(user)]) + user.encode("cp1252", errors="replace")
    data += b"\x00" * (54 - len(data))
    data += len(user).to_bytes(2, "little") + user.encode("utf-16-le")
    return bytes(data + b"\x00" * (162 - len(data)))


def libreoffice_lock(
    full_name: str, login: str = "ivan", host: str = "OFFICE-PC", opened: str = "23.11.2026 09:14"
) -> bytes:
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")

    fields = [full_name, login, host, opened, "file:///C:/Users/ivan/AppData/Roaming/LibreOffice/4"]
    return (",".join(escape(f) for f in fields) + ";").encode("utf-8")


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "clients.xlsx"
    path.write_bytes(b"PK\x03\x04 stands in for a workbook; locks never read it")
    return path


def put_lock(path: Path, content: bytes, *, age: dt.timedelta = dt.timedelta(minutes=5)) -> Path:
    path.write_bytes(content)
    when = time.time() - age.total_seconds()
    os.utime(path, (when, when))
    return path


def test_no_lock(book: Path) -> None:
    assert find_lock(book) is None
    assert check_not_locked(book) is None


def test_libreoffice_lock_names_user_host_and_time(book: Path) -> None:
    put_lock(book.parent / ".~lock.clients.xlsx#", libreoffice_lock("Ivan Petrov"))
    with pytest.raises(WorkbookLocked) as caught:
        check_not_locked(book)
    assert str(caught.value) == (
        f"{book} is open in LibreOffice by Ivan Petrov on OFFICE-PC since 23.11.2026 09:14; "
        "close it there and run again (or use --ignore-lock if that lock is left over from a crash)"
    )
    assert exit_code_of(caught.value) == 1
    lock = find_lock(book)
    assert lock is not None
    assert (lock.kind, lock.user, lock.host, lock.since) == (LIBREOFFICE, "Ivan Petrov", "OFFICE-PC", OPENED)


@pytest.mark.parametrize(
    ("full_name", "login", "expected"),
    [
        ("", "ivan", "ivan"),  # the user never filled in a name in LibreOffice
        ("Petrov, Ivan; sales\\east", "ivan", "Petrov, Ivan; sales\\east"),  # escaped separators
        ("Иван Петров", "ivan", "Иван Петров"),
    ],
)
def test_libreoffice_lock_user_name_forms(book: Path, full_name: str, login: str, expected: str) -> None:
    put_lock(book.parent / ".~lock.clients.xlsx#", libreoffice_lock(full_name, login))
    lock = find_lock(book)
    assert lock is not None and lock.user == expected


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage\x01\x02", b"no separators at all"])
def test_garbled_libreoffice_lock_still_locks(book: Path, content: bytes) -> None:
    lock_path = put_lock(book.parent / ".~lock.clients.xlsx#", content, age=dt.timedelta(hours=2))
    since = dt.datetime.fromtimestamp(lock_path.stat().st_mtime)
    with pytest.raises(WorkbookLocked) as caught:
        check_not_locked(book)
    assert str(caught.value).startswith(
        f"{book} is open in LibreOffice by an unknown user since {since:%d.%m.%Y %H:%M}; close it there"
    )


def test_libreoffice_lock_time_it_never_writes_falls_back_to_file_time(book: Path) -> None:
    lock_path = put_lock(book.parent / ".~lock.clients.xlsx#", libreoffice_lock("Ivan Petrov", opened="yesterday"))
    lock = find_lock(book)
    assert lock is not None and lock.user == "Ivan Petrov"
    assert lock.since == dt.datetime.fromtimestamp(lock_path.stat().st_mtime)


def test_excel_owner_file(book: Path) -> None:
    lock_path = put_lock(book.parent / "~$clients.xlsx", excel_owner_file("Иван Петров"))
    since = dt.datetime.fromtimestamp(lock_path.stat().st_mtime).strftime("%d.%m.%Y %H:%M")
    with pytest.raises(WorkbookLocked) as caught:
        check_not_locked(book)
    assert str(caught.value) == (
        f"{book} is open in Excel by Иван Петров since {since}; "
        "close it there and run again (or use --ignore-lock if that lock is left over from a crash)"
    )
    lock = find_lock(book)
    assert lock is not None and (lock.kind, lock.user, lock.host) == (EXCEL, "Иван Петров", None)


def test_word_layout_owner_file_and_long_names(book: Path) -> None:
    longest = "N" * 52
    put_lock(book.parent / "~$clients.xlsx", word_owner_file(longest))
    lock = find_lock(book)
    assert lock is not None and lock.user == longest


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00" * 165,
        bytes(random.Random(7).randrange(256) for _ in range(165)),
        b"\x30ab",  # says 48 characters follow, has 2
    ],
)
def test_garbled_owner_file_is_a_lock_by_unknown_user(book: Path, content: bytes) -> None:
    put_lock(book.parent / "~$clients.xlsx", content)
    lock = find_lock(book)
    assert lock is not None and lock.kind == EXCEL and lock.user is None
    with pytest.raises(WorkbookLocked, match="is open in Excel by an unknown user since"):
        check_not_locked(book)


def test_owner_file_with_plain_ascii_name_but_no_utf16_copy(book: Path) -> None:
    put_lock(book.parent / "~$clients.xlsx", b"\x04anna" + b"\x00" * 160)
    lock = find_lock(book)
    assert lock is not None and lock.user == "anna"


def test_owner_file_missing_first_two_characters(book: Path) -> None:
    put_lock(book.parent / "~$ients.xlsx", excel_owner_file("Anna"))
    lock = find_lock(book)
    assert lock is not None and lock.user == "Anna"


def test_shortened_owner_file_belonging_to_another_workbook_is_not_ours(book: Path) -> None:
    (book.parent / "ients.xlsx").write_bytes(b"another workbook")
    put_lock(book.parent / "~$ients.xlsx", excel_owner_file("Anna"))
    assert find_lock(book) is None


def test_lock_file_that_cannot_be_read_still_locks(book: Path) -> None:
    (book.parent / "~$clients.xlsx").mkdir()
    with pytest.raises(WorkbookLocked, match="by an unknown user"):
        check_not_locked(book)


def test_libreoffice_reported_when_it_also_writes_an_owner_file(book: Path) -> None:
    put_lock(book.parent / "~$clients.xlsx", excel_owner_file("Ivan Petrov"))
    put_lock(book.parent / ".~lock.clients.xlsx#", libreoffice_lock("Ivan Petrov"))
    lock = find_lock(book)
    assert lock is not None and lock.kind == LIBREOFFICE and lock.host == "OFFICE-PC"


@pytest.mark.parametrize("lock_name", [".~lock.clients.xlsx#", "~$clients.xlsx"])
def test_a_lock_three_days_old_still_refuses(book: Path, lock_name: str) -> None:
    """A workbook left open over a long weekend is still open: its Excel would save over xlcrm's result."""
    content = libreoffice_lock("Ivan Petrov") if lock_name.startswith(".~lock") else excel_owner_file("Ivan Petrov")
    put_lock(book.parent / lock_name, content, age=dt.timedelta(days=3))
    with pytest.raises(WorkbookLocked, match="is open in .* by Ivan Petrov"):
        check_not_locked(book)
    lock = check_not_locked(book, ignore_lock=True)  # the explicit way past it
    assert lock is not None and str(lock_warning(book, lock)) == (
        f"{book} has a {lock.kind} lock by {lock.holder} since {lock.since_text} ({lock_name}); "
        "writing anyway because --ignore-lock was given"
    )


def test_ignore_lock_lets_a_fresh_lock_through(book: Path) -> None:
    put_lock(book.parent / ".~lock.clients.xlsx#", libreoffice_lock("Ivan Petrov"))
    lock = check_not_locked(book, ignore_lock=True)
    assert lock is not None
    assert str(lock_warning(book, lock)).endswith("writing anyway because --ignore-lock was given")


def test_lock_of_another_workbook_does_not_count(book: Path) -> None:
    put_lock(book.parent / ".~lock.orders.xlsx#", libreoffice_lock("Ivan Petrov"))
    put_lock(book.parent / "~$orders.xlsx", excel_owner_file("Ivan Petrov"))
    assert find_lock(book) is None


@pytest.mark.libreoffice
def test_real_libreoffice_lock(tmp_path: Path) -> None:
    """Open a workbook in a real (headless) LibreOffice and read the lock it leaves."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    from openpyxl import Workbook

    path = tmp_path / "clients.xlsx"
    Workbook().save(path)
    office = subprocess.Popen(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--norestore", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while find_lock(path) is None and time.monotonic() < deadline and office.poll() is None:
            time.sleep(0.2)
        lock = find_lock(path)
    finally:
        os.killpg(office.pid, signal.SIGKILL)  # the group this test started: soffice and soffice.bin
        office.wait()
    assert lock is not None, "LibreOffice did not lock the workbook"
    assert lock.kind == LIBREOFFICE and lock.host == socket.gethostname()
    assert lock.user == pwd.getpwuid(os.getuid()).pw_name  # no name set in the fresh profile: the login
    assert abs(lock.since - dt.datetime.now()) < dt.timedelta(minutes=2)
    # The killed LibreOffice left its lock behind: exactly the crash case --ignore-lock is for.
    assert check_not_locked(path, ignore_lock=True) == lock
