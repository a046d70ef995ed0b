"""rewrite_links: relative links between translated pages lead to the translations, links
to other files of the input (images, downloads) to the originals, for Markdown, MDX and
HTML, in both directions of the tree (down into a folder, up out of it), with the
Docusaurus naming preset moving the pages. Every rewritten link is followed from the
written output to a file that exists."""
from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest

from pipeline.config import load_job, with_overrides
from pipeline.emulator import EmulatorServer
from pipeline.formats.links import LinkMap
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, run_job
from pipeline.translate.qwen_backend import QwenBackend

KEY = "sk-links0123456789abcdef"
PAGES = {
    "intro.md": "# Intro\n\nSee the [guide](guide/setup.mdx), the [page](help.html#top) and "
                "![logo](img/logo.png).\n\n[ref]: guide/setup.mdx \"Setup\"\n\nUse [the ref][ref].\n",
    "guide/setup.mdx": "import Tabs from '@theme/Tabs';\n\n# Setup\n\nBack to the [intro](../intro.md) or "
                       "[download](../files/kit.zip?v=2).\n\n<img src=\"../img/logo.png\" alt=\"Logo\" />\n\n"
                       "Visit [the site](https://example.com/a.md) or [a route](/docs/intro) or [missing](nope.md).\n",
    "help.html": "<html><body><p>Read the <a href=\"intro.md\">intro</a> and the "
                 "<a href=\"guide/setup.mdx#tabs\">setup</a>.</p><img src=\"img/logo.png\" alt=\"Logo\"></body></html>\n",
}
ASSETS = ("img/logo.png", "files/kit.zip")


def _site(tmp_path: Path) -> Path:
    docs = tmp_path / "site" / "docs"
    for rel, text in PAGES.items():
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(text, encoding="utf-8")
    for rel in ASSETS:
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_bytes(b"\x89PNG asset")
    return docs


def _run(tmp_path: Path, extra: str) -> Path:
    _site(tmp_path)
    (tmp_path / "job.toml").write_text(
        'input = "site/docs"\noutput = "site/i18n/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh"]\n'
        '[run]\nrpm = 0\ntpm = 0\n' + extra, encoding="utf-8")
    job = load_job(tmp_path / "job.toml")
    with EmulatorServer(mode="pseudo", api_key=KEY) as server:
        result = run_job(with_overrides(job, base_url=server.base_url), progress=Progress(interactive=False),
                         backend=QwenBackend(api_key=KEY, base_url=server.base_url, timeout=10))
    assert result.exit_code == EXIT_OK
    return tmp_path / "site" / "i18n" / "zh"


_LINK_RE = re.compile(r"\]\(([^)\s]+)\)|\]: (\S+)|(?:href|src)=\"([^\"]+)\"")


def _links(text: str) -> list[str]:
    """Link destinations in order: ``](dest)``, ``]: dest`` and ``href``/``src`` values."""
    return [next(g for g in groups if g) for groups in _LINK_RE.findall(text)]


def _target(output: Path, url: str) -> Path:
    return Path(posixpath.normpath(posixpath.join(output.parent.as_posix(), url.split("#")[0].split("?")[0])))


def test_links_lead_to_translations_and_assets_to_originals(tmp_path: Path) -> None:
    out = _run(tmp_path, '[markdown]\nnaming = "docusaurus"\nrewrite_links = true\n'
                         '[mdx]\nnaming = "docusaurus"\nrewrite_links = true\n[html]\nrewrite_links = true\n')
    current = out / "docusaurus-plugin-content-docs" / "current"
    docs = tmp_path / "site" / "docs"
    intro = (current / "intro.md").read_text(encoding="utf-8")
    setup = (current / "guide" / "setup.mdx").read_text(encoding="utf-8")
    help_page = (out / "help.html").read_text(encoding="utf-8")   # HTML keeps the input's place
    # Down the tree to a page, across to another format's page, and to an image.
    assert _links(intro) == ["guide/setup.mdx", "../../help.html#top", "../../../../docs/img/logo.png",
                             "guide/setup.mdx"]
    # Up the tree to a page and to a download; absolute URLs, routes and missing files as they were.
    assert _links(setup) == ["../intro.md", "../../../../../docs/files/kit.zip?v=2",
                             "../../../../../docs/img/logo.png", "https://example.com/a.md", "/docs/intro", "nope.md"]
    assert _links(help_page) == ["docusaurus-plugin-content-docs/current/intro.md",
                                 "docusaurus-plugin-content-docs/current/guide/setup.mdx#tabs", "../../docs/img/logo.png"]
    for output, text in ((current / "intro.md", intro), (current / "guide" / "setup.mdx", setup), (out / "help.html", help_page)):
        for url in _links(text):
            if not re.match(r"https?:|/|nope", url):
                target = _target(output, url)
                assert target.is_file(), (output, url)
                assert (docs in target.resolve().parents) == url.endswith((".png", ".zip?v=2")), (output, url)
    assert "import Tabs from '@theme/Tabs';" in setup


def test_without_the_option_links_are_kept_byte_for_byte(tmp_path: Path) -> None:
    out = _run(tmp_path, "")
    assert _links((out / "intro.md").read_text(encoding="utf-8")) == _links(PAGES["intro.md"])
    assert _links((out / "help.html").read_text(encoding="utf-8")) == _links(PAGES["help.html"])


@pytest.mark.parametrize(("url", "want"), [
    ("b.md", "b.md"), ("./b.md#x", "./b.md#x"), ("../up.md", "../up.md"), ("pic%20one.png", "../../../in/sub/pic%20one.png"),
    ("#anchor", "#anchor"), ("mailto:a@b.c", "mailto:a@b.c"), ("//cdn/x.js", "//cdn/x.js"), ("gone.png", "gone.png"),
])
def test_a_link_map_rewrites_only_relative_links_to_input_files(url: str, want: str) -> None:
    pages = {"sub/b.md": "sub/b.md", "up.md": "up.md"}
    files = set(pages) | {"sub/pic one.png"}
    links = LinkMap("sub/a.md", "sub/a.md", "../../in", pages.get, files.__contains__)
    assert links.rewrite(url) == want
