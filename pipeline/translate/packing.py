"""Several segments in one request: markers in, verified one-to-one out.

Qwen-MT takes one user message and no system prompt, so sharing a request means putting
segments into one message with markers the model keeps (docs/design-notes.md). With
short segments the 60-requests-a-minute limit binds long before the token limit; packing
is what moves a run toward the token limit.

A packed message is ``⟦§1⟧ first⏎⏎⟦§2⟧ second …``. :func:`unpack` accepts the answer
only if every marker came back exactly once, in order, with nothing but white space
before the first, and no piece empty: anything else returns None. Each piece gets its
source's leading and trailing white space back, since models trim it and formats splice
it.

Models do damage markers (a marker lost and its text run on in the previous piece, two
neighbours merged and the rest renumbered, a marker rewritten: see the emulator's
``marker`` fault). :func:`salvage` keeps the pieces of a damaged answer that are provably
aligned, so only the rest is paid for again. A piece is provably the translation of
segment K when:

* the markers that came back are in increasing order, within 1..N, and the last one is
  N: a model that merges pieces numbers on from there, so its last marker falls short
  of N, and then no marker after the merge says which segment it holds (nothing is
  kept; the caller splits the batch);
* marker K is followed by marker K+1 (or is marker N, at the end): a missing or
  rewritten marker leaves its text in the piece before the gap, so that piece is not
  kept, nor the segments whose markers are missing;
* its text is not empty (an empty piece's text went to a neighbour: neither is kept),
  and for K = 1 nothing but white space comes before it.

The assumption is that a model loses, merges or rewrites markers but does not invent
them; an answer with a marker out of range, repeated or out of order keeps nothing.

One rewrite is read as the marker it stands for (:func:`read_markers`): ``【§2】``, the
marker in the CJK lenticular brackets a model writing Chinese or Japanese puts in place
of ``⟦ ⟧``, its number and ``§`` intact. Qwen2.5-Coder-1.5B on llama.cpp wrote every
marker of about half its en→zh answers that way (issue 28, ``bench/bench_real_model.py``):
read as damage, each such answer kept nothing, its pack was split in halves that were
damaged alike, and a single segment's framed answer was refused as chatter. It is read
as a marker only when the sources hold no such text of their own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PACK_MARKER_RE = re.compile(r"⟦§(\d+)⟧")
SEPARATOR = "\n\n"
# A marker as a model writing CJK text writes it back: the same number, in 【 】 (see above).
CJK_MARKER_RE = re.compile(r"【§(\d+)】")


def marker(index: int) -> str:
    return f"⟦§{index}⟧"


def pack(texts: list[str]) -> str:
    """One message holding ``texts``, each behind its marker (1-based)."""
    return SEPARATOR.join(f"{marker(i)} {text.strip()}" for i, text in enumerate(texts, start=1))


def read_markers(answer: str, sent: str) -> str:
    """``answer`` with each ``【§N】`` read as the marker ``⟦§N⟧``, unless ``sent`` (what the
    request carried: its text, or its sources) holds such text itself, which the answer
    would then rightly keep as text."""
    if "【§" not in answer or CJK_MARKER_RE.search(sent):
        return answer
    return CJK_MARKER_RE.sub(lambda m: marker(int(m.group(1))), answer)


def unpack(answer: str, sources: list[str]) -> list[str] | None:
    """The translated pieces, in order, or None if the answer is not one-to-one."""
    found = salvage(answer, sources)
    return None if found.misaligned else [found.pieces[i] for i in range(len(sources))]


@dataclass(frozen=True)
class Salvaged:
    """What a packed answer provably holds: ``pieces`` by 0-based segment index (with the
    source's white space back) and the ``misaligned`` indexes to send again, in order."""

    pieces: dict[int, str]
    misaligned: list[int]


def salvage(answer: str, sources: list[str]) -> Salvaged:
    """The provably aligned pieces of ``answer`` to the packed ``sources`` (all of them
    when the answer is one-to-one), and the segments to send again."""
    n = len(sources)
    answer = read_markers(answer, SEPARATOR.join(sources))
    matches = list(PACK_MARKER_RE.finditer(answer))
    numbers = [int(m.group(1)) for m in matches]
    everything = Salvaged({}, list(range(n)))
    if not numbers or numbers[-1] != n or any(b <= a for a, b in zip(numbers, numbers[1:])) or numbers[0] < 1:
        return everything
    bodies: dict[int, str] = {}
    bad: set[int] = set(range(1, n + 1)) - set(numbers)
    for i, m in enumerate(matches):
        k = numbers[i]
        end = matches[i + 1].start() if i + 1 < len(matches) else len(answer)
        bodies[k] = answer[m.end():end].strip()
        if i + 1 < len(matches) and numbers[i + 1] != k + 1:
            bad.add(k)                       # the text of the missing marker runs on here
        if not bodies[k] and sources[k - 1].strip():
            bad.update((k - 1, k, k + 1))    # its text went to a neighbour
    if numbers[0] == 1 and answer[: matches[0].start()].strip():
        bad.add(1)                           # chatter before the first marker: where does piece 1 start?
    kept = {k - 1: _with_source_whitespace(bodies[k], sources[k - 1]) for k in bodies if k not in bad}
    return Salvaged(kept, [i for i in range(n) if i not in kept])


def _with_source_whitespace(body: str, source: str) -> str:
    lead = source[: len(source) - len(source.lstrip())]
    trail = source[len(source.rstrip()):]
    return f"{lead}{body}{trail}"
