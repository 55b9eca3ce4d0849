"""``xlcrm export``: the workbook carried elsewhere, as a database or as an anonymised copy.

One read of the workbook feeds every target asked for: a SQLite file or a
SQLAlchemy URL (:mod:`xlcrm.export.database`) and an anonymised copy
(:mod:`xlcrm.export.anonymise`). The workbook itself is never changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlcrm.errors import UsageError
from xlcrm.export.anonymise import AnonymisedCopy, write_anonymised
from xlcrm.files.safe_save import holding_workbook_lock
from xlcrm.xlsx.reader import read_workbook

if TYPE_CHECKING:  # xlcrm.export.database loads SQLAlchemy, which only an export to a database needs
    from xlcrm.export.database import DatabaseExport


@dataclass
class ExportResult:
    path: Path
    database: DatabaseExport | None
    anonymised: AnonymisedCopy | None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        return {
            "path": str(self.path),
            "database": self.database.to_dict() if self.database else None,
            "anonymised": self.anonymised.to_dict() if self.anonymised else None,
        }


@holding_workbook_lock("anonymise")
def export_workbook(
    path: str | Path,
    *,
    sqlite: Path | None = None,
    url: str | None = None,
    anonymise: Path | None = None,
    today: dt.date | None = None,
    force: bool = False,
    ignore_lock: bool = False,
) -> ExportResult:
    """Export the workbook at ``path`` to each target given; at least one is needed."""
    if sqlite is None and url is None and anonymise is None:
        raise UsageError("say where to export: --sqlite FILE, --url URL or --anonymise FILE")
    if sqlite is not None and url is not None:
        raise UsageError("give either --sqlite or --url, not both")
    for target in (sqlite, anonymise):
        if target is not None and Path(target).resolve() == Path(path).resolve():
            raise UsageError(f"{target} is the workbook itself; export to another file")
        if target is not None and Path(target).exists() and not force:
            raise UsageError(f"{target} already exists; use --force to replace it")
    today = today or dt.date.today()
    data = read_workbook(path)
    database = None
    from xlcrm.export.database import export_sqlite, export_url  # see the import of DatabaseExport at the top

    if sqlite is not None:
        database = export_sqlite(data, sqlite, today=today, force=force)
    elif url is not None:
        database = export_url(data, url, today=today, force=force)
    anonymised = write_anonymised(data, anonymise, force=force, ignore_lock=ignore_lock) if anonymise else None
    return ExportResult(Path(path), database, anonymised)


def format_export(result: ExportResult) -> str:
    """The export result as terminal text."""
    lines = []
    if result.database is not None:
        lines.append(
            f"Wrote {result.database.target}: "
            + ", ".join(f"{table} {rows}" for table, rows in result.database.tables.items())
        )
    if result.anonymised is not None:
        copy = result.anonymised
        masked = ", ".join(f"{cells} cells on {sheet}" for sheet, cells in copy.masked_cells.items()) or "no cells"
        lines.append(f"Wrote the anonymised copy {copy.path}: masked {masked}")
        if copy.left_out:
            lines.append("Report sheets left out of the copy: " + ", ".join(copy.left_out))
        if copy.save is not None:
            lines += [f"Warning: {warning}" for warning in copy.save.warnings]
    return "\n".join(lines)
