"""Right-to-left slides: paragraphs marked rtl with their visual alignment mirrored, tables rtl."""
from __future__ import annotations

import io
import zipfile

from lxml import etree

from pipeline.formats.ooxml.drawing import a
from pipeline.languages import lookup

P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"


def aligned_deck() -> bytes:
    """A title slide (master title style: centred), a text box with paragraphs left (by default),
    right and centred, and a table."""
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches

    prs = Presentation()
    title = prs.slides.add_slide(prs.slide_layouts[0])
    title.shapes.title.text = "Quarterly results"
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    frame = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(2)).text_frame
    frame.paragraphs[0].text = "Left by default"
    for text, align in (("Right on purpose", PP_ALIGN.RIGHT), ("In the middle", PP_ALIGN.CENTER)):
        para = frame.add_paragraph()
        para.text, para.alignment = text, align
    table = slide.shapes.add_table(1, 2, Inches(1), Inches(4), Inches(6), Inches(1)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "First column", "Second column"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def rebuilt(load_pptx, code: str) -> dict[str, etree._Element]:
    doc = load_pptx(aligned_deck())
    out = doc.rebuild(lookup(code), {s.id: s.text for s in doc.segments()})
    doc.verify(out)
    z = zipfile.ZipFile(io.BytesIO(out))
    return {n: etree.fromstring(z.read(n)) for n in ("ppt/slides/slide1.xml", "ppt/slides/slide2.xml")}


def paragraphs(root: etree._Element) -> dict[str, etree._Element | None]:
    return {"".join(p.itertext()): p.find(a("pPr")) for p in root.iter(a("p")) if "".join(p.itertext())}


def test_right_to_left_paragraphs_are_mirrored(load_pptx):
    for code in ("ar", "he"):
        parts = rebuilt(load_pptx, code)
        box = paragraphs(parts["ppt/slides/slide2.xml"])
        assert {text: (ppr.get("rtl"), ppr.get("algn")) for text, ppr in box.items()} == {
            "Left by default": ("1", "r"), "Right on purpose": ("1", "l"), "In the middle": ("1", "ctr"),
            "First column": ("1", "r"), "Second column": ("1", "r"),
        }
        (title,) = paragraphs(parts["ppt/slides/slide1.xml"]).values()
        assert title.get("rtl") == "1" and title.get("algn") is None   # the master centres titles: kept
        assert parts["ppt/slides/slide2.xml"].find(f".//{a('tblPr')}").get("rtl") == "1"


def test_chinese_keeps_the_layout(load_pptx):
    parts = rebuilt(load_pptx, "zh")
    for root in parts.values():
        assert all(ppr is None or (ppr.get("rtl") is None and ppr.get("algn") in (None, "r", "ctr"))
                   for ppr in paragraphs(root).values())
        assert all(t.get("rtl") is None for t in root.iter(a("tblPr")))
    box = paragraphs(parts["ppt/slides/slide2.xml"])
    assert box["Right on purpose"].get("algn") == "r" and box["Left by default"] is None
