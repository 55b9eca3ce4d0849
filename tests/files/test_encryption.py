"""Password-protected workbooks: refresh, import, validate and export them; they stay protected, and no readable
copy is left behind on any way out."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.builders import valid_records
from tests.conftest import SOFFICE
from tests.paths import DATA, TESTS
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook
from xlcrm.errors import EncryptedWorkbook
from xlcrm.files.encryption import PASSWORD_ENV, decrypt, encrypt, is_encrypted, on_workbook
from xlcrm.files.safe_save import list_backups
from xlcrm.jobs.refresh import refresh_workbook

PASSWORD = "Пароль 2026!"
SYSTEM_PYTHON = "/usr/bin/python3"
LO_SCRIPT = TESTS / "lo_open_encrypted.py"


@pytest.fixture
def protected(tmp_path: Path) -> Path:
    """The clean workbook of the builders, password-protected as Excel does it."""
    records = valid_records("en")
    records.pop(schema.SETTINGS.key)
    plain = tmp_path / "plain.xlsx"
    build_workbook("en", rows=records, lists={"managers": ["Anna", "Boris"]}).save(plain)
    path = tmp_path / "clients.xlsx"
    encrypt(plain, path, PASSWORD)
    plain.unlink()
    return path


def opened(path: Path, folder: Path) -> Path:
    """The decrypted content of ``path``, written outside the workbook's folder for openpyxl."""
    folder.mkdir(exist_ok=True)
    plain = folder / path.name
    plain.write_bytes(decrypt(path, PASSWORD))
    return plain


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def invoke(*args: str, password: str | None = PASSWORD) -> Result:
    env = {PASSWORD_ENV: password} if password is not None else {}
    return CliRunner(env=env).invoke(cli, list(args))


def test_refresh_keeps_the_workbook_protected(protected: Path, tmp_path: Path) -> None:
    before = protected.read_bytes()
    original = load_workbook(opened(protected, tmp_path / "before"))

    result = invoke("refresh", str(protected), "--today", "2026-11-23")

    assert result.exit_code == 0, result.output
    assert f"Refreshed {protected} for 23.11.2026" in result.output
    assert PASSWORD not in result.output and ".xlcrm-tmp" not in result.output
    assert is_encrypted(protected)
    with pytest.raises(EncryptedWorkbook, match="wrong password"):
        decrypt(protected, "not it")
    after = load_workbook(opened(protected, tmp_path / "after"))
    assert [name for name in after.sheetnames if not name.startswith(schema.REPORT_MARKER)] == original.sheetnames
    assert schema.DASHBOARD.name("en") in after.sheetnames
    for name in original.sheetnames:
        for row in original[name].iter_rows():
            for cell in row:
                assert after[name][cell.coordinate].value == cell.value, (name, cell.coordinate)
    # The previous version is kept, protected too; nothing readable is left beside the workbook.
    backups = list_backups(protected)
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert files(protected.parent) == sorted(
        ["clients.xlsx", f".xlcrm-backups/{backups[0].name}", "before/clients.xlsx", "after/clients.xlsx"]
    )


def test_the_password_can_be_given_as_an_option_and_json_names_the_workbook(protected: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["refresh", str(protected), "--password", PASSWORD, "--json", "--keep-backups", "0", "--today", "2026-11-23"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["path"] == str(protected) and payload["save"]["path"] == str(protected)
    assert payload["save"]["backup"] is None
    assert PASSWORD not in result.output
    assert is_encrypted(protected)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_refreshed_workbook_with_the_password(protected: Path, tmp_path: Path) -> None:
    if SOFFICE is None or not Path(SYSTEM_PYTHON).exists():
        pytest.skip("LibreOffice with python3-uno is not installed")
    refresh_via = refresh_workbook(protected, password=PASSWORD)
    assert refresh_via.path == protected

    def libreoffice(password: str) -> dict[str, object]:
        run = subprocess.run(
            [
                SYSTEM_PYTHON,
                str(LO_SCRIPT),
                str(protected),
                password,
                str(tmp_path / "lo-profile"),
                schema.CLIENTS.name("en"),
                "A2",
                "B3",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.strip().splitlines()[-1])

    seen = libreoffice(PASSWORD)
    assert seen["opened"] is True
    assert schema.DASHBOARD.name("en") in seen["sheets"]  # type: ignore[operator]
    assert seen["cells"] == {"A2": "C000001", "B3": "Olga Sidorova"}
    assert libreoffice("wrong password") == {"opened": False}


@pytest.mark.parametrize(
    "password, message",
    [
        (None, "is password-protected; give the password with --password or the XLCRM_PASSWORD environment variable"),
        ("wrong", "clients.xlsx: wrong password"),
    ],
)
def test_no_or_a_wrong_password(protected: Path, password: str | None, message: str) -> None:
    before = protected.read_bytes()
    result = invoke("refresh", str(protected), password=password)
    assert result.exit_code == 1
    assert result.output == f"Error: {protected}: wrong password\n" if password else message in result.output
    assert protected.read_bytes() == before
    assert files(protected.parent) == ["clients.xlsx"]


def test_a_failing_command_leaves_no_readable_copy_and_names_the_workbook(protected: Path, tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text("ФИО\nИван\n", encoding="utf-8")
    before = protected.read_bytes()

    result = invoke("import", str(source), "--into", str(protected), "--sheet", "contacts")

    assert result.exit_code == 2
    assert "need a ClientID column" in result.output
    assert protected.read_bytes() == before
    assert files(tmp_path) == ["clients.xlsx", "contacts.csv"]

    def broken(work: Path, _output: object, _backups: int) -> None:
        raise RuntimeError(f"bug while reading {work}")

    with pytest.raises(RuntimeError):
        on_workbook(protected, PASSWORD, broken)
    assert files(tmp_path) == ["clients.xlsx", "contacts.csv"]


def test_sigterm_during_a_command_leaves_no_readable_copy(protected: Path) -> None:
    child = os.fork()
    if child == 0:  # the child never returns into pytest
        try:
            on_workbook(protected, PASSWORD, lambda work, _o, _k: os.kill(os.getpid(), signal.SIGTERM))
        finally:
            os._exit(3)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 3
    assert files(protected.parent) == ["clients.xlsx"]


def test_import_validate_and_export_a_protected_workbook(protected: Path, tmp_path: Path) -> None:
    source = tmp_path / "new.csv"
    source.write_text("Full name;Company;Phone\nAnna Orlova;Kvant JSC;+7 903 765-43-21\n", encoding="utf-8")

    dry = invoke("import", str(source), "--into", str(protected), "--dry-run")
    assert dry.exit_code == 0 and "Would add 1 row, would merge 0 into matching clients," in dry.output
    imported = invoke("import", str(source), "--into", str(protected), "--keep-backups", "0")
    assert imported.exit_code == 0, imported.output
    assert f"Saved {protected}" in imported.output
    assert is_encrypted(protected)
    clients = load_workbook(opened(protected, tmp_path / "check"))[schema.CLIENTS.name("en")]
    assert [clients["A4"].value, clients["B4"].value, clients["C4"].value] == ["C000003", "Anna Orlova", "Kvant JSC"]

    validated = invoke("validate", str(protected), "--json")
    assert json.loads(validated.output)["path"] == str(protected)

    database = tmp_path / "base.sqlite"
    exported = invoke("export", str(protected), "--sqlite", str(database))
    assert exported.exit_code == 0, exported.output
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM clients").fetchone() == (3,)
    assert files(tmp_path) == ["base.sqlite", "check/clients.xlsx", "clients.xlsx", "new.csv"]


def test_output_of_a_protected_workbook_is_protected_too(protected: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy.xlsx"
    before = protected.read_bytes()
    result = invoke("refresh", str(protected), "--output", str(target))
    assert result.exit_code == 0, result.output
    assert protected.read_bytes() == before
    assert is_encrypted(target)
    assert load_workbook(io.BytesIO(decrypt(target, PASSWORD))).sheetnames[0] == schema.CLIENTS.name("en")


def test_an_unprotected_workbook_ignores_the_password(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    build_workbook("en").save(path)
    result = invoke("validate", str(path))
    assert result.exit_code == 0, result.output
    assert not is_encrypted(path)


def test_agenda_of_a_protected_workbook(protected: Path, tmp_path: Path) -> None:
    before = protected.read_bytes()
    calendar = tmp_path / "anna.ics"
    result = invoke("agenda", str(protected), "--today", "2024-03-02", "--manager", "Anna", "--ics", str(calendar))
    assert result.exit_code == 0, result.output
    assert "Anna" in result.output and calendar.exists()
    assert protected.read_bytes() == before
    assert files(tmp_path) == ["anna.ics", "clients.xlsx"]


def test_dedupe_and_unmerge_of_a_protected_workbook(tmp_path: Path) -> None:
    records = valid_records("en")
    records.pop(schema.SETTINGS.key)
    twin = dict(records["clients"][0], client_id="C000003", comment="typed in again")
    records["clients"].append(twin)
    plain = tmp_path / "plain.xlsx"
    build_workbook("en", rows=records, lists={"managers": ["Anna", "Boris"]}).save(plain)
    path = tmp_path / "clients.xlsx"
    encrypt(plain, path, PASSWORD)
    plain.unlink()

    merged = invoke("dedupe", str(path), "--keep-backups", "0")
    assert merged.exit_code == 0, merged.output
    assert "M0001: C000001 <- C000003" in merged.output and f"Saved {path}" in merged.output
    assert is_encrypted(path)
    ids = [
        row[0].value
        for row in load_workbook(opened(path, tmp_path / "merged"))[schema.CLIENTS.en].iter_rows(min_row=2)
        if row[0].value
    ]
    assert ids == ["C000001", "C000002"]

    undone = invoke("unmerge", str(path), "M0001", "--keep-backups", "0")
    assert undone.exit_code == 0, undone.output
    assert is_encrypted(path)
    ids = [
        row[0].value
        for row in load_workbook(opened(path, tmp_path / "undone"))[schema.CLIENTS.en].iter_rows(min_row=2)
        if row[0].value
    ]
    assert ids == ["C000001", "C000002", "C000003"]
    assert files(tmp_path) == ["clients.xlsx", "merged/clients.xlsx", "undone/clients.xlsx"]


def test_a_protected_macro_workbook_keeps_its_macros(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsm"
    encrypt(DATA / "user_workbook.xlsm", path, PASSWORD)

    result = invoke("refresh", str(path), "--keep-backups", "0", "--today", "2026-11-23")

    assert result.exit_code in (0, 1), result.output  # 1: the sample workbook has cell errors on purpose
    assert f"Refreshed {path}" in result.output
    assert is_encrypted(path)
    names = zipfile.ZipFile(io.BytesIO(decrypt(path, PASSWORD))).namelist()
    assert "xl/vbaProject.bin" in names
    assert files(tmp_path) == ["book.xlsm"]
