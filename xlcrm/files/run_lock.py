"""xlcrm's own lock on a workbook it changes, so that two xlcrm runs never overwrite each other.

A save refuses a workbook open in Excel or LibreOffice (``xlcrm.files.locks``) and
one saved by someone else since it was read (``xlcrm.files.safe_save``), but those
checks, the backup and the final rename are not one atomic step: two runs on
one workbook (two imports, a refresh and an import) could both pass them, both
say "Saved", and the later one replace the earlier one's rows. So every
command that writes a workbook holds xlcrm's lock on it from before it reads
anything until after its save:

- the lock file ``.~xlcrm-lock.NAME`` beside the workbook, created only where
  none exists, holding JSON that names the user, the computer, the process and
  when it started. It is written whole under a temporary name and hard-linked
  into place (which fails when the lock exists, on network shares too), so it
  never exists empty; where the file system has no hard links it is created
  with ``O_CREAT | O_EXCL`` and written at once;
- Excel's owner file ``~$NAME`` naming "USER (xlcrm)", so that a colleague who
  opens the workbook meanwhile is told it is in use. It is written only where
  no Excel or LibreOffice lock is there already, and never replaces one.

Both are removed however the command ends: success, error, Ctrl+C, SIGTERM or
SIGHUP; only SIGKILL or a crash of the computer leaves them behind. A second
run waits ``WAIT_SECONDS`` for the lock, then refuses, naming who holds it and
since when.

A lock is taken to be left over, and taken over at once, only when that is
certain: it was written on this computer by a process that is no longer
running (or by one before a restart), or, made without a hard link, it has
stayed empty far longer than writing it takes. A lock written on another computer never is, since xlcrm
cannot see that computer's processes: the message says who holds it and how
to remove it if that run really died. ``--ignore-lock`` does not pass xlcrm's
own lock: it is the way past a lock Excel or LibreOffice left behind, while an
xlcrm run holding the lock is, as far as anyone can tell, changing the file
right now.

Within one thread the lock is re-entrant: the save inside a command that holds
it goes on under it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from xlcrm.errors import WorkbookLocked, WriteError
from xlcrm.files.locks import (
    OWNER_FILE_MAX_NAME,
    find_lock,
    owner_file_content,
    owner_file_path,
    parse_excel_owner_file,
    remove_owner_file,
    write_owner_file,
)
from xlcrm.messages import Message, t
from xlcrm.runtime.paths import create_whole, os_reason, path_key, read_head

LOCK_PREFIX = ".~xlcrm-lock."
# How long a second run waits for the lock before it refuses, and how often it looks.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.2
# Where a lock is made without a hard link (``create_whole``), a live run writes its content right after creating
# the file: one still empty after this long is what a run killed in between left.
UNWRITTEN_AFTER = dt.timedelta(minutes=1)

_TIME_FORMAT = "%d.%m.%Y %H:%M:%S"
_OWNER_SUFFIX = " (xlcrm)"  # after the user's name in the owner file: Excel shows "ivan (xlcrm)" as the user
_LOCK_READ_LIMIT = 4096
# Signals that end a command politely: turned into an exception so that ``finally`` blocks clean up.
_ENDING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@dataclass(frozen=True)
class RunLockHolder:
    """The xlcrm run a lock file names."""

    user: str
    host: str
    pid: int
    since: dt.datetime  # local time the lock was taken
    process: str | None  # tells this process from a later one given the same pid (Linux); None elsewhere
    owner: str  # the name written in the Excel owner file
    token: str  # unique to this taking of the lock

    @classmethod
    def of_this_process(cls) -> RunLockHolder:
        """The holder this process is: user, computer, process ID, start time."""
        user = _user_name()
        owner = user[: OWNER_FILE_MAX_NAME - len(_OWNER_SUFFIX)] + _OWNER_SUFFIX
        return cls(
            user=user,
            host=_host_name(),
            pid=os.getpid(),
            since=dt.datetime.now().replace(microsecond=0),
            process=_process_identity(os.getpid()),
            owner=owner,
            token=uuid.uuid4().hex,
        )

    @classmethod
    def from_json(cls, content: bytes) -> RunLockHolder | None:
        """The holder a lock file names; None when its content is not a lock xlcrm wrote."""
        try:
            fields = json.loads(content.decode("utf-8"))
            return cls(
                user=str(fields["user"]),
                host=str(fields["host"]),
                pid=int(fields["pid"]),
                since=dt.datetime.fromisoformat(fields["since"]),
                process=None if fields.get("process") is None else str(fields["process"]),
                owner=str(fields["owner"]),
                token=str(fields["token"]),
            )
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            return None

    def to_json(self) -> bytes:
        """The lock file's content: this holder as UTF-8 JSON."""
        fields: dict[str, Any] = {"program": "xlcrm", **asdict(self), "since": self.since.isoformat()}
        return json.dumps(fields, ensure_ascii=False).encode("utf-8")

    def describe(self) -> Message:
        """``ivan on OFFICE-PC (process 4242) since 02.12.2026 09:14:05``."""
        return t(
            "{user} on {computer} (process {pid}) since {since}",
            user=self.user,
            computer=self.host,
            pid=self.pid,
            since=self.since.strftime(_TIME_FORMAT),
        )

    @property
    def on_this_computer(self) -> bool:
        """Whether the holder runs on this computer (only then can its process be looked up)."""
        return self.host.casefold() == _host_name().casefold()


def run_lock_path(workbook: Path) -> Path:
    """The lock file xlcrm keeps beside ``workbook`` while it changes it."""
    return workbook.parent / f"{LOCK_PREFIX}{workbook.name}"


@contextmanager
def holding_run_lock(workbook: Path) -> Iterator[RunLockHolder | None]:
    """Hold xlcrm's lock on ``workbook`` (see the module's docstring) for the ``with`` block.

    Waits up to ``WAIT_SECONDS`` while another run holds it, then raises
    ``WorkbookLocked`` naming that run. Yields this run's holder, or None when this thread holds the lock
    already (an inner ``with`` changes nothing).
    """
    workbook = Path(workbook)
    key = path_key(workbook)
    with _HELD_GUARD:
        reentered = _HELD.get(key) == threading.get_ident()
    if reentered:
        yield None
        return
    with ending_signals_raise():
        lock = run_lock_path(workbook)
        holder = _acquire(workbook, lock, WAIT_SECONDS)
        owner = None
        try:
            with _HELD_GUARD:
                _HELD[key] = threading.get_ident()
            _remove_left_over_owner_file(workbook)
            if find_lock(workbook) is None:  # beside a lock of Excel or LibreOffice no owner file is written
                owner = write_owner_file(workbook, holder.owner)
            yield holder
        finally:
            with _HELD_GUARD:
                _HELD.pop(key, None)
            if owner is not None:
                remove_owner_file(owner)
            _release(lock, holder)


def read_run_lock(workbook: Path) -> RunLockHolder | None:
    """The run that holds xlcrm's lock on ``workbook``; None when there is no lock or it cannot be read."""
    try:
        return RunLockHolder.from_json(read_head(run_lock_path(Path(workbook)), _LOCK_READ_LIMIT))
    except OSError:
        return None


@contextmanager
def ending_signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise SystemExit during the block, so that its ``finally`` clauses run.

    Only the main thread can set signal handlers; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(number: int, _frame: Any) -> None:
        raise SystemExit(128 + number)

    previous = {number: signal.signal(number, stop) for number in _ENDING_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@dataclass(frozen=True)
class _FoundLock:
    """A lock file of another run as read."""

    content: bytes
    modified: float  # st_mtime
    holder: RunLockHolder | None  # None: empty, or not understood

    def left_over(self) -> bool:
        """Whether the run that took this lock certainly no longer runs."""
        if self.holder is None:
            return not self.content and time.time() - self.modified > UNWRITTEN_AFTER.total_seconds()
        holder = self.holder
        if not holder.on_this_computer:
            return False  # its processes cannot be seen from here
        if not _process_running(holder.pid):
            return True
        # The number may belong to a later process by now (the computer was restarted, or numbers came round).
        current = _process_identity(holder.pid)
        return holder.process is not None and current is not None and current != holder.process


def _acquire(workbook: Path, lock: Path, wait: float) -> RunLockHolder:
    """Create ``lock`` for this process, waiting up to ``wait`` seconds while another run holds it."""
    me = RunLockHolder.of_this_process()
    deadline = time.monotonic() + wait
    while True:
        try:
            if create_whole(lock, me.to_json()):
                return me
        except OSError as exc:
            raise WriteError(
                t(
                    "cannot write {path}: cannot create xlcrm's lock file {lock} in {folder} ({reason}); "
                    "nothing was changed",
                    path=workbook,
                    lock=lock.name,
                    folder=lock.parent.resolve(),
                    reason=os_reason(exc),
                )
            ) from None
        found = _read_lock(lock)
        if found is None:  # released just now
            continue
        if found.left_over():
            _take_over(workbook, lock, found)
            continue
        if time.monotonic() >= deadline:
            raise WorkbookLocked(_held_message(workbook, lock, found.holder))
        time.sleep(POLL_SECONDS)


def _take_over(workbook: Path, lock: Path, found: _FoundLock) -> None:
    """Remove a left-over lock, so that the next try can take the lock.

    The lock is first moved aside and checked to be the one judged left over: another run may have taken it
    over and locked anew in between, and its lock is then put back.
    """
    aside = lock.with_name(f"{LOCK_PREFIX}left-over-{uuid.uuid4().hex}")  # short: the workbook's name may be long
    try:
        os.replace(lock, aside)
    except FileNotFoundError:  # another run took it over first
        return
    except OSError as exc:
        raise WorkbookLocked(
            t(
                "{path}: cannot remove the lock file {lock} that an xlcrm run which no longer runs left behind "
                "({reason}); delete it and run again",
                path=workbook,
                lock=lock,
                reason=os_reason(exc),
            )
        ) from None
    try:
        moved = read_head(aside, _LOCK_READ_LIMIT)
        if moved != found.content:
            try:
                os.link(aside, lock)
            except OSError:  # a third run locked meanwhile: it holds the lock now
                pass
    finally:
        aside.unlink(missing_ok=True)


def _remove_left_over_owner_file(workbook: Path) -> None:
    """Delete an owner file an xlcrm run left beside ``workbook`` (killed, or its lock deleted by hand).

    Called with the lock held, so no xlcrm run that wrote one still works on the workbook; a person's owner
    file (Excel's, LibreOffice's) never names "… (xlcrm)" as exactly as xlcrm writes it, and is left alone.
    """
    owner = owner_file_path(workbook)
    try:
        content = read_head(owner, _LOCK_READ_LIMIT)
    except OSError:
        return
    name = parse_excel_owner_file(content)
    if name is not None and name.endswith(_OWNER_SUFFIX) and content == owner_file_content(name):
        owner.unlink(missing_ok=True)


def _release(lock: Path, holder: RunLockHolder) -> None:
    """Delete ``lock`` if it is still this run's."""
    try:
        if RunLockHolder.from_json(read_head(lock, _LOCK_READ_LIMIT)) == holder:
            lock.unlink()
    except OSError:
        pass


def _read_lock(lock: Path) -> _FoundLock | None:
    try:
        content = read_head(lock, _LOCK_READ_LIMIT)
        modified = lock.stat().st_mtime
    except FileNotFoundError:
        return None
    except OSError:  # there but unreadable: somebody's lock all the same
        return _FoundLock(b"?", time.time(), None)
    return _FoundLock(content, modified, RunLockHolder.from_json(content))


def _held_message(workbook: Path, lock: Path, holder: RunLockHolder | None) -> Message:
    if holder is None:
        return t(
            "{path} is locked by another xlcrm run, but its lock file {lock} cannot be read; if no xlcrm is "
            "working on that workbook, delete the lock file and run again",
            path=workbook,
            lock=lock,
        )
    # A run killed on this computer is noticed where the system tells a process apart from a later one of the
    # same number (Linux); elsewhere, and for another computer, only a person can tell: say how.
    if holder.on_this_computer:
        return t(
            "{path} is being changed by another xlcrm run: {holder}; run again when it has finished (if that run "
            "was stopped without finishing, delete {lock} and run again)",
            path=workbook,
            holder=holder.describe(),
            lock=lock,
        )
    return t(
        "{path} is being changed by another xlcrm run: {holder}; run again when it has finished (if that run "
        "was stopped without finishing, e.g. its computer crashed, delete {lock} and run again)",
        path=workbook,
        holder=holder.describe(),
        lock=lock,
    )


def _process_running(pid: int) -> bool:
    """Whether a process numbered ``pid`` runs on this computer; True when that cannot be told."""
    if pid <= 0:
        return True
    if os.name == "nt":
        return _windows_process_running(pid)
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and belongs to another user
        return True
    return True


def _windows_process_running(pid: int) -> bool:
    # os.kill(pid, 0) would send Ctrl+C on Windows: ask the kernel instead.
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]  # Windows only
    query_limited_information, still_active, invalid_parameter = 0x1000, 259, 87
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        last_error: int = ctypes.get_last_error()  # type: ignore[attr-defined]  # Windows only
        return last_error != invalid_parameter
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)


def _process_identity(pid: int) -> str | None:
    """The boot and the start time of process ``pid`` (Linux): different for a later process with its number."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the command name before ")" may hold spaces
    return f"{boot}/{fields[19]}" if len(fields) > 19 else None


def _user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in the environment or the password database
        return "unknown user"


def _host_name() -> str:
    return socket.gethostname() or "unknown computer"


# The workbooks whose lock this process holds (by normalised path), and the thread holding each.
_HELD: dict[str, int] = {}
_HELD_GUARD = threading.Lock()
