"""Turn workbooks saved by real Excel into client bases, without re-saving them through any library.

Run from the repository root (standard library only):

    python tests/data/foreign/make_foreign.py

For each file in ``excel_originals/`` (saved by Microsoft Excel, taken from the
test suites of XlsxWriter, calamine and ClosedXML: see README.md) it writes
``excel/<name>``: the same zip with every original part kept byte for byte,
except the four a new sheet has to be declared in, which are edited as text (the
new entries inserted, nothing else touched):

- ``xl/workbook.xml``: three ``<sheet>`` entries appended to ``<sheets>``;
- ``xl/_rels/workbook.xml.rels``: their relationships;
- ``[Content_Types].xml``: their content types;
- ``xl/styles.xml``: one cell format for dates (built-in format 14) appended to ``cellXfs``.

The new worksheet parts are «Клиенты», «Взаимодействия» and «Настройки» with the
rows of ``make_fixtures.CLIENTS`` / ``INTERACTIONS`` (strings inline, as Excel
itself accepts them). ``docProps/app.xml`` is left as Excel wrote it (its list of
sheet names then lacks the new ones, which Excel ignores on opening).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from make_fixtures import (
    CLIENT_HEADERS,
    CLIENTS,
    CLIENTS_SHEET,
    INTERACTION_HEADERS,
    INTERACTIONS,
    INTERACTIONS_SHEET,
    MANAGERS,
    SETTINGS_SHEET,
)

HERE = Path(__file__).resolve().parent
ORIGINALS, TARGETS = HERE / "excel_originals", HERE / "excel"
EDITED_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml")
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
# A workbook saved as "Strict Open XML Spreadsheet" names its parts and relationships in other namespaces.
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_STRICT_WORKSHEET = "http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Also written with two cell errors (see with_problems), for the exit codes of commands on a workbook with errors.
PROBLEM_VARIANTS = ("xlsxwriter_macro01.xlsm", "calamine_pivots.xlsx")
SETTINGS_ROWS = [("Ключ", "Значение", "Менеджеры")] + [(None, None, name) for name in MANAGERS]


def column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_xml(reference: str, value: object, date_style: int) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f'<c r="{reference}" s="{date_style}"><v>{(value - dt.date(1899, 12, 30)).days}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def worksheet_xml(rows: list[tuple[object, ...]], date_style: int, namespace: str) -> bytes:
    body = "".join(
        f'<row r="{number}">'
        + "".join(
            cell_xml(f"{column_letter(column)}{number}", value, date_style) for column, value in enumerate(row, start=1)
        )
        + "</row>"
        for number, row in enumerate(rows, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{namespace}">'
        f"<sheetData>{body}</sheetData></worksheet>"
    ).encode()


def insert_before(text: str, closing: str, addition: str) -> str:
    """``text`` with ``addition`` just before its last ``closing`` tag (which must be there)."""
    at = text.rindex(closing)
    return text[:at] + addition + text[at:]


def add_date_style(styles: str) -> tuple[str, int]:
    """The styles part with a date cell format appended to ``cellXfs``, and that format's index."""
    block = re.search(r'<cellXfs count="(\d+)">(.*?)</cellXfs>', styles, re.S)
    assert block is not None, "no cellXfs"
    count = len(re.findall(r"<xf\b", block.group(2)))
    assert count == int(block.group(1))
    new_block = (
        f'<cellXfs count="{count + 1}">{block.group(2)}'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    )
    return styles[: block.start()] + new_block + styles[block.end() :], count


def add_sheets(
    source: Path,
    target: Path,
    clients: list[tuple[object, ...]] = CLIENTS,
    interactions: list[tuple[object, ...]] = INTERACTIONS,
) -> None:
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        parts = {info.filename: archive.read(info) for info in infos}
    workbook = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    types = parts["[Content_Types].xml"].decode()
    styles, date_style = add_date_style(parts["xl/styles.xml"].decode())
    strict = f'xmlns="{NS_STRICT_MAIN}"' in workbook
    namespace, rel_type = (NS_STRICT_MAIN, REL_STRICT_WORKSHEET) if strict else (NS_MAIN, REL_WORKSHEET)
    sheet_id = max(int(n) for n in re.findall(r'<sheet\b[^>]*\bsheetId="(\d+)"', workbook))
    rel_id = max(int(n) for n in re.findall(r'\bId="rId(\d+)"', rels))
    part_number = 1 + max(int(n) for n in re.findall(r"worksheets/sheet(\d+)\.xml", " ".join(parts)))
    new_parts: dict[str, bytes] = {}
    for offset, (name, rows) in enumerate(
        (
            (CLIENTS_SHEET, [CLIENT_HEADERS, *clients]),
            (INTERACTIONS_SHEET, [INTERACTION_HEADERS, *interactions]),
            (SETTINGS_SHEET, SETTINGS_ROWS),
        ),
        start=1,
    ):
        part = f"xl/worksheets/sheet{part_number + offset - 1}.xml"
        rid = f"rId{rel_id + offset}"
        workbook = insert_before(
            workbook, "</sheets>", f'<sheet name="{name}" sheetId="{sheet_id + offset}" r:id="{rid}"/>'
        )
        rels = insert_before(
            rels, "</Relationships>", f'<Relationship Id="{rid}" Type="{rel_type}" Target="worksheets/{part[14:]}"/>'
        )
        types = insert_before(types, "</Types>", f'<Override PartName="/{part}" ContentType="{CT_WORKSHEET}"/>')
        new_parts[part] = worksheet_xml(list(rows), date_style, namespace)
    edited = {
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": rels,
        "[Content_Types].xml": types,
        "xl/styles.xml": styles,
    }
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in infos:  # in their order, with their dates, so the file is the same at every run
            data = parts[info.filename]
            archive.writestr(
                zipfile.ZipInfo(info.filename, info.date_time),
                edited[info.filename].encode() if info.filename in edited else data,
                zipfile.ZIP_DEFLATED,
            )
        for name, data in new_parts.items():
            archive.writestr(zipfile.ZipInfo(name, infos[0].date_time), data, zipfile.ZIP_DEFLATED)


def with_problems() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The client base with two errors validate reports: an email without a domain, an order of no client."""
    clients = [row[:4] + ("client9@example",) + row[5:] if row[0] == "C0009" else row for row in CLIENTS]
    return clients, INTERACTIONS + [(INTERACTIONS[-1][0], "C0999", "Заказ", 990.0, MANAGERS[0], "чей заказ?")]


def main() -> None:
    TARGETS.mkdir(exist_ok=True)
    for source in sorted(ORIGINALS.iterdir()):
        add_sheets(source, TARGETS / source.name)
        print("wrote", (TARGETS / source.name).relative_to(HERE))
    for name in PROBLEM_VARIANTS:
        source = ORIGINALS / name
        target = TARGETS / f"{source.stem}_with_problems{source.suffix}"
        add_sheets(source, target, *with_problems())
        print("wrote", target.relative_to(HERE))


if __name__ == "__main__":
    main()
