"""An independent look at a .docx: text the walk did not extract.

The walk (:mod:`.walk`) models each paragraph and extracts those it finds translatable.
This reader does not ask the walk what is text; it reads the XML itself:

1. every ``w:p`` of a translated part with letters in its own ``w:t`` elements (field
   results left out: Word recomputes PAGE, REF and TOC results) must have been
   extracted;
2. every other XML part of the package that holds visible text (SmartArt diagrams and
   other DrawingML ``a:t`` text, parts of a kind qmt does not walk) is listed: that
   text stays in the source language.

Parts the job turned off (``[docx] headers_footers = false`` ...) and the glossary of
building blocks (never shown in the document) are left out: they are not asked for.
"""
from __future__ import annotations

from lxml import etree

from pipeline.formats.base import text_preview
from pipeline.formats.docx.ooxml import w
from pipeline.formats.docx.package import Package
from pipeline.segments import has_translatable_text

A_T = "{http://schemas.openxmlformats.org/drawingml/2006/main}t"
_FLD_CHAR, _FLD_SIMPLE, _T, _P = w("fldChar"), w("fldSimple"), w("t"), w("p")
_FLD_TYPE = w("fldCharType")


def unextracted_paragraphs(part: str, root: etree._Element, extracted: set[etree._Element]) -> list[str]:
    """Paragraphs of ``root`` with their own visible text that are not in ``extracted``."""
    text: dict[etree._Element, list[str]] = {}
    depth = 0
    for el in root.iter(_FLD_CHAR, _T):
        if el.tag == _FLD_CHAR:
            kind = el.get(_FLD_TYPE)
            depth += 1 if kind == "begin" else -1 if kind == "end" and depth else 0
            continue
        if depth or any(a.tag == _FLD_SIMPLE for a in el.iterancestors()):
            continue
        p = next((a for a in el.iterancestors(_P)), None)
        if p is not None and el.text:
            text.setdefault(p, []).append(el.text)
    out = []
    for i, p in enumerate(root.iter(_P)):
        own = "".join(text.get(p, ()))
        if p not in extracted and has_translatable_text(own):
            out.append(f"{part} paragraph {i}: not extracted: {text_preview(own)}")
    drawn = [t.text for t in root.iter(A_T) if t.text and has_translatable_text(t.text)]
    if drawn:  # DrawingML text (WordArt, SmartArt drawn inline): not WordprocessingML paragraphs
        out.append(f"{part}: {len(drawn)} pieces of drawing text not translated, e.g. {text_preview(drawn[0])}")
    return out


def unwalked_parts(package: Package, walked: set[str], refused: set[str]) -> list[str]:
    """XML parts under ``word/`` that are not walked but hold visible text."""
    out = []
    for name, data in package.entries.items():
        if (not name.startswith("word/") or not name.endswith(".xml") or name in walked or name in refused
                or name.startswith("word/glossary/") or (b"<a:t" not in data and b":t>" not in data)):
            continue
        root = package.xml(name).getroot()
        pieces = [t.text for t in root.iter(A_T, _T) if t.text and has_translatable_text(t.text)]
        if pieces:
            out.append(f"{name}: {len(pieces)} pieces of text not translated (qmt does not translate this "
                       f"part: diagrams, charts and similar objects), e.g. {text_preview(pieces[0])}")
    return out
