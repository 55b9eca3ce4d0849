"""Clear one-line refusals for a full disk, over-long file names and symbolic link loops (issue 15, point 12).

Each: one ``Error:`` line naming the file the user gave, exit 1, no file touched,
never "unexpected failure" and never the name of xlcrm's temporary file.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from click.testing import CliRunner, Result

from tests.builders import valid_records, write_records
from xlcrm.cli.main import cli
from xlcrm.files.encryption import PASSWORD_ENV, encrypt
from xlcrm.files.safe_save import TEMP_PREFIX
from xlcrm.files.saved_copy import rows_path, saved_copy_path
from xlcrm.xlsx import zip_writer

TODAY = "2026-11-23"
PASSWORD = "secret"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_records(tmp_path / "clients.xlsx", "en", valid_records("en"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args)


def assert_one_error_line(result: Result, expected: str) -> None:
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == f"Error: {expected}\n"


class FullDisk:
    """A file that takes the first bytes written to it, then fails as a full disk does."""

    def __init__(self, handle: BinaryIO, room: int = 4096):
        self.handle, self.room = handle, room

    def write(self, data: bytes) -> int:
        if self.room < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.handle.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)


def test_a_full_disk_names_the_workbook_not_the_temporary_file(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_writer = zip_writer.ZipWriter.__init__

    def writer_on_a_full_disk(self: Any, handle: BinaryIO) -> None:
        real_writer(self, FullDisk(handle))

    monkeypatch.setattr(zip_writer.ZipWriter, "__init__", writer_on_a_full_disk)
    before = snapshot(workbook.parent)

    result = invoke(["refresh", str(workbook), "--today", TODAY])

    assert_one_error_line(result, f"cannot write {workbook}: {os.strerror(errno.ENOSPC)}")
    assert TEMP_PREFIX not in result.output
    assert snapshot(workbook.parent) == before


def long_name(size: int) -> str:
    """A workbook name of ``size`` bytes in UTF-8, Cyrillic as a Russian user's would be."""
    letters, odd = divmod(size - len(".xlsx"), 2)
    return "я" * letters + "a" * odd + ".xlsx"


def test_a_workbook_with_a_255_byte_name_is_read_but_not_written(workbook: Path) -> None:
    """Its backups and temporary files would need longer names than the file system allows."""
    path = workbook.rename(workbook.with_name(long_name(255)))
    assert len(os.fsencode(path.name)) == 255
    before = snapshot(path.parent)

    assert invoke(["validate", str(path)]).exit_code == 0
    result = invoke(["refresh", str(path), "--today", TODAY])

    assert_one_error_line(
        result,
        (
            f"cannot write {path}: its name is 255 bytes long, and xlcrm writes workbooks whose names have at most "
            "230 bytes (its backups add the date to the name); choose a shorter name; nothing was changed"
        ),
    )
    assert snapshot(path.parent) == before


@pytest.mark.parametrize("protected", [False, True])
def test_a_workbook_name_of_230_bytes_is_written_with_its_backup(workbook: Path, protected: bool) -> None:
    path = workbook.with_name(long_name(230))
    if protected:
        encrypt(workbook, path, PASSWORD)
        workbook.unlink()
    else:
        workbook.rename(path)
    result = CliRunner(env={PASSWORD_ENV: PASSWORD}).invoke(cli, ["refresh", str(path), "--today", TODAY])
    assert result.exit_code == 0, result.output
    kept = [p.name for p in (path.parent / ".xlcrm-backups").iterdir()]
    # A backup, and the saved copy with its row fingerprints unless the workbook is protected (the copy would be
    # readable without the password).
    assert [name.startswith(path.stem) for name in kept] == [True] * (1 if protected else 3)
    assert (saved_copy_path(path).name in kept) is not protected
    assert (rows_path(saved_copy_path(path)).name in kept) is not protected
    assert sorted(p.name for p in path.parent.iterdir()) == [".xlcrm-backups", path.name]


@pytest.mark.parametrize("size", [255, 257])
def test_an_output_name_too_long_is_refused(workbook: Path, size: int) -> None:
    output = workbook.with_name(long_name(size))
    before = snapshot(workbook.parent)

    result = invoke(["refresh", str(workbook), "--today", TODAY, "--output", str(output)])

    if size == 255:
        assert_one_error_line(
            result,
            (
                f"cannot write {output}: its name is 255 bytes long, and xlcrm writes workbooks whose names have at "
                "most 230 bytes (its backups add the date to the name); choose a shorter name; nothing was changed"
            ),
        )
    else:
        assert_one_error_line(
            result,
            (
                f"cannot write {output}: the name {output.name!r} is 257 bytes long; file names have at most 255 "
                "bytes; nothing was changed"
            ),
        )
    assert snapshot(workbook.parent) == before


@pytest.mark.parametrize("command", [["validate"], ["refresh", "--today", TODAY], ["dedupe"]])
def test_a_name_longer_than_any_file_system_allows(workbook: Path, command: list[str]) -> None:
    path = workbook.with_name(long_name(257))
    result = invoke([command[0], str(path), *command[1:]])
    assert_one_error_line(
        result, f"{path}: the name {path.name!r} is 257 bytes long; file names have at most 255 bytes"
    )


def test_init_with_a_name_too_long(tmp_path: Path) -> None:
    path = tmp_path / long_name(257)
    result = invoke(["init", str(path)])
    assert_one_error_line(
        result,
        (
            f"cannot write {path}: the name {path.name!r} is 257 bytes long; file names have "
            "at most 255 bytes; nothing was changed"
        ),
    )
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def loop(tmp_path: Path) -> Path:
    """``loop.xlsx`` -> ``other.xlsx`` -> ``loop.xlsx``."""
    (tmp_path / "loop.xlsx").symlink_to(tmp_path / "other.xlsx")
    (tmp_path / "other.xlsx").symlink_to(tmp_path / "loop.xlsx")
    return tmp_path / "loop.xlsx"


LOOP = "a symbolic link in it leads back to itself (a loop of links)"


@pytest.mark.parametrize("command", [["validate"], ["refresh", "--today", TODAY], ["dedupe"], ["unmerge", "M0001"]])
def test_a_symbolic_link_loop_as_the_workbook(loop: Path, command: list[str]) -> None:
    result = invoke([command[0], str(loop), *command[1:]])
    assert_one_error_line(result, f"{loop}: {LOOP}")


@pytest.mark.parametrize("inside", [False, True])
def test_a_symbolic_link_loop_as_the_output(workbook: Path, loop: Path, inside: bool) -> None:
    output = loop / "copy.xlsx" if inside else loop
    before = snapshot(workbook.parent)
    result = invoke(["refresh", str(workbook), "--today", TODAY, "--output", str(output)])
    assert_one_error_line(result, f"cannot write {output}: {LOOP}; nothing was changed")
    assert snapshot(workbook.parent) == before
