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

import re
from collections.abc import Callable, Iterator

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


def blank_personal_parts(package: PackageParts) -> None:
    """Blank, in ``package``, the notes, threaded comments and their people, chart caches and document properties
    (see the module's docstring); the parts themselves stay."""
    blankers: dict[str, Callable[[etree._Element], None]] = {
        REL_COMMENTS: _blank_comments,
        REL_THREADED_COMMENTS: _blank_threaded_comments,
        REL_PERSON: _blank_persons,
        REL_CHART: _drop_chart_caches,
        REL_CORE_PROPERTIES: lambda root: _blank_fields(root, _CORE_FIELDS),
        REL_EXTENDED_PROPERTIES: lambda root: _blank_fields(root, _APP_FIELDS),
        REL_CUSTOM_PROPERTIES: _blank_custom_texts,
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


def _blank_comments(root: etree._Element) -> None:
    """Each note keeps its cell and author index, with an empty text; the authors' names are emptied."""
    for authors in children(root, "authors"):
        for author in children(authors, "author"):
            author.text = None
    for comment_list in children(root, "commentList"):
        for comment in children(comment_list, "comment"):
            for text in children(comment, "text"):
                namespace = etree.QName(text).namespace
                for child in children(text):
                    detach(child)
                text.text = None
                etree.SubElement(text, f"{{{namespace}}}t" if namespace else "t")


def _blank_threaded_comments(root: etree._Element) -> None:
    """Each threaded comment keeps its cell, thread and person, with an empty text and no mentions."""
    for comment in children(root, "threadedComment"):
        for text in children(comment, "text"):
            text.text = ""
        for mentions in children(comment, "mentions"):
            detach(mentions)


def _blank_persons(root: etree._Element) -> None:
    """Each person keeps their id (threaded comments refer to it), without a name or account."""
    for person in children(root, "person"):
        person.set("displayName", "")
        person.set("providerId", "None")
        person.attrib.pop("userId", None)


def _drop_chart_caches(root: etree._Element) -> None:
    """A chart's references stay, the values it cached from them go."""
    for cache in [element for element in root.iter() if local_name(element) in _CHART_CACHES]:
        detach(cache)


def _blank_fields(root: etree._Element, names: set[str]) -> None:
    """The document properties of ``names`` emptied (their elements stay)."""
    for field in children(root):
        if local_name(field) in names:
            for child in children(field):
                detach(child)
            field.text = None


def _blank_custom_texts(root: etree._Element) -> None:
    """Each custom property keeps its name and kind; one that holds text holds an empty one."""
    for value in [element for element in root.iter() if local_name(element) in _CUSTOM_TEXTS]:
        value.text = None
