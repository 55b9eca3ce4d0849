"""``xlcrm import``: rows of another table (Excel, CSV, amoCRM, Bitrix24) into a sheet, without duplicates.

Named ``import_`` because ``import`` is a Python keyword.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import click

from xlcrm import schema
from xlcrm.cli.options import (
    SaveOptions,
    json_option,
    open_to_change,
    password_option,
    save_options,
    show,
    today_option,
)
from xlcrm.importing import importer


@click.command("import")
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
@password_option
@json_option
def import_command(
    source: Path,
    workbook: Path,
    sheet: str,
    mapping_file: Path | None,
    dry_run: bool,
    today: dt.date,
    save: SaveOptions,
    password: str | None,
    as_json: bool,
) -> None:
    """Import rows from another table: .xlsx, .xls, CSV, or an amoCRM / Bitrix24 export.

    Headers are matched to the sheet's columns automatically (English,
    Russian, amoCRM and Bitrix24 names) and the mapping is shown; --map
    overrides it. Several phone and email columns go into one cell each. New
    clients get the next ClientIDs; a record matching an existing client is
    merged into it (certain duplicate), added and listed for review (probable
    duplicate), or left out when the client already holds all of it, so
    importing the same file twice adds nothing the second time.

    Example:

        xlcrm import amocrm_export.csv --into clients.xlsx --dry-run
    """
    result = open_to_change(
        workbook,
        password,
        save,
        functools.partial(
            importer.import_rows, source, sheet=sheet, mapping_file=mapping_file, dry_run=dry_run, today=today
        ),
        dry_run=dry_run,
    )
    show(result, as_json, importer.format_import)
