"""Right-to-left slides: what alignment a paragraph has before it is mirrored.

DrawingML alignment (``a:pPr/@algn``) is visual, unlike Word's: a right-to-left paragraph
(``rtl="1"``) whose alignment is left stays on the left (LibreOffice and PowerPoint
render it so), bullets floating on the wrong side. Mirroring ``l`` <-> ``r`` needs the
alignment the paragraph actually has, which it usually inherits rather than states:

1. the shape's own list style (``a:lstStyle/a:lvlNpPr``, N the paragraph's level + 1);
2. for a placeholder, the matching placeholder of the slide's layout, then of its master
   (matched by ``idx``, else by ``type``), then the master's title or body text style;
3. anything else on a slide (a text box, a table cell): left, the default text style's
   alignment in every template we know of.

Parts whose text has no such chain (charts, SmartArt) keep their alignment unless it
is stated on the paragraph.
"""
from __future__ import annotations

from lxml import etree

from pipeline.formats.ooxml.drawing import a
from pipeline.formats.ooxml.package import ZipParts

P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
_TITLES = ("title", "ctrTitle")


def _p(tag: str) -> str:
    return f"{{{P_NS}}}{tag}"


def inherited_alignment(package: ZipParts, part: str, kind: str, p: etree._Element) -> str | None:
    """The alignment ``p`` has without its own ``algn``; None where it cannot be known."""
    if kind in ("chart", "diagram", "comments"):
        return None
    level = list_level(p)
    body = next((anc for anc in p.iterancestors() if anc.tag in (_p("txBody"), a("txBody"))), None)
    found = _list_style(body, level)
    if found:
        return found
    shape = next((anc for anc in p.iterancestors(_p("sp"))), None)
    ph = shape.find(f"{_p('nvSpPr')}/{_p('nvPr')}/{_p('ph')}") if shape is not None else None
    if ph is None or kind not in ("slide", "layout", "master"):
        return "l"
    return _placeholder_alignment(package, part, kind, ph, level) or "l"


def list_level(p: etree._Element) -> int:
    """N of the list style level (``a:lvlNpPr``) paragraph ``p`` takes its properties from."""
    ppr = p.find(a("pPr"))
    return int((ppr.get("lvl", "0") if ppr is not None else "0") or 0) + 1


def _list_style(body: etree._Element | None, level: int) -> str | None:
    if body is None:
        return None
    lvl = body.find(f"{a('lstStyle')}/{a(f'lvl{level}pPr')}")
    return lvl.get("algn") if lvl is not None else None


def _placeholder_alignment(package: ZipParts, part: str, kind: str, ph: etree._Element, level: int) -> str | None:
    """Down the chain slide -> layout -> master placeholders, then the master's text styles."""
    chain = {"slide": ["slideLayout", "slideMaster"], "layout": ["slideMaster"], "master": []}[kind]
    current = part
    for rel in chain:
        targets = package.related(current, rel)
        if not targets:
            return None
        current = targets[0]
        match = _matching_placeholder(package.xml(current).getroot(), ph)
        found = _list_style(match.find(_p("txBody")) if match is not None else None, level)
        if found:
            return found
    styles = package.xml(current).getroot().find(_p("txStyles"))
    if styles is None:
        return None
    name = "titleStyle" if ph.get("type") in _TITLES else "bodyStyle"
    lvl = styles.find(f"{_p(name)}/{a(f'lvl{level}pPr')}")
    return lvl.get("algn") if lvl is not None else None


def _matching_placeholder(root: etree._Element, ph: etree._Element) -> etree._Element | None:
    """The shape of ``root`` whose placeholder matches ``ph`` (by idx, else by type)."""
    kind, idx = ph.get("type", "body"), ph.get("idx")
    by_type = None
    for sp in root.iter(_p("sp")):
        other = sp.find(f"{_p('nvSpPr')}/{_p('nvPr')}/{_p('ph')}")
        if other is None:
            continue
        if idx is not None and other.get("idx") == idx:
            return sp
        if by_type is None and other.get("type", "body") == kind:
            by_type = sp
    return by_type


def mirror_tables(translated: list[etree._Element]) -> None:
    """Tables holding translated paragraphs read right to left (``a:tblPr rtl="1"``)."""
    for tbl in {t for p in translated for t in p.iterancestors(a("tbl"))}:
        tblpr = tbl.find(a("tblPr"))
        if tblpr is None:
            tblpr = etree.Element(a("tblPr"))
            tbl.insert(0, tblpr)
        tblpr.set("rtl", "1")


__all__ = ["inherited_alignment", "list_level", "mirror_tables"]
