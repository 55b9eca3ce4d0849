"""The demo workbook: two years of a small IT-services company's client base, with planted problems.

``generate_demo`` is pure: from a seed and a "today" it makes every row of
every sheet plus a manifest of what was planted on purpose, so tests can
check that validation finds exactly the planted mistakes, that duplicate
detection finds the planted duplicates without merging the look-alikes, and
that the lifecycle blocks and the agenda make of each planted case (a client
for every rule: plans, silence past and just under each limit, Dead and Lost
clients, VIP/Key findings, birthdays) what its rule says.
The demo command builds the workbook from the template with them and saves it.

Everything else in the workbook is clean: valid phones, emails and INNs,
real dates, list values spelled as the workbook's lists spell them.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from stdnum.ru import inn as stdnum_inn

from xlcrm import schema
from xlcrm.checks.client_ids import client_id_text
from xlcrm.checks.consent import persons
from xlcrm.checks.findings import Code
from xlcrm.create import demo_data as vocab
from xlcrm.create.demo_contracts import LAPSED, PROSPECT, STEADY, Party, PlantedContract, make_contracts
from xlcrm.create.demo_payments import UNKNOWN_ORDER_NUMBER, Buyer, PlantedPayment, make_payments
from xlcrm.errors import UsageError
from xlcrm.messages import Message, Text, t, tn
from xlcrm.messages.as_json import JsonFields
from xlcrm.reports.greetings import next_anniversary
from xlcrm.schema import ListValue
from xlcrm.xlsx.refs import column_letter, sheet_ref

MIN_CLIENTS = 10
DUPLICATE_SHARE = 0.05  # about one client in twenty typed in twice
# A few clients typed in again with nothing to prove it (a new phone, no INN): dedupe puts them up for review.
PROBABLE_EVERY = 40  # one such pair per this many clients…
MAX_PROBABLE = 5  # …but only a few: enough to show the review, not a day's work
PROBABLE_FROM = 20  # a smaller demo keeps its few clients for the planted mistakes
LOOKALIKE_EVERY = 40  # one pair of different clients that look alike per this many clients
HISTORY_DAYS = 760  # about two years of clients and interactions before "today"
DEAD_AFTER_DAYS = schema.setting("dead_after_days").number
PARTNER_ORDERS = schema.setting("partner_orders").number
REGULAR_ORDERS = schema.setting("regular_orders").number


def _days_setting(key: str) -> int:
    return schema.setting(key).number


Row = dict[str, object]

# --- profiles: what happened with a client, so every lifecycle block gets members ---------------

PARTNER, REGULAR, WORKING, ACTIVE, POTENTIAL, SILENT, NOTHING = (
    "partner",
    "regular",
    "working",
    "active",
    "potential",
    "silent",
    "nothing",
)
# Extra profile of a planted duplicate: a few touches by another manager.
DUPLICATE = "duplicate"

_PROFILE_WEIGHTS = {PARTNER: 4, REGULAR: 14, WORKING: 24, ACTIVE: 10, POTENTIAL: 24, SILENT: 12, NOTHING: 12}
# Present in every demo of 14 clients or more, most important first (smaller demos keep a prefix).
_MANDATORY: tuple[tuple[str, ListValue | None], ...] = (
    (PARTNER, None),
    (REGULAR, None),
    (WORKING, None),
    (ACTIVE, None),
    (POTENTIAL, None),
    (SILENT, None),
    (NOTHING, None),
    (PARTNER, schema.KEY_ACCOUNT),
    (REGULAR, schema.VIP),
    (WORKING, schema.LOST),
    (SILENT, schema.VIP),  # a VIP gone quiet: lifecycle lists it for review instead of demoting it
)
# Designations given by hand, by profile: (value, probability).
_DESIGNATION_ODDS: dict[str, tuple[tuple[ListValue, float], ...]] = {
    PARTNER: ((schema.KEY_ACCOUNT, 0.2), (schema.VIP, 0.15)),
    REGULAR: ((schema.VIP, 0.06), (schema.KEY_ACCOUNT, 0.03)),
    WORKING: ((schema.LOST, 0.03),),
    SILENT: ((schema.LOST, 0.15),),
}
# Days before today a client of each profile was created: (min, max).
_CREATED_AGO = {
    PARTNER: (400, HISTORY_DAYS),
    REGULAR: (200, HISTORY_DAYS),
    WORKING: (30, 700),
    ACTIVE: (10, 500),
    POTENTIAL: (3, 600),
    SILENT: (DEAD_AFTER_DAYS + 90, HISTORY_DAYS),
    NOTHING: (1, 700),
}

# --- planted cases: a client for every rule of the blocks and the agenda --------------------------

BIRTHDAY_DAYS = _days_setting("birthday_days")
PLAN_EARLY_DAYS = _days_setting("plan_early_days")
FIRST_CONTACT_DAYS = _days_setting("first_contact_days")
ACTIVE_SILENT_DAYS = _days_setting("active_silent_days")
WORKING_SILENT_DAYS = _days_setting("working_silent_days")
LOST_ORDER_DAYS = _days_setting("lost_order_days")

BOOKED_MEETING = "booked_meeting"  # a meeting typed ahead as a row dated after today: a plan due on its date
PLAN_CLOSED = "plan_closed"  # a Next date followed up on its day
PLAN_OVERDUE = "plan_overdue"  # a Next date with only an unrelated earlier contact after it: open, overdue
PLAN_UPCOMING = "plan_upcoming"  # a Next date ahead; one for each manager
PLAN_AFTER_CALL = "plan_after_call"  # a Next date ahead, then an unrelated call logged without one: still open
ACTIVE_SILENT = "active_silent"  # an agreement, no order, silent past active_silent_days
ACTIVE_QUIET = "active_quiet"  # …silent one day less
WORKING_SILENT = "working_silent"  # one or two orders, silent past working_silent_days
WORKING_QUIET = "working_quiet"  # …silent one day less
NEVER_CONTACTED = "never_contacted"  # a prospect nobody has contacted, added long enough ago
NEVER_CONTACTED_NEW = "never_contacted_new"  # …added yesterday: the first contact is not due yet
COLD_PROSPECT = "cold_prospect"  # never ordered, silent over 400 days: stays Potential, cold
REVIVE_AT_LIMIT = "revive_at_limit"  # a former client silent exactly dead_after_days: Dead, worth reviving
REVIVE = "revive"  # a former client silent well over a year
LOST_WITH_REASON = "lost_with_reason"
LOST_WITHOUT_REASON = "lost_without_reason"
LOST_ORDERED_AGAIN = "lost_ordered_again"  # Lost, yet ordered within lost_order_days: check the status
VIP_NO_ORDERS = "vip_no_orders"  # a finding: VIP with fewer than regular_orders orders
KEY_ONE_ORDER = "key_one_order"  # a finding: Key with fewer than regular_orders orders
REORDER_OVERDUE = "reorder_overdue"  # a Regular client overdue against their own purchase rhythm
CLIENT_BIRTHDAY = "client_birthday"  # within the next birthday_days
CONTACT_BIRTHDAY = "contact_birthday"  # a contact person's, within the next birthday_days
# Every case, most important first: a small demo keeps a prefix (PLAN_UPCOMING once per manager).
CASES = (
    BOOKED_MEETING,
    PLAN_OVERDUE,
    PLAN_CLOSED,
    PLAN_AFTER_CALL,
    WORKING_SILENT,
    WORKING_QUIET,
    ACTIVE_SILENT,
    ACTIVE_QUIET,
    NEVER_CONTACTED,
    PLAN_UPCOMING,
    REVIVE_AT_LIMIT,
    COLD_PROSPECT,
    LOST_WITH_REASON,
    LOST_ORDERED_AGAIN,
    VIP_NO_ORDERS,
    KEY_ONE_ORDER,
    REORDER_OVERDUE,
    CLIENT_BIRTHDAY,
    CONTACT_BIRTHDAY,
    LOST_WITHOUT_REASON,
    REVIVE,
    NEVER_CONTACTED_NEW,
)
# The profile (for ratings and favourite services) and designation of each case's client.
_CASE_CLIENTS: dict[str, tuple[str, ListValue | None]] = {
    BOOKED_MEETING: (WORKING, None),
    PLAN_CLOSED: (WORKING, None),
    PLAN_OVERDUE: (WORKING, None),
    PLAN_UPCOMING: (WORKING, None),
    PLAN_AFTER_CALL: (REGULAR, None),
    ACTIVE_SILENT: (ACTIVE, None),
    ACTIVE_QUIET: (ACTIVE, None),
    WORKING_SILENT: (WORKING, None),
    WORKING_QUIET: (WORKING, None),
    NEVER_CONTACTED: (NOTHING, None),
    NEVER_CONTACTED_NEW: (NOTHING, None),
    COLD_PROSPECT: (POTENTIAL, None),
    REVIVE_AT_LIMIT: (SILENT, None),
    REVIVE: (SILENT, None),
    LOST_WITH_REASON: (SILENT, schema.LOST),
    LOST_WITHOUT_REASON: (WORKING, schema.LOST),
    LOST_ORDERED_AGAIN: (WORKING, schema.LOST),
    VIP_NO_ORDERS: (POTENTIAL, schema.VIP),
    KEY_ONE_ORDER: (WORKING, schema.KEY_ACCOUNT),
    REORDER_OVERDUE: (REGULAR, None),
    CLIENT_BIRTHDAY: (WORKING, None),
    CONTACT_BIRTHDAY: (WORKING, None),
}
_LOST_REASON_SHARE = 0.75  # most Lost clients of the random mix have their reason recorded
_CONSENT_SHARE = 0.88  # persons who have given consent to process their personal data; the rest are asked for it

_TOUCHES = (schema.CALL_OUT, schema.CALL_IN, schema.MESSAGE, schema.LETTER, schema.MEETING)
_TOUCH_WEIGHTS = (30, 20, 20, 15, 15)
_FIRST_TOUCH_WEIGHTS = (30, 35, 15, 10, 10)  # most clients start with a call
# Each source (schema.DEFAULT_SOURCES): the leads it brings and the share of them that order (Potential -> first
# order). A recommendation converts best, a cold call worst, advertising brings many leads and few orders. A client's
# source is drawn knowing whether it ordered, so the lifecycle mix stays as the profiles make it.
_SOURCE_FUNNEL = {
    "referral": (20, 0.75),
    "website": (24, 0.45),
    "advert": (26, 0.18),
    "cold_call": (14, 0.1),
    "exhibition": (6, 0.4),
    "social": (10, 0.3),
}
# Chance that a business client of each profile has contracts, and what it makes of them.
_CONTRACT_ODDS = {
    PARTNER: (0.95, STEADY),
    REGULAR: (0.75, STEADY),
    WORKING: (0.45, STEADY),
    SILENT: (0.5, LAPSED),
    ACTIVE: (0.5, PROSPECT),
    POTENTIAL: (0.08, PROSPECT),
}
CONTRACT_CLIENT_GAP = 40  # the unknown client of a planted contract: this many numbers past the last ClientID
_PRIVATE_SHARE = 0.08  # private persons: a name, no company
# How another manager retypes a client, taken in turn so that even a small demo shows each one.
_DUPLICATE_TRICKS = ("transliterated", "homoglyph", "initials", "no legal form", "legal form", "first name first")
# Tries to find a person or company name not used yet; big demos run out of names and reuse them.
_NAME_ATTEMPTS = 10

# A client's loyalty and payment columns until the payments give them values (xlcrm/create/demo_payments.py).
_NO_LOYALTY: Row = {"discount": None, "card_number": None, "payment_term": None}

# Roles of clients in the planted cases.
_PLAIN, _BLANK_ID, _REPEATED_ID, _DUPLICATE = "plain", "blank-id", "repeated-id", "duplicate"


# --- the manifest ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlantedMistake(JsonFields):
    """A cell made wrong on purpose, with the finding validation must report for it."""

    code: Code
    cell: str  # "Клиенты!E14", the sheet's localized name as validation writes it
    value: str  # what was typed
    note: Text


@dataclass(frozen=True)
class PlantedDuplicate(JsonFields):
    """The same client typed in a second time, by another manager, with realistic differences."""

    original: str  # ClientID
    duplicate: str
    how: Text


@dataclass(frozen=True)
class Lookalike(JsonFields):
    """Two different clients that look alike and must never be merged."""

    first: str  # ClientID
    second: str
    why: Text


@dataclass(frozen=True)
class ProbableDuplicate(JsonFields):
    """The same client typed in again with nothing that proves it (no shared phone, email or INN): dedupe lists the
    pair on the Duplicates sheet for the user to decide, and never merges it by itself."""

    original: str  # ClientID
    duplicate: str
    how: Text


@dataclass(frozen=True)
class PlantedCase(JsonFields):
    """A client made on purpose to show one rule of the blocks or the agenda, with what the rule must make of it.

    ``cell`` is the cell the case rests on: a plan's Next date, a booked row's Date, the Date of the last contact
    (silence) or of the order that matters, a birthday, a Designation or Reason lost, the Created of a client nobody
    contacted; "" only when the case has no cell of its own (a Lost client's cell being the client's other rows).
    ``due`` is when the task the rule makes is due; None when the rule makes no dated task (nothing to do yet, a
    finding, a reactivation candidate, a status to check).
    """

    case: str  # one of CASES
    client_id: str
    manager: str
    cell: str
    due: dt.date | None
    note: Text


@dataclass
class DemoData:
    locale: str
    today: dt.date
    rows: dict[str, list[Row]]  # schema sheet key -> rows of schema column key -> value
    lists: dict[str, list[str]]  # Settings lists the template should use instead of its defaults
    planted_mistakes: list[PlantedMistake]
    planted_duplicates: list[PlantedDuplicate]
    lookalikes: list[Lookalike]
    probable_duplicates: list[ProbableDuplicate]
    planted_cases: list[PlantedCase] = field(default_factory=list)
    planted_contracts: list[PlantedContract] = field(default_factory=list)
    planted_payments: list[PlantedPayment] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)  # Settings values instead of their defaults


def generate_demo(clients: int, seed: int, locale: str, today: dt.date) -> DemoData:
    """Every row of the demo workbook and the manifest of planted cases; the same inputs give the same data.

    ``clients`` is the number of rows on the Clients sheet, planted duplicates (certain and probable) included.
    """
    if locale not in schema.LOCALES:
        raise UsageError(t("unknown locale '{locale}'; use one of {choices}", locale=locale, choices=schema.LOCALES))
    if clients < MIN_CLIENTS:
        raise UsageError(t("a demo needs at least {least} clients, not {clients}", least=MIN_CLIENTS, clients=clients))
    return _Builder(clients, random.Random(seed), locale, today).build()


# --- people, phones and the client record -----------------------------------------------------


@dataclass(frozen=True)
class _Person:
    surname: str  # already in the person's gender
    first: str
    patronymic: str
    female: bool

    @property
    def full(self) -> str:
        return f"{self.surname} {self.first} {self.patronymic}"

    @property
    def initials(self) -> str:
        return f"{self.surname} {self.first[0]}.{self.patronymic[0]}."


@dataclass(frozen=True)
class _Phone:
    code: str  # 3-digit mobile or city code, or a 4-digit city code
    subscriber: str  # 7 digits, or 6 after a 4-digit code
    style: int
    extension: str = ""


def _groups(subscriber: str) -> tuple[str, ...]:
    """123-45-67 for seven digits, 12-34-56 for six: how Russians group a local number."""
    if len(subscriber) == 7:
        return subscriber[:3], subscriber[3:5], subscriber[5:]
    return subscriber[:2], subscriber[2:4], subscriber[4:]


# How people type the same number; all are read by normalize.parse_phones.
_PHONE_STYLES: tuple[Callable[[str, tuple[str, ...]], str], ...] = (
    lambda code, g: f"8 ({code}) {'-'.join(g)}",
    lambda code, g: f"+7 {code} {' '.join(g)}",
    lambda code, g: f"8{code}{''.join(g)}",
    lambda code, g: f"+7 ({code}) {'-'.join(g)}",
    lambda code, g: f"8-{code}-{'-'.join(g)}",
    lambda code, g: f"+7{code}{''.join(g)}",
    lambda code, g: f"+7({code}){'-'.join(g)}",
)
_PHONE_JOINERS = (", ", "; ", " или ")


def _phone_text(phone: _Phone, style: int | None = None) -> str:
    text = _PHONE_STYLES[phone.style if style is None else style](phone.code, _groups(phone.subscriber))
    return f"{text} доб. {phone.extension}" if phone.extension else text


def _render_phones(phones: Sequence[_Phone], joiner: str) -> str:
    return joiner.join(_phone_text(phone) for phone in phones)


@dataclass(frozen=True)
class _Beat:
    """One interaction of a planted case's story."""

    day: dt.date
    kind: ListValue
    next_date: dt.date | None = None
    booked: bool = False  # typed ahead: no result yet
    marked: str = ""  # the column of this row the case rests on ("date", "next_date")


@dataclass(frozen=True)
class _CaseRef:
    """Where a planted case rests: resolved to a cell once the rows are in workbook order."""

    client: _Client
    sheet: schema.Sheet
    row: Row
    column: str


@dataclass
class _Client:
    seq: int  # creation order, for stable sorting
    profile: str
    designation: ListValue | None = None
    role: str = _PLAIN
    plan: str = ""  # "upcoming" / "overdue": forces a Next date of that kind on the last interaction
    birthday_soon: bool = False
    protected: bool = False  # part of a planted duplicate or look-alike pair: kept free of mistakes
    mandatory: bool = False  # one of the situations every demo shows: no planted repeated ID copies its ID
    case: str = ""  # a planted case (one of CASES): its history is the story below, nothing random spoils it
    story: list[_Beat] = field(default_factory=list)
    case_due: dt.date | None = None
    case_note: Message | None = None
    case_column: str = ""  # the Clients column the case rests on when no interaction row does
    manager: str = ""  # given by the case; blank: picked at random
    lost_reason: ListValue | None = None
    repeats: _Client | None = None  # for a planted repeated ID: the client whose ID it copies
    person: _Person | None = None
    form: tuple[str, str, str, int] | None = None  # legal form from vocab.LEGAL_FORMS; None for a person
    core: str = ""
    quotes: tuple[str, str] = ("«", "»")
    city: vocab.City | None = None
    created: dt.date = dt.date.min
    client_id: str | None = None
    row: Row = field(default_factory=dict)
    favourites: list[vocab.Service] = field(default_factory=list)
    phones: list[_Phone] = field(default_factory=list)
    domain: str = ""

    @property
    def is_ip(self) -> bool:
        return self.form is not None and self.form[0] == "ip"

    def company(self) -> str | None:
        if self.form is None:
            return None
        if self.is_ip:
            assert self.person is not None
            return f"{self.form[1]} {self.person.initials}"
        return f"{self.form[1]} {self.quotes[0]}{self.core}{self.quotes[1]}"


@dataclass
class _Mistake:
    code: Code
    sheet: schema.Sheet
    row: Row
    column: str
    note: Message


# --- the builder ---------------------------------------------------------------------------------


class _Builder:
    def __init__(self, clients: int, rng: random.Random, locale: str, today: dt.date) -> None:
        self.total = clients
        self.rng = rng
        self.locale = locale
        self.today = today
        # Each kind of planted mistake appears this many times: a dozen or so, a few dozen in big demos.
        self.repeat = min(4, 1 + clients // 1000)
        self.used_phones: set[str] = set()
        self.used_emails: set[str] = set()
        self.used_inns: set[str] = set()
        self.used_people: set[str] = set()
        self.used_companies: set[str] = set()
        self.used_domains: set[str] = set()
        self.mistakes: list[_Mistake] = []
        self.last_number = 0  # the highest ClientID number given out
        # Interaction row -> (its client, whether it is neither the client's first nor last interaction).
        self.row_clients: dict[int, tuple[_Client, bool]] = {}
        self.managers: list[str] = []
        self.case_refs: list[_CaseRef] = []
        self.services = [s for s in vocab.SERVICES if s.active]

    def build(self) -> DemoData:
        rng = self.rng
        self.managers = rng.sample(vocab.MANAGERS, rng.randint(3, 5))
        duplicates = max(1, round(self.total * DUPLICATE_SHARE))
        probable = min(MAX_PROBABLE, max(1, self.total // PROBABLE_EVERY)) if self.total >= PROBABLE_FROM else 0
        base = self._base_clients(self.total - duplicates - probable)
        pairs = self._lookalikes(base)
        for client in base:
            self._fill_client(client)
        copies = self._duplicates(base, duplicates)
        retyped = self._probable_duplicates(base, probable, len(base) + len(copies))
        self._choose_repeated_sources(base)
        clients = sorted(base + [copy for copy, _, _ in copies + retyped], key=lambda c: (c.created, c.seq))
        self._assign_ids(clients)

        interactions: list[tuple[dt.date, int, Row]] = []
        orders: dict[int, int] = {}  # id() of a client -> its orders
        order_name = schema.ORDER.name(self.locale)
        for client in clients:
            timeline = self._timeline(client, len(interactions))
            orders[id(client)] = sum(1 for day, _, row in timeline if row["type"] == order_name and day <= self.today)
            interactions.extend(timeline)
        self._assign_sources(clients, orders)
        contracts = make_contracts(
            self._contract_parties(clients, orders),
            client_id_text(self.last_number + CONTRACT_CLIENT_GAP + self.rng.randint(0, 9)),
            self.rng,
            self.locale,
            self.today,
        )
        interactions.extend(self._unknown_client_rows(len(interactions)))
        interactions.sort(key=lambda item: (item[0], item[1]))
        interaction_rows = [row for _, _, row in interactions]
        contact_rows = [row for client in clients for row in self._contacts(client)]
        client_rows = [client.row for client in clients]

        self._plant_client_mistakes(clients)
        self._plant_interaction_mistakes(interaction_rows)
        self._list_designation_findings(clients, interaction_rows)
        self._list_consent_findings(clients)
        # Payments come last: the random draws before them, and so everything else of the demo, stay as they were.
        payments = make_payments(
            self._buyers(clients, interaction_rows),
            [row for row in interaction_rows if row["type"] == order_name],
            self.managers,
            self.rng,
            self.locale,
            self.today,
        )
        interactions.extend((day, len(interactions) + index, row) for index, (day, row) in enumerate(payments.rows))
        for case in payments.cases:
            if case.case == UNKNOWN_ORDER_NUMBER:  # validation reports it on the Order No. the payment names
                self._mistake(Code.UNKNOWN_ORDER, case.sheet, case.row, case.column, case.note)
        interactions.sort(key=lambda item: (item[0], item[1]))
        interaction_rows = [row for _, _, row in interactions]
        rows = {
            schema.CLIENTS.key: client_rows,
            schema.CONTACTS.key: contact_rows,
            schema.SERVICES.key: self._service_rows(),
            schema.INTERACTIONS.key: interaction_rows,
            schema.CONTRACTS.key: contracts.rows,
        }
        for finding in contracts.findings:
            self._mistake(finding.code, schema.CONTRACTS, finding.row, finding.column, finding.note)
        return DemoData(
            locale=self.locale,
            today=self.today,
            rows=rows,
            lists={"managers": list(self.managers)},
            planted_mistakes=self._resolve_mistakes(rows),
            planted_duplicates=[
                PlantedDuplicate(str(original.client_id), str(copy.client_id), how) for copy, original, how in copies
            ],
            lookalikes=[Lookalike(str(a.client_id), str(b.client_id), why) for a, b, why in pairs],
            probable_duplicates=[
                ProbableDuplicate(str(original.client_id), str(copy.client_id), how) for copy, original, how in retyped
            ],
            planted_cases=self._resolve_cases(rows),
            planted_contracts=contracts.planted,
            planted_payments=payments.planted(functools.partial(_cell, self.locale, _positions(rows))),
            settings=payments.settings,
        )

    def _word(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.locale == "ru" else pair[0]

    def _buyers(self, clients: list[_Client], interactions: list[Row]) -> list[Buyer]:
        """The clients with a ClientID of their own as the payments see them, with their orders as the log has
        them; an ordinary client (no planted case, duplicate, look-alike, designation or repeated ID) may carry a
        planted payment case."""
        order_name = schema.ORDER.name(self.locale)
        orders: dict[object, list[Row]] = defaultdict(list)
        for row in interactions:
            if row["type"] == order_name:
                orders[row["client_id"]].append(row)
        repeated = {client.repeats.client_id for client in clients if client.repeats is not None}
        return [
            Buyer(
                str(client.client_id),
                str(client.row["manager"]),
                client.row,
                retail=client.form is None or client.is_ip,
                big=client.profile == PARTNER or client.designation in (schema.VIP, schema.KEY_ACCOUNT),
                orders=orders[client.client_id],
                plantable=client.role == _PLAIN
                and not (client.case or client.protected or client.designation)
                and client.client_id not in repeated,
                typed_again=client.role == _DUPLICATE,
            )
            for client in clients
            if client.role in (_PLAIN, _DUPLICATE)
        ]

    def _assign_sources(self, clients: list[_Client], orders: dict[int, int]) -> None:
        """Each client's Source, drawn by the leads each source brings and its conversion: a client who ordered
        most likely came from a source that converts well; a client of a rank that orders as a Regular client does,
        even more so."""
        leads = [_SOURCE_FUNNEL[source.key][0] for source in schema.DEFAULT_SOURCES]
        conversion = [_SOURCE_FUNNEL[source.key][1] for source in schema.DEFAULT_SOURCES]
        weights = {
            "none": [n * (1 - share) for n, share in zip(leads, conversion)],
            "ordered": [n * share for n, share in zip(leads, conversion)],
            "regular": [n * share * share for n, share in zip(leads, conversion)],
        }
        for client in clients:
            count = orders[id(client)]
            kind = "none" if count == 0 else "regular" if count >= REGULAR_ORDERS else "ordered"
            source = self.rng.choices(schema.DEFAULT_SOURCES, weights[kind])[0]
            client.row["source"] = source.name(self.locale)

    def _contract_parties(self, clients: list[_Client], orders: dict[int, int]) -> list[Party]:
        """The business clients with contracts (Partner and Key ones nearly all), in the order they were created;
        planted cases, duplicates and clients without a ClientID of their own have none."""
        parties = []
        # A ClientID a planted mistake repeats counts for neither row until fixed: its client signs nothing.
        repeated = {client.repeats.client_id for client in clients if client.repeats is not None}
        for client in clients:
            if client.role != _PLAIN or client.case or client.form is None or client.profile not in _CONTRACT_ODDS:
                continue
            if client.client_id in repeated:
                continue
            chance, standing = _CONTRACT_ODDS[client.profile]
            key = client.designation is schema.KEY_ACCOUNT
            if client.designation is schema.LOST:
                standing = LAPSED
            if standing == LAPSED and orders[id(client)] == 0:
                continue  # never bought: nothing was signed
            if self.rng.random() < (1.0 if key else chance):
                parties.append(
                    Party(
                        str(client.client_id),
                        str(client.row["manager"]),
                        client.created,
                        client.favourites[0],
                        standing,
                        big=key or client.profile == PARTNER,
                    )
                )
        return parties

    def _days_ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))

    # --- clients ---------------------------------------------------------------------------------

    def _base_clients(self, count: int) -> list[_Client]:
        """Clients with a profile each: the mandatory situations first, then a realistic mix."""
        rng = self.rng
        id_mistakes = [_BLANK_ID] * self.repeat + [_REPEATED_ID] * self.repeat
        mandatory = _MANDATORY[: count - len(id_mistakes)]
        # Half of the clients left over at most: a small demo keeps ordinary clients to plant its mistakes on.
        cases = self._cases(max(0, (count - len(id_mistakes) - len(mandatory)) // 2))
        profiles = list(mandatory)
        profiles += [
            (p, None)
            for p in rng.choices(
                list(_PROFILE_WEIGHTS),
                list(_PROFILE_WEIGHTS.values()),
                k=count - len(id_mistakes) - len(mandatory) - len(cases),
            )
        ]
        clients = []
        for seq, (profile, designation) in enumerate(profiles):
            if designation is None and seq >= len(mandatory):
                designation = self._designation(profile)
            created = self._days_ago(*_CREATED_AGO[profile])
            clients.append(_Client(seq, profile, designation, created=created, mandatory=seq < len(mandatory)))
        for case, manager in cases:
            clients.append(self._case_client(len(clients), case, manager))
        # Clients whose ID is blank or repeated were typed in lately and have no history yet.
        for role in id_mistakes:
            clients.append(_Client(len(clients), NOTHING, role=role, created=self._days_ago(0, 20)))
        # Make sure the agenda has an upcoming task, an overdue one and a birthday to show.
        for client, plan in zip(clients, ("upcoming", "overdue")):
            client.plan = plan
        if len(clients) > 2:
            clients[2].birthday_soon = True
        for client in clients:
            self._identity(client)
            if client.case == CONTACT_BIRTHDAY and (client.form is None or client.is_ip):
                client.form, client.core = vocab.LEGAL_FORMS[0], self._company_core()  # a company has contacts
        return clients

    def _designation(self, profile: str) -> ListValue | None:
        roll = self.rng.random()
        for value, odds in _DESIGNATION_ODDS.get(profile, ()):
            if roll < odds:
                return value
            roll -= odds
        return None

    def _person(self) -> _Person:
        """A person with a name not used yet (as long as the vocabulary allows)."""
        rng = self.rng
        female = rng.random() < 0.45
        for _ in range(_NAME_ATTEMPTS):
            surname = rng.choice(vocab.SURNAMES)
            father = rng.choice(vocab.PATRONYMICS)
            if female:
                person = _Person(vocab.female_surname(surname), rng.choice(vocab.FEMALE_NAMES), father[1], True)
            else:
                person = _Person(surname, rng.choice(vocab.MALE_NAMES), father[0], False)
            if person.full not in self.used_people and person.initials not in self.used_people:
                break
        self.used_people.update((person.full, person.initials))
        return person

    def _identity(self, client: _Client) -> None:
        rng = self.rng
        client.person = self._person()
        client.city = rng.choices(vocab.CITIES, [c.weight for c in vocab.CITIES])[0]
        if rng.random() < _PRIVATE_SHARE:
            return
        client.form = rng.choices(vocab.LEGAL_FORMS, [f[3] for f in vocab.LEGAL_FORMS])[0]
        client.quotes = rng.choice(vocab.QUOTES)
        if not client.is_ip:
            client.core = self._company_core()

    def _company_core(self) -> str:
        """A company name not used yet: a plain word, a word with a suffix, or as a last resort numbered."""
        rng = self.rng
        for attempt in range(_NAME_ATTEMPTS):
            core = rng.choice(vocab.COMPANY_CORES)
            if attempt >= _NAME_ATTEMPTS // 2:
                core = f"{core}{rng.choice((' ', '-'))}{rng.choice(vocab.COMPANY_SUFFIXES)}"
            if schema.fold(core) not in self.used_companies:
                break
        # Thousands of companies exhaust the words; then they get numbers, as in "Вектор-17".
        while schema.fold(core) in self.used_companies:
            core = f"{rng.choice(vocab.COMPANY_CORES)}-{rng.randint(2, 999)}"
        self.used_companies.add(schema.fold(core))
        return core

    def _fill_client(self, client: _Client) -> None:
        """Everything derived from who the client is: INN, phones, email, address and the rest of the row."""
        rng = self.rng
        assert client.person is not None and client.city is not None
        person, city = client.person, client.city
        needs_inn = client.protected or client.form is not None and rng.random() < 0.88
        inn = self._inn(city, personal=client.form is None or client.is_ip) if needs_inn else None
        client.phones = self._client_phones(city)
        email = self._client_email(client)
        birthday = (self._birthday_away() if client.case else self._birthday()) if rng.random() < 0.65 else None
        if client.birthday_soon or client.case == CLIENT_BIRTHDAY:
            birthday = self._birthday_soon()
            if client.case == CLIENT_BIRTHDAY:
                client.case_due = _next_anniversary(birthday, self.today)
        manager = rng.choice(self.managers)
        if client.designation is schema.LOST and not client.case and rng.random() < _LOST_REASON_SHARE:
            client.lost_reason = rng.choice(schema.DEFAULT_LOST_REASONS)
        # Consent is needed from persons (no company, or a sole trader): most have given it, a few not yet, and the
        # agenda asks for it. A company's consent date is there when its contact person signed one.
        # One draw decides, whoever the client is, so the random values of the rest of the demo do not depend on it.
        needs_consent = client.form is None or client.is_ip
        consent = None
        draw = rng.random()
        if draw < 0.75:
            consent = client.created + dt.timedelta(days=rng.randint(0, min(30, (self.today - client.created).days)))
        elif client.case or (needs_consent and draw < _CONSENT_SHARE):
            consent = client.created  # signed the day the client was entered
        rating = None
        if client.profile in (PARTNER, REGULAR) or rng.random() < 0.4:
            rating = rng.randint(4, 5) if client.profile == PARTNER else rng.randint(1, 5)
        client.favourites = self._favourites(client.profile)
        client.row = {
            "client_id": None,
            "name": person.full,
            "company": client.company(),
            "inn": inn,
            "phone": _render_phones(client.phones, rng.choice(_PHONE_JOINERS)),
            "email": email,
            "city": city.name,
            "address": self._address(city) if rng.random() < 0.8 else None,
            "birthday": birthday,
            "source": None,  # drawn once the client's orders are known
            "manager": client.manager or manager,
            "designation": client.designation.name(self.locale) if client.designation else None,
            "lost_reason": client.lost_reason.name(self.locale) if client.lost_reason else None,
            "rating": rating,
            "consent_date": consent,
            "comment": self._word(rng.choice(vocab.CLIENT_COMMENTS)) if rng.random() < 0.25 else None,
            "created": client.created,
            **_NO_LOYALTY,
        }

    def _inn(self, city: vocab.City, personal: bool) -> str:
        """A new INN with correct check digits: 12 digits for a person or ИП, 10 for a company."""
        rng = self.rng
        while True:
            head = city.region + f"{rng.randint(1, 46):02d}"
            if personal:
                body = head + f"{rng.randrange(10**6):06d}"
                inn = body + stdnum_inn.calc_personal_check_digits(body)
            else:
                body = head + f"{rng.randrange(10**5):05d}"
                inn = body + stdnum_inn.calc_company_check_digit(body)
            if inn not in self.used_inns:
                self.used_inns.add(inn)
                return inn

    def _phone(self, code: str, extension: bool = False) -> _Phone:
        rng = self.rng
        while True:
            rest = 9 - len(code)  # digits after the first, which is never 0 or 1 in a local number
            subscriber = f"{rng.randint(2, 9)}{rng.randrange(10**rest):0{rest}d}"
            if code + subscriber not in self.used_phones:
                self.used_phones.add(code + subscriber)
                ext = str(rng.randint(10, 450)) if extension else ""
                return _Phone(code, subscriber, rng.randrange(len(_PHONE_STYLES)), ext)

    def _mobile(self) -> _Phone:
        return self._phone(self.rng.choice(vocab.MOBILE_CODES))

    def _client_phones(self, city: vocab.City) -> list[_Phone]:
        roll = self.rng.random()
        if roll < 0.75:
            return [self._mobile()]
        landline = self._phone(city.phone_code, extension=self.rng.random() < 0.5)
        return [landline] if roll < 0.85 else [self._mobile(), landline]

    def _unique_email(self, local: str, domain: str) -> str:
        email = f"{local}@{domain}"
        number = 1
        while email in self.used_emails:
            number += 1
            email = f"{local}{number}@{domain}"
        self.used_emails.add(email)
        return email

    def _personal_email(self, person: _Person) -> str:
        rng = self.rng
        surname = vocab.transliterate(person.surname).lower()
        first = vocab.transliterate(person.first).lower()
        local = rng.choice(
            (
                f"{first[0]}.{surname}",
                f"{surname}.{first}",
                f"{first}{surname}",
                f"{surname}{rng.randint(60, 99)}",
                f"{first}.{surname}",
            )
        )
        return self._unique_email(local, rng.choice(vocab.MAIL_DOMAINS))

    def _company_domain(self, client: _Client) -> str:
        assert client.city is not None
        slug = vocab.transliterate(client.core).lower().replace(" ", "-")
        domain = f"{slug}.ru"
        if domain in self.used_domains:
            domain = f"{slug}-{client.city.slug}.ru"
        number = 1
        while domain in self.used_domains:
            number += 1
            domain = f"{slug}{number}.ru"
        self.used_domains.add(domain)
        return domain

    def _client_email(self, client: _Client) -> str | None:
        rng = self.rng
        assert client.person is not None
        roll = rng.random()
        if client.form is None or client.is_ip:
            return self._personal_email(client.person) if roll < 0.8 or client.protected else None
        client.domain = self._company_domain(client)
        if roll < 0.55:
            return self._unique_email(rng.choice(vocab.CORPORATE_MAILBOXES), client.domain)
        if roll < 0.9 or client.protected:
            return self._personal_email(client.person)
        return None

    def _birthday(self) -> dt.date:
        oldest = dt.date(self.today.year - 70, 1, 1)
        youngest = dt.date(self.today.year - 21, 12, 31)
        return oldest + dt.timedelta(days=self.rng.randint(0, (youngest - oldest).days))

    def _birthday_away(self) -> dt.date:
        """A birthday not in the next few weeks: a planted case's people are greeted only when the case says so."""
        while True:
            birthday = self._birthday()
            coming = _next_anniversary(birthday, self.today - dt.timedelta(days=1))  # today's counts as coming
            if (coming - self.today).days > BIRTHDAY_DAYS + 7:
                return birthday

    def _birthday_soon(self) -> dt.date:
        """A birthday within the agenda's default window (not on 29 February: birth years vary)."""
        day = self.today + dt.timedelta(days=self.rng.randint(1, 10))
        if (day.month, day.day) == (2, 29):
            day += dt.timedelta(days=1)
        return day.replace(year=self.today.year - self.rng.randint(25, 60))

    def _address(self, city: vocab.City) -> str:
        rng = self.rng
        text = f"{rng.choice(vocab.STREETS)}, д. {rng.randint(1, 150)}"
        if rng.random() < 0.1:
            text += f", стр. {rng.randint(1, 5)}"
        if rng.random() < 0.5:
            text += f", оф. {rng.randint(1, 520)}"
        return f"г. {city.name}, {text}" if rng.random() < 0.3 else text

    def _favourites(self, profile: str) -> list[vocab.Service]:
        """The services a client buys: partners live on a monthly subscription."""
        rng = self.rng
        monthly = [s for s in self.services if s.unit[0] == "month"]
        others = [s for s in self.services if s not in monthly]
        if profile == PARTNER:
            return [rng.choice(monthly), rng.choice(others)]
        return rng.sample(self.services, rng.randint(1, 2))

    # --- look-alikes and duplicates ------------------------------------------------------------------

    def _lookalikes(self, clients: list[_Client]) -> list[tuple[_Client, _Client, Message]]:
        """Pairs of different clients made to look alike: same company name, namesakes, same initials."""
        rng = self.rng
        pool = [c for c in clients if c.role == _PLAIN and not c.case]
        rng.shuffle(pool)
        pairs = []
        for number in range(max(1, self.total // LOOKALIKE_EVERY)):
            if len(pool) < 2:
                break
            first, second = pool.pop(), pool.pop()
            first.protected = second.protected = True
            assert first.city is not None and first.person is not None
            second.city = rng.choice([c for c in vocab.CITIES if c.name != first.city.name])
            kind = number % 3
            if kind == 0:
                if first.form is None or first.is_ip:
                    first.form = vocab.LEGAL_FORMS[0]
                    first.core = self._company_core()
                second.form, second.core = first.form, first.core
                second.quotes = rng.choice(vocab.QUOTES)
                why = t(
                    "same company name {company} in {city} and {other_city}, different INN",
                    company=first.company(),
                    city=first.city.name,
                    other_city=second.city.name,
                )
            elif kind == 1:
                second.person = first.person
                why = t(
                    "namesakes: {name} in {city} and {other_city}, different INN",
                    name=first.person.full,
                    city=first.city.name,
                    other_city=second.city.name,
                )
            else:
                first.form = second.form = vocab.LEGAL_FORMS[1]
                first.person, second.person = self._same_initials()
                why = t(
                    "same short name {company}: {name} and {other_name}, different INN",
                    company=first.company(),
                    name=first.person.full,
                    other_name=second.person.full,
                )
            pairs.append((first, second, why))
        return pairs

    def _same_initials(self) -> tuple[_Person, _Person]:
        """Two people with the same surname and initials: ИП Смирнов А.В. and ИП Смирнов А.В."""
        rng = self.rng
        female = rng.random() < 0.45
        names = vocab.FEMALE_NAMES if female else vocab.MALE_NAMES
        fathers = [pair[1] if female else pair[0] for pair in vocab.PATRONYMICS]
        while True:
            name, father = rng.choice(names), rng.choice(fathers)
            twins = [
                (n, f)
                for n in names
                for f in fathers
                if n[0] == name[0] and f[0] == father[0] and (n, f) != (name, father)
            ]
            if twins:
                break
        other_name, other_father = rng.choice(twins)
        surname = rng.choice(vocab.SURNAMES)
        surname = vocab.female_surname(surname) if female else surname
        first, second = _Person(surname, name, father, female), _Person(surname, other_name, other_father, female)
        self.used_people.update((first.full, second.full, first.initials))
        return first, second

    def _duplicates(self, clients: list[_Client], count: int) -> list[tuple[_Client, _Client, Message]]:
        """Clients typed in again by another manager; each copy keeps the same phone number."""
        rng = self.rng
        pool = [c for c in clients if c.role == _PLAIN and not c.protected and not c.case]
        copies: list[tuple[_Client, _Client, Message]] = []
        for original in rng.sample(pool, min(count, len(pool))):
            original.protected = True
            copies.append(self._duplicate_of(original, len(clients) + len(copies), len(copies)))
        return copies

    def _duplicate_of(self, original: _Client, seq: int, number: int) -> tuple[_Client, _Client, Message]:
        rng = self.rng
        assert original.person is not None
        copy = _retyped(original, seq, min(self.today, original.created + dt.timedelta(days=rng.randint(20, 400))))
        phone = original.phones[0]
        style = rng.choice([s for s in range(len(_PHONE_STYLES)) if s != phone.style])
        how = [t("phone typed as '{typed}', not '{usual}'", typed=_phone_text(phone, style), usual=_phone_text(phone))]
        trick = _DUPLICATE_TRICKS[number % len(_DUPLICATE_TRICKS)]
        name, company, note = self._retyped(original, trick)
        how.append(note)
        if "ё" in name + (company or "") and rng.random() < 0.8:
            name = name.replace("ё", "е")
            company = company.replace("ё", "е") if company else None
            how.append(t("ё typed as е"))
        email = original.row["email"]
        if isinstance(email, str):
            roll = rng.random()
            if roll < 0.4:
                email = _other_case(email)
                how.append(t("email in other letter case"))
            elif roll < 0.6:
                email = None
                how.append(t("no email"))
        inn = original.row["inn"]
        if inn and rng.random() < 0.35:
            inn = None
            how.append(t("INN not filled in"))
        copy.row = self._row_typed_again(
            original,
            copy.created,
            name=name,
            company=company,
            inn=inn,
            phone=_phone_text(phone, style),
            email=email,
            city=original.row["city"],
            address=original.row["address"] if rng.random() < 0.5 else None,
        )
        return copy, original, _joined(how)

    def _probable_duplicates(
        self, clients: list[_Client], count: int, seq: int
    ) -> list[tuple[_Client, _Client, Message]]:
        """Clients typed in again by another manager with a new phone and no INN: the same name, company and city,
        but nothing shared that proves it is the same client."""
        pool = [c for c in clients if c.role == _PLAIN and not c.protected and not c.case]
        copies: list[tuple[_Client, _Client, Message]] = []
        for original in self.rng.sample(pool, min(count, len(pool))):
            original.protected = True
            copies.append(self._probable_copy(original, seq + len(copies)))
        return copies

    def _probable_copy(self, original: _Client, seq: int) -> tuple[_Client, _Client, Message]:
        rng = self.rng
        assert original.person is not None and original.city is not None
        copy = _retyped(original, seq, min(self.today, original.created + dt.timedelta(days=rng.randint(60, 400))))
        copy.phones = [self._mobile()]
        how = [t("a new phone {phone}", phone=_phone_text(copy.phones[0]))]
        email = None
        if rng.random() < 0.6:
            email = self._personal_email(original.person)
            how.append(t("another email {email}", email=email))
        else:
            how.append(t("no email"))
        how.append(t("INN not filled in") if original.row["inn"] else t("no INN on either"))
        copy.row = self._row_typed_again(
            original,
            copy.created,
            name=original.person.full,
            company=original.company(),
            inn=None,
            phone=_phone_text(copy.phones[0]),
            email=email,
            city=original.city.name,
            address=None,
        )
        return copy, original, _joined(how)

    def _row_typed_again(self, original: _Client, created: dt.date, **typed: object) -> Row:
        """The Clients row of ``original`` typed in again by another manager on ``created``: ``typed`` (name …
        address) as they typed it, a source of its own and a manager other than the original's, the original's
        Consent date; no ClientID yet and the rest blank."""
        rng = self.rng
        return {
            "client_id": None,
            **typed,
            "birthday": None,
            "source": None,  # drawn once the client's orders are known
            "manager": rng.choice([m for m in self.managers if m != original.row["manager"]]),
            "designation": None,
            "lost_reason": None,
            "rating": None,
            # The consent the client gave is the client's, whoever typed the row: a copy is no finding of its own.
            "consent_date": original.row["consent_date"],
            "comment": None,
            "created": created,
            **_NO_LOYALTY,
        }

    def _retyped(self, original: _Client, trick: str) -> tuple[str, str | None, Message]:
        """(name, company, what differs) as another manager typed the client, using ``trick`` if it fits."""
        rng = self.rng
        person, core, quotes = original.person, original.core, original.quotes
        assert person is not None
        name, company = person.full, original.company()
        if original.form is not None and core:
            short, full = original.form[1], original.form[2]
            if trick == "transliterated":
                return name, f"{short} {quotes[0]}{vocab.transliterate(core)}{quotes[1]}", t("company transliterated")
            if trick == "no legal form":
                return name, core, t("company without legal form")
            if trick == "legal form":
                other = rng.choice([q for q in vocab.QUOTES if q != quotes])
                return name, *rng.choice(
                    (
                        (f"{short} {other[0]}{core}{other[1]}", t("company in other quotes")),
                        (f"{full} {quotes[0]}{core}{quotes[1]}", t("legal form spelled out")),
                        (f"{core} {short}", t("legal form after the name")),
                    )
                )
        elif original.is_ip and original.form is not None:
            if trick == "no legal form":
                return name, person.initials, t("ИП without the legal form")
            if trick == "legal form":
                return name, *rng.choice(
                    (
                        (f"{original.form[1]} {person.full}", t("ИП with the full name")),
                        (f"{original.form[2]} {person.initials}", t("legal form spelled out")),
                    )
                )
        if trick == "homoglyph":
            changed = _homoglyph(company, core) if company and core else None
            if changed:
                return name, changed, t("a Latin letter inside the Cyrillic company name")
            changed = _homoglyph(name, person.surname)
            if changed:
                return changed, company, t("a Latin letter inside the Cyrillic name")
        if trick == "first name first":
            return f"{person.first} {person.surname}", company, t("name as first name and surname")
        # "initials", and every trick that does not fit this client.
        return person.initials, company, t("name as surname and initials")

    # --- IDs ---------------------------------------------------------------------------------------

    def _choose_repeated_sources(self, clients: list[_Client]) -> None:
        """Each planted repeated ID copies the ID of an ordinary client created no later than itself."""
        sources = [c for c in clients if c.role == _PLAIN and not c.protected and not c.mandatory]
        sources = sources or [c for c in clients if c.role == _PLAIN and not c.protected and not c.case]
        for client in clients:
            if client.role == _REPEATED_ID:
                client.repeats = self.rng.choice(sources)
                client.created = max(client.created, client.repeats.created)

    def _assign_ids(self, clients: list[_Client]) -> None:
        """C000001… in the order clients were created; planted blank and repeated IDs take no number."""
        for client in clients:
            if client.role == _BLANK_ID:
                self._mistake(
                    Code.BLANK_CLIENT_ID,
                    schema.CLIENTS,
                    client.row,
                    "client_id",
                    t("new client typed in without a ClientID"),
                )
            elif client.role == _REPEATED_ID:
                continue
            else:
                self.last_number += 1
                client.client_id = client_id_text(self.last_number)
            client.row["client_id"] = client.client_id
        # Sorted by creation, a repeated ID always comes after the row it was copied from.
        for client in clients:
            if client.repeats is not None:
                client.client_id = client.row["client_id"] = client.repeats.client_id
                self._mistake(
                    Code.DUPLICATE_CLIENT_ID,
                    schema.CLIENTS,
                    client.row,
                    "client_id",
                    t("ClientID copied from an earlier client's row"),
                )

    # --- interactions ----------------------------------------------------------------------------------

    def _timeline(self, client: _Client, seq: int) -> list[tuple[dt.date, int, Row]]:
        """The client's story as interaction rows: a first touch, maybe an agreement, then orders and touches."""
        if client.case:
            return self._case_timeline(client, seq)
        if client.profile == NOTHING:
            return []
        rng = self.rng
        profile = client.profile
        orders = rng.randint(*_ORDERS[profile])
        if profile == DUPLICATE and rng.random() < 0.2:
            orders = 1
        touches = _touch_count(profile, orders, rng)
        agreement = profile in (PARTNER, ACTIVE) or (orders > 0 and rng.random() < 0.6)
        kinds = [self._touch(_FIRST_TOUCH_WEIGHTS)] + ([schema.AGREEMENT] if agreement else [])
        rest = [schema.ORDER] * orders + [self._touch(_TOUCH_WEIGHTS) for _ in range(touches - 1)]
        rng.shuffle(rest)
        kinds += rest

        start, end = client.created, self._last_contact(client)
        middle = sorted(start + dt.timedelta(days=rng.randint(0, (end - start).days)) for _ in kinds[2:])
        dates = [end] if len(kinds) == 1 else [start] + middle + [end]
        manager = str(client.row["manager"])
        rows = []
        for index, (kind, day) in enumerate(zip(kinds, dates)):
            row = self._interaction(client, kind, day, manager)
            following = dates[index + 1] if index + 1 < len(dates) else None
            if following is not None and following > day and rng.random() < 0.2:
                row["next_action"] = self._word(rng.choice(vocab.NEXT_ACTIONS))
                row["next_date"] = following  # the follow-up that then happened
            self.row_clients[id(row)] = (client, 0 < index < len(kinds) - 1)
            rows.append((day, seq + index, row))
        self._plan_next(client, rows[-1][2], end)
        return rows

    def _touch(self, weights: Sequence[int]) -> ListValue:
        return self.rng.choices(_TOUCHES, weights)[0]

    def _last_contact(self, client: _Client) -> dt.date:
        rng = self.rng
        start = client.created
        if client.profile == SILENT:
            latest = self.today - dt.timedelta(days=DEAD_AFTER_DAYS + 15)
            return start + dt.timedelta(days=rng.randint(0, (latest - start).days))
        if client.profile == DUPLICATE:
            return min(self.today, start + dt.timedelta(days=rng.randint(0, 90)))
        if client.plan == "overdue":
            return max(start, self._days_ago(5, 40))
        return max(start, self._days_ago(*_LAST_CONTACT_AGO[client.profile]))

    def _interaction(self, client: _Client, kind: ListValue, day: dt.date, manager: str) -> Row:
        rng = self.rng
        service: vocab.Service | None = None
        amount: int | None = None
        if kind is schema.ORDER:
            service = rng.choice(client.favourites)
            amount = service.price * rng.randint(*service.quantities)
            if rng.random() < 0.15:
                amount = round(amount * rng.choice((0.9, 0.95)))  # a discount
        elif kind is schema.AGREEMENT or rng.random() < 0.25:
            service = client.favourites[0]
        if rng.random() > 0.85:
            manager = rng.choice(self.managers)  # a colleague stood in
        return {
            "date": day,
            "client_id": client.client_id,
            "type": kind.name(self.locale),
            "service": self._word(service.name) if service else None,
            "amount": amount,
            "manager": manager,
            "result": self._word(rng.choice(vocab.RESULTS[kind.key])),
            "comment": self._word(rng.choice(vocab.INTERACTION_COMMENTS)) if rng.random() < 0.12 else None,
            "next_action": None,
            "next_date": None,
            "order_number": None,
        }

    def _plan_next(self, client: _Client, row: Row, last: dt.date) -> None:
        """The next touch planned on the last interaction: upcoming, or overdue because nobody did it."""
        rng = self.rng
        plan = client.plan
        if not plan:
            odds = 0.3 if client.profile == SILENT else 0.45
            if rng.random() >= odds:
                return
            recent = client.profile != SILENT
            plan = "upcoming" if recent and rng.random() < 0.6 else "overdue"
        if plan == "overdue" and last < self.today - dt.timedelta(days=1):
            latest = min(self.today - dt.timedelta(days=1), last + dt.timedelta(days=30))
            row["next_date"] = last + dt.timedelta(days=rng.randint(1, (latest - last).days))
        else:
            row["next_date"] = self.today + dt.timedelta(days=rng.randint(1, 21))
        row["next_action"] = self._word(rng.choice(vocab.NEXT_ACTIONS))

    def _unknown_client_rows(self, seq: int) -> list[tuple[dt.date, int, Row]]:
        """Calls logged under a ClientID that was never added to Clients."""
        rows = []
        for index in range(self.repeat):
            day = self._days_ago(0, 60)
            missing = client_id_text(self.last_number + 1 + index * 7 + self.rng.randint(0, 6))
            row: Row = {
                "date": day,
                "client_id": missing,
                "type": schema.CALL_IN.name(self.locale),
                "service": None,
                "amount": None,
                "manager": self.rng.choice(self.managers),
                "result": self._word(vocab.RESULTS[schema.CALL_IN.key][0]),
                "comment": None,
                "next_action": None,
                "next_date": None,
                "order_number": None,
            }
            self._mistake(
                Code.UNKNOWN_CLIENT,
                schema.INTERACTIONS,
                row,
                "client_id",
                t("a call logged for a client who was never added to Clients"),
            )
            rows.append((day, seq + index, row))
        return rows

    # --- contacts and services ----------------------------------------------------------------------------

    def _contacts(self, client: _Client) -> list[Row]:
        """Contact persons of a company: director, accountant, purchaser…; one who decides, usually."""
        if client.role != _PLAIN or client.form is None or client.is_ip:
            return []
        rng = self.rng
        weights = (10, 30, 35, 25) if client.profile == PARTNER else (35, 35, 20, 10)
        count = rng.choices((0, 1, 2, 3), weights)[0]
        if client.case == CONTACT_BIRTHDAY:
            count = max(1, count)
        rows: list[Row] = []
        for role_en, role_ru, decides in rng.sample(vocab.ROLES, count):
            person = self._person()
            email = None
            if rng.random() < 0.6:
                local = f"{vocab.transliterate(person.first)[0]}.{vocab.transliterate(person.surname)}".lower()
                email = self._unique_email(local, client.domain) if client.domain else self._personal_email(person)
            rows.append(
                {
                    "client_id": client.client_id,
                    "name": person.full,
                    "role": self._word((role_en, role_ru)),
                    "phone": _phone_text(self._mobile()) if rng.random() < 0.75 else None,
                    "email": email,
                    "birthday": (self._birthday_away() if client.case else self._birthday())
                    if rng.random() < 0.35
                    else None,
                    "decision_maker": (schema.YES if decides else schema.NO).name(self.locale),
                }
            )
        if client.case == CONTACT_BIRTHDAY:
            birthday = self._birthday_soon()
            rows[0]["birthday"] = birthday
            client.case_due = _next_anniversary(birthday, self.today)
            self.case_refs.append(_CaseRef(client, schema.CONTACTS, rows[0], "birthday"))
        return rows

    def _service_rows(self) -> list[Row]:
        return [
            {
                "service_id": f"S{number:03d}",
                "service": self._word(service.name),
                "price": service.price,
                "unit": self._word(service.unit),
                "active": (schema.YES if service.active else schema.NO).name(self.locale),
                "description": self._word(service.description),
            }
            for number, service in enumerate(vocab.SERVICES, start=1)
        ]

    # --- planted mistakes --------------------------------------------------------------------------------

    def _mistake(self, code: Code, sheet: schema.Sheet, row: Row, column: str, note: Message) -> None:
        self.mistakes.append(_Mistake(code, sheet, row, column, note))

    def _plant_client_mistakes(self, clients: list[_Client]) -> None:
        """Typos in ordinary clients' cells, at most one per cell, spread over as many rows as possible."""
        rng = self.rng
        candidates = [c for c in clients if c.role == _PLAIN and not c.protected and not c.case]
        rng.shuffle(candidates)
        used_rows: set[int] = set()
        used_cells: set[tuple[int, str]] = set()
        plants: tuple[tuple[Code, str, Callable[[_Client, int], Message]], ...] = (
            (Code.BAD_PHONE, "phone", self._bad_phone),
            (Code.BAD_EMAIL, "email", self._bad_email),
            (Code.BAD_INN, "inn", self._bad_inn),
            (Code.FUTURE_BIRTHDAY, "birthday", self._future_birthday),
            (Code.TEXT_DATE, "birthday", self._text_birthday),
            (Code.BAD_DATE, "consent_date", self._impossible_consent),
        )
        for number in range(self.repeat):
            for code, column, plant in plants:
                free = [
                    c
                    for c in candidates
                    if (id(c.row), column) not in used_cells and not (column == "birthday" and c.birthday_soon)
                ]
                client = next((c for c in free if id(c.row) not in used_rows), free[0])
                used_rows.add(id(client.row))
                used_cells.add((id(client.row), column))
                self._mistake(code, schema.CLIENTS, client.row, column, plant(client, number))

    def _bad_phone(self, client: _Client, number: int) -> Message:
        phone = client.phones[0]
        text = _phone_text(_Phone(phone.code, phone.subscriber, phone.style))
        cut = max(i for i, ch in enumerate(text) if ch.isdigit())
        client.row["phone"] = text[:cut] + text[cut + 1 :]
        return t("a digit missing from the phone number")

    def _bad_email(self, client: _Client, number: int) -> Message:
        assert client.person is not None
        email = client.row["email"] if isinstance(client.row["email"], str) else self._personal_email(client.person)
        local, domain = email.split("@")
        typos = (
            (f"{local}{domain}", t("@ missing from the email")),
            (f"{local}@@{domain}", t("@ typed twice in the email")),
            (f"{local}@{domain.replace('.', '')}", t("the dot missing from the email's domain")),
        )
        client.row["email"], note = typos[number % len(typos)]
        return note

    def _bad_inn(self, client: _Client, number: int) -> Message:
        assert client.city is not None
        inn = client.row["inn"]
        if not isinstance(inn, str):
            inn = self._inn(client.city, personal=client.form is None or client.is_ip)
        client.row["inn"] = inn[:-1] + str((int(inn[-1]) + 1 + number) % 10)
        return t("the INN's last digit mistyped: the check digit does not match")

    def _future_birthday(self, client: _Client, number: int) -> Message:
        birthday = client.row["birthday"] if isinstance(client.row["birthday"], dt.date) else self._birthday()
        client.row["birthday"] = _next_anniversary(birthday, self.today)
        return t("the next birthday typed instead of the date of birth")

    def _text_birthday(self, client: _Client, number: int) -> Message:
        birthday = client.row["birthday"] if isinstance(client.row["birthday"], dt.date) else self._birthday()
        client.row["birthday"] = f"{birthday:%d.%m.%Y}"
        return t("the birthday typed as text (pasted from a document)")

    def _impossible_consent(self, client: _Client, number: int) -> Message:
        day_month = ("31.02", "30.02", "31.04", "31.06", "31.09", "31.11")[number % 6]
        client.row["consent_date"] = f"{day_month}.{client.created.year}"
        return t("a day that does not exist in that month")

    def _plant_interaction_mistakes(self, rows: list[Row]) -> None:
        """Mistakes in the log that change neither a client's order count nor the dates of its first and last contact.

        There are always enough rows to spoil: the mandatory partner alone has ten
        orders and at least three touches between its first and last contact.
        """
        rng = self.rng
        order_name = schema.ORDER.name(self.locale)
        touch_names = {t.name(self.locale): t for t in _TOUCHES}
        middle_touches, orders = [], []
        for row in rows:
            client, middle = self.row_clients.get(id(row), (None, False))
            if client is None:
                continue
            if row["type"] == order_name:
                orders.append(row)
            elif middle and row["type"] in touch_names:
                middle_touches.append(row)
        rng.shuffle(middle_touches)
        rng.shuffle(orders)
        for number in range(self.repeat):
            row = middle_touches.pop()
            row["date"] = f"{row['date']:%d.%m.%Y}"
            self._mistake(Code.TEXT_DATE, schema.INTERACTIONS, row, "date", t("the date typed as text"))
            row = middle_touches.pop()
            row["date"] = self._word(vocab.WORD_DATES[number % len(vocab.WORD_DATES)])
            self._mistake(Code.BAD_DATE, schema.INTERACTIONS, row, "date", t("a word instead of a date"))
            row = middle_touches.pop()
            kind = touch_names[str(row["type"])]
            row["type"] = self._word(vocab.UNLISTED_TYPES[_TOUCHES.index(kind) % len(vocab.UNLISTED_TYPES)])
            self._mistake(
                Code.NOT_IN_LIST,
                schema.INTERACTIONS,
                row,
                "type",
                t("an interaction type typed by hand instead of picked from the list"),
            )
            row = orders.pop()
            row["amount"] = -int(row["amount"])  # type: ignore[call-overload]  # an order's amount is an int
            self._mistake(
                Code.NEGATIVE_AMOUNT, schema.INTERACTIONS, row, "amount", t("a refund typed as a negative order amount")
            )
            row = orders.pop()
            row["amount"] = self._word(vocab.WORD_AMOUNTS[number % len(vocab.WORD_AMOUNTS)])
            self._mistake(Code.BAD_AMOUNT, schema.INTERACTIONS, row, "amount", t("words instead of an amount"))

    def _list_consent_findings(self, clients: list[_Client]) -> None:
        """Clients who are persons, not designated Lost, with a blank Consent date: validation warns of each, so
        the manifest lists each."""
        client_rows = [client.row for client in clients]
        names = pd.Series([row["name"] for row in client_rows], dtype=object)
        companies = pd.Series([row["company"] for row in client_rows], dtype=object)
        note = t("a person who has not given consent to process personal data yet")
        for client, person in zip(clients, persons(names, companies)):
            if person and client.row["consent_date"] is None and client.designation is not schema.LOST:
                self._mistake(Code.NO_CONSENT, schema.CLIENTS, client.row, "consent_date", note)

    def _list_designation_findings(self, clients: list[_Client], interactions: list[Row]) -> None:
        """Designations the log does not bear out, made on purpose (the VIP and Key cases, the Lost client without a
        reason, the Lost clients of the random mix left without one, a VIP gone quiet with few orders): validation
        reports each, so the manifest lists each."""
        order_name = schema.ORDER.name(self.locale)
        orders: dict[object, int] = {}
        for row in interactions:
            day = row["date"]
            # Planted mistakes never touch an order's date or type, so every order row counts as validation counts it.
            if row["type"] == order_name and isinstance(day, dt.date) and day <= self.today:
                orders[row["client_id"]] = orders.get(row["client_id"], 0) + 1
        for client in clients:
            if client.designation is schema.LOST and client.lost_reason is None:
                note = t("marked {lost} without a reason", lost=schema.LOST.name(self.locale))
                self._mistake(Code.LOST_WITHOUT_REASON, schema.CLIENTS, client.row, "lost_reason", note)
            elif client.designation in (schema.VIP, schema.KEY_ACCOUNT):
                count = orders.get(client.client_id, 0)
                if count < REGULAR_ORDERS:
                    note = tn(
                        "marked {designation} with {count} order: fewer than a client of {block} has",
                        "marked {designation} with {count} orders: fewer than a client of {block} has",
                        count,
                        designation=client.designation.name(self.locale),
                        block=schema.REGULAR.name(self.locale),
                    )
                    self._mistake(Code.DESIGNATION_WITHOUT_ORDERS, schema.CLIENTS, client.row, "designation", note)

    def _resolve_mistakes(self, rows: dict[str, list[Row]]) -> list[PlantedMistake]:
        """Cells of the planted mistakes, as validation names them, in workbook order."""
        positions = _positions(rows)
        planted = []
        for mistake in self.mistakes:
            rank, number = positions[id(mistake.row)]
            index = [c.key for c in schema.template_columns(mistake.sheet)].index(mistake.column)
            cell = f"{sheet_ref(mistake.sheet.name(self.locale))}!{column_letter(index)}{number}"
            value = mistake.row[mistake.column]
            text = "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)
            planted.append(((rank, number, index), PlantedMistake(mistake.code, cell, text, mistake.note)))
        return [mistake for _, mistake in sorted(planted, key=lambda item: item[0])]

    # --- planted cases --------------------------------------------------------------------------------

    def _cases(self, room: int) -> list[tuple[str, str]]:
        """(case, manager) of the planted cases that fit in ``room`` clients; an upcoming plan for each manager."""
        cases: list[tuple[str, str]] = []
        for case in CASES:
            if case == PLAN_UPCOMING:
                cases += [(case, manager) for manager in self.managers]
            else:
                cases.append((case, ""))
        return cases[:room]

    def _case_client(self, seq: int, case: str, manager: str) -> _Client:
        profile, designation = _CASE_CLIENTS[case]
        created, story, due, note = self._story(case)
        client = _Client(
            seq,
            profile,
            designation,
            created=created,
            mandatory=True,
            case=case,
            story=story,
            case_due=due,
            case_note=note,
            manager=manager,
        )
        if case in (LOST_WITH_REASON, LOST_ORDERED_AGAIN):
            client.lost_reason = self.rng.choice(schema.DEFAULT_LOST_REASONS)
        client.case_column = {
            LOST_WITH_REASON: "lost_reason",
            LOST_WITHOUT_REASON: "designation",
            VIP_NO_ORDERS: "designation",
            KEY_ONE_ORDER: "designation",
            CLIENT_BIRTHDAY: "birthday",
            NEVER_CONTACTED: "created",
            NEVER_CONTACTED_NEW: "created",
        }.get(case, "")
        return client

    def _story(self, case: str) -> tuple[dt.date, list[_Beat], dt.date | None, Message]:
        """(created, interactions, when the rule's task is due, what the case shows) of a planted case."""
        rng, today, locale = self.rng, self.today, self.locale
        lost, problems = schema.LOST.name(locale), schema.PROBLEMS.name(locale)

        def ago(days: int) -> dt.date:
            return today - dt.timedelta(days=days)

        def ahead(days: int) -> dt.date:
            return today + dt.timedelta(days=days)

        first = _Beat(ago(rng.randint(90, 200)), self._touch(_FIRST_TOUCH_WEIGHTS))
        order, agreement, touch = schema.ORDER, schema.AGREEMENT, self._touch(_TOUCH_WEIGHTS)
        if case == BOOKED_MEETING:
            day = ahead(rng.randint(2, max(2, BIRTHDAY_DAYS - 2)))
            beats = [
                first,
                _Beat(ago(rng.randint(15, 25)), order),
                _Beat(day, schema.MEETING, booked=True, marked="date"),
            ]
            return first.day, beats, day, t("a meeting booked ahead as a row dated after today: a plan due on its date")
        if case in (PLAN_CLOSED, PLAN_OVERDUE):
            made, due = ago(20), ago(6 if case == PLAN_OVERDUE else 10)
            beats = [
                first,
                _Beat(ago(rng.randint(40, 60)), order),
                _Beat(made, touch, next_date=due, marked="next_date"),
            ]
            if case == PLAN_CLOSED:
                beats.append(_Beat(due, schema.CALL_OUT))
                return first.day, beats, None, t("a plan followed up on its day: closed")
            beats.append(_Beat(due - dt.timedelta(days=PLAN_EARLY_DAYS + 3), schema.CALL_IN))
            return first.day, beats, due, t("a plan with only an unrelated earlier contact after it: open and overdue")
        if case == PLAN_AFTER_CALL:
            due, made = ahead(PLAN_EARLY_DAYS + rng.randint(1, 4)), ago(rng.randint(3, 6))
            beats = [first] + [_Beat(ago(days), order) for days in sorted(rng.sample(range(20, 180), 3), reverse=True)]
            beats += [_Beat(made, touch, next_date=due, marked="next_date"), _Beat(ago(1), schema.CALL_IN)]
            return (
                first.day,
                beats,
                due,
                t("a plan ahead, then an unrelated call logged without a Next date: still open"),
            )
        if case == PLAN_UPCOMING:
            due = ahead(rng.randint(1, BIRTHDAY_DAYS - 1))
            made = ago(rng.randint(1, 6))
            beats = [
                first,
                _Beat(ago(rng.randint(20, 60)), order),
                _Beat(made, touch, next_date=due, marked="next_date"),
            ]
            return first.day, beats, due, t("an upcoming plan of the client's manager")
        if case in (ACTIVE_SILENT, ACTIVE_QUIET, WORKING_SILENT, WORKING_QUIET):
            active = case in (ACTIVE_SILENT, ACTIVE_QUIET)
            limit = ACTIVE_SILENT_DAYS if active else WORKING_SILENT_DAYS
            silent = case in (ACTIVE_SILENT, WORKING_SILENT)
            last = ago(limit + rng.randint(3, 10) if silent else limit - 1)
            beats = [first, _Beat(last, agreement if active else order, marked="date")]
            due_then = last + dt.timedelta(days=limit) if silent else None
            notes = {
                ACTIVE_SILENT: t("an agreement and no order, silent past the limit: the first order is due"),
                ACTIVE_QUIET: t("an agreement and no order, silent one day less than the limit: no task yet"),
                WORKING_SILENT: t("one order, silent past the limit: the second order is due"),
                WORKING_QUIET: t("one order, silent one day less than the limit: no task yet"),
            }
            return first.day, beats, due_then, notes[case]
        if case in (NEVER_CONTACTED, NEVER_CONTACTED_NEW):
            created = ago(FIRST_CONTACT_DAYS + rng.randint(4, 20) if case == NEVER_CONTACTED else 1)
            due = created + dt.timedelta(days=FIRST_CONTACT_DAYS)
            if case == NEVER_CONTACTED:
                return created, [], due, t("a prospect nobody has contacted yet: the first contact is due")
            return (
                created,
                [],
                due,
                t("a prospect added yesterday and not contacted yet: the first contact is not due yet"),
            )
        if case == COLD_PROSPECT:
            created = ago(rng.randint(480, 600))
            beats = [_Beat(created, first.kind), _Beat(ago(rng.randint(400, 450)), touch, marked="date")]
            return (
                created,
                beats,
                None,
                t(
                    "a prospect who never ordered, silent over a year: stays in {block}, cold",
                    block=schema.POTENTIAL.name(locale),
                ),
            )
        if case in (REVIVE_AT_LIMIT, REVIVE):
            last = ago(DEAD_AFTER_DAYS if case == REVIVE_AT_LIMIT else rng.randint(450, 600))
            created = last - dt.timedelta(days=rng.randint(60, 150))
            beats = [_Beat(created, first.kind), _Beat(created + dt.timedelta(days=20), order)]
            beats.append(_Beat(last, order, marked="date"))
            return (
                created,
                beats,
                None,
                t("a former client silent a year or more: {block}, worth reviving", block=schema.DEAD.name(locale)),
            )
        if case in (LOST_WITH_REASON, LOST_WITHOUT_REASON, LOST_ORDERED_AGAIN):
            last = ago(rng.randint(LOST_ORDER_DAYS + 20, 300))
            created = last - dt.timedelta(days=rng.randint(60, 150))
            beats = [_Beat(created, first.kind), _Beat(created + dt.timedelta(days=20), order), _Beat(last, touch)]
            if case == LOST_ORDERED_AGAIN:
                beats.append(_Beat(ago(rng.randint(5, LOST_ORDER_DAYS - 10)), order, marked="date"))
                return created, beats, None, t("marked {lost}, yet ordered again lately: check the status", lost=lost)
            if case == LOST_WITH_REASON:
                return (
                    created,
                    beats,
                    None,
                    t("marked {lost} with a reason: {block}, not to revive", lost=lost, block=schema.DEAD.name(locale)),
                )
            return created, beats, None, t("marked {lost} without a reason", lost=lost)
        if case == VIP_NO_ORDERS:
            beats = [first, _Beat(ago(rng.randint(30, 60)), schema.MEETING), _Beat(ago(rng.randint(5, 20)), touch)]
            return (
                first.day,
                beats,
                None,
                t("{vip} without a single order: a finding on {sheet}", vip=schema.VIP.name(locale), sheet=problems),
            )
        if case == KEY_ONE_ORDER:
            beats = [first, _Beat(ago(rng.randint(40, 60)), agreement), _Beat(ago(rng.randint(10, 30)), order)]
            return (
                first.day,
                beats,
                None,
                t(
                    "{key} client with one order: a finding on {sheet}",
                    key=schema.KEY_ACCOUNT.name(locale),
                    sheet=problems,
                ),
            )
        if case == REORDER_OVERDUE:
            gap = rng.randint(25, 35)
            last = ago(2 * gap)
            days = [last - dt.timedelta(days=gap * n) for n in range(REGULAR_ORDERS, -1, -1)]
            beats = [_Beat(days[0] - dt.timedelta(days=rng.randint(5, 20)), first.kind)]
            beats += [_Beat(day, order) for day in days]
            beats[-1] = _Beat(last, order, marked="date")
            return (
                beats[0].day,
                beats,
                last + dt.timedelta(days=gap),
                t("orders every few weeks, the next one overdue against that rhythm: a reorder is due"),
            )
        if case == CLIENT_BIRTHDAY:
            beats = [first, _Beat(ago(rng.randint(5, 20)), order)]
            return first.day, beats, None, t("the client's birthday within the next two weeks")
        # CONTACT_BIRTHDAY
        beats = [first, _Beat(ago(rng.randint(5, 20)), order)]
        return first.day, beats, None, t("a contact person's birthday within the next two weeks")

    def _case_timeline(self, client: _Client, seq: int) -> list[tuple[dt.date, int, Row]]:
        """A planted case's story as interaction rows, all by the client's own manager."""
        manager = str(client.row["manager"])
        rows = []
        ref = _CaseRef(client, schema.CLIENTS, client.row, client.case_column)
        for index, beat in enumerate(client.story):
            row = self._interaction(client, beat.kind, beat.day, manager)
            row["manager"] = manager
            if beat.next_date is not None:
                row["next_action"] = self._word(self.rng.choice(vocab.NEXT_ACTIONS))
                row["next_date"] = beat.next_date
            if beat.booked:
                row["result"] = None
                row["comment"] = self._word(self.rng.choice(vocab.BOOKED_MEETINGS))
            if beat.marked:
                ref = _CaseRef(client, schema.INTERACTIONS, row, beat.marked)
            rows.append((beat.day, seq + index, row))
        if client.case != CONTACT_BIRTHDAY:  # that one rests on a contact person's row, made later
            self.case_refs.append(ref)
        return rows

    def _resolve_cases(self, rows: dict[str, list[Row]]) -> list[PlantedCase]:
        """The planted cases with their cells, in the order of CASES, then by ClientID."""
        positions = _positions(rows)
        planted = []
        for ref in self.case_refs:
            client = ref.client
            cell = ""
            if ref.column:
                number = positions[id(ref.row)][1]
                index = [c.key for c in schema.template_columns(ref.sheet)].index(ref.column)
                cell = f"{sheet_ref(ref.sheet.name(self.locale))}!{column_letter(index)}{number}"
            assert client.case_note is not None
            planted.append(
                PlantedCase(
                    client.case,
                    str(client.client_id),
                    str(client.row["manager"]),
                    cell,
                    client.case_due,
                    client.case_note,
                )
            )
        return sorted(planted, key=lambda case: (CASES.index(case.case), case.client_id))


def _cell(locale: str, positions: dict[int, tuple[int, int]], sheet: schema.Sheet, row: Row, column: str) -> str:
    """The cell of ``row``'s ``column`` on ``sheet`` as validation names it ("Клиенты!E14"); ``positions`` as
    :func:`_positions` gives them."""
    index = [c.key for c in schema.template_columns(sheet)].index(column)
    return f"{sheet_ref(sheet.name(locale))}!{column_letter(index)}{positions[id(row)][1]}"


def _positions(rows: dict[str, list[Row]]) -> dict[int, tuple[int, int]]:
    """id() of each row -> (rank of its sheet in the workbook, its Excel row number)."""
    positions: dict[int, tuple[int, int]] = {}
    for rank, spec in enumerate(schema.USER_SHEETS):
        for number, row in enumerate(rows.get(spec.key, ()), start=2):
            positions[id(row)] = (rank, number)
    return positions


# Orders per profile: (min, max), from the lifecycle thresholds so each profile lands in its block.
_ORDERS = {
    PARTNER: (PARTNER_ORDERS, 2 * PARTNER_ORDERS),
    REGULAR: (REGULAR_ORDERS, PARTNER_ORDERS - 1),
    WORKING: (1, REGULAR_ORDERS - 1),
    ACTIVE: (0, 0),
    POTENTIAL: (0, 0),
    SILENT: (0, 3),
    DUPLICATE: (0, 0),
}
# Days before today of the last contact: (min, max).
_LAST_CONTACT_AGO = {PARTNER: (0, 45), REGULAR: (0, 150), WORKING: (0, 250), ACTIVE: (0, 200), POTENTIAL: (0, 250)}


def _touch_count(profile: str, orders: int, rng: random.Random) -> int:
    if profile == PARTNER:
        return rng.randint(orders // 2, orders)
    if profile == REGULAR:
        return rng.randint(2, 8)
    return rng.randint(1, 3 if profile in (ACTIVE, DUPLICATE) else 4)


def _next_anniversary(birthday: dt.date, today: dt.date) -> dt.date:
    """The first birthday after today, by the agenda's own rule (:func:`xlcrm.reports.greetings.next_anniversary`:
    29 February falls on the 28th in other years, on the 29th in leap years)."""
    due = next_anniversary(pd.Series([pd.Timestamp(birthday)]), pd.Timestamp(today + dt.timedelta(days=1)))
    day: dt.date = due.iloc[0].date()
    return day


def _homoglyph(text: str, word: str) -> str | None:
    """``text`` with one Cyrillic letter of ``word`` (not its first) replaced by its Latin twin."""
    start = text.find(word)
    if start < 0:
        return None
    for offset, char in enumerate(word[1:], start=1):
        if char in vocab.HOMOGLYPHS:
            position = start + offset
            return text[:position] + vocab.HOMOGLYPHS[char] + text[position + 1 :]
    return None


def _joined(parts: Sequence[Message]) -> Message:
    """The parts as one text, separated by semicolons: ``no email; INN not filled in``."""
    joined = parts[0]
    for part in parts[1:]:
        joined = t("{first}; {then}", first=joined, then=part)
    return joined


def _other_case(email: str) -> str:
    """ivanov.s@mail.ru -> Ivanov.S@Mail.ru: the way a phone's keyboard capitalises."""
    local, domain = email.split("@")
    return ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.capitalize()


def _retyped(original: _Client, seq: int, created: dt.date) -> _Client:
    """The client typed in again, as client number ``seq`` on ``created``: the same person and company; the caller
    changes what differs."""
    return _Client(
        seq,
        DUPLICATE,
        role=_DUPLICATE,
        protected=True,
        person=original.person,
        form=original.form,
        core=original.core,
        quotes=original.quotes,
        city=original.city,
        created=created,
        favourites=original.favourites,
    )
