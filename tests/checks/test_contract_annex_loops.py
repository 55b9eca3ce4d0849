"""Annexes that name one another in Parent contract and never a contract: their extensions count for nothing
(xlcrm.lifecycle.contracts), so validation says so at each of them, as it does for a parent no row has."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from xlcrm import schema
from xlcrm.checks.findings import Code, Severity
from xlcrm.create.template import build_workbook
from xlcrm.jobs.validate import validate_workbook

TODAY = dt.date(2026, 11, 23)
CLIENTS = [{"client_id": "C1", "name": "Иван", "phone": "+7 900 000-00-01", "created": dt.date(2026, 1, 1)}]


def annex(contract_id: str, parent: str) -> dict[str, object]:
    return {"contract_id": contract_id, "client_id": "C1", "parent_id": parent, "valid_until": dt.date(2027, 6, 30)}


def parent_findings(tmp_path: Path, contracts: list[dict[str, object]]) -> list[tuple[str, Severity, Code]]:
    """(cell, severity, code) of each finding of the workbook at a Parent contract cell."""
    path = tmp_path / "clients.xlsx"
    build_workbook("ru", rows={"clients": CLIENTS, "contracts": contracts}).save(path)
    column = f"{schema.CONTRACTS.ru}!I"  # Parent contract
    return [
        (finding.cell, finding.severity, finding.code)
        for finding in validate_workbook(path, today=TODAY).findings
        if finding.cell.startswith(column)
    ]


def test_annexes_naming_one_another_are_errors_at_each(tmp_path: Path) -> None:
    found = parent_findings(tmp_path, [annex("A1", "A2"), annex("A2", "A3"), annex("A3", "A1"), annex("A4", "A2")])
    assert [cell for cell, _, _ in found] == [f"{schema.CONTRACTS.ru}!I{row}" for row in (2, 3, 4, 5)]
    assert {(severity, code) for _, severity, code in found} == {(Severity.ERROR, Code.UNKNOWN_PARENT_CONTRACT)}


def test_an_annex_of_an_annex_of_a_contract_is_fine(tmp_path: Path) -> None:
    contract = {"contract_id": "K1", "client_id": "C1", "subject": "Поставка", "valid_until": dt.date(2026, 12, 31)}
    assert parent_findings(tmp_path, [contract, annex("A1", "K1"), annex("A2", "A1")]) == []
