"""Messages looked up in the gettext catalogues when rendered, and the language a run speaks."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import gettext
import io
import locale
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: The languages xlcrm speaks; English is the language of the code, so its catalogue is the texts themselves.
LANGUAGES = ("en", "ru")
SOURCE_LANGUAGE = "en"
CATALOGUE_DIR = Path(__file__).parent

_current: contextvars.ContextVar[str] = contextvars.ContextVar("xlcrm_language", default=SOURCE_LANGUAGE)

# How people write a date in a sentence: "17 October 1956", «17 октября 1956».
_DAY_PATTERN = "d MMMM y"


@dataclass(frozen=True)
class Number:
    """A number written the language's way: ``1,000.5`` in English, ``1 000,5`` in Russian."""

    value: float | int
    decimals: int | None = None

    def render(self, language: str) -> str:
        """The number as text in ``language``."""
        if self.value == 0:  # 0.0 and -0.0 are one key to a cache, but Babel writes "-0" for the one
            return _number_text(self.value, self.decimals, language)
        return _formatted_number(self.value, self.decimals, language)


# Babel takes about a hundred microseconds a number or date, and a big workbook's findings repeat the same few (a
# threshold, a count, a day) tens of thousands of times. Typed, so that 1, 1.0 and True stay apart.
_KEPT_FORMATS = 1 << 14


def _number_text(value: float | int, decimals: int | None, language: str) -> str:
    """``value`` written ``language``'s way, with ``decimals`` digits after the point (None: as many as it has)."""
    from babel.numbers import format_decimal

    if decimals is None:
        return str(format_decimal(value, locale=language))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, format=pattern, locale=language))


_formatted_number = functools.lru_cache(maxsize=_KEPT_FORMATS, typed=True)(_number_text)


@dataclass(frozen=True)
class Percent:
    """A share (0.93) written as a whole percentage the language's way: ``93%``, ``93 %``."""

    share: float

    def render(self, language: str) -> str:
        """The percentage as text in ``language``."""
        from babel.numbers import format_percent

        return str(format_percent(self.share, locale=language))


@dataclass(frozen=True)
class Day:
    """A date written out in words: ``17 October 1956``, «17 октября 1956»."""

    date: dt.date

    def render(self, language: str) -> str:
        """The date as text in ``language``."""
        return _day_in_words(self.date, language)


@functools.lru_cache(maxsize=_KEPT_FORMATS, typed=True)
def _day_in_words(date: dt.date, language: str) -> str:
    """``date`` written out in ``language``'s words."""
    from babel.dates import format_date

    return str(format_date(date, _DAY_PATTERN, locale=language))


@dataclass(frozen=True)
class Message:
    """A text of the catalogue with its parameters, rendered in a language when it is shown.

    ``str(message)`` renders it in the language the run speaks (:func:`speaking`); :meth:`render` in any language.
    """

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)
    plural: str | None = None
    count: int | None = None

    def render(self, language: str) -> str:
        """The text in ``language`` with its parameters filled in."""
        rendered = self._rendered.get(language)
        if rendered is None:
            rendered = self._rendered[language] = self._render_anew(language)
        return rendered

    @functools.cached_property
    def _rendered(self) -> dict[str, str]:
        """This message's text by language, as rendered so far: one message often stands for many findings (every
        cell outside a list shares one), and shown on the terminal and on a sheet, each is rendered twice. A
        message is never changed once made, and a language's catalogue is read once, so the text stays true."""
        return {}

    def _render_anew(self, language: str) -> str:
        """The text in ``language`` with its parameters filled in, worked out from the catalogue."""
        translations = _translations(language)
        if self.plural is None:
            template = translations.gettext(self.msgid)
        else:
            template = translations.ngettext(self.msgid, self.plural, self.count or 0)
        values = {name: _render_value(value, language) for name, value in self.params.items()}
        return template.format(**values) if values else template

    def __str__(self) -> str:
        return self.render(_current.get())


#: What a caller may pass where a person reads text: a catalogue message, or text that is data (a name, a value).
Text = str | Message


def t(msgid: str, **params: object) -> Message:
    """The catalogue message ``msgid`` (its English text) with ``params`` to fill in when rendered."""
    return Message(msgid, params)


def tn(singular: str, plural: str, count: int, **params: object) -> Message:
    """The catalogue message for ``count`` things: the plural form is chosen by the language's rules.

    ``{count}`` in the texts is the count written as a :class:`Number`.
    """
    return Message(singular, {"count": Number(count), **params}, plural=plural, count=count)


def render(text: object, language: str) -> str:
    """``text`` as a person reads it in ``language``: messages and numbers rendered, anything else as ``str``."""
    return _render_value(text, language)


def _render_value(value: object, language: str) -> str:
    if isinstance(value, (Message, Number, Percent, Day)):
        return value.render(language)
    if isinstance(value, (list, tuple)):
        return ", ".join(_render_value(item, language) for item in value)
    return str(value)


def current_language() -> str:
    """The language this run speaks (English until :func:`speaking` says otherwise)."""
    return _current.get()


@contextlib.contextmanager
def speaking(language: str) -> Iterator[str]:
    """Render messages in ``language`` inside the ``with`` block; yields the language."""
    token = _current.set(language if language in LANGUAGES else SOURCE_LANGUAGE)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def normalize_language(value: str | None) -> str | None:
    """The xlcrm language a locale name stands for (``ru_RU.UTF-8``, ``ru-RU``, ``Russian_Russia`` → ``ru``).

    None for an empty value, ``C``/``POSIX`` (which name no language) or a language xlcrm does not speak.
    """
    if not value:
        return None
    name = value.strip().split(":")[0].split(".")[0].replace("-", "_").lower()
    if name in ("", "c", "posix"):
        return None
    if name.startswith("russian"):
        return "ru"
    if name.startswith("english"):
        return "en"
    code = name.split("_")[0]
    return code if code in LANGUAGES else None


# The variables GNU gettext reads for the language of messages, in its order of precedence. LANG comes last, as
# the machine's general default: on servers and in containers it is often set to C.UTF-8 or en_US regardless of
# who reads the output.
_MESSAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES")


def language_from_environment(environ: Mapping[str, str] | None = None, *, include_lang: bool = False) -> str | None:
    """The language the environment asks for messages in, or None when it names none xlcrm speaks.

    Reads ``LANGUAGE`` (its first entry), ``LC_ALL`` and ``LC_MESSAGES``; with ``include_lang`` also ``LANG``
    and, on Windows, the user's locale (Windows sets none of these variables).
    """
    env = os.environ if environ is None else environ
    names = _MESSAGE_VARIABLES + (("LANG",) if include_lang else ())
    for name in names:
        language = normalize_language(env.get(name))
        if language is not None:
            return language
    if include_lang and sys.platform == "win32" and environ is None:
        return normalize_language(locale.getlocale()[0])
    return None


def choose_language(
    explicit: str | None = None,
    workbook: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The language a run speaks.

    In order: ``explicit`` (``--lang``); the environment's message variables (``LANGUAGE``, ``LC_ALL``,
    ``LC_MESSAGES``); the ``workbook``'s own language; ``LANG`` (or the Windows user's locale); English.
    """
    for candidate in (
        normalize_language(explicit),
        language_from_environment(environ),
        workbook if workbook in LANGUAGES else None,
        language_from_environment(environ, include_lang=True),
    ):
        if candidate is not None:
            return candidate
    return SOURCE_LANGUAGE


def catalogue_files(language: str) -> list[Path]:
    """The ``.po`` files of ``language``'s catalogue, in name order (none for the source language)."""
    folder = CATALOGUE_DIR / language
    return sorted(folder.glob("*.po")) if folder.is_dir() else []


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    """``language``'s catalogue, read from its ``.po`` files once per process.

    The files are read with Babel and compiled in memory, so a checkout and an installed package both run
    straight from the ``.po`` files the translators edit; there is no build step to forget.
    """
    files = catalogue_files(language)
    if not files:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalogs = []
    for path in files:
        with path.open("rb") as handle:
            catalogs.append(read_po(handle, locale=language))
    merged = catalogs[0]  # its header (Plural-Forms) serves all: every file of a language has the same
    for catalog in catalogs[1:]:
        for message in catalog:
            if message.id:
                merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
