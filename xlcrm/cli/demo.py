"""``xlcrm demo``: a realistic demo workbook with planted duplicates and mistakes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from xlcrm.cli.options import json_option, locale_option, show, today_option, workbook_argument
from xlcrm.jobs.demo import DemoResult, create_demo


@click.command("demo")
@workbook_argument
@click.option(
    "--clients", type=click.IntRange(10, 200_000), default=300, show_default=True, help="How many clients to generate."
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="Random seed; the same seed gives the same workbook."
)
@locale_option("ru")
@today_option
@click.option("--force", is_flag=True, help="Overwrite the file if it already exists.")
@json_option
def demo_command(path: Path, clients: int, seed: int, locale: str, today: dt.date, force: bool, as_json: bool) -> None:
    """Create a realistic demo workbook with planted duplicates and mistakes.

    Example:

        xlcrm demo demo.xlsx --clients 500 --seed 7
    """
    result = create_demo(path, clients=clients, seed=seed, locale=locale, today=today, force=force)
    show(result, as_json, _describe)


def _describe(result: DemoResult) -> str:
    return (
        f"Created {result.path}: {result.clients} clients, {result.interactions} interactions, "
        f"{len(result.planted_duplicates)} planted duplicates, {len(result.planted_mistakes)} planted mistakes"
    )
