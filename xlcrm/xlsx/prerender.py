"""Parts of a big refresh's save written ahead, in other processes, while the refresh goes on.

Rendering the rows of a 100,000-row report is Python work; in the main process it waits until the user sheets
are written. Given the reports as soon as they exist, a child process renders and compresses them on the other
core while the main one computes the Clients columns and writes the user sheets; the save then copies the
compressed bytes. The child is started a little earlier (``ReportRenderer``), so its imports are done by then.

The same goes for the merges' re-pointing of a million-row Interactions sheet: known as soon as the dedupe
is planned, it is written by another child (``EditPrewriting``) while validation, lifecycle and reports run.
Each child is started a little before its work is known (``helper_process``), so its imports run meanwhile.

A part the child could not write, or wrote for styles the save does not use, is written by the save as
always, so the result never depends on the child.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from xlcrm.errors import XlcrmError
from xlcrm.runtime.child_process import Child
from xlcrm.xlsx.package import report_styles, write_edit_ahead
from xlcrm.xlsx.parts import RenderedPart
from xlcrm.xlsx.report_sheet import ReportSheet, StyleKey, layout, render_worksheet
from xlcrm.xlsx.sheet_edits import SheetEdit
from xlcrm.xlsx.streams import deflate_into
from xlcrm.xlsx.zip_writer import REPORT_COMPRESSION_LEVEL

# Reports of at least this many rows are worth a child process (it costs about half a second to start), and
# only when together they have this many.
PRERENDER_REPORT_ROWS = 5_000
PRERENDER_TOTAL_ROWS = 20_000


_Written = TypeVar("_Written", bound="_WrittenAhead")


class _WrittenAhead:
    """Parts a child process writes into a folder of their own while the caller goes on; ``close`` removes them."""

    def __init__(self, child: Child, prefix: str, function: Callable[..., Any], *args: object):
        self._folder = Path(tempfile.mkdtemp(prefix=prefix))
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=prefix.rstrip("-"))
        arguments = (*args, self._folder)  # one tuple: mypy cannot match "*args, folder" to submit's ParamSpec
        self._parts: Future[Any] = self._worker.submit(child.call, function, *arguments)

    def _written(self) -> Any:
        """What the child wrote, once it is done; None when it failed (the save then writes those parts itself)."""
        try:
            return self._parts.result()
        except Exception:  # noqa: BLE001 - the save writes the parts itself, exactly as the child would have
            return None

    def close(self) -> None:
        self._worker.shutdown(wait=True)
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self: _Written) -> _Written:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Prerendering(_WrittenAhead):
    """Report sheets being rendered in a child process."""

    def __init__(self, child: Child, reports: Sequence[ReportSheet], styles: dict[StyleKey, int], date1904: bool):
        self.styles = styles
        self.date1904 = date1904
        self.names = [report.name for report in reports]
        super().__init__(child, "xlcrm-reports-", render_reports, list(reports), styles, date1904)

    def rendered_for(self, styles: dict[StyleKey, int], date1904: bool) -> bool:
        """Whether the reports were rendered with these style indices and date system (else they are not used)."""
        return styles == self.styles and date1904 == self.date1904

    def part(self, report_name: str) -> RenderedPart | None:
        """The rendered part of this report, once ready; None when it was not rendered here or rendering failed."""
        if report_name not in self.names:
            return None
        parts: dict[str, RenderedPart] | None = self._written()
        return parts.get(report_name) if parts is not None else None


def helper_process() -> Child:
    """A child process that imports what rendering and writing parts needs, ready for ``ReportRenderer`` or
    ``EditPrewriting``."""
    return Child(__name__)


class ReportRenderer:
    """A child process, started ahead (``child``), to render the big reports of a refresh; ``close`` ends it
    either way."""

    def __init__(self, child: Child) -> None:
        self._child: Child | None = child
        self.prerendering: Prerendering | None = None

    def start(self, source: Path, reports: Sequence[ReportSheet]) -> Prerendering | None:
        """Have the child render the big ones of ``reports`` for writing into ``source``; None when none is big."""
        child, self._child = self._child, None
        if child is None:
            return None  # given its reports already
        big = [report for report in reports if _rows(report) >= PRERENDER_REPORT_ROWS]
        if sum(_rows(report) for report in big) < PRERENDER_TOTAL_ROWS:
            child.close()
            return None
        try:
            styles, date1904 = report_styles(source)
        except XlcrmError:  # the save says what is wrong with the file
            child.close()
            return None
        self.prerendering = Prerendering(child, big, styles, date1904)
        return self.prerendering

    def close(self) -> None:
        """Nothing; stops the renderer's process and removes what it wrote."""
        if self._child is not None:
            self._child.close()
        if self.prerendering is not None:
            self.prerendering.close()

    def __enter__(self) -> ReportRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EditPrewriting(_WrittenAhead):
    """User-sheet edits being written in a child process.

    ``watch``: names of sheets whose rows the save moves. The child, reading each edited sheet whole, notes
    which of them it never mentions: the save then need not read that sheet again for formulas pointing at
    the rows that move (``silent_about``).
    """

    def __init__(self, source: Path, edits: Sequence[SheetEdit], child: Child, watch: Sequence[str] = ()):
        self.edits = list(edits)
        super().__init__(child, "xlcrm-edits-", write_edits, source, self.edits, list(watch))

    def part(self, edit: SheetEdit) -> RenderedPart | None:
        """The sheet part written for exactly this edit, once ready; None when there is none."""
        for number, known in enumerate(self.edits):
            if known == edit:
                parts: list[RenderedPart | None] | None = self._written()
                return parts[number] if parts is not None else None
        return None

    def silent_about(self, name: str) -> set[str]:
        """The zip entries of the sheets written here that never mention sheet ``name``, once ready."""
        parts: list[RenderedPart | None] = self._written() or []
        return {part.part for part in parts if part is not None and name in part.silent_about}


def write_edits(
    source: Path, edits: Sequence[SheetEdit], watch: Sequence[str], folder: Path
) -> list[RenderedPart | None]:
    """Run in the child: each edit's sheet part written into a file (None: the save must apply that edit)."""
    parts: list[RenderedPart | None] = []
    for number, edit in enumerate(edits):
        try:
            parts.append(write_edit_ahead(source, edit, folder / f"edit-{number}.deflated", watch))
        except XlcrmError:  # refused or unreadable: the save, applying it itself, says why
            parts.append(None)
    return parts


def render_reports(
    reports: Sequence[ReportSheet], styles: dict[StyleKey, int], date1904: bool, folder: Path
) -> dict[str, RenderedPart]:
    """Run in the child: each report rendered (as a sheet that is not the selected tab) into a file."""
    parts = {}
    for number, report in enumerate(reports):
        file = folder / f"report-{number}.deflated"
        rendered = render_worksheet(report, layout(report), styles, date1904, selected=False)
        with file.open("wb") as handle:
            deflated = deflate_into(rendered, handle, REPORT_COMPRESSION_LEVEL)
        parts[report.name] = RenderedPart(file, deflated)
    return parts


def _rows(report: ReportSheet) -> int:
    return sum(len(table.rows) for table in report.tables)
