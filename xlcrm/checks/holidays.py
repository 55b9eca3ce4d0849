"""The holidays the agenda greets clients on: the table on Settings, or the defaults when a workbook has none.

One holiday per row of the Holiday, Holiday date and Holiday for blocks
columns. A workbook made before those columns existed has none of them and is
greeted on :data:`xlcrm.schema.DEFAULT_HOLIDAYS`; a workbook with the columns
gets exactly the holidays typed there, so the owner may delete one. A row that
cannot be used (no date, a date that is no day of the year, a block that does
not exist) is left out and reported as a ``bad-setting`` warning naming its cell.
"""

from __future__ import annotations

import datetime as dt
import re

from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.normalize import as_text, is_blank
from xlcrm.messages import Message, t
from xlcrm.xlsx.reader import SheetData, WorkbookData

HOLIDAY_COLUMNS = ("holiday", "holiday_date", "holiday_blocks")
# 23.02, 23.02.2026, 23/02 or 23-02-26: day first, as Russian and most European users type it.
_DAY_MONTH = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?\.?$")
_LEAP_YEAR = 2000  # checks a typed day of the year, 29.02 included
_BLOCK_SEPARATORS = re.compile(r"[,;]")


def read_holidays(data: WorkbookData) -> tuple[tuple[schema.Holiday, ...], list[Finding]]:
    """The workbook's holidays in sheet order, and a finding for every row that could not be used."""
    sheet = data.sheet(schema.SETTINGS.key)
    # A sheet whose headers were not understood is read for nothing (validation says so once), as read_settings does.
    if sheet is None or data.misplaced_header(schema.SETTINGS.key):
        return schema.DEFAULT_HOLIDAYS, []
    if not any(sheet.has(key) for key in HOLIDAY_COLUMNS):
        return schema.DEFAULT_HOLIDAYS, []
    findings: list[Finding] = []
    holidays: list[schema.Holiday] = []
    names, dates, blocks = (sheet.column_values(key) for key in HOLIDAY_COLUMNS)
    for row, name, date, for_blocks in zip(names.index, names, dates, blocks):
        if is_blank(name) and is_blank(date) and is_blank(for_blocks):
            continue
        holiday = _holiday(sheet, row, name, date, for_blocks, data.locale, findings)
        if holiday is not None and holiday not in holidays:
            holidays.append(holiday)
    return tuple(holidays), findings


def _holiday(
    sheet: SheetData,
    row: int,
    name: object,
    date: object,
    for_blocks: object,
    locale: str,
    findings: list[Finding],
) -> schema.Holiday | None:
    """The holiday of one row, or None (with a finding) when the row cannot be used."""

    def report(column: str, value: object, message: Message) -> None:
        # The cell named is the one to fix; a column the sheet lacks is pointed at by the first holiday column there.
        where = column if sheet.has(column) else next(key for key in HOLIDAY_COLUMNS if sheet.has(key))
        findings.append(
            Finding(Severity.WARNING, Code.BAD_SETTING, sheet.name, sheet.cell(where, row), as_text(value), message)
        )

    title = as_text(name) if not is_blank(name) else None
    if title is None:
        report(
            "holiday",
            name,
            t(
                "a holiday without a name: the agenda would not say what to greet clients on; type its name in "
                "{column}",
                column=schema.SETTINGS.column("holiday").name(locale),
            ),
        )
        return None
    if is_blank(date):
        report(
            "holiday_date",
            date,
            t(
                "{holiday} has no date, so nobody is greeted on it; type its day and month, such as 23.02",
                holiday=title,
            ),
        )
        return None
    day_month = holiday_day(date)
    if day_month is None:
        report(
            "holiday_date",
            date,
            t(
                "not a day and month such as 23.02; {holiday} is left out of the agenda until it is fixed",
                holiday=title,
            ),
        )
        return None
    numbers: list[int] = []
    for part in _block_parts(for_blocks):
        block = schema.match_block(part)
        if block is None:
            report(
                "holiday_blocks",
                for_blocks,
                t(
                    "{part} is not a block: type block numbers (1 to 8) or names, separated by commas; {holiday} is "
                    "left out of the agenda until it is fixed",
                    part=part,
                    holiday=title,
                ),
            )
            return None
        if block.number not in numbers:
            numbers.append(block.number)
    day, month = day_month
    return schema.Holiday(title, title, day, month, tuple(sorted(numbers)))


def holiday_day(value: object) -> tuple[int, int] | None:
    """(day, month) of a Holiday date cell: a real date (its year ignored) or text such as ``23.02``/``23.02.2026``."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.day, value.month
    if not isinstance(value, str):
        return None  # a number: 23.02 typed where the decimal mark is a point, or 1.1 that could be 1 October
    match = _DAY_MONTH.match(value.strip())
    if match is None:
        return None
    day, month = int(match[1]), int(match[2])
    try:
        dt.date(_LEAP_YEAR, month, day)
    except ValueError:
        return None
    return day, month


def _block_parts(value: object) -> list[str]:
    """The blocks a Holiday for blocks cell names, one text each; none for a blank cell (every block but Dead).

    Excel with a decimal comma turns ``5,6`` into the number 5.6: its digits are read as the blocks typed.
    """
    if is_blank(value):
        return []
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    else:
        text = as_text(value)
    return [part.strip() for part in _BLOCK_SEPARATORS.split(text) if part.strip()]
