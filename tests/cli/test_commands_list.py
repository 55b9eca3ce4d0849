"""The commands of the ``xlcrm`` group are loaded by name: a run imports its own command's code, not all twelve."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from xlcrm.cli.commands_list import COMMAND_MODULES, all_commands, load_command
from xlcrm.cli.main import cli


def test_each_name_loads_the_command_of_that_name() -> None:
    commands = all_commands()
    assert sorted(commands) == sorted(COMMAND_MODULES)
    assert all(command.name == name for name, command in commands.items())
    assert load_command("frobnicate") is None


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:", 1)[1].split()
    assert all(name in listed for name in COMMAND_MODULES)


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["--lang", "en", "frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output


@pytest.mark.parametrize("json_asked", [False, True], ids=["text", "json"])
def test_a_mistyped_command_gets_the_closest_names_suggested(json_asked: bool) -> None:
    result = CliRunner().invoke(cli, ["--lang", "en", "valid", *(["--json"] if json_asked else [])])
    assert result.exit_code == 2
    assert "No such command 'valid'. Did you mean 'validate'?" in result.output


def test_a_command_imports_only_its_own_job() -> None:
    probe = (
        "import sys\n"
        "from xlcrm.cli.main import cli\n"
        "try:\n"
        "    cli(['validate', '--help'], prog_name='xlcrm')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(name for name in sys.modules if name.startswith('xlcrm.jobs.')))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = run.stdout.strip().splitlines()[-1]
    assert "xlcrm.jobs.validate" in loaded
    for other in ("xlcrm.jobs.refresh", "xlcrm.jobs.export", "xlcrm.jobs.importing", "xlcrm.jobs.schedule"):
        assert other not in loaded
