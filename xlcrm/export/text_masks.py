"""Masks that keep a value's shape: a phone, an e-mail address, an INN, and those written inside a text.

``+7 916 123-45-67`` -> ``+7 *** ***-**-67``, ``ivan@romashka.ru`` -> ``i***@r*******.ru``,
``7707083893`` -> ``77********``, a card ``1234 5678`` -> ``**** **78``: the reader still sees that a client has a
phone or two.
"""

from __future__ import annotations

import re

from xlcrm.checks.normalize import as_text

_EMAIL = re.compile(r"([^\s@<>(),;:\"]+)@([^\s@<>(),;:\".]+)((?:\.[^\s@<>(),;:\".]+)*)")
# A phone with the usual separators, optionally after +. Dots are left out so dates do not match.
_PHONE = re.compile(r"(?<![\d.])\+?\d[\d\s()-]{5,}\d(?!\.?\d)")
# Inside free text only a full number counts as a phone, not an amount such as 1 250 000.
PHONE_DIGITS_IN_TEXT = 10


def mask_digits(text: str, keep_start: int, keep_end: int) -> str:
    """Every digit but the first ``keep_start`` and last ``keep_end`` replaced by ``*``; the rest kept."""
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    hidden = set(positions[keep_start : len(positions) - keep_end] if keep_end else positions[keep_start:])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def mask_phones(value: object) -> str:
    """The country code and the last two digits of each number stay."""
    text = as_text(value)
    if not _PHONE.search(text):
        return mask_digits(text, 1, 2)
    return _PHONE.sub(lambda m: mask_digits(m.group(0), 1, 2), text)


def _mask_email(match: re.Match[str]) -> str:
    local, domain, rest = match.groups()
    zone = rest.rsplit(".", 1)
    shown_rest = ("*" * (len(zone[0]) - 1) if len(zone) > 1 and zone[0] else "") + ("." + zone[-1] if rest else "")
    return f"{local[0]}***@{domain[0]}{'*' * (len(domain) - 1)}{shown_rest}"


def mask_emails(value: object) -> str:
    """``value`` with every e-mail address in it masked, its first letters kept."""
    return _EMAIL.sub(_mask_email, as_text(value))


def mask_inn(value: object) -> str:
    """The first two digits (the region) stay."""
    return mask_digits(as_text(value), 2, 0)


def mask_card(value: object) -> str:
    """A card number with every letter and digit but the last two replaced by ``*``; its spaces and dashes kept."""
    text = as_text(value)
    positions = [i for i, ch in enumerate(text) if ch.isalnum()]
    hidden = set(positions[:-2])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def mask_text(value: object) -> str:
    """Emails and phone numbers written inside free text."""

    def phone(match: re.Match[str]) -> str:
        text = match.group(0)
        return mask_digits(text, 1, 2) if sum(ch.isdigit() for ch in text) >= PHONE_DIGITS_IN_TEXT else text

    return _PHONE.sub(phone, mask_emails(value))


def mask_email_cell(value: object) -> str:
    """An Email cell masked: each address in it as :func:`mask_emails` masks it; a cell with no address in it (a
    typo such as ``officelogistik.ru``) shows its first character only."""
    text = as_text(value)
    masked = mask_emails(text)
    return masked if masked != text else text[:1] + "***"
