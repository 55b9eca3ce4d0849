"""What a report sheet shows, where each part of it lands, and its worksheet XML.

A report sheet is owned by xlcrm and rewritten on every refresh: a title, a
subtitle ("computed for 23.11.2026") and one or more tables of typed values
stacked top to bottom. The sheet is protected without a password, so nobody types into it by accident; only
the cells of an ``editable`` column stay open to typing. ``layout`` fixes the cell range of every table, so
whatever refers to a table later (a filter, a native chart) uses the same
numbers as the writer. ``render_worksheet`` streams the worksheet XML as bytes,
row by row, so a table of 100,000 rows never becomes a tree of nodes.

Strings are written inline (``t="inlineStr"``): the workbook's shared-string
table is never touched, so no other sheet's string indexes can shift. A column
may carry a dropdown (``Choices``: a list validation on its value cells).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from xlcrm import schema
from xlcrm.xlsx import limits
from xlcrm.xlsx.refs import MAX_COLUMNS, MAX_ROWS, column_letter
from xlcrm.xlsx.xml_io import escape_xml

# A time of day and a duration are what a spreadsheet reader gives for cells formatted as such.
CellValue = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


@dataclass(frozen=True)
class Formula:
    """A formula to write into a cell, as ``SheetEdit.set_cells`` takes it: its text without the "="."""

    text: str


# Excel's limits: rows and columns of a sheet, characters of one cell, characters of a sheet name.
MAX_CELL_TEXT = limits.MAX_CELL_CHARS
MAX_SHEET_NAME = 31
_FORBIDDEN_IN_SHEET_NAME = set("[]:*?/\\")

# How many rows of a table are looked at to fit a column's width: enough to see typical values,
# few enough that a 100,000-row table costs nothing extra.
WIDTH_SAMPLE_ROWS = 500
MIN_WIDTH = 8.0
MAX_WIDTH = 60.0


class ColumnFormat(str, Enum):
    """How the values of a report column are shown."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    TENTHS = "tenths"  # 99.9: one decimal (a probability in per cent)
    MONEY = "money"
    PERCENT = "percent"  # 0.25 shows as 25.0%
    DATE = "date"
    DATETIME = "datetime"
    LONG_TEXT = "long_text"  # text that wraps onto more lines within the column's width


# Numbers are right-aligned, so their headers are too: a number then sits under its own header, never under
# the left end of the next column's.
NUMERIC_FORMATS = frozenset(
    {ColumnFormat.INTEGER, ColumnFormat.NUMBER, ColumnFormat.TENTHS, ColumnFormat.MONEY, ColumnFormat.PERCENT}
)


NUMBER_FORMATS: dict[ColumnFormat, str] = {
    ColumnFormat.INTEGER: "#,##0",
    ColumnFormat.NUMBER: "#,##0.00",
    ColumnFormat.TENTHS: "0.0",
    ColumnFormat.MONEY: schema.NUMBER_FORMATS[schema.Kind.MONEY],
    ColumnFormat.PERCENT: "0.0%",
    ColumnFormat.DATE: schema.NUMBER_FORMATS[schema.Kind.DATE],
    ColumnFormat.DATETIME: schema.NUMBER_FORMATS[schema.Kind.DATE] + " HH:MM",
}


class Role(str, Enum):
    """The cells of a report sheet that are not table values."""

    TITLE = "title"
    SUBTITLE = "subtitle"
    HEADING = "heading"  # the line above a table
    HEADER = "header"  # the table's column headers
    NUMBER_HEADER = "number_header"  # the header of a column of numbers
    EDITABLE = "editable"  # a value cell of a column people type into: unlocked on the protected sheet


@dataclass(frozen=True)
class StyleSpec:
    """A cell look, kept abstract so the package writer can find or add it in the workbook's own styles."""

    bold: bool = False
    italic: bool = False
    size: float | None = None  # points; None keeps the workbook's default font size
    color: str | None = None  # ARGB, e.g. "FF595959"
    fill: str | None = None  # ARGB of a solid background
    bottom_border: bool = False
    wrap: bool = False  # wraps text onto more lines, from the top of the cell
    top: bool = False  # from the top of the cell: on a row that a wrapped neighbour makes taller
    align_right: bool = False
    number_format: str | None = None  # None = General
    locked: bool = True  # False: open to typing on a protected sheet


StyleKey = Role | ColumnFormat

STYLES: dict[StyleKey, StyleSpec] = {
    Role.TITLE: StyleSpec(bold=True, size=14),
    Role.SUBTITLE: StyleSpec(italic=True, color="FF595959"),
    Role.HEADING: StyleSpec(bold=True, size=12),
    Role.HEADER: StyleSpec(bold=True, fill="FFDDEBF7", bottom_border=True, wrap=True),
    Role.NUMBER_HEADER: StyleSpec(bold=True, fill="FFDDEBF7", bottom_border=True, wrap=True, align_right=True),
    **{
        fmt: StyleSpec(number_format=NUMBER_FORMATS.get(fmt), wrap=fmt is ColumnFormat.LONG_TEXT, top=True)
        for fmt in ColumnFormat
    },
    Role.EDITABLE: StyleSpec(top=True, locked=False),
}


# Excel's limits for a validation rule: its typed list of choices (the text between the quotes), the title and
# the text of its warning.
MAX_CHOICES_TEXT = 255
MAX_WARNING_TITLE = 32
MAX_WARNING_TEXT = 255


@dataclass(frozen=True)
class Choices:
    """A dropdown on a report column's cells: a list validation of ``values``.

    A value not in the list gets a warning (``errorStyle="warning"``) with ``title`` and ``message``, which the
    person can accept: what they type is never refused, so xlcrm can keep it and say what it did with it.
    """

    values: tuple[str, ...]
    title: str = ""
    message: str = ""

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("a dropdown needs at least one value")
        if any("," in value or '"' in value for value in self.values):
            raise ValueError(f"dropdown values {self.values!r}: a comma or a quote cannot be in a typed list")
        if len(",".join(self.values)) > MAX_CHOICES_TEXT:
            raise ValueError(f"dropdown values {self.values!r}: longer than Excel's {MAX_CHOICES_TEXT} characters")
        if len(self.title) > MAX_WARNING_TITLE or len(self.message) > MAX_WARNING_TEXT:
            raise ValueError(
                f"dropdown warning {self.title!r}: Excel allows {MAX_WARNING_TITLE} characters of title and "
                f"{MAX_WARNING_TEXT} of text"
            )


@dataclass(frozen=True)
class ReportColumn:
    header: str
    format: ColumnFormat = ColumnFormat.TEXT
    width: float | None = None  # in characters; None fits the header and the values
    choices: Choices | None = None  # a dropdown on the column's value cells
    # People type into its value cells (the Duplicates sheet's Decision): they stay unlocked on the protected
    # sheet, blank ones too. Text only: what is typed is read back as text.
    editable: bool = False

    def __post_init__(self) -> None:
        if self.editable and self.format is not ColumnFormat.TEXT:
            raise ValueError(f"column {self.header!r}: only a text column can be editable")


@dataclass(frozen=True)
class ReportTable:
    """A block of rows under a heading; each row has one value per column."""

    heading: str
    columns: Sequence[ReportColumn]
    rows: Sequence[Sequence[CellValue]]
    autofilter: bool = False  # Excel allows one sheet-level filter, so at most one table per sheet
    # Indexes of the rows that start a new printed page; the number of rows ends the page after the table.
    page_breaks: Sequence[int] = ()
    # Indexes of the rows and of the columns whose values are shaded from white (the least) to green (the most).
    color_scale: tuple[range, range] | None = None
    # Lines under the heading saying what the figures are (how a ratio is worked out, which rows count); each line
    # of the text (split at its line breaks) on a row of its own, so none runs on under a chart.
    note: str = ""

    def __post_init__(self) -> None:
        if not self.columns:
            raise ValueError(f"table {self.heading!r} has no columns")
        if len(self.columns) > MAX_COLUMNS:
            raise ValueError(f"table {self.heading!r} has {len(self.columns)} columns; Excel allows {MAX_COLUMNS}")


class ChartKind(str, Enum):
    """Which way a chart's bars run."""

    BAR = "bar"  # horizontal bars: long category names stay readable
    COLUMN = "col"  # vertical columns: time runs left to right


# Charts sit right of a sheet's tables, after a gap, each this many (default-width) columns wide.
GAP_COLUMNS = 1
CHART_COLUMNS = 9


@dataclass(frozen=True)
class Chart:
    """A native chart of one value column of a report table against its category column (its parts are written
    by ``xlcrm.xlsx.charts``)."""

    title: str
    table: int  # index of the table in the report
    categories: int  # column index of the labels
    values: int  # column index of the numbers
    kind: ChartKind = ChartKind.COLUMN
    rows: int | None = None  # plot only the first N rows (leaves out a Total row); None: all
    number_format: str = "#,##0"


@dataclass(frozen=True)
class ReportSheet:
    """A sheet xlcrm owns: its name carries the report marker, so users see it will be overwritten."""

    name: str
    title: str
    subtitle: str = ""
    tables: Sequence[ReportTable] = field(default_factory=tuple)
    # The table that runs long (None: none does). When it is the last table, its header stays in view while
    # scrolling, with what is above it (so the tables above it should be short), and is printed atop every page.
    main_table: int | None = 0
    charts: Sequence[Chart] = field(default_factory=tuple)  # native charts of its tables, right of them

    def __post_init__(self) -> None:
        check_sheet_name(self.name)
        if sum(table.autofilter for table in self.tables) > 1:
            raise ValueError(f"{self.name!r}: only one table of a sheet can have a filter")
        if self.main_table is not None and not 0 <= self.main_table < max(len(self.tables), 1):
            raise ValueError(f"{self.name!r}: no table {self.main_table} to keep in view")

    @classmethod
    def of(
        cls,
        spec: schema.Sheet,
        locale: str,
        title: str,
        subtitle: str = "",
        tables: Sequence[ReportTable] = (),
        *,
        main_table: int | None = 0,
        charts: Sequence[Chart] = (),
    ) -> ReportSheet:
        """The report sheet for a schema report ``spec``, named in ``locale``."""
        if not spec.report:
            raise ValueError(f"{spec.key!r} is not a report sheet")
        return cls(spec.name(locale), title, subtitle, tuple(tables), main_table, tuple(charts))


def check_sheet_name(name: str) -> None:
    """Excel's rules for a sheet name; a name that breaks them makes Excel repair the file."""
    if not name or len(name) > MAX_SHEET_NAME:
        raise ValueError(f"sheet name {name!r} must have 1 to {MAX_SHEET_NAME} characters")
    if _FORBIDDEN_IN_SHEET_NAME & set(name) or name[0] == "'" or name[-1] == "'":
        raise ValueError(f"sheet name {name!r} contains a character Excel does not allow")


# --- layout -----------------------------------------------------------------------


@dataclass(frozen=True)
class TableLayout:
    """Where one table sits (1-based rows, columns from A)."""

    heading_row: int | None
    header_row: int
    first_row: int  # first value row
    last_row: int  # last value row; equals header_row when the table has no rows
    width: int  # number of columns
    note_row: int | None = None  # the first line under the heading

    @property
    def ref(self) -> str:
        """Headers and values, e.g. ``A5:H105`` (the autofilter range)."""
        return f"A{self.header_row}:{column_letter(self.width - 1)}{self.last_row}"


# A frozen pane taller than this would leave little of a laptop's screen to scroll in.
MAX_FROZEN_ROWS = 16


@dataclass(frozen=True)
class SheetLayout:
    title_row: int
    subtitle_row: int | None
    tables: tuple[TableLayout, ...]
    last_row: int
    width: int  # widest table
    main_table: int | None = None  # see ReportSheet.main_table
    row_breaks: tuple[int, ...] = ()  # a printed page ends after each of these rows

    @property
    def repeated_header_row(self) -> int | None:
        """The main table's header row, printed atop every page; None when no table is the main one, or when
        another table follows it (its header would then stand over columns it does not name)."""
        if self.main_table is None or self.main_table != len(self.tables) - 1:
            return None
        return self.tables[self.main_table].header_row

    @property
    def freeze_row(self) -> int | None:
        """Rows above this line stay in view: everything down to the main table's header, when that fits on a
        screen; None when nothing is frozen."""
        header = self.repeated_header_row
        return header if header is not None and header <= MAX_FROZEN_ROWS else None

    @property
    def ref(self) -> str:
        """The range the table covers, as ``A1:F20``."""
        return f"A1:{column_letter(self.width - 1)}{self.last_row}"


def layout(report: ReportSheet) -> SheetLayout:
    """Title on row 1, subtitle on row 2, a blank row, then each table (heading, note, header, rows) and a blank
    row."""
    row = 1
    subtitle_row = None
    if report.subtitle:
        row += 1
        subtitle_row = row
    row += 2  # the blank row after the title block
    tables: list[TableLayout] = []
    row_breaks: list[int] = []
    for table in report.tables:
        heading_row = None
        if table.heading:
            heading_row = row
            row += 1
        note_row = None
        if table.note:
            note_row = row
            row += len(table.note.splitlines())
        header_row = row
        last_row = header_row + len(table.rows)
        tables.append(TableLayout(heading_row, header_row, header_row + 1, last_row, len(table.columns), note_row))
        row_breaks += [header_row + index for index in table.page_breaks if 0 < index <= len(table.rows)]
        row = last_row + 2
    last_row = tables[-1].last_row if tables else (subtitle_row or 1)
    if last_row > MAX_ROWS:
        raise ValueError(f"{report.name!r} needs {last_row} rows; Excel allows {MAX_ROWS}")
    width = max((t.width for t in tables), default=1)
    main_table = report.main_table if report.tables else None
    return SheetLayout(1, subtitle_row, tuple(tables), last_row, width, main_table, tuple(row_breaks))


# --- values -----------------------------------------------------------------------

_DAY_ZERO_1900 = dt.date(1899, 12, 30).toordinal()
_DAY_ZERO_1904 = dt.date(1904, 1, 1).toordinal()
# Serial 60 is the 29 February 1900 that Lotus invented and Excel kept; dates before 1 March 1900 sit one lower.
_FIRST_SERIAL_AFTER_LEAP_BUG = 61


def excel_serial(value: dt.date, date1904: bool = False) -> int | float | None:
    """Excel's day number for a date or datetime, or None when Excel cannot show it (before its epoch).

    A datetime's time zone, if any, is dropped: Excel stores the wall-clock time.
    """
    serial: int | float = value.toordinal() - (_DAY_ZERO_1904 if date1904 else _DAY_ZERO_1900)
    if isinstance(value, dt.datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1_000_000
        if seconds:
            serial += seconds / 86_400
    if not date1904 and serial < _FIRST_SERIAL_AFTER_LEAP_BUG:
        serial -= 1
    if serial < (0 if date1904 else 1):
        return None
    return serial


def excel_time(value: dt.time | dt.timedelta) -> float:
    """Excel's number for a time of day (the fraction of a day gone) or a duration (in days)."""
    if isinstance(value, dt.timedelta):
        return value / dt.timedelta(days=1)
    return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1_000_000) / 86_400


# Kinds of value whose cell follows from the value alone: equal values of these kinds (and no two values of two of
# them are equal) are written alike, so a writer may work each distinct one out once. Not floats (0.0 and -0.0 are
# equal but written apart), booleans (True == 1), datetimes or times (equal across time zones, written by their
# wall clock).
WRITTEN_ALIKE_WHEN_EQUAL = frozenset({int, str, dt.date, type(None)})


class CellXml:
    """The ``<c>`` elements of one sheet: every cell xlcrm writes, on report sheets and on user sheets, is written
    here. ``prefix``: the namespace prefix of the sheet's elements, with its colon ("" when it has none)."""

    def __init__(self, prefix: str = "", date1904: bool = False):
        self.date1904 = date1904
        # The tags around a value, worked out once for the many cells of a sheet.
        self._value = f"><{prefix}v>"
        self._value_end = f"</{prefix}v></{prefix}c>"
        self._text = f' t="inlineStr"><{prefix}is><{prefix}t'
        self._text_end = f"</{prefix}t></{prefix}is></{prefix}c>"
        self._bool = f' t="b"><{prefix}v>'
        self._formula = f"><{prefix}f>"
        self._formula_end = f"</{prefix}f></{prefix}c>"
        self._open = f'<{prefix}c r="'

    def element(self, ref: str, value: CellValue | Formula, style: str = "") -> str:
        """The cell's whole ``<c>`` element (``style`` as in ``after_ref``), or "" for a cell without a value."""
        after = self.after_ref(ref, value, style)
        return f'{self._open}{ref}"{after}' if after else ""

    def after_ref(self, ref: str, value: CellValue | Formula, style: str = "") -> str:
        """What follows ``<c r="A1"`` in the cell's element: ``style`` (its ``s`` attribute as written, or ""), the
        value's type, the value and the element's end, e.g. `` s="3"><v>42</v></c>``; "" for a cell without a
        value (blank, empty text, NaN/NaT, infinity). ``ref`` names the cell when no cell can hold the value's type.
        """
        kind = type(value)  # mypy does not narrow value by it: the ignores below are for the kind tested
        # The common kinds first: a big report, or a computed column of a big sheet, is hundreds of thousands.
        if kind is int or (kind is float and math.isfinite(value)):  # type: ignore[arg-type]
            return f"{style}{self._value}{value!r}{self._value_end}"
        if kind is str:
            if value and len(value) <= MAX_CELL_TEXT and not value[0].isspace() and not value[-1].isspace():  # type: ignore[arg-type, index]
                return f"{style}{self._text}>{escape_xml(value, excel=True)}{self._text_end}"  # type: ignore[arg-type]
            return self._text_after_ref(value, style) if value else ""  # type: ignore[arg-type]
        if value is None:
            return ""
        if isinstance(value, bool):
            return f"{style}{self._bool}{int(value)}{self._value_end}"
        if isinstance(value, dt.date):
            if value != value:  # pandas' NaT is a datetime that equals nothing
                return ""
            serial = excel_serial(value, self.date1904)
            if serial is None:
                return self._text_after_ref(value.isoformat(), style)  # before Excel's first day: kept readable
            return f"{style}{self._value}{serial!r}{self._value_end}"
        if isinstance(value, (dt.time, dt.timedelta)):
            return f"{style}{self._value}{excel_time(value)!r}{self._value_end}"
        if isinstance(value, str):  # numpy's str_: its text as held (str() of one drops trailing NULs)
            return self._text_after_ref(value, style) if value else ""
        if isinstance(value, numbers.Number):
            # A Number: typeshed's has no __float__.
            number = int(value) if isinstance(value, numbers.Integral) else float(value)  # type: ignore[arg-type]
            # NaN means "no value" in pandas results; an infinite ratio has no honest number either.
            return f"{style}{self._value}{number!r}{self._value_end}" if math.isfinite(number) else ""
        if isinstance(value, Formula):  # no cached value: Excel and LibreOffice work it out on opening
            return f"{style}{self._formula}{escape_xml(value.text)}{self._formula_end}"
        raise TypeError(f"cell {ref}: cannot write a value of type {kind.__name__}")

    def _text_after_ref(self, text: str, style: str) -> str:
        text = text[:MAX_CELL_TEXT]  # a longer cell makes Excel repair the whole file
        space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
        return f"{style}{self._text}{space}>{escape_xml(text, excel=True)}{self._text_end}"


# --- widths ------------------------------------------------------------------------


def _shown_width(value: CellValue, fmt: ColumnFormat) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16 if fmt is ColumnFormat.DATETIME else 10
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, str):
        return max((len(line) for line in value.splitlines()), default=0)
    if isinstance(value, (bool, dt.time, dt.timedelta)) or not isinstance(value, numbers.Number):
        return len(str(value))
    number = float(value)
    if not math.isfinite(number):
        return 0
    if fmt is ColumnFormat.PERCENT:
        return len(f"{number:.1%}")
    if fmt in (ColumnFormat.MONEY, ColumnFormat.NUMBER):
        return len(f"{number:,.2f}")
    if fmt is ColumnFormat.INTEGER:
        return len(f"{number:,.0f}")
    if fmt is ColumnFormat.TENTHS:
        return len(f"{number:.1f}")
    return len(str(value))


def column_widths(report: ReportSheet) -> list[float]:
    """One width per sheet column: the widest wish of any table in that column."""
    widths: list[float] = []
    for table in report.tables:
        for index, column in enumerate(table.columns):
            if column.width is not None:
                wanted = column.width
            else:
                sample = (row[index] if index < len(row) else None for row in table.rows[:WIDTH_SAMPLE_ROWS])
                longest = max([len(column.header), *(_shown_width(v, column.format) for v in sample)])
                wanted = min(MAX_WIDTH, max(MIN_WIDTH, longest + 2.0))
            if index < len(widths):
                widths[index] = max(widths[index], wanted)
            else:
                widths.append(wanted)
    return widths


# --- worksheet XML -------------------------------------------------------------------

_WORKSHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)
# Rows are joined and encoded in batches: one bytes object per row would cost more than the XML itself.
_ROWS_PER_CHUNK = 2_000
# A report sheet's relationships part is xlcrm's own, so its one drawing always has this id.
DRAWING_REL_ID = "rId1"


def render_worksheet(
    report: ReportSheet,
    sheet_layout: SheetLayout,
    styles: Mapping[StyleKey, int],
    date1904: bool = False,
    *,
    selected: bool = False,
) -> Iterator[bytes]:
    """The worksheet XML of ``report`` in UTF-8 chunks.

    ``styles`` maps each style key to a cellXfs index; ``selected`` marks the sheet's tab as the selected
    one (it is the workbook's active sheet).
    """
    widths = column_widths(report)
    setup = page_setup(report, sheet_layout, widths)
    # No sheetFormatPr: rows then get the height of the workbook's own default font, as on the user's sheets.
    parts = [
        _WORKSHEET_OPEN,
        _sheet_properties(setup),
        f'<dimension ref="{sheet_layout.ref}"/>',
        _sheet_views(report, sheet_layout, selected),
        _cols(widths),
    ]
    cells = CellXml(date1904=date1904)
    parts.append("<sheetData>")
    parts.append(_single_cell_row(cells, sheet_layout.title_row, styles[Role.TITLE], report.title))
    if sheet_layout.subtitle_row is not None:
        parts.append(_single_cell_row(cells, sheet_layout.subtitle_row, styles[Role.SUBTITLE], report.subtitle))
    yield "".join(parts).encode("utf-8")

    for table, where in zip(report.tables, sheet_layout.tables):
        yield from _table_rows(table, where, styles, cells, widths)

    tail = ["</sheetData>", sheet_protection(report)]
    for table, where in zip(report.tables, sheet_layout.tables):
        if table.autofilter:
            tail.append(f'<autoFilter ref="{where.ref}"/>')
    tail.append(_color_scales(report, sheet_layout))
    tail.append(_data_validations(report, sheet_layout))
    tail.append(_print_parts(setup, sheet_layout))
    if report.charts:
        tail.append(f'<drawing r:id="{DRAWING_REL_ID}"/>')
    tail.append("</worksheet>")
    yield "".join(tail).encode("utf-8")


def sheet_protection(report: ReportSheet) -> str:
    """The ``<sheetProtection>`` element of a report sheet: protected without a password, so that typing into it
    is refused (its unlocked cells excepted) yet anyone can lift it (Review > Unprotect Sheet).

    Each attribute set to "1" locks an action, one set to "0" allows it. Selecting cells stays allowed (the
    defaults), so values can be copied; so do widening columns and rows to read a long value. A sheet with a
    filter keeps it usable; sorting is allowed too, though Excel sorts only ranges of unlocked cells.
    """
    allowed = ' formatColumns="0" formatRows="0"'
    if any(table.autofilter for table in report.tables):
        allowed += ' sort="0" autoFilter="0"'
    return f'<sheetProtection sheet="1" objects="1" scenarios="1"{allowed}/>'


def _sheet_views(report: ReportSheet, sheet_layout: SheetLayout, selected: bool) -> str:
    view = '<sheetView tabSelected="1" workbookViewId="0"' if selected else '<sheetView workbookViewId="0"'
    freeze = sheet_layout.freeze_row
    if freeze is None:
        return f"<sheetViews>{view}/></sheetViews>"
    below = f"A{freeze + 1}"
    return (
        f"<sheetViews>{view}>"
        f'<pane ySplit="{freeze}" topLeftCell="{below}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="{below}" sqref="{below}"/>'
        f"</sheetView></sheetViews>"
    )


def _data_validations(report: ReportSheet, sheet_layout: SheetLayout) -> str:
    """The ``<dataValidations>`` element of the columns with a dropdown (on their value cells), or ""."""
    rules = []
    for table, where in zip(report.tables, sheet_layout.tables):
        if where.last_row < where.first_row:
            continue  # no value cells to choose for
        for index, column in enumerate(table.columns):
            choices = column.choices
            if choices is None:
                continue
            letter = column_letter(index)
            cells = f"{letter}{where.first_row}"
            if where.last_row > where.first_row:
                cells += f":{letter}{where.last_row}"
            listed = escape_xml('"' + ",".join(choices.values) + '"')
            warning = "".join(
                f' {name}="{escape_xml(text, attribute=True)}"'
                for name, text in (("errorTitle", choices.title), ("error", choices.message))
                if text
            )
            rules.append(
                '<dataValidation type="list" errorStyle="warning" allowBlank="1" showInputMessage="1" '
                f'showErrorMessage="1"{warning} sqref="{cells}"><formula1>{listed}</formula1></dataValidation>'
            )
    if not rules:
        return ""
    return f'<dataValidations count="{len(rules)}">{"".join(rules)}</dataValidations>'


# --- printing ----------------------------------------------------------------------------

# Excel's measures at 96 dpi with its default font: a column of width w is 7w + 5 pixels wide; a column
# without a width of its own is 64 pixels.
_PIXELS_PER_CHARACTER = 7
_COLUMN_PADDING_PIXELS = 5
_DEFAULT_COLUMN_PIXELS = 64
# LibreOffice without Calibri (as on most Linux machines) measures columns in a wider font, DejaVu Sans (a digit
# over 9 pixels wide): a scale worked out for characters this wide prints one page wide in both programs.
_WIDE_FONT_PIXELS_PER_CHARACTER = 10
_PIXELS_PER_INCH = 96
# A4 in inches (paperSize 9) and the margins of a printed report (left and right narrow, to fit more columns).
A4_SHORT_SIDE, A4_LONG_SIDE = 210 / 25.4, 297 / 25.4
SIDE_MARGIN, END_MARGIN, HEADER_MARGIN = 0.4, 0.75, 0.3
PAPER_A4 = 9
# The printable width of portrait A4 between the side margins, in characters of the default font (as column
# widths count them): a sheet wider than this prints in landscape.
PORTRAIT_CHARACTERS = (A4_SHORT_SIDE - 2 * SIDE_MARGIN) * _PIXELS_PER_INCH / _PIXELS_PER_CHARACTER
# Excel's print scales run from 10 % to 400 %.
MIN_PRINT_SCALE = 10
# A page that must hold a whole section (one manager's agenda) is shrunk to fit it, but not below this: smaller
# print is hard to read, so a longer section goes on to a second page instead.
MIN_READABLE_SCALE = 45
_POINTS_PER_INCH = 72
# The page header and footer sit in the top and bottom margins, yet LibreOffice takes their lines from the
# body of the page: this share of the page's height is kept free for them.
_HEADER_FOOTER_SHARE = 0.08


@dataclass(frozen=True)
class PageSetup:
    """How a report sheet goes on A4: turned when its columns are wider than a portrait page, and shrunk to one
    page wide: by "fit to width" or, on a sheet with page breaks (which Excel ignores while fitting), by a scale
    worked out from the widths."""

    landscape: bool
    scale: int | None  # percent; None: fit to one page wide


def sheet_pixels(report: ReportSheet, widths: Sequence[float], character: int = _PIXELS_PER_CHARACTER) -> int:
    """How wide the sheet prints at 100 %, in pixels: its columns (``character`` pixels a character) and, right of
    them, its charts."""
    pixels = sum(int(width * character + _COLUMN_PADDING_PIXELS) for width in widths)
    if report.charts:
        pixels += (GAP_COLUMNS + CHART_COLUMNS) * _DEFAULT_COLUMN_PIXELS
    return pixels


def page_setup(report: ReportSheet, sheet_layout: SheetLayout, widths: Sequence[float]) -> PageSetup:
    """Orientation and scale of the printed sheet (see ``PageSetup``), its columns ``widths`` wide (those of
    ``column_widths``). A sheet with page breaks is shrunk until it is one page wide and, down to
    ``MIN_READABLE_SCALE``, until its tallest page between two breaks fits on one sheet of paper."""
    portrait = (A4_SHORT_SIDE - 2 * SIDE_MARGIN) * _PIXELS_PER_INCH
    landscape = sheet_pixels(report, widths) > portrait
    if not sheet_layout.row_breaks:
        return PageSetup(landscape, None)
    printable = ((A4_LONG_SIDE if landscape else A4_SHORT_SIDE) - 2 * SIDE_MARGIN) * _PIXELS_PER_INCH
    pixels = max(sheet_pixels(report, widths, _WIDE_FONT_PIXELS_PER_CHARACTER), 1)
    by_width = math.floor(100 * printable / pixels)
    page_height = (A4_SHORT_SIDE if landscape else A4_LONG_SIDE) - 2 * END_MARGIN
    printable_points = page_height * _POINTS_PER_INCH * (1 - _HEADER_FOOTER_SHARE)
    by_height = math.floor(100 * printable_points / max(tallest_page_points(report, sheet_layout, widths), 1))
    scale = min(100, by_width, max(by_height, MIN_READABLE_SCALE))
    return PageSetup(landscape, max(MIN_PRINT_SCALE, scale))


def tallest_page_points(report: ReportSheet, sheet_layout: SheetLayout, widths: Sequence[float]) -> float:
    """The height, in points at 100 %, of the tallest page a sheet with page breaks prints: the rows from one
    break to the next, with the repeated header rows atop every page after the first. Rows are as high as
    ``render_worksheet`` makes them: one line, or the lines of their longest wrapped text."""
    heights = [float(LINE_POINTS)] * (sheet_layout.last_row + 1)  # by row number; [0] unused
    for table, where in zip(report.tables, sheet_layout.tables):
        long_columns = [
            (index, line_capacity(widths[index]))
            for index, column in enumerate(table.columns)
            if column.format is ColumnFormat.LONG_TEXT
        ]
        if not long_columns:
            continue
        for number, values in enumerate(table.rows, start=where.first_row):
            lines = max(
                (
                    wrapped_lines(value, capacity)
                    for index, capacity in long_columns
                    if index < len(values) and isinstance(value := values[index], str)
                ),
                default=1,
            )
            heights[number] = float(lines_height(lines))
    repeated = heights[sheet_layout.repeated_header_row] if sheet_layout.repeated_header_row is not None else 0.0
    tallest, start = 0.0, 1
    for end in (*sheet_layout.row_breaks, sheet_layout.last_row):
        tallest = max(tallest, sum(heights[start : end + 1]) + (repeated if start > 1 else 0.0))
        start = end + 1
    return tallest


def _print_parts(setup: PageSetup, sheet_layout: SheetLayout) -> str:
    """The worksheet's elements from pageMargins to rowBreaks: margins, A4 as ``setup`` turns and scales it, the
    page header (sheet name left, date right), the page numbers below, and the page breaks."""
    orientation = "landscape" if setup.landscape else "portrait"
    scaling = f'scale="{setup.scale}"' if setup.scale is not None else 'fitToWidth="1" fitToHeight="0"'
    parts = [
        f'<pageMargins left="{SIDE_MARGIN}" right="{SIDE_MARGIN}" top="{END_MARGIN}" bottom="{END_MARGIN}" '
        f'header="{HEADER_MARGIN}" footer="{HEADER_MARGIN}"/>',
        f'<pageSetup paperSize="{PAPER_A4}" {scaling} orientation="{orientation}"/>',
        "<headerFooter><oddHeader>&amp;L&amp;A&amp;R&amp;D</oddHeader><oddFooter>&amp;C&amp;P / &amp;N</oddFooter>"
        "</headerFooter>",
    ]
    if sheet_layout.row_breaks:
        breaks = "".join(f'<brk id="{row}" max="{MAX_COLUMNS - 1}" man="1"/>' for row in sheet_layout.row_breaks)
        count = len(sheet_layout.row_breaks)
        parts.append(f'<rowBreaks count="{count}" manualBreakCount="{count}">{breaks}</rowBreaks>')
    return "".join(parts)


def _sheet_properties(setup: PageSetup) -> str:
    """``sheetPr``: whether the sheet prints fitted to its page width."""
    return '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if setup.scale is None else ""


def _color_scales(report: ReportSheet, sheet_layout: SheetLayout) -> str:
    """A white-to-green colour scale over the shaded values of each table that has some."""
    rules: list[str] = []
    for table, where in zip(report.tables, sheet_layout.tables):
        if table.color_scale is None or not table.rows:
            continue
        rows, columns = table.color_scale
        first = f"{column_letter(columns.start)}{where.first_row + rows.start}"
        last = f"{column_letter(columns.stop - 1)}{where.first_row + rows.stop - 1}"
        rules.append(
            f'<conditionalFormatting sqref="{first}:{last}"><cfRule type="colorScale" priority="{len(rules) + 1}">'
            '<colorScale><cfvo type="min"/><cfvo type="max"/><color rgb="FFFFFFFF"/><color rgb="FF63BE7B"/>'
            "</colorScale></cfRule></conditionalFormatting>"
        )
    return "".join(rules)


def _cols(widths: Sequence[float]) -> str:
    if not widths:
        return ""
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(widths, start=1))
    return f"<cols>{cols}</cols>"


def _single_cell_row(cells: CellXml, row: int, style: int, text: str) -> str:
    return f'<row r="{row}">' + cells.element(f"A{row}", text, f' s="{style}"') + "</row>"


# A line of text in the default font is this many points high; a wrapped cell's characters are counted as this
# much wider than a column's unit (letters of a wider font than Excel's, as LibreOffice may use), so the row's
# height leaves room for every line in both programs.
LINE_POINTS = 15
_WRAP_ALLOWANCE = 1.1
# Excel's highest row, in points: a taller one makes Excel report the file as damaged. Text that needs more
# lines shows its start, and the whole of it in the formula bar.
MAX_ROW_POINTS = 409


def lines_height(lines: int) -> int:
    """The height, in points, of a row showing ``lines`` lines of text: no higher than Excel allows."""
    return min(lines * LINE_POINTS, MAX_ROW_POINTS)


def line_capacity(width: float) -> int:
    """How many characters of text fit on one line of a wrapping cell ``width`` characters wide."""
    return max(1, int((width - 1) / _WRAP_ALLOWANCE))


def wrapped_lines(text: str, capacity: int) -> int:
    """How many lines ``text`` takes in a wrapping cell of ``capacity`` characters a line (at least 1).

    Characters are counted, not words: a report has a hundred thousand rows, and ``line_capacity`` leaves room
    for the words that do not fill a line. ``word_wrapped_lines`` lays out the few long paragraphs of a template.
    """
    if len(text) <= capacity and "\n" not in text:  # most cells: looked at once, cheaply
        return 1
    return max(1, sum(max(1, math.ceil(len(line) / capacity)) for line in text.splitlines()))


def word_wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` characters wide, words laid out as the
    spreadsheet breaks them, one character of the width kept for the cell's margins."""
    usable = max(int(width) - 1, 1)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            if used and used + 1 + len(word) > usable:
                lines += 1
                used = 0
            used = used + 1 + len(word) if used else len(word)
            while used > usable:  # a word wider than the cell is broken across lines
                lines += 1
                used -= usable
    return lines


def _row_open(number: int, values: Sequence[CellValue], capacities: Sequence[tuple[int, int]]) -> str:
    """The ``<row>`` start tag; a row with wrapped text gets the height of its longest cell (``capacities``: the
    wrapping columns' indexes and characters a line): LibreOffice does not work it out when it opens the file."""
    lines = 1
    for index, capacity in capacities:
        value = values[index] if index < len(values) else None
        if isinstance(value, str):
            lines = max(lines, wrapped_lines(value, capacity))
    if lines == 1:
        return f'<row r="{number}">'
    return f'<row r="{number}" ht="{lines_height(lines)}" customHeight="1">'


def _table_rows(
    table: ReportTable,
    where: TableLayout,
    styles: Mapping[StyleKey, int],
    cells_xml: CellXml,
    widths: Sequence[float],
) -> Iterator[bytes]:
    letters = [column_letter(i) for i in range(len(table.columns))]
    head: list[str] = []
    if where.heading_row is not None:
        head.append(_single_cell_row(cells_xml, where.heading_row, styles[Role.HEADING], table.heading))
    if where.note_row is not None:
        for number, line in enumerate(table.note.splitlines(), start=where.note_row):
            head.append(_single_cell_row(cells_xml, number, styles[Role.SUBTITLE], line))
    header_styles = {
        False: f' s="{styles[Role.HEADER]}"',
        True: f' s="{styles[Role.NUMBER_HEADER]}"',
    }
    header_cells = "".join(
        cells_xml.element(f"{letter}{where.header_row}", column.header, header_styles[column.format in NUMERIC_FORMATS])
        for letter, column in zip(letters, table.columns)
    )
    # Headers wrap too: one longer than its column is as high as its lines. A fitted column is its header's
    # length and a little more, so the header's line is counted without an allowance for wider letters.
    every_column = [(index, max(1, int(widths[index]) - 1)) for index in range(len(table.columns))]
    headers: list[CellValue] = [column.header for column in table.columns]
    head.append(f"{_row_open(where.header_row, headers, every_column)}{header_cells}</row>")
    yield "".join(head).encode("utf-8")
    yield from _table_body(table, where, styles, cells_xml, widths)


def _table_body(
    table: ReportTable,
    where: TableLayout,
    styles: Mapping[StyleKey, int],
    cells_xml: CellXml,
    widths: Sequence[float],
) -> Iterator[bytes]:
    """The rows of the table's values, in UTF-8 chunks."""
    letters = [column_letter(i) for i in range(len(table.columns))]
    style_by_column = [
        f' s="{styles[Role.EDITABLE if column.editable else column.format]}"' for column in table.columns
    ]
    # A date in a column not meant for dates still shows as a date, never as Excel's bare day number; but a date
    # typed into an editable column keeps the column's style, so that its cell stays unlocked.
    date_styles = (f' s="{styles[ColumnFormat.DATE]}"', f' s="{styles[ColumnFormat.DATETIME]}"')
    # A blank editable cell is written too (without a value): a cell left out would be locked.
    writers = [
        _ColumnCells(
            letter,
            style,
            column.editable,
            None if column.editable or column.format in (ColumnFormat.DATE, ColumnFormat.DATETIME) else date_styles,
            cells_xml,
        )
        for letter, style, column in zip(letters, style_by_column, table.columns)
    ]
    width = len(table.columns)
    long_columns = [
        (index, line_capacity(widths[index]))
        for index, column in enumerate(table.columns)
        if column.format is ColumnFormat.LONG_TEXT
    ]
    numbered = enumerate(table.rows, start=where.first_row)
    # Written a column at a time, a few thousand rows at once: the cells of a column share their letter and style,
    # and a report repeats its values (a date, a block, a manager) down many rows.
    while block := list(itertools.islice(numbered, _ROWS_PER_CHUNK)):
        numbers = [str(number) for number, _ in block]
        rows = [values for _, values in block]
        for number, values in block:
            if len(values) > width:
                raise ValueError(f"table {table.heading!r}, row {number}: {len(values)} values for {width} columns")
        blanks = [None] * width
        full = [values if len(values) == width else (*values, *blanks[len(values) :]) for values in rows]
        cells = [writer.cells(numbers, values) for writer, values in zip(writers, zip(*full))]
        if long_columns:
            opens = [_row_open(number, values, long_columns) for (number, _), values in zip(block, rows)]
        else:
            opens = [f'<row r="{number}">' for number in numbers]
        yield "".join(f"{row_open}{''.join(row_cells)}</row>" for row_open, *row_cells in zip(opens, *cells)).encode(
            "utf-8"
        )


class _ColumnCells:
    """The ``<c>`` elements of one column of a report table."""

    def __init__(self, letter: str, style: str, editable: bool, date_styles: tuple[str, str] | None, xml: CellXml):
        """``date_styles``: the styles of a date and of a date with a time in a column not meant for dates (None:
        a date keeps ``style``)."""
        self.opening = f'<c r="{letter}'
        self.letter = letter
        self.style = style
        self.editable = editable
        self.date_styles = date_styles
        self.after_ref = xml.after_ref

    def cells(self, numbers: Sequence[str], values: Sequence[CellValue]) -> list[str]:
        """The element of each value of rows ``numbers``, "" for a cell not written."""
        opening = self.opening
        if {type(value) for value in values} <= WRITTEN_ALIKE_WHEN_EQUAL:
            # What follows the reference depends on the value alone: worked out once per distinct value (each with
            # the first row holding it, which an error names).
            first_rows = dict(zip(values[::-1], numbers[::-1]))
            known = {value: self.tail(first_rows[value], value) for value in dict.fromkeys(values)}
            tails = [known[value] for value in values]
        else:
            tails = [self.tail(number, value) for number, value in zip(numbers, values)]
        return [f'{opening}{number}"{tail}' if tail else "" for number, tail in zip(numbers, tails)]

    def tail(self, number: str, value: CellValue) -> str:
        """What follows ``<c r="A1"`` in the cell of ``value`` on row ``number``; "" for a cell not written."""
        style = self.style
        if self.date_styles is not None and isinstance(value, dt.date):
            style = self.date_styles[isinstance(value, dt.datetime)]
        after = self.after_ref(f"{self.letter}{number}", value, style)
        if after:
            return after
        return f"{style}/>" if self.editable else ""
