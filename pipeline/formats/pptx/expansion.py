"""Text that grew: slide text boxes and table cells whose translation is much longer than the source.

A translation 30-60% longer than English overflows a text box of fixed size. The setting
PowerPoint and LibreOffice both honour is "shrink text on overflow" (``a:normAutofit`` in
the box's ``a:bodyPr``): the font scales down until the text fits, and nothing is
shrunk that fits already. A box is given it when its translated text is at least
:data:`MUCH_LONGER` times its source's length and it neither has it nor grows with its
text (``a:spAutoFit``); the run report lists each such box as a warning, to be looked at
(status ``expanded``). Boxes of less than :data:`MIN_SOURCE` characters are left alone.

A table on a slide has a fixed frame, and DrawingML table cells have no autofit: a row
grows with its text and pushes the rows below past the frame, off the slide. A cell whose
translation grew as much (the same test, :func:`grew`) gets every run of it set to a smaller
size, :func:`cell_scale`: the text's area grows with the square of its size, so
1/sqrt(ratio) brings it back to the lines it had, bounded below (:data:`MIN_SCALE` of the
size, never under :data:`READABLE` unless it was smaller already).
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from pipeline.formats.ooxml.drawing import a
from pipeline.formats.pptx.direction import list_level
from pipeline.segments import plain_text

P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
#: Translated / source characters from which a box is set to shrink on overflow (a cell to a smaller size).
MUCH_LONGER = 1.3
#: Boxes with less source text than this are left alone: a short label has room to grow
#: ("Total" -> "Gesamtsumme" is 2.2x but fits), and would only fill the report.
MIN_SOURCE = 20
_FITS = ("noAutofit", "normAutofit", "spAutoFit")
#: A cell's text is never set under this share of its size ...
MIN_SCALE = 0.6
#: ... nor under this size (hundredths of a point), unless it was smaller already.
READABLE = 1000
#: The size of text that states none anywhere: PowerPoint's default text style.
DEFAULT_SIZE = 1800


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


def cell_body(p: etree._Element) -> etree._Element | None:
    """The text body of the table cell (``a:tc``) holding paragraph ``p``; None elsewhere."""
    parent = p.getparent()
    if parent is None or parent.tag != a("txBody"):
        return None
    cell = parent.getparent()
    return parent if cell is not None and cell.tag == a("tc") else None


def count(boxes: dict[etree._Element, BoxText], p: etree._Element, uid: str, source: str, translation: str) -> None:
    """Add one translated paragraph's lengths to its shape's or table cell's tally."""
    body = shape_body(p)
    if body is None:
        body = cell_body(p)
    if body is None:
        return
    if body not in boxes:
        boxes[body] = BoxText(uid, _label(body))
    boxes[body].source += len(plain_text(source).strip())
    boxes[body].translated += len(plain_text(translation).strip())


def _label(body: etree._Element) -> str:
    """``text box 'Box 1'``, ``table 'Table 1' cell (row 2, column 3)``: how the report names it."""
    holder = body.getparent()
    if holder is None or holder.tag != a("tc"):
        name = _name(holder, "nvSpPr")
        return f"text box {name!r}" if name else "text box"
    name = _name(next(holder.iterancestors(f"{{{P_NS}}}graphicFrame"), None), "nvGraphicFramePr")
    row, table = next(holder.iterancestors(a("tr")), None), next(holder.iterancestors(a("tbl")), None)
    where = "cell"
    if row is not None and table is not None:
        rows = [r for r in table if r.tag == a("tr")]
        columns = [c for c in row if c.tag == a("tc")]
        where = f"cell (row {rows.index(row) + 1}, column {columns.index(holder) + 1})"
    return f"table {name!r} {where}" if name else f"table {where}"


def _name(shape: etree._Element | None, nv: str) -> str:
    """The name a shape or graphic frame has in PowerPoint's selection pane ('' if none)."""
    props = shape.find(f"{{{P_NS}}}{nv}/{{{P_NS}}}cNvPr") if shape is not None else None
    return props.get("name", "") if props is not None else ""


def grew(box: BoxText) -> float | None:
    """Translated / source length when the translation is much longer (and the source not
    short), else None: the one test for boxes and cells alike."""
    if box.source < MIN_SOURCE or box.translated < MUCH_LONGER * box.source:
        return None
    return box.translated / box.source


def cell_scale(ratio: float, size: int) -> int:
    """The size (hundredths of a point) text of ``size`` is set to when it grew ``ratio`` times."""
    smaller = size / ratio ** 0.5
    return int(round(max(smaller, MIN_SCALE * size, min(READABLE, size))))


def shrink_grown(boxes: dict[etree._Element, BoxText], defaults: etree._Element | None = None) -> dict[str, str]:
    """Set the boxes that grew much to shrink on overflow and the table cells that did to a
    smaller size; segment id -> warning, one per box or cell. ``defaults``: the presentation's
    ``p:defaultTextStyle``, where a cell's text finds its size when it states none."""
    warnings: dict[str, str] = {}
    for body, box in boxes.items():
        ratio = grew(box)
        if ratio is None:
            continue
        if body.tag == a("txBody"):      # a table cell's (a shape's is p:txBody)
            warnings[box.first_id] = shrink_cell(body, box, ratio, defaults)
            continue
        body_pr = body.find(a("bodyPr"))
        if body_pr is None:
            body_pr = etree.Element(a("bodyPr"))
            body.insert(0, body_pr)
        fit = next((c for c in body_pr if c.tag in {a(n) for n in _FITS}), None)
        shown, label = f"{ratio:.1f}x", box.name
        if fit is not None and fit.tag == a("spAutoFit"):
            continue   # the shape grows with its text
        if fit is not None and fit.tag == a("normAutofit"):
            warnings[box.first_id] = f"{label}: translation {shown} the source's length; it shrinks on overflow already"
            continue
        _set_shrink(body_pr, fit)
        warnings[box.first_id] = f"{label}: translation {shown} the source's length; set to shrink text on overflow"
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


def shrink_cell(body: etree._Element, box: BoxText, ratio: float, defaults: etree._Element | None) -> str:
    """Set every run of the cell to :func:`cell_scale` of its effective size; the warning.

    Per cell, not per row: a row is as tall as its tallest cell, and scaling a cell by
    1/sqrt(ratio) gives it back about the lines it had, so once every cell that grew is
    scaled the row is back to about its old height. A cell of the row that did not grow
    much kept its height already; shrinking it too would gain nothing and only make its
    text smaller than its neighbours' in other rows."""
    scales: list[float] = []
    for p in body.iter(a("p")):
        inherited = _size(p.find(f"{a('pPr')}/{a('defRPr')}")) or _inherited_size(body, defaults, list_level(p))
        for rpr in _run_properties(p):
            size = _size(rpr) or inherited
            rpr.set("sz", str(cell_scale(ratio, size)))
            scales.append(cell_scale(ratio, size) / size)
    shown = f"{box.name}: translation {ratio:.1f}x the source's length"
    if not scales or min(scales) >= 1:
        return f"{shown}; text left at its size (under {READABLE // 100} pt already)"
    return f"{shown}; text set to {round(100 * min(scales))}% of its size"


def _size(rpr: etree._Element | None) -> int:
    """The size (hundredths of a point) ``rpr`` states; 0 for none."""
    sz = rpr.get("sz", "") if rpr is not None else ""
    return int(sz) if sz.isdigit() and int(sz) > 0 else 0


def _run_properties(p: etree._Element) -> list[etree._Element]:
    """The ``a:rPr`` of every run, field and break of ``p`` (made where missing), and its
    ``a:endParaRPr``: each carries a size."""
    out: list[etree._Element] = []
    for run in p:
        if run.tag in (a("r"), a("fld"), a("br")):
            rpr = run.find(a("rPr"))
            if rpr is None:
                rpr = etree.Element(a("rPr"))
                run.insert(0, rpr)
            out.append(rpr)
        elif run.tag == a("endParaRPr"):
            out.append(run)
    return out


def _inherited_size(body: etree._Element, defaults: etree._Element | None, level: int) -> int:
    """A cell's text size where its run and paragraph state none: the cell's list style, the
    presentation's default text style (which table text follows in PowerPoint; table styles
    set no size), else 18 pt."""
    for style in (body.find(a("lstStyle")), defaults):
        size = _size(style.find(f"{a(f'lvl{level}pPr')}/{a('defRPr')}") if style is not None else None)
        if size:
            return size
    return DEFAULT_SIZE


__all__ = ["DEFAULT_SIZE", "MIN_SCALE", "MIN_SOURCE", "MUCH_LONGER", "READABLE", "BoxText", "cell_body",
           "cell_scale", "count", "grew", "shape_body", "shrink_cell", "shrink_grown"]
