"""A cue's text as one segment, and a translation back into at most two cue lines.

Extraction joins the cue's lines (a space between them, nothing between two wide CJK
characters) and turns its markup into tags: ``<i>…</i>``, ``<b>``, ``<u>``,
``<c.class>``, ``<lang en>``, ``<ruby>``/``<rt>``, ``<font …>`` become paired tags when
they close inside the cue; an unclosed ``<v Speaker>``, a karaoke timestamp
``<00:01.500>``, an ASS override ``{\\an8}`` become isolated ones. WebVTT character
references (``&amp;``) are read as the characters they stand for and written escaped.
A dialogue cue (every line after the first opens with a dash) keeps its line breaks as isolated tags,
since each line is one speaker's.

Writing breaks the translation at a natural point (after punctuation where one is near
the middle, else the most balanced space, or between two CJK characters) so each line
fits the target script's width where two lines can hold it. Joining the written lines
by the same rule gives the translation back, so a re-read output has the segments that
were written (the lock file and coverage check read outputs back this way).
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from pipeline.segments import Close, Isolated, Literal, Open, SegmentBuilder, Text, parse

MARKUP_RE = re.compile(
    r"""</?[A-Za-z][A-Za-z0-9]*(?:\.[^\s<>.]+)*(?:[ \t][^<>]*)?>   # <i> </i> <c.yellow> <v Roger> <font color="x">
      | <(?:\d+:)?\d{1,2}:\d{2}\.\d{3}>                            # <00:01.500> karaoke timestamp
      | \{\\[^{}]*\}                                              # {\an8} ASS override
    """,
    re.VERBOSE,
)
_NAME_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
_ENTITY_RE = re.compile(r"&(?:[A-Za-z]+|#\d+|#[xX][0-9A-Fa-f]+);")
_DASHES = ("-", "–", "—")
_NEWLINES_RE = re.compile(r"[ \t]*[\r\n]+[ \t]*")  # a translation's line breaks: the writer makes its own
BREAK_AFTER = tuple(".,;:!?…。，、；：！？")


@dataclass(frozen=True)
class Markup:
    """A tag's payload: the source markup it stands for (closing "" when isolated)."""

    open: str
    close: str = ""


@dataclass(frozen=True)
class LineBreak:
    """An isolated tag standing for a dialogue cue's line break."""


def is_wide(c: str) -> bool:
    return unicodedata.east_asian_width(c) in ("W", "F") and not c.isspace()


def visible(s: str) -> str:
    """The characters a viewer sees in raw cue text (markup removed, a character
    reference counted as the one character it shows)."""
    return _ENTITY_RE.sub("&", MARKUP_RE.sub("", s))


def joiner(left: str, right: str) -> str:
    """What stands between two cue lines in the joined text."""
    a, b = visible(left), visible(right)
    return "" if a and b and is_wide(a[-1]) and is_wide(b[0]) else " "


def is_dialogue(lines: list[str]) -> bool:
    """Two speakers or more: every line after the first opens with a dash (the first
    speaker's line has one too, or not, by the house style)."""
    return len(lines) > 1 and all(visible(s).lstrip().startswith(_DASHES) for s in lines[1:])


def build_segment(lines: list[str], vtt: bool) -> tuple[str, dict[int, object]]:
    """The tagged segment text of a cue and its tags' payloads."""
    dialogue = is_dialogue(lines)
    pieces: list[str | LineBreak] = []
    for i, line in enumerate(lines):
        if i:
            pieces.append(LineBreak() if dialogue else joiner(lines[i - 1], line))
        pieces.append(line)
    tokens: list[tuple[str, str] | LineBreak] = []   # ("text"|"markup", s) or a break
    for piece in pieces:
        if isinstance(piece, LineBreak):
            tokens.append(piece)
            continue
        pos = 0
        for m in MARKUP_RE.finditer(piece):
            tokens += [("text", piece[pos:m.start()]), ("markup", m.group(0))]
            pos = m.end()
        tokens.append(("text", piece[pos:]))
    partner = _pairs(tokens)
    b = SegmentBuilder()
    open_ids: dict[int, int] = {}
    for i, tok in enumerate(tokens):
        if isinstance(tok, LineBreak):
            b.isolated(tok)
        elif tok[0] == "text":
            _add_text(b, tok[1], vtt)
        elif i in partner and partner[i] > i:
            closing = tokens[partner[i]]
            assert not isinstance(closing, LineBreak)   # _pairs pairs markup only
            open_ids[partner[i]] = b.open(Markup(tok[1], closing[1]))
        elif i in partner:
            b.close(open_ids.pop(i))
        else:
            b.isolated(Markup(tok[1]))
    return b.build(), b.payloads


def _add_text(b: SegmentBuilder, s: str, vtt: bool) -> None:
    if not vtt:
        b.text(s)
        return
    pos = 0
    for m in _ENTITY_RE.finditer(s):
        b.text(s[pos:m.start()])
        char = html.unescape(m.group(0))
        b.text(char) if char != m.group(0) else b.isolated(Literal(m.group(0)))
        pos = m.end()
    b.text(s[pos:])


def _pairs(tokens: list[tuple[str, str] | LineBreak]) -> dict[int, int]:
    """Opening and closing markup that match and nest inside the cue, both ways."""
    stack: list[tuple[str, int]] = []
    out: dict[int, int] = {}
    for i, tok in enumerate(tokens):
        if isinstance(tok, LineBreak) or tok[0] != "markup" or not tok[1].startswith("<"):
            continue
        m = _NAME_RE.match(tok[1])
        if m is None:
            continue
        name = m.group(1).lower()
        if not tok[1].startswith("</"):
            stack.append((name, i))
        elif stack and stack[-1][0] == name:
            _, j = stack.pop()
            out[i], out[j] = j, i
        elif any(n == name for n, _ in stack):   # close an unclosed <v> or <c> inside first
            while stack[-1][0] != name:
                stack.pop()
            _, j = stack.pop()
            out[i], out[j] = j, i
    return out


# --- writing -----------------------------------------------------------------------------


def render(translation: str, payloads: dict[int, object], vtt: bool) -> list[tuple[str, bool]]:
    """The translation as raw cue text: a list of (chunk, is_text) with tags turned back
    into their markup; a dialogue break is the chunk "\\n" (not text)."""
    out: list[tuple[str, bool]] = []
    for tok in parse(_NEWLINES_RE.sub(" ", translation).strip()):
        if isinstance(tok, Text):
            out.append((_escape(tok.text) if vtt else tok.text, True))
            continue
        payload = payloads[tok.id]
        if isinstance(payload, LineBreak):
            out.append(("\n", False))
        elif isinstance(payload, Literal):
            out.append((payload.text, True))
        elif not isinstance(payload, Markup):
            raise TypeError(f"tag {tok.id} has no source markup ({payload!r})")
        elif isinstance(tok, Close):
            out.append((payload.close, False))
        elif isinstance(tok, (Open, Isolated)):
            out.append((payload.open, False))
    return out


def _escape(s: str) -> str:
    # "-->" would end the cue text for WebVTT readers.
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cue_lines(chunks: list[tuple[str, bool]], width: int) -> list[str]:
    """The rendered translation as cue lines: dialogue lines as they are, any other text
    in one line when it fits ``width`` visible characters, else two broken at the best point."""
    raw = "".join(c for c, _ in chunks)
    if any(c == "\n" and not t for c, t in chunks):
        return [line.strip() for line in raw.split("\n")]
    raw = raw.strip()
    if len(visible(raw)) <= width:
        return [raw]
    best = _best_break(raw, width)
    if best is None:
        return [raw]
    k, skip = best
    return [raw[:k], raw[k + skip:]]


def _best_break(raw: str, width: int) -> tuple[int, int] | None:
    """(position, characters dropped there) of the most natural break, or None."""
    vis = _visible_mask(raw)
    total = sum(vis)
    best, best_score = None, None
    seen = 0
    for k, ch in enumerate(raw):
        seen += vis[k]
        if not vis[k]:
            continue
        left_vis = seen - 1 if ch == " " else seen
        cand = None
        if ch == " " and 0 < k < len(raw) - 1 and raw[k - 1] != " " and raw[k + 1] != " ":
            if joiner(raw[:k], raw[k + 1:]) == " ":
                cand = (k, 1)
        elif k + 1 < len(raw) and vis[k + 1] and is_wide(ch) and is_wide(raw[k + 1]):
            if raw[k + 1] not in BREAK_AFTER:   # never start a line with closing punctuation
                cand = (k + 1, 0)
        if cand is None:
            continue
        right_vis = total - left_vis - (1 if ch == " " else 0)
        if left_vis == 0 or right_vis == 0:
            continue
        before = visible(raw[:cand[0]]).rstrip()
        # Lines within the width first; then after punctuation, unless that leaves one
        # line more than a third longer than the other; then the most balanced.
        diff = abs(left_vis - right_vis)
        score = (max(left_vis, right_vis) > width, not (before.endswith(BREAK_AFTER) and diff * 3 <= total), diff)
        if best_score is None or score < best_score:
            best, best_score = cand, score
    return best


def _visible_mask(raw: str) -> list[int]:
    mask = [1] * len(raw)
    for m in MARKUP_RE.finditer(raw):
        for i in range(m.start(), m.end()):
            mask[i] = 0
    return mask


__all__ = ["LineBreak", "Markup", "build_segment", "cue_lines", "is_wide", "joiner", "render", "visible"]
