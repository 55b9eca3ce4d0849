"""dedupe and unmerge on real workbooks: what is written, decisions read back, exact round trips, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from tests.builders import settings_records, write_records, write_workbook
from tests.package_checks import assert_package_consistent, entries
from tests.xlsx.test_sheet_edits import sheet_state
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.dedupe.merge import apply_plan, load_plan
from xlcrm.dedupe.merge_log import read_merge_log, read_sheet_rows
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.dedupe import dedupe_workbook, unmerge_workbook
from xlcrm.jobs.demo import create_demo
from xlcrm.xlsx.reader import read_workbook

CLIENTS, CONTACTS, INTERACTIONS, SETTINGS = (
    schema.CLIENTS.key,
    schema.CONTACTS.key,
    schema.INTERACTIONS.key,
    schema.SETTINGS.key,
)
TODAY = dt.date(2026, 11, 23)


def cells(path: Path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
    finally:
        book.close()


def user_sheets(path: Path) -> dict[str, list[list[object]]]:
    return {name: rows for name, rows in cells(path).items() if not name.startswith(schema.REPORT_MARKER)}


def client(number: int, name: str, company: str | None = None, **values: object) -> dict[str, object]:
    record: dict[str, object] = {
        "client_id": f"C{number:06d}",
        "name": name,
        "company": company,
        "manager": "Anna",
        "created": dt.date(2024, 1, number),
    }
    record.update(values)
    return record


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """Romashka typed twice (rows 2 and 4), a probable pair (rows 5 and 6), an honest client between."""
    clients = [
        client(
            1,
            "Иван Петров",
            'ООО "Ромашка"',
            phone="8 (916) 123-45-67",
            city="Москва",
            inn="7707083893",
            comment="Звонить после обеда",
        ),
        client(2, "Olga Sidorova", None, phone="+7 495 123-45-67", email="olga@example.com"),
        client(
            3,
            "Ivan Petrov",
            "Romashka LLC",
            phone="+79161234567, +7 903 555-44-33",
            email="ivan@romashka.ru",
            address="Тверская, 1",
            comment="VIP в прошлом",
        ),
        client(4, "Сергей Кузнецов", "ООО «Техносфера»", phone="+7 916 111-22-33", city="Самара"),
        client(5, "Кузнецов Сергей", "Техносфера", phone="+7 903 444-55-66", city="Самара"),
    ]
    interactions = [
        {"date": dt.date(2026, 3, 1), "client_id": "C000003", "type": "Order", "amount": 5000},
        {"date": dt.date(2026, 3, 2), "client_id": "C000001", "type": "Call out"},
        {"date": dt.date(2026, 3, 3), "client_id": "C000003", "type": "Meeting"},
    ]
    contacts = [{"client_id": "C000003", "name": "Мария Иванова"}, {"client_id": "C000002", "name": "Anna"}]
    records = {
        CLIENTS: clients,
        CONTACTS: contacts,
        INTERACTIONS: interactions,
        SETTINGS: settings_records("en", {"managers": ["Anna"]}),
    }
    return write_records(tmp_path / "clients.xlsx", "en", records)


def sheet_rows(path: Path, name: str) -> list[list[object]]:
    return cells(path)[name]


def test_dedupe_merges_fills_appends_repoints_and_logs(book: Path) -> None:
    before = cells(book)
    result = dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    assert [m["merge_id"] for m in result.merges] == ["M0001"]
    clients = sheet_rows(book, "Clients")
    assert [row[0] for row in clients[1:]] == ["C000001", "C000002", "C000004", "C000005"]
    survivor = dict(zip(clients[0], clients[1]))
    assert survivor["Name"] == "Иван Петров" and survivor["Company"] == 'ООО "Ромашка"'  # survivor's own text kept
    assert survivor["Phone"] == "8 (916) 123-45-67, +7 903 555-44-33"  # the second number appended
    assert survivor["Email"] == "ivan@romashka.ru" and survivor["Address"] == "Тверская, 1"  # blanks filled
    assert survivor["Comment"] == "Звонить после обеда; VIP в прошлом"  # conflicting comment kept
    assert [row[1] for row in sheet_rows(book, "Interactions")[1:]] == ["C000001", "C000001", "C000001"]
    assert [row[0] for row in sheet_rows(book, "Contacts")[1:]] == ["C000001", "C000002"]
    assert sheet_rows(book, "Settings") == before["Settings"]

    log = read_merge_log(read_sheet_rows(book, schema.MERGE_LOG))
    roles = sorted((e.merge_id, e.role, e.sheet, e.row) for e in log.entries)
    assert roles == [
        ("M0001", "merged", "Clients", 4),
        ("M0001", "repointed", "Contacts", 2),
        ("M0001", "repointed", "Interactions", 2),
        ("M0001", "repointed", "Interactions", 4),
        ("M0001", "survivor", "Clients", 2),
    ]
    merged_entry = next(e for e in log.entries if e.role == "merged")
    assert list(merged_entry.values[: len(before["Clients"][3])]) == [
        v if v != "" else None for v in before["Clients"][3]
    ]

    duplicates = sheet_rows(book, schema.DUPLICATES.name("en"))
    header = next(row for row in duplicates if row[0] == "Decision")
    pair = duplicates[duplicates.index(header) + 1]
    assert {pair[header.index("ClientID A")], pair[header.index("ClientID B")]} == {"C000004", "C000005"}


def test_dry_run_changes_nothing_and_says_the_same(book: Path) -> None:
    original = book.read_bytes()
    dry = dedupe_workbook(book, dry_run=True)
    assert book.read_bytes() == original
    assert dry.save is None and dry.merged_rows == 1 and len(dry.review) == 1
    cli_result = CliRunner().invoke(cli, ["dedupe", str(book), "--dry-run", "--json"])
    assert cli_result.exit_code == 0, cli_result.output
    payload = json.loads(cli_result.output)
    assert payload["merges"] == json.loads(json.dumps(dry.to_dict()["merges"], default=str))
    assert payload["dry_run"] is True and book.read_bytes() == original
    human = CliRunner().invoke(cli, ["dedupe", str(book), "--dry-run"])
    # The merge said with its weighed reasons, the shared phone among them, and the probability they come to.
    assert re.search(r"M0001: C000001 <- C000003 \(.*same phone \+79161234567 \+\d+\.\d.* → [\d.]+ %\)", human.output)
    assert "Dry run: the workbook was not changed" in human.output


def test_a_dry_run_says_what_the_run_then_does(book: Path, tmp_path: Path) -> None:
    """The dry run works the merges out without logging them (it writes no Merge log), and says all the same what
    the run then does: the merges, the pairs to review, the problems left."""
    copy = tmp_path / "copy.xlsx"
    shutil.copyfile(book, copy)
    now = dt.datetime(2026, 11, 23, 9, 30)
    said = dedupe_workbook(book, dry_run=True, now=now).to_dict()
    done = dedupe_workbook(copy, save=SaveOptions(keep_backups=0), now=now).to_dict()
    assert said["merges"] and said["review"]
    for key in ("path", "dry_run", "save"):
        del said[key], done[key]
    assert said == done
    logged = read_merge_log(read_sheet_rows(copy, schema.MERGE_LOG))
    assert [entry.merge_id for entry in logged.entries][:1] == ["M0001"]


def set_decision(path: Path, ids: set[str], decision: str) -> None:
    """Type a Decision on the Duplicates sheet, as a user does in Excel."""
    book = openpyxl.load_workbook(path)
    sheet = book[schema.DUPLICATES.name("en")]
    rows = list(sheet.iter_rows())
    header = next(row for row in rows if row[0].value == "Decision")
    a = [c.value for c in header].index("ClientID A")
    b = [c.value for c in header].index("ClientID B")
    for row in rows[rows.index(header) + 1 :]:
        if {row[a].value, row[b].value} == ids:
            row[0].value = decision
            break
    else:
        raise AssertionError(f"pair {ids} not on the sheet")
    book.save(path)


def test_keep_apart_is_remembered_across_runs(book: Path) -> None:
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    set_decision(book, {"C000004", "C000005"}, "keep apart")
    second = dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    assert not second.review and second.kept_apart == 1 and not second.merges
    third = dedupe_workbook(book, save=SaveOptions(keep_backups=0))  # the memory survives a run that rewrote the sheet
    assert not third.review and third.kept_apart == 1
    assert [row[0] for row in sheet_rows(book, "Clients")[1:]] == ["C000001", "C000002", "C000004", "C000005"]


def test_merge_decision_is_applied_in_russian_too(book: Path) -> None:
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    set_decision(book, {"C000004", "C000005"}, " Объединить ")
    result = dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    assert [m["merge_id"] for m in result.merges] == ["M0002"] and result.merges[0]["decided_by_user"]
    assert [row[0] for row in sheet_rows(book, "Clients")[1:]] == ["C000001", "C000002", "C000004"]
    assert read_merge_log(read_sheet_rows(book, schema.MERGE_LOG)).ids() == ["M0001", "M0002"]


def test_unmerge_restores_the_user_sheets_exactly(book: Path) -> None:
    before = user_sheets(book)
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0001", "--keep-backups", "0", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["restored_ids"] == ["C000003"]
    assert user_sheets(book) == before
    assert schema.MERGE_LOG.name("en") not in cells(book)  # nothing left to undo
    # The pair is now kept apart: the next dedupe does not merge it again.
    again = dedupe_workbook(book, dry_run=True)
    assert not again.merges and again.kept_apart == 1


def test_unmerge_in_reverse_order_after_later_runs(book: Path) -> None:
    before = user_sheets(book)
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    set_decision(book, {"C000004", "C000005"}, "merge")
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    unmerge_workbook(book, "M0002", save=SaveOptions(keep_backups=0))
    unmerge_workbook(book, "m0001", save=SaveOptions(keep_backups=0))
    assert user_sheets(book) == before


def test_unknown_merge_and_undo_order_are_refused(book: Path) -> None:
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    original = book.read_bytes()
    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0042"])
    assert result.exit_code == 2
    assert "has no merge M0042; merges logged: M0001" in result.output
    assert book.read_bytes() == original


def test_demo_round_trip_is_cell_identical(tmp_path: Path) -> None:
    path = create_demo(tmp_path / "demo.xlsx", clients=150, seed=3, today=TODAY).path
    before = user_sheets(path)
    result = CliRunner().invoke(cli, ["dedupe", str(path), "--keep-backups", "0", "--json"])
    assert result.exit_code == 0, result.output
    # The client planted without a ClientID got one, which no unmerge takes back.
    clients = before[schema.CLIENTS.ru]
    blank = [row for row in clients[1:] if row[0] == "" and any(value != "" for value in row)]  # calamine: "" blank
    for row, assigned in zip(blank, json.loads(result.output)["assigned_ids"], strict=True):
        row[0] = assigned["client_id"]
    log = read_merge_log(read_sheet_rows(path, schema.MERGE_LOG))
    assert len(log.ids()) >= 5
    assert user_sheets(path) != before
    for merge_id in reversed(log.ids()):
        assert CliRunner().invoke(cli, ["unmerge", str(path), merge_id, "--keep-backups", "0"]).exit_code == 0
    assert user_sheets(path) == before


def test_output_leaves_the_original_alone(book: Path, tmp_path: Path) -> None:
    original = book.read_bytes()
    target = tmp_path / "cleaned.xlsx"
    result = CliRunner().invoke(cli, ["dedupe", str(book), "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert book.read_bytes() == original
    assert [row[0] for row in sheet_rows(target, "Clients")[1:]] == ["C000001", "C000002", "C000004", "C000005"]


def test_dedupe_refuses_a_locked_workbook(book: Path) -> None:
    shutil.copyfile(book, book.parent / f"~${book.name}")
    original = book.read_bytes()
    result = CliRunner().invoke(cli, ["dedupe", str(book)])
    assert result.exit_code != 0 and "Error:" in result.output
    assert book.read_bytes() == original


def test_applying_a_plan_leaves_the_merge_log_it_was_made_with_as_read(book: Path) -> None:
    """load_plan gives the Merge log the plan learnt from; apply_plan logs the merges in a copy of it, so the same
    plan applied again gives the same edits and sheets, its merges logged once."""
    plan, log = load_plan(read_workbook(book))
    assert plan.merged_rows == 1 and (log.headers, log.entries) == ([], [])
    now = dt.datetime(2026, 11, 23, 9, 30)
    first = apply_plan(plan, log, now=now)
    second = apply_plan(plan, log, now=now)
    assert (log.headers, log.entries) == ([], [])
    assert first == second
    assert [report.name for report in first[1]] == [schema.DUPLICATES.name("en"), schema.MERGE_LOG.name("en")]


def test_library_plan_for_refresh(book: Path) -> None:
    """What refresh folds into its own single read and save: a plan, its edits and sheets, the redirects."""
    plan, log = load_plan(read_workbook(book))
    assert plan.merged_into() == {4: "C000001"}
    edits, reports = apply_plan(plan, log)
    by_sheet = {edit.sheet: edit for edit in edits}
    assert list(by_sheet["Clients"].delete_rows) == [4]
    assert by_sheet["Interactions"].set_cells == {"B2": "C000001", "B4": "C000001"}
    assert [report.name for report in reports] == [schema.DUPLICATES.name("en"), schema.MERGE_LOG.name("en")]


@pytest.mark.parametrize("change", ["no clients sheet", "headers on row 3", "no ClientID column"])
def test_dedupe_refuses_a_workbook_it_cannot_merge_in(tmp_path: Path, change: str) -> None:
    rows = [
        ["", ""],
        ["", ""],
        [schema.CLIENTS.column("name").en, schema.CLIENTS.column("phone").en],
        ["Иван Петров", "+7 916 123-45-67"],
        ["Ivan Petrov", "8 916 123 45 67"],
    ]
    if change == "no clients sheet":
        sheets = {"Other": rows}
    elif change == "headers on row 3":
        sheets = {"Clients": rows}
    else:
        sheets = {"Clients": rows[2:]}
    path = write_workbook(tmp_path / "book.xlsx", sheets)
    original = path.read_bytes()
    result = CliRunner().invoke(cli, ["dedupe", str(path)])
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert path.read_bytes() == original


def test_unmerge_moves_formulas_back_with_their_rows(book: Path) -> None:
    """The restored row is inserted: formulas below it move down with their rows and still read their own row."""
    workbook = openpyxl.load_workbook(book)
    clients = workbook["Clients"]
    clients.cell(1, 20, "Check")
    for row in range(2, 7):
        clients.cell(row, 20, f"=LEN(B{row})")
    clients.cell(2, 21, "self-closing neighbour")  # a plain cell next to formulas is not mistaken for one
    workbook.save(book)
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0001", "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    after = openpyxl.load_workbook(book)["Clients"]
    assert [after.cell(row, 20).value for row in (2, 3, 5, 6)] == ["=LEN(B2)", "=LEN(B3)", "=LEN(B5)", "=LEN(B6)"]
    assert after.cell(2, 21).value == "self-closing neighbour"
    assert [row[0] for row in sheet_rows(book, "Clients")[1:]] == [
        "C000001",
        "C000002",
        "C000003",
        "C000004",
        "C000005",
    ]


def test_each_merged_row_is_logged_with_its_own_links_and_formulas(tmp_path: Path) -> None:
    """Many merges in one save, every Clients row with a formula and a link: each merged row's log entry holds its
    own, the formula as it reads once the rows merged before it are gone, and unmerging them all puts them back."""
    path = create_demo(tmp_path / "demo.xlsx", clients=150, seed=3, today=TODAY).path
    workbook = openpyxl.load_workbook(path)
    clients = workbook[schema.CLIENTS.ru]
    check, site = clients.max_column + 1, clients.max_column + 2
    clients.cell(1, check, "Проверка")
    clients.cell(1, site, "Сайт")
    ids = {row: clients.cell(row, 1).value for row in range(2, clients.max_row + 1)}  # one planted without an ID
    for row in ids:
        clients.cell(row, check, f"=LEN(B{row})")
        clients.cell(row, site, "сайт").hyperlink = f"https://example.ru/{row}"
    workbook.save(path)
    dedupe_workbook(path, save=SaveOptions(keep_backups=0))

    log = read_merge_log(read_sheet_rows(path, schema.MERGE_LOG))
    merged = [entry for entry in log.entries if entry.role == schema.MERGED_ROLE.key]
    assert len(merged) >= 5
    id_column = log.headers.index(schema.CLIENTS.column("client_id").ru)
    for entry in merged:
        ((header, link),) = entry.links
        assert header == "Сайт" and ids[int(link.rsplit("/", 1)[1])] in (entry.values[id_column], None)
        assert entry.formulas == (("Проверка", f"LEN(B{entry.row})"),)
    for merge_id in reversed(log.ids()):
        assert CliRunner().invoke(cli, ["unmerge", str(path), merge_id, "--keep-backups", "0"]).exit_code == 0
    restored = openpyxl.load_workbook(path)[schema.CLIENTS.ru]
    for row in ids:
        assert restored.cell(row, check).value == f"=LEN(B{row})"
        assert restored.cell(row, site).hyperlink.target == f"https://example.ru/{row}"


def test_a_clean_base_is_not_saved(tmp_path: Path) -> None:
    records = {
        CLIENTS: [client(1, "Иван Петров", phone="+7 916 123-45-67"), client(2, "Olga", phone="+7 903 1")],
        SETTINGS: settings_records("en", {"managers": ["Anna"]}),
    }
    path = write_records(tmp_path / "clean.xlsx", "en", records)
    original = path.read_bytes()
    result = CliRunner().invoke(cli, ["dedupe", str(path)])
    assert result.exit_code == 0
    assert result.output.strip().endswith("No duplicates: the workbook was not changed")
    assert path.read_bytes() == original and not (tmp_path / ".xlcrm-backups").exists()


# --- what follows the rows back: unmerge inserts the merged rows, moving the rows below as dedupe moved them ------


def after_merge(book: Path, change: str) -> None:
    """Dedupe (C000003, row 4, merged into C000001), then, as a user would later, tie something to a client row:
    C000004 is on row 4 now, and the undo puts C000003 back there, moving C000004 down to row 5."""
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    workbook = openpyxl.load_workbook(book)
    clients = workbook["Clients"]
    if change == "comment":
        clients["B4"].comment = openpyxl.comments.Comment("called back, wants a discount", "Anna")
    elif change == "formula on another sheet":
        workbook.create_sheet("Notes")["A1"] = "=Clients!B5"
    elif change == "link":
        clients["C4"].hyperlink = "https://example.com/techno"
    elif change == "merged cells":
        clients.merge_cells("Q4:R4")
    elif change == "defined name":
        workbook.defined_names["Best"] = openpyxl.workbook.defined_name.DefinedName("Best", attr_text="Clients!$B$4")
    elif change == "formula on the sheet":
        clients["T2"] = "=B4"
    elif change == "validation":
        validation = openpyxl.worksheet.datavalidation.DataValidation(type="list", formula1='"yes,no"')
        validation.add("S4")
        clients.add_data_validation(validation)
    workbook.save(book)


@pytest.mark.parametrize(
    "change", ["comment", "link", "merged cells", "defined name", "formula on the sheet", "validation"]
)
def test_unmerge_moves_what_is_tied_to_a_client_row_with_it(book: Path, change: str) -> None:
    """What was set on C000004's row 4 after the merge is on its row 5 once C000003 is back on row 4."""
    after_merge(book, change)
    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0001", "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(book)
    clients = workbook["Clients"]
    assert clients["A5"].value == "C000004" and clients["A4"].value == "C000003"
    if change == "comment":
        assert clients["B5"].comment.text == "called back, wants a discount" and clients["B4"].comment is None
    elif change == "link":
        assert clients["C5"].hyperlink.target == "https://example.com/techno" and clients["C4"].hyperlink is None
    elif change == "merged cells":
        assert [str(cells) for cells in clients.merged_cells.ranges] == ["Q5:R5"]
    elif change == "defined name":
        assert workbook.defined_names["Best"].attr_text == "Clients!$B$5"
    elif change == "formula on the sheet":
        assert clients["T2"].value == "=B5"
    else:
        assert [str(validation.sqref) for validation in clients.data_validations.dataValidation] == ["S5"]


def test_unmerge_refuses_to_move_rows_another_sheet_points_at(book: Path) -> None:
    """A formula on another sheet is not rewritten when rows move (dedupe refuses it too): unmerge refuses."""
    after_merge(book, "formula on another sheet")
    original = book.read_bytes()
    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0001"])
    assert result.exit_code == 1, result.output
    assert result.output == (
        "Error: M0001 cannot be undone: cannot insert rows into 'Clients': a formula in sheet "
        "'Notes' uses Clients!B5; the workbook was not changed\n"
    )
    assert book.read_bytes() == original


def test_unmerge_keeps_what_sits_above_the_restored_rows(book: Path) -> None:
    """A comment on the survivor's row and a formula pointing at it stay right: those rows do not move."""
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    workbook = openpyxl.load_workbook(book)
    workbook["Clients"]["B2"].comment = openpyxl.comments.Comment("the survivor", "Anna")
    workbook.create_sheet("Notes")["A1"] = "=Clients!B3"
    workbook.save(book)
    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0001", "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    after = openpyxl.load_workbook(book)
    assert after["Clients"]["B2"].comment.text == "the survivor" and after["Clients"]["B2"].value == "Иван Петров"
    assert after["Notes"]["A1"].value == "=Clients!B3" and after["Clients"]["B3"].value == "Olga Sidorova"
    assert [row[0] for row in sheet_rows(book, "Clients")[1:]] == [
        "C000001",
        "C000002",
        "C000003",
        "C000004",
        "C000005",
    ]


# --- dedupe then unmerge of every merge gives the sheet back ---------------------------------------------------------


def test_dedupe_then_unmerge_of_every_merge_gives_back_what_follows_the_rows(tmp_path: Path) -> None:
    """Real bases: every e-mail a mailto link (Excel makes one of each typed address), notes on clients below the
    merged rows, a format and a dropdown over exactly the client rows, merged cells, a formula on every row."""
    from tests.test_foreign_fixtures import assert_foreign_parts_kept  # noqa: PLC0415 - the fixtures' own check

    path = create_demo(tmp_path / "demo.xlsx", clients=120, seed=3, locale="en", today=TODAY).path
    planned = dedupe_workbook(path, dry_run=True)
    merged_ids = {merged["client_id"] for merge in planned.merges for merged in merge["merged"]}
    # The client planted without a ClientID gets one, which no unmerge takes back (a dry run names rows as read).
    assigned = {item.cell.split("!")[1]: item.client_id for item in planned.assigned_ids}
    assert assigned
    book = openpyxl.load_workbook(path)
    sheet = book["Clients"]
    last = sheet.max_row
    sheet.cell(1, 17, "Check")
    merged_rows = set()
    for row in range(2, last + 1):
        if sheet.cell(row, 1).value in merged_ids:
            merged_rows.add(row)
        elif row % 7 == 0:
            sheet.cell(row, 2).comment = openpyxl.comments.Comment(f"note on row {row}", "Anna")
            sheet.merge_cells(start_row=row, start_column=18, end_row=row, end_column=19)
        if sheet.cell(row, 6).value:
            sheet.cell(row, 6).hyperlink = f"mailto:{sheet.cell(row, 6).value}"
        sheet.cell(row, 17, f"=LEN(B{row})")
    assert merged_rows and min(merged_rows) < last - 10
    sheet.conditional_formatting.add(
        f"B2:B{last}", FormulaRule(formula=["LEN(B2)>20"], fill=PatternFill("solid", "FFFF00"))
    )
    validation = DataValidation(type="whole", operator="between", formula1="1", formula2="5")
    validation.add(f"M2:M{last}")
    sheet.add_data_validation(validation)
    book.save(path)
    before_state, before = sheet_state(path, "Clients"), tmp_path / "before.xlsx"
    shutil.copyfile(path, before)

    result = CliRunner().invoke(cli, ["dedupe", str(path), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    log = read_merge_log(read_sheet_rows(path, schema.MERGE_LOG))
    assert len(log.ids()) >= 3
    # The Merge log keeps the merged rows' links, which the merge deleted with them, in a column of its own.
    log_rows = read_sheet_rows(path, schema.MERGE_LOG)
    header = next(row for row in log_rows if "▸ Links" in row)
    links_column = header.index("▸ Links")
    assert {row[links_column] for row in log_rows[log_rows.index(header) + 1 :] if row[links_column]} == {
        f"Email → mailto:{before_state['cells'][f'F{row}']}"
        for row in merged_rows  # type: ignore[index]
        if f"F{row}" in before_state["cells"]
    }  # type: ignore[operator]
    for merge_id in reversed(log.ids()):
        result = CliRunner().invoke(cli, ["unmerge", str(path), merge_id, "--keep-backups", "0"])
        assert result.exit_code == 0, result.output

    # The merged rows were deleted, their formulas and links with them: the Merge log keeps them with the values.
    before_state["cells"].update(assigned)  # type: ignore[union-attr]
    assert sheet_state(path, "Clients") == before_state
    assert_foreign_parts_kept(before, path, ("Clients", "Interactions", "Contacts"))
    assert_package_consistent(path)
    # Each link put back took the relationship its row's deletion had left: the relationships are as before.
    rels = "xl/worksheets/_rels/sheet1.xml.rels"
    assert entries(path)[rels] == entries(before)[rels]


def deduped_log(book: Path) -> tuple[openpyxl.Workbook, str, Worksheet]:
    """``book`` deduplicated by the command, then opened: the workbook, its language and its Merge log sheet."""
    assert CliRunner().invoke(cli, ["dedupe", str(book), "--keep-backups", "0"]).exit_code == 0
    workbook = openpyxl.load_workbook(book)
    locale = next(locale for locale in ("en", "ru") if schema.MERGE_LOG.name(locale) in workbook.sheetnames)
    return workbook, locale, workbook[schema.MERGE_LOG.name(locale)]


def assert_unmerge_refused(book: Path, workbook: openpyxl.Workbook, error: str) -> None:
    """``workbook`` (``book`` edited) saved, then ``xlcrm unmerge M0001``: exit 1, the one ``error`` line, the
    file as saved."""
    workbook.save(book)
    before = book.read_bytes()
    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0001"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [error]
    assert book.read_bytes() == before


@pytest.mark.parametrize("typed", ["abc", 0, 1, -5, 2.5])
def test_a_row_number_typed_over_on_the_merge_log_is_refused_clearly(book: Path, typed: object) -> None:
    workbook, locale, log = deduped_log(book)
    row_column = next(
        cell.column
        for row in log.iter_rows(max_row=10)
        for cell in row
        if cell.value == schema.dedupe_label("row", locale)
    )
    first_entry = next(row for row in range(1, log.max_row + 1) if log.cell(row, 1).value == "M0001")
    log.cell(first_entry + 1, row_column).value = typed  # the merged row's number
    assert_unmerge_refused(
        book,
        workbook,
        f"Error: M0001 cannot be undone: a row number of it on {log.title} was typed over (each must be the "
        "row a client or interaction was on, 2 or more), so xlcrm cannot tell where to put it back; the workbook "
        "was not changed",
    )


@pytest.mark.parametrize("change", ["deleted", "typed over"])
def test_a_merge_whose_survivor_row_is_gone_from_the_log_is_refused_clearly(book: Path, change: str) -> None:
    workbook, locale, log = deduped_log(book)
    survivor = next(
        row
        for row in range(1, log.max_row + 1)
        if log.cell(row, 1).value == "M0001"
        and any(cell.value == schema.SURVIVOR_ROLE.name(locale) for cell in log[row])
    )
    if change == "deleted":
        log.delete_rows(survivor)
    else:
        role = next(cell for cell in log[survivor] if cell.value == schema.SURVIVOR_ROLE.name(locale))
        role.value = "главная"
    assert_unmerge_refused(
        book,
        workbook,
        f"Error: M0001 cannot be undone: its row with the role {schema.SURVIVOR_ROLE.name(locale)} is gone from "
        f"{log.title} (deleted or its role typed over), so xlcrm does not know the client as it was; the workbook "
        "was not changed",
    )


def test_times_of_day_and_durations_go_through_the_merge_log_exactly(book: Path) -> None:
    """A user's own columns of times and durations are written to the Merge log and come back on unmerge (they
    once stopped dedupe: a report cell could not hold a time)."""
    workbook = openpyxl.load_workbook(book)
    clients = workbook["Clients"]
    column = clients.max_column + 1
    clients.cell(1, column, "Call at")
    clients.cell(1, column + 1, "Call length")
    for row in range(2, clients.max_row + 1):
        clients.cell(row, column, dt.time(10, row)).number_format = "h:mm"
        clients.cell(row, column + 1, dt.timedelta(minutes=row)).number_format = "[h]:mm:ss"
    workbook.save(book)
    before = user_sheets(book)
    assert {type(row[-2]) for row in before["Clients"][1:]} == {dt.time}
    assert {type(row[-1]) for row in before["Clients"][1:]} == {dt.timedelta}
    assert [m["merge_id"] for m in dedupe_workbook(book, save=SaveOptions(keep_backups=0)).merges] == ["M0001"]
    unmerge_workbook(book, "M0001", save=SaveOptions(keep_backups=0))
    assert user_sheets(book) == before


# --- a survivor's formulas are the owner's: no merge writes over them ------------------------------------------------


def _survivor_with_formulas(book: Path, cached: bool) -> None:
    """Row 2 (the survivor of M0001) computes its Email and Address by formulas whose results are blank; with
    ``cached``, the results are in the file as Excel and LibreOffice keep them (an empty text), else there are none
    (as openpyxl writes)."""
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Clients"]
    sheet["F2"] = '=IF(G2="Москва","","x@example.com")'
    sheet["H2"] = '=""'
    workbook.save(book)
    if cached:
        from tests.xlsx.test_sheet_edits import rewrite  # noqa: PLC0415 - the sheet tests' own rewriting

        def with_results(data: bytes) -> bytes:
            found = re.findall(rb'<c r="[FH]2"[^>]*>(?:(?!</c>).)*</c>', data)
            assert len(found) == 2
            for cell in found:
                data = data.replace(cell, re.sub(rb"<v>[^<]*</v>|<v/>", b"", cell).replace(b"</c>", b"<v></v></c>"))
            return re.sub(rb'(<c r="[FH]2")( t="[a-z]+")?', rb'\1 t="str"', data)

        part = next(name for name in entries(book) if name.startswith("xl/worksheets/sheet1"))
        rewrite(book, {}, {part: with_results})


@pytest.mark.parametrize("cached", [False, True])
def test_a_merge_keeps_the_survivors_formulas_and_unmerge_too(book: Path, cached: bool) -> None:
    _survivor_with_formulas(book, cached)
    assert [sheet_rows(book, "Clients")[1][i] for i in (5, 7)] == ["", ""]  # results that read as blank
    result = CliRunner().invoke(cli, ["dedupe", str(book), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    assert (
        "Note: M0001: Email and Address of C000001 hold formulas, kept as they are; the values of C000003 there are "
        "kept in the Merge log"
    ) in result.output
    sheet = openpyxl.load_workbook(book)["Clients"]
    assert sheet["F2"].value == '=IF(G2="Москва","","x@example.com")' and sheet["H2"].value == '=""'
    # The rest of the merge is made: the phone appended, the comment joined, the row merged gone.
    assert sheet["E2"].value == "8 (916) 123-45-67, +7 903 555-44-33"
    assert [sheet.cell(row, 1).value for row in range(2, 6)] == ["C000001", "C000002", "C000004", "C000005"]
    logged = read_merge_log(read_sheet_rows(book, schema.MERGE_LOG))
    merged_row = next(entry for entry in logged.entries if entry.role == schema.MERGED_ROLE.key)
    assert {"ivan@romashka.ru", "Тверская, 1"} <= set(merged_row.values)

    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0001", "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(book)["Clients"]
    assert sheet["F2"].value == '=IF(G2="Москва","","x@example.com")' and sheet["H2"].value == '=""'
    assert [sheet.cell(4, column).value for column in (1, 6, 8)] == ["C000003", "ivan@romashka.ru", "Тверская, 1"]


def test_a_survivors_formula_whose_result_changed_since_the_merge_survives_unmerge(book: Path) -> None:
    """Unmerge puts back the survivor's values as the Merge log keeps them, but not over a formula: its result then
    is not what it is now, and the formula is the owner's."""
    _survivor_with_formulas(book, cached=True)
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    part = next(name for name in entries(book) if name.startswith("xl/worksheets/sheet1"))
    from tests.xlsx.test_sheet_edits import rewrite  # noqa: PLC0415 - the sheet tests' own rewriting

    # As after a recalculation in Excel: the formula's result is now a text.
    rewrite(book, {}, {part: lambda data: re.sub(rb'(<c r="F2"[^>]*>(?:(?!</c>).)*)<v></v>', rb"\1<v>now</v>", data)})
    assert sheet_rows(book, "Clients")[1][5] == "now"
    unmerge_workbook(book, "M0001", save=SaveOptions(keep_backups=0))
    sheet = openpyxl.load_workbook(book)["Clients"]
    assert sheet["F2"].value == '=IF(G2="Москва","","x@example.com")'


def test_a_merge_fills_the_survivors_blank_own_column_and_unmerge_empties_it_again(book: Path) -> None:
    """A column of the owner's (Telegram) filled on the merged row only: the survivor gets the value, as it gets an
    e-mail it lacked; a survivor's own value is kept; unmerge gives both rows back as they were."""
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Clients"]
    telegram, note = sheet.max_column + 1, sheet.max_column + 2
    sheet.cell(1, telegram, "Telegram")
    sheet.cell(1, note, "Note")
    sheet.cell(4, telegram, "@ivan_petrov")  # C000003, merged into C000001 (row 2)
    sheet.cell(4, note, "from the old base")
    sheet.cell(2, note, "our client since 2019")
    workbook.save(book)
    before = user_sheets(book)["Clients"]

    result = dedupe_workbook(book, save=SaveOptions(keep_backups=0))

    [merge] = [m for m in result.merges if m["merge_id"] == "M0001"]
    assert merge["own_changes"] == {"Telegram": "@ivan_petrov"}
    sheet = openpyxl.load_workbook(book)["Clients"]
    assert sheet.cell(2, telegram).value == "@ivan_petrov" and sheet.cell(2, note).value == "our client since 2019"

    unmerge_workbook(book, "M0001", save=SaveOptions(keep_backups=0))
    assert user_sheets(book)["Clients"][: len(before)] == before
