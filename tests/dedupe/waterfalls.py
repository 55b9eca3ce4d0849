"""Reading a waterfall of weighed reasons back, as a person reads it: ``same name +14.8; same city +3.4;
different phones −1.7 → 99.9 %; <notes>``. Tests pin what the reasons say and the probability's bounds, not the
weights, which the match model learns from each workbook."""

from __future__ import annotations

import re
from dataclasses import dataclass

# One weighed reason: its words, then its weight signed (a true minus sign) with one decimal, "." or ",".
WEIGHED = re.compile(r"^(?P<reason>.+) (?P<sign>[+−])(?P<bits>\d+[.,]\d)$")


@dataclass(frozen=True)
class Waterfall:
    terms: tuple[str, ...]  # the reasons without their weights, heaviest first
    bits: tuple[float, ...]  # their weights, signed
    percent: float  # the probability they come to, in per cent
    notes: str  # what follows the probability ("" when nothing does)


def read_waterfall(text: str) -> Waterfall:
    """The parts of a pair's reason (a waterfall, in either language)."""
    weighed, arrow, rest = text.partition(" → ")
    assert arrow, f"no probability in {text!r}"
    percent, _, notes = rest.partition("\u00a0%") if "\u00a0%" in rest.split(";")[0] else rest.partition(" %")
    terms, bits = [], []
    for term in weighed.split("; "):
        found = WEIGHED.match(term)
        assert found, f"{term!r} has no weight"
        terms.append(found["reason"])
        bits.append(float(found["bits"].replace(",", ".")) * (1 if found["sign"] == "+" else -1))
    return Waterfall(tuple(terms), tuple(bits), float(percent.replace(",", ".")), notes.removeprefix("; "))


def unweighed(text: str) -> str:
    """``text`` with every waterfall in it (an import's detail, a Merge log's "why") read without the weights and
    the probability: "probably C000002 (same name +16.4; same city +3.0 → 99.9 %; …)" reads
    "probably C000002 (same name; same city; …)"."""
    return re.sub(r" → \d+(?:[.,]\d)?[\u00a0 ]%", "", re.sub(r" [+−]\d+[.,]\d(?=;| →)", "", text))
