"""Validation: every problem in a workbook as a Finding that names its cell.

Checks run column by column rather than row by row: a workbook may hold a
million interactions, so membership and duplicate checks are pandas
operations, and per-value parsers (phones, dates, amounts) run once per
distinct value, not once per cell. Every bad cell gets exactly one finding.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.checks.consent import consent_findings
from xlcrm.checks.contracts import contract_findings
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.holidays import read_holidays
from xlcrm.checks.loyalty import loyalty_findings
from xlcrm.checks.normalize import (
    as_text,
    is_ambiguous_amount,
    is_blank,
    parse_amount,
    parse_date,
    parse_emails,
    parse_inn,
    parse_phones,
)
from xlcrm.checks.payments import payment_findings, payment_term_findings, payments_from_findings
from xlcrm.checks.segments import segment_findings
from xlcrm.checks.settings import Settings, builtin_list, read_settings
from xlcrm.messages import Day, Message, Number, Text, t, tn
from xlcrm.runtime import progress
from xlcrm.schema import Column, Kind
from xlcrm.xlsx.reader import BACKGROUND_SHEETS, HeaderClash, SheetData, WorkbookData
from xlcrm.xlsx.refs import sheet_ref

ERROR, WARNING = Severity.ERROR, Severity.WARNING

# Lifecycle blocks are computed from these lists, so a value outside them is an error.
_STRICT_LISTS = frozenset({"interaction_types", "designations"})
# How many list values a not-in-list message shows before "…".
_SHOWN_CHOICES = 10


@dataclass(frozen=True)
class _Required:
    """A cell every row of a sheet must fill, and why."""

    column_key: str
    severity: Severity
    reason: Message


_REQUIRED_VALUES: dict[str, tuple[_Required, ...]] = {
    schema.INTERACTIONS.key: (
        _Required("date", ERROR, t("every interaction needs a date for lifecycle and reports")),
        _Required("client_id", ERROR, t("the interaction belongs to no client")),
        _Required("type", ERROR, t("lifecycle counts orders and agreements by type")),
    ),
    schema.CONTACTS.key: (
        _Required("client_id", ERROR, t("the contact person belongs to no client")),
        _Required("name", WARNING, t("who is this contact person?")),
    ),
    schema.SERVICES.key: (_Required("service", WARNING, t("interactions refer to services by name")),),
    schema.CONTRACTS.key: (
        _Required("contract_id", ERROR, t("give every contract and annex its own ID, such as D-001")),
        _Required("client_id", ERROR, t("the contract belongs to no client")),
    ),
}
# Sheets whose ClientID must name a client on the Clients sheet.
_REFERENCING_SHEETS = (schema.CONTACTS.key, schema.INTERACTIONS.key, schema.CONTRACTS.key)


@dataclass(frozen=True)
class ValidationReport:
    """What ``validate_workbook`` found: every problem of the workbook, each naming its cell, in workbook order."""

    path: Path
    locale: str
    findings: list[Finding]
    today: dt.date

    @property
    def errors(self) -> list[Finding]:
        """The findings that are errors."""
        return [f for f in self.findings if f.severity is ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """The findings that are warnings."""
        return [f for f in self.findings if f.severity is WARNING]

    @property
    def valid(self) -> bool:
        """Whether the workbook has no error (warnings allowed)."""
        return not any(f.severity is ERROR for f in self.findings)

    def to_dict(self) -> dict[str, object]:
        """The report as JSON-ready values, as ``--json`` prints it."""
        return {
            "path": str(self.path),
            "locale": self.locale,
            "today": self.today.isoformat(),
            "valid": self.valid,
            "counts": {"errors": len(self.errors), "warnings": len(self.warnings)},
            "findings": [f.to_dict() for f in self.findings],
        }


@progress.step(t("checking every cell"))
def validate_data(data: WorkbookData, today: dt.date) -> ValidationReport:
    """Check a workbook already read; pure, so refresh can validate what it is about to change."""
    settings, findings = read_settings(data)
    findings.extend(read_holidays(data)[1])
    findings.extend(segment_findings(data))
    findings.extend(payments_from_findings(data, settings, today))
    clients = _readable(data, schema.CLIENTS.key)
    # Without readable client IDs every reference would look unknown; the missing column says it once.
    known_ids = set(_texts(clients, "client_id")) if clients is not None and clients.has("client_id") else None
    # A big sheet still being read (Interactions) is checked last, and the checks of Clients alone before it: they
    # run while it is read. The findings are gathered in the schema's order all the same.
    by_sheet = {
        spec.key: list(_sheet_findings(data, spec, clients, known_ids, settings, today))
        for spec in schema.USER_SHEETS
        if spec not in BACKGROUND_SHEETS
    }
    of_clients_alone = (
        []
        if clients is None
        else [
            *consent_findings(clients, settings, today, data.locale),
            *payment_term_findings(clients, settings, data.locale),
            *loyalty_findings(clients, settings, data.locale),
        ]
    )
    for spec in BACKGROUND_SHEETS:
        by_sheet[spec.key] = list(_sheet_findings(data, spec, clients, known_ids, settings, today))
    for spec in schema.USER_SHEETS:
        findings.extend(by_sheet[spec.key])
    if clients is not None:
        findings.extend(_designation_findings(clients, data, settings, today))
    findings.extend(of_clients_alone)
    findings.sort(key=_position)
    return ValidationReport(data.path, data.locale, findings, today)


def _sheet_findings(
    data: WorkbookData,
    spec: schema.Sheet,
    clients: SheetData | None,
    known_ids: set[str] | None,
    settings: Settings,
    today: dt.date,
) -> Iterator[Finding]:
    """The findings of one user sheet: its structure, its references to clients and the checks of its cells."""
    yield from _structure_findings(data, spec)
    sheet = _readable(data, spec.key)
    if sheet is None:
        return
    if sheet is clients:
        yield from _client_findings(clients, data.locale)
    if clients is not None and known_ids is not None and spec.key in _REFERENCING_SHEETS and sheet.has("client_id"):
        yield from _unknown_client_findings(sheet, known_ids, clients, data.locale)
    yield from _required_value_findings(sheet, data.locale)
    if spec is schema.INTERACTIONS:
        yield from _next_date_findings(sheet, data.locale)
        if clients is not None:
            yield from payment_findings(sheet, clients, settings, today, data.locale)
    if spec is schema.CONTRACTS:
        yield from contract_findings(sheet, data.locale)
    for column in spec.columns:
        check = _cell_check(column, settings, data.locale, today)
        if check is not None and sheet.has(column.key):
            below_zero_allowed = _negative_amount_rows(sheet) if _returns_may_be_negative(column) else None
            yield from _bad_cell_findings(sheet, column, check, below_zero_allowed)


# --- order ------------------------------------------------------------------------

_SHEET_RANK = {schema.fold(name): rank for rank, spec in enumerate(schema.USER_SHEETS) for name in spec.names()}
_CELL = re.compile(r"!([A-Z]+)([0-9]+)$")


def _position(finding: Finding) -> tuple[int, int, int]:
    """Schema sheet order, then row, then column; whole-sheet findings come first on their sheet."""
    rank = _sheet_rank(finding.sheet)
    match = _CELL.search(finding.cell)
    if match is None:
        return rank, 0, 0
    column = 0
    for letter in match[1]:
        column = column * 26 + ord(letter) - 64
    return rank, int(match[2]), column


@cache  # a workbook has a few sheets, and a hundred thousand findings ask for their rank
def _sheet_rank(name: str) -> int:
    """The sheet's place in schema order; a sheet that is none of the schema's comes last."""
    return _SHEET_RANK.get(schema.fold(name), len(_SHEET_RANK))


# --- sheets and headers -------------------------------------------------------------


def _readable(data: WorkbookData, key: str) -> SheetData | None:
    """The sheet, when its headers are where xlcrm reads them (otherwise a structure finding says why not)."""
    sheet = data.sheet(key)
    return sheet if sheet is not None and not sheet.misplaced_header and sheet.letters else None


def _structure_findings(data: WorkbookData, spec: schema.Sheet) -> Iterator[Finding]:
    name = spec.name(data.locale)
    sheet = data.sheet(spec.key)
    if sheet is None:
        if spec.optional:
            return
        yield Finding(
            ERROR if spec.required else WARNING,
            Code.MISSING_SHEET,
            name,
            name,
            "",
            t("no sheet named {name}; xlcrm cannot work without it", name=_either(spec.en, spec.ru, data.locale))
            if spec.required
            else t("no sheet named {name}; its checks are skipped", name=_either(spec.en, spec.ru, data.locale)),
        )
        return
    if sheet.misplaced_header:
        yield Finding(
            ERROR,
            Code.MISPLACED_HEADER,
            sheet.name,
            sheet.name,
            "",
            t(
                "the headers are on row {row}, not on row 1; delete the rows above them so xlcrm can read this sheet",
                row=sheet.misplaced_header,
            ),
        )
        return
    if not sheet.letters:
        expected = [c.name(data.locale) for c in spec.columns]
        yield Finding(
            ERROR if spec.required else WARNING,
            Code.MISSING_COLUMN,
            sheet.name,
            sheet.name,
            "",
            t("row 1 has none of the expected headers ({expected}); the sheet cannot be read", expected=expected),
        )
        return
    for column in sheet.missing_columns:
        if column.optional:
            continue
        yield Finding(
            ERROR if column.required else WARNING,
            Code.MISSING_COLUMN,
            sheet.name,
            sheet.name,
            "",
            t("no column {name} in row 1; xlcrm needs it", name=_either(column.en, column.ru, data.locale))
            if column.required
            else t(
                "no column {name} in row 1; its checks are skipped", name=_either(column.en, column.ru, data.locale)
            ),
        )
    for clash in sheet.header_clashes:
        # xlcrm would read one of two columns it reads and writes and leave the other behind; a user's own
        # columns it carries along one by one, whatever their headers.
        if clash.read:
            yield Finding(
                ERROR,
                Code.DUPLICATE_HEADER,
                sheet.name,
                f"{sheet_ref(sheet.name)}!{clash.second}1",
                clash.header,
                t(
                    "{first} and {second} both head {header}; xlcrm cannot tell which one to use, so it changes "
                    "nothing until one is renamed or deleted",
                    **_clash_cells(clash, sheet.name),
                ),
            )
        else:
            yield Finding(
                WARNING,
                Code.DUPLICATE_HEADER,
                sheet.name,
                f"{sheet_ref(sheet.name)}!{clash.second}1",
                clash.header,
                t(
                    "{first} and {second} both head {header}; xlcrm carries both along as they are; rename one to "
                    "tell them apart",
                    **_clash_cells(clash, sheet.name),
                ),
            )


def _clash_cells(clash: HeaderClash, sheet_name: str) -> dict[str, str]:
    """The two header cells of a clash and the header they share: ``Clients!E1``, ``Clients!K1``, ``Phone``."""
    where = sheet_ref(sheet_name)
    return {"first": f"{where}!{clash.first}1", "second": f"{where}!{clash.second}1", "header": clash.header}


def _either(en: str, ru: str, locale: str) -> Text:
    first, other = (ru, en) if locale == "ru" else (en, ru)
    return (
        first
        if schema.fold(first) == schema.fold(other)
        else t("{name} (or {other_name})", name=first, other_name=other)
    )


# --- ClientID and required cells -------------------------------------------------------


def _client_findings(clients: SheetData, locale: str) -> Iterator[Finding]:
    if clients.has("client_id"):
        header = clients.spec.column("client_id").name(locale)
        ids = clients.column_values("client_id")
        names = [key for key in ("name", "company") if clients.has(key)]
        named = clients.frame[names].notna().any(axis=1)
        name, company = (clients.spec.column(key).name(locale) for key in ("name", "company"))
        for row in ids.index[ids.isna()]:
            # Only a row that names a client gets an ID: a stray value (a manager filled down) is no client.
            yield _finding(
                WARNING,
                Code.BLANK_CLIENT_ID,
                clients,
                "client_id",
                row,
                None,
                t(
                    "blank {header}; the next refresh, dedupe or import gives this row the next free {header} and "
                    "saves it with the rest",
                    header=header,
                )
                if named[row]
                else t(
                    "blank {header}; once its {name} or {company} is filled, the next refresh, dedupe or import "
                    "gives this row the next free {header} and saves it with the rest",
                    header=header,
                    name=name,
                    company=company,
                ),
            )
        texts = _texts(clients, "client_id")
        repeated = texts[texts.duplicated(keep=False)]
        # One finding per repeated ID, on its second row (the one that repeats it), naming the rows that have it.
        for text, rows in repeated.groupby(repeated, sort=False).groups.items():
            numbers = sorted(cast(int, row) for row in rows)  # the frame's index is Excel row numbers
            cells = [clients.cell("client_id", row) for row in numbers[:NAMED_REPEATS]]
            where: Message
            if len(numbers) <= NAMED_REPEATS:
                where = t("on rows {rows} ({cells})", rows=_and_list(numbers), cells=cells)
            else:
                where = t(
                    "{rows} ({cells} … and {more} more)",
                    rows=tn("on {count} row", "on {count} rows", len(numbers)),
                    cells=cells,
                    more=Number(len(numbers) - NAMED_REPEATS),
                )
            yield _finding(
                ERROR,
                Code.DUPLICATE_CLIENT_ID,
                clients,
                "client_id",
                numbers[1],
                text,
                t(
                    "{header} {id} is {where}; every client needs its own ID. Until each row has its own, xlcrm "
                    "leaves the computed columns of these rows blank and counts them in no report; clear the "
                    "{header} of a row added by mistake and the next refresh gives it a new one",
                    header=header,
                    id=text,
                    where=where,
                ),
            )
    # A client may be a person or a company, but one of the two must be there to know who it is.
    names = [key for key in ("name", "company") if clients.has(key)]
    if names:
        anonymous = clients.frame[names].isna().all(axis=1)
        name, company = (clients.spec.column(key).name(locale) for key in ("name", "company"))
        for row in clients.frame.index[anonymous]:
            yield _finding(
                WARNING,
                Code.MISSING_VALUE,
                clients,
                names[0],
                row,
                None,
                t(
                    "neither {name} nor {company} is filled; add at least one so the client can be recognised",
                    name=name,
                    company=company,
                ),
            )


# The rows a repeated ClientID's finding names: an ID pasted down a thousand rows would make a message (and its
# row on Problems) pages long; the cells named are enough to find the rest with a filter.
NAMED_REPEATS = 5


def _and_list(numbers: list[int]) -> Message:
    """``30 and 301``, ``30, 301 and 412``."""
    return t("{rows} and {last_row}", rows=numbers[:-1], last_row=numbers[-1])


def _unknown_client_findings(
    sheet: SheetData, known_ids: set[str], clients: SheetData, locale: str
) -> Iterator[Finding]:
    header = clients.spec.column("client_id").name(locale)
    codes, distinct = sheet.distinct("client_id")
    texts = [_value_text(value) for value in distinct]
    unknown = [code for code, text in enumerate(texts) if text not in known_ids]
    if not unknown:
        return
    where = np.isin(codes, unknown)
    for row, code in zip(sheet.frame.index[where], codes[where]):
        yield _finding(
            ERROR,
            Code.UNKNOWN_CLIENT,
            sheet,
            "client_id",
            row,
            texts[code],
            t("no client with {header} {id} on {sheet}", header=header, id=texts[code], sheet=clients.name),
        )


def _required_value_findings(sheet: SheetData, locale: str) -> Iterator[Finding]:
    for required in _REQUIRED_VALUES.get(sheet.spec.key, ()):
        if not sheet.has(required.column_key):
            continue
        values = sheet.column_values(required.column_key)
        header = sheet.spec.column(required.column_key).name(locale)
        for row in values.index[values.isna()]:
            yield _finding(
                required.severity,
                Code.MISSING_VALUE,
                sheet,
                required.column_key,
                row,
                None,
                t("{header} is blank; {reason}", header=header, reason=required.reason),
            )


# --- designations -----------------------------------------------------------------------


def _designation_findings(
    clients: SheetData, data: WorkbookData, settings: Settings, today: dt.date
) -> Iterator[Finding]:
    """A Lost client without a Reason lost, and a VIP or Key client with fewer orders than a Regular one: a
    designation the log does not bear out (an order dated after ``today`` does not count, as in the blocks)."""
    if not clients.has("designation"):
        return
    designations = pd.Series(
        clients.each_cell("designation", _designation_key), index=clients.frame.index, dtype=object
    )
    locale = data.locale
    lost = (designations == schema.LOST.key).to_numpy()
    if lost.any() and clients.has("lost_reason"):
        blank = clients.each_cell("lost_reason", is_blank, dtype=bool)
        column = clients.spec.column("lost_reason")
        source = schema.LIST_SOURCES["lost_reasons"]
        for row in clients.frame.index[lost & blank]:
            yield _finding(
                WARNING,
                Code.LOST_WITHOUT_REASON,
                clients,
                "lost_reason",
                row,
                None,
                t(
                    "{designation} with no {column}: choose why the client left (the list is {list} on sheet "
                    "{sheet}), so that {dashboard} counts the reasons",
                    designation=schema.LOST.name(locale),
                    column=column.name(locale),
                    list=source.column.name(locale),
                    sheet=source.sheet.name(locale),
                    dashboard=schema.DASHBOARD.name(locale),
                ),
            )
    top = designations.isin([schema.VIP.key, schema.KEY_ACCOUNT.key]).to_numpy()
    per_client = _orders_per_client(data, today) if top.any() and clients.has("client_id") else None
    if per_client is None:
        return  # no designated client, or orders that cannot be counted: a missing sheet or column says why
    # Only the designated clients' orders are looked up: a few of a big base.
    designated = clients.frame.index[top]
    orders = _texts(clients, "client_id").reindex(designated).map(per_client).fillna(0).astype(int)
    few = designated[(orders < settings.regular_orders).to_numpy()]
    setting = schema.setting("regular_orders")
    raw = clients.column_values("designation")
    for row in few:
        params = {
            "column": clients.spec.column("designation").name(locale),
            "designation": schema.VIP.name(locale)
            if designations[row] == schema.VIP.key
            else schema.KEY_ACCOUNT.name(locale),
            "block": schema.REGULAR.label(locale),
            "threshold": Number(settings.regular_orders),
            "setting": setting.label(locale),
            "sheet": schema.SETTINGS.name(locale),
        }
        count = int(orders[row])
        message = (
            t(
                "{column} {designation} without a single order: a client gets to {block} once its orders reach "
                "{threshold} ({setting} on sheet {sheet})",
                **params,
            )
            if count == 0
            else tn(
                "{column} {designation}, yet only {count} order so far: a client gets to {block} once its orders "
                "reach {threshold} ({setting} on sheet {sheet})",
                "{column} {designation}, yet only {count} orders so far: a client gets to {block} once its orders "
                "reach {threshold} ({setting} on sheet {sheet})",
                count,
                **params,
            )
        )
        yield _finding(WARNING, Code.DESIGNATION_WITHOUT_ORDERS, clients, "designation", row, raw[row], message)


def _next_date_findings(log: SheetData, locale: str) -> Iterator[Finding]:
    """A Next date earlier than its own row's Date: a plan due before the contact it was made at, most likely a
    typo in the day, month or year; the agenda would show it as overdue from the start. Each distinct date is read
    once, the rows compared by numpy."""
    if not log.has("date") or not log.has("next_date"):
        return
    made, due = _day_numbers(log, "date"), _day_numbers(log, "next_date")
    early = due < made  # a blank or unreadable date (NaN) compares as False
    if not early.any():
        return
    raw = log.column_values("next_date").to_numpy(dtype=object)
    for row, value, made_on, due_on in zip(log.frame.index[early], raw[early], made[early], due[early]):
        message = t(
            "the {next_date} {due} is earlier than the {date} of the same row, {made}: the agenda shows the plan as "
            "overdue from the start; check the day, month and year",
            next_date=log.spec.column("next_date").name(locale),
            due=Day(dt.date.fromordinal(int(due_on))),
            date=log.spec.column("date").name(locale),
            made=Day(dt.date.fromordinal(int(made_on))),
        )
        yield _finding(WARNING, Code.NEXT_DATE_BEFORE_DATE, log, "next_date", row, value, message)


def _day_numbers(sheet: SheetData, column_key: str) -> np.ndarray:
    """Each row's date in the column as a day number (NaN when blank or not a date), each distinct value parsed
    once."""
    codes, distinct = sheet.distinct(column_key)
    days = [parse_date(value).date for value in distinct]
    numbers = np.array([day.toordinal() if day else np.nan for day in days] + [np.nan], dtype=float)
    by_row: np.ndarray = numbers[codes]  # a blank cell's code, -1, takes the NaN at the end
    return by_row


def _designation_key(value: object) -> str | None:
    match = schema.match_list_value(value, schema.DESIGNATIONS)
    return match.key if match else None


def _orders_per_client(data: WorkbookData, today: dt.date) -> pd.Series | None:
    """Orders of each ClientID (as text) on Interactions dated up to ``today`` or undated, None when the sheet or
    its ClientID or Type column is missing; each distinct value parsed once, the rows counted by numpy."""
    log = _readable(data, schema.INTERACTIONS.key)
    if log is None or not log.has("client_id") or not log.has("type"):
        return None
    counted = log.each_cell("type", _is_order, dtype=bool)
    if log.has("date"):
        counted &= ~log.each_cell("date", partial(_is_after, today=today), dtype=bool)
    codes, distinct = log.distinct("client_id")
    counted &= codes >= 0
    per_value = np.bincount(codes[counted], minlength=len(distinct))
    # Two distinct cells may read as one ID (1 and "1"): their orders add up.
    per_client: pd.Series = pd.Series(per_value, index=[_value_text(v) for v in distinct]).groupby(level=0).sum()
    return per_client


def _is_order(value: object) -> bool:
    return schema.match_list_value(value, schema.INTERACTION_TYPES) is schema.ORDER


def _is_after(value: object, today: dt.date) -> bool:
    day = parse_date(value).date if not is_blank(value) else None
    return day is not None and day > today


# --- cell checks ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    severity: Severity
    code: Code
    message: Message


_CellCheck = Callable[[object], "_Problem | None"]


# Number columns whose own checks say what a bad value does (xlcrm/checks/payments.py, xlcrm/checks/loyalty.py).
_CHECKED_APART = (schema.CLIENTS.column("payment_term"), schema.CLIENTS.column("discount"))


def _cell_check(column: Column, settings: Settings, locale: str, today: dt.date) -> _CellCheck | None:
    """The check for one column's non-blank cells, or None when anything goes (or a check of its own looks)."""
    if any(column is apart for apart in _CHECKED_APART):
        return None
    if column.choices:
        return _list_check(column, settings, locale)
    if column.kind is Kind.PHONE:
        return partial(_check_phone, region=settings.phone_region)
    if column.kind is Kind.EMAIL:
        return _check_email
    if column.kind is Kind.INN:
        return _check_inn
    if column.kind is Kind.DATE:
        return partial(_check_date, future_before=today if column.key == "birthday" else None)
    if column.kind is Kind.MONEY:
        below_zero = _RETURNS_ONLY if _returns_may_be_negative(column) else _NEVER_BELOW_ZERO
        return partial(_check_amount, below_zero=below_zero)
    if column.kind is Kind.NUMBER:
        return _check_number
    return None


def _check_phone(value: object, region: str) -> _Problem | None:
    result = parse_phones(value, region)
    if result.valid:
        return None
    if not result.numbers:
        return _Problem(ERROR, Code.BAD_PHONE, t("not a valid phone number"))
    return _Problem(ERROR, Code.BAD_PHONE, t("{wrong} is not a valid phone number", wrong=_quoted(result.invalid)))


def _check_email(value: object) -> _Problem | None:
    result = parse_emails(value)
    if result.valid:
        return None
    if not result.addresses:
        return _Problem(ERROR, Code.BAD_EMAIL, t("not a valid email address"))
    return _Problem(ERROR, Code.BAD_EMAIL, t("{wrong} is not a valid email address", wrong=_quoted(result.invalid)))


def _quoted(parts: tuple[str, ...]) -> list[Message]:
    """The parts of a cell, each in quotes: ``"8 916", "abc"`` (in English as JSON writes them), «abc» in Russian."""
    return [t('"{cell_part}"', cell_part=json.dumps(part, ensure_ascii=False)[1:-1]) for part in parts]


def _check_inn(value: object) -> _Problem | None:
    result = parse_inn(value)
    return (
        None if result.valid else _Problem(ERROR, Code.BAD_INN, t("not a valid INN: {problem}", problem=result.problem))
    )


def _check_date(value: object, future_before: dt.date | None) -> _Problem | None:
    result = parse_date(value)
    if result.date is None:
        if isinstance(value, dt.time):
            return _Problem(ERROR, Code.BAD_DATE, t("a time without a date"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _Problem(
                ERROR, Code.BAD_DATE, t("a number, not a date; if it should be a date, format the cell as Date")
            )
        return _Problem(ERROR, Code.BAD_DATE, t("not a date"))
    if future_before is not None and result.date > future_before:
        return _Problem(
            ERROR, Code.FUTURE_BIRTHDAY, t("a birthday in the future (today is {today})", today=_Today(future_before))
        )
    if result.from_text:
        return _Problem(
            WARNING,
            Code.TEXT_DATE,
            t(
                "typed as text; read as {date} — retype it as a date so Excel can sort and filter it",
                date=Day(result.date),
            ),
        )
    return None


@dataclass(frozen=True)
class _Today(Day):
    """Today's date as a finding states it: ``2026-11-23`` in English (as it always has), «23 ноября 2026» in
    Russian."""

    def render(self, language: str) -> str:
        """The date as text in ``language``."""
        return self.date.isoformat() if language == "en" else super().render(language)


_NEVER_BELOW_ZERO = t("a negative amount; amounts cannot be below zero")
_RETURNS_ONLY = t("a negative amount; only a Return may be below zero")


def _check_amount(value: object, below_zero: Message) -> _Problem | None:
    """Whether the value is an amount of 0 or more; ``below_zero`` says why a negative one is wrong."""
    result = parse_amount(value)
    if result.amount is None and is_ambiguous_amount(value):
        return _Problem(
            ERROR,
            Code.BAD_AMOUNT,
            t("a thousand or a fraction? The comma or point may be either; type the amount as a number"),
        )
    if result.amount is None:
        return _Problem(ERROR, Code.BAD_AMOUNT, t("not a number; type the amount as a number"))
    if result.amount < 0:
        return _Problem(ERROR, Code.NEGATIVE_AMOUNT, below_zero)
    if result.from_text:
        return _Problem(
            WARNING,
            Code.TEXT_AMOUNT,
            t(
                "typed as text; read as {amount} — retype it as a number so Excel includes it in sums",
                amount=_Amount(result.amount, 0 if result.amount.is_integer() else 2),
            ),
        )
    return None


@dataclass(frozen=True)
class _Amount(Number):
    """An amount as a finding states it: ``12 500.50`` in English (a space between thousands, as it always has
    been), «12 500,50» in Russian."""

    def render(self, language: str) -> str:
        """The amount as text in ``language``."""
        if language != "en":
            return super().render(language)
        return f"{self.value:,.{self.decimals or 0}f}".replace(",", " ")


def _check_number(value: object) -> _Problem | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None
    try:
        float(as_text(value).replace(",", "."))
    except ValueError:
        return _Problem(WARNING, Code.BAD_NUMBER, t("not a number"))
    return _Problem(WARNING, Code.BAD_NUMBER, t("typed as text; retype it as a number"))


def _list_check(column: Column, settings: Settings, locale: str) -> _CellCheck | None:
    list_key = column.choices
    assert list_key is not None
    choices = settings.choices(list_key)
    if not choices:
        return None  # the owner has not set this list up yet, so there is nothing to check against
    allowed = {schema.fold(choice) for choice in choices}
    severity = ERROR if list_key in _STRICT_LISTS else WARNING
    message = _not_in_list_message(list_key, choices, locale)
    accepts_bool = column.kind is Kind.BOOL

    def check(value: object) -> _Problem | None:
        if (accepts_bool and isinstance(value, bool)) or schema.fold(as_text(value)) in allowed:
            return None
        return _Problem(severity, Code.NOT_IN_LIST, message)

    return check


def _not_in_list_message(list_key: str, choices: tuple[str, ...], locale: str) -> Message:
    builtin = schema.SETTINGS_LISTS.get(list_key) or schema.FIXED_LISTS.get(list_key)
    if builtin and choices == builtin_list(list_key):
        shown = [value.name(locale) for value in builtin]  # both languages pass; show the workbook's
    else:
        shown = list(choices)
    listed = shown[:_SHOWN_CHOICES] + (["…"] if len(shown) > _SHOWN_CHOICES else [])
    source = schema.LIST_SOURCES.get(list_key)
    if source is None:
        return t("use one of: {values}", values=listed)
    return t(
        "not in the {list} list on sheet {sheet}: {values}",
        list=source.column.name(locale),
        sheet=source.sheet.name(locale),
        values=listed,
    )


# --- running checks over columns ---------------------------------------------------------


def _bad_cell_findings(
    sheet: SheetData, column: Column, check: _CellCheck, below_zero_allowed: np.ndarray | None = None
) -> Iterator[Finding]:
    """A finding per cell of the column that fails ``check``, except negative amounts on the allowed rows."""
    codes, distinct = sheet.distinct(column.key)
    problems = [check(value) for value in distinct]
    bad_codes = [code for code, problem in enumerate(problems) if problem is not None]
    if not bad_codes:
        return
    bad = np.isin(codes, bad_codes)
    if below_zero_allowed is not None:
        negative = [code for code in bad_codes if cast(_Problem, problems[code]).code is Code.NEGATIVE_AMOUNT]
        bad &= ~(np.isin(codes, negative) & below_zero_allowed)
    raw = sheet.column_values(column.key).to_numpy(dtype=object)
    for row, value, code in zip(sheet.frame.index[bad], raw[bad], codes[bad]):
        problem = problems[code]
        assert problem is not None
        yield _finding(problem.severity, problem.code, sheet, column.key, row, value, problem.message)


def _returns_may_be_negative(column: Column) -> bool:
    """Whether the column's amounts may be below zero on a return's row (``_negative_amount_rows``): an
    interaction's amount may; a price never is."""
    return column is schema.INTERACTIONS.column("amount")


def _negative_amount_rows(sheet: SheetData) -> np.ndarray:
    """Whether each row's Type (either language) may have an amount below zero: a return's may."""
    if not sheet.has("type"):
        return np.zeros(len(sheet.frame.index), dtype=bool)
    codes, distinct = sheet.distinct("type")
    allowed = [
        code
        for code, value in enumerate(distinct)
        if schema.match_list_value(value, schema.NEGATIVE_AMOUNT_TYPES) is not None
    ]
    return np.isin(codes, allowed)


def _texts(sheet: SheetData, column_key: str) -> pd.Series:
    """The column's filled cells as text (``123.0`` -> ``"123"``), by row, computed once per distinct value."""
    codes, distinct = sheet.distinct(column_key)
    texts = np.array([_value_text(value) for value in distinct], dtype=object)
    filled = codes >= 0
    by_row: pd.Series = pd.Series(texts[codes[filled]], index=sheet.frame.index[filled], dtype=object)
    return by_row


def _value_text(value: object) -> str:
    """A value as a person would read it in the cell."""
    if type(value) is str:  # most cells, first: asked for every distinct ID of a big workbook, several times
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return as_text(value)


def _finding(
    severity: Severity, code: Code, sheet: SheetData, column_key: str, row: int, value: object, message: Message
) -> Finding:
    text = "" if value is None else _value_text(value)
    return Finding(severity, code, sheet.name, sheet.cell(column_key, int(row)), text, message)
