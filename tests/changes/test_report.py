"""The ▸ Changes sheet's lines and the last-modified reading of docProps/core.xml."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from tests.builders import valid_rows, write_workbook
from xlcrm.checks.changes import CHANGED, COMPARED, DELETED, ChangeLog, Changes, RowChange
from xlcrm.jobs.changes import last_modified
from xlcrm.reports.changes import MAX_LINES, changes_sheet


def phone_change(row: int) -> RowChange:
    return RowChange("clients", CHANGED, row, row, f"C{row:06d}", ("Phone",), {"Phone": "1"}, {"Phone": 2.0})


def test_lines_are_capped_and_the_heading_says_how_many_there_are() -> None:
    rows = tuple(phone_change(row) for row in range(2, MAX_LINES + 102))
    sheet = changes_sheet(ChangeLog(COMPARED, Changes(rows, {"clients": len(rows)})), "en")
    counts, lines = sheet.tables
    assert counts.rows[0] == ["Clients", 0, MAX_LINES + 100, 0]
    assert (
        lines.heading == f"Changes: the first {MAX_LINES} of {MAX_LINES + 100} lines" and len(lines.rows) == MAX_LINES
    )
    assert list(lines.rows[0]) == ["Clients", "changed", 2, 2, "C000002", "Phone", "1", "2"]


def test_a_deleted_row_shows_its_values_as_saved_in_the_workbooks_language() -> None:
    deleted = RowChange(
        "interactions", DELETED, 7, None, "C000001", (), {"Дата": dt.date(2026, 2, 1), "Сумма": 1500.0, "ЛПР": True}, {}
    )
    sheet = changes_sheet(ChangeLog(COMPARED, Changes((deleted,), {"interactions": 10})), "ru")
    assert sheet.name == "▸ Изменения" and sheet.title == "Изменения с последнего сохранения"
    assert list(sheet.tables[1].rows[0]) == [
        "Взаимодействия",
        "удалена",
        None,
        7,
        "C000001",
        None,
        "Дата: 01.02.2026; Сумма: 1500; ЛПР: Да",
        None,
    ]


def test_last_modified_reads_core_xml_and_shrugs_at_garbage(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", valid_rows("en"))
    core = (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dcterms="http://purl.org/dc/terms/"><cp:lastModifiedBy>Анна</cp:lastModifiedBy>'
        "<dcterms:modified>{when}</dcterms:modified></cp:coreProperties>"
    )
    for when, expected in (
        (
            "2026-11-23T10:00:00Z",
            dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None),
        ),
        ("yesterday", None),
    ):
        rewritten = tmp_path / f"core-{expected is None}.xlsx"
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(rewritten, "w") as target:
            for item in source.infolist():
                data = core.format(when=when).encode() if item.filename == "docProps/core.xml" else source.read(item)
                target.writestr(item, data)
        assert last_modified(rewritten) == ("Анна", expected)
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    assert last_modified(tmp_path / "broken.xlsx") == (None, None)
