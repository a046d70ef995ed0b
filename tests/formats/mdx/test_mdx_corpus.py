"""Acceptance over real MDX pages (tests/corpus/mdx): Starlight's documentation (Astro)
and Nextra's (Next.js), both MIT.

Identity: rebuilding with every translation equal to its source gives the input bytes.
Pseudo: a visible translation (every letter of the text outside tags changed) gives a
file whose ESM blocks, JSX tags and expressions are the source's byte for byte (string
props the job translates aside), that differs from the source only in letters (and spacing), that
reads back as the translations sent, with nothing kept back and nothing unread.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.base import LoadContext
from pipeline.formats.mdx import HANDLER, MdxDocument, structure
from pipeline.formats.mdx.scan import ESM, EXPRESSION, JSX
from pipeline.formats.options import MdxOptions
from pipeline.segments import TAG_RE

CORPUS = Path(__file__).parents[2] / "corpus" / "mdx"
FILES = sorted(CORPUS.rglob("*.mdx"))
OPTIONS = MdxOptions()
_COMPONENT_RE = re.compile(r"</?[A-Z][\w.]*")
_ESM_LINE_RE = re.compile(r"^(?:import|export) .*$", re.MULTILINE)
_LETTER_RE = re.compile(r"[^\W\d_]|\s")

pytestmark = pytest.mark.slow   # every page loaded, rebuilt and compiled: the suite starts it first


def _pseudo(text: str) -> str:
    """Every letter outside tags swapped (caseless scripts: the next letter)."""
    def char(c: str) -> str:
        if c.swapcase() != c and len(c.swapcase()) == 1:
            return c.swapcase()
        return chr(ord(c) + 1) if c.isalpha() and chr(ord(c) + 1).isalpha() else c
    out, pos = [], 0
    for m in TAG_RE.finditer(text):
        out += [*map(char, text[pos:m.start()]), m.group(0)]
        pos = m.end()
    return "".join(out + list(map(char, text[pos:])))


def load(path: Path, data: bytes) -> MdxDocument:
    return HANDLER.load(LoadContext(path, data, OPTIONS, None, ()))


@pytest.fixture(scope="module")
def docs() -> list[tuple[Path, bytes, MdxDocument]]:
    return [(path, path.read_bytes(), load(path, path.read_bytes())) for path in FILES]


def test_the_corpus_holds_a_docs_folder_of_over_a_hundred_pages(docs) -> None:
    assert len(FILES) >= 100
    kinds = {span.kind for _, _, doc in docs for span in doc.spans}
    assert kinds == {ESM, JSX, EXPRESSION}


def test_identity_is_byte_identical(docs) -> None:
    for path, data, doc in docs:
        assert doc.rebuild(None, {s.id: s.text for s in doc.segments()}) == data, path
        assert not doc.problems and not doc.unextracted(), path


def test_pseudo_changes_only_text_and_keeps_every_jsx_esm_and_expression_byte(docs) -> None:
    props = 0
    for path, data, doc in docs:
        translations = {s.id: _pseudo(s.text) for s in doc.segments()}
        out = doc.rebuild(None, translations)
        assert doc.fallbacks == {}, path
        doc.verify(out)
        again = load(path, out)
        assert structure(again.text, again.spans) == structure(doc.text, doc.spans), path
        # Independent of the scanner: every component tag's name, and each ESM line, as it was.
        assert _COMPONENT_RE.findall(out.decode()) == _COMPONENT_RE.findall(data.decode()), path
        assert _ESM_LINE_RE.findall(out.decode()) == _ESM_LINE_RE.findall(data.decode()), path
        assert _LETTER_RE.sub("", out.decode()) == _LETTER_RE.sub("", data.decode()), path
        # (the Markdown writer may put a space after a bare URL)
        assert {s.id: "".join(s.text.split()) for s in again.segments()} == {
            k: "".join(v.split()) for k, v in translations.items()}, path
        props += sum(1 for s in doc.segments() if s.context.endswith(" label"))
    assert props > 0   # <TabItem label="…"> values were among the segments


COMPILER = Path(__file__).parent / "compiler"
LOCALES = {"de", "fr", "ja", "zh-cn"}


@pytest.mark.skipif(not (COMPILER / "node_modules" / ".installed").exists() or shutil.which("node") is None,
                    reason="the MDX compiler is not installed (make mdx-compiler: npm)")
def test_every_page_the_mdx_compiler_reads_it_still_reads_translated(docs, tmp_path: Path) -> None:
    """@mdx-js/mdx (the compiler Docusaurus, Nextra and Astro use) compiles each output
    whose source it compiles (a few Starlight pages use Astro-only syntax). The English
    pages: the translated ones have the same constructs, and compiling is slow."""
    docs = [(path, data, doc) for path, data, doc in docs if path.relative_to(CORPUS).parts[1] not in LOCALES]
    paths = []
    for path, _, doc in docs:
        out = tmp_path / path.relative_to(CORPUS)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(doc.rebuild(None, {s.id: pseudo_translate(s.text, "Chinese") for s in doc.segments()}))
        paths += [str(path), str(out)]
    done = subprocess.run(["node", "compile.mjs"], input="\n".join(paths), cwd=COMPILER, capture_output=True,
                          text=True, check=True)
    ok = {line.split(" ", 1)[1] for line in done.stdout.splitlines() if line.startswith("ok ")}
    compiled = [path for path, _, _ in docs if str(path) in ok]
    assert len(compiled) >= 30
    assert [p for p in compiled if str(tmp_path / p.relative_to(CORPUS)) not in ok] == []
