"""What changed on the user sheets between two versions of a workbook: rows added, changed and deleted.

The version xlcrm saved last is compared with the workbook as it is now (see ``xlcrm.jobs.changes``). Every column
the user owns counts, their own extra columns included; xlcrm's computed columns of Clients (``▸ Block`` …) and the
formula columns (the Client name on Interactions) do not, since xlcrm and Excel fill them.

Rows are compared by content, wherever they are: a sorted sheet holds the same rows, so nothing changed. Each row's
cells become one 64-bit hash (pandas hashing, column by column, one Python call per distinct value and none per
cell), so a million interactions are compared in about a second. The rows left on either side are then paired by a
key (a client by its ClientID, an interaction by its date, client and type, a contract by its ContractID, …) and
such a pair is a changed row; an interaction or contact left on both sides at the same row for the same client, with
only its key changed, is one too (its date or type corrected in place); what is still left was added or deleted.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.schema import Sheet
from xlcrm.xlsx.reader import SheetData, WorkbookData, factorize_cells

ADDED = "added"
CHANGED = "changed"
DELETED = "deleted"
KINDS = (ADDED, CHANGED, DELETED)

# The sheets compared, in the order the change log lists them.
COMPARED_SHEETS: tuple[Sheet, ...] = (
    schema.CLIENTS,
    schema.CONTACTS,
    schema.SERVICES,
    schema.INTERACTIONS,
    schema.CONTRACTS,
)
# The columns that pair a changed row with its version as saved; a row whose key cells are all blank is only ever
# matched by its content.
PAIRING_KEYS: dict[str, tuple[str, ...]] = {
    schema.CLIENTS.key: ("client_id",),
    schema.CONTACTS.key: ("client_id", "name"),
    schema.SERVICES.key: ("service_id",),
    schema.INTERACTIONS.key: ("date", "client_id", "type"),
    schema.CONTRACTS.key: ("contract_id",),
}


# The sheets whose rows have no ID of their own: a row left unpaired on both sides at the same Excel row, with the same
# ClientID and only its key changed, is one row edited in place (see ``_changes``). A client or a contract is paired
# by its ID alone: another client typed over a row is a client deleted.
PAIRED_IN_PLACE = frozenset({schema.CONTACTS.key, schema.INTERACTIONS.key})


@dataclass(frozen=True)
class RowChange:
    """One row of a user sheet added, changed or deleted since the version it is compared with."""

    sheet: str  # schema sheet key: "clients", "contacts", "services", "interactions", "contracts"
    kind: str  # ADDED | CHANGED | DELETED
    before_row: int | None  # Excel row in the saved version (None when added)
    now_row: int | None  # Excel row in the workbook now (None when deleted)
    client_id: str | None
    columns: tuple[str, ...]  # headers (as the sheet shows them) of the cells that changed, for CHANGED
    before: Mapping[str, object]  # header -> value as saved (empty when added)
    now: Mapping[str, object]  # header -> value now (empty when deleted)


@dataclass(frozen=True)
class Changes:
    """Every row change between two versions of a workbook, sheet by sheet in ``COMPARED_SHEETS`` order, and within
    a sheet changed rows, then deleted, then added, each in row order."""

    rows: tuple[RowChange, ...]
    # Data rows of each compared sheet in the saved version: the share of deleted rows is counted against these.
    saved_rows: Mapping[str, int]

    def of_kind(self, kind: str, sheet: str | None = None) -> tuple[RowChange, ...]:
        """The changes of ``kind`` (of the sheet with schema key ``sheet`` only, when given)."""
        return tuple(row for row in self.rows if row.kind == kind and (sheet is None or row.sheet == sheet))

    def deleted(self, sheet: str | None = None) -> tuple[RowChange, ...]:
        """The rows deleted (of the sheet with schema key ``sheet`` only, when given)."""
        return self.of_kind(DELETED, sheet)

    def count(self, kind: str, sheet: str | None = None) -> int:
        """How many rows of ``kind`` changed (on the sheet with schema key ``sheet`` only, when given)."""
        return len(self.of_kind(kind, sheet))

    def counts(self) -> dict[str, dict[str, int]]:
        """Sheet key -> kind -> rows, for every compared sheet and kind (zeros included)."""
        return {spec.key: {kind: self.count(kind, spec.key) for kind in KINDS} for spec in COMPARED_SHEETS}

    def __bool__(self) -> bool:
        return bool(self.rows)


# What the workbook was compared with (ChangeLog.baseline).
COMPARED = "compared"  # the saved copy, read and compared row by row
SAME_FILE = "same_file"  # the saved copy, byte for byte the same file: nothing changed
NO_SAVED_COPY = "no_saved_copy"  # no copy of an earlier save (first run, workbook copied or moved, …)
PROTECTED = "protected"  # a password-protected workbook: no readable copy is kept to compare with


@dataclass(frozen=True)
class ChangeLog:
    """What changed on the user sheets since xlcrm last saved the workbook, and who saved it last."""

    baseline: str  # COMPARED | SAME_FILE | NO_SAVED_COPY | PROTECTED
    changes: Changes  # no rows unless COMPARED
    saved_at: dt.datetime | None = None  # when xlcrm saved the version compared with (local time)
    modified_by: str | None = None  # the workbook's "last modified by", as Excel or LibreOffice recorded it
    modified_at: dt.datetime | None = None  # and when (local time)
    # For the fingerprints the next save keeps (``xlcrm.jobs.changes.fingerprints_to_keep``): schema sheet key ->
    # the digest of what the read of each compared sheet depended on.
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, object]:
        """The log as JSON-ready values: what it compared with and the counts of rows by sheet and kind."""
        return {
            "baseline": self.baseline,
            "saved_at": self.saved_at.isoformat(timespec="seconds") if self.saved_at else None,
            "modified_by": self.modified_by,
            "modified_at": self.modified_at.isoformat(timespec="seconds") if self.modified_at else None,
            "counts": self.changes.counts(),
        }


def no_changes() -> Changes:
    """Changes with no rows, as found when nothing was compared or nothing changed."""
    return Changes((), {})


@dataclass(frozen=True, eq=False)
class RowHashes:
    """The row hashes of one version of a sheet over ``headers``, as a comparison worked them out: the fingerprint
    of that version (``fingerprint``) takes them over rather than hash a million rows again."""

    headers: tuple[str, ...]
    hashes: np.ndarray  # one uint64 per data row


@dataclass(frozen=True)
class SheetComparison:
    """What changed on one compared sheet."""

    saved_rows: int  # data rows of the sheet in the saved version
    rows: list[RowChange]  # changed rows, then deleted, then added, each in row order
    # The later version's row hashes over the columns compared, when every row of it was hashed.
    now_hashes: RowHashes | None = field(default=None, compare=False, repr=False)


def compare_workbooks(saved: WorkbookData, now: WorkbookData) -> Changes:
    """The rows of the user sheets added, changed and deleted from ``saved`` to ``now``.

    A sheet present in one version only counts as all its rows added (or deleted).
    """
    return changes_of({spec.key: sheet_changes(spec, saved, now) for spec in COMPARED_SHEETS})


def changes_of(comparisons: Mapping[str, SheetComparison]) -> Changes:
    """The changes of the sheets compared, given sheet key -> what changed on it, in ``COMPARED_SHEETS`` order."""
    specs = [spec for spec in COMPARED_SHEETS if spec.key in comparisons]
    rows = [row for spec in specs for row in comparisons[spec.key].rows]
    return Changes(tuple(rows), {spec.key: comparisons[spec.key].saved_rows for spec in specs})


def sheet_changes(spec: Sheet, saved: WorkbookData, now: WorkbookData) -> SheetComparison:
    """The rows of the sheet ``spec`` added, changed and deleted from ``saved`` to ``now``."""
    before = _Side.of(saved.sheet(spec.key), saved.locale, spec)
    after = _Side.of(now.sheet(spec.key), now.locale, spec)
    headers = tuple(dict.fromkeys([*before.values, *after.values]))
    if not headers:
        return SheetComparison(len(before.rows), [])
    now_hashes = RowHashes(headers, _row_hashes(after, headers))
    return SheetComparison(len(before.rows), _compare_sheet(spec, before, after, now_hashes), now_hashes)


@dataclass(frozen=True, eq=False)
class SheetFingerprint:
    """One compared sheet of a version as row hashes, without its values: enough to tell, without reading that
    version again, that a later one only added rows (``only_added``), and else which of that version's rows to read
    (``rows_since``)."""

    sheet_name: str  # the sheet's name in that version
    source: str  # the digest of what its read depended on (``xlcrm.xlsx.sources``): which files it stands for
    headers: tuple[str, ...]  # the compared columns, in the order a comparison takes them
    row_hashes: np.ndarray  # one uint64 per data row, over the cells of ``headers``
    row_numbers: np.ndarray  # the Excel row number of each data row


def fingerprint(
    sheet: SheetData, locale: str, spec: Sheet, source: str, hashed: RowHashes | None = None
) -> SheetFingerprint:
    """``sheet`` (of a workbook in ``locale``, whose read depended on what digests to ``source``) as row hashes;
    ``hashed``: those a comparison of this same ``sheet`` worked out, taken over when over the same columns."""
    side = _Side.of(sheet, locale, spec)
    headers = tuple(side.values)
    hashes = hashed.hashes if hashed is not None and hashed.headers == headers else _row_hashes(side, headers)
    return SheetFingerprint(sheet.name, source, headers, hashes, side.rows)


@dataclass(frozen=True, eq=False)
class RowsSince:
    """A sheet as it is now, matched row for row by hash with the fingerprint of a saved version of it."""

    saved: SheetFingerprint
    after: _Side
    now: RowHashes  # the sheet's row hashes now, over the fingerprint's columns
    gone: np.ndarray  # positions of the saved version's rows that no row now matches, ascending
    new: np.ndarray  # positions of the rows now that no saved row matches, ascending

    def gone_rows(self) -> list[int]:
        """The Excel row numbers, in the saved version, of the rows no row now matches (ascending)."""
        numbers: list[int] = self.saved.row_numbers[self.gone].tolist()
        return numbers


def rows_since(saved: SheetFingerprint, now: SheetData | None, locale: str, spec: Sheet) -> RowsSince | None:
    """The sheet ``now`` (in ``locale``) matched with the version ``saved`` describes; None when ``now`` has a
    compared column that version lacked (only that version's values can tell what changed)."""
    after = _Side.of(now, locale, spec)
    if any(header not in saved.headers for header in after.values):
        return None
    right = _row_hashes(after, saved.headers)
    if saved.headers:
        gone, new = _unmatched(saved.row_hashes, right)
    else:  # no column to compare: nothing changed
        gone = new = np.empty(0, dtype=np.int64)
    return RowsSince(saved, after, RowHashes(saved.headers, right), gone, new)


def only_added(since: RowsSince, spec: Sheet) -> SheetComparison | None:
    """What changed on the sheet ``spec`` from the saved version of ``since`` to the sheet now, when every row of that
    version is still there unchanged, so rows were only added; None when not: only that version's values can tell
    what became of its rows left over (``changes_since``). The same as ``compare_workbooks`` gives, since rows are
    matched by the same hashes."""
    if len(since.gone):
        return None
    added_rows = [_added(spec, since.after, position) for position in since.new.tolist()]
    return SheetComparison(len(since.saved.row_hashes), added_rows, since.now)


def changes_since(since: RowsSince, gone_read: SheetData, locale: str, spec: Sheet) -> SheetComparison | None:
    """What changed on the sheet from the saved version of ``since`` to the sheet now, given ``gone_read``: the rows
    of that version that no row now matches, read from it (in ``locale``), those rows alone, at their row numbers
    (``RowsSince.gone_rows``). The same as ``compare_workbooks`` gives with the whole saved sheet, since only those
    rows are paired as changed or left as deleted.

    None when ``gone_read`` is not those rows: not at those row numbers, with other compared columns, or with other
    values than the fingerprint hashed. The caller then reads the saved sheet whole.
    """
    saved = since.saved
    before = _Side.of(gone_read, locale, spec)
    if (
        tuple(before.values) != saved.headers
        or not np.array_equal(before.rows, saved.row_numbers[since.gone])
        or not np.array_equal(_row_hashes(before, saved.headers), saved.row_hashes[since.gone])
    ):
        return None
    rows = _changes(spec, before, since.after, saved.headers, np.arange(len(since.gone)), since.new)
    return SheetComparison(len(saved.row_hashes), rows, since.now)


@dataclass(frozen=True, eq=False)
class _Side:
    """One version of a sheet, ready to compare: each compared column's cells as read and factorised."""

    rows: np.ndarray  # Excel row numbers
    values: dict[str, np.ndarray]  # header -> cells as read (object)
    factorized: dict[str, tuple[np.ndarray, Sequence[object]]]  # header -> codes and distinct values of the cells
    keys: dict[str, str]  # schema column key -> header, for the columns the sheet has

    @classmethod
    def of(cls, sheet: SheetData | None, locale: str, spec: Sheet) -> _Side:
        """The compared columns of ``sheet`` (no rows when the workbook lacks it)."""
        if sheet is None:
            return cls(np.empty(0, dtype=np.int64), {}, {}, {})
        values: dict[str, np.ndarray] = {}
        factorized: dict[str, tuple[np.ndarray, Sequence[object]]] = {}
        keys: dict[str, str] = {}
        for column in spec.columns:
            if sheet.has(column.key) and column.key in sheet.frame.columns:
                header = column.name(locale)
                keys[column.key] = header
                values[header] = sheet.frame[column.key].to_numpy(dtype=object)
                # The sheet's own distinct values: worked out once, for validation as well.
                factorized[header] = sheet.distinct(column.key)
        extra = sheet.extra_values
        if extra is not None:
            for header in extra.columns:
                if not _computed(spec, str(header)) and str(header) not in values:
                    values[str(header)] = cells = extra[header].to_numpy(dtype=object)
                    factorized[str(header)] = factorize_cells(pd.Series(cells, dtype=object))
        return cls(sheet.frame.index.to_numpy(dtype=np.int64), values, factorized, keys)

    def column_hashes(self, header: str) -> np.ndarray:
        """The column's cell hashes (equal cells, equal hashes), worked out once per distinct value; a column this
        version lacks is blank in every row."""
        cells = self.factorized.get(header)
        return np.full(len(self.rows), _BLANK, dtype=np.uint64) if cells is None else _cell_hashes(*cells)

    def cell_hashes(self, header: str, positions: np.ndarray) -> np.ndarray:
        """``column_hashes(header)[positions]``, hashing only the distinct values at ``positions``: the few rows a
        comparison pairs as changed cost little, however long the sheet."""
        cells = self.factorized.get(header)
        if cells is None:
            return np.full(len(positions), _BLANK, dtype=np.uint64)
        codes, distinct = cells
        at = codes[positions]
        used = np.unique(at[at >= 0])
        local = np.where(at >= 0, np.searchsorted(used, at), -1)  # blanks keep code -1
        return _cell_hashes(local, [distinct[code] for code in used.tolist()])

    def has_any(self, headers: Sequence[str], positions: np.ndarray) -> np.ndarray:
        """Whether each row at ``positions`` has a value in any of ``headers``."""
        filled = np.zeros(len(positions), dtype=bool)
        for header in headers:
            filled |= self.cell_hashes(header, positions) != _BLANK
        return filled

    def row_values(self, position: int) -> dict[str, object]:
        """Header -> value of the row at ``position``, blank cells left out."""
        return {header: cells[position] for header, cells in self.values.items() if not _blank(cells[position])}


def _computed(spec: Sheet, header: str) -> bool:
    """Whether a header outside the schema columns is xlcrm's (a computed ``▸`` column) or a formula column's."""
    if header.startswith(schema.REPORT_MARKER.strip()):
        return True
    folded = schema.fold(header)
    return any(
        folded in (schema.fold(f.column.en), schema.fold(f.column.ru)) for f in schema.FORMULA_COLUMNS.get(spec.key, ())
    )


def _compare_sheet(spec: Sheet, before: _Side, after: _Side, now: RowHashes) -> list[RowChange]:
    """The rows changed, deleted and added from ``before`` to ``after``, whose row hashes over the columns of both
    are ``now``."""
    gone, new = _unmatched(_row_hashes(before, now.headers), now.hashes)
    return _changes(spec, before, after, now.headers, gone, new)


def _changes(
    spec: Sheet, before: _Side, after: _Side, headers: Sequence[str], gone: np.ndarray, new: np.ndarray
) -> list[RowChange]:
    """The rows changed, deleted and added from ``before`` to ``after`` (compared over ``headers``), given the
    positions of the rows on each side that no row on the other matches: ``gone`` and ``new``."""
    key_headers = [header for key in PAIRING_KEYS[spec.key] if (header := before.keys.get(key) or after.keys.get(key))]
    # No cell hash is kept: for a million rows each column's are 8 MB a side. The rows left over are paired by the
    # hashes of their key cells alone, worked out for those rows only.
    pairs = _pairs(
        _row_hashes(before, key_headers, gone),
        _row_hashes(after, key_headers, new),
        before.has_any(key_headers, gone),
        after.has_any(key_headers, new),
    )
    paired_old, paired_new = gone[pairs[0]], new[pairs[1]]
    if spec.key in PAIRED_IN_PLACE:
        # A row whose key itself was corrected (an interaction's date or type) is left over on both sides: at the
        # same row, for the same client, with nothing else changed, it is that row changed, not one deleted and
        # another added.
        old_left, new_left = _without(gone, paired_old), _without(new, paired_new)
        in_place = _pairs(
            _in_place_keys(before, old_left),
            _in_place_keys(after, new_left),
            before.has_any(key_headers, old_left),
            after.has_any(key_headers, new_left),
        )
        old_place, new_place = old_left[in_place[0]], new_left[in_place[1]]
        # Only the key may differ: a row typed over with another interaction of the client (an order become a call,
        # its amount gone) is still one row deleted and one added, which stops a refresh.
        others = [header for header in headers if header not in key_headers]
        same = np.ones(len(old_place), dtype=bool)
        for header in others:
            same &= before.cell_hashes(header, old_place) == after.cell_hashes(header, new_place)
        paired_old = np.concatenate([paired_old, old_place[same]])
        paired_new = np.concatenate([paired_new, new_place[same]])
    # Which columns each pair differs in, a column at a time over all the pairs.
    differs = [before.cell_hashes(header, paired_old) != after.cell_hashes(header, paired_new) for header in headers]
    changes = [
        _changed(spec, before, after, tuple(itertools.compress(headers, columns)), old, new_position)
        for old, new_position, *columns in zip(paired_old.tolist(), paired_new.tolist(), *differs, strict=True)
    ]
    changes.sort(key=lambda change: change.now_row or 0)
    for position in _without(gone, paired_old).tolist():
        changes.append(
            RowChange(
                spec.key,
                DELETED,
                int(before.rows[position]),
                None,
                _client_id(before, position),
                (),
                before.row_values(position),
                {},
            )
        )
    changes.extend(_added(spec, after, position) for position in _without(new, paired_new).tolist())
    return changes


def _added(spec: Sheet, after: _Side, position: int) -> RowChange:
    row = int(after.rows[position])
    return RowChange(spec.key, ADDED, None, row, _client_id(after, position), (), {}, after.row_values(position))


def _changed(spec: Sheet, before: _Side, after: _Side, columns: tuple[str, ...], old: int, new: int) -> RowChange:
    """The change of the row at ``old`` into the one at ``new``, which differ in ``columns``."""
    was, now = before.row_values(old), after.row_values(new)
    return RowChange(
        spec.key,
        CHANGED,
        int(before.rows[old]),
        int(after.rows[new]),
        _client_id(after, new) or _client_id(before, old),
        columns,
        {header: was.get(header) for header in columns},
        {header: now.get(header) for header in columns},
    )


def _in_place_keys(side: _Side, positions: np.ndarray) -> np.ndarray:
    """For the rows at ``positions``: a hash of their Excel row number and ClientID, equal only for the same row of
    the same client."""
    clients = _row_hashes(side, [side.keys["client_id"]], positions) if "client_id" in side.keys else 0
    return np.asarray(pd.util.hash_array(side.rows[positions].astype(np.uint64)) ^ clients, dtype=np.uint64)


def _client_id(side: _Side, position: int) -> str | None:
    header = side.keys.get("client_id")
    if header is None:
        return None
    value = side.values[header][position]
    return None if _blank(value) else _text(value)


def _unmatched(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (ascending) of the rows of ``left`` and of ``right`` (row hashes) that no equal row on the other side
    matches; equal rows pair off one for one, in order."""
    # One hash table codes both sides; a value's rows on one side are left over only where that side holds more of it,
    # so the ranks among equal rows are worked out for those few rows, not for every row of both sheets.
    codes, distinct = pd.factorize(np.concatenate([left, right]))
    count = len(distinct)
    del distinct
    left_codes, right_codes = codes[: len(left)], codes[len(left) :]
    left_counts, right_counts = np.bincount(left_codes, minlength=count), np.bincount(right_codes, minlength=count)
    return _surplus(left_codes, left_counts, right_counts), _surplus(right_codes, right_counts, left_counts)


def _surplus(codes: np.ndarray, counts: np.ndarray, other_counts: np.ndarray) -> np.ndarray:
    """Positions of the values (``codes``) that the other side holds fewer of (``counts`` and ``other_counts`` per
    code): the first rows of each value pair off with the other side's, the rest are left over."""
    candidates = np.flatnonzero((counts > other_counts)[codes])
    held = codes[candidates]
    rank = pd.Series(held).groupby(held, sort=False).cumcount().to_numpy()
    surplus: np.ndarray = candidates[rank >= other_counts[held]]
    return surplus


def _without(positions: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """``positions`` (ascending) without those in ``taken``."""
    kept: np.ndarray = positions[~np.isin(positions, taken, assume_unique=True)]
    return kept


def _pairs(
    left: np.ndarray, right: np.ndarray, left_usable: np.ndarray | None = None, right_usable: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``left`` and ``right`` of equal values paired off one for one: the first of each value on one side
    with the first on the other, and so on. Positions not ``usable`` take no part."""
    left_frame = _ranked(left, left_usable)
    right_frame = _ranked(right, right_usable)
    joined = left_frame.merge(right_frame, on=["value", "rank"], suffixes=("_left", "_right"))
    return (
        joined["position_left"].to_numpy(dtype=np.int64),
        joined["position_right"].to_numpy(dtype=np.int64),
    )


def _ranked(values: np.ndarray, usable: np.ndarray | None) -> pd.DataFrame:
    """Each usable value's position and its rank among the equal values before it."""
    positions = np.arange(len(values)) if usable is None else np.flatnonzero(usable)
    frame: pd.DataFrame = pd.DataFrame({"value": values[positions], "position": positions})
    frame["rank"] = frame.groupby("value", sort=False).cumcount()
    return frame


def _row_hashes(side: _Side, headers: Sequence[str], positions: np.ndarray | None = None) -> np.ndarray:
    """One hash per row (of the rows at ``positions``, or of all) over the cells of ``headers``: what
    ``pd.util.hash_pandas_object`` gives for a frame of their cell hashes, combined a column at a time (pandas'
    ``combine_hash_arrays``, CPython's tuple hash) so that no such frame is built: a million rows of a dozen columns
    would take a hundred megabytes."""
    count = len(side.rows) if positions is None else len(positions)
    if not headers:
        return np.zeros(count, dtype=np.uint64)
    hashes = np.full(count, 0x345678, dtype=np.uint64)
    multiplier = np.uint64(1000003)
    for position, header in enumerate(headers):
        cells = side.column_hashes(header) if positions is None else side.cell_hashes(header, positions)
        hashes ^= pd.util.hash_array(cells)
        hashes *= multiplier
        left = len(headers) - position
        multiplier += np.uint64(82520 + left + left)
    hashes += np.uint64(97531)
    return hashes


def _cell_hashes(codes: np.ndarray, distinct: Sequence[object]) -> np.ndarray:
    """One hash per cell of a column given as ``factorize_cells`` gives it, worked out once per distinct value:
    equal values (1 and 1.0, a date and midnight of that day, texts as read) hash equal, blanks all hash
    ``_BLANK``."""
    if not distinct:
        return np.full(len(codes), _BLANK, dtype=np.uint64)
    canonical = np.empty(len(distinct) + 1, dtype=object)
    canonical[:-1] = distinct
    canonical[-1] = ""
    # Texts hash as they are (in C, a hundred thousand names at once); other values as a text of their own.
    other = np.flatnonzero(np.fromiter((type(value) is not str for value in distinct), dtype=bool, count=len(distinct)))
    canonical[other] = [_canonical(distinct[position]) for position in other.tolist()]
    by_value = pd.util.hash_array(canonical, categorize=False)  # the values are distinct: nothing to gain
    by_value[-1] = _BLANK
    hashes: np.ndarray = by_value[codes]  # code -1 (a blank) takes the last one
    return hashes


_BLANK = np.uint64(0)


def _canonical(value: object) -> str:
    """A text that is equal for values other than text a user sees as equal, tells apart values of different
    types, and is never a cell's text (it starts with a NUL, which no worksheet holds)."""
    if isinstance(value, bool):
        return f"\0b:{value}"
    if isinstance(value, (int, float)):
        number = float(value)
        return f"\0n:{int(number)}" if number.is_integer() else f"\0n:{number!r}"
    if isinstance(value, dt.datetime):
        return f"\0d:{value.date().isoformat()}" if value.time() == dt.time() else f"\0t:{value.isoformat()}"
    if isinstance(value, dt.date):
        return f"\0d:{value.isoformat()}"
    if isinstance(value, dt.timedelta):
        return f"\0t:{value.total_seconds()!r}"
    return f"\0s:{value}"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _text(value: object) -> str:
    """A ClientID as text: an ID typed as a number reads as a whole number."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
