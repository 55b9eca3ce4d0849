"""Writing report sheets and edits of user sheets into a user's workbook at the package (zip) level.

The workbook is usually the business's only copy and holds things xlcrm knows
nothing about: charts, images, pivot tables, slicers, form controls, macros,
extensions of newer Excel versions. Loading it into a spreadsheet library and
saving it again drops some of them, so xlcrm never does that. Instead it copies
every zip entry it does not own unchanged (the compressed bytes themselves,
which is also what makes a refresh of a large workbook fast) and edits only:

- the worksheet parts of its own report sheets (replaced or added, streamed);
- the worksheet parts of user sheets a command was asked to change (see
  ``xlcrm.xlsx.sheet_edits``: cells set, rows deleted, inserted or appended, computed
  columns), streamed row by row, with their Excel tables, and, when rows are
  deleted or inserted, their comments and the defined names that point at the
  rows that move;
- ``xl/workbook.xml`` (sheet list, the report filters' defined names),
  ``xl/_rels/workbook.xml.rels``, ``[Content_Types].xml``;
- ``xl/styles.xml``, where the few styles of report cells are found or appended,
  so every existing style index keeps its meaning;
- ``docProps/app.xml``'s list of worksheet names, when it is unambiguous;
- parts that belonged only to a replaced or removed report sheet (its old
  drawings, comments, ...), and ``xl/calcChain.xml`` when it lists cells of such
  a sheet or when formulas of an edited sheet move (Excel rebuilds a missing
  calculation chain); after user-sheet edits, ``calcPr`` asks Excel to
  recompute formulas on opening, as their cached results may be stale.

XML parts are edited with lxml, which keeps namespace prefixes as written (the
standard library renames them, which breaks ``mc:Ignorable`` declarations).
Report sheets are appended after the user's sheets, so the positions that
defined names and views refer to (``localSheetId``, ``activeTab``) do not move;
an existing report sheet keeps its place.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import posixpath
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from lxml import etree

from xlcrm.errors import EditRefused, NotAReportSheet, NotAWorkbook, WorkbookError, WriteError
from xlcrm.schema import REPORT_MARKER, REPORT_SHEET_MARK, REPORT_TITLES
from xlcrm.xlsx import charts
from xlcrm.xlsx.refs import MAX_ROWS, column_index, column_letter, parse_cell, sheet_ref
from xlcrm.xlsx.report_sheet import (
    DRAWING_REL_ID,
    NUMBER_FORMATS,
    STYLES,
    ColumnFormat,
    ReportSheet,
    SheetLayout,
    StyleKey,
    StyleSpec,
    layout,
    render_worksheet,
)
from xlcrm.xlsx.sheet_edits import (
    COMPUTED_HEADER,
    FORMULA_WINDOW,
    KEEP,
    READ_CHUNK,
    CellChange,
    FormulaBlocked,
    RowMap,
    RowParser,
    RowScanner,
    RowWriter,
    SheetEdit,
    SheetMentions,
    SheetPlan,
    SheetXml,
    StyleChooser,
    check_anchored_formula,
    combine_edits,
    last_used_row,
    mentions_sheet,
    range_bounds,
    range_text,
    refers_below,
    remap_formula,
    shift_range,
    shift_sqref,
)
from xlcrm.xlsx.streams import Deflated, ReadAhead, deflate_into
from xlcrm.xlsx.xml_io import MAX_PARSED_BYTES, iterparse_part, refuse_dtd, unescape_xml
from xlcrm.xlsx.xml_io import local_name as _local
from xlcrm.xlsx.xml_io import parse_part as _parse
from xlcrm.xlsx.xml_io import serialize_part as _serialize

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"

REL_OFFICE_DOCUMENT = NS_R + "/officeDocument"
# Excel's "Strict Open XML Spreadsheet" names its parts with ISO/IEC 29500 Strict relationship types.
REL_STRICT_OFFICE_DOCUMENT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
REL_EXTENDED_PROPERTIES = NS_R + "/extended-properties"
REL_WORKSHEET = NS_R + "/worksheet"
REL_STYLES = NS_R + "/styles"
REL_CALC_CHAIN = NS_R + "/calcChain"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

CONTENT_TYPES_PART = "[Content_Types].xml"
FILTER_NAME = "_xlnm._FilterDatabase"
REL_SHARED_STRINGS = NS_R + "/sharedStrings"
# A1 of a sheet is in its first row, near the start of the part: the columns, views and formats before it
# take a few kilobytes even in a big sheet.
_FIRST_CELL_BYTES = 64 * 1024
_A1_CELL = re.compile(rb'<(?:\w+:)?c\s(?=[^>]*\br="A1")(?:[^>]*\bt="(\w+)")?[^>]*?(?:/>|>(.*?)</(?:\w+:)?c>)', re.S)
_TEXT_RUN = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>([^<]*)</(?:\w+:)?v>")

# zlib level 3 compresses a 100,000-row report sheet three times faster than the default 6, for 10% more bytes.
REPORT_COMPRESSION_LEVEL = 3
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class RenderedPart:
    """A sheet's worksheet part written ahead by another process (``xlcrm.xlsx.prerender``): raw-deflated, as a
    zip entry holds it, into ``file``."""

    file: Path
    deflated: Deflated
    part: str = ""  # the zip entry, for a user sheet written ahead
    silent_about: frozenset[str] = frozenset()  # sheets it never mentions (see EditsWrittenAhead.silent_about)


class ReportsWrittenAhead(Protocol):
    """Report sheets rendered ahead by another process (``xlcrm.xlsx.prerender.Prerendering``)."""

    def rendered_for(self, styles: dict[StyleKey, int], date1904: bool) -> bool:
        """Whether they were rendered for these style indices and this date system."""

    def part(self, report_name: str) -> RenderedPart | None:
        """The rendered part of this report, once ready; None when there is none."""


class EditsWrittenAhead(Protocol):
    """User-sheet edits written ahead by another process (``xlcrm.xlsx.prerender.EditPrewriting``)."""

    def part(self, edit: SheetEdit) -> RenderedPart | None:
        """The sheet part written for exactly this edit, once ready; None when there is none."""

    def silent_about(self, name: str) -> set[str]:
        """The zip entries of the sheets written ahead that never mention sheet ``name``, once ready."""


def write_workbook(
    source: Path,
    target: Path,
    *,
    reports: Sequence[ReportSheet] = (),
    edits: Sequence[SheetEdit] = (),
    remove: Sequence[str] = (),
    prerendered: ReportsWrittenAhead | None = None,
    prewritten: EditsWrittenAhead | None = None,
) -> None:
    """Write ``source`` to ``target`` with report sheets added, replaced or removed and user sheets edited.

    Every zip entry xlcrm does not own or edit is copied unchanged. Only sheets
    whose names carry the report marker are ever replaced or removed; a report
    that names a user's sheet raises ``NotAReportSheet`` and nothing is written.
    Names in ``remove`` that the workbook does not have are ignored. ``edits``
    change cells of user sheets (see ``SheetEdit``); an edit that would break
    what points at the sheet's rows raises ``EditRefused``, and nothing is written. Report sheets found in
    ``prerendered`` are taken from there as they are, unless they were rendered for other styles; so are the
    user sheets of the edits in ``prewritten``.
    """
    source, target = Path(source), Path(target)
    if target.exists() and target.resolve() == source.resolve():
        raise ValueError("write_workbook needs a target other than its source")
    _check_request(reports, remove, edits)
    edits = combine_edits(edits)
    with _opened(source) as package:
        package.prerendered = prerendered
        package.prewritten = prewritten
        package.apply(reports, remove, edits)
        try:
            with target.open("wb") as handle, source.open("rb") as raw_source:
                package.save(_ZipWriter(handle), raw_source)
        except OSError as exc:
            raise WriteError(f"cannot write {target}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def _opened(source: Path) -> Iterator[_Package]:
    """The workbook at ``source`` as a package, open while the block runs; ``NotAWorkbook`` when it is no zip."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAWorkbook(f"{source} cannot be read as a workbook: {exc}") from None
    with archive, contextlib.ExitStack() as temporary:
        yield _Package(archive, source, temporary)


def write_edit_ahead(source: Path, edit: SheetEdit, file: Path, watch: Collection[str] = ()) -> RenderedPart | None:
    """The sheet part ``write_workbook`` writes for ``edit``, raw-deflated into ``file``, with the part's name and
    the names of ``watch`` it never mentions.

    Run in a process of its own while a refresh computes (``xlcrm.xlsx.prerender``), it holds only for an edit
    that changes nothing but its sheet's part: None when it deletes, inserts or appends rows (which moves what
    points at them) or sets links, or would add a style, change a table or drop the calculation chain. The save applies
    such an edit itself. A style the edit only looks up has the same index in the save, which adds its own
    styles after those of the workbook as read.
    """
    if edit.delete_rows or edit.insert_rows or edit.append_rows or edit.set_links:
        return None
    with zipfile.ZipFile(source) as archive, contextlib.ExitStack() as temporary:
        package = _Package(archive, source, temporary)
        sheets = package.sheets()
        sheet = next((sheet for sheet in sheets if sheet.name.casefold() == edit.sheet.casefold()), None)
        if sheet is None or package._sheet_type(sheet) != REL_WORKSHEET:
            return None
        sheet_edit = _UserSheetEdit(package, sheet, sheets.index(sheet), edit, package._date1904(), watch)
        sheet_edit.apply()
        part = sheet_edit.part_name
        styles_added = package._styles is not None and package._styles[1].changed
        if (
            styles_added
            or package.edited
            or package.streamed
            or package.dropped
            or package.structure_changed
            or list(package.deflated) != [part]
        ):
            return None
        data, written = package.deflated[part]
        data.seek(0)
        with file.open("wb") as handle:
            shutil.copyfileobj(data, handle)
        silent = frozenset(name for name in watch if name not in sheet_edit.seen)
        return RenderedPart(file, written, part, silent)


def report_styles(source: Path) -> tuple[dict[StyleKey, int], bool]:
    """The style indices report sheets get when written into ``source``, and whether it counts dates from 1904.

    ``_Package.apply`` adds the report styles before anything else, so these are the ones it will use as long
    as the file does not change.
    """
    try:
        with zipfile.ZipFile(source) as archive, contextlib.ExitStack() as temporary:
            package = _Package(archive, source, temporary)
            return package._merge_styles(STYLES), package._date1904()
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAWorkbook(f"{source} cannot be read as a workbook: {exc}") from None


@dataclass(frozen=True)
class RowExtras:
    """What cells of some rows hold besides their values, by (row, column index): ``links``, where the link on a
    cell goes (a web or mail address, or "#" and a place in the workbook), and ``formulas``, a cell's formula
    without its "="."""

    links: dict[tuple[int, int], str]
    formulas: dict[tuple[int, int], str]


def row_extras(source: Path, sheet_name: str, rows: Collection[int]) -> RowExtras:
    """The links and formulas of single cells on ``rows`` of a sheet. A merge deletes its rows, links, formulas
    and all, and the Merge log keeps them so that unmerge can put them back."""
    wanted = set(rows)
    if not wanted:
        return RowExtras({}, {})
    with _opened(source) as package:
        sheet = next((sheet for sheet in package.sheets() if sheet.name == sheet_name), None)
        if sheet is None or package._name(sheet.part) is None:
            return RowExtras({}, {})
        formulas: dict[tuple[int, int], str] = {}
        with package._open_sheet(sheet) as handle:
            sheet_xml = SheetXml(handle, sheet.part)
            parser = RowParser(sheet_xml.prefix)
            for buffer, found, _ in RowScanner(sheet_xml.prefix, sheet.part).spans(sheet_xml.content()):
                for start, end, number in found:
                    if number in wanted and parser.has_formula(buffer, start, end):
                        for cell in parser.split(buffer[start:end])[1]:
                            text = next((text for _, _, text in parser.formulas(cell.data)), "")
                            if text:  # a shared formula's other cells have none (xlcrm refuses to move those)
                                formulas[(number, cell.column)] = text
        return RowExtras(_row_links(package, sheet, sheet_xml, wanted), formulas)


def _row_links(package: _Package, sheet: _Sheet, sheet_xml: SheetXml, wanted: set[int]) -> dict[tuple[int, int], str]:
    """The links of single cells on ``wanted`` rows, from the part after the cells of ``sheet_xml`` (read)."""
    if b"hyperlink" not in sheet_xml.tail:
        return {}
    marker = b"<" + sheet_xml.prefix + b"sheetData/>"
    root = _parse(sheet_xml.head + marker + sheet_xml.tail, sheet.part).getroot()
    rels = package._rels_of(sheet.part)
    links: dict[tuple[int, int], str] = {}
    for parent in _children(root, "hyperlinks"):
        for link in _children(parent, "hyperlink"):
            try:
                first_row, first_column, last_row, last_column = range_bounds(link.get("ref", ""))
            except ValueError:
                continue
            if first_row != last_row or first_column != last_column or first_row not in wanted:
                continue
            rel = rels.by_id(link.get(f"{{{NS_R}}}id", "")) if rels is not None else None
            if rel is not None and rel.get("TargetMode") == "External" and rel.get("Target"):
                links[(first_row, first_column)] = rel.get("Target", "")
            elif rel is None and link.get("location"):
                links[(first_row, first_column)] = "#" + link.get("location", "")
    return links


def write_report_sheets(
    source: Path, target: Path, reports: Sequence[ReportSheet], *, remove: Sequence[str] = ()
) -> None:
    """``write_workbook`` with report sheets only."""
    write_workbook(source, target, reports=reports, remove=remove)


def _check_request(reports: Sequence[ReportSheet], remove: Sequence[str], edits: Sequence[SheetEdit]) -> None:
    for edit in edits:
        if edit.sheet.startswith(REPORT_MARKER):
            raise ValueError(f"{edit.sheet!r} is a report sheet; edits are for user sheets")
    seen: set[str] = set()
    for name in [report.name for report in reports] + list(remove):
        if not name.startswith(REPORT_MARKER):
            raise NotAReportSheet(
                f"sheet {name!r} is not an xlcrm report sheet (its name does not start with "
                f"{REPORT_MARKER.strip()!r}); xlcrm never overwrites or removes a user's sheet"
            )
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


def _children(element: etree._Element, localname: str | None = None) -> list[etree._Element]:
    """Child elements (comments and processing instructions skipped), optionally of one local name."""
    return [c for c in element if isinstance(c.tag, str) and (localname is None or _local(c) == localname)]


class _Relationships:
    """One .rels part: the links from a part to others."""

    def __init__(self, part: str, data: bytes | None):
        self.part = part
        if data is None:
            self.tree = etree.ElementTree(
                etree.Element(f"{{{NS_PACKAGE_RELS}}}Relationships", nsmap={None: NS_PACKAGE_RELS})
            )
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
    def __init__(self, data: bytes):
        self.tree = _parse(data, CONTENT_TYPES_PART)

    def _override(self, part: str) -> etree._Element | None:
        wanted = "/" + part.casefold()
        return next(
            (o for o in _children(self.tree.getroot(), "Override") if o.get("PartName", "").casefold() == wanted), None
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


def _strict_workbook(path: Path) -> WorkbookError:
    return WorkbookError(
        f"{path} is saved as 'Strict Open XML Spreadsheet'; save it in Excel as 'Excel Workbook (*.xlsx)' first"
    )


class _Package:
    """The parsed parts xlcrm edits, and the list of what to write, replace or drop."""

    def __init__(self, archive: zipfile.ZipFile, path: Path, temporary: contextlib.ExitStack):
        self.archive = archive
        self.temporary = temporary  # closes the temporary files of edited sheets
        self.path = path
        self.entries = {info.filename.casefold(): info.filename for info in archive.infolist()}
        self.content_types = _ContentTypes(self._read(CONTENT_TYPES_PART))
        self.package_rels = _Relationships("", self._read_optional(_rels_part("")))
        office = self.package_rels.by_type(REL_OFFICE_DOCUMENT)
        if not office and self.package_rels.by_type(REL_STRICT_OFFICE_DOCUMENT):
            raise _strict_workbook(path)
        if not office:
            raise NotAWorkbook(f"{path} is not an Excel workbook (no main document in the package)")
        self.workbook_part = self.package_rels.target(office[0]) or ""
        self.workbook = _parse(self._read(self.workbook_part), self.workbook_part)
        namespace = etree.QName(self.workbook.getroot()).namespace
        if namespace == NS_STRICT_MAIN:
            raise _strict_workbook(path)
        if namespace != NS_MAIN:
            raise NotAWorkbook(f"{path} is not an Excel workbook ({self.workbook_part} is not a workbook part)")
        self.workbook_rels = _Relationships(self.workbook_part, self._read_optional(_rels_part(self.workbook_part)))
        self.edited: dict[str, bytes] = {}  # part -> new content (changed or new parts)
        self.streamed: dict[str, Callable[[], Iterable[bytes]]] = {}  # part -> its new content, produced on save
        # part -> its new content, compressed already into a temporary file, and what a zip entry records of it
        self.deflated: dict[str, tuple[BinaryIO, Deflated]] = {}
        self.dropped: set[str] = set()
        self.structure_changed = False  # workbook.xml, its relationships and the content types need writing
        self.workbook_changed = False  # only workbook.xml does (defined names, recalculation on load)
        self._styles: tuple[str, _StyleSheet] | None = None
        self.prerendered: ReportsWrittenAhead | None = None  # report sheets rendered ahead, in another process
        self.prewritten: EditsWrittenAhead | None = None  # user sheets edited ahead, in another process

    # reading

    def _name(self, part: str) -> str | None:
        """The zip entry that holds ``part`` (part names compare case-insensitively)."""
        return self.entries.get(part.casefold())

    def _read_optional(self, part: str) -> bytes | None:
        """The content of ``part`` (read whole, to be parsed), or None when the package has no such part."""
        name = self._name(part)
        if name is None:
            return None
        size = self.archive.getinfo(name).file_size  # zipfile reads no more than the size the entry declares
        if size > MAX_PARSED_BYTES:
            raise NotAWorkbook(
                f"the workbook's {part} is {size >> 20} MB, more than the {MAX_PARSED_BYTES >> 20} MB xlcrm reads"
            )
        try:
            return self.archive.read(name)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise NotAWorkbook(f"{self.path} is damaged: {part} cannot be read ({exc})") from None

    def _read(self, part: str) -> bytes:
        data = self._read_optional(part)
        if data is None:
            raise NotAWorkbook(f"{self.path} is not a complete workbook: {part} is missing")
        return data

    def _open_sheet(self, sheet: _Sheet) -> BinaryIO:
        """The worksheet part of ``sheet``, to read; ``NotAWorkbook`` naming the sheet when it cannot be."""
        try:
            return cast(BinaryIO, self.archive.open(self._name(sheet.part) or sheet.part))
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise NotAWorkbook(f"{self.path} is damaged: sheet {sheet.name!r} cannot be read ({exc})") from None

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

    def apply(self, reports: Sequence[ReportSheet], remove: Sequence[str], edits: Sequence[SheetEdit]) -> None:
        sheets = self.sheets()
        by_name = {sheet.name.casefold(): sheet for sheet in sheets}
        removing = [by_name[name.casefold()] for name in remove if name.casefold() in by_name]
        replacing = [by_name[r.name.casefold()] for r in reports if r.name.casefold() in by_name]
        for sheet in replacing + removing:
            self._check_own_report(sheet, sheets.index(sheet))
        worksheets_before = self._worksheet_names()
        date1904 = self._date1904()
        # The report styles before any other: their indices are then known ahead (see report_styles).
        styles = self._merge_styles(STYLES) if reports or remove else {}

        # User sheets first: their positions and the defined names they adjust are those of the workbook as read.
        for edit in edits:
            sheet = by_name.get(edit.sheet.casefold())
            if sheet is None or self._sheet_type(sheet) != REL_WORKSHEET:
                raise EditRefused(f"the workbook has no worksheet named {edit.sheet!r}")
            written = self.prewritten.part(edit) if self.prewritten is not None else None
            if written is None:
                _UserSheetEdit(self, sheet, sheets.index(sheet), edit, date1904).apply()
                continue
            self._take_written(self._name(sheet.part) or sheet.part, written)
            self._recalculate_on_load()  # as _UserSheetEdit does for any cell written

        if reports or remove:
            self.structure_changed = True
            self._drop_owned_parts(replacing, removing)
            self._drop_stale_calc_chain({s.sheet_id for s in replacing + removing})
            self._remove_sheets(sheets, removing)
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
        if self._styles is not None and self._styles[1].changed:
            self._store(self._styles[0], _serialize(self._styles[1].tree))
        if self.structure_changed or self.workbook_changed:
            self._store(self.workbook_part, _serialize(self.workbook))
        if self.structure_changed:
            self._store(_rels_part(self.workbook_part), _serialize(self.workbook_rels.tree))
            self._store(CONTENT_TYPES_PART, _serialize(self.content_types.tree))

    def _check_own_report(self, sheet: _Sheet, position: int) -> None:
        """Refuse to replace or remove a sheet that has a report's name but was not written by xlcrm.

        xlcrm marks each report sheet it writes with a hidden name local to it (``REPORT_SHEET_MARK``), which
        Excel and LibreOffice keep with the sheet; a report sheet written before that mark existed is known by
        the title xlcrm writes in its A1.
        """
        if self._has_report_mark(position) or self._first_cell_text(sheet) in REPORT_TITLES:
            return
        raise NotAReportSheet(
            f"the workbook has a sheet named {sheet.name!r} that xlcrm did not write; xlcrm keeps its own report "
            f"there and would overwrite it: rename your sheet (names starting with {REPORT_MARKER.strip()!r} "
            "are xlcrm's) and run again; the workbook was not changed"
        )

    def _has_report_mark(self, position: int) -> bool:
        return any(
            defined.get("name") == REPORT_SHEET_MARK and defined.get("localSheetId") == str(position)
            for names in _children(self.workbook.getroot(), "definedNames")
            for defined in _children(names, "definedName")
        )

    def _first_cell_text(self, sheet: _Sheet) -> str | None:
        """The text in A1 of ``sheet`` (from the first bytes of its part), or None when it holds no text."""
        entry = self._name(sheet.part)
        if entry is None:
            return None
        with self.archive.open(entry) as handle:
            head = handle.read(_FIRST_CELL_BYTES)
        cell = _A1_CELL.search(head)
        if cell is None:
            return None
        kind, content = cell.group(1), cell.group(2)
        if kind == b"inlineStr":
            return unescape_xml(b"".join(_TEXT_RUN.findall(content)), strict=False)
        value = _CELL_VALUE.search(content)
        if value is None:
            return None
        if kind == b"str":
            return unescape_xml(value.group(1), strict=False)
        if kind == b"s" and value.group(1).strip().isdigit():
            return self._shared_string(int(value.group(1)))
        return None

    def _shared_string(self, index: int) -> str | None:
        """The ``index``-th entry of the shared-string table, read only as far as that entry."""
        rels = self.workbook_rels.by_type(REL_SHARED_STRINGS)
        entry = self._name(self.workbook_rels.target(rels[0]) or "") if rels else None
        if entry is None:
            return None
        with self.archive.open(entry) as handle:
            for number, item in enumerate(iterparse_part(handle, entry, f"{{{NS_MAIN}}}si")):
                if number == index:
                    return "".join(text.text or "" for text in item.iter(f"{{{NS_MAIN}}}t"))
        return None

    def _sheet_type(self, sheet: _Sheet) -> str | None:
        rel = self.workbook_rels.by_id(sheet.element.get(f"{{{NS_R}}}id", ""))
        return None if rel is None else rel.get("Type")

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
            links = {
                source.casefold(): self._links(source)
                for name in self.entries.values()
                if (source := _source_of_rels(name)) is not None and source.casefold() not in sheet_parts
            }
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

    def _drop_calc_chain(self) -> None:
        """Formulas moved or were overwritten: Excel rebuilds a missing calculation chain, a stale one it repairs."""
        for rel in self.workbook_rels.by_type(REL_CALC_CHAIN):
            part = self.workbook_rels.target(rel)
            if part:
                self._drop(part)
            rel.getparent().remove(rel)
            self.structure_changed = True

    def _recalculate_on_load(self) -> None:
        """Formulas that read edited cells still hold their old results: Excel recomputes every formula
        when the file is next opened, and clears the flag when it saves. (LibreOffice follows its own
        setting for recalculating on load.)"""
        root = self.workbook.getroot()
        properties = _child_or_new(root, "calcPr", _WORKBOOK_ORDER)
        if properties.get("fullCalcOnLoad") not in ("1", "true"):
            properties.set("fullCalcOnLoad", "1")
            self.workbook_changed = True

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
        taken = set(self.entries) | {p.casefold() for p in [*self.edited, *self.streamed, *self.deflated]}
        number = 1
        while posixpath.join(folder, f"sheet{number}.xml").casefold() in taken:
            number += 1
        return posixpath.join(folder, f"sheet{number}.xml")

    def _write_sheet(self, sheet: _Sheet, report: ReportSheet, styles: dict[StyleKey, int], date1904: bool) -> None:
        where = layout(report)
        position = [s.element for s in self.sheets()].index(sheet.element)
        selected = position == self._active_tab()
        part = self._name(sheet.part) or sheet.part
        rendered = None
        if self.prerendered is not None and not selected and self.prerendered.rendered_for(styles, date1904):
            rendered = self.prerendered.part(report.name)
        if rendered is not None:
            self._take_written(part, rendered)
        else:
            self.streamed[part] = lambda: render_worksheet(report, where, styles, date1904, selected=selected)
        filtered = [table_layout.ref for table, table_layout in zip(report.tables, where.tables) if table.autofilter]
        self._set_filter_name(position, report.name, filtered[0] if filtered else None)
        self._set_report_mark(position, report.name)
        if report.charts:
            self._add_charts(sheet, report, where)

    def _take_written(self, part: str, written: RenderedPart) -> None:
        """A part another process wrote ahead (``xlcrm.xlsx.prerender``), saved as it was compressed there."""
        self.deflated[part] = (self.temporary.enter_context(written.file.open("rb")), written.deflated)

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
        self._store(
            _rels_part(drawing),
            charts.relationships_xml(
                [
                    (rel_id, charts.REL_CHART, posixpath.relpath(part, posixpath.dirname(drawing)))
                    for rel_id, part in zip(chart_ids, chart_parts)
                ]
            ),
        )
        self._store(
            _rels_part(sheet.part),
            charts.relationships_xml(
                [(DRAWING_REL_ID, charts.REL_DRAWING, posixpath.relpath(drawing, posixpath.dirname(sheet.part)))]
            ),
        )

    def _new_part(self, folder: str, stem: str) -> str:
        taken = set(self.entries) | {p.casefold() for p in [*self.edited, *self.streamed, *self.deflated]}
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
        start, end = ref.split(":")
        self._add_hidden_local_name(
            FILTER_NAME, position, f"{sheet_ref(sheet_name)}!{_absolute(start)}:{_absolute(end)}"
        )

    def _set_report_mark(self, position: int, sheet_name: str) -> None:
        """Mark the report sheet at ``position`` as xlcrm's (see ``_check_own_report``)."""
        if not self._has_report_mark(position):
            self._add_hidden_local_name(REPORT_SHEET_MARK, position, f"{sheet_ref(sheet_name)}!$A$1")

    def _add_hidden_local_name(self, name: str, position: int, text: str) -> None:
        """A hidden defined name local to the sheet at ``position``."""
        names = _child_or_new(self.workbook.getroot(), "definedNames", _WORKBOOK_ORDER)
        defined = etree.SubElement(names, f"{{{NS_MAIN}}}definedName")
        defined.set("name", name)
        defined.set("localSheetId", str(position))
        defined.set("hidden", "1")
        defined.text = text

    # styles

    def style_sheet(self) -> _StyleSheet:
        """The workbook's styles, read once; written back on save only if something was added."""
        if self._styles is None:
            rels = self.workbook_rels.by_type(REL_STYLES)
            part = self.workbook_rels.target(rels[0]) if rels else None
            data = self._read_optional(part) if part else None
            created = part is None or data is None
            if part is None or data is None:
                part = posixpath.join(posixpath.dirname(self.workbook_part), "styles.xml")
                if not rels:
                    self.workbook_rels.add(REL_STYLES, part)
                self.content_types.set(part, CT_STYLES)
                self.structure_changed = True
                data = _MINIMAL_STYLES
            self._styles = (part, _StyleSheet(_parse(data, part)))
            self._styles[1].changed = created
        return self._styles[1]

    def _merge_styles(self, specs: dict[StyleKey, StyleSpec]) -> dict[StyleKey, int]:
        styles = self.style_sheet()
        return {key: styles.xf(spec) for key, spec in specs.items()}

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
            if [t.text or "" for t in title_items[offset : offset + size]] == before:
                matches.append((count, offset))
            offset += size
        if len(matches) != 1 or offset != len(title_items):
            return
        count, offset = matches[0]
        anchor = title_items[offset - 1] if offset else None
        for item in title_items[offset : offset + len(before)]:
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

    def save(self, writer: _ZipWriter, raw_source: BinaryIO) -> None:
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


# --- edits of user sheets -----------------------------------------------------------

REL_TABLE = NS_R + "/table"
REL_COMMENTS = NS_R + "/comments"
REL_VML_DRAWING = NS_R + "/vmlDrawing"
REL_DRAWING = NS_R + "/drawing"
REL_PIVOT_TABLE = NS_R + "/pivotTable"
REL_THREADED_COMMENTS = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
REL_HYPERLINK = NS_R + "/hyperlink"
# The order of a worksheet's elements (CT_Worksheet), for one xlcrm adds.
_WORKSHEET_ORDER = (
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

_DIMENSION = re.compile(rb'(<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\sref=")([^"]*)(")')
_COLUMN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?col\b([^>]*?)/?>")
# Where parts keep references to cells: the text of formula elements (cells, conditional formats, validations,
# charts, legacy form controls), and the attributes of a link's target and of the cell a control or text box uses.
_REFERENCE_TEXT = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:f|formula|formula1|formula2|Fmla(?:Link|Range|Txbx|Group|Pict))\b([^>]*)>([^<]+)</"
    rb"|\s(?:location|textlink|fmlaLink|fmlaRange|fmlaTxbx|fmlaGroup)=\"([^\"]*)\""
)
# The cells a formula written once fills (Excel's "shared" formula of a column filled down): its text is written
# for the first of them, and each other cell reads it moved down by its own distance from the first.
_SHARED_RANGE = re.compile(rb'\bt="shared"[^>]*?\bref="([^"]+)"|\bref="([^"]+)"[^>]*?\bt="shared"')
# A formula element whose text holds a comment, a processing instruction or a CDATA section (never written by
# Excel): _REFERENCE_TEXT does not read it whole.
_FORMULA_WITH_MARKUP = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:f|formula|formula1|formula2|Fmla(?:Link|Range|Txbx|Group|Pict))\b[^>]*>[^<]*<[!?]"
)
_VML_SHAPE = re.compile(rb"<(?:\w+:)?shape\b.*?</(?:\w+:)?shape>", re.S)
_VML_OBJECT_TYPE = re.compile(rb'<(?:\w+:)?ClientData\b[^>]*\bObjectType="(\w+)"')
_VML_ROW = re.compile(rb"(<(?:\w+:)?Row>)\s*(\d+)\s*(</(?:\w+:)?Row>)")
_VML_ANCHOR = re.compile(rb"(<(?:\w+:)?Anchor>)([^<]*)(</(?:\w+:)?Anchor>)")


@dataclass(frozen=True)
class _Scan:
    """A part whose formulas and links are read for references to the rows that move."""

    entry: str  # its zip entry
    what: str  # how a message names it
    own_by_default: bool = False  # a part of the edited sheet: a reference without a sheet name is to that sheet


class _UserSheetEdit:
    """One ``SheetEdit`` applied to the package: the sheet streamed into a temporary file, what hangs off it
    (tables, comments, the filter's defined name) adjusted, and everything that would break refused first."""

    def __init__(
        self,
        package: _Package,
        sheet: _Sheet,
        position: int,
        edit: SheetEdit,
        date1904: bool,
        watch: Collection[str] = (),
    ):
        """``watch``: sheet names to look out for as the sheet is read; ``seen`` then holds those it mentions."""
        self.package = package
        self.sheet = sheet
        self.position = position
        self.edit = edit
        self.name = sheet.name
        self.date1904 = date1904
        self.rows = RowMap(edit.delete_rows, edit.insert_rows)
        self.sheet_rels = package._rels_of(sheet.part)
        self.part_name = package._name(sheet.part) or sheet.part
        self.values = edit.cell_values()
        self.headers = {
            column: str(value).strip()
            for (row, column), value in self.values.items()
            if row == 1 and value is not None and str(value).strip()
        }
        self.watch = SheetMentions(watch)
        self.seen: set[str] = set()

    def where(self, ref: str) -> str:
        return f"{sheet_ref(self.name)}!{ref}"

    # the whole edit

    def apply(self) -> None:
        self._check_request()
        formula_scans: list[_Scan] = []
        if self.rows:
            formula_scans = self._check_what_points_here()
            self._shift_comments()
            self._shift_defined_names()  # before the filter's own name is set from the sheet's new filter
        last_used = self._last_used() if self.edit.append_rows else 0
        if self.edit.append_rows:  # appended rows also go below the values this edit writes
            written = [self.rows.row(row) or 0 for (row, _), value in self.values.items() if value is not None]
            last_used = max([last_used, *written])
        changes = self._changes(last_used)
        appended_to = last_used + len(self.edit.append_rows) if self.edit.append_rows else 0
        tables = self._tables(last_used, appended_to)
        # The other sheets' formulas are read for mentions of moving rows while the rows are written: zlib
        # inflates them without holding Python's lock. A refusal still comes before anything is saved.
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlcrm-scan") as scanner,
            self._open() as handle,
            ReadAhead(handle, READ_CHUNK) as ahead,
        ):
            scanning = scanner.submit(self._check_formulas, formula_scans)
            sheet_xml = SheetXml(ahead, self.sheet.part, self.watch)
            columns = {column for row in changes.values() for column in row}
            styles = self.package.style_sheet()
            plan = SheetPlan(
                self.name,
                sheet_xml.prefix,
                self.rows,
                changes,
                _column_styles(sheet_xml.head, columns),
                StyleChooser(styles.is_date, styles.dated, styles.formatted),
                self.date1904,
                number_formats={_column(letter): code for letter, code in self.edit.number_formats.items()},
            )
            head = _with_widths(
                self._head(sheet_xml.head, changes),
                sheet_xml.prefix,
                {_column(letter): width for letter, width in self.edit.column_widths.items()},
            )
            opening = re.sub(rb"\s*/>$", b">", sheet_xml.data_open)
            closing = b"</" + sheet_xml.prefix + b"sheetData>"

            def content() -> Iterator[bytes]:
                yield head + opening
                yield from RowWriter(plan, self.sheet.part).write(sheet_xml.content())
                yield closing + self._tail(sheet_xml, last_used, appended_to)

            temporary = self.package.temporary.enter_context(tempfile.TemporaryFile())
            self.package.deflated[self.part_name] = (
                temporary,
                deflate_into(content(), temporary, REPORT_COMPRESSION_LEVEL),
            )
            self.seen = sheet_xml.seen
            scanning.result()
        for part, tree in tables:
            self.package._store(part, _serialize(tree))
        if plan.formulas_move:
            self.package._drop_calc_chain()
        if self.values or self.rows or self.edit.append_rows:
            self.package._recalculate_on_load()

    def _open(self) -> BinaryIO:
        return self.package._open_sheet(self.sheet)

    def _check_request(self) -> None:
        for row in self.rows.deleted:
            if not 2 <= row <= MAX_ROWS:
                raise ValueError(f"row {row} of {self.name!r} cannot be deleted (row 1 holds the headers)")
        for row in self.rows.inserted:
            if not 2 <= row <= MAX_ROWS:
                raise ValueError(f"no row can be inserted at row {row} of {self.name!r} (row 1 holds the headers)")
        if self.rows.inserted and (self.edit.delete_rows or self.edit.append_rows):
            raise ValueError(f"an edit of {self.name!r} that inserts rows cannot delete or append rows too")
        if self.edit.set_links and self.edit.delete_rows:
            raise ValueError(f"an edit of {self.name!r} that deletes rows cannot set links too")
        for ref in self.edit.set_links:
            parse_cell(ref)
        for row, column in self.values:
            if self.rows.is_deleted(row):
                raise ValueError(f"{self.where(column_letter(column) + str(row))} is set and deleted at once")
        for letter in self.edit.computed_header:
            parse_cell(f"{letter}1")
        for values in self.edit.append_rows:
            for letter in values:
                parse_cell(f"{letter}1")

    def _last_used(self) -> int:
        with self._open() as handle:
            return last_used_row(SheetXml(handle, self.sheet.part), self.rows)

    def _changes(self, last_used: int) -> dict[int, dict[int, CellChange]]:
        """Every cell to write, by row in the new numbering."""
        changes: dict[int, dict[int, CellChange]] = {}
        by_row: dict[int, dict[int, CellChange]] = {}  # the cells of one row, under the row's number as read
        for (row, column), value in self.values.items():
            cells = by_row.get(row)
            if cells is None:
                # the cells of an edit that inserts rows are numbered as in the sheet written already
                new_row = row if self.rows.inserted else self.rows.row(row)
                assert new_row is not None  # _check_request refused cells of deleted rows
                cells = by_row[row] = changes.setdefault(new_row, {})
            cells[column] = CellChange(value)
        first_appended = max(last_used, 1) + 1
        if first_appended + len(self.edit.append_rows) - 1 > MAX_ROWS:
            raise EditRefused(f"{self.name!r} has no room for {len(self.edit.append_rows)} more rows")
        for offset, values in enumerate(self.edit.append_rows):
            row_changes = changes.setdefault(first_appended + offset, {})
            for letter, value in values.items():
                row_changes[_column(letter)] = CellChange(value)
        if self.edit.computed_header:
            style = self.package.style_sheet().xf(COMPUTED_HEADER)
            header = changes.setdefault(1, {})
            for letter in self.edit.computed_header:
                column = _column(letter)
                header.setdefault(column, CellChange(KEEP)).style = style
        return changes

    def _head(self, head: bytes, changes: dict[int, dict[int, CellChange]]) -> bytes:
        """The part before the cells, with its dimension covering the cells as they will be."""
        match = _DIMENSION.search(head)
        if match is None:
            return head
        try:
            first_row, first_column, last_row, last_column = range_bounds(match.group(2).decode())
        except ValueError:
            return head
        if self.rows.inserted:
            last_row = max(first_row, self.rows.span(first_row, last_row)[1])  # type: ignore[index]
        elif self.rows:
            last_row = max(first_row, last_row - bisect.bisect_right(self.rows.deleted, last_row))
        written = [
            (row, column)
            for row, columns in changes.items()
            for column, change in columns.items()
            if change.value is not KEEP and change.value is not None
        ]
        if written:
            last_row = max(last_row, max(row for row, _ in written))
            last_column = max(last_column, max(column for _, column in written))
            first_column = min(first_column, min(column for _, column in written))
        ref = range_text(first_row, first_column, last_row, last_column).encode()
        return head[: match.start(2)] + ref + head[match.end(2) :]

    # what points at rows of this sheet

    def _check_what_points_here(self) -> list[_Scan]:
        """Refuse what would break once rows move; returns the parts whose formulas are still to be read,
        for ``_check_formulas``."""
        first = self.rows.first
        scans = []
        sheet_part = self.sheet.part.casefold()
        own = set()  # parts of this sheet (drawings, controls): a reference there without a sheet name is to it
        for rel in self.sheet_rels.items if self.sheet_rels else ():
            target = self.sheet_rels.target(rel)  # type: ignore[union-attr]
            if target:
                own.add(target.casefold())
            if target and rel.get("Type") == REL_DRAWING:
                self._check_drawing(target, first)
            elif target and rel.get("Type") == REL_PIVOT_TABLE:
                self._check_pivot_table(target, first)
        for name in self.package.entries.values():
            folded = name.casefold()
            if folded == sheet_part or not folded.endswith((".xml", ".vml")):
                continue
            if folded.startswith("xl/charts/chart"):
                scans.append(_Scan(name, "the chart in " + name))
            elif folded.startswith(("xl/drawings/", "xl/ctrlprops/")):
                scans.append(_Scan(name, "the drawing or control in " + name, own_by_default=folded in own))
            elif folded.startswith("xl/pivotcache/pivotcachedefinition"):
                self._check_pivot_source(name)
        for other in self.package.sheets():
            if other.part.casefold() != sheet_part and self.package._name(other.part) is not None:
                scans.append(_Scan(self.package._name(other.part) or other.part, f"sheet {other.name!r}"))
        return scans

    def _refuse(self, what: str) -> EditRefused:
        return EditRefused(f"cannot {self.rows.change} {self.name!r}: {what}; the workbook was not changed")

    def _check_drawing(self, part: str, first: int) -> None:
        data = self.package._read_optional(part)
        if data is None:
            return
        for anchor in _parse(data, part).getroot():
            if not isinstance(anchor.tag, str) or _local(anchor) not in ("twoCellAnchor", "oneCellAnchor"):
                continue
            rows = [
                int(row.text)
                for corner in _children(anchor)
                if _local(corner) in ("from", "to")
                for row in _children(corner, "row")
                if (row.text or "").strip().isdigit()
            ]
            if rows and max(rows) + 1 >= first:  # anchors count rows from 0
                raise self._refuse(f"a chart, picture or shape is placed at row {min(rows) + 1} or below")

    def _check_pivot_table(self, part: str, first: int) -> None:
        data = self.package._read_optional(part) or b""
        for location in _parse(data, part).getroot().iter(f"{{{NS_MAIN}}}location"):
            if location.get("ref") and range_bounds(location.get("ref", ""))[2] >= first:
                raise self._refuse(f"a pivot table stands at {self.where(location.get('ref', ''))}")

    def _check_pivot_source(self, part: str) -> None:
        data = self.package._read_optional(part) or b""
        for source in _parse(data, part).getroot().iter(f"{{{NS_MAIN}}}worksheetSource"):
            if (source.get("sheet") or "").casefold() == self.name.casefold() and source.get("ref"):
                if range_bounds(source.get("ref", ""))[2] >= self.rows.first:
                    raise self._refuse(f"a pivot table reads its data from {self.where(source.get('ref', ''))}")

    def _check_formulas(self, scans: list[_Scan]) -> None:
        if not scans:
            return
        # A sheet written ahead in another process was read there whole: if it never mentions this one, none of
        # its formulas refers to it.
        silent = self.package.prewritten.silent_about(self.name) if self.package.prewritten is not None else set()
        for scan in scans:
            if scan.entry not in silent:
                self._check_formulas_in(scan)

    def _check_formulas_in(self, scan: _Scan) -> None:
        """Refuse when a formula or link in another part refers to rows of this sheet that would move."""
        # The bytes are searched for the name as Excel matches it (any case, character references resolved)
        # before any formula is read: most buffers of a big sheet (maybe a million rows of Interactions) never
        # mention it. Each buffer keeps the last FORMULA_WINDOW bytes of the one before, so a formula cut
        # between two reads is searched and read whole. A part of this sheet need not name it: read it all.
        mentions = SheetMentions([self.name])
        buffer = b""
        with self.package.archive.open(scan.entry) as handle:
            while chunk := handle.read(_COPY_CHUNK):
                if not buffer:
                    refuse_dtd(chunk, scan.entry)  # its entities could spell the name
                buffer += chunk
                if not scan.own_by_default and not mentions.found(buffer):
                    buffer = buffer[-FORMULA_WINDOW:]
                    continue
                if b"<!" in buffer or b"<?" in buffer:
                    odd = _FORMULA_WITH_MARKUP.search(buffer)
                    if odd is not None:
                        raise self._refuse(
                            f"{scan.what} holds a formula with a comment or CDATA section in it, "
                            "which xlcrm does not read"
                        )
                end = 0
                for match in _REFERENCE_TEXT.finditer(buffer):
                    end = match.end()
                    filled_down = 0
                    if match.group(2) is not None:
                        text, kind = unescape_xml(match.group(2)), "a formula"
                        shared = _SHARED_RANGE.search(match.group(1))
                        if shared is not None:
                            first_row, _, last_row, _ = range_bounds((shared.group(1) or shared.group(2)).decode())
                            filled_down = last_row - first_row
                            kind = f"a formula filled down over {filled_down + 1} rows"
                    else:
                        text, kind = unescape_xml(match.group(3), attribute=True), "a link or control"
                    if scan.own_by_default or mentions_sheet(text, self.name):
                        self._check_formula(text, scan, kind, filled_down)
                buffer = buffer[max(end, len(buffer) - FORMULA_WINDOW) :]

    def _check_formula(self, text: str, scan: _Scan, kind: str, filled_down: int = 0) -> None:
        """Refuse ``text`` when it uses rows that move; a formula filled ``filled_down`` rows further down reaches
        that much lower."""
        try:
            below = refers_below(text, self.name, self.rows.first - filled_down, own_by_default=scan.own_by_default)
        except FormulaBlocked as exc:
            raise self._refuse(f"{scan.what}: {exc}") from None
        if below:
            raise self._refuse(f"{kind} in {scan.what} uses {below}")

    # tables

    def _tables(self, last_used: int, appended_to: int) -> list[tuple[str, etree._ElementTree]]:
        """The sheet's Excel tables, grown, shrunk or given new columns; only those that changed."""
        changed = []
        for rel in self.sheet_rels.by_type(REL_TABLE) if self.sheet_rels else ():
            part = self.sheet_rels.target(rel)  # type: ignore[union-attr]
            data = self.package._read_optional(part) if part else None
            if part is None or data is None:
                continue
            tree = _parse(data, part)
            if self._edit_table(tree.getroot(), last_used, appended_to):
                changed.append((part, tree))
        return changed

    def _edit_table(self, table: etree._Element, last_used: int, appended_to: int) -> bool:
        name = table.get("displayName") or table.get("name") or "?"
        ref = table.get("ref", "")
        first_row, first_column, last_row, last_column = range_bounds(ref)
        has_header = table.get("headerRowCount", "1") != "0"
        totals = int(table.get("totalsRowCount", "0") or 0)
        if self.rows:
            if has_header and self.rows.is_deleted(first_row):
                raise self._refuse(f"row {first_row} is the header of table {name!r}")
            span = self.rows.span(first_row, last_row)
            if span is None:
                raise self._refuse(f"table {name!r} would lose every row")
            first_row, last_row = span[0], max(span[1], span[0] + (1 if has_header else 0) + totals)
        if appended_to and last_row >= last_used >= first_row and appended_to > last_row:
            if totals:
                raise EditRefused(f"table {name!r} on {self.name!r} has a totals row; rows cannot be added below it")
            last_row = appended_to
        columns = _children(table, "tableColumns")
        if has_header and first_row == 1 and columns:
            last_column = self._table_columns(table, columns[0], first_column, last_column, name)
        new_ref = range_text(first_row, first_column, last_row, last_column)
        if new_ref == ref:
            return False
        table.set("ref", new_ref)
        filters = _children(table, "autoFilter")
        if filters:
            filters[0].set("ref", range_text(first_row, first_column, last_row - totals, last_column))
        for sort in table.iter(f"{{{NS_MAIN}}}sortState", f"{{{NS_MAIN}}}sortCondition"):
            shifted = shift_range(sort.get("ref", ""), self.rows) if self.rows and sort.get("ref") else None
            if shifted:
                sort.set("ref", shifted)
        return True

    def _table_columns(
        self, table: etree._Element, columns: etree._Element, first_column: int, last_column: int, name: str
    ) -> int:
        """Rename columns whose header is being written, add those written just right of the table."""
        items = _children(columns, "tableColumn")
        for offset, item in enumerate(items):
            header = self.headers.get(first_column + offset)
            if header is not None:
                item.set("name", header)
        while last_column + 1 in self.headers:
            last_column += 1
            ids = [int(item.get("id", "0")) for item in items if (item.get("id") or "").isdigit()]
            column = etree.SubElement(columns, f"{{{NS_MAIN}}}tableColumn")
            column.set("id", str(max(ids, default=0) + 1))
            column.set("name", self.headers[last_column])
            items.append(column)
        columns.set("count", str(len(items)))
        names = [item.get("name", "").casefold() for item in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise EditRefused(f"table {name!r} on {self.name!r} would have two columns named {duplicates[0]!r}")
        return last_column

    # everything after the cells

    def _tail(self, sheet_xml: SheetXml, last_used: int, appended_to: int) -> bytes:
        """The part after the cells: ranges below deleted rows moved up, the filter grown with the data."""
        tail = sheet_xml.tail
        if not self.rows and not appended_to and not self.headers and not self.edit.set_links:
            return tail
        marker = b"<" + sheet_xml.prefix + b"sheetData/>"
        tree = _parse(sheet_xml.head + marker + tail, self.sheet.part)
        root = tree.getroot()
        changed = False
        if self.rows:
            changed = _TailShift(self, root).apply()
        if self.edit.set_links:
            self._add_links(root)
            changed = True
        changed = self._grow_filter(root, last_used, appended_to) or changed
        if not changed:
            return tail
        text = _serialize(tree)
        return text[text.index(marker) + len(marker) :]

    def _grow_filter(self, root: etree._Element, last_used: int, appended_to: int) -> bool:
        """The sheet's own filter takes in appended rows and computed columns written just right of it."""
        filters = _children(root, "autoFilter")
        if not filters or not filters[0].get("ref"):
            return False
        ref = filters[0].get("ref", "")
        first_row, first_column, last_row, last_column = range_bounds(ref)
        if appended_to and last_row >= last_used >= first_row:
            last_row = max(last_row, appended_to)
        if first_row == 1:
            while last_column + 1 in self.headers:
                last_column += 1
        new_ref = range_text(first_row, first_column, last_row, last_column)
        if new_ref == ref:
            return False
        filters[0].set("ref", new_ref)
        self._set_filter_name(new_ref)
        return True

    def _add_links(self, root: etree._Element) -> None:
        """A link on each cell of ``set_links``, in place of one it had. A web or mail address takes a
        relationship: one to that address that no link uses any more (a merge left it when it deleted the row)
        is used again, so the relationships read as they did before the merge."""
        container = _child_or_new(root, "hyperlinks", _WORKSHEET_ORDER)
        cells = {parse_cell(ref) for ref in self.edit.set_links}
        for link in _children(container, "hyperlink"):
            try:
                if parse_cell(link.get("ref", "")) in cells:
                    container.remove(link)
            except ValueError:
                continue
        rels = self.sheet_rels or _Relationships(self.sheet.part, None)
        used = {
            link.get(f"{{{NS_R}}}id")
            for parent in _children(root, "hyperlinks")
            for link in _children(parent, "hyperlink")
        }
        rels_changed = False
        for ref, target in sorted(self.edit.set_links.items(), key=lambda item: parse_cell(item[0])):
            link = etree.SubElement(container, f"{{{NS_MAIN}}}hyperlink", ref=range_text(*parse_cell(ref) * 2))
            if target.startswith("#"):
                link.set("location", target[1:])
                continue
            rel = next(
                (
                    rel
                    for rel in rels.by_type(REL_HYPERLINK)
                    if rel.get("Target") == target and rel.get("TargetMode") == "External" and rel.get("Id") not in used
                ),
                None,
            )
            if rel is None:
                rel_id = rels.add_external(REL_HYPERLINK, target)
                rels_changed = True
            else:
                rel_id = rel.get("Id", "")
            used.add(rel_id)
            link.set(f"{{{NS_R}}}id", rel_id)
        if container.get("count") is not None:
            container.set("count", str(len(_children(container))))
        if rels_changed:
            self.sheet_rels = rels
            self.package._store(_rels_part(self.sheet.part), _serialize(rels.tree))

    def _set_filter_name(self, ref: str) -> None:
        for names in _children(self.package.workbook.getroot(), "definedNames"):
            for defined in _children(names, "definedName"):
                if defined.get("name") == FILTER_NAME and defined.get("localSheetId") == str(self.position):
                    start, _, end = ref.partition(":")
                    defined.text = f"{sheet_ref(self.name)}!{_absolute(start)}:{_absolute(end or start)}"
                    self.package.workbook_changed = True

    # parts that follow the rows

    def _shift_comments(self) -> None:
        for rel in self.sheet_rels.items if self.sheet_rels else ():
            part = self.sheet_rels.target(rel)  # type: ignore[union-attr]
            data = self.package._read_optional(part) if part else None
            if part is None or data is None:
                continue
            if rel.get("Type") in (REL_COMMENTS, REL_THREADED_COMMENTS):
                tree = _parse(data, part)
                for comment in tree.getroot().iter():
                    if (
                        isinstance(comment.tag, str)
                        and _local(comment) in ("comment", "threadedComment")
                        and comment.get("ref")
                    ):
                        shifted = shift_range(comment.get("ref", ""), self.rows)
                        if shifted is None:
                            raise self._refuse(
                                f"cell {self.where(comment.get('ref', ''))} has a comment; move or delete it first"
                            )
                        comment.set("ref", shifted)
                self.package._store(part, _serialize(tree))
            elif rel.get("Type") == REL_VML_DRAWING:
                self.package._store(part, self._shift_vml(data))

    def _shift_vml(self, data: bytes) -> bytes:
        """Legacy drawing of the comment boxes: each note anchored to its cell's row, 0-based."""

        def shape(match: re.Match[bytes]) -> bytes:
            text = match.group(0)
            kind = _VML_OBJECT_TYPE.search(text)
            row = _VML_ROW.search(text)
            anchor = _VML_ANCHOR.search(text)
            rows = [int(row.group(2))] if row else []
            numbers = anchor.group(2).decode().split(",") if anchor else []
            if len(numbers) == 8:
                rows += [int(numbers[2]), int(numbers[6])]
            if not rows or max(rows) + 1 < self.rows.first:
                return text
            if kind is None or kind.group(1) != b"Note" or row is None:
                raise self._refuse(f"a form control or shape is placed at row {min(rows) + 1} or below")
            cell_row = int(row.group(2)) + 1
            new_row = self.rows.row(cell_row)
            assert new_row is not None  # comments of deleted rows were refused
            delta = cell_row - new_row
            text = _VML_ROW.sub(lambda m: m.group(1) + str(new_row - 1).encode() + m.group(3), text, count=1)
            if len(numbers) == 8:
                numbers[2] = str(max(0, int(numbers[2]) - delta))
                numbers[6] = str(max(0, int(numbers[6]) - delta))
                text = _VML_ANCHOR.sub(
                    lambda m: m.group(1) + ", ".join(n.strip() for n in numbers).encode() + m.group(3), text, count=1
                )
            return text

        return _VML_SHAPE.sub(shape, data)

    def _shift_defined_names(self) -> None:
        for names in _children(self.package.workbook.getroot(), "definedNames"):
            for defined in _children(names, "definedName"):
                text = defined.text or ""
                if not mentions_sheet(text, self.name):
                    continue
                try:
                    new = remap_formula(text, self.name, self.rows, own_by_default=False)
                except FormulaBlocked as exc:
                    raise self._refuse(f"the name {defined.get('name')!r}: {exc}") from None
                if new != text:
                    defined.text = new
                    self.package.workbook_changed = True


class _TailShift:
    """The worksheet's elements after the cells, with the deleted rows gone or the inserted rows in: ranges moved,
    shrunk or grown, formulas checked, anything anchored to a row that cannot be moved exactly refused."""

    def __init__(self, edit: _UserSheetEdit, root: etree._Element):
        self.edit = edit
        self.root = root
        self.rows = edit.rows
        self.changed = False

    def apply(self) -> bool:
        for element in list(self.root.iter()):
            if not isinstance(element.tag, str):
                continue
            local = _local(element)
            if local == "mergeCell":
                self._ref(element, drop_single=True)
            elif local == "hyperlink":
                self._location(element)
                self._ref(element)
            elif local in ("autoFilter", "sortState", "sortCondition"):
                self._ref(element)
            elif local in ("conditionalFormatting", "dataValidation", "ignoredError", "protectedRange"):
                self._sqref(element)
            elif local == "sqref":  # x14 extensions: <xm:sqref>
                self._sqref_text(element)
            elif local == "brk" and element.getparent() is not None and _local(element.getparent()) == "rowBreaks":
                if int(element.get("id", "0") or 0) + 1 >= self.rows.first:
                    raise self.edit._refuse(f"a page break is set at row {element.get('id')}")
            elif local in ("from", "to") and _children(element, "row"):  # embedded objects and form controls
                row = (_children(element, "row")[0].text or "").strip()
                if row.isdigit() and int(row) + 1 >= self.rows.first:
                    raise self.edit._refuse(f"an embedded object or control is placed at row {int(row) + 1}")
            elif local == "inputCells" and element.get("r"):
                if shift_range(element.get("r", ""), self.rows) != element.get("r"):
                    raise self.edit._refuse(f"a scenario changes cell {element.get('r')}")
        for container in ("mergeCells", "hyperlinks", "dataValidations"):
            for parent in _children(self.root, container):
                items = _children(parent)
                if not items:
                    self.root.remove(parent)
                elif parent.get("count") is not None:
                    parent.set("count", str(len(items)))
        return self.changed

    def _ref(self, element: etree._Element, drop_single: bool = False) -> None:
        ref = element.get("ref")
        if not ref:
            return
        shifted = shift_range(ref, self.rows)
        if shifted == ref:
            return
        self.changed = True
        if shifted is None or (drop_single and ":" not in shifted):
            element.getparent().remove(element)
        else:
            element.set("ref", shifted)

    def _location(self, element: etree._Element) -> None:
        """A link to a cell of this sheet follows the rows, as a formula does (a link whose cells go, goes)."""
        location, ref = element.get("location"), element.get("ref", "")
        if not location or ("!" in location and not mentions_sheet(location, self.edit.name)):
            return
        if ref and shift_range(ref, self.rows) is None:
            return
        try:
            moved = remap_formula(location, self.edit.name, self.rows, own_by_default=True)
        except FormulaBlocked as exc:
            raise self.edit._refuse(f"the link in cell {self.edit.where(ref)} goes to {location}: {exc}") from None
        if moved != location:
            element.set("location", moved)
            self.changed = True

    def _sqref(self, element: etree._Element) -> None:
        sqref = element.get("sqref", "")
        if not sqref:
            return
        self._check_formulas(element, sqref)
        shifted = shift_sqref(sqref, self.rows)
        if shifted == sqref:
            return
        self.changed = True
        if shifted:
            element.set("sqref", shifted)
        else:
            element.getparent().remove(element)

    def _sqref_text(self, element: etree._Element) -> None:
        sqref = (element.text or "").strip()
        if not sqref:
            return
        parent = element.getparent()
        if parent is not None:
            self._check_formulas(parent, sqref)
        shifted = shift_sqref(sqref, self.rows)
        if shifted == sqref:
            return
        self.changed = True
        if shifted:
            element.text = shifted
        elif parent is not None and parent.getparent() is not None:
            # Its cells are all gone, so it goes too, as in Excel.
            container = parent.getparent()
            container.remove(parent)
            if container.get("count") is not None:
                container.set("count", str(len(_children(container))))

    def _check_formulas(self, element: etree._Element, sqref: str) -> None:
        """Formulas of a format or validation are written for the top-left cell of its first range."""
        anchor = range_bounds(sqref.split()[0])[0]
        last_row = max(range_bounds(part)[2] for part in sqref.split())
        for item in element.iter():
            if (
                not isinstance(item.tag, str)
                or _local(item) not in ("formula", "formula1", "formula2", "f")
                or not (item.text or "").strip()
            ):
                continue
            try:
                check_anchored_formula(
                    item.text or "", self.edit.name, anchor, last_row, self.rows, own_by_default=True
                )
            except FormulaBlocked as exc:
                raise self.edit._refuse(f"the conditional format or validation on {sqref}: {exc}") from None


_COLUMNS_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?cols\b")


def _with_widths(head: bytes, prefix: bytes, widths: Mapping[int, float]) -> bytes:
    """``head`` with a ``<col>`` width for each column of ``widths`` that no ``<col>`` covers yet.

    Excel wants the ``<col>`` elements in column order, so they are put in order among the existing ones,
    which stay as they were; without any, ``<cols>`` goes last in the head, where it belongs (before
    ``<sheetData>``).
    """
    existing = []
    for match, attributes in _col_elements(head):
        try:
            low, high = int(attributes[b"min"]), int(attributes[b"max"])
        except (KeyError, ValueError):
            return head  # a <col> xlcrm cannot read: better no widths than a broken sheet
        existing.append((low, high, match))
    new = {
        column + 1: width
        for column, width in widths.items()
        if not any(low <= column + 1 <= high for low, high, _ in existing)
    }
    if not new:
        return head
    elements = [
        (
            number,
            b'<%scol min="%d" max="%d" width="%s" customWidth="1"/>' % (prefix, number, number, f"{width:g}".encode()),
        )
        for number, width in new.items()
    ]
    if not existing:
        return (
            head + b"<" + prefix + b"cols>" + b"".join(data for _, data in sorted(elements)) + b"</" + prefix + b"cols>"
        )
    if len(_COLUMNS_OPEN.findall(head)) != 1:
        return head  # several <cols> (allowed, never seen): better no widths than a guess
    start, end = existing[0][2].start(), existing[-1][2].end()
    ordered = sorted([(low, match.group(0)) for low, _, match in existing] + elements)
    return head[:start] + b"".join(data for _, data in ordered) + head[end:]


def _col_elements(head: bytes) -> Iterator[tuple[re.Match[bytes], dict[bytes, bytes]]]:
    """Each ``<col>`` element of a worksheet's head, with its attributes."""
    for match in _COLUMN.finditer(head):
        yield match, dict(re.findall(rb'([\w:]+)="([^"]*)"', match.group(1)))


def _column(letter: str) -> int:
    """A column letter as a SheetEdit gives it ("r", " AB") -> 0-based index."""
    return column_index(letter.strip().upper())


def _column_styles(head: bytes, columns: Collection[int]) -> dict[int, int]:
    """Style of each column in ``columns`` that its ``<col>`` gives one."""
    styles: dict[int, int] = {}
    for _, attributes in _col_elements(head):
        try:
            low, high = int(attributes.get(b"min", b"0")), int(attributes.get(b"max", b"0"))
            style = int(attributes.get(b"style", b"0"))
        except ValueError:
            continue
        if style:
            for column in columns:
                if low <= column + 1 <= high:
                    styles[column] = style
    return styles


def _absolute(cell: str) -> str:
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    assert match is not None
    return f"${match.group(1)}${match.group(2)}"


# Child order of <workbook> per the schema: a new element must go where Excel expects it.
_WORKBOOK_ORDER = (
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


def _child_or_new(parent: etree._Element, localname: str, order: Sequence[str]) -> etree._Element:
    """The first ``localname`` child of ``parent``, or a new one put where ``order`` says it belongs."""
    found = _children(parent, localname)
    if found:
        return found[0]
    element = etree.Element(f"{{{NS_MAIN}}}{localname}")
    _insert_in_order(parent, element, order)
    return element


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
        found = _children(self.root, localname)
        if found:
            return found[0]
        collection = self._new(localname, count="0")
        _insert_in_order(self.root, collection, _STYLESHEET_ORDER)
        self.changed = True
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
        self.changed = True
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
        self.changed = True
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
        for pattern in ("none", "gray125")[len(_children(fills)) :]:
            fill = self._new("fill")
            fill.append(self._new("patternFill", patternType=pattern))
            fills.append(fill)
            fills.set("count", str(len(_children(fills))))
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
        if _children(self._collection("cellStyleXfs")):
            xf.set("xfId", "0")
        for flag, used in (
            ("applyNumberFormat", number_format),
            ("applyFont", font),
            ("applyFill", fill),
            ("applyBorder", border),
            ("applyAlignment", spec.wrap),
        ):
            if used:
                xf.set(flag, "1")
        if spec.wrap:
            xf.append(self._new("alignment", vertical="top", wrapText="1"))
        return self._find_or_add("cellXfs", xf)

    def _cell_format(self, index: int) -> etree._Element | None:
        formats = _children(self._collection("cellXfs"), "xf")
        return formats[index] if 0 <= index < len(formats) else None

    def is_date(self, index: int) -> bool:
        """Does cell format ``index`` show a number as a date?"""
        answer = self._date_answers.get(index)
        if answer is None:
            answer = self._date_answers[index] = self._shows_date(index)
        return answer

    def _shows_date(self, index: int) -> bool:
        xf = self._cell_format(index)
        number_format = int(xf.get("numFmtId", "0")) if xf is not None else 0
        if number_format in _BUILTIN_DATE_FORMATS:
            return True
        for item in _children(self._collection("numFmts"), "numFmt"):
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
            if _children(self._collection("cellStyleXfs")):
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
        return (
            _LOCAL_HEADER.pack(
                b"PK\x03\x04",
                self.version,
                0,
                self.flags,
                self.method,
                clock,
                date,
                self.crc,
                self.compressed_size,
                self.size,
                len(self.name),
                0,
            )
            + self.name
        )

    def central_header(self) -> bytes:
        clock, date = self.dos_time()
        return (
            _CENTRAL_HEADER.pack(
                b"PK\x01\x02",
                *self.made_by,
                self.version,
                0,
                self.flags,
                self.method,
                clock,
                date,
                self.crc,
                self.compressed_size,
                self.size,
                len(self.name),
                0,
                0,
                0,
                0,
                self.external_attr,
                self.offset,
            )
            + self.name
        )


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
        entry = _Entry(
            name,
            (info.flag_bits & _KEPT_FLAGS & ~_UTF8_NAME) | name_flag,
            info.compress_type,
            info.date_time,
            info.CRC,
            info.compress_size,
            info.file_size,
            offset,
            max(info.extract_version, _VERSION_DEFLATE),
            info.external_attr,
            (info.create_version, info.create_system),
        )
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
        entry = _Entry(
            encoded, name_flag, zipfile.ZIP_DEFLATED, _FIXED_DATE_TIME, 0, 0, 0, offset, _VERSION_DEFLATE, 0o600 << 16
        )
        self.out.write(entry.local_header())  # sizes and checksum are filled in below
        done = deflate_into(chunks, self.out, level)
        self._check_limits(done.size, done.compressed_size)
        entry.crc, entry.size, entry.compressed_size = done.crc, done.size, done.compressed_size
        end = self.out.tell()
        self.out.seek(offset)
        self.out.write(entry.local_header())
        self.out.seek(end)
        self.entries.append(entry)

    def write_deflated(self, name: str, data: BinaryIO, part: Deflated) -> None:
        """An entry whose content was raw-deflated beforehand into ``data``."""
        encoded, name_flag = _encode_name(name)
        offset = self.out.tell()
        self._check_limits(offset, part.size, part.compressed_size)
        entry = _Entry(
            encoded,
            name_flag,
            zipfile.ZIP_DEFLATED,
            _FIXED_DATE_TIME,
            part.crc,
            part.compressed_size,
            part.size,
            offset,
            _VERSION_DEFLATE,
            0o600 << 16,
        )
        self.out.write(entry.local_header())
        data.seek(0)
        shutil.copyfileobj(data, self.out, _COPY_CHUNK)
        self.entries.append(entry)

    def close(self) -> None:
        start = self.out.tell()
        for entry in self.entries:
            self.out.write(entry.central_header())
        end = self.out.tell()
        self._check_limits(end)
        self.out.write(
            _END_RECORD.pack(b"PK\x05\x06", 0, 0, len(self.entries), len(self.entries), end - start, start, 0)
        )
