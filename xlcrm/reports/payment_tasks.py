"""The agenda's payment task: a client with an order not paid by the end of its payment term.

Which orders are overdue is :mod:`xlcrm.lifecycle.payments` (an order is due ``term`` days after its date; on the
due day it is on time, from the next day overdue). A client with overdue orders gets one task, for the client's
manager, due on the due day of the oldest of them, so the agenda's days late are the days that order is overdue.
The details say how much is overdue in all, how long, and which order is the oldest, by its Order No. when it has
one: «12 500,00 просрочено на 17 дней, заказ № 45 от 1 ноября 2026», «… заказ от 3 ноября 2026 и ещё 2».
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.frames import Frames
from xlcrm.messages import Day, Message, Number, render, t, tn
from xlcrm.reports.agenda_tasks import task_frame

# Task key of the raw task frame.
PAYMENT_OVERDUE = "payment_overdue"


def payment_tasks(frames: Frames, lifecycle: Lifecycle) -> pd.DataFrame:
    """One raw task (``TASK_COLUMNS``) per client with an overdue order on the lifecycle's day, its details in
    ``frames.locale``."""
    unpaid = lifecycle.receivables.unpaid
    overdue = unpaid[unpaid["overdue_days"] > 0]
    # The unpaid orders come by client, oldest first: a client's first is its oldest overdue order.
    oldest = overdue.drop_duplicates("client_id")
    by_client = overdue.groupby("client_id", sort=False)
    amounts = by_client["left"].sum().reindex(oldest["client_id"]).tolist()
    counts = by_client.size().reindex(oldest["client_id"]).tolist()
    details = [
        render(_details(amount, int(days), _order(number, pd.Timestamp(date).date(), count - 1)), frames.locale)
        for amount, days, number, date, count in zip(
            amounts, oldest["overdue_days"], oldest["order_number"], oldest["date"], counts
        )
    ]
    return task_frame(oldest["client_id"], PAYMENT_OVERDUE, oldest["due"], details)


def _order(number: object, date: dt.date, others: int) -> Message:
    """The oldest overdue order as a person names it: «заказ № 45 от 1 ноября 2026», with how many more there are."""
    named = number is not None and number == number and str(number).strip()
    oldest = (
        t("order {number} of {date}", number=t("No. {number}", number=str(number).strip()), date=Day(date))
        if named
        else t("order of {date}", date=Day(date))
    )
    return tn("{order} and {count} more", "{order} and {count} more", others, order=oldest) if others else oldest


def _details(amount: float, days: int, order: Message) -> Message:
    """How much is overdue, for how many days, and of which order."""
    return tn(
        "{amount} overdue by {count} day, {order}",
        "{amount} overdue by {count} days, {order}",
        days,
        amount=Number(amount, decimals=2),
        order=order,
    )
