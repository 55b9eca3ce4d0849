"""An Excel table's total row on Clients («Итого», SUBTOTAL formulas) is part of the table, never a client."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import xlsxwriter
from click.testing import CliRunner

from tests.builders import settings_records, sheets_from_records
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.validate import validate_workbook
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
CLIENTS = schema.CLIENTS


def client(number: int, name: str, phone: str, rating: int) -> dict[str, object]:
    return {
        "client_id": f"C{number:06d}",
        "name": name,
        "phone": phone,
        "manager": "Anna",
        "rating": rating,
        "created": dt.date(2024, 1, number),
    }


def table_book(path: Path) -> Path:
    """Clients as an Excel table with a total row, written by XlsxWriter; rows 2 and 4 are one client typed twice."""
    records = {
        CLIENTS.key: [
            client(1, "Иван Петров", "+7 916 123-45-67", 5),
            client(2, "Olga Sidorova", "+7 495 765-43-21", 3),
            client(3, "Иван Петров", "8 (916) 123-45-67", 4),
            client(4, "Сергей Кузнецов", "+7 903 111-22-33", 2),
        ],
        schema.INTERACTIONS.key: [
            {"date": dt.date(2026, 3, 1), "client_id": "C000002", "type": "Order", "amount": 5000},
            {"date": dt.date(2026, 3, 2), "client_id": "C000003", "type": "Order", "amount": 700},
        ],
        schema.SETTINGS.key: settings_records("en", {"managers": ["Anna"]}),
    }
    sheets = sheets_from_records("en", records)
    book = xlsxwriter.Workbook(str(path))
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        if name != CLIENTS.en:
            for number, row in enumerate(rows):
                for column, value in enumerate(row):
                    if isinstance(value, dt.date):
                        sheet.write_datetime(number, column, dt.datetime.combine(value, dt.time()), dates)
                    elif value is not None:
                        sheet.write(number, column, value)
            continue
        header, body = rows[0], rows[1:]
        keys = [column.key for column in CLIENTS.columns]
        columns = []
        for key, title in zip(keys, header):
            column: dict[str, object] = {"header": title}
            if key == "name":
                column["total_string"] = "Итого"
            elif key == "rating":
                column["total_function"] = "sum"
            elif key == "client_id":
                column["total_function"] = "count"
            if CLIENTS.column(key).kind is schema.Kind.DATE:
                column["format"] = dates
            columns.append(column)
        data = [[dt.datetime.combine(v, dt.time()) if isinstance(v, dt.date) else v for v in row] for row in body]
        sheet.add_table(
            0,
            0,
            len(body) + 1,
            len(header) - 1,
            {"name": "ClientsTable", "columns": columns, "data": data, "total_row": True},
        )
    book.close()
    return path


def total_row_cells(path: Path, row: int) -> list[object]:
    sheet = openpyxl.load_workbook(path)[CLIENTS.en]
    return [cell.value for cell in sheet[row]]


def test_the_total_row_is_not_read_as_a_client(tmp_path: Path) -> None:
    path = table_book(tmp_path / "book.xlsx")
    assert total_row_cells(path, 6)[:2] == ["=SUBTOTAL(103,[ClientID])", "Итого"]
    data = read_workbook(path)
    assert list(data.sheets[CLIENTS.key].frame.index) == [2, 3, 4, 5]
    report = validate_workbook(path, today=TODAY)
    assert not [finding for finding in report.findings if finding.cell.endswith("6")]


def test_refresh_leaves_the_total_row_alone_and_keeps_it_the_tables_last_row(tmp_path: Path) -> None:
    path = table_book(tmp_path / "book.xlsx")
    before = total_row_cells(path, 6)
    result = refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    assert result.merged_clients == 1
    assert sum(result.blocks.values()) == 3  # Иван Петров once, Olga, Сергей: «Итого» is not a client
    sheet = openpyxl.load_workbook(path)[CLIENTS.en]
    table = sheet.tables["ClientsTable"]
    assert (table.ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), table.totalsRowCount) == ("5", 1)
    # One merged row gone above it: the total row moved up to row 5, cell for cell as it was, no computed values.
    after = [cell.value for cell in sheet[5]]
    assert after[: len(before)] == before and not any(after[len(before) :])
    assert [cell.value for cell in sheet["A"][1:4]] == ["C000001", "C000002", "C000004"]
    dashboard = openpyxl.load_workbook(path)[schema.DASHBOARD.name("en")]
    texts = [cell.value for row in dashboard.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert not any("Итого" in text for text in texts)


def test_the_cli_refresh_finds_no_problem_on_the_total_row(tmp_path: Path) -> None:
    path = table_book(tmp_path / "book.xlsx")
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23", "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    blocks = next(line for line in result.output.splitlines() if line.startswith("Blocks: "))
    assert sum(int(part.rsplit(" ", 1)[1]) for part in blocks[len("Blocks: ") :].split(", ")) == 3
    problems = openpyxl.load_workbook(path)[schema.PROBLEMS.name("en")]
    cells = [cell.value for row in problems.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert not any(cell.startswith(f"{CLIENTS.en}!") and cell.endswith("5") for cell in cells)


def test_an_interactions_total_row_is_not_an_interaction(tmp_path: Path) -> None:
    """Interactions are read on a worker thread (or a process of their own when big): the same rows are left out."""
    path = tmp_path / "book.xlsx"
    sheets = sheets_from_records(
        "en",
        {
            CLIENTS.key: [client(1, "Иван Петров", "+7 916 123-45-67", 5)],
            schema.INTERACTIONS.key: [
                {"date": dt.date(2026, 3, d), "client_id": "C000001", "type": "Order", "amount": 1000 * d}
                for d in (1, 2)
            ],
            schema.SETTINGS.key: settings_records("en", {"managers": ["Anna"]}),
        },
    )
    book = xlsxwriter.Workbook(str(path))
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        header, body = (
            rows[0],
            [[dt.datetime.combine(v, dt.time()) if isinstance(v, dt.date) else v for v in row] for row in rows[1:]],
        )
        columns: list[dict[str, object]] = []
        spec = schema.sheet_by_key(
            next(
                key
                for key in (CLIENTS.key, schema.INTERACTIONS.key, schema.SETTINGS.key)
                if schema.sheet_by_key(key).en == name
            )
        )
        for title in header:
            column: dict[str, object] = {"header": title}
            if schema.match_column(spec, title).kind is schema.Kind.DATE:  # type: ignore[union-attr]
                column["format"] = dates
            if title == schema.INTERACTIONS.column("type").en:
                column["total_string"] = "Итого"
            elif title == schema.INTERACTIONS.column("amount").en:
                column["total_function"] = "sum"
            columns.append(column)
        sheet.add_table(
            0,
            0,
            len(body) + (1 if name == schema.INTERACTIONS.en else 0),
            len(header) - 1,
            {"columns": columns, "data": body, "total_row": name == schema.INTERACTIONS.en},
        )
    book.close()
    data = read_workbook(path)
    assert list(data.sheets[schema.INTERACTIONS.key].frame.index) == [2, 3]
    assert not [f for f in validate_workbook(path, today=TODAY).findings if f.sheet == schema.INTERACTIONS.en]
    result = refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    assert result.blocks[4] == 1  # two orders: Working
    revenue = openpyxl.load_workbook(path)[CLIENTS.en]
    headers = [cell.value for cell in revenue[1]]
    assert revenue.cell(2, headers.index(schema.REPORT_MARKER + "Revenue") + 1).value == 3000


def test_unmerge_puts_rows_back_above_a_total_row(tmp_path: Path) -> None:
    """The merged row is inserted back inside the table: the total row moves down below it, the table grows."""
    path = table_book(tmp_path / "book.xlsx")
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    result = CliRunner().invoke(cli, ["unmerge", str(path), "M0001", "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(path)[CLIENTS.en]
    assert [cell.value for cell in sheet["A"][1:6]] == [
        "C000001",
        "C000002",
        "C000003",
        "C000004",
        "=SUBTOTAL(103,[ClientID])",
    ]
    assert sheet.tables["ClientsTable"].ref.endswith("6")
