"""Python's cycle collector held off while a command of the ``xlcrm`` program works through a workbook.

Reading a big workbook, planning its dedupe and writing its computed cells make millions of Python objects
that all live until the command ends. Each time enough new objects pile up, the cycle collector walks every
object still alive, so a million-row refresh spent seconds on walks that free nothing. Reference counting
still frees everything as soon as it is no longer used; only objects that refer to each other in a circle
wait.

Only processes xlcrm owns pause it. The command-line program and the helper processes it starts keep it off from
their start to their end (``off_until_exit``): turned back on after the command, it would start one last walk over
every object the command made, which frees nothing that the end of the process, moments later, does not. ``cli``
called on its own (as click's test runner calls it) holds it off around the command and gives it back
(``collector_paused``). Library functions never touch it, since an application that embeds xlcrm owns its process
and its collector.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the cycle collector in the block (or in the function it decorates); nesting is harmless."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def off_until_exit() -> None:
    """Nothing; turns the cycle collector off for the rest of the process. Only for a process xlcrm owns, which
    ends once its command or call is done (normally through ``xlcrm.runtime.process_exit.exit_now``)."""
    gc.disable()
