"""compare_workbooks: rows added, changed and deleted between two versions of a workbook, read as xlcrm reads them."""

from __future__ import annotations

import copy
from pathlib import Path

from tests.builders import valid_rows, write_workbook
from xlcrm import schema
from xlcrm.checks.changes import ADDED, CHANGED, DELETED, Changes, compare_workbooks
from xlcrm.xlsx.reader import read_workbook

Rows = dict[str, list[list[object]]]
CLIENTS = schema.CLIENTS.name("en")
INTERACTIONS = schema.INTERACTIONS.name("en")


def _compare(tmp_path: Path, before: Rows, after: Rows) -> Changes:
    saved = read_workbook(write_workbook(tmp_path / "saved.xlsx", before))
    now = read_workbook(write_workbook(tmp_path / "now.xlsx", after))
    return compare_workbooks(saved, now)


def _column(rows: Rows, sheet: str, header: str) -> int:
    return rows[sheet][0].index(header)


def test_the_same_rows_are_no_change(tmp_path: Path) -> None:
    rows = valid_rows("en")
    changes = _compare(tmp_path, rows, copy.deepcopy(rows))
    assert not changes
    assert changes.saved_rows[schema.CLIENTS.key] == len(rows[CLIENTS]) - 1


def test_sorted_rows_are_no_change(tmp_path: Path) -> None:
    rows = valid_rows("en")
    after = copy.deepcopy(rows)
    after[INTERACTIONS][1:] = reversed(after[INTERACTIONS][1:])
    after[CLIENTS][1:] = reversed(after[CLIENTS][1:])
    assert not _compare(tmp_path, rows, after)


def test_a_changed_phone_names_its_column_and_both_values(tmp_path: Path) -> None:
    rows = valid_rows("en")
    after = copy.deepcopy(rows)
    phone = _column(rows, CLIENTS, "Phone")
    old = rows[CLIENTS][2][phone]
    after[CLIENTS][2][phone] = "+7 999 000-11-22"
    (change,) = _compare(tmp_path, rows, after).rows
    assert (change.sheet, change.kind, change.before_row, change.now_row) == ("clients", CHANGED, 3, 3)
    assert change.client_id == rows[CLIENTS][2][_column(rows, CLIENTS, "ClientID")]
    assert change.columns == ("Phone",)
    assert change.before == {"Phone": old}
    assert change.now == {"Phone": "+7 999 000-11-22"}


def test_deleted_and_added_rows(tmp_path: Path) -> None:
    rows = valid_rows("en")
    after = copy.deepcopy(rows)
    gone = after[CLIENTS].pop(1)
    new = list(gone)
    new[_column(rows, CLIENTS, "ClientID")] = "C000777"
    new[_column(rows, CLIENTS, "Name")] = "Someone Else"
    after[CLIENTS].append(new)
    del after[INTERACTIONS][2]
    changes = _compare(tmp_path, rows, after)
    deleted = changes.deleted("clients")
    assert [(d.before_row, d.now_row, d.client_id) for d in deleted] == [(2, None, gone[0])]
    assert deleted[0].before["Name"] == gone[_column(rows, CLIENTS, "Name")]
    assert [(a.now_row, a.client_id) for a in changes.of_kind(ADDED)] == [(len(after[CLIENTS]), "C000777")]
    (interaction,) = changes.deleted("interactions")
    assert interaction.before_row == 3
    assert changes.counts()["interactions"] == {ADDED: 0, CHANGED: 0, DELETED: 1}
    assert changes.counts()["clients"] == {ADDED: 1, CHANGED: 0, DELETED: 1}


def test_one_of_two_identical_rows_deleted(tmp_path: Path) -> None:
    rows = valid_rows("en")
    rows[INTERACTIONS].append(list(rows[INTERACTIONS][1]))
    after = copy.deepcopy(rows)
    after[INTERACTIONS].pop(1)
    changes = _compare(tmp_path, rows, after)
    assert [(c.kind, c.sheet) for c in changes.rows] == [(DELETED, "interactions")]


def test_numbers_compare_by_value(tmp_path: Path) -> None:
    rows = valid_rows("en")
    after = copy.deepcopy(rows)
    amount = _column(rows, INTERACTIONS, "Amount")
    for before_row, after_row in zip(rows[INTERACTIONS][1:], after[INTERACTIONS][1:], strict=True):
        value = before_row[amount]
        if isinstance(value, (int, float)):
            before_row[amount] = int(value)
            after_row[amount] = float(int(value))
    assert not _compare(tmp_path, rows, after)


def test_users_own_columns_count_and_xlcrms_do_not(tmp_path: Path) -> None:
    rows = valid_rows("en")
    for number, row in enumerate(rows[CLIENTS]):
        row.extend(["Note" if number == 0 else "a", "▸ Block" if number == 0 else "Active"])
    for number, row in enumerate(rows[INTERACTIONS]):
        row.append("Client" if number == 0 else "Acme")
    after = copy.deepcopy(rows)
    after[CLIENTS][1][-2] = "b"  # the user's own Note
    after[CLIENTS][2][-1] = "Lost"  # xlcrm's computed ▸ Block
    after[INTERACTIONS][1][-1] = "?"  # the Client formula's value
    (change,) = _compare(tmp_path, rows, after).rows
    assert (change.kind, change.now_row, change.columns, change.before, change.now) == (
        CHANGED,
        2,
        ("Note",),
        {"Note": "a"},
        {"Note": "b"},
    )


def test_a_client_without_id_is_matched_by_content_only(tmp_path: Path) -> None:
    rows = valid_rows("en")
    rows[CLIENTS][1][_column(rows, CLIENTS, "ClientID")] = None
    after = copy.deepcopy(rows)
    after[CLIENTS][1][_column(rows, CLIENTS, "Phone")] = "+7 900 111-22-33"
    changes = _compare(tmp_path, rows, after)
    assert sorted(c.kind for c in changes.rows) == [ADDED, DELETED]


def test_interactions_pair_by_date_client_and_type(tmp_path: Path) -> None:
    rows = valid_rows("en")
    after = copy.deepcopy(rows)
    comment = _column(rows, INTERACTIONS, "Comment")
    after[INTERACTIONS][1][comment] = "called back"
    after[INTERACTIONS][1:] = reversed(after[INTERACTIONS][1:])
    (change,) = _compare(tmp_path, rows, after).rows
    assert (change.kind, change.before_row, change.now_row) == (CHANGED, 2, len(rows[INTERACTIONS]))
    assert change.columns == ("Comment",)
    assert change.now == {"Comment": "called back"}


def test_an_interactions_date_or_type_corrected_in_place_is_a_changed_row(tmp_path: Path) -> None:
    """The date and the type pair an interaction with its saved version; one of them corrected where the row stands is
    still that row changed, not a row deleted (which stops a refresh) and another added."""
    rows = valid_rows("en")
    date, kind = _column(rows, INTERACTIONS, "Date"), _column(rows, INTERACTIONS, "Type")
    after = copy.deepcopy(rows)
    after[INTERACTIONS][2][date] = "2026-03-04"
    after[INTERACTIONS][3][kind] = "Meeting" if rows[INTERACTIONS][3][kind] != "Meeting" else "Call in"
    changes = _compare(tmp_path, rows, after)
    assert [(c.kind, c.before_row, c.now_row, c.columns) for c in changes.rows] == [
        (CHANGED, 3, 3, ("Date",)),
        (CHANGED, 4, 4, ("Type",)),
    ]


def test_a_row_typed_over_with_another_clients_is_still_deleted(tmp_path: Path) -> None:
    """Only the same client's row at the same place is the row edited: another client's interaction typed over it
    deletes the first."""
    rows = valid_rows("en")
    client, date = _column(rows, INTERACTIONS, "ClientID"), _column(rows, INTERACTIONS, "Date")
    others = [row[client] for row in rows[INTERACTIONS][1:] if row[client] != rows[INTERACTIONS][2][client]]
    after = copy.deepcopy(rows)
    after[INTERACTIONS][2][client] = others[0]
    after[INTERACTIONS][2][date] = "2026-03-04"
    changes = _compare(tmp_path, rows, after)
    assert sorted((c.kind, c.before_row, c.now_row) for c in changes.rows) == [(ADDED, None, 3), (DELETED, 3, None)]


def test_an_order_typed_over_with_another_interaction_of_the_same_client_is_still_deleted(tmp_path: Path) -> None:
    """The same row, the same client, but more than the key changed (an order become a call, its amount gone): one
    interaction deleted and another added, which stops a refresh, not a row changed."""
    rows = valid_rows("en")
    kind, amount = _column(rows, INTERACTIONS, "Type"), _column(rows, INTERACTIONS, "Amount")
    order = next(index for index, row in enumerate(rows[INTERACTIONS]) if row[kind] == "Order" and row[amount])
    after = copy.deepcopy(rows)
    after[INTERACTIONS][order][kind] = "Call out"
    after[INTERACTIONS][order][amount] = None
    changes = _compare(tmp_path, rows, after)
    assert sorted(c.kind for c in changes.rows) == [ADDED, DELETED]
