"""Fixtures of the schedule tests: a Russian workbook in a folder whose name needs quoting, and a crontab."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.paths import REPO
from xlcrm.jobs.init import create_template

# Spaces, a quote, a per cent sign (special to cron and to cmd) and Cyrillic: what a shared drive holds.
FOLDER = "Общая папка «О'Нил» 100%"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A new Russian workbook, «Клиенты.xlsx», in a folder whose name needs quoting everywhere."""
    folder = tmp_path / FOLDER
    folder.mkdir()
    path = folder / "Клиенты.xlsx"
    create_template(path, "ru")
    return path


@pytest.fixture
def xlcrm_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Programs the test starts (a crontab line, a shortcut) import this checkout's xlcrm."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))


@dataclass(frozen=True)
class Crontab:
    """The crontab the test works on: the real program, or a fake keeping the table in ``table``."""

    real: bool
    table: Path | None  # the fake's file

    def read(self) -> str:
        done = subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=False)
        return done.stdout if done.returncode == 0 else ""


FAKE_CRONTAB = """#!/bin/sh
# A stand-in for crontab(1): the table is the file TABLE.
case "$1" in
  -l) if [ -f TABLE ]; then cat TABLE; else echo "no crontab for $(id -un)" >&2; exit 1; fi ;;
  -r) if [ -f TABLE ]; then rm -f TABLE; else echo "no crontab for $(id -un)" >&2; exit 1; fi ;;
  -) cat > TABLE ;;
  *) echo "usage: crontab [-l | -r | -]" >&2; exit 1 ;;
esac
"""


def install_fake_crontab(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake ``crontab`` first on PATH; returns the file it keeps the table in (absent until written)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "crontab.txt"
    program = folder / "crontab"
    program.write_text(FAKE_CRONTAB.replace("TABLE", shlex.quote(str(table))))
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return table


def use_real_crontab() -> bool:
    """Whether the tests may use this computer's real crontab: only on CI (``CI=true``), whose machine is thrown
    away after the run, and where it can be read (it needs no running cron daemon for that). A developer's own
    crontab is never touched: a killed run would leave entries in it, and two runs at once would clobber it."""
    if os.environ.get("CI", "").strip().lower() != "true":
        return False
    if shutil.which("crontab") is None:
        return False
    try:
        done = subprocess.run(["crontab", "-l"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 or "no crontab" in done.stderr.lower()


@pytest.fixture
def fake_crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Crontab:
    """Always the fake crontab, in a temporary HOME."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return Crontab(real=False, table=install_fake_crontab(tmp_path / "bin", monkeypatch))


@pytest.fixture
def crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Crontab]:
    """The real crontab on CI (its table is put back byte for byte afterwards), else the fake; HOME is a
    temporary folder either way."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    if not use_real_crontab():
        yield Crontab(real=False, table=install_fake_crontab(tmp_path / "bin", monkeypatch))
        return
    with crontab_put_back():
        yield Crontab(real=True, table=None)


@contextlib.contextmanager
def crontab_put_back() -> Iterator[None]:
    """The crontab on PATH is put back as it was, byte for byte (or removed when there was none), afterwards."""
    before = subprocess.run(["crontab", "-l"], capture_output=True, check=False)
    try:
        yield
    finally:
        if before.returncode == 0:
            subprocess.run(["crontab", "-"], input=before.stdout, check=True)
        else:
            subprocess.run(["crontab", "-r"], capture_output=True, check=False)
