"""Checks of the Contracts sheet that look across its rows: IDs, annexes, terms and overlapping contracts.

- A ContractID on two rows is an error on the later row, naming the first: an annex could not tell which
  contract it belongs to.
- An annex names its contract in Parent contract: naming itself, a ContractID no row has, or annexes that lead
  back to one another and never to a contract is an error; naming a contract of another client is a warning.
- Valid until before Valid from is an error; both on one day is a one-day term.
- Two counted contracts (Status Active or blank) of one client on the same Subject (compared as folded text) whose
  terms overlap are a warning on the one that begins later, naming the other. A term runs from Valid from (the
  Date when blank) to Valid until, both days included, and is open at an end left blank; a row with neither Valid
  from nor Valid until states no term and is compared with none. A contract and its annexes (and theirs) amend one
  another: they are never compared.

A blank ContractID or ClientID, a ClientID of no client, and a date, amount or status that cannot be read are
findings of the checks every sheet gets (``xlcrm.checks.validate``). Each column is read once per distinct value.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from xlcrm import schema
from xlcrm.checks.findings import Code, Finding, Severity
from xlcrm.checks.normalize import as_text, is_blank, parse_date, text_or_none
from xlcrm.messages import Day, Message, t
from xlcrm.xlsx.reader import SheetData

ERROR, WARNING = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class _Contract:
    """One row of Contracts as the checks compare it; IDs as text, the subject folded, None when blank."""

    row: int
    contract_id: str | None
    client_id: str | None
    parent_id: str | None
    subject: str | None
    start: dt.date | None  # Valid from, else the Date
    end: dt.date | None  # Valid until
    valid_from: dt.date | None
    counted: bool  # Active or blank: a contract in force


def contract_findings(sheet: SheetData, locale: str) -> Iterator[Finding]:
    """Every finding of the cross-row rules above on a readable Contracts sheet, in no particular order."""
    contracts = _read(sheet)
    first_rows: dict[str, _Contract] = {}
    for contract in contracts:
        if contract.contract_id is not None:
            first_rows.setdefault(contract.contract_id, contract)
    if sheet.has("contract_id"):
        yield from _repeated_id_findings(sheet, contracts, first_rows, locale)
        if sheet.has("parent_id"):
            yield from _parent_findings(sheet, contracts, first_rows, locale)
    if sheet.has("valid_from") and sheet.has("valid_until"):
        yield from _reversed_term_findings(sheet, contracts, locale)
    if sheet.has("client_id") and sheet.has("subject"):
        yield from _overlap_findings(sheet, contracts, first_rows, locale)


def _read(sheet: SheetData) -> list[_Contract]:
    """The sheet's rows as contracts, each distinct cell value converted once."""
    ids, clients, parents = (sheet.each_cell(key, text_or_none) for key in ("contract_id", "client_id", "parent_id"))
    subjects = sheet.each_cell("subject", lambda value: schema.fold(value) or None)
    signed, valid_from, valid_until = (sheet.each_cell(key, _day) for key in ("date", "valid_from", "valid_until"))
    counted = sheet.each_cell("status", _counts, dtype=bool)
    return [
        _Contract(
            int(row),
            ids[index],
            clients[index],
            parents[index],
            subjects[index],
            valid_from[index] or signed[index],
            valid_until[index],
            valid_from[index],
            bool(counted[index]),
        )
        for index, row in enumerate(sheet.frame.index)
    ]


def _day(value: object) -> dt.date | None:
    """The date of a cell, None when blank or not a date (the date check reports that)."""
    return None if is_blank(value) else parse_date(value).date


def _counts(value: object) -> bool:
    """Whether a Status makes the contract one in force: Active, or blank (an unknown status is reported)."""
    return is_blank(value) or schema.match_list_value(value, schema.CONTRACT_STATUSES) is schema.CONTRACT_ACTIVE


def _header(sheet: SheetData, key: str, locale: str) -> str:
    return sheet.spec.column(key).name(locale)


def _finding(severity: Severity, code: Code, sheet: SheetData, key: str, row: int, message: Message) -> Finding:
    """A finding on the cell of column ``key`` in ``row``, with the cell's value as typed."""
    value = sheet.column_values(key)[row]
    return Finding(severity, code, sheet.name, sheet.cell(key, row), "" if is_blank(value) else as_text(value), message)


def _repeated_id_findings(
    sheet: SheetData, contracts: list[_Contract], first_rows: Mapping[str, _Contract], locale: str
) -> Iterator[Finding]:
    header = _header(sheet, "contract_id", locale)
    for contract in contracts:
        if contract.contract_id is None:
            continue
        first = first_rows[contract.contract_id]
        if first is not contract:
            yield _finding(
                ERROR,
                Code.DUPLICATE_CONTRACT_ID,
                sheet,
                "contract_id",
                contract.row,
                t(
                    "{header} {id} is already on row {row} ({cell}); give each contract and annex its own "
                    "{header}, so that an annex names one contract",
                    header=header,
                    id=contract.contract_id,
                    row=first.row,
                    cell=sheet.cell("contract_id", first.row),
                ),
            )


def _parent_findings(
    sheet: SheetData, contracts: list[_Contract], first_rows: Mapping[str, _Contract], locale: str
) -> Iterator[Finding]:
    header, parent_header = _header(sheet, "contract_id", locale), _header(sheet, "parent_id", locale)
    for annex in contracts:
        if annex.parent_id is None:
            continue
        contract = first_rows.get(annex.parent_id)
        if annex.parent_id == annex.contract_id:
            yield _finding(
                ERROR,
                Code.ANNEX_OF_ITSELF,
                sheet,
                "parent_id",
                annex.row,
                t(
                    "the row names its own {header} in {parent}: an annex names its contract there, a contract "
                    "leaves it blank",
                    header=header,
                    parent=parent_header,
                ),
            )
        elif contract is None:
            yield _finding(
                ERROR,
                Code.UNKNOWN_PARENT_CONTRACT,
                sheet,
                "parent_id",
                annex.row,
                t(
                    "no row of this sheet has {header} {id}: {parent} names the contract this annex belongs to",
                    header=header,
                    id=annex.parent_id,
                    parent=parent_header,
                ),
            )
        elif (looping := _loop_of(annex, first_rows)) is not None:
            yield _finding(
                ERROR,
                Code.UNKNOWN_PARENT_CONTRACT,
                sheet,
                "parent_id",
                annex.row,
                t(
                    "the annexes named in {parent} from this row lead back to {id} and never to a contract: one of "
                    "them names an annex instead of its contract",
                    parent=parent_header,
                    id=looping,
                ),
            )
        elif None not in (annex.client_id, contract.client_id) and annex.client_id != contract.client_id:
            client_header = _header(sheet, "client_id", locale)
            yield _finding(
                WARNING,
                Code.ANNEX_OF_OTHER_CLIENT,
                sheet,
                "parent_id",
                annex.row,
                t(
                    "contract {id} ({cell}) is of {client_header} {other}, this annex of {client}: an annex belongs "
                    "to the client of its contract; check the {client_header} of both rows",
                    id=annex.parent_id,
                    cell=sheet.cell("contract_id", contract.row),
                    client_header=client_header,
                    other=contract.client_id,
                    client=annex.client_id,
                ),
            )


def _loop_of(annex: _Contract, first_rows: Mapping[str, _Contract]) -> str | None:
    """The ContractID at which the chain of Parent contracts from ``annex`` comes back on itself, or None when it
    ends at a contract (or at an ID no row has, reported on its own)."""
    seen = {annex.contract_id}
    current = annex.parent_id
    while current is not None:
        row = first_rows.get(current)
        if row is None:
            return None
        if current in seen:
            return current
        seen.add(current)
        current = row.parent_id
    return None


def _reversed_term_findings(sheet: SheetData, contracts: list[_Contract], locale: str) -> Iterator[Finding]:
    for contract in contracts:
        if contract.valid_from is None or contract.end is None or contract.end >= contract.valid_from:
            continue
        yield _finding(
            ERROR,
            Code.TERM_ENDS_BEFORE_START,
            sheet,
            "valid_until",
            contract.row,
            t(
                "{until} {end} is before {from_} {start} of the same row: the term ends before it begins; check the "
                "day, month and year",
                until=_header(sheet, "valid_until", locale),
                end=Day(contract.end),
                from_=_header(sheet, "valid_from", locale),
                start=Day(contract.valid_from),
            ),
        )


def _overlap_findings(
    sheet: SheetData, contracts: list[_Contract], first_rows: Mapping[str, _Contract], locale: str
) -> Iterator[Finding]:
    """Per client and subject, a sweep in order of the terms' beginnings: a contract overlaps one still open when
    it begins, and the first of those outside its own family is named."""
    parents = {contract_id: contract.parent_id for contract_id, contract in first_rows.items()}
    groups: dict[tuple[str, str], list[_Contract]] = defaultdict(list)
    for contract in contracts:
        has_term = contract.valid_from is not None or contract.end is not None
        in_order = contract.start is None or contract.end is None or contract.start <= contract.end
        if contract.counted and has_term and in_order and contract.client_id and contract.subject:
            groups[(contract.client_id, contract.subject)].append(contract)
    for group in groups.values():
        open_terms: list[_Contract] = []
        for contract in sorted(group, key=lambda c: (c.start or dt.date.min, c.row)):
            begins = contract.start or dt.date.min
            open_terms = [other for other in open_terms if other.end is None or other.end >= begins]
            family = _family(contract, parents)
            other = next((other for other in open_terms if _family(other, parents) != family), None)
            if other is not None:
                yield _overlap_finding(sheet, contract, other, locale)
            open_terms.append(contract)


def _family(contract: _Contract, parents: Mapping[str, str | None]) -> str | int:
    """The ContractID at the top of the contract's chain of Parent contracts (its own when it is no annex), or its
    row when it has no ID and names no contract. A chain that loops ends at its smallest ID, whichever row it is
    entered from."""
    current = contract.parent_id if contract.parent_id in parents else contract.contract_id
    if current is None:
        return contract.row
    chain: list[str] = []
    while current not in chain:
        chain.append(current)
        parent = parents.get(current)
        if parent is None or parent not in parents:
            return current
        current = parent
    return min(chain[chain.index(current) :])


def _overlap_finding(sheet: SheetData, contract: _Contract, other: _Contract, locale: str) -> Finding:
    cell = sheet.cell("contract_id", other.row) if sheet.has("contract_id") else sheet.cell("subject", other.row)
    return _finding(
        WARNING,
        Code.OVERLAPPING_CONTRACTS,
        sheet,
        "subject",
        contract.row,
        t(
            "the term {term} overlaps the term {other_term} of contract {contract} of the same client and {subject}, "
            "and both count as {active}: close the earlier contract or correct the dates",
            term=_term(contract),
            other_term=_term(other),
            contract=cell if other.contract_id is None else f"{other.contract_id} ({cell})",
            subject=_header(sheet, "subject", locale),
            active=schema.CONTRACT_ACTIVE.name(locale),
        ),
    )


def _term(contract: _Contract) -> Message:
    """``1 March 2025 to 28 February 2026``, ``from 1 March 2025`` or ``until 28 February 2026``."""
    if contract.start is None:
        assert contract.end is not None  # a contract with no term is compared with none
        return t("until {end}", end=Day(contract.end))
    if contract.end is None:
        return t("from {start}", start=Day(contract.start))
    return t("{start} to {end}", start=Day(contract.start), end=Day(contract.end))
