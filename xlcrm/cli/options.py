"""What the commands share: the workbook argument, option decorators, printing a result.

A command that changes the workbook takes ``@save_options`` (it then gets one
``save: SaveOptions``, which it hands to its job) and ``@password_option``; a
command that only reads takes ``@password_option``. The job opens a
password-protected workbook itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

from xlcrm import schema
from xlcrm.files import encryption
from xlcrm.files.safe_save import DEFAULT_KEEP_BACKUPS, SaveOptions
from xlcrm.runtime import progress

EXIT_WORKBOOK_ERRORS = 1

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

workbook_argument = click.argument("path", type=click.Path(path_type=Path))


class JsonResult(Protocol):
    """A library result: ``to_dict`` is what ``--json`` prints."""

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values."""


CommandResult = TypeVar("CommandResult", bound=JsonResult)


def _quiet_for_json(ctx: click.Context, param: click.Parameter, as_json: bool) -> bool:
    if as_json:
        progress.hide()  # the output is for a program; nothing else on the terminal
    return as_json


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The command with a ``--json`` flag, which also silences the progress line."""
    return click.option("--json", "as_json", is_flag=True, callback=_quiet_for_json, help="Print the result as JSON.")(
        func
    )


def _date_or_today(ctx: click.Context, param: click.Parameter, value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def today_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--today, given to the command as a date: the real date when the option is left out."""
    return click.option(
        "--today",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        callback=_date_or_today,
        help="Date to treat as today (YYYY-MM-DD), so results are reproducible. Default: the real date.",
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
            help="How many backups of earlier versions to keep in .xlcrm-backups (0: make none).",
        ),
    )
    decorated: Callable[..., Any] = with_save_options
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def show(result: CommandResult, as_json: bool, describe: Callable[[CommandResult], str]) -> None:
    """Print ``result`` as JSON (``--json``) or as the lines ``describe`` makes of it."""
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(describe(result))
