"""A report sheet's worksheet XML: protected without a password, editable columns unlocked, blank cells included."""

from __future__ import annotations

import datetime as dt

import pytest
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


def rendered(*tables: ReportTable) -> etree._Element:
    report = ReportSheet("▸ Review", "Review", tables=tables)
    return etree.fromstring(b"".join(render_worksheet(report, layout(report), STYLE_INDEX)))


def cells(root: etree._Element) -> dict[str, str | None]:
    """Cell reference -> its style index, for every cell written."""
    return {cell.get("r"): cell.get("s") for cell in root.iter(f"{NS}c")}


def test_the_sheet_is_protected_without_a_password_and_its_filter_stays_usable() -> None:
    columns = [
        ReportColumn("Score", ColumnFormat.INTEGER),
        ReportColumn("Decision", editable=True),
        ReportColumn("Kept", editable=True),
    ]
    rows = [[90, ""], [80, None, dt.date(2026, 1, 2)], [70, "merge", "yes"], [60]]
    root = rendered(ReportTable("Pairs", columns, rows, autofilter=True))

    (protection,) = root.iter(f"{NS}sheetProtection")
    assert protection.get("sheet") == "1" and protection.get("password") is None
    assert protection.get("autoFilter") == "0" and protection.get("sort") == "0"  # "0": the action is allowed
    assert protection.get("selectLockedCells") is None and protection.get("selectUnlockedCells") is None
    written = cells(root)
    editable = str(STYLE_INDEX[Role.EDITABLE])
    # Blank ones too, short rows included: a cell left out would be locked. A date typed in stays unlocked.
    assert {ref: style for ref, style in written.items() if ref[0] in "BC" and ref[1:] != "4"} == {
        f"{column}{row}": editable for column in "BC" for row in (5, 6, 7, 8)
    }
    assert written["A5"] == str(STYLE_INDEX[ColumnFormat.INTEGER])


def test_a_sheet_without_a_filter_keeps_filtering_and_sorting_locked() -> None:
    root = rendered(ReportTable("Totals", [ReportColumn("Block"), ReportColumn("Clients")], [["Dead", None]]))

    (protection,) = root.iter(f"{NS}sheetProtection")
    assert protection.get("autoFilter") is None and protection.get("sort") is None
    assert "B5" not in cells(root)  # a blank cell of a locked column is left out as before


def test_the_editable_style_is_the_only_unlocked_one() -> None:
    assert [key for key, spec in STYLES.items() if not spec.locked] == [Role.EDITABLE]


def test_only_a_text_column_can_be_editable() -> None:
    with pytest.raises(ValueError, match="only a text column can be editable"):
        ReportColumn("Amount", ColumnFormat.MONEY, editable=True)
