"""``xlcrm restore``: bring back rows deleted since xlcrm's last save."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import click

from xlcrm.cli.exit_codes import RESTORE_EPILOG
from xlcrm.cli.formatting import ALL_ITEMS, SHOWN_ITEMS, saved_lines
from xlcrm.cli.options import Output, output_options, password_option, save_options, show, workbook_argument
from xlcrm.errors import joined, quoted
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.restore import RestoreResult, restore_deleted_rows
from xlcrm.messages import Message, t, tn
from xlcrm.xlsx.refs import row_runs


@click.command("restore", epilog=RESTORE_EPILOG)
@workbook_argument
@click.option("--all-deleted", is_flag=True, help="Restore every row deleted since xlcrm's last save.")
@click.option(
    "--rows",
    "rows",
    multiple=True,
    metavar="SPEC[,SPEC…]",
    help="Rows to restore: a ClientID (the client with its deleted contacts, interactions and contracts), or "
    "Sheet:N or "
    "Sheet:N-M, rows as numbered in the saved copy (the ▸ Changes sheet's 'Row as saved'). May be repeated.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be restored; change nothing.")
@save_options
@password_option
@output_options
def restore_command(
    path: Path,
    all_deleted: bool,
    rows: Sequence[str],
    dry_run: bool,
    save: SaveOptions,
    password: str | None,
    output: Output,
) -> None:
    """Bring back rows deleted since xlcrm's last save, cell for cell.

    After every save xlcrm keeps a copy of the file it wrote
    (.xlcrm-backups/NAME.last-saved.xlsx). Rows deleted from Clients,
    Contacts, My Services, Interactions or Contracts since then come back
    from it, appended to the end of their sheet's table with every cell as it
    was: values, your own columns and formulas. A ClientID brings back the
    client's row with its deleted contacts, interactions and contracts; a
    client whose ClientID was given to another client meanwhile is not
    restored.

    Example:

        xlcrm restore clients.xlsx --rows C000012,Interactions:120-130 --dry-run
    """
    result = restore_deleted_rows(
        path, rows=rows, all_deleted=all_deleted, dry_run=dry_run, save=save, password=password
    )
    show(
        result,
        output,
        format_restore,
        essential=restored_line,
        in_full=functools.partial(format_restore, shown=ALL_ITEMS),
        locale=result.locale,
    )


def restored_line(result: RestoreResult) -> str:
    """The one line of --quiet: how many rows came back to which sheets."""
    if not result.rows:
        return str(t("{path}: no rows were deleted since xlcrm's last save; nothing to restore", path=result.path))
    counts = joined(
        (
            tn("{count} row of {sheet}", "{count} rows of {sheet}", count, sheet=quoted(sheet))
            for sheet, count in result.per_sheet().items()
        ),
        ", ",
    )
    if result.dry_run:
        return str(t("{path}: would restore {counts}", path=result.path, counts=counts))
    return str(t("{path}: restored {counts}", path=result.path, counts=counts))


def format_restore(result: RestoreResult, shown: int = SHOWN_ITEMS) -> str:
    """The rows restored sheet by sheet, the clients' IDs (up to ``shown``), the deleted rows left, then the save."""
    lines = [restored_line(result)]
    if result.client_ids:
        ids = list(result.client_ids)
        more = f" … (+{len(ids) - shown})" if len(ids) > shown else ""
        lines.append(str(t("ClientIDs: {ids}", ids=", ".join(ids[:shown]) + more)))
    for sheet in result.per_sheet():
        saved = [row.saved_row for row in result.rows if row.sheet_name == sheet]
        written = [row.row for row in result.rows if row.sheet_name == sheet]
        rows = {"sheet": sheet, "saved": _ranges(saved, shown), "written": _ranges(written, shown)}
        if len(saved) == 1:
            where = t("{sheet}: row {saved} as saved, now row {written}", **rows)
        else:
            where = t("{sheet}: rows {saved} as saved, now rows {written}", **rows)
        lines.append(f"  {where}")
    left = result.deleted - len(result.rows)
    if left:
        lines.append(str(_left_message(left)))
    if result.lost_columns:
        columns = ", ".join(result.lost_columns)
        lines.append(
            str(
                t(
                    "Warning: these columns are no longer on the sheet; their cells were not restored: {columns}",
                    columns=columns,
                )
            )
        )
    if result.dry_run:
        lines.append(str(t("Dry run: the workbook was not changed")))
    elif result.save is not None:
        lines += saved_lines(result.save)
    return "\n".join(lines)


def _left_message(left: int) -> Message:
    """What the deleted rows not restored become."""
    return tn(
        "{count} more deleted row was not restored: the next refresh still finds it deleted",
        "{count} more deleted rows were not restored: the next refresh still finds them deleted",
        left,
    )


def _ranges(rows: Sequence[int], shown: int) -> str:
    """``15-20, 33``: row numbers as runs of consecutive rows, up to ``shown`` runs."""
    runs = row_runs(rows)
    text = ", ".join(f"{first}-{last}" if last > first else str(first) for first, last in runs[:shown])
    return text + (" …" if len(runs) > shown else "")
