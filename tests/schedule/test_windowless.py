"""The Windows task runs pythonw.exe (no console window that stays open for an hour, or kills the run when
closed) when it is beside python.exe; the one-click shortcut keeps python.exe, whose window shows the result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from tests.schedule.conftest import FOLDER
from xlcrm.cli.main import cli
from xlcrm.jobs import schedule
from xlcrm.jobs.init import create_template

NS = {"t": schedule.TASK_NAMESPACE}


@pytest.fixture
def plain_workbook(tmp_path: Path) -> Path:
    folder = tmp_path / "Общая папка"
    folder.mkdir()
    path = folder / "Клиенты.xlsx"
    create_template(path, "ru")
    return path


def python_folder(tmp_path: Path, *, windowless: bool) -> Path:
    """A fake Python folder: python.exe, and pythonw.exe beside it when ``windowless``; returns python.exe."""
    folder = tmp_path / "Python311"
    folder.mkdir()
    (folder / "python.exe").write_bytes(b"MZ")
    if windowless:
        (folder / "pythonw.exe").write_bytes(b"MZ")
    return folder / "python.exe"


def task_command(xml: str | None) -> tuple[str, str]:
    assert xml is not None
    root = etree.fromstring(xml.encode("utf-16"))
    exec_ = root.find("t:Actions/t:Exec", NS)
    assert exec_ is not None
    return exec_.findtext("t:Command", "", NS), exec_.findtext("t:Arguments", "", NS)


def test_the_task_runs_pythonw_when_it_is_beside_python(plain_workbook: Path, tmp_path: Path) -> None:
    python = python_folder(tmp_path, windowless=True)
    shown = schedule.install_schedule(plain_workbook, "07:30", platform="windows", executable=str(python), dry_run=True)
    command, arguments = task_command(shown.task_xml)
    assert command == str(python.parent / "pythonw.exe")
    assert " --lang ru schedule --run " in arguments and arguments.endswith("--command refresh")


def test_the_task_runs_python_when_there_is_no_pythonw(plain_workbook: Path, tmp_path: Path) -> None:
    python = python_folder(tmp_path, windowless=False)
    shown = schedule.install_schedule(plain_workbook, "07:30", platform="windows", executable=str(python), dry_run=True)
    command, arguments = task_command(shown.task_xml)
    assert command == str(python)
    assert " -m xlcrm --lang ru schedule --run " in arguments


def test_cron_and_the_shortcut_keep_python(plain_workbook: Path, tmp_path: Path) -> None:
    python = python_folder(tmp_path, windowless=True)
    cron = schedule.install_schedule(plain_workbook, "07:30", platform="cron", executable=str(python), dry_run=True)
    assert "pythonw" not in cron.command_line
    made = schedule.write_shortcut(plain_workbook, platform="windows", executable=str(python))
    text = made.path.read_text(encoding="utf-8")
    assert f'"{python}"' in text and "pythonw" not in text


def test_print_shows_pythonw(plain_workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python = python_folder(tmp_path, windowless=True)
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setattr(schedule, "current_platform", lambda: "windows")
    result = CliRunner().invoke(cli, ["schedule", str(plain_workbook), "--at", "07:30", "--print"])
    assert result.exit_code == 0, result.output
    assert f"<Command>{python.parent / 'pythonw.exe'}</Command>" in result.output


@pytest.mark.usefixtures("xlcrm_importable")
def test_the_windowless_run_works_without_standard_streams(tmp_path: Path) -> None:
    """pythonw.exe gives a program no stdout and stderr (None in Python): a run started as the task starts
    pythonw still refreshes the workbook and writes its log. Here: this Python with its streams closed."""
    workbook = tmp_path / FOLDER / "Клиенты.xlsx"
    workbook.parent.mkdir()
    create_template(workbook, "ru")
    plan = schedule.make_schedule(workbook, schedule.parse_time("07:30"), platform="windows", language="ru")
    windowless = schedule.Schedule(**{**plan.__dict__, "executable": r"C:\Python311\pythonw.exe"})

    def no_streams() -> None:
        os.close(1)
        os.close(2)

    done = subprocess.run(
        [sys.executable, *windowless.arguments],
        cwd=workbook.parent,
        stdin=subprocess.DEVNULL,
        preexec_fn=no_streams,  # noqa: PLW1509 - only closes two descriptors
        timeout=300,
        check=False,
    )
    assert done.returncode == 0
    log = schedule.log_path(workbook).read_text(encoding="utf-8")
    assert "Команда refresh по расписанию выполнена" in log, log
