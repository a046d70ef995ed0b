"""How units become requests: one packer shared by the plan, the pool and the estimator.

Batches are formed from units in the order they are added, per target language (all of
a job's units share its model, domains and sampling, so any two of one language may
travel together, whichever files they come from), greedily up to the pack's source
tokens and segments, and never over the packed prompt budget. The limits come from a
:class:`~pipeline.translate.pack_size.PackSizer` when one is given (asked each time a
pack opens), else from the settings. Because the batches depend only on the units and
the limits (not on timing), ``qmt estimate`` predicts a run's requests exactly.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterable, Sequence

from pipeline.tokens import REQUEST_OVERHEAD_TOKENS, count_tokens
from pipeline.translate.backend import TermPair
from pipeline.translate.split import Piece, split
from pipeline.translate.units import Unit

if TYPE_CHECKING:
    from pipeline.translate.pack_size import PackSizer

# A packed request must leave room under the 8,192-token input limit for terms and TM.
MAX_PACKED_PROMPT = 6000
MARKER_TOKENS = 6           # "⟦§12⟧ " and the blank line before it


def pieces_of(unit: Unit, max_segment_tokens: int) -> list[Piece] | None:
    """The sentence-boundary pieces of a unit too long to send whole, or None."""
    if count_tokens(unit.text) <= max_segment_tokens:
        return None
    pieces = split(unit.text, max_segment_tokens)
    return pieces if len(pieces) > 1 else None


def piece_units(unit: Unit, pieces: list[Piece]) -> list[Unit]:
    """The units that carry ``unit``'s pieces (same language, terms and TM examples); a
    piece has no cache key of its own: the joined answer is stored under ``unit``'s."""
    return [replace(unit, text=p.text, cache_key="", norm="", outcome=None) for p in pieces]


def _pair_tokens(pairs: Iterable[TermPair]) -> int:
    return sum(count_tokens(p.source) + count_tokens(p.target) + 4 for p in pairs)


def _context_tokens(unit: Unit) -> int:
    """A unit's context line in the prompt (engine llm), counted so a pack stays under the limit."""
    return count_tokens(unit.context) + MARKER_TOKENS if unit.context else 0


class _Pack:
    """One open pack: its units, their source tokens, the prompt's size and terms, its limits.

    The prompt is counted from the segments' cached token counts plus each marker's few
    tokens and each distinct term or TM example, so packing never re-tokenizes a text."""

    __slots__ = ("units", "tokens", "prompt", "pairs", "max_segments", "max_tokens")

    def __init__(self, max_segments: int, max_tokens: int, fixed: int):
        self.units: list[Unit] = []
        self.tokens = 0
        self.prompt = fixed                      # overhead and domains, then text and terms
        self.pairs: set[TermPair] = set()
        self.max_segments, self.max_tokens = max_segments, max_tokens


class Packer:
    """Packs units into requests as they come, per target language (see the module docstring).

    :meth:`add` returns the requests a unit closed (the pack it did not fit in);
    :meth:`close` returns the open packs (all, or one language's) as requests.
    """

    def __init__(self, pack_tokens: int, max_segments: int, domains: str = "",
                 sizer: "PackSizer | None" = None):
        self._pack_tokens = pack_tokens
        self._max_segments = max_segments
        self._sizer = sizer
        self._fixed = count_tokens(domains) + REQUEST_OVERHEAD_TOKENS
        self._open: dict[str, _Pack] = {}

    def add(self, unit: Unit) -> list[list[Unit]]:
        if self._pack_tokens <= 0:
            return [[unit]]
        code = unit.target.code
        n = count_tokens(unit.text)
        new_pairs = {*unit.terms, *unit.tm_list}
        closed: list[list[Unit]] = []
        pack = self._open.get(code)
        if pack is not None and pack.units and not self._fits(pack, n, new_pairs, _context_tokens(unit)):
            closed.append(pack.units)
            pack = None
        if pack is None:
            pack = self._open[code] = self._new_pack()
        pack.units.append(unit)
        pack.tokens += n
        added = new_pairs - pack.pairs
        pack.pairs |= added
        pack.prompt += n + MARKER_TOKENS + _pair_tokens(added) + _context_tokens(unit)
        return closed

    def close(self, code: str | None = None) -> list[list[Unit]]:
        """The open packs (of one target language, or all) as requests."""
        codes = [code] if code is not None else list(self._open)
        return [pack.units for c in codes if (pack := self._open.pop(c, None)) is not None and pack.units]

    def _new_pack(self) -> _Pack:
        segments, tokens = self._sizer.limits() if self._sizer is not None else (self._max_segments,
                                                                                  self._pack_tokens)
        return _Pack(max(1, segments), tokens, self._fixed)

    @staticmethod
    def _fits(pack: _Pack, n: int, pairs: set[TermPair], context: int = 0) -> bool:
        if pack.tokens + n > pack.max_tokens or len(pack.units) >= pack.max_segments:
            return False
        extra = _pair_tokens(pairs - pack.pairs) + context
        return pack.prompt + n + MARKER_TOKENS + extra <= MAX_PACKED_PROMPT


def plan_batches(units: Sequence[Unit], pack_tokens: int, max_segments: int, domains: str = "",
                 sizer: "PackSizer | None" = None) -> list[list[Unit]]:
    """Group ``units`` into requests (each a list of units of one target language)."""
    packer = Packer(pack_tokens, max_segments, domains, sizer)
    batches: list[list[Unit]] = []
    for unit in units:
        batches.extend(packer.add(unit))
    batches.extend(packer.close())
    return batches
