"""The computed columns xlcrm writes on Clients: block, orders, revenue, first/last order, last/next contact.

They sit right of the user's columns, and their headers carry the report
marker (``▸ Block``), as report sheet names do, so users see at a glance what
xlcrm overwrites, and xlcrm never takes a user's own column of a similar name
("Revenue") for its own. A refresh finds its columns by those headers wherever
the user moved them, and adds the missing ones after the last used column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.frames import Frames
from xlcrm.lifecycle import Lifecycle
from xlcrm.report_sheet import CellValue
from xlcrm.workbook import SheetData, column_letter


@dataclass(frozen=True)
class ComputedCells:
    sheet: str  # the Clients sheet's actual name
    cells: dict[str, CellValue]  # "R1" (header) and "R2".. (values) -> value
    letters: tuple[str, ...]  # the computed columns, in CLIENT_COMPUTED_COLUMNS order
    added: tuple[str, ...]  # headers of columns the sheet did not have yet


def computed_header(column: schema.Column, locale: str) -> str:
    return schema.REPORT_MARKER + column.name(locale)


def computed_cells(clients: SheetData, frames: Frames, lifecycle: Lifecycle) -> ComputedCells:
    """Every computed cell of every client row, so a refresh overwrites what an earlier one wrote."""
    locale = frames.locale
    found = {schema.fold(header): letter for header, letter in clients.extra_letters.items()}
    next_free = clients.width
    letters, added = [], []
    for column in schema.CLIENT_COMPUTED_COLUMNS:
        letter = next((found[schema.fold(schema.REPORT_MARKER + name)] for name in (column.en, column.ru)
                       if schema.fold(schema.REPORT_MARKER + name) in found), None)
        if letter is None:
            letter = column_letter(next_free)
            next_free += 1
            added.append(computed_header(column, locale))
        letters.append(letter)

    figures = lifecycle.clients.reindex(frames.clients["client_id"].to_numpy())
    labels = {b.number: b.label(locale) for b in schema.BLOCKS}
    columns: dict[str, list[CellValue]] = {
        "block": [labels.get(int(n)) if n == n else None for n in figures["block"]],
        "orders": _numbers(figures["orders"], int),
        "revenue": _numbers(figures["revenue"], float),
    }
    for key in ("first_order", "last_order", "last_contact", "next_contact"):
        columns[key] = _dates(figures[key])

    cells: dict[str, CellValue] = {}
    rows = frames.clients.index.to_numpy()
    for column, letter in zip(schema.CLIENT_COMPUTED_COLUMNS, letters):
        cells[f"{letter}1"] = computed_header(column, locale)
        cells.update(zip((f"{letter}{row}" for row in rows), columns[column.key]))
    return ComputedCells(clients.name, cells, tuple(letters), tuple(added))


def _numbers(values: pd.Series, kind: type) -> list[CellValue]:
    return [None if pd.isna(v) else kind(v) for v in values.to_numpy()]


def _dates(values: pd.Series) -> list[CellValue]:
    days = values.to_numpy(dtype="datetime64[D]")
    return [None if np.isnat(day) else dt.date.fromisoformat(str(day)) for day in days]
