"""Progress of long steps on stderr, for a person watching a terminal.

A refresh of a workbook near Excel's row limit takes a while; one line on
stderr says which step is running and for how long the command has run. It is
shown only when the CLI turned it on and stderr is a terminal: a batch job's
log, a pipe and ``--json`` output stay exactly as they were. Library calls are
silent unless something calls :func:`show_on`. :func:`log_on` (the CLI's
``--verbose``) writes instead one line per finished step with its time, on any
stream. Step names are catalogue messages: they show in the language the run
speaks when they show.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from xlcrm.messages import Text, current_language, t

_CLEAR_LINE = "\r\x1b[K"


def seconds(value: float) -> str:
    """A time in seconds as the run's language writes it, to a tenth and without grouping: ``12.3``, ``12,3``."""
    from babel.numbers import format_decimal

    return str(format_decimal(value, format="0.0", locale=current_language()))


class Progress:
    """One rewritten status line; nested steps replace it, the outermost one clears it when done."""

    def __init__(self, stream: TextIO | None):
        self.stream = stream
        self.started = time.monotonic()
        self.depth = 0

    def enter(self, label: Text) -> None:
        """Nothing; starts a step, shown as ``label`` on the status line."""
        self.depth += 1
        if self.stream is not None:
            elapsed = t("{seconds} s", seconds=seconds(time.monotonic() - self.started).rjust(5))
            self.stream.write(f"{_CLEAR_LINE}xlcrm {elapsed}  {label}…")
            self.stream.flush()

    def leave(self) -> None:
        """Nothing; ends a step, clearing the status line after the outermost one."""
        self.depth -= 1
        if self.stream is not None and self.depth == 0:
            self.stream.write(_CLEAR_LINE)
            self.stream.flush()


class StepLog(Progress):
    """A line per finished step, indented by nesting: when it ended (since the start) and how long it took."""

    def __init__(self, stream: TextIO):
        super().__init__(stream)
        self.log = stream
        self.entered: list[tuple[Text, float]] = []

    def enter(self, label: Text) -> None:
        """Nothing; starts timing the step ``label``."""
        self.entered.append((label, time.monotonic()))

    def leave(self) -> None:
        """Nothing; writes the line of the step that ends."""
        label, entered = self.entered.pop()
        now = time.monotonic()
        indent = "  " * len(self.entered)
        since = t("{seconds} s", seconds=seconds(now - self.started).rjust(5))
        took = t("{seconds} s", seconds=seconds(now - entered))
        self.log.write(f"xlcrm {since}  {indent}{label}: {took}\n")
        self.log.flush()


_current = Progress(None)


def show_on(stream: TextIO) -> None:
    """From now on, show progress on ``stream`` if it is a terminal."""
    global _current
    _current = Progress(stream if stream.isatty() else None)


def log_on(stream: TextIO) -> None:
    """From now on, write a line per finished step, with its time, on ``stream`` (terminal or not)."""
    global _current
    _current = StepLog(stream)


def hide() -> None:
    """Show no progress (``--json``, library use)."""
    global _current
    _current = Progress(None)


@contextmanager
def step(label: Text) -> Iterator[None]:
    """Say that ``label`` is running while the block runs."""
    _current.enter(label)
    try:
        yield
    finally:
        _current.leave()
