"""One paragraph <-> one tagged segment.

A paragraph is read into a small tree of nodes:

* :class:`TextNode`  -- text of a run, with the run's properties;
* :class:`IsoNode`   -- anything that is not text (a tab, a break, a drawing, a whole
  field, a footnote reference, a bookmark, deleted text): one isolated tag ``<x3/>``;
* :class:`Container` -- an element that wraps runs whose text is translated: a hyperlink
  or a HYPERLINK field (``<a2>…</a2>``), a tracked insertion, an inline content control,
  a smart tag (``<g4>…</g4>``).

Text in the dominant formatting of its level carries no tag; other text becomes a
``<g1>…</g1>`` span whose payload is the run properties. Payloads hold elements and
properties, never positions, so a span the translation moves keeps its formatting.
Leading and trailing isolated elements (bookmarks, the footnote mark at the start of a
note) stay outside the segment: fewer tags for the model to keep.

Rebuild detaches the paragraph's content, then writes runs from the translation's
tokens, re-inserting the original elements (moved, not copied, so text boxes inside
them keep the translation they get as their own segments). It never raises on damaged
tags: unknown ids are ignored, and isolated elements the translation lost are appended
at the end, so a plain-text fallback still keeps every image, field and note mark.
"""
from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Union

from lxml import etree

from pipeline.formats.docx.cleanup import rpr_key, set_text
from pipeline.formats.docx.ooxml import local, w
from pipeline.segments import Close, Isolated, Literal, Open, SegmentBuilder, Text, plain_text, tokenize

#: Wrappers whose runs are translated in place (revision, smart tag, bidi embedding).
WRAPPERS = frozenset(("ins", "moveTo", "smartTag", "customXml", "dir", "bdo"))
#: Property children kept in a wrapper's shell rather than walked as content.
SHELL_CHILDREN = frozenset(("smartTagPr", "customXmlPr", "fldData", "sdtPr", "sdtEndPr"))


@dataclass(eq=False)
class TextNode:
    text: str
    rpr: etree._Element | None
    key: bytes


@dataclass(eq=False)
class IsoNode:
    """Elements inserted as they are, for one isolated tag.

    A run child (a tab, a drawing) is re-wrapped in a run with the properties it had
    (``run_rpr``); a paragraph child (a bookmark, a whole field) is moved as it is.
    Neighbouring non-text elements are merged into one node: one tag instead of many.
    """

    pieces: list[tuple[list[etree._Element], etree._Element | None, bool]]

    @classmethod
    def of(cls, elements: list[etree._Element], run_rpr: etree._Element | None = None, run_piece: bool = False) -> "IsoNode":
        return cls([(elements, run_rpr, run_piece)])

    def materialize(self) -> list[etree._Element]:
        out: list[etree._Element] = []
        for elements, rpr, run_piece in self.pieces:
            if not run_piece:
                out += elements
                continue
            run = etree.Element(w("r"))
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
    shell: etree._Element | None   # None for a HYPERLINK field (prefix/suffix runs instead)
    prefix: list[etree._Element] = field(default_factory=list)
    suffix: list[etree._Element] = field(default_factory=list)
    rpr: etree._Element | None = None  # dominant run properties inside

    def open(self, parent: etree._Element) -> etree._Element:
        """Append this wrapper's opening to ``parent``; return where its runs go."""
        parent.extend(self.prefix)
        if self.shell is None:
            return parent
        el = copy.deepcopy(self.shell)
        parent.append(el)
        content = el.find(w("sdtContent"))
        return content if content is not None else el


Node = Union[TextNode, IsoNode, Container]


@dataclass(frozen=True)
class FormatSpan:
    """Payload of a ``<gN>`` formatting span: the run properties of its text."""

    rpr: etree._Element | None


@dataclass(eq=False)
class ParagraphModel:
    """A paragraph read for translation: its segment text and what each tag maps to."""

    p: etree._Element
    text: str
    payloads: dict[int, object]
    prefix: list[IsoNode]
    suffix: list[IsoNode]
    rpr: etree._Element | None
    profile: tuple[tuple[str, int], ...]  # non-text elements: what verify compares

    @property
    def translatable(self) -> bool:
        """Has text beyond whitespace (numbers count: the engine decides what to send)."""
        return bool(plain_text(self.text).strip())


# --- reading ------------------------------------------------------------------------


def read_paragraph(p: etree._Element) -> ParagraphModel:
    """Model ``p`` (a ``w:p``) for extraction and rebuild."""
    nodes = read_nodes([c for c in p if local(c) != "pPr"])
    start, end = 0, len(nodes)
    while start < end and isinstance(nodes[start], IsoNode):
        start += 1
    while end > start and isinstance(nodes[end - 1], IsoNode):
        end -= 1
    body = nodes[start:end]
    rpr = _dominant(body, deep=True)
    builder = SegmentBuilder()
    _emit(builder, body, rpr)
    return ParagraphModel(
        p, builder.build(), builder.payloads, nodes[:start], nodes[end:], rpr, markers(p)
    )


def read_nodes(children: list[etree._Element]) -> list[Node]:
    """Nodes for a sequence of sibling elements (a paragraph's or a wrapper's content)."""
    nodes: list[Node] = []
    i = 0
    while i < len(children):
        child = children[i]
        span = _field_span(children, i) if child.tag == w("r") else None
        if span is not None:
            nodes.append(_field_node(children, i, span))
            i = span[0] + 1
            continue
        nodes.extend(_node(child))
        i += 1
    return _merge_isolated(nodes)


def _merge_isolated(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    for n in nodes:
        if isinstance(n, IsoNode) and out and isinstance(out[-1], IsoNode):
            out[-1].pieces.extend(n.pieces)
        else:
            out.append(n)
    return out


def _node(el: etree._Element) -> list[Node]:
    name = local(el)
    if name == "r":
        return _run_nodes(el)
    if name == "hyperlink":
        return [_container("a", el, el)]
    if name in WRAPPERS:
        return [_container("g", el, el)]
    if name == "sdt" and el.find(w("sdtContent")) is not None:
        return [_container("g", el, el.find(w("sdtContent")))]
    if name == "fldSimple" and _is_hyperlink(el.get(w("instr"), "")):
        return [_container("a", el, el)]
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
        nodes.append(IsoNode.of([child], rpr, run_piece=True))
    return nodes


def _container(kind: str, el: etree._Element, content: etree._Element) -> Node:
    kids = [c for c in content if local(c) not in SHELL_CHILDREN]
    inner = read_nodes(kids)
    if not _has_text(inner):
        return IsoNode.of([el])
    shell = etree.Element(el.tag, attrib=dict(el.attrib), nsmap=el.nsmap)
    for c in el:
        if local(c) in SHELL_CHILDREN:
            shell.append(copy.deepcopy(c))
    if content is not el:
        shell.append(etree.Element(content.tag))
    return Container(kind, inner, shell, rpr=_dominant(inner, deep=False))


def _has_text(nodes: list[Node]) -> bool:
    for n in nodes:
        if isinstance(n, TextNode) or (isinstance(n, Container) and _has_text(n.children)):
            return True
    return False


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
    depth, separate, instr = 0, None, []
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


def _field_node(children: list[etree._Element], i: int, span: tuple[int, int | None, str]) -> Node:
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
    inner = read_nodes(children[separate + 1 : end])
    if not _has_text(inner):
        return IsoNode.of(whole)
    return Container(
        "a", inner, None, prefix=children[i : separate + 1], suffix=[children[end]],
        rpr=_dominant(inner, deep=False),
    )


# --- building the segment -------------------------------------------------------------


def _dominant(nodes: list[Node], *, deep: bool) -> etree._Element | None:
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


def _emit(builder: SegmentBuilder, nodes: list[Node], dom_rpr: etree._Element | None) -> None:
    dom = rpr_key(dom_rpr)
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
            _emit(builder, n.children, n.rpr)
            builder.close(num)
        i += 1


def _emit_span(builder: SegmentBuilder, nodes: list[Node], i: int) -> int:
    """One ``<gN>`` span over text of one formatting, absorbing isolated tags inside it."""
    key = nodes[i].key  # type: ignore[union-attr]
    num = builder.open(FormatSpan(nodes[i].rpr))  # type: ignore[union-attr]
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


@dataclass
class _Frame:
    num: int | None
    parent: etree._Element
    rpr: etree._Element | None
    outer: etree._Element | None = None
    suffix: list[etree._Element] = field(default_factory=list)


def rebuild_paragraph(model: ParagraphModel, translation: str) -> list[etree._Element]:
    """Rewrite ``model.p`` from ``translation``; return the text runs written (for language marks)."""
    p = model.p
    for child in [c for c in p if local(c) != "pPr"]:
        p.remove(child)
    for node in model.prefix:
        p.extend(node.materialize())
    runs: list[etree._Element] = []
    used: set[int] = set()
    stack = [_Frame(None, p, model.rpr)]
    for tok in tokenize(translation):
        _apply(tok, stack, model.payloads, used, runs)
    while len(stack) > 1:
        _pop(stack)
    for num, payload in model.payloads.items():
        if num in used:
            continue
        if isinstance(payload, IsoNode):
            p.extend(payload.materialize())
        elif isinstance(payload, Container) and payload.prefix:
            # A HYPERLINK field whose tags were lost: keep its codes (with no display text).
            p.extend(payload.prefix + payload.suffix)
    for node in model.suffix:
        p.extend(node.materialize())
    return runs


def _apply(tok, stack: list[_Frame], payloads: dict[int, object], used: set[int], runs: list) -> None:
    top = stack[-1]
    if isinstance(tok, Text):
        if tok.text:
            runs.append(_append_run(top, tok.text))
        return
    payload = payloads.get(tok.id)
    if isinstance(payload, IsoNode):
        # "<x3/>", or damage such as "<x3>": the element goes in once either way.
        if tok.id not in used and not isinstance(tok, Close):
            used.add(tok.id)
            top.parent.extend(payload.materialize())
    elif isinstance(payload, Literal):
        if isinstance(tok, Isolated):
            runs.append(_append_run(top, payload.text))
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


def _append_run(frame: _Frame, text: str) -> etree._Element:
    run = etree.SubElement(frame.parent, w("r"))
    if frame.rpr is not None and (len(frame.rpr) or frame.rpr.attrib):
        run.append(copy.deepcopy(frame.rpr))
    set_text(etree.SubElement(run, w("t")), text)
    return run
