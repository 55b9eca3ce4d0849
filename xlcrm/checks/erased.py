"""The Name ``xlcrm forget`` leaves on an erased client's Clients row, so that checks and reports can tell such a row
(a client kept for its history, with no person behind it any more) from a person's."""

from __future__ import annotations

from xlcrm import schema
from xlcrm.checks.normalize import as_text
from xlcrm.messages import render, t


def erased_name(client_id: str, locale: str) -> str:
    """The Name of an erased client in a ``locale`` workbook: ``Данные удалены (C000123)``."""
    return render(t("Data erased ({client_id})", client_id=client_id), locale)


def is_erased(name: object, client_id: object) -> bool:
    """Whether a Clients row's ``name`` is the one an erasure of ``client_id`` left (in either language)."""
    text = as_text(name)
    return bool(text) and any(text == erased_name(as_text(client_id), locale) for locale in schema.LOCALES)
