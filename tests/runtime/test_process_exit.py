"""Ending the processes xlcrm owns at once (``xlcrm.runtime.process_exit``): the exit status and every line
written are as a normal end leaves them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_python(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by a new Python whose output to a pipe is buffered, as it is for a user's program."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "status, code, said",
    [("None", 0, ""), ("0", 0, ""), ("3", 3, ""), ("'the workbook is gone'", 1, "the workbook is gone\n")],
)
def test_the_status_and_what_was_written_are_kept(status: str, code: int, said: str) -> None:
    """Lines still in Python's buffers (a pipe is block-buffered) reach the reader; a status as ``SystemExit``
    takes it ends the process with its code."""
    done = run_python(
        "import sys\nfrom xlcrm.runtime.process_exit import exit_now\n"
        "print('Клиенты: 3')\nsys.stderr.write('a warning\\n')\n"
        f"exit_now({status})\nprint('never')"
    )
    assert done.returncode == code
    assert done.stdout == "Клиенты: 3\n"
    assert done.stderr == "a warning\n" + said


def test_a_reader_that_went_away_does_not_change_the_status() -> None:
    """``xlcrm … | head``: stdout closed before the end, whose flush then fails; the status stays the command's."""
    done = run_python(
        "import os, sys\nfrom xlcrm.runtime.process_exit import exit_now\n"
        "print('x' * 100)\nos.close(sys.stdout.fileno())\nexit_now(2)"
    )
    assert done.returncode == 2
    assert done.stderr == ""


def test_the_program_ends_with_its_command_s_status_and_output(tmp_path: Path) -> None:
    """The ``xlcrm`` program through its entry point: a refusal's one line and exit code, as before."""
    missing = tmp_path / "нет.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "xlcrm", "--lang", "en", "validate", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.startswith("Error: ") and "нет.xlsx" in done.stderr and done.stderr.count("\n") == 1
