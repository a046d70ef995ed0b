"""HTML pages: text and readable attributes translated by a splice, every other byte kept.

The fixtures are written by hand in the shapes of a docs page and a help-centre article
(unquoted attributes, entities, inline markup across lines, ``translate="no"`` and the
``notranslate`` class, code, kbd, pre, script, style, template, a table, a form).
What was written is read back with html5lib, an independent parser.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import html5lib
import pytest

from pipeline.config import load_job, with_overrides
from pipeline.emulator import EmulatorServer
from pipeline.emulator.pseudo import pseudo_translate
from pipeline.errors import ConfigError, FileError, FormatError
from pipeline.job.estimate import estimate_job
from pipeline.formats import handler_for
from pipeline.formats.base import LoadContext
from pipeline.formats.options import HtmlOptions
from pipeline.languages import lookup
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, pool_settings, region_of, run_job
from pipeline.segments import TAG_RE
from pipeline.translate.qwen_backend import QwenBackend

FIXTURES = Path(__file__).parent / "fixtures"
FILES = sorted(FIXTURES.glob("*.html"))
ZH, AR = lookup("zh"), lookup("ar")
NS = "{http://www.w3.org/1999/xhtml}"
READABLE = {"title", "alt", "placeholder", "aria-label"}
KEY = "sk-html0123456789abcdef"


def load(path: Path, data: bytes | None = None):
    data = path.read_bytes() if data is None else data
    return handler_for(path).load(LoadContext(path, data, HtmlOptions(), None, ()))


def tree(data: bytes) -> list[tuple]:
    """html5lib's elements: tag and attributes, translated attribute values and the root's
    lang/dir left out; the text of elements qmt must not touch, kept."""
    root = html5lib.parse(data.decode("utf-8"), namespaceHTMLElements=True)
    out = []
    for el in root.iter():
        tag = el.tag.replace(NS, "") if isinstance(el.tag, str) else "?"
        keep = tag in ("script", "style", "pre", "code", "kbd", "textarea") or el.get("translate") == "no" \
            or "notranslate" in (el.get("class") or "").split()
        attrs = tuple(sorted((k, None if k in READABLE or k == "content" else v) for k, v in el.attrib.items()
                             if not (tag == "html" and k in ("lang", "dir"))))
        out.append((tag, attrs, "".join(el.itertext()) if keep else None))
    return out


def pseudo(text: str) -> str:
    return pseudo_translate(text, "Chinese")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_identity_changes_only_the_root_lang(path: Path) -> None:
    doc = load(path)
    out = doc.rebuild(ZH, {s.id: s.text for s in doc.segments()}).decode("utf-8")
    source = path.read_text(encoding="utf-8")
    if '<html lang="en"' in source:
        assert out == source.replace('<html lang="en"', '<html lang="zh"', 1)
    else:
        assert out == source.replace("<html>", '<html lang="zh">', 1)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pseudo_changes_only_text_as_html5lib_reads_it(path: Path) -> None:
    doc = load(path)
    assert doc.unextracted() == []
    translations = {s.id: pseudo(s.text) for s in doc.segments()}
    out = doc.rebuild(ZH, translations)
    assert doc.fallbacks == {}
    doc.verify(out)
    assert tree(out) == tree(path.read_bytes())
    again = {s.id: s.text for s in load(path, out).segments()}
    assert again == translations                          # the output reads back as written
    source = path.read_text(encoding="utf-8")
    for keep in ('<p translate="no">', '<div class="note notranslate">', "<script>", "<pre>", "<template>"):
        if keep in source:   # untouched elements, byte for byte
            start = source.index(keep)
            end = source.index("</" + keep[1:].split()[0].split(">")[0] + ">", start)
            assert source[start:end] in out.decode("utf-8")


def test_segments_inline_tags_and_attributes() -> None:
    doc = load(FIXTURES / "help-article.html")
    texts = {s.text: s.context for s in doc.segments()}
    assert texts["Reset your password | Help Centre"] == "page title"
    assert texts["Reset your password"] in ("heading", "content attribute")
    assert "Breadcrumb" in texts and texts["Breadcrumb"] == "aria-label attribute"
    assert 'Your "settings" page' in texts                                  # title in single quotes
    assert "Type your new password twice<x1/>and press <x2/>." in texts        # <br>, <kbd>
    assert "Open the <a1>settings page</a1>." in texts
    assert "<x1/> Keep it safe." in texts                                   # <img> in the sentence
    assert "Key" in texts and "The security page with the reset button" in texts
    assert not any("PW-RESET" in t or "Template text" in t or "Prefilled" in t or "correct-horse" in t
                   for t in texts)
    assert all(TAG_RE.sub("", t).strip() for t in texts)


def test_attributes_and_text_are_escaped_and_read_back() -> None:
    path = FIXTURES / "help-article.html"
    doc = load(path)
    ids = {s.text: s.id for s in doc.segments()}
    out = doc.rebuild(ZH, {ids["Key"]: 'Clé "A" & <B>', ids['Your "settings" page']: "Page 'réglages'",
                           ids["Still stuck? <a1>Contact us</a1>"]: "Bloqué <ici> & là ? <a1>Contactez-nous</a1>"})
    text = out.decode("utf-8")
    assert 'alt="Clé &quot;A&quot; &amp; <B>"' in text                     # an unquoted value gets quotes
    assert "title='Page &#39;réglages&#39;'" in text
    assert 'Bloqué &lt;ici&gt; &amp; là ? <a href="/contact" class=button>Contactez-nous</a>' in text
    parsed = html5lib.parse(text, namespaceHTMLElements=False)
    assert parsed.find(".//img[@src='key.svg']").get("alt") == 'Clé "A" & <B>'
    doc.verify(out)


def test_root_lang_and_dir_follow_the_target() -> None:
    doc = load(FIXTURES / "tides.html")
    out = doc.rebuild(AR, {}).decode("utf-8")
    assert '<html lang="ar" dir="rtl">' in out
    bare = load(Path("x.html"), b"<p>Hello</p>")
    assert bare.rebuild(AR, {"1": "Bonjour"}) == b"<p>Bonjour</p>"              # no root element: nothing added


def test_verify_refuses_a_page_whose_elements_changed() -> None:
    path = FIXTURES / "tides.html"
    doc = load(path)
    with pytest.raises(FormatError, match="other elements"):
        doc.verify(path.read_bytes().replace(b"<em>underneath</em>", b"underneath"))
    with pytest.raises(FileError, match="not UTF-8"):
        load(path, "<p>Été</p>".encode("latin-1"))


def test_a_run_translates_reuses_committed_outputs_and_matches_its_estimate(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "in")
    (tmp_path / "job.toml").write_text('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\n'
                                       'target_langs = ["zh", "ar"]\n[run]\nrpm = 0\ntpm = 0\n', encoding="utf-8")
    job = load_job(tmp_path / "job.toml")
    est = estimate_job(job, pool_settings(job), region_of(job))
    with EmulatorServer(mode="pseudo", api_key=KEY, output_tokens="source") as server:
        def run():
            return run_job(with_overrides(job, base_url=server.base_url), progress=Progress(interactive=False),
                           backend=QwenBackend(api_key=KEY, base_url=server.base_url, timeout=10))
        assert run().exit_code == EXIT_OK
        assert server.billing.received == est.requests
        out = tmp_path / "out" / "ar" / "tides.html"
        written = out.read_bytes()
        assert b'<html lang="ar" dir="rtl">' in written
        shutil.rmtree(job.state_dir.parent)
        assert run().exit_code == EXIT_OK and server.billing.received == est.requests
        assert out.read_bytes() == written


def test_html_table_is_strictly_validated(write_job) -> None:
    base = 'input = "in"\noutput = "out/{lang}"\ntarget_langs = ["zh"]\n'
    job = load_job(write_job(base + '[html]\nattributes = ["title", "data-tooltip"]\n'))
    assert job.html == HtmlOptions(attributes=("title", "data-tooltip"))
    assert job.format_options("html") is job.html
    with pytest.raises(ConfigError, match="html.attributes"):
        load_job(write_job(base + '[html]\nattributes = ["Title Case"]\n'))
    with pytest.raises(ConfigError, match="html.skip_class"):
        load_job(write_job(base + '[html]\nskip_class = "a b"\n'))
    with pytest.raises(ConfigError, match="html.translate"):
        load_job(write_job(base + "[html]\ntranslate = true\n"))


def test_a_configured_attribute_is_translated(tmp_path: Path) -> None:
    path = tmp_path / "t.html"
    data = b'<p data-tooltip="Hover text">Body</p>'
    doc = handler_for(path).load(LoadContext(path, data, HtmlOptions(attributes=("data-tooltip",)), None, ()))
    assert [(s.text, s.context) for s in doc.segments()] == [("Hover text", "data-tooltip attribute"),
                                                             ("Body", "paragraph")]


def test_text_lxml_reads_but_the_walk_did_not_is_reported(tmp_path: Path) -> None:
    # Browsers (and lxml) read a <title> as plain text, markup-looking characters and all;
    # the tokenizer splits it at "<b>": the independent look says so (the run: exit 1).
    doc = load(tmp_path / "t.html", b"<html><head><title>Tides <b>now</b></title></head><body><p>x</p></body></html>")
    assert doc.unextracted() == ["<title>: not extracted: 'Tides <b>now</b>'"]
