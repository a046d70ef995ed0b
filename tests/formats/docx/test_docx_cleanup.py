"""Cleanup before extraction: noise dropped, equal neighbouring runs merged, never across codes."""
from __future__ import annotations

from lxml import etree

from pipeline.formats.docx.cleanup import cleanup

NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def cleaned(inner: str) -> etree._Element:
    p = etree.fromstring(f"<w:p {NS}>{inner}</w:p>")
    cleanup(p)
    return p


def runs_text(p: etree._Element) -> list[str]:
    return ["".join(t.text or "" for t in r.iter(f"{{{W}}}t")) for r in p.iter(f"{{{W}}}r")]


def test_spell_check_marks_and_rsids_no_longer_split_a_word():
    p = cleaned(
        '<w:r w:rsidR="00A1"><w:t>Trans</w:t></w:r><w:proofErr w:type="spellStart"/>'
        '<w:r w:rsidR="00B2"><w:rPr><w:lang w:val="en-GB"/></w:rPr><w:t>lat</w:t></w:r><w:proofErr w:type="spellEnd"/>'
        '<w:r w:rsidRPr="00C3"><w:t xml:space="preserve">ion </w:t></w:r>'
    )
    assert runs_text(p) == ["Translation "]
    assert not any("rsid" in k for el in p.iter() for k in el.attrib)
    assert p.find(f".//{{{W}}}t").get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"


def test_goback_bookmark_and_rendered_breaks_are_dropped():
    p = cleaned(
        '<w:bookmarkStart w:id="0" w:name="_GoBack"/><w:bookmarkEnd w:id="0"/>'
        '<w:r><w:lastRenderedPageBreak/><w:t>a</w:t></w:r><w:bookmarkStart w:id="1" w:name="Keep"/><w:bookmarkEnd w:id="1"/>'
    )
    names = [etree.QName(el).localname for el in p.iter()][1:]
    assert names == ["r", "t", "bookmarkStart", "bookmarkEnd"]


def test_runs_are_not_merged_across_codes_or_different_formatting():
    p = cleaned(
        '<w:r><w:t>a</w:t></w:r><w:bookmarkStart w:id="1" w:name="B"/><w:r><w:t>b</w:t></w:r>'
        '<w:commentRangeStart w:id="2"/><w:r><w:t>c</w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:t>d</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>e</w:t></w:r>'
        '<w:ins w:id="3"><w:r><w:t>f</w:t></w:r><w:r><w:t>g</w:t></w:r></w:ins>'
    )
    assert runs_text(p) == ["a", "b", "c", "", "d", "e", "fg"]
