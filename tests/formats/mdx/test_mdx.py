"""MDX: ESM, JSX and expressions are never sent and come back byte for byte; prose inside
JSX elements and ``:::`` admonitions is translated; JSX props named by ``[mdx] props``
are; the Docusaurus naming preset places the outputs; estimate and run agree."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.config import load_job, with_overrides
from pipeline.emulator import EmulatorServer
from pipeline.emulator.pseudo import pseudo_translate
from pipeline.errors import ConfigError, FormatError
from pipeline.job.estimate import estimate_job
from pipeline.formats import handler_for
from pipeline.formats.base import LoadContext
from pipeline.formats.mdx import MdxDocument
from pipeline.formats.options import MdxOptions
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, pool_settings, region_of, run_job
from pipeline.translate.qwen_backend import QwenBackend

KEY = "sk-mdx0123456789abcdef"
PAGE = """---
title: Getting started
sidebar_label: Start
---

import Tabs from '@theme/Tabs';
import TabItem from '@theme/TabItem';
export const Highlight = ({children, color}) => (

  <span style={{backgroundColor: color}}>{children}</span>
);

# Welcome to {siteConfig.title}

Some **bold** and <Highlight color="#25c2a0">green</Highlight> text with {props.count} items.

<Tabs groupId="fruit">
  <TabItem value="apple" label="Apple" default>
    This is an apple.
  </TabItem>
  <TabItem value="orange" label="Orange">This is an orange.</TabItem>
</Tabs>

:::note Take care

Admonition body text.

:::

<Admonition type="tip" title="A helpful tip">
Tip body in JSX.
</Admonition>

{/* a comment the reader never sees */}

```jsx
const x = <div>{y}</div>;
```
"""
OPAQUE = ["import Tabs from '@theme/Tabs';", "export const Highlight", "{siteConfig.title}", "{props.count}",
          'color="#25c2a0"', 'value="apple"', "groupId", "{/* a comment", "const x = <div>{y}</div>;"]


def load(text: str, options: MdxOptions | None = None) -> MdxDocument:
    path = Path("page.mdx")
    return handler_for(path).load(LoadContext(path, text.encode(), options or MdxOptions(), None, ()))


def test_esm_jsx_and_expressions_are_never_sent_and_prose_inside_jsx_is() -> None:
    doc = load(PAGE)
    texts = {s.text: s.context for s in doc.segments()}
    for piece in OPAQUE:
        assert not any(piece in text for text in texts), piece
    for prose in ("This is an apple.", "This is an orange.", "Admonition body text.", "Tip body in JSX.", "Take care"):
        assert any(prose in text for text in texts), prose
    assert texts["Apple"] == "TabItem label" and texts["A helpful tip"] == "Admonition title"
    assert texts["Start"] == "front matter: sidebar_label"
    assert "Some <g1>bold</g1> and <x2/>green<x3/> text with <x4/> items." in texts
    assert doc.unextracted() == [] and doc.problems == []


def test_pseudo_translation_changes_only_text() -> None:
    doc = load(PAGE)
    out = doc.rebuild(None, {s.id: pseudo_translate(s.text, "Chinese") for s in doc.segments()}).decode()
    doc.verify(out.encode())
    for piece in OPAQUE + ['<TabItem value="orange" label="', "</TabItem>", "<Tabs groupId=\"fruit\">"]:
        assert piece in out, piece
    assert "This is an apple" not in out and 'label="Apple"' not in out and 'title="A helpful tip"' not in out
    assert doc.rebuild(None, {s.id: s.text for s in doc.segments()}) == PAGE.encode()


def test_only_the_props_a_rule_names_are_translated() -> None:
    doc = load(PAGE, MdxOptions(props=("Tabs.groupId",)))
    texts = [s.text for s in doc.segments()]
    assert "fruit" in texts and "Apple" not in texts and "A helpful tip" not in texts


def test_a_translation_with_braces_or_quotes_stays_mdx() -> None:
    doc = load('<TabItem value="a" label="Apple">\n\nPlain text here.\n\n</TabItem>\n')
    ids = {s.text: s.id for s in doc.segments()}
    out = doc.rebuild(None, {ids["Apple"]: 'Say "apple"', ids["Plain text here."]: "Use {curly} braces."}).decode()
    assert out == '<TabItem value="a" label="Say &quot;apple&quot;">\n\nUse \\{curly\\} braces.\n\n</TabItem>\n'
    doc.verify(out.encode())


def test_a_translation_that_swaps_jsx_tags_keeps_its_source() -> None:
    doc = load("Press <kbd>Ctrl</kbd> then <Key name=\"c\" /> now.\n")
    (seg,) = doc.segments()
    assert seg.text == "Press <x1/>Ctrl<x2/> then <x3/> now."
    out = doc.rebuild(None, {seg.id: "Press <x2/>Ctrl<x1/> then <x3/> now."})
    assert out == b"Press <kbd>Ctrl</kbd> then <Key name=\"c\" /> now.\n"
    assert seg.id in doc.fallbacks


def test_a_rebuilt_file_whose_jsx_changed_fails_the_check() -> None:
    doc = load(PAGE)
    with pytest.raises(FormatError, match="JSX/ESM differs"):
        doc.verify(PAGE.replace("{props.count}", "{props.total}").encode())


def test_the_mdx_table_is_strictly_validated(write_job) -> None:
    base = 'input = "in"\noutput = "out/{lang}"\ntarget_langs = ["zh"]\n'
    job = load_job(write_job(base + '[mdx]\nprops = ["Tabs.label", "*.alt"]\nnaming = "docusaurus"\n'))
    assert job.mdx == MdxOptions(props=("Tabs.label", "*.alt"), naming="docusaurus")
    assert job.format_options("mdx") is job.mdx
    with pytest.raises(ConfigError, match="mdx.props"):
        load_job(write_job(base + '[mdx]\nprops = ["label"]\n'))
    with pytest.raises(ConfigError, match="mdx.naming"):
        load_job(write_job(base + '[mdx]\nnaming = "hugo"\n'))
    with pytest.raises(ConfigError, match="markdown.naming"):
        load_job(write_job(base + '[markdown]\nnaming = "vitepress"\n'))
    with pytest.raises(ConfigError, match="mdx.jsx"):
        load_job(write_job(base + "[mdx]\njsx = true\n"))
    with pytest.raises(ConfigError, match="mdx.rewrite_links"):
        load_job(write_job(base + '[mdx]\nrewrite_links = "yes"\n'))


def test_a_docusaurus_run_places_pages_by_the_preset_and_matches_its_estimate(tmp_path: Path) -> None:
    docs = tmp_path / "website" / "docs"
    (docs / "guides").mkdir(parents=True)
    (docs / "intro.mdx").write_text(PAGE, encoding="utf-8")
    (docs / "guides" / "tabs.mdx").write_text(PAGE.replace("Getting started", "Tabs"), encoding="utf-8")
    (docs / "guides" / "plain.md").write_text("# Plain\n\nA Markdown page beside them.\n", encoding="utf-8")
    (tmp_path / "job.toml").write_text(
        'input = "website/docs"\noutput = "website/i18n/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh", "fr"]\n'
        '[run]\nrpm = 0\ntpm = 0\n[mdx]\nnaming = "docusaurus"\n[markdown]\nnaming = "docusaurus"\n', encoding="utf-8")
    job = load_job(tmp_path / "job.toml")
    est = estimate_job(job, pool_settings(job), region_of(job))
    with EmulatorServer(mode="pseudo", api_key=KEY, output_tokens="source") as server:
        def run():
            return run_job(with_overrides(job, base_url=server.base_url), progress=Progress(interactive=False),
                           backend=QwenBackend(api_key=KEY, base_url=server.base_url, timeout=10))
        result = run()
        assert result.exit_code == EXIT_OK
        assert est.requests == server.billing.received == result.requests > 0
        assert est.prompt_tokens == server.billing.prompt_tokens == result.prompt_tokens
        current = tmp_path / "website" / "i18n" / "zh" / "docusaurus-plugin-content-docs" / "current"
        assert sorted(p.relative_to(current).as_posix() for p in current.rglob("*.md*")) == [
            "guides/plain.md", "guides/tabs.mdx", "intro.mdx"]
        written = (current / "intro.mdx").read_text(encoding="utf-8")
        assert "import TabItem from '@theme/TabItem';" in written and "Getting started" not in written
        shutil.rmtree(job.state_dir.parent)
        assert run().exit_code == EXIT_OK and server.billing.received == est.requests
        assert (current / "intro.mdx").read_text(encoding="utf-8") == written


def test_the_blog_preset_uses_the_blog_plugins_folder() -> None:
    handler = handler_for(Path("post.mdx"))
    assert handler.output_relpath("2024/post.mdx", "zh", MdxOptions(naming="docusaurus-blog"), None) == \
        "docusaurus-plugin-content-blog/2024/post.mdx"
    assert handler.output_relpath("a.mdx", "zh", MdxOptions(), None) == "a.mdx"
