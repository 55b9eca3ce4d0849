"""How long lifecycle, agenda and report building take on a big log (the pure part of a refresh).

    .venv/bin/python benchmarks/lifecycle.py [--interactions 1000000] [--clients 50000]

Builds parsed frames in memory (no workbook: reading is measured elsewhere)
with realistic shapes: a few types, orders with amounts and services, some
Next dates, birthdays, designations. Prints the wall time of each stage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.checks.settings import Settings
from xlcrm.lifecycle.blocks import compute_lifecycle
from xlcrm.lifecycle.frames import Frames
from xlcrm.lifecycle.history import BlockHistory
from xlcrm.reports.agenda import build_agenda
from xlcrm.reports.sheets import build_reports

TODAY = dt.date(2026, 11, 23)


def frames(interactions: int, clients: int, seed: int = 1) -> Frames:
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:06d}" for i in range(clients)], dtype=object)
    managers = np.array([f"Manager {i}" for i in range(7)], dtype=object)
    designations = np.array([None, None, None, None, None, None, None, "vip", "key", "lost"], dtype=object)
    day_zero = np.datetime64("2022-01-01")
    client_frame = pd.DataFrame(
        {
            "client_id": ids,
            "name": [f"Person {i}" for i in range(clients)],
            "company": [f"Company {i}" for i in range(clients)],
            "phone": "+79001234567",
            "manager": managers[rng.integers(0, 7, clients)],
            "designation": designations[rng.integers(0, 10, clients)],
            "birthday": pd.to_datetime(day_zero - rng.integers(7000, 25000, clients).astype("timedelta64[D]")),
            "created": pd.to_datetime(day_zero + rng.integers(0, 1000, clients).astype("timedelta64[D]")),
        },
        index=pd.RangeIndex(2, clients + 2, name="row"),
    )
    types = np.array(["call_in", "call_out", "meeting", "letter", "message", "agreement", "order"], dtype=object)
    services = np.array([f"Service {i}" for i in range(40)], dtype=object)
    kinds = types[rng.choice(7, interactions, p=[0.15, 0.25, 0.1, 0.1, 0.15, 0.05, 0.2])]
    is_order = kinds == "order"
    dates = day_zero + rng.integers(0, (np.datetime64(TODAY) - day_zero).astype(int), interactions).astype(
        "timedelta64[D]"
    )
    planned = rng.random(interactions) < 0.2
    log = pd.DataFrame(
        {
            "date": pd.to_datetime(dates),
            "client_id": ids[rng.integers(0, clients, interactions)],
            "type": kinds,
            "type_name": kinds,
            "service": np.where(is_order, services[rng.integers(0, 40, interactions)], None),
            "amount": np.where(is_order, rng.integers(1, 100, interactions) * 1000.0, np.nan),
            "manager": managers[rng.integers(0, 7, interactions)],
            "next_action": np.where(planned, "Call back", None),
            "next_date": pd.to_datetime(
                np.where(
                    planned, dates + rng.integers(1, 60, interactions).astype("timedelta64[D]"), np.datetime64("NaT")
                )
            ),
        },
        index=pd.RangeIndex(2, interactions + 2, name="row"),
    )
    contacts = pd.DataFrame(
        {
            "client_id": ids[: clients // 2],
            "name": "Contact",
            "phone": None,
            "birthday": client_frame["birthday"].to_numpy()[: clients // 2],
        }
    )
    return Frames("en", client_frame, contacts, log, tuple(f"Service {i}" for i in range(45)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50_000)
    args = parser.parse_args()
    data = frames(args.interactions, args.clients)
    settings = Settings(managers=tuple(f"Manager {i}" for i in range(7)))
    started = time.perf_counter()
    lifecycle = compute_lifecycle(data, settings, TODAY)
    after_lifecycle = time.perf_counter()
    agenda = build_agenda(data, lifecycle)
    after_agenda = time.perf_counter()
    reports = build_reports(data, lifecycle, agenda, [], BlockHistory())
    finished = time.perf_counter()
    print(f"{args.interactions:,} interactions, {args.clients:,} clients")
    print(f"lifecycle {after_lifecycle - started:6.2f} s")
    print(f"agenda    {after_agenda - after_lifecycle:6.2f} s ({len(agenda.items):,} items)")
    rows = sum(len(t.rows) for s in reports.sheets for t in s.tables)
    print(f"reports   {finished - after_agenda:6.2f} s ({rows:,} rows)")
    print(f"total     {finished - started:6.2f} s")
    counts = lifecycle.clients["block"].value_counts().sort_index()
    print("blocks:", {schema.block(number).en: int(count) for number, count in counts.items()})


if __name__ == "__main__":
    main()
