"""Build the preservation fixtures with LibreOffice itself (not hand-written XML).

Run with the system Python that has LibreOffice's UNO bridge (Debian: python3-uno):

    /usr/bin/python3 tests/data/make_fixtures.py

It writes ``user_workbook.xlsx`` and ``user_workbook.xlsm`` next to this file: a
small client base as a user would make it in a spreadsheet program, with a
chart, an image, a pivot table, cell comments, a defined name, an autofilter,
conditional formatting, data validation, formulas, an extra sheet and (in the
.xlsm) a VBA module. The tests check that xlcrm keeps all of it.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import uno
from com.sun.star.awt import Point, Rectangle, Size
from com.sun.star.beans import PropertyValue
from com.sun.star.lang import Locale
from com.sun.star.script import ModuleInfo
from com.sun.star.sheet.DataPilotFieldOrientation import DATA, ROW
from com.sun.star.sheet.GeneralFunction import SUM
from com.sun.star.table import CellAddress, CellRangeAddress

HERE = Path(__file__).resolve().parent
PIPE = f"xlcrm-fixtures-{os.getpid()}"
MANAGERS = ("Anna", "Boris", "Vera")
TYPES = ("Call in", "Call out", "Meeting", "Agreement", "Order")
# Module type 1 = a standard VBA module (com.sun.star.script.ModuleType.NORMAL).
VBA_NORMAL_MODULE = 1
MACRO = 'Option VBASupport 1\nSub Hello()\n    MsgBox "Hello from xlcrm fixtures"\nEnd Sub\n'


def prop(name: str, value: object) -> PropertyValue:
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def excel_serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def tiny_png(path: Path) -> None:
    """A 16x16 two-colour PNG, so the fixture carries a real embedded image."""
    rows = b"".join(
        b"\x00" + b"".join(b"\xc0\x30\x30" if (x // 4 + y // 4) % 2 else b"\x30\x60\xc0" for x in range(16))
        for y in range(16)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )


def connect(profile: Path):
    office = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            f"--accept=pipe,name={PIPE};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            return office, resolver.resolve(f"uno:pipe,name={PIPE};urp;StarOffice.ComponentContext")
        except Exception:  # noqa: BLE001 - office still starting
            time.sleep(0.5)
    office.kill()
    sys.exit("LibreOffice did not start")


def number_format(doc, code: str) -> int:
    formats = doc.NumberFormats
    key = formats.queryKey(code, Locale(), False)
    return key if key >= 0 else formats.addNew(code, Locale())


def fill(sheet, rows: list[list[object]]) -> None:
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = sheet.getCellByPosition(c, r)
            if isinstance(value, str) and value.startswith("="):
                cell.setFormula(value)
            elif isinstance(value, str):
                cell.setString(value)
            else:
                cell.setValue(value)


def build(doc, image: Path, ctx) -> None:
    sheets = doc.Sheets
    sheets.getByIndex(0).setName("Clients")
    for index, name in enumerate(("Interactions", "Pivot", "Notes"), start=1):
        sheets.insertNewByName(name, index)
    clients, interactions, pivot, notes = (sheets.getByName(n) for n in ("Clients", "Interactions", "Pivot", "Notes"))
    date_format = number_format(doc, "DD.MM.YYYY")
    money_format = number_format(doc, "#,##0.00")

    client_rows: list[list[object]] = [
        ["ClientID", "Name", "Company", "Phone", "Birthday", "Manager", "Designation", "Orders"]
    ]
    for i in range(1, 13):
        client_rows.append(
            [
                f"C{i:06d}",
                f"Person {i}",
                f"Company {i} LLC",
                f"+7 900 000-00-{i:02d}",
                excel_serial(dt.date(1980 + i, i, 10 + i)),
                MANAGERS[i % 3],
                ("", "VIP", "Key", "Lost")[i % 4],
                f'=COUNTIFS($Interactions.B$2:B$31;A{i + 1};$Interactions.C$2:C$31;"Order")',
            ]
        )
    fill(clients, client_rows)
    clients.getCellRangeByName("E2:E13").NumberFormat = date_format
    clients.Annotations.insertNew(CellAddress(0, 1, 1), "VIP since 2020, prefers e-mail")
    clients.Annotations.insertNew(CellAddress(0, 2, 4), "Birthday checked by phone")
    doc.NamedRanges.addNewByName("ClientIDs", "$Clients.$A$2:$A$13", CellAddress(0, 0, 0), 0)
    sheet_ranges = doc.getPropertyValue("UnnamedDatabaseRanges")
    sheet_ranges.setByTable(CellRangeAddress(0, 0, 0, 7, 12))
    sheet_ranges.getByTable(0).AutoFilter = True

    interaction_rows: list[list[object]] = [["Date", "ClientID", "Type", "Amount", "Manager"]]
    for i in range(30):
        interaction_rows.append(
            [
                excel_serial(dt.date(2026, 1, 5) + dt.timedelta(days=7 * i)),
                f"C{i % 12 + 1:06d}",
                TYPES[i % 5],
                1500.0 + 250 * (i % 7) if TYPES[i % 5] == "Order" else 0.0,
                MANAGERS[i % 3],
            ]
        )
    interaction_rows.append(["Total", "", "", "=SUM(D2:D31)", ""])
    fill(interactions, interaction_rows)
    interactions.getCellRangeByName("A2:A31").NumberFormat = date_format
    interactions.getCellRangeByName("D2:D32").NumberFormat = money_format

    validation = interactions.getCellRangeByName("C2:C200").Validation
    validation.Type = uno.Enum("com.sun.star.sheet.ValidationType", "LIST")
    validation.setFormula1('"' + '";"'.join(TYPES) + '"')
    validation.ShowErrorMessage = True
    interactions.getCellRangeByName("C2:C200").Validation = validation

    target = interactions.getCellRangeByName("D2:D31")
    conditional = target.ConditionalFormat
    conditional.addNew(
        (
            prop("Operator", uno.Enum("com.sun.star.sheet.ConditionOperator", "GREATER")),
            prop("Formula1", "2000"),
            prop("StyleName", "Good"),
        )
    )
    target.ConditionalFormat = conditional

    amounts = CellRangeAddress(1, 0, 0, 3, 10)
    interactions.Charts.addNewByName("Amounts", Rectangle(8000, 1000, 12000, 7000), (amounts,), True, True)

    descriptor = pivot.DataPilotTables.createDataPilotDescriptor()
    descriptor.SourceRange = CellRangeAddress(1, 0, 0, 4, 30)
    manager_field = descriptor.DataPilotFields.getByIndex(4)
    manager_field.Orientation = ROW
    amount_field = descriptor.DataPilotFields.getByIndex(3)
    amount_field.Orientation = DATA
    amount_field.Function = SUM
    pivot.DataPilotTables.insertNewByName("RevenueByManager", CellAddress(2, 0, 0), descriptor)

    notes.getCellByPosition(0, 0).setString("Notes the owner keeps: xlcrm must not touch this sheet.")
    notes.getCellByPosition(0, 1).setFormula("=SUM($Interactions.D2:D31)*2")
    graphic = ctx.ServiceManager.createInstanceWithContext("com.sun.star.graphic.GraphicProvider", ctx).queryGraphic(
        (prop("URL", image.as_uri()),)
    )
    shape = doc.createInstance("com.sun.star.drawing.GraphicObjectShape")
    shape.Graphic = graphic
    notes.DrawPage.add(shape)
    shape.setPosition(Point(1000, 2000))
    shape.setSize(Size(2000, 2000))


def add_macro(doc) -> None:
    """A VBA module: LibreOffice writes xl/vbaProject.bin when the library runs in VBA compatibility mode."""
    libraries = doc.BasicLibraries
    libraries.VBACompatibilityMode = True
    libraries.ProjectName = "VBAProject"
    library = libraries.createLibrary("VBAProject")
    info = ModuleInfo()
    info.ModuleType = VBA_NORMAL_MODULE
    library.insertModuleInfo("Module1", info)
    library.insertByName("Module1", MACRO)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch)
        image = scratch_path / "logo.png"
        tiny_png(image)
        office, ctx = connect(scratch_path / "profile")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        try:
            doc = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (prop("Hidden", True),))
            build(doc, image, ctx)
            doc.storeToURL((HERE / "user_workbook.xlsx").as_uri(), (prop("FilterName", "Calc MS Excel 2007 XML"),))
            add_macro(doc)
            doc.storeToURL((HERE / "user_workbook.xlsm").as_uri(), (prop("FilterName", "Calc MS Excel 2007 VBA XML"),))
            doc.close(True)
        finally:
            try:
                desktop.terminate()
            except Exception:  # noqa: BLE001 - the bridge drops as office quits
                pass
            try:
                office.wait(timeout=30)
            except subprocess.TimeoutExpired:
                office.kill()


if __name__ == "__main__":
    main()
