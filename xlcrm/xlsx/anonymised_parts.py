"""The parts of a workbook besides its cells that can carry personal data, blanked for an anonymised copy.

The cells of an anonymised copy are masked and lose their formulas' cached
results (``xlcrm.xlsx.sheet_edits.without_formula_results``); what else in the
package can name a person is emptied here, in place, so that every relationship,
content type and reference to these parts stays as it was:

- the text and authors of notes (legacy comments) and of threaded comments, and
  the names of the people threaded comments are by (``xl/persons``);
- the cached values of charts (``strCache``, ``numCache``, ``multiLvlStrCache``):
  a chart draws them again from the cells it references, which are masked;
- the title, subject, keywords, description, category, author and last editor of
  ``docProps/core.xml``, the company and manager of ``docProps/app.xml``, and
  the texts of custom document properties (``docProps/custom.xml``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

from xlcrm.xlsx.charts import REL_CHART
from xlcrm.xlsx.parts import NS_R, REL_EXTENDED_PROPERTIES, PackageParts, Relationships, source_of_rels
from xlcrm.xlsx.user_sheet import REL_COMMENTS, REL_THREADED_COMMENTS
from xlcrm.xlsx.xml_io import children, detach, local_name, parse_part, serialize_part

REL_PERSON = "http://schemas.microsoft.com/office/2017/10/relationships/person"
REL_CORE_PROPERTIES = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
REL_CUSTOM_PROPERTIES = NS_R + "/custom-properties"

_CHART_CACHES = {"strCache", "numCache", "multiLvlStrCache"}
_CORE_FIELDS = {"title", "subject", "keywords", "description", "category", "creator", "lastModifiedBy"}
_APP_FIELDS = {"Company", "Manager"}
# The kinds of text a custom document property holds (its numbers, dates and flags say nothing of a person).
_CUSTOM_TEXTS = {"lpwstr", "lpstr", "bstr"}
# A cell that shows an entry of the shared-string table (``t="s"``), whatever the namespace prefix: the entry's
# index in group 1.
_SHARED_STRING_CELL = re.compile(
    rb"<(?:[\w.-]+:)?c(?:\s[^>]*?)?\st\s*=\s*[\"']s[\"'][^>]*>\s*<(?:[\w.-]+:)?v(?:\s[^>]*)?>\s*(\d+)\s*<"
)


# Whether an element (a note, a person, a cache, a property) is to be blanked.
Shows = Callable[[etree._Element], bool]


def blank_personal_parts(package: PackageParts, only: re.Pattern[str] | None = None) -> None:
    """Blank, in ``package``, the notes, threaded comments and their people, chart caches and document properties
    (see the module's docstring); the parts themselves stay. With ``only``, just those whose text or attributes
    show a match of it (an erased person's values): the rest is kept as it is."""
    shows: Shows = (lambda element: True) if only is None else functools.partial(_shows, only)
    blankers: dict[str, Callable[[etree._Element], None]] = {
        REL_COMMENTS: lambda root: _blank_comments(root, shows),
        REL_THREADED_COMMENTS: lambda root: _blank_threaded_comments(root, shows),
        REL_PERSON: lambda root: _blank_persons(root, shows),
        REL_CHART: lambda root: _drop_chart_caches(root, shows),
        REL_CORE_PROPERTIES: lambda root: _blank_fields(root, _CORE_FIELDS, shows),
        REL_EXTENDED_PROPERTIES: lambda root: _blank_fields(root, _APP_FIELDS, shows),
        REL_CUSTOM_PROPERTIES: lambda root: _blank_custom_texts(root, shows),
    }
    for part, rel_type in _linked_parts(package):
        blank = blankers.get(rel_type)
        entry = package.entry_of(part) or part
        # A part the write changed already (docProps/app.xml's sheet names) is blanked as changed.
        data = (package.edited.get(entry) or package.read_optional(part)) if blank is not None else None
        if blank is None or data is None:
            continue
        tree = parse_part(data, part)
        blank(tree.getroot())
        package.store(part, serialize_part(tree))


def shared_strings_shown(data: bytes) -> set[int]:
    """The indices of the shared-string table's entries the cells of a sheet-like part (``data``: a worksheet,
    macro sheet or dialog sheet) show."""
    return {int(index) for index in _SHARED_STRING_CELL.findall(data)}


def _linked_parts(package: PackageParts) -> Iterator[tuple[str, str]]:
    """(part, relationship type) of each part of ``package`` some relationship points at, each part once."""
    seen: set[str] = set()
    for name in list(package.entries.values()):
        if name in package.dropped:
            continue
        source = source_of_rels(name)
        data = (package.edited.get(name) or package.read_optional(name)) if source is not None else None
        if source is None or data is None:
            continue
        rels = Relationships(source, data)
        for rel in rels.items:
            target = rels.target(rel)
            entry = package.entry_of(target) if target is not None else None
            if target is not None and entry is not None and entry not in package.dropped and entry not in seen:
                seen.add(entry)
                yield target, rel.get("Type", "")


def _shows(pattern: re.Pattern[str], element: etree._Element) -> bool:
    """Whether the text or an attribute of ``element`` or of an element inside it shows a match of ``pattern``."""
    values: list[Any] = list(element.itertext())
    values += [value for inner in element.iter() for value in inner.attrib.values()]
    return bool(pattern.search("\n".join(str(value) for value in values)))


def _blank_comments(root: etree._Element, shows: Shows) -> None:
    """Each note keeps its cell and author index, with an empty text; the authors' names are emptied."""
    for authors in children(root, "authors"):
        for author in children(authors, "author"):
            if shows(author):
                author.text = None
    for comment_list in children(root, "commentList"):
        for comment in children(comment_list, "comment"):
            if not shows(comment):
                continue
            for text in children(comment, "text"):
                namespace = etree.QName(text).namespace
                for child in children(text):
                    detach(child)
                text.text = None
                etree.SubElement(text, f"{{{namespace}}}t" if namespace else "t")


def _blank_threaded_comments(root: etree._Element, shows: Shows) -> None:
    """Each threaded comment keeps its cell, thread and person, with an empty text and no mentions."""
    for comment in children(root, "threadedComment"):
        if not shows(comment):
            continue
        for text in children(comment, "text"):
            text.text = ""
        for mentions in children(comment, "mentions"):
            detach(mentions)


def _blank_persons(root: etree._Element, shows: Shows) -> None:
    """Each person keeps their id (threaded comments refer to it), without a name or account."""
    for person in children(root, "person"):
        if not shows(person):
            continue
        person.set("displayName", "")
        person.set("providerId", "None")
        person.attrib.pop("userId", None)


def _drop_chart_caches(root: etree._Element, shows: Shows) -> None:
    """A chart's references stay, the values it cached from them go."""
    for cache in [element for element in root.iter() if local_name(element) in _CHART_CACHES and shows(element)]:
        detach(cache)


def _blank_fields(root: etree._Element, names: set[str], shows: Shows) -> None:
    """The document properties of ``names`` emptied (their elements stay)."""
    for field in children(root):
        if local_name(field) in names and shows(field):
            for child in children(field):
                detach(child)
            field.text = None


def _blank_custom_texts(root: etree._Element, shows: Shows) -> None:
    """Each custom property keeps its name and kind; one that holds text holds an empty one."""
    for value in [element for element in root.iter() if local_name(element) in _CUSTOM_TEXTS and shows(element)]:
        value.text = None
