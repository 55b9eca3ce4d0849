"""The message catalogue: every text xlcrm says to a person, in English and Russian.

A text is written in the code as its English original through :func:`t` (or :func:`tn` when it names a count)
and comes back as a :class:`Message`: the text is looked up when it is rendered, in the language asked for, so one
finding can go to a Russian workbook and to an English terminal. The Russian texts are gettext catalogues,
``xlcrm/messages/ru/<room>.po``, one file per room of the package so that a change to a room's texts lands next to
its code; they are read together as one catalogue. Babel supplies the plural rules (from each file's
``Plural-Forms``) and the number and date formats of each language.

Parameters are filled in after translation with :meth:`str.format` (names only, never a format spec: a
translator moves them, and a spec would hide how a number is written). How a value is written follows its type:
``str`` and ``int`` as they are (row numbers, years, IDs), :class:`Number`, :class:`Percent` and :class:`Day` in
the language's own style, a nested :class:`Message` in the same language, a list or tuple joined with ", ".

Which language a run speaks is decided once by :func:`choose_language` and set for the run with
:func:`speaking`; ``str(message)`` renders in that language.
"""

from xlcrm.messages.catalogue import (
    LANGUAGES,
    Day,
    Message,
    Number,
    Percent,
    Text,
    choose_language,
    current_language,
    language_from_environment,
    normalize_language,
    render,
    speaking,
    t,
    tn,
)

__all__ = [
    "LANGUAGES",
    "Day",
    "Message",
    "Number",
    "Percent",
    "Text",
    "choose_language",
    "current_language",
    "language_from_environment",
    "normalize_language",
    "render",
    "speaking",
    "t",
    "tn",
]
