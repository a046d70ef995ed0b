"""Unit tests of the Markdown format: each construct on a tiny inline fixture."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.errors import FileError, FormatError
from pipeline.formats import handler_for
from pipeline.formats.base import LoadContext
from pipeline.formats.markdown import HANDLER, MarkdownDocument
from pipeline.formats.options import MarkdownOptions
from pipeline.segments import TAG_RE, check_translation, plain_text


def load(src: str | bytes, keys: tuple[str, ...] = ("title", "description")) -> MarkdownDocument:
    data = src.encode() if isinstance(src, str) else src
    return HANDLER.load(LoadContext(Path("t.md"), data, MarkdownOptions(keys), None, ()))


def texts(doc: MarkdownDocument) -> dict[str, str]:
    return {s.id: s.text for s in doc.segments()}


def upper(text: str) -> str:
    """A pseudo translation: upper-case the text outside tags."""
    out, pos = [], 0
    for m in TAG_RE.finditer(text):
        out += [text[pos : m.start()].upper(), m.group(0)]
        pos = m.end()
    return "".join(out) + text[pos:].upper()


def rebuild(doc: MarkdownDocument, translations: dict[str, str]) -> str:
    for sid, target in translations.items():
        check_translation(texts(doc)[sid], target)  # what the worker pool guarantees
    data = doc.rebuild(None, translations)
    doc.verify(data)
    return data.decode()


def rebuild_all(doc: MarkdownDocument, fn=upper) -> str:
    return rebuild(doc, {sid: fn(text) for sid, text in texts(doc).items()})


def only(doc: MarkdownDocument) -> tuple[str, str]:
    (item,) = texts(doc).items()
    return item


# --- the handler -----------------------------------------------------------------------


def test_registry_finds_the_markdown_handler() -> None:
    assert handler_for(Path("a.md")) is HANDLER
    assert handler_for(Path("b.MARKDOWN")) is HANDLER
    assert HANDLER.name == "markdown"


def test_non_utf8_input_is_a_file_error() -> None:
    with pytest.raises(FileError, match="UTF-8"):
        load(b"caf\xe9\n")


def test_ids_are_stable_and_unique() -> None:
    src = "# A\n\nPara one.\n\n| x | y |\n|---|---|\n| p | q |\n\n[l](u \"T\")\n"
    first, second = load(src).segments(), load(src).segments()
    assert [s.id for s in first] == [s.id for s in second]
    assert len({s.id for s in first}) == len(first)


# --- inline markup ---------------------------------------------------------------------


def test_emphasis_strong_and_strikethrough_are_paired_tags() -> None:
    doc = load("Some *em* and **strong** and ~~gone~~ text.\n")
    sid, text = only(doc)
    assert text == "Some <g1>em</g1> and <g2>strong</g2> and <g3>gone</g3> text."
    out = rebuild(doc, {sid: "<g3>X</g3> then <g1>Y</g1> and <g2>Z</g2>."})
    assert out == "~~X~~ then *Y* and **Z**.\n"


def test_inline_code_autolinks_html_entities_escapes_are_isolated() -> None:
    src = "Run `npm i` at <https://x.dev> with <kbd>Ctrl</kbd> &amp; \\*stars\\*.\n"
    doc = load(src)
    _, text = only(doc)
    plain = plain_text(text)
    for markup in ("npm i", "https://x.dev", "kbd", "&amp;", "\\*"):
        assert markup not in plain
    assert "Ctrl" in plain and "stars" in plain
    assert rebuild_all(doc) == "RUN `npm i` AT <https://x.dev> WITH <kbd>CTRL</kbd> &amp; \\*STARS\\*.\n"


def test_bare_urls_and_interpolations_are_never_sent() -> None:
    doc = load("See https://vite.dev/guide/ and {{ $frontmatter.title }} now.\n")
    _, text = only(doc)
    assert "vite.dev" not in plain_text(text) and "frontmatter" not in plain_text(text)
    assert rebuild_all(doc) == "SEE https://vite.dev/guide/ AND {{ $frontmatter.title }} NOW.\n"


def test_links_with_titles_translate_text_and_title_not_url() -> None:
    doc = load('Read [the guide](https://x.dev/g "Guide title") first.\n')
    segs = {s.id: s for s in doc.segments()}
    assert segs["1"].text == "Read <a1>the guide</a1> first."
    assert segs["1.t1"].text == "Guide title" and segs["1.t1"].context == "link title"
    assert rebuild_all(doc) == 'READ [THE GUIDE](https://x.dev/g "GUIDE TITLE") FIRST.\n'
    # The title alone, with a quote that must be escaped inside the title.
    assert rebuild(doc, {"1.t1": 'Say "hi"'}) == 'Read [the guide](https://x.dev/g "Say \\"hi\\"") first.\n'


def test_image_inside_link_keeps_both_destinations() -> None:
    doc = load("[![Build status](https://ci/badge.svg)](https://ci/run) here\n")
    sid, text = only(doc)
    assert text == "<a1><g2>Build status</g2></a1> here"
    assert rebuild(doc, {sid: "ici <a1><g2>Statut</g2></a1>"}) == "ici [![Statut](https://ci/badge.svg)](https://ci/run)\n"


def test_image_alt_text_is_translated() -> None:
    doc = load('![A diagram](a.png "Diagram title")\n')
    segs = texts(doc)
    assert segs["1"] == "<g1>A diagram</g1>" and segs["1.t1"] == "Diagram title"
    assert rebuild_all(doc) == '![A DIAGRAM](a.png "DIAGRAM TITLE")\n'


def test_reference_style_links_keep_their_targets() -> None:
    src = "See [full][r], [collapsed][] and [short].\n\n[r]: /r\n[collapsed]: /c\n[short]: /s 'Tip'\n"
    doc = load(src)
    segs = texts(doc)
    assert segs == {"1": "See <a1>full</a1>, <a2>collapsed</a2> and <a3>short</a3>.", "5.ref": "Tip"}
    sid = "1"
    out = rebuild_all(doc)
    assert out.startswith("SEE [FULL][r], [COLLAPSED][collapsed] AND [SHORT][short].\n")
    assert out.endswith("\n\n[r]: /r\n[collapsed]: /c\n[short]: /s 'TIP'\n")  # only a title is sent
    # Unchanged link text keeps the short forms byte for byte.
    assert rebuild(doc, {sid: "<a1>full</a1>, <a2>collapsed</a2> und <a3>short</a3>."}).startswith(
        "[full][r], [collapsed][] und [short].\n"
    )


def test_hard_breaks_are_isolated_and_kept() -> None:
    doc = load("Line one  \nline two\\\nline three\n")
    sid, text = only(doc)
    assert text == "Line one<x1/>line two<x2/>line three"
    assert rebuild_all(doc) == "LINE ONE  \nLINE TWO\\\nLINE THREE\n"


def test_footnote_references_and_definitions() -> None:
    doc = load("Text[^1] here.\n\n[^1]: The *note*\n    continues.\n")
    segs = {s.id: s for s in doc.segments()}
    assert segs["1"].text == "Text<x1/> here."
    assert segs["3"].text == "The <g1>note</g1>\ncontinues." and segs["3"].context == "footnote"
    assert rebuild_all(doc) == "TEXT[^1] HERE.\n\n[^1]: THE *NOTE*\n    CONTINUES.\n"


# --- blocks ------------------------------------------------------------------------------


def test_atx_setext_and_heading_id_attribute() -> None:
    doc = load("# Getting *Started* {#getting-started}\n\nSetext title\n============\n")
    segs = texts(doc)
    assert segs["1"] == "Getting <g1>Started</g1><x2/>"
    assert segs["3"] == "Setext title"
    assert rebuild_all(doc) == "# GETTING *STARTED* {#getting-started}\n\nSETEXT TITLE\n============\n"


def test_nested_lists_in_blockquotes_keep_prefixes() -> None:
    src = "> - one\n>   two\n>   - nested\n>     more\n"
    doc = load(src)
    assert texts(doc) == {"1": "one\ntwo", "3": "nested\nmore"}
    assert rebuild_all(doc) == "> - ONE\n>   TWO\n>   - NESTED\n>     MORE\n"
    # A translation with more lines reuses the last continuation prefix.
    assert rebuild(doc, {"3": "a\nb\nc"}) == "> - one\n>   two\n>   - a\n>     b\n>     c\n"


def test_single_line_paragraph_translated_on_several_lines_stays_one_line() -> None:
    doc = load("- item\n")
    assert rebuild(doc, {"1": "first\nsecond"}) == "- first second\n"


def test_tables_cells_escape_pipes() -> None:
    src = "| Name | Note \\| more |\n|:-----|-----:|\n| a *b* | c |\n"
    doc = load(src)
    segs = {s.id: s for s in doc.segments()}
    assert segs["1.1"].text == "Name" and segs["1.1"].context == "table cell"
    assert segs["1.2"].text == "Note <x1/> more"
    assert segs["3.1"].text == "a <g1>b</g1>"
    out = rebuild(doc, {"3.2": "x | y", "1.2": "NOTE <x1/> MORE"})
    assert out == "| Name | NOTE \\| MORE |\n|:-----|-----:|\n| a *b* | x \\| y |\n"


def test_task_list_checkboxes_are_not_sent() -> None:
    doc = load("- [ ] todo item\n- [x] done item\n")
    assert texts(doc) == {"1": "<x1/> todo item", "2": "<x1/> done item"}
    assert rebuild_all(doc) == "- [ ] TODO ITEM\n- [x] DONE ITEM\n"


def test_containers_and_admonitions() -> None:
    src = (
        "::: tip Good to know\nContainer body.\n:::\n\n"
        "::: code-group\n```sh\nnpm i\n```\n:::\n\n"
        '!!! note "Admonition title"\n    Admonition body.\n'
    )
    doc = load(src)
    segs = {s.id: s for s in doc.segments()}
    assert (segs["1"].text, segs["1"].context) == ("Good to know", "container title")
    assert (segs["2"].text, segs["2"].context) == ("Container body.", "container")
    assert (segs["11"].text, segs["11"].context) == ("Admonition title", "admonition title")
    assert (segs["12"].text, segs["12"].context) == ("Admonition body.", "admonition")
    out = rebuild_all(doc)
    assert out == src.replace("Good to know", "GOOD TO KNOW").replace("Container body", "CONTAINER BODY").replace(
        "Admonition title", "ADMONITION TITLE").replace("Admonition body", "ADMONITION BODY")


def test_code_html_math_rules_and_definitions_but_their_titles_are_never_sent() -> None:
    src = (
        "Intro text.\n\n```js\nconst note = 'text'\n```\n\n    indented code\n\n"
        "<div class=\"x\">\nHTML block text\n</div>\n\n$$\nE = mc^2\n$$\n\n---\n\n"
        "[ref]: https://example.com \"Ref title\"\n\n<<< @/snippets/demo.js\n\n[[toc]]\n"
    )
    doc = load(src)
    assert texts(doc) == {"1": "Intro text.", "19.ref": "Ref title"}   # a definition's title is a tooltip
    assert rebuild_all(doc) == src.replace("Intro text.", "INTRO TEXT.").replace("Ref title", "REF TITLE")


# --- front matter ------------------------------------------------------------------------


def test_yaml_front_matter_only_named_keys() -> None:
    src = "---\ntitle: \"Hello: world\"\ndescription: 'It''s fine'\nlayout: home\nauthor: Me\n---\n\nBody.\n"
    doc = load(src)
    segs = {s.id: s for s in doc.segments()}
    assert segs["fm.title"].text == "Hello: world" and segs["fm.title"].context == "front matter: title"
    assert segs["fm.description"].text == "It's fine"
    assert "fm.layout" not in segs and "fm.author" not in segs
    out = rebuild(doc, {"fm.title": "Bonjour: monde", "fm.description": "C'est #1"})
    head = out.split("---")[1]
    assert yaml.safe_load(head) == {"title": "Bonjour: monde", "description": "C'est #1", "layout": "home", "author": "Me"}
    assert "\nlayout: home\nauthor: Me\n" in head


def test_front_matter_plain_value_that_needs_quotes_gets_them() -> None:
    doc = load("---\ntitle: Plain\n---\n")
    out = rebuild(doc, {"fm.title": "yes"})
    assert out == '---\ntitle: "yes"\n---\n'
    out = rebuild(doc, {"fm.title": "Simple words"})
    assert out == "---\ntitle: Simple words\n---\n"
    out = rebuild(doc, {"fm.title": "Note: #1"})
    assert out == '---\ntitle: "Note: #1"\n---\n'



def test_front_matter_keys_are_chosen_by_the_job() -> None:
    doc = load("---\ntitle: T\ntagline: The tag line\n---\n", keys=("tagline",))
    assert texts(doc) == {"fm.tagline": "The tag line"}


def test_front_matter_nested_key_paths() -> None:
    src = (
        "---\nlayout: home\nhero:\n  name: Vite\n  tagline: Next generation tooling\n"
        "features:\n  - title: Instant start\n    details: No bundling\n  - title: Fast HMR\n"
        "    details: >\n      Folded text\n---\n"
    )
    doc = load(src, keys=("hero.tagline", "features.title"))
    assert texts(doc) == {
        "fm.hero.tagline": "Next generation tooling",
        "fm.features.title": "Instant start",
        "fm.features.title.2": "Fast HMR",
    }
    out = rebuild(doc, {"fm.hero.tagline": "Outils", "fm.features.title.2": "HMR rapide"})
    assert out == src.replace("Next generation tooling", "Outils").replace("Fast HMR", "HMR rapide")


def test_toml_front_matter_tables() -> None:
    doc = load('+++\ntitle = "T"\n[hero]\ntagline = \'Fast\'\n+++\n', keys=("hero.tagline",))
    assert texts(doc) == {"fm.hero.tagline": "Fast"}
    assert rebuild(doc, {"fm.hero.tagline": "Rapide"}) == '+++\ntitle = "T"\n[hero]\ntagline = \'Rapide\'\n+++\n'


def test_toml_front_matter() -> None:
    src = '+++\ntitle = "Hello there"\ndraft = true\n+++\n\nBody.\n'
    doc = load(src)
    assert texts(doc)["fm.title"] == "Hello there"
    out = rebuild(doc, {"fm.title": 'Say "yo"'})
    assert out == '+++\ntitle = "Say \\"yo\\""\ndraft = true\n+++\n\nBody.\n'


def test_tag_like_text_in_front_matter_survives() -> None:
    doc = load("---\ntitle: Use <g1> tags\n---\n")
    assert texts(doc)["fm.title"] == "Use <x1/> tags"
    assert rebuild(doc, {"fm.title": "Utilisez <x1/>"}) == "---\ntitle: Utilisez <g1>\n---\n"


# --- bytes outside the text ---------------------------------------------------------------


def test_crlf_bom_and_missing_final_newline_are_kept() -> None:
    src = "\ufeff# Title\r\n\r\nLine one\r\nline two".encode()
    doc = load(src)
    assert doc.rebuild(None, {s.id: s.text for s in doc.segments()}) == src
    out = doc.rebuild(None, {"3": "A\nB\nC"})
    assert out == "\ufeff# Title\r\n\r\nA\r\nB\r\nC".encode()
    doc.verify(out)


def test_verify_returns_the_output_as_load_reads_it() -> None:
    """The rebuild's own parse of its output serves the check and the read-back: it is the
    document load() makes of those bytes, BOM, CRLF and front matter included."""
    src = "\ufeff---\r\ntitle: Hello there\r\n---\r\n\r\n# Title *here*\r\n\r\n| a b | c d |\r\n|---|---|\r\n| e f | g |\r\n"
    doc = load(src)
    out = doc.rebuild(None, {sid: upper(text) for sid, text in texts(doc).items()})
    reopened = doc.verify(out)
    assert reopened is not None and reopened is not doc
    assert list(reopened.segments()) == list(load(out).segments())
    assert "HELLO THERE" in texts(reopened).values()


def test_verify_leaves_an_output_holding_a_nul_to_load() -> None:
    """load() refuses a NUL (a binary file): such an output is not handed back as read."""
    doc = load("Some text here.\n")
    out = doc.rebuild(None, {"1": "Some\x00text"})
    assert doc.verify(out) is None
    with pytest.raises(FileError, match="NUL"):
        load(out)


def test_unchanged_and_missing_translations_keep_source_bytes() -> None:
    src = "Para   with  odd   spacing *x*.\n\nSecond.\n"
    doc = load(src)
    assert doc.rebuild(None, {}) == src.encode()
    assert doc.rebuild(None, {"1": texts(doc)["1"], "3": "Zweite."}) == src.replace("Second.", "Zweite.").encode()


# --- translations that would change the structure -------------------------------------------


def test_added_markup_characters_are_escaped() -> None:
    doc = load("Plain text here.\n")
    assert rebuild(doc, {"1": "a * b _c_ `d` <e>"}) == "a \\* b \\_c\\_ \\`d\\` \\<e>\n"


def test_block_markers_at_line_starts_are_escaped() -> None:
    doc = load("> one\n> two\n")
    out = rebuild(doc, {"1": "# un\n- deux\n1. trois"})
    assert out == "> \\# un\n> \\- deux\n> 1\\. trois\n"


def test_heading_translation_ending_in_hashes_keeps_them() -> None:
    doc = load("## Learn C\n")
    assert rebuild(doc, {"1": "Apprendre C #"}) == "## Apprendre C \\#\n"


def test_blank_lines_and_trailing_spaces_in_a_translation_do_not_split_paragraphs() -> None:
    doc = load("one\ntwo\n")
    assert rebuild(doc, {"1": "eins  \n\n\nzwei"}) == "eins\nzwei\n"


def test_spaces_inside_emphasis_tags_are_moved_out() -> None:
    doc = load("Say **hello** now.\n")
    assert doc.rebuild(None, {"1": "Dis <g1> bonjour </g1>maintenant."}) == b"Dis  **bonjour** maintenant.\n"
    assert doc.fallbacks == {}


def test_cjk_punctuation_at_emphasis_edges_is_repaired() -> None:
    doc = load("Say **hello** now.\n\n**Direct upgrade:** do it.\n")
    out = doc.rebuild(None, {"1": "说<g1>“福”</g1>的", "3": "<g1>直接升级：</g1>更新"})
    assert out.decode() == "说“**福**”的\n\n**直接升级**：更新\n"
    assert doc.fallbacks == {}


def test_markup_that_cannot_survive_falls_back_to_source() -> None:
    doc = load("Say **hello** now.\n\nOther.\n")
    out = doc.rebuild(None, {"1": "Dis <g1></g1> maintenant.", "3": "Autre."})
    assert out.decode() == "Say **hello** now.\n\nAutre.\n"
    assert set(doc.fallbacks) == {"1"}


def test_translation_that_changes_block_structure_falls_back_to_source() -> None:
    src = "First para.\n\nSecond para\nhas three\nlines here.\n\n- list\n"
    doc = load(src)
    out = doc.rebuild(None, {"1": "Premier.", "3": "Deux\n| a | b |\n|---|---|", "7": "liste"})
    assert out.decode() == "Premier.\n\nSecond para\nhas three\nlines here.\n\n- liste\n"
    assert set(doc.fallbacks) == {"3"}
    doc.verify(out)


def test_translation_with_broken_tags_falls_back_to_source() -> None:
    doc = load("Say **hello** now.\n")
    assert doc.rebuild(None, {"1": "Dis <g1>bonjour maintenant."}) == b"Say **hello** now.\n"
    assert set(doc.fallbacks) == {"1"}


def test_adjacent_code_spans_and_urls_stay_apart() -> None:
    doc = load("Use `a` or `b`, see https://x.dev/ now.\n")
    assert rebuild(doc, {"1": "用<x1/><x2/>，见<x3/>。"}) == "用`a` `b`，见 https://x.dev/ 。\n"


def test_verify_rejects_a_different_block_structure() -> None:
    doc = load("Para.\n\n- item\n")
    doc.verify(b"Other para.\n\n- other item\n")
    with pytest.raises(FormatError, match="parses differently|block tokens"):
        doc.verify(b"# Para.\n\n- item\n")
    with pytest.raises(FormatError):
        doc.verify(b"Para.\n- item\n- second\n")


def test_verify_rejects_broken_front_matter() -> None:
    doc = load("---\ntitle: T\n---\n\nBody.\n")
    with pytest.raises(FormatError, match="front matter"):
        doc.verify(b"---\ntitle: [unclosed\n---\n\nBody.\n")
