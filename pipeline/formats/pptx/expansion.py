"""Text that grew: slide text boxes whose translation is much longer than the source.

A translation 30-60% longer than English overflows a text box of fixed size. The setting
PowerPoint and LibreOffice both honour is "shrink text on overflow" (``a:normAutofit`` in
the box's ``a:bodyPr``): the font scales down until the text fits, and nothing is
shrunk that fits already. A box is given it when its translated text is at least
:data:`MUCH_LONGER` times its source's length and it neither has it nor grows with its
text (``a:spAutoFit``); the run report lists each such box as a warning, to be looked at
(status ``expanded``). Boxes of less than :data:`MIN_SOURCE` characters are left alone.

Table cells are left alone: a row grows with its text in both programs.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from pipeline.formats.ooxml.drawing import a
from pipeline.segments import plain_text

P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
#: Translated / source characters from which a box is set to shrink on overflow.
MUCH_LONGER = 1.3
#: Boxes with less source text than this are left alone: a short label has room to grow
#: ("Total" -> "Gesamtsumme" is 2.2x but fits), and would only fill the report.
MIN_SOURCE = 20
_FITS = ("noAutofit", "normAutofit", "spAutoFit")


@dataclass
class BoxText:
    """A shape's text body: the first segment in it (to report) and its lengths."""

    first_id: str
    name: str
    source: int = 0
    translated: int = 0


def shape_body(p: etree._Element) -> etree._Element | None:
    """The text body of the shape (``p:sp``) holding paragraph ``p``; None in a table or chart."""
    parent = p.getparent()
    if parent is None or parent.tag != f"{{{P_NS}}}txBody":
        return None
    shape = parent.getparent()
    return parent if shape is not None and shape.tag == f"{{{P_NS}}}sp" else None


def count(boxes: dict[etree._Element, BoxText], p: etree._Element, uid: str, source: str, translation: str) -> None:
    """Add one translated paragraph's lengths to its shape's tally."""
    body = shape_body(p)
    if body is None:
        return
    if body not in boxes:
        shape = body.getparent()        # the p:sp (shape_body checked)
        props = shape.find(f"{{{P_NS}}}nvSpPr/{{{P_NS}}}cNvPr") if shape is not None else None
        boxes[body] = BoxText(uid, props.get("name", "") if props is not None else "")
    boxes[body].source += len(plain_text(source).strip())
    boxes[body].translated += len(plain_text(translation).strip())


def shrink_grown(boxes: dict[etree._Element, BoxText]) -> dict[str, str]:
    """Set the boxes that grew much to shrink on overflow; segment id -> warning, one per box."""
    warnings: dict[str, str] = {}
    for body, box in boxes.items():
        if box.source < MIN_SOURCE or box.translated < MUCH_LONGER * box.source:
            continue
        body_pr = body.find(a("bodyPr"))
        if body_pr is None:
            body_pr = etree.Element(a("bodyPr"))
            body.insert(0, body_pr)
        fit = next((c for c in body_pr if c.tag in {a(n) for n in _FITS}), None)
        ratio = f"{box.translated / box.source:.1f}x"
        label = f"text box {box.name!r}" if box.name else "text box"
        if fit is not None and fit.tag == a("spAutoFit"):
            continue   # the shape grows with its text
        if fit is not None and fit.tag == a("normAutofit"):
            warnings[box.first_id] = f"{label}: translation {ratio} the source's length; it shrinks on overflow already"
            continue
        _set_shrink(body_pr, fit)
        warnings[box.first_id] = f"{label}: translation {ratio} the source's length; set to shrink text on overflow"
    return warnings


def _set_shrink(body_pr: etree._Element, fit: etree._Element | None) -> None:
    """``a:normAutofit`` in the place of ``a:noAutofit``, else after ``a:prstTxWarp`` (schema order)."""
    shrink = etree.Element(a("normAutofit"))
    if fit is not None:
        fit.addprevious(shrink)
        body_pr.remove(fit)
        return
    warp = body_pr.find(a("prstTxWarp"))
    body_pr.insert(body_pr.index(warp) + 1 if warp is not None else 0, shrink)


__all__ = ["MIN_SOURCE", "MUCH_LONGER", "BoxText", "count", "shape_body", "shrink_grown"]
