"""A Russian workbook and a Russian run read as Russian; an English one has no Russian of xlcrm's own.

Every text cell of the report sheets (and of the How-to and Settings sheets xlcrm writes) and every line the
commands print are split into words. In Russian mode a word in Latin letters fails the test unless it is user data
(it appears on a sheet the user types into), or one of the few things that stay Latin in a Russian text: the
product and program names, codes of findings, e-mail addresses, IDs, command lines and options. In English mode a
word in Cyrillic fails unless it is user data.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from xlcrm import schema
from xlcrm.cli.main import cli

TODAY = "2026-11-23"
# Words of two letters or more: a single letter is a label (ABC classes A, B, C; the sides A and B of a pair).
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
CYRILLIC_WORD = re.compile(r"[А-Яа-яЁё]+")

# Latin that a Russian text keeps: names of programs and formats, and abbreviations Russian business writing uses.
RUSSIAN_ALLOWED_WORDS = {
    "xlcrm",
    "Excel",
    "LibreOffice",
    "ID",
    "VIP",
    "ABC",
    "CSV",
    "SQLite",
    "PostgreSQL",
    "e",
    "mail",
}
RUSSIAN_ALLOWED_WORDS |= {"xlsx", "xls", "xlsm", "csv", "ics", "json", "amoCRM", "Bitrix24", "ISO", "RU", "UTF", "utf"}
# "Email" is how Russian business software (amoCRM, Bitrix24, 1C) heads the column; the commands are program names.
RUSSIAN_ALLOWED_WORDS |= {"Email", "init", "demo", "validate", "refresh", "dedupe", "unmerge", "agenda", "import"}
RUSSIAN_ALLOWED_WORDS |= {"export", "schedule"}
# Things that are not words of a sentence: e-mail addresses and web domains, command lines, options, finding codes,
# ClientIDs and other identifiers, file names.
NOT_WORDS = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"  # e-mail
    r"|\b[\w-]+(\.[\w-]+)*\.(ru|com|рф|org|net)\b"  # web domain
    r"|\bxlcrm( [a-z-]+)?"  # the command and its subcommand
    r"|(?<!\w)--?[a-z][a-z-]*"  # an option
    r"|\b[a-z]+(-[a-z]+)+\b"  # a finding code (bad-email) or a setting key
    r"|\b[a-z]+(_[a-z]+)+\b"  # a setting key (partner_orders)
    r"|\b[A-Z]{1,3}\d+\b"  # a ClientID (C000123) or a cell (A12)
    r"|[\w.-]+\.(xlsx|xlsm|csv|ics|sqlite|db|xls)\b"  # a file name
)


def words(text: str, pattern: re.Pattern[str]) -> set[str]:
    return set(pattern.findall(NOT_WORDS.sub(" ", text)))


def user_words(path: Path, pattern: re.Pattern[str]) -> set[str]:
    """Every word typed on the sheets the user types into (on Settings, only the values and the lists of their
    own: managers, sources): their data may be in any language."""
    own_settings = {
        schema.SETTINGS.column(key).name(language)
        for key in ("value", "managers", "sources")
        for language in ("en", "ru")
    }
    workbook = load_workbook(path, read_only=True)
    found: set[str] = set()
    for sheet in schema.USER_SHEETS:
        for name in sheet.names():
            if name not in workbook.sheetnames:
                continue
            rows = workbook[name].iter_rows(values_only=True)
            header = next(rows, ())
            wanted = [sheet is not schema.SETTINGS or value in own_settings for value in header]
            for row in rows:
                for value, take in zip(row, wanted):
                    if take and isinstance(value, str):
                        found |= set(pattern.findall(value))
    workbook.close()
    return found


def written_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(sheet!cell, text) of every text cell xlcrm writes: the report sheets, How-to and Settings."""
    workbook = load_workbook(path)
    own_sheets = {name for sheet in (schema.HOW_TO, schema.SETTINGS) for name in sheet.names()}
    for sheet in workbook.worksheets:
        if not (sheet.title.startswith(schema.REPORT_MARKER) or sheet.title in own_sheets):
            continue
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and not cell.value.startswith("="):
                    yield f"{sheet.title}!{cell.coordinate}", cell.value
        for chart in getattr(sheet, "_charts", []):
            rich = chart.title.tx.rich if chart.title is not None and chart.title.tx is not None else None
            for paragraph in rich.p if rich is not None else []:
                for run_ in paragraph.r or []:
                    yield f"{sheet.title} chart", run_.t


def foreign(texts: Iterable[tuple[str, str]], pattern: re.Pattern[str], allowed: set[str]) -> list[str]:
    return [f"{where}: {sorted(bad)} in {text!r}" for where, text in texts if (bad := words(text, pattern) - allowed)]


def run(args: list[str], workdir: Path) -> list[tuple[str, str]]:
    """Runs a command; returns its printed lines (paths of the test folder taken out) as (command, line)."""
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    output = result.output.replace(str(workdir), "")
    return [(" ".join(args[:3]), line) for line in output.splitlines()]


# The file imported: its headers and values are user data too.
IMPORTED = "Name,Phone,City\nNew Client,+7 999 123-45-67,Kazan\n"


def commands_output(workbook: Path, language: str, workdir: Path, lang: list[str]) -> list[tuple[str, str]]:
    """What every command prints on ``workbook`` in ``language`` (the workbook is changed by the saving ones), with
    ``lang`` before each command: ``--lang`` or nothing (the language then comes from the workbook)."""
    csv = workdir / "import.csv"
    csv.write_text(IMPORTED, encoding="utf-8")
    lines: list[tuple[str, str]] = []
    for args in (
        ["validate", str(workbook), "--today", TODAY],
        ["refresh", str(workbook), "--today", TODAY, "--keep-backups", "0", "-v"],
        ["refresh", str(workbook), "--today", TODAY, "--keep-backups", "0"],
        ["dedupe", str(workbook), "--dry-run"],
        ["agenda", str(workbook), "--today", TODAY],
        ["agenda", str(workbook), "--today", TODAY, "--ics", str(workdir / "agenda")],
        ["import", str(csv), "--into", str(workbook), "--dry-run"],
        ["export", str(workbook), "--sqlite", str(workdir / "base.sqlite")],
        ["init", str(workdir / "new.xlsx"), "--locale", language],
    ):
        lines += run([*lang, *args], workdir)
    if lang:  # no workbook to take the language from: only --lang (or the environment) names it
        for args in (["validate", str(workdir / "missing.xlsx")], ["refresh", str(workdir / "import.csv")]):
            lines += run([*lang, *args], workdir)
    return lines


@pytest.fixture(scope="module", params=["ru", "en"])
def refreshed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, list]:
    """A demo in the language, the lines of every command run on it in that language, and the workbook after them."""
    language = request.param
    workdir = tmp_path_factory.mktemp(f"purity-{language}")
    workbook = workdir / "demo.xlsx"
    lines = run(
        [
            "--lang",
            language,
            "demo",
            str(workbook),
            "--locale",
            language,
            "--clients",
            "120",
            "--seed",
            "1",
            "--today",
            TODAY,
        ],
        workdir,
    )
    data = workdir / "as-typed.xlsx"
    shutil.copyfile(workbook, data)
    lines += commands_output(workbook, language, workdir, ["--lang", language])
    lines += commands_output(workbook, language, workdir, [])
    return language, workbook, [data, lines]


def test_report_sheets_speak_the_workbook_language(refreshed: tuple[str, Path, list]) -> None:
    language, workbook, (data, _) = refreshed
    if language == "ru":
        allowed = RUSSIAN_ALLOWED_WORDS | user_words(data, LATIN_WORD) | user_words(workbook, LATIN_WORD)
        bad = foreign(written_texts(workbook), LATIN_WORD, allowed)
    else:
        allowed = user_words(data, CYRILLIC_WORD) | user_words(workbook, CYRILLIC_WORD)
        bad = foreign(written_texts(workbook), CYRILLIC_WORD, allowed)
    assert not bad, f"{len(bad)} cells in the wrong language:\n" + "\n".join(bad[:60])


def test_commands_speak_the_run_language(refreshed: tuple[str, Path, list]) -> None:
    language, workbook, (data, lines) = refreshed
    assert lines
    if language == "ru":
        allowed = RUSSIAN_ALLOWED_WORDS | user_words(data, LATIN_WORD) | user_words(workbook, LATIN_WORD)
        bad = foreign(lines, LATIN_WORD, allowed | set(LATIN_WORD.findall(IMPORTED)))
    else:
        allowed = user_words(data, CYRILLIC_WORD) | user_words(workbook, CYRILLIC_WORD)
        bad = foreign(lines, CYRILLIC_WORD, allowed)
    assert not bad, f"{len(bad)} printed lines in the wrong language:\n" + "\n".join(bad[:60])
