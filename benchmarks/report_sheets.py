"""How long writing a big report sheet into a big workbook takes, and how much memory it needs.

    .venv/bin/python benchmarks/report_sheets.py [--rows 100000] [--workbook-rows 200000]

Builds (once, in the system's temp folder) a user workbook of about 10 MB with
openpyxl, then writes a report sheet of ``--rows`` rows x 8 columns into it with
``write_report_sheets``: first added, then replaced. Prints the wall time of
each write, the growth of the process's peak RSS, and the peak of Python
allocations during a write (traced in a separate run, as tracing slows it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from openpyxl import Workbook

from xlcrm import schema
from xlcrm.xlsx.package import write_report_sheets
from xlcrm.xlsx.report_sheet import ColumnFormat, ReportColumn, ReportSheet, ReportTable


def user_workbook(path: Path, rows: int) -> Path:
    if path.exists():
        return path
    book = Workbook(write_only=True)
    clients = book.create_sheet(schema.CLIENTS.name("en"))
    clients.append([c.en for c in schema.CLIENTS.columns])
    for i in range(rows // 10):
        clients.append(
            [
                f"C{i:06d}",
                f"Person {i}",
                f"Company {i % 5000} LLC",
                str(7700000000 + i),
                f"+7 900 {i:07d}",
                f"p{i}@example.ru",
                "Moscow",
                f"Street {i % 300}, {i % 90}",
                dt.date(1970 + i % 40, 1 + i % 12, 1),
                "Website",
                f"Manager {i % 7}",
                "",
                i % 5,
                None,
                "",
                dt.date(2024, 1, 1),
            ]
        )
    interactions = book.create_sheet(schema.INTERACTIONS.name("en"))
    interactions.append([c.en for c in schema.INTERACTIONS.columns])
    for i in range(rows):
        interactions.append(
            [
                dt.date(2024, 1, 1) + dt.timedelta(days=i % 900),
                f"C{i % (rows // 10):06d}",
                ("Call in", "Meeting", "Order")[i % 3],
                f"Service {i % 40}",
                1000 + (i * 37) % 9000,
                f"Manager {i % 7}",
                "ok",
                f"comment {i}",
                "",
                None,
            ]
        )
    book.save(path)
    return path


def report(rows: int) -> ReportSheet:
    columns = (
        ReportColumn("ClientID"),
        ReportColumn("Company"),
        ReportColumn("Manager"),
        ReportColumn("Last order", ColumnFormat.DATE),
        ReportColumn("Orders", ColumnFormat.INTEGER),
        ReportColumn("Revenue", ColumnFormat.MONEY),
        ReportColumn("Share", ColumnFormat.PERCENT),
        ReportColumn("Note"),
    )
    start = dt.date(2020, 1, 1)
    values = [
        [
            f"C{i:06d}",
            f"Company {i} LLC",
            f"Manager {i % 7}",
            start + dt.timedelta(days=i % 2000),
            i % 50,
            1000.0 + i * 1.25,
            (i % 100) / 100,
            "call back" if i % 3 else None,
        ]
        for i in range(rows)
    ]
    table = ReportTable("Clients", columns, values, autofilter=True)
    return ReportSheet("▸ Benchmark", "Benchmark", "computed for 23.11.2026", (table,))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the report sheet")
    parser.add_argument(
        "--workbook-rows", type=int, default=200_000, help="Interactions rows of the user workbook (about 10 MB)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir()) / "xlcrm-bench"
    folder.mkdir(exist_ok=True)
    started = time.perf_counter()
    source = user_workbook(folder / f"user-{args.workbook_rows}.xlsx", args.workbook_rows)
    print(f"user workbook: {source.stat().st_size / 1e6:.1f} MB ({time.perf_counter() - started:.1f} s to get)")
    sheet = report(args.rows)
    added, replaced = folder / "added.xlsx", folder / "replaced.xlsx"

    rss_before = peak_rss_mb()
    for label, src, dst in (("add", source, added), ("replace", added, replaced)):
        started = time.perf_counter()
        write_report_sheets(src, dst, [sheet])
        print(f"{label}: {time.perf_counter() - started:.2f} s, result {dst.stat().st_size / 1e6:.1f} MB")
    print(
        f"peak RSS grew by {peak_rss_mb() - rss_before:.0f} MB during the writes "
        f"(process peak {peak_rss_mb():.0f} MB, the report's rows included)"
    )

    tracemalloc.start()
    write_report_sheets(added, replaced, [sheet])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak Python allocations during one write: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
