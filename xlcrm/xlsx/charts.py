"""Native Excel charts on report sheets: their DrawingML parts.

A chart (``report_sheet.Chart``, part of what a report sheet shows) plots one
column of a report table against another (block names and client counts,
months and revenue). Its series refer to the table's cells
through ``report_sheet.layout``, so they cover exactly the rows the writer put
there, and carry a cache of the values, so a viewer that does not recalculate
(a preview, a phone) still shows the figures. Charts stack to the right of
the sheet's tables, one under the other.

The package writer stores, per report sheet with charts, one drawing part
(``xl/drawings/drawingN.xml``) anchoring the charts and one chart part each
(``xl/charts/chartN.xml``), plus the relationship parts between them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from xlcrm.xlsx.refs import column_letter, sheet_ref
from xlcrm.xlsx.report_sheet import CHART_COLUMNS, GAP_COLUMNS, Chart, ChartKind, ReportSheet, SheetLayout
from xlcrm.xlsx.xml_io import escape_xml

NS_CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_DRAWING_MAIN = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_SPREADSHEET_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_DRAWING = NS_R + "/drawing"
REL_CHART = NS_R + "/chart"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"

# Where the charts go: this many columns right of the widest table, each this many columns by rows.
CHART_ROWS = 18
FIRST_CHART_ROW = 3  # 0-based: under the title and subtitle
BAR_COLOR = "4472C4"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass(frozen=True)
class Anchor:
    """Top-left and bottom-right cells (0-based) the chart is stretched between."""

    from_column: int
    from_row: int
    to_column: int
    to_row: int


def anchors(where: SheetLayout, count: int) -> list[Anchor]:
    """Where each of ``count`` charts goes: right of the sheet's tables, one below the other."""
    left = where.width + GAP_COLUMNS
    return [
        Anchor(
            left,
            FIRST_CHART_ROW + i * (CHART_ROWS + 1),
            left + CHART_COLUMNS,
            FIRST_CHART_ROW + i * (CHART_ROWS + 1) + CHART_ROWS,
        )
        for i in range(count)
    ]


def chart_xml(chart: Chart, report: ReportSheet, where: SheetLayout) -> bytes:
    """The chart part's XML for ``chart``, its series referring to its table's cells."""
    table = report.tables[chart.table]
    place = where.tables[chart.table]
    count = len(table.rows) if chart.rows is None else min(chart.rows, len(table.rows))
    last = place.first_row + max(count, 1) - 1
    sheet = sheet_ref(report.name)

    def ref(column: int) -> str:
        """The column's plotted cells, as chart XML holds them."""
        letter = column_letter(column)
        return escape_xml(f"{sheet}!${letter}${place.first_row}:${letter}${last}", excel=True)

    header_letter = column_letter(chart.values)
    labels = [_label(row[chart.categories] if chart.categories < len(row) else None) for row in table.rows[:count]]
    values = [_number(row[chart.values] if chart.values < len(row) else None) for row in table.rows[:count]]
    horizontal = chart.kind is ChartKind.BAR
    number_format = escape_xml(chart.number_format, attribute=True, excel=True)
    series = (
        f'<c:ser><c:idx val="0"/><c:order val="0"/>'
        f"<c:tx><c:strRef><c:f>{escape_xml(f'{sheet}!${header_letter}${place.header_row}', excel=True)}</c:f>"
        f"{_str_cache([table.columns[chart.values].header])}</c:strRef></c:tx>"
        f'<c:spPr><a:solidFill><a:srgbClr val="{BAR_COLOR}"/></a:solidFill></c:spPr>'
        f'<c:invertIfNegative val="0"/>'
        f'<c:dLbls><c:numFmt formatCode="{number_format}" sourceLinked="0"/>'
        f"<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>"
        f'<c:showLegendKey val="0"/><c:showVal val="1"/><c:showCatName val="0"/><c:showSerName val="0"/>'
        f'<c:showPercent val="0"/><c:showBubbleSize val="0"/></c:dLbls>'
        f"<c:cat><c:strRef><c:f>{ref(chart.categories)}</c:f>{_str_cache(labels)}</c:strRef></c:cat>"
        f"<c:val><c:numRef><c:f>{ref(chart.values)}</c:f>{_num_cache(values, chart.number_format)}"
        f"</c:numRef></c:val></c:ser>"
    )
    # Horizontal bars list the first category at the bottom unless the axis runs top to bottom.
    category_order = "maxMin" if horizontal else "minMax"
    category_position, value_position = ("l", "b") if horizontal else ("b", "l")
    return (
        f'{_XML_HEAD}<c:chartSpace xmlns:c="{NS_CHART}" xmlns:a="{NS_DRAWING_MAIN}" xmlns:r="{NS_R}">'
        f'<c:roundedCorners val="0"/><c:chart>'
        f'<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:pPr><a:defRPr sz="1200" b="1"/></a:pPr>'
        f'<a:r><a:rPr sz="1200" b="1"/><a:t>{escape_xml(chart.title, excel=True)}</a:t></a:r></a:p></c:rich></c:tx>'
        f'<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
        f'<c:plotArea><c:layout/><c:barChart><c:barDir val="{chart.kind.value}"/><c:grouping val="clustered"/>'
        f'<c:varyColors val="0"/>{series}<c:gapWidth val="60"/><c:axId val="1001"/><c:axId val="1002"/></c:barChart>'
        f'<c:catAx><c:axId val="1001"/><c:scaling><c:orientation val="{category_order}"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{category_position}"/><c:numFmt formatCode="General" sourceLinked="0"/>'
        f'<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="1002"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
        f'<c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        f'<c:valAx><c:axId val="1002"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        f'<c:axPos val="{value_position}"/><c:majorGridlines/>'
        f'<c:numFmt formatCode="{number_format}" sourceLinked="0"/>'
        f'<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="1001"/><c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>'
        f'</c:plotArea><c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    ).encode()


def drawing_xml(places: Sequence[Anchor], chart_rel_ids: Sequence[str]) -> bytes:
    """The drawing part's XML placing each chart at its anchor."""
    frames = []
    for number, (place, rel_id) in enumerate(zip(places, chart_rel_ids), start=1):
        frames.append(
            f'<xdr:twoCellAnchor editAs="oneCell">'
            f"<xdr:from><xdr:col>{place.from_column}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{place.from_row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{place.to_column}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{place.to_row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{number + 1}" name="Chart {number}"/>'
            f"<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
            f'<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{NS_CHART}"><c:chart xmlns:c="{NS_CHART}" r:id="{rel_id}"/>'
            f"</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>"
        )
    return (
        f'{_XML_HEAD}<xdr:wsDr xmlns:xdr="{NS_SPREADSHEET_DRAWING}" xmlns:a="{NS_DRAWING_MAIN}" '
        f'xmlns:r="{NS_R}">{"".join(frames)}</xdr:wsDr>'
    ).encode()


def relationships_xml(relationships: Sequence[tuple[str, str, str]]) -> bytes:
    """A .rels part from (id, type, target relative to the source part's folder)."""
    items = "".join(
        f'<Relationship Id="{rel_id}" Type="{kind}" Target="{escape_xml(target, attribute=True)}"/>'
        for rel_id, kind, target in relationships
    )
    return f'{_XML_HEAD}<Relationships xmlns="{NS_PACKAGE_RELS}">{items}</Relationships>'.encode()


def _label(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return None
    number = float(value)  # type: ignore[arg-type]  # a Number: typeshed's has no __float__
    return number if math.isfinite(number) else None


def _str_cache(labels: Sequence[str]) -> str:
    points = "".join(
        f'<c:pt idx="{i}"><c:v>{escape_xml(text, excel=True)}</c:v></c:pt>' for i, text in enumerate(labels)
    )
    return f'<c:strCache><c:ptCount val="{len(labels)}"/>{points}</c:strCache>'


def _num_cache(values: Sequence[float | None], number_format: str) -> str:
    points = "".join(f'<c:pt idx="{i}"><c:v>{v!r}</c:v></c:pt>' for i, v in enumerate(values) if v is not None)
    return (
        f"<c:numCache><c:formatCode>{escape_xml(number_format, excel=True)}</c:formatCode>"
        f'<c:ptCount val="{len(values)}"/>{points}</c:numCache>'
    )
