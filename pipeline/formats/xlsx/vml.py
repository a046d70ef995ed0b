"""Legacy VML drawings of a sheet (``xl/drawings/vmlDrawingN.vml``): text of form controls
and legacy text boxes.

A sheet's VML part holds the shapes Excel still writes in VML: the boxes of cell notes,
form controls (a button's caption, a check box's label, a group box's title) and
pictures of page headers. Text sits in ``v:textbox`` as HTML-like ``div`` paragraphs of
``font`` runs (with ``b``, ``i``, ``u`` inside) and ``br`` breaks; each ``div`` with text is
one segment (formatting as spans, breaks as isolated tags).

A note's box (``x:ClientData ObjectType="Note"``) is skipped: the note's text is the
comments part's, translated there, and Excel draws the box from it; translating the
box's copy as well would send the same text twice. A ``div`` holding anything but text,
formatting elements and ``br`` is left as it is.

Excel writes ``<br>`` without closing it in some VML parts, which is not XML: such
breaks are read as ``<br/>``. A part that still does not parse is reported and kept.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from lxml import etree

from pipeline.formats.ooxml.package import parse_xml, serialize
from pipeline.formats.ooxml.runs import IsoNode, Node, RunStyle, TaggedElement, TextNode, tag_runs, write_runs

V_NS = "urn:schemas-microsoft-com:vml"
X_VML_NS = "urn:schemas-microsoft-com:office:excel"
_OPEN_BR = re.compile(rb"<br\s*>", re.IGNORECASE)


@dataclass(eq=False)
class VmlParagraph(TaggedElement):
    """A ``div`` of a VML text box read for translation."""


def parse_vml(path: Path, name: str, data: bytes) -> etree._ElementTree:
    """A VML part parsed as XML, unclosed ``<br>`` read as ``<br/>``."""
    return parse_xml(_OPEN_BR.sub(b"<br/>", data), path, name)


def serialize_vml(tree: etree._ElementTree, original: bytes) -> bytes:
    """The part written back, with an XML declaration only when it had one."""
    if original.lstrip().startswith(b"<?xml"):
        return serialize(tree)
    return etree.tostring(tree.getroot(), encoding="UTF-8", xml_declaration=False)


#: Elements that format the text inside a text box's ``div`` (Excel writes ``font``, ``b``, ``i``, ``u``).
_FORMATTING = frozenset(("font", "b", "i", "u", "s", "strike", "sub", "sup", "span", "em", "strong"))


def _chain_key(chain: etree._Element | None) -> bytes:
    """A run's formatting: its nesting of formatting elements and their attributes."""
    if chain is None:
        return b""
    return b"/".join(etree.tostring(etree.Element(el.tag, attrib=dict(el.attrib)), method="c14n")
                     for el in chain.iter())


def _innermost(el: etree._Element) -> etree._Element:
    while len(el):
        el = el[0]
    return el


def _make_run(parent: etree._Element, chain: etree._Element | None, text: str) -> etree._Element:
    """A run: a copy of its formatting elements, nested, with ``text`` in the innermost."""
    run = copy.deepcopy(chain) if chain is not None else etree.Element("font")
    _innermost(run).text = text
    parent.append(run)
    return run


VML_RUNS = RunStyle(_chain_key, _make_run)


def paragraphs(root: etree._Element) -> Iterator[VmlParagraph]:
    """The ``div`` paragraphs with text of every text box that is not a note's."""
    for shape in root.iter(f"{{{V_NS}}}shape", f"{{{V_NS}}}rect", f"{{{V_NS}}}roundrect"):
        data = shape.find(f"{{{X_VML_NS}}}ClientData")
        if data is not None and data.get("ObjectType") == "Note":
            continue
        for box in shape.iter(f"{{{V_NS}}}textbox"):
            for div in box.iter("div"):
                if div.find(".//div") is not None:
                    continue        # the innermost divs are the paragraphs
                nodes = _nodes(div, None)
                if nodes is not None and any(isinstance(n, TextNode) and n.text.strip() for n in nodes):
                    paragraph = VmlParagraph(div, tag_runs(nodes, VML_RUNS))
                    if paragraph.translatable:
                        yield paragraph


def _nodes(el: etree._Element, chain: etree._Element | None) -> list[Node] | None:
    """Text and breaks inside ``el``; ``chain``: the formatting elements around it (detached,
    nested one in another, without text). None when it holds anything else."""
    out: list[Node] = []
    if el.text:
        out.append(TextNode(el.text, chain, _chain_key(chain)))
    for child in el:
        if child.tag in _FORMATTING:
            inner = _nodes(child, _wrapped(chain, child))
            if inner is None:
                return None
            out += inner
        elif child.tag == "br":
            out.append(IsoNode.of([etree.Element("br")]))
        else:
            return None
        if child.tail:
            out.append(TextNode(child.tail, chain, _chain_key(chain)))
    return out


def _wrapped(chain: etree._Element | None, el: etree._Element) -> etree._Element:
    """``chain`` with an empty copy of ``el`` innermost."""
    shell = etree.Element(el.tag, attrib=dict(el.attrib))
    if chain is None:
        return shell
    outer = copy.deepcopy(chain)
    _innermost(outer).append(shell)
    return outer


def rebuild_paragraph(paragraph: VmlParagraph, translation: str) -> None:
    div = paragraph.el
    for child in list(div):
        div.remove(child)
    div.text = None
    write_runs(div, paragraph.tagged, translation, VML_RUNS)


__all__ = ["VmlParagraph", "paragraphs", "parse_vml", "rebuild_paragraph", "serialize_vml"]
