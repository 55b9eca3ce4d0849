"""The agenda's contract tasks: a contract that ends soon, and one that ended but is still marked Active.

Which contracts come up is :func:`xlcrm.lifecycle.contracts.contract_reminders`: from ``contract_end_days`` before
the end of a contract's term to as many days after it. The task is due on the first of those days, as a follow-up is
due on the day it is called for, so the agenda's days late count how long the reminder has waited (0 on its first
day, ``contract_end_days`` on the contract's last day), and a client's contracts come in the order they end. Like
any task, a reminder left waiting more than ``stale_after_days`` moves to the long overdue part (with the defaults,
30 and 60, it never does). A contract is named by its Number, or its ContractID when it has none, and its Subject
when there is one; the details say how many days are left and the term's last day: «№ 12/26 «Поставка», через 5 дней
(8 декабря 2026)», «№ 7, сегодня (3 декабря 2026)», «№ 3, срок истёк 30 ноября 2026».
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.contracts import ENDING, contract_reminders
from xlcrm.lifecycle.frames import Frames
from xlcrm.messages import Day, Message, render, t, tn
from xlcrm.reports.agenda_tasks import task_frame

# Task keys of the raw task frame.
CONTRACT_ENDS = "contract_ends"
CONTRACT_EXPIRED = "contract_expired"


def contract_tasks(frames: Frames, lifecycle: Lifecycle) -> pd.DataFrame:
    """One raw task (``TASK_COLUMNS``) per contract to remind of on the lifecycle's day, its details in
    ``frames.locale``."""
    today = lifecycle.today
    reminders = contract_reminders(lifecycle.contracts, today, lifecycle.settings.contract_end_days)
    ending = (reminders["kind"] == ENDING).to_numpy(dtype=bool)
    details = [
        render(_details(_name(number, contract_id, subject), int(left), pd.Timestamp(ends).date()), frames.locale)
        for number, contract_id, subject, left, ends in zip(
            reminders["number"],
            reminders["contract_id"],
            reminders["subject"],
            reminders["days_left"],
            reminders["ends"],
        )
    ]
    due = reminders["ends"] - pd.Timedelta(days=lifecycle.settings.contract_end_days)
    return task_frame(reminders["client_id"], np.where(ending, CONTRACT_ENDS, CONTRACT_EXPIRED), due, details)


def _name(number: str | None, contract_id: str | None, subject: str | None) -> Message | str:
    """How a person names the contract: «№ 12/26 «Поставка»», its ContractID when it has no number."""
    called: Message | str = t("No. {number}", number=number) if number else contract_id or t("without a number")
    return t("{contract} “{subject}”", contract=called, subject=subject) if subject else called


def _details(name: Message | str, days_left: int, ends: dt.date) -> Message:
    """What the manager needs to know of the contract: how many days are left and the term's last day."""
    if days_left > 0:
        return tn(
            "{contract}, in {count} day ({date})",
            "{contract}, in {count} days ({date})",
            days_left,
            contract=name,
            date=Day(ends),
        )
    if days_left == 0:
        return t("{contract}, today ({date})", contract=name, date=Day(ends))
    return t("{contract}, ended {date}", contract=name, date=Day(ends))
