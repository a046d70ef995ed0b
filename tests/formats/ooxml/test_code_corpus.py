"""Acceptance over the shared DOCX/PPTX corpus and the sample guide: in pseudo mode every
piece of code (monospace runs, code styles, URLs, e-mails, paths, commands) comes back
byte-identical, and nothing else left the text sent for translation."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.errors import FileError
from pipeline.formats import docx as docx_format, pptx as pptx_format
from pipeline.formats.base import LoadContext
from pipeline.formats.docx.ooxml import w
from pipeline.formats.docx.paragraph import read_paragraph
from pipeline.formats.ooxml.drawing import a, read_drawing_paragraph
from pipeline.formats.ooxml.protect import OFF
from pipeline.formats.options import DocxOptions, PptxOptions
from pipeline.languages import lookup
from pipeline.segments import plain_text

from support import REPO, corpus_files

pytestmark = pytest.mark.needs_shared
FILES = corpus_files("docx", "*.docx") + corpus_files("pptx", "*.pptx") + [REPO / "sample_docs" / "guide.docx"]


def load(path: Path, data: bytes | None = None):
    if path.suffix == ".docx":
        return docx_format.HANDLER.load(LoadContext(path, data or path.read_bytes(), DocxOptions(), None, ()))
    return pptx_format.HANDLER.load(LoadContext(path, data or path.read_bytes(), PptxOptions(), None, ()))


def documents(data_of=lambda path: None):
    for path in FILES:
        try:
            yield path, load(path, data_of(path))
        except FileError:
            continue   # refused files (Strict Open XML, ...) are the format tests' business


def code_by_paragraph(doc) -> dict[tuple[str, int], str]:
    """The code kept in each paragraph of the document's translated parts."""
    out = {}
    for part in doc.parts:
        root = doc.package.xml(part.name).getroot()
        if hasattr(doc, "code"):
            models = [read_paragraph(p, doc.code) for p in root.iter(w("p"))]
        else:
            models = [read_drawing_paragraph(p, doc.rules) for p in root.iter(a("p"))]
        out.update({(part.name, i): m.protected for i, m in enumerate(models) if m.protected.strip()})
    return out


def sent_characters() -> int:
    return sum(len(plain_text(s.text)) for _, doc in documents() for s in doc.segments())


def test_code_comes_back_byte_identical_in_pseudo_mode():
    pieces = 0
    for path, doc in documents():
        before = code_by_paragraph(doc)
        out = doc.rebuild(lookup("de"), {s.id: pseudo_translate(s.text, "de") for s in doc.segments()})
        after = code_by_paragraph(doc.verify(out))
        assert after == before, path.name   # pseudo text would no longer read as a URL or a command
        pieces += len(before)
    print(f"\ncode kept in {pieces} paragraphs")
    assert pieces >= 6   # the corpus's five link URLs and the guide's export line, at least


def test_only_code_left_the_prose(monkeypatch):
    kept = sum(len(c) for _, doc in documents() for c in code_by_paragraph(doc).values())
    after = sent_characters()
    monkeypatch.setattr(docx_format, "code_rules", lambda fonts, styles: OFF)
    monkeypatch.setattr(pptx_format, "code_rules", lambda fonts: OFF)
    before = sent_characters()
    print(f"\nprose characters sent: {before} without protection, {after} with; code kept: {kept}")
    assert before - after == kept and after >= 0.95 * before
