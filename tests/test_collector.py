"""The cycle collector is held off while a command works and is back as it was afterwards."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import pytest

from xlcrm.collector import collector_paused
from xlcrm.demo import create_demo
from xlcrm.errors import WorkbookNotFound
from xlcrm.refresh import refresh_workbook

TODAY = dt.date(2026, 11, 23)


def test_the_collector_is_off_in_the_block_and_back_after_it_even_after_an_error() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as the outer one set it
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("stop")
    assert gc.isenabled()


def test_a_caller_that_turned_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_command_gives_the_collector_back(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    create_demo(path, clients=30, seed=1, locale="en", today=TODAY)
    refresh_workbook(path, today=TODAY, keep_backups=0)
    assert gc.isenabled()
    with pytest.raises(WorkbookNotFound):
        refresh_workbook(tmp_path / "missing.xlsx", today=TODAY)
    assert gc.isenabled()
