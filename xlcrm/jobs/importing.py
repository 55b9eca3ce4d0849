"""``xlcrm import``: rows of another table (Excel, CSV, amoCRM, Bitrix24) into a sheet of the workbook, without
duplicates.

The matching is :mod:`xlcrm.importing.importer`'s; this job reads the source and the workbook, has the import worked
out and saves it. The Clients rows without a ClientID get the next free ones first (:mod:`xlcrm.checks.client_ids`),
saved with the import: records are matched against those clients too, and new clients' IDs follow theirs. Named
``importing`` because ``import`` is a Python keyword.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcrm import schema
from xlcrm.checks.changes import ChangeLog
from xlcrm.checks.client_ids import AssignedId, fill_blank_client_ids
from xlcrm.files.safe_save import SaveOptions, SaveResult, holding_workbook_lock
from xlcrm.files.save import save_changes
from xlcrm.importing.importer import OUTCOMES, RecordOutcome, import_changes
from xlcrm.importing.sources import read_source
from xlcrm.jobs.as_saved import as_saved, deleted_rows, with_appended
from xlcrm.jobs.changes import begin_change_check
from xlcrm.jobs.opening import open_to_change
from xlcrm.jobs.validate import problems_in
from xlcrm.messages import Message, Text
from xlcrm.xlsx.reader import read_workbook


@dataclass
class ImportResult:
    """What ``import_rows`` did (or, on a dry run, would do): the mapping of the columns and what became of each
    source record."""

    path: Path  # the workbook written (the output file when one was given)
    source: Path
    read_as: Text
    sheet: str  # the sheet's name in the workbook
    dry_run: bool
    mapping: list[dict[str, Any]]
    records: list[RecordOutcome]
    changed_cells: int  # cells set on rows already in the workbook
    # Errors and warnings xlcrm validate finds in the workbook as saved (on a dry run: as it would be saved).
    errors: int
    warnings: int
    notes: Sequence[Text] = field(default_factory=list)
    save: SaveResult | None = None
    assigned_ids: tuple[AssignedId, ...] = ()  # ClientIDs given to Clients rows that had none, rows as saved
    locale: str = schema.DEFAULT_LOCALE  # the language of the workbook's sheet and column names
    changes: ChangeLog | None = None  # what people changed since xlcrm last saved the workbook (refresh lists it)

    def count(self, outcome: str) -> int:
        """The number of imported records with this ``outcome``."""
        return sum(record.outcome == outcome for record in self.records)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {
            "path": str(self.path),
            "source": str(self.source),
            "read_as": str(self.read_as),
            "sheet": self.sheet,
            "dry_run": self.dry_run,
            "mapping": [
                {key: str(value) if isinstance(value, Message) else value for key, value in item.items()}
                for item in self.mapping
            ],
            "counts": {outcome: self.count(outcome) for outcome in OUTCOMES},
            "changed_cells": self.changed_cells,
            "errors": self.errors,
            "warnings": self.warnings,
            "records": [record.to_dict() for record in self.records],
            "notes": [str(note) for note in self.notes],
            "assigned_ids": [assigned.to_dict() for assigned in self.assigned_ids],
            "changes": self.changes.to_dict() if self.changes else None,
            "save": self.save.to_dict() if self.save else None,
        }


def import_rows(
    source: str | Path,
    workbook: str | Path,
    *,
    sheet: str = schema.CLIENTS.key,
    mapping_file: Path | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    save: SaveOptions = SaveOptions(),
    password: str | None = None,
    now: dt.datetime | None = None,
    accept_deletions: bool = False,
) -> ImportResult:
    """Import the records of the table ``source`` into the sheet ``sheet`` (a schema key: clients, contacts,
    interactions, services) of ``workbook``, merging those that match clients already there; returns the mapping
    and what became of each record, and the errors and warnings left in the workbook as saved (on a dry run: as it
    would be saved), counted in memory: nothing is written or read back for them. ``mapping_file`` overrides the
    automatic mapping of the source's headers; ``today`` (default: the real date) is Created of new clients and the
    date the workbook is checked for; ``now`` (default: the real time) dates the merges on the Merge log. With
    ``dry_run`` nothing is written. ``password`` opens a password-protected workbook, which is saved back
    protected. Rows deleted since xlcrm last saved the workbook stop it as they stop a refresh, unless
    ``accept_deletions`` (see ``xlcrm.jobs.changes``)."""
    return open_to_change(
        workbook,
        password,
        save,
        functools.partial(
            _import,
            source=source,
            sheet=sheet,
            mapping_file=mapping_file,
            dry_run=dry_run,
            today=today or dt.date.today(),
            now=now,
            accept_deletions=accept_deletions,
        ),
        dry_run=dry_run,
    )


@holding_workbook_lock("workbook")
def _import(
    workbook: Path,
    save: SaveOptions,
    *,
    source: str | Path,
    sheet: str,
    mapping_file: Path | None,
    dry_run: bool,
    today: dt.date,
    now: dt.datetime | None,
    accept_deletions: bool,
) -> ImportResult:
    spec = schema.sheet_by_key(sheet)
    table = read_source(source)
    data = read_workbook(workbook)
    change_check = begin_change_check(data)
    change_log = change_check.finish(accept_deletions=accept_deletions)
    filled = fill_blank_client_ids(data)
    changes = import_changes(table, filled.data, spec, mapping_file=mapping_file, today=today, now=now)
    imported = [changes.edit] if changes.edit is not None else []
    edits = [*filled.edits_beside(imported), *imported]
    saved = None
    if not dry_run and edits:
        saved = save_changes(
            data,
            reports=changes.reports,
            edits=edits,
            save=save,
            fingerprints=change_check.fingerprints(),
        )
    # Counted as dedupe counts: the workbook as the edits leave it (ClientIDs filled, cells of matched clients set,
    # the imported rows appended) worked out in memory, so nothing is written or read back for the count, and a
    # dry run writes nothing at all. The Duplicates sheet is looked at as read: the import keeps its Decisions.
    left = problems_in(with_appended(as_saved(data, edits, deleted_rows(edits)), edits), today)
    return ImportResult(
        path=saved.path if saved else (save.output or workbook),
        source=Path(source),
        read_as=table.describe(),
        sheet=changes.sheet,
        dry_run=dry_run,
        mapping=[m.to_dict(spec, data.locale) for m in changes.mappings],
        records=changes.outcomes,
        changed_cells=changes.changed_cells,
        errors=len(left.errors),
        warnings=len(left.warnings),
        notes=changes.notes,
        save=saved,
        assigned_ids=filled.assigned,
        locale=data.locale,
        changes=change_log,
    )
