"""The computed columns xlcrm writes on Clients: block, orders, revenue, first/last order, last/next contact,
contracts in force and the nearest end of their terms, the balance and the oldest unpaid order.

They sit right of the user's columns, and their headers carry the report
marker (``▸ Block``), as report sheet names do, so users see at a glance what
xlcrm overwrites, and xlcrm never takes a user's own column of a similar name
("Revenue") for its own. A refresh finds its columns by those headers wherever
the user moved them, and adds the missing ones after the last used column.
Only cells whose value changes are written: a daily refresh touches the few
clients whose figures moved, not every row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.lifecycle.blocks import Lifecycle
from xlcrm.lifecycle.frames import Frames
from xlcrm.xlsx.reader import SheetData
from xlcrm.xlsx.refs import column_letter
from xlcrm.xlsx.report_sheet import CellValue


@dataclass(frozen=True)
class ComputedCells:
    sheet: str  # the Clients sheet's actual name
    # column letter -> {row: value}: the header of a new column (row 1) and the values that change (row 2..)
    columns: dict[str, dict[int, CellValue]]
    letters: tuple[str, ...]  # the computed columns, in CLIENT_COMPUTED_COLUMNS order
    added: tuple[str, ...]  # headers of columns the sheet did not have yet

    @property
    def widths(self) -> dict[str, float]:
        """Each computed column's width, for the columns the user has not sized."""
        return {letter: column.width for letter, column in zip(self.letters, schema.CLIENT_COMPUTED_COLUMNS)}

    @property
    def number_formats(self) -> dict[str, str]:
        """Money shown as money (dates get a date format whatever the column)."""
        return {
            letter: schema.NUMBER_FORMATS[column.kind]
            for letter, column in zip(self.letters, schema.CLIENT_COMPUTED_COLUMNS)
            if column.kind is schema.Kind.MONEY
        }


def computed_header(column: schema.Column, locale: str) -> str:
    """The header of a computed column: the report marker and the column's name."""
    return schema.REPORT_MARKER + column.name(locale)


def missing_computed_columns(clients: SheetData) -> bool:
    """Whether some computed column has no header on Clients yet, so ``computed_cells`` adds it."""
    found = {schema.fold(header) for header in clients.extra_letters}
    return any(
        all(schema.fold(schema.REPORT_MARKER + name) not in found for name in (column.en, column.ru))
        for column in schema.CLIENT_COMPUTED_COLUMNS
    )


def computed_cells(
    clients: SheetData, frames: Frames, lifecycle: Lifecycle, first_free: int | None = None
) -> ComputedCells:
    """The computed cells of the client rows that differ from what the sheet holds, and the headers of new columns,
    which start at column ``first_free`` (0-based; default: right of the columns read).

    Values under a computed header on rows that are no longer clients are cleared.
    """
    locale = frames.locale
    found = {schema.fold(header): header for header in clients.extra_letters}
    next_free = clients.width if first_free is None else max(first_free, clients.width)
    letters, added = [], []
    current: list[dict[int, object]] = []
    cells: dict[str, dict[int, CellValue]] = {}
    for column in schema.CLIENT_COMPUTED_COLUMNS:
        header = next(
            (
                found[key]
                for name in (column.en, column.ru)
                if (key := schema.fold(schema.REPORT_MARKER + name)) in found
            ),
            None,
        )
        if header is None:
            letter = column_letter(next_free)
            next_free += 1
            added.append(computed_header(column, locale))
            cells[letter] = {1: computed_header(column, locale)}
            current.append({})
        else:
            letter = clients.extra_letters[header]
            cells[letter] = {}
            current.append(clients.owned_values.get(header, {}))
        letters.append(letter)

    figures = lifecycle.clients.reindex(frames.clients["client_id"].to_numpy())
    labels = {float(b.number): b.label(locale) for b in schema.BLOCKS}
    columns: dict[str, list[CellValue]] = {
        "block": _distinct_mapped(figures["block"].to_numpy(dtype=float), labels.get),
        "orders": _numbers(figures["orders"], int),
        "revenue": _numbers(figures["revenue"], float),
        "balance": _numbers(figures["balance"], float),
        # A client with no contract in force gets a blank, as its Contract ends: the column stays empty in a base
        # that keeps no contracts, instead of a column of zeros.
        "active_contracts": _numbers(figures["active_contracts"].replace(0, np.nan), int),
    }
    for key in ("first_order", "last_order", "last_contact", "next_contact", "contract_ends", "unpaid_since"):
        columns[key] = _dates(figures[key])

    rows: list[int] = frames.clients.index.tolist()
    client_rows = set(rows)
    for column, letter, held in zip(schema.CLIENT_COMPUTED_COLUMNS, letters, current):
        changed = cells[letter]
        for row, value in zip(rows, columns[column.key]):
            before = held.get(row)
            if before is None:
                if value is not None:
                    changed[row] = value
            elif not _same(value, before):
                changed[row] = value
        for row in held.keys() - client_rows:
            changed[row] = None
    return ComputedCells(clients.name, cells, tuple(letters), tuple(added))


def _same(wanted: CellValue, held: object) -> bool:
    """Whether the cell already shows ``wanted`` (a reader may give 7.0 for 7, or a datetime for a date)."""
    if wanted is None or held is None:
        return wanted is None and held is None
    if isinstance(wanted, dt.date):
        return isinstance(held, dt.date) and (held.date() if isinstance(held, dt.datetime) else held) == wanted
    if isinstance(wanted, (int, float)):
        return isinstance(held, (int, float)) and not isinstance(held, bool) and float(held) == float(wanted)
    return held == wanted


def _numbers(values: pd.Series, kind: type) -> list[CellValue]:
    numbers = values.to_numpy(dtype=float)
    blank = np.isnan(numbers)
    kept = (np.where(blank, 0, numbers).astype(np.int64) if kind is int else numbers).astype(object)
    kept[blank] = None
    cells: list[CellValue] = kept.tolist()
    return cells


def _dates(values: pd.Series) -> list[CellValue]:
    # numpy turns days into datetime.date objects itself, and NaT into None.
    cells: list[CellValue] = values.to_numpy(dtype="datetime64[D]").astype(object).tolist()
    return cells


def _distinct_mapped(values: np.ndarray, convert: Callable[[float], CellValue]) -> list[CellValue]:
    """``convert`` asked once per distinct value (NaN, a blank, gives None)."""
    distinct, codes = np.unique(values, return_inverse=True)
    mapped = np.array([None if value != value else convert(float(value)) for value in distinct], dtype=object)
    cells: list[CellValue] = mapped[codes.reshape(-1)].tolist()
    return cells
