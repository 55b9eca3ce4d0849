"""Contracts in force and the nearest end of their terms, from real workbooks: statuses, dates at their
boundaries, annexes that extend a term, and rows validation reports, which must not break anything."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.builders import valid_records, write_records
from xlcrm import schema
from xlcrm.create.template import build_workbook
from xlcrm.lifecycle.analysis import Analysis, analyse
from xlcrm.lifecycle.contracts import ENDING, EXPIRED, contract_reminders
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 12, 3)


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def contract(contract_id: str, client_id: str, **values: object) -> dict[str, object]:
    return {"contract_id": contract_id, "client_id": client_id, **values}


def analysed(folder: Path, contracts: list[dict[str, object]], locale: str = "ru", days: int = 30) -> Analysis:
    """A template workbook of clients C01..C12 and ``contracts``, analysed on TODAY."""
    clients = [{"client_id": f"C{n:02}", "name": f"Клиент {n}", "created": TODAY} for n in range(1, 13)]
    book = build_workbook(locale, rows={"clients": clients, "contracts": contracts})
    settings = book[schema.SETTINGS.name(locale)]
    [cell] = [row[0] for row in settings.iter_rows() if row[0].value == "contract_end_days"]
    settings.cell(cell.row, cell.column + 2).value = days  # Key, Setting, Value
    path = folder / "contracts.xlsx"
    book.save(path)
    return analyse(read_workbook(path), TODAY)


def figures(analysis: Analysis) -> dict[str, tuple[int, dt.date | None]]:
    """ClientID -> (contracts in force, nearest end) of the clients with a contract in force."""
    clients = analysis.lifecycle.clients
    return {
        str(client_id): (int(count), None if pd.isna(ends) else pd.Timestamp(ends).date())
        for client_id, count, ends in zip(clients.index, clients["active_contracts"], clients["contract_ends"])
        if count
    }


def test_statuses_and_dates_decide_what_is_in_force(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        [
            contract("D01", "C01", status=schema.CONTRACT_ACTIVE.ru, valid_from=day(-30), valid_until=day(30)),
            contract("D02", "C02", valid_from=day(-30), valid_until=day(10)),  # blank status counts as Active
            contract("D03", "C03", status=schema.CONTRACT_DRAFT.ru, valid_until=day(10)),
            contract("D04", "C04", status=schema.CONTRACT_CLOSED.ru, valid_until=day(10)),
            contract("D05", "C05", status="Подписан", valid_until=day(10)),  # not on the list: does not count
            contract("D06", "C06", valid_from=day(0), valid_until=day(0)),  # its first and last day
            contract("D07", "C07", valid_from=day(1), valid_until=day(100)),  # starts tomorrow
            contract("D08", "C08", valid_until=day(-1)),  # ended yesterday
            contract("D09", "C09"),  # no dates: open-ended, in force, no end
            contract("D10", "C10", status="active", valid_until=day(7)),  # the English word in a Russian workbook
            contract("D11", "C10", valid_until=day(3)),
            contract("D12", "C10", valid_from=day(-400)),  # open-ended: counted, no end of its own
        ],
    )
    assert figures(analysis) == {
        "C01": (1, day(30)),
        "C02": (1, day(10)),
        "C06": (1, day(0)),
        "C09": (1, None),
        "C10": (3, day(3)),
    }
    clients = analysis.lifecycle.clients
    assert clients.loc["C03", "active_contracts"] == 0 and pd.isna(clients.loc["C03", "contract_ends"])


def test_annexes_are_not_contracts_but_extend_their_term(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        [
            # C01: ended five days ago, an annex runs it on to day 20, and an annex of that annex to day 45.
            contract("D01", "C01", valid_from=day(-365), valid_until=day(-5)),
            contract("A01", "C01", parent_id="D01", valid_until=day(20)),
            contract("A02", "C01", parent_id="A01", valid_until=day(45)),
            # C02: a Draft annex (being agreed) and one with an earlier date change nothing.
            contract("D02", "C02", valid_until=day(10)),
            contract("A03", "C02", parent_id="D02", status=schema.CONTRACT_DRAFT.ru, valid_until=day(300)),
            contract("A04", "C02", parent_id="D02", valid_until=day(2)),
            # C03: an open-ended contract stays open-ended whatever its annex says.
            contract("D03", "C03"),
            contract("A05", "C03", parent_id="D03", valid_until=day(5)),
            # C04: an annex of a missing contract, and two annexes pointing at each other: no contract, no crash.
            contract("A06", "C04", parent_id="D99", valid_until=day(5)),
            contract("A07", "C04", parent_id="A08", valid_until=day(5)),
            contract("A08", "C04", parent_id="A07", valid_until=day(5)),
            # C05: a Closed contract is not revived by its Active annex.
            contract("D05", "C05", status=schema.CONTRACT_CLOSED.ru, valid_until=day(-1)),
            contract("A09", "C05", parent_id="D05", valid_until=day(60)),
        ],
    )
    assert figures(analysis) == {"C01": (1, day(45)), "C02": (1, day(10)), "C03": (1, None)}
    terms = analysis.lifecycle.contracts
    assert terms["contract_id"].tolist() == ["D01", "D02", "D03", "D05"]  # one row per contract, no annex


def test_rows_validation_reports_break_nothing(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        [
            contract("D01", "C99", valid_until=day(5)),  # no such client
            contract("D02", "C01", valid_from=day(10), valid_until=day(5)),  # dates the wrong way round
            contract("D03", "C02", valid_from=day(-10), valid_until=day(-20)),
            contract("D04", "C03", valid_until=day(4)),
            contract("D04", "C04", valid_until=day(8)),  # the ContractID again
            contract("A01", "C06", parent_id="D04", valid_until=day(50)),  # extends the first D04
            contract(None, "C05", valid_until=day(9)),  # no ContractID
            contract("D06", None, valid_until=day(9)),  # no ClientID
            contract("D07", "C07", valid_until="скоро"),  # not a date: as if blank
        ],
    )
    assert figures(analysis) == {"C03": (1, day(50)), "C04": (1, day(8)), "C05": (1, day(9)), "C07": (1, None)}
    reminders = contract_reminders(analysis.lifecycle.contracts, TODAY, 30)
    # Dates the wrong way round never remind; the unknown client's contract reminds, the agenda drops it.
    assert reminders["contract_id"].tolist() == ["D04", None, "D01", "D06"]


@pytest.mark.parametrize("days", [30, 10])
def test_reminders_run_contract_end_days_before_and_after_the_end(tmp_path: Path, days: int) -> None:
    ends = {"C01": days, "C02": days + 1, "C03": 0, "C04": -1, "C05": -days, "C06": -days - 1}
    rows = [contract(f"D-{client_id}", client_id, valid_until=day(left)) for client_id, left in ends.items()]
    rows.append(contract("D-C07", "C07", status=schema.CONTRACT_DRAFT.ru, valid_until=day(1)))
    rows.append(contract("D-C08", "C08", status=schema.CONTRACT_CLOSED.ru, valid_until=day(-1)))
    analysis = analysed(tmp_path, rows, days=days)
    assert analysis.settings.contract_end_days == days
    reminders = contract_reminders(analysis.lifecycle.contracts, TODAY, days)
    assert list(zip(reminders["client_id"], reminders["kind"], reminders["days_left"])) == [
        ("C01", ENDING, days),
        ("C03", ENDING, 0),
        ("C04", EXPIRED, -1),
        ("C05", EXPIRED, -days),
    ]


def test_a_workbook_without_a_contracts_sheet_has_no_contracts(tmp_path: Path) -> None:
    records = valid_records("en")
    path = write_records(tmp_path / "old.xlsx", "en", records)
    clients = analyse(read_workbook(path), TODAY).lifecycle.clients
    assert (clients["active_contracts"] == 0).all() and clients["contract_ends"].isna().all()
