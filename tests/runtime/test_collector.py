"""The cycle collector is held off while an ``xlcrm`` command works, never by a library call, and is back as it
was afterwards."""

from __future__ import annotations

import datetime as dt
import gc
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlcrm.cli.main import cli
from xlcrm.errors import WorkbookNotFound
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.runtime.collector import collector_paused

TODAY = dt.date(2026, 11, 23)
ROOT = Path(__file__).resolve().parents[2]


def test_the_collector_is_off_in_the_block_and_back_after_it_even_after_an_error() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as the outer one set it
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("stop")
    assert gc.isenabled()


def test_a_caller_that_turned_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def automatic_collections_during(work: Callable[[], object]) -> int:
    """How many collections Python started by itself (not ``gc.collect``) while ``work`` ran."""
    started: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    thresholds = gc.get_threshold()
    gc.set_threshold(50)  # a collection every 50 new objects: any real work starts several
    gc.callbacks.append(count)
    try:
        work()
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*thresholds)
    return len(started)


def test_a_library_call_leaves_the_collector_of_the_application_alone(tmp_path: Path) -> None:
    """An application that embeds xlcrm keeps its collector running while xlcrm works."""
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    # Python starts hundreds of collections in this refresh; a paused collector would start none once in it.
    assert (
        automatic_collections_during(lambda: refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))) > 20
    )
    assert gc.isenabled()
    with pytest.raises(WorkbookNotFound):
        refresh_workbook(tmp_path / "missing.xlsx", today=TODAY)
    assert gc.isenabled()


def test_the_command_line_program_holds_the_collector_off_and_gives_it_back(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    in_library = automatic_collections_during(
        lambda: refresh_workbook(copy, today=TODAY, save=SaveOptions(keep_backups=0))
    )
    runner = CliRunner()
    result: list[object] = []
    in_program = automatic_collections_during(
        lambda: result.append(
            runner.invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0"])
        )
    )
    assert result[0].exit_code in (0, 1), result[0].output  # type: ignore[attr-defined]
    # Only click's own work around the command may start one (the same refresh starts hundreds).
    assert in_program < in_library / 20, (in_program, in_library)
    assert gc.isenabled()
    failed = runner.invoke(cli, ["refresh", str(tmp_path / "missing.xlsx")])
    assert failed.exit_code == 1 and gc.isenabled()


def run_python(script: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """``script`` run by a new Python in the project's folder, fed ``stdin``."""
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, input=stdin, capture_output=True, timeout=120, check=False
    )


def test_the_program_keeps_the_collector_off_to_its_end(tmp_path: Path) -> None:
    """The ``xlcrm`` program ends its process without turning the collector back on after the command, which would
    walk every object the command made once more before the end."""
    program = (
        "import gc, importlib, sys\nprogram = importlib.import_module('xlcrm.cli.main')\n"
        f"sys.argv = ['xlcrm', 'validate', {str(tmp_path / 'missing.xlsx')!r}]\n"
        "ended = []\nprogram.exit_now = lambda status: ended.append((status, gc.isenabled()))\n"
        "program.main()\nprint(ended)"
    )
    done = run_python(program)
    assert done.stdout.decode().split("\n")[-2] == "[(1, False)]", done.stderr.decode()


def test_a_helper_process_keeps_the_collector_off_to_its_end() -> None:
    """A helper process keeps it off through its call and the answer it sends, up to its end."""
    helper = (
        "import gc, sys\nfrom xlcrm.runtime import child_process\n"
        "child_process.exit_now = lambda status: print('collector on:', gc.isenabled(), file=sys.stderr)\n"
        "child_process.main([])"
    )
    done = run_python(helper, pickle.dumps((os.getpid, ())))
    assert done.returncode == 0 and pickle.loads(done.stdout)[0] == "done"
    assert done.stderr.decode().split("\n")[-2] == "collector on: False", done.stderr.decode()
