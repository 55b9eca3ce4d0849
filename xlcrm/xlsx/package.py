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
- conditional formats of a user sheet, only the rules an edit names (``xlcrm.xlsx.conditional_formats``);
- ``xl/workbook.xml`` (sheet list, the report filters' defined names, a name an edit's rules read when missing),
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

The work is shared by one module per concern of the package: ``parts`` (part
names, relationships, content types, and the list of what the save writes),
``styles`` (xl/styles.xml), ``user_sheet`` (the edit of a user sheet), ``zip_writer``
(the zip itself); this module writes the report sheets and holds the entry points.
"""

from __future__ import annotations

import contextlib
import dataclasses
import posixpath
import re
import shutil
import zipfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from lxml import etree

from xlcrm.errors import EditRefused, NotAReportSheet, NotAWorkbook, WriteError, quoted
from xlcrm.messages import t
from xlcrm.schema import REPORT_MARKER, REPORT_SHEET_MARK, REPORT_TITLES
from xlcrm.xlsx import charts
from xlcrm.xlsx.anonymised_parts import blank_personal_parts, shared_strings_shown
from xlcrm.xlsx.conditional_formats import ConditionalRule, rules_in
from xlcrm.xlsx.parts import (
    FILTER_NAME,
    NS_MAIN,
    NS_R,
    PRINT_TITLES_NAME,
    REL_CALC_CHAIN,
    REL_EXTENDED_PROPERTIES,
    REL_WORKSHEET,
    WORKBOOK_ORDER,
    PackageParts,
    Relationships,
    RenderedPart,
    Sheet,
    child_or_new,
    filter_range,
    rels_part,
    source_of_rels,
)
from xlcrm.xlsx.refs import column_letter, sheet_ref
from xlcrm.xlsx.report_sheet import DRAWING_REL_ID, STYLES, ReportSheet, SheetLayout, StyleKey, layout, render_worksheet
from xlcrm.xlsx.sheet_copy import (
    CT_TABLE,
    SheetCopy,
    fitted_table,
    fitted_worksheet,
    free_table_name,
    names_of_sheet,
    shared_strings,
    table_part_ids,
)
from xlcrm.xlsx.sheet_edits import (
    RowMap,
    RowParser,
    RowScanner,
    SheetEdit,
    SheetXml,
    combine_edits,
    last_used_row,
    range_bounds,
)
from xlcrm.xlsx.user_sheet import REL_TABLE, EditsWrittenAhead, UserSheetEdit
from xlcrm.xlsx.xml_io import (
    SheetWithoutCells,
    children,
    detach,
    iterparse_part,
    parse_part,
    serialize_part,
    unescape_xml,
    xml_number,
)
from xlcrm.xlsx.zip_writer import ZipWriter

NS_EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
REL_SHARED_STRINGS = NS_R + "/sharedStrings"
# One entry of the shared-string table, its namespace prefix (if any) in group 1.
_SHARED_STRING = re.compile(rb"<((?:[\w.-]+:)?)si(?:\s[^>]*)?(?:/>|>.*?</\1si>)", re.DOTALL)
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

# A1 of a sheet is in its first row, near the start of the part: the columns, views and formats before it
# take a few kilobytes even in a big sheet.
_FIRST_CELL_BYTES = 64 * 1024
_A1_CELL = re.compile(rb'<(?:\w+:)?c\s(?=[^>]*\br="A1")(?:[^>]*\bt="(\w+)")?[^>]*?(?:/>|>(.*?)</(?:\w+:)?c>)', re.S)
_TEXT_RUN = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>([^<]*)</(?:\w+:)?v>")

Parts = TypeVar("Parts", bound=PackageParts)


def write_workbook(
    source: Path,
    target: Path,
    *,
    reports: Sequence[ReportSheet] = (),
    edits: Sequence[SheetEdit] = (),
    remove: Sequence[str] = (),
    prewritten: EditsWrittenAhead | None = None,
    anonymised: bool = False,
    erased: re.Pattern[str] | None = None,
    copies: Sequence[SheetCopy] = (),
) -> None:
    """Write ``source`` to ``target`` with report sheets added, replaced or removed and user sheets edited.

    Every zip entry xlcrm does not own or edit is copied unchanged. Only sheets whose names carry the report marker are
    ever replaced or removed; a report that names a user's sheet raises ``NotAReportSheet`` and nothing is written.
    Names in ``remove`` that the workbook does not have are ignored. ``edits`` change cells of user sheets (see
    ``SheetEdit``); an edit that would break what points at the sheet's rows raises ``EditRefused``, and nothing is
    written. The user sheets of the edits in ``prewritten`` are taken from there as they are. ``anonymised``:
    ``target`` keeps nothing its cells no longer show: its worksheets lose the cached results of their formulas (see
    ``SheetEdit.drop_formula_results``), the entries of the shared-string table no cell of any sheet uses (the
    originals of masked cells, the texts of removed sheets) are emptied, and so are notes, chart caches and document
    properties (see ``xlcrm.xlsx.anonymised_parts``); with ``erased`` (an erased person's values) only the notes,
    caches and properties that show one of them are emptied. ``copies``: worksheets of other workbooks added as new
    sheets (see ``xlcrm.xlsx.sheet_copy``), each after the sheet it names; a name the workbook has already raises
    ``EditRefused``."""
    source, target = Path(source), Path(target)
    if target.exists() and target.resolve() == source.resolve():
        raise ValueError("write_workbook needs a target other than its source")
    _check_request(reports, remove, edits, anonymised=anonymised)
    edits = combine_edits(edits)
    with _opened(source, _WorkbookWrite) as package:
        package.prewritten = prewritten
        package.apply(reports, remove, edits, anonymised=anonymised, erased=erased, copies=copies)
        try:
            with target.open("wb") as handle, source.open("rb") as raw_source:
                package.save(ZipWriter(handle), raw_source)
        except OSError as exc:
            raise WriteError(t("cannot write {path}: {reason}", path=target, reason=exc.strerror or str(exc))) from None


def _dropping_formula_results(edits: Sequence[SheetEdit], sheets: Sequence[str]) -> list[SheetEdit]:
    """``edits``, and an edit of each of ``sheets`` that has none, all dropping the cached results of formulas."""
    edited = {edit.sheet.casefold() for edit in edits}
    return [dataclasses.replace(edit, drop_formula_results=True) for edit in edits] + [
        SheetEdit(name, drop_formula_results=True) for name in sheets if name.casefold() not in edited
    ]


@contextlib.contextmanager
def _opened(source: Path, kind: type[Parts]) -> Iterator[Parts]:
    """The workbook at ``source`` as a package of ``kind``, open while the block runs; ``NotAWorkbook`` when it is
    no zip."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAWorkbook(t("{path} cannot be read as a workbook: {reason}", path=source, reason=str(exc))) from None
    with archive, contextlib.ExitStack() as temporary:
        yield kind(archive, source, temporary)


def write_edit_ahead(
    source: Path, edit: SheetEdit, file: Path, watch: Collection[str] = (), *, report_styles: bool = False
) -> RenderedPart | None:
    """The sheet part ``write_workbook`` writes for ``edit``, raw-deflated into ``file``, with what the writing did
    besides (``SheetPartWritten``), the part's name and the names of ``watch`` it never mentions; None when it
    cannot be written ahead.

    Run in a process of its own while a refresh computes (``xlcrm.xlsx.prerender``). Only the sheet's part is
    written here: what hangs off the sheet (comments, tables, defined names, formulas elsewhere that point at rows
    that move) is checked and adjusted by the save, which then takes the part as written here. None for an edit
    that inserts or appends rows, sets links or drops the results of formulas, and for one the writing refuses (the
    save says why). ``report_styles``: the save writes report sheets, whose styles it adds before any edit; they
    are added here first too, so that a style the edit adds gets the index it gets in the save.
    """
    with zipfile.ZipFile(source) as archive, contextlib.ExitStack() as temporary:
        package = PackageParts(archive, source, temporary)
        sheets = package.sheets()
        sheet = next((sheet for sheet in sheets if sheet.name.casefold() == edit.sheet.casefold()), None)
        if sheet is None or package.sheet_type(sheet) != REL_WORKSHEET:
            return None
        if report_styles:
            package.merge_styles(STYLES)
        sheet_edit = UserSheetEdit(package, sheet, sheets.index(sheet), edit, package.date1904(), watch)
        writing = sheet_edit.write_part_ahead()
        if writing is None:
            return None
        part = sheet_edit.part_name
        data, written = package.deflated[part]
        data.seek(0)
        with file.open("wb") as handle:
            shutil.copyfileobj(data, handle)
        silent = frozenset(name for name in watch if name not in sheet_edit.seen)
        return RenderedPart(file, written, part, writing, silent)


@dataclass(frozen=True)
class RowExtras:
    """What cells of some rows hold besides their values, by (row, column index): ``links``, where the link on a
    cell goes (a web or mail address, or "#" and a place in the workbook), ``formulas``, a cell's formula without
    its "=", and ``formula_cells``, every cell computed by a formula, those of a shared formula that carry no text
    of their own included."""

    links: dict[tuple[int, int], str]
    formulas: dict[tuple[int, int], str]
    formula_cells: frozenset[tuple[int, int]] = frozenset()


def row_extras(source: Path, sheet_name: str, rows: Collection[int]) -> RowExtras:
    """The links and formulas of single cells on ``rows`` of a sheet. A merge deletes its rows, links, formulas
    and all, and the Merge log keeps them so that unmerge can put them back."""
    wanted = set(rows)
    if not wanted:
        return RowExtras({}, {})
    with _opened(source, PackageParts) as package:
        sheet = next((sheet for sheet in package.sheets() if sheet.name == sheet_name), None)
        if sheet is None or package.entry_of(sheet.part) is None:
            return RowExtras({}, {})
        formulas: dict[tuple[int, int], str] = {}
        formula_cells: set[tuple[int, int]] = set()
        with package.open_sheet(sheet) as handle:
            sheet_xml = SheetXml(handle, sheet.part)
            parser = RowParser(sheet_xml.prefix)
            for buffer, found, _ in RowScanner(sheet_xml.prefix, sheet.part).spans(sheet_xml.content()):
                for start, end, number in found:
                    if number in wanted and parser.has_formula(buffer, start, end):
                        for cell in parser.split(buffer[start:end])[1]:
                            found_formulas = [text for _, _, text in parser.formulas(cell.data)]
                            if found_formulas:
                                formula_cells.add((number, cell.column))
                            if found_formulas and found_formulas[0]:
                                # a shared formula's other cells have no text (xlcrm refuses to move those)
                                formulas[(number, cell.column)] = found_formulas[0]
        return RowExtras(_row_links(package, sheet, sheet_xml, wanted), formulas, frozenset(formula_cells))


def first_free_column(source: Path, sheet_name: str, width: int) -> int:
    """The first column (0-based) right of every cell of a sheet whose read found ``width`` columns: past a column of
    formulas too, which a read misses when their results are blank or were never saved (openpyxl writes none). New
    columns go there, never over a formula."""
    with _opened(source, PackageParts) as package:
        sheet = next((sheet for sheet in package.sheets() if sheet.name == sheet_name), None)
        if sheet is None or package.entry_of(sheet.part) is None:
            return width
        last = width - 1
        with package.open_sheet(sheet) as handle:
            sheet_xml = SheetXml(handle, sheet.part)
            parser = RowParser(sheet_xml.prefix)
            for buffer, found, _ in RowScanner(sheet_xml.prefix, sheet.part).spans(sheet_xml.content()):
                for start, end, _number in found:
                    if parser.has_formula(buffer, start, end):
                        cells = parser.split(buffer[start:end])[1]
                        last = max([last, *(cell.column for cell in cells if parser.has_formula(cell.data))])
        return last + 1


def conditional_rules(
    source: Path, sheet_name: str, without_cells: SheetWithoutCells | None = None
) -> list[ConditionalRule]:
    """The conditional-format rules of a sheet, in order; none when the workbook has no such worksheet.

    They come after the cells in the sheet's part, so the whole part is read (inflated, not parsed), unless a read
    of the sheet kept it ``without_cells``."""
    kept = without_cells if without_cells is not None else _sheet_without_cells(source, sheet_name)
    root = kept.root_mentioning(b"conditionalFormatting") if kept is not None else None
    return rules_in(root) if root is not None else []


def validation_formulas(source: Path, sheet_name: str) -> list[tuple[str, str]]:
    """The cells (``sqref``) and first formula of each data validation of a sheet, in order; none when the workbook
    has no such worksheet."""
    kept = _sheet_without_cells(source, sheet_name)
    root = kept.root_mentioning(b"dataValidation") if kept is not None else None
    if root is None:
        return []
    return [
        (validation.get("sqref", ""), "".join(formula.text or "" for formula in children(validation, "formula1")))
        for validations in children(root, "dataValidations")
        for validation in children(validations, "dataValidation")
    ]


def _sheet_without_cells(source: Path, sheet_name: str) -> SheetWithoutCells | None:
    """The XML of a sheet with its cells left out; None when the workbook has no such worksheet. The whole part is
    read (inflated, not parsed)."""
    with _opened(source, PackageParts) as package:
        sheet = next((sheet for sheet in package.sheets() if sheet.name == sheet_name), None)
        if sheet is None or package.entry_of(sheet.part) is None or package.sheet_type(sheet) != REL_WORKSHEET:
            return None
        with package.open_sheet(sheet) as handle:
            sheet_xml = SheetXml(handle, sheet.part)
            for _ in sheet_xml.content():
                pass
        return sheet_xml.without_cells()


def workbook_names(source: Path) -> set[str]:
    """The names the workbook defines (``<definedName name=…>``), case-folded as Excel compares them."""
    with _opened(source, PackageParts) as package:
        return {defined.get("name", "").casefold() for defined in package.defined_names()}


def workbook_name_formulas(source: Path) -> dict[str, str]:
    """The formula of each workbook-wide defined name (not one local to a sheet), by its case-folded name."""
    with _opened(source, PackageParts) as package:
        return {
            defined.get("name", "").casefold(): defined.text or ""
            for defined in package.defined_names()
            if defined.get("localSheetId") is None
        }


def rows_with_formula(source: Path, sheet_name: str, rows: Collection[int], column: int) -> set[int]:
    """The rows among ``rows`` of a sheet whose cell in ``column`` (0-based) holds a formula of any kind, one filled
    down included: a value written there would replace it."""
    found: set[int] = set()
    for parser, number, row in _wanted_rows(source, sheet_name, rows):
        if parser.has_formula(row):
            cells = parser.split(row)[1]
            if any(cell.column == column and parser.has_formula(cell.data) for cell in cells):
                found.add(number)
    return found


def rows_with_content(source: Path, sheet_name: str, rows: Collection[int], column: int) -> set[int]:
    """The rows among ``rows`` of a sheet whose cell in ``column`` (0-based) holds a value or a formula; a cell that
    only carries a style is empty."""
    found: set[int] = set()
    letter = column_letter(column).encode()
    for parser, number, row in _wanted_rows(source, sheet_name, rows):
        # Looking the cell up by its reference is a byte search; taking the row apart is the fallback for a row
        # whose cells name no reference.
        start = parser.find_cell(row, letter + str(number).encode())
        if start >= 0:
            if parser.has_content(row, start, parser.cell_end(row, start)):
                found.add(number)
        elif any(cell.column == column and parser.has_content(cell.data) for cell in parser.split(row)[1]):
            found.add(number)
    return found


def cell_styles(source: Path, sheet_name: str, row: int) -> dict[int, int]:
    """The cellXfs index of each cell of ``row`` of a sheet that has one, by column index (0-based)."""
    return {
        cell.column: int(style)
        for parser, _, found in _wanted_rows(source, sheet_name, [row])
        for cell in parser.split(found)[1]
        if (style := cell.attributes().get(b"s", b"0")).isdigit()
    }


def last_row_with_value(source: Path, sheet_name: str) -> int:
    """The last row of a sheet that holds a value or formula (0: none, or no such worksheet): rows a
    ``SheetEdit`` appends go right below it."""
    with _opened(source, PackageParts) as package:
        sheet = next((sheet for sheet in package.sheets() if sheet.name == sheet_name), None)
        if sheet is None or package.entry_of(sheet.part) is None:
            return 0
        with package.open_sheet(sheet) as handle:
            return last_used_row(SheetXml(handle, sheet.part), RowMap())


def _wanted_rows(source: Path, sheet_name: str, rows: Collection[int]) -> Iterator[tuple[RowParser, int, bytes]]:
    """(parser, row number, the ``<row>`` element) of each row among ``rows`` that the sheet holds, in order."""
    wanted = set(rows)
    if not wanted:
        return
    with _opened(source, PackageParts) as package:
        sheet = next((sheet for sheet in package.sheets() if sheet.name == sheet_name), None)
        if sheet is None or package.entry_of(sheet.part) is None:
            return
        with package.open_sheet(sheet) as handle:
            sheet_xml = SheetXml(handle, sheet.part)
            parser = RowParser(sheet_xml.prefix)
            for buffer, spans, _ in RowScanner(sheet_xml.prefix, sheet.part).spans(sheet_xml.content()):
                for start, end, number in spans:
                    if number in wanted:
                        yield parser, number, buffer[start:end]


def _row_links(
    package: PackageParts, sheet: Sheet, sheet_xml: SheetXml, wanted: set[int]
) -> dict[tuple[int, int], str]:
    """The links of single cells on ``wanted`` rows, from the part after the cells of ``sheet_xml`` (read)."""
    root = sheet_xml.without_cells().root_mentioning(b"hyperlink")
    if root is None:
        return {}
    rels = package.rels_of(sheet.part)
    links: dict[tuple[int, int], str] = {}
    for parent in children(root, "hyperlinks"):
        for link in children(parent, "hyperlink"):
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


def _check_request(
    reports: Sequence[ReportSheet], remove: Sequence[str], edits: Sequence[SheetEdit], *, anonymised: bool = False
) -> None:
    for edit in edits:
        # An anonymised copy masks the report sheets' cells in place; otherwise a report is rewritten whole.
        if edit.sheet.startswith(REPORT_MARKER) and not anonymised:
            raise ValueError(f"{edit.sheet!r} is a report sheet; edits are for user sheets")
    seen: set[str] = set()
    for name in [report.name for report in reports] + list(remove):
        if not name.startswith(REPORT_MARKER):
            raise NotAReportSheet(
                t(
                    "sheet {sheet} is not an xlcrm report sheet (its name does not start with {marker}); xlcrm "
                    "never overwrites or removes a user's sheet",
                    sheet=quoted(name),
                    marker=quoted(REPORT_MARKER.strip()),
                )
            )
        if name.casefold() in seen:
            raise ValueError(f"report sheet {name!r} is named twice")
        seen.add(name.casefold())


# --- the whole write ---------------------------------------------------------------


class _WorkbookWrite(PackageParts):
    """What ``write_workbook`` does to the package: user sheets edited, report sheets written, replaced or removed,
    and what hangs off them (drawings and charts, defined names, docProps/app.xml) kept true to them."""

    def __init__(self, archive: zipfile.ZipFile, path: Path, temporary: contextlib.ExitStack):
        super().__init__(archive, path, temporary)
        self.prewritten: EditsWrittenAhead | None = None  # user sheets edited ahead, in another process

    def apply(
        self,
        reports: Sequence[ReportSheet],
        remove: Sequence[str],
        edits: Sequence[SheetEdit],
        *,
        anonymised: bool = False,
        erased: re.Pattern[str] | None = None,
        copies: Sequence[SheetCopy] = (),
    ) -> None:
        sheets = self.sheets()
        by_name = {sheet.name.casefold(): sheet for sheet in sheets}
        removing = [by_name[name.casefold()] for name in remove if name.casefold() in by_name]
        if anonymised and self.prewritten is not None:
            raise ValueError("an anonymised copy is written in one go: its sheets note the shared strings they show")
        replacing = [by_name[r.name.casefold()] for r in reports if r.name.casefold() in by_name]
        if anonymised:
            # A replaced report sheet is written anew, without formula results: it gets no edit of its own.
            kept = [
                sheet
                for sheet in sheets
                if sheet not in removing and sheet not in replacing and self.sheet_type(sheet) == REL_WORKSHEET
            ]
            edits = _dropping_formula_results(edits, [sheet.name for sheet in kept])
        for own in replacing + removing:
            self._check_own_report(own, sheets.index(own))
        worksheets_before = self._worksheet_names()
        date1904 = self.date1904()
        # The report styles are merged before any other, as every save has merged them: the styles part comes out
        # as it always did.
        styles = self.merge_styles(STYLES) if reports or remove else {}

        # User sheets first: their positions and the defined names they adjust are those of the workbook as read.
        shared_strings: set[int] = set()  # the entries of the shared-string table the anonymised sheets show
        for edit in edits:
            sheet = by_name.get(edit.sheet.casefold())
            if sheet is None or self.sheet_type(sheet) != REL_WORKSHEET:
                raise EditRefused(t("the workbook has no worksheet named {sheet}", sheet=quoted(edit.sheet)))
            self._add_missing_names(edit.missing_names)
            user_edit = UserSheetEdit(self, sheet, sheets.index(sheet), edit, date1904, written_ahead=self.prewritten)
            user_edit.apply(self.prewritten.part(edit) if self.prewritten is not None else None)
            shared_strings |= user_edit.shared_strings
        if anonymised:
            # Macro and dialog sheets show shared strings too; xlcrm does not edit them, so they are read as they are.
            for sheet in sheets:
                if sheet not in removing and self.sheet_type(sheet) != REL_WORKSHEET:
                    shared_strings |= shared_strings_shown(self.read_optional(sheet.part) or b"")
            self._empty_unused_shared_strings(shared_strings)
        for copied in copies:  # after the edits, which go by the positions of the sheets as read
            self._copy_sheet(copied)

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
            raise WriteError(
                t(
                    "{path}: removing [{sheets}] would leave the workbook without a visible sheet",
                    path=self.path,
                    sheets=[quoted(name) for name in remove],
                )
            )
        self._update_app_titles(worksheets_before, self._worksheet_names())
        if anonymised:
            blank_personal_parts(self, only=erased)
        self.store_changed_parts()

    def _check_own_report(self, sheet: Sheet, position: int) -> None:
        """Refuse to replace or remove a sheet that has a report's name but was not written by xlcrm.

        xlcrm marks each report sheet it writes with a hidden name local to it (``REPORT_SHEET_MARK``), which
        Excel and LibreOffice keep with the sheet; a report sheet written before that mark existed is known by
        the title xlcrm writes in its A1.
        """
        if self._has_report_mark(position) or self._first_cell_text(sheet) in REPORT_TITLES:
            return
        raise NotAReportSheet(
            t(
                "the workbook has a sheet named {sheet} that xlcrm did not write; xlcrm keeps its own report there "
                "and would overwrite it: rename your sheet (names starting with {marker} are xlcrm's) and run "
                "again; the workbook was not changed",
                sheet=quoted(sheet.name),
                marker=quoted(REPORT_MARKER.strip()),
            )
        )

    def _has_report_mark(self, position: int) -> bool:
        return any(
            defined.get("name") == REPORT_SHEET_MARK and xml_number(defined.get("localSheetId")) == position
            for defined in self.defined_names()
        )

    def _first_cell_text(self, sheet: Sheet) -> str | None:
        """The text in A1 of ``sheet`` (from the first bytes of its part), or None when it holds no text."""
        entry = self.entry_of(sheet.part)
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
        entry = self.entry_of(self.workbook_rels.target(rels[0]) or "") if rels else None
        if entry is None:
            return None
        with self.archive.open(entry) as handle:
            for number, item in enumerate(iterparse_part(handle, entry, f"{{{NS_MAIN}}}si")):
                if number == index:
                    return "".join(text.text or "" for text in item.iter(f"{{{NS_MAIN}}}t"))
        return None

    def _empty_unused_shared_strings(self, used: set[int]) -> None:
        """Empty each entry of the shared-string table no cell shows any more (``used``: those cells show), such
        as the original of a masked name; the entries keep their places, so every cell's index stays right."""
        rels = self.workbook_rels.by_type(REL_SHARED_STRINGS)
        entry = self.entry_of(self.workbook_rels.target(rels[0]) or "") if rels else None
        if entry is None:
            return
        index = -1

        def emptied(match: re.Match[bytes]) -> bytes:
            nonlocal index
            index += 1
            if index in used:
                return match.group(0)
            prefix = match.group(1)
            return b"<" + prefix + b"si><" + prefix + b"t/></" + prefix + b"si>"

        self.store(entry, _SHARED_STRING.sub(emptied, self.archive.read(entry)))

    def _worksheet_names(self) -> list[str]:
        names = []
        for sheet in self.sheets():
            rel = self.workbook_rels.by_id(sheet.element.get(f"{{{NS_R}}}id", ""))
            if rel is not None and rel.get("Type") == REL_WORKSHEET:
                names.append(sheet.name)
        return names

    def _drop_owned_parts(self, replacing: list[Sheet], removing: list[Sheet]) -> None:
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
                if (source := source_of_rels(name)) is not None and source.casefold() not in sheet_parts
            }
            changed = True
            while changed:
                changed = False
                for source, targets in links.items():
                    if source not in owned and targets & owned:
                        owned -= targets
                        changed = True
        for part in owned | {s.part.casefold() for s in removing}:
            self.drop(part)
        for part in owned | sheet_parts:
            self.drop(rels_part(part))

    def _links(self, part: str) -> set[str]:
        """The parts that ``part`` points to, case-folded."""
        rels = self.rels_of(part)
        return {target.casefold() for rel in rels.items if (target := rels.target(rel))} if rels else set()

    def _drop_stale_calc_chain(self, sheet_ids: set[int]) -> None:
        """Excel's calculation chain may not list cells that no longer hold formulas; without one, Excel rebuilds it."""
        if not sheet_ids:
            return
        for rel in self.workbook_rels.by_type(REL_CALC_CHAIN):
            part = self.workbook_rels.target(rel)
            data = self.read_optional(part) if part else None
            if data is not None and not self._chain_mentions(data, part or "", sheet_ids):
                continue
            if part:
                self.drop(part)
            detach(rel)

    def _chain_mentions(self, data: bytes, part: str, sheet_ids: set[int]) -> bool:
        """Whether the chain lists a cell of the sheets ``sheet_ids``. A sheet id that cannot be read (0 among
        ``sheet_ids``, or an entry's) counts as one: the chain is dropped then, which costs Excel only its rebuilding.
        """
        if 0 in sheet_ids:
            return True
        current = None
        for cell in children(parse_part(data, part).getroot(), "c"):
            current = cell.get("i", current)  # an entry without a sheet id is on the previous entry's sheet
            if current is None:
                continue  # before the first sheet id: the schema's default, 0, is no sheet's
            number = xml_number(current)
            if number is None or number in sheet_ids:
                return True
        return False

    def _remove_sheets(self, sheets: list[Sheet], removing: list[Sheet]) -> None:
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

        for view in children(root, "bookViews"):
            for workbook_view in children(view, "workbookView"):
                for attribute in ("activeTab", "firstSheet"):
                    value = xml_number(workbook_view.get(attribute))
                    if value is not None:
                        workbook_view.set(attribute, str(new_position(value)))
        removed_ids = {str(s.sheet_id) for s in removing}
        for custom in children(root, "customWorkbookViews"):
            for custom_view in children(custom, "customWorkbookView"):
                if custom_view.get("activeSheetId") in removed_ids and kept:
                    custom_view.set("activeSheetId", str(kept[0].sheet_id))

        dead_references = [re.compile(re.escape(sheet_ref(s.name)) + r"!") for s in removing]
        for names in children(root, "definedNames"):
            for defined in children(names, "definedName"):
                local = xml_number(defined.get("localSheetId"))
                if local is not None:
                    if local in removed:
                        names.remove(defined)
                        continue
                    defined.set("localSheetId", str(new_position(local)))
                for pattern in dead_references:
                    if defined.text:
                        defined.text = pattern.sub("#REF!", defined.text)
            if not children(names):
                root.remove(names)

        for sheet in removing:
            detach(sheet.element)
            rel = self.workbook_rels.by_id(sheet.element.get(f"{{{NS_R}}}id", ""))
            if rel is not None:
                detach(rel)

    def _add_sheet(self, name: str) -> Sheet:
        part = self._new_sheet_part()
        rel_id = self.workbook_rels.add(REL_WORKSHEET, part)
        sheet_id = max((s.sheet_id for s in self.sheets()), default=0) + 1
        element = etree.SubElement(self.sheets_element(), f"{{{NS_MAIN}}}sheet")
        element.set("name", name)
        element.set("sheetId", str(sheet_id))
        element.set(f"{{{NS_R}}}id", rel_id)
        self.content_types.set(part, CT_WORKSHEET)
        return Sheet(element, part)

    def _copy_sheet(self, copied: SheetCopy) -> None:
        """Add the worksheet ``copied`` names as a new sheet after its ``after`` sheet: its part fitted to this
        workbook (styles, strings, tables, names it reads), its tables, its defined names (print titles, a list of
        its own cells the workbook has no name for yet), and the positions of the sheets after it moved on by one
        wherever the workbook names them."""
        sheets = self.sheets()
        if any(sheet.name.casefold() == copied.name.casefold() for sheet in sheets):
            raise EditRefused(t("the workbook has a sheet named {sheet} already", sheet=quoted(copied.name)))
        after = [index for index, sheet in enumerate(sheets) if sheet.name == copied.after]
        position = after[0] + 1 if after else 0
        with _opened(copied.source, PackageParts) as source:
            source_sheets = source.sheets()
            origin = next(sheet for sheet in source_sheets if sheet.name == copied.sheet)
            strings_rel = source.workbook_rels.by_type(REL_SHARED_STRINGS)
            strings_part = source.workbook_rels.target(strings_rel[0]) or "" if strings_rel else ""
            source_names = source.defined_names()
            have = {defined.get("name", "").casefold() for defined in self.defined_names()}
            own_names = [
                defined
                for defined in names_of_sheet(
                    source_names, source_sheets.index(origin), sheet_ref(origin.name), sheet_ref(copied.name)
                )
                if defined.get("localSheetId") is not None or defined.get("name", "").casefold() not in have
            ]
            have |= {defined.get("name", "").casefold() for defined in own_names}
            missing = [name for d in source_names if (name := d.get("name", "")).casefold() not in have]
            sheet_tree = fitted_worksheet(
                source.read(origin.part),
                origin.part,
                shared_strings(source.read_optional(strings_part) if strings_part else None, strings_part),
                self.style_sheet(),
                source.style_sheet(),
                [name for name in missing if not name.startswith("_xlnm.")],
            )
            source_rels = source.rels_of(origin.part)
            tables = [
                (rel.get("Id", ""), source.read(target))
                for rel in (source_rels.by_type(REL_TABLE) if source_rels else [])
                if (target := source_rels.target(rel)) is not None  # type: ignore[union-attr]  # set: the loop runs
            ]
        self._shift_positions_from(position)
        sheet = self._add_sheet(copied.name)
        detach(sheet.element)
        self.sheets_element().insert(position, sheet.element)
        self.structure_changed = True
        self._add_copied_tables(sheet, sheet_tree, dict(tables))
        self.deflate(sheet.part, [serialize_part(sheet_tree)])
        for defined in own_names:
            if defined.get("localSheetId") is not None:
                defined.set("localSheetId", str(position))
            child_or_new(self.workbook.getroot(), "definedNames", WORKBOOK_ORDER).append(defined)

    def _add_copied_tables(self, sheet: Sheet, sheet_tree: etree._ElementTree, tables: dict[str, bytes]) -> None:
        """The tables of a copied sheet as new parts with ids and names no table or defined name here has."""
        taken_names = {defined.get("name", "") for defined in self.defined_names()}
        taken_ids = [0]
        for existing in self.sheets():
            # A sheet copied earlier in this save has its relationships and tables among the stored parts only.
            rels_data = self._current(rels_part(existing.part))
            rels = None if rels_data is None else Relationships(existing.part, rels_data)
            for rel in rels.by_type(REL_TABLE) if rels else []:
                data = self._current(rels.target(rel) or "")  # type: ignore[union-attr]  # set: the loop runs
                if data is not None:
                    root = parse_part(data, "table").getroot()
                    taken_names.update(root.get(key, "") for key in ("name", "displayName"))
                    taken_ids.append(xml_number(root.get("id")) or 0)
        rels = Relationships(sheet.part, None)
        for element in table_part_ids(sheet_tree):
            data = tables.get(element.get(f"{{{NS_R}}}id", ""))
            if data is None:
                detach(element)
                continue
            part = self._new_part(posixpath.join(posixpath.dirname(self.workbook_part), "tables"), "table")
            wanted = parse_part(data, part).getroot().get("displayName", "Table")
            name = free_table_name(wanted, taken_names)
            taken_names.add(name)
            taken_ids.append(max(taken_ids) + 1)
            self.store(part, serialize_part(fitted_table(data, part, taken_ids[-1], name)))
            self.content_types.set(part, CT_TABLE)
            element.set(f"{{{NS_R}}}id", rels.add(REL_TABLE, part))
        if rels.items:
            self.store(rels_part(sheet.part), serialize_part(rels.tree))
        for container in children(sheet_tree.getroot(), "tableParts"):
            container.set("count", str(len(children(container, "tablePart"))))

    def _current(self, part: str) -> bytes | None:
        """The content of ``part`` as this save has it so far: stored, or else as the file holds it."""
        stored = self.edited.get(self.entry_of(part) or part)
        return stored if stored is not None else self.read_optional(part)

    def _shift_positions_from(self, position: int) -> None:
        """The sheets at ``position`` and after move on by one: the local names and views that name them by
        position follow."""
        root = self.workbook.getroot()
        for defined in self.defined_names():
            local = xml_number(defined.get("localSheetId"))
            if local is not None and local >= position:
                defined.set("localSheetId", str(local + 1))
        for view in children(root, "bookViews"):
            for workbook_view in children(view, "workbookView"):
                for attribute in ("activeTab", "firstSheet"):
                    value = xml_number(workbook_view.get(attribute))
                    if value is not None and value >= position:
                        workbook_view.set(attribute, str(value + 1))

    def _reuse_sheet(self, sheet: Sheet, name: str) -> None:
        """Keep an existing report sheet's entry, position and id; a chart sheet of that name becomes a worksheet."""
        sheet.element.set("name", name)
        rel = self.workbook_rels.by_id(sheet.element.get(f"{{{NS_R}}}id", ""))
        assert rel is not None  # sheets() refuses a sheet without one
        if rel.get("Type") != REL_WORKSHEET:
            self.drop(sheet.part)
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

    def _write_sheet(self, sheet: Sheet, report: ReportSheet, styles: dict[StyleKey, int], date1904: bool) -> None:
        where = layout(report)
        position = [s.element for s in self.sheets()].index(sheet.element)
        selected = position == self._active_tab()
        part = self.entry_of(sheet.part) or sheet.part
        self.streamed[part] = lambda: render_worksheet(report, where, styles, date1904, selected=selected)
        filtered = [table_layout.ref for table, table_layout in zip(report.tables, where.tables) if table.autofilter]
        self._set_filter_name(position, report.name, filtered[0] if filtered else None)
        self._set_print_titles(position, report.name, where.repeated_header_row)
        self._set_report_mark(position, report.name)
        if report.charts:
            self._add_charts(sheet, report, where)

    def _add_charts(self, sheet: Sheet, report: ReportSheet, where: SheetLayout) -> None:
        """A drawing part anchoring the report's charts, a part per chart, and the relationships between them.

        The sheet's old relationships part, if any, went with the old sheet, so the new one is all xlcrm's.
        """
        folder = posixpath.dirname(self.workbook_part)
        drawing = self._new_part(posixpath.join(folder, "drawings"), "drawing")
        chart_parts = []
        for chart in report.charts:
            part = self._new_part(posixpath.join(folder, "charts"), "chart")
            self.store(part, charts.chart_xml(chart, report, where))
            self.content_types.set(part, charts.CT_CHART)
            chart_parts.append(part)
        chart_ids = [f"rId{number}" for number in range(1, len(chart_parts) + 1)]
        self.store(drawing, charts.drawing_xml(charts.anchors(where, len(chart_parts)), chart_ids))
        self.content_types.set(drawing, charts.CT_DRAWING)
        self.store(
            rels_part(drawing),
            charts.relationships_xml(
                [
                    (rel_id, charts.REL_CHART, posixpath.relpath(part, posixpath.dirname(drawing)))
                    for rel_id, part in zip(chart_ids, chart_parts)
                ]
            ),
        )
        self.store(
            rels_part(sheet.part),
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
        for view in children(self.workbook.getroot(), "bookViews"):
            for workbook_view in children(view, "workbookView"):
                return xml_number(workbook_view.get("activeTab")) or 0
        return 0

    def _set_filter_name(self, position: int, sheet_name: str, ref: str | None) -> None:
        """Excel pairs a sheet's autofilter with a hidden name ``_xlnm._FilterDatabase`` local to that sheet."""
        self._drop_local_name(FILTER_NAME, position)
        if ref is not None:
            self._add_hidden_local_name(FILTER_NAME, position, filter_range(sheet_name, ref))

    def _set_print_titles(self, position: int, sheet_name: str, row: int | None) -> None:
        """The rows printed atop every page of a sheet are the value of its local name ``_xlnm.Print_Titles``."""
        self._drop_local_name(PRINT_TITLES_NAME, position)
        if row is not None:
            names = child_or_new(self.workbook.getroot(), "definedNames", WORKBOOK_ORDER)
            defined = etree.SubElement(names, f"{{{NS_MAIN}}}definedName")
            defined.set("name", PRINT_TITLES_NAME)
            defined.set("localSheetId", str(position))
            defined.text = f"{sheet_ref(sheet_name)}!${row}:${row}"

    def _add_missing_names(self, names: Mapping[str, str]) -> None:
        """A workbook-wide defined name for each of ``names`` the workbook does not define yet (Excel compares
        names without case); one it has is kept as it is."""
        have = {defined.get("name", "").casefold() for defined in self.defined_names()}
        for name, text in names.items():
            if name.casefold() in have:
                continue
            container = child_or_new(self.workbook.getroot(), "definedNames", WORKBOOK_ORDER)
            defined = etree.SubElement(container, f"{{{NS_MAIN}}}definedName")
            defined.set("name", name)
            defined.text = text
            self.workbook_changed = True

    def _drop_local_name(self, name: str, position: int) -> None:
        """Remove the defined name ``name`` local to the sheet at ``position``, and a ``definedNames`` left empty."""
        root = self.workbook.getroot()
        for names in children(root, "definedNames"):
            for defined in children(names, "definedName"):
                if defined.get("name") == name and xml_number(defined.get("localSheetId")) == position:
                    names.remove(defined)
            if not children(names):
                root.remove(names)

    def _set_report_mark(self, position: int, sheet_name: str) -> None:
        """Mark the report sheet at ``position`` as xlcrm's (see ``_check_own_report``)."""
        if not self._has_report_mark(position):
            self._add_hidden_local_name(REPORT_SHEET_MARK, position, f"{sheet_ref(sheet_name)}!$A$1")

    def _add_hidden_local_name(self, name: str, position: int, text: str) -> None:
        """A hidden defined name local to the sheet at ``position``."""
        names = child_or_new(self.workbook.getroot(), "definedNames", WORKBOOK_ORDER)
        defined = etree.SubElement(names, f"{{{NS_MAIN}}}definedName")
        defined.set("name", name)
        defined.set("localSheetId", str(position))
        defined.set("hidden", "1")
        defined.text = text

    def _update_app_titles(self, before: list[str], after: list[str]) -> None:
        """Rewrite the worksheet names in docProps/app.xml when its list is exactly the old one; else leave it.

        Excel regenerates this part on save and ignores it on open; other programs show it as "contents".
        """
        if before == after:
            return
        rels = self.package_rels.by_type(REL_EXTENDED_PROPERTIES)
        part = self.package_rels.target(rels[0]) if rels else None
        data = self.read_optional(part) if part else None
        if part is None or data is None:
            return
        tree = parse_part(data, part)
        root = tree.getroot()
        pairs = root.find(f"{{{NS_EXTENDED}}}HeadingPairs/{{{NS_VT}}}vector")
        titles = root.find(f"{{{NS_EXTENDED}}}TitlesOfParts/{{{NS_VT}}}vector")
        if pairs is None or titles is None:
            return
        variants = children(pairs, "variant")
        title_items = children(titles, "lpstr")
        found = [v.find(f"{{{NS_VT}}}i4") for v in variants[1::2]]
        counts = [c for c in found if c is not None and xml_number(c.text) is not None]
        if len(counts) != len(found):
            return
        offset = 0
        matches = []
        for count in counts:
            size = xml_number(count.text) or 0
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
        titles.set("size", str(len(children(titles, "lpstr"))))
        self.store(part, serialize_part(tree))
