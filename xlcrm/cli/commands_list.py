"""One module per command of the ``xlcrm`` group (``xlcrm.cli.main``); each parses options, calls one library function
and prints its result."""

from __future__ import annotations

import click

from xlcrm.cli.agenda import agenda_command
from xlcrm.cli.dedupe import dedupe_command
from xlcrm.cli.demo import demo_command
from xlcrm.cli.export import export_command
from xlcrm.cli.forget import forget_command
from xlcrm.cli.import_ import import_command
from xlcrm.cli.init import init_command
from xlcrm.cli.refresh import refresh_command
from xlcrm.cli.restore import restore_command
from xlcrm.cli.schedule import schedule_command
from xlcrm.cli.unmerge import unmerge_command
from xlcrm.cli.validate import validate_command

COMMANDS: tuple[click.Command, ...] = (
    init_command,
    validate_command,
    demo_command,
    refresh_command,
    agenda_command,
    dedupe_command,
    unmerge_command,
    restore_command,
    forget_command,
    import_command,
    export_command,
    schedule_command,
)
