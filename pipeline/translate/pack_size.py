"""How big a pack may be right now: smaller while packed answers come back misaligned.

A model that loses, merges or rewrites the markers of a packed request
(:mod:`pipeline.translate.packing`) costs the misaligned part of the answer again, and
long packs are where real models lose count. :class:`PackSizer` is the packer's
controller, in the spirit of TCP's congestion window (additive increase, multiplicative
decrease):

* after a packed answer with ``misaligned`` of its ``segments`` not recovered, the size
  is multiplied by ``1 - share / 2`` (``share = misaligned / segments``): one marker
  lost in forty barely matters (x0.97), an answer that kept nothing halves the size;
* after a clean answer, the size grows by a twentieth of the segment limit (at least
  one segment): back from half to the full size in ten clean answers. (Against the
  emulator, whose damage rate is per packed request whatever its size, every shrink
  costs requests and saves nothing; growing back by one segment at a time made the 30%
  damage run of ``bench/bench_marker_damage.py`` pay 8% more tokens than by two.)
* it never goes below one segment nor above the settings' limits, and both limits
  (segments and source tokens) scale together, so a pack bound by tokens shrinks too.

* under both rate limits (:meth:`PackSizer.keep_requests_at`), never below the pack whose
  request carries a minute's tokens per request (TPM / RPM, from the tokens per segment
  the answers billed; ``FLOOR_MARGIN`` above it): below it the request limit binds before
  the token limit, and each segment taken out of a pack slows the run instead of saving
  a token of the quota.
  (Issue 28: under the emulator's realistic profile, packed answers damaged at the rate
  a real model showed took a docs site's packs of 40 short segments down to 8, and the
  run to a third of the token limit, held by the request limit.)

The state is one number and changes only in :meth:`PackSizer.observe`: the same
sequence of observations gives the same limits. With no damage the limits stay the
settings' own, so ``qmt estimate`` (which never observes) plans exactly what a clean run
sends. The pool observes every answer (a single segment's is clean, so a size of one
grows back); the packer asks :meth:`PackSizer.limits` each time it opens a pack.
"""
from __future__ import annotations

import math
from typing import Callable

GROWTH_SHARE = 1 / 20     # of the segment limit, added to the size after each clean answer
MAX_CUT = 0.5             # an answer that kept nothing halves the size
# The floor under both rate limits, over the pack that bills TPM / RPM: the requests that
# follow damage (the leftovers' packs, halves, single segments) are smaller than the
# planned packs, so those must be larger for the average request to fill the minute.
FLOOR_MARGIN = 1.25


class PackSizer:
    """The pack size the packer uses now: shrinks when packed answers come back misaligned, grows back when they don't."""

    def __init__(self, max_segments: int, max_tokens: int, ceiling: Callable[[], int | None] | None = None) -> None:
        if max_segments < 1 or max_tokens < 1:
            raise ValueError(f"pack limits must be at least 1 (got {max_segments} segments, {max_tokens} tokens)")
        self.max_segments = max_segments
        self.max_tokens = max_tokens
        self._size = float(max_segments)
        self._growth = max(1.0, max_segments * GROWTH_SHARE)
        self._request_tokens: float | None = None   # keep_requests_at (None: no floor but one segment)
        self._billed = [0, 0, 0]                    # segments, tokens and source tokens of the answers observed
        self.shrinks = 0          # observations that shrank the size (for reports and benchmarks)
        # Source tokens a pack may carry whatever the damage (a slow model server's: what
        # fits its timeout, pipeline.translate.model_server); None: no ceiling.
        self._ceiling = ceiling

    def limits(self) -> tuple[int, int]:
        """(segments, source tokens) allowed per pack right now."""
        segments = max(1, math.floor(self._size))
        if segments >= self.max_segments:
            segments, tokens = self.max_segments, self.max_tokens
        else:
            # Both scale together, but under both rate limits never below the source tokens
            # of the floor's request: a pack of short segments at the floor in segments, its
            # token limit cut in the same ratio, would close at half the floor (issue 28).
            tokens = max(1, self.max_tokens * segments // self.max_segments, min(self.max_tokens, self._floor_source()))
        ceiling = self._ceiling() if self._ceiling is not None else None
        return segments, tokens if ceiling is None else max(1, min(tokens, ceiling))

    def keep_requests_at(self, tokens: float) -> None:
        """Shrink no pack below the one whose request bills ``tokens`` (prompt and
        completion; TPM / RPM: the size at which both limits bind together)."""
        self._request_tokens = tokens

    def observe(self, segments: int, misaligned: int, tokens: int = 0, source: int = 0) -> None:
        """A packed answer of ``segments`` came back with ``misaligned`` of them not
        recovered; ``tokens``: what its request billed (0: unknown); ``source``: the
        source tokens it carried (what the pack's token limit counts; 0: unknown)."""
        if segments < 1 or not 0 <= misaligned <= segments:
            raise ValueError(f"bad observation: {misaligned} misaligned of {segments} segments")
        if tokens > 0:
            self._billed[0] += segments
            self._billed[1] += tokens
            self._billed[2] += source
        if misaligned:
            self._size = max(self._floor(), self._size * (1.0 - MAX_CUT * misaligned / segments))
            self.shrinks += 1
        else:
            self._size = min(float(self.max_segments), self._size + self._growth)

    def _floor(self) -> float:
        """The fewest segments a pack shrinks to: 1, or under both rate limits the segments
        that bill :meth:`keep_requests_at`'s tokens at the tokens per segment billed so far."""
        segments, tokens, _ = self._billed
        if self._request_tokens is None or not segments or not tokens:
            return 1.0
        return max(1.0, min(float(self.max_segments), FLOOR_MARGIN * self._request_tokens * segments / tokens))

    def _floor_source(self) -> int:
        """The source tokens of the floor's request (0: no floor, or no source observed):
        :meth:`keep_requests_at`'s tokens at the source tokens per billed token so far."""
        _, tokens, source = self._billed
        if self._request_tokens is None or not tokens or not source:
            return 0
        return math.ceil(FLOOR_MARGIN * self._request_tokens * source / tokens)
