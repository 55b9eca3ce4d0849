"""``xlcrm dedupe``: merge the certain duplicate clients, list the probable ones for review."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from xlcrm import schema
from xlcrm.cli.exit_codes import SAVING_EPILOG
from xlcrm.cli.formatting import (
    ALL_ITEMS,
    SHOWN_ITEMS,
    assigned_id_lines,
    more_line,
    saved_lines,
    unknown_decision_lines,
)
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
from xlcrm.jobs.dedupe import DedupeResult, dedupe_workbook
from xlcrm.messages import Message, Number, t, tn


@click.command("dedupe", epilog=SAVING_EPILOG)
@workbook_argument
@click.option("--dry-run", is_flag=True, help="Show what would be merged and proposed for review; change nothing.")
@save_options
@strict_option
@password_option
@accept_deletions_option
@output_options
def dedupe_command(
    path: Path,
    dry_run: bool,
    save: SaveOptions,
    strict: bool,
    password: str | None,
    accept_deletions: bool,
    output: Output,
) -> None:
    """Find duplicate clients: merge the certain ones, list the probable ones for review.

    Certain duplicates are merged into the oldest client (blanks filled,
    second phones and emails appended, Contacts, Interactions and Contracts
    re-pointed) and logged with their original rows on the Merge log sheet.
    Probable pairs go to the Duplicates sheet with a Decision column (merge /
    keep apart) that the next run applies. Interactions entered twice are listed, not deleted.
    Clients rows typed in without a ClientID first get the next free ones
    (saved with the merges), so they are compared like the others.
    Probability thresholds: dedupe_auto_probability and dedupe_review_probability in Settings.
    Each pair shows its reasons with their weights and the probability they add up to;
    the likeliest pairs are listed first, at most dedupe_review_limit of them (Settings).

    Example:

        xlcrm dedupe clients.xlsx --dry-run
    """
    result = dedupe_workbook(path, dry_run=dry_run, save=save, password=password, accept_deletions=accept_deletions)
    show(
        result,
        output,
        format_dedupe,
        essential=deduped_line,
        in_full=functools.partial(format_dedupe, shown=ALL_ITEMS),
        locale=result.locale,
    )
    written = result.save.path if result.save is not None else path
    exit_if_errors_remain(strict, output, written, result.errors, dry_run=result.dry_run)


def deduped_line(result: DedupeResult) -> str:
    """The one line of --quiet: how many rows were merged and pairs listed for review."""
    pairs = tn("{count} probable pair", "{count} probable pairs", len(result.review))
    return str(t("{path}: {merged}, {pairs} to review", path=result.path, merged=_merged(result), pairs=pairs))


def _merged(result: DedupeResult) -> Message:
    """``Merged 3 duplicate rows into 2 clients``."""
    rows = tn("{count} duplicate row", "{count} duplicate rows", result.merged_rows)
    clients = tn("into {count} client", "into {count} clients", len(result.merges))
    if result.dry_run:
        return t("Would merge {rows} {clients}", rows=rows, clients=clients)
    return t("Merged {rows} {clients}", rows=rows, clients=clients)


def format_dedupe(result: DedupeResult, shown: int = SHOWN_ITEMS) -> str:
    """The merges and the pairs to review, up to ``shown`` of each, then what was saved; names of sheets, columns
    and Decisions in the workbook's language, the rest in the language the command speaks."""
    compared = t(
        "{path}: {clients}, {pairs} compared",
        path=result.path,
        clients=tn("{count} client", "{count} clients", result.clients),
        pairs=tn("{count} candidate pair", "{count} candidate pairs", result.candidate_pairs),
    )
    if result.blocks_too_large:
        too_large = tn(
            "{count} group of clients too large to compare (a very common name or a shared identifier)",
            "{count} groups of clients too large to compare (a very common name or a shared identifier)",
            result.blocks_too_large,
        )
        compared = t("{compared}; {too_large}", compared=compared, too_large=too_large)
    lines = [str(compared)]
    lines += assigned_id_lines(result.assigned_ids, dry_run=result.dry_run, shown=shown)
    if result.merges:
        lines.append(str(_merged(result)) + ":")
        for merge in result.merges[:shown]:
            others = [m["client_id"] or str(t("row {row}", row=m["row"])) for m in merge["merged"]]
            survivor = merge["survivor"]["client_id"]
            lines.append(f"  {merge['merge_id']}: {survivor} <- {', '.join(others)} ({merge['why_merged']})")
        if len(result.merges) > shown:
            lines.append(more_line(len(result.merges) - shown))
    else:
        lines.append(str(t("Nothing to merge: no certain duplicates")))
    if result.review:
        lines.append(str(_review_heading(result)))
        if result.review_left_out:
            lines.append("  " + str(_left_out_line(result)))
        for pair in result.review[:shown]:
            ids = " / ".join(pair["client_ids"])
            lines.append("  " + str(t("{ids}: {reason}", ids=ids, reason=pair["reason"])))
        if len(result.review) > shown:
            lines.append("  " + str(t("… and {more} more", more=len(result.review) - shown)))
    if result.kept_apart:
        pairs = tn("{count} pair", "{count} pairs", result.kept_apart)
        lines.append(str(t("{pairs} kept apart by your decisions", pairs=pairs)))
    lines += unknown_decision_lines(result.unknown_decisions)
    if result.interaction_duplicates:
        lines.append(str(_repeated_heading(result)))
        for item in result.interaction_duplicates[:shown]:
            rows = [str(row) for row in item["rows"]]
            line = t(
                "rows {rows}: {client_id} {date} {type}",
                rows=rows,
                client_id=item["client_id"],
                date=item["date"] or "",
                type=item["type"],
            )
            lines.append(("  " + str(line)).rstrip())
    lines += [str(t("Note: {note}", note=note)) for note in result.notes]
    if result.dry_run:
        lines.append(str(t("Dry run: the workbook was not changed")))
    elif result.save is not None:
        lines += saved_lines(result.save)
    else:
        lines.append(str(t("No duplicates: the workbook was not changed")))
    return "\n".join(lines)


def _review_heading(result: DedupeResult) -> Message:
    """The line before the pairs to review: where they are and what to do with them, named as in the workbook."""
    return t(
        "{pairs} to review on the {sheet} sheet (fill in {decision}: {merge} / {keep_apart}, then run xlcrm dedupe "
        "again):",
        pairs=tn("{count} probable pair", "{count} probable pairs", len(result.review)),
        sheet=schema.DUPLICATES.name(result.locale).removeprefix(schema.REPORT_MARKER),
        decision=schema.dedupe_label("decision", result.locale),
        merge=schema.MERGE_DECISION.name(result.locale),
        keep_apart=schema.KEEP_APART.name(result.locale),
    )


def _left_out_line(result: DedupeResult) -> Message:
    """``(showing the 500 likeliest of 812; …)``: the pairs Settings' dedupe_review_limit left for a later run."""
    return t(
        "(showing the {listed} likeliest of {total}; the other {left_out} come on the next run, once these are "
        "decided)",
        listed=Number(len(result.review)),
        total=Number(len(result.review) + result.review_left_out),
        left_out=Number(result.review_left_out),
    )


def _repeated_heading(result: DedupeResult) -> Message:
    """The line before the interactions entered more than once."""
    return t(
        "{interactions} entered more than once (not deleted; listed on the {sheet} sheet):",
        interactions=tn("{count} interaction", "{count} interactions", len(result.interaction_duplicates)),
        sheet=schema.DUPLICATES.name(result.locale).removeprefix(schema.REPORT_MARKER),
    )
