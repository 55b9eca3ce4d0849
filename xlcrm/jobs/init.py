"""``xlcrm init``: a new, empty workbook from the template; and the bundled templates themselves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xlcrm import schema
from xlcrm.create.template import TEMPLATE_FILE, build_workbook, check_locale
from xlcrm.errors import UsageError, WriteError
from xlcrm.files.safe_save import write_new_workbook
from xlcrm.messages import t
from xlcrm.messages.as_json import JsonFields
from xlcrm.runtime.paths import path_problem


@dataclass(frozen=True)
class InitResult(JsonFields):
    """The workbook ``create_template`` made: its path, language and sheets."""

    path: Path
    locale: str
    sheets: list[str]
    backup: Path | None = None  # with --force: where the replaced file was kept


def create_template(
    path: str | Path, locale: str = schema.DEFAULT_LOCALE, force: bool = False, *, keep_saved_copy: bool = True
) -> InitResult:
    """Save a new, empty client-base workbook from the template at ``path``, its names in ``locale``; returns its
    sheets. An existing file is replaced only with ``force`` (and kept as a backup). ``keep_saved_copy``: keep the
    copy the next run compares with (see ``xlcrm.files.saved_copy``)."""
    path = Path(path)
    check_locale(locale)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(
            t("{path}: xlcrm init creates an .xlsx workbook; choose a file name ending in .xlsx", path=path)
        )
    if (problem := path_problem(path)) is not None:
        raise WriteError(t("cannot write {path}: {problem}; nothing was changed", path=path, problem=problem))
    if path.is_dir():
        raise UsageError(t("{path} is a folder; give the path of the workbook to create", path=path))
    book = build_workbook(locale)
    saved = write_new_workbook(
        book, path, force=force, expected_sheets=book.sheetnames, keep_saved_copy=keep_saved_copy
    )
    return InitResult(path=path, locale=locale, sheets=list(book.sheetnames), backup=saved.backup)


def write_templates(folder: str | Path) -> list[Path]:
    """(Re)generate the bundled blank templates, one per locale, in ``folder``."""
    paths = []
    for locale in schema.LOCALES:
        path = Path(folder) / TEMPLATE_FILE.format(locale=locale)
        # Removed rather than forced over, so no backup of an old template lands beside the new one; the bundled
        # templates are copied, not worked on, so they need no copy to compare with either.
        path.unlink(missing_ok=True)
        paths.append(create_template(path, locale, keep_saved_copy=False).path)
    return paths
