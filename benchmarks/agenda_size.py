"""How long each manager's agenda is on a demo of N clients: the figure the README quotes.

    .venv/bin/python benchmarks/agenda_size.py [--clients 20000] [--seed 1] [--today 2026-11-23]

Makes a demo of ``--clients`` clients (``xlcrm demo``, in a temporary folder),
refreshes it (``xlcrm refresh``, library calls both) and prints per manager:
the agenda's items in total (the Agenda object ``xlcrm agenda --all`` prints),
those on the ▸ Agenda sheet (every part: to do now, coming up, long overdue),
those not shown there, the long overdue (stale) ones among all the items, and
whether the sheet keeps within the ``agenda_limit`` setting.

Only the public results are read: the Agenda object, and the saved sheet read
back with openpyxl, where an item is a row with a ClientID under a header row
that names the ClientID column; its manager is in the Manager column, or else
the manager heading above it. So it measures the agenda of any version of xlcrm.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

import openpyxl

from xlcrm import schema
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.agenda import workbook_agenda
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook


def sheet_counts(path: Path, locale: str, managers: list[str]) -> Counter[str]:
    """manager -> items on the saved ▸ Agenda sheet, in every part."""
    sheet = openpyxl.load_workbook(path, read_only=True)[schema.AGENDA.name(locale)]
    client_header, manager_header = schema.label("client_id", locale), schema.label("manager", locale)
    counts: Counter[str] = Counter()
    heading_manager = ""
    id_column: int | None = None
    manager_column: int | None = None
    for row in sheet.iter_rows(values_only=True):
        texts = [str(value).strip() if value is not None else "" for value in row]
        filled = [text for text in texts if text]
        if client_header in texts:  # a header row
            id_column = texts.index(client_header)
            manager_column = texts.index(manager_header) if manager_header in texts else None
            continue
        if len(filled) == 1 and id_column is not None and not texts[id_column]:  # a heading
            named = [m for m in managers if re.search(rf"(^|\W){re.escape(m)}(\W|$)", filled[0])]
            heading_manager = named[0] if named else heading_manager
            continue
        if id_column is None or id_column >= len(texts) or not texts[id_column]:
            continue
        counts[texts[manager_column] if manager_column is not None else heading_manager] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20_000, help="clients of the demo")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 23))
    parser.add_argument("--locale", default="ru", choices=schema.LOCALES)
    args = parser.parse_args()
    limit = int(schema.setting("agenda_limit").default)
    with tempfile.TemporaryDirectory(prefix="xlcrm-bench-agenda-") as folder:
        path = Path(folder) / "demo.xlsx"
        started = time.perf_counter()
        create_demo(path, clients=args.clients, seed=args.seed, locale=args.locale, today=args.today)
        made = time.perf_counter() - started
        started = time.perf_counter()
        refresh_workbook(path, today=args.today, save=SaveOptions(keep_backups=0))
        refreshed = time.perf_counter() - started
        agenda = workbook_agenda(path, today=args.today).agenda
        items = agenda.items.dropna(subset=["manager"])
        totals = Counter(str(manager) for manager in items["manager"])
        stale = Counter(str(manager) for manager in items.loc[items["part"] == "stale", "manager"])
        counts = sheet_counts(path, args.locale, sorted(totals))
    timing = f"demo {made:.1f} s, refresh {refreshed:.1f} s"
    print(f"{args.clients:,} clients (seed {args.seed}, today {args.today}): {timing}")
    print(f"agenda_limit {limit}")
    print(f"{'manager':24} {'total':>7} {'on sheet':>9} {'not shown':>10} {'stale':>7}  within limit")
    managers = sorted(set(totals) | set(counts), key=schema.fold)
    over = 0
    for manager in managers:
        total, shown = totals[manager], counts[manager]
        within = shown <= limit
        over += not within
        print(
            f"{manager or '(none)':24} {total:7,} {shown:9,} {max(total - shown, 0):10,} {stale[manager]:7,}"
            f"  {'yes' if within else 'NO'}"
        )
    everyone, on_sheet = sum(totals.values()), sum(counts.values())
    print(
        f"{'all':24} {everyone:7,} {on_sheet:9,} {max(everyone - on_sheet, 0):10,} {sum(stale.values()):7,}"
        f"  {'yes' if not over else f'NO for {over}'}"
    )


if __name__ == "__main__":
    main()
