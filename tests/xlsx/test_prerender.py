"""The merges' edits of a big refresh written in a child process: the same workbook, whatever happens there."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
import types
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import python_that_logs_its_starts, python_the_system_kills
from tests.xlsx.test_sheet_edits import CLIENTS, formula_book
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.dedupe import merge
from xlcrm.errors import EditRefused
from xlcrm.jobs import refresh
from xlcrm.jobs.demo import create_demo
from xlcrm.runtime import child_process
from xlcrm.xlsx import prerender, user_sheet
from xlcrm.xlsx.limits import sheet_parts
from xlcrm.xlsx.package import write_edit_ahead, write_workbook
from xlcrm.xlsx.parts import PackageParts, RenderedPart, SheetPartWritten
from xlcrm.xlsx.prerender import EditPrewriting
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.report_sheet import ReportSheet
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


def written_ahead(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """From here on every workbook counts as big; returns the sheet parts the save took from a child, each with
    whether the child added styles that the save took too."""
    taken: list[tuple[str, bool]] = []
    take_styles = PackageParts.take_styles
    take_written = PackageParts.take_written
    adopted: list[bool] = []

    def styles_recorded(self: PackageParts, writing: SheetPartWritten) -> bool:
        adopted.append(writing.styles_after is not None)
        return take_styles(self, writing)

    def written_recorded(self: PackageParts, part: str, written: RenderedPart) -> None:
        taken.append((part, adopted[-1]))
        take_written(self, part, written)

    monkeypatch.setattr(refresh, "is_big_workbook", lambda path: True)
    monkeypatch.setattr(PackageParts, "take_styles", styles_recorded)
    monkeypatch.setattr(PackageParts, "take_written", written_recorded)
    return taken


def part_of(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return sheet_parts(archive)[sheet]


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=150, seed=4, locale="ru", today=TODAY)
    return path


def test_edits_written_in_children_are_the_bytes_the_save_would_write(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usual = refreshed(demo, tmp_path / "usual.xlsx")
    used = written_ahead(monkeypatch)
    assert refreshed(demo, tmp_path / "ahead.xlsx") == usual
    # The demo's duplicates have interactions: re-pointing them is written ahead. So is Clients' edit, which deletes
    # the merged rows (its tables shrink, in the save) and writes the computed columns, adding their styles.
    clients, interactions = part_of(demo, schema.CLIENTS.name("ru")), part_of(demo, schema.INTERACTIONS.name("ru"))
    assert used == [(clients, True), (interactions, False)]
    source = parts(demo)
    assert [name for name in usual if name.startswith("xl/tables/") and usual[name] != source[name]]  # adjusted


def test_a_sheet_part_written_ahead_is_the_part_the_save_writes(demo: Path, tmp_path: Path) -> None:
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
    assert ahead.writing.styles_as_read and ahead.writing.styles_after is None  # styles only looked up


def test_edits_that_move_rows_or_add_styles_are_written_ahead_and_the_save_adjusts_the_rest(
    demo: Path, tmp_path: Path
) -> None:
    read = read_workbook(demo)
    interactions, clients = read.sheets[schema.INTERACTIONS.key], read.sheets[schema.CLIENTS.key]
    comment = interactions.letters["comment"]
    rows = interactions.frame.index[:3].tolist()
    edits = [
        SheetEdit(clients.name, delete_rows=clients.frame.index[3:5].tolist()),  # its table shrinks
        SheetEdit(interactions.name, set_cells={f"{comment}{rows[0]}": TODAY}, delete_rows=rows[1:3]),  # a date style
    ]
    write_workbook(demo, tmp_path / "usual.xlsx", edits=edits)
    with EditPrewriting(demo) as prewritten:
        for edit in edits:
            prewritten.add([edit], child_process.Child(prerender.__name__))
        written = [prewritten.part(edit) for edit in edits]
        write_workbook(demo, tmp_path / "ahead.xlsx", edits=edits, prewritten=prewritten)
    assert all(part is not None for part in written)
    assert written[1] is not None and written[1].writing.styles_after is not None
    assert parts(tmp_path / "ahead.xlsx") == parts(tmp_path / "usual.xlsx")


@pytest.mark.parametrize("report_styles", [False, True])
def test_a_part_written_with_other_styles_is_written_again_by_the_save(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report_styles: bool
) -> None:
    """Written ahead without the report styles the save adds first, a style the edit added would have another
    index in the save: the save writes that part itself. Written with them, it is taken."""
    interactions = read_workbook(demo).sheets[schema.INTERACTIONS.key]
    cell = f"{interactions.letters['comment']}{interactions.frame.index[0]}"
    dated = SheetEdit(interactions.name, set_cells={cell: TODAY})  # the date adds a style
    report = ReportSheet(name=f"{schema.REPORT_MARKER}Report", title="Report")
    write_workbook(demo, tmp_path / "usual.xlsx", reports=[report], edits=[dated])
    used: list[str] = []
    take_written = PackageParts.take_written

    def recorded(self: PackageParts, part: str, written: RenderedPart) -> None:
        used.append(part)
        take_written(self, part, written)

    monkeypatch.setattr(PackageParts, "take_written", recorded)
    with EditPrewriting(demo) as prewritten:
        prewritten.add([dated], child_process.Child(prerender.__name__), report_styles=report_styles)
        write_workbook(demo, tmp_path / "ahead.xlsx", reports=[report], edits=[dated], prewritten=prewritten)
    assert used == ([part_of(demo, interactions.name)] if report_styles else [])
    assert parts(tmp_path / "ahead.xlsx") == parts(tmp_path / "usual.xlsx")


def test_edits_the_save_must_write_itself_are_not_written_ahead(demo: Path, tmp_path: Path) -> None:
    interactions = read_workbook(demo).sheets[schema.INTERACTIONS.key]
    row = interactions.frame.index[0]
    client = f"{interactions.letters['client_id']}{row}"
    for edit in (
        SheetEdit(interactions.name, insert_rows=[row]),
        SheetEdit(interactions.name, append_rows=[{"A": "x"}]),
        SheetEdit(interactions.name, set_links={client: "https://example.com"}),
        SheetEdit(interactions.name, drop_formula_results=True),
        SheetEdit("No such sheet", set_cells={"A2": "x"}),
    ):
        assert write_edit_ahead(demo, edit, tmp_path / "other.deflated") is None


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
    with EditPrewriting(source) as prewritten:
        prewritten.add(edits[1:], child_process.Child(prerender.__name__), [clients])
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


def test_edits_with_no_room_to_be_written_ahead_are_left_to_the_save_and_the_child_ends(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No folder for the parts (a full disk): the save writes the edit itself, and the child started for it ends."""
    interactions = read_workbook(demo).sheets[schema.INTERACTIONS.key]
    edit = SheetEdit(interactions.name, set_cells={f"{interactions.letters['comment']}2": "x"})
    write_workbook(demo, tmp_path / "usual.xlsx", edits=[edit])
    child = child_process.Child(prerender.__name__)

    def no_folder(self: Path) -> None:
        raise OSError("no space left on device")

    try:
        with EditPrewriting(demo) as prewritten:
            with monkeypatch.context() as patch:
                patch.setattr(prerender.Path, "mkdir", no_folder)
                prewritten.add([edit], child)
            process = child._process
            assert process is not None and process.poll() is not None  # ended, not waiting for a call
            assert prewritten.part(edit) is None
            write_workbook(demo, tmp_path / "ahead.xlsx", edits=[edit], prewritten=prewritten)
    finally:
        child.close()
    assert parts(tmp_path / "ahead.xlsx") == parts(tmp_path / "usual.xlsx")


def test_a_refresh_that_stops_stops_the_children_writing_for_it(tmp_path: Path) -> None:
    """An error (or Ctrl+C) while a child writes: the child is stopped, not waited for."""
    child = child_process.Child("time")
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="stopped"), EditPrewriting(tmp_path / "book.xlsx") as prewritten:
        prewritten.add([SheetEdit("Interactions", set_cells={"B2": "x"})], child)
        process = child._process
        assert process is not None
        process.send_signal(signal.SIGSTOP)  # a child at work, which would take its time: 5 s here
        resume = threading.Timer(5, process.send_signal, [signal.SIGCONT])
        resume.start()
        raise RuntimeError("stopped")
    resume.cancel()
    assert process.poll() is not None
    assert time.monotonic() - started < 5


def test_a_filter_grown_by_a_sheet_written_ahead_has_its_name_follow(tmp_path: Path) -> None:
    """Computed columns written right of the sheet's own filter take it in; the filter's defined name, in
    workbook.xml, which the save writes, follows the part the child wrote."""
    clients = schema.CLIENTS.name("en")
    book = openpyxl.Workbook()
    book.active.title = clients
    for row in [["ClientID", "Name"], *([f"C{n}", f"Person {n}"] for n in range(2, 7))]:
        book.active.append(row)
    book.active.auto_filter.ref = "A1:B6"
    source = tmp_path / "book.xlsx"
    book.save(source)
    edit = SheetEdit(clients, set_cells={"C1": "Block", "C2": 3, "C4": 5}, computed_header=["C"], delete_rows=[3])
    write_workbook(source, tmp_path / "usual.xlsx", edits=[edit])
    with EditPrewriting(source) as prewritten:
        prewritten.add([edit], child_process.Child(prerender.__name__))
        written = prewritten.part(edit)
        write_workbook(source, tmp_path / "ahead.xlsx", edits=[edit], prewritten=prewritten)
    assert written is not None and written.writing.filter_ref == "A1:C5"
    saved = parts(tmp_path / "ahead.xlsx")
    assert saved == parts(tmp_path / "usual.xlsx")
    assert b"Clients!$A$1:$C$5</definedName>" in saved["xl/workbook.xml"]


def test_formulas_moved_by_a_sheet_written_ahead_take_the_calculation_chain_away(tmp_path: Path) -> None:
    source = formula_book(tmp_path / "book.xlsx", calc_chain=True)
    edit = SheetEdit(CLIENTS, delete_rows=[3])  # the formulas below move up
    write_workbook(source, tmp_path / "usual.xlsx", edits=[edit])
    with EditPrewriting(source) as prewritten:
        prewritten.add([edit], child_process.Child(prerender.__name__))
        written = prewritten.part(edit)
        write_workbook(source, tmp_path / "ahead.xlsx", edits=[edit], prewritten=prewritten)
    assert written is not None and written.writing.formulas_move
    saved = parts(tmp_path / "ahead.xlsx")
    assert saved == parts(tmp_path / "usual.xlsx")
    assert "xl/calcChain.xml" not in saved
