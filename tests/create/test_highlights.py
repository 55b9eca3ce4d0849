"""The highlights of Interactions as LibreOffice paints them: only open plans due today or earlier are red, open plans
still ahead and rows dated after today (booked) are yellow, plans already followed up are not coloured."""

from __future__ import annotations

import collections
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import convert_with_libreoffice
from xlcrm import schema
from xlcrm.create import template
from xlcrm.xlsx.refs import column_letter

# LibreOffice paints with the real clock: the rows are laid out around the day the test runs.
TODAY = dt.date.today()
EARLY_DAYS = 5  # typed on Settings instead of the default 3, so the highlight is seen to read it

RED, YELLOW, WHITE = (0xFF, 0xC7, 0xCE), (0xFF, 0xEB, 0x9C), (0xFF, 0xFF, 0xFF)


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def shown(date: dt.date) -> str:
    return f"{date:%d.%m.%Y}"


def plan(client: str, made: dt.date | None, due: dt.date) -> dict[str, object]:
    return {"date": made, "client_id": client, "type": "Call out", "next_action": "Call back", "next_date": due}


def contact(client: str, date: dt.date, kind: str = "Call in") -> dict[str, object]:
    return {"date": date, "client_id": client, "type": kind}


# Each plan's Next date is a day of its own, so its cell is found on the page by its text; the colour expected.
ROWS = [
    # A contact EARLY_DAYS before the planned date closes the plan; one a day earlier does not.
    plan("C000001", day(-30), day(-10)),
    contact("C000001", day(-10 - EARLY_DAYS)),
    plan("C000002", day(-30), day(-11)),
    contact("C000002", day(-11 - EARLY_DAYS - 1)),
    # A contact on the planned date closes it, whatever its type.
    plan("C000003", day(-30), day(-12)),
    contact("C000003", day(-12), "Letter"),
    # Due today, nothing since: red. Due tomorrow: yellow.
    plan("C000004", day(-30), day(0)),
    plan("C000005", day(-3), day(1)),
    # A contact the same day as the planning row is not after it, though within the early days.
    plan("C000006", day(-16), day(-14)),
    contact("C000006", day(-16)),
    # Another client's contact closes nothing.
    plan("C000007", day(-30), day(-20)),
    contact("C000008", day(-19)),
    # A plan on an undated row is closed by any contact from EARLY_DAYS before its date on.
    plan("C000009", None, day(-21)),
    contact("C000009", day(-21 - EARLY_DAYS)),
    # A meeting booked ahead is no contact yet: the plan stays red, the booked row's date is yellow.
    plan("C000010", day(-30), day(-23)),
    contact("C000010", day(4), "Meeting"),
    # A plan still ahead but already followed up (within the early days): no colour.
    plan("C000011", day(-5), day(2)),
    contact("C000011", day(-1)),
]
RED_NEXT_DATES = frozenset({day(-11), day(0), day(-14), day(-20), day(-23)})
YELLOW_NEXT_DATES = frozenset({day(1)})
WHITE_NEXT_DATES = frozenset({day(-10), day(-12), day(-21), day(2)})
YELLOW_DATES = frozenset({day(4)})


def column_x(spec: schema.Sheet, key: str) -> int:
    return schema.template_columns(spec).index(spec.column(key))


def rendered_page(path: Path, outdir: Path) -> tuple[list[tuple[float, float, float, float, str]], Path]:
    """The words of the first page of ``path`` converted to PDF by LibreOffice, and the page as a 100 dpi image."""
    pdf = convert_with_libreoffice(path, "pdf", outdir)
    if dt.date.today() != TODAY:
        # The rows were dated when the tests were collected; LibreOffice paints by its own TODAY(), now a day later.
        pytest.skip("midnight passed between collecting the tests and LibreOffice's rendering")
    html = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
    words = [(float(a), float(b), float(c), float(d), text) for a, b, c, d, text in word.findall(html)]
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", str(pdf), str(outdir / "page")], check=True)
    (image,) = outdir.glob("page*.ppm")
    return words, image


def background(image: Path, box: tuple[float, float, float, float]) -> tuple[int, int, int]:
    """The most common colour inside a word's box (points): the cell's fill, not its thinner letters."""
    data = image.read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert magic == b"P6" and depth == b"255"
    width_px = int(width)
    scale = 100 / 72
    left, top, right, bottom = (round(value * scale) for value in box)
    counts: collections.Counter[tuple[int, int, int]] = collections.Counter()
    for y in range(top, bottom):
        for x in range(left, right):
            at = 3 * (y * width_px + x)
            counts[(pixels[at], pixels[at + 1], pixels[at + 2])] += 1
    return counts.most_common(1)[0][0]


@pytest.mark.libreoffice
def test_libreoffice_paints_only_open_plans_that_are_due(tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.skip("pdftotext and pdftoppm (poppler) are not installed")
    book = template.build_workbook("en", rows={"interactions": ROWS})
    settings = book[schema.SETTINGS.en]
    (row,) = [r for r in settings.iter_rows(min_row=2) if r[0].value == "plan_early_days"]
    row[column_x(schema.SETTINGS, "value")].value = EARLY_DAYS
    for name in book.sheetnames:  # Interactions on page 1; Settings stays, the highlight reads it
        if name not in (schema.INTERACTIONS.en, schema.SETTINGS.en):
            del book[name]
    path = tmp_path / "plans.xlsx"
    book.save(path)

    words, image = rendered_page(path, tmp_path / "pdf")
    header = {text: x_min for x_min, _, _, _, text in words if text in ("ClientID", "Next")}
    colours: dict[str, dict[str, tuple[int, int, int]]] = {"date": {}, "next_date": {}}
    for x_min, y_min, x_max, y_max, text in words:
        if re.fullmatch(r"\d\d\.\d\d\.\d{4}", text):
            column = "next_date" if x_min >= header["Next"] - 1 else "date" if x_max <= header["ClientID"] else None
            if column:
                colours[column].setdefault(text, background(image, (x_min, y_min, x_max, y_max)))

    next_dates = dict(colours["next_date"])
    assert next_dates == {
        **{shown(d): RED for d in RED_NEXT_DATES},
        **{shown(d): YELLOW for d in YELLOW_NEXT_DATES},
        **{shown(d): WHITE for d in WHITE_NEXT_DATES},
    }
    assert {text for text, colour in colours["date"].items() if colour != WHITE} == {shown(d) for d in YELLOW_DATES}
    assert colours["date"][shown(next(iter(YELLOW_DATES)))] == YELLOW


def test_the_highlight_counts_contacts_over_whole_columns_and_reads_plan_early_days_from_settings() -> None:
    """Whole columns: Excel and LibreOffice count only to the last used row, and adding or deleting rows keeps
    the rule as it is; the early days come through a defined name with the default as fallback."""
    for locale in schema.LOCALES:
        book = template.build_workbook(locale)
        sheet = book[schema.INTERACTIONS.name(locale)]
        date = column_letter(column_x(schema.INTERACTIONS, "date"))
        client_id = column_letter(column_x(schema.INTERACTIONS, "client_id"))
        rules = [rule.formula[0] for cf in sheet.conditional_formatting for rule in cf.rules]
        plan_rules = [rule for rule in rules if "COUNTIFS" in rule]
        assert len(plan_rules) == 2
        for rule in plan_rules:
            assert f"${date}:${date}" in rule and f"${client_id}:${client_id}" in rule
            assert template.PLAN_EARLY_DAYS_NAME in rule
        name = book.defined_names[template.PLAN_EARLY_DAYS_NAME].attr_text
        assert '"plan_early_days"' in name and schema.SETTINGS.name(locale) in name
        assert name.endswith(f",{schema.setting('plan_early_days').default})")
