"""The one walk over a document's parts and paragraphs, shared by extraction and rebuild.

Every ``w:p`` of a part is visited in document order, nested ones too (table cells,
text boxes, content controls), and numbered by its position in the part: the segment id
is ``{part}#{index}``, stable for the same source. A text box that Word stores twice
(DrawingML in ``mc:Choice``, VML in ``mc:Fallback``) is translated once: each fallback
paragraph that reads the same as its DrawingML twin takes the twin's translation.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Iterator

from lxml import etree

from pipeline.formats.docx.cleanup import cleanup
from pipeline.formats.docx.code import NO_CODE, WordCode
from pipeline.formats.docx.ooxml import MC_NS, local, w
from pipeline.formats.docx.package import Part
from pipeline.formats.docx.paragraph import ParagraphModel, read_paragraph

PART_CONTEXT = {"document": "body", "footnotes": "footnote", "endnotes": "endnote", "comments": "comment"}
_FALLBACK = f"{{{MC_NS}}}Fallback"
_CHOICE = f"{{{MC_NS}}}Choice"


@dataclass
class DocxUnit:
    """One paragraph with text: ``translation_id`` is whose translation it takes."""

    id: str
    context: str
    model: ParagraphModel
    translation_id: str

    @property
    def is_segment(self) -> bool:
        """False for a fallback copy that mirrors its DrawingML twin."""
        return self.translation_id == self.id


def walk_part(root: etree._Element, part: Part, code: WordCode = NO_CODE,
              kept: set[etree._Element] | None = None) -> Iterator[DocxUnit]:
    """Clean ``root`` and yield a :class:`DocxUnit` for each paragraph that has text.

    Every paragraph is modelled before any is rebuilt, so a host paragraph and the
    text box inside it are read from the same state in extraction and in rebuild.
    Paragraphs whose text is all code are added to ``kept``: not sent, on purpose.
    """
    cleanup(root)
    paragraphs = list(root.iter(w("p")))
    index = {p: i for i, p in enumerate(paragraphs)}
    models = [read_paragraph(p, code) for p in paragraphs]
    for i, model in enumerate(models):
        if not model.translatable:
            if kept is not None and model.all_code:
                kept.add(model.p)
            continue
        uid = f"{part.name}#{i}"
        twin = _fallback_twin(model.p, index, models)
        tid = f"{part.name}#{twin}" if twin is not None else uid
        yield DocxUnit(uid, _context(model.p, part), model, tid)


def _context(p: etree._Element, part: Part) -> str:
    for anc in p.iterancestors():
        name = local(anc)
        if name == "txbxContent":
            return "text box"
        if name == "tc":
            return "table"
    return PART_CONTEXT.get(part.kind, posixpath.basename(part.name))


def _fallback_twin(p: etree._Element, index: dict[etree._Element, int], models: list[ParagraphModel]) -> int | None:
    """Index of the DrawingML paragraph this VML fallback paragraph duplicates, if any."""
    fallback = next((a for a in p.iterancestors() if a.tag == _FALLBACK), None)
    if fallback is None:
        return None
    parent = fallback.getparent()
    choice = parent.find(_CHOICE) if parent is not None else None
    if choice is None:
        return None
    ours, theirs = list(fallback.iter(w("p"))), list(choice.iter(w("p")))
    if len(ours) != len(theirs):
        return None
    twin = index[theirs[ours.index(p)]]
    return twin if models[twin].text == models[index[p]].text else None
