"""The debts line of `xlcrm refresh` and the debts of its --json: what the base is owed, the overdue part and the
money paid ahead, in the language the command speaks; nothing about debts in a base that records no payments."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.lifecycle.test_payments import CALL, ORDER, PAYMENT, TODAY, row, workbook
from xlcrm.cli.main import cli

ROWS = [
    row("C01", -40, ORDER, 1000),
    row("C01", -30, PAYMENT, 400),  # 600 owed, overdue
    row("C02", -5, ORDER, 700),
    row("C02", -4, PAYMENT, 100),  # 600 owed, on time
    row("C03", -40, ORDER, 1000),
    row("C03", -30, PAYMENT, 1500),  # 500 paid ahead
    row("C04", -10, CALL),
]


def refresh(path: Path, *options: str, language: str = "en") -> tuple[int, str]:
    arguments = ["--lang", language, "refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0"]
    result = CliRunner().invoke(cli, [*arguments, *options])
    return result.exit_code, result.output


def test_refresh_says_who_owes_in_russian_and_in_english(tmp_path: Path) -> None:
    path = workbook(tmp_path, ROWS)
    code, output = refresh(path, language="ru")
    assert code == 0, output
    assert (
        "Долги: 2 клиента должны 1\xa0200,00; из них просрочено у 1: 600,00; 1 клиент заплатил вперёд 500,00\n"
        in output
    )
    code, output = refresh(path)
    assert "Debts: 2 clients owe 1,200.00; 1 of them overdue 600.00; 1 client paid ahead 500.00\n" in output


def test_refresh_json_carries_the_debts_and_a_base_without_payments_has_none(tmp_path: Path) -> None:
    path = workbook(tmp_path, ROWS)
    code, output = refresh(path, "--json")
    assert code == 0, output
    assert json.loads(output)["debts"] == {
        "owing_clients": 2,
        "owed": 1200.0,
        "overdue_clients": 1,
        "overdue": 600.0,
        "credit_clients": 1,
        "credit": 500.0,
    }
    (tmp_path / "plain").mkdir()
    plain = workbook(tmp_path / "plain", [line for line in ROWS if line["type"] != PAYMENT])
    code, output = refresh(plain, "--json")
    assert json.loads(output)["debts"] is None
    code, output = refresh(plain, language="ru")
    assert "Долги" not in output
