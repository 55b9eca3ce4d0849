"""xlcrm schedule --shortcut: a file beside the workbook that runs the command with one double-click and waits
for a key, quoted so that a Russian path with spaces and per cent signs works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path, PureWindowsPath

import pytest

from xlcrm.jobs import schedule
from xlcrm.messages import speaking

SAFE_PATH = " -P" if sys.version_info >= (3, 11) else ""


def test_the_windows_shortcut_switches_to_utf8_and_doubles_per_cent_signs() -> None:
    text = schedule.shortcut_text(
        PureWindowsPath(r"S:\Общая папка 100%\Клиенты.xlsx"),
        "refresh",
        "windows",
        r"C:\Program Files\Python\python.exe",
    )

    assert text.split("\r\n") == [
        "@echo off",
        "chcp 65001 >nul",
        "rem Made by xlcrm schedule --shortcut",
        'cd /d "S:\\Общая папка 100%%"',
        f'"C:\\Program Files\\Python\\python.exe"{SAFE_PATH} -m xlcrm refresh "S:\\Общая папка 100%%\\Клиенты.xlsx"',
        "echo.",
        "pause",
        "",
    ]
    # cmd reads the lines before chcp in the old code page: they are plain ASCII
    assert all(line.isascii() for line in text.split("\r\n")[:2])


def test_write_shortcut_writes_the_cmd_file_beside_the_workbook(workbook: Path) -> None:
    made = schedule.write_shortcut(workbook, platform="windows", executable=r"C:\Python\python.exe")

    assert made.path == workbook.parent / "xlcrm refresh Клиенты.cmd"
    data = made.path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")  # a byte order mark would break cmd's first line
    assert data.decode("utf-8").startswith("@echo off\r\nchcp 65001 >nul\r\n")
    assert "100%%" in data.decode("utf-8")


@pytest.mark.usefixtures("xlcrm_importable")
def test_the_macos_shortcut_runs_the_refresh_and_waits_for_enter(workbook: Path) -> None:
    with speaking("ru"):
        made = schedule.write_shortcut(workbook, platform="cron")

    assert made.path == workbook.parent / "xlcrm refresh Клиенты.command"
    assert os.access(made.path, os.X_OK)
    done = subprocess.run(
        [str(made.path)], input="\n", cwd="/", capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"Обновлена книга {workbook}" in done.stdout  # the refresh of a Russian workbook speaks Russian
    assert done.stdout.endswith("Нажмите Enter, чтобы закрыть это окно.")


@pytest.mark.usefixtures("xlcrm_importable")
def test_the_macos_shortcut_passes_on_the_exit_code(workbook: Path) -> None:
    made = schedule.write_shortcut(workbook, platform="cron")
    (workbook.parent / f"~${workbook.name}").write_bytes(b"")  # open in Excel

    done = subprocess.run([str(made.path)], input="\n", capture_output=True, text=True, timeout=300, check=False)

    assert done.returncode == 1
    assert "открыта в Excel" in done.stderr  # the workbook is Russian


def test_a_shortcut_is_replaced_but_another_file_of_its_name_is_not(workbook: Path) -> None:
    first = schedule.write_shortcut(workbook, platform="windows", executable="python.exe")
    schedule.write_shortcut(workbook, platform="windows", executable=r"D:\python.exe")
    assert r"D:\python.exe" in first.path.read_text(encoding="utf-8")

    theirs = workbook.parent / "xlcrm dedupe Клиенты.cmd"
    theirs.write_bytes(b"@echo my own script\r\n")
    with pytest.raises(schedule.ShortcutExists, match="was not written by xlcrm"):
        schedule.write_shortcut(workbook, command="dedupe", platform="windows")
    assert theirs.read_bytes() == b"@echo my own script\r\n"
