"""``xlcrm init``: a new, empty workbook from the template."""

from __future__ import annotations

from pathlib import Path

import click

from xlcrm import schema
from xlcrm.cli.exit_codes import PLAIN_EPILOG
from xlcrm.cli.options import Output, locale_option, output_options, show, workbook_argument
from xlcrm.jobs.init import InitResult, create_template
from xlcrm.messages import t


@click.command("init", epilog=PLAIN_EPILOG)
@workbook_argument
@locale_option(schema.DEFAULT_LOCALE)
@click.option("--force", is_flag=True, help="Overwrite the file if it already exists.")
@output_options
def init_command(path: Path, locale: str, force: bool, output: Output) -> None:
    """Create a new, empty client-base workbook from the template.

    Example:

        xlcrm init clients.xlsx --locale ru
    """
    result = create_template(path, locale=locale, force=force)
    show(result, output, _describe, essential=_created, locale=result.locale)


def _created(result: InitResult) -> str:
    return str(
        t("Created {path} ({locale}): sheets {sheets}", path=result.path, locale=result.locale, sheets=result.sheets)
    )


def _describe(result: InitResult) -> str:
    lines = [_created(result)]
    if result.backup:
        lines.append(str(t("The file it replaced is kept as {backup}", backup=result.backup)))
    return "\n".join(lines)
