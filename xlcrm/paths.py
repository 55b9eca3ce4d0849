"""File names: the prefix of xlcrm's own temporary files, and paths no file can be at (a loop of symbolic links,
a name longer than the file system allows)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

# xlcrm's temporary files beside a workbook start with this; a save removes those older than an hour.
TEMP_PREFIX = ".xlcrm-tmp-"
# What the common file systems allow in one name (ext4, NTFS, APFS, SMB shares), in bytes here.
NAME_MAX_BYTES = 255


def path_problem(path: Path) -> str | None:
    """Why ``path`` cannot name a file, in words for a user; None when it can (whether or not the file exists)."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link in it leads back to itself (a loop of links)"
        if exc.errno == errno.ENAMETOOLONG:
            longest = max(Path(path).parts, key=lambda part: len(os.fsencode(part)))
            size = len(os.fsencode(longest))
            if size > NAME_MAX_BYTES:
                return f"the name {longest!r} is {size} bytes long; file names have at most {NAME_MAX_BYTES} bytes"
            return "the path is longer than the file system allows"
    return None
