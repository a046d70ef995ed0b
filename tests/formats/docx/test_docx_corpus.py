"""Acceptance over the shared corpus: every file rebuilds or fails with a reason; identity
and pseudo-translation keep every paragraph's per-character formatting."""
from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from lxml import etree

from pipeline.errors import FileError
from pipeline.formats.base import LoadContext
from pipeline.formats.docx import HANDLER
from pipeline.formats.docx.formatting import document_formatting
from pipeline.formats.docx.ooxml import PPR_ORDER, RPR_ORDER, SECTPR_ORDER, TBLPR_ORDER, W_NS, local
from pipeline.formats.options import DocxOptions
from pipeline.languages import lookup
from pipeline.segments import Text, has_translatable_text, tokenize

from support import CORPUS as SHARED_CORPUS, corpus_files

pytestmark = pytest.mark.needs_shared
CORPUS = SHARED_CORPUS / "docx"
FILES = corpus_files("docx", "*.docx")
SAMPLE = Path(__file__).resolve().parents[3] / "sample_docs" / "guide.docx"
#: What a refusal must talk about: a reason the user can act on, not a traceback.
KNOWN_REASONS = ("Strict Open XML", "encrypted", "legacy Word", "not well-formed", "zip bomb", "corrupt")
OPTIONS = DocxOptions(core_properties=True)


def load(path: Path):
    return HANDLER.load(LoadContext(path, path.read_bytes(), OPTIONS, None, ()))


def swap(text: str) -> str:
    """Pseudo-translation: swap case outside tags, one character for one."""
    out = []
    for tok in tokenize(text):
        if isinstance(tok, Text):
            out.append("".join(c.swapcase() if len(c.swapcase()) == 1 else c for c in tok.text))
        else:
            out.append(_tag(tok))
    return "".join(out)


def _tag(tok) -> str:
    kind = type(tok).__name__
    return {"Open": f"<{tok.name}{tok.id}>", "Close": f"</{tok.name}{tok.id}>"}.get(kind, f"<{tok.name}{tok.id}/>")


def fold(paragraph):
    return [(c.lower() if len(c.lower()) == 1 else c, f) for c, f in paragraph]


def test_every_file_rebuilds_or_fails_with_a_specific_reason():
    rebuilt, refused = 0, []
    for path in FILES:
        try:
            doc = load(path)
        except FileError as exc:
            refused.append(exc)
            continue
        out = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
        doc.verify(out)
        rebuilt += 1
    for exc in refused:
        assert any(reason in exc.reason for reason in KNOWN_REASONS), exc
    assert rebuilt + len(refused) == len(FILES) and rebuilt > len(refused)


@pytest.mark.parametrize("path", FILES + [SAMPLE], ids=lambda p: p.name)
def test_identity_keeps_text_and_per_character_formatting(path):
    try:
        doc = load(path)
    except FileError as exc:
        pytest.skip(f"refused: {exc.reason}")
    source = path.read_bytes()
    out = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
    doc.verify(out)
    assert document_formatting(out) == document_formatting(source)
    if not doc.package.conformance.strict:  # python-docx reads Transitional packages only
        docx.Document(io.BytesIO(out))  # a real consumer opens it


@pytest.mark.parametrize("path", FILES + [SAMPLE], ids=lambda p: p.name)
def test_pseudo_translation_changes_every_paragraph_and_keeps_spans(path):
    try:
        doc = load(path)
    except FileError as exc:
        pytest.skip(f"refused: {exc.reason}")
    translations = {s.id: swap(s.text) for s in doc.segments()}
    out = doc.rebuild(lookup("de"), translations)
    doc.verify(out)
    before, after = document_formatting(path.read_bytes()), document_formatting(out)
    assert before.keys() == after.keys()
    for part in before:
        assert len(before[part]) == len(after[part])
        for old, new in zip(before[part], after[part]):
            assert fold(old) == fold(new)  # same characters up to case, same formatting on each
    for seg in doc.segments():
        part, _, index = seg.id.partition("#")
        if index.isdigit() and has_translatable_text(seg.text):
            old, new = before[part][int(index)], after[part][int(index)]
            assert "".join(c for c, _ in old) != "".join(c for c, _ in new), seg.id


@pytest.mark.parametrize("code", ["zh", "ar"])
def test_language_settings_keep_properties_in_schema_order(code):
    import zipfile

    for path in FILES:
        try:
            doc = load(path)
        except FileError:
            continue
        out = doc.rebuild(lookup(code), {s.id: swap(s.text) for s in doc.segments()})
        doc.verify(out)
        z = zipfile.ZipFile(io.BytesIO(out))
        for part in doc.parts:
            root = etree.fromstring(z.read(part.name))
            orders = {"pPr": PPR_ORDER, "rPr": RPR_ORDER, "tblPr": TBLPR_ORDER, "sectPr": SECTPR_ORDER}
            for el in root.iter(*(f"{{{W_NS}}}{name}" for name in orders)):
                order = orders[local(el)]
                ranks = [order.index(local(c)) for c in el if local(c) in order]
                assert ranks == sorted(ranks), (path.name, part.name, etree.tostring(el)[:200])


def move_first_span_to_end(text: str) -> str:
    """A translation that reorders: the first top-level tagged span goes to the end."""
    tokens = tokenize(text)
    start = next((i for i, t in enumerate(tokens) if type(t).__name__ in ("Open", "Isolated")), None)
    if start is None:
        return text
    depth, end = 0, start
    for end in range(start, len(tokens)):
        kind = type(tokens[end]).__name__
        depth += {"Open": 1, "Close": -1}.get(kind, 0)
        if depth == 0:
            break
    render = lambda toks: "".join(t.text if isinstance(t, Text) else _tag(t) for t in toks)  # noqa: E731
    return render(tokens[:start] + tokens[end + 1 :]) + " " + render(tokens[start : end + 1])


def test_reordered_spans_rebuild_with_every_element_kept():
    from pipeline.segments import check_translation

    for path in FILES + [SAMPLE]:
        try:
            doc = load(path)
        except FileError:
            continue
        translations = {}
        for seg in doc.segments():
            moved = move_first_span_to_end(seg.text)
            translations[seg.id] = check_translation(seg.text, moved).text
        out = doc.rebuild(lookup("fr"), translations)
        doc.verify(out)  # same paragraphs, same non-text elements in each
