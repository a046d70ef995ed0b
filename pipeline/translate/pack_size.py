"""How many segments a packed request may carry right now (the packer asks, the pool tells).

This is the interface the packer (:mod:`pipeline.translate.batching`) relies on; this
version keeps the settings' static limits. The adaptive controller (shrink when packed
answers come back misaligned, grow back when they don't) replaces it.
"""
from __future__ import annotations


class PackSizer:
    """The pack size the packer uses now: shrinks when packed answers come back misaligned, grows back when they don't."""

    def __init__(self, max_segments: int, max_tokens: int) -> None:
        self._max_segments = max_segments
        self._max_tokens = max_tokens

    def limits(self) -> tuple[int, int]:
        """(segments, source tokens) allowed per pack right now."""
        return self._max_segments, self._max_tokens

    def observe(self, segments: int, misaligned: int) -> None:
        """A packed answer came back; ``misaligned`` = segments not recovered."""
