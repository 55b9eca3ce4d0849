"""What the commands share: the workbook argument, option decorators, printing a result.

A command that changes the workbook takes ``@save_options`` (it then gets one
``save: SaveOptions``, which it hands to its job) and ``@password_option``; a
command that only reads takes ``@password_option``. The job opens a
password-protected workbook itself. Every command takes ``@output_options``
(``--json``, ``-q/--quiet``, ``-v/--verbose``; it then gets one ``output:
Output``) and prints its result with :func:`show`, in the language
``--lang``, the environment or the workbook (its ``locale``) asks for.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

from xlcrm import schema
from xlcrm.cli.exit_codes import EXIT_WORKBOOK_ERRORS
from xlcrm.cli.language import language_for, note_lang_option, spoken_language
from xlcrm.files import encryption
from xlcrm.files.safe_save import DEFAULT_KEEP_BACKUPS, SaveOptions
from xlcrm.jobs.opening import workbook_locale
from xlcrm.messages import LANGUAGES, speaking, t, tn
from xlcrm.runtime import progress

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

workbook_argument = click.argument("path", type=click.Path(path_type=Path))


class JsonResult(Protocol):
    """A library result: ``to_dict`` is what ``--json`` prints."""

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values."""


CommandResult = TypeVar("CommandResult", bound=JsonResult)


class Verbosity(enum.IntEnum):
    """How much a command prints: ``-q`` the result line only, ``-v`` every item and the steps with their times."""

    QUIET = 0
    NORMAL = 1
    VERBOSE = 2


@dataclass(frozen=True)
class Output:
    """How the command prints its result: as JSON (``--json``), or as text at a ``verbosity``."""

    as_json: bool = False
    verbosity: Verbosity = Verbosity.NORMAL


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--json, -q/--quiet and -v/--verbose, given to the command together as ``output``; and --lang, which a
    person may type after the command as well as before it (``xlcrm refresh clients.xlsx --lang ru``).

    They also set what the progress display shows on stderr: nothing with --json or --quiet, every step with its
    time with --verbose (followed by the command's total time), else the one rewritten line on a terminal.
    """

    @functools.wraps(func)
    def with_output_options(
        *args: Any, as_json: bool, quiet: bool, verbose: bool, lang: str | None, **kwargs: Any
    ) -> Any:
        if lang is not None:
            note_lang_option(click.get_current_context(), lang)
        # The workbook's language from its sheet list, so the steps shown while it is read already speak it.
        # (``import SOURCE --into WORKBOOK`` names it ``workbook``; its ``source`` is the other table.)
        workbook = kwargs.get("path") or kwargs.get("workbook")
        locale = workbook_locale(workbook) if isinstance(workbook, Path) else None
        with speaking(language_for(locale)):
            return _run_with_output(func, args, kwargs, as_json, quiet, verbose)

    options = (
        click.option("--json", "as_json", is_flag=True, help="Print the result (or the error) as JSON."),
        click.option("-q", "--quiet", is_flag=True, help="Print only errors and the result line."),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            help="Print more: every item instead of the first ones, and each step with its time (on stderr).",
        ),
        click.option(
            "--lang",
            type=click.Choice(LANGUAGES),
            default=None,
            help="Language xlcrm prints in: en or ru (the same as xlcrm --lang before the command).",
        ),
    )
    return _with_options(with_output_options, options)


def _run_with_output(
    func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any], as_json: bool, quiet: bool, verbose: bool
) -> Any:
    """What ``func`` returns, run with its ``output`` made from the flags, and the time said with --verbose."""
    if quiet and verbose:
        raise click.UsageError(str(t("--quiet and --verbose cannot be used together")))
    verbosity = Verbosity.QUIET if quiet else Verbosity.VERBOSE if verbose else Verbosity.NORMAL
    if as_json or verbosity is Verbosity.QUIET:
        progress.hide()  # the output is for a program, or only the result is wanted
    elif verbosity is Verbosity.VERBOSE:
        progress.log_on(sys.stderr)
    started = time.monotonic()
    try:
        result = func(*args, output=Output(as_json, verbosity), **kwargs)
    except SystemExit:  # the result was shown, then the exit code says errors remain (validate, --strict)
        _say_time(verbosity, as_json, started)
        raise
    _say_time(verbosity, as_json, started)
    return result


def _say_time(verbosity: Verbosity, as_json: bool, started: float) -> None:
    """Nothing; with --verbose (and no --json), says on stderr how long the command took."""
    if verbosity is Verbosity.VERBOSE and not as_json:
        with speaking(spoken_language()):
            seconds = progress.seconds(time.monotonic() - started)
            click.echo(str(t("Finished in {seconds} s", seconds=seconds)), err=True)


class DateParam(click.DateTime):
    """A date typed as YYYY-MM-DD or DD.MM.YYYY (as Russian Excel shows dates), given as a datetime at midnight."""

    def __init__(self) -> None:
        super().__init__(formats=["%Y-%m-%d", "%d.%m.%Y"])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        """The date ``value`` names; a usage error naming both accepted forms when it names none."""
        try:
            return super().convert(value.strip() if isinstance(value, str) else value, param, ctx)
        except click.BadParameter:
            self.fail(
                str(
                    t(
                        "{value} is not a date; use YYYY-MM-DD or DD.MM.YYYY (e.g. 2026-11-23 or 23.11.2026)",
                        value=repr(value),
                    )
                ),
                param,
                ctx,
            )


def _date_or_today(ctx: click.Context, param: click.Parameter, value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def today_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--today, given to the command as a date: the real date when the option is left out."""
    return click.option(
        "--today",
        type=DateParam(),
        metavar="DATE",
        default=None,
        callback=_date_or_today,
        help="Date to treat as today (YYYY-MM-DD or DD.MM.YYYY), so results are reproducible. Default: the real date.",
    )(func)


def locale_option(default: str) -> Decorator:
    """A decorator adding ``--locale`` (the language of sheet and column names) with this default."""
    return click.option(
        "--locale",
        type=click.Choice(schema.LOCALES),
        default=default,
        show_default=True,
        help="Language of sheet and column names.",
    )


def password_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--password (or XLCRM_PASSWORD): open a password-protected workbook and save it back protected."""
    return click.option(
        "--password",
        envvar=encryption.PASSWORD_ENV,
        default=None,
        show_envvar=True,
        help="Password of a password-protected workbook; better given in the environment variable, so it is not "
        "in the shell history. Never printed.",
    )(func)


def save_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--output, --ignore-lock and --keep-backups, given to the command together as ``save``."""

    @functools.wraps(func)
    def with_save_options(*args: Any, output: Path | None, ignore_lock: bool, keep_backups: int, **kwargs: Any) -> Any:
        return func(*args, save=SaveOptions(output, ignore_lock, keep_backups), **kwargs)

    options = (
        click.option(
            "--output",
            type=click.Path(path_type=Path),
            default=None,
            help="Write the changed workbook to this file instead of replacing PATH.",
        ),
        click.option(
            "--ignore-lock",
            is_flag=True,
            help="Write even though the workbook looks open in Excel or LibreOffice (their copy will conflict).",
        ),
        click.option(
            "--keep-backups",
            type=click.IntRange(0),
            default=DEFAULT_KEEP_BACKUPS,
            show_default=True,
            help="How many backups of earlier versions to keep in .xlcrm-backups (0: make none; the copy of the last "
            "save, which tells the next run what people changed, is kept all the same).",
        ),
    )
    return _with_options(with_save_options, options)


def show(
    result: CommandResult,
    output: Output,
    describe: Callable[[CommandResult], str],
    *,
    essential: Callable[[CommandResult], str],
    in_full: Callable[[CommandResult], str] | None = None,
    locale: str | None = None,
) -> None:
    """Print ``result`` as JSON (``--json``), or as text: the ``essential`` line with --quiet, ``in_full`` (every
    item; default ``describe``) with --verbose, else the lines ``describe`` makes of it. The texts are in the
    language chosen for a workbook in ``locale`` (the result's), JSON's keys and codes in English; so is whatever
    the command says after."""
    with speaking(language_for(locale)):
        if output.as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str))
        elif output.verbosity is Verbosity.QUIET:
            click.echo(essential(result))
        elif output.verbosity is Verbosity.VERBOSE:
            click.echo((in_full or describe)(result))
        else:
            click.echo(describe(result))


def strict_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--strict: the command exits 1 when errors remain in the workbook it saved, or with --dry-run would remain in
    it (see :func:`exit_if_errors_remain`)."""
    return click.option(
        "--strict",
        is_flag=True,
        help="Exit 1 when errors remain in the workbook as saved (as xlcrm validate counts them), although it was "
        "saved; with --dry-run, when errors would remain.",
    )(func)


def exit_if_errors_remain(
    strict: bool, output: Output, path: Path, errors: int | None, *, dry_run: bool = False
) -> None:
    """Nothing; with ``strict``, ends the command with exit code 1 when the job's result counts ``errors`` left in
    the workbook at ``path`` (on a ``dry_run``: that would be left), saying so in one ``Error:`` line (the JSON
    result says it with --json). ``errors`` None (the count could not be made) is a ``Warning:`` line and no exit:
    the command did its work, and only ``xlcrm validate`` can tell."""
    if not strict or not errors:
        if strict and errors is None and not output.as_json:
            with speaking(spoken_language()):
                warning = t(
                    "Warning: the errors left in {path} could not be counted (--strict); xlcrm validate lists them",
                    path=path,
                )
                click.echo(str(warning), err=True)
        return
    if not output.as_json:
        with speaking(spoken_language()):
            if dry_run:
                left = tn("{count} error would remain", "{count} errors would remain", errors)
            else:
                left = tn("{count} error remains", "{count} errors remain", errors)
            line = t("Error: {errors} in {path} (--strict); xlcrm validate lists them", errors=left, path=path)
            click.echo(str(line), err=True)
    sys.exit(EXIT_WORKBOOK_ERRORS)


def _with_options(function: Callable[..., Any], options: Sequence[Callable[..., Any]]) -> Callable[..., Any]:
    """``function`` with click's ``options`` applied, the first listed shown first in ``--help``."""
    for option in reversed(options):
        function = option(function)
    return function


def accept_deletions_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--accept-deletions: go on although rows were deleted since xlcrm last saved the workbook (see
    ``xlcrm.jobs.changes``)."""
    return click.option(
        "--accept-deletions",
        is_flag=True,
        help="Go ahead although rows were deleted since xlcrm last saved the workbook. Without it the command "
        "stops, writing nothing, when more than the Setting deletion_stop_percent of the Clients rows (default 5 %), "
        "or any Interactions or Contracts row, disappeared, and says how to bring them back with xlcrm restore. "
        "xlcrm tells by the copy of its last save in .xlcrm-backups, kept even with --keep-backups 0.",
    )(func)
