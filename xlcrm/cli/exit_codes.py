"""Every exit code of the ``xlcrm`` commands, and the ``Exit codes`` paragraph each command's ``--help`` ends with.

The library never chooses an exit code: its results say what was done and how many errors remain, its errors are
exception classes; the CLI maps both to the codes here.
"""

from __future__ import annotations

import click

from xlcrm.errors import UsageError

EXIT_OK = 0
# validate found errors, or --strict and errors remain; or the workbook could not be read or written
EXIT_WORKBOOK_ERRORS = 1
EXIT_USAGE = 2  # a bad option or argument (click's own usage errors exit 2 as well)
EXIT_INTERRUPTED = 130  # Ctrl+C, as a shell reports a process ended by SIGINT

_CANNOT = "the workbook cannot be used; nothing was written"
_USAGE = "a bad option or argument; nothing was written"
_INTERRUPTED = "interrupted (Ctrl+C); nothing was written"


def exit_code_of(error: Exception) -> int:
    """The exit code for an error a command stopped with: a usage error of xlcrm's or click's, or any other."""
    return EXIT_USAGE if isinstance(error, (UsageError, click.UsageError)) else EXIT_WORKBOOK_ERRORS


def _epilog(ok: str, *workbook_errors: str) -> str:
    """The ``Exit codes`` paragraph: the codes as a table that click prints as written (``\\b``); each of
    ``workbook_errors`` is a line of code 1's meaning."""
    rows = [
        (str(EXIT_OK), ok),
        *((str(EXIT_WORKBOOK_ERRORS) if n == 0 else "", text) for n, text in enumerate(workbook_errors)),
        (str(EXIT_USAGE), _USAGE),
        (str(EXIT_INTERRUPTED), _INTERRUPTED),
    ]
    return "Exit codes:\n\n\b\n" + "\n".join(f"{code:<4} {text}" for code, text in rows)


# Each line of the table fits a terminal 80 characters wide: click prints it as written.
SAVING_EPILOG = _epilog(
    "saved what was asked (with --dry-run: showed it), even if errors remain",
    "with --strict: saved, but errors remain in the workbook (with --dry-run:",
    "nothing saved, but errors would remain in it);",
    f"or {_CANNOT}",
)
VALIDATE_EPILOG = _epilog("no errors (there may be warnings)", "the workbook has errors, or it cannot be read")
PLAIN_EPILOG = _epilog("done", _CANNOT)
RESTORE_EPILOG = _epilog(
    "restored the rows asked for (with --dry-run: showed them)",
    "no saved copy to restore from, or a ClientID given to another client;",
    f"or {_CANNOT}",
)
FORGET_EPILOG = _epilog(
    "erased, no trace left in the saved workbook (--dry-run: places shown)",
    "the data is still found in the saved workbook (its parts are named);",
    f"or {_CANNOT}",
)
