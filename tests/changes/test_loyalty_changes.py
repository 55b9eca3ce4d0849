"""▸ Changes and the columns of payments and loyalty: an edited Card number, Discount, Payment term or Order No. is a
changed row naming its column and both values; a copy saved before these columns existed, compared with the workbook
that has them blank (an upgraded one), is no change."""

from __future__ import annotations

import copy
from pathlib import Path

from openpyxl import load_workbook

from tests.builders import sheets_from_records, write_workbook
from tests.changes.test_refresh_changes import change_lines, refresh
from tests.loyalty_book import loyalty_records, write_loyalty_book
from xlcrm.checks.changes import CHANGED, compare_workbooks
from xlcrm.xlsx.reader import read_workbook

Rows = dict[str, list[list[object]]]
NEW_COLUMNS = {"Clients": ("Discount, %", "Card number", "Payment term, days"), "Interactions": ("Order No.",)}


def compare(tmp_path: Path, before: Rows, after: Rows) -> list[tuple[str, str, str | None, dict, dict]]:
    saved = read_workbook(write_workbook(tmp_path / "saved.xlsx", before))
    now = read_workbook(write_workbook(tmp_path / "now.xlsx", after))
    return [(row.sheet, row.kind, row.client_id, row.before, row.now) for row in compare_workbooks(saved, now).rows]


def set_cell(rows: Rows, sheet: str, row: int, header: str, value: object) -> None:
    rows[sheet][row][rows[sheet][0].index(header)] = value


def test_each_new_column_edited_is_a_changed_row(tmp_path: Path) -> None:
    rows = sheets_from_records("en", loyalty_records("en"))
    after = copy.deepcopy(rows)
    set_cell(after, "Clients", 1, "Card number", "999")
    set_cell(after, "Clients", 2, "Discount, %", 7)
    set_cell(after, "Clients", 3, "Payment term, days", 45)
    set_cell(after, "Interactions", len(rows["Interactions"]) - 2, "Order No.", "502")
    assert compare(tmp_path, rows, after) == [
        ("clients", CHANGED, "C000001", {"Card number": "1234567890"}, {"Card number": "999"}),
        ("clients", CHANGED, "C000002", {"Discount, %": 5.0}, {"Discount, %": 7.0}),
        ("clients", CHANGED, "C000003", {"Payment term, days": 0.0}, {"Payment term, days": 45.0}),
        ("interactions", CHANGED, "C000003", {"Order No.": "501"}, {"Order No.": "502"}),
    ]


def test_a_copy_saved_before_the_new_columns_is_no_change_when_they_are_blank(tmp_path: Path) -> None:
    rows = sheets_from_records("en", loyalty_records("en"))
    old, blank = copy.deepcopy(rows), copy.deepcopy(rows)
    for sheet, headers in NEW_COLUMNS.items():
        positions = [rows[sheet][0].index(header) for header in headers]
        old[sheet] = [[value for i, value in enumerate(row) if i not in positions] for row in rows[sheet]]
        for row in blank[sheet][1:]:
            for position in positions:
                row[position] = None
    assert compare(tmp_path, old, blank) == []


def test_refresh_lists_an_edited_card_number_on_the_changes_sheet(tmp_path: Path) -> None:
    path = write_loyalty_book(tmp_path / "clients.xlsx", "ru")
    assert refresh(path).exit_code == 0
    book = load_workbook(path)
    clients = book["Клиенты"]
    clients.cell(2, [cell.value for cell in clients[1]].index("Номер карты") + 1).value = "5555"
    book.save(path)
    assert refresh(path).exit_code == 0
    _, lines = change_lines(path)
    shown = " ".join(str(value) for line in lines for value in line.values())
    assert "Номер карты" in shown and "1234567890" in shown and "5555" in shown
