"""The stop for deleted rows, at its boundaries: the Setting's share of Clients rows, any Interactions row."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from tests.builders import settings_records, valid_records, write_records
from xlcrm import schema
from xlcrm.checks.changes import COMPARED, NO_SAVED_COPY, SAME_FILE
from xlcrm.errors import DeletionsFound
from xlcrm.files.saved_copy import keep_saved_copy
from xlcrm.jobs.changes import begin_change_check
from xlcrm.xlsx.reader import read_workbook

Records = dict[str, list[dict[str, object]]]


def twenty_clients(percent: int = 5) -> Records:
    records = valid_records("en")
    first = records[schema.CLIENTS.key][0]
    records[schema.CLIENTS.key] = [
        {**first, "client_id": f"C{number:06d}", "name": f"Client {number}", "phone": f"+7 900 000-00-{number:02d}"}
        for number in range(1, 21)
    ]
    records[schema.SETTINGS.key] = settings_records("en", values={"deletion_stop_percent": percent})
    return records


def saved_then_changed(tmp_path: Path, records: Records, changed: Records) -> Path:
    """A workbook saved by xlcrm as ``records`` (its saved copy kept), then changed by hand to ``changed``."""
    tmp_path.mkdir(exist_ok=True)
    path = write_records(tmp_path / "clients.xlsx", "en", records)
    keep_saved_copy(path)
    return write_records(path, "en", changed)


def without_clients(records: Records, count: int) -> Records:
    changed = copy.deepcopy(records)
    del changed[schema.CLIENTS.key][3 : 3 + count]
    return changed


def test_exactly_the_share_goes_on_and_one_more_stops(tmp_path: Path) -> None:
    records = twenty_clients(5)
    one = saved_then_changed(tmp_path / "one", records, without_clients(records, 1))  # 1 of 20: 5 %
    log = begin_change_check(read_workbook(one)).finish(accept_deletions=False)
    assert log.baseline == COMPARED and len(log.changes.deleted("clients")) == 1
    two = saved_then_changed(tmp_path / "two", records, without_clients(records, 2))  # 10 %
    with pytest.raises(DeletionsFound) as stopped:
        begin_change_check(read_workbook(two)).finish(accept_deletions=False)
    assert "Clients: 2 of 20 rows (C000004, C000005)" in str(stopped.value)
    assert "--rows C000004,C000005" in str(stopped.value)
    assert begin_change_check(read_workbook(two)).finish(accept_deletions=True).changes.count("deleted") == 2


def test_zero_per_cent_stops_at_any_deleted_client(tmp_path: Path) -> None:
    records = twenty_clients(0)
    path = saved_then_changed(tmp_path, records, without_clients(records, 1))
    with pytest.raises(DeletionsFound, match=r"Clients: 1 of 20 row \(C000004\)"):
        begin_change_check(read_workbook(path)).finish(accept_deletions=False)


def test_one_deleted_interaction_stops(tmp_path: Path) -> None:
    records = twenty_clients()
    changed = copy.deepcopy(records)
    gone = changed[schema.INTERACTIONS.key].pop(1)
    path = saved_then_changed(tmp_path, records, changed)
    with pytest.raises(DeletionsFound) as stopped:
        begin_change_check(read_workbook(path)).finish(accept_deletions=False)
    message = str(stopped.value)
    day = gone["date"]
    assert isinstance(day, dt.date)
    total = len(records[schema.INTERACTIONS.key])
    assert f"Interactions: 1 of {total} row (row 3: {day:%d.%m.%Y} {gone['client_id']})" in message
    assert "--rows Interactions:3" in message and "--all-deleted" in message and "--accept-deletions" in message


def test_added_and_changed_rows_never_stop(tmp_path: Path) -> None:
    records = twenty_clients(0)
    changed = copy.deepcopy(records)
    changed[schema.CLIENTS.key][0]["phone"] = "+7 911 111-11-11"
    changed[schema.CLIENTS.key].append({**changed[schema.CLIENTS.key][0], "client_id": "C000099"})
    path = saved_then_changed(tmp_path, records, changed)
    counts = begin_change_check(read_workbook(path)).finish(accept_deletions=False).changes.counts()["clients"]
    assert counts == {"added": 1, "changed": 1, "deleted": 0}


def test_no_saved_copy_no_stop(tmp_path: Path) -> None:
    records = twenty_clients(0)
    path = write_records(tmp_path / "clients.xlsx", "en", without_clients(records, 10))
    log = begin_change_check(read_workbook(path)).finish(accept_deletions=False)
    assert log.baseline == NO_SAVED_COPY and not log.changes


def test_the_same_bytes_are_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_records(tmp_path / "clients.xlsx", "en", twenty_clients())
    keep_saved_copy(path)

    def no_second_read(path: object) -> None:
        raise AssertionError(f"{path} was read")

    monkeypatch.setattr("xlcrm.jobs.changes.read_workbook", no_second_read)
    log = begin_change_check(read_workbook(path)).finish(accept_deletions=False)
    assert log.baseline == SAME_FILE and not log.changes and log.saved_at is not None
