"""``xlcrm validate``: every problem of the workbook, with its cell."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from xlcrm.checks.findings import Finding, Severity
from xlcrm.checks.validate import ValidationReport
from xlcrm.cli.exit_codes import EXIT_WORKBOOK_ERRORS, VALIDATE_EPILOG
from xlcrm.cli.options import Output, output_options, password_option, show, today_option, workbook_argument
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import t, tn

# A finding's value is shown up to this many characters.
_SHOWN_VALUE_CHARS = 60


@click.command("validate", epilog=VALIDATE_EPILOG)
@workbook_argument
@today_option
@password_option
@output_options
def validate_command(path: Path, today: dt.date, password: str | None, output: Output) -> None:
    """Check a workbook and list every problem with its cell.

    Exits 1 when there is at least one error; warnings alone exit 0. With
    --quiet only the total line is printed.

    Example:

        xlcrm validate clients.xlsx --json
    """
    report = validate_workbook(path, today=today, password=password)
    show(report, output, format_report, essential=format_total, locale=report.locale)
    if not report.valid:
        sys.exit(EXIT_WORKBOOK_ERRORS)


def format_report(report: ValidationReport) -> str:
    """One line per finding, in workbook order, then a total line."""
    if not report.findings:
        return format_total(report)
    return "\n".join([*(format_finding(f) for f in report.findings), format_total(report)])


def format_total(report: ValidationReport) -> str:
    """The line that counts the errors and warnings (or says there are none)."""
    name = report.path.name
    if not report.findings:
        return str(t("No problems found in {name}", name=name))
    errors = tn("{count} error", "{count} errors", len(report.errors))
    warnings = tn("{count} warning", "{count} warnings", len(report.warnings))
    return str(t("{errors}, {warnings} in {name}", errors=errors, warnings=warnings, name=name))


def format_finding(finding: Finding) -> str:
    """A finding's line as validate prints it: severity, cell, code, the value and what is wrong."""
    severities = {Severity.ERROR: str(t("error")), Severity.WARNING: str(t("warning"))}
    width = max(len(word) for word in severities.values())
    parts = [severities[finding.severity].ljust(width), finding.cell, finding.code.value]
    if finding.value:
        shown = finding.value
        if len(shown) > _SHOWN_VALUE_CHARS:
            shown = shown[: _SHOWN_VALUE_CHARS - 1] + "…"
        parts.append(json.dumps(shown, ensure_ascii=False))
    parts.append(str(finding.message))
    return parts[0] + " " + "  ".join(parts[1:])
