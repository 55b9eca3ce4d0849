"""A client typed in by hand gets no ClientID that a contract names: it would take over that contract."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from tests.builders import valid_records, write_records
from xlcrm import schema
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.validate import validate_workbook

TODAY = dt.date(2026, 11, 23)


def test_a_new_client_takes_no_id_a_contract_names(tmp_path: Path) -> None:
    """A contract logged under C000003 before that client exists keeps pointing at nobody: the client typed in by
    hand is C000004, and the unknown ClientID on Contracts stays a finding."""
    records = valid_records("ru")
    records[schema.CLIENTS.key].append({"name": "Смирнова Анна", "phone": "8 (916) 555-44-33"})
    records[schema.CONTRACTS.key] = [
        {"contract_id": "D-1", "client_id": "C000003", "date": dt.date(2026, 2, 1), "amount": 50000}
    ]
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    result = refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    assert [assigned.client_id for assigned in result.assigned_ids] == ["C000004"]
    assert load_workbook(path)[schema.CLIENTS.ru]["A4"].value == "C000004"
    unknown = [(f.cell, f.value) for f in validate_workbook(path, TODAY).findings if f.code.value == "unknown-client"]
    assert unknown == [(f"{schema.CONTRACTS.ru}!B2", "C000003")]
