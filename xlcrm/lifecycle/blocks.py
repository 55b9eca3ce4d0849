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

from xlcrm import schema
from xlcrm.checks.settings import Settings
from xlcrm.lifecycle.frames import Frames
from xlcrm.messages import t
from xlcrm.runtime import progress

# A purchase rhythm needs at least two gaps between orders to mean anything.
MIN_ORDERS_FOR_RHYTHM = 3

LIFECYCLE_COLUMNS = (
    "row",
    "name",
    "company",
    "phone",
    "manager",
    "designation",
    "created",
    "orders",
    "revenue",
    "agreements",
    "first_order",
    "last_order",
    "last_contact",
    "next_contact",
    "next_action",
    "days_silent",
    "inactive",
    "block",
    "review",
    "reactivate",
    "rhythm_days",
    "rhythm_due",
    "rhythm_overdue",
)


@dataclass(frozen=True)
class Lifecycle:
    """Every client's block and the figures behind it, as of ``today``.

    ``clients`` is indexed by ClientID (rows without an ID are left out, and so
    are all rows of an ID on more than one row: whose would its orders be?) with the columns of LIFECYCLE_COLUMNS:
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


@progress.step(t("sorting clients into lifecycle blocks"))
def compute_lifecycle(frames: Frames, settings: Settings, today: dt.date) -> Lifecycle:
    """Each client's lifecycle block on ``today``, with the figures that decided it."""
    clients = frames.clients[frames.clients["client_id"].notna()]
    clients = clients[~clients["client_id"].duplicated(keep=False)]
    base = pd.DataFrame(
        {
            "row": clients.index.to_numpy(),
            **{
                key: clients[key].to_numpy()
                for key in ("name", "company", "phone", "manager", "designation", "created")
            },
        },
        index=pd.Index(clients["client_id"].to_numpy(), name="client_id"),
    )

    now = pd.Timestamp(today)
    log = frames.interactions
    # Each interaction's client as its position in ``base`` (-1: no such client). Grouping a million rows by
    # these small integers is many times faster than by their ClientID texts.
    codes, client_ids = pd.factorize(log["client_id"])  # looked up once per client, not once per row
    position = np.append(base.index.get_indexer(client_ids), -1)[codes]  # code -1 (blank) takes the last
    counted = (position >= 0) & ~(log["date"] > now).to_numpy()
    log, position = log[counted], position[counted]
    size = len(base)
    is_order = (log["type"] == schema.ORDER.key).to_numpy()
    orders, order_position = log[is_order], position[is_order]
    base["orders"] = np.bincount(order_position, minlength=size)
    # Orders add their amounts, returns subtract theirs (build_frames made every return's amount negative).
    is_sale = log["type"].isin([t.key for t in schema.REVENUE_TYPES]).to_numpy()
    base["revenue"] = np.bincount(
        position[is_sale], weights=np.nan_to_num(log["amount"].to_numpy(dtype=float)[is_sale]), minlength=size
    )
    base["agreements"] = np.bincount(position[(log["type"] == schema.AGREEMENT.key).to_numpy()], minlength=size)
    order_dates = orders["date"].groupby(order_position)
    base["first_order"] = _by_position(order_dates.min(), size)
    base["last_order"] = _by_position(order_dates.max(), size)
    base["last_contact"] = _by_position(log["date"].groupby(position).max(), size)
    next_contact, next_action = _next_contact(log, position, base["last_contact"].to_numpy())
    base["next_contact"] = next_contact
    base["next_action"] = pd.Series(next_action, index=base.index, dtype=object)  # kept as Python objects

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
    choices = [
        schema.KEY_BLOCK,
        schema.VIP_BLOCK,
        schema.DEAD,
        schema.PARTNER,
        schema.REGULAR,
        schema.WORKING,
        schema.ACTIVE,
    ]
    base["block"] = np.select(conditions, [b.number for b in choices], default=schema.POTENTIAL.number).astype(int)
    base["review"] = (conditions[0] | conditions[1]) & base["inactive"]
    base["reactivate"] = (base["block"] == schema.DEAD.number) & (designation != schema.LOST.key)

    base["rhythm_days"] = _median_gap(orders, order_position, size)
    base["rhythm_due"] = base["last_order"] + pd.to_timedelta(base["rhythm_days"].round(), unit="D")
    base["rhythm_overdue"] = ((base["rhythm_due"] < now) & (base["block"] != schema.DEAD.number)).to_numpy()
    return Lifecycle(today, settings, base[list(LIFECYCLE_COLUMNS)], log)


def _by_position(grouped: pd.Series, size: int) -> np.ndarray:
    """Figures grouped by client position, as one value per client (NaT or NaN where the client has none)."""
    return grouped.reindex(np.arange(size)).to_numpy()


def _next_contact(log: pd.DataFrame, position: np.ndarray, last_contact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The latest Next date (and its Next action) written on a client's last-contact day: the plan still open."""
    planned = (log["next_date"].notna() & log["date"].notna()).to_numpy()
    position = position[planned]
    on_last_day = log["date"].to_numpy()[planned] == last_contact[position]
    plans, position = log[planned][on_last_day], position[on_last_day]
    # Of one client's plans the one with the latest Next date wins, the last in the log among equal ones.
    order = np.argsort(plans["next_date"].to_numpy(), kind="stable")
    last = ~pd.Series(position[order]).duplicated(keep="last").to_numpy()
    wins, clients = order[last], position[order][last]
    next_date = np.full(len(last_contact), np.datetime64("NaT"), dtype="datetime64[ns]")
    next_action = np.full(len(last_contact), np.nan, dtype=object)  # NaN for none, as pandas fills a gap
    next_date[clients] = plans["next_date"].to_numpy(dtype="datetime64[ns]")[wins]
    next_action[clients] = plans["next_action"].to_numpy(dtype=object)[wins]
    return next_date, next_action


def _median_gap(orders: pd.DataFrame, position: np.ndarray, size: int) -> np.ndarray:
    """Median days between consecutive dated orders, for clients with at least MIN_ORDERS_FOR_RHYTHM of them."""
    dated = orders["date"].notna().to_numpy()
    days, position = orders["date"].to_numpy()[dated], position[dated]
    order = np.lexsort((days, position))  # by client, then date
    days, position = days[order], position[order]
    same_client = position[1:] == position[:-1]
    gaps = (np.diff(days)[same_client] // np.timedelta64(1, "D")).astype(float)
    medians = pd.Series(gaps).groupby(position[1:][same_client]).median()
    rhythm = np.full(size, np.nan)
    rhythm[medians.index.to_numpy(dtype=np.intp)] = medians.to_numpy(dtype=float)
    rhythm[np.bincount(position, minlength=size) < MIN_ORDERS_FOR_RHYTHM] = np.nan
    return rhythm
