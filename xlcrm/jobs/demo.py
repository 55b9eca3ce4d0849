"""``xlcrm demo``: a realistic demo workbook with planted duplicates and mistakes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from xlcrm import schema
from xlcrm.create.demo import (
    Lookalike,
    PlantedCase,
    PlantedDuplicate,
    PlantedMistake,
    ProbableDuplicate,
    generate_demo,
)
from xlcrm.create.demo_contracts import PlantedContract
from xlcrm.create.demo_payments import PlantedPayment
from xlcrm.create.template import build_workbook
from xlcrm.errors import UsageError
from xlcrm.files.safe_save import holding_workbook_lock, write_new_workbook
from xlcrm.messages import t, tn
from xlcrm.messages.as_json import JsonFields
from xlcrm.runtime import progress


@dataclass
class DemoResult(JsonFields):
    """The demo workbook ``create_demo`` made, with the manifest of what was planted on purpose."""

    path: Path
    locale: str
    seed: int
    today: dt.date
    clients: int
    interactions: int
    planted_mistakes: list[PlantedMistake]
    planted_duplicates: list[PlantedDuplicate]
    lookalikes: list[Lookalike]
    probable_duplicates: list[ProbableDuplicate]  # pairs dedupe puts up for review
    planted_cases: list[PlantedCase]  # a client for every rule of the blocks and the agenda
    contracts: int  # rows on the Contracts sheet, annexes included
    planted_contracts: list[PlantedContract]  # a contract for every rule of the contracts
    planted_payments: list[PlantedPayment]  # a client for every rule of the payments


@holding_workbook_lock("path")
def create_demo(
    path: str | Path,
    clients: int = 300,
    seed: int = 1,
    locale: str = "ru",
    today: dt.date | None = None,
    force: bool = False,
) -> DemoResult:
    """Generate a demo client base of ``clients`` clients, with duplicates and mistakes planted on purpose, and save
    it at ``path`` (an existing file only with ``force``); returns what was planted. The same ``seed``, ``locale`` and
    ``today`` (default: the real date) give the same workbook."""
    path = Path(path)
    today = today or dt.date.today()
    # Refused before generating: a big demo takes minutes to build only to be refused on save.
    if path.exists() and not force:
        raise UsageError(t("{path} already exists; use --force to overwrite it", path=path))
    # A big demo takes a while (20,000 clients: about 20 s): the progress display says which step runs.
    with progress.step(
        tn("generating {count} client and its history", "generating {count} clients and their history", clients)
    ):
        data = generate_demo(clients, seed, locale, today)
    with progress.step(t("building the workbook")):
        book = build_workbook(locale, rows=data.rows, lists=data.lists, settings=data.settings)
    with progress.step(t("saving the workbook")):
        write_new_workbook(book, path, force=force)
    return DemoResult(
        path=path,
        locale=locale,
        seed=seed,
        today=today,
        clients=len(data.rows[schema.CLIENTS.key]),
        interactions=len(data.rows[schema.INTERACTIONS.key]),
        planted_mistakes=data.planted_mistakes,
        planted_duplicates=data.planted_duplicates,
        lookalikes=data.lookalikes,
        probable_duplicates=data.probable_duplicates,
        planted_cases=data.planted_cases,
        contracts=len(data.rows[schema.CONTRACTS.key]),
        planted_contracts=data.planted_contracts,
        planted_payments=data.planted_payments,
    )
