"""A ``SheetEdit`` applied to a user sheet of the package: its rows streamed, and what hangs off them adjusted.

The sheet's cells are written by ``xlcrm.xlsx.sheet_edits`` (rows copied, renumbered or rebuilt); around them
this module keeps the rest of the workbook true to them: the sheet's Excel tables, filter, comments and links,
and the defined names that point at rows that move. Anything that points at those rows and cannot be moved
exactly (a chart anchored below them, a pivot table reading them, a formula on another sheet using them) makes
the edit refused before anything is saved.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from lxml import etree

from xlcrm.errors import EditRefused, error_text, joined, quoted
from xlcrm.messages import Text, t
from xlcrm.xlsx.conditional_formats import change_rules
from xlcrm.xlsx.data_validations import with_dropdowns
from xlcrm.xlsx.parts import (
    FILTER_NAME,
    NS_MAIN,
    NS_R,
    WORKSHEET_ORDER,
    PackageParts,
    Relationships,
    RenderedPart,
    Sheet,
    SheetPartWritten,
    child_or_new,
    filter_range,
    rels_part,
)
from xlcrm.xlsx.refs import MAX_ROWS, column_index, column_letter, parse_cell, sheet_ref
from xlcrm.xlsx.report_sheet import CellValue, Formula
from xlcrm.xlsx.sheet_edits import (
    COMPUTED_HEADER,
    FORMULA_WINDOW,
    KEEP,
    READ_CHUNK,
    CellChange,
    CellWrite,
    FormulaBlocked,
    RowMap,
    RowWriter,
    SheetEdit,
    SheetMentions,
    SheetPlan,
    SheetXml,
    StyleChooser,
    check_anchored_formula,
    last_used_row,
    mentions_sheet,
    noting_shared_strings,
    range_bounds,
    range_text,
    refers_below,
    refusal,
    remap_formula,
    shift_range,
    shift_sqref,
    whole_rows,
    without_formula_results,
    written_value,
)
from xlcrm.xlsx.tables import header_row_count, totals_row_count
from xlcrm.xlsx.xml_io import (
    children,
    detach,
    local_name,
    parse_part,
    refuse_dtd,
    serialize_part,
    unescape_xml,
    xml_number,
)


class EditsWrittenAhead(Protocol):
    """User-sheet edits written ahead by another process (``xlcrm.xlsx.prerender.EditPrewriting``)."""

    def part(self, edit: SheetEdit) -> RenderedPart | None:
        """The sheet part written for exactly this edit, once ready; None when there is none."""

    def silent_about(self, name: str) -> set[str]:
        """The zip entries of the sheets written ahead that never mention sheet ``name``, once ready."""


REL_TABLE = NS_R + "/table"
REL_COMMENTS = NS_R + "/comments"
REL_VML_DRAWING = NS_R + "/vmlDrawing"
REL_DRAWING = NS_R + "/drawing"
REL_PIVOT_TABLE = NS_R + "/pivotTable"
REL_THREADED_COMMENTS = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
REL_HYPERLINK = NS_R + "/hyperlink"

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
_VML_ROW = re.compile(rb"(<(?:\w+:)?Row>)([^<]*)(</(?:\w+:)?Row>)")
_VML_ANCHOR = re.compile(rb"(<(?:\w+:)?Anchor>)([^<]*)(</(?:\w+:)?Anchor>)")


# The refusals of an object whose row is not a number (UserSheetEdit.row_number), given the row as written.
def _unreadable_drawing_row(row: str) -> Text:
    return t("a chart, picture or shape is placed at a row xlcrm cannot read ({row})", row=row)


def _unreadable_object_row(row: str) -> Text:
    return t("an embedded object or control is placed at a row xlcrm cannot read ({row})", row=row)


def _unreadable_vml_row(row: str) -> Text:
    return t("a comment box, form control or shape is placed at a row xlcrm cannot read ({row})", row=row)


def _unreadable_break_row(row: str) -> Text:
    return t("a page break is set at a row xlcrm cannot read ({row})", row=row)


@dataclass(frozen=True)
class _Scan:
    """A part whose formulas and links are read for references to the rows that move."""

    entry: str  # its zip entry
    what: Text  # how a message names it
    own_by_default: bool = False  # a part of the edited sheet: a reference without a sheet name is to that sheet


class UserSheetEdit:
    """One ``SheetEdit`` applied to the package: the sheet streamed into a temporary file, what hangs off it
    (tables, comments, the filter's defined name) adjusted, and everything that would break refused first."""

    def __init__(
        self,
        package: PackageParts,
        sheet: Sheet,
        position: int,
        edit: SheetEdit,
        date1904: bool,
        watch: Collection[str] = (),
        written_ahead: EditsWrittenAhead | None = None,
    ):
        """``watch``: sheet names to look out for as the sheet is read; ``seen`` then holds those it mentions.
        ``written_ahead``: the other sheets edited ahead, in another process, whose formulas need not be read
        again (see ``EditsWrittenAhead.silent_about``)."""
        self.package = package
        self.written_ahead = written_ahead
        self.sheet = sheet
        self.position = position
        self.edit = edit
        self.name = sheet.name
        self.date1904 = date1904
        self.rows = RowMap(edit.delete_rows, edit.insert_rows)
        self.sheet_rels = package.rels_of(sheet.part)
        self.part_name = package.entry_of(sheet.part) or sheet.part
        # Row 1's values: the headers of the columns the edit writes.
        first_row: dict[int, object] = {
            _column(letter): cells[1] for letter, cells in edit.set_columns.items() if 1 in cells
        }
        for ref, value in edit.set_cells.items():
            row, column = parse_cell(ref)
            if row == 1:
                first_row[column] = value
        self.headers = {
            column: str(value).strip()
            for column, value in first_row.items()
            if value is not None and str(value).strip()
        }
        self.watch = SheetMentions(watch)
        self.seen: set[str] = set()
        # With ``drop_formula_results``: the entries of the shared-string table the written sheet shows.
        self.shared_strings: set[int] = set()
        self.filter_ref: str | None = None  # the range the sheet's own filter was set to, when it changed

    @functools.cached_property
    def values(self) -> dict[tuple[int, int], CellValue | Formula]:
        """Every cell the edit sets (``SheetEdit.cell_values``): worked out only when the sheet is written here."""
        return self.edit.cell_values()

    def where(self, ref: str) -> str:
        """The cell ``ref`` of this sheet as a message names it, e.g. ``Clients!F14``."""
        return f"{sheet_ref(self.name)}!{ref}"

    # the whole edit

    def apply(self, written: RenderedPart | None = None) -> None:
        """Nothing; checks the edit, then applies it to the sheet's part and the parts that point into it.

        ``written``: the sheet's part as another process wrote it for this very edit (``write_part_ahead``), taken
        in place of writing it here when the styles it was written with are the ones the part would be written
        with here.
        """
        self._check_request()
        formula_scans: list[_Scan] = []
        if self.rows:
            formula_scans = self._check_what_points_here()
            self._shift_comments()
            self._shift_defined_names()  # before the filter's own name is set from the sheet's new filter
        last_used = self._last_used() if self.edit.append_rows else 0
        if self.edit.append_rows:  # appended rows also go below the values this edit writes
            written_rows = [self.rows.row(row) or 0 for (row, _), value in self.values.items() if value is not None]
            last_used = max([last_used, *written_rows])
        self._computed_header_style()  # the one style added before the cells are written, whoever writes them
        appended_to = last_used + len(self.edit.append_rows) if self.edit.append_rows else 0
        tables = self._tables(last_used, appended_to)
        if written is not None and self.package.take_styles(written.writing):
            self._check_formulas(formula_scans)
            self.package.take_written(self.part_name, written)
            if written.writing.filter_ref is not None:
                self._set_filter_name(written.writing.filter_ref)
            formulas_move = written.writing.formulas_move
        else:
            formulas_move = self._write_part(self._changes(last_used), last_used, appended_to, formula_scans)
        for part, tree in tables:
            self.package.store(part, serialize_part(tree))
        if formulas_move:
            self.package.drop_calc_chain()
        if (
            any(self.edit.set_columns.values())  # a cell set (an empty column sets none)
            or self.edit.set_cells
            or self.rows
            or self.edit.append_rows
            or self.edit.drop_formula_results
        ):
            self.package.recalculate_on_load()

    def write_part_ahead(self) -> SheetPartWritten | None:
        """The sheet's part written (into ``package.deflated``) by a process of its own while the caller goes on:
        what hangs off the sheet is left to ``apply`` in the save, which takes the part from there. Returns what
        ``apply`` needs to know of the writing; None, writing nothing, for an edit that appends or inserts rows,
        sets links or drops the results of formulas (what those change beyond the part depends on the writing).
        """
        if self.edit.append_rows or self.rows.inserted or self.edit.set_links or self.edit.drop_formula_results:
            return None
        self._check_request()
        changes = self._changes(0)
        as_read = not self.package.style_sheet().changed
        styles_before = self.package.styles_xml()
        formulas_move = self._write_part(changes, 0, 0, [])
        styles_after = self.package.styles_xml()
        return SheetPartWritten(
            styles_before,
            as_read,
            None if styles_after == styles_before else styles_after,
            formulas_move,
            self.filter_ref,
        )

    def _write_part(
        self, changes: dict[int, dict[int, CellWrite]], last_used: int, appended_to: int, formula_scans: list[_Scan]
    ) -> bool:
        """Whether formulas moved; writes the sheet's part with ``changes`` while ``formula_scans`` are read."""
        # The other sheets' formulas are read for mentions of moving rows while the rows are written: zlib
        # inflates them without holding Python's lock. A refusal still comes before anything is saved.
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlcrm-scan") as scanner,
            self._open() as handle,
        ):
            scanning = scanner.submit(self._check_formulas, formula_scans)
            sheet_xml = SheetXml(handle, self.sheet.part, self.watch)
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
                {_column(letter): styles.formatted(0, code) for letter, code in self.edit.column_formats.items()},
            )
            opening = re.sub(rb"\s*/>$", b">", sheet_xml.data_open)
            closing = b"</" + sheet_xml.prefix + b"sheetData>"

            def content() -> Iterator[bytes]:
                yield head + opening
                rows = RowWriter(plan, self.sheet.part).write(sheet_xml.content())
                if self.edit.drop_formula_results:
                    prefix = sheet_xml.prefix
                    rows = noting_shared_strings(
                        without_formula_results(whole_rows(rows, prefix), prefix), prefix, self.shared_strings
                    )
                yield from rows
                yield closing + self._tail(sheet_xml, last_used, appended_to)

            self.package.deflate(self.part_name, content())
            self.seen = sheet_xml.seen
            scanning.result()
        return plan.formulas_move

    def _open(self) -> BinaryIO:
        return self.package.open_sheet(self.sheet)

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
        deleted = set(self.rows.deleted)
        for letter, cells in self.edit.set_columns.items():
            if not deleted.isdisjoint(cells):
                row = next(row for row in cells if row in deleted)
                raise ValueError(f"{self.where(letter.strip().upper() + str(row))} is set and deleted at once")
        for ref in self.edit.set_cells:
            row, column = parse_cell(ref)
            if row in deleted:
                raise ValueError(f"{self.where(column_letter(column) + str(row))} is set and deleted at once")
        for letter in self.edit.computed_header:
            parse_cell(f"{letter}1")
        for values in self.edit.append_rows:
            for letter in values:
                parse_cell(f"{letter}1")

    def _computed_header_style(self) -> int:
        """The style of the headers of computed columns, found or added (0: the edit writes none)."""
        return self.package.style_sheet().xf(COMPUTED_HEADER) if self.edit.computed_header else 0

    def _last_used(self) -> int:
        with self._open() as handle:
            return last_used_row(SheetXml(handle, self.sheet.part), self.rows)

    def _changes(self, last_used: int) -> dict[int, dict[int, CellWrite]]:
        """Every cell to write, by row in the new numbering."""
        changes: dict[int, dict[int, CellWrite]] = {}
        by_row: dict[int, dict[int, CellWrite]] = {}  # the cells of one row, under the row's number as read
        for (row, column), value in self.values.items():
            cells = by_row.get(row)
            if cells is None:
                # the cells of an edit that inserts rows are numbered as in the sheet written already
                new_row = row if self.rows.inserted else self.rows.row(row)
                assert new_row is not None  # _check_request refused cells of deleted rows
                cells = by_row[row] = changes.setdefault(new_row, {})
            cells[column] = value
        first_appended = max(last_used, 1) + 1
        if first_appended + len(self.edit.append_rows) - 1 > MAX_ROWS:
            raise EditRefused(
                t(
                    "{sheet} has no room for {count} more rows",
                    sheet=quoted(self.name),
                    count=len(self.edit.append_rows),
                )
            )
        for offset, values in enumerate(self.edit.append_rows):
            row_changes = changes.setdefault(first_appended + offset, {})
            for letter, value in values.items():
                row_changes[_column(letter)] = value
        for ref, index in self.edit.cell_styles.items():
            row, column = parse_cell(ref)
            new_row = row if self.rows.inserted else self.rows.row(row)
            if new_row is not None:
                _set_style(changes.setdefault(new_row, {}), column, index)
        if self.edit.computed_header:
            style = self._computed_header_style()
            header = changes.setdefault(1, {})
            for letter in self.edit.computed_header:
                _set_style(header, _column(letter), style)
        return changes

    def _head(self, head: bytes, changes: dict[int, dict[int, CellWrite]]) -> bytes:
        """The part before the cells, with its dimension covering the cells as they will be."""
        match = _DIMENSION.search(head)
        if match is None:
            return head
        try:
            first_row, first_column, last_row, last_column = range_bounds(match.group(2).decode())
        except ValueError:
            return head
        if self.rows.inserted:
            last_row = max(first_row, self.rows.span(first_row, last_row)[1])  # type: ignore[index]  # only inserts
        elif self.rows:
            last_row = max(first_row, last_row - bisect.bisect_right(self.rows.deleted, last_row))
        written = [
            (row, column)
            for row, columns in changes.items()
            for column, cell in columns.items()
            if (value := written_value(cell)) is not KEEP and value is not None
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
            target = self.sheet_rels.target(rel)  # type: ignore[union-attr]  # set: the loop runs
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
                scans.append(_Scan(name, t("the chart in {part}", part=name)))
            elif folded.startswith(("xl/drawings/", "xl/ctrlprops/")):
                scans.append(
                    _Scan(name, t("the drawing or control in {part}", part=name), own_by_default=folded in own)
                )
            elif folded.startswith("xl/pivotcache/pivotcachedefinition"):
                self._check_pivot_source(name)
        for other in self.package.sheets():
            if other.part.casefold() != sheet_part and self.package.entry_of(other.part) is not None:
                what = t("sheet {sheet}", sheet=quoted(other.name))
                scans.append(_Scan(self.package.entry_of(other.part) or other.part, what))
        return scans

    def refuse(self, what: Text) -> EditRefused:
        """The refusal of this edit, saying ``what`` stands in its way."""
        return EditRefused(refusal(self.rows.change, self.name, what))

    def row_number(self, written: str, unreadable: Callable[[str], Text]) -> int:
        """The row number ``written`` in the markup (counted from 0 or from 1, as the element does).

        Raises the refusal ``unreadable(written)`` when it is not a number (:func:`xml_number`): no writer puts
        anything else there, so where the object stands is unknown.
        """
        row = xml_number(written)
        if row is None:
            raise self.refuse(unreadable(written.strip(" \t\r\n")))
        return row

    def _check_drawing(self, part: str, first: int) -> None:
        data = self.package.read_optional(part)
        if data is None:
            return
        for anchor in parse_part(data, part).getroot():
            if not isinstance(anchor.tag, str) or local_name(anchor) not in ("twoCellAnchor", "oneCellAnchor"):
                continue
            rows = [
                self.row_number(row.text or "", _unreadable_drawing_row)
                for corner in children(anchor)
                if local_name(corner) in ("from", "to")
                for row in children(corner, "row")
            ]
            if rows and max(rows) + 1 >= first:  # anchors count rows from 0
                raise self.refuse(t("a chart, picture or shape is placed at row {row} or below", row=min(rows) + 1))

    def _check_pivot_table(self, part: str, first: int) -> None:
        data = self.package.read_optional(part) or b""
        for location in parse_part(data, part).getroot().iter(f"{{{NS_MAIN}}}location"):
            if location.get("ref") and range_bounds(location.get("ref", ""))[2] >= first:
                raise self.refuse(t("a pivot table stands at {cells}", cells=self.where(location.get("ref", ""))))

    def _check_pivot_source(self, part: str) -> None:
        data = self.package.read_optional(part) or b""
        for source in parse_part(data, part).getroot().iter(f"{{{NS_MAIN}}}worksheetSource"):
            if (source.get("sheet") or "").casefold() == self.name.casefold() and source.get("ref"):
                if range_bounds(source.get("ref", ""))[2] >= self.rows.first:
                    raise self.refuse(
                        t("a pivot table reads its data from {cells}", cells=self.where(source.get("ref", "")))
                    )

    def _check_formulas(self, scans: list[_Scan]) -> None:
        if not scans:
            return
        # A sheet written ahead in another process was read there whole: if it never mentions this one, none of
        # its formulas refers to it.
        silent = self.written_ahead.silent_about(self.name) if self.written_ahead is not None else set()
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
            while chunk := handle.read(READ_CHUNK):
                if not buffer:
                    refuse_dtd(chunk, scan.entry)  # its entities could spell the name
                buffer += chunk
                if not scan.own_by_default and not mentions.found(buffer):
                    buffer = buffer[-FORMULA_WINDOW:]
                    continue
                if b"<!" in buffer or b"<?" in buffer:
                    odd = _FORMULA_WITH_MARKUP.search(buffer)
                    if odd is not None:
                        raise self.refuse(
                            t(
                                "{part} holds a formula with a comment or CDATA section in it, which xlcrm does not "
                                "read",
                                part=scan.what,
                            )
                        )
                end = 0
                for match in _REFERENCE_TEXT.finditer(buffer):
                    end = match.end()
                    filled_down = 0
                    if match.group(2) is not None:
                        text, kind = unescape_xml(match.group(2)), t("a formula")
                        shared = _SHARED_RANGE.search(match.group(1))
                        if shared is not None:
                            first_row, _, last_row, _ = range_bounds((shared.group(1) or shared.group(2)).decode())
                            filled_down = last_row - first_row
                            kind = t("a formula filled down over {count} rows", count=filled_down + 1)
                    else:
                        text, kind = unescape_xml(match.group(3), attribute=True), t("a link or control")
                    if scan.own_by_default or mentions_sheet(text, self.name):
                        self._check_formula(text, scan, kind, filled_down)
                buffer = buffer[max(end, len(buffer) - FORMULA_WINDOW) :]

    def _check_formula(self, text: str, scan: _Scan, kind: Text, filled_down: int = 0) -> None:
        """Refuse ``text`` when it uses rows that move; a formula filled ``filled_down`` rows further down reaches
        that much lower."""
        try:
            below = refers_below(text, self.name, self.rows.first - filled_down, own_by_default=scan.own_by_default)
        except FormulaBlocked as exc:
            raise self.refuse(joined((scan.what, error_text(exc)), ": ")) from None
        if below:
            raise self.refuse(t("{kind} in {part} uses {reference}", kind=kind, part=scan.what, reference=below))

    # tables

    def _tables(self, last_used: int, appended_to: int) -> list[tuple[str, etree._ElementTree]]:
        """The sheet's Excel tables, grown, shrunk or given new columns; only those that changed."""
        changed = []
        for rel in self.sheet_rels.by_type(REL_TABLE) if self.sheet_rels else ():
            part = self.sheet_rels.target(rel)  # type: ignore[union-attr]  # set: the loop runs
            data = self.package.read_optional(part) if part else None
            if part is None or data is None:
                continue
            tree = parse_part(data, part)
            if self._edit_table(tree.getroot(), last_used, appended_to):
                changed.append((part, tree))
        return changed

    def _edit_table(self, table: etree._Element, last_used: int, appended_to: int) -> bool:
        name = table.get("displayName") or table.get("name") or "?"
        ref = table.get("ref", "")
        first_row, first_column, last_row, last_column = range_bounds(ref)
        has_header = header_row_count(table) == 1

        def totals() -> int:
            """The table's count of totals rows, asked for only when the table's rows or filter change."""
            count = totals_row_count(table)
            if count is None:  # where the table's rows end is unknown
                raise EditRefused(
                    t(
                        "table {table} on {sheet} has a totals row count xlcrm cannot read ({count}); the workbook "
                        "was not changed",
                        table=quoted(name),
                        sheet=quoted(self.name),
                        count=table.get("totalsRowCount"),
                    )
                )
            return count

        if self.rows:
            if has_header and self.rows.is_deleted(first_row):
                raise self.refuse(t("row {row} is the header of table {table}", row=first_row, table=quoted(name)))
            span = self.rows.span(first_row, last_row)
            if span is None:
                raise self.refuse(t("table {table} would lose every row", table=quoted(name)))
            first_row, last_row = span[0], max(span[1], span[0] + (1 if has_header else 0) + totals())
        if appended_to and last_row >= last_used >= first_row and appended_to > last_row:
            if totals():
                raise EditRefused(
                    t(
                        "table {table} on {sheet} has a totals row; rows cannot be added below it",
                        table=quoted(name),
                        sheet=quoted(self.name),
                    )
                )
            last_row = appended_to
        columns = children(table, "tableColumns")
        if has_header and first_row == 1 and columns:
            last_column = self._table_columns(table, columns[0], first_column, last_column, name)
        new_ref = range_text(first_row, first_column, last_row, last_column)
        if new_ref == ref:
            return False
        table.set("ref", new_ref)
        filters = children(table, "autoFilter")
        if filters:
            filters[0].set("ref", range_text(first_row, first_column, last_row - totals(), last_column))
        for sort in table.iter(f"{{{NS_MAIN}}}sortState", f"{{{NS_MAIN}}}sortCondition"):
            shifted = shift_range(sort.get("ref", ""), self.rows) if self.rows and sort.get("ref") else None
            if shifted:
                sort.set("ref", shifted)
        return True

    def _table_columns(
        self, table: etree._Element, columns: etree._Element, first_column: int, last_column: int, name: str
    ) -> int:
        """Rename columns whose header is being written, and, for the table of the sheet's data (the one holding
        the edit's ``data_column``, when it names one), add those written just right of it. Another table of the
        user's (a small one beside the data) never grows over xlcrm's columns."""
        items = children(columns, "tableColumn")
        for offset, item in enumerate(items):
            header = self.headers.get(first_column + offset)
            if header is not None:
                item.set("name", header)
        data = self.edit.data_column
        grows = data is None or first_column <= column_index(data.strip().upper()) <= last_column
        while grows and last_column + 1 in self.headers:
            last_column += 1
            ids = [number for item in items if (number := xml_number(item.get("id"))) is not None]
            column = etree.SubElement(columns, f"{{{NS_MAIN}}}tableColumn")
            column.set("id", str(max(ids, default=0) + 1))
            column.set("name", self.headers[last_column])
            items.append(column)
        columns.set("count", str(len(items)))
        names = [item.get("name", "").casefold() for item in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise EditRefused(
                t(
                    "table {table} on {sheet} would have two columns named {column}",
                    table=quoted(name),
                    sheet=quoted(self.name),
                    column=quoted(duplicates[0]),
                )
            )
        return last_column

    # everything after the cells

    def _tail(self, sheet_xml: SheetXml, last_used: int, appended_to: int) -> bytes:
        """The part after the cells: ranges below deleted rows moved up, the filter grown with the data, the new
        dropdowns after the sheet's own."""
        tail = self._tail_changed(sheet_xml, last_used, appended_to)
        return with_dropdowns(tail, sheet_xml.prefix, self.edit.new_dropdowns, self.edit.replaced_validations)

    def _tail_changed(self, sheet_xml: SheetXml, last_used: int, appended_to: int) -> bytes:
        tail = sheet_xml.tail
        rules = self.edit.rule_changes or self.edit.new_rules
        if not self.rows and not appended_to and not self.headers and not self.edit.set_links and not rules:
            return tail
        marker = b"<" + sheet_xml.prefix + b"sheetData/>"
        tree = parse_part(sheet_xml.head + marker + tail, self.sheet.part)
        root = tree.getroot()
        changed = False
        if rules:  # before rows move: the rules are found by their ranges as read
            styles = self.package.style_sheet()
            changed = change_rules(
                root,
                self.edit.rule_changes,
                self.edit.new_rules,
                lambda highlight: styles.dxf(highlight.font, highlight.fill),
            )
        if self.rows:
            changed = _TailShift(self, root).apply() or changed
        if self.edit.set_links:
            self._add_links(root)
            changed = True
        changed = self._grow_filter(root, last_used, appended_to) or changed
        if not changed:
            return tail
        text = serialize_part(tree)
        return text[text.index(marker) + len(marker) :]

    def _grow_filter(self, root: etree._Element, last_used: int, appended_to: int) -> bool:
        """The sheet's own filter takes in appended rows and computed columns written just right of it."""
        filters = children(root, "autoFilter")
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
        container = child_or_new(root, "hyperlinks", WORKSHEET_ORDER)
        cells = {parse_cell(ref) for ref in self.edit.set_links}
        for link in children(container, "hyperlink"):
            try:
                if parse_cell(link.get("ref", "")) in cells:
                    container.remove(link)
            except ValueError:
                continue
        rels = self.sheet_rels or Relationships(self.sheet.part, None)
        used = {
            link.get(f"{{{NS_R}}}id")
            for parent in children(root, "hyperlinks")
            for link in children(parent, "hyperlink")
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
            container.set("count", str(len(children(container))))
        if rels_changed:
            self.sheet_rels = rels
            self.package.store(rels_part(self.sheet.part), serialize_part(rels.tree))

    def _set_filter_name(self, ref: str) -> None:
        self.filter_ref = ref
        for defined in self.package.defined_names():
            if defined.get("name") == FILTER_NAME and xml_number(defined.get("localSheetId")) == self.position:
                defined.text = filter_range(self.name, ref)
                self.package.workbook_changed = True

    # parts that follow the rows

    def _shift_comments(self) -> None:
        for rel in self.sheet_rels.items if self.sheet_rels else ():
            part = self.sheet_rels.target(rel)  # type: ignore[union-attr]  # set: the loop runs
            data = self.package.read_optional(part) if part else None
            if part is None or data is None:
                continue
            if rel.get("Type") in (REL_COMMENTS, REL_THREADED_COMMENTS):
                tree = parse_part(data, part)
                for comment in tree.getroot().iter():
                    if (
                        isinstance(comment.tag, str)
                        and local_name(comment) in ("comment", "threadedComment")
                        and comment.get("ref")
                    ):
                        shifted = shift_range(comment.get("ref", ""), self.rows)
                        if shifted is None:
                            raise self.refuse(
                                t(
                                    "cell {cell} has a comment; move or delete it first",
                                    cell=self.where(comment.get("ref", "")),
                                )
                            )
                        comment.set("ref", shifted)
                self.package.store(part, serialize_part(tree))
            elif rel.get("Type") == REL_VML_DRAWING:
                self.package.store(part, self._shift_vml(data))

    def _shift_vml(self, data: bytes) -> bytes:
        """Legacy drawing of the comment boxes: each note anchored to its cell's row, 0-based."""

        def shape(match: re.Match[bytes]) -> bytes:
            text = match.group(0)
            kind = _VML_OBJECT_TYPE.search(text)
            row = _VML_ROW.search(text)
            anchor = _VML_ANCHOR.search(text)
            # The note's cell (x:Row) and the box's top and bottom rows (the Anchor's 3rd and 7th numbers).
            written = row.group(2).decode(errors="replace").strip(" \t\r\n") if row else ""
            note = self.row_number(written, _unreadable_vml_row) if written else None  # <x:Row></x:Row> as <x:Row/>
            numbers = anchor.group(2).decode(errors="replace").split(",") if anchor else []
            box = (
                [self.row_number(numbers[index], _unreadable_vml_row) for index in (2, 6)] if len(numbers) == 8 else []
            )
            rows = box if note is None else [note, *box]
            if not rows or max(rows) + 1 < self.rows.first:
                return text
            if kind is None or kind.group(1) != b"Note" or note is None:
                raise self.refuse(t("a form control or shape is placed at row {row} or below", row=min(rows) + 1))
            cell_row = note + 1
            new_row = self.rows.row(cell_row)
            assert new_row is not None  # comments of deleted rows were refused
            delta = cell_row - new_row
            text = _VML_ROW.sub(lambda m: m.group(1) + str(new_row - 1).encode() + m.group(3), text, count=1)
            if len(numbers) == 8:
                numbers[2] = str(max(0, box[0] - delta))
                numbers[6] = str(max(0, box[1] - delta))
                text = _VML_ANCHOR.sub(
                    lambda m: m.group(1) + ", ".join(n.strip() for n in numbers).encode() + m.group(3), text, count=1
                )
            return text

        return _VML_SHAPE.sub(shape, data)

    def _shift_defined_names(self) -> None:
        for defined in self.package.defined_names():
            text = defined.text or ""
            if not mentions_sheet(text, self.name):
                continue
            try:
                new = remap_formula(text, self.name, self.rows, own_by_default=False)
            except FormulaBlocked as exc:
                raise self.refuse(
                    t("the name {name}: {reason}", name=quoted(defined.get("name")), reason=error_text(exc))
                ) from None
            if new != text:
                defined.text = new
                self.package.workbook_changed = True


class _TailShift:
    """The worksheet's elements after the cells, with the deleted rows gone or the inserted rows in: ranges moved,
    shrunk or grown, formulas checked, anything anchored to a row that cannot be moved exactly refused."""

    def __init__(self, edit: UserSheetEdit, root: etree._Element):
        self.edit = edit
        self.root = root
        self.rows = edit.rows
        self.changed = False

    def apply(self) -> bool:
        for element in list(self.root.iter()):
            if not isinstance(element.tag, str):
                continue
            local = local_name(element)
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
            elif local == "brk" and (breaks := element.getparent()) is not None and local_name(breaks) == "rowBreaks":
                row = self.edit.row_number(element.get("id") or "0", _unreadable_break_row)  # the row above the break
                if row + 1 >= self.rows.first:
                    raise self.edit.refuse(t("a page break is set at row {row}", row=row))
            elif local in ("from", "to") and children(element, "row"):  # embedded objects and form controls
                row = self.edit.row_number(children(element, "row")[0].text or "", _unreadable_object_row)
                if row + 1 >= self.rows.first:
                    raise self.edit.refuse(t("an embedded object or control is placed at row {row}", row=row + 1))
            elif local == "inputCells" and element.get("r"):
                if shift_range(element.get("r", ""), self.rows) != element.get("r"):
                    raise self.edit.refuse(t("a scenario changes cell {cell}", cell=element.get("r")))
        for container in ("mergeCells", "hyperlinks", "dataValidations"):
            for parent in children(self.root, container):
                items = children(parent)
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
            detach(element)
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
            raise self.edit.refuse(
                t(
                    "the link in cell {cell} goes to {location}: {reason}",
                    cell=self.edit.where(ref),
                    location=location,
                    reason=error_text(exc),
                )
            ) from None
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
            detach(element)

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
        elif parent is not None and (container := parent.getparent()) is not None:
            # Its cells are all gone, so it goes too, as in Excel.
            container.remove(parent)
            if container.get("count") is not None:
                container.set("count", str(len(children(container))))

    def _check_formulas(self, element: etree._Element, sqref: str) -> None:
        """Formulas of a format or validation are written for the top-left cell of its first range."""
        anchor = range_bounds(sqref.split()[0])[0]
        last_row = max(range_bounds(part)[2] for part in sqref.split())
        for item in element.iter():
            if (
                not isinstance(item.tag, str)
                or local_name(item) not in ("formula", "formula1", "formula2", "f")
                or not (item.text or "").strip()
            ):
                continue
            try:
                check_anchored_formula(
                    item.text or "", self.edit.name, anchor, last_row, self.rows, own_by_default=True
                )
            except FormulaBlocked as exc:
                raise self.edit.refuse(
                    t(
                        "the conditional format or validation on {cells}: {reason}",
                        cells=sqref,
                        reason=error_text(exc),
                    )
                ) from None


_COLUMNS_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?cols\b")


def _with_widths(
    head: bytes, prefix: bytes, widths: Mapping[int, float], styles: Mapping[int, int] | None = None
) -> bytes:
    """``head`` with a ``<col>`` width for each column of ``widths`` that no ``<col>`` covers yet, and the cell
    format of ``styles`` (column -> cellXfs index) when it gives that column one.

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
    styles = styles or {}
    elements = [
        (
            number,
            b'<%scol min="%d" max="%d" width="%s"%s customWidth="1"/>'
            % (
                prefix,
                number,
                number,
                f"{width:g}".encode(),
                b' style="%d"' % styles[number - 1] if styles.get(number - 1) else b"",
            ),
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


def _set_style(cells: dict[int, CellWrite], column: int, style: int) -> None:
    """Nothing; the cell ``column`` of ``cells`` is written with the cellXfs index ``style``, and with the value
    asked for (its own when none is)."""
    cells[column] = CellChange(written_value(cells[column]) if column in cells else KEEP, style)


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
