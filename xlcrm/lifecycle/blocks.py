"""Lifecycle blocks: each client's place from Dead (1) to Key account (8), computed from the log.

The rules are DESIGN.md's table, checked top to bottom, first that holds wins:

    8 Key account  Designation = Key
    7 VIP          Designation = VIP
    1 Dead         Designation = Lost (kind "lost": not to revive), or at least one order and no contact
                   for ``dead_after_days`` (kind "revive": a former client worth winning back)
    6 Partner      orders >= ``partner_orders``
    5 Regular      orders >= ``regular_orders``
    4 Working      orders >= 1
    3 Active       an Agreement logged, no order yet
    2 Potential    everything else

"No contact for N days" counts from the client's last interaction of any
kind: a former client is Dead from day N on (365 days silent is Dead, 364 is
not). A prospect who never ordered is never Dead by silence, there is nothing
to win back: it stays Potential or Active and is marked ``cold`` when silent
that long, or never contacted and in the base that long.

Each block calls for its own follow-up (``follow_up``, due on
``follow_up_due``), set once it is due: a Potential never contacted gets
``first_contact`` (Created + ``first_contact_days``), an Active client silent
``active_silent_days`` gets ``first_order``, a Working one silent
``working_silent_days`` gets ``second_order``, a Regular or Partner past its
purchase rhythm gets ``reorder`` (one rhythm after the last order, or after
the last contact if later: a call that brought no order puts the reminder one
rhythm on), a VIP or Key client with no contact for ``review_days`` gets
``review``, a Dead one to revive gets ``reactivate`` and a Lost one who
ordered within ``lost_order_days`` gets ``check_status``. An open plan due
within ``birthday_days`` (the agenda's horizon) or overdue holds off the five
follow-ups from ``first_contact`` to ``review``: the plan is the next step and
is on the agenda itself; a plan further ahead does not, so a silent client is
never off every agenda. ``reactivate`` and ``check_status`` are not held off.

``next_contact``/``next_action`` are the client's earliest open plan
(:mod:`xlcrm.lifecycle.plans`). Interactions dated after "today" count for
nothing here but are plans, so a refresh with ``--today`` in the past shows
the base as it was then; interactions with an unreadable date still count as
orders and contacts (validation reports the date), but give no dates.
Everything is vectorised: a million interactions take seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.checks.settings import Settings
from xlcrm.lifecycle.contracts import client_contracts, contract_terms
from xlcrm.lifecycle.frames import Frames
from xlcrm.lifecycle.payments import Receivables, client_terms, receivables
from xlcrm.lifecycle.plans import open_plans
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
    "lost_reason",
    "created",
    "rating",
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
    "dead_kind",
    "cold",
    "review",
    "rhythm_days",
    "rhythm_due",
    "follow_up",
    "follow_up_due",
    "active_contracts",
    "contract_ends",
    "balance",
    "unpaid_since",
)

# Dead kinds: Lost by Designation (not to revive), or a former client silent too long (worth reviving).
DEAD_LOST = "lost"
DEAD_REVIVE = "revive"

# Follow-up task keys, as the raw task frame of the agenda names them.
FIRST_CONTACT = "first_contact"
FIRST_ORDER = "first_order"
SECOND_ORDER = "second_order"
REORDER = "reorder"
REVIEW = "review"
REACTIVATE = "reactivate"
CHECK_STATUS = "check_status"


@dataclass(frozen=True)
class Lifecycle:
    """Every client's block and the figures behind it, as of ``today``.

    ``clients`` is indexed by ClientID (rows without an ID are left out, and so
    are all rows of an ID on more than one row: whose would its orders be?) with the columns of LIFECYCLE_COLUMNS:
    ``row`` is the client's Excel row, ``rating`` its Rating as a number (NaN when blank),
    ``orders``/``revenue``/``agreements`` count the log up to today, the date columns are ``datetime64`` (NaT when
    unknown), ``next_contact`` is the due date of the client's earliest open
    plan and ``next_action`` what it says to do, ``days_silent`` counts days
    since the last contact, ``inactive`` says they reach ``dead_after_days``,
    ``dead_kind`` is DEAD_LOST or DEAD_REVIVE for Dead clients (None for the
    others) and ``lost_reason`` the Reason lost of a Lost client, ``cold``
    marks prospects (no order) silent or untouched that long, ``review`` marks
    VIP/Key clients with no contact for ``review_days``, ``rhythm_*`` the median gap between orders and when the
    next order is due by it, and ``follow_up`` the task the block calls for
    once it is due (on ``follow_up_due``; None and NaT when nothing is due), ``active_contracts`` how many
    contracts are in force (0 for none) and ``contract_ends`` the nearest end of their terms (NaT for none),
    ``balance`` and ``unpaid_since`` what the client owes and since when (:mod:`xlcrm.lifecycle.payments`).
    A payment is bookkeeping, not a contact: it leaves ``last_contact`` and ``days_silent`` as they were.

    ``plans`` holds the open plans (:func:`xlcrm.lifecycle.plans.open_plans`), ``contracts`` each contract's term
    with its annexes (:func:`xlcrm.lifecycle.contracts.contract_terms`), ``receivables`` what each client owes.
    """

    today: dt.date
    settings: Settings
    clients: pd.DataFrame
    interactions: pd.DataFrame  # the log rows counted: known client, dated up to today or undated
    plans: pd.DataFrame  # the open plans, earliest due first
    contracts: pd.DataFrame  # one row per contract of the Contracts sheet, annexes folded into its term
    receivables: Receivables


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
                for key in ("name", "company", "phone", "manager", "designation", "lost_reason", "created", "rating")
            },
        },
        index=pd.Index(clients["client_id"].to_numpy(), name="client_id"),
    )

    now = pd.Timestamp(today)
    whole_log = frames.interactions
    # Each interaction's client as its position in ``base`` (-1: no such client). Grouping a million rows by
    # these small integers is many times faster than by their ClientID texts.
    codes, client_ids = pd.factorize(whole_log["client_id"])  # looked up once per client, not once per row
    whole_position = np.append(base.index.get_indexer(client_ids), -1)[codes]  # code -1 (blank) takes the last
    counted = (whole_position >= 0) & ~(whole_log["date"] > now).to_numpy()
    log, position = whole_log[counted], whole_position[counted]
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
    is_contact = ~log["type"].isin([kind.key for kind in schema.NON_CONTACT_TYPES]).to_numpy()
    base["last_contact"] = _by_position(log["date"][is_contact].groupby(position[is_contact]).max(), size)
    contacted = np.bincount(position[is_contact], minlength=size) > 0  # any contact up to today, dated or not

    plans = open_plans(
        whole_log, whole_position, base.index, base["last_contact"].to_numpy(), today, settings.plan_early_days
    )
    earliest = plans.drop_duplicates("client_id").set_index("client_id")  # plans come earliest due first
    base["next_contact"] = earliest["due"].reindex(base.index).to_numpy(dtype="datetime64[ns]")
    base["next_action"] = earliest["action"].reindex(base.index).astype(object).to_numpy()

    base["days_silent"] = (now - base["last_contact"]).dt.days.astype(float)
    base["inactive"] = (base["days_silent"] >= settings.dead_after_days).to_numpy()
    designation = base["designation"]
    is_lost = (designation == schema.LOST.key).to_numpy()
    ordered = (base["orders"] >= 1).to_numpy()
    conditions = [
        designation == schema.KEY_ACCOUNT.key,
        designation == schema.VIP.key,
        is_lost | (ordered & base["inactive"].to_numpy()),
        base["orders"] >= settings.partner_orders,
        base["orders"] >= settings.regular_orders,
        ordered,
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
    block = np.select(conditions, [b.number for b in choices], default=schema.POTENTIAL.number).astype(int)
    base["block"] = block
    dead = block == schema.DEAD.number
    dead_kind = np.full(size, None, dtype=object)
    dead_kind[dead] = DEAD_REVIVE
    dead_kind[dead & is_lost] = DEAD_LOST
    base["dead_kind"] = pd.Series(dead_kind, index=base.index, dtype=object)  # None, not NaN
    reason = base["lost_reason"].to_numpy(dtype=object)
    base["lost_reason"] = pd.Series(np.where(is_lost & ~pd.isna(reason), reason, None), index=base.index, dtype=object)
    long_ago = now - pd.Timedelta(days=settings.dead_after_days)
    untouched_long = ~contacted & (base["created"] <= long_ago).to_numpy()
    prospect = np.isin(block, [schema.POTENTIAL.number, schema.ACTIVE.number])
    base["cold"] = prospect & (base["inactive"].to_numpy() | untouched_long)
    vip_or_key = (conditions[0] | conditions[1]).to_numpy()
    base["review"] = vip_or_key & (base["last_contact"].isna() | (base["days_silent"] >= settings.review_days))

    base["rhythm_days"] = _median_gap(orders, order_position, size)
    base["rhythm_due"] = base["last_order"] + pd.to_timedelta(base["rhythm_days"].round(), unit="D")
    # Only a plan the agenda shows (overdue or within its horizon) stands in for the follow-up.
    near = plans["due"] <= now + pd.Timedelta(days=settings.birthday_days)
    # Marked by position, as ``isin`` of the text index looks each plan's ClientID up several times slower; a
    # ClientID not in ``base`` (position -1) marks nobody, as with ``isin``.
    positions = base.index.get_indexer(plans.loc[near, "client_id"])
    planned = np.zeros(size, dtype=bool)
    planned[positions[positions >= 0]] = True
    _follow_ups(base, settings, now, contacted, planned)
    terms = contract_terms(frames.contracts)
    in_contract = client_contracts(terms, base.index, today)
    base["active_contracts"] = in_contract["active_contracts"]
    base["contract_ends"] = in_contract["contract_ends"]
    debts = receivables(whole_log, client_terms(frames.clients, base.index, settings), settings, today)
    base["balance"] = debts.clients["balance"]
    base["unpaid_since"] = debts.clients["unpaid_since"]
    return Lifecycle(today, settings, base[list(LIFECYCLE_COLUMNS)], log, plans, terms, debts)


def _follow_ups(
    base: pd.DataFrame, settings: Settings, now: pd.Timestamp, contacted: np.ndarray, planned: np.ndarray
) -> None:
    """``follow_up`` and ``follow_up_due``: the task each client's block calls for, once it is due.

    ``planned`` marks the clients with an open plan on the agenda (overdue or within its horizon): their plan is
    the next step, so it holds off the follow-ups that ask for one (FIRST_CONTACT to REVIEW); REACTIVATE and
    CHECK_STATUS are not held off.
    """
    block = base["block"].to_numpy()
    silent = base["days_silent"].to_numpy()  # NaN: no dated contact, so never silent "for N days"
    last_contact = base["last_contact"]

    def after(dates: pd.Series, days: int) -> np.ndarray:
        shifted: np.ndarray = (dates + pd.Timedelta(days=days)).to_numpy(dtype="datetime64[ns]")
        return shifted

    today = np.full(len(base), now.to_datetime64(), dtype="datetime64[ns]")
    created = base["created"].to_numpy(dtype="datetime64[ns]")
    first_contact_due = np.where(np.isnat(created), today, after(base["created"], settings.first_contact_days))
    vip_or_key = np.isin(block, [schema.VIP_BLOCK.number, schema.KEY_BLOCK.number])
    review_due = np.where(last_contact.isna().to_numpy(), today, after(last_contact, settings.review_days))
    since_order = (now - base["last_order"]).dt.days.to_numpy(dtype=float)
    # Due to order again one rhythm after the last order, or after the last contact if later: a call that did not
    # bring an order puts the next reminder one rhythm on, as the other follow-ups restart from the last contact.
    rhythm = pd.to_timedelta(base["rhythm_days"].round(), unit="D")
    reorder_due = np.fmax(
        base["rhythm_due"].to_numpy(dtype="datetime64[ns]"), (last_contact + rhythm).to_numpy(dtype="datetime64[ns]")
    )
    free = ~planned  # no open plan: nothing else says what to do next
    steps: list[tuple[np.ndarray, str, np.ndarray]] = [
        (
            free & (block == schema.POTENTIAL.number) & ~contacted & (first_contact_due <= today),
            FIRST_CONTACT,
            first_contact_due,
        ),
        (
            free & (block == schema.ACTIVE.number) & (silent >= settings.active_silent_days),
            FIRST_ORDER,
            after(last_contact, settings.active_silent_days),
        ),
        (
            free & (block == schema.WORKING.number) & (silent >= settings.working_silent_days),
            SECOND_ORDER,
            after(last_contact, settings.working_silent_days),
        ),
        (
            free & np.isin(block, [schema.REGULAR.number, schema.PARTNER.number]) & (reorder_due <= today),
            REORDER,
            reorder_due,
        ),
        (free & vip_or_key & base["review"].to_numpy(), REVIEW, review_due),
        (base["dead_kind"].to_numpy() == DEAD_REVIVE, REACTIVATE, after(last_contact, settings.dead_after_days)),
        (
            (base["dead_kind"].to_numpy() == DEAD_LOST) & (since_order <= settings.lost_order_days),
            CHECK_STATUS,
            base["last_order"].to_numpy(dtype="datetime64[ns]"),
        ),
    ]
    task = np.full(len(base), None, dtype=object)
    due = np.full(len(base), np.datetime64("NaT"), dtype="datetime64[ns]")
    for chosen, key, dates in reversed(steps):  # a client's block calls for one follow-up; the first rule wins
        task[chosen] = key
        due = np.where(chosen, dates, due)
    base["follow_up"] = pd.Series(task, index=base.index, dtype=object)
    base["follow_up_due"] = due


def _by_position(grouped: pd.Series, size: int) -> np.ndarray:
    """Figures grouped by client position, as one value per client (NaT or NaN where the client has none)."""
    return grouped.reindex(np.arange(size)).to_numpy()


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
