"""How units become requests: one pure function shared by the pool and the estimator.

Batches are formed from units in the order they were submitted, per target language,
greedily up to ``pack_tokens`` source tokens and ``pack_max_segments`` segments, and
never over the packed prompt budget. Because the plan depends only on the units and
the settings (not on timing), ``qmt estimate`` predicts a run's requests exactly.
"""
from __future__ import annotations

from typing import Callable, Sequence

from pipeline.tokens import REQUEST_OVERHEAD_TOKENS, count_tokens
from pipeline.translate.units import Unit

# A packed request must leave room under the 8,192-token input limit for terms and TM.
MAX_PACKED_PROMPT = 6000
MARKER_TOKENS = 6           # "⟦§12⟧ " and the blank line before it


def fits_prompt(units: Sequence[Unit], domains: str = "") -> bool:
    """Whether a packed request for ``units`` stays within the prompt budget.

    Counted from the segments' cached token counts plus each marker's few tokens, so
    planning a batch never re-tokenizes the packed text.
    """
    pairs = {p for u in units for p in (*u.terms, *u.tm_list)}
    size = sum(count_tokens(u.text) + MARKER_TOKENS for u in units)
    size += sum(count_tokens(p.source) + count_tokens(p.target) + 4 for p in pairs)
    return size + count_tokens(domains) + REQUEST_OVERHEAD_TOKENS <= MAX_PACKED_PROMPT


def plan_batches(units: Sequence[Unit], pack_tokens: int, max_segments: int,
                 fits: Callable[[list[Unit]], bool] = lambda batch: True) -> list[list[Unit]]:
    """Group ``units`` into requests (each a list of units of one target language)."""
    if pack_tokens <= 0:
        return [[u] for u in units]
    batches: list[list[Unit]] = []
    open_batch: dict[str, tuple[list[Unit], int]] = {}
    for unit in units:
        code = unit.target.code
        n = count_tokens(unit.text)
        batch, size = open_batch.get(code, ([], 0))
        if batch and (size + n > pack_tokens or len(batch) >= max_segments or not fits(batch + [unit])):
            batches.append(batch)
            batch, size = [], 0
        batch.append(unit)
        open_batch[code] = (batch, size + n)
    batches.extend(batch for batch, _ in open_batch.values() if batch)
    return batches
