"""A pair's match probability in words: the waterfall of reasons shown on the Duplicates sheet, in the Merge log
and in ``--json``.

``same birthday +11.2; names 95 % similar +13.4; different cities −2.1 → 97 %``: every field the two records
both hold, with its weight in bits (:mod:`xlcrm.dedupe.probability`), the heaviest first, then the probability.
The prior, the same for every pair of the workbook, is left out of the text and given in ``--json``.
"""

from __future__ import annotations

import math

from xlcrm.dedupe.probability import (
    ADDRESS,
    BIRTHDAY,
    CARD,
    CITY,
    COMPANY,
    EMAIL,
    NAME,
    PHONE,
    TAX_ID,
    Evidence,
    Scored,
)
from xlcrm.dedupe.records import ClientRecord
from xlcrm.messages import Message, Number, t


def field_reason(item: Evidence, first: ClientRecord, second: ClientRecord, scored: Scored) -> Message:
    """What one term of the weight says about the pair, without its weight."""
    field, level = item.field, item.level
    comparison = scored.comparison
    if field == NAME:
        if level == 4:
            return t("same name")
        if level >= 2:
            return t("names {similarity} % similar", similarity=comparison.name_similarity)
        if level == 1:
            return t("names partly alike {first} / {second}", first=first.shown_name, second=second.shown_name)
        return t("different names {first} / {second}", first=first.shown_name, second=second.shown_name)
    if field == BIRTHDAY:
        return (t("different birthdays"), t("birthdays a slip apart"), t("same birthday"))[level]
    if field == CITY:
        return (t("different cities"), t("cities alike"), t("same city"))[level]
    if field == ADDRESS:
        if level == 3:
            return t("same address")
        if level == 0:
            return t("different addresses")
        return t("addresses {similarity} % similar", similarity=comparison.address_similarity)
    if field == COMPANY:
        return _company_reason(level, first, second, comparison.company_similarity)
    return _identifier_reason(field, level, first, second)


def _company_reason(level: int, first: ClientRecord, second: ClientRecord, similarity: int) -> Message:
    if level == 4:
        return t("same company name")
    if level >= 2:
        return t("company names {similarity} % similar", similarity=similarity)
    if level == 1:
        return t("a company on one card only")
    return t("different companies {first} / {second}", first=first.shown_company, second=second.shown_company)


def _identifier_reason(field: int | None, level: int, first: ClientRecord, second: ClientRecord) -> Message:
    if field == PHONE:
        shared = sorted(first.phones & second.phones)
        return t("same phone {phone}", phone=", ".join(shared)) if level else t("different phones")
    if field == EMAIL:
        shared = sorted(first.emails & second.emails)
        return t("same email {email}", email=", ".join(shared)) if level else t("different emails")
    if field == TAX_ID:
        kind, number = (first.tax_id or ":").split(":")
        if not level:
            return t("different INN") if kind == "inn" else t("different OGRN")
        return t("same INN {number}", number=number) if kind == "inn" else t("same OGRN {number}", number=number)
    if field == CARD:
        return t("same card number {number}", number=first.card) if level else t("different card numbers")
    raise ValueError(f"no reason for field {field}")


def weighed(reason: Message, bits: float) -> Message:
    """``same birthday +11.2``: a reason with its weight in bits, signed, one decimal."""
    shown = Number(round(abs(bits), 1), decimals=1)
    return (
        t("{reason} +{bits}", reason=reason, bits=shown)
        if bits >= 0
        else t("{reason} −{bits}", reason=reason, bits=shown)
    )


# Shown for the surest pairs: no two records are certain to be one client, and a merge threshold of 100 % means
# "never without me".
SUREST_PERCENT = 99.9


def probability_percent(probability: float) -> float:
    """The probability in per cent, rounded down to one decimal and at most :data:`SUREST_PERCENT` (a pair is never
    shown surer than it is)."""
    return min(SUREST_PERCENT, math.floor(probability * 1000) / 10)


def shown_percent(probability: float) -> Number:
    """The probability in per cent as a sentence writes it: ``97``, ``99.6``."""
    percent = probability_percent(probability)
    return Number(percent, decimals=1 if percent % 1 else 0)


def waterfall(scored: Scored, first: ClientRecord, second: ClientRecord) -> tuple[Message, ...]:
    """The pair's reasons with their weights, heaviest first (the prior left out)."""
    return tuple(
        weighed(field_reason(item, first, second, scored), item.bits)
        for item in scored.evidence
        if item.field is not None
    )
