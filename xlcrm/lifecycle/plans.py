"""Open plans: what was promised and not yet done, read from the log by the closing rule.

Every Next date on a row of the log is a plan (kind ``"next_date"``, due on the
Next date), and so is every row dated after today (kind ``"booked"``: a meeting
or call set for that day, due on its Date). On its own day a booked row is dated
today: while its Result is empty it is still a plan due today (a call logged
today normally has its Result typed in; an order, a return or a payment is never a plan), and it counts as a
contact all the same; from the next day it is a past row, the contact itself. A plan written on a row dated R and
due D is closed by any contact of the client (a row dated up to today, of any
type but a payment, which is bookkeeping) dated after R and no earlier than D - ``plan_early_days``: the call made
a day or three ahead of the date did the job, an unrelated call a week earlier
did not. A plan on an undated row is closed by any contact from D -
``plan_early_days`` on. To cancel a plan the user clears its Next date.

A contact closes a plan when it falls in that window, so the client's latest
contact decides: the test is one comparison per plan, vectorised over the
whole log, never a loop over rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from xlcrm import schema

PLAN_COLUMNS = ("client_id", "due", "action", "row", "kind")
NEXT_DATE = "next_date"
BOOKED = "booked"

_DAY = np.timedelta64(1, "D")


def open_plans(
    log: pd.DataFrame,
    position: np.ndarray,
    client_ids: pd.Index,
    last_contact: np.ndarray,
    today: dt.date,
    early_days: int,
) -> pd.DataFrame:
    """The open plans of the log, earliest due first (the log's order among equal dates).

    ``log`` is the whole Interactions frame, future rows included (rows dated today with an empty ``result``
    are booked too, due today); ``position`` gives each row's client as its
    place in ``client_ids`` (-1: no such client, so no plan); ``last_contact`` is each client's latest dated
    contact up to ``today`` (NaT: none). Columns: PLAN_COLUMNS, ``due`` as ``datetime64``, ``action`` the row's
    Next action (None when blank), ``row`` the Interactions Excel row and ``kind`` NEXT_DATE or BOOKED.
    """
    now = np.datetime64(pd.Timestamp(today).to_datetime64(), "ns")
    known = position >= 0
    date = log["date"].to_numpy(dtype="datetime64[ns]")
    next_date = log["next_date"].to_numpy(dtype="datetime64[ns]")
    with_next = np.flatnonzero(known & ~np.isnat(next_date))
    # NaT compares False: an undated row is never booked. A row of today not done yet (no Result) is still booked,
    # unless it is an order, a return or a payment: those record what happened, they plan nothing.
    recorded = [kind.key for kind in (*schema.REVENUE_TYPES, *schema.NON_CONTACT_TYPES)]
    no_result = (log["result"].isna() & ~log["type"].isin(recorded)).to_numpy()
    booked = np.flatnonzero(known & ((date > now) | ((date == now) & no_result)))
    taken = np.concatenate([with_next, booked])
    made = date[taken]
    due = np.concatenate([next_date[with_next], date[booked]])
    clients = position[taken]

    # A contact closes the plan from this day on: the day after the planning row, and no sooner than due - early.
    closes_from = due - np.timedelta64(early_days, "D")
    after_made = made + _DAY
    closes_from = np.where(after_made > closes_from, after_made, closes_from)  # NaT (undated row) compares False
    latest = last_contact.astype("datetime64[ns]")[clients]
    closed = ~np.isnat(latest) & (latest >= closes_from)

    kinds = np.repeat(np.array([NEXT_DATE, BOOKED], dtype=object), [len(with_next), len(booked)])
    actions = log["next_action"].to_numpy(dtype=object)[taken]
    keep = ~closed
    plans = pd.DataFrame(
        {
            "client_id": pd.Series(client_ids.to_numpy(dtype=object)[clients[keep]], dtype=object),
            "due": due[keep],
            "action": pd.Series(np.where(pd.isna(actions[keep]), None, actions[keep]), dtype=object),
            "row": log.index.to_numpy()[taken[keep]],
            "kind": pd.Series(kinds[keep], dtype=object),
        },
        columns=list(PLAN_COLUMNS),
    )
    ordered = np.lexsort((plans["row"].to_numpy(), plans["due"].to_numpy()))
    in_order: pd.DataFrame = plans.iloc[ordered].reset_index(drop=True)
    return in_order
