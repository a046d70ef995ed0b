"""PowerPoint in place: what is translated, what stays byte-identical, and the target-language settings."""
from __future__ import annotations

import io
import zipfile

from lxml import etree

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.errors import FileError
from pipeline.languages import lookup

from ooxml_support import ole

A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def texts(data: bytes, part: str) -> list[str]:
    root = etree.fromstring(entries(data)[part])
    return ["".join(t.text or "" for t in p.iter(f"{{{A}}}t")) for p in root.iter(f"{{{A}}}p")]


def pseudo(doc, code="zh"):
    return {s.id: pseudo_translate(s.text, code) for s in doc.segments()}


def test_segments_cover_slides_tables_groups_notes_and_chart_titles(deck, load_pptx):
    doc = load_pptx(deck)
    by_text = {s.text: s.context for s in doc.segments()}
    assert by_text["Quarterly results"] == "slide 1"
    assert by_text["Remember to thank the team."] == "notes (slide 1)"
    assert by_text["Best quarter so far"] == "slide 2, table"
    assert by_text["Inside a group"] == "slide 2"
    assert by_text["Revenue by region"] == "chart (slide 2)"
    assert by_text["Sales grew <g1>strongly</g1> this year"] == "slide 2"
    assert "Company confidential" not in by_text  # layouts only with [pptx] layouts_masters
    assert "Revenue" not in by_text and "East" not in by_text  # series and categories are cell references
    assert "Company confidential" in {s.text for s in load_pptx(deck, layouts_masters=True).segments()}
    assert not {"Quarterly", "Remember"} & {s.text.split()[0] for s in load_pptx(deck, notes=False).segments()
                                            if s.context.startswith("notes")}


def test_pseudo_rebuild_translates_in_place_and_keeps_other_parts_byte_identical(deck, load_pptx):
    from pptx import Presentation

    doc = load_pptx(deck)
    out = doc.rebuild(lookup("zh"), pseudo(doc))
    doc.verify(out)
    before, after = entries(deck), entries(out)
    assert list(before) == list(after)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"ppt/slides/slide1.xml", "ppt/slides/slide2.xml", "ppt/notesSlides/notesSlide1.xml",
                       "ppt/charts/chart1.xml"}
    chart = after["ppt/charts/chart1.xml"].decode()
    assert "<c:v>Revenue</c:v>" in chart and "<c:v>East</c:v>" in chart  # the chart's data is untouched
    shown = [sh.text_frame.text for sh in Presentation(io.BytesIO(out)).slides[0].shapes if sh.has_text_frame]
    assert shown[0] == pseudo_translate("Quarterly results", "zh")  # a second reader sees the translation


def test_runs_fields_and_links_keep_their_elements(deck, load_pptx):
    doc = load_pptx(deck)
    out = doc.rebuild(lookup("zh"), pseudo(doc))
    root = etree.fromstring(entries(out)["ppt/slides/slide2.xml"])
    paragraphs = list(root.iter(f"{{{A}}}p"))
    bold = [r for r in paragraphs[0].iter(f"{{{A}}}r") if r.find(f"{{{A}}}rPr").get("b") == "1"]
    assert [r.findtext(f"{{{A}}}t") for r in bold] == [pseudo_translate("strongly", "zh")[len("⟦zh⟧ "):]]
    assert paragraphs[1].find(f".//{{{A}}}hlinkClick") is not None
    fld = paragraphs[2].find(f"{{{A}}}fld")
    assert fld is not None and fld.get("type") == "slidenum" and fld.findtext(f"{{{A}}}t") == "2"
    assert paragraphs[2][-1].tag in (f"{{{A}}}endParaRPr", f"{{{A}}}fld")


def test_target_language_and_fonts(deck, load_pptx):
    doc = load_pptx(deck)
    out = doc.rebuild(lookup("ja"), pseudo(doc, "ja"))
    root = etree.fromstring(entries(out)["ppt/slides/slide1.xml"])
    rpr = next(root.iter(f"{{{A}}}rPr"))
    assert rpr.get("lang") == "ja-JP" and rpr.find(f"{{{A}}}ea").get("typeface") == "Yu Gothic"
    arabic = doc.rebuild(lookup("ar"), pseudo(doc, "ar"))
    root = etree.fromstring(entries(arabic)["ppt/slides/slide1.xml"])
    p = next(root.iter(f"{{{A}}}p"))
    assert p.find(f"{{{A}}}pPr").get("rtl") == "1"
    assert p.find(f".//{{{A}}}rPr").get("lang") == "ar-SA"


def test_identity_is_byte_identical_in_text_and_formatting(deck, load_pptx):
    from pipeline.formats.ooxml.drawing import paragraph_runs

    doc = load_pptx(deck, layouts_masters=True)
    out = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
    doc.verify(out)
    before, after = entries(deck), entries(out)
    for part in doc.parts:
        old = [paragraph_runs(p) for p in etree.fromstring(before[part.name]).iter(f"{{{A}}}p")]
        new = [paragraph_runs(p) for p in etree.fromstring(after[part.name]).iter(f"{{{A}}}p")]
        assert old == new, part.name


def test_not_a_presentation_fails_with_a_reason(deck, load_pptx):
    import pytest

    for data, reason in ((b"plain text", "not a valid zip"), (ole("PowerPoint Document"), "legacy PowerPoint"),
                         (ole("EncryptedPackage"), "encrypted")):
        with pytest.raises(FileError, match=reason):
            load_pptx(data)


def _with_parts(deck: bytes, slide: str, parts: dict[str, tuple[str, str]]) -> bytes:
    """``deck`` with extra parts related from ``slide``: name -> (relationship type, XML)."""
    rels_name = slide.replace("slides/", "slides/_rels/") + ".rels"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(deck)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == rels_name:
                extra = "".join(f'<Relationship Id="rIdX{i}" Type="{rtype}" Target="../{name.split("ppt/")[1]}"/>'
                                for i, (name, (rtype, _)) in enumerate(parts.items()))
                data = data.replace(b"</Relationships>", extra.encode() + b"</Relationships>")
            zout.writestr(info, data)
        for name, (_, xml) in parts.items():
            zout.writestr(name, xml)
    return out.getvalue()


def test_smartart_and_legacy_comments(deck, load_pptx):
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    dgm = ('<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
           f'xmlns:a="{A}"><dgm:ptLst><dgm:pt modelId="1"><dgm:t><a:bodyPr/><a:p><a:r><a:rPr lang="en-US"/>'
           '<a:t>Plan the launch</a:t></a:r></a:p></dgm:t></dgm:pt></dgm:ptLst></dgm:dataModel>')
    comments = ('<p:cmLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
                '<p:cm authorId="0" idx="1"><p:pos x="10" y="10"/><p:text>Shorten this title</p:text></p:cm></p:cmLst>')
    data = _with_parts(deck, "ppt/slides/slide1.xml", {
        "ppt/diagrams/data1.xml": (rel + "diagramData", dgm),
        "ppt/comments/comment1.xml": (rel + "comments", comments),
    })
    doc = load_pptx(data)
    by_text = {s.text: s.context for s in doc.segments()}
    assert by_text["Plan the launch"] == "SmartArt (slide 1)"
    assert by_text["Shorten this title"] == "comment (slide 1)"
    out = doc.rebuild(lookup("zh"), pseudo(doc))
    doc.verify(out)
    assert pseudo_translate("Shorten this title", "zh") in entries(out)["ppt/comments/comment1.xml"].decode()
    assert texts(out, "ppt/diagrams/data1.xml") == [pseudo_translate("Plan the launch", "zh")]
    assert "Plan the launch" not in {s.text for s in load_pptx(data, smartart=False, comments=False).segments()}
