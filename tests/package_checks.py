"""Checks on a workbook's zip package shared by the package and preservation tests."""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from lxml import etree

from xlcrm.xlsx.parts import NS_CONTENT_TYPES, NS_PACKAGE_RELS


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def canonical(element: etree._Element) -> tuple[object, ...]:
    """An element's name, attributes, text and children, comparable regardless of formatting."""
    children = tuple(canonical(c) for c in element if isinstance(c.tag, str))
    return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(), children)


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def assert_package_consistent(path: Path) -> None:
    """Every relationship points at a part that exists, and every part has a content type."""
    parts = entries(path)
    names = {name.casefold() for name in parts}
    types = xml(parts["[Content_Types].xml"])
    defaults = {d.get("Extension").casefold() for d in types.iter(f"{{{NS_CONTENT_TYPES}}}Default")}
    overrides = {o.get("PartName").lstrip("/").casefold() for o in types.iter(f"{{{NS_CONTENT_TYPES}}}Override")}
    assert overrides <= names, f"content types name missing parts: {overrides - names}"
    for name in parts:
        if name.endswith("/") or name == "[Content_Types].xml":
            continue
        extension = name.rsplit(".", 1)[-1].casefold()
        assert name.casefold() in overrides or extension in defaults, f"{name} has no content type"
        if not name.endswith(".rels"):
            continue
        folder = posixpath.dirname(posixpath.dirname(name))
        source = posixpath.join(folder, posixpath.basename(name)[: -len(".rels")])
        assert source == "" or source.casefold() in names, f"{name} describes a missing part"
        for rel in xml(parts[name]).iter(f"{{{NS_PACKAGE_RELS}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target")
            resolved = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            assert resolved.casefold() in names, f"{name}: {rel.get('Id')} points at missing {resolved}"


def assert_styles_extended(before: bytes, after: bytes) -> None:
    """``after`` holds every style of ``before`` at the same index; new ones only at the ends of the lists."""
    old_root, new_root = xml(before), xml(after)
    namespace = old_root.nsmap[old_root.prefix]
    for collection in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs"):
        old = old_root.find(f"{{{namespace}}}{collection}")
        if old is None:
            continue
        new = new_root.find(f"{{{namespace}}}{collection}")
        old_items = [canonical(c) for c in old if isinstance(c.tag, str)]
        new_items = [canonical(c) for c in new if isinstance(c.tag, str)]
        assert new_items[: len(old_items)] == old_items, collection
        assert new.get("count") == str(len(new_items)), collection
    for section in ("cellStyles", "dxfs", "tableStyles", "colors", "extLst"):
        old, new = old_root.find(f"{{{namespace}}}{section}"), new_root.find(f"{{{namespace}}}{section}")
        assert (old is None and new is None) or canonical(old) == canonical(new), section
