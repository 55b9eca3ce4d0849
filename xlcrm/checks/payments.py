"""Checks of payments and debts: Order No. references, payments without an amount, and clients' payment terms.

The rules of what a payment settles are those of :mod:`xlcrm.lifecycle.payments` (its module docstring is the rule
book); these checks report where the workbook leaves them nothing to go on:

- A Payment or Return whose Order No. no order of its client carries settles no order, though its money counts in
  the client's ▸ Balance: an error on its Order No., naming the client whose order has that number when it is
  another client's. These are exactly the rows the debts leave unmatched (:func:`_unmatched_rows`): only in a
  workbook that tracks debts (one with a Payment row), among the rows of clients on Clients dated up to today and
  from the Setting ``payments_from``, and never a refund (a Payment below zero names no order).
- An Order No. on two orders of one client is a warning on the later row, naming the first: payments naming it
  settle the older order first.
- A Payment without an Amount counts for nothing: an error (one dated before ``payments_from`` counts as settled,
  so it is left alone). An Amount that is not a number is the bad-amount error every Amount gets.
- The Setting ``payments_from`` after today is a warning: until that day no order waits for a payment. A workbook
  that records payments but whose Settings has no row for it (made before payments) is a warning too: it tracks no
  debts until ``xlcrm init --upgrade`` adds the row.
- A client's Payment term must be a whole number of days from 0 to ``schema.MAX_PAYMENT_TERM_DAYS`` (ten years):
  anything else is an error, and the Setting
  ``payment_term_days`` is used until it is fixed; a term typed as text is read, and is a warning.

Order numbers are compared by :func:`order_key` (the one definition; the debts use it too). Each column is read once
per distinct value, the rows compared by pandas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.normalize import as_text, is_blank, parse_amount, parse_date, text_or_none
from xlcrm.checks.settings import Settings, setting_cell
from xlcrm.messages import Day, Message, t, tn
from xlcrm.xlsx.reader import SheetData, WorkbookData

ERROR, WARNING = Severity.ERROR, Severity.WARNING


def order_key(number: object) -> str | None:
    """How an Order No. is compared: as the text a person sees (``12.0`` as ``12``), ignoring case and surrounding
    or repeated spaces (None when blank)."""
    if number is None or number != number:  # NaN
        return None
    folded = schema.fold(as_text(number))
    return folded or None


def payment_findings(
    log: SheetData, clients: SheetData, settings: Settings, today: dt.date, locale: str
) -> Iterator[Finding]:
    """The findings of the rules above on a readable Interactions sheet ``log``, in no particular order."""
    rows = _log_rows(log)
    if log.has("order_number"):
        yield from _unmatched_findings(log, clients, rows, _unmatched_rows(rows, clients, settings, today), locale)
        yield from _repeated_order_findings(log, rows, locale)
    if log.has("amount"):
        yield from _blank_amount_findings(log, rows, settings, locale)


def _unmatched_rows(rows: pd.DataFrame, clients: SheetData, settings: Settings, today: dt.date) -> pd.Index:
    """The rows (of :func:`_log_rows`) of payments and returns whose Order No. no order of their client carries:
    those :func:`xlcrm.lifecycle.payments.receivables` leaves unmatched, by the same rules (empty when the workbook
    does not track debts)."""
    known = _of_known_clients(rows, _unique_client_ids(clients))
    keys = rows["order"].to_numpy()
    pairs = _pairs(rows)
    kind, date = rows["type"].to_numpy(), rows["date"]
    mine = known & date.notna().to_numpy()
    past = mine & (date <= pd.Timestamp(today)).to_numpy()
    if not settings.payments_from_listed or not (past & (kind == _PAYMENT)).any():
        return pd.Index([], dtype=int)
    start = settings.payments_from
    counted = past if start is None else past & (date >= pd.Timestamp(start)).to_numpy()
    amount = rows["amount"].to_numpy(dtype=float)
    # A refund (a Payment below zero) names no order; money rounded to no kopeck names none either.
    cents = np.round(np.where(kind == _PAYMENT, amount, np.abs(amount)) * 100)
    named = counted & np.isin(kind, _CREDIT_TYPES) & (cents > 0) & (keys >= 0)  # NaN cents compare False
    # Only an order with money to settle can be named: one without an Amount above zero is owed nothing.
    carried = pd.Series(pairs[mine & (kind == _ORDER) & (amount > 0)])
    unmatched: pd.Index = rows.index[named & ~pd.Series(pairs).isin(carried).to_numpy()]
    return unmatched


# The types of interactions by their place in schema.INTERACTION_TYPES (-1: none of them): a million rows are
# compared as small integers, not as text.
_TYPE_CODES = {kind.key: code for code, kind in enumerate(schema.INTERACTION_TYPES)}
_ORDER, _PAYMENT = _TYPE_CODES[schema.ORDER.key], _TYPE_CODES[schema.PAYMENT.key]
_CREDIT_TYPES = (_PAYMENT, _TYPE_CODES[schema.RETURN.key])


def _log_rows(log: SheetData) -> pd.DataFrame:
    """The Interactions rows as the debts read them: ``client_id`` as text, ``date``, ``type`` (a built-in type's
    code, see ``_TYPE_CODES``) and ``amount`` (NaN when blank or not a number); ``client`` and ``order`` number the
    ClientIDs and the Order Nos. (by :func:`order_key`; -1: blank), to match a million rows by integers."""
    client, client_ids = _coded(log, "client_id", text_or_none)
    order, _ = _coded(log, "order_number", order_key)
    rows: pd.DataFrame = pd.DataFrame(
        {
            # Kept as Python strings: pandas' own string type would copy a million of them, and look each of the
            # known IDs up one by one when asked which rows name one.
            "client_id": pd.Series(
                np.array([*client_ids, None], dtype=object)[client], index=log.frame.index, dtype=object
            ),
            "client": client,
            "date": log.each_cell("date", _day, dtype="datetime64[ns]"),
            "type": log.each_cell("type", _type_code, dtype=np.int8),
            "amount": log.each_cell("amount", _amount, dtype=float),
            "order": order,
        },
        index=log.frame.index,
        copy=False,  # the columns are this frame's own already: gathering them into blocks would copy each
    )
    return rows


def _coded(sheet: SheetData, column_key: str, convert: Callable[[object], str | None]) -> tuple[np.ndarray, np.ndarray]:
    """An integer for each cell, equal for cells that ``convert`` alike (-1: to None), and what each integer stands
    for; ``convert`` is asked once per distinct value."""
    codes, distinct = sheet.distinct(column_key)
    numbers, values = pd.factorize(pd.Series([convert(value) for value in distinct], dtype=object))
    by_cell: np.ndarray = np.append(numbers, -1)[codes]  # a blank cell's code, -1, takes the -1 at the end
    return by_cell, np.asarray(values, dtype=object)


def _pairs(rows: pd.DataFrame) -> np.ndarray:
    """Client and Order No. of ``rows`` as one integer each, to match by."""
    pairs: np.ndarray = rows["client"].to_numpy(dtype=np.int64) * (1 << 32) + rows["order"].to_numpy(dtype=np.int64)
    return pairs


def _of_known_clients(rows: pd.DataFrame, client_ids: pd.Index) -> np.ndarray:
    """Whether each row's ClientID is one of ``client_ids``: each distinct ClientID (by its number in ``client``)
    is looked up once, not once for each of a million rows."""
    client = rows["client"].to_numpy()
    filled = client >= 0
    by_number = np.empty(client.max(initial=-1) + 1, dtype=object)
    by_number[client[filled]] = rows["client_id"].to_numpy()[filled]
    # A blank ClientID's number, -1, takes the False at the end.
    known: np.ndarray = np.append(pd.Series(by_number, dtype=object).isin(client_ids).to_numpy(), False)[client]
    return known


def _unique_client_ids(clients: SheetData) -> pd.Index:
    """The ClientIDs of Clients that name one client each: the clients whose debts are computed."""
    ids = pd.Series(clients.each_cell("client_id", text_or_none), dtype=object).dropna()
    unique: pd.Index = pd.Index(ids[~ids.duplicated(keep=False)])
    return unique


def _day(value: object) -> dt.datetime | None:
    """The date of a cell at midnight, None when blank or not a date (the date check reports that)."""
    day = None if is_blank(value) else parse_date(value).date
    return None if day is None else dt.datetime(day.year, day.month, day.day)


def _type_key(value: object) -> str | None:
    match = schema.match_list_value(value, schema.INTERACTION_TYPES)
    return match.key if match else None


def _type_code(value: object) -> int:
    key = _type_key(value)
    return -1 if key is None else _TYPE_CODES[key]


def _amount(value: object) -> float:
    amount = None if is_blank(value) else parse_amount(value).amount
    return np.nan if amount is None else amount


def cell_finding(severity: Severity, code: Code, sheet: SheetData, key: str, row: int, message: Message) -> Finding:
    """A finding on the cell of column ``key`` in ``row``, with the cell's value as a person reads it."""
    value = sheet.column_values(key)[row]
    return Finding(severity, code, sheet.name, sheet.cell(key, int(row)), text_or_none(value) or "", message)


# What is wrong with a cell: how bad, its code, and the words that say so.
Problem = tuple[Severity, Code, Message]


def column_findings(sheet: SheetData, key: str, problem_of: Callable[[object], Problem | None]) -> Iterator[Finding]:
    """A finding per filled cell of column ``key`` that ``problem_of`` finds wrong, asked once per distinct value."""
    codes, distinct = sheet.distinct(key)
    problems = [problem_of(value) for value in distinct]
    for row, code in zip(sheet.frame.index, codes):
        problem = problems[code] if code >= 0 else None
        if problem is not None:
            severity, problem_code, message = problem
            yield cell_finding(severity, problem_code, sheet, key, int(row), message)


def _header(sheet: SheetData, key: str, locale: str) -> str:
    return sheet.spec.column(key).name(locale)


_BALANCE = next(column for column in schema.CLIENT_COMPUTED_COLUMNS if column.key == "balance")


def _balance_header(locale: str) -> str:
    """``▸ Balance`` as the Clients sheet heads it."""
    return schema.REPORT_MARKER + _BALANCE.name(locale)


def _unmatched_findings(
    log: SheetData, clients: SheetData, rows: pd.DataFrame, unmatched: pd.Index, locale: str
) -> Iterator[Finding]:
    if unmatched.empty:
        return
    orders, repeated = _numbered_orders(rows)
    firsts = orders[~repeated]
    # The first order of each client carrying an Order No., and of the first two clients carrying it: one of them
    # is another client's when the number is not this client's.
    own: dict[tuple[int, int], int] = {}
    carriers: dict[int, list[tuple[int, int]]] = {}
    for row, client, order in zip(firsts.index, firsts["client"], firsts["order"]):
        own[(client, order)] = int(row)
        found = carriers.setdefault(order, [])
        if len(found) < 2:
            found.append((client, int(row)))
    client_ids = rows["client_id"].to_numpy()
    amounts = rows["amount"].to_numpy(dtype=float)
    params = {
        "order_no": _header(log, "order_number", locale),
        "client_header": clients.spec.column("client_id").name(locale),
        "balance": _balance_header(locale),
    }
    at = rows.index.get_indexer(unmatched)
    raw = log.column_values("order_number").to_numpy(dtype=object)[at]
    for row, client, order, kind, number in zip(
        unmatched, rows["client"].to_numpy()[at], rows["order"].to_numpy()[at], rows["type"].to_numpy()[at], raw
    ):
        other = next((found for found in carriers.get(order, []) if found[0] != client), None)
        common = {
            **params,
            "type": (schema.PAYMENT if kind == _PAYMENT else schema.RETURN).name(locale),
            "number": as_text(number),
        }
        message: Message
        if (client, order) in own and not amounts[rows.index.get_loc(own[(client, order)])] > 0:
            message = t(
                "the order with {order_no} {number} ({cell}) has no {amount} above zero, so this {type} settles no "
                "order, though it counts in the client's {balance}; type the order's amount",
                cell=log.cell("amount", own[(client, order)]) if log.has("amount") else log.name,
                amount=_header(log, "amount", locale),
                **common,
            )
        elif (client, order) in own and log.has("date"):  # the order is there, but undated it is counted nowhere
            message = t(
                "the order with {order_no} {number} ({cell}) has no {date} that can be read, so this {type} "
                "settles no order, though it counts in the client's {balance}; type the order's date",
                cell=log.cell("date", own[(client, order)]),
                date=_header(log, "date", locale),
                **common,
            )
        elif other is not None:
            message = t(
                "{order_no} {number} is an order of {client_header} {other} ({cell}), not of this client: this "
                "{type} settles no order, though it counts in this client's {balance}; correct the {order_no} or "
                "the {client_header}",
                other=client_ids[rows.index.get_loc(other[1])],
                cell=log.cell("order_number", other[1]),
                **common,
            )
        else:
            message = t(
                "no order of this client has {order_no} {number}: this {type} settles no order, though it counts "
                "in the client's {balance}; type the number of one of the client's orders, or clear the cell so "
                "that it settles the oldest orders first",
                **common,
            )
        yield Finding(ERROR, Code.UNKNOWN_ORDER, log.name, log.cell("order_number", int(row)), as_text(number), message)


def _numbered_orders(rows: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The orders with a ClientID and an Order No., and which of them repeat the two of an earlier row."""
    is_order = (rows["type"] == _ORDER) & (rows["order"] >= 0) & (rows["client"] >= 0)
    orders = rows[is_order.to_numpy()]
    repeated: np.ndarray = pd.Series(_pairs(orders)).duplicated().to_numpy()
    return orders, repeated


def _repeated_order_findings(log: SheetData, rows: pd.DataFrame, locale: str) -> Iterator[Finding]:
    orders, repeated = _numbered_orders(rows)
    if not repeated.any():
        return
    pairs = _pairs(orders)
    first_rows = dict(zip(pairs[~repeated], orders.index[~repeated]))
    later = orders.index[repeated]
    numbers = log.column_values("order_number").to_numpy(dtype=object)[rows.index.get_indexer(later)]
    header = _header(log, "order_number", locale)
    for row, pair, number in zip(later, pairs[repeated], numbers):
        message = t(
            "another order of this client has {order_no} {number} too ({cell}): a payment naming it settles the "
            "older of the two first; give each order its own number",
            order_no=header,
            number=as_text(number),
            cell=log.cell("order_number", int(first_rows[pair])),
        )
        cell = log.cell("order_number", int(row))
        yield Finding(WARNING, Code.DUPLICATE_ORDER_NUMBER, log.name, cell, as_text(number), message)


def _blank_amount_findings(log: SheetData, rows: pd.DataFrame, settings: Settings, locale: str) -> Iterator[Finding]:
    blank = (rows["type"] == _PAYMENT).to_numpy() & log.each_cell("amount", is_blank, dtype=bool)
    if settings.payments_from is not None:
        blank &= ~(rows["date"] < pd.Timestamp(settings.payments_from)).to_numpy()
    for row in rows.index[blank]:
        yield cell_finding(
            ERROR,
            Code.PAYMENT_WITHOUT_AMOUNT,
            log,
            "amount",
            row,
            t(
                "a {payment} without an {amount}: it counts for nothing in the client's {balance}; type the money "
                "received (below zero for money paid back)",
                payment=schema.PAYMENT.name(locale),
                amount=_header(log, "amount", locale),
                balance=_balance_header(locale),
            ),
        )


# --- payment terms on Clients ------------------------------------------------------------------


def payment_term_findings(clients: SheetData, settings: Settings, locale: str) -> Iterator[Finding]:
    """A finding per Payment term on Clients that is not a whole number from 0 to ``schema.MAX_PAYMENT_TERM_DAYS``
    (an error: the Setting is used instead) or is typed as text (a warning: it is read)."""
    if not clients.has("payment_term"):
        return
    fallback = tn(
        "until it is fixed, the client's orders are due in {count} day, the payment term on sheet {sheet}",
        "until it is fixed, the client's orders are due in {count} days, the payment term on sheet {sheet}",
        settings.payment_term_days,
        sheet=schema.SETTINGS.name(locale),
    )
    yield from column_findings(clients, "payment_term", lambda value: _term_problem(value, fallback))


def _term_problem(value: object, fallback: Message) -> Problem | None:
    """What is wrong with a filled Payment term, None when it is a whole number of days typed as a number."""
    reading = parse_amount(value)
    days = reading.amount
    if days is None:
        return ERROR, Code.BAD_PAYMENT_TERM, t("not a number of days; {fallback}", fallback=fallback)
    if days < 0 or not days.is_integer() or days > schema.MAX_PAYMENT_TERM_DAYS:
        return (
            ERROR,
            Code.BAD_PAYMENT_TERM,
            t(
                "a payment term is a whole number of days from 0 to {most}; {fallback}",
                most=schema.MAX_PAYMENT_TERM_DAYS,
                fallback=fallback,
            ),
        )
    if reading.from_text:
        return WARNING, Code.BAD_NUMBER, t("typed as text; retype it as a number")
    return None


# --- the day payments are tracked from ---------------------------------------------------------


def payments_from_findings(data: WorkbookData, settings: Settings, today: dt.date) -> Iterator[Finding]:
    """A warning when the Setting ``payments_from`` is after ``today`` (no order waits for a payment yet), or when
    the workbook records payments but Settings has no row for it (no debts are tracked)."""
    start, cell, sheet = settings.payments_from, setting_cell(data, "payments_from"), data.sheet(schema.SETTINGS.key)
    if not settings.payments_from_listed and sheet is not None and _records_payments(data):
        yield Finding(
            WARNING,
            Code.PAYMENTS_NOT_TRACKED,
            sheet.name,
            sheet.name,
            "",
            t(
                "the workbook records payments, but this sheet has no row for {setting}, so debts are not tracked "
                "and {balance} stays blank: run xlcrm init --upgrade on the workbook, which adds the row with the "
                "day of the upgrade (earlier orders count as settled)",
                setting=schema.setting("payments_from").label(data.locale),
                balance=_balance_header(data.locale),
            ),
        )
    if start is None or start <= today or cell is None or sheet is None:
        return
    yield Finding(
        WARNING,
        Code.FUTURE_PAYMENTS_FROM,
        sheet.name,
        cell,
        start.isoformat(),
        t(
            "{setting} is {start}, after today ({today}): until then no order waits for a payment and {balance} "
            "stays blank; check the day, month and year",
            setting=schema.setting("payments_from").label(data.locale),
            start=Day(start),
            today=Day(today),
            balance=_balance_header(data.locale),
        ),
    )


def _records_payments(data: WorkbookData) -> bool:
    """Whether the Interactions sheet has a row of the Payment type."""
    log = data.sheet(schema.INTERACTIONS.key)
    if log is None or not log.has("type"):
        return False
    return bool((log.each_cell("type", _type_key) == schema.PAYMENT.key).any())
