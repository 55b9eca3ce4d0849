"""Shared test helpers."""

from __future__ import annotations

import shutil
import subprocess
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
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(outdir), str(source)],
        capture_output=True, text=True, timeout=180,
    )
    converted = outdir / (source.stem + "." + fmt.split(":")[0])
    assert result.returncode == 0, result.stderr
    assert converted.exists() and converted.stat().st_size > 0, (result.stdout, result.stderr)
    return converted
