"""``xlcrm init``: a new, empty workbook from the template."""

from __future__ import annotations

from pathlib import Path

import click

from xlcrm import schema
from xlcrm.cli.options import json_option, locale_option, show, workbook_argument
from xlcrm.jobs.init import InitResult, create_template


@click.command("init")
@workbook_argument
@locale_option(schema.DEFAULT_LOCALE)
@click.option("--force", is_flag=True, help="Overwrite the file if it already exists.")
@json_option
def init_command(path: Path, locale: str, force: bool, as_json: bool) -> None:
    """Create a new, empty client-base workbook from the template.

    Example:

        xlcrm init clients.xlsx --locale ru
    """
    show(create_template(path, locale=locale, force=force), as_json, _describe)


def _describe(result: InitResult) -> str:
    lines = [f"Created {result.path} ({result.locale}): sheets {', '.join(result.sheets)}"]
    if result.backup:
        lines.append(f"The file it replaced is kept as {result.backup}")
    return "\n".join(lines)
