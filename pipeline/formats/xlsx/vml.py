"""Legacy VML drawings of a sheet (``xl/drawings/vmlDrawingN.vml``): text of form controls
and legacy text boxes.

A sheet's VML part holds the shapes Excel still writes in VML: the boxes of cell notes,
form controls (a button's caption, a check box's label, a group box's title) and
pictures of page headers. Text sits in ``v:textbox`` as HTML-like ``div`` paragraphs of
``font`` runs and ``br`` breaks; each ``div`` with text is one segment (fonts as
formatting spans, breaks as isolated tags).

A note's box (``x:ClientData ObjectType="Note"``) is skipped: the note's text is the
comments part's, translated there, and Excel draws the box from it; translating the
box's copy as well would send the same text twice. A ``div`` holding anything but text,
``font`` and ``br`` is left as it is.

Excel writes ``<br>`` without closing it in some VML parts, which is not XML: such
breaks are read as ``<br/>``. A part that still does not parse is reported and kept.
"""
from __future__ import annotations

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


def _font_key(font: etree._Element | None) -> bytes:
    if font is None or not font.attrib:
        return b""
    return repr(sorted(font.attrib.items())).encode()


def _make_run(parent: etree._Element, font: etree._Element | None, text: str) -> etree._Element:
    run = etree.SubElement(parent, "font", attrib=dict(font.attrib) if font is not None else {})
    run.text = text
    return run


VML_RUNS = RunStyle(_font_key, _make_run)


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


def _nodes(el: etree._Element, font: etree._Element | None) -> list[Node] | None:
    """Text and breaks of a ``div`` or ``font``; None when it holds anything else."""
    out: list[Node] = []
    if el.text:
        out.append(TextNode(el.text, font, _font_key(font)))
    for child in el:
        if child.tag == "font":
            inner = _nodes(child, etree.Element("font", attrib=dict(child.attrib)))
            if inner is None:
                return None
            out += inner
        elif child.tag == "br":
            out.append(IsoNode.of([etree.Element("br")]))
        else:
            return None
        if child.tail:
            out.append(TextNode(child.tail, font, _font_key(font)))
    return out


def rebuild_paragraph(paragraph: VmlParagraph, translation: str) -> None:
    div = paragraph.el
    for child in list(div):
        div.remove(child)
    div.text = None
    write_runs(div, paragraph.tagged, translation, VML_RUNS)


__all__ = ["VmlParagraph", "paragraphs", "parse_vml", "rebuild_paragraph", "serialize_vml"]
