"""The client-base workbook: the blank template behind ``xlcrm init`` and the builder the demo fills.

Everything a user sees is generated from the schema in the workbook's
language: headers, Excel tables, widths, formats, dropdowns, highlights, the
Settings lists and the "How to use" sheet. The formats, dropdowns and
highlights cover whole columns (down to Excel's last row), so a row typed
below the data gets them too, in Excel and in LibreOffice alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableColumn, TableFormula, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from xlcrm import schema
from xlcrm.create.segment_help import SEGMENTS_HEADING, example_segments, segment_help
from xlcrm.errors import UsageError
from xlcrm.messages import Message, t
from xlcrm.schema import Column, Kind, Sheet
from xlcrm.xlsx.conditional_formats import Highlight
from xlcrm.xlsx.data_validations import CheckKind, CheckOperator, NewCheck, NewDropdown
from xlcrm.xlsx.refs import column_letter, sheet_ref
from xlcrm.xlsx.report_sheet import PORTRAIT_CHARACTERS, SIDE_MARGIN, lines_height, word_wrapped_lines

# The Settings columns of the holidays table, left to right.
HOLIDAY_COLUMNS = ("holiday", "holiday_date", "holiday_blocks")
# Excel's last row: whole-column ranges reach every row a user will ever type.
LAST_ROW = 1_048_576
# Dropdown lists are read from this many rows, so a list can grow without touching the names.
LIST_CAPACITY = 2000
LIST_FIRST_ROW = 2
TABLE_STYLE = "TableStyleMedium2"
HEADER_ROW_HEIGHT = 30  # two lines: long Russian headers wrap instead of widening date columns
FILTER_BUTTON_WIDTH = 3  # characters the filter arrow covers at the right of a header cell
TEMPLATE_FILE = "xlcrm-template-{locale}.xlsx"
# Defined name over the Settings value of plan_early_days, read by the highlight of open plans on Interactions.
PLAN_EARLY_DAYS_NAME = "xlcrm_plan_early_days"
CREATOR = "xlcrm"

DATA_SHEETS = (schema.CLIENTS, schema.CONTACTS, schema.SERVICES, schema.INTERACTIONS, schema.CONTRACTS)

# LibreOffice does not paint table styles, so headers carry their own colours (those of TABLE_STYLE).
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="4472C4")
_LIST_HEADER_FILL = PatternFill("solid", fgColor="70AD47")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
# A column filled by formula: a paler header and grey italics, so nobody types over it.
_FORMULA_HEADER_FILL = PatternFill("solid", fgColor="8EA9DB")
_FORMULA_FONT = Font(italic=True, color="595959")
_TITLE_FONT = Font(bold=True, size=14)
_SECTION_FONT = Font(bold=True, size=12)
_BOLD = Font(bold=True)
# Excel's own "light red fill with dark red text" and its yellow and green companions.
OVERDUE = Highlight(font="9C0006", fill="FFC7CE")
UPCOMING = Highlight(font="9C5700", fill="FFEB9C")
BIRTHDAY_TODAY = Highlight(font="006100", fill="C6EFCE")


def _look(highlight: Highlight) -> dict[str, Font | PatternFill]:
    """The font and fill of a conditional format (openpyxl's ``FormulaRule`` arguments)."""
    fill = PatternFill("solid", start_color=highlight.fill, end_color=highlight.fill)
    return {"font": Font(color=highlight.font), "fill": fill}


_OVERDUE, _UPCOMING, _BIRTHDAY_TODAY = _look(OVERDUE), _look(UPCOMING), _look(BIRTHDAY_TODAY)

Rows = Mapping[str, Sequence[Mapping[str, object]]]


def build_workbook(
    locale: str = schema.DEFAULT_LOCALE,
    rows: Rows | None = None,
    lists: Mapping[str, Sequence[str]] | None = None,
    settings: Mapping[str, object] | None = None,
) -> Workbook:
    """The full template in ``locale``, optionally filled.

    ``rows`` maps a data sheet key ("clients", "contacts", "services",
    "interactions", "contracts") to its rows, each a dict of schema column key -> value.
    ``lists`` replaces Settings lists by key ("managers", "sources",
    "interaction_types", "designations"); the others keep their built-in values.
    ``settings`` gives Settings values by key (a date, a number) instead of their defaults.
    """
    check_locale(locale)
    rows = rows or {}
    unknown = set(rows) - {spec.key for spec in DATA_SHEETS}
    if unknown:
        raise ValueError(f"rows for unknown sheets {sorted(unknown)}; expected {[s.key for s in DATA_SHEETS]}")

    book = Workbook()
    book.remove(book.worksheets[0])  # the empty sheet a new workbook starts with
    for spec in DATA_SHEETS:
        worksheet = book.create_sheet(spec.name(locale))
        _write_data_sheet(worksheet, spec, locale, rows.get(spec.key, ()))
        _add_dropdowns(worksheet, spec, locale)
        _add_client_id_dropdown(worksheet, spec, locale)
        _add_parent_contract_dropdown(worksheet, spec, locale)
        _add_entry_checks(worksheet, spec, locale)
        _add_highlights(worksheet, spec)
    _write_settings(
        book.create_sheet(schema.SETTINGS.name(locale)), locale, settings_lists(locale, lists), settings or {}
    )
    _write_how_to(book.create_sheet(schema.HOW_TO.name(locale)), locale)
    for key, name in schema.LIST_DEFINED_NAMES.items():
        book.defined_names[name] = DefinedName(name, attr_text=list_name_formula(key, locale))
    book.defined_names[PLAN_EARLY_DAYS_NAME] = DefinedName(
        PLAN_EARLY_DAYS_NAME, attr_text=plan_early_days_formula(locale)
    )
    book.defined_names[schema.CLIENT_IDS_NAME] = DefinedName(
        schema.CLIENT_IDS_NAME, attr_text=client_ids_formula(locale)
    )
    book.defined_names[schema.CONTRACT_IDS_NAME] = DefinedName(
        schema.CONTRACT_IDS_NAME, attr_text=contract_ids_formula(locale)
    )
    for key, name in schema.CLIENT_LOOKUP_NAMES.items():
        book.defined_names[name] = DefinedName(name, attr_text=_whole_column(schema.CLIENTS, key, locale))
    for worksheet in book.worksheets:
        set_up_printing(worksheet, header_row=worksheet.title != schema.HOW_TO.name(locale))

    book.active = 0
    book.properties.creator = CREATOR
    book.properties.lastModifiedBy = CREATOR
    book.properties.title = _INTRO[0].render(locale)
    return book


def settings_lists(locale: str, overrides: Mapping[str, Sequence[str]] | None = None) -> dict[str, list[str]]:
    """Values of every Settings list column in ``locale``: the built-in ones unless overridden."""
    values: dict[str, list[str]] = {"managers": list(schema.DEFAULT_MANAGERS[locale])}
    for key, defaults in schema.SETTINGS_LISTS.items():
        values[key] = [value.name(locale) for value in defaults]
    overrides = overrides or {}
    unknown = set(overrides) - set(values)
    if unknown:
        raise ValueError(
            f"unknown Settings lists {sorted(unknown)}; expected {sorted(values)} "
            "(services come from the rows of the services sheet)"
        )
    values.update({key: [str(item) for item in items] for key, items in overrides.items()})
    return values


def list_range(key: str, locale: str, at: tuple[str, str] | None = None) -> str:
    """The cells a dropdown list is read from, e.g. ``Settings!$D$2:$D$2001``: in the template, or in the sheet
    and column ``at`` names (sheet name, column letter) of a workbook laid out otherwise."""
    source = schema.LIST_SOURCES[key]
    sheet, letter = at or (
        source.sheet.name(locale),
        column_letter(schema.template_columns(source.sheet).index(source.column)),
    )
    last = LIST_FIRST_ROW + LIST_CAPACITY - 1
    return f"{sheet_ref(sheet)}!${letter}${LIST_FIRST_ROW}:${letter}${last}"


def list_name_formula(key: str, locale: str, at: tuple[str, str] | None = None) -> str:
    """Formula of the defined name behind a dropdown: the list's range cut after its last filled cell.

    A plain fixed range would show every empty cell below the list as a blank
    dropdown entry in Excel. Ending the range at the last non-blank cell (not
    at COUNTA, which would drop items after a gap) keeps the dropdown tidy as
    the list grows, and LibreOffice evaluates it the same way.
    """
    cells = list_range(key, locale, at)
    first = cells.split(":")[0]
    last_filled = f'IFERROR(LOOKUP(2,1/({cells}<>""),ROW({cells}))-{LIST_FIRST_ROW - 1},1)'
    return f"{first}:INDEX({cells},{last_filled})"


def client_ids_formula(locale: str) -> str:
    """Formula of the defined name behind the ClientID dropdowns: the filled ClientIDs of Clients.

    OFFSET over COUNTA grows with every ID added below the last one, costs a
    count of one column (not a million-row array formula as
    :func:`list_name_formula` would over the whole sheet), and Excel and
    LibreOffice evaluate it alike. A blank ClientID between filled ones ends
    the list early by one: refresh fills blank IDs.
    """
    return _filled_ids_formula(schema.CLIENTS, "client_id", locale)


def contract_ids_formula(locale: str) -> str:
    """Formula of the defined name behind the Parent contract dropdown: the filled ContractIDs of Contracts, grown
    and cut as :func:`client_ids_formula` explains."""
    return _filled_ids_formula(schema.CONTRACTS, "contract_id", locale)


def _filled_ids_formula(spec: Sheet, key: str, locale: str) -> str:
    """``OFFSET`` from the header of the column down over as many cells as the column has filled below it."""
    letter = _letter(spec, spec.column(key), absolute=True)
    # Counted from the header, which stays when the rows below it go: a merge deletes client rows, row 2 among them.
    header = f"{sheet_ref(spec.name(locale))}!{letter}$1"
    below = LIST_FIRST_ROW - 1
    return f"OFFSET({header},{below},0,MAX(1,COUNTA({_whole_column(spec, key, locale)})-{below}),1)"


def client_name_formula(client_id_letter: str | None = None) -> str:
    """The formula of the Client column of Interactions: the company of the row's ClientID, else its name.

    ``client_id_letter`` is where the ClientID column of Interactions is (the
    template's place when None).

    Blank while the ClientID is blank, ``?`` when no client has it. INDEX/MATCH,
    which every Excel and LibreOffice version calculates, over the whole
    Clients columns through defined names. The row's ClientID is
    ``INDEX($B:$B,ROW())``: every row holds the same text, which is also the
    table's calculated-column formula, in either language.
    """
    interactions = schema.INTERACTIONS
    client_id_column = (
        f"${client_id_letter}"
        if client_id_letter is not None
        else _letter(interactions, interactions.column("client_id"), absolute=True)
    )
    client_id = f"INDEX({client_id_column}:{client_id_column},ROW())"
    ids, name, company = (schema.CLIENT_LOOKUP_NAMES[key] for key in ("client_id", "name", "company"))
    found = f"MATCH({client_id},{ids},0)"
    return (
        f'IF({client_id}="","",IFERROR(IF(INDEX({company},{found})&""="",'
        f'INDEX({name},{found})&"",INDEX({company},{found})&""),"?"))'
    )


def _letter(spec: Sheet, column: Column, absolute: bool = False) -> str:
    """The column's letter as the template lays the sheet out, ``$C`` when absolute."""
    letter = column_letter(schema.template_columns(spec).index(column))
    return f"${letter}" if absolute else letter


def _whole_column(spec: Sheet, key: str, locale: str) -> str:
    """``Clients!$A:$A``: a whole column of the template, sheet-qualified."""
    letter = _letter(spec, spec.column(key), absolute=True)
    return f"{sheet_ref(spec.name(locale))}!{letter}:{letter}"


_FORMULAS = {schema.CLIENT_NAME.column.key: client_name_formula}


def column_width(column: Column, locale: str) -> int:
    """The schema width, widened when a word of the header would hide under the filter button."""
    longest_word = max(len(word) for word in column.name(locale).split())
    return max(column.width, longest_word + FILTER_BUTTON_WIDTH)


# --- data sheets ------------------------------------------------------------------


def _write_data_sheet(worksheet: Worksheet, spec: Sheet, locale: str, rows: Sequence[Mapping[str, object]]) -> None:
    columns = schema.template_columns(spec)
    _write_header(worksheet, [c.name(locale) for c in columns])
    formulas = {c.key: _FORMULAS[c.key] for c in columns if schema.is_formula_column(spec, c)}
    known = {c.key for c in spec.columns}
    formula_like: list[tuple[int, int]] = []
    for number, row in enumerate(rows, start=2):
        extra = set(row) - known
        if extra:
            raise ValueError(f"{spec.key} row {number - 1} has unknown columns {sorted(extra)}")
        values = ["=" + formulas[column.key]() if column.key in formulas else row.get(column.key) for column in columns]
        worksheet.append(values)
        formula_like.extend(
            (number, index)
            for index, (column, value) in enumerate(zip(columns, values), start=1)
            if isinstance(value, str) and value.startswith("=") and column.key not in formulas
        )
    # Text such as "=)" in a comment is data, not a formula.
    for number, index in formula_like:
        worksheet.cell(number, index).data_type = "s"

    last_data_row = max(2, len(rows) + 1)  # an Excel table needs at least one (empty) data row
    for index, column in enumerate(columns, start=1):
        letter = column_letter(index - 1)
        dimension = worksheet.column_dimensions[letter]
        dimension.width = column_width(column, locale)
        shown_as = number_format(spec, column)
        if shown_as:
            # The column style formats cells typed later; cells written now need their own.
            dimension.number_format = shown_as
            for (cell,) in worksheet.iter_rows(min_row=2, max_row=len(rows) + 1, min_col=index, max_col=index):
                cell.number_format = shown_as
        if column.key in formulas:
            worksheet.cell(1, index).fill = _FORMULA_HEADER_FILL
            dimension.font = _FORMULA_FONT
            for (cell,) in worksheet.iter_rows(min_row=2, max_row=len(rows) + 1, min_col=index, max_col=index):
                cell.font = _FORMULA_FONT

    ref = f"A1:{column_letter(len(columns) - 1)}{last_data_row}"
    table = Table(displayName=spec.table_name_in(locale), ref=ref, autoFilter=AutoFilter(ref=ref))
    # A calculated column: Excel copies the formula into every row the table grows by.
    table.tableColumns = [
        TableColumn(
            id=index,
            name=column.name(locale),
            calculatedColumnFormula=(
                TableFormula(attr_text=formulas[column.key]()) if column.key in formulas else None
            ),
        )
        for index, column in enumerate(columns, start=1)
    ]
    table.tableStyleInfo = TableStyleInfo(
        name=TABLE_STYLE, showRowStripes=True, showColumnStripes=False, showFirstColumn=False, showLastColumn=False
    )
    worksheet.add_table(table)
    worksheet.freeze_panes = "A2"


def number_format(spec: Sheet, column: Column) -> str | None:
    """The column's number format: that of its kind, or General for a number that may have decimals (a discount
    of 7.5 % shown as 8 would mislead)."""
    check = _NUMBER_CHECKS.get((spec.key, column.key))
    return "General" if check is not None and check[0] == "decimal" else column.number_format


def _write_header(worksheet: Worksheet, names: Sequence[str], list_from: int | None = None) -> None:
    """Row 1 of a sheet; columns from ``list_from`` (1-based) on get the colour of Settings lists."""
    worksheet.append(list(names))
    for column, cell in enumerate(worksheet[1], start=1):
        cell.font = _HEADER_FONT
        cell.fill = _LIST_HEADER_FILL if list_from and column >= list_from else _HEADER_FILL
        cell.alignment = _HEADER_ALIGNMENT
    worksheet.row_dimensions[1].height = HEADER_ROW_HEIGHT


def _column_range(spec: Sheet, column: Column) -> str:
    return column_cells(_letter(spec, column))


def _add_dropdowns(worksheet: Worksheet, spec: Sheet, locale: str) -> None:
    for column in schema.list_columns(spec):
        dropdown = list_dropdown(column, locale)
        # showDropDown stays False: in the file format True means *hide* the in-cell arrow.
        validation = DataValidation(
            type="list",
            formula1=dropdown.formula,
            allow_blank=True,
            showDropDown=False,
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle=dropdown.error_title,
            error=dropdown.error,
        )
        validation.add(_column_range(spec, column))
        worksheet.add_data_validation(validation)


def list_dropdown(column: Column, locale: str, sqref: str = "") -> NewDropdown:
    """The dropdown of a column with ``choices`` over ``sqref``: its fixed values, or the defined name of its list
    (``schema.LIST_DEFINED_NAMES``), and the message that refuses a value not in it."""
    key = column.choices
    assert key is not None
    if key in schema.FIXED_LISTS:
        values = [value.name(locale) for value in schema.FIXED_LISTS[key]]
        formula = '"' + ",".join(values) + '"'
        message = (
            t("Choose {first} or {second}.", first=values[0], second=values[1])
            if len(values) == 2
            else t("Choose one of: {values}.", values=", ".join(values))
        )
    else:
        formula = schema.LIST_DEFINED_NAMES[key]
        source = schema.LIST_SOURCES[key]
        where = f"{source.sheet.name(locale)} › {source.column.name(locale)}"
        message = t(
            "Pick a value from the dropdown. To use a new one, first add it to the list on {where}.", where=where
        )
    return NewDropdown(sqref, formula, t("Not in the list").render(locale), message.render(locale))


def column_cells(letter: str) -> str:
    """The cells a column's dropdown and checks cover in the template, in column ``letter``: row 2 to Excel's
    last row."""
    return f"{letter}{LIST_FIRST_ROW}:{letter}{LAST_ROW}"


def _add_client_id_dropdown(worksheet: Worksheet, spec: Sheet, locale: str) -> None:
    """The ClientIDs of Clients as a dropdown on a sheet that refers to clients.

    A typed ID that is not in the list is questioned, not refused: a client
    typed on Clients a minute ago gets its ID only at the next refresh.
    """
    if spec is schema.CLIENTS or "client_id" not in {c.key for c in spec.columns}:
        return
    shows_name = schema.CLIENT_NAME in schema.FORMULA_COLUMNS.get(spec.key, ())
    prompt = "client_id_prompt" if shows_name else "client_id_plain_prompt"
    validation = _id_dropdown(schema.CLIENT_IDS_NAME, "client_id", locale, prompt)
    validation.add(_column_range(spec, spec.column("client_id")))
    worksheet.add_data_validation(validation)


def _add_parent_contract_dropdown(worksheet: Worksheet, spec: Sheet, locale: str) -> None:
    """The ContractIDs of the sheet as a dropdown on Parent contract, where an annex names its contract.

    Questioned, not refused, like a ClientID: the list ends early at a blank ContractID, and validation names an
    annex whose contract is missing all the same.
    """
    if spec is not schema.CONTRACTS:
        return
    validation = _id_dropdown(schema.CONTRACT_IDS_NAME, "parent_contract", locale, "parent_contract_prompt")
    validation.add(_column_range(spec, spec.column("parent_id")))
    worksheet.add_data_validation(validation)


def _id_dropdown(defined_name: str, texts: str, locale: str, prompt: str) -> DataValidation:
    """A dropdown of the IDs behind ``defined_name`` that warns of an ID not in it; ``texts`` picks the title and
    error of the entry messages ("client_id", "parent_contract"), ``prompt`` the key of the message on entering."""
    title = schema.entry_message(f"{texts}_title", locale)
    return DataValidation(
        type="list",
        formula1=defined_name,
        allow_blank=True,
        showDropDown=False,
        showInputMessage=True,
        promptTitle=title,
        prompt=schema.entry_message(prompt, locale),
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=title,
        error=schema.entry_message(f"{texts}_error", locale),
    )


# Dates Excel can hold: serial 1 (1 January 1900) to 31 December 9999.
_FIRST_DATE, _LAST_DATE = 1, 2_958_465
# Below any amount a return or a refund will ever have: the lower bound of their Amount.
_LOWEST_AMOUNT = "-1E+15"
# The entry messages of a money column by sheet (a price elsewhere).
_MONEY_TEXTS = {schema.INTERACTIONS.key: "amount", schema.CONTRACTS.key: "contract_amount"}
# Number columns with an entry check, by (sheet key, column key): the kind of number, the comparison and its bounds.
# The column key also picks the entry messages.
_NUMBER_CHECKS: dict[tuple[str, str], tuple[CheckKind, CheckOperator, tuple[str, ...]]] = {
    (schema.CLIENTS.key, "discount"): ("decimal", "between", ("0", "100")),
    (schema.CLIENTS.key, "payment_term"): ("whole", "greaterThanOrEqual", ("0",)),
}


def _add_entry_checks(worksheet: Worksheet, spec: Sheet, locale: str) -> None:
    """Every column's entry check (see :func:`entry_check`) over its whole column."""
    for column in spec.columns:
        check = entry_check(spec, column, locale, _column_range(spec, column))
        if check is not None:
            worksheet.add_data_validation(_validation(check))


def entry_check(
    spec: Sheet, column: Column, locale: str, sqref: str, letters: Mapping[str, str] | None = None
) -> NewCheck | None:
    """The template's entry check of a column of ``spec`` over ``sqref``: dates only in a date column, numbers only
    in a money column (below zero only on the row of a return or a payment), a discount of 0 to 100 %, a payment
    term of whole days; None for a column without one. ``letters`` (column key -> letter) says where a user's
    sheet has its columns; by default where the template puts them."""
    if column.kind is Kind.DATE:
        return date_check(sqref, locale)
    if column.kind is Kind.MONEY:
        texts = _MONEY_TEXTS.get(spec.key, "price")
        return _entry_check(texts, locale, sqref, "decimal", "greaterThanOrEqual", _lowest_amount(spec, letters))
    number = _NUMBER_CHECKS.get((spec.key, column.key))
    if number is None:
        return None
    kind, operator, bounds = number
    return _entry_check(column.key, locale, sqref, kind, operator, *bounds)


def date_check(sqref: str, locale: str) -> NewCheck:
    """The check of a date cell over ``sqref``: a date Excel can hold, nothing else."""
    return _entry_check("date", locale, sqref, "date", "between", str(_FIRST_DATE), str(_LAST_DATE))


def _lowest_amount(spec: Sheet, letters: Mapping[str, str] | None = None) -> str:
    """0, or on Interactions :func:`amount_bound`; 0 on a sheet of ``letters`` without a Type column."""
    if spec is not schema.INTERACTIONS or (letters is not None and "type" not in letters):
        return "0"
    return amount_bound(letters)


def amount_bound(
    letters: Mapping[str, str] | None = None, types: Sequence[schema.ListValue] = schema.NEGATIVE_AMOUNT_TYPES
) -> str:
    """The lower bound of the Amount check of Interactions: a formula that lowers it below any amount on a row
    whose Type is one of ``types`` (a return, a payment: a refund), in either language, and keeps it at 0
    otherwise. ``letters`` as in :func:`open_plan_formula`."""
    type_cell = f"{_interactions_letters(letters, 'type')[0]}{LIST_FIRST_ROW}"
    may_be_negative = ",".join(f'{type_cell}="{spelling}"' for kind in types for spelling in kind.spellings())
    return f"IF(OR({may_be_negative}),{_LOWEST_AMOUNT},0)"


def _entry_check(
    texts: str, locale: str, sqref: str, kind: CheckKind, operator: CheckOperator, *bounds: str
) -> NewCheck:
    """A date or number check over ``sqref`` that shows what to type on entering the cell and refuses anything
    else.

    ``texts`` picks the messages: "date", "amount", "contract_amount", "price", "discount" or "payment_term".
    """
    names = {"return_type": schema.RETURN.name(locale), "payment_type": schema.PAYMENT.name(locale)}
    first, *second = bounds
    return NewCheck(
        sqref,
        kind,
        operator,
        first,
        second[0] if second else None,
        schema.entry_message(f"{texts}_title", locale),
        schema.entry_message(f"{texts}_prompt", locale).format(**names),
        schema.entry_message(f"{texts}_error", locale).format(**names),
    )


def _validation(check: NewCheck) -> DataValidation:
    """The entry check as openpyxl writes it."""
    validation = DataValidation(
        type=check.kind,
        operator=check.operator,
        formula1=check.formula1,
        formula2=check.formula2,
        allow_blank=True,
        showInputMessage=True,
        promptTitle=check.title,
        prompt=check.prompt,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=check.title,
        error=check.error,
    )
    validation.add(check.sqref)
    return validation


def _add_highlights(worksheet: Worksheet, spec: Sheet) -> None:
    """Open plans due and ahead, and booked rows, on Interactions; birthdays today on Clients and Contacts."""
    if spec is schema.INTERACTIONS:
        next_dates = _column_range(spec, spec.column("next_date"))
        worksheet.conditional_formatting.add(
            next_dates, FormulaRule(formula=[open_plan_formula("<=")], stopIfTrue=True, **_OVERDUE)
        )
        worksheet.conditional_formatting.add(
            next_dates, FormulaRule(formula=[open_plan_formula(">")], stopIfTrue=True, **_UPCOMING)
        )
        worksheet.conditional_formatting.add(
            _column_range(spec, spec.column("date")),
            FormulaRule(formula=[booked_date_formula()], stopIfTrue=True, **_UPCOMING),
        )
    if spec in (schema.CLIENTS, schema.CONTACTS):
        column = spec.column("birthday")
        cell = _column_range(spec, column).split(":")[0]
        worksheet.conditional_formatting.add(
            _column_range(spec, column),
            FormulaRule(
                formula=[f"AND(ISNUMBER({cell}),MONTH({cell})=MONTH(TODAY()),DAY({cell})=DAY(TODAY()))"],
                stopIfTrue=True,
                **_BIRTHDAY_TODAY,
            ),
        )


def _interactions_letters(letters: Mapping[str, str] | None, *keys: str) -> list[str]:
    """The absolute column letters ("$A") of ``keys`` on Interactions: from ``letters`` (column key -> letter,
    as a user's sheet has them), else as the template lays the sheet out."""
    spec = schema.INTERACTIONS
    if letters is None:
        return [_letter(spec, spec.column(key), absolute=True) for key in keys]
    return ["$" + letters[key] for key in keys]


def booked_date_formula(letters: Mapping[str, str] | None = None, row: int = LIST_FIRST_ROW) -> str:
    """The highlight of the Date of a row dated after today (a booked meeting, a plan due that day).

    Written for ``row`` (the range's first) and applied down the column; ``letters`` as in
    :func:`open_plan_formula`."""
    (date,) = _interactions_letters(letters, "date")
    return f"AND(ISNUMBER({date}{row}),{date}{row}>TODAY())"


def open_plan_formula(
    due: Literal["<=", ">"], letters: Mapping[str, str] | None = None, row: int = LIST_FIRST_ROW
) -> str:
    """The highlight of a Next date that is an open plan, due today or earlier (``"<="``) or later (``">"``).

    Written for ``row`` of Interactions (the range's first, row 2 in the template) and applied down the column;
    ``letters`` gives the columns of Date, ClientID and Next date (column key -> letter) where a user's sheet
    has them, by default where the template puts them. A plan made
    on a row dated R for the Next date D is closed by a contact of the same
    client: a row of any type dated after R (any date when the planning row
    has none: N() of a blank is 0), no earlier than D minus the Settings
    value plan_early_days, and no later than today (a row dated after today
    is booked, not done). COUNTIFS counts such rows over the whole Date and
    ClientID columns: Excel and LibreOffice both stop at the last used row,
    so a sheet of 100,000 rows costs one count per cell on screen, and whole
    columns, unlike a fixed range such as $A$2:$A$200000, stay right when rows
    are added or deleted. plan_early_days comes through the defined name
    :data:`PLAN_EARLY_DAYS_NAME` (3 when Settings lacks it).
    """
    date, client_id, next_date = _interactions_letters(letters, "date", "client_id", "next_date")
    contacts = (
        f"COUNTIFS({client_id}:{client_id},{client_id}{row},"
        f'{date}:{date},">"&N({date}{row}),'
        f'{date}:{date},">="&({next_date}{row}-{PLAN_EARLY_DAYS_NAME}),'
        f'{date}:{date},"<="&TODAY())'
    )
    return f"AND(ISNUMBER({next_date}{row}),{next_date}{row}{due}TODAY(),{contacts}=0)"


def plan_early_days_formula(
    locale: str, sheet_name: str | None = None, letters: Mapping[str, str] | None = None
) -> str:
    """Formula of the defined name behind the plan highlight: the Settings value of plan_early_days.

    Found by its key in the Key column (wherever its row is), read as a
    number whether typed as one or as text; the default when the row, the
    sheet or a usable value is missing. ``sheet_name`` and ``letters`` (column key -> letter of Key and Value)
    say where a user's Settings sheet has them; by default the template's.
    """
    settings = schema.SETTINGS
    sheet = sheet_ref(sheet_name or settings.name(locale))
    if letters is None:
        key, value = (_letter(settings, settings.column(k), absolute=True) for k in ("key", "value"))
    else:
        key, value = ("$" + letters[k] for k in ("key", "value"))
    item = schema.setting("plan_early_days")
    found = f'INDEX({sheet}!{value}:{value},MATCH("{item.key}",{sheet}!{key}:{key},0))'
    return f'IFERROR(VALUE({found}&""),{item.default})'


# --- printing ----------------------------------------------------------------------

DEFAULT_COLUMN_WIDTH = 8.43


def set_up_printing(worksheet: Worksheet, header_row: bool) -> None:
    """Print ``worksheet`` on A4, one page wide (landscape when its columns are wider than a portrait page), with
    the sheet name and the date atop every page, page numbers below, and row 1 repeated when ``header_row``."""
    widths = [
        worksheet.column_dimensions[column_letter(index)].width or DEFAULT_COLUMN_WIDTH
        for index in range(worksheet.max_column)
    ]
    setup = worksheet.page_setup
    setup.paperSize = worksheet.PAPERSIZE_A4
    setup.orientation = "landscape" if sum(widths) > PORTRAIT_CHARACTERS else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    worksheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    worksheet.page_margins.left = worksheet.page_margins.right = SIDE_MARGIN
    if header_row:
        worksheet.print_title_rows = "1:1"
    header, footer = worksheet.oddHeader, worksheet.oddFooter
    assert header is not None and footer is not None  # openpyxl gives every sheet both
    header.left.text, header.right.text, footer.center.text = "&A", "&D", "&P / &N"


# --- Settings ------------------------------------------------------------------------


def _write_settings(
    worksheet: Worksheet, locale: str, lists: Mapping[str, Sequence[str]], chosen: Mapping[str, object]
) -> None:
    spec = schema.SETTINGS
    first_list = 1 + min(spec.columns.index(spec.column(key)) for key in lists)
    _write_header(worksheet, [c.name(locale) for c in spec.columns], list_from=first_list)
    holidays = default_holidays(locale)
    segments = example_segments(locale)
    height = max(len(schema.SETTINGS_KEYS), len(holidays), len(segments), *(len(values) for values in lists.values()))
    key_col, label_col, value_col, description_col = (
        1 + spec.columns.index(spec.column(k)) for k in ("key", "label", "value", "description")
    )
    holiday_cols = [spec.columns.index(spec.column(k)) for k in HOLIDAY_COLUMNS]
    segment_cols = [spec.columns.index(spec.column(k)) for k in ("segment", "segment_filter")]
    for offset in range(height):
        row: list[object] = [None] * len(spec.columns)
        if offset < len(schema.SETTINGS_KEYS):
            item = schema.SETTINGS_KEYS[offset]
            row[key_col - 1] = item.key
            row[label_col - 1] = item.label(locale)
            row[value_col - 1] = chosen.get(item.key, item.default_in(locale))
            row[description_col - 1] = item.description(locale)
        for key, values in lists.items():
            if offset < len(values):
                row[spec.columns.index(spec.column(key))] = values[offset]
        if offset < len(holidays):
            for index, value in zip(holiday_cols, holidays[offset]):
                row[index] = value
        if offset < len(segments):
            for index, value in zip(segment_cols, segments[offset]):
                row[index] = value
        worksheet.append(row)
    for offset, item in enumerate(schema.SETTINGS_KEYS, start=2):
        if isinstance(chosen.get(item.key), dt.date):
            worksheet.cell(offset, value_col).number_format = schema.NUMBER_FORMATS[Kind.DATE]
    for index, column in enumerate(spec.columns):
        worksheet.column_dimensions[column_letter(index)].width = column_width(column, locale)
    _add_yes_no_dropdown(worksheet, value_col, locale)
    _add_date_settings(worksheet, value_col, locale)
    # A holiday's date is a day and month: kept as typed text (23.02), so no year shows and Excel with a decimal
    # point does not turn it into the number 23.02; a real date typed there is read as well.
    date_index = 1 + spec.columns.index(spec.column("holiday_date"))
    worksheet.column_dimensions[column_letter(date_index - 1)].number_format = "@"
    for (cell,) in worksheet.iter_rows(min_row=2, max_row=len(holidays) + 1, min_col=date_index, max_col=date_index):
        cell.number_format = "@"
    if locale != "en":
        # The keys are English words that xlcrm reads, not text for people: a Russian reader goes by the Setting
        # column, which names each setting in the workbook's language. The column stays, hidden: xlcrm reads a row
        # by its key, and a key or label typed in either language into the Key cell is read as well.
        worksheet.column_dimensions[column_letter(key_col - 1)].hidden = True
    description_width = column_width(spec.column("description"), locale)
    for number in range(2, height + 2):
        for position in range(1, len(spec.columns) + 1):
            # A row grown for its description keeps the other cells level with its first line; values sit left,
            # away from the description, whether numbers or text.
            worksheet.cell(number, position).alignment = Alignment(
                horizontal="left" if position == value_col else None,
                wrap_text=position == description_col,
                vertical="top",
            )
        description = worksheet.cell(number, description_col).value
        if isinstance(description, str):
            worksheet.row_dimensions[number].height = wrapped_height(description, description_width)
    worksheet.freeze_panes = "A2"


def _add_yes_no_dropdown(worksheet: Worksheet, value_col: int, locale: str) -> None:
    """A Yes / No dropdown on the value cell of every setting whose answer is Yes or No (consent required), so
    the owner picks the answer instead of typing it."""
    rows = [2 + offset for offset, item in enumerate(schema.SETTINGS_KEYS) if is_yes_no(item)]
    if not rows:
        return
    letter = column_letter(value_col - 1)
    dropdown = yes_no_dropdown("", locale)
    validation = DataValidation(
        type="list",
        formula1=dropdown.formula,
        allow_blank=True,
        showDropDown=False,  # False shows the in-cell arrow (True hides it, in the file format)
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=dropdown.error_title,
        error=dropdown.error,
    )
    for row in rows:
        validation.add(f"{letter}{row}")
    worksheet.add_data_validation(validation)


def _add_date_settings(worksheet: Worksheet, value_col: int, locale: str) -> None:
    """The value cell of every date setting (Track payments from) formatted and checked as a date, blank as it is."""
    letter = column_letter(value_col - 1)
    cells = [f"{letter}{2 + offset}" for offset, item in enumerate(schema.SETTINGS_KEYS) if is_date_setting(item)]
    for ref in cells:
        worksheet[ref].number_format = schema.NUMBER_FORMATS[Kind.DATE]
    if cells:
        worksheet.add_data_validation(_validation(date_check(" ".join(cells), locale)))


def is_date_setting(item: schema.Setting) -> bool:
    """Whether a setting's value is a date (blank by default)."""
    return item.default is None


def is_yes_no(item: schema.Setting) -> bool:
    """Whether a setting's answer is Yes or No (it gets the Yes / No dropdown)."""
    return item.default in (schema.YES, schema.NO)


def yes_no_dropdown(sqref: str, locale: str) -> NewDropdown:
    """The Yes / No dropdown of a setting's value over ``sqref``, in ``locale``."""
    answers = [schema.YES.name(locale), schema.NO.name(locale)]
    error = t("Choose {first} or {second}.", first=answers[0], second=answers[1]).render(locale)
    return NewDropdown(sqref, '"' + ",".join(answers) + '"', t("Not in the list").render(locale), error)


def default_holidays(locale: str) -> list[tuple[str, str, str]]:
    """The rows of the holidays table of a new template: name in ``locale``, ``DD.MM`` and the block numbers.

    A blank Blocks cell means every block but Dead; the template spells them out all the same, so the owner sees
    how to narrow a holiday down.
    """
    every_block_but_dead = tuple(block.number for block in schema.BLOCKS if block is not schema.DEAD)
    return [
        (
            holiday.name(locale),
            f"{holiday.day:02d}.{holiday.month:02d}",
            ", ".join(str(number) for number in holiday.blocks or every_block_but_dead),
        )
        for holiday in schema.DEFAULT_HOLIDAYS
    ]


def wrapped_height(text: str, width: float) -> int:
    """Row height (points) that shows ``text`` wrapped in a column ``width`` characters wide, up to Excel's
    highest row.

    LibreOffice does not grow a row to its wrapped text when it opens a file
    written by openpyxl, so wrapped text ran over the rows below: the height
    is set (see ``word_wrapped_lines``).
    """
    return lines_height(word_wrapped_lines(text, width))


# --- How to use ------------------------------------------------------------------------

# Texts take sheet, column and list names from the schema through str.format placeholders.
_INTRO = (
    t("Client base"),
    t(
        "Keep every client and every contact with them here, by hand, as usual. Run xlcrm to check, clean and "
        "summarise the base; it never asks questions and never loses what you typed."
    ),
)

_SHEETS = (
    (
        "clients",
        t(
            "One row per client (a company or a person). {client_id} is the key that links the other sheets; leave it "
            "blank for a new client: refresh, dedupe or import gives it the next free one. Two rows with one "
            "{client_id} count for neither until one of them gets another."
        ),
    ),
    (
        "contacts",
        t("Several contact persons per client, linked by {client_id}."),
    ),
    (
        "services",
        t("What you sell, with prices. The {service} dropdown on {interactions} lists it."),
    ),
    (
        "interactions",
        t(
            "Every contact with a client is one row: calls, meetings, letters, agreements, orders. Pick the "
            "{client_id} from the dropdown; {client_name} shows whose it is. An order is a row of type {order} with "
            "its {amount}; money given back is a row of type {return_type}, whose amount lowers revenue whether typed "
            "as 5000 or -5000. Plan the next touch in {next_action} and {next_date}, or type a row dated ahead for a "
            "booked meeting: an open plan turns red when it is due and yellow while it is ahead."
        ),
    ),
    (
        "contracts",
        t(
            "Contracts with clients and their annexes, one row each, linked to the client by {client_id}. Give each "
            "its own {contract_id}; an annex names the {contract_id} of its contract in {parent_id}, from the "
            "dropdown. {valid_from} and {valid_until} are the term. Only a contract whose {status} is "
            "{contract_active}, or blank, counts: the agenda reminds its end ahead ({setting_contract_end_days}). "
            "{problems} lists an annex whose contract is missing or belongs to another client, a term that ends "
            "before it begins, and two counted contracts of one client on the same {subject} whose terms overlap."
        ),
    ),
    (
        "settings",
        t(
            "Thresholds of the client blocks, the days and limits of the agenda, the holidays to greet clients on and "
            "the lists behind the dropdowns. Add a manager, source, interaction type or holiday at the bottom of its "
            "column."
        ),
    ),
)

_REPORTS = t(
    "Sheets whose names start with {marker}(for example {problems}) are reports made by xlcrm. They are rewritten on "
    "every run: do not type in them, except your decisions on the duplicates review sheet."
)

_COMMANDS = (
    (
        "xlcrm validate clients.xlsx",
        t("List every problem with its cell; changes nothing."),
    ),
    (
        "xlcrm refresh clients.xlsx",
        t("Check, clean, merge confirmed duplicates, compute lifecycle blocks and rewrite the reports, in one go."),
    ),
    (
        "xlcrm dedupe clients.xlsx",
        t("Find clients entered twice and list the pairs for your decision."),
    ),
    (
        "xlcrm agenda clients.xlsx",
        t("Whom each manager contacts today and why: plans, follow-ups by block, greetings."),
    ),
    (
        "xlcrm import",
        t("Bring clients in from a CSV file (see xlcrm import --help)."),
    ),
    (
        "xlcrm unmerge",
        t("Undo a merge of duplicates; every merge is logged with the original rows."),
    ),
    ("xlcrm --help", t("Every command and option.")),
)

_RULES = (
    t(
        "Close the workbook before running a command that changes it: xlcrm will not write to a file open in Excel or "
        "LibreOffice, and keeps a dated backup of the previous version."
    ),
    t(
        "xlcrm never touches your own extra columns and sheets, formulas, charts, pictures, comments or macros. In "
        "{clients}, {contacts}, {services} and {interactions} it only fills blank {client_id}s on {clients} with the "
        "next free ones and makes the changes you asked for, such as merging duplicates you confirmed."
    ),
    t(
        "Keep the headers in row 1. Column order does not matter, headers may be in English or Russian, and you may "
        "add your own columns at the right."
    ),
    t("Type dates as dates (31.12.2025), not as text; amounts as plain numbers without a currency sign."),
)

# Who may change what: the protection xlcrm gives its report sheets, the one an owner can add, and its limits.
_PROTECTION = (
    (
        t("Report sheets"),
        t(
            "Sheets whose names start with {mark} are protected without a password, so that nothing is typed into "
            "them by accident: xlcrm rewrites them at every refresh. Selecting and copying work, and so does the "
            "filter where a sheet has one; only the {decision} column of {duplicates} is open to typing. To look "
            "around freely, lift the protection (Excel: Review › Unprotect Sheet; LibreOffice: Tools › Protect "
            "Sheet); the next refresh protects the sheet again and drops whatever was typed into it."
        ),
    ),
    (
        t("Settings and computed columns"),
        t(
            "To keep colleagues from changing {settings} or the {mark} columns of {clients}, use the spreadsheet's "
            "own protection. In Excel: select the columns people may type into, Format Cells › Protection, untick "
            "Locked; then Review › Protect Sheet, with a password if you like. In LibreOffice: Format › Cells › "
            "Cell Protection, then Tools › Protect Sheet. xlcrm reads and writes protected sheets as before: it "
            "fills the {mark} columns and blank {client_id}s, applies the merges you confirmed, and keeps the "
            "protection and its password as they were."
        ),
    ),
    (
        t("What xlcrm cannot enforce"),
        t(
            "Protection guards against slips, not against people: anyone who may save the file can lift a "
            "protection without a password, a sheet password is easily removed with free tools, and xlcrm cannot "
            "tell who typed what in a shared file. What it does instead: at every "
            "refresh {changes} lists the rows added, changed and deleted since xlcrm last saved the workbook; when "
            "many rows have disappeared, refresh stops before writing, and xlcrm restore brings them back from the "
            "copy of its last save."
        ),
    ),
)

# The eight blocks, top to bottom as the rules are checked, and the agenda's rules. Settings appear as
# {setting_<key>}: "Settings › <its label>", so the reader finds the number that tunes the rule.
_BLOCKS_INTRO = t(
    "Every refresh puts each client in one of eight blocks and writes it in the {block_column} column of {clients}. "
    "The rules are checked from the top; the first that fits wins."
)
_BLOCK_RULES = (
    (
        schema.KEY_BLOCK,
        t("{designation} is {designation_key}: your most important clients, chosen by hand from proven partners."),
    ),
    (schema.VIP_BLOCK, t("{designation} is {designation_vip}.")),
    (
        schema.DEAD,
        t(
            "The relationship has ended, in one of two ways. Not to revive: you set {designation} to "
            "{designation_lost} and pick the reason in {lost_reason}. Worth reviving: a client who ordered at least "
            "once and has been silent for long ({setting_dead_after_days}). A client who never ordered is never "
            "Dead by silence: it stays in {block_potential}, or in {block_active} with an {agreement}. It counts as "
            "cold after as long without a contact, or when it never had one and has been in the base as long."
        ),
    ),
    (schema.PARTNER, t("At least as many orders as set ({setting_partner_orders}).")),
    (schema.REGULAR, t("At least as many orders as set ({setting_regular_orders}).")),
    (schema.WORKING, t("One order or more.")),
    (schema.ACTIVE, t("An {agreement} is logged, no order yet.")),
    (schema.POTENTIAL, t("Everyone else: in the base, with no agreement and no order yet.")),
)
_AGENDA_INTRO = t("{agenda} (and xlcrm agenda) tells each manager whom to contact today and why.")
_PLANS = t(
    "Each {next_date} is a plan, and so is a row dated after today: a meeting or call booked ahead, due on its "
    "{date}. A plan stays open until the client has a contact after the row it was made on and no earlier than the "
    "planned date; a contact a few days early counts too ({setting_plan_early_days}). A contact is a row of any type "
    "dated today or earlier; an earlier contact about something else does not close the plan. To cancel a plan, "
    "clear its {next_date}. On {interactions} an open plan due today or earlier is red, one still ahead is yellow, "
    "and so is the {date} of a booked row. On its day the booked row counts as the contact, yet while its {result} "
    "is empty it stays on the agenda as a plan due that day; from the next day it is just the contact."
)
_FOLLOW_UPS = (
    (
        (schema.POTENTIAL,),
        t(
            "Never contacted: a first contact, due a few days after {created} ({setting_first_contact_days}); today "
            "when {created} is blank."
        ),
    ),
    (
        (schema.ACTIVE,),
        t("Silent for long ({setting_active_silent_days}): turn the agreement into a first order."),
    ),
    (
        (schema.WORKING,),
        t(
            "Silent for long since the last contact ({setting_working_silent_days}): ask for the second order. These "
            "are the most dangerous clients: they bought once and may never come back."
        ),
    ),
    (
        (schema.REGULAR, schema.PARTNER),
        t("Later than their own usual interval between orders: offer to order again."),
    ),
    (
        (schema.VIP_BLOCK, schema.KEY_BLOCK),
        t(
            "No contact for a while ({setting_review_days}): a regular review. A VIP or Key client with fewer orders "
            "than set ({setting_regular_orders}) is listed on {problems}: check the designation."
        ),
    ),
    (
        (schema.DEAD,),
        t(
            "Worth reviving: each manager gets a few a week ({setting_reactivations_per_week}), in turn, never the "
            "whole list. Not to revive: left alone, but one who ordered lately ({setting_lost_order_days}) is listed "
            "to check the status."
        ),
    ),
)
_GREETINGS = t(
    "Birthdays of clients and of their contact persons, and holidays: New Year, 23 February and 8 March to begin "
    "with. Add your own, such as a professional day, on {settings} in {holiday} and {holiday_date}, and the blocks it "
    "is for in {holiday_blocks} (blank: every block but {block_dead}). Each is listed a few days ahead "
    "({setting_birthday_days}), one line per client."
)
_ORDER = t(
    "One row per client and day with all its reasons, the most urgent first; plans due in the next days "
    "({setting_birthday_days}) are listed as upcoming. An item overdue for long ({setting_stale_after_days}) moves to "
    "a separate part below instead of topping the list. Each manager's list is cut at a set length "
    "({setting_agenda_limit}) and what is left is counted; each manager prints on a page of their own."
)

# Payments and debts: each text under the label its placeholder names (see :func:`_names`).
_PAYMENTS = (
    (
        "{payment}",
        t(
            "Money received from a client is a row of type {payment} on {interactions}, with the sum in {amount}. "
            "Money paid back to the client, a refund, is a {payment} row with the amount below zero, such as -5000. "
            "A payment is bookkeeping, not a contact: it is no touch of a manager, does not make the client less "
            "silent and does not close a plan; it is never an order and never revenue."
        ),
    ),
    (
        "{order_number}",
        t(
            "If your orders have numbers, type the number in {order_number} on the order's row and the same number "
            "on the payment or return for it: that order is settled first. A payment without a number settles the "
            "client's oldest unpaid orders first. A number that no order of the client has is listed on {problems}; "
            "such a payment still counts in the balance."
        ),
    ),
    (
        "{payment_term_title}",
        t(
            "An order is due as many days after its date as set ({setting_payment_term_days}), or as the client's "
            "own {payment_term} says when it is filled; 0: on the day of the order. An order not paid in full by "
            "then is overdue: the agenda lists it for the client's manager with the amount and the days late."
        ),
    ),
    (
        "{payments_from}",
        t(
            "Orders, payments and returns dated before this day of {settings} count as settled. Fill in the day you "
            "start recording payments, so that older orders do not show as debts; blank: every order waits for its "
            "payment. xlcrm init --upgrade fills in the day of the upgrade."
        ),
    ),
    (
        "{balance}",
        t(
            "Debts are counted once the workbook has a row of type {payment}. Each refresh writes on {clients} "
            "{balance}: what the client owes, below zero when the client paid ahead; and {unpaid_since}: the date "
            "of the oldest order not paid in full."
        ),
    ),
)

_KIND_HINTS: dict[Kind, Message | None] = {
    Kind.ID: t("Identifier, kept as text."),
    Kind.TEXT: None,  # the header says it all
    Kind.LONG_TEXT: t("Free text."),
    Kind.PHONE: t("Phone in any form (+7 916 123-45-67, 8 (916) 123-45-67); several separated by commas."),
    Kind.EMAIL: t("E-mail; several separated by commas."),
    Kind.INN: t("Taxpayer number: 10 digits for a company, 12 for a person; kept as text."),
    Kind.DATE: t("Date, for example 31.12.2025."),
    Kind.MONEY: t("Amount, a number without a currency sign."),
    Kind.NUMBER: t("Whole number."),
    Kind.BOOL: t("{yes} or {no}, from the dropdown."),
    Kind.CHOICE: t("From the dropdown; the list is on {where}."),
}
# What a column takes where its kind says otherwise, by (sheet key, column key).
_COLUMN_HINTS: dict[tuple[str, str], Message | None] = {
    (schema.CLIENTS.key, "discount"): t("A number, decimals allowed, such as 7.5; without the % sign."),
    (schema.CLIENTS.key, "payment_term"): t("Whole number of days, 0 or more."),
    (schema.CLIENTS.key, "card_number"): None,  # its own hint says it is kept as text
}
_LINKED_CLIENT_ID = t("A {client_id} from the {clients} sheet, picked from the dropdown.")
_LINKED_CONTRACT_ID = t("A {contract_id} of this sheet, picked from the dropdown.")
_FIXED_CHOICE = t("From the dropdown.")


def column_hint(spec: Sheet, column: Column, locale: str) -> str:
    """One line for the "How to use" sheet: the schema hint, then what the column takes."""
    names = _names(locale)
    parts = [column.hint.render(locale) if column.hint else ""]
    if column.key == "client_id" and spec is not schema.CLIENTS:
        parts.append(_LINKED_CLIENT_ID.render(locale).format(**names))
    elif column.key == "parent_id":
        parts.append(_LINKED_CONTRACT_ID.render(locale).format(**names))
    elif column.kind is Kind.CHOICE and column.choices in schema.FIXED_LISTS:
        parts.append(_FIXED_CHOICE.render(locale))
    else:
        where = ""
        if column.choices in schema.LIST_SOURCES:
            source = schema.LIST_SOURCES[column.choices]
            where = f"{source.sheet.name(locale)} › {source.column.name(locale)}"
        hint = _COLUMN_HINTS.get((spec.key, column.key), _KIND_HINTS[column.kind])
        if hint is not None:
            parts.append(hint.render(locale).format(where=where, **names))
    return " ".join(part for part in parts if part)


HOW_TO_LABEL_WIDTH = 30
HOW_TO_TEXT_WIDTH = 100


def _write_how_to(worksheet: Worksheet, locale: str) -> None:
    """Two columns: a label and its text; the text wraps, and its row is as high as the wrapped text."""
    names = _names(locale)
    worksheet.column_dimensions["A"].width = HOW_TO_LABEL_WIDTH
    worksheet.column_dimensions["B"].width = HOW_TO_TEXT_WIDTH
    worksheet.sheet_view.showGridLines = False

    def line(label: str | None, text: str | None = None, font: Font | None = None) -> None:
        worksheet.append([label, text])
        row = worksheet.max_row
        if font is not None:
            worksheet.cell(row, 1).font = font
        worksheet.cell(row, 1).alignment = Alignment(vertical="top")
        worksheet.cell(row, 2).alignment = Alignment(wrap_text=True, vertical="top")
        if text and text.startswith("="):
            worksheet.cell(row, 2).data_type = "s"  # text such as "= != < …" (the segment comparisons), no formula
        if text:
            worksheet.row_dimensions[row].height = wrapped_height(text, HOW_TO_TEXT_WIDTH)

    def section(heading: Message) -> None:
        worksheet.append([])
        line(heading.render(locale), font=_SECTION_FONT)

    title, intro = (text.render(locale) for text in _INTRO)
    line(title, font=_TITLE_FONT)
    line(None, intro)

    section(t("Sheets"))
    for key, text in _SHEETS:
        line(schema.sheet_by_key(key).name(locale), text.render(locale).format(**names), _BOLD)
    line(schema.REPORT_MARKER + "…", _REPORTS.render(locale).format(**names), _BOLD)

    section(t("The eight client blocks"))
    line(None, _BLOCKS_INTRO.render(locale).format(**names))
    for item, text in _BLOCK_RULES:
        line(item.label(locale), text.render(locale).format(**names), _BOLD)

    section(t("The morning agenda"))
    line(None, _AGENDA_INTRO.render(locale).format(**names))
    line(t("Plans and bookings").render(locale), _PLANS.render(locale).format(**names), _BOLD)
    for blocks, text in _FOLLOW_UPS:
        line(", ".join(item.label(locale) for item in blocks), text.render(locale).format(**names), _BOLD)
    line(t("Greetings and holidays").render(locale), _GREETINGS.render(locale).format(**names), _BOLD)
    line(t("Order, old items, length").render(locale), _ORDER.render(locale).format(**names), _BOLD)

    section(t("Payments and debts"))
    for label, text in _PAYMENTS:
        line(label.format(**names), text.render(locale).format(**names), _BOLD)

    section(SEGMENTS_HEADING)
    for segment_label, explained in segment_help(locale):
        line(segment_label, explained, _BOLD)

    section(t("Commands"))
    for command, text in _COMMANDS:
        line(command, text.render(locale), Font(name="Consolas"))

    section(t("Rules"))
    for text in _RULES:
        line("•", text.render(locale).format(**names))
        worksheet.cell(worksheet.max_row, 1).alignment = Alignment(horizontal="right", vertical="top")

    section(t("Who may change what"))
    protection_names = {
        **names,
        "mark": schema.REPORT_MARKER.strip(),
        "decision": schema.dedupe_label("decision", locale),
        "duplicates": schema.DUPLICATES.name(locale),
        "changes": schema.CHANGES.name(locale),
    }
    for heading, text in _PROTECTION:
        line(heading.render(locale), text.render(locale).format(**protection_names), _BOLD)

    section(t("Columns"))
    for spec in DATA_SHEETS:
        line(spec.name(locale), None, _HEADER_FONT)
        for cell in worksheet[worksheet.max_row]:
            cell.fill = _HEADER_FILL
        for column in schema.template_columns(spec):
            line(column.name(locale), column_hint(spec, column, locale))


def _names(locale: str) -> dict[str, str]:
    """Placeholders for the how-to texts: sheet names, column names and list values in ``locale``."""
    names = {spec.key: spec.name(locale) for spec in schema.ALL_TEMPLATE_SHEETS}
    for spec in (schema.SERVICES, schema.CLIENTS, schema.INTERACTIONS):  # Interactions wins shared keys
        names.update({column.key: column.name(locale) for column in spec.columns})
    for column in schema.CONTRACTS.columns:  # its own columns only: Date, Amount, Comment are those of Interactions
        names.setdefault(column.key, column.name(locale))
    names.update(
        order=schema.ORDER.name(locale),
        return_type=schema.RETURN.name(locale),
        payment=schema.PAYMENT.name(locale),
        payment_term_title=schema.entry_message("payment_term_title", locale),
        payments_from=schema.setting("payments_from").label(locale),
        client_name=schema.CLIENT_NAME.column.name(locale),
        yes=schema.YES.name(locale),
        no=schema.NO.name(locale),
        marker=schema.REPORT_MARKER,
        problems=schema.PROBLEMS.name(locale),
        agenda=schema.AGENDA.name(locale),
        agreement=schema.AGREEMENT.name(locale),
        contract_active=schema.CONTRACT_ACTIVE.name(locale),
        designation_vip=schema.VIP.name(locale),
        designation_key=schema.KEY_ACCOUNT.name(locale),
        designation_lost=schema.LOST.name(locale),
        block_column=next(c for c in schema.CLIENT_COMPUTED_COLUMNS if c.key == "block").name(locale),
    )
    names.update({f"block_{item.key}": item.name(locale) for item in schema.BLOCKS})
    names.update(
        {
            column.key: schema.REPORT_MARKER + column.name(locale)
            for column in schema.CLIENT_COMPUTED_COLUMNS
            if column.key in ("balance", "unpaid_since")
        }
    )
    names.update(
        {key: schema.SETTINGS.column(key).name(locale) for key in ("holiday", "holiday_date", "holiday_blocks")}
    )
    settings = schema.SETTINGS.name(locale)
    names.update({f"setting_{item.key}": f"{settings} › {item.label(locale)}" for item in schema.SETTINGS_KEYS})
    return names


def check_locale(locale: str) -> None:
    """Refuse a locale xlcrm has no names for."""
    if locale not in schema.LOCALES:
        raise UsageError(t("unknown locale '{locale}'; use one of {choices}", locale=locale, choices=schema.LOCALES))
