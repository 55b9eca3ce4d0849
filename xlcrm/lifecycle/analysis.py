"""One pass over a workbook already read: validation, settings, parsed frames and lifecycle blocks.

Refresh and agenda both start here. A workbook whose structure xlcrm cannot
trust (a required sheet or column missing, headers not on row 1) is refused
with every such finding in one message; problems in single cells are not a
reason to stop, they travel on as findings for the Problems sheet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.settings import Settings, read_settings
from xlcrm.checks.validate import ValidationReport, validate_data
from xlcrm.errors import WorkbookStructureError, joined
from xlcrm.lifecycle.blocks import Lifecycle, compute_lifecycle
from xlcrm.lifecycle.frames import Frames, build_frames
from xlcrm.messages import t
from xlcrm.xlsx.reader import WorkbookData

STRUCTURE_CODES = frozenset({Code.MISSING_SHEET, Code.MISSING_COLUMN, Code.MISPLACED_HEADER})


@dataclass(frozen=True)
class Analysis:
    data: WorkbookData
    report: ValidationReport
    settings: Settings
    frames: Frames
    lifecycle: Lifecycle


def analyse(data: WorkbookData, today: dt.date) -> Analysis:
    """The workbook validated and turned into frames and lifecycle figures for ``today``."""
    report = validate_data(data, today)
    refuse_broken_structure(report.findings)
    settings, _ = read_settings(data)  # its findings are part of the report already
    frames = build_frames(data)
    return Analysis(data, report, settings, frames, compute_lifecycle(frames, settings, today))


def refuse_broken_structure(findings: list[Finding]) -> None:
    """Nothing; raises WorkbookStructureError when the findings include a structure error."""
    broken = [f for f in findings if f.severity is Severity.ERROR and f.code in STRUCTURE_CODES]
    if broken:
        details = joined(joined((f.cell, f.message), ": ") for f in broken)
        raise WorkbookStructureError(
            t("the workbook cannot be refreshed until this is fixed: {details}", details=details)
        )
