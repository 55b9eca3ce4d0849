"""Work done in a separate Python process, on the other core.

Python runs one thread at a time, so the few parts of a big refresh that need no answer from the rest (reading
the Interactions sheet, rendering big report sheets) go faster in a process of their own than in a thread.
``run_in_child(function, *args)`` runs ``function(*args)`` in ``python -m xlcrm.child_process``: the call goes
to the child pickled on stdin, and the result, or the ``XlcrmError`` it raised, comes back pickled on stdout.
A plain process rather than multiprocessing, which would run the caller's main script again in the child.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Callable, TypeVar

from xlcrm.errors import XlcrmError

T = TypeVar("T")


def run_in_child(function: Callable[..., T], *args: object, failure: str,
                 error: type[XlcrmError] = XlcrmError) -> T:
    """``function(*args)`` in a child process (``function`` must be importable by its module and name).

    What the function raised there is raised here; when the child cannot start or stops without an answer
    (killed when memory runs out, say), ``error`` is raised with ``failure`` saying what could not be done.
    """
    package_root = str(Path(__file__).resolve().parent.parent)  # importable even if the caller added it by hand
    search_path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    try:
        child = subprocess.run([sys.executable, "-m", "xlcrm.child_process"],
                               input=pickle.dumps((function, args), protocol=pickle.HIGHEST_PROTOCOL),
                               capture_output=True, env={**os.environ, "PYTHONPATH": search_path}, check=False)
    except OSError as exc:
        raise error(f"{failure}: no process could be started for it ({exc})") from None
    if child.returncode != 0 or not child.stdout:
        said = child.stderr.decode(errors="replace").strip().splitlines()
        raise error(f"{failure}: the process doing it stopped (exit code {child.returncode}"
                    f"{', ' + said[-1] if said else ''})")
    outcome, value = pickle.loads(child.stdout)
    if outcome == "error":
        raise value
    return value  # type: ignore[no-any-return]


def _give_back_freed_memory() -> None:
    """Return freed heap to the system before the answer is pickled (glibc keeps it otherwise): after reading
    a million rows that is a few hundred MB the main process may need while it works on."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: its allocator decides


def main() -> int:
    function, args = pickle.load(sys.stdin.buffer)
    try:
        answer: tuple[str, object] = ("done", function(*args))
    except XlcrmError as exc:
        answer = ("error", exc)
    _give_back_freed_memory()
    pickle.dump(answer, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
