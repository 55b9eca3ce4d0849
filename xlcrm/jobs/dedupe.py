"""``xlcrm dedupe`` and ``xlcrm unmerge``: merge the duplicate clients of the workbook, or undo one merge.

The merging itself is :mod:`xlcrm.dedupe.merge`'s; these jobs read the workbook, have it worked out and save it.
Dedupe first gives the Clients rows with a Name or Company but no ClientID the next free ones
(:mod:`xlcrm.checks.client_ids`), so a client typed in by hand is compared and merged like any other (never
surviving a client whose ID was there before), and saves them with the merges.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcrm.checks.changes import ChangeLog
from xlcrm.checks.client_ids import AssignedId, fill_blank_client_ids
from xlcrm.checks.findings import Finding
from xlcrm.checks.validate import ValidationReport, validate_data
from xlcrm.dedupe.merge import DedupeChanges, dedupe_changes, unmerge_changes
from xlcrm.errors import EditRefused, MergeNotUndoable, error_text
from xlcrm.files.safe_save import SaveOptions, SaveResult, holding_workbook_lock
from xlcrm.files.save import save_changes
from xlcrm.jobs.as_saved import as_saved, deleted_rows
from xlcrm.jobs.changes import begin_change_check
from xlcrm.jobs.opening import open_to_change
from xlcrm.jobs.validate import problems_as_saved, problems_in
from xlcrm.messages import Message, Text, t
from xlcrm.reports.changes import changes_sheet
from xlcrm.xlsx.reader import read_workbook

# --- dedupe ---------------------------------------------------------------------------------------------------


@dataclass
class DedupeResult:
    """What ``dedupe_workbook`` did (or, on a dry run, would do): the merges, the pairs to review, the interactions
    entered twice."""

    path: Path
    dry_run: bool
    clients: int
    candidate_pairs: int
    blocks_too_large: int  # blocks of a common name or a shared identifier whose pairs were not compared
    merges: list[dict[str, Any]]
    review: list[dict[str, Any]]  # the likeliest first, at most Settings' dedupe_review_limit
    kept_apart: int
    vetoed: int
    interaction_duplicates: list[dict[str, Any]]
    notes: Sequence[Text]
    # Errors and warnings xlcrm validate finds in the workbook as saved (on a dry run: as it would be saved).
    errors: int
    warnings: int
    save: SaveResult | None = None
    # Decisions typed on the Duplicates sheet that xlcrm did not understand: kept as typed, the pairs left as they were.
    unknown_decisions: list[Finding] = field(default_factory=list)
    assigned_ids: tuple[AssignedId, ...] = ()  # ClientIDs given to Clients rows that had none, rows as saved
    locale: str = "en"  # the language of the workbook's sheet and column names
    # What people changed on the user sheets since xlcrm last saved the workbook (listed on ▸ Changes when saved).
    changes: ChangeLog | None = None
    review_left_out: int = 0  # pairs to review beyond dedupe_review_limit, listed on a later run

    @property
    def merged_rows(self) -> int:
        """The number of rows merged into their survivors."""
        return sum(len(m["merged"]) for m in self.merges)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {
            "path": str(self.path),
            "dry_run": self.dry_run,
            "clients": self.clients,
            "candidate_pairs": self.candidate_pairs,
            "blocks_too_large": self.blocks_too_large,
            "merges": _rendered(self.merges),
            "review": _rendered(self.review),
            "review_left_out": self.review_left_out,
            "kept_apart": self.kept_apart,
            "vetoed": self.vetoed,
            "interaction_duplicates": self.interaction_duplicates,
            "notes": [str(note) for note in self.notes],
            "errors": self.errors,
            "warnings": self.warnings,
            "unknown_decisions": [finding.to_dict() for finding in self.unknown_decisions],
            "assigned_ids": [assigned.to_dict() for assigned in self.assigned_ids],
            "changes": self.changes.to_dict() if self.changes else None,
            "save": self.save.to_dict() if self.save else None,
        }


def _rendered(value: Any) -> Any:
    """``value`` with every message in it (in lists and dicts) rendered in the language the run speaks."""
    if isinstance(value, Message):
        return str(value)
    if isinstance(value, dict):
        return {key: _rendered(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rendered(item) for item in value]
    return value


def dedupe_workbook(
    path: str | Path,
    *,
    dry_run: bool = False,
    save: SaveOptions = SaveOptions(),
    password: str | None = None,
    now: dt.datetime | None = None,
    accept_deletions: bool = False,
) -> DedupeResult:
    """Merge certain duplicate clients of the workbook at ``path``, list probable ones on the Duplicates sheet and
    apply the user's decisions typed there; returns the merges and pairs, and the errors and warnings left in the
    workbook as saved. With ``dry_run`` nothing is written: the result says what would happen, and what would be
    left. ``now`` (default: the real time) dates the merges on the Merge log and is the date the workbook is
    checked for;
    ``password`` opens a password-protected workbook, which is saved back protected. Rows deleted since xlcrm last
    saved the workbook stop it as they stop a refresh, unless ``accept_deletions`` (see ``xlcrm.jobs.changes``)."""
    return open_to_change(
        path,
        password,
        save,
        functools.partial(_dedupe, dry_run=dry_run, now=now, accept_deletions=accept_deletions),
        dry_run=dry_run,
    )


@holding_workbook_lock("path")
def _dedupe(
    path: Path, save: SaveOptions, *, dry_run: bool, now: dt.datetime | None, accept_deletions: bool
) -> DedupeResult:
    data = read_workbook(path)
    change_check = begin_change_check(data)
    change_log = change_check.finish(accept_deletions=accept_deletions)
    filled = fill_blank_client_ids(data)
    changes = dedupe_changes(filled.data, now=now, new_rows=filled.new_rows, logged=not dry_run)
    saved = None
    if not dry_run and (changes.writes or filled.assigned):
        saved = save_changes(
            data,
            reports=[*(changes.reports if changes.writes else []), changes_sheet(change_log, data.locale)],
            edits=[*filled.edits_beside(changes.edits), *changes.edits],
            save=save,
            fingerprints=change_check.fingerprints(),
        )
    merged_into = changes.plan.merged_into()
    # A dry run saves nothing: rows as read.
    assigned = filled.as_read(merged_into) if dry_run else filled.as_saved(changes.edits, merged_into)
    # Checked as refresh checks the base it saves: the merges' edits followed in memory. The Duplicates sheet as
    # read is not looked at (it is rewritten): the Decisions kept on it that xlcrm does not understand are warnings.
    # Without anything written the workbook stays as read, Duplicates sheet and all.
    today = (now or dt.datetime.now()).date()
    if changes.writes:
        left = validate_data(as_saved(filled.data, changes.edits, deleted_rows(changes.edits)), today)
        left = dataclasses.replace(left, findings=left.findings + changes.unknown_decisions)
    else:
        left = problems_in(filled.data, today)
    result = _dedupe_result(path, dry_run, changes, saved, assigned, left, data.locale)
    return dataclasses.replace(result, changes=change_log)


def _dedupe_result(
    path: Path,
    dry_run: bool,
    changes: DedupeChanges,
    save: SaveResult | None,
    assigned: tuple[AssignedId, ...],
    left: ValidationReport,
    locale: str,
) -> DedupeResult:
    plan = changes.plan
    records = plan.records
    return DedupeResult(
        path=path,
        dry_run=dry_run,
        clients=len(records),
        candidate_pairs=plan.candidate_pairs,
        blocks_too_large=plan.blocks_too_large,
        merges=[action.to_dict(plan) for action in changes.actions],
        review=[
            {
                "rows": list(m.rows),
                "client_ids": [records[m.first].client_id, records[m.second].client_id],
                **m.explained(),
            }
            for m in plan.review
        ],
        kept_apart=len(plan.kept_apart),
        vetoed=len(plan.vetoed),
        interaction_duplicates=[
            {
                "rows": list(d.rows),
                "client_id": d.client_id,
                "date": d.date.isoformat() if d.date else None,
                "type": d.type,
                "amount": d.amount,
                "comment": d.comment,
            }
            for d in plan.interaction_duplicates
        ],
        notes=changes.notes,
        errors=len(left.errors),
        warnings=len(left.warnings),
        save=save,
        unknown_decisions=changes.unknown_decisions,
        assigned_ids=assigned,
        locale=locale,
        review_left_out=plan.review_left_out,
    )


# --- unmerge --------------------------------------------------------------------------------------------------


@dataclass
class UnmergeResult:
    """What ``unmerge_workbook`` restored."""

    path: Path
    merge_id: str
    survivor_id: str
    restored_ids: list[str]
    restored_rows: int
    repointed_back: int
    # Errors and warnings xlcrm validate finds in the workbook as saved; None when not counted (see
    # ``unmerge_workbook``'s ``count_errors``) or the count could not be made.
    errors: int | None
    warnings: int | None
    save: SaveResult | None = None
    locale: str = "en"  # the language of the workbook's sheet and column names
    changes: ChangeLog | None = None  # what people changed since xlcrm last saved the workbook (refresh lists it)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {
            "path": str(self.path),
            "merge_id": self.merge_id,
            "survivor_id": self.survivor_id,
            "restored_ids": self.restored_ids,
            "restored_rows": self.restored_rows,
            "repointed_back": self.repointed_back,
            "errors": self.errors,
            "warnings": self.warnings,
            "changes": self.changes.to_dict() if self.changes else None,
            "save": self.save.to_dict() if self.save else None,
        }


def unmerge_workbook(
    path: str | Path,
    merge_id: str,
    *,
    save: SaveOptions = SaveOptions(),
    password: str | None = None,
    count_errors: bool = False,
    accept_deletions: bool = False,
) -> UnmergeResult:
    """Undo the merge ``merge_id`` of the Merge log of the workbook at ``path``: original rows back in place,
    re-pointed rows back, the pairs kept apart from then on; returns what was restored. ``password`` opens a
    password-protected workbook, which is saved back protected.

    With ``count_errors`` (``--strict``) the errors and warnings left in the workbook as saved (checked for the
    real date) are counted: the rows come back in their places on several sheets, which only the saved workbook
    shows, so that reads it back. Not counted, or when that read fails, they are None; the unmerge stands either
    way. Rows deleted since xlcrm last saved the workbook stop it as they stop a refresh, unless
    ``accept_deletions``."""
    return open_to_change(
        path,
        password,
        save,
        functools.partial(_unmerge, merge_id=merge_id, count_errors=count_errors, accept_deletions=accept_deletions),
    )


@holding_workbook_lock("path")
def _unmerge(
    path: Path, save: SaveOptions, *, merge_id: str, count_errors: bool, accept_deletions: bool
) -> UnmergeResult:
    data = read_workbook(path)
    change_check = begin_change_check(data)
    change_log = change_check.finish(accept_deletions=accept_deletions)
    changes = unmerge_changes(data, merge_id)
    try:
        saved = save_changes(
            data,
            reports=changes.reports,
            edits=changes.edits,
            remove=changes.remove,
            save=save,
            fingerprints=change_check.fingerprints(),
        )
    except EditRefused as exc:
        raise MergeNotUndoable(
            t("{merge} cannot be undone: {reason}", merge=changes.merge_id, reason=error_text(exc))
        ) from None
    left = problems_as_saved(saved.path, dt.date.today()) if count_errors else None
    return UnmergeResult(
        path,
        changes.merge_id,
        changes.survivor_id,
        changes.restored_ids,
        changes.restored_rows,
        changes.repointed_back,
        len(left.errors) if left else None,
        len(left.warnings) if left else None,
        saved,
        data.locale,
        change_log,
    )
