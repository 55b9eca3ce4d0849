"""``xlcrm validate``: read the workbook and check every cell; nothing is written.

The saving jobs count the errors left in what they save with the same checks: :func:`problems_in` on a workbook
they hold in memory as it will be saved, or, when asked to (``--strict``), :func:`problems_as_written` and
:func:`problems_as_saved` when only the written file shows that. Those two never fail the job: a count that cannot
be made is unknown (None), since the work it counts is done (or, on a dry run, shown) all the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from xlcrm.checks.validate import ValidationReport, validate_data
from xlcrm.dedupe.merge_log import typed_decision_findings
from xlcrm.jobs.opening import open_to_read
from xlcrm.runtime.paths import TEMP_PREFIX
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
) -> ValidationReport | None:
    """Every problem ``xlcrm validate`` would report in the workbook ``data`` was read from once ``reports``,
    ``edits`` and ``remove`` are written into it, for a dry run of a job whose edits add rows, which only a written
    copy shows as saved; None when the copy cannot be written or read (a full disk, say).

    The copy is a private file (readable by its owner only) beside the workbook, as the plain copy of a
    password-protected workbook is, never in the system's temporary folder; it is deleted once read, and a copy a
    killed run leaves behind is removed by the next save there. The workbook is not touched.
    """
    try:
        handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=data.path.suffix, dir=data.path.parent)
    except OSError:
        return None
    os.close(handle)
    copy = Path(name)
    try:
        write_workbook(data.path, copy, reports=reports, edits=edits, remove=remove)
        return problems_in(read_workbook(copy), today)
    except Exception:  # whatever it is, it only costs the count: the dry run itself is not at risk
        return None
    finally:
        copy.unlink(missing_ok=True)


def problems_as_saved(path: Path, today: dt.date) -> ValidationReport | None:
    """Every problem ``xlcrm validate`` reports in the workbook just saved at ``path``; None when it cannot be read
    back: the save is done, and a count that fails must not turn it into an error."""
    try:
        return problems_in(read_workbook(path), today)
    except Exception:  # whatever it is, the workbook is saved: only the count is unknown
        return None
