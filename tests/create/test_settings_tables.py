"""The Settings sheet of a new workbook: the holidays table and the Reasons lost list, in the workbook's language,
read back by xlcrm as written (and after LibreOffice saves it)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import convert_with_libreoffice
from xlcrm import schema
from xlcrm.checks.holidays import read_holidays
from xlcrm.checks.settings import read_settings
from xlcrm.cli.main import cli
from xlcrm.create import template
from xlcrm.jobs.validate import validate_workbook
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.refs import column_letter

LOCALES = schema.LOCALES


@pytest.fixture(scope="module", params=LOCALES)
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """One `xlcrm init` workbook per locale."""
    locale: str = request.param
    path = tmp_path_factory.mktemp(f"init-{locale}") / f"base-{locale}.xlsx"
    result = CliRunner().invoke(cli, ["init", str(path), "--locale", locale])
    assert result.exit_code == 0, result.output
    return locale, path


def letter(key: str) -> str:
    return column_letter(schema.SETTINGS.columns.index(schema.SETTINGS.column(key)))


def column(sheet: openpyxl.worksheet.worksheet.Worksheet, key: str, rows: int) -> list[object]:
    return [sheet[f"{letter(key)}{row}"].value for row in range(1, rows + 2)]


def expected_holidays(locale: str) -> tuple[schema.Holiday, ...]:
    """The default holidays as read back from a workbook: named in its language."""
    every_block_but_dead = (2, 3, 4, 5, 6, 7, 8)
    return tuple(
        schema.Holiday(h.name(locale), h.name(locale), h.day, h.month, h.blocks or every_block_but_dead)
        for h in schema.DEFAULT_HOLIDAYS
    )


def test_the_settings_sheet_carries_the_default_holidays(made: tuple[str, Path]) -> None:
    locale, path = made
    sheet = openpyxl.load_workbook(path)[schema.SETTINGS.name(locale)]
    count = len(schema.DEFAULT_HOLIDAYS)
    assert column(sheet, "holiday", count) == [schema.SETTINGS.column("holiday").name(locale)] + [
        h.name(locale) for h in schema.DEFAULT_HOLIDAYS
    ]
    assert column(sheet, "holiday_date", count) == [
        schema.SETTINGS.column("holiday_date").name(locale),
        "01.01",
        "23.02",
        "08.03",
    ]
    # Blank would mean the same; the numbers show the owner how to narrow a holiday down.
    assert (
        column(sheet, "holiday_blocks", count)
        == [schema.SETTINGS.column("holiday_blocks").name(locale)] + ["2, 3, 4, 5, 6, 7, 8"] * count
    )
    # A day and month as text, in a column formatted as text: what the owner types stays as typed.
    assert sheet[f"{letter('holiday_date')}2"].number_format == "@"
    assert sheet.column_dimensions[letter("holiday_date")].number_format == "@"
    for key in ("holiday", "holiday_date", "holiday_blocks"):
        assert sheet.column_dimensions[letter(key)].width == template.column_width(schema.SETTINGS.column(key), locale)

    holidays, findings = read_holidays(read_workbook(path))
    assert (holidays, findings) == (expected_holidays(locale), [])
    assert validate_workbook(path).findings == []


def test_the_settings_sheet_carries_the_reasons_lost_behind_the_clients_dropdown(made: tuple[str, Path]) -> None:
    locale, path = made
    book = openpyxl.load_workbook(path)
    sheet = book[schema.SETTINGS.name(locale)]
    reasons = [reason.name(locale) for reason in schema.DEFAULT_LOST_REASONS]
    assert (
        column(sheet, "lost_reasons", len(reasons)) == [schema.SETTINGS.column("lost_reasons").name(locale)] + reasons
    )
    assert sheet[f"{letter('lost_reasons')}{len(reasons) + 2}"].value is None
    settings, _ = read_settings(read_workbook(path))
    assert settings.lost_reasons == tuple(reasons)

    # The Reason lost column of Clients offers them.
    clients = book[schema.CLIENTS.name(locale)]
    position = schema.template_columns(schema.CLIENTS).index(schema.CLIENTS.column("lost_reason"))
    lost_reason = column_letter(position)
    name = schema.LIST_DEFINED_NAMES["lost_reasons"]
    [validation] = [v for v in clients.data_validations.dataValidation if str(v.sqref).startswith(f"{lost_reason}2:")]
    assert (validation.type, validation.formula1) == ("list", name)
    assert f"${letter('lost_reasons')}$2" in book.defined_names[name].attr_text


@pytest.mark.libreoffice
def test_libreoffice_keeps_the_holidays_readable(made: tuple[str, Path], tmp_path: Path) -> None:
    locale, path = made
    resaved = convert_with_libreoffice(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    assert read_holidays(read_workbook(resaved)) == (expected_holidays(locale), [])
