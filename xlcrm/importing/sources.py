"""Reading the tables people import from: Excel files, CSV, and Bitrix24's "Excel" export that is HTML.

The kind of a file is told by its first bytes, not its extension: Bitrix24
names an HTML table ``.xls``, and people rename CSV files. Workbooks (.xlsx,
.xlsm, .xls, .ods) are read with python-calamine, the first sheet that holds
anything. Text is decoded as UTF-8 (with or without a byte order mark), UTF-16
(Excel's "Unicode text", with or without a mark), or else in the Cyrillic
code page it reads as Russian in: cp1251 (Windows, Russian Excel) or KOI8-R
(older Unix and mail exports); a CSV's delimiter is the one its first line names
as Excel's ``sep=;`` does, or else the one of ``;``, ``,`` and tab that splits its
lines most consistently.

The first row holding anything is the header row; every later non-blank row
is a record, kept with its row number in the source for messages.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from lxml import etree
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from xlcrm.checks.normalize import is_blank
from xlcrm.errors import EncryptedWorkbook, SourceError, quoted
from xlcrm.messages import Number, Text, t
from xlcrm.xlsx.limits import check_package, check_sheet
from xlcrm.xlsx.reader import ENCRYPTED_STREAM, OLE_MAGIC
from xlcrm.xlsx.refs import column_letter
from xlcrm.xlsx.report_sheet import MAX_CELL_TEXT
from xlcrm.xlsx.zip_writer import ZIP_MAGIC

CSV_DELIMITERS = (";", ",", "\t")
# Excel's first line naming a CSV's delimiter.
_SEP_LINE = re.compile(r"sep=(.)", re.IGNORECASE)
# Lines looked at to choose a CSV delimiter.
_SNIFF_LINES = 50


@dataclass(frozen=True)
class SourceTable:
    """A table read from a source file: its headers and records, with where each record was."""

    path: Path
    kind: str  # "workbook", "csv" or "html"
    headers: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]  # each as long as headers
    row_numbers: tuple[int, ...]  # 1-based row (line, for CSV records on one line) of each record in the source
    sheet: str | None = None  # the sheet read, for workbooks
    encoding: str | None = None  # for text files
    delimiter: str | None = None  # for CSV

    def describe(self) -> Text:
        """``CSV (cp1251, ';')``: how the file was read, for the summary."""
        if self.kind == "csv":
            if self.delimiter == "\t":
                return t("CSV ({encoding}, tab)", encoding=str(self.encoding))
            return t("CSV ({encoding}, {delimiter})", encoding=str(self.encoding), delimiter=repr(self.delimiter))
        if self.kind == "html":
            return t("HTML table ({encoding})", encoding=str(self.encoding))
        return t("workbook, sheet {sheet}", sheet=repr(self.sheet))


# The extensions of the files python-calamine opens as zip packages (OOXML, binary Excel, OpenDocument).
_ZIP_SUFFIXES = (".xlsx", ".xlsm", ".xlam", ".xlsb", ".ods")
_ZIP_END_RECORD = b"PK\x05\x06"


def read_source(path: str | Path) -> SourceTable:
    """Read the table in ``path``, whatever its kind; SourceError when there is none."""
    path = Path(path)
    if not path.exists():
        raise SourceError(t("{source}: no such file", source=str(path)))
    if path.is_dir():
        raise SourceError(t("{source} is a folder, not a file to import", source=str(path)))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(
            t("{source} cannot be read: {error}", source=str(path), error=exc.strerror or str(exc))
        ) from None
    if not data.strip():
        raise SourceError(t("{source} is empty: nothing to import", source=str(path)))
    # A file python-calamine reads as a zip by its extension is checked as one wherever its zip starts: calamine's
    # zip reader reads one after other data, and finds its end further from the file's end than zipfile does. A
    # text (CSV, or HTML as some CRMs export it) under such a name holds no zip end record and is read as text.
    is_zip = (
        data.startswith(ZIP_MAGIC)
        or zipfile.is_zipfile(path)
        or (path.suffix.casefold() in _ZIP_SUFFIXES and _ZIP_END_RECORD in data)
    )
    if data.startswith(OLE_MAGIC) or is_zip:
        if data.startswith(OLE_MAGIC) and ENCRYPTED_STREAM in data:
            raise EncryptedWorkbook(_password_protected(path))
        if is_zip:
            check_package(path)
        return _read_workbook(path, checked=is_zip)
    text, encoding = decode_text(data, path)
    if _looks_like_html(text):
        return _read_html(path, text, encoding)
    return _read_csv(path, text, encoding)


def _password_protected(path: Path) -> Text:
    return t("{source} is password-protected; remove the password before importing it", source=str(path))


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """The text of a file and the encoding it was in.

    A byte order mark decides; then zero bytes: text with one in every other byte is UTF-16 without a mark
    (little- or big-endian by which half holds them); then UTF-8, strictly; then the Cyrillic code page the
    file reads as Russian in, Windows-1251 or KOI8-R (``cyrillic_code_page``). Text that still holds a zero
    byte, or that is in none of these, is refused: nothing is imported as NUL characters or mojibake.
    """
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _decoded(data, encoding, path), encoding
    unmarked = _unmarked_utf16(data)
    if unmarked is not None:
        return _decoded(data, unmarked, path), unmarked
    if b"\0" in data:
        raise SourceError(
            t(
                "{source} is neither an Excel file nor text: it holds zero bytes; save it from Excel as CSV UTF-8",
                source=str(path),
            )
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    code_page = cyrillic_code_page(data)
    if code_page is None:
        raise SourceError(
            t(
                "{source} is neither an Excel file nor text in UTF-8, UTF-16, Windows-1251 or KOI8-R; save it from "
                "Excel as CSV UTF-8",
                source=str(path),
            )
        )
    return _decoded(data, code_page, path), code_page


def _decoded(data: bytes, encoding: str, path: Path) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise SourceError(
            t("{source} starts as {encoding} text but is not valid {encoding}", source=str(path), encoding=encoding)
        ) from None
    if "\0" in text:
        raise SourceError(
            t(
                "{source} is neither an Excel file nor text: read as {encoding} it holds NUL characters; save it from "
                "Excel as CSV UTF-8",
                source=str(path),
                encoding=encoding,
            )
        )
    return text


# Bytes looked at to tell UTF-16 without a byte order mark: a few thousand characters.
_UTF16_SAMPLE = 1 << 16
# UTF-16 holds a zero byte in every character of the Latin range (digits, delimiters, spaces, Latin letters):
# at least this share of the characters of a table, while other text has none at all.
_UTF16_MIN_ZEROS = 0.1


def _unmarked_utf16(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when ``data`` looks like UTF-16 without a byte order mark: zero bytes in one
    half of the byte pairs (the high byte of every Latin-range character), none in the other; else None."""
    sample = data[: _UTF16_SAMPLE - _UTF16_SAMPLE % 2]
    pairs = len(sample) // 2
    if not pairs:
        return None
    zeros_even, zeros_odd = sample[0::2].count(0), sample[1::2].count(0)
    if zeros_odd >= _UTF16_MIN_ZEROS * pairs and zeros_even == 0:
        return "utf-16-le"
    if zeros_even >= _UTF16_MIN_ZEROS * pairs and zeros_odd == 0:
        return "utf-16-be"
    return None


# How often each letter comes in Russian text (per cent), to tell which code page a file reads as Russian in.
_RUSSIAN_LETTERS = dict(
    zip(
        "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
        (
            10.97,
            8.45,
            8.01,
            7.35,
            6.70,
            6.26,
            5.47,
            4.73,
            4.54,
            4.40,
            3.49,
            3.21,
            2.98,
            2.81,
            2.62,
            2.01,
            1.90,
            1.74,
            1.70,
            1.65,
            1.59,
            1.44,
            1.21,
            0.97,
            0.94,
            0.73,
            0.64,
            0.48,
            0.36,
            0.32,
            0.26,
            0.04,
            0.04,
        ),
    )
)
# Windows-1251 and KOI8-R put the small and the capital letters in each other's places, so a name read in the
# wrong one comes out as "пЕТРОВ": each capital right after a small letter costs the reading this much, more
# than the letters of a word weigh together. All-capital text ("ООО РОМАШКА") is told by its letters alone.
_CASE_BREAK_COST = 50.0
_CASE_BREAK = re.compile("[а-яё][А-ЯЁ]")
# Of the bytes above 127, at least this share must be Cyrillic letters in the code page chosen (the rest being
# «», №, dashes, quotes): text in another code page (DOS 866, Mac) is refused rather than read as mojibake.
_MIN_LETTER_SHARE = 0.6
# Bytes looked at to choose the code page.
_CODE_PAGE_SAMPLE = 1 << 16


def cyrillic_code_page(data: bytes) -> str | None:
    """ "cp1251" or "koi8-r": the code page in which the start of ``data`` reads most like Russian (its letters
    weighted by how often they come in Russian, less the words cased like "пЕТРОВ"); None when it reads as
    Russian in neither."""
    sample = data[:_CODE_PAGE_SAMPLE]
    high = sum(byte >= 0x80 for byte in sample)
    best, best_score = None, None
    for encoding in ("cp1251", "koi8-r"):
        text = sample.decode(encoding, "replace")
        weights = [weight for char in text if (weight := _RUSSIAN_LETTERS.get(char.lower())) is not None]
        if len(weights) < _MIN_LETTER_SHARE * high:
            continue
        score = sum(weights) - _CASE_BREAK_COST * len(_CASE_BREAK.findall(text))
        if best_score is None or score > best_score:
            best, best_score = encoding, score
    return best


def _looks_like_html(text: str) -> bool:
    head = text[:4096].lstrip().lower()
    return (
        head.startswith(("<html", "<!doctype html", "<table", "<?xml", "<meta", "<head")) and "<table" in text.lower()
    )


def _table(
    path: Path, kind: str, raw_rows: Sequence[tuple[int, Sequence[object]]], **details: str | None
) -> SourceTable:
    """Header row and records from ``(row number, cells)`` pairs; blank rows are skipped."""
    filled = [(number, cells) for number, cells in raw_rows if any(not is_blank(cell) for cell in cells)]
    if not filled:
        raise SourceError(t("{source} has no rows: nothing to import", source=str(path)))
    header_number, header_cells = filled[0]
    width = max(len(cells) for _number, cells in filled)
    headers = tuple(_header_text(cell) for cell in header_cells) + ("",) * (width - len(header_cells))
    if sum(bool(header) for header in headers) == 0:
        raise SourceError(t("{source}: row {row} should hold the column headers", source=str(path), row=header_number))
    rows = tuple(tuple(_clean(cell) for cell in cells) + (None,) * (width - len(cells)) for _n, cells in filled[1:])
    numbers = tuple(number for number, _cells in filled[1:])
    # A column with values but no header is named by its letter, "(C)": the mapping then lists it as not imported
    # (or a mapping file imports it), where a column without a name would go unmentioned.
    headers = tuple(
        _letter_name(index, headers) if not header and any(not is_blank(row[index]) for row in rows) else header
        for index, header in enumerate(headers)
    )
    _check_cell_lengths(path, headers, rows, numbers)
    return SourceTable(path, kind, headers, rows, numbers, **details)


def _letter_name(index: int, headers: Sequence[str]) -> str:
    """The name of the headerless column at ``index``: its letter in brackets, "(C)", in more brackets while a header
    of the file is written so (a mapping file line must name one column)."""
    name = f"({column_letter(index)})"
    while name in headers:
        name = f"({name})"
    return name


def _check_cell_lengths(
    path: Path, headers: tuple[str, ...], rows: tuple[tuple[object, ...], ...], numbers: tuple[int, ...]
) -> None:
    """Refuse a value longer than an Excel cell holds: written into the workbook, Excel would cut it."""
    for number, cells in zip(numbers, rows):
        for index, cell in enumerate(cells):
            if type(cell) is str and len(cell) > MAX_CELL_TEXT:
                where = {
                    "source": str(path),
                    "row": number,
                    "length": Number(len(cell)),
                    "limit": Number(MAX_CELL_TEXT),
                }
                raise SourceError(
                    t(
                        "{source}, row {row}, column {column}: {length} characters, more than Excel's limit of {limit} "
                        "for one cell; shorten it and import again",
                        column=quoted(headers[index]),
                        **where,
                    )
                    if headers[index]
                    else t(
                        "{source}, row {row}, column number {number}: {length} characters, more than Excel's limit of "
                        "{limit} for one cell; shorten it and import again",
                        number=index + 1,
                        **where,
                    )
                )


def _header_text(cell: object) -> str:
    return "" if is_blank(cell) else " ".join(str(cell).split())


def _clean(cell: object) -> object:
    if isinstance(cell, str):
        return cell.strip() or None
    return cell


def _read_workbook(path: Path, checked: bool) -> SourceTable:
    """The first sheet holding anything; ``checked``: an OOXML package, whose sheets ``check_sheet`` scans first."""
    try:
        book = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise EncryptedWorkbook(_password_protected(path)) from None
    except (CalamineError, OSError, ValueError) as exc:
        raise SourceError(
            t("{source} cannot be read as an Excel file: {error}", source=str(path), error=str(exc))
        ) from None
    try:
        for name in book.sheet_names:
            if checked:
                check_sheet(path, name)
            try:
                rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except CalamineError as exc:
                raise SourceError(
                    t(
                        "{source}: sheet {sheet} cannot be read: {error}",
                        source=str(path),
                        sheet=repr(name),
                        error=str(exc),
                    )
                ) from None
            if any(not is_blank(cell) for row in rows for cell in row):
                return _table(path, "workbook", list(enumerate(rows, start=1)), sheet=name)
    finally:
        book.close()
    raise SourceError(t("{source} has no sheet with anything in it: nothing to import", source=str(path)))


def _read_csv(path: Path, text: str, encoding: str) -> SourceTable:
    # Excel reads a first line "sep=;" as the delimiter to use, not as a row: so does xlcrm.
    directive = _SEP_LINE.fullmatch(text.split("\n", 1)[0].rstrip("\r"))
    delimiter = directive.group(1) if directive else sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[object]]] = []
    try:
        for cells in reader:
            if directive and reader.line_num == 1:
                continue
            # The number of the line the record ends on is known; a quoted value may have spanned several.
            rows.append((reader.line_num, list(cells)))
    except csv.Error as exc:
        raise SourceError(
            t("{source}, line {line}: {error}", source=str(path), line=reader.line_num, error=str(exc))
        ) from None
    return _table(path, "csv", rows, encoding=encoding, delimiter=delimiter)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most columns, the same number on every line."""
    sample = "\n".join(text.splitlines()[:_SNIFF_LINES])
    best, best_score = CSV_DELIMITERS[0], (-1, -1)
    for delimiter in CSV_DELIMITERS:
        try:
            widths = [len(cells) for cells in csv.reader(io.StringIO(sample), delimiter=delimiter) if cells]
        except csv.Error:
            continue
        if not widths:
            continue
        consistent = sum(width == widths[0] for width in widths)
        score = (consistent if widths[0] > 1 else 0, widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_html(path: Path, text: str, encoding: str) -> SourceTable:
    try:
        document = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise SourceError(
            t("{source} looks like HTML but cannot be read: {error}", source=str(path), error=str(exc))
        ) from None
    tables = document.xpath("//table")
    if not tables:
        raise SourceError(t("{source} is HTML without a table: nothing to import", source=str(path)))
    # A page may wrap the export in layout tables: the table with the most rows of its own is the data.
    table = max(tables, key=lambda t: len(_own_rows(t)))
    rows = []
    # Each column's rows still covered by a cell above it (rowspan); a span ends with its group (thead, tbody …).
    covered: dict[int, int] = {}
    group = None
    for number, row in enumerate(_own_rows(table), start=1):
        if row.getparent() is not group:
            group, covered = row.getparent(), {}
        cells: list[object] = []
        for cell in row.xpath("./th|./td"):
            while covered.get(len(cells), 0) > 0:  # the cell goes right of those the rows above reach into
                cells.append(None)
            first = len(cells)
            cells.append(_cell_text(cell))
            cells.extend([None] * (_span(cell, "colspan") - 1))
            covered.update(dict.fromkeys(range(first, len(cells)), _span(cell, "rowspan")))
        covered = {column: rows_left - 1 for column, rows_left in covered.items() if rows_left > 1}
        rows.append((number, cells))
    return _table(path, "html", rows, encoding=encoding)


def _span(cell: lxml.html.HtmlElement, attribute: str) -> int:
    """How many columns (``colspan``) or rows (``rowspan``) the cell spans, read as a browser reads it (HTML's rules
    for parsing non-negative integers): ``2px`` spans 2, ``٣`` (not ASCII digits) spans 1. A colspan of 0 spans 1,
    and one spans 1000 columns at the most; a rowspan of 0 spans the rest of its group, and one 65,534 at the most."""
    found = _HTML_NUMBER.match(cell.get(attribute) or "")
    if found is None:
        return 1
    digits = found[1].lstrip("0") or "0"
    number = int(digits) if len(digits) <= 9 else 10**9  # beyond either limit: int() of thousands of digits fails
    if attribute == "colspan":
        return min(number, 1000) or 1
    return min(number, 65534) or 65534


_HTML_NUMBER = re.compile(r"[\t\n\f\r ]*\+?([0-9]+)")


def _own_rows(table: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    rows: list[lxml.html.HtmlElement] = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    return rows


def _cell_text(cell: lxml.html.HtmlElement) -> str:
    """A cell's text with line breaks (``<br>``) as newlines, so two phones in a cell stay apart."""
    for br in cell.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return "\n".join(" ".join(line.split()) for line in cell.text_content().splitlines() if line.strip())
