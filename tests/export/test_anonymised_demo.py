"""The anonymised copy of the refreshed demo holds none of its personal values, in any XML part of the file.

Every original is collected from the refreshed demo: the Name, Company (of a sole
trader), INN, Phone (as typed and as digits only), Email, Address, Birthday and
Comment of each Clients row, of each Contacts row, and of each original row the
Merge log and the Duplicates sheet keep (rows the user sheets no longer hold).
Texts are searched in the raw XML of every part; birthdays are searched among the
dates the copy's cells hold (a date is a serial number in the XML, which other
numbers could equal) and, as typed text, in the XML.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from tests.conftest import convert_with_libreoffice
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook

TODAY = dt.date(2026, 11, 23)
SOLE_TRADER = re.compile(r"^\s*(ип|ip|индивидуальный предприниматель)\b", re.IGNORECASE)
# Column keys of the user sheets whose values are personal, as the originals are collected.
PERSONAL = ("name", "company", "inn", "phone", "email", "address", "birthday", "comment")
# A comment this short ("Да") could be any cell's text; longer ones are the client's own words.
LONGEST_COMMON_TEXT = 12


@dataclass
class Originals:
    """The personal values of a workbook: texts to find in no XML part, birthdays in no cell."""

    texts: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)  # phones as digits only and INN: searched as whole numbers
    birthdays: set[dt.date] = field(default_factory=set)

    def add(self, key: str, value: object) -> None:
        if value is None or value == "":
            return
        if key == "birthday" and isinstance(value, dt.datetime):
            if (value.month, value.day) != (7, 1):  # 1 July is what the copy shows for any birthday of that year
                self.birthdays.add(value.date())
            return
        text = str(int(value)) if isinstance(value, float) else str(value).strip()
        if key == "company" and not SOLE_TRADER.match(text):
            return
        if key == "comment" and len(text) <= LONGEST_COMMON_TEXT:
            return
        if key in ("phone", "inn"):
            self.numbers.add(re.sub(r"\D", "", text))
        self.texts.add(text)


def headers_of(locale: str) -> dict[str, str]:
    """Header text -> column key, for the personal columns of Clients and Contacts."""
    headers = {}
    for spec in (schema.CLIENTS, schema.CONTACTS):
        for column in spec.columns:
            if column.key in PERSONAL:
                headers.setdefault(column.name(locale), column.key)
    return headers


def collect(sheet: Worksheet, headers: dict[str, str], originals: Originals, *, tables: bool) -> None:
    """Add the personal values of ``sheet`` to ``originals``: under its header row (row 1), or with ``tables``
    under every row that holds such headers (suffixed " A" / " B" on Duplicates), down to a blank row."""
    columns: dict[int, str] = {}
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if all(value is None for value in row):
            columns = {}
            continue
        found = {
            index: headers.get(str(value)) or headers.get(str(value)[:-2])
            for index, value in enumerate(row)
            if isinstance(value, str)
        }
        found = {index: key for index, key in found.items() if key}
        if number == 1 or (tables and found):
            columns = found
            continue
        for index, key in columns.items():
            if index < len(row):
                originals.add(key, row[index])


@dataclass(frozen=True)
class Demo:
    locale: str
    workbook: Path
    originals: Originals


def refreshed_demo(folder: Path, locale: str) -> Demo:
    """The demo of 120 clients, refreshed so that every report sheet is full, with its personal values."""
    path = folder / f"demo-{locale}.xlsx"
    create_demo(path, clients=120, seed=1, locale=locale, today=TODAY)
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    book = load_workbook(path)
    headers = headers_of(locale)
    originals = Originals()
    for spec in (schema.CLIENTS, schema.CONTACTS):
        collect(book[spec.name(locale)], headers, originals, tables=False)
    interactions = book[schema.INTERACTIONS.name(locale)]
    names = [cell.value for cell in interactions[1]]
    for key in ("result", "comment", "next_action"):
        index = names.index(schema.INTERACTIONS.column(key).name(locale))
        for row in interactions.iter_rows(min_row=2, values_only=True):
            originals.add("comment", row[index])
    for spec in (schema.MERGE_LOG, schema.DUPLICATES):
        collect(book[spec.name(locale)], headers, originals, tables=True)
    return Demo(locale, path, originals)


@pytest.fixture(scope="module", params=["ru", "en"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return refreshed_demo(tmp_path_factory.mktemp(f"demo-{request.param}"), request.param)


@dataclass(frozen=True)
class Copy:
    path: Path
    output: str  # what the export printed


@pytest.fixture(scope="module")
def copy(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Copy:
    """The demo's anonymised copy; the demo is not changed by the export."""
    target = tmp_path_factory.mktemp(f"copy-{demo.locale}") / "copy.xlsx"
    saved = demo.workbook.read_bytes()
    output = export(demo, target)
    assert demo.workbook.read_bytes() == saved
    return Copy(target, output)


def export(demo: Demo, target: Path, *options: str) -> str:
    """Run ``xlcrm export --anonymise`` on the demo; returns what it printed."""
    result = CliRunner().invoke(
        cli, ["export", str(demo.workbook), "--anonymise", str(target), "--today", TODAY.isoformat(), *options]
    )
    assert result.exit_code == 0, result.output
    return result.output


def parts_text(path: Path) -> dict[str, str]:
    """Every part of the package at ``path`` as text."""
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name).decode("utf-8", "replace") for name in package.namelist()}


def test_no_original_personal_value_is_left_in_any_part(demo: Demo, copy: Copy) -> None:
    originals = demo.originals
    assert len(originals.texts) > 500 and len(originals.birthdays) > 50 and len(originals.numbers) > 200
    parts = parts_text(copy.path)
    lowered = {name: xml.lower() for name, xml in parts.items()}
    left = [
        (name, text)
        for name, xml in parts.items()
        for text in originals.texts
        if text in xml or escape(text) in xml or ("@" in text and text.lower() in lowered[name])
    ]
    assert left == []
    numbers = {int(number) for name, xml in parts.items() for number in re.findall(r"\d{10,}", xml)}
    assert {number for number in originals.numbers if len(number) >= 10 and int(number) in numbers} == set()
    dates = {
        cell.date() if isinstance(cell, dt.datetime) else cell
        for sheet in load_workbook(copy.path).worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, dt.date)
    }
    assert originals.birthdays & dates == set()


def cells_by_header(sheet: Worksheet, header: str, key_header: str) -> list[tuple[object, object]]:
    """(key, value) of each row under every header row of ``sheet`` that has both headers."""
    pairs = []
    columns: tuple[int, int] | None = None
    for row in sheet.iter_rows(values_only=True):
        if header in row and key_header in row:
            columns = row.index(key_header), row.index(header)
            continue
        if all(value is None for value in row):
            columns = None
        elif columns is not None:
            pairs.append((row[columns[0]], row[columns[1]]))
    return pairs


def test_a_client_has_one_pseudonym_on_every_sheet(demo: Demo, copy: Copy) -> None:
    book = load_workbook(copy.path)
    locale = demo.locale
    client_id = schema.CLIENTS.column("client_id").name(locale)
    name = schema.CLIENTS.column("name").name(locale)
    client = schema.CLIENT_NAME.column.name(locale)
    pseudonyms = dict(cells_by_header(book[schema.CLIENTS.name(locale)], name, client_id))
    prefix = "Клиент " if locale == "ru" else "Client "
    assert pseudonyms and all(str(value).startswith(prefix) for value in pseudonyms.values() if value)
    assert len(set(pseudonyms.values())) == len(pseudonyms)
    shown = [
        (sheet, key, value)
        for sheet, header in [(schema.AGENDA, client), (schema.ABC, client), (schema.MERGE_LOG, name)]
        for key, value in cells_by_header(book[sheet.name(locale)], header, client_id)
        if key in pseudonyms and value
    ]
    assert len(shown) > 50
    assert [(sheet.key, key, value) for sheet, key, value in shown if pseudonyms[key] != value] == []
    duplicates = book[schema.DUPLICATES.name(locale)]
    pairs = cells_by_header(duplicates, f"{name} A", f"{client_id} A") + cells_by_header(
        duplicates, f"{name} B", f"{client_id} B"
    )
    assert pairs and all(pseudonyms[key] == value for key, value in pairs if key in pseudonyms)
    # A contact person's pseudonym on the Agenda's birthday greetings is the one the Contacts sheet shows.
    contact_name = schema.CONTACTS.column("name").name(locale)
    contacts = {str(value) for _, value in cells_by_header(book[schema.CONTACTS.name(locale)], contact_name, client_id)}
    greeted = [
        re.search(r": (\S+ \d+)", str(cell)).group(1)  # type: ignore[union-attr]
        for row in book[schema.AGENDA.name(locale)].iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str) and re.match(r"(День рождения контактного лица|Birthday of a contact person):", cell)
    ]
    assert greeted and set(greeted) <= contacts


def test_the_city_the_birth_year_and_other_companies_stay(demo: Demo, copy: Copy) -> None:
    locale = demo.locale
    original = load_workbook(demo.workbook)[schema.CLIENTS.name(locale)]
    masked = load_workbook(copy.path)[schema.CLIENTS.name(locale)]
    headers = [cell.value for cell in original[1]]

    def column(key: str) -> int:
        return headers.index(schema.CLIENTS.column(key).name(locale)) + 1

    for row in range(2, original.max_row + 1):
        city, birthday, company = (original.cell(row, column(key)).value for key in ("city", "birthday", "company"))
        assert masked.cell(row, column("city")).value == city
        assert masked.cell(row, column("address")).value is None
        birth = masked.cell(row, column("birthday")).value
        if isinstance(birthday, dt.datetime):
            assert birth == dt.datetime(birthday.year, 7, 1)
        if company and SOLE_TRADER.match(company):
            form = SOLE_TRADER.match(company).group(1)  # type: ignore[union-attr]
            assert masked.cell(row, column("company")).value == f"{form} {masked.cell(row, column('name')).value}"
        else:
            assert masked.cell(row, column("company")).value == company
    first = copy.output.splitlines()[0]
    if locale == "ru":
        assert re.search(r"скрыто: \d+ им(ён|ени|я), \d+ назван\w+ ИП, \d+ телефон", first), first
        assert re.search("дат[аы]? рождения", first) and "адрес" in first and "комментари" in first
    else:
        assert re.search(r"masked \d+ names, \d+ sole traders' names, \d+ phones", first), first


def test_the_agendas_birthday_greetings_lose_their_date(demo: Demo, copy: Copy) -> None:
    """The due date of a birthday greeting is the birthday: with the year, the whole date of birth."""
    due = "Срок" if demo.locale == "ru" else "Due date"
    greeting = re.compile(r"(День рождения|Birthday)")

    def greetings(path: Path) -> list[tuple[int, object]]:
        sheet = load_workbook(path)[schema.AGENDA.name(demo.locale)]
        column = None
        found = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if due in row:
                column = row.index(due)
            elif column is not None and any(isinstance(cell, str) and greeting.match(cell) for cell in row):
                found.append((number, row[column]))
        return found

    original, masked = greetings(demo.workbook), greetings(copy.path)
    assert original and all(isinstance(date, dt.datetime) for _, date in original)
    assert masked == [(number, None) for number, _ in original]


def test_comments_are_hidden_unless_kept(demo: Demo, tmp_path: Path) -> None:
    locale = demo.locale
    hidden, kept = tmp_path / "hidden.xlsx", tmp_path / "kept.xlsx"
    export(demo, hidden)
    export(demo, kept, "--keep-comments")
    original = load_workbook(demo.workbook)[schema.INTERACTIONS.name(locale)]
    headers = [cell.value for cell in original[1]]
    comment = headers.index(schema.INTERACTIONS.column("comment").name(locale)) + 1
    placeholder = "(скрыто)" if locale == "ru" else "(hidden)"
    texts = [
        (row, original.cell(row, comment).value)
        for row in range(2, original.max_row + 1)
        if original.cell(row, comment).value
    ]
    assert texts
    hidden_sheet = load_workbook(hidden)[schema.INTERACTIONS.name(locale)]
    kept_sheet = load_workbook(kept)[schema.INTERACTIONS.name(locale)]
    assert all(hidden_sheet.cell(row, comment).value == placeholder for row, _ in texts)
    plain = [(row, text) for row, text in texts if not re.search(r"\d{5}|@", text)]
    assert plain and all(kept_sheet.cell(row, comment).value == text for row, text in plain)
    # Two exports of the same workbook give each client the same pseudonym.
    names = [
        [row[:3] for row in load_workbook(path)[schema.CLIENTS.name(locale)].iter_rows(values_only=True)]
        for path in (hidden, kept)
    ]
    assert names[0] == names[1]


@pytest.mark.libreoffice
def test_the_copy_opens_in_libreoffice(tmp_path: Path) -> None:
    demo = refreshed_demo(tmp_path, "ru")
    target = tmp_path / "copy.xlsx"
    export(demo, target)
    assert convert_with_libreoffice(target, "pdf", tmp_path / "pdf").stat().st_size > 0
