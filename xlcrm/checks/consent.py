"""Consent to process personal data (152-ФЗ): which clients need it, and the findings when it is missing.

A client is a person when the Clients row names someone and no company, or a
company that is a sole trader (ИП, «Индивидуальный предприниматель», ПБОЮЛ,
ЧП, IP): the company's name is then the person's own. When the Setting
``consent_required`` is Yes, such a client needs a Consent date. A client
designated Lost, or whose data was erased (``xlcrm forget`` writes
``ERASED_NAMES`` into its Name), is no longer worked with, so no consent is
collected from it. Every test runs once per distinct value of a column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
import pandas as pd

from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.normalize import as_text, is_blank, parse_date
from xlcrm.checks.settings import Settings
from xlcrm.messages import Day, t
from xlcrm.xlsx.reader import SheetData

# Forms that mean "a person trading under their own name", folded (lower case, ё as е): the rest of the company
# name is a person's name. The one definition; dedupe's company keys use it too.
SOLE_TRADER_FORMS = frozenset({"ип", "ip", "индивидуальный предприниматель", "пбоюл", "чп"})
# What ``xlcrm forget`` writes into the Name of an erased client, in either language of the workbook.
ERASED_NAMES = ("Данные удалены", "Data erased")
_ERASED = frozenset(schema.fold(name) for name in ERASED_NAMES)
# A form's words as whole words (runs of letters) of a folded Company: its words one after another with only what is
# no letter (spaces, digits, marks) between them, and no letter just before or after.
_FORM = "|".join(r"[\W\d_]+".join(map(re.escape, form.split())) for form in sorted(SOLE_TRADER_FORMS))
_SOLE_TRADER = re.compile(rf"(?<![^\W\d_])(?:{_FORM})(?![^\W\d_])")
# The same without the word boundaries: a quick scan that rules out most companies, where checking the boundary
# before every character of the text is several times slower.
_MAYBE_SOLE_TRADER = re.compile(_FORM)


def is_sole_trader(company: object) -> bool:
    """Whether a Company cell names a sole trader: ``ИП Тарасова М.С.``, ``Индивидуальный предприниматель
    Иванов``, ``Petrov IP``; a form counts as a whole word only (``Типография`` is no ИП)."""
    return _names_sole_trader(as_text(company))


# A refresh asks for every company of the base three times (consent checked, segments, the agenda's consent
# tasks): the answers are kept.
@lru_cache(maxsize=1 << 18)
def _names_sole_trader(company: str) -> bool:
    folded = company.casefold().replace("ё", "е")
    return _MAYBE_SOLE_TRADER.search(folded) is not None and _SOLE_TRADER.search(folded) is not None


def is_erased(name: object) -> bool:
    """Whether a Name cell holds the marker ``xlcrm forget`` leaves in place of an erased client's name."""
    return schema.fold(name) in _ERASED


def persons(names: pd.Series, companies: pd.Series) -> np.ndarray:
    """Which clients are persons, by the Name and Company cells of each row (raw cells or text): a name and no
    company, or a sole trader's company; an erased client is nobody any more."""
    no_name, erased = _each(names, is_blank, is_erased)
    no_company, sole_trader = _each(companies, is_blank, is_sole_trader)
    result: np.ndarray = (~no_name & ~erased & no_company) | (sole_trader & ~erased)
    return result


def _each(values: pd.Series, *tests: Callable[[object], bool]) -> np.ndarray:
    """Each of ``tests`` of every value, one row of answers per test, asked once per distinct value (a blank as
    None)."""
    # Arrow factorizes a str column several times faster than its cells boxed as objects.
    keys = values.array if isinstance(values.dtype, pd.StringDtype) else values.to_numpy(dtype=object)
    codes, distinct = pd.factorize(keys, use_na_sentinel=True)
    # Arrow hands out its distinct values fastest all at once; None, the blank, last.
    asked = [*np.asarray(distinct, dtype=object), None]
    # One flat list per test: numpy converts it several times faster than a list of small lists.
    answers = np.array([[test(value) for value in asked] for test in tests], dtype=bool)
    by_row: np.ndarray = answers[:, codes]  # a blank's code, -1, takes the answers at the end
    return by_row


def consent_findings(clients: SheetData, settings: Settings, today: dt.date, locale: str) -> Iterator[Finding]:
    """A warning per client that needs consent and has no Consent date (none when the Setting says consent is not
    required), and one per Consent date after ``today``. A Consent date that is not a date, or typed as text, is a
    finding of the date check already: one finding per cell."""
    if not clients.has("consent_date"):
        return  # the missing column is a finding of its own
    column = clients.spec.column("consent_date")
    raw = clients.column_values("consent_date")
    given = clients.each_cell("consent_date", _typed_date, dtype=object)
    future = np.array([day is not None and day > today for day in given], dtype=bool)
    wanted = _consent_wanted(clients) if settings.consent_required else np.zeros(len(raw), dtype=bool)
    missing = wanted & clients.each_cell("consent_date", is_blank, dtype=bool)
    setting = schema.setting("consent_required")
    for row in clients.frame.index[missing | future]:
        position = clients.frame.index.get_loc(row)
        if future[position]:
            message = t(
                "a {column} after today ({today}): consent cannot have been given yet; check the day, month and year",
                column=column.name(locale),
                today=Day(today),
            )
            code = Code.FUTURE_CONSENT
        else:
            message = t(
                "no {column}: the client is a person (a name and no company, or a sole trader), so consent to "
                "process personal data is needed; collect it and type its date ({setting} on sheet {sheet})",
                column=column.name(locale),
                setting=setting.label(locale),
                sheet=schema.SETTINGS.name(locale),
            )
            code = Code.NO_CONSENT
        value = raw[row]
        yield Finding(
            Severity.WARNING,
            code,
            clients.name,
            clients.cell("consent_date", int(row)),
            "" if is_blank(value) else as_text(given[position] or value),
            message,
        )


def _typed_date(value: object) -> dt.date | None:
    """The date of a cell that holds one as a date, None otherwise."""
    result = parse_date(value)
    return None if result.from_text else result.date


def _consent_wanted(clients: SheetData) -> np.ndarray:
    """Which rows of Clients are persons still worked with: neither designated Lost nor erased."""
    lost = clients.each_cell(
        "designation", lambda value: schema.match_list_value(value, (schema.LOST,)) is not None, dtype=bool
    )
    wanted: np.ndarray = persons(clients.column_values("name"), clients.column_values("company")) & ~lost
    return wanted
