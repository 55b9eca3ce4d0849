"""The Decision column of ▸ Duplicates: a dropdown in the workbook's language, and a value xlcrm does not understand
kept as typed, the pair left as it was, and the cell reported by validate, refresh and dedupe."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from tests.builders import settings_records, write_records
from tests.conftest import convert_with_libreoffice
from tests.dedupe.test_unmerge import cells, client, user_sheets
from xlcrm import schema
from xlcrm.checks.findings import Code, Severity
from xlcrm.cli.main import cli
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.dedupe import dedupe_workbook
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render

TODAY = "2026-11-23"
TYPO = "обьединить"
PAIR = {"C000004", "C000005"}


@pytest.fixture(params=["ru", "en"])
def book(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Romashka typed twice (rows 2 and 4: merged without asking), a probable pair (rows 5 and 6: for review)."""
    return write_book(tmp_path, request.param)


def write_book(folder: Path, locale: str, *more: dict[str, object]) -> Path:
    """The workbook of ``book`` in ``locale``, with ``more`` clients after its five."""
    manager = "Анна" if locale == "ru" else "Anna"
    clients = [
        client(1, "Иван Петров", 'ООО "Ромашка"', phone="8 (916) 123-45-67", city="Москва", inn="7707083893"),
        client(
            2,
            "Olga Sidorova",
            None,
            phone="+7 495 123-45-67",
            email="olga@example.com",
            consent_date=dt.date(2024, 1, 2),
        ),
        client(3, "Ivan Petrov", "Romashka LLC", phone="+79161234567", email="ivan@romashka.ru"),
        client(4, "Сергей Кузнецов", "ООО «Техносфера»", phone="+7 916 111-22-33", city="Самара"),
        client(5, "Кузнецов Сергей", "Техносфера", phone="+7 903 444-55-66", city="Самара"),
        *more,
    ]
    for record in clients:
        record["manager"] = manager
    interactions = [
        {
            "date": dt.date(2026, 3, 1),
            "client_id": "C000003",
            "type": schema.ORDER.name(locale),
            "amount": 5000,
            "manager": manager,
        }
    ]
    records = {
        schema.CLIENTS.key: clients,
        schema.CONTACTS.key: [],
        schema.SERVICES.key: [],
        schema.INTERACTIONS.key: interactions,
        schema.SETTINGS.key: settings_records(locale, {"managers": [manager]}),
    }
    return write_records(folder / f"clients-{locale}.xlsx", locale, records)


def locale_of(path: Path) -> str:
    return "ru" if path.stem.endswith("ru") else "en"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--keep-backups", "0"] if args[0] != "validate" else list(args))


def decision_cell(path: Path, ids: set[str], table: int = 0) -> str:
    """The reference of the Decision cell of a pair, in the pairs table (0) or the Kept apart table (1)."""
    locale = locale_of(path)
    sheet = openpyxl.load_workbook(path)[schema.DUPLICATES.name(locale)]
    decision, id_a, id_b = (schema.dedupe_label(key, locale) for key in ("decision", "id_a", "id_b"))
    headers = [row for row in sheet.iter_rows() if row[0].value == decision]
    header = [cell.value for cell in headers[table]]
    for row in sheet.iter_rows(min_row=headers[table][0].row + 1):
        if not any(cell.value for cell in row):
            break
        if {row[header.index(id_a)].value, row[header.index(id_b)].value} == ids:
            return str(row[0].coordinate)
    raise AssertionError(f"pair {ids} not in table {table}")


def type_into(path: Path, ref: str, value: object) -> None:
    """Type a value into a cell of ▸ Duplicates, as a user does in Excel."""
    book = openpyxl.load_workbook(path)
    book[schema.DUPLICATES.name(locale_of(path))][ref] = value
    book.save(path)


def duplicates_value(path: Path, ref: str) -> object:
    return openpyxl.load_workbook(path)[schema.DUPLICATES.name(locale_of(path))][ref].value


def quoted(path: Path, ref: str) -> str:
    return f"'{schema.DUPLICATES.name(locale_of(path))}'!{ref}"


def accepted(locale: str) -> str:
    return f"{schema.MERGE_DECISION.name(locale)} or {schema.KEEP_APART.name(locale)}"


def not_understood(locale: str, outcome: str) -> str:
    """The unknown-decision finding as the workbook's Problems sheet writes it, ``outcome`` in English ("stays open for
    review", "stays kept apart")."""
    pair = "C000004 / C000005"
    if locale == "en":
        return f"Decision not understood: type {accepted(locale)}; until then the pair {pair} {outcome}"
    russian = {"stays open for review": "остаётся на проверке", "stays kept apart": "по-прежнему не объединяется"}
    return (
        "значение в столбце «Решение» не распознано: введите «объединить» или «не объединять»; до тех пор пара "
        f"{pair} {russian[outcome]}"
    )


# --- the dropdown ---------------------------------------------------------------------------------


def test_decision_column_has_a_dropdown_in_the_workbooks_language(book: Path) -> None:
    locale = locale_of(book)
    assert run("refresh", str(book), "--today", TODAY).exit_code == 0
    ref = decision_cell(book, PAIR)
    sheet = openpyxl.load_workbook(book)[schema.DUPLICATES.name(locale)]
    [rule] = sheet.data_validations.dataValidation
    assert rule.type == "list"
    assert rule.formula1 == f'"{schema.MERGE_DECISION.name(locale)},{schema.KEEP_APART.name(locale)}"'
    assert str(rule.sqref) == ref  # the pairs table's one Decision cell
    # A value not in the list gets a warning the user may accept, never a refusal: xlcrm keeps and reports it.
    assert rule.errorStyle == "warning" and rule.showErrorMessage and rule.allow_blank
    assert rule.errorTitle == schema.dedupe_label("decision_error_title", locale)
    assert schema.PROBLEMS.name(locale) in rule.error and schema.KEEP_APART.name(locale) in rule.error
    assert not rule.showDropDown  # (which, in OOXML, would hide the arrow)


def test_kept_apart_table_has_the_dropdown_too_and_the_xml_order_is_the_schemas(book: Path) -> None:
    locale = locale_of(book)
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    type_into(book, decision_cell(book, PAIR), schema.KEEP_APART.name(locale))
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    kept = decision_cell(book, PAIR, table=1)
    sheet = openpyxl.load_workbook(book)[schema.DUPLICATES.name(locale)]
    assert [str(rule.sqref) for rule in sheet.data_validations.dataValidation] == [kept]  # no pairs left
    with zipfile.ZipFile(book) as package:
        names = [name for name in package.namelist() if name.startswith("xl/worksheets/sheet")]
        xml = next(text for name in names if "<dataValidations" in (text := package.read(name).decode("utf-8")))
    order = [re.search(f"<{tag}[ >/]", xml) for tag in ("sheetData", "autoFilter", "dataValidations", "pageMargins")]
    assert all(order) and [m.start() for m in order if m] == sorted(m.start() for m in order if m)


def test_no_dropdown_without_a_cell_to_choose_for(book: Path) -> None:
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    type_into(book, decision_cell(book, PAIR), schema.MERGE_DECISION.name(locale_of(book)))
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))  # merged: no pair to review, none kept apart
    sheet = openpyxl.load_workbook(book)[schema.DUPLICATES.name(locale_of(book))]
    assert not sheet.data_validations.dataValidation


@pytest.mark.libreoffice
@pytest.mark.parametrize("book", ["ru"], indirect=True)
def test_libreoffice_keeps_the_dropdown(book: Path, tmp_path: Path) -> None:
    assert run("refresh", str(book), "--today", TODAY).exit_code == 0
    ods = convert_with_libreoffice(book, "ods", tmp_path / "lo")
    with zipfile.ZipFile(ods) as package:
        content = package.read("content.xml").decode("utf-8")
    assert 'table:condition="of:cell-content-is-in-list(&quot;объединить&quot;;&quot;не объединять&quot;)"' in content
    assert 'table:message-type="warning"' in content
    # The Decision cell carries the validation.
    assert re.search(r'<table:table-cell[^>]*table:content-validation-name="val1"', content)


# --- a value not understood -------------------------------------------------------------------------


def test_mistyped_decision_is_kept_reported_and_the_pair_stays_open(book: Path) -> None:
    locale = locale_of(book)
    assert run("refresh", str(book), "--today", TODAY).exit_code == 0
    ref = decision_cell(book, PAIR)
    type_into(book, ref, TYPO)
    users = user_sheets(book)

    checked = run("validate", str(book), "--today", TODAY, "--json")
    assert checked.exit_code == 0, checked.output  # a warning: the workbook can still be trusted
    [finding] = json.loads(checked.output)["findings"]
    message = not_understood(locale, "stays open for review")  # the run speaks the workbook's language
    assert finding == {
        "severity": "warning",
        "code": "unknown-decision",
        "sheet": schema.DUPLICATES.name(locale),
        "cell": quoted(book, ref),
        "value": TYPO,
        "message": message,
    }
    warning = f'{"Warning" if locale == "en" else "Предупреждение"}: {quoted(book, ref)} "{TYPO}": {message}'
    if locale == "en":
        left, review = "0 errors and 1 warning, listed on ▸ Problems", "1 probable duplicate pair to review"
    else:
        left = "0 ошибок и 1 предупреждение, список — на листе «▸ Проблемы»"
        review = "На проверку на листе «▸ Дубли»: 1 пара вероятных дублей; "

    for _ in range(2):  # kept through two refreshes
        result = run("refresh", str(book), "--today", TODAY)
        assert result.exit_code == 0, result.output
        assert warning in result.output.splitlines()
        assert left in result.output.splitlines()
        assert review in result.output
        assert decision_cell(book, PAIR) == ref and duplicates_value(book, ref) == TYPO
        problems = cells(book)[schema.PROBLEMS.name(locale)]
        assert [row[:6] for row in problems if row[5] == "unknown-decision"] == [
            [
                schema.label("warning", locale),
                schema.DUPLICATES.name(locale),
                quoted(book, ref),
                TYPO,
                not_understood(locale, "stays open for review"),
                "unknown-decision",
            ]
        ]
        # Nothing else changed on the user's sheets but the computed columns refresh owns.
        after = user_sheets(book)
        clients = schema.CLIENTS.name(locale)
        width = len(users[clients][0])
        assert [row[:width] for row in after[clients]] == users[clients]
        assert {k: v for k, v in after.items() if k != clients} == {k: v for k, v in users.items() if k != clients}

    payload = json.loads(run("refresh", str(book), "--today", TODAY, "--json").output)
    assert [f["cell"] for f in payload["unknown_decisions"]] == [quoted(book, ref)]
    assert payload["merged_clients"] == 0 and payload["review_pairs"] == 1

    deduped = run("dedupe", str(book), "--json")
    assert deduped.exit_code == 0, deduped.output
    payload = json.loads(deduped.output)
    assert [(f["code"], f["cell"], f["value"]) for f in payload["unknown_decisions"]] == [
        ("unknown-decision", quoted(book, ref), TYPO)
    ]
    assert not payload["merges"] and [set(pair["client_ids"]) for pair in payload["review"]] == [PAIR]
    human = run("dedupe", str(book))
    assert warning in human.output.splitlines()
    assert duplicates_value(book, ref) == TYPO

    # Corrected, the decision is applied.
    type_into(book, ref, schema.MERGE_DECISION.name(locale))
    result = refresh_workbook(book, today=dt.date(2026, 11, 23), save=SaveOptions(keep_backups=0))
    assert result.merged_clients == 1 and not result.unknown_decisions and result.warnings == 0


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_a_decision_moved_up_by_a_merge_is_reported_where_it_is_written(tmp_path: Path, locale: str) -> None:
    """Two pairs to review: the first merged by its Decision, the second's mistyped Decision moves up a row with it,
    and every report names the cell it is in once saved."""
    second_pair = {"C000006", "C000007"}
    book = write_book(
        tmp_path,
        locale,
        client(6, "Анна Смирнова", "ООО «Вектор»", phone="+7 916 222-33-44", city="Казань"),
        client(7, "Смирнова Анна", "Вектор", phone="+7 903 777-88-99", city="Казань"),
    )
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    first, typed = decision_cell(book, PAIR), decision_cell(book, second_pair)
    assert (first, typed) == ("A5", "A6")
    type_into(book, first, schema.MERGE_DECISION.name(locale))
    type_into(book, typed, 42)  # a number typed: kept as a number
    result = refresh_workbook(book, today=dt.date(2026, 11, 23), save=SaveOptions(keep_backups=0))
    assert result.merged_clients == 1 and result.review_pairs == 1
    [finding] = result.unknown_decisions
    assert (finding.severity, finding.code, finding.value) == (Severity.WARNING, Code.UNKNOWN_DECISION, "42")
    assert decision_cell(book, second_pair) == "A5" and finding.cell == quoted(book, "A5")
    assert duplicates_value(book, "A5") == 42
    problems = cells(book)[schema.PROBLEMS.name(locale)]
    assert [row[2] for row in problems if row[5] == "unknown-decision"] == [finding.cell]
    assert [f.cell for f in validate_workbook(book).findings if f.code is Code.UNKNOWN_DECISION] == [finding.cell]


def test_mistyped_decision_in_the_kept_apart_table_keeps_the_pair_apart(book: Path) -> None:
    locale = locale_of(book)
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    type_into(book, decision_cell(book, PAIR), schema.KEEP_APART.name(locale))
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    kept = decision_cell(book, PAIR, table=1)
    type_into(book, kept, TYPO)
    for _ in range(2):
        result = dedupe_workbook(book, save=SaveOptions(keep_backups=0))
        assert not result.review and not result.merges and result.kept_apart == 1  # still kept apart
        [finding] = result.unknown_decisions
        assert finding.cell == quoted(book, kept) and finding.value == TYPO
        assert render(finding.message, locale) == not_understood(locale, "stays kept apart")
        assert decision_cell(book, PAIR, table=1) == kept and duplicates_value(book, kept) == TYPO
    assert [f.cell for f in validate_workbook(book).findings] == [quoted(book, kept)]
