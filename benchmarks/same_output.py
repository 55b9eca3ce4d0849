"""Whether a change leaves the refreshed workbook as it was: refresh with the code of a commit and with the code
here, then compare every cell.

    .venv/bin/python benchmarks/same_output.py --before <commit> [--sizes 10000:100000] [--no-demo]

Each workbook (the bundled example, then a workbook of benchmarks/scale.py for each size) is copied into two
folders of its own and refreshed there, once by the code of ``--before`` (checked out into a git worktree in
the temp folder and run from it) and once by this checkout, both with the same ``--today``. Then every
worksheet of the two results is read from its XML and compared cell by cell:

- the value as Excel shows it (a shared string resolved to its text, a number as a number),
- the formula, as written,
- the style, resolved from its index to what it means: the number format's code, the font, fill, border,
  alignment and protection as XML,

and the sheets' order and names, and their column widths. The Merge log's *Merged on* column holds the time
of the run, so it is left out. It prints each difference (the first few of each sheet) and exits 1 when
there is one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (the benchmark workbook, built the same way)

from xlcrm import schema  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHOWN_DIFFERENCES = 8  # per sheet


class Cell(NamedTuple):
    value: object
    formula: str | None
    style: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit whose output is the reference")
    parser.add_argument(
        "--sizes",
        type=lambda text: scale.parse_sizes(text) if text else [],
        default=scale.parse_sizes("10000:100000"),
        help='clients:interactions, comma-separated; "" for none',
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-demo", dest="demo", action="store_false", help="leave out the bundled example")
    args = parser.parse_args()
    before = _worktree(args.before)
    books = [("demo", ROOT / "examples" / "demo.xlsx", "2026-11-23")] if args.demo else []
    books += [(size.label, scale.build(size, args.seed), scale.TODAY.isoformat()) for size in args.sizes]
    differences = 0
    for label, source, today in books:
        work = Path(tempfile.mkdtemp(prefix="xlcrm-same-"))
        try:
            old = _refreshed(before, source, work / "before", today)
            new = _refreshed(ROOT, source, work / "after", today)
            found = list(compare(old, new))
            differences += len(found)
            print(f"{label}: {'identical' if not found else f'{len(found)} differences'}", flush=True)
            for line in found:
                print("  " + line)
        finally:
            shutil.rmtree(work)
    raise SystemExit(1 if differences else 0)


def _worktree(commit: str) -> Path:
    """A checkout of ``commit`` in the temp folder (made once)."""
    resolved = subprocess.run(
        ["git", "rev-parse", commit], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    folder = Path(tempfile.gettempdir()) / f"xlcrm-before-{resolved[:12]}"
    if not folder.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(folder), resolved], cwd=ROOT, check=True)
    return folder


def _refreshed(code: Path, source: Path, folder: Path, today: str) -> Path:
    """A copy of ``source`` refreshed by the xlcrm of the checkout at ``code``, run from there."""
    folder.mkdir(parents=True)
    book = folder / source.name
    shutil.copyfile(source, book)
    environment = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "xlcrm", "refresh", str(book), "--today", today, "--keep-backups", "0", "-q"]
    result = subprocess.run(command, cwd=code, env=environment, capture_output=True, text=True)
    if result.returncode != 0:  # 1 is a refusal: its untouched copy would compare equal to the other's
        raise SystemExit(f"refresh by {code} failed ({result.returncode}): {result.stderr}")
    return book


def compare(old: Path, new: Path) -> Iterator[str]:
    """A line for each difference between the two workbooks' sheets and cells."""
    with zipfile.ZipFile(old) as before, zipfile.ZipFile(new) as after:
        old_sheets, new_sheets = _sheets(before), _sheets(after)
        if list(old_sheets) != list(new_sheets):
            yield f"sheets: {list(old_sheets)} became {list(new_sheets)}"
        old_styles, new_styles = _styles(before), _styles(after)
        old_strings, new_strings = _shared_strings(before), _shared_strings(after)
        for name in old_sheets.keys() & new_sheets.keys():
            old_cells, old_widths = _cells(before, old_sheets[name], old_strings, old_styles)
            skipped = _merged_on_column(name, old_cells)
            new_cells, new_widths = _cells(after, new_sheets[name], new_strings, new_styles)
            if old_widths != new_widths:
                yield f"{name}: column widths {old_widths} became {new_widths}"
            shown = 0
            for ref in sorted(old_cells.keys() | new_cells.keys(), key=_order):
                if skipped is not None and _column_of(ref) == skipped:
                    continue
                was, now = old_cells.get(ref), new_cells.get(ref)
                if was != now:
                    shown += 1
                    if shown <= SHOWN_DIFFERENCES:
                        yield f"{name}!{ref}: {_difference(was, now)}"
            if shown > SHOWN_DIFFERENCES:
                yield f"{name}: {shown - SHOWN_DIFFERENCES} more differences"


def _sheets(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name -> its part, in the workbook's order (chart sheets left out)."""
    workbook = etree.fromstring(archive.read("xl/workbook.xml"))
    relations = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in relations}
    found = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", NS):
        target = targets[sheet.get(f"{{{REL_NS}}}id")].lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        if "worksheets/" in part:
            found[sheet.get("name")] = part
    return found


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    root = etree.fromstring(archive.read("xl/sharedStrings.xml"))
    return ["".join(item.itertext()) for item in root.iterfind("m:si", NS)]


def _styles(archive: zipfile.ZipFile) -> list[str]:
    """Each cell style index's meaning: the number format's code and the XML of its font, fill, border and
    the xf's own alignment and protection."""
    root = etree.fromstring(archive.read("xl/styles.xml"))
    formats = {fmt.get("numFmtId"): fmt.get("formatCode") for fmt in root.iterfind("m:numFmts/m:numFmt", NS)}

    def listed(path: str) -> list[str]:
        return [etree.tostring(element, method="c14n").decode() for element in root.iterfind(path, NS)]

    fonts, fills, borders = listed("m:fonts/m:font"), listed("m:fills/m:fill"), listed("m:borders/m:border")
    meanings = []
    for xf in root.iterfind("m:cellXfs/m:xf", NS):
        number_format = xf.get("numFmtId", "0")
        children = "".join(etree.tostring(child, method="c14n").decode() for child in xf)
        meanings.append(
            "|".join(
                (
                    formats.get(number_format, f"builtin {number_format}"),
                    fonts[int(xf.get("fontId", "0"))],
                    fills[int(xf.get("fillId", "0"))],
                    borders[int(xf.get("borderId", "0"))],
                    children,
                )
            )
        )
    return meanings


def _cells(
    archive: zipfile.ZipFile, part: str, strings: list[str], styles: list[str]
) -> tuple[dict[str, Cell], list[tuple[str | None, ...]]]:
    """Every cell of a sheet part that has a value, a formula or a style, by reference; and its column widths."""
    cells: dict[str, Cell] = {}
    widths: list[tuple[str | None, ...]] = []
    tag_c, tag_col = f"{{{NS['m']}}}c", f"{{{NS['m']}}}col"
    with archive.open(part) as stream:
        for _, element in etree.iterparse(stream, tag=(tag_c, tag_col)):
            if element.tag == tag_col:
                widths.append(tuple(element.get(name) for name in ("min", "max", "width", "hidden")))
                continue
            kind = element.get("t", "n")
            raw = element.findtext("m:v", namespaces=NS)
            formula = element.find("m:f", NS)
            value: object
            if kind == "s" and raw is not None:
                value = strings[int(raw)]
            elif kind == "inlineStr" and (inline := element.find("m:is", NS)) is not None:
                value = "".join(inline.itertext())
            elif kind == "n" and raw:
                value = float(raw)
            else:
                value = raw
            shown_formula = None
            if formula is not None:
                shown_formula = f"{formula.text or ''} {dict(sorted(formula.attrib.items()))}"
            cells[element.get("r")] = Cell(value, shown_formula, styles[int(element.get("s", "0"))])
            element.clear()
    return cells, widths


def _merged_on_column(name: str, cells: dict[str, Cell]) -> str | None:
    """The column letters of the Merge log's *Merged on* column (the time of the run), else None."""
    if schema.fold(name) not in {schema.fold(schema.MERGE_LOG.name(locale)) for locale in ("en", "ru")}:
        return None
    labels = {schema.fold(text) for text in schema.DEDUPE_LABELS["merged_on"]}
    return next(
        (_column_of(ref) for ref, cell in cells.items() if _order(ref)[0] <= 10 and schema.fold(cell.value) in labels),
        None,
    )


def _difference(was: Cell | None, now: Cell | None) -> str:
    """What differs between two versions of a cell, shortly."""
    if was is None or now is None:
        return f"{was} became {now}"
    parts = [
        f"{field} {before!r} became {after!r}"
        for field, before, after in zip(Cell._fields, was, now)
        if before != after and field != "style"
    ]
    if was.style != now.style:
        parts.append(f"style {was.style} became {now.style}")
    return "; ".join(parts)


def _column_of(ref: str) -> str:
    return ref.rstrip("0123456789")


def _order(ref: str) -> tuple[int, int, str]:
    column = _column_of(ref)
    return (int(ref[len(column) :]), len(column), column)


if __name__ == "__main__":
    main()
