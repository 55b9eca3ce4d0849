"""Ending the processes xlcrm owns at once (``xlcrm.runtime.process_exit``): the exit status and every line
written are as a normal end leaves them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from xlcrm.runtime.child_process import Child, ChildProcessFailed, stop_children

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


def test_what_libraries_asked_to_run_at_the_end_still_runs(tmp_path: Path) -> None:
    """``atexit`` functions (openpyxl's removal of a failed save's temporary files, logging's closing of its files)
    run before the process ends; the threads still running are not waited for."""
    left = tmp_path / "openpyxl.tmp"
    left.write_text("<sheetData/>")
    done = run_python(
        "import atexit, os, threading, time\nfrom xlcrm.runtime.process_exit import exit_now\n"
        f"atexit.register(os.remove, {str(left)!r})\n"
        "threading.Thread(target=time.sleep, args=(60,)).start()\nexit_now(0)"
    )
    assert done.returncode == 0 and not left.exists()


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


def process_ended(pid: int, within: float = 10.0) -> bool:
    """Whether the process ``pid`` is gone (or a zombie) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def mark_then_work(mark: str) -> None:
    """A helper's call that makes the file ``mark`` once it has begun, then works for a minute."""
    Path(mark).touch()
    time.sleep(60)


def wait_for(mark: Path, within: float = 60.0) -> None:
    """Nothing, once the file ``mark`` is there; fails after ``within`` seconds without it."""
    deadline = time.monotonic() + within
    while not mark.exists():
        assert time.monotonic() < deadline, f"{mark} was never made"
        time.sleep(0.02)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_the_program_stops_its_helper_processes_still_at_work(tmp_path: Path) -> None:
    """A helper still reading a sheet the command never asked for (or stopped by an error before it did) is
    stopped as the program ends, not left running with the workbook open."""
    mark = tmp_path / "working"
    done = run_python(
        "import sys\nfrom concurrent.futures import ThreadPoolExecutor\nfrom pathlib import Path\n"
        "from xlcrm.runtime.child_process import Child\nfrom xlcrm.cli.main import main\n"
        "from tests.runtime.test_process_exit import mark_then_work, wait_for\n"
        f"child = Child()\nThreadPoolExecutor(1).submit(child.call, mark_then_work, {str(mark)!r})\n"
        f"wait_for(Path({str(mark)!r}))  # the child is at its call: an unused one would end with its input\n"
        "print(child._process.pid, flush=True)\nsys.argv = ['xlcrm', '--version']\nmain()"
    )
    assert done.returncode == 0, done.stderr
    assert process_ended(int(done.stdout.split()[0]))


def test_stopping_the_children_ends_a_call_at_work(tmp_path: Path) -> None:
    mark = tmp_path / "working"
    with ThreadPoolExecutor(1) as pool:
        calling = pool.submit(Child().call, mark_then_work, str(mark))
        wait_for(mark)
        started = time.monotonic()
        stop_children()
        with pytest.raises(ChildProcessFailed):
            calling.result(timeout=30)
    assert time.monotonic() - started < 30
