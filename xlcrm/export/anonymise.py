"""An anonymised copy of the workbook, to share with an accountant or a consultant.

Names of people, phones, emails and INN on Clients and Contacts are masked in
a way that keeps the shape (``Петров Иван`` -> ``П. И.``, ``+7 916 123-45-67``
-> ``+7 *** ***-**-67``, ``ivan@romashka.ru`` -> ``i***@r*******.ru``,
``7707083893`` -> ``77********``), so the reader still sees that a client has
a phone or two; phones and emails written inside comments and results are
masked the same way. The report sheets are left out of the copy: the Merge
log and the Duplicates sheet hold original rows, the Agenda names and phones
(``xlcrm refresh`` on the copy rebuilds them from the masked data). Formulas stay, but not their last results,
which a file saved by Excel or LibreOffice keeps (the Client column of Interactions would show each full name):
the copy is written ``anonymised`` (see ``write_workbook``): it computes them again when opened, and the
shared-string table keeps no original of a masked cell. Everything
else (companies, amounts, dates, the user's own columns and sheets) is kept as
it is, and the original workbook is not touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xlcrm import schema
from xlcrm.checks.normalize import as_text, is_blank
from xlcrm.errors import UsageError
from xlcrm.messages import t
from xlcrm.xlsx.reader import WorkbookData, require_distinct_headers
from xlcrm.xlsx.report_sheet import CellValue
from xlcrm.xlsx.sheet_edits import SheetEdit

_EMAIL = re.compile(r"([^\s@<>(),;:\"]+)@([^\s@<>(),;:\".]+)((?:\.[^\s@<>(),;:\".]+)*)")
# A phone with the usual separators, optionally after +. Dots are left out so dates do not match.
_PHONE = re.compile(r"(?<![\d.])\+?\d[\d\s()-]{5,}\d(?!\.?\d)")
# Inside free text only a full number counts as a phone, not an amount such as 1 250 000.
PHONE_DIGITS_IN_TEXT = 10


def mask_name(value: object) -> str:
    """Initials: ``Петров Иван Сергеевич`` -> ``П. И. С.``."""
    return " ".join(word[0] + "." for word in as_text(value).replace(".", " ").split() if word[0].isalnum())


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


def mask_text(value: object) -> str:
    """Emails and phone numbers written inside free text."""

    def phone(match: re.Match[str]) -> str:
        text = match.group(0)
        return mask_digits(text, 1, 2) if sum(ch.isdigit() for ch in text) >= PHONE_DIGITS_IN_TEXT else text

    return _PHONE.sub(phone, mask_emails(value))


# Column key -> how its cells are masked, per sheet.
MASKS: dict[str, dict[str, Callable[[object], str]]] = {
    schema.CLIENTS.key: {
        "name": mask_name,
        "phone": mask_phones,
        "email": mask_emails,
        "inn": mask_inn,
        "comment": mask_text,
        "address": mask_text,
    },
    schema.CONTACTS.key: {"name": mask_name, "phone": mask_phones, "email": mask_emails},
    schema.INTERACTIONS.key: {"comment": mask_text, "result": mask_text, "next_action": mask_text},
}


@dataclass(frozen=True)
class Anonymisation:
    """How the anonymised copy differs from the workbook."""

    edits: list[SheetEdit]  # the cells masked on each user sheet
    left_out: list[str]  # the report sheets not in the copy

    @property
    def masked_cells(self) -> dict[str, int]:
        """Sheet name -> cells masked."""
        return {edit.sheet: len(edit.set_cells) for edit in self.edits}


def anonymised_edits(data: WorkbookData) -> list[SheetEdit]:
    """The cells to mask on each user sheet."""
    edits = []
    for sheet_key, masks in MASKS.items():
        sheet = data.sheet(sheet_key)
        if sheet is None:
            continue
        cells: dict[str, CellValue] = {}
        for key, mask in masks.items():
            if not sheet.has(key):
                continue
            for row, value in sheet.column_values(key).items():
                if is_blank(value):
                    continue
                masked = mask(value)
                if masked != value:
                    cells[f"{sheet.letters[key]}{row}"] = masked
        if cells:
            edits.append(SheetEdit(sheet.name, set_cells=cells))
    return edits


def anonymisation(data: WorkbookData, output: Path, *, force: bool = False) -> Anonymisation:
    """What the anonymised copy of the workbook ``data`` was read from, to be written to ``output``, masks and
    leaves out; refuses an ``output`` that is the workbook itself, or exists without ``force``."""
    output = Path(output)
    source = data.path
    if output.resolve() == source.resolve():
        raise UsageError(
            t("{output} is the workbook itself; the anonymised copy must be another file", output=str(output))
        )
    if output.exists() and not force:
        raise UsageError(t("{output} already exists; use --force to replace it", output=str(output)))
    require_distinct_headers(data)  # a second Phone column would be copied unmasked
    reports = [name for name in data.sheet_names if name.startswith(schema.REPORT_MARKER)]
    return Anonymisation(anonymised_edits(data), reports)
