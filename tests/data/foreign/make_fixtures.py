"""Write the foreign-program fixtures: a Russian client base as openpyxl, xlsxwriter, pandas and LibreOffice save it.

Run from the repository root with the project's virtual environment (it needs
openpyxl, xlsxwriter and pandas; LibreOffice's ``soffice`` for the last file):

    python tests/data/foreign/make_fixtures.py [FILE ...]

(all files, or only those named).

Each workbook holds the same data: «Клиенты» (20 clients, two of them entered
twice: same name and phone, a later ClientID, so dedupe merges them),
«Взаимодействия» (calls and orders, some of them of the repeated clients) and
«Настройки» (the managers list), and around them things xlcrm does not own: a
«Заметки» sheet with formulas reading Clients and Interactions, a title merged
across cells, a chart, cell comments (one on a client below a repeated one, so
it has to move with its row), a defined name and conditional formatting. In the
xlsxwriter files with shared strings the clients are an Excel table, and one of
them counts dates from 1904 (``date_1904``, as workbooks from Excel for Mac may);
in the one with inline strings the managers have a dropdown (data validation); in
the pandas file written with openpyxl every email is a mailto link and the
managers have a dropdown. The files are committed, so the tests do not depend on
these libraries' versions; the tests read each file's rows before and after a
command.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CLIENTS_SHEET, INTERACTIONS_SHEET, SETTINGS_SHEET, NOTES_SHEET = "Клиенты", "Взаимодействия", "Настройки", "Заметки"
CLIENT_HEADERS = (
    "ID клиента",
    "Контактное лицо",
    "Компания",
    "Телефон",
    "Email",
    "Город",
    "Источник",
    "Менеджер",
    "Статус",
    "Рейтинг",
    "Комментарий",
    "Создан",
    "Скидка, %",
)  # the last one is the user's own
INTERACTION_HEADERS = ("Дата", "ID клиента", "Тип", "Сумма", "Менеджер", "Комментарий")
MANAGERS = ("Анна Смирнова", "Борис Орлов", "Вера Ким")

_PEOPLE = (
    ("Иванов Сергей Петрович", "ООО «Ромашка»", "Москва"),
    ("Петрова Анна Викторовна", "ИП Петрова", "Казань"),
    ("Сидоров Алексей", "АО «Вектор»", "Самара"),
    ("Кузнецова Мария", "ООО «Луч»", "Пермь"),
    ("Смирнов Дмитрий Олегович", "ООО «Север & Юг»", "Томск"),
    ("Васильева Ольга", "ИП Васильева О. Н.", "Омск"),
    ("Попов Игорь", "ООО «Стройка-2»", "Уфа"),
    ("Новикова Елена Сергеевна", "ЗАО «Мир»", "Сочи"),
    ("Фёдоров Павел", "ООО «Ёлка»", "Тверь"),
    ("Морозова Татьяна", "ООО «Альфа <Плюс>»", "Псков"),
    ("Волков Николай", "ИП Волков", "Курск"),
    ("Алексеева Ирина", "ООО «Берег»", "Киров"),
    ("Лебедев Андрей", "ООО «Гранит»", "Орёл"),
    ("Семёнова Юлия", "ООО «Дом»", "Тула"),
    ("Егоров Максим", "АО «Заря»", "Рязань"),
    ("Павлова Светлана", "ООО «Ива»", "Чита"),
    ("Козлов Артём", "ИП Козлов А. А.", "Вологда"),
    ("Степанова Наталья", "ООО «Кедр»", "Липецк"),
)
# The rows (0-based, in CLIENTS) entered again further down: same name, phone and company, a later ClientID.
REPEATED = (2, 6)


def _clients() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for number, (name, company, city) in enumerate(_PEOPLE, start=1):
        phone = f"+7 9{number:02d} 123-45-{number:02d}"
        email = f"client{number}@example.ru" if number % 3 else None  # some blanks: merges fill them
        comment = (
            "Перезвонить после 15:00\nспросить про скидку" if number == 5 else ("VIP с 2023" if number == 1 else None)
        )
        rows.append(
            (
                f"C{number:04d}",
                name,
                company,
                phone,
                email,
                city,
                ("Рекомендация", "Сайт", "Реклама")[number % 3],
                MANAGERS[number % 3],
                "VIP" if number == 1 else ("Ключевой" if number == 4 else None),
                number % 5 + 1,
                comment,
                dt.date(2024, 1, 1) + dt.timedelta(days=11 * number),
                (5, 10, None)[number % 3],
            )
        )
    for index, position in zip(REPEATED, (12, 16)):
        original = rows[index]
        number = len(rows) + 1
        repeated = (
            f"C{number:04d}",
            *original[1:4],
            f"dup{number}@example.ru" if original[4] is None else None,
            original[5],
            "Сайт",
            original[7],
            None,
            None,
            None,
            dt.date(2025, 6, number),
            None,
        )
        rows.insert(position, repeated)
    return rows


CLIENTS: list[tuple[object, ...]] = _clients()


def _interactions() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    ids = [row[0] for row in CLIENTS]
    for number in range(30):
        client = ids[(number * 7) % len(ids)]
        kind = ("Заказ", "Исходящий звонок", "Встреча")[number % 3]
        amount = 1500.0 + 250 * number if kind == "Заказ" else None
        rows.append(
            (
                dt.date(2026, 1, 5) + dt.timedelta(days=9 * number),
                client,
                kind,
                amount,
                MANAGERS[number % 3],
                f"Комментарий № {number}" if number % 4 == 0 else None,
            )
        )
    return rows


INTERACTIONS: list[tuple[object, ...]] = _interactions()

# Notes formulas: ranges above the repeated rows or whole columns, which no merge moves.
NOTES_ROWS = (
    ("Клиентов в базе", f"=COUNTA('{CLIENTS_SHEET}'!A:A)-1"),
    ("Первый клиент", f"='{CLIENTS_SHEET}'!B2"),
    ("Выручка", f"=SUM({INTERACTIONS_SHEET}!D:D)"),
    ("Заказов", f'=COUNTIF({INTERACTIONS_SHEET}!C:C,"Заказ")'),
)
NOTES_TITLE = "Сводка менеджера (не трогать)"
DEFINED_NAME = ("Выручка_всего", f"{NOTES_SHEET}!$B$4")
# (row index in CLIENTS, text): the second client sits below the first repeated row, so its comment moves.
COMMENTS = ((0, "Постоянный клиент с 2023 года"), (17, "Звонить только утром"))
AUTHOR = "Анна"
CLIENTS_TABLE = "ClientsTable"  # an Excel table over the clients, in the xlsxwriter files with shared strings
SETTINGS_ROWS = tuple((name,) for name in MANAGERS)


def _excel_rows() -> tuple[list[list[object]], list[list[object]]]:
    return [list(CLIENT_HEADERS)] + [list(r) for r in CLIENTS], [list(INTERACTION_HEADERS)] + [
        list(r) for r in INTERACTIONS
    ]


def _openpyxl_notes(book, clients) -> None:
    """The foreign objects of an openpyxl-written book (the openpyxl and pandas-with-openpyxl files)."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill
    from openpyxl.workbook.defined_name import DefinedName

    for index, text in COMMENTS:
        clients.cell(row=index + 2, column=2).comment = Comment(text, AUTHOR)
    clients.conditional_formatting.add(
        f"J2:J{len(CLIENTS) + 1}",
        CellIsRule(operator="greaterThan", formula=["3"], fill=PatternFill("solid", start_color="FFC7CE")),
    )
    notes = book.create_sheet(NOTES_SHEET)
    notes.append([NOTES_TITLE])
    notes.merge_cells("A1:C1")
    for row in NOTES_ROWS:
        notes.append(list(row))
    chart = BarChart()
    chart.title = "Итоги"
    chart.add_data(Reference(notes, min_col=2, min_row=2, max_row=5))
    chart.set_categories(Reference(notes, min_col=1, min_row=2, max_row=5))
    notes.add_chart(chart, "D2")
    book.defined_names[DEFINED_NAME[0]] = DefinedName(DEFINED_NAME[0], attr_text=DEFINED_NAME[1])


def write_openpyxl(target: Path) -> None:
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    clients = book.active
    clients.title = CLIENTS_SHEET
    clients_rows, interaction_rows = _excel_rows()
    for row in clients_rows:
        clients.append(row)
    for cell in clients[1]:
        cell.font = Font(bold=True)
    for row in clients.iter_rows(min_row=2, min_col=12, max_col=12):
        row[0].number_format = "DD.MM.YYYY"
    interactions = book.create_sheet(INTERACTIONS_SHEET)
    for row in interaction_rows:
        interactions.append(row)
    for row in interactions.iter_rows(min_row=2, max_col=1):
        row[0].number_format = "DD.MM.YYYY"
    settings = book.create_sheet(SETTINGS_SHEET)
    settings.append(["Ключ", "Значение", "Менеджеры"])
    for (name,) in SETTINGS_ROWS:
        settings.append([None, None, name])
    _openpyxl_notes(book, clients)
    book.save(target)


def _xlsxwriter_notes(book, notes, clients) -> None:
    """The foreign objects of an xlsxwriter-written book (the xlsxwriter and pandas-with-xlsxwriter files)."""
    notes.merge_range("A1:C1", NOTES_TITLE, book.add_format({"bold": True}))
    for number, (label, formula) in enumerate(NOTES_ROWS, start=1):
        notes.write_string(number, 0, label)
        notes.write_formula(number, 1, formula)
    chart = book.add_chart({"type": "column"})
    chart.add_series(
        {"name": "Итоги", "categories": f"='{NOTES_SHEET}'!$A$2:$A$5", "values": f"='{NOTES_SHEET}'!$B$2:$B$5"}
    )
    notes.insert_chart("D2", chart)
    book.define_name(DEFINED_NAME[0], "=" + DEFINED_NAME[1])
    clients.conditional_format(
        f"J2:J{len(CLIENTS) + 1}",
        {"type": "cell", "criteria": ">", "value": 3, "format": book.add_format({"bg_color": "#FFC7CE"})},
    )
    for index, text in COMMENTS:
        clients.write_comment(index + 1, 1, text, {"author": AUTHOR})


def write_xlsxwriter(target: Path, *, constant_memory: bool, date_1904: bool = False) -> None:
    """xlsxwriter's own writer; ``constant_memory`` streams rows and writes strings inline, not shared;
    ``date_1904`` counts dates from 1904 as Excel for Mac once did."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target), {"constant_memory": constant_memory, "date_1904": date_1904})
    bold, day = book.add_format({"bold": True}), book.add_format({"num_format": "dd.mm.yyyy"})
    sheets = {}
    for name, headers, rows in (
        (CLIENTS_SHEET, CLIENT_HEADERS, CLIENTS),
        (INTERACTIONS_SHEET, INTERACTION_HEADERS, INTERACTIONS),
        (SETTINGS_SHEET, ("Ключ", "Значение", "Менеджеры"), [(None, None, name) for (name,) in SETTINGS_ROWS]),
    ):
        sheet = sheets[name] = book.add_worksheet(name)
        sheet.write_row(0, 0, headers, bold)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(number, column, dt.datetime.combine(value, dt.time()), day)
                elif value is not None:
                    sheet.write(number, column, value)
    if not constant_memory:  # the clients formatted as an Excel table, as many people keep them
        sheets[CLIENTS_SHEET].add_table(
            0,
            0,
            len(CLIENTS),
            len(CLIENT_HEADERS) - 1,
            {"name": CLIENTS_TABLE, "columns": [{"header": header} for header in CLIENT_HEADERS]},
        )
    else:  # a dropdown of managers over every client row
        manager = CLIENT_HEADERS.index("Менеджер")
        sheets[CLIENTS_SHEET].data_validation(
            1, manager, len(CLIENTS), manager, {"validate": "list", "source": list(MANAGERS)}
        )
    _xlsxwriter_notes(book, book.add_worksheet(NOTES_SHEET), sheets[CLIENTS_SHEET])
    book.close()


def _frames():
    import pandas as pd

    clients = pd.DataFrame(CLIENTS, columns=list(CLIENT_HEADERS))
    clients["Создан"] = pd.to_datetime(clients["Создан"])
    interactions = pd.DataFrame(INTERACTIONS, columns=list(INTERACTION_HEADERS))
    interactions["Дата"] = pd.to_datetime(interactions["Дата"])
    settings = pd.DataFrame(
        {"Ключ": [None] * len(MANAGERS), "Значение": [None] * len(MANAGERS), "Менеджеры": list(MANAGERS)}
    )
    return {CLIENTS_SHEET: clients, INTERACTIONS_SHEET: interactions, SETTINGS_SHEET: settings}


def write_pandas(target: Path, *, engine: str) -> None:
    """``DataFrame.to_excel`` through ``engine``, then the notes added on the writer's own book, as people do."""
    import pandas as pd

    with pd.ExcelWriter(target, engine=engine, date_format="DD.MM.YYYY", datetime_format="DD.MM.YYYY") as writer:
        for name, frame in _frames().items():
            frame.to_excel(writer, sheet_name=name, index=False)
        if engine == "xlsxwriter":
            _xlsxwriter_notes(writer.book, writer.book.add_worksheet(NOTES_SHEET), writer.sheets[CLIENTS_SHEET])
        else:
            _openpyxl_notes(writer.book, writer.book[CLIENTS_SHEET])
            _links_and_validation(writer.book[CLIENTS_SHEET])


def _links_and_validation(clients) -> None:
    """Every email a mailto link (as Excel makes of a typed address) and the managers a dropdown (openpyxl)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    email, manager = CLIENT_HEADERS.index("Email") + 1, CLIENT_HEADERS.index("Менеджер") + 1
    for row in range(2, len(CLIENTS) + 2):
        cell = clients.cell(row=row, column=email)
        if cell.value:
            cell.hyperlink = f"mailto:{cell.value}"
    letter = chr(ord("A") + manager - 1)
    clients.add_data_validation(
        DataValidation(
            type="list", formula1='"' + ",".join(MANAGERS) + '"', sqref=f"{letter}2:{letter}{len(CLIENTS) + 1}"
        )
    )


def write_libreoffice(target: Path) -> None:
    """The openpyxl workbook opened and saved again as .xlsx by LibreOffice (``soffice --convert-to``)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        sys.exit("LibreOffice (soffice) is needed for " + target.name)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "source.xlsx"
        write_openpyxl(source)
        out = Path(folder) / "out"
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{folder}/profile",
                "--headless",
                "--norestore",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                str(out),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        shutil.copyfile(out / "source.xlsx", target)


WRITERS = {
    "openpyxl.xlsx": write_openpyxl,
    "xlsxwriter_shared_strings.xlsx": lambda target: write_xlsxwriter(target, constant_memory=False),
    "xlsxwriter_constant_memory.xlsx": lambda target: write_xlsxwriter(target, constant_memory=True),
    "xlsxwriter_1904.xlsx": lambda target: write_xlsxwriter(target, constant_memory=False, date_1904=True),
    "pandas_openpyxl.xlsx": lambda target: write_pandas(target, engine="openpyxl"),
    "pandas_xlsxwriter.xlsx": lambda target: write_pandas(target, engine="xlsxwriter"),
    "libreoffice.xlsx": write_libreoffice,
}


def main(names: list[str]) -> None:
    """Write the fixtures named (all when none is)."""
    for name, write in WRITERS.items():
        if name in names or not names:
            write(HERE / name)
            print("wrote", name)


if __name__ == "__main__":
    main(sys.argv[1:])
