"""``xlcrm schedule``: run a command on a workbook every day by itself, or with one double-click."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from xlcrm.cli.exit_codes import PLAIN_EPILOG
from xlcrm.cli.language import language_for
from xlcrm.cli.options import Output, output_options, show
from xlcrm.errors import UsageError
from xlcrm.jobs import opening, schedule
from xlcrm.messages import t, tn


@click.command("schedule", epilog=PLAIN_EPILOG)
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--at", "at", metavar="HH:MM", default=None, help="Time of day of the daily run, e.g. 07:30.")
@click.option(
    "--command",
    "command",
    metavar="COMMAND",
    default=schedule.DEFAULT_COMMAND,
    show_default=True,
    help="The command to run: " + ", ".join(schedule.COMMANDS) + ".",
)
@click.option(
    "--print",
    "print_only",
    is_flag=True,
    help="Show what would be installed (the task definition and the schtasks command, or the crontab lines) "
    "instead of installing it.",
)
@click.option("--remove", is_flag=True, help="Remove the daily run of PATH.")
@click.option("--list", "list_all", is_flag=True, help="List the daily runs xlcrm set up on this computer.")
@click.option(
    "--shortcut",
    is_flag=True,
    help="Write beside PATH a file that runs the command with a double-click and shows the result "
    "(.cmd on Windows, .command on macOS).",
)
@click.option(
    "--run",
    is_flag=True,
    hidden=True,
    help="Run the command now as the scheduler does: retried while the workbook is open, logged in "
    ".xlcrm-backups beside it.",
)
@output_options
def schedule_command(
    path: Path | None,
    at: str | None,
    command: str,
    print_only: bool,
    remove: bool,
    list_all: bool,
    shortcut: bool,
    run: bool,
    output: Output,
) -> None:
    """Run a command on the workbook every day by itself (Task Scheduler on Windows, cron on Linux and macOS).

    The daily run uses this computer's Python and the workbook's full path.
    On Windows it runs only while you are logged on, so it reaches the
    shared drive; a run missed while the computer was off starts as soon as
    it can. A run that finds the workbook open in Excel tries again every 10
    minutes for an hour. Each run writes what happened to
    .xlcrm-backups/NAME.schedule.log beside the workbook, in the language
    given now (xlcrm --lang, else the environment's, else the workbook's).
    Scheduling the same workbook again replaces its daily run.

    Example:

        xlcrm schedule clients.xlsx --at 07:30

        xlcrm schedule clients.xlsx --at 07:30 --print

        xlcrm schedule --remove clients.xlsx

        xlcrm schedule --shortcut clients.xlsx
    """
    modes = [name for name, given in (("--remove", remove), ("--list", list_all), ("--shortcut", shortcut)) if given]
    modes += ["--run"] if run else []
    if len(modes) > 1:
        raise UsageError(t("{options}: xlcrm schedule takes one of these at a time", options=modes))
    if print_only and modes:
        raise UsageError(t("--print shows what would be installed; it cannot be used with {option}", option=modes[0]))
    if list_all:
        entries = schedule.list_schedules()
        _show_list(entries, output)
        return
    if path is None:
        raise UsageError(t("give the workbook's path, e.g. xlcrm schedule clients.xlsx --at 07:30"))
    if run:
        # The scheduled entry gives the group --lang: the log and the result speak it, as the run speaks already.
        show(schedule.scheduled_run(path, command=command), output, _ran_line, essential=_ran_line)
    elif remove:
        show(schedule.remove_schedule(path), output, _removed_line, essential=_removed_line)
    elif shortcut:
        show(schedule.write_shortcut(path, command=command), output, _shortcut_line, essential=_shortcut_line)
    else:
        if at is None:
            raise UsageError(t("give the time of the daily run with --at, e.g. --at 07:30"))
        when = schedule.parse_time(at)  # a mistake in the options is said before the workbook is read
        schedule.check_command(command)
        # The daily run speaks the language this command speaks about the workbook (--lang, the environment, the
        # workbook's own), given to it as --lang: the scheduler's environment names none.
        locale = opening.workbook_locale(path)
        installed = schedule.install_schedule(
            path, when, command=command, dry_run=print_only, language=language_for(locale)
        )
        show(installed, output, _describe_installation, essential=_installed_line, locale=locale)


def _installed_line(installed: schedule.Installation) -> str:
    plan = installed.schedule
    values: dict[str, Any] = {
        "command": plan.command,
        "workbook": str(plan.workbook),
        "time": plan.at.strftime("%H:%M"),
        "name": plan.name,
    }
    if installed.dry_run:
        return str(t("Would run xlcrm {command} on {workbook} every day at {time} ({name})", **values))
    return str(t("xlcrm {command} will run on {workbook} every day at {time} ({name})", **values))


def _describe_installation(installed: schedule.Installation) -> str:
    """The XML and the schtasks command, or the crontab lines, with --print; else what was set up and where the
    log goes."""
    plan = installed.schedule
    if installed.dry_run:
        parts = [installed.task_xml.rstrip("\n"), ""] if installed.task_xml else []
        return "\n".join([*parts, installed.command_line])
    lines = [_installed_line(installed)]
    if installed.replaced:
        lines.append(str(t("It replaces the daily run this workbook had.")))
    if plan.platform == "windows":
        lines.append(str(t("It runs only while you are logged on to Windows.")))
    lines.append(str(t("Each run writes what happened to {log}", log=schedule.log_path(Path(plan.workbook)))))
    return "\n".join(lines)


def _removed_line(removal: schedule.Removal) -> str:
    if removal.removed:
        return str(t("Removed the daily run of {workbook} ({name})", workbook=removal.workbook, name=removal.name))
    return str(t("{workbook} had no daily run; nothing was removed", workbook=removal.workbook))


def _shortcut_line(made: schedule.Shortcut) -> str:
    return str(t("Wrote {path}: double-click it to run xlcrm {command}", path=made.path, command=made.command))


def _ran_line(ran: schedule.RunResult) -> str:
    counts = [
        tn("{count} error", "{count} errors", ran.errors),
        tn("{count} warning", "{count} warnings", ran.warnings),
    ]
    text = t(
        "xlcrm {command} of {workbook}: {counts} left (log: {log})",
        command=ran.command,
        workbook=ran.workbook,
        counts=counts,
        log=ran.log,
    )
    return str(text)


def _show_list(entries: list[schedule.ScheduledEntry], output: Output) -> None:
    if output.as_json:
        click.echo(json.dumps([entry.to_dict() for entry in entries], ensure_ascii=False, indent=2))
    elif not entries:
        click.echo(str(t("No daily runs of xlcrm are set up on this computer")))
    else:
        for entry in entries:
            click.echo(f"{entry.name}: {entry.description}")
