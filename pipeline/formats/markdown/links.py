"""Where a Markdown page's link destinations are, to rewrite them (``rewrite_links``).

The page is parsed again (the same parser as extraction); a destination is rewritten
only where the parser read a link or image there: ``](dest)`` inside an inline whose
links include ``dest``, a reference definition's URL, and ``href``/``src`` of HTML the
parser read as HTML. Code spans, fences and text that only looks like a link are left
alone. See :mod:`pipeline.formats.links` for what a destination becomes.
"""
from __future__ import annotations

import re
from typing import Callable

from markdown_it.common.utils import unescapeAll

from pipeline.formats.markdown.parser import make_parser, parse_blocks

_INLINE_DEST_RE = re.compile(r"\]\([ \t\n]*(<[^<>\n]*>|[^\s<>()]+(?:\([^\s()]*\)[^\s()<>]*)*)")
_DEFINITION_RE = re.compile(r"[ \t>]*\[(?:[^\]\\]|\\.)+\]:[ \t\n]*(<[^<>\n]*>|\S+)")
HTML_URL_RE = re.compile(r"""(?<![\w-])(?:href|src)[ \t\n]*=[ \t\n]*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def destinations(view: str, lines: list[tuple[int, int]], flavour: str) -> list[tuple[int, int, str]]:
    """(start, end, value) of each link destination the parser reads in ``view`` (the
    text, or MDX's masked view of it, front matter blanked)."""
    tokens, _ = parse_blocks(view, flavour)
    md = make_parser(flavour)
    edits: list[tuple[int, int, str]] = []
    for tok in tokens:
        if tok.map is None or tok.map[0] >= len(lines):
            continue
        lo, hi = lines[tok.map[0]][0], lines[min(tok.map[1], len(lines)) - 1][1]
        if tok.type == "inline":
            urls = {c.attrGet("href") or c.attrGet("src") for c in tok.children or () if c.type in ("link_open", "image")}
            edits += _matches(_INLINE_DEST_RE, view, lo, hi, lambda v: md.normalizeLink(unescapeAll(v)) in urls)
            for child in tok.children or ():
                if child.type == "html_inline":
                    edits += _html_urls(view, lo, hi, child.content)
        elif tok.type == "definition":
            url = tok.meta.get("url", "")
            edits += _matches(_DEFINITION_RE, view, lo, hi, lambda v: md.normalizeLink(unescapeAll(v)) == url)[:1]
        elif tok.type == "html_block":
            edits += _attr_values(view, lo, hi)
    return edits


def splice_links(text: str, spans: list[tuple[int, int, str]], rewrite: Callable[[str], str]) -> str:
    """``text`` with each (start, end, value) span replaced by ``rewrite(value)``."""
    out, pos = [], 0
    for start, end, value in sorted(set(spans)):
        if start < pos:
            continue
        new = rewrite(value)
        out += [text[pos:start], new]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _matches(pattern: re.Pattern[str], view: str, lo: int, hi: int,
             known: Callable[[str], bool]) -> list[tuple[int, int, str]]:
    """(start, end, value) of each destination the parser also read (``<dest>``: inside)."""
    out = []
    for m in pattern.finditer(view, lo, hi):
        start, end = m.span(1)
        if view[start] == "<":
            start, end = start + 1, end - 1
        value = view[start:end]
        if known(value):
            out.append((start, end, value))
    return out


def _html_urls(view: str, lo: int, hi: int, tag: str) -> list[tuple[int, int, str]]:
    """``href``/``src`` values of the HTML tag ``tag`` wherever it stands in ``view[lo:hi]``."""
    out = []
    at = view.find(tag, lo, hi)
    while at >= 0:
        out += _attr_values(view, at, at + len(tag))
        at = view.find(tag, at + len(tag), hi)
    return out


def _attr_values(view: str, lo: int, hi: int) -> list[tuple[int, int, str]]:
    out = []
    for m in HTML_URL_RE.finditer(view, lo, hi):
        group = 1 if m.group(1) is not None else 2
        out.append((m.start(group), m.end(group), m.group(group)))
    return out


__all__ = ["HTML_URL_RE", "destinations", "splice_links"]
