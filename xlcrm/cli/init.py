"""``xlcrm init``: a new, empty workbook from the template; ``--upgrade`` brings an older workbook up to it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from xlcrm import schema
from xlcrm.cli.exit_codes import PLAIN_EPILOG
from xlcrm.cli.formatting import saved_lines
from xlcrm.cli.options import (
    Output,
    locale_option,
    output_options,
    password_option,
    save_options,
    show,
    today_option,
    workbook_argument,
)
from xlcrm.errors import UsageError
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.init import InitResult, create_template
from xlcrm.jobs.upgrade import UpgradeResult, upgrade_workbook
from xlcrm.messages import Day, t, tn


@click.command("init", epilog=PLAIN_EPILOG)
@workbook_argument
@locale_option(schema.DEFAULT_LOCALE)
@click.option("--force", is_flag=True, help="Overwrite the file if it already exists.")
@click.option(
    "--upgrade",
    is_flag=True,
    help="Add the sheets, columns and settings of the current template that the existing workbook PATH lacks; "
    "every cell it has stays as it is. Its own language is used.",
)
@click.option("--dry-run", is_flag=True, help="With --upgrade: list what would be added; change nothing.")
@today_option
@save_options
@password_option
@output_options
def init_command(
    path: Path,
    locale: str,
    force: bool,
    upgrade: bool,
    dry_run: bool,
    today: dt.date,
    save: SaveOptions,
    password: str | None,
    output: Output,
) -> None:
    """Create a new, empty client-base workbook from the template, or upgrade an older one.

    An upgrade that adds the setting «Track payments from» sets it to --today, the day of the upgrade: orders
    from then on wait for payments, older ones count as settled.

    Example:

        xlcrm init clients.xlsx --locale ru

        xlcrm init --upgrade clients.xlsx --dry-run
    """
    if upgrade:
        if force:
            raise UsageError(t("--force creates a new workbook; --upgrade keeps the one there: give one of them"))
        upgraded = upgrade_workbook(path, dry_run=dry_run, save=save, password=password, today=today)
        show(upgraded, output, _describe_upgrade, essential=_upgrade_summary, locale=upgraded.locale)
        return
    if dry_run or save != SaveOptions() or password is not None:
        raise UsageError(t("--dry-run, --output, --ignore-lock, --keep-backups and --password go with --upgrade"))
    if click.get_current_context().get_parameter_source("today") is click.core.ParameterSource.COMMANDLINE:
        raise UsageError(t("--today goes with --upgrade: a new workbook leaves «Track payments from» blank"))
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


def _upgrade_summary(result: UpgradeResult) -> str:
    if result.nothing_to_add:
        return str(t("{path} has every sheet, column and setting of the template: nothing to add", path=result.path))
    counts = {
        "sheets": tn("{count} sheet", "{count} sheets", len(result.sheets)),
        "columns": tn("{count} column", "{count} columns", len(result.columns)),
        "settings": tn("{count} setting", "{count} settings", len(result.settings)),
        "values": tn("{count} list value", "{count} list values", len(result.list_values)),
        "checks": tn("{count} entry check", "{count} entry checks", len(result.checks)),
    }
    if result.dry_run:
        return str(
            t("Would add to {path}: {sheets}, {columns}, {settings}, {values}, {checks}", path=result.path, **counts)
        )
    return str(t("Added to {path}: {sheets}, {columns}, {settings}, {values}, {checks}", path=result.path, **counts))


def _describe_upgrade(result: UpgradeResult) -> str:
    added = [t("sheet {sheet}", sheet=sheet) for sheet in result.sheets]
    added += [
        tn(
            "column {header} on {sheet} ({cell}), with {count} value of the template",
            "column {header} on {sheet} ({cell}), with {count} values of the template",
            column.values,
            header=column.header,
            sheet=column.sheet,
            cell=column.cell,
        )
        if column.values
        else t("column {header} on {sheet} ({cell})", header=column.header, sheet=column.sheet, cell=column.cell)
        for column in result.columns
    ]
    added += [
        t(
            "setting {label} ({key}) on row {row}: {value}",
            label=item.label,
            key=item.key,
            row=item.row,
            value=Day(item.value),
        )
        if isinstance(item.value, dt.date)
        else t("setting {label} ({key}) on row {row}", label=item.label, key=item.key, row=item.row)
        if item.replaces is None
        else t(
            "setting {label} ({key}) on row {row}, in place of {old}: {value}",
            label=item.label,
            key=item.key,
            row=item.row,
            old=item.replaces,
            value=item.value,
        )
        for item in result.settings
    ]
    added += [
        t("value {value} in the list {header} on {sheet} ({cell})", **item.to_dict()) for item in result.list_values
    ]
    added += [
        t(
            "entry check of {header} on {sheet} ({cells}) now allows a refund: {payment} below zero",
            payment=schema.PAYMENT.name(result.locale),
            **item.to_dict(),
        )
        for item in result.checks
    ]
    lines = [_upgrade_summary(result), *(f"  {line}" for line in added)]
    lines += [str(t("Not added: {reason}", reason=reason)) for reason in result.left_out]
    lines += [str(t("Note: {note}", note=note)) for note in result.notes]
    if result.save is not None:
        lines += saved_lines(result.save)
    return "\n".join(lines)
