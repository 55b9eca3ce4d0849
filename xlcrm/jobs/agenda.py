"""``xlcrm agenda``: each manager's agenda from the workbook, optionally as an iCalendar file; the workbook is not
changed."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlcrm import schema
from xlcrm.errors import UsageError, WriteError, quoted
from xlcrm.jobs.opening import open_to_read
from xlcrm.lifecycle.analysis import analyse
from xlcrm.messages import t
from xlcrm.reports.agenda import Agenda, agenda_calendar, build_agenda
from xlcrm.xlsx.reader import read_workbook


@dataclass(frozen=True)
class AgendaResult:
    """The agenda ``workbook_agenda`` built, and the calendar file written, if any."""

    agenda: Agenda
    ics: Path | None  # the calendar file written
    events: int  # events in it

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {**self.agenda.to_dict(), "ics": str(self.ics) if self.ics else None, "events": self.events}


def workbook_agenda(
    path: str | Path,
    *,
    today: dt.date | None = None,
    manager: str | None = None,
    ics: Path | None = None,
    password: str | None = None,
) -> AgendaResult:
    """The agenda of the workbook at ``path`` for ``today`` (default: the real date), only ``manager``'s when given,
    written to the iCalendar file ``ics`` too when given. ``password`` opens a password-protected workbook."""
    return open_to_read(path, password, functools.partial(_agenda, today=today, manager=manager, ics=ics))


def _agenda(path: Path, *, today: dt.date | None, manager: str | None, ics: Path | None) -> AgendaResult:
    analysis = analyse(read_workbook(path), today or dt.date.today())
    agenda = build_agenda(analysis.frames, analysis.lifecycle)
    if manager is not None:
        names = (*analysis.settings.managers, *analysis.lifecycle.clients["manager"].dropna())
        known = {schema.fold(name): name for name in names}
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
    events = _write_calendar(agenda, ics) if ics is not None else 0
    return AgendaResult(agenda, ics, events)


def _write_calendar(agenda: Agenda, path: Path) -> int:
    """Write the agenda's iCalendar file to ``path``; returns how many events it holds."""
    calendar, events = agenda_calendar(agenda)
    try:
        path.write_bytes(calendar)
    except OSError as exc:
        raise WriteError(t("cannot write {path}: {reason}", path=path, reason=exc.strerror or str(exc))) from None
    return events
