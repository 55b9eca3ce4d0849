"""``xlcrm restore``: bring back rows a person deleted since xlcrm's last save, cell for cell.

After every save xlcrm keeps a copy of the file it wrote (:mod:`xlcrm.files.saved_copy`); comparing the
workbook with it (:mod:`xlcrm.checks.changes`) tells which rows were deleted since. The rows chosen come back
appended to the end of their sheets' tables, every cell as the copy holds it: values, the user's own columns
and formulas (relative row references moved to the new row, as Excel moves them when a row is copied), each
cell styled like the one above it.

The restore saves without renewing the copy: it keeps describing xlcrm's last own save, so rows not restored
still show as deleted at the next refresh, and the restored rows match their rows of the copy again.
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlcrm import schema
from xlcrm.checks.changes import RowChange, compare_workbooks
from xlcrm.errors import NothingToRestoreFrom, RestoreRefused, RowsNotDeleted, UsageError, joined
from xlcrm.files import encryption
from xlcrm.files.safe_save import SaveOptions, SaveResult, holding_workbook_lock, list_backups
from xlcrm.files.save import save_changes
from xlcrm.files.saved_copy import saved_copy_path
from xlcrm.jobs.opening import open_to_change
from xlcrm.messages import t
from xlcrm.messages.as_json import JsonFields
from xlcrm.runtime import progress
from xlcrm.xlsx.package import last_row_with_value
from xlcrm.xlsx.reader import SheetData, WorkbookData, read_workbook, require_headers_on_row_one
from xlcrm.xlsx.report_sheet import CellValue, Formula
from xlcrm.xlsx.row_cells import RowCells, SheetRows, moved_formula, read_sheet_rows
from xlcrm.xlsx.sheet_edits import SheetEdit

# The sheets rows can be restored to, in the order a result lists them.
RESTORABLE_SHEETS = (schema.CLIENTS, schema.CONTACTS, schema.SERVICES, schema.INTERACTIONS, schema.CONTRACTS)
# The sheets whose rows belong to a client: a ClientID chosen brings back its deleted rows on each.
CLIENT_SHEETS = (schema.CLIENTS.key, *(spec.key for spec in schema.CLIENT_POINTING_SHEETS))

_ROWS = re.compile(r"(\d+)(?:\s*-\s*(\d+))?")


@dataclass(frozen=True)
class RowChoice:
    """One item of ``--rows``: a ClientID (its deleted Clients, Contacts, Interactions and Contracts rows), or rows
    of one sheet numbered as in the saved copy."""

    text: str  # as typed
    client_id: str | None = None
    sheet: str | None = None  # schema key
    sheet_text: str = ""  # the sheet as typed
    first: int = 0
    last: int = 0

    def names(self, change: RowChange) -> bool:
        """Whether this choice takes in the deleted row ``change``."""
        if self.client_id is not None:
            return change.sheet in CLIENT_SHEETS and schema.fold(change.client_id) == schema.fold(self.client_id)
        row = change.before_row
        return change.sheet == self.sheet and row is not None and self.first <= row <= self.last


def parse_row_choices(texts: Iterable[str]) -> tuple[RowChoice, ...]:
    """The choices ``--rows`` names, each text a comma-separated list of ``C000012``, ``Interactions:120`` or
    ``Interactions:120-130`` (a sheet named in either language); rows without a sheet right after such an item are
    of the same sheet (``Interactions:120-130,135``, as ``xlcrm refresh`` suggests them). A ``RowsNotDeleted``
    usage error names the first item written wrongly."""
    choices: list[RowChoice] = []
    for text in texts:
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            if ":" in item:
                sheet_text, rows_text = (part.strip() for part in item.rsplit(":", 1))
                choices.append(_sheet_rows(item, _sheet_named(item, sheet_text), sheet_text, rows_text))
            elif _ROWS.fullmatch(item):
                previous = choices[-1] if choices else None
                if previous is None or previous.sheet is None:
                    raise RowsNotDeleted(t("{item}: name the sheet of the rows, as in Interactions:{item}", item=item))
                sheet = schema.sheet_by_key(previous.sheet)
                choices.append(_sheet_rows(item, sheet, previous.sheet_text, item))
            else:
                choices.append(RowChoice(item, client_id=item))
    return tuple(choices)


def _sheet_named(item: str, sheet_text: str) -> schema.Sheet:
    """The sheet ``sheet_text`` names, in either language; a ``RowsNotDeleted`` error for any other."""
    for spec in RESTORABLE_SHEETS:
        if schema.fold(sheet_text) in map(schema.fold, spec.names()):
            return spec
    raise RowsNotDeleted(
        t(
            "{item}: there is no sheet {sheet} to restore rows of; use one of {sheets}",
            item=item,
            sheet=repr(sheet_text),
            sheets=joined((name for spec in RESTORABLE_SHEETS for name in spec.names()), ", "),
        )
    )


def _sheet_rows(item: str, sheet: schema.Sheet, sheet_text: str, rows_text: str) -> RowChoice:
    """The rows ``rows_text`` (``15`` or ``15-20``) of ``sheet``; a ``RowsNotDeleted`` error for anything else."""
    match = _ROWS.fullmatch(rows_text)
    first = int(match[1]) if match else 0
    last = int(match[2] or first) if match else 0
    if match is None or first < 2 or last < first:
        raise RowsNotDeleted(
            t(
                "{item}: write rows as a number or a range below the headers, e.g. {example}",
                item=item,
                example=f"{sheet_text}:15-20",
            )
        )
    return RowChoice(item, sheet=sheet.key, sheet_text=sheet_text, first=first, last=last)


@dataclass(frozen=True)
class RestoredRow(JsonFields):
    """One row brought back."""

    sheet: str  # schema key
    sheet_name: str  # the sheet's name in the workbook
    saved_row: int  # its row in the saved copy
    row: int  # the row it was written to
    client_id: str | None


@dataclass(frozen=True)
class RestoreResult:
    """What ``restore_deleted_rows`` brought back (on a dry run: would bring back)."""

    path: Path
    locale: str  # the language of the workbook's sheet and column names
    dry_run: bool
    saved_copy: Path  # the copy of xlcrm's last save the rows came from
    rows: tuple[RestoredRow, ...]
    deleted: int  # rows deleted since xlcrm's last save, restored or not
    # Headers of columns the saved copy has and the sheet no longer has: their cells could not come back.
    lost_columns: tuple[str, ...] = ()
    save: SaveResult | None = None

    def per_sheet(self) -> dict[str, int]:
        """Rows restored per sheet, by the sheet's name in the workbook (Clients, Contacts, My Services,
        Interactions, Contracts)."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.sheet_name] = counts.get(row.sheet_name, 0) + 1
        return counts

    @property
    def client_ids(self) -> tuple[str, ...]:
        """The ClientIDs of the Clients rows restored."""
        return tuple(row.client_id for row in self.rows if row.sheet == schema.CLIENTS.key and row.client_id)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {
            "path": str(self.path),
            "dry_run": self.dry_run,
            "saved_copy": str(self.saved_copy),
            "restored": {
                spec.key: count
                for spec in RESTORABLE_SHEETS
                if (count := sum(1 for row in self.rows if row.sheet == spec.key))
            },
            "client_ids": list(self.client_ids),
            "rows": [row.to_dict() for row in self.rows],
            "deleted": self.deleted,
            "lost_columns": list(self.lost_columns),
            "save": self.save.to_dict() if self.save else None,
        }


def restore_deleted_rows(
    path: str | Path,
    *,
    rows: Sequence[str] = (),
    all_deleted: bool = False,
    dry_run: bool = False,
    save: SaveOptions = SaveOptions(),
    password: str | None = None,
) -> RestoreResult:
    """Bring back the rows deleted from the workbook at ``path`` since xlcrm's last save: every one with
    ``all_deleted``, else those ``rows`` names (see ``parse_row_choices``); returns the rows restored. With
    ``dry_run`` nothing is written: the result lists what would come back. ``password`` opens a
    password-protected workbook, which is saved back protected."""
    choices = parse_row_choices(rows)
    if all_deleted == bool(choices) or (all_deleted and rows):
        raise UsageError(t("choose the rows to restore: --all-deleted, or --rows with ClientIDs or sheet rows"))
    return open_to_change(
        path,
        password,
        save,
        functools.partial(_restore, choices=choices, dry_run=dry_run, original=Path(path)),
        dry_run=dry_run,
    )


@holding_workbook_lock("path")
def _restore(
    path: Path, save: SaveOptions, *, choices: tuple[RowChoice, ...], dry_run: bool, original: Path
) -> RestoreResult:
    copy = _saved_copy(original, protected=encryption.is_encrypted(original))
    data = read_workbook(path)
    saved = read_workbook(copy)
    with progress.step(t("comparing with xlcrm's last save")):
        deleted = compare_workbooks(saved, data).deleted()
    chosen = _chosen(deleted, choices)
    _refuse_ids_in_use(data, saved, chosen)
    edits: list[SheetEdit] = []
    restored: list[RestoredRow] = []
    lost: list[str] = []
    for spec in RESTORABLE_SHEETS:
        changes = sorted((c for c in chosen if c.sheet == spec.key), key=lambda c: c.before_row or 0)
        if not changes:
            continue
        with progress.step(t("reading the rows to restore from the saved copy")):
            edit, rows, lost_here = _sheet_restored(path, copy, data, saved, spec, changes)
        edits.append(edit)
        restored += rows
        lost += lost_here
    written = None
    if edits and not dry_run:
        written = save_changes(
            data,
            edits=edits,
            save=save,
            keep_saved_copy=False,
        )
    return RestoreResult(original, data.locale, dry_run, copy, tuple(restored), len(deleted), tuple(lost), written)


def _saved_copy(original: Path, *, protected: bool) -> Path:
    """The copy of xlcrm's last save of the workbook ``original``; a ``NothingToRestoreFrom`` error when there is
    none, or the workbook is ``protected`` by a password (xlcrm keeps no readable copy of one: a copy found is from
    before it got its password)."""
    copy = saved_copy_path(original)
    if copy.is_file() and not protected:
        return copy
    if protected:
        why = t(
            "{path} is password-protected, and xlcrm keeps no readable copy of it to restore rows from", path=original
        )
    else:
        why = t(
            "{path} has no copy of xlcrm's last save to restore rows from (xlcrm keeps one from its next save on)",
            path=original,
        )
    backups = list_backups(original)
    if backups:
        raise NothingToRestoreFrom(
            t(
                "{why}; earlier versions are kept in {folder}: {backups}",
                why=why,
                folder=str(backups[-1].parent),
                backups=joined((backup.name for backup in backups), ", "),
            )
        )
    raise NothingToRestoreFrom(t("{why}, and there are no earlier versions either", why=why))


def _chosen(deleted: Sequence[RowChange], choices: Sequence[RowChoice]) -> list[RowChange]:
    """The deleted rows ``choices`` name (all of them without choices); a ``RowsNotDeleted`` error naming the
    choices that name none."""
    if not choices:
        return list(deleted)
    empty = [choice.text for choice in choices if not any(choice.names(change) for change in deleted)]
    if empty:
        raise RowsNotDeleted(
            t(
                "no row deleted since xlcrm's last save matches {items}; nothing was written",
                items=joined(empty, ", "),
            )
        )
    return [change for change in deleted if any(choice.names(change) for choice in choices)]


def _refuse_ids_in_use(data: WorkbookData, saved: WorkbookData, chosen: Sequence[RowChange]) -> None:
    """Nothing; a ``RestoreRefused`` error when a Clients row to restore has a ClientID given to another client
    meanwhile: restored, the ID would be on more rows than in the saved copy. IDs are compared as Excel's lookups
    compare them, whatever the case. (A row that took a deleted row's very ID is paired with it as a changed row, so
    that row is not deleted; an ID the saved copy already had twice, an error validate lists, comes back as it
    was.)"""
    clients = data.sheet(schema.CLIENTS.key)
    if clients is None:
        return
    ids = [change.client_id for change in chosen if change.sheet == schema.CLIENTS.key and change.client_id]
    restored = Counter(schema.fold(client_id) for client_id in ids)
    now = _id_rows(clients)
    before = _id_rows(saved.sheet(schema.CLIENTS.key))
    clashes = [
        t("{client_id} (now on row {row})", client_id=client_id, row=now[folded][0])
        for client_id in dict.fromkeys(ids)
        if (folded := schema.fold(client_id)) in now
        and len(now[folded]) + restored[folded] > len(before.get(folded, []))
    ]
    if clashes:
        raise RestoreRefused(
            t(
                "a client to restore has a ClientID given to another client on {sheet} meanwhile: {clashes}; "
                "change that client's ClientID first; nothing was written",
                sheet=clients.name,
                clashes=joined(clashes, ", "),
            )
        )


def _id_rows(clients: SheetData | None) -> dict[str, list[int]]:
    """The rows of each ClientID (case-folded) on Clients."""
    rows: dict[str, list[int]] = defaultdict(list)
    if clients is not None:
        ids = clients.column_values("client_id")
        for row, value in zip(ids.index.tolist(), ids.tolist(), strict=True):
            if value is not None and str(value).strip():
                rows[schema.fold(value)].append(int(row))
    return rows


def _sheet_restored(
    path: Path,
    copy: Path,
    data: WorkbookData,
    saved: WorkbookData,
    spec: schema.Sheet,
    changes: Sequence[RowChange],
) -> tuple[SheetEdit, list[RestoredRow], list[str]]:
    """The edit appending the rows ``changes`` deleted from the sheet ``spec``, as the saved copy holds them; the
    rows restored, and the headers of columns the sheet no longer has."""
    now = data.sheet(spec.key)
    before = saved.sheet(spec.key)
    if now is None or before is None:
        raise RestoreRefused(
            t(
                "{path} has no {sheet} sheet to restore rows to; nothing was written",
                path=data.path,
                sheet=spec.name(data.locale),
            )
        )
    require_headers_on_row_one(now)  # the rows go below row 1's headers, matched by them
    copied = read_sheet_rows(copy, before.name, [c.before_row for c in changes if c.before_row is not None])
    place, lost = _column_places(before, now, copied)
    first = last_row_with_value(path, now.name) + 1
    appended = []
    restored = []
    for offset, change in enumerate(changes):
        row = change.before_row or 0
        appended.append(_moved_row(copied.rows.get(row, {}), place, row, first + offset))
        restored.append(RestoredRow(spec.key, now.name, row, first + offset, change.client_id))
    return SheetEdit(now.name, append_rows=appended), restored, lost


def _column_places(before: SheetData, now: SheetData, copied: SheetRows) -> tuple[dict[str, str], list[str]]:
    """Where each column of the saved copy's sheet is on the sheet now (letter -> letter), found by schema
    column, else by header, else (a column without a header) at the same letter when that has none now
    either; and the headers of the copy's columns with values that the sheet no longer has."""
    place = {before.letters[key]: now.letters[key] for key in before.letters if key in now.letters}
    # The columns of the sheet now with a header: the schema's, and the others by their headers.
    headed = {*now.letters.values(), *now.extra_letters.values()}
    by_header = {schema.fold(header): letter for header, letter in now.extra_letters.items()}
    taken = set(place.values())
    for letter, header in copied.headers.items():
        if letter not in place and (found := by_header.get(schema.fold(header))) and found not in taken:
            place[letter] = found
            taken.add(found)
    used = {letter for cells in copied.rows.values() for letter in cells}
    lost = []
    for letter in sorted(used - place.keys(), key=lambda letter: (len(letter), letter)):
        if letter not in copied.headers and letter not in headed and letter not in taken:
            place[letter] = letter
        else:
            lost.append(copied.headers.get(letter, f"({letter})"))
    return place, lost


def _moved_row(cells: RowCells, place: dict[str, str], origin: int, row: int) -> dict[str, CellValue | Formula]:
    """The cells of row ``origin`` of the saved copy as written on ``row``, each in its column's place now."""
    return {
        place[letter]: moved_formula(value, place[letter], origin, row) if isinstance(value, Formula) else value
        for letter, value in cells.items()
        if letter in place
    }
