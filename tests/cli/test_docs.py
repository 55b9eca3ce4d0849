"""Every command has help text and is documented, with all its options, in the README."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from tests.paths import README
from xlcrm.cli.commands_list import all_commands
from xlcrm.cli.main import cli

COMMANDS = sorted(all_commands())


def readme_section(command: str) -> str:
    """The README text under the heading of one command, up to the next heading."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^### `xlcrm {command}\b.*?$(.*?)(?=^#{{1,3}} |\Z)", text, re.M | re.S)
    assert match, f"README has no '### `xlcrm {command} …`' section"
    return match.group(1)


def test_there_are_commands() -> None:
    assert {"init", "validate", "demo"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help(name: str) -> None:
    command = all_commands()[name]
    assert command.help and len(command.help.strip()) > 20, f"{name} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"option {param.opts} of {name} has no help text"
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_command_documented_in_readme(name: str) -> None:
    section = readme_section(name)
    for param in all_commands()[name].params:
        if isinstance(param, click.Option):
            long_name = max(param.opts, key=len)
            assert long_name in section, f"README section of {name} does not mention {long_name}"


def test_readme_quotes_no_test_count() -> None:
    """A count of tests passed in the README is wrong as soon as a test is added."""
    assert not re.search(r"\b\d+ passed\b", README.read_text(encoding="utf-8"))
