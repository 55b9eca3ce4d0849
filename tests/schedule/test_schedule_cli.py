"""xlcrm schedule through the command line: what it prints, the one Error line of a bad input (nothing touched),
the scheduled run's exit code, and a Russian run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.schedule.conftest import Crontab
from xlcrm.cli.main import cli
from xlcrm.jobs import schedule
from xlcrm.jobs.init import create_template
from xlcrm.messages import speaking


def run(*args: str, language: str = "en", lang: str | None = None) -> Result:
    """``xlcrm schedule ARGS`` (``xlcrm --lang LANG schedule ARGS`` with ``lang``)."""
    with speaking(language):
        return CliRunner().invoke(cli, [*(["--lang", lang] if lang else []), "schedule", *args])


def entry_of(crontab: Crontab, workbook: Path) -> str:
    """The crontab's entry for ``workbook``."""
    name = schedule.task_name(workbook)
    (entry,) = [line for line in crontab.read().splitlines() if line.endswith(f" # {name}")]
    return entry


def one_error(result: Result, prefix: str = "Error: ") -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), result.stderr
    assert result.stdout == ""
    return lines[0]


def test_install_list_and_remove(fake_crontab: Crontab, workbook: Path) -> None:
    name = schedule.task_name(workbook)

    installed = run(str(workbook), "--at", "07:30", lang="en")

    assert installed.exit_code == 0, installed.output
    # told English, the daily run of the Russian workbook speaks English too
    assert " -m xlcrm --lang en schedule --run " in entry_of(fake_crontab, workbook)
    assert installed.stdout.splitlines() == [
        f"xlcrm refresh will run on {workbook} every day at 07:30 ({name})",
        f"Each run writes what happened to {workbook.parent}/.xlcrm-backups/Клиенты.xlsx.schedule.log",
    ]
    assert run("--list").stdout == f"{name}: refresh {workbook}\n"
    listed = json.loads(run("--list", "--json").stdout)
    assert listed == [{"name": name, "description": f"refresh {workbook}"}]

    removed = run("--remove", str(workbook))

    assert removed.exit_code == 0
    assert removed.stdout == f"Removed the daily run of {workbook} ({name})\n"
    assert run("--list").stdout == "No daily runs of xlcrm are set up on this computer\n"
    assert run("--remove", str(workbook)).stdout == f"{workbook} had no daily run; nothing was removed\n"


def test_print_shows_the_crontab_lines_and_installs_nothing(fake_crontab: Crontab, workbook: Path) -> None:
    shown = run(str(workbook), "--at", "07:30", "--print")

    assert shown.exit_code == 0
    expected = schedule.cron_lines(schedule.make_schedule(workbook, schedule.parse_time("07:30"), language="ru"))
    assert shown.stdout.splitlines() == expected
    assert " -m xlcrm --lang ru schedule --run " in expected[1]
    assert fake_crontab.table is not None and not fake_crontab.table.exists()


def test_json_of_an_installation(fake_crontab: Crontab, workbook: Path) -> None:
    shown = json.loads(run(str(workbook), "--at", "21:05", "--command", "dedupe", "--print", "--json").stdout)
    assert shown["at"] == "21:05" and shown["command"] == "dedupe" and shown["dry_run"] is True
    assert shown["workbook"] == str(workbook) and shown["platform"] == "cron" and shown["language"] == "ru"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--at", "25:00"], 2, "Error: --at '25:00' is not a time of day; give hours and minutes, e.g. 07:30"),
        (["--at", "07:30", "--command", "export"], 2, "Error: --command 'export': a schedule can run refresh, "),
        ([], 2, "Error: give the time of the daily run with --at, e.g. --at 07:30"),
        (["--at", "07:30", "--remove"], 0, None),  # --at is ignored by --remove
        (["--remove", "--shortcut"], 2, "Error: --remove, --shortcut: xlcrm schedule takes one of these at a time"),
        (["--shortcut", "--print"], 2, "Error: --print shows what would be installed; it cannot be used with"),
    ],
)
def test_bad_inputs_give_one_error_line_and_touch_nothing(
    fake_crontab: Crontab, workbook: Path, args: list[str], code: int, says: str | None
) -> None:
    before = sorted(workbook.parent.iterdir())

    result = run(str(workbook), *args, lang="en")  # the workbook is Russian: its errors would be too

    assert result.exit_code == code, result.output
    if says is not None:
        assert one_error(result).startswith(says)
    assert sorted(workbook.parent.iterdir()) == before
    assert fake_crontab.table is not None and not fake_crontab.table.exists()


def test_a_missing_workbook_is_one_error_line(fake_crontab: Crontab, tmp_path: Path) -> None:
    missing = tmp_path / "нет такого.xlsx"
    for args in (["--at", "07:30"], ["--shortcut"]):
        result = run(str(missing), *args)
        assert result.exit_code == 1
        assert one_error(result) == f"Error: {missing} does not exist; nothing was scheduled"
    assert not missing.exists() and not (tmp_path / ".xlcrm-backups").exists()
    assert fake_crontab.table is not None and not fake_crontab.table.exists()


def test_no_path_is_one_error_line(fake_crontab: Crontab) -> None:
    result = run("--at", "07:30")
    assert result.exit_code == 2
    assert one_error(result) == "Error: give the workbook's path, e.g. xlcrm schedule clients.xlsx --at 07:30"


def test_the_scheduled_run_exits_1_when_it_gives_up(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schedule, "DEFAULT_RETRY", schedule.RetryPlan(tries=2, every=0.01))
    (workbook.parent / f"~${workbook.name}").write_bytes(b"")  # open in Excel

    result = run("--run", str(workbook))

    assert result.exit_code == 1
    assert "был открыт при всех попытках (2), поэтому команда refresh не выполнена" in one_error(result, "Ошибка: ")
    assert "не выполнена" in schedule.log_path(workbook).read_text(encoding="utf-8")


def test_a_scheduled_run_on_a_folder_that_is_gone_is_one_error_line(tmp_path: Path) -> None:
    """The shared drive is not there: no log can be written, and the run says what is missing."""
    gone = tmp_path / "S" / "Клиенты.xlsx"

    result = run("--run", str(gone))

    assert result.exit_code == 1
    assert str(gone) in one_error(result)
    assert not (tmp_path / "S").exists()


def test_the_scheduled_run_says_what_it_did(workbook: Path) -> None:
    result = run("--run", str(workbook), "--command", "validate")

    assert result.exit_code == 0
    log = schedule.log_path(workbook)
    assert result.stdout == f"xlcrm validate of {workbook}: 0 errors, 0 warnings left (log: {log})\n"


def test_a_russian_run(fake_crontab: Crontab, workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "ru")  # for the error said before the workbook is read
    name = schedule.task_name(workbook)

    installed = run(str(workbook), "--at", "07:30", language="ru")
    again = run(str(workbook), "--at", "07:45", language="ru")
    shortcut = run("--shortcut", str(workbook), language="ru")
    bad = run(str(workbook), "--at", "7 утра", language="ru")

    assert installed.stdout.splitlines()[0] == (
        f"xlcrm refresh будет запускаться для {workbook} каждый день в 07:30 ({name})"
    )
    assert installed.stdout.splitlines()[1].startswith("Каждый запуск записывает, что произошло, в журнал ")
    assert again.stdout.splitlines()[1] == "Прежний ежедневный запуск для этого файла заменён."
    # the scheduled run speaks the language it was set up in
    assert " -m xlcrm --lang ru schedule --run " in entry_of(fake_crontab, workbook)
    assert "LANGUAGE=" not in fake_crontab.read()
    assert shortcut.stdout == (
        f"Создан файл {workbook.parent}/xlcrm refresh Клиенты.command: "
        "дважды щёлкните по нему, чтобы запустить xlcrm refresh\n"
    )
    assert bad.exit_code == 2
    assert "--at '7 утра' — это не время суток; укажите часы и минуты, например 07:30" in one_error(bad, "Ошибка: ")
    removed = run("--remove", str(workbook), language="ru")
    assert removed.stdout == f"Ежедневный запуск для {workbook} удалён ({name})\n"


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_daily_run_speaks_the_workbooks_language(fake_crontab: Crontab, tmp_path: Path, locale: str) -> None:
    """Nothing in the environment names a language (cron's, a Windows task's): the daily run is given the
    workbook's as --lang, and the install says what it did in that language too."""
    workbook = tmp_path / f"{locale}.xlsx"
    create_template(workbook, locale)

    installed = run(str(workbook), "--at", "07:30")

    assert installed.exit_code == 0, installed.output
    entry = entry_of(fake_crontab, workbook)
    assert f" -m xlcrm --lang {locale} schedule --run " in entry and "LANGUAGE=" not in entry
    says = {"ru": "xlcrm refresh будет запускаться для", "en": "xlcrm refresh will run on"}
    assert installed.stdout.startswith(f"{says[locale]} {workbook} ")


def test_the_environments_language_wins_over_the_workbooks(
    fake_crontab: Crontab, workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGUAGE", "en")
    assert run(str(workbook), "--at", "07:30", "--print").stdout.count(" -m xlcrm --lang en schedule --run ") == 1
    monkeypatch.delenv("LANGUAGE")
    monkeypatch.setenv("LC_ALL", "ru_RU.UTF-8")
    english = tmp_english(workbook.parent)
    assert run(str(english), "--at", "07:30", "--print").stdout.count(" -m xlcrm --lang ru schedule --run ") == 1


def tmp_english(folder: Path) -> Path:
    path = folder / "clients.xlsx"
    create_template(path, "en")
    return path


@pytest.mark.parametrize(
    ("lang", "started", "done"),
    [
        ("ru", "Запуск по расписанию: validate для {workbook}", "xlcrm validate для {workbook}: осталось: 0 ошибок"),
        ("en", "scheduled validate of {workbook} started", "xlcrm validate of {workbook}: 0 errors, 0 warnings left"),
    ],
)
def test_the_scheduled_run_speaks_its_lang(workbook: Path, lang: str, started: str, done: str) -> None:
    """The run speaks the --lang it was given (the Russian workbook's run told English speaks English)."""
    result = run("--run", str(workbook), "--command", "validate", lang=lang)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(done.format(workbook=workbook))
    assert started.format(workbook=workbook) in schedule.log_path(workbook).read_text(encoding="utf-8")
