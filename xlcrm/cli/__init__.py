"""The ``xlcrm`` command line: click commands, their options, and all terminal formatting."""

from xlcrm.cli.main import cli, main

__all__ = ["cli", "main"]
