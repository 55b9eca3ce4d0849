"""Work done in a separate Python process, on the other core.

Python runs one thread at a time, so the few parts of a big refresh that need no answer from the rest (reading
the Interactions sheet, writing the merges' edits of it) go faster in a process of their own than in a thread.
``Child().call(function, *args)`` runs ``function(*args)`` in a new Python running ``main``: the call goes
to the child pickled on stdin, and the result, or the ``XlcrmError`` it raised, comes back pickled on stdout.
A plain process rather than multiprocessing, which would run the caller's main script again in the child.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from xlcrm.errors import XlcrmError
from xlcrm.runtime.allocator import give_back_freed_memory, one_arena
from xlcrm.runtime.collector import off_until_exit
from xlcrm.runtime.process_exit import exit_now

T = TypeVar("T")

# The longest a child may take for its one call. Its work (reading or rewriting a million-row sheet)
# takes seconds to a minute; a child that is still busy after this is stuck (a paging machine, a hung disk), is
# killed, and the caller does the work itself, so a nightly run never waits for ever.
CALL_TIMEOUT_SECONDS = 15 * 60
# An unused child only has to notice that its input ended.
CLOSE_TIMEOUT_SECONDS = 10


class ChildProcessFailed(XlcrmError):
    """The child process could not start, or stopped without an answer; callers do the work themselves then."""


class Child:
    """A child process, started now so that its imports are done by the time it is given its one call.

    ``modules`` are imported at its start; ``call`` hands it the function to run, ``close`` lets it go unused.
    """

    def __init__(self, *modules: str):
        # The folder this xlcrm was imported from goes last on the child's path: found even when the caller put
        # it on its path by hand, and never ahead of the standard library.
        package_root = str(Path(__file__).resolve().parents[2])
        start = (
            f"import sys; sys.path.append({package_root!r}); from xlcrm.runtime.child_process import main; "
            "sys.exit(main(sys.argv[1:]))"
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._start_error: OSError | None = None
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", start, *modules],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            self._start_error = exc
        else:
            _STARTED.add(self)

    def call(self, function: Callable[..., T], *args: object, timeout: float = CALL_TIMEOUT_SECONDS) -> T:
        """``function(*args)`` run in the child (``function`` must be importable by its module and name).

        What the function raised there is raised here; ``ChildProcessFailed`` when the child could not start
        (a Python that cannot run ``-m``, say), stopped without an answer (killed when memory ran out), gave
        none within ``timeout`` seconds (it is killed then) or one that cannot be read.
        """
        what = f"{function.__module__}.{function.__name__}"
        if self._process is None:
            raise ChildProcessFailed(f"no process could be started for {what} ({self._start_error})")
        request = pickle.dumps((function, args), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            answer, said = self._process.communicate(request, timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            raise ChildProcessFailed(f"the process running {what} gave no answer within {timeout:g} s") from None
        except OSError:  # the child is gone already: its exit code says the rest
            answer, said = b"", b""
            self._process.wait()
        if self._process.returncode != 0 or not answer:
            lines = said.decode(errors="replace").strip().splitlines()
            raise ChildProcessFailed(
                f"the process running {what} stopped (exit code {self._process.returncode}"
                f"{', ' + lines[-1] if lines else ''})"
            )
        unreadable = None
        try:
            outcome, value = pickle.loads(answer)
        except MemoryError:
            raise
        except Exception as exc:  # a garbled or cut answer raises any of a dozen kinds
            unreadable = str(exc)
        # The caller's fallback runs while this failure is handled: it must not hold tens of megabytes of answer.
        del answer
        if unreadable is not None:
            raise ChildProcessFailed(f"the answer of the process running {what} cannot be read ({unreadable})")
        if outcome == "error":
            raise value
        return value  # type: ignore[no-any-return]  # unpickled: what the function returned

    def close(self) -> None:
        """Let an unused child go (it ends when its input ends; one that does not is killed); a used one has
        ended already."""
        if self._process is not None and self._process.returncode is None:
            try:
                self._process.communicate(b"", timeout=CLOSE_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._kill()

    def stop(self) -> None:
        """Nothing; kills the child if it is still at work (its caller gave up on the answer, whose ``call`` then
        raises ``ChildProcessFailed``)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def _kill(self) -> None:
        assert self._process is not None
        self._process.kill()
        self._process.communicate()


# Every child started and not yet collected, for ``stop_children``.
_STARTED: weakref.WeakSet[Child] = weakref.WeakSet()


def stop_children() -> None:
    """Nothing; kills every child process still at work or waiting for its call: for the end of a program that
    needs no more answers (an ended interpreter would wait for the threads waiting for them)."""
    for child in list(_STARTED):
        child.stop()


def main(modules: list[str]) -> int:
    """Answer the request read on stdin and end the process (``exit_now``); 0, the exit code, when the request is
    empty (the child let go unused)."""
    one_arena()  # before the imports, which may start threads
    off_until_exit()  # through the call and the pickling of its answer (see the module)
    # stdout carries the answer alone: whatever an imported library prints goes to stderr instead.
    answer_stream = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    for module in modules:
        importlib.import_module(module)
    request = sys.stdin.buffer.read()
    if not request:
        return 0  # let go unused
    function, args = pickle.loads(request)
    try:
        answer: tuple[str, object] = ("done", function(*args))
    except XlcrmError as exc:
        answer = ("error", exc)
    # Freed memory goes back to the system before the answer is pickled: the main process may need it meanwhile.
    give_back_freed_memory()
    with answer_stream:
        pickle.dump(answer, answer_stream, protocol=pickle.HIGHEST_PROTOCOL)
    exit_now(0)  # the caller waits for this process's end: its objects are not freed one by one
