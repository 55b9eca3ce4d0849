"""The comparison with the last save done in steps (``ChangeCheck``): a refresh plans its dedupe while the copy's
Interactions is still being read, and tells what changed, and stops for deletions, exactly as a comparison done in
one go does, before it writes anything."""

from __future__ import annotations

import copy
import datetime as dt
import zipfile
from collections.abc import Callable, Collection
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.builders import write_records
from tests.changes.test_fingerprints import (
    INTERACTIONS,
    Records,
    added,
    deleted,
    edited,
    records,
    saved,
    sorted_back_to_front,
)
from xlcrm import schema
from xlcrm.checks.changes import COMPARED, COMPARED_SHEETS, NO_SAVED_COPY
from xlcrm.cli.main import cli
from xlcrm.files.saved_copy import kept_fingerprints, rows_path, saved_copy_path
from xlcrm.jobs.changes import begin_change_check
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.xlsx import reader
from xlcrm.xlsx.limits import sheet_parts
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
EDITS = [added, deleted, edited, sorted_back_to_front]
EXPECTED = {
    added: {"added": 2, "changed": 0, "deleted": 0},
    deleted: {"added": 0, "changed": 0, "deleted": 1},
    edited: {"added": 0, "changed": 1, "deleted": 0},
    sorted_back_to_front: {"added": 0, "changed": 0, "deleted": 0},
}


def saved_then_edited(tmp_path: Path, edit: Callable[[Records], Records], *, fingerprints: bool) -> Path:
    """A workbook saved by xlcrm, then changed by ``edit`` and saved by another program."""
    kept = records()
    path = saved(tmp_path, kept)
    write_records(path, "en", edit(kept))
    with zipfile.ZipFile(path, "a") as package:
        package.comment = b"saved by another program"
    if not fingerprints:
        rows_path(saved_copy_path(path)).unlink()
    return path


@pytest.mark.parametrize("big", [False, True], ids=["thread", "helper processes"])
@pytest.mark.parametrize("fingerprints", [True, False], ids=["fingerprints", "no fingerprints"])
@pytest.mark.parametrize("edit", EDITS, ids=lambda edit: edit.__name__)
def test_a_refresh_finds_the_changes_a_comparison_in_one_go_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[Records], Records], fingerprints: bool, big: bool
) -> None:
    path = saved_then_edited(tmp_path, edit, fingerprints=fingerprints)
    in_one_go = begin_change_check(read_workbook(path)).finish(accept_deletions=True)
    assert in_one_go.baseline == COMPARED
    if big:  # the workbook's and the copy's Interactions read in helper processes, the reports rendered in one
        monkeypatch.setattr(reader, "BIG_WORKBOOK_BYTES", 0)

    result = refresh_workbook(path, today=TODAY, accept_deletions=True)

    assert result.changes == in_one_go
    assert result.changes.changes.counts()[INTERACTIONS] == EXPECTED[edit]


@pytest.mark.parametrize("big", [False, True], ids=["thread", "helper processes"])
@pytest.mark.parametrize("fingerprints", [True, False], ids=["fingerprints", "no fingerprints"])
def test_an_interaction_deleted_stops_a_refresh_before_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fingerprints: bool, big: bool
) -> None:
    path = saved_then_edited(tmp_path, deleted, fingerprints=fingerprints)
    before = {file: file.read_bytes() for file in tmp_path.rglob("*") if file.is_file()}
    if big:
        monkeypatch.setattr(reader, "BIG_WORKBOOK_BYTES", 0)

    result = CliRunner().invoke(cli, ["--lang", "en", "refresh", str(path), "--today", TODAY.isoformat()])

    assert result.exit_code != 0
    assert result.output.count("Error: ") == 1 and "Traceback" not in result.output
    assert "Interactions: 1 of 30 row (row 9: " in result.output
    # Nothing written: the workbook, its copy and fingerprints as they were, no file left behind.
    assert {file: file.read_bytes() for file in tmp_path.rglob("*") if file.is_file()} == before


def test_a_copy_damaged_while_the_job_works_is_not_compared(tmp_path: Path) -> None:
    path = saved_then_edited(tmp_path, edited, fingerprints=True)
    data = read_workbook(path)
    check = begin_change_check(data)
    assert check.standing  # Interactions is told by its fingerprint, which the edit makes fail: read after all
    saved_copy_path(path).write_bytes(b"PK\x03\x04 damaged since")

    log = check.finish(accept_deletions=False)

    assert log.baseline == NO_SAVED_COPY and not log.changes


def twice_refreshed_demo(tmp_path: Path) -> Path:
    """A demo refreshed twice, so that its Interactions is in the copy as the fingerprint's read found it."""
    demo = tmp_path / "clients.xlsx"
    create_demo(demo, clients=30, seed=2, locale="en", today=TODAY)
    refresh_workbook(demo, today=TODAY)
    refresh_workbook(demo, today=TODAY)
    assert read_workbook(saved_copy_path(demo)).report_rows[schema.BLOCK_HISTORY.key]
    assert INTERACTIONS in kept_fingerprints(saved_copy_path(demo))
    return demo


@pytest.mark.parametrize("edit", ["saved elsewhere", "interaction edited"])
def test_only_the_compared_sheets_of_the_copy_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    demo = twice_refreshed_demo(tmp_path)
    if edit == "saved elsewhere":
        with zipfile.ZipFile(demo, "a") as package:
            package.comment = b"saved by another program"
    else:  # the fingerprint stands for the copy but cannot tell what changed: the copy's row 2 is read apart
        book = load_workbook(demo)
        book[schema.INTERACTIONS.name("en")]["H2"] = "called back"
        book.save(demo)
    reads: list[tuple[set[str], dict[str, object], object]] = []

    def recording(path: Path, skip: Collection[str] = (), rows_as_read: bool = True) -> reader.WorkbookData:
        found = read_workbook(path, skip=skip, rows_as_read=rows_as_read)
        reads.append((set(found.sheets), dict(found.report_rows), found.sheets["clients"].raw_rows))
        return found

    monkeypatch.setattr("xlcrm.jobs.changes.read_workbook", recording)
    log = begin_change_check(read_workbook(demo)).finish(accept_deletions=False)

    assert log.baseline == COMPARED
    # Clients, which the refresh wrote, is read; no report and no Settings: they are not compared. Nor are its rows
    # as read kept: only values are.
    first, *apart = reads
    assert "clients" in first[0] and first[0] <= {spec.key for spec in COMPARED_SHEETS} and first[1] == {}
    assert first[2] is None
    assert not apart
    if edit == "saved elsewhere":
        assert not log.changes
    else:
        (changed,) = log.changes.of_kind("changed", INTERACTIONS)
        assert changed.before_row == changed.now_row == 2 and changed.now == {"Result": "called back"}
        assert changed.before["Result"] != "called back"
    assert read_workbook(demo, skip=[schema.BLOCK_HISTORY.key]).report_rows.keys() == (
        read_workbook(demo).report_rows.keys() - {schema.BLOCK_HISTORY.key}
    )


def damaged_sheet(path: Path, sheet: str) -> None:
    """The part of ``sheet`` in the workbook at ``path`` given a cell of a type no reader knows."""
    with zipfile.ZipFile(path) as package:
        part = sheet_parts(package)[sheet]
        parts = {info.filename: package.read(info) for info in package.infolist()}
    parts[part] = parts[part].replace(b'<c r="A2"', b'<c t="zz" r="A2"', 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in parts.items():
            package.writestr(name, content)


@pytest.mark.parametrize("fingerprints", [True, False], ids=["fingerprints", "no fingerprints"])
def test_clients_deleted_still_stop_when_the_copy_of_interactions_cannot_be_read(
    tmp_path: Path, fingerprints: bool
) -> None:
    kept = records()
    path = saved(tmp_path, kept)
    changed = copy.deepcopy(kept)
    changed["clients"] = changed["clients"][:1]
    changed[INTERACTIONS][3]["comment"] = "called back"
    write_records(path, "en", changed)
    damaged_sheet(saved_copy_path(path), schema.INTERACTIONS.name("en"))
    if not fingerprints:
        rows_path(saved_copy_path(path)).unlink()
    before = {file: file.read_bytes() for file in tmp_path.rglob("*") if file.is_file()}

    result = CliRunner().invoke(cli, ["--lang", "en", "refresh", str(path), "--today", TODAY.isoformat()])

    assert result.exit_code != 0 and "Traceback" not in result.output
    assert f"Clients: 1 of {len(kept['clients'])} row" in result.output
    assert {file: file.read_bytes() for file in tmp_path.rglob("*") if file.is_file()} == before
    # Accepted, the deletions are the copy's last word: the damaged copy is not compared.
    log = begin_change_check(read_workbook(path)).finish(accept_deletions=True)
    assert log.baseline == NO_SAVED_COPY and not log.changes
