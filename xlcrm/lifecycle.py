"""Lifecycle blocks: each client's place from Dead (1) to Key account (8), computed from the log.

The rules are DESIGN.md's table, checked top to bottom, first that holds wins:

    8 Key account  Designation = Key
    7 VIP          Designation = VIP
    1 Dead         Designation = Lost, or no contact for ``dead_after_days``
    6 Partner      orders >= ``partner_orders``
    5 Regular      orders >= ``regular_orders``
    4 Working      orders >= 1
    3 Active       an Agreement logged, no order yet
    2 Potential    everything else

"No contact for N days" counts from the client's last interaction of any
kind: the client is Dead from day N on (365 days silent is Dead, 364 is not).
A client with nothing logged was never worked, so there is nothing to
reactivate: it stays Potential, however old the row. VIP and Key clients
silent that long keep their block and are flagged for review instead.

Interactions dated after "today" are left out, so a refresh with ``--today``
in the past shows the base as it was then; interactions with an unreadable
date still count as orders and contacts (validation reports the date), but
give no dates. Everything is vectorised: a million interactions take seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlcrm import progress, schema
from xlcrm.frames import Frames
from xlcrm.settings import Settings

# A purchase rhythm needs at least two gaps between orders to mean anything.
MIN_ORDERS_FOR_RHYTHM = 3

LIFECYCLE_COLUMNS = (
    "row", "name", "company", "phone", "manager", "designation", "created",
    "orders", "revenue", "agreements", "first_order", "last_order", "last_contact", "next_contact", "next_action",
    "days_silent", "inactive", "block", "review", "reactivate", "rhythm_days", "rhythm_due", "rhythm_overdue",
)


@dataclass(frozen=True)
class Lifecycle:
    """Every client's block and the figures behind it, as of ``today``.

    ``clients`` is indexed by ClientID (the first Clients row of an ID wins;
    rows without an ID are left out) with the columns of LIFECYCLE_COLUMNS:
    ``row`` is the client's Excel row, ``orders``/``revenue``/``agreements``
    count the log up to today, the date columns are ``datetime64`` (NaT when
    unknown), ``next_contact`` is the Next date planned at the client's last
    contact (a plan made earlier was followed by that contact) and
    ``next_action`` what it says to do, ``days_silent``
    counts days since the last contact, ``review`` marks VIP/Key
    clients that would be Dead, ``reactivate`` Dead clients not designated
    Lost, and ``rhythm_*`` the median gap between orders and when the next
    order is due by it.
    """

    today: dt.date
    settings: Settings
    clients: pd.DataFrame
    interactions: pd.DataFrame  # the log rows counted: known client, dated up to today or undated


@progress.step("sorting clients into lifecycle blocks")
def compute_lifecycle(frames: Frames, settings: Settings, today: dt.date) -> Lifecycle:
    clients = frames.clients[frames.clients["client_id"].notna()]
    clients = clients[~clients["client_id"].duplicated()]
    base = pd.DataFrame({
        "row": clients.index.to_numpy(),
        **{key: clients[key].to_numpy() for key in ("name", "company", "phone", "manager", "designation",
                                                     "created")},
    }, index=pd.Index(clients["client_id"].to_numpy(), name="client_id"))

    now = pd.Timestamp(today)
    log = frames.interactions
    log = log[log["client_id"].isin(base.index) & ~(log["date"] > now)]
    orders = log[log["type"] == schema.ORDER.key]
    by_client = orders.groupby("client_id")
    base["orders"] = by_client.size().reindex(base.index, fill_value=0).astype(int)
    base["revenue"] = by_client["amount"].sum().reindex(base.index, fill_value=0.0).astype(float)
    base["agreements"] = (log[log["type"] == schema.AGREEMENT.key].groupby("client_id").size()
                          .reindex(base.index, fill_value=0).astype(int))
    base["first_order"] = by_client["date"].min().reindex(base.index)
    base["last_order"] = by_client["date"].max().reindex(base.index)
    base["last_contact"] = log.groupby("client_id")["date"].max().reindex(base.index)
    base["next_contact"], base["next_action"] = _next_contact(log, base["last_contact"])

    base["days_silent"] = (now - base["last_contact"]).dt.days.astype(float)
    base["inactive"] = (base["days_silent"] >= settings.dead_after_days).to_numpy()
    designation = base["designation"]
    conditions = [
        designation == schema.KEY_ACCOUNT.key,
        designation == schema.VIP.key,
        (designation == schema.LOST.key) | base["inactive"],
        base["orders"] >= settings.partner_orders,
        base["orders"] >= settings.regular_orders,
        base["orders"] >= 1,
        base["agreements"] >= 1,
    ]
    choices = [schema.KEY_BLOCK, schema.VIP_BLOCK, schema.DEAD, schema.PARTNER, schema.REGULAR,
               schema.WORKING, schema.ACTIVE]
    base["block"] = np.select(conditions, [b.number for b in choices], default=schema.POTENTIAL.number).astype(int)
    base["review"] = (conditions[0] | conditions[1]) & base["inactive"]
    base["reactivate"] = (base["block"] == schema.DEAD.number) & (designation != schema.LOST.key)

    base["rhythm_days"] = _median_gap(orders).reindex(base.index)
    base["rhythm_due"] = base["last_order"] + pd.to_timedelta(base["rhythm_days"].round(), unit="D")
    base["rhythm_overdue"] = ((base["rhythm_due"] < now) & (base["block"] != schema.DEAD.number)).to_numpy()
    return Lifecycle(today, settings, base[list(LIFECYCLE_COLUMNS)], log)


def _next_contact(log: pd.DataFrame, last_contact: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The latest Next date (and its Next action) written on a client's last-contact day: the plan still open."""
    planned = log[log["next_date"].notna() & log["date"].notna()]
    latest = planned[planned["date"].to_numpy() == last_contact.reindex(planned["client_id"]).to_numpy()]
    latest = latest.sort_values("next_date", kind="stable").drop_duplicates("client_id", keep="last")
    plans = latest.set_index("client_id")
    return (plans["next_date"].reindex(last_contact.index),
            plans["next_action"].reindex(last_contact.index).astype(object))


def _median_gap(orders: pd.DataFrame) -> pd.Series:
    """Median days between consecutive dated orders, for clients with at least MIN_ORDERS_FOR_RHYTHM of them."""
    dated = orders[orders["date"].notna()].sort_values(["client_id", "date"], kind="stable")
    gaps = dated["date"].diff().dt.days
    gaps[dated["client_id"].ne(dated["client_id"].shift())] = np.nan  # the first order of each client has no gap
    counts = dated.groupby("client_id").size()
    medians = gaps.groupby(dated["client_id"]).median()
    return medians[counts.reindex(medians.index) >= MIN_ORDERS_FOR_RHYTHM].astype(float)
