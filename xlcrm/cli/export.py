"""``xlcrm export``: the client base into a database, or an anonymised copy of the workbook."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from xlcrm.cli.exit_codes import PLAIN_EPILOG
from xlcrm.cli.formatting import warning_lines
from xlcrm.cli.options import Output, output_options, password_option, show, today_option, workbook_argument
from xlcrm.jobs import export
from xlcrm.messages import t, tn


@click.command("export", epilog=PLAIN_EPILOG)
@workbook_argument
@click.option(
    "--sqlite",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write every user sheet and the computed lifecycle as tables with keys to this new SQLite file.",
)
@click.option(
    "--url",
    default=None,
    help="Write the same tables to the database at this SQLAlchemy URL "
    "(e.g. postgresql+psycopg://user@host/dbname; the password is never printed).",
)
@click.option(
    "--anonymise",
    "--anonymize",
    "anonymise",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a copy of the workbook to this file with its personal data masked, on every sheet, reports too: "
    "each client's person becomes one pseudonym (Client 17), a sole trader's company too (IP Client 17); phones, "
    "e-mails and INN are masked, addresses emptied (the City stays), birthdays become 1 July of their year; "
    "the free texts (Comment on Clients; Result, Comment and Next action on Interactions) become (hidden). Notes, "
    "formula results, chart caches and the author, title and company of the file are left empty; a report sheet "
    "xlcrm cannot mask (▸ Changes, which lists earlier values) is left out.",
)
@click.option(
    "--keep-comments",
    is_flag=True,
    help="In the anonymised copy, keep the free texts, with the phones, e-mails and names in them masked.",
)
@click.option("--force", is_flag=True, help="Replace an existing file or existing tables of the same names.")
@click.option(
    "--ignore-lock",
    is_flag=True,
    help="Write the anonymised copy even though that file looks open in Excel or LibreOffice.",
)
@today_option
@password_option
@output_options
def export_command(
    path: Path,
    sqlite: Path | None,
    url: str | None,
    anonymise: Path | None,
    keep_comments: bool,
    force: bool,
    ignore_lock: bool,
    today: dt.date,
    password: str | None,
    output: Output,
) -> None:
    """Carry the client base elsewhere: a database (SQLite or a SQLAlchemy URL) or an anonymised copy.

    The workbook itself is not changed. A database gets the tables clients
    (key client_id), contacts and interactions (foreign keys to clients),
    services, settings, setting_lists, blocks and client_lifecycle (each
    client's block, orders and revenue as of --today). Cells that would break
    a key or a type (blank or repeated ClientIDs, text in a date column) are
    named and nothing is written.

    Example:

        xlcrm export clients.xlsx --sqlite clients.sqlite --anonymise for_accountant.xlsx
    """
    result = export.export_workbook(
        path,
        sqlite=sqlite,
        url=url,
        anonymise=anonymise,
        keep_comments=keep_comments,
        today=today,
        force=force,
        ignore_lock=ignore_lock,
        password=password,
    )
    show(result, output, format_export, essential=written_lines, locale=result.locale)


def written_lines(result: export.ExportResult) -> str:
    """A line per file or database written: the tables and their rows, or the values masked of each kind."""
    lines = []
    if result.database is not None:
        tables = [f"{table} {rows}" for table, rows in result.database.tables.items()]
        lines.append(str(t("Wrote {target}: {tables}", target=result.database.target, tables=tables)))
    if result.anonymised is not None:
        copy = result.anonymised
        masked = [kind.counted(count) for kind, count in copy.masked.items()] or t("no cells")
        lines.append(str(t("Wrote the anonymised copy {path}: masked {masked}", path=copy.path, masked=masked)))
    return "\n".join(lines)


def format_export(result: export.ExportResult) -> str:
    """What was written where; for the anonymised copy, the values masked of each kind, the cells per sheet and the
    report sheets left out."""
    lines = [written_lines(result)]
    if result.anonymised is not None:
        copy = result.anonymised
        cells = [
            t("{cells} on {sheet}", cells=tn("{count} cell", "{count} cells", cells), sheet=sheet)
            for sheet, cells in copy.masked_cells.items()
        ]
        if cells:
            lines.append(str(t("Cells changed: {cells}", cells=cells)))
        if copy.left_out:
            lines.append(str(t("Report sheets left out of the copy: {sheets}", sheets=list(copy.left_out))))
        if copy.save is not None:
            lines += warning_lines(copy.save.warnings)
    return "\n".join(lines)
