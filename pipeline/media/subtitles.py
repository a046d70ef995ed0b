"""Subtitle files from translated pieces: SRT and WebVTT on the source timeline.

Each piece is one cue at its start and end on the source. Cue text is kept within
common subtitle norms: at most two lines of 42 characters (16 for Chinese, Japanese,
Korean and Cantonese, whose characters are wider), and a reading speed of at most 17
characters a second (9 for those languages). A text too long for two lines is split
into several cues that share the piece's time in proportion to their length; a cue
read too fast, or up for less than ``MIN_SECONDS``, stays up into the following pause, up
to ``GAP`` before the next cue; cues closer than ``GAP`` are parted by ending the first one
earlier. Cue times are the detected speech (:mod:`pipeline.media.cut`). Lines in a
right-to-left language carry direction marks (:func:`marked`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.formats.subtitles.direction import mark_rtl
from pipeline.languages import RTL_CODES

WIDE_LANGS = frozenset({"zh", "ja", "ko", "yue"})
MAX_LINES = 2
GAP = 0.08                      # the least time between two cues: two frames at 25 fps, so a player shows a change
MIN_SECONDS = 0.8               # the least time a cue stays up (a shorter flash cannot be read)


@dataclass(frozen=True)
class SpeechCue:
    start: float
    end: float
    text: str                   # lines joined by "\n"


def limits(lang: str) -> tuple[int, float]:
    """Characters per line and per second for ``lang``."""
    return (16, 9.0) if lang in WIDE_LANGS else (42, 17.0)


def layout(cues: list[SpeechCue], lang: str, total: float) -> list[SpeechCue]:
    """``cues`` (one per piece, in time order) split and wrapped within the norms."""
    width, cps = limits(lang)
    out: list[SpeechCue] = []
    for cue in cues:
        out.extend(_split(cue, width, lang in WIDE_LANGS))
    for i, cue in enumerate(out):  # too fast to read or too short: stay up into the pause after it
        limit = out[i + 1].start - GAP if i + 1 < len(out) else total
        need = max(cue.start + len(cue.text.replace("\n", "")) / cps, cue.start + MIN_SECONDS)
        if need > cue.end and limit > cue.end:
            out[i] = SpeechCue(cue.start, round(min(need, limit), 3), cue.text)
        elif limit < cue.end and limit - cue.start >= MIN_SECONDS:
            # closer than GAP to the next cue (a cut without a pause, or one piece's text split
            # into several cues): end GAP earlier, never below the least duration
            out[i] = SpeechCue(cue.start, round(limit, 3), cue.text)
    return out


def marked(cues: list[SpeechCue], lang: str) -> list[SpeechCue]:
    """``cues`` with the direction marks players need on each line when ``lang`` is written
    right to left (:mod:`pipeline.formats.subtitles.direction`, as SRT and WebVTT inputs get)."""
    if lang not in RTL_CODES:
        return cues
    return [replace(c, text="\n".join(mark_rtl(line) for line in c.text.split("\n"))) for c in cues]


BREAKS = tuple(".!?;:,。！？；：，、")


def _split(cue: SpeechCue, width: int, wide: bool) -> list[SpeechCue]:
    words = _words(cue.text, wide)
    chunks: list[list[str]] = [[]]
    for word in words:
        trial = chunks[-1] + [word]
        if chunks[-1] and len(_wrap(trial, width, wide)) > MAX_LINES:
            chunks.append(_after_last_break(chunks[-1]) + [word])
        else:
            chunks[-1] = trial
    texts = ["\n".join(_wrap(c, width, wide)) for c in chunks if c]
    if len(texts) <= 1:
        return [SpeechCue(cue.start, cue.end, texts[0] if texts else "")]
    sizes = [len(t) for t in texts]
    total, at, out = sum(sizes), cue.start, []
    for text, size in zip(texts, sizes):
        end = at + (cue.end - cue.start) * size / total
        out.append(SpeechCue(round(at, 3), round(end, 3), text))
        at = end
    return out


def _after_last_break(chunk: list[str]) -> list[str]:
    """Move the words after the chunk's last punctuation (in its second half) to the next
    cue, so cues end at the end of a sentence or clause where the text allows it."""
    for i in range(len(chunk) - 1, len(chunk) // 2, -1):
        if chunk[i - 1].endswith(BREAKS):
            tail = chunk[i:]
            del chunk[i:]
            return tail
    return []


def _words(text: str, wide: bool) -> list[str]:
    text = " ".join(text.split())
    if not wide or " " in text:
        return text.split(" ") if text else []
    return list(text)  # unspaced scripts break between characters


def _wrap(words: list[str], width: int, wide: bool) -> list[str]:
    """Greedy lines of at most ``width`` characters (a longer word stands alone)."""
    sep = "" if wide and not any(" " in w for w in words) and all(len(w) == 1 for w in words) else " "
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + len(sep) + len(word) <= width:
            lines[-1] += sep + word
        else:
            lines.append(word)
    return lines


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_srt(cues: list[SpeechCue]) -> str:
    blocks = [f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{c.text}\n" for i, c in enumerate(cues, 1)]
    return "\n".join(blocks)


def to_vtt(cues: list[SpeechCue]) -> str:
    blocks = [f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{c.text}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


def parse_srt(text: str) -> list[SpeechCue]:
    """Cues of an SRT file (for checking what was written)."""
    cues = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        if len(lines) < 2 or "-->" not in lines[1]:
            continue
        a, b = (part.strip() for part in lines[1].split("-->"))
        cues.append(SpeechCue(_seconds(a), _seconds(b), "\n".join(lines[2:])))
    return cues


def _seconds(stamp: str) -> float:
    hms, ms = stamp.replace(".", ",").split(",")
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s + int(ms) / 1000
