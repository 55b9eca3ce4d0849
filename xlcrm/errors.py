"""Library errors. Each is one line a user can act on; the CLI prints it as ``Error: …``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from xlcrm.messages import Message, Text, render
from xlcrm.messages.catalogue import SOURCE_LANGUAGE


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


class ClientNotFound(UsageError):
    """A ClientID named for forget is not on the workbook's Clients sheet."""


class MergeNotUndoable(XlcrmError):
    """A logged merge cannot be undone safely as the workbook is now; nothing was written."""


class NothingToRestoreFrom(XlcrmError):
    """``xlcrm restore`` finds no copy of xlcrm's last save of the workbook to bring rows back from."""


class RowsNotDeleted(UsageError):
    """A row chosen for ``xlcrm restore`` names no row deleted since xlcrm's last save, or is written wrongly."""


class RestoreRefused(XlcrmError):
    """Restoring the chosen rows would break the workbook (a ClientID given to another client meanwhile); nothing
    was written."""


class SourceError(XlcrmError):
    """The file to import cannot be read as a table (not found, empty, unknown format, no header row)."""


class MappingError(UsageError):
    """The mapping file of an import names a header or column that does not exist, or cannot be read."""


class ExportRefused(XlcrmError):
    """The workbook holds cells that would break a key or a column type of the database; nothing was written."""


class BeyondLimits(WorkbookError):
    """A part, a cell or the used range of a sheet is beyond what xlcrm reads safely (a decompression bomb, a
    cell longer than Excel allows, a value far outside the table); nothing was read or written."""


# --- writing the texts of errors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Quoted(Message):
    """A name quoted the language's way: ``'Clients'`` in English (as Python writes it), «Клиенты» in Russian."""

    def render(self, language: str) -> str:
        """The name in ``language``'s quotes."""
        name = render(self.params["name"], language)
        return repr(name) if language == SOURCE_LANGUAGE else f"«{name}»"


def quoted(name: object) -> Message:
    """``name`` (a sheet, a column, a table) in quotes, as an error names it: ``'Clients'``, «Клиенты»."""
    return _Quoted("", {"name": name})


@dataclass(frozen=True)
class _Joined(Message):
    """Texts one after another, each rendered in the language asked for, with a separator between them."""

    def render(self, language: str) -> str:
        """The texts in ``language``."""
        items = self.params["items"]
        assert isinstance(items, tuple)
        return str(self.params["separator"]).join(render(item, language) for item in items)


def joined(items: Iterable[object], separator: str = "; ") -> Message:
    """``items`` (texts, messages) as one text, ``separator`` between them: ``a; b; c``."""
    return _Joined("", {"items": tuple(items), "separator": separator})


def error_text(exc: BaseException) -> Text:
    """The text of ``exc`` to put inside another message: an xlcrm error's own message (rendered with the outer one,
    in its language), else what the exception says."""
    if len(exc.args) == 1 and isinstance(exc.args[0], Message):
        return exc.args[0]
    return str(exc)


def _replaced(value: object, old: str, new: str) -> object:
    if isinstance(value, Message):
        params = {name: _replaced(param, old, new) for name, param in value.params.items()}
        return dataclasses.replace(value, params=params)
    if isinstance(value, (list, tuple)):
        return type(value)(_replaced(item, old, new) for item in value)
    if isinstance(value, (str, PurePath)):
        text = str(value)
        return type(value)(text.replace(old, new)) if old in text else value
    return value


def mentions(exc: BaseException, text: str) -> bool:
    """Whether the message of ``exc`` mentions ``text`` (in its parameters, or in a plain text)."""

    def found(value: object) -> bool:
        if isinstance(value, Message):
            return any(found(param) for param in value.params.values())
        if isinstance(value, (list, tuple)):
            return any(found(item) for item in value)
        return isinstance(value, (str, PurePath)) and text in str(value)

    return any(found(arg) for arg in exc.args)


def with_text_replaced(exc: BaseException, old: str, new: str) -> BaseException:
    """A copy of the error ``exc`` with ``old`` replaced by ``new`` wherever its message names it (a temporary
    file's path by the workbook's), its message kept a catalogue message so that it still speaks the run's
    language."""
    return type(exc)(*(_replaced(arg, old, new) for arg in exc.args))


class DeletionsFound(XlcrmError):
    """Rows of the user sheets were deleted since xlcrm last saved the workbook, more than it goes on without being
    told (``--accept-deletions``); nothing was written."""
