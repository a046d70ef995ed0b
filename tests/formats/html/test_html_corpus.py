"""Acceptance over real HTML pages: 130 pages of the Apache HTTP Server 2.4 manual
(tests/corpus/html, Apache-2.0: navigation, tables, code examples, definition lists,
directive synopses, entities).

Identity: every page rebuilds byte for byte. Pseudo: a visible translation gives a page
that html5lib (a WHATWG parser, independent of qmt's tokenizer and of lxml) reads to the
same element tree, tags and untranslated attributes alike, whose code, pre, kbd, script
and style text is the source's, and whose text is the translation sent.
"""
from __future__ import annotations

from pathlib import Path

import html5lib
import pytest

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.base import LoadContext
from pipeline.formats.html import HANDLER, HtmlDocument
from pipeline.formats.options import HtmlOptions
from pipeline.languages import lookup

CORPUS = Path(__file__).parents[2] / "corpus" / "html"
FILES = sorted(CORPUS.rglob("*.html"))
OPTIONS = HtmlOptions()
NS = "{http://www.w3.org/1999/xhtml}"
KEPT = ("script", "style", "pre", "code", "kbd", "samp", "textarea")
ZH = lookup("zh")


def tree(data: bytes) -> list[tuple]:
    """html5lib's elements: tag and attributes (translated values and the root's lang/dir
    left out), and the whole text of the elements qmt must not touch."""
    root = html5lib.parse(data.decode("utf-8"), namespaceHTMLElements=True)
    out = []
    for el in root.iter():
        tag = el.tag.replace(NS, "") if isinstance(el.tag, str) else "?"
        keep = tag in KEPT or el.get("translate") == "no" or OPTIONS.skip_class in (el.get("class") or "").split()
        attrs = tuple(sorted((k, None if k in OPTIONS.attributes or (tag == "meta" and k == "content") else v)
                             for k, v in el.attrib.items() if not (tag == "html" and k in ("lang", "dir", "xml:lang"))))
        out.append((tag, attrs, "".join(el.itertext()) if keep else None))
    return out


@pytest.fixture(scope="module")
def docs() -> list[tuple[Path, bytes, HtmlDocument]]:
    return [(p, p.read_bytes(), HANDLER.load(LoadContext(p, p.read_bytes(), OPTIONS, None, ()))) for p in FILES]


def test_the_corpus_holds_over_a_hundred_pages(docs) -> None:
    assert len(docs) >= 100 and sum(len(doc.segments()) for _, _, doc in docs) > 5000


def test_identity_is_byte_identical_and_nothing_is_left_unread(docs) -> None:
    for path, data, doc in docs:
        assert doc.rebuild(None, {s.id: s.text for s in doc.segments()}) == data, path
        assert doc.unextracted() == [], path


def test_pseudo_translation_keeps_the_element_tree_and_changes_only_text(docs) -> None:
    for path, data, doc in docs:
        translations = {s.id: pseudo_translate(s.text, "Chinese") for s in doc.segments()}
        out = doc.rebuild(ZH, translations)
        assert doc.fallbacks == {}, path
        doc.verify(out)
        assert tree(out) == tree(data), path
        again = HANDLER.load(LoadContext(path, out, OPTIONS, None, ()))
        assert [s.text for s in again.segments()] == [translations[s.id] for s in doc.segments()], path
