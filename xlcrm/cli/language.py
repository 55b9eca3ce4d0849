"""The language a command prints in: ``--lang``, else the environment, else the workbook's, else ``LANG``.

The ``xlcrm`` group notes ``--lang`` in the click context; until a command knows its workbook it speaks the
language chosen without one (what an error before the workbook is read is said in), and from the moment it shows
its result, the language chosen with the workbook's (what the result, the ``--strict`` line, the time taken and a
later error are said in).
"""

from __future__ import annotations

import click

from xlcrm.messages import choose_language

# Keys of click's ``ctx.meta``, which the group's context shares with the command's.
_LANG_GIVEN = "xlcrm.lang"  # --lang as given (None when left out)
_LANGUAGE_SPOKEN = "xlcrm.language"  # the language chosen with the workbook's, once the command knows it


def note_lang_option(ctx: click.Context, lang: str | None) -> None:
    """Nothing; remembers ``--lang`` for the commands run in ``ctx``."""
    ctx.meta[_LANG_GIVEN] = lang


def language_for(locale: str | None, *, remember: bool = True) -> str:
    """The language to print in about a workbook whose names are in ``locale`` (None: no workbook known); with
    ``remember`` (a result shown), also for the rest of the command, a later error included."""
    ctx = click.get_current_context(silent=True)
    language = choose_language(explicit=ctx.meta.get(_LANG_GIVEN) if ctx else None, workbook=locale)
    if ctx is not None and locale is not None and remember:
        ctx.meta[_LANGUAGE_SPOKEN] = language
    return language


def spoken_language() -> str:
    """The language the command speaks now: with its workbook's once it showed a result, else without one."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and _LANGUAGE_SPOKEN in ctx.meta:
        return str(ctx.meta[_LANGUAGE_SPOKEN])
    return language_for(None)
