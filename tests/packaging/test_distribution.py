"""The wheel and the sdist ``python -m build`` makes: the wheel carries every file of the package (the message
catalogues, py.typed) and the version xlcrm prints; the sdist carries the templates, the example and the tests, and
none of what runs and builds leave in a working copy.

Built once for the module, offline (``--no-isolation``: the setuptools and build of the test extra), from a copy
of the repository so no earlier build's xlcrm.egg-info takes part. .ci/wheel-smoke installs the wheel and runs it.
"""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import xlcrm
from tests.paths import REPO

# Left out of the copy: too big, or (xlcrm.egg-info) read by setuptools as a list of files to pack.
_NOT_COPIED = (".git", ".venv", "*.egg-info", "build", "dist", "__pycache__", ".*_cache", ".hypothesis")

# What a working copy holds after runs and builds, planted in the copy; none of it may reach the sdist.
JUNK = (
    "examples/.xlcrm-backups/demo.2026-11-23T10-00-00.xlsx",
    "examples/.~lock.demo.xlsx#",
    "examples/~$demo.xlsx",
    "examples/.~xlcrm-lock.demo.xlsx",
    "templates/.xlcrm-tmp-new-abc123",
    "tests/data/__pycache__/make_fixtures.cpython-311.pyc",
    "xlcrm/__pycache__/schema.cpython-311.pyc",
    "build/demo.xlsx",
    "dist/xlcrm-0.0.0.tar.gz",
)


@dataclass(frozen=True)
class Built:
    """The copy the distributions were built from, and their files."""

    source: Path
    wheel: Path
    sdist: Path


def _kept(path: Path) -> bool:
    """Whether a file of a working copy is one a distribution carries: not compiled Python, not a backup, lock or
    temporary file that runs of xlcrm, Excel and LibreOffice leave beside workbooks."""
    return (
        "__pycache__" not in path.parts
        and ".xlcrm-backups" not in path.parts
        and path.suffix != ".pyc"
        and not path.name.startswith((".~", "~$", ".xlcrm-tmp-"))
    )


def _files(root: Path) -> set[str]:
    """The files under ``root`` a distribution carries, relative to ``root``."""
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file() and _kept(path)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    source = tmp_path_factory.mktemp("checkout") / "xlcrm"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*_NOT_COPIED))
    for name in JUNK:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(b"junk")
    out = tmp_path_factory.mktemp("dist")
    run = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"python -m build failed:\n{run.stdout}\n{run.stderr}"
    (wheel,) = out.glob("xlcrm-*-py3-none-any.whl")
    (sdist,) = out.glob("xlcrm-*.tar.gz")
    return Built(source=source, wheel=wheel, sdist=sdist)


def _wheel_names(built: Built) -> list[str]:
    with zipfile.ZipFile(built.wheel) as archive:
        return archive.namelist()


def _sdist_names(built: Built) -> set[str]:
    """The sdist's files, without its top folder ``xlcrm-<version>/``."""
    with tarfile.open(built.sdist) as archive:
        return {member.name.split("/", 1)[1] for member in archive.getmembers() if member.isfile()}


def test_the_wheel_carries_every_file_of_the_package(built):
    names = _wheel_names(built)
    packed = {name.removeprefix("xlcrm/") for name in names if name.startswith("xlcrm/")}
    missing = _files(REPO / "xlcrm") - packed
    assert not missing, f"files of xlcrm/ that the wheel lacks (add them to package-data): {sorted(missing)}"
    assert "messages/ru/cli.po" in packed and "py.typed" in packed
    # Nothing else: no tests, no templates, no compiled files, only the package and its metadata.
    strays = [name for name in names if not name.startswith(("xlcrm/", f"xlcrm-{xlcrm.__version__}.dist-info/"))]
    assert strays == []
    assert not [name for name in names if name.endswith(".pyc")]


def test_the_wheel_is_the_version_xlcrm_prints_and_installs_the_command(built):
    assert built.wheel.name == f"xlcrm-{xlcrm.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(built.wheel) as archive:
        info = f"xlcrm-{xlcrm.__version__}.dist-info"
        metadata = email.message_from_bytes(archive.read(f"{info}/METADATA"))
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert metadata["Name"] == "xlcrm"
    assert metadata["Version"] == xlcrm.__version__
    assert metadata["Requires-Python"] == ">=3.10"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload().startswith("# xlcrm")  # the README, as the package index shows it
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert "xlcrm = xlcrm.cli:main" in entry_points


def test_the_sdist_carries_the_templates_the_example_and_the_tests(built):
    names = _sdist_names(built)
    for folder in ("xlcrm", "templates", "examples", "tests", "benchmarks", "docs"):
        wanted = {f"{folder}/{name}" for name in _files(REPO / folder)}
        assert not wanted - names, f"the sdist lacks {sorted(wanted - names)}"
    assert {"README.md", "pyproject.toml", "Makefile", "MANIFEST.in"} <= names
    assert {"templates/xlcrm-template-en.xlsx", "templates/xlcrm-template-ru.xlsx", "examples/demo.xlsx"} <= names


def test_the_sdist_leaves_out_what_runs_and_builds_leave_behind(built):
    names = _sdist_names(built)
    assert sorted(set(JUNK) & names) == []
    assert not [name for name in names if name.startswith((".venv/", ".git/", ".ci/", "build/", "dist/"))]
