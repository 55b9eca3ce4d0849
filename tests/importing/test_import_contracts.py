"""``xlcrm import --sheet contracts``: contracts need a known client, come once, and one ContractID is one row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner

from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook
from xlcrm.importing.importer import ADDED, SKIPPED, UNCHANGED
from xlcrm.jobs.importing import import_rows
from xlcrm.messages import speaking
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
SOURCE = (
    "ID договора;ID клиента;Номер;Дата;Предмет;Сумма;Действует до;Основной договор;Статус;Комментарий\n"
    "D-1;C000001;17/2026;01.02.2026;Поставка;120 000 руб.;31.12.2026;;действует;первый\n"
    "D-1/1;C000001;;01.03.2026;Доставка;8 000,50;;D-1;Draft;\n"
    "D-2;C999999;;;;;;;;\n"
    "D-1;C000001;18/2026;;Другое;;;;;\n"
)


def test_contracts_are_imported_for_known_clients_once_each(tmp_path: Path) -> None:
    workbook = tmp_path / "clients.xlsx"
    clients = [{"client_id": "C000001", "name": "Иван Петров", "phone": "+7 916 123-45-67"}]
    build_workbook("ru", rows={"clients": clients}, lists={"managers": ["Анна"]}).save(workbook)
    source = tmp_path / "contracts.csv"
    source.write_text(SOURCE, encoding="utf-8")

    result = CliRunner().invoke(
        cli, ["import", str(source), "--into", str(workbook), "--sheet", "contracts", "--keep-backups", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "строка источника 5: ID договора D-1 уже есть в другой строке (C000001)" in result.output

    rows = [
        {key: value for key, value in record.items() if value is not None}
        for record in read_workbook(workbook).sheets[schema.CONTRACTS.key].frame.to_dict("records")
    ]
    assert rows == [
        {
            "contract_id": "D-1",
            "client_id": "C000001",
            "number": "17/2026",
            "date": dt.date(2026, 2, 1),
            "subject": "Поставка",
            "amount": 120000,
            "valid_until": dt.date(2026, 12, 31),
            "status": schema.CONTRACT_ACTIVE.ru,
            "comment": "первый",
        },
        {
            "contract_id": "D-1/1",
            "client_id": "C000001",
            "date": dt.date(2026, 3, 1),
            "subject": "Доставка",
            "amount": 8000.5,
            "parent_id": "D-1",
            "status": schema.CONTRACT_DRAFT.ru,
        },
    ]
    saved = workbook.read_bytes()
    with speaking("en"):
        again = import_rows(source, workbook, sheet="contracts", today=TODAY)
    assert [(record.outcome, record.client_id) for record in again.records] == [
        (UNCHANGED, "C000001"),
        (UNCHANGED, "C000001"),
        (SKIPPED, "C999999"),
        (SKIPPED, "C000001"),
    ]
    assert ADDED not in {record.outcome for record in again.records}
    assert workbook.read_bytes() == saved
