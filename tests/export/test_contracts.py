"""The Contracts sheet in exports: its Comment hidden in an anonymised copy like every free text, its rows a table
of the database with a foreign key to clients."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.builders import valid_records, write_records
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.jobs.export import export_workbook

TODAY = dt.date(2026, 11, 23)
CONTRACTS = schema.CONTRACTS.name("en")


def workbook(tmp_path: Path, client_of_second: str = "C000002") -> Path:
    records = valid_records("en")
    phone = records[schema.CLIENTS.key][0]["phone"]
    records[schema.CONTRACTS.key] = [
        {
            "contract_id": "D-001",
            "client_id": "C000001",
            "number": "17/2026",
            "date": dt.date(2026, 2, 1),
            "subject": "Equipment supply",
            "amount": 120000,
            "valid_from": dt.date(2026, 2, 1),
            "valid_until": dt.date(2026, 12, 31),
            "status": schema.CONTRACT_ACTIVE.en,
            "comment": f"signed by his wife, call {phone} after 6 pm",
        },
        {
            "contract_id": "D-001/1",
            "client_id": client_of_second,
            "date": dt.date(2026, 3, 1),
            "subject": f"Delivery; ask Ivan Petrov on {phone}",
            "amount": 8000.5,
            "parent_id": "D-001",
        },
    ]
    return write_records(tmp_path / "clients.xlsx", "en", records)


def contract_rows(path: Path) -> list[list[object]]:
    return [list(row) for row in load_workbook(path)[CONTRACTS].iter_rows(values_only=True)]


@pytest.mark.parametrize("keep_comments", [False, True])
def test_an_anonymised_copy_hides_a_contracts_comment_unless_comments_are_kept(
    tmp_path: Path, keep_comments: bool
) -> None:
    path = workbook(tmp_path)
    target = tmp_path / "for accountant.xlsx"
    result = CliRunner().invoke(
        cli, ["export", str(path), "--anonymise", str(target), *(["--keep-comments"] if keep_comments else [])]
    )
    assert result.exit_code == 0, result.output
    before, after = contract_rows(path), contract_rows(target)
    comment, subject = before[0].index("Comment"), before[0].index("Subject")
    expected = [list(row) for row in before]
    # The phone in the comment is masked as on Clients; without --keep-comments the text is hidden whole.
    expected[1][comment] = "signed by his wife, call +7 *** ***-**-67 after 6 pm" if keep_comments else "(hidden)"
    # A subject stays, the person's name and phone in it masked.
    expected[2][subject] = "Delivery; ask Client 1 on +7 *** ***-**-67"
    assert after == expected  # the terms, amounts and IDs stay


def test_the_database_has_a_contracts_table_pointing_at_clients(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    target = tmp_path / "base.sqlite"
    result = export_workbook(path, sqlite=target, today=TODAY)
    assert result.database is not None and result.database.tables["contracts"] == 2
    with sqlite3.connect(target) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(contracts)")]
        keys = {(row[2], row[3], row[4]) for row in connection.execute("PRAGMA foreign_key_list(contracts)")}
        rows = connection.execute(
            "SELECT excel_row, contract_id, client_id, date, amount, valid_until, parent_id, status FROM contracts"
        ).fetchall()
        joined = connection.execute(
            "SELECT contracts.contract_id, clients.name FROM contracts JOIN clients USING (client_id) ORDER BY 1"
        ).fetchall()
    assert columns == ["excel_row"] + [column.key for column in schema.CONTRACTS.columns]
    assert keys == {("clients", "client_id", "client_id")}
    assert rows == [
        (2, "D-001", "C000001", "2026-02-01", 120000, "2026-12-31", None, "Active"),
        (3, "D-001/1", "C000002", "2026-03-01", 8000.5, None, "D-001", None),
    ]
    assert joined == [("D-001", "Ivan Petrov"), ("D-001/1", "Olga Sidorova")]


def test_a_contract_of_an_unknown_client_stops_the_database_export(tmp_path: Path) -> None:
    path = workbook(tmp_path, client_of_second="C000099")
    target = tmp_path / "base.sqlite"
    result = CliRunner().invoke(cli, ["export", str(path), "--sqlite", str(target)])
    assert result.exit_code == 1
    assert "Contracts!B3: no client C000099 on Clients" in result.output
    assert not target.exists()


def test_a_workbook_without_contracts_gets_an_empty_contracts_table(tmp_path: Path) -> None:
    path = write_records(tmp_path / "clients.xlsx", "en", valid_records("en"))
    target = tmp_path / "base.sqlite"
    result = export_workbook(path, sqlite=target, today=TODAY)
    assert result.database is not None and result.database.tables["contracts"] == 0
