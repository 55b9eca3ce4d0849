"""A filter nested deeper than anyone types (pasted or generated text) is refused with a position, like any other
filter that cannot be read, instead of exhausting Python's stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.builders import valid_records, write_records
from xlcrm.checks.segment_language import MAX_NESTING, SegmentFilterError, parse_filter
from xlcrm.cli.main import cli
from xlcrm.messages import render


@pytest.mark.parametrize(
    "text",
    ["(" * 2000 + "consent" + ")" * 2000, "not " * 5000 + "consent", "(not " * 1000 + "consent" + ")" * 1000],
)
def test_a_filter_nested_too_deep_is_refused_at_the_first_group_too_many(text: str) -> None:
    with pytest.raises(SegmentFilterError) as raised:
        parse_filter(text)
    assert str(MAX_NESTING) in render(raised.value.args[0], "ru")
    assert 1 < raised.value.position <= len(text)


def test_a_filter_nested_as_deep_as_allowed_is_read() -> None:
    assert parse_filter("(" * MAX_NESTING + "consent" + ")" * MAX_NESTING).root is not None


def test_export_of_a_too_deep_segment_is_one_error_line(tmp_path: Path) -> None:
    path = write_records(tmp_path / "clients.xlsx", "en", valid_records("en"))
    before = path.read_bytes()
    text = "(" * 3000 + "consent" + ")" * 3000
    result = CliRunner().invoke(cli, ["export", str(path), "--segment", text, "--csv", str(tmp_path / "out.csv")])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error:") and "unexpected" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert path.read_bytes() == before
    assert not (tmp_path / "out.csv").exists()
