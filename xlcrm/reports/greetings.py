"""Greetings: the birthdays and holidays on which a manager congratulates a client, as agenda tasks.

Three kinds of task, each due on its day and listed from ``birthday_days``
before it (today included):

- ``birthday``: the client's own birthday (Birthday on Clients);
- ``contact_birthday``: a contact person's birthday (Birthday on Contacts), with
  the person's name and the age they turn when the year looks real (people
  type 1900 when they do not know it);
- ``holiday``: a holiday of the Settings table (or the default ones, see
  :mod:`xlcrm.checks.holidays`), for every client in the blocks it is for, with
  a hint how to greet.

A birthday on 29 February falls on the 28th in other years. A client designated
Lost (not to revive) gets no birthday greeting; a holiday greets the blocks it
names, and every block but Dead when it names none. One task per client per
greeting: a contact person who is the client himself (same name and birthday)
is greeted once, as the client.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.frames import Frames
from xlcrm.messages import t
from xlcrm.reports.agenda_tasks import TASK_COLUMNS, no_tasks, task_frame

# Blocks greeted in person: a call or a small gift from the manager rather than a message.
_PERSONAL_BLOCKS = frozenset({schema.PARTNER.number, schema.VIP_BLOCK.number, schema.KEY_BLOCK.number})
# Birth years that are no birth year: 1900 is what people type when they do not know it.
_UNKNOWN_BIRTH_YEAR = 1900
_OLDEST_AGE = 120


def greeting_tasks(frames: Frames, lifecycle: Lifecycle) -> pd.DataFrame:
    """Every greeting due from today to ``birthday_days`` ahead, as raw agenda tasks (``TASK_COLUMNS``)."""
    today = pd.Timestamp(lifecycle.today)
    until = today + pd.Timedelta(days=lifecycle.settings.birthday_days)
    clients = lifecycle.clients
    locale = frames.locale
    parts = [
        _client_birthdays(frames, clients, today, until, locale),
        _contact_birthdays(frames, clients, today, until, locale),
        *(_holiday(holiday, clients, today, until, locale) for holiday in frames.holidays),
    ]
    tasks = pd.concat([part for part in parts if not part.empty] or [no_tasks()], ignore_index=True)
    tasks["due"] = pd.to_datetime(tasks["due"]).astype("datetime64[ns]")
    details = tasks["details"].astype(object)
    tasks["details"] = details.where(details.notna(), None)  # no details: None, never NaN
    tasks = tasks.sort_values(["due", "client_id", "task"], kind="stable")
    result: pd.DataFrame = tasks[list(TASK_COLUMNS)].reset_index(drop=True)
    return result


def next_anniversary(dates: pd.Series, today: pd.Timestamp) -> pd.Series:
    """The next day and month of each date on or after ``today`` (29 February falls on the 28th in other years);
    NaT when the date is unknown."""
    known = dates.dropna()
    result: pd.Series = pd.Series(pd.NaT, index=dates.index, dtype="datetime64[ns]")
    if known.empty:
        return result
    month, day = known.dt.month.to_numpy(), known.dt.day.to_numpy()
    this_year = _dates(today.year, month, day)
    next_year = _dates(today.year + 1, month, day)
    result.loc[known.index] = np.where(this_year >= today, this_year, next_year)
    return result


def _greeted(clients: pd.DataFrame) -> pd.DataFrame:
    """The clients whose birthdays are greeted: all but those designated Lost (not to revive)."""
    greeted: pd.DataFrame = clients[clients["designation"] != schema.LOST.key]
    return greeted


def _client_birthdays(
    frames: Frames, clients: pd.DataFrame, today: pd.Timestamp, until: pd.Timestamp, locale: str
) -> pd.DataFrame:
    rows = frames.clients[frames.clients["client_id"].isin(_greeted(clients).index)]
    rows = rows.drop_duplicates("client_id")
    due = next_anniversary(rows["birthday"], today)
    soon = (due <= until).to_numpy()
    rows, due = rows[soon], due[soon]
    return task_frame(rows["client_id"], "birthday", due, _turns(rows["birthday"], due, locale))


def _contact_birthdays(
    frames: Frames, clients: pd.DataFrame, today: pd.Timestamp, until: pd.Timestamp, locale: str
) -> pd.DataFrame:
    contacts = frames.contacts[frames.contacts["client_id"].isin(_greeted(clients).index)]
    contacts = contacts[contacts["birthday"].notna()]
    if contacts.empty:  # pandas gives an empty lookup no dates to compare
        return no_tasks()
    # The same person typed twice, or the client himself typed again as his own contact person: greeted once.
    person = contacts["name"].map(schema.fold)
    same_row = pd.DataFrame({"id": contacts["client_id"], "who": person, "day": contacts["birthday"]}).duplicated()
    contacts = contacts[~same_row]
    own = frames.clients.drop_duplicates("client_id").set_index("client_id")
    client_name = contacts["client_id"].map(own["name"].map(schema.fold))
    client_birthday = contacts["client_id"].map(own["birthday"])
    same_person = (contacts["name"].map(schema.fold) == client_name) & _same_day(contacts["birthday"], client_birthday)
    contacts = contacts[~same_person]
    due = next_anniversary(contacts["birthday"], today)
    soon = (due <= until).to_numpy()
    contacts, due = contacts[soon], due[soon]
    turns = _turns(contacts["birthday"], due, locale)
    details = [
        ", ".join(part for part in (name, age) if part) or None
        for name, age in zip(contacts["name"].tolist(), turns.tolist())
    ]
    return task_frame(contacts["client_id"], "contact_birthday", due, details)


def _holiday(
    holiday: schema.Holiday, clients: pd.DataFrame, today: pd.Timestamp, until: pd.Timestamp, locale: str
) -> pd.DataFrame:
    # Any leap year stands for the holiday's day and month, 29 February included.
    due = next_anniversary(pd.Series([pd.Timestamp(2000, holiday.month, holiday.day)]), today).iloc[0]
    if due > until:
        return no_tasks()
    blocks = holiday.blocks or tuple(b.number for b in schema.BLOCKS if b is not schema.DEAD)
    greeted = clients[clients["block"].isin(blocks)]
    name = holiday.name(locale)
    personal = t("{holiday} — a call or a small gift", holiday=name).render(locale)
    written = t("{holiday} — a message or a card", holiday=name).render(locale)
    details = np.where(greeted["block"].isin(list(_PERSONAL_BLOCKS)), personal, written)
    return task_frame(greeted.index, "holiday", np.full(len(greeted), due.to_datetime64()), details)


def _dates(year: int, month: np.ndarray, day: np.ndarray) -> pd.DatetimeIndex:
    leap_day = (month == 2) & (day == 29)
    is_leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    day = np.where(leap_day & (not is_leap), 28, day)
    dates: pd.DatetimeIndex = pd.DatetimeIndex(pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day})))
    return dates


def _same_day(first: pd.Series, second: pd.Series) -> pd.Series:
    """Whether two birthdays fall on one day and month (unknown on either side: no)."""
    same: pd.Series = (first.dt.month == second.dt.month) & (first.dt.day == second.dt.day)
    return same.fillna(False).astype(bool)


def _turns(birthdays: pd.Series, anniversaries: pd.Series, locale: str) -> pd.Series:
    """``turns 45`` when the birth year looks real, else None."""
    template = schema.label("detail_turns", locale)
    texts = []
    for born, day in zip(birthdays.tolist(), anniversaries.tolist()):
        age = day.year - born.year
        real = born.year > _UNKNOWN_BIRTH_YEAR and 0 < age < _OLDEST_AGE
        texts.append(template.format(age=age) if real else None)
    return pd.Series(texts, index=birthdays.index, dtype=object)
