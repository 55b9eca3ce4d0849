"""The rules of the Contracts sheet, each at its boundary: repeated and blank ContractIDs, annexes and their
contracts, terms in the wrong order, overlapping contracts in force; through ``xlcrm validate``, the library and
the Problems sheet of a refresh, in both languages. A workbook without the sheet has none of these findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.builders import valid_records, write_records
from tests.checks.test_validate import TODAY, Edit, build, check_single_finding, run
from xlcrm import schema
from xlcrm.checks.findings import Code, Finding
from xlcrm.create.template import build_workbook
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render

D = dt.date
# Every row a contract of valid_records' first client, on one subject, in force: tests change what they test.
BASE = {"client_id": "C000001", "subject": "Cleaning", "amount": 120000}


def contracts(*rows: dict[str, object]) -> Edit:
    """The Contracts sheet with these rows (Excel rows 2, 3, …), each over ``BASE``."""

    def edit(records: dict[str, list[dict[str, object]]]) -> None:
        records[schema.CONTRACTS.key] = [{**BASE, **row} for row in rows]

    return edit


def term(contract_id: str, start: dt.date | None, end: dt.date | None, **more: object) -> dict[str, object]:
    return {"contract_id": contract_id, "valid_from": start, "valid_until": end, **more}


def findings(path: Path) -> list[Finding]:
    return validate_workbook(path, today=TODAY).findings


def codes(tmp_path: Path, *rows: dict[str, object], name: str = "clients.xlsx") -> list[tuple[str, str]]:
    """(code, cell) of every finding of a workbook whose Contracts sheet has these rows."""
    return [(f.code.value, f.cell) for f in findings(build(tmp_path, [contracts(*rows)], name=name))]


def check_russian_finding(path: Path, cell: str, code: Code, value: str, message: str) -> None:
    """The Russian workbook's single finding, as the library gives it and ``xlcrm validate`` prints it in the
    workbook's language; the file is left alone."""
    before = path.read_bytes()
    [finding] = findings(path)
    assert (finding.cell, finding.code, finding.value, render(finding.message, "ru")) == (cell, code, value, message)
    result = run(path)
    assert result.output.splitlines()[0].endswith(f'{cell}  {code.value}  "{value}"  {message}')
    assert result.exit_code == (1 if finding.severity.value == "error" else 0)
    assert path.read_bytes() == before


def test_contracts_and_annexes_filled_in_properly_have_no_finding(tmp_path: Path) -> None:
    rows = [
        term("D-1", D(2025, 1, 1), D(2025, 12, 31), number="12/25", date=D(2024, 12, 20), status="Active"),
        term("D-1/1", D(2025, 3, 1), D(2025, 12, 31), parent_id="D-1", comment="Price up"),
        term("D-1/1/a", D(2025, 6, 1), D(2025, 12, 31), parent_id="D-1/1"),  # an annex of an annex: one family
        term("D-2", D(2026, 1, 1), D(2026, 12, 31), status=None),  # the next year's, blank status: in force
        term("D-3", D(2025, 5, 1), D(2026, 4, 30), client_id="C000002"),  # another client
        term("D-4", D(2025, 5, 1), D(2026, 4, 30), subject="Windows"),  # another subject
        term("D-5", D(2025, 2, 1), D(2025, 2, 1), status="Closed"),  # one day, and closed
        term("D-6", D(2025, 2, 1), D(2025, 8, 1), status="Draft"),
        {"contract_id": "D-7", "date": D(2025, 4, 1)},  # no term stated: compared with none
    ]
    assert codes(tmp_path, *rows) == []


def test_a_contractid_on_two_rows_is_an_error_on_the_later_naming_the_first(tmp_path: Path) -> None:
    path = build(tmp_path, [contracts({"contract_id": "D-1"}, {"contract_id": "D-2"}, {"contract_id": " D-1 "})])
    check_single_finding(
        path,
        'error   Contracts!A4  duplicate-contract-id  "D-1"  ContractID D-1 is already on row 2 (Contracts!A2); '
        "give each contract and annex its own ContractID, so that an annex names one contract",
    )


def test_a_repeated_contractid_in_russian(tmp_path: Path) -> None:
    check_russian_finding(
        build(tmp_path, [contracts({"contract_id": 7}, {"contract_id": "7"})], locale="ru"),
        "Договоры!A3",
        Code.DUPLICATE_CONTRACT_ID,
        "7",
        "ID договора 7 уже есть в строке 2 (Договоры!A2); дайте каждому договору и приложению свой ID договора, "
        "чтобы приложение указывало на один договор",
    )


def test_a_filled_row_without_contractid_or_clientid_is_an_error(tmp_path: Path) -> None:
    check_single_finding(
        build(tmp_path, [contracts({"contract_id": None})]),
        "error   Contracts!A2  missing-value  ContractID is blank; give every contract and annex its own ID, such as "
        "D-001",
    )
    check_single_finding(
        build(tmp_path, [contracts({"contract_id": "D-1", "client_id": None})], name="no-client.xlsx"),
        "error   Contracts!B2  missing-value  ClientID is blank; the contract belongs to no client",
    )


def test_a_clientid_of_no_client_is_an_error(tmp_path: Path) -> None:
    check_single_finding(
        build(tmp_path, [contracts({"contract_id": "D-1", "client_id": "C000404"})]),
        'error   Contracts!B2  unknown-client  "C000404"  no client with ClientID C000404 on Clients',
    )


def test_an_annex_of_a_contract_no_row_has_is_an_error(tmp_path: Path) -> None:
    check_single_finding(
        build(tmp_path, [contracts({"contract_id": "D-1"}, {"contract_id": "D-1/1", "parent_id": "D-01"})]),
        'error   Contracts!I3  unknown-parent-contract  "D-01"  no row of this sheet has ContractID D-01: Parent '
        "contract names the contract this annex belongs to",
    )


def test_an_annex_of_itself_is_an_error(tmp_path: Path) -> None:
    path = build(tmp_path, [contracts({"contract_id": "Д-1", "parent_id": "Д-1"})], locale="ru")
    check_russian_finding(
        path,
        "Договоры!I2",
        Code.ANNEX_OF_ITSELF,
        "Д-1",
        "строка указывает в графе «Основной договор» собственный ID договора: приложение указывает там свой "
        "договор, а у договора эта графа пуста",
    )
    [finding] = findings(path)
    # In English (``--lang en``) the columns keep the workbook's names, as they head the sheet.
    assert render(finding.message, "en") == (
        "the row names its own ID договора in Основной договор: an annex names its contract there, a contract "
        "leaves it blank"
    )


def test_an_annex_of_another_clients_contract_is_a_warning(tmp_path: Path) -> None:
    rows = ({"contract_id": "D-1"}, {"contract_id": "D-1/1", "parent_id": "D-1", "client_id": "C000002"})
    check_single_finding(
        build(tmp_path, [contracts(*rows)]),
        'warning Contracts!I3  annex-of-other-client  "D-1"  contract D-1 (Contracts!A2) is of ClientID C000001, '
        "this annex of C000002: an annex belongs to the client of its contract; check the ClientID of both rows",
    )


def test_valid_until_a_day_before_valid_from_is_an_error_and_the_same_day_is_fine(tmp_path: Path) -> None:
    check_single_finding(
        build(tmp_path, [contracts(term("D-1", D(2025, 3, 1), D(2025, 2, 28)))]),
        'error   Contracts!H2  term-ends-before-start  "2025-02-28"  Valid until 28 February 2025 is before Valid '
        "from 1 March 2025 of the same row: the term ends before it begins; check the day, month and year",
    )
    assert codes(tmp_path, term("D-1", D(2025, 3, 1), D(2025, 3, 1)), name="one-day.xlsx") == []


def test_a_reversed_term_in_russian_typed_as_text(tmp_path: Path) -> None:
    path = build(tmp_path, [contracts(term("Д-1", D(2025, 3, 1), D(2025, 2, 28)))], locale="ru")
    [finding] = findings(path)
    assert render(finding.message, "ru") == (
        "дата в графе «Действует до» (28 февраля 2025) раньше даты в графе «Действует с» этой же строки "
        "(1 марта 2025): срок кончается раньше, чем начинается; проверьте день, месяц и год"
    )
    path = build(tmp_path, [contracts(term("Д-1", "01.03.2025", "28.02.2025"))], locale="ru", name="text.xlsx")
    assert [(f.code, f.cell) for f in findings(path)] == [
        (Code.TEXT_DATE, "Договоры!G2"),
        (Code.TERM_ENDS_BEFORE_START, "Договоры!H2"),
        (Code.TEXT_DATE, "Договоры!H2"),
    ]


def test_terms_touching_on_one_day_overlap_and_a_day_apart_do_not(tmp_path: Path) -> None:
    first = term("D-1", D(2025, 1, 1), D(2025, 6, 10))
    check_single_finding(
        build(tmp_path, [contracts(first, term("D-2", D(2025, 6, 10), D(2025, 12, 31)))]),
        'warning Contracts!E3  overlapping-contracts  "Cleaning"  the term 10 June 2025 to 31 December 2025 '
        "overlaps the term 1 January 2025 to 10 June 2025 of contract D-1 (Contracts!A2) of the same client and "
        "Subject, and both count as Active: close the earlier contract or correct the dates",
    )
    assert codes(tmp_path, first, term("D-2", D(2025, 6, 11), D(2025, 12, 31)), name="next-day.xlsx") == []


def test_overlapping_contracts_in_russian_with_subjects_told_apart_by_case_and_spaces_only(tmp_path: Path) -> None:
    rows = (
        term("Д-2", D(2025, 6, 1), None, subject="поставка  бумаги"),  # the later term on the earlier row
        term("Д-1", D(2025, 1, 1), D(2025, 6, 1), subject="Поставка бумаги", status="Действует"),
    )
    path = build(tmp_path, [contracts(*rows)], locale="ru")
    check_russian_finding(
        path,
        "Договоры!E2",
        Code.OVERLAPPING_CONTRACTS,
        "поставка  бумаги",
        "срок с 1 июня 2025 пересекается со сроком с 1 января 2025 по 1 июня 2025 договора Д-1 (Договоры!A3) того "
        "же клиента с тем же значением «Предмет», и оба учитываются как «Действует»: закройте более ранний договор "
        "или исправьте даты",
    )
    [finding] = findings(path)
    assert render(finding.message, "en").startswith("the term from 1 June 2025 overlaps the term 1 January 2025 to")


@pytest.mark.parametrize(
    ("second", "overlaps"),
    [
        (term("D-2", None, D(2025, 1, 1)), True),  # no beginning: open back to the first's first day
        (term("D-2", None, D(2024, 12, 31)), False),
        (term("D-2", D(2025, 12, 31), None), True),  # no end
        (term("D-2", None, D(2025, 12, 31), date=D(2026, 1, 1)), False),  # begins on its Date, after the first
        (term("D-2", None, D(2026, 3, 1), date=D(2025, 12, 31)), True),
        (term("D-2", D(2025, 3, 1), D(2025, 4, 1), status="Closed"), False),
        (term("D-2", D(2025, 3, 1), D(2025, 4, 1), status="Signed"), False),  # not a status: reported, not counted
        (term("D-2", D(2025, 3, 1), D(2025, 4, 1), subject=None), False),
        (term("D-2", D(2025, 3, 1), D(2025, 4, 1), parent_id="D-1"), False),  # an annex amends its contract
        (term(None, D(2025, 3, 1), D(2025, 4, 1), parent_id="D-1"), False),  # an annex without ID
        (term(None, D(2025, 3, 1), D(2025, 4, 1)), True),  # a contract without ID
    ],
)
def test_which_terms_overlap(tmp_path: Path, second: dict[str, object], overlaps: bool) -> None:
    found = {code for code, _ in codes(tmp_path, term("D-1", D(2025, 1, 1), D(2025, 12, 31)), second)}
    assert (Code.OVERLAPPING_CONTRACTS.value in found) is overlaps


def test_annexes_of_one_contract_do_not_overlap_each_other_but_another_contract_does(tmp_path: Path) -> None:
    rows = (
        term("D-1", D(2025, 1, 1), D(2025, 12, 31)),
        term("D-1/1", D(2025, 2, 1), D(2025, 12, 31), parent_id="D-1"),
        term("D-1/2", D(2025, 3, 1), D(2025, 12, 31), parent_id="D-1"),
        term("D-9", D(2025, 4, 1), D(2025, 5, 1)),
    )
    assert codes(tmp_path, *rows) == [("overlapping-contracts", "Contracts!E5")]
    # Annexes naming each other in a loop are still one family, whichever row comes first: no overlap, only the
    # loop itself at each of them.
    looped = (
        term("D-1", D(2025, 1, 1), D(2025, 12, 31), parent_id="D-2"),
        term("D-2", D(2025, 2, 1), None, parent_id="D-1"),
    )
    loop = "unknown-parent-contract"
    assert codes(tmp_path, *looped, name="loop.xlsx") == [(loop, "Contracts!I2"), (loop, "Contracts!I3")]


def test_a_status_not_in_the_list_is_a_warning(tmp_path: Path) -> None:
    check_russian_finding(
        build(tmp_path, [contracts({"contract_id": "Д-1", "status": "Подписан"})], locale="ru"),
        "Договоры!J2",
        Code.NOT_IN_LIST,
        "Подписан",
        "выберите одно из значений: Проект, Действует, Закрыт",
    )


def test_dates_and_amounts_get_the_checks_of_every_sheet(tmp_path: Path) -> None:
    row = {"contract_id": "D-1", "date": "soon", "amount": -1, "valid_until": 45000.5}
    assert codes(tmp_path, row) == [
        ("bad-date", "Contracts!D2"),
        ("negative-amount", "Contracts!F2"),
        ("bad-date", "Contracts!H2"),
    ]
    assert codes(tmp_path, {"contract_id": "D-1", "amount": 0}, name="zero.xlsx") == []


def test_a_workbook_without_the_contracts_sheet_has_no_finding_about_it(tmp_path: Path) -> None:
    for locale in schema.LOCALES:
        book = build_workbook(locale)
        del book[schema.CONTRACTS.name(locale)]
        path = tmp_path / f"old-{locale}.xlsx"
        book.save(path)
        assert findings(path) == []
    records = valid_records("en")
    assert schema.CONTRACTS.key not in records  # the builders' workbooks have no Contracts sheet either
    assert findings(write_records(tmp_path / "records.xlsx", "en", records)) == []


@pytest.mark.parametrize("locale", schema.LOCALES)
def test_refresh_lists_the_contract_findings_on_the_problems_sheet(tmp_path: Path, locale: str) -> None:
    rows = (term("D-1", D(2025, 1, 1), D(2025, 6, 10)), term("D-2", D(2025, 6, 10), None, parent_id="D-3"))
    path = build(tmp_path, [contracts(*rows)], locale=locale)
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    problems = load_workbook(path)[schema.PROBLEMS.name(locale)]
    listed = {(row[2], row[5]) for row in problems.iter_rows(values_only=True)}
    sheet = schema.CONTRACTS.name(locale)
    assert {(f"{sheet}!I3", "unknown-parent-contract"), (f"{sheet}!E3", "overlapping-contracts")} <= listed
