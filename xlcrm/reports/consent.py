"""Clients whose consent to process personal data is still to be collected, and their agenda tasks.

Which clients need consent is decided in :mod:`xlcrm.checks.consent`; here it
meets the lifecycle: a client counts when the Setting ``consent_required`` is
Yes, the client is a person, has no readable Consent date, and is neither
designated Lost nor erased. The agenda asks the manager to collect it
(``CONSENT``), due ``CONSENT_AFTER_DAYS`` after the client was entered; how
such a task joins a client's other reasons is :func:`xlcrm.reports.agenda.assemble_agenda`'s part.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd

from xlcrm import schema
from xlcrm.checks.consent import persons
from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.frames import Frames
from xlcrm.messages import Day, render, t
from xlcrm.reports.agenda_tasks import as_dates, task_frame

CONSENT = "consent"
# Days after Created by which consent should be in: the first talks are the natural moment to ask for it.
CONSENT_AFTER_DAYS = 14


def without_consent(frames: Frames, lifecycle: Lifecycle) -> pd.Series:
    """Per client (indexed like ``lifecycle.clients``), whether consent is still to be collected; all False when
    the Setting says consent is not required."""
    clients = lifecycle.clients
    if not lifecycle.settings.consent_required:
        nobody: pd.Series = pd.Series(False, index=clients.index, dtype=bool)
        return nobody
    consent = frames.clients["consent_date"].reindex(clients["row"]).to_numpy()
    wanted = persons(clients["name"], clients["company"]) & (clients["designation"] != schema.LOST.key).to_numpy()
    missing: pd.Series = pd.Series(wanted & pd.isna(consent), index=clients.index, dtype=bool)
    return missing


def consent_tasks(frames: Frames, lifecycle: Lifecycle) -> pd.DataFrame:
    """A task per client whose consent is to be collected, due ``CONSENT_AFTER_DAYS`` after its Created date
    (today when it has none), saying since when the client is in the base."""
    clients = lifecycle.clients[without_consent(frames, lifecycle).to_numpy()]
    created = clients["created"]
    due = (created + pd.Timedelta(days=CONSENT_AFTER_DAYS)).fillna(pd.Timestamp(lifecycle.today))

    @functools.cache
    def since(day: dt.date) -> str:
        """The detail of a client entered on ``day``, worded once per day."""
        return render(t("in the base since {date}", date=Day(day)), frames.locale)

    details = [None if day is None else since(day) for day in as_dates(created)]
    return task_frame(clients.index, CONSENT, due, details)
