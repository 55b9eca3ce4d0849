"""The owner's own Clients columns («Отрасль», «Размер скидки», «Дата договора») as fields of segment filters: in
``export --segment``, in ``--columns`` and in a named segment the ▸ Segments sheet counts, checked against an
independent pandas filter of the cells; a column named like a field of xlcrm is left to xlcrm's field; an unknown
field's error keeps its position and lists the own columns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.export.test_segments import clients_table, export, may_be_mailed, own_id, read_csv, rows_of, sha, text
from tests.reports.test_segments_sheet import refresh, segment_rows
from xlcrm import schema
from xlcrm.jobs.demo import create_demo

TODAY = dt.date(2026, 11, 23)
INDUSTRIES = ("Розница", "Опт", "HoReCa", "", "розница ")
DISCOUNTS = (5, "10", 12.5, None, "7,5")
CONTRACT_DAYS = (dt.datetime(2026, 1, 15), "01.06.2026", None, dt.datetime(2025, 3, 1))
# A column the owner typed as «Выручка» (xlcrm's computed ▸ Выручка by name): its cells are nonsense on purpose.
OWN_REVENUE = "Выручка"
NAMED = "Розница со скидкой"
NAMED_FILTER = "отрасль = розница и размер скидки >= 7,5"
BROKEN = "Опечатка"
BROKEN_FILTER = "согласие и отрасли = опт"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Russian demo with three own Clients columns and an own «Выручка», a named segment over them, refreshed."""
    path = tmp_path_factory.mktemp("own-columns") / "demo.xlsx"
    create_demo(path, clients=80, seed=1, locale="ru", today=TODAY)
    refresh(path)  # the ClientIDs the demo leaves blank are given out first, so the cells below are final
    book = openpyxl.load_workbook(path)
    clients = book[schema.CLIENTS.name("ru")]
    first = clients.max_column + 1
    for offset, header in enumerate(("Отрасль", "Размер скидки", "Дата договора", OWN_REVENUE)):
        clients.cell(1, first + offset, header)
    for row in range(2, clients.max_row + 1):
        clients.cell(row, first, INDUSTRIES[row % len(INDUSTRIES)] or None)
        clients.cell(row, first + 1, DISCOUNTS[row % len(DISCOUNTS)])
        clients.cell(row, first + 2, CONTRACT_DAYS[row % len(CONTRACT_DAYS)])
        clients.cell(row, first + 3, "никогда")
    settings = book[schema.SETTINGS.name("ru")]
    headers = [cell.value for cell in settings[1]]
    name_column = headers.index(schema.SETTINGS.column("segment").ru) + 1
    filter_column = headers.index(schema.SETTINGS.column("segment_filter").ru) + 1
    row = next(r for r in range(2, settings.max_row + 2) if settings.cell(r, name_column).value is None)
    settings.cell(row, name_column, NAMED)
    settings.cell(row, filter_column, NAMED_FILTER)
    settings.cell(row + 1, name_column, BROKEN)
    settings.cell(row + 1, filter_column, BROKEN_FILTER)
    book.save(path)
    refresh(path)
    return path


def industry(frame: pd.DataFrame) -> pd.Series:
    return frame["Отрасль"].map(lambda value: text(value).casefold())


def discount(frame: pd.DataFrame) -> pd.Series:
    return frame["Размер скидки"].map(lambda value: float(str(value).replace(",", ".")) if value else float("nan"))


def test_export_by_own_columns_picks_what_an_independent_filter_picks(workbook: Path, tmp_path: Path) -> None:
    before = sha(workbook)
    out = tmp_path / "own.csv"
    segment = "отрасль в (розница, опт) и размер скидки > 6 и дата договора < 01.05.2026"
    code, output = export(str(workbook), "--segment", segment, "--csv", str(out), "--no-consent-check")
    assert code == 0, output
    frame = clients_table(workbook, "ru")
    contract = frame["Дата договора"].map(
        lambda value: (
            value.date()
            if isinstance(value, dt.datetime)
            else pd.to_datetime(value, dayfirst=True).date()
            if value
            else None
        )
    )
    early = contract.map(lambda day: day is not None and day < dt.date(2026, 5, 1))
    picked = own_id(frame) & industry(frame).isin({"розница", "опт"}) & (discount(frame) > 6) & early
    assert read_csv(out)[1:] == rows_of(frame[picked]) and picked.sum() > 0
    assert sha(workbook) == before


def test_columns_take_own_columns_by_their_header_folded(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "columns.csv"
    code, output = export(
        str(workbook), "--segment", "отрасль не пусто", "--csv", str(out), "--columns", "name, ОТРАСЛЬ,размер  скидки"
    )
    assert code == 0, output
    frame = clients_table(workbook, "ru")
    picked = own_id(frame) & (industry(frame) != "") & may_be_mailed(frame)
    rows = read_csv(out)
    assert rows[0] == ["Контактное лицо", "Отрасль", "Размер скидки"]
    assert rows[1:] == rows_of(frame[picked], ("name", "Отрасль", "Размер скидки")) and picked.sum() > 0


def test_the_segments_sheet_counts_a_named_segment_over_own_columns(workbook: Path) -> None:
    _, rows = segment_rows(workbook, "ru")
    row = next(row for row in rows if row[0] == NAMED)
    frame = clients_table(workbook, "ru")
    picked = own_id(frame) & (industry(frame) == "розница") & (discount(frame) >= 7.5)
    assert row[1] == NAMED_FILTER and row[6] in (None, "")
    assert row[2] == int(picked.sum()) > 0
    assert row[3] == int((picked & may_be_mailed(frame)).sum())


def test_a_field_of_xlcrm_wins_over_an_own_column_of_its_name(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "revenue.csv"
    code, output = export(str(workbook), "--segment", "выручка > 0", "--csv", str(out), "--no-consent-check")
    assert code == 0, output  # «никогда» in the own column would be no number: the computed ▸ Выручка is read
    frame = clients_table(workbook, "ru")
    picked = own_id(frame) & (frame["revenue"].astype(float) > 0)
    assert read_csv(out)[1:] == rows_of(frame[picked]) and picked.sum() > 0


@pytest.mark.parametrize(
    ("segment", "position", "problem"),
    [
        ("город = Казань и отрасли = опт", 18, 'unknown field "отрасли"; the fields are: '),
        ("отрасль > 5", 9, '">" compares numbers and dates'),
        ("размер скидки = много", 17, '"много" is not a number'),
        ("размер скидки содержит 5", 15, '"содержит" works on text'),
    ],
)
def test_a_bad_filter_over_own_columns_is_refused_at_its_position(
    workbook: Path, tmp_path: Path, segment: str, position: int, problem: str
) -> None:
    before = sha(workbook)
    out = tmp_path / "bad.csv"
    code, output = export(str(workbook), "--segment", segment, "--csv", str(out))
    assert code != 0 and f"at {position} (" in output and problem in output, output
    assert not out.exists() and sha(workbook) == before
    if "unknown field" in problem:  # the list names xlcrm's fields and the workbook's own, the shadowed one aside
        known = output.split("the fields are: ")[1]
        assert "Город" in known and "Отрасль, Размер скидки, Дата договора" in known
        assert known.count("Выручка") == 1


def test_a_named_segment_with_an_unknown_field_lists_the_own_columns_at_its_position(workbook: Path) -> None:
    _, rows = segment_rows(workbook, "ru")
    row = next(row for row in rows if row[0] == BROKEN)
    assert row[2] is None
    problem = str(row[6])
    assert problem.startswith("позиция 12 («отрасли = опт»): нет поля «отрасли»"), problem
    assert problem.endswith("Согласие, Отрасль, Размер скидки, Дата договора"), problem
