"""How each kind of personal value is masked in an anonymised copy, with one pseudonym per client.

A client's person is shown as ``Клиент 17`` (``Client 17``) on every sheet: the
clients are numbered in the order of the Clients rows, keyed by ClientID, so the
same client gets the same number on Clients, Contacts and every report sheet, and
again in the next export of the same workbook. The number says nothing about the
person: it is not computed from a name, so guessing names and comparing their
results tells nothing. A contact person who is not a client's own person is
``Контакт 5``, numbered in the order of the Contacts rows.

- names: the pseudonym; a sole trader's company (``ИП Тарасова М.С.``,
  ``Индивидуальный предприниматель Тарасова Мария Сергеевна``) is a person's name
  too: its legal form stays, the name is the client's pseudonym (``ИП Клиент 17``).
  Any other company name is kept: a firm's name is not personal data under
  152-FZ, and an accountant or analyst needs it (it is on every invoice anyway);
- phones, e-mails, INN: masked keeping their shape (see :mod:`xlcrm.export.anonymise`);
- card numbers: every letter and digit but the last two hidden (``**** **** 90``): a loyalty card is the person's
  own key in the business's card system. An Order No. stays: it is the business's number of a document, like its
  amount, says nothing about the person, and a copy for an accountant needs it to match payments to orders;
  Discount and Payment term stay too (terms of trade, not personal data);
- addresses: emptied; the City column stays. An address cut down to its city would
  need the address taken apart, and a wrong cut would leave a street behind;
- birthdays: 1 July of the year of birth, in the cell's own date format. The column
  stays a column of dates (``YEAR()`` and an age band work, refresh reads it), and
  an age counted from the middle of the year is at most half a year off;
- free text (comments of clients and contracts, results, next actions): ``(hidden)``
  unless the comments are kept; a kept text has the phones, e-mails and known names
  written in it masked;
- a contract's subject: kept, with the phones, e-mails and known names written in it
  masked, as a kept comment.

Every original replaced is remembered with its mask, so that a report sheet that
repeats it (a name on the Agenda, a phone on Problems) shows the mask too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from xlcrm import schema
from xlcrm.checks.normalize import as_text, is_blank
from xlcrm.dedupe.keys import company_name
from xlcrm.export.text_masks import mask_card, mask_email_cell, mask_inn, mask_phones, mask_text
from xlcrm.messages import Message, t, tn
from xlcrm.schema import Sheet, fold
from xlcrm.xlsx.report_sheet import CellValue

BIRTHDAY_MONTH, BIRTHDAY_DAY = 7, 1  # the middle of the year, see the module's docstring
_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")
# Originals shorter than this are not searched for in the report sheets: "12" or "Ян" would match anywhere.
# Nor are longer ones than _LONGEST_SEARCHED inside a longer text (a report repeats a long comment whole, if at all).
_SHORTEST_SEARCHED = 4
_LONGEST_SEARCHED = 200


class Kind(Enum):
    """A kind of personal value, as the result counts them."""

    NAME = "names"
    COMPANY = "sole_traders"
    PHONE = "phones"
    EMAIL = "emails"
    INN = "inn"
    ADDRESS = "addresses"
    BIRTHDAY = "birthdays"
    CARD = "cards"
    TEXT = "texts"

    def counted(self, count: int) -> Message:
        """``count`` values of this kind, in words."""
        return {
            Kind.NAME: lambda: tn("{count} name", "{count} names", count),
            Kind.COMPANY: lambda: tn("{count} sole trader's name", "{count} sole traders' names", count),
            Kind.PHONE: lambda: tn("{count} phone", "{count} phones", count),
            Kind.EMAIL: lambda: tn("{count} e-mail address", "{count} e-mail addresses", count),
            Kind.INN: lambda: tn("{count} INN", "{count} INNs", count),
            Kind.ADDRESS: lambda: tn("{count} address", "{count} addresses", count),
            Kind.BIRTHDAY: lambda: tn("{count} birthday", "{count} birthdays", count),
            Kind.CARD: lambda: tn("{count} card number", "{count} card numbers", count),
            Kind.TEXT: lambda: tn("{count} comment", "{count} comments", count),
        }[self]()


# The columns of the user sheets that hold personal values, sheet by sheet, each with its kind. The free texts come
# last: a kept comment has the originals of the columns before it masked in it.
PERSONAL_COLUMNS: tuple[tuple[Sheet, dict[str, Kind]], ...] = (
    (
        schema.CLIENTS,
        {
            "name": Kind.NAME,
            "company": Kind.COMPANY,
            "inn": Kind.INN,
            "phone": Kind.PHONE,
            "email": Kind.EMAIL,
            "address": Kind.ADDRESS,
            "birthday": Kind.BIRTHDAY,
            "card_number": Kind.CARD,
        },
    ),
    (schema.CONTACTS, {"name": Kind.NAME, "phone": Kind.PHONE, "email": Kind.EMAIL, "birthday": Kind.BIRTHDAY}),
    (schema.CLIENTS, {"comment": Kind.TEXT}),
    (schema.INTERACTIONS, {"result": Kind.TEXT, "comment": Kind.TEXT, "next_action": Kind.TEXT}),
    (schema.CONTRACTS, {"comment": Kind.TEXT}),
)
# Columns of business text that stay, but with the originals masked elsewhere, and the phones and e-mails, written in
# them masked (a contract's Subject may name the person to call): scrubbed once every original is known.
SCRUBBED_COLUMNS: tuple[tuple[Sheet, tuple[str, ...]], ...] = ((schema.CONTRACTS, ("subject",)),)


@dataclass
class Masker:
    """Masks values kind by kind for one anonymised copy, keeping each client's pseudonym and every original seen."""

    locale: str
    keep_comments: bool = False
    counts: Counter[Kind] = field(default_factory=Counter)  # values masked, per kind
    _clients: dict[str, int] = field(default_factory=dict)  # folded ClientID -> its number
    _people: dict[str, str] = field(default_factory=dict)  # folded name -> its pseudonym
    _contacts: int = 0
    # Original text -> the text that replaces it; only texts of _SHORTEST_SEARCHED characters or more ("Да", a
    # comment, must not replace every "Да" of a report).
    _replaced: dict[str, str] = field(default_factory=dict)
    _numbers: set[str] = field(default_factory=set)  # the phones, INN, cards among them: a number cell may be one
    _search: re.Pattern[str] | None = None
    _scrubbed: dict[str, str] = field(default_factory=dict)  # text -> scrubbed, for the texts reports repeat

    def number_client(self, client_id: object) -> int:
        """The number of the client ``client_id`` (a ClientID, or a row's own key), given at its first sight."""
        key = fold(client_id)
        if key not in self._clients:
            self._clients[key] = len(self._clients) + 1
        return self._clients[key]

    def client_pseudonym(self, client_id: object) -> str:
        """``Клиент 17``: the client's person as the copy shows them."""
        return t("Client {number}", number=self.number_client(client_id)).render(self.locale)

    def mask(self, kind: Kind, value: CellValue, client_id: object = None, *, contact: bool = False) -> CellValue:
        """``value`` of ``kind`` as the copy shows it; the name of the client ``client_id``'s person (a contact
        person's own with ``contact``) as a pseudonym. A value that changes is counted and remembered."""
        if is_blank(value):
            return value
        masked = self._masked(kind, value, client_id, contact)
        if masked != value and not (isinstance(value, dt.date) and masked == _as_date(value)):
            self.counts[kind] += 1
            self._remember(kind, value, masked)
        return masked

    def scrub(self, value: CellValue) -> CellValue:
        """A text that may repeat originals (a report's cell): each original masked as it was elsewhere, and the
        phones and e-mails written in it masked; a number that is a known phone or INN masked too."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return value
        if not isinstance(value, str):
            text = as_text(value)
            return self._replaced[text] if text in self._numbers else value
        if value in self._replaced:
            return self._replaced[value]
        if self._search is None:
            searched = [text for text in self._replaced if len(text) <= _LONGEST_SEARCHED]
            self._search = _originals_search(searched)
            self._scrubbed.clear()
        if value not in self._scrubbed:
            self._scrubbed[value] = mask_text(self._search.sub(lambda match: self._replaced[match.group(0)], value))
        return self._scrubbed[value]

    def _masked(self, kind: Kind, value: CellValue, client_id: object, contact: bool) -> CellValue:
        if kind is Kind.NAME:
            return self._person(value) if contact else self._client_person(value, client_id)
        if kind is Kind.COMPANY:
            return self._company(value, client_id)
        if kind is Kind.PHONE:
            return mask_phones(value)
        if kind is Kind.EMAIL:
            return mask_email_cell(value)
        if kind is Kind.INN:
            return mask_inn(value)
        if kind is Kind.CARD:
            return mask_card(value)
        if kind is Kind.ADDRESS:
            return None
        if kind is Kind.BIRTHDAY:
            return _birth_year(value)
        return self.scrub(value) if self.keep_comments else t("(hidden)").render(self.locale)

    def _client_person(self, value: CellValue, client_id: object) -> str:
        pseudonym = self.client_pseudonym(client_id)
        self._people.setdefault(fold(value), pseudonym)
        return pseudonym

    def _person(self, value: CellValue) -> str:
        """A contact person's pseudonym: their client's, when they are a client's person, else their own."""
        key = fold(value)
        if key not in self._people:
            self._contacts += 1
            self._people[key] = t("Contact {number}", number=self._contacts).render(self.locale)
        return self._people[key]

    def _company(self, value: CellValue, client_id: object) -> CellValue:
        """A sole trader's company as its legal form (as written) and the client's pseudonym; another kept."""
        company = company_name(value)
        if not company.individual:
            return value
        text = as_text(value)
        written = re.search(re.escape(company.legal_form).replace(r"\ ", r"\s+"), text, re.IGNORECASE)
        form = written.group(0) if written else company.legal_form.upper()
        return f"{form} {self.client_pseudonym(client_id)}"

    def _remember(self, kind: Kind, value: CellValue, masked: CellValue) -> None:
        """Keep ``value``'s written forms with their mask, for :meth:`scrub`."""
        shown = str(masked.year) if isinstance(masked, dt.date) else as_text(masked)
        forms = {as_text(value)}
        if isinstance(value, dt.date):
            forms = {value.strftime("%d.%m.%Y"), value.strftime("%Y-%m-%d"), value.strftime("%m/%d/%Y")}
        for form in forms:
            if len(form) >= _SHORTEST_SEARCHED and form not in self._replaced:
                self._replaced[form] = shown
                self._search = None
                if kind in (Kind.PHONE, Kind.INN, Kind.CARD):
                    self._numbers.add(form)


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _birth_year(value: CellValue) -> dt.date | None:
    """1 July of the year of birth; None when no year can be read from ``value``."""
    if isinstance(value, dt.date):
        return dt.date(value.year, BIRTHDAY_MONTH, BIRTHDAY_DAY)
    year = _YEAR.search(as_text(value))
    return dt.date(int(year.group(0)), BIRTHDAY_MONTH, BIRTHDAY_DAY) if year else None


def _originals_search(texts: list[str]) -> re.Pattern[str]:
    """A pattern that finds each of ``texts`` where it begins a word or a number and does not run on into a longer
    number: a name in «ИП Князева» (a case ending may follow), not a card number 0001 inside the ClientID C000001 or
    the Merge ID M0001, nor an address ending «д. 1» inside «д. 147»."""
    by_digit = [text for text in texts if text[:1].isdigit()]
    others = [text for text in texts if not text[:1].isdigit()]
    parts = [rf"(?<!\w)(?:{_any_of(by_digit)})"] if by_digit else []
    parts += [rf"(?<![^\W\d_])(?:{_any_of(others)})"] if others else []
    return re.compile("(?:" + "|".join(parts) + r")(?!\d)") if parts else re.compile(r"(?!x)x")


def _any_of(texts: list[str]) -> str:
    """A regular expression that matches any of ``texts``, the longest where one begins another. The texts are
    laid out as a tree of their common beginnings, so a search costs about the length of the text searched,
    whatever the number of ``texts`` (an alternation of thousands of names would try each at every character)."""
    tree: dict[str, Any] = {}
    for text in texts:
        node = tree
        for char in text:
            node = node.setdefault(char, {})
        node[""] = {}  # a text ends here
    return _branches(tree)


def _branches(node: dict[str, Any]) -> str:
    """The expression of the texts below ``node`` of :func:`_any_of`'s tree."""
    branches = [re.escape(char) + _branches(child) for char, child in node.items() if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body
