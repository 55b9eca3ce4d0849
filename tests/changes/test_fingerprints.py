"""Row fingerprints kept with the saved copy: a sheet to which people only added rows is compared without reading the
copy's sheet, and every answer is the one reading the copy gives."""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
import zipfile
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.builders import sheets_from_records, valid_records, write_records, write_workbook
from tests.conftest import convert_with_libreoffice
from xlcrm import schema
from xlcrm.checks.changes import COMPARED, COMPARED_SHEETS, NO_SAVED_COPY, Changes
from xlcrm.cli.main import cli
from xlcrm.errors import BeyondLimits, DeletionsFound
from xlcrm.files.saved_copy import (
    keep_saved_copy,
    kept_fingerprints,
    remove_saved_copy,
    rows_path,
    saved_copy_path,
)
from xlcrm.jobs.changes import begin_change_check, fingerprints_to_keep
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.messages import t
from xlcrm.xlsx.limits import sheet_parts
from xlcrm.xlsx.reader import SheetData, WorkbookData, read_rows_apart, read_workbook
from xlcrm.xlsx.sources import cell_formats_counted, sheet_sources

Records = dict[str, list[dict[str, object]]]
TODAY = dt.date(2026, 11, 23)
INTERACTIONS = schema.INTERACTIONS.key


def records() -> Records:
    found = valid_records("en")
    row = found[INTERACTIONS][0]
    found[INTERACTIONS] = [
        {**row, "date": dt.date(2026, 1, 1) + dt.timedelta(days=day), "comment": f"call {day}"} for day in range(30)
    ]
    return found


def saved(tmp_path: Path, kept: Records) -> Path:
    """A workbook of ``kept`` as xlcrm saves one: its copy kept, with the fingerprints of the sheets as read."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_records(tmp_path / "clients.xlsx", "en", kept)
    data = read_workbook(path)
    keep_saved_copy(path, fingerprints_to_keep(data, begin_change_check(data).finish(accept_deletions=True)))
    return path


def compared(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Changes, set[str]]:
    """The changes found in ``path`` and the compared sheets (schema keys) not read whole from the saved copy for
    them."""
    changes, skipped, _ = compared_apart(path, monkeypatch)
    return changes, skipped


def compared_apart(
    path: Path, monkeypatch: pytest.MonkeyPatch, rows_reader: Callable[..., SheetData | None] = read_rows_apart
) -> tuple[Changes, set[str], dict[str, list[int]]]:
    """``compared``, and the rows of the saved copy read apart for it (by ``rows_reader``): sheet key -> row
    numbers."""
    read: set[str] = set()
    apart: dict[str, list[int]] = {}

    def recording(copy: Path, skip: Collection[str] = (), rows_as_read: bool = True) -> WorkbookData:
        read.update(spec.key for spec in schema.USER_SHEETS if spec.key not in skip)
        return read_workbook(copy, skip=skip, rows_as_read=rows_as_read)

    def recording_rows(copy: Path, spec: schema.Sheet, actual: str, numbers: Sequence[int]) -> SheetData | None:
        apart[spec.key] = list(numbers)
        return rows_reader(copy, spec, actual, numbers)

    with monkeypatch.context() as patch:
        patch.setattr("xlcrm.jobs.changes.read_workbook", recording)
        patch.setattr("xlcrm.jobs.changes.read_rows_apart", recording_rows)
        log = begin_change_check(read_workbook(path)).finish(accept_deletions=True)
    assert log.baseline == COMPARED
    return log.changes, {spec.key for spec in COMPARED_SHEETS} - read, apart


def added(kept: Records) -> Records:
    changed = copy.deepcopy(kept)
    row = changed[INTERACTIONS][0]
    changed[INTERACTIONS].insert(5, {**row, "comment": "a call typed in between"})
    changed[INTERACTIONS].append({**row, "date": dt.date(2026, 3, 1), "comment": "the latest call"})
    return changed


def deleted(kept: Records) -> Records:
    changed = copy.deepcopy(kept)
    del changed[INTERACTIONS][7]
    return changed


def edited(kept: Records) -> Records:
    changed = copy.deepcopy(kept)
    changed[INTERACTIONS][3]["comment"] = "called back"
    return changed


def sorted_back_to_front(kept: Records) -> Records:
    changed = copy.deepcopy(kept)
    changed[INTERACTIONS].reverse()
    return changed


def unchanged(kept: Records) -> Records:
    return copy.deepcopy(kept)


def saved_again(
    tmp_path: Path, edit: Callable[[Records], Records] | None, otherwise: Callable[[Path, Records], None]
) -> Path:
    """A workbook xlcrm saved, then written anew by another program: its records changed by ``edit``, or, without
    one, as ``otherwise`` writes them."""
    kept = records()
    path = saved(tmp_path, kept)
    if edit is None:
        otherwise(path, kept)
    else:
        write_records(path, "en", edit(kept))
    return path


def write_with_a_column(path: Path, kept: Records) -> None:
    """``kept`` written to ``path`` with a column of the user's own added to Interactions."""
    sheets = sheets_from_records("en", kept)
    header, *rows = sheets[schema.INTERACTIONS.name("en")]
    sheets[schema.INTERACTIONS.name("en")] = [[*header, "Branch"], *([*row, "North"] for row in rows)]
    write_workbook(path, sheets)


@pytest.mark.parametrize(
    ("edit", "told_by_fingerprint", "rows_read"),
    [
        (added, True, None),
        (unchanged, True, None),
        (sorted_back_to_front, True, None),
        (deleted, True, [9]),  # the eighth call: row 9 under the header
        (edited, True, [5]),
        (None, False, None),  # a column of the user's own added
    ],
)
def test_the_changes_are_those_reading_the_copy_finds(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: Callable[[Records], Records] | None,
    told_by_fingerprint: bool,
    rows_read: list[int] | None,
) -> None:
    # Saved again by another program: every part written anew (and the zip's comment set, so that even the same
    # rows make another file).
    path = saved_again(tmp_path, edit, write_with_a_column)
    with zipfile.ZipFile(path, "a") as package:
        package.comment = b"saved by another program"
    changes, skipped, apart = compared_apart(path, monkeypatch)
    assert (INTERACTIONS in skipped) is told_by_fingerprint
    assert apart.get(INTERACTIONS) == rows_read

    rows_path(saved_copy_path(path)).unlink()
    read_again, skipped = compared(path, monkeypatch)
    assert not skipped
    assert changes == read_again


def write_without_comments(path: Path, kept: Records) -> None:
    """``kept`` written to ``path`` without the Comment column of Interactions: a compared column gone."""
    sheets = sheets_from_records("en", kept)
    name = schema.INTERACTIONS.name("en")
    at = sheets[name][0].index(schema.INTERACTIONS.column("comment").name("en"))
    sheets[name] = [[cell for place, cell in enumerate(row) if place != at] for row in sheets[name]]
    write_workbook(path, sheets)


@pytest.mark.parametrize("edit", [added, edited, deleted, None], ids=["added", "edited", "deleted", "column gone"])
def test_the_fingerprints_made_after_a_comparison_are_those_made_afresh(
    tmp_path: Path, edit: Callable[[Records], Records] | None
) -> None:
    """A fingerprint takes over the row hashes its sheet's comparison worked out, and only when they are over its
    own columns: what the next run believes is what hashing the sheet again gives."""
    path = saved_again(tmp_path, edit, write_without_comments)
    data = read_workbook(path)
    check = begin_change_check(data)
    log = check.finish(accept_deletions=True)
    assert log.baseline == COMPARED
    taken_over = check.fingerprints()
    afresh = fingerprints_to_keep(read_workbook(path), log)
    assert (
        sorted(taken_over) == sorted(afresh) == sorted(spec.key for spec in COMPARED_SHEETS if spec.key in data.sheets)
    )
    for key, made in afresh.items():
        assert taken_over[key].headers == made.headers
        assert np.array_equal(taken_over[key].row_hashes, made.row_hashes), key


def test_rows_added_are_listed_with_their_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = records()
    path = saved(tmp_path, kept)
    write_records(path, "en", added(kept))
    changes, skipped = compared(path, monkeypatch)
    assert INTERACTIONS in skipped
    rows = changes.of_kind("added", INTERACTIONS)
    assert [row.now_row for row in rows] == [7, 33]
    assert [row.now["Comment"] for row in rows] == ["a call typed in between", "the latest call"]
    assert changes.saved_rows[INTERACTIONS] == 30 and not changes.deleted()


def test_a_deleted_interaction_still_stops_the_refresh(tmp_path: Path) -> None:
    demo = tmp_path / "clients.xlsx"
    create_demo(demo, clients=40, seed=3, locale="en", today=TODAY)
    refresh_workbook(demo, today=TODAY)
    refresh_workbook(demo, today=TODAY)  # its Interactions sheet now as the next save keeps it
    assert INTERACTIONS in kept_fingerprints(saved_copy_path(demo))
    data = read_workbook(demo)
    gone = data.sheets[INTERACTIONS].frame.index[4]
    _delete_row(demo, schema.INTERACTIONS.name("en"), int(gone))
    before = demo.read_bytes()

    result = CliRunner().invoke(cli, ["--lang", "en", "refresh", str(demo), "--today", TODAY.isoformat()])

    assert result.exit_code != 0
    assert result.output.count("Error: ") == 1 and "Traceback" not in result.output
    assert f"Interactions: 1 of {len(data.sheets[INTERACTIONS].frame)} row (row {gone}:" in result.output
    assert demo.read_bytes() == before


def _delete_row(path: Path, sheet: str, row: int) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    book[sheet].delete_rows(row)
    book.save(path)


def test_fingerprints_of_another_copy_are_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = records()
    path = saved(tmp_path, kept)
    # The copy replaced behind xlcrm's back by a version with a row fewer: its sheet no longer digests as the
    # fingerprint's did, so the fingerprint, which still counts that row, is not believed.
    (tmp_path / "other").mkdir()
    other = write_records(tmp_path / "other" / "clients.xlsx", "en", deleted(kept))
    shutil.copyfile(other, saved_copy_path(path))
    write_records(path, "en", added(kept))
    changes, skipped = compared(path, monkeypatch)
    assert INTERACTIONS not in skipped  # the other sheets are the same in both copies: their fingerprints stand
    assert changes.saved_rows[INTERACTIONS] == 29


@pytest.mark.parametrize(
    "damage",
    [
        "not a zip",
        "truncated",
        "object array",
        "wrong dtype",
        "row numbers as floats",
        "a row number short",
        "other version",
        "missing field",
        "huge",
    ],
)
def test_damaged_fingerprints_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    kept = records()
    path = saved(tmp_path, kept)
    rows = rows_path(saved_copy_path(path))
    stored = dict(np.load(rows, allow_pickle=False))
    if damage == "not a zip":
        rows.write_bytes(b"not fingerprints at all")
    elif damage == "truncated":
        rows.write_bytes(rows.read_bytes()[:200])
    elif damage == "huge":  # a header announcing 2**40 rows of the 8 bytes there are
        del stored[f"{INTERACTIONS}/row_hashes"]
        with rows.open("wb") as out:
            np.savez(out, **stored)
        with zipfile.ZipFile(rows, "a") as package:
            with package.open(f"{INTERACTIONS}/row_hashes.npy", "w") as member:
                header = {"descr": "<u8", "fortran_order": False, "shape": (2**40,)}
                np.lib.format.write_array_header_1_0(member, header)
                member.write(bytes(8))
    else:
        if damage == "object array":
            stored[f"{INTERACTIONS}/row_hashes"] = np.array([object()] * 30, dtype=object)
        elif damage == "wrong dtype":
            stored[f"{INTERACTIONS}/row_hashes"] = stored[f"{INTERACTIONS}/row_hashes"].astype(np.int32)
        elif damage == "row numbers as floats":
            stored[f"{INTERACTIONS}/row_numbers"] = stored[f"{INTERACTIONS}/row_numbers"].astype(float)
        elif damage == "a row number short":
            stored[f"{INTERACTIONS}/row_numbers"] = stored[f"{INTERACTIONS}/row_numbers"][:-1]
        elif damage == "other version":
            stored["made_by"] = np.array("xlcrm 0.0.1")
        else:
            del stored[f"{INTERACTIONS}/headers"]
        with rows.open("wb") as out:
            np.savez(out, allow_pickle=True, **stored)
    assert kept_fingerprints(saved_copy_path(path)) == {}

    write_records(path, "en", deleted(kept))
    with pytest.raises(DeletionsFound, match="Interactions: 1 of 30 row"):
        begin_change_check(read_workbook(path)).finish(accept_deletions=False)
    changes, skipped = compared(path, monkeypatch)
    assert not skipped and len(changes.deleted(INTERACTIONS)) == 1


def test_a_save_replaces_the_fingerprints_and_removing_the_copy_removes_them(tmp_path: Path) -> None:
    path = saved(tmp_path, records())
    rows = rows_path(saved_copy_path(path))
    assert set(kept_fingerprints(saved_copy_path(path))) == {"clients", "contacts", "services", INTERACTIONS}
    keep_saved_copy(path)  # a save without fingerprints (init, forget): none of an earlier save are left
    assert not rows.exists() and saved_copy_path(path).exists()
    keep_saved_copy(
        path,
        fingerprints_to_keep(
            read_workbook(path), begin_change_check(read_workbook(path)).finish(accept_deletions=True)
        ),
    )
    assert rows.exists()
    remove_saved_copy(path)
    assert not rows.exists() and not saved_copy_path(path).exists()


def test_forget_removes_the_fingerprints(tmp_path: Path) -> None:
    demo = tmp_path / "clients.xlsx"
    create_demo(demo, clients=30, seed=2, locale="en", today=TODAY)
    refresh_workbook(demo, today=TODAY)
    rows = rows_path(saved_copy_path(demo))
    assert rows.exists()
    client = str(read_workbook(demo).sheets["clients"].frame["client_id"].iloc[2])

    result = CliRunner().invoke(cli, ["--lang", "en", "forget", str(demo), client, "--reason", "asked"])

    assert result.exit_code == 0, result.output
    assert not rows.exists()


def _sources(path: Path) -> dict[str, str]:
    return sheet_sources(path, ["Clients", "Interactions"])


def _rewritten(source: Path, target: Path, change: dict[str, bytes] | None = None, comment: bytes = b"") -> Path:
    """``source`` with some parts' content replaced, every other part stored as it was."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info, (change or {}).get(info.filename, data))
        new.comment = comment
    return target


def _xlsxwriter_book(path: Path) -> Path:
    """A workbook as XlsxWriter writes one: shared strings, styles, Clients then Interactions."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    clients = book.add_worksheet("Clients")
    clients.write_row(0, 0, ["ClientID", "Name"])
    clients.write_row(1, 0, ["C000001", "Anna"])
    calls = book.add_worksheet("Interactions")
    calls.write_row(0, 0, ["Date", "ClientID", "Comment"])
    dated = book.add_format({"num_format": "dd.mm.yyyy"})
    for row in range(1, 4):
        calls.write_datetime(row, 0, dt.datetime(2026, 1, row), dated)
        calls.write_row(row, 1, ["C000001", f"call {row}"])
    book.close()
    return path


def test_a_sheet_digests_alike_while_what_its_read_depends_on_is_the_same(tmp_path: Path) -> None:
    path = _xlsxwriter_book(tmp_path / "book.xlsx")
    first = _sources(path)
    assert set(first) == {"Clients", "Interactions"}
    assert _sources(_rewritten(path, tmp_path / "same.xlsx", comment=b"saved by another program")) == first

    with zipfile.ZipFile(path) as package:
        book = package.read("xl/workbook.xml")
        strings = package.read("xl/sharedStrings.xml")
        sheet = package.read("xl/worksheets/sheet2.xml")
    named = book.replace(
        b"</workbook>", b'<definedNames><definedName name="x">1</definedName></definedNames></workbook>'
    )
    if b"<definedNames>" in book:
        named = book.replace(b"<definedNames>", b'<definedNames><definedName name="x">1</definedName>')
    assert _sources(_rewritten(path, tmp_path / "named.xlsx", {"xl/workbook.xml": named})) == first

    in_1904 = book.replace(b"<workbookPr", b'<workbookPr date1904="1"')
    assert b'date1904="1"' in in_1904
    changed = _sources(_rewritten(path, tmp_path / "1904.xlsx", {"xl/workbook.xml": in_1904}))
    assert changed.keys() == first.keys() and all(changed[name] != first[name] for name in first)

    other_strings = strings.replace(b"call 1<", b"call one<")
    assert other_strings != strings
    changed = _sources(_rewritten(path, tmp_path / "strings.xlsx", {"xl/sharedStrings.xml": other_strings}))
    assert all(changed[name] != first[name] for name in first)

    changed = _sources(_rewritten(path, tmp_path / "sheet.xlsx", {"xl/worksheets/sheet2.xml": sheet + b" "}))
    assert changed["Interactions"] != first["Interactions"] and changed["Clients"] == first["Clients"]


def test_cell_formats_count_by_their_number_format_and_only_those_counted(tmp_path: Path) -> None:
    path = _xlsxwriter_book(tmp_path / "book.xlsx")
    first = _sources(path)
    with zipfile.ZipFile(path) as package:
        styles = package.read("xl/styles.xml").decode()
    counted = cell_formats_counted(first["Interactions"])
    assert counted is not None and counted >= 2

    # A save that adds cell formats after those counted (as xlcrm adds its report styles) and reorders fonts.
    head, _, tail = styles.partition("</cellXfs>")
    added = head.replace(f'<cellXfs count="{counted}"', f'<cellXfs count="{counted + 1}"')
    added += '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>' + tail
    book = _rewritten(path, tmp_path / "added.xlsx", {"xl/styles.xml": added.encode()})
    assert sheet_sources(book, ["Clients", "Interactions"], counted) == first
    assert _sources(book) != first  # all of them counted, the new one too

    # The date format of the dates' cell format changed: they would read as numbers.
    dated = styles.replace(
        '<numFmt numFmtId="164" formatCode="dd.mm.yyyy"/>', '<numFmt numFmtId="164" formatCode="0.00"/>'
    )
    assert dated != styles
    book = _rewritten(path, tmp_path / "dated.xlsx", {"xl/styles.xml": dated.encode()})
    assert all(digest != first[name] for name, digest in sheet_sources(book, list(first), counted).items())


def test_after_libreoffice_saved_the_workbook_its_unchanged_sheets_are_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = tmp_path / "clients.xlsx"
    create_demo(demo, clients=40, seed=3, locale="ru", today=TODAY)
    refresh_workbook(demo, today=TODAY)
    saved_by_libreoffice = convert_with_libreoffice(demo, "xlsx", tmp_path / "lo")
    shutil.copyfile(saved_by_libreoffice, demo)
    refresh_workbook(demo, today=TODAY)  # the save of a workbook LibreOffice wrote, with xlcrm's styles added
    saved_by_libreoffice = convert_with_libreoffice(demo, "xlsx", tmp_path / "lo-again")
    shutil.copyfile(saved_by_libreoffice, demo)

    changes, not_read = compared(demo, monkeypatch)
    assert INTERACTIONS in not_read
    assert not changes

    rows_path(saved_copy_path(demo)).unlink()
    assert compared(demo, monkeypatch) == (changes, set())


def test_what_calamine_reads_counts_as_it_reads_it(tmp_path: Path) -> None:
    path = _xlsxwriter_book(tmp_path / "book.xlsx")
    first = _sources(path)
    with zipfile.ZipFile(path) as package:
        book = package.read("xl/workbook.xml")
        rels = package.read("xl/_rels/workbook.xml.rels")
        strings = package.read("xl/sharedStrings.xml")
        styles = package.read("xl/styles.xml")
    edited = strings.replace(b"call 1<", b"call one<")

    # Relationships naming the shared strings in other case; calamine opens xl/sharedStrings.xml all the same.
    other_case = rels.replace(b"sharedStrings.xml", b"SharedStrings.xml")
    renamed = _rewritten(path, tmp_path / "case.xlsx", {"xl/_rels/workbook.xml.rels": other_case})
    changed = _rewritten(renamed, tmp_path / "case-edited.xlsx", {"xl/sharedStrings.xml": edited})
    assert _sources(changed)["Interactions"] != _sources(renamed)["Interactions"]

    # The 1904 date system set in single quotes.
    in_1904 = book.replace(b"<workbookPr", b"<workbookPr date1904='1'")
    assert _sources(_rewritten(path, tmp_path / "1904.xlsx", {"xl/workbook.xml": in_1904})) != first

    # A number format of a conditional format's style (dxfs), which calamine does not apply to cells.
    with_dxf = styles.replace(
        b'<dxfs count="0"/>', b'<dxfs count="1"><dxf><numFmt numFmtId="164" formatCode="0.00"/></dxf></dxfs>'
    )
    assert with_dxf != styles
    assert _sources(_rewritten(path, tmp_path / "dxf.xlsx", {"xl/styles.xml": with_dxf})) == first

    # Two sheets of one name: which one a reader takes is not clear, so no digest.
    twice = book.replace(b"</sheets>", b'<sheet name="interactions" sheetId="9" r:id="rId1"/></sheets>')
    assert _sources(_rewritten(path, tmp_path / "twice.xlsx", {"xl/workbook.xml": twice})) == {}

    assert cell_formats_counted("\u00b2:" + "0" * 64) is None
    assert cell_formats_counted("3:" + "0" * 64) == 3


def test_a_damaged_copy_is_not_compared_and_the_job_goes_on(tmp_path: Path) -> None:
    kept = records()
    path = saved(tmp_path, kept)
    copy = saved_copy_path(path)
    with zipfile.ZipFile(copy) as package:
        info = package.getinfo("xl/workbook.xml")
    data = bytearray(copy.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start : start + 8] = bytes(8)  # the compressed workbook part damaged
    copy.write_bytes(bytes(data))
    write_records(path, "en", deleted(kept))

    log = begin_change_check(read_workbook(path)).finish(accept_deletions=False)

    assert log.baseline == NO_SAVED_COPY and not log.changes


def test_an_xlsx_and_an_xlsm_of_one_name_keep_their_fingerprints_apart(tmp_path: Path) -> None:
    copies = [saved_copy_path(tmp_path / "clients.xlsx"), saved_copy_path(tmp_path / "clients.xlsm")]
    assert rows_path(copies[0]) != rows_path(copies[1])


def test_a_change_log_compares_equal_to_an_equal_one(tmp_path: Path) -> None:
    kept = records()
    path = saved(tmp_path, kept)
    write_records(path, "en", added(kept))
    first, second = (begin_change_check(read_workbook(path)).finish(accept_deletions=False) for _ in range(2))
    assert first.sources and first == second


def test_no_digest_for_what_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    assert sheet_sources(path, ["Clients"]) == {}
    assert sheet_sources(tmp_path / "missing.xlsx", ["Clients"]) == {}


def edited_twice(kept: Records) -> Records:
    changed = copy.deepcopy(kept)
    changed[INTERACTIONS][3]["comment"] = "called back"
    changed[INTERACTIONS][20]["comment"] = "called back too"
    return changed


@pytest.mark.parametrize("wrong", ["a value", "a row number", "a row left out"])
def test_rows_read_apart_that_are_not_what_the_fingerprint_hashed_are_not_believed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wrong: str
) -> None:
    """Rows read apart are checked against the fingerprint: whatever the read got wrong, the copy's sheet is read
    whole and the changes are those that reading finds."""
    path = saved_again(tmp_path, edited_twice, write_with_a_column)

    def misread(copy: Path, spec: schema.Sheet, actual: str, numbers: Sequence[int]) -> SheetData | None:
        found = read_rows_apart(copy, spec, actual, numbers)
        assert found is not None and len(found.frame) == 2
        if wrong == "a value":
            found.frame.iloc[1, found.frame.columns.get_loc("comment")] = "what the copy does not say"
        elif wrong == "a row number":
            found.frame.index = pd.Index([found.frame.index[0], found.frame.index[1] + 1], name="row")
        else:
            found = read_rows_apart(copy, spec, actual, numbers[:1])
        return found

    changes, skipped, apart = compared_apart(path, monkeypatch, misread)
    assert INTERACTIONS not in skipped and apart == {INTERACTIONS: [5, 22]}  # read apart, then whole after all
    rows_path(saved_copy_path(path)).unlink()
    assert changes == compared(path, monkeypatch)[0]
    assert [row.before["Comment"] for row in changes.of_kind("changed", INTERACTIONS)] == ["call 3", "call 20"]


def test_more_rows_changed_than_are_read_apart_read_the_copy_s_sheet_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = saved_again(tmp_path, edited_twice, write_with_a_column)
    monkeypatch.setattr("xlcrm.jobs.changes.ROWS_READ_APART", 1)
    changes, skipped, apart = compared_apart(path, monkeypatch)
    assert INTERACTIONS not in skipped and not apart
    assert changes.count("changed", INTERACTIONS) == 2
    monkeypatch.setattr("xlcrm.jobs.changes.ROWS_READ_APART", 2)
    assert compared_apart(path, monkeypatch) == (changes, skipped | {INTERACTIONS}, {INTERACTIONS: [5, 22]})


def test_rows_that_cannot_be_read_apart_within_the_limits_are_read_with_the_whole_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy whose sheet fails the limits while its rows are read apart is read whole, as it would have been: that
    read names the problem, or the job goes on without the comparison."""
    path = saved_again(tmp_path, edited, write_with_a_column)

    def beyond_limits(copy: Path, spec: schema.Sheet, actual: str, numbers: Sequence[int]) -> SheetData | None:
        raise BeyondLimits(t("too big"))

    changes, skipped, apart = compared_apart(path, monkeypatch, beyond_limits)
    assert INTERACTIONS not in skipped and apart == {INTERACTIONS: [5]}
    assert changes.count("changed", INTERACTIONS) == 1


def duplicated_then_one_deleted_and_its_twin_edited(kept: Records) -> Records:
    changed = copy.deepcopy(kept)
    changed[INTERACTIONS][12:12] = [dict(changed[INTERACTIONS][12]), dict(changed[INTERACTIONS][12])]
    return changed


def test_equal_rows_one_deleted_and_one_edited_are_told_apart_as_the_whole_read_tells_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three equal rows saved; now one is gone and one edited: the rows read apart are those the matching of equal
    rows leaves over, and the changes are the whole read's."""
    kept = duplicated_then_one_deleted_and_its_twin_edited(records())
    path = saved(tmp_path, kept)
    now = copy.deepcopy(kept)
    now[INTERACTIONS][13]["comment"] = "one of three, edited"
    del now[INTERACTIONS][14]
    write_records(path, "en", now)
    changes, skipped, apart = compared_apart(path, monkeypatch)
    assert INTERACTIONS in skipped and apart == {INTERACTIONS: [15, 16]}
    assert changes.count("changed", INTERACTIONS) == 1 and len(changes.deleted(INTERACTIONS)) == 1
    rows_path(saved_copy_path(path)).unlink()
    assert changes == compared(path, monkeypatch)[0]


def _row_element(xml: bytes, number: int) -> re.Match[bytes]:
    found = re.search(rb'<row r="%d"[^>]*>(.*?)</row>' % number, xml, re.S)
    assert found is not None
    return found


def _split_row(xml: bytes) -> bytes:
    """Row 8's cells in two elements of its number."""
    row = _row_element(xml, 8)
    cells = row[1]
    middle = cells.find(b"<c ", 1)
    assert middle > 0
    split = b'<row r="8">%s</row><row r="8">%s</row>' % (cells[:middle], cells[middle:])
    return xml[: row.start()] + split + xml[row.end() :]


def _decoy_in_a_comment(xml: bytes) -> bytes:
    """A copy of row 8, with another comment, inside an XML comment before it."""
    row = _row_element(xml, 8)
    return xml[: row.start()] + b"<!--" + row[0].replace(b"call 6", b"a decoy") + b"-->" + xml[row.start() :]


def _cell_in_the_row_above(xml: bytes) -> bytes:
    """Row 8's Comment cell written inside row 7's element."""
    row = _row_element(xml, 8)
    cell = re.search(rb'<c r="H8".*?</c>', row[0], re.S)
    assert cell is not None
    xml = xml[: row.start()] + row[0].replace(cell[0], b"") + xml[row.end() :]
    above = _row_element(xml, 7)
    return xml[: above.end() - len(b"</row>")] + cell[0] + xml[above.end() - len(b"</row>") :]


def _row_written_twice(xml: bytes) -> bytes:
    """A second element of row 8 whose Comment cell overwrites the first's."""
    row = _row_element(xml, 8)
    second = b'<row r="8"><c r="H8" t="inlineStr"><is><t>written again</t></is></c></row>'
    return xml[: row.end()] + second + xml[row.end() :]


@pytest.mark.parametrize("odd", [_split_row, _decoy_in_a_comment, _cell_in_the_row_above, _row_written_twice])
def test_a_copy_written_in_a_way_no_writer_uses_gives_the_changes_of_the_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: Callable[[bytes], bytes]
) -> None:
    """Rows read apart from a copy whose XML places cells where a search for the row's element does not find
    them come back other than the whole read gives them; their hashes tell, and the whole sheet is read."""
    kept = records()
    path = write_records(tmp_path / "clients.xlsx", "en", kept)
    with zipfile.ZipFile(path) as package:
        part = sheet_parts(package)[schema.INTERACTIONS.name("en")]
        entries = [(entry.filename, package.read(entry.filename)) for entry in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries:
            package.writestr(name, odd(data) if name == part else data)
    data = read_workbook(path)
    keep_saved_copy(path, fingerprints_to_keep(data, begin_change_check(data).finish(accept_deletions=True)))
    now = copy.deepcopy(kept)
    now[INTERACTIONS][6]["comment"] = "edited"  # row 8
    del now[INTERACTIONS][10]
    write_records(path, "en", now)

    changes, skipped, apart = compared_apart(path, monkeypatch)

    assert INTERACTIONS not in skipped and apart == {INTERACTIONS: [8, 12]}  # read apart, then whole
    rows_path(saved_copy_path(path)).unlink()
    assert changes == compared(path, monkeypatch)[0]
