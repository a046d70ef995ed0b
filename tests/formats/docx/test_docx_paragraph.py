"""Paragraph <-> segment: tags for formatting, links and non-text elements, and their rebuild."""
from __future__ import annotations

import io
import zipfile

from lxml import etree

from pipeline.formats.docx.formatting import document_formatting
from pipeline.languages import lookup
from pipeline.segments import plain_text, tag_ids

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
EN = lookup("en")
HYPERLINK_REL = (
    '<Relationship Id="rIdL" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/hyperlink" Target="https://example.com/" TargetMode="External"/>'
)


def texts(doc):
    return {s.id: s.text for s in doc.segments()}


def part_xml(data: bytes, name: str = "word/document.xml") -> etree._Element:
    return etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read(name))


def chars(data: bytes, part: str = "word/document.xml", index: int = 0):
    return document_formatting(data)[part][index]


def bold_chars(data: bytes, index: int = 0) -> str:
    return "".join(c for c, (fmt, _) in chars(data, index=index) if any(name == "b" for name, _ in fmt or ()))


def test_span_outside_dominant_formatting_is_a_paired_tag(make_docx, load_docx):
    data = make_docx(
        '<w:p><w:r><w:t xml:space="preserve">Click </w:t></w:r>'
        '<w:r><w:rPr><w:b/></w:rPr><w:t>Save</w:t></w:r>'
        '<w:r><w:t xml:space="preserve"> to keep your work.</w:t></w:r></w:p>'
    )
    doc = load_docx(data)
    assert texts(doc) == {"word/document.xml#0": "Click <g1>Save</g1> to keep your work."}


def test_moved_span_keeps_its_formatting(make_docx, load_docx):
    data = make_docx(
        '<w:p><w:r><w:t xml:space="preserve">Click </w:t></w:r>'
        '<w:r><w:rPr><w:b/></w:rPr><w:t>Save</w:t></w:r>'
        '<w:r><w:t xml:space="preserve"> to keep your work.</w:t></w:r></w:p>'
    )
    doc = load_docx(data)
    out = doc.rebuild(EN, {"word/document.xml#0": "Um die Arbeit zu behalten, <g1>Speichern</g1> klicken."})
    doc.verify(out)
    assert bold_chars(out) == "Speichern"
    assert "".join(c for c, _ in chars(out)) == "Um die Arbeit zu behalten, Speichern klicken."


def test_hyperlink_is_a_link_tag_and_keeps_its_target(make_docx, load_docx):
    data = make_docx(
        '<w:p><w:r><w:t xml:space="preserve">Read the </w:t></w:r>'
        '<w:hyperlink r:id="rIdL"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t>manual</w:t></w:r></w:hyperlink>'
        '<w:r><w:t xml:space="preserve"> first.</w:t></w:r></w:p>',
        rels=HYPERLINK_REL,
    )
    doc = load_docx(data)
    assert texts(doc)["word/document.xml#0"] == "Read the <a1>manual</a1> first."
    out = doc.rebuild(EN, {"word/document.xml#0": "<a1>Handbuch</a1> zuerst lesen."})
    doc.verify(out)
    linked = [(c, f) for c, f in chars(out) if f[1] is not None]
    assert "".join(c for c, _ in linked) == "Handbuch"
    assert {f[1][0] for _, f in linked} == {"https://example.com/"}
    assert {f[0] for _, f in linked} == {(("rStyle", ((f"{{{W}}}val", "Hyperlink"),)),)}


def test_non_text_elements_are_isolated_tags_that_survive(make_docx, load_docx):
    data = make_docx(
        '<w:p><w:r><w:t>Name:</w:t><w:tab/><w:t>value</w:t><w:br/><w:t>next line</w:t></w:r>'
        '<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteReference w:id="1"/></w:r>'
        '<w:r><w:t xml:space="preserve"> end.</w:t></w:r></w:p>'
    )
    doc = load_docx(data)
    text = texts(doc)["word/document.xml#0"]
    assert text == "Name:<x1/>value<x2/>next line<x3/> end."
    out = doc.rebuild(EN, {"word/document.xml#0": "Nom :<x1/>valeur<x2/>ligne suivante<x3/> fin."})
    doc.verify(out)
    root = part_xml(out)
    assert len(root.findall(f".//{{{W}}}tab")) == 1 and len(root.findall(f".//{{{W}}}br")) == 1
    ref_run = root.find(f".//{{{W}}}footnoteReference/..")
    assert ref_run.find(f"{{{W}}}rPr/{{{W}}}vertAlign").get(f"{{{W}}}val") == "superscript"


def test_plain_fallback_keeps_every_non_text_element(make_docx, load_docx):
    """A fallback translation without tags still keeps images, notes and fields (at the end)."""
    data = make_docx(
        '<w:p><w:r><w:t xml:space="preserve">See </w:t></w:r>'
        '<w:r><w:rPr><w:b/></w:rPr><w:t>figure</w:t></w:r><w:r><w:drawing/></w:r>'
        '<w:r><w:t xml:space="preserve"> and note</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r>'
        '<w:r><w:t xml:space="preserve"> here.</w:t></w:r></w:p>'
    )
    doc = load_docx(data)
    assert len(tag_ids(texts(doc)["word/document.xml#0"])) == 4
    out = doc.rebuild(EN, {"word/document.xml#0": "Voir la figure et la note ici."})
    doc.verify(out)
    root = part_xml(out)
    assert root.find(f".//{{{W}}}drawing") is not None
    assert root.find(f".//{{{W}}}footnoteReference") is not None


def test_damaged_tags_never_break_the_rebuild(make_docx, load_docx):
    data = make_docx(
        '<w:p><w:r><w:t xml:space="preserve">A </w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t>b</w:t></w:r>'
        '<w:r><w:tab/></w:r><w:r><w:t>c</w:t></w:r></w:p>'
    )
    doc = load_docx(data)
    assert texts(doc)["word/document.xml#0"] == "A <g1>b</g1><x2/>c"
    out = doc.rebuild(EN, {"word/document.xml#0": "<g9>A</g9> </g1><x2>b<x2/><x2/>c<g1>"})
    doc.verify(out)
    assert len(part_xml(out).findall(f".//{{{W}}}tab")) == 1


def test_complex_page_field_is_one_tag_and_never_translated(make_docx, load_docx):
    field = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>3</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    data = make_docx(f'<w:p><w:r><w:t xml:space="preserve">Page </w:t></w:r>{field}<w:r><w:t xml:space="preserve"> of the guide</w:t></w:r></w:p>')
    doc = load_docx(data)
    assert texts(doc)["word/document.xml#0"] == "Page <x1/> of the guide"
    out = doc.rebuild(EN, {"word/document.xml#0": "Seite <x1/> des Handbuchs"})
    doc.verify(out)
    assert "".join(c for c, _ in chars(out)) == "Seite 3 des Handbuchs"
    assert part_xml(out).find(f".//{{{W}}}instrText").text == " PAGE "


def test_hyperlink_field_display_text_is_translated(make_docx, load_docx):
    data = make_docx(
        '<w:p><w:r><w:t xml:space="preserve">Visit </w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> HYPERLINK "https://example.com/" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        '<w:r><w:rPr><w:u w:val="single"/></w:rPr><w:t>our site</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t>.</w:t></w:r></w:p>'
        '<w:p><w:fldSimple w:instr=" HYPERLINK &quot;https://example.org/&quot; "><w:r><w:t>simple link</w:t></w:r></w:fldSimple>'
        '<w:r><w:t xml:space="preserve"> and </w:t></w:r><w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>9</w:t></w:r></w:fldSimple>'
        '<w:r><w:t xml:space="preserve"> pages</w:t></w:r></w:p>'
    )
    doc = load_docx(data)
    got = texts(doc)
    assert got["word/document.xml#0"] == "Visit <a1>our site</a1>."
    assert got["word/document.xml#1"] == "<a1>simple link</a1> and <x2/> pages"
    out = doc.rebuild(EN, {"word/document.xml#0": "Besuchen Sie <a1>unsere Seite</a1>.",
                           "word/document.xml#1": "<a1>einfacher Link</a1> und <x2/> Seiten"})
    doc.verify(out)
    root = part_xml(out)
    assert "HYPERLINK" in root.find(f".//{{{W}}}instrText").text
    assert "".join(c for c, _ in chars(out, index=1)) == "einfacher Link und 9 Seiten"
    underlined = "".join(c for c, (fmt, _) in chars(out) if fmt and fmt[0][0] == "u")
    assert underlined == "unsere Seite"


def test_tracked_insertion_translated_deletion_kept(make_docx, load_docx):
    data = make_docx(
        '<w:p><w:r><w:t xml:space="preserve">The </w:t></w:r>'
        '<w:del w:id="1" w:author="A"><w:r><w:delText>old</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="A"><w:r><w:t>new</w:t></w:r></w:ins>'
        '<w:r><w:t xml:space="preserve"> text</w:t></w:r></w:p>'
    )
    doc = load_docx(data)
    text = texts(doc)["word/document.xml#0"]
    assert "old" not in text and plain_text(text) == "The new text"
    out = doc.rebuild(EN, {"word/document.xml#0": text.replace("The", "Der").replace("new", "neue")})
    doc.verify(out)
    root = part_xml(out)
    assert root.find(f".//{{{W}}}ins//{{{W}}}t").text == "neue"
    assert root.find(f".//{{{W}}}del//{{{W}}}delText").text == "old"


def test_content_controls_are_translated(make_docx, load_docx):
    data = make_docx(
        '<w:sdt><w:sdtPr><w:alias w:val="Block"/></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Block control</w:t></w:r></w:p></w:sdtContent></w:sdt>'
        '<w:p><w:r><w:t xml:space="preserve">Name: </w:t></w:r><w:sdt><w:sdtPr><w:alias w:val="Name"/></w:sdtPr>'
        '<w:sdtContent><w:r><w:t>your name</w:t></w:r></w:sdtContent></w:sdt></w:p>'
    )
    doc = load_docx(data)
    got = texts(doc)
    assert got == {"word/document.xml#0": "Block control", "word/document.xml#1": "Name: <g1>your name</g1>"}
    out = doc.rebuild(EN, {"word/document.xml#0": "Blocksteuerung", "word/document.xml#1": "Name: <g1>Ihr Name</g1>"})
    doc.verify(out)
    root = part_xml(out)
    inline = root.findall(f".//{{{W}}}sdt")[1]
    assert inline.find(f"{{{W}}}sdtPr/{{{W}}}alias").get(f"{{{W}}}val") == "Name"
    assert inline.find(f".//{{{W}}}sdtContent//{{{W}}}t").text == "Ihr Name"


def test_text_box_copies_are_translated_once_and_consistently(make_docx, load_docx):
    box = '<w:txbxContent><w:p><w:r><w:t>Inside the box</w:t></w:r></w:p></w:txbxContent>'
    data = make_docx(
        '<w:p><w:r><w:t xml:space="preserve">Host </w:t></w:r><w:r><mc:AlternateContent>'
        f'<mc:Choice Requires="wps"><w:drawing><wps:txbx>{box}</wps:txbx></w:drawing></mc:Choice>'
        f'<mc:Fallback><w:pict><v:textbox>{box}</v:textbox></w:pict></mc:Fallback>'
        '</mc:AlternateContent></w:r><w:r><w:t xml:space="preserve"> text</w:t></w:r></w:p>'
    )
    doc = load_docx(data)
    segs = doc.segments()
    assert [(s.text, s.context) for s in segs] == [("Host <x1/> text", "body"), ("Inside the box", "text box")]
    out = doc.rebuild(EN, {segs[0].id: "Hôte <x1/> texte", segs[1].id: "Dans la boîte"})
    doc.verify(out)
    boxes = [t.text for t in part_xml(out).iter(f"{{{W}}}t")]
    assert boxes.count("Dans la boîte") == 2 and "Inside the box" not in boxes


def test_literal_tag_text_round_trips(make_docx, load_docx):
    data = make_docx('<w:p><w:r><w:t>Type &lt;g1&gt; to open a group</w:t></w:r></w:p>')
    doc = load_docx(data)
    text = texts(doc)["word/document.xml#0"]
    assert text == "Type <x1/> to open a group"
    out = doc.rebuild(EN, {"word/document.xml#0": "Tapez <x1/> pour ouvrir un groupe"})
    doc.verify(out)
    assert "".join(c for c, _ in chars(out)) == "Tapez <g1> pour ouvrir un groupe"


def test_nested_tables_and_contexts(make_docx, load_docx):
    cell = '<w:tc><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc>'
    inner = f'<w:tbl><w:tr>{cell.format("inner")}</w:tr></w:tbl>'
    data = make_docx(
        f'<w:tbl><w:tr>{cell.format("outer")}<w:tc>{inner}<w:p/></w:tc></w:tr></w:tbl><w:p><w:r><w:t>after</w:t></w:r></w:p>'
    )
    doc = load_docx(data)
    assert [(s.text, s.context) for s in doc.segments()] == [("outer", "table"), ("inner", "table"), ("after", "body")]


def test_missing_translation_keeps_the_source(make_docx, load_docx):
    data = make_docx('<w:p><w:r><w:t>one</w:t></w:r></w:p><w:p><w:r><w:t>two</w:t></w:r></w:p>')
    doc = load_docx(data)
    out = doc.rebuild(EN, {"word/document.xml#1": "zwei"})
    doc.verify(out)
    assert [t.text for t in part_xml(out).iter(f"{{{W}}}t")] == ["one", "zwei"]


def test_table_of_contents_field_spanning_paragraphs(make_docx, load_docx):
    """A TOC's field characters are isolated; entries are translated, page numbers kept whole."""
    def entry(text: str, page: str) -> str:
        return (
            f'<w:hyperlink w:anchor="_Toc1"><w:r><w:t>{text}</w:t></w:r><w:r><w:tab/></w:r>'
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGEREF _Toc1 \\h </w:instrText></w:r>'
            f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{page}</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:hyperlink>'
        )
    data = make_docx(
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> TOC \\o "1-3" </w:instrText></w:r>'
        f'<w:r><w:fldChar w:fldCharType="separate"/></w:r>{entry("Introduction", "1")}</w:p>'
        f'<w:p>{entry("Installation", "2")}<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    doc = load_docx(data)
    got = [s.text for s in doc.segments()]
    assert got == ["<a1>Introduction<x2/></a1>", "<a1>Installation<x2/></a1>"]  # tab + PAGEREF: one tag
    out = doc.rebuild(EN, {s.id: s.text.replace("Introduction", "Einleitung") for s in doc.segments()})
    doc.verify(out)
    assert "".join(c for c, _ in chars(out)) == "Einleitung\t1"
    assert [t.text for t in part_xml(out).iter(f"{{{W}}}instrText")][0] == ' TOC \\o "1-3" '


def test_fallback_copy_that_differs_is_its_own_segment(make_docx, load_docx):
    data = make_docx(
        '<w:p><w:r><mc:AlternateContent>'
        '<mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>New text</w:t></w:r></w:p>'
        '</w:txbxContent></wps:txbx></w:drawing></mc:Choice>'
        '<mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>Old text</w:t></w:r></w:p></w:txbxContent>'
        '</v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>'
    )
    assert [s.text for s in load_docx(data).segments()] == ["New text", "Old text"]


def test_plain_fallback_keeps_hyperlink_field_codes(make_docx, load_docx):
    data = make_docx(
        '<w:p><w:r><w:t xml:space="preserve">Visit </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> HYPERLINK "https://example.com/" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>our site</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t>.</w:t></w:r></w:p>'
    )
    doc = load_docx(data)
    out = doc.rebuild(EN, {"word/document.xml#0": "Besuchen Sie unsere Seite."})
    doc.verify(out)
    assert "".join(c for c, _ in chars(out)) == "Besuchen Sie unsere Seite."
