"""What the reports show of debts, through a real refresh (the library in English, the CLI in Russian): receivables
by age on the Dashboard at the edges of each age (30/31, 60/61, 90/91 days) and the top debtors, both checked
against an oldest-orders-first settling computed here with pandas from the saved workbook's own Interactions;
the clients who paid ahead; each manager's receivables on Managers; a workbook without a Payment row; and no
English left on the Russian sheets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl.utils.cell import range_boundaries

from tests.conftest import convert_with_libreoffice
from tests.create.test_russian_words import english_left
from tests.reports.test_printing import PDFTOTEXT, page_texts, squeezed
from xlcrm import schema
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.demo import create_demo
from xlcrm.jobs.refresh import refresh_workbook

TODAY = dt.date(2026, 12, 3)
TERM = 14  # the default Payment term of Settings


@dataclass(frozen=True)
class Words:
    """What the test reads and types in a workbook of one language, spelled out here rather than taken from
    xlcrm."""

    managers: tuple[str, str]
    manager: str
    order: str
    payment: str
    clients: str
    log: str
    dashboard: str
    managers_sheet: str
    agenda: str
    client_id: str
    date: str
    type: str
    amount: str
    number: str
    refund: str
    term: str
    balance: str
    by_age: str
    top: str
    ahead: str
    untracked: str
    ages: tuple[str, str, str, str, str]
    owed_by_clients: str
    overdue: str
    payment_overdue: str


WORDS = {
    "en": Words(
        managers=("Anna", "Boris"),
        manager="Manager",
        order="Order",
        payment="Payment",
        clients="Clients",
        log="Interactions",
        dashboard="▸ Dashboard",
        managers_sheet="▸ Managers",
        agenda="▸ Agenda",
        client_id="ClientID",
        date="Date",
        type="Type",
        amount="Amount",
        number="Order No.",
        refund="Return",
        term="Payment term, days",
        balance="▸ Balance",
        by_age="Receivables by age",
        top="Top debtors",
        ahead="Paid ahead",
        untracked="Receivables",
        ages=("0–30 days", "31–60 days", "61–90 days", "over 90 days", "Total"),
        owed_by_clients="Owed by clients",
        overdue="Of which overdue",
        payment_overdue="Payment overdue",
    ),
    "ru": Words(
        managers=("Анна", "Борис"),
        manager="Менеджер",
        order="Заказ",
        payment="Оплата",
        clients="Клиенты",
        log="Взаимодействия",
        dashboard="▸ Сводка",
        managers_sheet="▸ Менеджеры",
        agenda="▸ Повестка",
        client_id="ID клиента",
        date="Дата",
        type="Тип",
        amount="Сумма",
        number="№ заказа",
        refund="Возврат",
        term="Срок оплаты, дней",
        balance="▸ Баланс",
        by_age="Дебиторская задолженность по срокам",
        top="Крупнейшие должники",
        ahead="Оплачено вперёд",
        untracked="Дебиторская задолженность",
        ages=("0–30 дней", "31–60 дней", "61–90 дней", "более 90 дней", "Итого"),
        owed_by_clients="Долг клиентов",
        overdue="В т. ч. просрочено",
        payment_overdue="Просрочена оплата",
    ),
}


def day(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


@dataclass(frozen=True)
class Row:
    """An Interactions row: who, what, how many days ago, the Amount, the Order No. and who logged it (0: the
    first manager, 1: the second)."""

    client_id: str
    kind: str  # "order" or "payment"
    days_ago: int
    amount: float
    number: str | None = None
    manager: int = 0


def workbook(
    path: Path,
    locale: str,
    clients: dict[str, dict[str, object]],
    rows: Sequence[Row],
    settings: dict[str, object] | None = None,
) -> Path:
    """The template in ``locale`` with ``clients`` (ClientID -> extra cells: ``manager`` 0 or 1, ``payment_term``)
    and the Interactions ``rows``; ``settings`` sets Settings values by key."""
    words = WORDS[locale]
    client_rows = [
        {
            "client_id": client_id,
            "name": f"Иван {client_id}" if locale == "ru" else f"Ivan {client_id}",
            "company": f"ООО «{client_id}»" if locale == "ru" else f"{client_id} Ltd",
            "phone": "+7 916 123-45-67",
            "created": TODAY,
            "consent_date": TODAY,
            **cells,
            "manager": words.managers[int(str(cells.get("manager", 0)))],
        }
        for client_id, cells in clients.items()
    ]
    log = [
        {
            "date": day(row.days_ago),
            "client_id": row.client_id,
            "type": words.order if row.kind == "order" else words.payment,
            "amount": row.amount,
            "order_number": row.number,
            "manager": words.managers[row.manager],
        }
        for row in rows
    ]
    book = build_workbook(
        locale, rows={"clients": client_rows, "interactions": log}, lists={"managers": words.managers}
    )
    sheet = book[schema.SETTINGS.name(locale)]
    for key, value in (settings or {}).items():
        [at] = [cell.row for cell in sheet["A"] if cell.value == key]
        sheet.cell(at, 3).value = value  # Key, Setting, Value
    book.save(path)
    return path


def refresh_through_cli(path: Path) -> None:
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output


def refresh(path: Path, locale: str) -> openpyxl.Workbook:
    """``path`` refreshed at TODAY, in English through the library, in Russian through the CLI, and re-opened."""
    if locale == "ru":
        refresh_through_cli(path)
    else:
        refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    return openpyxl.load_workbook(path)


def table(sheet: openpyxl.worksheet.worksheet.Worksheet, heading: str) -> tuple[str, list[str], list[list[object]]]:
    """The table under ``heading`` in column A: its one-line note, its header and its value rows."""
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    start = next(index for index, row in enumerate(cells) if row[0] == heading)
    end = next((index for index in range(start, len(cells)) if all(v is None for v in cells[index])), len(cells))
    note, header, *rows = cells[start + 1 : end]
    width = len([value for value in header if value is not None])
    return str(note[0]), [str(value) for value in header[:width]], [row[:width] for row in rows]


def headings(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[str]:
    return [str(row[0]) for row in sheet.iter_rows(max_col=1, values_only=True) if row[0] is not None]


# --- the independent computation -------------------------------------------------------------------------------


def independent_debts(path: Path, words: Words, today: dt.date = TODAY) -> pd.DataFrame:
    """One row per order not paid in full on ``today``, read off the saved file with pandas and settled here by
    the rule the README states: a Payment or Return naming one of its client's Order No. settles that order first
    (the rest goes to the client's money), one naming no order of the client settles nothing; the client's money
    settles its orders oldest first (by Date, then row); refunds beyond it make the newest paid orders unpaid
    again. Rows after today, undated ones and those of unknown clients are left out (no ``payments_from``).
    Columns: client, age (days since the order), left, overdue (the left of an order past the client's payment
    term, else 0)."""
    clients = pd.read_excel(path, sheet_name=words.clients, dtype=object, engine="openpyxl")
    clients = clients[clients[words.client_id].notna() & ~clients[words.client_id].duplicated(keep=False)]
    terms = pd.to_numeric(clients.set_index(words.client_id)[words.term], errors="coerce").fillna(TERM)
    log = pd.read_excel(path, sheet_name=words.log, dtype=object, engine="openpyxl")
    log["row"] = log.index + 2  # Excel's row: the header is row 1
    log["date"] = pd.to_datetime(log[words.date], errors="coerce")
    log["amount"] = pd.to_numeric(log[words.amount], errors="coerce")
    log["number"] = log[words.number].map(
        lambda value: " ".join(str(value).split()).casefold() if pd.notna(value) else ""
    )
    log = log[log["date"].notna() & log[words.client_id].isin(terms.index)]
    kind = log[words.type].astype(str).str.strip().str.casefold()
    every_order = log[kind == words.order.casefold()]
    log, kind = log[log["date"] <= pd.Timestamp(today)], kind[log["date"] <= pd.Timestamp(today)]
    orders = log[(kind == words.order.casefold()) & (log["amount"] > 0)].sort_values(["date", "row"])
    is_credit = kind.isin([words.payment.casefold(), words.refund.casefold()]) & log["amount"].notna()
    credits = log[is_credit].assign(money=log["amount"].where(kind == words.payment.casefold(), log["amount"].abs()))
    records = []
    for client, mine in orders.groupby(words.client_id):
        left = dict(zip(mine["row"], mine["amount"].astype(float)))
        numbers = set(every_order.loc[every_order[words.client_id] == client, "number"])
        pool = 0.0
        for credit in credits[credits[words.client_id] == client].itertuples():
            if credit.number and credit.money > 0 and credit.number not in numbers:
                continue  # names no order of the client: settles nothing
            money = float(credit.money)
            named = [
                row for row, number in zip(mine["row"], mine["number"]) if credit.number and number == credit.number
            ]
            for row in named if money > 0 else []:
                taken = min(money, left[row])
                left[row] -= taken
                money -= taken
            pool += money
        for row in mine["row"]:  # oldest first
            taken = min(max(pool, 0.0), left[row])
            left[row] -= taken
            pool -= taken
        for row, amount in zip(mine["row"][::-1], mine["amount"][::-1]):  # refunds beyond the money: newest first
            reopened = min(max(-pool, 0.0), amount - left[row])
            left[row] += reopened
            pool += reopened
        for order in mine.itertuples():
            age = (pd.Timestamp(today) - order.date).days
            if left[order.row] > 0.005:
                amount = round(left[order.row], 2)
                records.append((client, age, amount, amount if age > terms[client] else 0.0))
    return pd.DataFrame(records, columns=["client", "age", "left", "overdue"])


def age_group(age: int) -> int:
    return 0 if age <= 30 else 1 if age <= 60 else 2 if age <= 90 else 3


def expected_ageing(debts: pd.DataFrame, words: Words) -> list[list[object]]:
    """The rows of receivables by age the unpaid orders ``debts`` make, without the shares: age, orders,
    clients, owed, overdue."""
    groups = debts.assign(group=debts["age"].map(age_group)).groupby("group")
    expected: list[list[object]] = [
        [
            label,
            int(groups.size().get(group, 0)),
            int(groups["client"].nunique().get(group, 0)),
            float(groups["left"].sum().get(group, 0.0)),
            float(groups["overdue"].sum().get(group, 0.0)),
        ]
        for group, label in enumerate(words.ages[:-1])
    ]
    totals = [len(debts), debts["client"].nunique(), float(debts["left"].sum()), float(debts["overdue"].sum())]
    return [*expected, [words.ages[-1], *totals]]


def top_debtors(debts: pd.DataFrame) -> pd.DataFrame:
    """The ten clients who owe the most, the most first (equal debts by ClientID): client, left, overdue."""
    per_client = debts.groupby("client")[["left", "overdue"]].sum().reset_index()
    top: pd.DataFrame = per_client.sort_values(["left", "client"], ascending=[False, True]).head(10)
    return top


# --- receivables by age and top debtors ------------------------------------------------------------------------

# ClientID -> (manager, its orders: days ago and amount; what it paid, no Order No.). Each edge client owes a
# different sum, so the top debtors have one order.
AGEING: dict[str, tuple[int, list[tuple[int, float]], float]] = {
    "A00": (0, [(0, 1000.0)], 0.0),  # today: on time
    "A14": (0, [(14, 1100.0)], 0.0),  # the due day: still on time
    "A15": (0, [(15, 2000.0)], 500.0),  # partly paid, 1 day overdue
    "A30": (0, [(30, 1300.0)], 0.0),
    "A31": (0, [(31, 1400.0)], 0.0),
    "A60": (0, [(60, 1600.0)], 0.0),
    "A61": (1, [(61, 1700.0)], 0.0),
    "A90": (1, [(90, 1900.0)], 0.0),
    "A91": (1, [(91, 2100.0)], 0.0),
    "MIX": (0, [(95, 1000.0), (45, 1000.0), (10, 1000.0)], 1500.0),  # the oldest paid, the next half
    "PAID": (1, [(70, 4000.0)], 4000.0),  # paid exactly: owes nothing
    "AHEAD": (1, [(40, 1000.0)], 1700.0),  # paid ahead: 700 of credit
    "OWN": (1, [(25, 1500.0)], 0.0),  # a Payment term of 30 days of its own: on time
}


# Payments naming their order: NAMED's newer order is paid, its older one is not; BACK's refund beyond its credit
# makes the newest paid orders unpaid again: all of B2 (35 days) and 100 of B1 (70 days).
NUMBERED = [
    Row("NAMED", "order", 80, 1000.0, "N1"),
    Row("NAMED", "order", 40, 1500.0, "N2"),
    Row("NAMED", "payment", 30, 1500.0, "n2 "),  # matched ignoring case and spaces
    Row("BACK", "order", 70, 800.0, "B1"),
    Row("BACK", "order", 35, 900.0, "B2"),
    Row("BACK", "payment", 30, 800.0, "B1"),
    Row("BACK", "payment", 30, 900.0, "B2"),
    Row("BACK", "payment", 10, -1000.0),
]


def ageing_workbook(path: Path, locale: str) -> Path:
    rows = [
        Row(client_id, "order", ago, amount) for client_id, (_, orders, _) in AGEING.items() for ago, amount in orders
    ]
    rows += [Row(client_id, "payment", 5, paid) for client_id, (_, _, paid) in AGEING.items() if paid]
    rows.append(Row("A30", "order", 200, 999.0, manager=1))  # logged by the other manager, paid below
    rows.append(Row("A30", "payment", 199, 999.0, manager=1))
    rows += NUMBERED
    clients: dict[str, dict[str, object]] = {client_id: {"manager": who} for client_id, (who, _, _) in AGEING.items()}
    clients.update({"NAMED": {}, "BACK": {}})
    clients["OWN"]["payment_term"] = 30
    return workbook(path, locale, clients, rows)


@pytest.fixture(scope="module", params=["en", "ru"])
def ageing(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Words, Path, object]:
    locale = str(request.param)
    path = ageing_workbook(tmp_path_factory.mktemp("ageing") / f"ageing-{locale}.xlsx", locale)
    return WORDS[locale], path, refresh(path, locale)


def test_receivables_by_age_match_an_independent_oldest_first_settling(
    ageing: tuple[Words, Path, openpyxl.Workbook],
) -> None:
    words, path, book = ageing
    note, header, rows = table(book[words.dashboard], words.by_age)
    assert len(header) == 6 and note
    assert [row[0] for row in rows] == list(words.ages)

    expected = expected_ageing(independent_debts(path, words), words)
    assert [row[:5] for row in rows] == expected
    assert [row[5] for row in rows] == pytest.approx([row[3] / expected[-1][3] for row in expected])
    # The edges, spelled out: 30 days is the first age, 31 the second; 60/61 and 90/91 alike. MIX's half-paid
    # order of 45 days and its unpaid one of 10 count; its oldest, paid, does not. NAMED's N1 and BACK's B1 are
    # 61–90 days old, B2 31–60.
    assert [row[1] for row in rows] == [6, 4, 4, 1, 15]
    assert rows[0][3] == 1000 + 1100 + 1500 + 1300 + 1000 + 1500  # A00, A14, A15's rest, A30, MIX's newest, OWN
    assert rows[0][4] == 1500 + 1300  # A15 and A30 are overdue; A00, A14, MIX's newest and OWN are not


def test_top_debtors_are_the_ten_who_owe_most_with_their_overdue_and_oldest_unpaid_order(
    ageing: tuple[Words, Path, openpyxl.Workbook],
) -> None:
    words, path, book = ageing
    note, header, rows = table(book[words.dashboard], words.top)
    assert "10" in note and len(header) == 8
    top = top_debtors(independent_debts(path, words))
    assert [row[0] for row in rows] == top["client"].tolist()
    assert [(row[4], row[5]) for row in rows] == list(zip(top["left"], top["overdue"]))
    by_id = {row[0]: row for row in rows}
    company = "ООО «A91»" if words is WORDS["ru"] else "A91 Ltd"
    assert by_id["A91"][1:4] == [company, words.managers[1], "+7 916 123-45-67"]
    assert by_id["A91"][6] == dt.datetime.combine(day(91), dt.time())  # a date cell: unpaid since
    assert by_id["A91"][7] == 91 - TERM  # days overdue
    assert by_id["MIX"][6] == dt.datetime.combine(day(45), dt.time()) and by_id["MIX"][7] == 45 - TERM
    assert by_id["A15"][7] == 1
    dashboard = book[words.dashboard]
    owed_cell = next(cell for row in dashboard.iter_rows() for cell in row if cell.value == by_id["A91"][4])
    assert owed_cell.number_format == schema.NUMBER_FORMATS[schema.Kind.MONEY]
    date_cell = next(cell for row in dashboard.iter_rows() for cell in row if cell.value == by_id["A91"][6])
    assert date_cell.number_format == schema.NUMBER_FORMATS[schema.Kind.DATE]


DEMO_TODAY = dt.date(2026, 11, 23)


def demo_with_payments(path: Path) -> Path:
    """The Russian demo with payments typed after most of its orders, as a bookkeeper would: in full, half, more
    than the order or nothing, some naming the order's Order No. when it has one, days after the order."""
    words = WORDS["ru"]
    create_demo(path, clients=120, seed=1, locale="ru", today=DEMO_TODAY)
    book = openpyxl.load_workbook(path)
    sheet = book[words.log]
    header = [cell.value for cell in sheet[1]]
    at = {name: header.index(name) for name in (words.date, words.client_id, words.type, words.amount, words.number)}
    # The demo pays its orders of the last year itself; the payments below take their place, for every order of its
    # two years (so «Учёт оплат с» is blanked below).
    for number in range(sheet.max_row, 1, -1):
        if sheet.cell(number, at[words.type] + 1).value == words.payment:
            sheet.delete_rows(number)
    orders = [
        row
        for row in sheet.iter_rows(min_row=2, values_only=True)
        # Orders typed right: a number of money, a date (the demo plants a few mistakes, left alone).
        if row[at[words.type]] == words.order
        and isinstance(row[at[words.amount]], (int, float))
        and isinstance(row[at[words.date]], dt.datetime)
    ]
    for index, order in enumerate(orders):
        share = (1.0, 1.0, 1.0, 0.5, 0.0, None)[index % 6]  # None: 5,000 more than the order
        when = order[at[words.date]].date() + dt.timedelta(days=index % 20)
        if share == 0.0 or when > DEMO_TODAY:
            continue
        payment: list[object] = [None] * len(header)
        payment[at[words.date]] = when
        payment[at[words.client_id]] = order[at[words.client_id]]
        payment[at[words.type]] = words.payment
        payment[at[words.amount]] = order[at[words.amount]] + 5000 if share is None else order[at[words.amount]] * share
        payment[at[words.number]] = order[at[words.number]] if index % 2 else None
        sheet.append(payment)
    for name in list(sheet.tables):
        left, top, right, _ = range_boundaries(sheet.tables[name].ref)
        sheet.tables[name].ref = f"{sheet.cell(top, left).coordinate}:{sheet.cell(sheet.max_row, right).coordinate}"
    # The demo tracks payments from a year back; the payments above are for every order.
    settings = book[schema.SETTINGS.name("ru")]
    key, value = (schema.SETTINGS.column(name).name("ru") for name in ("key", "value"))
    names = [cell.value for cell in settings[1]]
    for row in settings.iter_rows(min_row=2):
        if row[names.index(key)].value == "payments_from":
            row[names.index(value)].value = None
    book.save(path)
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Russian demo with payments, refreshed."""
    path = demo_with_payments(tmp_path_factory.mktemp("demo") / "demo.xlsx")
    # The demo's own payments were deleted on purpose (see demo_with_payments).
    refresh_workbook(path, today=DEMO_TODAY, save=SaveOptions(keep_backups=0), accept_deletions=True)
    return path


def test_on_the_demo_receivables_by_age_and_top_debtors_match_the_independent_settling(demo: Path) -> None:
    words, path = WORDS["ru"], demo
    dashboard = openpyxl.load_workbook(path)[words.dashboard]
    debts = independent_debts(path, words, DEMO_TODAY)
    assert len(debts) > 20 and debts["age"].map(age_group).nunique() == 4  # every age has debts
    _, _, rows = table(dashboard, words.by_age)
    expected = expected_ageing(debts, words)
    assert [row[:3] for row in rows] == [row[:3] for row in expected]
    assert [row[3:5] for row in rows] == [pytest.approx(row[3:5]) for row in expected]
    _, _, debtors = table(dashboard, words.top)
    top = top_debtors(debts)
    assert [row[0] for row in debtors] == top["client"].tolist()
    assert [row[4:6] for row in debtors] == [pytest.approx(list(pair)) for pair in zip(top["left"], top["overdue"])]


def test_clients_who_paid_ahead_are_one_line_with_their_credit(ageing: tuple[Words, Path, openpyxl.Workbook]) -> None:
    words, _, book = ageing
    note, header, [line] = table(book[words.dashboard], words.ahead)
    assert line[1:] == [1, 700.0]  # AHEAD paid 1,700 for an order of 1,000; PAID's exact payment leaves nothing


def test_managers_sheet_shows_what_each_managers_clients_owe(ageing: tuple[Words, Path, openpyxl.Workbook]) -> None:
    words, path, book = ageing
    sheet = book[words.managers_sheet]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(row for row in cells if words.owed_by_clients in row)
    owed_at = header.index(words.owed_by_clients)
    assert header[owed_at + 1] == words.overdue
    below = cells[cells.index(header) + 1 :]
    rows = below[: next(index for index, row in enumerate(below) if row[0] is None)]
    shown = {row[0]: (row[owed_at], row[owed_at + 1]) for row in rows}
    assert set(shown) == set(words.managers)
    # By the client's Manager on Clients: A30's order logged by the other manager still counts for its own.
    debts = independent_debts(path, words)
    clients = pd.read_excel(path, sheet_name=words.clients, dtype=object, engine="openpyxl")
    managers = clients.set_index(words.client_id)[words.manager]
    sums = debts.assign(manager=debts["client"].map(managers)).groupby("manager")[["left", "overdue"]].sum()
    for manager in words.managers:
        assert shown[manager] == (sums.loc[manager, "left"], sums.loc[manager, "overdue"])


@pytest.mark.parametrize("ageing", ["ru"], indirect=True)
def test_russian_debt_reports_hold_no_english(ageing: tuple[Words, Path, openpyxl.Workbook]) -> None:
    words, _, book = ageing
    typed = {value for row in book[words.clients].iter_rows(values_only=True) for value in row}
    found = {
        f"{name}!{cell.coordinate}": english_left(cell.value)
        for name in (words.dashboard, words.managers_sheet, words.agenda)
        for row in book[name].iter_rows()
        for cell in row
        if cell.value not in typed and english_left(cell.value)
    }
    assert not found
    assert words.payment_overdue in str([cell.value for row in book[words.agenda].iter_rows() for cell in row])


# --- no payment recorded ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_a_workbook_without_payments_shows_how_to_start_and_no_debts(tmp_path: Path, locale: str) -> None:
    words = WORDS[locale]
    rows = [Row("C1", "order", 100, 5000.0), Row("C2", "order", 20, 3000.0)]
    path = workbook(tmp_path / "orders.xlsx", locale, {"C1": {}, "C2": {"manager": 1}}, rows)
    book = refresh(path, locale)

    dashboard = book[words.dashboard]
    assert words.by_age not in headings(dashboard) and words.top not in headings(dashboard)
    assert words.ahead not in headings(dashboard)
    cells = [list(row) for row in dashboard.iter_rows(values_only=True)]
    at = next(index for index, row in enumerate(cells) if row[0] == words.untracked)
    explained = str(cells[at + 2][0])
    assert f"«{words.payment}»" in explained or f"“{words.payment}”" in explained
    assert ("Учёт оплат с" if locale == "ru" else "Track payments from") in explained
    managers = [value for row in book[words.managers_sheet].iter_rows(values_only=True) for value in row]
    assert words.owed_by_clients not in managers
    agenda = str([value for row in book[words.agenda].iter_rows(values_only=True) for value in row])
    assert words.payment_overdue not in agenda
    clients = book[words.clients]
    column = next(cell.column for cell in clients[1] if cell.value == words.balance)
    assert [clients.cell(row, column).value for row in (2, 3)] == [None, None]


@pytest.mark.libreoffice
def test_the_dashboard_with_debts_prints_one_page_wide(demo: Path, tmp_path: Path) -> None:
    if PDFTOTEXT is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    words = WORDS["ru"]
    printed = page_texts(convert_with_libreoffice(demo, "pdf", tmp_path))
    # A page's header names its sheet on the first line.
    pages = [text for text in printed if text.strip() and text.strip().splitlines()[0].strip() == words.dashboard]
    assert len(pages) == 1  # as before the debt tables: the whole Dashboard on one page
    page = squeezed(pages[0])
    for heading in (words.by_age, words.top, words.ahead):
        assert squeezed(heading) in page
    # The widest debt table, its first and last column on the page; a debtor's manager on one line.
    assert all(squeezed(header) in page for header in ("ID клиента", "Дней просрочки", "Екатерина Лебедева"))
