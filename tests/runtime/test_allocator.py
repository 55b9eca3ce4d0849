"""The processes xlcrm owns (the ``xlcrm`` program and its helper processes) serve all their threads from one glibc
arena; a library call and other platforms are left alone."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from xlcrm.runtime import allocator, child_process

pytestmark = pytest.mark.skipif(allocator._glibc() is None, reason="glibc's allocator only")

ROOT = Path(__file__).resolve().parents[2]


def arenas_in_use(threads: int = 4) -> int:
    """How many arenas glibc's allocator has in this process once ``threads`` new threads allocated at once
    (memory blocks too big for Python's own allocator, so taken from the C library's)."""
    start = threading.Barrier(threads)
    kept: list[list[bytes]] = []

    def allocate() -> None:
        start.wait()
        kept.append([bytes(4096) for _ in range(2_000)])

    running = [threading.Thread(target=allocate) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    libc = ctypes.CDLL("libc.so.6")
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "malloc.xml"
        stream = libc.fopen(str(report).encode(), b"w")
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        return report.read_text().count("<heap nr=")


def arenas_in_a_new_python(before_threads: str, **environment: str) -> int:
    """``arenas_in_use()`` in a new Python process that first runs ``before_threads``, its environment without
    arena settings of its own but for ``environment``."""
    script = f"{before_threads}\nfrom tests.runtime.test_allocator import arenas_in_use\nprint(arenas_in_use())"
    inherited = {key: value for key, value in os.environ.items() if key not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**inherited, "PYTHONPATH": str(ROOT), **environment},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(done.stdout.split()[-1])


def test_threads_of_a_plain_python_get_arenas_of_their_own() -> None:
    """What the tests below tell apart: without xlcrm's setting, threads that allocate at once take new arenas."""
    assert arenas_in_a_new_python("") > 1


def test_one_arena_serves_every_thread_started_after_it() -> None:
    assert arenas_in_a_new_python("from xlcrm.runtime.allocator import one_arena\nassert one_arena()") == 1


def test_the_xlcrm_program_runs_on_one_arena() -> None:
    program = (
        "import importlib, sys\nprogram = importlib.import_module('xlcrm.cli.main')\n"
        "sys.argv = ['xlcrm', '--version']\n"
        "ended = []\nprogram.exit_now = ended.append  # the count goes on in the process the program would end\n"
        "program.main()\nassert ended == [0], ended"
    )
    assert arenas_in_a_new_python(program) == 1


def test_a_helper_process_runs_on_one_arena(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    assert child_process.Child().call(arenas_in_use) == 1


@pytest.mark.parametrize(
    "environment",
    [{"MALLOC_ARENA_MAX": "3"}, {"GLIBC_TUNABLES": "glibc.malloc.arena_max=3"}],
    ids=["variable", "tunable"],
)
def test_arenas_the_environment_sets_are_kept(environment: dict[str, str]) -> None:
    """A user (or an administrator) who set the arenas keeps them: three, not one."""
    program = "from xlcrm.runtime.allocator import one_arena\nassert not one_arena()"
    assert arenas_in_a_new_python(program, **environment) == 3


def test_a_library_import_leaves_the_allocator_alone() -> None:
    """An application that embeds xlcrm keeps glibc's arenas as they are."""
    assert arenas_in_a_new_python("import xlcrm.jobs.refresh, xlcrm.cli.main") > 1


def test_elsewhere_nothing_is_asked_of_the_allocator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator, "_owned", False)  # one_arena below marks this process as xlcrm's own
    monkeypatch.setattr(sys, "platform", "win32")
    assert allocator._glibc() is None
    assert allocator.one_arena() is False
    allocator.give_back_freed_memory()  # no C library to ask: nothing happens, nothing fails


class PosingAsGlibc:
    """A C library that answers to glibc's name and version but has none of its allocator's functions."""

    def gnu_get_libc_version(self) -> bytes:
        return b"2.36"


def test_a_library_posing_as_glibc_without_its_functions_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator, "_owned", False)
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: PosingAsGlibc())
    assert allocator._glibc() is None
    assert allocator.one_arena() is False
    allocator.give_back_freed_memory()


class CountingGlibc:
    """glibc's allocator functions, counting the calls to give freed memory back."""

    def __init__(self) -> None:
        self.trims: list[int] = []

    def mallopt(self, parameter: int, value: int) -> int:
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.trims.append(pad)
        return 1


def test_freed_memory_goes_back_only_in_a_process_xlcrm_owns(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library function (the columnar read) asks for freed memory to go back; in an application that embeds xlcrm
    nothing happens, in the xlcrm program and its helpers (which call one_arena first thing) it goes back."""
    libc = CountingGlibc()
    monkeypatch.setattr(allocator, "_glibc", lambda: libc)
    monkeypatch.setattr(allocator, "_owned", False)
    allocator.give_back_freed_memory()
    assert libc.trims == []
    allocator.one_arena()
    allocator.give_back_freed_memory()
    assert libc.trims == [0]
