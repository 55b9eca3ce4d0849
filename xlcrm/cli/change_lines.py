"""The terminal's line about what people changed since xlcrm last saved the workbook (see ``xlcrm.jobs.changes``)."""

from __future__ import annotations

from xlcrm.checks.changes import ADDED, CHANGED, COMPARED_SHEETS, DELETED, NO_SAVED_COPY, PROTECTED, ChangeLog
from xlcrm.errors import joined
from xlcrm.messages import t


def changes_line(log: ChangeLog, locale: str) -> str:
    """``Changes since the last save: Clients: added 1, changed 2, deleted 0``; sheet names in the workbook's
    language ``locale``."""
    if log.baseline == NO_SAVED_COPY:
        return str(t("No earlier save to compare with"))
    if log.baseline == PROTECTED:
        return str(t("Changes are not listed for a password-protected workbook"))
    counts = log.changes.counts()
    sheets = [
        t(
            "{sheet}: added {added}, changed {changed}, deleted {deleted}",
            sheet=spec.name(locale),
            added=counts[spec.key][ADDED],
            changed=counts[spec.key][CHANGED],
            deleted=counts[spec.key][DELETED],
        )
        for spec in COMPARED_SHEETS
        if any(counts[spec.key].values())
    ]
    if not sheets:
        return str(t("No changes since xlcrm last saved the workbook"))
    return str(t("Changes since the last save: {sheets}", sheets=joined(sheets, "; ")))
