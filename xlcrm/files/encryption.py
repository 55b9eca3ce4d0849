"""Password-protected workbooks: opened with the password, worked on, saved back still protected.

Excel's "Encrypt with password" wraps the .xlsx in an OLE container
(ECMA-376 agile encryption); msoffcrypto-tool decrypts and encrypts it. A
command runs on a decrypted copy: a private file (mode 0600) beside the
workbook, named like xlcrm's other temporary files, so the next save removes
it if a crash left it behind. The copy is deleted on every way out of the
command (success, error, Ctrl+C, SIGTERM or SIGHUP), and the command's own
save into it keeps no backup and no saved copy (``xlcrm.files.saved_copy``), so no readable copy is kept anywhere. When
the command changed the copy, it is encrypted again with the same password
and put in place of the workbook by the usual safe save: lock check, "changed
since read" check, re-opened with the password before the replace, backup of
the previous (encrypted) version. A command that writes holds xlcrm's lock on
the workbook (``xlcrm.files.run_lock``) from before decrypting until after that
save; the decrypted copy itself is never locked, since nobody else opens it.

The password comes from ``--password`` or the ``XLCRM_PASSWORD`` environment
variable and is never printed or logged.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TypeVar

from python_calamine import CalamineError, CalamineWorkbook

from xlcrm.errors import EncryptedWorkbook, WriteError, XlcrmError, error_text, quoted, with_text_replaced
from xlcrm.files.run_lock import ending_signals_raise
from xlcrm.files.safe_save import DEFAULT_KEEP_BACKUPS, SaveResult, replace_workbook, workbook_lock
from xlcrm.files.saved_copy import remove_saved_copy
from xlcrm.messages import t
from xlcrm.runtime.paths import TEMP_PREFIX
from xlcrm.xlsx.reader import ENCRYPTED_STREAM, OLE_MAGIC, WORKBOOK_SUFFIXES, FileStamp

PASSWORD_ENV = "XLCRM_PASSWORD"

Result = TypeVar("Result")
# A command's library call: (workbook path, output path or None, backups to keep) -> its result.
Command = Callable[[Path, "Path | None", int], Result]


def is_encrypted(path: Path) -> bool:
    """Whether ``path`` is a password-protected Office file (an OLE container with an encrypted package)."""
    try:
        with path.open("rb") as handle:
            if handle.read(8) != OLE_MAGIC:
                return False
        return ENCRYPTED_STREAM in path.read_bytes()
    except OSError:
        return False


def decrypt(path: Path, password: str) -> bytes:
    """The plain .xlsx bytes of a protected workbook; EncryptedWorkbook for a wrong password."""
    import msoffcrypto  # here, not at the top: it loads the cryptography package, which most runs never need
    from msoffcrypto.exceptions import DecryptionError, InvalidKeyError

    try:
        with path.open("rb") as handle:
            office = msoffcrypto.OfficeFile(handle)
            office.load_key(password=password, verify_password=True)
            plain = io.BytesIO()
            office.decrypt(plain)
    except (InvalidKeyError, DecryptionError):
        raise EncryptedWorkbook(t("{path}: wrong password", path=path)) from None
    except OSError as exc:
        raise EncryptedWorkbook(
            t("{path} cannot be read: {reason}", path=path, reason=exc.strerror or str(exc))
        ) from None
    except Exception as exc:  # msoffcrypto raises bare exceptions for containers it does not understand
        raise EncryptedWorkbook(
            t("{path} is password-protected in a way xlcrm cannot open ({reason})", path=path, reason=str(exc))
        ) from None
    return plain.getvalue()


def encrypt(plain: Path, target: Path, password: str) -> None:
    """Write ``plain`` (an .xlsx) to ``target`` encrypted with ``password``, as Excel does."""
    from msoffcrypto.format.ooxml import OOXMLFile  # see decrypt

    with plain.open("rb") as source, target.open("wb") as out:
        OOXMLFile(source).encrypt(password, out)


def check_encrypted(path: Path, password: str, expected_sheets: Sequence[str]) -> None:
    """Re-open a protected workbook just written: the password opens it, and it holds the expected sheets."""
    try:
        data = decrypt(path, password)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            damaged = archive.testzip()
        if damaged is not None:
            raise WriteError(t("the saved copy is damaged (bad {part}); nothing was replaced", part=damaged))
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
        book.close()
    except (EncryptedWorkbook, zipfile.BadZipFile, CalamineError, ValueError) as exc:
        raise WriteError(
            t(
                "the saved copy could not be re-opened with the password ({reason}); nothing was replaced",
                reason=error_text(exc),
            )
        ) from None
    missing = [name for name in expected_sheets if name not in names]
    if missing:
        raise WriteError(
            t("the saved copy lacks sheets [{sheets}]; nothing was replaced", sheets=[quoted(name) for name in missing])
        )


def _private_copy(path: Path, data: bytes) -> Path:
    # The workbook's own extension: a decrypted .xlsm keeps its macros and is read as one.
    suffix = path.suffix.lower() if path.suffix.lower() in WORKBOOK_SUFFIXES else WORKBOOK_SUFFIXES[0]
    handle, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.stem}-", suffix=suffix, dir=path.parent)
    try:
        os.write(handle, data)
    finally:
        os.close(handle)
    return Path(name)


def on_workbook(
    path: str | Path,
    password: str | None,
    command: Command[Result],
    *,
    output: Path | None = None,
    ignore_lock: bool = False,
    keep_backups: int = DEFAULT_KEEP_BACKUPS,
    writes: bool = False,
) -> Result:
    """Run ``command`` on the workbook; a protected one is decrypted for it and saved back protected.

    An unprotected workbook is passed straight through (the password is not needed). The result of a
    protected one names the workbook, not the decrypted copy, and carries the save of the encrypted file.
    ``writes`` says the command means to change the workbook (not a dry run): a protected one is then
    refused before decrypting when the file to be written is open elsewhere, and xlcrm's lock on that file is
    held until the encrypted save is done.
    """
    path = Path(path)
    if not is_encrypted(path):
        return command(path, output, keep_backups)
    if not password:
        raise EncryptedWorkbook(
            t(
                "{path} is password-protected; give the password with --password or the {variable} "
                "environment variable",
                path=path,
                variable=PASSWORD_ENV,
            )
        )
    # The decrypted copy the command runs on is not locked (nobody else opens it): the workbook is, here.
    held = workbook_lock(path, output=output, ignore_lock=ignore_lock) if writes else nullcontext()
    with held, ending_signals_raise():
        stamp = FileStamp.of(path)
        plain = _private_copy(path, decrypt(path, password))
        try:
            before = FileStamp.of(plain).sha256
            try:
                result = command(plain, None, 0)  # no backups: they would be readable copies
            except XlcrmError as exc:
                raise with_text_replaced(exc, str(plain), str(path)) from None
            save = None
            if FileStamp.of(plain).sha256 != before:
                save = replace_workbook(
                    path,
                    lambda temp: encrypt(plain, temp, password),
                    stamp=stamp,
                    output=output,
                    ignore_lock=ignore_lock,
                    keep_backups=keep_backups,
                    check_saved=lambda temp, sheets: check_encrypted(temp, password, sheets),
                    expected_sheets=_sheet_names(plain),
                    keep_saved_copy=False,
                )
                # A copy kept before the workbook got its password would be readable without it.
                remove_saved_copy(save.path)
            return _shown_as(result, plain, save.path if save else (output or path), save)
        finally:
            plain.unlink(missing_ok=True)


def _sheet_names(path: Path) -> list[str]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        return list(book.sheet_names)
    finally:
        book.close()


def _shown_as(result: Result, plain: Path, path: Path, save: SaveResult | None) -> Result:
    """The result with the decrypted copy's path replaced by the workbook's, and the encrypted save."""
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        return result
    changes: dict[str, object] = {}
    values = {item.name: getattr(result, item.name) for item in dataclasses.fields(result)}
    if "path" in values and Path(values["path"]) == plain:
        changes["path"] = path
    if "save" in values and values["save"] is not None:
        changes["save"] = save
    return dataclasses.replace(result, **changes) if changes else result
