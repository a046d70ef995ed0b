"""Split a segment too long for one request at sentence boundaries, and join it back.

Qwen-MT takes at most 8,192 input tokens and returns at most 8,192; translations can be
longer than their source, so a paragraph is split well below that (``[run]
max_segment_tokens``). Cuts fall after sentence-ending punctuation (then at white
space, for a sentence that is itself too long), never inside a tag. A paired tag that
is open at a cut is closed at the end of the piece and reopened at the start of the
next, so every piece is well-formed on its own; :func:`join` removes those seams.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.segments import TAG_RE, Close, Open, tokenize
from pipeline.tokens import count_tokens

# After ., !, ?, ; or : followed by white space, or after CJK full stops (no space there).
_SENTENCE_END = re.compile(r"(?<=[.!?;:…])\s+|(?<=[。！？；])")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Piece:
    text: str                       # a well-formed segment of its own
    reopened: tuple[str, ...] = ()  # tags reopened at its start ("<g1>", ...)
    closed: tuple[str, ...] = ()    # tags closed at its end ("</g1>", ...)


def split(text: str, max_tokens: int) -> list[Piece]:
    """``text`` in pieces of at most ``max_tokens`` tokens where boundaries allow."""
    if count_tokens(text) <= max_tokens:
        return [Piece(text)]
    chunks = _pack(_units(text, max_tokens), max_tokens)
    return _balance(chunks)


def join(pieces: list[Piece], translations: list[str]) -> str:
    """Concatenate translated pieces, removing the tags :func:`split` added at seams.

    The model may move a seam tag (put text before a reopened tag, say), so the first
    occurrence of each reopened tag and the last of each added closing tag is removed,
    wherever it stands; each piece passed the tag check, so they are there.
    """
    out: list[str] = []
    for piece, translated in zip(pieces, translations, strict=True):
        body = translated
        for tag in piece.reopened:
            body = body.replace(tag, "", 1)
        for tag in piece.closed:
            at = body.rfind(tag)
            if at >= 0:
                body = body[:at] + body[at + len(tag):]
        out.append(body)
    return "".join(out)


def _units(text: str, max_tokens: int) -> list[str]:
    """Sentences (each ending with its trailing space); over-long ones cut at spaces."""
    units: list[str] = []
    for sentence in _cut(text, _SENTENCE_END):
        if count_tokens(sentence) <= max_tokens:
            units.append(sentence)
        else:
            units.extend(_cut(sentence, _WHITESPACE))
    return units


def _cut(text: str, boundary: re.Pattern[str]) -> list[str]:
    """Cut after each boundary match that does not fall inside a tag."""
    tag_spans = [m.span() for m in TAG_RE.finditer(text)]
    parts, start = [], 0
    for m in boundary.finditer(text):
        end = m.end()
        if end <= start or any(a < end < b for a, b in tag_spans):
            continue
        parts.append(text[start:end])
        start = end
    if start < len(text):
        parts.append(text[start:])
    return [p for p in parts if p]


def _pack(units: list[str], max_tokens: int) -> list[str]:
    chunks: list[str] = []
    current, size = "", 0
    for unit in units:
        n = count_tokens(unit)
        if current and size + n > max_tokens:
            chunks.append(current)
            current, size = "", 0
        current += unit
        size += n
    if current:
        chunks.append(current)
    return chunks


def _balance(chunks: list[str]) -> list[Piece]:
    """Close tags left open at the end of a chunk; reopen them at the next one."""
    pieces: list[Piece] = []
    carried: list[str] = []  # open tags, outermost first, e.g. ["g1", "a3"]
    for chunk in chunks:
        reopened = tuple(f"<{name}>" for name in carried)
        stack = list(carried)
        for tok in tokenize(chunk):
            if isinstance(tok, Open):
                stack.append(f"{tok.name}{tok.id}")
            elif isinstance(tok, Close) and stack and stack[-1] == f"{tok.name}{tok.id}":
                stack.pop()
        closed = tuple(f"</{name}>" for name in reversed(stack))
        pieces.append(Piece("".join(reopened) + chunk + "".join(closed), reopened, closed))
        carried = stack
    return pieces
