"""An anonymised copy of the workbook, to share with an accountant, an analyst or a consultant.

On the user sheets, every personal value is masked by its kind (see
:mod:`xlcrm.export.masking`): on Clients the Name, a sole trader's Company, INN,
Phone, Email, Address, Birthday and Comment; on Contacts the Name, Phone, Email
and Birthday; on Interactions the Result, Comment and Next action, on Contracts
the Comment (the free texts: kept, with the phones, e-mails and names in them
masked, with ``keep_comments``). A client's person has one pseudonym (``Клиент
17``) on every sheet. Kept as they are: the City, other companies' names, the
Role of a contact (a position in a firm, which an analysis of who decides needs),
amounts, dates, the services, the contracts' numbers and terms, and Settings. A
contract's Subject stays with the phones, e-mails and names written in it masked,
as a kept comment; so do the user's own columns and sheets, whose content xlcrm
cannot judge: what it does not know as personal there (a passport number, a name it
has not seen) stays, and the command names those columns and sheets.

The report sheets stay, masked too (see :mod:`xlcrm.export.report_masks`): the
columns a table of theirs shares with Clients or Contacts (the Agenda's client
and phone, the Merge log's and Duplicates' original rows) are masked by kind
with the pseudonym of the row's ClientID; every other text has each original
masked elsewhere replaced by its mask, and its phones and e-mails masked; the
Agenda's birthday greetings lose their date. A report sheet this xlcrm does not
know how to mask (``▸ Changes`` lists the earlier values of cells, of deleted
rows too; a newer xlcrm's report) is left out. Formulas stay, but not their last
results, which a file saved by Excel or LibreOffice keeps (the Client column of
Interactions would show each full name): the copy is written ``anonymised`` (see
``write_workbook``): it computes them again when opened, and the shared-string
table keeps no original of a masked cell. The original workbook is not touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from xlcrm import schema
from xlcrm.checks.normalize import is_blank
from xlcrm.errors import UsageError
from xlcrm.export.masking import PERSONAL_COLUMNS, SCRUBBED_COLUMNS, Kind, Masker
from xlcrm.export.report_masks import report_edits
from xlcrm.messages import t
from xlcrm.xlsx.package import row_extras
from xlcrm.xlsx.reader import SheetData, WorkbookData, every_sheet_rows, require_distinct_headers
from xlcrm.xlsx.refs import column_letter, parse_cell
from xlcrm.xlsx.report_sheet import CellValue
from xlcrm.xlsx.sheet_edits import SheetEdit

# The report sheets whose tables and texts are masked (see xlcrm.export.report_masks). Any other report sheet
# (▸ Changes lists the values cells held before, of rows since deleted too) is left out of the copy: what it holds
# cannot be told apart from what it says.
MASKED_REPORTS = (
    *(report for report in schema.REFRESH_REPORTS if report is not schema.CHANGES),
    *schema.DEDUPE_REPORTS,
    schema.ERASURE_LOG,
)


@dataclass(frozen=True)
class Anonymisation:
    """How the anonymised copy differs from the workbook."""

    edits: list[SheetEdit]  # the cells masked on each sheet
    masked: dict[Kind, int]  # values masked, per kind
    left_out: list[str]  # the report sheets not in the copy
    # The user's own columns ("Clients: Passport") and sheets, copied with only what xlcrm knows as personal masked.
    own: list[str]

    @property
    def masked_cells(self) -> dict[str, int]:
        """Sheet name -> cells masked."""
        return {edit.sheet: len(edit.set_cells) for edit in self.edits}


def anonymised_edits(data: WorkbookData, masker: Masker, reports: list[str]) -> list[SheetEdit]:
    """The cells to mask on each user sheet of the workbook ``data`` was read from and on its report sheets
    ``reports``."""
    cells: dict[str, dict[str, CellValue]] = {}
    clients = data.sheet(schema.CLIENTS.key)
    if clients is not None and clients.has("client_id"):  # clients are numbered in the order of their rows
        for row, client_id in clients.column_values("client_id").items():
            masker.number_client(_client_key(client_id, row))
    for spec, columns in PERSONAL_COLUMNS:
        sheet = data.sheet(spec.key)
        if sheet is not None:
            _mask_columns(sheet, columns, masker, cells.setdefault(sheet.name, {}))
    for spec, keys in SCRUBBED_COLUMNS:
        sheet = data.sheet(spec.key)
        if sheet is not None:
            _scrub_columns(sheet, keys, masker, cells.setdefault(sheet.name, {}))
    for name, scrubbed in _scrubbed_own_cells(data, masker).items():
        cells.setdefault(name, {}).update(scrubbed)
    edits = [SheetEdit(name, set_cells=changed) for name, changed in cells.items() if changed]
    return edits + report_edits(data.path, reports, masker)


def _scrubbed_own_cells(data: WorkbookData, masker: Masker) -> dict[str, dict[str, CellValue]]:
    """The cells of the user's own columns (on the sheets of the schema but Settings) and of the user's own sheets
    that change when scrubbed (``Masker.scrub``: the values masked elsewhere, phones and e-mails), by sheet name and
    reference. xlcrm cannot tell what such a cell holds, so what it does not know as personal stays; a formula
    stays too (the copy keeps no formula's last result)."""
    found: dict[str, dict[str, CellValue]] = {}
    for spec in schema.USER_SHEETS:
        sheet = data.sheet(spec.key)
        if sheet is None or spec is schema.SETTINGS or sheet.extra_values is None:
            continue
        for header, letter in sheet.extra_letters.items():
            if header in sheet.extra_values.columns:
                for row, value in sheet.extra_values[header].items():
                    if not is_blank(value) and (scrubbed := masker.scrub(value)) != value:
                        found.setdefault(sheet.name, {})[f"{letter}{row}"] = scrubbed
    for name, rows in every_sheet_rows(data.path, own_sheet_names(data.sheet_names)).items():
        for number, values in enumerate(rows, start=1):
            for column, value in enumerate(values):
                if not is_blank(value) and (scrubbed := masker.scrub(value)) != value:
                    found.setdefault(name, {})[f"{column_letter(column)}{number}"] = scrubbed
    for name, cells in found.items():
        formulas = row_extras(data.path, name, {parse_cell(ref)[0] for ref in cells}).formula_cells
        for ref in [ref for ref in cells if parse_cell(ref) in formulas]:
            del cells[ref]
    return found


def own_sheet_names(sheet_names: Iterable[str]) -> list[str]:
    """The sheets among ``sheet_names`` that are the user's own: neither a sheet of the template nor a report sheet."""
    return [
        name
        for name in sheet_names
        if not name.startswith(schema.REPORT_MARKER)
        and not any(schema.find_sheet_name(spec, [name]) is not None for spec in schema.ALL_TEMPLATE_SHEETS)
    ]


def _mask_columns(sheet: SheetData, columns: dict[str, Kind], masker: Masker, cells: dict[str, CellValue]) -> None:
    """Mask, into ``cells``, the ``columns`` of ``sheet`` it has, each by its kind."""
    client_ids = sheet.column_values("client_id") if sheet.has("client_id") else None
    contacts = sheet.spec is schema.CONTACTS
    for key, kind in columns.items():
        if not sheet.has(key):
            continue
        for row, value in sheet.column_values(key).items():
            if is_blank(value):
                continue
            client = _client_key(client_ids.get(row) if client_ids is not None else None, row)
            masked = masker.mask(kind, value, client, contact=contacts)
            if masked != value:
                cells[f"{sheet.letters[key]}{row}"] = masked


def _scrub_columns(sheet: SheetData, keys: tuple[str, ...], masker: Masker, cells: dict[str, CellValue]) -> None:
    """Scrub, into ``cells``, the texts of the columns ``keys`` of ``sheet`` that hold a value masked elsewhere, a phone
    or an e-mail."""
    for key in keys:
        if sheet.has(key):
            for row, value in sheet.column_values(key).items():
                scrubbed = value if is_blank(value) else masker.scrub(value)
                if scrubbed != value:
                    cells[f"{sheet.letters[key]}{row}"] = scrubbed


def _client_key(client_id: object, row: object) -> object:
    """What numbers a client: its ClientID, or its row when it has none."""
    return f"\x00row {row}" if is_blank(client_id) else client_id


def anonymisation(
    data: WorkbookData, output: Path, *, force: bool = False, keep_comments: bool = False
) -> Anonymisation:
    """What the anonymised copy of the workbook ``data`` was read from, to be written to ``output``, masks (free
    texts kept with ``keep_comments``); refuses an ``output`` that is the workbook itself, or exists without
    ``force``."""
    output = Path(output)
    source = data.path
    if output.resolve() == source.resolve():
        raise UsageError(
            t("{output} is the workbook itself; the anonymised copy must be another file", output=str(output))
        )
    if output.exists() and not force:
        raise UsageError(t("{output} already exists; use --force to replace it", output=str(output)))
    require_distinct_headers(data)  # a second Phone column would be copied unmasked
    masker = Masker(data.locale, keep_comments=keep_comments)
    known = {schema.fold(name) for spec in MASKED_REPORTS for name in spec.names()}
    reports = [name for name in data.sheet_names if name.startswith(schema.REPORT_MARKER)]
    masked = [name for name in reports if schema.fold(name) in known]
    edits = anonymised_edits(data, masker, masked)
    counts = {kind: masker.counts[kind] for kind in Kind if masker.counts[kind]}
    return Anonymisation(edits, counts, [name for name in reports if name not in masked], _own_places(data))


def _own_places(data: WorkbookData) -> list[str]:
    """The user's own columns, as "sheet: header, header", and own sheets, in the workbook's order."""
    columns = []
    for spec in schema.USER_SHEETS:
        sheet = data.sheet(spec.key)
        if spec is schema.SETTINGS or sheet is None:
            continue
        # The template's formula columns (the Client of Interactions) are xlcrm's, and hold no value of their own.
        formulas = {
            column.column.name(locale).casefold()
            for column in schema.FORMULA_COLUMNS.get(spec.key, ())
            for locale in schema.LOCALES
        }
        own = [
            header
            for header in sheet.extra_columns
            if header.strip().casefold() not in formulas and not header.startswith(schema.REPORT_MARKER)
        ]
        if own:
            columns.append(f"{sheet.name}: {', '.join(own)}")
    return columns + own_sheet_names(data.sheet_names)
