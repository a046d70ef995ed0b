"""Runs <-> one tagged segment: the run-to-tag mapping every OOXML paragraph uses.

A paragraph (``w:p`` in Word, ``a:p`` in DrawingML, a rich-text ``si`` in a workbook)
is read by its format into a list of nodes:

* :class:`TextNode`  -- text of a run, with the run's properties;
* :class:`IsoNode`   -- anything that is not text (a tab, a break, a field, a drawing):
  one isolated tag ``<x3/>``; neighbouring ones merge into one tag;
* :class:`Container` -- an element wrapping runs whose text is translated (a Word
  hyperlink ``<a2>…</a2>``, a tracked insertion ``<g4>…</g4>``).

Text in the dominant formatting of its level carries no tag; other text becomes a
``<g1>…</g1>`` span whose payload is the run properties. Payloads hold elements and
properties, never positions, so a span the translation moves keeps its formatting.
Leading and trailing isolated elements stay outside the segment: fewer tags to keep.

Writing back never raises on damaged tags: unknown ids are ignored, and isolated
elements the translation lost are appended at the end. What differs between the
vocabularies (how run properties compare, how a run is written) is a :class:`RunStyle`.
"""
from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Union

from lxml import etree

from pipeline.segments import (Close, Isolated, Literal, Open, SegmentBuilder, Text, Token, plain_text, text_with_literals,
                               tokenize)


XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def set_spaced_text(t: etree._Element, text: str) -> None:
    """Set a text element's text, preserving spaces a reader would otherwise collapse
    (Word's ``w:t``, a workbook's ``t``)."""
    t.text = text
    if text != text.strip() or "  " in text:
        t.set(XML_SPACE, "preserve")


@dataclass(frozen=True)
class RunStyle:
    """One vocabulary's runs: comparing their properties and writing a new one."""

    #: Canonical bytes of run properties, less what a reader cannot see (b"" for none).
    key: Callable[[etree._Element | None], bytes]
    #: Append a run holding ``text`` with a copy of ``rpr`` to ``parent``; return it.
    make_run: Callable[[etree._Element, etree._Element | None, str], etree._Element]

    @classmethod
    def of(cls, key: Callable[[etree._Element | None], bytes], run_tag: str, text_tag: str,
           set_text: Callable[[etree._Element, str], None], *, drop_empty_rpr: bool = False) -> "RunStyle":
        """The style of a vocabulary whose runs are ``<run_tag>[properties]<text_tag>text</…></…>``."""

        def make_run(parent: etree._Element, rpr: etree._Element | None, text: str) -> etree._Element:
            run = etree.SubElement(parent, run_tag)
            if rpr is not None and not (drop_empty_rpr and not len(rpr) and not rpr.attrib):
                run.append(copy.deepcopy(rpr))
            set_text(etree.SubElement(run, text_tag), text)
            return run

        return cls(key, make_run)


@dataclass(eq=False)
class TextNode:
    text: str
    rpr: etree._Element | None
    key: bytes


@dataclass(eq=False)
class IsoNode:
    """Elements inserted as they are, for one isolated tag.

    A run child (a tab, a drawing) is re-wrapped in a run (``run_tag``) with the
    properties it had; a paragraph child (a bookmark, a whole field) is moved as it is.
    """

    pieces: list[tuple[list[etree._Element], etree._Element | None, str | None]]
    #: Text kept as code (:mod:`.protect`): a monospace run, a URL; "" for a tab or a field.
    code: str = ""

    @classmethod
    def of(cls, elements: list[etree._Element], run_rpr: etree._Element | None = None,
           run_tag: str | None = None, code: str = "") -> "IsoNode":
        return cls([(elements, run_rpr, run_tag)], code)

    def materialize(self) -> list[etree._Element]:
        out: list[etree._Element] = []
        for elements, rpr, run_tag in self.pieces:
            if run_tag is None:
                out += elements
                continue
            run = etree.Element(run_tag)
            if rpr is not None:
                run.append(copy.deepcopy(rpr))
            run.extend(elements)
            out.append(run)
        return out


@dataclass(eq=False)
class Container:
    """A wrapper of translated runs; ``shell`` is a detached copy without content."""

    kind: str                      # "a" (link) or "g"
    children: list["Node"]
    shell: etree._Element | None   # None for a wrapper written as prefix/suffix elements instead
    prefix: list[etree._Element] = field(default_factory=list)
    suffix: list[etree._Element] = field(default_factory=list)
    rpr: etree._Element | None = None  # dominant run properties inside
    content_tag: str | None = None     # the shell's child that takes the runs, if not the shell

    def open(self, parent: etree._Element) -> etree._Element:
        """Append this wrapper's opening to ``parent``; return where its runs go."""
        parent.extend(self.prefix)
        if self.shell is None:
            return parent
        el = copy.deepcopy(self.shell)
        parent.append(el)
        content = el.find(self.content_tag) if self.content_tag else None
        return content if content is not None else el


Node = Union[TextNode, IsoNode, Container]


@dataclass(frozen=True)
class FormatSpan:
    """Payload of a ``<gN>`` formatting span: the run properties of its text."""

    rpr: etree._Element | None


@dataclass(eq=False)
class TaggedRuns:
    """A paragraph's nodes as a segment: its text, what each tag maps to, the edges kept aside."""

    text: str
    payloads: dict[int, object]
    prefix: list[IsoNode]
    suffix: list[IsoNode]
    rpr: etree._Element | None


@dataclass(eq=False)
class TaggedElement:
    """An element (a paragraph, a string) read for translation, with its segment."""

    el: etree._Element
    tagged: TaggedRuns

    @property
    def text(self) -> str:
        return self.tagged.text

    @property
    def translatable(self) -> bool:
        """Has text beyond whitespace outside the tags."""
        return bool(plain_text(self.tagged.text).strip())


def plain_segment(source: str) -> str:
    """The segment of a plain-text element (a legacy comment, a document property)."""
    builder = SegmentBuilder()
    builder.text(source)
    return builder.build()


def plain_translation(translation: str, source: str) -> str:
    """A translation written back into a plain-text element: tags dropped, the source's
    tag-looking text (protected as literal tags) restored."""
    builder = SegmentBuilder()
    builder.text(source)
    return text_with_literals(translation, builder.payloads)


def merge_isolated(nodes: list[Node]) -> list[Node]:
    """Neighbouring isolated nodes become one: one tag instead of many."""
    out: list[Node] = []
    for n in nodes:
        if isinstance(n, IsoNode) and out and isinstance(out[-1], IsoNode):
            out[-1].pieces.extend(n.pieces)
            out[-1].code += n.code
        else:
            out.append(n)
    return out


def has_text(nodes: list[Node]) -> bool:
    for n in nodes:
        if isinstance(n, TextNode) or (isinstance(n, Container) and has_text(n.children)):
            return True
    return False


def tag_runs(nodes: list[Node], style: RunStyle) -> TaggedRuns:
    """The segment of a paragraph's nodes: edges aside, dominant formatting untagged."""
    start, end = 0, len(nodes)
    while start < end and isinstance(nodes[start], IsoNode):
        start += 1
    while end > start and isinstance(nodes[end - 1], IsoNode):
        end -= 1
    body = nodes[start:end]
    rpr = dominant(body, deep=True)
    builder = SegmentBuilder()
    _emit(builder, body, rpr, style)
    prefix = [n for n in nodes[:start] if isinstance(n, IsoNode)]     # all of them, by the loops above
    suffix = [n for n in nodes[end:] if isinstance(n, IsoNode)]
    return TaggedRuns(builder.build(), builder.payloads, prefix, suffix, rpr)


def dominant(nodes: list[Node], *, deep: bool) -> etree._Element | None:
    """Run properties covering the most characters (direct text first, then nested)."""
    weight: Counter[bytes] = Counter()
    first: dict[bytes, etree._Element | None] = {}
    for n in _texts(nodes, deep=False) or (_texts(nodes, deep=True) if deep else []):
        weight[n.key] += len(n.text)
        first.setdefault(n.key, n.rpr)
    if not weight:
        return None
    best = max(weight.values())
    key = next(k for k in first if weight[k] == best)
    return first[key]


def _texts(nodes: list[Node], *, deep: bool) -> list[TextNode]:
    out: list[TextNode] = []
    for n in nodes:
        if isinstance(n, TextNode):
            out.append(n)
        elif deep and isinstance(n, Container):
            out += _texts(n.children, deep=True)
    return out


def _emit(builder: SegmentBuilder, nodes: list[Node], dom_rpr: etree._Element | None, style: RunStyle) -> None:
    dom = style.key(dom_rpr)
    i = 0
    while i < len(nodes):
        n = nodes[i]
        if isinstance(n, TextNode) and n.key != dom:
            i = _emit_span(builder, nodes, i)
            continue
        if isinstance(n, TextNode):
            builder.text(n.text)
        elif isinstance(n, IsoNode):
            builder.isolated(n)
        else:
            if not _texts(n.children, deep=False):
                n.rpr = dom_rpr  # text the translation moves in here takes the outer formatting
            num = builder.open(n, n.kind)
            _emit(builder, n.children, n.rpr, style)
            builder.close(num)
        i += 1


def _emit_span(builder: SegmentBuilder, nodes: list[Node], i: int) -> int:
    """One ``<gN>`` span over text of one formatting, absorbing isolated tags inside it."""
    first = nodes[i]
    assert isinstance(first, TextNode)      # _emit starts a span at text only
    key = first.key
    num = builder.open(FormatSpan(first.rpr))
    j = i
    while j < len(nodes):
        n = nodes[j]
        if isinstance(n, TextNode) and n.key == key:
            builder.text(n.text)
        elif isinstance(n, IsoNode) and _span_goes_on(nodes, j, key):
            builder.isolated(n)
        else:
            break
        j += 1
    builder.close(num)
    return j


def _span_goes_on(nodes: list[Node], j: int, key: bytes) -> bool:
    for n in nodes[j:]:
        if isinstance(n, TextNode):
            return n.key == key
        if isinstance(n, Container):
            return False
    return False


# --- writing back -------------------------------------------------------------------------


@dataclass
class _Frame:
    num: int | None
    parent: etree._Element
    rpr: etree._Element | None
    outer: etree._Element | None = None
    suffix: list[etree._Element] = field(default_factory=list)


def write_runs(parent: etree._Element, tagged: TaggedRuns, translation: str, style: RunStyle) -> list[etree._Element]:
    """Append the translation's runs to ``parent`` (emptied of its old runs by the caller),
    edges and lost isolated elements included; return the text runs written."""
    for node in tagged.prefix:
        parent.extend(node.materialize())
    runs: list[etree._Element] = []
    used: set[int] = set()
    stack = [_Frame(None, parent, tagged.rpr)]
    for tok in tokenize(translation):
        _apply(tok, stack, tagged.payloads, used, runs, style)
    while len(stack) > 1:
        _pop(stack)
    for num, payload in tagged.payloads.items():
        if num in used:
            continue
        if isinstance(payload, IsoNode):
            parent.extend(payload.materialize())
        elif isinstance(payload, Container) and payload.prefix:
            # A wrapper written as prefix/suffix whose tags were lost: keep its codes, no text.
            parent.extend(payload.prefix + payload.suffix)
    for node in tagged.suffix:
        parent.extend(node.materialize())
    return runs


def _apply(tok: Token, stack: list[_Frame], payloads: dict[int, object], used: set[int], runs: list[etree._Element],
           style: RunStyle) -> None:
    top = stack[-1]
    if isinstance(tok, Text):
        if tok.text:
            runs.append(style.make_run(top.parent, top.rpr, tok.text))
        return
    payload = payloads.get(tok.id)
    if isinstance(payload, IsoNode):
        # "<x3/>", or damage such as "<x3>": the element goes in once either way.
        if tok.id not in used and not isinstance(tok, Close):
            used.add(tok.id)
            top.parent.extend(payload.materialize())
    elif isinstance(payload, Literal):
        if isinstance(tok, Isolated):
            runs.append(style.make_run(top.parent, top.rpr, payload.text))
    elif isinstance(tok, Open) and tok.id not in used:
        used.add(tok.id)
        if isinstance(payload, FormatSpan):
            stack.append(_Frame(tok.id, top.parent, payload.rpr))
        elif isinstance(payload, Container):
            inner = payload.open(top.parent)
            stack.append(_Frame(tok.id, inner, payload.rpr, top.parent, payload.suffix))
    elif isinstance(tok, Close) and any(f.num == tok.id for f in stack):
        while stack[-1].num != tok.id:
            _pop(stack)
        _pop(stack)


def _pop(stack: list[_Frame]) -> None:
    frame = stack.pop()
    if frame.outer is not None:
        frame.outer.extend(frame.suffix)


__all__ = ["Container", "FormatSpan", "IsoNode", "Node", "RunStyle", "TaggedElement", "TaggedRuns", "TextNode", "dominant",
           "has_text", "merge_isolated", "plain_segment", "plain_translation", "set_spaced_text", "tag_runs", "write_runs"]
