"""No merge without asking on a name alone, however likely the model finds the pair.

A base of 200 different people (enough for the model's estimates to mean something) with pairs planted in it:
names typed twice with nothing else, a name and a city, a name with a birthday and an address, the same with
another phone, a name with a phone in common. ``plan_dedupe`` and ``xlcrm dedupe`` must agree, and the workbook
saved must say the same. A base of five clients must behave sensibly too.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, write_records
from tests.dedupe.population import distinct_clients
from tests.dedupe.test_dedupe import client
from xlcrm import schema
from xlcrm.checks.settings import read_settings
from xlcrm.cli.main import cli
from xlcrm.dedupe.plan import DedupePlan, plan_dedupe
from xlcrm.xlsx.reader import read_workbook

NAMES_ONLY = [("C000001", "C000002"), ("C000003", "C000004"), ("C000005", "C000006")]
NAME_AND_CITY = ("C000007", "C000008")
NAME_BIRTHDAY_ADDRESS = ("C000009", "C000010")
ANOTHER_PHONE = ("C000011", "C000012")
SHARED_PHONE = ("C000013", "C000014")
ONE_PLACE = ("C000015", "C000016")  # a city and an address: one kind of evidence, not two


def planted() -> list[dict[str, object]]:
    """The pairs of the module docstring, and a name with a city and an address: ClientIDs C000001-C000016."""
    birthday, address = dt.date(1984, 9, 12), "ул. Лесная, д. 7, кв. 40"
    return [
        client(1, "Белоусова Зинаида Марковна"),
        client(2, "Белоусова Зинаида Марковна"),
        client(3, "Ястребов Филипп Ильич"),
        client(4, "Ястребов Филипп Ильич"),
        client(5, "Круглова Нонна Эдуардовна"),
        client(6, "Круглова Нонна Эдуардовна"),
        client(7, "Шубин Арсений Львович", city="Тула"),
        client(8, "Шубин Арсений Львович", city="Тула"),
        client(9, "Гордеева Алиса Павловна", birthday=birthday, address=address),
        client(10, "Гордеева Алиса Павловна", birthday=birthday, address=address),
        client(11, "Фомичёв Роман Сергеевич", birthday=birthday, address=address, phone="+7 915 000-11-22"),
        client(12, "Фомичёв Роман Сергеевич", birthday=birthday, address=address, phone="+7 915 000-33-44"),
        client(13, "Тихонова Вера Андреевна", phone="+7 915 777-88-99"),
        client(14, "Тихонова Вера Андреевна", phone="8 915 777 88 99"),
        client(15, "Лаврова Ксения Игоревна", city="Тула", address="ул. Школьная, д. 3, кв. 8"),
        client(16, "Лаврова Ксения Игоревна", city="Тула", address="ул. Школьная, д. 3, кв. 8"),
    ]


def workbook(path: Path, clients: list[dict[str, object]], settings: dict[str, object] | None = None) -> Path:
    records = {
        schema.CLIENTS.key: clients,
        schema.INTERACTIONS.key: [],
        schema.SETTINGS.key: settings_records("en", {"managers": ["Anna"]}, settings),
    }
    return write_records(path, "en", records)


def plan_of(path: Path) -> DedupePlan:
    data = read_workbook(path)
    settings, findings = read_settings(data)
    assert not findings
    return plan_dedupe(data, settings)


def pairs(plan: DedupePlan) -> tuple[set[frozenset[str]], dict[frozenset[str], str]]:
    """The pairs merged (every two rows of a group), and the pairs listed for review with their reasons."""
    ids = {row: record.client_id for row, record in plan.records.items()}
    merged = {frozenset((ids[a], ids[b])) for group in plan.groups for a in group.rows for b in group.rows if a < b}
    review = {frozenset((ids[m.first], ids[m.second])): str(m.reason) for m in plan.review}
    return merged, review


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return workbook(tmp_path_factory.mktemp("base") / "base.xlsx", distinct_clients(200, seed=11) + planted())


@pytest.fixture(scope="module")
def base_plan(base: Path) -> DedupePlan:
    return plan_of(base)


def test_names_typed_twice_with_nothing_else_go_to_review_however_likely(base_plan: DedupePlan) -> None:
    merged, review = pairs(base_plan)
    for pair in map(frozenset, NAMES_ONLY):
        assert pair not in merged
        assert pair in review
        assert "fewer than two things agree besides the name" in review[pair]
    # The model does find them likely: it is the rule, not a low probability, that keeps them out of the merges.
    older = {first for first, _ in NAMES_ONLY}
    likely = [m for m in base_plan.review if base_plan.records[m.first].client_id in older]
    assert len(likely) == len(NAMES_ONLY) and all(
        m.percent >= base_plan.settings.dedupe_auto_probability for m in likely
    )


def test_a_name_and_a_city_go_to_review(base_plan: DedupePlan) -> None:
    merged, review = pairs(base_plan)
    assert frozenset(NAME_AND_CITY) not in merged
    assert "fewer than two things agree besides the name" in review[frozenset(NAME_AND_CITY)]


def test_a_city_and_an_address_count_as_one_place(base_plan: DedupePlan) -> None:
    merged, review = pairs(base_plan)
    assert frozenset(ONE_PLACE) not in merged
    reason = review[frozenset(ONE_PLACE)]
    assert "same city +" in reason and "same address +" in reason
    assert reason.endswith("fewer than two things agree besides the name")


def test_a_name_birthday_and_address_with_nothing_disagreeing_merge_when_likely_enough(base_plan: DedupePlan) -> None:
    merged, review = pairs(base_plan)
    (match,) = [m for g in base_plan.groups for m in g.matches if base_plan.records[m.first].client_id == "C000009"]
    assert frozenset(NAME_BIRTHDAY_ADDRESS) in merged
    assert match.percent >= base_plan.settings.dedupe_auto_probability
    assert not match.shared_id and match.independent_evidence >= 2 and not match.disagreement
    reason = str(match.reason)
    assert "same name +" in reason and "same birthday +" in reason and "same address +" in reason


def test_below_the_probability_of_the_settings_the_same_pair_goes_to_review(tmp_path: Path) -> None:
    clients = distinct_clients(200, seed=11) + planted()
    strict = plan_of(workbook(tmp_path / "strict.xlsx", clients, {"dedupe_auto_probability": 100}))
    merged, review = pairs(strict)
    assert not merged
    assert frozenset(NAME_BIRTHDAY_ADDRESS) in review and frozenset(SHARED_PHONE) in review


def test_the_same_with_another_phone_goes_to_review_saying_what_disagrees(base_plan: DedupePlan) -> None:
    merged, review = pairs(base_plan)
    assert frozenset(ANOTHER_PHONE) not in merged
    reason = review[frozenset(ANOTHER_PHONE)]
    assert "different phones −" in reason
    assert reason.endswith("no INN, phone or email in common, and something disagrees")


def test_a_phone_in_common_with_the_name_merges(base_plan: DedupePlan) -> None:
    merged, review = pairs(base_plan)
    assert frozenset(SHARED_PHONE) in merged


def test_the_generated_people_are_left_alone(base_plan: DedupePlan) -> None:
    merged, review = pairs(base_plan)
    planted_ids = {f"C{number:06d}" for number in range(1, 17)}
    assert set().union(*merged, *review) <= planted_ids
    assert merged == {frozenset(NAME_BIRTHDAY_ADDRESS), frozenset(SHARED_PHONE)}
    assert set(review) == {frozenset(pair) for pair in [*NAMES_ONLY, NAME_AND_CITY, ANOTHER_PHONE, ONE_PLACE]}


def duplicates_listed(path: Path) -> set[frozenset[str]]:
    """The pairs of the Duplicates sheet's review table, by ClientIDs."""
    rows = list(openpyxl.load_workbook(path)[schema.DUPLICATES.name("en")].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] == "Decision")
    a, b = rows[header].index("ClientID A"), rows[header].index("ClientID B")
    listed = set()
    for row in rows[header + 1 :]:
        if not row[a]:
            break
        listed.add(frozenset((str(row[a]), str(row[b]))))
    return listed


def test_the_command_decides_as_the_library_and_the_workbook_says_so(
    base: Path, base_plan: DedupePlan, tmp_path: Path
) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(base.read_bytes())
    merged, review = pairs(base_plan)

    result = CliRunner().invoke(cli, ["--lang", "en", "dedupe", str(book), "--keep-backups", "0", "--json"])

    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert {
        frozenset((m["survivor"]["client_id"], *(c["client_id"] for c in m["merged"]))) for m in payload["merges"]
    } == merged
    assert len(payload["review"]) == len(review)
    ids = [row[0] for row in openpyxl.load_workbook(book)["Clients"].iter_rows(min_row=2, values_only=True)]
    assert "C000010" not in ids and "C000014" not in ids  # merged into C000009 and C000013
    assert {"C000001", "C000002", "C000011", "C000012"} <= set(ids)
    assert duplicates_listed(book) == set(review)


# --- a base of five clients -------------------------------------------------------------------------------------


def test_a_tiny_base_merges_a_phone_duplicate_and_keeps_namesakes(tmp_path: Path) -> None:
    book = workbook(
        tmp_path / "tiny.xlsx",
        [
            client(1, "Орлова Дарья Игоревна", phone="+7 916 200-30-40", city="Тула"),
            client(2, "Орлова Дарья", phone="8 916 200 30 40"),
            client(3, "Кравцов Олег Петрович"),
            client(4, "Кравцов Олег Петрович"),
            client(5, "Зуева Марина Львовна", phone="+7 916 500-60-70", city="Пермь"),
        ],
    )
    merged, review = pairs(plan_of(book))
    assert merged == {frozenset(("C000001", "C000002"))}
    assert frozenset(("C000003", "C000004")) not in merged

    result = CliRunner().invoke(cli, ["--lang", "en", "dedupe", str(book), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    ids = [row[0] for row in openpyxl.load_workbook(book)["Clients"].iter_rows(min_row=2, values_only=True)]
    assert ids == ["C000001", "C000003", "C000004", "C000005"]
