"""The agenda: what each manager should do, from the lifecycle and the planned contacts.

One item per task, for the manager responsible for the client (the Manager
column of Clients):

- overdue contacts: the Next date planned at the client's last contact, passed;
- planned contacts: that Next date within the agenda horizon (neither for Dead clients);
- birthdays of clients and of their contact persons within the horizon;
- reactivation candidates: Dead by silence, not designated Lost;
- clients overdue against their own purchase rhythm (median gap between orders);
- VIP and Key clients silent long enough to be Dead, to review.

The horizon is the ``birthday_days`` setting (14 days by default) for planned
contacts and birthdays alike. ``agenda_calendar`` turns the dated items (planned
contacts and birthdays) into an iCalendar file, so managers get reminders.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from icalendar import Alarm, Calendar, Event

from xlcrm import schema
from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.frames import Frames
from xlcrm.messages import t
from xlcrm.xlsx.report_sheet import ColumnFormat, ReportColumn, ReportSheet, ReportTable

# Order of the tasks within a manager's agenda: the most urgent first.
TASKS = ("overdue", "upcoming", "birthday", "contact_birthday", "rhythm", "review", "reactivate")
# Tasks that are a date in a calendar; the others are lists to work through.
CALENDAR_TASKS = ("overdue", "upcoming", "birthday", "contact_birthday")
AGENDA_COLUMNS = ("manager", "task", "date", "days", "client_id", "client", "company", "phone", "details")
ICS_PRODUCT = "-//xlcrm//agenda//EN"
REMINDER_AT = dt.timedelta(hours=9)  # after the start of the day of the event


@dataclass(frozen=True)
class Agenda:
    today: dt.date
    locale: str
    horizon_days: int
    items: pd.DataFrame  # AGENDA_COLUMNS, sorted by manager, task, date; ``task`` is a key of TASKS

    def for_manager(self, manager: str) -> Agenda:
        """Only the items of ``manager`` (matched ignoring case and spaces)."""
        wanted = schema.fold(manager)
        mine = self.items[self.items["manager"].map(schema.fold) == wanted]
        return Agenda(self.today, self.locale, self.horizon_days, mine.reset_index(drop=True))

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        items = []
        item: Any  # a row of AGENDA_COLUMNS; pandas-stubs gives its fields every scalar type at once
        for item in self.items.itertuples(index=False):
            record: dict[str, Any] = item._asdict()
            record["date"] = None if pd.isna(record["date"]) else record["date"].date().isoformat()
            record["days"] = None if pd.isna(record["days"]) else int(record["days"])
            for key in ("client", "company", "phone", "details"):
                record[key] = item_text(record[key]) or None
            items.append(record)
        return {"today": self.today.isoformat(), "horizon_days": self.horizon_days, "items": items}


def build_agenda(frames: Frames, lifecycle: Lifecycle) -> Agenda:
    """The agenda for ``frames``' clients at the date the lifecycle was computed for: whom to contact and why."""
    today = pd.Timestamp(lifecycle.today)
    horizon = lifecycle.settings.birthday_days
    until = today + pd.Timedelta(days=horizon)
    clients = lifecycle.clients
    locale = frames.locale
    parts: list[pd.DataFrame] = []

    def add(task: str, who: pd.DataFrame, dates: pd.Series, details: pd.Series) -> None:
        parts.append(
            pd.DataFrame(
                {
                    "manager": who["manager"].fillna(schema.label("no_manager", locale)).to_numpy(),
                    "task": task,
                    "date": dates.to_numpy(),
                    "client_id": who.index.to_numpy(),
                    "client": who["name"].to_numpy(),
                    "company": who["company"].to_numpy(),
                    "phone": who["phone"].to_numpy(),
                    "details": details.to_numpy(),
                }
            )
        )

    # A Dead client's plan is stale (or the client is Lost): it is listed once, to reactivate, or not at all.
    planned = clients[clients["next_contact"].notna() & (clients["block"] != schema.DEAD.number)]
    overdue = planned[planned["next_contact"] < today]
    add("overdue", overdue, overdue["next_contact"], overdue["next_action"])
    upcoming = planned[(planned["next_contact"] >= today) & (planned["next_contact"] <= until)]
    add("upcoming", upcoming, upcoming["next_contact"], upcoming["next_action"])

    birthdays = frames.clients[frames.clients["client_id"].isin(clients.index)].drop_duplicates("client_id")
    birthdays = birthdays.set_index("client_id")
    next_birthday = _next_anniversary(birthdays["birthday"], today)
    soon = birthdays[next_birthday <= until]
    add(
        "birthday",
        clients.loc[soon.index],
        next_birthday.loc[soon.index],
        _turns(soon["birthday"], next_birthday.loc[soon.index], locale),
    )

    contacts = frames.contacts[frames.contacts["client_id"].isin(clients.index)]
    contact_birthday = _next_anniversary(contacts["birthday"], today)
    soon_contacts = contacts[contact_birthday <= until]
    turns = _turns(soon_contacts["birthday"], contact_birthday.loc[soon_contacts.index], locale)
    add(
        "contact_birthday",
        clients.loc[soon_contacts["client_id"]],
        contact_birthday.loc[soon_contacts.index],
        soon_contacts["name"].fillna("").str.cat(turns, sep=", ").str.strip(", "),
    )

    rhythm = clients[clients["rhythm_overdue"]]
    add(
        "rhythm",
        rhythm,
        rhythm["rhythm_due"],
        _format(
            schema.label("detail_rhythm", locale),
            days=rhythm["rhythm_days"].round().astype(int),
            last=rhythm["last_order"].dt.strftime("%d.%m.%Y"),
        ),
    )
    review = clients[clients["review"]]
    designation = review["designation"].map(
        lambda key: next((d.name(locale) for d in schema.DESIGNATIONS if d.key == key), "")
    )
    add(
        "review",
        review,
        review["last_contact"],
        _format(schema.label("detail_review", locale), designation=designation, days=review["days_silent"].astype(int)),
    )
    dead = clients[clients["reactivate"]]
    add(
        "reactivate",
        dead,
        dead["last_contact"],
        _format(schema.label("detail_silent", locale), days=dead["days_silent"].astype(int), orders=dead["orders"]),
    )

    items = pd.concat([p for p in parts if not p.empty] or [pd.DataFrame(columns=AGENDA_COLUMNS)], ignore_index=True)
    items["date"] = pd.to_datetime(items["date"]).astype("datetime64[ns]")  # a part of only NaT comes as object
    items["days"] = (items["date"] - today).dt.days
    items["order"] = items["task"].map({task: index for index, task in enumerate(TASKS)})
    items = items.sort_values(["manager", "order", "date", "client_id"], kind="stable")
    return Agenda(lifecycle.today, locale, horizon, items[list(AGENDA_COLUMNS)].reset_index(drop=True))


def agenda_sheet(agenda: Agenda, subtitle: str) -> ReportSheet:
    """The agenda report sheet, titled with ``subtitle``."""
    locale = agenda.locale

    def text(key: str) -> str:
        return schema.label(key, locale)

    task_names = {task: text("task_" + task) for task in TASKS}
    items = agenda.items
    # Dates as datetime.date (numpy makes them, None for NaT) and each column as plain Python values first:
    # going through the frame row by row costs pandas objects per cell.
    dates = items["date"].to_numpy(dtype="datetime64[D]").astype(object).tolist()
    days = [None if day != day else int(day) for day in items["days"].tolist()]
    rows = [
        [manager, task_names[task], date, day, client_id, client, company, phone, details]
        for manager, task, date, day, client_id, client, company, phone, details in zip(
            items["manager"].tolist(),
            items["task"].tolist(),
            dates,
            days,
            *(items[key].tolist() for key in ("client_id", "client", "company", "phone", "details")),
        )
    ]
    table = ReportTable(
        text("agenda_heading") if rows else text("no_tasks"),
        # Widths that print a manager's agenda on one landscape page at a readable scale: long texts wrap.
        [
            ReportColumn(text("manager"), ColumnFormat.LONG_TEXT, width=18),
            ReportColumn(text("task"), ColumnFormat.LONG_TEXT, width=25),
            ReportColumn(text("date"), ColumnFormat.DATE, width=11),
            ReportColumn(text("days_from_today"), ColumnFormat.INTEGER, width=9),
            ReportColumn(text("client_id"), width=10),
            ReportColumn(text("client"), ColumnFormat.LONG_TEXT, width=24),
            ReportColumn(text("company"), ColumnFormat.LONG_TEXT, width=24),
            ReportColumn(text("phone"), ColumnFormat.LONG_TEXT, width=18),
            ReportColumn(text("details"), ColumnFormat.LONG_TEXT, width=32),
        ],
        rows,
        autofilter=True,
        page_breaks=manager_starts(items["manager"].tolist()),
    )
    return ReportSheet.of(schema.AGENDA, locale, text("agenda_title"), subtitle, (table,))


def manager_starts(managers: list[str]) -> list[int]:
    """The indexes of the items where another manager's agenda starts (each is printed on pages of its own)."""
    return [index for index in range(1, len(managers)) if managers[index] != managers[index - 1]]


def agenda_calendar(agenda: Agenda) -> tuple[bytes, int]:
    """The planned contacts and birthdays as an iCalendar file of all-day events with a 9:00 reminder, and how many
    events it holds.

    Each event's UID is built from the client, the task, the date and the details, so a
    calendar that imports the file again updates its events instead of doubling them.
    """
    calendar = Calendar()
    calendar.add("prodid", ICS_PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", schema.label("agenda_title", agenda.locale))
    stamp = dt.datetime.combine(agenda.today, dt.time(), tzinfo=dt.timezone.utc)
    count = 0
    item: Any  # a row of AGENDA_COLUMNS; pandas-stubs gives its fields every scalar type at once
    for item in agenda.items.itertuples(index=False):
        if item.task not in CALENDAR_TASKS or pd.isna(item.date):
            continue
        day = item.date.date()
        # An overdue contact is still to be made: remind today, not on the day already passed.
        start = max(day, agenda.today) if item.task == "overdue" else day
        event = Event()
        who = item_text(item.company) or item_text(item.client) or item.client_id
        task = schema.label("task_" + item.task, agenda.locale)
        event.add("summary", t("{task}: {client}", task=task, client=who).render(agenda.locale))
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(days=1))
        event.add("dtstamp", stamp)
        # Two contact persons of one client may share a birthday: the details (their names) tell them apart.
        detail = zlib.crc32(item_text(item.details).encode("utf-8"))
        event.add("uid", f"{item.client_id}-{item.task}-{day.isoformat()}-{detail:08x}@xlcrm")
        description = [text for part in (item.details, item.phone, item.manager) if (text := item_text(part))]
        if description:
            event.add("description", "\n".join(description))
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event["summary"])
        alarm.add("trigger", REMINDER_AT)  # the all-day event starts at midnight: remind in the morning
        event.add_component(alarm)
        calendar.add_component(event)
        count += 1
    return calendar.to_ical(), count


def _next_anniversary(birthdays: pd.Series, today: pd.Timestamp) -> pd.Series:
    """The next birthday on or after today (29 February falls on the 28th in other years); NaT when unknown."""
    known = birthdays.dropna()
    result: pd.Series = pd.Series(pd.NaT, index=birthdays.index, dtype="datetime64[ns]")
    if known.empty:
        return result
    month, day = known.dt.month.to_numpy(), known.dt.day.to_numpy()
    this_year = _dates(today.year, month, day)
    next_year = _dates(today.year + 1, month, day)
    result.loc[known.index] = np.where(this_year >= today, this_year, next_year)
    return result


def _dates(year: int, month: np.ndarray, day: np.ndarray) -> pd.DatetimeIndex:
    leap_day = (month == 2) & (day == 29)
    is_leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    day = np.where(leap_day & (not is_leap), 28, day)
    dates: pd.DatetimeIndex = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}))
    return dates


def _turns(birthdays: pd.Series, anniversaries: pd.Series, locale: str) -> pd.Series:
    """``turns 45`` when the birth year looks real (people type 1900 for "year unknown")."""
    age = anniversaries.dt.year - birthdays.dt.year
    template = schema.label("detail_turns", locale)
    return pd.Series(
        [template.format(age=int(a)) if 0 < a < 120 and b.year > 1900 else "" for a, b in zip(age, birthdays)],
        index=birthdays.index,
        dtype=object,
    )


def _format(template: str, **columns: pd.Series) -> pd.Series:
    keys = list(columns)
    index = next(iter(columns.values())).index
    return pd.Series(
        [template.format(**dict(zip(keys, values))) for values in zip(*columns.values())], index=index, dtype=object
    )


def item_text(value: object) -> str:
    """Text of an item field; pandas keeps a missing text as NaN."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
