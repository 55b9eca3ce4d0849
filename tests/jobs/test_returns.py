"""A Return: validate allows its negative amount, refresh subtracts it from revenue everywhere and does not
count it as an order; a negative amount on an order is still an error."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.builders import valid_records, write_records
from tests.jobs.test_refresh import sheet_rows, table
from xlcrm import schema
from xlcrm.cli.main import cli

TODAY = dt.date(2026, 11, 23)  # the report period runs from 1 December 2025


def sale(locale: str, day: dt.date, client_id: str, kind: schema.ListValue, amount: int, service: int) -> dict:
    services = ["Консультация", "Аудит"] if locale == "ru" else ["Consulting", "Audit"]
    return {
        "date": day,
        "client_id": client_id,
        "type": kind.name(locale),
        "service": services[service],
        "amount": amount,
        "manager": (["Анна", "Борис"] if locale == "ru" else ["Anna", "Boris"])[client_id == "C000002"],
    }


def with_return(
    tmp_path: Path, locale: str, return_type: schema.ListValue = schema.RETURN, returned: int = -24_000
) -> Path:
    """valid_records, whose C000001 ordered three times for 45,000 in all in 2024, plus in the period: C000001
    orders an audit for 100,000 and gives 24,000 of it back (typed as ``returned``); C000002 orders a consultation
    for 5,000."""
    tmp_path.mkdir(exist_ok=True)
    records = valid_records(locale)
    records[schema.INTERACTIONS.key] += [
        sale(locale, dt.date(2026, 9, 10), "C000001", schema.ORDER, 100_000, 1),
        sale(locale, dt.date(2026, 10, 1), "C000001", return_type, returned, 1),
        sale(locale, dt.date(2026, 8, 1), "C000002", schema.ORDER, 5_000, 0),
    ]
    return write_records(tmp_path / "clients.xlsx", locale, records)


RETURN_ROW = 8  # Excel row of the return: valid_records has five interactions from row 2, then the order


def validate(path: Path) -> tuple[int, list[dict[str, str]]]:
    result = CliRunner().invoke(cli, ["validate", str(path), "--today", TODAY.isoformat(), "--json"])
    return result.exit_code, json.loads(result.output)["findings"]


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_validate_allows_a_negative_amount_on_a_return_only(tmp_path: Path, locale: str) -> None:
    code, findings = validate(with_return(tmp_path / "return", locale))
    assert (code, findings) == (0, [])

    code, findings = validate(with_return(tmp_path / "order", locale, schema.ORDER))
    amount = schema.INTERACTIONS.column("amount")
    letter = "ABCDEFGHIJ"[schema.INTERACTIONS.columns.index(amount)]
    assert code == 1
    assert [(f["code"], f["cell"], f["value"]) for f in findings] == [
        ("negative-amount", f"{schema.INTERACTIONS.name(locale)}!{letter}{RETURN_ROW}", "-24000")
    ]
    said = {
        "en": "a negative amount; only a Return may be below zero",
        "ru": "отрицательная сумма; меньше нуля может быть только сумма возврата",
    }
    assert findings[0]["message"] == said[locale]  # the run speaks the workbook's language


def test_a_return_is_known_whatever_its_case_and_spaces(tmp_path: Path) -> None:
    records = valid_records("ru")
    records[schema.INTERACTIONS.key].append(sale("ru", dt.date(2026, 10, 1), "C000001", schema.RETURN, -5, 1))
    records[schema.INTERACTIONS.key][-1]["type"] = " возврат "
    code, findings = validate(write_records(tmp_path / "clients.xlsx", "ru", records))
    assert (code, findings) == (0, [])


@pytest.mark.parametrize("returned", [-24_000, 24_000])
def test_refresh_subtracts_a_return_from_revenue_and_does_not_count_it_as_an_order(
    tmp_path: Path, returned: int
) -> None:
    """A return takes its amount off revenue whichever sign it is typed with: «Возврат 24000» is «Возврат -24000»,
    and validate finds nothing wrong with either."""
    locale = "ru"
    path = with_return(tmp_path, locale, returned=returned)
    assert validate(path) == (0, [])
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output

    def text(key: str) -> str:
        return schema.label(key, locale)

    # Clients: the computed columns right of the user's.
    clients = load_workbook(path, data_only=True)[schema.CLIENTS.name(locale)]
    computed = [c.name(locale) for c in schema.CLIENT_COMPUTED_COLUMNS]
    header = [cell.value for cell in clients[1]]
    orders, revenue = (header.index(schema.REPORT_MARKER + name) + 1 for name in computed[1:3])
    assert [(clients.cell(row, orders).value, clients.cell(row, revenue).value) for row in (2, 3)] == [
        (3 + 1, 45_000 + 100_000 - 24_000),
        (1, 5_000),
    ]

    abc = table(sheet_rows(path, schema.ABC.name(locale)), text("abc_ranking")).set_index(text("client_id"))
    assert abc[text("revenue")].to_dict() == {"C000001": 76_000, "C000002": 5_000}

    managers = table(sheet_rows(path, schema.MANAGERS_REPORT.name(locale)), text("activity"))
    managers = managers.set_index(text("manager"))
    assert managers.loc["Анна", [text("orders"), text("revenue")]].tolist() == [1, 76_000]
    assert schema.RETURN.name(locale) not in managers.columns  # a return is no touch

    services = table(sheet_rows(path, schema.SERVICES_REPORT.name(locale)), text("services_totals"))
    audit = services.set_index(text("service")).loc["Аудит"]
    assert audit[[text("orders"), text("revenue"), text("clients")]].tolist() == [1, 76_000, 1]

    dashboard = sheet_rows(path, schema.DASHBOARD.name(locale))
    months = table(dashboard, text("revenue_by_month")).set_index(text("month"))
    assert months.loc["2026-10", [text("orders"), text("revenue")]].tolist() == [0, -24_000]
    assert months[text("revenue")].sum() == 81_000
    blocks = table(dashboard, text("by_block")).set_index(text("block"))
    assert blocks.loc[text("total"), text("revenue_all_time")] == 126_000
    assert blocks.loc[text("total"), text("revenue_period")] == 81_000
