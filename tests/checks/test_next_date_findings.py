"""A Next date earlier than its own row's Date: a plan due before the contact it was made at, a warning on the Next
date cell, in either language. Through ``xlcrm validate`` and the library."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.checks.test_validate import TODAY, build, check_single_finding, put
from xlcrm.checks.findings import Code
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render

# valid_records' first interaction: a call on 1 March 2024 with a plan for 4 March 2024, on Excel row 2.
MADE = dt.date(2024, 3, 1)


def test_a_next_date_a_day_before_its_rows_date_is_a_warning(tmp_path: Path) -> None:
    check_single_finding(
        build(tmp_path, [put("interactions", 0, "next_date", MADE - dt.timedelta(days=1))]),
        'warning Interactions!J2  next-date-before-date  "2024-02-29"  the Next date 29 February 2024 is earlier '
        "than the Date of the same row, 1 March 2024: the agenda shows the plan as overdue from the start; check "
        "the day, month and year",
    )


def test_a_next_date_on_its_rows_date_or_blank_is_no_finding(tmp_path: Path) -> None:
    for index, edits in enumerate(
        [
            [put("interactions", 0, "next_date", MADE)],  # a plan for later the same day
            [put("interactions", 0, "next_date", None)],
            [put("interactions", 0, "date", None)],  # undated: the missing Date is its own finding
        ]
    ):
        path = build(tmp_path, edits, name=f"clients-{index}.xlsx")
        assert Code.NEXT_DATE_BEFORE_DATE not in {f.code for f in validate_workbook(path, today=TODAY).findings}


def test_dates_typed_as_text_are_compared_too_in_a_russian_workbook(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [put("interactions", 0, "date", "01.03.2024"), put("interactions", 0, "next_date", "01.02.2024")],
        locale="ru",
    )
    [finding] = [f for f in validate_workbook(path, today=TODAY).findings if f.code is Code.NEXT_DATE_BEFORE_DATE]
    assert (finding.cell, finding.value) == ("Взаимодействия!J2", "01.02.2024")
    assert render(finding.message, "ru") == (
        "дата в столбце Дата след. действия (1 февраля 2024) раньше даты в столбце Дата этой же строки "
        "(1 марта 2024): в повестке план сразу окажется просроченным; проверьте день, месяц и год"
    )
