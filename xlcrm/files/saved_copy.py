"""The copy of the version xlcrm saved last, beside the workbook's backups, so the next run can tell what people
changed since: ``.xlcrm-backups/<stem>.last-saved<suffix>``.

Every save through ``xlcrm.files.safe_save.replace_workbook`` keeps one, replacing the one before; ``--keep-backups
0`` keeps it too, since noticing rows deleted by hand depends on it (``xlcrm.jobs.changes``). It is a copy, not a
hard link like a backup: Excel replaces a workbook by a new file, but openpyxl and other tools write into the file
itself, which would change a linked copy with it. It is copied under a temporary name first and renamed, so it is
never half-written. A password-protected workbook gets none: the copy would be readable without the password.

Beside the copy, ``<stem>.last-saved.xlsx.rows.npz`` keeps the compared sheets of the version read before the save as
row hashes (``xlcrm.checks.changes.SheetFingerprint``), each with the digest of what that read depended on
(``xlcrm.xlsx.sources``). A save leaves most sheets' parts as they were, so for such a sheet the digest matches the
copy's and the next run can tell rows only added without reading the copy's sheet (a million interactions take
seconds and hundreds of megabytes to read). A digest that does not match, or a file that cannot be read or was made
by another version, only means the copy's sheet is read. The hashes stand for people's data, so the file goes with
the copy, and ``xlcrm forget`` deletes it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from xlcrm.checks.changes import SheetFingerprint
from xlcrm.runtime.paths import TEMP_PREFIX

# The folder beside a workbook where xlcrm keeps its backups and its saved copy.
BACKUP_FOLDER = ".xlcrm-backups"
SAVED_COPY_TAG = "last-saved"
ROWS_SUFFIX = ".rows.npz"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:  # xlcrm run from a source folder, not installed
        return "not installed"


# What made the fingerprints: another reader or hashing may read or hash the same cells otherwise. The leading
# format changes whenever what a fingerprint holds or how its hashes are made changes.
_MADE_BY = "rows 3 " + " ".join(
    f"{package} {_version(package)}" for package in ("xlcrm", "python-calamine", "pandas", "numpy")
)


def saved_copy_path(workbook: Path) -> Path:
    """Where the copy of the version of ``workbook`` xlcrm saved last is kept (it may not exist)."""
    return workbook.parent / BACKUP_FOLDER / f"{workbook.stem}.{SAVED_COPY_TAG}{workbook.suffix}"


def rows_path(copy: Path) -> Path:
    """Where the row fingerprints kept beside the saved copy at ``copy`` are (they may not exist): named after the
    copy's whole name, so an .xlsx and an .xlsm of one name keep theirs apart."""
    return copy.with_name(copy.name + ROWS_SUFFIX)


def keep_saved_copy(workbook: Path, fingerprints: Mapping[str, SheetFingerprint] | None = None) -> Path:
    """Copy ``workbook``, just saved, to its ``saved_copy_path`` (replacing the copy kept before), with
    ``fingerprints`` (schema sheet key -> the sheet as read before the save) beside it; returns the copy's path.

    An OSError when the copy cannot be made; the copy kept before is then left as it was. Fingerprints that cannot
    be written are left out: the next run reads the copy instead.
    """
    copy = saved_copy_path(workbook)
    copy.parent.mkdir(exist_ok=True)
    rows = rows_path(copy)
    rows.unlink(missing_ok=True)  # the fingerprints of an earlier save go, whatever happens to this one's
    copy_whole(workbook, copy)
    if fingerprints:
        try:
            _write_fingerprints(fingerprints, rows)
        except OSError:
            rows.unlink(missing_ok=True)
    return copy


def remove_saved_copy(workbook: Path) -> None:
    """Delete the saved copy of ``workbook`` and its row fingerprints, if there are any (a workbook that has since
    been protected by a password must not leave a readable copy)."""
    saved_copy_path(workbook).unlink(missing_ok=True)
    remove_row_fingerprints(workbook)


def remove_row_fingerprints(workbook: Path) -> None:
    """Delete the row fingerprints kept with the saved copy of ``workbook``, if there are any: they stand for the
    values of its rows (the hash of a phone number is found by trying every number)."""
    rows_path(saved_copy_path(workbook)).unlink(missing_ok=True)


def kept_fingerprints(copy: Path) -> dict[str, SheetFingerprint]:
    """Schema sheet key -> fingerprint, as kept beside the saved copy at ``copy``; {} when there are none, they
    cannot be read, or another version made them."""
    try:
        with np.load(rows_path(copy), allow_pickle=False) as stored:
            if str(stored["made_by"]) != _MADE_BY:
                return {}
            keys = {name.split("/", 1)[0] for name in stored.files if "/" in name}
            return {key: _fingerprint(stored, key) for key in keys}
    except Exception:  # noqa: BLE001 - fingerprints that cannot be read only mean that the copy is read
        return {}


def _fingerprint(stored: Mapping[str, np.ndarray], key: str) -> SheetFingerprint:
    hashes, numbers = stored[f"{key}/row_hashes"], stored[f"{key}/row_numbers"]
    if hashes.dtype != np.uint64 or hashes.ndim != 1:
        raise ValueError(f"the row hashes of {key} are not one uint64 per row")
    if numbers.dtype != np.int32 or numbers.shape != hashes.shape:
        raise ValueError(f"the row numbers of {key} are not one int32 per row")
    return SheetFingerprint(
        str(stored[f"{key}/sheet_name"]),
        str(stored[f"{key}/source"]),
        tuple(str(header) for header in stored[f"{key}/headers"].tolist()),
        hashes,
        numbers.astype(np.int64),
    )


def _write_fingerprints(fingerprints: Mapping[str, SheetFingerprint], destination: Path) -> None:
    arrays: dict[str, np.ndarray] = {"made_by": np.array(_MADE_BY)}
    for key, found in fingerprints.items():
        arrays[f"{key}/sheet_name"] = np.array(found.sheet_name)
        arrays[f"{key}/source"] = np.array(found.source)
        arrays[f"{key}/headers"] = np.array(found.headers, dtype=str)
        arrays[f"{key}/row_hashes"] = np.asarray(found.row_hashes, dtype=np.uint64)
        arrays[f"{key}/row_numbers"] = np.asarray(found.row_numbers, dtype=np.int32)  # Excel's rows fit 32 bits
    with _written_whole(destination) as partial:
        np.savez(partial, allow_pickle=False, **arrays)


def copy_whole(source: Path, destination: Path) -> None:
    """Copy under a temporary name, then rename, so ``destination`` only ever appears whole."""
    with _written_whole(destination) as partial:
        shutil.copy2(source, partial)


@contextmanager
def _written_whole(destination: Path) -> Iterator[Path]:
    """A temporary file beside ``destination`` (with its suffix) for the block to write; flushed to disk and renamed
    to ``destination`` when the block ends, deleted when it fails, so ``destination`` only ever appears whole."""
    handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=destination.suffix, dir=destination.parent)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        fsync_file(partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


def fsync_file(path: Path) -> None:
    """Flush the file's content to disk."""
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())
