"""Click's usage errors said in the language the command speaks, as click lays them out.

Click writes them in English (its own texts: ``Usage:``, ``Try … for help.``, ``Error:``, ``Invalid value for …``);
in another language xlcrm says them itself, through the catalogue: the usage line, the hint at ``--help`` and the
error, the kinds of error a person meets most (a bad value, an unknown option, a missing argument) in words, any
other with click's own message.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from xlcrm.messages import Message, current_language, t
from xlcrm.messages.catalogue import SOURCE_LANGUAGE


def say_usage_error(error: click.ClickException) -> None:
    """Nothing; writes ``error`` on stderr as click would, in the language the run speaks (``str`` of messages)."""
    ctx = getattr(error, "ctx", None)
    if isinstance(ctx, click.Context):
        command = ctx.command
        pieces = [str(t("[OPTIONS]")) if piece == "[OPTIONS]" else piece for piece in command.collect_usage_pieces(ctx)]
        usage = t("Usage: {command} {arguments}", command=ctx.command_path, arguments=" ".join(pieces))
        click.echo(str(usage), err=True)
        help_names = command.get_help_option_names(ctx) if command.get_help_option(ctx) else []
        if help_names:
            hint = t("Try '{command} {option}' for help.", command=ctx.command_path, option=max(help_names, key=len))
            click.echo(str(hint), err=True)
        click.echo("", err=True)
    click.echo(str(t("Error: {message}", message=usage_error_text(error))), err=True)


def usage_error_text(error: click.ClickException) -> Message | str:
    """What went wrong, in words of the catalogue where it is one of the usual kinds (in English, click's own)."""
    if current_language() == SOURCE_LANGUAGE:
        return error.format_message()
    if isinstance(error, click.MissingParameter) and error.param is not None:
        hint = _hint(error.param_hint or error.param.get_error_hint(error.ctx))
        if error.param.param_type_name == "argument":
            return t("Missing argument {name}.", name=hint)
        return t("Missing option {name}.", name=hint)
    if isinstance(error, click.BadParameter):
        names = error.param_hint or (error.param.get_error_hint(error.ctx) if error.param is not None else None)
        if names is None:
            return t("Invalid value: {message}", message=error.message)
        return t("Invalid value for {name}: {message}", name=_hint(names), message=error.message)
    if isinstance(error, click.NoSuchOption):
        return _suggesting(t("No such option {name}.", name=repr(error.option_name)), error.possibilities)
    # click 8.4 and later: older versions raise a plain usage error, said in click's words
    no_such_command = getattr(click.exceptions, "NoSuchCommand", None)
    if no_such_command is not None and isinstance(error, no_such_command):
        return _suggesting(t("No such command {name}.", name=repr(error.command_name)), error.possibilities)
    return error.format_message()


def _suggesting(unknown: Message, possibilities: Sequence[str] | None) -> Message:
    """``unknown`` followed, as click says it, by the names it suggests instead."""
    if not possibilities:
        return unknown
    names = [repr(name) for name in sorted(possibilities)]
    if len(names) == 1:
        return t("{unknown} Did you mean {option}?", unknown=unknown, option=names[0])
    return t("{unknown} (Did you mean one of: {options}?)", unknown=unknown, options=names)


def _hint(hint: Sequence[str] | str) -> str:
    """A parameter's names as click quotes them: ``'--today'``, ``'-q' / '--quiet'``."""
    if isinstance(hint, str):
        return hint
    return " / ".join(repr(name) for name in hint)
