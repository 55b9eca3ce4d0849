"""The Dashboard tells the two kinds of Dead apart (designated Lost, by Reason lost; former clients silent, worth
reviving) and counts the cold prospects; boundaries at ``dead_after_days``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from tests.builders import valid_records, write_records
from tests.jobs.test_refresh import sheet_rows, table
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.lifecycle.analysis import analyse
from xlcrm.reports.sheets import dead_and_cold_table
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
DEAD_AFTER = 365  # the default dead_after_days


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def client(client_id: str, designation: str | None = None, created: dt.date = dt.date(2024, 1, 10)) -> dict:
    names = {"client_id": client_id, "name": f"Client {client_id}", "manager": "Anna"}
    return {**names, "designation": designation, "created": created}


def touch(client_id: str, day: dt.date, kind: schema.ListValue = schema.ORDER) -> dict:
    return {"date": day, "client_id": client_id, "type": kind.en, "amount": 1000 if kind is schema.ORDER else None}


def workbook(tmp_path: Path) -> Path:
    """valid_records (its VIP has three orders; its Active client called 10 days ago here) and six clients:
    Lost without a reason; ordered exactly DEAD_AFTER days ago (revive) and a day later (Working); never contacted,
    created DEAD_AFTER days ago (cold) and a day later (not yet)."""
    records = valid_records("en")
    records["clients"] += [
        client("C000003", "Lost"),
        client("C000004"),
        client("C000005"),
        client("C000006", created=ago(DEAD_AFTER)),
        client("C000007", created=ago(DEAD_AFTER - 1)),
    ]
    records["interactions"] += [
        touch("C000002", ago(10), schema.CALL_OUT),
        touch("C000004", ago(DEAD_AFTER)),
        touch("C000005", ago(DEAD_AFTER - 1)),
    ]
    return write_records(tmp_path / "clients.xlsx", "en", records)


def shown_table(path: Path) -> pd.DataFrame:
    rows = sheet_rows(path, schema.DASHBOARD.name("en"))
    return table(rows, "1 Dead and cold prospects")


def test_the_dashboard_shows_lost_revive_and_cold_apart(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    shown = shown_table(path)
    assert shown.columns.tolist() == ["Who", "Reason lost", "Clients"]
    assert shown.astype(object).where(shown.notna(), None).values.tolist() == [
        ["Designated Lost: not to revive", None, 1],
        ["Designated Lost: not to revive", "(no reason given)", 1],
        ["Former clients, no contact for 365 days or more: worth reviving", None, 1],
        ["Never ordered, no contact for 365 days or more (or none at all and in the base as long): cold", None, 1],
    ]
    # The blocks table still adds up, and its chart still points at it.
    blocks = table(sheet_rows(path, schema.DASHBOARD.name("en")), "Clients and revenue by block").set_index("Block")
    assert blocks.loc["Dead", "Clients"] == 2 and blocks.loc["Total", "Clients"] == 7


def test_a_day_later_the_boundaries_move(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    later = (TODAY + dt.timedelta(days=1)).isoformat()
    assert CliRunner().invoke(cli, ["refresh", str(path), "--today", later, "--keep-backups", "0"]).exit_code == 0
    counts = shown_table(path).groupby("Who", sort=False)["Clients"].first().tolist()
    assert counts == [1, 2, 2]  # lost; C000004 and C000005 revive; C000006 and C000007 cold


def test_counts_per_reason_lost_most_frequent_first_the_blank_ones_last(tmp_path: Path) -> None:
    """With the lifecycle's own dead_kind, cold and lost_reason columns the table counts what they say."""
    lifecycle = analyse(read_workbook(workbook(tmp_path)), TODAY).lifecycle
    clients = lifecycle.clients
    kinds = {"C000001": "lost", "C000002": "lost", "C000003": "lost", "C000004": "lost", "C000005": "revive"}
    reasons = {"C000001": "Too dear", "C000002": "Went to a rival", "C000003": "Too dear"}
    marked = clients.assign(
        dead_kind=pd.Series(kinds, dtype=object).reindex(clients.index),
        cold=clients.index.isin(["C000006", "C000007"]),
        lost_reason=pd.Series(reasons, dtype=object).reindex(clients.index),
    )
    shown = dead_and_cold_table(dataclasses.replace(lifecycle, clients=marked), "ru")
    assert shown.heading == "Блок «1 Мёртвые» и холодные потенциальные клиенты"
    assert [list(row) for row in shown.rows] == [
        ["Со статусом «Потерян»: не возвращаем", None, 4],
        ["Со статусом «Потерян»: не возвращаем", "Too dear", 2],
        ["Со статусом «Потерян»: не возвращаем", "Went to a rival", 1],
        ["Со статусом «Потерян»: не возвращаем", "(причина не указана)", 1],
        ["Бывшие клиенты без контакта от 365 дней: стоит вернуть", None, 1],
        ["Не заказывали, без контакта от 365 дней (или контактов не было, а в базе от 365 дней): холодные", None, 2],
    ]
