"""Writing workbooks without ever losing the user's only copy.

Every write, new file or existing workbook, goes through ``replace_workbook``:

0. hold xlcrm's own lock on the target (``xlcrm.files.run_lock``), so that no other
   xlcrm run writes it meanwhile; a command that writes a workbook takes it
   earlier, before it reads anything (``holding_workbook_lock``), and the
   save goes on under it;
1. refuse while the target is open in Excel or LibreOffice (``xlcrm.files.locks``);
2. refuse if the workbook was saved by someone else since xlcrm read it
   (the caller's ``FileStamp``; the SHA-256 of the content decides);
3. write a temporary file ``.xlcrm-tmp-<name>-<random>.xlsx`` in the same
   folder, flush it to disk, re-open it (zip CRCs, python-calamine, expected
   sheets);
4. look at the lock and the stamp once more, since writing takes a while;
5. keep the version about to be replaced in ``.xlcrm-backups/`` beside it,
   named ``<stem>.<YYYY-MM-DD>T<HH-MM-SS>.xlsx`` in local time, with ``_2``,
   ``_3`` … before the extension for a second save within the same second;
   only the newest ``keep_backups`` backups of that workbook are kept;
6. move the temporary file over the target with ``os.replace`` (atomic on one
   file system), retrying a few times with growing pauses when Windows or a
   network share refuses because another program holds the file;
7. flush the folder entry to disk;
8. keep a copy of the new version as ``.xlcrm-backups/<stem>.last-saved.xlsx`` (``xlcrm.files.saved_copy``), which
   the next run compares the workbook with to tell what people changed since; never one of a password-protected
   workbook, and none when the caller says so (a restore, which must not hide what it brought back).

A run killed at any moment leaves either the old or the new workbook, plus at
most a temporary file; temporary files older than an hour (so no other run can
still be writing them) are removed by the next save.

The temporary file's name is never shown: an error while writing it names
the workbook. A workbook whose name is too long for the backup and temporary
names beside it (``MAX_NAME_BYTES``) is refused before anything is read.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import inspect
import os
import re
import stat
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from openpyxl import Workbook
from python_calamine import CalamineError, CalamineWorkbook

from xlcrm.checks.changes import SheetFingerprint
from xlcrm.errors import (
    UsageError,
    WorkbookChanged,
    WorkbookNotFound,
    WriteError,
    XlcrmError,
    joined,
    mentions,
    quoted,
    with_text_replaced,
)
from xlcrm.files.locks import check_not_locked, lock_warning
from xlcrm.files.run_lock import holding_run_lock
from xlcrm.files.saved_copy import BACKUP_FOLDER as BACKUP_FOLDER
from xlcrm.files.saved_copy import copy_whole, fsync_file, keep_saved_copy
from xlcrm.messages import Text, t
from xlcrm.messages.as_json import JsonFields
from xlcrm.runtime.paths import TEMP_PREFIX, os_reason, path_problem
from xlcrm.xlsx.reader import WORKBOOK_SUFFIXES, FileStamp, inflate_to_end

DEFAULT_KEEP_BACKUPS = 10
# Older temporary files cannot belong to a save still running: a save takes seconds.
STALE_TEMP_AGE = dt.timedelta(hours=1)
# Pauses of 0.1, 0.2, 0.4 and 0.8 s between five tries: about 1.5 s of patience in all.
REPLACE_ATTEMPTS = 5
FIRST_RETRY_DELAY = 0.1
# The longest workbook name xlcrm writes, in bytes (UTF-8): the names it puts beside the workbook add up to 25
# bytes to it (a backup ``.YYYY-MM-DDTHH-MM-SS_NNNN``, a temporary file), and file systems allow 255.
MAX_NAME_BYTES = 230
_TEMP_STEM_CHARACTERS = 50  # at most 200 bytes in UTF-8

Command = TypeVar("Command", bound=Callable[..., Any])

_BACKUP_TIME_FORMAT = "%Y-%m-%dT%H-%M-%S"
_TIME_FORMAT = "%d.%m.%Y %H:%M:%S"
# What Windows sharing violations and SMB servers report while another program holds the file.
_BUSY_ERRNOS = {errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY, errno.EAGAIN}


@dataclass(frozen=True)
class SaveOptions:
    """How a job that changes a workbook saves it: every such job takes one as ``save``."""

    output: Path | None = None  # write the changed workbook to this file instead of replacing the workbook
    ignore_lock: bool = False  # write even though the file looks open in Excel or LibreOffice
    keep_backups: int = DEFAULT_KEEP_BACKUPS  # backups of earlier versions kept in .xlcrm-backups (0: make none)


@dataclass(frozen=True)
class SaveResult(JsonFields):
    """What a save did."""

    path: Path  # the file written
    replaced: bool  # an existing file was replaced (False: a new file was created)
    backup: Path | None  # copy of the version that was replaced
    attempts: int  # tries the final replace took (more than 1: another program held the file)
    pruned_backups: tuple[Path, ...] = ()
    removed_temps: tuple[Path, ...] = ()  # leftovers of killed runs cleaned up
    warnings: tuple[Text, ...] = ()  # e.g. a lock that was not obeyed
    saved_copy: Path | None = None  # the copy of the new version kept to compare the next run with


def replace_workbook(
    path: Path,
    write: Callable[[Path], None],
    *,
    stamp: FileStamp | None,
    output: Path | None = None,
    ignore_lock: bool = False,
    keep_backups: int = DEFAULT_KEEP_BACKUPS,
    expected_sheets: Sequence[str] | None = None,
    replace_attempts: int = REPLACE_ATTEMPTS,
    retry_delay: float = FIRST_RETRY_DELAY,
    check_saved: Callable[[Path, Sequence[str]], None] | None = None,
    keep_saved_copy: bool = True,
    fingerprints: Mapping[str, SheetFingerprint] | None = None,
) -> SaveResult:
    """Save a new version of the workbook at ``path`` through ``write(temp_path)``.

    ``stamp`` is how ``path`` looked when it was read (None: do not check).
    With ``output`` the new version goes to that file instead and ``path`` is
    left alone; an existing output file is treated exactly like a workbook
    being replaced (lock check, backup). ``expected_sheets`` must all be in
    the new file; by default the sheets of ``path``, so no sheet is lost.
    ``keep_backups=0`` makes no backup and deletes none. ``check_saved(temp, expected_sheets)`` replaces the
    re-opening check for a file that is not a plain zip (a password-protected workbook). ``keep_saved_copy``:
    keep a copy of the new version (see ``xlcrm.files.saved_copy``; never of xlcrm's own temporary files), with
    ``fingerprints`` of the sheets as read beside it.
    """
    source = Path(path)
    target = _target(source, output)
    _check_writable(target)
    with _run_lock(target):
        removed_temps = remove_stale_temps(target.parent)
        if expected_sheets is None:
            expected_sheets = _sheet_names(source)
        lock = check_not_locked(target, ignore_lock=ignore_lock)
        _check_unchanged(source, stamp)

        temp = _new_temp(target)
        backup: Path | None = None
        try:
            _write_and_check(write, temp, target, expected_sheets, check_saved or _check_saved)
            # Writing takes a while: someone may have opened or saved the workbook meanwhile.
            lock = check_not_locked(target, ignore_lock=ignore_lock)
            _check_unchanged(source, stamp)
            replaced = target.exists()
            if replaced and keep_backups > 0:
                backup = make_backup(target)
            try:
                attempts = _replace(temp, target, replace_attempts, retry_delay)
            except WriteError:
                if backup is not None:  # nothing was replaced, so there is nothing to back up
                    backup.unlink(missing_ok=True)
                raise
        finally:
            temp.unlink(missing_ok=True)
        _sync_folder(target.parent)
        pruned = prune_backups(target, keep_backups) if backup is not None else ()
        copy, copy_warning = (
            _keep_saved_copy(target, fingerprints) if keep_saved_copy and not _is_own_temp(target) else (None, None)
        )
    warnings = ((lock_warning(target, lock),) if lock else ()) + ((copy_warning,) if copy_warning else ())
    return SaveResult(
        path=target,
        replaced=replaced,
        backup=backup,
        attempts=attempts,
        pruned_backups=pruned,
        removed_temps=removed_temps,
        warnings=warnings,
        saved_copy=copy,
    )


def _keep_saved_copy(
    target: Path, fingerprints: Mapping[str, SheetFingerprint] | None
) -> tuple[Path | None, Text | None]:
    """The saved copy of ``target``, just saved, or a warning why there is none: the workbook is saved all the
    same, and the next run says it has nothing to compare with."""
    try:
        return keep_saved_copy(target, fingerprints), None
    except OSError as exc:
        return None, t(
            "{path} was saved, but its copy for telling what changed before the next run could not be kept "
            "({reason}); the next run cannot list those changes",
            path=target,
            reason=os_reason(exc),
        )


def write_new_workbook(
    book: Workbook,
    path: Path,
    *,
    force: bool = False,
    expected_sheets: list[str] | None = None,
    keep_saved_copy: bool = True,
) -> SaveResult:
    """Save a freshly built workbook to ``path``; refuses to replace an existing file unless ``force``.

    With ``force`` an existing file is replaced like any workbook: not while
    it is open elsewhere, and with a backup of what was there. ``keep_saved_copy``: as in ``replace_workbook``.
    """
    path = Path(path)
    if path.exists() and not force:
        raise UsageError(t("{path} already exists; use --force to overwrite it", path=path))
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise UsageError(t("{path}: the file name must end in .xlsx", path=path))
    return replace_workbook(
        path,
        book.save,
        stamp=None,
        expected_sheets=expected_sheets or book.sheetnames,
        keep_saved_copy=keep_saved_copy,
    )


def make_backup(workbook: Path, *, now: dt.datetime | None = None) -> Path:
    """Keep the current ``workbook`` in the backup folder beside it, named for ``now`` (local time); returns the name.

    A hard link costs no time or space and is complete at once; where the file
    system has none (FAT, some network shares) the file is copied to a
    temporary name first, so a backup is never half-written.
    """
    folder = workbook.parent / BACKUP_FOLDER
    when = (now or dt.datetime.now()).strftime(_BACKUP_TIME_FORMAT)
    # Count on from the highest number used in this second: a number freed by pruning
    # must not be reused, or the newest backup would sort before older ones.
    counter = max((number for taken, number, _ in _backups(workbook) if taken == when), default=0)
    try:
        folder.mkdir(exist_ok=True)
        while True:
            counter += 1
            backup = folder / _backup_name(workbook, when, counter)
            try:
                os.link(workbook, backup)
            except FileExistsError:  # another run took this name just now
                continue
            except OSError:
                if backup.exists():
                    continue
                copy_whole(workbook, backup)
            return backup
    except OSError as exc:
        raise WriteError(
            t(
                "cannot keep a backup of {path} in {folder} ({reason}); {path} was not changed",
                path=workbook,
                folder=folder,
                reason=os_reason(exc),
            )
        ) from None


def list_backups(workbook: Path) -> list[Path]:
    """Backups of ``workbook`` (see ``make_backup``), oldest first."""
    return [backup for *_, backup in _backups(workbook)]


def prune_backups(workbook: Path, keep: int) -> tuple[Path, ...]:
    """Delete all but the newest ``keep`` backups of ``workbook``; ``keep=0`` deletes none."""
    if keep <= 0:
        return ()
    old = list_backups(workbook)[:-keep]
    for backup in old:
        backup.unlink(missing_ok=True)
    return tuple(old)


def remove_stale_temps(folder: Path, *, older_than: dt.timedelta = STALE_TEMP_AGE) -> tuple[Path, ...]:
    """Delete xlcrm's own temporary files (``TEMP_PREFIX``…) left in ``folder`` and its backup folder by killed runs."""
    cutoff = time.time() - older_than.total_seconds()
    removed: list[Path] = []
    for place in (folder, folder / BACKUP_FOLDER):
        if not place.is_dir():
            continue
        for entry in place.glob(TEMP_PREFIX + "*"):
            try:
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed.append(entry)
            except OSError:  # removed by another run meanwhile, or not ours to delete: leave it
                continue
    return tuple(removed)


def save_target(source: Path, output: Path | None) -> Path:
    """The file a save of ``source`` writes: ``source`` itself, or ``output`` when that is another file."""
    if output is not None and (problem := path_problem(Path(output))) is not None:
        raise WriteError(t("cannot write {path}: {problem}; nothing was changed", path=output, problem=problem))
    if (problem := path_problem(source)) is not None:
        raise WorkbookNotFound(joined((source, problem), ": "))
    target = _other_output(source, output) or source
    # Replace the file the link points to, not the link (as LibreOffice does).
    return target.resolve() if target.is_symlink() else target


def holding_workbook_lock(workbook: str) -> Callable[[Command], Command]:
    """Make a library command that writes a workbook hold xlcrm's lock on the file it writes, from before it
    reads anything until after its save (see ``workbook_lock``).

    ``workbook`` names the command's parameter holding the workbook's path (a None value: nothing is written).
    A ``save`` argument (``SaveOptions``) names the other file written instead, if any, and says whether Excel
    and LibreOffice locks are ignored; without one, an ``ignore_lock`` argument says that. A true ``dry_run``
    argument takes no lock.
    """

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command)

        @functools.wraps(command)
        def holding(*args: Any, **kwargs: Any) -> Any:
            call = signature.bind(*args, **kwargs)
            call.apply_defaults()
            given = call.arguments
            if given[workbook] is None or given.get("dry_run", False):
                return command(*args, **kwargs)
            save: SaveOptions | None = given.get("save")
            output = save.output if save is not None else None
            ignore_lock = save.ignore_lock if save is not None else given.get("ignore_lock", False)
            with workbook_lock(given[workbook], output=output, ignore_lock=ignore_lock):
                return command(*args, **kwargs)

        return cast(Command, holding)

    return decorate


@contextmanager
def workbook_lock(path: str | Path, *, output: Path | None = None, ignore_lock: bool = False) -> Iterator[None]:
    """Hold xlcrm's lock on the file a save of ``path`` writes, and refuse at once when that file is open in Excel
    or LibreOffice.

    Commands that change a workbook enter this before reading anything: another xlcrm run cannot save the
    workbook between their read and their save, and a big workbook open elsewhere is refused in a moment
    instead of after all the work (the save looks again, since the file can be opened meanwhile). Only the
    file written counts, as in ``replace_workbook``: a workbook that is only read (``output`` elsewhere) may
    stay open. Where the file cannot be written at all (no such folder), the command is left to say so.
    """
    target = save_target(Path(path), output)
    if not target.parent.is_dir() or _is_own_temp(target):
        yield
        return
    _check_name_length(target)
    _check_writable(target)
    with holding_run_lock(target):
        check_not_locked(target, ignore_lock=ignore_lock)
        yield


def _other_output(source: Path, output: Path | None) -> Path | None:
    """``output`` when it names another file than ``source``; None when the save replaces ``source``."""
    if output is None or (Path(output).exists() and source.exists() and Path(output).samefile(source)):
        return None
    return Path(output)


def _target(source: Path, output: Path | None) -> Path:
    """The file to write: ``source`` itself, or ``output`` after checking it makes sense."""
    other = _other_output(source, output)
    if other is not None and other.suffix.lower() != source.suffix.lower():
        raise UsageError(
            t(
                "{path}: the output must be a {suffix} file like {name}",
                path=other,
                suffix=source.suffix,
                name=source.name,
            )
        )
    target = save_target(source, output)
    if target.is_dir():
        raise UsageError(t("{path} is a folder, not a workbook", path=target))
    if not target.parent.is_dir():
        raise UsageError(t("{path}: no such folder", path=target.parent))
    _check_name_length(target)
    return target


def _check_name_length(target: Path) -> None:
    size = len(os.fsencode(target.name))
    if size > MAX_NAME_BYTES and not _is_own_temp(target):
        raise WriteError(
            t(
                "cannot write {path}: its name is {size} bytes long, and xlcrm writes workbooks whose names have "
                "at most {limit} bytes (its backups add the date to the name); choose a shorter name; nothing was "
                "changed",
                path=target,
                size=size,
                limit=MAX_NAME_BYTES,
            )
        )


def _run_lock(target: Path) -> AbstractContextManager[object]:
    """xlcrm's lock on ``target``; none on its own temporary files (see ``_is_own_temp``)."""
    return nullcontext() if _is_own_temp(target) else holding_run_lock(target)


def _is_own_temp(target: Path) -> bool:
    """Whether ``target`` is one of xlcrm's temporary files (a decrypted copy): nobody else opens it, and it is
    never kept, so it needs neither lock nor room for backup names."""
    return target.name.startswith(TEMP_PREFIX)


def _check_writable(target: Path) -> None:
    """Refuse read-only files and folders up front; on POSIX a rename would quietly replace a read-only file."""
    folder = target.parent
    if target.exists() and not os.access(target, os.W_OK):
        raise WriteError(t("cannot write {path}: the file is read-only; nothing was changed", path=target))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WriteError(
            t(
                "cannot write {path}: no permission to create files in the folder {folder}; nothing was changed",
                path=target,
                folder=folder.resolve(),
            )
        )


def _check_unchanged(source: Path, stamp: FileStamp | None) -> None:
    if stamp is None:
        return
    try:
        now = FileStamp.of(source)
    except FileNotFoundError:
        raise WorkbookChanged(
            t("{path} was moved or deleted since xlcrm read it; nothing was written", path=source)
        ) from None
    if now.sha256 == stamp.sha256:  # a touch or a save with identical bytes loses nothing
        return
    saved = dt.datetime.fromtimestamp(now.mtime_ns / 1e9).strftime(_TIME_FORMAT)
    if now.size != stamp.size:
        what = t(
            "its size went from {before} to {after} bytes; last saved {saved}",
            before=stamp.size,
            after=now.size,
            saved=saved,
        )
    else:
        what = t("same size, different content; last saved {saved}", saved=saved)
    raise WorkbookChanged(
        t(
            "{path} was changed by someone else since xlcrm read it ({what}); nothing was written; run xlcrm again",
            path=source,
            what=what,
        )
    )


def _new_temp(target: Path) -> Path:
    try:
        # The stem only tells a person whose file it is: cut short, it leaves room for the rest of the name.
        handle, name = tempfile.mkstemp(
            prefix=f"{TEMP_PREFIX}{target.stem[:_TEMP_STEM_CHARACTERS]}-", suffix=target.suffix, dir=target.parent
        )
    except OSError as exc:
        raise WriteError(
            t(
                "cannot write {path}: cannot create a file in {folder} ({reason}); nothing was changed",
                path=target,
                folder=target.parent.resolve(),
                reason=os_reason(exc),
            )
        ) from None
    os.close(handle)
    return Path(name)


def _write_and_check(
    write: Callable[[Path], None],
    temp: Path,
    target: Path,
    expected_sheets: Sequence[str],
    check: Callable[[Path, Sequence[str]], None],
) -> None:
    try:
        try:
            write(temp)
            fsync_file(temp)
            _copy_permissions(target, temp)
        except OSError as exc:
            raise WriteError(
                t("cannot write {path}: {reason}; nothing was changed", path=target, reason=os_reason(exc))
            ) from None
        check(temp, expected_sheets)
    except XlcrmError as exc:
        # The writer and the check name the file they were given; the user knows only the workbook.
        if not mentions(exc, str(temp)):
            raise
        raise with_text_replaced(exc, str(temp), str(target)) from None


def _check_saved(temp: Path, expected_sheets: Sequence[str]) -> None:
    """Re-open what was just written: a sound zip that python-calamine reads, with the expected sheets."""
    try:
        damaged = _damaged_entry(temp)
        if damaged is not None:
            raise WriteError(t("the saved copy is damaged (bad {part}); nothing was replaced", part=damaged))
        book = CalamineWorkbook.from_path(str(temp))
        names = list(book.sheet_names)
        book.close()
    except (zipfile.BadZipFile, CalamineError, OSError, ValueError) as exc:
        raise WriteError(
            t("the saved copy could not be re-opened ({reason}); nothing was replaced", reason=str(exc))
        ) from None
    missing = [name for name in expected_sheets if name not in names]
    if missing:
        raise WriteError(
            t("the saved copy lacks sheets [{sheets}]; nothing was replaced", sheets=[quoted(name) for name in missing])
        )


def _damaged_entry(path: Path) -> str | None:
    """An entry of the zip at ``path`` that does not inflate to its checksum (the first in the zip of those the
    threads below stopped at), as ``ZipFile.testzip`` tells; None when every one does.

    A big workbook's entries are shared between two threads, the biggest first, each to the one with less
    to do: zlib inflates without holding Python's lock, so both cores work.
    """
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
    shares: tuple[list[str], list[str]] = ([], [])
    loads = [0, 0]
    for entry in sorted(entries, key=lambda entry: -entry.compress_size):
        lighter = 0 if loads[0] <= loads[1] else 1
        shares[lighter].append(entry.filename)
        loads[lighter] += entry.compress_size
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="xlcrm-check") as workers:
        found = set(workers.map(functools.partial(_first_damaged, path), shares))
    return next((entry.filename for entry in entries if entry.filename in found), None)


def _first_damaged(path: Path, names: Sequence[str]) -> str | None:
    with zipfile.ZipFile(path) as archive:
        for name in names:
            try:
                inflate_to_end(archive, name)
            except (zipfile.BadZipFile, zlib.error, EOFError):
                return name
    return None


def _sheet_names(path: Path) -> list[str]:
    """Sheets of an existing workbook; none to expect when there is no readable one."""
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError):
        return []
    try:
        return list(book.sheet_names)
    finally:
        book.close()


def _copy_permissions(target: Path, temp: Path) -> None:
    """Give the new file the old one's mode (mkstemp makes it private) and, where allowed, its owner and group."""
    if target.exists():
        old = target.stat()
        os.chmod(temp, stat.S_IMODE(old.st_mode))
        try:
            os.chown(temp, old.st_uid, old.st_gid)
        except (PermissionError, AttributeError):  # only root may give files away; Windows has no chown
            pass
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)


def _replace(temp: Path, target: Path, attempts: int, first_delay: float) -> int:
    """``os.replace`` with retries while another program holds ``target``; returns the number of tries."""
    attempt = 1
    while True:
        try:
            os.replace(temp, target)
            return attempt
        except OSError as exc:
            busy = isinstance(exc, PermissionError) or exc.errno in _BUSY_ERRNOS
            if not busy:
                raise WriteError(
                    t("cannot replace {path} ({reason}); {path} was not changed", path=target, reason=os_reason(exc))
                ) from None
            if attempt >= attempts:
                raise WriteError(
                    t(
                        "cannot replace {path} after {attempts} tries ({reason}): another program probably has it "
                        "open; {path} was not changed; close it there and run again",
                        path=target,
                        attempts=attempt,
                        reason=os_reason(exc),
                    )
                ) from None
        time.sleep(first_delay * 2 ** (attempt - 1))
        attempt += 1


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; Windows and some network file systems cannot open a folder for that."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # the rename is done; only its durability across a power cut is not confirmed
    finally:
        os.close(handle)


def _backups(workbook: Path) -> list[tuple[str, int, Path]]:
    """(time, counter, path) of each backup of ``workbook``, oldest first; other workbooks' backups are skipped."""
    folder = workbook.parent / BACKUP_FOLDER
    pattern = re.compile(
        re.escape(workbook.stem) + r"\.(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d)(?:_(\d+))?" + re.escape(workbook.suffix)
    )
    found: list[tuple[str, int, Path]] = []
    if folder.is_dir():
        for entry in folder.iterdir():
            match = pattern.fullmatch(entry.name)
            if match:
                found.append((match[1], int(match[2] or 1), entry))
    return sorted(found)


def _backup_name(workbook: Path, when: str, counter: int) -> str:
    return f"{workbook.stem}.{when}{'' if counter == 1 else f'_{counter}'}{workbook.suffix}"
