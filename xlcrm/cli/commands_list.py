"""One module per command of the ``xlcrm`` group (``xlcrm.cli.main``); each parses options, calls one library function
and prints its result.

A command's module is imported only when that command runs (or help lists it): each pulls in its library job, and
importing all twelve made every command start about a third of a second later than its own imports need.
"""

from __future__ import annotations

import importlib

import click

# Command name -> the module defining it, as ``<name>_command`` (the module of import is ``import_``: ``import`` is a
# Python keyword).
COMMAND_MODULES: dict[str, str] = {
    "agenda": "xlcrm.cli.agenda",
    "dedupe": "xlcrm.cli.dedupe",
    "demo": "xlcrm.cli.demo",
    "export": "xlcrm.cli.export",
    "forget": "xlcrm.cli.forget",
    "import": "xlcrm.cli.import_",
    "init": "xlcrm.cli.init",
    "refresh": "xlcrm.cli.refresh",
    "restore": "xlcrm.cli.restore",
    "schedule": "xlcrm.cli.schedule",
    "unmerge": "xlcrm.cli.unmerge",
    "validate": "xlcrm.cli.validate",
}


def load_command(name: str) -> click.Command | None:
    """The command called ``name``, its module imported now; None for a name that is no command."""
    module = COMMAND_MODULES.get(name)
    if module is None:
        return None
    command: click.Command = getattr(importlib.import_module(module), f"{name}_command")
    return command


def all_commands() -> dict[str, click.Command]:
    """Every command by name, each module imported (for help, documentation and tests)."""
    return {name: command for name in COMMAND_MODULES if (command := load_command(name)) is not None}
