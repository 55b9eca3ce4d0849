"""The runs of these tests speak English whatever their workbook's language (as ``LANGUAGE=en`` asks), so that what
they print can be read against English texts; what they write into a Russian workbook is in Russian."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")
