"""``xlcrm forget``: erase clients' personal data from the workbook (and its backups), on the person's request."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from pathlib import Path

import click

from xlcrm.cli.exit_codes import EXIT_WORKBOOK_ERRORS, FORGET_EPILOG
from xlcrm.cli.formatting import ALL_ITEMS, SHOWN_ITEMS, more_line, saved_lines
from xlcrm.cli.language import spoken_language
from xlcrm.cli.options import (
    Output,
    output_options,
    password_option,
    save_options,
    show,
    today_option,
    workbook_argument,
)
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.forget import DELETED, HOLDS, REWRITTEN, BackupErasure, ForgetResult, forget_clients
from xlcrm.messages import Message, speaking, t, tn


@click.command("forget", epilog=FORGET_EPILOG)
@workbook_argument
@click.argument("client_ids", metavar="CLIENTID...", nargs=-1, required=True)
@click.option("--reason", default="", help="Why the data is erased (e.g. the person's request and its date); logged.")
@click.option(
    "--include-backups",
    is_flag=True,
    help="Erase the data from the workbook's backups in .xlcrm-backups too (rewritten in place; one that cannot be "
    "rewritten is deleted).",
)
@click.option("--dry-run", is_flag=True, help="Show every place the data was found; change nothing.")
@today_option
@save_options
@password_option
@output_options
def forget_command(
    path: Path,
    client_ids: tuple[str, ...],
    reason: str,
    include_backups: bool,
    dry_run: bool,
    today: dt.date,
    save: SaveOptions,
    password: str | None,
    output: Output,
) -> None:
    """Erase clients' personal data (right to erasure, 152-FZ / GDPR).

    The Clients row stays (its ClientID, Source, Manager, Designation,
    Created...) so revenue figures do not change; its name becomes
    "Data erased (ID)", and phone, e-mail, INN, address, birthday, comment,
    card number and a sole trader's company are cleared (discount and payment
    term stay, as does the Order No. of its interactions). Contacts rows are
    deleted; the client's interactions stay without their free text, its
    contracts (amounts, dates, terms, status) without their comment. The
    Merge log, Duplicates and Block history rows of the client go; report
    sheets that showed the person (or its card number) are rebuilt; any other
    cell still showing a value is cleared. The erasure is recorded on the Erasure log sheet (no personal
    data) and no backup of the previous version is kept. Backups in
    .xlcrm-backups that hold the data are listed; --include-backups erases
    them too. The saved workbook is searched again: what is still found is
    named, and the command exits 1.

    Example:

        xlcrm forget clients.xlsx C000123 --reason "request of 01.12.2026"
    """
    result = forget_clients(
        path,
        client_ids,
        reason=reason,
        include_backups=include_backups,
        dry_run=dry_run,
        today=today,
        save=save,
        password=password,
    )
    show(
        result,
        output,
        format_forget,
        essential=forgot_line,
        in_full=functools.partial(format_forget, shown=ALL_ITEMS),
        locale=result.locale,
    )
    if result.left:
        if not output.as_json:
            with speaking(spoken_language()):
                click.echo(str(_still_found(result)), err=True)
        sys.exit(EXIT_WORKBOOK_ERRORS)


def forgot_line(result: ForgetResult) -> str:
    """The one line of --quiet: who was erased, in how many places."""
    places = tn("{count} place", "{count} places", len(result.places))
    if result.dry_run:
        line = t("{path}: would erase {ids} ({places})", path=result.path, ids=result.client_ids, places=places)
    elif result.client_ids:
        line = t("{path}: erased {ids} ({places})", path=result.path, ids=result.client_ids, places=places)
    elif erased := [backup for backup in result.backups if backup.action != HOLDS]:
        backups = tn("{count} backup", "{count} backups", len(erased))
        line = t("{path}: data erased from {backups}", path=result.path, backups=backups)
    else:
        line = t("{path}: nothing left to erase", path=result.path)
    return str(line)


def format_forget(result: ForgetResult, shown: int = SHOWN_ITEMS) -> str:
    """Who was erased and every place (up to ``shown``), the reports rebuilt or removed, the backups, and the
    save."""
    lines = [forgot_line(result)]
    if result.already_erased:
        lines.append(str(t("Already erased in the workbook: {ids}", ids=result.already_erased)))
    for place in result.places[:shown]:
        lines.append(f"  {place}: {place.action}")
    if len(result.places) > shown:
        lines.append(more_line(len(result.places) - shown))
    for client_id, other in dict.fromkeys(result.shared):
        lines.append(
            str(t("{client_id}: a value also held by client {other} was kept", client_id=client_id, other=other))
        )
    if result.rebuilt_reports:
        lines.append(str(t("Report sheets rebuilt without the data: {sheets}", sheets=result.rebuilt_reports)))
    if result.removed_reports:
        lines.append(str(t("Report sheets removed (they showed the data): {sheets}", sheets=result.removed_reports)))
    lines += [_backup_line(backup) for backup in result.backups]
    if result.backups_holding:
        lines.append(str(_backups_warning(result)))
    if result.dry_run:
        lines.append(str(t("Dry run: the workbook was not changed")))
    elif result.save is not None:
        lines += saved_lines(result.save)
        lines.append(str(t("No backup of the version holding the data was kept")))
    return "\n".join(lines)


def _backup_line(backup: BackupErasure) -> str:
    """What became of one backup that held the data."""
    if backup.action == REWRITTEN:
        line = t("Backup {path}: data erased", path=backup.path)
    elif backup.action == DELETED:
        line = t("Backup {path}: deleted ({reason})", path=backup.path, reason=backup.problem)
    elif backup.problem is not None:
        line = t("Backup {path}: cannot be searched ({reason})", path=backup.path, reason=backup.problem)
    else:
        line = t(
            "Backup {path}: holds the data ({parts})", path=backup.path, parts=[trace.part for trace in backup.traces]
        )
    return "  " + str(line)


def _backups_warning(result: ForgetResult) -> Message:
    count = len([backup for backup in result.backups if backup.action == HOLDS])
    backups = tn("{count} backup", "{count} backups", count)
    return t(
        "Warning: {backups} in .xlcrm-backups still hold the data; run xlcrm forget again with --include-backups "
        "to erase it there too",
        backups=backups,
    )


def _still_found(result: ForgetResult) -> Message:
    parts = [f"{trace.part} ({trace.count})" for trace in result.left]
    return t(
        "Error: the data is still found in {path}: {parts}; remove it there by hand (xlcrm cannot erase it safely)",
        path=result.save.path if result.save else result.path,
        parts=parts,
    )
