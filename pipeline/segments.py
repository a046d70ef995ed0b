"""Segments: the unit every format hands to the engine, with inline placeholder tags.

A segment is one block of running text (a paragraph, a heading, a table cell) in which
everything that is not translatable text has been replaced by a tag:

    <g1>…</g1>   a paired span of formatting (bold, emphasis, a styled run)
    <a2>…</a2>   a paired hyperlink span (the link text is translated, the target is not)
    <x3/>        an isolated element (inline code, a tab, a field, a footnote reference)

Ids are unique within a segment and map back to whatever the format recorded for them
(run properties, the source bytes of a Markdown delimiter, an lxml element), never to a
position, so a span that the translation moves keeps its formatting.

Source text that happens to look like a tag is itself turned into an isolated tag
(carrying a :class:`Literal`), so tags in a segment are never ambiguous and no escaping
is needed in the text the model sees.

This module is shared by all formats: :class:`SegmentBuilder` builds the tagged text
during extraction, :func:`parse` reads a translation back during rebuild, and
:func:`check_translation` validates (and repairs small damage in) what the engine
returned before any format sees it.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator, Union

TAG_RE = re.compile(r"<(/?)([gax])(\d+)(/?)>")
PAIRED_NAMES = ("g", "a")
ISOLATED_NAME = "x"


@dataclass(frozen=True, slots=True)
class Segment:
    """One translatable unit of a document.

    ``id`` is stable for the same source document (formats derive it from the walk
    position), ``text`` is the source with inline tags, ``context`` says where the
    segment sits ("heading", "table cell", "footnote") for reports.
    """

    id: str
    text: str
    context: str = ""


@dataclass(frozen=True, slots=True)
class Literal:
    """Payload of an isolated tag standing for source text that looked like a tag."""

    text: str


# --- tokens -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Open:
    name: str
    id: int


@dataclass(frozen=True, slots=True)
class Close:
    name: str
    id: int


@dataclass(frozen=True, slots=True)
class Isolated:
    name: str
    id: int


Token = Union[Text, Open, Close, Isolated]


class TagError(ValueError):
    """A segment's tags are malformed (bad nesting, unknown closing tag, duplicates)."""


def tokenize(text: str) -> list[Token]:
    """Split tagged text into tokens without checking nesting."""
    tokens: list[Token] = []
    pos = 0
    for m in TAG_RE.finditer(text):
        if m.start() > pos:
            tokens.append(Text(text[pos : m.start()]))
        closing, name, num, selfclose = m.group(1), m.group(2), int(m.group(3)), m.group(4)
        if name == ISOLATED_NAME:
            if closing or not selfclose:
                # "<x3>" or "</x3>" are damage, reported by parse(); keep the token.
                tokens.append(Close(name, num) if closing else Open(name, num))
            else:
                tokens.append(Isolated(name, num))
        elif selfclose:
            tokens.append(Isolated(name, num))
        elif closing:
            tokens.append(Close(name, num))
        else:
            tokens.append(Open(name, num))
        pos = m.end()
    if pos < len(text):
        tokens.append(Text(text[pos:]))
    return tokens


def parse(text: str) -> list[Token]:
    """Tokenize and check well-formedness: proper nesting, each id used once."""
    tokens = tokenize(text)
    stack: list[Open] = []
    seen: set[tuple[str, int]] = set()
    for tok in tokens:
        if isinstance(tok, Text):
            continue
        if isinstance(tok, Isolated):
            if tok.name != ISOLATED_NAME:
                raise TagError(f"<{tok.name}{tok.id}/> should be a paired tag")
            _claim(seen, tok.name, tok.id)
        elif isinstance(tok, Open):
            if tok.name == ISOLATED_NAME:
                raise TagError(f"<x{tok.id}> should be isolated (<x{tok.id}/>)")
            _claim(seen, tok.name, tok.id)
            stack.append(tok)
        else:
            if not stack or (stack[-1].name, stack[-1].id) != (tok.name, tok.id):
                raise TagError(f"</{tok.name}{tok.id}> closes nothing open")
            stack.pop()
    if stack:
        raise TagError(f"<{stack[-1].name}{stack[-1].id}> is never closed")
    return tokens


def _claim(seen: set[tuple[str, int]], name: str, num: int) -> None:
    if (name, num) in seen:
        raise TagError(f"tag {name}{num} appears twice")
    seen.add((name, num))


def tag_ids(text: str) -> Counter[tuple[str, int, str]]:
    """The multiset of tags in ``text`` as (name, id, kind) with kind open/close/isolated."""
    out: Counter[tuple[str, int, str]] = Counter()
    for tok in tokenize(text):
        if isinstance(tok, Open):
            out[(tok.name, tok.id, "open")] += 1
        elif isinstance(tok, Close):
            out[(tok.name, tok.id, "close")] += 1
        elif isinstance(tok, Isolated):
            out[(tok.name, tok.id, "isolated")] += 1
    return out


def text_with_literals(text: str, payloads: dict[int, Any]) -> str:
    """A translation as plain text for places that hold no markup (front matter values,
    document properties): tags dropped, literal tag-looking source text restored."""
    out = []
    for tok in tokenize(text):
        if isinstance(tok, Text):
            out.append(tok.text)
        elif isinstance(tok, Isolated) and isinstance(payloads.get(tok.id), Literal):
            out.append(payloads[tok.id].text)
    return "".join(out)


def plain_text(text: str) -> str:
    """The text with every tag removed: what a reader sees, less the non-text elements."""
    return TAG_RE.sub("", text)


_WORDISH = re.compile(r"[^\W\d_]", re.UNICODE)


def has_translatable_text(text: str) -> bool:
    """True when the segment holds at least one letter outside its tags.

    Segments of only numbers, punctuation, whitespace or tags are kept as they are
    and never sent: there is nothing to translate and it would cost a request.
    """
    return bool(_WORDISH.search(plain_text(text)))


# --- building ----------------------------------------------------------------------

# Interpolation placeholders of UI strings, which a translation must carry over as they
# are: Mustache/i18next {{name}}, template ${name}, ICU/.NET/Python-format simple
# arguments {0} {count}, Python %(name)s, printf %s %1$d %.2f %@, and inline HTML tags.
# The space flag of printf is left out on purpose: "50% off" is prose, not "% o".
PLACEHOLDER_RE = re.compile(
    r"""\{\{[^{}]+\}\}
      | \$\{[^{}]+\}
      | \{[A-Za-z0-9_.]+\}
      | %\([A-Za-z_][A-Za-z0-9_]*\)[-\#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]
      | %(?:\d+\$)?[-\#0+]*\d*(?:\.\d+)?(?:l{0,2}|h{0,2})[diouxXeEfFgGcsp@]
      | </?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>
    """,
    re.VERBOSE,
)


@dataclass
class SegmentBuilder:
    """Builds a tagged segment during a format's walk.

    ``payloads`` maps each tag id to what the format needs to rebuild it. Literal
    tag-looking source text becomes an isolated tag with a :class:`Literal` payload.
    """

    parts: list[str] = field(default_factory=list)
    payloads: dict[int, Any] = field(default_factory=dict)
    _next: int = 1
    _open: list[tuple[str, int]] = field(default_factory=list)

    def text(self, s: str, protect: re.Pattern[str] | None = None) -> None:
        """Append source text; matches of ``protect`` (e.g. :data:`PLACEHOLDER_RE`) and
        anything that looks like one of our tags become isolated :class:`Literal` tags."""
        if protect is not None:
            pos = 0
            for m in protect.finditer(s):
                self.text(s[pos : m.start()])
                self.isolated(Literal(m.group(0)))
                pos = m.end()
            s = s[pos:]
        pos = 0
        for m in TAG_RE.finditer(s):
            self.parts.append(s[pos : m.start()])
            self.isolated(Literal(m.group(0)))
            pos = m.end()
        self.parts.append(s[pos:])

    def open(self, payload: Any, name: str = "g") -> int:
        if name not in PAIRED_NAMES:
            raise ValueError(f"paired tag name must be one of {PAIRED_NAMES}")
        num = self._alloc(payload)
        self._open.append((name, num))
        self.parts.append(f"<{name}{num}>")
        return num

    def close(self, num: int) -> None:
        if not self._open or self._open[-1][1] != num:
            raise ValueError(f"closing tag {num} out of order")
        name, _ = self._open.pop()
        self.parts.append(f"</{name}{num}>")

    def isolated(self, payload: Any) -> int:
        num = self._alloc(payload)
        self.parts.append(f"<x{num}/>")
        return num

    def _alloc(self, payload: Any) -> int:
        num = self._next
        self._next += 1
        self.payloads[num] = payload
        return num

    def build(self) -> str:
        if self._open:
            raise ValueError("segment built with unclosed tags")
        return "".join(self.parts)


# --- validating what the engine returned --------------------------------------------

# Variants models produce for "<g1>": spaces inside, full-width brackets, upper case,
# a space before the slash, "<x1>" for "<x1/>".
_LOOSE_TAG_RE = re.compile(
    r"[<＜]\s*(/?)\s*([gaxGAX])\s*(\d+)\s*(/?)\s*[>＞]"
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of validating one translation: ``text`` to use, whether it was repaired."""

    text: str
    repaired: bool = False


class PlaceholderError(ValueError):
    """A translation whose tags cannot be trusted even after repair."""


def check_translation(source: str, target: str) -> CheckResult:
    """Validate ``target`` against ``source``; repair small damage or raise.

    Checks: not empty where the source has text; well-formed; the same multiset of
    tags as the source (none dropped, none invented, none duplicated). Repairs:
    loose tag spellings and isolated tags written as open tags.
    """
    if has_translatable_text(source) and not plain_text(target).strip():
        raise PlaceholderError("translation is empty")
    problem = _problem(source, target)
    if problem is None:
        return CheckResult(target)
    repaired = _repair(source, target)
    if repaired != target and _problem(source, repaired) is None:
        if has_translatable_text(source) and not plain_text(repaired).strip():
            raise PlaceholderError("translation is empty")
        return CheckResult(repaired, repaired=True)
    raise PlaceholderError(problem)


def _problem(source: str, target: str) -> str | None:
    try:
        target_tokens = parse(target)
    except TagError as exc:
        return str(exc)
    want, got = tag_ids(source), tag_ids(target)
    if want == got:
        return _emptied_span(source, target_tokens)
    missing = want - got
    extra = got - want
    bits = []
    if missing:
        bits.append("missing " + ", ".join(_fmt(k) for k in sorted(missing, key=_order)))
    if extra:
        bits.append("unexpected " + ", ".join(_fmt(k) for k in sorted(extra, key=_order)))
    return "; ".join(bits)


def _emptied_span(source: str, target_tokens: list[Token]) -> str | None:
    """A formatting or link span that wraps text in the source must not come back empty:
    "<g1>Note:</g1>" translated as "<g1></g1> Remarque :" would lose the bold word."""
    try:
        had = _span_text(parse(source))
    except TagError:
        return None
    has = _span_text(target_tokens)
    for (name, num), text in had.items():
        if text.strip() and not has.get((name, num), "").strip():
            return f"<{name}{num}> lost its text"
    return None


def _span_text(tokens: list[Token]) -> dict[tuple[str, int], str]:
    """The text inside each paired tag (nested spans count for their parents too)."""
    inside: dict[tuple[str, int], str] = {}
    stack: list[tuple[str, int]] = []
    for tok in tokens:
        if isinstance(tok, Open):
            stack.append((tok.name, tok.id))
            inside.setdefault((tok.name, tok.id), "")
        elif isinstance(tok, Close):
            if stack:
                stack.pop()
        elif isinstance(tok, Text):
            for key in stack:
                inside[key] += tok.text
    return inside


def _order(key: tuple[str, int, str]) -> tuple[int, int]:
    return key[1], ("open", "isolated", "close").index(key[2])


def _fmt(key: tuple[str, int, str]) -> str:
    name, num, kind = key
    return {"open": f"<{name}{num}>", "close": f"</{name}{num}>"}.get(kind, f"<{name}{num}/>")


def _repair(source: str, target: str) -> str:
    want = tag_ids(source)
    isolated = {(n, i) for (n, i, k) in want if k == "isolated"}

    def fix(m: re.Match[str]) -> str:
        closing, name, num, selfclose = m.group(1), m.group(2).lower(), int(m.group(3)), m.group(4)
        if (name, num) in isolated:
            return f"<{name}{num}/>"
        if selfclose and not closing:
            return f"<{name}{num}/>"
        return f"<{'/' if closing else ''}{name}{num}>"

    repaired = _LOOSE_TAG_RE.sub(fix, unicodedata.normalize("NFC", target))
    # "<x3/>" written twice for one source occurrence: keep the first.
    return _dedupe_isolated(repaired, want)


def _dedupe_isolated(text: str, want: Counter[tuple[str, int, str]]) -> str:
    seen: Counter[tuple[str, int, str]] = Counter()

    def keep(m: re.Match[str]) -> str:
        if m.group(1) or not m.group(4):
            return m.group(0)
        key = (m.group(2), int(m.group(3)), "isolated")
        seen[key] += 1
        return m.group(0) if seen[key] <= max(want[key], 1) else ""

    return TAG_RE.sub(keep, text)


def iter_text_runs(tokens: list[Token]) -> Iterator[tuple[tuple[int, ...], Token]]:
    """Yield each token with the stack of paired tag ids open around it.

    Formats that rebuild runs (DOCX) need, for every piece of text, the formatting
    spans enclosing it; this walks the token list once and hands both over.
    """
    stack: list[int] = []
    for tok in tokens:
        if isinstance(tok, Open):
            stack.append(tok.id)
            yield tuple(stack), tok
        elif isinstance(tok, Close):
            yield tuple(stack), tok
            if stack and stack[-1] == tok.id:
                stack.pop()
        else:
            yield tuple(stack), tok
