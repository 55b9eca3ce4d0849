"""The child process of ``workbook.read_in_process``: ``python -m xlcrm.sheet_reader PATH SHEET_KEY SHEET_NAME``.

It reads one sheet as ``read_workbook`` would and writes it to stdout pickled, together with the error to
report if the reading failed.
"""

from __future__ import annotations

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
    pickle.dump(result, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
