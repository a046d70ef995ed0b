"""DrawingML paragraphs (``a:p``): slide text, notes, tables, chart titles, text boxes, SmartArt.

PowerPoint stores all its text as DrawingML, and Excel uses the same paragraphs in
drawings (text boxes, shapes) and charts, so this one model serves PPTX and XLSX:

* ``a:r`` -> text with its ``a:rPr`` (a hyperlink is ``a:hlinkClick`` inside the run
  properties, so a linked word is simply a span of other formatting);
* ``a:br``, ``a:fld`` (slide number, date), math and anything else -> isolated tags;
* ``a:pPr`` (first) and ``a:endParaRPr`` (last) stay where they are.

Run properties that a reader does not see (the spell-check language, ``dirty``,
``err``, ``smtClean``) are ignored when runs are compared, so a word split across runs
by the editor is one piece of text.
"""
from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass

from lxml import etree

from pipeline.formats.ooxml.language import A_NS, mark_drawing_paragraph, mark_drawing_run
from pipeline.formats.base import Verbatim
from pipeline.formats.ooxml.protect import OFF, CodeRules, protect_text, verbatim_of
from pipeline.formats.ooxml.runs import (IsoNode, Node, RunStyle, TaggedElement, TextNode, merge_isolated, tag_runs,
                                         write_runs)
from pipeline.languages import Language
from pipeline.segments import has_translatable_text

#: ``a:rPr`` attributes a reader does not see: ignored when comparing runs.
INVISIBLE_ATTRS = frozenset(("lang", "altLang", "dirty", "err", "noProof", "smtClean", "smtId", "bmk"))
_KEPT = ("pPr", "endParaRPr")


def a(tag: str) -> str:
    """Clark name of an ``a:`` element."""
    return f"{{{A_NS}}}{tag}"


def local_a(el: etree._Element) -> str:
    """Local name of an ``a:`` element, '' for anything else."""
    tag = el.tag
    if isinstance(tag, str) and tag.startswith("{" + A_NS + "}"):
        return tag[len(A_NS) + 2:]
    return ""


def drawing_rpr_key(rpr: etree._Element | None) -> bytes:
    """Canonical bytes of ``a:rPr``, less what a reader cannot see."""
    if rpr is None:
        return b""
    visible = {k: v for k, v in rpr.attrib.items() if k not in INVISIBLE_ATTRS}
    if not visible and len(rpr) == 0:
        return b""
    clone = etree.Element(rpr.tag, attrib=visible, nsmap=rpr.nsmap)
    clone.extend(copy.deepcopy(c) for c in rpr)
    return etree.tostring(clone, method="c14n")


def _set_drawing_text(t: etree._Element, text: str) -> None:
    t.text = text  # DrawingML keeps spaces as they are: no xml:space needed


DRAWING_RUNS = RunStyle.of(drawing_rpr_key, a("r"), a("t"), _set_drawing_text)


@dataclass(eq=False)
class DrawingParagraph(TaggedElement):
    """An ``a:p`` read for translation."""

    profile: tuple[tuple[str, int], ...] = ()   # its non-text elements: what a rebuild must keep
    verbatim: Verbatim = Verbatim()             # the code in it (monospace, URLs, paths...) and where

    @property
    def protected(self) -> str:
        """The text kept as code."""
        return self.verbatim.code

    @property
    def all_code(self) -> bool:
        """Its text is all code: deliberately not sent (not a paragraph the walk missed)."""
        return not self.translatable and has_translatable_text(self.protected)


def read_drawing_paragraph(p: etree._Element, rules: CodeRules = OFF) -> DrawingParagraph:
    """Model an ``a:p`` for extraction and rebuild; with ``rules``, code stays out of its text."""
    nodes: list[Node] = []
    for child in p:
        name = local_a(child)
        if name in _KEPT or not isinstance(child.tag, str):
            continue
        if name == "r":
            rpr = child.find(a("rPr"))
            text = "".join(t.text or "" for t in child.findall(a("t")))
            if text and _code_run(rpr, rules):
                nodes.append(IsoNode.of([child], code=text))
            elif text:
                nodes.append(TextNode(text, rpr, drawing_rpr_key(rpr)))
            continue
        nodes.append(IsoNode.of([child]))
    nodes = protect_text(merge_isolated(nodes), rules, _drawing_text, a("r"))
    tagged = tag_runs(nodes, DRAWING_RUNS)
    return DrawingParagraph(p, tagged, drawing_profile(p), verbatim_of(nodes, tagged.payloads))


def _code_run(rpr: etree._Element | None, rules: CodeRules) -> bool:
    """A run in a monospace font (its Latin typeface)."""
    latin = rpr.find(a("latin")) if rpr is not None else None
    return latin is not None and rules.code_font(latin.get("typeface"))


def _drawing_text(text: str) -> etree._Element:
    t = etree.Element(a("t"))
    t.text = text
    return t


def drawing_profile(p: etree._Element) -> tuple[tuple[str, int], ...]:
    """The paragraph's children that are not runs, counted by name."""
    found: Counter[str] = Counter()
    for child in p:
        if isinstance(child.tag, str) and local_a(child) not in ("r", "pPr", "endParaRPr"):
            found[etree.QName(child).localname] += 1
    return tuple(sorted(found.items()))


def rebuild_drawing_paragraph(model: DrawingParagraph, translation: str, lang: Language,
                              inherited_algn: str | None = None) -> None:
    """Rewrite the paragraph from ``translation`` and mark its runs with the target language
    (``inherited_algn``: its alignment without its own, mirrored for right-to-left targets)."""
    p = model.el
    end = p.find(a("endParaRPr"))
    for child in [c for c in p if local_a(c) != "pPr"]:
        p.remove(child)
    runs = write_runs(p, model.tagged, translation, DRAWING_RUNS)
    for run in runs:
        rpr = run.find(a("rPr"))
        if rpr is None:
            rpr = etree.Element(a("rPr"))
            run.insert(0, rpr)
        mark_drawing_run(rpr, lang)
    if end is not None:
        mark_drawing_run(end, lang)
        p.append(end)
    mark_drawing_paragraph(p, lang, inherited_algn)


def paragraph_runs(p: etree._Element) -> list[tuple[str, bytes]]:
    """Per-character (character, formatting key) of an ``a:p``: the identity measure."""
    out: list[tuple[str, bytes]] = []
    for child in p:
        if local_a(child) == "r":
            key = drawing_rpr_key(child.find(a("rPr")))
            out.extend((ch, key) for t in child.findall(a("t")) for ch in (t.text or ""))
        elif local_a(child) == "br":
            out.append(("\n", b""))
    return out


__all__ = ["DRAWING_RUNS", "DrawingParagraph", "a", "drawing_profile", "drawing_rpr_key", "local_a",
           "paragraph_runs", "read_drawing_paragraph", "rebuild_drawing_paragraph"]
