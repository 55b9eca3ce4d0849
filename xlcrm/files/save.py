"""One read, one safe save: what every command that changes the workbook calls at its end."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from xlcrm.checks.changes import SheetFingerprint
from xlcrm.files.safe_save import SaveOptions, SaveResult, replace_workbook
from xlcrm.messages import t
from xlcrm.runtime import progress
from xlcrm.xlsx.package import write_workbook
from xlcrm.xlsx.prerender import EditPrewriting
from xlcrm.xlsx.reader import WorkbookData, finish_reading
from xlcrm.xlsx.report_sheet import ReportSheet
from xlcrm.xlsx.sheet_copy import SheetCopy
from xlcrm.xlsx.sheet_edits import SheetEdit


@progress.step(t("saving the workbook"))
def save_changes(
    data: WorkbookData,
    *,
    reports: Sequence[ReportSheet] = (),
    edits: Sequence[SheetEdit] = (),
    remove: Sequence[str] = (),
    save: SaveOptions = SaveOptions(),
    prewritten: EditPrewriting | None = None,
    anonymised: bool = False,
    keep_saved_copy: bool = True,
    erased: re.Pattern[str] | None = None,
    copies: Sequence[SheetCopy] = (),
    fingerprints: Mapping[str, SheetFingerprint] | None = None,
) -> SaveResult:
    """Write report sheets and user-sheet edits into the workbook ``data`` was read from, safely.

    Refuses when the file changed since it was read (``data.stamp``) or is open elsewhere, unless ``save`` says to write
    anyway; the new file must still hold every sheet except the removed ones, plus the reports. Edits in
    ``prewritten`` are taken from there (see ``xlcrm.xlsx.prerender``). ``anonymised``: the new file keeps nothing
    its cells no longer show (see ``write_workbook``; with ``erased``, only what shows one of its matches among
    notes, chart caches and document properties). ``keep_saved_copy``: keep a copy of the new version to compare the
    next run with (see ``xlcrm.files.saved_copy``), with ``fingerprints`` of the user sheets as read beside it.
    ``copies``: sheets of other workbooks added as new sheets (see ``xlcrm.xlsx.sheet_copy``), which the new file
    must hold too."""
    finish_reading(data)  # a sheet still being read may yet turn out damaged: nothing is written before it is read
    path = data.path
    removed = {name.casefold() for name in remove}
    kept = [name for name in data.sheet_names if name.casefold() not in removed]
    known = {name.casefold() for name in kept}
    expected = kept + [report.name for report in reports if report.name.casefold() not in known]
    expected += [copied.name for copied in copies]
    return replace_workbook(
        path,
        lambda temp: write_workbook(
            path,
            temp,
            reports=reports,
            edits=edits,
            remove=remove,
            prewritten=prewritten,
            anonymised=anonymised,
            erased=erased,
            copies=copies,
        ),
        stamp=data.stamp,
        output=save.output,
        ignore_lock=save.ignore_lock,
        keep_backups=save.keep_backups,
        expected_sheets=expected,
        keep_saved_copy=keep_saved_copy,
        fingerprints=fingerprints,
    )
