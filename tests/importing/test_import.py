"""xlcrm import: real-shaped sources of every kind, mapping, dedupe against the base, idempotence, bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from tests.conftest import convert_with_libreoffice
from tests.dedupe.waterfalls import unweighed
from xlcrm import schema
from xlcrm.checks.client_ids import id_sequence
from xlcrm.cli.main import cli
from xlcrm.create.template import build_workbook
from xlcrm.dedupe.merge_log import logged_values, read_merge_log, read_sheet_rows
from xlcrm.files.safe_save import SaveOptions
from xlcrm.importing.importer import ADDED, MERGED, REVIEW, SKIPPED, UNCHANGED
from xlcrm.importing.sources import read_source, sniff_delimiter
from xlcrm.jobs.importing import import_rows
from xlcrm.messages import render, speaking
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)
CLIENTS_RU = schema.CLIENTS.name("ru")


def base_clients() -> list[dict[str, object]]:
    return [
        {
            "client_id": "C000001",
            "name": "Петров Иван Сергеевич",
            "company": "ООО Ромашка",
            "inn": "3982597915",
            "phone": "+7 916 123-45-67",
            "city": "Москва",
            "manager": "Анна",
            "created": dt.date(2024, 1, 10),
        },
        {
            "client_id": "C000002",
            "name": "Сидорова Ольга Петровна",
            "phone": "8 (495) 765-43-21",
            "email": "olga@example.com",
            "city": "Казань",
            "manager": "Борис",
            "created": dt.date(2024, 2, 1),
        },
        {
            "client_id": "C000007",
            "name": "Кузнецов Андрей",
            "company": "ООО Вектор",
            "inn": "9074833780",
            "phone": "+7 903 111-22-33",
            "city": "Тула",
            "manager": "Анна",
            "created": dt.date(2024, 3, 5),
        },
    ]


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "clients.xlsx"
    build_workbook("ru", rows={"clients": base_clients()}, lists={"managers": ["Анна", "Борис"]}).save(path)
    return path


def cells(path: Path) -> dict[str, dict[str, object]]:
    """Every cell value of every sheet, to see exactly what an import changed."""
    book = load_workbook(path)
    return {
        sheet.title: {
            cell.coordinate: cell.value for row in sheet.iter_rows() for cell in row if cell.value is not None
        }
        for sheet in book.worksheets
    }


def rows_by_id(path: Path, sheet: str = "clients") -> dict[str, dict[str, object]]:
    frame = read_workbook(path).sheets[sheet].frame
    return {row["client_id"]: {k: v for k, v in row.items() if v is not None} for row in frame.to_dict("records")}


MERGE_LOG_RU = schema.MERGE_LOG.name("ru")
DUPLICATES_RU = schema.DUPLICATES.name("ru")


def assert_only_changed(
    before: dict[str, dict[str, object]],
    after: dict[str, dict[str, object]],
    sheet: str,
    changed: set[str],
    added: tuple[str, ...] = (),
) -> None:
    """Nothing changed but the named cells of ``sheet`` (new rows are named there too) and the sheets added."""
    assert list(after) == list(before) + list(added)
    for name in before:
        if name != sheet:
            assert before[name] == after[name], name
    old, new = before[sheet], after[sheet]
    assert {ref for ref in old.keys() | new.keys() if old.get(ref) != new.get(ref)} == changed


def day(value: object) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


# --- sources -------------------------------------------------------------------------------------------------

CP1251_CSV = (
    "ФИО;Компания;ИНН;Телефон;Мобильный телефон;E-mail;Город;Дата рождения;Ответственный;Примечание;Теги\r\n"
    "Петров Иван Сергеевич;ООО «Ромашка»;3982597915;8 916 123 45 67;;ivan@romashka.ru;Москва;;Анна;"
    "Постоянный клиент;опт\r\n"
    "Морозова Анна Викторовна;ИП Морозова;958969350470;+7 (912) 000-11-22;8 912 000 11 23;anna@moroz.ru;"
    "Екатеринбург;05.03.1985;Борис;;\r\n"
    "Морозова Анна Викторовна;ИП Морозова;958969350470;+7 (912) 000-11-22;;a.morozova@mail.ru;Екатеринбург;;"
    "Борис;;\r\n"
    "Сидорова Ольга Петровна;;;8 (917) 555-44-33;;;Казань;;Борис;;\r\n"
    ";;;;;;;;;;розница\r\n"
)


def write_cp1251_csv(folder: Path) -> Path:
    path = folder / "старая база.csv"
    path.write_bytes(CP1251_CSV.encode("cp1251"))
    return path


def test_cp1251_semicolon_csv_every_value_and_the_dedupe_rules(workbook: Path, tmp_path: Path) -> None:
    source = write_cp1251_csv(tmp_path)
    table = read_source(source)
    assert (table.kind, table.encoding, table.delimiter) == ("csv", "cp1251", ";")
    before = cells(workbook)

    result = import_rows(source, workbook, today=TODAY)

    assert [(r.source_row, r.outcome, r.client_id) for r in result.records] == [
        (2, MERGED, "C000001"),
        (3, ADDED, "C000008"),
        (4, MERGED, "C000008"),
        (5, REVIEW, "C000009"),
        (6, SKIPPED, ""),
    ]
    assert "C000002" in str(result.records[3].detail)
    assert {m["header"]: m["column"] for m in result.mapping} == {
        "ФИО": "Контактное лицо",
        "Компания": "Компания",
        "ИНН": "ИНН",
        "Телефон": "Телефон",
        "Мобильный телефон": "Телефон",
        "E-mail": "Email",
        "Город": "Город",
        "Дата рождения": "День рождения",
        "Ответственный": "Менеджер",
        "Примечание": "Комментарий",
        "Теги": None,
    }

    clients = rows_by_id(workbook)
    assert clients["C000001"] == {
        **{k: v for k, v in base_clients()[0].items() if k != "created"},
        "email": "ivan@romashka.ru",
        "comment": "Постоянный клиент",
        "created": clients["C000001"]["created"],
    }
    assert day(clients["C000001"]["created"]) == dt.date(2024, 1, 10)
    morozova = clients["C000008"]
    assert {k: day(v) if k in ("birthday", "created") else v for k, v in morozova.items()} == {
        "client_id": "C000008",
        "name": "Морозова Анна Викторовна",
        "company": "ИП Морозова",
        "inn": "958969350470",
        "phone": "+7 (912) 000-11-22, 8 912 000 11 23",
        "email": "anna@moroz.ru, a.morozova@mail.ru",
        "city": "Екатеринбург",
        "birthday": dt.date(1985, 3, 5),
        "manager": "Борис",
        "created": TODAY,
    }
    sidorova = clients["C000009"]
    assert {k: day(v) if k == "created" else v for k, v in sidorova.items()} == {
        "client_id": "C000009",
        "name": "Сидорова Ольга Петровна",
        "phone": "8 (917) 555-44-33",
        "city": "Казань",
        "manager": "Борис",
        "created": TODAY,
    }
    assert set(clients) == {"C000001", "C000002", "C000007", "C000008", "C000009"}
    # Email and Comment of C000001 (row 2), and rows 5 and 6 appended below the three clients.
    assert_only_changed(
        before,
        cells(workbook),
        CLIENTS_RU,
        {
            "F2",
            "P2",
            *(
                f"{c}{r}"
                for r in (5, 6)
                for c in "ABCDEFGIKQ"
                if (r, c) not in {(6, "C"), (6, "D"), (6, "F"), (6, "I")}
            ),
        },
        added=(DUPLICATES_RU, MERGE_LOG_RU),
    )
    assert [r.merge_id for r in result.records] == ["M0001", "", "", "", ""]


AMOCRM_HEADERS = [
    "ID",
    "Полное имя контакта",
    "Название компании",
    "Рабочий телефон",
    "Мобильный телефон",
    "Рабочий email",
    "Личный email",
    "Должность",
    "Ответственный",
    "Дата создания",
    "Теги",
]
AMOCRM_ROWS = [
    [
        "1001",
        "Волков Дмитрий",
        "ООО Север",
        "+7 (921) 123-45-67",
        "+7 921 765-43-21",
        "volkov@sever.ru",
        "d.volkov@gmail.com",
        "Директор",
        "Анна",
        "12.02.2023 14:05:00",
        "VIP",
    ],
    [
        "1002",
        "Кузнецов Андрей",
        "ООО «Вектор»",
        "+7 903 111-22-33",
        "",
        "",
        "a.kuz@vector.ru",
        "",
        "Анна",
        "01.06.2023 09:00:00",
        "",
    ],
]


def write_amocrm_csv(folder: Path) -> Path:
    path = folder / "amocrm_export.csv"
    lines = [",".join(AMOCRM_HEADERS)] + [",".join(f'"{v}"' if " " in v else v for v in row) for row in AMOCRM_ROWS]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    return path


def test_amocrm_export_utf8_bom_comma_csv(workbook: Path, tmp_path: Path) -> None:
    source = write_amocrm_csv(tmp_path)
    before = cells(workbook)

    result = import_rows(source, workbook, today=TODAY)

    assert read_source(source).encoding == "utf-8-sig"
    assert [(r.outcome, r.client_id) for r in result.records] == [(ADDED, "C000008"), (MERGED, "C000007")]
    mapping = {m["header"]: m["column"] for m in result.mapping}
    assert mapping == {
        "ID": None,
        "Полное имя контакта": "Контактное лицо",
        "Название компании": "Компания",
        "Рабочий телефон": "Телефон",
        "Мобильный телефон": "Телефон",
        "Рабочий email": "Email",
        "Личный email": "Email",
        "Должность": None,
        "Ответственный": "Менеджер",
        "Дата создания": "Создан",
        "Теги": None,
    }
    clients = rows_by_id(workbook)
    volkov = {k: day(v) if k == "created" else v for k, v in clients["C000008"].items()}
    assert volkov == {
        "client_id": "C000008",
        "name": "Волков Дмитрий",
        "company": "ООО Север",
        "phone": "+7 (921) 123-45-67, +7 921 765-43-21",
        "email": "volkov@sever.ru, d.volkov@gmail.com",
        "manager": "Анна",
        "created": dt.date(2023, 2, 12),
    }
    assert clients["C000007"]["email"] == "a.kuz@vector.ru"
    assert_only_changed(
        before, cells(workbook), CLIENTS_RU, {"F4", *(f"{c}5" for c in "ABCEFKQ")}, added=(MERGE_LOG_RU,)
    )


BITRIX_HTML = """<html>
<head><meta http-equiv="Content-type" content="text/html;charset=UTF-8" /></head>
<body>
<table border="1">
<tr><th>ID</th><th>Фамилия</th><th>Имя</th><th>Отчество</th><th>Название компании</th><th>Рабочий телефон</th>
<th>Мобильный телефон</th><th>Рабочий e-mail</th><th>Реквизит (Россия): ИНН</th><th>Ответственный</th>
<th>Дата создания</th><th>Источник</th></tr>
<tr><td>15</td><td>Лебедева</td><td>Мария</td><td>Игоревна</td><td>ООО &quot;Луч&quot;</td>
<td>+7 (495) 222-33-44<br>+7 (495) 222-33-45</td><td>+7 926 111 22 33</td><td>info@luch.ru</td>
<td>8762328602</td><td>Борис</td><td>15.03.2024 10:12:00</td><td>Сайт</td></tr>
<tr><td>16</td><td>Петров</td><td>Иван</td><td>Сергеевич</td><td>ООО Ромашка</td><td>+7 916 123-45-67</td>
<td></td><td>petrov@romashka.ru</td><td>3982597915</td><td>Анна</td><td>10.01.2024 09:00:00</td><td></td></tr>
</table>
</body></html>
"""


def write_bitrix_html(folder: Path) -> Path:
    path = folder / "CONTACT_20241115.xls"
    path.write_text(BITRIX_HTML, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("span", "row"),
    [
        ('colspan="2"', ("Анна", None, "Сайт")),
        ('colspan=" 2px"', ("Анна", None, "Сайт")),
        ('colspan="٢"', ("Анна", "Сайт", None)),
        ('colspan="0"', ("Анна", "Сайт", None)),
    ],
)
def test_a_cell_of_an_html_export_spans_the_columns_its_colspan_says(
    span: str, row: tuple[object, ...], tmp_path: Path
) -> None:
    # As a browser reads colspan: ASCII digits, what follows them ignored; "٢" (Arabic-Indic two) spans one column.
    source = tmp_path / "export.xls"
    source.write_text(
        f"<html><body><table><tr><th>Имя</th><th>Телефон</th><th>Источник</th></tr>"
        f"<tr><td {span}>Анна</td><td>Сайт</td></tr></table></body></html>",
        encoding="utf-8",
    )
    assert read_source(source).rows == (row,)


def test_a_cell_of_an_html_export_spanning_rows_keeps_the_cells_beside_it_under_their_headers(tmp_path: Path) -> None:
    # A page that groups a client's orders writes the name once, over several rows (rowspan): the rows below it
    # start one cell short, and read cell by cell their phone would land under Имя.
    source = tmp_path / "export.xls"
    source.write_text(
        "<html><body><table><thead><tr><th rowspan='3'>Имя</th><th>Телефон</th><th>Источник</th></tr></thead><tbody>"
        "<tr><td rowspan='2'>Анна</td><td>+7 916 111-22-33</td><td>Сайт</td></tr>"
        "<tr><td>+7 916 444-55-66</td><td>Звонок</td></tr>"
        "<tr><td>Борис</td><td rowspan='0'>+7 903 777-88-99</td><td>Сайт</td></tr>"
        "<tr><td>Вера</td><td>Звонок</td></tr>"
        "</tbody></table></body></html>",
        encoding="utf-8",
    )
    table = read_source(source)
    assert table.headers == ("Имя", "Телефон", "Источник")  # the header's span ends with its group (thead)
    assert table.rows == (
        ("Анна", "+7 916 111-22-33", "Сайт"),
        (None, "+7 916 444-55-66", "Звонок"),
        ("Борис", "+7 903 777-88-99", "Сайт"),
        ("Вера", None, "Звонок"),  # rowspan="0": to the end of the rows' group
    )


def test_bitrix24_html_disguised_as_xls(workbook: Path, tmp_path: Path) -> None:
    source = write_bitrix_html(tmp_path)
    before = cells(workbook)

    result = import_rows(source, workbook, today=TODAY)

    assert read_source(source).kind == "html"
    mapping = {m["header"]: m["column"] for m in result.mapping}
    assert mapping == {
        "ID": None,
        "Фамилия": "Контактное лицо",
        "Имя": "Контактное лицо",
        "Отчество": "Контактное лицо",
        "Название компании": "Компания",
        "Рабочий телефон": "Телефон",
        "Мобильный телефон": "Телефон",
        "Рабочий e-mail": "Email",
        "Реквизит (Россия): ИНН": "ИНН",
        "Ответственный": "Менеджер",
        "Дата создания": "Создан",
        "Источник": "Источник",
    }
    assert [(r.outcome, r.client_id) for r in result.records] == [(ADDED, "C000008"), (MERGED, "C000001")]
    clients = rows_by_id(workbook)
    lebedeva = {k: day(v) if k == "created" else v for k, v in clients["C000008"].items()}
    assert lebedeva == {
        "client_id": "C000008",
        "name": "Лебедева Мария Игоревна",
        "company": 'ООО "Луч"',
        "inn": "8762328602",
        "phone": "+7 (495) 222-33-44, +7 (495) 222-33-45, +7 926 111 22 33",
        "email": "info@luch.ru",
        "source": "Сайт",
        "manager": "Борис",
        "created": dt.date(2024, 3, 15),
    }
    assert clients["C000001"]["email"] == "petrov@romashka.ru"
    assert_only_changed(
        before, cells(workbook), CLIENTS_RU, {"F2", *(f"{c}5" for c in "ABCDEFJKQ")}, added=(MERGE_LOG_RU,)
    )


def write_russian_xlsx(folder: Path) -> Path:
    path = folder / "list.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["E-mail", "Город", "ИНН", "Контактное лицо", "Телефон", "Компания", "Дата рождения", "Источник", "Рейтинг"]
    )
    sheet.append(
        [
            "lena@kvant.ru",
            "Самара",
            2734646867,
            "Елена Орлова",
            79031234567,
            "АО Квант",
            dt.datetime(1990, 7, 1),
            "Сайт",
            "4",
        ]
    )
    sheet.append([None, None, None, None, None, None, None, None, None])
    sheet.append(
        ["boris@kvant.ru", "Самара", None, "Борис Орлов", "+7 903 765-43-21", "АО Квант", "12.12.1988", "Выставка", 5]
    )
    book.save(path)
    return path


def test_xlsx_with_russian_headers_in_another_order_into_an_english_workbook(tmp_path: Path) -> None:
    workbook = tmp_path / "base.xlsx"
    build_workbook(
        "en",
        rows={
            "clients": [
                {"client_id": "K12", "name": "Anna Smirnova", "phone": "+7 999 000-00-01", "manager": "Manager 1"}
            ]
        },
    ).save(workbook)
    source = write_russian_xlsx(tmp_path)
    before = cells(workbook)

    result = import_rows(source, workbook, today=TODAY)

    assert [(r.source_row, r.outcome, r.client_id) for r in result.records] == [(2, ADDED, "K13"), (4, ADDED, "K14")]
    clients = rows_by_id(workbook)
    assert {k: day(v) if k in ("birthday", "created") else v for k, v in clients["K13"].items()} == {
        "client_id": "K13",
        "name": "Елена Орлова",
        "company": "АО Квант",
        "inn": "2734646867",
        "phone": "79031234567",
        "email": "lena@kvant.ru",
        "city": "Самара",
        "birthday": dt.date(1990, 7, 1),
        "source": "Website",
        "rating": 4,
        "created": TODAY,
    }
    assert {k: day(v) if k in ("birthday", "created") else v for k, v in clients["K14"].items()} == {
        "client_id": "K14",
        "name": "Борис Орлов",
        "company": "АО Квант",
        "phone": "+7 903 765-43-21",
        "email": "boris@kvant.ru",
        "city": "Самара",
        "birthday": dt.date(1988, 12, 12),
        "source": "Exhibition",
        "rating": 5,
        "created": TODAY,
    }
    assert_only_changed(
        before,
        cells(workbook),
        schema.CLIENTS.name("en"),
        {f"{c}{r}" for r in (3, 4) for c in "ABCDEFGIJNQ" if (r, c) != (4, "D")},
    )


# --- contacts and interactions ------------------------------------------------------------------------------


def test_contacts_and_interactions_need_a_known_client_and_are_not_repeated(workbook: Path, tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "ID клиента,ФИО,Должность,Мобильный телефон,Рабочий email,ЛПР\n"
        "C000001,Мария Иванова,Бухгалтер,+7 912 345-67-89,maria@romashka.ru,да\n"
        "C999999,Никто Никтович,,,,\n",
        encoding="utf-8",
    )
    interactions = tmp_path / "interactions.csv"
    interactions.write_text(
        "Дата;ID клиента;Тип;Сумма;Примечание\n"
        "05.03.2024;C000001;Заказ;12 500,50 руб.;первый заказ\n"
        "06.03.2024;C000007;Call out;;\n",
        encoding="utf-8",
    )

    first = import_rows(contacts, workbook, sheet="contacts", today=TODAY)
    second = import_rows(interactions, workbook, sheet="interactions", today=TODAY)

    assert [(r.outcome, r.client_id) for r in first.records] == [(ADDED, "C000001"), (SKIPPED, "C999999")]
    assert [(r.outcome, r.client_id) for r in second.records] == [(ADDED, "C000001"), (ADDED, "C000007")]
    data = read_workbook(workbook)
    contact = {k: v for k, v in data.sheets["contacts"].frame.iloc[-1].items() if v is not None}
    assert contact == {
        "client_id": "C000001",
        "name": "Мария Иванова",
        "role": "Бухгалтер",
        "phone": "+7 912 345-67-89",
        "email": "maria@romashka.ru",
        "decision_maker": "Да",
    }
    log = [
        {k: day(v) if k == "date" else v for k, v in row.items() if v is not None}
        for row in data.sheets["interactions"].frame.to_dict("records")
    ]
    assert log == [
        {
            "date": dt.date(2024, 3, 5),
            "client_id": "C000001",
            "type": "Заказ",
            "amount": 12500.5,
            "comment": "первый заказ",
        },
        {"date": dt.date(2024, 3, 6), "client_id": "C000007", "type": "Исходящий звонок"},
    ]
    saved = workbook.read_bytes()
    assert {r.outcome for r in import_rows(interactions, workbook, sheet="interactions").records} == {UNCHANGED}
    assert {r.outcome for r in import_rows(contacts, workbook, sheet="contacts").records} == {UNCHANGED, SKIPPED}
    assert workbook.read_bytes() == saved


# --- mapping file -------------------------------------------------------------------------------------------


def test_mapping_file_overrides_the_automatic_choice(workbook: Path, tmp_path: Path) -> None:
    source = tmp_path / "own.csv"
    source.write_text(
        "Клиент;Телефон офиса;Телефон;Заметки менеджера\n"
        "Орлов Пётр;+7 495 100-20-30;+7 916 000-00-09;звонить после обеда\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "map.txt"
    mapping.write_text(
        "# мои столбцы\nТелефон офиса = Phone\nЗаметки менеджера = Комментарий\nТелефон = -\n", encoding="utf-8"
    )

    result = import_rows(source, workbook, mapping_file=mapping, today=TODAY)

    assert [(m["header"], m["column"], str(m["origin"])) for m in result.mapping] == [
        ("Клиент", "Контактное лицо", "auto"),
        ("Телефон офиса", "Телефон", "mapping file"),
        ("Телефон", None, "skipped by the mapping file"),
        ("Заметки менеджера", "Комментарий", "mapping file"),
    ]
    orlov = rows_by_id(workbook)["C000008"]
    assert (orlov["phone"], orlov["comment"]) == ("+7 495 100-20-30", "звонить после обеда")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "koi8-r", "cp1251", "utf-8"])
def test_csv_in_every_encoding_russian_exports_use_reads_the_same_rows(tmp_path: Path, encoding: str) -> None:
    """UTF-16 without a byte order mark and KOI8-R used to import NUL characters and mojibake, exit 0."""
    utf8 = tmp_path / "utf8.csv"
    utf8.write_text(CP1251_CSV.replace("«", '"').replace("»", '"'), encoding="utf-8")
    source = tmp_path / f"{encoding}.csv"
    source.write_bytes(utf8.read_text(encoding="utf-8").encode(encoding))

    table, expected = read_source(source), read_source(utf8)

    assert (table.encoding, table.delimiter) == (encoding, ";")
    assert (table.headers, table.rows, table.row_numbers) == (expected.headers, expected.rows, expected.row_numbers)
    assert not any("\0" in str(cell) for row in table.rows for cell in row)


@pytest.mark.parametrize("text", ["ООО РОМАШКА;ИП СИДОРОВ;ФИО\n", "Имя;Город\nЮлия;Щёлково\n"])
@pytest.mark.parametrize("encoding", ["koi8-r", "cp1251"])
def test_the_cyrillic_code_page_is_told_for_capitals_and_rare_letters_too(
    tmp_path: Path, text: str, encoding: str
) -> None:
    source = tmp_path / "short.csv"
    source.write_bytes(text.encode(encoding))

    table = read_source(source)

    assert table.encoding == encoding
    assert table.headers == tuple(text.splitlines()[0].split(";"))


def test_cli_imports_a_koi8_r_csv_as_it_does_the_same_in_windows_1251(workbook: Path, tmp_path: Path) -> None:
    source = tmp_path / "koi8.csv"
    source.write_bytes(CP1251_CSV.replace("«", '"').replace("»", '"').encode("koi8-r"))

    result = CliRunner().invoke(
        cli, ["--lang", "en", "import", str(source), "--into", str(workbook), "--dry-run", "--today", "2026-11-23"]
    )

    assert result.exit_code == 0, result.output
    assert f"Read {source} as CSV (koi8-r, ';')" in result.output
    assert (
        "Would add 2 rows, would merge 2 into matching clients, 0 already in the workbook, 1 skipped" in result.output
    )


# --- the command -------------------------------------------------------------------------------------------


def test_cli_dry_run_shows_the_mapping_and_writes_nothing(workbook: Path, tmp_path: Path) -> None:
    source = write_cp1251_csv(tmp_path)
    saved = workbook.read_bytes()

    result = CliRunner().invoke(
        cli, ["import", str(source), "--into", str(workbook), "--dry-run", "--today", "2026-11-23"]
    )

    assert result.exit_code == 0, result.output
    assert f"Прочитан файл {source}: CSV (cp1251, ';')\nСтолбцы для листа «Клиенты»:\n" in result.output
    assert "  Мобильный телефон -> Телефон" in result.output
    assert "  Теги -> (не импортируется: нет подходящего столбца)" in result.output
    assert (
        "Будут добавлены 2 строки, 2 будут объединены с совпадающими клиентами, 0 уже есть в книге, 1 пропущена\n"
        in result.output
    )
    merged = next(line for line in result.output.splitlines() if line.startswith("  строка источника 2: "))
    assert merged.startswith("  строка источника 2: C000001, M0001 (")
    assert "тот же ИНН 3982597915; тот же телефон +79161234567" in unweighed(merged)
    assert "строка источника 5: C000009 вероятно, C000002" in result.output
    assert "Пробный запуск: книга не изменена" in result.output
    assert workbook.read_bytes() == saved


def test_cli_json_matches_the_library(workbook: Path, tmp_path: Path) -> None:
    source = write_cp1251_csv(tmp_path)
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(workbook.read_bytes())

    result = CliRunner().invoke(
        cli, ["import", str(source), "--into", str(workbook), "--json", "--today", "2026-11-23", "--keep-backups", "0"]
    )

    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    with speaking("ru"):  # the command speaks its Russian workbook's language, and so its JSON's texts
        expected = import_rows(source, copy, today=TODAY, save=SaveOptions(keep_backups=0)).to_dict()
    for key in ("mapping", "counts", "records", "changed_cells", "notes", "read_as"):
        assert payload[key] == expected[key]
    assert payload["counts"] == {"added": 1, "merged": 2, "review": 1, "unchanged": 0, "skipped": 1}


@pytest.mark.parametrize(
    "name, content, args, code, message",
    [
        ("missing.csv", None, [], 1, "missing.csv: no such file"),
        ("empty.csv", b"", [], 1, "is empty: nothing to import"),
        ("blank.csv", b";;\n;;\n", [], 1, "has no rows"),
        ("junk.csv", bytes(range(256)) * 4, [], 1, "neither an Excel file nor text"),
        (
            "dos.csv",
            "ФИО;Город\nИванов Пётр;Москва\n".encode("cp866"),
            [],
            1,
            "neither an Excel file nor text in UTF-8, UTF-16, Windows-1251 or KOI8-R; save it from Excel as CSV UTF-8",
        ),
        (
            "nul.csv",
            "ФИО;Город\nИван\0;Москва\n".encode(),
            [],
            1,
            "neither an Excel file nor text: it holds zero bytes",
        ),
        ("c.csv", "ФИО,Роль\nИван,\n".encode(), ["--sheet", "contacts"], 2, "need a ID клиента column"),
        ("m.csv", "ФИО\nИван\n".encode(), ["--map", "Имя = Name"], 2, "the source has no column 'Имя'"),
        ("n.csv", "ФИО\nИван\n".encode(), ["--map", "ФИО = Nickname"], 2, "has no column 'Nickname'"),
        ("o.csv", "ФИО\nИван\n".encode(), ["--map", "ФИО Name"], 2, "expected 'source header = column'"),
        ("p.csv", "ФИО\nИван\n".encode(), ["--map", "ФИО = ClientID"], 2, "is given by xlcrm"),
    ],
)
def test_bad_input_gets_one_message_and_leaves_the_workbook(
    workbook: Path, tmp_path: Path, name: str, content: bytes | None, args: list[str], code: int, message: str
) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    if args[:1] == ["--map"]:
        mapping = tmp_path / "map.txt"
        mapping.write_text(args[1] + "\n", encoding="utf-8")
        args = ["--map", str(mapping)]
    saved = workbook.read_bytes()

    result = CliRunner().invoke(cli, ["--lang", "en", "import", str(source), "--into", str(workbook), *args])

    assert result.exit_code == code, result.output
    assert message in result.output
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    assert workbook.read_bytes() == saved
    # Without --lang the same refusal is said in the Russian workbook's language.
    result = CliRunner().invoke(cli, ["import", str(source), "--into", str(workbook), *args])
    assert result.exit_code == code, result.output
    assert result.output.startswith("Ошибка: ") and "Error" not in result.output and "Traceback" not in result.output
    assert workbook.read_bytes() == saved


def test_a_workbook_that_is_not_one_is_refused(tmp_path: Path) -> None:
    source = write_cp1251_csv(tmp_path)
    result = CliRunner().invoke(cli, ["import", str(source), "--into", str(tmp_path / "none.xlsx")])
    assert result.exit_code == 1
    assert "none.xlsx: no such file" in result.output


# --- units ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, delimiter", [("a;b;c\n1;2,5;3\n", ";"), ('a,b,c\n1,"2;5",3\n', ","), ("a\tb\n1\t2\n", "\t"), ("a\n1\n", ";")]
)
def test_sniff_delimiter(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


@pytest.mark.parametrize(
    "ids, expected",
    [
        ([], ("C", 6, 0)),
        (["C000001", "C000041", None, "x"], ("C", 6, 41)),
        (["K1", "K12", "C000003"], ("K", 1, 12)),
        ([12, 15.0], ("", 2, 15)),
        (["C01", "C0002"], ("C", 2, 2)),
    ],
)
def test_id_sequence(ids: list[object], expected: tuple[str, int, int]) -> None:
    assert id_sequence(ids) == expected


def test_synonyms_name_one_column_each() -> None:
    for sheet_key, columns in schema.IMPORT_SYNONYMS.items():
        spec = schema.sheet_by_key(sheet_key)
        seen: dict[str, str] = {}
        for key, texts in columns.items():
            spec.column(key)
            for text in texts:
                assert seen.setdefault(schema.fold(text), key) == key, (sheet_key, text)
                own = schema.match_column(spec, text)
                assert own is None or own.key == key, (sheet_key, text)


def test_a_probable_duplicate_imported_is_listed_by_dedupe(workbook: Path, tmp_path: Path) -> None:
    from xlcrm.jobs.dedupe import dedupe_workbook

    import_rows(write_cp1251_csv(tmp_path), workbook, today=TODAY)

    plan = dedupe_workbook(workbook, dry_run=True)
    assert [pair["client_ids"] for pair in plan.review] == [["C000002", "C000009"]]
    assert plan.merges == []


def test_records_with_nothing_to_block_by_are_found_by_name(workbook: Path, tmp_path: Path) -> None:
    source = tmp_path / "names.csv"
    source.write_text("Имя;Город\nАлёна;\nАлёна;\n;Самара\n", encoding="utf-8")

    first = import_rows(source, workbook, today=TODAY)
    second = import_rows(source, workbook, today=TODAY)

    assert [(r.outcome, r.client_id) for r in first.records] == [
        (ADDED, "C000008"),
        (UNCHANGED, "C000008"),
        (ADDED, "C000009"),
    ]
    assert {r.outcome for r in second.records} == {UNCHANGED}
    clients = rows_by_id(workbook)
    assert (clients["C000008"]["name"], clients["C000009"]["city"]) == ("Алёна", "Самара")


@pytest.mark.libreoffice
def test_an_old_excel_97_xls_file(workbook: Path, tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["Телефон", "ФИО", "Компания", "Дата рождения"])
    book.active.append(["+7 916 222-33-44", "Зайцев Олег", "ООО Заря", dt.datetime(1979, 1, 31)])
    book.save(tmp_path / "old.xlsx")
    source = convert_with_libreoffice(tmp_path / "old.xlsx", "xls", tmp_path / "converted")
    assert source.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

    result = import_rows(source, workbook, today=TODAY)

    assert read_source(source).kind == "workbook"
    assert [(r.outcome, r.client_id) for r in result.records] == [(ADDED, "C000008")]
    added = rows_by_id(workbook)["C000008"]
    assert {k: day(v) if k in ("birthday", "created") else v for k, v in added.items()} == {
        "client_id": "C000008",
        "name": "Зайцев Олег",
        "company": "ООО Заря",
        "phone": "+7 916 222-33-44",
        "birthday": dt.date(1979, 1, 31),
        "created": TODAY,
    }


@pytest.mark.parametrize("write", ["write_cp1251_csv", "write_amocrm_csv", "write_bitrix_html", "write_russian_xlsx"])
def test_importing_the_same_file_twice_adds_nothing(workbook: Path, tmp_path: Path, write: str) -> None:
    source = globals()[write](tmp_path)
    first = import_rows(source, workbook, today=TODAY)
    assert first.save is not None
    saved = workbook.read_bytes()

    again = CliRunner().invoke(cli, ["import", str(source), "--into", str(workbook), "--json", "--today", "2026-11-24"])

    assert again.exit_code == 0, again.output
    counts = json.loads(again.output)["counts"]
    assert counts["added"] == counts["merged"] == counts["review"] == 0
    assert counts["unchanged"] == len(first.records) - first.count(SKIPPED)
    assert workbook.read_bytes() == saved


def test_the_same_row_twice_in_one_file_is_two_rows(workbook: Path, tmp_path: Path) -> None:
    """Two calls on one day and two equal orders are four rows, not two: only a row the sheet held before meets its
    copy. Importing the file again adds nothing; a sheet holding one of the two calls gets the other."""
    source = tmp_path / "звонки.csv"
    source.write_text(
        "Дата;ID клиента;Тип;Сумма\n"
        "02.11.2026;C000001;Исходящий звонок;\n"
        "02.11.2026;C000001;Исходящий звонок;\n"
        "03.11.2026;C000002;Заказ;5000\n"
        "03.11.2026;C000002;Заказ;5000\n",
        encoding="utf-8",
    )
    first = import_rows(source, workbook, sheet="interactions", today=TODAY, save=SaveOptions(keep_backups=0))
    assert [record.outcome for record in first.records] == [ADDED] * 4
    interactions = read_workbook(workbook).sheets["interactions"].frame
    assert sorted(interactions["amount"].fillna(0).tolist()) == [0, 0, 5000, 5000]

    again = import_rows(source, workbook, sheet="interactions", today=TODAY, save=SaveOptions(keep_backups=0))
    assert [record.outcome for record in again.records] == [UNCHANGED] * 4 and again.save is None

    book = load_workbook(workbook)
    book[schema.INTERACTIONS.name("ru")].delete_rows(2)  # one of the two calls
    book.save(workbook)
    third = import_rows(
        source, workbook, sheet="interactions", today=TODAY, save=SaveOptions(keep_backups=0), accept_deletions=True
    )
    assert [record.outcome for record in third.records] == [UNCHANGED, ADDED, UNCHANGED, UNCHANGED]


def test_an_amount_that_may_be_a_thousand_or_a_fraction_stays_as_typed(workbook: Path, tmp_path: Path) -> None:
    """ "1,500" is 1500 to an English typist and 1.5 to a Russian one: it is imported as the text it is, for validate
    to list; "1 500,50" is a number either way."""
    source = tmp_path / "orders.csv"
    source.write_text(
        'Date,ClientID,Type,Amount\n02.11.2026,C000001,Order,"1,500"\n03.11.2026,C000001,Order,2.500\n'
        '04.11.2026,C000001,Order,"1 500,50"\n',
        encoding="utf-8",
    )
    import_rows(source, workbook, sheet="interactions", today=TODAY, save=SaveOptions(keep_backups=0))
    interactions = read_workbook(workbook).sheets["interactions"].frame
    assert interactions["amount"].tolist() == ["1,500", "2.500", 1500.5]


def test_a_column_without_a_header_is_named_by_its_letter_and_can_be_mapped(workbook: Path, tmp_path: Path) -> None:
    """Петров's only phone sits in a column the file left without a header: it is listed as "(C)", not imported,
    rather than passed over in silence; a mapping file line "(C) = Phone" imports it (phones joined in one cell)."""
    source = tmp_path / "без заголовка.csv"
    source.write_text(
        "ФИО;Телефон;;Email\nЗайцев Олег;+7 916 111-22-33;+7 495 444-55-66;oleg@x.ru\nБелова Ольга;;8 912 200-00-00;\n",
        encoding="utf-8",
    )
    listed = CliRunner().invoke(cli, ["import", str(source), "--into", str(workbook), "--dry-run"])
    assert listed.exit_code == 0, listed.output
    assert "  (C) -> (не импортируется: нет подходящего столбца)\n" in listed.output

    mapping = tmp_path / "map.txt"
    mapping.write_text("(C) = Phone\n", encoding="utf-8")
    import_rows(source, workbook, mapping_file=mapping, today=TODAY, save=SaveOptions(keep_backups=0))
    phones = {client["name"]: client.get("phone") for client in rows_by_id(workbook).values()}
    assert phones["Белова Ольга"] == "8 912 200-00-00"
    assert phones["Зайцев Олег"] == "+7 916 111-22-33, +7 495 444-55-66"


def test_a_headerless_column_is_never_named_like_a_header_of_the_file(tmp_path: Path) -> None:
    """A file whose column B is headed "(C)" names its headerless column C "((C))": a mapping line names one column."""
    source = tmp_path / "odd.csv"
    source.write_text("ФИО;(C);;Email\nЗайцев Олег;заметка;+7 495 444-55-66;oleg@x.ru\n", encoding="utf-8")
    assert read_source(source).headers == ("ФИО", "(C)", "((C))", "Email")


def test_a_csv_whose_first_line_names_its_delimiter_as_excel_reads_it(workbook: Path, tmp_path: Path) -> None:
    """Excel writes and reads a first line "sep=;" that names the delimiter: it is no header row, and the records
    below it are imported (before, "sep=" became the only header and every record was skipped, with exit 0)."""
    source = tmp_path / "excel.csv"
    source.write_bytes('sep=,\r\nФИО,Телефон\r\n"Зайцев, Олег",+7 916 111-22-33\r\n'.encode("utf-8-sig"))
    table = read_source(source)
    assert (table.delimiter, table.headers, table.rows, table.row_numbers) == (
        ",",
        ("ФИО", "Телефон"),
        (("Зайцев, Олег", "+7 916 111-22-33"),),
        (3,),
    )
    result = import_rows(source, workbook, today=TODAY, save=SaveOptions(keep_backups=0))
    assert [(record.source_row, record.outcome) for record in result.records] == [(3, ADDED)]


def test_headers_mapped_to_name_by_the_mapping_file_are_joined_in_its_order(workbook: Path, tmp_path: Path) -> None:
    source = tmp_path / "own.csv"
    source.write_text("Имя клиента;Фамилия клиента;Тел\nОльга;Белова;+7 916 555-00-11\n", encoding="utf-8")
    mapping = tmp_path / "map.txt"
    mapping.write_text("Фамилия клиента = Name\nИмя клиента = Контактное лицо\nТел = phone\n", encoding="cp1251")

    result = import_rows(source, workbook, mapping_file=mapping, today=TODAY)

    assert [(r.outcome, r.client_id) for r in result.records] == [(ADDED, "C000008")]
    added = rows_by_id(workbook)["C000008"]
    assert (added["name"], added["phone"]) == ("Белова Ольга", "+7 916 555-00-11")


def test_a_merge_never_writes_over_a_clients_formula(workbook: Path, tmp_path: Path) -> None:
    """C000001's Email and Comment are the owner's formulas, blank for now, in a file LibreOffice saved (each result
    kept as an empty text): the record merged in fills neither, and says so; unmerge leaves them too."""
    book = load_workbook(workbook)
    sheet = book[CLIENTS_RU]
    sheet["F2"] = '=IF(G2="Москва","","x@example.com")'
    sheet["P2"] = '=""'
    book.save(tmp_path / "formulas.xlsx")
    saved = convert_with_libreoffice(tmp_path / "formulas.xlsx", "xlsx", tmp_path / "libreoffice")
    assert rows_by_id(saved)["C000001"].get("email", "") == ""  # the result reads as blank
    before = cells(saved)

    imported = import_rows(write_cp1251_csv(tmp_path), saved, today=TODAY, save=SaveOptions(keep_backups=0))

    first = imported.records[0]
    assert (first.source_row, first.outcome, first.client_id) == (2, SKIPPED, "C000001")
    assert render(first.detail, "ru").endswith(
        "; значения не записаны (столбцы: Email и Комментарий): в этих ячейках клиента формулы, они оставлены как есть"
    )
    after = cells(saved)
    assert after[CLIENTS_RU]["F2"] == '=IF(G2="Москва","","x@example.com")' and after[CLIENTS_RU]["P2"] == '=""'
    assert {ref for ref in before[CLIENTS_RU] if ref[1:] == "2"} == {ref for ref in after[CLIENTS_RU] if ref[1:] == "2"}


def test_a_merge_made_by_an_import_is_logged_and_can_be_undone(workbook: Path, tmp_path: Path) -> None:
    original = rows_by_id(workbook)["C000001"]
    known = set(rows_by_id(workbook))
    imported = import_rows(write_cp1251_csv(tmp_path), workbook, today=TODAY)
    assert rows_by_id(workbook)["C000001"]["email"] == "ivan@romashka.ru"
    # The Merge log says why, as the command did: the source row and the reasons of its match.
    merged = next(record for record in imported.records if record.merge_id == "M0001")
    log = read_merge_log(read_sheet_rows(workbook, schema.MERGE_LOG))
    [survivor, record] = log.entries
    # In the workbook's language (Russian), the reasons of the match as the import gave them.
    assert survivor.why == f"строка источника {merged.source_row}: {render(merged.detail, 'ru')}"
    assert survivor.why.startswith("строка источника 2: ")
    assert "тот же ИНН 3982597915; тот же телефон +79161234567" in unweighed(survivor.why)
    # The record merged in is logged too, as it came from the file: the match model keeps learning from the pair.
    assert (record.merge_id, record.role, record.sheet, record.row) == ("M0001", "imported", "старая база.csv", 2)
    assert record.why == survivor.why
    values = logged_values(log.headers, record.values)
    assert (values["client_id"], values["email"]) == ("C000001", "ivan@romashka.ru")

    result = CliRunner().invoke(cli, ["unmerge", str(workbook), "M0001"])

    assert result.exit_code == 0, result.output
    clients = rows_by_id(workbook)
    assert clients["C000001"] == original
    assert {"C000008", "C000009"} <= set(clients)
    # The survivor is as it was; the imported record is not put back as a client of its own (it never was one).
    assert set(clients) == known | {"C000008", "C000009"}
    assert not schema.find_sheet_name(schema.MERGE_LOG, load_workbook(workbook, read_only=True).sheetnames)
