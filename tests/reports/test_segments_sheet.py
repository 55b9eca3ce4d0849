"""The ▸ Segments report sheet after a refresh: each named segment of Settings with its clients, those who may be
mailed and its revenue, checked against an independent pandas computation on the demo; a filter that cannot be read
shows its error there and on ▸ Problems; a workbook without segments is told how to define one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, sheets_from_records, valid_records, write_records, write_workbook
from tests.export.test_segments import clients_table, consent, lost, may_be_mailed, own_id, text
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.jobs.demo import create_demo

TODAY = dt.date(2026, 11, 23)
PERIOD_START = dt.date(2025, 12, 1)  # the twelve calendar months up to TODAY


def refresh(path: Path) -> None:
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output


def segment_rows(path: Path, locale: str) -> tuple[str, list[tuple[object, ...]]]:
    """The heading of the Segments table and its rows below the header."""
    sheet = openpyxl.load_workbook(path)[schema.SEGMENTS.name(locale)]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] in ("Segment", "Сегмент"))
    return str(rows[header - 1][0]), [row for row in rows[header + 1 :] if any(v is not None for v in row)]


@pytest.fixture(scope="module", params=schema.LOCALES)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    locale: str = request.param
    path = tmp_path_factory.mktemp(f"segments-sheet-{locale}") / "demo.xlsx"
    create_demo(path, clients=80, seed=1, locale=locale, today=TODAY)
    refresh(path)
    return locale, path


def period_revenue(path: Path, locale: str) -> pd.Series:
    """Revenue of each ClientID in the period, from the Interactions cells: orders add, returns subtract."""
    sheet = openpyxl.load_workbook(path, data_only=True)[schema.INTERACTIONS.name(locale)]
    rows = list(sheet.iter_rows(values_only=True))
    keys = {column.name(locale): column.key for column in schema.INTERACTIONS.columns}
    log = pd.DataFrame([list(row) for row in rows[1:]], columns=[keys.get(str(h), str(h)) for h in rows[0]])
    dated = log["date"].map(lambda day: isinstance(day, dt.date) and PERIOD_START <= day.date() <= TODAY)
    sign = log["type"].map({schema.ORDER.name(locale): 1.0, schema.RETURN.name(locale): -1.0})
    amount = pd.to_numeric(log["amount"], errors="coerce").abs() * sign
    counted = log[dated & sign.notna() & amount.notna()]
    return amount[counted.index].groupby(counted["client_id"]).sum()


def test_each_example_segment_is_counted_as_an_independent_filter_counts_it(demo: tuple[str, Path]) -> None:
    locale, path = demo
    heading, rows = segment_rows(path, locale)
    assert heading == {"en": "Named segments of Settings", "ru": "Сегменты листа «Настройки»"}[locale]
    frame = clients_table(path, locale)
    frame = frame[own_id(frame)]
    mailable, given, designated_lost = may_be_mailed(frame), consent(frame), lost(frame)
    block = frame["block"]
    dead = block == schema.DEAD.label(locale)
    picks = [
        block.isin({schema.REGULAR.label(locale), schema.PARTNER.label(locale)}) & given,
        dead & ~designated_lost & given,
        (frame["email"].map(text) == "") & (frame["phone"].map(text) != "") & ~dead,
    ]
    in_period = period_revenue(path, locale)
    assert len(rows) == len(picks)
    for row, picked in zip(rows, picks):
        name, filter_text, clients, mailed, revenue, period, problem = row
        assert name and filter_text and problem is None
        assert (clients, mailed) == (int(picked.sum()), int((picked & mailable).sum())), name
        assert revenue == pytest.approx(frame.loc[picked, "revenue"].astype(float).sum())
        ids = frame.loc[picked, "client_id"].map(text)
        assert period == pytest.approx(float(in_period.reindex(ids, fill_value=0.0).sum()))
    assert any(row[2] for row in rows) and any(row[5] for row in rows)  # the demo gives them something to show


def test_a_filter_that_cannot_be_read_shows_its_error_on_the_sheet_and_on_problems(tmp_path: Path) -> None:
    records = valid_records("ru")
    segments = {
        "segment": ["Москва", "Сломанный", "Пустой", None],
        "segment_filter": ["город = Москва", "заказов > много", None, "блок = 5"],
    }
    records["settings"] = settings_records("ru", segments)
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    result = CliRunner().invoke(cli, ["--lang", "en", "validate", str(path), "--today", TODAY.isoformat()])
    assert "Настройки!N3" in result.output and 'at 11 ("много"): "много" is not a number' in result.output
    refresh(path)
    _, rows = segment_rows(path, "ru")
    assert [row[:2] for row in rows] == [
        ("Москва", "город = Москва"),
        ("Сломанный", "заказов > много"),
        ("Пустой", None),
    ]
    moscow = sum(1 for client in records["clients"] if client.get("city") == "Москва")
    assert rows[0][2] == moscow and rows[0][6] is None
    assert rows[1][2] is None and rows[1][6] == "позиция 11 («много»): «много» — не число"
    assert rows[2][2] is None and "нет условия" in str(rows[2][6])
    problems = openpyxl.load_workbook(path)[schema.PROBLEMS.name("ru")]
    cells = {row[2]: row[4] for row in problems.iter_rows(values_only=True)}
    assert "«много» — не число" in str(cells["Настройки!N3"])
    assert "нет условия" in str(cells["Настройки!N4"])
    assert "без названия" in str(cells["Настройки!N5"])


@pytest.mark.parametrize("columns", ["kept", "missing"])
def test_a_workbook_without_segments_is_told_how_to_define_one(tmp_path: Path, columns: str) -> None:
    sheets = sheets_from_records("en", valid_records("en"))
    if columns == "missing":  # a workbook made before segments: Settings ends at the holidays
        settings = schema.SETTINGS.name("en")
        sheets[settings] = [row[:-2] for row in sheets[settings]]
    path = write_workbook(tmp_path / "clients.xlsx", sheets)
    refresh(path)
    heading, rows = segment_rows(path, "en")
    assert heading.startswith("No named segments yet. Type a name in Segment and a filter in Segment filter")
    assert "block in (Regular, Partner) and city = Kazan and consent" in heading
    assert rows == []
    problems = openpyxl.load_workbook(path)[schema.PROBLEMS.name("en")]
    assert not any("egment" in str(cell) for row in problems.iter_rows(values_only=True) for cell in row)
