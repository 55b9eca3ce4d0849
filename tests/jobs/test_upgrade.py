"""``xlcrm init --upgrade``: an older workbook gains the template's missing sheets, columns and settings, and keeps
every cell, style and part it has."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter, range_boundaries

import xlcrm
from tests.test_bad_inputs import excel_lock, libreoffice_lock
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.segment_help import example_segments
from xlcrm.files.encryption import PASSWORD_ENV, decrypt, encrypt, is_encrypted
from xlcrm.files.safe_save import BACKUP_FOLDER, SaveOptions
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.upgrade import UpgradeResult, upgrade_workbook
from xlcrm.jobs.validate import validate_workbook

TODAY = dt.date(2026, 11, 23)
FOREIGN_MACROS = Path(__file__).parents[1] / "data" / "foreign" / "excel" / "xlsxwriter_macro01.xlsm"
SOFFICE = shutil.which("soffice")
PASSWORD = "Пароль 2026!"
# The Settings keys whose rows the old workbook lacks (their cells emptied), and its Settings columns from
# Reasons lost on (the lists, holidays and segments a later template added).
REMOVED_KEYS = ("contract_end_days", "dedupe_review_limit")
# The duplicate settings the old workbook has as points, in the rows of those that replaced them: key, Setting,
# Value and Description as the template before match probability wrote them.
RETIRED_ROWS = {
    "dedupe_auto_probability": (
        "dedupe_auto_score",
        "Объединять дубли от оценки",
        80,
        "Оценка сходства (1-100), начиная с которой дубли объединяются без вопросов.",
    ),
    "dedupe_review_probability": (
        "dedupe_review_score",
        "Проверять дубли от оценки",
        50,
        "Оценка сходства (1-100), начиная с которой пара попадает на лист «Дубли» на проверку.",
    ),
}
# What an upgrade gives the old workbook's Settings, in the schema's order.
UPGRADED_KEYS = ["contract_end_days", "dedupe_auto_probability", "dedupe_review_probability", "dedupe_review_limit"]
FIRST_REMOVED_SETTINGS_COLUMN = 9
LOST_REASONS_NAME = schema.LIST_DEFINED_NAMES["lost_reasons"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def old_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Russian demo as an older template made it: no Contracts sheet, no Reason lost on Clients (its table
    shrunk with it), no Settings columns from Reasons lost on, two settings without rows and the duplicate
    settings in points."""
    folder = tmp_path_factory.mktemp("old")
    path = folder / "old.xlsx"
    create_demo(path, clients=20, seed=1, locale="ru", today=TODAY)
    book = openpyxl.load_workbook(path)
    book.remove(book[schema.CONTRACTS.ru])
    settings = book[schema.SETTINGS.ru]
    settings.delete_cols(FIRST_REMOVED_SETTINGS_COLUMN, settings.max_column)
    for row in settings.iter_rows(min_row=2):
        if row[0].value in REMOVED_KEYS:
            for cell in row[:4]:
                cell.value = None
        for cell, old in zip(row[:4], RETIRED_ROWS.get(str(row[0].value), ())):
            cell.value = old
    clients = book[schema.CLIENTS.ru]
    reason = [cell.value for cell in clients[1]].index(schema.CLIENTS.column("lost_reason").ru) + 1
    clients.delete_cols(reason)
    # Its dropdown went with it (openpyxl would leave it on the column that moved into its place).
    clients.data_validations.dataValidation = [
        v for v in clients.data_validations.dataValidation if v.formula1 != LOST_REASONS_NAME
    ]
    table = next(iter(clients.tables.values()))
    first_column, first_row, last_column, last_row = range_boundaries(table.ref)
    table.ref = f"A{first_row}:{get_column_letter(last_column - 1)}{last_row}"
    assert table.autoFilter is not None
    table.autoFilter.ref = table.ref
    del table.tableColumns[reason - 1]
    for number, column in enumerate(table.tableColumns, start=1):
        column.id = number
    book.save(path)
    return path


@pytest.fixture()
def workbook(old_workbook: Path, tmp_path: Path) -> Path:
    path = tmp_path / "clients.xlsx"
    shutil.copyfile(old_workbook, path)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["init", "--upgrade", *args])
    return result.exit_code, result.output


def upgrade_json(path: Path, *args: str) -> dict[str, object]:
    code, output = run(str(path), "--json", *args)
    assert code == 0, output
    answer: dict[str, object] = json.loads(output)
    return answer


def cell_looks(cell: openpyxl.cell.cell.Cell) -> tuple[object, ...]:
    return (
        cell.value,
        cell.number_format,
        repr(cell.font),
        repr(cell.fill),
        repr(cell.border),
        repr(cell.alignment),
        repr(cell.protection),
    )


def assert_cells_kept(
    before: Path, after: Path, added: dict[str, set[str]], rewritten: dict[str, set[str]] | None = None
) -> None:
    """Every cell of every sheet of ``before`` is in ``after`` with its value, formula and style; the only other
    cells of those sheets are ``added`` (sheet -> cell references); the cells ``rewritten`` (a retired setting's row
    swapped for the new one's) keep their style."""
    old, new = openpyxl.load_workbook(before), openpyxl.load_workbook(after)
    for sheet in old.worksheets:
        kept = new[sheet.title]
        for row in sheet.iter_rows():
            for cell in row:
                if cell.coordinate in added.get(sheet.title, set()):
                    assert cell.value is None, f"{sheet.title}!{cell.coordinate} was written over"
                    continue
                if cell.coordinate in (rewritten or {}).get(sheet.title, set()):
                    assert cell_looks(kept[cell.coordinate])[1:] == cell_looks(cell)[1:], cell.coordinate
                    continue
                assert cell_looks(kept[cell.coordinate]) == cell_looks(cell), f"{sheet.title}!{cell.coordinate}"
        old_cells = {cell.coordinate for row in sheet.iter_rows() for cell in row if cell.value is not None}
        new_cells = {cell.coordinate for row in kept.iter_rows() for cell in row if cell.value is not None}
        assert new_cells - old_cells == added.get(sheet.title, set()), sheet.title
        assert {k: (d.width, d.hidden) for k, d in sheet.column_dimensions.items()}.items() <= {
            k: (d.width, d.hidden) for k, d in kept.column_dimensions.items()
        }.items()


def parts_kept(before: Path, after: Path) -> set[str]:
    """The zip entries of ``before`` that ``after`` holds byte for byte."""
    with zipfile.ZipFile(before) as old, zipfile.ZipFile(after) as new:
        names = set(new.namelist())
        return {name for name in old.namelist() if name in names and old.read(name) == new.read(name)}


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> its worksheet part."""
    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    targets = {
        attribute(tag, "Id"): "xl/" + attribute(tag, "Target").removeprefix("/xl/")
        for tag in re.findall(r"<Relationship [^>]*>", rels)
    }
    return {attribute(tag, "name"): targets[attribute(tag, "r:id")] for tag in re.findall(r"<sheet [^>]*>", book)}


def attribute(tag: str, name: str) -> str:
    found = re.search(rf'\s{re.escape(name)}="([^"]*)"', tag)
    assert found is not None, tag
    return found.group(1)


def test_an_old_workbook_gains_the_contracts_sheet_columns_and_settings_and_keeps_every_cell(
    old_workbook: Path, workbook: Path
) -> None:
    answer = upgrade_json(workbook)

    assert answer["sheets"] == [schema.CONTRACTS.ru]
    columns = {(c["sheet"], c["header"]): c for c in answer["columns"]}  # type: ignore[union-attr, index]
    assert (schema.CLIENTS.ru, "Причина ухода") in columns
    assert columns[(schema.SETTINGS.ru, "Причины ухода")]["values"] == len(schema.DEFAULT_LOST_REASONS)
    assert {(schema.SETTINGS.ru, header) for header in ("Праздник", "Сегмент", "Условие сегмента")} <= set(columns)
    # The two segment columns come with the template's example segments, so ▸ Сегменты has something to show.
    examples = len(example_segments("ru"))
    assert (
        columns[(schema.SETTINGS.ru, "Сегмент")]["values"]
        == columns[(schema.SETTINGS.ru, "Условие сегмента")]["values"]
        == examples
        > 0
    )
    assert [item["key"] for item in answer["settings"]] == UPGRADED_KEYS  # type: ignore[union-attr, index]
    assert answer["backup"] is not None

    # Every cell of every original sheet as it was; new cells only where the result says.
    added: dict[str, set[str]] = {}
    for column in columns.values():
        letter = str(column["cell"]).rstrip("0123456789")
        cells = {f"{letter}{row}" for row in range(1, 2 + int(column["values"]))}
        added.setdefault(str(column["sheet"]), set()).update(cells)
    rewritten: dict[str, set[str]] = {schema.SETTINGS.ru: set()}
    for item in answer["settings"]:  # type: ignore[union-attr]
        cells = {f"{letter}{item['row']}" for letter in "ABCD"}  # type: ignore[index]
        (rewritten if item["replaces"] else added)[schema.SETTINGS.ru] |= cells  # type: ignore[index]
    assert_cells_kept(old_workbook, workbook, added, rewritten)

    # Every part of the sheets without new columns, and everything else not about the sheet list, byte for byte.
    parts = sheet_parts(old_workbook)
    changed = {parts[schema.CLIENTS.ru], parts[schema.SETTINGS.ru]}
    expected_changes = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "docProps/app.xml"}
    with zipfile.ZipFile(old_workbook) as archive:
        original = set(archive.namelist())
    clients_table = {name for name in original if name.startswith("xl/tables/")} & _tables_of(
        old_workbook, parts[schema.CLIENTS.ru]
    )
    assert original - parts_kept(old_workbook, workbook) <= changed | expected_changes | clients_table | {
        "xl/styles.xml"
    }
    for name in (schema.CONTACTS.ru, schema.SERVICES.ru, schema.INTERACTIONS.ru, schema.HOW_TO.ru):
        assert parts[name] in parts_kept(old_workbook, workbook)

    new = openpyxl.load_workbook(workbook)
    # The Contracts sheet after the last sheet of data, before Settings, laid out as the template lays it out.
    assert new.sheetnames.index(schema.CONTRACTS.ru) == new.sheetnames.index(schema.INTERACTIONS.ru) + 1
    assert new.sheetnames.index(schema.SETTINGS.ru) == new.sheetnames.index(schema.CONTRACTS.ru) + 1
    contracts = new[schema.CONTRACTS.ru]
    assert [cell.value for cell in contracts[1]] == [column.ru for column in schema.CONTRACTS.columns]
    assert contracts["A1"].font.b and contracts["A1"].fill.fgColor.rgb.endswith("4472C4")
    assert contracts.freeze_panes == "A2"
    assert dict(contracts.tables.items()) == {"Договоры": "A1:K2"}
    lists = {str(v.sqref): v.formula1 for v in contracts.data_validations.dataValidation}
    assert lists["J2:J1048576"] == '"Проект,Действует,Закрыт"'
    assert lists["B2:B1048576"] == schema.CLIENT_IDS_NAME
    # The list of its own ContractIDs behind Parent contract comes with it, pointing at the new sheet.
    assert lists["I2:I1048576"] == schema.CONTRACT_IDS_NAME
    assert f"{schema.CONTRACTS.ru}!$A$1" in str(new.defined_names[schema.CONTRACT_IDS_NAME].attr_text)
    assert contracts.column_dimensions["D"].number_format == "DD.MM.YYYY"
    # The new Clients column: looks like its neighbours, inside the table.
    clients = new[schema.CLIENTS.ru]
    cell = str(columns[(schema.CLIENTS.ru, "Причина ухода")]["cell"])
    assert cell_looks(clients[cell])[1:] == cell_looks(clients["A1"])[1:]
    table = next(iter(clients.tables.values()))
    assert table.ref.split(":")[1].startswith(cell.rstrip("1"))
    assert table.tableColumns[-1].name == "Причина ухода"
    settings = new[schema.SETTINGS.ru]
    row = [c.value for c in settings[answer["settings"][0]["row"]]][:4]  # type: ignore[index]
    assert row[0] == "contract_end_days" and row[2] == schema.setting("contract_end_days").default


def validations(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[tuple[object, ...]]:
    """The data validations of a sheet: what each checks, where, and what it says."""
    return [
        (v.type, str(v.sqref), v.formula1, v.formula2, v.errorStyle, v.errorTitle, v.error, v.prompt)
        for v in sheet.data_validations.dataValidation
    ]


def test_the_new_reason_lost_column_gets_the_dropdown_of_the_lost_reasons(old_workbook: Path, workbook: Path) -> None:
    answer = upgrade_json(workbook)

    assert answer["left_out"] == []
    cell = next(c["cell"] for c in answer["columns"] if c["header"] == "Причина ухода")  # type: ignore[union-attr, index]
    letter = str(cell).rstrip("1")
    old = validations(openpyxl.load_workbook(old_workbook)[schema.CLIENTS.ru])
    new = validations(openpyxl.load_workbook(workbook)[schema.CLIENTS.ru])
    # The sheet's own dropdowns and checks as they were, the new one after them, over the template's rows.
    assert new[: len(old)] == old and len(new) == len(old) + 1
    kind, cells, formula, *_, error_title, error, _ = new[-1]
    assert (kind, cells, formula) == ("list", f"{letter}2:{letter}1048576", LOST_REASONS_NAME)
    assert error_title == "Нет в списке" and "Причины ухода" in str(error)
    # Byte for byte: the sheet's own validations as written, and the new one's count.
    written = [_validation_xml(path) for path in (old_workbook, workbook)]
    assert written[1][: len(old)] == written[0] and len(written[1]) == len(new)
    with zipfile.ZipFile(workbook) as archive:
        part = archive.read(sheet_parts(workbook)[schema.CLIENTS.ru]).decode()
    assert f'<dataValidations count="{len(new)}">' in part


def _validation_xml(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        part = archive.read(sheet_parts(path)[schema.CLIENTS.ru]).decode()
    return re.findall(r"<dataValidation .*?</dataValidation>", part, re.S)


def test_a_list_the_workbook_does_not_name_gets_its_defined_name(old_workbook: Path, tmp_path: Path) -> None:
    path = tmp_path / "unnamed.xlsx"
    book = openpyxl.load_workbook(old_workbook)
    del book.defined_names[LOST_REASONS_NAME]
    book.save(path)

    answer = upgrade_json(path)

    reasons = next(c["cell"] for c in answer["columns"] if c["header"] == "Причины ухода")  # type: ignore[union-attr, index]
    letter = str(reasons).rstrip("1")
    new = openpyxl.load_workbook(path)
    formula = str(new.defined_names[LOST_REASONS_NAME].attr_text)
    assert formula.startswith(f"{schema.SETTINGS.ru}!${letter}$2:INDEX(")
    assert validations(new[schema.CLIENTS.ru])[-1][2] == LOST_REASONS_NAME


def test_without_settings_the_copied_settings_sheet_brings_the_list_of_the_new_dropdown(
    old_workbook: Path, tmp_path: Path
) -> None:
    path = tmp_path / "no-settings.xlsx"
    book = openpyxl.load_workbook(old_workbook)
    book.remove(book[schema.SETTINGS.ru])
    for name in [name for name, item in book.defined_names.items() if schema.SETTINGS.ru in str(item.attr_text)]:
        del book.defined_names[name]
    book.save(path)

    answer = upgrade_json(path)

    assert schema.SETTINGS.ru in answer["sheets"]  # type: ignore[operator]
    new = openpyxl.load_workbook(path)
    assert validations(new[schema.CLIENTS.ru])[-1][2] == LOST_REASONS_NAME
    assert f"{schema.SETTINGS.ru}!$" in str(new.defined_names[LOST_REASONS_NAME].attr_text)


def test_a_yes_no_setting_added_as_a_row_gets_the_yes_no_dropdown(old_workbook: Path, tmp_path: Path) -> None:
    path = tmp_path / "no-consent.xlsx"
    book = openpyxl.load_workbook(old_workbook)
    settings = book[schema.SETTINGS.ru]
    for row in settings.iter_rows(min_row=2):
        if row[0].value == "consent_required":
            for cell in row[:4]:
                cell.value = None
    book.save(path)

    answer = upgrade_json(path)

    row = next(item["row"] for item in answer["settings"] if item["key"] == "consent_required")  # type: ignore[union-attr, index]
    settings = openpyxl.load_workbook(path)[schema.SETTINGS.ru]
    assert settings[f"C{row}"].value == "Да"
    found = [v for v in settings.data_validations.dataValidation if f"C{row}" in v.sqref]
    assert [(v.type, v.formula1) for v in found] == [("list", '"Да,Нет"')]


def _tables_of(path: Path, sheet_part: str) -> set[str]:
    folder, name = sheet_part.rsplit("/", 1)
    with zipfile.ZipFile(path) as archive:
        rels = archive.read(f"{folder}/_rels/{name}.rels").decode()
    return {"xl/tables/" + target.rsplit("/", 1)[1] for target in re.findall(r'Target="([^"]*tables/[^"]+)"', rels)}


def test_the_upgraded_workbook_validates_refreshes_and_needs_no_second_upgrade(
    old_workbook: Path, workbook: Path, tmp_path: Path
) -> None:
    findings_before = {(f.code, f.cell) for f in validate_workbook(old_workbook, TODAY).findings}
    upgrade_workbook(workbook)

    findings = validate_workbook(workbook, TODAY).findings
    new_findings = {(f.code, f.cell) for f in findings} - findings_before
    assert not [f for f in findings if f.sheet == schema.CONTRACTS.ru or re.search(r"![A-Z]+1$", f.cell)]
    # Only the Lost clients, whose reason the new column now asks for, are new.
    assert {code.value for code, _ in new_findings} <= {"lost-without-reason"}

    before = sha(workbook)
    backups = sorted((workbook.parent / BACKUP_FOLDER).iterdir())
    again = upgrade_workbook(workbook)
    assert again.nothing_to_add and again.save is None
    assert sha(workbook) == before
    assert sorted((workbook.parent / BACKUP_FOLDER).iterdir()) == backups
    code, output = run(str(workbook))
    assert code == 0 and ("добавлять нечего" in output or "nothing to add" in output)

    refreshed = tmp_path / "refreshed.xlsx"
    result = refresh_workbook(workbook, today=TODAY, save=SaveOptions(output=refreshed))
    assert result.save is not None and refreshed.exists()


def test_dry_run_lists_what_would_be_added_and_writes_nothing(workbook: Path) -> None:
    before = sha(workbook)
    answer = upgrade_json(workbook, "--dry-run")
    assert answer["dry_run"] is True and answer["sheets"] == [schema.CONTRACTS.ru]
    assert answer["backup"] is None
    assert sha(workbook) == before
    assert not (workbook.parent / BACKUP_FOLDER).exists()
    code, output = run(str(workbook), "--dry-run")
    assert code == 0
    assert f"лист {schema.CONTRACTS.ru}" in output
    assert "Причина ухода" in output and "contract_end_days" in output


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_upgraded_workbook(workbook: Path, tmp_path: Path) -> None:
    upgrade_workbook(workbook)
    out = tmp_path / "pdf"
    subprocess.run(
        [
            str(SOFFICE),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    assert (out / "clients.pdf").stat().st_size > 0


def test_a_foreign_macro_workbook_keeps_its_macros_and_parts(tmp_path: Path) -> None:
    path = tmp_path / "macros.xlsm"
    shutil.copyfile(FOREIGN_MACROS, path)
    result = upgrade_workbook(path)

    assert set(result.sheets) == {schema.CONTACTS.ru, schema.SERVICES.ru, schema.CONTRACTS.ru}
    kept = parts_kept(FOREIGN_MACROS, path)
    parts = sheet_parts(FOREIGN_MACROS)
    touched = {parts[name] for name in {column.sheet for column in result.columns}}
    structure = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
    with zipfile.ZipFile(FOREIGN_MACROS) as archive:
        assert set(archive.namelist()) - kept <= touched | structure
    assert "xl/vbaProject.bin" in kept
    assert_cells_kept(FOREIGN_MACROS, path, _added_cells(result))
    assert not validate_workbook(path, TODAY).errors
    before = sha(path)
    assert upgrade_workbook(path).nothing_to_add and sha(path) == before


def _added_cells(result: UpgradeResult) -> dict[str, set[str]]:
    """The cells the upgrade wrote on sheets the workbook had: headers, list values and settings rows."""
    added: dict[str, set[str]] = {}
    book = openpyxl.load_workbook(result.path)
    for column in result.columns:
        letter = column.cell.rstrip("0123456789")
        sheet = book[column.sheet]
        added.setdefault(column.sheet, set()).update(
            f"{letter}{row}" for row in range(1, sheet.max_row + 1) if sheet[f"{letter}{row}"].value is not None
        )
    settings = book[schema.SETTINGS.ru]
    for item in result.settings:
        # A blank value (None) is not written; a date is read back as a datetime.
        value = dt.datetime.combine(item.value, dt.time()) if isinstance(item.value, dt.date) else item.value
        written = {item.key, item.label, value, schema.setting(item.key).description("ru")} - {None}
        added[schema.SETTINGS.ru] |= {
            f"{get_column_letter(c.column)}{item.row}" for c in settings[item.row] if c.value in written
        }
    return added


def test_a_renamed_sheet_is_not_added_twice(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    book.create_sheet("Наши договоры").append([column.ru for column in schema.CONTRACTS.columns])
    book.save(workbook)
    result = upgrade_workbook(workbook, dry_run=True)
    assert schema.CONTRACTS.ru not in result.sheets
    assert any("Наши договоры" in str(reason) for reason in result.left_out)


def test_a_settings_row_in_the_way_leaves_the_setting_out(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    settings = book[schema.SETTINGS.ru]
    last = max(cell.row for cell in settings["A"] if cell.value)
    settings.cell(last + 2, 4).value = "моя заметка"
    book.save(workbook)
    result = upgrade_workbook(workbook)
    # The row after the last setting goes to the first setting added; the one below is taken. The duplicate
    # settings in points are swapped in their rows.
    assert [item.key for item in result.settings] == UPGRADED_KEYS[:-1]
    assert [str(reason) for reason in result.left_out if "dedupe_review_limit" in str(reason)]
    assert openpyxl.load_workbook(workbook)[schema.SETTINGS.ru].cell(last + 2, 4).value == "моя заметка"


# --- bad inputs ----------------------------------------------------------------------------


def without_clients(folder: Path) -> Path:
    path = folder / "clients.xlsx"
    create_demo(path, clients=10, seed=1, locale="ru", today=TODAY)
    book = openpyxl.load_workbook(path)
    book[schema.CLIENTS.ru].title = "Люди"
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("make", "words", "exit_code"),
    [
        (lambda folder: folder / "missing.xlsx", ("missing.xlsx",), 1),
        (lambda folder: _text_file(folder), ("notes.xlsx",), 1),
        (lambda folder: Path(excel_lock(folder)[0]), ("open in Excel", "Anna Smirnova"), 1),
        (lambda folder: Path(libreoffice_lock(folder)[0]), ("open in LibreOffice", "Ivan Petrov"), 1),
        (without_clients, ("Клиенты", "Люди", "not changed"), 1),
    ],
    ids=["missing file", "not a workbook", "locked by Excel", "locked by LibreOffice", "Clients renamed"],
)
def test_bad_inputs_get_one_message_and_leave_the_file_as_it_was(
    tmp_path: Path, make: object, words: tuple[str, ...], exit_code: int
) -> None:
    path: Path = make(tmp_path)  # type: ignore[operator]
    before = sha(path) if path.exists() else None
    backups = backups_in(tmp_path)
    result = CliRunner().invoke(cli, ["--lang", "en", "init", "--upgrade", str(path)])
    assert result.exit_code == exit_code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.output
    for word in words:
        assert word in errors[0]
    assert (sha(path) if path.exists() else None) == before
    assert backups_in(tmp_path) == backups


def backups_in(folder: Path) -> list[Path]:
    backups = folder / BACKUP_FOLDER
    return sorted(backups.iterdir()) if backups.exists() else []


def _text_file(folder: Path) -> Path:
    path = folder / "notes.xlsx"
    path.write_text("name;phone\nIvan;123\n", encoding="utf-8")
    return path


def test_force_and_upgrade_together_is_a_usage_error(workbook: Path) -> None:
    before = sha(workbook)
    result = CliRunner().invoke(cli, ["init", "--upgrade", "--force", str(workbook)])
    assert result.exit_code == 2
    assert sha(workbook) == before


def test_a_password_protected_workbook_is_upgraded_and_stays_protected(old_workbook: Path, tmp_path: Path) -> None:
    path = tmp_path / "protected.xlsx"
    encrypt(old_workbook, path, PASSWORD)
    result = CliRunner(env={PASSWORD_ENV: PASSWORD}).invoke(cli, ["init", "--upgrade", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sheets"] == [schema.CONTRACTS.ru]
    assert is_encrypted(path)
    plain = tmp_path / "plain" / "clients.xlsx"
    plain.parent.mkdir()
    plain.write_bytes(decrypt(path, PASSWORD))
    assert schema.CONTRACTS.ru in openpyxl.load_workbook(plain).sheetnames

    before = sha(path)
    again = CliRunner(env={PASSWORD_ENV: PASSWORD}).invoke(cli, ["init", "--upgrade", str(path), "--json"])
    assert again.exit_code == 0 and json.loads(again.output)["nothing_to_add"] is True
    assert sha(path) == before
    refused = CliRunner(env={}).invoke(cli, ["--lang", "en", "init", "--upgrade", str(path)])
    assert refused.exit_code == 1 and "password" in refused.output
    assert sha(path) == before


def test_the_json_of_the_command_is_the_library_result(old_workbook: Path, tmp_path: Path) -> None:
    folders = {how: tmp_path / how for how in ("cli", "library")}
    for folder in folders.values():
        folder.mkdir()
        shutil.copyfile(old_workbook, folder / "clients.xlsx")
    printed = upgrade_json(folders["cli"] / "clients.xlsx", "--dry-run")
    library = xlcrm.upgrade_workbook(folders["library"] / "clients.xlsx", dry_run=True).to_dict()
    assert printed == json.loads(json.dumps(library, default=str).replace(str(folders["library"]), str(folders["cli"])))


def test_a_settings_sheet_without_the_setting_column_gets_it_with_each_settings_name(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    book[schema.SETTINGS.ru].delete_cols(2)  # the Setting column of people's names, which older templates lacked
    book.save(workbook)

    result = upgrade_workbook(workbook)

    (label,) = [column for column in result.columns if column.header == schema.SETTINGS.column("label").ru]
    settings = openpyxl.load_workbook(workbook)[schema.SETTINGS.ru]
    letter = label.cell.rstrip("1")
    named = {row[0].row: row[0].value for row in settings.iter_rows(min_row=2) if row[0].value}
    assert label.values == len(named) - len(result.settings)
    for row, key in named.items():
        assert settings[f"{letter}{row}"].value == schema.setting(key).label("ru")


def test_a_new_column_goes_right_of_a_column_of_formulas_whose_results_were_never_saved(workbook: Path) -> None:
    """openpyxl saves formulas without their results, so a read sees a blank column where one of the owner's
    formulas stands past the last header: the added column goes right of it, and the formula stays."""
    book = openpyxl.load_workbook(workbook)
    clients = book[schema.CLIENTS.ru]
    beyond = clients.max_column + 2  # one blank column, then the owner's formulas, without a header
    for row in range(2, 6):
        clients.cell(row, beyond, f"=LEN(B{row})")
    book.save(workbook)

    answer = upgrade_json(workbook, "--today", TODAY.isoformat())

    added = [column for column in answer["columns"] if column["sheet"] == schema.CLIENTS.ru]  # type: ignore[union-attr]
    assert added and added[0]["cell"] == f"{get_column_letter(beyond + 1)}1"  # type: ignore[index]
    saved = openpyxl.load_workbook(workbook)[schema.CLIENTS.ru]
    assert [saved.cell(row, beyond).value for row in range(2, 6)] == [f"=LEN(B{row})" for row in range(2, 6)]
