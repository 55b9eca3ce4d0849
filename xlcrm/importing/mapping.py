"""Which column of a source table goes into which column of a user sheet.

Headers are matched folded (case, spaces, ё ignored) against the sheet's own
column names in English and Russian, then against the synonyms of
``schema.IMPORT_SYNONYMS`` (amoCRM and Bitrix24 export headers among them),
then against the parts of a person's name (``Фамилия``, ``Имя``,
``Отчество``), which are joined into the Name cell when there is no full name.
Several source columns may go into Phone and Email; for any other column the
first source column wins and the rest are reported as not imported.

A mapping file overrides the choice, one line per source header::

    # source header = column of the sheet (English or Russian name), or - to skip it
    Телефон офиса = Phone
    Теги = -

Several headers mapped to Name are joined with spaces, in the file's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlcrm import schema
from xlcrm.errors import MappingError
from xlcrm.importing.sources import decode_text
from xlcrm.messages import Text, t
from xlcrm.schema import Sheet

# Columns several source columns may feed: their values are collected into one cell.
COLLECTED_COLUMNS = frozenset({"phone", "email"})
# Columns xlcrm fills itself on the sheet imported into.
NOT_IMPORTED = {schema.CLIENTS.key: frozenset({"client_id"})}
SKIP_MARKS = frozenset({"-", ""})
# Where a mapping came from when the column is imported (stable codes, as --json gives them).
AUTO = "auto"
FROM_MAPPING_FILE = "mapping file"


@dataclass(frozen=True)
class ColumnMapping:
    """One source column and where its values go."""

    header: str  # as in the source
    index: int  # 0-based position in the source
    column: str | None  # schema column key; None: not imported
    part: int | None = None  # for Name: the position of this part among the parts joined (None: a full name)
    # AUTO, FROM_MAPPING_FILE, or why it is not imported (a message, rendered when shown)
    origin: Text = AUTO

    def to_dict(self, spec: Sheet, locale: str) -> dict[str, Any]:
        """The mapping as JSON-ready values (the column by its name in ``locale``; why it is not imported as a
        message, rendered in the language of the run when printed)."""
        return {"header": self.header, "column": self.target_name(spec, locale), "origin": self.origin}

    def target_name(self, spec: Sheet, locale: str) -> str | None:
        """The name of the column this source column goes to, or None when it is not imported."""
        return spec.column(self.column).name(locale) if self.column else None


def auto_mapping(spec: Sheet, headers: Sequence[str], locale: str = "en") -> list[ColumnMapping]:
    """The mapping xlcrm chooses from the headers alone (columns named in its reasons as a workbook in ``locale``
    names them)."""
    synonyms = _synonym_index(spec)
    parts = {schema.fold(text): position for position, texts in enumerate(schema.NAME_PART_SYNONYMS) for text in texts}
    mappings: list[ColumnMapping] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        column = schema.match_column(spec, header)
        key = column.key if column else synonyms.get(schema.fold(header))
        if key is not None:
            mappings.append(ColumnMapping(header, index, key))
        elif schema.fold(header) in parts and _has(spec, "name"):
            mappings.append(ColumnMapping(header, index, "name", part=parts[schema.fold(header)]))
        else:
            mappings.append(ColumnMapping(header, index, None, origin=t("no matching column")))
    return _settle(spec, mappings, locale)


def _has(spec: Sheet, key: str) -> bool:
    return any(column.key == key for column in spec.columns)


def _synonym_index(spec: Sheet) -> dict[str, str]:
    return {schema.fold(text): key for key, texts in schema.IMPORT_SYNONYMS.get(spec.key, {}).items() for text in texts}


def _settle(spec: Sheet, mappings: list[ColumnMapping], locale: str) -> list[ColumnMapping]:
    """Leave out what cannot be imported: xlcrm's own columns, and a second source for a one-value column."""
    taken: set[str] = set()
    settled = []
    for mapping in mappings:
        key = mapping.column
        if key is None:
            settled.append(mapping)
        elif key in NOT_IMPORTED.get(spec.key, ()):
            settled.append(
                ColumnMapping(
                    mapping.header,
                    mapping.index,
                    None,
                    origin=t("{column} is given by xlcrm", column=spec.column(key).name(locale)),
                )
            )
        elif key in taken and key not in COLLECTED_COLUMNS and not (key == "name" and mapping.part is not None):
            settled.append(
                ColumnMapping(
                    mapping.header,
                    mapping.index,
                    None,
                    origin=t("{column} already comes from another column", column=spec.column(key).name(locale)),
                )
            )
        else:
            if mapping.part is None:
                taken.add(key)
            settled.append(mapping)
    return settled


def read_mapping_file(path: str | Path) -> list[tuple[str, str]]:
    """The ``source header = column`` lines of a mapping file, in order."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MappingError(
            t("mapping file {path} cannot be read: {error}", path=str(path), error=exc.strerror or str(exc))
        ) from None
    text, _encoding = decode_text(data, path)
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        header, equals, column = line.rpartition("=")
        if not equals or not header.strip():
            raise MappingError(
                t(
                    "{path}, line {number}: expected 'source header = column', got {line}",
                    path=str(path),
                    number=number,
                    line=repr(line),
                )
            )
        pairs.append((" ".join(header.split()), column.strip()))
    return pairs


def apply_mapping_file(
    spec: Sheet,
    headers: Sequence[str],
    chosen: Sequence[ColumnMapping],
    overrides: Sequence[tuple[str, str]],
    locale: str,
    where: str,
) -> list[ColumnMapping]:
    """``chosen`` with the lines of a mapping file put over it; MappingError names a header or column not found."""
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        positions.setdefault(schema.fold(header), position)
    by_index = {mapping.index: mapping for mapping in chosen}
    name_parts = 0
    overridden: dict[int, ColumnMapping] = {}
    for header, target in overrides:
        index = positions.get(schema.fold(header))
        if index is None:
            known = ", ".join(repr(h) for h in headers if h)
            raise MappingError(
                t(
                    "{where}: the source has no column {header}; its headers are {known}",
                    where=where,
                    header=repr(header),
                    known=known,
                )
            )
        if target in SKIP_MARKS:
            overridden[index] = ColumnMapping(headers[index], index, None, origin=t("skipped by the mapping file"))
            continue
        key = _target_key(spec, target, locale, where)
        part = None
        if key == "name":
            part, name_parts = 100 + name_parts, name_parts + 1  # after the parts xlcrm recognised, in file order
        overridden[index] = ColumnMapping(headers[index], index, key, part=part, origin=FROM_MAPPING_FILE)
    # The file's lines are settled first, so a column it names is not taken by an automatic guess.
    ordered = [overridden[i] for i in overridden] + [m for i, m in sorted(by_index.items()) if i not in overridden]
    settled = _settle(spec, ordered, locale)
    return sorted(settled, key=lambda m: m.index)


def _target_key(spec: Sheet, target: str, locale: str, where: str) -> str:
    column = schema.match_column(spec, target)
    if column is None:
        column = next((c for c in spec.columns if c.key == target.strip()), None)
    if column is None:
        known = ", ".join(c.name(locale) for c in spec.columns if c.key not in NOT_IMPORTED.get(spec.key, ()))
        raise MappingError(
            t(
                "{where}: {sheet} has no column {column}; its columns are {known}",
                where=where,
                sheet=spec.name(locale),
                column=repr(target),
                known=known,
            )
        )
    if column.key in NOT_IMPORTED.get(spec.key, ()):
        raise MappingError(
            t("{where}: {column} is given by xlcrm and cannot be imported", where=where, column=column.name(locale))
        )
    return column.key


def combined_name(values: Mapping[int | None, str]) -> str:
    """A full name if there is one, else the parts in order (last, first, middle, then the file's)."""
    if values.get(None):
        return values[None]
    return " ".join(values[part] for part in sorted(p for p in values if p is not None) if values[part])
