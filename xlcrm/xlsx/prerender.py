"""The merges' edits of a big refresh written ahead, in another process, while the refresh goes on.

The merges re-point the rows of a million-row Interactions sheet to the clients that survive. That is known as
soon as the dedupe is planned, so a child process writes that sheet's new part (``EditPrewriting``) on the other
core while validation and lifecycle run; Clients' part, with its computed columns, is written likewise while the
agenda and the reports are built. The save then checks and adjusts what points into those sheets as always, and
copies the compressed bytes.

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
    """User-sheet edits being written by child processes into a folder of their own while the caller goes on;
    ``close`` removes them.

    Edits are handed over in batches (``add``), each to a child of its own, as they become final: the merges' edits
    of Interactions once the dedupe is planned, Clients' once its computed columns are worked out.
    """

    def __init__(self, source: Path):
        self._source = source
        self._folder = Path(tempfile.mkdtemp(prefix="xlcrm-edits-"))
        # A batch's child is waited for on a thread of its own, so that a later batch starts at once.
        self._worker = ThreadPoolExecutor(max_workers=2, thread_name_prefix="xlcrm-edits")
        self._batches: list[tuple[list[SheetEdit], Future[list[RenderedPart | None]]]] = []
        self._children: list[Child] = []

    def add(
        self, edits: Sequence[SheetEdit], child: Child, watch: Sequence[str] = (), *, report_styles: bool = False
    ) -> None:
        """Nothing; ``child`` starts writing ``edits`` (see ``write_edit_ahead`` for ``report_styles``).

        ``watch``: names of sheets whose rows the save moves. The child, reading each edited sheet whole, notes
        which of them it never mentions: the save then need not read that sheet again for formulas pointing at
        the rows that move (``silent_about``).
        """
        try:
            folder = self._folder / str(len(self._batches))
            folder.mkdir()
            written = self._worker.submit(
                child.call, write_edits, self._source, list(edits), list(watch), folder, report_styles
            )
        except OSError:  # no room for the parts (a full disk): the save writes them itself, or says why it cannot
            child.close()  # never given its call, it would wait for one
            return
        except BaseException:
            child.close()
            raise
        self._children.append(child)
        self._batches.append((list(edits), written))

    def part(self, edit: SheetEdit) -> RenderedPart | None:
        """The sheet part written for exactly this edit, once ready; None when there is none."""
        for edits, written in self._batches:
            for number, known in enumerate(edits):
                if known is edit:  # the very edit handed over: an equal one may hold other kinds of value (1.0, 1)
                    parts = _written(written)
                    return parts[number] if parts is not None else None
        return None

    def silent_about(self, name: str) -> set[str]:
        """The zip entries of the sheets written here that never mention sheet ``name``, once ready."""
        return {
            part.part
            for _, written in self._batches
            for part in _written(written) or []
            if part is not None and name in part.silent_about
        }

    def close(self) -> None:
        """Nothing; waits for the children and removes what they wrote."""
        self._worker.shutdown(wait=True)
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> EditPrewriting:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is not None:  # the refresh stopped (an error, Ctrl+C): what is being written is not wanted
            for child in self._children:
                child.stop()
        self.close()


def _written(batch: Future[list[RenderedPart | None]]) -> list[RenderedPart | None] | None:
    """What a child wrote, once it is done; None when it failed (the save then writes those parts itself)."""
    try:
        return batch.result()
    except Exception:  # noqa: BLE001 - the save writes the parts itself, exactly as the child would have
        return None


def write_edits(
    source: Path, edits: Sequence[SheetEdit], watch: Sequence[str], folder: Path, report_styles: bool
) -> list[RenderedPart | None]:
    """Run in the child: each edit's sheet part written into a file (None: the save must apply that edit)."""
    parts: list[RenderedPart | None] = []
    for number, edit in enumerate(edits):
        try:
            parts.append(
                write_edit_ahead(source, edit, folder / f"edit-{number}.deflated", watch, report_styles=report_styles)
            )
        except XlcrmError:  # refused or unreadable: the save, applying it itself, says why
            parts.append(None)
    return parts
