"""xlcrm refresh upgrades the highlight of Next dates that older versions wrote (every past date red) to the
template's (only open plans), once, on the column where the user's sheet has it; everything else stays."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from openpyxl import load_workbook
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill

from tests.builders import record_rows, sheets_from_records, valid_records, write_workbook
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create import template
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.xlsx.refs import column_letter

LOCALE = "en"
TODAY = dt.date(2026, 11, 23)
INTERACTIONS = schema.INTERACTIONS.en
# Interactions with its columns in another order than the template's: Next date first, Date last.
MOVED = ["next_date", "client_id", "type", "amount", "next_action", "date"] + [
    c.key
    for c in schema.INTERACTIONS.columns
    if c.key not in ("next_date", "client_id", "type", "amount", "next_action", "date")
]
OLD_OVERDUE = "AND(ISNUMBER({cell}),{cell}<TODAY())"
OLD_DUE_TODAY = "AND(ISNUMBER({cell}),{cell}=TODAY())"
RED = {"font": Font(color="9C0006"), "fill": PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")}
YELLOW = {"font": Font(color="9C5700"), "fill": PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")}
GREEN = {"font": Font(color="006100"), "fill": PatternFill("solid", start_color="C6EFCE", end_color="C6EFCE")}
USERS_FILL = PatternFill("solid", start_color="BDD7EE", end_color="BDD7EE")
LAST_ROW = 1_048_576
RED_RGB = ("009C0006", "00FFC7CE")  # as openpyxl writes the colours of the template's looks
YELLOW_RGB = ("009C5700", "00FFEB9C")


def letters_of(path: Path, sheet: str, spec: schema.Sheet) -> dict[str, str]:
    book = load_workbook(path, read_only=True)
    try:
        header = next(book[sheet].iter_rows(max_row=1, values_only=True))
    finally:
        book.close()
    names = {column.name(LOCALE): column.key for column in spec.columns}
    return {names[str(value)]: column_letter(index) for index, value in enumerate(header) if str(value) in names}


def old_workbook(
    path: Path, columns: list[str] | None = None, overdue: str = OLD_OVERDUE, due_today: str | None = OLD_DUE_TODAY
) -> Path:
    """A workbook as an older xlcrm made it: the two Next date rules of old, the birthday rule on Clients, and
    a rule of the user's own on Interactions' Amount."""
    records = valid_records(LOCALE)
    sheets = sheets_from_records(LOCALE, records)
    if columns is not None:
        sheets[INTERACTIONS] = record_rows(schema.INTERACTIONS, LOCALE, records["interactions"], columns)
    write_workbook(path, sheets)
    letters = letters_of(path, INTERACTIONS, schema.INTERACTIONS)
    book = load_workbook(path)
    sheet = book[INTERACTIONS]
    next_date = letters["next_date"]
    cell = f"{next_date}2"
    dates = f"{next_date}2:{next_date}{LAST_ROW}"
    sheet.conditional_formatting.add(dates, FormulaRule(formula=[overdue.format(cell=cell)], stopIfTrue=True, **RED))
    if due_today is not None:
        rule = FormulaRule(formula=[due_today.format(cell=cell)], stopIfTrue=True, **YELLOW)
        sheet.conditional_formatting.add(dates, rule)
    amount = letters["amount"]
    sheet.conditional_formatting.add(
        f"{amount}2:{amount}500", CellIsRule(operator="greaterThan", formula=["1000"], fill=USERS_FILL)
    )
    birthday = letters_of(path, schema.CLIENTS.en, schema.CLIENTS)["birthday"]
    book[schema.CLIENTS.en].conditional_formatting.add(
        f"{birthday}2:{birthday}{LAST_ROW}",
        FormulaRule(
            formula=[f"AND(ISNUMBER({birthday}2),MONTH({birthday}2)=MONTH(TODAY()),DAY({birthday}2)=DAY(TODAY()))"],
            stopIfTrue=True,
            **GREEN,
        ),
    )
    book.save(path)
    return path


Rule = tuple[str, str, tuple[str, ...], str | None, str | None]


def rules(path: Path, sheet: str) -> list[Rule]:
    """(range, type, formulas, font colour, fill colour) of each conditional-format rule of a sheet."""
    book = load_workbook(path)
    found = []
    for formatting in book[sheet].conditional_formatting:
        for rule in formatting.rules:
            dxf = rule.dxf
            font = dxf.font.color.rgb if dxf is not None and dxf.font is not None else None
            fill = dxf.fill.fgColor.rgb if dxf is not None and dxf.fill is not None else None
            found.append((str(formatting.sqref), rule.type, tuple(rule.formula), font, fill))
    return found


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sheet_part(path: Path, name: str) -> str:
    """The zip entry of the worksheet ``name``."""
    book = load_workbook(path, read_only=True)
    try:
        position = book.sheetnames.index(name)
    finally:
        book.close()
    with zipfile.ZipFile(path) as archive:
        ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
        workbook = etree.fromstring(archive.read("xl/workbook.xml"))
        rel_id = workbook.findall("m:sheets/m:sheet", ns)[position].get(
            "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
        )
        rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        target = next(rel.get("Target", "") for rel in rels if rel.get("Id") == rel_id)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def without_formats(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for element in root.findall("{*}conditionalFormatting"):
        root.remove(element)
    return etree.tostring(root)


def defined_names(data: bytes) -> dict[str, str]:
    root = etree.fromstring(data)
    return {d.get("name", ""): d.text or "" for d in root.iter("{*}definedName") if d.get("localSheetId") is None}


def refresh(path: Path) -> bool:
    return refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0)).highlights_upgraded


@pytest.mark.parametrize("columns", [None, MOVED], ids=["template order", "columns moved"])
def test_the_old_rules_become_the_templates_and_nothing_else_changes(tmp_path: Path, columns: list[str] | None) -> None:
    old = old_workbook(tmp_path / "old.xlsx", columns)
    # The same file with the old red rule changed by its user, so not upgraded: the refresh does the rest alike.
    kept = tmp_path / "kept.xlsx"
    own = sheet_part(old, INTERACTIONS)
    with zipfile.ZipFile(old) as source, zipfile.ZipFile(kept, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == own:
                assert data.count(b"&lt;TODAY())") == 1
                data = data.replace(b"&lt;TODAY())", b"&lt;TODAY()-7)")
            target.writestr(item, data)
    interactions, clients = rules(old, INTERACTIONS), rules(old, schema.CLIENTS.en)
    letters = letters_of(old, INTERACTIONS, schema.INTERACTIONS)
    next_date, date = letters["next_date"], letters["date"]
    assert (next_date, date) == (("A", "F") if columns else ("J", "A"))

    assert refresh(old) and not refresh(kept)

    upgraded = [
        (f"{next_date}2:{next_date}{LAST_ROW}", "expression", (template.open_plan_formula("<=", letters),), *RED_RGB),
        (f"{next_date}2:{next_date}{LAST_ROW}", "expression", (template.open_plan_formula(">", letters),), *YELLOW_RGB),
    ]
    booked = (f"{date}2:{date}{LAST_ROW}", "expression", (template.booked_date_formula(letters),), *YELLOW_RGB)
    assert rules(old, INTERACTIONS) == upgraded + [interactions[2], booked]
    assert rules(old, schema.CLIENTS.en) == clients
    # The new formulas read the columns where this sheet has them, and the defined name of the Settings value.
    assert f"${date}:${date}" in upgraded[0][2][0] and f"${letters['client_id']}:" in upgraded[0][2][0]
    assert f"${next_date}2-{template.PLAN_EARLY_DAYS_NAME}" in upgraded[0][2][0]

    before, after = parts(kept), parts(old)
    assert before.keys() == after.keys()
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= {own, "xl/workbook.xml"}, changed
    assert without_formats(before[own]) == without_formats(after[own])
    names_before, names_after = defined_names(before["xl/workbook.xml"]), defined_names(after["xl/workbook.xml"])
    settings = schema.SETTINGS.en
    where = letters_of(old, settings, schema.SETTINGS)
    assert names_after == {
        **names_before,
        template.PLAN_EARLY_DAYS_NAME: template.plan_early_days_formula(LOCALE, settings, where),
    }
    # The old rules' looks are the template's: styles.xml gained nothing.
    assert before[own].count(b"<cfRule") + 1 == after[own].count(b"<cfRule")


def test_the_upgrade_keeps_every_cell_of_interactions_byte_for_byte(tmp_path: Path) -> None:
    path = old_workbook(tmp_path / "old.xlsx", MOVED)
    before = parts(path)
    refresh(path)
    after = parts(path)
    own = sheet_part(path, INTERACTIONS)
    cells = slice(None, before[own].index(b"</sheetData>"))
    assert after[own][cells] == before[own][cells]


@pytest.mark.parametrize(
    ("overdue", "due_today"),
    [
        ("AND(ISNUMBER({cell}),{cell}<=TODAY())", OLD_DUE_TODAY),  # changed by the user
        (OLD_OVERDUE, None),  # the due-today rule deleted
        (OLD_OVERDUE, "AND(ISNUMBER({cell}),{cell}=TODAY()+1)"),
    ],
    ids=["changed", "one deleted", "other changed"],
)
def test_rules_the_user_changed_or_deleted_are_kept(tmp_path: Path, overdue: str, due_today: str | None) -> None:
    path = old_workbook(tmp_path / "old.xlsx", overdue=overdue, due_today=due_today)
    before = rules(path, INTERACTIONS)
    assert not refresh(path)
    assert rules(path, INTERACTIONS) == before
    with zipfile.ZipFile(path) as archive:
        assert template.PLAN_EARLY_DAYS_NAME not in defined_names(archive.read("xl/workbook.xml"))


def test_a_second_refresh_changes_nothing(tmp_path: Path) -> None:
    path = old_workbook(tmp_path / "old.xlsx", MOVED)
    assert refresh(path)
    first = parts(path)
    first_rules = rules(path, INTERACTIONS)
    assert not refresh(path)
    second = parts(path)
    assert rules(path, INTERACTIONS) == first_rules
    own = sheet_part(path, INTERACTIONS)
    for name in (own, "xl/styles.xml"):
        assert second[name] == first[name], name
    # workbook.xml is written by every refresh (its report sheets' local names move about): its names stay.
    assert defined_names(second["xl/workbook.xml"]) == defined_names(first["xl/workbook.xml"])


def test_a_workbook_from_the_template_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "new.xlsx"
    template.build_workbook(LOCALE).save(path)
    before = rules(path, INTERACTIONS)
    assert not refresh(path)
    assert rules(path, INTERACTIONS) == before


def test_the_refresh_says_so_once(tmp_path: Path) -> None:
    path = old_workbook(tmp_path / "old.xlsx")
    args = ["refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "Highlighting of planned dates updated" in first.output
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert "Highlighting of planned dates" not in second.output


def test_a_dry_run_says_it_would_and_writes_nothing(tmp_path: Path) -> None:
    path = old_workbook(tmp_path / "old.xlsx")
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat(), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would update the highlighting of planned dates" in result.output
    assert path.read_bytes() == before


@pytest.mark.libreoffice
def test_libreoffice_opens_the_upgraded_workbook(tmp_path: Path) -> None:
    from tests.conftest import convert_with_libreoffice

    path = old_workbook(tmp_path / "old.xlsx", MOVED)
    assert refresh(path)
    saved = convert_with_libreoffice(path, "xlsx", tmp_path / "lo")
    formulas = [formula for _, _, found, _, _ in rules(saved, INTERACTIONS) for formula in found]
    assert sum("COUNTIFS" in formula for formula in formulas) == 2


@pytest.mark.libreoffice
def test_libreoffice_paints_the_upgraded_workbook_as_the_templates(tmp_path: Path) -> None:
    """The rows of the template's own paint test, in a workbook with the old rules: once refreshed, LibreOffice
    paints only open plans, as it does in a workbook made from today's template."""
    from tests.create import test_highlights as painted

    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.skip("pdftotext and pdftoppm (poppler) are not installed")
    book = template.build_workbook("en", rows={"interactions": painted.ROWS})
    settings = book[schema.SETTINGS.en]
    (row,) = [r for r in settings.iter_rows(min_row=2) if r[0].value == "plan_early_days"]
    row[painted.column_x(schema.SETTINGS, "value")].value = painted.EARLY_DAYS
    del book.defined_names[template.PLAN_EARLY_DAYS_NAME]
    sheet = book[INTERACTIONS]
    sheet.conditional_formatting = ConditionalFormattingList()
    next_date = column_letter(painted.column_x(schema.INTERACTIONS, "next_date"))
    for formula, look in ((OLD_OVERDUE, RED), (OLD_DUE_TODAY, YELLOW)):
        rule = FormulaRule(formula=[formula.format(cell=f"{next_date}2")], stopIfTrue=True, **look)
        sheet.conditional_formatting.add(f"{next_date}2:{next_date}{LAST_ROW}", rule)
    book.move_sheet(sheet, offset=-book.index(sheet))  # first, so page 1 of the PDF shows it
    path = tmp_path / "plans.xlsx"
    book.save(path)

    assert refresh_workbook(path, today=painted.TODAY, save=SaveOptions(keep_backups=0)).highlights_upgraded
    words, image = painted.rendered_page(path, tmp_path / "pdf")
    header = {text: x_min for x_min, _, _, _, text in words if text in ("ClientID", "Next")}
    colours: dict[str, dict[str, tuple[int, int, int]]] = {"date": {}, "next_date": {}}
    for x_min, y_min, x_max, y_max, text in words:
        if len(text) == 10 and text[2] == text[5] == ".":
            column = "next_date" if x_min >= header["Next"] - 1 else "date" if x_max <= header["ClientID"] else None
            if column:
                colours[column].setdefault(text, painted.background(image, (x_min, y_min, x_max, y_max)))
    assert colours["next_date"] == {
        **{painted.shown(d): painted.RED for d in painted.RED_NEXT_DATES},
        **{painted.shown(d): painted.YELLOW for d in painted.YELLOW_NEXT_DATES},
        **{painted.shown(d): painted.WHITE for d in painted.WHITE_NEXT_DATES},
    }
    yellow = {painted.shown(d) for d in painted.YELLOW_DATES}
    assert {text for text, colour in colours["date"].items() if colour != painted.WHITE} == yellow


def test_a_big_workbook_is_upgraded_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big workbook's edits of Interactions are written ahead in another process: the upgrade is the same."""
    from xlcrm.xlsx import reader

    small = old_workbook(tmp_path / "small.xlsx", MOVED)
    big = tmp_path / "big.xlsx"
    shutil.copy(small, big)
    assert refresh(small)
    monkeypatch.setattr(reader, "BIG_WORKBOOK_BYTES", 0)
    assert refresh(big)
    assert rules(big, INTERACTIONS) == rules(small, INTERACTIONS)
    own = sheet_part(big, INTERACTIONS)
    assert parts(big)[own] == parts(small)[own]
    assert defined_names(parts(big)["xl/workbook.xml"]) == defined_names(parts(small)["xl/workbook.xml"])


def test_a_sheet_read_cell_by_cell_is_upgraded_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Interactions read as columns keeps its rules in hand; read cell by cell, they are read from the part: the
    upgrade is the same."""
    from xlcrm.xlsx import reader

    as_columns = old_workbook(tmp_path / "columns.xlsx", MOVED)
    cell_by_cell = tmp_path / "cells.xlsx"
    shutil.copy(as_columns, cell_by_cell)
    assert refresh(as_columns)
    monkeypatch.setattr(reader, "read_grid", lambda path, sheet_name: None)
    assert refresh(cell_by_cell)
    assert (
        rules(cell_by_cell, INTERACTIONS)
        == rules(as_columns, INTERACTIONS)
        != rules(old_workbook(tmp_path / "old.xlsx", MOVED), INTERACTIONS)
    )
    own = sheet_part(as_columns, INTERACTIONS)
    assert parts(cell_by_cell)[own] == parts(as_columns)[own]


@pytest.mark.parametrize("read_as_columns", [True, False], ids=["as columns", "cell by cell"])
def test_rules_written_before_the_cells_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_as_columns: bool
) -> None:
    """Conditional formats stand after the cells in a sheet's XML; a file that writes them before (out of the
    schema's order) is not upgraded, whichever way Interactions is read, and keeps its rules as they were."""
    from xlcrm.xlsx import reader

    path = old_workbook(tmp_path / "old.xlsx", MOVED)
    own = sheet_part(path, INTERACTIONS)
    moved = parts(path)
    formats = b"".join(re.findall(rb"<conditionalFormatting.*?</conditionalFormatting>", moved[own], re.S))
    cells_first = re.sub(rb"<conditionalFormatting.*?</conditionalFormatting>", b"", moved[own], flags=re.S)
    moved[own] = cells_first.replace(b"<sheetData>", formats + b"<sheetData>", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in moved.items():
            archive.writestr(name, data)
    if not read_as_columns:
        monkeypatch.setattr(reader, "read_grid", lambda path, sheet_name: None)
    assert not refresh(path)
    assert template.PLAN_EARLY_DAYS_NAME not in defined_names(parts(path)["xl/workbook.xml"])
    assert parts(path)[own].split(b"<sheetData>")[0].count(b"<cfRule") == 3
