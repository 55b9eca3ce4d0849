"""The catalogue: every text the code says is in it in both languages, with the right plural forms."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.paths import REPO
from xlcrm.messages import Day, Number, Percent, choose_language, normalize_language, speaking, t, tn
from xlcrm.messages.catalogue import catalogue_files

PACKAGE = REPO / "xlcrm"
RUSSIAN_FILES = catalogue_files("ru")


def code_texts() -> Iterator[tuple[Path, int, str | tuple[str, str]]]:
    """Every text the package passes to t() and tn(): (file, line, msgid or (singular, plural))."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("t", "tn")):
                continue
            wanted = 1 if node.func.id == "t" else 2
            literals = node.args[:wanted]
            if len(literals) < wanted or not all(
                isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in literals
            ):
                raise AssertionError(f"{path}:{node.lineno}: {node.func.id}() needs its text as a literal string")
            texts = [arg.value for arg in literals if isinstance(arg, ast.Constant)]
            yield path, node.lineno, texts[0] if wanted == 1 else (texts[0], texts[1])


def russian_entries() -> dict[str, tuple[Path, object]]:
    """Every entry of the Russian catalogue: msgid → (file, message)."""
    entries: dict[str, tuple[Path, object]] = {}
    for path in RUSSIAN_FILES:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="ru")
        assert catalog.num_plurals == 3, f"{path.name}: Plural-Forms must give Russian's three forms"
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            assert key not in entries, f"{key!r} is in both {entries[key][0].name} and {path.name}"
            entries[key] = (path, message)
    return entries


def test_no_text_is_twice_in_one_file() -> None:
    """Babel keeps the last of two entries with one msgid without a word; the catalogue must not hold both."""
    for path in RUSSIAN_FILES:
        keys = re.findall(r'^(?:msgctxt "[^\n]*"\n)?msgid ((?:"[^\n]*"\n)+)', path.read_text(encoding="utf-8"), re.M)
        seen = [key for key in keys if key != '""\n']
        repeated = {key for key in seen if seen.count(key) > 1}
        assert not repeated, f"{path.name}: {sorted(repeated)} more than once"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_text_of_the_code_has_its_russian_translation() -> None:
    entries = russian_entries()
    missing = []
    for path, line, text in code_texts():
        key = text if isinstance(text, str) else text[0]
        if key not in entries:
            room = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
            missing.append(f"{path.relative_to(REPO)}:{line}: {key!r} (belongs in xlcrm/messages/ru/{room}.po)")
            continue
        message = entries[key][1]
        plural_in_code = not isinstance(text, str)
        plural_in_catalogue = isinstance(message.id, tuple)
        assert plural_in_code == plural_in_catalogue, f"{key!r}: plural in one place, not in the other"
    assert not missing, "texts without a Russian translation:\n" + "\n".join(missing)


def test_every_catalogue_entry_is_used_translated_and_complete() -> None:
    used = {text if isinstance(text, str) else text[0] for _, _, text in code_texts()}
    for key, (path, message) in russian_entries().items():
        where = f"{path.name}: {key!r}"
        assert key in used, f"{where} is in the catalogue but no code says it"
        assert not message.fuzzy, f"{where} is marked fuzzy"
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(form.strip() for form in forms), f"{where} lacks its Russian text"
        if isinstance(message.id, tuple):
            assert len(forms) == 3, f"{where} needs three Russian plural forms"
        for form in forms:
            assert placeholders(form) == placeholders(key), f"{where}: the Russian text fills other parameters"
            assert not re.search(r"\{[^}]*[:!][^}]*\}", form), f"{where}: parameters take no format spec"
        assert not re.search(r"\{[^}]*[:!][^}]*\}", key), f"{where}: parameters take no format spec"


RUSSIAN_PLURAL_INDEX = {1: 0, 2: 1, 5: 2, 11: 2, 21: 0, 101: 0, 22: 1, 12: 2, 111: 2}


@pytest.mark.parametrize("count", sorted(RUSSIAN_PLURAL_INDEX))
def test_russian_plural_forms_follow_the_count(count: int) -> None:
    plural_entries = [message for _, message in russian_entries().values() if isinstance(message.id, tuple)]
    if not plural_entries:
        pytest.fail("the catalogue has no plural texts to check")
    for message in plural_entries:
        singular, plural = message.id
        others = {name: f"<{name}>" for name in placeholders(singular) - {"count"}}
        rendered = tn(singular, plural, count, **others).render("ru")
        expected = message.string[RUSSIAN_PLURAL_INDEX[count]].format(count=Number(count).render("ru"), **others)
        assert rendered == expected, (count, rendered, expected)


@pytest.mark.parametrize("count", [1, 2, 5, 11, 21, 101])
def test_english_plural_is_singular_for_one_only(count: int) -> None:
    rendered = tn("{count} thing", "{count} things", count).render("en")
    assert rendered == f"{count} thing" if count == 1 else rendered == f"{count} things"


def test_untranslated_text_falls_back_to_english_and_fills_parameters() -> None:
    message = t("{who} has {what}", who="Анна", what=Number(1000))
    assert message.render("en") == "Анна has 1,000"
    assert message.render("ru") == "Анна has 1\xa0000"


def test_values_are_written_the_language_way() -> None:
    assert Number(1234.5, decimals=2).render("ru") == "1\xa0234,50"
    assert Number(1234.5, decimals=2).render("en") == "1,234.50"
    assert Day(dt.date(1956, 10, 17)).render("ru") == "17 октября 1956"
    assert Day(dt.date(1956, 10, 17)).render("en") == "17 October 1956"
    assert Percent(0.93).render("en") == "93%"
    assert Percent(0.93).render("ru") == "93\xa0%"


def test_str_renders_in_the_language_spoken() -> None:
    message = tn("{count} thing", "{count} things", 2)
    assert str(message) == "2 things"
    with speaking("ru"):
        assert str(t("{n}", n=Number(1000))) == "1\xa0000"
    assert str(t("{n}", n=Number(1000))) == "1,000"


@pytest.mark.parametrize(
    ("value", "language"),
    [
        ("ru_RU.UTF-8", "ru"),
        ("ru-RU", "ru"),
        ("Russian_Russia", "ru"),
        ("en_GB.UTF-8", "en"),
        ("C.UTF-8", None),
        ("POSIX", None),
        ("de_DE", None),
        ("ru:en", "ru"),
        ("", None),
        (None, None),
    ],
)
def test_locale_names_map_to_languages(value: str | None, language: str | None) -> None:
    assert normalize_language(value) == language


def test_language_precedence() -> None:
    assert choose_language("ru", "en", {"LC_ALL": "en_US.UTF-8"}) == "ru"
    assert choose_language(None, "en", {"LC_MESSAGES": "ru_RU.UTF-8"}) == "ru"
    assert choose_language(None, "ru", {"LANG": "en_US.UTF-8"}) == "ru"
    assert choose_language(None, "ru", {"LC_ALL": "C.UTF-8"}) == "ru"
    assert choose_language(None, None, {"LANG": "ru_RU.UTF-8"}) == "ru"
    assert choose_language(None, None, {}) == "en"


def test_a_number_is_written_the_same_whatever_was_written_before_it() -> None:
    """Numbers are written once per value and language and then remembered: -0.0 equals 0.0 to Python, yet each
    is written as itself, in either order."""
    from xlcrm.messages.catalogue import Number

    for first, second in ((-0.0, 0.0), (0.0, -0.0), (1, 1.0), (1.0, 1)):
        for decimals in (None, 2):
            alone = Number(second, decimals).render("ru")
            Number(first, decimals).render("ru")
            assert Number(second, decimals).render("ru") == alone
    assert Number(-0.0).render("ru") == "-0" and Number(0.0).render("ru") == "0"
    assert Number(-0.0, 2).render("ru") == "-0,00" and Number(0.0, 2).render("ru") == "0,00"
