"""Writing workbooks without ever leaving a half-written file behind.

A workbook is saved to a temporary file in the same folder, re-opened to check
it, and only then moved over the target with ``os.replace`` (atomic on the
same file system).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openpyxl import Workbook
from python_calamine import CalamineError, CalamineWorkbook

from xlcrm.errors import UsageError, WriteError

TEMP_PREFIX = ".xlcrm-tmp-"


def write_new_workbook(book: Workbook, path: Path, *, force: bool = False,
                       expected_sheets: list[str] | None = None) -> None:
    """Save a freshly built workbook to ``path``; refuses to replace an existing file unless ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; use --force to overwrite it")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise UsageError(f"{path}: the file name must end in .xlsx")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    handle, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=folder)
    os.close(handle)
    temp = Path(temp_name)
    try:
        book.save(temp)
        _check_saved(temp, expected_sheets or book.sheetnames)
        os.replace(temp, path)
    except PermissionError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror or 'permission denied'}") from None
    finally:
        temp.unlink(missing_ok=True)


def _check_saved(temp: Path, expected_sheets: list[str]) -> None:
    """Re-open what was just written: it must be a readable workbook with the expected sheets."""
    try:
        book = CalamineWorkbook.from_path(str(temp))
        names = list(book.sheet_names)
        book.close()
    except (CalamineError, OSError, ValueError) as exc:
        raise WriteError(f"the saved copy could not be re-opened ({exc}); nothing was replaced") from None
    missing = [name for name in expected_sheets if name not in names]
    if missing:
        raise WriteError(f"the saved copy lacks sheets {missing}; nothing was replaced")
