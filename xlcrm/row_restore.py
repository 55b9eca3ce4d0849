"""What stops ``unmerge`` from putting rows back exactly.

A merge deletes rows, and everything that follows rows follows them (see ``xlcrm.package``). Undoing it puts
the merged rows back by rewriting the values of the rows below them and appending the last ones: values move,
but a comment, a link, merged cells, a format or validation set on particular rows, a picture, and every formula
that points at those rows (on the sheet itself, on other sheets, in defined names and charts) would stay where it
is, on another client's row. ``refuse_what_stays_behind`` finds the first such thing and refuses, naming it, before
anything is written.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from pathlib import Path

from lxml import etree

from xlcrm.errors import MergeNotUndoable, NotAWorkbook
from xlcrm.package import (FILTER_NAME, REL_COMMENTS, REL_THREADED_COMMENTS, REL_VML_DRAWING, _children, _local,
                           _Package, _parse, _Sheet, _UserSheetEdit)
from xlcrm.sheet_edits import FormulaBlocked, SheetEdit, parse_cell, range_bounds, refers_below
from xlcrm.sheet_tables import sheet_tables
from xlcrm.workbook import sheet_ref

# In the legacy drawing of comment boxes and form controls: the 0-based row a shape is anchored to.
_VML_SHAPE = re.compile(rb"<(?:\w+:)?shape\b.*?</(?:\w+:)?shape>", re.S)
_VML_ROW = re.compile(rb"<(?:\w+:)?Row>\s*(\d+)\s*</(?:\w+:)?Row>")
_VML_ANCHOR = re.compile(rb"<(?:\w+:)?Anchor>([^<]*)</(?:\w+:)?Anchor>")
_VML_OBJECT_TYPE = re.compile(rb'<(?:\w+:)?ClientData\b[^>]*\bObjectType="(\w+)"')


def refuse_what_stays_behind(path: Path, sheet_name: str, first_row: int, merge_id: str) -> None:
    """Raise ``MergeNotUndoable`` when putting rows back from ``first_row`` of the sheet down, by their values,
    would leave something of the workbook on another row than the one it belongs to."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAWorkbook(f"{path} cannot be read as a workbook: {exc}") from None
    with archive, contextlib.ExitStack() as temporary:
        package = _Package(archive, path, temporary)
        sheets = package.sheets()
        position = next((i for i, sheet in enumerate(sheets) if sheet.name == sheet_name), None)
        if position is None:
            return
        check = _RestoreCheck(package, sheets[position], position, first_row, merge_id)
        check.tables(path)  # before the sheet's cells: the SUBTOTALs of a total row are formulas too
        check.sheet_itself()
        check.comments()
        check._check_formulas(check._check_what_points_here())  # pictures, pivot tables, charts, other sheets
        check.defined_names()


class _RestoreCheck(_UserSheetEdit):
    """The checks a deletion from ``first_row`` makes of what points at the moving rows, refusing instead of
    following: rows put back by value take nothing along."""

    def __init__(self, package: _Package, sheet: _Sheet, position: int, first_row: int, merge_id: str):
        super().__init__(package, sheet, position, SheetEdit(sheet.name, delete_rows=(first_row,)), date1904=False)
        self.first = first_row
        self.merge_id = merge_id

    def _refuse(self, what: str) -> MergeNotUndoable:  # type: ignore[override]
        return MergeNotUndoable(
            f"{self.merge_id} cannot be undone exactly: {what}, and putting the merged rows back moves the rows of "
            f"{self.name} from row {self.first} down by their values only, so it would then belong to another "
            "client; move or delete it, undo, then put it back")

    def _cell(self, ref: str) -> str:
        return f"{sheet_ref(self.name)}!{ref}"

    # the sheet's own part

    def sheet_itself(self) -> None:
        """Formulas of the sheet at or below the first row, or pointing there; what its tail ties to rows."""
        name = self.package._name(self.sheet.part)
        if name is None:
            return
        with self.package.archive.open(name) as handle:
            parts = etree.iterparse(handle, events=("end",), resolve_entities=False, no_network=True,
                                    huge_tree=True, load_dtd=False)
            try:
                for _event, element in parts:
                    local = _local(element) if isinstance(element.tag, str) else ""
                    if local == "c":
                        self._cell_formula(element)
                    elif local == "row":
                        element.clear(keep_tail=True)
                    else:
                        self._tail_element(element, local)
            except etree.XMLSyntaxError as exc:
                raise NotAWorkbook(f"the workbook's {name} is damaged: {exc}") from None

    def _cell_formula(self, cell: etree._Element) -> None:
        formula = next((child for child in cell if isinstance(child.tag, str) and _local(child) == "f"), None)
        if formula is None:
            return
        ref = cell.get("r") or ""
        try:
            row = parse_cell(ref)[0] if ref else int(cell.getparent().get("r", "0"))
        except ValueError:
            row = 0
        if row >= self.first:
            raise MergeNotUndoable(
                f"{self.merge_id} cannot be undone: putting its rows back would move {self._cell(ref)}, which holds "
                "a formula, and xlcrm only moves values; copy the formulas elsewhere, undo, then put them back")
        text = formula.text or ""
        try:
            below = refers_below(text, self.name, self.first, own_by_default=True) if text.strip() else None
        except FormulaBlocked as exc:
            raise self._refuse(f"the formula in {self._cell(ref)}: {exc}") from None
        if below:
            raise self._refuse(f"the formula in {self._cell(ref)} uses {below}")

    def _tail_element(self, element: etree._Element, local: str) -> None:
        if local == "mergeCell":
            self._ranges(element.get("ref", ""), f"cells {self._cell(element.get('ref', ''))} are merged")
        elif local == "hyperlink":
            self._ranges(element.get("ref", ""), f"cell {self._cell(element.get('ref', ''))} holds a link")
        elif local in ("conditionalFormatting", "dataValidation", "protectedRange"):
            kind = {"conditionalFormatting": "a conditional format", "dataValidation": "a validation",
                    "protectedRange": "a protected range"}[local]
            sqref = element.get("sqref", "")
            self._ranges(sqref, f"{kind} is set on {self._cell(sqref)}", starting=True)
        elif local == "sqref":  # x14 extensions: <xm:sqref> of a format or validation
            sqref = (element.text or "").strip()
            self._ranges(sqref, f"a conditional format or validation is set on {self._cell(sqref)}", starting=True)
        elif local == "brk" and element.getparent() is not None and _local(element.getparent()) == "rowBreaks":
            if int(element.get("id", "0") or 0) + 1 >= self.first:
                raise self._refuse(f"a page break is set at row {element.get('id')}")
        elif local in ("from", "to") and _children(element, "row"):  # embedded objects and form controls
            row = (_children(element, "row")[0].text or "").strip()
            if row.isdigit() and int(row) + 1 >= self.first:
                raise self._refuse(f"an embedded object or control is placed at row {int(row) + 1}")

    def _ranges(self, text: str, what: str, starting: bool = False) -> None:
        """Refuse when a range of ``text`` reaches the moving rows (with ``starting``: begins among them; a range
        from above, such as a format on a whole column of records, applies to the rows whatever their values)."""
        for part in text.split():
            try:
                first_row, _, last_row, _ = range_bounds(part)
            except ValueError:
                continue
            if (first_row if starting else last_row) >= self.first:
                raise self._refuse(what)

    # what hangs off the sheet

    def tables(self, path: Path) -> None:
        for table in sheet_tables(path, self.name):
            if table.total_row is not None and table.total_row >= self.first:
                raise self._refuse(f"table {table.name!r} ends in a total row (row {table.total_row})")

    def comments(self) -> None:
        for rel in self.sheet_rels.items if self.sheet_rels else ():
            part = self.sheet_rels.target(rel)  # type: ignore[union-attr]
            data = self.package._read_optional(part) if part else None
            if part is None or data is None:
                continue
            if rel.get("Type") in (REL_COMMENTS, REL_THREADED_COMMENTS):
                for comment in _parse(data, part).getroot().iter():
                    if isinstance(comment.tag, str) and _local(comment) in ("comment", "threadedComment"):
                        self._ranges(comment.get("ref", ""), f"cell {self._cell(comment.get('ref', ''))} has a "
                                                             "comment")
            elif rel.get("Type") == REL_VML_DRAWING:
                self._vml_shapes(data)

    def _vml_shapes(self, data: bytes) -> None:
        for match in _VML_SHAPE.finditer(data):
            shape = match.group(0)
            rows = [int(found.group(1)) for found in _VML_ROW.finditer(shape)]
            anchor = _VML_ANCHOR.search(shape)
            numbers = anchor.group(1).decode(errors="replace").split(",") if anchor else []
            if len(numbers) == 8 and all(number.strip().isdigit() for number in numbers):
                rows += [int(numbers[2]), int(numbers[6])]
            kind = _VML_OBJECT_TYPE.search(shape)
            if rows and max(rows) + 1 >= self.first and not (kind is not None and kind.group(1) == b"Note"):
                raise self._refuse(f"a form control or shape is placed at row {min(rows) + 1} or below")

    def defined_names(self) -> None:
        """Names that reach the moving rows; the sheet's own filter range grows with the rows appended."""
        for names in _children(self.package.workbook.getroot(), "definedNames"):
            for defined in _children(names, "definedName"):
                if defined.get("name") == FILTER_NAME and defined.get("localSheetId") == str(self.position):
                    continue
                try:
                    below = refers_below(defined.text or "", self.name, self.first, own_by_default=False)
                except FormulaBlocked as exc:
                    raise self._refuse(f"the name {defined.get('name')!r}: {exc}") from None
                if below:
                    raise self._refuse(f"the name {defined.get('name')!r} refers to {below}")
