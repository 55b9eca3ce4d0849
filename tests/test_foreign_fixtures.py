"""Every writing command on workbooks other programs wrote: no row lost or garbled, every foreign part kept.

The fixtures (tests/data/foreign, see its README.md) are workbooks saved by real
Excel, taken from the XlsxWriter, calamine and ClosedXML test suites, with client
sheets added at the zip level, and client bases written by openpyxl, xlsxwriter
(shared and inline strings), pandas and LibreOffice. Each holds the same 20
clients, two of them entered twice (same name and phone), and their interactions.

On a copy of each, through the CLI: ``validate`` (nothing written), ``dedupe``,
``unmerge`` of one of its merges, ``refresh`` (on some, twice) and ``import`` of
a small CSV. After each: the exit code; the workbook re-opens in openpyxl and
python-calamine; every user cell of Clients and Interactions holds what it held
(the planted duplicates merged as dedupe merges them); comments, links, tables,
conditional formats and validations of Clients follow their rows; every zip part
xlcrm does not own is byte for byte what it was. unmerge either puts everything
back exactly or refuses, naming the cell, with the file unchanged. LibreOffice
opens the result of each command on one fixture.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import io
import json
import posixpath
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree
from python_calamine import CalamineWorkbook

from tests.conftest import convert_with_libreoffice
from tests.package_checks import assert_package_consistent, assert_styles_extended, canonical, entries
from tests.paths import DATA
from xlcrm.cli.main import cli
from xlcrm.files.saved_copy import BACKUP_FOLDER, rows_path, saved_copy_path
from xlcrm.schema import REPORT_MARKER

# openpyxl, reading the sparklines of closedxml_SparklineThemes.xlsx, warns that it would drop them on saving.
pytestmark = pytest.mark.filterwarnings("ignore:Sparkline Group extension is not supported:UserWarning")

FOREIGN = DATA / "foreign"
EXCEL_FILES = sorted(path.name for path in (FOREIGN / "excel").iterdir())
LIBRARY_FILES = [
    "openpyxl.xlsx",
    "xlsxwriter_shared_strings.xlsx",
    "xlsxwriter_constant_memory.xlsx",
    "xlsxwriter_1904.xlsx",
    "pandas_openpyxl.xlsx",
    "pandas_xlsxwriter.xlsx",
    "libreoffice.xlsx",
]
# Saved by Excel as "Strict Open XML Spreadsheet", which xlcrm does not write: the writing commands refuse it.
STRICT = "excel/calamine_strict_iso_paths.xlsx"
FIXTURES = [f"excel/{name}" for name in EXCEL_FILES if f"excel/{name}" != STRICT] + LIBRARY_FILES
# Fixtures whose client base has two errors (a bad email, an order of an unknown client): validate exits 1; the
# other commands do their work and exit 0 (refresh lists the errors on its Problems sheet).
WITH_PROBLEMS = "_with_problems"
EXIT_CODES = {"validate": 1}
TODAY, NEXT_DAY = "2026-11-23", "2026-11-24"
CLIENTS, INTERACTIONS = "Клиенты", "Взаимодействия"
EDITED_SHEETS = (CLIENTS, INTERACTIONS)
# The planted duplicates: the later ClientID is merged into the earlier one. The unmerge tests undo the first merge.
PLANTED = {"C0003": "C0019", "C0007": "C0020"}
UNMERGED = "C0003"
STILL_MERGED = {kept: gone for kept, gone in PLANTED.items() if kept != UNMERGED}
IMPORT_CSV = (
    "ФИО,Телефон,Компания,Email\n"
    "Новый Клиент,+7 999 111-22-33,ООО «Новое»,new@example.ru\n"  # a new client
    "Иванов Сергей Петрович,+7 901 123-45-01,ООО «Ромашка»,client1@example.ru\n"  # already there
    "Васильева Ольга,+7 906 123-45-06,ИП Васильева О. Н.,olga@example.ru\n"
)  # fills C0006's blank email
IMPORTED_ROW = {
    "ID клиента": "C0021",
    "Контактное лицо": "Новый Клиент",
    "Компания": "ООО «Новое»",
    "Телефон": "+7 999 111-22-33",
    "Email": "new@example.ru",
}
# The fixtures whose clients are an Excel table.
TABLED = ("xlsxwriter_shared_strings.xlsx", "xlsxwriter_1904.xlsx")
# The fixture whose every email is a mailto link and whose managers have a dropdown.
LINKED = "pandas_openpyxl.xlsx"

# Parts xlcrm may rewrite in any workbook (package.py's docstring); the parts of the sheets a command edits and
# of its own report sheets are added per file. Everything else must come out byte for byte.
ALWAYS_OWNED = frozenset(
    {
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "docProps/app.xml",
        "xl/styles.xml",
        "xl/sharedStrings.xml",
        "xl/calcChain.xml",
    }
)
# What travels with an edited sheet's rows: its tables, comments and their drawing.
EDITED_SHEET_RELATIONS = ("/table", "/comments", "/vmlDrawing", "/threadedComment")
NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


# --- reading a workbook -----------------------------------------------------------------------------------------


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relations(parts: dict[str, bytes], part: str) -> list[tuple[str, str]]:
    """(type, target part) of each internal relationship of ``part``."""
    rels = parts.get(_rels_of(part))
    if rels is None:
        return []
    found = []
    for rel in etree.fromstring(rels).iter(f"{NS_RELS}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target")
        resolved = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
        )
        found.append((rel.get("Type"), resolved))
    return found


def sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its part."""
    targets = {
        rel.get("Id"): rel.get("Target")
        for rel in etree.fromstring(parts["xl/_rels/workbook.xml.rels"]).iter(f"{NS_RELS}Relationship")
    }
    found = {}
    for sheet in etree.fromstring(parts["xl/workbook.xml"]).iter(f"{NS_MAIN}sheet"):
        target = targets[sheet.get(f"{NS_R}id")]
        found[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return found


def owned_parts(before: dict[str, bytes], after: dict[str, bytes], edited: tuple[str, ...]) -> set[str]:
    """The parts a command that edits the sheets ``edited`` may change, add or remove."""
    owned = set(ALWAYS_OWNED)
    for parts in (before, after):
        sheets = sheet_parts(parts)
        for name in edited:
            owned |= {sheets[name], _rels_of(sheets[name])}
            owned |= {
                target for kind, target in _relations(parts, sheets[name]) if kind.endswith(EDITED_SHEET_RELATIONS)
            }
    for parts in (before, after):  # a report sheet's part and everything it reaches (its drawing, charts, ...)
        pending = [part for name, part in sheet_parts(parts).items() if name.startswith(REPORT_MARKER)]
        reached: set[str] = set()
        while pending:
            part = pending.pop()
            if part in reached:
                continue
            reached |= {part, _rels_of(part)}
            pending.extend(target for _, target in _relations(parts, part))
        owned |= reached
    return owned


def assert_foreign_parts_kept(before_path: Path, after_path: Path, edited: tuple[str, ...]) -> None:
    """Every part xlcrm does not own is byte for byte what it was, and the parts it shares with the user
    (workbook, relationships, content types, styles) still hold every entry they had (every style at its index)."""
    before, after = entries(before_path), entries(after_path)
    owned = owned_parts(before, after, edited)
    changed = sorted(name for name in before if name not in owned and after.get(name) != before[name])
    assert not changed, f"parts xlcrm does not own were changed or dropped: {changed}"
    added = sorted(set(after) - set(before) - owned)
    assert not added, f"parts added outside xlcrm's sheets: {added}"
    dropped = {"/" + name for name in set(before) - set(after)} | {name for name in set(before) - set(after)}

    old_book, new_book = etree.fromstring(before["xl/workbook.xml"]), etree.fromstring(after["xl/workbook.xml"])
    old_sheets = [
        canonical(sheet)
        for sheet in old_book.iter(f"{NS_MAIN}sheet")
        if not sheet.get("name").startswith(REPORT_MARKER)
    ]
    assert [canonical(sheet) for sheet in new_book.iter(f"{NS_MAIN}sheet")][: len(old_sheets)] == old_sheets
    user_names = {
        canonical(name) for name in old_book.iter(f"{NS_MAIN}definedName") if REPORT_MARKER not in (name.text or "")
    }  # xlcrm's own point at its report sheets
    assert user_names <= {canonical(name) for name in new_book.iter(f"{NS_MAIN}definedName")}
    kept_children = {f"{NS_MAIN}{tag}" for tag in ("sheets", "definedNames", "calcPr")}
    assert [canonical(child) for child in old_book if child.tag not in kept_children] == [
        canonical(child) for child in new_book if child.tag not in kept_children
    ]
    for part, attribute in (("xl/_rels/workbook.xml.rels", "Target"), ("[Content_Types].xml", "PartName")):
        old_entries = {
            canonical(entry)
            for entry in etree.fromstring(before[part])
            if posixpath.normpath(posixpath.join("xl", entry.get(attribute) or "")) not in dropped
            and entry.get(attribute) not in dropped
        }
        assert old_entries <= {canonical(entry) for entry in etree.fromstring(after[part])}, part
    assert_styles_extended(before["xl/styles.xml"], after["xl/styles.xml"])
    if "xl/sharedStrings.xml" in before:  # the foreign sheets' string cells point into it by index
        old_strings = [canonical(item) for item in etree.fromstring(before["xl/sharedStrings.xml"])]
        new_strings = [canonical(item) for item in etree.fromstring(after["xl/sharedStrings.xml"])]
        assert new_strings[: len(old_strings)] == old_strings
    assert_package_consistent(after_path)


def calamine_rows(path: Path, sheet: str) -> list[list[Any]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def user_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    """The rows of ``sheet`` under their user headers (columns xlcrm computes, marked ▸, left out)."""
    header, *rows = calamine_rows(path, sheet)
    columns = [(index, name) for index, name in enumerate(header) if name and not str(name).startswith(REPORT_MARKER)]
    return [{name: row[index] if index < len(row) else "" for index, name in columns} for row in rows]


def openpyxl_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    """The same through openpyxl, which reads the cells on its own."""
    book = openpyxl.load_workbook(path, read_only=True)
    header, *rows = [list(row) for row in book[sheet].iter_rows(values_only=True)]
    book.close()
    columns = [(index, name) for index, name in enumerate(header) if name and not str(name).startswith(REPORT_MARKER)]
    return [
        {name: row[index] if index < len(row) else None for index, name in columns}
        for row in rows
        if any(value is not None for value in row)
    ]


def _rows_of(reference: str) -> tuple[int, int]:
    first, last = (re.sub(r"[A-Z$]", "", cell) for cell in reference.split(":"))
    return int(first), int(last)


@dataclass(frozen=True)
class ClientsExtras:
    """What follows the rows of Clients, read by openpyxl."""

    comments: dict[str, str]  # ClientID -> the text of the comment on its row
    links: dict[tuple[str, str], str]  # (ClientID, header) -> the target of the cell's hyperlink
    formats: list[str]  # the ranges of the conditional formats
    validations: list[str]  # the ranges of the data validations
    tables: dict[str, tuple[int, int]]  # table name -> its first and last row


def clients_extras(book: openpyxl.Workbook) -> ClientsExtras:
    sheet = book[CLIENTS]
    headers = [cell.value for cell in sheet[1]]

    def client(cell: Any) -> str:
        return str(sheet.cell(row=cell.row, column=1).value)

    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    return ClientsExtras(
        {client(cell): cell.comment.text for cell in cells if cell.comment},
        {
            (client(cell), headers[cell.column - 1]): cell.hyperlink.target or cell.hyperlink.location
            for cell in cells
            if cell.hyperlink
        },
        [str(rule.sqref) for rule in sheet.conditional_formatting],
        [str(validation.sqref) for validation in sheet.data_validations.dataValidation],
        {table.name: _rows_of(table.ref) for table in sheet.tables.values()},
    )


def load_whole(path: Path) -> openpyxl.Workbook | None:
    """``path`` loaded whole by openpyxl, or None when openpyxl cannot (it fails on the pivot caches Excel wrote in
    calamine's pivots.xlsx; its read-only mode, which skips them, reads the cells)."""
    try:
        return openpyxl.load_workbook(path)
    except TypeError:
        return None


@dataclass(frozen=True)
class Snapshot:
    """What the tests compare of a workbook: user cells (read by two readers), and what follows the rows of
    Clients (None when openpyxl cannot load the workbook whole)."""

    clients: list[dict[str, Any]]
    interactions: list[dict[str, Any]]
    clients_openpyxl: list[dict[str, Any]]
    interactions_openpyxl: list[dict[str, Any]]
    extras: ClientsExtras | None


def snapshot(path: Path) -> Snapshot:
    """What the tests compare of the workbook at ``path``; it opens in python-calamine (every sheet) too."""
    calamine = CalamineWorkbook.from_path(str(path))
    for name in calamine.sheet_names:
        calamine.get_sheet_by_name(name).to_python()
    book = load_whole(path)
    return Snapshot(
        user_rows(path, CLIENTS),
        user_rows(path, INTERACTIONS),
        openpyxl_rows(path, CLIENTS),
        openpyxl_rows(path, INTERACTIONS),
        None if book is None else clients_extras(book),
    )


# --- what a merge does to the rows (merge.py's rules, on the planted duplicates) ----------------------------------


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _merged_value(column: str, kept: Any, other: Any) -> Any:
    if _blank(kept):
        return other
    if _blank(other) or kept == other or column in ("ID клиента", "Создан"):
        return kept
    joiner = {"Телефон": ", ", "Email": ", ", "Комментарий": "; "}.get(column)
    return f"{kept}{joiner}{other}" if joiner else kept


def merge_rows(
    clients: list[dict[str, Any]], interactions: list[dict[str, Any]], merges: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Clients and Interactions rows after merging each ``merges`` value (a ClientID) into its key."""
    by_id = {row["ID клиента"]: row for row in clients}
    merged_into = {gone: kept for kept, gone in merges.items()}
    result = []
    for row in clients:
        if row["ID клиента"] in merged_into:
            continue
        gone = merges.get(row["ID клиента"])
        result.append(
            row
            if gone is None
            else {column: _merged_value(column, value, by_id[gone][column]) for column, value in row.items()}
        )
    repointed = [{**row, "ID клиента": merged_into.get(row["ID клиента"], row["ID клиента"])} for row in interactions]
    return result, repointed


def _format_range(sqref: str, rows_before: int, rows_after: int) -> str:
    """A range over every client row (``J2:J21``) keeps covering them all; other ranges stay."""
    whole = re.fullmatch(r"([A-Z]+)2:([A-Z]+)(\d+)", sqref)
    if whole and int(whole[3]) == rows_before + 1:
        return f"{whole[1]}2:{whole[2]}{rows_after + 1}"
    return sqref


def expected_after_merges(before: Snapshot, merges: dict[str, str]) -> Snapshot:
    clients, interactions = merge_rows(before.clients, before.interactions, merges)
    clients_openpyxl, interactions_openpyxl = merge_rows(before.clients_openpyxl, before.interactions_openpyxl, merges)
    return Snapshot(
        clients,
        interactions,
        clients_openpyxl,
        interactions_openpyxl,
        None
        if before.extras is None
        else extras_after(before.extras, set(merges.values()), len(before.clients), len(clients)),
    )


def extras_after(extras: ClientsExtras, gone: set[str], rows_before: int, rows_after: int) -> ClientsExtras:
    """What follows the rows once the clients ``gone`` are deleted: their comments and links go with them, ranges
    over every client row keep covering them all."""

    def last_row(last: int) -> int:
        return rows_after + 1 if last == rows_before + 1 else last

    return ClientsExtras(
        {client: text for client, text in extras.comments.items() if client not in gone},
        {key: target for key, target in extras.links.items() if key[0] not in gone},
        [_format_range(sqref, rows_before, rows_after) for sqref in extras.formats],
        [_format_range(sqref, rows_before, rows_after) for sqref in extras.validations],
        {name: (first, last_row(last)) for name, (first, last) in extras.tables.items()},
    )


def assert_same(after: Snapshot, expected: Snapshot, *, rows_only: bool = False) -> None:
    assert after.clients == expected.clients
    assert after.interactions == expected.interactions
    assert after.clients_openpyxl == expected.clients_openpyxl
    assert after.interactions_openpyxl == expected.interactions_openpyxl
    if not rows_only:
        assert after.extras == expected.extras


# --- running the commands ----------------------------------------------------------------------------------------


def expected_exit(fixture: str, command: str) -> int:
    return EXIT_CODES.get(command, 0) if WITH_PROBLEMS in fixture else 0


@dataclass(frozen=True)
class Run:
    before: Path
    after: Path
    exit_code: int
    output: str
    message: str  # what the command wrote on stderr

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.output)


def run_cli(source: Path, folder: Path, args: list[str]) -> Run:
    """``xlcrm <args>`` on a copy of ``source`` in a folder of its own (``{}`` in ``args`` stands for the copy)."""
    folder.mkdir(parents=True)
    work = folder / source.name
    shutil.copyfile(source, work)
    result = CliRunner().invoke(cli, [str(work) if arg == "{}" else arg for arg in args], catch_exceptions=False)
    # Saved or refused, nothing is left beside the workbook: no temporary file, lock or owner file (no backup either,
    # with --keep-backups 0), only the copy of what a save wrote, which the next run compares with, and its row
    # fingerprints.
    kept = folder / BACKUP_FOLDER
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [work.name, *([kept.name] if kept.exists() else [])]
    )
    copy = saved_copy_path(work)
    assert not kept.exists() or {path.name for path in kept.iterdir()} - {rows_path(copy).name} == {copy.name}, args
    return Run(source, work, result.exit_code, result.stdout, result.stderr)


class Runs:
    """Each command on each fixture, run once for the module (unmerge runs on dedupe's result)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.csv = folder / "new_clients.csv"
        self.csv.write_text(IMPORT_CSV, encoding="utf-8")
        # Each answer is worked out once per instance (one for the module): the caches go with it.
        self.before = functools.cache(self._before)
        self.after = functools.cache(self._after)
        self.run = functools.cache(self._run)

    def source(self, fixture: str) -> Path:
        return FOREIGN / fixture

    def _before(self, fixture: str) -> Snapshot:
        return snapshot(self.source(fixture))

    def _after(self, fixture: str, command: str) -> Snapshot:
        """The result of ``command``, read as the fixture was: it re-opens in python-calamine and in openpyxl
        (whole, when openpyxl loads the fixture whole)."""
        after = snapshot(self.run(fixture, command).after)
        assert (after.extras is None) == (self.before(fixture).extras is None)
        return after

    def _run(self, fixture: str, command: str) -> Run:
        folder = self.folder / fixture.replace("/", "_") / command
        save = ["--keep-backups", "0", "--json"]
        if command == "validate":
            return run_cli(self.source(fixture), folder, ["validate", "{}", "--today", TODAY, "--json"])
        if command == "dedupe":
            return run_cli(self.source(fixture), folder, ["dedupe", "{}", *save])
        if command == "unmerge":
            dedupe = self.run(fixture, "dedupe")
            merge_id = next(m["merge_id"] for m in dedupe.json["merges"] if m["survivor"]["client_id"] == UNMERGED)
            return run_cli(dedupe.after, folder, ["unmerge", "{}", merge_id, *save])
        if command == "refresh":
            return run_cli(self.source(fixture), folder, ["refresh", "{}", "--today", TODAY, *save])
        if command == "refresh again":  # the next day: report sheets and computed columns replaced
            return run_cli(self.run(fixture, "refresh").after, folder, ["refresh", "{}", "--today", NEXT_DAY, *save])
        if command == "import":
            return run_cli(
                self.source(fixture), folder, ["import", str(self.csv), "--into", "{}", "--today", TODAY, *save]
            )
        raise ValueError(command)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return Runs(tmp_path_factory.mktemp("foreign"))


# --- the tests -----------------------------------------------------------------------------------------------------


def test_excel_fixtures_keep_every_part_excel_wrote() -> None:
    """The fixtures are what Excel saved: make_foreign.py added sheets and touched only their four declarations."""
    declarations = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
    for name in EXCEL_FILES:
        original = entries(FOREIGN / "excel_originals" / name.replace(WITH_PROBLEMS, ""))
        fixture = entries(FOREIGN / "excel" / name)
        assert {part: data for part, data in fixture.items() if part in original and part not in declarations} == {
            part: data for part, data in original.items() if part not in declarations
        }, name
        assert b"Microsoft" in original["docProps/app.xml"], name


def _rewritten(source: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of ``source`` with the parts in ``change`` replaced (None: left out)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            data = change.get(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
    return target


def test_the_part_check_sees_a_foreign_part_changed_or_dropped(tmp_path: Path) -> None:
    """The byte-for-byte check can fail: a changed, a dropped and an added foreign part are each caught."""
    source = FOREIGN / "openpyxl.xlsx"
    assert_foreign_parts_kept(source, source, EDITED_SHEETS)
    notes = sheet_parts(entries(source))["Заметки"]
    cases = {"changed": {notes: entries(source)[notes].replace(b"B2", b"B3")}, "dropped": {"docProps/core.xml": None}}
    for name, change in cases.items():
        with pytest.raises(AssertionError, match="does not own"):
            assert_foreign_parts_kept(source, _rewritten(source, tmp_path / f"{name}.xlsx", change), EDITED_SHEETS)
    with zipfile.ZipFile(_rewritten(source, tmp_path / "added.xlsx", {}), "a") as archive:
        archive.writestr("xl/media/stray.png", b"not an image")
    with pytest.raises(AssertionError, match="added outside"):
        assert_foreign_parts_kept(source, tmp_path / "added.xlsx", EDITED_SHEETS)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixture_holds_the_planted_client_base(runs: Runs, fixture: str) -> None:
    before = runs.before(fixture)
    assert len(before.clients) == 20 and len(before.interactions) == (31 if WITH_PROBLEMS in fixture else 30)
    assert [row["ID клиента"] for row in before.clients] == [row["ID клиента"] for row in before.clients_openpyxl]
    assert {row["Телефон"] for row in before.clients if row["ID клиента"] in PLANTED.values()} == {
        row["Телефон"] for row in before.clients if row["ID клиента"] in PLANTED
    }
    if fixture in LIBRARY_FILES:  # what the tests of what follows the rows watch
        assert before.extras is not None
        assert before.extras.formats == [f"J2:J{len(before.clients) + 1}"]
        assert set(before.extras.comments) == (set() if "constant_memory" in fixture else {"C0001", "C0016"})
        assert before.extras.tables == ({"ClientsTable": (1, 21)} if fixture in TABLED else {})
        assert len(before.extras.links) == (13 if fixture == LINKED else 0)  # every email
        assert before.extras.validations == (["H2:H21"] if fixture in (LINKED, RANGES_ONLY) else [])


@pytest.mark.parametrize("fixture", FIXTURES)
def test_validate_reads_and_writes_nothing(runs: Runs, fixture: str) -> None:
    run = runs.run(fixture, "validate")
    assert run.exit_code == expected_exit(fixture, "validate"), run.output
    assert run.json["counts"]["errors"] == (2 if WITH_PROBLEMS in fixture else 0)
    assert run.after.read_bytes() == run.before.read_bytes()


@pytest.mark.parametrize("fixture", FIXTURES)
def test_dedupe_merges_the_planted_duplicates_only(runs: Runs, fixture: str) -> None:
    run = runs.run(fixture, "dedupe")
    assert run.exit_code == 0, run.output
    assert {m["survivor"]["client_id"]: [c["client_id"] for c in m["merged"]] for m in run.json["merges"]} == {
        kept: [gone] for kept, gone in PLANTED.items()
    }
    assert_same(runs.after(fixture, "dedupe"), expected_after_merges(runs.before(fixture), PLANTED))
    assert_foreign_parts_kept(run.before, run.after, EDITED_SHEETS)


# unmerge inserts the merged rows back where they were, so what follows rows follows the rows below back down: in
# the fixtures the libraries wrote, C0016 (below the restored row) has a comment, in LINKED every email is a link,
# and in RANGES_ONLY a format and a validation cover every client row. Everything must be put back exactly.
RANGES_ONLY = "xlsxwriter_constant_memory.xlsx"  # a format and a validation over every client row, no comment or link


@pytest.mark.parametrize("fixture", FIXTURES)
def test_unmerge_puts_the_client_back_exactly(runs: Runs, fixture: str) -> None:
    run = runs.run(fixture, "unmerge")
    assert run.exit_code == 0, run.message
    expected = expected_after_merges(runs.before(fixture), STILL_MERGED)
    after = runs.after(fixture, "unmerge")
    assert_same(after, expected, rows_only=True)
    assert after.extras == expected.extras  # the restored client's own link too: the Merge log kept it
    assert_foreign_parts_kept(run.before, run.after, EDITED_SHEETS)


def _ranges_after_unmerge(runs: Runs) -> tuple[ClientsExtras, ClientsExtras]:
    run = runs.run(RANGES_ONLY, "unmerge")
    assert run.exit_code == 0, run.message
    after = runs.after(RANGES_ONLY, "unmerge").extras
    expected = expected_after_merges(runs.before(RANGES_ONLY), STILL_MERGED).extras
    assert after is not None and expected is not None
    return after, expected


def test_unmerge_gives_a_conditional_format_its_rows_back(runs: Runs) -> None:
    after, expected = _ranges_after_unmerge(runs)
    assert after.formats == expected.formats


def test_unmerge_gives_a_data_validation_its_rows_back(runs: Runs) -> None:
    after, expected = _ranges_after_unmerge(runs)
    assert after.validations == expected.validations


@pytest.mark.parametrize("fixture", FIXTURES)
def test_refresh_keeps_every_row_and_foreign_part(runs: Runs, fixture: str) -> None:
    run = runs.run(fixture, "refresh")
    assert run.exit_code == expected_exit(fixture, "refresh"), run.output
    assert_same(runs.after(fixture, "refresh"), expected_after_merges(runs.before(fixture), PLANTED))
    assert_foreign_parts_kept(run.before, run.after, EDITED_SHEETS)


WRITING_COMMANDS = ("dedupe", "refresh", "import")


@pytest.mark.parametrize("command", WRITING_COMMANDS)
def test_a_strict_open_xml_workbook_is_left_untouched(runs: Runs, command: str) -> None:
    run = runs.run(STRICT, command)
    assert run.exit_code == 1, run.output
    # The runs ask for --json, so the error is JSON on stdout, stderr stays empty.
    assert set(run.json) == {"error", "code"} and run.json["code"] == 1 and run.message == "", run.output
    assert run.after.read_bytes() == run.before.read_bytes()


@pytest.mark.parametrize("command", WRITING_COMMANDS)
def test_a_strict_open_xml_workbook_is_refused_with_advice(runs: Runs, command: str) -> None:
    run = runs.run(STRICT, command)
    assert "Strict Open XML" in run.json["error"], run.output


def test_dates_of_a_1904_workbook_are_read_and_written_as_in_a_1900_one(runs: Runs) -> None:
    """The same base with dates counted from 1904: refresh computes and writes the same dates (first and last
    order, last and next contact), and import the same creation date, as in the 1900 one."""
    refreshed, refreshed_1904 = (calamine_rows(runs.run(name, "refresh").after, CLIENTS) for name in TABLED)
    assert refreshed_1904 == refreshed
    assert refreshed[1][13:] == [
        "7 VIP",
        1,
        1500,
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 5),
        dt.date(2026, 7, 4),
        "",
        "",
        "",
        "",  # ▸ Balance and ▸ Unpaid since: the base records no payments
        "",
    ]
    imported, imported_1904 = (calamine_rows(runs.run(name, "import").after, CLIENTS) for name in TABLED)
    assert imported_1904 == imported
    assert imported[-1][11] == dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    "fixture",
    [
        "openpyxl.xlsx",
        "xlsxwriter_constant_memory.xlsx",
        "pandas_xlsxwriter.xlsx",
        "libreoffice.xlsx",
        "excel/calamine_pivots_with_problems.xlsx",
        "excel/xlsxwriter_chartsheet01.xlsx",
        "excel/xlsxwriter_macro01.xlsm",
    ],
)
def test_refresh_again_replaces_only_its_own_sheets(runs: Runs, fixture: str) -> None:
    run = runs.run(fixture, "refresh again")
    assert run.exit_code == expected_exit(fixture, "refresh"), run.output
    assert_same(runs.after(fixture, "refresh again"), expected_after_merges(runs.before(fixture), PLANTED))
    assert_foreign_parts_kept(run.before, run.after, EDITED_SHEETS)
    assert_foreign_parts_kept(FOREIGN / fixture, run.after, EDITED_SHEETS)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_import_adds_the_new_client_and_changes_nothing_else(runs: Runs, fixture: str) -> None:
    run = runs.run(fixture, "import")
    assert run.exit_code == 0, run.output
    assert run.json["counts"] == {"added": 1, "merged": 1, "review": 0, "unchanged": 1, "skipped": 0}
    before, after = runs.before(fixture), runs.after(fixture, "import")
    expected = [dict(row, Email="olga@example.ru") if row["ID клиента"] == "C0006" else row for row in before.clients]
    assert after.clients[:-1] == expected
    new_row = after.clients[-1]
    assert {column: new_row[column] for column in IMPORTED_ROW} == IMPORTED_ROW
    assert new_row["Создан"] is not None and str(new_row["Создан"]).startswith(TODAY)
    assert after.interactions == before.interactions
    assert after.interactions_openpyxl == before.interactions_openpyxl
    if before.extras is not None:  # a table grows with the row; the other ranges stay as they were
        assert after.extras == dataclasses.replace(
            before.extras, tables={name: (first, last + 1) for name, (first, last) in before.extras.tables.items()}
        )
    assert_foreign_parts_kept(run.before, run.after, (CLIENTS,))


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    ("fixture", "command"),
    [
        ("openpyxl.xlsx", "refresh"),
        ("libreoffice.xlsx", "dedupe"),
        ("xlsxwriter_constant_memory.xlsx", "unmerge"),
        ("pandas_xlsxwriter.xlsx", "import"),
        ("excel/calamine_pivots.xlsx", "refresh"),
    ],
)
def test_libreoffice_opens_the_result(runs: Runs, fixture: str, command: str, tmp_path: Path) -> None:
    """LibreOffice opens what each command saved; where Clients is the first sheet (the one a CSV export holds),
    every client's ClientID and name are in it."""
    run = runs.run(fixture, command)
    assert run.exit_code == 0, run.output
    # 44,34,76: comma-separated, double-quoted, UTF-8 (LibreOffice's default is the system's 8-bit character set).
    text = convert_with_libreoffice(run.after, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path).read_text("utf-8")
    if fixture in LIBRARY_FILES:
        header, *rows = csv.reader(io.StringIO(text))
        assert header[:2] == ["ID клиента", "Контактное лицо"]
        assert [row[:2] for row in rows] == [
            [client["ID клиента"], client["Контактное лицо"]] for client in runs.after(fixture, command).clients
        ]
