"""xlcrm refresh on real workbooks: report figures against independent pandas computations, idempotence,
migration between two refreshes, refusal of broken workbooks, dry runs."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from tests.builders import valid_records, write_records
from tests.paths import EXAMPLE
from xlcrm import schema
from xlcrm.checks.findings import Code
from xlcrm.cli.main import cli
from xlcrm.create.demo import DemoData, generate_demo
from xlcrm.dedupe.merge_log import read_merge_log, read_sheet_rows
from xlcrm.errors import WorkbookStructureError
from xlcrm.files.safe_save import SaveOptions
from xlcrm.jobs.agenda import workbook_agenda
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.validate import validate_workbook
from xlcrm.lifecycle.analysis import analyse
from xlcrm.lifecycle.computed import computed_cells
from xlcrm.reports.agenda import TASK_NAMES
from xlcrm.xlsx.reader import read_workbook

TODAY = dt.date(2026, 11, 23)  # the example's "today"
PERIOD_START = pd.Timestamp(2025, 12, 1)  # twelve calendar months up to TODAY
LOCALE = "ru"


def label(key: str) -> str:
    return schema.label(key, LOCALE)


def sheet_rows(path: Path, name: str) -> list[list[object]]:
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(row) for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()


def table(rows: list[list[object]], heading: str) -> pd.DataFrame:
    """The table under ``heading`` (its header row, then rows down to the first blank row)."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == heading)
    header = [h for h in rows[start + 1] if h is not None]
    body = []
    for row in rows[start + 2 :]:
        if all(v is None for v in row):
            break
        body.append(row[: len(header)])
    return pd.DataFrame(body, columns=header)


def refreshed_example(folder: Path, today: dt.date = TODAY) -> Path:
    path = folder / "demo.xlsx"
    shutil.copyfile(EXAMPLE, path)
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", today.isoformat(), "--keep-backups", "0"])
    assert result.exit_code == 0, result.output  # saved, although the example keeps its planted errors
    assert "▸ Проблемы" in result.output
    return path


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return refreshed_example(tmp_path_factory.mktemp("refresh"))


def assigned_ids(data: DemoData) -> dict[int, str]:
    """Index in the generated Clients rows -> the ClientID refresh gives the rows generated without one: the next
    numbers after the last ClientID, in row order, skipping those Interactions and Contacts name."""
    clients = data.rows[schema.CLIENTS.key]
    named = {row["client_id"] for key in (schema.INTERACTIONS.key, schema.CONTACTS.key) for row in data.rows[key]}
    last = max(int(str(row["client_id"])[1:]) for row in clients if row["client_id"])
    free = (f"C{number:06d}" for number in itertools.count(last + 1) if f"C{number:06d}" not in named)
    return {index: next(free) for index, row in enumerate(clients) if not row["client_id"]}


def planted_merges() -> dict[str, str]:
    """ClientID of each planted duplicate -> its original's, from the demo's manifest."""
    return {d.duplicate: d.original for d in generate_demo(120, 1, LOCALE, TODAY).planted_duplicates}


@pytest.fixture(scope="module")
def raw() -> dict[str, pd.DataFrame]:
    """The example's rows as the generator made them, parsed here with plain pandas, and merged as refresh must:
    each planted duplicate's interactions belong to its original, whose blank manager or designation it fills."""
    data = generate_demo(120, 1, LOCALE, TODAY)
    merges = planted_merges()
    every = pd.DataFrame(data.rows[schema.CLIENTS.key])
    # Rows typed without a ClientID get one and count like any other; an ID on two rows counts for neither.
    every["client_id"] = every["client_id"].fillna(pd.Series(assigned_ids(data), dtype=object))
    copies = every[every["client_id"].isin(merges)].assign(client_id=lambda f: f["client_id"].map(merges))
    copies = copies.drop_duplicates("client_id").set_index("client_id")
    clients = every[~every["client_id"].isin(merges) & ~every["client_id"].duplicated(keep=False)].copy()
    for key in ("manager", "designation"):
        clients[key] = clients[key].fillna(clients["client_id"].map(copies[key]))
    log = pd.DataFrame(data.rows[schema.INTERACTIONS.key])
    log["client_id"] = log["client_id"].replace(merges)
    log["date"] = log["date"].map(
        lambda v: pd.Timestamp(v) if isinstance(v, dt.date) else pd.to_datetime(v, format="%d.%m.%Y", errors="coerce")
    )
    log["amount"] = pd.to_numeric(log["amount"], errors="coerce")
    log = log[log["client_id"].isin(clients["client_id"]) & ~(log["date"] > pd.Timestamp(TODAY))]
    manager_of = clients.set_index("client_id")["manager"]
    log["acting"] = log["manager"].fillna(log["client_id"].map(manager_of))
    return {"clients": clients, "log": log}


def expected_blocks(clients: pd.DataFrame, log: pd.DataFrame) -> pd.Series:
    """DESIGN.md's rules, written out client by client."""
    blocks = {}
    for client in clients.itertuples():
        mine = log[log["client_id"] == client.client_id]
        orders = (mine["type"] == schema.ORDER.ru).sum()
        contacts = mine.loc[mine["type"] != schema.PAYMENT.ru, "date"]  # a payment is bookkeeping, not a contact
        silent = (pd.Timestamp(TODAY) - contacts.max()).days if contacts.notna().any() else None
        if client.designation == schema.KEY_ACCOUNT.ru:
            blocks[client.client_id] = 8
        elif client.designation == schema.VIP.ru:
            blocks[client.client_id] = 7
        # Dead: Lost, or a former client silent a year; a prospect who never ordered is never Dead by silence.
        elif client.designation == schema.LOST.ru or (orders >= 1 and silent is not None and silent >= 365):
            blocks[client.client_id] = 1
        elif orders >= 10:
            blocks[client.client_id] = 6
        elif orders >= 3:
            blocks[client.client_id] = 5
        elif orders >= 1:
            blocks[client.client_id] = 4
        elif (mine["type"] == schema.AGREEMENT.ru).any():
            blocks[client.client_id] = 3
        else:
            blocks[client.client_id] = 2
    return pd.Series(blocks)


def period_orders(log: pd.DataFrame) -> pd.DataFrame:
    return log[(log["type"] == schema.ORDER.ru) & (log["date"] >= PERIOD_START)]


def test_dashboard_blocks(example: Path, raw: dict[str, pd.DataFrame]) -> None:
    blocks = expected_blocks(raw["clients"], raw["log"])
    shown = table(sheet_rows(example, schema.DASHBOARD.name(LOCALE)), label("by_block"))
    body = shown[shown[label("block_number")].notna()].set_index(label("block_number"))
    assert body[label("clients")].to_dict() == blocks.value_counts().reindex(range(8, 0, -1), fill_value=0).to_dict()
    revenue = raw["log"][raw["log"]["type"] == schema.ORDER.ru].groupby("client_id")["amount"].sum()
    by_block = revenue.groupby(blocks.reindex(revenue.index)).sum().reindex(range(8, 0, -1), fill_value=0)
    assert body[label("revenue_all_time")].tolist() == pytest.approx(by_block.tolist())
    assert set(blocks.unique()) == set(range(1, 9)), "the example has a member in every block"


def test_dashboard_revenue_by_month(example: Path, raw: dict[str, pd.DataFrame]) -> None:
    orders = period_orders(raw["log"])
    expected = orders.groupby(orders["date"].dt.strftime("%Y-%m"))["amount"].agg(["size", "sum"])
    shown = table(sheet_rows(example, schema.DASHBOARD.name(LOCALE)), label("revenue_by_month")).set_index(
        label("month")
    )
    # The month of today is still running, and says so.
    assert len(shown) == 12 and shown.index[0] == "2025-12" and shown.index[-1] == "2026-11 (по 23.11)"
    shown.index = shown.index.str.slice(0, 7)
    shown = shown[shown[label("orders")] > 0]
    assert shown[label("orders")].to_dict() == expected["size"].to_dict()
    assert shown[label("revenue")].tolist() == pytest.approx(expected["sum"].tolist())


def test_managers(example: Path, raw: dict[str, pd.DataFrame]) -> None:
    log = raw["log"][raw["log"]["date"] >= PERIOD_START]
    shown = table(sheet_rows(example, schema.MANAGERS_REPORT.name(LOCALE)), label("activity")).set_index(
        label("manager")
    )
    orders = log[log["type"] == schema.ORDER.ru]
    assert shown[label("orders")].to_dict() == orders.groupby("acting").size().to_dict()
    assert shown[label("revenue")].to_dict() == pytest.approx(orders.groupby("acting")["amount"].sum().to_dict())
    calls = log[log["type"] == schema.CALL_OUT.ru].groupby("acting").size()
    assert shown[schema.CALL_OUT.ru].to_dict() == calls.reindex(shown.index, fill_value=0).to_dict()
    # Conversion: clients without an order before the period whose first order falls in it.
    all_orders = raw["log"][raw["log"]["type"] == schema.ORDER.ru]
    first = all_orders.groupby("client_id")["date"].min().reindex(raw["clients"]["client_id"]).to_numpy()
    clients = raw["clients"].assign(first=first)
    base = clients[clients["first"].isna() | (clients["first"] >= PERIOD_START)]
    assert shown[label("conversion_base")].to_dict() == base.groupby("manager").size().to_dict()
    assert (
        shown[label("converted")].to_dict()
        == base[base["first"].notna()].groupby("manager").size().reindex(shown.index, fill_value=0).to_dict()
    )
    # Overdue tasks: the client's earliest open plan is due today or before, whatever the block. A plan (a Next date
    # written on a row) is done by a contact dated after that row and no earlier than three days before the Next date.
    log = raw["log"]
    late = []
    for client, mine in log.groupby("client_id"):
        contacts = mine.loc[mine["type"] != schema.PAYMENT.ru, "date"].dropna()  # a payment closes no plan
        open_plans = [
            pd.Timestamp(plan.next_date)
            for plan in mine[mine["next_date"].notna()].itertuples()
            if not (
                (contacts >= pd.Timestamp(plan.next_date) - pd.Timedelta(days=3))
                & (pd.isna(plan.date) | (contacts > plan.date))
            ).any()
        ]
        if open_plans and min(open_plans) <= pd.Timestamp(TODAY):
            late.append(client)
    owners = raw["clients"].set_index("client_id")["manager"]
    assert (
        shown[label("overdue_tasks")].to_dict()
        == owners[late].value_counts().reindex(shown.index, fill_value=0).to_dict()
    )


def test_services(example: Path, raw: dict[str, pd.DataFrame]) -> None:
    orders = period_orders(raw["log"])
    expected = orders.groupby("service").agg(
        orders=("amount", "size"), revenue=("amount", "sum"), clients=("client_id", "nunique")
    )
    rows = sheet_rows(example, schema.SERVICES_REPORT.name(LOCALE))
    shown = table(rows, label("services_totals")).set_index(label("service"))
    assert shown[label("orders")].to_dict() == expected["orders"].to_dict()
    assert shown[label("clients")].to_dict() == expected["clients"].to_dict()
    assert shown[label("revenue")].to_dict() == pytest.approx(expected["revenue"].to_dict())
    ordered = set(raw["log"].loc[raw["log"]["type"] == schema.ORDER.ru, "service"])
    catalogue = [row["service"] for row in generate_demo(120, 1, LOCALE, TODAY).rows[schema.SERVICES.key]]
    never = table(rows, label("services_never"))[label("service")].tolist()
    assert never == [s for s in catalogue if s not in ordered] and never
    monthly = table(rows, label("services_by_month"))
    assert monthly[label("orders")].sum() == len(orders)


def test_abc(example: Path, raw: dict[str, pd.DataFrame]) -> None:
    revenue = period_orders(raw["log"]).groupby("client_id")["amount"].sum()
    # Equal revenue is ranked by ClientID, as the ABC sheet says.
    revenue = revenue[revenue > 0].sort_index().sort_values(ascending=False, kind="stable")
    total, running, expected = revenue.sum(), 0.0, {}
    for client_id, amount in revenue.items():
        expected[client_id] = "A" if running < 0.8 * total else "B" if running < 0.95 * total else "C"
        running += amount
    shown = table(sheet_rows(example, schema.ABC.name(LOCALE)), label("abc_ranking"))
    assert dict(zip(shown[label("client_id")], shown[label("abc_class")])) == expected
    assert shown[label("cumulative_share")].iloc[-1] == pytest.approx(1.0)
    assert shown[label("revenue")].is_monotonic_decreasing


def test_problems_list_every_finding(example: Path) -> None:
    # The cells are those of the saved workbook, below the merged rows that were deleted.
    findings = validate_workbook(example, today=TODAY).findings
    shown = table(sheet_rows(example, schema.PROBLEMS.name(LOCALE)), label("problems_heading"))
    assert shown[label("cell")].tolist() == [f.cell for f in findings]
    assert shown[label("code")].tolist() == [f.code.value for f in findings]
    # The planted duplicates are free of mistakes: merging them loses no finding. The blank ClientIDs are filled.
    before = validate_workbook(EXAMPLE, today=TODAY).findings
    assert [f.code for f in findings] == [f.code for f in before if f.code is not Code.BLANK_CLIENT_ID]


def test_agenda_sheet(example: Path, raw: dict[str, pd.DataFrame]) -> None:
    rows = sheet_rows(example, schema.AGENDA.name(LOCALE))
    # Two tables: the rows per manager, then the agenda; each headed by Manager.
    summary_at, agenda_at = [i for i, row in enumerate(rows) if row and row[0] == label("manager")]
    shown = table(rows, rows[agenda_at - 1][0])
    what = shown.columns[-1]
    blocks = expected_blocks(raw["clients"], raw["log"])
    lost = set(raw["clients"].loc[raw["clients"]["designation"] == schema.LOST.ru, "client_id"])
    reactivate = TASK_NAMES["reactivate"].render(LOCALE)
    revived = shown[shown[what].str.startswith(reactivate)]
    assert 0 < len(revived) and revived[label("manager")].value_counts().max() <= 5  # reactivations_per_week
    assert all(blocks[c] == 1 and c not in lost for c in revived[label("client_id")])
    names = tuple(name.render(LOCALE) for name in TASK_NAMES.values())
    assert all(reasons.startswith(names) for reasons in shown[what])
    assert shown[what].str.startswith(TASK_NAMES["plan"].render(LOCALE)).any()
    # One row per client and day: a client due now appears once; grouped by manager, more than one, each under
    # the limit, as the summary counts them.
    due_now = shown[shown[label("client_id")].notna() & shown.iloc[:, 3].notna()]
    assert not due_now[label("client_id")].duplicated().any()
    managers = shown[label("manager")]
    assert managers.map(schema.fold).is_monotonic_increasing and managers.nunique() > 1
    summary = {row[0]: row[1] for row in rows[summary_at + 1 : agenda_at - 2]}
    assert summary == managers.value_counts().to_dict() and max(summary.values()) <= 25


def test_managers_count_the_clients_on_their_agenda(example: Path) -> None:
    """Each manager's clients on the agenda (every row, also those over the sheet's limit), a client with several
    reasons once."""
    items = workbook_agenda(example, today=TODAY).agenda.items
    expected = items.groupby("manager")["client_id"].nunique()
    shown = table(sheet_rows(example, schema.MANAGERS_REPORT.name(LOCALE)), label("activity")).set_index(
        label("manager")
    )
    column = "Клиентов в повестке"
    assert shown[column].to_dict() == expected.reindex(shown.index, fill_value=0).to_dict()
    assert shown[column].sum() > len(shown)  # more than one client each: something to count


def test_user_sheets_changed_only_by_merges_and_reports_added(example: Path) -> None:
    before = load_workbook(EXAMPLE)
    after = load_workbook(example)
    reports = [spec.name(LOCALE) for spec in schema.REFRESH_REPORTS + (schema.DUPLICATES, schema.MERGE_LOG)]
    assert after.sheetnames == before.sheetnames + reports
    merges = planted_merges()
    for name in before.sheetnames:
        old, new = before[name], after[name]
        width = old.max_column  # Clients gains computed columns on the right; the user's columns stay as they were
        rows = [[c.value for c in row[:width]] for row in old.iter_rows()]
        shown = [[c.value for c in row[:width]] for row in new.iter_rows()]
        if name == schema.CLIENTS.ru:
            # The rows without a ClientID have one; the copies' rows are gone; the originals' blanks were filled
            # from them and phones, emails appended.
            assigned = assigned_ids(generate_demo(120, 1, LOCALE, TODAY))
            rows = [
                [assigned[number - 2], *row[1:]] if number - 2 in assigned else row
                for number, row in enumerate(rows, 1)
            ]
            rows = [row for row in rows if row[0] not in merges]
            assert [row[0] for row in shown] == [row[0] for row in rows]
            survivors = set(merges.values())
            rows, shown = ([row for row in table if row[0] not in survivors] for table in (rows, shown))
        elif name in (schema.INTERACTIONS.ru, schema.CONTACTS.ru):  # the copies' rows point at the originals now
            column = 1 if name == schema.INTERACTIONS.ru else 0
            rows = [row[:column] + [merges.get(row[column], row[column])] + row[column + 1 :] for row in rows]
        assert rows == shown, name
        assert new.max_column == width + (len(schema.CLIENT_COMPUTED_COLUMNS) if name == schema.CLIENTS.ru else 0)


def test_computed_columns_on_clients(example: Path, raw: dict[str, pd.DataFrame]) -> None:
    sheet = load_workbook(example, data_only=True)[schema.CLIENTS.ru]
    width = len(schema.CLIENTS.columns)
    headers = [c.value for c in sheet[1][width:]]
    assert headers == ["▸ " + c.ru for c in schema.CLIENT_COMPUTED_COLUMNS]
    keys = [c.key for c in schema.CLIENTS.columns + schema.CLIENT_COMPUTED_COLUMNS]
    shown = pd.DataFrame([[c.value for c in row] for row in sheet.iter_rows(min_row=2)], columns=keys)
    # A ClientID on two rows counts for neither: their computed cells stay blank.
    repeated = shown["client_id"].duplicated(keep=False)
    assert repeated.any() and shown.loc[repeated, [c.key for c in schema.CLIENT_COMPUTED_COLUMNS]].isna().all().all()
    shown = shown[~repeated].set_index("client_id")
    blocks = expected_blocks(raw["clients"], raw["log"])
    assert shown["block"].to_dict() == {c: schema.block(b).label(LOCALE) for c, b in blocks.items()}
    orders = raw["log"][raw["log"]["type"] == schema.ORDER.ru].groupby("client_id")
    assert shown["orders"].to_dict() == orders.size().reindex(shown.index, fill_value=0).to_dict()
    revenue = orders["amount"].sum().reindex(shown.index, fill_value=0)
    assert shown["revenue"].to_dict() == pytest.approx(revenue.to_dict())
    contacts = raw["log"][raw["log"]["type"] != schema.PAYMENT.ru]  # a payment is bookkeeping, not a contact
    assert shown["last_contact"].dropna().to_dict() == contacts.groupby("client_id")["date"].max().dropna().to_dict()
    assert (shown["first_order"].dropna() <= shown["last_order"].dropna()).all()


def test_refresh_is_idempotent(example: Path, tmp_path: Path) -> None:
    # The match model is learnt on the clients as they are: the refresh that merged duplicates leaves weights on
    # ▸ Duplicates that the next one, on the merged clients, moves once. From then on nothing changes.
    second, third = tmp_path / "second.xlsx", tmp_path / "third.xlsx"
    shutil.copyfile(example, second)
    result = refresh_workbook(second, today=TODAY, save=SaveOptions(keep_backups=0))
    assert result.added_columns == () and result.merged_clients == 0
    shutil.copyfile(second, third)
    result = refresh_workbook(third, today=TODAY, save=SaveOptions(keep_backups=0))
    assert result.added_columns == () and result.merged_clients == 0
    for spec in schema.REFRESH_REPORTS + (schema.DUPLICATES, schema.MERGE_LOG, schema.CLIENTS, schema.INTERACTIONS):
        assert sheet_rows(third, spec.name(LOCALE)) == sheet_rows(second, spec.name(LOCALE)), spec.key


def test_two_refreshes_a_month_apart_show_migration(tmp_path: Path) -> None:
    records = valid_records("en")
    first, later = dt.date(2026, 10, 23), dt.date(2026, 11, 23)
    order = {"client_id": "C000002", "type": schema.ORDER.en, "amount": 100, "manager": "Boris"}
    records[schema.INTERACTIONS.key] += [dict(order, date=dt.date(2026, 10, 1)), dict(order, date=dt.date(2026, 11, 1))]
    path = write_records(tmp_path / "base.xlsx", "en", records)
    assert refresh_workbook(path, today=first, save=SaveOptions(keep_backups=0)).migration.previous is None

    # Between the refreshes someone adds a client and deletes another (row 2: the VIP).
    book = load_workbook(path)
    clients = book[schema.CLIENTS.en]
    clients.delete_rows(2)
    clients.append(["C000003", "New person", "New Co", None, "+7 916 765-43-21"])
    book.save(path)

    # One of two clients gone is more than the 5 % a refresh goes on without being told (see tests/changes).
    result = refresh_workbook(path, today=later, save=SaveOptions(keep_backups=0), accept_deletions=True)
    assert result.migration.previous == first
    matrix = result.migration.matrix
    assert matrix.loc[4, 4] == 1  # C000002: one order by 23.10 and two by 23.11, still Working
    assert matrix.loc[7, "gone"] == 1 and matrix.loc["new", 2] == 1
    assert int(matrix.to_numpy().sum()) == 3

    dashboard = sheet_rows(path, schema.DASHBOARD.name("en"))
    shown = table(dashboard, schema.label("migration", "en").format(previous="23.10.2026"))
    shown = shown.set_index(schema.label("from_to", "en"))
    assert shown.loc[schema.block(7).label("en"), schema.label("gone_client", "en")] == 1
    assert shown.loc[schema.label("new_client", "en"), schema.block(2).label("en")] == 1
    history = table(dashboard, schema.label("history", "en"))
    assert history[schema.label("date", "en")].dt.date.tolist() == [first, later]


def test_block_change_between_refreshes(tmp_path: Path) -> None:
    records = valid_records("en")
    order = {"client_id": "C000002", "type": schema.ORDER.en, "amount": 100}
    records[schema.INTERACTIONS.key] += [dict(order, date=dt.date(2026, 9, d)) for d in (1, 2)]
    records[schema.INTERACTIONS.key].append(dict(order, date=dt.date(2026, 11, 10)))
    path = write_records(tmp_path / "move.xlsx", "en", records)
    refresh_workbook(path, today=dt.date(2026, 10, 23), save=SaveOptions(keep_backups=0))
    result = refresh_workbook(path, today=dt.date(2026, 11, 23), save=SaveOptions(keep_backups=0))
    assert result.migration.matrix.loc[4, 5] == 1 and result.migration.moved == 1
    moves = table(
        sheet_rows(path, schema.DASHBOARD.name("en")), schema.label("who_moved", "en").format(previous="23.10.2026")
    )
    assert moves.values.tolist() == [["C000002", "Olga Sidorova", None, "Boris", "4 Working", "5 Regular"]]
    # Repeated on the same day, it still compares with October, not with itself.
    again = refresh_workbook(path, today=dt.date(2026, 11, 23), save=SaveOptions(keep_backups=0))
    assert again.migration.previous == dt.date(2026, 10, 23) and again.migration.moved == 1


def test_clean_workbook_exits_0_and_json_matches_library(tmp_path: Path) -> None:
    path = write_records(tmp_path / "clean.xlsx", "en", valid_records("en"))
    copy = tmp_path / "copy.xlsx"
    shutil.copyfile(path, copy)
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    library = refresh_workbook(copy, today=TODAY, save=SaveOptions(keep_backups=0)).to_dict()
    for key in ("blocks", "errors", "warnings", "added_sheets", "moved", "today", "locale"):
        assert payload[key] == library[key]
    # C000001 is VIP; C000002's only entry, an agreement of 2024, is more than a year old, but a prospect who
    # never ordered is not Dead: it stays Active (cold).
    assert payload["blocks"]["vip"] == 1 and payload["blocks"]["active"] == 1 and payload["blocks"]["dead"] == 0
    assert payload["save"]["backup"]


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = write_records(tmp_path / "clean.xlsx", "en", valid_records("en"))
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would add ▸ Dashboard" in result.output
    assert path.read_bytes() == before and not (tmp_path / ".xlcrm-backups").exists()


def test_output_leaves_the_original_alone(tmp_path: Path) -> None:
    path = write_records(tmp_path / "clean.xlsx", "en", valid_records("en"))
    before = path.read_bytes()
    target = tmp_path / "out.xlsx"
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == before
    assert schema.DASHBOARD.name("en") in load_workbook(target, read_only=True).sheetnames


@pytest.mark.parametrize("broken", ["missing column", "headers on row 3"])
def test_broken_structure_is_refused(tmp_path: Path, broken: str) -> None:
    path = write_records(tmp_path / "broken.xlsx", "en", valid_records("en"))
    book = load_workbook(path)
    if broken == "missing column":
        interactions = book[schema.INTERACTIONS.en]
        interactions.delete_cols([c.key for c in schema.INTERACTIONS.columns].index("type") + 1)
    else:
        book[schema.CLIENTS.en].insert_rows(1, 2)
    book.save(path)
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", "2026-11-23"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the workbook cannot be refreshed until this is fixed")
    assert "Traceback" not in result.output
    assert path.read_bytes() == before
    with pytest.raises(WorkbookStructureError):
        refresh_workbook(path, today=TODAY)


def test_computed_columns_never_take_a_users_column(tmp_path: Path) -> None:
    path = write_records(tmp_path / "own.xlsx", "en", valid_records("en"))
    book = load_workbook(path)
    clients = book[schema.CLIENTS.en]
    own = len(schema.CLIENTS.columns) + 1  # the user's own "Revenue" column right of the schema columns
    clients.cell(1, own, "Revenue")
    clients.cell(2, own, "typed by hand")
    book.save(path)

    first = refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    assert first.added_columns == tuple("▸ " + c.en for c in schema.CLIENT_COMPUTED_COLUMNS)
    second = refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    assert second.added_columns == ()
    sheet = load_workbook(path)[schema.CLIENTS.en]
    assert [sheet.cell(1, own).value, sheet.cell(2, own).value] == ["Revenue", "typed by hand"]
    assert sheet.cell(1, own + 1).value == "▸ Block" and sheet.cell(2, own + 1).value == "7 VIP"
    assert sheet.cell(2, own + 3).value == 45000  # C000001's one order
    assert sheet.max_column == own + len(schema.CLIENT_COMPUTED_COLUMNS)


@pytest.mark.parametrize("locale", schema.LOCALES)
def test_empty_template_refreshes(tmp_path: Path, locale: str) -> None:
    path = tmp_path / "new.xlsx"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(path), "--locale", locale]).exit_code == 0
    result = runner.invoke(cli, ["refresh", str(path), "--today", "2026-11-23", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload["blocks"].values()) == {0} and payload["errors"] == 0
    book = load_workbook(path)
    assert book.sheetnames[-len(schema.REFRESH_REPORTS) :] == [s.name(locale) for s in schema.REFRESH_REPORTS]
    agenda = sheet_rows(path, schema.AGENDA.name(locale))
    assert agenda[3][0] == schema.label("no_tasks", locale)


def test_report_cells_are_formatted(example: Path) -> None:
    sheet = load_workbook(example)[schema.DASHBOARD.name(LOCALE)]
    assert sheet["A1"].value == label("dashboard_title") and sheet["A1"].font.b
    assert sheet["A2"].value == "Рассчитано на 23.11.2026; период 01.12.2025 – 23.11.2026"
    header = 5  # title, subtitle, a blank row, the heading, then the header
    assert [sheet.cell(header, c).value for c in (3, 4, 6)] == [
        label("clients"),
        label("share_of_clients"),
        label("revenue_all_time"),
    ]
    assert sheet.cell(header + 1, 4).number_format == "0.0%"
    assert sheet.cell(header + 1, 6).number_format == "#,##0.00"
    assert sheet.freeze_panes is None  # an overview of short tables: no header may stay over the others
    history = load_workbook(example)[schema.BLOCK_HISTORY.name(LOCALE)]
    assert history["A6"].number_format == "DD.MM.YYYY" and history["A6"].value == dt.datetime(2026, 11, 23)


def test_only_changed_computed_cells_are_written(tmp_path: Path) -> None:
    def pending(path: Path) -> dict[str, object]:
        data = read_workbook(path)
        analysis = analyse(data, TODAY)
        computed = computed_cells(data.sheet(schema.CLIENTS.key), analysis.frames, analysis.lifecycle)
        return {f"{letter}{row}": value for letter, cells in computed.columns.items() for row, value in cells.items()}

    records = valid_records("en")
    path = write_records(tmp_path / "base.xlsx", "en", records)
    first = pending(path)
    # The computed columns start right of the user's: ▸ Block, ▸ Orders, ▸ Revenue, ▸ First order, ...
    block, orders, revenue, first_order, last_order, last_contact, next_contact = (
        get_column_letter(len(schema.CLIENTS.columns) + n) for n in range(1, 8)
    )
    headers = [first[f"{get_column_letter(len(schema.CLIENTS.columns) + n)}1"] for n in range(1, 12)]
    assert headers == ["▸ " + c.en for c in schema.CLIENT_COMPUTED_COLUMNS]
    # C000002 has an agreement and no order, silent for years: never Dead by silence, she stays Active (cold)
    assert (first[f"{block}2"], first[f"{orders}2"], first[f"{block}3"]) == ("7 VIP", 3, "3 Active")
    assert f"{next_contact}2" not in first  # nothing planned: a blank stays blank, no cell is written for it
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    assert pending(path) == {}

    book = load_workbook(path)
    clients, log = book[schema.CLIENTS.en], book[schema.INTERACTIONS.en]
    clients[f"{orders}2"] = 99  # typed over a computed cell by hand
    log.append([dt.date(2026, 11, 20), "C000002", schema.ORDER.en, None, 500])
    book.save(path)
    assert pending(path) == {
        f"{orders}2": 3,
        f"{block}3": "4 Working",
        f"{orders}3": 1,
        f"{revenue}3": 500.0,
        f"{first_order}3": dt.date(2026, 11, 20),
        f"{last_order}3": dt.date(2026, 11, 20),
        f"{last_contact}3": dt.date(2026, 11, 20),
    }


def test_planted_duplicates_merged_exactly(example: Path) -> None:
    log = read_merge_log(read_sheet_rows(example, schema.MERGE_LOG))
    id_column = log.headers.index(schema.CLIENTS.column("client_id").name(LOCALE))
    by_merge: dict[str, dict[str, str]] = {}
    for entry in log.entries:
        if entry.sheet == schema.CLIENTS.ru:
            by_merge.setdefault(entry.merge_id, {})[entry.role] = entry.values[id_column]
    assert {merge["merged"]: merge["survivor"] for merge in by_merge.values()} == planted_merges()


def test_computed_columns_get_widths_and_a_users_width_stays(tmp_path: Path) -> None:
    """Dates at Excel's default width show ########: new computed columns get their schema width, once."""
    path = write_records(tmp_path / "widths.xlsx", "en", valid_records("en"))
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    sheet = load_workbook(path)[schema.CLIENTS.en]
    first = len(schema.CLIENTS.columns) + 1
    letters = [sheet.cell(1, first + offset).column_letter for offset in range(len(schema.CLIENT_COMPUTED_COLUMNS))]
    assert [sheet.column_dimensions[letter].width for letter in letters] == [
        column.width for column in schema.CLIENT_COMPUTED_COLUMNS
    ]
    book = load_workbook(path)
    book[schema.CLIENTS.en].column_dimensions[letters[3]].width = 30  # the user widens "First order"
    book.save(path)
    refresh_workbook(path, today=TODAY + dt.timedelta(days=1), save=SaveOptions(keep_backups=0))
    sheet = load_workbook(path)[schema.CLIENTS.en]
    assert sheet.column_dimensions[letters[3]].width == 30
    assert sheet.column_dimensions[letters[4]].width == schema.CLIENT_COMPUTED_COLUMNS[4].width


def test_revenue_shows_as_money_unless_the_user_chose_a_format(tmp_path: Path) -> None:
    path = write_records(tmp_path / "money.xlsx", "en", valid_records("en"))
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    sheet = load_workbook(path)[schema.CLIENTS.en]
    revenue = len(schema.CLIENTS.columns) + 1 + [c.key for c in schema.CLIENT_COMPUTED_COLUMNS].index("revenue")
    cell = sheet.cell(2, revenue)
    assert cell.value == 45000 and cell.number_format == schema.NUMBER_FORMATS[schema.Kind.MONEY]
    orders = sheet.cell(2, revenue - 1)
    assert orders.value == 3 and orders.number_format == "General"
    book = load_workbook(path)
    book[schema.CLIENTS.en].cell(2, revenue).number_format = "0"  # the user's own choice
    book[schema.CLIENTS.en].cell(2, revenue).value = 1  # and a stale figure the refresh will correct
    book.save(path)
    refresh_workbook(path, today=TODAY + dt.timedelta(days=1), save=SaveOptions(keep_backups=0))
    cell = load_workbook(path)[schema.CLIENTS.en].cell(2, revenue)
    assert cell.value == 45000 and cell.number_format == "0"


def test_a_user_sheet_named_like_a_report_stops_the_refresh(tmp_path: Path) -> None:
    """A sheet the user called «▸ Сводка» is theirs: refresh says so and changes nothing, in place of
    overwriting it with the dashboard."""
    path = tmp_path / "demo.xlsx"
    shutil.copy(EXAMPLE, path)
    book = load_workbook(path)
    book.create_sheet("▸ Сводка")["A1"] = "мои заметки о клиентах"
    book.save(path)
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat()])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [  # the workbook is Russian, so is the run without --lang
        "Ошибка: В книге есть лист «▸ Сводка», который создан не xlcrm; xlcrm хранит там свой отчёт и записал бы "
        "его поверх вашего листа: переименуйте свой лист (названия, которые начинаются с «▸», принадлежат xlcrm) и "
        "запустите команду снова; книга не изменена"
    ]
    assert path.read_bytes() == before
    result = CliRunner().invoke(cli, ["--lang", "en", "refresh", str(path), "--today", TODAY.isoformat()])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: the workbook has a sheet named '▸ Сводка' that xlcrm did not write; xlcrm keeps its own report "
        "there and would overwrite it: rename your sheet (names starting with '▸' are xlcrm's) and run again; "
        "the workbook was not changed"
    ]
    assert path.read_bytes() == before
    assert not (tmp_path / ".xlcrm-backups").exists()


def test_report_sheets_stay_xlcrms_after_excel_saves_them_and_from_older_versions(tmp_path: Path) -> None:
    """The mark survives a save by another program (openpyxl here, as Excel keeps sheet-local names); a report
    sheet written before the mark existed is known by its title."""
    path = tmp_path / "demo.xlsx"
    shutil.copy(EXAMPLE, path)
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    book = load_workbook(path)
    marks = [sheet.title for sheet in book.worksheets if schema.REPORT_SHEET_MARK in sheet.defined_names]
    assert sorted(marks) == sorted(name for name in book.sheetnames if name.startswith(schema.REPORT_MARKER))
    book.save(path)
    again = refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    assert again.save is not None and schema.DASHBOARD.name("ru") in again.replaced_sheets
    older = load_workbook(path)
    for sheet in older.worksheets:
        sheet.defined_names.pop(schema.REPORT_SHEET_MARK, None)
    older.save(path)
    assert refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0)).save is not None


@pytest.mark.libreoffice
def test_report_marks_survive_a_save_in_libreoffice(tmp_path: Path) -> None:
    from tests.conftest import convert_with_libreoffice

    path = tmp_path / "demo.xlsx"
    shutil.copy(EXAMPLE, path)
    refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))
    saved = convert_with_libreoffice(path, "xlsx", tmp_path / "lo")
    book = load_workbook(saved)
    marked = [sheet.title for sheet in book.worksheets if schema.REPORT_SHEET_MARK in sheet.defined_names]
    assert sorted(marked) == sorted(name for name in book.sheetnames if name.startswith(schema.REPORT_MARKER))
    assert refresh_workbook(saved, today=TODAY, save=SaveOptions(keep_backups=0)).save is not None


def test_problems_sheet_lists_designations_the_log_does_not_bear_out(tmp_path: Path) -> None:
    """A Key client without an order and a Lost client without a Reason lost: on ▸ Problems at their cells, in the
    workbook's language, and counted as warnings by refresh --json."""
    records = valid_records("ru")
    records[schema.CLIENTS.key][1]["designation"] = schema.KEY_ACCOUNT.ru  # C000002: an agreement, no order
    records[schema.CLIENTS.key].append(
        {"client_id": "C000003", "name": "Пётр", "manager": "Анна", "designation": schema.LOST.ru}
    )
    path = write_records(tmp_path / "clients.xlsx", "ru", records)
    result = CliRunner().invoke(
        cli, ["refresh", str(path), "--today", TODAY.isoformat(), "--keep-backups", "0", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["warnings"] == 2
    letters = {c.key: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i] for i, c in enumerate(schema.CLIENTS.columns)}
    shown = table(sheet_rows(path, schema.PROBLEMS.name("ru")), label("problems_heading"))
    assert shown[[label("cell"), label("code"), label("severity")]].values.tolist() == [
        [f"Клиенты!{letters['designation']}3", "designation-without-orders", label("warning")],
        [f"Клиенты!{letters['lost_reason']}4", "lost-without-reason", label("warning")],
    ]
    assert shown[label("problem")].tolist() == [
        "Статус «Ключевой», но у клиента нет ни одного заказа: в блок «5 Постоянные» клиент попадает, когда заказов "
        "не меньше 3 (настройка «Заказов до Постоянного» на листе Настройки)",
        "клиент со статусом «Потерян», но «Причина ухода» не заполнена: выберите, почему клиент ушёл (список «Причины "
        "ухода» на листе Настройки), чтобы на листе ▸ Сводка причины были посчитаны",
    ]


@pytest.mark.parametrize("blank_results", ["never saved", "saved as empty text"])
def test_computed_columns_go_right_of_a_column_of_the_owners_formulas(tmp_path: Path, blank_results: str) -> None:
    """The owner's formulas past the last header, in a column a read sees as blank (openpyxl saves no results; a
    formula giving "" saves an empty text): the first refresh puts its columns right of them, not over them."""
    path = write_records(tmp_path / "clients.xlsx", "en", valid_records("en"))
    book = load_workbook(path)
    clients = book[schema.CLIENTS.en]
    beyond = clients.max_column + 1
    for row in range(2, clients.max_row + 1):
        clients.cell(
            row, beyond, f'=IF(LEN(B{row})>100,"long","")' if blank_results != "never saved" else f"=LEN(B{row})"
        )
    book.save(path)
    if blank_results == "saved as empty text":
        from tests.conftest import convert_with_libreoffice  # noqa: PLC0415 - LibreOffice only here

        path = convert_with_libreoffice(path, "xlsx", tmp_path / "libreoffice")
    formulas = [cell.value for cell in load_workbook(path)[schema.CLIENTS.en][get_column_letter(beyond)][1:]]

    result = refresh_workbook(path, today=TODAY, save=SaveOptions(keep_backups=0))

    assert result.added_columns
    saved = load_workbook(path)[schema.CLIENTS.en]
    assert [cell.value for cell in saved[get_column_letter(beyond)][1:]] == formulas
    assert saved.cell(1, beyond + 1).value == "▸ Block"
