"""The holidays table on Settings: defaults for a workbook without it, exactly what is typed otherwise, bad rows
reported at their cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.builders import record_rows, settings_records, sheets_from_records, valid_records, write_workbook
from xlcrm import schema
from xlcrm.checks.findings import Code, Severity
from xlcrm.checks.holidays import read_holidays
from xlcrm.cli.main import cli
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render
from xlcrm.schema import Holiday
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.refs import column_letter

TODAY = dt.date(2026, 11, 23)
HolidayRow = tuple[object, object, object]


def letter(key: str) -> str:
    return column_letter(schema.SETTINGS.columns.index(schema.SETTINGS.column(key)))


def workbook(tmp_path: Path, holidays: list[HolidayRow] | None, locale: str = "en") -> Path:
    """A clean workbook whose Settings holds ``holidays`` (name, date, blocks) from row 2; None: a workbook made
    before the holiday columns existed."""
    records = valid_records(locale)
    settings = settings_records(locale, {"managers": ["Anna", "Boris"] if locale == "en" else ["Анна", "Борис"]})
    for row, (name, date, blocks) in zip(settings, holidays or []):
        row.update(holiday=name, holiday_date=date, holiday_blocks=blocks)
    records[schema.SETTINGS.key] = settings
    sheets = sheets_from_records(locale, records)
    if holidays is None:
        keys = [c.key for c in schema.SETTINGS.columns if not c.key.startswith("holiday")]
        sheets[schema.SETTINGS.name(locale)] = record_rows(schema.SETTINGS, locale, settings, keys)
    return write_workbook(tmp_path / "clients.xlsx", sheets)


def test_a_workbook_without_the_columns_gets_the_default_holidays(tmp_path: Path) -> None:
    holidays, findings = read_holidays(read_workbook(workbook(tmp_path, None)))
    assert holidays == schema.DEFAULT_HOLIDAYS
    assert findings == []


def test_a_workbook_without_a_settings_sheet_gets_the_default_holidays(tmp_path: Path) -> None:
    records = valid_records("en")
    del records[schema.SETTINGS.key]
    path = write_workbook(tmp_path / "clients.xlsx", sheets_from_records("en", records))
    assert read_holidays(read_workbook(path)) == (schema.DEFAULT_HOLIDAYS, [])


def test_the_typed_table_is_used_exactly_the_owner_may_delete_new_year(tmp_path: Path) -> None:
    typed: list[HolidayRow] = [
        ("Accountant's Day", "21.11", None),  # the owner's own holiday, as text
        ("8 March", dt.datetime(2019, 3, 8), "5, 6; VIP"),  # a real date: its year is ignored
        ("Builder's Day", "09.08.2026", "Постоянные"),  # a block named in the other language
        ("Leap", "29.02", "1"),
        ("Key only", dt.date(2026, 12, 1), 8),
        (None, None, None),  # a blank row is nothing
        ("Partners", "1/6", "6 Partner"),
    ]
    holidays, findings = read_holidays(read_workbook(workbook(tmp_path, typed)))
    assert findings == []
    assert holidays == (
        Holiday("Accountant's Day", "Accountant's Day", 21, 11),
        Holiday("8 March", "8 March", 8, 3, (5, 6, 7)),
        Holiday("Builder's Day", "Builder's Day", 9, 8, (5,)),
        Holiday("Leap", "Leap", 29, 2, (1,)),
        Holiday("Key only", "Key only", 1, 12, (8,)),
        Holiday("Partners", "Partners", 1, 6, (6,)),
    )


def test_blocks_typed_as_a_decimal_number_are_read_digit_by_digit(tmp_path: Path) -> None:
    """Excel with a decimal comma makes «5,6» the number 5.6."""
    holidays, findings = read_holidays(read_workbook(workbook(tmp_path, [("Day", "01.10", 5.6)])))
    assert findings == []
    assert holidays == (Holiday("Day", "Day", 1, 10, (5, 6)),)


def test_columns_without_rows_mean_no_holidays(tmp_path: Path) -> None:
    assert read_holidays(read_workbook(workbook(tmp_path, []))) == ((), [])


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        (
            ("Day", "31.02", None),
            "holiday_date",
            "31.02",
            "not a day and month such as 23.02; Day is left out of the agenda until it is fixed",
        ),
        (
            ("Day", "soon", None),
            "holiday_date",
            "soon",
            "not a day and month such as 23.02; Day is left out of the agenda until it is fixed",
        ),
        (
            ("Day", 23.02, None),  # a number: 23.02 or 2.3? Typed as text or a date, it is clear
            "holiday_date",
            "23.02",
            "not a day and month such as 23.02; Day is left out of the agenda until it is fixed",
        ),
        (
            ("Day", None, "5"),
            "holiday_date",
            "",
            "Day has no date, so nobody is greeted on it; type its day and month, such as 23.02",
        ),
        (
            ("Day", "01.05", "5, 9"),
            "holiday_blocks",
            "5, 9",
            "9 is not a block: type block numbers (1 to 8) or names, separated by commas; Day is left out of the "
            "agenda until it is fixed",
        ),
        (
            ("Day", "01.05", "friends"),
            "holiday_blocks",
            "friends",
            "friends is not a block: type block numbers (1 to 8) or names, separated by commas; Day is left out of "
            "the agenda until it is fixed",
        ),
        (
            (None, "01.05", None),
            "holiday",
            "",
            "a holiday without a name: the agenda would not say what to greet clients on; type its name in Holiday",
        ),
    ],
)
def test_a_bad_row_is_a_warning_at_its_cell_and_is_left_out(
    tmp_path: Path, row: HolidayRow, column: str, value: str, message: str
) -> None:
    good: HolidayRow = ("Good", "02.05", None)
    holidays, findings = read_holidays(read_workbook(workbook(tmp_path, [good, row])))
    assert holidays == (Holiday("Good", "Good", 2, 5),)
    [finding] = findings
    assert (finding.severity, finding.code, finding.cell, finding.value) == (
        Severity.WARNING,
        Code.BAD_SETTING,
        f"Settings!{letter(column)}3",
        value,
    )
    assert render(finding.message, "en") == message


def test_validation_reports_bad_holidays_once_and_takes_text_dates(tmp_path: Path) -> None:
    path = workbook(tmp_path, [("Own day", "21.11", None), ("Bad", "32.01", None)])
    report = validate_workbook(path, today=TODAY)
    assert [(f.code, f.cell) for f in report.findings] == [(Code.BAD_SETTING, f"Settings!{letter('holiday_date')}3")]
    assert report.valid  # a warning: the rest of the workbook works

    result = CliRunner().invoke(cli, ["--lang", "en", "validate", str(path), "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"Settings!{letter('holiday_date')}3" in result.output


def test_a_russian_workbook_gets_russian_findings(tmp_path: Path) -> None:
    path = workbook(tmp_path, [("День бухгалтера", "21.11", "Ключевые, 7"), ("Плохой", "01.01", "друзья")], "ru")
    holidays, findings = read_holidays(read_workbook(path))
    assert holidays == (Holiday("День бухгалтера", "День бухгалтера", 21, 11, (7, 8)),)
    [finding] = findings
    assert finding.cell == f"Настройки!{letter('holiday_blocks')}3"
    assert render(finding.message, "ru") == (
        "«друзья» — не блок: впишите номера блоков (от 1 до 8) или их названия через запятую; праздник «Плохой» не "
        "попадёт в повестку, пока это не исправлено"
    )
