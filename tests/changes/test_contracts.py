"""The Contracts sheet in the change log: rows compared and paired by ContractID, any deleted contract stops a job,
and ``xlcrm restore`` brings contracts back, by sheet rows or with their client."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.builders import valid_records, write_records
from xlcrm import schema
from xlcrm.checks.changes import ADDED, CHANGED, DELETED, compare_workbooks
from xlcrm.cli.main import cli
from xlcrm.errors import DeletionsFound
from xlcrm.files.saved_copy import keep_saved_copy, saved_copy_path
from xlcrm.jobs.changes import begin_change_check
from xlcrm.xlsx.reader import read_workbook

Records = dict[str, list[dict[str, object]]]
CONTRACTS = schema.CONTRACTS.key


def with_contracts(locale: str = "en") -> Records:
    records = valid_records(locale)
    active = schema.CONTRACT_ACTIVE.name(locale)
    records[CONTRACTS] = [
        {
            "contract_id": "D-001",
            "client_id": "C000001",
            "number": "17/2026",
            "date": dt.date(2026, 2, 1),
            "subject": "Поставка",
            "amount": 120000,
            "valid_until": dt.date(2026, 12, 31),
            "status": active,
        },
        {
            "contract_id": "D-002",
            "client_id": "C000002",
            "date": dt.date(2026, 3, 1),
            "subject": "Обслуживание",
            "amount": 50000,
            "status": active,
            "comment": "продлевать ежегодно",
        },
        {"contract_id": "D-001/1", "client_id": "C000001", "date": dt.date(2026, 4, 1), "parent_id": "D-001"},
    ]
    return records


def saved_then_changed(tmp_path: Path, records: Records, changed: Records, locale: str = "en") -> Path:
    """A workbook saved by xlcrm as ``records`` (its saved copy kept), then changed by hand to ``changed``."""
    path = write_records(tmp_path / "clients.xlsx", locale, records)
    keep_saved_copy(path)
    return write_records(path, locale, changed)


def test_contracts_are_compared_and_paired_by_their_contract_id(tmp_path: Path) -> None:
    """A contract handed to another client with a new amount is the same contract changed; a new one is added."""
    records = with_contracts()
    changed = copy.deepcopy(records)
    changed[CONTRACTS][1].update(client_id="C000001", amount=55000)
    changed[CONTRACTS].append({"contract_id": "D-003", "client_id": "C000002", "amount": 9000})
    path = saved_then_changed(tmp_path, records, changed)
    changes = compare_workbooks(read_workbook(saved_copy_path(path)), read_workbook(path))
    contracts = [row for row in changes.rows if row.sheet == CONTRACTS]
    assert [(row.kind, row.before_row, row.now_row, row.client_id) for row in contracts] == [
        (CHANGED, 3, 3, "C000001"),
        (ADDED, None, 5, "C000002"),
    ]
    assert contracts[0].columns == ("ClientID", "Amount")
    assert contracts[0].before == {"ClientID": "C000002", "Amount": 50000}
    assert changes.counts()[CONTRACTS] == {ADDED: 1, CHANGED: 1, DELETED: 0}


def test_one_deleted_contract_stops_and_names_it(tmp_path: Path) -> None:
    records = with_contracts()
    changed = copy.deepcopy(records)
    del changed[CONTRACTS][1]
    path = saved_then_changed(tmp_path, records, changed)
    with pytest.raises(DeletionsFound) as stopped:
        begin_change_check(read_workbook(path)).finish(accept_deletions=False)
    message = str(stopped.value)
    assert "Contracts: 1 of 3 row (row 3: D-002 C000002)" in message
    assert "--rows Contracts:3" in message and "--accept-deletions" in message
    assert begin_change_check(read_workbook(path)).finish(accept_deletions=True).changes.count(DELETED, CONTRACTS) == 1


def test_a_contract_cleared_in_place_or_a_moved_one_is_no_deletion(tmp_path: Path) -> None:
    """Sorting the sheet moves rows without deleting any: nothing stops."""
    records = with_contracts()
    changed = copy.deepcopy(records)
    changed[CONTRACTS].reverse()
    path = saved_then_changed(tmp_path, records, changed)
    assert not begin_change_check(read_workbook(path)).finish(accept_deletions=False).changes


def test_refresh_stops_at_a_deleted_contract_and_restore_brings_it_back_cell_for_cell(tmp_path: Path) -> None:
    records = with_contracts("ru")
    changed = copy.deepcopy(records)
    del changed[CONTRACTS][1]
    path = saved_then_changed(tmp_path, records, changed, "ru")
    sheet = schema.CONTRACTS.ru
    saved_rows = [list(row) for row in openpyxl.load_workbook(saved_copy_path(path))[sheet].iter_rows(values_only=True)]
    before = path.read_bytes()

    stopped = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23"])
    assert stopped.exit_code == 1
    assert f"{sheet}: 1 строка из 3 (строка 3: D-002 C000002)" in stopped.output
    assert path.read_bytes() == before

    restored = CliRunner().invoke(cli, ["restore", str(path), "--rows", f"{sheet}:3", "--keep-backups", "0", "--json"])
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.output)["restored"] == {CONTRACTS: 1}
    rows = [list(row) for row in openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True)]
    assert rows[3] == saved_rows[2]  # appended below the others, every cell as saved
    assert sorted(rows[1:], key=str) == sorted(saved_rows[1:], key=str)
    again = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23", "--keep-backups", "0"])
    assert again.exit_code == 0, again.output


def test_restoring_a_client_brings_its_deleted_contracts_back_with_it(tmp_path: Path) -> None:
    records = with_contracts()
    changed = copy.deepcopy(records)
    del changed[schema.CLIENTS.key][1]  # C000002, with its contract, interactions and contact
    changed[CONTRACTS] = [row for row in changed[CONTRACTS] if row["client_id"] != "C000002"]
    changed[schema.INTERACTIONS.key] = [
        row for row in changed[schema.INTERACTIONS.key] if row["client_id"] != "C000002"
    ]
    path = saved_then_changed(tmp_path, records, changed)
    result = CliRunner().invoke(cli, ["restore", str(path), "--rows", "C000002", "--keep-backups", "0", "--json"])
    assert result.exit_code == 0, result.output
    restored = json.loads(result.output)["restored"]
    assert restored[CONTRACTS] == 1 and restored[schema.CLIENTS.key] == 1
    contracts = [row for row in openpyxl.load_workbook(path)["Contracts"].iter_rows(values_only=True)]
    assert [(row[0], row[1]) for row in contracts[1:]] == [
        ("D-001", "C000001"),
        ("D-001/1", "C000001"),
        ("D-002", "C000002"),
    ]


def test_a_contracts_sheet_removed_whole_stops_like_its_rows_deleted(tmp_path: Path) -> None:
    """The sheet is optional (a workbook without it has no contracts), so one removed with its rows must not pass
    for a workbook that never had any."""
    records = with_contracts()
    changed = copy.deepcopy(records)
    del changed[CONTRACTS]
    path = saved_then_changed(tmp_path, records, changed)
    with pytest.raises(DeletionsFound, match=r"Contracts: 3 of 3 rows \(row 2: D-001 C000001, row 3: D-002 C000002"):
        begin_change_check(read_workbook(path)).finish(accept_deletions=False)
