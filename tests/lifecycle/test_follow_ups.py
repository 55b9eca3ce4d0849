"""Each block's follow-up and its due date, at both sides of every threshold (default settings)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.builders import write_records
from tests.lifecycle.test_lifecycle import LOCALE, TODAY, ago, case_records, lifecycle_of, word
from xlcrm import schema
from xlcrm.lifecycle.blocks import Lifecycle

ORDER, CALL, AGREEMENT, MEETING = schema.ORDER, schema.CALL_IN, schema.AGREEMENT, schema.MEETING
# Each client: designation, log as (days ago, type; negative: booked ahead, a plan), created (days ago, None:
# blank), follow-up, due (days ago).
CASES: dict[
    str, tuple[schema.ListValue | None, list[tuple[int, schema.ListValue]], int | None, str | None, int | None]
] = {
    # Potential never contacted: first contact first_contact_days (3) after Created.
    "new_2_days": (None, [], 2, None, None),
    "new_3_days": (None, [], 3, "first_contact", 0),
    "new_long_ago": (None, [], 400, "first_contact", 397),
    "new_no_created": (None, [], None, "first_contact", 0),
    "called_prospect": (None, [(100, CALL)], 400, None, None),  # contacted: no first contact due
    # Active (an agreement, no order) silent active_silent_days (14): first order.
    "agreed_13": (None, [(13, AGREEMENT)], 400, None, None),
    "agreed_14": (None, [(14, AGREEMENT)], 400, "first_order", 0),
    "agreed_400": (None, [(400, AGREEMENT)], 400, "first_order", 386),  # cold, never Dead
    # Working (1-2 orders) silent working_silent_days (30): second order.
    "working_29": (None, [(40, ORDER), (29, CALL)], 400, None, None),
    "working_30": (None, [(40, ORDER), (30, CALL)], 400, "second_order", 0),
    "working_364": (None, [(364, ORDER)], 400, "second_order", 334),
    # Regular/Partner past the purchase rhythm (median gap 10 days here): reorder.
    "regular_due_tomorrow": (None, [(29, ORDER), (19, ORDER), (9, ORDER)], 400, None, None),
    "regular_due_today": (None, [(30, ORDER), (20, ORDER), (10, ORDER)], 400, "reorder", 0),
    # A contact that brought no order puts the reminder one rhythm after it.
    "regular_called_after": (None, [(30, ORDER), (20, ORDER), (10, ORDER), (1, CALL)], 400, None, None),
    "regular_called_9": (None, [(50, ORDER), (40, ORDER), (30, ORDER), (9, CALL)], 400, None, None),
    "regular_called_10": (None, [(50, ORDER), (40, ORDER), (30, ORDER), (10, CALL)], 400, "reorder", 0),
    "regular_called_15": (None, [(40, ORDER), (30, ORDER), (20, ORDER), (15, CALL)], 400, "reorder", 5),
    # VIP/Key with no contact for review_days (60): review; never contacted: at once.
    "vip_59": (schema.VIP, [(59, CALL)], 400, None, None),
    "vip_60": (schema.VIP, [(60, CALL)], 400, "review", 0),
    "key_never": (schema.KEY_ACCOUNT, [], 400, "review", 0),
    # Dead to revive: from dead_after_days (365) after the last contact.
    "former_365": (None, [(365, ORDER)], 400, "reactivate", 0),
    "former_500": (None, [(500, ORDER), (400, CALL)], 600, "reactivate", 35),
    # Lost with an order within lost_order_days (60): check the status, due on the order's day.
    "lost_ordered_60": (schema.LOST, [(60, ORDER)], 400, "check_status", 60),
    "lost_ordered_61": (schema.LOST, [(61, ORDER)], 400, None, None),
    "lost_no_order": (schema.LOST, [(5, CALL)], 400, None, None),
    # An open plan (here a row booked ahead) is the next step: it holds off the follow-ups that ask for one.
    "new_meeting_booked": (None, [(-3, MEETING)], 22, None, None),
    "agreed_14_booked": (None, [(14, AGREEMENT), (-2, CALL)], 400, None, None),
    "working_30_booked": (None, [(40, ORDER), (30, CALL), (-1, CALL)], 400, None, None),
    "regular_due_booked": (None, [(30, ORDER), (20, ORDER), (10, ORDER), (-5, MEETING)], 400, None, None),
    "vip_60_booked": (schema.VIP, [(60, CALL), (-9, MEETING)], 400, None, None),
    # Only a plan the agenda shows (within birthday_days, 14, or overdue): a plan further ahead holds off nothing,
    # so a silent client is never off every agenda.
    "working_30_booked_14": (None, [(40, ORDER), (30, CALL), (-14, CALL)], 400, None, None),
    "working_30_booked_15": (None, [(40, ORDER), (30, CALL), (-15, CALL)], 400, "second_order", 0),
    # ... but not a reactivation or a status to check.
    "former_365_booked": (None, [(365, ORDER), (-1, CALL)], 400, "reactivate", 0),
    "lost_ordered_60_booked": (schema.LOST, [(60, ORDER), (-1, CALL)], 400, "check_status", 60),
}


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Lifecycle:
    records = case_records(
        {client: (designation, log, 0, False, False) for client, (designation, log, *_) in CASES.items()}
    )
    for row in records[schema.CLIENTS.key]:
        created = CASES[str(row["client_id"])][2]
        row["created"] = None if created is None else ago(created)
    return lifecycle_of(write_records(tmp_path_factory.mktemp("follow") / "follow.xlsx", LOCALE, records))


@pytest.mark.parametrize("client", list(CASES))
def test_follow_up(lifecycle: Lifecycle, client: str) -> None:
    *_, follow_up, due = CASES[client]
    row = lifecycle.clients.loc[client]
    found_due = None if pd.isna(row["follow_up_due"]) else row["follow_up_due"]
    assert (row["follow_up"], found_due) == (follow_up, None if due is None else pd.Timestamp(ago(due)))


def test_review_days_from_settings(tmp_path: Path) -> None:
    records = case_records({"vip": (schema.VIP, [(30, CALL)], 7, False, False)}, settings={"review_days": 30})
    clients = lifecycle_of(write_records(tmp_path / "review.xlsx", LOCALE, records)).clients
    assert (clients.loc["vip", "follow_up"], bool(clients.loc["vip", "review"])) == ("review", True)
    assert clients.loc["vip", "follow_up_due"] == pd.Timestamp(TODAY)


def test_a_future_order_is_a_plan_not_an_order(tmp_path: Path) -> None:
    """An order booked for next week is a plan, not an order: the Working client is still silent 30 days with one
    order, and the plan, not a second-order follow-up, is the next step."""
    records = case_records({"c": (None, [(40, ORDER), (30, CALL)], 4, False, False)})
    records[schema.INTERACTIONS.key].append(
        {"date": TODAY + dt.timedelta(days=7), "client_id": "c", "type": word(ORDER), "amount": 5}
    )
    row = lifecycle_of(write_records(tmp_path / "future.xlsx", LOCALE, records)).clients.loc["c"]
    assert (row["orders"], row["block"], row["days_silent"]) == (1, schema.WORKING.number, 30)
    assert row["follow_up"] is None
    assert row["next_contact"] == pd.Timestamp(TODAY + dt.timedelta(days=7))


def test_an_open_plan_holds_off_the_follow_up_until_it_is_closed(tmp_path: Path) -> None:
    """A Next date, overdue or not, holds off the follow-up; once a contact closes it, the follow-up is back."""
    records = case_records(
        {
            "overdue": (None, [], 4, False, False),
            "closed": (None, [], 4, False, False),
            "prospect": (None, [], 2, False, False),
        }
    )
    for row in records[schema.CLIENTS.key]:
        row["created"] = ago(22)
    log = records[schema.INTERACTIONS.key]
    log += [
        # Working, silent 40 days, its plan 35 days overdue: on the agenda as a plan, not as a second order.
        {"date": ago(50), "client_id": "overdue", "type": word(ORDER), "amount": 5},
        {"date": ago(40), "client_id": "overdue", "type": word(CALL), "next_date": ago(35)},
        # The same plan, closed by the call 35 days ago: silent 35 days, the second order is due.
        {"date": ago(50), "client_id": "closed", "type": word(ORDER), "amount": 5},
        {"date": ago(40), "client_id": "closed", "type": word(CALL), "next_date": ago(35)},
        {"date": ago(35), "client_id": "closed", "type": word(CALL)},
    ]
    lifecycle = lifecycle_of(write_records(tmp_path / "plans.xlsx", LOCALE, records))
    clients = lifecycle.clients
    assert clients.loc["overdue", "follow_up"] is None
    assert clients.loc["overdue", "next_contact"] == pd.Timestamp(ago(35))
    assert (clients.loc["closed", "follow_up"], clients.loc["closed", "follow_up_due"]) == (
        "second_order",
        pd.Timestamp(ago(5)),
    )
    # Never contacted, nothing planned: the first contact, 19 days late.
    assert (clients.loc["prospect", "follow_up"], clients.loc["prospect", "follow_up_due"]) == (
        "first_contact",
        pd.Timestamp(ago(19)),
    )
