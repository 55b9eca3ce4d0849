"""Two segments of one name on Settings: the later one would be listed but never exported (export --segment NAME
takes the first), so validation says so at its cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.builders import settings_records, valid_records, write_records
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render

TODAY = dt.date(2026, 11, 23)


def test_a_segment_name_used_twice_is_reported_at_the_second(tmp_path: Path) -> None:
    records = valid_records("ru")
    segments = {
        "segment": ["Казань", "Москва", "казань ", "Уфа"],
        "segment_filter": ["город = Казань", "город = Москва", "город = Уфа", "город = Уфа"],
    }
    records["settings"] = settings_records("ru", segments)
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    findings = [finding for finding in validate_workbook(path, today=TODAY).findings if finding.sheet == "Настройки"]
    assert [finding.cell for finding in findings] == ["Настройки!N4"]
    message = render(findings[0].message, "ru")
    assert "Настройки!N2" in message and "уже назван" in message
