"""Blocking: which clients are compared at all. Slips in a name, a swapped birthday or another alphabet must not keep
a pair from being compared, and a very common key must not make every client meet every other."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from tests.builders import settings_records, write_records
from xlcrm import schema
from xlcrm.checks.settings import read_settings
from xlcrm.dedupe.plan import DedupePlan, candidate_pairs, plan_dedupe
from xlcrm.dedupe.records import client_records
from xlcrm.jobs.dedupe import dedupe_workbook
from xlcrm.xlsx.reader import read_workbook

CLIENTS, SETTINGS = schema.CLIENTS.key, schema.SETTINGS.key


def client(number: int, name: str, **values: object) -> dict[str, object]:
    return {"client_id": f"C{number:06d}", "name": name, "manager": "Anna", "created": dt.date(2024, 1, 1), **values}


def workbook(tmp_path: Path, clients: list[dict[str, object]]) -> Path:
    records = {CLIENTS: clients, SETTINGS: settings_records("en", {"managers": ["Anna"]})}
    return write_records(tmp_path / "book.xlsx", "en", records)


def compared(tmp_path: Path, clients: list[dict[str, object]]) -> set[tuple[int, int]]:
    """The pairs of Excel rows blocking puts up for comparison."""
    sheet = read_workbook(workbook(tmp_path, clients)).sheet(CLIENTS)
    assert sheet is not None
    return candidate_pairs(client_records(sheet, "RU")).pairs


def plan_of(path: Path) -> DedupePlan:
    data = read_workbook(path)
    settings, findings = read_settings(data)
    assert not findings
    return plan_dedupe(data, settings)


def test_a_slip_in_the_first_letter_of_a_surname_still_meets(tmp_path: Path) -> None:
    pairs = compared(
        tmp_path,
        [
            client(1, "Смирнов Андрей", city="Москва"),
            client(2, "Мирнов Андрей", city="Москва"),  # the first letter lost: no start of the surname in common
            client(3, "Кузнецова Ольга", city="Москва"),
        ],
    )
    assert pairs == {(2, 3)}


def test_birthdays_with_day_and_month_swapped_meet(tmp_path: Path) -> None:
    pairs = compared(
        tmp_path,
        [
            client(1, "Иванова Ольга Петровна", city="Москва", birthday=dt.date(1980, 3, 5)),
            client(2, "Иванова Ольга", city="Казань", birthday=dt.date(1980, 5, 3)),  # 05.03 typed as 03.05
            client(3, "Иванова Ольга", city="Казань", birthday=dt.date(1980, 6, 3)),  # another day: another person
        ],
    )
    assert (2, 3) in pairs  # only the swapped birthday links these two
    assert (2, 4) not in pairs


def test_cyrillic_and_latin_spellings_of_one_name_meet(tmp_path: Path) -> None:
    pairs = compared(
        tmp_path,
        [
            client(1, "Кристина Смирнова", city="Москва"),
            client(2, "Smirnova Christina", city="Санкт-Петербург"),  # another alphabet, another order, another city
        ],
    )
    assert pairs == {(2, 3)}


def test_a_very_common_name_is_not_compared_and_is_counted(tmp_path: Path) -> None:
    clients = [client(number, "Иван Иванов", city="Москва") for number in range(1, 63)]
    clients.append(client(63, "Пётр Сидоров", city="Москва", phone="+7 916 123-45-67"))
    clients.append(client(64, "Сидоров Пётр", city="Москва", phone="8 916 123 45 67"))
    path = workbook(tmp_path, clients)
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    plan = plan_of(path)
    assert plan.blocks_too_large == 1  # 62 namesakes: a block too large to mean one client
    assert plan.candidate_pairs == 1  # only the two Sidorovs, compared once though they share a phone and a name

    result = dedupe_workbook(path, dry_run=True)
    assert result.to_dict()["blocks_too_large"] == 1
    assert result.to_dict()["candidate_pairs"] == 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_no_pair_is_compared_twice(tmp_path: Path) -> None:
    same = {"city": "Самара", "phone": "+7 903 444-55-66", "email": "ol@example.ru", "birthday": dt.date(1990, 1, 2)}
    pairs = compared(tmp_path, [client(1, "Ольга Кузнецова", **same), client(2, "Кузнецова Ольга", **same)])
    assert pairs == {(2, 3)}
