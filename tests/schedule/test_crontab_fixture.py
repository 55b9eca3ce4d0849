"""The schedule tests never touch a developer's own crontab: the real one only on CI, put back byte for byte."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.schedule import conftest
from tests.schedule.conftest import Crontab


def test_the_real_crontab_is_used_only_on_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conftest.install_fake_crontab(tmp_path / "bin", monkeypatch)  # a crontab that works, as a developer's does
    monkeypatch.delenv("CI", raising=False)
    assert not conftest.use_real_crontab()
    monkeypatch.setenv("CI", "false")
    assert not conftest.use_real_crontab()
    monkeypatch.setenv("CI", "true")
    assert conftest.use_real_crontab()


def test_off_ci_the_tests_get_the_stand_in(crontab: Crontab) -> None:
    if os.environ.get("CI", "").lower() != "true":
        assert not crontab.real and crontab.table is not None


def test_the_crontab_is_put_back_byte_for_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = conftest.install_fake_crontab(tmp_path / "bin", monkeypatch)
    before = "# резервная копия\n".encode("cp1251") + b"0 1 * * * true \x0c x\n"
    table.write_bytes(before)
    with conftest.crontab_put_back():
        subprocess.run(["crontab", "-"], input=b"", check=True)
    assert table.read_bytes() == before
    table.unlink()
    with conftest.crontab_put_back():
        subprocess.run(["crontab", "-"], input=b"5 2 * * * true\n", check=True)
    assert not table.exists()
