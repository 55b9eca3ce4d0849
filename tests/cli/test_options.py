"""The options every command shares: --today in two forms, --json errors, -q/--quiet, -v/--verbose; --anonymize;
shell completion."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.builders import valid_records, write_records
from tests.paths import EXAMPLE
from xlcrm import schema
from xlcrm.cli.commands_list import all_commands
from xlcrm.cli.main import cli

TODAY = "2026-11-23"


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return write_records(tmp_path / "clients.xlsx", "en", valid_records("en"))


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The bundled example: six certain duplicates, fourteen planted errors."""
    return Path(shutil.copyfile(EXAMPLE, tmp_path / "demo.xlsx"))


def test_every_command_has_the_shared_output_options() -> None:
    for name, command in all_commands().items():
        options = {opt for param in command.params if isinstance(param, click.Option) for opt in param.opts}
        assert {"--json", "-q", "--quiet", "-v", "--verbose"} <= options, name


# --- --today ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2026-11-23", "23.11.2026", " 23.11.2026 "])
def test_today_in_either_form(clean: Path, typed: str) -> None:
    result = CliRunner().invoke(cli, ["validate", str(clean), "--today", typed, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["today"] == TODAY


def test_help_shows_a_readable_date_metavar() -> None:
    shown = " ".join(CliRunner().invoke(cli, ["refresh", "--help"]).output.split())
    assert "--today DATE" in shown and "YYYY-MM-DD or DD.MM.YYYY" in shown
    assert "%Y" not in shown


@pytest.mark.parametrize("typed", ["31.02.2026", "2026-11-31", "23/11/2026", "вчера"])
def test_a_bad_date_is_one_error_line_and_nothing_is_written(clean: Path, typed: str) -> None:
    before = clean.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(clean), "--today", typed])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors == [
        f"Error: Invalid value for '--today': {typed!r} is not a date; use YYYY-MM-DD or DD.MM.YYYY "
        "(e.g. 2026-11-23 or 23.11.2026)"
    ]
    assert result.stdout == ""
    assert clean.read_bytes() == before


# --- errors under --json ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["validate", "{folder}/notthere.xlsx"], 1, "{folder}/notthere.xlsx: no such file"),
        (["init", "{workbook}"], 2, "{workbook} already exists; use --force to overwrite it"),
        (["refresh", "{workbook}", "--today", "31.02.2026"], 2, "Invalid value for '--today': '31.02.2026' is not"),
        (["refresh", "{workbook}", "--no-such-option"], 2, "No such option"),
        (["import", "{workbook}", "other.csv"], 2, "Missing option '--into'."),
        (["unmerge", "{workbook}", "M0042"], 2, "the Merge log of {workbook} has no merge M0042"),
    ],
)
def test_errors_under_json_are_json_on_stdout_with_the_same_exit_code(
    clean: Path, args: list[str], code: int, message: str
) -> None:
    before = clean.read_bytes()
    filled = [arg.format(folder=clean.parent, workbook=clean) for arg in args]
    plain = CliRunner().invoke(cli, filled)
    as_json = CliRunner().invoke(cli, [*filled, "--json"])

    assert plain.exit_code == as_json.exit_code == code
    assert as_json.stderr == ""
    payload = json.loads(as_json.stdout)
    assert set(payload) == {"error", "code"} and payload["code"] == code
    assert payload["error"].startswith(message.format(folder=clean.parent, workbook=clean)), payload
    assert f"Error: {payload['error']}" in plain.stderr.splitlines()
    assert clean.read_bytes() == before


# --- -q/--quiet and -v/--verbose --------------------------------------------------------------------------------


def test_quiet_prints_the_result_line_only(example: Path) -> None:
    result = CliRunner().invoke(cli, ["refresh", str(example), "--today", TODAY, "--keep-backups", "0", "-q"])
    assert result.exit_code == 0
    # validate counts 9 warnings in the example; refresh fills its blank ClientID, leaving the two text dates, the
    # three VIP/Key clients with too few orders, the Lost client without a reason and the two persons without consent
    # the example is a Russian workbook: the command speaks its language
    assert result.stdout == (
        f"Обновлена книга {example} на 23.11.2026: 15 ошибок и 9 предупреждений, список — на листе «▸ Проблемы»\n"
    )
    assert result.stderr == ""
    assert schema.DASHBOARD.name("ru") in load_workbook(example, read_only=True).sheetnames  # the work was done


def test_quiet_validate_prints_the_total(example: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(example), "--today", TODAY, "--quiet"])
    assert result.exit_code == 1
    assert result.stdout == "15 ошибок, 10 предупреждений в demo.xlsx\n"  # a Russian workbook


def test_quiet_still_prints_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["refresh", str(tmp_path / "notthere.xlsx"), "-q"])
    assert result.exit_code == 1
    assert result.stdout == "" and result.stderr.startswith("Error: ")


def test_quiet_and_verbose_together_are_a_usage_error(clean: Path) -> None:
    before = clean.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(clean), "-q", "-v"])
    assert result.exit_code == 2
    assert "Error: --quiet and --verbose cannot be used together" in result.stderr
    assert clean.read_bytes() == before


def test_verbose_shows_each_step_with_its_time(example: Path) -> None:
    args = ["--lang", "en", "refresh", str(example), "--today", TODAY, "--keep-backups", "0", "-v"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0
    logged = [re.fullmatch(r"xlcrm +[0-9.]+ s  (.+): [0-9.]+ s", line) for line in result.stderr.splitlines()[:-1]]
    steps = [match.group(1).strip() if match else None for match in logged]
    assert steps[0] == "reading the workbook" and steps[-1] == "saving the workbook"
    assert "building the report sheets" in steps
    assert result.stderr.splitlines()[-1].startswith("Finished in ")
    assert "\x1b" not in result.stderr  # a log, not the rewritten terminal line


FIRST_NAMES = ("Anna", "Boris", "Clara", "Denis", "Elena", "Fedor", "Galina", "Igor", "Kira", "Lev", "Maria")
SURNAMES = ("Orlov", "Pavlov", "Rybakov", "Sokolov", "Titov", "Usov", "Volkov")


def many_duplicates(path: Path, pairs: int) -> Path:
    """A workbook of ``pairs`` clients, each typed in twice (a name of its own and a phone in common: names all
    alike, "Client Number1", "Client Number2", would tell the match probability nothing)."""
    records = valid_records("en")
    records[schema.CLIENTS.key] = [
        {
            "client_id": f"C{n:06d}",
            "name": f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {SURNAMES[n // len(FIRST_NAMES)]}",
            "phone": f"+7 916 100-{n:02d}-{n:02d}",
        }
        for n in range(1, pairs + 1)
    ]
    records[schema.CLIENTS.key] += [
        {**client, "client_id": f"C{n + pairs:06d}"} for n, client in enumerate(records[schema.CLIENTS.key], 1)
    ]
    records[schema.INTERACTIONS.key] = []
    records[schema.CONTACTS.key] = []
    return write_records(path, "en", records)


def test_verbose_lists_every_merge_where_the_summary_lists_twenty(tmp_path: Path) -> None:
    path = many_duplicates(tmp_path / "clients.xlsx", 23)
    summary = CliRunner().invoke(cli, ["dedupe", str(path), "--dry-run"])
    in_full = CliRunner().invoke(cli, ["dedupe", str(path), "--dry-run", "--verbose"])
    assert summary.exit_code == in_full.exit_code == 0, summary.output

    def merges(output: str) -> list[str]:
        return [line for line in output.splitlines() if line.startswith("  M")]

    assert len(merges(summary.stdout)) == 20 and "  … and 3 more (see --verbose or --json)" in summary.stdout
    assert len(merges(in_full.stdout)) == 23 and "… and" not in in_full.stdout


def test_verbose_demo_lists_what_was_planted(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    result = CliRunner().invoke(cli, ["demo", str(path), "--clients", "30", "--today", TODAY, "-v"])
    assert result.exit_code == 0, result.output
    planted = json.loads(
        CliRunner().invoke(cli, ["demo", str(path), "--clients", "30", "--today", TODAY, "--force", "--json"]).stdout
    )
    for mistake in planted["planted_mistakes"]:
        assert f"  {mistake['cell']} {mistake['code']} " in result.stdout
    for duplicate in planted["planted_duplicates"]:
        assert f"  {duplicate['duplicate']} дублирует {duplicate['original']}: " in result.stdout  # a Russian demo
    assert planted["probable_duplicates"]
    for pair in planted["probable_duplicates"]:
        assert f"  {pair['duplicate']}, вероятно, дублирует {pair['original']}: {pair['how']}" in result.stdout
    assert "создание 30 клиентов с историей" in result.stderr


def test_demo_counts_the_planted_probable_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    args = ["demo", str(path), "--clients", "120", "--today", TODAY]
    summary = CliRunner().invoke(cli, args)
    planted = json.loads(CliRunner().invoke(cli, [*args, "--force", "--json"]).stdout)
    assert summary.exit_code == 0, summary.output
    probable = len(planted["probable_duplicates"])
    assert probable > 0
    # a Russian demo: the noun agrees with the number
    if probable % 10 == 1 and probable % 100 != 11:
        noun = "заложенный вероятный дубль"
    elif 2 <= probable % 10 <= 4 and not 12 <= probable % 100 <= 14:
        noun = "заложенных вероятных дубля"
    else:
        noun = "заложенных вероятных дублей"
    assert f", {probable} {noun}, " in summary.stdout


# --- --anonymize --------------------------------------------------------------------------------------------------


def test_anonymize_is_accepted_as_well_as_anonymise(clean: Path) -> None:
    british, american = clean.parent / "uk.xlsx", clean.parent / "us.xlsx"
    first = CliRunner().invoke(cli, ["export", str(clean), "--anonymise", str(british), "--today", TODAY])
    second = CliRunner().invoke(cli, ["export", str(clean), "--anonymize", str(american), "--today", TODAY])
    assert first.exit_code == second.exit_code == 0, second.output
    assert second.stdout == first.stdout.replace(str(british), str(american))
    sheet = schema.CLIENTS.name("en")
    rows = [list(load_workbook(p, read_only=True)[sheet].iter_rows(values_only=True)) for p in (british, american)]
    assert rows[0] == rows[1] and "Ivan Petrov" not in str(rows[1])


# --- shell completion ---------------------------------------------------------------------------------------------


def test_shell_completion_as_the_readme_tells() -> None:
    runner = CliRunner()
    script = runner.invoke(cli, [], prog_name="xlcrm", env={"_XLCRM_COMPLETE": "bash_source"})
    assert script.exit_code == 0 and "complete -o nosort -F _xlcrm_completion xlcrm" in script.output
    command = runner.invoke(
        cli,
        [],
        prog_name="xlcrm",
        env={"_XLCRM_COMPLETE": "bash_complete", "COMP_WORDS": "xlcrm ref", "COMP_CWORD": "1"},
    )
    assert command.output.split() == ["plain,refresh"]
    option = runner.invoke(
        cli,
        [],
        prog_name="xlcrm",
        env={"_XLCRM_COMPLETE": "bash_complete", "COMP_WORDS": "xlcrm refresh demo.xlsx --st", "COMP_CWORD": "3"},
    )
    assert option.output.split() == ["plain,--strict"]
