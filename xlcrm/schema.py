"""The workbook schema: every sheet, column, setting and list value, in both languages.

This module is the single source of names. Other modules refer to sheets and
columns by their stable ``key`` (``"clients"``, ``"client_id"``) and ask this
module for the header text in the workbook's language, never the reverse.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache

from xlcrm.messages import LANGUAGES, Message, t

LOCALES = ("en", "ru")
DEFAULT_LOCALE = "en"
REPORT_MARKER = "▸ "


class Kind(str, Enum):
    """What a column holds; drives validation, formats and widths."""

    ID = "id"
    TEXT = "text"
    LONG_TEXT = "long_text"
    PHONE = "phone"
    EMAIL = "email"
    INN = "inn"
    DATE = "date"
    MONEY = "money"
    NUMBER = "number"
    BOOL = "bool"
    CHOICE = "choice"


NUMBER_FORMATS: dict[Kind, str] = {
    Kind.DATE: "DD.MM.YYYY",
    Kind.MONEY: "#,##0.00",
    Kind.NUMBER: "0",
    Kind.INN: "@",
    Kind.PHONE: "@",
    Kind.ID: "@",
}


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    ru: str
    kind: Kind = Kind.TEXT
    required: bool = False  # the column must exist on the sheet
    width: int = 14
    choices: str | None = None  # key of the list (in LISTS) that feeds its dropdown
    hint: Message | None = None  # one-line explanation for the "How to use" sheet
    # A sheet without it is complete, so its absence is not reported: a label only people read, or a column a later
    # version added whose absence means "none" or the defaults (workbooks made before it keep working without a word).
    optional: bool = False

    def name(self, locale: str) -> str:
        """The column's header in ``locale``."""
        return self.ru if locale == "ru" else self.en

    @property
    def number_format(self) -> str | None:
        """The Excel number format of the column's kind, or None for text."""
        return NUMBER_FORMATS.get(self.kind)


@dataclass(frozen=True)
class Sheet:
    key: str
    en: str
    ru: str
    columns: tuple[Column, ...] = ()
    required: bool = True  # missing sheet is an error (else a warning)
    report: bool = False
    # A sheet a later version added: a workbook without it is complete and its absence is not reported (it means
    # "none"); ``xlcrm init --upgrade`` adds it.
    optional: bool = False

    def name(self, locale: str) -> str:
        """The sheet's name in ``locale``, a report sheet's with the report marker."""
        base = self.ru if locale == "ru" else self.en
        return REPORT_MARKER + base if self.report else base

    def names(self) -> tuple[str, ...]:
        """The sheet's name in every language."""
        return tuple(self.name(loc) for loc in LOCALES)

    def column(self, key: str) -> Column:
        """The column with this key; KeyError when the sheet has none."""
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.key} has no column {key!r}")

    @property
    def table_name(self) -> str:
        """The English Excel table (ListObject) name: ASCII, no spaces (``Clients``, ``Interactions``)."""
        return "".join(part.capitalize() for part in self.key.split("_"))

    def table_name_in(self, locale: str) -> str:
        """The Excel table name in ``locale``, as the name box and formulas show it: ``Клиенты``, ``Мои_услуги``.

        Excel takes letters of any alphabet in a table name, but no spaces. xlcrm finds a table by its place on the
        sheet, never by its name, so a workbook's tables may carry either language's name, or the user's own.
        """
        return self.ru.replace(" ", "_") if locale == "ru" else self.table_name


# --- list values (dropdown contents) ----------------------------------------


@dataclass(frozen=True)
class ListValue:
    """A value of a built-in list that the engine understands, in both languages."""

    key: str
    en: str
    ru: str

    def name(self, locale: str) -> str:
        """The value as shown in ``locale``."""
        return self.ru if locale == "ru" else self.en

    def spellings(self) -> tuple[str, str]:
        """The value's English and Russian spellings."""
        return (self.en, self.ru)


# Interaction types. ORDER and AGREEMENT drive the lifecycle blocks.
CALL_IN = ListValue("call_in", "Call in", "Входящий звонок")
CALL_OUT = ListValue("call_out", "Call out", "Исходящий звонок")
MEETING = ListValue("meeting", "Meeting", "Встреча")
LETTER = ListValue("letter", "Letter", "Письмо")
MESSAGE = ListValue("message", "Message", "Сообщение")
AGREEMENT = ListValue("agreement", "Agreement", "Договорённость")
ORDER = ListValue("order", "Order", "Заказ")
# Goods or money given back: its amount lowers revenue, whether typed below zero or not; it is not an order.
RETURN = ListValue("return", "Return", "Возврат")
# Money received from the client (below zero: money paid back, a refund). It settles orders (see
# xlcrm/lifecycle/payments.py); it is never revenue and never an order, so blocks do not move with payments.
PAYMENT = ListValue("payment", "Payment", "Оплата")
INTERACTION_TYPES = (CALL_IN, CALL_OUT, MEETING, LETTER, MESSAGE, AGREEMENT, ORDER, RETURN, PAYMENT)
# Types whose Amount counts in revenue: an order adds it, a return subtracts it (whichever sign it was typed with).
REVENUE_TYPES = (ORDER, RETURN)
# Types whose Amount may be below zero.
NEGATIVE_AMOUNT_TYPES = (RETURN, PAYMENT)
# Rows of bookkeeping, not a contact with the client: a payment recorded from the bank statement does not make a
# client less silent, close a planned contact or count as a manager's touch.
NON_CONTACT_TYPES = (PAYMENT,)

# Designations set by hand on Clients. Blank means "ordinary client".
VIP = ListValue("vip", "VIP", "VIP")
KEY_ACCOUNT = ListValue("key", "Key", "Ключевой")
LOST = ListValue("lost", "Lost", "Потерян")
DESIGNATIONS = (VIP, KEY_ACCOUNT, LOST)

# Why a client was marked Lost: the starting list of the Reason lost dropdown, which the owner edits on Settings.
DEFAULT_LOST_REASONS = (
    ListValue("competitor", "Went to a competitor", "Ушёл к конкуренту"),
    ListValue("price", "Price did not suit", "Не устроила цена"),
    ListValue("quality", "Quality did not suit", "Не устроило качество"),
    ListValue("closed", "Closed the business", "Закрыл бизнес"),
    ListValue("no_need", "No longer needs it", "Больше не нужно"),
    ListValue("our_choice", "We stopped working with them", "Мы прекратили работу"),
    ListValue("other", "Other", "Другое"),
)


# The status of a contract on the Contracts sheet. Only an Active contract counts (its end on the agenda, the
# Clients columns of active contracts); a blank status counts as Active.
CONTRACT_DRAFT = ListValue("draft", "Draft", "Проект")
CONTRACT_ACTIVE = ListValue("active", "Active", "Действует")
CONTRACT_CLOSED = ListValue("closed", "Closed", "Закрыт")
CONTRACT_STATUSES = (CONTRACT_DRAFT, CONTRACT_ACTIVE, CONTRACT_CLOSED)


@dataclass(frozen=True)
class Holiday:
    """A day the business greets its clients on: its names, day and month, and the blocks it applies to.

    ``blocks`` holds block numbers; empty means every block but Dead.
    """

    en: str
    ru: str
    day: int
    month: int
    blocks: tuple[int, ...] = ()

    def name(self, locale: str) -> str:
        """The holiday's name in ``locale``."""
        return self.ru if locale == "ru" else self.en


# The holidays a Russian small business greets its clients on; the owner adds others (a professional day) on Settings.
DEFAULT_HOLIDAYS = (
    Holiday("New Year", "Новый год", 1, 1),
    Holiday("Defender of the Fatherland Day", "23 Февраля", 23, 2),
    Holiday("International Women's Day", "8 Марта", 8, 3),
)

YES = ListValue("yes", "Yes", "Да")
NO = ListValue("no", "No", "Нет")

DEFAULT_SOURCES = (
    ListValue("referral", "Referral", "Рекомендация"),
    ListValue("website", "Website", "Сайт"),
    ListValue("advert", "Advert", "Реклама"),
    ListValue("cold_call", "Cold call", "Холодный звонок"),
    ListValue("exhibition", "Exhibition", "Выставка"),
    ListValue("social", "Social media", "Соцсети"),
)


def match_list_value(text: object, values: Iterable[ListValue]) -> ListValue | None:
    """The built-in value whose English or Russian spelling equals ``text`` (case, spaces and ё ignored)."""
    wanted = fold(text)
    if not wanted:
        return None
    for value in values:
        if wanted in (fold(value.en), fold(value.ru)):
            return value
    return None


# --- user sheets --------------------------------------------------------------

C = Column

CLIENTS = Sheet(
    "clients",
    "Clients",
    "Клиенты",
    (
        C(
            "client_id",
            "ClientID",
            "ID клиента",
            Kind.ID,
            required=True,
            width=11,
            hint=t(
                "Leave it blank for a new client: refresh, dedupe and import give it the next free ID. Never give two "
                "clients one ID: xlcrm then counts neither."
            ),
        ),
        C("name", "Name", "Контактное лицо", Kind.TEXT, required=True, width=26),
        C("company", "Company", "Компания", Kind.TEXT, required=True, width=28),
        C("inn", "INN", "ИНН", Kind.INN, width=14),
        C("phone", "Phone", "Телефон", Kind.PHONE, required=True, width=18),
        C("email", "Email", "Email", Kind.EMAIL, width=26),
        C("city", "City", "Город", Kind.TEXT, width=16),
        C("address", "Address", "Адрес", Kind.LONG_TEXT, width=30),
        C("birthday", "Birthday", "День рождения", Kind.DATE, width=13),
        C("source", "Source", "Источник", Kind.CHOICE, width=16, choices="sources"),
        C("manager", "Manager", "Менеджер", Kind.CHOICE, required=True, width=16, choices="managers"),
        C(
            "designation",
            "Designation",
            "Статус",
            Kind.CHOICE,
            required=True,
            width=13,
            choices="designations",
            hint=t("Blank, VIP, Key or Lost."),
        ),
        C(
            "lost_reason",
            "Reason lost",
            "Причина ухода",
            Kind.CHOICE,
            width=22,
            choices="lost_reasons",
            optional=True,
            hint=t("Why a Lost client left; the list is on Settings."),
        ),
        C("rating", "Rating", "Рейтинг", Kind.NUMBER, width=9),
        C(
            "consent_date",
            "Consent date",
            "Дата согласия",
            Kind.DATE,
            width=13,
            hint=t("When the client agreed to the processing of personal data."),
        ),
        C("comment", "Comment", "Комментарий", Kind.LONG_TEXT, width=34),
        C("created", "Created", "Создан", Kind.DATE, width=12),
        C(
            "discount",
            "Discount, %",
            "Скидка, %",
            Kind.NUMBER,
            width=10,
            optional=True,
            hint=t("The client's standing discount in per cent, 0 to 100; blank for none."),
        ),
        C(
            "card_number",
            "Card number",
            "Номер карты",
            Kind.ID,
            width=16,
            optional=True,
            hint=t(
                "The number of the client's loyalty or discount card, kept as text; Settings may say how many digits "
                "it has."
            ),
        ),
        C(
            "payment_term",
            "Payment term, days",
            "Срок оплаты, дней",
            Kind.NUMBER,
            width=11,
            optional=True,
            hint=t(
                "Days this client has to pay for an order; blank: the payment term of Settings. 0: pays on the day "
                "of the order."
            ),
        ),
    ),
)

CONTACTS = Sheet(
    "contacts",
    "Contacts",
    "Контакты",
    (
        C("client_id", "ClientID", "ID клиента", Kind.ID, required=True, width=11),
        C("name", "Name", "ФИО", Kind.TEXT, required=True, width=26),
        C("role", "Role", "Должность", Kind.TEXT, width=20),
        C("phone", "Phone", "Телефон", Kind.PHONE, width=18),
        C("email", "Email", "Email", Kind.EMAIL, width=26),
        C("birthday", "Birthday", "День рождения", Kind.DATE, width=13),
        C("decision_maker", "Decision maker", "ЛПР", Kind.BOOL, width=10, choices="yes_no"),
    ),
    required=False,
)

SERVICES = Sheet(
    "services",
    "My Services",
    "Мои услуги",
    (
        C("service_id", "ServiceID", "ID услуги", Kind.ID, width=11),
        C("service", "Service", "Услуга", Kind.TEXT, required=True, width=30),
        C("price", "Price", "Цена", Kind.MONEY, width=12),
        C("unit", "Unit", "Ед. изм.", Kind.TEXT, width=10),
        C("active", "Active", "Активна", Kind.BOOL, width=9, choices="yes_no"),
        C("description", "Description", "Описание", Kind.LONG_TEXT, width=40),
    ),
    required=False,
)

INTERACTIONS = Sheet(
    "interactions",
    "Interactions",
    "Взаимодействия",
    (
        C("date", "Date", "Дата", Kind.DATE, required=True, width=12),
        C("client_id", "ClientID", "ID клиента", Kind.ID, required=True, width=11),
        C("type", "Type", "Тип", Kind.CHOICE, required=True, width=18, choices="interaction_types"),
        C("service", "Service", "Услуга", Kind.CHOICE, width=26, choices="services"),
        C("amount", "Amount", "Сумма", Kind.MONEY, width=13),
        C("manager", "Manager", "Менеджер", Kind.CHOICE, width=16, choices="managers"),
        C("result", "Result", "Результат", Kind.TEXT, width=24),
        C("comment", "Comment", "Комментарий", Kind.LONG_TEXT, width=34),
        C("next_action", "Next action", "Следующее действие", Kind.TEXT, width=24),
        C("next_date", "Next date", "Дата след. действия", Kind.DATE, width=13),
        C(
            "order_number",
            "Order No.",
            "№ заказа",
            Kind.ID,
            width=11,
            optional=True,
            hint=t(
                "On an order: its number, if orders are numbered. On a payment or a return: the number of the order "
                "it is for; blank: it settles the client's oldest unpaid orders first."
            ),
        ),
    ),
)


# Contracts with clients: a contract, or an annex that points at its contract by Parent contract.
CONTRACTS = Sheet(
    "contracts",
    "Contracts",
    "Договоры",
    (
        C(
            "contract_id",
            "ContractID",
            "ID договора",
            Kind.ID,
            required=True,
            width=12,
            hint=t("Any text unique on the sheet, for example D-001; an annex names it in Parent contract."),
        ),
        C("client_id", "ClientID", "ID клиента", Kind.ID, required=True, width=11),
        C(
            "number",
            "Number",
            "Номер",
            Kind.TEXT,
            width=14,
            hint=t("The number written on the contract or annex, as the client knows it."),
        ),
        C("date", "Date", "Дата", Kind.DATE, width=12, hint=t("The day the contract or annex was signed.")),
        C(
            "subject",
            "Subject",
            "Предмет",
            Kind.TEXT,
            width=30,
            hint=t(
                "What the contract covers, in the same words for every contract on it: two Active contracts of a "
                "client on one subject whose terms overlap are listed on ▸ Problems."
            ),
        ),
        C("amount", "Amount", "Сумма", Kind.MONEY, width=13),
        C(
            "valid_from",
            "Valid from",
            "Действует с",
            Kind.DATE,
            width=13,
            hint=t("The first day of the term; when blank, the term begins on the Date."),
        ),
        C(
            "valid_until",
            "Valid until",
            "Действует до",
            Kind.DATE,
            width=13,
            hint=t("The last day of the term; the agenda reminds the manager before it."),
        ),
        C(
            "parent_id",
            "Parent contract",
            "Основной договор",
            Kind.ID,
            width=14,
            hint=t("For an annex: the ContractID of its contract. Blank for a contract."),
        ),
        C(
            "status",
            "Status",
            "Статус",
            Kind.CHOICE,
            width=12,
            choices="contract_statuses",
            hint=t("Draft, Active or Closed. Only Active contracts count; blank counts as Active."),
        ),
        C("comment", "Comment", "Комментарий", Kind.LONG_TEXT, width=34),
    ),
    required=False,
    optional=True,
)


@dataclass(frozen=True)
class FormulaColumn:
    """A column the template fills by a formula over the column it follows; xlcrm never reads it as input.

    Reading a sheet passes such a column by like a user's own column, so a
    workbook without it is complete and a value typed over the formula
    changes nothing xlcrm computes.
    """

    column: Column
    after: str  # key of the input column it is placed right of


# The client's company (its name when there is no company) next to the ClientID typed on Interactions.
CLIENT_NAME = FormulaColumn(
    C(
        "client_name",
        "Client",
        "Клиент",
        Kind.TEXT,
        width=28,
        hint=t(
            "Filled by a formula from ClientID: the client's company, or its contact person when there is no company; "
            "? when no client has that ID. Do not type here."
        ),
    ),
    after="client_id",
)
FORMULA_COLUMNS: dict[str, tuple[FormulaColumn, ...]] = {INTERACTIONS.key: (CLIENT_NAME,)}


def template_columns(sheet: Sheet) -> tuple[Column, ...]:
    """The columns of a sheet as the template lays them out: its input columns, each formula column after its own."""
    formulas = FORMULA_COLUMNS.get(sheet.key, ())
    laid_out: list[Column] = []
    for column in sheet.columns:
        laid_out.append(column)
        laid_out.extend(formula.column for formula in formulas if formula.after == column.key)
    return tuple(laid_out)


def is_formula_column(sheet: Sheet, column: Column) -> bool:
    """Whether the template fills this column of the sheet by formula."""
    return any(formula.column is column for formula in FORMULA_COLUMNS.get(sheet.key, ()))


SETTINGS = Sheet(
    "settings",
    "Settings",
    "Настройки",
    (
        C("key", "Key", "Ключ", Kind.TEXT, required=True, width=22),
        C("label", "Setting", "Настройка", Kind.TEXT, width=30, optional=True),
        C("value", "Value", "Значение", Kind.TEXT, required=True, width=12),
        C("description", "Description", "Описание", Kind.LONG_TEXT, width=64),
        C("managers", "Managers", "Менеджеры", Kind.TEXT, width=18),
        C("interaction_types", "Interaction types", "Типы взаимодействий", Kind.TEXT, width=20),
        C("sources", "Sources", "Источники", Kind.TEXT, width=18),
        C("designations", "Designations", "Статусы", Kind.TEXT, width=14),
        C("lost_reasons", "Reasons lost", "Причины ухода", Kind.TEXT, width=24, optional=True),
        # The holidays the agenda greets clients on: one per row, its date as day and month, and the blocks it is
        # for (numbers or names, comma-separated; blank: every block but Dead). The date is a day and month, kept as
        # text (23.02) or typed as a date; read_holidays reads both and reports what it cannot.
        C("holiday", "Holiday", "Праздник", Kind.TEXT, width=24, optional=True),
        C("holiday_date", "Holiday date", "Дата праздника", Kind.TEXT, width=14, optional=True),
        C("holiday_blocks", "Holiday for blocks", "Для блоков", Kind.TEXT, width=16, optional=True),
        # Named segments of clients for mailings and the Segments report: a name, and a filter in xlcrm's segment
        # language (``block in (Regular, Partner) and city = Казань and consent``), one per row.
        C("segment", "Segment", "Сегмент", Kind.TEXT, width=20, optional=True),
        C("segment_filter", "Segment filter", "Условие сегмента", Kind.TEXT, width=44, optional=True),
    ),
    required=False,
)

HOW_TO = Sheet("how_to", "How to use", "Как пользоваться", required=False)

USER_SHEETS = (CLIENTS, CONTACTS, SERVICES, INTERACTIONS, CONTRACTS, SETTINGS)
# User sheets whose rows belong to a client by their ClientID: merging clients re-points them, restoring a client
# brings them back with it, erasing one clears their free text, a new client never takes an ID they name.
CLIENT_POINTING_SHEETS = (CONTACTS, INTERACTIONS, CONTRACTS)
ALL_TEMPLATE_SHEETS = USER_SHEETS + (HOW_TO,)

# Report sheets are owned by xlcrm and rewritten on every refresh.
PROBLEMS = Sheet("problems", "Problems", "Проблемы", report=True, required=False)
DASHBOARD = Sheet("dashboard", "Dashboard", "Сводка", report=True, required=False)
AGENDA = Sheet("agenda", "Agenda", "Повестка", report=True, required=False)
MANAGERS_REPORT = Sheet("managers_report", "Managers", "Менеджеры", report=True, required=False)
SERVICES_REPORT = Sheet("services_report", "Services", "Услуги", report=True, required=False)
ABC = Sheet("abc", "ABC", "ABC-анализ", report=True, required=False)
# Each client's block at the last refreshes and the block counts of every refresh: read back by the next refresh.
BLOCK_HISTORY = Sheet("block_history", "Block history", "История блоков", report=True, required=False)
# What changed on the user sheets since xlcrm last saved the workbook: rows added, changed and deleted.
CHANGES = Sheet("changes", "Changes", "Изменения", report=True, required=False)
# The owner's figures: average check and purchase frequency, revenue and conversion per source and cohort, cities.
ANALYTICS = Sheet("analytics", "Analytics", "Аналитика", report=True, required=False)
# Each named segment of Settings: its size and revenue.
SEGMENTS = Sheet("segments", "Segments", "Сегменты", report=True, required=False)
REFRESH_REPORTS = (
    DASHBOARD,
    ANALYTICS,
    AGENDA,
    MANAGERS_REPORT,
    SERVICES_REPORT,
    ABC,
    SEGMENTS,
    PROBLEMS,
    BLOCK_HISTORY,
    CHANGES,
)
REPORT_SHEETS = REFRESH_REPORTS
# Report sheets of `xlcrm dedupe`; both are read back by the next run (decisions, and merges to undo).
DUPLICATES = Sheet("duplicates", "Duplicates", "Дубли", report=True, required=False)
MERGE_LOG = Sheet("merge_log", "Merge log", "Журнал объединений", report=True, required=False)
DEDUPE_REPORTS = (DUPLICATES, MERGE_LOG)
# Every erasure of a person's data by `xlcrm forget`: ClientID, date, reason, and no personal data. Kept and added to
# by each forget; no other command rewrites it.
ERASURE_LOG = Sheet("erasure_log", "Erasure log", "Журнал удалений", report=True, required=False)
# Report sheets whose cells the next run reads back (read_workbook keeps their raw rows).
READ_BACK_REPORTS = (BLOCK_HISTORY, DUPLICATES, MERGE_LOG, ERASURE_LOG)
# User sheets whose every cell read_workbook keeps as read (the Merge log copies Clients rows exactly), unless asked
# for values only (rows_as_read=False, the saved copy a comparison reads).
RAW_ROW_SHEETS = (CLIENTS,)


# --- lifecycle blocks -------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A lifecycle block: its number (1 Dead … 8 Key account) and names."""

    number: int
    key: str
    en: str
    ru: str

    def name(self, locale: str) -> str:
        """The block's name in ``locale``."""
        return self.ru if locale == "ru" else self.en

    def label(self, locale: str) -> str:
        """``5 Regular``: the number keeps blocks in order wherever people sort them as text."""
        return f"{self.number} {self.name(locale)}"


DEAD = Block(1, "dead", "Dead", "Мёртвые")
POTENTIAL = Block(2, "potential", "Potential", "Потенциальные")
ACTIVE = Block(3, "active", "Active", "Активные")
WORKING = Block(4, "working", "Working", "Рабочие")
REGULAR = Block(5, "regular", "Regular", "Постоянные")
PARTNER = Block(6, "partner", "Partner", "Партнёры")
VIP_BLOCK = Block(7, "vip", "VIP", "VIP")
KEY_BLOCK = Block(8, "key", "Key account", "Ключевые")
BLOCKS = (DEAD, POTENTIAL, ACTIVE, WORKING, REGULAR, PARTNER, VIP_BLOCK, KEY_BLOCK)  # by number


def block(number: int) -> Block:
    """The block with this number (1 to 6)."""
    return BLOCKS[number - 1]


def match_block(text: object) -> Block | None:
    """The block a cell names: its number, its name in either language, or ``5 Regular``."""
    wanted = fold(text)
    if not wanted:
        return None
    head, _, rest = wanted.partition(" ")
    number = head.split(".")[0]
    if number.isdecimal() and 1 <= int(number) <= len(BLOCKS):
        return BLOCKS[int(number) - 1]
    for item in BLOCKS:
        if wanted in (fold(item.en), fold(item.ru)):
            return item
    return None


# Columns xlcrm writes on Clients after each refresh, right of the user's columns; their headers are
# styled as computed so nobody types into them.
CLIENT_COMPUTED_COLUMNS = (
    C("block", "Block", "Блок", Kind.TEXT, width=16),
    C("orders", "Orders", "Заказов", Kind.NUMBER, width=9),
    C("revenue", "Revenue", "Выручка", Kind.MONEY, width=13),
    C("first_order", "First order", "Первый заказ", Kind.DATE, width=13),
    C("last_order", "Last order", "Последний заказ", Kind.DATE, width=13),
    C("last_contact", "Last contact", "Последний контакт", Kind.DATE, width=13),
    C("next_contact", "Next contact", "Следующий контакт", Kind.DATE, width=13),
    # Contracts in force today (blank for none) and the nearest end of their terms: see xlcrm/lifecycle/contracts.py.
    C("active_contracts", "Active contracts", "Действующих договоров", Kind.NUMBER, width=12),
    C("contract_ends", "Contract ends", "Договор до", Kind.DATE, width=13),
    # What the client owes (below zero: money paid ahead, a credit) and the date of the oldest order not paid in
    # full; blank when the workbook records no payments: see xlcrm/lifecycle/payments.py.
    C("balance", "Balance", "Баланс", Kind.MONEY, width=13),
    C("unpaid_since", "Unpaid since", "Не оплачено с", Kind.DATE, width=13),
)


@dataclass(frozen=True)
class Setting:
    """A key of the Settings sheet: its default, and its description and human label as catalogue messages."""

    key: str
    # A ListValue (Yes / No) is written and read in either language; None is a date setting, blank by default.
    default: int | str | ListValue | None
    about: Message
    title: Message

    def default_in(self, locale: str) -> int | str | None:
        """The default as the Settings sheet of a ``locale`` workbook shows it (None, a blank, for a date setting)."""
        if self.default is None:
            return None
        return self.default.name(locale) if isinstance(self.default, ListValue) else self.default

    @property
    def number(self) -> int:
        """The default of a numeric setting; a TypeError for any other."""
        if not isinstance(self.default, int):
            raise TypeError(f"{self.key} is not a numeric setting")
        return self.default

    def description(self, locale: str) -> str:
        """The setting's description in ``locale``."""
        return self.about.render(locale)

    def label(self, locale: str) -> str:
        """The setting's name for people in ``locale``, shown next to its key."""
        return self.title.render(locale)

    def spellings(self) -> tuple[str, ...]:
        """Every text that names the setting on the sheet: its key (also with spaces) and its labels."""
        return _setting_spellings(self.key, self.title)


def _setting_spellings(key: str, title: Message) -> tuple[str, ...]:
    return (key, key.replace("_", " "), *_spellings(title))


@dataclass(frozen=True)
class RetiredSetting:
    """A Settings key an earlier version read and this one does not. Its row is recognised (not taken for an unknown
    setting) and its value is not used: ``replaced_by`` reads another scale. ``xlcrm init --upgrade`` puts
    ``replaced_by`` in its row."""

    key: str
    default: int  # the value the template wrote; any other was the owner's choice
    title: Message
    replaced_by: str  # the key of the setting that takes its row

    def label(self, locale: str) -> str:
        """The setting's name for people in ``locale``, as the template wrote it next to its key."""
        return self.title.render(locale)

    def spellings(self) -> tuple[str, ...]:
        """Every text that names the setting on the sheet: its key (also with spaces) and its labels."""
        return _setting_spellings(self.key, self.title)


SETTINGS_KEYS = (
    Setting(
        "partner_orders",
        10,
        t("Orders from which a client is a Partner (block 6)."),
        t("Orders to become a Partner"),
    ),
    Setting(
        "regular_orders",
        3,
        t("Orders from which a client is Regular (block 5)."),
        t("Orders to become Regular"),
    ),
    Setting(
        "dead_after_days",
        365,
        t(
            "Days without contact after which a former client (one order or more) is Dead (block 1), worth reviving. "
            "A prospect who never ordered stays Potential."
        ),
        t("Days of silence before Dead"),
    ),
    Setting(
        "phone_region",
        "RU",
        t("Country used for phone numbers typed without a + prefix (ISO code)."),
        t("Country of phone numbers"),
    ),
    Setting(
        "birthday_days",
        14,
        t("How many days ahead the agenda lists birthdays, holidays and planned contacts."),
        t("Birthdays ahead, days"),
    ),
    Setting(
        "plan_early_days",
        3,
        t("A contact this many days before a planned date still closes the plan."),
        t("Plan closed early by, days"),
    ),
    Setting(
        "first_contact_days",
        3,
        t("Days after a Potential client is created by which the first contact is due."),
        t("First contact within, days"),
    ),
    Setting(
        "active_silent_days",
        14,
        t("Days an Active client (an agreement, no order) may be silent before the agenda asks for the first order."),
        t("Active: first order after, days"),
    ),
    Setting(
        "working_silent_days",
        30,
        t(
            "Days after the last contact with a Working client (one or two orders) before the agenda asks for the "
            "second order."
        ),
        t("Working: second order after, days"),
    ),
    Setting(
        "review_days",
        60,
        t("Days a VIP or Key client may go without contact before the agenda asks for a review."),
        t("VIP and Key: review after, days"),
    ),
    Setting(
        "lost_order_days",
        60,
        t("A Lost client who ordered within this many days goes on the agenda to check the status."),
        t("Lost but ordered: check within, days"),
    ),
    Setting(
        "reactivations_per_week",
        5,
        t("Dead clients worth reviving that the agenda gives each manager per week, in turn."),
        t("Reactivations per week"),
    ),
    Setting(
        "stale_after_days",
        60,
        t("Days past due after which an agenda item moves to the stale part."),
        t("Stale after, days"),
    ),
    Setting(
        "agenda_limit",
        25,
        t("Items per manager on the Agenda sheet; the rest are counted, not listed."),
        t("Agenda items per manager"),
    ),
    Setting(
        "contract_end_days",
        30,
        t("Days before an Active contract ends from which the agenda reminds its client's manager."),
        t("Contract ends: remind, days ahead"),
    ),
    Setting(
        "payment_term_days",
        14,
        t(
            "Days a client has to pay for an order, unless the client's Payment term says otherwise; an order not "
            "paid by then is on the agenda as overdue. 0: payment is due on the day of the order."
        ),
        t("Payment term, days"),
    ),
    Setting(
        "payments_from",
        None,
        t(
            "The day from which orders wait for a Payment: orders, payments and returns dated before it count as "
            "settled. Blank: every order counts. Debts are tracked only in a workbook that has a Payment row."
        ),
        t("Track payments from"),
    ),
    Setting(
        "card_digits",
        0,
        t(
            "How many digits a Card number has; a card number of other digits or with letters is listed on ▸ Problems. "
            "0: not checked."
        ),
        t("Digits in a card number"),
    ),
    Setting(
        "consent_required",
        YES,
        t(
            "Yes: a client who is a person (a name and no company, or a sole trader, ИП) needs a Consent date; "
            "validate warns without one, the agenda asks to collect it and mailing lists leave the client out. No: "
            "consent is not checked."
        ),
        t("Consent required"),
    ),
    Setting(
        "deletion_stop_percent",
        5,
        t(
            "Refresh stops before saving when more than this share of Clients rows (in per cent), or any Interactions "
            "row, disappeared since xlcrm last saved the workbook; restore them or run refresh with "
            "--accept-deletions. 0: any deleted Clients row stops it."
        ),
        t("Stop when deleted clients exceed, %"),
    ),
    Setting(
        "dedupe_auto_probability",
        99,
        t(
            "Match probability (1-100 %) from which two clients are merged without asking. Without an INN, phone, "
            "email or card number in common it also takes two more things agreeing besides the name (birthday, city "
            "or address, company) and nothing disagreeing."
        ),
        t("Merge duplicates from probability, %"),
    ),
    Setting(
        "dedupe_review_probability",
        50,
        t("Match probability (1-100 %) from which a pair goes to the Duplicates sheet for review."),
        t("Review duplicates from probability, %"),
    ),
    Setting(
        "dedupe_review_limit",
        500,
        t("How many pairs the Duplicates sheet lists at most, the likeliest first; the rest wait for the next run."),
        t("Duplicate pairs to review at most"),
    ),
)

# Settings of duplicate points, before duplicates were judged by their match probability: a score of 80 points is no
# probability of 80 %.
RETIRED_SETTINGS = (
    RetiredSetting("dedupe_auto_score", 80, t("Merge duplicates from score"), "dedupe_auto_probability"),
    RetiredSetting("dedupe_review_score", 50, t("Review duplicates from score"), "dedupe_review_probability"),
)

# The longest payment term read, in days (ten years): a longer one is a typing slip, and its due dates would fall
# beyond the dates a workbook holds.
MAX_PAYMENT_TERM_DAYS = 3650
# The most days any Setting of days may hold (``dead_after_days``, ``review_days`` …), for the same reason.
MAX_SETTING_DAYS = MAX_PAYMENT_TERM_DAYS

# Lists that feed dropdowns: Settings column key -> built-in defaults.
SETTINGS_LISTS: dict[str, tuple[ListValue, ...]] = {
    "interaction_types": INTERACTION_TYPES,
    "sources": DEFAULT_SOURCES,
    "designations": DESIGNATIONS,
    "lost_reasons": DEFAULT_LOST_REASONS,
}
# A brand-new template needs someone to pick from; the owner replaces these.
DEFAULT_MANAGERS = {"en": ("Manager 1", "Manager 2"), "ru": ("Менеджер 1", "Менеджер 2")}


def setting(key: str) -> Setting:
    """The setting with this key; KeyError when there is none."""
    for item in SETTINGS_KEYS:
        if item.key == key:
            return item
    raise KeyError(key)


# --- lookup helpers -------------------------------------------------------------


def fold(text: object) -> str:
    """Case-, space- and ё-insensitive form used to match headers, sheet names and list values."""
    if text is None:
        return ""
    return " ".join(str(text).split()).casefold().replace("ё", "е")


def sheet_by_key(key: str) -> Sheet:
    """The sheet (template or report) with this key; KeyError when there is none."""
    for sheet in ALL_TEMPLATE_SHEETS + REPORT_SHEETS:
        if sheet.key == key:
            return sheet
    raise KeyError(key)


def find_sheet_name(spec: Sheet, names: Iterable[str]) -> str | None:
    """The actual sheet name in a workbook that stands for ``spec``, in either language."""
    wanted = {fold(n) for n in spec.names()}
    for name in names:
        if fold(name) in wanted:
            return name
    return None


def match_column(spec: Sheet, header: object) -> Column | None:
    """The schema column a header cell stands for, in either language, or None for a user's own column."""
    wanted = fold(header)
    if not wanted:
        return None
    for col in spec.columns:
        if wanted in (fold(col.en), fold(col.ru)):
            return col
    return None


def detect_locale(sheet_names: Iterable[str]) -> str:
    """Russian when the main sheets carry Russian names, else English."""
    folded = {fold(n) for n in sheet_names}
    ru_hits = sum(fold(s.ru) in folded for s in USER_SHEETS)
    en_hits = sum(fold(s.en) in folded for s in USER_SHEETS)
    return "ru" if ru_hits > en_hits else "en"


def list_columns(sheet: Sheet) -> tuple[Column, ...]:
    """Columns whose values come from a dropdown list."""
    return tuple(c for c in sheet.columns if c.choices)


@dataclass(frozen=True)
class ListSource:
    """Where a dropdown list lives in the workbook: a Settings column or a user sheet column."""

    sheet: Sheet
    column: Column


LIST_SOURCES: dict[str, ListSource] = {
    "managers": ListSource(SETTINGS, SETTINGS.column("managers")),
    "interaction_types": ListSource(SETTINGS, SETTINGS.column("interaction_types")),
    "sources": ListSource(SETTINGS, SETTINGS.column("sources")),
    "designations": ListSource(SETTINGS, SETTINGS.column("designations")),
    "lost_reasons": ListSource(SETTINGS, SETTINGS.column("lost_reasons")),
    "services": ListSource(SERVICES, SERVICES.column("service")),
}

# Yes/No has no column of its own: it is a fixed two-value list.
FIXED_LISTS: dict[str, tuple[ListValue, ...]] = {"yes_no": (YES, NO), "contract_statuses": CONTRACT_STATUSES}

# Defined names used by list validations, so the dropdowns follow a list that grows.
LIST_DEFINED_NAMES: dict[str, str] = {key: f"xlcrm_{key}" for key in LIST_SOURCES}
# Defined name over the ClientIDs of Clients, behind the ClientID dropdowns of the sheets that refer to clients.
CLIENT_IDS_NAME = "xlcrm_client_ids"
# Defined name over the ContractIDs of Contracts, behind the Parent contract dropdown of an annex.
CONTRACT_IDS_NAME = "xlcrm_contract_ids"
# Defined names over whole Clients columns, read by the Client formula of Interactions: the formula names no sheet
# (and holds no Cyrillic), so the check of formulas that refer to Clients, before a merge deletes client rows,
# passes its hundred thousand copies by.
CLIENT_LOOKUP_NAMES: dict[str, str] = {key: f"xlcrm_clients_{key}" for key in ("client_id", "name", "company")}

# Titles and texts of the template's entry checks: the message shown on entering a cell and the one shown when a
# typed value is refused. {return_type} is the Return interaction type.
ENTRY_MESSAGES: dict[str, Message] = {
    "date_title": t("Date"),
    "date_prompt": t("A date, for example 31.12.2025."),
    "date_error": t("Not a date. Type a date such as 31.12.2025, not a word such as «yesterday»."),
    "amount_title": t("Amount"),
    "amount_prompt": t(
        "A number without a currency sign, for example 24000. Below zero only for a {return_type} or for a "
        "{payment_type} paid back to the client."
    ),
    "amount_error": t(
        "Type the amount as a number, for example 24000, not a word such as «negotiable». A negative amount is "
        "allowed only for a {return_type} or a {payment_type} (money paid back)."
    ),
    "price_title": t("Price"),
    "price_prompt": t("A number without a currency sign, for example 24000."),
    "price_error": t("Type the price as a number of 0 or more, for example 24000."),
    "contract_amount_title": t("Amount"),
    "contract_amount_prompt": t("A number without a currency sign, for example 24000."),
    "contract_amount_error": t("Type the amount of the contract as a number of 0 or more, for example 24000."),
    "discount_title": t("Discount, %"),
    "discount_prompt": t("The discount in per cent, from 0 to 100, for example 5 or 7.5; blank for none."),
    "discount_error": t("Type the discount as a number from 0 to 100, without the % sign."),
    "payment_term_title": t("Payment term"),
    "payment_term_prompt": t("Days to pay for an order, for example 30; 0: on the day; blank: the term of Settings."),
    "payment_term_error": t("Type the payment term as a whole number of days, 0 or more."),
    "parent_contract_title": t("Parent contract"),
    "parent_contract_prompt": t("For an annex, pick the ID of its contract from the list; leave blank for a contract."),
    "parent_contract_error": t(
        "No contract on this sheet has this ID. Type the ID of the contract this annex belongs to."
    ),
    "client_id_title": t("Client"),
    "client_id_prompt": t("Pick the client's ID from the list; the client's name appears next to it."),
    # On a sheet without the Client column beside the ClientID (Contacts, Contracts).
    "client_id_plain_prompt": t("Pick the client's ID from the list."),
    # No sheet name here: a sheet whose text names Clients is read whole for formulas before client rows move.
    "client_id_error": t("No client has this ID. A client added a moment ago gets its ID at the next refresh."),
}


def entry_message(key: str, locale: str) -> str:
    """A text of the template's entry checks in ``locale`` (its placeholders still to fill)."""
    return ENTRY_MESSAGES[key].render(locale)


# --- report wording ----------------------------------------------------------------

# Every title, heading, column header and phrase of the report sheets and the agenda, as catalogue messages
# rendered in the workbook's language.
REPORT_LABELS: dict[str, Message] = {
    "computed_for": t("Computed for {today}; period {start} – {end}"),
    "computed_on": t("Computed for {today}"),
    "client_id": t("ClientID"),
    "client": t("Client"),
    "company": t("Company"),
    "manager": t("Manager"),
    "phone": t("Phone"),
    "block": t("Block"),
    "block_number": t("#"),
    "clients": t("Clients"),
    "orders": t("Orders"),
    "revenue": t("Revenue"),
    "revenue_all_time": t("Revenue, all time"),
    "revenue_period": t("Revenue, period"),
    "share": t("Share"),
    "share_of_clients": t("Share of clients"),
    "month": t("Month"),
    "service": t("Service"),
    "date": t("Date"),
    "total": t("Total"),
    "no_manager": t("(no manager)"),
    "no_service": t("(no service)"),
    # Dashboard
    "dashboard_title": t("Client base at a glance"),
    "by_block": t("Clients and revenue by block"),
    "migration": t("Block migration since the refresh of {previous}: clients by block then (rows) and now (columns)"),
    "migration_first": t("Block migration: no earlier refresh to compare with yet"),
    "from_to": t("From \\ to"),
    "new_client": t("New"),
    "gone_client": t("Gone"),
    "who_moved": t("Clients who changed block since the refresh of {previous}"),
    "who_moved_first": t("Clients who changed block: listed from the next refresh on"),
    "block_before": t("Block then"),
    "block_now": t("Block now"),
    "revenue_by_month": t("Orders and revenue by month"),
    "month_so_far": t("{month} (to {day})"),  # the month of today, still running
    "history": t("Clients by block at each refresh"),
    "chart_clients_by_block": t("Clients by block"),
    "chart_revenue_by_month": t("Revenue by month"),
    # Agenda
    "agenda_title": t("Agenda: what to do, by manager"),
    "detail_turns": t("turns {age}"),
    "no_tasks": t("Nothing on the agenda."),
    # Managers
    "managers_title": t("Managers"),
    "activity": t("Activity over the period"),
    "touches": t("Touches"),
    "other_types": t("Other"),
    "conversion_base": t("Without orders at period start"),
    "converted": t("First order in period"),
    "conversion": t("Conversion to Working"),
    "overdue_tasks": t("Overdue tasks"),
    "clients_by_block_manager": t("Clients by block"),
    # Services
    "services_title": t("Services: demand and revenue"),
    "services_totals": t("Services over the period"),
    "services_by_month": t("Services by month"),
    "services_never": t("Services never ordered"),
    "share_of_revenue": t("Share of revenue"),
    # Analytics (its other texts are xlcrm.reports.analytics' own; the title is here so the sheet is known by it)
    "analytics_title": t("The owner's numbers: average check, frequency, sources, cohorts, cities"),
    # ABC
    "abc_title": t("ABC analysis of clients by revenue"),
    "abc_summary": t("Classes: A up to 80 % of revenue, B up to 95 %, C the rest"),
    "abc_ranking": t("Clients ranked by revenue over the period"),
    "rank": t("Rank"),
    "cumulative_share": t("Cumulative share"),
    "abc_class": t("Class"),
    # Problems
    "problems_title": t("Problems found in the workbook"),
    # ▸ Changes: its other texts are xlcrm.reports.changes' own; the title is here so the sheet is known by it.
    "changes_title": t("Changes since the last save"),
    # ▸ Segments: its other texts are xlcrm.reports.segments' own; the title is here so the sheet is known by it.
    "segments_title": t("Segments: named groups of clients, their size and revenue"),
    "problems_heading": t("Fix these cells; xlcrm lists them again on every refresh"),
    "no_problems": t("No problems found."),
    "severity": t("Severity"),
    "sheet": t("Sheet"),
    "cell": t("Cell"),
    "value": t("Value"),
    "problem": t("Problem"),
    "code": t("Code"),
    "error": t("Error"),
    "warning": t("Warning"),
    # Block history (read back by the next refresh: the headings and headers are matched in either language)
    "history_title": t("Block history (xlcrm reads this sheet back; do not edit)"),
    "history_counts": t("Clients by block at each refresh"),
    "history_clients": t("Block of each client at the last refreshes"),
    "block_name": t("Block name"),
}


def label(key: str, locale: str) -> str:
    """A report label in ``locale`` (its placeholders still to fill)."""
    return REPORT_LABELS[key].render(locale)


def label_spellings(key: str) -> tuple[str, ...]:
    """A report label in every language: what a sheet read back may hold."""
    return _spellings(REPORT_LABELS[key])


# --- duplicates and merges ---------------------------------------------------------------

# What the user types in the Decision column of the Duplicates sheet.
MERGE_DECISION = ListValue("merge", "merge", "объединить")
KEEP_APART = ListValue("keep_apart", "keep apart", "не объединять")
DECISIONS = (MERGE_DECISION, KEEP_APART)

# Roles of the rows of the Merge log.
SURVIVOR_ROLE = ListValue("survivor", "survivor", "основная")
MERGED_ROLE = ListValue("merged", "merged", "объединена")
REPOINTED_ROLE = ListValue("repointed", "re-pointed", "перенаправлена")
# A record of an imported file that was merged into a client (the survivor of its merge): kept so that the match
# model still learns from that duplicate; ``unmerge`` does not add it back as a client.
IMPORTED_ROLE = ListValue("imported", "imported", "импортирована")
MERGE_ROLES = (SURVIVOR_ROLE, MERGED_ROLE, REPOINTED_ROLE, IMPORTED_ROLE)

# Titles, headings and column headers of the two sheets, as catalogue messages. Read back in either language:
# DEDUPE_LABELS gives each in every language.
DEDUPE_TEXTS: dict[str, Message] = {
    "duplicates_title": t("Possible duplicate clients: fill in Decision (merge / keep apart), then run xlcrm dedupe"),
    "pairs": t("Pairs to review"),
    "kept_apart": t("Kept apart: never proposed again (change Decision to merge to merge them)"),
    "repeated_interactions": t("Interactions entered twice (same client, date, type, amount, comment); not deleted"),
    "decision": t("Decision"),
    # The warning Excel and LibreOffice show when a Decision is typed that is not in its dropdown (title: at most
    # 32 characters); {merge}, {keep_apart} and {problems} are filled in the workbook's language.
    "decision_error_title": t("Decision not recognised"),
    "decision_error": t(
        "xlcrm understands only {merge} or {keep_apart} here. Keep this value anyway? The pair then stays for review, "
        "and the cell is listed on {problems}."
    ),
    "probability": t("Probability, %"),
    # The header of that column on Duplicates sheets written before probabilities (points, 1-100): read back only.
    "score": t("Score"),
    "reason": t("Reason"),
    "id_a": t("ClientID A"),
    "id_b": t("ClientID B"),
    "side_a": t("{column} A"),
    "side_b": t("{column} B"),
    "rows": t("Rows"),
    "client_id_header": t("ClientID"),  # first header of the repeated interactions table
    "merge_log_title": t("Merge log: every merge with the original rows; undo one with xlcrm unmerge PATH MERGE_ID"),
    "merges": t("Merges"),
    "merge_id": t("Merge ID"),
    "merged_on": t("Merged on"),
    "role": t("Role"),
    "why_merged": t("Why merged"),
    "sheet": t("Sheet"),
    "row": t("Row"),
}


# The hidden defined name, local to each report sheet, by which xlcrm knows a sheet as its own: a user's sheet
# that happens to carry a report's name has none, and is never overwritten.
REPORT_SHEET_MARK = "_xlcrm_report"
# The titles xlcrm writes in A1 of its report sheets (both languages). A report sheet written before sheets
# carried the mark is known by its title.


def dedupe_label(key: str, locale: str) -> str:
    """A Duplicates or Merge log label in ``locale`` (its placeholders still to fill)."""
    return DEDUPE_TEXTS[key].render(locale)


class _Spellings(Mapping[str, tuple[str, ...]]):
    """Each message of a table in every language (English first), rendered when first asked for: the catalogue is
    read when a text is needed, not when the schema is imported."""

    def __init__(self, texts: Mapping[str, Message]) -> None:
        self._texts = texts

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return _spellings(self._texts[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


def _spellings(message: Message) -> tuple[str, ...]:
    return _spelled(message.msgid)


@cache
def _spelled(msgid: str) -> tuple[str, ...]:
    return tuple(Message(msgid).render(language) for language in LANGUAGES)


# The labels of the Duplicates and Merge log sheets in every language: key -> (English, Russian).
DEDUPE_LABELS: Mapping[str, tuple[str, ...]] = _Spellings(DEDUPE_TEXTS)


class _Titles:
    """The titles xlcrm writes in A1 of its report sheets, in every language; ``text in REPORT_TITLES``."""

    def __contains__(self, text: object) -> bool:
        return text in _report_titles()


@cache
def _report_titles() -> frozenset[str]:
    return frozenset(
        spelling
        for texts in (REPORT_LABELS, DEDUPE_TEXTS)
        for key, message in texts.items()
        if key.endswith("_title")
        for spelling in _spellings(message)
    )


REPORT_TITLES = _Titles()


# --- import: the headers other tables use ------------------------------------------------------------

# Headers other tables give the columns of a user sheet, besides the sheet's own names in either language:
# plain English and Russian, and the headers of amoCRM and Bitrix24 exports. Matched folded (case, spaces, ё).
# Several source columns may feed one phone or email cell: their numbers and addresses are collected.
IMPORT_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "clients": {
        "name": (
            "Full name",
            "Contact name",
            "Contact person",
            "Contact",
            "Client",
            "ФИО",
            "Полное имя контакта",
            "Полное имя",
            "Имя контакта",
            "Контакт",
            "Клиент",
        ),
        "company": (
            "Company name",
            "Organisation",
            "Organization",
            "Название компании",
            "Компания контакта",
            "Организация",
            "Наименование",
        ),
        "inn": ("TIN", "Tax ID", "ИНН компании", "Реквизит (Россия): ИНН", "Реквизит: ИНН"),
        "phone": (
            "Phone number",
            "Telephone",
            "Mobile",
            "Mobile phone",
            "Work phone",
            "Home phone",
            "Other phone",
            "Рабочий телефон",
            "Мобильный телефон",
            "Домашний телефон",
            "Другой телефон",
            "Рабочий прямой телефон",
            "Телефон для рассылок",
            "Телефон рабочий",
            "Телефон мобильный",
            "Тел.",
        ),
        "email": (
            "E-mail",
            "Work email",
            "Personal email",
            "Other email",
            "Рабочий email",
            "Личный email",
            "Другой email",
            "Рабочий e-mail",
            "Личный e-mail",
            "Частный e-mail",
            "Другой e-mail",
            "E-mail для рассылок",
            "Электронная почта",
            "Почта",
        ),
        "city": ("Town", "Город (адрес)"),
        "address": ("Street address", "Юридический адрес", "Фактический адрес", "Адрес компании"),
        "birthday": ("Date of birth", "Дата рождения"),
        "source": ("Lead source", "Источник сделки", "Источник контакта"),
        "manager": ("Responsible", "Responsible user", "Owner", "Ответственный", "Ответственный менеджер"),
        "comment": ("Note", "Notes", "Примечание", "Примечания"),
        "created": ("Created at", "Date created", "Дата создания", "Создано", "Дата регистрации"),
        "discount": ("Discount", "Discount %", "Скидка", "Скидка %", "Скидка (%)", "Процент скидки", "Размер скидки"),
        "card_number": (
            "Loyalty card",
            "Card",
            "Discount card",
            "Дисконтная карта",
            "Номер дисконтной карты",
            "Карта лояльности",
            "Бонусная карта",
            "Карта",
            "№ карты",
        ),
        "payment_term": (
            "Payment term",
            "Payment terms",
            "Отсрочка",
            "Отсрочка платежа",
            "Отсрочка, дней",
            "Срок оплаты",
            "Срок оплаты, дн.",
        ),
    },
    "contacts": {
        "client_id": ("Client ID", "Код клиента"),
        "name": ("Full name", "Contact name", "Полное имя контакта", "Полное имя", "Контактное лицо"),
        "role": ("Position", "Job title", "Title", "Должность (контакт)", "Позиция"),
        "phone": (
            "Phone number",
            "Mobile",
            "Mobile phone",
            "Work phone",
            "Рабочий телефон",
            "Мобильный телефон",
            "Домашний телефон",
            "Другой телефон",
        ),
        "email": (
            "E-mail",
            "Work email",
            "Personal email",
            "Рабочий email",
            "Личный email",
            "Рабочий e-mail",
            "Частный e-mail",
            "Электронная почта",
        ),
        "birthday": ("Date of birth", "Дата рождения"),
        "decision_maker": ("Decision-maker", "Лицо, принимающее решение"),
    },
    "interactions": {
        "client_id": ("Client ID", "Код клиента"),
        "date": ("Created at", "Date created", "Дата создания", "Дата события"),
        "type": ("Activity type", "Тип события", "Тип взаимодействия", "Тип дела"),
        "service": ("Product", "Товар", "Продукт"),
        "amount": ("Sum", "Budget", "Бюджет", "Сумма сделки"),
        "manager": ("Responsible", "Owner", "Ответственный"),
        "comment": ("Note", "Notes", "Примечание", "Описание"),
        # Not «Номер документа»: on a bank statement's payment it is the payment order's own number, which would
        # name no order and leave every payment unmatched.
        "order_number": ("Order number", "Order #", "Order No", "Номер заказа", "Заказ №", "№ заказа клиента"),
    },
}

# Headers holding one part of a person's name (Bitrix24 exports them apart), in the order the parts are joined
# into the Name cell when the source has no full name.
NAME_PART_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("Last name", "Surname", "Фамилия"),
    ("First name", "Given name", "Имя"),
    ("Middle name", "Patronymic", "Отчество"),
)
# Sheets rows can be imported into.
IMPORT_SHEETS = (CLIENTS, CONTACTS, INTERACTIONS, CONTRACTS)
