"""Acceptance over the 57 real Vite documentation pages in ../shared/corpus/markdown.

Identity: rebuilding with every translation equal to its source gives the input bytes.
Pseudo: a visible translation (change every letter of the text outside tags) must give a file
that an independently configured markdown-it-py parses to the same block structure,
with code, URLs, HTML and untranslated front matter untouched, every prose segment
changed, and only lines holding translated text changed (and only in their letters).
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from pipeline.formats.base import LoadContext
from pipeline.formats.markdown import HANDLER
from pipeline.formats.options import MarkdownOptions
from pipeline.segments import TAG_RE

from support import CORPUS as SHARED_CORPUS, corpus_files

pytestmark = pytest.mark.needs_shared
CORPUS = SHARED_CORPUS / "markdown"
FILES = corpus_files("markdown", "*.md")
OPTIONS = MarkdownOptions()



def test_corpus_is_present() -> None:
    assert FILES, f"shared corpus not found at {CORPUS} (CI keeps shared/ beside the clone)"


def _reference_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.use(front_matter_plugin).use(footnote_plugin).use(admon_plugin)
    md.use(container_plugin, name="any", validate=lambda params, *a: bool(params.strip()))
    md.use(dollarmath_plugin, allow_digits=False)
    return md


MD = _reference_parser()


def _pseudo_char(c: str) -> str:
    if c.swapcase() != c:
        return c.swapcase()
    if c.isalpha() and chr(ord(c) + 1).isalpha():
        return chr(ord(c) + 1)  # caseless scripts (CJK): the next letter
    return c


def pseudo(text: str) -> str:
    """Change every letter of the text outside tags: each prose segment visibly changes."""
    out, pos = [], 0
    for m in TAG_RE.finditer(text):
        out.append("".join(map(_pseudo_char, text[pos : m.start()])))
        out.append(m.group(0))
        pos = m.end()
    out.append("".join(map(_pseudo_char, text[pos:])))
    return "".join(out)


def _fold(line: str) -> str:
    """A line with letters' identity forgotten: what pseudo() may not change."""
    return "".join(c.lower() if c.swapcase() != c else "L" if c.isalpha() else c for c in line)


def _load(path: Path, data: bytes):
    return HANDLER.load(LoadContext(path, data, OPTIONS, None, ()))


def _blocks(tokens) -> list[tuple]:
    sig = []
    for t in tokens:
        if t.type == "inline":
            continue
        info = t.info.split()[0] if t.type.startswith("container") and t.info.split() else ""
        sig.append((t.type, t.tag, t.nesting, t.markup, info))
    return sig


def _protected(tokens) -> list[tuple[str, str]]:
    """Everything the engine must never change, in document order."""
    out = []
    for t in tokens:
        if t.type in ("fence", "code_block", "html_block", "math_block", "math_block_label", "front_matter"):
            if t.type != "front_matter":
                out.append((t.type, t.info + "\x00" + t.content))
        for c in t.children or ():
            if c.type in ("code_inline", "html_inline", "math_inline", "footnote_ref"):
                out.append((c.type, c.content or str(c.meta)))
            elif c.type == "link_open":
                out.append(("href", c.attrs.get("href", "")))
            elif c.type == "image":
                out.append(("src", c.attrs.get("src", "")))
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_identity_is_byte_identical(path: Path) -> None:
    data = path.read_bytes()
    doc = _load(path, data)
    segments = doc.segments()
    assert segments, "every corpus page has something to translate"
    assert len({s.id for s in segments}) == len(segments)
    rebuilt = doc.rebuild(None, {s.id: s.text for s in segments})
    assert rebuilt == data
    doc.verify(rebuilt)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pseudo_translation_changes_only_text(path: Path) -> None:
    data = path.read_bytes()
    doc = _load(path, data)
    segments = doc.segments()
    rebuilt = doc.rebuild(None, {s.id: pseudo(s.text) for s in segments})
    reopened = doc.verify(rebuilt)
    assert doc.fallbacks == {}
    # verify() hands back the rebuild's own parse of the output: the document load makes of it.
    assert reopened is not None
    assert list(reopened.segments()) == list(_load(path, rebuilt).segments())
    assert reopened.unextracted() == _load(path, rebuilt).unextracted()
    assert doc.verify(rebuilt) is None     # taken once: a second check parses the bytes itself

    src_text, out_text = data.decode(), rebuilt.decode()
    src_tokens, out_tokens = MD.parse(src_text), MD.parse(out_text)
    assert _blocks(out_tokens) == _blocks(src_tokens)
    assert _protected(out_tokens) == _protected(src_tokens)
    _assert_front_matter_kept(src_tokens, out_tokens)

    again = {s.id: s.text for s in _load(path, rebuilt).segments()}
    for seg in segments:
        assert again.get(seg.id) == pseudo(seg.text) != seg.text, seg.id

    src_lines, out_lines = src_text.splitlines(True), out_text.splitlines(True)
    assert len(out_lines) == len(src_lines)
    matcher = difflib.SequenceMatcher(None, src_lines, out_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        assert op == "replace" and i2 - i1 == j2 - j1, (op, i1, i2)
        for a, b in zip(src_lines[i1:i2], out_lines[j1:j2]):
            assert re.search(r"[^\W\d_]", a), a  # the line holds text
            assert _fold(a) == _fold(b), (a, b)  # and only its letters changed


def _assert_front_matter_kept(src_tokens, out_tokens) -> None:
    src_fm = [t.content for t in src_tokens if t.type == "front_matter"]
    out_fm = [t.content for t in out_tokens if t.type == "front_matter"]
    assert len(src_fm) == len(out_fm)
    for before_text, after_text in zip(src_fm, out_fm):
        before, after = yaml.safe_load(before_text), yaml.safe_load(after_text)
        assert list(before) == list(after)
        for key in before:
            if key in OPTIONS.front_matter_keys and isinstance(before[key], str):
                assert after[key] == "".join(map(_pseudo_char, before[key]))
            else:
                assert after[key] == before[key]
        kept = [ln for ln in before_text.splitlines() if not ln.startswith(OPTIONS.front_matter_keys)]
        assert kept == [ln for ln in after_text.splitlines() if not ln.startswith(OPTIONS.front_matter_keys)]
