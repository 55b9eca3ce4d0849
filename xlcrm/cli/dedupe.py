"""``xlcrm dedupe``: merge the certain duplicate clients, list the probable ones for review."""

from __future__ import annotations

import functools
from pathlib import Path

import click

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
    workbook_argument,
)
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.dedupe import DedupeResult, dedupe_workbook


@click.command("dedupe", epilog=SAVING_EPILOG)
@workbook_argument
@click.option("--dry-run", is_flag=True, help="Show what would be merged and proposed for review; change nothing.")
@save_options
@strict_option
@password_option
@output_options
def dedupe_command(
    path: Path, dry_run: bool, save: SaveOptions, strict: bool, password: str | None, output: Output
) -> None:
    """Find duplicate clients: merge the certain ones, list the probable ones for review.

    Certain duplicates are merged into the oldest client (blanks filled,
    second phones and emails appended, Interactions and Contacts re-pointed)
    and logged with their original rows on the Merge log sheet. Probable pairs
    go to the Duplicates sheet with a Decision column (merge / keep apart) that
    the next run applies. Interactions entered twice are listed, not deleted.
    Clients rows typed in without a ClientID first get the next free ones
    (saved with the merges), so they are compared like the others.
    Score thresholds: dedupe_auto_score and dedupe_review_score in Settings.

    Example:

        xlcrm dedupe clients.xlsx --dry-run
    """
    result = dedupe_workbook(path, dry_run=dry_run, save=save, password=password)
    show(
        result,
        output,
        format_dedupe,
        essential=deduped_line,
        in_full=functools.partial(format_dedupe, shown=ALL_ITEMS),
    )
    written = result.save.path if result.save is not None else path
    exit_if_errors_remain(strict, output, written, result.errors, dry_run=result.dry_run)


def deduped_line(result: DedupeResult) -> str:
    """The one line of --quiet: how many rows were merged and pairs listed for review."""
    verb = "Would merge" if result.dry_run else "Merged"
    return (
        f"{result.path}: {verb} {count(result.merged_rows, 'duplicate row')} into "
        f"{count(len(result.merges), 'client')}, {count(len(result.review), 'probable pair')} to review"
    )


def format_dedupe(result: DedupeResult, shown: int = SHOWN_ITEMS) -> str:
    """The merges and the pairs to review, up to ``shown`` of each, then what was saved."""
    lines = []
    lines.append(f"{result.path}: {result.clients:,} clients, {result.candidate_pairs:,} candidate pairs compared")
    lines += assigned_id_lines(result.assigned_ids, dry_run=result.dry_run, shown=shown)
    if result.merges:
        lines.append(
            f"{'Would merge' if result.dry_run else 'Merged'} {count(result.merged_rows, 'duplicate row')} "
            f"into {count(len(result.merges), 'client')}:"
        )
        for merge in result.merges[:shown]:
            others = ", ".join(m["client_id"] or f"row {m['row']}" for m in merge["merged"])
            lines.append(f"  {merge['merge_id']}: {merge['survivor']['client_id']} <- {others} ({merge['why_merged']})")
        if len(result.merges) > shown:
            lines.append(f"  … and {len(result.merges) - shown} more (see --verbose or --json)")
    else:
        lines.append("Nothing to merge: no certain duplicates")
    if result.review:
        lines.append(
            f"{count(len(result.review), 'probable pair')} to review on the Duplicates sheet "
            "(fill in Decision: merge / keep apart, then run xlcrm dedupe again):"
        )
        for pair in result.review[:shown]:
            lines.append(f"  {' / '.join(pair['client_ids'])}: score {pair['score']}, {pair['reason']}")
        if len(result.review) > shown:
            lines.append(f"  … and {len(result.review) - shown} more")
    if result.kept_apart:
        lines.append(f"{count(result.kept_apart, 'pair')} kept apart by your decisions")
    lines += unknown_decision_lines(result.unknown_decisions)
    if result.interaction_duplicates:
        lines.append(
            f"{count(len(result.interaction_duplicates), 'interaction')} entered more than once "
            "(not deleted; listed on the Duplicates sheet):"
        )
        for item in result.interaction_duplicates[:shown]:
            lines.append(
                f"  rows {', '.join(map(str, item['rows']))}: {item['client_id']} {item['date'] or ''} "
                f"{item['type']}".rstrip()
            )
    lines += [f"Note: {note}" for note in result.notes]
    if result.dry_run:
        lines.append("Dry run: the workbook was not changed")
    elif result.save is not None:
        lines.append(
            f"Saved {result.save.path}"
            + (f"; previous version kept as {result.save.backup}" if result.save.backup else "")
        )
        lines += [f"Warning: {warning}" for warning in result.save.warnings]
    else:
        lines.append("No duplicates: the workbook was not changed")
    return "\n".join(lines)
