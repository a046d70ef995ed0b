"""Code stays code in PowerPoint: monospace runs, URLs and commands go back as they were."""
from __future__ import annotations

import io
import zipfile

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.languages import lookup


def code_deck() -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    frame = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(3)).text_frame
    first = frame.paragraphs[0]
    for text, font in (("Call ", None), ("print(x)", "Consolas"), (" to print.", None)):
        r = first.add_run()
        r.text = text
        if font:
            r.font.name = font
    frame.add_paragraph().add_run().text = "Docs at https://example.com/docs and help@example.com."
    frame.add_paragraph().add_run().text = "pip install -e '.[test]'"
    house = frame.add_paragraph().add_run()
    house.text, house.font.name = "HOUSE STYLE", "Corp Type"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def test_code_travels_as_isolated_tags(load_pptx):
    doc = load_pptx(code_deck())
    assert [s.text for s in doc.segments()] == ["Call <x1/> to print.", "Docs at <x1/> and <x2/>.", "HOUSE STYLE"]
    assert doc.unextracted() == []
    assert [s.text for s in load_pptx(code_deck(), protect_fonts=("Corp Type",)).segments()][2:] == []


def test_pseudo_translation_brings_code_back_byte_identical(load_pptx):
    doc = load_pptx(code_deck())
    out = doc.rebuild(lookup("he"), {s.id: pseudo_translate(s.text, "he") for s in doc.segments()})
    doc.verify(out)
    xml = zipfile.ZipFile(io.BytesIO(out)).read("ppt/slides/slide1.xml").decode()
    for code in ("print(x)", "https://example.com/docs", "help@example.com", "pip install -e '.[test]'"):
        assert f"<a:t>{code}</a:t>" in xml.replace("&apos;", "'")
    assert "Call" not in xml and "Docs at" not in xml
