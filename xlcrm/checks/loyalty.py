"""Checks of the loyalty columns of Clients: Discount, % and Card number.

- A Discount, % is a number of per cent from 0 to 100. Below 0 or above 100 is an error; a text that is no number
  (``10%`` typed as text, ``ten``) is a warning, and it counts as no discount. A discount between 0 and 1 (both
  excluded) is most likely a percentage typed as a share (10 % typed as 0,1, or a cell formatted as %): a warning
  that suggests the number meant. A number typed as text is read, and is a warning.
- When the Setting ``card_digits`` is N above 0, a Card number is N digits: spaces between them are allowed (cards
  print their numbers in groups) and not counted; any other character (a letter, a dash) or another number of
  digits is a warning. A card number typed in a number cell counts as its digits as Excel shows them; one of more
  than 15 digits there is a warning whatever the Setting says, since Excel turned its last digits into zeros.
- One card number on two clients is a warning on the later row, naming both ClientIDs. Card numbers are compared
  without their spaces, ignoring case, whether or not the Setting checks their digits.

A workbook without these columns has none of these findings. Each column is read once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.normalize import as_text, is_blank, parse_amount, text_or_none
from xlcrm.checks.payments import Problem, cell_finding, column_findings
from xlcrm.checks.settings import Settings
from xlcrm.messages import Number, t, tn
from xlcrm.xlsx.reader import SheetData

ERROR, WARNING = Severity.ERROR, Severity.WARNING

_PERCENT_TEXT = re.compile(r"^\s*(?P<number>[-+]?[\d\s\u00a0\u202f]*[.,]?\d+)\s*%\s*$")
_DIGITS = re.compile(r"[0-9]+")
# Excel keeps 15 significant digits of a number: a 16-digit card typed into a number cell loses its last digit.
_EXCEL_DIGITS = 15


def loyalty_findings(clients: SheetData, settings: Settings, locale: str) -> Iterator[Finding]:
    """The findings of the rules above on a readable Clients sheet, in no particular order."""
    if clients.has("discount"):
        yield from column_findings(clients, "discount", _discount_problem)
    if clients.has("card_number"):
        digits = settings.card_digits
        yield from column_findings(clients, "card_number", lambda value: _card_problem(value, digits, locale))
        yield from _repeated_card_findings(clients, locale)


def _discount_problem(value: object) -> Problem | None:
    """What is wrong with a filled Discount, %, None when it is a number of per cent from 0 to 100."""
    reading = parse_amount(value)
    percent = reading.amount
    if percent is None:
        typed = _PERCENT_TEXT.match(value) if isinstance(value, str) else None
        if typed is not None:
            number = parse_amount(typed["number"]).amount
            if number is not None and 0 <= number <= 100:
                return (
                    WARNING,
                    Code.BAD_DISCOUNT,
                    t(
                        "typed as text with a per cent sign, so it counts as no discount; type the number {number} "
                        "alone: the column is in per cent",
                        number=Number(number),
                    ),
                )
        return (
            WARNING,
            Code.BAD_DISCOUNT,
            t("not a number, so it counts as no discount; type the discount in per cent, from 0 to 100"),
        )
    if percent < 0 or percent > 100:
        return ERROR, Code.BAD_DISCOUNT, t("a discount is from 0 to 100 per cent; check the number")
    if 0 < percent < 1:
        return (
            WARNING,
            Code.DISCOUNT_AS_FRACTION,
            t(
                "less than one per cent: if the discount is {meant} %, type {meant}; the column holds per cent, "
                "not a share of one",
                meant=Number(round(percent * 100, 2)),
            ),
        )
    if reading.from_text:
        return WARNING, Code.BAD_NUMBER, t("typed as text; retype it as a number")
    return None


def _card_problem(value: object, digits: int, locale: str) -> Problem | None:
    """What is wrong with a filled Card number when a card has ``digits`` digits (0: any), None when nothing."""
    card = _without_spaces(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and len(card) > _EXCEL_DIGITS:
        return (
            WARNING,
            Code.BAD_CARD_NUMBER,
            t(
                "a number of more than {excel_digits} digits: Excel keeps only the first {excel_digits} and makes the "
                "rest zeros; format the cell as Text and type the card number again",
                excel_digits=_EXCEL_DIGITS,
            ),
        )
    if digits == 0:
        return None
    setting = {
        "setting": schema.setting("card_digits").label(locale),
        "sheet": schema.SETTINGS.name(locale),
        "digits": Number(digits),
    }
    if not _DIGITS.fullmatch(card):
        return (
            WARNING,
            Code.BAD_CARD_NUMBER,
            t(
                "a card number is {digits} digits ({setting} on sheet {sheet}); this one has other characters",
                **setting,
            ),
        )
    if len(card) != digits:
        return (
            WARNING,
            Code.BAD_CARD_NUMBER,
            tn(
                "{count} digit, but a card number is {digits} digits ({setting} on sheet {sheet})",
                "{count} digits, but a card number is {digits} digits ({setting} on sheet {sheet})",
                len(card),
                **setting,
            ),
        )
    return None


def _without_spaces(value: object) -> str:
    """A card number as it is compared: as the cell shows it, without any spaces."""
    return "".join(as_text(value).split())


def _repeated_card_findings(clients: SheetData, locale: str) -> Iterator[Finding]:
    cards = pd.Series(
        clients.each_cell("card_number", card_key),
        index=clients.frame.index,
        dtype=object,
    ).dropna()
    repeated = cards.duplicated()
    if not repeated.any():
        return
    first_rows = {card: int(row) for row, card in cards[~repeated].items()}
    ids = clients.each_cell("client_id", text_or_none)
    positions = {int(row): position for position, row in enumerate(clients.frame.index)}
    header = clients.spec.column("card_number").name(locale)
    client_header = clients.spec.column("client_id").name(locale)
    for row, card in cards[repeated].items():
        first = first_rows[card]
        this_id, other_id = ids[positions[int(row)]], ids[positions[first]]
        if this_id is not None and this_id == other_id:
            continue  # one client on two rows: the repeated ClientID is the finding
        yield cell_finding(
            WARNING,
            Code.DUPLICATE_CARD_NUMBER,
            clients,
            "card_number",
            int(row),
            t(
                "{client_header} {client} has the same {header} as {client_header} {other} ({cell}): a card belongs "
                "to one client; check whose card it is",
                client_header=client_header,
                client=this_id or _blank_id(clients, int(row)),
                header=header,
                other=other_id or _blank_id(clients, first),
                cell=clients.cell("card_number", first),
            ),
        )


def _blank_id(clients: SheetData, row: int) -> str:
    """Where a client without a ClientID is: its ClientID cell, or its Card number cell without that column."""
    return clients.cell("client_id" if clients.has("client_id") else "card_number", row)


# A card number shorter than this is a counter or a placeholder, not a number issued to one person.
MIN_CARD_CHARACTERS = 4


def card_key(value: object) -> str | None:
    """A Card number as compared: without its spaces, upper-case (``1234 5678`` is ``12345678``), as validation
    compares card numbers for one on two clients; None when it has fewer than MIN_CARD_CHARACTERS characters, no
    digit, or one character repeated (``0000``, ``-``, «нет»: no card), so that placeholders never make clients
    look the same."""
    if is_blank(value):
        return None
    characters = "".join(as_text(value).upper().split())
    if len(characters) < MIN_CARD_CHARACTERS or not any(char.isdigit() for char in characters):
        return None
    return characters if len(set(characters)) > 1 else None
