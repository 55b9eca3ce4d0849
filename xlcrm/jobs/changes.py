"""What people changed since xlcrm last saved the workbook, and the stop when rows vanished.

Every job that saves changes to the user sheets (refresh, dedupe, unmerge, import) compares the workbook it read
before it writes anything, through a ``ChangeCheck``: begun right after reading and finished before the save (a
refresh finishes it in steps, while the big sheets are still being read). It compares the workbook with the copy of
the version xlcrm saved last (``xlcrm.files.saved_copy``): when the bytes are the same nothing changed and the copy
is not even read. When more than the Setting ``deletion_stop_percent`` of the saved Clients rows, or any
Interactions or Contracts row, is gone, the job stops before writing anything (``DeletionsFound``) and says how to
bring the rows back with ``xlcrm restore`` or to go on with ``--accept-deletions``: xlcrm never quietly works on,
and saves, a base a person cut down by mistake.

A workbook with no saved copy (the first run, a workbook copied or moved, one saved only by LibreOffice since it
was made) is simply not compared.
"""

from __future__ import annotations

import datetime as dt
import shlex
import zipfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from xlcrm import schema
from xlcrm.checks.changes import (
    COMPARED,
    COMPARED_SHEETS,
    NO_SAVED_COPY,
    PROTECTED,
    SAME_FILE,
    ChangeLog,
    RowChange,
    RowHashes,
    RowsSince,
    SheetComparison,
    SheetFingerprint,
    changes_of,
    changes_since,
    fingerprint,
    no_changes,
    only_added,
    rows_since,
    sheet_changes,
)
from xlcrm.checks.normalize import as_text
from xlcrm.checks.settings import read_settings
from xlcrm.errors import DeletionsFound, XlcrmError, joined
from xlcrm.files.saved_copy import kept_fingerprints, saved_copy_path
from xlcrm.messages import Message, Text, t, tn
from xlcrm.runtime.paths import TEMP_PREFIX
from xlcrm.xlsx.reader import (
    BACKGROUND_SHEETS,
    FileStamp,
    WorkbookData,
    read_rows_apart,
    read_workbook,
    still_being_read,
    workbook_locale,
)
from xlcrm.xlsx.refs import row_runs
from xlcrm.xlsx.sources import cell_formats_counted, sheet_sources
from xlcrm.xlsx.xml_io import local_name, parse_part

# Deleted rows named in the message that stops a job: enough to recognise them, short enough for one line.
NAMED_ROWS = 3
# Sheets of which a single deleted row stops a job. Each row there is a record no later save can rebuild (a call or
# an order that counts towards the blocks and revenue, a signed contract with its amount and term), and nobody deletes
# one in the course of work: a finished contract is marked Closed, not deleted. Clients rows are counted instead:
# a base is cleaned of junk clients now and then.
ANY_ROW_STOPS = (schema.INTERACTIONS, schema.CONTRACTS)
# Rows of the saved copy read apart, at most, when a sheet's rows were not only added; past that the copy's sheet is
# read whole (thousands of rows changed at once, as when a column is filled in).
ROWS_READ_APART = 10_000
_CORE_PART = "docProps/core.xml"
_TIME_FORMAT = "%d.%m.%Y %H:%M"


def begin_change_check(data: WorkbookData) -> ChangeCheck:
    """The comparison of ``data`` with the copy of the version xlcrm saved last, begun (see ``ChangeCheck``).

    The copy's sheets are read but those a kept fingerprint stands for (see ``xlcrm.files.saved_copy``), and those
    of its sheets that are not read in the background are compared already.
    """
    modified_by, modified_at = last_modified(data.path)
    if data.path.name.startswith(TEMP_PREFIX):  # the decrypted copy of a password-protected workbook
        return ChangeCheck(data, ChangeLog(PROTECTED, no_changes(), None, modified_by, modified_at))
    sources = _sources(data)
    unread = ChangeLog(NO_SAVED_COPY, no_changes(), None, modified_by, modified_at, sources)
    copy = saved_copy_path(data.path)
    try:
        stamp = FileStamp.of(copy)
    except OSError:
        return ChangeCheck(data, unread)
    saved_at = dt.datetime.fromtimestamp(stamp.mtime_ns / 1e9)
    if data.stamp is not None and data.stamp.sha256 == stamp.sha256:
        return ChangeCheck(data, ChangeLog(SAME_FILE, no_changes(), saved_at, modified_by, modified_at, sources))
    check = ChangeCheck(data, ChangeLog(COMPARED, no_changes(), saved_at, modified_by, modified_at, sources))
    try:
        check.standing = _standing(copy, kept_fingerprints(copy))
        saved = _read_copy(copy, [spec for spec in COMPARED_SHEETS if spec.key not in check.standing])
        for spec in COMPARED_SHEETS:
            if spec.key not in check.standing and spec not in BACKGROUND_SHEETS:
                check.comparisons[spec.key] = sheet_changes(spec, saved, data)
    except XlcrmError:  # damaged since: no comparison rather than no refresh
        check.log = unread
    else:
        # Only the sheets still being read are left to compare: the others go while the job works on.
        check.saved = still_being_read(saved)
    return check


@dataclass
class ChangeCheck:
    """A comparison of a workbook with the copy of its last save, done in steps so that a job goes on with other
    work while the big sheets of both are still being read (``xlcrm.xlsx.reader.BACKGROUND_SHEETS``).

    ``begin_change_check`` reads the copy and compares the sheets both have read; ``settle`` checks the kept
    fingerprints against the workbook's sheets, waiting for them, and starts reading the copy's sheet of any
    fingerprint that cannot tell what changed; ``finish`` compares the rest and stops for deletions. A job calls
    ``finish`` before it writes anything.
    """

    data: WorkbookData
    log: ChangeLog  # what was found so far: final unless its baseline is COMPARED and ``finish`` is still to come
    standing: dict[str, SheetFingerprint] = field(default_factory=dict)  # sheet key -> fingerprint, not read
    saved: WorkbookData | None = None  # the copy's sheets left to compare, still being read
    comparisons: dict[str, SheetComparison] = field(default_factory=dict)  # sheet key -> what changed on it
    read_apart: WorkbookData | None = None  # the copy's sheets whose fingerprint could not tell what changed
    settled: bool = False
    damaged: bool = False  # a sheet of the copy could not be read after all: the workbook is not compared

    def settle(self) -> None:
        """Nothing; compares each sheet of a standing fingerprint, which waits for the workbook's sheet to be read:
        when rows were only added, by the fingerprint alone; when a few of its rows changed or went, with those rows
        read from the copy (``xlcrm.xlsx.reader.read_rows_apart``). Starts reading the copy's sheets of the others."""
        if self.settled or self.log.baseline != COMPARED:
            return
        self.settled = True
        untold = []
        copy = saved_copy_path(self.data.path)
        for key, found in self.standing.items():
            spec = schema.sheet_by_key(key)
            since = rows_since(found, self.data.sheet(key), self.data.locale, spec)
            comparison = None if since is None else _compared_since(since, copy, spec)
            if comparison is not None:
                self.comparisons[key] = comparison
            else:
                untold.append(spec)
        if untold:
            try:
                self.read_apart = _read_copy(copy, untold)
            except XlcrmError:
                self.damaged = True

    def fingerprints(self) -> dict[str, SheetFingerprint]:
        """``fingerprints_to_keep`` of the workbook compared, with the log ``finish`` made: the row hashes the
        comparisons worked out for its sheets are taken over, not worked out again."""
        hashed = {key: found.now_hashes for key, found in self.comparisons.items() if found.now_hashes is not None}
        return fingerprints_to_keep(self.data, self.log, hashed)

    def finish(self, *, accept_deletions: bool) -> ChangeLog:
        """What changed since the last save, once every sheet is compared.

        Raises ``DeletionsFound`` when more than the Setting's share of the saved Clients rows, or any row of a
        sheet in ``ANY_ROW_STOPS``, was deleted, unless ``accept_deletions``. A copy one of whose sheets turns out
        damaged is not compared, but the rows deleted from the sheets compared before still stop the job.
        """
        self.settle()
        if self.log.baseline == COMPARED and not self.damaged:
            try:
                for spec in COMPARED_SHEETS:
                    if spec.key not in self.comparisons:
                        saved = self.read_apart if spec.key in self.standing else self.saved
                        assert saved is not None  # kept while a sheet is left to compare
                        self.comparisons[spec.key] = sheet_changes(spec, saved, self.data)
            except XlcrmError:  # damaged since: no comparison rather than no refresh
                self.damaged = True
        self.saved = self.read_apart = None  # compared: the copy's sheets are let go
        found = replace(self.log, changes=changes_of(self.comparisons)) if self.log.baseline == COMPARED else self.log
        if not accept_deletions:
            stop_for_deletions(self.data, found)
        if self.damaged:  # not compared after all: what the log says without a copy to compare with
            found = replace(self.log, baseline=NO_SAVED_COPY, changes=no_changes(), saved_at=None)
        self.log = found
        return self.log


def _compared_since(since: RowsSince, copy: Path, spec: schema.Sheet) -> SheetComparison | None:
    """What changed on the sheet ``spec`` since the saved copy at ``copy``, matched by its fingerprint in ``since``,
    reading from the copy only the rows no row now matches; None when that takes more than ``ROWS_READ_APART`` rows,
    or those rows cannot be read apart or are not what the fingerprint says: then the copy's sheet is read whole."""
    gone = since.gone_rows()
    if not gone:
        return only_added(since, spec)
    if len(gone) > ROWS_READ_APART or (locale := workbook_locale(copy)) is None:
        return None
    try:
        read = read_rows_apart(copy, spec, since.saved.sheet_name, gone)
    except XlcrmError:  # beyond the limits, say: the whole read tells the job, as for any copy it cannot read
        return None
    return None if read is None else changes_since(since, read, locale, spec)


def _read_copy(copy: Path, specs: Collection[schema.Sheet]) -> WorkbookData:
    """The sheets ``specs`` of the saved copy at ``copy``, nothing else: no other user sheet, no read-back report,
    no rows as read (only values are compared)."""
    others = [spec.key for spec in (*schema.USER_SHEETS, *schema.READ_BACK_REPORTS) if spec not in specs]
    return read_workbook(copy, skip=others, rows_as_read=False)


def _standing(copy: Path, kept: dict[str, SheetFingerprint]) -> dict[str, SheetFingerprint]:
    """The fingerprints of ``kept`` that stand for the sheets of the saved copy at ``copy``: those whose digest the
    copy's sheet has, counting as many cell formats as they counted."""
    names_by_count: dict[int, list[str]] = {}
    for found in kept.values():
        if (count := cell_formats_counted(found.source)) is not None:
            names_by_count.setdefault(count, []).append(found.sheet_name)
    copy_sources = {}
    for count, names in names_by_count.items():
        copy_sources.update(sheet_sources(copy, names, count))
    return {key: found for key, found in kept.items() if copy_sources.get(found.sheet_name) == found.source}


def _sources(data: WorkbookData) -> dict[str, str]:
    """Schema sheet key -> the digest of what the read of each compared sheet of ``data`` depended on; {} when the
    file changed since it was read, as the digests would then be another version's."""
    names = {spec.key: name for spec in COMPARED_SHEETS if (name := schema.find_sheet_name(spec, data.sheet_names))}
    by_name = sheet_sources(data.path, names.values())
    if data.stamp is None or not data.stamp.same_file(data.path):
        return {}
    return {key: by_name[name] for key, name in names.items() if name in by_name}


def fingerprints_to_keep(
    data: WorkbookData, log: ChangeLog, hashed: Mapping[str, RowHashes] | None = None
) -> dict[str, SheetFingerprint]:
    """Schema sheet key -> fingerprint of each compared sheet of ``data``, which must be as read, with the digest
    ``log`` found for its read: for the save to keep beside its copy (``xlcrm.files.saved_copy``). ``hashed``: sheet
    key -> the row hashes a comparison of ``data`` with the copy worked out (see ``ChangeCheck.fingerprints``).

    Each is made from what was read, never taken over from a fingerprint of an earlier read with the same digest:
    were the digest ever to miss something the reader depends on, the next run would otherwise believe rows that
    no file holds.
    """
    return {
        spec.key: fingerprint(sheet, data.locale, spec, source, (hashed or {}).get(spec.key))
        for spec in COMPARED_SHEETS
        if (source := log.sources.get(spec.key)) is not None and (sheet := data.sheet(spec.key)) is not None
    }


def last_modified(path: Path) -> tuple[str | None, dt.datetime | None]:
    """Who saved the workbook last and when (local time), as its ``docProps/core.xml`` says; None for what it
    does not say or says in a form that cannot be read."""
    try:
        with zipfile.ZipFile(path) as package:
            tree = parse_part(package.read(_CORE_PART), _CORE_PART)
    except (OSError, KeyError, zipfile.BadZipFile, XlcrmError):
        return None, None
    fields = {local_name(element): (element.text or "").strip() for element in tree.getroot()}
    return fields.get("lastModifiedBy") or None, _w3c_time(fields.get("modified", ""))


def _w3c_time(text: str) -> dt.datetime | None:
    """A W3CDTF time (``2026-11-23T10:00:00Z``) in local time; None when it is not one."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


def stop_for_deletions(data: WorkbookData, log: ChangeLog) -> None:
    """Nothing; raises ``DeletionsFound`` when the rows deleted since the last save are more than a job goes on
    without: more than ``deletion_stop_percent`` of the saved Clients rows, or any row of a sheet in
    ``ANY_ROW_STOPS``."""
    changes = log.changes
    clients = changes.deleted(schema.CLIENTS.key)
    records = [(spec, rows) for spec in ANY_ROW_STOPS if (rows := changes.deleted(spec.key))]
    percent = read_settings(data)[0].deletion_stop_percent
    too_many_clients = len(clients) * 100 > percent * changes.saved_rows.get(schema.CLIENTS.key, 0)
    if not (too_many_clients or records):
        return
    parts = [
        _deleted_part(data, spec, rows, changes.saved_rows.get(spec.key, 0))
        for spec, rows in [(schema.CLIENTS, clients), *records]
        if rows
    ]
    command = f"xlcrm restore {shlex.quote(str(data.path))}"
    raise DeletionsFound(
        t(
            "rows were deleted from {path} since xlcrm last saved it ({saved}): {deleted}; nothing was written; to "
            "bring them back: {command} --all-deleted (or only some: --rows {rows}); if they were deleted on "
            "purpose: run again with --accept-deletions",
            path=data.path,
            saved=log.saved_at.strftime(_TIME_FORMAT) if log.saved_at else "",
            deleted=joined(parts),
            command=command,
            rows=_rows_example(data, clients, records),
        )
    )


def _deleted_part(data: WorkbookData, spec: schema.Sheet, rows: Sequence[RowChange], total: int) -> Message:
    """``Clients: 40 of 60 rows (C000003, C000004, C000005 …)``."""
    named: list[Text] = [_row_name(data, row) for row in rows[:NAMED_ROWS]] + (["…"] if len(rows) > NAMED_ROWS else [])
    return tn(
        "{sheet}: {count} of {total} row ({rows})",
        "{sheet}: {count} of {total} rows ({rows})",
        len(rows),
        sheet=_sheet_name(data, spec),
        total=total,
        rows=joined(named, ", "),
    )


def _row_name(data: WorkbookData, row: RowChange) -> Text:
    """A deleted client by its ID (its saved row number without one); an interaction by its saved row number,
    date and client: ``row 120: 01.02.2026 C000003``; a contract by its saved row number, ContractID and client:
    ``row 5: D-001 C000003``."""
    if row.sheet == schema.CLIENTS.key:
        return row.client_id or t("row {row}", row=row.before_row)
    if row.sheet == schema.CONTRACTS.key:
        header = schema.CONTRACTS.column("contract_id").name(data.locale)
        first = as_text(row.before.get(header))
    else:
        # The Date column comes first on Interactions, so its value is the first date of the row.
        date = next((value for value in row.before.values() if isinstance(value, dt.date)), None)
        first = f"{date:%d.%m.%Y}" if date else ""
    details = " ".join(part for part in (first, row.client_id or "") if part)
    if not details:
        return t("row {row}", row=row.before_row)
    return t("row {row}: {details}", row=row.before_row, details=details)


def _rows_example(
    data: WorkbookData, clients: Sequence[RowChange], records: Sequence[tuple[schema.Sheet, Sequence[RowChange]]]
) -> str:
    """What ``--rows`` takes for the first deleted rows: ClientIDs, or a sheet and its saved row numbers (of the
    first sheet of ``records``, its deleted rows, without clients)."""
    ids = [row.client_id for row in clients[:2] if row.client_id]
    if ids:
        return ",".join(ids)
    spec, rows = (schema.CLIENTS, clients) if clients else records[0]
    numbers = sorted(row.before_row for row in rows if row.before_row is not None)
    name = _sheet_name(data, spec)
    return f"{shlex.quote(name) if ' ' in name else name}:{_ranges(numbers)}"


def _ranges(numbers: Sequence[int]) -> str:
    """``120-130,135``: the first few runs of consecutive row numbers."""
    return ",".join(f"{first}-{last}" if last > first else str(first) for first, last in row_runs(numbers)[:NAMED_ROWS])


def _sheet_name(data: WorkbookData, spec: schema.Sheet) -> str:
    sheet = data.sheet(spec.key)
    return sheet.name if sheet is not None else spec.name(data.locale)
