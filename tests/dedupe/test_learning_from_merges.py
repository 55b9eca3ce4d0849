"""The match model keeps learning from the duplicates already merged: the Merge log's pairs.

A base whose duplicates were merged last night holds few duplicates; learnt on it alone, expectation–maximisation
took families and namesakes for the duplicates, and the next night's Duplicates sheet filled with namesakes. These
tests run the real jobs on real workbooks, night after night, and read the saved sheets back.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
import re
import sys
import zipfile
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from tests.builders import settings_records, write_records
from tests.dedupe.population import distinct_clients
from xlcrm import schema
from xlcrm.checks.normalize import as_text
from xlcrm.cli.main import cli
from xlcrm.dedupe.merge_log import (
    logged_values,
    merged_pairs,
    pair_row_ids,
    read_duplicates,
    read_merge_log,
    read_sheet_rows,
)
from xlcrm.jobs.dedupe import dedupe_workbook
from xlcrm.jobs.forget import forget_clients
from xlcrm.jobs.importing import import_rows
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 0)
BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "dedupe_quality.py"


def with_duplicates_and_namesakes(seed: int) -> list[dict[str, object]]:
    """300 different people, 60 of them typed in a second time (a new row with their phone written another way, a
    slip in the name now and then), and 20 pairs of namesakes in one city with phones of their own."""
    rng = random.Random(seed)
    clients = distinct_clients(300, seed=seed)
    number = 5000
    for original in rng.sample(clients, 60):
        number += 1
        digits = re.sub(r"\D", "", str(original["phone"]))
        name = str(original["name"])
        if rng.random() < 0.3:
            name = name[:-2] + name[-1]  # a letter dropped at the end
        clients.append(
            {
                "client_id": f"C{number:06d}",
                "name": name,
                "manager": "Anna",
                "created": dt.date(2025, 1, 1) + dt.timedelta(days=number - 5000),
                "phone": f"8 ({digits[1:4]}) {digits[4:7]}-{digits[7:9]}-{digits[9:]}",
                "city": original["city"],
                "birthday": original["birthday"] if rng.random() < 0.5 else None,
            }
        )
    for index in range(20):
        surname = rng.choice(["Кузнецов", "Смирнов", "Попов", "Соколов", "Лебедев"])
        name = f"{surname} {rng.choice(['Иван', 'Павел', 'Олег', 'Юрий'])} {rng.choice(['Ильич', 'Петрович'])}"
        for side in range(2):
            number += 1
            clients.append(
                {
                    "client_id": f"C{number:06d}",
                    "name": name,
                    "manager": "Anna",
                    "created": dt.date(2025, 6, 1) + dt.timedelta(days=number - 5000),
                    "phone": f"+7 903 {index:03d}-{side:02d}-{rng.randrange(100):02d}",
                    "company": f"ООО «Вектор {index}»" if side else None,
                    "city": "Москва",
                }
            )
    return clients


def write_book(path: Path, clients: list[dict[str, object]]) -> Path:
    records = {
        schema.CLIENTS.key: clients,
        schema.CONTACTS.key: [],
        schema.SERVICES.key: [],
        schema.INTERACTIONS.key: [],
        schema.SETTINGS.key: settings_records("ru", {"managers": ["Anna"]}, {}),
    }
    return write_records(path, "ru", records)


def listed(path: Path) -> dict[frozenset[str], object]:
    """The pairs on the saved Duplicates sheet, each with its probability cell."""
    rows = read_duplicates(read_sheet_rows(path, schema.DUPLICATES)).pairs
    return {pair_row_ids(row): row[1] for row in rows}


def labelled_set(clients: int, seed: int) -> list[dict[str, object]]:
    """The dedupe benchmark's generated Russian clients (benchmarks/dedupe_quality.py): duplicates typed with
    slips, namesakes in one city, relatives sharing a home phone, with ClientIDs and Created dates."""
    spec = importlib.util.spec_from_file_location("dedupe_quality", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    rows: list[dict[str, object]] = module.client_rows(module.generate(clients, seed).rows)
    return [{**row, "manager": "Anna"} for row in rows]


def test_the_night_after_a_merge_proposes_what_the_night_before_did(tmp_path: Path) -> None:
    book = write_book(tmp_path / "clients.xlsx", labelled_set(2000, seed=7))

    first = dedupe_workbook(book, now=NOW)
    proposed = listed(book)
    second = dedupe_workbook(book, now=NOW)
    after_second = listed(book)
    third = CliRunner().invoke(cli, ["dedupe", str(book)])

    assert first.merged_rows > 50 and proposed
    assert second.merged_rows == 0
    assert third.exit_code == 0, third.output
    # Learnt on the clients left alone, the model took relatives and namesakes for the duplicates and proposed
    # pairs it had not proposed the night before. Learnt on them and the pairs merged, it is the model learnt before
    # the merge: the same pairs, night after night.
    left = {as_text(cid) for cid in read_workbook(book).sheets[schema.CLIENTS.key].column_values("client_id")}
    still_there = {pair for pair in proposed if pair <= left}  # a pair with a client merged away is gone with it
    assert len(still_there) > len(proposed) / 2
    assert set(after_second) == set(listed(book)) == still_there


def test_the_merge_log_gives_each_merged_pair_as_it_was(tmp_path: Path) -> None:
    book = write_book(tmp_path / "clients.xlsx", with_duplicates_and_namesakes(seed=4))
    result = dedupe_workbook(book, now=NOW)

    log = read_merge_log(read_sheet_rows(book, schema.MERGE_LOG))
    pairs = merged_pairs(log, "RU")

    assert len(pairs) == result.merged_rows
    merged_ids = {str(row["client_id"]) for merge in result.merges for row in merge["merged"]}
    assert {second.client_id for _first, second in pairs} == merged_ids
    for survivor, merged in pairs:
        assert survivor.phones & merged.phones  # the phone they were merged by, as each row had it


CSV = (
    "ФИО;Телефон;Город;E-mail\n"
    "{name};{phone};{city};новый@example.ru\n"
    "Никому Неизвестный Человек;+7 999 000-00-01;Омск;\n"
)


def test_an_import_logs_the_record_it_merged_and_dedupe_learns_from_it(tmp_path: Path) -> None:
    clients = with_duplicates_and_namesakes(seed=5)[:300]
    book = write_book(tmp_path / "clients.xlsx", clients)
    known = clients[10]
    source = tmp_path / "выгрузка.csv"
    source.write_text(CSV.format(name=known["name"], phone=known["phone"], city=known["city"]), encoding="utf-8")

    imported = import_rows(source, book, today=TODAY, now=NOW)

    merged = [record for record in imported.records if record.merge_id]
    assert [record.client_id for record in merged] == [known["client_id"]]
    log = read_merge_log(read_sheet_rows(book, schema.MERGE_LOG))
    assert [(entry.role, entry.sheet, entry.row) for entry in log.entries] == [
        ("survivor", "Клиенты", 12),
        ("imported", "выгрузка.csv", 2),
    ]
    record = logged_values(log.headers, log.entries[1].values)
    assert (record["client_id"], record["email"]) == (known["client_id"], "новый@example.ru")
    # The Russian role on the sheet as a person reads it.
    sheet = read_sheet_rows(book, schema.MERGE_LOG)
    assert any("импортирована" in [str(cell) for cell in row] for row in sheet)
    ((survivor, incoming),) = merged_pairs(log, "RU")
    assert survivor.shown_name == incoming.shown_name == known["name"] and survivor.phones == incoming.phones
    assert incoming.emails == {"новый@example.ru"} and "новый@example.ru" not in survivor.emails


def imported_into_client_11(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A base of 300 clients into which a file's record of the 11th was imported (and merged, with a new e-mail);
    the workbook and that client."""
    clients = with_duplicates_and_namesakes(seed=5)[:300]
    book = write_book(tmp_path / "clients.xlsx", clients)
    known = clients[10]
    source = tmp_path / "выгрузка.csv"
    source.write_text(CSV.format(name=known["name"], phone=known["phone"], city=known["city"]), encoding="utf-8")
    import_rows(source, book, today=TODAY, now=NOW)
    log = read_merge_log(read_sheet_rows(book, schema.MERGE_LOG))
    assert logged_values(log.headers, log.entries[-1].values)["email"] == "новый@example.ru"
    return book, known


def test_forgetting_a_client_removes_the_record_imported_into_it(tmp_path: Path) -> None:
    book, known = imported_into_client_11(tmp_path)

    forget_clients(book, [str(known["client_id"])], today=TODAY)

    with zipfile.ZipFile(book) as archive:
        text = " ".join(archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist())
    assert "новый@example.ru" not in text
    assert str(known["name"]) not in text


def test_the_anonymised_copy_masks_the_record_imported_into_a_client(tmp_path: Path) -> None:
    book, known = imported_into_client_11(tmp_path)
    copy = tmp_path / "copy.xlsx"

    result = CliRunner().invoke(cli, ["export", str(book), "--anonymise", str(copy)])

    assert result.exit_code == 0, result.output
    rows = read_sheet_rows(copy, schema.MERGE_LOG)
    assert any("импортирована" in [str(cell) for cell in row] for row in rows)  # the row is there, masked
    with zipfile.ZipFile(copy) as archive:
        text = " ".join(archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist())
    digits = re.sub(r"\D", "", str(known["phone"]))
    assert "новый@example.ru" not in text
    assert str(known["name"]) not in text and digits not in re.sub(r"[\s()\-]", "", text)


def test_a_file_imported_again_and_again_is_learnt_from_once(tmp_path: Path) -> None:
    """The same clients imported every month with a new comment: each import merges them and logs the records, but
    a pair the log holds again alike is one duplicate, and what dedupe proposes does not drift."""
    clients = with_duplicates_and_namesakes(seed=4)
    book = write_book(tmp_path / "clients.xlsx", clients)
    first = dedupe_workbook(book, now=NOW)
    again = clients[:40]

    counts = []
    for month in range(3):
        source = tmp_path / f"выгрузка {month}.csv"
        lines = ["ФИО;Телефон;Город;Комментарий"]
        lines += [f"{c['name']};{c['phone']};{c['city']};звонок в месяце {month}" for c in again]
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        imported = import_rows(source, book, today=TODAY, now=NOW)
        assert sum(bool(record.merge_id) for record in imported.records) == len(again)
        counts.append(len(merged_pairs(read_merge_log(read_sheet_rows(book, schema.MERGE_LOG)), "RU")))

    assert counts[0] > 0 and counts[1] == counts[2] == counts[0]
    later = dedupe_workbook(book, dry_run=True)
    assert {frozenset(pair["client_ids"]) for pair in later.review} == {
        frozenset(pair["client_ids"]) for pair in first.review
    }


def test_an_imported_record_retyped_as_merged_is_not_put_back_as_a_client(tmp_path: Path) -> None:
    book, _known = imported_into_client_11(tmp_path)
    workbook = openpyxl.load_workbook(book)
    log = workbook[schema.MERGE_LOG.name("ru")]
    role = next(cell for row in log.iter_rows() for cell in row if cell.value == schema.IMPORTED_ROLE.name("ru"))
    role.value = schema.MERGED_ROLE.name("ru")
    workbook.save(book)
    before = book.read_bytes()

    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0001"])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Ошибка: M0001 нельзя отменить: его строка с ролью «объединена» была на листе «выгрузка.csv», а не на листе "
        "«Клиенты», поэтому xlcrm не может вернуть её туда (роль изменена вручную?); книга не изменена"
    ]
    assert book.read_bytes() == before
