"""PowerPoint test material: the shared corpus, and a deck built with python-pptx (a second writer)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.formats.base import LoadContext
from pipeline.formats.options import PptxOptions
from pipeline.formats.pptx import HANDLER, PptxDocument

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "pptx"
FILES = sorted(CORPUS.glob("*.pptx")) if CORPUS.is_dir() else []
NO_CORPUS = f"shared corpus not found at {CORPUS}"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"



def _load(data: bytes, name: str = "deck.pptx", **options) -> PptxDocument:
    return HANDLER.load(LoadContext(Path(name), data, PptxOptions(**options), None, ()))


@pytest.fixture
def load_pptx():
    """load_pptx(data, name="deck.pptx", **options) -> PptxDocument."""
    return _load


def build_deck() -> bytes:
    """Title slide, a text box with a bold word, a link and a slide-number field, a table,
    a group, speaker notes, a chart with a title, and a footer line on the layout."""
    from lxml import etree
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = "Quarterly results"
    slide.placeholders[1].text = "Prepared for the board"
    slide.notes_slide.notes_text_frame.text = "Remember to thank the team."

    second = prs.slides.add_slide(prs.slide_layouts[6])
    box = second.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1)).text_frame
    para = box.paragraphs[0]
    for text, bold in (("Sales grew ", False), ("strongly", True), (" this year", False)):
        run = para.add_run()
        run.text, run.font.bold = text, bold
    link = box.add_paragraph().add_run()
    link.text = "Read the full report"
    link.hyperlink.address = "https://example.com/report"
    field_p = box.add_paragraph()
    field_p.add_run().text = "Slide "
    fld = etree.SubElement(field_p._p, f"{{{A}}}fld", id="{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}", type="slidenum")
    etree.SubElement(fld, f"{{{A}}}t").text = "2"
    table = second.shapes.add_table(2, 2, Inches(1), Inches(3), Inches(6), Inches(1)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "Region", "Comment"
    table.cell(1, 0).text, table.cell(1, 1).text = "North", "Best quarter so far"
    group = second.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(5), Inches(3), Inches(1)).text_frame.text = "Inside a group"
    data = CategoryChartData()
    data.categories = ["East", "West"]
    data.add_series("Revenue", (1.5, 2.5))
    chart = second.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(7), Inches(1), Inches(3), Inches(3),
                                    data).chart
    chart.has_title = True
    chart.chart_title.text_frame.text = "Revenue by region"
    footer = second.shapes.add_textbox(Inches(0), Inches(7), Inches(4), Inches(0.4))
    footer.text_frame.text = "Company confidential"
    prs.slide_layouts[6].shapes._spTree.append(footer._element)  # moved: the layout shows it on the slide
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def deck() -> bytes:
    return build_deck()
