"""The parses :func:`parse_blocks` keeps: the same text is parsed once while it is kept,
every caller gets an env of its own, and what is kept stays within its character bound."""
from __future__ import annotations

import threading

import pytest

from pipeline.formats.markdown import parser
from pipeline.formats.markdown.parser import parse_blocks, parse_inline

PAGE = "# Title\n\nSome *emphasis* and a [link][ref].\n\n[ref]: https://example.com\n"


@pytest.fixture
def empty_keep(monkeypatch):
    monkeypatch.setattr(parser, "KEPT_PARSES", parser.KeptParses(2_000_000))


def test_the_same_text_is_parsed_once_and_each_caller_gets_its_own_env(empty_keep):
    tokens, env = parse_blocks(PAGE, record=True)
    again, env_again = parse_blocks(PAGE, record=True)
    assert again is tokens and env_again is not env and env_again == env
    # An inline parse notes its recorder in the caller's env only.
    inline = next(t for t in tokens if t.type == "inline" and "link" in t.content)
    found, rec = parse_inline(inline.content, env_again)
    assert [r.rule for r in rec.records if r.rule == "link"] == ["link"]
    assert parse_inline("not parsed before", env_again)[1].tokens != []
    assert parse_blocks(PAGE, record=True)[1] == env   # the kept env is untouched
    # Another flavour or no recording is another parse.
    assert parse_blocks(PAGE)[0] is not tokens and parse_blocks(PAGE, "mdx", record=True)[0] is not tokens


def test_what_is_kept_stays_within_its_character_bound(empty_keep, monkeypatch):
    kept = parser.KeptParses(4 * len(PAGE) + 40)     # four of the pages below
    monkeypatch.setattr(parser, "KEPT_PARSES", kept)
    pages = [PAGE + f"\npage {i}\n" for i in range(8)]
    for page in pages:
        parse_blocks(page)
    parse_blocks(pages[5])      # used again: the most recent
    assert kept.chars == sum(len(k[0]) for k in kept.keys()) <= kept.limit
    assert [k[0] for k in kept.keys()] == [pages[4], pages[6], pages[7], pages[5]]   # the least recently used left
    huge = "word " * len(PAGE)    # over a quarter of the bound: parsed, not kept
    assert parse_blocks(huge)[0] is not parse_blocks(huge)[0]


def test_threads_parsing_the_same_text_get_the_same_tokens(empty_keep):
    results: list[list[str]] = []

    def load() -> None:
        tokens, env = parse_blocks(PAGE, record=True)
        inline = next(t for t in tokens if t.type == "inline" and "link" in t.content)
        results.append([r.rule for r in parse_inline(inline.content, env)[1].records])

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and all(r == results[0] for r in results) and "link" in results[0]
