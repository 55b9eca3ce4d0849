"""Where a person's values still are: in the cells of a sheet, or anywhere in the text of a workbook's package.

A person is known by the values xlcrm holds of them (``PersonValues``): names, a sole trader's company, e-mails,
INN, addresses, phone numbers. A phone is looked for by its ten national digits with any separators between them,
so ``+7 916 123-45-67``, ``8(916)1234567`` and ``79161234567`` are all found, not followed by another digit; every
other value case-insensitively as written, as a whole: not inside a longer word or number, so the address
«ул. Октябрьская, д. 1» is not found in «ул. Октябрьская, д. 147». Values shorter than ``MIN_TEXT`` characters, and
a lone word without a digit or an «@» (a first name, a surname, a city), are not looked for: they would be found in
other people's cells.
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
        """Look for ``value`` too (blank and short values, and a lone word without a digit or «@», are left out)."""
        text = as_text(value).strip()
        if not is_blank(text) and len(text) >= MIN_TEXT and not _LONE_WORD.fullmatch(text):
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
        # Each value as a whole, as ``Matcher`` finds it.
        choices = [rf"(?<!\w){re.escape(text)}(?!\w)" for text in sorted(self.texts, key=len, reverse=True)]
        choices += [_SEPARATORS.join(phone) + r"(?!\d)" for phone in sorted(self.phones)]
        return re.compile("|".join(choices), re.IGNORECASE) if choices else None


class Matcher:
    """Finds the values of some people in a text, fast enough for every part of a big workbook: each value is a
    plain substring of the text case-folded (a phone: of the text without separators), which no regular
    expression of many alternatives matches as quickly."""

    def __init__(self, people: Iterable[PersonValues]):
        self.texts = sorted({text.casefold() for person in people for text in person.texts})
        self.phones = sorted({phone for person in people for phone in person.phones})

    def __bool__(self) -> bool:
        return bool(self.texts or self.phones)

    def count(self, text: str) -> int:
        """How many times the values are found in ``text``, each as a whole (see the module's docstring)."""
        folded = text.casefold()
        found = sum(_whole_occurrences(folded, value, digits=False) for value in self.texts if value in folded)
        if self.phones and _DIGIT.search(text):
            digits = _SEPARATOR.sub("", text)
            found += sum(_whole_occurrences(digits, phone, digits=True) for phone in self.phones if phone in digits)
        return found

    def found_in(self, value: object) -> bool:
        """Whether a cell's ``value`` shows one of the values."""
        if is_blank(value) or not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return False
        return self.count(as_text(value)) > 0


def _whole_occurrences(text: str, value: str, *, digits: bool) -> int:
    """How many times ``value`` stands in ``text`` as a whole: with no letter or digit right before or after it, or,
    for the ``digits`` of a phone, no digit right after it (they follow its +7 or 8, and «доб.» may follow them)."""
    count = 0
    start = text.find(value)
    while start >= 0:
        end = start + len(value)
        after = text[end] if end < len(text) else ""
        if digits:
            count += not after.isdigit()
        else:
            count += not after.isalnum() and not (start > 0 and text[start - 1].isalnum())
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
