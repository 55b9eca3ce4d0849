"""The agenda: what each manager should do, one row per client and day, the most urgent reason first.

Generators turn the lifecycle into a raw task frame (``TASK_COLUMNS``: one row per reason to act on a client,
with the day it is due); ``assemble_agenda`` turns that frame into the agenda a person can work through:

- only what is due: a follow-up appears once its day has come (a contract ending soon is due every day of its
  reminder, :mod:`xlcrm.reports.contract_tasks`); plans and greetings (``AHEAD_TASKS``) also
  ``birthday_days`` ahead, as upcoming;
- one row per client and action day: the action day of a task due today or overdue is today, of an upcoming one
  its due day; all the client's reasons for that day go into one cell, the most urgent first (``TASKS``);
- a reason more than ``stale_after_days`` past due is stale, except an overdue payment (``NEVER_STALE``). A row
  with at least one fresh reason is in the main part, its fresh reasons first; its due date is the earliest due of
  its fresh reasons, its days late ``today - due`` (0 when due today; blank for an upcoming row: it is not late, its
  due date says when), so a stale plan does not come up as 541 days late beside this week's reactivation. A row
  whose every reason is stale goes to a part of its own, below the rows to do now and the upcoming ones, instead of
  topping the list forever;
- rows equally urgent, late and due are ordered by the client's Rating, the highest first, a client without a
  Rating after the rated ones;
- reactivation candidates rotate: a manager gets ``reactivations_per_week`` of them per ISO week, due on that
  week's Monday. Each candidate has a fixed place on a circle (a hash of its ClientID); the week's window starts at
  frac(week * golden ratio) and takes the next candidates round the circle. The picks stay the same all week
  whatever is called (a pick called only lets the next one in), change from week to week, and the start comes
  round the whole circle, so the whole list comes round. A client who becomes a candidate mid-week waits for the
  next Monday;
- consent to process personal data (:mod:`xlcrm.reports.consent`) is asked for on a client's first row when the
  client is on the agenda for something else; a client who is not gets a row of its own once consent is due,
  unless Dead, and only ``CONSENT_ROWS_PER_MANAGER`` such rows per manager, the newest clients first;
- the sheet (and the calendar) shows at most ``agenda_limit`` rows per manager: the week's reactivation rows keep
  their room (at most ``reactivations_per_week``, never more than the limit), the rest goes to the rows to do now,
  then upcoming, then stale as far as room is left; a summary above says what is not shown. ``xlcrm agenda --all``
  and ``--json`` give every row.

``agenda_calendars`` turns each manager's rows on the sheet into an iCalendar file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from icalendar import Alarm, Calendar, Event

from xlcrm import schema
from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.frames import Frames
from xlcrm.messages import Message, t, tn
from xlcrm.reports.agenda_tasks import TASK_COLUMNS, follow_up_tasks, no_tasks
from xlcrm.reports.consent import CONSENT, consent_tasks
from xlcrm.reports.contract_tasks import CONTRACT_ENDS, CONTRACT_EXPIRED, contract_tasks
from xlcrm.reports.greetings import greeting_tasks
from xlcrm.reports.payment_tasks import PAYMENT_OVERDUE, payment_tasks
from xlcrm.xlsx.report_sheet import CellValue, ColumnFormat, ReportColumn, ReportSheet, ReportTable

# Task keys, the most urgent first. A plan is a promise the manager made to the client, so breaking it costs
# trust: it comes first. A Lost client who ordered again is a live client the workbook writes off. Then the
# clients closest to slipping away for good, in the order of the method's blocks: an agreement not yet turned into
# a first order, a client who bought once or twice and has not come back («самые опасные»), a new lead not yet
# called (it cools within days). Then the steady clients, overdue against their rhythm, and the VIP/Key reviews.
# An order not paid by the end of its payment term comes right after the Lost client who ordered: money the
# business is owed, and the longer it waits the less likely it comes. A contract that ended but is still marked
# Active follows: the client works without a contract, or the base is wrong. A contract ending soon is on the agenda
# every day of its ``contract_end_days``: it comes after the reviews, so that it does not push the day's other work
# off the sheet.
# Greetings are dated but small, and a silent client to revive is a long shot: they come last. Collecting consent
# is paperwork the manager does while in touch anyway (see ``_placed_consent``): it comes after everything.
TASKS = (
    "plan",
    "check_status",
    PAYMENT_OVERDUE,
    CONTRACT_EXPIRED,
    "first_order",
    "second_order",
    "first_contact",
    "reorder",
    "review",
    CONTRACT_ENDS,
    "birthday",
    "contact_birthday",
    "holiday",
    "reactivate",
    CONSENT,
)
URGENCY = {task: rank for rank, task in enumerate(TASKS)}
# Money owed grows no less urgent with age: an overdue payment is never moved to the long overdue part.
NEVER_STALE = frozenset({PAYMENT_OVERDUE})
# Tasks listed ahead of their day (within ``birthday_days``); the others only once due.
AHEAD_TASKS = frozenset({"plan", "birthday", "contact_birthday", "holiday"})
TASK_NAMES: dict[str, Message] = {
    "plan": t("Planned contact"),
    "check_status": t("Lost client ordered again — check the status"),
    "first_order": t("Turn the agreement into a first order"),
    "second_order": t("Win the second order"),
    "first_contact": t("First contact"),
    "reorder": t("Due to order again"),
    "review": t("VIP/Key client to review"),
    PAYMENT_OVERDUE: t("Payment overdue"),
    CONTRACT_EXPIRED: t("Contract expired but is still Active — renew or close it"),
    CONTRACT_ENDS: t("Contract ends soon"),
    "birthday": t("Birthday"),
    "contact_birthday": t("Birthday of a contact person"),
    "holiday": t("Holiday greeting"),
    "reactivate": t("Win back a silent client"),
    CONSENT: t("Collect consent to personal data"),
}
# Clients a manager gets a row of their own for, just to collect consent, per agenda: the rest wait until they are
# on the agenda for something else, so that a base with many clients without consent does not bury the day's work.
CONSENT_ROWS_PER_MANAGER = 3

# The parts of the agenda, in the order a manager works through them.
PARTS = ("now", "upcoming", "stale")
PART_NAMES: dict[str, Message] = {
    "now": t("To do now"),
    "upcoming": t("Coming up"),
    "stale": t("Long overdue"),
}

AGENDA_COLUMNS = (
    "manager",
    "part",
    "due",  # the earliest due of the row's fresh reasons (of them all when every one is stale)
    "days_late",  # today - due; NaN for an upcoming row
    "last_contact",
    "client_id",
    "client",
    "company",
    "phone",
    "tasks",  # the row's task keys, the most urgent first
    "details",  # each task's details (in the workbook's language; "" for none)
    "reasons",  # what to do: every reason, the most urgent first, in the workbook's language
    "shown",  # on the sheet (within the manager's agenda_limit)
)
ICS_PRODUCT = "-//xlcrm//agenda//EN"
REMINDER_AT = dt.timedelta(hours=9)  # after the start of the day of the event
REASON_SEPARATOR = "; "


@dataclass(frozen=True)
class Agenda:
    today: dt.date
    locale: str
    horizon_days: int
    limit: int  # rows per manager on the sheet
    stale_after_days: int
    items: pd.DataFrame  # AGENDA_COLUMNS, sorted by manager, part, urgency, days late

    def for_manager(self, manager: str) -> Agenda:
        """Only the items of ``manager`` (matched ignoring case and spaces)."""
        wanted = schema.fold(manager)
        mine = self.items[self.items["manager"].map(schema.fold) == wanted]
        return Agenda(
            self.today, self.locale, self.horizon_days, self.limit, self.stale_after_days, mine.reset_index(drop=True)
        )

    def on_sheet(self) -> pd.DataFrame:
        """The items the sheet and the calendars show: at most ``limit`` per manager."""
        shown: pd.DataFrame = self.items[self.items["shown"]].reset_index(drop=True)
        return shown

    def counts(self) -> pd.DataFrame:
        """Per manager (in agenda order): ``on_sheet``, ``not_shown`` and ``stale`` (shown or not) rows."""
        items = self.items
        grouped = items.groupby("manager", sort=False)
        counts = pd.DataFrame(
            {
                "on_sheet": grouped["shown"].sum(),
                "not_shown": grouped["shown"].size() - grouped["shown"].sum(),
                "stale": (items["part"] == "stale").groupby(items["manager"], sort=False).sum(),
            }
        )
        result: pd.DataFrame = counts.astype(int)
        return result

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it: every item, with its part and whether the
        sheet shows it."""
        items = []
        item: Any  # a row of AGENDA_COLUMNS; pandas-stubs gives its fields every scalar type at once
        for item in self.items.itertuples(index=False):
            record: dict[str, Any] = item._asdict()
            for key in ("due", "last_contact"):
                record[key] = None if pd.isna(record[key]) else record[key].date().isoformat()
            record["days_late"] = None if pd.isna(record["days_late"]) else int(record["days_late"])
            record["tasks"] = list(record["tasks"])
            record["details"] = [detail or None for detail in record["details"]]
            record["shown"] = bool(record["shown"])
            for key in ("client", "company", "phone", "reasons"):
                record[key] = item_text(record[key]) or None
            items.append(record)
        managers = [
            {"manager": manager, **{key: int(value) for key, value in row.items()}}
            for manager, row in self.counts().iterrows()
        ]
        return {
            "today": self.today.isoformat(),
            "horizon_days": self.horizon_days,
            "limit": self.limit,
            "stale_after_days": self.stale_after_days,
            "managers": managers,
            "items": items,
        }


def build_agenda(frames: Frames, lifecycle: Lifecycle) -> Agenda:
    """The agenda for ``frames``' clients at the date the lifecycle was computed for: whom to contact and why."""
    tasks = pd.concat(
        [
            follow_up_tasks(frames, lifecycle),
            contract_tasks(frames, lifecycle),
            payment_tasks(frames, lifecycle),
            greeting_tasks(frames, lifecycle),
            consent_tasks(frames, lifecycle),
        ],
        ignore_index=True,
    )
    return assemble_agenda(tasks, frames, lifecycle)


def assemble_agenda(tasks: pd.DataFrame, frames: Frames, lifecycle: Lifecycle) -> Agenda:
    """The agenda of the raw ``tasks`` (``TASK_COLUMNS``): one row per client and action day, see the module."""
    settings = lifecycle.settings
    locale = frames.locale
    today = pd.Timestamp(lifecycle.today)
    clients = lifecycle.clients
    tasks = pd.DataFrame({key: tasks[key].to_numpy() for key in TASK_COLUMNS}) if len(tasks) else no_tasks()
    # The index's hash lookup: ``isin`` of a str column boxes every ClientID of the index first.
    known = clients.index.get_indexer(pd.Index(tasks["client_id"])) >= 0
    tasks = tasks[known & tasks["task"].isin(URGENCY).to_numpy()].copy()
    tasks["due"] = pd.to_datetime(tasks["due"]).astype("datetime64[ns]").fillna(today).dt.normalize()
    tasks["details"] = tasks["details"].map(item_text)
    managers = clients["manager"].fillna(schema.label("no_manager", locale))
    tasks["manager"] = managers.reindex(tasks["client_id"]).to_numpy()
    consent = tasks[tasks["task"] == CONSENT].drop_duplicates("client_id")
    tasks = tasks[tasks["task"] != CONSENT]
    ahead = tasks["task"].isin(AHEAD_TASKS)
    until = today + pd.Timedelta(days=settings.birthday_days)
    tasks = tasks[(tasks["due"] <= today) | (ahead & (tasks["due"] <= until))]
    tasks = tasks.drop_duplicates(["client_id", "task", "due", "details"])
    tasks = _rotate_reactivations(tasks, today, settings.reactivations_per_week)
    tasks = pd.concat([tasks, _placed_consent(consent, tasks, today, lifecycle)])
    if tasks.empty:
        items = pd.DataFrame({key: pd.Series(dtype=object) for key in AGENDA_COLUMNS})
        items["due"] = items["last_contact"] = pd.Series(dtype="datetime64[ns]")
        items["days_late"] = pd.Series(dtype=float)
        items["shown"] = pd.Series(dtype=bool)
        return Agenda(
            lifecycle.today, locale, settings.birthday_days, settings.agenda_limit, settings.stale_after_days, items
        )

    tasks["urgency"] = tasks["task"].map(URGENCY)
    tasks["day"] = tasks["due"].where(tasks["due"] > today, today)
    # Stale per reason: a row's fresh reasons come first and give it its due date, urgency and part.
    tasks["stale"] = ((today - tasks["due"]).dt.days > settings.stale_after_days) & ~tasks["task"].isin(NEVER_STALE)
    tasks = tasks.sort_values(["client_id", "day", "stale", "urgency", "due", "details"], kind="stable")
    tasks["fresh_due"] = tasks["due"].where(~tasks["stale"])
    tasks["fresh_urgency"] = tasks["urgency"].where(~tasks["stale"])
    grouped = tasks.groupby(["client_id", "day"], sort=False)
    rows = grouped.agg(
        manager=("manager", "first"),
        due=("due", "min"),
        fresh_due=("fresh_due", "min"),
        urgency=("urgency", "min"),
        fresh_urgency=("fresh_urgency", "min"),
    ).reset_index()
    # Sorted by client and day, each row's tasks are a run of the frame: sliced out, not aggregated group by group.
    starts = _run_starts(tasks["client_id"].to_numpy(), tasks["day"].to_numpy())
    rows["tasks"] = _runs(tasks["task"], starts)
    rows["details"] = _runs(tasks["details"], starts)
    stale = rows["fresh_due"].isna()  # every reason stale
    rows["due"] = rows["fresh_due"].where(~stale, rows["due"])
    rows["urgency"] = rows["fresh_urgency"].where(~stale, rows["urgency"])
    rows["reasons"] = _reasons_texts(rows["tasks"], rows["details"], locale)

    rows["part"] = np.where(stale, "stale", np.where(rows["day"] > today, "upcoming", "now"))
    rows["days_late"] = (today - rows["due"]).dt.days.astype(float).where(rows["part"] != "upcoming")
    info = clients.reindex(rows["client_id"])
    for key, column in (("last_contact", "last_contact"), ("client", "name"), ("company", "company")):
        rows[key] = info[column].to_numpy()
    rows["phone"] = info["phone"].to_numpy()
    rows["part_order"] = rows["part"].map({part: index for index, part in enumerate(PARTS)})
    rows["folded"] = rows["manager"].map({manager: schema.fold(manager) for manager in rows["manager"].unique()})
    # Of items equally urgent and late, the client with the higher Rating comes first; one without a Rating last.
    rows["rating"] = info["rating"].fillna(-np.inf).to_numpy()
    rows = rows.sort_values(
        ["folded", "manager", "part_order", "urgency", "days_late", "due", "rating", "client_id"],
        ascending=[True, True, True, True, False, True, False, True],
        kind="stable",
    )
    rows["shown"] = _shown(rows, settings.agenda_limit, settings.reactivations_per_week)
    items = rows[list(AGENDA_COLUMNS)].reset_index(drop=True)
    return Agenda(
        lifecycle.today, locale, settings.birthday_days, settings.agenda_limit, settings.stale_after_days, items
    )


def reasons_text(tasks: tuple[str, ...], details: tuple[str, ...], language: str) -> str:
    """What to do, in one cell: each task named in ``language`` with its details, the most urgent first."""
    names = [TASK_NAMES[task].render(language) for task in tasks]
    return REASON_SEPARATOR.join(
        t("{task}: {details}", task=name, details=detail).render(language) if detail else name
        for name, detail in zip(names, details)
    )


def _reasons_texts(tasks: pd.Series, details: pd.Series, language: str) -> list[str]:
    """``reasons_text`` of each row's ``tasks`` and ``details``, rendered once per distinct pair: rows of clients in
    the same situation (a thousand silent 45 days) share one text."""
    pairs = list(zip(tasks, details))
    texts = {pair: reasons_text(*pair, language) for pair in dict.fromkeys(pairs)}
    return [texts[pair] for pair in pairs]


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """The positions where a run of equal ``keys`` (parallel arrays, sorted so that equal keys are adjacent)
    starts; 0 first."""
    changed = np.zeros(len(keys[0]), dtype=bool)
    changed[:1] = True
    for key in keys:
        changed[1:] |= key[1:] != key[:-1]
    starts: np.ndarray = np.flatnonzero(changed)
    return starts


def _runs(values: pd.Series, starts: np.ndarray) -> pd.Series:
    """The ``values`` of each run (from each of ``starts`` to the next) as a tuple, one per run."""
    items = values.tolist()
    ends = [*starts[1:].tolist(), len(items)]
    runs = [tuple(items[start:end]) for start, end in zip(starts.tolist(), ends)]
    return pd.Series(runs, dtype=object)


def week_number(day: dt.date) -> int:
    """Weeks since the first Monday of the calendar: consecutive ISO weeks get consecutive numbers, every day of a
    week the same one."""
    monday = day - dt.timedelta(days=day.weekday())
    return (monday.toordinal() - 1) // 7  # date(1, 1, 1) was a Monday


def _shown(rows: pd.DataFrame, limit: int, per_week: int) -> np.ndarray:
    """Which of the sorted ``rows`` the sheet shows: the week's reactivation rows of each manager (at most
    ``per_week`` and ``limit``) have their room kept, the rest of ``limit`` takes the other rows in agenda order
    (now, upcoming, then stale). Without the kept room the reactivations, the least urgent, would never be seen
    on a busy agenda while their rotation moves on."""
    limit = max(limit, 0)
    managers = rows["manager"]
    reviving = np.array(["reactivate" in keys for keys in rows["tasks"]], dtype=bool)
    rank = rows[reviving].groupby(managers[reviving], sort=False).cumcount().reindex(rows.index)
    kept = reviving & (rank < min(max(per_week, 0), limit)).to_numpy(dtype=bool)
    room = limit - pd.Series(kept, index=rows.index).groupby(managers, sort=False).transform("sum")
    others = rows[~kept].groupby(managers[~kept], sort=False).cumcount().reindex(rows.index)
    shown: np.ndarray = kept | (~kept & (others < room).to_numpy(dtype=bool))
    return shown


def _placed_consent(
    consent: pd.DataFrame, others: pd.DataFrame, today: pd.Timestamp, lifecycle: Lifecycle
) -> pd.DataFrame:
    """The consent tasks the agenda lists, given the clients' ``other`` tasks it lists.

    A client on the agenda for something else is asked for consent on its first row (the task takes the earliest
    due of the client's other tasks, so it joins that row, fresh or stale alike). A client on the agenda for
    nothing else gets a row of its own once its consent is due, unless it is Dead (not worked with): at most
    ``CONSENT_ROWS_PER_MANAGER`` per manager, the clients entered most recently first, who are in touch now.
    """
    first_due = others.groupby("client_id")["due"].min()
    position = first_due.index.get_indexer(pd.Index(consent["client_id"]))  # -1: no other task
    joined = position >= 0
    with_others = consent[joined].assign(due=first_due.to_numpy()[position[joined]])
    block = lifecycle.clients["block"].reindex(consent["client_id"]).to_numpy()
    alone = consent[~joined & (consent["due"] <= today).to_numpy() & (block != schema.DEAD.number)]
    alone = alone.sort_values(["manager", "due", "client_id"], ascending=[True, False, True], kind="stable")
    alone = alone[alone.groupby("manager", sort=False).cumcount() < CONSENT_ROWS_PER_MANAGER]
    placed: pd.DataFrame = pd.concat([with_others, alone])
    return placed


# The golden ratio's fraction: the week's window starts at frac(week * GOLDEN), a low-discrepancy sequence that
# comes round the whole circle of the candidates' hashes, never twice near the same place in a row.
GOLDEN = (5**0.5 - 1) / 2


def _place(client_id: str) -> float:
    """The client's fixed place on the circle [0, 1): its ClientID's BLAKE2 hash, the same on every run and computer.
    A checksum such as crc32 would not do: it is linear, so similar IDs (C01, C03, ...) bunch up on the circle."""
    digest = hashlib.blake2b(client_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _rotate_reactivations(tasks: pd.DataFrame, today: pd.Timestamp, per_week: int) -> pd.DataFrame:
    """Keep ``per_week`` reactivation tasks per manager, due on the week's Monday whatever the day of the run.

    Each candidate has a fixed place on a circle (``_place``, a hash of its ClientID). The
    week's window starts at frac(week * GOLDEN) and takes the next ``per_week`` candidates round the circle. The
    places do not depend on the other candidates, so the picks stay the same all week whatever is done: a pick
    called this week leaves the list (it is no longer silent) and only lets the next one in; calling a client
    outside the window changes nothing. A client who becomes a candidate after the week's Monday waits for the
    next Monday. Over the weeks the start comes round the whole circle, so every candidate is picked in turn.
    """
    is_reactivation = tasks["task"] == "reactivate"
    if not is_reactivation.any():
        return tasks
    monday = today - pd.Timedelta(days=today.weekday())
    candidates = tasks[is_reactivation & (tasks["due"] <= monday)].drop_duplicates("client_id")
    start = (week_number(today.date()) * GOLDEN) % 1.0
    place = np.array([_place(str(client)) for client in candidates["client_id"]], dtype=float)
    ahead = (place - start) % 1.0  # how far round the circle from the window's start
    order = candidates.assign(ahead=ahead).sort_values(["manager", "ahead", "client_id"], kind="stable")
    picked = order[order.groupby("manager", sort=False).cumcount() < max(per_week, 0)]
    picked = tasks.loc[picked.index].copy()
    picked["due"] = monday
    kept: pd.DataFrame = pd.concat([tasks[~is_reactivation], picked])
    return kept


# A manager's name of up to 19 characters (first name and surname) on one line, so the summary's rows stay one
# line high; «Давно просрочено» and «Дней просрочки» in column D without a word cut.
MANAGER_WIDTH = 22
COUNT_WIDTH = 14


def agenda_sheet(agenda: Agenda, subtitle: str) -> ReportSheet:
    """The agenda report sheet, titled with ``subtitle``: a summary per manager on a page of its own, then each
    manager's rows on the sheet on pages of their own."""
    locale = agenda.locale

    def text(message: Message) -> str:
        return message.render(locale)

    title = schema.label("agenda_title", locale)
    items = agenda.on_sheet()
    columns = [
        ReportColumn(schema.label("manager", locale), ColumnFormat.LONG_TEXT, width=MANAGER_WIDTH),
        ReportColumn(text(t("Part")), ColumnFormat.LONG_TEXT, width=13),
        ReportColumn(text(t("Due date")), ColumnFormat.DATE, width=11),
        ReportColumn(text(t("Days late")), ColumnFormat.INTEGER, width=COUNT_WIDTH),
        ReportColumn(text(t("Last contact")), ColumnFormat.DATE, width=12),
        ReportColumn(schema.label("client_id", locale), width=10),
        ReportColumn(schema.label("client", locale), ColumnFormat.LONG_TEXT, width=20),
        ReportColumn(schema.label("company", locale), ColumnFormat.LONG_TEXT, width=20),
        ReportColumn(schema.label("phone", locale), ColumnFormat.LONG_TEXT, width=16),
        ReportColumn(text(t("What to do")), ColumnFormat.LONG_TEXT, width=44),
    ]
    if agenda.items.empty:
        table = ReportTable(schema.label("no_tasks", locale), columns, [])
        return ReportSheet.of(schema.AGENDA, locale, title, subtitle, (table,))
    part_names = {part: text(message) for part, message in PART_NAMES.items()}
    # Dates as datetime.date (numpy makes them, None for NaT) and each column as plain Python values first:
    # going through the frame row by row costs pandas objects per cell.
    dues = items["due"].to_numpy(dtype="datetime64[D]").astype(object).tolist()
    contacts = items["last_contact"].to_numpy(dtype="datetime64[D]").astype(object).tolist()
    late = [None if days != days else int(days) for days in items["days_late"].tolist()]
    rows = [
        [manager, part_names[part], due, days, contact, client_id, client, company, phone, reasons]
        for manager, part, due, days, contact, client_id, client, company, phone, reasons in zip(
            items["manager"].tolist(),
            items["part"].tolist(),
            dues,
            late,
            contacts,
            *(items[key].tolist() for key in ("client_id", "client", "company", "phone", "reasons")),
        )
    ]
    counts = agenda.counts()
    summary_rows: list[list[CellValue]] = [
        [str(manager), int(row["on_sheet"]), int(row["not_shown"]), int(row["stale"])]
        for manager, row in counts.iterrows()
    ]
    summary = ReportTable(
        text(t("Rows per manager: the sheet shows at most {limit} each, the most urgent first", limit=agenda.limit)),
        [
            ReportColumn(schema.label("manager", locale), ColumnFormat.LONG_TEXT, width=MANAGER_WIDTH),
            ReportColumn(text(t("On the sheet")), ColumnFormat.INTEGER, width=13),
            ReportColumn(text(t("Not shown")), ColumnFormat.INTEGER, width=11),
            ReportColumn(text(t("Long overdue")), ColumnFormat.INTEGER, width=COUNT_WIDTH),
        ],
        summary_rows,
        page_breaks=[len(summary_rows)],  # the summary prints on a page of its own, each manager on the next ones
    )
    table = ReportTable(
        text(
            t(
                "What to do, by manager: one row per client and day; long overdue: more than {days} days late",
                days=agenda.stale_after_days,
            )
        ),
        # Widths that print a manager's agenda on one landscape page at a readable scale: long texts wrap.
        columns,
        rows,
        autofilter=True,
        page_breaks=manager_starts(items["manager"].tolist()),
    )
    return ReportSheet.of(schema.AGENDA, locale, title, subtitle, (summary, table), main_table=1)


def manager_starts(managers: list[str]) -> list[int]:
    """The indexes of the items where another manager's agenda starts (each is printed on pages of its own)."""
    return [index for index in range(1, len(managers)) if managers[index] != managers[index - 1]]


# Characters Windows refuses in a file name, and its reserved device names.
_UNSAFE_IN_FILE_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED_FILE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}
)


def calendar_file_name(manager: str) -> str:
    """``Anna Petrova.ics``: a file name from the manager's name that Windows accepts."""
    name = _UNSAFE_IN_FILE_NAME.sub("_", " ".join(manager.split())).rstrip(". ")[:100] or "agenda"
    if name.split(".")[0].casefold() in _RESERVED_FILE_NAMES:
        name = "_" + name
    return name + ".ics"


def calendar_file_names(managers: list[str]) -> dict[str, str]:
    """A file name per manager, distinct even where Windows would take two names for one (case, or a character
    made safe). Names are handed out in a stable order (by name, ignoring case) whatever order ``managers`` come in
    (the result keeps theirs): given every manager the workbook knows, not only those with rows today, a manager's
    file keeps its name from one run to the next and with ``--manager``."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for manager in sorted(set(managers), key=lambda name: (schema.fold(name), name)):
        name = calendar_file_name(manager)
        stem, number = name.removesuffix(".ics"), 2
        while name.casefold() in taken:
            name, number = f"{stem}-{number}.ics", number + 1
        taken.add(name.casefold())
        names[manager] = name
    return {manager: names[manager] for manager in managers}


def agenda_calendars(agenda: Agenda, managers: Iterable[str] = ()) -> dict[str, tuple[bytes, int]]:
    """Each manager's rows on the sheet as an iCalendar file of all-day events, and how many events it holds: one
    for every manager in ``managers`` (an empty calendar for one with no rows, so that a calendar written the day
    before loses its events) and for every other manager with rows; managers matched ignoring case and spaces.

    An upcoming row is an event on its due date; a row due today or overdue (stale included) an event today: it
    is still to do. Each day gets a single reminder at 9:00, on its first (most urgent) event, saying how many
    tasks the day holds. An event's UID names the client and, for an upcoming row, its day; the client's row to do
    now (one per client) has the UID ``agenda-<ClientID>-open``, whatever its reasons and their due dates: a
    calendar that imports the file again the next day moves the event to the new day instead of doubling it.
    """
    everyone: dict[str, str] = {}
    for manager in [*managers, *agenda.items["manager"].astype(str)]:
        everyone.setdefault(schema.fold(manager), manager)
    return {
        manager: manager_calendar(agenda.for_manager(manager), manager)
        for manager in sorted(everyone.values(), key=lambda name: (schema.fold(name), name))
    }


def manager_calendar(agenda: Agenda, manager: str) -> tuple[bytes, int]:
    """The calendar of every row on the sheet of ``agenda`` (one manager's, see ``Agenda.for_manager``), named for
    ``manager``; it may hold no event."""
    return _calendar(agenda, manager, agenda.on_sheet())


def calendar_uid(client_id: str, part: str, due: dt.date) -> str:
    """The UID of a row's event: the client's row to do now keeps one UID from day to day (its due date moves as
    reasons come and go); an upcoming row is the client's row of its day."""
    when = due.isoformat() if part == "upcoming" else "open"
    return f"agenda-{client_id}-{when}@xlcrm"


def _calendar(agenda: Agenda, manager: str, rows: pd.DataFrame) -> tuple[bytes, int]:
    locale = agenda.locale
    calendar = Calendar()
    calendar.add("prodid", ICS_PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{schema.label('agenda_title', locale)} — {manager}")
    stamp = dt.datetime.combine(agenda.today, dt.time(), tzinfo=dt.timezone.utc)
    starts = [max(due.date(), agenda.today) for due in rows["due"]]
    per_day: dict[dt.date, int] = {}
    for start in starts:
        per_day[start] = per_day.get(start, 0) + 1
    reminded: set[dt.date] = set()
    item: Any  # a row of AGENDA_COLUMNS; pandas-stubs gives its fields every scalar type at once
    for item, start in zip(rows.itertuples(index=False), starts):
        event = Event()
        who = item_text(item.company) or item_text(item.client) or item.client_id
        task = TASK_NAMES[item.tasks[0]].render(locale)
        event.add("summary", t("{task}: {client}", task=task, client=who).render(locale))
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(days=1))
        event.add("dtstamp", stamp)
        event.add("uid", calendar_uid(item.client_id, item.part, item.due.date()))
        description = [text for part in (item.reasons, item.phone, item.manager) if (text := item_text(part))]
        event.add("description", "\n".join(description))
        if start not in reminded:
            reminded.add(start)
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            count = per_day[start]
            alarm.add(
                "description", tn("{count} task on the agenda", "{count} tasks on the agenda", count).render(locale)
            )
            alarm.add("trigger", REMINDER_AT)  # the all-day event starts at midnight: remind in the morning
            event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical(), len(starts)


def item_text(value: object) -> str:
    """Text of an item field; pandas keeps a missing text as NaN."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
