"""Right-to-left workbooks: sheets that read from the right, cell alignment mirrored.

A sheet view with ``rightToLeft="1"`` puts column A on the right, as an Arabic or Hebrew
reader expects; a cell format aligned left or right (``cellXfs/xf/alignment/@horizontal``)
is mirrored with it, so a column of labels aligned to the table's outer edge stays on
the outer edge. General alignment needs nothing: it follows the text's direction.
"""
from __future__ import annotations

from lxml import etree

from pipeline.formats.xlsx.strings import x

_MIRRORED = {"left": "right", "right": "left"}
#: CT_Worksheet children that come after ``sheetViews`` (where a missing one is inserted).
_AFTER_VIEWS = ("sheetFormatPr", "cols", "sheetData")


def mirror_sheet(root: etree._Element) -> None:
    """Every view of a worksheet (``worksheet`` root) reads right to left."""
    views = root.find(x("sheetViews"))
    if views is None:
        views = etree.Element(x("sheetViews"))
        etree.SubElement(views, x("sheetView"), workbookViewId="0")
        later = next((c for c in root if isinstance(c.tag, str) and etree.QName(c).localname in _AFTER_VIEWS), None)
        if later is not None:
            later.addprevious(views)
        else:
            root.append(views)
    for view in views.iter(x("sheetView")):
        view.set("rightToLeft", "1")


def mirror_alignment(styles: etree._Element) -> bool:
    """Cell formats aligned left become right-aligned and the reverse; True if any changed."""
    changed = False
    for group in ("cellXfs", "cellStyleXfs", "dxfs"):
        for align in styles.iterfind(f"{x(group)}//{x('alignment')}"):
            value = align.get("horizontal")
            if value in _MIRRORED:
                align.set("horizontal", _MIRRORED[value])
                changed = True
    return changed


__all__ = ["mirror_alignment", "mirror_sheet"]
