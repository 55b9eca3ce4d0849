"""The user sheets as typed frames: real dates, amounts, list keys and text IDs, ready for lifecycle and reports.

``read_workbook`` keeps values as typed so validation can point at them; the
engine needs them parsed. Parsing runs once per distinct value (a log of a
million rows holds a few thousand distinct dates), never once per cell, and a
value that cannot be parsed becomes blank here: validation reports it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from xlcrm import schema
from xlcrm.checks.holidays import read_holidays
from xlcrm.checks.normalize import as_text, is_blank, parse_amount, parse_date, text_or_none
from xlcrm.messages import t
from xlcrm.runtime import progress
from xlcrm.schema import ListValue
from xlcrm.xlsx.reader import SheetData, WorkbookData


@dataclass(frozen=True)
class Frames:
    """Parsed user sheets; every frame is indexed by its Excel row number.

    Dates are ``datetime64`` at midnight (NaT when blank or unreadable),
    ``amount`` is float (NaN when blank), ``type`` and ``designation`` hold
    the key of a built-in list value (``"order"``, ``"vip"``) or None, text
    columns hold stripped text or None. ``type_name`` is the interaction type
    as the workbook's language spells it (a user's own type as typed).
    On clients, ``source``, ``city`` and ``card_number`` are text as typed, ``rating``, ``discount`` and
    ``payment_term`` floats (NaN when blank). On interactions, ``order_number`` is the order's number (on an order)
    or the order it is for (on a payment or return), as text.
    ``contracts`` (empty when the workbook has no Contracts sheet) holds
    ``contract_id``, ``client_id``, ``parent_id``, ``subject`` as text,
    ``date``, ``valid_from``, ``valid_until`` as dates, ``amount`` as float and
    ``status`` as a contract status key (``"active"``; None when blank or not
    a built-in status) and ``status_text`` the status as typed.
    """

    locale: str
    clients: pd.DataFrame
    contacts: pd.DataFrame
    interactions: pd.DataFrame
    services: tuple[str, ...]  # My Services, in sheet order
    # The holidays to greet clients on, from Settings (the defaults when it has no holiday columns); validation
    # reports the rows left out.
    holidays: tuple[schema.Holiday, ...] = schema.DEFAULT_HOLIDAYS
    contracts: pd.DataFrame = field(default_factory=lambda: contracts_frame(None))


@progress.step(t("reading dates, amounts and types"))
def build_frames(data: WorkbookData) -> Frames:
    """The user sheets as typed frames: parsed dates, amounts, phones and list values; a return's amount is
    below zero however it was typed."""
    clients = _sheet(data, schema.CLIENTS)
    contacts = _sheet(data, schema.CONTACTS)
    interactions = _sheet(data, schema.INTERACTIONS)
    services = _sheet(data, schema.SERVICES)

    client_frame = pd.DataFrame(index=_index(clients))
    for key in ("client_id", "name", "company", "phone", "email", "city", "source", "manager", "card_number"):
        client_frame[key] = _text(clients, key)
    for key in ("rating", "discount", "payment_term"):
        client_frame[key] = _numbers(clients, key)
    client_frame["designation"] = _list_key(clients, "designation", schema.DESIGNATIONS)
    client_frame["lost_reason"] = _text(clients, "lost_reason")
    client_frame["birthday"] = _dates(clients, "birthday")
    client_frame["created"] = _dates(clients, "created")
    client_frame["consent_date"] = _dates(clients, "consent_date")

    contact_frame = pd.DataFrame(index=_index(contacts))
    for key in ("client_id", "name", "phone"):
        contact_frame[key] = _text(contacts, key)
    contact_frame["birthday"] = _dates(contacts, "birthday")

    frame = pd.DataFrame(index=_index(interactions))
    frame["date"] = _dates(interactions, "date")
    frame["client_id"] = _text(interactions, "client_id")
    frame["type"] = _list_key(interactions, "type", schema.INTERACTION_TYPES)
    frame["type_name"] = _map_distinct(interactions, "type", lambda v: _type_name(v, data.locale))
    frame["service"] = _text(interactions, "service")
    frame["amount"] = _numbers(interactions, "amount")
    frame["order_number"] = _text(interactions, "order_number")
    # A return lowers revenue by its amount whichever sign it was typed with: «Возврат 5000» is «Возврат -5000».
    returns = (frame["type"] == schema.RETURN.key).to_numpy()
    frame.loc[returns, "amount"] = -frame.loc[returns, "amount"].abs()
    for key in ("manager", "comment", "result", "next_action"):
        frame[key] = _text(interactions, key)
    frame["next_date"] = _dates(interactions, "next_date")

    service_names = tuple(dict.fromkeys(v for v in _text(services, "service") if v is not None))
    holidays, _findings = read_holidays(data)  # validation reports them
    contracts = contracts_frame(_sheet(data, schema.CONTRACTS))
    return Frames(data.locale, client_frame, contact_frame, frame, service_names, holidays, contracts)


def contracts_frame(contracts: SheetData | None) -> pd.DataFrame:
    """The Contracts sheet as a typed frame indexed by row (empty, with every column, when there is none)."""
    frame: pd.DataFrame = pd.DataFrame(index=_index(contracts))
    for key in ("contract_id", "client_id", "number", "subject", "parent_id", "comment"):
        frame[key] = _text(contracts, key)
    for key in ("date", "valid_from", "valid_until"):
        frame[key] = _dates(contracts, key)
    frame["amount"] = _numbers(contracts, "amount")
    frame["status"] = _list_key(contracts, "status", schema.CONTRACT_STATUSES)
    frame["status_text"] = _text(contracts, "status")  # tells a blank status (Active) from one not on the list
    return frame


def _sheet(data: WorkbookData, spec: schema.Sheet) -> SheetData | None:
    """The sheet, or None when it is missing or its headers were not understood."""
    sheet: SheetData | None = data.sheet(spec.key)
    if sheet is None or data.misplaced_header(spec.key):
        return None
    return sheet


def _index(sheet: SheetData | None) -> pd.Index:
    return sheet.frame.index if sheet is not None else pd.Index([], dtype=int, name="row")


def _map_distinct(sheet: SheetData | None, key: str, convert: Callable[[object], object]) -> pd.Series:
    """``convert`` applied once per distinct value of a column (a blank cell gives ``convert(None)``).

    Values are told apart by type as well as value, so ``True`` and ``1`` (equal in Python) stay apart.
    """
    if sheet is None:
        return pd.Series([], index=_index(sheet), dtype=object)
    converted: pd.Series = pd.Series(sheet.each_cell(key, convert), index=sheet.frame.index, dtype=object)
    return converted


def _text(sheet: SheetData | None, key: str) -> pd.Series:
    """Each cell as the text a person sees in it, None for a blank."""
    return _map_distinct(sheet, key, text_or_none)


def _dates(sheet: SheetData | None, key: str) -> pd.Series:
    if sheet is None:
        return pd.Series([], index=_index(sheet), dtype="datetime64[ns]")
    # Spread as numbers (None is NaT), never as a million date objects.
    days = sheet.each_cell(key, _date_or_none, dtype="datetime64[ns]")
    dates: pd.Series = pd.Series(days, index=sheet.frame.index, dtype="datetime64[ns]")
    return dates


def _numbers(sheet: SheetData | None, key: str) -> pd.Series:
    """A column of amounts or numbers as floats: NaN when blank or not a number (validation reports it)."""
    return _map_distinct(sheet, key, lambda v: parse_amount(v).amount if not is_blank(v) else None).astype(float)


def _date_or_none(value: object) -> dt.datetime | None:
    day = parse_date(value).date
    return dt.datetime(day.year, day.month, day.day) if day else None


def _list_key(sheet: SheetData | None, key: str, values: Iterable[ListValue]) -> pd.Series:
    known = tuple(values)

    def convert(value: object) -> str | None:
        match = schema.match_list_value(value, known)
        return match.key if match else None

    return _map_distinct(sheet, key, convert)


def _type_name(value: object, locale: str) -> str | None:
    if is_blank(value):
        return None
    match = schema.match_list_value(value, schema.INTERACTION_TYPES)
    return match.name(locale) if match else as_text(value)
