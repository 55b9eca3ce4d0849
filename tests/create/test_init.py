"""`xlcrm init` and the template builder: the workbook a user starts from, opened as a user would."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import range_boundaries

from tests.conftest import convert_with_libreoffice
from tests.paths import REPO
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create import template
from xlcrm.errors import UsageError
from xlcrm.jobs import validate
from xlcrm.jobs.init import create_template, write_templates
from xlcrm.xlsx.reader import read_workbook
from xlcrm.xlsx.refs import column_letter

LOCALES = schema.LOCALES


def run(*args: str):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def init(folder: Path, locale: str) -> Path:
    path = folder / f"base-{locale}.xlsx"
    result = run("init", path, "--locale", locale)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module", params=LOCALES)
def made(request, tmp_path_factory) -> tuple[str, Path, openpyxl.Workbook]:
    """One `xlcrm init` workbook per locale, re-opened with openpyxl."""
    locale = request.param
    path = init(tmp_path_factory.mktemp(f"init-{locale}"), locale)
    return locale, path, openpyxl.load_workbook(path)


def letter(spec: schema.Sheet, key: str) -> str:
    return column_letter(schema.template_columns(spec).index(spec.column(key)))


# --- the CLI ------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_init_prints_what_it_created(tmp_path, locale):
    path = tmp_path / "clients.xlsx"
    result = run("init", path, "--locale", locale)
    assert result.exit_code == 0, result.output
    names = [spec.name(locale) for spec in schema.ALL_TEMPLATE_SHEETS]
    said = {"en": "Created {path} ({locale}): sheets {names}", "ru": "Создан файл {path} ({locale}): листы {names}"}
    assert result.output == said[locale].format(path=path, locale=locale, names=", ".join(names)) + "\n"
    assert openpyxl.load_workbook(path).sheetnames == names


def test_init_defaults_to_english(tmp_path):
    result = run("init", tmp_path / "clients.xlsx")
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(tmp_path / "clients.xlsx").sheetnames[0] == schema.CLIENTS.en


@pytest.mark.parametrize("locale", LOCALES)
def test_json_output_is_the_library_result(tmp_path, locale):
    cli_path = tmp_path / "cli.xlsx"
    result = run("init", cli_path, "--locale", locale, "--json")
    assert result.exit_code == 0, result.output
    library = create_template(tmp_path / "lib.xlsx", locale=locale).to_dict()
    assert json.loads(result.output) == {**library, "path": str(cli_path)}
    assert library == {
        "path": str(tmp_path / "lib.xlsx"),
        "locale": locale,
        "sheets": [spec.name(locale) for spec in schema.ALL_TEMPLATE_SHEETS],
        "backup": None,
    }


def test_existing_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "clients.xlsx"
    path.write_bytes(b"PK\x03\x04 my precious client base")
    before = path.read_bytes()
    result = run("init", path)
    assert result.exit_code == 2
    assert result.output == f"Error: {path} already exists; use --force to overwrite it\n"
    assert path.read_bytes() == before
    with pytest.raises(UsageError, match="already exists"):
        create_template(path)
    assert path.read_bytes() == before


def test_force_overwrites(tmp_path):
    path = tmp_path / "clients.xlsx"
    old = openpyxl.Workbook()
    old.active.title = "Old data"
    old.save(path)
    before = path.read_bytes()
    result = run("init", path, "--force", "--locale", "ru", "--json")
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(path).sheetnames == [s.ru for s in schema.ALL_TEMPLATE_SHEETS]
    backup = Path(json.loads(result.output)["backup"])
    assert backup.parent.parent == tmp_path and backup.read_bytes() == before

    result = run("init", path, "--force")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].startswith("The file it replaced is kept as ")
    assert openpyxl.load_workbook(path).sheetnames[0] == schema.CLIENTS.en


def test_force_does_not_replace_a_workbook_open_in_libreoffice(tmp_path):
    path = tmp_path / "clients.xlsx"
    create_template(path, locale="ru")
    before = path.read_bytes()
    stamp = dt.datetime.now().strftime("%d.%m.%Y %H:%M")
    (tmp_path / ".~lock.clients.xlsx#").write_text(f"Ivan Petrov,ivan,OFFICE-PC,{stamp},file:///x;", encoding="utf-8")
    # A Russian workbook: the run speaks Russian unless told otherwise.
    result = run("init", path, "--force")
    assert result.exit_code == 1
    assert result.output == (
        f"Ошибка: Книга {path} открыта в LibreOffice (кто открыл: Ivan Petrov на компьютере OFFICE-PC; с {stamp}): "
        "закройте её там и запустите команду снова (если же эта блокировка осталась после сбоя, "
        "добавьте --ignore-lock)\n"
    )
    assert path.read_bytes() == before
    result = run("--lang", "en", "init", path, "--force")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path} is open in LibreOffice by Ivan Petrov on OFFICE-PC since {stamp}")
    assert path.read_bytes() == before


def test_missing_folder_is_a_clear_error(tmp_path):
    path = tmp_path / "no" / "such" / "clients.xlsx"
    result = run("init", path)
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and "no such folder" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("name", ["clients.csv", "clients.xlsm", "clients"])
def test_only_xlsx_names_are_accepted(tmp_path, name):
    path = tmp_path / name
    result = run("init", path)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {path}: xlcrm init creates an .xlsx workbook; choose a file name ending in .xlsx\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_existing_csv_is_not_touched_even_with_force(tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text("Name;Phone\nIvan;8 916 123-45-67\n", encoding="utf-8")
    before = path.read_bytes()
    result = run("init", path, "--force")
    assert result.exit_code == 2
    assert "ending in .xlsx" in result.output
    assert path.read_bytes() == before


def test_folder_as_target_is_refused(tmp_path):
    folder = tmp_path / "base.xlsx"
    folder.mkdir()
    with pytest.raises(UsageError, match="is a folder"):
        create_template(folder, force=True)
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_unknown_locale(tmp_path):
    result = run("init", tmp_path / "clients.xlsx", "--locale", "de")
    assert result.exit_code == 2
    assert "'de' is not one of 'en', 'ru'" in result.output
    with pytest.raises(UsageError, match="unknown locale 'de'; use one of en, ru"):
        create_template(tmp_path / "clients.xlsx", locale="de")
    assert list(tmp_path.iterdir()) == []


# --- what the user sees in the workbook ---------------------------------------------


def test_data_sheets_are_tables_with_headers_in_the_locale(made):
    locale, _, book = made
    for spec in template.DATA_SHEETS:
        sheet = book[spec.name(locale)]
        columns = schema.template_columns(spec)
        assert [cell.value for cell in sheet[1]] == [c.name(locale) for c in columns]
        table = sheet.tables[spec.table_name_in(locale)]
        assert table.ref == f"A1:{column_letter(len(columns) - 1)}2"
        assert table.autoFilter is not None and table.autoFilter.ref == table.ref
        assert table.tableStyleInfo.name == template.TABLE_STYLE
        assert [column.name for column in table.tableColumns] == [c.name(locale) for c in columns]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref is None  # a sheet filter beside a table makes Excel repair the file
        header = sheet["A1"]
        assert header.font.b and header.alignment.wrap_text


def test_column_widths_fit(made):
    locale, _, book = made
    for spec in template.DATA_SHEETS + (schema.SETTINGS,):
        sheet = book[spec.name(locale)]
        for index, column in enumerate(schema.template_columns(spec)):
            width = sheet.column_dimensions[column_letter(index)].width
            assert width == template.column_width(column, locale) >= column.width
            assert width >= max(len(word) for word in column.name(locale).split()) + template.FILTER_BUTTON_WIDTH
    # A long Russian header wraps instead of widening a date column.
    assert template.column_width(schema.INTERACTIONS.column("next_date"), "ru") == 13


def test_whole_columns_carry_date_money_and_text_formats(made):
    locale, _, book = made
    formatted = 0
    for spec in template.DATA_SHEETS:
        sheet = book[spec.name(locale)]
        for index, column in enumerate(schema.template_columns(spec)):
            # A number that may have decimals (a discount) shows them: General, not a whole-number format.
            expected = template.number_format(spec, column) or "General"
            assert sheet.column_dimensions[column_letter(index)].number_format == expected, (spec.key, column.key)
            formatted += column.number_format is not None
    assert formatted >= 12
    clients = book[schema.CLIENTS.name(locale)]
    assert clients.column_dimensions[letter(schema.CLIENTS, "birthday")].number_format == "DD.MM.YYYY"
    assert clients.column_dimensions[letter(schema.CLIENTS, "inn")].number_format == "@"
    interactions = book[schema.INTERACTIONS.name(locale)]
    assert interactions.column_dimensions[letter(schema.INTERACTIONS, "amount")].number_format == "#,##0.00"


def test_dropdowns_are_plain_lists_from_settings(made):
    locale, _, book = made
    seen = set()
    for spec in template.DATA_SHEETS:
        sheet = book[spec.name(locale)]
        # The ClientID dropdown and the date and amount checks are tested on their own.
        validations = {
            str(v.sqref): v
            for v in sheet.data_validations.dataValidation
            if v.type == "list" and v.formula1 not in (schema.CLIENT_IDS_NAME, schema.CONTRACT_IDS_NAME)
        }
        for column in schema.list_columns(spec):
            col = letter(spec, column.key)
            validation = validations.pop(f"{col}2:{col}{template.LAST_ROW}")
            assert validation.type == "list"
            assert not validation.showDropDown  # True would hide the arrow
            assert validation.allow_blank and validation.showErrorMessage
            assert validation.errorStyle in (None, "stop")
            if column.choices in schema.FIXED_LISTS:
                values = [v.name(locale) for v in schema.FIXED_LISTS[column.choices]]
                assert validation.formula1 == '"' + ",".join(values) + '"'
            else:
                assert validation.formula1 == schema.LIST_DEFINED_NAMES[column.choices]
                source = schema.LIST_SOURCES[column.choices]
                assert source.column.name(locale) in validation.error
            assert validation.errorTitle == ("Нет в списке" if locale == "ru" else "Not in the list")
            seen.add(column.choices)
        assert validations == {}
    assert seen == set(schema.LIST_SOURCES) | set(schema.FIXED_LISTS)


def test_defined_names_point_at_the_lists(made):
    locale, _, book = made
    lists = template.settings_lists(locale)
    assert set(book.defined_names) == {
        *schema.LIST_DEFINED_NAMES.values(),
        schema.CLIENT_IDS_NAME,
        schema.CONTRACT_IDS_NAME,
        *schema.CLIENT_LOOKUP_NAMES.values(),
        template.PLAN_EARLY_DAYS_NAME,
    }
    for key, name in schema.LIST_DEFINED_NAMES.items():
        formula = book.defined_names[name].attr_text
        cells = template.list_range(key, locale)
        assert formula == template.list_name_formula(key, locale) and formula.startswith(cells.split(":")[0] + ":")
        assert cells in formula
        source = schema.LIST_SOURCES[key]
        sheet_name, ref = cells.rsplit("!", 1)
        sheet = book[sheet_name.strip("'")]
        assert sheet.title == source.sheet.name(locale)
        min_col, min_row, _, max_row = range_boundaries(ref.replace("$", ""))
        assert (min_row, max_row) == (2, 1 + template.LIST_CAPACITY)
        assert sheet.cell(1, min_col).value == source.column.name(locale)
        values = [sheet.cell(row, min_col).value for row in range(2, 12)]
        assert [v for v in values if v is not None] == lists.get(key, [])


def test_settings_lists_hold_the_builtin_spellings(made):
    locale, _, book = made
    sheet = book[schema.SETTINGS.name(locale)]
    column = {c.key: index + 1 for index, c in enumerate(schema.SETTINGS.columns)}
    assert [sheet.cell(r, column["interaction_types"]).value for r in range(2, 2 + len(schema.INTERACTION_TYPES))] == [
        t.name(locale) for t in schema.INTERACTION_TYPES
    ]
    assert [sheet.cell(r, column["managers"]).value for r in (2, 3)] == list(schema.DEFAULT_MANAGERS[locale])
    assert sheet.cell(4, column["designations"]).value == schema.LOST.name(locale)
    assert sheet.freeze_panes == "A2"


def test_plan_booked_and_birthday_highlights(made):
    locale, _, book = made
    interactions = book[schema.INTERACTIONS.name(locale)]
    col, date = letter(schema.INTERACTIONS, "next_date"), letter(schema.INTERACTIONS, "date")
    rules = {str(cf.sqref): cf.rules for cf in interactions.conditional_formatting}
    assert set(rules) == {f"{col}2:{col}{template.LAST_ROW}", f"{date}2:{date}{template.LAST_ROW}"}
    due, ahead = rules[f"{col}2:{col}{template.LAST_ROW}"]
    assert f"${col}2<=TODAY()" in due.formula[0] and f"${col}2>TODAY()" in ahead.formula[0]
    assert due.dxf.fill.fgColor.rgb.endswith("FFC7CE") and ahead.dxf.fill.fgColor.rgb.endswith("FFEB9C")
    (booked,) = rules[f"{date}2:{date}{template.LAST_ROW}"]
    assert booked.formula[0] == f"AND(ISNUMBER(${date}2),${date}2>TODAY())"
    for spec in (schema.CLIENTS, schema.CONTACTS):
        sheet = book[spec.name(locale)]
        col = letter(spec, "birthday")
        (cf,) = list(sheet.conditional_formatting)
        assert str(cf.sqref) == f"{col}2:{col}{template.LAST_ROW}" and "MONTH" in cf.rules[0].formula[0]


def test_how_to_use_explains_sheets_commands_and_every_column(made):
    locale, _, book = made
    sheet = book[schema.HOW_TO.name(locale)]
    text = "\n".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None)
    for command in ("xlcrm validate", "xlcrm refresh", "xlcrm dedupe", "xlcrm agenda", "xlcrm import"):
        assert command in text
    assert schema.REPORT_MARKER in text
    labels = [row[0] for row in sheet.iter_rows(values_only=True)]
    for spec in schema.USER_SHEETS:
        assert spec.name(locale) in labels
    # The column guide lists each data sheet, then its columns, with what to enter.
    guide = labels[labels.index("Столбцы" if locale == "ru" else "Columns") + 1 :]
    assert guide == [
        name
        for spec in template.DATA_SHEETS
        for name in (spec.name(locale), *(c.name(locale) for c in schema.template_columns(spec)))
    ]
    hints = _column_guide(sheet, schema.INTERACTIONS, locale)
    assert "31.12.2025" in hints[schema.INTERACTIONS.column("date").name(locale)]
    assert not hints[schema.INTERACTIONS.column("result").name(locale)]
    if locale == "ru":
        assert "Закройте книгу" in text and "Close the workbook" not in text
    else:
        assert "Close the workbook" in text
    hint = template.column_hint(schema.INTERACTIONS, schema.INTERACTIONS.column("client_id"), locale)
    assert schema.CLIENTS.name(locale) in hint


def _column_guide(sheet, spec: schema.Sheet, locale: str) -> dict[str, str | None]:
    """The How-to's guide to the columns of one sheet: each column's name and its text."""
    rows = [row[:2] for row in sheet.iter_rows(values_only=True)]
    labels = [label for label, _ in rows]
    first = labels.index(spec.name(locale), labels.index("Столбцы" if locale == "ru" else "Columns")) + 1
    return {label: text for label, text in rows[first : first + len(schema.template_columns(spec))]}


def test_how_to_use_explains_the_contracts_sheet_and_each_of_its_columns(made):
    locale, _, book = made
    sheet = book[schema.HOW_TO.name(locale)]
    spec = schema.CONTRACTS
    texts = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[1]}
    about = texts[spec.name(locale)]
    for key in ("client_id", "contract_id", "parent_id", "valid_from", "valid_until", "status", "subject"):
        assert spec.column(key).name(locale) in about, key
    assert schema.CONTRACT_ACTIVE.name(locale) in about and schema.PROBLEMS.name(locale) in about
    assert f"{schema.SETTINGS.name(locale)} › {schema.setting('contract_end_days').label(locale)}" in about
    hints = _column_guide(sheet, spec, locale)
    assert list(hints) == [column.name(locale) for column in spec.columns]
    assert all(hints.values())  # every column says what to type, the Subject and Number too
    assert schema.CLIENTS.name(locale) in hints[spec.column("client_id").name(locale)]
    assert spec.column("contract_id").name(locale) in hints[spec.column("parent_id").name(locale)]
    status = hints[spec.column("status").name(locale)]
    assert all(value.name(locale) in status for value in schema.CONTRACT_STATUSES) and "{" not in status
    assert status.endswith("Из выпадающего списка." if locale == "ru" else "From the dropdown.")


# The settings that tune the blocks and the agenda: the How-to names each by its label on Settings.
RULE_SETTINGS = (
    "partner_orders",
    "regular_orders",
    "dead_after_days",
    "birthday_days",
    "plan_early_days",
    "first_contact_days",
    "active_silent_days",
    "working_silent_days",
    "review_days",
    "lost_order_days",
    "reactivations_per_week",
    "stale_after_days",
    "agenda_limit",
)


def test_how_to_use_explains_the_eight_blocks_and_the_agenda_rules(made):
    locale, _, book = made
    sheet = book[schema.HOW_TO.name(locale)]
    rows = [(label, text or "") for label, text in sheet.iter_rows(values_only=True, max_col=2)]
    labels = [label for label, _ in rows]
    # The blocks in the order their rules are checked, each with its rule.
    first = labels.index(schema.KEY_BLOCK.label(locale))
    order = (schema.KEY_BLOCK, schema.VIP_BLOCK, schema.DEAD, schema.PARTNER, schema.REGULAR)
    order += (schema.WORKING, schema.ACTIVE, schema.POTENTIAL)
    assert labels[first : first + 8] == [item.label(locale) for item in order]
    assert all(text for _, text in rows[first : first + 8])
    dead = rows[first + 2][1]
    for name in (schema.LOST.name(locale), schema.CLIENTS.column("lost_reason").name(locale)):
        assert name in dead
    assert schema.POTENTIAL.name(locale) in dead  # a prospect who never ordered stays Potential
    # Every rule of the agenda, tuned by the settings named as the workbook names them.
    text = "\n".join(text for _, text in rows)
    settings = schema.SETTINGS.name(locale)
    for key in RULE_SETTINGS:
        assert f"{settings} › {schema.setting(key).label(locale)}" in text, key
    for column in ("holiday", "holiday_date", "holiday_blocks"):
        assert schema.SETTINGS.column(column).name(locale) in text
    next_date = schema.INTERACTIONS.column("next_date").name(locale)
    plans = next(text for text in (t for _, t in rows) if text.count(next_date) >= 2)
    assert schema.INTERACTIONS.name(locale) in plans
    for item in schema.BLOCKS:  # every block has its follow-up
        assert any(item.label(locale) in str(label) for label in labels[first + 8 :]), item.key
    if locale == "ru":
        assert "самые опасные" in text and "Потерян" in dead


def test_properties(made):
    _, _, book = made
    assert book.properties.creator == "xlcrm"
    assert book.active.title == book.sheetnames[0]


@pytest.mark.parametrize("locale", LOCALES)
def test_template_reads_back_without_missing_columns(tmp_path, locale):
    data = read_workbook(init(tmp_path, locale))
    assert data.locale == locale
    assert set(data.sheets) == {spec.key for spec in schema.USER_SHEETS}
    for key, sheet in data.sheets.items():
        assert sheet.missing_columns == [] and sheet.header_clashes == []
        # A column filled by formula is no input: xlcrm passes it by like a column of the user's own.
        assert sheet.extra_columns == [f.column.name(locale) for f in schema.FORMULA_COLUMNS.get(key, ())]
    assert not any(sheet.misplaced_header for sheet in data.sheets.values())
    for spec in template.DATA_SHEETS:
        assert data.sheets[spec.key].frame.empty
    settings = data.sheets["settings"].frame
    values = dict(zip(settings["key"], settings["value"]))
    for item in schema.SETTINGS_KEYS:
        assert values[item.key] == item.default_in(locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_fresh_template_validates_clean(tmp_path, locale):
    report = validate.validate_workbook(init(tmp_path, locale), today=dt.date(2026, 1, 15))
    assert report.findings == [] and report.locale == locale


# --- filled workbooks (the demo generator's entry point) ------------------------------


def test_build_with_rows_and_lists(tmp_path):
    rows = {
        "clients": [
            {
                "client_id": "C000001",
                "name": "Ivan Petrov",
                "company": "Romashka",
                "inn": "0123456789",
                "phone": "+7 916 123-45-67",
                "birthday": dt.date(1980, 5, 17),
                "manager": "Olga",
                "comment": "=) very kind",
            },
            {"client_id": "C000002", "name": "Anna", "company": "Vasilek", "created": dt.date(2025, 1, 9)},
        ],
        "services": [{"service_id": "S1", "service": "Audit", "price": 15000, "active": "Yes"}],
        "interactions": [
            {
                "date": dt.date(2025, 3, 1),
                "client_id": "C000001",
                "type": "Order",
                "service": "Audit",
                "amount": 15000.5,
                "next_date": dt.date(2025, 4, 1),
            }
        ],
    }
    book = template.build_workbook("en", rows=rows, lists={"managers": ["Olga", "Boris", "Kim"]})
    path = tmp_path / "filled.xlsx"
    book.save(path)

    again = openpyxl.load_workbook(path)
    clients = again[schema.CLIENTS.en]
    # 20 columns: the 16 of before, «Причина ухода» (lost_reason), discount, card number and payment term; two rows.
    assert clients.tables[schema.CLIENTS.table_name].ref == "A1:T3"
    birthday = clients[letter(schema.CLIENTS, "birthday") + "2"]
    assert birthday.value == dt.datetime(1980, 5, 17) and birthday.number_format == "DD.MM.YYYY"
    inn = clients[letter(schema.CLIENTS, "inn") + "2"]
    assert inn.value == "0123456789" and inn.number_format == "@"
    comment = clients[letter(schema.CLIENTS, "comment") + "2"]
    assert comment.value == "=) very kind" and comment.data_type == "s"
    amount = again[schema.INTERACTIONS.en][letter(schema.INTERACTIONS, "amount") + "2"]
    assert amount.number_format == "#,##0.00"
    settings = again[schema.SETTINGS.en]
    managers = letter(schema.SETTINGS, "managers")
    assert [settings[f"{managers}{r}"].value for r in range(1, 6)] == ["Managers", "Olga", "Boris", "Kim", None]

    data = read_workbook(path)
    frame = data.sheets["clients"].frame
    assert list(frame.index) == [2, 3]
    assert frame.loc[2, "inn"] == "0123456789"
    assert frame.loc[2, "birthday"] == dt.date(1980, 5, 17)
    assert data.sheets["interactions"].frame.loc[2, "amount"] == 15000.5
    assert data.sheets["services"].frame.loc[2, "service"] == "Audit"


def test_build_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown sheets"):
        template.build_workbook("en", rows={"customers": []})
    with pytest.raises(ValueError, match=r"clients row 1 has unknown columns \['fax'\]"):
        template.build_workbook("en", rows={"clients": [{"name": "Ivan", "fax": "123"}]})
    with pytest.raises(ValueError, match="unknown Settings lists"):
        template.build_workbook("en", lists={"services": ["Audit"]})


# --- the bundled templates -------------------------------------------------------------


def snapshot(path: Path) -> dict[str, object]:
    """Everything a user sees in a workbook, to compare two files."""
    book = openpyxl.load_workbook(path)
    shot: dict[str, object] = {"names": {n: d.attr_text for n, d in book.defined_names.items()}}
    for sheet in book.worksheets:
        shot[sheet.title] = {
            "cells": [
                (c.coordinate, c.value, c.number_format, c.font.b, c.fill.fgColor.rgb)
                for row in sheet.iter_rows()
                for c in row
            ],
            "columns": {k: (d.width, d.number_format) for k, d in sheet.column_dimensions.items()},
            "freeze": sheet.freeze_panes,
            "tables": {t.name: (t.ref, t.tableStyleInfo.name) for t in sheet.tables.values()},
            "validations": sorted((str(v.sqref), v.formula1, v.error) for v in sheet.data_validations.dataValidation),
            "highlights": sorted(
                (str(cf.sqref), tuple(r.formula[0] for r in cf.rules)) for cf in sheet.conditional_formatting
            ),
        }
    return shot


@pytest.mark.parametrize("locale", LOCALES)
def test_bundled_templates_match_the_code(tmp_path, locale):
    """templates/*.xlsx must be what the code makes; regenerate them with

    .venv/bin/python -c "from xlcrm.jobs.init import write_templates; write_templates('templates')"
    """
    written = write_templates(tmp_path)
    assert [p.name for p in written] == [template.TEMPLATE_FILE.format(locale=loc) for loc in LOCALES]
    bundled = REPO / "templates" / template.TEMPLATE_FILE.format(locale=locale)
    assert snapshot(bundled) == snapshot(tmp_path / bundled.name)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)  # no backups left


# --- LibreOffice ------------------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.parametrize("locale", LOCALES)
def test_libreoffice_opens_the_template_and_keeps_the_dropdowns(tmp_path, locale):
    path = init(tmp_path, locale)

    # LibreOffice writes only the first sheet to CSV: the Clients headers.
    converted = convert_with_libreoffice(path, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path / "csv")
    with converted.open(encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle))
    assert header == [c.name(locale) for c in schema.CLIENTS.columns]

    resaved = convert_with_libreoffice(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    book = openpyxl.load_workbook(resaved)
    assert book.sheetnames == [spec.name(locale) for spec in schema.ALL_TEMPLATE_SHEETS]
    assert set(book.defined_names) == {
        *schema.LIST_DEFINED_NAMES.values(),
        schema.CLIENT_IDS_NAME,
        schema.CONTRACT_IDS_NAME,
        *schema.CLIENT_LOOKUP_NAMES.values(),
        template.PLAN_EARLY_DAYS_NAME,
    }
    for key, name in schema.LIST_DEFINED_NAMES.items():
        assert template.list_range(key, locale) in book.defined_names[name].attr_text
    interactions = book[schema.INTERACTIONS.name(locale)]
    formulas = {v.formula1 for v in interactions.data_validations.dataValidation if v.type == "list"}
    assert formulas == {
        *(schema.LIST_DEFINED_NAMES[k] for k in ("interaction_types", "services", "managers")),
        schema.CLIENT_IDS_NAME,
    }
    assert all(not v.showDropDown for v in interactions.data_validations.dataValidation)
    assert interactions.tables[schema.INTERACTIONS.table_name_in(locale)].ref == "A1:L2"
    contracts = book[schema.CONTRACTS.name(locale)]
    assert {v.formula1 for v in contracts.data_validations.dataValidation if v.type == "list"} == {
        '"' + ",".join(value.name(locale) for value in schema.CONTRACT_STATUSES) + '"',
        schema.CLIENT_IDS_NAME,
        schema.CONTRACT_IDS_NAME,
    }
    next_date = letter(schema.INTERACTIONS, "next_date")
    assert interactions.column_dimensions[next_date].number_format.lower().replace("\\", "") == "dd.mm.yyyy"
    assert any("TODAY()" in r.formula[0] for cf in interactions.conditional_formatting for r in cf.rules)
