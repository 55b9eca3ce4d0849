"""xlcrm refresh folds dedupe into its one read and one save: merges, decisions typed on the Duplicates sheet,
blocks and computed columns of the merged base, dry runs, idempotence and refusals that leave the file alone."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl.comments import Comment

from tests.builders import settings_records, write_records
from tests.dedupe.test_unmerge import cells, client, set_decision
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.dedupe.merge import apply_plan, load_plan
from xlcrm.dedupe.merge_log import read_merge_log, read_sheet_rows
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.as_saved import as_saved, deleted_rows
from xlcrm.jobs.dedupe import unmerge_workbook
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.xlsx.reader import read_workbook

CLIENTS, CONTACTS, INTERACTIONS, SETTINGS = (
    schema.CLIENTS.key,
    schema.CONTACTS.key,
    schema.INTERACTIONS.key,
    schema.SETTINGS.key,
)
TODAY = dt.date(2026, 11, 23)
COMPUTED = len(schema.CLIENTS.columns)  # index of ▸ Block on a Clients row; ▸ Orders, ▸ Revenue … follow


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """Romashka typed twice (rows 2 and 4; its order logged on the copy), a probable pair (rows 5 and 6)."""
    clients = [
        client(1, "Иван Петров", 'ООО "Ромашка"', phone="8 (916) 123-45-67", city="Москва", inn="7707083893"),
        client(2, "Olga Sidorova", None, phone="+7 495 123-45-67", email="olga@example.com"),
        client(
            3,
            "Ivan Petrov",
            "Romashka LLC",
            phone="+79161234567, +7 903 555-44-33",
            email="ivan@romashka.ru",
            designation="VIP",
        ),
        client(4, "Сергей Кузнецов", "ООО «Техносфера»", phone="+7 916 111-22-33", city="Самара"),
        client(5, "Кузнецов Сергей", "Техносфера", phone="+7 903 444-55-66", city="Самара"),
    ]
    interactions = [
        {"date": dt.date(2026, 3, 1), "client_id": "C000003", "type": "Order", "amount": 5000},
        {"date": dt.date(2026, 3, 2), "client_id": "C000001", "type": "Call out"},
        {"date": dt.date(2026, 3, 3), "client_id": "C000003", "type": "Meeting"},
        {"date": dt.date(2026, 4, 1), "client_id": "C000005", "type": "Order", "amount": 700},
    ]
    contacts = [{"client_id": "C000003", "name": "Мария Иванова"}]
    records = {
        CLIENTS: clients,
        CONTACTS: contacts,
        INTERACTIONS: interactions,
        SETTINGS: settings_records("en", {"managers": ["Anna"]}),
    }
    return write_records(tmp_path / "clients.xlsx", "en", records)


def clients_by_id(path: Path) -> dict[str, list[object]]:
    rows = cells(path)["Clients"]
    return {row[0]: row for row in rows[1:] if row[0]}


def test_refresh_merges_and_reports_the_merged_base(book: Path) -> None:
    result = CliRunner().invoke(
        cli, ["refresh", str(book), "--today", TODAY.isoformat(), "--json", "--keep-backups", "0"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["merged_clients"] == 1 and payload["review_pairs"] == 1
    assert [(m["survivor"], m["merged"]) for m in payload["merges"]] == [("C000001", ["C000003"])]
    assert {schema.DUPLICATES.name("en"), schema.MERGE_LOG.name("en")} <= set(payload["added_sheets"])

    rows = cells(book)["Clients"]
    assert [row[0] for row in rows[1:]] == ["C000001", "C000002", "C000004", "C000005"]
    survivor = clients_by_id(book)["C000001"]
    # The copy's VIP filled the survivor's blank Designation: the survivor's block is VIP, with the copy's order.
    assert survivor[COMPUTED : COMPUTED + 3] == ["7 VIP", 1, 5000]
    assert survivor[COMPUTED + 5] == dt.date(2026, 3, 3)  # last contact: the copy's meeting
    assert clients_by_id(book)["C000005"][COMPUTED : COMPUTED + 3] == ["4 Working", 1, 700]
    assert len(rows) == 5 and all(len(row) <= COMPUTED + len(schema.CLIENT_COMPUTED_COLUMNS) for row in rows)
    assert [row[1] for row in cells(book)["Interactions"][1:]] == ["C000001", "C000001", "C000001", "C000005"]
    assert [row[0] for row in cells(book)["Contacts"][1:]] == ["C000001"]
    log = read_merge_log(read_sheet_rows(book, schema.MERGE_LOG))
    assert {(e.merge_id, e.role, e.row) for e in log.entries if e.sheet == "Clients"} == {
        ("M0001", "survivor", 2),
        ("M0001", "merged", 4),
    }
    dashboard = cells(book)[schema.DASHBOARD.name("en")]
    header = next(i for i, row in enumerate(dashboard) if row[0] == "#")
    by_block = {int(row[0]): row[2] for row in dashboard[header + 1 : header + 9]}
    assert by_block == {8: 0, 7: 1, 6: 0, 5: 0, 4: 1, 3: 0, 2: 2, 1: 0}  # four clients once merged


def test_decision_typed_on_duplicates_is_applied_by_the_next_refresh(book: Path) -> None:
    refresh_workbook(book, today=TODAY, save=SaveOptions(keep_backups=0))
    set_decision(book, {"C000004", "C000005"}, "merge")
    result = refresh_workbook(book, today=TODAY, save=SaveOptions(keep_backups=0))
    assert (result.merged_clients, result.review_pairs) == (1, 0)
    assert list(clients_by_id(book)) == ["C000001", "C000002", "C000004"]
    # C000005's order now counts for C000004, which moves from Potential to Working.
    assert clients_by_id(book)["C000004"][COMPUTED : COMPUTED + 3] == ["4 Working", 1, 700]
    assert [
        e.merge_id for e in read_merge_log(read_sheet_rows(book, schema.MERGE_LOG)).entries if e.role == "merged"
    ] == ["M0001", "M0002"]


def test_second_refresh_merges_nothing_and_writes_the_same_cells(book: Path) -> None:
    refresh_workbook(book, today=TODAY, save=SaveOptions(keep_backups=0))
    again = refresh_workbook(book, today=TODAY, save=SaveOptions(keep_backups=0))
    assert (again.merged_clients, again.review_pairs, again.added_columns) == (0, 1, ())
    # The match model is learnt on the clients as they are: once the first refresh merged a duplicate, the weights
    # on ▸ Duplicates move with it. From then on nothing changes.
    first = cells(book)
    refresh_workbook(book, today=TODAY, save=SaveOptions(keep_backups=0))
    second = cells(book)
    # Block history gains this refresh's row; ▸ Changes names the save it compared with (the first had none).
    for name in set(first) - {schema.BLOCK_HISTORY.name("en"), schema.CHANGES.name("en")}:
        assert second[name] == first[name], name


def test_dry_run_says_what_dedupe_would_do_and_writes_nothing(book: Path) -> None:
    before = book.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(book), "--today", TODAY.isoformat(), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would merge 1 duplicate client into its survivor" in result.output
    merge_line = next(line for line in result.output.splitlines() if line.startswith("  C000001 <- C000003 ("))
    assert "same phone +79161234567" in merge_line
    assert "1 probable duplicate pair to review on ▸ Duplicates" in result.output
    assert "Would add ▸ Dashboard" in result.output and "▸ Merge log" in result.output
    assert book.read_bytes() == before and not (book.parent / ".xlcrm-backups").exists()


def test_refused_merge_fails_clearly_and_leaves_the_file_alone(book: Path) -> None:
    workbook = openpyxl.load_workbook(book)
    workbook["Clients"]["B4"].comment = Comment("met at the fair", "Anna")  # a note on the copy's row
    workbook.save(book)
    before = book.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(book), "--today", TODAY.isoformat()])
    assert result.exit_code != 0
    assert result.output.startswith("Error: cannot delete rows of 'Clients'") and "comment" in result.output
    assert "Traceback" not in result.output
    assert book.read_bytes() == before and not (book.parent / ".xlcrm-backups").exists()


def test_merge_undone_after_a_refresh_stays_undone(book: Path) -> None:
    refresh_workbook(book, today=TODAY, save=SaveOptions(keep_backups=0))
    unmerge_workbook(book, "M0001", save=SaveOptions(keep_backups=0))
    result = refresh_workbook(book, today=TODAY, save=SaveOptions(keep_backups=0))
    assert result.merged_clients == 0  # the unmerge marked the pair keep apart
    clients = clients_by_id(book)
    assert list(clients) == ["C000001", "C000002", "C000003", "C000004", "C000005"]
    # Each has its own interactions back: the order is C000003's again, and C000001 only called.
    assert clients["C000003"][COMPUTED : COMPUTED + 3] == ["7 VIP", 1, 5000]
    assert clients["C000001"][COMPUTED : COMPUTED + 3] == ["2 Potential", 0, 0]


def test_the_merged_base_keeps_only_the_distinct_values_that_still_hold(book: Path) -> None:
    """What validation found per distinct value before the merges is taken over for the columns they left alone;
    the cells are exactly those of the merged base either way."""
    data = read_workbook(book)
    for sheet in data.sheets.values():
        for key in sheet.frame.columns:
            sheet.distinct(key)
    plan, log = load_plan(data)
    edits, _ = apply_plan(plan, log)
    merged = as_saved(data, edits, deleted_rows(edits))
    carried = {key: set(sheet._distinct) for key, sheet in merged.sheets.items()}
    for sheet in merged.sheets.values():
        for column in sheet.frame.columns:
            codes, values = sheet.distinct(column)
            assert [values[code] if code >= 0 else None for code in codes] == sheet.frame[column].tolist()
    assert len(merged.sheets[CLIENTS].frame) < len(data.sheets[CLIENTS].frame)
    assert "name" in carried[CLIENTS] and "date" in carried[INTERACTIONS]
    # The merges re-point interactions to the survivor and fill its blanks: those columns are found afresh.
    assert "client_id" not in carried[INTERACTIONS] and "email" not in carried[CLIENTS]


def test_the_merged_base_leaves_the_sheets_as_read_as_they_were(book: Path) -> None:
    """Interactions loses no rows to the merges and shares its columns with the sheet as read: the re-pointed
    ClientIDs are set on the merged base only."""
    data = read_workbook(book)
    read = {key: sheet.frame.copy() for key, sheet in data.sheets.items()}
    plan, log = load_plan(data)
    edits, _ = apply_plan(plan, log)
    merged = as_saved(data, edits, deleted_rows(edits))
    for key, sheet in data.sheets.items():
        pd.testing.assert_frame_equal(sheet.frame, read[key])
    interactions = merged.sheets[INTERACTIONS].frame
    assert (interactions["client_id"] != read[INTERACTIONS]["client_id"]).any()
    assert np.shares_memory(interactions["date"].to_numpy(), data.sheets[INTERACTIONS].frame["date"].to_numpy())
