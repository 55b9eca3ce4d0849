"""``xlcrm unmerge``: undo one merge of the Merge log."""

from __future__ import annotations

from pathlib import Path

import click

from xlcrm import schema
from xlcrm.cli.exit_codes import SAVING_EPILOG
from xlcrm.cli.formatting import saved_lines
from xlcrm.cli.options import (
    Output,
    accept_deletions_option,
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
from xlcrm.messages import t, tn


@click.command("unmerge", epilog=SAVING_EPILOG)
@workbook_argument
@click.argument("merge_id")
@save_options
@strict_option
@password_option
@accept_deletions_option
@output_options
def unmerge_command(
    path: Path,
    merge_id: str,
    save: SaveOptions,
    strict: bool,
    password: str | None,
    accept_deletions: bool,
    output: Output,
) -> None:
    """Undo one merge from the Merge log: the original rows come back exactly.

    The merged clients' rows return to their places, the survivor gets its
    original values back, re-pointed Contacts, Interactions and Contracts rows
    point at their own clients again, and the pairs are remembered as "keep
    apart".

    Example:

        xlcrm unmerge clients.xlsx M0003
    """
    result = unmerge_workbook(
        path, merge_id, save=save, password=password, count_errors=strict, accept_deletions=accept_deletions
    )
    show(result, output, format_unmerge, essential=unmerged_line, locale=result.locale)
    written = result.save.path if result.save is not None else path
    exit_if_errors_remain(strict, output, written, result.errors)


def unmerged_line(result: UnmergeResult) -> str:
    """The one line of --quiet: the merge undone and what came back."""
    restored = result.restored_ids or tn("{count} row", "{count} rows", result.restored_rows)
    line = t(
        "Undid {merge_id}: {survivor_id} restored as it was, {restored} back in place, {repointed} pointing at them "
        "again",
        merge_id=result.merge_id,
        survivor_id=result.survivor_id,
        restored=restored,
        repointed=tn(
            "{count} contact, interaction or contract row",
            "{count} contact, interaction or contract rows",
            result.repointed_back,
        ),
    )
    return str(line)


def format_unmerge(result: UnmergeResult) -> str:
    """What was restored, then what was saved; names of sheets and values in the workbook's language."""
    kept_apart = t(
        "The pairs are marked {keep_apart} on the {sheet} sheet, so dedupe will not merge them again",
        keep_apart=schema.KEEP_APART.name(result.locale),
        sheet=schema.DUPLICATES.name(result.locale).removeprefix(schema.REPORT_MARKER),
    )
    lines = [unmerged_line(result), str(kept_apart)]
    if result.save is not None:
        lines += saved_lines(result.save)
    return "\n".join(lines)
