"""The user sheets as typed frames: real dates, amounts, list keys and text IDs, ready for lifecycle and reports.

``read_workbook`` keeps values as typed so validation can point at them; the
engine needs them parsed. Parsing runs once per distinct value (a log of a
million rows holds a few thousand distinct dates), never once per cell, and a
value that cannot be parsed becomes blank here: validation reports it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from xlcrm import progress, schema
from xlcrm.normalize import as_text, is_blank, parse_amount, parse_date
from xlcrm.schema import ListValue
from xlcrm.workbook import SheetData, WorkbookData

@dataclass(frozen=True)
class Frames:
    """Parsed user sheets; every frame is indexed by its Excel row number.

    Dates are ``datetime64`` at midnight (NaT when blank or unreadable),
    ``amount`` is float (NaN when blank), ``type`` and ``designation`` hold
    the key of a built-in list value (``"order"``, ``"vip"``) or None, text
    columns hold stripped text or None. ``type_name`` is the interaction type
    as the workbook's language spells it (a user's own type as typed).
    """

    locale: str
    clients: pd.DataFrame
    contacts: pd.DataFrame
    interactions: pd.DataFrame
    services: tuple[str, ...]  # My Services, in sheet order


@progress.step("reading dates, amounts and types")
def build_frames(data: WorkbookData) -> Frames:
    clients = _sheet(data, schema.CLIENTS)
    contacts = _sheet(data, schema.CONTACTS)
    interactions = _sheet(data, schema.INTERACTIONS)
    services = _sheet(data, schema.SERVICES)

    client_frame = pd.DataFrame(index=clients.index)
    for key in ("client_id", "name", "company", "phone", "manager"):
        client_frame[key] = _text(clients, key)
    client_frame["designation"] = _list_key(clients, "designation", schema.DESIGNATIONS)
    client_frame["birthday"] = _dates(clients, "birthday")
    client_frame["created"] = _dates(clients, "created")

    contact_frame = pd.DataFrame(index=contacts.index)
    for key in ("client_id", "name", "phone"):
        contact_frame[key] = _text(contacts, key)
    contact_frame["birthday"] = _dates(contacts, "birthday")

    frame = pd.DataFrame(index=interactions.index)
    frame["date"] = _dates(interactions, "date")
    frame["client_id"] = _text(interactions, "client_id")
    frame["type"] = _list_key(interactions, "type", schema.INTERACTION_TYPES)
    frame["type_name"] = _map_distinct(_column(interactions, "type"), lambda v: _type_name(v, data.locale))
    frame["service"] = _text(interactions, "service")
    frame["amount"] = _map_distinct(_column(interactions, "amount"),
                                    lambda v: parse_amount(v).amount if not is_blank(v) else None).astype(float)
    for key in ("manager", "next_action"):
        frame[key] = _text(interactions, key)
    frame["next_date"] = _dates(interactions, "next_date")

    service_names = tuple(dict.fromkeys(v for v in _text(services, "service") if v is not None))
    return Frames(data.locale, client_frame, contact_frame, frame, service_names)


def _sheet(data: WorkbookData, spec: schema.Sheet) -> pd.DataFrame:
    """The sheet's frame, or an empty one when the sheet is missing or its headers were not understood."""
    sheet: SheetData | None = data.sheet(spec.key)
    if sheet is None or data.misplaced_header(spec.key):
        return pd.DataFrame(index=pd.Index([], dtype=int, name="row"))
    return sheet.frame


def _column(frame: pd.DataFrame, key: str) -> pd.Series:
    if key in frame.columns:
        return frame[key]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _map_distinct(values: pd.Series, convert: Callable[[object], object]) -> pd.Series:
    """``convert`` applied once per distinct value.

    Values are keyed by type as well as value, so ``True`` and ``1`` (equal in Python) stay apart.
    """
    if values.empty:
        return pd.Series([], index=values.index, dtype=object)
    raw = values.to_numpy(dtype=object)
    codes, distinct = pd.factorize(raw, use_na_sentinel=False)
    if any(isinstance(v, bool) or (isinstance(v, (int, float)) and v in (0, 1)) for v in distinct):
        # A True and a 1 may have been taken for one value: key by type too (slower, so only then).
        codes, typed = pd.factorize(pd.Series([(type(v), v) for v in raw], dtype=object), use_na_sentinel=False)
        distinct = [value for _, value in typed]
    converted = np.empty(len(distinct), dtype=object)
    converted[:] = [convert(value) for value in distinct]
    return pd.Series(converted[codes], index=values.index, dtype=object)


def _text(frame: pd.DataFrame, key: str) -> pd.Series:
    return _map_distinct(_column(frame, key), lambda v: None if is_blank(v) else as_text(v))


def _dates(frame: pd.DataFrame, key: str) -> pd.Series:
    parsed = _map_distinct(_column(frame, key), _date_or_none)
    return pd.to_datetime(parsed, errors="coerce").astype("datetime64[ns]")


def _date_or_none(value: object) -> dt.datetime | None:
    day = parse_date(value).date
    return dt.datetime(day.year, day.month, day.day) if day else None


def _list_key(frame: pd.DataFrame, key: str, values: Iterable[ListValue]) -> pd.Series:
    known = tuple(values)

    def convert(value: object) -> str | None:
        match = schema.match_list_value(value, known)
        return match.key if match else None

    return _map_distinct(_column(frame, key), convert)


def _type_name(value: object, locale: str) -> str | None:
    if is_blank(value):
        return None
    match = schema.match_list_value(value, schema.INTERACTION_TYPES)
    return match.name(locale) if match else as_text(value)
