"""How long ``xlcrm dedupe`` takes on a big client base.

    .venv/bin/python benchmarks/dedupe_speed.py [--clients 100000] [--seed 7]

Builds (once, in the system's temp folder) a workbook with ``--clients`` rows
on Clients, made by the generator of ``dedupe_quality.py`` (about one client
in nine typed in twice, with typos), and a few interactions per client. Then
prints the wall time of each stage of a dry run (read, plan: keys, blocking,
the match model learnt by EM, comparison, clustering), of a real run that
merges and saves (on a copy), and of the next night's dry run on that copy,
which learns from its Merge log too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import tempfile
import time
from pathlib import Path

from dedupe_quality import generate
from openpyxl import Workbook

from xlcrm import schema
from xlcrm.dedupe import plan as dedupe
from xlcrm.dedupe.merge import load_plan
from xlcrm.dedupe.probability import compare_records, fit_model
from xlcrm.dedupe.records import client_records
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.dedupe import dedupe_workbook
from xlcrm.xlsx.reader import read_workbook


def build(path: Path, clients: int, seed: int) -> Path:
    if path.exists():
        return path
    rows = generate(clients, seed).rows
    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(schema.CLIENTS.name("ru"))
    sheet.append([c.ru for c in schema.CLIENTS.columns])
    for number, row in enumerate(rows, start=1):
        sheet.append(
            [
                f"C{number:06d}"
                if c.key == "client_id"
                else dt.date(2020, 1, 1) + dt.timedelta(days=number % 1500)
                if c.key == "created"
                else row.get(c.key)
                for c in schema.CLIENTS.columns
            ]
        )
    interactions = book.create_sheet(schema.INTERACTIONS.name("ru"))
    interactions.append([c.ru for c in schema.INTERACTIONS.columns])
    order = schema.ORDER.name("ru")
    for _ in range(clients * 3):
        interactions.append(
            [
                dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(600)),
                f"C{rng.randint(1, clients):06d}",
                order,
                None,
                rng.randrange(1, 100) * 1000.0,
            ]
        )
    book.create_sheet(schema.SETTINGS.name("ru")).append([c.ru for c in schema.SETTINGS.columns])
    book.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000, help="rows on the Clients sheet")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated base")
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir())
    started = time.perf_counter()
    path = build(folder / f"xlcrm-dedupe-{args.clients}-{args.seed}.xlsx", args.clients, args.seed)
    print(
        f"workbook {path} ({path.stat().st_size / 1e6:.1f} MB, built or found in {time.perf_counter() - started:.1f} s)"
    )

    started = time.perf_counter()
    data = read_workbook(path)
    read = time.perf_counter() - started
    clients = data.sheets[schema.CLIENTS.key]
    started = time.perf_counter()
    records = client_records(clients, "RU")
    keys = time.perf_counter() - started
    by_row = {r.row: r for r in records}
    started = time.perf_counter()
    pairs = dedupe.candidate_pairs(records).pairs
    blocking = time.perf_counter() - started
    started = time.perf_counter()
    comparisons = {(a, b): compare_records(by_row[a], by_row[b]) for a, b in sorted(pairs)}
    comparing = time.perf_counter() - started
    started = time.perf_counter()
    model = fit_model(records, list(comparisons.values()), dedupe.MAX_BLOCK)  # u by counting and sampling, m by EM
    learning = time.perf_counter() - started
    started = time.perf_counter()
    for (first, second), comparison in comparisons.items():
        dedupe.compare(by_row[first], by_row[second], model, comparison)
    scoring = time.perf_counter() - started
    started = time.perf_counter()
    plan, _log = load_plan(data)
    planning = time.perf_counter() - started
    print(
        f"{len(records):,} clients: read {read:.1f} s; plan {planning:.1f} s "
        f"(keys {keys:.1f} s, blocking {blocking:.1f} s, {len(pairs):,} pairs compared in {comparing:.1f} s, "
        f"model learnt in {learning:.1f} s, pairs scored in {scoring:.1f} s); "
        f"{len(plan.groups):,} groups to merge, {len(plan.review):,} pairs to review"
    )

    # CPU time next to wall time: on a machine shared with other work the wall clock also counts the waiting.
    started, cpu = time.perf_counter(), time.process_time()
    dry = dedupe_workbook(path, dry_run=True)
    dry_run, dry_cpu = time.perf_counter() - started, time.process_time() - cpu
    # A fresh folder each run: xlcrm remembers what it saved at a path (see xlcrm.files.saved_copy), and a copy of
    # the unmerged base where it once saved the merged one would read as rows deleted since.
    with tempfile.TemporaryDirectory(prefix="xlcrm-dedupe-") as scratch:
        copy = Path(scratch) / f"xlcrm-dedupe-copy-{args.clients}.xlsx"
        shutil.copyfile(path, copy)
        started, cpu = time.perf_counter(), time.process_time()
        real = dedupe_workbook(copy, save=SaveOptions(keep_backups=0))
        saving, saving_cpu = time.perf_counter() - started, time.process_time() - cpu
        # The next night: the same base merged, its Merge log read and learnt from.
        started, cpu = time.perf_counter(), time.process_time()
        night = dedupe_workbook(copy, dry_run=True)
        next_night, next_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"xlcrm dedupe --dry-run: {dry_run:.1f} s wall, {dry_cpu:.1f} s CPU ({dry.merged_rows:,} rows would be "
        f"merged); xlcrm dedupe (merge and save): {saving:.1f} s wall, {saving_cpu:.1f} s CPU "
        f"({real.merged_rows:,} rows merged); the next night's dry run, learning from the Merge log: "
        f"{next_night:.1f} s wall, {next_cpu:.1f} s CPU ({night.merged_rows:,} rows would be merged, "
        f"{len(night.review):,} pairs to review)"
    )


if __name__ == "__main__":
    main()
