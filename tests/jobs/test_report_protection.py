"""Report sheets are written protected without a password; the Decision cells stay open; user sheets are not
protected by xlcrm, and one the owner protected keeps its protection through a refresh."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from tests.conftest import convert_with_libreoffice
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.dedupe.merge_log import label, read_merge_log, read_sheet_rows
from xlcrm.jobs.demo import create_demo
from xlcrm.lifecycle.history import read_history
from xlcrm.xlsx.parts import WORKSHEET_ORDER
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
LOCALE = "ru"
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def refresh(path: Path, today: dt.date = TODAY) -> str:
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", today.isoformat(), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("protect") / "demo.xlsx"
    create_demo(path, clients=60, seed=1, locale=LOCALE, today=TODAY)
    refresh(path)
    return path


def copy_of(path: Path, folder: Path) -> Path:
    copy = folder / path.name
    shutil.copyfile(path, copy)
    return copy


def worksheet_xml(path: Path) -> dict[str, etree._Element]:
    """Sheet name -> its parsed worksheet XML."""
    with zipfile.ZipFile(path) as archive:
        book = etree.fromstring(archive.read("xl/workbook.xml"))
        rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        sheets = {}
        for sheet in book.iter(f"{MAIN_NS}sheet"):
            target = targets[sheet.get(f"{REL_NS}id")].lstrip("/")
            part = target if target.startswith("xl/") else "xl/" + target
            sheets[sheet.get("name")] = etree.fromstring(archive.read(part))
    return sheets


def decision_rows(path: Path) -> list[int]:
    """The rows of the Duplicates sheet under a Decision header, down to the end of each table."""
    book = load_workbook(path)
    sheet = book[schema.DUPLICATES.name(LOCALE)]
    rows, under_header = [], False
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        if cell.value == label("decision", LOCALE):
            under_header = True
        elif under_header and all(c.value is None for c in sheet[cell.row]):
            under_header = False
        elif under_header:
            rows.append(cell.row)
    return rows


def test_report_sheets_are_protected_without_a_password_and_user_sheets_are_not(refreshed: Path) -> None:
    book = load_workbook(refreshed)
    reports = [sheet for sheet in book.worksheets if sheet.title.startswith(schema.REPORT_MARKER)]
    assert {sheet.title for sheet in reports} >= {spec.name(LOCALE) for spec in schema.REFRESH_REPORTS}
    for sheet in book.worksheets:
        protection = sheet.protection
        if sheet in reports:
            assert protection.sheet, sheet.title
            assert not protection.password, sheet.title
            assert not protection.selectLockedCells and not protection.selectUnlockedCells  # copying works
            filtered = sheet.auto_filter.ref is not None
            assert protection.autoFilter is not filtered and protection.sort is not filtered, sheet.title
        else:
            assert not protection.sheet, sheet.title


def test_protection_sits_where_the_schema_puts_it(refreshed: Path) -> None:
    for name, root in worksheet_xml(refreshed).items():
        if not name.startswith(schema.REPORT_MARKER):
            continue
        children = [etree.QName(child).localname for child in root]
        assert children.count("sheetProtection") == 1, name
        positions = [WORKSHEET_ORDER.index(child) for child in children]
        assert positions == sorted(positions), (name, children)
        after_data = children[children.index("sheetData") + 1]
        assert after_data == "sheetProtection", (name, children)


def test_only_the_decision_cells_are_open_to_typing(refreshed: Path) -> None:
    rows = decision_rows(refreshed)
    assert rows  # the demo plants a likely duplicate to review
    book = load_workbook(refreshed)
    sheet = book[schema.DUPLICATES.name(LOCALE)]
    unlocked = {cell.coordinate for row in sheet.iter_rows() for cell in row if not cell.protection.locked}
    assert unlocked == {f"A{row}" for row in rows}
    assert all(sheet[f"A{row}"].value is None for row in rows)  # blank, yet written so that it is unlocked


@pytest.mark.parametrize("command", ["refresh", "dedupe"])
def test_a_typed_decision_is_honoured_and_the_sheets_stay_protected(
    refreshed: Path, tmp_path: Path, command: str
) -> None:
    path = copy_of(refreshed, tmp_path)
    (first, *_) = decision_rows(path)
    book = load_workbook(path)
    duplicates = book[schema.DUPLICATES.name(LOCALE)]
    pair = (duplicates.cell(first, 4).value, duplicates.cell(first, 4 + 8).value)
    duplicates.cell(first, 1).value = schema.MERGE_DECISION.name(LOCALE)
    book.save(path)
    merges_before = read_merge_log(read_sheet_rows(path, schema.MERGE_LOG)).ids()

    result = CliRunner().invoke(cli, [command, str(path), "--keep-backups", "0"])

    assert result.exit_code == 0, result.output
    assert len(read_merge_log(read_sheet_rows(path, schema.MERGE_LOG)).ids()) == len(merges_before) + 1
    assert all(client_id in result.output for client_id in pair), result.output
    refresh(path, TODAY + dt.timedelta(days=2))  # a refresh after a refresh rewrites them protected again
    for sheet in load_workbook(path).worksheets:
        assert sheet.protection.sheet is sheet.title.startswith(schema.REPORT_MARKER), sheet.title


def test_a_pair_kept_apart_keeps_its_decision_open_to_typing(refreshed: Path, tmp_path: Path) -> None:
    path = copy_of(refreshed, tmp_path)
    (first, *_) = decision_rows(path)
    book = load_workbook(path)
    book[schema.DUPLICATES.name(LOCALE)].cell(first, 1).value = schema.KEEP_APART.name(LOCALE)
    book.save(path)

    refresh(path, TODAY + dt.timedelta(days=1))

    duplicates = load_workbook(path)[schema.DUPLICATES.name(LOCALE)]
    kept = [duplicates[f"A{row}"] for row in decision_rows(path)]
    assert [cell.value for cell in kept] == [schema.KEEP_APART.name(LOCALE)]  # now under "kept apart"
    assert not kept[0].protection.locked  # typing "merge" over it merges the pair after all


def test_protected_report_sheets_are_read_back(refreshed: Path, tmp_path: Path) -> None:
    path = copy_of(refreshed, tmp_path)
    data = read_workbook(path)
    for spec in (schema.BLOCK_HISTORY, schema.DUPLICATES, schema.MERGE_LOG):
        assert data.report_rows[spec.key], spec.key
    history = read_history(data.report_rows[schema.BLOCK_HISTORY.key])
    assert history.snapshots  # the next refresh sees who moved between blocks
    merge_id = read_merge_log(read_sheet_rows(path, schema.MERGE_LOG)).ids()[0]

    result = CliRunner().invoke(cli, ["unmerge", str(path), merge_id, "--keep-backups", "0"])

    assert result.exit_code == 0, result.output
    assert merge_id not in read_merge_log(read_sheet_rows(path, schema.MERGE_LOG)).ids()


def test_the_protected_workbook_opens_in_libreoffice_and_calamine(refreshed: Path, tmp_path: Path) -> None:
    convert_with_libreoffice(refreshed, "pdf", tmp_path / "pdf")
    book = CalamineWorkbook.from_path(str(refreshed))
    for name in book.sheet_names:
        assert book.get_sheet_by_name(name).to_python(), name


def test_protection_survives_a_save_in_libreoffice_and_the_next_refresh(refreshed: Path, tmp_path: Path) -> None:
    saved = convert_with_libreoffice(refreshed, "xlsx", tmp_path / "saved")
    rows = decision_rows(saved)
    book = load_workbook(saved)
    for sheet in book.worksheets:
        assert sheet.protection.sheet is sheet.title.startswith(schema.REPORT_MARKER), sheet.title
    duplicates = book[schema.DUPLICATES.name(LOCALE)]
    assert rows and not any(duplicates[f"A{row}"].protection.locked for row in rows)

    refresh(saved, TODAY + dt.timedelta(days=1))


def sheet_values(path: Path, name: str) -> list[tuple[object, ...]]:
    book = load_workbook(path, read_only=True)
    try:
        return list(book[name].iter_rows(values_only=True))
    finally:
        book.close()


def test_a_user_sheet_the_owner_protected_is_written_and_keeps_its_protection(tmp_path: Path) -> None:
    open_sheet, protected = tmp_path / "open.xlsx", tmp_path / "protected.xlsx"
    create_demo(open_sheet, clients=20, seed=2, locale=LOCALE, today=TODAY)
    clients = schema.CLIENTS.name(LOCALE)
    book = load_workbook(open_sheet)
    book[clients].protection.sheet = True
    book[clients].protection.password = "owner-only"
    book.save(protected)
    protection_before = worksheet_xml(protected)[clients].find(f"{MAIN_NS}sheetProtection")
    assert protection_before is not None

    refresh(open_sheet)
    refresh(protected)

    computed = schema.REPORT_MARKER + schema.CLIENT_COMPUTED_COLUMNS[0].name(LOCALE)
    assert computed in sheet_values(protected, clients)[0]
    assert sheet_values(protected, clients) == sheet_values(open_sheet, clients)  # written as if open
    protection_after = worksheet_xml(protected)[clients].find(f"{MAIN_NS}sheetProtection")
    assert protection_after is not None and dict(protection_after.attrib) == dict(protection_before.attrib)
