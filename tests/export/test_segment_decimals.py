"""A computed amount with kopecks in a Russian segment list has a decimal comma, as Russian Excel reads a number
(with a point it reads «45000.50» as text and «1.50» as the first of May)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.builders import valid_records, write_records
from xlcrm.cli.main import cli


@pytest.mark.parametrize(("locale", "revenue"), [("ru", "45000,50"), ("en", "45000.50")])
def test_revenue_with_kopecks_has_the_decimal_sign_of_the_workbook(tmp_path: Path, locale: str, revenue: str) -> None:
    records = valid_records(locale)
    order = next(item for item in records["interactions"] if item["amount"] == 45000)
    order["amount"] = 45000.5
    path = write_records(tmp_path / "clients.xlsx", locale, records)
    out = tmp_path / "list.csv"
    args = ["export", str(path), "--segment", "orders >= 1", "--csv", str(out), "--columns", "client_id,revenue"]
    result = CliRunner().invoke(cli, [*args, "--no-consent-check", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[1:] == [[order["client_id"], revenue]]
