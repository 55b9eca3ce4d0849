"""The user sheets of a workbook as a job's edits will leave them, worked out in memory before (or instead of) saving.

Refresh validates and analyses the base as it will be saved; dedupe and import count the errors left in it the
same way, so no job writes a copy or reads its save back to count them. :func:`as_saved` follows edits that set
cells of rows already there and delete rows (a merge's); :func:`with_appended` adds the rows an edit appends (an
import's). Rows an edit inserts (an unmerge's) are followed by neither.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pandas as pd

from xlcrm.xlsx.reader import WorkbookData
from xlcrm.xlsx.refs import column_letter
from xlcrm.xlsx.sheet_edits import RowMap, SheetEdit


def deleted_rows(edits: Sequence[SheetEdit]) -> dict[str, RowMap]:
    """The rows each sheet's edits delete, by the sheet's case-folded name (sheets that lose none left out)."""
    return {edit.sheet.casefold(): RowMap(edit.delete_rows) for edit in edits if edit.delete_rows}


def as_saved(data: WorkbookData, edits: Sequence[SheetEdit], deleted: dict[str, RowMap]) -> WorkbookData:
    """The user sheets as ``edits`` will leave them, each row under the number it will have once saved.

    Only the parsed values change (deleted rows dropped, set cells of known columns written, rows below the
    deleted ones renumbered); ``data`` itself stays as read, since the save checks the file against it.
    """
    if not edits:
        return data
    key_of = {sheet.name.casefold(): key for key, sheet in data.sheets.items()}
    sheets = dict(data.sheets)
    for edit in edits:
        key = key_of[edit.sheet.casefold()]
        sheet = sheets[key]
        rows = deleted.get(edit.sheet.casefold(), RowMap())
        kept = ~sheet.frame.index.isin(rows.deleted)
        # Copy-on-write: a column set below is copied alone, so a sheet that loses no rows (Interactions, whose
        # rows a merge re-points) keeps sharing every other column with the sheet as read.
        frame = sheet.frame.copy(deep=False) if kept.all() else sheet.frame[kept]
        column_of = {letter: column for column, letter in sheet.letters.items()}
        values: dict[str, dict[int, object]] = defaultdict(dict)
        for (row, index), value in edit.cell_values().items():
            column = column_of.get(column_letter(index))
            if column is not None and row in frame.index:
                values[column][row] = value
        for column, cells in values.items():
            frame[column] = frame[column].astype(object)
            frame.loc[list(cells), column] = pd.Series(cells, dtype=object)
        if rows:
            frame.index = pd.Index(
                rows.saved(frame.index.to_numpy(dtype=np.int64)), dtype=frame.index.dtype, name=frame.index.name
            )
        # The computed values held on deleted rows go with them: there is nothing to clear there.
        owned = {
            header: {new: value for row, value in held.items() if (new := rows.row(row)) is not None}
            for header, held in sheet.owned_values.items()
        }
        sheets[key] = dataclasses.replace(sheet, frame=frame, owned_values=owned)
        sheets[key].keep_distinct(sheet, kept, [column for column in frame.columns if column not in values])
    return dataclasses.replace(data, sheets=sheets)


def with_appended(data: WorkbookData, edits: Sequence[SheetEdit]) -> WorkbookData:
    """The user sheets with the rows ``edits`` append added below their last row, each value as ``read_workbook``
    reads it back (text stripped of surrounding spaces, empty text blank); a row blank in every schema column is
    left out, as the reader leaves it out.

    Apply it after :func:`as_saved`: the appended rows go below the rows as saved. Their numbers follow the last
    row read, which is the saved one unless rows holding only the user's own columns lie below it: the counts of
    the findings do not depend on them.
    """
    key_of = {sheet.name.casefold(): key for key, sheet in data.sheets.items()}
    sheets = dict(data.sheets)
    for edit in edits:
        if not edit.append_rows:
            continue
        key = key_of[edit.sheet.casefold()]
        sheet = sheets[key]
        column_of = {letter: column for column, letter in sheet.letters.items()}
        read_back = [
            {column_of[letter]: _as_read(value) for letter, value in cells.items() if letter in column_of}
            for cells in edit.append_rows
        ]
        rows = [row for row in read_back if any(value is not None for value in row.values())]
        if not rows:
            continue
        last = int(sheet.frame.index.max()) if len(sheet.frame) else sheet.header_row
        index = pd.Index(range(last + 1, last + 1 + len(rows)), name=sheet.frame.index.name)
        added = pd.DataFrame(rows, index=index, columns=sheet.frame.columns, dtype=object)
        frame = pd.concat([sheet.frame, added]) if len(sheet.frame) else added
        sheets[key] = dataclasses.replace(sheet, frame=frame)
    return dataclasses.replace(data, sheets=sheets)


def _as_read(value: object) -> object:
    """``value`` as the reader gives it back once written: text without surrounding spaces, empty text blank."""
    if isinstance(value, str):
        return value.strip() or None
    return value
