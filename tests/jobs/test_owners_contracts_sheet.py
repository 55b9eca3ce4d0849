"""A workbook made before xlcrm had a Contracts sheet may hold a sheet of that name of the owner's own (a list of
contracts kept another way): xlcrm leaves it alone, as it leaves any sheet of the owner's, instead of refusing to
refresh the workbook or writing its headers into that sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from tests.jobs.test_upgrade import old_workbook, workbook  # noqa: F401  (fixtures)
from xlcrm import schema
from xlcrm.checks.findings import Severity
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.upgrade import upgrade_workbook
from xlcrm.jobs.validate import validate_workbook

TODAY = dt.date(2026, 11, 23)
OWN_ROWS = [["Номер", "Контрагент", "Сумма"], ["Д-1", "ООО Ромашка", 1000], ["Д-2", "ИП Иванов", 2000]]


@pytest.fixture()
def with_own_sheet(workbook: Path) -> Path:  # noqa: F811
    book = openpyxl.load_workbook(workbook)
    own = book.create_sheet(schema.CONTRACTS.ru)
    for row in OWN_ROWS:
        own.append(row)
    book.save(workbook)
    return workbook


def own_sheet_rows(path: Path) -> list[list[object]]:
    sheet = openpyxl.load_workbook(path)[schema.CONTRACTS.ru]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_validate_and_refresh_leave_the_owners_sheet_alone(with_own_sheet: Path) -> None:
    findings = validate_workbook(with_own_sheet, today=TODAY).findings
    assert not [finding for finding in findings if finding.sheet == schema.CONTRACTS.ru]
    refresh_workbook(with_own_sheet, today=TODAY)
    assert own_sheet_rows(with_own_sheet) == OWN_ROWS


def test_upgrade_names_the_owners_sheet_and_writes_nothing_into_it(with_own_sheet: Path) -> None:
    result = upgrade_workbook(with_own_sheet)
    assert schema.CONTRACTS.ru not in result.sheets
    assert not [column for column in result.columns if column.sheet == schema.CONTRACTS.ru]
    assert any(schema.CONTRACTS.ru in str(reason) for reason in result.left_out)
    assert own_sheet_rows(with_own_sheet) == OWN_ROWS
    assert openpyxl.load_workbook(with_own_sheet).sheetnames.count(schema.CONTRACTS.ru) == 1


def test_a_contracts_sheet_with_a_required_column_is_still_xlcrms(workbook: Path) -> None:  # noqa: F811
    book = openpyxl.load_workbook(workbook)
    book.create_sheet(schema.CONTRACTS.ru).append([schema.CONTRACTS.column("contract_id").ru, "Сумма"])
    book.save(workbook)
    findings = validate_workbook(workbook, today=TODAY).findings
    errors = [finding for finding in findings if finding.severity is Severity.ERROR]
    assert [finding for finding in errors if finding.sheet == schema.CONTRACTS.ru]
