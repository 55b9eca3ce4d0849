"""Each pair explained in the user's words where the user meets it: the Duplicates sheet (probability in per cent,
the waterfall of weighed reasons, the likeliest first, at most Settings' dedupe_review_limit), the Merge log, the
summary printed and ``--json`` (the evidence a program can add up again)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from tests.builders import settings_records, write_records
from tests.create.test_russian_words import english_left
from tests.dedupe.test_unmerge import client
from tests.dedupe.waterfalls import read_waterfall
from xlcrm import schema
from xlcrm.cli.main import cli

# Pairs of one client typed twice without an INN, phone or email in common: the user decides them. Each side is
# Cyrillic, so a Russian reason holds no Latin letter of the data either.
OPEN_PAIRS = [
    (
        ("Сергей Кузнецов", "ООО «Техносфера»"),
        {"city": "Самара", "phone": "+7 916 111-22-33"},
        {"phone": "+7 903 444-55-66"},
    ),
    (("Анна Смирнова", None), {"city": "Казань", "birthday": dt.date(1990, 5, 17)}, {}),
    (("Павел Орлов", None), {"city": "Тверь", "address": "ул. Ленина, 5"}, {"address": "ул. Ленина, д. 5"}),
    (("Дмитрий Волков", None), {"city": "Пермь"}, {"phone": "+7 917 333-11-22"}),
    (("Елена Зайцева", None), {"city": "Уфа"}, {"phone": "+7 917 000-11-22"}),
]
LIKELIEST_PAIRS = 6  # the five above, and Игорь Соколов / Игорь Сокол of «Вектор»


def write_book(folder: Path, locale: str, limit: int = 500) -> Path:
    """Иван Петров of «Ромашка» typed twice with one phone (merged without asking), then the pairs to review."""
    clients = [
        client(1, "Иван Петров", 'ООО "Ромашка"', phone="8 (916) 123-45-67", city="Москва", inn="7707083893"),
        client(2, "Петров Иван", "Ромашка", phone="+79161234567", city="Москва"),
        client(3, "Игорь Соколов", "ООО «Вектор»", city="Сочи"),
        client(4, "Игорь Сокол", "Вектор", city="Сочи"),
    ]
    for (name, company), first, second in OPEN_PAIRS:
        clients.append(client(len(clients) + 1, name, company, **first))
        clients.append(client(len(clients) + 1, name, company, city=first["city"], **second))
    clients.append(client(len(clients) + 1, "Ольга Сидорова", None, city="Омск"))
    records = {
        schema.CLIENTS.key: clients,
        schema.CONTACTS.key: [],
        schema.SERVICES.key: [],
        schema.INTERACTIONS.key: [],
        schema.SETTINGS.key: settings_records(locale, {"managers": ["Anna"]}, {"dedupe_review_limit": limit}),
    }
    return write_records(folder / f"clients-{locale}.xlsx", locale, records)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--keep-backups", "0"])


def pairs_table(path: Path, locale: str) -> tuple[list[str], list[list[Any]], list[str]]:
    """The pairs table of the Duplicates sheet as openpyxl reads it: the header, the rows (cells, for their number
    formats) and the lines between the table's heading and its header."""
    sheet = openpyxl.load_workbook(path)[schema.DUPLICATES.name(locale)]
    rows = list(sheet.iter_rows())
    heading = next(i for i, row in enumerate(rows) if row[0].value == schema.dedupe_label("pairs", locale))
    at = next(i for i, row in enumerate(rows) if row[0].value == schema.dedupe_label("decision", locale))
    body = []
    for row in rows[at + 1 :]:
        if not any(cell.value is not None for cell in row):
            break
        body.append(list(row))
    return [cell.value for cell in rows[at]], body, [str(row[0].value) for row in rows[heading + 1 : at]]


def merge_log_reasons(path: Path, locale: str) -> list[str]:
    sheet = openpyxl.load_workbook(path)[schema.MERGE_LOG.name(locale)]
    return [str(row[2].value) for row in sheet.iter_rows(min_row=5) if row[2].value]


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_each_pair_shows_its_probability_and_waterfall_likeliest_first(tmp_path: Path, locale: str) -> None:
    book = write_book(tmp_path, locale)
    result = run("dedupe", str(book))
    assert result.exit_code == 0, result.output

    header, body, above = pairs_table(book, locale)
    assert header[:3] == [schema.dedupe_label(key, locale) for key in ("decision", "probability", "reason")]
    assert header[1] == {"ru": "Вероятность, %", "en": "Probability, %"}[locale]
    assert above == []  # every pair listed: no line about the rest
    assert len(body) == LIKELIEST_PAIRS
    percents = [row[1].value for row in body]
    assert all(isinstance(value, float) for value in percents)  # a number to sort and filter by, not text
    assert {row[1].number_format for row in body} == {"0.0"}
    assert percents == sorted(percents, reverse=True) and 50 <= percents[-1] < percents[0] <= 100
    for row in body:
        waterfall = read_waterfall(row[2].value)
        assert waterfall.percent == row[1].value  # the reason comes to the probability shown beside it
        assert waterfall.bits == tuple(sorted(waterfall.bits, key=lambda bits: -abs(bits)))  # heaviest first
    # The Кузнецов pair: what speaks for it, what against, and why the user decides it.
    kuznetsov = next(row for row in body if row[3].value == "C000005")
    said = read_waterfall(kuznetsov[2].value)
    if locale == "ru":
        assert set(said.terms) == {"то же имя", "то же название компании", "тот же город", "разные телефоны"}
        assert said.notes == "нет общего ИНН, телефона или e-mail, и что-то не совпадает"
    else:
        assert set(said.terms) == {"same name", "same company name", "same city", "different phones"}
        assert said.notes == "no INN, phone or email in common, and something disagrees"
    against = {"ru": "разные телефоны", "en": "different phones"}[locale]
    assert said.bits[said.terms.index(against)] < 0  # and weighs against the pair

    # The Merge log keeps the waterfall of the merge, in the workbook's language.
    logged = merge_log_reasons(book, locale)
    assert len(logged) == 2 and logged[0] == logged[1]
    merged = read_waterfall(logged[0])
    assert (
        merged.percent >= 99
        and {"ru": "тот же телефон +79161234567", "en": "same phone +79161234567"}[locale] in merged.terms
    )
    if locale == "ru":
        texts = [str(cell) for cell in header if cell] + [row[2].value for row in body] + logged
        assert {text: english_left(text) for text in texts if english_left(text)} == {}


def test_the_json_evidence_adds_up_to_the_probability(tmp_path: Path) -> None:
    book = write_book(tmp_path, "en")
    result = run("dedupe", str(book), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    pairs = payload["review"] + [pair for merge in payload["merges"] for pair in merge["reasons"]]
    assert len(payload["review"]) == LIKELIEST_PAIRS and len(pairs) == LIKELIEST_PAIRS + 1
    for pair in pairs:
        evidence = pair["evidence"]
        assert evidence and all(set(item) == {"field", "level", "bits", "reason"} for item in evidence)
        assert {item["field"] for item in evidence} <= {
            "name", "birthday", "city", "address", "company", "phone", "email", "tax_id", "card"
        }  # fmt: skip
        # Each term and the prior are rounded to a tenth: their sum is the pair's weight within those roundings.
        total = pair["prior_bits"] + sum(item["bits"] for item in evidence)
        assert abs(total - pair["weight_bits"]) <= 0.05 * (len(evidence) + 2) + 1e-9
        # The probability is 2^w / (1 + 2^w), rounded down to a tenth of a per cent.
        low, high = (1 / (1 + 2 ** -(pair["weight_bits"] + d)) for d in (-0.05, 0.05))
        assert math.floor(low * 1000) / 10 <= pair["probability"] <= math.floor(high * 1000) / 10
        # The reason is the evidence, heaviest first, then the probability.
        waterfall = read_waterfall(pair["reason"])
        assert list(waterfall.bits) == [item["bits"] for item in evidence]
        assert "; ".join(item["reason"] for item in evidence) == pair["reason"].partition(" → ")[0]
        assert waterfall.percent == pair["probability"]
    assert payload["review_left_out"] == 0
    weights = [pair["weight_bits"] for pair in payload["review"]]
    assert weights == sorted(weights, reverse=True)


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_review_queue_is_capped_and_says_how_many_wait(tmp_path: Path, locale: str) -> None:
    book = write_book(tmp_path, locale, limit=2)
    (tmp_path / "uncapped").mkdir()
    uncapped = write_book(tmp_path / "uncapped", locale)
    everything = json.loads(run("dedupe", str(uncapped), "--dry-run", "--json").stdout)
    likeliest = [pair["client_ids"] for pair in everything["review"]][:2]

    printed = run("--lang", locale, "dedupe", str(book))
    assert printed.exit_code == 0, printed.output
    line = {
        "ru": "  (показаны самые вероятные: 2 из 6; остальные (4) появятся при следующем запуске, когда по этим будет "
        "принято решение)",
        "en": "  (showing the 2 likeliest of 6; the other 4 come on the next run, once these are decided)",
    }[locale]
    assert line in printed.output.splitlines()
    header, body, above = pairs_table(book, locale)
    assert [[row[3].value, row[3 + 8].value] for row in body] == likeliest
    assert above == [
        {
            "ru": "Показаны самые вероятные пары: 2 из 6; остальные (4) появятся при следующем запуске, когда по этим "
            "будет принято решение",
            "en": "Listed: the 2 likeliest pairs of 6; the other 4 come on the next run, once these are decided",
        }[locale]
    ]
    if locale == "ru":
        assert english_left(above[0]) == []

    # Deciding the two listed brings the next two; the JSON says how many still wait.
    sheet_book = openpyxl.load_workbook(book)
    sheet = sheet_book[schema.DUPLICATES.name(locale)]
    for row in body:
        sheet[row[0].coordinate] = schema.KEEP_APART.name(locale)
    sheet_book.save(book)
    after = json.loads(run("dedupe", str(book), "--json").stdout)
    assert [pair["client_ids"] for pair in after["review"]] == [
        pair["client_ids"] for pair in everything["review"][2:4]
    ]
    assert after["review_left_out"] == 2 and after["kept_apart"] == 2
    _header, _body, above = pairs_table(book, locale)
    assert above == [
        {
            "ru": "Показаны самые вероятные пары: 2 из 4; остальные (2) появятся при следующем запуске, когда по этим "
            "будет принято решение",
            "en": "Listed: the 2 likeliest pairs of 4; the other 2 come on the next run, once these are decided",
        }[locale]
    ]


def as_written_with_scores(book: Path, locale: str) -> None:
    """The Duplicates sheet as xlcrm wrote it before probabilities: a Score column of points (1-100) and reasons
    without weights."""
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[schema.DUPLICATES.name(locale)]
    _header, body, _above = pairs_table(book, locale)
    header_row = body[0][0].row - 1
    sheet.cell(header_row, 2).value = {"ru": "Оценка", "en": "Score"}[locale]
    assert sheet.cell(header_row, 2).value in schema.DEDUPE_LABELS["score"]
    for row in body:
        sheet.cell(row[0].row, 2).value = 80
        sheet.cell(row[0].row, 3).value = "; ".join(read_waterfall(row[2].value).terms)
    workbook.save(book)


def decide(book: Path, locale: str, decisions: dict[str, schema.ListValue]) -> None:
    """Type a Decision for the pairs whose ClientID A is a key of ``decisions``."""
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[schema.DUPLICATES.name(locale)]
    for row in pairs_table(book, locale)[1]:
        if row[3].value in decisions:
            sheet[row[0].coordinate] = decisions[row[3].value].name(locale)
    workbook.save(book)


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_decisions_typed_on_a_sheet_written_with_scores_still_apply(tmp_path: Path, locale: str) -> None:
    book = write_book(tmp_path, locale)
    assert run("dedupe", str(book)).exit_code == 0
    as_written_with_scores(book, locale)
    decide(book, locale, {"C000005": schema.MERGE_DECISION, "C000007": schema.KEEP_APART})

    result = run("dedupe", str(book), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    chosen = [merge for merge in payload["merges"] if merge["decided_by_user"]]
    assert [(m["survivor"]["client_id"], [c["client_id"] for c in m["merged"]]) for m in chosen] == [
        ("C000005", ["C000006"])
    ]
    assert payload["kept_apart"] == 1
    header, body, _above = pairs_table(book, locale)
    assert header[1] == schema.dedupe_label("probability", locale)
    assert all(isinstance(row[1].value, float) for row in body)
    assert {row[3].value for row in body}.isdisjoint({"C000005", "C000007"})


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_an_unmerge_rewriting_a_sheet_written_with_scores_shows_no_points_as_a_probability(
    tmp_path: Path, locale: str
) -> None:
    book = write_book(tmp_path, locale, limit=2)
    assert run("dedupe", str(book)).exit_code == 0
    _header, _body, line = pairs_table(book, locale)
    as_written_with_scores(book, locale)
    decide(book, locale, {"C000005": schema.KEEP_APART})

    assert run("unmerge", str(book), "M0001").exit_code == 0
    header, body, above = pairs_table(book, locale)
    assert header[1] == schema.dedupe_label("probability", locale)
    assert [row[1].value for row in body] == [None, None]  # the old points are not a probability
    assert body[0][0].value == schema.KEEP_APART.name(locale) or body[1][0].value == schema.KEEP_APART.name(locale)
    assert above == line  # the line about the pairs left for later stays until the next dedupe
