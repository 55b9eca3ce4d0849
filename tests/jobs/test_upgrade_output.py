"""``init --upgrade --output`` of a workbook that has everything: nothing is written, and the message names the
workbook that was looked at, not an output file that does not exist."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.jobs.test_upgrade import old_workbook, workbook  # noqa: F401  (fixtures)
from xlcrm.cli.main import cli
from xlcrm.jobs.upgrade import upgrade_workbook


def test_nothing_to_add_names_the_workbook_not_an_output_never_written(workbook: Path, tmp_path: Path) -> None:  # noqa: F811
    upgrade_workbook(workbook)
    output = tmp_path / "upgraded.xlsx"
    result = CliRunner().invoke(cli, ["init", "--upgrade", str(workbook), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert str(workbook) in result.output and str(output) not in result.output
    assert not output.exists()
