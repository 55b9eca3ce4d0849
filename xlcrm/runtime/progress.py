"""Progress of long steps on stderr, for a person watching a terminal.

A refresh of a workbook near Excel's row limit takes a while; one line on
stderr says which step is running and for how long the command has run. It is
shown only when the CLI turned it on and stderr is a terminal: a batch job's
log, a pipe and ``--json`` output stay exactly as they were. Library calls are
silent unless something calls :func:`show_on`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_CLEAR_LINE = "\r\x1b[K"


class Progress:
    """One rewritten status line; nested steps replace it, the outermost one clears it when done."""

    def __init__(self, stream: TextIO | None):
        self.stream = stream
        self.started = time.monotonic()
        self.depth = 0

    def enter(self, label: str) -> None:
        """Nothing; starts a step, shown as ``label`` on the status line."""
        self.depth += 1
        if self.stream is not None:
            elapsed = time.monotonic() - self.started
            self.stream.write(f"{_CLEAR_LINE}xlcrm {elapsed:5.1f} s  {label}…")
            self.stream.flush()

    def leave(self) -> None:
        """Nothing; ends a step, clearing the status line after the outermost one."""
        self.depth -= 1
        if self.stream is not None and self.depth == 0:
            self.stream.write(_CLEAR_LINE)
            self.stream.flush()


_current = Progress(None)


def show_on(stream: TextIO) -> None:
    """From now on, show progress on ``stream`` if it is a terminal."""
    global _current
    _current = Progress(stream if stream.isatty() else None)


def hide() -> None:
    """Show no progress (``--json``, library use)."""
    global _current
    _current = Progress(None)


@contextmanager
def step(label: str) -> Iterator[None]:
    """Say that ``label`` is running while the block runs."""
    _current.enter(label)
    try:
        yield
    finally:
        _current.leave()
