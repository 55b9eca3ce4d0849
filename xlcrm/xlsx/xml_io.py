"""The XML of a workbook's parts: one hardened parser, one serialiser, one escape/unescape pair.

A workbook is a file from anywhere, so its XML is read with entities never
resolved, no network access, no DTD loaded and libxml2's own size limits kept
(no ``huge_tree``). A part that declares a DTD (``<!DOCTYPE …>``) is refused:
Excel never writes one, and one written back without its declarations would
be a broken part.

Parts that are too big for a tree (the rows of a sheet) are read and written
as bytes instead; ``unescape_xml`` and ``escape_xml`` give their text exactly
as an XML parser reads it and back, so a formula that is rewritten keeps every
character, line breaks written as ``&#13;`` included.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from lxml import etree

from xlcrm.errors import NotAWorkbook
from xlcrm.messages import t

# Bigger parts are refused before parsing: the largest xlcrm parses (styles, comments, a sheet's tail) are a
# few megabytes even in workbooks of a million rows.
MAX_PARSED_BYTES = 256 << 20

_local = threading.local()  # an lxml parser must not be used by two threads at once


def _parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
        )
    return parser


# A document type declaration comes before the root element: after the XML declaration, comments and
# processing instructions only.
_DOCTYPE = re.compile(rb"^(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*<!DOCTYPE\b", re.S)


def _refuse_dtd(what: str) -> NotAWorkbook:
    return NotAWorkbook(
        t(
            "the workbook's {part} contains a DTD (<!DOCTYPE …>), which Excel never writes; xlcrm does not read such "
            "a file (save it again in Excel first)",
            part=what,
        )
    )


def refuse_dtd(data: bytes, what: str) -> None:
    """Raise ``NotAWorkbook`` when ``data``, the start of a part read as bytes, declares a DTD."""
    if _DOCTYPE.match(data):
        raise _refuse_dtd(what)


def parse_part(data: bytes, what: str) -> etree._ElementTree:
    """The part ``data`` (``what`` names it in messages) as a tree; ``NotAWorkbook`` when it is damaged,
    too big, or declares a DTD."""
    if len(data) > MAX_PARSED_BYTES:
        raise NotAWorkbook(
            t(
                "the workbook's {part} is {size} MB, more than the {limit} MB xlcrm reads",
                part=what,
                size=len(data) >> 20,
                limit=MAX_PARSED_BYTES >> 20,
            )
        )
    refuse_dtd(data, what)
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        raise NotAWorkbook(t("the workbook's {part} is damaged: {reason}", part=what, reason=str(exc))) from None
    if tree.docinfo.doctype:  # written in an encoding the check on the bytes does not read
        raise _refuse_dtd(what)
    return tree


@dataclass(frozen=True)
class SheetWithoutCells:
    """A sheet's XML with its cells left out (an empty ``<sheetData>``), as a read of the sheet kept it: what
    follows the cells (conditional formats, data validations) without inflating the part again."""

    part: str  # the zip entry of the sheet's XML, as messages name it
    head: bytes  # what comes before the cells, up to and with the (empty or opening) sheetData tag
    tail: bytes  # what follows the cells

    def root(self) -> etree._Element:
        """The worksheet element, parsed as ``parse_part`` parses."""
        return parse_part(self.head + self.tail, self.part).getroot()

    def root_mentioning(self, needed: bytes) -> etree._Element | None:
        """``root()`` when what follows the cells mentions ``needed`` (conditional formats and data validations
        stand there); None otherwise, without parsing."""
        return self.root() if needed in self.tail else None


def iterparse_part(handle: IO[bytes], what: str, tag: str) -> Iterator[etree._Element]:
    """The ``tag`` elements of a part read from ``handle`` one by one, parsed as ``parse_part`` parses (no
    entities resolved, no network, no DTD); each is cleared once the caller is done with it. ``NotAWorkbook``
    when the part is damaged or declares a DTD."""
    parts = etree.iterparse(
        handle,
        events=("end",),
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )
    try:
        for _, element in parts:
            if parts.root is not None and parts.root.getroottree().docinfo.doctype:
                raise _refuse_dtd(what)
            yield element
            element.clear()
    except etree.XMLSyntaxError as exc:
        raise NotAWorkbook(t("the workbook's {part} is damaged: {reason}", part=what, reason=str(exc))) from None


def detach(element: etree._Element) -> None:
    """Remove ``element`` from its parent: one found below a part's root always has one."""
    parent = element.getparent()
    assert parent is not None, "a part's root cannot be removed"
    parent.remove(element)


def local_name(element: etree._Element) -> str:
    """An element's name without its namespace ("" for a comment or processing instruction)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def children(element: etree._Element, localname: str | None = None) -> list[etree._Element]:
    """Child elements (comments and processing instructions skipped), optionally of one local name."""
    return [c for c in element if isinstance(c.tag, str) and (localname is None or local_name(c) == localname)]


def xml_number(text: str | None) -> int | None:
    """The whole number, not below 0, that an attribute or element of a part holds, or None when it holds none.

    Written as every spreadsheet program writes the format's numbers (XML Schema integers): ASCII digits without a
    sign, with XML's white space (space, tab, CR, LF) around them. ``int()`` alone would also read ``١`` (Arabic-Indic
    one) and a ``1`` after a no-break space, which no spreadsheet program takes for a number there. No number of the
    format has more than 20 digits; Python refuses to read one of thousands.
    """
    digits = (text or "").strip(" \t\r\n")
    return int(digits) if len(digits) <= _LONGEST_NUMBER and digits.isascii() and digits.isdecimal() else None


_LONGEST_NUMBER = 20  # the digits of xsd:unsignedLong's largest value, the widest integer type of the format


def insert_in_order(parent: etree._Element, element: etree._Element, order: Sequence[str]) -> None:
    """Insert ``element`` before the first child that the schema puts after it (``order``: the schema's order of
    the parent's children, by local name)."""
    rank = order.index(local_name(element))
    for index, child in enumerate(parent):
        if isinstance(child.tag, str) and local_name(child) in order and order.index(local_name(child)) > rank:
            parent.insert(index, element)
            return
    parent.append(element)


def serialize_part(tree: etree._ElementTree) -> bytes:
    """A part's tree as UTF-8 bytes, with the XML declaration as Office programs write it."""
    # The declaration is written by hand: lxml's uses single quotes, unlike every Office program.
    standalone = {True: ' standalone="yes"', False: ' standalone="no"', None: ""}[tree.docinfo.standalone]
    declaration = f'<?xml version="1.0" encoding="UTF-8"{standalone}?>\n'.encode("ascii")
    return declaration + etree.tostring(tree, encoding="UTF-8", xml_declaration=False)


# --- text ---------------------------------------------------------------------------

# Characters XML 1.0 cannot carry at all, not even as a character reference.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What a parser resolves in text: the five predefined entities and character references. Any other "&" is
# not well-formed (entities of a DTD are refused with the DTD).
_REFERENCE = re.compile(r"&(?:#([0-9]+);|#x([0-9A-Fa-f]+);|(lt|gt|amp|quot|apos);)?")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\t": "&#9;", "\n": "&#10;"}
_TEXT_SPECIALS = re.compile('[&<>"\r]')
# In an attribute a parser turns a literal tab or line feed into a space: they are written as references.
_ATTRIBUTE_SPECIALS = re.compile('[&<>"\r\t\n]')
# What Excel writes as its own _xHHHH_ escape in a cell's text: control characters (XML forbids most; a carriage
# return would be read back as a line feed), lone surrogates, and text that looks like one of those escapes.
_EXCEL_SPECIALS = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
# Text without any of these characters, and without "_x", needs no escaping at all, Excel's or XML's, in element
# content or an attribute. (Two searches are faster than one for an escape pattern: most cell texts have neither.)
_EXCEL_WORK = re.compile(r"[&<>\"\x00-\x1f\ud800-\udfff\ufffe\uffff]")


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:60] + "…")


def character_code(decimal: str | None, hexadecimal: str | None) -> int | None:
    """The code point of a character reference's digits (leading zeros allowed), None beyond Unicode."""
    digits = (decimal if decimal is not None else hexadecimal or "").lstrip("0") or "0"
    if len(digits) > 7:
        return None
    code = int(digits, 10 if decimal is not None else 16)
    return code if code <= 0x10FFFF else None


def _resolve(match: re.Match[str], strict: bool) -> str:
    decimal, hexadecimal, named = match.groups()
    if named is not None:
        return _NAMED[named]
    if decimal is None and hexadecimal is None:
        if strict:
            text = match.string[match.start() : match.start() + 12]
            raise NotAWorkbook(t("the workbook is damaged: its XML text has a stray '&' ({text})", text=_quoted(text)))
        return match.group(0)
    code = character_code(decimal, hexadecimal)
    if code is None or _NOT_XML_CHAR.match(chr(code)):
        if strict:
            raise NotAWorkbook(
                t(
                    "the workbook is damaged: its XML text has {text}, which is not a character XML allows",
                    text=_quoted(match.group(0)),
                )
            )
        return match.group(0)
    return chr(code)


def unescape_xml(text: bytes | str, *, attribute: bool = False, strict: bool = True) -> str:
    """The text an XML parser reads from raw element content (or, with ``attribute``, an attribute value):
    line ends normalised, character references and the five predefined entities resolved.

    ``NotAWorkbook`` when the text is not well-formed (bad UTF-8, a stray "&", a character XML forbids);
    with ``strict`` off, what cannot be read is left as it is (for searches that may over-match).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8") if strict else text.decode("utf-8", "replace")
        except UnicodeDecodeError as exc:
            raise NotAWorkbook(
                t("the workbook is damaged: its XML text is not UTF-8 ({reason})", reason=str(exc))
            ) from None
    if "\r" in text:  # before references are resolved: a &#13; stays a carriage return
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if attribute and ("\t" in text or "\n" in text):
        text = text.replace("\t", " ").replace("\n", " ")
    if strict and _NOT_XML_CHAR.search(text):
        raise NotAWorkbook(
            t("the workbook is damaged: its XML text {text} holds a character XML forbids", text=_quoted(text))
        )
    if "&" in text:
        text = _REFERENCE.sub(lambda match: _resolve(match, strict), text)
    return text


def _excel_escape(match: re.Match[str]) -> str:
    text = match.group()
    if text.startswith("_x"):
        # Excel reads _xHHHH_ as an escaped character; escape the underscore so the text stays as typed.
        return "_x005F" + text
    if "\ud800" <= text <= "\udfff":
        return "\ufffd"  # a lone surrogate cannot be stored in UTF-8
    return f"_x{ord(text):04X}_"  # Excel's own escape for a character XML cannot carry


def escape_xml(text: str, *, attribute: bool = False, excel: bool = False) -> str:
    """``text`` as raw element content (or, with ``attribute``, as an attribute value between double quotes)
    that an XML parser reads back as exactly ``text``: ``unescape_xml`` undoes it.

    A character XML cannot carry at all is a ValueError (text read by ``unescape_xml`` never holds one), unless
    ``excel``: the text is then a cell's (or a chart's), which Excel reads through escapes of its own (an
    ``ST_Xstring``) after the parser. A control character, a carriage return included, is written as
    ``_xHHHH_``, text that looks like such an escape gets its underscore escaped, and a lone surrogate (which
    UTF-8 cannot hold) becomes U+FFFD.
    """
    if excel:
        if not _EXCEL_WORK.search(text) and "_x" not in text:
            return text
        text = _EXCEL_SPECIALS.sub(_excel_escape, text)
    bad = _NOT_XML_CHAR.search(text)
    if bad:
        raise ValueError(f"U+{ord(bad.group()):04X} cannot be written in XML")
    specials = _ATTRIBUTE_SPECIALS if attribute else _TEXT_SPECIALS
    return specials.sub(lambda match: _ESCAPES[match.group()], text) if specials.search(text) else text
