"""Dropdowns added to a user sheet, in the worksheet XML itself.

A sheet's dropdowns are ``<dataValidation type="list">`` elements of its ``<dataValidations>``. xlcrm adds one
where it adds a column or a setting row that the template gives a dropdown (``xlcrm init --upgrade``); every
validation the sheet has, the user's own included, stays as it is, and the new ones follow them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from xlcrm.xlsx.parts import WORKSHEET_ORDER, child_or_new
from xlcrm.xlsx.xml_io import children


@dataclass(frozen=True)
class NewDropdown:
    """A list dropdown on ``sqref`` ("S2:S1048576") that refuses a value not in the list ``formula`` (a defined
    name, or quoted values separated by commas), with the title and text of the message it shows then."""

    sqref: str
    formula: str
    error_title: str
    error: str


def add_dropdowns(root: etree._Element, added: Sequence[NewDropdown]) -> bool:
    """Append ``added`` to the validations of the worksheet element ``root`` (made when it has none) and count
    them again; returns whether anything was added."""
    if not added:
        return False
    container = child_or_new(root, "dataValidations", WORKSHEET_ORDER)
    namespace = etree.QName(root).namespace
    for new in added:
        # showDropDown is left out: in the file format it *hides* the in-cell arrow.
        validation = etree.SubElement(container, f"{{{namespace}}}dataValidation")
        for name, value in (
            ("type", "list"),
            ("errorStyle", "stop"),
            ("allowBlank", "1"),
            ("showErrorMessage", "1"),
            ("errorTitle", new.error_title),
            ("error", new.error),
            ("sqref", new.sqref),
        ):
            validation.set(name, value)
        etree.SubElement(validation, f"{{{namespace}}}formula1").text = new.formula
    container.set("count", str(len(children(container, "dataValidation"))))
    return True
