"""``xlcrm refresh``: the daily job, duplicates to reports in one read and one save."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from pathlib import Path

import click

from xlcrm.cli.options import (
    EXIT_WORKBOOK_ERRORS,
    SaveOptions,
    json_option,
    open_to_change,
    password_option,
    save_options,
    show,
    today_option,
    workbook_argument,
)
from xlcrm.jobs import refresh


@click.command("refresh")
@workbook_argument
@today_option
@click.option("--dry-run", is_flag=True, help="Compute everything and show what would change, but write nothing.")
@save_options
@password_option
@json_option
def refresh_command(
    path: Path, today: dt.date, dry_run: bool, save: SaveOptions, password: str | None, as_json: bool
) -> None:
    """Merge duplicates, recompute lifecycle blocks and rebuild every report sheet, in one read and one save.

    Duplicates are handled as by xlcrm dedupe: certain ones merged (listed on
    the Merge log, undone by xlcrm unmerge), probable pairs listed on the
    Duplicates sheet, the Decisions typed there applied. Cell problems do not
    stop a refresh: they are listed on the Problems sheet, and the command
    exits 1 while errors remain (0 with warnings only). A workbook with a
    missing sheet or column, or headers not on row 1, is left untouched and
    the command exits 1.

    Example:

        xlcrm refresh clients.xlsx --today 2026-11-23
    """
    result = open_to_change(
        path, password, save, functools.partial(refresh.refresh_workbook, today=today, dry_run=dry_run), dry_run=dry_run
    )
    show(result, as_json, refresh.format_result)
    if result.errors:
        sys.exit(EXIT_WORKBOOK_ERRORS)
