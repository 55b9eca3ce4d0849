"""Files beside a workbook: the prefix of xlcrm's own temporary files, small files created whole or not at all, and
paths no file can be at (a loop of symbolic links, a name longer than the file system allows)."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from xlcrm.messages import Message, t

# xlcrm's temporary files beside a workbook start with this; a save removes those older than an hour.
TEMP_PREFIX = ".xlcrm-tmp-"
# What the common file systems allow in one name (ext4, NTFS, APFS, SMB shares), in bytes here.
NAME_MAX_BYTES = 255


def path_problem(path: Path) -> Message | None:
    """Why ``path`` cannot name a file, in words for a user (a catalogue message, to put in an error's); None when
    it can (whether or not the file exists)."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return t("a symbolic link in it leads back to itself (a loop of links)")
        if exc.errno == errno.ENAMETOOLONG:
            longest = max(Path(path).parts, key=lambda part: len(os.fsencode(part)))
            size = len(os.fsencode(longest))
            if size > NAME_MAX_BYTES:
                return t(
                    "the name {name} is {size} bytes long; file names have at most {most} bytes",
                    name=repr(longest),
                    size=size,
                    most=NAME_MAX_BYTES,
                )
            return t("the path is longer than the file system allows")
    return None


def create_whole(path: Path, content: bytes) -> bool:
    """Create the small file ``path`` holding ``content``; False when it exists already (it is left alone).

    The content goes to a temporary file first, hard-linked into place (which fails when ``path`` exists, on
    network shares too), so a process killed half way leaves a temporary file that a later save removes,
    never an empty ``path``. Where the file system has no hard links (FAT, some shares), ``path`` is created
    with ``O_CREAT | O_EXCL`` and written at once: empty only for that moment.
    """
    handle, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}new-", dir=Path(path).parent)
    written = Path(name)
    try:
        try:
            os.write(handle, content)
            os.fsync(handle)
        finally:
            os.close(handle)
        os.chmod(written, 0o644)  # mkstemp makes it private: other users must read who holds the workbook
        try:
            os.link(written, path)
            return True
        except FileExistsError:
            return False
        except OSError:  # no hard links on this file system
            pass
    finally:
        written.unlink(missing_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(handle, content)
        os.fsync(handle)
    except OSError:
        os.close(handle)
        Path(path).unlink(missing_ok=True)
        raise
    os.close(handle)
    return True


def os_reason(exc: OSError) -> str:
    """What the system said went wrong, as a message quotes it ("no space left on device")."""
    return (exc.strerror or str(exc)).lower()


def read_head(path: Path, limit: int) -> bytes:
    """The first ``limit`` bytes of the file at ``path`` (a lock file: a few hundred bytes when it is one)."""
    with path.open("rb") as handle:
        return handle.read(limit)


def path_key(path: Path) -> str:
    """One text for every spelling of a file's path in this process (relative or absolute, letter case where the
    system ignores it), to keep what this process holds by file."""
    return os.path.normcase(os.path.abspath(path))
