"""One Word paragraph <-> one tagged segment.

The run-to-tag mapping itself is shared by every OOXML format
(:mod:`pipeline.formats.ooxml.runs`); this module reads WordprocessingML into its nodes:

* text of a ``w:r`` -> a text node with the run's properties;
* anything that is not text (a tab, a break, a drawing, a whole field, a footnote
  reference, a bookmark, deleted text) -> one isolated tag ``<x3/>``;
* a hyperlink or a HYPERLINK field (``<a2>…</a2>``), a tracked insertion, an inline
  content control, a smart tag (``<g4>…</g4>``) -> a container whose runs are translated.

Rebuild detaches the paragraph's content and writes runs from the translation's tokens,
re-inserting the original elements (moved, not copied, so text boxes inside them keep
the translation they get as their own segments).
"""
from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass

from lxml import etree

from pipeline.formats.docx.cleanup import rpr_key
from pipeline.formats.docx.code import NO_CODE, WordCode
from pipeline.formats.docx.ooxml import local, w
from pipeline.formats.ooxml.runs import (Container, IsoNode, Node, RunStyle, TaggedRuns, TextNode, dominant, has_text,
                                         merge_isolated, set_spaced_text, tag_runs, write_runs)
from pipeline.formats.base import Verbatim
from pipeline.formats.ooxml.protect import element_text, protect_text, verbatim_of
from pipeline.segments import has_translatable_text, plain_text

#: Wrappers whose runs are translated in place (revision, smart tag, bidi embedding).
WRAPPERS = frozenset(("ins", "moveTo", "smartTag", "customXml", "dir", "bdo"))
#: Property children kept in a wrapper's shell rather than walked as content.
SHELL_CHILDREN = frozenset(("smartTagPr", "customXmlPr", "fldData", "sdtPr", "sdtEndPr"))


WORD_RUNS = RunStyle.of(rpr_key, w("r"), w("t"), set_spaced_text, drop_empty_rpr=True)


@dataclass(eq=False)
class ParagraphModel:
    """A paragraph read for translation: its segment text and what each tag maps to."""

    p: etree._Element
    tagged: TaggedRuns
    profile: tuple[tuple[str, int], ...]  # non-text elements: what verify compares
    verbatim: Verbatim = Verbatim()       # the code in it (monospace, URLs, paths...) and where

    @property
    def text(self) -> str:
        return self.tagged.text

    @property
    def translatable(self) -> bool:
        """Has text beyond whitespace (numbers count: the engine decides what to send)."""
        return bool(plain_text(self.text).strip())

    @property
    def protected(self) -> str:
        """The text kept as code."""
        return self.verbatim.code

    @property
    def all_code(self) -> bool:
        """Its text is all code: deliberately not sent (not a paragraph the walk missed)."""
        return not self.translatable and has_translatable_text(self.protected)


# --- reading ------------------------------------------------------------------------


def read_paragraph(p: etree._Element, code: WordCode = NO_CODE) -> ParagraphModel:
    """Model ``p`` (a ``w:p``) for extraction and rebuild; code stays out of its text."""
    children = [c for c in p if local(c) != "pPr"]
    if code.paragraph(p):
        code_text = "".join(element_text(c) for c in children)
        nodes: list[Node] = [IsoNode.of(children, code=code_text)] if children else []
    else:
        nodes = protect_text(read_nodes(children, code), code.rules, _word_text, w("r"))
    tagged = tag_runs(nodes, WORD_RUNS)
    return ParagraphModel(p, tagged, markers(p), verbatim_of(nodes, tagged.payloads))


def _word_text(text: str) -> etree._Element:
    t = etree.Element(w("t"))
    set_spaced_text(t, text)
    return t


def read_nodes(children: list[etree._Element], code: WordCode = NO_CODE) -> list[Node]:
    """Nodes for a sequence of sibling elements (a paragraph's or a wrapper's content)."""
    nodes: list[Node] = []
    i = 0
    while i < len(children):
        child = children[i]
        span = _field_span(children, i) if child.tag == w("r") else None
        if span is not None:
            nodes.append(_field_node(children, i, span, code))
            i = span[0] + 1
            continue
        nodes.extend(_node(child, code))
        i += 1
    return merge_isolated(nodes)


def _node(el: etree._Element, code: WordCode) -> list[Node]:
    name = local(el)
    if name == "r":
        return [IsoNode.of([el], code=element_text(el))] if code.run(el.find(w("rPr"))) else _run_nodes(el)
    if name == "hyperlink":
        return [_container("a", el, el, code)]
    if name in WRAPPERS:
        return [_container("g", el, el, code)]
    content = el.find(w("sdtContent")) if name == "sdt" else None
    if content is not None:
        return [_container("g", el, content, code)]
    if name == "fldSimple" and _is_hyperlink(el.get(w("instr"), "")):
        return [_container("a", el, el, code)]
    return [IsoNode.of([el])]


def _run_nodes(run: etree._Element) -> list[Node]:
    rpr = run.find(w("rPr"))
    nodes: list[Node] = []
    for child in run:
        name = local(child)
        if name == "rPr":
            continue
        if name == "t":
            if child.text:
                nodes.append(TextNode(child.text, rpr, rpr_key(rpr)))
            continue
        nodes.append(IsoNode.of([child], rpr, run_tag=w("r")))
    return nodes


def _container(kind: str, el: etree._Element, content: etree._Element, code: WordCode) -> Node:
    kids = [c for c in content if local(c) not in SHELL_CHILDREN]
    inner = read_nodes(kids, code)
    if not has_text(inner):
        return IsoNode.of([el])
    shell = etree.Element(el.tag, attrib=dict(el.attrib), nsmap=el.nsmap)
    for c in el:
        if local(c) in SHELL_CHILDREN:
            shell.append(copy.deepcopy(c))
    if content is not el:
        shell.append(etree.Element(content.tag))
    return Container(kind, inner, shell, rpr=dominant(inner, deep=False),
                     content_tag=str(content.tag) if content is not el else None)


# --- complex fields -------------------------------------------------------------------


def _field_span(children: list[etree._Element], i: int) -> tuple[int, int | None, str] | None:
    """(end index, separate index, instruction) of a field begun by run ``i``, if whole here.

    Only a field whose begin and end runs are siblings, and whose begin run starts with
    the field character and end run ends with one, is handled as a unit; anything else
    is read run by run (its instruction and field characters are isolated tags anyway).
    """
    first = [c for c in children[i] if local(c) != "rPr"]
    if not first or local(first[0]) != "fldChar" or first[0].get(w("fldCharType")) != "begin":
        return None
    depth, separate = 0, None
    instr: list[str] = []
    for j in range(i, len(children)):
        el = children[j]
        if el.tag != w("r"):
            continue  # a bookmark or comment mark inside the field travels with it
        for c in el:
            name = local(c)
            if name == "fldChar":
                kind = c.get(w("fldCharType"))
                if kind == "begin":
                    depth += 1
                elif kind == "separate" and depth == 1:
                    separate = j
                elif kind == "end":
                    depth -= 1
                    if depth == 0:
                        last = [k for k in el if local(k) != "rPr"]
                        return (j, separate, "".join(instr)) if last and last[-1] is c else None
            elif name == "instrText" and depth == 1 and separate is None:
                instr.append(c.text or "")
    return None


def _is_hyperlink(instr: str) -> bool:
    return instr.strip().upper().startswith("HYPERLINK")


def _field_node(children: list[etree._Element], i: int, span: tuple[int, int | None, str], code: WordCode) -> Node:
    """A whole field as one isolated tag; a HYPERLINK field's display text stays translatable."""
    end, separate, instr = span
    whole = children[i : end + 1]
    if separate is None or not _is_hyperlink(instr):
        return IsoNode.of(whole)
    sep_run = children[separate]
    sep_rest = [c for c in sep_run if local(c) != "rPr"]
    if local(sep_rest[-1]) != "fldChar" or end == separate:
        return IsoNode.of(whole)
    end_rest = [c for c in children[end] if local(c) != "rPr"]
    if len(end_rest) != 1:
        return IsoNode.of(whole)
    inner = read_nodes(children[separate + 1 : end], code)
    if not has_text(inner):
        return IsoNode.of(whole)
    return Container(
        "a", inner, None, prefix=children[i : separate + 1], suffix=[children[end]],
        rpr=dominant(inner, deep=False),
    )


#: Elements that must survive a rebuild, counted per paragraph by :func:`markers`.
MARKERS = frozenset((
    "tab", "br", "cr", "ptab", "sym", "noBreakHyphen", "softHyphen", "drawing", "pict", "object",
    "fldChar", "instrText", "fldSimple", "footnoteReference", "endnoteReference", "commentReference",
    "commentRangeStart", "commentRangeEnd", "bookmarkStart", "bookmarkEnd", "del", "moveFrom",
    "footnoteRef", "endnoteRef", "annotationRef", "separator", "continuationSeparator",
    "permStart", "permEnd", "txbxContent",
))


def markers(p: etree._Element) -> tuple[tuple[str, int], ...]:
    """The non-text elements of a paragraph, as a sorted multiset (text boxes not entered).

    Grouping into tags may differ between the source and a rebuilt paragraph (a span the
    translation made longer can become the dominant formatting); these elements may not.
    """
    found: Counter[str] = Counter()
    stack = [c for c in p if local(c) != "pPr"]
    while stack:
        el = stack.pop()
        name = local(el)
        if name in MARKERS:
            found[name] += 1
        if name not in ("txbxContent", "del", "moveFrom", "rPr"):
            stack.extend(el)
    return tuple(sorted(found.items()))


# --- rebuild --------------------------------------------------------------------------


def rebuild_paragraph(model: ParagraphModel, translation: str) -> list[etree._Element]:
    """Rewrite ``model.p`` from ``translation``; return the text runs written (for language marks)."""
    p = model.p
    for child in [c for c in p if local(c) != "pPr"]:
        p.remove(child)
    return write_runs(p, model.tagged, translation, WORD_RUNS)
