"""``xlcrm validate``: read the workbook and check every cell; nothing is written.

The saving jobs count the errors left in what they save with the same checks: :func:`problems_in` on a workbook
they hold in memory as it will be saved, or :func:`problems_as_written` when only the written file shows that.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

from xlcrm.checks.validate import ValidationReport, validate_data
from xlcrm.dedupe.merge_log import typed_decision_findings
from xlcrm.jobs.opening import open_to_read
from xlcrm.xlsx.package import write_workbook
from xlcrm.xlsx.reader import WorkbookData, read_workbook
from xlcrm.xlsx.report_sheet import ReportSheet
from xlcrm.xlsx.sheet_edits import SheetEdit


def validate_workbook(
    path: str | Path, today: dt.date | None = None, *, password: str | None = None
) -> ValidationReport:
    """Read the workbook at ``path`` and check it; returns every problem found, each naming its cell. ``today``
    (default: the real date) dates future birthdays; ``password`` opens a password-protected workbook."""
    return open_to_read(path, password, lambda work: problems_in(read_workbook(work), today or dt.date.today()))


def problems_in(data: WorkbookData, today: dt.date) -> ValidationReport:
    """Every problem ``xlcrm validate`` reports in ``data``: every cell checked, and the Decisions typed on the
    Duplicates sheet that xlcrm does not understand."""
    report = validate_data(data, today)
    return dataclasses.replace(report, findings=report.findings + typed_decision_findings(data))


def problems_as_written(
    data: WorkbookData,
    today: dt.date,
    *,
    reports: Sequence[ReportSheet] = (),
    edits: Sequence[SheetEdit] = (),
    remove: Sequence[str] = (),
) -> ValidationReport:
    """Every problem ``xlcrm validate`` would report in the workbook ``data`` was read from once ``reports``,
    ``edits`` and ``remove`` are written into it: for a dry run of a job whose edits add rows, which only a
    written copy shows as saved. The copy is written to a private temporary folder and deleted; the workbook is
    not touched."""
    with tempfile.TemporaryDirectory(prefix="xlcrm-") as folder:
        copy = Path(folder) / data.path.name
        write_workbook(data.path, copy, reports=reports, edits=edits, remove=remove)
        return problems_in(read_workbook(copy), today)
