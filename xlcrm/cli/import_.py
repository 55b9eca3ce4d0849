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
from xlcrm.cli.formatting import ALL_ITEMS, SHOWN_ITEMS, assigned_id_lines, more_line, saved_lines
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
)
from xlcrm.files.safe_save import SaveOptions
from xlcrm.importing.importer import ADDED, MERGED, REVIEW, SKIPPED, UNCHANGED
from xlcrm.jobs.importing import ImportResult, import_rows
from xlcrm.messages import Number, t, tn


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
@accept_deletions_option
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
    accept_deletions: bool,
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
    same file twice adds nothing the second time. Contacts, interactions
    and contracts need the ClientID of a client on Clients; a contract whose
    ContractID is on the sheet already is left out. Clients rows typed in
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
        accept_deletions=accept_deletions,
    )
    show(
        result,
        output,
        format_import,
        essential=imported_line,
        in_full=functools.partial(format_import, shown=ALL_ITEMS),
        locale=result.locale,
    )
    exit_if_errors_remain(strict, output, result.path, result.errors, dry_run=result.dry_run)


def imported_line(result: ImportResult) -> str:
    """The line that counts what became of the records: added, merged, already there, skipped."""
    added = result.count(ADDED) + result.count(REVIEW)
    merged = result.count(MERGED)
    if result.dry_run:
        added_text = tn("Would add {count} row", "Would add {count} rows", added)
        merged_text = tn(
            "would merge {count} into a matching client", "would merge {count} into matching clients", merged
        )
    else:
        added_text = tn("Added {count} row", "Added {count} rows", added)
        merged_text = tn("merged {count} into a matching client", "merged {count} into matching clients", merged)
    line = t(
        "{added}, {merged}, {unchanged}, {skipped}",
        added=added_text,
        merged=merged_text,
        unchanged=t("{count} already in the workbook", count=Number(result.count(UNCHANGED))),
        skipped=tn("{count} skipped", "{count} skipped", result.count(SKIPPED)),
    )
    return str(line)


def format_import(result: ImportResult, shown: int = SHOWN_ITEMS) -> str:
    """The mapping of the columns, what became of the records (up to ``shown`` of each kind), then what was
    saved; names of sheets and columns in the workbook's language, the rest in the language the command speaks."""
    lines = [str(t("Read {source} as {read_as}", source=result.source, read_as=result.read_as))]
    lines.append(str(t("Columns for {sheet}:", sheet=result.sheet)))
    for item in result.mapping:
        target = item["column"] or str(t("(not imported: {why})", why=item["origin"]))
        origin = " " + str(t("[mapping file]")) if item["column"] and item["origin"] == "mapping file" else ""
        lines.append(f"  {item['header']} -> {target}{origin}")
    lines.append(imported_line(result))
    lines += assigned_id_lines(result.assigned_ids, dry_run=result.dry_run, shown=shown)
    logged = [r for r in result.records if r.merge_id]
    if logged:
        merge_log = schema.MERGE_LOG.name(result.locale).removeprefix(schema.REPORT_MARKER)
        heading = t(
            "Merged into clients already in the workbook (the {sheet} keeps them as they were; undo one with xlcrm "
            "unmerge PATH MERGE_ID):",
            sheet=merge_log,
        )
        lines.append(str(heading))
        lines += [
            "  "
            + str(
                t(
                    "source row {row}: {client_id}, {merge_id} ({detail})",
                    row=r.source_row,
                    client_id=r.client_id,
                    merge_id=r.merge_id,
                    detail=r.detail,
                )
            )
            for r in logged[:shown]
        ]
    review = [r for r in result.records if r.outcome == REVIEW]
    if review:
        heading = t(
            "{clients}: the pairs are on the {sheet} sheet for your {decision} (xlcrm dedupe applies it):",
            clients=tn(
                "{count} new client looks like an existing one",
                "{count} new clients look like existing ones",
                len(review),
            ),
            sheet=schema.DUPLICATES.name(result.locale).removeprefix(schema.REPORT_MARKER),
            decision=schema.dedupe_label("decision", result.locale),
        )
        lines.append(str(heading))
        lines += [
            "  "
            + str(t("source row {row}: {client_id} {detail}", row=r.source_row, client_id=r.client_id, detail=r.detail))
            for r in review[:shown]
        ]
    skipped = [r for r in result.records if r.outcome == SKIPPED]
    if skipped:
        lines.append(str(t("Skipped:")))
        lines += [
            "  "
            + str(t("source row {row}: {detail}", row=r.source_row, detail=r.detail))
            + (f" ({r.client_id})" if r.client_id else "")
            for r in skipped[:shown]
        ]
    for items in (logged, review, skipped):
        if len(items) > shown:
            lines.append(more_line(len(items) - shown))
    lines += [str(t("Note: {note}", note=note)) for note in result.notes]
    if result.dry_run:
        lines.append(str(t("Dry run: the workbook was not changed")))
    elif result.save is None:
        lines.append(str(t("Nothing to write: the workbook was not changed")))
    else:
        lines += saved_lines(result.save)
    return "\n".join(lines)
