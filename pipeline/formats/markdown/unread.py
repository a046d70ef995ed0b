"""An independent look at a Markdown file: prose the block walk did not extract.

The walk (:mod:`.blocks`) decides what becomes a segment. This reader does not trust
it: it takes the parser's tokens and the raw lines and asks two questions the walk
never asks itself:

1. is every line with letters on it inside a block the parser produced? (markdown-it
   once stopped at nesting level 20 and silently dropped the rest of the file; any
   such drop leaves lines outside every block);
2. does every inline block with letters (paragraph, heading, table cell) overlap a
   segment the walk extracted?

Lines that are *meant* to stay (code, HTML, math, front matter, reference definitions,
container fences) are inside blocks of those kinds and never reported.
"""
from __future__ import annotations

import bisect
import re
from typing import Sequence

from markdown_it.token import Token

from pipeline.formats.base import text_preview
from pipeline.formats.markdown.blocks import MACRO_RE
from pipeline.formats.markdown.inline import InlineUnit
from pipeline.segments import has_translatable_text

# Blocks whose lines are read: their content is text, code or markup by design.
_READ = frozenset({"inline", "fence", "code_block", "html_block", "hr", "front_matter", "math_block",
                   "math_block_label", "table_open"})
# Containers: only their opening line (``::: tip Title``, ``!!! note``) is theirs.
_FENCED = ("container_", "admonition_")
_REFERENCE_RE = re.compile(r"^[ \t>]*\[[^\]]+\]:")


def unread_text(text: str, lines: Sequence[tuple[int, int]], tokens: list[Token], units: list[InlineUnit],
                skip_lines: int = 0) -> list[str]:
    """One "line N: ..." entry per stretch of prose the walk did not extract."""
    covered = _covered_lines(tokens)
    found = []
    for n in range(skip_lines, len(lines)):
        line = text[lines[n][0]:lines[n][1]]
        if n not in covered and has_translatable_text(line) and not _REFERENCE_RE.match(line):
            found.append(f"line {n + 1}: not read by the Markdown parser: {text_preview(line)}")
    return _merge(found) + _inline_without_unit(text, lines, tokens, units)


def _covered_lines(tokens: list[Token]) -> set[int]:
    covered: set[int] = set()
    for tok in tokens:
        if not tok.map:
            continue
        if tok.type in _READ or tok.nesting == 0:
            covered.update(range(tok.map[0], max(tok.map[1], tok.map[0] + 1)))
        elif tok.nesting == 1 and tok.type.startswith(_FENCED):
            covered.add(tok.map[0])
    return covered


def _inline_without_unit(text: str, lines: Sequence[tuple[int, int]], tokens: list[Token],
                         units: list[InlineUnit]) -> list[str]:
    spans = sorted((u.start, u.end) for u in units)
    starts = [s for s, _ in spans]
    out = []
    for tok in tokens:
        if tok.type != "inline" or not tok.map or not has_translatable_text(_plain(tok)) or MACRO_RE.match(tok.content):
            continue
        first, last = tok.map[0], min(max(tok.map[1] - 1, tok.map[0]), len(lines) - 1)
        lo, hi = lines[first][0], lines[last][1]
        i = bisect.bisect_right(starts, hi)
        if not any(s <= hi and e >= lo for s, e in spans[max(0, i - 64):i]):
            out.append(f"line {first + 1}: not extracted: {text_preview(text[lo:hi])}")
    return out


def _plain(tok: Token) -> str:
    """The inline's text outside code spans, HTML and math (what a reader would translate)."""
    return "".join(c.content for c in tok.children or () if c.type == "text")


def _merge(found: list[str]) -> list[str]:
    """One entry for all unread lines: the first, and how many more (a dropped tail is
    one problem, not thousands)."""
    if len(found) <= 1:
        return found
    return [f"{found[0]} (and {len(found) - 1} more lines up to {found[-1].split(':', 1)[0]})"]
