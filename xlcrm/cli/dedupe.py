"""``xlcrm dedupe``: merge the certain duplicate clients, list the probable ones for review."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from xlcrm.cli.options import (
    SaveOptions,
    json_option,
    open_to_change,
    password_option,
    save_options,
    show,
    workbook_argument,
)
from xlcrm.dedupe import merge


@click.command("dedupe")
@workbook_argument
@click.option("--dry-run", is_flag=True, help="Show what would be merged and proposed for review; change nothing.")
@save_options
@password_option
@json_option
def dedupe_command(path: Path, dry_run: bool, save: SaveOptions, password: str | None, as_json: bool) -> None:
    """Find duplicate clients: merge the certain ones, list the probable ones for review.

    Certain duplicates are merged into the oldest client (blanks filled,
    second phones and emails appended, Interactions and Contacts re-pointed)
    and logged with their original rows on the Merge log sheet. Probable pairs
    go to the Duplicates sheet with a Decision column (merge / keep apart) that
    the next run applies. Interactions entered twice are listed, not deleted.
    Score thresholds: dedupe_auto_score and dedupe_review_score in Settings.

    Example:

        xlcrm dedupe clients.xlsx --dry-run
    """
    result = open_to_change(
        path, password, save, functools.partial(merge.dedupe_workbook, dry_run=dry_run), dry_run=dry_run
    )
    show(result, as_json, merge.format_dedupe)
