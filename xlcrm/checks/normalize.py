"""Normalisation of the values people type: phones, emails, INN, dates, amounts.

Each parser returns a small result saying what it made of the value, so that
validation can report it and later stages can use the clean form without
rewriting what the user typed.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

from xlcrm.messages import Message, t

# Several numbers in one cell are separated by these (a comma inside a number is not expected).
_PHONE_SPLIT = re.compile(r"[;,/\n]|\s{2,}|\s+(?:или|or)\s+", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\"]{2,}$")
_EMAIL_SPLIT = re.compile(r"[;,\s]+")

# A year typed with two digits: 00-29 is 2000-2029 and 30-99 is 1930-1999, as Excel reads such a date (Python's
# own rule would make "12.11.64" a date in 2064, a birthday in the future).
TWO_DIGIT_YEAR = "%d.%m.%y"
_EXCEL_CENTURY_SWITCH = 2030
# Text date forms people type, tried in order: day first, as in Russia and most of Europe.
TEXT_DATE_FORMATS = (
    "%d.%m.%Y",
    TWO_DIGIT_YEAR,
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%Y.%m.%d",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)


def as_text(value: object) -> str:
    """A cell value as the text a person sees; whole floats lose their ``.0`` (phones, INN typed as numbers)."""
    if type(value) is str:  # most cells, first: asked millions of times on a big workbook
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def text_or_none(value: object) -> str | None:
    """A cell value as the text a person sees (``as_text``), None when the cell is blank (``is_blank``)."""
    if type(value) is str:  # most cells, first: asked for every distinct ID and name of a big workbook
        return value.strip() or None
    return None if is_blank(value) else as_text(value)


def is_blank(value: object) -> bool:
    """Whether a cell holds nothing: None, NaN or only spaces."""
    if type(value) is str:  # most cells, first: asked millions of times on a big workbook
        return not value.strip()
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


# --- phones -----------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneResult:
    numbers: tuple[str, ...]  # valid numbers in E.164, extension kept as ";ext=N"
    invalid: tuple[str, ...]  # the parts that are not valid numbers

    @property
    def valid(self) -> bool:
        """Whether every number in the cell was understood."""
        return not self.invalid


def parse_phones(value: object, region: str = "RU") -> PhoneResult:
    """Every phone number in a cell (``8 (916) 123-45-67, +7 495 …``) in E.164 form."""
    text = as_text(value)
    if region == "RU" and (mobile := _RU_MOBILE.fullmatch(text)):
        # The usual cell, one mobile number: single spaces, brackets and dashes, which _PHONE_SPLIT does not split.
        number = _ru_mobile(mobile)
        return PhoneResult((number,), ()) if number else PhoneResult((), (text,))
    numbers: list[str] = []
    invalid: list[str] = []
    for part in _PHONE_SPLIT.split(text):
        part = part.strip()
        if not part:
            continue
        number = _parse_phone(part, region)
        if number is None:
            invalid.append(part)
        elif number not in numbers:
            numbers.append(number)
    return PhoneResult(tuple(numbers), tuple(invalid))


def split_phone_cell(value: object) -> list[str]:
    """The numbers of a cell as typed, one string each (``"8 916 …, +7 495 …"`` -> two strings)."""
    return [part.strip() for part in _PHONE_SPLIT.split(as_text(value)) if part.strip()]


def _parse_phone(text: str, region: str) -> str | None:
    if region == "RU" and (mobile := _RU_MOBILE.fullmatch(text)):
        return _ru_mobile(mobile)
    digits = re.sub(r"\D", "", text.split("доб")[0].split("ext")[0])
    # Russian habit: 8 instead of +7 before a ten-digit number.
    if region == "RU" and len(digits) == 11 and digits[0] == "8" and not text.lstrip().startswith("+"):
        text = "+7" + text.lstrip()[1:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return f"{formatted};ext={parsed.extension}" if parsed.extension else formatted


# How most Russian cells hold a mobile number: +7, 7 or 8, then 9XX XXX-XX-XX grouped by spaces, brackets and
# dashes (a bare 7 is also how a number cell holding the phone reads). The national number is then plain (no
# national prefix to strip, no extension), so phonenumbers' full parse, about four times the cost, would give
# exactly +7 and these ten digits: only validity is asked.
_RU_MOBILE = re.compile(r"(?:\+?7|8) ?\(?(9\d\d)\)?[ -]?(\d{3})[ -]?(\d\d)[ -]?(\d\d)")


def _ru_mobile(mobile: re.Match[str]) -> str | None:
    """The number ``_RU_MOBILE`` matched, in E.164 form; None when it is not a valid one."""
    national = int("".join(mobile.groups()))
    return f"+7{national}" if valid_plus7(str(national)) else None


class _RegionPatterns:
    """One region's number patterns from phonenumbers' own metadata, compiled once.

    ``phonenumbers.is_valid_number`` walks these one by one for every call (about 70 µs); a base of a
    hundred thousand clients asks it for every phone, so the same test is made here with, per number
    length, one pattern for the region and one alternation of all its number types.
    """

    def __init__(self, region: str):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        assert metadata is not None, region  # the regions come from phonenumbers' own list
        self.leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        kinds = [
            metadata.premium_rate,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
            metadata.fixed_line,
        ]
        if not metadata.same_mobile_and_fixed_line_pattern:
            kinds.append(metadata.mobile)
        general = metadata.general_desc
        self._by_length: dict[int, tuple[re.Pattern[str], re.Pattern[str]]] = {}
        for length in range(1, 18):  # E.164 allows at most 15 digits after the country code
            general_pattern = _pattern_for(general, length)
            if general_pattern is None:
                continue
            patterns = [pattern for kind in kinds if (pattern := _pattern_for(kind, length)) is not None]
            if patterns:
                self._by_length[length] = (
                    re.compile(general_pattern),
                    re.compile("|".join(f"(?:{p})" for p in patterns)),
                )

    def has_type(self, national: str) -> bool:
        """Whether the number is of some known type (mobile, fixed line, toll free …) in this region."""
        found = self._by_length.get(len(national))
        return (
            found is not None and found[0].fullmatch(national) is not None and found[1].fullmatch(national) is not None
        )


def _pattern_for(desc: phonenumbers.PhoneNumberDesc | None, length: int) -> str | None:
    """The description's number pattern if a number of this length can match it (no lengths listed: any length)."""
    if desc is None or not desc.national_number_pattern:
        return None
    lengths = desc.possible_length or ()
    return desc.national_number_pattern if not lengths or length in lengths else None


# The regions sharing +7 (Russia, Kazakhstan), in the order phonenumbers tries them.
_PLUS7_REGIONS = [_RegionPatterns(region) for region in phonenumbers.region_codes_for_country_code(7)]


def valid_plus7(national: str) -> bool:
    """``phonenumbers.is_valid_number`` for +7 and these national digits, at a fraction of its cost.

    Same steps: the number belongs to the first region whose leading digits it starts with (or, for a
    region without them, whose patterns it matches), and is valid when it is of a known type there.
    """
    national = str(int(national)) if national else ""  # as PhoneNumber keeps it: a number, leading zeros gone
    for region in _PLUS7_REGIONS:
        if region.leading is not None:
            if region.leading.match(national):
                return region.has_type(national)
        elif region.has_type(national):
            return True
    return False


# --- emails -------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailResult:
    addresses: tuple[str, ...]  # lower-cased, without mailto: and spaces
    invalid: tuple[str, ...]

    @property
    def valid(self) -> bool:
        """Whether every address in the cell was understood."""
        return not self.invalid


def parse_emails(value: object) -> EmailResult:
    """Every email address in a cell, and the parts that are not addresses."""
    text = as_text(value)
    addresses: list[str] = []
    invalid: list[str] = []
    for part in _EMAIL_SPLIT.split(text):
        part = part.strip().strip("<>").strip()
        if not part:
            continue
        if part.lower().startswith("mailto:"):
            part = part[len("mailto:") :]
        address = part.lower()
        if _EMAIL.match(address):
            if address not in addresses:
                addresses.append(address)
        else:
            invalid.append(part)
    return EmailResult(tuple(addresses), tuple(invalid))


# --- INN --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InnResult:
    inn: str  # digits only, in ASCII digits (leading zeros restored when the cell held a number)
    valid: bool
    problem: Message | None = None  # what is wrong, when not valid


_SPACES_AND_DASHES = re.compile(r"[\s-]")


def parse_inn(value: object) -> InnResult:
    """A Russian taxpayer number: 10 digits (company) or 12 (individual), with a checksum."""
    text = _SPACES_AND_DASHES.sub("", as_text(value))
    if isinstance(value, (int, float)) and len(text) in (9, 11):
        text = "0" + text  # a number cell lost the leading zero
    if not text.isdecimal():  # not isdigit, which takes a superscript ² for a digit
        return InnResult(text, False, t("an INN has only digits"))
    text = _ascii_digits(text)  # typed in full-width or Arabic-Indic digits: the same number
    if len(text) not in (10, 12):
        return InnResult(text, False, t("an INN has 10 or 12 digits, this has {count}", count=len(text)))
    if not _inn_check_digits_match(text):
        return InnResult(text, False, t("the check digit is wrong (typo?)"))
    return InnResult(text, True)


# The weights of the INN's check digits: a company's one (its 10th digit) and a person's two (the 11th and 12th).
_COMPANY_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_PERSON_WEIGHTS = ((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
_ZERO = ord("0")


def _ascii_digits(decimal: str) -> str:
    """``decimal``, a text of decimal digits (``str.isdecimal``), in ASCII digits: ``７７`` and ``٧٧`` are ``77``."""
    return decimal if decimal.isascii() else "".join(str(unicodedata.decimal(digit)) for digit in decimal)


def _inn_check_digits_match(digits: str) -> bool:
    """Whether an INN of 10 or 12 ASCII digits has the right check digits: the rule of python-stdnum's
    ``stdnum.ru.inn``, summed here by the same weights (over the digits' character codes, less the code of 0 times the
    weights). A base of a hundred thousand clients asks it for every INN, and python-stdnum's cleaning of the text
    costs most of its time."""
    codes = digits.encode()
    for weights in (_COMPANY_WEIGHTS,) if len(codes) == 10 else _PERSON_WEIGHTS:
        weighted = sum(map(operator.mul, weights, codes)) - _ZERO * sum(weights)
        if weighted % 11 % 10 != codes[len(weights)] - _ZERO:
            return False
    return True


# --- dates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateResult:
    date: dt.date | None
    from_text: bool = False  # typed as text and read with one of TEXT_DATE_FORMATS

    @property
    def valid(self) -> bool:
        """Whether a date was found."""
        return self.date is not None


def parse_date(value: object) -> DateResult:
    """A real date cell, or a date typed as text in a common form (``05.03.2024``)."""
    if isinstance(value, dt.datetime):
        return DateResult(value.date())
    if isinstance(value, dt.date):
        return DateResult(value)
    if isinstance(value, str):
        text = value.strip()
        for fmt in TEXT_DATE_FORMATS:
            try:
                day = dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            if fmt == TWO_DIGIT_YEAR and day.year >= _EXCEL_CENTURY_SWITCH:
                day = day.replace(year=day.year - 100)  # "12.11.64": 1964, as Excel reads it, not 2064
            return DateResult(day, from_text=True)
    return DateResult(None)


# --- amounts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AmountResult:
    amount: float | None
    from_text: bool = False


_AMOUNT_NOISE = re.compile(r"[\s\u00a0\u202f]|руб\.?|₽|р\.|rub", re.IGNORECASE)


# One to three digits, a comma or a point, three digits: "1,500" is 1500 in an English file and 1.5 in a Russian
# one, "2.500" the other way round. Which one the typist meant cannot be told, so such text is no amount.
_THOUSANDS_OR_DECIMALS = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}")


def is_ambiguous_amount(value: object) -> bool:
    """Whether ``value`` is text whose one comma or point may as well group thousands as mark decimals."""
    return isinstance(value, str) and _THOUSANDS_OR_DECIMALS.fullmatch(_AMOUNT_NOISE.sub("", value)) is not None


def parse_amount(value: object) -> AmountResult:
    """A number, or text such as ``12 500,50 руб.``; None when it is not a number at all, or when its one comma or
    point may as well group thousands as mark decimals (``1,500``, ``2.500``)."""
    if isinstance(value, bool):
        return AmountResult(None)
    if isinstance(value, (int, float)):
        return AmountResult(float(value)) if math.isfinite(value) else AmountResult(None)
    if isinstance(value, str):
        if is_ambiguous_amount(value):
            return AmountResult(None)
        text = _AMOUNT_NOISE.sub("", value).replace(",", ".")
        try:
            return AmountResult(float(text), from_text=True)
        except ValueError:
            return AmountResult(None)
    return AmountResult(None)
