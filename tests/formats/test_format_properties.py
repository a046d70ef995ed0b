"""Property tests over generated documents (issue 11): Markdown, DOCX and CSV.

For every generated document: identity translation rebuilds it unchanged (Markdown and
CSV byte for byte; DOCX with the same text and per-character formatting, and the same
bytes on every rebuild), and pseudo translation leaves no prose word untranslated
unless the format reported it. The oracle is independent of qmt's walks: prose words
come from a vocabulary found nowhere else (``tests/docgen.py``).

CI runs a few dozen examples per format; ``QMT_PROPERTY_EXAMPLES`` raises that (the soak,
``bench/soak_coverage.py``, runs thousands).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from docgen import KEEP, PROSE_RE, csv_documents, docx_documents, docx_texts, markdown_documents
from hypothesis import HealthCheck, given, settings

from pipeline.emulator import pseudo_translate
from pipeline.formats.base import LoadContext
from pipeline.formats.csv import HANDLER as CSV
from pipeline.formats.docx import HANDLER as DOCX
from pipeline.formats.docx.formatting import document_formatting
from pipeline.formats.markdown import HANDLER as MARKDOWN
from pipeline.formats.options import CsvOptions, DocxOptions, MarkdownOptions
from pipeline.languages import lookup

EXAMPLES = int(os.environ.get("QMT_PROPERTY_EXAMPLES", "60"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    derandomize=not os.environ.get("QMT_PROPERTY_EXAMPLES"),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ZH, EN = lookup("zh"), lookup("en")


def build_docx(body: str, parts: dict[str, str]) -> bytes:
    from formats.docx.conftest import build_docx as build  # the tests' inline package builder

    return build(body, parts)


def pseudo(doc) -> dict[str, str]:
    return {s.id: pseudo_translate(s.text, "Chinese") for s in doc.segments()}


def reported_words(doc) -> set[str]:
    """Prose words of everything the format reported as left in the source language."""
    texts = {s.id: s.text for s in doc.segments()}
    found = [texts.get(sid, "") for sid in doc.fallbacks] + list(getattr(doc, "problems", [])) + doc.unextracted()
    return set(PROSE_RE.findall(" ".join(found)))


def assert_no_prose_left(output: str, doc) -> None:
    left = set(PROSE_RE.findall(output))
    assert left <= reported_words(doc), f"untranslated and unreported: {sorted(left - reported_words(doc))}"


@PROPERTY
@given(markdown_documents())
def test_markdown_identity_is_byte_identical_and_pseudo_leaves_nothing(text):
    data = text.encode("utf-8")
    doc = MARKDOWN.load(LoadContext(Path("g.md"), data, MarkdownOptions(), EN, (ZH,)))
    assert doc.unextracted() == []
    assert doc.rebuild(ZH, {s.id: s.text for s in doc.segments()}) == data
    out = doc.rebuild(ZH, pseudo(doc))
    doc.verify(out)
    assert_no_prose_left(out.decode("utf-8"), doc)
    for keep in KEEP:                                  # code and URLs untouched
        assert out.decode("utf-8").count(keep) == text.count(keep)


@PROPERTY
@given(docx_documents(build_docx))
def test_docx_identity_keeps_everything_and_pseudo_leaves_nothing(data):
    doc = DOCX.load(LoadContext(Path("g.docx"), data, DocxOptions(), EN, (ZH,)))
    assert doc.unextracted() == [] and doc.problems == []
    same = {s.id: s.text for s in doc.segments()}
    first = doc.rebuild(EN, same)                      # (a Chinese target also sets w:lang)
    assert document_formatting(first) == document_formatting(data)
    assert doc.rebuild(EN, same) == first == doc.rebuild(EN, same)   # the same bytes every time
    out = doc.rebuild(ZH, pseudo(doc))
    doc.verify(out)
    assert_no_prose_left(" ".join(docx_texts(out)), doc)


@PROPERTY
@given(csv_documents())
def test_csv_identity_is_byte_identical_and_pseudo_leaves_nothing(generated):
    text, column = generated
    data = text.encode("utf-8")
    ctx = LoadContext(Path("g.csv"), data, CsvOptions(mode="per-language", columns=(column,)), EN, (ZH,))
    doc = CSV.load(ctx)
    assert doc.rebuild(ZH, {s.id: s.text for s in doc.segments()}) == data
    out = doc.rebuild(ZH, pseudo(doc)).decode("utf-8")
    doc.verify(out.encode("utf-8"))
    header, *rows = out.splitlines()
    assert header == text.splitlines()[0]              # headers are names, not prose
    assert_no_prose_left("\n".join(rows), doc)
    assert [re.match(r"\d+", r).group(0) for r in rows] == [str(i + 1) for i in range(len(rows))]  # ids kept
