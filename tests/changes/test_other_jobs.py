"""dedupe and import, which also save the user sheets, stop for deleted rows as refresh does."""

from __future__ import annotations

import copy
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from tests.builders import valid_records, write_records
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.files.saved_copy import keep_saved_copy, saved_copy_path


def interaction_deleted(tmp_path: Path) -> Path:
    """A workbook saved by xlcrm, then one Interactions row deleted by hand."""
    records = valid_records("en")
    # A client typed in without a ClientID: dedupe gives it one, so it saves.
    records[schema.CLIENTS.key].append({"name": "Olga Petrova", "phone": "+7 916 222-33-44", "manager": "Anna"})
    path = write_records(tmp_path / "clients.xlsx", "en", records)
    keep_saved_copy(path)
    changed = copy.deepcopy(records)
    changed[schema.INTERACTIONS.key].pop(0)
    return write_records(path, "en", changed)


def test_dedupe_stops_and_goes_on_when_told(tmp_path: Path) -> None:
    path = interaction_deleted(tmp_path)
    before = path.read_bytes()
    stopped = CliRunner().invoke(cli, ["--lang", "en", "dedupe", str(path)])
    assert stopped.exit_code == 1 and "Interactions: 1 of " in stopped.output and "--accept-deletions" in stopped.output
    assert path.read_bytes() == before
    done = CliRunner().invoke(cli, ["--lang", "en", "dedupe", str(path), "--accept-deletions"])
    assert done.exit_code == 0, done.output
    # dedupe saved (the new client's ID): ▸ Changes says what it went on without.
    rows = list(load_workbook(path)[schema.CHANGES.name("en")].iter_rows(values_only=True))
    assert ("Interactions", "deleted", None, 2) in [row[:4] for row in rows]
    assert saved_copy_path(path).read_bytes() == path.read_bytes()


def test_import_stops_and_goes_on_when_told(tmp_path: Path) -> None:
    path = interaction_deleted(tmp_path)
    before = path.read_bytes()
    source = tmp_path / "new.csv"
    source.write_text("Name,Company,Phone,Manager\nOlga Ivanova,Lotus,+7 916 555-44-33,Anna\n", encoding="utf-8")
    command = ["--lang", "en", "import", str(source), "--into", str(path)]
    stopped = CliRunner().invoke(cli, command)
    assert stopped.exit_code == 1 and "Error: rows were deleted from" in stopped.output
    assert path.read_bytes() == before
    done = CliRunner().invoke(cli, [*command, "--accept-deletions", "--json"])
    assert done.exit_code == 0, done.output
    assert path.read_bytes() != before and saved_copy_path(path).read_bytes() == path.read_bytes()
