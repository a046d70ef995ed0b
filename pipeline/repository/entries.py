"""A written output's lock entries: per segment, what qmt put there and where it came from."""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

from pipeline.provenance import HUMAN_ENGINE
from pipeline.repository.lockfile import NO_ENGINE, LockEntry, text_hash, written_hash
from pipeline.repository.readback import tags_note
from pipeline.segments import Segment
from pipeline.translate.units import REPAIRED, TRANSLATED, Outcome

DEPENDS_CHARS = 12


def lock_entries(segments: Sequence[Segment], written: Sequence[Segment],
                 outcomes: Mapping[str, tuple[Segment, Outcome]], fallbacks: Mapping[str, str],
                 fingerprint: Callable[[str], str], prefix: str = "") -> list[LockEntry]:
    """The entries of one output language: one per segment the output holds (``written``,
    read back with the format's extractor), paired with its source segment by id.

    ``outcomes``: each segment's outcome; ``fallbacks``: segments the format kept in the
    source; ``fingerprint(text)``: the settings digest of the machine translation of a
    source text ("" when unknown); ``prefix``: before each id (a combined output's
    "<lang>:").
    """
    sources = {s.id: s for s in segments}
    entries = []
    for out in written:
        src = sources.get(out.id)
        if src is None:
            continue
        translation, engine, depends = _what_was_written(src, outcomes.get(src.id), src.id in fallbacks,
                                                         fingerprint)
        entries.append(LockEntry(prefix + src.id, text_hash(src.text), written_hash(out.text), engine, depends,
                                 tags_note(translation, out.text),
                                 src.text if engine == HUMAN_ENGINE else None))
    return entries


def _what_was_written(src: Segment, settled: tuple[Segment, Outcome] | None, fell_back: bool,
                      fingerprint: Callable[[str], str]) -> tuple[str, str, str]:
    """(the text written, its engine, what it depends on) for one segment."""
    if settled is None or fell_back:
        return src.text, NO_ENGINE, NO_ENGINE
    outcome = settled[1]
    if outcome.status not in (TRANSLATED, REPAIRED) or not outcome.engine:
        return src.text, NO_ENGINE, NO_ENGINE
    if outcome.engine == HUMAN_ENGINE:
        return outcome.text, HUMAN_ENGINE, NO_ENGINE
    if outcome.status == REPAIRED:  # never reused: a repaired answer is not cached either
        return outcome.text, NO_ENGINE, NO_ENGINE
    return outcome.text, outcome.engine, (fingerprint(src.text) or NO_ENGINE)[:DEPENDS_CHARS]


__all__ = ["DEPENDS_CHARS", "lock_entries"]
