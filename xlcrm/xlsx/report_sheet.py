"""What a report sheet shows, where each part of it lands, and its worksheet XML.

A report sheet is owned by xlcrm and rewritten on every refresh: a title, a
subtitle ("computed for 23.11.2026") and one or more tables of typed values
stacked top to bottom. ``layout`` fixes the cell range of every table, so
whatever refers to a table later (a filter, a native chart) uses the same
numbers as the writer. ``render_worksheet`` streams the worksheet XML as bytes,
row by row, so a table of 100,000 rows never becomes a tree of nodes.

Strings are written inline (``t="inlineStr"``): the workbook's shared-string
table is never touched, so no other sheet's string indexes can shift.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from xlcrm import schema
from xlcrm.xlsx import limits
from xlcrm.xlsx.refs import MAX_COLUMNS, MAX_ROWS, column_letter
from xlcrm.xlsx.xml_io import escape_xml

CellValue = str | int | float | bool | dt.date | dt.datetime | None

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
    MONEY = "money"
    PERCENT = "percent"  # 0.25 shows as 25.0%
    DATE = "date"
    DATETIME = "datetime"


NUMBER_FORMATS: dict[ColumnFormat, str] = {
    ColumnFormat.INTEGER: "#,##0",
    ColumnFormat.NUMBER: "#,##0.00",
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


@dataclass(frozen=True)
class StyleSpec:
    """A cell look, kept abstract so the package writer can find or add it in the workbook's own styles."""

    bold: bool = False
    italic: bool = False
    size: float | None = None  # points; None keeps the workbook's default font size
    color: str | None = None  # ARGB, e.g. "FF595959"
    fill: str | None = None  # ARGB of a solid background
    bottom_border: bool = False
    wrap: bool = False
    number_format: str | None = None  # None = General


StyleKey = Role | ColumnFormat

STYLES: dict[StyleKey, StyleSpec] = {
    Role.TITLE: StyleSpec(bold=True, size=14),
    Role.SUBTITLE: StyleSpec(italic=True, color="FF595959"),
    Role.HEADING: StyleSpec(bold=True, size=12),
    Role.HEADER: StyleSpec(bold=True, fill="FFDDEBF7", bottom_border=True, wrap=True),
    **{fmt: StyleSpec(number_format=NUMBER_FORMATS.get(fmt)) for fmt in ColumnFormat},
}


@dataclass(frozen=True)
class ReportColumn:
    header: str
    format: ColumnFormat = ColumnFormat.TEXT
    width: float | None = None  # in characters; None fits the header and the values


@dataclass(frozen=True)
class ReportTable:
    """A block of rows under a heading; each row has one value per column."""

    heading: str
    columns: Sequence[ReportColumn]
    rows: Sequence[Sequence[CellValue]]
    autofilter: bool = False  # Excel allows one sheet-level filter, so at most one table per sheet

    def __post_init__(self) -> None:
        if not self.columns:
            raise ValueError(f"table {self.heading!r} has no columns")
        if len(self.columns) > MAX_COLUMNS:
            raise ValueError(f"table {self.heading!r} has {len(self.columns)} columns; Excel allows {MAX_COLUMNS}")


class ChartKind(str, Enum):
    BAR = "bar"  # horizontal bars: long category names stay readable
    COLUMN = "col"  # vertical columns: time runs left to right


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
    freeze_header: bool = True  # keep the title and the first table's header in view while scrolling
    charts: Sequence[Chart] = field(default_factory=tuple)  # native charts of its tables, right of them

    def __post_init__(self) -> None:
        check_sheet_name(self.name)
        if sum(table.autofilter for table in self.tables) > 1:
            raise ValueError(f"{self.name!r}: only one table of a sheet can have a filter")

    @classmethod
    def of(
        cls,
        spec: schema.Sheet,
        locale: str,
        title: str,
        subtitle: str = "",
        tables: Sequence[ReportTable] = (),
        *,
        freeze_header: bool = True,
        charts: Sequence[Chart] = (),
    ) -> ReportSheet:
        """The report sheet for a schema report ``spec``, named in ``locale``."""
        if not spec.report:
            raise ValueError(f"{spec.key!r} is not a report sheet")
        return cls(spec.name(locale), title, subtitle, tuple(tables), freeze_header, tuple(charts))


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

    @property
    def ref(self) -> str:
        """Headers and values, e.g. ``A5:H105`` (the autofilter range)."""
        return f"A{self.header_row}:{column_letter(self.width - 1)}{self.last_row}"

    def column_ref(self, index: int) -> str:
        """Absolute range of one column's values, e.g. ``$B$6:$B$105``, for filters and charts."""
        letter = column_letter(index)
        return f"${letter}${self.first_row}:${letter}${max(self.first_row, self.last_row)}"


@dataclass(frozen=True)
class SheetLayout:
    title_row: int
    subtitle_row: int | None
    tables: tuple[TableLayout, ...]
    last_row: int
    width: int  # widest table

    @property
    def freeze_row(self) -> int | None:
        """Rows above this line stay in view: everything down to the first table's header."""
        return self.tables[0].header_row if self.tables else None

    @property
    def ref(self) -> str:
        return f"A1:{column_letter(self.width - 1)}{self.last_row}"


def layout(report: ReportSheet) -> SheetLayout:
    """Title on row 1, subtitle on row 2, a blank row, then each table (heading, header, rows) and a blank row."""
    row = 1
    subtitle_row = None
    if report.subtitle:
        row += 1
        subtitle_row = row
    row += 2  # the blank row after the title block
    tables: list[TableLayout] = []
    for table in report.tables:
        heading_row = None
        if table.heading:
            heading_row = row
            row += 1
        header_row = row
        last_row = header_row + len(table.rows)
        tables.append(TableLayout(heading_row, header_row, header_row + 1, last_row, len(table.columns)))
        row = last_row + 2
    last_row = tables[-1].last_row if tables else (subtitle_row or 1)
    if last_row > MAX_ROWS:
        raise ValueError(f"{report.name!r} needs {last_row} rows; Excel allows {MAX_ROWS}")
    width = max((t.width for t in tables), default=1)
    return SheetLayout(1, subtitle_row, tuple(tables), last_row, width)


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


# Besides XML's own specials: control characters (XML forbids most; a carriage return would be read back as a
# line feed), lone surrogates, and text that looks like one of Excel's _xHHHH_ escapes.
_NEEDS_ESCAPE = re.compile(r"[&<>\"\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


def _escape_char(match: re.Match[str]) -> str:
    text = match.group()
    if text in ("&", "<", ">", '"'):
        return escape_xml(text)
    if text.startswith("_x"):
        # Excel reads _xHHHH_ as an escaped character; escape the underscore so the text stays as typed.
        return "_x005F" + text
    if "\ud800" <= text <= "\udfff":
        return "\ufffd"  # a lone surrogate cannot be stored in UTF-8
    return f"_x{ord(text):04X}_"  # Excel's own escape for a character XML cannot carry


def xml_text(text: str) -> str:
    """Text as element content or attribute value, escaped the way Excel reads it back."""
    return _NEEDS_ESCAPE.sub(_escape_char, text) if _NEEDS_ESCAPE.search(text) else text


def _string_cell(ref: str, style: int, text: str) -> str:
    if len(text) > MAX_CELL_TEXT:
        text = text[:MAX_CELL_TEXT]  # a longer cell makes Excel repair the whole file
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'


def _number_cell(ref: str, style: int, number: float | int) -> str:
    return f'<c r="{ref}" s="{style}"><v>{number!r}</v></c>'


def cell_xml(ref: str, style: int, value: CellValue, date1904: bool = False) -> str:
    """One ``<c>`` element, or "" for an empty cell (blank, NaN/NaT, infinity, empty text)."""
    kind = type(value)
    if kind is str:
        return _string_cell(ref, style, value) if value else ""  # type: ignore[arg-type]
    if kind is int:
        return _number_cell(ref, style, value)  # type: ignore[arg-type]
    if kind is float:
        return _number_cell(ref, style, value) if math.isfinite(value) else ""  # type: ignore[arg-type]
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.date):
        if value != value:  # pandas' NaT is a datetime that equals nothing
            return ""
        serial = excel_serial(value, date1904)
        return _number_cell(ref, style, serial) if serial is not None else _string_cell(ref, style, value.isoformat())
    if isinstance(value, str):
        return _string_cell(ref, style, str(value)) if value else ""
    if isinstance(value, numbers.Integral):
        return _number_cell(ref, style, int(value))
    if isinstance(value, numbers.Number):
        number = float(value)  # type: ignore[arg-type]
        # NaN means "no value" in pandas results; an infinite ratio has no honest number either.
        return _number_cell(ref, style, number) if math.isfinite(number) else ""
    raise TypeError(f"cell {ref}: cannot write a value of type {kind.__name__}")


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
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return len(str(value))
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        return 0
    if fmt is ColumnFormat.PERCENT:
        return len(f"{number:.1%}")
    if fmt in (ColumnFormat.MONEY, ColumnFormat.NUMBER):
        return len(f"{number:,.2f}")
    if fmt is ColumnFormat.INTEGER:
        return len(f"{number:,.0f}")
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
    # No sheetFormatPr: rows then get the height of the workbook's own default font, as on the user's sheets.
    parts = [
        _WORKSHEET_OPEN,
        f'<dimension ref="{sheet_layout.ref}"/>',
        _sheet_views(report, sheet_layout, selected),
        _cols(report),
    ]
    parts.append("<sheetData>")
    parts.append(_single_cell_row(sheet_layout.title_row, styles[Role.TITLE], report.title))
    if sheet_layout.subtitle_row is not None:
        parts.append(_single_cell_row(sheet_layout.subtitle_row, styles[Role.SUBTITLE], report.subtitle))
    yield "".join(parts).encode("utf-8")

    for table, where in zip(report.tables, sheet_layout.tables):
        yield from _table_rows(table, where, styles, date1904)

    tail = ["</sheetData>"]
    for table, where in zip(report.tables, sheet_layout.tables):
        if table.autofilter:
            tail.append(f'<autoFilter ref="{where.ref}"/>')
    tail.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    if report.charts:
        tail.append(f'<drawing r:id="{DRAWING_REL_ID}"/>')
    tail.append("</worksheet>")
    yield "".join(tail).encode("utf-8")


def _sheet_views(report: ReportSheet, sheet_layout: SheetLayout, selected: bool) -> str:
    view = '<sheetView tabSelected="1" workbookViewId="0"' if selected else '<sheetView workbookViewId="0"'
    freeze = sheet_layout.freeze_row if report.freeze_header else None
    if freeze is None:
        return f"<sheetViews>{view}/></sheetViews>"
    below = f"A{freeze + 1}"
    return (
        f"<sheetViews>{view}>"
        f'<pane ySplit="{freeze}" topLeftCell="{below}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="{below}" sqref="{below}"/>'
        f"</sheetView></sheetViews>"
    )


def _cols(report: ReportSheet) -> str:
    widths = column_widths(report)
    if not widths:
        return ""
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(widths, start=1))
    return f"<cols>{cols}</cols>"


def _single_cell_row(row: int, style: int, text: str) -> str:
    return f'<row r="{row}">{cell_xml(f"A{row}", style, text)}</row>'


def _table_rows(
    table: ReportTable, where: TableLayout, styles: Mapping[StyleKey, int], date1904: bool
) -> Iterator[bytes]:
    letters = [column_letter(i) for i in range(len(table.columns))]
    head: list[str] = []
    if where.heading_row is not None:
        head.append(_single_cell_row(where.heading_row, styles[Role.HEADING], table.heading))
    header_style = styles[Role.HEADER]
    header_cells = "".join(
        cell_xml(f"{letter}{where.header_row}", header_style, column.header)
        for letter, column in zip(letters, table.columns)
    )
    head.append(f'<row r="{where.header_row}">{header_cells}</row>')
    yield "".join(head).encode("utf-8")

    styles_by_column = [styles[column.format] for column in table.columns]
    # A date in a column not meant for dates still shows as a date, never as Excel's bare day number.
    dates_shown = [column.format in (ColumnFormat.DATE, ColumnFormat.DATETIME) for column in table.columns]
    width = len(table.columns)
    chunk: list[str] = []
    for number, values in enumerate(table.rows, start=where.first_row):
        if len(values) > width:
            raise ValueError(f"table {table.heading!r}, row {number}: {len(values)} values for {width} columns")
        cells = []
        # The common kinds are written inline: this loop runs once per cell of a report of any size.
        for letter, style, dated, value in zip(letters, styles_by_column, dates_shown, values):
            kind = type(value)
            if (
                kind is str
                and len(value) <= MAX_CELL_TEXT
                and not _NEEDS_ESCAPE.search(value)  # type: ignore
                and not value[:1].isspace()
                and not value[-1:].isspace()
            ):  # type: ignore[index]
                if value:
                    cells.append(f'<c r="{letter}{number}" s="{style}" t="inlineStr"><is><t>{value}</t></is></c>')
            elif kind is int or (kind is float and math.isfinite(value)):  # type: ignore[arg-type]
                cells.append(f'<c r="{letter}{number}" s="{style}"><v>{value!r}</v></c>')
            elif value is not None:
                if not dated and isinstance(value, dt.date):
                    style = styles[ColumnFormat.DATETIME if isinstance(value, dt.datetime) else ColumnFormat.DATE]
                cells.append(cell_xml(f"{letter}{number}", style, value, date1904))
        chunk.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(chunk) == _ROWS_PER_CHUNK:
            yield "".join(chunk).encode("utf-8")
            chunk.clear()
    if chunk:
        yield "".join(chunk).encode("utf-8")
