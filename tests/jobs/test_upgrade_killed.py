"""``xlcrm init --upgrade`` killed at any moment leaves the workbook as it was or fully upgraded, never half of it."""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from pathlib import Path

import openpyxl
import pytest

from xlcrm import schema
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.init import create_template
from xlcrm.jobs.upgrade import upgrade_workbook

KILLS = 16
# An upgrade of a template takes about a fifth of a second here: kills fall before, inside and after its save.
LONGEST_DELAY = 0.3
SEED = 23


@pytest.fixture(scope="module")
def old_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Russian template as an older version made it: without the Contracts sheet."""
    path = tmp_path_factory.mktemp("old") / "old.xlsx"
    create_template(path, "ru", keep_saved_copy=False)
    book = openpyxl.load_workbook(path)
    del book[schema.CONTRACTS.ru]
    book.save(path)
    return path


def upgrade_and_kill(path: Path, delay: float) -> None:
    """``upgrade_workbook`` in a child process, killed after ``delay`` seconds (or left to finish)."""
    child = os.fork()
    if child == 0:  # the child never returns into pytest
        try:
            upgrade_workbook(path, save=SaveOptions(keep_backups=1))
        finally:
            os._exit(0)
    time.sleep(delay)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)


def test_a_killed_upgrade_leaves_the_old_workbook_or_the_upgraded_one(old_workbook: Path, tmp_path: Path) -> None:
    old_bytes = old_workbook.read_bytes()
    rng = random.Random(SEED)
    for round_number in range(KILLS):
        path = tmp_path / f"round{round_number}" / "clients.xlsx"
        path.parent.mkdir()
        shutil.copyfile(old_workbook, path)
        upgrade_and_kill(path, rng.uniform(0.0, LONGEST_DELAY))

        if path.read_bytes() == old_bytes:
            continue
        # Not the old bytes: then a whole upgraded workbook, which a second upgrade finds complete.
        assert schema.CONTRACTS.ru in openpyxl.load_workbook(path).sheetnames
        assert upgrade_workbook(path, dry_run=True).nothing_to_add
