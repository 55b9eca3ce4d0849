"""Ending a process xlcrm owns as soon as its work is done, without freeing its objects one by one.

At its end Python frees every object still alive, one at a time: after a refresh of a million rows that took
0.4 s, and 0.1 s in the helper process that read the rows, whose end the main process waits for. The system takes
the whole memory back at once anyway. So the entry points of processes xlcrm owns (the ``xlcrm`` program, the
child processes it starts) end through ``exit_now`` once their work is done: every file written is closed and in
place, temporary folders removed, helper processes answered or stopped (``child_process.stop_children``). What
the libraries asked to be done at the end (``atexit``: openpyxl removes the temporary files of a save that
failed, logging closes its files) is still done. Library functions never end the process, as an application that
embeds xlcrm owns it.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn


def exit_now(status: object) -> NoReturn:
    """End the process with ``status`` as ``SystemExit`` takes it (None is 0; another object that is not a number is
    printed, and the status is 1), once the functions registered with ``atexit`` ran and what the process wrote to
    stdout and stderr is flushed."""
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:
        print(status, file=sys.stderr)
        code = 1
    # What Python runs first when it ends, without what comes after: waiting for threads, freeing every object.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # none under pythonw without a console
                stream.flush()
        except (OSError, ValueError):  # a reader that went away (xlcrm … | head), a stream already closed
            pass
    os._exit(code)
