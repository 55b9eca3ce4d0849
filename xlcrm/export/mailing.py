"""A mailing list: the clients a business may write to, as an .xlsx or .csv file for a mailing service.

One row per client with a ClientID of its own and a phone or an e-mail:
ClientID, Name, Company, Phone, Email, City, Manager and lifecycle Block,
headed in the workbook's language. Left out, and counted by reason: erased
clients, clients designated Lost (they asked not to be bothered, or are gone),
persons whose consent to process personal data is required and missing
(:mod:`xlcrm.reports.consent`), rows without a phone or e-mail to send to, and
rows whose ClientID is blank or repeated (validation names them). Contact persons
are not listed: the Contacts sheet keeps no consent of its own for them.

This module only builds the list and its bytes; ``xlcrm.jobs.export`` writes the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from xlcrm import schema
from xlcrm.checks.consent import is_erased
from xlcrm.checks.normalize import as_text, is_blank
from xlcrm.errors import UsageError
from xlcrm.lifecycle.analysis import Analysis
from xlcrm.messages import Message, t
from xlcrm.reports.consent import without_consent

# The columns of the list, Clients columns by their schema key; "block" is the lifecycle block.
MAILING_COLUMNS = ("client_id", "name", "company", "phone", "email", "city", "manager", "block")
MAILING_SUFFIXES = (".xlsx", ".csv")
# Why a client is not on the list, in the order a client is checked; each client counts under the first that holds.
LEFT_OUT_REASONS: dict[str, Message] = {
    "erased": t("erased"),
    "lost": t("designated Lost"),
    "no_consent": t("no consent"),
    "no_address": t("no phone or e-mail"),
    "no_client_id": t("no ClientID of its own"),
}
# Russian Excel opens a CSV file in columns when it is separated by semicolons and starts with a byte order mark.
CSV_DELIMITER = ";"
CSV_ENCODING = "utf-8-sig"
_COLUMN_WIDTHS = {"client_id": 10, "name": 30, "company": 30, "phone": 20, "email": 28, "city": 16, "manager": 20}


@dataclass(frozen=True)
class MailingList:
    """The rows of the list (text cells in ``MAILING_COLUMNS`` order), its header in the workbook's language and
    how many clients were left out, by reason (a key of ``LEFT_OUT_REASONS``, only reasons that left someone out)."""

    header: list[str]
    rows: list[list[str]]
    left_out: dict[str, int] = field(default_factory=dict)
    keys: tuple[str, ...] = MAILING_COLUMNS  # what each column holds (a field key), for its width

    def to_dict(self) -> dict[str, Any]:
        """The list's size as JSON-ready values."""
        return {"rows": len(self.rows), "left_out": self.left_out}


def check_mailing_path(path: Path) -> None:
    """Nothing; raises UsageError when the file name does not end in .xlsx or .csv."""
    if path.suffix.lower() not in MAILING_SUFFIXES:
        raise UsageError(t("{path}: a mailing list is written as .xlsx or .csv", path=path))


def mailing_list(analysis: Analysis) -> MailingList:
    """The mailing list of an analysed workbook: the clients one may write to, and the others counted by reason."""
    frames, lifecycle, locale = analysis.frames, analysis.lifecycle, analysis.frames.locale
    clients = lifecycle.clients
    cells = {key: sheet_texts(analysis, key) for key in MAILING_COLUMNS if key != "block"}
    cells["block"] = np.array([schema.block(int(number)).label(locale) for number in clients["block"]], dtype=object)
    reasons = {
        **not_to_mail(analysis),
        "no_address": (cells["phone"] == "") & (cells["email"] == ""),
    }
    kept, left_out = leave_out(np.ones(len(clients), dtype=bool), reasons)
    no_id = len(frames.clients) - len(clients)  # rows without a ClientID, or sharing one
    if no_id:
        left_out["no_client_id"] = no_id
    header = [_header(key, locale) for key in MAILING_COLUMNS]
    columns = [cells[key][kept].tolist() for key in MAILING_COLUMNS]
    return MailingList(header, [[str(cell) for cell in row] for row in zip(*columns)], left_out)


def not_to_mail(analysis: Analysis) -> dict[str, np.ndarray]:
    """Per client of the lifecycle, whether each reason not to mail it holds: erased, designated Lost, no consent
    (keys of ``LEFT_OUT_REASONS``, in the order a client is checked)."""
    clients = analysis.lifecycle.clients
    return {
        "erased": np.array([is_erased(name) for name in clients["name"]], dtype=bool),
        "lost": (clients["designation"] == schema.LOST.key).to_numpy(),
        "no_consent": without_consent(analysis.frames, analysis.lifecycle).to_numpy(),
    }


def leave_out(wanted: np.ndarray, reasons: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, int]]:
    """The clients of ``wanted`` for whom no reason holds, and how many of ``wanted`` each reason left out (a
    client counts under the first reason that holds; only reasons that left someone out)."""
    kept = wanted.copy()
    left_out: dict[str, int] = {}
    for reason, holds in reasons.items():
        count = int((kept & holds).sum())
        if count:
            left_out[reason] = count
        kept &= ~holds
    return kept, left_out


def sheet_texts(analysis: Analysis, key: str) -> np.ndarray:
    """The Clients cells of column ``key`` of each client of the lifecycle, as text ("" for a blank)."""
    rows = analysis.lifecycle.clients["row"].to_numpy()
    sheet = analysis.data.sheet(schema.CLIENTS.key)
    return _texts(sheet.column_values(key).reindex(rows) if sheet is not None else pd.Series(index=rows))


def own_column_texts(analysis: Analysis, header: str) -> np.ndarray:
    """The cells of the owner's own Clients column ``header`` of each client of the lifecycle, as text."""
    rows = analysis.lifecycle.clients["row"].to_numpy()
    sheet = analysis.data.sheet(schema.CLIENTS.key)
    extra = sheet.extra_values if sheet is not None else None
    return _texts(extra[header].reindex(rows) if extra is not None else pd.Series(index=rows))


def _texts(values: pd.Series) -> np.ndarray:
    """Each cell as the text a person sees ("" for a blank): a date as 31.12.2026, as xlcrm writes the dates it
    computes, whatever the cell's own format."""
    texts: np.ndarray = np.array([_text(value) for value in values], dtype=object)
    return texts


def _text(value: object) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, dt.date):  # a datetime too: a date cell is read as midnight of its day
        return f"{value:%d.%m.%Y}"
    return as_text(value)


def _header(key: str, locale: str) -> str:
    return schema.label("block", locale) if key == "block" else schema.CLIENTS.column(key).name(locale)


# Text a spreadsheet opening the CSV would run as a formula: "=…", and "+", "-" or "@" before a letter when a
# bracket, "!" or "|" follows (a function call, a reference, a command): =HYPERLINK("http://…") typed as a client's
# name would be a link in the manager's spreadsheet. A phone "+7 916 …", a company "@Home", a name "-Ольга-" are not.
_FORMULA_LIKE = re.compile(r"=|[+\-@][^\d\s(+\-].*[(!|]", re.DOTALL)


def csv_cell(text: str) -> str:
    """``text`` as a CSV cell that a spreadsheet shows as the text it is: one that would start a formula gets an
    apostrophe first, which Excel takes as "this is text" (OWASP's advice for CSV files; LibreOffice shows it)."""
    return "'" + text if _FORMULA_LIKE.match(text) else text


def mailing_csv(mailing: MailingList) -> bytes:
    """The list as CSV bytes: a header row, then one row per client, as Excel opens them in columns; text that would
    start a formula is written as text (``csv_cell``)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([csv_cell(text) for text in mailing.header])
    writer.writerows([csv_cell(text) for text in row] for row in mailing.rows)
    return out.getvalue().encode(CSV_ENCODING)


def mailing_workbook(mailing: MailingList, locale: str) -> Workbook:
    """The list as a workbook of one sheet: a bold frozen header with a filter, columns wide enough to read. Amounts,
    counts and dates are numbers and dates Excel can sum and sort; every other cell is text (so a phone keeps its
    plus and leading digits), and so is a date or number typed as text that does not read as one."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = mailing_sheet_name(locale)
    sheet.append(mailing.header)
    kinds = [_TYPED_KINDS.get(key) for key in mailing.keys]
    for row in mailing.rows:
        sheet.append([_typed(text, kind) for text, kind in zip(row, kinds)])
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f":  # openpyxl takes text starting with "=" for a formula: it is a client's text
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, key in enumerate(mailing.keys):
        sheet.column_dimensions[get_column_letter(index + 1)].width = _COLUMN_WIDTHS.get(key, 16)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            kind = kinds[index]
            typed = kind is not None and isinstance(cell.value, float | dt.date)
            cell.number_format = _TYPED_FORMATS[kind] if kind is not None and typed else "@"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    return book


# The Clients columns, typed and computed, whose list cells are written as numbers or dates.
_TYPED_KINDS: dict[str, schema.Kind] = {
    column.key: column.kind
    for column in (*schema.CLIENTS.columns, *schema.CLIENT_COMPUTED_COLUMNS)
    if column.kind in (schema.Kind.MONEY, schema.Kind.NUMBER, schema.Kind.DATE)
}


# A rating may be 4.5: a number keeps its fraction, unlike the whole-number format of the template's columns.
_TYPED_FORMATS = {schema.Kind.DATE: "DD.MM.YYYY", schema.Kind.MONEY: "#,##0.00", schema.Kind.NUMBER: "General"}


def _typed(text: str, kind: schema.Kind | None) -> str | float | dt.date | None:
    """A list cell as a number or a date when its column holds them and the text reads as one, else the text."""
    if not text:
        return None
    if kind is schema.Kind.DATE:
        try:
            return dt.datetime.strptime(text, "%d.%m.%Y").date()
        except ValueError:
            return text
    if kind is not None:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return text
    return text


def mailing_sheet_name(locale: str) -> str:
    """The name of the list's sheet in ``locale``."""
    return t("Mailing list").render(locale)
