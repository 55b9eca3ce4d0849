"""Opening the workbook for a job, password-protected or not.

A job that only reads runs its work through ``open_to_read``, one that changes the workbook through
``open_to_change``. Both go through ``encryption.on_workbook``, so every job works on a password-protected
workbook when given its password.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from xlcrm.files import encryption
from xlcrm.files.safe_save import SaveOptions
from xlcrm.xlsx import reader

Result = TypeVar("Result")


def open_to_read(path: str | Path, password: str | None, read: Callable[[Path], Result]) -> Result:
    """``read(workbook)`` on the workbook at ``path``, decrypted first when it is password-protected."""
    return encryption.on_workbook(path, password, lambda work, _output, _backups: read(work))


def open_to_change(
    path: str | Path,
    password: str | None,
    save: SaveOptions,
    change: Callable[[Path, SaveOptions], Result],
    *,
    dry_run: bool = False,
) -> Result:
    """``change(workbook, save)`` on the workbook at ``path``.

    A password-protected workbook is decrypted for it and saved back protected (``change`` then saves the
    decrypted copy in place, keeping no backup); unless ``dry_run``, a workbook open elsewhere is refused before
    that.
    """
    return encryption.on_workbook(
        path,
        password,
        lambda work, output, keep_backups: change(
            work, dataclasses.replace(save, output=output, keep_backups=keep_backups)
        ),
        output=save.output,
        ignore_lock=save.ignore_lock,
        keep_backups=save.keep_backups,
        writes=not dry_run,
    )


def workbook_locale(path: str | Path) -> str | None:
    """The language of the workbook at ``path`` as its sheet names tell, read without reading the workbook; None
    when it cannot be told (missing, password-protected, not a workbook)."""
    return reader.workbook_locale(path)
