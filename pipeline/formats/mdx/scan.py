"""Where an MDX file's ESM, JSX and expressions are, and the masked text Markdown reads.

MDX is Markdown plus three constructs the engine must never see: ESM (``import`` /
``export`` blocks), JSX tags (``<Tabs>``, ``<img src={x} />``) and ``{expressions}``.
This scanner finds them by their own syntax (balanced braces, JS strings and comments,
tag attributes), skipping fenced code and code spans, and builds a *view* of the file
of the same length and line structure in which

* ESM blocks, and JSX or expressions alone on their lines ("flow", MDX's block level),
  are blanked: the Markdown between ``<Admonition>`` and ``</Admonition>`` then reads as
  the paragraphs MDX reads it as;
* JSX and expressions inside a line of text are turned into HTML tags of the same
  length (``<x  >``, ``</x >``, ``<x xx/>``), which the Markdown walk already keeps as
  tags holding the source's bytes.

Offsets in the view are offsets in the source, so the Markdown splice works unchanged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

ESM = "esm"
JSX = "jsx"
EXPRESSION = "expression"

_FENCE_RE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_DIRECTIVE_RE = re.compile(r"[ \t]*:{3,}")
_ESM_RE = re.compile(r"(?:import|export)[ \t{*]")
_NAME_RE = re.compile(r"[A-Za-z_$][\w$-]*(?:[.:][A-Za-z_$][\w$-]*)*")
_ATTR_RE = re.compile(r"[A-Za-z_$][\w$:-]*")


@dataclass(frozen=True)
class Prop:
    """A JSX attribute with a string value: ``text[start:end]`` is the value, quotes excluded."""

    element: str
    name: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Span:
    """One ESM block, JSX tag or expression: ``text[start:end]``."""

    kind: str
    start: int
    end: int
    element: str = ""               # JSX: the element's name ("" for a fragment)
    closing: bool = False           # JSX: ``</Name>``
    props: tuple[Prop, ...] = ()


@dataclass
class MdxScan:
    """The constructs of one MDX text, in order, and the view Markdown reads."""

    spans: list[Span] = field(default_factory=list)
    view: str = ""


def scan(text: str, start: int = 0) -> MdxScan:
    """Find ESM, JSX and expressions in ``text`` from ``start`` (after front matter)."""
    spans = _MdxScanner(text, start).run()
    return MdxScan(spans, _mask(text, spans))


class _MdxScanner:
    def __init__(self, text: str, start: int):
        self.text, self.pos = text, start
        self.spans: list[Span] = []

    def run(self) -> list[Span]:
        text = self.text
        fence = ""
        prev_blank = True
        while self.pos < len(text):
            line_end = _line_end(text, self.pos)
            line = text[self.pos:line_end]
            m = _FENCE_RE.match(line)
            if fence:
                if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line[m.end():].strip():
                    fence = ""
                self.pos = _next_line(text, line_end)
                continue
            if m and (m.group(1)[0] == "~" or "`" not in line[m.end():]):
                fence = m.group(1)
                self.pos = _next_line(text, line_end)
                prev_blank = False
                continue
            if prev_blank and _ESM_RE.match(line):
                self._esm()
                prev_blank = True
                continue
            prev_blank = not line.strip()
            if _DIRECTIVE_RE.match(line):
                # ":::tip[Title]{icon="heart"}": a directive's braces hold attributes, not an expression.
                self.pos = _next_line(text, line_end)
                continue
            self._line(line_end)
        return self.spans

    def _esm(self) -> None:
        """An ESM block: from its ``import``/``export`` line to the next blank line."""
        text, start = self.text, self.pos
        end = start
        while end < len(text):
            line_end = _line_end(text, end)
            if not text[end:line_end].strip() and _balanced(text[start:end]):
                break   # a blank line ends the block unless a bracket is still open
            end = _next_line(text, line_end)
        stop = end
        while stop > start and text[stop - 1] in "\r\n":
            stop -= 1
        self.spans.append(Span(ESM, start, stop))
        self.pos = end

    def _line(self, line_end: int) -> None:
        """The constructs starting on this line (one may run past its end)."""
        text = self.text
        while self.pos < line_end:
            ch = text[self.pos]
            if ch == "\\":
                self.pos = min(self.pos + 2, line_end)
            elif ch == "`":
                self.pos = _code_span_end(text, self.pos, line_end)
                line_end = max(line_end, _line_end(text, self.pos))
            elif ch == "{":
                end = _expression_end(text, self.pos)
                if end < 0:
                    self.pos += 1
                    continue
                self.spans.append(Span(EXPRESSION, self.pos, end))
                line_end = max(line_end, _line_end(text, end))
                self.pos = end
            elif ch == "<" and self.pos + 1 < len(text) and (text[self.pos + 1].isalpha() or text[self.pos + 1] in "/>_$"):
                span = _tag(text, self.pos)
                if span is None:
                    self.pos += 1
                    continue
                self.spans.append(span)
                line_end = max(line_end, _line_end(text, span.end))
                self.pos = span.end
            else:
                self.pos += 1
        self.pos = _next_line(text, max(line_end, self.pos))


def _balanced(src: str) -> bool:
    """Whether every bracket opened in this JS source (strings and comments aside) is closed."""
    depth, k = 0, 0
    while k < len(src):
        ch = src[k]
        if ch in "'\"`":
            end = _skip_string(src, k)
            if end < 0:
                return ch != "`"   # a template literal may hold blank lines; a quote may not
            k = end
            continue
        if src.startswith("//", k) or src.startswith("/*", k):
            line_comment = src[k + 1] == "/"
            stop = src.find("\n" if line_comment else "*/", k + 2)
            k = len(src) if stop < 0 else stop + (1 if line_comment else 2)
            continue
        depth += (ch in "([{") - (ch in ")]}")
        k += 1
    return depth <= 0


def _line_end(text: str, pos: int) -> int:
    ends = [i for i in (text.find("\n", pos), text.find("\r", pos)) if i >= 0]
    return min(ends) if ends else len(text)


def _next_line(text: str, line_end: int) -> int:
    if text.startswith("\r\n", line_end):
        return line_end + 2
    return min(line_end + 1, len(text)) if line_end < len(text) else len(text)


def _code_span_end(text: str, pos: int, line_end: int) -> int:
    """After the code span opening at ``pos`` (within its paragraph), or after its backticks."""
    run = len(text[pos:]) - len(text[pos:].lstrip("`"))
    ticks = "`" * run
    stop = text.find("\n\n", pos)
    limit = len(text) if stop < 0 else stop
    k = pos + run
    while True:
        k = text.find(ticks, k, limit)
        if k < 0:
            return pos + run
        after = k + run
        if after >= len(text) or text[after] != "`":
            return after
        k = after + 1


def _skip_string(text: str, pos: int) -> int:
    """After the JS string (``'``, ``"`` or template) opening at ``pos``; -1 if unclosed."""
    quote = text[pos]
    k = pos + 1
    while k < len(text):
        ch = text[k]
        if ch == "\\":
            k += 2
            continue
        if ch == quote:
            return k + 1
        if quote == "`" and text.startswith("${", k):
            k = _expression_end(text, k + 1)
            if k < 0:
                return -1
            continue
        if ch == "\n" and quote != "`":
            return -1
        k += 1
    return -1


def _expression_end(text: str, pos: int) -> int:
    """After the balanced ``{...}`` opening at ``pos`` (strings, comments, JSX skipped); -1 if none."""
    depth, k = 0, pos
    while k < len(text):
        ch = text[k]
        if ch in "'\"`":
            k = _skip_string(text, k)
            if k < 0:
                return -1
            continue
        if text.startswith("/*", k):
            k = text.find("*/", k + 2)
            if k < 0:
                return -1
            k += 2
            continue
        if text.startswith("//", k) and (k == 0 or text[k - 1] != ":"):
            k = _line_end(text, k)
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return k + 1
        k += 1
    return -1


def _skip_ws(text: str, k: int) -> int:
    while k < len(text) and text[k] in " \t\r\n":
        k += 1
    return k


def _tag(text: str, pos: int) -> Span | None:
    """The JSX tag at ``pos`` (``<Name attr="v" {...x}>``, ``</Name>``, ``<>``), or None."""
    k = pos + 1
    closing = text.startswith("/", k)
    if closing:
        k = _skip_ws(text, k + 1)
    if text.startswith(">", k):
        return Span(JSX, pos, k + 1, "", closing)
    m = _NAME_RE.match(text, k)
    if m is None:
        return None
    name, k = m.group(0), m.end()
    props: list[Prop] = []
    while k < len(text):
        gap = k
        k = _skip_ws(text, k)
        if text.startswith(">", k):
            return Span(JSX, pos, k + 1, name, closing, tuple(props))
        if text.startswith("/>", k) and not closing:
            return Span(JSX, pos, k + 2, name, closing, tuple(props))
        if closing or k == gap:
            return None     # attributes need a space before them; a closing tag has none
        if text.startswith("{", k):
            k = _expression_end(text, k)
            if k < 0:
                return None
            continue
        a = _ATTR_RE.match(text, k)
        if a is None:
            return None
        k = _skip_ws(text, a.end())
        if not text.startswith("=", k):
            k = a.end()     # a boolean attribute
            continue
        k = _skip_ws(text, k + 1)
        if k < len(text) and text[k] in "\"'":
            end = text.find(text[k], k + 1)
            if end < 0:
                return None
            props.append(Prop(name, a.group(0), k + 1, end, text[k]))
            k = end + 1
        elif text.startswith("{", k):
            k = _expression_end(text, k)
            if k < 0:
                return None
        else:
            return None
    return None


# --- the view ------------------------------------------------------------------------


def _mask(text: str, spans: list[Span]) -> str:
    """The view: flow constructs blanked, inline ones as same-length HTML tags."""
    out = list(text)
    for group in _groups(text, spans):
        first, last = group[0], group[-1]
        if _alone(text, first.start, last.end):
            for k in range(first.start, last.end):
                if out[k] not in "\r\n":
                    out[k] = " "
            continue
        for span in group:
            stand_in = _stand_in(text[span.start:span.end], span)
            if stand_in is None:   # blanked: the paragraph splits there, the bytes stay safe
                stand_in = [ch if ch in "\r\n" else " " for ch in text[span.start:span.end]]
            out[span.start:span.end] = stand_in
    return "".join(out)


def _groups(text: str, spans: list[Span]) -> list[list[Span]]:
    """Runs of constructs on one line separated only by spaces (``<A><B>``)."""
    groups: list[list[Span]] = []
    for span in spans:
        gap = text[groups[-1][-1].end:span.start] if groups else "x"
        if groups and span.kind != ESM and groups[-1][-1].kind != ESM and not gap.strip(" \t"):
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


def _alone(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` has nothing but white space before and after it on its lines."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    return not text[line_start:start].strip() and not text[end:_line_end(text, end)].strip()


def _stand_in(src: str, span: Span) -> list[str] | None:
    """An HTML tag (or, for two characters, an escape) as long as ``src``, its line
    breaks where they were; None when no such stand-in exists (a break right after
    the opening ``{`` or ``<``)."""
    n = len(src)
    if n < 2 or any(ch in "\r\n" for ch in src[:2]):
        return None
    if n == 2:
        body = "\\" + src[1]          # "{}" and "<>": an escape, a tag to the walk
    elif n == 3:
        body = "<x>"
    elif span.kind == JSX and span.closing:
        body = "</x" + " " * (n - 4) + ">"
    else:
        body = "<x" + (" " + "x" * (n - 4) if n > 4 else " ") + ">"
    chars = list(body)
    assert len(chars) == n, (src, body)   # the view keeps every offset
    for k, ch in enumerate(src):
        if ch in "\r\n":
            chars[k] = ch
    return chars
