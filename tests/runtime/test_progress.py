"""Progress on stderr: shown on a terminal, never in batch output or with --json."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.paths import EXAMPLE, REPO
from xlcrm.cli.main import cli
from xlcrm.runtime import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def silent_afterwards() -> Iterator[None]:
    yield
    progress.hide()


def test_steps_on_a_terminal_and_the_line_cleared_at_the_end() -> None:
    terminal = Terminal()
    progress.show_on(terminal)
    with progress.step("reading the workbook"):
        with progress.step("checking every cell"):
            pass
        assert terminal.getvalue().count("\x1b[K") == 2
    text = terminal.getvalue()
    assert "reading the workbook…" in text and "checking every cell…" in text
    assert text.endswith("\r\x1b[K")


def test_nothing_when_not_a_terminal() -> None:
    log = io.StringIO()
    progress.show_on(log)
    with progress.step("reading the workbook"):
        pass
    assert log.getvalue() == ""


def test_the_line_is_cleared_when_a_step_fails() -> None:
    terminal = Terminal()
    progress.show_on(terminal)
    with pytest.raises(ValueError), progress.step("saving the workbook"):
        raise ValueError("disk full")
    assert terminal.getvalue().endswith("\r\x1b[K")


def xlcrm_on_a_terminal(args: list[str], folder: Path) -> tuple[int, str, str]:
    """Run ``xlcrm args`` as a program whose stderr is a terminal; returns its exit code, its stdout and what the
    terminal showed."""
    pty = pytest.importorskip("pty")
    controller, terminal = pty.openpty()
    out = folder / "stdout.txt"
    with out.open("wb") as stdout:
        process = subprocess.Popen([sys.executable, "-m", "xlcrm", *args], stdout=stdout, stderr=terminal, cwd=REPO)
    os.close(terminal)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the program has ended and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    return process.wait(timeout=120), out.read_text(encoding="utf-8"), shown.decode("utf-8")


@pytest.mark.parametrize(
    ("command", "exit_code"),
    [(["validate"], 1), (["refresh", "--keep-backups", "0"], 0)],  # validate: the demo has planted errors
)
def test_cli_shows_steps_on_a_terminal(tmp_path: Path, command: list[str], exit_code: int) -> None:
    path = shutil.copyfile(EXAMPLE, tmp_path / "demo.xlsx")
    code, stdout, terminal = xlcrm_on_a_terminal(
        [command[0], str(path), "--today", "2026-11-23", *command[1:]], tmp_path
    )
    assert code == exit_code, stdout + terminal
    # the demo workbook is Russian: without --lang the steps speak its language
    assert "чтение книги…" in terminal
    assert "проверка всех ячеек…" in terminal
    assert terminal.endswith("\r\x1b[K")  # the line cleared at the end
    assert stdout and "\x1b" not in stdout


def test_cli_quiet_with_json(tmp_path: Path) -> None:
    path = shutil.copyfile(EXAMPLE, tmp_path / "demo.xlsx")
    args = ["refresh", str(path), "--today", "2026-11-23", "--keep-backups", "0", "--json"]
    code, stdout, terminal = xlcrm_on_a_terminal(args, tmp_path)
    assert code == 0, stdout + terminal
    assert stdout.startswith("{") and terminal == ""


def test_cli_quiet_in_batch(tmp_path: Path) -> None:
    path = shutil.copyfile(EXAMPLE, tmp_path / "demo.xlsx")
    result = CliRunner().invoke(cli, ["validate", str(path), "--today", "2026-11-23"])
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "…" not in result.stderr


def test_demo_shows_its_steps_on_a_terminal(tmp_path: Path) -> None:
    """A big demo takes a while: like refresh, it says which step runs."""
    path = tmp_path / "demo.xlsx"
    code, stdout, terminal = xlcrm_on_a_terminal(
        ["demo", str(path), "--clients", "50", "--today", "2026-11-23"], tmp_path
    )
    assert code == 0, stdout + terminal
    # a Russian demo: the steps speak its language
    for step in ("создание 50 клиентов с историей…", "сборка книги…", "сохранение книги…"):
        assert step in terminal
    assert terminal.endswith("\r\x1b[K")
    assert stdout.startswith(f"Создан файл {path}: 50 клиентов") and "\x1b" not in stdout


def test_a_log_of_finished_steps_on_any_stream() -> None:
    log = io.StringIO()  # not a terminal: --verbose logs all the same
    progress.log_on(log)
    with progress.step("reading the workbook"):
        with progress.step("checking every cell"):
            pass
    lines = log.getvalue().splitlines()
    assert [re.sub(r"[0-9]+\.[0-9] s", "T", line) for line in lines] == [
        "xlcrm   T    checking every cell: T",
        "xlcrm   T  reading the workbook: T",
    ]
