"""``xlcrm refresh``: the daily job, duplicates to reports in one read and one save."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import click

from xlcrm import schema
from xlcrm.cli.exit_codes import SAVING_EPILOG
from xlcrm.cli.formatting import ALL_ITEMS, SHOWN_ITEMS, assigned_id_lines, count, unknown_decision_lines
from xlcrm.cli.options import (
    Output,
    exit_if_errors_remain,
    output_options,
    password_option,
    save_options,
    show,
    strict_option,
    today_option,
    workbook_argument,
)
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs import refresh


@click.command("refresh", epilog=SAVING_EPILOG)
@workbook_argument
@today_option
@click.option("--dry-run", is_flag=True, help="Compute everything and show what would change, but write nothing.")
@save_options
@strict_option
@password_option
@output_options
def refresh_command(
    path: Path, today: dt.date, dry_run: bool, save: SaveOptions, strict: bool, password: str | None, output: Output
) -> None:
    """Merge duplicates, recompute lifecycle blocks and rebuild every report sheet, in one read and one save.

    Clients rows typed in without a ClientID first get the next free ones, so
    they get a block and count like every client; a ClientID on two rows
    counts for neither until fixed (see the Problems sheet). Duplicates are
    handled as by xlcrm dedupe: certain ones merged (listed on
    the Merge log, undone by xlcrm unmerge), probable pairs listed on the
    Duplicates sheet, the Decisions typed there applied. Cell problems do not
    stop a refresh: they are listed on the Problems sheet, and the command
    exits 0 (with --strict: 1 while errors remain). A workbook with a missing
    sheet or column, or headers not on row 1, is left untouched and the
    command exits 1.

    Example:

        xlcrm refresh clients.xlsx --today 2026-11-23
    """
    result = refresh.refresh_workbook(path, today=today, dry_run=dry_run, save=save, password=password)
    show(
        result,
        output,
        format_refresh,
        essential=refreshed_line,
        in_full=functools.partial(format_refresh, shown=ALL_ITEMS),
    )
    exit_if_errors_remain(strict, output, result.path, result.errors, dry_run=result.dry_run)


def refreshed_line(result: refresh.RefreshResult) -> str:
    """The one line of --quiet: the workbook, the day and the problems left."""
    verb = "Would refresh" if result.dry_run else "Refreshed"
    return (
        f"{verb} {result.path} for {result.today:%d.%m.%Y}: {result.errors} errors and {result.warnings} warnings, "
        f"listed on {schema.PROBLEMS.name(result.locale)}"
    )


def format_refresh(result: refresh.RefreshResult, shown: int = SHOWN_ITEMS) -> str:
    """A few lines for the terminal: blocks, movement, sheets, problems; names in the workbook's language. The
    merges are listed up to ``shown`` of them."""
    locale = result.locale
    verb = "Would refresh" if result.dry_run else "Refreshed"
    lines = [f"{verb} {result.path} for {result.today:%d.%m.%Y}"]
    lines.append("Blocks: " + ", ".join(f"{schema.block(n).label(locale)} {size}" for n, size in result.blocks.items()))
    if result.migration.previous:
        lines.append(
            f"Since the refresh of {result.migration.previous:%d.%m.%Y}: "
            f"{result.migration.moved} client{'' if result.migration.moved == 1 else 's'} changed block"
        )
    else:
        lines.append("First refresh: block movement will show from the next one")
    if result.added_sheets:
        lines.append(("Would add " if result.dry_run else "Added ") + ", ".join(result.added_sheets))
    if result.replaced_sheets:
        lines.append(("Would rebuild " if result.dry_run else "Rebuilt ") + ", ".join(result.replaced_sheets))
    if result.added_columns:
        clients = schema.CLIENTS.name(locale)
        lines.append(
            ("Would add " if result.dry_run else "Added ") + f"columns to {clients}: " + ", ".join(result.added_columns)
        )
    lines += assigned_id_lines(result.assigned_ids, dry_run=result.dry_run, shown=shown)
    if result.filled_formulas:
        interactions = schema.INTERACTIONS.name(locale)
        client = schema.CLIENT_NAME.column.name(locale)
        verb = "Would fill" if result.dry_run else "Filled"
        lines.append(f"{verb} the {client} formula into {count(result.filled_formulas, 'row')} of {interactions}")
    if result.merged_clients:
        merge_log = schema.MERGE_LOG.name(locale)
        verb = "Would merge" if result.dry_run else "Merged"
        lines.append(
            f"{verb} {count(result.merged_clients, 'duplicate client')}"
            f" into {'their survivors' if result.merged_clients > 1 else 'its survivor'}"
            f" (undo with xlcrm unmerge; see {merge_log}):"
        )
        lines.extend(
            f"  {merge.survivor} <- {', '.join(merge.merged)} ({merge.reason})" for merge in result.merges[:shown]
        )
        if len(result.merges) > shown:
            lines.append(f"  … and {len(result.merges) - shown} more (see --verbose or --json)")
    if result.review_pairs:
        duplicates = schema.DUPLICATES.name(locale)
        lines.append(
            f"{count(result.review_pairs, 'probable duplicate pair')} to review on {duplicates}: "
            "type merge or keep apart in Decision, the next refresh applies it"
        )
    lines += unknown_decision_lines(result.unknown_decisions)
    problems = schema.PROBLEMS.name(locale)
    lines.append(f"{result.errors} errors and {result.warnings} warnings, listed on {problems}")
    if result.save and result.save.backup:
        lines.append(f"Previous version kept as {result.save.backup}")
    if result.save:
        lines.extend(f"Warning: {warning}" for warning in result.save.warnings)
    return "\n".join(lines)
