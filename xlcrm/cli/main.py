"""Command-line interface: the ``xlcrm`` group of the commands in ``xlcrm.cli.commands_list``.

Library errors (``XlcrmError``) become a one-line ``Error: …`` on stderr with
the error's exit code; nothing else a user sees is a traceback.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

import click

from xlcrm import __version__
from xlcrm.cli.commands_list import COMMANDS
from xlcrm.cli.options import EXIT_WORKBOOK_ERRORS
from xlcrm.errors import XlcrmError
from xlcrm.runtime import progress
from xlcrm.runtime.collector import collector_paused


def one_line(message: str) -> str:
    """``message`` on one line: a line break it quotes from the workbook (in a formula, a cell) shows as ↵, so a
    batch job's log and a person both see one ``Error:`` line."""
    return _LINE_BREAK.sub("↵", message)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class XlcrmGroup(click.Group):
    """Turns library errors into ``Error: …`` lines and stray exceptions into one as well."""

    def invoke(self, ctx: click.Context) -> Any:
        """What the command returns; xlcrm's own errors become one line on stderr and an exit code."""
        try:
            # The command owns this process, so it may hold the collector off; the library never does.
            with collector_paused():
                return super().invoke(ctx)
        except XlcrmError as exc:
            click.echo(f"Error: {one_line(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Error: interrupted; the workbook was not changed", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug: still no traceback for the user, unless asked for
            if os.environ.get("XLCRM_DEBUG"):
                raise
            click.echo(
                f"Error: unexpected failure ({type(exc).__name__}: {one_line(str(exc))}); "
                "set XLCRM_DEBUG=1 to see details",
                err=True,
            )
            ctx.exit(EXIT_WORKBOOK_ERRORS)


@click.group(cls=XlcrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlcrm")
def cli() -> None:
    """xlcrm: keep your client base in Excel and let xlcrm check and clean it.

    Every command takes the workbook path, never asks questions, and exits 0 on
    success, 1 when the workbook has errors and 2 on usage errors.
    """
    progress.show_on(sys.stderr)  # long steps say what runs, when a person watches a terminal


for command in COMMANDS:
    cli.add_command(command)


def main() -> None:
    """Run the command line (the ``xlcrm`` script); returns only through ``SystemExit``."""
    cli(prog_name="xlcrm")
