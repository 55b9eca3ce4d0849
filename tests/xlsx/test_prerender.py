"""The merges' edits of a big refresh written in a child process: the same workbook, whatever happens there."""

from __future__ import annotations

import datetime as dt
import types
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import python_that_logs_its_starts, python_the_system_kills
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.dedupe import merge
from xlcrm.errors import EditRefused
from xlcrm.jobs import refresh
from xlcrm.jobs.demo import create_demo
from xlcrm.runtime import child_process
from xlcrm.xlsx import prerender, user_sheet
from xlcrm.xlsx.package import write_edit_ahead, write_workbook
from xlcrm.xlsx.prerender import EditPrewriting
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.sheet_edits import SheetEdit
from xlcrm.xlsx.streams import Deflated

TODAY = dt.date(2026, 11, 23)


class FrozenDatetime(dt.datetime):
    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:
        return dt.datetime(2026, 11, 23, 9, 30)  # a plain datetime, as the child process knows no test classes


@pytest.fixture(autouse=True)
def merge_time_is_fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Merge log records when merges happened: the same moment in every run, so saves compare byte by byte."""
    monkeypatch.setattr(merge, "dt", types.SimpleNamespace(**{**vars(dt), "datetime": FrozenDatetime}))


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def refreshed(source: Path, target: Path) -> dict[str, bytes]:
    target.write_bytes(source.read_bytes())
    result = CliRunner().invoke(cli, ["refresh", str(target), "--today", TODAY.isoformat(), "--keep-backups", "0"])
    assert result.exit_code in (0, 1), result.output
    return parts(target)


def written_ahead(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From here on every workbook counts as big; returns the sheets whose edits were taken from the child."""
    used: list[str] = []
    part = EditPrewriting.part

    def recorded(self: EditPrewriting, edit: SheetEdit) -> object:
        found = part(self, edit)
        if found is not None:
            used.append(edit.sheet)
        return found

    monkeypatch.setattr(refresh, "is_big_workbook", lambda path: True)
    monkeypatch.setattr(EditPrewriting, "part", recorded)
    return used


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=150, seed=4, locale="ru", today=TODAY)
    return path


def test_merges_written_in_a_child_are_the_bytes_the_save_would_write(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usual = refreshed(demo, tmp_path / "usual.xlsx")
    used = written_ahead(monkeypatch)
    assert refreshed(demo, tmp_path / "ahead.xlsx") == usual
    # The demo's duplicates have interactions: re-pointing them is the edit written ahead. Clients is not,
    # since its computed columns join the merges' edit later.
    assert used == [schema.INTERACTIONS.name("ru")]


def test_an_edit_that_changes_more_than_its_sheet_is_left_to_the_save(demo: Path, tmp_path: Path) -> None:
    interactions = read_workbook(demo).sheets[schema.INTERACTIONS.key]
    client = interactions.letters["client_id"]
    rows = interactions.frame.index[:2].tolist()
    text = SheetEdit(interactions.name, set_cells={f"{client}{rows[0]}": "C-NEW", f"{client}{rows[1]}": "C-NEW"})
    saved = tmp_path / "saved.xlsx"
    write_workbook(demo, saved, edits=[text])
    with zipfile.ZipFile(saved) as archive:
        part = next(
            name for name in archive.namelist() if name.startswith("xl/worksheets/") and b"C-NEW" in archive.read(name)
        )
        expected = archive.getinfo(part), archive.read(part)
    file = tmp_path / "ahead.deflated"
    ahead = write_edit_ahead(demo, text, file, ["Nowhere", "C-NEW"])
    assert ahead is not None and ahead.file == file
    assert zlib.decompress(file.read_bytes(), -15) == expected[1]
    assert ahead.deflated == Deflated(expected[0].CRC, expected[0].file_size, expected[0].compress_size)
    assert ahead.part == part
    assert ahead.silent_about == {"Nowhere", "C-NEW"}  # what the sheet as read says, not what the edit writes

    comment = interactions.letters["comment"]
    dated = SheetEdit(interactions.name, set_cells={f"{comment}{rows[0]}": TODAY})  # needs a date style added
    deleting = SheetEdit(interactions.name, delete_rows=[rows[0]])
    missing = SheetEdit("No such sheet", set_cells={"A2": "x"})
    assert [write_edit_ahead(demo, edit, tmp_path / "other.deflated") for edit in (dated, deleting, missing)] == [
        None,
        None,
        None,
    ]


@pytest.mark.parametrize("mentioned", [False, True])
def test_a_sheet_written_ahead_that_never_mentions_the_moving_one_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mentioned: bool
) -> None:
    clients, interactions = schema.CLIENTS.name("en"), schema.INTERACTIONS.name("en")
    book = openpyxl.Workbook()
    book.active.title = clients
    for row in [["ClientID", "Name"], *([f"C{n}", f"Person {n}"] for n in range(2, 7))]:
        book.active.append(row)
    other = book.create_sheet(interactions)
    for row in [["Date", "ClientID"], *([TODAY, f"C{n}"] for n in range(2, 7))]:
        other.append(row)
    other["D2"] = f"=LEN({clients}!B6)" if mentioned else "=LEN(B2)"  # B6 moves up once row 3 goes
    source = tmp_path / "book.xlsx"
    book.save(source)
    edits = [SheetEdit(clients, delete_rows=[3]), SheetEdit(interactions, set_cells={"B4": "C9"})]
    scanned: list[str] = []
    check = user_sheet.UserSheetEdit._check_formulas_in
    monkeypatch.setattr(
        user_sheet.UserSheetEdit,
        "_check_formulas_in",
        lambda self, scan: (scanned.append(str(scan.what)), check(self, scan)),
    )
    with EditPrewriting(source, edits[1:], child_process.Child(prerender.__name__), [clients]) as prewritten:
        if mentioned:
            with pytest.raises(EditRefused, match="B6"):
                write_workbook(source, tmp_path / "ahead.xlsx", edits=edits, prewritten=prewritten)
            assert scanned == [f"sheet {interactions!r}"]
            return
        write_workbook(source, tmp_path / "ahead.xlsx", edits=edits, prewritten=prewritten)
    assert scanned == []
    write_workbook(source, tmp_path / "usual.xlsx", edits=edits)
    assert scanned == [f"sheet {interactions!r}"]
    assert parts(tmp_path / "ahead.xlsx") == parts(tmp_path / "usual.xlsx")


def test_a_child_that_dies_leaves_the_writing_to_the_save(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usual = refreshed(demo, tmp_path / "usual.xlsx")
    written = written_ahead(monkeypatch)
    monkeypatch.setattr(child_process.sys, "executable", str(python_the_system_kills(tmp_path)))
    assert refreshed(demo, tmp_path / "ahead.xlsx") == usual
    assert written == []


def test_a_dry_run_or_a_small_workbook_starts_no_child(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "started.log"
    monkeypatch.setattr(child_process.sys, "executable", str(python_that_logs_its_starts(tmp_path, log)))
    before = demo.read_bytes()
    assert CliRunner().invoke(cli, ["refresh", str(demo), "--today", TODAY.isoformat(), "--dry-run"]).exit_code in (
        0,
        1,
    )
    assert demo.read_bytes() == before
    assert CliRunner().invoke(cli, ["refresh", str(demo), "--today", TODAY.isoformat()]).exit_code in (0, 1)
    assert log.read_text() == ""


def test_a_prewriting_that_cannot_start_lets_its_child_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No folder for the parts (a full disk): the error goes on, and the child started for the work ends."""
    child = child_process.Child(prerender.__name__)

    def no_folder(prefix: str) -> str:
        raise OSError("no space left on device")

    monkeypatch.setattr(prerender.tempfile, "mkdtemp", no_folder)
    try:
        with pytest.raises(OSError, match="no space left"):
            EditPrewriting(tmp_path / "book.xlsx", [SheetEdit("Interactions", set_cells={"B2": "x"})], child)
        process = child._process
        assert process is not None and process.poll() is not None  # ended, not waiting for a call
    finally:
        child.close()
