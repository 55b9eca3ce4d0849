"""Growing out of Excel: the workbook as database tables with keys, through SQLAlchemy.

Every user sheet becomes a table named by its schema key (``clients``,
``contacts``, ``services``, ``interactions``, ``contracts``, ``settings``) with
its columns named by their schema keys, whatever the workbook's language, plus
the user's own columns as text under their headers and ``excel_row``, the row
the record came from. ``clients.client_id`` is the primary key; ``contacts``,
``interactions`` and ``contracts`` point at it with foreign keys; the other
sheets are keyed by ``excel_row`` (a contract's ContractID and Parent contract
are plain columns: validation, not the database, checks them). The lists of
Settings go to ``setting_lists``. The computed lifecycle is carried along:
``client_lifecycle`` (block, orders, revenue, balance and the dates of the
computed columns, as of ``today``; the balance NULL where the workbook tracks
no payments) and ``blocks`` (the eight blocks by number and name).

Dates are dates and amounts numbers; a cell that cannot be one, a blank or
repeated ClientID, or a row pointing at a client that does not exist would
break a key or a type in a real database, so the export refuses and names the
cells (``xlcrm validate`` lists them too) rather than drop anything.

A SQLite file is written to a temporary file beside it and moved into place,
so a failed export leaves no half-written database; a server database gets
its tables in one transaction.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from xlcrm import schema
from xlcrm.checks.normalize import as_text, is_blank, parse_amount, parse_date
from xlcrm.dedupe.merge_log import read_sheet_rows
from xlcrm.dedupe.plan import joined
from xlcrm.errors import ExportRefused, UsageError, WriteError
from xlcrm.lifecycle.analysis import analyse
from xlcrm.messages import Message, Text, t
from xlcrm.messages.as_json import JsonFields
from xlcrm.schema import Column, Kind, Sheet
from xlcrm.xlsx.reader import SheetData, WorkbookData
from xlcrm.xlsx.refs import column_letter

ROW_COLUMN = "excel_row"
LIFECYCLE_TABLE = "client_lifecycle"
BLOCKS_TABLE = "blocks"
LISTS_TABLE = "setting_lists"
# How many bad cells an error names before it says "and N more".
SHOWN_PROBLEMS = 10
# Identifier length every common database accepts (PostgreSQL: 63 bytes).
MAX_IDENTIFIER_BYTES = 63


@dataclass(frozen=True)
class DatabaseExport(JsonFields):
    target: str  # the SQLite file, or the URL with its password hidden
    tables: dict[str, int]  # table -> rows written


def _column_type(column: Column) -> sa.types.TypeEngine[Any]:
    if column.kind == Kind.DATE:
        return sa.Date()
    if column.kind == Kind.MONEY:
        return sa.Numeric(15, 2, asdecimal=False)
    if column.kind == Kind.NUMBER:
        return sa.Float()
    return sa.Text()


def _identifiers(headers: Iterable[str], taken: set[str]) -> dict[str, str]:
    """A column name for each of the user's headers: the header itself, made unique and short enough."""
    names: dict[str, str] = {}
    for header in headers:
        base = header.encode("utf-8")[: MAX_IDENTIFIER_BYTES - 4].decode("utf-8", "ignore").strip() or "column"
        name, counter = base, 2
        while name.casefold() in taken:
            name, counter = f"{base}_{counter}", counter + 1
        taken.add(name.casefold())
        names[header] = name
    return names


class _Problems:
    def __init__(self) -> None:
        self.items: list[Message] = []

    def add(self, problem: Message) -> None:
        """One more cell to fix (each message names its cell)."""
        self.items.append(problem)

    def check(self, path: Path) -> None:
        if self.items:
            shown: Text = joined(self.items[:SHOWN_PROBLEMS])
            if len(self.items) > SHOWN_PROBLEMS:
                shown = t("{problems}; and {count} more", problems=shown, count=len(self.items) - SHOWN_PROBLEMS)
            raise ExportRefused(
                t(
                    "{workbook} cannot be exported to a database until these cells are fixed (xlcrm validate lists "
                    "them): {problems}",
                    workbook=str(path),
                    problems=shown,
                )
            )


def _value(sheet: SheetData, column: Column, row: int, value: object, problems: _Problems) -> object:
    if is_blank(value):
        return None
    if column.kind == Kind.DATE:
        day = parse_date(value).date
        if day is None:
            problems.add(
                t("{cell}: {value} is not a date", cell=sheet.cell(column.key, row), value=repr(as_text(value)))
            )
        return day
    if column.kind in (Kind.MONEY, Kind.NUMBER):
        amount = parse_amount(value).amount
        if amount is None:
            problems.add(
                t("{cell}: {value} is not a number", cell=sheet.cell(column.key, row), value=repr(as_text(value)))
            )
        return amount
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return as_text(value)


def _extra_text(value: object) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return as_text(value)


@dataclass
class _TableData:
    table: sa.Table
    rows: list[dict[str, object]]


def _sheet_table(metadata: sa.MetaData, data: WorkbookData, spec: Sheet, problems: _Problems) -> _TableData:
    sheet = data.sheets.get(spec.key)
    # A sheet the workbook lacks still gets its whole table, so the database looks the same for every workbook.
    columns = [c for c in spec.columns if sheet is None or sheet.has(c.key)]
    key_columns: list[sa.Column[Any]] = []
    if spec is schema.CLIENTS:
        key_columns.append(sa.Column("client_id", sa.Text(), primary_key=True))
    table_columns = [
        sa.Column(ROW_COLUMN, sa.Integer(), primary_key=spec is not schema.CLIENTS, nullable=False, autoincrement=False)
    ] + key_columns
    for column in columns:
        if spec is schema.CLIENTS and column.key == "client_id":
            continue
        if column.key == "client_id" and spec in schema.CLIENT_POINTING_SHEETS:
            table_columns.append(sa.Column("client_id", sa.Text(), sa.ForeignKey("clients.client_id"), index=True))
        else:
            table_columns.append(sa.Column(column.key, _column_type(column)))
    extras = _identifiers(sheet.extra_columns if sheet is not None else (), {c.name.casefold() for c in table_columns})
    table_columns += [sa.Column(name, sa.Text()) for name in extras.values()]
    table = sa.Table(spec.key, metadata, *table_columns)
    if sheet is None:
        return _TableData(table, [])

    rows: list[dict[str, object]] = []
    frame = sheet.frame
    for row, record in zip(frame.index, frame.to_dict("records")):
        values: dict[str, object] = {ROW_COLUMN: int(row)}
        for column in columns:
            values[column.key] = _value(sheet, column, int(row), record.get(column.key), problems)
        rows.append(values)
    if extras:
        _add_extra_values(data, spec, sheet, extras, rows)
    return _TableData(table, rows)


def _add_extra_values(
    data: WorkbookData, spec: Sheet, sheet: SheetData, extras: dict[str, str], rows: list[dict[str, object]]
) -> None:
    """The user's own columns, read from the sheet as typed (the frames hold only schema columns)."""
    raw = read_sheet_rows(data.path, spec)
    positions = {header: _letter_index(sheet.extra_letters[header]) for header in extras}
    for values in rows:
        row = cast(int, values[ROW_COLUMN])  # every table row carries its Excel row number
        line = raw[row - 1] if row - 1 < len(raw) else []
        for header, name in extras.items():
            index = positions[header]
            values[name] = _extra_text(line[index]) if index < len(line) else None


def _letter_index(letters: str) -> int:
    return next(i for i in range(16_384) if column_letter(i) == letters)


def _check_keys(path: Path, data: WorkbookData, tables: dict[str, _TableData], problems: _Problems) -> None:
    clients = data.sheets.get(schema.CLIENTS.key)
    seen: dict[object, int] = {}
    for values in tables[schema.CLIENTS.key].rows:
        row = cast(int, values[ROW_COLUMN])  # every table row carries its Excel row number
        client_id = values.get("client_id")
        where = clients.cell("client_id", row) if clients is not None else str(row)
        if not client_id:
            problems.add(t("{cell}: blank ClientID", cell=where))
        elif client_id in seen:
            problems.add(
                t(
                    "{cell}: ClientID {client_id} is also on row {row}",
                    cell=where,
                    client_id=client_id,
                    row=seen[client_id],
                )
            )
        else:
            seen[client_id] = row
    for spec in schema.CLIENT_POINTING_SHEETS:
        sheet = data.sheets.get(spec.key)
        for values in tables[spec.key].rows:
            client_id = values.get("client_id")
            if client_id and client_id not in seen and sheet is not None:
                problems.add(
                    t(
                        "{cell}: no client {client_id} on {sheet}",
                        cell=sheet.cell("client_id", cast(int, values[ROW_COLUMN])),
                        client_id=client_id,
                        sheet=schema.CLIENTS.name(data.locale),
                    )
                )


def _settings_tables(metadata: sa.MetaData, data: WorkbookData) -> tuple[_TableData, _TableData]:
    settings = sa.Table(
        schema.SETTINGS.key,
        metadata,
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text()),
        sa.Column("description", sa.Text()),
    )
    lists = sa.Table(
        LISTS_TABLE,
        metadata,
        sa.Column("list", sa.Text(), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("value", sa.Text(), nullable=False),
    )
    sheet = data.sheets.get(schema.SETTINGS.key)
    setting_rows: dict[str, dict[str, object]] = {}
    list_rows: list[dict[str, object]] = []
    if sheet is not None:
        frame = sheet.frame
        for record in frame.to_dict("records"):
            key = as_text(record.get("key"))
            if key and key not in setting_rows:  # the first row of a key is the one xlcrm reads
                setting_rows[key] = {
                    "key": key,
                    "value": _extra_text(record.get("value")),
                    "description": _extra_text(record.get("description")),
                }
        # In the Settings sheet's column order, so that every export of one workbook writes the same rows.
        for list_key in [key for key in frame.columns if key in schema.SETTINGS_LISTS or key == "managers"]:
            values = [as_text(v) for v in frame[list_key] if not is_blank(v)]
            list_rows += [{"list": list_key, "position": n, "value": v} for n, v in enumerate(values, start=1)]
    return _TableData(settings, list(setting_rows.values())), _TableData(lists, list_rows)


def _lifecycle_tables(metadata: sa.MetaData, data: WorkbookData, today: dt.date) -> tuple[_TableData, _TableData]:
    blocks = sa.Table(
        BLOCKS_TABLE,
        metadata,
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_ru", sa.Text(), nullable=False),
    )
    columns: list[sa.Column[Any]] = [
        sa.Column("client_id", sa.Text(), sa.ForeignKey("clients.client_id"), primary_key=True)
    ]
    for column in schema.CLIENT_COMPUTED_COLUMNS:
        if column.key == "block":
            columns.append(sa.Column("block", sa.Integer(), sa.ForeignKey(f"{BLOCKS_TABLE}.number"), nullable=False))
        elif column.key in ("orders", "active_contracts"):
            columns.append(sa.Column(column.key, sa.Integer(), nullable=False))
        else:
            columns.append(sa.Column(column.key, _column_type(column)))
    columns.append(sa.Column("computed_for", sa.Date(), nullable=False))
    lifecycle = sa.Table(LIFECYCLE_TABLE, metadata, *columns)

    figures = analyse(data, today).lifecycle.clients
    rows = []
    for client_id, record in zip(figures.index, figures.to_dict("records")):
        values: dict[str, object] = {"client_id": client_id, "computed_for": today}
        for column in schema.CLIENT_COMPUTED_COLUMNS:
            value = record[column.key]
            if column.kind == Kind.DATE:
                value = None if pd.isna(value) else pd.Timestamp(value).date()
            elif column.key in ("block", "orders", "active_contracts"):
                value = int(value)
            else:
                value = float(value)
            values[column.key] = value
        rows.append(values)
    block_rows = [{"number": b.number, "key": b.key, "name_en": b.en, "name_ru": b.ru} for b in schema.BLOCKS]
    return _TableData(lifecycle, rows), _TableData(blocks, block_rows)


def database_tables(data: WorkbookData, today: dt.date) -> tuple[sa.MetaData, list[_TableData]]:
    """The tables of a workbook and their rows, in an order that satisfies the foreign keys."""
    metadata = sa.MetaData()
    problems = _Problems()
    sheets = {
        spec.key: _sheet_table(metadata, data, spec, problems)
        for spec in (schema.CLIENTS, schema.CONTACTS, schema.SERVICES, schema.INTERACTIONS, schema.CONTRACTS)
    }
    _check_keys(data.path, data, sheets, problems)
    problems.check(data.path)
    settings, lists = _settings_tables(metadata, data)
    lifecycle, blocks = _lifecycle_tables(metadata, data, today)
    return metadata, [*sheets.values(), settings, lists, blocks, lifecycle]


def _write(engine: sa.Engine, metadata: sa.MetaData, tables: list[_TableData], replace: bool) -> dict[str, int]:
    with engine.begin() as connection:
        existing = set(sa.inspect(connection).get_table_names())
        clash = sorted(existing & {t.table.name for t in tables})
        if clash and not replace:
            raise UsageError(
                t("the database already has the tables {tables}; use --force to replace them", tables=clash)
            )
        if clash:
            metadata.drop_all(connection, checkfirst=True)
        metadata.create_all(connection)
        for item in tables:
            if item.rows:
                connection.execute(item.table.insert(), item.rows)
    return {item.table.name: len(item.rows) for item in tables}


def export_sqlite(data: WorkbookData, target: Path, *, today: dt.date, force: bool = False) -> DatabaseExport:
    """Write the workbook's tables to a new SQLite file ``target`` (replaced only with ``force``)."""
    target = Path(target)
    if target.exists() and not force:
        raise UsageError(t("{database} already exists; use --force to replace it", database=str(target)))
    if target.is_dir() or not target.parent.is_dir():
        raise UsageError(t("{database}: not a file in an existing folder", database=str(target)))
    metadata, tables = database_tables(data, today)
    handle, temp_name = tempfile.mkstemp(prefix=".xlcrm-tmp-", suffix=".sqlite", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        engine = sa.create_engine(f"sqlite:///{temp}")
        # SQLite checks foreign keys only when asked, per connection: a key that does not hold fails the export.
        sa.event.listen(engine, "connect", lambda connection, _record: connection.execute("PRAGMA foreign_keys = ON"))
        try:
            counts = _write(engine, metadata, tables, replace=False)
        finally:
            engine.dispose()
        os.replace(temp, target)
    except SQLAlchemyError as exc:
        error = f"{exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}"
        raise WriteError(t("cannot write {database}: {error}", database=str(target), error=error)) from None
    except OSError as exc:
        raise WriteError(
            t("cannot write {database}: {error}", database=str(target), error=exc.strerror or str(exc))
        ) from None
    finally:
        temp.unlink(missing_ok=True)
    return DatabaseExport(str(target), counts)


def export_url(data: WorkbookData, url: str, *, today: dt.date, force: bool = False) -> DatabaseExport:
    """Write the workbook's tables to the database at a SQLAlchemy ``url`` (``postgresql://…``)."""
    try:
        engine = sa.create_engine(url)
    except (ArgumentError, ValueError) as exc:
        raise UsageError(
            t("not a database URL such as postgresql://user@host/dbname: {error}", error=str(exc))
        ) from None
    except (NoSuchModuleError, ImportError) as exc:
        raise UsageError(
            t("no database driver for this URL ({error}); install it, e.g. pip install psycopg", error=str(exc))
        ) from None
    shown = engine.url.render_as_string(hide_password=True)
    metadata, tables = database_tables(data, today)
    try:
        counts = _write(engine, metadata, tables, replace=force)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise WriteError(t("cannot write to {database}: {error}", database=shown, error=reason)) from None
    finally:
        engine.dispose()
    return DatabaseExport(shown, counts)
