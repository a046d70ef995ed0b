"""Several segments in one request: markers in, verified one-to-one out.

Qwen-MT takes one user message and no system prompt, so sharing a request means putting
segments into one message with markers the model keeps (docs/design-notes.md). With
short segments the 60-requests-a-minute limit binds long before the token limit; packing
is what moves a run toward the token limit.

A packed message is ``⟦§1⟧ first⏎⏎⟦§2⟧ second …``. :func:`unpack` accepts the answer
only if every marker came back exactly once, in order, with nothing but white space
before the first, and no piece empty: anything else returns None and the caller splits
the batch. Each piece gets its source's leading and trailing white space back, since
models trim it and formats splice it.
"""
from __future__ import annotations

import re

PACK_MARKER_RE = re.compile(r"⟦§(\d+)⟧")
SEPARATOR = "\n\n"


def marker(index: int) -> str:
    return f"⟦§{index}⟧"


def pack(texts: list[str]) -> str:
    """One message holding ``texts``, each behind its marker (1-based)."""
    return SEPARATOR.join(f"{marker(i)} {text.strip()}" for i, text in enumerate(texts, start=1))


def unpack(answer: str, sources: list[str]) -> list[str] | None:
    """The translated pieces, in order, or None if the answer is not one-to-one."""
    matches = list(PACK_MARKER_RE.finditer(answer))
    if [int(m.group(1)) for m in matches] != list(range(1, len(sources) + 1)):
        return None
    if answer[: matches[0].start()].strip():
        return None
    pieces: list[str] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(answer)
        body = answer[m.end():end].strip()
        if not body and sources[i].strip():
            return None
        pieces.append(_with_source_whitespace(body, sources[i]))
    return pieces


def _with_source_whitespace(body: str, source: str) -> str:
    lead = source[: len(source) - len(source.lstrip())]
    trail = source[len(source.rstrip()):]
    return f"{lead}{body}{trail}"
