"""Merging clients and undoing a merge on a workbook with a Contracts sheet: its rows follow their clients."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from tests.builders import settings_records, write_records
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.dedupe.merge_log import read_merge_log, read_sheet_rows

CLIENTS, CONTACTS, INTERACTIONS, CONTRACTS, SETTINGS = (
    schema.CLIENTS.key,
    schema.CONTACTS.key,
    schema.INTERACTIONS.key,
    schema.CONTRACTS.key,
    schema.SETTINGS.key,
)


def contract(contract_id: str, client_id: str, **values: object) -> dict[str, object]:
    record: dict[str, object] = {
        "contract_id": contract_id,
        "client_id": client_id,
        "number": f"№ {contract_id}",
        "date": dt.date(2026, 2, 1),
        "subject": "Поставка",
        "amount": 120000,
        "valid_from": dt.date(2026, 2, 1),
        "valid_until": dt.date(2026, 12, 31),
    }
    record.update(values)
    return record


def base(path: Path, locale: str) -> Path:
    """Romashka typed twice (C000001 on row 2, C000003 on row 4) with contracts of both and of an honest client."""

    def client(number: int, name: str, company: str, phone: str) -> dict[str, object]:
        return {
            "client_id": f"C{number:06d}",
            "name": name,
            "company": company,
            "phone": phone,
            "manager": "Anna",
            "created": dt.date(2024, 1, number),
        }

    records = {
        CLIENTS: [
            client(1, "Иван Петров", 'ООО "Ромашка"', "8 (916) 123-45-67"),
            client(2, "Olga Sidorova", "Сидорова и партнёры", "+7 495 123-45-67"),
            client(3, "Ivan Petrov", "Romashka LLC", "+79161234567"),
            client(4, "Сергей Кузнецов", "ООО «Техносфера»", "+7 916 111-22-33"),
        ],
        CONTACTS: [{"client_id": "C000003", "name": "Мария Иванова"}],
        INTERACTIONS: [{"date": dt.date(2026, 3, 1), "client_id": "C000003", "type": "Order", "amount": 5000}],
        CONTRACTS: [
            contract("D-001", "C000003", comment="подписан с Иваном"),
            contract("D-002", "C000002"),
            contract("D-001/1", "C000003", parent_id="D-001", amount=30000, status=schema.CONTRACT_ACTIVE.name(locale)),
            contract("D-003", "C000001", valid_until=dt.date(2026, 6, 30)),
            contract("D-004", "C000003", status=schema.CONTRACT_CLOSED.name(locale)),
        ],
        SETTINGS: settings_records(locale, {"managers": ["Anna"]}),
    }
    return write_records(path, locale, records)


def sheet_cells(path: Path, name: str) -> list[list[object]]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        rows: list[list[object]] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        return rows
    finally:
        book.close()


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_a_merge_repoints_contracts_logs_them_and_unmerge_puts_every_cell_back(tmp_path: Path, locale: str) -> None:
    path = base(tmp_path / "clients.xlsx", locale)
    contracts = schema.CONTRACTS.name(locale)
    before = sheet_cells(path, contracts)

    result = CliRunner().invoke(cli, ["dedupe", str(path), "--keep-backups", "0", "--json"])
    assert result.exit_code == 0, result.output
    after = sheet_cells(path, contracts)
    assert [row[1] for row in after[1:]] == ["C000001", "C000002", "C000001", "C000001", "C000001"]
    assert [row[:1] + row[2:] for row in after] == [row[:1] + row[2:] for row in before]  # only ClientIDs changed
    log = read_merge_log(read_sheet_rows(path, schema.MERGE_LOG))
    assert sorted((entry.role, entry.sheet, entry.row) for entry in log.entries if entry.sheet == contracts) == [
        (schema.REPOINTED_ROLE.key, contracts, 2),
        (schema.REPOINTED_ROLE.key, contracts, 4),
        (schema.REPOINTED_ROLE.key, contracts, 6),
    ]

    undone = CliRunner().invoke(cli, ["unmerge", str(path), "M0001", "--keep-backups", "0", "--json"])
    assert undone.exit_code == 0, undone.output
    assert sheet_cells(path, contracts) == before


def test_a_merge_made_by_refresh_repoints_contracts_too(tmp_path: Path) -> None:
    path = base(tmp_path / "clients.xlsx", "en")
    result = CliRunner().invoke(cli, ["refresh", str(path), "--keep-backups", "0", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    pointed_at = [row[1] for row in sheet_cells(path, "Contracts")[1:]]
    assert pointed_at == ["C000001", "C000002", "C000001", "C000001", "C000001"]
    # No contract is left pointing at the client merged away, and the survivor's columns count its contracts.
    assert not [row for row in sheet_cells(path, schema.PROBLEMS.name("en")) if "C000003" in row]
    clients = sheet_cells(path, "Clients")
    survivor = dict(zip(clients[0], clients[1]))
    assert survivor["ClientID"] == "C000001"
    assert survivor[schema.REPORT_MARKER + "Active contracts"] == 1  # D-001 (its annex and D-004 Closed do not count)
    assert survivor[schema.REPORT_MARKER + "Contract ends"] == dt.date(2026, 12, 31)


def test_a_formula_on_contracts_pointing_at_a_client_row_that_would_move_stops_the_merge(tmp_path: Path) -> None:
    """The merge deletes Clients row 4, so row 5 would move up: a formula of Contracts using it is not rewritten, and
    the merge is refused, as for any other sheet, with the workbook untouched."""
    path = base(tmp_path / "clients.xlsx", "en")
    book = openpyxl.load_workbook(path)
    book["Contracts"]["L2"] = "=Clients!C5"
    book.save(path)
    original = path.read_bytes()
    result = CliRunner().invoke(cli, ["dedupe", str(path)])
    assert result.exit_code == 1, result.output
    assert result.output == (
        "Error: cannot delete rows of 'Clients': a formula in sheet 'Contracts' uses Clients!C5; "
        "the workbook was not changed\n"
    )
    assert path.read_bytes() == original


def test_a_lookup_of_whole_clients_columns_on_contracts_does_not_stop_the_merge(tmp_path: Path) -> None:
    """A formula over whole columns (a lookup of the client's company by ClientID) reads the right client wherever
    its row is: it does not stop the merge, and computes from the survivor once re-pointed."""
    path = base(tmp_path / "clients.xlsx", "en")
    book = openpyxl.load_workbook(path)
    sheet = book["Contracts"]
    sheet["L1"] = "Client company"
    for row in range(2, 7):
        sheet[f"L{row}"] = f"=INDEX(Clients!C:C,MATCH(B{row},Clients!A:A,0))"
    book.save(path)
    result = CliRunner().invoke(cli, ["dedupe", str(path), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    after = openpyxl.load_workbook(path)["Contracts"]
    assert [after[f"L{row}"].value for row in range(2, 7)] == [
        f"=INDEX(Clients!C:C,MATCH(B{row},Clients!A:A,0))" for row in range(2, 7)
    ]
    assert [after[f"B{row}"].value for row in range(2, 7)] == ["C000001", "C000002", "C000001", "C000001", "C000001"]
