"""The reasons of duplicates in two languages: written into a workbook in its own, printed in the run's."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from tests.dedupe.waterfalls import WEIGHED, read_waterfall
from xlcrm import schema
from xlcrm.dedupe.merge_log import read_merge_log, read_sheet_rows
from xlcrm.dedupe.plan import joined
from xlcrm.errors import MergeNotFound, MergeNotUndoable
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.dedupe import dedupe_workbook, unmerge_workbook
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import RefreshResult, refresh_workbook
from xlcrm.messages import Message, render, speaking, t

TODAY = dt.date(2026, 11, 23)
NO_BACKUPS = SaveOptions(keep_backups=0)
# The reasons of the first merge of the demo (seed 1, 120 clients), and of its likeliest pair left for review, in
# either language, without their weights (the match model learns those from the workbook).
FIRST_MERGE = {
    "en": {
        "same INN 163243616535",
        "same phone +79805291832",
        "same email kirillov96@list.ru",
        "same name",
        "same city",
    },
    "ru": {
        "тот же ИНН 163243616535",
        "тот же телефон +79805291832",
        "тот же e-mail kirillov96@list.ru",
        "то же имя",
        "тот же город",
    },
}
FIRST_PAIR = {
    "en": ({"same name", "same company name", "same city", "different phones"}, "no INN, phone or email in common"),
    "ru": (
        {"то же имя", "то же название компании", "тот же город", "разные телефоны"},
        "нет общего ИНН, телефона или e-mail",
    ),
}


def said(reason: object) -> set[str]:
    """The reasons of a waterfall without their weights; the merges of the demo are all as good as certain."""
    waterfall = read_waterfall(str(reason))
    assert waterfall.percent >= 99
    return set(waterfall.terms)


def is_first_pair(reason: object, locale: str) -> bool:
    """Whether ``reason`` is that of the likeliest pair for review: its reasons, then why it was not merged."""
    waterfall = read_waterfall(str(reason))
    terms, why_not = FIRST_PAIR[locale]
    return set(waterfall.terms) == terms and waterfall.notes.startswith(why_not)


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, RefreshResult]]:
    """The demo (``xlcrm demo PATH --locale … --clients 120 --seed 1``) in each language, refreshed once."""
    folder = tmp_path_factory.mktemp("demos")
    refreshed = {}
    for locale in ("ru", "en"):
        path = folder / f"demo-{locale}.xlsx"
        create_demo(path, clients=120, seed=1, locale=locale, today=TODAY)
        refreshed[locale] = (path, refresh_workbook(path, today=TODAY, save=NO_BACKUPS))
    return refreshed


def table(path: Path, locale: str, spec: schema.Sheet, first_header: str, column: str) -> list[object]:
    """The cells under the header ``column`` of the table of a report sheet that starts with ``first_header``."""
    rows = list(openpyxl.load_workbook(path)[spec.name(locale)].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == schema.dedupe_label(first_header, locale))
    index = rows[start].index(schema.dedupe_label(column, locale))
    values = []
    for row in rows[start + 1 :]:
        if not any(cell is not None for cell in row):
            break
        values.append(row[index])
    return values


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_duplicates_and_merge_log_sheets_give_reasons_in_the_workbooks_language(
    demos: dict[str, tuple[Path, RefreshResult]], locale: str
) -> None:
    path, result = demos[locale]
    assert result.merged_clients and result.review_pairs
    reasons = table(path, locale, schema.DUPLICATES, "decision", "reason")
    assert is_first_pair(reasons[0], locale)
    why = [cell for cell in table(path, locale, schema.MERGE_LOG, "merge_id", "why_merged") if cell]
    assert said(why[0]) == FIRST_MERGE[locale]
    written = " ".join(str(cell) for cell in reasons + why)
    if locale == "ru":
        assert "same" not in written and "similar" not in written
        assert "имена похожи на 87\xa0%" in written or "имена похожи на 87 %" in written
    else:
        assert "тот же" not in written and "names 87 % similar" in written


def test_what_is_printed_follows_the_run_not_the_workbook(demos: dict[str, tuple[Path, RefreshResult]]) -> None:
    _path, result = demos["ru"]
    reason = result.merges[0].reason
    assert isinstance(reason, Message)
    assert said(reason) == FIRST_MERGE["en"]  # an English run on a Russian workbook
    with speaking("ru"):
        assert said(reason) == FIRST_MERGE["ru"]
        assert said(result.to_dict()["merges"][0]["reason"]) == FIRST_MERGE["ru"]
    assert said(result.to_dict()["merges"][0]["reason"]) == FIRST_MERGE["en"]


def test_a_dedupe_run_prints_in_russian_and_its_json_keeps_english_keys(
    demos: dict[str, tuple[Path, RefreshResult]], tmp_path: Path
) -> None:
    path = tmp_path / "demo.xlsx"
    shutil.copy(demos["en"][0], path)
    result = dedupe_workbook(path, dry_run=True)
    with speaking("ru"):
        printed = result.to_dict()
    assert is_first_pair(printed["review"][0]["reason"], "ru")
    assert set(printed["review"][0]) == {
        "rows",
        "client_ids",
        "probability",
        "reason",
        "evidence",
        "prior_bits",
        "weight_bits",
    }
    evidence = printed["review"][0]["evidence"]
    assert {item["field"] for item in evidence} == {"name", "company", "city", "phone"}
    assert [set(item) for item in evidence] == [{"field", "level", "bits", "reason"}] * len(evidence)
    first = WEIGHED.match(evidence[0]["reason"])
    assert first and first["reason"] == "то же имя"  # the reasons in the language of the run


def test_old_english_reasons_of_a_russian_merge_log_are_kept_and_still_undo(
    demos: dict[str, tuple[Path, RefreshResult]], tmp_path: Path
) -> None:
    """A Merge log written before xlcrm spoke Russian holds English reasons: read back and written back as they are."""
    path = tmp_path / "demo.xlsx"
    shutil.copy(demos["ru"][0], path)
    book = openpyxl.load_workbook(path)
    sheet = book[schema.MERGE_LOG.name("ru")]
    header = next(row for row in sheet.iter_rows() if row[2].value == schema.dedupe_label("why_merged", "ru"))
    english = "same INN 163243616535; same phone +79805291832; same email kirillov96@list.ru; same name; same city"
    for row in sheet.iter_rows(min_row=header[0].row + 1):
        if row[0].value == "M0001" and row[2].value:
            assert said(row[2].value) == FIRST_MERGE["ru"]
            row[2].value = english  # as an older xlcrm wrote it: in English, without weights
    book.save(path)

    dedupe_workbook(path, save=NO_BACKUPS)
    entries = read_merge_log(read_sheet_rows(path, schema.MERGE_LOG)).entries
    assert [entry.why for entry in entries if entry.merge_id == "M0001" and entry.why] == [english] * 2
    undone = unmerge_workbook(path, "M0001", save=NO_BACKUPS)
    assert undone.restored_rows == 1


def test_errors_of_unmerge_are_said_in_the_language_of_the_run(
    demos: dict[str, tuple[Path, RefreshResult]], tmp_path: Path
) -> None:
    path = tmp_path / "demo.xlsx"
    shutil.copy(demos["en"][0], path)
    with pytest.raises(MergeNotFound) as english:
        unmerge_workbook(path, "M0999", save=NO_BACKUPS)
    assert str(english.value).startswith(f"the Merge log of {path} has no merge M0999; merges logged: M0001, M0002")
    with speaking("ru"), pytest.raises(MergeNotFound) as russian:
        unmerge_workbook(path, "M0999", save=NO_BACKUPS)
    with speaking("ru"):
        said = str(russian.value)
    assert said.startswith(f"в журнале объединений {path} нет объединения M0999; в журнале есть: M0001, M0002")

    unmerge_workbook(path, "M0001", save=NO_BACKUPS)
    merges = read_merge_log(read_sheet_rows(path, schema.MERGE_LOG)).ids()
    later = merges[-1]
    book = openpyxl.load_workbook(path)
    sheet = book[schema.MERGE_LOG.name("en")]
    for row in sheet.iter_rows():
        if row[0].value == later and isinstance(row[5].value, int):
            row[5].value = 1  # a row number typed over
    book.save(path)
    with speaking("ru"), pytest.raises(MergeNotUndoable) as typed_over:
        unmerge_workbook(path, later, save=NO_BACKUPS)
    with speaking("ru"):
        assert str(typed_over.value) == (
            f"{later} нельзя отменить: номер строки этого объединения на листе «▸ Merge log» изменён вручную (это "
            "должен быть номер строки клиента или взаимодействия, 2 или больше), поэтому xlcrm не знает, куда вернуть "
            "строку; книга не изменена"
        )


def test_reasons_of_a_big_group_join_without_nesting_deep() -> None:
    parts = [t("same phone {phone}", phone=f"+7916{number:07d}") for number in range(3000)]
    reason = joined(parts, " | ")
    assert render(reason, "en").count(" | ") == 2999
    assert render(reason, "ru").startswith("тот же телефон +79160000000 | тот же телефон +79160000001")
    assert joined([]) == "" and joined(["", parts[0]]) is parts[0]
