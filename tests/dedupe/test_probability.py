"""The match probability of two clients (xlcrm.dedupe.probability) and its waterfall of reasons (xlcrm.dedupe.explain):
expectation–maximisation finds m on a known mixture, a common surname weighs less than a rare one, a value missing
on one side changes nothing, the reasons read with signs and one decimal in either language, the probability is
never shown surer than it is."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

from tests.builders import settings_records, write_records
from tests.dedupe.population import distinct_clients
from tests.dedupe.test_dedupe import client
from xlcrm import schema
from xlcrm.dedupe.explain import probability_percent, shown_percent, waterfall
from xlcrm.dedupe.plan import blocked_model, compare
from xlcrm.dedupe.probability import (
    ADDRESS,
    BIRTHDAY,
    CITY,
    EM_ITERATIONS,
    LEVELS,
    MISSING,
    NAME,
    PHONE,
    MatchModel,
    Scored,
    estimate_m,
)
from xlcrm.dedupe.records import ClientRecord, client_records
from xlcrm.messages import render
from xlcrm.xlsx.reader import read_workbook


def records_of(tmp_path: Path, clients: list[dict[str, object]]) -> dict[str, ClientRecord]:
    """The match records of ``clients`` written into a real workbook and read back, by ClientID."""
    records = {
        schema.CLIENTS.key: clients,
        schema.SETTINGS.key: settings_records("ru", {"managers": ["Anna"]}),
    }
    sheet = read_workbook(write_records(tmp_path / "book.xlsx", "ru", records)).sheet(schema.CLIENTS.key)
    assert sheet is not None
    return {record.client_id: record for record in client_records(sheet, "RU")}


def model_of(records: dict[str, ClientRecord]) -> MatchModel:
    return blocked_model({record.row: record for record in records.values()}).model


# --- expectation–maximisation ---------------------------------------------------------------------------------


def _leaning(levels: int, ratio: float) -> np.ndarray:
    """Level probabilities growing (ratio > 1) or shrinking by ``ratio`` from level to level."""
    weights = np.array([ratio**level for level in range(levels)])
    leaning: np.ndarray = weights / weights.sum()
    return leaning


def test_expectation_maximisation_finds_the_m_a_mixture_was_drawn_from() -> None:
    """20,000 candidate pairs, a fifth of them duplicates drawn from a known m, the rest from u, a fifth of the
    values missing: the m learnt is within 0.03 of the true one on every level, the share of duplicates within
    0.01, and the estimate settles well before the iteration limit."""
    rng = np.random.default_rng(7)
    m = [_leaning(count, 4.0) for count in LEVELS]  # duplicates agree
    u = [_leaning(count, 0.2) for count in LEVELS]  # others differ
    pairs, share = 20_000, 0.2
    duplicate = rng.random(pairs) < share
    vectors = np.empty((pairs, len(LEVELS)), dtype=np.int64)
    for field, count in enumerate(LEVELS):
        drawn_m, drawn_u = rng.choice(count, pairs, p=m[field]), rng.choice(count, pairs, p=u[field])
        vectors[:, field] = np.where(duplicate, drawn_m, drawn_u)
    vectors[rng.random(vectors.shape) < 0.2] = MISSING

    estimate = estimate_m(vectors, u)

    assert estimate.iterations < EM_ITERATIONS
    assert estimate.match_share == pytest.approx(share, abs=0.01)
    for field, (learnt, true) in enumerate(zip(estimate.m, m)):
        assert np.abs(learnt - true).max() < 0.03, field
        assert learnt.sum() == pytest.approx(1.0)


def test_households_sharing_a_phone_do_not_teach_that_first_names_differ() -> None:
    """400 duplicates among 20,000 candidate pairs, and 1,000 households: the surname alike and another first name,
    one home phone, city and address, a cluster tighter than the duplicates, whose values are often missing. The m
    learnt says what the duplicates say: one client's two records rarely differ in the first name."""
    rng = np.random.default_rng(11)
    m = [_leaning(count, 2.0) for count in LEVELS]
    m[NAME] = np.array([0.0, 0.01, 0.09, 0.3, 0.6])
    u = [_leaning(count, 0.2) for count in LEVELS]
    kinds = rng.choice(3, 20_000, p=[0.02, 0.05, 0.93])  # duplicate, household, other
    vectors = np.empty((len(kinds), len(LEVELS)), dtype=np.int64)
    for field, count in enumerate(LEVELS):
        vectors[:, field] = np.where(
            kinds == 0, rng.choice(count, len(kinds), p=m[field]), rng.choice(count, len(kinds), p=u[field])
        )
    households = kinds == 1
    vectors[rng.random(vectors.shape) < 0.3] = MISSING
    vectors[:, NAME] = np.where(vectors[:, NAME] == MISSING, LEVELS[NAME] - 1, vectors[:, NAME])
    for field, level in ((NAME, 1), (PHONE, 1), (CITY, LEVELS[CITY] - 1), (ADDRESS, LEVELS[ADDRESS] - 1)):
        vectors[households, field] = level

    estimate = estimate_m(vectors, u)

    assert estimate.m[NAME][1] < 0.05  # EM taking the households for duplicates learnt 0.75
    assert estimate.match_share == pytest.approx(0.02, abs=0.005)


def test_known_duplicates_are_learnt_from_however_unlikely_they_look() -> None:
    """The Merge log's pairs are duplicates whatever EM makes of them: 500 known ones with names alike in part of
    their letters and different cities, among 5,000 pairs drawn from u, give an m in which such names are what
    duplicates have."""
    rng = np.random.default_rng(3)
    u = [_leaning(count, 0.2) for count in LEVELS]
    others = np.column_stack([rng.choice(count, 5_000, p=u[field]) for field, count in enumerate(LEVELS)])
    known = np.full((500, len(LEVELS)), MISSING)
    known[:, NAME], known[:, CITY] = 2, 0

    estimate = estimate_m(np.vstack([others, known]), u, known=500)

    assert estimate.m[NAME][2] > 0.8
    assert estimate.match_share >= 500 / 5_500


def test_without_candidate_pairs_the_prior_m_stands() -> None:
    u = [_leaning(count, 0.2) for count in LEVELS]
    estimate = estimate_m(np.empty((0, len(LEVELS)), dtype=np.int64), u)
    assert estimate.iterations == 0
    assert all(learnt.sum() == pytest.approx(1.0) for learnt in estimate.m)


# --- term frequencies -----------------------------------------------------------------------------------------


def _pair(number: int, name: str, birthday: dt.date) -> list[dict[str, object]]:
    """One person typed twice alike: the name, the birthday and the city; phones of their own."""
    return [
        client(number + seat, name, birthday=birthday, city="Тула", phone=f"+7 999 {number:03d}-{seat:02d}-00")
        for seat in (0, 1)
    ]


def test_a_common_surname_weighs_less_than_a_rare_one(tmp_path: Path) -> None:
    """30 Ивановs in the base and one pair of Жуковскийs: two "Иванов Пётр" born the same day in Тула are less
    likely one client than two "Жуковский Пётр" born the same day in Тула (the birthdays each held by one pair)."""
    ivanovs: list[dict[str, object]] = [
        {"client_id": f"C{500 + i:06d}", "name": f"Иванов {first}", "phone": f"+7 999 100-{i:02d}-11"}
        for i, first in enumerate(["Алексей", "Борис", "Виктор", "Глеб", "Денис", "Егор"] * 5)
    ]
    common = _pair(1, "Иванов Пётр", dt.date(1980, 3, 14))
    rare = _pair(3, "Жуковский Пётр", dt.date(1981, 7, 22))
    records = records_of(tmp_path, distinct_clients(200, seed=1) + ivanovs + common + rare)
    model = model_of(records)

    ivanov = model.score(records["C000001"], records["C000002"])
    zhukovsky = model.score(records["C000003"], records["C000004"])

    def name_bits(scored: Scored) -> float:
        return next(item.bits for item in scored.evidence if item.field == NAME)

    assert name_bits(ivanov) < name_bits(zhukovsky)
    assert ivanov.probability < zhukovsky.probability
    # Everything but the name weighs alike in both pairs.
    others = [
        [(i.field, i.level, round(i.bits, 6)) for i in s.evidence if i.field != NAME] for s in (ivanov, zhukovsky)
    ]
    assert others[0] == others[1]


def test_a_common_birthday_weighs_less_than_a_rare_one(tmp_path: Path) -> None:
    """1 January 1980 typed for 20 clients (a placeholder date): sharing it says less than sharing a birthday no one
    else has."""
    placeholder = dt.date(1980, 1, 1)
    typed: list[dict[str, object]] = [
        {"client_id": f"C{500 + i:06d}", "name": person, "birthday": placeholder, "phone": f"+7 999 200-{i:02d}-11"}
        for i, person in enumerate(f"Орлов {first}" for first in ["Антон", "Илья", "Марк", "Юрий"] * 5)
    ]
    common = _pair(1, "Гусев Тимур", placeholder)
    rare = _pair(3, "Гусев Тимур", dt.date(1981, 7, 22))
    records = records_of(tmp_path, distinct_clients(200, seed=4) + typed + common + rare)
    model = model_of(records)

    def birthday_bits(first: str, second: str) -> float:
        scored = model.score(records[first], records[second])
        return next(item.bits for item in scored.evidence if item.field == BIRTHDAY)

    assert 0 < birthday_bits("C000001", "C000002") < birthday_bits("C000003", "C000004")


# --- missing values -------------------------------------------------------------------------------------------


def test_a_value_missing_on_one_side_changes_nothing(tmp_path: Path) -> None:
    """An address on one card only is no evidence either way: the probability is that of the pair without it."""
    records = records_of(
        tmp_path,
        distinct_clients(200, seed=2)
        + [
            client(1, "Лебедева Ольга Игоревна", birthday=dt.date(1975, 2, 3), address="ул. Мира, д. 5, кв. 1"),
            client(2, "Лебедева Ольга Игоревна", birthday=dt.date(1975, 2, 3)),
        ],
    )
    model = model_of(records)
    first, second = records["C000001"], records["C000002"]
    one_sided = model.score(first, second)
    neither = model.score(dataclasses.replace(first, address=""), second)

    assert one_sided.comparison.levels[ADDRESS] == MISSING
    assert ADDRESS not in {item.field for item in one_sided.evidence}
    assert one_sided.probability == neither.probability
    assert one_sided.evidence == neither.evidence


# --- the waterfall --------------------------------------------------------------------------------------------

WEIGHT = r"[+−]\d+[.,]\d"  # a term's weight: signed, one decimal


@pytest.fixture(scope="module")
def waterfall_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[MatchModel, ClientRecord, ClientRecord]:
    """A model of 200 clients and a pair alike in name and birthday, apart in city and phone."""
    records = records_of(
        tmp_path_factory.mktemp("waterfall"),
        distinct_clients(200, seed=3)
        + [
            client(1, "Соколова Анна Петровна", birthday=dt.date(1990, 6, 1), city="Казань", phone="+7 917 111-22-33"),
            client(2, "Соколова Анна", birthday=dt.date(1990, 6, 1), city="Пермь", phone="+7 917 444-55-66"),
        ],
    )
    return model_of(records), records["C000001"], records["C000002"]


def test_the_waterfall_gives_every_term_signed_with_one_decimal_the_heaviest_first(
    waterfall_pair: tuple[MatchModel, ClientRecord, ClientRecord],
) -> None:
    model, first, second = waterfall_pair
    scored = model.score(first, second)
    terms = [render(reason, "en") for reason in waterfall(scored, first, second)]
    weighed = [item for item in scored.evidence if item.field is not None]

    assert len(terms) == len(weighed) == 4  # name, birthday, city, phone: what both cards hold
    for term, item in zip(terms, weighed):
        sign = "+" if item.bits >= 0 else "−"
        assert term.endswith(f" {sign}{abs(item.bits):.1f}"), term
    assert [abs(item.bits) for item in weighed] == sorted((abs(item.bits) for item in weighed), reverse=True)
    assert any(term.startswith("same birthday +") for term in terms)
    assert any(term.startswith("different cities −") for term in terms)
    assert any(term.startswith("different phones −") for term in terms)


def test_the_reason_of_a_match_sums_up_to_its_probability_in_either_language(
    waterfall_pair: tuple[MatchModel, ClientRecord, ClientRecord],
) -> None:
    model, first, second = waterfall_pair
    match = compare(first, second, model)

    english, russian = render(match.reason, "en"), render(match.reason, "ru")

    percent = render(shown_percent(match.probability), "en")
    assert english.endswith(f" → {percent} %")
    assert re.fullmatch(rf"[^;]+ {WEIGHT}(; [^;]+ {WEIGHT})* → [\d.]+ %", english), english
    assert re.fullmatch(rf"[^;]+ {WEIGHT}(; [^;]+ {WEIGHT})* → [\d,]+ %", russian), russian
    assert "день рождения" in russian and "разные телефоны" in russian
    assert not re.search(r"[A-Za-z]", russian), russian  # no English left in a Russian workbook


@pytest.mark.parametrize(
    ("probability", "shown"),
    # A model never knows for certain: 100 % is never shown.
    [(0.9996, 99.9), (0.99999, 99.9), (0.97, 97.0), (0.12345, 12.3), (0.5, 50.0), (1.0, 99.9), (0.0, 0.0)],
)
def test_the_probability_is_rounded_down_never_shown_surer_than_it_is(probability: float, shown: float) -> None:
    assert probability_percent(probability) == shown


def test_a_whole_percent_is_written_without_decimals() -> None:
    assert render(shown_percent(0.97), "en") == "97"
    assert render(shown_percent(0.9996), "en") == "99.9"
    assert render(shown_percent(0.9996), "ru") == "99,9"
