"""Changes to the cells of a user's sheet, made in the worksheet XML itself and streamed row by row.

xlcrm changes a user sheet only where a command was asked to: blank ClientIDs
filled, its computed columns written, merged duplicates removed and restored.
Loading the sheet into a spreadsheet library would lose what that library does
not know, and a DOM of a million-row Interactions sheet would not fit in
memory, so the rows of ``<sheetData>`` are scanned as bytes: a row nobody
changes is copied as it is, a changed row is taken apart into its cells, and
only the cells asked for are rewritten. Everything outside ``<sheetData>``
(columns, views, merged cells, formats, validation, hyperlinks, tables, ...)
is kept, and adjusted only where deleted or inserted rows move what it points at.

Row numbers in a ``SheetEdit`` are those of the workbook as it was read, the
numbers ``read_workbook`` reports; rows appended go below the last row that
still holds a value once the deleted rows are gone. An edit that inserts rows
(the undo of a deletion) numbers its rows as in the sheet written instead.

This module knows rows and references; ``xlcrm.xlsx.user_sheet`` applies the edits to
the package (tables, comments, defined names, styles) through it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np
from openpyxl.formula.tokenizer import Token, Tokenizer, TokenizerError

from xlcrm.errors import EditRefused, NotAWorkbook, error_text, quoted
from xlcrm.messages import Message, Text, t
from xlcrm.xlsx.conditional_formats import NewRule, RuleChange
from xlcrm.xlsx.data_validations import NewValidation
from xlcrm.xlsx.refs import MAX_COLUMNS, MAX_ROWS, column_index, column_letter, parse_cell, sheet_ref
from xlcrm.xlsx.report_sheet import WRITTEN_ALIKE_WHEN_EQUAL, CellValue, CellXml, Formula, StyleSpec
from xlcrm.xlsx.xml_io import SheetWithoutCells, character_code, escape_xml, refuse_dtd, unescape_xml


@dataclass(frozen=True)
class SheetEdit:
    """What to change on one user sheet."""

    sheet: str  # the sheet's actual name
    # "D14" -> new value (a ``Formula`` for a formula); None clears the value. An existing cell keeps its style; a
    # new one takes the style of the cell above (below the header) or of its column, so dates look like dates.
    set_cells: Mapping[str, CellValue | Formula] = field(default_factory=dict)
    # The same, a column at a time: column letter -> {row: value}. A computed column of a big sheet is hundreds
    # of thousands of cells, which are then never written out as references and parsed back.
    set_columns: Mapping[str, Mapping[int, CellValue]] = field(default_factory=dict)
    delete_rows: Collection[int] = ()  # Excel rows removed; the rows below move up
    # Rows written below the last row that holds a value, as column letter -> value (a ``Formula`` for a formula),
    # styled like the row above.
    append_rows: Sequence[Mapping[str, CellValue | Formula]] = ()
    # Column letters whose header (row 1) xlcrm owns: styled distinctly so users see the column is computed.
    computed_header: Collection[str] = ()
    # Column letter -> width (in characters) for a column that has no width of its own yet: a new column of
    # dates at Excel's default width would show ########. A width the user set is kept.
    column_widths: Mapping[str, float] = field(default_factory=dict)
    # Column letter -> number format of the numbers written there ("#,##0.00" for money), unless the cell's
    # style has a number format of its own (the user's).
    number_formats: Mapping[str, str] = field(default_factory=dict)
    # Blank rows inserted, numbered as in the sheet written; the rows at and below each move down. The cells of
    # an edit that inserts rows are numbered as in the sheet written too: they are set once the rows are in.
    # Such an edit neither deletes nor appends rows.
    insert_rows: Collection[int] = ()
    # "F14" -> where a link on that cell goes: a web or mail address, or "#" and a place in the workbook. Cells
    # are numbered as ``set_cells`` numbers them.
    set_links: Mapping[str, str] = field(default_factory=dict)
    # Every formula cell of the sheet written without its cached result: a copy meant to hide what the cells it
    # reads held (an anonymised copy) must not carry it in a formula's last result. Excel and LibreOffice
    # compute the formulas again when the file is opened.
    drop_formula_results: bool = False
    # Conditional formats of the sheet changed in place (a rule found by its range and exact formula) and added
    # (see ``xlcrm.xlsx.conditional_formats``); every other rule stays as it is.
    rule_changes: Sequence[RuleChange] = ()
    new_rules: Sequence[NewRule] = ()
    # Defined names the workbook gets when it defines none of that name yet (name -> formula): the names the
    # rules above read. A name the workbook has, the user's own included, is kept as it is.
    missing_names: Mapping[str, str] = field(default_factory=dict)
    # "F1" -> the cellXfs index (of the workbook as read) a cell is written with, in place of the style it would
    # take: a header added right of the others looks like them. Cells are numbered as ``set_cells`` numbers them.
    cell_styles: Mapping[str, int] = field(default_factory=dict)
    # List dropdowns and entry checks added after the sheet's own validations (a column or setting row added by an
    # upgrade), on cells numbered as in the sheet written.
    new_dropdowns: Sequence[NewValidation] = ()
    # (sqref, first formula) of the sheet's own validations that ``new_dropdowns`` replace: an older template's
    # check, found by its exact cells and formula. Every other validation stays as it is.
    replaced_validations: Collection[tuple[str, str]] = ()
    # Column letter -> the number format of a column given its width here (see ``column_widths``), which cells
    # typed into it later take: "@" keeps the leading zeros of a card number typed in Excel.
    column_formats: Mapping[str, str] = field(default_factory=dict)
    # A column letter of the sheet's data (its ClientID, say): only the table holding it takes the headers written
    # just right of it; a small table of the user's beside the data never grows over xlcrm's columns.
    data_column: str | None = None

    def cell_values(self) -> dict[tuple[int, int], CellValue | Formula]:
        """Every cell this edit sets, as (row, column index) -> value; a cell given twice is a ValueError."""
        values: dict[tuple[int, int], CellValue | Formula] = {}
        for letter, cells in self.set_columns.items():
            column = parse_cell(f"{letter}1")[1]
            for row in cells:
                if not 1 <= row <= MAX_ROWS:
                    raise ValueError(f"{letter}{row} is outside Excel's grid")
            values.update(zip(zip(cells, itertools.repeat(column)), cells.values()))
        for ref, value in self.set_cells.items():
            cell = parse_cell(ref)
            if cell in values:
                _refuse_two_values(f"{self.sheet}!{ref}", values[cell], value)
            values[cell] = value
        return values


def _refuse_two_values(where: str, held: object, given: object) -> None:
    if held is not given and held != given:
        raise ValueError(f"{where} is given two values: {held!r} and {given!r}")


Set = TypeVar("Set")


def _by_cell(held: Mapping[str, Set], given: Mapping[str, Set], where: str) -> dict[str, Set]:
    """``held`` and ``given`` (cell reference -> what is set there) as one; a cell given two different things
    is a ValueError naming it after ``where``."""
    combined = {ref.strip().upper(): value for ref, value in held.items()}
    for ref, value in given.items():
        ref = ref.strip().upper()
        if ref in combined:
            _refuse_two_values(f"{where}{ref}", combined[ref], value)
        combined[ref] = value
    return combined


def combine_edits(edits: Sequence[SheetEdit]) -> list[SheetEdit]:
    """One edit per sheet: a command may merge duplicates and write computed columns on Clients in one save.

    Row numbers stay those of the workbook as read, so edits of one sheet combine without renumbering;
    one cell given two different values is a ValueError, and so is an edit that inserts rows together with another
    edit of its sheet (their rows are not numbered alike).
    """
    combined: dict[str, SheetEdit] = {}
    for edit in edits:
        key = edit.sheet.casefold()
        before = combined.get(key)
        if before is None:
            combined[key] = edit
            continue
        if before.insert_rows or edit.insert_rows:
            raise ValueError(f"an edit that inserts rows into {edit.sheet!r} cannot be combined with another")
        cells = _by_cell(before.set_cells, edit.set_cells, f"{edit.sheet}!")
        columns = {letter.strip().upper(): dict(values) for letter, values in before.set_columns.items()}
        for letter, values in edit.set_columns.items():
            letter = letter.strip().upper()
            held = columns.setdefault(letter, {})
            for row in held.keys() & values.keys():
                _refuse_two_values(f"{edit.sheet}!{letter}{row}", held[row], values[row])
            held.update(values)
        headers = list(dict.fromkeys([*before.computed_header, *edit.computed_header]))
        links = _by_cell(before.set_links, edit.set_links, f"the link of {edit.sheet}!")
        combined[key] = SheetEdit(
            before.sheet,
            cells,
            columns,
            {*before.delete_rows, *edit.delete_rows},
            [*before.append_rows, *edit.append_rows],
            headers,
            {**before.column_widths, **edit.column_widths},
            {**before.number_formats, **edit.number_formats},
            set_links=links,
            drop_formula_results=before.drop_formula_results or edit.drop_formula_results,
            rule_changes=[*before.rule_changes, *edit.rule_changes],
            new_rules=[*before.new_rules, *edit.new_rules],
            missing_names={**before.missing_names, **edit.missing_names},
            cell_styles=_by_cell(before.cell_styles, edit.cell_styles, f"the style of {edit.sheet}!"),
            new_dropdowns=[*before.new_dropdowns, *edit.new_dropdowns],
            column_formats={**before.column_formats, **edit.column_formats},
            replaced_validations=[*before.replaced_validations, *edit.replaced_validations],
            data_column=before.data_column or edit.data_column,
        )
    return list(combined.values())


# --- cell references -------------------------------------------------------------------


class RowMap:
    """Where each row lands once some rows are deleted (those below move up), or once blank rows are inserted
    (those at and below move down); one edit does one or the other."""

    def __init__(self, deleted: Collection[int] = (), inserted: Collection[int] = ()):
        self.deleted = sorted({int(row) for row in deleted})
        self._set = frozenset(self.deleted)
        self.inserted = sorted({int(row) for row in inserted})  # in the final numbering
        if self.deleted and self.inserted:
            raise ValueError("one edit cannot both delete and insert rows")
        # The k-th inserted row (from 0) goes just above the row read as inserted[k] - k: the rows read before
        # it are the rows above it but the k rows inserted above.
        self.points = [row - k for k, row in enumerate(self.inserted)]

    def __bool__(self) -> bool:
        return bool(self.deleted or self.points)

    @property
    def change(self) -> Message:
        """What the edit does to the sheet's rows, as a message says it."""
        return t("insert rows into") if self.points else t("delete rows of")

    @property
    def first(self) -> int:
        """The first deleted row, or the first row read that inserted rows push down; nothing above it moves
        (MAX_ROWS + 1 when nothing moves)."""
        if self.points:
            return self.points[0]
        return self.deleted[0] if self.deleted else MAX_ROWS + 1

    def is_deleted(self, row: int) -> bool:
        """Whether ``row`` is deleted."""
        return row in self._set

    def row(self, row: int) -> int | None:
        """The new number of ``row``, or None when it is deleted."""
        if self.points:
            return row + bisect.bisect_right(self.points, row)
        if row in self._set:
            return None
        return row - bisect.bisect_left(self.deleted, row)

    def saved(self, kept: np.ndarray) -> np.ndarray:
        """``row`` of many rows at once, none of them deleted."""
        if self.points:
            return kept + np.searchsorted(np.asarray(self.points, dtype=np.int64), kept, side="right")
        return kept - np.searchsorted(np.asarray(self.deleted, dtype=np.int64), kept, side="left")

    def as_read(self, saved: np.ndarray) -> np.ndarray:
        """The numbers as read of rows given by their new numbers (the inverse of ``row``), none of them
        inserted."""
        if self.points:
            return saved - np.searchsorted(np.asarray(self.inserted, dtype=np.int64), saved, side="right")
        # The i-th deleted row (0-based) had the new number deleted[i] - i: each deleted row whose number is at
        # most a new row's pushes that row one further down in the workbook as read.
        pushes = np.asarray(self.deleted, dtype=np.int64) - np.arange(len(self.deleted))
        return saved + np.searchsorted(pushes, saved, side="right")

    def span(self, first: int, last: int) -> tuple[int, int] | None:
        """The rows ``first..last`` once deleted rows are gone or inserted rows are in, or None when all of them go.

        A range down to Excel's last row (a whole-column format or validation) still ends there. A range of
        several rows takes in the rows inserted inside it, as in Excel, and also those inserted right above its
        first row or right below its last: rows are inserted to put back deleted ones, and a deletion there
        shrank the range. A range of one row (a cell's link, comment or merged cells) moves with its row.
        """
        if self.points:
            if first == last:
                moved = min(first + bisect.bisect_right(self.points, first), MAX_ROWS)
                return moved, moved
            new_first = first + bisect.bisect_left(self.points, first)
            new_last = last if last == MAX_ROWS else min(last + bisect.bisect_right(self.points, last + 1), MAX_ROWS)
            return new_first, new_last
        low = bisect.bisect_left(self.deleted, first)
        high = bisect.bisect_right(self.deleted, last)
        if high - low == last - first + 1:
            return None
        new_first = first - low
        new_last = last if last == MAX_ROWS else last - high
        return new_first, new_last

    def keeps_start(self, first: int, last: int) -> bool:
        """Whether the range ``first..last`` still starts at row ``first`` once rows move. Deleting its own first
        rows keeps that start: Excel then starts the range on the first row kept, which takes their number."""
        span = self.span(first, last)
        return span is not None and span[0] == first


_RANGE_PART = re.compile(r"(\$?)([A-Z]{1,3})?(\$?)([0-9]+)?")


@dataclass(frozen=True)
class _RangeEnd:
    column_dollar: str
    column: str | None
    row_dollar: str
    row: int | None

    def text(self, row: int | None = None) -> str:
        number = self.row if row is None else row
        return f"{self.column_dollar}{self.column or ''}{self.row_dollar}{'' if number is None else number}"


def _range_ends(text: str) -> tuple[_RangeEnd, _RangeEnd] | None:
    """``A2:B5``, ``$A$2``, ``A:A`` or ``2:5`` as its two ends; None for anything else (names, tables)."""
    parts = text.split(":")
    if len(parts) > 2:
        return None
    ends = []
    for part in parts:
        match = _RANGE_PART.fullmatch(part)
        if (
            match is None
            or (match.group(2) is None and match.group(4) is None)
            or (match.group(4) is None and match.group(3))
        ):
            return None
        ends.append(
            _RangeEnd(match.group(1), match.group(2), match.group(3), int(match.group(4)) if match.group(4) else None)
        )
    if len(ends) == 1:
        if ends[0].column is None or ends[0].row is None:
            return None  # a bare "A" or "5" is a name or a number, not a reference
        ends.append(ends[0])
        return ends[0], ends[1]
    if (ends[0].row is None) != (ends[1].row is None) or (ends[0].column is None) != (ends[1].column is None):
        return None
    return ends[0], ends[1]


def shift_range(text: str, rows: RowMap) -> str | None:
    """A range (``A2:C9``, ``B5``, ``A:A``) with ``rows`` deleted: shrunk, moved up, or None when it is gone."""
    ends = _range_ends(text)
    if ends is None:
        raise ValueError(f"{text!r} is not a cell range")
    first, last = ends
    if first.row is None or last.row is None:
        return text  # whole columns stay whole columns
    span = rows.span(min(first.row, last.row), max(first.row, last.row))
    if span is None:
        return None
    start, end = first.text(span[0]), last.text(span[1])
    return start if start == end and first.column is not None else f"{start}:{end}"


def shift_sqref(sqref: str, rows: RowMap) -> str:
    """A space-separated list of ranges with ``rows`` deleted; ranges that vanish are left out ("" when all do)."""
    shifted = (shift_range(part, rows) for part in sqref.split())
    return " ".join(part for part in shifted if part)


def range_bounds(text: str) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column) of ``A2:C9``; whole columns or rows reach the grid's edge."""
    ends = _range_ends(text)
    if ends is None:
        raise ValueError(f"{text!r} is not a cell range")
    first, last = ends
    rows = (first.row or 1, last.row or MAX_ROWS) if first.row is not None else (1, MAX_ROWS)
    columns = (column_index(first.column), column_index(last.column)) if first.column else (0, MAX_COLUMNS - 1)
    return min(rows), min(columns), max(rows), max(columns)


def range_text(first_row: int, first_column: int, last_row: int, last_column: int) -> str:
    """The range as ``B3:D9``, or one cell as ``B3``."""
    start, end = f"{column_letter(first_column)}{first_row}", f"{column_letter(last_column)}{last_row}"
    return start if start == end else f"{start}:{end}"


# --- formulas ----------------------------------------------------------------------------

_SHEET_PREFIX = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!\[\]:]+))!(.*)$", re.S)


class FormulaBlocked(Exception):
    """A formula refers to rows that a deletion would remove or move in a way xlcrm does not rewrite."""


def refusal(change: Text, sheet: str, problem: Text) -> Message:
    """The message of an ``EditRefused``: the ``change`` to the rows of ``sheet`` cannot be made for ``problem``."""
    return t(
        "cannot {change} {sheet}: {problem}; the workbook was not changed",
        change=change,
        sheet=quoted(sheet),
        problem=problem,
    )


def shown_formula(formula: str) -> str:
    """``formula`` (without its "=") as a message quotes it: on one line, a line break in it shown as ↵."""
    return "=" + re.sub(r"\r\n|\r|\n", "↵", formula)


def _split_sheet(operand: str) -> tuple[str | None, str]:
    match = _SHEET_PREFIX.match(operand)
    if match is None:
        return None, operand
    name = match.group(1).replace("''", "'") if match.group(1) is not None else match.group(2)
    return name, match.group(3)


def _tokenizer(formula: str) -> Tokenizer:
    """``formula`` (without its "=") as tokens that render back to exactly the same text."""
    try:
        tokenizer = Tokenizer("=" + formula)
    except (TokenizerError, IndexError, ValueError) as exc:
        raise FormulaBlocked(
            t("cannot read the formula {formula}: {reason}", formula=shown_formula(formula), reason=str(exc))
        ) from None
    if tokenizer.render() != "=" + formula:
        raise FormulaBlocked(t("cannot read the formula {formula} exactly", formula=shown_formula(formula)))
    # openpyxl reads a range that ends in a function (Clients!B2:INDEX(Clients!B:B,9), the usual growing list)
    # as one function token: its first cell is taken apart again, so it follows the rows as any reference does.
    items: list[Token] = []
    for token in tokenizer.items:
        if token.type == Token.FUNC and token.subtype == Token.OPEN and ":" in token.value:
            start, function = token.value.rsplit(":", 1)
            items += [
                Token(start, Token.OPERAND, Token.RANGE),
                Token(":", Token.OP_IN),
                Token(function, Token.FUNC, Token.OPEN),
            ]
        else:
            items.append(token)
    tokenizer.items = items
    return tokenizer


def _name_forms(sheet: str) -> frozenset[str]:
    """How ``sheet`` can appear in formula text, case-folded: as it is, or quoted with each ' doubled."""
    return frozenset({sheet.casefold(), sheet.replace("'", "''").casefold()})


def mentions_sheet(text: str, sheet: str) -> bool:
    """Can formula ``text`` (as a parser reads it) refer to ``sheet``? Excel matches sheet names in any letter
    case, quoted or not; a True may still be text that only looks like the name (``refers_below`` knows)."""
    folded = text.casefold()
    return any(form in folded for form in _name_forms(sheet))


class SheetMentions:
    """Which of some sheet names raw XML may mention, the way Excel matches a sheet name in a formula.

    The bytes are read as a parser reads them (character references such as ``&#1050;``, which openpyxl
    writes for every non-ASCII character of a formula, resolved) and compared case-folded, quoted names
    included. It never misses a mention in the bytes it is given; what it finds may be text outside any
    formula, which the exact check then reads.
    """

    def __init__(self, names: Collection[str]):
        self.forms = {name: _name_forms(name) for name in names if name}
        # Only a name holding one of these can be spelled with a named entity (&amp; &lt; &gt; &quot; &apos;);
        # for the others, resolving character references is enough, and cheaper.
        self._named = any(char in name for name in self.forms for char in "&<>\"'")

    def __bool__(self) -> bool:
        return bool(self.forms)

    def found(self, data: bytes) -> set[str]:
        """The names ``data`` may mention (bytes cut anywhere: a character cut at either end is not read)."""
        # A comment or processing instruction inside a formula splits its text, and a CDATA section holds text
        # as it is: they are taken out before the search (one-byte searches first, as they are fast).
        if (b"!" in data or b"?" in data) and (b"<!" in data or b"<?" in data):
            data = _MARKUP_IN_TEXT.sub(b"", data)
        if self._named:
            text = unescape_xml(data, strict=False)
        else:
            text = data.decode("utf-8", "replace")
            if b"&" in data:  # (a search for one byte is many times faster than one for two)
                text = _CHARACTER_REFERENCE.sub(_character, text)
        folded = text.casefold()
        return {name for name, forms in self.forms.items() if any(form in folded for form in forms)}


_CHARACTER_REFERENCE = re.compile(r"&#(?:([0-9]+)|x([0-9A-Fa-f]+));")
# What XML allows among the characters of an element's text besides references: comments, processing
# instructions and the edges of CDATA sections.
_MARKUP_IN_TEXT = re.compile(rb"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[|\]\]>", re.S)


def _character(match: re.Match[str]) -> str:
    code = character_code(match.group(1), match.group(2))
    return chr(code) if code is not None else match.group(0)


def _own_ranges(tokens: Sequence[Token], sheet: str, own_by_default: bool) -> Iterator[tuple[Token, str]]:
    """(token, range text) of every reference among a formula's ``tokens`` to ``sheet``.

    A reference without a sheet name is to ``sheet`` when ``own_by_default``. An operand that names the
    sheet but is not a plain range (a 3-D or external reference) is refused rather than guessed at.
    """
    for token in tokens:
        if token.type != "OPERAND" or token.subtype != "RANGE":
            continue
        named, rest = _split_sheet(token.value)
        if named is None:
            if own_by_default and _range_ends(rest) is not None:
                yield token, rest
            elif "!" in token.value and mentions_sheet(token.value, sheet):
                raise FormulaBlocked(t("the reference {reference} cannot be followed", reference=token.value))
        elif named.casefold() == sheet.casefold():
            if _range_ends(rest) is not None:
                yield token, rest
        elif mentions_sheet(named, sheet) and ":" in named:
            raise FormulaBlocked(t("the reference {reference} spans several sheets", reference=token.value))


def remap_formula(formula: str, sheet: str, rows: RowMap, *, own_by_default: bool) -> str:
    """``formula`` with its references to ``sheet`` following the rows that move, as Excel does (see
    ``RowMap.span`` for ranges that rows are inserted into).

    Raises ``FormulaBlocked`` when a reference would lose every row it covers (Excel would write #REF!).
    """
    if not rows:
        return formula
    tokenizer = _tokenizer(formula)
    changed = False
    for token, text in _own_ranges(tokenizer.items, sheet, own_by_default):
        shifted = shift_range(text, rows)
        if shifted is None:
            raise FormulaBlocked(
                t(
                    "the formula {formula} uses {reference}, which would be deleted",
                    formula=shown_formula(formula),
                    reference=text,
                )
            )
        if shifted != text:
            token.value = token.value[: len(token.value) - len(text)] + shifted
            changed = True
    return tokenizer.render()[1:] if changed else formula


def check_anchored_formula(
    formula: str, sheet: str, anchor_row: int, last_row: int, rows: RowMap, *, own_by_default: bool
) -> None:
    """Refuse a conditional-format or validation formula that a deletion would change.

    Such a formula is written for the top-left cell of its range (``anchor_row``) and applies to every cell
    down to ``last_row`` relative to it. It survives a deletion unchanged when every row it can reach lies
    above the first deleted row, or when it only looks at each cell's own row and the range still starts on
    the anchor's row number (nothing above it deleted; the anchor row itself may go, as Excel then writes the
    formula for the row below it, which takes that number).
    """
    if not rows:
        return
    anchor_stays = rows.keeps_start(anchor_row, last_row)
    for _, text in _own_ranges(_tokenizer(formula).items, sheet, own_by_default):
        ends = _range_ends(text)
        assert ends is not None
        for end in ends:
            if end.row is None:
                continue
            reach = end.row if end.row_dollar else end.row + (last_row - anchor_row)
            own_row = not end.row_dollar and end.row == anchor_row and anchor_stays
            if reach >= rows.first and not own_row:
                raise FormulaBlocked(
                    t("the formula {formula} refers to row {row}", formula=shown_formula(formula), row=end.row)
                )


def refers_below(formula: str, sheet: str, first_row: int, *, own_by_default: bool) -> str | None:
    """The first reference of ``formula`` to rows of ``sheet`` at or below ``first_row``, if any."""
    for token, text in _own_ranges(_tokenizer(formula).items, sheet, own_by_default):
        ends = _range_ends(text)
        assert ends is not None
        if any(end.row is not None and end.row >= first_row for end in ends):
            reference: str = token.value  # types-openpyxl leaves Token.value untyped
            return reference
    return None


# --- the worksheet XML as a stream --------------------------------------------------------

READ_CHUNK = 1 << 20
_SHEET_DATA_OPEN = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData\b[^>]*?(/?)>")


# A formula element is at most this long: Excel's 8,192 characters, each written as a character reference of
# up to ten bytes, and its tags. A search for what formulas mention looks at windows of at least this size.
FORMULA_WINDOW = 1 << 17


class ReadsBytes(Protocol):
    """A stream SheetXml can read: an open zip entry, say."""

    def read(self, size: int, /) -> bytes:
        """Up to ``size`` bytes; b"" at the end."""


class SheetXml:
    """One pass over a worksheet part: the bytes before ``<sheetData>``, its content in chunks, the bytes after.

    ``watch``: sheet names to look out for on the way; ``seen`` holds those its formulas may mention so far.
    A part that declares a DTD is refused (``NotAWorkbook``).
    """

    def __init__(self, handle: ReadsBytes, part: str, watch: SheetMentions | None = None):
        self.handle = handle
        self.part = part
        self.watch = watch if watch else None
        self.seen: set[str] = set()
        self._overlap = b""  # the end of the last chunk, where a formula mentioning a watched name may begin
        self.head = b""  # everything before <sheetData
        self.data_open = b""  # the <sheetData ...> tag itself
        self.prefix = b""  # namespace prefix of the main namespace's elements, with its colon
        self.tail = b""  # everything after </sheetData>, once content() is exhausted
        self._buffer = b""
        self._empty = False
        self._read_head()

    def _read(self) -> bytes:
        try:
            chunk = self.handle.read(READ_CHUNK)
        except (zlib.error, OSError, EOFError) as exc:
            raise NotAWorkbook(
                t("the workbook is damaged: {part} cannot be read ({reason})", part=self.part, reason=str(exc))
            ) from None
        if self.watch is not None and chunk:
            window = self._overlap + chunk
            self.seen.update(self.watch.found(window))
            self._overlap = window[-FORMULA_WINDOW:]
        return chunk

    def _read_head(self) -> None:
        buffer = b""
        while True:
            match = _SHEET_DATA_OPEN.search(buffer)
            if match is not None:
                break
            chunk = self._read()
            if not chunk:
                raise NotAWorkbook(t("the workbook is damaged: {part} has no cell data", part=self.part))
            buffer += chunk
        refuse_dtd(buffer, self.part)  # its entities would be read as text here
        self.head = buffer[: match.start()]
        self.data_open = match.group(0)
        self.prefix = match.group(1)
        self._empty = bool(match.group(2))
        self._buffer = buffer[match.end() :]

    def without_cells(self) -> SheetWithoutCells:
        """The part with its cells left out (an empty sheetData), once ``content()`` is exhausted."""
        return SheetWithoutCells(self.part, self.head + b"<" + self.prefix + b"sheetData/>", self.tail)

    def content(self) -> Iterator[bytes]:
        """The bytes inside ``<sheetData>``, in chunks; ``tail`` is set once they are exhausted."""
        if self._empty:
            self.tail = self._buffer + self._rest()
            return
        end = b"</" + self.prefix + b"sheetData>"
        keep = len(end) - 1
        buffer = self._buffer
        self._buffer = b""
        while True:
            found = buffer.find(end)
            if found >= 0:
                if found:
                    yield buffer[:found]
                self.tail = buffer[found + len(end) :] + self._rest()
                return
            chunk = self._read()
            if not chunk:
                raise NotAWorkbook(t("the workbook is damaged: the cell data of {part} does not end", part=self.part))
            if len(buffer) > keep:
                yield buffer[:-keep]
                buffer = buffer[-keep:]
            buffer += chunk

    def _rest(self) -> bytes:
        parts = []
        while chunk := self._read():
            parts.append(chunk)
        return b"".join(parts)


class RowScanner:
    """Cuts the content of ``<sheetData>`` into its ``<row>`` elements, without copying them."""

    def __init__(self, prefix: bytes, part: str):
        name = re.escape(prefix) + rb"row"
        self._open = re.compile(rb"<" + name + rb"(?=[\s/>])[^>]*?(?:\sr=\"(\d+)\"[^>]*?)?(/?)>")
        self._close = b"</" + prefix + b"row>"
        self.part = part
        self.last = 0
        self.trailing = b""  # what followed the last row

    def row_tag(self, buffer: bytes, start: int) -> re.Match[bytes] | None:
        """The opening tag of the row starting at ``start``: group 1 its number (if given), group 2 "/" if empty."""
        return self._open.match(buffer, start)

    def spans(self, chunks: Iterator[bytes]) -> Iterator[tuple[bytes, list[tuple[int, int, int]], int]]:
        """Per buffer: the buffer, its complete rows as (start, end, row number), and where the last one ends."""
        buffer = b""
        for chunk in chunks:
            buffer = buffer + chunk if buffer else chunk
            found: list[tuple[int, int, int]] = []
            position = 0
            while True:
                match = self._open.search(buffer, position)
                if match is None:
                    break
                if match.group(2):
                    end = match.end()
                else:
                    close = buffer.find(self._close, match.end())
                    if close < 0:
                        break
                    end = close + len(self._close)
                number = int(match.group(1)) if match.group(1) else self.last + 1
                if number <= self.last:
                    raise NotAWorkbook(
                        t(
                            "the workbook is damaged: in {part}, row {row} comes after row {before}",
                            part=self.part,
                            row=number,
                            before=self.last,
                        )
                    )
                self.last = number
                found.append((match.start(), end, number))
                position = end
            yield buffer, found, position
            buffer = buffer[position:]
        self.trailing = buffer


# --- cells ----------------------------------------------------------------------------------

_ATTRIBUTE = re.compile(rb"([\w:.-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")


def _attributes(tag: bytes) -> dict[bytes, bytes]:
    return {name: value[1:-1] for name, value in _ATTRIBUTE.findall(tag)}


@dataclass
class Cell:
    column: int
    data: bytes  # the whole <c> element as written

    def attributes(self) -> dict[bytes, bytes]:
        """The attributes of the cell's opening tag."""
        return _attributes(self.data[: self.data.index(b">") + 1])


class RowParser:
    """Takes a ``<row>`` element apart into its open tag and cells, and puts one together."""

    def __init__(self, prefix: bytes):
        self.prefix = prefix
        name = re.escape(prefix)
        self._cell = re.compile(rb"<" + name + rb"c(?=[\s/>])[^>]*?(/?)>")
        self._cell_close = b"</" + prefix + b"c>"
        self._cell_open = b"<" + prefix + b"c"
        self.row_close = b"</" + prefix + b"row>"
        self._row_open = re.compile(rb"<" + name + rb"row(?=[\s/>])[^>]*?/?>")
        self._cell_ref = re.compile(rb"\sr=\"([A-Z]{1,3})(\d+)\"")
        self._content = re.compile(rb"<" + name + rb"(?:v|f|is)(?=[\s/>])")
        self._formula = re.compile(rb"<" + name + rb"f(?=[\s/>])([^>]*?)(?:/>|>([^<]*)</" + name + rb"f>)")
        self._renumber = re.compile(rb"(\sr=\"[A-Z]{0,3})\d+\"")
        self._reference_rows = re.compile(rb" r=\"[A-Z]*(\d+)\"")  # the row number of each reference

    def split(self, row: bytes) -> tuple[dict[bytes, bytes], list[Cell], bytes]:
        """(row attributes, cells, anything else inside the row)."""
        opening = self._row_open.match(row)
        assert opening is not None
        attributes = _attributes(opening.group(0))
        cells: list[Cell] = []
        others: list[bytes] = []
        position = opening.end()
        column = -1
        while True:
            match = self._cell.search(row, position)
            if match is None:
                break
            others.append(row[position : match.start()])
            if match.group(1):
                end = match.end()
            else:
                end = row.index(self._cell_close, match.end()) + len(self._cell_close)
            reference = self._cell_ref.search(match.group(0))
            column = column_index(reference.group(1).decode()) if reference else column + 1
            cells.append(Cell(column, row[match.start() : end]))
            position = end
        rest = row[position:]
        closing = b"</" + self.prefix + b"row>"
        if rest.endswith(closing):
            rest = rest[: -len(closing)]
        others.append(rest)
        return attributes, cells, b"".join(part for part in others if part.strip())

    def row_open(self, row: bytes) -> bytes:
        """The row's opening tag."""
        opening = self._row_open.match(row)
        assert opening is not None
        return opening.group(0)

    def last_column(self, row: bytes) -> int | None:
        """Column of the row's last cell, when nothing but the row's end follows that cell and it names its
        reference; else None."""
        if not row.endswith(self.row_close):
            return None
        start = row.rfind(self._cell_open)
        if start < 0 or row[start + len(self._cell_open) : start + len(self._cell_open) + 1] not in (b" ", b"/", b">"):
            return None
        tag_end = row.index(b">", start) + 1
        reference = self._cell_ref.search(row, start, tag_end)
        if reference is None or self.cell_end(row, start) != len(row) - len(self.row_close):
            return None
        return column_index(reference.group(1).decode())

    def join(self, number: int, attributes: Mapping[bytes, bytes], cells: Sequence[Cell], others: bytes) -> bytes:
        """The ``<row>`` element of these cells, in column order, and the other content."""
        body = b"".join(cell.data for cell in sorted(cells, key=lambda c: c.column)) + others
        return self.row_element(number, attributes, body)

    def row_element(self, number: int, attributes: Mapping[bytes, bytes], body: bytes) -> bytes:
        """A ``<row>`` numbered ``number`` around ``body``, its cells in order."""
        # spans is only a hint for readers, and a wrong one is worse than none.
        attrs = {b"r": str(number).encode(), **{k: v for k, v in attributes.items() if k not in (b"r", b"spans")}}
        text = b"".join(b" " + key + b'="' + value + b'"' for key, value in attrs.items())
        if not body:
            return b"<" + self.prefix + b"row" + text + b"/>"
        return b"<" + self.prefix + b"row" + text + b">" + body + b"</" + self.prefix + b"row>"

    def renumber(self, row: bytes, old: int, number: int) -> bytes:
        """The row moved from ``old`` to ``number``: the r of the row and of its cells rewritten, nothing else."""
        new = str(number).encode()
        # Most rows of a sheet below a deleted row move, so the common case avoids a Python call per cell: when
        # every `12"` of the row ends a reference (r="12", r="AB12") and every reference ends so, one replace
        # rewrites them all.
        was = str(old).encode() + b'"'
        references = self._reference_rows.findall(row)
        if len(references) == row.count(was) == row.count(b' r="') and references.count(was[:-1]) == len(references):
            return row.replace(was, new + b'"')
        # Else cut at each `12"` and rewrite the cuts that end a reference, not s="12" or ht="12".
        pieces = row.split(was)
        joined = [pieces[0]]
        rewritten = 0
        for before, after in zip(pieces, pieces[1:]):
            if before.rstrip(_COLUMN_LETTERS).endswith(b' r="'):
                joined.append(new + b'"')
                rewritten += 1
            else:
                joined.append(was)
            joined.append(after)
        if rewritten == row.count(b' r="'):
            return b"".join(joined)
        # a reference to another row (a damaged file): every reference follows the row, as always
        return self._renumber.sub(lambda match: match.group(1) + new + b'"', row)

    def formulas(self, data: bytes) -> Iterator[tuple[re.Match[bytes], dict[bytes, bytes], str]]:
        """Each ``<f>`` in ``data``: the match, its attributes and its (unescaped) text."""
        for match in self._formula.finditer(data):
            yield match, _attributes(match.group(1)), unescape_xml(match.group(2) or b"")

    def has_formula(self, data: bytes, start: int = 0, end: int | None = None) -> bool:
        """Whether the bytes between ``start`` and ``end`` hold a formula."""
        return self._formula.search(data, start, len(data) if end is None else end) is not None

    def has_content(self, data: bytes, start: int = 0, end: int | None = None) -> bool:
        """Whether the bytes between ``start`` and ``end`` hold a cell's value, inline text or formula."""
        return self._content.search(data, start, len(data) if end is None else end) is not None

    def find_cell(self, row: bytes, ref: bytes) -> int:
        """Where the cell ``ref`` starts in ``row``, when its reference is its first attribute; else -1."""
        opening = b"<" + self.prefix + b'c r="' + ref + b'"'
        position = row.find(opening)
        while position >= 0 and row[position + len(opening) : position + len(opening) + 1] not in (b" ", b"/", b">"):
            position = row.find(opening, position + 1)
        return position

    def cell_end(self, row: bytes, start: int) -> int:
        """Where the cell starting at ``start`` in ``row`` ends."""
        tag_end = row.index(b">", start)
        if row[tag_end - 1 : tag_end] == b"/":
            return tag_end + 1
        return row.index(self._cell_close, tag_end) + len(self._cell_close)


def whole_rows(chunks: Iterator[bytes], prefix: bytes) -> Iterator[bytes]:
    """The rows of ``<sheetData>`` in ``chunks`` again, cut between rows: no row is split across two pieces."""
    row_start = b"<" + prefix + b"row"
    pending = b""
    for chunk in chunks:
        pending += chunk
        whole = pending.rfind(row_start)  # the rows before the last one that starts are whole
        if whole > 0:
            yield pending[:whole]
            pending = pending[whole:]
    if pending:
        yield pending


def without_formula_results(rows: Iterator[bytes], prefix: bytes) -> Iterator[bytes]:
    """``rows`` (whole rows, see ``whole_rows``) with the cached result (``<v>``, or an inline ``<is>``) of every
    formula cell left out, and with it the cell's type (``t``), which described that result; everything else,
    the whitespace between a cell's children included, as it is."""
    name = re.escape(prefix)
    not_cell_end = rb"(?:(?!</" + name + rb"c>).)"
    # A cell with content, one of whose children is a formula, whatever whitespace or children come between.
    formula_cell = re.compile(
        rb"<" + name + rb"c(\s[^>]*?)?(?<!/)>"
        rb"(" + not_cell_end + rb"*?<" + name + rb"f[\s/>]" + not_cell_end + rb"*)"
        rb"</" + name + rb"c>",
        re.DOTALL,
    )
    result = re.compile(
        rb"<(" + name + rb"(?:v|is))(?:\s[^>]*)?(?:/>|>.*?</\1>)",
        re.DOTALL,
    )
    result_type = re.compile(rb"\st\s*=\s*(?:\"[^\"]*\"|'[^']*')")

    def without_result(match: re.Match[bytes]) -> bytes:
        attributes = result_type.sub(b"", match.group(1) or b"")
        content = result.sub(b"", match.group(2))
        return b"<" + prefix + b"c" + attributes + b">" + content + b"</" + prefix + b"c>"

    for piece in rows:
        yield formula_cell.sub(without_result, piece)


def noting_shared_strings(rows: Iterator[bytes], prefix: bytes, used: set[int]) -> Iterator[bytes]:
    """``rows`` (whole rows, see ``whole_rows``) as they are; the shared-string table's entries their cells show
    are added to ``used``."""
    name = re.escape(prefix)
    shared_cell = re.compile(
        rb"<" + name + rb"c(?:\s[^>]*?)?\st\s*=\s*[\"']s[\"'][^>]*>\s*<" + name + rb"v>\s*(\d+)\s*</" + name + rb"v>"
    )
    for piece in rows:
        used.update(int(index) for index in shared_cell.findall(piece))
        yield piece


# How the header of a column xlcrm computes looks: not like the user's own headers, so nobody types there.
COMPUTED_HEADER = StyleSpec(bold=True, italic=True, color="FF1F3864", fill="FFD9E1F2", bottom_border=True, wrap=True)


# --- one sheet's edit ---------------------------------------------------------------------------

KEEP = object()  # a cell whose value stays (only its style changes)


@dataclass
class CellChange:
    value: object  # a CellValue, or KEEP
    style: int | None = None  # a cellXfs index to use instead of the cell's own


# A cell to write, as ``SheetPlan.changes`` holds it: its new value, or a ``CellChange`` when it takes a style of
# its own or keeps its value. A computed column of a big sheet is hundreds of thousands of cells: as plain values
# they are no objects for Python's garbage collector to go through again and again while a refresh fills memory.
CellWrite = CellValue | Formula | CellChange


def as_change(cell: CellWrite) -> CellChange:
    """``cell`` as a ``CellChange``."""
    return cell if isinstance(cell, CellChange) else CellChange(cell)


def written_value(cell: CellWrite) -> object:
    """The value ``cell`` is written with: a CellValue or Formula, or KEEP."""
    return cell.value if isinstance(cell, CellChange) else cell


@dataclass(frozen=True)
class StyleChooser:
    """How the workbook's styles answer the questions a cell edit asks."""

    is_date: Callable[[int], bool]  # does cellXfs[i] show a date?
    dated: Callable[[int, bool], int]  # cellXfs[i] with a date (True: date and time) format, found or added
    # cellXfs[i] showing numbers in this number format, found or added; i itself when it has a format of its own
    formatted: Callable[[int, str], int]


@dataclass
class SheetPlan:
    """Everything writing the rows needs, with rows already in their new numbering."""

    name: str
    prefix: bytes
    rows: RowMap
    changes: dict[int, dict[int, CellWrite]]  # new row number -> column -> what to write there
    column_styles: dict[int, int]  # column -> style of its <col>
    styles: StyleChooser
    date1904: bool
    formulas_move: bool = False  # a formula cell moves or is overwritten: the calculation chain goes stale
    number_formats: dict[int, str] = field(default_factory=dict)  # column -> format of the numbers written there


@dataclass(slots=True)
class _WrittenRow:
    """The last row written: its number (0 before the first), and its bytes as ``buffer[start:end]`` (a row copied
    unchanged stays in the buffer it was read into)."""

    number: int
    buffer: bytes
    start: int
    end: int

    def update(self, number: int, buffer: bytes, start: int, end: int) -> None:
        """Another row is the last one written (one object for the writer's life: not one for each row)."""
        self.number, self.buffer, self.start, self.end = number, buffer, start, end


@dataclass(slots=True)
class _WrittenStyles:
    """The styles of the cells written into a rebuilt or new row, by column, and the column after which that row
    holds only those cells: the row below asks for them, and reading them from the written bytes again is the
    slow part of a column of new cells."""

    row: int
    styles: dict[int, int]
    only_after: int

    def update(self, row: int, styles: dict[int, int], only_after: int) -> None:
        """Those of ``row`` are the last ones written (one object for the writer's life: not one for each row)."""
        self.row, self.styles, self.only_after = row, styles, only_after


@dataclass(frozen=True, slots=True)
class _NewCell:
    """How ``_new_cells`` writes a cell of one column, style above and value: its style, and its bytes after its
    reference (after ``<c r="A1"``)."""

    style: int
    after_ref: bytes


class RowWriter:
    """Writes the rows of an edited sheet: copied, renumbered or rebuilt, new rows inserted in order.

    Runs of rows nobody changes are copied as one slice of the buffer they were read into.
    """

    def __init__(self, plan: SheetPlan, part: str):
        self.plan = plan
        self.parser = RowParser(plan.prefix)
        self.scanner = RowScanner(plan.prefix, part)
        self.row_start = b"<" + plan.prefix + b"row"  # how every row element begins
        self.cells = CellXml(plan.prefix.decode(), plan.date1904)
        self.pending = sorted(plan.changes)
        self.previous = _WrittenRow(0, b"", 0, 0)  # the last row written (see _write_every_row)
        self.written_styles = _WrittenStyles(0, {}, MAX_COLUMNS)  # those of the last rebuilt or new row
        self.writing: dict[int, int] = {}  # column -> style of the cells written so far into the row being written
        # (column, style above, value) -> how such a new cell is written, see _new_cells
        self.new_cell_bytes: dict[tuple[int, int, object], _NewCell] = {}
        self.cell_openings: dict[int, bytes] = {}

    def write(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The sheet data's chunks with the edit applied."""
        if self.plan.rows:
            return self._write_every_row(chunks, 0)
        return self._write_changed_rows(chunks)

    def _write_changed_rows(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """No row moves: the rows to change are looked up by their number, everything between is copied unread.

        Merging re-points some thousands of a million Interactions rows; taking every row apart would be most
        of the work. Rows whose tag does not start with their number, and rows to add, hand the rest of the
        sheet to ``_write_every_row``.
        """
        pending, changes, row_open = self.pending, self.plan.changes, self.row_start
        numbered_row = row_open + b' r="'
        index = 0
        buffer = b""
        before = 0  # the number of the last row before the buffer
        chunks = iter(chunks)
        finished = False
        while not finished:
            chunk = next(chunks, None)
            if chunk is None:
                finished = True
                complete = len(buffer)
            else:
                buffer = buffer + chunk if buffer else chunk
                complete = buffer.rfind(row_open)  # the rows before the last one that starts are whole
                if complete <= 0:
                    continue
            if buffer.count(row_open, 0, complete) != buffer.count(numbered_row, 0, complete):
                self.scanner.last = before
                yield from self._write_every_row(itertools.chain([buffer], chunks), index)
                return
            output: list[bytes] = []
            copied = 0
            while index < len(pending):
                number = pending[index]
                start = buffer.find(numbered_row + str(number).encode() + b'"', copied, complete)
                if start < 0:
                    last = self._row_number_before(buffer, complete)
                    if not finished and last is not None and number > last:
                        break  # further down the sheet
                    yield b"".join(output)  # everything up to copied
                    self.scanner.last = self._row_number_before(buffer, copied) or before
                    yield from self._write_every_row(itertools.chain([buffer[copied:]], chunks), index)
                    return
                end = self._row_end(buffer, start)
                above = self._row_number_before(buffer, start)
                if above == number - 1:
                    self.previous.update(above, buffer, buffer.rfind(row_open, 0, start), start)
                output.append(buffer[copied:start])
                data = self._rebuild(buffer[start:end], number, number, changes[number], False)
                output.append(data)
                self.previous.update(number, data, 0, len(data))
                copied = end
                index += 1
            output.append(buffer[copied:complete])
            yield b"".join(output)
            last = self._row_number_before(buffer, complete)
            if last is not None:
                before = last
                if self.previous.number < last:
                    self.previous.update(last, buffer, buffer.rfind(row_open, 0, complete), complete)
            buffer = buffer[complete:]

    def _row_number_before(self, buffer: bytes, position: int) -> int | None:
        """The number of the last row that starts before ``position`` (None: none, or it does not say)."""
        start = buffer.rfind(self.row_start, 0, position)
        match = self.scanner.row_tag(buffer, start) if start >= 0 else None
        return int(match.group(1)) if match is not None and match.group(1) else None

    def _row_end(self, buffer: bytes, start: int) -> int:
        match = self.scanner.row_tag(buffer, start)
        if match is None:
            raise NotAWorkbook(t("the workbook is damaged: a row of {part} cannot be read", part=self.scanner.part))
        if match.group(2):
            return match.end()
        close = buffer.find(self.parser.row_close, match.end())
        if close < 0:
            raise NotAWorkbook(t("the workbook is damaged: a row of {part} does not end", part=self.scanner.part))
        return close + len(self.parser.row_close)

    def _write_every_row(self, chunks: Iterator[bytes], index: int) -> Iterator[bytes]:
        """Every row read: copied, renumbered (rows below deleted ones move up, rows at and below inserted ones
        move down) or rebuilt; new rows inserted.

        ``index``: the first of the pending rows still to write.
        """
        plan, parser = self.plan, self.parser
        rows, changes = plan.rows, plan.changes
        moving, first = bool(rows), rows.first
        pending = self.pending
        next_new = pending[index] if index < len(pending) else MAX_ROWS + 1
        # The last row written, while rows are only copied or moved, is kept in locals: self.previous is updated
        # (a call for each row would cost more than copying it) only for a row about to be rebuilt or added.
        last_number, last_buffer, last_start, last_end = 0, b"", 0, 0
        output: list[bytes] = []
        for buffer, spans, consumed in self.scanner.spans(chunks):
            copied = 0
            for start, end, original in spans:
                number = original
                formulas = moving and parser.has_formula(buffer, start, end)
                if formulas:
                    self._check_shared(buffer[start:end], original)
                    if original >= first:
                        plan.formulas_move = True  # the calculation chain lists cells that move or go
                if original >= first:
                    moved = rows.row(original)
                    if moved is None:  # deleted
                        output.append(buffer[copied:start])
                        copied = end
                        continue
                    if moved > MAX_ROWS:
                        raise EditRefused(
                            t(
                                "cannot {change} {sheet}: row {row} would be pushed off the bottom of the sheet; "
                                "the workbook was not changed",
                                change=rows.change,
                                sheet=quoted(plan.name),
                                row=original,
                            )
                        )
                    number = moved
                if next_new <= number and last_number:
                    self.previous.update(last_number, last_buffer, last_start, last_end)
                    last_number = 0
                if next_new < number:
                    output.append(buffer[copied:start])
                    copied = start
                    while next_new < number:
                        output.append(self._new_row(next_new))
                        index += 1
                        next_new = pending[index] if index < len(pending) else MAX_ROWS + 1
                if next_new == number:
                    data = self._rebuild(buffer[start:end], original, number, changes[number], formulas)
                    index += 1
                    next_new = pending[index] if index < len(pending) else MAX_ROWS + 1
                elif number != original:
                    data = self._move(buffer[start:end], original, number, formulas)
                elif formulas:
                    data = self._remap_formulas(buffer[start:end])  # above the deleted rows, it may point below
                else:
                    last_number, last_buffer, last_start, last_end = number, buffer, start, end
                    continue
                output.append(buffer[copied:start])
                output.append(data)
                copied = end
                last_number, last_buffer, last_start, last_end = number, data, 0, len(data)
            output.append(buffer[copied:consumed])
            yield b"".join(output)
            output.clear()
        if last_number:
            self.previous.update(last_number, last_buffer, last_start, last_end)
        while index < len(pending):
            output.append(self._new_row(pending[index]))
            index += 1
        output.append(self.scanner.trailing)
        yield b"".join(output)

    def _check_shared(self, data: bytes, number: int) -> None:
        plan = self.plan
        problem = shared_formula_problem(self.parser, data, number, plan.name, plan.rows)
        if problem:
            raise EditRefused(refusal(plan.rows.change, plan.name, problem))

    def _move(self, data: bytes, original: int, number: int, formulas: bool) -> bytes:
        """A row that keeps its cells: renumbered, and its formulas (``formulas``: it has some) following the rows
        that moved."""
        if formulas:
            data = self._remap_formulas(data)
        return self.parser.renumber(data, original, number)

    def _remap_formulas(self, data: bytes) -> bytes:
        plan = self.plan
        pieces = []
        position = 0
        for match, _, text in self.parser.formulas(data):
            if not text:
                continue
            try:
                new = remap_formula(text, plan.name, plan.rows, own_by_default=True)
            except FormulaBlocked as exc:
                raise EditRefused(refusal(plan.rows.change, plan.name, error_text(exc))) from None
            if new != text:
                start, end = match.span(2)
                pieces.extend([data[position:start], escape_xml(new).encode("utf-8")])
                position = end
        if not pieces:
            return data
        pieces.append(data[position:])
        return b"".join(pieces)

    def _new_row(self, number: int) -> bytes:
        self.writing = {}
        data = self.parser.row_element(number, {}, self._new_cells(number, self.plan.changes[number], 0))
        self.previous.update(number, data, 0, len(data))
        self.written_styles.update(number, self.writing, -1)
        return data

    def _rebuild(self, data: bytes, original: int, number: int, changes: dict[int, CellWrite], formulas: bool) -> bytes:
        """The row with ``changes`` written; ``formulas``: it has formulas that rows moving may change."""
        if formulas:
            data = self._remap_formulas(data)
        if number != original:
            data = self.parser.renumber(data, original, number)
        self.writing = {}
        only_written_after = MAX_COLUMNS
        rebuilt = self._replace_in_place(data, number, changes)
        if rebuilt is None:
            last = self.parser.last_column(data)
            if last is not None and min(changes) > last:
                rebuilt = self._append_at_end(data, number, changes)
                only_written_after = last
        if rebuilt is None:
            attributes, cells, others = self.parser.split(data)
            row_style = _row_style(attributes)
            by_column = {cell.column: cell for cell in cells}
            for column, change in changes.items():
                new = self._cell(number, column, as_change(change), by_column.get(column), row_style)
                by_column[column] = Cell(column, new)
            rebuilt = self.parser.join(number, attributes, list(by_column.values()), others)
        self.written_styles.update(number, self.writing, only_written_after)
        return rebuilt

    def _replace_in_place(self, data: bytes, number: int, changes: dict[int, CellWrite]) -> bytes | None:
        """The common case, every changed cell already there with its reference first: swapped in place."""
        found = []
        for column, change in changes.items():
            ref = f"{column_letter(column)}{number}".encode()
            start = self.parser.find_cell(data, ref)
            if start < 0:
                return None
            end = self.parser.cell_end(data, start)
            found.append((start, end, column, change))
        found.sort()
        pieces = []
        position = 0
        for start, end, column, change in found:
            pieces.append(data[position:start])
            pieces.append(self._cell(number, column, as_change(change), Cell(column, data[start:end]), 0))
            position = end
        pieces.append(data[position:])
        return b"".join(pieces)

    def _append_at_end(self, data: bytes, number: int, changes: dict[int, CellWrite]) -> bytes:
        """The first refresh's case, every changed cell new and right of the row's last one: added at the end."""
        opening = self.parser.row_open(data)
        row_style = _row_style(_attributes(opening)) if b"customFormat" in opening else 0
        cells = self._new_cells(number, changes, row_style)
        # spans is only a hint for readers, and a wrong one is worse than none.
        opening_kept = _SPANS.sub(b"", opening) if b"spans" in opening else opening
        closing = len(data) - len(self.parser.row_close)
        return opening_kept + data[len(opening) : closing] + cells + data[closing:]

    def _new_cells(self, number: int, changes: dict[int, CellWrite], row_style: int) -> bytes:
        """``_cell`` of each change, in column order, for a row that has none of these cells yet.

        A computed column repeats a few values down a hundred thousand rows, each cell styled like the one
        above: what follows the cell's reference is worked out once per column, style above and value.
        """
        plan, known, writing, openings = self.plan, self.new_cell_bytes, self.writing, self.cell_openings
        row_ref = str(number).encode() + b'"'
        # The row above as _style_above reads it, when it is the row this writer just rebuilt (the common case).
        previous, written = self.previous, self.written_styles
        above_written = previous.number == number - 1 and number - 1 > 1 and written.row == number - 1
        written_styles, only_written_after = written.styles, written.only_after
        pieces = []
        for column in sorted(changes):
            change = changes[column]
            if above_written and (column in written_styles or column > only_written_after):
                above = written_styles.get(column, 0)
            else:
                above = self._style_above(number, column)
            above = above or plan.column_styles.get(column) or row_style
            if type(change) in WRITTEN_ALIKE_WHEN_EQUAL:  # a plain value (not a CellChange)
                key = (column, above, change)
                found = known.get(key)
                if found is None:
                    found = known[key] = self._new_cell(number, column, CellChange(change), above)
            else:
                found = self._new_cell(number, column, as_change(change), above)
            writing[column] = found.style
            pieces.append((openings.get(column) or self._new_cell_opening(column)) + row_ref + found.after_ref)
        return b"".join(pieces)

    def _new_cell(self, number: int, column: int, change: CellChange, above: int) -> _NewCell:
        """How the new cell ``column`` of row ``number`` is written, given the style it would otherwise have."""
        style, value = self._decide(column, change, above)
        return _NewCell(style, self._after_ref(f"{column_letter(column)}{number}", style, value))

    def _new_cell_opening(self, column: int) -> bytes:
        """``<c r="AB`` for the column, the start of a cell up to its row number, kept in ``cell_openings``."""
        opening = self.cell_openings[column] = b"<" + self.plan.prefix + b'c r="' + column_letter(column).encode()
        return opening

    def _cell(self, number: int, column: int, change: CellChange, existing: Cell | None, row_style: int) -> bytes:
        plan = self.plan
        ref = f"{column_letter(column)}{number}"
        if existing is not None:
            style = int(existing.attributes().get(b"s", b"0"))
            if change.value is KEEP:
                return existing.data if change.style is None else _restyle(existing.data, change.style)
            for _, formula_attributes, _ in self.parser.formulas(existing.data):
                if formula_attributes.get(b"t") in (b"shared", b"array") and b"ref" in formula_attributes:
                    raise EditRefused(
                        t(
                            "{cell} holds a formula that fills {cells}; xlcrm does not overwrite it",
                            cell=f"{sheet_ref(plan.name)}!{ref}",
                            cells=formula_attributes[b"ref"].decode(),
                        )
                    )
                plan.formulas_move = True  # the formula is replaced by the value asked for
        else:
            style = self._style_above(number, column) or plan.column_styles.get(column) or row_style
        style, value = self._decide(column, change, style)
        self.writing[column] = style
        return b"<" + plan.prefix + b'c r="' + ref.encode() + b'"' + self._after_ref(ref, style, value)

    def _after_ref(self, ref: str, style: int, value: CellValue | Formula) -> bytes:
        """What follows ``<c r="A1"`` in a cell holding ``value`` (None: an empty cell that keeps its style): the
        same for every cell of one style and value (``ref`` only names the cell in an error)."""
        style_attr = f' s="{style}"' if style else ""
        return (self.cells.after_ref(ref, value, style_attr) or style_attr + "/>").encode()

    def _decide(self, column: int, change: CellChange, style: int) -> tuple[int, CellValue]:
        """The style and value a cell is written with, given the style it would otherwise have."""
        plan = self.plan
        if change.style is not None:
            style = change.style
        value = None if change.value is KEEP else change.value
        if isinstance(value, dt.date) and value == value and not plan.styles.is_date(style):
            style = plan.styles.dated(style, isinstance(value, dt.datetime) and value.time() != dt.time())
        elif (type(value) is int or type(value) is float) and column in plan.number_formats:
            style = plan.styles.formatted(style, plan.number_formats[column])
        return style, value  # type: ignore[return-value]  # a CellValue: KEEP was turned into None

    def _style_above(self, number: int, column: int) -> int:
        """Style of the cell just above, unless that is the header row (a new value is not a header)."""
        previous = self.previous
        if previous.number != number - 1 or number - 1 <= 1:
            return 0
        written = self.written_styles
        if written.row == number - 1 and (column in written.styles or column > written.only_after):
            return written.styles.get(column, 0)
        row = previous.buffer[previous.start : previous.end]
        start = self.parser.find_cell(row, f"{column_letter(column)}{number - 1}".encode())
        if start < 0:
            return 0
        cell = Cell(column, row[start : self.parser.cell_end(row, start)])
        return int(cell.attributes().get(b"s", b"0"))


def _row_style(attributes: Mapping[bytes, bytes]) -> int:
    """The style a row gives its empty cells, when it has one of its own."""
    return int(attributes.get(b"s", b"0")) if attributes.get(b"customFormat") in (b"1", b"true") else 0


_SPANS = re.compile(rb'\sspans="[^"]*"')
_COLUMN_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _restyle(data: bytes, style: int) -> bytes:
    end = data.index(b">")
    tag = data[:end]
    if tag.endswith(b"/"):
        tag, closing = tag[:-1], b"/"
    else:
        closing = b""
    tag = re.sub(rb'\ss="\d*"', b"", tag) + f' s="{style}"'.encode()
    return tag + closing + data[end:]


# --- the first pass -----------------------------------------------------------------------------


_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|is|f)[\s>/]")


def last_used_row(sheet: SheetXml, rows: RowMap) -> int:
    """The last row (in the numbering after ``rows`` are deleted) that holds a value or formula; 0 if none."""
    scanner = RowScanner(sheet.prefix, sheet.part)
    last = 0
    for buffer, spans, _ in scanner.spans(sheet.content()):
        for start, end, number in reversed(spans):
            if not rows.is_deleted(number) and _VALUE.search(buffer, start, end):
                last = number
                break
    return rows.row(last) or 0 if last else 0


def shared_formula_problem(parser: RowParser, data: bytes, number: int, name: str, rows: RowMap) -> Message | None:
    """Why a shared or array formula in this row stops the deletion of ``rows``, if it does.

    One formula filling several cells is written once, for its first cell; moving part of it would mean
    rewriting all of it.
    """
    for match, attributes, text in parser.formulas(data):
        if attributes.get(b"t") not in (b"shared", b"array"):
            continue
        reach = number
        if b"ref" in attributes:
            reach = max(reach, range_bounds(attributes[b"ref"].decode())[2])
        try:
            below = bool(text) and refers_below(text, name, rows.first, own_by_default=True) is not None
        except FormulaBlocked:
            below = True
        if reach >= rows.first or below:
            cell = _cell_at(data, match.start())
            if not cell:
                return t("row {row} holds a shared or array formula, which xlcrm does not move", row=number)
            return t(
                "{where} holds a shared or array formula, which xlcrm does not move", where=f"{sheet_ref(name)}!{cell}"
            )
    return None


_CELL_BEFORE = re.compile(rb"\sr=\"([A-Z]{1,3}\d+)\"")


def _cell_at(row: bytes, position: int) -> str | None:
    found = None
    for match in _CELL_BEFORE.finditer(row, 0, position):
        found = match.group(1).decode()
    return found
