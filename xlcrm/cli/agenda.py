"""``xlcrm agenda``: each manager's contacts to make, birthdays and clients to call back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from xlcrm.cli.options import json_option, open_to_read, password_option, show, today_option, workbook_argument
from xlcrm.reports import agenda


@click.command("agenda")
@workbook_argument
@click.option("--manager", default=None, help="Show only this manager's agenda (name as on the Clients sheet).")
@click.option(
    "--ics",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the planned contacts and birthdays to this iCalendar (.ics) file.",
)
@today_option
@password_option
@json_option
def agenda_command(
    path: Path, manager: str | None, ics: Path | None, today: dt.date, password: str | None, as_json: bool
) -> None:
    """Print each manager's agenda: overdue and planned contacts, birthdays, clients to call back.

    Example:

        xlcrm agenda clients.xlsx --manager "Anna" --ics anna.ics
    """
    result = open_to_read(
        path, password, lambda work: agenda.workbook_agenda(work, today=today, manager=manager, ics=ics)
    )
    show(result, as_json, _describe)


def _describe(result: agenda.AgendaResult) -> str:
    lines = [agenda.format_agenda(result.agenda)]
    if result.ics:
        lines.append(f"Wrote {result.events} events to {result.ics}")
    return "\n".join(lines)
