"""The commands speak the user's language: --lang, else LANGUAGE / LC_ALL / LC_MESSAGES, else the workbook's own,
else LANG; with Russian plurals and numbers. JSON keeps its English keys and codes; errors say «Ошибка:»."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.builders import valid_records, write_records
from tests.paths import EXAMPLE
from xlcrm.cli.main import cli
from xlcrm.messages import speaking, t, tn

TODAY = "2026-11-23"


@pytest.fixture(scope="module")
def russian_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ru") / "demo.xlsx"
    args = ["demo", str(path), "--locale", "ru", "--clients", "120", "--seed", "1", "--today", TODAY]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def book(russian_demo: Path, tmp_path: Path) -> Path:
    """A fresh copy of the Russian demo: 120 clients, six certain duplicates, three probable pairs."""
    return Path(shutil.copyfile(russian_demo, tmp_path / "demo.xlsx"))


@pytest.fixture
def english_book(tmp_path: Path) -> Path:
    return write_records(tmp_path / "clients.xlsx", "en", valid_records("en"))


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], prog_name="xlcrm")


def russian_noun(count: int, one: str, few: str, many: str) -> str:
    if count % 10 == 1 and count % 100 != 11:
        return one
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return few
    return many


# --- which language -----------------------------------------------------------------------------------------------


def test_lang_is_a_global_option_shown_in_help() -> None:
    shown = run("--help").output
    assert "--lang [en|ru]" in shown
    assert "xlcrm --lang ru refresh clients.xlsx" in " ".join(shown.split())


def test_demo_speaks_the_language_of_its_workbook(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    args = ["demo", path, "--locale", "ru", "--clients", "120", "--seed", "1", "--today", TODAY, "--force"]
    russian = run(*args)
    assert russian.exit_code == 0, russian.output
    assert russian.stdout == (
        f"Создан файл {path}: 120 клиентов, 605 взаимодействий, 6 заложенных дублей, "
        "3 заложенных вероятных дубля, 25 заложенных ошибок\n"
    )
    english = run("--lang", "en", *args)
    assert english.stdout == (
        f"Created {path}: 120 clients, 605 interactions, 6 planted duplicates, 3 planted probable duplicates, "
        "25 planted mistakes\n"
    )


def test_validate_a_russian_workbook(book: Path) -> None:
    russian = run("validate", book, "--today", TODAY)
    assert russian.exit_code == 1
    *findings, total = russian.stdout.splitlines()
    # the 10 warnings include the planted VIP/Key clients with too few orders (2), the Lost one without a reason,
    # the three persons without consent and the two overlapping contracts
    assert total == "15 ошибок, 10 предупреждений в demo.xlsx"
    assert all(line.startswith(("ошибка         ", "предупреждение ")) for line in findings), findings
    assert len(findings) == 25  # the planted mistakes, a payment naming no order of its client among them

    english = run("--lang", "en", "validate", book, "--today", TODAY)
    *findings, total = english.stdout.splitlines()
    assert total == "15 errors, 10 warnings in demo.xlsx"
    assert all(line.startswith(("error   ", "warning ")) for line in findings), findings


def test_the_environment_comes_before_the_workbook_and_lang_before_both(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LC_MESSAGES", "en_US.UTF-8")
    assert run("validate", book, "--today", TODAY, "-q").stdout == "15 errors, 10 warnings in demo.xlsx\n"
    assert run("--lang", "ru", "validate", book, "--today", TODAY, "-q").stdout == (
        "15 ошибок, 10 предупреждений в demo.xlsx\n"
    )


def test_russian_messages_variable_on_an_english_workbook(english_book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("validate", english_book, "--today", TODAY).stdout == "No problems found in clients.xlsx\n"
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")  # the machine's default: the workbook's language comes first
    assert run("validate", english_book, "--today", TODAY).stdout == "No problems found in clients.xlsx\n"
    monkeypatch.setenv("LC_MESSAGES", "ru_RU.UTF-8")
    assert run("validate", english_book, "--today", TODAY).stdout == "В clients.xlsx проблем не найдено\n"


# --- what the commands print --------------------------------------------------------------------------------------


def test_refresh_in_russian_and_in_english(book: Path, tmp_path: Path) -> None:
    english_copy = Path(shutil.copyfile(book, tmp_path / "english.xlsx"))
    russian = run("refresh", book, "--today", TODAY, "--keep-backups", "0", "--strict")
    assert russian.exit_code == 1, russian.output
    lines = russian.stdout.splitlines()
    assert lines[0] == f"Обновлена книга {book} на 23.11.2026"
    assert lines[1].startswith("Блоки: 8 Ключевые 3, 7 VIP 4, ")
    # The demo records payments: what its clients owe comes first (see examples/README.md, Planted payments).
    assert lines[2] == (
        "Долги: 10 клиентов должны 287\xa0700,00; из них просрочено у 8: 180\xa0600,00; "
        "1 клиент заплатил вперёд 12\xa0000,00"
    )
    assert lines[3] == "Первое обновление: переходы между блоками будут видны со следующего"
    assert (
        "Объединено: 6 дублей клиентов в основные карточки (отменить — xlcrm unmerge; см. лист «▸ Журнал объединений»):"
        in lines
    )
    assert (
        "На проверку на листе «▸ Дубли»: 3 пары вероятных дублей; впишите «объединить» или «не объединять» в столбец "
        "«Решение», следующее обновление это применит" in lines
    )
    assert lines[-1] == "15 ошибок и 9 предупреждений, список — на листе «▸ Проблемы»"
    assert russian.stderr == f"Ошибка: в {book} остаётся 15 ошибок (--strict); их список покажет xlcrm validate\n"

    english = run("--lang", "en", "refresh", english_copy, "--today", TODAY, "--keep-backups", "0", "--strict")
    lines = english.stdout.splitlines()
    assert lines[0] == f"Refreshed {english_copy} for 23.11.2026"
    assert (
        "Merged 6 duplicate clients into their survivors (undo with xlcrm unmerge; see ▸ Журнал объединений):" in lines
    )
    assert lines[-1] == "15 errors and 9 warnings, listed on ▸ Проблемы"
    assert english.stderr == f"Error: 15 errors remain in {english_copy} (--strict); xlcrm validate lists them\n"


def test_the_steps_and_the_time_in_russian(book: Path) -> None:
    result = run("--lang", "ru", "refresh", book, "--today", TODAY, "--keep-backups", "0", "-v")
    assert result.exit_code == 0, result.output
    *logged, finished = result.stderr.splitlines()
    steps = [re.fullmatch(r"xlcrm +[0-9]+,[0-9] с  (.+): [0-9]+,[0-9] с", line) for line in logged]
    names = [match.group(1).strip() if match else line for match, line in zip(steps, logged, strict=True)]
    assert names[0] == "чтение книги" and names[-1] == "сохранение книги", names
    assert "построение листов отчётов" in names and "проверка всех ячеек" in names
    assert re.fullmatch(r"Готово за [0-9]+,[0-9] с", finished)


def test_dedupe_and_unmerge_in_russian(book: Path) -> None:
    dry = run("dedupe", book, "--dry-run")
    lines = dry.stdout.splitlines()
    assert lines[0] == f"{book}: 120 клиентов, сравнено 12 пар-кандидатов"
    assert "Будет объединено: 6 строк-дублей в 6 карточек клиентов:" in lines
    assert (
        "На проверку на листе «Дубли»: 3 пары вероятных дублей (заполните «Решение»: объединить / не объединять и "
        "снова запустите xlcrm dedupe):" in lines
    )
    assert lines[-1] == "Пробный запуск: книга не изменена"

    quiet = run("dedupe", book, "-q", "--keep-backups", "0")
    assert quiet.stdout == (
        f"{book}: Объединено: 6 строк-дублей в 6 карточек клиентов, на проверку: 3 пары вероятных дублей\n"
    )

    undone = run("unmerge", book, "M0001", "--keep-backups", "0")
    assert undone.exit_code == 0, undone.output
    assert undone.stdout.splitlines() == [
        "Отменено объединение M0001: C000006 восстановлен как был; вернулись на место: C000048; снова указывают на "
        "них: 3 строки контактов, взаимодействий или договоров",
        "Пары отмечены «не объединять» на листе «Дубли», и dedupe больше не будет их объединять",
        f"Сохранено в {book}",
    ]


def test_dedupe_in_english_names_the_sheets_as_the_workbook_does(book: Path) -> None:
    lines = run("--lang", "en", "dedupe", book, "--dry-run").stdout.splitlines()
    assert lines[0] == f"{book}: 120 clients, 12 candidate pairs compared"
    assert "Would merge 6 duplicate rows into 6 clients:" in lines
    assert (
        "3 probable pairs to review on the Дубли sheet (fill in Решение: объединить / не объединять, then run "
        "xlcrm dedupe again):" in lines
    )
    assert lines[-1] == "Dry run: the workbook was not changed"


def test_agenda_in_russian_and_in_english(book: Path, tmp_path: Path) -> None:
    russian = run("agenda", book, "--today", TODAY, "--ics", tmp_path / "ru")
    assert russian.exit_code == 0, russian.output
    wrote = [re.fullmatch(r"Записано ([0-9]+) (\w+) в файл (.+)", line) for line in russian.stdout.splitlines()]
    files = [match for match in wrote if match]
    assert files and [Path(match.group(3)).parent for match in files] == [tmp_path / "ru"] * len(files)
    for match in files:
        events = int(match.group(1))
        assert match.group(2) == russian_noun(events, "событие", "события", "событий")
    assert "Сделать сейчас" in russian.stdout and "Вернуть молчащего клиента" in russian.stdout

    english = run("--lang", "en", "agenda", book, "--today", TODAY, "--ics", tmp_path / "en")
    assert english.stdout.splitlines()[-len(files) :] == [
        f"Wrote {match.group(1)} {'event' if match.group(1) == '1' else 'events'} to "
        f"{tmp_path / 'en' / Path(match.group(3)).name}"
        for match in files
    ]
    assert "To do now" in english.stdout and "Win back a silent client" in english.stdout
    assert "Вернуть" not in english.stdout


def test_import_in_russian_and_in_english(book: Path, tmp_path: Path) -> None:
    source = tmp_path / "new.csv"
    source.write_text(
        "Имя;Телефон;Город\nПетров Пётр;+7 916 111-22-33;Москва\nСидорова Анна;+7 916 444-55-66;Тверь\n",
        encoding="utf-8",
    )
    russian = run("import", source, "--into", book, "--dry-run", "--today", TODAY)
    assert russian.exit_code == 0, russian.output
    lines = russian.stdout.splitlines()
    assert lines[0].startswith(f"Прочитан файл {source}: ")
    assert lines[1] == "Столбцы для листа «Клиенты»:"
    assert lines[2:5] == ["  Имя -> Контактное лицо", "  Телефон -> Телефон", "  Город -> Город"]
    assert (
        lines[5]
        == "Будут добавлены 2 строки, 0 будет объединено с совпадающими клиентами, 0 уже есть в книге, 0 пропущено"
    )
    assert lines[-1] == "Пробный запуск: книга не изменена"

    english = run("--lang", "en", "import", source, "--into", book, "--dry-run", "--today", TODAY)
    lines = english.stdout.splitlines()
    assert lines[0].startswith(f"Read {source} as ") and lines[1] == "Columns for Клиенты:"
    assert lines[5] == "Would add 2 rows, would merge 0 into matching clients, 0 already in the workbook, 0 skipped"
    assert lines[-1] == "Dry run: the workbook was not changed"

    saved = run("import", source, "--into", book, "--today", TODAY, "--keep-backups", "0", "-q")
    assert (
        saved.stdout == "Добавлены 2 строки, 0 объединено с совпадающими клиентами, 0 уже есть в книге, 0 пропущено\n"
    )


def test_export_in_russian_and_in_english(book: Path, tmp_path: Path) -> None:
    copy = tmp_path / "anon.xlsx"
    russian = run("export", book, "--anonymise", copy)
    assert russian.exit_code == 0, russian.output
    masked = re.match(
        rf"Записана обезличенная копия {re.escape(str(copy))}, скрыто: ([0-9]+) (\w+), [^\n]*\n"
        r"Изменены ячейки: ([0-9]+) (\w+) на листе «Клиенты», ",
        russian.stdout,
    )
    assert masked, russian.stdout
    assert masked.group(2) == russian_noun(int(masked.group(1)), "имя", "имени", "имён")
    assert masked.group(4) == russian_noun(int(masked.group(3)), "ячейка", "ячейки", "ячеек")

    english = run("--lang", "en", "export", book, "--anonymise", copy, "--force")
    assert english.stdout.startswith(f"Wrote the anonymised copy {copy}: masked {masked.group(1)} names, ")
    assert f"\nCells changed: {masked.group(3)} cells on Клиенты, " in english.stdout


# --- JSON and errors ----------------------------------------------------------------------------------------------


def keys(value: Any) -> Any:
    """The shape of a JSON value: its keys all the way down, lists by their first item."""
    if isinstance(value, dict):
        return {key: keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [keys(value[0])] if value else []
    return type(value).__name__


def test_json_keeps_its_keys_and_codes_in_english(book: Path) -> None:
    russian = json.loads(run("--lang", "ru", "validate", book, "--today", TODAY, "--json").stdout)
    english = json.loads(run("--lang", "en", "validate", book, "--today", TODAY, "--json").stdout)
    assert keys(russian) == keys(english)
    assert russian["counts"] == english["counts"] == {"errors": 15, "warnings": 10}
    assert [(f["severity"], f["code"], f["cell"]) for f in russian["findings"]] == [
        (f["severity"], f["code"], f["cell"]) for f in english["findings"]
    ]
    refreshed = json.loads(run("--lang", "ru", "refresh", book, "--today", TODAY, "--dry-run", "--json").stdout)
    assert refreshed["blocks"]["key"] == 3 and refreshed["locale"] == "ru"


@dataclass
class SpeakingReport:
    """A validate result whose texts are catalogue messages, as other rooms' results carry them."""

    path: Path
    locale: str = "ru"
    findings: tuple[()] = ()
    valid: bool = True

    def to_dict(self) -> dict[str, Any]:
        message = t("No problems found in {name}", name="demo.xlsx")
        return {"path": str(self.path), "message": message, "rendered": str(message)}


def test_json_texts_are_in_the_language_of_the_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("xlcrm.cli.validate.validate_workbook", lambda path, **_: SpeakingReport(path))
    russian = json.loads(run("--lang", "ru", "validate", tmp_path / "demo.xlsx", "--json").stdout)
    assert russian["message"] == russian["rendered"] == "В demo.xlsx проблем не найдено"
    english = json.loads(run("--lang", "en", "validate", tmp_path / "demo.xlsx", "--json").stdout)
    assert english["message"] == english["rendered"] == "No problems found in demo.xlsx"
    assert english.keys() == russian.keys()
    # and the workbook's language, without --lang: a Russian result speaks Russian
    assert json.loads(run("validate", tmp_path / "demo.xlsx", "--json").stdout)["message"].startswith("В demo.xlsx")


def test_errors_in_russian(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "notthere.xlsx"
    result = run("--lang", "ru", "validate", missing)
    assert result.exit_code == 1
    assert result.stdout == "" and result.stderr.startswith("Ошибка: ") and "\n" not in result.stderr.rstrip("\n")
    as_json = run("--lang", "ru", "validate", missing, "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout).keys() == {"error", "code"}
    assert run("validate", missing).stderr.startswith("Error: ")  # English without a language asked for
    monkeypatch.setenv("LC_MESSAGES", "ru_RU.UTF-8")
    assert run("validate", missing).stderr.startswith("Ошибка: ")


def test_usage_errors_in_russian(tmp_path: Path) -> None:
    result = run("--lang", "ru", "refresh", tmp_path / "demo.xlsx", "--today", "31.02.2026")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Использование: xlcrm refresh [ПАРАМЕТРЫ] PATH",
        "Справка: «xlcrm refresh --help».",
        "",
        "Ошибка: Недопустимое значение '--today': '31.02.2026' — не дата; укажите ГГГГ-ММ-ДД или ДД.ММ.ГГГГ "
        "(например, 2026-11-23 или 23.11.2026)",
    ]
    both = run("--lang", "ru", "refresh", tmp_path / "demo.xlsx", "-q", "-v")
    assert both.exit_code == 2 and both.stderr.endswith("Ошибка: --quiet и --verbose нельзя указывать вместе\n")
    as_json = run("--lang", "ru", "refresh", tmp_path / "demo.xlsx", "--tday", "1", "--json")
    assert json.loads(as_json.stdout) == {
        "error": "Нет параметра '--tday'. Возможно, имелся в виду '--today'?",
        "code": 2,
    }
    mistyped = run("--lang", "ru", "valid", tmp_path / "demo.xlsx")
    assert mistyped.exit_code == 2
    assert mistyped.stderr.splitlines()[-1] == "Ошибка: Нет команды 'valid'. Возможно, имелся в виду 'validate'?"
    unknown = run("--lang", "ru", "frobnicate", "--json")
    assert json.loads(unknown.stdout) == {"error": "Нет команды 'frobnicate'.", "code": 2}


# --- plurals and numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "russian", "english"),
    [
        (1, "1 клиент", "1 client"),
        (2, "2 клиента", "2 clients"),
        (5, "5 клиентов", "5 clients"),
        (11, "11 клиентов", "11 clients"),
        (21, "21 клиент", "21 clients"),
        (1000, "1\xa0000 клиентов", "1,000 clients"),
    ],
)
def test_counts_agree_with_their_number(count: int, russian: str, english: str) -> None:
    clients = tn("{count} client", "{count} clients", count)
    with speaking("ru"):
        assert str(clients) == russian
    assert str(clients) == english


def test_an_error_of_a_russian_demo_is_in_the_language_of_the_run(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    path.write_bytes(b"")
    english = run("demo", path, "--locale", "ru", "--clients", "20")
    assert english.exit_code == 2 and english.stderr.startswith("Error: ") and "--force" in english.stderr
    russian = run("--lang", "ru", "demo", path, "--locale", "ru", "--clients", "20")
    assert russian.exit_code == 2 and russian.stderr.startswith("Ошибка: ")


def test_lang_after_the_command_works_as_before_it(tmp_path: Path) -> None:
    workbook = tmp_path / "нет.xlsx"
    before = CliRunner().invoke(cli, ["--lang", "ru", "validate", str(workbook)])
    after = CliRunner().invoke(cli, ["validate", str(workbook), "--lang", "ru"])
    assert after.exit_code == before.exit_code == 1
    assert after.output == before.output
    assert after.output.startswith("Ошибка: ")
    usage = CliRunner().invoke(cli, ["validate", str(workbook), "-q", "-v", "--lang", "ru"])
    assert usage.exit_code == 2
    assert "--quiet и --verbose" in usage.output and "Error" not in usage.output


def test_steps_reasons_and_errors_about_a_russian_workbook_speak_russian_without_lang(tmp_path: Path) -> None:
    workbook = Path(shutil.copyfile(EXAMPLE, tmp_path / "демо.xlsx"))
    merges = CliRunner().invoke(cli, ["dedupe", str(workbook), "--dry-run"])
    assert "тот же телефон" in merges.output and "same phone" not in merges.output
    steps = CliRunner().invoke(cli, ["refresh", str(workbook), "--today", "2026-11-23", "-v", "--keep-backups", "0"])
    assert steps.exit_code == 0
    assert "чтение книги" in steps.output and "reading the workbook" not in steps.output
    before = workbook.read_bytes()
    error = CliRunner().invoke(cli, ["unmerge", str(workbook), "M0099"])
    assert error.exit_code != 0
    assert error.output.startswith("Ошибка: в журнале объединений")
    assert workbook.read_bytes() == before
