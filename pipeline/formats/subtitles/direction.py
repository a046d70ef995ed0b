"""Right-to-left subtitle lines with the direction marks players need.

A cue line is plain text to a player, and many players (and the TVs they run on) lay
every line out left to right: in an Arabic or Hebrew line, the full stop, the question
mark or a Latin word at the end of the line then shows at the wrong end. SRT and WebVTT
have no direction of their own (WebVTT's ``direction`` setting is for vertical text),
so the line itself must say it.

The convention is Subtitle Edit's "Fix RTL via Unicode control characters"
(SubtitleEdit/subtitleedit, ``src/libse/Common/Utilities.cs``, ``FixRtlViaUnicodeChars``,
also in its batch converter and command line as ``/FixRtlViaUnicodeChars``): each line
is wrapped in RIGHT-TO-LEFT EMBEDDING (U+202B) ... POP DIRECTIONAL FORMATTING (U+202C),
with the markup at the line's ends (``<i>``, ``{\\an8}``, ``<v Name>``) left outside the
embedding, and marks a file already has at the line's ends replaced, so marking twice
gives the same line. The embedding makes the whole line one right-to-left run: trailing
punctuation and a Latin word at an end land where a reader expects them in a player that
lays lines out left to right, and one that finds the direction from the first strong
letter sees the Arabic or Hebrew first. A single RLM (U+200F) at the start only helps the
second kind of player. Nothing inside the line moves: an English product name in an
Arabic sentence keeps its place in the logical order.

A line with no right-to-left letter (a song title in Latin letters) is left as it is:
embedding it would move its own punctuation. Reading a cue drops the marks at its lines'
ends (:func:`unmark`), so a re-read output gives back the translation that was written,
and a marked source is not marked twice.
"""
from __future__ import annotations

import unicodedata

from pipeline.formats.subtitles.text import MARKUP_RE

RLE, PDF, RLM = "\u202b", "\u202c", "\u200f"
_MARKS = frozenset((RLE, PDF, RLM))


def mark_rtl(line: str) -> str:
    """``line`` (a cue line: SRT, WebVTT, or the media pipeline's) as one right-to-left
    embedding between the markup at its ends; unchanged without an RTL letter."""
    head, body, tail = _edges(line)
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for c in body):
        return line
    return f"{head}{RLE}{body}{PDF}{tail}"


def unmark(line: str) -> str:
    """``line`` without the direction marks at its ends (inside the markup there)."""
    if not any(c in _MARKS for c in line):
        return line
    head, body, tail = _edges(line)
    return f"{head}{body}{tail}"


def _edges(line: str) -> tuple[str, str, str]:
    """(markup at the start, the text between, markup at the end), the direction marks
    among the markup at either end dropped."""
    found = list(MARKUP_RE.finditer(line))
    starts = {m.start(): m for m in found}
    ends = {m.end(): m for m in found}
    head: list[str] = []
    i = 0
    while i < len(line):
        if line[i] in _MARKS:
            i += 1
        elif i in starts:
            head.append(starts[i].group(0))
            i = starts[i].end()
        else:
            break
    tail: list[str] = []
    j = len(line)
    while j > i:
        if line[j - 1] in _MARKS:
            j -= 1
        elif j in ends and ends[j].start() >= i:
            tail.insert(0, ends[j].group(0))
            j = ends[j].start()
        else:
            break
    return "".join(head), line[i:j], "".join(tail)


__all__ = ["PDF", "RLE", "RLM", "mark_rtl", "unmark"]
