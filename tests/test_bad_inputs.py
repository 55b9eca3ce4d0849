"""A corpus of bad inputs given to a writing command: each gets one clear line, a non-zero exit and no change.

Every case runs ``xlcrm refresh`` (the command that writes into an existing
workbook) and checks the exact ``Error:`` line or its key words, the exit code,
that no traceback is shown, and that the folder holding the workbook is
byte-for-byte as it was: no temp files, no backups, no half-written output.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from tests.conftest import give_to_nobody, run_unprivileged
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create import template
from xlcrm.errors import XlcrmError
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.messages import speaking

TODAY = "2026-11-23"


def good_workbook(path: Path, locale: str = "en") -> Path:
    """A small valid workbook: a client with an order, in the template xlcrm makes."""
    rows = {
        "clients": [
            {
                "client_id": "C000001",
                "name": "Ivan Petrov",
                "company": "Romashka LLC",
                "phone": "+7 916 123-45-67",
                "manager": template.settings_lists(locale)["managers"][0],
            }
        ],
        "interactions": [
            {"date": dt.date(2026, 10, 1), "client_id": "C000001", "type": schema.ORDER.name(locale), "amount": 1000}
        ],
    }
    template.build_workbook(locale, rows=rows).save(path)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(folder.rglob("*"))
    }


def edit_with_openpyxl(path: Path, change: Callable[[openpyxl.Workbook], None]) -> None:
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)


# --- the corpus ----------------------------------------------------------------------------------


@dataclass
class Case:
    """A bad input: ``make`` prepares the folder and returns the command-line arguments."""

    make: Callable[[Path], list[str]]
    expected: tuple[str, ...]  # words the one Error: line must contain
    exit_code: int = 1


def excel_lock(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")
    name = "Anna Smirnova"
    owner = bytes([len(name)]) + name.encode("latin-1").ljust(53, b" ") + bytes([len(name), 0])
    owner += name.encode("utf-16-le").ljust(110, b"\0")
    (folder / "~$clients.xlsx").write_bytes(owner[:165])
    return [str(path)]


def libreoffice_lock(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")
    (folder / ".~lock.clients.xlsx#").write_text(
        ",Ivan Petrov,OFFICE-PC,23.11.2026 09:14,file:///home/ivan/.config/libreoffice/4;", encoding="utf-8"
    )
    return [str(path)]


def locked_output(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")
    good_workbook(folder / "copy.xlsx")
    (folder / ".~lock.copy.xlsx#").write_text(",Olga,LAPTOP,23.11.2026 08:00,file:///x;", encoding="utf-8")
    return [str(path), "--output", str(folder / "copy.xlsx")]


def truncated_zip(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return [str(path)]


def corrupt_member(folder: Path) -> list[str]:
    """A zip whose directory is intact but whose sheet data is garbage (a bad CRC)."""
    path = good_workbook(folder / "clients.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 5
    data[start : start + 20] = b"\xff" * 20
    path.write_bytes(bytes(data))
    return [str(path)]


def wrong_extension(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")
    renamed = path.rename(folder / "clients.dat")
    return [str(renamed)]


def password_protected(folder: Path) -> list[str]:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    plain = good_workbook(folder / "plain.xlsx")
    encrypted = io.BytesIO()
    with plain.open("rb") as handle:
        ooxml.OOXMLFile(handle).encrypt("secret", encrypted)
    plain.unlink()
    path = folder / "clients.xlsx"
    path.write_bytes(encrypted.getvalue())
    return [str(path)]


def old_xls(folder: Path) -> list[str]:
    path = folder / "clients.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + b"Workbook".ljust(512, b"\0"))
    return [str(path)]


def missing_sheet(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")
    edit_with_openpyxl(path, lambda book: book.remove(book[schema.INTERACTIONS.en]))
    return [str(path)]


def missing_column(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")

    def drop_client_id(book: openpyxl.Workbook) -> None:
        sheet = book[schema.CLIENTS.en]
        for table in list(sheet.tables):
            del sheet.tables[table]
        sheet.delete_cols(1)

    edit_with_openpyxl(path, drop_client_id)
    return [str(path)]


def headers_on_row_3(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")

    def push_down(book: openpyxl.Workbook) -> None:
        sheet = book[schema.CLIENTS.en]
        for table in list(sheet.tables):
            del sheet.tables[table]
        sheet.insert_rows(1, 2)
        sheet["A1"] = "Our clients"

    edit_with_openpyxl(path, push_down)
    return [str(path)]


def merged_header(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")

    def merge(book: openpyxl.Workbook) -> None:
        sheet = book[schema.CLIENTS.en]
        for table in list(sheet.tables):
            del sheet.tables[table]
        sheet.merge_cells("B1:C1")  # Name and Company become one header cell

    edit_with_openpyxl(path, merge)
    return [str(path)]


def huge_csv(folder: Path) -> list[str]:
    path = folder / "clients.xlsx"
    line = b"C000001;Ivan Petrov;Romashka;+79161234567\n"
    with path.open("wb") as handle:
        handle.write(b"ClientID;Name;Company;Phone\n")
        for _ in range(20):
            handle.write(line * 100_000)  # 2,000,000 rows
    return [str(path)]


def html_table(folder: Path) -> list[str]:
    path = folder / "export.xlsx"
    path.write_text("<html><body><table><tr><td>Название компании</td></tr></table></body></html>", encoding="utf-8")
    return [str(path)]


def empty_file(folder: Path) -> list[str]:
    path = folder / "clients.xlsx"
    path.touch()
    return [str(path)]


def docx_like_zip(folder: Path) -> list[str]:
    path = folder / "clients.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return [str(path)]


def ods_renamed(folder: Path) -> list[str]:
    path = folder / "clients.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return [str(path)]


def missing_path(folder: Path) -> list[str]:
    return [str(folder / "nowhere.xlsx")]


def folder_as_path(folder: Path) -> list[str]:
    (folder / "clients.xlsx").mkdir()
    return [str(folder / "clients.xlsx")]


def output_in_missing_folder(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")
    return [str(path), "--output", str(folder / "no" / "such" / "copy.xlsx")]


def output_wrong_extension(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")
    return [str(path), "--output", str(folder / "copy.csv")]


def bad_today(folder: Path) -> list[str]:
    path = good_workbook(folder / "clients.xlsx")
    return [str(path), "--today", "2026-13-45"]


def broken_link(folder: Path) -> list[str]:
    (folder / "clients.xlsx").symlink_to(folder / "gone.xlsx")
    return [str(folder / "clients.xlsx")]


def with_clients_xml(folder: Path, change: Callable[[bytes], bytes]) -> list[str]:
    """A good workbook whose Clients sheet XML (sheet1.xml in the template) is changed by ``change``, deflated as
    tightly as zlib can."""
    good = good_workbook(folder / "good.xlsx")
    path = folder / "clients.xlsx"
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as new:
        for entry in old.infolist():
            data = old.read(entry.filename)
            new.writestr(entry.filename, change(data) if entry.filename == "xl/worksheets/sheet1.xml" else data)
    good.unlink()
    return [str(path)]


def whitespace_bomb(folder: Path) -> list[str]:
    """64 MB of spaces between two tags: 64 KB deflated, 1,000× compressed."""
    return with_clients_xml(folder, lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * 64 * 2**20))


def cell_over_excels_limit(folder: Path) -> list[str]:
    """A cell of 40,000 letters, which no Excel writes (openpyxl and xlsxwriter cut it to 32,767)."""
    return with_clients_xml(folder, lambda xml: xml.replace(b"<t>Ivan Petrov</t>", b"<t>" + b"x" * 40_000 + b"</t>"))


def value_at_the_right_edge(folder: Path) -> list[str]:
    """A stray value in the last column Excel has: no room right of it for the computed columns."""
    path = good_workbook(folder / "clients.xlsx")
    book = openpyxl.load_workbook(path)
    book[schema.CLIENTS.en]["XFD2"] = "x"
    book.save(path)
    return [str(path)]


CASES: dict[str, Case] = {
    "locked by Excel": Case(excel_lock, ("open in Excel", "Anna Smirnova", "--ignore-lock")),
    "locked by LibreOffice": Case(libreoffice_lock, ("open in LibreOffice", "Ivan Petrov", "OFFICE-PC")),
    "output locked": Case(locked_output, ("copy.xlsx", "open in LibreOffice", "Olga")),
    "truncated zip": Case(truncated_zip, ("damaged",)),
    "corrupt sheet data": Case(corrupt_member, ("damaged",)),
    "wrong extension": Case(wrong_extension, ("extension .dat", ".xlsx or .xlsm")),
    "password-protected": Case(password_protected, ("password-protected",)),
    "old .xls": Case(old_xls, ("97-2003", "save it as .xlsx")),
    "missing sheet": Case(missing_sheet, ("Interactions",)),
    "missing required column": Case(missing_column, ("ClientID",)),
    "headers on row 3": Case(headers_on_row_3, ("row 3",)),
    "merged header cells": Case(merged_header, ("Company",)),
    "2 million rows in a CSV": Case(huge_csv, ("text or CSV",)),
    "HTML table renamed": Case(html_table, ("text or CSV",)),
    "empty file": Case(empty_file, ("empty",)),
    "zip that is not a workbook": Case(docx_like_zip, ("not an Excel workbook",)),
    "OpenDocument renamed": Case(ods_renamed, ("not an Excel workbook",)),
    "missing path": Case(missing_path, ("no such file",)),
    "folder as path": Case(folder_as_path, ("is a folder",)),
    "output in a missing folder": Case(output_in_missing_folder, ("no such folder",), exit_code=2),
    "output with another extension": Case(output_wrong_extension, (".csv",), exit_code=2),
    "today not a date": Case(bad_today, ("2026-13-45",), exit_code=2),
    "broken link": Case(broken_link, ("no such file",)),
    "value at the right edge": Case(value_at_the_right_edge, ("Clients!XFD2", "right edge", "11 free columns")),
    "decompression bomb": Case(
        whitespace_bomb, ("sheet 'Clients' (xl/worksheets/sheet1.xml) inflates from", "decompression bomb")
    ),
    "cell over Excel's limit": Case(
        cell_over_excels_limit, ("sheet 'Clients', cell B2, holds a text of 40,000 characters", "32,767")
    ),
}


def run_refresh(args: list[str]) -> Result:
    return CliRunner().invoke(
        cli, ["refresh", *args, "--today", TODAY] if "--today" not in args else ["refresh", *args]
    )


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_clearly_and_changes_nothing(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    args = case.make(tmp_path)
    before = snapshot(tmp_path)

    result = run_refresh(args)

    assert result.exit_code == case.exit_code, result.output
    assert "Traceback" not in result.output
    errors = error_lines(result)
    assert len(errors) == 1, result.output
    for words in case.expected:
        assert words in errors[0], errors[0]
    assert snapshot(tmp_path) == before


# Bad inputs that are one problem to the user, so one message fits them.
SAME_PROBLEM = (
    {"truncated zip", "corrupt sheet data"},  # a damaged zip, however it was damaged
    {"2 million rows in a CSV", "HTML table renamed"},  # text saved under a workbook's name
    {"zip that is not a workbook", "OpenDocument renamed"},  # a zip without a workbook inside
    {"missing path", "broken link"},  # nothing to open at that name
)


def test_each_case_is_told_apart_from_the_others(tmp_path: Path) -> None:
    """A message general enough to fit every bad input would pass the test above: two different problems must
    never get the same message (paths aside)."""
    said: dict[str, str] = {}
    for number, (name, case) in enumerate(CASES.items()):
        folder = tmp_path / str(number)
        folder.mkdir()
        errors = error_lines(run_refresh(case.make(folder)))
        said[name] = re.sub(re.escape(str(folder)) + r"/[^\s:;]+", "<file>", errors[0]) if errors else ""
    for name, message in said.items():
        alike = {other for other, error in said.items() if error == message}
        expected = next((group for group in SAME_PROBLEM if name in group), {name})
        assert alike == expected, f"{name!r} and {sorted(alike - expected)} get the same message: {message}"


# What a Russian run says for each bad input (the library inside ``speaking("ru")``; the command line's --lang
# only chooses that language): its own words, each in the one message. The texts of the checks a refresh refuses
# for (a missing sheet or column) are the checks' own; the sentence around them is said here.
RUSSIAN: dict[str, tuple[str, ...]] = {
    "locked by Excel": ("открыта в Excel", "Anna Smirnova", "закройте её", "--ignore-lock"),
    "locked by LibreOffice": ("открыта в LibreOffice", "Ivan Petrov на компьютере OFFICE-PC", "с 23.11.2026 09:14"),
    "output locked": ("copy.xlsx открыта в LibreOffice", "Olga"),
    "truncated zip": ("повреждён",),
    "corrupt sheet data": ("повреждён",),
    "wrong extension": ("расширение .dat", "только с файлами .xlsx и .xlsm"),
    "password-protected": ("защищена паролем", "--password"),
    "old .xls": ("97–2003", "сохраните как .xlsx"),
    "missing sheet": ("Книгу нельзя обновить", "Interactions"),
    "missing required column": ("Книгу нельзя обновить", "ClientID"),
    "headers on row 3": ("Книгу нельзя обновить",),
    "merged header cells": ("Книгу нельзя обновить", "Company"),
    "HTML table renamed": ("текстовый файл или CSV", "сохраните как «Книга Excel (*.xlsx)»"),
    "empty file": ("пустой (0 байт)",),
    "zip that is not a workbook": ("не книга Excel",),
    "OpenDocument renamed": ("не книга Excel",),
    "missing path": ("nowhere.xlsx не найден",),
    "folder as path": ("это папка",),
    "output in a missing folder": ("Папка", "не найдена"),
    "output with another extension": ("copy.csv: результат должен быть файлом .xlsx",),
    "broken link": ("не найден",),
    "value at the right edge": ("Clients!XFD2", "у правого края листа", "свободных столбцов: 11", "книга не изменена"),
    "decompression bomb": ("лист «Clients» (xl/worksheets/sheet1.xml) при распаковке вырастает", "«архивную бомбу»"),
    "cell over Excel's limit": ("лист «Clients», ячейка B2, содержит текст длиной 40\xa0000 символов", "32\xa0767"),
}


# Refused for what the checks find: their findings (the checks' own texts) are quoted in the message.
REFUSED_BY_CHECKS = {"missing sheet", "missing required column", "headers on row 3", "merged header cells"}


def refuse_in_russian(args: list[str]) -> XlcrmError:
    """The error ``refresh_workbook`` raises for the command-line ``args`` of a case."""
    output = Path(args[args.index("--output") + 1]) if "--output" in args else None
    with pytest.raises(XlcrmError) as raised:
        refresh_workbook(args[0], today=dt.date.fromisoformat(TODAY), save=SaveOptions(output=output))
    return raised.value


@pytest.mark.parametrize("name", list(RUSSIAN))
def test_a_russian_run_is_told_in_russian_and_nothing_changes(tmp_path: Path, name: str) -> None:
    args = CASES[name].make(tmp_path)
    before = snapshot(tmp_path)

    error = refuse_in_russian(args)
    with speaking("ru"):
        russian = str(error)

    for words in RUSSIAN[name]:
        assert words in russian, russian
    if name not in REFUSED_BY_CHECKS:
        words_only = re.sub(r"\S*/\S*", "", russian)  # paths and part names aside
        assert not re.search(r"\b(the|is|was|cannot|workbook)\b", words_only), russian  # no English sentence left
    assert snapshot(tmp_path) == before
    english = str(error)  # the same error, shown to an English run
    for words in CASES[name].expected:
        assert words in english, english


def test_every_case_has_its_russian_words() -> None:
    assert set(CASES) - set(RUSSIAN) == {"today not a date", "2 million rows in a CSV"}  # a CLI option; slow


def test_a_good_workbook_does_refresh(tmp_path: Path) -> None:
    """The corpus fails for its bad inputs, not because refresh fails on everything."""
    path = good_workbook(tmp_path / "clients.xlsx")
    result = run_refresh([str(path)])
    assert result.exit_code == 0, result.output
    assert any(name.startswith(schema.REPORT_MARKER) for name in openpyxl.load_workbook(path).sheetnames)


# --- permissions: root may write anything, so these run the CLI as "nobody" ---


def refresh_unprivileged(args: list[str]) -> tuple[int, str]:
    """Run ``xlcrm refresh`` as "nobody"; returns its exit code and stderr."""

    def refresh() -> tuple[int, str]:
        result = run_refresh(args)
        return result.exit_code, result.stderr

    return run_unprivileged(refresh)


def test_read_only_workbook(shared_folder: Path) -> None:
    path = good_workbook(shared_folder / "clients.xlsx")
    give_to_nobody(shared_folder, path)
    path.chmod(0o444)
    before = snapshot(shared_folder)
    code, stderr = refresh_unprivileged([str(path)])
    assert code == 1
    assert stderr == f"Error: cannot write {path}: the file is read-only; nothing was changed\n"
    assert snapshot(shared_folder) == before


def test_read_only_folder(shared_folder: Path) -> None:
    path = good_workbook(shared_folder / "clients.xlsx")
    give_to_nobody(path)
    shared_folder.chmod(0o555)
    before = snapshot(shared_folder)
    code, stderr = refresh_unprivileged([str(path)])
    assert code == 1
    assert "no permission to create files in the folder" in stderr and stderr.startswith("Error: ")
    assert snapshot(shared_folder) == before
