"""``xlcrm import``: rows of another table (Excel, CSV, amoCRM, Bitrix24) into a sheet, without duplicates.

Named ``import_`` because ``import`` is a Python keyword.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import click

from xlcrm import schema
from xlcrm.cli.exit_codes import SAVING_EPILOG
from xlcrm.cli.formatting import ALL_ITEMS, SHOWN_ITEMS, assigned_id_lines
from xlcrm.cli.options import (
    Output,
    exit_if_errors_remain,
    output_options,
    password_option,
    save_options,
    show,
    strict_option,
    today_option,
)
from xlcrm.files.safe_save import SaveOptions
from xlcrm.importing.importer import ADDED, MERGED, REVIEW, SKIPPED, UNCHANGED
from xlcrm.jobs.importing import ImportResult, import_rows


@click.command("import", epilog=SAVING_EPILOG)
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--into", "workbook", type=click.Path(path_type=Path), required=True, help="The workbook to import into.")
@click.option(
    "--sheet",
    type=click.Choice([spec.key for spec in schema.IMPORT_SHEETS]),
    default=schema.CLIENTS.key,
    show_default=True,
    help="The sheet the rows go to.",
)
@click.option(
    "--map",
    "mapping_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A text file of 'source header = column' lines that overrides the automatic mapping "
    "('-' as the column skips a source column).",
)
@click.option("--dry-run", is_flag=True, help="Show the mapping and what would be added or merged; write nothing.")
@today_option
@save_options
@strict_option
@password_option
@output_options
def import_command(
    source: Path,
    workbook: Path,
    sheet: str,
    mapping_file: Path | None,
    dry_run: bool,
    today: dt.date,
    save: SaveOptions,
    strict: bool,
    password: str | None,
    output: Output,
) -> None:
    """Import rows from another table: .xlsx, .xls, CSV, or an amoCRM / Bitrix24 export.

    Headers are matched to the sheet's columns automatically (English,
    Russian, amoCRM and Bitrix24 names) and the mapping is shown; --map
    overrides it. Several phone and email columns go into one cell each. New
    clients get the next ClientIDs. A record matching an existing client is
    merged into it when it is a certain duplicate (or the pair was decided
    merge on the Duplicates sheet), and left out when that client already
    holds all of it; a probable duplicate is added as a new client and the
    pair listed for review, even when the client holds all of it. A record
    is also left out when a row already holds the same values in every
    imported column (and is blank where the record is), so importing the
    same file twice adds nothing the second time. Clients rows typed in
    without a ClientID get the next free ones first, in the same save, and
    are matched like the others.

    Example:

        xlcrm import amocrm_export.csv --into clients.xlsx --dry-run
    """
    result = import_rows(
        source,
        workbook,
        sheet=sheet,
        mapping_file=mapping_file,
        dry_run=dry_run,
        today=today,
        save=save,
        password=password,
    )
    show(
        result,
        output,
        format_import,
        essential=imported_line,
        in_full=functools.partial(format_import, shown=ALL_ITEMS),
    )
    exit_if_errors_remain(strict, output, result.path, result.errors, dry_run=result.dry_run)


def imported_line(result: ImportResult) -> str:
    """The line that counts what became of the records: added, merged, already there, skipped."""
    verb = "Would add" if result.dry_run else "Added"
    return (
        f"{verb} {result.count(ADDED) + result.count(REVIEW)} rows, "
        f"{'would merge' if result.dry_run else 'merged'} {result.count(MERGED)} into matching clients, "
        f"{result.count(UNCHANGED)} already in the workbook, {result.count(SKIPPED)} skipped"
    )


def format_import(result: ImportResult, shown: int = SHOWN_ITEMS) -> str:
    """The mapping of the columns, what became of the records (up to ``shown`` of each kind), then what was
    saved."""
    lines = [f"Read {result.source} as {result.read_as}"]
    lines.append(f"Columns for {result.sheet}:")
    for item in result.mapping:
        target = item["column"] or f"(not imported: {item['origin']})"
        origin = " [mapping file]" if item["column"] and item["origin"] == "mapping file" else ""
        lines.append(f"  {item['header']} -> {target}{origin}")
    lines.append(imported_line(result))
    lines += assigned_id_lines(result.assigned_ids, dry_run=result.dry_run, shown=shown)
    logged = [r for r in result.records if r.merge_id]
    if logged:
        lines.append(
            "Merged into clients already in the workbook (the Merge log keeps them as they were; "
            "undo one with xlcrm unmerge PATH MERGE_ID):"
        )
        lines += [f"  source row {r.source_row}: {r.client_id}, {r.merge_id} ({r.detail})" for r in logged[:shown]]
    review = [r for r in result.records if r.outcome == REVIEW]
    if review:
        lines.append(
            f"{len(review)} new clients look like existing ones: the pairs are on the Duplicates sheet "
            "for your Decision (xlcrm dedupe applies it):"
        )
        lines += [f"  source row {r.source_row}: {r.client_id} {r.detail}" for r in review[:shown]]
    skipped = [r for r in result.records if r.outcome == SKIPPED]
    if skipped:
        lines.append("Skipped:")
        lines += [
            f"  source row {r.source_row}: {r.detail}" + (f" ({r.client_id})" if r.client_id else "")
            for r in skipped[:shown]
        ]
    for items in (logged, review, skipped):
        if len(items) > shown:
            lines.append(f"  … and {len(items) - shown} more (see --verbose or --json)")
    lines += [f"Note: {note}" for note in result.notes]
    if result.dry_run:
        lines.append("Dry run: the workbook was not changed")
    elif result.save is None:
        lines.append("Nothing to write: the workbook was not changed")
    else:
        lines.append(
            f"Saved {result.save.path}"
            + (f"; previous version kept as {result.save.backup}" if result.save.backup else "")
        )
        lines += [f"Warning: {warning}" for warning in result.save.warnings]
    return "\n".join(lines)
