"""The ▸ Changes sheet: what people changed on the user sheets since xlcrm last saved the workbook.

At the top, what the workbook was compared with and who saved it last (from ``docProps/core.xml``), and the rows
added, changed and deleted per sheet; below, one line per changed cell (its old and new value), per deleted row
(its values as saved) and per added row (its values now), the first ``MAX_LINES`` of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from xlcrm import schema
from xlcrm.checks.changes import (
    ADDED,
    CHANGED,
    COMPARED,
    COMPARED_SHEETS,
    DELETED,
    KINDS,
    NO_SAVED_COPY,
    PROTECTED,
    SAME_FILE,
    ChangeLog,
    RowChange,
)
from xlcrm.messages import Message, render, t
from xlcrm.xlsx.report_sheet import CellValue, ColumnFormat, ReportColumn, ReportSheet, ReportTable

# Lines listed at most: enough for any change made by hand, few enough to keep the sheet quick to open.
MAX_LINES = 2_000
# Values of a deleted or added row shown in its line: its first columns say which row it was.
SHOWN_VALUES = 6

KIND_NAMES: dict[str, Message] = {ADDED: t("added"), CHANGED: t("changed"), DELETED: t("deleted")}
BASELINE_HEADINGS: dict[str, Message] = {
    COMPARED: t("No changes since xlcrm last saved the workbook"),
    SAME_FILE: t("No changes since xlcrm last saved the workbook"),
    NO_SAVED_COPY: t(
        "No earlier save to compare with: xlcrm keeps a copy of each save it makes, and the next run lists the "
        "changes made since"
    ),
    PROTECTED: t(
        "Changes are not listed for a password-protected workbook: xlcrm keeps no copy of it to compare with, "
        "since the copy would be readable without the password"
    ),
}
_TIME_FORMAT = "%d.%m.%Y %H:%M"


def changes_sheet(log: ChangeLog, locale: str) -> ReportSheet:
    """The ▸ Changes sheet of ``log`` in ``locale``."""
    tables = [_counts_table(log, locale), _lines_table(log, locale)]
    return ReportSheet.of(
        schema.CHANGES,
        locale,
        schema.label("changes_title", locale),
        _subtitle(log, locale),
        tables,
        main_table=1,
    )


def _subtitle(log: ChangeLog, locale: str) -> str:
    parts: list[Message] = []
    if log.saved_at is not None:
        parts.append(t("compared with the version xlcrm saved on {time}", time=log.saved_at.strftime(_TIME_FORMAT)))
    if log.modified_by or log.modified_at:
        parts.append(
            t(
                "last modified by {name} on {time}",
                name=log.modified_by or "?",
                time=log.modified_at.strftime(_TIME_FORMAT) if log.modified_at else "?",
            )
        )
    return "; ".join(render(part, locale) for part in parts)


def _counts_table(log: ChangeLog, locale: str) -> ReportTable:
    counts = log.changes.counts()
    return ReportTable(
        render(t("Rows by sheet"), locale),
        [ReportColumn(render(t("Sheet"), locale))]
        + [ReportColumn(render(KIND_NAMES[kind], locale), ColumnFormat.INTEGER) for kind in KINDS],
        [[spec.name(locale), *(counts.get(spec.key, {}).get(kind, 0) for kind in KINDS)] for spec in COMPARED_SHEETS],
    )


def _lines_table(log: ChangeLog, locale: str) -> ReportTable:
    lines: list[list[CellValue]] = []
    total = 0
    for line in _lines(log.changes.rows, locale):
        total += 1
        if len(lines) < MAX_LINES:
            lines.append(line)
    if not total:
        heading = render(BASELINE_HEADINGS[log.baseline], locale)
    elif total > MAX_LINES:
        heading = render(t("Changes: the first {shown} of {total} lines", shown=MAX_LINES, total=total), locale)
    else:
        heading = render(t("Changes"), locale)
    columns = [
        ReportColumn(render(t("Sheet"), locale)),
        ReportColumn(render(t("Change"), locale)),
        ReportColumn(render(t("Row now"), locale), ColumnFormat.INTEGER),
        ReportColumn(render(t("Row as saved"), locale), ColumnFormat.INTEGER),
        ReportColumn(schema.CLIENTS.column("client_id").name(locale)),
        ReportColumn(render(t("Column"), locale)),
        ReportColumn(render(t("Old value"), locale), ColumnFormat.LONG_TEXT, width=40),
        ReportColumn(render(t("New value"), locale), ColumnFormat.LONG_TEXT, width=40),
    ]
    return ReportTable(heading, columns, lines, autofilter=True)


def _lines(rows: tuple[RowChange, ...], locale: str) -> Iterator[list[CellValue]]:
    """One line per changed cell, per deleted row and per added row."""
    for row in rows:
        start: list[CellValue] = [
            schema.sheet_by_key(row.sheet).name(locale),
            render(KIND_NAMES[row.kind], locale),
            row.now_row,
            row.before_row,
            row.client_id,
        ]
        if row.kind == CHANGED:
            for column in row.columns:
                yield [*start, column, _shown(row.before.get(column), locale), _shown(row.now.get(column), locale)]
        elif row.kind == DELETED:
            yield [*start, None, _row_text(row.before, locale), None]
        else:
            yield [*start, None, None, _row_text(row.now, locale)]


def _row_text(values: Mapping[str, object], locale: str) -> str:
    """``Name: Ivan Petrov; Company: Acme; …``: the first values of a row."""
    shown = [f"{header}: {_shown(value, locale)}" for header, value in list(values.items())[:SHOWN_VALUES]]
    return "; ".join(shown) + ("; …" if len(values) > SHOWN_VALUES else "")


def _shown(value: object, locale: str) -> str | None:
    """A cell value as the sheet shows it: dates as 23.11.2026, whole numbers without a fraction, TRUE and FALSE
    as Yes and No."""
    if value is None:
        return None
    if isinstance(value, bool):
        return (schema.YES if value else schema.NO).name(locale)
    if isinstance(value, dt.datetime):
        return f"{value:%d.%m.%Y %H:%M}" if value.time() != dt.time() else f"{value:%d.%m.%Y}"
    if isinstance(value, dt.date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
