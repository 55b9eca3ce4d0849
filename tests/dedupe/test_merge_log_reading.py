"""Reading the Merge log back: tables of older layouts and roles as typed."""

from __future__ import annotations

import datetime as dt

from xlcrm import schema
from xlcrm.dedupe.merge_log import read_merge_log


def test_two_tables_with_their_clients_columns_in_another_order_read_under_the_first_tables_headers() -> None:
    merged_on = dt.datetime(2026, 11, 30, 21, 5)
    rows = [
        ["Merge ID", "Merged on", "Why merged", "Role", "Sheet", "Row", "ClientID", "Name", "Phone"],
        ["M0001", merged_on, "same phone", "survivor", "Clients", 2, "C000001", "Анна", "+79001112233"],
        ["M0001", merged_on, "same phone", "MERGED", "Clients", 3, "C000002", "Анна", ""],
        [],
        ["Merge ID", "Merged on", "Why merged", "Role", "Sheet", "Row", "Phone", "ClientID"],
        ["M0002", merged_on, "same e-mail", "основная", "Clients", 5, "+79004445566", "C000007"],
        ["M0002", merged_on, "same e-mail", "Объединена", "Clients", 6],
        ["M0002", merged_on, "", "typed over", "Clients", "six", "+79007778899", "C000008"],
    ]

    log = read_merge_log(rows)

    assert log.headers == ["ClientID", "Name", "Phone"]
    assert [(e.merge_id, e.role, e.row, e.values) for e in log.entries] == [
        ("M0001", schema.SURVIVOR_ROLE.key, 2, ("C000001", "Анна", "+79001112233")),
        ("M0001", schema.MERGED_ROLE.key, 3, ("C000002", "Анна", None)),
        ("M0002", schema.SURVIVOR_ROLE.key, 5, ("C000007", None, "+79004445566")),
        ("M0002", schema.MERGED_ROLE.key, 6, (None, None, None)),
        ("M0002", "typed over", 0, ("C000008", None, "+79007778899")),
    ]
    assert {e.merged_on for e in log.entries} == {merged_on}


def test_a_role_cell_is_read_by_its_type_as_well_as_its_value() -> None:
    """True equals 1 in Python; as cells they are different texts."""
    header = ["Merge ID", "Merged on", "Why merged", "Role", "Sheet", "Row", "ClientID"]
    rows = [header, ["M0001", None, "", 1, "Clients", 2, "C1"], ["M0001", None, "", True, "Clients", 3, "C2"]]

    roles = [entry.role for entry in read_merge_log(rows).entries]

    assert roles[0] != roles[1]


def test_a_row_cell_that_is_no_whole_number_reads_as_row_0() -> None:
    """Typed over in Excel, or a NaN or an infinity that a file may hold: no row, and no crash."""
    header = ["Merge ID", "Merged on", "Why merged", "Role", "Sheet", "Row", "ClientID"]
    cells = [float("nan"), float("inf"), -float("inf"), 2.5, "seven", True, 7.0]
    rows = [header, *(["M0001", None, "", "merged", "Clients", cell, "C1"] for cell in cells)]

    assert [entry.row for entry in read_merge_log(rows).entries] == [0, 0, 0, 0, 0, 0, 7]
