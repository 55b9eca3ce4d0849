"""The template's formula columns kept filled in rows typed or imported after the workbook was made.

Excel copies a table's calculated-column formula into every row the table
grows by; LibreOffice does not, and rows appended below a table or by
``xlcrm import`` get none. ``missing_formulas`` finds the rows of such a
column whose cell is empty (no value and no formula) and gives the edit that
writes the formula there in the command's own save. A cell holding anything
is left as it is: a value typed over the formula is the user's.
"""

from __future__ import annotations

from xlcrm import schema
from xlcrm.create.template import client_name_formula
from xlcrm.xlsx.package import rows_with_content, workbook_names
from xlcrm.xlsx.reader import WorkbookData
from xlcrm.xlsx.refs import column_index
from xlcrm.xlsx.report_sheet import Formula
from xlcrm.xlsx.sheet_edits import SheetEdit


def missing_formulas(data: WorkbookData) -> SheetEdit | None:
    """The edit that writes the Client formula into every Interactions row with data whose Client cell is empty;
    None when there is no such row, or the sheet has no Client column (a workbook made before it), no ClientID
    column to look the client up by, or the workbook lacks the defined names the formula looks up through."""
    interactions = data.sheet(schema.INTERACTIONS.key)
    if interactions is None or interactions.misplaced_header or not interactions.has("client_id"):
        return None
    names = {schema.fold(schema.CLIENT_NAME.column.name(locale)) for locale in schema.LOCALES}
    letter = next(
        (letter for header, letter in interactions.extra_letters.items() if schema.fold(header) in names), None
    )
    # The formula looks the client up through the template's defined names: a Client column in a workbook without
    # them is the user's own, never written into.
    lookups = {name.casefold() for name in schema.CLIENT_LOOKUP_NAMES.values()}
    if letter is None or not lookups <= workbook_names(data.path):
        return None
    rows = interactions.frame.index.tolist()  # every row read holds a value in some input column
    filled = rows_with_content(data.path, interactions.name, rows, column_index(letter))
    empty = [row for row in rows if row not in filled]
    if not empty:
        return None
    formula = Formula(client_name_formula(interactions.letters["client_id"]))
    return SheetEdit(interactions.name, set_cells={f"{letter}{row}": formula for row in empty})
