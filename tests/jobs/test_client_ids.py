"""Blank and repeated ClientIDs, as a user meets them: a client typed in by hand at the bottom of Clients gets the
next free ID from refresh, dedupe and import, in the same save, and is then a client like any other; an ID on two
rows counts for neither and is named once, with every cell, on the Problems sheet."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.builders import valid_records
from tests.paths import DATA
from xlcrm import schema
from xlcrm.checks.client_ids import id_sequence
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.dedupe import dedupe_workbook
from xlcrm.jobs.importing import import_rows
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render

TODAY = dt.date(2026, 11, 23)
NO_BACKUPS = SaveOptions(keep_backups=0)
COMPUTED = [schema.REPORT_MARKER + column.ru for column in schema.CLIENT_COMPUTED_COLUMNS]
CLIENTS_RU = schema.CLIENTS.ru
INSIDE_ROW, EMPTY_ROW, BELOW_ROW = 4, 5, 7  # Excel rows of Клиенты, see user_workbook


def user_workbook(folder: Path, *, extra_interactions: Sequence[dict[str, object]] = ()) -> Path:
    """The template with two clients, then edited as a user edits it: the table stretched by two rows (as Excel
    does when one types under it) with a new client typed into its first new row and the second left empty, and
    another new client typed on row 7, below the table after a blank row. Neither new client has a ClientID."""
    records = valid_records("ru")
    del records[schema.SETTINGS.key]  # the template writes its own Settings
    records[schema.INTERACTIONS.key] += list(extra_interactions)
    path = folder / "clients.xlsx"
    build_workbook("ru", records, {"managers": ["Анна", "Борис"]}).save(path)
    book = load_workbook(path)
    sheet = book[CLIENTS_RU]
    column = {c.key: index for index, c in enumerate(schema.CLIENTS.columns, start=1)}
    (table,) = sheet.tables.values()
    table.ref = table.ref.rstrip("0123456789") + str(EMPTY_ROW)  # A1:P3 -> A1:P5
    for row, values in (
        (INSIDE_ROW, {"name": "Иванов Иван Петрович", "company": "ООО «Вектор»", "phone": "+7 903 111-22-33"}),
        (
            BELOW_ROW,
            {
                "name": "Смирнова Анна",
                "phone": "8 (916) 555-44-33",
                "manager": "Анна",
                "consent_date": dt.datetime(2026, 1, 5),
            },
        ),
    ):
        for key, value in values.items():
            sheet.cell(row, column[key], value)
    book.save(path)
    return path


def cells(path: Path) -> dict[str, dict[str, object]]:
    """Every cell with a value, by sheet and reference."""
    book = load_workbook(path)
    try:
        return {
            sheet.title: {cell.coordinate: cell.value for row in sheet.iter_rows() for cell in row if cell.value}
            for sheet in book.worksheets
        }
    finally:
        book.close()


def computed(path: Path, row: int) -> dict[str, object]:
    """The computed columns of one Clients row, by header."""
    sheet = load_workbook(path)[CLIENTS_RU]
    headers = {cell.value: cell.column for cell in sheet[1]}
    return {header: sheet.cell(row, headers[header]).value for header in COMPUTED}


def dashboard_clients(path: Path) -> int:
    """The Total of the Clients column of the Dashboard's table of blocks."""
    sheet = load_workbook(path, data_only=True)[schema.DASHBOARD.name("ru")]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(rows) if schema.label("by_block", "ru") in row)
    header = rows[start + 1]
    total = next(row for row in rows[start + 2 :] if schema.label("total", "ru") in row)
    value = total[header.index(schema.label("clients", "ru"))]
    assert isinstance(value, int)
    return value


def user_cells(held: dict[str, object]) -> dict[str, object]:
    """The cells of the columns a user types in (A to P on Clients, before xlcrm's computed ones)."""
    return {ref: value for ref, value in held.items() if len(ref.rstrip("0123456789")) == 1 and ref[0] <= "P"}


def problems(path: Path) -> list[list[object]]:
    """The rows of the Problems sheet that name a cell of Clients."""
    rows = load_workbook(path, data_only=True)[schema.PROBLEMS.name("ru")].iter_rows(values_only=True)
    return [list(row) for row in rows if any(isinstance(v, str) and v.startswith(f"{CLIENTS_RU}!") for v in row)]


def assert_only_ids_and_computed_changed(before: dict[str, dict[str, object]], path: Path, ids: dict[str, str]) -> None:
    """Every cell of the user sheets as it was, but the ClientID cells ``ids`` and the computed columns."""
    after = cells(path)
    for name, held in before.items():
        shown = dict(after[name])
        if name == CLIENTS_RU:
            computed_letters = {ref.rstrip("0123456789") for ref, value in shown.items() if value in COMPUTED}
            shown = {ref: value for ref, value in shown.items() if ref.rstrip("0123456789") not in computed_letters}
            for ref, client_id in ids.items():
                assert shown.pop(ref) == client_id
        assert shown == held, name


# --- blank ClientIDs ---------------------------------------------------------------------------------------


def test_refresh_gives_clients_typed_in_by_hand_the_next_ids_in_the_same_save(tmp_path: Path) -> None:
    path = user_workbook(tmp_path)
    before = cells(path)
    style_above = load_workbook(path)[CLIENTS_RU]["A3"].number_format

    result = CliRunner().invoke(
        cli, ["--lang", "en", "refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0"]
    )

    assert result.exit_code == 0, result.output
    assert (
        "Assigned ClientIDs to 2 rows of Клиенты that had none:\n"
        "  C000003 to row 4 (Иванов Иван Петрович, ООО «Вектор»)\n"
        "  C000004 to row 7 (Смирнова Анна)\n"
    ) in result.output
    assert_only_ids_and_computed_changed(before, path, {"A4": "C000003", "A7": "C000004"})
    sheet = load_workbook(path)[CLIENTS_RU]
    # The cell inside the table and the one typed below it are formatted as the column's other IDs (text).
    assert sheet["A4"].number_format == sheet["A7"].number_format == style_above == "@"
    assert sheet["A5"].value is None  # an empty row is no client
    # The new clients are clients like any other: a block and figures, counted on the Dashboard.
    potential = schema.POTENTIAL.label("ru")
    for row in (INSIDE_ROW, BELOW_ROW):
        # No order, no contact, no contract in force: the count of contracts is blank, not 0, as its end date; no
        # payment anywhere: no balance.
        assert computed(path, row) == dict(zip(COMPUTED, [potential, 0, 0, *[None] * 8]))
    assert dashboard_clients(path) == 4
    # Nothing is left to fill: a second refresh assigns nothing and says so in no line.
    again = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0"])
    assert again.exit_code == 0 and "Assigned" not in again.output


def test_refresh_json_and_library_name_the_assigned_cells(tmp_path: Path) -> None:
    path = user_workbook(tmp_path)
    dry = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat(), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    expected = [
        {
            "sheet": CLIENTS_RU,
            "row": 4,
            "cell": f"{CLIENTS_RU}!A4",
            "client_id": "C000003",
            "client": "Иванов Иван Петрович, ООО «Вектор»",
            "merged_into": None,
        },
        {
            "sheet": CLIENTS_RU,
            "row": 7,
            "cell": f"{CLIENTS_RU}!A7",
            "client_id": "C000004",
            "client": "Смирнова Анна",
            "merged_into": None,
        },
    ]
    assert json.loads(dry.output)["assigned_ids"] == expected
    assert load_workbook(path)[CLIENTS_RU]["A4"].value is None  # a dry run writes nothing

    result = refresh_workbook(path, today=TODAY, save=NO_BACKUPS)
    assert result.to_dict()["assigned_ids"] == expected
    assert sum(result.blocks.values()) == 4
    assert load_workbook(path)[CLIENTS_RU]["A7"].value == "C000004"


def test_new_ids_skip_ids_other_sheets_name_and_blank_ones_there_stay_blank(tmp_path: Path) -> None:
    """An order logged under C000003 before that client exists keeps pointing at nobody: the new clients are
    C000004 and C000005, and the unknown ClientID stays a finding. A call logged without a ClientID is not given
    one: whose would it be?"""
    order = {"date": dt.date(2026, 1, 5), "client_id": "C000003", "type": schema.ORDER.ru, "amount": 1000}
    call = {"date": dt.date(2026, 1, 6), "client_id": None, "type": schema.CALL_IN.ru}
    path = user_workbook(tmp_path, extra_interactions=[order, call])
    result = refresh_workbook(path, today=TODAY, save=NO_BACKUPS)
    assert [a.client_id for a in result.assigned_ids] == ["C000004", "C000005"]
    assert load_workbook(path)[schema.INTERACTIONS.ru]["B8"].value is None
    findings = validate_workbook(path, TODAY).findings
    assert [(f.code.value, f.cell, f.value) for f in findings] == [
        ("unknown-client", f"{schema.INTERACTIONS.ru}!B7", "C000003"),
        ("missing-value", f"{schema.INTERACTIONS.ru}!B8", ""),
    ]


def test_a_client_id_cell_holding_a_formula_is_left_to_it(tmp_path: Path) -> None:
    """A user who numbers clients by a formula keeps it: a value written there would replace the formula."""
    path = user_workbook(tmp_path)
    book = load_workbook(path)
    book[CLIENTS_RU]["A4"] = '=IF(B4="","","")'  # gives nothing yet (no value cached: openpyxl computes none)
    book.save(path)
    result = refresh_workbook(path, today=TODAY, save=NO_BACKUPS)
    assert [(a.cell, a.client_id) for a in result.assigned_ids] == [(f"{CLIENTS_RU}!A7", "C000003")]
    sheet = load_workbook(path)[CLIENTS_RU]
    assert (sheet["A4"].value, sheet["A7"].value) == ('=IF(B4="","","")', "C000003")


@pytest.mark.parametrize("command", ["dedupe", "refresh"])
def test_blank_ids_are_filled_before_dedupe_which_merges_a_new_client_like_any_other(
    tmp_path: Path, command: str
) -> None:
    path = user_workbook(tmp_path)
    book = load_workbook(path)
    sheet = book[CLIENTS_RU]
    # Row 7 is C000001 typed in again: same person, company and phone, a new email.
    for column, value in zip("BCEF", ["Ivan Petrov", "Romashka LLC", "+7 916 123-45-67", "petrov@mail.ru"]):
        sheet[f"{column}{BELOW_ROW}"] = value
    sheet[f"K{BELOW_ROW}"] = None
    book.save(path)

    result = CliRunner().invoke(cli, ["--lang", "en", command, str(path), "--keep-backups", "0"])

    assert result.exit_code == 0, result.output
    assert "Assigned ClientIDs to 2 rows of Клиенты that had none:" in result.output
    assert "C000001 <- C000004 (" in result.output
    book = load_workbook(path)
    clients = book[CLIENTS_RU]
    ids = [clients.cell(row, 1).value for row in range(2, clients.max_row + 1)]
    assert [client_id for client_id in ids if client_id] == ["C000001", "C000002", "C000003"]
    assert clients["F2"].value == "ivan@romashka.ru, petrov@mail.ru"
    # The Merge log keeps the merged row with the ClientID it was given, so unmerge puts it back with it.
    log = [list(row) for row in book[schema.MERGE_LOG.name("ru")].iter_rows(values_only=True)]
    assert any("C000004" in row and "petrov@mail.ru" in row for row in log)


def test_dedupe_saves_a_clean_base_only_for_its_new_ids(tmp_path: Path) -> None:
    path = user_workbook(tmp_path)
    sheets, before = load_workbook(path).sheetnames, cells(path)
    result = dedupe_workbook(path, save=NO_BACKUPS)
    assert result.save is not None and [a.client_id for a in result.assigned_ids] == ["C000003", "C000004"]
    # no Duplicates sheet for a clean base; the change log since the workbook was made
    assert load_workbook(path).sheetnames == [*sheets, "▸ Изменения"]
    assert_only_ids_and_computed_changed(before, path, {"A4": "C000003", "A7": "C000004"})
    again = dedupe_workbook(path, save=NO_BACKUPS)
    assert again.save is None and again.assigned_ids == ()


def test_import_fills_blank_ids_and_matches_records_against_those_clients(tmp_path: Path) -> None:
    path = user_workbook(tmp_path)
    source = tmp_path / "old.csv"
    source.write_text(
        "ФИО;Телефон;Компания\n"
        "Смирнова Анна;+79165554433;\n"  # the client typed in on row 7, now with its ID
        "Кузнецов Олег;+7 999 000-11-22;ООО «Кедр»\n",
        encoding="utf-8",
    )
    before = cells(path)
    result = CliRunner().invoke(cli, ["import", str(source), "--into", str(path), "--today", "2026-11-23", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert [a["client_id"] for a in shown["assigned_ids"]] == ["C000003", "C000004"]
    outcomes = [(r["outcome"], r["client_id"]) for r in shown["records"]]
    assert outcomes == [("unchanged", "C000004"), ("added", "C000005")]
    after = cells(path)[CLIENTS_RU]
    assert (after["A4"], after["A7"], after["A8"], after["B8"]) == ("C000003", "C000004", "C000005", "Кузнецов Олег")
    assert {ref: value for ref, value in after.items() if ref not in {"A4", "A7"} and not ref.endswith("8")} == (
        before[CLIENTS_RU]
    )

    plain = CliRunner().invoke(
        cli, ["--lang", "en", "import", str(source), "--into", str(path), "--today", "2026-11-23"]
    )
    assert "Assigned" not in plain.output and "Nothing to write" in plain.output


def test_import_into_interactions_saves_the_new_client_ids_too(tmp_path: Path) -> None:
    path = user_workbook(tmp_path)
    source = tmp_path / "calls.csv"
    source.write_text("Дата;ID клиента;Тип\n01.11.2026;C000001;Входящий звонок\n", encoding="utf-8")
    result = import_rows(source, path, sheet=schema.INTERACTIONS.key, today=TODAY, save=NO_BACKUPS)
    assert [a.cell for a in result.assigned_ids] == [f"{CLIENTS_RU}!A4", f"{CLIENTS_RU}!A7"]
    assert load_workbook(path)[CLIENTS_RU]["A4"].value == "C000003"


# --- repeated ClientIDs --------------------------------------------------------------------------------------


def test_a_repeated_id_counts_for_neither_row_and_is_named_once_with_both_cells(tmp_path: Path) -> None:
    """C000001 has an order of 45,000. After a first refresh the user gives another client C000001 by mistake:
    neither row may show that order, both rows' computed cells go blank, and the IDs stay as typed."""
    path = user_workbook(tmp_path)
    refresh_workbook(path, today=TODAY, save=NO_BACKUPS)
    assert computed(path, 2)[COMPUTED[2]] == 45000
    book = load_workbook(path)
    book[CLIENTS_RU]["A7"] = "C000001"
    book.save(path)
    before = cells(path)

    # C000004's row now says C000001: the change log sees C000004 deleted, on purpose here.
    result = refresh_workbook(path, today=TODAY, save=NO_BACKUPS, accept_deletions=True)

    assert result.errors == 1  # the repeated ID, listed on Problems
    for row in (2, BELOW_ROW):
        assert computed(path, row) == dict.fromkeys(COMPUTED)
    message = (
        "ID клиента C000001 is on rows 2 and 7 (Клиенты!A2, Клиенты!A7); every client needs its own ID. Until each "
        "row has its own, xlcrm leaves the computed columns of these rows blank and counts them in no report; clear "
        "the ID клиента of a row added by mistake and the next refresh gives it a new one"
    )
    # The Problems sheet of a Russian workbook says it in Russian; the terminal in the run's language.
    russian = (
        "ID клиента C000001 встречается в строках 2 и 7 (Клиенты!A2, Клиенты!A7); у каждого клиента должен быть "
        "свой ID. Пока у каждой строки нет своего, xlcrm оставляет вычисляемые столбцы этих строк пустыми и не "
        "учитывает их в отчётах; очистите ID клиента в строке, добавленной по ошибке, и при следующем обновлении "
        "она получит новый"
    )
    assert [row[:5] for row in problems(path)] == [
        [schema.label("error", "ru"), CLIENTS_RU, f"{CLIENTS_RU}!A7", "C000001", russian]
    ]
    # Counted nowhere: not on the Dashboard, not in the agenda, not on ABC.
    assert dashboard_clients(path) == 2
    for report in (schema.AGENDA, schema.ABC):
        assert not any("C000001" in row for row in load_workbook(path)[report.name("ru")].iter_rows(values_only=True))
    # The user's cells are as they were, C000001 twice included; only computed cells (from column Q) were cleared.
    after = cells(path)
    for name in (CLIENTS_RU, schema.CONTACTS.ru, schema.SERVICES.ru, schema.INTERACTIONS.ru, schema.SETTINGS.ru):
        assert user_cells(after[name]) == user_cells(before[name]), name

    validated = CliRunner().invoke(cli, ["--lang", "en", "validate", str(path), "--today", TODAY.isoformat()])
    assert f'error   {CLIENTS_RU}!A7  duplicate-client-id  "C000001"  {message}' in validated.output.splitlines()


# --- a workbook another program wrote ---------------------------------------------------------------------------


def _append_client_row(source: Path, target: Path, row: int, name: str) -> None:
    """``source`` with a row typed on Клиенты below its last one, a name only, written into the sheet's XML as
    inline text, so every other byte stays as the other program wrote it."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        workbook = old.read("xl/workbook.xml").decode()
        rels = old.read("xl/_rels/workbook.xml.rels").decode()
        rid = workbook.split(f'name="{CLIENTS_RU}"', 1)[1].split('r:id="', 1)[1].split('"', 1)[0]
        part = "xl/" + rels.split(f'Id="{rid}"', 1)[1].split('Target="', 1)[1].split('"', 1)[0].removeprefix("/xl/")
        for item in old.infolist():
            data = old.read(item)
            if item.filename == part:
                added = f'<row r="{row}"><c r="B{row}" t="inlineStr"><is><t>{name}</t></is></c></row>'
                data = data.replace(b"</sheetData>", added.encode() + b"</sheetData>")
            new.writestr(item, data)


@pytest.mark.parametrize("fixture", ["libreoffice.xlsx", "excel/xlsxwriter_autofilter03.xlsx"])
def test_a_client_typed_into_a_workbook_of_another_program_gets_the_next_id(tmp_path: Path, fixture: str) -> None:
    path = tmp_path / "clients.xlsx"
    shutil.copyfile(DATA / "foreign" / fixture, tmp_path / "source.xlsx")
    last = load_workbook(tmp_path / "source.xlsx")[CLIENTS_RU].max_row
    _append_client_row(tmp_path / "source.xlsx", path, last + 1, "Новикова Мария")

    result = refresh_workbook(path, today=TODAY, save=NO_BACKUPS)

    # Two clients of the fixture are merged into others on the way, so the new one moves up two rows; the result
    # names the cell as saved.
    sheet = load_workbook(path)[CLIENTS_RU]
    row = next(cell.row for cell in sheet["B"] if cell.value == "Новикова Мария")
    assert row == last - 1
    assert [(a.cell, a.client_id) for a in result.assigned_ids] == [(f"{CLIENTS_RU}!A{row}", "C0021")]
    assert sheet.cell(row, 1).value == "C0021"
    assert sheet.cell(row, 1).number_format == sheet.cell(row - 1, 1).number_format
    assert computed(path, row)[COMPUTED[0]] == schema.POTENTIAL.label("ru")
    rows_with_data = sum(1 for values in sheet.iter_rows(min_row=2, max_col=16, values_only=True) if any(values))
    assert dashboard_clients(path) == rows_with_data == sum(result.blocks.values())


# --- no ID handed out twice, no row taken for a client, no new client over an established one ------------------------


def _demo_with_imported_lookalike(folder: Path) -> tuple[Path, int]:
    """A 60-client demo, refreshed, then a CSV imported that holds C000001 (Ефимова Жанна Леонидовна of ООО
    «Весна», Москва) again with a phone of her own: she becomes C000060 and the pair C000001 / C000060 waits for a
    Decision, which the user answers «объединить». Returns the workbook and the Clients row of C000060."""
    path = folder / "demo.xlsx"
    runner = CliRunner()
    for args in (
        ["demo", str(path), "--clients", "60", "--locale", "ru", "--today", TODAY.isoformat(), "-q"],
        ["refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0", "-q"],
    ):
        assert runner.invoke(cli, args).exit_code == 0
    interactions = load_workbook(path)[schema.INTERACTIONS.name("ru")]
    assert "C000065" in [row[0] for row in interactions.iter_rows(min_row=2, min_col=2, max_col=2, values_only=True)]
    first = _client_rows(path)["C000001"]
    assert (first[1], first[2], first[6]) == ("Ефимова Жанна Леонидовна", "ООО “Весна”", "Москва")
    source = folder / "new.csv"
    header = "ФИО,Компания,Город,Телефон\n"
    source.write_text(header + "Ефимова Жанна Леонидовна,ООО «Весна»,Москва,+7 999 000-11-22\n", encoding="utf-8")
    imported = import_rows(source, path, today=TODAY, save=NO_BACKUPS)
    assert [(r.outcome, r.client_id) for r in imported.records] == [("review", "C000060")]
    book = load_workbook(path)
    sheet = book[schema.DUPLICATES.name("ru")]
    (pair,) = [row for row in sheet.iter_rows() if [c.value for c in row][3:12:8] == ["C000001", "C000060"]]
    pair[0].value = "объединить"
    clients = book[CLIENTS_RU]
    (row,) = [cell.row for cell in clients["A"] if cell.value == "C000060"]
    book.save(path)
    return path, row


def _type_client(path: Path, row: int, values: dict[str, object], *, clear: bool = False) -> None:
    """``values`` typed into a Clients row by column key (its cells cleared first with ``clear``), as a user does."""
    book = load_workbook(path)
    sheet = book[CLIENTS_RU]
    column = {c.key: index for index, c in enumerate(schema.CLIENTS.columns, start=1)}
    if clear:
        for index in column.values():
            sheet.cell(row, index).value = None
    for key, value in values.items():
        sheet.cell(row, column[key], value)
    book.save(path)


# The next free ID after the helper's import (C000060): the demo's interaction of C000065, a client not on Clients,
# and its contract of C000100 hold IDs further up, which new clients never take.
NEXT_ID = "C000061"

SIDOROV = {"name": "Сидоров Иван Петрович", "company": "ООО «Вектор»", "city": "Казань", "phone": "+7 900 111-22-33"}


def _client_rows(path: Path) -> dict[str, tuple[object, ...]]:
    """The Clients rows by ClientID, their user columns A to P."""
    sheet = load_workbook(path)[CLIENTS_RU]
    return {str(row[0]): row for row in sheet.iter_rows(min_row=2, max_col=16, values_only=True) if row[0]}


def test_a_client_typed_over_a_cleared_row_does_not_take_an_id_a_duplicates_decision_names(tmp_path: Path) -> None:
    """The user clears C000060's row and types another client into it: the «объединить» still typed for C000001 /
    C000060 must not merge that stranger into Ефимова."""
    path, row = _demo_with_imported_lookalike(tmp_path)
    _type_client(path, row, SIDOROV, clear=True)
    before = _client_rows(path)

    result = refresh_workbook(path, today=TODAY, save=NO_BACKUPS)

    (assigned,) = result.assigned_ids
    assert (assigned.client_id, assigned.client) == (NEXT_ID, "Сидоров Иван Петрович, ООО «Вектор»")
    after = _client_rows(path)
    assert after[NEXT_ID][1:7] == ("Сидоров Иван Петрович", "ООО «Вектор»", None, "+7 900 111-22-33", None, "Казань")
    assert after["C000001"] == before["C000001"]  # Ефимова as she was: no phone, company or city of Сидоров's
    assert result.merged_clients == 0
    log = load_workbook(path)[schema.MERGE_LOG.name("ru")]
    assert not any("Сидоров Иван Петрович" in row for row in log.iter_rows(values_only=True))


def test_import_gives_no_new_client_an_id_a_duplicates_decision_names(tmp_path: Path) -> None:
    path, row = _demo_with_imported_lookalike(tmp_path)
    _type_client(path, row, {}, clear=True)  # C000060 deleted by hand; the Duplicates sheet still names him
    source = tmp_path / "sidorov.csv"
    source.write_text(
        "ФИО,Компания,Город,Телефон\nСидоров Иван Петрович,ООО «Вектор»,Казань,+7 900 111-22-33\n", encoding="utf-8"
    )

    imported = import_rows(source, path, today=TODAY, save=NO_BACKUPS)
    assert [(r.outcome, r.client_id) for r in imported.records] == [("added", NEXT_ID)]

    result = refresh_workbook(path, today=TODAY, save=NO_BACKUPS)
    assert result.merged_clients == 0
    assert _client_rows(path)[NEXT_ID][1] == "Сидоров Иван Петрович"


def test_a_new_client_takes_no_id_the_block_history_remembers(tmp_path: Path) -> None:
    """Смирнова got C000004 at the first refresh and is in the Block history under it; the user deletes her row
    and types someone else there: the new client starts a history of its own under C000005."""
    path = user_workbook(tmp_path)
    refresh_workbook(path, today=TODAY, save=NO_BACKUPS)
    history = load_workbook(path)[schema.BLOCK_HISTORY.name("ru")]
    assert any("C000004" in row for row in history.iter_rows(values_only=True))
    _type_client(path, BELOW_ROW, {"name": "Кузнецов Олег", "phone": "+7 999 000-11-22"}, clear=True)

    # C000004's row was cleared and typed over: deleted on purpose, as the change log sees it.
    result = refresh_workbook(path, today=TODAY + dt.timedelta(days=1), save=NO_BACKUPS, accept_deletions=True)

    assert [(a.cell, a.client_id) for a in result.assigned_ids] == [(f"{CLIENTS_RU}!A{BELOW_ROW}", "C000005")]


def _typed_in_again(folder: Path, created: dt.datetime | None = None) -> Path:
    """``user_workbook`` with C000001 typed in again on row 7 without an ID (a new email), Created ``created``."""
    path = user_workbook(folder)
    values = {"name": "Ivan Petrov", "company": "Romashka LLC", "phone": "+7 916 123-45-67", "email": "petrov@mail.ru"}
    _type_client(path, BELOW_ROW, {**values, "manager": None, "created": created})
    return path


@pytest.mark.parametrize("command", ["dedupe", "refresh"])
def test_a_client_typed_in_again_with_an_older_created_date_is_merged_into_the_established_one(
    tmp_path: Path, command: str
) -> None:
    """Row 7 is C000001 typed in again without an ID, dated back to when the client first called (before C000001's
    Created): it is the new row, not C000001, that is merged away; what pointed at C000001 still does."""
    path = _typed_in_again(tmp_path, created=dt.datetime(2023, 3, 1))
    interactions_before = [row[:2] for row in load_workbook(path)[schema.INTERACTIONS.ru].iter_rows(values_only=True)]
    runner = CliRunner()

    result = runner.invoke(cli, [command, str(path), "--keep-backups", "0"])

    assert result.exit_code == 0, result.output
    assert "C000001 <- C000004 (" in result.output
    book = load_workbook(path)
    clients = book[CLIENTS_RU]
    assert [clients.cell(row, 1).value for row in range(2, clients.max_row + 1)] == ["C000001", "C000002", "C000003"]
    assert (clients["B2"].value, clients["F2"].value) == ("Ivan Petrov", "ivan@romashka.ru, petrov@mail.ru")
    assert [row[:2] for row in book[schema.INTERACTIONS.ru].iter_rows(values_only=True)] == interactions_before


@pytest.mark.parametrize("command", ["dedupe", "refresh"])
def test_a_new_client_merged_away_is_named_with_the_client_it_went_into(tmp_path: Path, command: str) -> None:
    """The row given C000004 is gone from the saved sheet: the output names the client it was merged into, not
    a row number (row 7 is another client's or none); a dry run, which deletes nothing, says what will happen."""
    path = _typed_in_again(tmp_path)
    runner = CliRunner()

    dry = runner.invoke(cli, ["--lang", "en", command, str(path), "--dry-run"])
    assert "  C000004 to row 7 (Ivan Petrov, Romashka LLC), to be merged into C000001" in dry.output.splitlines()

    copy = tmp_path / "copy.xlsx"
    shutil.copyfile(path, copy)
    result = runner.invoke(cli, ["--lang", "en", command, str(path), "--keep-backups", "0"])
    assert "  C000004 to a new row (Ivan Petrov, Romashka LLC) merged into C000001" in result.output.splitlines()
    shown = json.loads(runner.invoke(cli, [command, str(copy), "--keep-backups", "0", "--json"]).output)
    assert shown["assigned_ids"][1] == {
        "sheet": CLIENTS_RU,
        "row": None,
        "cell": None,
        "client_id": "C000004",
        "client": "Ivan Petrov, Romashka LLC",
        "merged_into": "C000001",
    }


def test_a_row_with_neither_name_nor_company_gets_no_id_and_counts_nowhere(tmp_path: Path) -> None:
    """Rows 8 and 9 hold a manager and a Created date filled down ahead of time, row 10 a total of ratings: no
    client, so no ClientID, no block, no count; validation keeps naming them."""
    path = user_workbook(tmp_path)
    _type_client(path, 8, {"manager": "Анна"})
    _type_client(path, 9, {"manager": "Анна", "created": dt.datetime(2026, 11, 1)})
    _type_client(path, 10, {"rating": 14})  # the sum of the ratings above, typed in
    before = cells(path)

    result = refresh_workbook(path, today=TODAY, save=NO_BACKUPS)

    assert [(a.cell, a.client_id) for a in result.assigned_ids] == [
        (f"{CLIENTS_RU}!A{INSIDE_ROW}", "C000003"),
        (f"{CLIENTS_RU}!A{BELOW_ROW}", "C000004"),
    ]
    assert_only_ids_and_computed_changed(before, path, {"A4": "C000003", "A7": "C000004"})
    assert sum(result.blocks.values()) == dashboard_clients(path) == 4
    for row in (8, 9, 10):
        assert computed(path, row) == dict.fromkeys(COMPUTED)
    assert dedupe_workbook(path, save=NO_BACKUPS).assigned_ids == ()

    # In the workbook's language, as its Problems sheet writes them.
    findings = {(f.cell, f.code.value): render(f.message, "ru") for f in validate_workbook(path, TODAY).findings}
    for row in (8, 9, 10):
        assert findings[(f"{CLIENTS_RU}!A{row}", "blank-client-id")] == (
            "не заполнен ID клиента; когда в строке будет заполнено поле Контактное лицо или Компания, при следующем "
            "запуске xlcrm refresh, dedupe или import строка получит следующий свободный ID клиента, и он "
            "сохранится вместе с остальными изменениями"
        )
        assert findings[(f"{CLIENTS_RU}!B{row}", "missing-value")].startswith(
            "не заполнены ни Контактное лицо, ни Компания"
        )


def test_one_short_id_typed_by_hand_does_not_unpad_the_new_ones(tmp_path: Path) -> None:
    """The user numbers one client «C5» by hand among C000001 and C000002: the next new one is C000006, as wide as
    most of the workbook's IDs (after the highest number), not «C6»."""
    path = user_workbook(tmp_path)
    _type_client(path, INSIDE_ROW, {"client_id": "C5"})

    result = refresh_workbook(path, today=TODAY, save=NO_BACKUPS)

    assert [(a.cell, a.client_id) for a in result.assigned_ids] == [(f"{CLIENTS_RU}!A{BELOW_ROW}", "C000006")]
    assert load_workbook(path)[CLIENTS_RU][f"A{BELOW_ROW}"].value == "C000006"


def test_id_sequence_continues_the_most_common_width() -> None:
    assert id_sequence([*(f"C{n:06d}" for n in range(1, 301)), "C5"]) == ("C", 6, 300)
    assert id_sequence(["C01", "C02", "C003"]) == ("C", 2, 3)
