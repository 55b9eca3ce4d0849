"""Excel's limit of 32,767 characters for one cell: nothing xlcrm writes is ever cut to it silently.

A merge appends the merged client's comment (phones, emails) to the survivor's; an import appends an
imported comment to a client's. When the two together would pass the limit, Excel would cut the text
(xlcrm's writer cuts it first), so the cell is left whole and the command says so; the merged text stays whole
in the Merge log, and unmerge gives everything back. A value to import that is itself longer is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from click.testing import CliRunner

from tests.builders import settings_records, write_records
from tests.dedupe.test_unmerge import cells, user_sheets
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook

SURVIVOR_COMMENT = "Звонить после обеда. " + "а" * 20_000
MERGED_COMMENT = "VIP в прошлом. " + "б" * 20_000


def romashka_twice(path: Path) -> Path:
    """Ivan Petrov of Romashka typed twice, each row with a long comment of its own."""
    clients = [
        {
            "client_id": "C000001",
            "name": "Иван Петров",
            "company": 'ООО "Ромашка"',
            "phone": "8 (916) 123-45-67",
            "inn": "7707083893",
            "manager": "Anna",
            "created": dt.date(2024, 1, 1),
            "comment": SURVIVOR_COMMENT,
        },
        {
            "client_id": "C000002",
            "name": "Ivan Petrov",
            "company": "Romashka LLC",
            "phone": "+79161234567",
            "inn": "7707083893",
            "manager": "Anna",
            "created": dt.date(2024, 1, 2),
            "comment": MERGED_COMMENT,
        },
    ]
    records = {schema.CLIENTS.key: clients, schema.SETTINGS.key: settings_records("en", {"managers": ["Anna"]})}
    return write_records(path, "en", records)


def comment_of(path: Path, client_id: str) -> object:
    rows = cells(path)[schema.CLIENTS.name("en")]
    header = rows[0]
    row = next(row for row in rows[1:] if row[header.index("ClientID")] == client_id)
    return row[header.index("Comment")]


def test_a_merged_comment_over_the_cell_limit_is_not_cut_but_left_whole_and_said(tmp_path: Path) -> None:
    book = romashka_twice(tmp_path / "clients.xlsx")
    before = user_sheets(book)

    result = CliRunner().invoke(cli, ["dedupe", str(book), "--keep-backups", "0"])

    assert result.exit_code == 0, result.output
    assert (
        "Note: M0001: Comment of C000002 not appended to C000001's: together longer than Excel's limit of "
        "32,767 characters for one cell; C000001 keeps its own, the merged values are kept whole in the "
        "Merge log"
    ) in result.output
    assert comment_of(book, "C000001") == SURVIVOR_COMMENT
    merge_log = cells(book)[schema.MERGE_LOG.name("en")]
    assert any(cell == MERGED_COMMENT for row in merge_log for cell in row)

    undone = CliRunner().invoke(cli, ["unmerge", str(book), "M0001", "--keep-backups", "0"])

    assert undone.exit_code == 0, undone.output
    assert user_sheets(book) == before


def test_the_json_of_a_merge_names_the_cells_left_whole(tmp_path: Path) -> None:
    book = romashka_twice(tmp_path / "clients.xlsx")

    result = CliRunner().invoke(cli, ["dedupe", str(book), "--dry-run", "--json"])

    assert result.exit_code == 0, result.output
    merge = json.loads(result.output)["merges"][0]
    assert merge["left_whole"] == ["comment"]
    assert "comment" not in merge["changes"]


def test_short_comments_are_still_appended(tmp_path: Path) -> None:
    short = write_records(
        tmp_path / "short.xlsx",
        "en",
        {
            schema.CLIENTS.key: [
                {
                    "client_id": "C000001",
                    "name": "Иван Петров",
                    "phone": "8 (916) 123-45-67",
                    "inn": "7707083893",
                    "manager": "Anna",
                    "created": dt.date(2024, 1, 1),
                    "comment": "Звонить после обеда",
                },
                {
                    "client_id": "C000002",
                    "name": "Ivan Petrov",
                    "phone": "+79161234567",
                    "inn": "7707083893",
                    "manager": "Anna",
                    "created": dt.date(2024, 1, 2),
                    "comment": "VIP в прошлом",
                },
            ],
            schema.SETTINGS.key: settings_records("en", {"managers": ["Anna"]}),
        },
    )

    result = CliRunner().invoke(cli, ["dedupe", str(short), "--keep-backups", "0"])

    assert result.exit_code == 0, result.output
    assert comment_of(short, "C000001") == "Звонить после обеда; VIP в прошлом"
    assert "not appended" not in result.output


def test_an_imported_comment_over_the_cell_limit_leaves_the_clients_whole(tmp_path: Path) -> None:
    book = tmp_path / "clients.xlsx"
    build_workbook(
        "ru",
        rows={
            "clients": [
                {
                    "client_id": "C000001",
                    "name": "Петров Иван",
                    "phone": "+7 916 123-45-67",
                    "inn": "7707083893",
                    "comment": SURVIVOR_COMMENT,
                    "created": dt.date(2024, 1, 10),
                }
            ]
        },
    ).save(book)
    source = tmp_path / "new.csv"
    source.write_text(
        f"ФИО;Телефон;ИНН;Примечание\nПетров Иван;8 916 123 45 67;7707083893;{MERGED_COMMENT}\n", encoding="utf-8"
    )

    result = CliRunner().invoke(
        cli, ["import", str(source), "--into", str(book), "--keep-backups", "0", "--today", "2026-11-23"]
    )

    assert result.exit_code == 0, result.output
    # The weighed reasons (their weights are the match model's), then what was left whole.
    said = re.search(r"^  строка источника 2: (.*) → 99,9 %; (значения не добавлены .*)$", result.output, re.MULTILINE)
    assert said, result.output
    assert "тот же ИНН 7707083893 +" in said[1] and "тот же телефон +79161234567 +" in said[1]
    assert said[2] == (
        "значения не добавлены (столбцы: Комментарий): вместе они длиннее предела Excel в 32\u00a0767 знаков на "
        "ячейку, поэтому у клиента остаются свои значения (C000001)"
    )
    rows = cells(book)[schema.CLIENTS.name("ru")]
    assert rows[1][rows[0].index("Комментарий")] == SURVIVOR_COMMENT


def test_an_imported_value_longer_than_a_cell_holds_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "clients.xlsx"
    build_workbook("ru").save(book)
    saved = book.read_bytes()
    source = tmp_path / "new.csv"
    source.write_text("ФИО;Примечание\nПетров Иван;" + "ы" * 40_000 + "\n", encoding="utf-8")

    result = CliRunner().invoke(cli, ["import", str(source), "--into", str(book)])

    assert result.exit_code == 1, result.output
    assert result.output == (  # the run speaks the Russian workbook's language
        f"Ошибка: {source}, строка 2, столбец «Примечание»: 40\xa0000 знаков, больше предела Excel в 32\xa0767 знаков "
        "на ячейку; сократите текст и импортируйте снова\n"
    )
    assert book.read_bytes() == saved
    result = CliRunner().invoke(cli, ["--lang", "en", "import", str(source), "--into", str(book)])
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"Error: {source}, row 2, column 'Примечание': 40,000 characters, more than Excel's "
        "limit of 32,767 for one cell; shorten it and import again\n"
    )
    assert book.read_bytes() == saved
