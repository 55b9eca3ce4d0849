"""The child process of ``workbook.read_in_process``: ``python -m xlcrm.sheet_reader PATH SHEET_KEY SHEET_NAME``.

It reads one sheet as ``read_workbook`` would and writes it to stdout pickled, together with the error to
report if the reading failed.
"""

from __future__ import annotations

import ctypes
import pickle
import sys
from pathlib import Path

from xlcrm import schema
from xlcrm.errors import XlcrmError
from xlcrm.workbook import read_alone


def main(arguments: list[str]) -> int:
    path, key, actual = arguments
    spec = next(sheet for sheet in schema.USER_SHEETS if sheet.key == key)
    try:
        result: tuple[str, object] = ("sheet", read_alone(Path(path), spec, actual))
    except XlcrmError as exc:
        result = ("error", exc)
    _give_back_freed_memory()
    pickle.dump(result, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


def _give_back_freed_memory() -> None:
    """Return to the system the heap calamine's copy of the sheet left behind (a few hundred MB at a million
    rows), which glibc keeps otherwise: pickling then does not add to it while the main process works too."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: its allocator decides


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
