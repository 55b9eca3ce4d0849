"""Sheets copied by one upgrade each bring their table with an id of its own: Excel refuses a workbook where two
tables share an id («We found a problem with some content») and repairs it by dropping tables."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

from xlcrm import schema
from xlcrm.jobs.upgrade import upgrade_workbook

# Russian clients, interactions and settings, without Contacts, My services and Contracts: three sheets to add.
OLD_WORKBOOK = Path(__file__).parents[1] / "data" / "foreign" / "openpyxl.xlsx"


def tables(path: Path) -> list[tuple[int, str]]:
    """(id, display name) of every table part of the workbook."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/tables/"):
                tag = re.search(r"<table\s[^>]*>", archive.read(name).decode())
                assert tag is not None, name
                table_id = re.search(r'\sid="(\d+)"', tag.group(0))
                display = re.search(r'\sdisplayName="([^"]*)"', tag.group(0))
                assert table_id is not None and display is not None, name
                found.append((int(table_id.group(1)), display.group(1)))
    return found


def test_every_table_of_the_sheets_one_upgrade_adds_has_an_id_and_name_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "clients.xlsx"
    shutil.copyfile(OLD_WORKBOOK, path)
    result = upgrade_workbook(path)
    assert set(result.sheets) >= {schema.CONTACTS.ru, schema.SERVICES.ru, schema.CONTRACTS.ru}
    found = tables(path)
    assert len(found) >= 3
    ids = [table_id for table_id, _ in found]
    names = [name.casefold() for _, name in found]
    assert len(set(ids)) == len(ids), found
    assert len(set(names)) == len(names), found
