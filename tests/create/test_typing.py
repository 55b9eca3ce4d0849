"""Typing into the workbook of `xlcrm init` and `xlcrm demo`: the ClientID dropdown and the client's name beside
it, date and amount checks, a Return's negative amount, and How-to and Settings text that stays in its cells."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import convert_with_libreoffice
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create import template
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.refs import column_letter
from xlcrm.xlsx.report_sheet import LINE_POINTS, MAX_ROW_POINTS

LOCALES = schema.LOCALES
TODAY = "2026-11-23"


def run(*args: object) -> None:
    result = CliRunner().invoke(cli, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output


def init(folder: Path, locale: str) -> Path:
    path = folder / f"init-{locale}.xlsx"
    run("init", path, "--locale", locale)
    return path


def demo(folder: Path, locale: str, clients: int = 40) -> Path:
    path = folder / f"demo-{locale}.xlsx"
    run("demo", path, "--clients", clients, "--seed", 2, "--locale", locale, "--today", TODAY)
    return path


def letter(spec: schema.Sheet, key: str) -> str:
    """The column's letter as the template lays the sheet out (the Client column follows ClientID)."""
    columns = schema.template_columns(spec)
    return column_letter(columns.index(next(c for c in columns if c.key == key)))


def whole(spec: schema.Sheet, key: str) -> str:
    col = letter(spec, key)
    return f"{col}2:{col}{template.LAST_ROW}"


def validations(sheet) -> dict[str, object]:
    return {str(v.sqref): v for v in sheet.data_validations.dataValidation}


@pytest.fixture(scope="module", params=LOCALES)
def made(request, tmp_path_factory) -> tuple[str, openpyxl.Workbook]:
    locale = request.param
    return locale, openpyxl.load_workbook(init(tmp_path_factory.mktemp("typing"), locale))


# --- ClientID: a dropdown of the clients, and the client's name beside it ----------------------------------


def test_client_id_columns_offer_the_client_ids_through_a_name_that_grows(made) -> None:
    locale, book = made
    clients = schema.CLIENTS.name(locale)
    for spec in (schema.INTERACTIONS, schema.CONTACTS, schema.CONTRACTS):
        check = validations(book[spec.name(locale)])[whole(spec, "client_id")]
        assert (check.type, check.formula1) == ("list", schema.CLIENT_IDS_NAME)
        assert not check.showDropDown and check.allow_blank
        # A new client has no ID until the next refresh: an unknown ID is questioned, not refused.
        assert check.errorStyle == "warning" and check.error == schema.entry_message("client_id_error", locale)
        # The sheet's text never names Clients: a merge need not read its rows for formulas pointing there.
        assert clients not in check.error and clients not in check.prompt
        # Only Interactions shows the client's name beside the ID.
        prompt = "client_id_prompt" if spec is schema.INTERACTIONS else "client_id_plain_prompt"
        assert check.showInputMessage and check.prompt == schema.entry_message(prompt, locale)
    assert not [v for v in book[clients].data_validations.dataValidation if v.formula1 == schema.CLIENT_IDS_NAME]

    # Counted from the header of Clients' ClientID column, whole column, so the list follows rows typed below.
    formula = book.defined_names[schema.CLIENT_IDS_NAME].attr_text
    ids = f"{clients}!$A"
    assert formula == f"OFFSET({ids}$1,1,0,MAX(1,COUNTA({ids}:$A)-1),1)"
    assert book[clients]["A1"].value == schema.CLIENTS.column("client_id").name(locale)


def test_interactions_show_the_client_beside_the_client_id_by_formula(tmp_path: Path) -> None:
    locale = "ru"
    path = demo(tmp_path, locale)
    book = openpyxl.load_workbook(path)
    sheet = book[schema.INTERACTIONS.name(locale)]
    name = schema.CLIENT_NAME.column
    col = letter(schema.INTERACTIONS, name.key)
    assert col == "C" and letter(schema.INTERACTIONS, "client_id") == "B"
    assert sheet[f"{col}1"].value == name.name(locale) == "Клиент"
    formulas = [cell.value for (cell,) in sheet.iter_rows(min_row=2, min_col=3, max_col=3)]
    assert len(formulas) == sheet.max_row - 1 > 100
    this_id = "INDEX($B:$B,ROW())"
    found = f"MATCH({this_id},xlcrm_clients_client_id,0)"
    assert formulas[0] == (
        f'=IF({this_id}="","",IFERROR(IF(INDEX(xlcrm_clients_company,{found})&""="",'
        f'INDEX(xlcrm_clients_name,{found})&"",INDEX(xlcrm_clients_company,{found})&""),"?"))'
    )
    assert {name: book.defined_names[name].attr_text for name in schema.CLIENT_LOOKUP_NAMES.values()} == {
        "xlcrm_clients_client_id": "Клиенты!$A:$A",
        "xlcrm_clients_name": "Клиенты!$B:$B",
        "xlcrm_clients_company": "Клиенты!$C:$C",
    }
    assert set(formulas) == {"=" + template.client_name_formula()}  # the same text on every row
    assert sheet[f"{col}2"].font.i  # grey italics: computed, not for typing
    # Excel fills the formula into every row the table grows by.
    table = sheet.tables[schema.INTERACTIONS.table_name_in(locale)]
    calculated = [column.calculatedColumnFormula for column in table.tableColumns]
    assert [c.attr_text if c else None for c in calculated] == [
        template.client_name_formula() if c is name else None for c in schema.template_columns(schema.INTERACTIONS)
    ]
    # xlcrm reads the column as no input of its own: it passes it by like a column of the user's.
    data = read_workbook(path)
    interactions = data.sheet(schema.INTERACTIONS.key)
    assert interactions is not None
    assert interactions.extra_columns == [name.name(locale)] and interactions.missing_columns == []


# --- dates and amounts ------------------------------------------------------------------------------------


def test_date_columns_take_dates_only_with_a_message_that_shows_how(made) -> None:
    locale, book = made
    checked = []
    for spec in template.DATA_SHEETS:
        found = validations(book[spec.name(locale)])
        for column in spec.columns:
            if column.kind is not schema.Kind.DATE:
                continue
            check = found[whole(spec, column.key)]
            assert (check.type, check.operator, check.formula1, check.formula2) == ("date", "between", "1", "2958465")
            assert check.allow_blank and check.showErrorMessage and check.errorStyle == "stop"
            assert check.showInputMessage and "31.12.2025" in check.prompt and "31.12.2025" in check.error
            assert ("вчера" if locale == "ru" else "yesterday") in check.error
            checked.append((spec.key, column.key))
    assert ("interactions", "date") in checked and ("interactions", "next_date") in checked
    assert ("clients", "birthday") in checked and ("contacts", "birthday") in checked


def test_amounts_take_numbers_and_only_a_return_or_a_payment_goes_below_zero(made) -> None:
    locale, book = made
    interactions = validations(book[schema.INTERACTIONS.name(locale)])
    amount = interactions[whole(schema.INTERACTIONS, "amount")]
    assert (amount.type, amount.operator) == ("decimal", "greaterThanOrEqual")
    # The lower bound drops on a row whose Type (column D) is a return or a payment (a refund), in either language.
    assert amount.formula1 == 'IF(OR($D2="Return",$D2="Возврат",$D2="Payment",$D2="Оплата"),-1E+15,0)'
    assert letter(schema.INTERACTIONS, "type") == "D"
    assert amount.errorStyle == "stop"
    for kind in (schema.RETURN, schema.PAYMENT):
        assert kind.name(locale) in amount.prompt and kind.name(locale) in amount.error
    assert ("договорная" if locale == "ru" else "negotiable") in amount.error
    price = validations(book[schema.SERVICES.name(locale)])[whole(schema.SERVICES, "price")]
    assert (price.type, price.operator, price.formula1) == ("decimal", "greaterThanOrEqual", "0")
    # Return is an interaction type of the dropdown.
    settings = book[schema.SETTINGS.name(locale)]
    types = letter(schema.SETTINGS, "interaction_types")
    assert schema.RETURN.name(locale) in [cell.value for (cell,) in settings[f"{types}2:{types}20"]]


# --- Contracts: an annex picks its contract, a status from the list, an amount of 0 or more ----------------


def test_an_annex_picks_its_contract_from_the_contract_ids_of_the_sheet(made) -> None:
    locale, book = made
    spec = schema.CONTRACTS
    check = validations(book[spec.name(locale)])[whole(spec, "parent_id")]
    assert (check.type, check.formula1) == ("list", schema.CONTRACT_IDS_NAME)
    assert not check.showDropDown and check.allow_blank
    # A contract listed below a blank ContractID is not in the list: questioned, not refused.
    assert check.errorStyle == "warning" and check.error == schema.entry_message("parent_contract_error", locale)
    assert check.showInputMessage and check.prompt == schema.entry_message("parent_contract_prompt", locale)
    assert check.promptTitle == spec.column("parent_id").name(locale)
    # Counted from the header of the ContractID column, whole column, so the list follows rows typed below.
    contracts = spec.name(locale)
    assert book.defined_names[schema.CONTRACT_IDS_NAME].attr_text == (
        f"OFFSET({contracts}!$A$1,1,0,MAX(1,COUNTA({contracts}!$A:$A)-1),1)"
    )
    assert book[contracts]["A1"].value == spec.column("contract_id").name(locale)


def test_a_contract_takes_a_status_from_the_list_and_an_amount_of_zero_or_more(made) -> None:
    locale, book = made
    spec = schema.CONTRACTS
    found = validations(book[spec.name(locale)])
    status = found[whole(spec, "status")]
    names = [value.name(locale) for value in schema.CONTRACT_STATUSES]
    assert (status.type, status.formula1, status.errorStyle) == ("list", '"' + ",".join(names) + '"', "stop")
    assert (
        status.error
        == ("Выберите одно из значений: " if locale == "ru" else "Choose one of: ") + ", ".join(names) + "."
    )
    amount = found[whole(spec, "amount")]
    assert (amount.type, amount.operator, amount.formula1, amount.errorStyle) == (
        "decimal",
        "greaterThanOrEqual",
        "0",
        "stop",
    )
    assert ("договора" if locale == "ru" else "of the contract") in amount.error
    assert schema.RETURN.name(locale) not in amount.prompt + amount.error  # no return on this sheet
    for key in ("date", "valid_from", "valid_until"):
        assert found[whole(spec, key)].type == "date"
    # Every column is checked by exactly one rule; Number, Subject and Comment take any text.
    checked = {str(v.sqref) for v in book[spec.name(locale)].data_validations.dataValidation}
    assert checked == {whole(spec, key) for key in ("client_id", "date", "amount", "valid_from", "valid_until")} | {
        whole(spec, "parent_id"),
        whole(spec, "status"),
    }


def test_the_contracts_sheet_prints_landscape_with_its_header_on_every_page(made) -> None:
    locale, book = made
    sheet = book[schema.CONTRACTS.name(locale)]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.print_title_rows == "$1:$1" and sheet.freeze_panes == "A2"
    widths = [sheet.column_dimensions[column_letter(i)].width for i in range(len(schema.CONTRACTS.columns))]
    assert widths == [template.column_width(c, locale) for c in schema.CONTRACTS.columns]


# --- LibreOffice computes what Excel would --------------------------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_computes_the_client_names_and_the_client_id_list(tmp_path: Path) -> None:
    locale = "ru"
    path = demo(tmp_path, locale, clients=30)
    generated = openpyxl.load_workbook(path)
    clients = [row for row in generated[schema.CLIENTS.name(locale)].iter_rows(min_row=2, max_col=3, values_only=True)]
    first_of = {}
    for client_id, name, company in clients:
        first_of.setdefault(client_id, company or name)  # MATCH finds the first row of a repeated ID
    interactions = generated[schema.INTERACTIONS.name(locale)]
    ids = [client_id for (client_id,) in interactions.iter_rows(min_row=2, min_col=2, max_col=2, values_only=True)]
    expected = ["" if not i else first_of.get(i, "?") for i in ids]
    assert "?" in expected  # the demo plants an interaction of an unknown client

    # A client typed below the list, and cells that read the defined name.
    generated[schema.CLIENTS.name(locale)].append(["C777777", "Новый Клиент"])
    probe = generated.create_sheet("probe")
    probe["A1"] = f"=ROWS({schema.CLIENT_IDS_NAME})"
    # Two contracts with a blank row between them: the list is as long as the IDs filled, as the ClientIDs'.
    contracts = generated[schema.CONTRACTS.name(locale)]
    contracts.delete_rows(2, contracts.max_row)  # the demo's own contracts
    contracts["A2"], contracts["B2"], contracts["A4"], contracts["B4"] = "Д-1", "C000001", "Д-2", "C000002"
    probe["A2"] = f"=ROWS({schema.CONTRACT_IDS_NAME})"
    probe["A3"] = f"=INDEX({schema.CONTRACT_IDS_NAME},1)"
    generated.save(path)

    resaved = convert_with_libreoffice(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    computed = openpyxl.load_workbook(resaved, data_only=True)
    names = [
        v or ""
        for (v,) in computed[schema.INTERACTIONS.name(locale)].iter_rows(
            min_row=2, min_col=3, max_col=3, values_only=True
        )
    ]
    assert names == expected
    filled = sum(1 for client_id, _, _ in clients if client_id)
    # COUNTA counts the filled IDs: a blank ID between them (the demo plants one) ends the list that much early.
    assert computed["probe"]["A1"].value == filled + 1
    assert (computed["probe"]["A2"].value, computed["probe"]["A3"].value) == (2, "Д-1")

    kept = openpyxl.load_workbook(resaved)
    assert "OFFSET" in kept.defined_names[schema.CLIENT_IDS_NAME].attr_text
    sheet = kept[schema.INTERACTIONS.name(locale)]
    assert sheet["C2"].value.startswith("=IF(")  # LibreOffice keeps the formula, not only its value
    by_type = {v.type: v for v in sheet.data_validations.dataValidation if v.type in ("date", "decimal")}
    assert "Возврат" in by_type["decimal"].formula1 and by_type["date"].formula2 == "2958465"
    assert schema.CLIENT_IDS_NAME in {v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}


# --- How-to and Settings: wrapped text stays in its cells ------------------------------------------------


def overlapping_words(pdf: Path) -> list[tuple[int, str, str]]:
    """Pairs of words that LibreOffice printed over each other, by page: text run over a neighbouring cell."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
    found = []
    for number, page in enumerate(html.split("<page ")[1:], start=1):
        boxes = [(float(a), float(b), float(c), float(d), text) for a, b, c, d, text in word.findall(page)]
        for first, second in itertools.combinations(boxes, 2):
            across = min(first[2], second[2]) - max(first[0], second[0])
            down = min(first[3], second[3]) - max(first[1], second[1])
            # Lines of one wrapped cell touch; printed over each other, they share most of their height.
            if across > 1 and down > 0.5 * min(first[3] - first[1], second[3] - second[1]):
                found.append((number, first[4], second[4]))
    return found


@pytest.mark.libreoffice
@pytest.mark.parametrize("locale", LOCALES)
def test_how_to_and_settings_print_without_text_over_text(tmp_path: Path, locale: str) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    book = openpyxl.load_workbook(init(tmp_path, locale))
    for name in book.sheetnames:
        if name not in (schema.HOW_TO.name(locale), schema.SETTINGS.name(locale)):
            del book[name]
    path = tmp_path / "two-sheets.xlsx"
    book.save(path)
    pdf = convert_with_libreoffice(path, "pdf", tmp_path / "pdf")
    assert overlapping_words(pdf) == []


def test_wrapped_rows_are_as_high_as_their_text(made) -> None:
    locale, book = made
    how_to = book[schema.HOW_TO.name(locale)]
    assert how_to.column_dimensions["B"].width == template.HOW_TO_TEXT_WIDTH
    for _label, text in how_to.iter_rows(max_col=2):
        if isinstance(text.value, str):
            assert text.alignment.wrap_text
            assert how_to.row_dimensions[text.row].height == template.wrapped_height(
                text.value, template.HOW_TO_TEXT_WIDTH
            )
    long_rows = [r for r in range(1, how_to.max_row + 1) if (how_to.row_dimensions[r].height or 0) > LINE_POINTS]
    assert len(long_rows) >= 5

    settings = book[schema.SETTINGS.name(locale)]
    description = letter(schema.SETTINGS, "description")
    width = settings.column_dimensions[description].width
    for row in range(2, 2 + len(schema.SETTINGS_KEYS)):
        cell = settings[f"{description}{row}"]
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top"
        assert settings[f"A{row}"].alignment.vertical == "top"
        assert settings.row_dimensions[row].height == template.wrapped_height(cell.value, width)


def test_wrapped_height_counts_the_lines_a_spreadsheet_breaks_text_into() -> None:
    assert template.wrapped_height("short", 20) == LINE_POINTS
    assert template.wrapped_height("word " * 10, 20) == 3 * LINE_POINTS  # 4 words of 5 fit a line
    assert template.wrapped_height("one\ntwo", 20) == 2 * LINE_POINTS
    assert template.wrapped_height("x" * 50, 20) == 3 * LINE_POINTS  # a word wider than the cell breaks
    assert template.wrapped_height("word " * 2000, 20) == MAX_ROW_POINTS == 409  # Excel's highest row


@pytest.mark.libreoffice
def test_refresh_writes_the_client_formula_into_rows_typed_without_it(tmp_path: Path) -> None:
    """Rows added where nothing copies the table's formula (LibreOffice, a paste below the table) get it from the
    next refresh; a value typed over the formula stays the user's; LibreOffice then shows each client."""
    locale = "ru"
    path = demo(tmp_path, locale, clients=30)
    book = openpyxl.load_workbook(path)
    interactions = book[schema.INTERACTIONS.name(locale)]
    client_column = letter(schema.INTERACTIONS, "client_name")
    last = interactions.max_row
    interactions[f"{client_column}2"] = "мой текст"  # typed over the formula
    interactions[f"{client_column}3"] = None  # the formula deleted: empty again
    for row, client_id in ((last + 1, "C000001"), (last + 2, "C000002")):  # typed below, as LibreOffice keeps them
        interactions[f"A{row}"] = openpyxl.utils.datetime.from_ISO8601("2026-11-20")
        interactions[f"B{row}"] = client_id
        interactions[f"D{row}"] = schema.INTERACTION_TYPES[1].name(locale)
    book.save(path)
    before = {row: interactions[f"{client_column}{row}"].value for row in range(2, last + 3)}

    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY, "--keep-backups", "0", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["filled_formulas"] == 3

    saved = openpyxl.load_workbook(path)[schema.INTERACTIONS.name(locale)]
    formula = "=" + template.client_name_formula()
    assert saved[f"{client_column}2"].value == "мой текст"
    for row in (3, last + 1, last + 2):
        assert saved[f"{client_column}{row}"].value == formula, row
    for row, value in before.items():  # no other cell of the column changed
        if row not in (3, last + 1, last + 2):
            assert saved[f"{client_column}{row}"].value == value, row

    resaved = convert_with_libreoffice(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    computed = openpyxl.load_workbook(resaved, data_only=True)
    clients = {
        row[0]: row[2] or row[1]
        for row in computed[schema.CLIENTS.name(locale)].iter_rows(min_row=2, max_col=3, values_only=True)
    }
    shown = computed[schema.INTERACTIONS.name(locale)]
    assert shown[f"{client_column}{last + 1}"].value == clients["C000001"]
    assert shown[f"{client_column}{last + 2}"].value == clients["C000002"]


def test_refresh_leaves_a_client_column_of_the_users_own_alone(tmp_path: Path) -> None:
    """A Client column in a workbook without the template's lookup names is the user's: no formula goes there."""
    locale = "ru"
    path = demo(tmp_path, locale, clients=30)
    book = openpyxl.load_workbook(path)
    for name in schema.CLIENT_LOOKUP_NAMES.values():
        del book.defined_names[name]
    interactions = book[schema.INTERACTIONS.name(locale)]
    client_column = letter(schema.INTERACTIONS, "client_name")
    interactions[f"{client_column}2"] = "звонил сам"
    interactions[f"{client_column}3"] = None
    book.save(path)

    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY, "--keep-backups", "0", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["filled_formulas"] == 0
    saved = openpyxl.load_workbook(path)[schema.INTERACTIONS.name(locale)]
    assert saved[f"{client_column}2"].value == "звонил сам"
    assert saved[f"{client_column}3"].value is None
