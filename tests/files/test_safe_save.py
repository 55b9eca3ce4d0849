"""Saving over a live workbook: temp file, check, backup, atomic replace, and every refusal."""

from __future__ import annotations

import datetime as dt
import errno
import os
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from tests.conftest import give_to_nobody, run_unprivileged
from xlcrm.cli.exit_codes import exit_code_of
from xlcrm.errors import UsageError, WorkbookChanged, WorkbookLocked, WriteError, XlcrmError
from xlcrm.files.safe_save import (
    BACKUP_FOLDER,
    TEMP_PREFIX,
    list_backups,
    make_backup,
    prune_backups,
    remove_stale_temps,
    replace_workbook,
    write_new_workbook,
)
from xlcrm.files.saved_copy import saved_copy_path
from xlcrm.xlsx.reader import FileStamp

SHEETS = ["Clients", "Settings"]


def build_book(value: int) -> Workbook:
    book = Workbook()
    clients = book.active
    clients.title = "Clients"
    clients.append(["ClientID", "Name"])
    clients.append(["C000001", f"version {value}"])
    book.create_sheet("Settings").append(["counter", value])
    return book


def save_book(path: Path, value: int) -> Path:
    build_book(value).save(path)
    return path


def version(path: Path) -> int:
    """The counter a workbook was saved with, read by both readers to be sure the file is whole."""
    calamine = CalamineWorkbook.from_path(str(path))
    rows = calamine.get_sheet_by_name("Settings").to_python()
    calamine.close()
    value = load_workbook(path, read_only=True)["Settings"]["B1"].value
    assert rows[0][1] == value
    return int(value)


def set_version(source: Path, value: int) -> Callable[[Path], None]:
    """A ``write`` callback that saves ``source`` with a new counter, as a command would."""

    def write(temp: Path) -> None:
        book = load_workbook(source)
        book["Settings"]["B1"] = value
        book["Clients"]["B2"] = f"version {value}"
        book.save(temp)

    return write


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: equal snapshots mean nothing at all was touched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return save_book(tmp_path / "clients.xlsx", 0)


def test_replace_saves_new_version_and_keeps_the_old_one(book: Path) -> None:
    before = book.read_bytes()
    result = replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert version(book) == 1
    assert result.path == book and result.replaced and result.attempts == 1 and result.warnings == ()
    assert result.backup is not None and result.backup.parent == book.parent / BACKUP_FOLDER
    assert result.backup.read_bytes() == before
    assert sorted(p.name for p in book.parent.iterdir()) == [BACKUP_FOLDER, "clients.xlsx"]
    assert result.to_dict()["backup"] == str(result.backup)


def test_backup_names_sort_and_stay_unique_within_a_second(book: Path) -> None:
    second = dt.datetime(2026, 11, 23, 10, 15, 2)
    made = [make_backup(book, now=second) for _ in range(3)]
    assert [b.name for b in made] == [
        "clients.2026-11-23T10-15-02.xlsx",
        "clients.2026-11-23T10-15-02_2.xlsx",
        "clients.2026-11-23T10-15-02_3.xlsx",
    ]
    assert all(b.read_bytes() == book.read_bytes() for b in made)
    # Pruning frees the first name; the next backup in that second must still sort last.
    prune_backups(book, 2)
    newest = make_backup(book, now=second)
    assert newest.name == "clients.2026-11-23T10-15-02_4.xlsx"
    assert list_backups(book) == made[1:] + [newest]
    later = make_backup(book, now=second + dt.timedelta(seconds=1))
    assert later.name == "clients.2026-11-23T10-15-03.xlsx" and list_backups(book)[-1] == later


def test_backup_made_by_copy_where_hard_links_are_not_possible(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    result = replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert result.backup is not None and version(result.backup) == 0 and version(book) == 1
    assert sorted(p.name for p in (book.parent / BACKUP_FOLDER).iterdir()) == sorted(
        [result.backup.name, saved_copy_path(book).name]
    )


def test_backups_are_listed_and_pruned_in_time_order_and_only_this_workbooks(book: Path) -> None:
    folder = book.parent / BACKUP_FOLDER
    folder.mkdir()
    names = [
        "clients.2026-11-23T10-15-02.xlsx",
        "clients.2026-11-23T10-15-02_2.xlsx",
        "clients.2026-11-23T10-15-02_10.xlsx",
        "clients.2026-11-23T10-16-00.xlsx",
    ]
    others = [
        "orders.2026-11-23T10-15-01.xlsx",
        "clients.old.2026-11-23T10-15-01.xlsx",
        "clients.2026-11-23T10-15-01.xlsm",
        "clients.xlsx",
        "notes.txt",
    ]
    for name in names + others:
        (folder / name).write_bytes(name.encode())
    assert [p.name for p in list_backups(book)] == names
    assert [p.name for p in prune_backups(book, 2)] == names[:2]
    assert sorted(p.name for p in folder.iterdir()) == sorted(names[2:] + others)
    assert prune_backups(book, 0) == ()


def test_keeps_only_the_newest_ten_backups(book: Path) -> None:
    for value in range(1, 13):
        replace_workbook(book, set_version(book, value), stamp=FileStamp.of(book))
    backups = list_backups(book)
    assert [version(b) for b in backups] == list(range(2, 12))
    assert version(book) == 12


def test_keep_backups_zero_makes_none_and_deletes_none(book: Path) -> None:
    result = replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book), keep_backups=0)
    # Only the saved copy, which tells the next run what people changed: no backup.
    assert result.backup is None and list_backups(book) == []
    assert [p.name for p in (book.parent / BACKUP_FOLDER).iterdir()] == ["clients.last-saved.xlsx"]
    earlier = make_backup(book)
    replace_workbook(book, set_version(book, 2), stamp=FileStamp.of(book), keep_backups=0)
    assert list_backups(book) == [earlier]


def test_change_with_same_size_and_mtime_is_caught(book: Path) -> None:
    stamp = FileStamp.of(book)
    data = bytearray(book.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a colleague's save: same size, restored time, other bytes
    book.write_bytes(bytes(data))
    os.utime(book, ns=(stamp.mtime_ns, stamp.mtime_ns))
    assert (book.stat().st_size, book.stat().st_mtime_ns) == (stamp.size, stamp.mtime_ns)
    before = snapshot(book.parent)
    with pytest.raises(WorkbookChanged) as caught:
        replace_workbook(book, set_version(book, 1), stamp=stamp)
    saved = dt.datetime.fromtimestamp(stamp.mtime_ns / 1e9).strftime("%d.%m.%Y %H:%M:%S")
    assert str(caught.value) == (
        f"{book} was changed by someone else since xlcrm read it (same size, different content; "
        f"last saved {saved}); nothing was written; run xlcrm again"
    )
    assert exit_code_of(caught.value) == 1
    assert snapshot(book.parent) == before


def test_change_of_size_is_reported(book: Path) -> None:
    stamp = FileStamp.of(book)
    save_book(book, 12345)
    before = snapshot(book.parent)
    with pytest.raises(WorkbookChanged, match=rf"its size went from {stamp.size} to {book.stat().st_size} bytes"):
        replace_workbook(book, set_version(book, 1), stamp=stamp)
    assert snapshot(book.parent) == before


def test_save_by_someone_else_while_xlcrm_writes_is_caught(book: Path) -> None:
    stamp = FileStamp.of(book)

    def write_while_colleague_saves(temp: Path) -> None:
        set_version(book, 1)(temp)
        save_book(book, 99)

    with pytest.raises(WorkbookChanged):
        replace_workbook(book, write_while_colleague_saves, stamp=stamp)
    assert version(book) == 99
    assert sorted(p.name for p in book.parent.iterdir()) == ["clients.xlsx"]


def test_deleted_workbook_is_not_recreated(book: Path) -> None:
    stamp = FileStamp.of(book)
    book.unlink()
    with pytest.raises(WorkbookChanged, match="was moved or deleted since xlcrm read it; nothing was written"):
        replace_workbook(book, set_version(book, 1), stamp=stamp)
    assert list(book.parent.iterdir()) == []


def test_identical_bytes_with_a_new_time_are_not_a_change(book: Path) -> None:
    stamp = FileStamp.of(book)
    os.utime(book, (time.time() + 5, time.time() + 5))
    replace_workbook(book, set_version(book, 1), stamp=stamp)
    assert version(book) == 1


@pytest.fixture
def refusing_replace(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path, int, OSError], list[float]]:
    """Make ``os.replace`` onto one path fail a number of times; returns the pauses taken between tries."""

    def install(target: Path, failures: int, error: OSError) -> list[float]:
        real_replace = os.replace
        pauses: list[float] = []
        left = [failures]

        def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
            if Path(dst) == target and left[0] > 0:
                left[0] -= 1
                raise error
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(time, "sleep", pauses.append)
        return pauses

    return install


def test_replace_refused_a_few_times_then_succeeds(book: Path, refusing_replace) -> None:
    pauses = refusing_replace(book, 3, PermissionError(errno.EACCES, "Permission denied"))
    result = replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert result.attempts == 4 and pauses == [0.1, 0.2, 0.4]
    assert version(book) == 1
    assert sorted(p.name for p in book.parent.iterdir()) == [BACKUP_FOLDER, "clients.xlsx"]


def test_replace_refused_every_time_fails_clearly_and_changes_nothing(book: Path, refusing_replace) -> None:
    pauses = refusing_replace(book, 100, PermissionError(errno.EACCES, "Permission denied"))
    before = snapshot(book.parent)
    with pytest.raises(WriteError) as caught:
        replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert str(caught.value) == (
        f"cannot replace {book} after 5 tries (permission denied): another program probably has it open; "
        f"{book} was not changed; close it there and run again"
    )
    assert exit_code_of(caught.value) == 1 and len(pauses) == 4 and sum(pauses) <= 2
    # No temp file, and no backup either, since nothing was replaced.
    assert snapshot(book.parent) == before
    assert list_backups(book) == []


def test_replace_error_that_waiting_cannot_fix_is_not_retried(book: Path, refusing_replace) -> None:
    pauses = refusing_replace(book, 1, OSError(errno.EIO, "Input/output error"))
    before = snapshot(book.parent)
    with pytest.raises(WriteError, match=r"cannot replace .*clients.xlsx \(input/output error\); .* was not changed"):
        replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert pauses == [] and snapshot(book.parent) == before


def write_libreoffice_lock(book: Path, *, age: dt.timedelta = dt.timedelta(minutes=3)) -> Path:
    lock = book.parent / f".~lock.{book.name}#"
    lock.write_bytes(b",ivan,OFFICE-PC,23.11.2026 09:14,file:///home/ivan/.config/libreoffice/4;")
    when = time.time() - age.total_seconds()
    os.utime(lock, (when, when))
    return lock


def test_open_workbook_is_not_written(book: Path) -> None:
    write_libreoffice_lock(book)
    before = snapshot(book.parent)
    with pytest.raises(WorkbookLocked) as caught:
        replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert str(caught.value).startswith(f"{book} is open in LibreOffice by ivan on OFFICE-PC since 23.11.2026 09:14;")
    assert exit_code_of(caught.value) == 1
    assert snapshot(book.parent) == before


def test_workbook_opened_while_xlcrm_writes_is_not_replaced(book: Path) -> None:
    def write_while_colleague_opens(temp: Path) -> None:
        set_version(book, 1)(temp)
        write_libreoffice_lock(book)

    with pytest.raises(WorkbookLocked):
        replace_workbook(book, write_while_colleague_opens, stamp=FileStamp.of(book))
    assert version(book) == 0
    assert sorted(p.name for p in book.parent.iterdir()) == [".~lock.clients.xlsx#", "clients.xlsx"]


@pytest.mark.parametrize("age", [dt.timedelta(minutes=3), dt.timedelta(days=3)])
def test_lock_let_through_is_reported(book: Path, age: dt.timedelta) -> None:
    write_libreoffice_lock(book, age=age)
    result = replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book), ignore_lock=True)
    assert version(book) == 1
    assert len(result.warnings) == 1 and str(result.warnings[0]).endswith("--ignore-lock was given")


def test_an_old_lock_still_refuses(book: Path) -> None:
    """No lock is "stale" for its age: a workbook left open overnight is still open."""
    write_libreoffice_lock(book, age=dt.timedelta(days=3))
    before = book.read_bytes()
    with pytest.raises(WorkbookLocked, match="is open in LibreOffice"):
        replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert book.read_bytes() == before


def test_output_goes_to_another_file_and_leaves_the_original_alone(book: Path) -> None:
    before = snapshot(book.parent)
    other = book.parent / "report.xlsx"
    result = replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book), output=other)
    assert (result.path, result.replaced, result.backup) == (other, False, None)
    assert version(other) == 1
    written = {"report.xlsx", f"{BACKUP_FOLDER}/report.last-saved.xlsx"}
    assert {k: v for k, v in snapshot(book.parent).items() if k not in written} == before


def test_output_is_written_even_while_the_original_is_open(book: Path) -> None:
    write_libreoffice_lock(book)
    other = book.parent / "copy.xlsx"
    replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book), output=other)
    assert version(other) == 1 and version(book) == 0


def test_existing_output_is_replaced_with_a_backup_and_obeys_its_lock(book: Path) -> None:
    other = save_book(book.parent / "report.xlsx", 50)
    result = replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book), output=other)
    assert result.replaced and result.backup is not None and version(result.backup) == 50
    assert list_backups(book) == []
    write_libreoffice_lock(other)
    with pytest.raises(WorkbookLocked, match="report.xlsx is open in LibreOffice"):
        replace_workbook(book, set_version(book, 2), stamp=FileStamp.of(book), output=other)
    assert version(other) == 1


def test_output_naming_the_workbook_itself_is_an_in_place_save(book: Path) -> None:
    result = replace_workbook(
        book, set_version(book, 1), stamp=FileStamp.of(book), output=book.parent / "." / "clients.xlsx"
    )
    assert result.replaced and result.backup is not None and version(book) == 1


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("clients.xlsm", "the output must be a .xlsx file like clients.xlsx"),
        ("report", "the output must be a .xlsx file like clients.xlsx"),
        ("missing/report.xlsx", "no such folder"),
    ],
)
def test_unusable_output_is_a_usage_error(book: Path, output: str, message: str) -> None:
    before = snapshot(book.parent)
    with pytest.raises(UsageError, match=message) as caught:
        replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book), output=book.parent / output)
    assert exit_code_of(caught.value) == 2 and snapshot(book.parent) == before


def test_output_that_is_a_folder_is_refused(book: Path) -> None:
    (book.parent / "out.xlsx").mkdir()
    with pytest.raises(UsageError, match="out.xlsx is a folder, not a workbook"):
        replace_workbook(book, set_version(book, 1), stamp=None, output=book.parent / "out.xlsx")


def test_workbook_behind_a_link_is_replaced_where_it_lives(book: Path) -> None:
    link = book.parent / "shortcut.xlsx"
    link.symlink_to(book)
    result = replace_workbook(link, set_version(link, 1), stamp=FileStamp.of(link))
    assert result.path == book.resolve() and link.is_symlink() and version(book) == 1


def drop_settings(temp: Path) -> None:
    book = build_book(1)
    del book["Settings"]
    book.save(temp)


def write_garbage(temp: Path) -> None:
    temp.write_bytes(b"PK\x03\x04 not really a zip")


def truncate_save(temp: Path) -> None:
    build_book(1).save(temp)
    data = temp.read_bytes()
    temp.write_bytes(data[: len(data) // 2])


def corrupt_sheet(temp: Path) -> None:
    """A sound zip whose sheet's bytes were damaged on their way to the disk."""
    build_book(1).save(temp)
    with zipfile.ZipFile(temp) as archive:
        entry = archive.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(temp.read_bytes())
    name_length, extra_length = struct.unpack("<HH", data[entry.header_offset + 26 : entry.header_offset + 30])
    start = entry.header_offset + 30 + name_length + extra_length
    for offset in range(start + entry.compress_size // 3, start + entry.compress_size // 2):
        data[offset] ^= 0x5A
    temp.write_bytes(bytes(data))


def disk_full(temp: Path) -> None:
    temp.write_bytes(b"PK")
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (drop_settings, r"the saved copy lacks sheets \['Settings'\]; nothing was replaced"),
        (write_garbage, r"the saved copy could not be re-opened \(.*\); nothing was replaced"),
        (truncate_save, r"the saved copy could not be re-opened \(.*\); nothing was replaced"),
        (corrupt_sheet, r"the saved copy is damaged \(bad xl/worksheets/sheet1.xml\); nothing was replaced"),
        (disk_full, r"cannot write .*clients.xlsx: no space left on device; nothing was changed"),
    ],
)
def test_bad_new_version_never_replaces_the_workbook(book: Path, write: Callable[[Path], None], message: str) -> None:
    before = snapshot(book.parent)
    with pytest.raises(WriteError, match=message) as caught:
        replace_workbook(book, write, stamp=FileStamp.of(book))
    assert exit_code_of(caught.value) == 1 and snapshot(book.parent) == before


def test_expected_sheets_can_be_given(book: Path) -> None:
    replace_workbook(book, drop_settings, stamp=FileStamp.of(book), expected_sheets=["Clients"])
    assert load_workbook(book).sheetnames == ["Clients"]


def test_leftover_temp_files_older_than_an_hour_are_cleaned_up(book: Path) -> None:
    folder = book.parent
    (folder / BACKUP_FOLDER).mkdir()
    old = [folder / f"{TEMP_PREFIX}clients-abc.xlsx", folder / BACKUP_FOLDER / f"{TEMP_PREFIX}x.xlsx"]
    fresh = folder / f"{TEMP_PREFIX}clients-def.xlsx"
    not_ours = [folder / "~$clients.xlsx.tmp", folder / "notes.tmp", folder / "xlcrm-tmp-clients.xlsx"]
    for path in old + [fresh] + not_ours:
        path.write_bytes(b"left over")
    two_hours_ago = time.time() - 7200
    for path in old + not_ours:
        os.utime(path, (two_hours_ago, two_hours_ago))
    result = replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert sorted(result.removed_temps) == sorted(old)
    assert all(p.exists() for p in [fresh] + not_ours) and not any(p.exists() for p in old)
    assert remove_stale_temps(folder, older_than=dt.timedelta(0)) == (fresh,)


def test_new_version_keeps_the_file_permissions(book: Path) -> None:
    book.chmod(0o640)
    replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert book.stat().st_mode & 0o777 == 0o640


def test_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_new_workbook(build_book(0), tmp_path / "new.xlsx")
    finally:
        os.umask(umask)
    assert (tmp_path / "new.xlsx").stat().st_mode & 0o777 == 0o644


def test_write_new_workbook(tmp_path: Path) -> None:
    path = tmp_path / "new.xlsx"
    result = write_new_workbook(build_book(0), path)
    assert (result.path, result.replaced, result.backup) == (path, False, None) and version(path) == 0
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match="already exists; use --force to overwrite it") as caught:
        write_new_workbook(build_book(1), path)
    assert exit_code_of(caught.value) == 2 and snapshot(tmp_path) == before
    result = write_new_workbook(build_book(1), path, force=True)
    assert version(path) == 1 and result.backup is not None and version(result.backup) == 0


def test_write_new_workbook_does_not_overwrite_an_open_file(book: Path) -> None:
    write_libreoffice_lock(book)
    before = snapshot(book.parent)
    with pytest.raises(WorkbookLocked):
        write_new_workbook(build_book(1), book, force=True)
    assert snapshot(book.parent) == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("new.csv", "the file name must end in .xlsx"),
        ("missing/new.xlsx", "no such folder"),
    ],
)
def test_write_new_workbook_usage_errors(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        write_new_workbook(build_book(0), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def save_unprivileged(path: Path) -> tuple[int, str]:
    """Save ``path`` as the CLI would, as "nobody"; returns the exit code and what the CLI would print."""

    def save() -> tuple[int, str]:
        try:
            replace_workbook(path, set_version(path, 1), stamp=FileStamp.of(path))
        except XlcrmError as exc:
            return exit_code_of(exc), f"Error: {exc}"
        return 0, ""

    return run_unprivileged(save)


def test_read_only_workbook_is_refused(shared_folder: Path) -> None:
    path = save_book(shared_folder / "clients.xlsx", 0)
    give_to_nobody(shared_folder, path)
    path.chmod(0o444)
    before = snapshot(shared_folder)
    assert save_unprivileged(path) == (1, f"Error: cannot write {path}: the file is read-only; nothing was changed")
    assert snapshot(shared_folder) == before


def test_read_only_folder_is_refused(shared_folder: Path) -> None:
    path = save_book(shared_folder / "clients.xlsx", 0)
    give_to_nobody(path)
    shared_folder.chmod(0o555)
    before = snapshot(shared_folder)
    assert save_unprivileged(path) == (
        1,
        f"Error: cannot write {path}: no permission to create files in the folder {shared_folder}; nothing was changed",
    )
    assert snapshot(shared_folder) == before


def test_unprivileged_save_works_where_allowed(shared_folder: Path) -> None:
    """The same process does save when it may: the refusals above are about permissions, not the setup."""
    path = save_book(shared_folder / "clients.xlsx", 0)
    give_to_nobody(shared_folder, path)
    assert save_unprivileged(path) == (0, "")
    assert version(path) == 1


def test_every_save_keeps_a_copy_of_what_it_wrote(book: Path) -> None:
    result = replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert result.saved_copy == saved_copy_path(book) == book.parent / BACKUP_FOLDER / "clients.last-saved.xlsx"
    assert result.saved_copy.read_bytes() == book.read_bytes()
    assert not result.saved_copy.samefile(book)  # a copy: a tool writing into the workbook leaves it alone
    replace_workbook(book, set_version(book, 2), stamp=FileStamp.of(book))
    assert saved_copy_path(book).read_bytes() == book.read_bytes()
    # Never taken for a backup: neither listed nor pruned.
    assert [version(backup) for backup in list_backups(book)] == [0, 1]
    prune_backups(book, 1)
    assert saved_copy_path(book).exists()


def test_a_save_asked_to_keep_no_copy_leaves_the_one_before(book: Path) -> None:
    replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    first = saved_copy_path(book).read_bytes()
    result = replace_workbook(book, set_version(book, 2), stamp=FileStamp.of(book), keep_saved_copy=False)
    assert result.saved_copy is None and saved_copy_path(book).read_bytes() == first


def test_a_copy_that_cannot_be_kept_is_a_warning_after_the_save(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = book.parent / BACKUP_FOLDER
    folder.mkdir()
    saved_copy_path(book).mkdir()  # a folder in its place: the rename fails
    result = replace_workbook(book, set_version(book, 1), stamp=FileStamp.of(book))
    assert version(book) == 1 and result.saved_copy is None
    (warning,) = map(str, result.warnings)
    assert warning.startswith(f"{book} was saved, but its copy for telling what changed before the next run could not")
    assert warning.endswith("; the next run cannot list those changes")
