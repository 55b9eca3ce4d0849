"""Writing report sheets into a user's workbook at the package (zip) level.

The workbook is usually the business's only copy and holds things xlcrm knows
nothing about: charts, images, pivot tables, slicers, form controls, macros,
extensions of newer Excel versions. Loading it into a spreadsheet library and
saving it again drops some of them, so xlcrm never does that. Instead it copies
every zip entry it does not own unchanged (the compressed bytes themselves,
which is also what makes a refresh of a large workbook fast) and edits only:

- the worksheet parts of its own report sheets (replaced or added, streamed);
- ``xl/workbook.xml`` (sheet list, the report filters' defined names),
  ``xl/_rels/workbook.xml.rels``, ``[Content_Types].xml``;
- ``xl/styles.xml``, where the few styles of report cells are found or appended,
  so every existing style index keeps its meaning;
- ``docProps/app.xml``'s list of worksheet names, when it is unambiguous;
- parts that belonged only to a replaced or removed report sheet (its old
  drawings, comments, ...), and ``xl/calcChain.xml`` when it lists cells of such
  a sheet (Excel rebuilds a missing calculation chain).

XML parts are edited with lxml, which keeps namespace prefixes as written (the
standard library renames them, which breaks ``mc:Ignorable`` declarations).
Report sheets are appended after the user's sheets, so the positions that
defined names and views refer to (``localSheetId``, ``activeTab``) do not move;
an existing report sheet keeps its place.
"""

from __future__ import annotations

import copy
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Sequence

from lxml import etree

from xlcrm.errors import NotAReportSheet, NotAWorkbook, WorkbookError, WriteError
from xlcrm import charts
from xlcrm.report_sheet import (DRAWING_REL_ID, STYLES, ReportSheet, SheetLayout, StyleKey, StyleSpec, layout,
                                render_worksheet)
from xlcrm.schema import REPORT_MARKER
from xlcrm.workbook import sheet_ref

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"

REL_OFFICE_DOCUMENT = NS_R + "/officeDocument"
REL_EXTENDED_PROPERTIES = NS_R + "/extended-properties"
REL_WORKSHEET = NS_R + "/worksheet"
REL_STYLES = NS_R + "/styles"
REL_CALC_CHAIN = NS_R + "/calcChain"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

CONTENT_TYPES_PART = "[Content_Types].xml"
FILTER_NAME = "_xlnm._FilterDatabase"

# zlib level 3 compresses a 100,000-row report sheet three times faster than the default 6, for 10% more bytes.
REPORT_COMPRESSION_LEVEL = 3
_COPY_CHUNK = 1 << 20
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def write_report_sheets(source: Path, target: Path, reports: Sequence[ReportSheet], *,
                        remove: Sequence[str] = ()) -> None:
    """Write ``source`` to ``target`` with ``reports`` added or replaced and the report sheets in ``remove`` gone.

    Every zip entry xlcrm does not own is copied unchanged. Only sheets whose
    names carry the report marker are ever replaced or removed; a report that
    names a user's sheet raises ``NotAReportSheet`` and nothing is written.
    Names in ``remove`` that the workbook does not have are ignored.
    """
    source, target = Path(source), Path(target)
    if target.exists() and target.resolve() == source.resolve():
        raise ValueError("write_report_sheets needs a target other than its source")
    _check_request(reports, remove)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAWorkbook(f"{source} cannot be read as a workbook: {exc}") from None
    with archive:
        package = _Package(archive, source)
        package.apply(reports, remove)
        try:
            with target.open("wb") as handle, source.open("rb") as raw_source:
                package.save(_ZipWriter(handle), raw_source)
        except OSError as exc:
            raise WriteError(f"cannot write {target}: {exc.strerror or exc}") from None


def _check_request(reports: Sequence[ReportSheet], remove: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in [report.name for report in reports] + list(remove):
        if not name.startswith(REPORT_MARKER):
            raise NotAReportSheet(
                f"sheet {name!r} is not an xlcrm report sheet (its name does not start with "
                f"{REPORT_MARKER.strip()!r}); xlcrm never overwrites or removes a user's sheet")
        if name.casefold() in seen:
            raise ValueError(f"report sheet {name!r} is named twice")
        seen.add(name.casefold())


# --- part names and XML -------------------------------------------------------------


def _rels_part(part: str) -> str:
    """The relationships part of ``part`` ("" is the package itself)."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _source_of_rels(rels_part: str) -> str | None:
    """Inverse of ``_rels_part``: the part a .rels file describes, or None for other files."""
    folder, base = posixpath.split(rels_part)
    if posixpath.basename(folder) != "_rels" or not base.endswith(".rels"):
        return None
    return posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])


def _resolve(source_part: str, target: str) -> str:
    """A relationship target as a part name (zip entry name, no leading slash)."""
    target = target.split("#", 1)[0]
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def _parse(data: bytes, what: str) -> etree._ElementTree:
    try:
        return etree.ElementTree(etree.fromstring(data, _XML_PARSER))
    except etree.XMLSyntaxError as exc:
        raise NotAWorkbook(f"the workbook's {what} is damaged: {exc}") from None


def _serialize(tree: etree._ElementTree) -> bytes:
    # The declaration is written by hand: lxml's uses single quotes, unlike every Office program.
    standalone = {True: ' standalone="yes"', False: ' standalone="no"', None: ""}[tree.docinfo.standalone]
    declaration = f'<?xml version="1.0" encoding="UTF-8"{standalone}?>\n'.encode("ascii")
    return declaration + etree.tostring(tree, encoding="UTF-8", xml_declaration=False)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element, localname: str | None = None) -> list[etree._Element]:
    """Child elements (comments and processing instructions skipped), optionally of one local name."""
    return [c for c in element if isinstance(c.tag, str) and (localname is None or _local(c) == localname)]


class _Relationships:
    """One .rels part: the links from a part to others."""

    def __init__(self, part: str, data: bytes | None):
        self.part = part
        if data is None:
            self.tree = etree.ElementTree(etree.Element(f"{{{NS_PACKAGE_RELS}}}Relationships",
                                                        nsmap={None: NS_PACKAGE_RELS}))
        else:
            self.tree = _parse(data, _rels_part(part))

    @property
    def items(self) -> list[etree._Element]:
        return _children(self.tree.getroot(), "Relationship")

    def target(self, rel: etree._Element) -> str | None:
        """The part a relationship points to, or None when it points outside the package."""
        if rel.get("TargetMode") == "External" or rel.get("Target") is None:
            return None
        return _resolve(self.part, rel.get("Target", ""))

    def by_id(self, rel_id: str) -> etree._Element | None:
        return next((rel for rel in self.items if rel.get("Id") == rel_id), None)

    def by_type(self, rel_type: str) -> list[etree._Element]:
        return [rel for rel in self.items if rel.get("Type") == rel_type]

    def add(self, rel_type: str, part: str) -> str:
        ids = {rel.get("Id") for rel in self.items}
        number = len(ids) + 1
        while f"rId{number}" in ids:
            number += 1
        rel_id = f"rId{number}"
        target = posixpath.relpath(part, posixpath.dirname(self.part) or ".")
        etree.SubElement(self.tree.getroot(), f"{{{NS_PACKAGE_RELS}}}Relationship",
                         Id=rel_id, Type=rel_type, Target=target)
        return rel_id


class _ContentTypes:
    def __init__(self, data: bytes):
        self.tree = _parse(data, CONTENT_TYPES_PART)

    def _override(self, part: str) -> etree._Element | None:
        wanted = "/" + part.casefold()
        return next((o for o in _children(self.tree.getroot(), "Override")
                     if o.get("PartName", "").casefold() == wanted), None)

    def set(self, part: str, content_type: str) -> None:
        override = self._override(part)
        if override is None:
            etree.SubElement(self.tree.getroot(), f"{{{NS_CONTENT_TYPES}}}Override",
                             PartName="/" + part, ContentType=content_type)
        elif override.get("ContentType") != content_type:
            override.set("ContentType", content_type)

    def remove(self, part: str) -> None:
        override = self._override(part)
        if override is not None:
            override.getparent().remove(override)


@dataclass
class _Sheet:
    element: etree._Element  # the <sheet> entry in workbook.xml
    part: str

    @property
    def name(self) -> str:
        return self.element.get("name", "")

    @property
    def sheet_id(self) -> int:
        return int(self.element.get("sheetId", "0"))

    @property
    def visible(self) -> bool:
        return self.element.get("state", "visible") == "visible"


# --- the package --------------------------------------------------------------------


class _Package:
    """The parsed parts xlcrm edits, and the list of what to write, replace or drop."""

    def __init__(self, archive: zipfile.ZipFile, path: Path):
        self.archive = archive
        self.path = path
        self.entries = {info.filename.casefold(): info.filename for info in archive.infolist()}
        self.content_types = _ContentTypes(self._read(CONTENT_TYPES_PART))
        self.package_rels = _Relationships("", self._read_optional(_rels_part("")))
        office = self.package_rels.by_type(REL_OFFICE_DOCUMENT)
        if not office:
            raise NotAWorkbook(f"{path} is not an Excel workbook (no main document in the package)")
        self.workbook_part = self.package_rels.target(office[0]) or ""
        self.workbook = _parse(self._read(self.workbook_part), self.workbook_part)
        namespace = etree.QName(self.workbook.getroot()).namespace
        if namespace == NS_STRICT_MAIN:
            raise WorkbookError(f"{path} is saved as 'Strict Open XML Spreadsheet'; "
                                "save it in Excel as 'Excel Workbook (*.xlsx)' first")
        if namespace != NS_MAIN:
            raise NotAWorkbook(f"{path} is not an Excel workbook ({self.workbook_part} is not a workbook part)")
        self.workbook_rels = _Relationships(self.workbook_part, self._read_optional(_rels_part(self.workbook_part)))
        self.edited: dict[str, bytes] = {}  # part -> new content (changed or new parts)
        self.streamed: dict[str, Callable[[], Iterable[bytes]]] = {}  # part -> its new content, produced on save
        self.dropped: set[str] = set()

    # reading

    def _name(self, part: str) -> str | None:
        """The zip entry that holds ``part`` (part names compare case-insensitively)."""
        return self.entries.get(part.casefold())

    def _read_optional(self, part: str) -> bytes | None:
        name = self._name(part)
        if name is None:
            return None
        try:
            return self.archive.read(name)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise NotAWorkbook(f"{self.path} is damaged: {part} cannot be read ({exc})") from None

    def _read(self, part: str) -> bytes:
        data = self._read_optional(part)
        if data is None:
            raise NotAWorkbook(f"{self.path} is not a complete workbook: {part} is missing")
        return data

    def _rels_of(self, part: str) -> _Relationships | None:
        data = self._read_optional(_rels_part(part))
        return None if data is None else _Relationships(part, data)

    def _sheets_element(self) -> etree._Element:
        found = _children(self.workbook.getroot(), "sheets")
        if not found:
            raise NotAWorkbook(f"{self.path} has no sheet list in {self.workbook_part}")
        return found[0]

    def sheets(self) -> list[_Sheet]:
        result = []
        for element in _children(self._sheets_element(), "sheet"):
            rel = self.workbook_rels.by_id(element.get(f"{{{NS_R}}}id", ""))
            part = None if rel is None else self.workbook_rels.target(rel)
            if part is None:
                raise NotAWorkbook(f"{self.path} is damaged: sheet {element.get('name')!r} has no part")
            result.append(_Sheet(element, part))
        return result

    def _worksheet_names(self) -> list[str]:
        names = []
        for sheet in self.sheets():
            rel = self.workbook_rels.by_id(sheet.element.get(f"{{{NS_R}}}id", ""))
            if rel is not None and rel.get("Type") == REL_WORKSHEET:
                names.append(sheet.name)
        return names

    def _date1904(self) -> bool:
        for properties in _children(self.workbook.getroot(), "workbookPr"):
            return properties.get("date1904", "false").lower() in ("1", "true")
        return False

    # the edit

    def apply(self, reports: Sequence[ReportSheet], remove: Sequence[str]) -> None:
        sheets = self.sheets()
        by_name = {sheet.name.casefold(): sheet for sheet in sheets}
        removing = [by_name[name.casefold()] for name in remove if name.casefold() in by_name]
        replacing = [by_name[r.name.casefold()] for r in reports if r.name.casefold() in by_name]
        worksheets_before = self._worksheet_names()

        self._drop_owned_parts(replacing, removing)
        self._drop_stale_calc_chain({s.sheet_id for s in replacing + removing})
        self._remove_sheets(sheets, removing)

        styles = self._merge_styles(STYLES)
        date1904 = self._date1904()
        for report in reports:
            sheet = by_name.get(report.name.casefold())
            if sheet is None:
                sheet = self._add_sheet(report.name)
            else:
                self._reuse_sheet(sheet, report.name)
            self._write_sheet(sheet, report, styles, date1904)

        if not any(sheet.visible for sheet in self.sheets()):
            raise WriteError(f"{self.path}: removing {list(remove)} would leave the workbook without a visible sheet")
        self._update_app_titles(worksheets_before, self._worksheet_names())
        self._store(self.workbook_part, _serialize(self.workbook))
        self._store(_rels_part(self.workbook_part), _serialize(self.workbook_rels.tree))
        self._store(CONTENT_TYPES_PART, _serialize(self.content_types.tree))

    def _store(self, part: str, data: bytes) -> None:
        self.edited[self._name(part) or part] = data

    def _drop_owned_parts(self, replacing: list[_Sheet], removing: list[_Sheet]) -> None:
        """Forget what hung off the old report sheets (drawings, comments, tables), unless a kept part uses it.

        Part names are compared case-folded, as the package format does.
        """
        sheet_parts = {s.part.casefold() for s in replacing + removing}
        owned: set[str] = set()
        stack = list(sheet_parts)
        while stack:
            for target in self._links(stack.pop()):
                if target not in owned and target not in sheet_parts:
                    owned.add(target)
                    stack.append(target)
        if owned:
            # A part stays while anything outside the dropped set still points at it (and then so do its links).
            links = {source.casefold(): self._links(source) for name in self.entries.values()
                     if (source := _source_of_rels(name)) is not None and source.casefold() not in sheet_parts}
            changed = True
            while changed:
                changed = False
                for source, targets in links.items():
                    if source not in owned and targets & owned:
                        owned -= targets
                        changed = True
        for part in owned | {s.part.casefold() for s in removing}:
            self._drop(part)
        for part in owned | sheet_parts:
            self._drop(_rels_part(part))

    def _links(self, part: str) -> set[str]:
        """The parts that ``part`` points to, case-folded."""
        rels = self._rels_of(part)
        return {target.casefold() for rel in rels.items if (target := rels.target(rel))} if rels else set()

    def _drop(self, part: str) -> None:
        name = self._name(part)
        if name is not None:
            self.dropped.add(name)
        self.content_types.remove(part)

    def _drop_stale_calc_chain(self, sheet_ids: set[int]) -> None:
        """Excel's calculation chain may not list cells that no longer hold formulas; without one, Excel rebuilds it."""
        if not sheet_ids:
            return
        for rel in self.workbook_rels.by_type(REL_CALC_CHAIN):
            part = self.workbook_rels.target(rel)
            data = self._read_optional(part) if part else None
            if data is not None and not self._chain_mentions(data, part or "", sheet_ids):
                continue
            if part:
                self._drop(part)
            rel.getparent().remove(rel)

    def _chain_mentions(self, data: bytes, part: str, sheet_ids: set[int]) -> bool:
        current = None
        for cell in _children(_parse(data, part).getroot(), "c"):
            current = cell.get("i", current)  # an entry without a sheet id is on the previous entry's sheet
            if current is not None and current.isdigit() and int(current) in sheet_ids:
                return True
        return False

    def _remove_sheets(self, sheets: list[_Sheet], removing: list[_Sheet]) -> None:
        if not removing:
            return
        removed = sorted(sheets.index(s) for s in removing)
        kept = [s for s in sheets if s not in removing]
        root = self.workbook.getroot()

        def new_position(old: int) -> int:
            shift = sum(1 for r in removed if r < old)
            if old not in removed:
                return old - shift
            position = min(old - shift, len(kept) - 1)
            if kept and not kept[position].visible:
                position = next((i for i, s in enumerate(kept) if s.visible), position)
            return max(position, 0)

        for view in _children(root, "bookViews"):
            for workbook_view in _children(view, "workbookView"):
                for attribute in ("activeTab", "firstSheet"):
                    value = workbook_view.get(attribute)
                    if value is not None and value.isdigit():
                        workbook_view.set(attribute, str(new_position(int(value))))
        removed_ids = {str(s.sheet_id) for s in removing}
        for custom in _children(root, "customWorkbookViews"):
            for custom_view in _children(custom, "customWorkbookView"):
                if custom_view.get("activeSheetId") in removed_ids and kept:
                    custom_view.set("activeSheetId", str(kept[0].sheet_id))

        dead_references = [re.compile(re.escape(sheet_ref(s.name)) + r"!") for s in removing]
        for names in _children(root, "definedNames"):
            for defined in _children(names, "definedName"):
                local = defined.get("localSheetId")
                if local is not None and local.isdigit():
                    if int(local) in removed:
                        names.remove(defined)
                        continue
                    defined.set("localSheetId", str(new_position(int(local))))
                for pattern in dead_references:
                    if defined.text:
                        defined.text = pattern.sub("#REF!", defined.text)
            if not _children(names):
                root.remove(names)

        for sheet in removing:
            sheet.element.getparent().remove(sheet.element)
            rel = self.workbook_rels.by_id(sheet.element.get(f"{{{NS_R}}}id", ""))
            if rel is not None:
                rel.getparent().remove(rel)

    def _add_sheet(self, name: str) -> _Sheet:
        part = self._new_sheet_part()
        rel_id = self.workbook_rels.add(REL_WORKSHEET, part)
        sheet_id = max((s.sheet_id for s in self.sheets()), default=0) + 1
        element = etree.SubElement(self._sheets_element(), f"{{{NS_MAIN}}}sheet")
        element.set("name", name)
        element.set("sheetId", str(sheet_id))
        element.set(f"{{{NS_R}}}id", rel_id)
        self.content_types.set(part, CT_WORKSHEET)
        return _Sheet(element, part)

    def _reuse_sheet(self, sheet: _Sheet, name: str) -> None:
        """Keep an existing report sheet's entry, position and id; a chart sheet of that name becomes a worksheet."""
        sheet.element.set("name", name)
        rel = self.workbook_rels.by_id(sheet.element.get(f"{{{NS_R}}}id", ""))
        assert rel is not None  # sheets() refuses a sheet without one
        if rel.get("Type") != REL_WORKSHEET:
            self._drop(sheet.part)
            sheet.part = self._new_sheet_part()
            rel.set("Type", REL_WORKSHEET)
            rel.set("Target", posixpath.relpath(sheet.part, posixpath.dirname(self.workbook_part) or "."))
            self.content_types.set(sheet.part, CT_WORKSHEET)

    def _new_sheet_part(self) -> str:
        folder = posixpath.join(posixpath.dirname(self.workbook_part), "worksheets")
        taken = set(self.entries) | {p.casefold() for p in self.edited} | {p.casefold() for p in self.streamed}
        number = 1
        while posixpath.join(folder, f"sheet{number}.xml").casefold() in taken:
            number += 1
        return posixpath.join(folder, f"sheet{number}.xml")

    def _write_sheet(self, sheet: _Sheet, report: ReportSheet, styles: dict[StyleKey, int], date1904: bool) -> None:
        where = layout(report)
        position = [s.element for s in self.sheets()].index(sheet.element)
        selected = position == self._active_tab()
        self.streamed[self._name(sheet.part) or sheet.part] = (
            lambda: render_worksheet(report, where, styles, date1904, selected=selected))
        filtered = [table_layout.ref for table, table_layout in zip(report.tables, where.tables) if table.autofilter]
        self._set_filter_name(position, report.name, filtered[0] if filtered else None)
        if report.charts:
            self._add_charts(sheet, report, where)

    def _add_charts(self, sheet: _Sheet, report: ReportSheet, where: SheetLayout) -> None:
        """A drawing part anchoring the report's charts, a part per chart, and the relationships between them.

        The sheet's old relationships part, if any, went with the old sheet, so the new one is all xlcrm's.
        """
        folder = posixpath.dirname(self.workbook_part)
        drawing = self._new_part(posixpath.join(folder, "drawings"), "drawing")
        chart_parts = []
        for chart in report.charts:
            part = self._new_part(posixpath.join(folder, "charts"), "chart")
            self._store(part, charts.chart_xml(chart, report, where))
            self.content_types.set(part, charts.CT_CHART)
            chart_parts.append(part)
        chart_ids = [f"rId{number}" for number in range(1, len(chart_parts) + 1)]
        self._store(drawing, charts.drawing_xml(charts.anchors(where, len(chart_parts)), chart_ids))
        self.content_types.set(drawing, charts.CT_DRAWING)
        self._store(_rels_part(drawing), charts.relationships_xml(
            [(rel_id, charts.REL_CHART, posixpath.relpath(part, posixpath.dirname(drawing)))
             for rel_id, part in zip(chart_ids, chart_parts)]))
        self._store(_rels_part(sheet.part), charts.relationships_xml(
            [(DRAWING_REL_ID, charts.REL_DRAWING, posixpath.relpath(drawing, posixpath.dirname(sheet.part)))]))

    def _new_part(self, folder: str, stem: str) -> str:
        taken = set(self.entries) | {p.casefold() for p in self.edited} | {p.casefold() for p in self.streamed}
        number = 1
        while posixpath.join(folder, f"{stem}{number}.xml").casefold() in taken:
            number += 1
        return posixpath.join(folder, f"{stem}{number}.xml")

    def _active_tab(self) -> int:
        for view in _children(self.workbook.getroot(), "bookViews"):
            for workbook_view in _children(view, "workbookView"):
                value = workbook_view.get("activeTab", "0")
                return int(value) if value.isdigit() else 0
        return 0

    def _set_filter_name(self, position: int, sheet_name: str, ref: str | None) -> None:
        """Excel pairs a sheet's autofilter with a hidden name ``_xlnm._FilterDatabase`` local to that sheet."""
        root = self.workbook.getroot()
        containers = _children(root, "definedNames")
        for names in containers:
            for defined in _children(names, "definedName"):
                if defined.get("name") == FILTER_NAME and defined.get("localSheetId") == str(position):
                    names.remove(defined)
        if ref is None:
            for names in containers:
                if not _children(names):
                    root.remove(names)
            return
        if containers:
            names = containers[0]
        else:
            names = etree.Element(f"{{{NS_MAIN}}}definedNames")
            _insert_in_order(root, names, _WORKBOOK_ORDER)
        defined = etree.SubElement(names, f"{{{NS_MAIN}}}definedName")
        defined.set("name", FILTER_NAME)
        defined.set("localSheetId", str(position))
        defined.set("hidden", "1")
        start, end = ref.split(":")
        defined.text = f"{sheet_ref(sheet_name)}!{_absolute(start)}:{_absolute(end)}"

    # styles

    def _merge_styles(self, specs: dict[StyleKey, StyleSpec]) -> dict[StyleKey, int]:
        rels = self.workbook_rels.by_type(REL_STYLES)
        part = self.workbook_rels.target(rels[0]) if rels else None
        data = self._read_optional(part) if part else None
        if part is None or data is None:
            part = posixpath.join(posixpath.dirname(self.workbook_part), "styles.xml")
            if not rels:
                self.workbook_rels.add(REL_STYLES, part)
            self.content_types.set(part, CT_STYLES)
            data = _MINIMAL_STYLES
        styles = _StyleSheet(_parse(data, part))
        ids = {key: styles.xf(spec) for key, spec in specs.items()}
        self._store(part, _serialize(styles.tree))
        return ids

    # docProps/app.xml

    def _update_app_titles(self, before: list[str], after: list[str]) -> None:
        """Rewrite the worksheet names in docProps/app.xml when its list is exactly the old one; else leave it.

        Excel regenerates this part on save and ignores it on open; other programs show it as "contents".
        """
        if before == after:
            return
        rels = self.package_rels.by_type(REL_EXTENDED_PROPERTIES)
        part = self.package_rels.target(rels[0]) if rels else None
        data = self._read_optional(part) if part else None
        if part is None or data is None:
            return
        tree = _parse(data, part)
        root = tree.getroot()
        pairs = root.find(f"{{{NS_EXTENDED}}}HeadingPairs/{{{NS_VT}}}vector")
        titles = root.find(f"{{{NS_EXTENDED}}}TitlesOfParts/{{{NS_VT}}}vector")
        if pairs is None or titles is None:
            return
        variants = _children(pairs, "variant")
        title_items = _children(titles, "lpstr")
        counts = [v.find(f"{{{NS_VT}}}i4") for v in variants[1::2]]
        if any(c is None or not (c.text or "").strip().isdigit() for c in counts):
            return
        offset = 0
        matches = []
        for count in counts:
            size = int(count.text or "0")
            if [t.text or "" for t in title_items[offset:offset + size]] == before:
                matches.append((count, offset))
            offset += size
        if len(matches) != 1 or offset != len(title_items):
            return
        count, offset = matches[0]
        anchor = title_items[offset - 1] if offset else None
        for item in title_items[offset:offset + len(before)]:
            titles.remove(item)
        for index, name in enumerate(after):
            item = etree.Element(f"{{{NS_VT}}}lpstr")
            item.text = name
            if anchor is None:
                titles.insert(index, item)
            else:
                anchor.addnext(item)
            anchor = item
        count.text = str(len(after))
        titles.set("size", str(len(_children(titles, "lpstr"))))
        self._store(part, _serialize(tree))

    # writing

    def save(self, writer: "_ZipWriter", raw_source: BinaryIO) -> None:
        pending_streams = dict(self.streamed)
        pending_edits = dict(self.edited)
        for info in self.archive.infolist():
            name = info.filename
            if self.archive.getinfo(name) is not info or name in self.dropped:
                continue  # a duplicate entry (the last one wins, as in every reader) or a part that goes
            if name in pending_streams:
                writer.write(name, pending_streams.pop(name)())
            elif name in pending_edits:
                writer.write(name, [pending_edits.pop(name)])
            else:
                writer.copy_raw(raw_source, info)
        for name, content in pending_edits.items():
            writer.write(name, [content])
        for name, produce in pending_streams.items():
            writer.write(name, produce())
        writer.close()


def _absolute(cell: str) -> str:
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    assert match is not None
    return f"${match.group(1)}${match.group(2)}"


# Child order of <workbook> per the schema: a new element must go where Excel expects it.
_WORKBOOK_ORDER = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                   "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
                   "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                   "fileRecoveryPr", "webPublishObjects", "extLst")
_STYLESHEET_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                     "tableStyles", "colors", "extLst")
_FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color",
               "name", "family", "charset", "scheme")


def _insert_in_order(parent: etree._Element, element: etree._Element, order: Sequence[str]) -> None:
    """Insert ``element`` before the first child that the schema puts after it."""
    rank = order.index(_local(element))
    for index, child in enumerate(parent):
        if isinstance(child.tag, str) and _local(child) in order and order.index(_local(child)) > rank:
            parent.insert(index, element)
            return
    parent.append(element)


# --- styles -------------------------------------------------------------------------

# Number formats every Excel knows by id; a custom numFmt with the same code would be a duplicate.
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
                    "0.00E+00": 11, "@": 49}
_FIRST_CUSTOM_FORMAT = 164

_MINIMAL_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b"</styleSheet>"
)


def _canonical(element: etree._Element) -> tuple[object, ...]:
    return (_local(element), tuple(sorted(element.attrib.items())), tuple(_canonical(c) for c in _children(element)))


class _StyleSheet:
    """styles.xml, grown only by appending: an existing font, fill, border or cell format keeps its index."""

    def __init__(self, tree: etree._ElementTree):
        self.tree = tree
        self.root = tree.getroot()
        self.ns = etree.QName(self.root).namespace

    def _new(self, localname: str, **attributes: str) -> etree._Element:
        element = etree.Element(f"{{{self.ns}}}{localname}")
        for key, value in attributes.items():
            element.set(key, value)
        return element

    def _collection(self, localname: str) -> etree._Element:
        found = _children(self.root, localname)
        if found:
            return found[0]
        collection = self._new(localname, count="0")
        _insert_in_order(self.root, collection, _STYLESHEET_ORDER)
        return collection

    def _find_or_add(self, localname: str, element: etree._Element) -> int:
        collection = self._collection(localname)
        items = _children(collection)
        wanted = _canonical(element)
        for index, item in enumerate(items):
            if _canonical(item) == wanted:
                return index
        collection.append(element)
        collection.set("count", str(len(items) + 1))
        return len(items)

    def _number_format(self, code: str | None) -> int:
        if code is None:
            return 0
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        formats = self._collection("numFmts")
        ids = []
        for item in _children(formats, "numFmt"):
            if item.get("formatCode") == code:
                return int(item.get("numFmtId", "0"))
            ids.append(int(item.get("numFmtId", "0")))
        new_id = max([_FIRST_CUSTOM_FORMAT - 1, *ids]) + 1
        formats.append(self._new("numFmt", numFmtId=str(new_id), formatCode=code))
        formats.set("count", str(len(_children(formats))))
        return new_id

    def _font(self, spec: StyleSpec) -> int:
        if not (spec.bold or spec.italic or spec.size or spec.color):
            return 0
        # Start from the workbook's default font, so report text matches what the user chose.
        fonts = _children(self._collection("fonts"))
        parts = {_local(child): copy.deepcopy(child) for child in _children(fonts[0])} if fonts else {}
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
        for pattern in ("none", "gray125")[len(_children(fills)):]:
            fill = self._new("fill")
            fill.append(self._new("patternFill", patternType=pattern))
            fills.append(fill)
            fills.set("count", str(len(_children(fills))))
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
        if _children(self._collection("cellStyleXfs")):
            xf.set("xfId", "0")
        for flag, used in (("applyNumberFormat", number_format), ("applyFont", font), ("applyFill", fill),
                           ("applyBorder", border), ("applyAlignment", spec.wrap)):
            if used:
                xf.set(flag, "1")
        if spec.wrap:
            xf.append(self._new("alignment", vertical="top", wrapText="1"))
        return self._find_or_add("cellXfs", xf)


# --- zip writing --------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_END_RECORD = struct.Struct("<4s4H2LH")
_ZIP64_LIMIT = 0xFFFFFFFF
_MAX_ENTRIES = 0xFFFF
_UTF8_NAME = 0x800
# Flag bits that describe the compressed data itself (deflate options) and the name's encoding; the
# data-descriptor bit is dropped because our headers carry the sizes.
_KEPT_FLAGS = 0x006 | _UTF8_NAME
_VERSION_DEFLATE = 20
_FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass
class _Entry:
    name: bytes
    flags: int
    method: int
    date_time: tuple[int, int, int, int, int, int]
    crc: int
    compressed_size: int
    size: int
    offset: int
    version: int
    external_attr: int
    made_by: tuple[int, int] = (_VERSION_DEFLATE, 0)  # zip version and system (0 = MS-DOS) that made the entry

    def dos_time(self) -> tuple[int, int]:
        year, month, day, hour, minute, second = self.date_time
        year = min(max(year, 1980), 2107)
        return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day

    def local_header(self) -> bytes:
        clock, date = self.dos_time()
        return _LOCAL_HEADER.pack(b"PK\x03\x04", self.version, 0, self.flags, self.method, clock, date,
                                  self.crc, self.compressed_size, self.size, len(self.name), 0) + self.name

    def central_header(self) -> bytes:
        clock, date = self.dos_time()
        return _CENTRAL_HEADER.pack(b"PK\x01\x02", *self.made_by, self.version, 0, self.flags, self.method,
                                    clock, date, self.crc, self.compressed_size, self.size, len(self.name), 0, 0,
                                    0, 0, self.external_attr, self.offset) + self.name


def _encode_name(name: str) -> tuple[bytes, int]:
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8_NAME


class _ZipWriter:
    """A small zip writer that can also copy an entry's compressed bytes from another archive unchanged.

    The standard library's writer cannot copy without decompressing and compressing again, which for the
    large sheets of a big workbook is most of the time a save takes. Workbooks beyond 4 GB (zip64) are refused.
    """

    def __init__(self, handle: BinaryIO):
        self.out = handle
        self.entries: list[_Entry] = []

    def _check_limits(self, *sizes: int) -> None:
        if any(size >= _ZIP64_LIMIT for size in sizes) or len(self.entries) >= _MAX_ENTRIES:
            raise WriteError("the workbook would exceed 4 GB or 65,535 parts, which xlcrm cannot write")

    def copy_raw(self, source: BinaryIO, info: zipfile.ZipInfo) -> None:
        source.seek(info.header_offset)
        header = source.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise NotAWorkbook(f"the workbook is damaged: entry {info.filename} has no valid header")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        source.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
        name, name_flag = _encode_name(info.filename)
        offset = self.out.tell()
        self._check_limits(info.compress_size, info.file_size, offset)
        entry = _Entry(name, (info.flag_bits & _KEPT_FLAGS & ~_UTF8_NAME) | name_flag, info.compress_type,
                       info.date_time, info.CRC, info.compress_size, info.file_size, offset,
                       max(info.extract_version, _VERSION_DEFLATE), info.external_attr,
                       (info.create_version, info.create_system))
        self.out.write(entry.local_header())
        remaining = info.compress_size
        while remaining:
            block = source.read(min(_COPY_CHUNK, remaining))
            if not block:
                raise NotAWorkbook(f"the workbook is damaged: entry {info.filename} is cut short")
            self.out.write(block)
            remaining -= len(block)
        self.entries.append(entry)

    def write(self, name: str, chunks: Iterable[bytes], level: int = REPORT_COMPRESSION_LEVEL) -> None:
        encoded, name_flag = _encode_name(name)
        offset = self.out.tell()
        self._check_limits(offset)
        entry = _Entry(encoded, name_flag, zipfile.ZIP_DEFLATED, _FIXED_DATE_TIME, 0, 0, 0, offset,
                       _VERSION_DEFLATE, 0o600 << 16)
        self.out.write(entry.local_header())  # sizes and checksum are filled in below
        compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        crc = size = written = 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            packed = compressor.compress(chunk)
            written += len(packed)
            self.out.write(packed)
        packed = compressor.flush()
        written += len(packed)
        self.out.write(packed)
        self._check_limits(size, written)
        entry.crc, entry.size, entry.compressed_size = crc, size, written
        end = self.out.tell()
        self.out.seek(offset)
        self.out.write(entry.local_header())
        self.out.seek(end)
        self.entries.append(entry)

    def close(self) -> None:
        start = self.out.tell()
        for entry in self.entries:
            self.out.write(entry.central_header())
        end = self.out.tell()
        self._check_limits(end)
        self.out.write(_END_RECORD.pack(b"PK\x05\x06", 0, 0, len(self.entries), len(self.entries),
                                        end - start, start, 0))
