"""Dropdowns added to a user sheet, in the worksheet XML itself.

A sheet's dropdowns are ``<dataValidation type="list">`` elements of its ``<dataValidations>``. xlcrm adds one
where it adds a column or a setting row that the template gives a dropdown (``xlcrm init --upgrade``). The new
ones are written into the bytes of the part after the sheet's own, which stay byte for byte as they were (a
parser would write their text back escaped otherwise than the program that saved them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from xlcrm.xlsx.parts import WORKSHEET_ORDER
from xlcrm.xlsx.xml_io import escape_xml

# What follows <dataValidations> in a worksheet: a new one goes before the first of these.
_AFTER_VALIDATIONS = WORKSHEET_ORDER[WORKSHEET_ORDER.index("dataValidations") + 1 :]


@dataclass(frozen=True)
class NewDropdown:
    """A list dropdown on ``sqref`` ("S2:S1048576", or cells separated by spaces) that refuses a value not in the
    list ``formula`` (a defined name, or quoted values separated by commas), with the title and text of the
    message it shows then."""

    sqref: str
    formula: str
    error_title: str
    error: str


def with_dropdowns(tail: bytes, prefix: bytes, added: Sequence[NewDropdown]) -> bytes:
    """The part of a worksheet after its cells (``tail``; its elements named with ``prefix``, b"" or b"x:")
    with ``added`` after the validations it has, counted again, or in a new ``<dataValidations>`` where the
    schema puts it."""
    if not added:
        return tail
    new = b"".join(_dropdown_xml(dropdown, prefix) for dropdown in added)
    opening = re.search(rb"<" + re.escape(prefix) + rb"dataValidations\b[^>]*?(/?)>", tail)
    if opening is None:
        following = [
            found.start()
            for name in _AFTER_VALIDATIONS
            if (found := re.search(rb"<" + re.escape(prefix + name.encode()) + rb"[\s/>]", tail)) is not None
        ]
        closing = re.search(rb"</" + re.escape(prefix) + rb"worksheet\s*>", tail)
        at = min(following, default=closing.start() if closing is not None else len(tail))
        container = b'<%sdataValidations count="%d">%s</%sdataValidations>' % (prefix, len(added), new, prefix)
        return tail[:at] + container + tail[at:]
    end = b"</" + prefix + b"dataValidations>"
    if opening.group(1):  # an empty <dataValidations/>
        held, close_at = b"", opening.end()
        new += end
    else:
        close_at = tail.index(end, opening.end())
        held = tail[opening.end() : close_at]
    count = len(re.findall(rb"<" + re.escape(prefix) + rb"dataValidation[\s/>]", held)) + len(added)
    tag = opening.group(0).removesuffix(b"/>").removesuffix(b">")
    tag = re.sub(rb'\scount="[^"]*"', b"", tag) + b' count="%d">' % count
    return tail[: opening.start()] + tag + tail[opening.end() : close_at] + new + tail[close_at:]


def _dropdown_xml(dropdown: NewDropdown, prefix: bytes) -> bytes:
    # showDropDown is left out: in the file format it *hides* the in-cell arrow.
    attributes = {
        "type": "list",
        "errorStyle": "stop",
        "allowBlank": "1",
        "showErrorMessage": "1",
        "errorTitle": dropdown.error_title,
        "error": dropdown.error,
        "sqref": dropdown.sqref,
    }
    written = " ".join(f'{name}="{escape_xml(value, attribute=True)}"' for name, value in attributes.items())
    formula, p = escape_xml(dropdown.formula), prefix.decode()
    return f"<{p}dataValidation {written}><{p}formula1>{formula}</{p}formula1></{p}dataValidation>".encode()
