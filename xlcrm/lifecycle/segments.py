"""Segments evaluated: which clients a filter of the segment language (:mod:`xlcrm.checks.segment_language`) picks.

The filter runs over one frame of every client with a ClientID of its own (as :class:`Lifecycle` counts them):
each Clients column as typed (dates and numbers parsed once per distinct value), the owner's own columns a filter
tests (:mod:`xlcrm.checks.own_fields`), the computed columns of the lifecycle, and ``consent``. A condition is a
vectorised comparison over one column; a blank cell satisfies no comparison, so its negation (``!=``, ``not in``)
holds for it.

``consent`` says the client may be mailed: it has a Consent date, or the Settings do not require consent, or it
is no person (a company: :func:`xlcrm.checks.consent.persons`); an erased client never may.
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.checks.consent import is_erased, persons
from xlcrm.checks.normalize import as_text, is_blank, parse_amount, parse_date
from xlcrm.checks.own_fields import own_header
from xlcrm.checks.segment_language import (
    CONSENT,
    FIELDS,
    AllOf,
    AnyOf,
    Condition,
    Field,
    FieldKind,
    Node,
    Not,
    SegmentFilter,
)
from xlcrm.checks.segments import NamedSegment, named_segments
from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.xlsx.reader import SheetData, WorkbookData, factorize_cells

_TESTS: dict[str, Callable[[Any, Any], Any]] = {
    "=": op.eq,
    "<": op.lt,
    "<=": op.le,
    ">": op.gt,
    ">=": op.ge,
}
# The Clients columns the consent of a client is decided by.
_CONSENT_NEEDS = frozenset({"name", "company", "consent_date"})
_COMPUTED = tuple(column.key for column in schema.CLIENT_COMPUTED_COLUMNS)


@dataclass(frozen=True)
class ClientFields:
    """Every field of every client, indexed by ClientID like ``Lifecycle.clients``: text as a person sees it ("" for
    a blank), numbers as floats and dates as ``datetime64`` (NaN and NaT for a blank or unreadable cell), the block
    as its number, Designation as its key (None for blank or unknown), consent as a bool."""

    values: pd.DataFrame


def client_fields(
    data: WorkbookData, lifecycle: Lifecycle, keys: Iterable[str] | None = None, own: Iterable[Field] = ()
) -> ClientFields:
    """The fields of the clients ``lifecycle`` counts, read from the Clients sheet of ``data`` and the lifecycle:
    those of ``keys`` (all when None), the owner's columns ``own`` and the computed ones, which cost nothing
    more."""
    wanted = {item.key for item in FIELDS} if keys is None else set(keys)
    if CONSENT.key in wanted:
        wanted |= _CONSENT_NEEDS
    clients = lifecycle.clients
    sheet = data.sheet(schema.CLIENTS.key)
    rows = clients["row"].to_numpy()
    positions = sheet.frame.index.get_indexer(pd.Index(rows)) if sheet is not None else np.full(len(rows), -1)
    columns: dict[str, object] = {}
    for item in FIELDS:
        if item.key in _COMPUTED or item.kind is FieldKind.YES_NO or item.key not in wanted:
            continue
        if sheet is None or not sheet.has(item.key):
            cells = np.array([_read(item.kind, None)] * len(rows), dtype=object)
        else:
            cells = sheet.each_cell(item.key, partial(_read, item.kind))[positions]
        columns[item.key] = _typed(item.kind, cells)
    for item in own:
        columns[item.key] = _typed(item.kind, _own_cells(sheet, item, positions))
    values = pd.DataFrame(columns, index=clients.index)
    for key in _COMPUTED:
        values[key] = clients[key].to_numpy()
    values["block"] = values["block"].astype(float)
    values["orders"] = values["orders"].astype(float)
    if CONSENT.key in wanted:
        values[CONSENT.key] = _consent(values, lifecycle)
    return ClientFields(values)


def _own_cells(sheet: SheetData | None, item: Field, positions: np.ndarray) -> np.ndarray:
    """The cells of the owner's column ``item`` at ``positions`` of the Clients sheet, read for its kind."""
    header = own_header(item)
    extra = sheet.extra_values if sheet is not None else None
    if extra is None or header not in extra.columns:
        return np.array([_read(item.kind, None)] * len(positions), dtype=object)
    codes, distinct = factorize_cells(extra[header])
    converted = np.array([_read(item.kind, value) for value in distinct] + [_read(item.kind, None)], dtype=object)
    cells: np.ndarray = converted[codes][positions]
    return cells


def _read(kind: FieldKind, value: object) -> object:
    """A Clients cell as its field's kind reads it."""
    if is_blank(value):
        return None if kind in (FieldKind.DESIGNATION, FieldKind.DATE, FieldKind.NUMBER) else ""
    if kind is FieldKind.NUMBER:
        return parse_amount(value).amount
    if kind is FieldKind.DATE:
        return parse_date(value).date
    if kind is FieldKind.DESIGNATION:
        match = schema.match_list_value(value, schema.DESIGNATIONS)
        return match.key if match else None
    return as_text(value)


def _typed(kind: FieldKind, cells: np.ndarray) -> np.ndarray:
    if kind is FieldKind.NUMBER:
        return np.array([np.nan if cell is None else cell for cell in cells], dtype=float)
    if kind is FieldKind.DATE:
        days: np.ndarray = pd.to_datetime(pd.Series(cells, dtype=object)).to_numpy(dtype="datetime64[ns]")
        return days
    return cells


def _consent(values: pd.DataFrame, lifecycle: Lifecycle) -> np.ndarray:
    """Per client, whether it may be mailed (see the module's text)."""
    names, companies = values["name"], values["company"]
    codes, distinct = pd.factorize(names.to_numpy(dtype=object))  # once per distinct name
    erased: np.ndarray = np.array([is_erased(name) for name in distinct] + [False], dtype=bool)[codes]
    if not lifecycle.settings.consent_required:
        return ~erased
    has_date = values["consent_date"].notna().to_numpy()
    allowed: np.ndarray = (has_date | ~persons(names, companies)) & ~erased
    return allowed


def matches(segment: SegmentFilter, fields: ClientFields) -> np.ndarray:
    """Per client (in ``fields`` order), whether the filter picks it."""
    return _evaluate(segment.root, fields.values)


def _evaluate(node: Node, values: pd.DataFrame) -> np.ndarray:
    result: np.ndarray
    if isinstance(node, Not):
        result = ~_evaluate(node.operand, values)
    elif isinstance(node, AllOf):
        result = np.logical_and.reduce([_evaluate(operand, values) for operand in node.operands])
    elif isinstance(node, AnyOf):
        result = np.logical_or.reduce([_evaluate(operand, values) for operand in node.operands])
    else:
        held = _holds(node, values[node.field.key])
        result = ~held if node.negated else held
    return result


def _holds(condition: Condition, column: pd.Series) -> np.ndarray:
    """Whether each client's value passes the condition, its negation aside."""
    kind, operator = condition.field.kind, condition.operator
    if kind is FieldKind.TEXT:
        column = _folded(column)
    if operator == "yes":
        return column.to_numpy(dtype=bool)
    if operator == "empty":
        blank: np.ndarray = (column == "").to_numpy() if kind is FieldKind.TEXT else column.isna().to_numpy()
        return blank
    if operator == "contains":
        return column.str.contains(str(condition.values[0]), regex=False).to_numpy(dtype=bool)
    if operator == "in":
        anyone: np.ndarray = np.logical_or.reduce([_compare(column, "=", value, kind) for value in condition.values])
        return anyone
    return _compare(column, operator, condition.values[0], kind)


def _compare(column: pd.Series, operator: str, value: object, kind: FieldKind) -> np.ndarray:
    """``column operator value`` for each client; False for a blank."""
    test = _TESTS[operator]
    if kind in (FieldKind.TEXT, FieldKind.DESIGNATION):
        codes, distinct = pd.factorize(column.to_numpy(dtype=object))  # None is -1: the answer at the end
        answers = np.array([item != "" and bool(test(item, value)) for item in distinct] + [False], dtype=bool)
        by_client: np.ndarray = answers[codes]
        return by_client
    if kind is FieldKind.DATE:
        days = column.to_numpy(dtype="datetime64[ns]")
        on_day: np.ndarray = np.asarray(test(days, pd.Timestamp(str(value)).to_datetime64())) & ~np.isnat(days)
        return on_day
    numbers = column.to_numpy(dtype=float)
    compared: np.ndarray = np.asarray(test(numbers, value)) & ~np.isnan(numbers)
    return compared


def _folded(column: pd.Series) -> pd.Series:
    """Texts folded as the filter's values are (case, spaces, ё), once per distinct text."""
    codes, distinct = pd.factorize(column.to_numpy(dtype=object))
    folded = np.array([schema.fold(text) for text in distinct] + [""], dtype=object)
    texts: pd.Series = pd.Series(folded[codes], index=column.index, dtype=object)
    return texts


def may_be_mailed(fields: ClientFields) -> np.ndarray:
    """Per client, whether a mailing may include it: consent (see the module's text) and not designated Lost, as
    the mailing list of :mod:`xlcrm.export.mailing` decides."""
    values = fields.values
    allowed: np.ndarray = values["consent"].to_numpy(dtype=bool) & (values["designation"] != schema.LOST.key).to_numpy()
    return allowed


@dataclass(frozen=True)
class Segments:
    """The named segments of Settings and the fields of every client they are evaluated over."""

    named: list[NamedSegment]
    fields: ClientFields


def segments_of(data: WorkbookData, lifecycle: Lifecycle) -> Segments:
    """The named segments of the workbook ``data`` holds and the fields of its clients they test (with those
    :func:`may_be_mailed` needs; none of the Clients columns when no segment has a filter)."""
    named = named_segments(data)
    filters = [segment.filter for segment in named if segment.filter is not None]
    keys = {key for segment_filter in filters for key in segment_filter.fields()}
    own = {item for segment_filter in filters for item in segment_filter.own_fields()}
    return Segments(named, client_fields(data, lifecycle, keys | _MAILABLE_NEEDS if filters else keys, own))


# The fields :func:`may_be_mailed` tests.
_MAILABLE_NEEDS = frozenset({CONSENT.key, "designation"})
