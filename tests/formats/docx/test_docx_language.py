"""Target-language settings on translated runs, paragraphs and document defaults."""
from __future__ import annotations

import io
import zipfile

from lxml import etree

from pipeline.formats.docx.ooxml import PPR_ORDER, RPR_ORDER
from pipeline.languages import lookup

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
BODY = (
    '<w:p><w:r><w:rPr><w:rFonts w:eastAsiaTheme="minorEastAsia"/><w:b/><w:sz w:val="28"/></w:rPr>'
    '<w:t>Bold heading</w:t></w:r></w:p>'
    '<w:p><w:pPr><w:jc w:val="left"/></w:pPr><w:r><w:t xml:space="preserve">Plain </w:t></w:r>'
    '<w:r><w:rPr><w:i/><w:color w:val="FF0000"/></w:rPr><w:t>italic</w:t></w:r></w:p>'
)
STYLES = '<w:docDefaults><w:rPrDefault><w:rPr><w:lang w:val="en-US" w:eastAsia="ja-JP"/></w:rPr></w:rPrDefault></w:docDefaults>'


def rebuilt(make_docx, load_docx, code: str) -> zipfile.ZipFile:
    doc = load_docx(make_docx(BODY, styles=STYLES))
    out = doc.rebuild(lookup(code), {s.id: s.text for s in doc.segments()})
    doc.verify(out)
    return zipfile.ZipFile(io.BytesIO(out))


def in_schema_order(el: etree._Element, order: tuple[str, ...]) -> bool:
    ranks = [order.index(etree.QName(c).localname) for c in el]
    return ranks == sorted(ranks)


def test_chinese_gets_its_language_and_an_east_asian_font(make_docx, load_docx):
    z = rebuilt(make_docx, load_docx, "zh")
    doc = etree.fromstring(z.read("word/document.xml"))
    for rpr in doc.iter(f"{{{W}}}rPr"):
        assert rpr.find(f"{{{W}}}lang").get(f"{{{W}}}eastAsia") == "zh-CN"
        fonts = rpr.find(f"{{{W}}}rFonts")
        assert fonts.get(f"{{{W}}}eastAsia") == "Microsoft YaHei" and fonts.get(f"{{{W}}}eastAsiaTheme") is None
        assert in_schema_order(rpr, RPR_ORDER)
    styles = etree.fromstring(z.read("word/styles.xml"))
    assert styles.find(f".//{{{W}}}rPrDefault//{{{W}}}lang").get(f"{{{W}}}eastAsia") == "zh-CN"


def test_arabic_reads_right_to_left_with_complex_script_twins(make_docx, load_docx):
    z = rebuilt(make_docx, load_docx, "ar")
    doc = etree.fromstring(z.read("word/document.xml"))
    for p in doc.iter(f"{{{W}}}p"):
        ppr = p.find(f"{{{W}}}pPr")
        assert ppr.find(f"{{{W}}}bidi") is not None and in_schema_order(ppr, PPR_ORDER)
    first = doc.find(f".//{{{W}}}rPr")
    assert first.find(f"{{{W}}}bCs") is not None and first.find(f"{{{W}}}szCs").get(f"{{{W}}}val") == "28"
    for rpr in doc.iter(f"{{{W}}}rPr"):
        assert rpr.find(f"{{{W}}}rtl") is not None and in_schema_order(rpr, RPR_ORDER)
        assert rpr.find(f"{{{W}}}lang").get(f"{{{W}}}bidi") == "ar-SA"
    italic = [r for r in doc.iter(f"{{{W}}}rPr") if r.find(f"{{{W}}}i") is not None]
    assert italic and all(r.find(f"{{{W}}}iCs") is not None for r in italic)


def test_latin_target_sets_the_plain_language_slot(make_docx, load_docx):
    z = rebuilt(make_docx, load_docx, "fr")
    doc = etree.fromstring(z.read("word/document.xml"))
    langs = {r.find(f"{{{W}}}lang").get(f"{{{W}}}val") for r in doc.iter(f"{{{W}}}rPr")}
    assert langs == {"fr-FR"}
    assert doc.find(f".//{{{W}}}bidi") is None


def test_east_asian_theme_language_follows_the_target():
    from pipeline.formats.docx.language import mark_defaults

    settings = etree.fromstring(
        f'<w:settings xmlns:w="{W}"><w:zoom w:percent="100"/><w:rsids/><w:clrSchemeMapping/></w:settings>'
    )
    mark_defaults(None, settings, lookup("ja"))
    names = [etree.QName(c).localname for c in settings]
    assert names == ["zoom", "rsids", "themeFontLang", "clrSchemeMapping"]
    assert settings.find(f"{{{W}}}themeFontLang").get(f"{{{W}}}eastAsia") == "ja-JP"


TABLE_BODY = (
    '<w:p><w:pPr><w:jc w:val="left"/></w:pPr><w:r><w:t>Left aligned</w:t></w:r></w:p>'
    '<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:t>Centred</w:t></w:r></w:p>'
    '<w:tbl><w:tblPr><w:tblStyle w:val="Grid"/><w:tblW w:w="0" w:type="auto"/><w:tblLook w:val="04A0"/></w:tblPr>'
    '<w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid><w:tr>'
    '<w:tc><w:p><w:r><w:t>First column</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Second</w:t></w:r></w:p></w:tc>'
    '</w:tr></w:tbl>'
    '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>42</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
    '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440"/><w:docGrid w:linePitch="360"/></w:sectPr>'
)
TABLE_STYLES = ('<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/>'
                '<w:rPr><w:b/><w:i/><w:sz w:val="32"/></w:rPr></w:style>')


def layout(make_docx, load_docx, code: str) -> tuple[etree._Element, etree._Element]:
    doc = load_docx(make_docx(TABLE_BODY, styles=TABLE_STYLES))
    out = doc.rebuild(lookup(code), {s.id: s.text for s in doc.segments() if s.text != "42"})
    doc.verify(out)
    z = zipfile.ZipFile(io.BytesIO(out))
    return etree.fromstring(z.read("word/document.xml")), etree.fromstring(z.read("word/styles.xml"))


def test_right_to_left_mirrors_tables_and_sections_and_keeps_logical_alignment(make_docx, load_docx):
    from pipeline.formats.docx.ooxml import SECTPR_ORDER, TBLPR_ORDER

    for code in ("ar", "he"):
        doc, styles = layout(make_docx, load_docx, code)
        translated_table, untouched_table = doc.findall(f".//{{{W}}}tbl")
        tblpr = translated_table.find(f"{{{W}}}tblPr")
        assert tblpr.find(f"{{{W}}}bidiVisual") is not None and in_schema_order(tblpr, TBLPR_ORDER)
        assert untouched_table.find(f".//{{{W}}}bidiVisual") is None   # nothing in it was translated
        sect = doc.find(f".//{{{W}}}sectPr")
        assert sect.find(f"{{{W}}}bidi") is not None and in_schema_order(sect, SECTPR_ORDER)
        # jc left in a bidi paragraph is its leading (right) edge: kept, so the text sits on the right
        assert [p.find(f"{{{W}}}pPr/{{{W}}}jc").get(f"{{{W}}}val") for p in doc.findall(f"{{{W}}}body/{{{W}}}p")] \
            == ["left", "center"]
        heading = styles.find(f".//{{{W}}}style/{{{W}}}rPr")
        assert [etree.QName(c).localname for c in heading] == ["b", "bCs", "i", "iCs", "sz", "szCs"]


def test_chinese_layout_is_left_as_it_was(make_docx, load_docx):
    doc, styles = layout(make_docx, load_docx, "zh")
    for name in ("bidiVisual", "bidi", "rtl", "bCs", "iCs", "szCs"):
        assert doc.find(f".//{{{W}}}{name}") is None and styles.find(f".//{{{W}}}{name}") is None
