"""Native charts on the Dashboard: package parts, cell references, survival of a second refresh, LibreOffice."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook

from tests.conftest import convert_with_libreoffice
from tests.paths import EXAMPLE
from xlcrm import schema
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.lifecycle.analysis import analyse
from xlcrm.lifecycle.history import BlockHistory
from xlcrm.reports.agenda import build_agenda
from xlcrm.reports.sheets import build_reports
from xlcrm.xlsx.charts import NS_CHART, REL_CHART, REL_DRAWING
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.report_sheet import layout

TODAY = dt.date(2026, 11, 23)
DASHBOARD = schema.DASHBOARD.name("ru")
C = {"c": NS_CHART}


def parts(path: Path, folder: str) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.startswith(folder)}


def dashboard_part(path: Path) -> str:
    """The worksheet part of the Dashboard, through workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as archive:
        book = etree.fromstring(archive.read("xl/workbook.xml"))
        rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    }
    rel_id = book.xpath("//m:sheet[@name=$n]/@r:id", namespaces=ns, n=DASHBOARD)[0]
    target = [r.get("Target") for r in rels if r.get("Id") == rel_id][0]
    return "xl/" + target.lstrip("/").removeprefix("xl/")


@pytest.fixture()
def refreshed(tmp_path: Path) -> Path:
    path = tmp_path / "demo.xlsx"
    shutil.copyfile(EXAMPLE, path)
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    return path


def test_dashboard_has_two_charts_on_its_own_cells(refreshed: Path) -> None:
    sheet = dashboard_part(refreshed)
    folder, name = sheet.rsplit("/", 1)
    with zipfile.ZipFile(refreshed) as archive:
        sheet_xml = archive.read(sheet).decode()
        sheet_rels = etree.fromstring(archive.read(f"{folder}/_rels/{name}.rels"))
        drawing_target = sheet_rels[0].get("Target")
        assert sheet_rels[0].get("Type") == REL_DRAWING
        drawing = "xl/drawings/" + drawing_target.rsplit("/", 1)[1]
        drawing_rels = etree.fromstring(archive.read(drawing.replace("drawings/", "drawings/_rels/") + ".rels"))
        content_types = archive.read("[Content_Types].xml").decode()
        charts = {
            rel.get("Target").rsplit("/", 1)[1]: archive.read("xl/charts/" + rel.get("Target").rsplit("/", 1)[1])
            for rel in drawing_rels
            if rel.get("Type") == REL_CHART
        }
    assert '<drawing r:id="rId1"/>' in sheet_xml
    assert f"/{drawing}" in content_types and all(f"/xl/charts/{n}" in content_types for n in charts)
    assert len(charts) == 2

    formulas = [etree.fromstring(xml).xpath("//c:f/text()", namespaces=C) for xml in charts.values()]
    quoted = "'" + DASHBOARD + "'"
    # Clients per block: block names B6:B13 and counts C6:C13, the Total row (14) left out.
    assert [quoted + "!$C$5", quoted + "!$B$6:$B$13", quoted + "!$C$6:$C$13"] in formulas
    # Cached values equal the table the chart plots.
    book = load_workbook(refreshed, data_only=True)
    dashboard = book[DASHBOARD]
    block_chart = etree.fromstring(next(xml for xml, f in zip(charts.values(), formulas) if "$B$6:$B$13" in f[1]))
    cached = [float(v) for v in block_chart.xpath("//c:val//c:v/text()", namespaces=C)]
    assert cached == [dashboard.cell(row, 3).value for row in range(6, 14)]


def test_month_chart_follows_the_layout(refreshed: Path) -> None:
    analysis = analyse(read_workbook(EXAMPLE), TODAY)
    reports = build_reports(
        analysis.frames,
        analysis.lifecycle,
        build_agenda(analysis.frames, analysis.lifecycle),
        analysis.report.findings,
        BlockHistory(),
    )
    dashboard = reports.sheets[0]
    # The months table found by its heading, wherever the Dashboard puts it among its tables.
    (index,) = [i for i, t in enumerate(dashboard.tables) if t.heading == schema.label("revenue_by_month", "ru")]
    months = layout(dashboard).tables[index]
    charts = parts(refreshed, "xl/charts/")
    formulas = [f for xml in charts.values() for f in etree.fromstring(xml).xpath("//c:f/text()", namespaces=C)]
    # Month names as categories, revenue (the third column) as values.
    assert f"'{DASHBOARD}'!$A${months.first_row}:$A${months.last_row}" in formulas
    assert f"'{DASHBOARD}'!$C${months.first_row}:$C${months.last_row}" in formulas
    # …and in the saved file those rows are the months table: its heading above, its header row just before.
    saved = load_workbook(refreshed)[DASHBOARD]
    assert saved.cell(months.header_row - 1, 1).value == schema.label("revenue_by_month", "ru")
    assert saved.cell(months.header_row, 1).value == schema.label("month", "ru")


def test_a_second_refresh_replaces_the_charts(refreshed: Path) -> None:
    refresh_workbook(refreshed, today=TODAY + dt.timedelta(days=1), save=SaveOptions(keep_backups=0))
    # Two charts on the Dashboard and two on ▸ Analytics, one drawing each: the old ones are gone, not kept beside.
    assert len(parts(refreshed, "xl/charts/")) == 4
    assert len([n for n in parts(refreshed, "xl/drawings/") if n.endswith(".xml")]) == 2


@pytest.mark.libreoffice
def test_libreoffice_reads_the_charts_and_prints_the_dashboard(refreshed: Path, tmp_path: Path) -> None:
    # Saved again by LibreOffice, the workbook still has both charts with their titles: LibreOffice understood them.
    resaved = convert_with_libreoffice(refreshed, "xlsx", tmp_path / "xlsx")
    titles = [
        t
        for xml in parts(resaved, "xl/charts/").values()
        for t in etree.fromstring(xml).xpath(
            "//a:t/text()", namespaces={"a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
        )
    ]
    assert {schema.label("chart_clients_by_block", "ru"), schema.label("chart_revenue_by_month", "ru")} <= set(titles)
    book = load_workbook(resaved, data_only=True)
    assert book[DASHBOARD]["A1"].value == schema.label("dashboard_title", "ru")

    pdf = convert_with_libreoffice(refreshed, "pdf", tmp_path / "pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page") + data.count(b"/Type/Page") > 5
