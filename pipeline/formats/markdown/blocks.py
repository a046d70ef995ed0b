"""The block walk: which parts of a Markdown file hold translatable inline content.

markdown-it-py's block tokens say which lines a paragraph, heading or table row
occupies; this module finds where on those lines the inline content starts (after
``> ``, list markers, indentation, ``#`` markers, ``|``) and hands each piece to
:func:`~pipeline.formats.markdown.inline.build_unit`. Everything it does not hand over
(fences, indented code, HTML blocks, math, rules, front matter, reference definitions
but for their titles) is never seen by the engine and is copied through untouched.

A block whose content cannot be located exactly (a tab expanded inside a container
prefix, a NUL replaced by the parser) is skipped and reported rather than guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it.common.utils import unescapeAll
from markdown_it.token import Token

from pipeline.formats.markdown.inline import SourceMap, InlineUnit, UnitError, build_unit, title_unit
from pipeline.segments import has_translatable_text

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_QUOTE_PREFIX_RE = re.compile(r"[ \t]*(?:>[ \t]?)*")
_TASK_RE = re.compile(r"\[[ xX]\](?=[ \t]|$)")
_HEADING_ATTRS_RE = re.compile(r"[ \t]*\{[#.][^{}\n]*\}$")
_CONTAINER_TITLE_RE = re.compile(r":{3,}[ \t]*[^\s:]\S*[ \t]+(\S.*?)[ \t]*$")
#: VitePress: "<<< @/snippets/file.js" imports a code file; "[[toc]]" is a macro.
MACRO_RE = re.compile(r"<<<|\[\[toc\]\]$")

_CONTEXTS = {
    "list_item_open": "list item",
    "blockquote_open": "blockquote",
    "footnote_open": "footnote",
    "admonition_open": "admonition",
}


def split_lines(text: str) -> list[tuple[int, int]]:
    """(start, end-without-line-ending) of every line, as markdown-it counts lines."""
    spans: list[tuple[int, int]] = []
    for m in _LINE_RE.finditer(text):
        if m.start() == len(text) and spans:
            break
        body = m.group(0).rstrip("\r\n")
        spans.append((m.start(), m.start() + len(body)))
    return spans


@dataclass
class Walk:
    """State of one walk over a document's block tokens."""

    text: str
    lines: list[tuple[int, int]]
    env: dict[str, Any]
    units: list[InlineUnit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _ids: dict[str, int] = field(default_factory=dict)
    #: What the parser read, when it is not ``text`` itself: MDX's JSX and expressions
    #: masked to same-length stand-ins (:mod:`pipeline.formats.mdx.scan`). Content is
    #: located in it; tags keep ``text``'s bytes.
    view: str = ""

    def line(self, n: int) -> str:
        start, end = self.lines[n]
        return (self.view or self.text)[start:end]

    def uid(self, base: str) -> str:
        n = self._ids.get(base, 0) + 1
        self._ids[base] = n
        return base if n == 1 else f"{base}.{n}"

    def add(self, content: str, smap: SourceMap | None, line: int, context: str, **kw: Any) -> None:
        if smap is None:
            self.problems.append(f"line {line + 1}: {context} left untranslated (cannot locate its text)")
            return
        uid = kw.pop("uid", None) or self.uid(str(line + 1))
        try:
            self.units.append(build_unit(content, smap, self.text, self.env, uid=uid, context=context, **kw))
        except (UnitError, ValueError, IndexError, KeyError) as exc:
            # Leaving a block as it is is always safe; guessing where its text is is not.
            self.problems.append(f"line {line + 1}: {context} left untranslated ({exc})")


def walk_blocks(text: str, lines: list[tuple[int, int]], tokens: list[Token], env: dict[str, Any],
                view: str = "") -> Walk:
    """Collect the units of every block with inline content, in token order (``view``:
    see :attr:`Walk.view`)."""
    w = Walk(text, lines, env, view=view)
    stack: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type == "inline" and tok.content.strip():
            _inline(w, tokens, i, stack)
        elif tok.type == "tr_open" and tok.map:
            _row(w, tokens, i)
        elif tok.type.startswith("container_") and tok.nesting == 1 and tok.map:
            _container_title(w, tok)
        elif tok.type == "definition" and tok.map and has_translatable_text(tok.meta.get("title") or ""):
            _definition_title(w, tok)
        if tok.nesting == 1:
            stack.append(tok.type)
        elif tok.nesting == -1 and stack:
            stack.pop()
    return w


def _context(stack: list[str]) -> str:
    for t in reversed(stack):
        if t in _CONTEXTS:
            return _CONTEXTS[t]
        if t.startswith("container_"):
            return "container"
    return "paragraph"


def _inline(w: Walk, tokens: list[Token], i: int, stack: list[str]) -> None:
    tok, parent = tokens[i], tokens[i - 1]
    if parent.map is None:
        return
    first = parent.map[0]
    if parent.type == "paragraph_open":
        _paragraph(w, tok.content, first, _context(stack), tokens[i - 2].type == "list_item_open")
    elif parent.type == "heading_open" and parent.markup.startswith("#"):
        smap = _locate_after(w, tok.content, first, r"[ \t>]*(?:[-+*]|\d+[.)])?[ \t>]*#+")
        m = _HEADING_ATTRS_RE.search(tok.content)
        extra = ((m.start(), m.end()),) if m else ()
        w.add(tok.content, smap, first, "heading", kind="line", extra_iso=extra)
    elif parent.type == "heading_open":
        smap = _locate_lines(w, tok.content, first)
        w.add(tok.content, smap, first, "heading")
    elif parent.type == "admonition_title_open":
        smap = _locate_after(w, tok.content, first, r".*?(?:!!!|\?\?\?\+?)[ \t]*\S+")
        if smap is not None:  # else the title is the type's name, made up by the plugin
            w.add(tok.content, smap, first, "admonition title", kind="line")


def _paragraph(w: Walk, content: str, first: int, context: str, in_item: bool) -> None:
    if MACRO_RE.match(content):
        return
    extra: tuple[tuple[int, int], ...] = ()
    if in_item and _TASK_RE.match(content):
        extra = ((0, 3),)  # a task list checkbox, "[ ]" or "[x]"
    w.add(content, _locate_lines(w, content, first), first, context, extra_iso=extra)


def _locate_lines(w: Walk, content: str, first: int) -> SourceMap | None:
    """Each content line is the tail of its source line (trailing blanks trimmed last)."""
    pieces, c = [], 0
    for k, part in enumerate(content.split("\n")):
        if first + k >= len(w.lines):
            return None
        line = w.line(first + k)
        pos = line.rfind(part)
        if pos < 0 or line[pos + len(part) :].strip(" \t"):
            return None
        pieces.append((c, c + len(part), w.lines[first + k][0] + pos))
        c += len(part) + 1
    return SourceMap(tuple(pieces))


def _locate_after(w: Walk, content: str, line_no: int, marker: str) -> SourceMap | None:
    """One-line content found after the block's marker (``## ``, ``!!! note``)."""
    line = w.line(line_no)
    m = re.match(marker, line)
    pos = line.find(content, m.end() if m else 0)
    if pos < 0 or "\n" in content:
        return None
    return SourceMap(((0, len(content), w.lines[line_no][0] + pos),))


def _definition_title(w: Walk, tok: Token) -> None:
    """The title of a reference definition (``[foo]: /url "Title"``, on one line or the
    last of several): a unit of its own, located by its closing quote on the definition's
    last line and checked against the title the parser read. A title that spans lines
    is left as it is (like an inline link's)."""
    if tok.map is None:
        return
    last = min(tok.map[1], len(w.lines)) - 1
    line = w.line(last).rstrip(" \t")
    if not line or line[-1] not in "\"')":
        return
    close = len(line) - 1
    opener = "(" if line[-1] == ")" else line[-1]
    start = close - 1
    while start >= 0 and not (line[start] == opener and _unescaped(line, start)):
        start -= 1
    if start < 0 or unescapeAll(line[start + 1:close]) != tok.meta["title"]:
        return
    at = w.lines[last][0]
    w.units.append(title_unit(line[start + 1:close], at + start + 1, at + close, opener, w.uid(f"{last + 1}.ref")))


def _unescaped(line: str, pos: int) -> bool:
    slashes = len(line[:pos]) - len(line[:pos].rstrip("\\"))
    return slashes % 2 == 0


def _container_title(w: Walk, tok: Token) -> None:
    if tok.map is None:
        return
    line_no = tok.map[0]
    m = _CONTAINER_TITLE_RE.search(w.line(line_no))
    if not m:
        return
    title = m.group(1)
    smap = SourceMap(((0, len(title), w.lines[line_no][0] + m.start(1)),))
    w.add(title, smap, line_no, "container title", kind="line")


# --- tables ---------------------------------------------------------------------------


def _row(w: Walk, tokens: list[Token], i: int) -> None:
    """A table row: cells located by the parser's own split, ``\\|`` kept as an escape."""
    lines = tokens[i].map
    if lines is None:
        return
    line_no = lines[0]
    expected = []
    for tok in tokens[i + 1 :]:
        if tok.type == "tr_close":
            break
        if tok.type == "inline":
            expected.append(tok.content)
    line = w.line(line_no)
    # A row without a leading "|" inside a quote starts after the "> " prefix.
    prefix = _QUOTE_PREFIX_RE.match(line)
    assert prefix is not None       # the pattern matches the empty string
    skip = prefix.end()
    for cut in (0, skip):
        spans = [(s + cut, e + cut) for s, e in _cell_spans(line[cut:])]
        offset = next((k for k in range(len(spans) + 1)
                       if [_cell_value(line, spans, k + j) for j in range(len(expected))] == expected), None)
        if offset is not None:
            break
    else:
        if any(has_translatable_text(cell) for cell in expected):  # a row of no text has nothing to lose
            w.problems.append(f"line {line_no + 1}: table row left untranslated (cannot locate its cells)")
        return
    base = w.lines[line_no][0]
    for j in range(len(expected)):
        if offset + j >= len(spans) or not expected[j].strip():
            continue
        start, end = _strip_span(line, *spans[offset + j])
        content = line[start:end]
        smap = SourceMap(((0, len(content), base + start),))
        w.add(content, smap, line_no, "table cell", kind="cell", uid=f"{line_no + 1}.{j + 1}")


def _cell_spans(line: str) -> list[tuple[int, int]]:
    """markdown-it's escapedSplit, returning spans instead of unescaped strings."""
    spans, last, escaped = [], 0, False
    for pos, ch in enumerate(line):
        if ch == "|" and not escaped:
            spans.append((last, pos))
            last = pos + 1
        escaped = ch == "\\"
    spans.append((last, len(line)))
    return spans


def _cell_value(line: str, spans: list[tuple[int, int]], k: int) -> str:
    if k >= len(spans):
        return ""
    start, end = _strip_span(line, *spans[k])
    return line[start:end].replace("\\|", "|")


def _strip_span(line: str, start: int, end: int) -> tuple[int, int]:
    while start < end and line[start] in " \t":
        start += 1
    while end > start and line[end - 1] in " \t":
        end -= 1
    return start, end
