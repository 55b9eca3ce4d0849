"""Noticing that a workbook is open in Excel or LibreOffice before writing it.

Both programs drop a small lock file beside the document they open and delete
it when the document is closed:

- LibreOffice writes ``.~lock.NAME#``: one CSV entry
  ``Full Name,login,HOST,DD.MM.YYYY HH:MM,profile-url;`` in UTF-8, where ``\\``
  escapes a ``,`` ``;`` or ``\\`` inside a field and the full name is empty
  when the user never filled it in.
- Excel writes the "owner file" ``~$NAME`` (162 or 165 bytes): a length byte
  and the user name in the Windows 8-bit code page, padding, then a 2-byte
  length and the same name in UTF-16-LE at offset 55 (Excel, PowerPoint) or 54
  (Word). Excel keeps the whole file name after ``~$``; Word drops the first
  two characters of longer names (``~$ficeReport.docx``) and some programs do
  the same for every file, so that form is recognised too. The layout follows
  LibreOffice's reader and writer for these files
  (``svl/source/misc/msodocumentlockfile.cxx``).

No lock is ever taken to be left over from a crash because of its age: a
workbook left open overnight, or over a holiday, is still open, and the
person's Excel would later save over what xlcrm wrote. ``--ignore-lock``
(``ignore_lock=True``) is the explicit way past a lock the user knows is left
over. Messages show when the document was opened: the time written in a
LibreOffice lock, else the lock file's time.

While xlcrm itself changes a workbook it writes an Excel owner file for it
(``write_owner_file``, see ``xlcrm.files.run_lock``), so a colleague opening the
workbook is told it is in use; the owner files this process wrote are not
taken for somebody else's lock.
"""

from __future__ import annotations

import datetime as dt
import errno
import threading
from dataclasses import dataclass
from pathlib import Path

from xlcrm.errors import WorkbookLocked
from xlcrm.messages import Message, Text, t
from xlcrm.runtime.paths import create_whole, path_key, read_head

LIBREOFFICE = "LibreOffice"
EXCEL = "Excel"

_LIBREOFFICE_TIME_FORMAT = "%d.%m.%Y %H:%M"
OWNER_FILE_MAX_NAME = 52  # Office refuses longer user names
_OWNER_FILE_UTF16_OFFSETS = (55, 54)  # Excel/PowerPoint, Word
_OWNER_FILE_SIZE = 165  # Excel's
_LOCK_FILE_READ_LIMIT = 4096  # real lock files are a few hundred bytes


@dataclass(frozen=True)
class LockInfo:
    """A lock file found beside a workbook and what it says about who holds the workbook."""

    kind: str  # EXCEL or LIBREOFFICE
    lock_path: Path
    user: str | None  # None when the lock file cannot be read or makes no sense
    host: str | None  # only LibreOffice records the computer
    since: dt.datetime  # local time the workbook was opened

    @property
    def holder(self) -> Text:
        """``Ivan Petrov on OFFICE-PC`` — as much as the lock file tells."""
        who: Text = self.user or t("an unknown user")
        return t("{user} on {computer}", user=who, computer=self.host) if self.host else who

    @property
    def since_text(self) -> str:
        """The lock's start time as LibreOffice writes it in its lock file."""
        return self.since.strftime(_LIBREOFFICE_TIME_FORMAT)


def lock_file_paths(path: Path) -> list[tuple[str, Path]]:
    """Where Excel and LibreOffice would put their lock file for ``path``, most informative first."""
    folder, name = path.parent, path.name
    candidates = [(LIBREOFFICE, folder / f".~lock.{name}#"), (EXCEL, folder / f"~${name}")]
    shortened = name[2:]
    # "~$" + name minus two characters is also the full-name owner file of a workbook called
    # ``shortened``; when that workbook exists beside ours the lock is its, not ours.
    if len(path.stem) > 2 and not (folder / shortened).exists():
        candidates.append((EXCEL, folder / f"~${shortened}"))
    return candidates


def find_lock(path: Path, *, now: dt.datetime | None = None) -> LockInfo | None:
    """The lock file beside ``path``, if Excel or LibreOffice has it open (an owner file xlcrm wrote itself in
    this process does not count); None when there is none."""
    path = Path(path)
    now = now or dt.datetime.now()
    for kind, lock_path in lock_file_paths(path):
        try:
            if not lock_path.exists():
                continue
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:  # no program can have made a lock file with that name
                continue
            raise
        try:
            opened = dt.datetime.fromtimestamp(lock_path.stat().st_mtime)
            content = read_head(lock_path, _LOCK_FILE_READ_LIMIT)
        except FileNotFoundError:  # closed just now
            continue
        except OSError:  # there but unreadable (a folder, no permission): still somebody's lock
            opened, content = now, b""
        if kind == LIBREOFFICE:
            user, host, recorded = parse_libreoffice_lock(content)
        else:
            if _is_own_owner_file(lock_path, content):
                continue
            user, host, recorded = parse_excel_owner_file(content), None, None
        return LockInfo(kind, lock_path, user, host, recorded or opened)
    return None


def check_not_locked(path: Path, *, ignore_lock: bool = False) -> LockInfo | None:
    """Refuse to go on while ``path`` is open elsewhere, however old the lock.

    Returns the lock that was let through with ``ignore_lock``, so the caller
    can warn about it, or None when there is none.
    """
    lock = find_lock(path)
    if lock is None or ignore_lock:
        return lock
    raise WorkbookLocked(
        t(
            "{path} is open in {program} by {holder} since {since}; close it there and run again "
            "(or use --ignore-lock if that lock is left over from a crash)",
            path=path,
            program=lock.kind,
            holder=lock.holder,
            since=lock.since_text,
        )
    )


def lock_warning(path: Path, lock: LockInfo) -> Message:
    """One line telling the user which lock was not obeyed."""
    return t(
        "{path} has a {program} lock by {holder} since {since} ({lock}); writing anyway because --ignore-lock "
        "was given",
        path=path,
        program=lock.kind,
        holder=lock.holder,
        since=lock.since_text,
        lock=lock.lock_path.name,
    )


def owner_file_path(path: Path) -> Path:
    """Where Excel puts its owner file for the workbook ``path``."""
    return path.parent / f"~${path.name}"


def owner_file_content(user: str) -> bytes:
    """An owner file naming ``user`` as Excel writes it: 165 bytes, the name's length and its 8-bit copy (``?``
    for what is not ASCII, the writer's code page being unknown), 0x20 padding, then at offset 55 the length
    again and the name in UTF-16-LE, then ``20 00`` pairs."""
    name = user[:OWNER_FILE_MAX_NAME]
    data = bytearray([len(name)]) + name.encode("ascii", errors="replace")
    data += b"\x20" * (_OWNER_FILE_UTF16_OFFSETS[0] - len(data))
    data += len(name).to_bytes(2, "little") + name.encode("utf-16-le")
    while len(data) < _OWNER_FILE_SIZE:
        data += b"\x20\x00"
    return bytes(data[:_OWNER_FILE_SIZE])


def write_owner_file(path: Path, user: str) -> Path | None:
    """Create Excel's owner file for the workbook ``path`` naming ``user``; returns it, or None when it could not
    be made: one is there already (never replaced: it may be a person's Excel), or the name is too long.

    Until ``remove_owner_file``, ``find_lock`` in this process does not count it as a lock.
    """
    owner = owner_file_path(path)
    content = owner_file_content(user)
    try:
        if not create_whole(owner, content):
            return None
    except OSError:
        return None
    with _OWN_OWNER_FILES_GUARD:
        _OWN_OWNER_FILES[path_key(owner)] = content
    return owner


def remove_owner_file(owner: Path) -> None:
    """Delete an owner file ``write_owner_file`` made, unless somebody replaced it meanwhile."""
    with _OWN_OWNER_FILES_GUARD:
        content = _OWN_OWNER_FILES.pop(path_key(owner), None)
    try:
        if content is not None and read_head(owner, _LOCK_FILE_READ_LIMIT) == content:
            owner.unlink()
    except OSError:  # gone already, or not ours to delete any more: leave it
        pass


def _is_own_owner_file(owner: Path, content: bytes) -> bool:
    with _OWN_OWNER_FILES_GUARD:
        return _OWN_OWNER_FILES.get(path_key(owner)) == content


# Owner files this process wrote for the workbooks it is changing, by path: their content.
_OWN_OWNER_FILES: dict[str, bytes] = {}
_OWN_OWNER_FILES_GUARD = threading.Lock()


def parse_libreoffice_lock(content: bytes) -> tuple[str | None, str | None, dt.datetime | None]:
    """(user, host, time opened) from a LibreOffice lock entry; None for each part that is missing or garbled."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None, None, None
    fields = _split_libreoffice_entry(text)
    if fields is None:
        return None, None, None
    full_name, login, host, opened = (fields + ["", "", "", ""])[:4]
    user = _plausible(full_name) or _plausible(login)
    try:
        recorded = dt.datetime.strptime(opened.strip(), _LIBREOFFICE_TIME_FORMAT)
    except ValueError:
        recorded = None
    return user, _plausible(host), recorded


def parse_excel_owner_file(content: bytes) -> str | None:
    """The user name in an Office owner file, or None when the bytes do not hold one."""
    if not content:
        return None
    ansi_length = content[0]
    for offset in _OWNER_FILE_UTF16_OFFSETS:
        length = int.from_bytes(content[offset : offset + 2], "little")
        if not 0 < length <= OWNER_FILE_MAX_NAME or (ansi_length and length != ansi_length):
            continue
        raw = content[offset + 2 : offset + 2 + 2 * length]
        if len(raw) != 2 * length:
            continue
        try:
            name = _plausible(raw.decode("utf-16-le"))
        except UnicodeDecodeError:
            continue
        if name:
            return name
    # No UTF-16 copy: the 8-bit copy is only trustworthy when it is plain ASCII,
    # since the code page of the writer's Windows is unknown.
    if 0 < ansi_length <= OWNER_FILE_MAX_NAME and len(content) > ansi_length:
        raw = content[1 : 1 + ansi_length]
        if raw.isascii():
            return _plausible(raw.decode("ascii"))
    return None


def _split_libreoffice_entry(text: str) -> list[str] | None:
    """Fields of the first ``a,b,c;`` entry, honouring ``\\`` escapes; None if there is no complete entry."""
    fields: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",;":
            fields.append("".join(current))
            current = []
            if char == ";":
                return fields
        else:
            current.append(char)
    return None


def _plausible(text: str) -> str | None:
    """``text`` stripped, or None when it is empty or holds control characters (a garbled file)."""
    text = text.strip()
    if not text or not text.isprintable():
        return None
    return text
