"""A worksheet of another workbook copied into the user's workbook as a new sheet, at the package level.

``xlcrm init --upgrade`` adds the user sheets a newer template has (Contracts, ...) to a workbook made by an older
one. The sheet is laid out by the template (headers and their look, widths, formats, an Excel table, dropdowns,
entry checks, frozen header, printing); this module takes that worksheet part and makes it fit the user's
package: its cell formats found or appended in the workbook's own styles, its shared strings written into the
cells, its table given an id and a name no other table or defined name of the workbook has, and its dropdowns
and rules that read a defined name the workbook lacks left out (an upgraded workbook keeps the names it has).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from xlcrm.xlsx.parts import NS_MAIN
from xlcrm.xlsx.styles import StyleSheet
from xlcrm.xlsx.xml_io import children, detach, local_name, parse_part, xml_number

CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


@dataclass(frozen=True)
class SheetCopy:
    """A worksheet of the workbook ``source`` (named ``sheet`` there) added to the workbook written as a new sheet
    named ``name``, right after its sheet ``after`` (first when None)."""

    source: Path
    sheet: str
    name: str
    after: str | None = None


def fitted_worksheet(
    sheet: bytes,
    part: str,
    strings: list[str],
    styles: StyleSheet,
    source_styles: StyleSheet,
    missing_names: Collection[str],
) -> etree._ElementTree:
    """The worksheet ``sheet`` (part ``part`` of the source workbook) rewritten for the target workbook: cell,
    row and column formats imported into ``styles`` from ``source_styles``, shared strings (``strings``) written
    inline, not selected, and without the validations and conditional formats whose formulas read one of
    ``missing_names`` (defined names the target lacks)."""
    tree = parse_part(sheet, part)
    root = tree.getroot()
    imported: dict[int, int] = {}

    def style(index: str) -> str:
        number = xml_number(index) or 0
        if number not in imported:
            imported[number] = styles.imported(source_styles, number)
        return str(imported[number])

    for element in root.iter(f"{{{NS_MAIN}}}c", f"{{{NS_MAIN}}}row", f"{{{NS_MAIN}}}col"):
        attribute = "style" if local_name(element) == "col" else "s"
        if element.get(attribute) is not None:
            element.set(attribute, style(element.get(attribute, "0")))
        if local_name(element) == "c" and element.get("t") == "s":
            _inline(element, strings)
    for view in root.iter(f"{{{NS_MAIN}}}sheetView"):
        view.attrib.pop("tabSelected", None)
    reads_missing = _formula_reader(missing_names)
    for validations in children(root, "dataValidations"):
        for validation in children(validations, "dataValidation"):
            if reads_missing(_formulas(validation)):
                validations.remove(validation)
        if children(validations, "dataValidation"):
            validations.set("count", str(len(children(validations, "dataValidation"))))
        else:
            detach(validations)
    for formatting in children(root, "conditionalFormatting"):
        for rule in children(formatting, "cfRule"):
            if reads_missing(_formulas(rule)):
                formatting.remove(rule)
            elif (dxf := xml_number(rule.get("dxfId"))) is not None:
                rule.set("dxfId", str(styles.imported_dxf(source_styles, dxf)))
            elif rule.get("dxfId") is not None:
                del rule.attrib["dxfId"]  # a format xlcrm cannot tell: the rule colours nothing rather than wrongly
        if not children(formatting, "cfRule"):
            detach(formatting)
    return tree


def fitted_table(table: bytes, part: str, table_id: int, name: str) -> etree._ElementTree:
    """The table part ``table`` with the workbook-unique ``table_id`` and ``name``."""
    tree = parse_part(table, part)
    root = tree.getroot()
    root.set("id", str(table_id))
    root.set("name", name)
    root.set("displayName", name)
    return tree


def free_table_name(wanted: str, taken: Iterable[str]) -> str:
    """``wanted``, or ``wanted_2``, ``wanted_3`` …: the first no table or defined name of the workbook has (Excel
    compares them without case)."""
    used = {name.casefold() for name in taken}
    candidate, number = wanted, 1
    while candidate.casefold() in used:
        number += 1
        candidate = f"{wanted}_{number}"
    return candidate


def table_part_ids(sheet: etree._ElementTree) -> list[etree._Element]:
    """The ``tablePart`` elements of a worksheet, whose relationship ids point at its tables."""
    return [part for parts in children(sheet.getroot(), "tableParts") for part in children(parts, "tablePart")]


def shared_strings(data: bytes | None, part: str) -> list[str]:
    """The texts of a shared-string table, in order (rich text runs joined)."""
    if data is None:
        return []
    return [
        "".join(text.text or "" for text in item.iter(f"{{{NS_MAIN}}}t"))
        for item in children(parse_part(data, part).getroot(), "si")
    ]


def names_of_sheet(names: Iterable[etree._Element], position: int, old: str, new: str) -> list[etree._Element]:
    """Copies of the defined names that belong to the sheet at ``position`` (named ``old`` as formulas name it):
    those local to it (print titles …) and the workbook-wide ones that refer to it and to no other sheet (the
    list behind a dropdown of its own IDs); their references point at ``new``."""
    copies = []
    for defined in names:
        text = defined.text or ""
        local = defined.get("localSheetId")
        own = old + "!" in text and "!" not in text.replace(old + "!", "")
        if xml_number(local) == position or (local is None and own):
            copied = copy.deepcopy(defined)
            copied.text = text.replace(old + "!", new + "!")
            copies.append(copied)
    return copies


def _inline(cell: etree._Element, strings: list[str]) -> None:
    value = cell.find(f"{{{NS_MAIN}}}v")
    text = value.text if value is not None else None
    index = xml_number(text)
    if value is not None:
        cell.remove(value)
    cell.set("t", "inlineStr")
    holder = etree.SubElement(cell, f"{{{NS_MAIN}}}is")
    run = etree.SubElement(holder, f"{{{NS_MAIN}}}t")
    run.text = strings[index] if index is not None and index < len(strings) else ""
    if run.text != run.text.strip():
        run.set(_XML_SPACE, "preserve")


def _formulas(element: etree._Element) -> str:
    return " ".join(
        formula.text or ""
        for formula in element.iter(f"{{{NS_MAIN}}}formula1", f"{{{NS_MAIN}}}formula2", f"{{{NS_MAIN}}}formula")
    )


def _formula_reader(names: Collection[str]) -> Callable[[str], bool]:
    """Whether a formula text reads one of ``names`` (a whole name, outside quoted text)."""
    if not names:
        return lambda _text: False
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(name) for name in names) + r")(?![\w.(])", re.IGNORECASE)
    return lambda text: pattern.search(re.sub(r'"[^"]*"', "", text)) is not None
