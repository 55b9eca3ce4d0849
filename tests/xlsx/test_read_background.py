"""Interactions read on a worker thread and in chunks: the same data as one plain read, errors where they belong."""

from __future__ import annotations

import datetime as dt
import os
import struct
import sys
import traceback
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.builders import write_workbook
from tests.conftest import python_that_logs_its_starts, python_the_system_kills
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.errors import NotAWorkbook
from xlcrm.files.save import save_changes
from xlcrm.jobs.demo import create_demo
from xlcrm.runtime import child_process
from xlcrm.schema import Sheet
from xlcrm.xlsx import reader as workbook
from xlcrm.xlsx.limits import sheet_parts
from xlcrm.xlsx.reader import WorkbookData, read_workbook

TODAY = dt.date(2026, 11, 23)


def assert_same(first: WorkbookData, second: WorkbookData) -> None:
    assert list(first.sheets) == list(second.sheets)
    for key in first.sheets:
        a, b = first.sheets[key], second.sheets[key]
        pd.testing.assert_frame_equal(a.frame, b.frame)
        for frame_a, frame_b in ((a.frame, b.frame),):  # same types cell by cell: 1, 1.0 and TRUE stay apart
            assert [[type(v) for v in row] for row in frame_a.itertuples()] == [
                [type(v) for v in row] for row in frame_b.itertuples()
            ]
        assert (a.letters, a.extra_columns, a.width, a.owned_values, a.misplaced_header, a.raw_rows) == (
            b.letters,
            b.extra_columns,
            b.width,
            b.owned_values,
            b.misplaced_header,
            b.raw_rows,
        )


def test_background_and_chunked_reading_give_what_one_plain_read_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=120, seed=3, locale="ru", today=TODAY)
    usual = read_workbook(path)
    monkeypatch.setattr(workbook, "BACKGROUND_SHEETS", ())
    monkeypatch.setattr(workbook, "ROW_CHUNK", 7)  # many chunks, rows and blank rows split across them
    assert_same(usual, read_workbook(path))


@pytest.mark.parametrize("offset", [False, True], ids=["from A1", "Clients starting lower"])
def test_a_read_without_the_rows_as_read_gives_the_same_sheets_without_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offset: bool
) -> None:
    """The read of a saved copy, which only compares values, keeps no Clients rows as read; the rest is the same,
    in chunks of rows or not."""
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=40, seed=5, locale="en", today=TODAY)
    if offset:  # two blank rows above the header: calamine's range then starts below A1
        book = load_workbook(path)
        book[schema.CLIENTS.en].insert_rows(1, 2)
        book.save(path)
    monkeypatch.setattr(workbook, "ROW_CHUNK", 7)
    usual, without = read_workbook(path), read_workbook(path, rows_as_read=False)

    assert usual.sheets["clients"].raw_rows is not None and without.sheets["clients"].raw_rows is None
    usual.sheets["clients"].raw_rows = None
    assert_same(usual, without)


def test_chunks_keep_row_numbers_blank_rows_and_mixed_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = [c.en for c in schema.INTERACTIONS.columns]
    rows = [header]
    for number in range(2, 40):
        if number % 5 == 0:
            rows.append([None] * len(header))  # a formatted but empty row
            continue
        rows.append(
            [
                dt.date(2026, 1, number % 28 + 1),
                f"  C{number % 4:06d} ",
                "Call",
                True if number % 3 else 1,
                1.0 if number % 2 else 1,
                "Anna",
                "",
                None,
                None,
                None,
            ]
        )
    path = write_workbook(tmp_path / "book.xlsx", {schema.INTERACTIONS.en: rows})
    monkeypatch.setattr(workbook, "ROW_CHUNK", 4)
    chunked = read_workbook(path).sheets[schema.INTERACTIONS.key]
    monkeypatch.setattr(workbook, "ROW_CHUNK", 1_000)
    whole = read_workbook(path).sheets[schema.INTERACTIONS.key]
    pd.testing.assert_frame_equal(chunked.frame, whole.frame)
    assert [type(v) for v in chunked.frame["service"]] == [type(v) for v in whole.frame["service"]]
    frame = chunked.frame
    assert 5 not in frame.index and 10 not in frame.index and frame.index[0] == 2
    assert frame.loc[2, "client_id"] == "C000002"  # stripped
    assert frame.loc[2, "result"] is None  # "" is a blank
    assert frame.loc[4, "service"] is True and frame.loc[3, "service"] == 1 and frame.loc[3, "service"] is not True


def test_computed_columns_are_read_back_cell_by_cell_with_their_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A column headed with the report marker is xlcrm's own: every cell holding something is kept by row, as
    typed (0, FALSE, 1 and TRUE apart), blanks and cells of only spaces left out, in every chunk alike."""
    header = [c.en for c in schema.CLIENTS.columns] + [schema.REPORT_MARKER + "Orders", schema.REPORT_MARKER + "Note"]
    computed = [0.0, False, 1.0, True, "", "  ", None, "5 Regular", dt.date(2026, 1, 2), 2.5, "x"]
    rows = [header]
    for number, value in enumerate(computed * 3):
        base: list[object] = [f"C{number:06d}", f"Client {number}"] + [None] * (len(schema.CLIENTS.columns) - 2)
        rows.append([*base, value, computed[(number + 1) % len(computed)]])
    path = write_workbook(tmp_path / "book.xlsx", {schema.CLIENTS.en: rows})
    for chunk in (4, 1_000):
        monkeypatch.setattr(workbook, "ROW_CHUNK", chunk)
        owned = read_workbook(path).sheets[schema.CLIENTS.key].owned_values
        for text, offset in ((schema.REPORT_MARKER + "Orders", 0), (schema.REPORT_MARKER + "Note", 1)):
            expected = {
                number + 2: value
                for number in range(len(computed) * 3)
                if (value := computed[(number + offset) % len(computed)]) not in (None, "", "  ")
            }
            assert owned[text] == expected
            assert [type(value) for value in owned[text].values()] == [type(value) for value in expected.values()]


def assert_refused(path: Path, error: str, *commands: list[str]) -> None:
    """Each of ``commands`` (a command and its options: the workbook at ``path`` goes last) stops with exit code 1,
    printing ``Error: {error}`` alone, and leaves the workbook as it was."""
    before = path.read_bytes()
    for command in commands:
        result = CliRunner().invoke(cli, [*command, str(path)])
        assert result.exit_code == 1, result.output
        assert result.output.splitlines() == [f"Error: {error}"]
    assert path.read_bytes() == before


def test_a_background_sheet_that_cannot_be_read_stops_the_command(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    broken_sheet(path, "xl/worksheets/sheet4.xml", at_a_row_end=True)  # the demo's Interactions
    before = path.read_bytes()
    data = read_workbook(path)  # the other sheets are read; the error comes when Interactions are asked for
    errors = []
    for _ in range(2):  # asked again, the same error: not a missing sheet
        with pytest.raises(NotAWorkbook) as error:
            data.sheet(schema.INTERACTIONS.key)
        errors.append(str(error.value))
    assert errors[0] == errors[1] and errors[0].startswith(f"{path}: sheet 'Interactions' cannot be read: ")
    assert_refused(path, errors[0], ["validate"], ["refresh", "--today", TODAY.isoformat()], ["dedupe"])
    assert path.read_bytes() == before  # the reads above left it alone too


def test_a_damaged_file_is_named_damaged_though_sheets_are_read_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # somewhere inside a compressed part
    path.write_bytes(bytes(data))
    with pytest.raises(NotAWorkbook, match="is damaged: its zip container cannot be read"):
        read_workbook(path).sheet(schema.INTERACTIONS.key)


def with_wrong_checksum(path: Path, part: str) -> None:
    """Change the checksum the zip at ``path`` records for ``part`` and leave its bytes as they are: only a check
    of the checksum tells the part is damaged."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(part)
    data = bytearray(path.read_bytes())
    wrong = struct.pack("<I", info.CRC ^ 0xFFFF_FFFF)
    assert data[info.header_offset : info.header_offset + 4] == b"PK\x03\x04"
    data[info.header_offset + 14 : info.header_offset + 18] = wrong
    central = data.rfind(b"PK\x01\x02")  # the central directory's records, from the last
    while central >= 0:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == part.encode():
            data[central + 16 : central + 20] = wrong
            break
        central = data.rfind(b"PK\x01\x02", 0, central)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() == part


def part_of(path: Path, sheet: Sheet) -> str:
    with zipfile.ZipFile(path) as archive:
        return sheet_parts(archive)[sheet.en]


@pytest.mark.parametrize("in_process", [False, True], ids=["read on a thread", "read in a process"])
@pytest.mark.parametrize("damaged", ["Interactions", "Clients", "xl/styles.xml"])
def test_a_part_whose_checksum_is_wrong_stops_every_command_and_the_file_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damaged: str, in_process: bool
) -> None:
    """The sheets xlcrm reads are checked as they are read, the other parts beside: a wrong checksum in either
    is the same refusal, the file as it was."""
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    sheet = {"Interactions": schema.INTERACTIONS, "Clients": schema.CLIENTS}.get(damaged)
    with_wrong_checksum(path, part_of(path, sheet) if sheet is not None else damaged)
    if in_process:
        in_a_process(monkeypatch)
    damaged = f"{path} is damaged: its zip container cannot be read"
    assert_refused(path, damaged, ["validate"], ["refresh", "--today", TODAY.isoformat()], ["dedupe", "--dry-run"])
    assert [child.name for child in tmp_path.glob("*.xlsx*")] == ["demo.xlsx"]


def test_a_sheet_left_unread_is_checked_with_the_other_parts(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    with_wrong_checksum(path, part_of(path, schema.INTERACTIONS))
    with pytest.raises(NotAWorkbook, match="is damaged: its zip container cannot be read"):
        read_workbook(path, skip={schema.INTERACTIONS.key})


# --- a big file's background sheets are read in a process of their own ---------------------------------------


def in_a_process(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file counts as big from here on; returns the list of sheets read in a child process."""
    children: list[str] = []
    read_in_process = workbook.read_in_process

    def counted(child, path, spec, actual):  # type: ignore[no-untyped-def]
        children.append(actual)
        return read_in_process(child, path, spec, actual)

    monkeypatch.setattr(workbook, "BIG_WORKBOOK_BYTES", 0)
    monkeypatch.setattr(workbook, "read_in_process", counted)
    return children


def test_a_sheet_read_in_a_process_is_what_a_thread_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    columns = [column for column in schema.INTERACTIONS.columns if column.key != "comment"]  # one missing
    header = [column.en for column in columns] + ["Date", "My notes"]  # a duplicate header, a column of the user's
    rows = [
        header,
        [
            dt.date(2026, 1, 5),
            " C000001 ",
            "Call",
            "Audit",
            1500,
            "Anna",
            "",
            "Call back",
            dt.datetime(2026, 2, 1, 10, 30),
            dt.date(2026, 1, 6),
            "mine",
        ],
        [None] * len(header),
        ["05.01.2026", "C000002", "Order", None, "1 500,50", "Boris", None, None, None, None, 7],
    ]
    path = write_workbook(tmp_path / "book.xlsx", {schema.INTERACTIONS.en: rows})
    in_thread = read_workbook(path)
    children = in_a_process(monkeypatch)
    in_process = read_workbook(path)
    assert_same(in_thread, in_process)
    assert children == [schema.INTERACTIONS.en]
    sheet = in_process.sheets[schema.INTERACTIONS.key]
    # The schema objects are this process's own, as code comparing them by identity expects.
    assert sheet.spec is schema.INTERACTIONS
    assert [column is schema.INTERACTIONS.column("comment") for column in sheet.missing_columns] == [True]
    assert [(clash.first, clash.second, clash.read) for clash in sheet.header_clashes] == [("A", "K", True)]
    assert sheet.frame.loc[2, "client_id"] == "C000001" and sheet.frame.loc[4, "date"] == "05.01.2026"


def test_a_refresh_reading_in_a_process_saves_what_one_reading_in_a_thread_saves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "thread.xlsx", tmp_path / "process.xlsx"
    create_demo(first, clients=120, seed=3, locale="ru", today=TODAY)
    second.write_bytes(first.read_bytes())
    command = ["refresh", "--today", TODAY.isoformat(), "--keep-backups", "0"]
    assert CliRunner().invoke(cli, [*command[:1], str(first), *command[1:]]).exit_code in (0, 1)
    children = in_a_process(monkeypatch)
    result = CliRunner().invoke(cli, [*command[:1], str(second), *command[1:]])
    assert result.exit_code in (0, 1), result.output
    assert children == [schema.INTERACTIONS.ru]
    assert_same(read_workbook(first), read_workbook(second))


def broken_sheet(path: Path, part_suffix: str, *, at_a_row_end: bool = False) -> None:
    """Cut the XML of the sheet part ending in ``part_suffix`` short (the zip itself stays sound): in its middle,
    or ``at_a_row_end``, after the row that ends past the middle."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    target = next(name for name in parts if name.endswith(part_suffix))
    data = parts[target]
    end = data.index(b"</row>", len(data) // 2) + len(b"</row>") if at_a_row_end else len(data) // 2
    parts[target] = data[:end]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_sheet_that_cannot_be_read_in_the_process_is_reported_as_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [[column.en for column in schema.INTERACTIONS.columns]] + [
        [dt.date(2026, 1, day), f"C{day:06d}", "Call"] + [None] * 7 for day in range(1, 28)
    ]
    path = write_workbook(tmp_path / "book.xlsx", {schema.CLIENTS.en: [["ClientID"]], schema.INTERACTIONS.en: rows})
    broken_sheet(path, "sheet2.xml")
    before = path.read_bytes()
    with pytest.raises(NotAWorkbook) as in_thread:
        read_workbook(path).sheet(schema.INTERACTIONS.key)
    children = in_a_process(monkeypatch)
    with pytest.raises(NotAWorkbook) as in_process:
        read_workbook(path).sheet(schema.INTERACTIONS.key)
    assert children and str(in_process.value) == str(in_thread.value)
    assert f"sheet {schema.INTERACTIONS.en!r} cannot be read" in str(in_process.value)
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat()])
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"Error: {in_thread.value}"]
    assert path.read_bytes() == before


def test_without_a_process_to_read_in_the_sheet_is_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    in_thread = read_workbook(path)
    children = in_a_process(monkeypatch)
    # One Python that cannot start, one the system kills (as when memory runs out).
    for python in (tmp_path / "no-such-python", python_the_system_kills(tmp_path)):
        monkeypatch.setattr(child_process.sys, "executable", str(python))
        with pytest.raises(child_process.ChildProcessFailed):
            child_process.Child().call(workbook.read_alone, path, schema.INTERACTIONS, schema.INTERACTIONS.en)
        assert_same(in_thread, read_workbook(path))
    assert len(children) == 2


def stand_in_python(path: Path, script: str) -> Path:
    """A stand-in for the Python interpreter at ``path``: a shell script that runs ``script``."""
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


def python_that_says_started(folder: Path) -> Path:
    """A stand-in for the Python interpreter that prints "started" on its output, then runs the real one."""
    return stand_in_python(folder / "noisy-python", f'echo started\nexec "{sys.executable}" "$@"')


def test_an_answer_that_cannot_be_read_is_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child whose answer arrives cut short, or with other output before it, fails like a child that stopped:
    the sheet is read in the main process, the same as ever."""
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    in_thread = read_workbook(path)
    children = in_a_process(monkeypatch)
    cut = stand_in_python(tmp_path / "cut-python", f'"{sys.executable}" "$@" | head -c 200')
    for python in (cut, python_that_says_started(tmp_path)):
        monkeypatch.setattr(child_process.sys, "executable", str(python))
        with pytest.raises(child_process.ChildProcessFailed, match="cannot be read"):
            child_process.Child().call(workbook.read_alone, path, schema.INTERACTIONS, schema.INTERACTIONS.en)
        assert_same(in_thread, read_workbook(path))
    assert len(children) == 2


def test_a_failure_to_read_the_answer_does_not_keep_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller reads the sheet itself while it handles the failure: the answer it could not read (as big as the
    sheet) is not kept alive by the failure's traceback meanwhile."""
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    monkeypatch.setattr(child_process.sys, "executable", str(python_that_says_started(tmp_path)))
    with pytest.raises(child_process.ChildProcessFailed) as failed:
        child_process.Child().call(workbook.read_alone, path, schema.INTERACTIONS, schema.INTERACTIONS.en)
    held = [
        value
        for frame, _ in traceback.walk_tb(failed.value.__traceback__)
        for value in frame.f_locals.values()
        if isinstance(value, bytes) and value.startswith(b"started")  # the answer, after what the shell printed
    ]
    assert not held


def test_what_a_library_prints_in_the_child_does_not_garble_its_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    expected = workbook.read_alone(path, schema.INTERACTIONS, schema.INTERACTIONS.en)
    (tmp_path / "chatty_library.py").write_text("import os\nprint('loaded')\nos.write(1, b'also loaded')\n")
    monkeypatch.chdir(tmp_path)  # the child finds the module in its working folder
    sheet = child_process.Child("chatty_library").call(
        workbook.read_alone, path, schema.INTERACTIONS, schema.INTERACTIONS.en
    )
    pd.testing.assert_frame_equal(sheet.frame, expected.frame)


def test_a_process_started_for_a_sheet_never_read_there_is_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child is started before the file is opened; without an Interactions sheet, or when opening the file
    fails, it has ended, and been waited for, by the time the read returns."""
    log = tmp_path / "started.log"
    monkeypatch.setattr(child_process.sys, "executable", str(python_that_logs_its_starts(tmp_path, log)))
    monkeypatch.setattr(workbook, "BIG_WORKBOOK_BYTES", 0)
    clients_only = write_workbook(
        tmp_path / "clients.xlsx",
        {schema.CLIENTS.en: [[column.en for column in schema.CLIENTS.columns], ["C000001", "Anna"]]},
    )
    assert schema.INTERACTIONS.key not in read_workbook(clients_only).sheets
    not_a_workbook = tmp_path / "other.xlsx"
    with zipfile.ZipFile(not_a_workbook, "w") as archive:
        archive.writestr("xl/workbook.xml", "not a workbook")
    with pytest.raises(NotAWorkbook):
        read_workbook(not_a_workbook)
    started = [int(line.split()[0]) for line in log.read_text().splitlines()]
    assert len(started) == 2
    for process in started:  # a process left running, or ended but not waited for, would still be a child here
        with pytest.raises(ChildProcessError):
            os.waitpid(process, os.WNOHANG)


def test_a_child_that_gives_no_answer_in_time_is_killed_and_the_caller_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stuck child (a hung disk, a paging machine) never keeps a nightly run waiting for ever."""
    stuck = tmp_path / "stuck-python"
    stuck.write_text("#!/bin/sh\nexec sleep 600\n")
    stuck.chmod(0o755)
    monkeypatch.setattr(child_process.sys, "executable", str(stuck))
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=10, seed=1, locale="en", today=TODAY)
    child = child_process.Child()
    with pytest.raises(child_process.ChildProcessFailed, match="no answer within 1 s"):
        child.call(workbook.read_alone, path, schema.INTERACTIONS, schema.INTERACTIONS.en, timeout=1)
    assert child._process is not None and child._process.poll() is not None  # killed, not left behind
    monkeypatch.setattr(child_process, "CLOSE_TIMEOUT_SECONDS", 0.5)
    unused = child_process.Child()
    unused.close()
    assert unused._process is not None and unused._process.poll() is not None


def test_a_part_left_to_a_reading_that_does_not_come_is_checked_after_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check of the file leaves the sheets' parts to their reading by the names ``sheet_parts`` finds for them as
    python-calamine finds them. Should the reader name its sheets otherwise (another version of it, finding its parts
    another way), a part left to a reading that does not come is checked after all: here the check takes Notes's part
    for the Merge log's, which the reader, naming no Merge log, never reads."""
    path = write_workbook(
        tmp_path / "book.xlsx",
        {schema.CLIENTS.en: [[c.en for c in schema.CLIENTS.columns]], "Notes": [["mine"]]},
    )
    with zipfile.ZipFile(path) as archive:
        notes = sheet_parts(archive)["Notes"]
    with_wrong_checksum(path, notes)
    merge_log = schema.REPORT_MARKER + "Merge log"
    monkeypatch.setattr(workbook, "sheet_parts", lambda archive: {**sheet_parts(archive), merge_log: notes})
    with pytest.raises(NotAWorkbook, match="is damaged: its zip container cannot be read"):
        read_workbook(path)


def test_a_damaged_part_is_named_before_what_the_reader_tripped_over(tmp_path: Path) -> None:
    """Clients holds a text longer than a cell can, and Contracts, read after it, is damaged: the damage is named."""
    clients = [[c.en for c in schema.CLIENTS.columns], ["C000001", "LONG"]]
    contracts = [[c.en for c in schema.CONTRACTS.columns]]
    path = write_workbook(tmp_path / "book.xlsx", {schema.CLIENTS.en: clients, schema.CONTRACTS.en: contracts})
    with zipfile.ZipFile(path) as archive:  # openpyxl cuts a text to what a cell holds: this one is written after it
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    clients_part = part_of(path, schema.CLIENTS)
    assert parts[clients_part].count(b">LONG<") == 1
    parts[clients_part] = parts[clients_part].replace(b">LONG<", b">" + b"x" * 40_000 + b"<")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert CliRunner().invoke(cli, ["validate", str(path)]).output.startswith(f"Error: {path}: sheet 'Clients'")
    with_wrong_checksum(path, part_of(path, schema.CONTRACTS))
    assert_refused(path, f"{path} is damaged: its zip container cannot be read", ["validate"])


def test_nothing_is_saved_before_a_sheet_still_being_read_turns_out_damaged(tmp_path: Path) -> None:
    """A save waits for the sheets still being read, though the command never asked for them."""
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    with_wrong_checksum(path, part_of(path, schema.INTERACTIONS))
    before = path.read_bytes()
    data = read_workbook(path)
    with pytest.raises(NotAWorkbook, match="is damaged: its zip container cannot be read"):
        save_changes(data)
    assert path.read_bytes() == before
    assert [child.name for child in tmp_path.glob("*.xlsx*")] == ["demo.xlsx"]
