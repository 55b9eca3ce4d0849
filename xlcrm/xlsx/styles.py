"""The workbook's styles (``xl/styles.xml``): the cell formats report cells and edited cells need, found or appended.

Styles are only ever appended, so an existing font, fill, border or cell format keeps its index and every cell
of the workbook keeps its look.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from xlcrm.xlsx.report_sheet import NUMBER_FORMATS, ColumnFormat, StyleSpec
from xlcrm.xlsx.xml_io import children, insert_in_order, local_name, xml_number

# Child order of <styleSheet> and of <font> per the schema: a new element must go where Excel expects it.
_STYLESHEET_ORDER = (
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
)
_FONT_ORDER = (
    "b",
    "i",
    "strike",
    "condense",
    "extend",
    "outline",
    "shadow",
    "u",
    "vertAlign",
    "sz",
    "color",
    "name",
    "family",
    "charset",
    "scheme",
)

# Number formats every Excel knows by id; a custom numFmt with the same code would be a duplicate.
_BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "@": 49,
}
_FIRST_CUSTOM_FORMAT = 164

# The styles of a workbook that has no styles part: Excel's own defaults.
MINIMAL_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b"</styleSheet>"
)


def _canonical(element: etree._Element) -> tuple[object, ...]:
    return (local_name(element), tuple(sorted(element.attrib.items())), tuple(_canonical(c) for c in children(element)))


class StyleSheet:
    """styles.xml, grown only by appending: an existing font, fill, border or cell format keeps its index."""

    def __init__(self, tree: etree._ElementTree):
        self.tree = tree
        self.root = tree.getroot()
        self.ns = etree.QName(self.root).namespace
        self.changed = False
        # Asked once per written cell; formats are only appended, so an index's answer never changes.
        self._date_answers: dict[int, bool] = {}
        self._dated_answers: dict[tuple[int, bool], int] = {}
        self._formatted_answers: dict[tuple[int, str], int] = {}

    def _new(self, localname: str, **attributes: str) -> etree._Element:
        element = etree.Element(f"{{{self.ns}}}{localname}")
        for key, value in attributes.items():
            element.set(key, value)
        return element

    def _collection(self, localname: str) -> etree._Element:
        found = children(self.root, localname)
        if found:
            return found[0]
        collection = self._new(localname, count="0")
        insert_in_order(self.root, collection, _STYLESHEET_ORDER)
        self.changed = True
        return collection

    def _find_or_add(self, localname: str, element: etree._Element) -> int:
        collection = self._collection(localname)
        items = children(collection)
        wanted = _canonical(element)
        for index, item in enumerate(items):
            if _canonical(item) == wanted:
                return index
        collection.append(element)
        collection.set("count", str(len(items) + 1))
        self.changed = True
        return len(items)

    def dxf(self, font: str, fill: str) -> int:
        """The index in dxfs of the look of a conditional format: ``font`` colour on a solid ``fill`` (RGB hex),
        found or added; written as openpyxl writes it, so the look of a rule xlcrm's template wrote is found."""
        element = self._new("dxf")
        color = etree.SubElement(etree.SubElement(element, f"{{{self.ns}}}font"), f"{{{self.ns}}}color")
        color.set("rgb", "00" + font.upper())
        pattern = etree.SubElement(etree.SubElement(element, f"{{{self.ns}}}fill"), f"{{{self.ns}}}patternFill")
        pattern.set("patternType", "solid")
        for localname in ("fgColor", "bgColor"):
            etree.SubElement(pattern, f"{{{self.ns}}}{localname}").set("rgb", "00" + fill.upper())
        return self._find_or_add("dxfs", element)

    def _number_format(self, code: str | None) -> int:
        if code is None:
            return 0
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        formats = self._collection("numFmts")
        ids = []
        for item in children(formats, "numFmt"):
            number = xml_number(item.get("numFmtId"))
            if number is None:
                continue  # a format no cell can name: neither reused nor in the way of a new number
            if item.get("formatCode") == code:
                return number
            ids.append(number)
        new_id = max([_FIRST_CUSTOM_FORMAT - 1, *ids]) + 1
        formats.append(self._new("numFmt", numFmtId=str(new_id), formatCode=code))
        formats.set("count", str(len(children(formats))))
        self.changed = True
        return new_id

    def _font(self, spec: StyleSpec) -> int:
        if not (spec.bold or spec.italic or spec.size or spec.color):
            return 0
        # Start from the workbook's default font, so report text matches what the user chose.
        fonts = children(self._collection("fonts"))
        parts = {local_name(child): copy.deepcopy(child) for child in children(fonts[0])} if fonts else {}
        if spec.bold:
            parts["b"] = self._new("b")
        if spec.italic:
            parts["i"] = self._new("i")
        if spec.size:
            parts["sz"] = self._new("sz", val=f"{spec.size:g}")
        if spec.color:
            parts["color"] = self._new("color", rgb=spec.color)
        font = self._new("font")
        for name in [n for n in _FONT_ORDER if n in parts] + [n for n in parts if n not in _FONT_ORDER]:
            font.append(parts[name])
        return self._find_or_add("fonts", font)

    def _fill(self, color: str | None) -> int:
        if color is None:
            return 0
        fills = self._collection("fills")
        # Fills 0 and 1 are reserved (none, gray125): Excel treats them so whatever they say.
        for reserved in ("none", "gray125")[len(children(fills)) :]:
            fill = self._new("fill")
            fill.append(self._new("patternFill", patternType=reserved))
            fills.append(fill)
            fills.set("count", str(len(children(fills))))
            self.changed = True
        fill = self._new("fill")
        pattern = self._new("patternFill", patternType="solid")
        pattern.append(self._new("fgColor", rgb=color))
        pattern.append(self._new("bgColor", indexed="64"))
        fill.append(pattern)
        return self._find_or_add("fills", fill)

    def _border(self, bottom: bool) -> int:
        if not bottom:
            return 0
        border = self._new("border")
        for side in ("left", "right", "top"):
            border.append(self._new(side))
        line = self._new("bottom", style="thin")
        line.append(self._new("color", indexed="64"))
        border.append(line)
        border.append(self._new("diagonal"))
        return self._find_or_add("borders", border)

    def xf(self, spec: StyleSpec) -> int:
        """Index in cellXfs of a cell format that looks like ``spec`` (found, or appended once)."""
        number_format = self._number_format(spec.number_format)
        font, fill, border = self._font(spec), self._fill(spec.fill), self._border(spec.bottom_border)
        xf = self._new("xf", numFmtId=str(number_format), fontId=str(font), fillId=str(fill), borderId=str(border))
        if children(self._collection("cellStyleXfs")):
            xf.set("xfId", "0")
        for flag, used in (
            ("applyNumberFormat", number_format),
            ("applyFont", font),
            ("applyFill", fill),
            ("applyBorder", border),
            ("applyAlignment", spec.wrap or spec.top or spec.align_right),
        ):
            if used:
                xf.set(flag, "1")
        if spec.wrap or spec.top or spec.align_right:
            alignment = self._new("alignment")
            if spec.align_right:
                alignment.set("horizontal", "right")
            if spec.wrap or spec.top:
                alignment.set("vertical", "top")
            if spec.wrap:
                alignment.set("wrapText", "1")
            xf.append(alignment)
        if not spec.locked:
            xf.set("applyProtection", "1")
            xf.append(self._new("protection", locked="0"))
        return self._find_or_add("cellXfs", xf)

    def imported(self, other: StyleSheet, index: int) -> int:
        """The index in cellXfs of the cell format ``index`` of ``other`` (another workbook's styles): its number
        format, font, fill and border found here or appended, then the format itself."""
        original = other._cell_format(index)
        if original is None:
            return 0
        xf = copy.deepcopy(original)
        number_format = xml_number(xf.get("numFmtId")) or 0
        if number_format >= _FIRST_CUSTOM_FORMAT:
            code = next(
                (
                    item.get("formatCode")
                    for item in children(other._collection("numFmts"), "numFmt")
                    if item.get("numFmtId") == str(number_format)
                ),
                None,
            )
            xf.set("numFmtId", str(self._number_format(code)))
        # Font 0 is each workbook's default, fills 0 and 1 are reserved, border 0 is none: kept as they are.
        for attribute, collection, first in (
            ("fontId", "fonts", 1),
            ("fillId", "fills", 2),
            ("borderId", "borders", 1),
        ):
            items = children(other._collection(collection))
            position = xml_number(xf.get(attribute)) or 0
            if first <= position < len(items):
                xf.set(attribute, str(self._find_or_add(collection, copy.deepcopy(items[position]))))
        if children(self._collection("cellStyleXfs")):
            xf.set("xfId", "0")
        elif "xfId" in xf.attrib:
            del xf.attrib["xfId"]
        return self._find_or_add("cellXfs", xf)

    def imported_dxf(self, other: StyleSheet, index: int) -> int:
        """The index in dxfs of the conditional format look ``index`` of ``other``, found here or appended."""
        items = children(other._collection("dxfs"))
        if not 0 <= index < len(items):
            return index
        return self._find_or_add("dxfs", copy.deepcopy(items[index]))

    def _cell_format(self, index: int) -> etree._Element | None:
        formats = children(self._collection("cellXfs"), "xf")
        return formats[index] if 0 <= index < len(formats) else None

    def is_date(self, index: int) -> bool:
        """Does cell format ``index`` show a number as a date?"""
        answer = self._date_answers.get(index)
        if answer is None:
            answer = self._date_answers[index] = self._shows_date(index)
        return answer

    def _shows_date(self, index: int) -> bool:
        xf = self._cell_format(index)
        number_format = (xml_number(xf.get("numFmtId")) or 0) if xf is not None else 0
        if number_format in _BUILTIN_DATE_FORMATS:
            return True
        for item in children(self._collection("numFmts"), "numFmt"):
            if item.get("numFmtId") == str(number_format):
                return _is_date_code(item.get("formatCode", ""))
        return False

    def dated(self, index: int, with_time: bool) -> int:
        """Cell format ``index`` with a date (or date and time) number format: found, or appended once."""
        answer = self._dated_answers.get((index, with_time))
        if answer is None:
            answer = self._dated_answers[index, with_time] = self._with_date_format(index, with_time)
        return answer

    def formatted(self, index: int, code: str) -> int:
        """Cell format ``index`` showing numbers as ``code`` (found, or appended once), unless it has a number
        format of its own already: then ``index`` itself."""
        answer = self._formatted_answers.get((index, code))
        if answer is None:
            original = self._cell_format(index)
            general = original is None or original.get("numFmtId", "0") == "0"
            answer = self._with_number_format(index, code) if general else index
            self._formatted_answers[index, code] = answer
        return answer

    def _with_date_format(self, index: int, with_time: bool) -> int:
        kind = ColumnFormat.DATETIME if with_time else ColumnFormat.DATE
        return self._with_number_format(index, NUMBER_FORMATS[kind])

    def _with_number_format(self, index: int, code: str) -> int:
        number_format = self._number_format(code)
        original = self._cell_format(index)
        if original is None:
            xf = self._new("xf", numFmtId="0", fontId="0", fillId="0", borderId="0")
            if children(self._collection("cellStyleXfs")):
                xf.set("xfId", "0")
        else:
            xf = copy.deepcopy(original)
        xf.set("numFmtId", str(number_format))
        xf.set("applyNumberFormat", "1")
        return self._find_or_add("cellXfs", xf)


# Excel's built-in date and time formats (ids 14-22, 27-36, 45-47, 50-58 are dates in every locale).
_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


def _is_date_code(code: str) -> bool:
    """A custom number format shows dates when, outside quoted text and [colours], it has d, m, y, h or s."""
    plain = _FORMAT_NOISE.sub("", code.split(";")[0]).casefold()
    return any(letter in plain for letter in "dmyhs")
