"""Payments and debts: what each client owes, since when, and which orders are overdue.

The rules, over the Interactions log as :attr:`xlcrm.lifecycle.frames.Frames.interactions` holds it:

- **Tracked or not.** Debts are tracked only in a workbook whose log has a Payment row of a client on Clients,
  dated up to today: a base that records no payments owes nothing, rather than every order it ever took. Nor in a
  workbook whose Settings has no row for ``payments_from`` (made before payments; validation says to run
  ``xlcrm init --upgrade``, which adds the row dated the day of the upgrade). Rows
  dated before the Setting ``payments_from`` count as settled and are left out, and so are rows without a date
  (validation reports them) and rows dated after today (they are plans, as everywhere in the lifecycle).
- **What is owed.** Every Order with an Amount above zero. It is due ``term`` days after its Date, the client's
  Payment term, or the Setting ``payment_term_days`` when that is blank or not a whole number from 0 to
  ``schema.MAX_PAYMENT_TERM_DAYS`` (validation reports it): on the day it is due it is on time, from the next day
  it is overdue.
- **What settles it.** A Payment (money received) and a Return (goods taken back, whichever sign its Amount was
  typed with). A Payment below zero is a refund: money paid back. It is taken from the client's credit first; a
  refund beyond the credit makes the newest paid orders unpaid by that much again, whatever paid them.
- **Which order.** A Payment or Return whose Order No. is the Order No. of one of the client's orders settles that
  order first (orders sharing a number are settled oldest first; validation reports them); what is left over, and
  everything without an Order No., settles the client's oldest orders first (by Date, then row). Money left when
  every order is paid is the client's credit, and settles the next orders as they come (a prepayment).
- **Nothing guessed.** A Payment or Return whose Order No. no order of the client with an Amount above zero
  carries settles no order (validation reports it), but the money was received: it counts in the balance. One
  naming an order dated before ``payments_from`` belongs to that settled order and counts nowhere; one naming an
  order dated after today is a prepayment and goes to the credit.
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
from xlcrm.checks.payments import order_key
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

    def totals(self) -> DebtTotals | None:
        """How many clients owe, are overdue and have paid ahead, and how much; None when debts are not tracked."""
        if not self.tracked:
            return None
        figures = self.clients
        return DebtTotals(
            owing_clients=int((figures["owed"] > 0).sum()),
            owed=round(float(figures["owed"].sum()), 2),
            overdue_clients=int((figures["overdue"] > 0).sum()),
            overdue=round(float(figures["overdue"].sum()), 2),
            credit_clients=int((figures["credit"] > 0).sum()),
            credit=round(float(figures["credit"].sum()), 2),
        )


@dataclass(frozen=True)
class DebtTotals:
    """The debts of the whole base: clients with unpaid orders and what they lack, the overdue part, and the
    clients who paid ahead with their credit."""

    owing_clients: int
    owed: float
    overdue_clients: int
    overdue: float
    credit_clients: int
    credit: float

    def to_dict(self) -> dict[str, int | float]:
        """The totals as JSON-ready values."""
        return dict(vars(self))


def client_terms(clients: pd.DataFrame, client_ids: pd.Index, settings: Settings) -> pd.Series:
    """Each client's payment term in days, indexed by ``client_ids``: its Payment term when that is a whole number
    from 0 to ``schema.MAX_PAYMENT_TERM_DAYS``, else the Setting ``payment_term_days``. ``clients`` is the Clients
    frame (``client_id``, ``payment_term``)."""
    own = clients.drop_duplicates("client_id").set_index("client_id")["payment_term"].reindex(client_ids)
    usable = own.notna() & (own >= 0) & (own <= schema.MAX_PAYMENT_TERM_DAYS) & (own == own.round())
    terms: pd.Series = own.where(usable, float(settings.payment_term_days)).astype(int)
    return terms


def receivables(log: pd.DataFrame, terms: pd.Series, settings: Settings, today: dt.date) -> Receivables:
    """What each client of ``terms`` (its index: the ClientIDs; its values: payment terms in days) owes on
    ``today``, from the whole Interactions frame ``log``."""
    ids = terms.index
    now = pd.Timestamp(today)
    if not settings.payments_from_listed or not (log["type"] == schema.PAYMENT.key).any():  # without a ClientID
        return _untracked(ids)
    # Clients and Order Nos. as small integers: grouping and matching a million rows by them is many times faster
    # than by their texts. ``client`` is the place in ``ids``; ``key`` the folded Order No. (-1: none).
    dated = log[log["date"].notna()]
    codes, client_texts = pd.factorize(dated["client_id"])
    client = np.append(ids.get_indexer(client_texts), -1)[codes]
    mine = dated.assign(client=client, key=_key_codes(dated["order_number"]))[client >= 0]
    past = mine[mine["date"] <= now]
    if not (past["type"] == schema.PAYMENT.key).any():
        return _untracked(ids)
    start = pd.Timestamp(settings.payments_from) if settings.payments_from else None
    counted = past if start is None else past[past["date"] >= start]
    is_order = (counted["type"] == schema.ORDER.key) & (counted["amount"] > 0)
    orders = counted[is_order].assign(cents=_cents(counted.loc[is_order, "amount"]))
    orders = orders.iloc[np.lexsort((orders.index.to_numpy(), orders["date"].to_numpy()))]

    credits = counted[counted["type"].isin(_CREDIT_TYPES) & counted["amount"].notna()]
    # A return's amount is below zero in the frame whatever was typed; as money towards the orders it counts up.
    signed = credits["amount"].where(credits["type"] == schema.PAYMENT.key, -credits["amount"])
    credits = credits.assign(cents=_cents(signed))
    fate = _credit_fates(credits, orders, mine, start)

    size = len(ids)
    settled_by_number, excess = _settle_by_number(orders, credits[fate == _BY_NUMBER], size)
    to_pool = credits[fate == _POOL]
    pool = _sum_by_client(to_pool, to_pool["cents"], size) + excess
    left_by_number = orders["cents"].to_numpy() - settled_by_number
    order_client = orders["client"].to_numpy()
    left = _settle_oldest_first(order_client, left_by_number, pool, orders["cents"].to_numpy())
    counted_credits = credits[fate != _LEFT_OUT]
    balance = _sum_by_client(orders, orders["cents"], size) - _sum_by_client(
        counted_credits, counted_credits["cents"], size
    )
    has_rows = (np.bincount(order_client, minlength=size) + np.bincount(counted_credits["client"], minlength=size)) > 0
    open_before_pool = np.bincount(order_client, weights=left_by_number, minlength=size)

    unpaid = _unpaid(orders[left > 0], left[left > 0], terms, now)
    overdue = unpaid[unpaid["overdue_days"] > 0]
    by_client = unpaid.groupby("client_id")
    figures = pd.DataFrame(
        {
            "balance": np.where(has_rows, balance / 100, np.nan),
            "unpaid_since": by_client["date"].min().reindex(ids).astype("datetime64[ns]"),
            "owed": by_client["left"].sum().reindex(ids, fill_value=0.0),
            "overdue": overdue.groupby("client_id")["left"].sum().reindex(ids, fill_value=0.0),
            "overdue_days": overdue.groupby("client_id")["overdue_days"].max().reindex(ids).astype(float),
            "credit": np.clip(pool - open_before_pool, 0, None) / 100,
        },
        index=ids,
        columns=list(CLIENT_COLUMNS),
    )
    return Receivables(True, figures, unpaid, credits.index[(fate == _UNMATCHED).to_numpy()])


# What becomes of a payment or return: it settles the order it names, goes to the client's credit (settling the
# oldest orders), names no order of the client, or belongs to an order that counts as settled.
_BY_NUMBER, _POOL, _UNMATCHED, _LEFT_OUT = "by_number", "pool", "unmatched", "left_out"


def _key_codes(numbers: pd.Series) -> np.ndarray:
    """Each Order No. as an integer, equal for numbers :func:`order_key` folds alike (-1: blank)."""
    codes, distinct = pd.factorize(numbers)
    keys, _folded = pd.factorize(pd.Series([order_key(number) for number in distinct], dtype=object))
    key_codes: np.ndarray = np.append(keys, -1)[codes]
    return key_codes


def _pairs(rows: pd.DataFrame) -> np.ndarray:
    """Client and Order No. of ``rows`` as one integer each, to match by."""
    pairs: np.ndarray = rows["client"].to_numpy(dtype=np.int64) * (1 << 32) + rows["key"].to_numpy(dtype=np.int64)
    return pairs


def _sum_by_client(rows: pd.DataFrame, cents: pd.Series, size: int) -> np.ndarray:
    """The cents of ``rows`` summed per client place (0 for a client without rows)."""
    sums: np.ndarray = np.bincount(rows["client"], weights=cents.to_numpy(dtype=float), minlength=size)
    return np.round(sums).astype(np.int64)


def _credit_fates(
    credits: pd.DataFrame, orders: pd.DataFrame, mine: pd.DataFrame, start: pd.Timestamp | None
) -> pd.Series:
    """What becomes of each of ``credits``: _BY_NUMBER, _POOL, _UNMATCHED or _LEFT_OUT (see the module).

    ``orders`` are the orders counted; ``mine`` every dated row of the clients, any day, to tell an Order No. of an
    order dated before ``start`` or after today from one no order carries."""
    # Only an order with money to settle can be named: one without an Amount above zero is owed nothing.
    every_order = mine[(mine["type"] == schema.ORDER.key) & (mine["amount"] > 0)]
    early = every_order[every_order["date"] < start] if start is not None else every_order.iloc[:0]
    pairs = _pairs(credits)
    counted = np.isin(pairs, _pairs(orders))
    named = (credits["key"] >= 0).to_numpy() & (credits["cents"] > 0).to_numpy()  # a refund names nothing
    fate = np.full(len(credits), _POOL, dtype=object)
    fate[named & ~np.isin(pairs, _pairs(every_order))] = _UNMATCHED
    fate[named & np.isin(pairs, _pairs(early)) & ~counted] = _LEFT_OUT
    fate[named & counted] = _BY_NUMBER
    fates: pd.Series = pd.Series(fate, index=credits.index, dtype=object)
    return fates


def _settle_by_number(orders: pd.DataFrame, credits: pd.DataFrame, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The cents each of ``orders`` (oldest first) gets from the ``credits`` naming its Order No., and what those
    credits leave over when every order of that number is paid, per client place."""
    paid = credits["cents"].groupby(_pairs(credits)).sum()
    order_pairs = _pairs(orders)
    cents = orders["cents"].to_numpy()
    before = pd.Series(cents).groupby(order_pairs).cumsum().to_numpy() - cents  # orders are oldest first
    available = paid.reindex(order_pairs, fill_value=0).to_numpy()
    settled: np.ndarray = np.where(orders["key"].to_numpy() >= 0, np.clip(available - before, 0, cents), 0)
    total = pd.Series(cents).groupby(order_pairs).sum()
    left_over = (paid - total.reindex(paid.index, fill_value=0)).clip(lower=0)
    excess = np.bincount(
        (left_over.index.to_numpy(dtype=np.int64) >> 32), weights=left_over.to_numpy(dtype=float), minlength=size
    )
    return settled.astype(np.int64), np.round(excess).astype(np.int64)


def _settle_oldest_first(client: np.ndarray, left: np.ndarray, pool: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """What each order still lacks once each client's ``pool`` (cents, by client place) has paid the client's orders
    oldest first; a pool below zero (refunds beyond the credit) makes the newest paid orders unpaid again by that
    much. ``client`` (place), ``left`` (what the order lacks before) and ``amounts`` are per order, oldest first."""
    before = pd.Series(left).groupby(client).cumsum().to_numpy() - left
    money = pool[client]
    still = left - np.clip(money - before, 0, left)
    paid = amounts - still
    newest_first = pd.Series(paid[::-1])
    paid_after = (newest_first.groupby(client[::-1]).cumsum().to_numpy() - paid[::-1])[::-1]
    unpaid: np.ndarray = still + np.clip(-money - paid_after, 0, paid)
    return unpaid


def _unpaid(open_orders: pd.DataFrame, left: np.ndarray, terms: pd.Series, now: pd.Timestamp) -> pd.DataFrame:
    """The ``open_orders`` with what each still lacks (``left``, cents), as UNPAID_COLUMNS, by client and oldest
    first."""
    client_ids = terms.index.to_numpy(dtype=object)[open_orders["client"].to_numpy()]
    due = open_orders["date"] + pd.to_timedelta(
        terms.to_numpy(dtype=np.int64)[open_orders["client"].to_numpy()], unit="D"
    )
    unpaid = pd.DataFrame(
        {
            "client_id": client_ids,
            "row": open_orders.index.to_numpy(),
            "order_number": open_orders["order_number"].to_numpy(dtype=object),
            "date": open_orders["date"].to_numpy(dtype="datetime64[ns]"),
            "due": due.to_numpy(dtype="datetime64[ns]"),
            "amount": open_orders["cents"].to_numpy() / 100,
            "left": left / 100,
            "age_days": (now - open_orders["date"]).dt.days.to_numpy(),
            "overdue_days": (now - due).dt.days.to_numpy(),
        },
        columns=list(UNPAID_COLUMNS),
    )
    ordered = np.lexsort((unpaid["row"].to_numpy(), unpaid["date"].to_numpy(), open_orders["client"].to_numpy()))
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
