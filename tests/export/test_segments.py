"""``xlcrm export --segment``: the clients a filter or a named segment picks, written as CSV or .xlsx, checked
against an independent pandas filter of the refreshed demo's Clients and computed columns; consent filtering; bad
filters and bad options leave no file and an untouched workbook."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, valid_records, write_records
from xlcrm import schema
from xlcrm.checks.consent import ERASED_NAMES, persons
from xlcrm.cli.main import cli
from xlcrm.jobs.demo import create_demo

TODAY = dt.date(2026, 11, 23)
TODAY_OPTION = ["--today", TODAY.isoformat()]


def read_csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith("\ufeff".encode())  # the byte order mark Russian Excel needs
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def read_xlsx(path: Path) -> list[list[str]]:
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--lang", "en", "export", *args, *TODAY_OPTION])
    return result.exit_code, result.output


@pytest.fixture(scope="module", params=schema.LOCALES)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The demo in each language, refreshed: its Clients carry the computed columns an independent filter reads."""
    locale: str = request.param
    path = tmp_path_factory.mktemp(f"segments-{locale}") / "demo.xlsx"
    create_demo(path, clients=80, seed=1, locale=locale, today=TODAY)
    result = CliRunner().invoke(cli, ["refresh", str(path), *TODAY_OPTION])
    assert result.exit_code == 0, result.output
    return locale, path


def clients_table(path: Path, locale: str) -> pd.DataFrame:
    """Clients as the file holds it, read with openpyxl: every cell as a person sees it (text), by column key;
    the computed columns by their key too."""
    sheet = openpyxl.load_workbook(path, data_only=True)[schema.CLIENTS.name(locale)]
    rows = list(sheet.iter_rows(values_only=True))
    keys = {column.name(locale): column.key for column in schema.CLIENTS.columns}
    keys |= {schema.REPORT_MARKER + column.name(locale): column.key for column in schema.CLIENT_COMPUTED_COLUMNS}
    frame = pd.DataFrame([list(row) for row in rows[1:]], columns=[keys.get(str(h), str(h)) for h in rows[0]])
    return frame.dropna(how="all")


def text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def folded(values: pd.Series) -> pd.Series:
    return values.map(lambda value: text(value).casefold().replace("ё", "е"))


def consent(frame: pd.DataFrame) -> pd.Series:
    """Independent of xlcrm's evaluation, the field consent where consent is required: not erased, and a Consent
    date or no person."""
    erased = frame["name"].isin(ERASED_NAMES)
    person = pd.Series(persons(frame["name"], frame["company"]), index=frame.index)
    return ~erased & (~person | frame["consent_date"].notna())


def lost(frame: pd.DataFrame) -> pd.Series:
    return folded(frame["designation"]).isin({"lost", "потерян"})


def may_be_mailed(frame: pd.DataFrame) -> pd.Series:
    """Who a mailing may include: consent, and not Lost."""
    return consent(frame) & ~lost(frame)


def own_id(frame: pd.DataFrame) -> pd.Series:
    ids = frame["client_id"].map(text)
    return (ids != "") & ~ids.duplicated(keep=False)


def rows_of(frame: pd.DataFrame, columns: tuple[str, ...] = ("name", "email", "phone")) -> list[list[str]]:
    return [[text(value) for value in row] for row in frame[list(columns)].itertuples(index=False)]


# --- the rows ------------------------------------------------------------------------------------------------------

FILTERS = {
    "en": "block in (Regular, Partner, 4 Working) and orders >= 2 and city not in (Moscow, Москва)",
    "ru": "блок в (Постоянные, Партнёры, 4 Рабочие) и заказов >= 2 и город не в (Москва)",
}


def independent(frame: pd.DataFrame, locale: str) -> pd.Series:
    """The rows FILTERS[locale] picks, computed with pandas from the cells."""
    blocks = {schema.REGULAR.label(locale), schema.PARTNER.label(locale), schema.WORKING.label(locale)}
    return (
        own_id(frame)
        & frame["block"].isin(blocks)
        & (frame["orders"].astype(float) >= 2)
        & ~folded(frame["city"]).isin({"moscow", "москва"})
    )


def test_the_rows_are_those_an_independent_filter_picks(demo: tuple[str, Path], tmp_path: Path) -> None:
    locale, path = demo
    before = sha(path)
    out_csv, out_xlsx = tmp_path / "segment.csv", tmp_path / "segment.xlsx"
    code, output = export(str(path), "--segment", FILTERS[locale], "--csv", str(out_csv), "--xlsx", str(out_xlsx))
    assert code == 0, output
    frame = clients_table(path, locale)
    picked = independent(frame, locale)
    mailed = picked & may_be_mailed(frame)
    expected = rows_of(frame[mailed])
    assert 0 < len(expected) < int(picked.sum())  # the demo has clients of the segment to leave out
    header = [schema.CLIENTS.column(key).name(locale) for key in ("name", "email", "phone")]
    assert read_csv(out_csv) == [header, *expected]
    assert read_xlsx(out_xlsx) == [header, *expected]
    assert f"{int(picked.sum())} clients matched" in output and f"wrote {len(expected)} clients" in output
    assert sha(path) == before  # the workbook is never changed


def test_json_counts_the_matched_and_the_left_out_by_reason(demo: tuple[str, Path], tmp_path: Path) -> None:
    locale, path = demo
    out = tmp_path / "segment.csv"
    code, output = export(str(path), "--segment", FILTERS[locale], "--csv", str(out), "--json")
    assert code == 0, output
    payload = json.loads(output)["segment"]
    frame = clients_table(path, locale)
    picked = independent(frame, locale)
    assert payload["matched"] == int(picked.sum()) and payload["named"] is False
    assert payload["rows"] == int((picked & may_be_mailed(frame)).sum())
    assert sum(payload["left_out"].values()) == payload["matched"] - payload["rows"]
    assert set(payload["left_out"]) <= {"erased", "lost", "no_consent"}
    assert payload["unchecked"] == int((~own_id(frame)).sum())


def test_no_consent_check_keeps_every_client_of_the_segment(demo: tuple[str, Path], tmp_path: Path) -> None:
    locale, path = demo
    out = tmp_path / "all.csv"
    code, output = export(str(path), "--segment", FILTERS[locale], "--csv", str(out), "--no-consent-check")
    assert code == 0, output
    frame = clients_table(path, locale)
    picked = independent(frame, locale)
    assert read_csv(out)[1:] == rows_of(frame[picked])
    assert "left out" not in output
    # With the check, the same filter leaves out those who may not be mailed, and says why.
    code, output = export(str(path), "--segment", FILTERS[locale], "--csv", str(out), "--force")
    assert code == 0, output
    assert read_csv(out)[1:] == rows_of(frame[picked & may_be_mailed(frame)])
    assert "left out (" in output


def test_a_named_segment_of_settings_is_found_by_its_name_folded(demo: tuple[str, Path], tmp_path: Path) -> None:
    locale, path = demo
    name = {"en": "REGULAR and partners  with consent", "ru": "постоянные и партнеры с согласием"}[locale]
    out = tmp_path / "named.xlsx"
    columns = "client_id,name,company,block,orders,consent"
    code, output = export(str(path), "--segment", name, "--xlsx", str(out), "--columns", columns)
    assert code == 0, output
    frame = clients_table(path, locale)
    blocks = {schema.REGULAR.label(locale), schema.PARTNER.label(locale)}
    picked = own_id(frame) & frame["block"].isin(blocks) & may_be_mailed(frame)
    rows = read_xlsx(out)
    yes = schema.YES.name(locale)
    expected = [[*row, yes] for row in rows_of(frame[picked], ("client_id", "name", "company", "block", "orders"))]
    assert rows[1:] == expected and len(expected) > 0
    consent = "Consent" if locale == "en" else "Согласие"
    assert rows[0][-1] == consent and rows[0][3] == schema.CLIENT_COMPUTED_COLUMNS[0].name(locale)
    named = {"en": "Regular and partners with consent", "ru": "Постоянные и партнёры с согласием"}[locale]
    assert named in output


def test_columns_take_headers_in_either_language_keys_and_computed_ones(demo: tuple[str, Path], tmp_path: Path) -> None:
    locale, path = demo
    out = tmp_path / "columns.csv"
    code, output = export(
        str(path),
        "--segment",
        "orders >= 10",
        "--csv",
        str(out),
        "--no-consent-check",
        "--columns",
        "ID клиента, City,revenue, Последний заказ",
    )
    assert code == 0, output
    frame = clients_table(path, locale)
    picked = own_id(frame) & (frame["orders"].astype(float) >= 10)
    rows = read_csv(out)
    assert [row[0] for row in rows[1:]] == [text(value) for value in frame.loc[picked, "client_id"]]
    assert [float(row[2]) for row in rows[1:]] == [float(value) for value in frame.loc[picked, "revenue"]]
    assert [row[3] for row in rows[1:]] == [f"{day:%d.%m.%Y}" for day in frame.loc[picked, "last_order"]]


def test_dates_of_the_sheet_and_computed_ones_are_written_alike(demo: tuple[str, Path], tmp_path: Path) -> None:
    """A Consent date typed on Clients and the computed Last order both read 31.12.2026 in the list, never ISO."""
    locale, path = demo
    out = tmp_path / "dates.csv"
    code, output = export(
        str(path), "--segment", "orders >= 1", "--csv", str(out), "--no-consent-check",
        "--columns", "client_id,consent date,last order",
    )  # fmt: skip
    assert code == 0, output
    frame = clients_table(path, locale)
    picked = own_id(frame) & (frame["orders"].fillna(0).astype(float) >= 1)
    rows = read_csv(out)[1:]
    assert [row[1] for row in rows] == [shown(day) for day in frame.loc[picked, "consent_date"]]
    assert [row[2] for row in rows] == [shown(day) for day in frame.loc[picked, "last_order"]]
    assert any(isinstance(day, dt.date) for day in frame.loc[picked, "consent_date"])


def test_the_xlsx_list_holds_amounts_and_dates_as_excel_can_sum_and_sort_them(
    demo: tuple[str, Path], tmp_path: Path
) -> None:
    locale, path = demo
    out = tmp_path / "typed.xlsx"
    code, output = export(
        str(path), "--segment", "orders >= 1", "--xlsx", str(out), "--no-consent-check",
        "--columns", "phone,revenue,orders,last order",
    )  # fmt: skip
    assert code == 0, output
    frame = clients_table(path, locale)
    picked = own_id(frame) & (frame["orders"].fillna(0).astype(float) >= 1)
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=2))
    assert [row[1].value for row in rows] == [float(value) for value in frame.loc[picked, "revenue"]]
    assert [row[2].value for row in rows] == [float(value) for value in frame.loc[picked, "orders"]]
    assert [row[3].value for row in rows] == list(frame.loc[picked, "last_order"])  # datetimes, not text
    assert {row[3].number_format for row in rows} == {"DD.MM.YYYY"}
    # A phone stays text, its plus and leading digits kept.
    assert all(row[0].value is None or isinstance(row[0].value, str) for row in rows)
    assert {row[0].number_format for row in rows} == {"@"}


def shown(value: object) -> str:
    """A date cell as 31.12.2026; a date typed as text as it was typed."""
    return f"{value:%d.%m.%Y}" if isinstance(value, dt.date) else text(value)


# --- consent ------------------------------------------------------------------------------------------------------


def small(tmp_path: Path, required: str) -> Path:
    """valid_records in Russian and four more clients of Казань: erased, Lost, a person without consent and a
    company without consent."""
    records = valid_records("ru")
    records["clients"][1]["city"] = "Казань"
    person = records["clients"][1]  # Olga: a person with consent
    records["clients"] += [
        {**person, "client_id": "C000003", "name": "Данные удалены", "consent_date": None},
        {
            **person,
            "client_id": "C000004",
            "designation": schema.LOST.name("ru"),
            "lost_reason": schema.DEFAULT_LOST_REASONS[0].name("ru"),
        },
        {**person, "client_id": "C000005", "name": "Пётр Без Согласия", "consent_date": None},
        {**person, "client_id": "C000006", "company": "ООО Ромашка", "consent_date": None},
    ]
    records["settings"] = settings_records("ru", {"managers": ["Анна", "Борис"]}, {"consent_required": required})
    return write_records(tmp_path / "clients.xlsx", "ru", records)


def test_consent_leaves_out_erased_lost_and_persons_without_consent(tmp_path: Path) -> None:
    path = small(tmp_path, "Да")
    out = tmp_path / "kazan.csv"
    code, output = export(str(path), "--segment", "город = казань", "--csv", str(out), "--columns", "client_id")
    assert code == 0, output
    assert read_csv(out)[1:] == [["C000002"], ["C000006"]]  # the person with consent, the company
    assert "5 clients matched" in output
    assert "3 clients left out (erased: 1, designated Lost: 1, no consent: 1)" in output
    # "consent" in the filter means the same, so nothing more is left out.
    code, output = export(str(path), "--segment", "город = казань и согласие", "--csv", str(out), "--force")
    assert code == 0, output
    assert "3 clients matched" in output and "left out (designated Lost: 1)" in output


def test_without_required_consent_only_lost_and_erased_are_left_out(tmp_path: Path) -> None:
    path = small(tmp_path, "Нет")
    out = tmp_path / "kazan.csv"
    code, output = export(str(path), "--segment", "город = Казань", "--csv", str(out), "--columns", "client_id")
    assert code == 0, output
    assert read_csv(out)[1:] == [["C000002"], ["C000005"], ["C000006"]]
    assert "left out (erased: 1, designated Lost: 1)" in output


# --- refusals -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--segment", "город = ", "--csv", "{out}"], 'at 9 (the end of the filter): expected a value after "="'),
        (
            ["--segment", "городок = Казань", "--csv", "{out}"],
            'at 1 ("городок = Казань"): unknown field "городок"; the fields are:',
        ),
        (["--segment", "Нет такого сегмента", "--csv", "{out}"], 'unknown field "Нет такого сегмента"'),
        (["--segment", "город = Казань", "--columns", "name,town", "--csv", "{out}"], '--columns: no field "town"'),
        (["--segment", "город = Казань"], "say where to write the segment: --csv FILE, --xlsx FILE or both"),
        (["--csv", "{out}"], "--csv, --xlsx, --columns and --no-consent-check go with --segment"),
        (["--segment", "город = Казань", "--csv", "{workbook}"], "is the workbook itself"),
    ],
)
def test_bad_input_gives_one_message_exit_2_no_file_and_an_untouched_workbook(
    tmp_path: Path, args: list[str], says: str
) -> None:
    path = small(tmp_path, "Да")
    before = sha(path)
    out = tmp_path / "out.csv"
    args = [arg.format(out=out, workbook=path) for arg in args]
    code, output = export(str(path), *args)
    assert code == 2, output
    assert output.startswith("Error: ") and says in output and "Traceback" not in output
    assert not out.exists() and sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clients.xlsx"]


def test_an_existing_output_needs_force(tmp_path: Path) -> None:
    path = small(tmp_path, "Да")
    out = tmp_path / "out.csv"
    out.write_text("mine", encoding="utf-8")
    code, output = export(str(path), "--segment", "город = Казань", "--csv", str(out))
    assert code == 2 and "already exists; use --force" in output
    assert out.read_text(encoding="utf-8") == "mine"
    code, output = export(str(path), "--segment", "город = Казань", "--csv", str(out), "--force")
    assert code == 0, output
    assert read_csv(out)[0] == ["Контактное лицо", "Email", "Телефон"]


def test_a_named_segment_whose_filter_cannot_be_read_says_where(tmp_path: Path) -> None:
    records = valid_records("ru")
    records["settings"] = settings_records("ru", {"segment": ["Казань"], "segment_filter": ["город = "]})
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    out = tmp_path / "out.csv"
    code, output = export(str(path), "--segment", "казань", "--csv", str(out))
    assert code == 2 and not out.exists()
    assert "the segment Казань on Настройки!N2: at 8 (the end of the filter): expected a value" in output
