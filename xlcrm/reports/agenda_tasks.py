"""The agenda's work tasks: open plans, each block's follow-up, Lost clients to check and Dead ones to revive.

:func:`follow_up_tasks` gives them in the raw task format the agenda merges
(one row per task: ``client_id``, ``task``, ``due``, ``details``), with the
details written in the workbook's language. What is due comes from
:mod:`xlcrm.lifecycle.blocks` (``follow_up``) and :mod:`xlcrm.lifecycle.plans`;
this module picks what the agenda lists and says why in plain words:
«договорённость 20 дней назад, заказа нет», «1 заказ, тишина 45 дней».
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from xlcrm import schema
from xlcrm.lifecycle import blocks
from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.frames import Frames
from xlcrm.lifecycle.plans import BOOKED
from xlcrm.messages import Day, render, t, tn

# The raw task frame, the interface between the generators (this module and greetings) and the agenda.
TASK_COLUMNS = ("client_id", "task", "due", "details")
# Facts said without a value; the others are left out when their value is unknown.
_BARE = frozenset({"no_contact", "no_order", "no_dated_contact"})
PLAN = "plan"
# The follow-ups of lifecycle blocks this module lists when due.
FOLLOW_UPS = (
    blocks.FIRST_CONTACT,
    blocks.FIRST_ORDER,
    blocks.SECOND_ORDER,
    blocks.REORDER,
    blocks.REVIEW,
    blocks.REACTIVATE,
    blocks.CHECK_STATUS,
)


def follow_up_tasks(frames: Frames, lifecycle: Lifecycle) -> pd.DataFrame:
    """Open plans due up to ``birthday_days`` ahead (overdue ones included) and every follow-up due by today.

    Details render in ``frames.locale``; the frame is sorted by due date, then client.
    """
    tasks = pd.concat([_plan_tasks(frames, lifecycle), _block_tasks(frames, lifecycle)], ignore_index=True)
    tasks["due"] = tasks["due"].astype("datetime64[ns]")
    tasks = tasks.sort_values(["due", "client_id", "task"], kind="stable").reset_index(drop=True)
    result: pd.DataFrame = tasks[list(TASK_COLUMNS)]
    return result


def _plan_tasks(frames: Frames, lifecycle: Lifecycle) -> pd.DataFrame:
    """One task per open plan due by the horizon; a booked row says what was booked, a Lost client's plan says so."""
    locale = frames.locale
    horizon = pd.Timestamp(lifecycle.today) + pd.Timedelta(days=lifecycle.settings.birthday_days)
    plans = lifecycle.plans[lifecycle.plans["due"] <= horizon]
    log = frames.interactions
    rows = plans["row"].to_numpy()
    type_names = log["type_name"].reindex(rows).to_numpy(dtype=object)
    comments = log["comment"].reindex(rows).to_numpy(dtype=object)
    lost = (lifecycle.clients["dead_kind"].reindex(plans["client_id"]) == blocks.DEAD_LOST).to_numpy()
    lost_name = schema.LOST.name(locale)

    def details(kind: str, action: str | None, type_name: str | None, comment: str | None, is_lost: bool) -> str | None:
        text: str | None = action
        if kind == BOOKED:
            note = action or comment
            booked = type_name or ""
            text = render(
                t("{type}, booked ahead, {note}", type=booked, note=note)
                if note
                else t("{type}, booked ahead", type=booked),
                locale,
            )
        if not is_lost:
            return text
        if text:
            return render(t("{details} (the client is marked {lost})", details=text, lost=lost_name), locale)
        return render(t("The client is marked {lost}", lost=lost_name), locale)

    said = functools.lru_cache(maxsize=None)(details)  # asked once per distinct set of facts
    texts = plans["action"].to_numpy(dtype=object).copy()  # a Next date's plan says its Next action as typed
    worded = np.flatnonzero((plans["kind"] == BOOKED).to_numpy() | lost)
    texts[worded] = [
        said(kind, _text(action), _text(type_name), _text(comment), bool(is_lost))
        for kind, action, type_name, comment, is_lost in zip(
            plans["kind"].to_numpy()[worded],
            plans["action"].to_numpy()[worded],
            type_names[worded],
            comments[worded],
            lost[worded],
        )
    ]
    return task_frame(plans["client_id"], PLAN, plans["due"], texts)


def _block_tasks(frames: Frames, lifecycle: Lifecycle) -> pd.DataFrame:
    """Each client's follow-up due by today, with the facts behind it."""
    locale = frames.locale
    now = pd.Timestamp(lifecycle.today)
    clients = lifecycle.clients
    due = clients[clients["follow_up"].isin(FOLLOW_UPS) & (clients["follow_up_due"] <= now)]
    agreements = lifecycle.interactions[lifecycle.interactions["type"] == schema.AGREEMENT.key]
    last_agreement = agreements.groupby("client_id")["date"].max().reindex(due.index)
    lost_name = schema.LOST.name(locale)

    def days_since(dates: pd.Series) -> np.ndarray:
        days: np.ndarray = (now - dates).dt.days.to_numpy(dtype=float)
        return days

    def fact(key: str, value: int | dt.date | None) -> str:
        """One fact in words; asked once per distinct fact (a thousand clients silent 45 days share one text)."""
        count = value if isinstance(value, int) else 0
        day = Day(value if isinstance(value, dt.date) else lifecycle.today)
        message = {
            "no_contact": lambda: t("no contact yet"),
            "since": lambda: t("in the base since {date}", date=day),
            "agreed": lambda: tn("agreement {count} day ago", "agreement {count} days ago", count),
            "no_order": lambda: t("no order yet"),
            "orders": lambda: tn("{count} order", "{count} orders", count),
            "silent": lambda: tn("silent {count} day", "silent {count} days", count),
            "no_dated_contact": lambda: t("no dated contact"),
            "rhythm": lambda: tn("rhythm {count} day", "rhythm {count} days", count),
            "last_order": lambda: t("last order {date}", date=day),
            "unseen": lambda: tn("no contact for {count} day", "no contact for {count} days", count),
            "lost_order": lambda: t("marked {lost}, but ordered on {date}", lost=lost_name, date=day),
        }[key]()
        return render(message, locale)

    said = functools.lru_cache(maxsize=None)(fact)

    def facts_of(
        task: str,
        silent: int | None,
        orders: int,
        created: dt.date | None,
        agreed: int | None,
        rhythm: int | None,
        last_order: dt.date | None,
    ) -> tuple[tuple[str, int | dt.date | None], ...]:
        """The facts behind ``task``, each a key of ``fact`` and its value; the unknown ones left out."""
        silence: tuple[str, int | dt.date | None] = (
            ("silent", silent) if silent is not None else ("no_dated_contact", None)
        )
        facts: list[tuple[str, int | dt.date | None]] = []
        if task == blocks.FIRST_CONTACT:
            facts = [("no_contact", None), ("since", created)]
        elif task == blocks.FIRST_ORDER:
            facts = [("agreed", agreed) if agreed is not None else silence, ("no_order", None)]
        elif task in (blocks.SECOND_ORDER, blocks.REACTIVATE):
            facts = [("orders", orders), silence]
        elif task == blocks.REORDER:
            facts = [("rhythm", rhythm), ("last_order", last_order)]
        elif task == blocks.REVIEW:
            facts = [("unseen", silent) if silent is not None else ("no_contact", None)]
        else:  # CHECK_STATUS
            facts = [("lost_order", last_order)]
        return tuple((key, value) for key, value in facts if value is not None or key in _BARE)

    @functools.cache
    def details(facts: tuple[tuple[str, int | dt.date | None], ...]) -> str:
        """The facts in words, asked once per distinct set of facts (clients in the same situation share it)."""
        return render(tuple(said(key, value) for key, value in facts), locale)

    texts = [
        details(facts_of(task, _whole(silent), int(orders), created, _whole(agreed), _whole(rhythm), last_order))
        for task, silent, orders, created, agreed, rhythm, last_order in zip(
            due["follow_up"].to_numpy(),
            due["days_silent"].to_numpy(dtype=float),
            due["orders"].to_numpy(),
            as_dates(due["created"]),
            days_since(last_agreement),
            due["rhythm_days"].round().to_numpy(dtype=float),
            as_dates(due["last_order"]),
        )
    ]
    return task_frame(due.index, due["follow_up"].to_numpy(dtype=object), due["follow_up_due"], texts)


def _whole(value: float) -> int | None:
    return None if value != value else int(value)


def _text(value: object) -> str | None:
    """A cell's text, None for a blank (pandas gives NaN or None)."""
    return None if value is None or (isinstance(value, float) and value != value) else str(value)


def as_dates(dates: pd.Series) -> list[dt.date | None]:
    """Each of the ``datetime64`` dates as a ``datetime.date``, None for NaT: numpy converts them all at once."""
    days: list[dt.date | None] = dates.to_numpy(dtype="datetime64[D]").astype(object).tolist()
    return days


def no_tasks() -> pd.DataFrame:
    """An empty raw task frame, with the dtypes a filled one has."""
    empty: pd.DataFrame = pd.DataFrame(
        {
            "client_id": pd.Series(dtype=object),
            "task": pd.Series(dtype=object),
            "due": pd.Series(dtype="datetime64[ns]"),
            "details": pd.Series(dtype=object),
        }
    )
    return empty


def task_frame(
    client_ids: ArrayLike, task: str | np.ndarray, due: ArrayLike, details: ArrayLike | Sequence[str | None]
) -> pd.DataFrame:
    """A raw task frame (``TASK_COLUMNS``) of these clients, task keys (one for all, or one each), due dates and
    details; positions pair them, whatever the inputs' indexes."""
    frame: pd.DataFrame = pd.DataFrame(
        {
            "client_id": np.asarray(client_ids, dtype=object),
            "task": task,
            "due": np.asarray(due, dtype="datetime64[ns]"),
            "details": np.asarray(details, dtype=object),
        },
        columns=list(TASK_COLUMNS),
    )
    return frame
