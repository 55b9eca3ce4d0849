"""The highlights of plans on Interactions in a workbook made by an older xlcrm, brought up to the template's.

Older versions painted every Next date before today red and every one of today yellow, with two rules on the
Next date column: ``AND(ISNUMBER(K2),K2<TODAY())`` and ``AND(ISNUMBER(K2),K2=TODAY())``. A plan already followed
up stayed red for ever. The template now paints only open plans (see ``template.open_plan_formula``): red when
due today or earlier, yellow when ahead, and a booked row's Date yellow. A refresh upgrades the old pair once:
recognised by their exact text on the Next date column (wherever the user moved it), they get the template's
formulas and looks in place, the booked-date rule is added on the Date column, and the defined name the
formulas read joins the workbook if it lacks it. A workbook whose rules were changed or deleted by its user, or
already upgraded, is left as it is, and so is every other rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlcrm import schema
from xlcrm.create.template import (
    OVERDUE,
    PLAN_EARLY_DAYS_NAME,
    UPCOMING,
    booked_date_formula,
    open_plan_formula,
    plan_early_days_formula,
)
from xlcrm.xlsx.conditional_formats import ConditionalRule, NewRule, RuleChange
from xlcrm.xlsx.package import conditional_rules, workbook_names
from xlcrm.xlsx.reader import WorkbookData
from xlcrm.xlsx.refs import column_index
from xlcrm.xlsx.sheet_edits import SheetEdit, range_bounds, range_text

# The two rules older versions wrote on the Next date column, for its first cell.
_OLD_OVERDUE = "AND(ISNUMBER({cell}),{cell}<TODAY())"
_OLD_DUE_TODAY = "AND(ISNUMBER({cell}),{cell}=TODAY())"
_PLAN_COLUMNS = ("date", "client_id", "next_date")


@dataclass(frozen=True)
class _Column:
    """A range of the sheet that lies in one column: its rows."""

    first_row: int
    last_row: int


def plan_highlight_upgrade(data: WorkbookData) -> SheetEdit | None:
    """The edit of Interactions that upgrades the old highlight of Next dates, or None when there is nothing to
    upgrade (no such rules, rules the user changed, a workbook already upgraded, columns missing)."""
    sheet = data.sheet(schema.INTERACTIONS.key)
    if sheet is None or sheet.misplaced_header or not all(sheet.has(key) for key in _PLAN_COLUMNS):
        return None
    if PLAN_EARLY_DAYS_NAME.casefold() in workbook_names(data.path):
        # Made by the template of today or upgraded already: the name is there, so the old rules are not. Reading
        # workbook.xml spares a refresh inflating the whole Interactions part to look for them every time.
        return None
    rules = conditional_rules(data.path, sheet.name, sheet.without_cells)
    next_date, date = sheet.letters["next_date"], sheet.letters["date"]
    for sqref in dict.fromkeys(rule.sqref for rule in rules):
        column = _in_column(sqref, next_date)
        if column is None:
            continue
        cell = f"{next_date}{column.first_row}"
        overdue, due_today = _OLD_OVERDUE.format(cell=cell), _OLD_DUE_TODAY.format(cell=cell)
        found = [_formula(rule) for rule in rules if rule.sqref == sqref]
        if found.count(overdue) != 1 or found.count(due_today) != 1:
            continue
        letters = {key: sheet.letters[key] for key in _PLAN_COLUMNS}
        changes = [
            RuleChange(sqref, overdue, open_plan_formula("<=", letters, column.first_row), OVERDUE),
            RuleChange(sqref, due_today, open_plan_formula(">", letters, column.first_row), UPCOMING),
        ]
        booked = booked_date_formula(letters, column.first_row)
        dates = range_text(column.first_row, column_index(date), column.last_row, column_index(date))
        added = [] if booked in map(_formula, rules) else [NewRule(dates, booked, UPCOMING)]
        return SheetEdit(
            sheet.name,
            rule_changes=changes,
            new_rules=added,
            missing_names={PLAN_EARLY_DAYS_NAME: _plan_early_days(data)},
        )
    return None


def _formula(rule: ConditionalRule) -> str | None:
    """The formula of a formula rule; None for any other kind."""
    return rule.formulas[0] if rule.type == "expression" and len(rule.formulas) == 1 else None


def _in_column(sqref: str, letter: str) -> _Column | None:
    """The rows of ``sqref`` when it is one range down column ``letter`` (below the header), else None."""
    try:
        first_row, first_column, last_row, last_column = range_bounds(sqref.strip())
    except ValueError:
        return None
    column = column_index(letter)
    if " " in sqref.strip() or first_column != column or last_column != column or first_row < 2:
        return None
    return _Column(first_row, last_row)


def _plan_early_days(data: WorkbookData) -> str:
    """The defined name's formula, reading the workbook's own Settings sheet where its Key and Value columns are;
    the default alone when it has no such sheet."""
    settings = data.sheet(schema.SETTINGS.key)
    if settings is None or settings.misplaced_header or not (settings.has("key") and settings.has("value")):
        return str(schema.setting("plan_early_days").default)
    letters = {key: settings.letters[key] for key in ("key", "value")}
    return plan_early_days_formula(data.locale, settings.name, letters)
