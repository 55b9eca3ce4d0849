"""Dropdowns and entry checks added to a user sheet, in the worksheet XML itself.

A sheet's dropdowns are ``<dataValidation type="list">`` elements of its ``<dataValidations>``, its entry checks
(a date, a number in a range) ``<dataValidation>`` elements of another type. xlcrm adds one where it adds a column
or a setting row that the template gives a dropdown or a check (``xlcrm init --upgrade``). The new ones are
written into the bytes of the part after the sheet's own, which stay byte for byte as they were (a parser would
write their text back escaped otherwise than the program that saved them); only an older template's check that a
new one replaces is left out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from xlcrm.xlsx.parts import WORKSHEET_ORDER
from xlcrm.xlsx.xml_io import escape_xml, unescape_xml

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


CheckKind = Literal["date", "decimal", "whole"]
CheckOperator = Literal["between", "greaterThanOrEqual"]


@dataclass(frozen=True)
class NewCheck:
    """An entry check on ``sqref`` that takes a ``kind`` of value ("date", "decimal", "whole") compared by
    ``operator`` ("between", "greaterThanOrEqual") with ``formula1`` (and ``formula2``), shows ``prompt`` on
    entering the cell and refuses anything else with ``error``, both under ``title``."""

    sqref: str
    kind: CheckKind
    operator: CheckOperator
    formula1: str
    formula2: str | None
    title: str
    prompt: str
    error: str


NewValidation = NewDropdown | NewCheck


def with_dropdowns(
    tail: bytes, prefix: bytes, added: Sequence[NewValidation], replaced: Collection[tuple[str, str]] = ()
) -> bytes:
    """The part of a worksheet after its cells (``tail``; its elements named with ``prefix``, b"" or b"x:")
    with ``added`` after the validations it has, counted again, or in a new ``<dataValidations>`` where the
    schema puts it. The validations whose cells and first formula are among ``replaced`` (an older template's
    check that one of ``added`` replaces) are left out; every other stays byte for byte."""
    if not added:
        return tail
    tail = _without(tail, prefix, replaced)
    new = b"".join(_validation_xml(validation, prefix) for validation in added)
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


def _without(tail: bytes, prefix: bytes, replaced: Collection[tuple[str, str]]) -> bytes:
    """``tail`` without the validations whose (sqref, first formula) is in ``replaced``."""
    if not replaced:
        return tail
    p = re.escape(prefix)

    def kept(found: re.Match[bytes]) -> bytes:
        element = found.group(0)
        sqref = re.search(rb'\ssqref="([^"]*)"', element)
        formula = re.search(rb"<" + p + rb"formula1>(.*?)</" + p + rb"formula1>", element, re.S)
        if sqref is None or formula is None:
            return element
        held = (unescape_xml(sqref.group(1), attribute=True), unescape_xml(formula.group(1)))
        return b"" if held in replaced else element

    pattern = rb"<" + p + rb"dataValidation\b[^>]*?>.*?</" + p + rb"dataValidation\s*>"
    return re.sub(pattern, kept, tail, flags=re.S)


def _validation_xml(validation: NewValidation, prefix: bytes) -> bytes:
    if isinstance(validation, NewDropdown):
        # showDropDown is left out: in the file format it *hides* the in-cell arrow.
        attributes = {"type": "list", "errorStyle": "stop", "allowBlank": "1", "showErrorMessage": "1"}
        attributes |= {"errorTitle": validation.error_title, "error": validation.error, "sqref": validation.sqref}
        formulas = [validation.formula]
    else:
        attributes = {"type": validation.kind, "operator": validation.operator, "errorStyle": "stop"}
        attributes |= {"allowBlank": "1", "showInputMessage": "1", "showErrorMessage": "1"}
        attributes |= {"errorTitle": validation.title, "error": validation.error}
        attributes |= {"promptTitle": validation.title, "prompt": validation.prompt, "sqref": validation.sqref}
        formulas = [validation.formula1, *([validation.formula2] if validation.formula2 is not None else [])]
    written = " ".join(f'{name}="{escape_xml(value, attribute=True)}"' for name, value in attributes.items())
    p = prefix.decode()
    held = "".join(
        f"<{p}formula{number}>{escape_xml(formula)}</{p}formula{number}>"
        for number, formula in enumerate(formulas, start=1)
    )
    return f"<{p}dataValidation {written}>{held}</{p}dataValidation>".encode()
