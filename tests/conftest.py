"""Shared test helpers."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice")


def convert_with_libreoffice(source: Path, fmt: str, outdir: Path) -> Path:
    """Open ``source`` in headless LibreOffice and convert it (``fmt`` such as "csv", "pdf", "ods").

    Returns the converted file; fails the test when LibreOffice cannot open the workbook.
    """
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / "lo-profile"
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    converted = outdir / (source.stem + "." + fmt.split(":")[0])
    assert result.returncode == 0, result.stderr
    assert converted.exists() and converted.stat().st_size > 0, (result.stdout, result.stderr)
    return converted


# --- running as an ordinary user: root may write anything, so permission refusals need "nobody" ---

NOBODY = 65534


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder outside pytest's private tmp tree, so that "nobody" can reach it."""
    folder = Path(tempfile.mkdtemp(prefix="xlcrm-perm-"))
    folder.chmod(0o755)
    yield folder
    folder.chmod(0o755)
    shutil.rmtree(folder)


def give_to_nobody(*paths: Path) -> None:
    if os.geteuid() == 0:
        for path in paths:
            os.chown(path, NOBODY, NOBODY)


def run_unprivileged(action: Callable[[], tuple[int, str]]) -> tuple[int, str]:
    """Run ``action`` in a forked child that, under root, has become "nobody"; return its (exit code, text).

    Forking (rather than starting a new interpreter) keeps the modules already
    loaded, which "nobody" could not read from root's home here.
    """
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child never returns into pytest
        code, text = 99, ""
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            code, text = action()
        except BaseException as exc:  # reported to the test, which fails on it
            text = f"{type(exc).__name__}: {exc}"
        finally:
            os.write(write_end, text.encode())
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        text = pipe.read().decode()
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status), text


def python_the_system_kills(folder: Path) -> Path:
    """A stand-in for the Python interpreter that is killed at once, as when memory runs out."""
    killed = folder / "killed-python"
    killed.write_text("#!/bin/sh\nkill -9 $$\n")
    killed.chmod(0o755)
    return killed


def python_that_logs_its_starts(folder: Path, log: Path) -> Path:
    """A stand-in for the Python interpreter that writes to ``log``, for every process started in it, the process
    id and the modules the process is to import (``xlcrm.runtime.child_process.Child``), then runs the real one.
    """
    log.write_text("")
    logging = folder / "logging-python"
    logging.write_text(
        "#!/bin/sh\n"
        'modules=$(shift 2; echo "$@")\n'  # the arguments after -c CODE
        f'echo "$$ $modules" >> {shlex.quote(str(log))}\n'
        f'exec {shlex.quote(sys.executable)} "$@"\n'  # the same process id: the one xlcrm started
    )
    logging.chmod(0o755)
    return logging


# --- hypothesis profiles (tests/dedupe/test_property_edits.py): XLCRM_HYPOTHESIS_PROFILE=nightly for thousands ---

try:
    from hypothesis import HealthCheck, Phase
    from hypothesis import settings as hypothesis_settings
except ImportError:  # the property tests then skip themselves
    pass
else:
    _SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    # Each test takes its share of max_examples (see test_property_edits.examples). CI does not shrink a failing
    # example (minutes of re-running commands); derandomized, the example it prints is reproducible as it is.
    hypothesis_settings.register_profile(
        "ci",
        max_examples=100,
        deadline=None,
        derandomize=True,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=_SLOW,
        print_blob=True,
    )
    hypothesis_settings.register_profile(
        "nightly", max_examples=2000, deadline=None, suppress_health_check=_SLOW, print_blob=True
    )
    hypothesis_settings.load_profile(os.environ.get("XLCRM_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def no_language_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without the machine's locale variables: the language a run speaks comes from the
    workbook or ``--lang`` unless a test sets a variable itself, so results do not depend on who runs the tests."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")  # names no language; keeps UTF-8 for the programs tests start
