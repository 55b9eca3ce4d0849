"""``xlcrm validate``: read the workbook and check every cell; nothing is written."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from xlcrm.checks.validate import ValidationReport, validate_data
from xlcrm.dedupe.merge_log import typed_decision_findings
from xlcrm.jobs.opening import open_to_read
from xlcrm.xlsx.reader import WorkbookData, read_workbook


def validate_workbook(
    path: str | Path, today: dt.date | None = None, *, password: str | None = None
) -> ValidationReport:
    """Read the workbook at ``path`` and check it; returns every problem found, each naming its cell. ``today``
    (default: the real date) dates future birthdays; ``password`` opens a password-protected workbook."""
    return open_to_read(path, password, lambda work: _validate(read_workbook(work), today or dt.date.today()))


def _validate(data: WorkbookData, today: dt.date) -> ValidationReport:
    """Every cell checked, and the Decisions typed on the Duplicates sheet that xlcrm does not understand."""
    report = validate_data(data, today)
    return dataclasses.replace(report, findings=report.findings + typed_decision_findings(data))
