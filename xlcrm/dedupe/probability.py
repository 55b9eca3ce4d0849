"""How likely two client records are one client: the Fellegi–Sunter model, estimated from the workbook itself.

A pair of records is compared field by field: name, birthday, city, address, company, phone, email, INN and card
number. Each field falls into one *level*: different, alike, the same. It is *missing* when either record has no
value, and a missing value is neutral. Two probabilities of every level make the model:

- **u**: how often records of *different* clients fall into the level by chance. It is counted on random pairs
  of the workbook's records. For exact agreement it is the chance that two random records share the value.
- **m**: how often two records of *one* client fall into it. It is estimated by expectation–maximisation over
  the candidate pairs that blocking found, where duplicates are common enough to be learnt. Pseudo-counts from
  :data:`PRIOR_M` keep a small workbook's estimates sensible.

A level's match weight is log2(m / u) bits. It is positive when the level is more usual among duplicates than
by chance, and negative otherwise. For exact agreement the u of the value itself is used instead: this is the
term-frequency adjustment. Two records named "Ivanov Ivan" agree by chance far more often than two named
"Zhukovsky Ignat", so the first pair's name weighs less. The pair's weight is the prior plus its fields' weights.
The prior is the log-odds that two random records are one client. The probability is 2^w / (1 + 2^w).

Every term is kept with what it is about, so a pair's probability reads as a waterfall of reasons
(:class:`Evidence`). The model decides only what the identifier rules of :mod:`xlcrm.dedupe.plan` leave open.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from xlcrm.dedupe.keys import PersonName, compare_companies, compare_people
from xlcrm.dedupe.records import ClientRecord

MISSING = -1

# Fields compared, each with its number of levels (0 = different ... last = the same).
NAME, BIRTHDAY, CITY, ADDRESS, COMPANY, PHONE, EMAIL, TAX_ID, CARD = range(9)
FIELDS = ("name", "birthday", "city", "address", "company", "phone", "email", "tax_id", "card")
LEVELS = (5, 3, 3, 4, 5, 2, 2, 2, 2)
# Where duplicates are expected to fall before the data says otherwise, by field and level. Identifiers are
# often different on two records of one client (a new phone, a second email); a birthday or a name rarely is.
PRIOR_M: tuple[tuple[float, ...], ...] = (
    (0.02, 0.05, 0.08, 0.25, 0.60),
    (0.05, 0.10, 0.85),
    (0.10, 0.05, 0.85),
    (0.10, 0.10, 0.20, 0.60),
    (0.05, 0.10, 0.10, 0.25, 0.50),
    (0.30, 0.70),
    (0.30, 0.70),
    (0.10, 0.90),
    (0.30, 0.70),
)
# How often records of different clients fall into each level by chance in a typical client base: what u is taken
# to be before the workbook has enough pairs to say (a workbook of five clients has ten pairs in all).
PRIOR_U: tuple[tuple[float, ...], ...] = (
    (0.95, 0.04, 0.008, 0.0015, 0.0005),
    (0.996, 0.0035, 0.0005),
    (0.85, 0.01, 0.14),
    (0.97, 0.02, 0.008, 0.002),
    (0.6, 0.35, 0.04, 0.008, 0.002),
    (0.9999, 0.0001),
    (0.9999, 0.0001),
    (0.9999, 0.0001),
    (0.9999, 0.0001),
)
# How many random pairs' worth PRIOR_U counts for: it gives way to the data once a workbook has a few hundred
# clients.
PSEUDO_RANDOM_PAIRS = 1000.0
# The share of records holding a value (for a name, each of its parts) before the workbook says otherwise, and how
# many records' worth that guess counts for: a value on two of five records is not common for that alone.
PRIOR_SHARE = {NAME: 0.01, BIRTHDAY: 1 / 20_000, CITY: 0.1, ADDRESS: 1e-4, COMPANY: 1e-3}
PSEUDO_RECORDS = 100.0
# How many pairs' worth the prior counts for in the estimates: enough to steady a workbook of a few dozen
# candidate pairs, too little to matter in one of thousands.
PSEUDO_PAIRS = 10.0
# Random pairs counted for u; fewer when the workbook has fewer pairs in all.
RANDOM_PAIRS = 20_000
RANDOM_SEED = 20_260_000  # the same workbook gives the same probabilities on every run
EM_ITERATIONS = 200
EM_TOLERANCE = 1e-6
# A rare value says more than an average one, but a value seen on two records is not proof of its rarity in the
# world: exact agreement gains at most this many bits over the field's average (a common value loses freely).
MAX_RARITY_BITS = 3.0

# Level thresholds (similarity 0-100).
NAME_CLOSE, NAME_ALIKE = 88, 70
CITY_ALIKE = 85
ADDRESS_CLOSE, ADDRESS_ALIKE = 90, 70
COMPANY_CLOSE, COMPANY_ALIKE = 85, 60

# Fields whose agreement counts as evidence independent of the name, in groups: a city and an address are one
# place, so they count once.
INDEPENDENT_GROUPS = {BIRTHDAY: "birthday", CITY: "place", ADDRESS: "place", COMPANY: "company"}
IDENTIFIERS = (PHONE, EMAIL, TAX_ID, CARD)


def contradicts(field: int, level: int) -> bool:
    """Whether a level says the records differ: every field's lowest level, names that agree only in part, and a
    company on one record only. Such a level never speaks for a pair, whatever expectation–maximisation learns:
    a family sharing one phone agrees in the surname and differs in the first name, and a model learnt on such
    pairs would count the difference for them."""
    return level == 0 or (field in (NAME, COMPANY) and level == 1)


NAME_CONTRADICTIONS = [level for level in range(LEVELS[NAME]) if contradicts(NAME, level)]


# A learnt model in which more than this share of the duplicates have names with nothing in common has taken
# another cluster for the duplicates (see estimate_m): by definition of "most", half.
MOST = 0.5

# A kind of evidence counts towards merging without asking when it at least doubles the odds: a city every client
# shares agrees with everyone and says nothing.
MIN_EVIDENCE_BITS = 1.0


@dataclass(frozen=True)
class Comparison:
    """The level of every field for one pair, and the similarities the reasons quote."""

    levels: tuple[int, ...]  # by field, MISSING where either record has no value
    name_similarity: int
    name_conflict: bool  # a part of one name contradicts the other (see keys.compare_people)
    company_similarity: int
    address_similarity: int


def compare_records(first: ClientRecord, second: ClientRecord) -> Comparison:
    """The field levels of a pair of records (see :data:`FIELDS`)."""
    people = compare_people(first.name, second.name) if first.name and second.name else None
    name = MISSING
    if people is not None:
        if people.similarity == 100:
            name = 4
        elif people.conflict and not people.partial:
            name = 0
        elif people.conflict or people.similarity < NAME_ALIKE:
            name = 1
        else:
            name = 3 if people.similarity >= NAME_CLOSE else 2
    company_similarity, company = _company_level(first, second)
    address_similarity = 0
    address = MISSING
    if first.address and second.address:
        address_similarity = round(fuzz.token_sort_ratio(first.address, second.address))
        address = 3 if first.address == second.address else _level(address_similarity, (ADDRESS_ALIKE, ADDRESS_CLOSE))
    city = MISSING
    if first.city and second.city:
        city = 2 if first.city == second.city else int(fuzz.ratio(first.city, second.city) >= CITY_ALIKE)
    levels = (
        name,
        _birthday_level(first.birthday, second.birthday),
        city,
        address,
        company,
        _shared(first.phones, second.phones),
        _shared(first.emails, second.emails),
        _tax_id_level(first.tax_id, second.tax_id),
        MISSING if not (first.card and second.card) else int(first.card == second.card),
    )
    return Comparison(
        levels,
        people.similarity if people else 0,
        bool(people and people.conflict),
        company_similarity,
        address_similarity,
    )


def _company_level(first: ClientRecord, second: ClientRecord) -> tuple[int, int]:
    """The similarity of two records' companies and its level: 4 the same, 3 and 2 alike, 1 a company on one
    record only, 0 different companies.

    A blank Company makes the client a private person, so a company on one record only is a value, not a gap:
    how often one client's cards differ so is learnt from the data like any level. An entrepreneur's
    "ИП Волкова К.А." is a person too and repeats the name, which the name field already weighs: beside another
    entrepreneur or a blank it is missing.
    """
    one, other = first.company, second.company
    if (not one or one.individual) and (not other or other.individual):
        return 0, MISSING
    if not one or not other:
        return 0, 1
    similarity = compare_companies(one, other)
    if similarity == 100:
        return similarity, 4
    return similarity, 3 if similarity >= COMPANY_CLOSE else 2 if similarity >= COMPANY_ALIKE else 0


def _level(similarity: int, thresholds: Sequence[int]) -> int:
    """How many of the rising ``thresholds`` the similarity reaches."""
    return sum(similarity >= threshold for threshold in thresholds)


def _shared(first: frozenset[str], second: frozenset[str]) -> int:
    return MISSING if not (first and second) else int(bool(first & second))


def _tax_id_level(first: str | None, second: str | None) -> int:
    # An INN and an OGRN are different numbers of one company: neither agrees nor contradicts.
    if not (first and second) or first.split(":")[0] != second.split(":")[0]:
        return MISSING
    return int(first == second)


def _birthday_level(first: dt.date | None, second: dt.date | None) -> int:
    """2 the same day; 1 a typing slip away (day and month swapped, or one of day, month, year different); 0 else."""
    if first is None or second is None:
        return MISSING
    if first == second:
        return 2
    swapped = (first.year, first.month, first.day) == (second.year, second.day, second.month)
    parts_equal = (first.year == second.year) + (first.month == second.month) + (first.day == second.day)
    return int(swapped or parts_equal == 2)


# --- the frequency of values --------------------------------------------------------------------------------


TERM_FREQUENCY_FIELDS = (NAME, BIRTHDAY, CITY, ADDRESS, COMPANY)


def _field_values(record: ClientRecord, field: int) -> tuple[str, ...]:
    """The values whose frequency makes exact agreement on ``field`` more or less telling. A name is its full parts,
    each counted on its own (a common surname is common whatever the first name)."""
    read, values_of = _TERMS[field]
    return values_of(read(record))


def _name_values(name: PersonName) -> tuple[str, ...]:
    return tuple(sorted(set(name.full)))


def _date_values(day: dt.date | None) -> tuple[str, ...]:
    return (day.isoformat(),) if day else ()


def _text_values(text: str) -> tuple[str, ...]:
    return (text,) if text else ()


def _company_key(record: ClientRecord) -> str:
    """The key of ``record``'s company; "" for a private person or an individual entrepreneur, who is a person."""
    return "" if record.company.individual else record.company.key


# Each term-frequency field: what it reads of a record, and the values it counts of that.
_TERMS: dict[int, tuple[Callable[[ClientRecord], Any], Callable[[Any], tuple[str, ...]]]] = {
    NAME: (attrgetter("name"), _name_values),
    BIRTHDAY: (attrgetter("birthday"), _date_values),
    CITY: (attrgetter("city"), _text_values),
    ADDRESS: (attrgetter("address"), _text_values),
    # A company read as its key: counting keys is cheaper than counting CompanyName objects, nearly all distinct.
    COMPANY: (_company_key, _text_values),
}


@dataclass(frozen=True)
class Frequencies:
    """How many records hold each value of the term-frequency fields, and how many hold any."""

    counts: dict[int, Counter[str]]  # records holding each value (each part of a name), by field
    held: dict[int, Counter[tuple[str, ...]]]  # records holding each whole value (a name's parts together), by field
    holding: dict[int, int]  # records holding the field at all

    @classmethod
    def of(cls, records: Sequence[ClientRecord]) -> Frequencies:
        """The frequencies of values on ``records``."""
        held: dict[int, Counter[tuple[str, ...]]] = {}
        counts: dict[int, Counter[str]] = {}
        for field in TERM_FREQUENCY_FIELDS:
            read, values_of = _TERMS[field]
            # Once per distinct value read, in the order first met: a big base repeats its names and cities.
            read_counts = Counter(map(read, records))
            if values_of is _text_values:
                # The text read is the value itself: counted as read, with no loop over the values (a base has
                # about as many companies as clients).
                read_counts.pop("", None)
                held[field] = Counter({(text,): records_holding for text, records_holding in read_counts.items()})
                counts[field] = read_counts
                continue
            wholes: Counter[tuple[str, ...]] = Counter()
            for value, records_holding in read_counts.items():
                if values := values_of(value):
                    wholes[values] += records_holding
            parts: Counter[str] = Counter()
            for values, records_holding in wholes.items():
                for part in values:
                    parts[part] += records_holding
            held[field], counts[field] = wholes, parts
        return cls(counts, held, {field: sum(wholes.values()) for field, wholes in held.items()})

    def chance(self, field: int, values: tuple[str, ...]) -> float:
        """The chance that another random record holding the field holds all of ``values`` (held by one record):
        the product of each value's share among the other records (names' parts are taken as independent)."""
        if not self.holding[field] or not values:
            return 1.0
        return math.prod(self._share(field, self.counts[field][value]) for value in values)

    def _share(self, field: int, count: int) -> float:
        """The share of a value held by ``count`` records among the other records holding the field, blended with
        :data:`PRIOR_SHARE` as :data:`PSEUDO_RECORDS` records."""
        return (count - 1 + PSEUDO_RECORDS * PRIOR_SHARE[field]) / (self.holding[field] - 1 + PSEUDO_RECORDS)

    def average_chance(self, field: int) -> float:
        """The chance that two random records agree exactly on the field: the average of :meth:`chance` over the
        records holding it (for a one-valued field, about the sum of every value's squared share)."""
        total = self.holding[field]
        if not total:
            return 1.0
        # Each value's share once: a common surname is a part of many whole names.
        shares = {value: self._share(field, count) for value, count in self.counts[field].items()}
        return (
            sum(count * math.prod(map(shares.__getitem__, values)) for values, count in self.held[field].items())
            / total
        )


# --- estimating m and u -------------------------------------------------------------------------------------


def random_pairs(count: int, limit: int = RANDOM_PAIRS, seed: int = RANDOM_SEED) -> list[tuple[int, int]]:
    """Up to ``limit`` distinct pairs of indexes below ``count``, drawn the same way on every run; every pair when
    there are no more than ``limit``."""
    total = count * (count - 1) // 2
    if total <= limit:
        return [(a, b) for a in range(count) for b in range(a + 1, count)]
    rng = random.Random(seed)
    drawn: set[tuple[int, int]] = set()
    while len(drawn) < limit:
        a, b = rng.randrange(count), rng.randrange(count)
        if a != b:
            drawn.add((min(a, b), max(a, b)))
    return sorted(drawn)


def chance_levels(vectors: np.ndarray) -> list[np.ndarray]:
    """u: each field's share of random pairs at each level among those where it is not missing, blended with
    :data:`PRIOR_U` as :data:`PSEUDO_RANDOM_PAIRS` pairs."""
    return _maximise(
        _held_levels(vectors, vectors != MISSING), np.ones(len(vectors)), _prior(PRIOR_U), PSEUDO_RANDOM_PAIRS
    )


def _prior(table: tuple[tuple[float, ...], ...]) -> list[np.ndarray]:
    return [np.array(levels) for levels in table]


@dataclass(frozen=True)
class Estimate:
    """The m-probabilities learnt by expectation–maximisation, and the share of candidate pairs that are matches."""

    m: list[np.ndarray]
    match_share: float
    iterations: int


def estimate_m(vectors: np.ndarray, u: list[np.ndarray], known: int = 0) -> Estimate:
    """m by expectation–maximisation over the candidate pairs' level ``vectors`` (pairs × fields), whose last
    ``known`` rows are duplicates known as such (merged before).

    The pairs are a mixture of duplicates and non-duplicates; both components are estimated (the non-duplicates
    among candidate pairs agree more often than random pairs do, blocking chose them for agreeing), starting the
    second from ``u``. Each step blends in :data:`PRIOR_M` and ``u`` as :data:`PSEUDO_PAIRS` pairs' worth.

    The likelihood has more than one maximum, and where duplicates are few among the candidates (a base merged
    before, a base kept clean) EM may take another cluster for them. Three things keep it on the duplicates:

    - it starts from the known duplicates when there are any, from :data:`PRIOR_M` otherwise;
    - a pair whose names contradict (:func:`contradicts`) while it shares a phone, an email or a card is a household
      or two colleagues, never one client, and is held among the non-duplicates. Such pairs agree in the surname
      and the contact, a cluster as tight as the duplicates', and learnt as duplicates they taught that first names
      often differ on one client's two records;
    - a result in which most duplicates have names with nothing in common (:data:`MOST`) has found pairs that
      blocking put together for a shared street or birthday, not duplicates: EM is run again with such pairs held
      among the non-duplicates. Typed-over names are common enough among real duplicates (3.5 % of Febrl 3's) that
      they are not held out from the start.
    """
    if not len(vectors):
        return Estimate(_prior(PRIOR_M), 0.1, 0)
    present = vectors != MISSING
    safe = np.where(present, vectors, 0)
    contact = (safe[:, PHONE] == 1) | (safe[:, EMAIL] == 1) | (safe[:, CARD] == 1)
    contradicting = present[:, NAME] & np.isin(safe[:, NAME], NAME_CONTRADICTIONS)
    estimate = _expectation_maximisation(safe, present, u, known, contradicting & contact)
    if estimate.m[NAME][0] > MOST:
        strangers = present[:, NAME] & (safe[:, NAME] == 0)
        estimate = _expectation_maximisation(safe, present, u, known, (contradicting & contact) | strangers)
    return estimate


def _expectation_maximisation(
    levels: np.ndarray, present: np.ndarray, u: list[np.ndarray], known: int, apart: np.ndarray
) -> Estimate:
    """EM over the pairs' ``levels``: the last ``known`` held as duplicates, those marked ``apart`` as
    non-duplicates (see :func:`estimate_m`)."""
    prior_m = _prior(PRIOR_M)
    first = len(levels) - known  # the first known duplicate
    start = _maximise(_held_levels(levels[first:], present[first:]), np.ones(known), prior_m) if known else prior_m
    m, u_candidates = [p.copy() for p in start], [p.copy() for p in u]
    share = 0.1
    held = _held_levels(levels, present)
    # Each pair's level in each field, a missing field at the extra last place of the field's weights (weight 0).
    weight_places = [np.where(present[:, field], levels[:, field], count) for field, count in enumerate(LEVELS)]
    for iteration in range(1, EM_ITERATIONS + 1):
        log_odds = np.full(len(levels), math.log(share / (1 - share)))
        for field, places in enumerate(weight_places):
            # The log ratio of each level, taken once per level and looked up for every pair.
            ratio = np.log(m[field]) - np.log(u_candidates[field])
            log_odds += np.append(ratio, 0.0)[places]
        matched = 1 / (1 + np.exp(-np.clip(log_odds, -700, 700)))
        matched[apart] = 0.0
        matched[first:] = 1.0
        new_m = _maximise(held, matched, prior_m)
        u_candidates = _maximise(held, 1 - matched, u)
        new_share = float(np.clip(matched.mean(), 1e-6, 1 - 1e-6))
        change = max(max(float(np.abs(a - b).max()) for a, b in zip(new_m, m)), abs(new_share - share))
        m, share = new_m, new_share
        if change < EM_TOLERANCE:
            return Estimate(m, share, iteration)
    return Estimate(m, share, EM_ITERATIONS)


def _held_levels(levels: np.ndarray, present: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """By field, the pairs (their indexes) that hold it and their levels in it: what :func:`_maximise` counts,
    picked out once for all the iterations of EM."""
    held = [np.flatnonzero(present[:, field]) for field in range(len(LEVELS))]
    return [(pairs, levels[pairs, field]) for field, pairs in enumerate(held)]


def _maximise(
    held: list[tuple[np.ndarray, np.ndarray]],
    weights: np.ndarray,
    prior: list[np.ndarray],
    pseudo_pairs: float = PSEUDO_PAIRS,
) -> list[np.ndarray]:
    """Each field's level probabilities: the weighted count of the pairs ``held`` (see :func:`_held_levels`) at each
    level plus ``pseudo_pairs`` of the prior."""
    result = []
    for (pairs, at_level), count, field_prior in zip(held, LEVELS, prior):
        counted = np.bincount(at_level, weights=weights[pairs], minlength=count)
        smoothed = counted + pseudo_pairs * field_prior
        result.append(smoothed / smoothed.sum())
    return result


# --- the model ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One term of a pair's match weight: the field and level it is about (``None`` for the prior), in bits."""

    field: int | None
    level: int
    bits: float


@dataclass(frozen=True)
class Scored:
    """A pair's match probability and the terms that make it, largest first, the prior last."""

    probability: float
    evidence: tuple[Evidence, ...]
    comparison: Comparison

    def agreeing_groups(self) -> set[str]:
        """The independent kinds of evidence besides the name that speak for the pair: a birthday, a place (the
        city or the address), a company, an identifier."""
        groups = set()
        for item in self.evidence:
            if item.field is None or item.bits < MIN_EVIDENCE_BITS or item.level == 0:
                continue
            if item.field in IDENTIFIERS:
                groups.add(FIELDS[item.field])
            elif item.field in INDEPENDENT_GROUPS:
                groups.add(INDEPENDENT_GROUPS[item.field])
        return groups


@dataclass(frozen=True)
class MatchModel:
    """The m and u of every field's levels, the prior, and the value frequencies of a set of records."""

    m: list[np.ndarray]
    u: list[np.ndarray]
    prior_bits: float
    frequencies: Frequencies
    average_chance: dict[int, float]  # the u of exact agreement, by term-frequency field
    candidate_pairs: int
    iterations: int
    # The terms of exact agreement on a term-frequency field by field and value, as :meth:`score` meets them.
    _exact_terms: dict[tuple[int, Any], Evidence] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def bits(self, field: int, level: int) -> float:
        """The match weight of a field at a level, before any term-frequency adjustment; at most 0 for a level that
        contradicts (see :func:`contradicts`)."""
        weight = math.log2(self.m[field][level] / self.u[field][level])
        return min(0.0, weight) if contradicts(field, level) else weight

    def score(self, first: ClientRecord, second: ClientRecord, comparison: Comparison | None = None) -> Scored:
        """The match probability of two records, with its terms."""
        comparison = comparison or compare_records(first, second)
        terms = self._terms
        evidence = [
            self._exact_term(field, first) if level == exact_level else terms[field][level]
            for field, (level, exact_level) in enumerate(zip(comparison.levels, self._exact_levels))
            if level != MISSING
        ]
        evidence.sort(key=lambda item: -abs(item.bits))
        total = self.prior_bits + sum(item.bits for item in evidence)
        probability = 1 / (1 + 2 ** min(-total, 1000))
        return Scored(probability, (*evidence, self._prior_term), comparison)

    @cached_property
    def _prior_term(self) -> Evidence:
        """The prior as the last term of every pair."""
        return Evidence(None, 0, self.prior_bits)

    @cached_property
    def _terms(self) -> tuple[tuple[Evidence, ...], ...]:
        """Every field's term at every level before any term-frequency adjustment, by field and level: made once, as
        every pair but those agreeing exactly on a term-frequency field takes its terms from here."""
        return tuple(
            tuple(Evidence(field, level, self.bits(field, level)) for level in range(count))
            for field, count in enumerate(LEVELS)
        )

    @cached_property
    def _exact_levels(self) -> tuple[int, ...]:
        """By field, the level whose term depends on the value agreed on (exact agreement on a term-frequency
        field); :data:`MISSING`, which never needs it, for the other fields."""
        return tuple(count - 1 if field in self.average_chance else MISSING for field, count in enumerate(LEVELS))

    def _exact_term(self, field: int, record: ClientRecord) -> Evidence:
        """The term of exact agreement on ``field`` at ``record``'s value, worked out once per distinct value (a big
        base has many pairs agreeing on one common name or city)."""
        value = _TERMS[field][0](record)
        key = (field, value)
        term = self._exact_terms.get(key)
        if term is None:
            level = LEVELS[field] - 1
            term = self._exact_terms[key] = Evidence(
                field, level, self.bits(field, level) + self._rarity_bits(field, record)
            )
        return term

    def _rarity_bits(self, field: int, record: ClientRecord) -> float:
        """The term-frequency adjustment of exact agreement on ``record``'s value: log2(average chance / the
        value's chance), at most :data:`MAX_RARITY_BITS`."""
        chance = self.frequencies.chance(field, _field_values(record, field))
        return min(MAX_RARITY_BITS, math.log2(self.average_chance[field] / chance))


# What a record holds of each identifier: a phone or email cell may hold several, an INN or a card number is one.
_IDENTIFIER_VALUES = {
    PHONE: attrgetter("phones"),
    EMAIL: attrgetter("emails"),
    TAX_ID: attrgetter("tax_id"),
    CARD: attrgetter("card"),
}


def identifier_agreement(records: Sequence[ClientRecord], field: int, shared_by_more: int) -> float:
    """The chance that two records holding the identifier ``field`` share one, counted from how many records hold
    each value and blended with :data:`PRIOR_U` as :data:`PSEUDO_RANDOM_PAIRS` pairs. A value on more than
    ``shared_by_more`` records (an office switchboard) is no identifier: blocking sets it aside, and so does this
    count, or it would make every shared phone count for little."""
    held = [values for values in map(_IDENTIFIER_VALUES[field], records) if values]
    holders = Counter(itertools.chain.from_iterable(held) if field in (PHONE, EMAIL) else held)
    holding = len(held)
    agreeing = sum(count * (count - 1) // 2 for count in holders.values() if count <= shared_by_more)
    pairs = holding * (holding - 1) // 2
    return (agreeing + PSEUDO_RANDOM_PAIRS * PRIOR_U[field][1]) / (pairs + PSEUDO_RANDOM_PAIRS)


def fit_model(
    records: Sequence[ClientRecord],
    comparisons: Sequence[Comparison],
    shared_by_more: int,
    merged: Sequence[tuple[ClientRecord, ClientRecord]] = (),
) -> MatchModel:
    """The model of ``records``, with m learnt on the ``comparisons`` of the candidate pairs blocking found;
    ``shared_by_more``: the most records sharing an identifier that blocking still compares.

    ``merged`` are the duplicates merged before (:func:`xlcrm.dedupe.merge_log.merged_pairs`): the survivor's row
    as it was and the row merged into it. Each merged row counts as one more record and each pair as one more
    candidate pair, a known duplicate, so the model is the one learnt on the records before those merges. Without
    them, a base whose duplicates were merged last night taught that phones are rarely shared and that duplicates
    are rare, and the next night proposed families sharing a home phone."""
    population = [*records, *(row for _survivor, row in merged)]
    sampled = [compare_records(population[a], population[b]) for a, b in random_pairs(len(population))]
    u = chance_levels(_vectors(sampled))
    for field in IDENTIFIERS:
        agreement = identifier_agreement(population, field, shared_by_more)
        u[field] = np.array([1 - agreement, agreement])
    frequencies = Frequencies.of(population)
    average = {field: frequencies.average_chance(field) for field in TERM_FREQUENCY_FIELDS}
    for field, chance in average.items():
        if not frequencies.holding[field]:
            continue
        # The chance of exact agreement is known from the values themselves, better than from a sample.
        top = LEVELS[field] - 1
        rest = u[field][:top] / u[field][:top].sum() * (1 - chance)
        u[field] = np.append(rest, chance)
    candidates = [*comparisons, *(compare_records(survivor, row) for survivor, row in merged)]
    estimate = estimate_m(_vectors(candidates), u, known=len(merged))
    all_pairs = max(1, len(population) * (len(population) - 1) // 2)
    # Every duplicate is taken to be among the candidates: the share of all pairs that match follows.
    share = min(0.5, max(1 / all_pairs, estimate.match_share * len(candidates) / all_pairs))
    return MatchModel(
        m=estimate.m,
        u=u,
        prior_bits=math.log2(share / (1 - share)),
        frequencies=frequencies,
        average_chance=average,
        candidate_pairs=len(comparisons),
        iterations=estimate.iterations,
    )


def _vectors(comparisons: Sequence[Comparison]) -> np.ndarray:
    if not comparisons:
        return np.empty((0, len(FIELDS)), dtype=np.int64)
    return np.array([c.levels for c in comparisons], dtype=np.int64)
