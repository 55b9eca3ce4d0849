"""The demo's Contracts sheet: the contracts and annexes of its business clients, with planted cases.

Clients who buy sign a contract for what they buy most: a year of support renewed by a new contract each year, or a
project contract of a few months; the biggest clients add annexes. Clients gone quiet have only closed contracts,
clients who agreed but have not ordered yet a draft. No random Active contract ends within the reminder window
(``contract_end_days`` and a day more): each contract the agenda reminds of, and each boundary of that rule, is a
planted case (:data:`CONTRACT_CASES`), and so is each contract made wrong on purpose for validation.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from xlcrm import schema
from xlcrm.checks.findings import Code
from xlcrm.create import demo_data as vocab
from xlcrm.messages import Message, Text, t
from xlcrm.messages.as_json import JsonFields
from xlcrm.schema import ListValue
from xlcrm.xlsx.refs import column_letter, sheet_ref

Row = dict[str, object]

END_DAYS = schema.setting("contract_end_days").number
YEAR_TERM = 365  # a support contract runs a year from the day it starts
PROJECT_DAYS = (45, 120)  # a project contract's term
ANNEX_ODDS, BIG_ANNEX_ODDS = 0.15, 0.5  # chance of an annex adding work to a contract; Partner and Key clients'
WINDOW_SHIFT_DAYS = 92  # a random Active contract that would end in the window runs three months longer

# What a client makes of contracts.
STEADY = "steady"  # buys and renews: Active contracts, Closed ones before them
LAPSED = "lapsed"  # bought, then went quiet: every contract Closed
PROSPECT = "prospect"  # agreed, nothing signed yet: a draft

# --- planted cases --------------------------------------------------------------------------------

CONTRACT_ENDS_SOON = "contract_ends_soon"  # Active, ends within contract_end_days: one for each manager
CONTRACT_ENDS_AT_LIMIT = "contract_ends_at_limit"  # Active, ends in exactly contract_end_days: reminded
CONTRACT_ENDS_AFTER_LIMIT = "contract_ends_after_limit"  # …in one day more: not yet
CONTRACT_ENDED_ACTIVE = "contract_ended_still_active"  # ended last week, still marked Active
ANNEX_EXTENDS_TERM = "annex_extends_term"  # the contract ends within the window, an Active annex extends it a year
CONTRACT_CLOSED = "contract_closed"  # Closed early, its Valid until within the window: never reminded
CONTRACT_DRAFT = "contract_draft"  # a Draft whose term ends within the window: never reminded
# Contracts made wrong on purpose, for validation.
ANNEX_WITHOUT_CONTRACT = "annex_without_contract"  # Parent contract names a ContractID not on the sheet
CONTRACT_DATES_REVERSED = "contract_dates_reversed"  # Valid from after Valid until
OVERLAPPING_CONTRACTS = "overlapping_contracts"  # two Active contracts, one subject, one client, overlapping terms
CONTRACT_UNKNOWN_CLIENT = "contract_unknown_client"  # a ClientID never added to Clients
# Every case, most important first: a small demo keeps a prefix (CONTRACT_ENDS_SOON once per manager).
CONTRACT_CASES = (
    CONTRACT_ENDS_SOON,
    CONTRACT_ENDS_AT_LIMIT,
    CONTRACT_ENDS_AFTER_LIMIT,
    CONTRACT_ENDED_ACTIVE,
    ANNEX_EXTENDS_TERM,
    ANNEX_WITHOUT_CONTRACT,
    CONTRACT_DATES_REVERSED,
    OVERLAPPING_CONTRACTS,
    CONTRACT_CLOSED,
    CONTRACT_DRAFT,
    CONTRACT_UNKNOWN_CLIENT,
)
# The finding validation reports for each mistake, listed with the demo's planted mistakes too.
FINDINGS = {
    ANNEX_WITHOUT_CONTRACT: Code.UNKNOWN_PARENT_CONTRACT,
    CONTRACT_DATES_REVERSED: Code.TERM_ENDS_BEFORE_START,
    OVERLAPPING_CONTRACTS: Code.OVERLAPPING_CONTRACTS,
    CONTRACT_UNKNOWN_CLIENT: Code.UNKNOWN_CLIENT,
}


@dataclass(frozen=True)
class PlantedContract(JsonFields):
    """A contract or annex made on purpose to show one rule of the contracts, with what the rule must make of it.

    ``cell`` is the cell the case rests on: the Valid until the reminder counts from, the Status that keeps a
    contract off the agenda, the annex's Valid until that extends the term, or the cell validation reports.
    ``due`` is the last day of the contract the agenda reminds of (the reminder starts ``contract_end_days`` before
    it); None when the rule makes no reminder.
    """

    case: str  # one of CONTRACT_CASES
    contract_id: str
    client_id: str
    manager: str  # the client's manager; "" for a client never added
    cell: str
    due: dt.date | None
    note: Text


@dataclass(frozen=True)
class Party:
    """A business client who may sign contracts, as the demo made it."""

    client_id: str
    manager: str
    since: dt.date  # the client's first day: no contract before it
    service: vocab.Service  # what the client's contract is for
    standing: str  # STEADY, LAPSED or PROSPECT
    big: bool  # a Partner or Key client: adds annexes more often


@dataclass
class _Contract:
    client_id: str
    date: dt.date | None  # signed; None for a draft
    subject: str
    amount: int | None
    valid_from: dt.date
    valid_until: dt.date
    status: ListValue
    parent: _Contract | None = None
    orphan: bool = False  # an annex whose Parent contract names a contract nobody gave out (a planted mistake)
    parent_id: str | None = None
    annex_number: int = 0
    comment: str | None = None
    contract_id: str = ""
    number: str | None = None
    row: Row = field(default_factory=dict)


@dataclass
class _Case:
    case: str
    contract: _Contract
    manager: str
    column: str
    due: dt.date | None
    note: Message


@dataclass(frozen=True)
class ContractFinding:
    """A planted contract validation reports: its finding and the cell it is reported at."""

    code: Code
    row: Row
    column: str
    note: Message


@dataclass(frozen=True)
class ContractsSheet:
    """The Contracts sheet's rows, in the order they are on the sheet, the planted cases among them, and the planted
    cases validation reports."""

    rows: list[Row]
    planted: list[PlantedContract]
    findings: list[ContractFinding]


def make_contracts(
    parties: Sequence[Party], missing_client: str, rng: random.Random, locale: str, today: dt.date
) -> ContractsSheet:
    """The contracts of ``parties``: the planted cases on the first steady clients that fit (``missing_client``, a
    ClientID never added, signs the one of an unknown client), random contracts for the rest."""
    return _ContractMaker(rng, locale, today).make(parties, missing_client)


class _ContractMaker:
    def __init__(self, rng: random.Random, locale: str, today: dt.date) -> None:
        self.rng = rng
        self.locale = locale
        self.today = today
        self.contracts: list[_Contract] = []
        self.cases: list[_Case] = []
        self.annexes: dict[int, int] = {}  # id() of a contract -> the annexes it has

    def make(self, parties: Sequence[Party], missing_client: str) -> ContractsSheet:
        steady = [party for party in parties if party.standing == STEADY]
        planted = self._plant(steady, missing_client)
        for party in parties:
            if party.client_id not in planted:
                self._random_contracts(party)
        return self._sheet()

    def _word(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.locale == "ru" else pair[0]

    def _days(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def _subject(self, service: vocab.Service) -> str:
        return self._word(vocab.CONTRACT_SUBJECTS[service.key])

    def _yearly_amount(self, service: vocab.Service) -> int:
        """A year of a monthly service, a year's estimate of hours, or a project's price."""
        low, high = service.quantities
        if service.unit[0] == "month":
            return service.price * self.rng.randint(low, high) * 12
        if service.unit[0] in ("hour", "visit"):
            return service.price * self.rng.randint(10, 40) * max(1, low)
        return service.price * self.rng.randint(low, high)

    def _contract(
        self,
        party: Party,
        start: dt.date,
        until: dt.date,
        status: ListValue,
        signed: dt.date | None = None,
        subject: str | None = None,
    ) -> _Contract:
        rng = self.rng
        contract = _Contract(
            party.client_id,
            None if status is schema.CONTRACT_DRAFT else signed or start - dt.timedelta(days=rng.randint(0, 10)),
            subject or self._subject(party.service),
            self._yearly_amount(party.service),
            start,
            until,
            status,
            comment=self._word(rng.choice(vocab.CONTRACT_COMMENTS)) if rng.random() < 0.3 else None,
        )
        self.contracts.append(contract)
        return contract

    def _annex(
        self, parent: _Contract, signed: dt.date, until: dt.date, wording: tuple[str, str], amount: int | None
    ) -> _Contract:
        self.annexes[id(parent)] = number = self.annexes.get(id(parent), 0) + 1
        annex = _Contract(
            parent.client_id,
            signed,
            self._word(wording).format(number=number),
            amount,
            signed,
            until,
            parent.status,
            parent=parent,
            annex_number=number,
        )
        self.contracts.append(annex)
        return annex

    # --- random contracts ---------------------------------------------------------------------------

    def _random_contracts(self, party: Party) -> None:
        rng, today = self.rng, self.today
        start = party.since + dt.timedelta(days=rng.randint(3, 30))
        if party.standing == PROSPECT or start > today:
            begin = self._days(rng.randint(7, 40))
            self._contract(party, begin, begin + dt.timedelta(days=YEAR_TERM - 1), schema.CONTRACT_DRAFT)
            return
        yearly = party.service.unit[0] in ("month", "hour", "visit")
        while start <= today:
            term = YEAR_TERM if yearly else rng.randint(*PROJECT_DAYS)
            until = start + dt.timedelta(days=term - 1)
            status = schema.CONTRACT_ACTIVE if until >= today and party.standing == STEADY else schema.CONTRACT_CLOSED
            if status is schema.CONTRACT_ACTIVE and until <= self._days(END_DAYS + 1):
                until += dt.timedelta(days=WINDOW_SHIFT_DAYS)  # the reminder window holds only planted cases
            contract = self._contract(party, start, until, status)
            if rng.random() < (BIG_ANNEX_ODDS if party.big else ANNEX_ODDS):
                signed = start + dt.timedelta(days=rng.randint(20, max(20, min(term, (today - start).days) - 1)))
                if signed <= today:
                    monthly = party.service.price * rng.randint(1, 3)
                    self._annex(contract, signed, until, vocab.ANNEX_MORE_WORK, monthly * 6)
            if not yearly or party.standing == LAPSED:
                return
            start = until + dt.timedelta(days=1)

    # --- planted cases ------------------------------------------------------------------------------

    def _plant(self, steady: list[Party], missing_client: str) -> set[str]:
        """Plants every case that fits on its own steady client; returns the ClientIDs used."""
        free = list(steady)
        managers = sorted({party.manager for party in steady})
        for manager in managers:
            party = next((p for p in free if p.manager == manager), None)
            if party is not None:
                free.remove(party)
                self._plant_case(CONTRACT_ENDS_SOON, party)
        for case in CONTRACT_CASES[1:]:
            if case == CONTRACT_UNKNOWN_CLIENT:
                self._plant_unknown_client(missing_client)
            elif free:
                self._plant_case(case, free.pop(0))
        return {case.contract.client_id for case in self.cases}

    def _planted(
        self, case: str, contract: _Contract, party: Party, column: str, due: dt.date | None, note: Message
    ) -> None:
        self.cases.append(_Case(case, contract, party.manager, column, due, note))

    def _plant_case(self, case: str, party: Party) -> None:
        rng = self.rng
        active, closed, draft = schema.CONTRACT_ACTIVE, schema.CONTRACT_CLOSED, schema.CONTRACT_DRAFT
        if case in (CONTRACT_ENDS_SOON, CONTRACT_ENDS_AT_LIMIT, CONTRACT_ENDS_AFTER_LIMIT, CONTRACT_ENDED_ACTIVE):
            until = self._days(
                {
                    CONTRACT_ENDS_SOON: rng.randint(1, END_DAYS - 2),
                    CONTRACT_ENDS_AT_LIMIT: END_DAYS,
                    CONTRACT_ENDS_AFTER_LIMIT: END_DAYS + 1,
                    CONTRACT_ENDED_ACTIVE: -rng.randint(2, 7),
                }[case]
            )
            contract = self._contract(party, until - dt.timedelta(days=YEAR_TERM - 1), until, active)
            notes = {
                CONTRACT_ENDS_SOON: t("an active contract ends within the reminder window: the manager is reminded"),
                CONTRACT_ENDS_AT_LIMIT: t("an active contract ends in exactly the reminder's days: reminded"),
                CONTRACT_ENDS_AFTER_LIMIT: t("an active contract ends one day after the reminder window: not yet"),
                CONTRACT_ENDED_ACTIVE: t("a contract ended last week and is still marked active: renew or close it"),
            }
            due = None if case == CONTRACT_ENDS_AFTER_LIMIT else until
            self._planted(case, contract, party, "valid_until", due, notes[case])
        elif case == ANNEX_EXTENDS_TERM:
            until = self._days(rng.randint(5, END_DAYS - 5))
            contract = self._contract(party, until - dt.timedelta(days=YEAR_TERM - 1), until, active)
            longer = until + dt.timedelta(days=YEAR_TERM)
            annex = self._annex(contract, self._days(-rng.randint(3, 10)), longer, vocab.ANNEX_LONGER_TERM, None)
            note = t("the contract ends soon, but an active annex extends its term by a year: no reminder")
            self._planted(case, annex, party, "valid_until", None, note)
        elif case == ANNEX_WITHOUT_CONTRACT:
            start = self._days(-rng.randint(60, 200))
            contract = self._contract(party, start, start + dt.timedelta(days=YEAR_TERM - 1), active)
            signed = self._days(-rng.randint(5, 30))
            annex = self._annex(contract, signed, contract.valid_until, vocab.ANNEX_MORE_WORK, party.service.price * 6)
            annex.parent, annex.orphan = None, True  # its ContractID is chosen once the IDs given out are known
            note = t("an annex whose Parent contract names a contract not on the sheet")
            self._planted(case, annex, party, "parent_id", None, note)
        elif case == CONTRACT_DATES_REVERSED:
            until = self._days(rng.randint(60, 200))
            start = until - dt.timedelta(days=YEAR_TERM - 1)
            contract = self._contract(party, start.replace(year=start.year + 1), until, active, signed=start)
            note = t("Valid from typed a year late: after Valid until")
            self._planted(case, contract, party, "valid_until", None, note)  # validation reports the term's end
        elif case == OVERLAPPING_CONTRACTS:
            first = self._days(-rng.randint(150, 250))
            self._contract(party, first, first + dt.timedelta(days=YEAR_TERM - 1), active)
            second = self._days(-rng.randint(10, 40))
            contract = self._contract(party, second, second + dt.timedelta(days=YEAR_TERM - 1), active)
            note = t("a second active contract on the same subject while the first still runs: terms overlap")
            self._planted(case, contract, party, "subject", None, note)  # validation reports the later one's Subject
        elif case == CONTRACT_CLOSED:
            until = self._days(rng.randint(5, END_DAYS - 5))
            contract = self._contract(party, until - dt.timedelta(days=YEAR_TERM - 1), until, closed)
            contract.comment = self._word(vocab.CONTRACT_TERMINATED)
            note = t("a contract closed before its end, within the reminder window: no reminder")
            self._planted(case, contract, party, "status", None, note)
        else:  # CONTRACT_DRAFT
            until = self._days(rng.randint(10, END_DAYS - 5))
            contract = self._contract(party, self._days(3), until, draft)
            note = t("a draft whose term ends within the reminder window: no reminder")
            self._planted(case, contract, party, "status", None, note)

    def _plant_unknown_client(self, missing_client: str) -> None:
        party = Party(missing_client, "", self._days(-90), vocab.SERVICES[0], STEADY, False)
        start = self._days(-self.rng.randint(20, 80))
        contract = self._contract(party, start, start + dt.timedelta(days=YEAR_TERM - 1), schema.CONTRACT_ACTIVE)
        note = t("a contract for a client who was never added to Clients")
        self._planted(CONTRACT_UNKNOWN_CLIENT, contract, party, "client_id", None, note)

    # --- the sheet ----------------------------------------------------------------------------------

    def _sheet(self) -> ContractsSheet:
        """Rows in the order they were signed (drafts last), with IDs and numbers given in that order."""
        ordered = sorted(
            enumerate(self.contracts),
            key=lambda item: (item[1].date is None, item[1].date or item[1].valid_from, item[0]),
        )
        contracts = [contract for _, contract in ordered]
        self._number(contracts)
        rows = [self._row(contract) for contract in contracts]
        names = [column.key for column in schema.template_columns(schema.CONTRACTS)]
        sheet = sheet_ref(schema.CONTRACTS.name(self.locale))
        positions = {id(contract): number for number, contract in enumerate(contracts, start=2)}
        planted = [
            PlantedContract(
                case.case,
                case.contract.contract_id,
                case.contract.client_id,
                case.manager,
                f"{sheet}!{column_letter(names.index(case.column))}{positions[id(case.contract)]}",
                case.due,
                case.note,
            )
            for case in self.cases
        ]
        order = {case: rank for rank, case in enumerate(CONTRACT_CASES)}
        findings = [
            ContractFinding(FINDINGS[case.case], case.contract.row, case.column, case.note)
            for case in self.cases
            if case.case in FINDINGS
        ]
        return ContractsSheet(rows, sorted(planted, key=lambda case: (order[case.case], case.contract_id)), findings)

    def _number(self, contracts: list[_Contract]) -> None:
        """ContractIDs (Д-2025-014: the year signed, a number within it) and numbers (ИТ-14/25; ДС №1 к ИТ-14/25)."""
        prefix = self._word(vocab.CONTRACT_ID_PREFIX)
        per_year: dict[int, int] = {}
        for contract in contracts:
            year = (contract.date or contract.valid_from).year
            per_year[year] = per_year.get(year, 0) + 1
            contract.contract_id = f"{prefix}-{year}-{per_year[year]:03d}"
            if contract.parent is not None or contract.orphan:
                continue
            if contract.date is not None:
                number = self._word(vocab.CONTRACT_NUMBER)
                contract.number = number.format(sequence=per_year[year], year=f"{year % 100:02d}")
        given = {contract.contract_id for contract in contracts}
        for contract in contracts:
            if contract.parent is not None:
                contract.parent_id = contract.parent.contract_id
                parent_number = contract.parent.number or contract.parent.contract_id
            elif contract.orphan:
                contract.parent_id = self._missing_id(prefix, contract, given)
                parent_number = contract.parent_id
            else:
                continue
            wording = self._word(vocab.ANNEX_NUMBER)
            contract.number = wording.format(number=contract.annex_number, contract=parent_number)

    def _missing_id(self, prefix: str, annex: _Contract, given: set[str]) -> str:
        """A ContractID of last year that nobody gave out: the annex's contract was never typed in."""
        assert annex.date is not None
        number = self.rng.randint(40, 90)
        while f"{prefix}-{annex.date.year - 1}-{number:03d}" in given:
            number += 1
        return f"{prefix}-{annex.date.year - 1}-{number:03d}"

    def _row(self, contract: _Contract) -> Row:
        contract.row = {
            "contract_id": contract.contract_id,
            "client_id": contract.client_id,
            "number": contract.number,
            "date": contract.date,
            "subject": contract.subject,
            "amount": contract.amount,
            "valid_from": contract.valid_from,
            "valid_until": contract.valid_until,
            "parent_id": contract.parent_id,
            "status": contract.status.name(self.locale),
            "comment": contract.comment,
        }
        return contract.row
