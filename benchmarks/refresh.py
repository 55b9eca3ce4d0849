"""How long a whole `xlcrm refresh` takes on a big workbook: read, lifecycle, reports, one save.

    .venv/bin/python benchmarks/refresh.py [--interactions 200000] [--clients 20000]

Builds (once, in the system's temp folder) a workbook with the template's
headers and ``--interactions`` log rows, then refreshes a copy of it twice (the
first run adds the report sheets and computed columns, the second replaces
them) and prints the wall time of each run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from xlcrm import schema
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook

TODAY = dt.date(2026, 11, 23)
TYPES = [t.en for t in schema.INTERACTION_TYPES]


def big_workbook(path: Path, interactions: int, clients: int) -> Path:
    if path.exists():
        return path
    book = Workbook(write_only=True)
    sheet = book.create_sheet(schema.CLIENTS.en)
    sheet.append([c.en for c in schema.CLIENTS.columns])
    for i in range(clients):
        sheet.append(
            [
                f"C{i:06d}",
                f"Person {i}",
                f"Company {i} LLC",
                None,
                f"+7 900 {i:07d}",
                f"p{i}@example.ru",
                "Moscow",
                None,
                dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                "Website",
                f"Manager {i % 7}",
                ("", "", "", "", "", "", "", "VIP", "Key", "Lost")[i % 10],
                None,
                None,
                None,
                dt.date(2023, 1, 1),
            ]
        )
    sheet = book.create_sheet(schema.INTERACTIONS.en)
    sheet.append([c.en for c in schema.INTERACTIONS.columns])
    for i in range(interactions):
        kind = TYPES[(i * 7) % len(TYPES)]
        day = TODAY - dt.timedelta(days=(i * 13) % 900)
        planned = day + dt.timedelta(days=14) if i % 5 == 0 else None
        sheet.append(
            [
                day,
                f"C{(i * 31) % clients:06d}",
                kind,
                f"Service {i % 40}" if kind == "Order" else None,
                1000 + (i * 37) % 9000 if kind == "Order" else None,
                f"Manager {i % 7}",
                None,
                None,
                "Call back" if planned else None,
                planned,
            ]
        )
    sheet = book.create_sheet(schema.SERVICES.en)
    sheet.append([c.en for c in schema.SERVICES.columns])
    for i in range(45):
        sheet.append([f"S{i:02d}", f"Service {i}", 1000, "pc", "Yes", None])
    book.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=20_000)
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir())
    source = big_workbook(
        folder / f"xlcrm-bench-refresh-{args.interactions}-{args.clients}.xlsx", args.interactions, args.clients
    )
    work = Path(tempfile.mkdtemp(prefix="xlcrm-bench-"))
    try:
        target = work / "book.xlsx"
        shutil.copyfile(source, target)
        print(f"{args.interactions:,} interactions, {args.clients:,} clients, {source.stat().st_size / 1e6:.1f} MB")
        for run in ("first refresh (adds)", "second refresh (replaces)"):
            started = time.perf_counter()
            refresh_workbook(target, today=TODAY, save=SaveOptions(keep_backups=0))
            print(f"{run:26} {time.perf_counter() - started:6.2f} s")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
