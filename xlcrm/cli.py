"""Command-line interface: parse options, call one library function, print its result.

Library errors (``XlcrmError``) become a one-line ``Error: …`` on stderr with
the error's exit code; nothing else a user sees is a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from xlcrm import (__version__, agenda, demo, encryption, export, importer, merge, progress, refresh, schema,
                   template, validate)
from xlcrm.errors import XlcrmError
from xlcrm.safe_save import DEFAULT_KEEP_BACKUPS

EXIT_WORKBOOK_ERRORS = 1
EXIT_USAGE = 2


class XlcrmGroup(click.Group):
    """Turns library errors into ``Error: …`` lines and stray exceptions into one as well."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except XlcrmError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Error: interrupted; the workbook was not changed", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug: still no traceback for the user, unless asked for
            if os.environ.get("XLCRM_DEBUG"):
                raise
            click.echo(f"Error: unexpected failure ({type(exc).__name__}: {exc}); "
                       "set XLCRM_DEBUG=1 to see details", err=True)
            ctx.exit(EXIT_WORKBOOK_ERRORS)


def _quiet_for_json(ctx: click.Context, param: click.Parameter, as_json: bool) -> bool:
    if as_json:
        progress.hide()  # the output is for a program; nothing else on the terminal
    return as_json


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, callback=_quiet_for_json,
                        help="Print the result as JSON.")(func)


def today_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--today",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Date to treat as today (YYYY-MM-DD), so results are reproducible. Default: the real date.",
    )(func)


def save_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--output, --ignore-lock and --keep-backups: how a command that changes the workbook saves it."""
    options = (
        click.option("--output", type=click.Path(path_type=Path), default=None,
                     help="Write the changed workbook to this file instead of replacing PATH."),
        click.option("--ignore-lock", is_flag=True,
                     help="Write even though the workbook looks open in Excel or LibreOffice "
                          "(their copy will conflict)."),
        click.option("--keep-backups", type=click.IntRange(0), default=DEFAULT_KEEP_BACKUPS, show_default=True,
                     help="How many backups of earlier versions to keep in .xlcrm-backups (0: make none)."),
    )
    for option in reversed(options):
        func = option(func)
    return func


def password_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--password (or XLCRM_PASSWORD): open a password-protected workbook and save it back protected."""
    return click.option(
        "--password", envvar=encryption.PASSWORD_ENV, default=None, show_envvar=True,
        help="Password of a password-protected workbook; better given in the environment variable, so it is not "
             "in the shell history. Never printed.",
    )(func)


def locale_option(default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--locale",
        type=click.Choice(schema.LOCALES),
        default=default,
        show_default=True,
        help="Language of sheet and column names.",
    )


def _today(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def _print_json(payload: object) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


workbook_argument = click.argument("path", type=click.Path(path_type=Path))


@click.group(cls=XlcrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlcrm")
def cli() -> None:
    """xlcrm: keep your client base in Excel and let xlcrm check and clean it.

    Every command takes the workbook path, never asks questions, and exits 0 on
    success, 1 when the workbook has errors and 2 on usage errors.
    """
    progress.show_on(sys.stderr)  # long steps say what runs, when a person watches a terminal


@cli.command("init")
@workbook_argument
@locale_option(schema.DEFAULT_LOCALE)
@click.option("--force", is_flag=True, help="Overwrite the file if it already exists.")
@json_option
def init_command(path: Path, locale: str, force: bool, as_json: bool) -> None:
    """Create a new, empty client-base workbook from the template.

    Example:

        xlcrm init clients.xlsx --locale ru
    """
    result = template.create_workbook(path, locale=locale, force=force)
    if as_json:
        _print_json(result.to_dict())
    else:
        click.echo(f"Created {result.path} ({result.locale}): sheets {', '.join(result.sheets)}")
        if result.backup:
            click.echo(f"The file it replaced is kept as {result.backup}")


@cli.command("validate")
@workbook_argument
@today_option
@password_option
@json_option
def validate_command(path: Path, today: dt.datetime | None, password: str | None, as_json: bool) -> None:
    """Check a workbook and list every problem with its cell.

    Exits 1 when there is at least one error; warnings alone exit 0.

    Example:

        xlcrm validate clients.xlsx --json
    """
    report = encryption.on_workbook(path, password,
                                    lambda work, _output, _backups: validate.validate_workbook(work, today=_today(today)))
    if as_json:
        _print_json(report.to_dict())
    else:
        click.echo(validate.format_report(report))
    if not report.valid:
        sys.exit(EXIT_WORKBOOK_ERRORS)


@cli.command("demo")
@workbook_argument
@click.option("--clients", type=click.IntRange(10, 200_000), default=300, show_default=True,
              help="How many clients to generate.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed; the same seed gives the same workbook.")
@locale_option("ru")
@today_option
@click.option("--force", is_flag=True, help="Overwrite the file if it already exists.")
@json_option
def demo_command(path: Path, clients: int, seed: int, locale: str, today: dt.datetime | None,
                 force: bool, as_json: bool) -> None:
    """Create a realistic demo workbook with planted duplicates and mistakes.

    Example:

        xlcrm demo demo.xlsx --clients 500 --seed 7
    """
    result = demo.create_demo(path, clients=clients, seed=seed, locale=locale, today=_today(today), force=force)
    if as_json:
        _print_json(result.to_dict())
    else:
        click.echo(
            f"Created {result.path}: {result.clients} clients, {result.interactions} interactions, "
            f"{len(result.planted_duplicates)} planted duplicates, {len(result.planted_mistakes)} planted mistakes"
        )


@cli.command("refresh")
@workbook_argument
@today_option
@click.option("--dry-run", is_flag=True, help="Compute everything and show what would change, but write nothing.")
@save_options
@password_option
@json_option
def refresh_command(path: Path, today: dt.datetime | None, dry_run: bool, output: Path | None, ignore_lock: bool,
                    keep_backups: int, password: str | None, as_json: bool) -> None:
    """Merge duplicates, recompute lifecycle blocks and rebuild every report sheet, in one read and one save.

    Duplicates are handled as by xlcrm dedupe: certain ones merged (listed on
    the Merge log, undone by xlcrm unmerge), probable pairs listed on the
    Duplicates sheet, the Decisions typed there applied. Cell problems do not
    stop a refresh: they are listed on the Problems sheet, and the command
    exits 1 while errors remain (0 with warnings only). A workbook with a
    missing sheet or column, or headers not on row 1, is left untouched and
    the command exits 1.

    Example:

        xlcrm refresh clients.xlsx --today 2026-11-23
    """
    result = encryption.on_workbook(
        path, password, lambda work, out, backups: refresh.refresh_workbook(
            work, today=_today(today), dry_run=dry_run, output=out, ignore_lock=ignore_lock, keep_backups=backups),
        output=output, ignore_lock=ignore_lock, keep_backups=keep_backups, writes=not dry_run)
    if as_json:
        _print_json(result.to_dict())
    else:
        click.echo(refresh.format_result(result))
    if result.errors:
        sys.exit(EXIT_WORKBOOK_ERRORS)


@cli.command("agenda")
@workbook_argument
@click.option("--manager", default=None, help="Show only this manager's agenda (name as on the Clients sheet).")
@click.option("--ics", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the planned contacts and birthdays to this iCalendar (.ics) file.")
@today_option
@password_option
@json_option
def agenda_command(path: Path, manager: str | None, ics: Path | None, today: dt.datetime | None,
                   password: str | None, as_json: bool) -> None:
    """Print each manager's agenda: overdue and planned contacts, birthdays, clients to call back.

    Example:

        xlcrm agenda clients.xlsx --manager "Anna" --ics anna.ics
    """
    result = encryption.on_workbook(path, password, lambda work, _output, _backups: agenda.workbook_agenda(
        work, today=_today(today), manager=manager, ics=ics))
    if as_json:
        _print_json(result.to_dict())
        return
    click.echo(agenda.format_agenda(result.agenda))
    if result.ics:
        click.echo(f"Wrote {result.events} events to {result.ics}")


@cli.command("dedupe")
@workbook_argument
@click.option("--dry-run", is_flag=True, help="Show what would be merged and proposed for review; change nothing.")
@save_options
@password_option
@json_option
def dedupe_command(path: Path, dry_run: bool, output: Path | None, ignore_lock: bool, keep_backups: int,
                   password: str | None, as_json: bool) -> None:
    """Find duplicate clients: merge the certain ones, list the probable ones for review.

    Certain duplicates are merged into the oldest client (blanks filled,
    second phones and emails appended, Interactions and Contacts re-pointed)
    and logged with their original rows on the Merge log sheet. Probable pairs
    go to the Duplicates sheet with a Decision column (merge / keep apart) that
    the next run applies. Interactions entered twice are listed, not deleted.
    Score thresholds: dedupe_auto_score and dedupe_review_score in Settings.

    Example:

        xlcrm dedupe clients.xlsx --dry-run
    """
    result = encryption.on_workbook(
        path, password, lambda work, out, backups: merge.dedupe_workbook(
            work, dry_run=dry_run, output=out, ignore_lock=ignore_lock, keep_backups=backups),
        output=output, ignore_lock=ignore_lock, keep_backups=keep_backups, writes=not dry_run)
    if as_json:
        _print_json(result.to_dict())
    else:
        click.echo(merge.format_dedupe(result))


@cli.command("unmerge")
@workbook_argument
@click.argument("merge_id")
@save_options
@password_option
@json_option
def unmerge_command(path: Path, merge_id: str, output: Path | None, ignore_lock: bool, keep_backups: int,
                    password: str | None, as_json: bool) -> None:
    """Undo one merge from the Merge log: the original rows come back exactly.

    The merged clients' rows return to their places, the survivor gets its
    original values back, re-pointed Interactions and Contacts point at their
    own clients again, and the pairs are remembered as "keep apart".

    Example:

        xlcrm unmerge clients.xlsx M0003
    """
    result = encryption.on_workbook(
        path, password, lambda work, out, backups: merge.unmerge_workbook(
            work, merge_id, output=out, ignore_lock=ignore_lock, keep_backups=backups),
        output=output, ignore_lock=ignore_lock, keep_backups=keep_backups, writes=True)
    if as_json:
        _print_json(result.to_dict())
    else:
        click.echo(merge.format_unmerge(result))


@cli.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--into", "workbook", type=click.Path(path_type=Path), required=True,
              help="The workbook to import into.")
@click.option("--sheet", type=click.Choice([spec.key for spec in schema.IMPORT_SHEETS]), default=schema.CLIENTS.key,
              show_default=True, help="The sheet the rows go to.")
@click.option("--map", "mapping_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="A text file of 'source header = column' lines that overrides the automatic mapping "
                   "('-' as the column skips a source column).")
@click.option("--dry-run", is_flag=True, help="Show the mapping and what would be added or merged; write nothing.")
@today_option
@save_options
@password_option
@json_option
def import_command(source: Path, workbook: Path, sheet: str, mapping_file: Path | None, dry_run: bool,
                   today: dt.datetime | None, output: Path | None, ignore_lock: bool, keep_backups: int,
                   password: str | None, as_json: bool) -> None:
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
    result = encryption.on_workbook(
        workbook, password, lambda work, out, backups: importer.import_rows(
            source, work, sheet=sheet, mapping_file=mapping_file, dry_run=dry_run, today=_today(today), output=out,
            ignore_lock=ignore_lock, keep_backups=backups),
        output=output, ignore_lock=ignore_lock, keep_backups=keep_backups, writes=not dry_run)
    if as_json:
        _print_json(result.to_dict())
    else:
        click.echo(importer.format_import(result))


@cli.command("export")
@workbook_argument
@click.option("--sqlite", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write every user sheet and the computed lifecycle as tables with keys to this new SQLite file.")
@click.option("--url", default=None,
              help="Write the same tables to the database at this SQLAlchemy URL "
                   "(e.g. postgresql+psycopg://user@host/dbname; the password is never printed).")
@click.option("--anonymise", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write a copy of the workbook to this file with names, phones, emails and INN masked.")
@click.option("--force", is_flag=True, help="Replace an existing file or existing tables of the same names.")
@click.option("--ignore-lock", is_flag=True,
              help="Write the anonymised copy even though that file looks open in Excel or LibreOffice.")
@today_option
@password_option
@json_option
def export_command(path: Path, sqlite: Path | None, url: str | None, anonymise: Path | None, force: bool,
                   ignore_lock: bool, today: dt.datetime | None, password: str | None, as_json: bool) -> None:
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
    result = encryption.on_workbook(
        path, password, lambda work, _output, _backups: export.export_workbook(
            work, sqlite=sqlite, url=url, anonymise=anonymise, today=_today(today), force=force,
            ignore_lock=ignore_lock))
    if as_json:
        _print_json(result.to_dict())
    else:
        click.echo(export.format_export(result))


def main() -> None:
    cli(prog_name="xlcrm")
