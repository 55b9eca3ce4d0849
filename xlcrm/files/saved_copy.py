"""The copy of the version xlcrm saved last, beside the workbook's backups, so the next run can tell what people
changed since: ``.xlcrm-backups/<stem>.last-saved<suffix>``.

Every save through ``xlcrm.files.safe_save.replace_workbook`` keeps one, replacing the one before; ``--keep-backups
0`` keeps it too, since noticing rows deleted by hand depends on it (``xlcrm.jobs.changes``). It is a copy, not a
hard link like a backup: Excel replaces a workbook by a new file, but openpyxl and other tools write into the file
itself, which would change a linked copy with it. It is copied under a temporary name first and renamed, so it is
never half-written. A password-protected workbook gets none: the copy would be readable without the password.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from xlcrm.runtime.paths import TEMP_PREFIX

# The folder beside a workbook where xlcrm keeps its backups and its saved copy.
BACKUP_FOLDER = ".xlcrm-backups"
SAVED_COPY_TAG = "last-saved"


def saved_copy_path(workbook: Path) -> Path:
    """Where the copy of the version of ``workbook`` xlcrm saved last is kept (it may not exist)."""
    return workbook.parent / BACKUP_FOLDER / f"{workbook.stem}.{SAVED_COPY_TAG}{workbook.suffix}"


def keep_saved_copy(workbook: Path) -> Path:
    """Copy ``workbook``, just saved, to its ``saved_copy_path`` (replacing the copy kept before); returns that path.

    An OSError when the copy cannot be made; the copy kept before is then left as it was.
    """
    copy = saved_copy_path(workbook)
    copy.parent.mkdir(exist_ok=True)
    copy_whole(workbook, copy)
    return copy


def remove_saved_copy(workbook: Path) -> None:
    """Delete the saved copy of ``workbook``, if there is one (a workbook that has since been protected by a
    password must not leave a readable copy)."""
    saved_copy_path(workbook).unlink(missing_ok=True)


def copy_whole(source: Path, destination: Path) -> None:
    """Copy under a temporary name, then rename, so ``destination`` only ever appears whole."""
    handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=source.suffix, dir=destination.parent)
    os.close(handle)
    partial = Path(name)
    try:
        shutil.copy2(source, partial)
        fsync_file(partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


def fsync_file(path: Path) -> None:
    """Flush the file's content to disk."""
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())
