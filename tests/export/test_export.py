"""xlcrm export: SQLite (and SQLAlchemy URL) tables with keys, checked with sqlite3; the anonymised copy."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.builders import valid_records, write_records
from tests.conftest import convert_with_libreoffice
from tests.paths import REPO
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook
from xlcrm.export.text_masks import mask_email_cell, mask_emails, mask_inn, mask_phones, mask_text
from xlcrm.files.safe_save import SaveOptions, list_backups
from xlcrm.jobs.export import export_workbook
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.xlsx.package import write_report_sheets
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.report_sheet import ReportColumn, ReportSheet, ReportTable

TODAY = dt.date(2026, 11, 23)
EXTRA_HEADER = "Telegram"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """The clean workbook of the builders, refreshed (so it has report sheets), with a column of the user's own."""
    records = valid_records("en")
    settings = records.pop(schema.SETTINGS.key)
    assert settings
    path = tmp_path / "clients.xlsx"
    build_workbook("en", rows=records, lists={"managers": ["Anna", "Boris"]}).save(path)
    book = load_workbook(path)
    sheet = book[schema.CLIENTS.name("en")]
    column = sheet.max_column + 1
    sheet.cell(1, column, EXTRA_HEADER)
    sheet.cell(2, column, "@ivan_p")
    book.save(path)
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    return path


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def test_sqlite_tables_keys_and_a_join(workbook: Path, tmp_path: Path) -> None:
    target = tmp_path / "base.sqlite"
    saved = workbook.read_bytes()

    result = export_workbook(workbook, sqlite=target, today=TODAY)

    assert workbook.read_bytes() == saved
    records = valid_records("en")
    assert result.database is not None
    assert result.database.tables == {
        "clients": 2,
        "contacts": 1,
        "services": 2,
        "interactions": 5,
        "contracts": 0,
        "settings": len(schema.SETTINGS_KEYS),
        "setting_lists": result.database.tables["setting_lists"],
        "blocks": 8,
        "client_lifecycle": 2,
    }
    for table, count in result.database.tables.items():
        assert query(target, f"SELECT count(*) FROM {table}") == [(count,)]
    # Keys: ClientID is the key of clients; contacts, interactions, contracts and the lifecycle point at it.
    pk = {row[1] for row in query(target, "PRAGMA table_info(clients)") if row[5]}
    assert pk == {"client_id"}
    for table in ("contacts", "interactions", "contracts", "client_lifecycle"):
        links = {(row[2], row[3], row[4]) for row in query(target, f"PRAGMA foreign_key_list({table})")}
        assert ("clients", "client_id", "client_id") in links, table
    assert {row[1] for row in query(target, "PRAGMA table_info(interactions)") if row[5]} == {"excel_row"}
    assert query(target, "PRAGMA foreign_key_check") == []

    # Every value of Clients, by column key, dates as ISO dates.
    columns = [row[1] for row in query(target, "PRAGMA table_info(clients)")]
    stored = [dict(zip(columns, row)) for row in query(target, "SELECT * FROM clients ORDER BY excel_row")]
    for excel_row, (record, row) in enumerate(zip(records["clients"], stored), start=2):
        expected = {key: (value.isoformat() if isinstance(value, dt.date) else value) for key, value in record.items()}
        expected["inn"] = str(expected["inn"])
        assert {key: row[key] for key in expected} == expected
        assert row["excel_row"] == excel_row
    assert (stored[0][EXTRA_HEADER], stored[1][EXTRA_HEADER]) == ("@ivan_p", None)

    joined = query(
        target,
        "SELECT i.date, c.name, i.type, i.amount FROM interactions i "
        "JOIN clients c ON c.client_id = i.client_id ORDER BY i.excel_row",
    )
    assert joined == [
        ("2024-03-01", "Ivan Petrov", "Call out", None),
        ("2024-03-05", "Ivan Petrov", "Order", 45000),
        ("2024-04-02", "Olga Sidorova", "Agreement", None),
        ("2024-01-15", "Ivan Petrov", "Order", None),
        ("2024-02-12", "Ivan Petrov", "Order", None),
    ]
    lifecycle = query(
        target,
        "SELECT l.client_id, b.name_en, l.orders, l.revenue, l.last_order "
        "FROM client_lifecycle l JOIN blocks b ON b.number = l.block ORDER BY l.client_id",
    )
    # C000002 has only an agreement (2024) and never ordered: Active, never Dead by silence.
    assert lifecycle == [("C000001", "VIP", 3, 45000.0, "2024-03-05"), ("C000002", "Active", 0, 0.0, None)]
    assert query(target, "SELECT value FROM setting_lists WHERE list = 'managers' ORDER BY position") == [
        ("Anna",),
        ("Boris",),
    ]
    assert query(target, "SELECT value FROM settings WHERE key = 'regular_orders'") == [("3",)]


def test_a_sqlalchemy_url_gets_the_same_tables_and_force_replaces_them(workbook: Path, tmp_path: Path) -> None:
    target = tmp_path / "server.db"
    url = f"sqlite:///{target}"
    first = CliRunner().invoke(cli, ["export", str(workbook), "--url", url, "--today", "2026-11-23", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["database"]["tables"]["interactions"] == 5

    again = CliRunner().invoke(cli, ["export", str(workbook), "--url", url])
    assert again.exit_code == 2
    assert "already has the tables" in again.output and "--force" in again.output

    forced = CliRunner().invoke(cli, ["export", str(workbook), "--url", url, "--force"])
    assert forced.exit_code == 0, forced.output
    assert query(target, "SELECT count(*) FROM clients") == [(2,)]


def test_the_password_of_a_url_is_never_printed(workbook: Path) -> None:
    result = CliRunner().invoke(
        cli, ["export", str(workbook), "--url", "postgresql+nosuchdriver://owner:s3cret@localhost/crm"]
    )
    assert result.exit_code == 2
    assert "s3cret" not in result.output


def test_cells_that_would_break_a_key_or_type_are_named_and_nothing_is_written(tmp_path: Path) -> None:
    records = valid_records("en")
    records["clients"][1]["client_id"] = "C000001"
    records["interactions"][0]["date"] = "yesterday"
    records["interactions"][2]["client_id"] = "C000099"
    workbook = write_records(tmp_path / "dirty.xlsx", "en", records)
    target = tmp_path / "base.sqlite"

    result = CliRunner().invoke(cli, ["export", str(workbook), "--sqlite", str(target)])

    assert result.exit_code == 1
    assert result.output == (
        f"Error: {workbook} cannot be exported to a database until these cells are fixed (xlcrm validate lists "
        "them): Interactions!A2: 'yesterday' is not a date; Clients!A3: ClientID C000001 is also on row 2; "
        "Interactions!B4: no client C000099 on Clients\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dirty.xlsx"]


def test_existing_files_are_kept_without_force(workbook: Path, tmp_path: Path) -> None:
    target = tmp_path / "base.sqlite"
    target.write_bytes(b"mine")
    result = CliRunner().invoke(cli, ["export", str(workbook), "--sqlite", str(target)])
    assert result.exit_code == 2
    assert "already exists; use --force" in result.output
    assert target.read_bytes() == b"mine"
    forced = CliRunner().invoke(cli, ["export", str(workbook), "--sqlite", str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    assert query(target, "SELECT count(*) FROM interactions") == [(5,)]


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "say where to export"),
        (["--sqlite", "a.sqlite", "--url", "sqlite://"], "either --sqlite or --url"),
        (["--url", "not a url"], "not a database URL"),
        (["--anonymise", "SELF"], "is the workbook itself"),
        (["--sqlite", "SELF"], "is the workbook itself"),
    ],
)
def test_usage_errors(workbook: Path, args: list[str], message: str) -> None:
    args = [str(workbook) if arg == "SELF" else arg for arg in args]
    saved = workbook.read_bytes()
    result = CliRunner().invoke(cli, ["export", str(workbook), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.startswith("Error: ")
    assert workbook.read_bytes() == saved


# --- the anonymised copy -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mask, value, expected",
    [
        (mask_phones, "+7 916 123-45-67", "+7 *** ***-**-67"),
        (mask_phones, "8 (495) 123-45-67, +7 912 000 11 23", "8 (***) ***-**-67, +7 *** *** ** 23"),
        (mask_phones, 79161234567.0, "7********67"),
        (mask_emails, "ivan@romashka.ru", "i***@r*******.ru"),
        (mask_emails, "a.b@mail.co.uk, x@y.com", "a***@m*****.uk, x***@y.com"),
        (mask_email_cell, "ivan@romashka.ru", "i***@r*******.ru"),
        (mask_email_cell, "officelogistik.ru", "o***"),
        (mask_inn, "7707083893", "77********"),
        (mask_inn, 7707083893, "77********"),
        (
            mask_text,
            "звонил с 8 916 123 45 67 05.03.2024, счёт на 1 250 000, ivan@romashka.ru",
            "звонил с 8 *** *** ** 67 05.03.2024, счёт на 1 250 000, i***@r*******.ru",
        ),
    ],
)
def test_masks(mask, value: object, expected: str) -> None:
    assert mask(value) == expected


def test_anonymised_copy(workbook: Path, tmp_path: Path) -> None:
    target = tmp_path / "for accountant.xlsx"
    before = load_workbook(workbook)
    saved = workbook.read_bytes()

    result = CliRunner().invoke(cli, ["export", str(workbook), "--anonymise", str(target)])

    assert result.exit_code == 0, result.output
    assert workbook.read_bytes() == saved
    assert re.search(
        rf"Wrote the anonymised copy {re.escape(str(target))}: masked \d+ names, \d+ phones, \d+ e-mail addresses, "
        r"\d+ INNs, 1 address, 2 birthdays, 3 comments",
        result.output,
    ), result.output
    assert "Cells changed: 11 cells on Clients, 4 cells on Contacts, 2 cells on Interactions, 4 cells on ▸ Agenda" in (
        result.output
    )
    after = load_workbook(target)
    # the report sheets stay, masked; ▸ Changes (old values, of deleted rows too) is left out
    assert after.sheetnames == [name for name in before.sheetnames if name != "▸ Changes"]
    clients, contacts, interactions = (
        spec.name("en") for spec in (schema.CLIENTS, schema.CONTACTS, schema.INTERACTIONS)
    )
    masked = {
        (clients, "B2"): "Client 1",
        (clients, "B3"): "Client 2",
        (clients, "D2"): "77********",
        (clients, "D3"): "12**********",
        (clients, "E2"): "+7 *** ***-**-67",
        (clients, "E3"): "8 (***) ***-**-67",
        (clients, "F2"): "i***@r*******.ru",
        (clients, "F3"): "o***@e******.com",
        (clients, "H2"): None,  # the address; the City stays
        (clients, "I2"): dt.datetime(1980, 7, 1),  # the year of birth stays
        (clients, "P2"): "(hidden)",
        (contacts, "B2"): "Contact 1",
        (contacts, "D2"): "+7 *** ***-**-89",
        (contacts, "E2"): "m***@r*******.ru",
        (contacts, "F2"): dt.datetime(1990, 7, 1),
        (interactions, "H2"): "(hidden)",  # the Result
        (interactions, "J2"): "(hidden)",  # the Next action
    }
    originals = ["Ivan Petrov", "Olga Sidorova", "Maria Ivanova", "+7 916 123-45-67", "8 (495) 123-45-67"]
    for name in after.sheetnames:
        old, new = before[name], after[name]
        assert new.max_row == old.max_row and new.max_column == old.max_column, name
        for row in old.iter_rows():
            for cell in row:
                if name.startswith(schema.REPORT_MARKER) and cell.value in originals:
                    assert new[cell.coordinate].value not in originals, (name, cell.coordinate)
                    continue
                expected = masked.get((name, cell.coordinate), cell.value)
                assert new[cell.coordinate].value == expected, (name, cell.coordinate)
    data = read_workbook(target)
    assert list(data.sheets["clients"].frame["client_id"]) == ["C000001", "C000002"]


def test_a_sheet_the_workbook_lacks_is_an_empty_table_with_every_column(tmp_path: Path) -> None:
    records = valid_records("en")
    records.pop(schema.CONTACTS.key)
    workbook = write_records(tmp_path / "no_contacts.xlsx", "en", records)
    target = tmp_path / "base.sqlite"

    result = export_workbook(workbook, sqlite=target, today=TODAY)

    assert result.database is not None and result.database.tables["contacts"] == 0
    columns = [row[1] for row in query(target, "PRAGMA table_info(contacts)")]
    assert columns == ["excel_row"] + [c.key for c in schema.CONTACTS.columns]
    assert ("clients", "client_id", "client_id") in {
        (row[2], row[3], row[4]) for row in query(target, "PRAGMA foreign_key_list(contacts)")
    }


def test_an_anonymised_copy_replacing_a_workbook_keeps_a_backup_of_it(workbook: Path, tmp_path: Path) -> None:
    """--force over an existing workbook (perhaps a real one, named by mistake) keeps what was there."""
    target = tmp_path / "base.xlsx"
    shutil.copy(workbook, target)
    original = target.read_bytes()
    forced = CliRunner().invoke(cli, ["export", str(workbook), "--anonymise", str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    assert [backup.read_bytes() for backup in list_backups(target)] == [original]


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_the_lists_of_settings_are_exported_in_the_sheets_order(workbook: Path, tmp_path: Path, hash_seed: str) -> None:
    """Two exports of one workbook write the same rows in the same order, whatever Python's string hashing."""
    target = tmp_path / "base.sqlite"
    run = subprocess.run(
        [sys.executable, "-m", "xlcrm", "export", str(workbook), "--sqlite", str(target), "--today", TODAY.isoformat()],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr

    exported = list(dict.fromkeys(row[0] for row in query(target, "SELECT list FROM setting_lists ORDER BY rowid")))
    settings = read_workbook(workbook).sheets[schema.SETTINGS.key].frame
    lists = [key for key in settings.columns if key in schema.SETTINGS_LISTS or key == "managers"]
    assert exported == [key for key in lists if settings[key].notna().any()]


def test_an_anonymised_copy_keeps_no_cached_formula_result_nor_shared_original(workbook: Path, tmp_path: Path) -> None:
    """A workbook saved by LibreOffice (or Excel) holds the last result of each formula: the Client column of
    Interactions caches the client's full name; and its texts sit in a shared-string table, where a masked cell's
    original would stay. The copy keeps the formulas, drops those results and empties the entries no cell shows;
    LibreOffice computes the column again from the masked Clients sheet, and every other text is as it was."""
    saved_by_office = convert_with_libreoffice(workbook, "xlsx", tmp_path / "saved")
    client_column = schema.CLIENT_NAME.column.name("en")
    interactions = load_workbook(saved_by_office, data_only=True)[schema.INTERACTIONS.name("en")]
    headers = [cell.value for cell in interactions[1]]
    cached = {row[headers.index(client_column)] for row in interactions.iter_rows(min_row=2, values_only=True)}
    assert "Olga Sidorova" in cached  # the name a formula of the original caches
    target = tmp_path / "for accountant.xlsx"

    result = CliRunner().invoke(cli, ["export", str(saved_by_office), "--anonymise", str(target)])

    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    # Not in a formula's result, nor in the shared-string table LibreOffice keeps every text in.
    personal = ["Olga Sidorova", "Ivan Petrov", "Maria Ivanova", "ivan@romashka.ru", "7707083893", "8 (495) 123-45-67"]
    assert [(name, text) for name, xml in parts.items() for text in personal if text.encode() in xml] == []
    sheets = [xml for name, xml in parts.items() if name.startswith("xl/worksheets/sheet")]
    assert sheets and all(re.search(rb"</f>\s*<v|<f[^>]*/>\s*<v", xml) is None for xml in sheets)
    copy = load_workbook(target)[schema.INTERACTIONS.name("en")]
    assert str(copy.cell(2, headers.index(client_column) + 1).value).startswith("=")  # the formula stays
    recomputed = load_workbook(convert_with_libreoffice(target, "xlsx", tmp_path / "opened"), data_only=True)
    shown = {
        row[headers.index(client_column)]
        for row in recomputed[schema.INTERACTIONS.name("en")].iter_rows(min_row=2, values_only=True)
    }
    assert "Client 2" in shown and "Olga Sidorova" not in shown
    original, opened = load_workbook(saved_by_office), load_workbook(target)
    masked_sheets = {spec.name("en") for spec in (schema.CLIENTS, schema.CONTACTS, schema.INTERACTIONS)}
    for name in {name for name in opened.sheetnames if not name.startswith(schema.REPORT_MARKER)} - masked_sheets:
        for row in original[name].iter_rows():
            for cell in row:
                assert opened[name][cell.coordinate].value == cell.value, (name, cell.coordinate)


def test_the_json_of_an_anonymised_copy_counts_each_kind_like_the_library(workbook: Path, tmp_path: Path) -> None:
    printed = CliRunner().invoke(cli, ["export", str(workbook), "--anonymise", str(tmp_path / "cli.xlsx"), "--json"])
    assert printed.exit_code == 0, printed.output
    anonymised = json.loads(printed.stdout)["anonymised"]
    library = export_workbook(workbook, anonymise=tmp_path / "library.xlsx", keep_comments=True).anonymised
    assert library is not None
    assert set(anonymised) == {"path", "masked_cells", "masked", "left_out", "own"}
    assert anonymised["left_out"] == ["▸ Changes"] and anonymised["own"] == ["Clients: Telegram"]
    assert anonymised["masked"] == {
        "names": anonymised["masked"]["names"],
        "phones": 5,  # 2 on Clients, 1 on Contacts, 2 on the Agenda
        "emails": 3,
        "inn": 2,
        "addresses": 1,
        "birthdays": 2,
        "texts": 3,
    }
    kept = {kind.value: count for kind, count in library.masked.items()}
    assert kept == {key: count for key, count in anonymised["masked"].items() if key != "texts"}  # comments kept


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_a_report_sheet_xlcrm_cannot_mask_is_left_out(tmp_path: Path, locale: str) -> None:
    """▸ Changes lists the values cells held before, of rows since deleted too: nothing there says which are
    personal, so it is not copied; nor is a report sheet of a newer xlcrm this one does not know."""
    written = write_records(tmp_path / "written.xlsx", locale, valid_records(locale))
    unknown = [schema.CHANGES.name(locale), schema.REPORT_MARKER + "Later"]
    table = ReportTable("Old values", [ReportColumn("Old value")], [["Ivan Petrov; +7 916 123-45-67; Tverskaya 1"]])
    path = tmp_path / "clients.xlsx"
    write_report_sheets(written, path, [ReportSheet(name, "Title", "", (table,)) for name in unknown])
    book = load_workbook(path)
    target = tmp_path / "copy.xlsx"

    result = CliRunner().invoke(cli, ["export", str(path), "--anonymise", str(target), "--lang", "en"])

    assert result.exit_code == 0, result.output
    assert f"Report sheets left out of the copy: {', '.join(unknown)}" in result.output
    assert load_workbook(target).sheetnames == [name for name in book.sheetnames if name not in unknown]


def test_own_columns_and_sheets_are_copied_with_what_xlcrm_knows_as_personal_masked(tmp_path: Path) -> None:
    """A mobile phone in a column of the owner's, a buyer's name typed there, a note sheet naming the client with
    their phone and e-mail: phones, e-mails and the names masked elsewhere are masked there too, a formula stays,
    and the command names those columns and sheets, since what xlcrm does not know as personal stays."""
    records = valid_records("ru")
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    book = load_workbook(path)
    clients = book["Клиенты"]
    width = clients.max_column
    clients.cell(1, width + 1, "Моб. телефон")
    clients.cell(2, width + 1, "+7 916 555-44-33")
    clients.cell(1, width + 2, "Отрасль")
    clients.cell(2, width + 2, "опт")
    notes = book.create_sheet("Заметки")
    notes["A1"] = "Позвонить Ivan Petrov по номеру +7 916 123-45-67, e-mail ivan@romashka.ru"
    notes["A2"] = "=Клиенты!B2"
    book.save(path)
    copy = tmp_path / "copy.xlsx"

    result = CliRunner().invoke(cli, ["export", str(path), "--anonymise", str(copy)])

    assert result.exit_code == 0, result.output
    assert (
        "Ваши собственные столбцы и листы скопированы, в них скрыты только телефоны, e-mail и значения, скрытые на "
        "других листах; проверьте их, прежде чем передавать копию: Клиенты: Моб. телефон, Отрасль; Заметки"
    ) in result.output
    saved = load_workbook(copy)
    assert saved["Клиенты"].cell(2, width + 1).value == "+7 *** ***-**-33"
    assert saved["Клиенты"].cell(2, width + 2).value == "опт"
    assert saved["Заметки"]["A1"].value == "Позвонить Клиент 1 по номеру +7 *** ***-**-67, e-mail i***@r*******.ru"
    assert saved["Заметки"]["A2"].value == "=Клиенты!B2"
