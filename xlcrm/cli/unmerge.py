"""``xlcrm unmerge``: undo one merge of the Merge log."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from xlcrm.cli.options import (
    SaveOptions,
    json_option,
    open_to_change,
    password_option,
    save_options,
    show,
    workbook_argument,
)
from xlcrm.dedupe import merge


@click.command("unmerge")
@workbook_argument
@click.argument("merge_id")
@save_options
@password_option
@json_option
def unmerge_command(path: Path, merge_id: str, save: SaveOptions, password: str | None, as_json: bool) -> None:
    """Undo one merge from the Merge log: the original rows come back exactly.

    The merged clients' rows return to their places, the survivor gets its
    original values back, re-pointed Interactions and Contacts point at their
    own clients again, and the pairs are remembered as "keep apart".

    Example:

        xlcrm unmerge clients.xlsx M0003
    """
    result = open_to_change(path, password, save, functools.partial(merge.unmerge_workbook, merge_id=merge_id))
    show(result, as_json, merge.format_unmerge)
