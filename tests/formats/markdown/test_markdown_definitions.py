"""Link reference definitions, in the shapes of the CommonMark specification's examples
(section "Link reference definitions"): over several lines, with angle-bracket
destinations, with escaped brackets in the label, with escaped quotes in the title,
inside a block quote and a list. Nothing is reported unread, the titles (a reader sees
them as tooltips) are translated, everything else stays byte for byte."""
from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from pipeline.cli import main
from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.base import LoadContext
from pipeline.formats.markdown import HANDLER
from pipeline.formats.options import MarkdownOptions
from support import EMULATOR_KEY

# (name, document, the titles the parser reads): written after the spec's examples.
CASES = [
    ("one line", '[foo]: /url "title"\n\n[foo]\n', ["title"]),
    ("over three lines, indented, trailing blanks",
     "   [foo]: \n      /url  \n           'the title'  \n\n[foo]\n", ["the title"]),
    ("escaped bracket in the label", "[Foo*bar\\]]:my_(url) 'title (with parens)'\n\n[Foo*bar\\]]\n",
     ["title (with parens)"]),
    ("angle brackets over three lines", "[Foo bar]:\n<my url>\n'title'\n\n[Foo bar]\n", ["title"]),
    ("angle brackets on one line", '[bar]: <my url> "bar title"\n\nSee [bar].\n', ["bar title"]),
    ("no title over two lines", "[foo]:\n/url\n\n[foo]\n", []),
    ("empty destination", "[foo]: <>\n\n[foo]\n", []),
    ("escaped quote in the title", '[foo]: /url\\bar\\*baz "foo\\"bar\\baz"\n\n[foo]\n', ['foo"bar\\baz']),
    ("parenthesised title", "[foo]: /url (the title)\n\n[foo]\n", ["the title"]),
    ("title spanning lines (left as it is)", "[foo]: /url '\ntitle\nline1\nline2\n'\n\n[foo]\n", []),
    ("several in a row", '[foo]: /foo-url "foo"\n[bar]: /bar-url\n  "bar"\n[baz]: /baz-url\n\n[foo], [bar], [baz]\n',
     ["foo", "bar"]),
    ("in a block quote", '> [quoted]: /q "quoted title"\n>\n> See [quoted].\n', ["quoted title"]),
    ("in a list item", '- Item with [ref].\n\n  [ref]: /r\n  "list title"\n', ["list title"]),
    ("after a heading", "# [Foo]\n[foo]: /url\n> bar\n", []),
    ("defined twice", '[dup]: /one "first title"\n[dup]: /two "second title"\n\n[dup]\n',
     ["first title", "second title"]),
    ("CRLF line endings", '[foo]:\r\n/url\r\n"crlf title"\r\n\r\n[foo]\r\n', ["crlf title"]),
]


def load(text: str):
    path = Path("defs.md")
    return HANDLER.load(LoadContext(path, text.encode("utf-8"), MarkdownOptions(), None, ()))


def _reference_titles(text: str) -> list[str]:
    """Every definition's title as another markdown-it instance (no qmt options) reads it."""
    env: dict = {}
    MarkdownIt("commonmark").parse(text, env)
    found = [ref["title"] for ref in env.get("references", {}).values()]
    return found + [ref["title"] for ref in env.get("duplicate_refs", [])]


@pytest.mark.parametrize(("name", "text", "titles"), CASES, ids=[c[0] for c in CASES])
def test_definitions_are_read_titles_translated_rest_kept(name: str, text: str, titles: list[str]) -> None:
    doc = load(text)
    assert doc.unextracted() == [] and doc.problems == []
    assert doc.rebuild(None, {s.id: s.text for s in doc.segments()}) == text.encode("utf-8")   # identity

    title_segments = [s for s in doc.segments() if s.context == "link title"]
    assert sorted(s.text for s in title_segments) == sorted(titles)
    pseudo = {s.id: pseudo_translate(s.text, "German") for s in doc.segments()}
    out = doc.rebuild(None, pseudo)
    assert doc.fallbacks == {}
    doc.verify(out)
    rebuilt = out.decode("utf-8")
    want = sorted(_reference_titles(text))
    got = sorted(_reference_titles(rebuilt))
    assert got == sorted(pseudo_translate(t, "German") if t in titles else t for t in want)
    # The output reads back to the same segments, so the lock file pairs them by id.
    again = load(rebuilt)
    assert [s.id for s in again.segments()] == [s.id for s in doc.segments()]


def test_a_file_of_definitions_translates_with_exit_0_and_nothing_reported(tmp_path: Path, server, monkeypatch,
                                                                          capsys) -> None:
    (tmp_path / "docs").mkdir()
    source = "".join(text for _, text, _ in CASES if "\r" not in text)
    (tmp_path / "docs" / "refs.md").write_text("# References\n\n" + source, encoding="utf-8")
    (tmp_path / "job.toml").write_text('input = "docs"\noutput = "out/{lang}"\nsource_lang = "en"\n'
                                       'target_langs = ["de"]\n[run]\nrpm = 0\ntpm = 0\n', encoding="utf-8")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", server.base_url)
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    assert main(["translate", str(tmp_path / "job.toml")]) == 0
    err = capsys.readouterr().err
    assert "not read" not in err and "warning" not in err and "1 of 1 files written in full" in err
    out = (tmp_path / "out" / "de" / "refs.md").read_text(encoding="utf-8")
    assert pseudo_translate("quoted title", "German") in out and '> [quoted]: /q "' in out
