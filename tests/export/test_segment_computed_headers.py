"""How a filter and --columns name fields: a computed column as the Clients sheet heads it («▸ Выручка») as well as
by its name without the mark (an owner copies the header they see), and a field named twice in --columns is one
column of the list."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.builders import valid_records, write_records
from xlcrm.checks.segment_language import find_field, parse_filter
from xlcrm.cli.main import cli


@pytest.mark.parametrize(
    ("header", "name"),
    [("▸ Выручка", "Выручка"), ("▸Блок", "Блок"), ("▸ Revenue", "Revenue"), ("▸ Договор до", "Договор до")],
)
def test_a_computed_columns_header_with_its_mark_names_the_field(header: str, name: str) -> None:
    found = find_field(header)
    assert found is not None
    assert found == find_field(name)


def test_a_filter_and_columns_take_the_headers_as_the_sheet_shows_them(tmp_path: Path) -> None:
    assert parse_filter("▸ Выручка > 1000 и ▸ Блок in (Regular)", "ru").root is not None
    path = write_records(tmp_path / "clients.xlsx", "en", valid_records("en"))
    out = tmp_path / "list.csv"
    result = CliRunner().invoke(
        cli, ["export", str(path), "--segment", "▸ Orders >= 0", "--csv", str(out), "--columns", "Name,▸ Revenue"]
    )
    assert result.exit_code == 0, result.output
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(";")[0] == "Name" and "Revenue" in header.split(";")[1]


def test_a_column_named_twice_is_written_once(tmp_path: Path) -> None:
    path = write_records(tmp_path / "clients.xlsx", "ru", valid_records("ru"))
    out = tmp_path / "list.csv"
    args = ["export", str(path), "--segment", "заказов >= 0", "--csv", str(out), "--no-consent-check"]
    result = CliRunner().invoke(cli, [*args, "--columns", "name,Контактное лицо,email,NAME"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8-sig").splitlines()[0] == "Контактное лицо;Email"
