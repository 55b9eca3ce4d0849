"""``xlcrm demo``: a realistic demo workbook with planted duplicates and mistakes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from xlcrm.cli.exit_codes import PLAIN_EPILOG
from xlcrm.cli.language import language_for
from xlcrm.cli.options import Output, locale_option, output_options, show, today_option, workbook_argument
from xlcrm.jobs.demo import DemoResult, create_demo
from xlcrm.messages import Day, Number, speaking, t, tn


@click.command("demo", epilog=PLAIN_EPILOG)
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
@output_options
def demo_command(path: Path, clients: int, seed: int, locale: str, today: dt.date, force: bool, output: Output) -> None:
    """Create a realistic demo workbook with planted duplicates and mistakes.

    With --verbose every planted duplicate, probable duplicate, look-alike
    pair, mistake, case (a client for every rule of the agenda), contract
    case and payment case is listed.

    Example:

        xlcrm demo demo.xlsx --clients 500 --seed 7
    """
    # The workbook's language is known from the start: the steps speak it too (an error, the run's without it).
    with speaking(language_for(locale, remember=False)):
        result = create_demo(path, clients=clients, seed=seed, locale=locale, today=today, force=force)
    show(result, output, _describe, essential=_describe, in_full=_describe_in_full, locale=result.locale)


def _describe(result: DemoResult) -> str:
    return str(
        t(
            "Created {path}: {clients}, {interactions}, {duplicates}, {probable}, {mistakes}",
            path=result.path,
            clients=tn("{count} client", "{count} clients", result.clients),
            interactions=tn("{count} interaction", "{count} interactions", result.interactions),
            duplicates=tn("{count} planted duplicate", "{count} planted duplicates", len(result.planted_duplicates)),
            probable=tn(
                "{count} planted probable duplicate",
                "{count} planted probable duplicates",
                len(result.probable_duplicates),
            ),
            mistakes=tn("{count} planted mistake", "{count} planted mistakes", len(result.planted_mistakes)),
        )
    )


def _describe_in_full(result: DemoResult) -> str:
    """The summary, then every planted duplicate, probable duplicate, look-alike pair and mistake."""
    lines = [_describe(result), str(t("Planted duplicates:"))]
    lines += [
        "  " + str(t("{duplicate} duplicates {original}: {how}", duplicate=d.duplicate, original=d.original, how=d.how))
        for d in result.planted_duplicates
    ]
    if result.probable_duplicates:
        lines.append(
            str(t("Planted probable duplicates (dedupe lists them for your Decision, never merges them itself):"))
        )
        lines += [
            "  "
            + str(
                t(
                    "{duplicate} probably duplicates {original}: {how}",
                    duplicate=d.duplicate,
                    original=d.original,
                    how=d.how,
                )
            )
            for d in result.probable_duplicates
        ]
    if result.lookalikes:
        lines.append(str(t("Look-alike clients that must stay apart:")))
        lines += [f"  {pair.first} / {pair.second}: {pair.why}" for pair in result.lookalikes]
    lines.append(str(t("Planted mistakes:")))
    lines += [f"  {m.cell} {m.code.value} {m.value!r}: {m.note}" for m in result.planted_mistakes]
    if result.planted_cases:
        lines.append(str(t("Planted cases (a client for every rule of the blocks and the agenda):")))
        lines += [
            f"  {c.client_id} {c.case} {c.cell}: {c.note}" + (f" ({t('due {day}', day=Day(c.due))})" if c.due else "")
            for c in result.planted_cases
        ]
    if result.planted_contracts:
        lines.append(str(t("Planted contracts (a contract for every rule of the contracts):")))
        lines += [
            f"  {c.contract_id} {c.client_id} {c.case} {c.cell}: {c.note}"
            + (f" ({t('due {day}', day=Day(c.due))})" if c.due else "")
            for c in result.planted_contracts
        ]
    if result.planted_payments:
        lines.append(str(t("Planted payments (a client for every rule of the payments):")))
        lines += [
            f"  {c.client_id} {c.case} {c.cell}: {c.note} ("
            + str(t("balance {balance}", balance=Number(c.balance, 2)))
            + (f", {t('due {day}', day=Day(c.due))})" if c.due else ")")
            for c in result.planted_payments
        ]
    return "\n".join(lines)
