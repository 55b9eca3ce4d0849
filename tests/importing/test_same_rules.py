"""``import`` decides a pair of clients exactly as ``dedupe`` does, whichever command meets the pair.

For every kind of pair, one workbook holding both clients is deduplicated, and the second client is imported from a
real .xlsx or .csv file into a workbook holding only the first (or both come from the file into an empty workbook).
Both end with the same Clients sheet (merged, or both rows kept) and the same pairs for review on ▸ Duplicates.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from tests.dedupe.waterfalls import unweighed
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook
from xlcrm.importing.importer import ADDED, MERGED, REVIEW
from xlcrm.jobs.dedupe import dedupe_workbook
from xlcrm.jobs.importing import import_rows

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 12, 0)
LOCALE = "ru"
COLUMNS = ("name", "company", "inn", "phone", "email", "city", "birthday", "address")
SOURCE_HEADERS = ("ФИО", "Компания", "ИНН", "Телефон", "E-mail", "Город", "Дата рождения", "Адрес")

# What became of a pair: merged into one client, listed for review, or neither (kept apart, vetoed, too unlike).
MERGE, LISTED, NEITHER = "merged", "listed for review", "neither"


@dataclass(frozen=True)
class Pair:
    """Two clients: the first is in the workbook, the second comes from the import (or both do)."""

    kind: str
    first: tuple[str, ...]  # values of COLUMNS (those left out at the end are blank)
    second: tuple[str, ...]
    expected: str
    because: str = ""  # part of the reason both commands give, without the weights (see unweighed)


PAIRS = [
    Pair(
        "shared INN",
        ("Петров Иван Сергеевич", "ООО Ромашка", "3982597915", "+7 916 123-45-67", "", "Москва"),
        ("Петров Иван Сергеевич", "ООО «Ромашка»", "3982597915", "+7 903 555-66-77", "", "Москва"),
        MERGE,
        "same INN 3982597915",
    ),
    Pair(
        "shared phone typed differently",
        ("Сидорова Ольга Петровна", "", "", "+7 916 123-45-67", "", "Казань"),
        ("Сидорова Ольга Петровна", "", "", "8 (916) 123 45 67", "olga@example.com", "Казань"),
        MERGE,
        "same phone +79161234567",
    ),
    Pair(
        "shared email",
        ("Кузнецов Андрей", "ООО Вектор", "", "+7 903 111-22-33", "a.kuz@vector.ru", "Тула"),
        ("Кузнецов Андрей", "ООО Вектор", "", "+7 903 999-88-77", "A.Kuz@Vector.ru", "Тула"),
        MERGE,
        "same email a.kuz@vector.ru",
    ),
    Pair(  # the case of issue 18: merged with its foreign phone appended, though nothing identifies both as one
        "name, company and city only",
        ("Волков Дмитрий Олегович", "ООО Север", "", "+7 921 123-45-67", "", "Санкт-Петербург"),
        ("Волков Дмитрий Олегович", "ООО Север", "", "+49 30 901820", "", "Санкт-Петербург"),
        LISTED,
        "same name; same company name; same city; different phones; no INN, phone or email in common",
    ),
    Pair(
        "name only",
        ("Смирнова Анна Викторовна", "", "", "+7 912 000-11-22", "", ""),
        ("Смирнова Анна Викторовна", "", "", "+7 912 333-44-55", "", ""),
        LISTED,
        "same name",
    ),
    Pair(  # no identifier in common: the match probability and two things agreeing besides the name decide
        "name, birthday and address",
        ("Гордеева Алиса Павловна", "", "", "", "", "", "12.09.1984", "ул. Лесная, д. 7, кв. 40"),
        ("Гордеева Алиса Павловна", "", "", "", "alisa@example.com", "", "12.09.1984", "ул. Лесная, д. 7, кв. 40"),
        MERGE,
        "same name; same birthday; same address",
    ),
    Pair(
        "name, birthday and address, another phone",
        ("Фомичёв Роман Сергеевич", "", "", "+7 915 000-11-22", "", "", "30.01.1979", "ул. Кирова, д. 12, кв. 3"),
        ("Фомичёв Роман Сергеевич", "", "", "+7 915 000-33-44", "", "", "30.01.1979", "ул. Кирова, д. 12, кв. 3"),
        LISTED,
        "different phones; no INN, phone or email in common, and something disagrees",
    ),
    Pair(
        "similar names, different INNs",
        ("Кузнецов Андрей", "ООО Вектор", "9074833780", "+7 903 111-22-33", "", "Тула"),
        ("Кузнецов Андрей", "ООО «Вектор»", "9074833797", "+7 903 444-55-66", "", "Тула"),
        NEITHER,
    ),
]


def client(client_id: str, values: tuple[str, ...], created: dt.date) -> dict[str, object]:
    """A Clients row as the import writes a new client: its values (a birthday as a date), a ClientID and Created."""
    row: dict[str, object] = {"client_id": client_id, **{k: v for k, v in zip(COLUMNS, values) if v}}
    if "birthday" in row:
        row["birthday"] = dt.datetime.strptime(str(row["birthday"]), "%d.%m.%Y").date()
    return row | {"created": created}


def write_workbook(path: Path, clients: list[dict[str, object]], kept_apart: bool) -> Path:
    """A workbook with these clients and, when asked, "keep apart" typed for C000001 and C000002 on ▸ Duplicates."""
    book = build_workbook(LOCALE, rows={"clients": clients})
    if kept_apart:
        sheet = book.create_sheet(schema.DUPLICATES.name(LOCALE))
        sheet.append([schema.dedupe_label("duplicates_title", LOCALE)])  # as xlcrm titles its own sheet
        sheet.append([])
        sheet.append([schema.dedupe_label(key, LOCALE) for key in ("decision", "id_a", "id_b")])
        sheet.append([schema.KEEP_APART.name(LOCALE), "C000001", "C000002"])
    book.save(path)
    return path


def write_source(path: Path, rows: list[tuple[str, ...]]) -> Path:
    """The records as a real file: an Excel workbook or a Windows-1251 CSV with semicolons, as exported in Russia."""
    if path.suffix == ".xlsx":
        book = Workbook()
        book.active.append(SOURCE_HEADERS)
        for row in rows:
            book.active.append([value or None for value in row])
        book.save(path)
    else:
        with path.open("w", encoding="cp1251", newline="") as file:
            writer = csv.writer(file, delimiter=";")
            writer.writerow(SOURCE_HEADERS)
            writer.writerows(row + ("",) * (len(SOURCE_HEADERS) - len(row)) for row in rows)
    return path


def clients_sheet(path: Path) -> list[tuple[object, ...]]:
    """The values of every row of Clients, as a user sees them."""
    book = load_workbook(path)
    return [tuple(row) for row in book[schema.CLIENTS.name(LOCALE)].iter_rows(values_only=True) if any(row)]


def pairs_for_review(path: Path) -> list[tuple[object, ...]]:
    """(ClientID A, ClientID B, Probability, Reason) of each pair in the table of ▸ Duplicates that asks for a
    Decision."""
    book = load_workbook(path)
    name = schema.DUPLICATES.name(LOCALE)
    if name not in book.sheetnames:
        return []
    rows = [list(row) for row in book[name].iter_rows(values_only=True)]
    decision, id_a, id_b = (schema.dedupe_label(key, LOCALE) for key in ("decision", "id_a", "id_b"))
    probability, reason = schema.dedupe_label("probability", LOCALE), schema.dedupe_label("reason", LOCALE)
    for index, header in enumerate(rows):
        if header[0] == decision and probability in header:  # the pairs table (the Kept apart table has none)
            found = []
            for row in rows[index + 1 :]:
                if not any(row):
                    break
                found.append(tuple(row[header.index(key)] for key in (id_a, id_b, probability, reason)))
            return found
    return []


def has_merge_log(path: Path) -> bool:
    return schema.MERGE_LOG.name(LOCALE) in load_workbook(path).sheetnames


def dedupe_outcome(path: Path) -> tuple[str, str]:
    """What ``xlcrm dedupe --json`` did with the pair of the workbook, and why."""
    result = CliRunner().invoke(cli, ["--lang", "en", "dedupe", str(path), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    if printed["merges"]:
        (merge,) = printed["merges"]
        return MERGE, merge["reasons"][0]["reason"]
    if printed["review"]:
        (pair,) = printed["review"]
        return LISTED, pair["reason"]
    return NEITHER, ""


def import_outcome(outcome: str, detail: str, listed: list[tuple[object, ...]]) -> tuple[str, str]:
    """What the import did with the record, and why, in ``dedupe_outcome``'s terms."""
    if outcome == MERGED:
        return MERGE, detail
    if outcome == REVIEW:
        assert len(listed) == 1, f"one pair on ▸ Duplicates expected, found {listed}"
        probably = re.fullmatch(r"probably C\d+ \((.*)\)", detail)
        assert probably is not None, detail
        return LISTED, probably.group(1)
    assert outcome == ADDED, (outcome, detail)
    return NEITHER, ""


@pytest.mark.parametrize("pair", PAIRS, ids=[pair.kind for pair in PAIRS])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_client_imported_meets_a_client_there_as_dedupe_meets_both(pair: Pair, suffix: str, tmp_path: Path) -> None:
    older = client("C000001", pair.first, dt.date(2024, 1, 10))
    both = write_workbook(tmp_path / "both.xlsx", [older, client("C000002", pair.second, TODAY)], False)
    target = write_workbook(tmp_path / "target.xlsx", [older], False)
    source = write_source(tmp_path / f"source{suffix}", [pair.second])

    deduped = dedupe_outcome(both)
    imported = import_rows(source, target, today=TODAY, now=NOW)

    (record,) = imported.records
    assert import_outcome(record.outcome, str(record.detail), pairs_for_review(target)) == deduped
    assert deduped[0] == pair.expected
    assert pair.because in unweighed(deduped[1])
    # The same Clients sheet: the second client merged into the first as dedupe merges it, or both kept.
    assert clients_sheet(target) == clients_sheet(both)
    assert pairs_for_review(target) == pairs_for_review(both)
    # A merge into a client that was there is logged where dedupe logs merges, so it can be undone.
    assert has_merge_log(target) == has_merge_log(both) == (pair.expected == MERGE)
    if pair.expected == MERGE:
        assert record.merge_id == "M0001"


@pytest.mark.parametrize("pair", PAIRS, ids=[pair.kind for pair in PAIRS])
def test_two_records_of_one_file_meet_as_dedupe_meets_them(pair: Pair, tmp_path: Path) -> None:
    both = [client("C000001", pair.first, TODAY), client("C000002", pair.second, TODAY)]
    both = write_workbook(tmp_path / "both.xlsx", both, False)
    empty = write_workbook(tmp_path / "empty.xlsx", [], False)
    source = write_source(tmp_path / "source.csv", [pair.first, pair.second])

    deduped = dedupe_outcome(both)
    result = CliRunner().invoke(
        cli, ["--lang", "en", "import", str(source), "--into", str(empty), "--today", TODAY.isoformat(), "--json"]
    )

    assert result.exit_code == 0, result.output
    first, second = json.loads(result.output)["records"]
    assert (first["outcome"], first["client_id"]) == (ADDED, "C000001")
    assert import_outcome(second["outcome"], second["detail"], pairs_for_review(empty)) == deduped
    assert deduped[0] == pair.expected
    assert clients_sheet(empty) == clients_sheet(both)
    assert pairs_for_review(empty) == pairs_for_review(both)


def test_a_record_certain_of_two_clients_kept_apart_joins_one_of_them_whichever_command(tmp_path: Path) -> None:
    """Neither command joins two clients the user kept apart, even through a third that matches both."""
    first = ("Морозова Анна Викторовна", "", "", "+7 912 000-11-22", "", "Екатеринбург")
    second = ("Морозова Анна Викторовна", "", "", "+7 912 000-11-22", "anna@moroz.ru", "Екатеринбург")
    third = ("Морозова Анна Викторовна", "ИП Морозова", "", "+7 912 000-11-22", "anna@moroz.ru", "Екатеринбург")
    there = [client("C000001", first, dt.date(2024, 1, 10)), client("C000002", second, dt.date(2024, 2, 1))]
    three = write_workbook(tmp_path / "three.xlsx", [*there, client("C000003", third, TODAY)], True)
    target = write_workbook(tmp_path / "target.xlsx", there, True)

    deduped = dedupe_workbook(three, now=NOW)
    imported = import_rows(write_source(tmp_path / "third.xlsx", [third]), target, today=TODAY, now=NOW)

    assert [(m["survivor"]["client_id"], [c["client_id"] for c in m["merged"]]) for m in deduped.merges] == [
        ("C000002", ["C000003"])
    ]
    assert [(r.outcome, r.client_id) for r in imported.records] == [(MERGED, "C000002")]
    assert str(imported.records[0].detail).endswith("; also like C000001: left to xlcrm dedupe")
    assert clients_sheet(target) == clients_sheet(three)
    assert [row[0] for row in clients_sheet(target)[1:]] == ["C000001", "C000002"]


def test_a_keep_apart_typed_for_a_client_no_longer_there_is_not_handed_to_an_imported_record(tmp_path: Path) -> None:
    """ "Keep apart" is typed for C000001 and C000002, and C000002's row was deleted since: the imported record is
    another client, so it gets an ID no sheet names (C000003) and its likeness to C000001 is listed for review,
    not settled by a decision the user made about someone else."""
    first = ("Морозова Анна Викторовна", "", "", "+7 912 000-11-22", "anna@moroz.ru", "Екатеринбург")
    second = ("Морозова Анна Викторовна", "", "", "", "a.morozova@mail.ru", "Екатеринбург")
    target = write_workbook(tmp_path / "target.xlsx", [client("C000001", first, dt.date(2024, 1, 10))], True)

    imported = import_rows(write_source(tmp_path / "source.xlsx", [second]), target, today=TODAY, now=NOW)

    assert [(r.outcome, r.client_id) for r in imported.records] == [(REVIEW, "C000003")]
    assert ("C000001", "C000003") in [pair[:2] for pair in pairs_for_review(target)]


def test_pairs_listed_by_an_import_join_those_on_duplicates_and_the_decisions_typed_there_stay(
    tmp_path: Path,
) -> None:
    volkov, smirnova = PAIRS[3], PAIRS[4]
    clients = [
        client("C000001", volkov.first, dt.date(2024, 1, 10)),
        client("C000002", volkov.second, dt.date(2024, 1, 11)),
        client("C000003", smirnova.first, dt.date(2024, 1, 12)),
    ]
    path = write_workbook(tmp_path / "clients.xlsx", clients, False)
    assert dedupe_outcome(path)[0] == LISTED
    book = load_workbook(path)
    sheet = book[schema.DUPLICATES.name(LOCALE)]
    (decision_cell,) = [row[0] for row in sheet.iter_rows() if row[3].value == "C000001"]
    decision_cell.value = "не объединять"  # typed by the user, not yet applied by a dedupe
    book.save(path)

    result = import_rows(write_source(tmp_path / "more.csv", [smirnova.second]), path, today=TODAY, now=NOW)

    assert [(r.outcome, r.client_id) for r in result.records] == [(REVIEW, "C000004")]
    assert [pair[:2] for pair in pairs_for_review(path)] == [("C000001", "C000002"), ("C000003", "C000004")]
    sheet = load_workbook(path)[schema.DUPLICATES.name(LOCALE)]
    assert [row[0].value for row in sheet.iter_rows() if row[3].value in ("C000001", "C000003")] == [
        "не объединять",
        None,
    ]
    deduped = dedupe_workbook(path, now=NOW)
    assert (deduped.kept_apart, [pair["client_ids"] for pair in deduped.review]) == (1, [["C000003", "C000004"]])


def test_a_pair_kept_apart_after_an_import_stays_apart_when_the_file_is_imported_again(tmp_path: Path) -> None:
    """The review workflow end to end: import, "keep apart" typed, dedupe, then a newer export of the same file."""
    volkov = PAIRS[3]
    path = write_workbook(tmp_path / "clients.xlsx", [client("C000001", volkov.first, dt.date(2024, 1, 10))], False)
    first = import_rows(write_source(tmp_path / "export.csv", [volkov.second]), path, today=TODAY, now=NOW)
    assert [(r.outcome, r.client_id) for r in first.records] == [(REVIEW, "C000002")]
    book = load_workbook(path)
    (decision_cell,) = [row[0] for row in book[schema.DUPLICATES.name(LOCALE)].iter_rows() if row[3].value == "C000001"]
    decision_cell.value = "не объединять"
    book.save(path)
    assert dedupe_workbook(path, now=NOW).kept_apart == 1
    newer = (*volkov.second[:4], "volkov@sever.ru", volkov.second[5])

    again = import_rows(write_source(tmp_path / "newer.xlsx", [newer]), path, today=TODAY, now=NOW)

    assert [(r.outcome, r.client_id) for r in again.records] == [(MERGED, "C000002")]
    rows = {row[0]: row for row in clients_sheet(path)[1:]}
    assert set(rows) == {"C000001", "C000002"}
    assert "volkov@sever.ru" in rows["C000002"] and "volkov@sever.ru" not in rows["C000001"]
    deduped = dedupe_workbook(path, dry_run=True)
    assert (deduped.merges, deduped.review, deduped.kept_apart) == ([], [], 1)
