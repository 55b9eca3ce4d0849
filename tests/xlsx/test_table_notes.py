"""A report table's note: its lines under the heading, one a row in the subtitle's look, the header below them."""

from __future__ import annotations

from lxml import etree

from xlcrm.xlsx.report_sheet import (
    STYLES,
    ColumnFormat,
    ReportColumn,
    ReportSheet,
    ReportTable,
    Role,
    layout,
    render_worksheet,
)

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
STYLE_INDEX = {key: number for number, key in enumerate(STYLES)}


def written(report: ReportSheet) -> dict[str, tuple[str, str | None]]:
    """Cell reference -> (its text or value, its style index), for every cell written."""
    root = etree.fromstring(b"".join(render_worksheet(report, layout(report), STYLE_INDEX)))
    return {cell.get("r"): ("".join(cell.itertext()), cell.get("s")) for cell in root.iter(f"{NS}c")}


def test_each_line_of_a_note_gets_a_row_between_the_heading_and_the_header() -> None:
    columns = [ReportColumn("Source"), ReportColumn("Clients", ColumnFormat.INTEGER)]
    noted = ReportTable("Sources", columns, [["Website", 3]], note="Line one.\nLine two.")
    plain = ReportTable("Cities", columns, [["Kazan", 2]])
    report = ReportSheet("▸ Numbers", "Numbers", "For today", (noted, plain), main_table=None)
    where = layout(report)
    first, second = where.tables
    assert (first.heading_row, first.note_row, first.header_row, first.first_row) == (4, 5, 7, 8)
    assert (second.heading_row, second.note_row, second.header_row) == (10, None, 11)
    cells = written(report)
    subtitle = str(STYLE_INDEX[Role.SUBTITLE])
    assert cells["A5"] == ("Line one.", subtitle) and cells["A6"] == ("Line two.", subtitle)
    assert cells["A7"][0] == "Source" and cells["A8"][0] == "Website" and cells["A11"][0] == "Source"
    assert "B5" not in cells and "B6" not in cells  # a note is one cell a line
