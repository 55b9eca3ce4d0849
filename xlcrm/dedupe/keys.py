"""Matching keys: what a careful person compares when deciding that two client rows are one client.

The user's text is never rewritten here. Each function derives a key that
makes equal what people type differently: phones in E.164, emails lower-cased,
INN/OGRN validated, company names without legal forms and quotes, Latin
look-alike letters inside Cyrillic words (and the reverse) put right, and
everything transliterated into one Latin spelling so that ``Ромашка`` and
``Romashka`` meet. Person names become tokens that can be compared in any
order and against initials (``Петров И.И.`` / ``Иван Петров``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from stdnum.ru import ogrn as stdnum_ogrn

from xlcrm.checks.consent import SOLE_TRADER_FORMS
from xlcrm.checks.normalize import (
    as_text,
    is_blank,
    parse_emails,
    parse_inn,
    parse_phones,
    valid_plus7,
)

# Latin letters that look exactly like Cyrillic ones, both cases: the classic invisible typo.
_LATIN_LOOKALIKES = "AaBCcEeHKkMOoPpTXxYy"
_CYRILLIC_LOOKALIKES = "АаВСсЕеНКкМОоРрТХхУу"
_TO_CYRILLIC = str.maketrans(_LATIN_LOOKALIKES, _CYRILLIC_LOOKALIKES)
_TO_LATIN = str.maketrans(_CYRILLIC_LOOKALIKES, _LATIN_LOOKALIKES)

# One transliteration (close to the passport one); spelling variants of other systems are folded below. The demo
# spells its companies' domains with it too.
TRANSLITERATION = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "і": "i",
    "ї": "i",
    "є": "e",
    "ў": "u",
}
_TRANSLIT = str.maketrans(TRANSLITERATION)
# Spellings that different transliteration habits give for the same Russian letter, longest first.
_LATIN_VARIANTS = (
    ("shch", "sh"),
    ("sch", "sh"),
    ("kh", "h"),
    ("tz", "c"),
    ("ts", "c"),
    ("ja", "ya"),
    ("ia", "ya"),
    ("ju", "yu"),
    ("iu", "yu"),
    ("iy", "y"),
    ("yy", "y"),
    ("ij", "y"),
    ("ph", "f"),
    ("w", "v"),
    ("x", "ks"),
    ("j", "y"),
)

_CYRILLIC_LETTER = re.compile("[\u0400-\u04ff]")
_LATIN_LETTER = re.compile("[A-Za-z]")
_WORD = re.compile(r"[^\W\d_]+|\d+")

# Legal forms, as typed in Russian or English; removed from company names before comparing.
LEGAL_FORM_WORDS = frozenset(
    {
        "ооо",
        "оао",
        "зао",
        "пао",
        "ао",
        "нао",
        "ип",
        "нко",
        "ано",
        "тоо",
        "чп",
        "пбоюл",
        "фгуп",
        "гуп",
        "муп",
        "кфх",
        "снт",
        "тсж",
        "ooo",
        "oao",
        "zao",
        "pao",
        "ao",
        "ip",
        "llc",
        "ltd",
        "inc",
        "gmbh",
        "corp",
        "plc",
        "jsc",
        "ojsc",
        "cjsc",
        "pjsc",
        "llp",
        "lp",
        "ag",
        "oy",
        "bv",
        "srl",
        "sarl",
        "limited",
        "incorporated",
        "corporation",
    }
)
# Spelled-out legal forms (folded, ё as е), longest first so "закрытое акционерное общество" wins over its tail.
LEGAL_FORM_PHRASES = tuple(
    sorted(
        (
            "общество с ограниченной ответственностью",
            "закрытое акционерное общество",
            "открытое акционерное общество",
            "публичное акционерное общество",
            "непубличное акционерное общество",
            "акционерное общество",
            "индивидуальный предприниматель",
            "некоммерческая организация",
            "автономная некоммерческая организация",
            "limited liability company",
            "public limited company",
            "joint stock company",
            "private limited company",
        ),
        key=len,
        reverse=True,
    )
)
_ANY_LEGAL_FORM_PHRASE = re.compile("|".join(f" {re.escape(phrase)} " for phrase in LEGAL_FORM_PHRASES))


# --- identifiers -----------------------------------------------------------------------------


def phone_keys(value: object, region: str = "RU") -> frozenset[str]:
    """Every valid number in a cell in E.164 (``8 (916) 123-45-67`` -> ``+79161234567``), extension dropped.

    An extension is a desk behind the same line; the line is what identifies the client.
    """
    if is_blank(value):
        return frozenset()
    text = as_text(value)
    plain = _plain_russian_number(text) if region == "RU" else None
    if plain is not None:
        return frozenset((plain,)) if valid_plus7(plain[2:]) else frozenset()
    return frozenset(number.split(";", 1)[0] for number in parse_phones(text, region).numbers)


# ASCII digits only: a number typed in other digits goes to the parser, which turns them into ASCII.
_PLAIN_PHONE = re.compile(r"^\+?[0-9\s().-]+$")
_NON_DIGIT = re.compile(r"[^0-9]")


def _plain_russian_number(text: str) -> str | None:
    """``8 (916) 123-45-67`` / ``+7 916 1234567`` as E.164 without a parser: most cells of a big base look so."""
    if not _PLAIN_PHONE.match(text):
        return None
    digits = _NON_DIGIT.sub("", text)
    if len(digits) == 11 and (digits[0] == "7" or digits[0] == "8" and not text.startswith("+")):
        return "+7" + digits[1:]
    return None


def email_keys_column(values: pd.Series) -> list[frozenset[str]]:
    """``email_keys`` of a whole column: a single plain address per cell (most cells) without the parser."""
    text = values.map(as_text).str.strip().str.lower()
    simple = text.str.fullmatch(_SIMPLE_EMAIL).fillna(False).astype(bool)
    return [
        frozenset((cell,)) if is_simple else email_keys(cell) if cell else frozenset()
        for cell, is_simple in zip(text.to_numpy(dtype=object), simple.to_numpy())
    ]


_SIMPLE_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}")


def email_keys(value: object) -> frozenset[str]:
    """Every valid address in a cell, lower-cased, without ``mailto:`` and spaces."""
    if is_blank(value):
        return frozenset()
    return frozenset(parse_emails(value).addresses)


def tax_id_key(value: object) -> str | None:
    """``inn:…`` or ``ogrn:…`` for a valid Russian INN or OGRN (people put either in the INN column), else None.

    Only valid numbers count: a typo must not make two clients look the same or different.
    """
    if is_blank(value):
        return None
    # Validation's own reading, so that an INN is a key exactly when validation finds it valid; its digits come
    # back in ASCII, so an INN typed in full-width or Arabic-Indic digits meets the same number typed plainly.
    inn = parse_inn(value)
    if inn.valid:
        return "inn:" + inn.inn
    digits = inn.inn
    if len(digits) in (13, 15) and digits.isdecimal() and stdnum_ogrn.is_valid(digits):
        return "ogrn:" + digits
    return None


# --- text --------------------------------------------------------------------------------------


def fix_lookalikes(word: str) -> str:
    """A word written mostly in Cyrillic with Latin look-alike letters in it gets Cyrillic ones, and the reverse.

    ``Рoмашка`` (Latin o) -> ``Ромашка``; ``Rоmashka`` (Cyrillic о) -> ``Romashka``.
    """
    if not (_CYRILLIC_LETTER.search(word) and _LATIN_LETTER.search(word)):
        return word
    cyrillic = len(_CYRILLIC_LETTER.findall(word))
    latin = len(_LATIN_LETTER.findall(word))
    return word.translate(_TO_CYRILLIC if cyrillic >= latin else _TO_LATIN)


@lru_cache(maxsize=262_144)
def latin_word(word: str) -> str:
    """A folded word in the one Latin spelling keys use: transliterated, variant spellings folded."""
    if word.isdigit() and word.isascii():
        return word  # a number ("Филиал 12") has nothing to transliterate or fold
    text = word.translate(_TRANSLIT)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    for variant, canonical in _LATIN_VARIANTS:
        text = text.replace(variant, canonical)
    return text


def words(text: object) -> list[str]:
    """Folded words of a cell: look-alikes put right per word, lower case, ё as е, punctuation and quotes gone."""
    return _joined_words(as_text(text)).split() if not is_blank(text) else []


def _joined_words(text: str) -> str:
    """The folded words of ``text`` (see ``words``) joined by single spaces; "" when it has none."""
    found = _WORD.findall(text)  # quotes and marks are not word characters, so they fall away here
    if _CYRILLIC_LETTER.search(text) and _LATIN_LETTER.search(text):
        found = [fix_lookalikes(word) for word in found]
    # Folded in one go, not word by word: casefold maps each character on its own, and no word character folds to
    # a space, so the words stay as they were.
    return " ".join(found).casefold().replace("ё", "е")


def text_key(text: object) -> str:
    """Words in Latin spelling, joined by spaces: the key of any plain text."""
    return " ".join(map(latin_word, words(text)))


# English names of cities that transliteration does not bring together (keys of both sides).
CITY_EXONYMS = {
    "moscov": "moskva",
    "saint petersburg": "sankt peterburg",
    "st petersburg": "sankt peterburg",
    "spb": "sankt peterburg",
    "msk": "moskva",
    "kiev": "kiyev",
    "kyiv": "kiyev",
    "nizhny novgorod": "nizhniy novgorod",
}
_CITY_PREFIXES = ("g ", "gorod ", "city of ")


@lru_cache(maxsize=65_536)
def city_key(text: object) -> str:
    """A city in Latin spelling without "г." in front, English names mapped to the Russian ones."""
    key = text_key(text)
    for prefix in _CITY_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return CITY_EXONYMS.get(key, key)


# --- companies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyName:
    key: str  # words without legal form, in Latin spelling: "romashka"
    legal_form: str  # the form found, folded ("ооо", "llc"), or ""
    individual: bool  # ИП and the like: the name is a person's name

    def __bool__(self) -> bool:
        return bool(self.key)


def company_name(value: object) -> CompanyName:
    """``ООО "Ромашка"``, ``Romashka LLC``, ``Общество с ограниченной ответственностью «Ромашка»``: ``romashka``."""
    return _company_name(as_text(value)) if not is_blank(value) else CompanyName("", "", False)


@lru_cache(maxsize=131_072)
def _company_name(value: str) -> CompanyName:
    folded = _joined_words(value)
    if not folded:
        return CompanyName("", "", False)
    joined = f" {folded} "
    form = ""
    if _ANY_LEGAL_FORM_PHRASE.search(joined):  # most names spell out no legal form: one search says so
        for phrase in LEGAL_FORM_PHRASES:
            if f" {phrase} " in joined:
                joined = joined.replace(f" {phrase} ", " ", 1)
                form = form or phrase
    tokens = joined.split()
    kept = [token for token in tokens if token not in LEGAL_FORM_WORDS]
    if not kept:  # a company called just "АО" is still a name
        kept = tokens
    form = form or next((token for token in tokens if token in LEGAL_FORM_WORDS), "")
    return CompanyName(" ".join(map(latin_word, kept)), form, form in SOLE_TRADER_FORMS)


# --- people -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonName:
    """Tokens of a person's name in Latin spelling, in any order; initials kept apart."""

    full: tuple[str, ...]  # "petrov", "ivan"
    initials: tuple[str, ...]  # "i", "i" for "И.И."

    def __bool__(self) -> bool:
        return bool(self.full or self.initials)

    @property
    def size(self) -> int:
        """How many name tokens there are, full words and initials together."""
        return len(self.full) + len(self.initials)


def person_name(value: object) -> PersonName:
    """``Петров И.И.`` -> full ("petrov",), initials ("i", "i"); ``Ivan Petrov`` -> full ("ivan", "petrov")."""
    return _person_name(as_text(value)) if not is_blank(value) else PersonName((), ())


@lru_cache(maxsize=131_072)
def _person_name(value: str) -> PersonName:
    full: list[str] = []
    initials: list[str] = []
    for word in words(value):
        if word.isdigit():
            continue
        latin = latin_word(word)
        if not latin:
            continue
        if len(word) == 1:
            initials.append(latin[0])
        else:
            full.append(latin)
    return PersonName(tuple(full), tuple(initials))


# Two full name tokens are the same name from this similarity on (a typo or a gender ending: Смирнов/Смирнова).
NAME_TOKEN_SIMILARITY = 85
# One slip (a letter missed, doubled, wrong or two swapped) in a name this long still counts as the same name,
# with this similarity: Егор/Егро is 75 by plain ratio, yet obviously a typo.
ONE_SLIP_MIN_LENGTH = 4
ONE_SLIP_SIMILARITY = 90
# How much an initial standing for a full name, and a part missing on one side, count against a full match.
_INITIAL_WEIGHT = 0.9
_MISSING_WEIGHT = 0.6


@dataclass(frozen=True)
class NameComparison:
    similarity: int  # 0-100
    conflict: bool  # a part of the name contradicts the other (Иван vs Пётр, А. vs Б.)
    partial: bool = False  # in a conflict: some part agrees (the surname, say), so a typo may be to blame


# Worked out once per distinct pair of names: blocking pairs the clients of a common name with one another, so a big
# base compares the same few names over and over.
@lru_cache(maxsize=65_536)
def compare_people(first: PersonName, second: PersonName) -> NameComparison:
    """How alike two person names are, in any token order and with initials standing for names.

    ``Петров И.И.`` vs ``Петров Иван Иванович`` is 93; ``Иван Петров`` vs ``Петров Иван Иванович``
    is 87 (a part missing on one side); ``Смирнов Андрей`` vs ``Смирнов Алексей`` is a conflict.
    """
    if not first or not second:
        return NameComparison(0, False)
    if first == second and first.full:
        return NameComparison(100, False)
    left_full, right_full = list(first.full), list(second.full)
    candidates = sorted(
        ((_token_similarity(a, b), i, j) for i, a in enumerate(left_full) for j, b in enumerate(right_full)),
        reverse=True,
    )
    used_left: set[int] = set()
    used_right: set[int] = set()
    ratios: list[float] = []
    for ratio, i, j in candidates:
        if ratio < NAME_TOKEN_SIMILARITY:
            break
        if i in used_left or j in used_right:
            continue
        used_left.add(i)
        used_right.add(j)
        ratios.append(ratio)
    if not ratios:
        # No full token in common: the same person cannot be told from these names.
        return NameComparison(0, bool(left_full and right_full))
    rest_left = [left_full[i] for i in range(len(left_full)) if i not in used_left]
    rest_right = [right_full[j] for j in range(len(right_full)) if j not in used_right]
    initials_left, initials_right = list(first.initials), list(second.initials)
    matched_initials = _match_initials(rest_left, initials_right) + _match_initials(rest_right, initials_left)
    matched_initials += _match_initials(initials_left, initials_right)
    # Whatever is left on both sides contradicts; what is left on one side only is a part the other omits.
    left_over = len(rest_left) + len(initials_left)
    right_over = len(rest_right) + len(initials_right)
    if left_over and right_over:
        return NameComparison(0, True, partial=True)
    longest = max(first.size, second.size)
    credit = len(ratios) + _INITIAL_WEIGHT * matched_initials + _MISSING_WEIGHT * (left_over + right_over)
    similarity = sum(ratios) / len(ratios) * credit / longest
    return NameComparison(round(similarity), False)


def _token_similarity(first: str, second: str) -> float:
    ratio = fuzz.ratio(first, second)
    if (
        ratio < ONE_SLIP_SIMILARITY
        and min(len(first), len(second)) >= ONE_SLIP_MIN_LENGTH
        and OSA.distance(first, second, score_cutoff=1) <= 1
    ):
        return ONE_SLIP_SIMILARITY
    return ratio


def _match_initials(names: list[str], initials: list[str]) -> int:
    """Pair names (or initials) with initials by first letter, removing the pairs from both lists."""
    matched = 0
    for name in list(names):
        if name[:1] in initials:
            initials.remove(name[:1])
            names.remove(name)
            matched += 1
    return matched


def compare_companies(first: CompanyName, second: CompanyName) -> int:
    """0-100: how alike two company names are once legal forms, quotes and alphabets are set aside."""
    if not first or not second:
        return 0
    if first.key == second.key:
        return 100
    if first.individual or second.individual:
        # ИП Смирнов А.В. is a person's name: initials and word order must be understood.
        people = compare_people(person_name(first.key), person_name(second.key))
        return 0 if people.conflict else people.similarity
    numbers, other_numbers = _numbers(first.key), _numbers(second.key)
    if numbers != other_numbers and numbers and other_numbers:
        return 0  # "Школа № 5" and "Школа № 7", "Филиал 1" and "Филиал 2": alike in letters, other places
    return round(fuzz.token_sort_ratio(first.key, second.key))


_NUMBERS = re.compile(r"\d+")


@lru_cache(maxsize=131_072)
def _numbers(key: str) -> tuple[str, ...]:
    """The numbers in a company's key, in order; found once per company, which is compared with many others."""
    return tuple(_NUMBERS.findall(key))


def fingerprint(value: object) -> str:
    """OpenRefine's fingerprint key: folded, punctuation gone, unique tokens sorted (a baseline to compare with)."""
    text = (
        unicodedata.normalize("NFKD", as_text(value)).encode("ascii", "ignore").decode("ascii")
        if not any("\u0400" <= ch <= "\u04ff" for ch in as_text(value))
        else as_text(value)
    )
    tokens = re.sub(r"[^\w\s]", "", text.strip().casefold()).split()
    return " ".join(sorted(set(tokens)))
