"""``xlcrm agenda``: each manager's agenda from the workbook, optionally as iCalendar files; the workbook is not
changed.

``ics`` names where the calendars go: without a manager, a folder (made when missing) that gets one file per
manager the workbook knows (Settings' list and the Clients' managers; an empty calendar for a manager with nothing
to do, so that yesterday's file loses yesterday's events), named after the manager; with a manager, that manager's
file, or a folder to put it in under the same name. The names come from every known manager, not only those with
rows today, so a manager's file keeps its name.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlcrm import schema
from xlcrm.checks.findings import Code, Finding
from xlcrm.errors import UsageError, WriteError, quoted
from xlcrm.jobs.opening import open_to_read
from xlcrm.lifecycle.analysis import Analysis, analyse
from xlcrm.messages import t
from xlcrm.reports.agenda import Agenda, agenda_calendars, build_agenda, calendar_file_names, manager_calendar
from xlcrm.xlsx.reader import read_workbook


@dataclass(frozen=True)
class CalendarFile:
    """One manager's calendar written: where, and how many events it holds."""

    manager: str
    path: Path
    events: int


@dataclass(frozen=True)
class AgendaResult:
    """The agenda ``workbook_agenda`` built, the calendar files written, if any, and the workbook's settings that
    could not be used (``bad-setting`` findings: the agenda used their defaults, or left out a holiday row)."""

    agenda: Agenda
    calendars: tuple[CalendarFile, ...] = ()
    bad_settings: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        calendars = [{"manager": c.manager, "path": str(c.path), "events": c.events} for c in self.calendars]
        bad_settings = [finding.to_dict() for finding in self.bad_settings]
        return {**self.agenda.to_dict(), "calendars": calendars, "bad_settings": bad_settings}


def workbook_agenda(
    path: str | Path,
    *,
    today: dt.date | None = None,
    manager: str | None = None,
    ics: Path | None = None,
    password: str | None = None,
) -> AgendaResult:
    """The agenda of the workbook at ``path`` for ``today`` (default: the real date), only ``manager``'s when given;
    its rows on the sheet written as iCalendar files to ``ics`` too when given: a folder with one file per manager,
    or with ``manager`` that manager's file (or a folder for it). ``password`` opens a password-protected workbook.
    """
    return open_to_read(path, password, functools.partial(_agenda, today=today, manager=manager, ics=ics))


def _agenda(path: Path, *, today: dt.date | None, manager: str | None, ics: Path | None) -> AgendaResult:
    if ics is not None and manager is None:
        _check_folder(ics)
    analysis = analyse(read_workbook(path), today or dt.date.today())
    agenda = build_agenda(analysis.frames, analysis.lifecycle)
    bad_settings = tuple(f for f in analysis.report.findings if f.code is Code.BAD_SETTING)
    known = known_managers(analysis)
    name = None
    if manager is not None:
        if schema.fold(manager) not in known:
            # A typo would otherwise look like an empty agenda.
            raise UsageError(
                t(
                    "no manager named {manager} in the workbook; managers: {managers}",
                    manager=quoted(manager),
                    managers=sorted(known.values(), key=schema.fold),
                )
            )
        agenda = agenda.for_manager(manager)
        name = known[schema.fold(manager)]
    if ics is None:
        return AgendaResult(agenda, bad_settings=bad_settings)
    everyone = list(known.values())
    if analysis.lifecycle.clients["manager"].isna().any():
        everyone.append(schema.label("no_manager", agenda.locale))  # the agenda's rows of clients without one
    return AgendaResult(agenda, _write_calendars(agenda, ics, name, everyone), bad_settings)


def known_managers(analysis: Analysis) -> dict[str, str]:
    """Every manager the workbook names, on Settings' list or on Clients, by their folded names (a Clients
    spelling over the list's)."""
    names = (*analysis.settings.managers, *analysis.lifecycle.clients["manager"].dropna())
    return {schema.fold(name): str(name) for name in names}


def _check_folder(path: Path) -> None:
    """Without a manager, ``--ics`` names a folder: a file there, or a name ending in .ics, is a mistake."""
    if path.exists() and not path.is_dir() or not path.exists() and path.suffix.casefold() == ".ics":
        raise UsageError(
            t(
                "--ics {path}: without --manager the agenda writes one calendar per manager into a folder; "
                "give a folder, or add --manager to write one manager's file",
                path=quoted(path),
            )
        )


def _write_calendars(agenda: Agenda, path: Path, manager: str | None, everyone: list[str]) -> tuple[CalendarFile, ...]:
    if manager is not None:
        data, events = manager_calendar(agenda, manager)
        target = path / calendar_file_names([*everyone, manager])[manager] if path.is_dir() else path
        _write(target, data)
        return (CalendarFile(manager, target, events),)
    try:
        path.mkdir(exist_ok=True)
    except OSError as exc:
        raise WriteError(t("cannot write {path}: {reason}", path=path, reason=exc.strerror or str(exc))) from None
    calendars = agenda_calendars(agenda, everyone)
    names = calendar_file_names([*everyone, *calendars])
    written = []
    for who, (data, events) in calendars.items():
        _write(path / names[who], data)
        written.append(CalendarFile(who, path / names[who], events))
    return tuple(written)


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise WriteError(t("cannot write {path}: {reason}", path=path, reason=exc.strerror or str(exc))) from None
