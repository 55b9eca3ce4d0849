"""One module per command of the ``xlcrm`` group (``xlcrm.cli``); each parses options, calls one library function
and prints its result."""

from __future__ import annotations

import click

from xlcrm.commands.agenda import agenda_command
from xlcrm.commands.dedupe import dedupe_command
from xlcrm.commands.demo import demo_command
from xlcrm.commands.export import export_command
from xlcrm.commands.import_ import import_command
from xlcrm.commands.init import init_command
from xlcrm.commands.refresh import refresh_command
from xlcrm.commands.unmerge import unmerge_command
from xlcrm.commands.validate import validate_command

COMMANDS: tuple[click.Command, ...] = (init_command, validate_command, demo_command, refresh_command, agenda_command,
                                       dedupe_command, unmerge_command, import_command, export_command)
