"""The workbook's own settings: lifecycle thresholds, phone region and the lists behind dropdowns.

Values come from the Settings sheet (one ``key | value`` pair per row, each
list in a column of its own) and the Service column of My Services. Whatever
is missing falls back to the defaults in :mod:`xlcrm.schema`; whatever cannot
be used is reported as a ``bad-setting`` finding and replaced by its default,
so later stages always get a usable :class:`Settings`. A row of a setting an
earlier version read (``schema.RETIRED_SETTINGS``: the duplicate points) is
reported as a ``retired-setting`` warning and not used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import phonenumbers

from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.normalize import as_text, is_blank, parse_date
from xlcrm.messages import Message, t
from xlcrm.xlsx.reader import SheetData, WorkbookData


def builtin_list(list_key: str) -> tuple[str, ...]:
    """The built-in values of a list in both languages; empty for lists only the owner can fill."""
    values = schema.SETTINGS_LISTS.get(list_key) or schema.FIXED_LISTS.get(list_key) or ()
    spellings: list[str] = []
    for value in values:
        for spelling in value.spellings():
            if spelling not in spellings:
                spellings.append(spelling)
    return tuple(spellings)


def _default(key: str) -> int | str:
    default = schema.setting(key).default
    # A Yes / No setting is read with _yes_by_default, a date setting (None) is blank by default.
    assert default is not None and not isinstance(default, schema.ListValue), key
    return default


def _yes_by_default(key: str) -> bool:
    return schema.setting(key).default == schema.YES


@dataclass(frozen=True)
class Settings:
    """Everything the engine reads from Settings; every field has a usable value."""

    partner_orders: int = int(_default("partner_orders"))
    regular_orders: int = int(_default("regular_orders"))
    dead_after_days: int = int(_default("dead_after_days"))
    phone_region: str = str(_default("phone_region"))
    birthday_days: int = int(_default("birthday_days"))
    plan_early_days: int = int(_default("plan_early_days"))
    first_contact_days: int = int(_default("first_contact_days"))
    active_silent_days: int = int(_default("active_silent_days"))
    working_silent_days: int = int(_default("working_silent_days"))
    review_days: int = int(_default("review_days"))
    lost_order_days: int = int(_default("lost_order_days"))
    reactivations_per_week: int = int(_default("reactivations_per_week"))
    stale_after_days: int = int(_default("stale_after_days"))
    agenda_limit: int = int(_default("agenda_limit"))
    contract_end_days: int = int(_default("contract_end_days"))
    payment_term_days: int = int(_default("payment_term_days"))
    payments_from: dt.date | None = None  # blank: every order waits for payment
    card_digits: int = int(_default("card_digits"))  # 0: card numbers are not checked
    # Whether Settings has a row for payments_from (blank or not). A workbook made before payments has none: it does
    # not track debts until ``xlcrm init --upgrade`` adds the row (dated the day of the upgrade), so the first
    # Payment typed into it does not turn its whole history into debts.
    payments_from_listed: bool = True
    consent_required: bool = _yes_by_default("consent_required")
    deletion_stop_percent: int = int(_default("deletion_stop_percent"))
    dedupe_auto_probability: int = int(_default("dedupe_auto_probability"))
    dedupe_review_probability: int = int(_default("dedupe_review_probability"))
    dedupe_review_limit: int = int(_default("dedupe_review_limit"))
    # An empty managers or services list means "not set up": such columns are not checked.
    managers: tuple[str, ...] = ()
    interaction_types: tuple[str, ...] = builtin_list("interaction_types")
    sources: tuple[str, ...] = builtin_list("sources")
    designations: tuple[str, ...] = builtin_list("designations")
    lost_reasons: tuple[str, ...] = builtin_list("lost_reasons")
    services: tuple[str, ...] = ()

    def choices(self, list_key: str) -> tuple[str, ...]:
        """The allowed values of a dropdown list (a key of schema.LIST_SOURCES or schema.FIXED_LISTS)."""
        if list_key in schema.FIXED_LISTS:
            return builtin_list(list_key)
        if list_key not in schema.LIST_SOURCES:
            raise KeyError(list_key)
        values: tuple[str, ...] = getattr(self, list_key)
        return values

    def allows(self, list_key: str, value: object) -> bool:
        """Whether ``value`` is on the list, ignoring case, surrounding spaces and ё/е."""
        wanted = schema.fold(value)
        return any(schema.fold(choice) == wanted for choice in self.choices(list_key))


# Settings whose default is a number must be whole numbers of 1 or more; those here may also be 0 (the owner wants
# none: no reactivations on the agenda).
_NUMERIC_KEYS = frozenset(item.key for item in schema.SETTINGS_KEYS if isinstance(item.default, int))
_ZERO_ALLOWED = frozenset({"reactivations_per_week", "deletion_stop_percent", "payment_term_days", "card_digits"})
# Settings in per cent of a match probability: 1 to 100.
_PERCENT_KEYS = frozenset({"dedupe_auto_probability", "dedupe_review_probability"})
# Settings whose default is Yes or No: read in either language.
_YES_NO_KEYS = frozenset(item.key for item in schema.SETTINGS_KEYS if item.default in (schema.YES, schema.NO))
# Settings that hold a date, blank by default.
_DATE_KEYS = frozenset(item.key for item in schema.SETTINGS_KEYS if item.default is None)


def read_settings(data: WorkbookData) -> tuple[Settings, list[Finding]]:
    """Settings of a workbook as read, and a finding for every value that could not be used."""
    findings: list[Finding] = []
    chosen: dict[str, object] = {}
    sheet = data.sheet(schema.SETTINGS.key)
    # Headers not on row 1 mean the sheet was not understood; validation reports that once.
    if sheet is not None and not data.misplaced_header(schema.SETTINGS.key):
        listed: set[str] = set()
        key_values = _key_values(sheet, data.locale, findings, listed)
        if sheet.has("key") and sheet.has("value"):  # a sheet without them is refused, and every value a default
            chosen["payments_from_listed"] = "payments_from" in listed
        _check_order_thresholds(sheet, key_values, data.locale, findings)
        _check_dedupe_thresholds(sheet, key_values, data.locale, findings)
        chosen.update((key, value) for key, (value, _row) in key_values.items())
        for list_key, values in _lists(sheet).items():
            if values:
                chosen[list_key] = values
        _check_interaction_types(sheet, data.locale, chosen.get("interaction_types"), findings)
    services = data.sheet(schema.SERVICES.key)
    if services is not None and not data.misplaced_header(schema.SERVICES.key):
        service_column = schema.LIST_SOURCES["services"].column.key
        chosen["services"] = _distinct(services.column_values(service_column))
    return Settings(**chosen), findings  # type: ignore[arg-type]  # each value parsed for its field


def setting_cell(data: WorkbookData, key: str) -> str | None:
    """The cell the Setting ``key`` was read from (``Settings!B14``), None when the workbook leaves it to its
    default (not set, blank, or a value that could not be used)."""
    sheet = data.sheet(schema.SETTINGS.key)
    if sheet is None or data.misplaced_header(schema.SETTINGS.key):
        return None
    found = _key_values(sheet, data.locale, [])  # read_settings reports its findings
    return sheet.cell("value", found[key][1]) if key in found else None


def _key_values(
    sheet: SheetData, locale: str, findings: list[Finding], listed: set[str] | None = None
) -> dict[str, tuple[object, int]]:
    """Known keys with usable values and their rows; the first row wins when a key is set twice. ``listed``, when
    given, gets every key that has a row, its value blank or not.

    A row names its setting by its Key cell, or by its Setting label when the
    key is blank; either may hold the key (``partner_orders``, or with spaces)
    or the label in either language. Sheets written before the label column
    existed are read by their keys alone. The Key column itself is required, as
    validation says: a sheet without it is refused by validate and refresh, so
    nothing is read from it here and every command uses the defaults alike. A finding names the setting as the
    owner reads it: by its key in an English workbook, by its label in a Russian one.
    """
    if not sheet.has("value") or not sheet.has("key"):
        return {}
    known = {schema.fold(spelling): item for item in schema.SETTINGS_KEYS for spelling in item.spellings()}
    retired = {schema.fold(spelling): item for item in schema.RETIRED_SETTINGS for spelling in item.spellings()}
    retired_rows: list[tuple[schema.RetiredSetting, str, object]] = []  # (setting, cell, name as typed)
    seen: dict[str, int] = {}
    result: dict[str, tuple[object, int]] = {}
    keys = sheet.column_values("key")
    names = keys.where(keys.notna(), sheet.column_values("label"))
    named_by = pd.Series("key", index=keys.index).where(keys.notna(), "label")
    rows = names.notna()
    for row, name, column, raw in zip(
        names.index[rows], names[rows], named_by[rows], sheet.column_values("value")[rows]
    ):
        item = known.get(schema.fold(name))
        if item is None and schema.fold(name) in retired:
            retired_rows.append((retired[schema.fold(name)], sheet.cell(column, row), name))
            continue
        if item is None:
            findings.append(
                _finding(
                    Severity.WARNING,
                    sheet,
                    sheet.cell(column, row),
                    name,
                    t(
                        "not a setting xlcrm knows, so it is ignored; known settings: {keys}",
                        keys=[_name(known_item, locale) for known_item in schema.SETTINGS_KEYS],
                    ),
                )
            )
            continue
        if item.key in seen:
            findings.append(
                _finding(
                    Severity.WARNING,
                    sheet,
                    sheet.cell(column, row),
                    name,
                    t(
                        "{key} is set again; the value on row {row} is used",
                        key=_name(item, locale),
                        row=seen[item.key],
                    ),
                )
            )
            continue
        seen[item.key] = row
        if listed is not None:
            listed.add(item.key)
        if is_blank(raw):
            continue  # a blank value means "use the default", as the Description says
        value, problem = _parse_setting(item.key, raw)
        if problem is not None:
            findings.append(
                _finding(
                    Severity.ERROR,
                    sheet,
                    sheet.cell("value", row),
                    raw,
                    t("{key} {problem}; it counts as blank until it is fixed", key=_name(item, locale), problem=problem)
                    if item.default is None
                    else t(
                        "{key} {problem}; the default {default} is used until it is fixed",
                        key=_name(item, locale),
                        problem=problem,
                        default=item.default_in(locale),
                    ),
                )
            )
        else:
            result[item.key] = (value, row)
    findings += [_retired_finding(sheet, locale, *found, seen) for found in retired_rows]
    return result


def _retired_finding(
    sheet: SheetData, locale: str, item: schema.RetiredSetting, cell: str, name: object, seen: dict[str, int]
) -> Finding:
    """A warning at a retired setting's row: its value is not read, the setting that replaces it, and how the row
    goes (``xlcrm init --upgrade`` swaps it; when the replacement has a row already, the owner deletes it)."""
    new = schema.setting(item.replaced_by)
    old_name = item.key if locale == "en" else item.label(locale)
    if new.key in seen:
        message = t(
            "{old} is no longer used: duplicates are now judged by their match probability, not by points, so its "
            "value is not read; {new} on row {row} takes its place: delete this row",
            old=old_name,
            new=_name(new, locale),
            row=seen[new.key],
        )
    else:
        message = t(
            "{old} is no longer used: duplicates are now judged by their match probability, not by points, so its "
            "value is not read; {new} takes its place ({default} % until set), and xlcrm init --upgrade puts it in "
            "this row",
            old=old_name,
            new=_name(new, locale),
            default=new.default_in(locale),
        )
    return Finding(Severity.WARNING, Code.RETIRED_SETTING, sheet.name, cell, as_text(name), message)


def _name(item: schema.Setting, locale: str) -> str:
    """The setting as a finding names it: its key in an English workbook (as the Key column shows it), its label
    in the workbook's language otherwise (a Russian owner does not read the keys)."""
    return item.key if locale == "en" else item.label(locale)


def _parse_setting(key: str, raw: object) -> tuple[object, Message | None]:
    """(value, None) when usable, else (None, what is wrong)."""
    if key in _NUMERIC_KEYS:
        number = _whole_number(raw)
        if key.endswith("_days") and number is not None and number > schema.MAX_SETTING_DAYS:
            # Days beyond it put dates past any a workbook holds (and past what the date arithmetic can count).
            return None, t(
                "must be a whole number of days from {least} to {most}",
                least=0 if key in _ZERO_ALLOWED else 1,
                most=schema.MAX_SETTING_DAYS,
            )
        if key in _PERCENT_KEYS and (number is None or not 1 <= number <= 100):
            return None, t("must be a whole number of per cent from 1 to 100")
        if key in _ZERO_ALLOWED:
            if number is None or number < 0:
                return None, t("must be a whole number of 0 or more")
            return number, None
        if number is None or number < 1:
            return None, t("must be a whole number of 1 or more")
        return number, None
    if key in _YES_NO_KEYS:
        answer = schema.match_list_value(raw, (schema.YES, schema.NO))
        if answer is None:
            return None, t("must be Yes or No")
        return answer == schema.YES, None
    if key in _DATE_KEYS:
        day = parse_date(raw).date
        if day is None:
            return None, t("must be a date such as 01.12.2026")
        return day, None
    region = as_text(raw).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        return None, t("must be a two-letter country code such as RU, KZ or BY")
    return region, None


def _whole_number(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return int(raw) if float(raw).is_integer() else None
    text = as_text(raw)
    return int(text) if text.isdecimal() else None


def _threshold_pair(
    key_values: dict[str, tuple[object, int]], lower: str, upper: str
) -> tuple[int, int, tuple[object, int] | None]:
    """The values of two numeric settings, the first meant to stay below the second (a default where one is not
    set), and the (value, row) the owner typed to point a finding at: the lower one's when typed; None when both
    are defaults, which are consistent."""
    lower_typed, upper_typed = key_values.get(lower), key_values.get(upper)
    # The values were read as whole numbers (_key_values), the defaults are.
    lower_value = int(lower_typed[0] if lower_typed else _default(lower))  # type: ignore[call-overload]
    upper_value = int(upper_typed[0] if upper_typed else _default(upper))  # type: ignore[call-overload]
    return lower_value, upper_value, lower_typed or upper_typed


def _check_order_thresholds(
    sheet: SheetData, key_values: dict[str, tuple[object, int]], locale: str, findings: list[Finding]
) -> None:
    """Blocks are checked top down, so a Regular threshold at or above Partner leaves block 5 empty.

    Both values are kept: the owner may be mid-edit, and guessing which one is wrong is worse.
    """
    regular_value, partner_value, typed = _threshold_pair(key_values, "regular_orders", "partner_orders")
    if regular_value >= partner_value and typed:
        value, row = typed
        findings.append(
            _finding(
                Severity.ERROR,
                sheet,
                sheet.cell("value", row),
                value,
                t(
                    "{regular} ({regular_value}) must be below {partner} ({partner_value}), otherwise no client is "
                    "ever {block}",
                    regular=_name(schema.setting("regular_orders"), locale),
                    regular_value=regular_value,
                    partner=_name(schema.setting("partner_orders"), locale),
                    partner_value=partner_value,
                    block=schema.REGULAR.name(locale),
                ),
            )
        )


def _check_dedupe_thresholds(
    sheet: SheetData, key_values: dict[str, tuple[object, int]], locale: str, findings: list[Finding]
) -> None:
    """A pair less likely than the review probability is left alone before the merge probability is looked at, so a
    review probability above the merge one leaves the pairs between the two neither merged nor listed. Equal is
    fine: no pair waits for review but those the merge rule sends there.

    Both values are kept, as for the order thresholds: with them, fewer pairs are merged, never more.
    """
    review_value, auto_value, typed = _threshold_pair(
        key_values, "dedupe_review_probability", "dedupe_auto_probability"
    )
    if review_value > auto_value and typed:
        value, row = typed
        findings.append(
            _finding(
                Severity.ERROR,
                sheet,
                sheet.cell("value", row),
                value,
                t(
                    "{review} ({review_value} %) must not be above {auto} ({auto_value} %), otherwise pairs from "
                    "{auto_value} % to below {review_value} % are neither merged nor listed for review",
                    review=_name(schema.setting("dedupe_review_probability"), locale),
                    review_value=review_value,
                    auto=_name(schema.setting("dedupe_auto_probability"), locale),
                    auto_value=auto_value,
                ),
            )
        )


def _lists(sheet: SheetData) -> dict[str, tuple[str, ...]]:
    result: dict[str, tuple[str, ...]] = {}
    for list_key, source in schema.LIST_SOURCES.items():
        if source.sheet is schema.SETTINGS and sheet.has(source.column.key):
            result[list_key] = _distinct(sheet.column_values(source.column.key))
    return result


def _check_interaction_types(sheet: SheetData, locale: str, types: object, findings: list[Finding]) -> None:
    """Lifecycle counts orders and agreements by type; a custom list without them breaks the blocks."""
    if not isinstance(types, tuple):
        return
    missing = [
        v for v in (schema.ORDER, schema.AGREEMENT) if not any(schema.match_list_value(item, (v,)) for item in types)
    ]
    if missing:
        column = schema.LIST_SOURCES["interaction_types"].column
        findings.append(
            _finding(
                Severity.WARNING,
                sheet,
                sheet.cell(column.key, sheet.header_row),
                column.name(locale),
                t(
                    "the list has no {type}; lifecycle blocks count orders and agreements by these types",
                    type=missing[0].name(locale),
                )
                if len(missing) == 1
                else t(
                    "the list has no {first} and no {second}; lifecycle blocks count orders and agreements by these "
                    "types",
                    first=missing[0].name(locale),
                    second=missing[1].name(locale),
                ),
            )
        )


def _distinct(column: Iterable[object]) -> tuple[str, ...]:
    """Non-blank values in sheet order, each once (compared the way list matching compares)."""
    seen: set[str] = set()
    result: list[str] = []
    for value in column:
        if is_blank(value):
            continue
        text = as_text(value)
        folded = schema.fold(text)
        if folded not in seen:
            seen.add(folded)
            result.append(text)
    return tuple(result)


def _finding(severity: Severity, sheet: SheetData, cell: str, value: object, message: Message) -> Finding:
    return Finding(severity, Code.BAD_SETTING, sheet.name, cell, as_text(value), message)
