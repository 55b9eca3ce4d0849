"""``xlcrm export``: the workbook carried elsewhere, as a database, an anonymised copy or lists of clients.

One read of the workbook feeds every target asked for: a SQLite file or a
SQLAlchemy URL (:mod:`xlcrm.export.database`), an anonymised copy
(:mod:`xlcrm.export.anonymise`), a mailing list (:mod:`xlcrm.export.mailing`)
and a segment's list (:mod:`xlcrm.export.segments`), the two lists from one
analysis. The workbook itself is never changed.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlcrm.errors import UsageError, WriteError
from xlcrm.export.anonymise import anonymisation
from xlcrm.export.mailing import MailingList, check_mailing_path, mailing_csv, mailing_list, mailing_workbook
from xlcrm.export.masking import Kind
from xlcrm.export.segments import SegmentList, segment_list
from xlcrm.files.safe_save import (
    SaveOptions,
    SaveResult,
    holding_workbook_lock,
    replace_workbook,
    write_new_workbook,
)
from xlcrm.files.save import save_changes
from xlcrm.jobs.opening import open_to_read
from xlcrm.lifecycle.analysis import analyse
from xlcrm.messages import t
from xlcrm.xlsx.reader import WorkbookData, read_workbook

if TYPE_CHECKING:  # xlcrm.export.database loads SQLAlchemy, which only an export to a database needs
    from xlcrm.export.database import DatabaseExport


@dataclass
class AnonymisedCopy:
    """The anonymised copy written: the cells masked on each sheet, the values masked of each kind, and the report
    sheets left out."""

    path: Path
    masked_cells: dict[str, int]  # sheet name -> cells masked
    masked: dict[Kind, int] = field(default_factory=dict)  # values masked, per kind
    left_out: list[str] = field(default_factory=list)  # report sheets not in the copy
    save: SaveResult | None = None
    # The user's own columns and sheets, copied with only phones, e-mails and values masked elsewhere masked.
    own: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        masked = {kind.value: count for kind, count in self.masked.items()}
        return {
            "path": str(self.path),
            "masked_cells": self.masked_cells,
            "masked": masked,
            "left_out": self.left_out,
            "own": self.own,
        }


@dataclass
class MailingExport:
    """The mailing list written: its file, its rows and the clients left out by reason."""

    path: Path
    mailing: MailingList
    save: SaveResult | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {"path": str(self.path), **self.mailing.to_dict()}


@dataclass
class SegmentExport:
    """A segment's list written: its files (CSV, .xlsx or both) and what it holds."""

    paths: list[Path]
    segment: SegmentList

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {"paths": [str(path) for path in self.paths], **self.segment.to_dict()}


@dataclass(frozen=True)
class SegmentRequest:
    """What ``--segment`` asks for: the segment (a name of Settings or a filter), the files to write, the columns
    (None: the default ones) and whether clients who may not be mailed are left out."""

    segment: str
    csv: Path | None = None
    xlsx: Path | None = None
    columns: tuple[str, ...] | None = None
    consent_check: bool = True

    @property
    def targets(self) -> tuple[Path, ...]:
        """The files to write."""
        return tuple(path for path in (self.csv, self.xlsx) if path is not None)


@dataclass
class ExportResult:
    """What ``export_workbook`` wrote: the database tables and the anonymised copy, each when asked for."""

    path: Path
    database: DatabaseExport | None
    anonymised: AnonymisedCopy | None
    locale: str = "en"  # the language of the workbook's sheet and column names
    mailing: MailingExport | None = None
    segment: SegmentExport | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {
            "path": str(self.path),
            "database": self.database.to_dict() if self.database else None,
            "anonymised": self.anonymised.to_dict() if self.anonymised else None,
            "mailing": self.mailing.to_dict() if self.mailing else None,
            "segment": self.segment.to_dict() if self.segment else None,
        }


def export_workbook(
    path: str | Path,
    *,
    sqlite: Path | None = None,
    url: str | None = None,
    anonymise: Path | None = None,
    keep_comments: bool = False,
    mailing: Path | None = None,
    segment: SegmentRequest | None = None,
    today: dt.date | None = None,
    force: bool = False,
    ignore_lock: bool = False,
    password: str | None = None,
) -> ExportResult:
    """Export the workbook at ``path`` to each target given (at least one is needed): a new SQLite file, the
    database at a SQLAlchemy URL, an anonymised copy (its comments and other free texts kept with ``keep_comments``),
    a mailing list (.xlsx or .csv), the list of a segment (``segment``: a CSV file, an .xlsx file or both); returns
    what was written. The workbook is not changed; ``password`` opens a
    password-protected one."""
    return open_to_read(
        path,
        password,
        functools.partial(
            _export,
            sqlite=sqlite,
            url=url,
            anonymise=anonymise,
            keep_comments=keep_comments,
            mailing=mailing,
            segment=segment,
            today=today,
            force=force,
            ignore_lock=ignore_lock,
        ),
    )


@holding_workbook_lock("anonymise")
def _export(
    path: Path,
    *,
    sqlite: Path | None,
    url: str | None,
    anonymise: Path | None,
    keep_comments: bool,
    mailing: Path | None,
    segment: SegmentRequest | None,
    today: dt.date | None,
    force: bool,
    ignore_lock: bool,
) -> ExportResult:
    if segment is not None and not segment.targets:
        raise UsageError(t("say where to write the segment: --csv FILE, --xlsx FILE or both"))
    if sqlite is None and url is None and anonymise is None and mailing is None and segment is None:
        raise UsageError(t("say where to export: --sqlite FILE, --url URL, --anonymise FILE or --mailing FILE"))
    if mailing is not None:
        check_mailing_path(mailing)
    if sqlite is not None and url is not None:
        raise UsageError(t("give either --sqlite or --url, not both"))
    for target in (sqlite, anonymise, mailing, *(segment.targets if segment else ())):
        if target is not None and Path(target).resolve() == path.resolve():
            raise UsageError(t("{path} is the workbook itself; export to another file", path=target))
        if target is not None and Path(target).exists() and not force:
            raise UsageError(t("{path} already exists; use --force to replace it", path=target))
    today = today or dt.date.today()
    data = read_workbook(path)
    database = None
    from xlcrm.export.database import export_sqlite, export_url  # see the import of DatabaseExport at the top

    if sqlite is not None:
        database = export_sqlite(data, sqlite, today=today, force=force)
    elif url is not None:
        database = export_url(data, url, today=today, force=force)
    anonymised = (
        _write_anonymised(data, anonymise, keep_comments=keep_comments, force=force, ignore_lock=ignore_lock)
        if anonymise
        else None
    )
    analysis = analyse(data, today) if mailing or segment else None
    mailed = None
    if mailing and analysis:
        listed = mailing_list(analysis)
        saved = _write_list(listed, mailing, data.locale, force=force, ignore_lock=ignore_lock)
        mailed = MailingExport(saved.path, listed, saved)
    chosen = None
    if segment and analysis:
        found = segment_list(analysis, segment.segment, segment.columns, consent_check=segment.consent_check)
        chosen = SegmentExport([], found)
        for target, kind in ((segment.csv, ".csv"), (segment.xlsx, ".xlsx")):
            if target is not None:
                saved = _write_list(found.rows, target, data.locale, force=force, ignore_lock=ignore_lock, kind=kind)
                chosen.paths.append(saved.path)
    return ExportResult(path, database, anonymised, data.locale, mailed, chosen)


def _write_anonymised(
    data: WorkbookData, output: Path, *, keep_comments: bool = False, force: bool = False, ignore_lock: bool = False
) -> AnonymisedCopy:
    """Write the anonymised copy of the workbook ``data`` was read from to ``output``; returns what it masked."""
    copy = anonymisation(data, output, force=force, keep_comments=keep_comments)
    # A file replaced with --force is kept in .xlcrm-backups like any workbook xlcrm replaces.
    save = save_changes(
        data,
        edits=copy.edits,
        remove=copy.left_out,
        save=SaveOptions(output=Path(output), ignore_lock=ignore_lock),
        anonymised=True,  # no formula's last result (a name, on Interactions), no original of a masked cell
    )
    return AnonymisedCopy(save.path, copy.masked_cells, copy.masked, copy.left_out, save, copy.own)


def _write_list(
    mailing: MailingList,
    output: Path,
    locale: str,
    *,
    force: bool,
    ignore_lock: bool,
    kind: str | None = None,
) -> SaveResult:
    """Write a list of clients to ``output`` as ``kind`` (.xlsx or .csv; by default as its name ends, checked
    before); returns how it was saved. A file replaced with --force is kept in .xlcrm-backups."""
    output = Path(output)
    if (kind or output.suffix.lower()) == ".xlsx":
        # A list to send, not a workbook anyone edits: no copy of it is kept to compare with.
        save = write_new_workbook(mailing_workbook(mailing, locale), output, force=force, keep_saved_copy=False)
    else:
        content = mailing_csv(mailing)

        def write(temp: Path) -> None:
            temp.write_bytes(content)

        save = replace_workbook(
            output,
            write,
            stamp=None,
            ignore_lock=ignore_lock,
            expected_sheets=(),
            check_saved=lambda temp, _sheets: _check_written(temp, content),
            keep_saved_copy=False,
        )
    return save


def _check_written(path: Path, content: bytes) -> None:
    """Nothing; raises WriteError when ``path`` does not hold ``content`` when read back."""
    if path.read_bytes() != content:
        raise WriteError(t("{path} does not read back as it was written; nothing was replaced", path=path))
