"""``xlcrm unmerge``: undo one merge of the Merge log."""

from __future__ import annotations

from pathlib import Path

import click

from xlcrm.cli.exit_codes import SAVING_EPILOG
from xlcrm.cli.formatting import count
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
from xlcrm.jobs.dedupe import UnmergeResult, unmerge_workbook


@click.command("unmerge", epilog=SAVING_EPILOG)
@workbook_argument
@click.argument("merge_id")
@save_options
@strict_option
@password_option
@output_options
def unmerge_command(
    path: Path, merge_id: str, save: SaveOptions, strict: bool, password: str | None, output: Output
) -> None:
    """Undo one merge from the Merge log: the original rows come back exactly.

    The merged clients' rows return to their places, the survivor gets its
    original values back, re-pointed Interactions and Contacts point at their
    own clients again, and the pairs are remembered as "keep apart".

    Example:

        xlcrm unmerge clients.xlsx M0003
    """
    result = unmerge_workbook(path, merge_id, save=save, password=password, count_errors=strict)
    show(result, output, format_unmerge, essential=unmerged_line)
    written = result.save.path if result.save is not None else path
    exit_if_errors_remain(strict, output, written, result.errors)


def unmerged_line(result: UnmergeResult) -> str:
    """The one line of --quiet: the merge undone and what came back."""
    restored = ", ".join(result.restored_ids) or count(result.restored_rows, "row")
    return (
        f"Undid {result.merge_id}: {result.survivor_id} restored as it was, {restored} back in place, "
        f"{count(result.repointed_back, 'interaction or contact row')} pointing at them again"
    )


def format_unmerge(result: UnmergeResult) -> str:
    """What was restored, then what was saved."""
    lines = [
        unmerged_line(result),
        "The pairs are marked keep apart on the Duplicates sheet, so dedupe will not merge them again",
    ]
    if result.save is not None:
        lines.append(
            f"Saved {result.save.path}"
            + (f"; previous version kept as {result.save.backup}" if result.save.backup else "")
        )
        lines += [f"Warning: {warning}" for warning in result.save.warnings]
    return "\n".join(lines)
