"""The Merge log's "Why merged" column: the reason each command printed, and Merge logs written before it existed."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from tests.dedupe.test_decisions import PAIR, decision_cell, locale_of, run, type_into
from tests.dedupe.test_decisions import book as book  # noqa: F401  (the fixture, in both languages)
from tests.dedupe.test_unmerge import cells, user_sheets
from tests.dedupe.waterfalls import read_waterfall
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.dedupe.merge_log import read_merge_log, read_sheet_rows
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.dedupe import dedupe_workbook, unmerge_workbook
from xlcrm.messages import speaking

TODAY = "2026-11-23"


def log_table(path: Path) -> list[dict[str, object]]:
    """The Merge log's rows under its headers."""
    rows = cells(path)[schema.MERGE_LOG.name(locale_of(path))]
    first = schema.dedupe_label("merge_id", locale_of(path))
    start = next(index for index, row in enumerate(rows) if row[0] == first)
    header = rows[start]
    return [dict(zip(header, row)) for row in rows[start + 1 :] if any(cell != "" for cell in row)]


def printed_reasons(output: str) -> dict[str, str]:
    """Merge ID -> the reason a dedupe printed for it."""
    return dict(re.findall(r"^  (M\d{4}): \S+ <- \S+ \((.*)\)$", output, flags=re.MULTILINE))


def why(path: Path) -> str:
    return schema.dedupe_label("why_merged", locale_of(path))


# Among the weighed reasons of the pair merged without asking (Romashka typed twice), in each language.
ROMASHKA = {"en": "same phone +79161234567", "ru": "тот же телефон +79161234567"}
# Why the pair merged by its Decision was merged, in each language: the user's choice, then the pair's waterfall of
# reasons (in brackets): the different phones kept it from being merged without asking.
CHOSEN = {
    "en": "you chose merge in Decision on ▸ Duplicates (",
    "ru": "вы выбрали «объединить» в столбце «Решение» на листе «▸ Дубли» (",
}
CHOSEN_PAIR = {
    "en": {"same name", "same company name", "same city", "different phones"},
    "ru": {"то же имя", "то же название компании", "тот же город", "разные телефоны"},
}


def says_romashka(reason: object, locale: str) -> bool:
    """Whether ``reason`` is the waterfall of the Romashka pair in ``locale``: its shared phone among the weighed
    reasons, and a probability as good as certain."""
    waterfall = read_waterfall(str(reason))
    return ROMASHKA[locale] in waterfall.terms and waterfall.percent >= 99


def says_chosen(reason: object, locale: str) -> bool:
    """Whether ``reason`` says the user chose the merge, in ``locale``, with the pair's waterfall."""
    text = str(reason)
    if not (text.startswith(CHOSEN[locale]) and text.endswith(")")):
        return False
    waterfall = read_waterfall(text.removeprefix(CHOSEN[locale])[:-1])
    return set(waterfall.terms) == CHOSEN_PAIR[locale] and not waterfall.notes


def test_merge_log_says_why_as_the_command_said(book: Path) -> None:
    locale = locale_of(book)
    result = run("dedupe", str(book))
    assert result.exit_code == 0, result.output
    printed = printed_reasons(result.output)["M0001"]
    assert says_romashka(printed, "en") or says_romashka(printed, "ru")  # in the language of the run
    rows = log_table(book)
    header = list(rows[0])
    assert header[:6] == [
        schema.dedupe_label(key, locale) for key in ("merge_id", "merged_on", "why_merged", "role", "sheet", "row")
    ]
    role = schema.dedupe_label("role", locale)
    roles = {value.name(locale): value.key for value in schema.MERGE_ROLES}
    logged = {roles[str(row[role])]: row[why(book)] for row in rows}
    reason = logged["survivor"]
    assert logged == {"survivor": reason, "merged": reason, "repointed": ""}
    # In the workbook's language: the same reasons as printed, word for word when the run speaks it.
    assert says_romashka(reason, locale)
    assert reason.count(";") == printed.count(";")
    if says_romashka(printed, locale):
        assert reason == printed
    assert [entry.why for entry in read_merge_log(read_sheet_rows(book, schema.MERGE_LOG)).entries] == [
        reason,
        reason,
        "",
    ]


def test_the_reasons_are_printed_in_the_language_of_the_run_and_logged_in_the_workbooks(book: Path) -> None:
    locale = locale_of(book)
    with speaking("ru"):
        result = dedupe_workbook(book, save=SaveOptions(keep_backups=0))
        printed = result.to_dict()["merges"][0]["why_merged"]
    assert says_romashka(printed, "ru")
    survivor = read_merge_log(read_sheet_rows(book, schema.MERGE_LOG)).entries[0]
    assert says_romashka(survivor.why, locale)
    assert (survivor.why == printed) is (locale == "ru")


def test_the_dedupe_command_prints_the_reasons_in_the_language_it_speaks(book: Path) -> None:
    """Without --lang the command speaks the workbook's language (read from its sheet list before it starts), and
    prints the reasons in it; with --lang, in the language asked for."""
    locale = locale_of(book)
    other = "en" if locale == "ru" else "ru"
    for lang, spoken in ((None, locale), (other, other)):
        result = run(*(["--lang", lang] if lang else []), "dedupe", str(book), "--dry-run")
        assert result.exit_code == 0, result.output
        assert says_romashka(printed_reasons(result.output)["M0001"], spoken), result.output


def test_a_merge_chosen_in_decision_says_so_in_output_and_log(book: Path) -> None:
    locale = locale_of(book)
    assert run("refresh", str(book), "--today", TODAY).exit_code == 0
    type_into(book, decision_cell(book, PAIR), schema.MERGE_DECISION.name(locale))
    result = run("refresh", str(book), "--today", TODAY)
    assert result.exit_code == 0, result.output
    duplicates = schema.DUPLICATES.name(locale)
    # Printed in the language of the run (the Duplicates sheet named as the workbook names it).
    assert CHOSEN["en"] == f"you chose merge in Decision on {duplicates} (" or locale == "ru"
    printed = [line.partition("C000005 (")[2][:-1] for line in result.output.splitlines() if "C000005 (" in line]
    assert printed and all(says_chosen(text, "en") or says_chosen(text, "ru") for text in printed)
    second = [row for row in log_table(book) if row[schema.dedupe_label("merge_id", locale)] == "M0002"]
    assert len(second) == 2 and second[0][why(book)] == second[1][why(book)]
    assert says_chosen(second[0][why(book)], locale)


def _as_written_before_why_merged(path: Path) -> None:
    """The Merge log as xlcrm wrote it before the Why merged column: the same cells without that column."""
    book = openpyxl.load_workbook(path)
    sheet = book[schema.MERGE_LOG.name(locale_of(path))]
    header_row = next(row for row in sheet.iter_rows() if row[2].value == why(path))[0].row
    sheet.delete_cols(3)
    assert [cell.value for cell in sheet[header_row]][2] == schema.dedupe_label("role", locale_of(path))
    book.save(path)


def test_a_merge_log_written_before_the_column_still_undoes_and_reads(book: Path) -> None:
    before = user_sheets(book)
    dedupe_workbook(book, save=SaveOptions(keep_backups=0))
    _as_written_before_why_merged(book)
    old = read_merge_log(read_sheet_rows(book, schema.MERGE_LOG))
    assert [(e.merge_id, e.role, e.row, e.why) for e in old.entries] == [
        ("M0001", "survivor", 2, ""),
        ("M0001", "merged", 4, ""),
        ("M0001", "repointed", 2, ""),
    ]
    assert old.headers == [cell for cell in before[schema.CLIENTS.name(locale_of(book))][0] if cell != ""]

    # A later run keeps the old entries under the new layout and adds its own with their reason.
    type_into(book, decision_cell(book, PAIR), schema.MERGE_DECISION.name(locale_of(book)))
    result = CliRunner().invoke(cli, ["dedupe", str(book), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    rows = log_table(book)
    merge_id = schema.dedupe_label("merge_id", locale_of(book))
    assert [(row[merge_id], row[why(book)] != "") for row in rows] == [
        ("M0001", False),
        ("M0001", False),
        ("M0001", False),
        ("M0002", True),
        ("M0002", True),
    ]
    unmerge_workbook(book, "M0002", save=SaveOptions(keep_backups=0))
    unmerge_workbook(book, "M0001", save=SaveOptions(keep_backups=0))
    assert user_sheets(book) == before


def test_unmerge_straight_from_an_old_merge_log(book: Path) -> None:
    before = user_sheets(book)
    dedupe_workbook(book, save=SaveOptions(keep_backups=0), now=dt.datetime(2026, 11, 23, 9, 30))
    _as_written_before_why_merged(book)
    result = CliRunner().invoke(cli, ["unmerge", str(book), "M0001", "--keep-backups", "0"])
    assert result.exit_code == 0, result.output
    assert user_sheets(book) == before
