"""Library errors. Each is one line a user can act on; the CLI prints it as ``Error: …``."""

from __future__ import annotations


class XlcrmError(Exception):
    """Base of every error xlcrm reports to a user (the CLI exits 1 after it, 2 after a ``UsageError``)."""


class UsageError(XlcrmError):
    """The command was called in a way that cannot work (bad option value, existing target)."""


class WorkbookError(XlcrmError):
    """The file cannot be read as an xlcrm workbook."""


class WorkbookNotFound(WorkbookError):
    """The workbook path does not exist."""


class NotAWorkbook(WorkbookError):
    """The file exists but is not an .xlsx/.xlsm workbook (CSV, old .xls, damaged zip, empty file)."""


class EncryptedWorkbook(WorkbookError):
    """The workbook is password-protected."""


class WriteError(XlcrmError):
    """The workbook could not be written safely; the original is untouched."""


class NotAReportSheet(WriteError):
    """A report would overwrite or remove a sheet whose name lacks the report marker: a user's sheet."""


class EditRefused(WriteError):
    """A change to a user sheet cannot be made without breaking something that points at its rows."""


class WorkbookLocked(XlcrmError):
    """The workbook is open in Excel or LibreOffice (a lock file sits beside it)."""


class WorkbookChanged(XlcrmError):
    """The workbook was saved by someone else after xlcrm read it; nothing was written."""


class WorkbookStructureError(WorkbookError):
    """A sheet or column xlcrm needs is missing or its headers are not on row 1; nothing was written."""


class MergeNotFound(UsageError):
    """The merge named for unmerge is not in the workbook's Merge log."""


class MergeNotUndoable(XlcrmError):
    """A logged merge cannot be undone safely as the workbook is now; nothing was written."""


class SourceError(XlcrmError):
    """The file to import cannot be read as a table (not found, empty, unknown format, no header row)."""


class MappingError(UsageError):
    """The mapping file of an import names a header or column that does not exist, or cannot be read."""


class ExportRefused(XlcrmError):
    """The workbook holds cells that would break a key or a column type of the database; nothing was written."""


class BeyondLimits(WorkbookError):
    """A part, a cell or the used range of a sheet is beyond what xlcrm reads safely (a decompression bomb, a
    cell longer than Excel allows, a value far outside the table); nothing was read or written."""
