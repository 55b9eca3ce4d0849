"""xlcrm: an Excel workbook as a client base for a small business.

The public API: one function per command, each returning a result whose ``to_dict()`` is what the command's
``--json`` prints; ``SaveOptions`` for the functions that change the workbook; the errors they raise, every one an
``XlcrmError`` with a message a user can act on::

    import xlcrm

    report = xlcrm.validate_workbook("clients.xlsx")
    result = xlcrm.refresh_workbook("clients.xlsx", save=xlcrm.SaveOptions(keep_backups=0))

``import xlcrm`` stays cheap (the command line imports it for its version): each function and class is loaded from
its module the first time it is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from xlcrm.errors import (
    BeyondLimits,
    ClientNotFound,
    EditRefused,
    EncryptedWorkbook,
    ExportRefused,
    MappingError,
    MergeNotFound,
    MergeNotUndoable,
    NotAReportSheet,
    NotAWorkbook,
    NothingToRestoreFrom,
    RestoreRefused,
    RowsNotDeleted,
    SourceError,
    UsageError,
    WorkbookChanged,
    WorkbookError,
    WorkbookLocked,
    WorkbookNotFound,
    WorkbookStructureError,
    WriteError,
    XlcrmError,
)

if TYPE_CHECKING:
    from xlcrm.checks.findings import Finding
    from xlcrm.checks.segment_language import SegmentFilterError
    from xlcrm.checks.validate import ValidationReport
    from xlcrm.files.safe_save import SaveOptions, SaveResult
    from xlcrm.jobs.agenda import AgendaResult, workbook_agenda
    from xlcrm.jobs.dedupe import DedupeResult, UnmergeResult, dedupe_workbook, unmerge_workbook
    from xlcrm.jobs.demo import DemoResult, create_demo
    from xlcrm.jobs.export import ExportResult, SegmentRequest, export_workbook
    from xlcrm.jobs.forget import ForgetResult, forget_clients
    from xlcrm.jobs.importing import ImportResult, import_rows
    from xlcrm.jobs.init import InitResult, create_template
    from xlcrm.jobs.refresh import RefreshResult, refresh_workbook
    from xlcrm.jobs.restore import RestoreResult, restore_deleted_rows
    from xlcrm.jobs.upgrade import UpgradeResult, upgrade_workbook
    from xlcrm.jobs.validate import validate_workbook

__version__ = "0.1.0"

# Name -> the module it is loaded from on first use.
_LAZY = {
    "create_template": "xlcrm.jobs.init",
    "InitResult": "xlcrm.jobs.init",
    "upgrade_workbook": "xlcrm.jobs.upgrade",
    "UpgradeResult": "xlcrm.jobs.upgrade",
    "validate_workbook": "xlcrm.jobs.validate",
    "ValidationReport": "xlcrm.checks.validate",
    "Finding": "xlcrm.checks.findings",
    "create_demo": "xlcrm.jobs.demo",
    "DemoResult": "xlcrm.jobs.demo",
    "refresh_workbook": "xlcrm.jobs.refresh",
    "RefreshResult": "xlcrm.jobs.refresh",
    "workbook_agenda": "xlcrm.jobs.agenda",
    "AgendaResult": "xlcrm.jobs.agenda",
    "dedupe_workbook": "xlcrm.jobs.dedupe",
    "DedupeResult": "xlcrm.jobs.dedupe",
    "unmerge_workbook": "xlcrm.jobs.dedupe",
    "UnmergeResult": "xlcrm.jobs.dedupe",
    "restore_deleted_rows": "xlcrm.jobs.restore",
    "RestoreResult": "xlcrm.jobs.restore",
    "import_rows": "xlcrm.jobs.importing",
    "ImportResult": "xlcrm.jobs.importing",
    "export_workbook": "xlcrm.jobs.export",
    "ExportResult": "xlcrm.jobs.export",
    "SegmentRequest": "xlcrm.jobs.export",
    "SegmentFilterError": "xlcrm.checks.segment_language",
    "forget_clients": "xlcrm.jobs.forget",
    "ForgetResult": "xlcrm.jobs.forget",
    "SaveOptions": "xlcrm.files.safe_save",
    "SaveResult": "xlcrm.files.safe_save",
}

__all__ = [
    "__version__",
    # the commands, in the order of ``xlcrm --help``, each with its result
    "create_template",
    "InitResult",
    "upgrade_workbook",
    "UpgradeResult",
    "validate_workbook",
    "ValidationReport",
    "Finding",
    "create_demo",
    "DemoResult",
    "refresh_workbook",
    "RefreshResult",
    "workbook_agenda",
    "AgendaResult",
    "dedupe_workbook",
    "DedupeResult",
    "unmerge_workbook",
    "UnmergeResult",
    "restore_deleted_rows",
    "RestoreResult",
    "import_rows",
    "ImportResult",
    "export_workbook",
    "ExportResult",
    "SegmentRequest",
    "forget_clients",
    "ForgetResult",
    # how a job that changes the workbook saves it, and what the save did
    "SaveOptions",
    "SaveResult",
    # the errors
    "XlcrmError",
    "UsageError",
    "WorkbookError",
    "WorkbookNotFound",
    "NotAWorkbook",
    "EncryptedWorkbook",
    "WorkbookStructureError",
    "BeyondLimits",
    "WriteError",
    "NotAReportSheet",
    "EditRefused",
    "WorkbookLocked",
    "WorkbookChanged",
    "MergeNotFound",
    "MergeNotUndoable",
    "NothingToRestoreFrom",
    "RowsNotDeleted",
    "RestoreRefused",
    "ClientNotFound",
    "SegmentFilterError",
    "SourceError",
    "MappingError",
    "ExportRefused",
]


def __getattr__(name: str) -> Any:
    """A name of the public API, loaded from its module the first time it is asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # the next use finds it without coming here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
