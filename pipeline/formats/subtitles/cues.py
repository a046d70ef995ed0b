"""Where the cues of an SRT or WebVTT file are, as character ranges of the file's text.

The reader only locates things; it never rewrites them. A cue is its timing line and the
text lines after it, up to a blank line. Everything else (SRT cue numbers, WebVTT cue
identifiers, the ``WEBVTT`` header, ``NOTE``, ``STYLE`` and ``REGION`` blocks, timing
settings such as ``align:start line:10%``, blank lines and line endings) lies between
cue texts and is copied byte for byte by the writer.

The same reader checks a rebuilt file: its :func:`skeleton` (everything outside cue
text) must be the source's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# "00:01:02,500 --> 00:01:04,000 X1:..", "01:02.500 --> 01:04.000 align:start": hours
# optional (WebVTT), a comma (SRT) or a dot as the millisecond separator; what follows
# the second time is kept as it is (SRT coordinates, WebVTT cue settings).
_STAMP = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
TIMING_RE = re.compile(rf"^[ \t]*{_STAMP}[ \t]*-->[ \t]*{_STAMP}(?=[ \t]|$)")
_BLOCK_WORDS = ("NOTE", "STYLE", "REGION")


@dataclass(frozen=True)
class Cue:
    """One cue: its ordinal (1-based, in file order), times in milliseconds, the range
    of its timing line and the ranges of its text lines (without line endings)."""

    number: int
    start_ms: int
    end_ms: int
    timing: tuple[int, int]
    lines: tuple[tuple[int, int], ...]

    @property
    def seconds(self) -> float:
        return (self.end_ms - self.start_ms) / 1000


class CueError(ValueError):
    """The text is not an SRT or WebVTT file qmt can read."""


def split_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line without its ending ("\\n", "\\r\\n" or "\\r")."""
    out, pos = [], 0
    for m in re.finditer(r"\r\n|\n|\r", text):
        out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return out


def _ms(h: str | None, m: str, s: str, frac: str) -> int:
    """Milliseconds of one timestamp's groups (hours are optional in both formats)."""
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0"))


def read_cues(text: str, vtt: bool) -> list[Cue]:
    """Every cue of ``text`` in order; CueError when a WebVTT file lacks its header or a
    file with text holds no cue at all."""
    lines = split_lines(text)

    def line(n: int) -> str:
        return text[lines[n][0]:lines[n][1]]

    def blank(n: int) -> bool:
        return not line(n).strip()

    n = 0
    cues: list[Cue] = []
    if vtt:
        if not lines or not line(0).lstrip("\ufeff").startswith("WEBVTT"):
            raise CueError("does not start with WEBVTT: not a WebVTT file")
        while n < len(lines) and not blank(n):   # the header runs to the first blank line
            n += 1
    block_start = True
    while n < len(lines):
        if blank(n):
            n, block_start = n + 1, True
            continue
        if vtt and block_start and line(n).split(" ", 1)[0].split("\t", 1)[0] in _BLOCK_WORDS:
            while n < len(lines) and not blank(n):  # NOTE, STYLE, REGION: kept as they are
                n += 1
            continue
        block_start = False
        m = TIMING_RE.match(line(n))
        if m is None:
            n += 1       # a cue number or identifier, or stray text (kept as it is)
            continue
        first = n + 1
        n = first
        while n < len(lines) and not blank(n) and not _cue_starts(text, lines, n):
            n += 1
        cues.append(Cue(len(cues) + 1, _ms(*m.groups()[:4]), _ms(*m.groups()[4:]), lines[first - 1],
                        tuple(lines[first:n])))
    if not cues and text.strip().removeprefix("\ufeff").strip() and not vtt:
        raise CueError("holds no subtitle cue (no '00:00:01,000 --> 00:00:02,000' timing line)")
    return cues


def _cue_starts(text: str, lines: list[tuple[int, int]], n: int) -> bool:
    """True when line ``n`` begins the next cue though no blank line came first: it is a
    timing line, or a cue number (digits) right before one."""
    here = text[lines[n][0]:lines[n][1]]
    if TIMING_RE.match(here):
        return True
    return here.strip().isdigit() and n + 1 < len(lines) and bool(
        TIMING_RE.match(text[lines[n + 1][0]:lines[n + 1][1]]))


def skeleton(text: str, cues: list[Cue]) -> list[str]:
    """The file outside its cue texts, one piece per gap: what a rebuild may not change."""
    out, pos = [], 0
    for cue in cues:
        if cue.lines:
            out.append(text[pos:cue.lines[0][0]])
            pos = cue.lines[-1][1]
    out.append(text[pos:])
    return out


__all__ = ["Cue", "CueError", "TIMING_RE", "read_cues", "skeleton", "split_lines"]
