"""``xlcrm validate``: every problem of the workbook, with its cell."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from xlcrm.checks import validate
from xlcrm.cli.options import (
    EXIT_WORKBOOK_ERRORS,
    json_option,
    open_to_read,
    password_option,
    show,
    today_option,
    workbook_argument,
)


@click.command("validate")
@workbook_argument
@today_option
@password_option
@json_option
def validate_command(path: Path, today: dt.date, password: str | None, as_json: bool) -> None:
    """Check a workbook and list every problem with its cell.

    Exits 1 when there is at least one error; warnings alone exit 0.

    Example:

        xlcrm validate clients.xlsx --json
    """
    report = open_to_read(path, password, lambda work: validate.validate_workbook(work, today=today))
    show(report, as_json, validate.format_report)
    if not report.valid:
        sys.exit(EXIT_WORKBOOK_ERRORS)
