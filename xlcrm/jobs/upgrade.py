"""``xlcrm init --upgrade``: a workbook made by an older template gains the sheets, columns and settings of the
current one, and keeps every cell it has.

What the template has and the workbook lacks is found from the schema (``schema.USER_SHEETS``, their columns,
``schema.SETTINGS_KEYS``), so a later version that adds a sheet, a column or a setting is upgraded to without a
change here:

- a missing user sheet is copied from the template built in the workbook's language (headers, widths, formats,
  its Excel table, dropdowns, frozen header; see ``xlcrm.xlsx.sheet_copy``), after the last sheet of data;
- a missing column gets its header right of the sheet's used columns (nothing moves; xlcrm finds columns by
  their headers, so on Clients it may stand after the computed ▸ columns), styled like the sheet's headers, and
  the sheet's Excel table grows over it when the table ends there; a Settings list column gets the template's
  values (Reasons lost, the holidays), the Setting column the label of each setting its row names; a column the
  template gives a dropdown (Reason lost on Clients) gets it, from row 2 down as in the template, after the
  sheet's own dropdowns, with the defined name of its list when the workbook lacks it;
- a missing column of a sheet of data gets the template's entry check (a date, an amount, a discount of 0 to
  100 %, whole days) and its number format ("@": a card number keeps its leading zeros);
- a missing setting gets a row below the last one: key, label, default value and description, where those
  cells are empty, and the Yes / No dropdown on its value when its answer is Yes or No. A date setting gets the
  day of the upgrade and a date check: «Track payments from» so set means orders from now on wait for payments
  and the years of history before count as settled, not as debts;
- a row of a retired setting (``schema.RETIRED_SETTINGS``: the duplicate points) becomes the row of the setting
  that replaces it, when the workbook has none: its key, label, value (the new default: points are not a
  probability, so a value the owner chose is not carried over, and the result's notes say what it was) and
  description are written over, in place, so no other row moves;
- the Amount check of Interactions as an older template made it (below zero only for a Return, recognised by its
  exact cells and formula) is replaced by the current one, which lets a Payment below zero (a refund) in too;
- a built-in list value a later version added (the Return and Payment interaction types) that a Settings list
  lacks gets the cell below the list's last value, when that cell is empty and the defined name behind the
  dropdown reaches it. Any other built-in value a list lacks was removed by the owner, and stays removed.

Everything else of the workbook is copied byte for byte (see ``xlcrm.xlsx.package``). Clients must be there:
without it the workbook is not one xlcrm can upgrade. A sheet that has the headers of a missing sheet under
another name (the owner renamed it) is not added twice: it is named in the result instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xlcrm import schema
from xlcrm.checks.normalize import as_text, is_blank
from xlcrm.create.segment_help import example_segments
from xlcrm.create.template import (
    DATA_SHEETS,
    LIST_FIRST_ROW,
    amount_bound,
    build_workbook,
    column_cells,
    column_width,
    date_check,
    default_holidays,
    entry_check,
    is_date_setting,
    is_yes_no,
    list_dropdown,
    list_name_formula,
    number_format,
    settings_lists,
    yes_no_dropdown,
)
from xlcrm.errors import WorkbookStructureError, quoted
from xlcrm.files.safe_save import SaveOptions, SaveResult, holding_workbook_lock
from xlcrm.files.save import save_changes
from xlcrm.jobs.opening import open_to_change
from xlcrm.messages import Text, t
from xlcrm.schema import Column
from xlcrm.xlsx.data_validations import NewValidation
from xlcrm.xlsx.package import (
    cell_styles,
    first_free_column,
    rows_with_content,
    validation_formulas,
    workbook_name_formulas,
    workbook_names,
)
from xlcrm.xlsx.reader import SheetData, WorkbookData, header_rows, read_workbook
from xlcrm.xlsx.refs import column_index, column_letter
from xlcrm.xlsx.report_sheet import CellValue
from xlcrm.xlsx.sheet_copy import SheetCopy
from xlcrm.xlsx.sheet_edits import SheetEdit

# A sheet under another name is taken for a missing user sheet when its row 1 holds this many of that sheet's
# headers, its required ones among them.
_LOOK_ALIKE_HEADERS = 2
# Built-in values of Settings lists that a later version added, by list key: a list made before lacks them, and
# an upgrade appends them (any other built-in value a list lacks was removed by its owner).
_ADDED_LIST_VALUES = {"interaction_types": (schema.RETURN, schema.PAYMENT)}
# The types an older template's Amount check let below zero.
_OLD_NEGATIVE_AMOUNT_TYPES = (schema.RETURN,)


@dataclass(frozen=True)
class AddedColumn:
    """A column header added to a user sheet: where, and how many of the template's values came with it."""

    sheet: str
    header: str
    cell: str  # the header cell, e.g. S1
    values: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The column as JSON-ready values."""
        return asdict(self)


@dataclass(frozen=True)
class AddedSetting:
    """A setting given a row on Settings, with the value written there (None: blank); ``replaces`` is the key of
    the retired setting whose row it took (None: a new row)."""

    key: str
    label: str
    row: int
    value: int | str | dt.date | None = None
    replaces: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The setting as JSON-ready values (a date as 2026-12-03)."""
        value = self.value.isoformat() if isinstance(self.value, dt.date) else self.value
        return {"key": self.key, "label": self.label, "row": self.row, "value": value, "replaces": self.replaces}


@dataclass(frozen=True)
class AddedListValue:
    """A built-in value appended to a Settings list: the list's header, the value and its cell."""

    sheet: str
    header: str
    value: str
    cell: str

    def to_dict(self) -> dict[str, Any]:
        """The value as JSON-ready values."""
        return asdict(self)


@dataclass(frozen=True)
class ReplacedCheck:
    """An entry check of an older template replaced by the current one: the column's header and the cells."""

    sheet: str
    header: str
    cells: str

    def to_dict(self) -> dict[str, Any]:
        """The check as JSON-ready values."""
        return asdict(self)


@dataclass(frozen=True)
class UpgradeResult:
    """What ``upgrade_workbook`` added (or, on a dry run, would add), and what it left out and why."""

    path: Path
    locale: str
    dry_run: bool
    sheets: tuple[str, ...] = ()  # user sheets added, as named in the workbook
    columns: tuple[AddedColumn, ...] = ()
    settings: tuple[AddedSetting, ...] = ()
    list_values: tuple[AddedListValue, ...] = ()
    checks: tuple[ReplacedCheck, ...] = ()
    left_out: tuple[Text, ...] = ()  # what the template has that was not added, with the reason
    notes: tuple[Text, ...] = ()  # what the owner should know of what was added (a value not carried over)
    save: SaveResult | None = None  # None on a dry run or when there was nothing to add

    @property
    def nothing_to_add(self) -> bool:
        """Whether the workbook has everything the template has (what was left out aside)."""
        return not (self.sheets or self.columns or self.settings or self.list_values or self.checks)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {
            "path": str(self.path),
            "locale": self.locale,
            "dry_run": self.dry_run,
            "nothing_to_add": self.nothing_to_add,
            "sheets": list(self.sheets),
            "columns": [column.to_dict() for column in self.columns],
            "settings": [item.to_dict() for item in self.settings],
            "list_values": [item.to_dict() for item in self.list_values],
            "checks": [item.to_dict() for item in self.checks],
            "left_out": [str(reason) for reason in self.left_out],
            "notes": [str(note) for note in self.notes],
            "backup": str(self.save.backup) if self.save and self.save.backup else None,
        }


def upgrade_workbook(
    path: str | Path,
    *,
    dry_run: bool = False,
    save: SaveOptions = SaveOptions(),
    password: str | None = None,
    today: dt.date | None = None,
) -> UpgradeResult:
    """Add to the workbook at ``path`` the user sheets, columns, settings and built-in list values of the current
    template it lacks, changing none of its cells but the rows of retired settings, which the settings replacing
    them take; returns what was added (nothing is written with ``dry_run``, nor when there is nothing to add). A
    date setting added gets ``today`` (default: the real date), the day of the upgrade. ``password`` opens a
    password-protected workbook, which is saved back protected.

    Raises ``WorkbookStructureError`` (nothing written) when the workbook has no Clients sheet.
    """
    upgrade = functools.partial(_upgrade, dry_run=dry_run, today=today or dt.date.today())
    return open_to_change(path, password, save, upgrade, dry_run=dry_run)


@dataclass
class _Plan:
    """What the upgrade adds, as the save takes it and as the result tells it."""

    copies: list[SheetCopy] = field(default_factory=list)
    edits: list[SheetEdit] = field(default_factory=list)
    columns: list[AddedColumn] = field(default_factory=list)
    settings: list[AddedSetting] = field(default_factory=list)
    list_values: list[AddedListValue] = field(default_factory=list)
    checks: list[ReplacedCheck] = field(default_factory=list)
    left_out: list[Text] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)
    # Added columns that the template gives a dropdown: (sheet, column, letter), given theirs once every
    # column is planned (a list may read a column added to Settings).
    lists: list[tuple[str, Column, str]] = field(default_factory=list)


@holding_workbook_lock("path")
def _upgrade(path: Path, save: SaveOptions, *, dry_run: bool, today: dt.date) -> UpgradeResult:
    data = read_workbook(path)
    look_alikes = _look_alikes(data)
    if data.sheet(schema.CLIENTS.key) is None:
        raise WorkbookStructureError(_no_clients(data, look_alikes.get(schema.CLIENTS.key)))
    with tempfile.TemporaryDirectory(prefix="xlcrm-upgrade-") as folder:
        template = Path(folder) / "template.xlsx"
        plan = _Plan()
        _plan_sheets(data, template, look_alikes, plan)
        for spec in schema.USER_SHEETS:
            sheet = data.sheet(spec.key)
            if sheet is not None:
                _plan_columns(data, sheet, plan)
        _plan_settings(data, plan, today)
        _plan_list_values(data, plan)
        _plan_amount_check(data, plan)
        _plan_dropdowns(data, plan)
        adding = bool(plan.copies or plan.columns or plan.settings or plan.list_values or plan.checks)
        result = UpgradeResult(
            path=save.output or path if adding else path,  # nothing to add: no output is written, PATH is told
            locale=data.locale,
            dry_run=dry_run,
            sheets=tuple(copied.name for copied in plan.copies),
            columns=tuple(plan.columns),
            settings=tuple(plan.settings),
            list_values=tuple(plan.list_values),
            checks=tuple(plan.checks),
            left_out=tuple(plan.left_out),
            notes=tuple(plan.notes),
        )
        if dry_run or result.nothing_to_add:
            return result
        if plan.copies:
            build_workbook(data.locale).save(template)
        saved = save_changes(
            data,
            edits=plan.edits,
            copies=plan.copies,
            save=save,
        )
    return dataclasses.replace(result, path=saved.path, save=saved)


def _no_clients(data: WorkbookData, look_alike: str | None) -> Text:
    names = schema.CLIENTS.name(data.locale)
    if look_alike is not None:
        return t(
            "{path} has no sheet {sheet}; sheet {other} has its headers: rename it to {sheet} and run again; the "
            "workbook was not changed",
            path=data.path,
            sheet=quoted(names),
            other=quoted(look_alike),
        )
    return t(
        "{path} has no sheet {sheet}, so it is not a client base xlcrm can upgrade; the workbook was not changed",
        path=data.path,
        sheet=quoted(names),
    )


# --- sheets ----------------------------------------------------------------------


def _plan_sheets(data: WorkbookData, template: Path, look_alikes: dict[str, str], plan: _Plan) -> None:
    """A copy of the template's sheet for each user sheet the workbook lacks, after its last sheet of data."""
    after = _last_data_sheet(data)
    for spec in schema.USER_SHEETS:
        if data.sheet(spec.key) is not None:
            continue
        other = look_alikes.get(spec.key)
        if other is not None:
            plan.left_out.append(
                t(
                    "sheet {sheet} is not added: sheet {other} has its headers; rename it to {sheet} for xlcrm to "
                    "read it",
                    sheet=quoted(spec.name(data.locale)),
                    other=quoted(other),
                )
            )
            continue
        own = schema.find_sheet_name(spec, data.sheet_names)
        if own is not None:
            plan.left_out.append(
                t(
                    "sheet {sheet} is not added: the workbook has a sheet {own} of its own, without the columns "
                    "{columns}; rename that sheet for xlcrm to add its {sheet}",
                    sheet=quoted(spec.name(data.locale)),
                    own=quoted(own),
                    columns=[column.name(data.locale) for column in spec.columns if column.required],
                )
            )
            continue
        name = spec.name(data.locale)
        plan.copies.append(SheetCopy(template, name, name, after))
        if spec is not schema.SETTINGS:
            after = name


def _last_data_sheet(data: WorkbookData) -> str | None:
    """The last user sheet other than Settings, in the workbook's order: new sheets of data follow it."""
    ours = {
        sheet.name
        for spec in schema.USER_SHEETS
        if spec is not schema.SETTINGS and (sheet := data.sheet(spec.key)) is not None
    }
    return next((name for name in reversed(data.sheet_names) if name in ours), None)


def _look_alikes(data: WorkbookData) -> dict[str, str]:
    """Sheet key -> the name of a sheet xlcrm does not know whose row 1 holds that missing sheet's headers."""
    missing = [spec for spec in schema.USER_SHEETS if data.sheet(spec.key) is None]
    known = {schema.fold(name) for spec in schema.ALL_TEMPLATE_SHEETS for name in spec.names()}
    unknown = [
        name
        for name in data.sheet_names
        if schema.fold(name) not in known and not name.startswith(schema.REPORT_MARKER.strip())
    ]
    if not missing or not unknown:
        return {}
    found: dict[str, str] = {}
    for name, header in header_rows(data.path, unknown).items():
        for spec in missing:
            matched = {column.key for value in header if (column := schema.match_column(spec, value)) is not None}
            required = {column.key for column in spec.columns if column.required}
            if len(matched) >= _LOOK_ALIKE_HEADERS and required <= matched and spec.key not in found:
                found[spec.key] = name
    return found


# --- columns ----------------------------------------------------------------------


def _plan_columns(data: WorkbookData, sheet: SheetData, plan: _Plan) -> None:
    """Headers of the sheet's missing columns right of its used columns, looking like its other headers."""
    missing = list(sheet.missing_columns)
    if not missing:
        return
    if sheet.misplaced_header is not None:
        plan.left_out.append(
            t(
                "the columns {columns} are not added to {sheet}: its headers are on row {row}, not row 1",
                columns=[column.name(data.locale) for column in missing],
                sheet=quoted(sheet.name),
                row=sheet.misplaced_header,
            )
        )
        return
    styles = cell_styles(data.path, sheet.name, 1)
    # Right of everything on the sheet, a column of formulas whose results read blank too.
    first_free = first_free_column(data.path, sheet.name, sheet.width)
    schema_columns = [column_index(letter) for letter in sheet.letters.values()]
    look = styles.get(max(schema_columns)) if schema_columns else None
    values = _template_values(sheet, missing, data.locale)
    cells: dict[str, CellValue] = {}
    for offset, column in enumerate(missing):
        letter = column_letter(first_free + offset)
        cells[f"{letter}1"] = column.name(data.locale)
        column_values = values.get(column.key, {})
        cells.update({f"{letter}{row}": value for row, value in column_values.items()})
        plan.columns.append(AddedColumn(sheet.name, column.name(data.locale), f"{letter}1", len(column_values)))
        if column.choices is not None:
            plan.lists.append((sheet.name, column, letter))
    letters = [column_letter(first_free + offset) for offset in range(len(missing))]
    checks: list[NewValidation] = []
    formats: dict[str, str] = {}
    if sheet.spec in DATA_SHEETS:
        for letter, column in zip(letters, missing):
            check = entry_check(sheet.spec, column, data.locale, column_cells(letter), sheet.letters)
            checks.extend([check] if check is not None else [])
            formats.update({letter: code} if (code := number_format(sheet.spec, column)) else {})
    plan.edits.append(
        SheetEdit(
            sheet.name,
            set_cells=cells,
            column_widths={letter: column_width(column, data.locale) for letter, column in zip(letters, missing)},
            cell_styles={f"{letter}1": look for letter in letters} if look is not None else {},
            new_dropdowns=checks,
            column_formats=formats,
            data_column=next(iter(sheet.letters.values()), None),
        )
    )


def _template_values(sheet: SheetData, missing: Sequence[Column], locale: str) -> dict[str, dict[int, CellValue]]:
    """The values a missing Settings column comes with, by row: column key -> {row: value}. A list column gets
    the template's list from row 2 (the holidays, a table of three columns, only when all three are missing; the
    example segments, only when both segment columns are); the Setting column gets the label of each setting its
    row's key names."""
    if sheet.spec is not schema.SETTINGS:
        return {}
    keys = {column.key for column in missing}
    values: dict[str, dict[int, CellValue]] = {
        key: dict(enumerate(items, start=2)) for key, items in settings_lists(locale).items() if key in keys
    }
    for table_keys, rows in (
        (("holiday", "holiday_date", "holiday_blocks"), default_holidays(locale)),
        (("segment", "segment_filter"), example_segments(locale)),
    ):
        if set(table_keys) <= keys:
            values.update({key: {2 + n: row[i] for n, row in enumerate(rows)} for i, key in enumerate(table_keys)})
    if "label" in keys:
        known = {schema.fold(spelling): item for item in schema.SETTINGS_KEYS for spelling in item.spellings()}
        named = sheet.column_values("key").dropna()
        values["label"] = {
            int(row): item.label(locale)
            for row, key in zip(named.index, named.tolist())
            if (item := known.get(schema.fold(key))) is not None
        }
    return values


def _plan_dropdowns(data: WorkbookData, plan: _Plan) -> None:
    """The template's dropdown on each added column that has one. A list read through a defined name the
    workbook lacks gets that name over its Settings column (a Settings sheet copied from the template brings the
    template's names); without that column the dropdown is left out."""
    names = workbook_names(data.path) if plan.lists else set()
    names |= {name.casefold() for name in schema.LIST_DEFINED_NAMES.values() if _copies_settings(data, plan)}
    for sheet_name, column, letter in plan.lists:
        dropdown = list_dropdown(column, data.locale, column_cells(letter))
        key = column.choices
        assert key is not None
        missing: dict[str, str] = {}
        if key in schema.LIST_DEFINED_NAMES and dropdown.formula.casefold() not in names:
            source = _list_column(data, plan, schema.LIST_SOURCES[key])
            if source is None:
                plan.left_out.append(
                    t(
                        "the dropdown of column {column} on {sheet} is not added: the workbook has no list {list} "
                        "for it",
                        column=quoted(column.name(data.locale)),
                        sheet=quoted(sheet_name),
                        list=quoted(schema.LIST_SOURCES[key].column.name(data.locale)),
                    )
                )
                continue
            missing[dropdown.formula] = list_name_formula(key, data.locale, source)
        plan.edits.append(SheetEdit(sheet_name, new_dropdowns=[dropdown], missing_names=missing))


def _copies_settings(data: WorkbookData, plan: _Plan) -> bool:
    """Whether the upgrade adds the template's Settings sheet, with the defined names of its lists."""
    return schema.SETTINGS.name(data.locale) in {copied.name for copied in plan.copies}


def _list_column(data: WorkbookData, plan: _Plan, source: schema.ListSource) -> tuple[str, str] | None:
    """The sheet name and column letter of a dropdown's list in the workbook, a column ``plan`` adds included;
    None when it has none."""
    sheet = data.sheet(source.sheet.key)
    if sheet is None:
        return None
    letter = sheet.letters.get(source.column.key)
    if letter is not None:
        return sheet.name, letter
    header = schema.fold(source.column.name(data.locale))
    added = (item for item in plan.columns if item.sheet == sheet.name and schema.fold(item.header) == header)
    found = next(added, None)
    return (sheet.name, found.cell.rstrip("0123456789")) if found is not None else None


# --- settings ------------------------------------------------------------------------


def _plan_settings(data: WorkbookData, plan: _Plan, today: dt.date) -> None:
    """A row for each setting the Settings sheet lacks, below its last one, where those cells are empty; a date
    setting holds ``today``. A setting that replaces a retired one takes the retired one's row instead."""
    sheet = data.sheet(schema.SETTINGS.key)
    if sheet is None:  # the template's own Settings sheet is added, every setting on it, a date setting blank
        plan.left_out += [
            t(
                "{label} on the added sheet {sheet} is blank, so every order of the workbook waits for a payment; "
                "type in the day you start recording payments",
                label=quoted(item.label(data.locale)),
                sheet=quoted(schema.SETTINGS.name(data.locale)),
            )
            for item in schema.SETTINGS_KEYS
            if is_date_setting(item) and _copies_settings(data, plan)
        ]
        return
    present = {
        schema.fold(value)
        for key in ("key", "label")
        for value in sheet.column_values(key).dropna()
        if str(value).strip()
    }
    missing = [item for item in schema.SETTINGS_KEYS if not {schema.fold(s) for s in item.spellings()} & present]
    if not missing:
        return
    letters = _settings_letters(sheet, plan)
    if "key" not in letters or "value" not in letters:
        plan.left_out.append(
            t(
                "settings {keys} are not added: {sheet} has no Key and Value columns; their defaults apply",
                keys=[item.key for item in missing],
                sheet=quoted(sheet.name),
            )
        )
        return
    swaps = _retired_rows(sheet, {item.key for item in missing})
    appended = [item for item in missing if item.key not in swaps]
    named = sheet.column_values("key").notna() | sheet.column_values("label").notna()
    last = int(max(named.index[named], default=1))
    rows = dict(zip((item.key for item in appended), range(last + 1, last + 1 + len(appended))))
    taken = {
        row
        for letter in letters.values()
        for row in rows_with_content(data.path, sheet.name, list(rows.values()), column_index(letter))
    }
    # New cells look like those of the last setting: a cell would take the style of the one above it otherwise,
    # and a number below the new date setting would show as a date. A swapped row keeps its looks.
    looks = cell_styles(data.path, sheet.name, last)
    cells: dict[str, CellValue] = {}
    styles: dict[str, int] = {}
    yes_no: list[str] = []
    dates: list[str] = []
    for item in missing:
        swap = swaps.get(item.key)
        row = swap.row if swap is not None else rows[item.key]
        if swap is None and row in taken:
            plan.left_out.append(_setting_left_out(item, row, sheet.name, data.locale))
            continue
        value = today if is_date_setting(item) else item.default_in(data.locale)
        texts = {
            "key": item.key,
            "label": item.label(data.locale),
            "value": value,
            "description": item.description(data.locale),
        }
        cells.update({f"{letters[key]}{row}": text for key, text in texts.items() if key in letters})
        if swap is None:
            styles.update(
                {
                    f"{letter}{row}": looks[index]
                    for letter in letters.values()
                    if (index := column_index(letter)) in looks
                }
            )
        else:
            plan.notes += _value_not_carried_over(swap, item, sheet.name, data.locale)
        replaces = swap.setting.key if swap is not None else None
        plan.settings.append(AddedSetting(item.key, item.label(data.locale), row, value, replaces))
        (yes_no if is_yes_no(item) else dates if is_date_setting(item) else []).append(f"{letters['value']}{row}")
    if cells:
        checks: list[NewValidation] = [yes_no_dropdown(" ".join(yes_no), data.locale)] if yes_no else []
        checks += [date_check(" ".join(dates), data.locale)] if dates else []
        plan.edits.append(SheetEdit(sheet.name, set_cells=cells, cell_styles=styles, new_dropdowns=checks))


@dataclass(frozen=True)
class _RetiredRow:
    """A Settings row of a retired setting: its row number, the setting and the value typed there."""

    row: int
    setting: schema.RetiredSetting
    value: object


def _retired_rows(sheet: SheetData, missing: set[str]) -> dict[str, _RetiredRow]:
    """Key of a missing setting -> the first row of Settings (named by its Key or, that blank, its Setting cell)
    of the retired setting it replaces."""
    retired = {schema.fold(spelling): item for item in schema.RETIRED_SETTINGS for spelling in item.spellings()}
    keys = sheet.column_values("key")
    names = keys.where(keys.notna(), sheet.column_values("label")).dropna()
    values = sheet.column_values("value")
    found: dict[str, _RetiredRow] = {}
    for row, name in zip(names.index, names.tolist()):
        item = retired.get(schema.fold(name))
        if item is not None and item.replaced_by in missing and item.replaced_by not in found:
            found[item.replaced_by] = _RetiredRow(int(row), item, values.get(row))
    return found


def _value_not_carried_over(swap: _RetiredRow, item: schema.Setting, sheet: str, locale: str) -> list[Text]:
    """A note when the owner had chosen the retired setting's value: it was points, the new one is a probability."""
    if is_blank(swap.value) or as_text(swap.value) == str(swap.setting.default):
        return []
    return [
        t(
            "{old} on row {row} of {sheet} was {value}, in points of a duplicate score; a match probability is "
            "another scale, so it is not carried over: {new} is {default} %, set it anew if you want another",
            old=quoted(swap.setting.label(locale)),
            row=swap.row,
            sheet=quoted(sheet),
            value=as_text(swap.value),
            new=quoted(item.label(locale)),
            default=item.default_in(locale),
        )
    ]


def _setting_left_out(item: schema.Setting, row: int, sheet: str, locale: str) -> Text:
    """Why a setting got no row: the row is taken; what applies instead."""
    if is_date_setting(item):
        return t(
            "setting {key} is not added: row {row} of {sheet} is not empty; it stays blank, so every order waits "
            "for a payment",
            key=item.key,
            row=row,
            sheet=quoted(sheet),
        )
    return t(
        "setting {key} is not added: row {row} of {sheet} is not empty; its default {default} applies",
        key=item.key,
        row=row,
        sheet=quoted(sheet),
        default=item.default_in(locale),
    )


def _settings_letters(sheet: SheetData, plan: _Plan) -> dict[str, str]:
    """The letters of the Key, Setting, Value and Description columns of Settings, those added by ``plan``
    included."""
    letters = {key: letter for key, letter in sheet.letters.items() if key in ("key", "label", "value", "description")}
    by_header = {
        schema.fold(column.name(locale)): column for column in schema.SETTINGS.columns for locale in schema.LOCALES
    }
    for added in plan.columns:
        column = by_header.get(schema.fold(added.header))
        if added.sheet == sheet.name and column is not None and column.key in ("label", "description"):
            letters[column.key] = added.cell.rstrip("0123456789")
    return letters


# --- built-in list values ---------------------------------------------------------------


def _plan_list_values(data: WorkbookData, plan: _Plan) -> None:
    """Each built-in value a later version added to a Settings list that the workbook's list lacks, below its last
    value."""
    sheet = data.sheet(schema.SETTINGS.key)
    if sheet is None:
        return  # the template's own Settings sheet is added, with every value
    formulas = workbook_name_formulas(data.path)
    for key, added in _ADDED_LIST_VALUES.items():
        letter = sheet.letters.get(key)
        if letter is None:
            continue  # a list column the upgrade adds comes with the template's values
        values = sheet.column_values(key).dropna()
        filled = [int(row) for row, value in zip(values.index, values.tolist()) if str(value).strip()]
        present = {schema.fold(value) for value in values.tolist()}
        wanted = [value for value in added if not {schema.fold(s) for s in value.spellings()} & present]
        if not wanted:
            continue
        last = max(filled, default=LIST_FIRST_ROW - 1)
        rows = range(last + 1, last + 1 + len(wanted))
        taken = rows_with_content(data.path, sheet.name, rows, column_index(letter))
        header = schema.SETTINGS.column(key).name(data.locale)
        reach = _name_reach(formulas.get(schema.LIST_DEFINED_NAMES[key].casefold(), ""), letter)
        cells: dict[str, CellValue] = {}
        for row, value in zip(rows, wanted):
            name = value.name(data.locale)
            if row in taken or (reach is not None and row > reach):
                plan.left_out.append(
                    t(
                        "value {value} is not added to the list {list} of {sheet}: cell {cell} is not free or the "
                        "dropdown does not reach it; type it below the list's last value",
                        value=quoted(name),
                        list=quoted(header),
                        sheet=quoted(sheet.name),
                        cell=f"{letter}{row}",
                    )
                )
                break  # a value further down would leave a gap in the list
            cells[f"{letter}{row}"] = name
            plan.list_values.append(AddedListValue(sheet.name, header, name, f"{letter}{row}"))
        if cells:
            plan.edits.append(SheetEdit(sheet.name, set_cells=cells))


def _name_reach(formula: str, letter: str) -> int | None:
    """The last row of column ``letter`` that a list's defined name ``formula`` reads (the template's reads
    ``$D$2:$D$2001``); None when it names no range of that column."""
    ends = [
        int(end)
        for first, end_letter, end in re.findall(r"\$?([A-Z]+)\$?\d+:\$?([A-Z]+)\$?(\d+)", formula)
        if first == letter == end_letter
    ]
    return max(ends, default=None)


# --- entry checks ------------------------------------------------------------------------


def _plan_amount_check(data: WorkbookData, plan: _Plan) -> None:
    """The current Amount check of Interactions in place of an older template's, which refuses a refund."""
    sheet = data.sheet(schema.INTERACTIONS.key)
    if sheet is None or not {"type", "amount"} <= sheet.letters.keys():
        return
    column = schema.INTERACTIONS.column("amount")
    cells = column_cells(sheet.letters["amount"])
    old = (cells, amount_bound(sheet.letters, _OLD_NEGATIVE_AMOUNT_TYPES))
    if old not in validation_formulas(data.path, sheet.name):
        return
    check = entry_check(schema.INTERACTIONS, column, data.locale, cells, sheet.letters)
    assert check is not None  # an amount column has its check
    plan.edits.append(SheetEdit(sheet.name, new_dropdowns=[check], replaced_validations=[old]))
    plan.checks.append(ReplacedCheck(sheet.name, column.name(data.locale), cells))
