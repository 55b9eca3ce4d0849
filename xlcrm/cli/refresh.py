"""``xlcrm refresh``: the daily job, duplicates to reports in one read and one save."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import click

from xlcrm import schema
from xlcrm.cli.change_lines import changes_line
from xlcrm.cli.exit_codes import SAVING_EPILOG
from xlcrm.cli.formatting import (
    ALL_ITEMS,
    SHOWN_ITEMS,
    assigned_id_lines,
    more_line,
    unknown_decision_lines,
    warning_lines,
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
    today_option,
    workbook_argument,
)
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs import refresh
from xlcrm.lifecycle.payments import DebtTotals
from xlcrm.messages import Message, Number, t, tn


@click.command("refresh", epilog=SAVING_EPILOG)
@workbook_argument
@today_option
@click.option("--dry-run", is_flag=True, help="Compute everything and show what would change, but write nothing.")
@save_options
@strict_option
@password_option
@accept_deletions_option
@output_options
def refresh_command(
    path: Path,
    today: dt.date,
    dry_run: bool,
    save: SaveOptions,
    strict: bool,
    password: str | None,
    accept_deletions: bool,
    output: Output,
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

    The user sheets are first compared with the version xlcrm saved last:
    the Changes sheet lists rows added, changed and deleted since. When more
    than the Setting deletion_stop_percent of the Clients rows, or any
    Interactions or Contracts row, was deleted, nothing is written and the
    command exits 1, saying how to bring them back (xlcrm restore) or go on
    (--accept-deletions).

    Example:

        xlcrm refresh clients.xlsx --today 2026-11-23
    """
    result = refresh.refresh_workbook(
        path, today=today, dry_run=dry_run, save=save, password=password, accept_deletions=accept_deletions
    )
    show(
        result,
        output,
        format_refresh,
        essential=refreshed_line,
        in_full=functools.partial(format_refresh, shown=ALL_ITEMS),
        locale=result.locale,
    )
    exit_if_errors_remain(strict, output, result.path, result.errors, dry_run=result.dry_run)


def refreshed_line(result: refresh.RefreshResult) -> str:
    """The one line of --quiet: the workbook, the day and the problems left."""
    day = f"{result.today:%d.%m.%Y}"
    left = _problems_left(result)
    if result.dry_run:
        return str(t("Would refresh {path} for {day}: {left}", path=result.path, day=day, left=left))
    return str(t("Refreshed {path} for {day}: {left}", path=result.path, day=day, left=left))


def _problems_left(result: refresh.RefreshResult) -> Message:
    """``11 errors and 2 warnings, listed on ▸ Проблемы``."""
    return t(
        "{errors} and {warnings}, listed on {sheet}",
        errors=tn("{count} error", "{count} errors", result.errors),
        warnings=tn("{count} warning", "{count} warnings", result.warnings),
        sheet=schema.PROBLEMS.name(result.locale),
    )


def format_refresh(result: refresh.RefreshResult, shown: int = SHOWN_ITEMS) -> str:
    """A few lines for the terminal: blocks, movement, sheets, problems; names of sheets, columns and blocks in the
    workbook's language, the rest in the language the command speaks. The merges are listed up to ``shown`` of
    them."""
    locale, dry_run = result.locale, result.dry_run
    day = f"{result.today:%d.%m.%Y}"
    refreshed = t("Would refresh {path} for {day}", path=result.path, day=day)
    lines = [str(refreshed if dry_run else t("Refreshed {path} for {day}", path=result.path, day=day))]
    blocks = [f"{schema.block(n).label(locale)} {size}" for n, size in result.blocks.items()]
    lines.append(str(t("Blocks: {blocks}", blocks=blocks)))
    if result.debts is not None:
        lines.append(_debts_line(result.debts))
    if result.migration.previous:
        moved = tn("{count} client changed block", "{count} clients changed block", result.migration.moved)
        since = f"{result.migration.previous:%d.%m.%Y}"
        lines.append(str(t("Since the refresh of {day}: {moved}", day=since, moved=moved)))
    else:
        lines.append(str(t("First refresh: block movement will show from the next one")))
    if result.added_sheets:
        sheets = list(result.added_sheets)
        lines.append(str(t("Would add {sheets}", sheets=sheets) if dry_run else t("Added {sheets}", sheets=sheets)))
    if result.replaced_sheets:
        sheets = list(result.replaced_sheets)
        rebuilt = t("Would rebuild {sheets}", sheets=sheets) if dry_run else t("Rebuilt {sheets}", sheets=sheets)
        lines.append(str(rebuilt))
    if result.added_columns:
        clients, columns = schema.CLIENTS.name(locale), list(result.added_columns)
        if dry_run:
            added = t("Would add columns to {sheet}: {columns}", sheet=clients, columns=columns)
        else:
            added = t("Added columns to {sheet}: {columns}", sheet=clients, columns=columns)
        lines.append(str(added))
    lines += assigned_id_lines(result.assigned_ids, dry_run=dry_run, shown=shown)
    if result.filled_formulas:
        where = {
            "column": schema.CLIENT_NAME.column.name(locale),
            "rows": tn("{count} row", "{count} rows", result.filled_formulas),
            "sheet": schema.INTERACTIONS.name(locale),
        }
        if dry_run:
            filled = t("Would fill the {column} formula into {rows} of {sheet}", **where)
        else:
            filled = t("Filled the {column} formula into {rows} of {sheet}", **where)
        lines.append(str(filled))
    if result.highlights_upgraded:
        if dry_run:
            lines.append(str(t("Would update the highlighting of planned dates")))
        else:
            lines.append(str(t("Highlighting of planned dates updated")))
    if result.merged_clients:
        lines.append(str(_merged_heading(result)))
        lines.extend(
            f"  {merge.survivor} <- {', '.join(merge.merged)} ({merge.reason})" for merge in result.merges[:shown]
        )
        if len(result.merges) > shown:
            lines.append(more_line(len(result.merges) - shown))
    if result.review_pairs:
        pairs = tn("{count} probable duplicate pair", "{count} probable duplicate pairs", result.review_pairs)
        review = t(
            "{pairs} to review on {sheet}: type {merge} or {keep_apart} in {decision}, the next refresh applies it",
            pairs=pairs,
            sheet=schema.DUPLICATES.name(locale),
            merge=schema.MERGE_DECISION.name(locale),
            keep_apart=schema.KEEP_APART.name(locale),
            decision=schema.dedupe_label("decision", locale),
        )
        lines.append(str(review))
    lines += unknown_decision_lines(result.unknown_decisions)
    if result.changes is not None:
        lines.append(changes_line(result.changes, locale))
    lines.append(str(_problems_left(result)))
    if result.save and result.save.backup:
        lines.append(str(t("Previous version kept as {backup}", backup=result.save.backup)))
    if result.save:
        lines += warning_lines(result.save.warnings)
    return "\n".join(lines)


def _debts_line(debts: DebtTotals) -> str:
    """``Debts: 12 clients owe 345,000.00, 7 of them overdue 120,000.00; 3 clients paid ahead 40,000.00``."""
    owing = tn(
        "{count} client owes {amount}",
        "{count} clients owe {amount}",
        debts.owing_clients,
        amount=Number(debts.owed, 2),
    )
    overdue = t("{count} of them overdue {amount}", count=debts.overdue_clients, amount=Number(debts.overdue, 2))
    parts: list[Message] = [owing, overdue] if debts.owing_clients else [t("nobody owes")]
    if debts.credit_clients:
        parts.append(
            tn(
                "{count} client paid ahead {amount}",
                "{count} clients paid ahead {amount}",
                debts.credit_clients,
                amount=Number(debts.credit, 2),
            )
        )
    return str(t("Debts: {parts}", parts="; ".join(str(part) for part in parts)))


def _merged_heading(result: refresh.RefreshResult) -> Message:
    """``Merged 6 duplicate clients into their survivors (undo with xlcrm unmerge; see ▸ Журнал объединений):``."""
    merge_log = schema.MERGE_LOG.name(result.locale)
    clients = tn(
        "{count} duplicate client into its survivor",
        "{count} duplicate clients into their survivors",
        result.merged_clients,
    )
    if result.dry_run:
        return t("Would merge {clients} (undo with xlcrm unmerge; see {sheet}):", clients=clients, sheet=merge_log)
    return t("Merged {clients} (undo with xlcrm unmerge; see {sheet}):", clients=clients, sheet=merge_log)
