"""The demo's order numbers, payments, payment terms and loyalty cards, with planted payment cases.

Orders carry an Order No. («З-0001», numbered in the order they were taken), but a share of them none: an order
taken by phone is not always numbered. The company records payments from ``payments_from`` (the Setting «Учёт оплат
с»), the first day of the month a year before today: it started keeping them in the workbook then, and what was
ordered before counts as settled, so two years of history need no invented payments. Every order since is paid in
full, most within the client's payment term, some a few days late, a big one now and then in two parts; most
payments name the order's number, some do not (they settle the oldest orders first). An order not due yet may still
wait for its money. Companies that buy a lot pay in 30 or 45 days (Payment term on Clients), a few persons on the
day of the order (0).

Nothing is owed past its term but what the planted cases (:data:`PAYMENT_CASES`) owe, each on its own ordinary
client (no planted lifecycle case, duplicate, look-alike or designation): an unpaid order in every ageing bucket, a
part payment, a payment naming an Order No. the client's orders do not carry (a finding), a prepayment, a refund,
the clients' own payment terms and a payment without an Order No. The cases are spread over the managers in turn.

Loyalty: persons and sole traders who buy get a loyalty card (13 digits, the Setting ``card_digits``) and a discount
of 5, 10 or 15 %, the more likely and the bigger the more they ordered, so card holders order more often than the
rest; some big companies have a discount without a card.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xlcrm import schema
from xlcrm.create import demo_data as vocab
from xlcrm.messages import Message, Text, t
from xlcrm.messages.as_json import JsonFields

Row = dict[str, object]
# The cell a planted case rests on, from its sheet, row and column.
CellOf = Callable[[schema.Sheet, Row, str], str]

DEFAULT_TERM = schema.setting("payment_term_days").number
LONGER_TERM, LONGEST_TERM = 30, 45  # what companies that buy a lot negotiate
CARD_DIGITS = 13
UNNUMBERED_SHARE = 0.12  # orders taken without a number
NAMED_SHARE = 0.75  # payments of a numbered order that name its number
LATE_SHARE = 0.12  # orders paid after their term (paid by now)
WAITING_SHARE = 0.5  # orders not due yet that are not paid yet
TWO_PARTS_SHARE, TWO_PARTS_FROM = 0.12, 20_000  # big orders paid half in advance, the rest later
# Chance of a loyalty card and its discount, by the orders a person or sole trader placed: (fewest orders, chance,
# discount %), the first that fits from the top.
_CARD_TIERS = ((10, 0.9, 15), (3, 0.75, 10), (1, 0.35, 5), (0, 0.03, 5))
_COMPANY_DISCOUNT_SHARE = 0.3  # big companies with a negotiated discount
_COMPANY_DISCOUNTS = (5, 10)

# --- planted cases --------------------------------------------------------------------------------------

OVERDUE_OVER_90 = "overdue_over_90"  # an order unpaid over 90 days: each ageing bucket has one
OVERDUE_61_90 = "overdue_61_90"
OVERDUE_31_60 = "overdue_31_60"
OVERDUE_0_30 = "overdue_0_30"
PARTLY_PAID = "partly_paid"  # part of the last order paid, the rest overdue
UNKNOWN_ORDER_NUMBER = "unknown_order_number"  # a payment naming an Order No. no order of the client carries
PREPAID = "prepaid"  # everything paid, and an advance for the next order: a credit
REFUND = "refund"  # an order paid twice by mistake, the second payment paid back
PAID_IN_FULL = "paid_in_full"  # every order paid exactly, the last naming its number
OWN_TERM_ON_TIME = "own_term_on_time"  # Payment term 45 on Clients: an order past the default term is on time
OWN_TERM_ZERO = "own_term_zero"  # Payment term 0: an order of a few days ago is overdue already
PAID_OLDEST_FIRST = "paid_oldest_first"  # a payment without an Order No. settles the older of the last two orders
# Every case, most important first: a small demo keeps what fits.
PAYMENT_CASES = (
    OVERDUE_OVER_90,
    OVERDUE_61_90,
    OVERDUE_31_60,
    OVERDUE_0_30,
    PARTLY_PAID,
    UNKNOWN_ORDER_NUMBER,
    PREPAID,
    REFUND,
    PAID_IN_FULL,
    OWN_TERM_ON_TIME,
    OWN_TERM_ZERO,
    PAID_OLDEST_FIRST,
)
# Days since the unpaid order's date of each ageing case.
_AGES = {OVERDUE_0_30: (0, 30), OVERDUE_31_60: (31, 60), OVERDUE_61_90: (61, 90), OVERDUE_OVER_90: (91, 10**6)}
# The cases whose client owes nothing.
_SETTLED = (PREPAID, REFUND, PAID_IN_FULL)
# The Payment term a case sets on its client.
_OWN_TERMS = {OWN_TERM_ON_TIME: LONGEST_TERM, OWN_TERM_ZERO: 0}


@dataclass(frozen=True)
class PlantedPayment(JsonFields):
    """A client made on purpose to show one rule of the payments, with what a refresh must show for it.

    ``cell`` is the cell the case rests on: the unpaid order's Date, the telling payment's Amount (or the Order No.
    it names wrongly), the client's Payment term. ``balance`` and ``unpaid_since`` are the client's ▸ Balance and
    ▸ Unpaid since after a refresh (None: blank); ``due`` is the day the client's oldest unpaid order is due (the
    agenda lists the client once it is past), None when nothing is owed.
    """

    case: str  # one of PAYMENT_CASES
    client_id: str
    manager: str
    cell: str
    balance: float
    unpaid_since: dt.date | None
    due: dt.date | None
    note: Text


@dataclass(frozen=True)
class Buyer:
    """A client as the payments see it: its Clients ``row`` (Payment term, Discount and Card number are set on it)
    and its Order rows, oldest first as the log has them."""

    client_id: str
    manager: str
    row: Row
    retail: bool  # a person or a sole trader
    big: bool  # a Partner, VIP or Key client
    orders: list[Row]
    plantable: bool  # an ordinary client a planted case may use
    typed_again: bool = False  # a planted duplicate: the card, if any, is on the client's first row


@dataclass
class _Case:
    case: str
    buyer: Buyer
    sheet: schema.Sheet
    row: Row
    column: str
    balance: float
    unpaid_since: dt.date | None
    due: dt.date | None
    note: Message


@dataclass
class Payments:
    """What the demo adds: the Payment rows with their dates, the Settings it needs and the planted cases."""

    rows: list[tuple[dt.date, Row]]
    settings: dict[str, object]
    cases: list[_Case] = field(default_factory=list)

    def planted(self, cell_of: CellOf) -> list[PlantedPayment]:
        """The planted cases in the order of PAYMENT_CASES, then by ClientID, with their cells."""
        planted = [
            PlantedPayment(
                case.case,
                case.buyer.client_id,
                case.buyer.manager,
                cell_of(case.sheet, case.row, case.column),
                float(case.balance),
                case.unpaid_since,
                case.due,
                case.note,
            )
            for case in self.cases
        ]
        return sorted(planted, key=lambda case: (PAYMENT_CASES.index(case.case), case.client_id))


def payments_start(today: dt.date) -> dt.date:
    """The demo's «Учёт оплат с»: the first day of the month a year before ``today``."""
    return dt.date(today.year - 1, today.month, 1)


def make_payments(
    buyers: Sequence[Buyer],
    order_rows: Sequence[Row],
    managers: Sequence[str],
    rng: random.Random,
    locale: str,
    today: dt.date,
) -> Payments:
    """Numbers ``order_rows`` (every order of the log, in its order), gives ``buyers`` payment terms, cards and
    discounts, and returns their payments with the planted cases spread over ``managers``."""
    maker = _PaymentMaker(rng, locale, today)
    maker.number_orders(order_rows)
    for buyer in buyers:
        maker.give_terms_and_cards(buyer)
    planted = maker.plant(buyers, managers)
    for buyer in buyers:
        if buyer.client_id not in planted:
            for order in maker.tracked(buyer):
                maker.pay_as_usual(buyer, order)
    return Payments(maker.rows, {"payments_from": maker.start, "card_digits": CARD_DIGITS}, maker.cases)


def _amount(order: Row) -> int:
    amount = order["amount"]
    assert isinstance(amount, int)
    return amount


def _day(row: Row) -> dt.date:
    day = row["date"]
    assert isinstance(day, dt.date)
    return day


def _valid(order: Row) -> bool:
    """An order whose Amount and Date count (a planted mistake spoils some amounts)."""
    return isinstance(order["amount"], int) and _amount(order) > 0 and isinstance(order["date"], dt.date)


def _ean_check_digit(digits: str) -> str:
    """The EAN-13 check digit of twelve digits."""
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(digits))
    return str(-total % 10)


class _PaymentMaker:
    def __init__(self, rng: random.Random, locale: str, today: dt.date) -> None:
        self.rng = rng
        self.locale = locale
        self.today = today
        self.start = payments_start(today)
        self.rows: list[tuple[dt.date, Row]] = []
        self.cases: list[_Case] = []
        self.card_serial = rng.randint(1000, 5000)

    def _word(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.locale == "ru" else pair[0]

    def _age(self, order: Row) -> int:
        return (self.today - _day(order)).days

    @staticmethod
    def term(buyer: Buyer) -> int:
        """The buyer's payment term in days: its own, else the Setting's default."""
        own = buyer.row["payment_term"]
        return own if isinstance(own, int) else DEFAULT_TERM

    def tracked(self, buyer: Buyer) -> list[Row]:
        """The buyer's orders that wait for a payment: valid, dated from ``start`` up to today."""
        return [order for order in buyer.orders if _valid(order) and self.start <= _day(order) <= self.today]

    # --- numbers, terms and cards ---------------------------------------------------------------------------

    def number_orders(self, orders: Sequence[Row]) -> None:
        """Gives most ``orders`` (the log's, in its order) the next Order No.; the others none."""
        wording = self._word(vocab.ORDER_NUMBER)
        number = 0
        for order in orders:
            if self.rng.random() >= UNNUMBERED_SHARE:
                number += 1
                order["order_number"] = wording.format(number=number)

    def give_terms_and_cards(self, buyer: Buyer) -> None:
        """Sets the buyer's Payment term, Discount and Card number as a client of its kind has them."""
        rng, row = self.rng, buyer.row
        ordered = sum(1 for order in buyer.orders if _valid(order) and _day(order) <= self.today)
        if buyer.retail:
            if not buyer.typed_again:
                self._give_card(buyer, ordered)
            return
        roll = rng.random()
        if buyer.big:
            row["payment_term"] = LONGER_TERM if roll < 0.5 else LONGEST_TERM if roll < 0.6 else None
            if rng.random() < _COMPANY_DISCOUNT_SHARE:
                row["discount"] = rng.choice(_COMPANY_DISCOUNTS)
        elif ordered and roll < 0.2:
            row["payment_term"] = LONGER_TERM

    def _give_card(self, buyer: Buyer, ordered: int) -> None:
        """A person's or sole trader's payment term and loyalty card, by the ``ordered`` orders placed."""
        if self.rng.random() < 0.1:
            buyer.row["payment_term"] = 0  # pays on the day of the order
        _, chance, discount = next(tier for tier in _CARD_TIERS if ordered >= tier[0])
        if self.rng.random() < chance:
            buyer.row["discount"] = discount
            buyer.row["card_number"] = self._card_number()

    def _card_number(self) -> str:
        self.card_serial += self.rng.randint(1, 40)  # cards are handed out in turn, to the clients who came
        digits = f"{vocab.CARD_PREFIX}{self.card_serial:07d}"
        return digits + _ean_check_digit(digits)

    # --- payment rows -----------------------------------------------------------------------------------------

    def _payment(self, buyer: Buyer, day: dt.date, amount: int, number: object, comment: str | None = None) -> Row:
        rng = self.rng
        result = self._word(rng.choice(vocab.RETAIL_PAYMENTS if buyer.retail else vocab.BUSINESS_PAYMENTS))
        if comment is None and not buyer.retail and rng.random() < 0.3:
            comment = self._word(vocab.PAYMENT_ORDER).format(number=rng.randint(10, 999))
        row: Row = {
            "date": day,
            "client_id": buyer.client_id,
            "type": schema.PAYMENT.name(self.locale),
            "service": None,
            "amount": amount,
            "manager": buyer.manager,
            "result": result,
            "comment": comment,
            "next_action": None,
            "next_date": None,
            "order_number": number,
        }
        self.rows.append((day, row))
        return row

    def _paid_on(self, order: Row, term: int, late: bool = False) -> dt.date:
        """A day the order was paid: within its term (late: a few days after it), never after today."""
        age = self._age(order)
        delay = self.rng.randint(term + 1, min(age, term + 25)) if late else self.rng.randint(0, min(term, age))
        return _day(order) + dt.timedelta(days=delay)

    def pay_as_usual(self, buyer: Buyer, order: Row) -> None:
        """The order paid as most are: in time, or a few days late, or not yet when it is not due yet; naming its
        number mostly, a big one now and then half in advance."""
        rng, term, age = self.rng, self.term(buyer), self._age(order)
        if age <= term and rng.random() < WAITING_SHARE:
            self._unpaid(order)
            return
        day = self._paid_on(order, term, late=age > term and rng.random() < LATE_SHARE)
        number = order["order_number"] if rng.random() < NAMED_SHARE else None
        amount = _amount(order)
        if amount >= TWO_PARTS_FROM and day > _day(order) and rng.random() < TWO_PARTS_SHARE:
            advance = amount // 2
            self._payment(buyer, _day(order), advance, number, self._word(vocab.ADVANCE))
            amount -= advance
        self._payment(buyer, day, amount, number)

    def _pay_in_full(self, buyer: Buyer, order: Row) -> Row:
        """One payment of the whole order, in time, naming its number."""
        return self._payment(buyer, self._paid_on(order, self.term(buyer)), _amount(order), order["order_number"])

    def _unpaid(self, order: Row) -> None:
        """An order still waiting for its money does not say it was paid."""
        if order["result"] == self._word(vocab.RESULTS[schema.ORDER.key][0]):
            order["result"] = self._word(vocab.INVOICE_ISSUED)

    # --- planted cases ----------------------------------------------------------------------------------------

    def plant(self, buyers: Sequence[Buyer], managers: Sequence[str]) -> set[str]:
        """Plants every case that fits on its own ordinary client, the managers taking turns (by the case's place in
        PAYMENT_CASES); returns the ClientIDs used. The case fewest clients fit goes first, so a client with the
        only recent order is not spent on a case any client with an old one fits."""
        free = [buyer for buyer in buyers if buyer.plantable and self._numbered(buyer)]
        self.rng.shuffle(free)
        fits = {case: self._fitting(case, free) for case in PAYMENT_CASES}
        while fits:
            case = min(fits, key=lambda case: len(fits[case]))  # ties: in the order of PAYMENT_CASES
            fitting = fits.pop(case)
            if not fitting:
                continue
            turn = managers[PAYMENT_CASES.index(case) % len(managers)] if managers else ""
            buyer, order = next(((b, o) for b, o in fitting if b.manager == turn), fitting[0])
            for others in fits.values():
                others[:] = [(b, o) for b, o in others if b is not buyer]
            self._plant_case(case, buyer, order)
        return {case.buyer.client_id for case in self.cases}

    def _fitting(self, case: str, buyers: list[Buyer]) -> list[tuple[Buyer, int]]:
        """The buyers whose orders fit ``case``, each with the index of the order the case rests on."""
        fits = [(buyer, self._telling_order(case, buyer)) for buyer in buyers]
        return [(buyer, order) for buyer, order in fits if order is not None]

    def _numbered(self, buyer: Buyer) -> bool:
        """Whether every order of the buyer counts and those that wait for a payment carry a number."""
        tracked = self.tracked(buyer)
        return all(_valid(order) for order in buyer.orders) and all(order["order_number"] for order in tracked)

    def _telling_order(self, case: str, buyer: Buyer) -> int | None:
        """The index among the buyer's tracked orders of the order ``case`` rests on; None when the buyer's orders do
        not fit the case."""
        orders = self.tracked(buyer)
        if not orders:
            return None
        ages = [self._age(order) for order in orders]
        term, last = _OWN_TERMS.get(case, self.term(buyer)), len(orders) - 1
        if case in _AGES:
            low, high = _AGES[case]
            fitting = [index for index, age in enumerate(ages) if low <= age <= high and age > term]
            return fitting[-1] if fitting else None
        fits = {
            PARTLY_PAID: term + 10 <= ages[last] <= 75,
            UNKNOWN_ORDER_NUMBER: term < ages[last] <= 120,
            PREPAID: ages[last] > term,
            REFUND: ages[last] > term + 3,
            PAID_IN_FULL: ages[last] > term,
            OWN_TERM_ON_TIME: DEFAULT_TERM < ages[last] <= term - 5,
            OWN_TERM_ZERO: 1 <= ages[last] < DEFAULT_TERM - 1,
            PAID_OLDEST_FIRST: len(orders) >= 2,
        }[case]
        return last if fits else None

    def _plant_case(self, case: str, buyer: Buyer, index: int) -> None:
        """Pays the buyer's orders as ``case`` tells; the order at ``index`` of its tracked orders tells it."""
        if case in _OWN_TERMS:
            buyer.row["payment_term"] = _OWN_TERMS[case]
        orders = self.tracked(buyer)
        # The other orders are paid in full, by number; the older of the last two is the case's own when one
        # payment without a number settles the oldest first.
        others = orders[: index - 1] if case == PAID_OLDEST_FIRST else orders[:index] + orders[index + 1 :]
        for other in others:
            self._pay_in_full(buyer, other)
        if case in _SETTLED:
            self._plant_settled(case, buyer, orders[index])
        else:
            self._plant_unpaid(case, buyer, orders, index)

    def _plant_unpaid(self, case: str, buyer: Buyer, orders: list[Row], index: int) -> None:
        """The cases whose telling order (at ``index`` of ``orders``) stays unpaid, in full or in part."""
        order, term = orders[index], self.term(buyer)
        amount, day, number = _amount(order), _day(order), order["order_number"]
        self._unpaid(order)
        balance, sheet, row, column = amount, schema.INTERACTIONS, order, "date"
        if case in _OWN_TERMS:
            sheet, row, column = schema.CLIENTS, buyer.row, "payment_term"
        elif case == PARTLY_PAID:
            part = amount * self.rng.choice((3, 5, 6)) // 1000 * 100  # 30, 50 or 60 %, in whole hundreds
            paid = self._paid_on(order, term)
            row, column = self._payment(buyer, paid, part, number, self._word(vocab.PART_PAYMENT)), "amount"
            balance = amount - part
        elif case == UNKNOWN_ORDER_NUMBER:
            typo = self._typo(str(number), {_key(other["order_number"]) for other in buyer.orders})
            row, column = self._payment(buyer, self._paid_on(order, term), amount, typo), "order_number"
            balance = 0  # the money was received: it counts in the balance, though it settles no order
        elif case == PAID_OLDEST_FIRST:
            paid = day + dt.timedelta(days=self.rng.randint(0, self._age(order)))
            older = _amount(orders[index - 1])
            row, column = self._payment(buyer, paid, older, None, self._word(vocab.ONE_TRANSFER)), "amount"
        self._planted(case, buyer, sheet, row, column, balance, day, day + dt.timedelta(days=term))

    def _plant_settled(self, case: str, buyer: Buyer, order: Row) -> None:
        """The cases whose client owes nothing: paid in full, prepaid, refunded."""
        payment = self._pay_in_full(buyer, order)
        if case == PAID_IN_FULL:
            self._planted(case, buyer, schema.INTERACTIONS, payment, "amount", 0, None, None)
            return
        if case == PREPAID:
            advance = _amount(order)
            day = max(_day(payment), self.today - dt.timedelta(days=self.rng.randint(1, 10)))
            row = self._payment(buyer, day, advance, None, self._word(vocab.PREPAYMENT))
            self._planted(case, buyer, schema.INTERACTIONS, row, "amount", -advance, None, None)
            return
        # REFUND: the order paid a second time, then that money paid back.
        again = min(self.today, _day(payment) + dt.timedelta(days=self.rng.randint(1, 3)))
        number, amount = order["order_number"], _amount(order)
        self._payment(buyer, again, amount, number, self._word(vocab.DOUBLE_PAYMENT))
        back = min(self.today, again + dt.timedelta(days=self.rng.randint(1, 7)))
        row = self._payment(buyer, back, -amount, number, self._word(vocab.REFUND))
        self._planted(case, buyer, schema.INTERACTIONS, row, "amount", 0, None, None)

    def _typo(self, number: str, taken: set[str | None]) -> str:
        """``number`` as a hurried accountant typed it: two digits swapped or the last one wrong, and carried by no
        order in ``taken`` (folded numbers)."""
        digits = [index for index, char in enumerate(number) if char.isdigit()]
        first, second = digits[-2], digits[-1]
        swapped = number[:first] + number[second] + number[first + 1 : second] + number[first] + number[second + 1 :]
        candidates = [swapped] + [number[:second] + str((int(number[second]) + step) % 10) for step in range(1, 10)]
        return next(candidate for candidate in candidates if _key(candidate) not in taken)

    def _planted(
        self,
        case: str,
        buyer: Buyer,
        sheet: schema.Sheet,
        row: Row,
        column: str,
        balance: float,
        unpaid_since: dt.date | None,
        due: dt.date | None,
    ) -> None:
        self.cases.append(_Case(case, buyer, sheet, row, column, balance, unpaid_since, due, _NOTES[case]))


def _key(number: object) -> str | None:
    """An Order No. as it is compared: case- and space-insensitive."""
    return schema.fold(number) or None


_NOTES: dict[str, Message] = {
    OVERDUE_OVER_90: t("an order unpaid for over 90 days: overdue, in the oldest ageing bucket"),
    OVERDUE_61_90: t("an order unpaid for 61 to 90 days: overdue"),
    OVERDUE_31_60: t("an order unpaid for 31 to 60 days: overdue"),
    OVERDUE_0_30: t("an order unpaid for under 31 days, past its payment term: overdue"),
    PARTLY_PAID: t("part of the last order paid: the rest is owed and overdue"),
    UNKNOWN_ORDER_NUMBER: t(
        "a payment naming an Order No. no order of the client carries (a typo): it counts in the balance but settles "
        "nothing, the order stays unpaid; a finding"
    ),
    PREPAID: t("every order paid and an advance for the next one: a credit, the balance below zero"),
    REFUND: t("an order paid twice by mistake and the second payment paid back: nothing owed"),
    PAID_IN_FULL: t("every order paid exactly, the last naming its Order No.: nothing owed"),
    OWN_TERM_ON_TIME: t("a Payment term of 45 days on Clients: an order past the default term is still on time"),
    OWN_TERM_ZERO: t("a Payment term of 0 days on Clients: an order of a few days ago is overdue already"),
    PAID_OLDEST_FIRST: t(
        "one payment without an Order No. settles the older of the last two orders: the newer one stays unpaid"
    ),
}
