"""``xlcrm agenda``: each manager's contacts to make, birthdays and clients to call back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
import pandas as pd

from xlcrm import schema
from xlcrm.cli.exit_codes import PLAIN_EPILOG
from xlcrm.cli.options import Output, output_options, password_option, show, today_option, workbook_argument
from xlcrm.jobs.agenda import AgendaResult, workbook_agenda
from xlcrm.messages import current_language, t, tn
from xlcrm.reports.agenda import Agenda, item_text


@click.command("agenda", epilog=PLAIN_EPILOG)
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
@output_options
def agenda_command(
    path: Path, manager: str | None, ics: Path | None, today: dt.date, password: str | None, output: Output
) -> None:
    """Print each manager's agenda: overdue and planned contacts, birthdays, clients to call back.

    Example:

        xlcrm agenda clients.xlsx --manager "Anna" --ics anna.ics
    """
    result = workbook_agenda(path, today=today, manager=manager, ics=ics, password=password)
    show(
        result,
        output,
        _describe,
        essential=lambda done: format_agenda(done.agenda),
        locale=result.agenda.locale,
    )


def _describe(result: AgendaResult) -> str:
    lines = [format_agenda(result.agenda)]
    if result.ics:
        events = tn("{count} event", "{count} events", result.events)
        lines.append(str(t("Wrote {events} to {path}", events=events, path=result.ics)))
    return "\n".join(lines)


def format_agenda(agenda: Agenda) -> str:
    """The agenda as terminal text: a block per manager, one line per item; the tasks named in the language the
    command speaks."""
    language = current_language()
    if agenda.items.empty:
        return schema.label("no_tasks", language)
    lines: list[str] = []
    item: Any  # a row of AGENDA_COLUMNS; pandas-stubs gives its fields every scalar type at once
    for manager, items in agenda.items.groupby("manager", sort=False):
        lines.append(f"{manager} ({len(items)})")
        for item in items.itertuples(index=False):
            when = "" if pd.isna(item.date) else f"{item.date:%d.%m.%Y}"
            who = " ".join(part for part in (item.client_id, item_text(item.company) or item_text(item.client)) if part)
            details = f" — {item_text(item.details)}" if item_text(item.details) else ""
            phone = f" {item_text(item.phone)}" if item_text(item.phone) else ""
            lines.append(f"  {when:10}  {schema.label('task_' + item.task, language)}: {who}{phone}{details}")
    return "\n".join(lines)
