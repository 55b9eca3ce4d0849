"""The public API: each command's --json is its library function's result, and the two write the same workbook."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import os
import shutil
import subprocess
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

import xlcrm
from tests.builders import valid_records, write_records
from tests.paths import REPO
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.dedupe import merge
from xlcrm.files.saved_copy import BACKUP_FOLDER
from xlcrm.importing import importer

EXAMPLE = REPO / "examples" / "demo.xlsx"
TODAY = dt.date(2026, 11, 23)  # the example's "today"
NOW = dt.datetime(2026, 11, 23, 9, 30)
WORKBOOK = "clients.xlsx"
KEEP_NO_BACKUPS = xlcrm.SaveOptions(keep_backups=0)


def the_example(folder: Path) -> None:
    """The bundled example: planted duplicates and mistakes."""
    shutil.copyfile(EXAMPLE, folder / WORKBOOK)


def the_example_merged(folder: Path) -> None:
    """The bundled example with its certain duplicates merged, so there are merges to undo."""
    the_example(folder)
    xlcrm.dedupe_workbook(folder / WORKBOOK, save=KEEP_NO_BACKUPS)


def a_clean_base(folder: Path) -> None:
    """A base with no problem at all, refreshed: it exports to a database, and has report sheets to leave out."""
    write_records(folder / WORKBOOK, "en", valid_records("en"))
    xlcrm.refresh_workbook(folder / WORKBOOK, today=TODAY, save=KEEP_NO_BACKUPS)


def nothing(folder: Path) -> None:
    """No workbook: the command makes it."""


@dataclass(frozen=True)
class Case:
    """One command run both ways in its own folder: ``args`` for the CLI, ``call`` for the library."""

    args: Callable[[Path], list[str]]
    call: Callable[[Path], Any]
    prepare: Callable[[Path], None] = the_example
    written: tuple[str, ...] = (WORKBOOK,)  # the workbooks to compare afterwards
    exit_code: int = 0


def source_csv(folder: Path) -> Path:
    """Two records to import: a client already in the example (certain duplicate, with a new email) and a new one."""
    clients = openpyxl.load_workbook(EXAMPLE, read_only=True)[schema.CLIENTS.name("ru")]
    header, first = (list(row) for row in clients.iter_rows(min_row=1, max_row=2, values_only=True))
    known = dict(zip(header, first))
    columns = [schema.CLIENTS.column(key).name("ru") for key in ("name", "company", "phone", "email")]
    name, company, phone = (known[column] or "" for column in columns[:3])
    path = folder / "source.csv"
    path.write_text(
        ",".join(columns)
        + f'\n"{name}","{company}","{phone}",new.address@example.ru\n'
        + '"Olga Sidorova","","+7 903 111-22-33",olga@example.ru\n',
        encoding="utf-8",
    )
    return path


CASES: dict[str, Case] = {
    "init": Case(
        lambda folder: ["init", str(folder / WORKBOOK), "--locale", "ru"],
        lambda folder: xlcrm.create_template(folder / WORKBOOK, locale="ru"),
        prepare=nothing,
    ),
    "validate": Case(
        lambda folder: ["validate", str(folder / WORKBOOK), "--today", TODAY.isoformat()],
        lambda folder: xlcrm.validate_workbook(folder / WORKBOOK, today=TODAY),
        exit_code=1,  # the example's planted mistakes
    ),
    "demo": Case(
        lambda folder: ["demo", str(folder / WORKBOOK), "--clients", "30", "--seed", "2", "--today", TODAY.isoformat()],
        lambda folder: xlcrm.create_demo(folder / WORKBOOK, clients=30, seed=2, today=TODAY),
        prepare=nothing,
    ),
    "refresh": Case(
        lambda folder: ["refresh", str(folder / WORKBOOK), "--today", TODAY.isoformat(), "--keep-backups", "0"],
        lambda folder: xlcrm.refresh_workbook(folder / WORKBOOK, today=TODAY, save=KEEP_NO_BACKUPS),
    ),
    "agenda": Case(
        lambda folder: ["agenda", str(folder / WORKBOOK), "--today", TODAY.isoformat(), "--ics", str(folder / "ics")],
        lambda folder: xlcrm.workbook_agenda(folder / WORKBOOK, today=TODAY, ics=folder / "ics"),
    ),
    "dedupe": Case(
        lambda folder: ["dedupe", str(folder / WORKBOOK), "--keep-backups", "0"],
        lambda folder: xlcrm.dedupe_workbook(folder / WORKBOOK, save=KEEP_NO_BACKUPS),
    ),
    "unmerge": Case(
        lambda folder: ["unmerge", str(folder / WORKBOOK), "M0002", "--keep-backups", "0"],
        lambda folder: xlcrm.unmerge_workbook(folder / WORKBOOK, "M0002", save=KEEP_NO_BACKUPS),
        prepare=the_example_merged,
    ),
    "import": Case(
        lambda folder: [
            "import",
            str(source_csv(folder)),
            "--into",
            str(folder / WORKBOOK),
            "--today",
            TODAY.isoformat(),
            "--keep-backups",
            "0",
        ],
        lambda folder: xlcrm.import_rows(source_csv(folder), folder / WORKBOOK, today=TODAY, save=KEEP_NO_BACKUPS),
    ),
    "export": Case(
        lambda folder: [
            "export",
            str(folder / WORKBOOK),
            "--sqlite",
            str(folder / "clients.sqlite"),
            "--anonymise",
            str(folder / "anonymised.xlsx"),
            "--today",
            TODAY.isoformat(),
        ],
        lambda folder: xlcrm.export_workbook(
            folder / WORKBOOK,
            sqlite=folder / "clients.sqlite",
            anonymise=folder / "anonymised.xlsx",
            today=TODAY,
        ),
        prepare=a_clean_base,
        written=(WORKBOOK, "anonymised.xlsx"),
    ),
}


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Merges logged by the CLI and by the library at the same moment, so their Merge logs are the same."""

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:
            return NOW

    clock = types.SimpleNamespace(date=dt.date, datetime=Clock, timedelta=dt.timedelta)
    monkeypatch.setattr(merge, "dt", clock)
    monkeypatch.setattr(importer, "dt", clock)


def as_printed(result: Any, folder: Path) -> Any:
    """``result.to_dict()`` as ``--json`` prints it, with ``folder`` written as ``<folder>``."""
    text = json.dumps(result.to_dict(), ensure_ascii=False, default=str)
    return json.loads(text.replace(str(folder), "<folder>"))


def cell_values(path: Path) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    finally:
        book.close()


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("command", list(CASES))
def test_the_json_of_each_command_is_its_library_result(command: str, tmp_path: Path) -> None:
    case = CASES[command]
    folders = {how: tmp_path / how for how in ("cli", "library")}
    # Prepared once and copied into both folders: a workbook written twice may carry two different minutes as the
    # time it was last modified, which the change log shows.
    prepared = tmp_path / "prepared"
    prepared.mkdir()
    case.prepare(prepared)
    for folder in folders.values():
        shutil.copytree(prepared, folder)
        # The copy of the last save, whose time the change log shows, made at one moment in both folders.
        for copy in folder.glob(f"{BACKUP_FOLDER}/*.last-saved.xlsx"):
            os.utime(copy, (NOW.timestamp(), NOW.timestamp()))

    # In English, as the library's texts render outside a run (a Russian workbook would make the CLI speak Russian).
    run = CliRunner().invoke(cli, ["--lang", "en", *case.args(folders["cli"]), "--json"])
    library = case.call(folders["library"])

    assert run.exit_code == case.exit_code, run.output
    printed = json.loads(run.output.replace(json.dumps(str(folders["cli"]))[1:-1], "<folder>"))
    assert printed == as_printed(library, folders["library"])
    for name in case.written:
        assert cell_values(folders["cli"] / name) == cell_values(folders["library"] / name), name
    if command == "agenda":
        calendars = sorted(path.name for path in (folders["cli"] / "ics").iterdir())
        assert calendars and calendars == sorted(path.name for path in (folders["library"] / "ics").iterdir())
        for name in calendars:
            assert (folders["cli"] / "ics" / name).read_bytes() == (folders["library"] / "ics" / name).read_bytes()


def test_the_public_names_exist() -> None:
    assert len(set(xlcrm.__all__)) == len(xlcrm.__all__)
    missing = [name for name in xlcrm.__all__ if not hasattr(xlcrm, name)]
    assert missing == []
    assert set(xlcrm.__all__) <= set(dir(xlcrm))


def test_every_public_function_and_class_says_what_it_does() -> None:
    for name in xlcrm.__all__:
        value = getattr(xlcrm, name)
        if inspect.isfunction(value):
            assert inspect.getdoc(value), f"{name} has no docstring"
        elif inspect.isclass(value):
            doc = value.__doc__ or ""
            # a dataclass without a docstring gets its signature as one
            assert doc and not doc.startswith(f"{value.__name__}("), f"{name} has no docstring"


def test_the_jobs_that_change_the_workbook_take_save_options_and_a_password() -> None:
    for job in (xlcrm.refresh_workbook, xlcrm.dedupe_workbook, xlcrm.unmerge_workbook, xlcrm.import_rows):
        parameters = inspect.signature(job).parameters
        assert parameters["save"].default == xlcrm.SaveOptions()
        assert parameters["password"].default is None
    for job in (xlcrm.validate_workbook, xlcrm.workbook_agenda, xlcrm.export_workbook):
        assert inspect.signature(job).parameters["password"].default is None


def test_import_xlcrm_loads_no_heavy_library() -> None:
    """The command line imports xlcrm for its version; pandas, openpyxl and SQLAlchemy wait until a job needs them."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, xlcrm; print(sorted(m for m in ('pandas', 'openpyxl', 'sqlalchemy') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert loaded.stdout.strip() == "[]"


def test_the_readme_example_runs_and_prints_what_the_readme_shows(tmp_path: Path) -> None:
    section = (REPO / "README.md").read_text(encoding="utf-8").split("## Use it from Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    (tmp_path / "build").mkdir()
    shutil.copyfile(EXAMPLE, tmp_path / "build" / "demo.xlsx")
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == shown
