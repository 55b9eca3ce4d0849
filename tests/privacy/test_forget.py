"""``xlcrm forget`` on the demo: the person's data gone from every part of the workbook and of its backups, the
revenue figures unchanged, the erasure logged without personal data; bad input refused with the file untouched."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.comments import Comment

from tests.create.test_russian_words import english_left
from xlcrm.checks.normalize import as_text
from xlcrm.cli.main import cli
from xlcrm.errors import ClientNotFound
from xlcrm.files.encryption import decrypt, encrypt, is_encrypted
from xlcrm.files.safe_save import BACKUP_FOLDER, SaveOptions
from xlcrm.files.saved_copy import saved_copy_path
from xlcrm.jobs.dedupe import dedupe_workbook
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.forget import DELETED, HOLDS, REWRITTEN, forget_clients
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import speaking

TODAY = dt.date(2026, 11, 23)
# A client of the seed-1 demo with an INN, a phone, an e-mail and contact persons, on the Agenda and ABC sheets,
# and one the first refresh merges a planted duplicate into (listed on the Merge log).
CLIENT = "C000018"
MERGED_CLIENT = "C000004"


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo refreshed twice (reports, a Merge log and two backups that hold every client's data)."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "clients.xlsx"
    create_demo(path, clients=80, seed=1, locale="ru", today=TODAY)
    for _ in range(2):
        refresh_workbook(path, today=TODAY)
    return folder


@pytest.fixture
def workbook(refreshed: Path, tmp_path: Path) -> Path:
    """A copy of the refreshed demo and its backups, for one test."""
    shutil.copytree(refreshed, tmp_path, dirs_exist_ok=True)
    return tmp_path / "clients.xlsx"


def backups(workbook: Path) -> list[Path]:
    """The timestamped backups of ``workbook``; the copy of xlcrm's last save is rewritten by every save."""
    return sorted(path for path in (workbook.parent / BACKUP_FOLDER).iterdir() if ".last-saved." not in path.name)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def person_values(path: Path, client_id: str) -> list[str]:
    """The client's name, e-mail and INN as typed, and each phone as its ten national digits."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = book["Клиенты"].iter_rows(values_only=True)
    header = list(next(rows))
    row = next(row for row in rows if row[0] == client_id)
    values = [as_text(row[header.index(column)]) for column in ("Контактное лицо", "Email", "ИНН")]
    phone = as_text(row[header.index("Телефон")])
    values.append(re.sub(r"\D", "", phone)[-10:])
    return [value for value in values if value]


def found_in_package(path: Path, values: list[str]) -> list[str]:
    """``part: value`` for each value found in the text of a part of the package (phones by their digits)."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", errors="replace")
            text = re.sub(r"&#(\d+);", lambda m: chr(int(m[1])), text).replace("&amp;", "&").replace("&quot;", '"')
            digits = re.sub(r"[\s()\-.]", "", text)
            for value in values:
                haystack = digits if value.isdigit() else text
                if value.casefold() in haystack.casefold():
                    found.append(f"{name}: {value}")
    return found


def dashboard_revenue(path: Path) -> list[object]:
    """The revenue cells of the Dashboard's first table (clients and revenue per block)."""
    sheet = openpyxl.load_workbook(path, read_only=True)["▸ Сводка"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(rows) if "Выручка за всё время" in row)
    columns = [rows[start].index("Выручка за всё время"), rows[start].index("Выручка за период")]
    body = []
    for row in rows[start + 1 :]:
        if row[0] is None:
            break
        body.append([row[column] for column in columns])
    return body


def merge_ids_of(path: Path, client_id: str) -> set[str]:
    sheet = openpyxl.load_workbook(path, read_only=True)["▸ Журнал объединений"]
    return {row[0] for row in sheet.iter_rows(values_only=True) if client_id in row}


def test_forget_leaves_no_trace_in_the_workbook_or_its_backups(workbook: Path) -> None:
    values = person_values(workbook, CLIENT) + person_values(workbook, MERGED_CLIENT)
    assert found_in_package(workbook, values)
    assert all(found_in_package(backup, values) for backup in backups(workbook))

    result = forget_clients(
        workbook, [CLIENT, MERGED_CLIENT], reason="просьба клиента", today=TODAY, include_backups=True
    )

    assert result.complete and not result.left
    assert found_in_package(workbook, values) == []
    names = zipfile.ZipFile(workbook).namelist()
    assert len(names) == len(set(names))  # each replaced report sheet written once
    assert {backup.action for backup in result.backups} <= {REWRITTEN, DELETED}
    for backup in backups(workbook):
        assert found_in_package(backup, values) == []
    rewritten = {backup.path for backup in result.backups if backup.action == REWRITTEN}
    assert rewritten - {saved_copy_path(workbook)} == set(backups(workbook))


def test_the_clients_row_stays_without_personal_data(workbook: Path) -> None:
    forget_clients(workbook, [CLIENT], today=TODAY)

    book = openpyxl.load_workbook(workbook)
    clients = book["Клиенты"]
    header = [cell.value for cell in clients[1]]
    row = next(row for row in clients.iter_rows(values_only=True) if row[0] == CLIENT)
    kept = dict(zip(header, row))
    assert kept["Контактное лицо"] == f"Данные удалены ({CLIENT})"
    for column in ("ИНН", "Телефон", "Email", "Адрес", "День рождения", "Комментарий"):
        assert kept[column] is None, column
    assert kept["Компания"] == "ООО «Логистик»"  # a legal entity's name is not a person's data
    assert kept["Менеджер"] and kept["Создан"]
    assert not any(row[0] == CLIENT for row in book["Контакты"].iter_rows(values_only=True))
    interactions = [row for row in book["Взаимодействия"].iter_rows(values_only=True) if row[1] == CLIENT]
    assert interactions and all(row[7] is None and row[8] is None and row[9] is None for row in interactions)
    assert any(row[5] for row in interactions)  # the amounts stay


def test_revenue_on_the_dashboard_and_validation_do_not_change(workbook: Path) -> None:
    before = dashboard_revenue(workbook)
    errors_before = len(validate_workbook(workbook, TODAY).errors)

    forget_clients(workbook, [CLIENT, MERGED_CLIENT], today=TODAY)
    refresh_workbook(workbook, today=TODAY)

    assert dashboard_revenue(workbook) == before
    report = validate_workbook(workbook, TODAY)
    assert len(report.errors) == errors_before
    assert not [finding for finding in report.findings if CLIENT in str(finding.cell)]


def test_erased_clients_are_no_duplicates_of_each_other(workbook: Path) -> None:
    forget_clients(workbook, ["C000003", "C000006", "C000011"], today=TODAY)

    result = dedupe_workbook(workbook, dry_run=True)

    erased = {"C000003", "C000006", "C000011"}
    assert not [pair for pair in result.review if set(pair["client_ids"]) & erased]
    assert not [merge for merge in result.merges if merge["survivor"]["client_id"] in erased]


def test_a_merged_client_leaves_the_merge_log(workbook: Path) -> None:
    merges = merge_ids_of(workbook, MERGED_CLIENT)
    assert merges
    others = {row for row in merge_ids_of(workbook, "C000074")}

    result = forget_clients(workbook, [MERGED_CLIENT], today=TODAY)

    assert merge_ids_of(workbook, MERGED_CLIENT) == set()
    sheet = openpyxl.load_workbook(workbook, read_only=True)["▸ Журнал объединений"]
    logged = {row[0] for row in sheet.iter_rows(values_only=True)}
    assert not merges & logged
    assert others <= logged  # other merges stay
    assert any(place.sheet == "▸ Журнал объединений" for place in result.places)


def test_the_erasure_log_holds_no_personal_data_and_grows(workbook: Path) -> None:
    values = person_values(workbook, CLIENT)
    forget_clients(workbook, [CLIENT], reason="просьба клиента от 01.11.2026", today=TODAY)
    forget_clients(workbook, ["C000003"], reason="второй запрос", today=TODAY)

    sheet = openpyxl.load_workbook(workbook, read_only=True)["▸ Журнал удалений"]
    rows = [row for row in sheet.iter_rows(values_only=True) if row[0] in (CLIENT, "C000003")]
    assert [(row[0], row[1].date(), row[2], type(row[3])) for row in rows] == [
        (CLIENT, TODAY, "просьба клиента от 01.11.2026", int),
        ("C000003", TODAY, "второй запрос", int),
    ]
    texts = " ".join(as_text(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
    assert not [value for value in values if value in texts]
    assert english_left(texts) == []  # the Russian workbook's log speaks Russian


def test_keeps_no_backup_of_the_version_holding_the_data(workbook: Path) -> None:
    before = {path: digest(path) for path in backups(workbook)}

    result = forget_clients(workbook, [CLIENT], today=TODAY, save=SaveOptions(keep_backups=10))

    assert result.save is not None and result.save.backup is None and result.save.pruned_backups == ()
    assert {path: digest(path) for path in backups(workbook)} == before  # listed, neither changed nor deleted
    assert {backup.path for backup in result.backups_holding} == set(before)


def test_dry_run_lists_every_place_and_writes_nothing(workbook: Path) -> None:
    files = [workbook, *backups(workbook)]
    before = [digest(path) for path in files]

    result = forget_clients(workbook, [CLIENT.lower()], today=TODAY, dry_run=True, include_backups=True)

    assert [digest(path) for path in files] == before
    places = {str(place) for place in result.places}
    assert "Клиенты!B19" in places  # the name
    assert any(place.startswith("Контакты!") for place in places)
    assert any(place.startswith("Взаимодействия!") for place in places)
    # the backups and the copy of xlcrm's last save
    assert [backup.action for backup in result.backups] == [HOLDS] * (len(files[1:]) + 1)
    assert not result.complete
    assert result.client_ids == [CLIENT]  # typed in lower case, found as Clients writes it


def test_unknown_client_id_is_refused_with_the_file_untouched(workbook: Path) -> None:
    before = digest(workbook)
    with pytest.raises(ClientNotFound):
        forget_clients(workbook, [CLIENT, "C999999"], today=TODAY)

    run = CliRunner().invoke(cli, ["forget", str(workbook), CLIENT, "C999999"])

    assert run.exit_code == 2
    assert "C999999" in run.output and "Ошибка:" in run.output
    assert CLIENT not in run.output.split("C999999")[0].split("Ошибка:")[-1]  # names the unknown ID only
    assert digest(workbook) == before


def test_cli_warns_about_backups_and_does_nothing_twice(workbook: Path) -> None:
    run = CliRunner().invoke(cli, ["forget", str(workbook), CLIENT, "--today", "2026-11-23"])

    assert run.exit_code == 0, run.output
    assert "удалены данные C000018" in run.output
    assert "--include-backups" in run.output and "Предупреждение" in run.output
    # each backup holding the data, and the copy of xlcrm's last save (erased)
    assert run.output.count("\n  Резервная копия") == len(backups(workbook)) + 1
    assert not (workbook.parent / BACKUP_FOLDER / BACKUP_FOLDER).exists()

    saved = digest(workbook)
    again = CliRunner().invoke(cli, ["forget", str(workbook), CLIENT, "--json"])

    assert again.exit_code == 0
    answer = json.loads(again.output)
    assert answer["already_erased"] == [CLIENT] and answer["client_ids"] == [] and answer["save"] is None
    assert len(answer["backups"]) == len(backups(workbook))  # the backups still hold the data: said again
    assert digest(workbook) == saved


def test_cli_json_matches_the_library(workbook: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "clients.xlsx"
    copy.parent.mkdir()
    shutil.copy(workbook, copy)
    with speaking("ru"):  # the workbook's language, which the command speaks
        library = forget_clients(copy, [CLIENT], today=TODAY, dry_run=True).to_dict()

    run = CliRunner().invoke(cli, ["forget", str(copy), CLIENT, "--dry-run", "--json", "--today", "2026-11-23"])

    assert run.exit_code == 0, run.output
    assert json.loads(run.output) == json.loads(json.dumps(library, default=str))


def test_notes_own_sheets_and_own_columns_lose_the_data_and_nothing_else(workbook: Path) -> None:
    name, _, _, phone = person_values(workbook, CLIENT)
    book = openpyxl.load_workbook(workbook)
    clients = book["Клиенты"]
    row = next(cell.row for cell in clients["A"] if cell.value == CLIENT)
    passport = clients.cell(1, clients.max_column + 1, "Паспорт").column_letter
    clients[f"{passport}{row}"] = "4510 123456"
    clients[f"{passport}2"] = "4511 654321"
    book["Взаимодействия"]["A2"].comment = Comment(f"Перезвонить на {phone}", "Анна")
    book["Настройки"]["A1"].comment = Comment("Общая заметка", "Анна")
    notes = book.create_sheet("Мои заметки")
    notes["B2"] = f"Встреча: {name}"
    notes["B3"] = "ничего личного"
    book.save(workbook)

    result = forget_clients(workbook, [CLIENT], today=TODAY)

    assert not result.left
    places = {str(place) for place in result.places}
    assert {"Мои заметки!B2", f"Клиенты!{passport}{row}"} <= places
    assert any(place.startswith("xl/comments") for place in places)
    saved = openpyxl.load_workbook(workbook)
    assert saved["Мои заметки"]["B2"].value is None and saved["Мои заметки"]["B3"].value == "ничего личного"
    assert saved["Клиенты"][f"{passport}{row}"].value is None
    assert saved["Клиенты"][f"{passport}2"].value == "4511 654321"
    assert saved["Настройки"]["A1"].comment.text == "Общая заметка"
    assert phone not in (saved["Взаимодействия"]["A2"].comment or Comment("", "")).text
    assert found_in_package(workbook, [name, phone]) == []


def test_a_password_protected_workbook_and_its_backups_are_erased_and_stay_protected(workbook: Path) -> None:
    values = person_values(workbook, CLIENT)
    protected = workbook.with_name("protected.xlsx")
    encrypt(workbook, protected, "секрет")
    refresh_workbook(protected, today=TODAY, password="секрет")  # a protected backup of it

    result = forget_clients(protected, [CLIENT], today=TODAY, include_backups=True, password="секрет")

    assert result.complete
    copies = [protected, *(workbook.parent / BACKUP_FOLDER).glob("protected.*.xlsx")]
    assert len(copies) == 2
    for copy in copies:
        assert is_encrypted(copy)
        plain = copy.with_suffix(".plain.xlsx")
        plain.write_bytes(decrypt(copy, "секрет"))
        assert found_in_package(plain, values) == []


def test_data_xlcrm_cannot_erase_is_named_and_the_command_exits_1(workbook: Path) -> None:
    name = person_values(workbook, CLIENT)[0]
    with zipfile.ZipFile(workbook, "a") as archive:  # a pivot table's cached copy of the Clients rows
        archive.writestr(
            "xl/pivotCache/pivotCacheRecords1.xml", f'<pivotCacheRecords><r><s v="{name}"/></r></pivotCacheRecords>'
        )

    run = CliRunner().invoke(cli, ["forget", str(workbook), CLIENT, "--today", "2026-11-23"])

    assert run.exit_code == 1
    assert "удалены данные C000018" in run.output  # the rest was erased and saved
    assert "Ошибка: данные всё ещё есть в" in run.output and "xl/pivotCache/pivotCacheRecords1.xml (1)" in run.output
    assert found_in_package(workbook, [name]) == [f"xl/pivotCache/pivotCacheRecords1.xml: {name}"]


def test_the_copy_xlcrm_compares_with_is_erased_without_being_asked(workbook: Path) -> None:
    values = person_values(workbook, CLIENT)
    last_saved = workbook.parent / BACKUP_FOLDER / "clients.last-saved.xlsx"
    shutil.copy(workbook, last_saved)
    timestamped = {path: digest(path) for path in backups(workbook) if path != last_saved}

    result = forget_clients(workbook, [CLIENT], today=TODAY)

    assert found_in_package(last_saved, values) == []
    assert {path: digest(path) for path in timestamped} == timestamped
    assert {backup.path: backup.action for backup in result.backups} == {
        last_saved: REWRITTEN,
        **{path: HOLDS for path in timestamped},
    }


def test_a_backup_that_cannot_be_read_is_listed_then_deleted(workbook: Path) -> None:
    damaged = workbook.parent / BACKUP_FOLDER / "clients.2026-01-01T00-00-00.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not a whole workbook")

    listed = CliRunner().invoke(cli, ["forget", str(workbook), CLIENT, "--dry-run"])

    assert listed.exit_code == 0 and damaged.exists()
    assert f"Резервная копия {damaged}: не удалось проверить" in listed.output

    result = forget_clients(workbook, [CLIENT], today=TODAY, include_backups=True)

    assert not damaged.exists()
    assert [(backup.path, backup.action) for backup in result.backups if backup.problem] == [(damaged, DELETED)]
    assert result.complete


def _client_row(sheet: openpyxl.worksheet.worksheet.Worksheet, client_id: str) -> int:
    return next(cell.row for cell in sheet["A"] if cell.value == client_id)


def test_other_peoples_cells_that_only_resemble_the_persons_values_are_kept(workbook: Path) -> None:
    """The person's address is the start of another client's («… д. 1» of «… д. 147»), a third client lives at the
    same address in a longer form, and one of the person's contacts is typed with a first name only, the first name
    of a manager: none of those cells is the person's, and none is cleared."""
    book = openpyxl.load_workbook(workbook)
    clients, contacts = book["Клиенты"], book["Контакты"]
    header = [cell.value for cell in clients[1]]
    address, manager = header.index("Адрес") + 1, header.index("Менеджер") + 1
    row = _client_row(clients, CLIENT)
    clients.cell(row, address, "ул. Октябрьская, д. 1")
    neighbour, same_house = _client_row(clients, "C000020"), _client_row(clients, "C000021")
    clients.cell(neighbour, address, "г. Тула, ул. Октябрьская, д. 147")
    clients.cell(same_house, address, "г. Тула, ул. Октябрьская, д. 1")
    first_name = str(clients.cell(row, manager).value).split()[0]
    contacts.append([CLIENT, first_name])
    book.save(workbook)
    before = _other_peoples_rows(workbook)

    result = forget_clients(workbook, [CLIENT], today=TODAY)

    assert not result.left  # nothing of the person left in the workbook (its backups are another matter)
    saved = openpyxl.load_workbook(workbook)
    assert saved["Клиенты"].cell(row, address).value is None
    assert saved["Клиенты"].cell(neighbour, address).value == "г. Тула, ул. Октябрьская, д. 147"
    assert saved["Клиенты"].cell(same_house, address).value == "г. Тула, ул. Октябрьская, д. 1"
    managers = [saved["Клиенты"].cell(line, manager).value for line in range(2, saved["Клиенты"].max_row + 1)]
    assert sum(1 for name in managers if str(name).startswith(first_name)) > 1
    assert _other_peoples_rows(workbook) == before


def _other_peoples_rows(path: Path) -> dict[str, list[list[object]]]:
    """Settings, and the rows of Interactions and Contracts that are not the person's (theirs lose their free text)."""
    book = openpyxl.load_workbook(path)
    return {
        title: [[cell.value for cell in line] for line in book[title].iter_rows() if line[1].value != CLIENT]
        for title in ("Взаимодействия", "Настройки", "Договоры")
        if title in book.sheetnames
    }


def test_a_client_id_on_two_rows_is_refused_with_the_file_untouched(workbook: Path) -> None:
    """Two rows sharing a ClientID may be two people: xlcrm cannot tell which one asked, so it erases neither."""
    book = openpyxl.load_workbook(workbook)
    clients = book["Клиенты"]
    clients.cell(_client_row(clients, "C000020"), 1, CLIENT)
    book.save(workbook)
    before = digest(workbook)

    run = CliRunner().invoke(cli, ["forget", str(workbook), CLIENT, "--today", "2026-11-23"])

    assert run.exit_code == 1
    first, second = sorted(cell.row for cell in clients["A"] if cell.value == CLIENT)
    assert run.output == (
        f"Ошибка: ID клиента {CLIENT} стоит в строках {first}, {second} листа «Клиенты»: какого из них забыть? Дайте "
        "другим строкам собственные ID или очистите их; ничего не изменено\n"
    )
    assert digest(workbook) == before


def test_a_dropdown_cell_or_list_item_that_mentions_the_person_is_cleared_a_coinciding_list_value_is_kept(
    workbook: Path,
) -> None:
    """Another client's Source typed as free text with the person's phone, and a Sources item of Settings naming them,
    are the person's data: cleared. A contact of the person named exactly like a manager leaves that manager's name
    on Settings and in every Manager cell: a list value that coincides with a value of theirs is the business's."""
    name, _, _, phone = person_values(workbook, CLIENT)
    book = openpyxl.load_workbook(workbook)
    clients, settings = book["Клиенты"], book["Настройки"]
    header = [cell.value for cell in clients[1]]
    source, manager = header.index("Источник") + 1, header.index("Менеджер") + 1
    other = _client_row(clients, "C000020")
    clients.cell(other, source, f"Рекомендация {name}, {phone}")
    settings_header = [cell.value for cell in settings[1]]
    sources_column = settings_header.index("Источники") + 1
    list_row = next(row for row in range(2, settings.max_row + 2) if settings.cell(row, sources_column).value is None)
    settings.cell(list_row, sources_column, f"От {name}")
    a_manager = str(clients.cell(other, manager).value)
    book["Контакты"].append([CLIENT, a_manager])
    book.save(workbook)

    result = forget_clients(workbook, [CLIENT], today=TODAY)

    assert not result.left
    saved = openpyxl.load_workbook(workbook)
    assert saved["Клиенты"].cell(other, source).value is None
    assert saved["Настройки"].cell(list_row, sources_column).value is None
    assert saved["Клиенты"].cell(other, manager).value == a_manager
    managers = [cell.value for row in saved["Настройки"].iter_rows() for cell in row]
    assert a_manager in managers


def test_report_rows_of_the_erased_client_go_even_when_its_name_is_one_word(workbook: Path) -> None:
    """A client typed by surname alone: the surname is looked for only as a whole cell, but every report sheet that
    shows the client's ClientID is rebuilt or removed, so ABC and the Agenda no longer show it."""
    book = openpyxl.load_workbook(workbook)
    clients = book["Клиенты"]
    clients.cell(_client_row(clients, CLIENT), 2, "Князев")
    book.save(workbook)
    refresh_workbook(workbook, today=TODAY)

    result = forget_clients(workbook, [CLIENT], today=TODAY)

    assert not result.left
    saved = openpyxl.load_workbook(workbook, read_only=True)
    for sheet in saved.worksheets:
        if sheet.title.startswith("▸") and sheet.title != "▸ Журнал удалений":
            cells = [str(value) for row in sheet.iter_rows(values_only=True) for value in row if value is not None]
            assert "Князев" not in cells, sheet.title
