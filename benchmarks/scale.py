"""Refresh at Excel's row limit: every command against the cost of just reading the file.

    .venv/bin/python benchmarks/scale.py [--sizes 10000:100000,100000:1000000] [--no-openpyxl] [--libreoffice]

For each size (clients:interactions) it builds, once, in the system's temp
folder, a Russian workbook shaped like xlcrm's template (the schema's sheet and
column names, a Settings sheet, realistic values: phones typed in several ways,
some dates typed as text, valid INNs, ~2% duplicate clients). The sheet XML is
streamed straight into the zip, so a million rows take seconds, not openpyxl's
minutes. Then, each in a fresh process, it measures wall time and peak memory
(the larger of the child's own maximum resident set, from ``wait4``, and the
most its whole process tree held at once, Pss summed from /proc every 20 ms) of:

- the floor: fastexcel's Arrow read of every sheet (typed columns, the same calamine parser underneath),
- the old floor: python-calamine's read of every sheet into Python values (``to_python``), printed so that
  figures measured against it stay comparable,
- openpyxl: a full load and save of the same file (what a naive tool costs),
- ``xlcrm validate``, ``xlcrm dedupe --dry-run``, ``xlcrm refresh`` (on a copy),
- the floor again, of the refreshed copy (report sheets included), then a second refresh of it,
- a refresh after another program saved the workbook (the nightly case: the bytes differ from xlcrm's last save,
  so the refresh compares the workbook with that save's copy, to tell which rows people changed or deleted):
  - "nightly": of the twice-refreshed copy, whose last save left Interactions as it was, so the row fingerprints
    kept with the copy stand for that sheet and only the copy's other sheets are read;
  - "nightly, edit": the same with the amount of one interaction corrected, so that row no longer matches its
    fingerprint and the copy's Interactions is read after all, once the workbook's own has been read;
  - "first night": of the once-refreshed copy, whose save rewrote Interactions (the first refresh fills the Client
    formulas and re-points merged clients' rows), so the copy's Interactions is read too,

and prints each as a ratio to both floors, then how each grew from one size to
the next against how the file grew (1.0 = linear).

Each step runs twice: once timed, once watched for memory. Reading a big
process's Pss makes the kernel walk its page tables, about 17 ms of CPU per
look at a 1.3 GB process, so on a 2-core machine the watching takes CPU from a
command that uses both cores, and would slow it down more than a one-core read.
Memory is in MiB: the peak of the whole process tree at any moment (each process
by its Pss), and the largest single process (the kernel's peak resident size of
the command and of each helper process it waited for).
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import xlcrm
from xlcrm import schema
from xlcrm.xlsx.refs import column_letter

TODAY = dt.date(2026, 11, 23)
LOCALE = "ru"
EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE_STYLE = 1  # cellXfs index of the date format in the styles written below
LETTERS = [column_letter(index) for index in range(26)]

FIRST_NAMES = (
    "Иван",
    "Пётр",
    "Анна",
    "Мария",
    "Сергей",
    "Ольга",
    "Дмитрий",
    "Елена",
    "Алексей",
    "Наталья",
    "Андрей",
    "Татьяна",
    "Михаил",
    "Ирина",
    "Николай",
    "Светлана",
    "Владимир",
    "Юлия",
    "Павел",
    "Ксения",
)
LAST_NAMES = (
    "Иванов",
    "Петров",
    "Сидоров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Волков",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Егоров",
    "Павлов",
    "Семёнов",
    "Голубев",
    "Виноградов",
    "Богданов",
    "Воробьёв",
    "Фёдоров",
    "Михайлов",
    "Беляев",
    "Тарасов",
    "Белов",
    "Комаров",
    "Орлов",
    "Киселёв",
)
CITIES = ("Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург", "Самара", "Омск", "Пермь")
MANAGERS = ("Анна Смирнова", "Игорь Волков", "Олег Петров", "Мария Козлова", "Денис Орлов", "Юлия Белова")
RESULTS = ("Договорились", "Перезвонить", "Не дозвонились", "Отправил КП", "Думает", "Отказ", None, None)
COMMENTS = ("Клиент просил счёт", "Уточнить сроки", "Интересует скидка", "Повторный заказ", None, None, None)
NEXT_ACTIONS = ("Позвонить", "Отправить КП", "Встреча в офисе", "Выставить счёт")


@dataclass(frozen=True)
class Size:
    clients: int
    interactions: int

    @property
    def label(self) -> str:
        return f"{self.clients:,} / {self.interactions:,}"


# --- a streaming .xlsx writer: shared strings, one style for dates, sheet XML written row by row ---------------


class SharedStrings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.index)
        return found


def _cells(row: Iterable[object], number: int, strings: SharedStrings) -> Iterator[str]:
    """As Excel writes them: every cell names its reference, blank cells are left out."""
    for letter, value in zip(LETTERS, row):
        if value is None:
            continue
        if isinstance(value, str):
            yield f'<c r="{letter}{number}" t="s"><v>{strings(value)}</v></c>'
        elif isinstance(value, dt.date):
            yield f'<c r="{letter}{number}" s="{DATE_STYLE}"><v>{(value - EXCEL_EPOCH).days}</v></c>'
        else:
            yield f'<c r="{letter}{number}"><v>{value}</v></c>'


def _write_sheet(archive: zipfile.ZipFile, number: int, rows: Iterable[list[object]], strings: SharedStrings) -> None:
    with archive.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as part:
        part.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" state="frozen"/>'
            b"</sheetView></sheetViews><sheetData>"
        )
        chunk: list[str] = []
        for number_in_sheet, row in enumerate(rows, start=1):
            chunk.append(f'<row r="{number_in_sheet}">{"".join(_cells(row, number_in_sheet, strings))}</row>')
            if len(chunk) == 10_000:
                part.write("".join(chunk).encode())
                chunk.clear()
        part.write("".join(chunk).encode())
        part.write(b"</sheetData></worksheet>")


def write_workbook(path: Path, sheets: list[tuple[str, Iterable[list[object]]]]) -> None:
    """A minimal, valid .xlsx package with these sheets, streamed part by part."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    strings = SharedStrings()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number, (_name, rows) in enumerate(sheets, start=1):
            _write_sheet(archive, number, rows, strings)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        archive.writestr(
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                '<Override PartName="/xl/sharedStrings.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                f"{overrides}</Types>"
            ),
        )
        archive.writestr(
            "_rels/.rels",
            (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{pkg}">'
                f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
        )
        sheet_list = "".join(
            f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, (name, _rows) in enumerate(sheets, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{main}" xmlns:r="{rel}">'
                f"<sheets>{sheet_list}</sheets></workbook>"
            ),
        )
        links = "".join(
            f'<Relationship Id="rId{n}" Type="{rel}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        extra = len(sheets)
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{pkg}">{links}'
                f'<Relationship Id="rId{extra + 1}" Type="{rel}/styles" Target="styles.xml"/>'
                f'<Relationship Id="rId{extra + 2}" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
                "</Relationships>"
            ),
        )
        archive.writestr(
            "xl/styles.xml",
            (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{main}">'
                '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd.mm.yyyy"/></numFmts>'
                '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
                "</styleSheet>"
            ),
        )
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{main}" '
                f'uniqueCount="{len(strings.index)}">'.encode()
            )
            part.write("".join(f"<si><t>{escape(text)}</t></si>" for text in strings.index).encode())
            part.write(b"</sst>")


# --- the client base ------------------------------------------------------------------------------------------


def _inn(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(9)]
    check = sum(d * w for d, w in zip(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8))) % 11 % 10
    return "".join(map(str, digits)) + str(check)


def _phone(rng: random.Random, digits: str) -> object:
    """The same mobile number the ways people type it (and, now and then, as a number cell)."""
    code, a, b, c = digits[:3], digits[3:6], digits[6:8], digits[8:]
    return rng.choice(
        (
            f"+7 ({code}) {a}-{b}-{c}",
            f"8 {code} {a} {b} {c}",
            f"8{digits}",
            f"+7{digits}",
            f"+7 {code} {a}-{b}-{c}",
            int(f"7{digits}"),
        )
    )


def _maybe_text_date(rng: random.Random, day: dt.date, share: float) -> object:
    return f"{day:%d.%m.%Y}" if rng.random() < share else day


def client_rows(size: Size, seed: int) -> Iterator[list[object]]:
    rng = random.Random(seed)
    yield [c.ru for c in schema.CLIENTS.columns]
    sources = [s.ru for s in schema.DEFAULT_SOURCES]
    previous: list[object] = []
    for number in range(1, size.clients + 1):
        if previous and rng.random() < 0.02:  # typed in twice: same phone, name spelled a little differently
            row = list(previous)
            row[0] = f"C{number:06d}"
            row[1] = str(row[1]).upper()
            yield row
            continue
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        digits = f"9{rng.randint(0, 99):02d}{rng.randint(0, 9_999_999):07d}"
        values = {
            "client_id": f"C{number:06d}",
            "name": f"{last} {first}",
            "company": f"ООО «{last} и партнёры {number}»",
            "inn": _inn(rng) if rng.random() < 0.6 else None,
            "phone": _phone(rng, digits),
            "email": f"client{number}@example.ru" if rng.random() < 0.7 else None,
            "city": rng.choice(CITIES),
            "birthday": _maybe_text_date(rng, dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 15_000)), 0.01)
            if rng.random() < 0.5
            else None,
            "source": rng.choice(sources),
            "manager": rng.choice(MANAGERS),
            "designation": rng.choice((None,) * 40 + ("VIP", "Ключевой", "Потерян")),
            "rating": rng.randint(1, 5),
            "created": _maybe_text_date(rng, dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2_000)), 0.005),
        }
        # By column key: a column added to the schema later takes its place without moving the others.
        row = [values.get(column.key) for column in schema.CLIENTS.columns]
        previous = row
        yield row


def interaction_rows(size: Size, seed: int) -> Iterator[list[object]]:
    rng = random.Random(seed + 1)
    yield [c.ru for c in schema.INTERACTIONS.columns]
    # Touches and orders, without returns and payments (added to the schema later), so figures stay comparable.
    kinds = (schema.CALL_IN, schema.CALL_OUT, schema.MEETING, schema.LETTER, schema.MESSAGE, schema.AGREEMENT)
    types = [t.ru for t in (*kinds, schema.ORDER)]
    weights = (20, 25, 8, 10, 15, 7, 15)
    services = [f"Услуга {n}" for n in range(1, 41)]
    # Interactions come in date order, as a log does: about six years back to today.
    start = TODAY - dt.timedelta(days=6 * 365)
    span = (TODAY - start).days
    for number in range(size.interactions):
        day = start + dt.timedelta(days=number * span // size.interactions)
        kind = rng.choices(types, weights)[0]
        order = kind == schema.ORDER.ru
        planned = day + dt.timedelta(days=rng.randint(1, 30)) if rng.random() < 0.3 else None
        yield [
            _maybe_text_date(rng, day, 0.002),
            f"C{rng.randint(1, size.clients):06d}",
            kind,
            rng.choice(services) if order else None,
            rng.randint(10, 500) * 100 if order else None,
            rng.choice(MANAGERS),
            rng.choice(RESULTS),
            rng.choice(COMMENTS),
            rng.choice(NEXT_ACTIONS) if planned else None,
            planned,
        ]


def service_rows() -> Iterator[list[object]]:
    yield [c.ru for c in schema.SERVICES.columns]
    for n in range(1, 41):
        yield [f"S{n:03d}", f"Услуга {n}", 1000 * n, "шт.", "Да", None]


def settings_rows() -> Iterator[list[object]]:
    yield [c.ru for c in schema.SETTINGS.columns]
    lists = {
        "managers": MANAGERS,
        "interaction_types": [t.ru for t in schema.INTERACTION_TYPES],
        "sources": [s.ru for s in schema.DEFAULT_SOURCES],
        "designations": [d.ru for d in schema.DESIGNATIONS],
    }
    keys = schema.SETTINGS_KEYS
    for n in range(max(len(keys), *(len(v) for v in lists.values()))):
        setting = keys[n] if n < len(keys) else None
        row: list[object] = [
            setting.key if setting else None,
            setting.label("ru") if setting else None,
            setting.default_in("ru") if setting else None,
            setting.description("ru") if setting else None,
        ]
        yield row + [values[n] if n < len(values) else None for values in lists.values()]


def build(size: Size, seed: int) -> Path:
    path = Path(tempfile.gettempdir()) / f"xlcrm-scale-v3-{size.clients}-{size.interactions}-{seed}.xlsx"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        write_workbook(
            partial,
            [
                (schema.CLIENTS.ru, client_rows(size, seed)),
                (schema.SERVICES.ru, service_rows()),
                (schema.INTERACTIONS.ru, interaction_rows(size, seed)),
                (schema.SETTINGS.ru, settings_rows()),
            ],
        )
        partial.rename(path)
        print(f"built {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    return path


# --- measuring --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    seconds: float
    peak_mb: float  # the process tree's, MiB
    largest_mb: float  # the largest single process's, MiB
    finished: bool = True  # False: stopped at the time limit, so seconds is a lower bound


ARROW_FLOOR = "floor (Arrow read)"
CALAMINE_FLOOR = "old floor (calamine read)"
REFRESHED_ARROW_FLOOR = "floor (refreshed file)"
REFRESHED_CALAMINE_FLOOR = "old floor (refreshed file)"
ARROW = """
import sys
import fastexcel
reader = fastexcel.read_excel(sys.argv[1])
print(sum(reader.load_sheet_by_name(name).to_arrow().num_rows for name in reader.sheet_names))
"""
FLOOR = """
import sys
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(sys.argv[1])
print(sum(len(book.get_sheet_by_name(name).to_python()) for name in book.sheet_names))
"""
OPENPYXL = """
import sys
import openpyxl
openpyxl.load_workbook(sys.argv[1]).save(sys.argv[2])
"""


# The kernel's flag of a process forked that has not yet run exec (PF_FORKNOEXEC, /proc/<pid>/stat field 9).
_FORKED_NOT_EXECUTED = 0x40


def tree_resident_mb(pid: int) -> float:
    """What a process and all its descendants hold in memory right now (MiB); 0 where /proc cannot tell.

    Each process counts its proportional set size (Pss: a page shared by two processes, such as the
    interpreter's own code, counts half in each), so the sum is what the tree takes from the machine. A process
    started but not yet running its own program (between fork and exec) counts nothing: Python starts one with
    vfork, which shares its parent's memory rather than copying it, and its Pss would count all of it again.
    """
    total_kb = 0
    waiting = [pid]
    while waiting:
        current = waiting.pop()
        try:
            flags = int(Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()[6])
            if flags & _FORKED_NOT_EXECUTED:
                continue
            sizes = Path(f"/proc/{current}/smaps_rollup").read_text()
            total_kb += next((int(line.split()[1]) for line in sizes.splitlines() if line.startswith("Pss:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                waiting.extend(
                    int(child) for child in Path(f"/proc/{current}/task/{task}/children").read_text().split()
                )
        except (OSError, ValueError):
            continue  # the process ended meanwhile
    return total_kb / 1024


def measure(command: list[str], limit: float, prepare: Callable[[], None], expected: tuple[int, ...] = (0,)) -> Measure:
    """Wall time and peak resident memory of a fresh process; an exit code not in ``expected`` stops the benchmark
    (validate's 1, errors found, is a result; a refresh's 1 is a refusal, which measures nothing).

    It runs twice, after ``prepare`` each time: timed alone, then watched for memory. xlcrm may work in
    helper processes, so the peak is that of the process tree at any moment.
    """
    prepare()
    timed = _run(command, limit, expected, watch_memory=False)
    if not timed.finished:
        return timed
    prepare()
    watched = _run(command, limit, expected, watch_memory=True)
    return Measure(
        timed.seconds,
        max(timed.peak_mb, watched.peak_mb),
        max(timed.largest_mb, watched.largest_mb),
        watched.finished,
    )


def _run(command: list[str], limit: float, expected: tuple[int, ...], watch_memory: bool) -> Measure:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finished = True
    tree_peak = 0.0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if watch_memory:
            tree_peak = max(tree_peak, tree_resident_mb(process.pid))
        if time.perf_counter() - started > limit:
            process.kill()
            finished = False
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if finished and code not in expected:
        raise SystemExit(
            f"{' '.join(command)} failed ({code}): {process.stderr.read().decode() if process.stderr else ''}"
        )
    # ru_maxrss (KiB on Linux) is the largest of the command and the helper processes it waited for.
    largest = usage.ru_maxrss / 1024
    return Measure(seconds, max(largest, tree_peak), largest, finished)


def run_size(size: Size, seed: int, openpyxl: bool, limit: float) -> dict[str, Measure]:
    source = build(size, seed)
    python = sys.executable
    xlcrm = [python, "-m", "xlcrm"]
    today = ["--today", TODAY.isoformat()]
    work = Path(tempfile.mkdtemp(prefix="xlcrm-scale-"))
    copy, refreshed = work / "book.xlsx", work / "refreshed.xlsx"
    # What a refresh saves beside the workbook (its backups and the copy of its last save): each run of a refresh
    # must find the state its workbook was saved with. Left from the timed run, it would make the watched run
    # see the rows the first refresh changed as deleted and refuse, measuring a refusal instead of a refresh.
    state, refreshed_state = work / ".xlcrm-backups", work / "refreshed-state"
    again, again_state = work / "again.xlsx", work / "again-state"
    results: dict[str, Measure] = {}

    def nothing() -> None:
        pass

    def fresh_copy() -> None:
        shutil.rmtree(state, ignore_errors=True)
        shutil.copyfile(source, copy)

    def refreshed_copy() -> None:
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(refreshed_state, state)
        shutil.copyfile(refreshed, copy)

    def saved_elsewhere() -> None:
        # Excel or LibreOffice saving the workbook changes its bytes even when no cell changed; a zip comment
        # does the same here in milliseconds. The next refresh then compares the workbook with its last save.
        with zipfile.ZipFile(copy, "a") as archive:
            archive.comment = b"saved by another program"

    def refreshed_then_saved_elsewhere() -> None:
        refreshed_copy()
        saved_elsewhere()

    def again_then_saved_elsewhere() -> None:
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(again_state, state)
        shutil.copyfile(again, copy)
        saved_elsewhere()

    def again_then_one_interaction_edited() -> None:
        # A person corrected the amount of one interaction: that row no longer matches its saved hash, so the
        # refresh reads the copy's Interactions after all, once the workbook's own has been read.
        again_then_saved_elsewhere()
        edit_first_amount(copy)

    def keep_refreshed() -> None:
        shutil.copyfile(copy, refreshed)
        shutil.copytree(state, refreshed_state)

    def keep_again() -> None:
        shutil.copyfile(copy, again)
        shutil.copytree(state, again_state)

    steps: list[tuple[str, list[str], Callable[[], None], Callable[[], None], tuple[int, ...]]] = [
        (ARROW_FLOOR, [python, "-c", ARROW, str(source)], nothing, nothing, (0,)),
        (CALAMINE_FLOOR, [python, "-c", FLOOR, str(source)], nothing, nothing, (0,)),
        # validate exits 1 when it finds errors, and the benchmark's workbook has some
        ("xlcrm validate", [*xlcrm, "validate", str(source), *today], nothing, nothing, (0, 1)),
        ("xlcrm dedupe --dry-run", [*xlcrm, "dedupe", str(source), "--dry-run"], nothing, nothing, (0,)),
        (
            "xlcrm refresh",
            [*xlcrm, "refresh", str(copy), *today, "--keep-backups", "0"],
            fresh_copy,
            keep_refreshed,
            (0,),
        ),
        # What the next refresh reads is the refreshed file, report sheets included: its own floors.
        (REFRESHED_ARROW_FLOOR, [python, "-c", ARROW, str(refreshed)], nothing, nothing, (0,)),
        (REFRESHED_CALAMINE_FLOOR, [python, "-c", FLOOR, str(refreshed)], nothing, nothing, (0,)),
        (
            "xlcrm refresh (again)",
            [*xlcrm, "refresh", str(copy), *today, "--keep-backups", "0"],
            refreshed_copy,
            keep_again,
            (0,),
        ),
        (
            "xlcrm refresh (nightly)",
            [*xlcrm, "refresh", str(copy), *today, "--keep-backups", "0"],
            again_then_saved_elsewhere,
            nothing,
            (0,),
        ),
        (
            "xlcrm refresh (nightly, edit)",
            [*xlcrm, "refresh", str(copy), *today, "--keep-backups", "0"],
            again_then_one_interaction_edited,
            nothing,
            (0,),
        ),
        (
            "xlcrm refresh (first night)",
            [*xlcrm, "refresh", str(copy), *today, "--keep-backups", "0"],
            refreshed_then_saved_elsewhere,
            nothing,
            (0,),
        ),
    ]
    if openpyxl:  # last: at a million rows it takes minutes and gigabytes
        steps.append(
            ("openpyxl load+save", [python, "-c", OPENPYXL, str(source), str(work / "o.xlsx")], nothing, nothing, (0,))
        )
    print(f"\n{size.label} clients / interactions, {source.stat().st_size / 1e6:.1f} MB")
    print(
        f"{'step':30} {'wall s':>8} {'× floor':>8} {'× old':>8} {'peak MB':>8} {'× floor':>8} {'largest':>8}",
        flush=True,
    )
    try:
        for step, command, prepare, after, expected in steps:
            result = results[step] = measure(command, limit, prepare, expected)
            after()
            floor, old = results[ARROW_FLOOR], results.get(CALAMINE_FLOOR)
            over = "" if result.finished else f"  (stopped after {limit:.0f} s)"
            print(
                f"{step:30} {result.seconds:8.2f} {result.seconds / floor.seconds:8.2f} "
                f"{result.seconds / old.seconds if old else float('nan'):8.2f} "
                f"{result.peak_mb:8.0f} {result.peak_mb / floor.peak_mb:8.2f} {result.largest_mb:8.0f}{over}",
                flush=True,
            )
    finally:
        shutil.rmtree(work)
    return results


def edit_first_amount(path: Path) -> None:
    """Add 1 to the first amount typed on the Interactions sheet of the workbook at ``path`` (every part rewritten,
    as a program saving the workbook would)."""
    from xlcrm.xlsx.limits import sheet_parts

    edited = path.with_suffix(".edited.xlsx")
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as new:
        part = sheet_parts(old)[schema.INTERACTIONS.name("ru")]
        for info in old.infolist():
            data = old.read(info)
            if info.filename == part:
                # interaction_rows writes the schema's columns in order, from A
                column = chr(ord("A") + [c.key for c in schema.INTERACTIONS.columns].index("amount"))
                # a number cell (no t= type, unlike the header's shared string) holding a value
                cell = re.search(rb'<c r="' + column.encode() + rb'[0-9]+"(?:(?! t=)[^>])*><v>([0-9.]+)</v>', data)
                assert cell is not None, "no amount on Interactions"
                amount = str(float(cell.group(1)) + 1).encode()
                data = data[: cell.start(1)] + amount + data[cell.end(1) :]
            new.writestr(info.filename, data)
    os.replace(edited, path)


def open_in_libreoffice(size: Size, seed: int) -> None:
    """Refresh a copy, then let headless LibreOffice open it and convert its Dashboard sheet to CSV."""
    from python_calamine import CalamineWorkbook

    source = build(size, seed)
    work = Path(tempfile.mkdtemp(prefix="xlcrm-scale-lo-"))
    try:
        book = work / "book.xlsx"
        shutil.copyfile(source, book)
        subprocess.run(
            [sys.executable, "-m", "xlcrm", "refresh", str(book), "--today", TODAY.isoformat(), "--keep-backups", "0"],
            check=False,
            capture_output=True,
        )
        workbook = CalamineWorkbook.from_path(str(book))
        names = list(workbook.sheet_names)
        workbook.close()
        dashboard = names.index(schema.DASHBOARD.name(LOCALE)) + 1
        # The 12th CSV filter token picks the sheet (1-based), in LibreOffice 7.2 and later.
        csv_filter = f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{dashboard}"
        started = time.perf_counter()
        result = subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{work / 'profile'}",
                "--headless",
                "--norestore",
                "--convert-to",
                csv_filter,
                "--outdir",
                str(work),
                str(book),
            ],
            capture_output=True,
            text=True,
        )
        produced = sorted(work.glob("*.csv"))
        print(
            f"\n{size.label}: LibreOffice converted the Dashboard sheet in {time.perf_counter() - started:.0f} s "
            f"(exit {result.returncode}, {len(produced)} CSV file)"
        )
        for line in produced[0].read_text(encoding="utf-8").splitlines()[:8] if produced else [result.stderr]:
            print("  " + line)
    finally:
        shutil.rmtree(work)


def parse_sizes(text: str) -> list[Size]:
    sizes = []
    for part in text.split(","):
        clients, interactions = part.split(":")
        sizes.append(Size(int(clients), int(interactions)))
    return sizes


def compile_package() -> None:
    """xlcrm's modules compiled to bytecode, as pip compiles an installed package: a checkout run with
    PYTHONDONTWRITEBYTECODE set would otherwise compile them again in every process timed (about 0.3 s each), a
    cost no user's installation pays and the floors' libraries never do."""
    if not compileall.compile_dir(Path(xlcrm.__file__).parent, quiet=1):
        raise SystemExit("xlcrm's modules could not be compiled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("10000:100000,100000:1000000"),
        help="clients:interactions, comma-separated, smallest first",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-openpyxl",
        dest="openpyxl",
        action="store_false",
        help="skip the openpyxl load+save (minutes and gigabytes at a million rows)",
    )
    parser.add_argument("--limit", type=float, default=900, help="seconds after which a step is stopped")
    parser.add_argument(
        "--libreoffice",
        action="store_true",
        help="instead of timing: refresh each size and convert its Dashboard with LibreOffice",
    )
    args = parser.parse_args()
    if args.libreoffice:
        for size in args.sizes:
            open_in_libreoffice(size, args.seed)
        return
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    compile_package()
    runs = [(size, run_size(size, args.seed, args.openpyxl, args.limit)) for size in args.sizes]
    for (small, before), (large, after) in zip(runs, runs[1:]):
        rows = (large.clients + large.interactions) / (small.clients + small.interactions)
        print(f"\n{small.label} -> {large.label}: {rows:.1f}× the rows; time grew (÷ rows, 1.0 = linear):")
        for step in after:
            if step in before and after[step].finished and before[step].finished:
                grew = after[step].seconds / before[step].seconds
                print(f"  {step:30} {grew:6.1f}×  {grew / rows:5.2f}")


if __name__ == "__main__":
    main()
