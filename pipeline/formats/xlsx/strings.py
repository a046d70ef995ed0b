"""SpreadsheetML rich text (``si`` in the shared strings, ``is`` of an inline string, a
comment's ``text``) <-> one tagged segment, with the shared run-to-tag mapping.

A plain string (``<t>``) is one text node; a rich one (``<r><rPr/><t/></r>...``) maps its
runs like any OOXML paragraph (:mod:`pipeline.formats.ooxml.runs`). Phonetic runs
(``rPh``, ``phoneticPr``: Japanese readings) are kept after the text. A rebuilt string
whose runs carry no formatting is written back as a plain ``<t>``.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from pipeline.formats.ooxml.runs import Node, RunStyle, TaggedElement, TextNode, set_spaced_text, tag_runs, write_runs

X_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def x(tag: str) -> str:
    """Clark name of a SpreadsheetML element."""
    return f"{{{X_NS}}}{tag}"


def cell_rpr_key(rpr: etree._Element | None) -> bytes:
    if rpr is None or (len(rpr) == 0 and not rpr.attrib):
        return b""
    return etree.tostring(rpr, method="c14n")


CELL_RUNS = RunStyle.of(cell_rpr_key, x("r"), x("t"), set_spaced_text)


@dataclass(eq=False)
class RichString(TaggedElement):
    """A string element (``si``, ``is``, a comment's ``text``) read for translation."""


def read_string(el: etree._Element) -> RichString:
    nodes: list[Node] = []
    for child in el:
        if child.tag == x("t") and child.text:
            nodes.append(TextNode(child.text, None, b""))
        elif child.tag == x("r"):
            rpr = child.find(x("rPr"))
            text = "".join(t.text or "" for t in child.findall(x("t")))
            if text:
                nodes.append(TextNode(text, rpr, cell_rpr_key(rpr)))
    return RichString(el, tag_runs(nodes, CELL_RUNS))


def plain_value(el: etree._Element) -> str:
    """The text a reader sees in a string element (phonetic readings left out)."""
    parts = [child.text or "" for child in el if child.tag == x("t")]
    parts += [t.text or "" for r in el.findall(x("r")) for t in r.findall(x("t"))]
    return "".join(parts)


def rebuild_string(model: RichString, translation: str) -> None:
    """Rewrite the string element from ``translation``; phonetic parts stay after it."""
    el = model.el
    rest = [c for c in el if c.tag not in (x("t"), x("r"))]
    for child in list(el):
        el.remove(child)
    runs = write_runs(el, model.tagged, translation, CELL_RUNS)
    if all(r.find(x("rPr")) is None for r in runs) and len(el) == len(runs):
        text = "".join(r.findtext(x("t")) or "" for r in runs)
        for r in runs:
            el.remove(r)
        set_spaced_text(etree.SubElement(el, x("t")), text)
    el.extend(rest)


__all__ = ["CELL_RUNS", "RichString", "X_NS", "plain_value", "read_string", "rebuild_string", "x"]
