"""``xlcrm forget`` and the Contracts sheet: an erased client's contracts keep their terms and money, lose their
comment, and no value of the person is left in them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from tests.builders import valid_records, write_records
from xlcrm import schema
from xlcrm.cli.main import cli

CONTRACTS = schema.CONTRACTS.ru


def workbook(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """The small Russian base with contracts of C000001 (one whose Subject names the person's phone) and of
    C000002; and the person's phone."""
    records = valid_records("ru")
    person = records[schema.CLIENTS.key][0]
    assert person["client_id"] == "C000001"
    phone = person["phone"]
    active = schema.CONTRACT_ACTIVE.ru
    records[schema.CONTRACTS.key] = [
        {
            "contract_id": "D-001",
            "client_id": "C000001",
            "number": "17/2026",
            "date": dt.date(2026, 2, 1),
            "subject": "Поставка оборудования",
            "amount": 120000,
            "valid_from": dt.date(2026, 2, 1),
            "valid_until": dt.date(2026, 12, 31),
            "status": active,
            "comment": "подписывала жена, звонить после 18:00",
        },
        {
            "contract_id": "D-001/1",
            "client_id": "C000001",
            "date": dt.date(2026, 3, 1),
            "subject": f"Доставка, связь по {phone}",
            "amount": 8000,
            "parent_id": "D-001",
        },
        {
            "contract_id": "D-002",
            "client_id": "C000002",
            "subject": "Обслуживание",
            "amount": 50000,
            "status": active,
            "comment": "продлевать ежегодно",
        },
    ]
    return write_records(tmp_path / "clients.xlsx", "ru", records), {"phone": phone}


def rows(path: Path) -> list[list[object]]:
    return [list(row) for row in openpyxl.load_workbook(path)[CONTRACTS].iter_rows(values_only=True)]


def test_forget_clears_the_comment_of_the_clients_contracts_and_keeps_their_terms(tmp_path: Path) -> None:
    path, person = workbook(tmp_path)
    before = rows(path)
    header = before[0]
    comment, subject = header.index("Комментарий"), header.index("Предмет")
    result = CliRunner().invoke(
        cli, ["forget", str(path), "C000001", "--reason", "просьба клиента", "--today", "2026-11-23", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["still_found"] == [] and payload["complete"]
    places = {(place["sheet"], place["where"]) for place in payload["places"]}
    assert {(CONTRACTS, "K2"), (CONTRACTS, "E3")} <= places

    after = rows(path)
    expected = [list(row) for row in before]
    expected[1][comment] = None  # the free text of the person's contract
    expected[2][subject] = None  # a Subject that held the person's phone
    assert after == expected  # ContractIDs, ClientIDs, numbers, dates, amounts, terms, status kept; D-002 untouched
    assert all(str(person["phone"]) not in str(cell) for row in after for cell in row)


def test_a_dry_run_names_the_contract_cells_and_changes_nothing(tmp_path: Path) -> None:
    path, _person = workbook(tmp_path)
    original = path.read_bytes()
    result = CliRunner().invoke(cli, ["forget", str(path), "C000001", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    places = {(place["sheet"], place["where"]) for place in json.loads(result.output)["places"]}
    assert (CONTRACTS, "K2") in places and not any(where == "K4" for sheet, where in places if sheet == CONTRACTS)
    assert path.read_bytes() == original
