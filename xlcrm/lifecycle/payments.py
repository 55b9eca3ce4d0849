"""Payments and debts: what each client owes, since when, and which orders are overdue.

The rules, over the Interactions log as :attr:`xlcrm.lifecycle.frames.Frames.interactions` holds it:

- **Tracked or not.** Debts are tracked only in a workbook whose log has a Payment row of a client on Clients,
  dated up to today: a base that records no payments owes nothing, rather than every order it ever took. Rows
  dated before the Setting ``payments_from`` count as settled and are left out, and so are rows without a date
  (validation reports them) and rows dated after today (they are plans, as everywhere in the lifecycle).
- **What is owed.** Every Order with an Amount above zero. It is due ``term`` days after its Date, the client's
  Payment term, or the Setting ``payment_term_days`` when that is blank or not a whole number of 0 or more
  (validation reports it): on the day it is due it is on time, from the next day it is overdue.
- **What settles it.** A Payment (money received) and a Return (goods taken back, whichever sign its Amount was
  typed with). A Payment below zero is a refund: money paid back. It is taken from the client's credit first; a
  refund beyond the credit makes the newest paid orders unpaid by that much again, whatever paid them.
- **Which order.** A Payment or Return whose Order No. is the Order No. of one of the client's orders settles that
  order first (orders sharing a number are settled oldest first; validation reports them); what is left over, and
  everything without an Order No., settles the client's oldest orders first (by Date, then row). Money left when
  every order is paid is the client's credit, and settles the next orders as they come (a prepayment).
- **Nothing guessed.** A Payment or Return whose Order No. no order of the client carries settles no order
  (validation reports it), but the money was received: it counts in the balance. One naming an order dated before
  ``payments_from`` belongs to that settled order and counts nowhere; one naming an order dated after today is a
  prepayment and goes to the credit.
- **Balance** = orders − payments − returns (+ refunds), over the rows counted: above zero the client owes, below
  zero the client has paid ahead. Blank for a client with no counted row, and for every client when debts are not
  tracked. The ageing of what is owed counts days since each unpaid order's Date.

Money is summed in whole kopecks (cents), so 0.1 + 0.2 settles 0.3 exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.checks.settings import Settings

# Columns of :attr:`Receivables.clients`.
CLIENT_COLUMNS = ("balance", "unpaid_since", "owed", "overdue", "overdue_days", "credit")
# Columns of :attr:`Receivables.unpaid`.
UNPAID_COLUMNS = ("client_id", "row", "order_number", "date", "due", "amount", "left", "age_days", "overdue_days")

_CREDIT_TYPES = (schema.PAYMENT.key, schema.RETURN.key)


@dataclass(frozen=True)
class Receivables:
    """What the clients owe on a day.

    ``tracked`` says whether the workbook records payments at all. ``clients`` is indexed like the client IDs it
    was computed for, with CLIENT_COLUMNS: ``balance`` (NaN: blank), ``unpaid_since`` the Date of the client's
    oldest order not paid in full (NaT: none), ``owed`` what the unpaid orders still lack, ``overdue`` the part of
    it past due, ``overdue_days`` how many days the oldest overdue order is past due (NaN: none), ``credit`` money
    paid ahead that no order took yet. ``unpaid`` holds one row per order not paid in full (UNPAID_COLUMNS: its
    Interactions ``row``, ``order_number``, ``date``, ``due``, its ``amount`` and the ``left`` to pay, ``age_days``
    since its Date and ``overdue_days`` past its due day, 0 or below while on time), by client, oldest first.
    ``unmatched`` holds the Interactions rows of payments and returns whose Order No. names no order of their
    client.
    """

    tracked: bool
    clients: pd.DataFrame
    unpaid: pd.DataFrame
    unmatched: pd.Index


def order_key(number: object) -> str | None:
    """How an Order No. is compared: as text, ignoring case and spaces (None when blank)."""
    if number is None or number != number:  # NaN
        return None
    folded = schema.fold(number)
    return folded or None


def client_terms(clients: pd.DataFrame, client_ids: pd.Index, settings: Settings) -> pd.Series:
    """Each client's payment term in days, indexed by ``client_ids``: its Payment term when that is a whole number
    of 0 or more, else the Setting ``payment_term_days``. ``clients`` is the Clients frame (``client_id``,
    ``payment_term``)."""
    own = clients.drop_duplicates("client_id").set_index("client_id")["payment_term"].reindex(client_ids)
    usable = own.notna() & (own >= 0) & (own == own.round())
    terms: pd.Series = own.where(usable, float(settings.payment_term_days)).astype(int)
    return terms


def receivables(log: pd.DataFrame, terms: pd.Series, settings: Settings, today: dt.date) -> Receivables:
    """What each client of ``terms`` (its index: the ClientIDs; its values: payment terms in days) owes on
    ``today``, from the whole Interactions frame ``log``."""
    ids = terms.index
    now = pd.Timestamp(today)
    if not (log["type"] == schema.PAYMENT.key).any():  # the common case, decided without matching a ClientID
        return _untracked(ids)
    mine = log[log["client_id"].isin(ids) & log["date"].notna()]
    past = mine[mine["date"] <= now]
    if not (past["type"] == schema.PAYMENT.key).any():
        return _untracked(ids)
    start = pd.Timestamp(settings.payments_from) if settings.payments_from else None
    counted = past if start is None else past[past["date"] >= start]
    is_order = (counted["type"] == schema.ORDER.key) & (counted["amount"] > 0)
    orders = counted[is_order].assign(cents=_cents(counted.loc[is_order, "amount"]))
    orders = orders.assign(key=orders["order_number"].map(order_key))
    orders = orders.iloc[np.lexsort((orders.index.to_numpy(), orders["date"].to_numpy()))]

    credits = counted[counted["type"].isin(_CREDIT_TYPES) & counted["amount"].notna()]
    # A return's amount is below zero in the frame whatever was typed; as money towards the orders it counts up.
    signed = credits["amount"].where(credits["type"] == schema.PAYMENT.key, -credits["amount"])
    credits = credits.assign(cents=_cents(signed), key=credits["order_number"].map(order_key))
    fate = _credit_fates(credits, orders, mine, start)

    settled_by_number, excess = _settle_by_number(orders, credits[fate == _BY_NUMBER])
    to_pool = credits[fate == _POOL]
    pool = to_pool["cents"].groupby(to_pool["client_id"]).sum().reindex(ids, fill_value=0) + excess.reindex(
        ids, fill_value=0
    )
    left_by_number = orders["cents"] - settled_by_number.reindex(orders.index, fill_value=0)
    left = _settle_oldest_first(orders["client_id"], left_by_number, pool, orders["cents"])
    counted_credits = credits[fate != _LEFT_OUT]
    ordered_cents = orders["cents"].groupby(orders["client_id"]).sum().reindex(ids, fill_value=0)
    paid_cents = counted_credits["cents"].groupby(counted_credits["client_id"]).sum().reindex(ids, fill_value=0)
    has_rows = ids.isin(orders["client_id"]) | ids.isin(counted_credits["client_id"])
    open_before_pool = left_by_number.groupby(orders["client_id"]).sum().reindex(ids, fill_value=0)

    unpaid = _unpaid(orders, left, terms, now)
    overdue = unpaid[unpaid["overdue_days"] > 0]
    by_client = unpaid.groupby("client_id")
    figures = pd.DataFrame(
        {
            "balance": ((ordered_cents - paid_cents) / 100).where(has_rows),
            "unpaid_since": by_client["date"].min().reindex(ids).astype("datetime64[ns]"),
            "owed": by_client["left"].sum().reindex(ids, fill_value=0.0),
            "overdue": overdue.groupby("client_id")["left"].sum().reindex(ids, fill_value=0.0),
            "overdue_days": overdue.groupby("client_id")["overdue_days"].max().reindex(ids).astype(float),
            "credit": ((pool - open_before_pool).clip(lower=0) / 100).astype(float),
        },
        index=ids,
        columns=list(CLIENT_COLUMNS),
    )
    return Receivables(True, figures, unpaid, credits.index[(fate == _UNMATCHED).to_numpy()])


# What becomes of a payment or return: it settles the order it names, goes to the client's credit (settling the
# oldest orders), names no order of the client, or belongs to an order that counts as settled.
_BY_NUMBER, _POOL, _UNMATCHED, _LEFT_OUT = "by_number", "pool", "unmatched", "left_out"


def _credit_fates(
    credits: pd.DataFrame, orders: pd.DataFrame, mine: pd.DataFrame, start: pd.Timestamp | None
) -> pd.Series:
    """What becomes of each of ``credits``: _BY_NUMBER, _POOL, _UNMATCHED or _LEFT_OUT (see the module).

    ``orders`` are the orders counted; ``mine`` every dated row of the clients, any day, to tell an Order No. of an
    order dated before ``start`` or after today from one no order carries."""
    counted_keys = pd.MultiIndex.from_arrays([orders["client_id"], orders["key"]])
    every_order = mine[mine["type"] == schema.ORDER.key]
    every_key = pd.MultiIndex.from_arrays([every_order["client_id"], every_order["order_number"].map(order_key)])
    if start is not None:
        early = every_order["date"] < start
        early_keys = pd.MultiIndex.from_arrays(
            [every_order.loc[early, "client_id"], every_order.loc[early, "order_number"].map(order_key)]
        )
    else:
        early_keys = pd.MultiIndex.from_arrays([[], []])
    keys = pd.MultiIndex.from_arrays([credits["client_id"], credits["key"]])
    named = credits["key"].notna().to_numpy() & (credits["cents"] > 0).to_numpy()  # a refund names nothing
    fate = np.full(len(credits), _POOL, dtype=object)
    fate[named & ~keys.isin(every_key)] = _UNMATCHED
    fate[named & keys.isin(early_keys) & ~keys.isin(counted_keys)] = _LEFT_OUT
    fate[named & keys.isin(counted_keys)] = _BY_NUMBER
    fates: pd.Series = pd.Series(fate, index=credits.index, dtype=object)
    return fates


def _settle_by_number(orders: pd.DataFrame, credits: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The cents each of ``orders`` (oldest first) gets from the ``credits`` naming its Order No., by order row, and
    what those credits leave over when every order of that number is paid, by ClientID."""
    paid = credits.groupby(["client_id", "key"])["cents"].sum()
    named = orders[orders["key"].notna()]
    group = [named["client_id"], named["key"]]
    before = (named["cents"].groupby(group).cumsum() - named["cents"]).to_numpy()
    available = np.nan_to_num(paid.reindex(pd.MultiIndex.from_arrays(group)).to_numpy(dtype=float))
    settled = pd.Series(np.clip(available - before, 0, named["cents"].to_numpy()).astype(np.int64), index=named.index)
    total = named["cents"].groupby(group).sum()
    left_over = (paid - total.reindex(paid.index, fill_value=0)).clip(lower=0)
    excess: pd.Series = left_over.groupby(level="client_id").sum()
    return settled, excess


def _settle_oldest_first(client_ids: pd.Series, left: pd.Series, pool: pd.Series, amounts: pd.Series) -> pd.Series:
    """What each order still lacks once each client's ``pool`` (cents, by ClientID) has paid the client's orders
    oldest first; a pool below zero (refunds beyond the credit) makes the newest paid orders unpaid again by that
    much. ``client_ids``, ``left`` (what the order lacks before) and ``amounts`` are by order row, oldest first."""
    before = (left.groupby(client_ids).cumsum() - left).to_numpy()
    money = pool.reindex(client_ids.to_numpy()).to_numpy()
    settled = np.clip(money - before, 0, left.to_numpy())
    still = left.to_numpy() - settled
    paid = amounts.to_numpy() - still
    newest_first = pd.Series(paid[::-1], index=client_ids.to_numpy()[::-1])
    paid_after = (newest_first.groupby(level=0).cumsum() - newest_first).to_numpy()[::-1]
    reopened = np.clip(-money - paid_after, 0, paid)
    unpaid: pd.Series = pd.Series(still + reopened, index=left.index)
    return unpaid


def _unpaid(orders: pd.DataFrame, left: pd.Series, terms: pd.Series, now: pd.Timestamp) -> pd.DataFrame:
    """The orders not paid in full, with UNPAID_COLUMNS, by client and oldest first."""
    open_orders = orders[(left > 0).to_numpy()]
    still = left[(left > 0).to_numpy()]
    term_days = terms.reindex(open_orders["client_id"].to_numpy()).to_numpy(dtype=np.int64)
    due = open_orders["date"] + pd.to_timedelta(term_days, unit="D")
    unpaid = pd.DataFrame(
        {
            "client_id": open_orders["client_id"].to_numpy(dtype=object),
            "row": open_orders.index.to_numpy(),
            "order_number": open_orders["order_number"].to_numpy(dtype=object),
            "date": open_orders["date"].to_numpy(dtype="datetime64[ns]"),
            "due": due.to_numpy(dtype="datetime64[ns]"),
            "amount": open_orders["cents"].to_numpy() / 100,
            "left": still.to_numpy() / 100,
            "age_days": (now - open_orders["date"]).dt.days.to_numpy(),
            "overdue_days": (now - due).dt.days.to_numpy(),
        },
        columns=list(UNPAID_COLUMNS),
    )
    ordered = np.lexsort(
        (unpaid["row"].to_numpy(), unpaid["date"].to_numpy(), unpaid["client_id"].astype(str).to_numpy())
    )
    in_order: pd.DataFrame = unpaid.iloc[ordered].reset_index(drop=True)
    return in_order


def _untracked(ids: pd.Index) -> Receivables:
    """Receivables of a workbook that records no payments: every figure blank, nothing unpaid."""
    figures = pd.DataFrame(
        {
            "balance": np.nan,
            "unpaid_since": pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]"),
            "owed": 0.0,
            "overdue": 0.0,
            "overdue_days": np.nan,
            "credit": 0.0,
        },
        index=ids,
        columns=list(CLIENT_COLUMNS),
    )
    unpaid = pd.DataFrame({key: pd.Series([], dtype=object) for key in UNPAID_COLUMNS})
    return Receivables(False, figures, unpaid, pd.Index([], dtype=int))


def _cents(amounts: pd.Series) -> pd.Series:
    """Amounts in whole kopecks (cents)."""
    cents: pd.Series = (amounts.astype(float) * 100).round().astype(np.int64)
    return cents
