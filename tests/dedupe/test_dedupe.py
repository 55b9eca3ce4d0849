"""Finding duplicate clients: merges, review, vetoes, decisions, clusters, interactions entered twice, the demo."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.builders import settings_records, write_records
from tests.dedupe.population import distinct_clients
from tests.dedupe.waterfalls import read_waterfall
from xlcrm import schema
from xlcrm.checks.settings import read_settings
from xlcrm.cli import cli
from xlcrm.create.demo import generate_demo
from xlcrm.dedupe.plan import DedupePlan, PairDecision, plan_dedupe
from xlcrm.jobs.demo import create_demo
from xlcrm.xlsx.reader import read_workbook

CLIENTS, INTERACTIONS, SETTINGS = schema.CLIENTS.key, schema.INTERACTIONS.key, schema.SETTINGS.key
TODAY = dt.date(2026, 11, 23)


def client(number: int, name: str | None = None, company: str | None = None, **values: object) -> dict[str, object]:
    record: dict[str, object] = {
        "client_id": f"C{number:06d}",
        "name": name,
        "company": company,
        "manager": "Anna",
        "created": dt.date(2024, 1, number),
    }
    record.update(values)
    return record


def plan_for(
    tmp_path: Path,
    clients: list[dict[str, object]],
    *,
    interactions: list[dict[str, object]] = (),
    decisions: list[PairDecision] = (),
    settings: dict[str, object] | None = None,
    locale: str = "en",
) -> DedupePlan:
    records = {
        CLIENTS: clients,
        INTERACTIONS: list(interactions),
        SETTINGS: settings_records(locale, {"managers": ["Anna"]}, settings),
    }
    data = read_workbook(write_records(tmp_path / "book.xlsx", locale, records))
    chosen, findings = read_settings(data)
    assert not findings
    return plan_dedupe(data, chosen, decisions)


def merged_ids(plan: DedupePlan) -> list[set[str]]:
    return [{plan.records[row].client_id for row in group.rows} for group in plan.groups]


def review_ids(plan: DedupePlan) -> list[set[str]]:
    return [{plan.records[m.first].client_id, plan.records[m.second].client_id} for m in plan.review]


def test_romashka_typed_twice_is_merged_with_a_plain_reason(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        [
            client(1, "Иван Петров", 'ООО "Ромашка"', phone="8 (916) 123-45-67", city="Москва"),
            client(2, "Ivan Petrov", "Romashka LLC", phone="+79161234567", city="Moscow"),
        ],
    )
    assert merged_ids(plan) == [{"C000001", "C000002"}]
    group = plan.groups[0]
    assert plan.records[group.survivor].client_id == "C000001"  # the oldest survives
    reason = str(group.matches[0].reason)
    assert set(read_waterfall(reason).terms) == {
        "same phone +79161234567",
        "same name",
        "same company name",
        "same city",
    }
    assert re.fullmatch(r"(.+ \+\d+\.\d; ){3}.+ \+\d+\.\d → 99\.9 %", reason), reason  # every term for the pair
    assert not plan.review


def test_same_company_name_different_inn_is_never_merged_nor_proposed(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        [
            client(1, "Иван Петров", "ООО «Вектор»", inn="7707083893", phone="+7 916 123-45-67", city="Москва"),
            client(2, "Иван Петров", 'ООО "Вектор"', inn="7736050003", phone="+7 916 123-45-67", city="Москва"),
        ],
    )
    assert not plan.groups and not plan.review
    assert [str(m.veto) for m in plan.vetoed] == ["different INN 7707083893 and 7736050003"]


@pytest.mark.parametrize("command", [["refresh", "--today", TODAY.isoformat()], ["dedupe"]])
def test_an_inn_typed_with_a_superscript_digit_is_a_problem_not_a_failure(tmp_path: Path, command: list[str]) -> None:
    """``12345678²0``: Python takes ² for a digit (isdigit), and python-stdnum's int() then failed mid-refresh."""
    clients = [
        client(1, "Иван Петров", "ООО «Вектор»", inn="12345678²0", phone="+7 916 123-45-67"),
        client(2, "Пётр Сидоров", "ООО «Альфа»", inn="7707083893", phone="+7 916 765-43-21"),
    ]
    records = {CLIENTS: clients, INTERACTIONS: [], SETTINGS: settings_records("en", {"managers": ["Anna"]})}
    path = write_records(tmp_path / "book.xlsx", "en", records)

    result = CliRunner().invoke(cli, [command[0], str(path), *command[1:], "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["errors"] == 1
    if command[0] == "refresh":
        book = openpyxl.load_workbook(path, read_only=True)
        problems = next(book[name] for name in book.sheetnames if name.endswith("Problems"))
        rows = [" ".join(str(value) for value in row if value is not None) for row in problems.values]
        assert any("D2" in row and "an INN has only digits" in row for row in rows), rows


def test_duplicates_whose_client_id_holds_a_superscript_digit_are_merged(tmp_path: Path) -> None:
    """The oldest of a group is told by its ClientID's number: ``C²1`` has none that int() reads."""
    plan = plan_for(
        tmp_path,
        [
            client(1, "Анна Смирнова", "ООО Ромашка", client_id="C²1", email="anna@romashka.ru", created=None),
            client(2, "Анна Смирнова", "ООО Ромашка", email="anna@romashka.ru", created=None),
        ],
    )
    assert merged_ids(plan) == [{"C²1", "C000002"}]


def test_homoglyph_latin_o_in_cyrillic_company(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        [
            client(1, "Анна Смирнова", "ООО Ромашка", email="anna@romashka.ru"),
            client(2, "Смирнова Анна", "ООО Рoмашка", email="Anna@Romashka.ru "),  # Latin o
        ],
    )
    assert merged_ids(plan) == [{"C000001", "C000002"}]


def test_initials_and_name_order_with_a_shared_phone(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        [
            client(1, "Петров Иван Иванович", phone="8 916 123 45 67", city="Казань"),
            client(2, "Петров И.И.", phone="+7 (916) 123-45-67", city="Казань"),
            client(3, "Иван Петров", phone="8-916-123-45-67", city="Казань"),
        ],
    )
    assert merged_ids(plan) == [{"C000001", "C000002", "C000003"}]


def test_different_phones_emails_and_names_are_vetoed(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        [
            client(
                1,
                "Иван Петров",
                "ООО Альфа",
                phone="+7 916 123-45-67",
                email="a@alfa.ru",
                city="Москва",
                inn="7707083893",
            ),
            client(
                2,
                "Пётр Сидоров",
                "ООО Альфа",
                phone="+7 916 765-43-21",
                email="b@beta.ru",
                city="Москва",
                inn="7707083893",
            ),
        ],
    )
    # The same INN: one company, two different contact people: a question for the user, not an automatic merge.
    assert not plan.groups
    assert review_ids(plan) == [{"C000001", "C000002"}]
    assert "different names" in str(plan.review[0].reason)


def test_people_at_different_companies_never_meet(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        [
            client(1, "Иван Петров", "ООО Альфа", phone="+7 916 123-45-67"),
            client(2, "Мария Петрова", "ООО Бета", phone="+7 916 123-45-67"),  # a family's home phone
        ],
    )
    assert not plan.groups and not plan.review


@pytest.mark.parametrize("others", [0, 200])
def test_a_family_sharing_a_home_phone_and_address_is_never_merged_without_asking(tmp_path: Path, others: int) -> None:
    home = {"phone": "+7 916 123-45-67", "city": "Москва", "address": "ул. Мира, д. 5, кв. 1"}
    family = [client(1, "Петров Иван Сергеевич", **home), client(2, "Петрова Мария Ивановна", **home)]
    plan = plan_for(tmp_path, distinct_clients(others, seed=1) + family)
    assert not plan.groups


def test_probable_pair_goes_to_review(tmp_path: Path) -> None:
    """Same person at the same company, but a new phone and no email: a careful person would ask."""
    plan = plan_for(
        tmp_path,
        [
            client(1, "Сергей Кузнецов", "ООО «Техносфера»", phone="+7 916 111-22-33", city="Самара"),
            client(2, "Кузнецов Сергей", "Техносфера", phone="+7 903 444-55-66", city="Самара"),
        ],
    )
    assert not plan.groups
    assert review_ids(plan) == [{"C000001", "C000002"}]
    (match,) = plan.review
    assert match.percent >= plan.settings.dedupe_review_probability
    assert "different phones −" in str(match.reason)
    assert str(match.reason).endswith("no INN, phone or email in common, and something disagrees")


@pytest.mark.xfail(
    strict=True,
    reason="model: 'different companies' weighs -1.5 bits, the two-client prior 0 bits: two schools (No. 5 and 7) "
    "with one director's name are listed at 99.1 %, the Ivanov partnerships at 99.8 % (reported to the lead)",
)
def test_numbered_companies_alike_in_letters_are_not_proposed(tmp_path: Path) -> None:
    """ "Школа № 5" and "Школа № 7" with one director's name: two schools, not a typo (nothing shared)."""
    plan = plan_for(
        tmp_path,
        [
            client(1, "Иванов Иван", "ООО «Иванов и партнёры 12»", phone="+7 916 111-22-33", city="Самара"),
            client(2, "Иванов Иван", "ООО «Иванов и партнёры 4507»", phone="+7 903 444-55-66", city="Самара"),
            client(3, "Сергей Кузнецов", "МБОУ Школа № 5", email="school5@example.ru"),
            client(4, "Сергей Кузнецов", "МБОУ Школа № 7", email="school7@example.ru"),
        ],
    )
    assert not plan.groups and not plan.review


def test_decisions_merge_and_keep_apart(tmp_path: Path) -> None:
    rows = [
        client(1, "Сергей Кузнецов", "ООО «Техносфера»", phone="+7 916 111-22-33", city="Самара"),
        client(2, "Кузнецов Сергей", "Техносфера", phone="+7 903 444-55-66", city="Самара"),
    ]
    kept = plan_for(tmp_path, rows, decisions=[PairDecision(frozenset({"C000001", "C000002"}), merge=False)])
    assert not kept.groups and not kept.review and len(kept.kept_apart) == 1
    merged = plan_for(tmp_path, rows, decisions=[PairDecision(frozenset({"C000002", "C000001"}), merge=True)])
    assert merged_ids(merged) == [{"C000001", "C000002"}] and merged.groups[0].decided


def test_kept_apart_certain_pair_is_not_merged(tmp_path: Path) -> None:
    rows = [
        client(1, "Иван Петров", "Ромашка", phone="+7 916 123-45-67"),
        client(2, "Иван Петров", "Ромашка", phone="8 916 123 45 67"),
    ]
    plan = plan_for(tmp_path, rows, decisions=[PairDecision(frozenset({"C000001", "C000002"}), merge=False)])
    assert not plan.groups and not plan.review


def test_clusters_are_transitive_but_never_join_a_veto(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        [
            client(1, "Иван Петров", phone="+7 916 123-45-67", email="ivan@mail.ru"),
            client(2, "Петров Иван", phone="+7 916 123-45-67"),
            client(3, "Петров И.", email="ivan@mail.ru"),
        ],
    )
    assert merged_ids(plan) == [{"C000001", "C000002", "C000003"}]

    chained = plan_for(
        tmp_path,
        [
            client(1, "Иван Петров", "Ромашка", inn="7707083893", phone="+7 916 123-45-67"),
            client(2, "Иван Петров", "Ромашка", phone="+7 916 123-45-67", email="ivan@mail.ru"),
            client(3, "Иван Петров", "Ромашка", inn="7736050003", email="ivan@mail.ru"),
        ],
    )
    for group in merged_ids(chained):
        assert not {"C000001", "C000003"} <= group
    assert any("would join clients kept apart" in str(m.reason) for m in chained.review)


def test_thresholds_come_from_settings(tmp_path: Path) -> None:
    rows = [
        client(1, "Петров Иван Иванович", phone="8 916 123 45 67", city="Казань"),
        client(2, "Петров И.И.", phone="+7 (916) 123-45-67", city="Казань"),
    ]
    assert merged_ids(plan_for(tmp_path, rows))
    strict = plan_for(tmp_path, rows, settings={"dedupe_auto_probability": 100, "dedupe_review_probability": 60})
    assert not strict.groups and review_ids(strict) == [{"C000001", "C000002"}]
    # A phone in common with names alike is never dropped below review, whatever the setting ...
    top = {"dedupe_auto_probability": 100, "dedupe_review_probability": 100}
    assert review_ids(plan_for(tmp_path, rows, settings=top)) == [{"C000001", "C000002"}]
    # ... a pair with no identifier in common is.
    namesakes = [client(1, "Петров Иван Иванович", city="Казань"), client(2, "Петров Иван Иванович", city="Казань")]
    assert review_ids(plan_for(tmp_path, namesakes)) == [{"C000001", "C000002"}]
    assert not plan_for(tmp_path, namesakes, settings=top).review


def test_repeated_client_id_is_never_merged_automatically(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        [
            client(1, "Иван Петров", phone="+7 916 123-45-67"),
            client(2, "Иван Петров", phone="+7 916 123-45-67") | {"client_id": "C000001"},
        ],
    )
    assert not plan.groups
    assert "is on several rows" in str(plan.review[0].reason)


def test_interactions_entered_twice_are_reported(tmp_path: Path) -> None:
    day = dt.date(2026, 3, 1)
    interactions = [
        {"date": day, "client_id": "C000001", "type": "Order", "amount": 5000, "comment": "Audit"},
        {"date": day, "client_id": "C000001", "type": "order ", "amount": "5 000", "comment": "audit"},
        {"date": day, "client_id": "C000001", "type": "Order", "amount": 7000, "comment": "Audit"},
        {"date": day, "client_id": "C000002", "type": "Order", "amount": 5000, "comment": "Audit"},
    ]
    plan = plan_for(tmp_path, [client(1, "Иван Петров"), client(2, "Olga")], interactions=interactions)
    assert [(d.rows, d.client_id, d.amount) for d in plan.interaction_duplicates] == [((2, 3), "C000001", 5000.0)]


PROBABLE_IGNORED = pytest.mark.xfail(
    strict=True,
    reason="model: the demo's probable duplicate C000412/C000793 (Белов Павел Викторович, ИП, Москва, a new phone "
    "and email) scores 9.2 %, below dedupe_review_probability: not listed for review (reported to the lead)",
)


@pytest.mark.parametrize("clients, seed", [(300, 1), pytest.param(1200, 5, marks=PROBABLE_IGNORED)])
def test_demo_planted_duplicates_found_and_lookalikes_kept_apart(tmp_path: Path, clients: int, seed: int) -> None:
    path = create_demo(tmp_path / "demo.xlsx", clients=clients, seed=seed, today=TODAY).path
    truth = generate_demo(clients, seed, "ru", TODAY)
    data = read_workbook(path)
    settings, _ = read_settings(data)
    plan = plan_dedupe(data, settings)
    pairs = set()
    for group in plan.groups:
        ids = [plan.records[row].client_id for row in group.rows]
        pairs |= {frozenset((a, b)) for a in ids for b in ids if a < b}
    planted = {frozenset((d.original, d.duplicate)) for d in truth.planted_duplicates}
    lookalikes = {frozenset((pair.first, pair.second)) for pair in truth.lookalikes}
    assert planted <= pairs  # every planted duplicate merged automatically
    assert pairs == planted  # and nothing else
    assert not pairs & lookalikes
    # Only the probable duplicates planted for review are ambiguous: listed, never merged.
    probable = {frozenset((pair.original, pair.duplicate)) for pair in truth.probable_duplicates}
    assert probable and {frozenset(ids) for ids in review_ids(plan)} == probable
    assert len(plan.review) == len(probable)
    # Blocking: far fewer comparisons than every pair of clients.
    assert plan.candidate_pairs < clients * (clients - 1) / 2 / 20


def test_names_alone_never_merge_automatically(tmp_path: Path) -> None:
    """Same full name, same ИП name, same city, nothing shared: two people can look exactly like this."""
    plan = plan_for(
        tmp_path,
        [
            client(1, "Волкова Кристина Алексеевна", "ИП Волкова К.А.", phone="+7 916 111-22-33", city="Москва"),
            client(2, "Волкова Кристина Алексеевна", "ИП Волкова К.А.", phone="+7 903 444-55-66", city="Москва"),
        ],
    )
    assert not plan.groups
    assert review_ids(plan) == [{"C000001", "C000002"}]
    # The ИП name repeats the person's: counted once.
    said = read_waterfall(str(plan.review[0].reason))
    assert said.terms == ("same name", "same city", "different phones")
    assert said.notes == "no INN, phone or email in common, and something disagrees"


def test_same_address_counts_for_review(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        [
            client(1, "Olga Sidorova", phone="+7 916 111-22-33", city="Казань", address="ул. Баумана, д. 5, кв. 12"),
            client(2, "Sidorova Olga", phone="+7 903 444-55-66", city="Kazan", address="Баумана ул., д.5, кв.12"),
        ],
    )
    assert not plan.groups
    assert plan.review
    said = read_waterfall(str(plan.review[0].reason))
    # "addresses 100 % similar": the same words in another order.
    assert set(said.terms) == {"same name", "same city", "addresses 100 % similar", "different phones"}
    assert said.notes == "no INN, phone or email in common, and something disagrees"
