"""The merges' edits of a big refresh written ahead, in another process, while the refresh goes on.

The merges re-point the rows of a million-row Interactions sheet to the clients that survive. That is known as
soon as the dedupe is planned, so a child process writes that sheet's new part (``EditPrewriting``) on the other
core while validation, lifecycle and reports run; the save then copies the compressed bytes.

An edit the child could not write is written by the save as always, so the result never depends on the child.
Report sheets are rendered by the save itself: a child rendering them ahead gained nothing measurable on the
benchmark's workbook (README, *Performance*).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from xlcrm.errors import XlcrmError
from xlcrm.runtime.child_process import Child
from xlcrm.xlsx.package import write_edit_ahead
from xlcrm.xlsx.parts import RenderedPart
from xlcrm.xlsx.sheet_edits import SheetEdit


def helper_process() -> Child:
    """A child process that imports what writing a sheet's part needs, ready for ``EditPrewriting``."""
    return Child(__name__)


class EditPrewriting:
    """User-sheet edits being written by a child process into a folder of their own while the caller goes on;
    ``close`` removes them.

    ``watch``: names of sheets whose rows the save moves. The child, reading each edited sheet whole, notes
    which of them it never mentions: the save then need not read that sheet again for formulas pointing at
    the rows that move (``silent_about``).
    """

    def __init__(self, source: Path, edits: Sequence[SheetEdit], child: Child, watch: Sequence[str] = ()):
        self.edits = list(edits)
        folder: Path | None = None
        try:
            folder = Path(tempfile.mkdtemp(prefix="xlcrm-edits-"))
            worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlcrm-edits")
            written = worker.submit(child.call, write_edits, source, self.edits, list(watch), folder)
        except BaseException:
            child.close()  # never given its call, it would wait for one
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        self._folder, self._worker = folder, worker
        self._parts: Future[list[RenderedPart | None]] = written

    def part(self, edit: SheetEdit) -> RenderedPart | None:
        """The sheet part written for exactly this edit, once ready; None when there is none."""
        for number, known in enumerate(self.edits):
            if known == edit:
                parts = self._written()
                return parts[number] if parts is not None else None
        return None

    def silent_about(self, name: str) -> set[str]:
        """The zip entries of the sheets written here that never mention sheet ``name``, once ready."""
        parts = self._written() or []
        return {part.part for part in parts if part is not None and name in part.silent_about}

    def _written(self) -> list[RenderedPart | None] | None:
        """What the child wrote, once it is done; None when it failed (the save then writes those parts itself)."""
        try:
            return self._parts.result()
        except Exception:  # noqa: BLE001 - the save writes the parts itself, exactly as the child would have
            return None

    def close(self) -> None:
        """Nothing; waits for the child and removes what it wrote."""
        self._worker.shutdown(wait=True)
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> EditPrewriting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
