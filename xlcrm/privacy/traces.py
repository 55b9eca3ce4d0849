"""Where a person's values still are: in the cells of a sheet, or anywhere in the text of a workbook's package.

A person is known by the values xlcrm holds of them (``PersonValues``): names, a sole trader's company, e-mails,
INN, addresses, phone numbers. A phone is looked for by its ten national digits with any separators between them,
so ``+7 916 123-45-67``, ``8(916)1234567`` and ``79161234567`` are all found, not followed by another digit. Every
other value is found case-insensitively where it begins a word or a number and does not run on into a longer number:
«ИП Князева» and «ИНН7822697475» hold «ИП Князев» and «7822697475», but «ул. Октябрьская, д. 147» does not hold «ул.
Октябрьская, д. 1», nor C000001 the card number 0001. A lone word without a digit or an «@» (a first name, a
surname, a city, which other people's cells hold too) is found only as a whole cell (or text of its own in a
part's XML). Values shorter than ``MIN_TEXT`` characters are not looked for: they would be found everywhere.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcrm.checks.normalize import as_text, is_blank
from xlcrm.errors import NotAWorkbook
from xlcrm.messages.as_json import JsonFields
from xlcrm.xlsx.xml_io import parse_part

MIN_TEXT = 4
# A phone number's national part: ten digits (after +7 or 8 in Russia), the last ten of a longer run.
NATIONAL_DIGITS = 10
# Digits of one phone number, separators allowed between them; "доб. 96" and the like end it.
_PHONE_RUN = re.compile(r"\+?\d[\d\s()\-.]{8,}\d")
_SEPARATORS = r"[\s()\-.\u00a0]*"
# Removed between a phone's digits; not the break between cells (``_CELL_BREAK``), which ``\s`` counts as a space.
_SEPARATOR = re.compile(r"[^\S\x1f]|[()\-.\u00a0]")
_DIGIT = re.compile(r"\d")
# One word without a digit or "@": a first name, a surname or a city, which other people's cells hold too.
_LONE_WORD = re.compile(r"[^\s\d@]+")
_PARSED_FROM = 1 << 20  # bytes
_CELL_BREAK = "\x1f"  # between the cells of a row searched at once: no value spans it (see _SEPARATOR)
# A character reference or one of XML's five entities.
_REFERENCE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# The parts of a package whose text is searched: XML, relationships and the VML of notes.
_TEXT_PARTS = (".xml", ".rels", ".vml")


def phone_numbers(value: object) -> list[str]:
    """The national digits (the last ten) of each phone number written in ``value``."""
    found = []
    for match in _PHONE_RUN.finditer(as_text(value)):
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) >= NATIONAL_DIGITS:
            found.append(digits[-NATIONAL_DIGITS:])
    return found


@dataclass
class PersonValues:
    """What xlcrm holds of one client's people: the texts and phone numbers to look for."""

    client_id: str
    texts: set[str] = field(default_factory=set)  # names, e-mails, INN, addresses, a sole trader's company
    phones: set[str] = field(default_factory=set)  # national digits

    def add_text(self, value: object) -> None:
        """Look for ``value`` too (blank and short values are left out)."""
        text = as_text(value).strip()
        if not is_blank(text) and len(text) >= MIN_TEXT:
            self.texts.add(text)

    def add_phones(self, value: object) -> None:
        """Look for every phone number written in ``value`` too."""
        self.phones.update(phone_numbers(value))

    def merge(self, other: PersonValues) -> None:
        """Look for ``other``'s values too."""
        self.texts |= other.texts
        self.phones |= other.phones

    def __bool__(self) -> bool:
        return bool(self.texts or self.phones)

    def pattern(self) -> re.Pattern[str] | None:
        """One case-insensitive pattern that finds any of the values; None when there are none."""
        # Each value where ``Matcher`` finds it: a lone word as the whole text of an XML element.
        choices = [
            rf"(?<=>){re.escape(text)}(?=<)" if is_lone_word(text) else _STARTS[text[0].isdigit()] + re.escape(text)
            for text in sorted(self.texts, key=len, reverse=True)
        ]
        choices += [_SEPARATORS.join(phone) for phone in sorted(self.phones)]
        return re.compile("(?:" + "|".join(choices) + r")(?!\d)", re.IGNORECASE) if choices else None


def is_lone_word(text: str) -> bool:
    """Whether ``text`` is one word without a digit or «@»: a first name, a surname or a city."""
    return _LONE_WORD.fullmatch(text) is not None


# Where a value may begin (see the module's docstring): a value starting with a digit not after a digit, any other
# not after a letter.
_STARTS = {True: r"(?<!\d)", False: r"(?<![^\W\d_])"}
# Where a lone word stands alone: at the edges of a cell, of a row's cells joined, or of an XML element's text.
_LONE_EDGES = ("", ">", "<", "\x1f")


class Matcher:
    """Finds the values of some people in a text, fast enough for every part of a big workbook: each value is a
    plain substring of the text case-folded (a phone: of the text without separators), which no regular
    expression of many alternatives matches as quickly, then checked where it stands (see the module's docstring)."""

    def __init__(self, people: Iterable[PersonValues]):
        self.texts = sorted({text.casefold() for person in people for text in person.texts})
        self.phones = sorted({phone for person in people for phone in person.phones})
        self._lone = {text for text in self.texts if is_lone_word(text)}

    def __bool__(self) -> bool:
        return bool(self.texts or self.phones)

    def count(self, text: str) -> int:
        """How many times the values are found in ``text``, each as a whole (see the module's docstring)."""
        folded = text.casefold()
        found = sum(_occurrences(folded, value, value in self._lone) for value in self.texts if value in folded)
        if self.phones and _DIGIT.search(text):
            digits = _SEPARATOR.sub("", text)
            found += sum(_occurrences(digits, phone, False, phone=True) for phone in self.phones if phone in digits)
        return found

    def found_in(self, value: object) -> bool:
        """Whether a cell's ``value`` shows one of the values."""
        if is_blank(value) or not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return False
        return self.count(as_text(value)) > 0


def _occurrences(text: str, value: str, lone: bool, *, phone: bool = False) -> int:
    """How many times ``value`` stands in ``text`` where it counts (see the module's docstring): never followed by a
    digit; a ``lone`` word alone between the edges of a cell or element; a ``phone``'s digits after anything (its +7
    or 8); any other value not after a digit when it begins with one, not after a letter when it begins with one."""
    count = 0
    start = text.find(value)
    first_is_digit = value[:1].isdigit()
    while start >= 0:
        end = start + len(value)
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        if lone:
            stands = before in _LONE_EDGES and after in _LONE_EDGES
        elif phone:
            stands = True
        else:
            stands = not (before.isdigit() if first_is_digit else before.isalpha())
        count += stands and not after.isdigit()
        start = text.find(value, start + 1)
    return count


def cells_holding(rows: Sequence[Sequence[Any]], matcher: Matcher) -> list[tuple[int, int]]:
    """(Excel row, 0-based column) of each cell of ``rows`` (``rows[0]`` is row 1) that shows a value looked for."""
    if not matcher:
        return []
    return [
        (number, column)
        for number, values in enumerate(rows, start=1)
        # A row's cells joined (numbers as Python writes them, which holds the digits a person sees) tell at once
        # whether any of them needs a closer look: most rows do not.
        if matcher.count(_CELL_BREAK.join(map(str, values)))
        for column, value in enumerate(values)
        if matcher.found_in(value)
    ]


@dataclass(frozen=True)
class Trace(JsonFields):
    """A part of a workbook's package that still holds a person's values, and how many times."""

    part: str
    count: int


def package_traces(path: Path, matcher: Matcher) -> list[Trace]:
    """Every XML part of the workbook (a zip) at ``path`` whose text shows a value ``matcher`` looks for, with the
    number of times; character references and entities are read as the characters they stand for. A file that is
    not a zip raises ``zipfile.BadZipFile``."""
    if not matcher:
        return []
    traces = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith(_TEXT_PARTS):
                continue
            text = part_text(archive.read(info), info.filename)
            count = matcher.count(text)
            if count:
                traces.append(Trace(info.filename, count))
    return traces


def part_text(data: bytes, part: str) -> str:
    """The text of a part of the package as a reader sees it. A big part (a worksheet, the shared strings) is
    parsed, and its elements' text taken, since Python would take long to read its many character references one by
    one; a smaller one (notes, properties: names may be in attributes) is read whole, references resolved."""
    if len(data) > _PARSED_FROM:
        try:
            return _CELL_BREAK.join(parse_part(data, part).getroot().itertext())
        except NotAWorkbook:
            pass  # not well-formed: searched as text below
    return unescaped(data.decode("utf-8", errors="replace"))


def unescaped(text: str) -> str:
    """``text`` (XML) with its character references and entities read as the characters they stand for; a
    reference to no character is left as written (a search may over-match, never miss)."""
    if "&" not in text:
        return text
    return _REFERENCE.sub(_character, text)


def _character(match: re.Match[str]) -> str:
    decimal, hexadecimal, entity = match.groups()
    if entity:
        return _ENTITIES[entity]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    return chr(code) if code <= 0x10FFFF else match.group(0)


def combined_pattern(people: Iterable[PersonValues]) -> re.Pattern[str] | None:
    """One pattern for the values of all ``people``; None when there are none."""
    together = PersonValues("")
    for person in people:
        together.merge(person)
    return together.pattern()
