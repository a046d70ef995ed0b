"""Fuzzy TM lookup at scale: cost per segment with a 100,000-unit memory.

A resume of a 68,000-segment document plans every segment again, and planning looks
each one up in the fuzzy memory (the TM file plus the job's earlier translations). This
benchmark builds a memory of 100,000 varied units (one sentence shape, varied words and
numbers: the worst case for a length prefilter) and times ``TranslationMemory.fuzzy``
(threshold 75, 3 entries) per segment, with the capped word-index lookup and with the
full scan it replaces, then states what a 68,000-segment plan costs with each.

Run: ``make bench`` (or ``.venv/bin/python bench/bench_tm_scale.py`` from the repo root).
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.languages import lookup  # noqa: E402
from pipeline.memory import tm as tm_module  # noqa: E402
from pipeline.memory.sources import Entry  # noqa: E402
from pipeline.memory.tm import TranslationMemory  # noqa: E402

TM_UNITS = 100_000
DOC_SEGMENTS = 68_000
SAMPLE = 2_000          # segments timed with the index
FULL_SCAN_SAMPLE = 40   # segments timed with the full scan (it is slow)
EN, ZH = lookup("en"), lookup("zh")


def sentence(rng: random.Random, vocab: list[str]) -> str:
    w = rng.sample(vocab, 6)
    return (f"The {w[0]} {w[1]} reads table {rng.randrange(1000)} and writes the {w[2]} "
            f"{w[3]} before the {w[4]} {w[5]} step {rng.randrange(10_000)}.")


def per_segment(tm: TranslationMemory, queries: list[str]) -> tuple[float, float, int]:
    start, scored, hits = time.perf_counter(), tm.scored, 0
    for q in queries:
        hits += bool(tm.fuzzy(q, EN, ZH, threshold=75, limit=3))
    return (time.perf_counter() - start) / len(queries), (tm.scored - scored) / len(queries), hits


def main() -> None:
    rng = random.Random(68_000)
    vocab = [f"{a}{b}" for a in ("data", "user", "page", "file", "node", "task", "item", "view", "rule", "form")
             for b in ("set", "map", "log", "key", "row", "tag", "box", "bar", "bit", "job", "cap", "pin")]
    units = [sentence(rng, vocab) for _ in range(TM_UNITS)]
    tm = TranslationMemory(Entry(u, f"zh: {u}", "en", "zh") for u in units)
    # Document segments: half are edits of memory units (near matches), half new text.
    queries = [units[rng.randrange(TM_UNITS)].replace("writes", "stores") if i % 2 else sentence(rng, vocab)
               for i in range(SAMPLE)]

    start = time.perf_counter()
    tm.fuzzy(queries[0], EN, ZH, threshold=75, limit=3)
    build = time.perf_counter() - start
    capped, capped_scored, capped_hits = per_segment(tm, queries)

    tm_module.FULL_SCAN_MAX = 10**9         # the lookup before the word index
    full, full_scored, full_hits = per_segment(TranslationMemory(tm.entries), queries[:FULL_SCAN_SAMPLE])
    capped_sample_hits = sum(bool(tm.fuzzy(q, EN, ZH, threshold=75, limit=3)) for q in queries[:FULL_SCAN_SAMPLE])

    print(f"fuzzy TM lookup, {TM_UNITS:,}-unit memory, threshold 75, 3 entries")
    print(f"{'lookup':<22}{'ms/segment':>12}{'scored/segment':>16}{'68,000 segments':>18}")
    print(f"{'word index, capped':<22}{capped * 1e3:>12.2f}{capped_scored:>16.0f}{capped * DOC_SEGMENTS:>16.0f} s")
    print(f"{'full scan (before)':<22}{full * 1e3:>12.2f}{full_scored:>16.0f}{full * DOC_SEGMENTS:>16.0f} s")
    print(f"index built on first lookup: {build:.2f} s; segments with a match: "
          f"{capped_hits}/{SAMPLE} capped; on the first {FULL_SCAN_SAMPLE}: "
          f"{capped_sample_hits} capped vs {full_hits} full scan")


if __name__ == "__main__":
    main()
