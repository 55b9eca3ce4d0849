"""The parts of a workbook package (a zip of XML parts) as a save sees them: their names, relationships and
content types, the workbook's sheet list, and the list of what the save writes, replaces or drops.

``PackageParts`` reads the parts xlcrm edits and keeps that list; the edit of a user sheet
(``xlcrm.xlsx.user_sheet``) and the writing of report sheets (``xlcrm.xlsx.package``) go through it.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from lxml import etree

from xlcrm.errors import NotAWorkbook, WorkbookError, quoted
from xlcrm.messages import t
from xlcrm.xlsx.refs import sheet_ref
from xlcrm.xlsx.report_sheet import StyleKey, StyleSpec
from xlcrm.xlsx.streams import Deflated, deflate_into
from xlcrm.xlsx.styles import MINIMAL_STYLES, StyleSheet
from xlcrm.xlsx.xml_io import (
    MAX_PARSED_BYTES,
    children,
    detach,
    insert_in_order,
    parse_part,
    serialize_part,
    xml_number,
)
from xlcrm.xlsx.zip_writer import REPORT_COMPRESSION_LEVEL, ZipWriter

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"

REL_OFFICE_DOCUMENT = NS_R + "/officeDocument"
# Excel's "Strict Open XML Spreadsheet" names its parts with ISO/IEC 29500 Strict relationship types.
REL_STRICT_OFFICE_DOCUMENT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
REL_WORKSHEET = NS_R + "/worksheet"
REL_STYLES = NS_R + "/styles"
REL_CALC_CHAIN = NS_R + "/calcChain"
REL_EXTENDED_PROPERTIES = NS_R + "/extended-properties"

CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

CONTENT_TYPES_PART = "[Content_Types].xml"
# The hidden name, local to a sheet, that Excel pairs with the sheet's filter.
FILTER_NAME = "_xlnm._FilterDatabase"
# The name, local to a sheet, whose rows Excel and LibreOffice print atop every page of that sheet.
PRINT_TITLES_NAME = "_xlnm.Print_Titles"

# The order of a worksheet's elements (CT_Worksheet), for one xlcrm adds.
WORKSHEET_ORDER = (
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)

# Child order of <workbook> per the schema: a new element must go where Excel expects it.
WORKBOOK_ORDER = (
    "fileVersion",
    "fileSharing",
    "workbookPr",
    "workbookProtection",
    "bookViews",
    "sheets",
    "functionGroups",
    "externalReferences",
    "definedNames",
    "calcPr",
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)


@dataclass(frozen=True)
class SheetPartWritten:
    """What writing a sheet's part ahead (``UserSheetEdit.write_part_ahead``) did besides the part: the styles part
    before the cells were written, whether it was still the workbook's as read then, and after, when the cells added
    a style (None: they only looked styles up); whether formulas moved (the calculation chain goes then); the range
    the sheet's own filter was set to, if it changed (its defined name follows)."""

    styles_before: bytes
    styles_as_read: bool
    styles_after: bytes | None
    formulas_move: bool
    filter_ref: str | None


@dataclass(frozen=True)
class RenderedPart:
    """A user sheet's worksheet part written ahead by another process (``xlcrm.xlsx.prerender``): raw-deflated, as a
    zip entry holds it, into ``file``."""

    file: Path
    deflated: Deflated
    part: str  # the zip entry
    writing: SheetPartWritten
    silent_about: frozenset[str] = frozenset()  # sheets it never mentions (see EditsWrittenAhead.silent_about)


# --- part names and XML -------------------------------------------------------------


def rels_part(part: str) -> str:
    """The relationships part of ``part`` ("" is the package itself)."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def source_of_rels(rels_part: str) -> str | None:
    """Inverse of ``rels_part``: the part a .rels file describes, or None for other files."""
    folder, base = posixpath.split(rels_part)
    if posixpath.basename(folder) != "_rels" or not base.endswith(".rels"):
        return None
    return posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])


def resolve_target(source_part: str, target: str) -> str:
    """A relationship target of ``source_part`` as a part name (zip entry name, no leading slash)."""
    target = target.split("#", 1)[0]
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


class Relationships:
    """One .rels part: the links from a part to others."""

    def __init__(self, part: str, data: bytes | None):
        self.part = part
        if data is None:
            self.tree = etree.ElementTree(
                etree.Element(f"{{{NS_PACKAGE_RELS}}}Relationships", nsmap={None: NS_PACKAGE_RELS})
            )
        else:
            self.tree = parse_part(data, rels_part(part))

    @property
    def items(self) -> list[etree._Element]:
        """The part's relationships, in document order."""
        return children(self.tree.getroot(), "Relationship")

    def target(self, rel: etree._Element) -> str | None:
        """The part a relationship points to, or None when it points outside the package."""
        if rel.get("TargetMode") == "External" or rel.get("Target") is None:
            return None
        return resolve_target(self.part, rel.get("Target", ""))

    def by_id(self, rel_id: str) -> etree._Element | None:
        """The relationship with this id, or None when there is none."""
        return next((rel for rel in self.items if rel.get("Id") == rel_id), None)

    def by_type(self, rel_type: str) -> list[etree._Element]:
        """The relationships of this type."""
        return [rel for rel in self.items if rel.get("Type") == rel_type]

    def add(self, rel_type: str, part: str) -> str:
        """A new relationship to ``part`` inside the package; returns its id."""
        rel_id = self._new_id()
        target = posixpath.relpath(part, posixpath.dirname(self.part) or ".")
        etree.SubElement(
            self.tree.getroot(), f"{{{NS_PACKAGE_RELS}}}Relationship", Id=rel_id, Type=rel_type, Target=target
        )
        return rel_id

    def add_external(self, rel_type: str, target: str) -> str:
        """A relationship to something outside the package (a web or mail address); returns its id."""
        rel_id = self._new_id()
        etree.SubElement(
            self.tree.getroot(),
            f"{{{NS_PACKAGE_RELS}}}Relationship",
            Id=rel_id,
            Type=rel_type,
            Target=target,
            TargetMode="External",
        )
        return rel_id

    def _new_id(self) -> str:
        ids = {rel.get("Id") for rel in self.items}
        number = len(ids) + 1
        while f"rId{number}" in ids:
            number += 1
        return f"rId{number}"


class _ContentTypes:
    """[Content_Types].xml: the content type of each part."""

    def __init__(self, data: bytes):
        self.tree = parse_part(data, CONTENT_TYPES_PART)

    def _override(self, part: str) -> etree._Element | None:
        wanted = "/" + part.casefold()
        return next(
            (o for o in children(self.tree.getroot(), "Override") if o.get("PartName", "").casefold() == wanted), None
        )

    def set(self, part: str, content_type: str) -> None:
        override = self._override(part)
        if override is None:
            etree.SubElement(
                self.tree.getroot(), f"{{{NS_CONTENT_TYPES}}}Override", PartName="/" + part, ContentType=content_type
            )
        elif override.get("ContentType") != content_type:
            override.set("ContentType", content_type)

    def remove(self, part: str) -> None:
        override = self._override(part)
        if override is not None:
            detach(override)


@dataclass
class Sheet:
    """A sheet of the workbook: its entry in the sheet list and its part."""

    element: etree._Element  # the <sheet> entry in workbook.xml
    part: str

    @property
    def name(self) -> str:
        """The sheet's name as its tab shows it."""
        return self.element.get("name", "")

    @property
    def sheet_id(self) -> int:
        """The sheet's sheetId in the workbook's sheet list (0 when it has none, or none xlcrm can read)."""
        return xml_number(self.element.get("sheetId")) or 0

    @property
    def visible(self) -> bool:
        """Whether the sheet is shown (neither hidden nor very hidden)."""
        return self.element.get("state", "visible") == "visible"


def child_or_new(parent: etree._Element, localname: str, order: Sequence[str]) -> etree._Element:
    """The first ``localname`` child of ``parent``, or a new one put where ``order`` says it belongs."""
    found = children(parent, localname)
    if found:
        return found[0]
    element = etree.Element(f"{{{NS_MAIN}}}{localname}")
    insert_in_order(parent, element, order)
    return element


def filter_range(sheet_name: str, ref: str) -> str:
    """The text of a sheet's ``FILTER_NAME`` for its filter over ``ref`` (``A1:D9``): absolute, with the sheet's
    name."""
    start, _, end = ref.partition(":")
    return f"{sheet_ref(sheet_name)}!{_absolute(start)}:{_absolute(end or start)}"


def _absolute(cell: str) -> str:
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    assert match is not None
    return f"${match.group(1)}${match.group(2)}"


# --- the package --------------------------------------------------------------------


def _strict_workbook(path: Path) -> WorkbookError:
    return WorkbookError(
        t(
            "{path} is saved as 'Strict Open XML Spreadsheet'; save it in Excel as 'Excel Workbook (*.xlsx)' first",
            path=path,
        )
    )


class PackageParts:
    """The parsed parts xlcrm edits, and the list of what to write, replace or drop: what the edit of a user
    sheet and the writing of report sheets read and change the workbook through."""

    def __init__(self, archive: zipfile.ZipFile, path: Path, temporary: contextlib.ExitStack):
        self.archive = archive
        self.temporary = temporary  # closes the temporary files of edited sheets
        self.path = path
        self.entries = {info.filename.casefold(): info.filename for info in archive.infolist()}
        self.content_types = _ContentTypes(self.read(CONTENT_TYPES_PART))
        self.package_rels = Relationships("", self.read_optional(rels_part("")))
        office = self.package_rels.by_type(REL_OFFICE_DOCUMENT)
        if not office and self.package_rels.by_type(REL_STRICT_OFFICE_DOCUMENT):
            raise _strict_workbook(path)
        if not office:
            raise NotAWorkbook(t("{path} is not an Excel workbook (no main document in the package)", path=path))
        self.workbook_part = self.package_rels.target(office[0]) or ""
        self.workbook = parse_part(self.read(self.workbook_part), self.workbook_part)
        namespace = etree.QName(self.workbook.getroot()).namespace
        if namespace == NS_STRICT_MAIN:
            raise _strict_workbook(path)
        if namespace != NS_MAIN:
            raise NotAWorkbook(
                t(
                    "{path} is not an Excel workbook ({part} is not a workbook part)",
                    path=path,
                    part=self.workbook_part,
                )
            )
        self.workbook_rels = Relationships(self.workbook_part, self.read_optional(rels_part(self.workbook_part)))
        self.edited: dict[str, bytes] = {}  # part -> new content (changed or new parts)
        self.streamed: dict[str, Callable[[], Iterable[bytes]]] = {}  # part -> its new content, produced on save
        # part -> its new content, compressed already into a temporary file, and what a zip entry records of it
        self.deflated: dict[str, tuple[BinaryIO, Deflated]] = {}
        self.dropped: set[str] = set()
        self.structure_changed = False  # workbook.xml, its relationships and the content types need writing
        self.workbook_changed = False  # only workbook.xml does (defined names, recalculation on load)
        self._styles: tuple[str, StyleSheet] | None = None

    # reading

    def entry_of(self, part: str) -> str | None:
        """The zip entry that holds ``part`` (part names compare case-insensitively)."""
        return self.entries.get(part.casefold())

    def read_optional(self, part: str) -> bytes | None:
        """The content of ``part`` (read whole, to be parsed), or None when the package has no such part."""
        name = self.entry_of(part)
        if name is None:
            return None
        size = self.archive.getinfo(name).file_size  # zipfile reads no more than the size the entry declares
        if size > MAX_PARSED_BYTES:
            raise NotAWorkbook(
                t(
                    "the workbook's {part} is {size} MB, more than the {limit} MB xlcrm reads",
                    part=part,
                    size=size >> 20,
                    limit=MAX_PARSED_BYTES >> 20,
                )
            )
        try:
            return self.archive.read(name)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise NotAWorkbook(
                t("{path} is damaged: {part} cannot be read ({reason})", path=self.path, part=part, reason=str(exc))
            ) from None

    def read(self, part: str) -> bytes:
        """The content of ``part``, read whole; ``NotAWorkbook`` when the package has no such part."""
        data = self.read_optional(part)
        if data is None:
            raise NotAWorkbook(t("{path} is not a complete workbook: {part} is missing", path=self.path, part=part))
        return data

    def open_sheet(self, sheet: Sheet) -> BinaryIO:
        """The worksheet part of ``sheet``, to read; ``NotAWorkbook`` naming the sheet when it cannot be."""
        try:
            return cast(BinaryIO, self.archive.open(self.entry_of(sheet.part) or sheet.part))
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise NotAWorkbook(
                t(
                    "{path} is damaged: sheet {sheet} cannot be read ({reason})",
                    path=self.path,
                    sheet=quoted(sheet.name),
                    reason=str(exc),
                )
            ) from None

    def rels_of(self, part: str) -> Relationships | None:
        """The relationships of ``part``, or None when it has none."""
        data = self.read_optional(rels_part(part))
        return None if data is None else Relationships(part, data)

    def sheets_element(self) -> etree._Element:
        """The ``<sheets>`` list of workbook.xml."""
        found = children(self.workbook.getroot(), "sheets")
        if not found:
            raise NotAWorkbook(t("{path} has no sheet list in {part}", path=self.path, part=self.workbook_part))
        return found[0]

    def sheets(self) -> list[Sheet]:
        """The workbook's sheets, in the order of their tabs."""
        result = []
        for element in children(self.sheets_element(), "sheet"):
            rel = self.workbook_rels.by_id(element.get(f"{{{NS_R}}}id", ""))
            part = None if rel is None else self.workbook_rels.target(rel)
            if part is None:
                raise NotAWorkbook(
                    t("{path} is damaged: sheet {sheet} has no part", path=self.path, sheet=quoted(element.get("name")))
                )
            result.append(Sheet(element, part))
        return result

    def date1904(self) -> bool:
        """Whether the workbook counts dates from 1904 (as old Excel for Mac did)."""
        for properties in children(self.workbook.getroot(), "workbookPr"):
            return properties.get("date1904", "false").lower() in ("1", "true")
        return False

    def sheet_type(self, sheet: Sheet) -> str | None:
        """The relationship type of the part of ``sheet`` (a worksheet, a chart sheet), None when it has none."""
        rel = self.workbook_rels.by_id(sheet.element.get(f"{{{NS_R}}}id", ""))
        return None if rel is None else rel.get("Type")

    def defined_names(self) -> list[etree._Element]:
        """The workbook's defined names (``<definedName>`` elements), to read or change in place; whoever changes
        one sets ``workbook_changed``."""
        return [
            defined
            for names in children(self.workbook.getroot(), "definedNames")
            for defined in children(names, "definedName")
        ]

    # changes

    def store(self, part: str, data: bytes) -> None:
        """``data`` as the new content of ``part`` (changed or added), written by the save."""
        self.edited[self.entry_of(part) or part] = data

    def deflate(self, part: str, chunks: Iterable[bytes]) -> None:
        """The new content of ``part``, compressed now into a temporary file that the save copies."""
        handle = self.temporary.enter_context(tempfile.TemporaryFile())
        self.deflated[part] = (handle, deflate_into(chunks, handle, REPORT_COMPRESSION_LEVEL))

    def take_written(self, part: str, written: RenderedPart) -> None:
        """A part another process wrote ahead (``xlcrm.xlsx.prerender``), saved as it was compressed there."""
        self.deflated[part] = (self.temporary.enter_context(written.file.open("rb")), written.deflated)

    def drop(self, part: str) -> None:
        """Leave ``part`` out of the save and out of the content types."""
        name = self.entry_of(part)
        if name is not None:
            self.dropped.add(name)
        self.content_types.remove(part)

    def drop_calc_chain(self) -> None:
        """Formulas moved or were overwritten: Excel rebuilds a missing calculation chain, a stale one it repairs."""
        for rel in self.workbook_rels.by_type(REL_CALC_CHAIN):
            part = self.workbook_rels.target(rel)
            if part:
                self.drop(part)
            detach(rel)
            self.structure_changed = True

    def recalculate_on_load(self) -> None:
        """Formulas that read edited cells still hold their old results: Excel recomputes every formula
        when the file is next opened, and clears the flag when it saves. (LibreOffice follows its own
        setting for recalculating on load.)"""
        root = self.workbook.getroot()
        properties = child_or_new(root, "calcPr", WORKBOOK_ORDER)
        if properties.get("fullCalcOnLoad") not in ("1", "true"):
            properties.set("fullCalcOnLoad", "1")
            self.workbook_changed = True

    # styles

    def style_sheet(self) -> StyleSheet:
        """The workbook's styles, read once; written back on save only if something was added."""
        if self._styles is None:
            rels = self.workbook_rels.by_type(REL_STYLES)
            part = self.workbook_rels.target(rels[0]) if rels else None
            data = self.read_optional(part) if part else None
            created = part is None or data is None
            if part is None or data is None:
                part = posixpath.join(posixpath.dirname(self.workbook_part), "styles.xml")
                if not rels:
                    self.workbook_rels.add(REL_STYLES, part)
                self.content_types.set(part, CT_STYLES)
                self.structure_changed = True
                data = MINIMAL_STYLES
            self._styles = (part, StyleSheet(parse_part(data, part)))
            self._styles[1].changed = created
        return self._styles[1]

    def styles_xml(self) -> bytes:
        """The styles part as it stands in this write."""
        return serialize_part(self.style_sheet().tree)

    def take_styles(self, writing: SheetPartWritten) -> bool:
        """Whether a part written ahead (``writing``) can be taken: it was written with exactly these styles (those
        it added are taken as it left them), or it only looked up styles of the workbook as read, which keep their
        indexes in any save since styles are only appended. False: the part is to be written here."""
        if writing.styles_as_read and writing.styles_after is None:
            return True
        if writing.styles_before != self.styles_xml():
            return False
        if writing.styles_after is None:
            return True
        assert self._styles is not None  # read by styles_xml
        part, before = self._styles
        data = writing.styles_after
        if before.tree.docinfo.standalone is None:
            # Its declaration names no standalone flag, which parsing it back would read as "no" and write so.
            data = data[data.index(b"?>") + 2 :]
        after = StyleSheet(parse_part(data, part))
        after.changed = True
        self._styles = (part, after)
        return True

    def merge_styles(self, specs: dict[StyleKey, StyleSpec]) -> dict[StyleKey, int]:
        """The index in cellXfs of a cell format for each of ``specs``, found in the workbook's styles or added."""
        styles = self.style_sheet()
        return {key: styles.xf(spec) for key, spec in specs.items()}

    # writing

    def store_changed_parts(self) -> None:
        """Store what changed in the parts this write holds parsed: the styles, workbook.xml and, when sheets
        came or went, its relationships and the content types."""
        if self._styles is not None and self._styles[1].changed:
            self.store(self._styles[0], serialize_part(self._styles[1].tree))
        if self.structure_changed or self.workbook_changed:
            self.store(self.workbook_part, serialize_part(self.workbook))
        if self.structure_changed:
            self.store(rels_part(self.workbook_part), serialize_part(self.workbook_rels.tree))
            self.store(CONTENT_TYPES_PART, serialize_part(self.content_types.tree))

    def save(self, writer: ZipWriter, raw_source: BinaryIO) -> None:
        """Write the package with ``writer``: each entry as read, either its new content or its compressed bytes
        copied from ``raw_source`` (the workbook's file) unchanged, then the parts that are new."""
        pending_streams = dict(self.streamed)
        pending_edits = dict(self.edited)
        pending_deflated = dict(self.deflated)
        for info in self.archive.infolist():
            name = info.filename
            if self.archive.getinfo(name) is not info or name in self.dropped:
                continue  # a duplicate entry (the last one wins, as in every reader) or a part that goes
            if name in pending_deflated:
                writer.write_deflated(name, *pending_deflated.pop(name))
            elif name in pending_streams:
                writer.write(name, pending_streams.pop(name)())
            elif name in pending_edits:
                writer.write(name, [pending_edits.pop(name)])
            else:
                writer.copy_raw(raw_source, info)
        for name, content in pending_edits.items():
            writer.write(name, [content])
        for name, produce in pending_streams.items():
            writer.write(name, produce())
        for name, (data, written) in pending_deflated.items():
            writer.write_deflated(name, data, written)
        writer.close()
