"""Inline content: from source characters to a tagged segment, and from a translation back.

A :class:`InlineUnit` is one segment together with everything needed to write its
translation back: the document range it replaces, the exact source bytes each tag
stands for, and the line breaks (with their container prefixes, "\\n> " or
"\\n   ") that separate its lines. Building and rendering live side by side here so
that what extraction turns into a tag is exactly what rebuild turns back.

Rules that keep a rebuilt file parsing as its source did:

* markup (emphasis markers, link brackets and destinations, code spans, HTML,
  escapes, entities, hard breaks, footnote references, bare URLs, ``{{ }}``) is a tag
  holding its source bytes, so it comes back byte for byte wherever the model put it;
* the i-th line break of a translation is written as the i-th source break (the last
  one when the translation has more lines, a space when the source had one line);
* characters the translation adds that Markdown would read as markup (``*``, ``_``,
  backticks, brackets, ``<``, ``~``, ``$``) are backslash-escaped, and so is a block
  marker (``#``, ``-``, ``>``, ``1.``) a translated line starts with;
* in table cells ``|`` is always escaped.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

from markdown_it.helpers import parseLinkDestination, parseLinkTitle
from markdown_it.token import Token

from pipeline.formats.markdown.parser import Recorder, parse_inline
from pipeline.segments import (
    Close,
    Literal,
    Open,
    SegmentBuilder,
    Text,
    Token as SegmentToken,
    has_translatable_text,
    parse,
    plain_text,
    text_with_literals,
)


class UnitError(ValueError):
    """A block whose inline content cannot be mapped safely; it is left untouched."""


# --- source map ----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceMap:
    """Offsets in an inline source string -> offsets in the document text.

    The inline source is the block's lines with container prefixes removed, joined by
    "\\n"; ``pieces`` holds (content_start, content_end, text_start) for each line. An
    offset at a line's "\\n" maps to that line's end, so a slice across lines includes
    the line ending and the next line's prefix.
    """

    pieces: tuple[tuple[int, int, int], ...]

    def at(self, offset: int) -> int:
        for c_start, c_end, t_start in self.pieces:
            if offset <= c_end:
                return t_start + max(offset - c_start, 0)
        c_start, c_end, t_start = self.pieces[-1]
        return t_start + (c_end - c_start)


# --- payloads ------------------------------------------------------------------------


@dataclass
class LinkClose:
    """The closing part of a link or image: ``](dest "title")``, ``][ref]`` or ``]``."""

    before_title: str
    after_title: str
    title: "InlineUnit | None" = None
    #: Shortcut and collapsed references (``[text]``, ``[text][]``) name their target by
    #: the link text itself; when that text is translated, ``][label]`` keeps the target.
    ref_label: str | None = None
    #: The link text's source bytes, to tell whether the translation changed it.
    inner_source: str = ""


@dataclass
class DelimiterPair:
    open: str
    close: str | LinkClose


@dataclass
class InlineUnit:
    """One segment and how to write it back into the document text."""

    id: str
    context: str
    text: str
    start: int
    end: int
    #: tag id -> the delimiters of a paired tag; the source markup (or a Literal, text
    #: that looks like a tag) of an isolated one.
    payloads: dict[int, DelimiterPair | Literal | str] = field(default_factory=dict)
    breaks: list[str] = field(default_factory=list)
    #: "block" (a paragraph's lines: escape block markers at line starts), "line"
    #: (headings, titles: one line), "cell" (table cell: also escape "|"), "title"
    #: (link title inside quotes), "front matter" (rendered by frontmatter.py).
    kind: str = "block"
    titles: list["InlineUnit"] = field(default_factory=list)
    quote: str = ""          # link titles: the delimiter, '"', "'" or "("
    extra: Any = None        # front matter: how the value is quoted

    @property
    def translatable(self) -> bool:
        return has_translatable_text(self.text)


# --- building ------------------------------------------------------------------------

_PROTECT_RE = re.compile(
    r"https?://[^\s<>()\[\]{}\"'`]*[^\s<>()\[\]{}\"'`.,;:!?*_~]"  # bare URLs
    r"|\{\{.*?\}\}"                                           # Vue/Jinja interpolation
)


def is_verbatim(payload: str) -> bool:
    """An isolated tag's source that is code: an inline code span or a bare URL."""
    return payload.startswith("`") or _is_url(payload)


def _is_url(payload: str) -> bool:
    return payload.startswith("http") and bool(_PROTECT_RE.fullmatch(payload))


@dataclass
class _Mark:
    start: int
    end: int
    kind: str                 # "open", "close", "iso"
    pair: DelimiterPair | None = None
    name: str = "g"


def build_unit(
    content: str,
    smap: SourceMap,
    text: str,
    env: dict[str, Any],
    *,
    uid: str,
    context: str,
    kind: str = "block",
    extra_iso: tuple[tuple[int, int], ...] = (),
) -> InlineUnit:
    """Parse ``content`` (an inline source located by ``smap`` in ``text``) into a unit."""
    tokens, rec = parse_inline(content, env)
    unit = InlineUnit(uid, context, "", smap.at(0), smap.at(len(content)), kind=kind)
    marks = _marks(content, smap, text, tokens, rec, unit)
    marks += [_Mark(s, e, "iso") for s, e in extra_iso if not _overlaps(marks, s, e)]
    marks.sort(key=lambda m: (m.start, m.end))
    for prev, cur in zip(marks, marks[1:]):
        if cur.start < prev.end:
            raise UnitError("overlapping inline markup")
    _fill(unit, content, smap, text, marks)
    return unit


def _overlaps(marks: list[_Mark], start: int, end: int) -> bool:
    return any(m.start < end and start < m.end for m in marks)


def _fill(unit: InlineUnit, content: str, smap: SourceMap, text: str, marks: list[_Mark]) -> None:
    b = SegmentBuilder()
    ids: dict[int, int] = {}
    pos = 0
    try:
        for m in marks:
            _emit_text(b, unit, content, smap, text, pos, m.start)
            if m.kind == "open":
                ids[id(m.pair)] = b.open(m.pair, name=m.name)
            elif m.kind == "close":
                b.close(ids[id(m.pair)])
            else:
                b.isolated(text[smap.at(m.start) : smap.at(m.end)])
            pos = m.end
        _emit_text(b, unit, content, smap, text, pos, len(content))
        unit.text = b.build()
    except (ValueError, KeyError) as exc:
        raise UnitError(f"inline markup does not nest: {exc}") from exc
    unit.payloads = b.payloads


def _emit_text(
    b: SegmentBuilder, unit: InlineUnit, content: str, smap: SourceMap, text: str, a: int, z: int
) -> None:
    """Text between markup: line breaks become "\\n" (or a hard-break tag), the rest text."""
    pos = a
    nl = content.find("\n", a, z)
    while nl >= 0:
        before = nl
        while before > pos and content[before - 1] == " ":
            before -= 1
        after = nl + 1
        while after < z and content[after] in " \t":
            after += 1
        _emit_plain(b, content, smap, text, pos, before)
        src = text[smap.at(before) : smap.at(after)]
        if nl - before >= 2:
            b.isolated(src)  # two trailing spaces: a hard break
        else:
            b.text("\n")
            unit.breaks.append(src)
        pos = after
        nl = content.find("\n", pos, z)
    _emit_plain(b, content, smap, text, pos, z)


def _emit_plain(b: SegmentBuilder, content: str, smap: SourceMap, text: str, a: int, z: int) -> None:
    pos = a
    for m in _PROTECT_RE.finditer(content, a, z):
        b.text(content[pos : m.start()])
        b.isolated(text[smap.at(m.start()) : smap.at(m.end())])
        pos = m.end()
    b.text(content[pos:z])


_PAIR_TYPES = {
    "em_open": "em", "em_close": "em",
    "strong_open": "strong", "strong_close": "strong",
    "s_open": "s", "s_close": "s",
}
_TEXT_RULES = {"text", "newline", "emphasis", "strikethrough"}


def _marks(
    content: str, smap: SourceMap, text: str, tokens: list[Token], rec: Recorder, unit: InlineUnit
) -> list[_Mark]:
    marks: list[_Mark] = []
    for r in rec.records:
        if r.rule in _TEXT_RULES:
            continue
        if r.rule == "link" and r.label_end > r.start + 1:
            marks += _link_marks(content, smap, text, r.start + 1, r.label_end, r.end, unit, "a")
        elif r.rule == "image" and has_translatable_text(content[r.start + 2 : r.label_end]):
            marks += _link_marks(content, smap, text, r.start + 2, r.label_end, r.end, unit, "g")
        elif r.tokens:
            marks.append(_Mark(r.start, r.end, "iso"))
    marks += _delimiter_marks(content, smap, text, tokens, rec)
    return marks


def _delimiter_marks(
    content: str, smap: SourceMap, text: str, tokens: list[Token], rec: Recorder
) -> list[_Mark]:
    marks: list[_Mark] = []
    stacks: dict[str, list[tuple[int, int]]] = {}
    for tok in tokens:
        family = _PAIR_TYPES.get(tok.type)
        span = rec.delimiter_spans.get(id(tok))
        if family is None or span is None:
            continue
        start, end = span
        if family == "strong":
            start, end = (start - 1, end) if tok.nesting == 1 else (start, end + 1)
        if content[start:end] != tok.markup:
            raise UnitError(f"cannot place {tok.markup!r} in the source")
        if tok.nesting == 1:
            stacks.setdefault(family, []).append((start, end))
            continue
        o_start, o_end = stacks[family].pop()
        pair = DelimiterPair(text[smap.at(o_start) : smap.at(o_end)], text[smap.at(start) : smap.at(end)])
        marks += [_Mark(o_start, o_end, "open", pair), _Mark(start, end, "close", pair)]
    return marks


def _link_marks(
    content: str, smap: SourceMap, text: str,
    label_start: int, label_end: int, end: int, unit: InlineUnit, name: str,
) -> list[_Mark]:
    """``[`` or ``![`` opens the pair; ``](dest "title")`` / ``][ref]`` / ``]`` closes it."""
    def src(a: int, z: int) -> str:
        return text[smap.at(a) : smap.at(z)]

    tail = content[label_end:end]
    close = LinkClose(src(label_end, end), "", inner_source=src(label_start, label_end))
    if tail in ("]", "[]", "][]"):
        close.ref_label = src(label_start, label_end)
    elif tail.startswith("]("):
        span = _title_span(content, label_end + 2, end)
        if span is not None:
            t_start, t_end = span
            title = _title_unit(content, smap, text, t_start, t_end, unit, len(unit.titles) + 1)
            if title is not None:
                unit.titles.append(title)
                close = LinkClose(
                    src(label_end, t_start), src(t_end, end), title, inner_source=close.inner_source
                )
    open_start = label_start - (2 if name == "g" else 1)
    pair = DelimiterPair(src(open_start, label_start), close)
    return [_Mark(open_start, label_start, "open", pair, name), _Mark(label_end, end, "close", pair, name)]


def _title_span(content: str, pos: int, end: int) -> tuple[int, int] | None:
    """Where the title's text sits inside ``(dest "title")``, quotes excluded."""
    while pos < end and content[pos] in " \t\n":
        pos += 1
    dest = parseLinkDestination(content, pos, end)
    if not dest.ok:
        return None
    pos = dest.pos
    gap = pos
    while pos < end and content[pos] in " \t\n":
        pos += 1
    if pos == gap:
        return None
    title = parseLinkTitle(content, pos, end)
    if not title.ok:
        return None
    return pos + 1, title.pos - 1


_BACKSLASH_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _title_unit(
    content: str, smap: SourceMap, text: str, start: int, end: int, parent: InlineUnit, n: int
) -> InlineUnit | None:
    raw = content[start:end]
    if not has_translatable_text(raw) or "\n" in raw:
        return None
    b = SegmentBuilder()
    b.text(_BACKSLASH_ESCAPE_RE.sub(r"\1", raw))
    return InlineUnit(
        f"{parent.id}.t{n}", "link title", b.build(), smap.at(start), smap.at(end),
        payloads=b.payloads, kind="title", quote=content[start - 1],
    )


def title_unit(raw: str, start: int, end: int, quote: str, uid: str) -> InlineUnit:
    """A reference definition's title (``[foo]: /url "raw"``), ``text[start:end]`` = ``raw``."""
    b = SegmentBuilder()
    b.text(_BACKSLASH_ESCAPE_RE.sub(r"\1", raw))
    return InlineUnit(uid, "link title", b.build(), start, end, payloads=b.payloads, kind="title", quote=quote)


# --- rendering -----------------------------------------------------------------------

_ESCAPABLE = "*_`[]<~$"
#: What a line may not start with: list items, headings, quotes, setext underlines,
#: thematic breaks, fences, HTML blocks, containers, admonitions, math blocks.
_LINE_START_RE = re.compile(
    r"(?:[-+*]|#{1,6})(?:[ \t]|$)|>|[=-]+[ \t]*$|([-*_])[ \t]*(?:\1[ \t]*){2,}$"
    r"|`{3}|~{3}|<[A-Za-z/!?]|:{3}|!{3}|\${2}"
)
_CLOSING_HASHES_RE = re.compile(r"(^|[ \t])(#+[ \t]*)$")
_BREAK_RE = re.compile(r"[ \t]*\n[ \t\n]*")
_ORDERED_RE = re.compile(r"(\d{1,9})([.)])(?=\s|$)")


def changed(unit: InlineUnit, translations: Mapping[str, str]) -> bool:
    return translations.get(unit.id, unit.text) != unit.text


def render_title(unit: InlineUnit, translations: Mapping[str, str], text: str) -> str:
    """A link title's bytes: the source when unchanged, else the translation escaped."""
    if not changed(unit, translations):
        return text[unit.start : unit.end]
    value = _plain(unit, translations[unit.id]).replace("\n", " ")
    closer = ")" if unit.quote == "(" else unit.quote
    value = re.sub(r"\\(?=[!-/:-@\[-`{-~])", r"\\\\", value)
    for ch in {unit.quote, closer}:
        value = value.replace(ch, "\\" + ch)
    return value


def _plain(unit: InlineUnit, translation: str) -> str:
    """A tag-free unit's translation as text (literal tag-looking text restored)."""
    return text_with_literals(translation, unit.payloads)


def render(unit: InlineUnit, translations: Mapping[str, str], text: str, level: int = 0,
           extra_escapes: str = "") -> str:
    """The bytes that replace ``text[unit.start:unit.end]``.

    ``level`` is how hard to work at keeping emphasis delimiters valid (see
    :func:`_respace`); the document raises it for a unit whose markup did not survive.
    """
    translation = translations.get(unit.id, unit.text)
    if unit.text.strip() == unit.text:
        translation = translation.strip()
    r = _Renderer(unit, translations, text, _escape_set(unit, translation, extra_escapes))
    for tok in _respace(parse(translation), unit, level):
        r.token(tok)
    out = "".join(r.out)
    if unit.kind == "line":
        # "Learn C #" would lose its "#" to an ATX heading's closing sequence.
        out = _CLOSING_HASHES_RE.sub(r"\1\\\2", out)
    return out


MAX_LEVEL = 2
_URL_END = set(".,;:!?)]}>'\"*_~`<")
_DELIMITERS_RE = re.compile(r"[*_~]+")


def _respace(tokens: list[Any], unit: InlineUnit, level: int) -> list[Any]:
    """Move what keeps ``**`` from opening or closing to outside the pair.

    CommonMark only reads ``**x**`` as emphasis when the delimiters are "flanking":
    no whitespace just inside, and punctuation just inside only when whitespace or
    punctuation is just outside. Models put spaces inside tags (level 0 moves them
    out), CJK text puts "：" or "“" inside with a letter outside (level 1 moves edge
    punctuation out) and has no spaces around (level 2 adds one).
    """
    toks = list(tokens)
    emphasis = {
        num for num, p in unit.payloads.items()
        if isinstance(p, DelimiterPair) and isinstance(p.close, str) and _DELIMITERS_RE.fullmatch(p.open)
    }
    i = 0
    while i < len(toks):
        tok = toks[i]
        if isinstance(tok, Open) and tok.id in emphasis and _is_text(toks, i + 1):
            inner = toks[i + 1].text
            k = _edge(inner, level, lead=True)
            if 0 < k and (k < len(inner) or not isinstance(toks[i + 2], Close)):
                toks[i + 1] = Text(inner[k:])
                toks.insert(i, Text(inner[:k]))
                i += 1
        elif isinstance(tok, Close) and tok.id in emphasis and _is_text(toks, i - 1):
            inner = toks[i - 1].text
            k = _edge(inner, level, lead=False)
            if 0 < k and (k < len(inner) or not isinstance(toks[i - 2], Open)):
                toks[i - 1] = Text(inner[: len(inner) - k])
                toks.insert(i + 1, Text(inner[len(inner) - k :]))
        i += 1
    return _pad(toks, emphasis) if level >= 2 else toks


def _is_text(toks: list[Any], i: int) -> bool:
    return 0 <= i < len(toks) and isinstance(toks[i], Text)


def _edge(s: str, level: int, lead: bool) -> int:
    chars = s if lead else reversed(s)
    n = 0
    for c in chars:
        if not (c.isspace() or (level >= 1 and unicodedata.category(c)[0] in "PS")):
            break
        n += 1
    return n


def _pad(toks: list[Any], emphasis: set[int]) -> list[Any]:
    for i, tok in enumerate(toks):
        if isinstance(tok, Open) and tok.id in emphasis and _is_text(toks, i - 1):
            prev = toks[i - 1].text
            if prev and not prev[-1].isspace():
                toks[i - 1] = Text(prev + " ")
        elif isinstance(tok, Close) and tok.id in emphasis and _is_text(toks, i + 1):
            nxt = toks[i + 1].text
            if nxt and not nxt[0].isspace():
                toks[i + 1] = Text(" " + nxt)
    return toks


def _escape_set(unit: InlineUnit, translation: str, extra: str = "") -> str:
    """Markup characters the translation has more of than the source: escape them
    (``extra``: the dialect's own, MDX's braces)."""
    src, dst = plain_text(unit.text), plain_text(translation)
    chars = "".join(c for c in _ESCAPABLE + extra if dst.count(c) > src.count(c))
    return chars + ("|" if unit.kind == "cell" else "")


class _Renderer:
    def __init__(self, unit: InlineUnit, translations: Mapping[str, str], text: str, escape: str):
        self.unit, self.translations, self.text = unit, translations, text
        self.escape_re = re.compile(f"(?<!\\\\)([{re.escape(escape)}])") if escape else None
        self.out: list[str] = []
        self.breaks_used = 0
        self.line_start = unit.kind == "block"
        self.link_starts: dict[int, int] = {}
        self.after_url = False

    def token(self, tok: SegmentToken) -> None:
        if isinstance(tok, Text):
            self.text_run(tok.text)
            return
        payload = self.unit.payloads.get(tok.id)    # a checked translation has the source's tags
        if isinstance(tok, (Open, Close)):
            if not isinstance(payload, DelimiterPair):
                raise TypeError(f"tag {tok.id} does not match its source markup ({payload!r})")
            if isinstance(tok, Open):
                self.line_start = False
                self.out.append(payload.open)
                self.link_starts[tok.id] = len(self.out)
            else:
                self.out.append(self.close(payload.close, tok.id))
        elif isinstance(payload, Literal):
            self.text_run(payload.text, escape=False)
        elif isinstance(payload, str):
            self.isolated(payload)
        else:
            raise TypeError(f"tag {tok.id} does not match its source markup ({payload!r})")

    def isolated(self, payload: str) -> None:
        # Two code spans the translation put side by side would merge into one
        # ("`a``b`"): keep them apart.
        if payload.startswith("`") and self.out and self.out[-1].endswith("`"):
            self.out.append(" ")
        is_url = _is_url(payload)
        # GFM only links a bare URL that follows whitespace or punctuation.
        if is_url and self.out and self.out[-1][-1:].isalnum():
            self.out.append(" ")
        self.line_start = False
        self.out.append(payload)
        self.after_url = is_url

    def close(self, close: str | LinkClose, tag: int) -> str:
        if isinstance(close, str):
            return close
        body = close.before_title
        if close.title is not None:
            body += render_title(close.title, self.translations, self.text) + close.after_title
        inner = "".join(self.out[self.link_starts.get(tag, len(self.out)) :])
        if close.ref_label is not None and inner != close.inner_source:
            return f"][{close.ref_label}]"
        return body

    def text_run(self, s: str, escape: bool = True) -> None:
        # No blank line (it would end the paragraph), no trailing blanks before a break
        # (two of them would make a hard break).
        s = _BREAK_RE.sub("\n", s)
        for k, part in enumerate(s.split("\n")):
            if k:
                self.line_break()
            if self.line_start:
                part = part.lstrip(" \t")
            if escape and self.escape_re is not None:
                part = self.escape_re.sub(r"\\\1", part)
            if self.line_start and part:
                part = _escape_line_start(part)
            if part:
                if self.after_url and not _ends_url(part):
                    part = " " + part  # else the text would read as part of the URL
                self.line_start = self.after_url = False
                self.out.append(part)

    def line_break(self) -> None:
        breaks = self.unit.breaks
        if not breaks:
            self.out.append(" ")
            return
        self.out.append(breaks[min(self.breaks_used, len(breaks) - 1)])
        self.breaks_used += 1
        self.line_start = True


def _ends_url(after: str) -> bool:
    """Whether text right after a bare URL leaves the URL where it was."""
    if after[0].isspace():
        return True
    return after[0] in _URL_END and (len(after) == 1 or after[1].isspace())


def _escape_line_start(part: str) -> str:
    """Keep a translated line from starting a heading, list, quote, fence or HTML block."""
    if part.startswith("\\"):
        return part
    m = _ORDERED_RE.match(part)
    if m:
        return f"{m.group(1)}\\{part[m.end(1):]}"
    if _LINE_START_RE.match(part):
        return "\\" + part
    return part


_ESCAPE_PAYLOAD_RE = re.compile(r"\\[!-/:-@\[-`{-~]")


def markup_signature(unit: InlineUnit) -> Counter[tuple[str, str, str]]:
    """The markup a unit holds, by source bytes, ignoring order and backslash escapes.

    A rebuilt unit must hold the same markup as its source: if it does not, a
    translated character combined with a tag into something else (CJK punctuation
    next to ``**`` stops it from closing emphasis, for one). Escapes are left out
    because rendering adds them on purpose; link titles because they are translated.
    """
    out: Counter[tuple[str, str, str]] = Counter()
    for payload in unit.payloads.values():
        if isinstance(payload, DelimiterPair):
            out[("pair", payload.open, _close_repr(payload.close))] += 1
        elif isinstance(payload, str) and not _ESCAPE_PAYLOAD_RE.fullmatch(payload):
            out[("iso", payload, "")] += 1
    return out


def _close_repr(close: str | LinkClose) -> str:
    if isinstance(close, str):
        return close
    if close.ref_label is not None:
        return f"][{close.ref_label}]"
    return close.before_title + ("\x00" if close.title else "") + close.after_title
