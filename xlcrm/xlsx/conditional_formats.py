"""Conditional formats of a user sheet: read as they are, and rules changed or added in the worksheet XML.

A conditional format is ``<conditionalFormatting sqref="K2:K1048576">`` holding ``<cfRule>`` elements, each with
its ``<formula>`` (written for the top-left cell of the range) and the index of its look (``dxfId``, a ``<dxf>``
of styles.xml). xlcrm changes a user's rules only when told exactly which ones (``RuleChange``: a rule found by
its range and formula text); every other rule, the user's own included, stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree

from xlcrm.xlsx.parts import WORKSHEET_ORDER
from xlcrm.xlsx.xml_io import children, insert_in_order, xml_number


@dataclass(frozen=True)
class Highlight:
    """The look a rule paints: font and fill colours as RGB hex ("9C0006")."""

    font: str
    fill: str


@dataclass(frozen=True)
class ConditionalRule:
    """A rule as read from a sheet."""

    sqref: str  # the range of its <conditionalFormatting>, as written
    type: str  # "expression", "cellIs", ...
    formulas: tuple[str, ...]  # the text of its <formula> elements, unescaped
    priority: int | None
    dxf_id: int | None


@dataclass(frozen=True)
class RuleChange:
    """A formula rule of the sheet, found by its range and exact formula, given a new formula and look."""

    sqref: str
    formula: str
    new_formula: str
    highlight: Highlight


@dataclass(frozen=True)
class NewRule:
    """A formula rule added on a range of the sheet, after every rule it has."""

    sqref: str
    formula: str
    highlight: Highlight


def rules_in(root: etree._Element) -> list[ConditionalRule]:
    """The rules of the worksheet element ``root``, in order."""
    found = []
    for formatting in children(root, "conditionalFormatting"):
        for rule in children(formatting, "cfRule"):
            found.append(
                ConditionalRule(
                    formatting.get("sqref", ""),
                    rule.get("type", ""),
                    tuple(formula.text or "" for formula in children(rule, "formula")),
                    xml_number(rule.get("priority")),
                    xml_number(rule.get("dxfId")),
                )
            )
    return found


def change_rules(
    root: etree._Element,
    changes: Sequence[RuleChange],
    added: Sequence[NewRule],
    dxf: Callable[[Highlight], int],
) -> bool:
    """Apply ``changes`` and ``added`` to the worksheet element ``root``; ``dxf`` maps a ``Highlight`` to its
    index in styles.xml (``StyleSheet.dxf``). A rule to change that the sheet does not hold is a ValueError:
    the caller read the rules from the same file. Returns whether anything changed."""
    changed = False
    for change in changes:
        rule = _find(root, change.sqref, change.formula)
        if rule is None:
            raise ValueError(f"no rule {change.formula!r} on {change.sqref!r} to change")
        (formula,) = children(rule, "formula")
        formula.text = change.new_formula
        rule.set("dxfId", str(dxf(change.highlight)))
        changed = True
    if added:
        priorities = [rule.priority for rule in rules_in(root) if rule.priority is not None]
        priority = max(priorities, default=0)
        namespace = etree.QName(root).namespace
        for new in added:
            priority += 1
            formatting = etree.Element(f"{{{namespace}}}conditionalFormatting")
            formatting.set("sqref", new.sqref)
            rule = etree.SubElement(formatting, f"{{{namespace}}}cfRule")
            rule.set("type", "expression")
            rule.set("dxfId", str(dxf(new.highlight)))
            rule.set("priority", str(priority))
            rule.set("stopIfTrue", "1")
            etree.SubElement(rule, f"{{{namespace}}}formula").text = new.formula
            existing = children(root, "conditionalFormatting")
            if existing:
                existing[-1].addnext(formatting)
            else:
                insert_in_order(root, formatting, WORKSHEET_ORDER)
            changed = True
    return changed


def _find(root: etree._Element, sqref: str, formula: str) -> etree._Element | None:
    for formatting in children(root, "conditionalFormatting"):
        if formatting.get("sqref", "") != sqref:
            continue
        for rule in children(formatting, "cfRule"):
            formulas = children(rule, "formula")
            if rule.get("type") == "expression" and len(formulas) == 1 and (formulas[0].text or "") == formula:
                return rule
    return None
