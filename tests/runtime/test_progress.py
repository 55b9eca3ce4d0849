"""Progress on stderr: shown on a terminal, never in batch output or with --json."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.paths import EXAMPLE
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


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Terminal:
    """What the CLI would show if its stderr were a terminal (CliRunner's is not)."""
    terminal = Terminal()
    show_on = progress.show_on
    monkeypatch.setattr(progress, "show_on", lambda stream: show_on(terminal))
    return terminal


@pytest.mark.parametrize("command", [["validate"], ["refresh", "--keep-backups", "0"]])
def test_cli_shows_steps_on_a_terminal(tmp_path: Path, terminal: Terminal, command: list[str]) -> None:
    path = shutil.copyfile(EXAMPLE, tmp_path / "demo.xlsx")
    result = CliRunner().invoke(cli, [command[0], str(path), "--today", "2026-11-23", *command[1:]])
    assert result.exit_code == 1, result.output  # the demo has planted errors
    assert "reading the workbook…" in terminal.getvalue()
    assert "checking every cell…" in terminal.getvalue()
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr


def test_cli_quiet_with_json(tmp_path: Path, terminal: Terminal) -> None:
    path = shutil.copyfile(EXAMPLE, tmp_path / "demo.xlsx")
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23", "--keep-backups", "0", "--json"])
    assert result.exit_code == 1, result.output
    assert terminal.getvalue() == ""


def test_cli_quiet_in_batch(tmp_path: Path) -> None:
    path = shutil.copyfile(EXAMPLE, tmp_path / "demo.xlsx")
    result = CliRunner().invoke(cli, ["validate", str(path), "--today", "2026-11-23"])
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "…" not in result.stderr
