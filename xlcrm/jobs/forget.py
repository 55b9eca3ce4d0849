"""``xlcrm forget``: erase clients' personal data from the workbook and, when asked, from its backups.

The erasure itself is :mod:`xlcrm.privacy.erase`'s. This job reads the workbook, searches every backup of it in
``.xlcrm-backups`` (the timestamped ones and any other ``<stem>.*`` copy there), and saves the workbook erased:
``anonymised`` (no shared string, formula result, note or chart cache keeps an erased value) and with no backup of
the version before (``keep_backups=0`` makes none and deletes none). Report sheets of refresh that still showed a
value are rebuilt from the erased data for ``today``, as refresh would; any other report sheet that showed one is
removed. The erasure is recorded on ``▸ Erasure log`` without personal data. The saved workbook is then searched
again, part by part (:mod:`xlcrm.privacy.traces`): whatever is still found is reported, never hidden.

Backups holding the data are listed without ``include_backups`` (the copy of the workbook as xlcrm last saved it,
``<stem>.last-saved.xlsx``, is erased all the same: it is xlcrm's memory, not a backup); with it each is erased the
same way in place (same name, no backup of it), searched again, and deleted when it cannot be read, rewritten or
cleaned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcrm import schema
from xlcrm.errors import UsageError, XlcrmError, error_text
from xlcrm.files.safe_save import BACKUP_FOLDER, SaveOptions, SaveResult, holding_workbook_lock
from xlcrm.files.save import save_changes
from xlcrm.files.saved_copy import remove_row_fingerprints
from xlcrm.jobs.as_saved import as_saved, deleted_rows
from xlcrm.jobs.opening import open_to_change, open_to_read
from xlcrm.lifecycle.analysis import analyse
from xlcrm.lifecycle.segments import segments_of
from xlcrm.messages import Text, t
from xlcrm.messages.as_json import JsonFields
from xlcrm.privacy.erase import Erasure, ErasureEntry, Place, erasure_log_sheet, plan_erasure
from xlcrm.privacy.traces import Matcher, PersonValues, Trace, combined_pattern, package_traces
from xlcrm.reports.agenda import build_agenda
from xlcrm.reports.sheets import build_reports
from xlcrm.runtime.paths import TEMP_PREFIX
from xlcrm.xlsx.reader import WorkbookData, read_workbook
from xlcrm.xlsx.report_sheet import ReportSheet

# The name of the copy of the workbook as xlcrm last saved it, beside its backups: ``<stem>.last-saved.xlsx``.
LAST_SAVED = ".last-saved"
# What happened to a backup that held the data.
HOLDS = "holds"  # left as it is (no --include-backups, or a dry run)
REWRITTEN = "rewritten"  # erased in place and found clean
DELETED = "deleted"  # could not be read, rewritten or cleaned: removed


@dataclass(frozen=True)
class BackupErasure(JsonFields):
    """A backup of the workbook that held the data, and what was done to it."""

    path: Path
    action: str  # HOLDS, REWRITTEN or DELETED
    traces: tuple[Trace, ...] = ()  # where it held the data (before it was rewritten)
    problem: Text | None = None  # why it was deleted, or could not be searched


@dataclass
class ForgetResult:
    """What ``forget_clients`` erased (on a dry run: would erase), and what still holds the data."""

    path: Path
    locale: str
    dry_run: bool
    include_backups: bool
    client_ids: list[str]  # erased now
    already_erased: list[str]  # erased before: nothing left to do in the workbook
    places: list[Place] = field(default_factory=list)
    # (ClientID, another client's ClientID) per value the two share: kept, as that client's data too.
    shared: list[tuple[str, str]] = field(default_factory=list)
    rebuilt_reports: list[str] = field(default_factory=list)
    removed_reports: list[str] = field(default_factory=list)
    left: list[Trace] = field(default_factory=list)  # parts of the saved workbook that still hold a value
    backups: list[BackupErasure] = field(default_factory=list)
    save: SaveResult | None = None

    @property
    def backups_holding(self) -> list[BackupErasure]:
        """The backups that still hold the data."""
        return [backup for backup in self.backups if backup.action == HOLDS]

    @property
    def complete(self) -> bool:
        """Whether no trace of the data is left, in the workbook or a backup (a dry run is never complete)."""
        return not self.dry_run and not self.left and not self.backups_holding

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {
            "path": str(self.path),
            "dry_run": self.dry_run,
            "include_backups": self.include_backups,
            "client_ids": self.client_ids,
            "already_erased": self.already_erased,
            "places": [place.to_dict() for place in self.places],
            "shared": [{"client_id": mine, "also_of": other} for mine, other in self.shared],
            "rebuilt_reports": self.rebuilt_reports,
            "removed_reports": self.removed_reports,
            "still_found": [trace.to_dict() for trace in self.left],
            "backups": [backup.to_dict() for backup in self.backups],
            "complete": self.complete,
            "save": self.save.to_dict() if self.save else None,
        }


def forget_clients(
    path: str | Path,
    client_ids: Sequence[str],
    *,
    reason: str = "",
    include_backups: bool = False,
    dry_run: bool = False,
    today: dt.date | None = None,
    save: SaveOptions = SaveOptions(),
    password: str | None = None,
) -> ForgetResult:
    """Erase the personal data of the clients ``client_ids`` from the workbook at ``path`` (see the module's
    docstring) and record it with ``reason`` on the Erasure log; with ``include_backups`` from its backups too.
    Returns every place found and what still holds the data. ``dry_run`` writes nothing; ``today`` (default: the
    real date) dates the erasure and the rebuilt reports; ``password`` opens a password-protected workbook (and
    its backups). An unknown ClientID raises ``ClientNotFound`` and nothing is written."""
    if not client_ids:
        raise UsageError(t("name at least one ClientID to forget"))
    workbook = Path(path)
    # No backup of the version that still holds the data.
    no_backup = dataclasses.replace(save, keep_backups=0)
    job = functools.partial(
        _forget,
        workbook=workbook,
        client_ids=list(client_ids),
        reason=reason,
        include_backups=include_backups,
        dry_run=dry_run,
        today=today or dt.date.today(),
        password=password,
    )
    return open_to_change(workbook, password, no_backup, job, dry_run=dry_run)


@holding_workbook_lock("path")
def _forget(
    path: Path,
    save: SaveOptions,
    *,
    workbook: Path,
    client_ids: list[str],
    reason: str,
    include_backups: bool,
    dry_run: bool,
    today: dt.date,
    password: str | None,
) -> ForgetResult:
    data = read_workbook(path)
    erasure = plan_erasure(data, client_ids)
    found = [backup for copy in backups_of(workbook) if (backup := _search_backup(copy, erasure, password))]
    result = ForgetResult(
        workbook, data.locale, dry_run, include_backups, erasure.client_ids, erasure.already_erased, erasure.places
    )
    result.shared = erasure.shared
    result.backups = found
    matcher = Matcher(erasure.people)
    # Notes, comments, chart caches and document properties that show a value: emptied by the save.
    other_parts = [trace for trace in package_traces(path, matcher) if not _is_cells_part(trace.part)]
    result.places += [Place(trace.part, "", t("emptied where it shows the data")) for trace in other_parts]
    erasing = [backup for backup in found if include_backups or is_last_saved(backup.path, workbook)]
    if dry_run or not (erasure.changes or other_parts or erasing):
        return result
    reports, removed = _reports_showing(data, erasure, today)
    result.rebuilt_reports = [report.name for report in reports]
    result.removed_reports = removed
    logged = ", ".join([*erasure.client_ids, *erasure.already_erased])  # as Clients writes them
    entry = ErasureEntry(logged, today, reason, len(erasure.places), len(erasing))
    result.save = save_changes(
        data,
        reports=[*erasure.reports, *reports, erasure_log_sheet(data, [entry])],
        edits=erasure.edits,
        remove=removed,
        save=dataclasses.replace(save, keep_backups=0),
        anonymised=True,
        erased=combined_pattern(erasure.people),
    )
    result.left = package_traces(result.save.path, matcher) if _is_zip(result.save.path) else []
    result.backups = [
        _erase_backup(backup, everyone(erasure), erasure.people, password) if backup in erasing else backup
        for backup in found
    ]
    remove_row_fingerprints(workbook)  # made from the values as they were before the erasure
    return result


def backups_of(workbook: Path) -> list[Path]:
    """Every file of ``workbook``'s in the backup folder beside it (``<stem>.*<suffix>``), oldest name first."""
    folder = workbook.parent / BACKUP_FOLDER
    if not folder.is_dir():
        return []
    pattern = re.compile(re.escape(workbook.stem) + r"\..+" + re.escape(workbook.suffix), re.IGNORECASE)
    return sorted(
        entry
        for entry in folder.iterdir()
        if entry.is_file() and pattern.fullmatch(entry.name) and not entry.name.startswith(TEMP_PREFIX)
    )


def _search_backup(copy: Path, erasure: Erasure, password: str | None) -> BackupErasure | None:
    """The backup ``copy`` when it holds any of the data (or cannot be searched), with where; else None."""
    try:
        traces = open_to_read(copy, password, lambda work: _traces_in(work, erasure))
    except (XlcrmError, OSError, zipfile.BadZipFile) as exc:
        return BackupErasure(copy, HOLDS, problem=_reason(exc))
    return BackupErasure(copy, HOLDS, tuple(traces)) if traces else None


def _traces_in(work: Path, erasure: Erasure) -> list[Trace]:
    """Where the file ``work`` holds the values of the people of ``erasure`` or of its own rows of them."""
    people = plan_erasure(read_workbook(work), everyone(erasure), known=erasure.people, require_known=False).people
    return package_traces(work, Matcher(people))


def is_last_saved(path: Path, workbook: Path) -> bool:
    """Whether ``path`` is the copy of the workbook as xlcrm last saved it, which the next refresh compares the
    workbook with: erased even without ``include_backups``, or the old values would show again on ▸ Changes."""
    return path.name.casefold() == f"{workbook.stem}{LAST_SAVED}{workbook.suffix}".casefold()


def everyone(erasure: Erasure) -> list[str]:
    """The clients to erase from a backup: those asked for, and those the Merge log says were merged into them."""
    return [*erasure.client_ids, *erasure.already_erased, *erasure.merged_ids]


def _erase_backup(
    backup: BackupErasure, client_ids: list[str], known: list[PersonValues], password: str | None
) -> BackupErasure:
    """``backup`` erased in place and searched again; deleted when that fails or leaves a trace."""
    try:
        left = open_to_change(
            backup.path,
            password,
            SaveOptions(ignore_lock=True, keep_backups=0),
            functools.partial(_erase_copy, client_ids=client_ids, known=known),
        )
        if not left:
            return dataclasses.replace(backup, action=REWRITTEN)
        problem: Text = t("still held the data after erasure, in {parts}", parts=[trace.part for trace in left])
    except (XlcrmError, OSError, zipfile.BadZipFile) as exc:
        problem = _reason(exc)
    backup.path.unlink(missing_ok=True)
    return dataclasses.replace(backup, action=DELETED, problem=problem)


def _erase_copy(work: Path, save: SaveOptions, *, client_ids: list[str], known: list[PersonValues]) -> list[Trace]:
    """Erase the clients from the backup at ``work`` in place; returns the traces left in it. Its report sheets
    that still show a value are removed (a refresh after a restore rebuilds them)."""
    data = read_workbook(work)
    erasure = plan_erasure(data, client_ids, known=known, require_known=False)
    matcher = Matcher(erasure.people)
    if erasure.changes or package_traces(work, matcher):
        save_changes(
            data,
            reports=erasure.reports,
            edits=erasure.edits,
            remove=erasure.showing_reports,
            save=SaveOptions(ignore_lock=save.ignore_lock, keep_backups=0),
            anonymised=True,
            erased=combined_pattern(erasure.people),
            keep_saved_copy=False,  # a backup is not a workbook anyone edits: no copy of it to compare with
        )
    return package_traces(work, matcher)


def _reports_showing(data: WorkbookData, erasure: Erasure, today: dt.date) -> tuple[list[ReportSheet], list[str]]:
    """The refresh reports among those still showing a value, rebuilt from the erased data for ``today``, and the
    other such report sheets, to remove."""
    showing = {schema.fold(name): name for name in erasure.showing_reports}
    if not showing:
        return [], []
    try:
        known = {sheet.name.casefold() for sheet in data.sheets.values()}
        edits = [edit for edit in erasure.edits if edit.sheet.casefold() in known]  # not the user's own sheets
        analysis = analyse(as_saved(data, edits, deleted_rows(edits)), today)
        agenda = build_agenda(analysis.frames, analysis.lifecycle)
        segments = segments_of(analysis.data, analysis.lifecycle)
        built = build_reports(
            analysis.frames, analysis.lifecycle, agenda, analysis.report.findings, erasure.history, segments
        ).sheets
    except XlcrmError:
        built = []  # a workbook refresh cannot report on: its old reports go, refresh says why
    rebuilt = [sheet for sheet in built if schema.fold(sheet.name) in showing]
    kept = {schema.fold(sheet.name) for sheet in rebuilt}
    return rebuilt, [name for folded, name in showing.items() if folded not in kept]


def _is_cells_part(part: str) -> bool:
    """Whether a part of the package holds cells (a worksheet, the shared strings), which the erasure edits."""
    return part.startswith("xl/worksheets/") or part == "xl/sharedStrings.xml"


def _is_zip(path: Path) -> bool:
    return zipfile.is_zipfile(path)


def _reason(exc: BaseException) -> Text:
    return error_text(exc) if isinstance(exc, XlcrmError) else str(exc)
