"""The segment language: a filter over clients, read into a tree that :mod:`xlcrm.lifecycle.segments` evaluates.

A filter is one or more conditions joined by ``and`` / ``or`` (``и`` / ``или``), each perhaps negated by
``not`` (``не``), grouped with parentheses; ``and`` binds tighter than ``or``. A condition names a field and
tests it::

    block in (Regular, Partner) and city = Казань and consent
    блок в (Постоянные, Партнёры) и город = Казань и согласие
    orders >= 3 and last order < 01.06.2026 or email is empty

Fields are the columns of Clients by their header in either language or their key (case, spaces and ё do not
matter), the columns xlcrm computes there (block, orders, revenue, first and last order, last and next contact),
``consent`` (``согласие``): the client may be mailed, and the owner's own Clients columns by their header
(:mod:`xlcrm.checks.own_fields`, passed in as ``own``: the language itself knows no workbook); a field of xlcrm's
wins over an own column of the same name. Tests:

======================================  =====================================================
``= != < <= > >=``                      numbers (``12 500,50``), dates (``31.12.2026``, ``2026-12-31``), text
                                        (compared without regard to case, spaces and ё), blocks (by number)
``in (a, b)``, ``not in (…)``           ``в (…)``, ``не в (…)``: one of the values, separated by commas
``contains``, ``not contains``          ``содержит``, ``не содержит``: text that holds the value
``is empty``, ``is not empty``          ``пусто``, ``не пусто``
a yes/no field alone                    ``consent``, ``not consent``
======================================  =====================================================

A value is bare words (``Казань``, ``5 Постоянные``), up to ``and``, ``or``, a comma or a parenthesis, or
quoted with ``"…"`` or ``«…»`` when it holds one of those. A decimal comma (``12,5``) is read as such outside a
list; inside ``in (…)`` commas separate the values, so a decimal there takes a point or quotes. A filter that
cannot be read raises :class:`SegmentFilterError`, which names the character where reading stopped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum

from xlcrm import schema
from xlcrm.checks.normalize import is_ambiguous_amount, parse_amount, parse_date
from xlcrm.errors import UsageError
from xlcrm.messages import Message, t


class SegmentFilterError(UsageError):
    """A segment filter that cannot be read (a bad option value when typed on the command line); ``position`` is
    the character (from 1) where reading stopped."""

    def __init__(self, message: Message, position: int = 1) -> None:
        super().__init__(message)
        self.position = position


class FieldKind(str, Enum):
    """What a field holds, which decides how its values are read and which tests apply."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BLOCK = "block"  # a lifecycle block, compared by its number
    DESIGNATION = "designation"  # a built-in designation, in either language
    YES_NO = "yes_no"


@dataclass(frozen=True)
class Field:
    """A field a filter can test: its key (a Clients column key, a computed column key or ``consent``), names and
    kind."""

    key: str
    en: str
    ru: str
    kind: FieldKind
    own: bool = False  # one of the owner's own Clients columns, read by its header (``en`` and ``ru``)

    def name(self, locale: str) -> str:
        """The field's name in ``locale``."""
        return self.ru if locale == "ru" else self.en

    def typed_name(self, locale: str) -> str:
        """The field's name in ``locale`` as a filter or ``--columns`` takes it: xlcrm's without the unit after its
        comma (``Скидка`` for ``Скидка, %``), since a comma there separates values and columns."""
        return self.name(locale) if self.own else self.name(locale).partition(",")[0]


_KINDS = {
    schema.Kind.DATE: FieldKind.DATE,
    schema.Kind.MONEY: FieldKind.NUMBER,
    schema.Kind.NUMBER: FieldKind.NUMBER,
}


def _field(column: schema.Column) -> Field:
    if column.key == "block":
        kind = FieldKind.BLOCK
    elif column.key == "designation":
        kind = FieldKind.DESIGNATION
    else:
        kind = _KINDS.get(column.kind, FieldKind.TEXT)
    return Field(column.key, column.en, column.ru, kind)


# Every field, in the order the error for an unknown one lists them: Clients, the computed columns, consent.
CONSENT = Field("consent", "Consent", "Согласие", FieldKind.YES_NO)
FIELDS = (
    *(_field(column) for column in schema.CLIENTS.columns),
    *(_field(column) for column in schema.CLIENT_COMPUTED_COLUMNS),
    CONSENT,
)


def find_field(name: str, own: Sequence[Field] = ()) -> Field | None:
    """The field ``name`` stands for: its name in either language or its key (``last_order``, ``last order``); a
    computed column's header as the Clients sheet shows it (``▸ Выручка``) names it too; then one of the owner's
    columns ``own`` by its header; then a name without the unit after its comma (``скидка`` for ``Скидка, %``: in a
    filter and in ``--columns`` a comma separates values and columns), after the owner's columns so that a column
    «Скидка» the owner kept before xlcrm had one is still the one read."""
    wanted = field_name(name)
    for item in FIELDS:
        if wanted in (schema.fold(item.en), schema.fold(item.ru), schema.fold(item.key.replace("_", " "))):
            return item
    found = next((item for item in own if field_name(item.en) == wanted), None)
    if found is not None:
        return found
    return next((item for item in FIELDS if wanted in (_without_unit(item.en), _without_unit(item.ru))), None)


def _without_unit(name: str) -> str | None:
    """``name`` folded without the unit after its comma (``Скидка, %``: ``скидка``); None when it has none."""
    short, comma, _unit = name.partition(",")
    return schema.fold(short) if comma else None


def field_name(name: str) -> str:
    """``name`` as fields are matched by: folded, an underscore as a space, without the ``▸`` of a computed one."""
    return schema.fold(name.replace("_", " ").strip().removeprefix(schema.REPORT_MARKER.strip()))


def known_fields(locale: str, own: Sequence[Field] = ()) -> str:
    """The names of every field (xlcrm's in ``locale``, then the owner's ``own``), for an error at an unknown one."""
    return ", ".join(item.typed_name(locale) for item in (*FIELDS, *own))


# --- the tree --------------------------------------------------------------------------------------------------

Value = str | float | dt.date | int | bool


@dataclass(frozen=True)
class Condition:
    """One test of a field. ``operator`` is one of ``= < <= > >= in contains empty yes``; ``values`` are read for
    the field's kind (text folded, a block as its number, a designation as its key); ``negated`` turns it round
    (``!=``, ``not in``, ``is not empty``)."""

    field: Field
    operator: str
    values: tuple[Value, ...] = ()
    negated: bool = False


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class AllOf:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[Node, ...]


Node = Condition | Not | AllOf | AnyOf


@dataclass(frozen=True)
class SegmentFilter:
    """A filter as typed, and its tree."""

    text: str
    root: Node

    def fields(self) -> set[str]:
        """The keys of the fields the filter tests."""
        return {condition.field.key for condition in self.conditions()}

    def own_fields(self) -> set[Field]:
        """The owner's own columns the filter tests."""
        return {condition.field for condition in self.conditions() if condition.field.own}

    def conditions(self) -> Iterator[Condition]:
        """Every condition of the filter, left to right."""
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, Condition):
                yield node
            elif isinstance(node, Not):
                stack.append(node.operand)
            else:
                stack.extend(reversed(node.operands))


# --- words -----------------------------------------------------------------------------------------------------

# Keywords in either language, folded, by what they mean.
_KEYWORDS = {
    "and": "and",
    "и": "and",
    "or": "or",
    "или": "or",
    "not": "not",
    "не": "not",
    "in": "in",
    "в": "in",
    "contains": "contains",
    "содержит": "contains",
    "is": "is",
    "empty": "empty",
    "пусто": "empty",
}
_COMPARISONS = ("<=", ">=", "!=", "<>", "==", "=", "<", ">")
_SAME_SIGNS = {"<>": "!=", "==": "="}
_QUOTES = {'"': '"', "«": "»", "“": "”", "„": "“"}
_STOPS = frozenset("()=!<>,") | frozenset(_QUOTES)
# Single quotes (typed out of habit from SQL or a shell) quote a value only where a token begins: inside a word an
# apostrophe is a letter (O'Neil, Д'Артаньян).
_SINGLE_QUOTES = {"'": "'", "‘": "’"}
# Shown when a value is missing or a field is tested by no operator.
_OPERATORS = "=, !=, <, <=, >, >=, in (…), not in (…), contains, is empty, is not empty"


@dataclass(frozen=True)
class Token:
    """A piece of the filter: ``word``, ``quoted`` (text in quotes), ``sign`` (a comparison), ``(``, ``)``, ``,``
    or ``end``; ``start`` and ``end`` are character offsets (from 0)."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str | None:
        """What the word means as a keyword (``and``, ``not``, …), None for any other token."""
        return _KEYWORDS.get(schema.fold(self.text)) if self.kind == "word" else None


def tokens(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token; raises SegmentFilterError at an unclosed quote or a
    sign that is no comparison."""
    found: list[Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
        elif char in _QUOTES or char in _SINGLE_QUOTES:
            close = text.find({**_QUOTES, **_SINGLE_QUOTES}[char], position + 1)
            if close < 0:
                raise _error(text, position, t("the quote opened here is not closed"))
            found.append(Token("quoted", text[position + 1 : close], position, close + 1))
            position = close + 1
        elif char in "(),":
            found.append(Token(char, char, position, position + 1))
            position += 1
        elif char in "=!<>":
            sign = next((s for s in _COMPARISONS if text.startswith(s, position)), None)
            if sign is None:
                raise _error(text, position, t('"{sign}" is no comparison; "not equal" is written !=', sign=char))
            found.append(Token("sign", _SAME_SIGNS.get(sign, sign), position, position + len(sign)))
            position += len(sign)
        else:
            end = position
            while end < len(text) and not text[end].isspace() and text[end] not in _STOPS:
                end += 1
            found.append(Token("word", text[position:end], position, end))
            position = end
    found.append(Token("end", "", len(text), len(text)))
    return found


def _error(text: str, offset: int, problem: Message) -> SegmentFilterError:
    """The error at character ``offset`` (from 0) of ``text``: its position from 1 and the text there."""
    rest = " ".join(text[offset:].split())
    if not rest:
        message = t("at {position} (the end of the filter): {problem}", position=offset + 1, problem=problem)
    else:
        shown = rest if len(rest) <= 20 else rest[:20] + "…"
        message = t('at {position} ("{text}"): {problem}', position=offset + 1, text=shown, problem=problem)
    return SegmentFilterError(message, offset + 1)


# --- the parser ------------------------------------------------------------------------------------------------


def parse_filter(text: str, locale: str = schema.DEFAULT_LOCALE, own: Sequence[Field] = ()) -> SegmentFilter:
    """The filter ``text`` as a tree, its fields xlcrm's and the owner's columns ``own``; raises SegmentFilterError
    naming the position where it cannot be read (an unknown field's error lists the known ones, xlcrm's named in
    ``locale``)."""
    if not text.strip():
        raise SegmentFilterError(t("the filter is empty: write a condition such as city = Kazan and consent"))
    return _Parser(text, tokens(text), locale, tuple(own)).parse()


# How many groups and nots a filter may hold inside one another; no one types more, and a deeper text would
# exhaust Python's stack instead of getting an error with a position.
MAX_NESTING = 100


@dataclass
class _Parser:
    """Recursive descent over the tokens: ``or`` of ``and`` of ``not`` of a condition or a group in parentheses."""

    text: str
    tokens: list[Token]
    locale: str
    own: tuple[Field, ...]
    position: int = field(default=0)
    depth: int = field(default=0)  # groups and nots opened so far, bounded so Python's stack is never exhausted

    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.token
        self.position += 1
        return token

    def fail(self, problem: Message, token: Token | None = None) -> SegmentFilterError:
        return _error(self.text, (token or self.token).start, problem)

    def parse(self) -> SegmentFilter:
        root = self.any_of()
        if self.token.kind != "end":
            found = self.token.text
            if self.token.kind == ")":
                raise self.fail(t('")" closes no "("'))
            raise self.fail(t('expected "and" or "or" after a condition, found "{found}"', found=found))
        return SegmentFilter(self.text, root)

    def any_of(self) -> Node:
        operands = [self.all_of()]
        while self.token.keyword == "or":
            self.advance()
            operands.append(self.all_of())
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def all_of(self) -> Node:
        operands = [self.negation()]
        while self.token.keyword == "and":
            self.advance()
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def negation(self) -> Node:
        if self.token.keyword == "not" or self.token.kind == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise self.fail(t("more than {limit} parentheses and nots inside one another", limit=MAX_NESTING))
        if self.token.keyword == "not" and not self.names_field():
            self.advance()
            return Not(self.negation())
        if self.token.kind == "(":
            opening = self.advance()
            inside = self.any_of()
            if self.token.kind != ")":
                raise self.fail(t('expected ")" to close the "(" at {position}', position=opening.start + 1))
            self.advance()
            return inside
        return self.condition()

    def skip(self, keyword: str) -> bool:
        """Whether the current token is ``keyword``, passed over when it is."""
        if self.token.keyword != keyword:
            return False
        self.advance()
        return True

    def condition(self) -> Condition:
        subject = self.field()
        if self.token.kind == "sign":
            return self.comparison(subject)
        after_field = self.token
        negated = self.skip("not")
        if not negated and self.skip("is"):
            negated = self.skip("not")
            if self.token.keyword != "empty":
                raise self.fail(t('expected "empty" or "not empty" after "is"'))
        operator = self.token
        if self.skip("empty"):
            return Condition(subject, "empty", (), negated)
        if self.skip("in"):
            return self.checked(Condition(subject, "in", self.values(subject, operator), negated), operator)
        if self.skip("contains"):
            value = self.value(subject, operator, in_list=False)
            return self.checked(Condition(subject, "contains", (value,), negated), operator)
        if negated:
            raise self.fail(t('expected "in", "contains" or "empty" after "not"'))
        if subject.kind is FieldKind.YES_NO and (
            after_field.keyword in ("and", "or") or after_field.kind in (")", "end")
        ):
            return Condition(subject, "yes")
        raise self.fail(
            t('expected a test after "{field}": {operators}', field=subject.name(self.locale), operators=_OPERATORS)
        )

    def comparison(self, subject: Field) -> Condition:
        """``subject`` compared by the sign at the current token with the value after it."""
        sign = self.advance()
        value = self.value(subject, sign, in_list=False)
        negated = sign.text == "!="
        return self.checked(Condition(subject, "=" if negated else sign.text, (value,), negated), sign)

    def names_field(self) -> bool:
        """Whether the words from the current token, the first a keyword, name a field whole: «не» of «Не оплачено
        с» is no negation."""
        words = [self.token.text]
        for token in self.tokens[self.position + 1 :]:
            if token.kind != "word" or token.keyword is not None:
                break
            words.append(token.text)
        return len(words) > 1 and find_field(" ".join(words), self.own) is not None

    def field(self) -> Field:
        words: list[Token] = []
        if self.token.keyword == "not" and self.names_field():
            words.append(self.advance())
        while self.token.kind == "word" and self.token.keyword is None:
            words.append(self.advance())
        if not words:
            found = self.token.text
            if self.token.kind == "end":
                raise self.fail(t("expected a field name"))
            raise self.fail(t('expected a field name, found "{found}"', found=found))
        name = " ".join(word.text for word in words)
        found_field = find_field(name, self.own)
        if found_field is None:
            known = known_fields(self.locale, self.own)
            raise self.fail(t('unknown field "{name}"; the fields are: {known}', name=name, known=known), words[0])
        return found_field

    def values(self, subject: Field, operator: Token) -> tuple[Value, ...]:
        if self.token.kind != "(":
            raise self.fail(
                t('expected "(" after "{operator}": a list of values such as (a, b)', operator=operator.text)
            )
        opening = self.advance()
        values = [self.value(subject, opening, in_list=True)]
        while self.token.kind == ",":
            values.append(self.value(subject, self.advance(), in_list=True))
        if self.token.kind != ")":
            raise self.fail(t('expected "," or ")" in the list of values'))
        self.advance()
        return tuple(values)

    def value(self, subject: Field, after: Token, *, in_list: bool) -> Value:
        """The value that follows ``after``, read for the field's kind."""
        start = self.token
        if start.kind == "quoted":
            self.advance()
            return self.typed(subject, start.text, start)
        words: list[Token] = []
        while self.token.kind == "word" and self.token.keyword not in ("and", "or"):
            words.append(self.advance())
            glued = self.decimal_comma(words[-1]) if not in_list else None
            if glued is not None:
                words[-1] = glued
        if not words:
            raise self.fail(t('expected a value after "{after}"', after=after.text))
        text = " ".join(word.text for word in words)
        return self.typed(subject, text, start)

    def decimal_comma(self, word: Token) -> Token | None:
        """``word`` joined with a comma and the digits right after it (``12,5``), or None when none follow."""
        comma, following = self.token, self.tokens[min(self.position + 1, len(self.tokens) - 1)]
        if not (comma.kind == "," and comma.start == word.end and following.kind == "word"):
            return None
        if following.start != comma.end or not (word.text[-1:].isdigit() and following.text[:1].isdigit()):
            return None
        self.position += 2
        return Token("word", f"{word.text},{following.text}", word.start, following.end)

    def typed(self, subject: Field, text: str, where: Token) -> Value:
        """``text`` read as a value of the field's kind; raises SegmentFilterError when it is none."""
        kind = subject.kind
        if kind is FieldKind.NUMBER:
            number = parse_amount(text).amount
            if number is None and is_ambiguous_amount(text):
                raise self.fail(
                    t(
                        '"{value}": a thousand or a fraction? Write it without the separator, or with two decimals',
                        value=text,
                    ),
                    where,
                )
            if number is None:
                raise self.fail(t('"{value}" is not a number', value=text), where)
            return number
        if kind is FieldKind.DATE:
            day = parse_date(text).date
            if day is None:
                raise self.fail(t('"{value}" is not a date such as 31.12.2026 or 2026-12-31', value=text), where)
            return day
        if kind is FieldKind.BLOCK:
            block = schema.match_block(text)
            if block is None:
                raise self.fail(
                    t(
                        '"{value}" is not a block: a number from 1 to 8 or a name such as {example}',
                        value=text,
                        example=schema.REGULAR.label(self.locale),
                    ),
                    where,
                )
            return block.number
        if kind is FieldKind.DESIGNATION:
            return self.listed(text, schema.DESIGNATIONS, where)
        if kind is FieldKind.YES_NO:
            return self.listed(text, (schema.YES, schema.NO), where) == schema.YES.key
        return schema.fold(text)

    def listed(self, text: str, values: tuple[schema.ListValue, ...], where: Token) -> str:
        match = schema.match_list_value(text, values)
        if match is None:
            choices = ", ".join(value.name(self.locale) for value in values)
            raise self.fail(t('"{value}" is none of {choices}', value=text, choices=choices), where)
        return match.key

    def checked(self, condition: Condition, operator: Token) -> Condition:
        """``condition``, when its operator works on its field's kind; raises SegmentFilterError otherwise."""
        kind, name = condition.field.kind, condition.field.name(self.locale)
        if condition.operator == "contains" and kind is not FieldKind.TEXT:
            raise self.fail(
                t('"{operator}" works on text; "{field}" is not text', operator=operator.text, field=name), operator
            )
        ordering = condition.operator in ("<", "<=", ">", ">=")
        if ordering and kind is FieldKind.TEXT and condition.field.own:
            raise self.fail(
                t(
                    '"{operator}" compares numbers and dates; not every filled cell of "{field}" reads as one: '
                    "use =, in (…) or contains",
                    operator=operator.text,
                    field=name,
                ),
                operator,
            )
        if ordering and kind in (FieldKind.YES_NO, FieldKind.DESIGNATION):
            raise self.fail(
                t('"{operator}" does not work on "{field}": use = or in (…)', operator=operator.text, field=name),
                operator,
            )
        return condition
