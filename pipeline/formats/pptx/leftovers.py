"""An independent look at a .pptx: text the walk did not extract.

The walk (:func:`pipeline.formats.pptx.walk_slide_part`) models each paragraph and
extracts those it finds translatable. This reader reads the XML itself:

1. every ``a:p`` of a walked part with letters in its own ``a:t`` elements (field text
   left out: PowerPoint recomputes slide numbers and dates) must have been extracted;
   on layouts and masters, placeholder prompts ("Click to edit ...") are never shown;
2. every other XML part with slide content (``ppt/slides``, ``notesSlides``, ``charts``,
   ``diagrams``, ``comments``) that holds text is listed: that text stays in the source
   language. Parts the job turned off (``[pptx] notes = false`` ...) and the layouts,
   masters and themes (not shown as such) are left out.
"""
from __future__ import annotations

from lxml import etree

from pipeline.formats.base import text_preview
from pipeline.formats.ooxml.drawing import a
from pipeline.formats.ooxml.package import ZipParts
from pipeline.formats.options import PptxOptions
from pipeline.segments import has_translatable_text

_CONTENT = {"ppt/slides/": None, "ppt/notesSlides/": "notes", "ppt/charts/": "charts", "ppt/diagrams/": "smartart",
            "ppt/comments/": "comments"}


def own_text(p: etree._Element) -> str:
    """The text of an ``a:p``'s runs, fields left out."""
    return "".join(t.text or "" for r in p.iter(a("r")) for t in r.iter(a("t")))


def unextracted_paragraphs(part: str, root: etree._Element, extracted: set[etree._Element],
                           skipped: set[etree._Element]) -> list[str]:
    """Paragraphs with their own visible text that are neither extracted nor meant to be skipped."""
    out = []
    for i, p in enumerate(root.iter(a("p"))):
        text = own_text(p)
        if p not in extracted and p not in skipped and has_translatable_text(text):
            out.append(f"{part} paragraph {i}: not extracted: {text_preview(text)}")
    return out


def unwalked_parts(package: ZipParts, walked: set[str], options: PptxOptions) -> list[str]:
    """Slide-content parts that are not walked but hold text."""
    out = []
    for name, data in package.entries.items():
        prefix = next((p for p in _CONTENT if name.startswith(p)), None)
        if prefix is None or not name.endswith(".xml") or name in walked:
            continue
        option = _CONTENT[prefix]
        if option is not None and not getattr(options, option):
            continue
        root = package.xml(name).getroot()
        pieces = [own_text(p) for p in root.iter(a("p"))] + [t.text or "" for t in root.iter() if
                                                               isinstance(t.tag, str) and t.tag.endswith("}text")]
        pieces = [t for t in pieces if has_translatable_text(t)]
        if pieces:
            out.append(f"{name}: {len(pieces)} pieces of text not translated (no slide uses this part), "
                       f"e.g. {text_preview(pieces[0])}")
    return out


__all__ = ["own_text", "unextracted_paragraphs", "unwalked_parts"]
