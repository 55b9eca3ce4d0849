"""What a new workbook says about segments: example segments on Settings and the How to use section on them.

The examples are written in the workbook's language, so that an owner sees a working filter to copy; the
section explains the language of :mod:`xlcrm.checks.segment_language` to someone who has never seen one.
"""

from __future__ import annotations

from xlcrm import schema
from xlcrm.checks.segment_language import CONSENT
from xlcrm.messages import Message, t

# (name, filter) of the segments a new workbook starts with.
EXAMPLE_SEGMENTS: tuple[tuple[Message, Message], ...] = (
    (t("Regular and partners with consent"), t("block in (Regular, Partner) and consent")),
    (t("Former clients to win back"), t("block = Dead and designation != Lost and consent")),
    (t("To call: no e-mail"), t("email is empty and phone is not empty and block != Dead")),
)

SEGMENTS_HEADING = t("Segments for mailings")
_HELP = (
    (
        None,
        t(
            "A segment is a group of clients chosen by a filter, for a mailing or a call list. Name it in {segment} "
            "and write its filter in {segment_filter} on {settings}, one per row; {segments} shows how many clients "
            "each one holds after every refresh, and the export writes them to a file:"
        ),
    ),
    (None, t('xlcrm export clients.xlsx --segment "Regular and partners with consent" --csv mailing.csv')),
    (
        t("Fields"),
        t(
            "Any column of {clients} by its header, and the computed ones: {fields}. {consent} means the client may "
            "be mailed: it gave consent, or is a company, or {settings} do not require consent."
        ),
    ),
    (
        t("Tests"),
        t(
            "= != < <= > >= compare numbers, dates (31.12.2026) and text; in (a, b) and not in (a, b): one of the "
            "values; contains and not contains: text that holds the value; is empty and is not empty. {block} takes "
            "a number or a name: {block} >= 5 means {regular} and above. Join tests with and, or, not and "
            "parentheses."
        ),
    ),
    (
        t("Values"),
        t(
            "Words as they are (Kazan, 5 Regular); put a value in quotes when it holds a comma, a parenthesis, "
            'and or or: "Ivanov and partners". Case, extra spaces and the letter yo do not matter.'
        ),
    ),
    (t("Example"), t("block in (Regular, Partner) and city = Kazan and consent")),
)


def segment_help(locale: str) -> list[tuple[str | None, str]]:
    """The How to use lines about segments in ``locale``: a label (or None) and its text."""
    computed = ", ".join(column.name(locale) for column in schema.CLIENT_COMPUTED_COLUMNS)
    names = {
        "segment": schema.SETTINGS.column("segment").name(locale),
        "segment_filter": schema.SETTINGS.column("segment_filter").name(locale),
        "settings": schema.SETTINGS.name(locale),
        "segments": schema.SEGMENTS.name(locale),
        "clients": schema.CLIENTS.name(locale),
        "fields": computed,
        "consent": CONSENT.name(locale).casefold(),
        "block": schema.CLIENT_COMPUTED_COLUMNS[0].name(locale).casefold(),
        "regular": schema.REGULAR.name(locale),
    }
    return [(label.render(locale) if label else None, text.render(locale).format(**names)) for label, text in _HELP]


def example_segments(locale: str) -> list[tuple[str, str]]:
    """The example segments of a new workbook in ``locale``: (name, filter)."""
    return [(name.render(locale), text.render(locale)) for name, text in EXAMPLE_SEGMENTS]
