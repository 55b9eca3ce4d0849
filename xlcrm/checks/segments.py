"""Named segments: the Segment and Segment filter columns of Settings, one segment per row.

A name and a filter in the segment language (:mod:`xlcrm.checks.segment_language`) make a segment that
``xlcrm export --segment NAME`` writes out and the Segments report sheet counts. A workbook made before those
columns existed has no named segments, without a word. A filter that cannot be read, a segment without a filter
and a filter without a name are reported as ``bad-setting`` warnings at their cell; the segment stays listed,
with its error, so the report can say why it counts nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.normalize import as_text, is_blank
from xlcrm.checks.own_fields import own_fields
from xlcrm.checks.segment_language import SegmentFilter, SegmentFilterError, parse_filter
from xlcrm.errors import error_text
from xlcrm.messages import Text, t
from xlcrm.xlsx.reader import WorkbookData


@dataclass(frozen=True)
class NamedSegment:
    """A segment of Settings: its name and filter as typed, the filter's cell, and the filter read (None with the
    error when it cannot be read)."""

    name: str
    text: str
    cell: str
    filter: SegmentFilter | None
    error: SegmentFilterError | None = None


def named_segments(data: WorkbookData) -> list[NamedSegment]:
    """The named segments of the workbook's Settings, in sheet order (rows with a name)."""
    return [segment for segment, _ in _segment_rows(data) if segment is not None]


def segment_findings(data: WorkbookData) -> list[Finding]:
    """A warning per segment row of Settings that cannot be used, at its cell."""
    return [finding for _, finding in _segment_rows(data) if finding is not None]


def find_segment(segments: list[NamedSegment], name: str) -> NamedSegment | None:
    """The segment called ``name`` (case, spaces and ё aside), or None."""
    wanted = schema.fold(name)
    return next((segment for segment in segments if schema.fold(segment.name) == wanted), None)


def _segment_rows(data: WorkbookData) -> list[tuple[NamedSegment | None, Finding | None]]:
    """Each filled segment row of Settings: the segment (None without a name) and its finding (None when fine)."""
    sheet = data.sheet(schema.SETTINGS.key)
    # A sheet whose headers were not understood is read for nothing (validation says so once), as read_settings does.
    if sheet is None or data.misplaced_header(schema.SETTINGS.key) or not sheet.has("segment_filter"):
        return []
    names, filters = sheet.column_values("segment"), sheet.column_values("segment_filter")
    locale, own = data.locale, own_fields(data)
    rows: list[tuple[NamedSegment | None, Finding | None]] = []
    first_cells: dict[str, str] = {}  # a segment's name, folded -> the cell of the first segment of that name
    for row, name, text in zip(names.index, names, filters):
        if is_blank(name) and is_blank(text):
            continue
        cell = sheet.cell("segment_filter", int(row))
        problem: Text | None = None
        segment: NamedSegment | None = None
        if is_blank(text):
            problem = t("the segment {name} has no filter; write one, such as city = Kazan and consent", name=name)
            segment = NamedSegment(as_text(name), "", cell, None, SegmentFilterError(problem))
        else:
            try:
                read = parse_filter(as_text(text), locale, own)
                error = None
            except SegmentFilterError as exc:
                read, error = None, exc
                problem = t("the segment filter cannot be read, {error}", error=error_text(exc))
            if is_blank(name):
                problem = problem or t("a segment filter without a name: type the segment's name beside it")
            else:
                segment = NamedSegment(as_text(name), as_text(text), cell, read, error)
        if not is_blank(name):
            first = first_cells.setdefault(schema.fold(name), cell)
            if first != cell:
                # export --segment NAME and find_segment take the first; this row would be counted but never used.
                problem = problem or t(
                    "the segment {name} is named on {cell} already, and that one is exported by this name: give this "
                    "one a name of its own",
                    name=as_text(name),
                    cell=first,
                )
        finding = (
            Finding(Severity.WARNING, Code.BAD_SETTING, sheet.name, cell, as_text(text), problem) if problem else None
        )
        rows.append((segment, finding))
    return rows
