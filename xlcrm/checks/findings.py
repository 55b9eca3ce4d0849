"""Validation findings: what is wrong, where, and how bad. Shared by validation, demo data and reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from xlcrm.messages import Text
from xlcrm.messages.as_json import JsonFields


class Severity(str, Enum):
    ERROR = "error"  # the workbook cannot be trusted until fixed; validate exits 1
    WARNING = "warning"  # worth a look; xlcrm can still work


class Code(str, Enum):
    """Stable identifiers of every check, used in --json output and by tests."""

    MISSING_SHEET = "missing-sheet"
    MISSING_COLUMN = "missing-column"
    MISPLACED_HEADER = "misplaced-header"
    DUPLICATE_HEADER = "duplicate-header"
    BLANK_CLIENT_ID = "blank-client-id"
    DUPLICATE_CLIENT_ID = "duplicate-client-id"
    UNKNOWN_CLIENT = "unknown-client"
    BAD_PHONE = "bad-phone"
    BAD_EMAIL = "bad-email"
    BAD_INN = "bad-inn"
    BAD_DATE = "bad-date"
    TEXT_DATE = "text-date"
    BAD_AMOUNT = "bad-amount"
    TEXT_AMOUNT = "text-amount"  # a number typed as text: read, but Excel will not sum it
    BAD_NUMBER = "bad-number"
    NEGATIVE_AMOUNT = "negative-amount"
    NOT_IN_LIST = "not-in-list"
    FUTURE_BIRTHDAY = "future-birthday"
    MISSING_VALUE = "missing-value"
    BAD_SETTING = "bad-setting"
    RETIRED_SETTING = "retired-setting"  # a Settings row of an earlier version, no longer read (duplicate points)
    UNKNOWN_DECISION = "unknown-decision"  # a Decision on the Duplicates sheet that is not merge / keep apart
    DESIGNATION_WITHOUT_ORDERS = "designation-without-orders"  # VIP or Key with fewer orders than a Regular client
    LOST_WITHOUT_REASON = "lost-without-reason"  # a Lost client whose Reason lost is blank
    NEXT_DATE_BEFORE_DATE = "next-date-before-date"  # a plan due before the contact it was made at
    NO_CONSENT = "no-consent"  # a client who is a person, without a Consent date, while consent is required
    FUTURE_CONSENT = "future-consent"  # a Consent date after today
    DUPLICATE_CONTRACT_ID = "duplicate-contract-id"  # a ContractID on two rows of Contracts
    UNKNOWN_PARENT_CONTRACT = "unknown-parent-contract"  # an annex's Parent contract that no row has as ContractID
    ANNEX_OF_ITSELF = "annex-of-itself"  # a Parent contract equal to the row's own ContractID
    ANNEX_OF_OTHER_CLIENT = "annex-of-other-client"  # an annex of a contract of another client
    TERM_ENDS_BEFORE_START = "term-ends-before-start"  # Valid until before Valid from
    OVERLAPPING_CONTRACTS = "overlapping-contracts"  # two contracts in force of one client and subject at once
    UNKNOWN_ORDER = "unknown-order"  # a Payment or Return naming an Order No. no order of its client carries
    DUPLICATE_ORDER_NUMBER = "duplicate-order-number"  # an Order No. on two orders of one client
    PAYMENT_WITHOUT_AMOUNT = "payment-without-amount"  # a Payment whose Amount is blank
    BAD_PAYMENT_TERM = "bad-payment-term"  # a client's Payment term that is not a whole number of 0 or more
    BAD_DISCOUNT = "bad-discount"  # a Discount, % that is not a number from 0 to 100
    DISCOUNT_AS_FRACTION = "discount-as-fraction"  # a Discount, % between 0 and 1: 10 % typed as 0,1
    BAD_CARD_NUMBER = "bad-card-number"  # a Card number that is not the number of digits Settings say
    DUPLICATE_CARD_NUMBER = "duplicate-card-number"  # one Card number on two clients
    FUTURE_PAYMENTS_FROM = "future-payments-from"  # the Setting payments_from after today
    PAYMENTS_NOT_TRACKED = "payments-not-tracked"  # payments recorded, but Settings has no payments_from row


@dataclass(frozen=True)
class Finding(JsonFields):
    """One problem of the workbook, at one cell (or one sheet)."""

    severity: Severity
    code: Code
    sheet: str  # the sheet's actual name in the workbook
    cell: str  # "Clients!D14", or "Clients" for a whole-sheet finding
    value: str  # the offending value as text ("" when there is none)
    # Plain words for a non-programmer, rendered when shown: in the workbook's language on its Problems sheet, in
    # the run's language on the terminal.
    message: Text
