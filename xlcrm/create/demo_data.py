"""Vocabularies for the demo workbook: Russian people, companies, cities, and the texts managers type.

Free texts that depend on the workbook's language are ``(en, ru)`` pairs of the
same length in both languages, so a seed gives the same story in either locale.
People, companies and addresses stay Russian in both: the demo is a Russian
small business, whatever language its workbook uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from xlcrm.dedupe.keys import TRANSLITERATION

# --- people -------------------------------------------------------------------------

# Male forms; the female form is derived by female_surname().
SURNAMES = (
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
    "Ильин",
    "Максимов",
    "Поляков",
    "Сорокин",
    "Виноградов",
    "Ковалёв",
    "Белов",
    "Медведев",
    "Антонов",
    "Тарасов",
    "Жуков",
    "Баранов",
    "Филиппов",
    "Комаров",
    "Давыдов",
    "Беляев",
    "Герасимов",
    "Богданов",
    "Осипов",
    "Сидоров",
    "Матвеев",
    "Титов",
    "Марков",
    "Миронов",
    "Крылов",
    "Куликов",
    "Карпов",
    "Власов",
    "Мельников",
    "Денисов",
    "Гаврилов",
    "Тихонов",
    "Казаков",
    "Афанасьев",
    "Данилов",
    "Савельев",
    "Тимофеев",
    "Фомин",
    "Чернов",
    "Абрамов",
    "Мартынов",
    "Ефимов",
    "Федотов",
    "Щербаков",
    "Назаров",
    "Калинин",
    "Исаев",
    "Чернышёв",
    "Быков",
    "Маслов",
    "Родионов",
    "Коновалов",
    "Лазарев",
    "Воронин",
    "Климов",
    "Филатов",
    "Пономарёв",
    "Голубев",
    "Кудрявцев",
    "Прохоров",
    "Наумов",
    "Потапов",
    "Журавлёв",
    "Овчинников",
    "Трофимов",
    "Леонов",
    "Соболев",
    "Ермаков",
    "Колесников",
    "Гончаров",
    "Емельянов",
    "Никифоров",
    "Грачёв",
    "Котов",
    "Гришин",
    "Ефремов",
    "Архипов",
    "Громов",
    "Кириллов",
    "Малышев",
    "Панов",
    "Моисеев",
    "Румянцев",
    "Акимов",
    "Кондратьев",
    "Бирюков",
    "Горбунов",
    "Анисимов",
    "Ерёмин",
    "Тихомиров",
    "Галкин",
    "Лукьянов",
    "Михеев",
    "Скворцов",
    "Юдин",
    "Белоусов",
    "Нестеров",
    "Симонов",
    "Прокофьев",
    "Харитонов",
    "Князев",
    "Цветков",
    "Левин",
    "Митрофанов",
    "Воронов",
    "Аксёнов",
    "Мальцев",
    "Логинов",
    "Горшков",
    "Савин",
    "Краснов",
    "Майоров",
    "Демидов",
    "Елисеев",
    "Рыбаков",
    "Сафонов",
    "Плотников",
    "Дёмин",
    "Хохлов",
    "Фадеев",
    "Молчанов",
    "Игнатов",
    "Литвинов",
    "Ершов",
    "Ушаков",
    "Рябов",
    "Мухин",
    "Калашников",
    "Лобанов",
    "Корнилов",
    "Евдокимов",
    "Бородин",
    "Платонов",
    "Некрасов",
    "Бобров",
    "Жданов",
    "Блинов",
    "Коротков",
    "Муравьёв",
    "Крюков",
    "Богомолов",
    "Дроздов",
    "Лавров",
    "Зуев",
    "Петухов",
    "Ларин",
    "Никулин",
    "Серов",
    "Зотов",
    "Устинов",
    "Фокин",
    "Самойлов",
    "Сахаров",
    "Шишкин",
    "Черкасов",
    "Чистяков",
    "Носов",
    "Спиридонов",
    "Карасёв",
    "Авдеев",
    "Воронцов",
    "Зверев",
    "Селезнёв",
    "Нечаев",
    "Седов",
    "Фирсов",
    "Панин",
    "Головин",
    "Терехов",
    "Шестаков",
    "Агеев",
    "Никонов",
    "Гордеев",
    "Кожевников",
    "Пахомов",
    "Зимин",
    "Костин",
    "Широков",
    "Ларионов",
    "Сазонов",
    "Суворов",
    "Нефёдов",
    "Покровский",
    "Вишневский",
    "Островский",
    "Преображенский",
    "Шевченко",
    "Коваленко",
    "Бондаренко",
    "Ткаченко",
    "Толстой",
    "Крутой",
)

MALE_NAMES = (
    "Александр",
    "Алексей",
    "Андрей",
    "Антон",
    "Артём",
    "Борис",
    "Вадим",
    "Валерий",
    "Василий",
    "Виктор",
    "Виталий",
    "Владимир",
    "Владислав",
    "Вячеслав",
    "Геннадий",
    "Георгий",
    "Глеб",
    "Григорий",
    "Денис",
    "Дмитрий",
    "Евгений",
    "Егор",
    "Иван",
    "Игорь",
    "Илья",
    "Кирилл",
    "Константин",
    "Леонид",
    "Максим",
    "Михаил",
    "Никита",
    "Николай",
    "Олег",
    "Павел",
    "Пётр",
    "Роман",
    "Руслан",
    "Семён",
    "Сергей",
    "Станислав",
    "Степан",
    "Тимур",
    "Фёдор",
    "Юрий",
    "Ярослав",
)

FEMALE_NAMES = (
    "Александра",
    "Алёна",
    "Алина",
    "Анастасия",
    "Анна",
    "Валентина",
    "Валерия",
    "Вера",
    "Виктория",
    "Галина",
    "Дарья",
    "Евгения",
    "Екатерина",
    "Елена",
    "Елизавета",
    "Жанна",
    "Зоя",
    "Инна",
    "Ирина",
    "Кристина",
    "Ксения",
    "Лариса",
    "Людмила",
    "Маргарита",
    "Марина",
    "Мария",
    "Надежда",
    "Наталья",
    "Нина",
    "Оксана",
    "Ольга",
    "Полина",
    "Светлана",
    "София",
    "Татьяна",
    "Юлия",
    "Яна",
)

# (male, female) patronymics from the same father's name.
PATRONYMICS = (
    ("Александрович", "Александровна"),
    ("Алексеевич", "Алексеевна"),
    ("Андреевич", "Андреевна"),
    ("Анатольевич", "Анатольевна"),
    ("Борисович", "Борисовна"),
    ("Валерьевич", "Валерьевна"),
    ("Васильевич", "Васильевна"),
    ("Викторович", "Викторовна"),
    ("Витальевич", "Витальевна"),
    ("Владимирович", "Владимировна"),
    ("Вячеславович", "Вячеславовна"),
    ("Геннадьевич", "Геннадьевна"),
    ("Григорьевич", "Григорьевна"),
    ("Дмитриевич", "Дмитриевна"),
    ("Евгеньевич", "Евгеньевна"),
    ("Иванович", "Ивановна"),
    ("Игоревич", "Игоревна"),
    ("Ильич", "Ильинична"),
    ("Константинович", "Константиновна"),
    ("Леонидович", "Леонидовна"),
    ("Михайлович", "Михайловна"),
    ("Николаевич", "Николаевна"),
    ("Олегович", "Олеговна"),
    ("Павлович", "Павловна"),
    ("Петрович", "Петровна"),
    ("Романович", "Романовна"),
    ("Семёнович", "Семёновна"),
    ("Сергеевич", "Сергеевна"),
    ("Станиславович", "Станиславовна"),
    ("Степанович", "Степановна"),
    ("Фёдорович", "Фёдоровна"),
    ("Юрьевич", "Юрьевна"),
)


def female_surname(surname: str) -> str:
    """Иванов -> Иванова, Покровский -> Покровская, Толстой -> Толстая; Шевченко stays."""
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if surname.endswith("ой"):
        return surname[:-2] + "ая"
    return surname


# Managers of the demo business (first name + surname, as they sign).
MANAGERS = (
    "Анна Соколова",
    "Олег Кузнецов",
    "Марина Белова",
    "Дмитрий Орлов",
    "Екатерина Лебедева",
    "Игорь Волков",
    "Светлана Ершова",
)

# --- companies ------------------------------------------------------------------------------

COMPANY_CORES = (
    "Ромашка",
    "Вектор",
    "Альфа",
    "Гранит",
    "Меридиан",
    "Стройсервис",
    "ТехноПром",
    "Север",
    "Восток",
    "Сибирь",
    "Урал",
    "Весна",
    "Берёзка",
    "Радуга",
    "Сфера",
    "Квант",
    "Орион",
    "Атлант",
    "Пульс",
    "Горизонт",
    "Континент",
    "Магистраль",
    "Ресурс",
    "Спектр",
    "Эталон",
    "Импульс",
    "Лидер",
    "Кристалл",
    "Феникс",
    "Альянс",
    "Эверест",
    "Аврора",
    "Старт",
    "Навигатор",
    "Прогресс",
    "Монолит",
    "Стандарт",
    "Триумф",
    "Фортуна",
    "Гарант",
    "Интеграл",
    "Капитал",
    "Меркурий",
    "Оникс",
    "Парус",
    "Рубин",
    "Сапфир",
    "Титан",
    "Успех",
    "Янтарь",
    "Азимут",
    "Байкал",
    "Волга",
    "Дельта",
    "Зенит",
    "Исток",
    "Каскад",
    "Лотос",
    "Маяк",
    "Олимп",
    "Полюс",
    "Регион",
    "Символ",
    "Тандем",
    "Факел",
    "Элемент",
    "Ёлочка",
    "Звёздочка",
    "Алёнка",
    "Озёрный",
    "Стройинвест",
    "Техснаб",
    "Агроторг",
    "Медцентр",
    "Автолайн",
    "Промснаб",
    "Торговый дом Север",
    "Энергосервис",
    "Инфотех",
    "Хлебный двор",
    "Кондитер",
    "Мебельград",
    "Теплодом",
    "Чистый город",
    "Зелёный сад",
    "Уют",
    "Домострой",
    "Вкусный дом",
    "Автомир",
    "Медиком",
    "Фармация",
    "Печатный двор",
    "Логистик",
    "Транзит",
    "Северное сияние",
    "Колос",
    "Нива",
    "Клевер",
    "Пчёлка",
    "Самоцвет",
    "Добрыня",
)

# Second words that turn a core into a fuller name when the plain one is taken.
COMPANY_SUFFIXES = ("Плюс", "Сервис", "Трейд", "Групп", "Строй", "Торг", "Про", "М", "Инвест", "Юг")

# (key, short form, full form, weight). ИП names are built from the owner's name.
LEGAL_FORMS = (
    ("ooo", "ООО", "Общество с ограниченной ответственностью", 58),
    ("ip", "ИП", "Индивидуальный предприниматель", 22),
    ("ao", "АО", "Акционерное общество", 9),
    ("zao", "ЗАО", "Закрытое акционерное общество", 7),
    ("pao", "ПАО", "Публичное акционерное общество", 4),
)

QUOTES = (("«", "»"), ('"', '"'), ("“", "”"))

# Latin letters that look exactly like Cyrillic ones: the classic invisible typo.
HOMOGLYPHS = {"о": "o", "а": "a", "е": "e", "р": "p", "с": "c", "х": "x"}


@cache
def transliterate(text: str) -> str:
    """Russian text in Latin letters, the way people spell a company for a domain or an English card."""
    out = []
    for char in text:
        latin = TRANSLITERATION.get(char.lower())
        if latin is None:
            out.append(char)
        elif char.isupper():
            out.append(latin.capitalize())
        else:
            out.append(latin)
    return "".join(out)


# --- places ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    slug: str  # short Latin tag for domains
    region: str  # first two INN digits: the tax region
    phone_code: str  # landline area code
    weight: int


CITIES = (
    City("Москва", "msk", "77", "495", 34),
    City("Москва", "msk", "77", "499", 6),
    City("Санкт-Петербург", "spb", "78", "812", 14),
    City("Екатеринбург", "ekb", "66", "343", 5),
    City("Новосибирск", "nsk", "54", "383", 5),
    City("Казань", "kzn", "16", "843", 5),
    City("Нижний Новгород", "nn", "52", "831", 4),
    City("Самара", "smr", "63", "846", 3),
    City("Ростов-на-Дону", "rnd", "61", "863", 3),
    City("Краснодар", "krd", "23", "861", 4),
    City("Воронеж", "vrn", "36", "473", 3),
    City("Пермь", "prm", "59", "342", 2),
    City("Уфа", "ufa", "02", "347", 2),
    City("Челябинск", "chel", "74", "351", 2),
    City("Красноярск", "krsk", "24", "391", 2),
    City("Тула", "tula", "71", "4872", 2),
    City("Ярославль", "yar", "76", "4852", 2),
)

STREETS = (
    "ул. Ленина",
    "ул. Гагарина",
    "ул. Мира",
    "ул. Советская",
    "пр-т Победы",
    "ул. Садовая",
    "ул. Пушкина",
    "ул. Октябрьская",
    "ул. Промышленная",
    "ул. Заводская",
    "ул. Кирова",
    "ул. Чапаева",
    "ул. Лесная",
    "ул. Школьная",
    "бул. Строителей",
    "ул. Профсоюзная",
    "ул. Молодёжная",
    "пр-т Ленина",
    "ул. Береговая",
    "ул. Новая",
    "ш. Энтузиастов",
    "ул. Комсомольская",
    "пер. Почтовый",
    "ул. Гоголя",
    "наб. Космонавтов",
)

# Mobile operator codes (all valid in the Russian numbering plan).
MOBILE_CODES = (
    "900",
    "901",
    "902",
    "903",
    "904",
    "905",
    "906",
    "908",
    "909",
    "910",
    "911",
    "912",
    "913",
    "914",
    "915",
    "916",
    "917",
    "918",
    "919",
    "920",
    "921",
    "922",
    "923",
    "924",
    "925",
    "926",
    "927",
    "928",
    "929",
    "930",
    "931",
    "932",
    "933",
    "934",
    "936",
    "937",
    "938",
    "939",
    "950",
    "951",
    "952",
    "953",
    "958",
    "960",
    "961",
    "962",
    "963",
    "964",
    "965",
    "966",
    "967",
    "968",
    "969",
    "977",
    "978",
    "980",
    "981",
    "982",
    "983",
    "985",
    "986",
    "987",
    "988",
    "989",
    "991",
    "992",
    "993",
    "994",
    "995",
    "996",
    "999",
)

MAIL_DOMAINS = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "inbox.ru", "ya.ru", "rambler.ru")
CORPORATE_MAILBOXES = ("info", "office", "zakaz", "sales", "mail", "buh")

# --- the demo business: a small IT-services company ---------------------------------------------


@dataclass(frozen=True)
class Service:
    key: str
    name: tuple[str, str]  # (en, ru)
    price: int
    unit: tuple[str, str]
    quantities: tuple[int, int]  # typical order size, min and max
    description: tuple[str, str]
    active: bool = True


SERVICES = (
    Service(
        "support",
        ("IT support subscription", "Абонентское IT-обслуживание"),
        18000,
        ("month", "мес."),
        (1, 3),
        (
            "Support of up to 10 workplaces, response within 4 hours.",
            "Обслуживание до 10 рабочих мест, реакция в течение 4 часов.",
        ),
    ),
    Service(
        "visit",
        ("On-site engineer visit", "Выезд специалиста"),
        2500,
        ("visit", "выезд"),
        (1, 4),
        ("One visit within the city, up to 2 hours of work.", "Выезд по городу, до 2 часов работы."),
    ),
    Service(
        "network",
        ("Network and Wi-Fi setup", "Настройка сети и Wi-Fi"),
        12000,
        ("site", "объект"),
        (1, 2),
        ("Router, switches and Wi-Fi for an office.", "Роутер, коммутаторы и Wi-Fi для офиса."),
    ),
    Service(
        "website",
        ("Website development", "Разработка сайта"),
        95000,
        ("project", "проект"),
        (1, 1),
        ("A business-card or catalogue site, turnkey.", "Сайт-визитка или каталог под ключ."),
    ),
    Service(
        "site_care",
        ("Website support", "Поддержка сайта"),
        7000,
        ("month", "мес."),
        (1, 6),
        ("Updates, backups and small edits.", "Обновления, резервные копии и мелкие правки."),
    ),
    Service(
        "accounting",
        ("1C setup and support", "Настройка и сопровождение 1С"),
        3500,
        ("hour", "час"),
        (2, 16),
        ("Configuration updates, reports, user help.", "Обновление конфигурации, отчёты, помощь пользователям."),
    ),
    Service(
        "cctv",
        ("CCTV installation", "Видеонаблюдение под ключ"),
        45000,
        ("site", "объект"),
        (1, 1),
        ("Cameras, recorder and remote access.", "Камеры, регистратор и удалённый доступ."),
    ),
    Service(
        "consulting",
        ("IT consulting", "IT-консультация"),
        3000,
        ("hour", "час"),
        (1, 6),
        ("Advice on equipment, licences and security.", "Советы по оборудованию, лицензиям и безопасности."),
    ),
    Service(
        "pc_repair",
        ("PC repair (discontinued)", "Ремонт ПК (не оказываем)"),
        1500,
        ("item", "шт."),
        (1, 3),
        ("We no longer repair hardware ourselves.", "Ремонт железа больше не выполняем сами."),
        active=False,
    ),
)

# --- what managers type ------------------------------------------------------------------------------

# Results by interaction type key; (en, ru) pairs.
RESULTS: dict[str, tuple[tuple[str, str], ...]] = {
    "call_out": (
        ("No answer", "Не дозвонился"),
        ("Meeting arranged", "Договорились о встрече"),
        ("Asked for a quote", "Попросили КП"),
        ("Thinking it over", "Думают"),
        ("Call back later", "Перезвонить позже"),
        ("Needs clarified", "Уточнили потребность"),
    ),
    "call_in": (
        ("Price enquiry", "Запрос цены"),
        ("Question about the invoice", "Вопрос по счёту"),
        ("Asked for an engineer", "Просят выезд"),
        ("Complaint resolved", "Жалоба решена"),
    ),
    "meeting": (
        ("Presented our services", "Презентация услуг"),
        ("Discussed terms", "Обсудили условия"),
        ("Office survey done", "Провели обследование офиса"),
    ),
    "letter": (
        ("Quote sent", "Отправлено КП"),
        ("Contract sent", "Отправлен договор"),
        ("Invoice sent", "Отправлен счёт"),
        ("Holiday greetings", "Поздравление с праздником"),
    ),
    "message": (
        ("Sent bank details", "Прислали реквизиты"),
        ("Payment reminder", "Напомнили об оплате"),
        ("Confirmed the visit", "Подтвердили выезд"),
        ("Sent the quote in WhatsApp", "Отправили КП в WhatsApp"),
    ),
    "agreement": (
        ("Estimate approved", "Согласовали смету"),
        ("Pilot agreed", "Договорились о пилоте"),
        ("Service contract agreed", "Согласовали договор на обслуживание"),
    ),
    "order": (
        ("Paid", "Оплачено"),
        ("Done, act signed", "Выполнено, акт подписан"),
        ("Invoice issued", "Счёт выставлен"),
    ),
}

INTERACTION_COMMENTS = (
    ("Prefers Telegram", "Удобнее в Telegram"),
    ("Call after 11:00", "Звонить после 11:00"),
    ("Decision after the director returns", "Решение после возвращения директора"),
    ("Compared us with competitors", "Сравнивают с конкурентами"),
    ("Asked for a discount", "Просили скидку"),
    ("Paid by bank transfer", "Оплата по безналу"),
    ("Urgent", "Срочно"),
)

NEXT_ACTIONS = (
    ("Call back", "Перезвонить"),
    ("Send a quote", "Отправить КП"),
    ("Arrange a meeting", "Назначить встречу"),
    ("Issue an invoice", "Выставить счёт"),
    ("Check the payment", "Проверить оплату"),
    ("Renew the contract", "Продлить договор"),
    ("Ask for feedback", "Узнать отзыв"),
    ("Offer support subscription", "Предложить абонентское обслуживание"),
)

CLIENT_COMMENTS = (
    ("Pays on invoice, 10 days' grace", "Оплата по счёту, отсрочка 10 дней"),
    ("Prefers email", "Предпочитает почту"),
    ("Part of a holding", "Входит в холдинг"),
    ("Call after 11:00", "Звонить после 11:00"),
    ("Came from the exhibition stand", "Пришёл со стенда на выставке"),
    ("Several branches in the region", "Несколько филиалов в области"),
    ("Asks for closing documents by post", "Просит закрывающие документы почтой"),
)

# (role en, role ru, decides)
ROLES = (
    ("CEO", "Генеральный директор", True),
    ("Director", "Директор", True),
    ("Commercial director", "Коммерческий директор", True),
    ("Chief accountant", "Главный бухгалтер", False),
    ("Accountant", "Бухгалтер", False),
    ("Purchasing manager", "Менеджер по закупкам", False),
    ("Office manager", "Офис-менеджер", False),
    ("Chief engineer", "Главный инженер", False),
    ("System administrator", "Системный администратор", False),
    ("Lawyer", "Юрист", False),
)

# --- planted mistakes: what people really type -------------------------------------------------------

# Not a date at all (BAD_DATE).
WORD_DATES = (("yesterday", "вчера"), ("last week", "на прошлой неделе"), ("ASAP", "на днях"))
# Amounts nobody can add up (BAD_AMOUNT).
WORD_AMOUNTS = (("negotiable", "договорная"), ("see invoice", "по счёту"), ("15k", "15 тыс."), ("TBD", "уточнить"))
# Interaction types typed by hand instead of picked from the list (NOT_IN_LIST).
UNLISTED_TYPES = (("Phone call", "Звонок"), ("Visit", "Визит"), ("Email", "Имейл"))

# --- planted cases: what managers type for them ------------------------------------------------------

# A meeting booked ahead, typed as a row dated after today: what the Comment says.
BOOKED_MEETINGS = (
    ("Meeting at the client's office booked", "Назначена встреча в офисе клиента"),
    ("Presentation of the support subscription booked", "Назначена презентация абонентского обслуживания"),
    ("Survey of the server room booked", "Назначено обследование серверной"),
)

# --- contracts -----------------------------------------------------------------------------------------

# The subject of a contract for each service the client buys, as an IT company words it; (en, ru).
CONTRACT_SUBJECTS = {
    "support": ("IT support of workplaces", "Абонентское обслуживание рабочих мест"),
    "visit": ("IT services on request", "Оказание IT-услуг по заявкам"),
    "network": ("Office network installation", "Монтаж локальной сети офиса"),
    "website": ("Website development", "Разработка сайта"),
    "site_care": ("Website technical support", "Техническая поддержка сайта"),
    "accounting": ("1C support", "Сопровождение 1С"),
    "cctv": ("CCTV installation", "Монтаж системы видеонаблюдения"),
    "consulting": ("IT consulting on request", "Консультационные услуги по заявкам"),
}

# What an annex changes: its subject, with {number} the annex's number; (en, ru).
ANNEX_MORE_WORK = ("Annex No. {number}: more work", "Доп. соглашение №{number}: расширение объёма работ")
ANNEX_LONGER_TERM = ("Annex No. {number}: term extended", "Доп. соглашение №{number}: продление срока")

# A contract's number as the company numbers its contracts: IT-{sequence}/{two-digit year}; an annex's, after it.
CONTRACT_NUMBER = ("IT-{sequence}/{year}", "ИТ-{sequence}/{year}")
ANNEX_NUMBER = ("Annex {number} to {contract}", "ДС №{number} к {contract}")
# The ContractID: a letter, the year signed and a number within the year.
CONTRACT_ID_PREFIX = ("C", "Д")

CONTRACT_COMMENTS = (
    ("Original received", "Оригинал получен"),
    ("Scan only, original by post", "Скан, оригинал почтой"),
    ("Paid monthly in advance", "Оплата ежемесячно авансом"),
    ("Signed through EDI", "Подписан через ЭДО"),
    ("The client's own contract form", "Договор на бланке клиента"),
)
# The comment on a contract closed before its term ended.
CONTRACT_TERMINATED = ("Terminated early by mutual agreement", "Расторгнут досрочно по соглашению сторон")

# --- payments and loyalty ----------------------------------------------------------------------------------

# An order's number, as the company numbers its orders: a letter and a running number; (en, ru).
ORDER_NUMBER = ("O-{number:04d}", "З-{number:04d}")
# What a Payment row's Result says: a company pays by bank transfer, a person or sole trader every way.
BUSINESS_PAYMENTS = (("Bank transfer", "Оплата по безналу"), ("Paid against the invoice", "Оплата по счёту"))
RETAIL_PAYMENTS = (
    ("Paid by card", "Оплата картой"),
    ("Paid in cash", "Оплата наличными"),
    ("Paid by bank transfer", "Перевод на счёт"),
)
# A company's payment names its payment order in the Comment, with {number} the order's number in the client's bank.
PAYMENT_ORDER = ("Payment order No. {number}", "Платёжное поручение № {number}")
# The first of two payments for a big order.
ADVANCE = ("Advance 50%", "Аванс 50%")
# The Result of an order still waiting for its money (an unpaid order never says «Оплачено»).
INVOICE_ISSUED = ("Invoice issued", "Счёт выставлен")
# The Comment of each planted payment case's telling row.
PART_PAYMENT = ("Part payment, the rest promised next week", "Частичная оплата, остаток обещали на следующей неделе")
PREPAYMENT = ("Advance for the next order", "Аванс за следующий заказ")
DOUBLE_PAYMENT = ("The invoice paid a second time by mistake", "Счёт оплачен повторно по ошибке")
REFUND = ("The second payment returned", "Возврат ошибочного платежа")
ONE_TRANSFER = ("One transfer, no invoice number given", "Одним платежом, без номера счёта")
# A loyalty card's number: the shop's prefix 2 (numbers for internal use in EAN-13), a serial, a check digit.
CARD_PREFIX = "20000"
