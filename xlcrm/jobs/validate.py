"""``xlcrm validate``: read the workbook and check every cell; nothing is written.

The saving jobs count the errors left in what they save with the same checks: :func:`problems_in` on a workbook
they hold in memory as it will be saved (:mod:`xlcrm.jobs.as_saved`), or, for unmerge and only when asked to
(``--strict``), :func:`problems_as_saved` on the file it saved, which never fails the job: a count that cannot be
made is unknown (None), since the work it counts is done all the same.
"""

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
    return open_to_read(path, password, lambda work: problems_in(read_workbook(work), today or dt.date.today()))


def problems_in(data: WorkbookData, today: dt.date) -> ValidationReport:
    """Every problem ``xlcrm validate`` reports in ``data``: every cell checked, and the Decisions typed on the
    Duplicates sheet that xlcrm does not understand."""
    report = validate_data(data, today)
    return dataclasses.replace(report, findings=report.findings + typed_decision_findings(data))


def problems_as_saved(path: Path, today: dt.date) -> ValidationReport | None:
    """Every problem ``xlcrm validate`` reports in the workbook just saved at ``path``; None when it cannot be read
    back: the save is done, and a count that fails must not turn it into an error."""
    try:
        return problems_in(read_workbook(path), today)
    except Exception:  # whatever it is, the workbook is saved: only the count is unknown
        return None
