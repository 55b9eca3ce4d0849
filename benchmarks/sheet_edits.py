"""How long editing cells of big user sheets takes, and how much memory it needs, against reading them.

    .venv/bin/python benchmarks/sheet_edits.py [--interactions 1000000] [--clients 100000]

Builds (once, in the system's temp folder) a client base from the xlcrm template
whose Interactions sheet has ``--interactions`` rows and Clients ``--clients``
rows, then measures, each in a fresh process:

- the baseline: python-calamine reading the sheet into Python rows, as
  ``read_workbook`` does;
- re-pointing 50,000 ClientIDs on Interactions (what a merge of duplicates does);
- deleting 1,000 rows of Clients (the merged duplicates) and filling blank cells.

Prints wall time and peak resident memory of each, and their ratio to the baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from python_calamine import CalamineWorkbook

from xlcrm import schema
from xlcrm.create.template import build_workbook
from xlcrm.xlsx.package import write_workbook
from xlcrm.xlsx.report_sheet import excel_serial
from xlcrm.xlsx.sheet_edits import SheetEdit

REPOINTED = 50_000
DELETED = 1_000
SEED = 7


def _text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _number(ref: str, value: float, style: str = "") -> str:
    return f'<c r="{ref}"{style}><v>{value}</v></c>'


def _client_rows(count: int) -> str:
    rows = []
    for i in range(1, count + 1):
        r = i + 1
        rows.append(
            f'<row r="{r}">{_text(f"A{r}", f"C{i:06d}")}{_text(f"B{r}", f"Person {i}")}'
            f"{_text(f'C{r}', f'Company {i % 5000} LLC')}{_text(f'E{r}', f'+7 900 {i:07d}')}"
            f"{_text(f'F{r}', f'p{i}@example.ru')}{_text(f'G{r}', 'Moscow')}"
            f"{_text(f'K{r}', f'Manager {i % 7}')}{_number(f'M{r}', i % 5)}</row>"
        )
    return "".join(rows)


def _interaction_rows(count: int, clients: int, date_style: str) -> str:
    start = excel_serial(dt.date(2024, 1, 1))
    rows = []
    for i in range(1, count + 1):
        r = i + 1
        rows.append(
            f'<row r="{r}">{_number(f"A{r}", start + i % 900, date_style)}'
            f"{_text(f'B{r}', f'C{i % clients + 1:06d}')}{_text(f'C{r}', ('Call in', 'Meeting', 'Order')[i % 3])}"
            f"{_number(f'E{r}', 1000 + (i * 37) % 9000)}{_text(f'F{r}', f'Manager {i % 7}')}"
            f"{_text(f'H{r}', f'comment {i}')}</row>"
        )
    return "".join(rows)


def build(path: Path, interactions: int, clients: int) -> Path:
    """The template with big sheets: rows generated as XML, since a spreadsheet library would take minutes."""
    if path.exists():
        return path
    skeleton = path.with_suffix(".skeleton.xlsx")
    build_workbook("en").save(skeleton)
    sizes = {schema.CLIENTS.name("en"): clients, schema.INTERACTIONS.name("en"): interactions}
    with zipfile.ZipFile(skeleton) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=3) as out:
        workbook = source.read("xl/workbook.xml").decode()
        names = re.findall(r'<sheet\b[^>]*?\bname="([^"]+)"', workbook)
        for info in source.infolist():
            data = source.read(info.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if match and names[int(match.group(1)) - 1] in sizes:
                name = names[int(match.group(1)) - 1]
                text = data.decode()
                date_style = re.search(r'<c r="A2" (s="\d+")', text)
                style = f" {date_style.group(1)}" if date_style else ""
                body = (
                    _client_rows(clients)
                    if name == schema.CLIENTS.name("en")
                    else _interaction_rows(interactions, clients, style)
                )
                header = re.search(r'<row r="1".*?</row>', text).group(0)
                text = re.sub(
                    r"<sheetData>.*</sheetData>",
                    lambda _, header=header, body=body: f"<sheetData>{header}{body}</sheetData>",
                    text,
                    flags=re.S,
                )
                data = text.encode()
            elif info.filename.startswith("xl/tables/"):
                text = data.decode()
                table = re.search(r'displayName="([^"]+)"', text).group(1)
                for name, count in sizes.items():
                    if table == next(s.table_name for s in schema.USER_SHEETS if s.name("en") == name):
                        text = re.sub(
                            r'ref="A1:([A-Z]+)2"', lambda m, count=count: f'ref="A1:{m.group(1)}{count + 1}"', text
                        )
                data = text.encode()
            out.writestr(info, data)
    skeleton.unlink()
    return path


def measure(task: str, source: Path, target: Path) -> None:
    """One measured task, run in its own process."""
    if task == "read-interactions":
        CalamineWorkbook.from_path(str(source)).get_sheet_by_name(schema.INTERACTIONS.name("en")).to_python()
    elif task == "read-clients":
        CalamineWorkbook.from_path(str(source)).get_sheet_by_name(schema.CLIENTS.name("en")).to_python()
    elif task == "repoint":
        rows = random.Random(SEED).sample(range(2, _rows(source, "interactions") + 2), REPOINTED)
        edit = SheetEdit(schema.INTERACTIONS.name("en"), set_cells={f"B{r}": "C000001" for r in rows})
        write_workbook(source, target, edits=[edit])
    elif task == "delete":
        count = _rows(source, "clients")
        rows = random.Random(SEED).sample(range(2, count + 2), DELETED)
        kept = sorted(set(range(2, count + 2)) - set(rows))[:DELETED]
        edit = SheetEdit(schema.CLIENTS.name("en"), delete_rows=rows, set_cells={f"D{r}": "7701234567" for r in kept})
        write_workbook(source, target, edits=[edit])
    else:
        raise SystemExit(f"unknown task {task}")


def _rows(source: Path, which: str) -> int:
    match = re.search(rf"-{which}(\d+)", source.stem)
    assert match is not None
    return int(match.group(1))


def peak_memory_mb() -> float:
    """This process's peak resident memory. Read from /proc: getrusage's figure for a child also counts
    the parent it was forked from, which built the workbook."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("this benchmark needs Linux (/proc/self/status)")


def run(task: str, source: Path, target: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of ``task`` in a fresh process."""
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, __file__, "--measure", task, str(source), str(target)], capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{task} failed:\n{child.stderr}")
    return elapsed, float(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--measure", nargs=3, metavar=("TASK", "SOURCE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        task, source, target = args.measure
        measure(task, Path(source), Path(target))
        print(peak_memory_mb())
        return
    folder = Path(tempfile.gettempdir()) / "xlcrm-bench"
    folder.mkdir(exist_ok=True)
    started = time.perf_counter()
    source = build(
        folder / f"edits-interactions{args.interactions}-clients{args.clients}.xlsx", args.interactions, args.clients
    )
    print(
        f"workbook: {source.stat().st_size / 1e6:.1f} MB, {args.interactions:,} interactions, "
        f"{args.clients:,} clients ({time.perf_counter() - started:.1f} s to get)"
    )
    target = folder / "edited.xlsx"
    for label, baseline, task in (
        (f"re-point {REPOINTED:,} ClientIDs on Interactions", "read-interactions", "repoint"),
        (f"delete {DELETED:,} rows of Clients", "read-clients", "delete"),
    ):
        base_time, base_memory = run(baseline, source, target)
        edit_time, edit_memory = run(task, source, target)
        print(
            f"{label}: {edit_time:.1f} s, peak {edit_memory:.0f} MB; calamine read of the sheet: "
            f"{base_time:.1f} s, peak {base_memory:.0f} MB; ratio time {edit_time / base_time:.2f}, "
            f"memory {edit_memory / base_memory:.2f}"
        )


if __name__ == "__main__":
    main()
