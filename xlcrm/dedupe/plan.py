"""Finding duplicate clients: keys, blocking, comparison, scoring with reasons, vetoes, clustering.

Stages, each small enough to read on its own:

1. **keys** — every Clients row becomes a :class:`ClientRecord` of derived keys
   (:mod:`xlcrm.dedupe.keys`); the user's text is not touched.
2. **blocking** — rows sharing a block key (an INN, a phone, an email, a card
   number, a company name, a person's name in a city, the sound of a whole
   name, a birthday with a part of the name; a birthday alone, a part of the
   name in a city or a house only when few clients share it) become candidate
   pairs, each compared once, so the work grows with the number of candidate
   pairs, not the square of clients.
3. **comparison and probability** — each candidate pair is compared field by
   field and gets a match probability from a model learnt on the workbook
   itself (:mod:`xlcrm.dedupe.probability`); every field's weight comes with a
   plain reason (``same phone +79161234567 +9.5; company names 96 % similar
   +4.1 → 99.9 %``, :mod:`xlcrm.dedupe.explain`).
4. **vetoes** — evidence that two rows are different clients (two different
   valid INNs, nothing shared and dissimilar names, ...) stops a pair whatever
   its probability.
5. **verdict** — :meth:`PairRules.verdict` says what becomes of each pair on
   its own: certain (merged without asking: a probability from
   ``dedupe_auto_probability`` *and* an INN, phone, email or card number in
   common, or else two more kinds of evidence besides the name and nothing
   disagreeing), probable (to review),
   vetoed, or as the user decided on the Duplicates sheet. ``xlcrm import``
   asks the same question of each imported record, so both commands decide a
   pair alike.
6. **clustering** — certain pairs are joined into groups (transitively), but
   never so that a group holds two rows that veto each other or that the user
   kept apart; probable pairs go to review; the user's "merge" comes first.

:func:`plan_dedupe` runs them all and returns a :class:`DedupePlan`; writing
it into the workbook is :mod:`xlcrm.dedupe.merge`'s job.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Literal

import pandas as pd

from xlcrm import schema
from xlcrm.checks.erased import is_erased
from xlcrm.checks.normalize import as_text, is_blank, parse_amount, parse_date
from xlcrm.checks.settings import Settings
from xlcrm.dedupe.explain import probability_percent, shown_percent, waterfall
from xlcrm.dedupe.keys import PersonName
from xlcrm.dedupe.probability import (
    BIRTHDAY,
    COMPANY,
    FIELDS,
    IDENTIFIERS,
    LEVELS,
    NAME,
    TAX_ID,
    Comparison,
    MatchModel,
    Scored,
    compare_records,
    contradicts,
    fit_model,
)
from xlcrm.dedupe.records import ClientRecord, client_records
from xlcrm.messages import Message, Text, t, tn
from xlcrm.xlsx.reader import WorkbookData

# Names (or companies) this similar count as "the same name" for vetoes.
SIMILAR_NAMES = 85
# Company names below this similarity are different companies.
COMPANY_MISMATCH_BELOW = 60

# A block this large is a shared switchboard or a very common name, not one client: its pairs prove nothing.
MAX_BLOCK = 60
# A weak key (a birthday alone, one part of a name in a city, a house) is worth comparing only in a block this
# small: shared by more, it joins strangers, and a big base would compare pairs by the million.
WEAK_BLOCK = 6
# Russian patronymics (in Latin keys): Иванович, Ивановна, Ильич, Кузьминична, Оглы, Кызы.
_PATRONYMIC = re.compile(r"(?:vich|vna|ich|ichna|ogly|kyzy)$")


@dataclass(frozen=True)
class Match:
    """A candidate pair, how likely it is one client, the reasons for it and, if any, why it must never be merged."""

    older: ClientRecord  # by Created, then by row
    newer: ClientRecord
    scored: Scored  # the probability and the terms that make it (see xlcrm.dedupe.probability)
    veto: Message | None = None
    # An INN, phone, email or card number in common. A loyalty card weighs as a phone does: a family sharing one
    # card is told apart by the names, as a family sharing a home phone is.
    shared_id: bool = False
    # Without an identifier in common a pair merges without asking only when two kinds of evidence besides the
    # name agree (a birthday, a place, a company) and nothing the two records both hold disagrees: two
    # "Волкова Кристина Алексеевна, Москва" can be two people.
    independent_evidence: int = 0
    disagreement: bool = False
    notes: tuple[Message, ...] = ()  # what else decided the pair: a ClientID on several rows, a veto in the group

    @property
    def identity_conflict(self) -> Message | None:
        """What says the two records are two people or two firms, which no identifier in common outweighs: names
        that differ in part or whole (Зверев Виктор / Зверев Станислав), different birthdays (not a slip apart),
        different companies; None when nothing does."""
        levels = self.scored.comparison.levels
        if levels[NAME] in (0, 1):
            return t("the names differ")
        if levels[BIRTHDAY] == 0:
            return t("the birthdays differ")
        if levels[COMPANY] == 0:
            return t("the companies differ")
        return None

    @property
    def identified(self) -> bool:
        """An identifier in common and names (or companies) alike: the rules' own sign of one client, which is
        never dropped below review whatever the probability (a workbook whose names are all alike makes the name
        weigh little)."""
        comparison = self.scored.comparison
        return self.shared_id and names_alike(comparison)

    @property
    def first(self) -> int:
        """The Excel row of the older record."""
        return self.older.row

    @property
    def second(self) -> int:
        """The Excel row of the newer record."""
        return self.newer.row

    @property
    def probability(self) -> float:
        """How likely the two records are one client, 0-1."""
        return self.scored.probability

    @property
    def percent(self) -> float:
        """The probability in per cent, rounded down to one decimal."""
        return probability_percent(self.probability)

    @cached_property
    def reasons(self) -> tuple[Message, ...]:
        """The waterfall: each field's reason with its weight, heaviest first. Worded only for the pairs somebody
        reads (most candidate pairs are below review and never are)."""
        return waterfall(self.scored, self.older, self.newer)

    @property
    def reason(self) -> Text:
        """The waterfall of reasons and the probability they come to, and why the pair is kept apart when a veto
        says so, rendered in the language asked for."""
        summed = t(
            "{reasons} → {probability} %", reasons=joined(self.reasons), probability=shown_percent(self.probability)
        )
        kept_apart = (t("kept apart: {veto}", veto=self.veto),) if self.veto else ()
        return joined((summed, *self.notes, *kept_apart))

    @property
    def rows(self) -> tuple[int, int]:
        """The two client rows of the pair."""
        return (self.first, self.second)

    def explained(self) -> dict[str, Any]:
        """The pair's probability as ``--json`` gives it: in per cent (one decimal), the reason (a message, rendered
        when shown), and the evidence it sums: each field's level, weight in bits and weighed reason, the model's
        prior and the total weight, so a program can redo the sum (probability = 2^weight / (1 + 2^weight))."""
        evidence = self.scored.evidence
        fields = [item for item in evidence if item.field is not None]
        prior = sum(item.bits for item in evidence if item.field is None)
        return {
            "probability": self.percent,
            "reason": self.reason,
            # ``reasons`` holds the weighed reason of every field term, in the order of ``evidence``.
            "evidence": [
                {"field": FIELDS[item.field], "level": item.level, "bits": round(item.bits, 1), "reason": reason}
                for item, reason in zip(fields, self.reasons)
                if item.field is not None
            ],
            "prior_bits": round(prior, 1),
            "weight_bits": round(prior + sum(item.bits for item in fields), 1),
        }


@dataclass(frozen=True)
class MergeGroup:
    """Clients that are one client: the survivor keeps its row and ClientID, the others are merged into it."""

    survivor: int  # Excel row
    merged: tuple[int, ...]  # Excel rows, oldest first
    matches: tuple[Match, ...]  # the pairs that joined the group
    decided: bool = False  # the user said "merge" on the Duplicates sheet

    @property
    def rows(self) -> tuple[int, ...]:
        """The survivor's row, then the merged rows."""
        return (self.survivor,) + self.merged


@dataclass(frozen=True)
class InteractionDuplicate:
    """Interactions rows that say the same thing twice: same client, date, type, amount and comment."""

    rows: tuple[int, ...]
    client_id: str
    date: dt.date | None
    type: str
    amount: float | None
    comment: str


@dataclass(frozen=True)
class PairDecision:
    """A decision typed on the Duplicates sheet, by ClientIDs (order does not matter)."""

    ids: frozenset[str]
    merge: bool  # False: keep apart


@dataclass
class DedupePlan:
    """What dedupe would do: groups to merge, pairs to review, pairs kept apart, repeated interactions."""

    data: WorkbookData
    settings: Settings
    records: dict[int, ClientRecord]  # by Excel row
    groups: list[MergeGroup]
    review: list[Match]
    kept_apart: list[PairDecision]  # remembered "keep apart" decisions (shown again, never proposed)
    vetoed: list[Match]  # pairs that scored high but must stay apart, for the curious
    interaction_duplicates: list[InteractionDuplicate]
    candidate_pairs: int = 0
    blocks_too_large: int = 0  # blocks of a common name or a shared identifier whose pairs were not compared
    notes: list[Message] = field(default_factory=list)
    # Open pairs beyond Settings' dedupe_review_limit, the least likely: listed on a later run, once the ones in
    # ``review`` are decided.
    review_left_out: int = 0

    @property
    def merged_rows(self) -> int:
        """How many client rows the plan merges into others."""
        return sum(len(group.merged) for group in self.groups)

    def merged_into(self) -> dict[int, str]:
        """The ClientID of the survivor each merged client row goes into, by Excel row."""
        return {row: self.records[group.survivor].client_id for group in self.groups for row in group.merged}


# --- 2. blocking -----------------------------------------------------------------------------------

# How the parts of a name sound, in the one Latin spelling keys use: letters that sound alike (b/p/f/v, c/g/k/q,
# s/z/x, d/t, m/n) are one letter, vowels and h, j, w, y are dropped, a doubled letter counts once. So a slip that
# keeps the sound (Смирнова/Smirnova/Смирнов, Кристина/Cristina, Оксана/Оксаан) gives the same code.
_SOUNDS = str.maketrans(
    {
        **dict.fromkeys("bpfv", "p"),
        **dict.fromkeys("cgkq", "k"),
        **dict.fromkeys("sxz", "s"),
        **dict.fromkeys("dt", "t"),
        **dict.fromkeys("mn", "n"),
        **dict.fromkeys("aeiouyhjw", None),
    }
)
_REPEATED = re.compile(r"(.)\1+")
# A house: the first street number of an address with the word after it ("56 namadgi circuit"). An address that
# puts the flat after the house ("д. 5, кв. 12") gives "5 kv", shared by many: its blocks are too large to count.
_HOUSE = re.compile(r"\b(\d+) ([a-z]+)")


@lru_cache(maxsize=65_536)
def sound(word: str) -> str:
    """The sound code of a name part in Latin spelling (see ``_SOUNDS``); "" when it has no consonant."""
    return _REPEATED.sub(r"\1", word.translate(_SOUNDS))


def block_cap(key: str) -> int:
    """The most records a block of ``key`` may hold before its pairs are not compared: weak keys (``w…``: a
    birthday alone, one part of a name in a city, a house) count only when rare."""
    return WEAK_BLOCK if key[0] == "w" else MAX_BLOCK


def block_keys(record: ClientRecord) -> set[str]:
    """The keys under which a record meets the records it may duplicate (see ``keyed_rows``)."""
    return {key for key, _row in keyed_rows((record,))}


def keyed_rows(records: Iterable[ClientRecord]) -> list[tuple[str, int]]:
    """Every key under which a record meets the records it may duplicate, with the record's row (each key of a
    record once); none for a client ``xlcrm forget`` erased, kept for its history with no person behind it (every
    such row has the same Name but for its ClientID). Worked out a kind of key at a time over all the records."""
    # The ClientID in the Name first: rendering the erased Name in each language for every row costs seconds.
    live = [
        record
        for record in records
        if not (record.client_id and record.client_id in record.shown_name)
        or not is_erased(record.shown_name, record.client_id)
    ]
    keyed = [("t:" + record.tax_id, record.row) for record in live if record.tax_id]
    keyed += [("p:" + phone, record.row) for record in live for phone in record.phones]
    keyed += [("e:" + email, record.row) for record in live for email in record.emails]
    keyed += [("k:" + record.card, record.row) for record in live if record.card]
    for record in live:
        name = _name_blocking(record.name)
        if record.company and not record.company.individual:
            company = record.company.key
            # At a company the person is told by the longest part of the name, usually the surname: first names
            # are shared by too many colleagues to block on.
            keyed.append((f"c:{company}:{name.longest_start or record.city}", record.row))
            if len(company) >= 8:  # the start of a longer name with the whole person: a typo further on still meets
                keyed.append((f"c<:{company[:5]}:{name.joined_starts or record.city}", record.row))
        else:  # a private client or an individual entrepreneur: the person is the client
            keyed += [(key, record.row) for key in _person_keys(record, name.starts, name.sounds)]
        # The whole name as it sounds, in any order and any city, for a person at a company too: a slip that keeps
        # the sound, a city or a company typed otherwise still meets.
        if name.sound_key:
            keyed.append((name.sound_key, record.row))
    return keyed


@dataclass(frozen=True)
class _NameBlocking:
    """What blocking takes from a person's name: the starts of its parts but patronymics (``Алексей Григорьевич``
    is shared by too many people to block on), the sound of every part, and keys made of them."""

    starts: tuple[str, ...]  # sorted
    sounds: tuple[str, ...]  # sorted, none empty
    longest_start: str  # the start of the longest part but patronymics, usually the surname; "" without one
    joined_starts: str
    sound_key: str  # "s:" and the sounds of the whole name, when it has two at least; else ""


@lru_cache(maxsize=65_536)
def _name_blocking(name: PersonName) -> _NameBlocking:
    """The blocking parts of ``name``, worked out once per distinct name: a big base repeats its names."""
    parts = [token for token in name.full if not _PATRONYMIC.search(token)]
    starts = tuple(sorted({token[:3] for token in parts}))
    sounds = tuple(sorted({sound(token) for token in name.full} - {""}))
    return _NameBlocking(
        starts,
        sounds,
        max(parts, key=len)[:3] if parts else "",
        "|".join(starts),
        "s:" + "|".join(sounds) if len(sounds) >= 2 else "",
    )


def _person_keys(record: ClientRecord, starts: Sequence[str], sounds: Sequence[str]) -> set[str]:
    """The keys of a private client, whose name parts start with ``starts`` and sound as ``sounds``: each rule meets
    a pair that a slip in some other field would keep apart."""
    # The same name in one city, by the first letters of two of its parts: a later typo, a part left out, another
    # word order still meet.
    keys = {f"n:{record.city}:{a}:{b}" for a, b in itertools.combinations(starts, 2)}
    birthdays = _birthdays(record.birthday)
    # A birthday (or the same with day and month swapped) with the start of any part of the name: a typo in the
    # other parts still meets.
    keys.update(f"b:{day}:{start}" for day in birthdays for start in starts)
    # Weak keys, compared only in small blocks: a birthday alone (every part of the name typed otherwise), one part
    # of the name in a city (another first name, a slip in the rest), the same house (street number and street).
    keys.update(f"wb:{day}" for day in birthdays)
    if record.city:
        keys.update(f"wc:{record.city}:{code}" for code in sounds)
    keys.update(f"wa:{number}:{sound(street)}" for number, street in _HOUSE.findall(record.address)[:1])
    return keys


def _birthdays(birthday: dt.date | None) -> list[dt.date]:
    """The birthday and, when it can be read both ways, the date with day and month swapped (05.03 / 03.05)."""
    if birthday is None:
        return []
    if birthday.day > 12 or birthday.day == birthday.month:
        return [birthday]
    return [birthday, birthday.replace(month=birthday.day, day=birthday.month)]


@dataclass(frozen=True)
class Blocking:
    """What blocking found: the pairs of Excel rows to compare (each once, lower row first), a note for every
    identifier shared by too many clients to trust, and how many blocks were too large to compare (weak keys,
    used only when rare, are not counted)."""

    pairs: set[tuple[int, int]]
    notes: list[Message]
    too_large: int


def candidate_pairs(records: Iterable[ClientRecord]) -> Blocking:
    """Pairs of Excel rows sharing a block key, a note for every identifier shared too widely, and the count of
    blocks too large to trust."""
    keyed = keyed_rows(records)
    # Most keys (a phone, an email) are a single record's: only the shared ones are gathered and sorted.
    blocks: dict[str, list[int]] = {key: [] for key, count in Counter(key for key, _row in keyed).items() if count > 1}
    for key, row in keyed:
        if key in blocks:
            blocks[key].append(row)
    pairs: set[tuple[int, int]] = set()
    notes: list[Message] = []
    too_large = 0
    for key in sorted(blocks):
        rows = blocks[key]
        if len(rows) > block_cap(key):
            if key[0] != "w":
                too_large += 1
            if key[0] in "tpek":
                sharing = tn("{count} client shares", "{count} clients share", len(rows))
                notes.append(
                    t("{clients_share} {key}; it is not used to find duplicates", clients_share=sharing, key=key[2:])
                )
            continue
        pairs.update(itertools.combinations(sorted(rows), 2))
    return Blocking(pairs, notes, too_large)


@dataclass(frozen=True)
class Blocked:
    """The candidate pairs of a set of records, their comparisons, the match model learnt on them, a note for every
    identifier too widely shared to trust, and how many blocks were too large to compare."""

    model: MatchModel
    comparisons: dict[tuple[int, int], Comparison]  # by the pair's Excel rows, lower first
    notes: list[Message]
    too_large: int = 0  # see Blocking.too_large


def blocked_model(
    records: Mapping[int, ClientRecord], merged: Sequence[tuple[ClientRecord, ClientRecord]] = ()
) -> Blocked:
    """Block, compare and learn the match model on ``records`` (by Excel row) and the duplicates ``merged`` before
    (see :func:`xlcrm.dedupe.probability.fit_model`). ``dedupe`` learns it on the workbook's clients, ``import`` on
    them and the records imported."""
    blocking = candidate_pairs(records.values())
    ordered = sorted(blocking.pairs)
    comparisons = {(a, b): compare_records(records[a], records[b]) for a, b in ordered}
    model = fit_model(list(records.values()), list(comparisons.values()), MAX_BLOCK, merged)
    return Blocked(model, comparisons, blocking.notes, blocking.too_large)


# --- 3 and 4. comparison, probability, vetoes -------------------------------------------------------


def compare(
    first: ClientRecord, second: ClientRecord, model: MatchModel, comparison: Comparison | None = None
) -> Match:
    """How likely two records are one client under ``model``, why, and any veto, older record first.
    ``comparison`` is their :func:`compare_records`, when it is already known."""
    if (first.created or dt.date.max, first.row) > (second.created or dt.date.max, second.row):
        first, second = second, first
    comparison = comparison or compare_records(first, second)
    scored = model.score(first, second, comparison)
    return Match(
        first,
        second,
        scored,
        veto(first, second, comparison),
        shared_id=any(comparison.levels[field] == 1 for field in IDENTIFIERS),
        independent_evidence=len(scored.agreeing_groups()),
        # Exact agreement on a very common value (a chain's company name) may weigh below zero; it still agrees.
        disagreement=any(
            contradicts(item.field, item.level) or (item.bits < 0 and item.level < LEVELS[item.field] - 1)
            for item in scored.evidence
            if item.field is not None
        ),
    )


def names_alike(comparison: Comparison) -> bool:
    """Whether the two records' person names, or their company names, are alike enough to be one client's."""
    return max(comparison.name_similarity, comparison.company_similarity) >= SIMILAR_NAMES


def veto(first: ClientRecord, second: ClientRecord, comparison: Comparison | None = None) -> Message | None:
    """Why two records are certainly different clients, whatever else agrees; None when nothing says so."""
    comparison = comparison or compare_records(first, second)
    if comparison.levels[TAX_ID] == 0:
        kind, one = (first.tax_id or ":").split(":")
        other = (second.tax_id or ":").split(":")[1]
        if kind == "inn":
            return t("different INN {first} and {second}", first=one, second=other)
        return t("different OGRN {first} and {second}", first=one, second=other)
    shared = any(comparison.levels[field] == 1 for field in IDENTIFIERS)
    alike = names_alike(comparison)
    if not shared and first.phones and second.phones and first.emails and second.emails and not alike:
        return t("different phones and emails, dissimilar names")
    if (
        comparison.name_conflict
        and first.company
        and second.company
        and comparison.company_similarity < COMPANY_MISMATCH_BELOW
    ):
        return t("different people at different companies")
    return None


def joined(parts: Sequence[Text], separator: Literal["; ", " | "] = "; ") -> Text:
    """The texts of ``parts`` that say something, joined by ``separator`` in whatever language they are rendered in
    (reasons by "; ", the reasons of several pairs by " | "); "" when none says anything.

    Joined in halves, so a group of many pairs does not nest its messages deeper than a few levels.
    """
    parts = [part for part in parts if part]
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    first, second = joined(parts[:middle], separator), joined(parts[middle:], separator)
    if separator == " | ":
        return t("{reasons} | {more_reasons}", reasons=first, more_reasons=second)
    return t("{reasons}; {more_reasons}", reasons=first, more_reasons=second)


# --- what becomes of one pair ------------------------------------------------------------------------
# The one answer ``dedupe`` and ``import`` share for a pair of clients, before clustering joins pairs into groups.
IGNORED = "ignored"  # less likely than dedupe_review_probability
DECIDED_MERGE = "decided merge"  # the user typed "merge" for it on the Duplicates sheet
KEPT_APART = "kept apart"  # the user typed "keep apart": never proposed again
VETOED = "vetoed"  # a veto says they are different clients, whatever the score
# Merged without asking: as likely as dedupe_auto_probability, and an INN, phone, email or card number in common or
# else two kinds of evidence besides the name and nothing disagreeing.
CERTAIN = "certain"
PROBABLE = "probable"  # listed on the Duplicates sheet for the user to decide


def _rows_by_id(records: Iterable[ClientRecord]) -> dict[str, list[int]]:
    """Excel rows of every ClientID (blank ones left out)."""
    rows: dict[str, list[int]] = defaultdict(list)
    for record in records:
        if record.client_id:
            rows[record.client_id].append(record.row)
    return rows


@dataclass(frozen=True)
class PairRules:
    """What decides a pair besides its score: the Settings' two scores, the user's decisions by ClientIDs, and the
    ClientIDs written on several rows (a merge by such an ID could pick the wrong client)."""

    settings: Settings
    decisions: Mapping[frozenset[str], PairDecision]
    repeated_ids: frozenset[str]

    @classmethod
    def of(cls, records: Iterable[ClientRecord], settings: Settings, decisions: Iterable[PairDecision]) -> PairRules:
        """The rules for the clients ``records`` with the decisions typed on the Duplicates sheet."""
        repeated = frozenset(cid for cid, rows in _rows_by_id(records).items() if len(rows) > 1)
        return cls(settings, {d.ids: d for d in decisions}, repeated)

    def verdict(self, match: Match, first_id: str, second_id: str) -> tuple[str, Match]:
        """What becomes of the pair ``match`` of clients with these ClientIDs (blank: none yet), on its own: one of
        IGNORED, DECIDED_MERGE, KEPT_APART, VETOED, CERTAIN, PROBABLE, and the match with a reason added when a
        ClientID on several rows stops a merge."""
        if match.percent < self.settings.dedupe_review_probability and not match.identified:
            return IGNORED, match
        ids = frozenset((first_id, second_id))
        answer = self.decisions.get(ids) if "" not in ids else None
        if answer is not None:
            return (DECIDED_MERGE if answer.merge else KEPT_APART), match
        if match.veto:
            return VETOED, match
        ambiguous = ids & self.repeated_ids
        if ambiguous:
            reason = t("ClientID {ids} is on several rows", ids=sorted(ambiguous))
            return PROBABLE, dataclasses.replace(match, notes=match.notes + (reason,))
        # A merge threshold typed below the review one never merges what would only be reviewed.
        if match.percent < max(self.settings.dedupe_auto_probability, self.settings.dedupe_review_probability):
            return PROBABLE, match
        conflict = match.identity_conflict
        if conflict is not None:
            # A phone shared by relatives or an office, a colleague's email: whatever the numbers, when the names,
            # the birthdays or the companies say two people, the user says who is who.
            return PROBABLE, dataclasses.replace(match, notes=match.notes + (conflict,))
        if match.shared_id:
            return CERTAIN, match
        if match.independent_evidence >= 2 and not match.disagreement:
            return CERTAIN, match
        # Without an identifier in common the user decides unless the rest of the card speaks clearly.
        why = (
            t("no INN, phone or email in common, and something disagrees")
            if match.disagreement
            else t("no INN, phone or email in common, and fewer than two things agree besides the name")
        )
        return PROBABLE, dataclasses.replace(match, notes=match.notes + (why,))

    def apart(self, first_id: str, second_id: str) -> bool:
        """Whether the user decided to keep the clients with these ClientIDs apart."""
        answer = self.decisions.get(frozenset((first_id, second_id)))
        return answer is not None and not answer.merge and first_id != second_id


# --- 5. clustering ----------------------------------------------------------------------------------


class _Clusters:
    """Union-find over Excel rows that refuses a union joining two rows that veto each other."""

    def __init__(self, records: Mapping[int, ClientRecord], rules: PairRules):
        self.records = records
        self.rules = rules
        self.parent: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}

    def find(self, row: int) -> int:
        self.parent.setdefault(row, row)
        self.members.setdefault(row, [row])
        while self.parent[row] != row:
            self.parent[row] = self.parent[self.parent[row]]
            row = self.parent[row]
        return row

    def conflict(self, first: int, second: int) -> Message | None:
        """The veto between the groups of two rows, or None when they may be one group."""
        for a in self.members[self.find(first)]:
            for b in self.members[self.find(second)]:
                found = veto(self.records[a], self.records[b])
                if found:
                    return found
        return None

    def kept_apart(self, first: int, second: int) -> Message | None:
        """Why the groups of two rows must stay apart by the user's decision, or None when no decision says so."""
        for a in self.members[self.find(first)]:
            for b in self.members[self.find(second)]:
                a_id, b_id = self.records[a].client_id, self.records[b].client_id
                if a_id and b_id and self.rules.apart(a_id, b_id):
                    return t("would join {first} and {second}, kept apart by your decision", first=a_id, second=b_id)
        return None

    def union(self, first: int, second: int) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[b] = a
            self.members[a] += self.members.pop(b)

    def groups(self) -> list[list[int]]:
        return [rows for root, rows in self.members.items() if len(rows) > 1 and self.find(root) == root]


def _oldest_first(rows: Iterable[int], records: Mapping[int, ClientRecord]) -> list[int]:
    """Oldest record first: by Created (blank last), then by ClientID number, then by row."""

    def age(row: int) -> tuple[object, ...]:
        record = records[row]
        digits = "".join(ch for ch in record.client_id if ch.isdecimal())
        return (record.created or dt.date.max, int(digits) if digits else float("inf"), row)

    return sorted(rows, key=age)


def _survivor_order(rows: Iterable[int], records: Mapping[int, ClientRecord], new_rows: Collection[int]) -> list[int]:
    """The rows of a group, survivor first: the oldest record with an established ClientID survives (its ID is what
    Interactions point at), one given its ID in this very run (``new_rows``) ranking as one without."""
    ordered = _oldest_first(rows, records)
    with_id = [row for row in ordered if records[row].client_id and row not in new_rows]
    survivor = with_id[0] if with_id else ordered[0]
    return [survivor] + [row for row in ordered if row != survivor]


# --- the plan ---------------------------------------------------------------------------------------


def plan_dedupe(
    data: WorkbookData,
    settings: Settings,
    decisions: Iterable[PairDecision] = (),
    new_rows: Collection[int] = (),
    merged: Sequence[tuple[ClientRecord, ClientRecord]] = (),
) -> DedupePlan:
    """Find duplicate clients and repeated interactions; decide what is merged and what goes to review.

    ``decisions`` are the user's answers from the Duplicates sheet (see :func:`xlcrm.dedupe.merge.read_decisions`):
    "merge" joins a pair whatever its score, "keep apart" keeps it apart and out of review for good. ``new_rows``
    are the Excel rows of Clients whose ClientIDs were blank and filled in this run: such a client never survives
    a merge with a client whose ID was there before, whatever its Created date says. ``merged`` are the duplicates
    merged before, from the Merge log (:func:`xlcrm.dedupe.merge_log.merged_pairs`): the model learns from them too.
    """
    clients = data.sheet(schema.CLIENTS.key)
    records = {r.row: r for r in client_records(clients, settings.phone_region)} if clients is not None else {}
    blocked = blocked_model(records, merged)
    rows_by_id = _rows_by_id(records.values())

    rules = PairRules.of(records.values(), settings, decisions)
    matches = [compare(records[a], records[b], blocked.model, c) for (a, b), c in blocked.comparisons.items()]
    matches.sort(key=lambda m: (-m.probability, m.first, m.second))
    clusters = _Clusters(records, rules)
    decided_groups: set[int] = set()
    # The user's "merge" answers first: they override scores and vetoes, they are the user's own call.
    for decision in rules.decisions.values():
        if not decision.merge:
            continue
        rows = [rows_by_id[cid][0] for cid in decision.ids if len(rows_by_id.get(cid, ())) == 1]
        if len(rows) == 2 and len(decision.ids) == 2:
            clusters.union(*rows)
            decided_groups.add(rows[0])
            decided_groups.add(rows[1])
    joined: dict[tuple[int, int], Match] = {}
    review: list[Match] = []
    vetoed: list[Match] = []
    for match in matches:
        verdict, judged = rules.verdict(match, records[match.first].client_id, records[match.second].client_id)
        if verdict in (IGNORED, KEPT_APART):
            continue  # kept apart: never proposed again
        if verdict == DECIDED_MERGE:
            joined[match.rows] = match
            continue
        if verdict == VETOED:
            vetoed.append(match)
            continue
        if clusters.find(match.first) == clusters.find(match.second):
            joined[match.rows] = match
            continue
        if verdict == CERTAIN:
            apart = clusters.kept_apart(match.first, match.second)
            if apart:
                # Joining them would join two clients the user kept apart: the pair is kept apart with them.
                vetoed.append(dataclasses.replace(match, veto=apart))
                continue
            conflict = clusters.conflict(match.first, match.second)
            if not conflict:
                clusters.union(match.first, match.second)
                joined[match.rows] = match
                continue
            judged = dataclasses.replace(
                match, notes=match.notes + (t("would join clients kept apart ({veto})", veto=conflict),)
            )
        review.append(judged)

    by_root: dict[int, list[Match]] = defaultdict(list)
    for key, match in joined.items():
        by_root[clusters.find(key[0])].append(match)
    groups = []
    for rows in clusters.groups():
        ordered = _survivor_order(rows, records, new_rows)
        groups.append(
            MergeGroup(
                ordered[0],
                tuple(ordered[1:]),
                tuple(by_root[clusters.find(rows[0])]),
                decided=bool(set(rows) & decided_groups),
            )
        )
    groups.sort(key=lambda g: g.survivor)
    # A pair inside a group is settled; review shows only what is still open.
    grouped = {row: i for i, g in enumerate(groups) for row in g.rows}
    review = [m for m in review if grouped.get(m.first, -1) != grouped.get(m.second, -2)]
    # The likeliest first (``matches`` is in that order), as many as the user is asked to decide at once.
    review, left_out = review[: settings.dedupe_review_limit], review[settings.dedupe_review_limit :]
    kept = [d for d in rules.decisions.values() if not d.merge]
    return DedupePlan(
        data=data,
        settings=settings,
        records=records,
        groups=groups,
        review=review,
        kept_apart=kept,
        vetoed=vetoed,
        interaction_duplicates=interaction_duplicates(data),
        candidate_pairs=len(blocked.comparisons),
        blocks_too_large=blocked.too_large,
        notes=blocked.notes,
        review_left_out=len(left_out),
    )


# --- interactions typed in twice -------------------------------------------------------------------------


def _day(value: object) -> dt.date | str:
    """A date cell as its day (the common case without the parser), text that is no date as it is."""
    if type(value) is dt.date:
        return value
    return parse_date(value).date or as_text(value)


def interaction_duplicates(data: WorkbookData) -> list[InteractionDuplicate]:
    """Interactions rows equal in client, date, type, amount and comment (case, spaces and ё ignored)."""
    sheet = data.sheet(schema.INTERACTIONS.key)
    if sheet is None or sheet.frame.empty:
        return []
    columns = ("client_id", "date", "type", "amount", "comment")
    # Worked on through each column's distinct values (SheetData.distinct), which validation uses again.
    clients = sheet.distinct("client_id")[0]
    days = sheet.each_cell("date", _day)
    # Only rows sharing a client and a day can repeat each other: the rest is set aside cheaply first.
    same_day = pd.DataFrame({"client": clients, "day": days}).duplicated(keep=False).to_numpy() & (clients >= 0)
    # Compared as folded text, dates as days and amounts as numbers, so "5 000" equals 5000.
    keys = pd.DataFrame(
        {
            "client_id": sheet.each_cell("client_id", as_text, same_day),
            "date": days[same_day],
            "type": sheet.each_cell("type", schema.fold, same_day),
            "amount": sheet.each_cell("amount", lambda v: None if is_blank(v) else parse_amount(v).amount, same_day),
            "comment": sheet.each_cell("comment", schema.fold, same_day),
        },
        index=sheet.frame.index[same_day],
    ).astype(str)
    repeated = keys[keys.duplicated(keep=False)]
    values = {key: sheet.column_values(key) for key in columns}
    found = []
    for rows in repeated.groupby(list(columns), sort=False).groups.values():
        rows = sorted(int(r) for r in rows)
        first = {key: values[key][rows[0]] for key in columns}
        amount = None if is_blank(first["amount"]) else parse_amount(first["amount"]).amount
        found.append(
            InteractionDuplicate(
                tuple(rows),
                as_text(first["client_id"]),
                parse_date(first["date"]).date,
                as_text(first["type"]),
                amount,
                as_text(first["comment"]),
            )
        )
    return sorted(found, key=lambda d: d.rows)
