"""A Russian run is told why a workbook was not written in Russian, and the workbook is untouched (issue 19).

The errors keep their catalogue message: ``str(error)`` renders in the language the run speaks, so the same error
reads in English to an English run, word for word as before.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.builders import valid_records
from xlcrm import schema
from xlcrm.create.template import build_workbook
from xlcrm.errors import EncryptedWorkbook, NotAWorkbook, UsageError, WorkbookChanged, WorkbookLocked
from xlcrm.files import run_lock
from xlcrm.files.encryption import encrypt, on_workbook
from xlcrm.files.locks import check_not_locked
from xlcrm.files.run_lock import holding_run_lock, run_lock_path
from xlcrm.files.safe_save import replace_workbook
from xlcrm.jobs.init import create_template
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.messages import speaking, t
from xlcrm.xlsx.reader import FileStamp

PASSWORD = "Пароль 2026!"
TODAY = dt.date(2026, 11, 23)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: equal snapshots mean nothing at all was touched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def russian(error: BaseException) -> str:
    with speaking("ru"):
        return str(error)


@pytest.fixture
def protected(tmp_path: Path) -> Path:
    """A Russian workbook, password-protected as Excel does it."""
    records = valid_records("ru")
    records.pop(schema.SETTINGS.key)
    plain = tmp_path / "plain.xlsx"
    build_workbook("ru", rows=records).save(plain)
    path = tmp_path / "клиенты.xlsx"
    encrypt(plain, path, PASSWORD)
    plain.unlink()
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    workbook = Workbook()
    workbook.active.title = "Clients"
    workbook.active.append(["ClientID", "Name"])
    path = tmp_path / "clients.xlsx"
    workbook.save(path)
    return path


def test_a_wrong_password_is_told_in_russian(protected: Path) -> None:
    before = snapshot(protected.parent)
    with pytest.raises(EncryptedWorkbook) as raised:
        refresh_workbook(protected, today=TODAY, password="не тот")
    assert russian(raised.value) == f"Неверный пароль к книге {protected}; проверьте пароль и запустите команду снова"
    assert str(raised.value) == f"{protected}: wrong password"
    assert snapshot(protected.parent) == before


def test_a_protected_workbook_without_a_password_is_told_in_russian(protected: Path) -> None:
    before = snapshot(protected.parent)
    with pytest.raises(EncryptedWorkbook) as raised:
        refresh_workbook(protected, today=TODAY)
    assert russian(raised.value) == (
        f"Книга {protected} защищена паролем; укажите пароль в --password или в переменной окружения XLCRM_PASSWORD"
    )
    assert str(raised.value) == (
        f"{protected} is password-protected; give the password with --password or the XLCRM_PASSWORD environment "
        "variable"
    )
    assert snapshot(protected.parent) == before


def test_an_error_about_the_decrypted_copy_names_the_workbook_and_still_speaks_russian(protected: Path) -> None:
    """The decrypted copy's path is replaced by the workbook's in the message itself, not in an English text."""

    def refuse(work: Path, _output: object, _backups: int) -> None:
        raise NotAWorkbook(t("{path} is a folder, not a workbook", path=work))

    with pytest.raises(NotAWorkbook) as raised:
        on_workbook(protected, PASSWORD, refuse)
    assert russian(raised.value) == f"{protected} — это папка, а не книга Excel"
    assert str(raised.value) == f"{protected} is a folder, not a workbook"


def test_a_workbook_open_in_excel_is_told_in_russian(book: Path) -> None:
    owner = bytes([5]) + b"Anna".ljust(53, b" ")  # Excel's owner file, as far as the name goes
    (book.parent / "~$clients.xlsx").write_bytes(owner.ljust(165, b"\0"))
    before = snapshot(book.parent)
    with pytest.raises(WorkbookLocked) as raised:
        replace_workbook(book, lambda temp: None, stamp=FileStamp.of(book))
    text = russian(raised.value)
    assert text.startswith(f"Книга {book} открыта в Excel (кто открыл: ")
    assert "закройте её там и запустите команду снова" in text and "--ignore-lock" in text
    assert str(raised.value).startswith(f"{book} is open in Excel by ")
    assert snapshot(book.parent) == before


def test_a_lock_let_through_is_reported_in_russian(book: Path) -> None:
    (book.parent / ".~lock.clients.xlsx#").write_text(
        ",Иван Петров,OFFICE-PC,23.11.2026 09:14,file:///home/ivan;", encoding="utf-8"
    )
    lock = check_not_locked(book, ignore_lock=True)
    assert lock is not None
    book.write_bytes(book.read_bytes())
    result = replace_workbook(book, lambda temp: temp.write_bytes(book.read_bytes()), stamp=None, ignore_lock=True)
    with speaking("ru"):
        warnings = result.to_dict()["warnings"]
    assert warnings == [
        f"Книга {book} открыта в LibreOffice (кто открыл: Иван Петров на компьютере OFFICE-PC; с 23.11.2026 09:14; "
        "файл блокировки .~lock.clients.xlsx#); книга всё равно записана, потому что указан --ignore-lock"
    ]
    assert str(result.warnings[0]).endswith("writing anyway because --ignore-lock was given")


def test_a_workbook_changed_during_the_run_is_told_in_russian(book: Path) -> None:
    stamp = FileStamp.of(book)
    data = bytearray(book.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a colleague's save: same size, other bytes
    book.write_bytes(bytes(data))
    before = snapshot(book.parent)
    with pytest.raises(WorkbookChanged) as raised:
        replace_workbook(book, lambda temp: None, stamp=stamp)
    saved = dt.datetime.fromtimestamp(book.stat().st_mtime_ns / 1e9).strftime("%d.%m.%Y %H:%M:%S")
    assert russian(raised.value) == (
        f"Книгу {book} кто-то изменил, пока xlcrm с ней работал (размер тот же, но содержимое другое; последнее "
        f"сохранение {saved}); ничего не записано; запустите команду снова"
    )
    assert str(raised.value) == (
        f"{book} was changed by someone else since xlcrm read it (same size, different content; last saved "
        f"{saved}); nothing was written; run xlcrm again"
    )
    assert snapshot(book.parent) == before


def test_a_workbook_that_grew_during_the_run_is_told_in_russian(book: Path) -> None:
    stamp = FileStamp.of(book)
    book.write_bytes(book.read_bytes() + b"\0" * 10)
    with pytest.raises(WorkbookChanged) as raised:
        replace_workbook(book, lambda temp: None, stamp=stamp)
    assert f"(размер изменился с {stamp.size} до {stamp.size + 10} байт; последнее сохранение " in russian(raised.value)


def test_a_workbook_another_run_changes_is_told_in_russian(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.2)
    held = {"program": "xlcrm", "user": "anna", "host": "OTHER-PC", "pid": 4242, "since": "2026-11-23T09:14:05"}
    held |= {"process": None, "owner": "anna (xlcrm)", "token": "0" * 32}
    run_lock_path(book).write_text(json.dumps(held), encoding="utf-8")
    before = snapshot(book.parent)
    with pytest.raises(WorkbookLocked) as raised, holding_run_lock(book):
        pass
    assert russian(raised.value) == (
        f"Книгу {book} сейчас изменяет другой запуск xlcrm: anna на компьютере OTHER-PC (процесс 4242), с "
        "23.11.2026 09:14:05; запустите команду снова, когда он закончит (если тот запуск был прерван и не закончил "
        "работу, например его компьютер выключился из-за сбоя, удалите "
        f"{run_lock_path(book)} и запустите команду снова)"
    )
    assert str(raised.value).startswith(f"{book} is being changed by another xlcrm run: anna on OTHER-PC (process ")
    assert snapshot(book.parent) == before


def test_an_existing_file_is_not_overwritten_and_the_russian_run_is_told_why(tmp_path: Path) -> None:
    path = tmp_path / "база.xlsx"
    path.write_bytes(b"the owner's file")
    with pytest.raises(UsageError) as raised:
        create_template(path, "ru")
    assert russian(raised.value) == f"Файл {path} уже существует; чтобы записать поверх него, добавьте --force"
    assert path.read_bytes() == b"the owner's file"
