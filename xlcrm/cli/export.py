"""``xlcrm export``: the client base into a database, an anonymised copy of the workbook, or lists of clients."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from xlcrm import schema
from xlcrm.cli.exit_codes import PLAIN_EPILOG
from xlcrm.cli.formatting import warning_lines
from xlcrm.cli.options import Output, output_options, password_option, show, today_option, workbook_argument
from xlcrm.errors import UsageError, quoted
from xlcrm.export import mailing
from xlcrm.jobs import export
from xlcrm.messages import Message, t, tn


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
    "e-mails, INN and card numbers are masked, addresses emptied (the City stays), birthdays become 1 July of their "
    "year; the free texts (Comment on Clients; Result, Comment and Next action on Interactions) become (hidden). "
    "Notes, formula results, chart caches and the author, title and company of the file are left empty; a report sheet "
    "xlcrm cannot mask (▸ Changes, which lists earlier values) is left out.",
)
@click.option(
    "--keep-comments",
    is_flag=True,
    help="In the anonymised copy, keep the free texts, with the phones, e-mails and names in them masked.",
)
@click.option(
    "--mailing",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a mailing list to this new .xlsx or .csv file: one row per client with ClientID, name, company, "
    "phone, email, city, manager and block; clients designated Lost or erased, and persons without the consent "
    "the Settings require, are left out and counted.",
)
@click.option(
    "--segment",
    default=None,
    metavar="NAME_OR_FILTER",
    help="Write the clients of a segment: a name from the Segment column of Settings, or a filter such as "
    '"block in (Regular, Partner) and city = Kazan and consent" (see the How to use sheet). Clients who may not be '
    "mailed (erased, designated Lost, persons without the consent the Settings require) are left out and counted.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the segment to this CSV file (UTF-8, separated by semicolons, as Russian Excel opens it).",
)
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the segment to this .xlsx file.",
)
@click.option(
    "--columns",
    default=None,
    metavar="FIELDS",
    help="The segment's columns, separated by commas: Clients headers in either language or keys, computed columns "
    "(block, orders, revenue, last order…), consent, or a column of your own on Clients by its header. "
    "Default: name,email,phone.",
)
@click.option(
    "--no-consent-check",
    is_flag=True,
    help="Keep in the segment's list the clients who may not be mailed (for a call list of your own, not a mailing).",
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
    mailing: Path | None,
    segment: str | None,
    csv_path: Path | None,
    xlsx_path: Path | None,
    columns: str | None,
    no_consent_check: bool,
    force: bool,
    ignore_lock: bool,
    today: dt.date,
    password: str | None,
    output: Output,
) -> None:
    """Carry the client base elsewhere: a database (SQLite or a SQLAlchemy URL), an anonymised copy, a mailing list
    or the list of a segment.

    The workbook itself is not changed. A database gets the tables clients
    (key client_id), contacts, interactions and contracts (foreign keys to
    clients), services, settings, setting_lists, blocks and client_lifecycle
    (each client's block, orders, revenue and balance as of --today). Cells that
    would break a key or a type (blank or repeated ClientIDs, text in a date
    column) are named and nothing is written.

    Example:

        xlcrm export clients.xlsx --sqlite clients.sqlite --anonymise for_accountant.xlsx

        xlcrm export clients.xlsx --mailing mailing.csv

        xlcrm export clients.xlsx --segment "block in (Regular, Partner) and consent" --csv regular.csv
    """
    if segment is None and (csv_path or xlsx_path or columns or no_consent_check):
        raise UsageError(t("--csv, --xlsx, --columns and --no-consent-check go with --segment"))
    request = None
    if segment is not None:
        chosen = tuple(name.strip() for name in columns.split(",") if name.strip()) if columns else None
        request = export.SegmentRequest(segment, csv_path, xlsx_path, chosen, consent_check=not no_consent_check)
    result = export.export_workbook(
        path,
        sqlite=sqlite,
        url=url,
        anonymise=anonymise,
        keep_comments=keep_comments,
        mailing=mailing,
        segment=request,
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
    if result.mailing is not None:
        lines.append(mailing_line(result.mailing))
    if result.segment is not None:
        lines.append(segment_line(result.segment, result.locale))
    return "\n".join(lines)


def segment_line(written: export.SegmentExport, locale: str) -> str:
    """The segment's list written: how many clients matched, the files with their rows, those left out by reason."""
    listed = written.segment
    matched = tn("{count} client matched", "{count} clients matched", listed.matched)
    rows = tn("{count} client", "{count} clients", len(listed.rows.rows))
    line = t(
        "Segment {segment}: {matched}; wrote {rows} to {paths}",
        segment=quoted(listed.segment),
        matched=matched,
        rows=rows,
        paths=[str(path) for path in written.paths],
    )
    left_out = listed.rows.left_out
    if left_out:
        line = t(
            "{written}; {left_out} left out ({reasons})",
            written=line,
            left_out=tn("{count} client", "{count} clients", sum(left_out.values())),
            reasons=_reasons(left_out),
        )
    if listed.unchecked:
        unchecked = tn(
            "{count} row of {sheet} without a ClientID of its own was not looked at",
            "{count} rows of {sheet} without a ClientID of their own were not looked at",
            listed.unchecked,
            sheet=schema.CLIENTS.name(locale),
        )
        line = t("{written}; {unchecked}", written=line, unchecked=unchecked)
    return str(line)


def _reasons(left_out: dict[str, int]) -> list[Message]:
    """Each reason clients were left out for, with their count."""
    return [
        t("{reason}: {count}", reason=mailing.LEFT_OUT_REASONS[reason], count=count)
        for reason, count in left_out.items()
    ]


def mailing_line(written: export.MailingExport) -> str:
    """The mailing list written: its rows, and the clients left out by reason."""
    rows = tn("{count} client", "{count} clients", len(written.mailing.rows))
    left_out = written.mailing.left_out
    if not left_out:
        return str(t("Wrote the mailing list {path}: {rows}", path=written.path, rows=rows))
    reasons = _reasons(left_out)
    return str(
        t(
            "Wrote the mailing list {path}: {rows}; {left_out} left out ({reasons})",
            path=written.path,
            rows=rows,
            left_out=tn("{count} client", "{count} clients", sum(left_out.values())),
            reasons=reasons,
        )
    )


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
        if copy.own:
            lines.append(
                str(
                    t(
                        "Your own columns and sheets are copied with only phones, e-mails and the values masked "
                        "elsewhere masked; check them before sharing the copy: {places}",
                        places="; ".join(copy.own),
                    )
                )
            )
        if copy.save is not None:
            lines += warning_lines(copy.save.warnings)
    return "\n".join(lines)
