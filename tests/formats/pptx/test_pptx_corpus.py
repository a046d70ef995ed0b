"""Acceptance over ../shared/corpus/pptx (python-pptx's test files): identity keeps every
paragraph's text and run formatting; pseudo translates the prose paragraphs and a second
reader (python-pptx) opens every output."""
from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from pipeline.emulator.pseudo import pseudo_translate, reverse_pseudo
from pipeline.errors import FileError
from pipeline.formats.ooxml.drawing import paragraph_runs
from pipeline.languages import lookup
from pipeline.segments import has_translatable_text
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "pptx"
FILES = sorted(CORPUS.glob("*.pptx")) if CORPUS.is_dir() else []
pytestmark = pytest.mark.needs_shared
A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def paragraphs(data: bytes, part: str) -> list[list[tuple[str, bytes]]]:
    return [paragraph_runs(p) for p in etree.fromstring(entries(data)[part]).iter(f"{{{A}}}p")]


def plain(runs: list[tuple[str, bytes]]) -> str:
    return "".join(ch for ch, _ in runs)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_identity_keeps_every_paragraph_and_untouched_parts(path, load_pptx):
    data = path.read_bytes()
    doc = load_pptx(data, name=path.name, layouts_masters=True)
    out = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
    doc.verify(out)
    before, after = entries(data), entries(out)
    assert list(before) == list(after)
    texty = {s.id.split("#")[0] for s in doc.segments()}
    for name in before:
        if name in texty:
            assert paragraphs(data, name) == paragraphs(out, name), name
        else:
            assert before[name] == after[name], name


def test_pseudo_translates_prose_paragraphs_and_python_pptx_opens_every_output(load_pptx):
    from pptx import Presentation

    prose = translated = 0
    for path in FILES:
        data = path.read_bytes()
        try:
            doc = load_pptx(data, name=path.name)
        except FileError as exc:  # pragma: no cover - the corpus has none; a refusal must say why
            pytest.fail(f"{path.name}: {exc.reason}")
        out = doc.rebuild(lookup("zh"), {s.id: pseudo_translate(s.text, "zh") for s in doc.segments()})
        doc.verify(out)
        Presentation(io.BytesIO(out))
        for part in doc.parts:
            old, new = paragraphs(data, part.name), paragraphs(out, part.name)
            for a_, b_ in zip(old, new, strict=True):
                if not has_translatable_text(plain(a_)) or not any(c.isalpha() for c in plain(a_)):
                    continue
                prose += 1
                translated += plain(b_) != plain(a_) and reverse_pseudo(plain(b_), "zh") == plain(a_)
    assert prose > 100
    assert translated / prose >= 0.98, (translated, prose)
