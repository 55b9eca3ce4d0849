"""``xlcrm agenda``: each manager's rows to work through, as on the Agenda sheet, and their calendars."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
import pandas as pd

from xlcrm import schema
from xlcrm.cli.exit_codes import PLAIN_EPILOG
from xlcrm.cli.language import language_for
from xlcrm.cli.options import Output, output_options, password_option, show, today_option, workbook_argument
from xlcrm.cli.validate import format_finding
from xlcrm.jobs.agenda import AgendaResult, workbook_agenda
from xlcrm.messages import current_language, speaking, t, tn
from xlcrm.reports.agenda import PART_NAMES, PARTS, Agenda, item_text, reasons_text


@click.command("agenda", epilog=PLAIN_EPILOG)
@workbook_argument
@click.option("--manager", default=None, help="Show only this manager's agenda (name as on the Clients sheet).")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Print every row, also those the Agenda sheet leaves out (beyond its rows per manager).",
)
@click.option(
    "--ics",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the rows of the Agenda sheet as calendars (.ics): into this folder, one file per manager; with "
    "--manager, to this file (or into this folder).",
)
@today_option
@password_option
@output_options
def agenda_command(
    path: Path,
    manager: str | None,
    everything: bool,
    ics: Path | None,
    today: dt.date,
    password: str | None,
    output: Output,
) -> None:
    """Print each manager's agenda as on the Agenda sheet: one row per client and day, the most urgent first;
    what is due now, then upcoming, then long overdue.

    Example:

        xlcrm agenda clients.xlsx --manager "Anna" --ics anna.ics
    """
    result = workbook_agenda(path, today=today, manager=manager, ics=ics, password=password)
    show(
        result,
        output,
        lambda done: _describe(done, everything),
        essential=lambda done: format_agenda(done.agenda, everything=everything),
        locale=result.agenda.locale,
    )
    if not output.as_json:  # --json carries them as "bad_settings" and writes nothing to stderr
        _warn_of_bad_settings(result)


def _warn_of_bad_settings(result: AgendaResult) -> None:
    """Settings the agenda could not use (it used their defaults) and holiday rows it left out, on stderr, as
    validate prints them: the agenda is still made, the exit code stays 0."""
    if not result.bad_settings:
        return
    with speaking(language_for(result.agenda.locale)):
        for finding in result.bad_settings:
            click.echo(format_finding(finding), err=True)
        click.echo(
            str(
                tn(
                    "{count} setting could not be used; xlcrm validate lists every problem of the workbook",
                    "{count} settings could not be used; xlcrm validate lists every problem of the workbook",
                    len(result.bad_settings),
                )
            ),
            err=True,
        )


def _describe(result: AgendaResult, everything: bool) -> str:
    lines = [format_agenda(result.agenda, everything=everything)]
    for calendar in result.calendars:
        events = tn("{count} event", "{count} events", calendar.events)
        lines.append(str(t("Wrote {events} to {path}", events=events, path=calendar.path)))
    return "\n".join(lines)


def format_agenda(agenda: Agenda, *, everything: bool = False) -> str:
    """The agenda as terminal text: a block per manager with its counts, a heading per part, one line per row (the
    rows on the sheet, or with ``everything`` all); the tasks named in the language the command speaks."""
    language = current_language()
    if agenda.items.empty:
        return schema.label("no_tasks", language)
    counts = agenda.counts()
    lines: list[str] = []
    item: Any  # a row of AGENDA_COLUMNS; pandas-stubs gives its fields every scalar type at once
    for manager, items in agenda.items.groupby("manager", sort=False):
        count = counts.loc[manager]
        lines.append(
            str(
                t(
                    "{manager}: {total} in all, {shown} on the sheet, {stale} long overdue",
                    manager=manager,
                    shown=int(count["on_sheet"]),
                    total=len(items),
                    stale=int(count["stale"]),
                )
            )
        )
        listed = items if everything else items[items["shown"]]
        for part in PARTS:
            rows = listed[listed["part"] == part]
            if rows.empty:
                continue
            lines.append(f"  {PART_NAMES[part].render(language)}")
            for item in rows.itertuples(index=False):
                late = "" if pd.isna(item.days_late) else str(int(item.days_late))
                who = " ".join(
                    part for part in (item.client_id, item_text(item.company) or item_text(item.client)) if part
                )
                phone = f" {item_text(item.phone)}" if item_text(item.phone) else ""
                reasons = reasons_text(item.tasks, item.details, language)
                lines.append(f"    {item.due:%d.%m.%Y} {late:>4}  {who}{phone} — {reasons}")
        hidden = int(count["not_shown"])
        if hidden and not everything:
            lines.append(
                "  "
                + str(
                    tn(
                        "{count} more row not shown (--all lists it)",
                        "{count} more rows not shown (--all lists them)",
                        hidden,
                    )
                )
            )
    return "\n".join(lines)
