"""A segment's list: the clients a filter of the segment language picks, as rows for a mailing service or a call list.

The segment is a named segment of Settings (its name matched without regard to case, spaces and ё) or a filter
written out (:mod:`xlcrm.checks.segment_language`). Clients the mailing list leaves out for consent
(:func:`xlcrm.export.mailing.not_to_mail`: erased, designated Lost, a person without the consent the Settings
require) are left out and counted, unless the consent check is turned off; rows without a ClientID of their own
(blank, or shared by several rows) are not looked at, only counted. The columns are chosen by field (a Clients column
by its header in either language or its key, a computed one, consent, one of the owner's own Clients columns by its
header, as typed there); by default those a mailing service imports:
name, e-mail and phone. The rows are written by the mailing list's writers (CSV for Russian Excel, or .xlsx).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.checks.own_fields import own_fields, own_header
from xlcrm.checks.segment_language import FIELDS, Field, FieldKind, SegmentFilter, find_field, parse_filter
from xlcrm.checks.segments import find_segment, named_segments
from xlcrm.errors import UsageError, error_text
from xlcrm.export.mailing import MailingList, leave_out, not_to_mail, own_column_texts, sheet_texts
from xlcrm.lifecycle.analysis import Analysis
from xlcrm.lifecycle.segments import ClientFields, client_fields, matches
from xlcrm.messages import t

DEFAULT_COLUMNS = ("name", "email", "phone")
_COMPUTED_KEYS = frozenset(column.key for column in schema.CLIENT_COMPUTED_COLUMNS)


@dataclass(frozen=True)
class SegmentList:
    """The segment asked for (its name on Settings, or the filter as given), how many clients it picks, and its
    rows with the clients left out by reason."""

    segment: str  # a named segment's name as Settings spell it, or the filter as given
    named: bool  # a named segment of Settings
    matched: int
    rows: MailingList
    unchecked: int = 0  # rows of Clients without a ClientID of their own: not looked at

    def to_dict(self) -> dict[str, Any]:
        """The list's figures as JSON-ready values."""
        return {
            "segment": self.segment,
            "named": self.named,
            "matched": self.matched,
            "unchecked": self.unchecked,
            **self.rows.to_dict(),
        }


def segment_columns(names: Sequence[str] | None, own: Sequence[Field] = ()) -> tuple[Field, ...]:
    """The fields ``names`` stand for (the default columns when None), xlcrm's or the owner's columns ``own``, each
    once, in the order first named («name, Контактное лицо» is one column); raises UsageError at a name no field
    has."""
    chosen: list[Field] = []
    for name in names or DEFAULT_COLUMNS:
        found = find_field(name, own)
        if found is None:
            known = ", ".join(
                [*(f"{item.typed_name('en')} ({item.typed_name('ru')})" for item in FIELDS), *(item.en for item in own)]
            )
            raise UsageError(t('--columns: no field "{name}"; the fields are: {known}', name=name, known=known))
        if found not in chosen:
            chosen.append(found)
    return tuple(chosen)


def segment_list(
    analysis: Analysis, segment: str, columns: Sequence[str] | None = None, *, consent_check: bool = True
) -> SegmentList:
    """The list of the clients ``segment`` picks (a name of Settings or a filter), with the ``columns`` asked for;
    raises SegmentFilterError when the filter cannot be read, UsageError at an unknown column."""
    own = own_fields(analysis.data)
    fields = segment_columns(columns, own)
    chosen, name = _segment_filter(analysis, segment, own)
    keys = chosen.fields() | {item.key for item in fields}
    values = client_fields(analysis.data, analysis.lifecycle, keys, chosen.own_fields())
    picked = matches(chosen, values)
    reasons = not_to_mail(analysis) if consent_check else {}
    kept, left_out = leave_out(picked, reasons)
    locale = analysis.frames.locale
    cells = [_cells(analysis, values, item, locale)[kept] for item in fields]
    rows = [[str(cell) for cell in row] for row in zip(*cells)]
    header = [item.name(locale) for item in fields]
    listed = MailingList(header, rows, left_out, tuple(item.key for item in fields))
    unchecked = len(analysis.frames.clients) - len(analysis.lifecycle.clients)
    return SegmentList(name or segment, name is not None, int(picked.sum()), listed, unchecked)


def _segment_filter(analysis: Analysis, segment: str, own: Sequence[Field]) -> tuple[SegmentFilter, str | None]:
    """The filter of the named segment ``segment`` and its name as Settings spell it, or ``segment`` read as a
    filter (its fields xlcrm's and the owner's columns ``own``) and None."""
    named = named_segments(analysis.data)
    found = find_segment(named, segment)
    if found is not None:
        if found.filter is None:
            assert found.error is not None  # a segment's filter is read, or its error kept
            raise type(found.error)(
                t(
                    "the segment {name} on {cell}: {error}",
                    name=found.name,
                    cell=found.cell,
                    error=error_text(found.error),
                ),
                found.error.position,
            )
        return found.filter, found.name
    return parse_filter(segment, analysis.frames.locale, own), None


def _cells(analysis: Analysis, values: ClientFields, item: Field, locale: str) -> np.ndarray:
    """The text of a field for each client, as the list shows it."""
    if item.own:
        return own_column_texts(analysis, own_header(item))
    column = values.values[item.key]
    if item.key == "block":
        labels = {block.number: block.label(locale) for block in schema.BLOCKS}
        return np.array([labels[int(number)] for number in column], dtype=object)
    if item.kind is FieldKind.YES_NO:
        yes, no = schema.YES.name(locale), schema.NO.name(locale)
        return np.where(column.to_numpy(dtype=bool), yes, no).astype(object)
    if item.key in _COMPUTED_KEYS:
        return _computed_texts(column, locale)
    typed = sheet_texts(analysis, item.key)
    if item.kind is FieldKind.NUMBER:  # a Discount of 12.5 as «12,5» in Russian, as a computed number is written
        return np.where(column.isna().to_numpy(), typed, _computed_texts(column, locale)).astype(object)
    return typed


def _computed_texts(column: pd.Series, locale: str) -> np.ndarray:
    """Numbers and dates xlcrm computed, as text: whole numbers without a point, dates as 31.12.2026, a fraction
    with the decimal sign of ``locale`` (a comma in Russian: Russian Excel reads «1234.50» as text, «1.50» as a
    date)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return np.array(["" if pd.isna(day) else f"{day:%d.%m.%Y}" for day in column], dtype=object)
    return np.array([_number_text(number, locale) for number in column.to_numpy(dtype=float)], dtype=object)


def _number_text(number: float, locale: str) -> str:
    if np.isnan(number):
        return ""
    if number.is_integer():
        return str(int(number))
    text = f"{number:.2f}"
    return text.replace(".", ",") if locale == "ru" else text
