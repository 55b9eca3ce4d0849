"""A refreshed demo as it looks on screen and on paper: frozen headers over their own table, and every sheet
printed by LibreOffice on A4, one page wide, with the agenda one manager a page."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from tests.builders import valid_records, write_records
from tests.conftest import convert_with_libreoffice
from xlcrm import schema
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.xlsx.report_sheet import (
    A4_SHORT_SIDE,
    END_MARGIN,
    MAX_ROW_POINTS,
    MIN_READABLE_SCALE,
    ColumnFormat,
    ReportColumn,
    ReportSheet,
    ReportTable,
    column_widths,
    layout,
    line_capacity,
    page_setup,
    tallest_page_points,
)

TODAY = dt.date(2026, 11, 23)
DEMO_CLIENTS = 120  # the size of examples/demo.xlsx
PDFTOTEXT = shutil.which("pdftotext")


@dataclass(frozen=True)
class Printed:
    locale: str
    workbook: Path
    pages: list[tuple[str, str]]  # (sheet name from the page header, the page's text), in printed order

    def of(self, sheet: str) -> list[str]:
        """The text of each printed page of ``sheet``."""
        return [text for name, text in self.pages if name == sheet]


def page_texts(pdf: Path) -> list[str]:
    """The text of each page of ``pdf``, by poppler's pdftotext (pages are separated by form feeds)."""
    assert PDFTOTEXT is not None
    text = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module", params=["ru", "en"])
def printed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Printed:
    """The demo refreshed at TODAY, and its PDF from LibreOffice: one conversion per locale."""
    if PDFTOTEXT is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    locale: str = request.param
    folder = tmp_path_factory.mktemp(f"print-{locale}")
    workbook = folder / "demo.xlsx"
    create_demo(workbook, clients=DEMO_CLIENTS, seed=1, locale=locale, today=TODAY)
    refresh_workbook(workbook, today=TODAY)
    pdf = convert_with_libreoffice(workbook, "pdf", folder)
    names = openpyxl.load_workbook(workbook, read_only=True).sheetnames
    pages = []
    for text in page_texts(pdf):
        # The page header names the sheet (its first line); a page without it names nothing.
        first = text.strip().splitlines()[0].strip() if text.strip() else ""
        pages.append((first if first in names else "", text))
    return Printed(locale, workbook, pages)


def squeezed(text: str) -> str:
    """``text`` without whitespace: a header that wraps in its cell still reads as one word."""
    return re.sub(r"\s+", "", text)


def header_cells(sheet: Worksheet, row: int) -> list[str]:
    return [str(cell.value) for cell in sheet[row] if cell.value is not None]


@pytest.mark.libreoffice
def test_every_page_names_its_sheet_and_every_sheet_prints(printed: Printed) -> None:
    book = openpyxl.load_workbook(printed.workbook)
    assert all(name for name, _ in printed.pages), "a page without the sheet name in its header"
    assert sorted({name for name, _ in printed.pages}) == sorted(book.sheetnames)
    # Before page setup the demo printed on over a hundred pages, most of them slices of wide sheets; with its
    # payments (some 600 Interactions rows) it prints on about 45.
    assert len(printed.pages) < 55


@pytest.mark.libreoffice
def test_each_page_is_one_page_wide_with_its_header_repeated(printed: Printed) -> None:
    book = openpyxl.load_workbook(printed.workbook)
    checked = []
    for sheet in book.worksheets:
        titles = sheet.print_title_rows
        if not titles:
            continue
        row = int(titles.split(":")[0].strip("$"))
        headers = header_cells(sheet, row)
        pages = printed.of(sheet.title)
        if sheet.title == schema.AGENDA.name(printed.locale):
            pages = pages[1:]  # the agenda's first page is its summary per manager, above the table
        for number, text in enumerate(pages, start=1):
            # Every word of the first and the last header: a header wrapped in its cell interleaves in the text
            # layer with the wrapped headers beside it.
            words = {squeezed(word) for word in (*headers[0].split(), *headers[-1].split())}
            assert all(word in squeezed(text) for word in words), (sheet.title, number, headers)
        checked.append(sheet.title)
    assert schema.CLIENTS.name(printed.locale) in checked and schema.AGENDA.name(printed.locale) in checked
    assert len(printed.of(schema.CLIENTS.name(printed.locale))) == 1


@pytest.mark.libreoffice
def test_agenda_prints_one_page_per_manager(printed: Printed) -> None:
    book = openpyxl.load_workbook(printed.workbook)
    agenda = book[schema.AGENDA.name(printed.locale)]
    header = int(agenda.print_title_rows.split(":")[0].strip("$"))
    managers = list(dict.fromkeys(str(row[0]) for row in agenda.iter_rows(min_row=header + 1, values_only=True)))
    assert len(managers) >= 3
    summary, *pages = printed.of(agenda.title)
    # The summary per manager on a page of its own, then a page per manager.
    assert all(squeezed(manager) in squeezed(summary) for manager in managers)
    assert len(pages) == len(managers)
    for manager, text in zip(managers, pages):
        assert [name for name in managers if name in text] == [manager]


def frozen_row(sheet: Worksheet) -> int | None:
    """The last row that stays in view while scrolling, or None."""
    if sheet.freeze_panes is None:
        return None
    return int(re.sub(r"[A-Z]+", "", sheet.freeze_panes)) - 1


def test_no_frozen_header_is_wider_or_narrower_than_its_table(tmp_path: Path) -> None:
    workbook = tmp_path / "demo.xlsx"
    create_demo(workbook, clients=DEMO_CLIENTS, seed=1, locale="ru", today=TODAY)
    refresh_workbook(workbook, today=TODAY)
    refresh_workbook(workbook, today=TODAY + dt.timedelta(days=30))  # the Dashboard then lists who moved
    book = openpyxl.load_workbook(workbook)
    frozen = []
    for sheet in book.worksheets:
        row = frozen_row(sheet)
        if not row:
            continue
        frozen.append(sheet.title)
        header = [cell.column for cell in sheet[row] if cell.value is not None]
        assert header == list(range(1, len(header) + 1)), f"{sheet.title}: gaps in the frozen header row {row}"
        # Everything below the frozen header is its table: no blank row, no cell outside its columns.
        below = sheet.iter_rows(min_row=row + 1)
        widths = [max((c.column for c in cells if c.value is not None), default=0) for cells in below]
        assert widths == [] or (min(widths) > 0 and max(widths) == len(header)), (sheet.title, row, widths)
    assert {schema.ABC.name("ru"), schema.AGENDA.name("ru"), schema.BLOCK_HISTORY.name("ru")} <= set(frozen)
    assert schema.DASHBOARD.name("ru") not in frozen


def test_user_sheets_print_on_a4_fitted_to_width(tmp_path: Path) -> None:
    workbook = tmp_path / "demo.xlsx"
    create_demo(workbook, clients=10, seed=1, locale="en", today=TODAY)
    book = openpyxl.load_workbook(workbook)
    for sheet in book.worksheets:
        assert int(sheet.page_setup.paperSize) == 9, sheet.title  # A4
        assert sheet.sheet_properties.pageSetUpPr is not None and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.oddHeader.left.text == "&A"
    assert book[schema.CLIENTS.name("en")].page_setup.orientation == "landscape"
    assert book[schema.CLIENTS.name("en")].print_title_rows == "$1:$1"


def test_dashboard_numbers_under_their_headers_grid_shaded_and_month_so_far_labelled(tmp_path: Path) -> None:
    workbook = tmp_path / "demo.xlsx"
    create_demo(workbook, clients=DEMO_CLIENTS, seed=1, locale="ru", today=TODAY)
    refresh_workbook(workbook, today=TODAY)
    book = openpyxl.load_workbook(workbook)
    dashboard = book[schema.DASHBOARD.name("ru")]
    cells = {str(cell.value): cell for row in dashboard.iter_rows() for cell in row if cell.value is not None}
    # Numbers are right-aligned: so are their headers, and text headers stay left.
    assert cells["Клиентов"].alignment.horizontal == "right"
    assert cells["Выручка за период"].alignment.horizontal == "right"
    assert cells["Блок"].alignment.horizontal in (None, "general", "left")
    assert "2026-11 (по 23.11)" in cells and "2026-10" in cells
    scales = [rule for ranges in dashboard.conditional_formatting for rule in ranges.rules if rule.colorScale]
    assert len(scales) == 1
    grid = next(str(ranges.sqref) for ranges in dashboard.conditional_formatting)
    corner = cells["Было \\ стало"]
    first, last = grid.split(":")
    # The counts of the grid, the Total row and column left out: 9 rows (8 blocks and "new"), 9 columns.
    assert dashboard[first].row == corner.row + 1 and dashboard[first].column == corner.column + 1
    assert (dashboard[last].row - dashboard[first].row, dashboard[last].column - dashboard[first].column) == (8, 8)

    problems = book[schema.PROBLEMS.name("ru")]
    header = next(row for row in range(1, 10) if problems.cell(row, 5).value is not None)
    assert problems.cell(header + 1, 5).alignment.wrap_text
    # LibreOffice keeps a row's height as written: a message of two lines gets a row two lines high.
    long_message = next(row for row in range(header + 1, problems.max_row + 1) if len(problems.cell(row, 5).value) > 70)
    assert (problems.row_dimensions[long_message].height or 0) >= 30
    severity = problems.column_dimensions["A"].width
    assert severity >= len("Предупреждение") + 2


def test_agenda_breaks_pages_between_managers_at_a_scale_excel_keeps_them(tmp_path: Path) -> None:
    workbook = tmp_path / "demo.xlsx"
    create_demo(workbook, clients=DEMO_CLIENTS, seed=1, locale="en", today=TODAY)
    refresh_workbook(workbook, today=TODAY)
    agenda = openpyxl.load_workbook(workbook)[schema.AGENDA.name("en")]
    header = int(agenda.print_title_rows.split(":")[0].strip("$"))
    managers = [agenda.cell(row, 1).value for row in range(header + 1, agenda.max_row + 1)]
    last_rows = [header + index for index in range(1, len(managers)) if managers[index] != managers[index - 1]]
    # The summary per manager ends the first page (a blank row and the table's heading follow it).
    summary_end = header - 3
    assert agenda.cell(summary_end, 1).value == managers[-1] and agenda.cell(summary_end + 1, 1).value is None
    assert [brk.id for brk in agenda.row_breaks.brk] == [summary_end, *last_rows] and len(last_rows) >= 2
    # Excel ignores page breaks on a sheet fitted to its page: the agenda is shrunk by a scale of its own.
    assert not agenda.sheet_properties.pageSetUpPr or not agenda.sheet_properties.pageSetUpPr.fitToPage
    assert agenda.page_setup.orientation == "landscape" and 40 <= int(agenda.page_setup.scale or 0) < 100
    assert agenda.print_title_rows == f"${header}:${header}"


def sections_sheet(rows_per_section: int, sections: int = 3) -> ReportSheet:
    """A report like ▸ Agenda: one table, a printed page per section of ``rows_per_section`` one-line rows."""
    columns = [ReportColumn("Manager", width=30), ReportColumn("Task", ColumnFormat.LONG_TEXT, width=90)]
    rows = [(f"Manager {n // rows_per_section}", f"task {n}") for n in range(rows_per_section * sections)]
    breaks = list(range(rows_per_section, len(rows), rows_per_section))
    return ReportSheet("▸ Sections", "Sections", tables=[ReportTable("", columns, rows, page_breaks=breaks)])


@pytest.mark.parametrize("rows_per_section", [10, 40, 70, 1000])
def test_a_sheet_with_page_breaks_shrinks_until_a_section_fits_a_page_but_stays_readable(
    rows_per_section: int,
) -> None:
    report = sections_sheet(rows_per_section)
    setup = page_setup(report, layout(report), column_widths(report))
    narrow = sections_sheet(1)
    by_width = page_setup(narrow, layout(narrow), column_widths(narrow)).scale
    assert setup.scale is not None and by_width is not None
    assert setup.scale <= by_width  # one page wide, whatever the height
    # The tallest page (a section, with the header repeated) fits one A4 sheet at the scale, unless that would
    # need a scale below the readable minimum; then it runs over and the scale stays at that minimum.
    page_points = (A4_SHORT_SIDE - 2 * END_MARGIN) * 72
    tallest = tallest_page_points(report, layout(report), column_widths(report))
    if tallest * MIN_READABLE_SCALE / 100 <= page_points * 0.9:
        assert tallest * setup.scale / 100 <= page_points
    else:
        assert setup.scale == min(by_width, MIN_READABLE_SCALE)
    if rows_per_section == 70:
        assert setup.scale < by_width  # this one is shrunk for its height, not its width


def test_a_report_row_is_never_higher_than_excel_allows(tmp_path: Path) -> None:
    """A phone cell holding a page of text is shown on Problems: its row is as high as Excel allows (409 points),
    not the 3,000 its wrapped lines would take, which Excel reports as a damaged file."""
    records = valid_records("en")
    records[schema.CLIENTS.key][0]["phone"] = "call the office and ask for the accountant " * 60
    path = write_records(tmp_path / "clients.xlsx", "en", records)

    refresh_workbook(path, today=TODAY)

    book = openpyxl.load_workbook(path)
    heights = {
        (sheet.title, row): dimension.height
        for sheet in book.worksheets
        for row, dimension in sheet.row_dimensions.items()
        if dimension.height is not None
    }
    assert max(heights.values()) == MAX_ROW_POINTS == 409
    problems = book[schema.PROBLEMS.name("en")]
    long_value = next(row for row in range(1, problems.max_row + 1) if len(str(problems.cell(row, 4).value)) > 2000)
    assert heights[(problems.title, long_value)] == MAX_ROW_POINTS


def test_agenda_summary_prints_without_gaps_or_cut_headers_under_a_subtitle_of_its_day(tmp_path: Path) -> None:
    workbook = tmp_path / "demo.xlsx"
    create_demo(workbook, clients=DEMO_CLIENTS, seed=1, locale="ru", today=TODAY)
    refresh_workbook(workbook, today=TODAY)
    agenda = openpyxl.load_workbook(workbook)[schema.AGENDA.name("ru")]
    # A day's list: the subtitle names the day, not a reporting period.
    assert agenda.cell(2, 1).value == "Рассчитано на 23.11.2026"
    header = int(agenda.print_title_rows.split(":")[0].strip("$"))
    summary_header = next(row for row in range(1, header) if agenda.cell(row, 1).value == "Менеджер")
    managers = [agenda.cell(row, 1).value for row in range(summary_header + 1, header - 2)]
    assert len(managers) >= 3 and all(managers)
    # Each manager's row of the summary is one line high: no row taller than its text leaves a gap before the next.
    for row in range(summary_header + 1, summary_header + 1 + len(managers)):
        assert agenda.row_dimensions[row].height is None, (row, agenda.cell(row, 1).value)
    # No word of a header is wider than its column («Давно просрочено», «Дней просрочки»).
    for row in (summary_header, header):
        for cell in agenda[row]:
            if cell.value is None:
                continue
            width = agenda.column_dimensions[cell.column_letter].width
            longest = max(len(word) for word in str(cell.value).split())
            assert longest <= line_capacity(width), (cell.value, width)
