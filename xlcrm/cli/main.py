"""Command-line interface: the ``xlcrm`` group of the commands in ``xlcrm.cli.commands_list``.

Library errors (``XlcrmError``) become a one-line ``Error: …`` on stderr with
the exit code ``xlcrm.cli.exit_codes`` gives them; nothing else a user sees is
a traceback. Under ``--json`` every error, usage errors included, is instead
one JSON object on stdout, ``{"error": message, "code": exit code}``, with the
same exit code. Everything is said in the language of ``--lang`` or the
environment (:mod:`xlcrm.cli.language`); a command's result, and what follows
it, in its workbook's language when neither names one.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, NoReturn

import click

from xlcrm import __version__
from xlcrm.cli.commands_list import COMMAND_MODULES, load_command
from xlcrm.cli.exit_codes import EXIT_INTERRUPTED, EXIT_WORKBOOK_ERRORS, exit_code_of
from xlcrm.cli.language import language_for, note_lang_option, spoken_language
from xlcrm.cli.usage_errors import say_usage_error, usage_error_text
from xlcrm.errors import XlcrmError
from xlcrm.messages import LANGUAGES, Text, current_language, speaking, t
from xlcrm.messages.catalogue import SOURCE_LANGUAGE
from xlcrm.runtime import progress
from xlcrm.runtime.allocator import one_arena
from xlcrm.runtime.child_process import stop_children
from xlcrm.runtime.collector import collector_paused, off_until_exit
from xlcrm.runtime.process_exit import exit_now


def one_line(message: Text) -> str:
    """``message`` on one line: a line break it quotes from the workbook (in a formula, a cell) shows as ↵, so a
    batch job's log and a person both see one ``Error:`` line."""
    return _LINE_BREAK.sub("↵", str(message))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class XlcrmGroup(click.Group):
    """Turns library errors into ``Error: …`` lines and stray exceptions into one as well; into JSON under --json.

    Its commands are loaded by name when asked for (``xlcrm.cli.commands_list``): a run imports only its own.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The names of every command, sorted, as help lists them."""
        return sorted({*COMMAND_MODULES, *self.commands})

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command ``args`` names, loaded, and the arguments left. For a name that is no command every command is
        loaded first: click's usage error then suggests the closest of all their names (``Did you mean …?``)."""
        if args and args[0] not in COMMAND_MODULES:
            for name in COMMAND_MODULES:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command called ``cmd_name``, loaded on first use; None when there is none."""
        if cmd_name not in self.commands and (command := load_command(cmd_name)) is not None:
            self.add_command(command)
        return self.commands.get(cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """The arguments left for the command; notes whether they ask for JSON, before a usage error can stop the
        parsing of ``--json``."""
        given = args[: args.index("--")] if "--" in args else args
        ctx.meta[_JSON_ASKED] = "--json" in given
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as exc:  # of the group's own options, before --lang is known
            with speaking(language_for(None)):
                _say_click_error(exc)

    def invoke(self, ctx: click.Context) -> Any:
        """What the command returns; xlcrm's own errors become one line on stderr and an exit code."""
        note_lang_option(ctx, ctx.params.get("lang"))
        with speaking(language_for(None)):  # until the command knows its workbook
            return self._invoke(ctx)

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            # The command owns this process, so it may hold the collector off; the library never does.
            with collector_paused():
                return super().invoke(ctx)
        except XlcrmError as exc:
            _fail(ctx, exc, exit_code_of(exc))
        except click.exceptions.Exit:
            raise
        except click.ClickException as exc:
            if ctx.meta.get(_JSON_ASKED):
                _fail(ctx, usage_error_text(exc), exc.exit_code)
            with speaking(spoken_language()):  # a --lang after the command counts once it was read
                _say_click_error(exc)  # click's usage error: the usage line, a hint at --help, the error
        except click.Abort:
            raise
        except KeyboardInterrupt:
            _fail(ctx, t("interrupted; the workbook was not changed"), EXIT_INTERRUPTED)
        except Exception as exc:  # a bug: still no traceback for the user, unless asked for
            if os.environ.get("XLCRM_DEBUG"):
                raise
            _fail(
                ctx,
                t(
                    "unexpected failure ({kind}: {detail}); set XLCRM_DEBUG=1 to see details",
                    kind=type(exc).__name__,
                    detail=one_line(str(exc)),
                ),
                EXIT_WORKBOOK_ERRORS,
            )


_JSON_ASKED = "xlcrm.json"  # the key of ctx.meta saying --json was given


def _say_click_error(error: click.ClickException) -> NoReturn:
    """Nothing; ends the command with click's own error, which click shows itself in English; in another language
    xlcrm says it, and the command ends with click's exit code."""
    if current_language() == SOURCE_LANGUAGE:
        raise error
    say_usage_error(error)
    raise click.exceptions.Exit(error.exit_code)


def _fail(ctx: click.Context, message: object, code: int) -> NoReturn:
    """Nothing; ends the command with exit ``code`` after saying ``message`` (an error, or its text) on one line, in
    the language the command speaks: one ``Error:`` line on stderr, or under --json ``{"error": message, "code":
    code}`` on stdout."""
    with speaking(spoken_language()):
        text = one_line(str(message))
        if ctx.meta.get(_JSON_ASKED):
            click.echo(json.dumps({"error": text, "code": code}, ensure_ascii=False))
        else:
            click.echo(str(t("Error: {message}", message=text)), err=True)
    ctx.exit(code)


@click.group(cls=XlcrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlcrm")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language xlcrm prints in. Default: the one LANGUAGE, LC_ALL or LC_MESSAGES names, else the workbook's, "
    "else the one LANG (on Windows: the user's language) names, else English.",
)
def cli(lang: str | None) -> None:
    """xlcrm: keep your client base in Excel and let xlcrm check and clean it.

    Every command takes the workbook path and never asks questions. It exits 0
    when it did what was asked (a saving command with --strict: and no errors
    remain), 1 when the workbook has errors (validate; --strict) or cannot be
    used, 2 on usage errors; each command's --help lists its codes.

    --lang goes before the command or after it: xlcrm --lang ru refresh clients.xlsx
    """
    progress.show_on(sys.stderr)  # long steps say what runs, when a person watches a terminal


def main() -> NoReturn:
    """Run the command line (the ``xlcrm`` script) and end the process with the command's exit status."""
    one_arena()  # the program owns its process: one allocator arena for all its threads (see the module)
    off_until_exit()  # and its collector, which the command's own pause then leaves off to the end
    try:
        cli(prog_name="xlcrm")
        status: object = 0
    except SystemExit as ending:
        status = ending.code
    stop_children()  # still reading a sheet the command never asked for, or stopped by an error before it did
    exit_now(status)
