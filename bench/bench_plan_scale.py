"""Planning at scale: ``qmt estimate`` of a 68,000-segment document with a 100,000-unit TM.

Planning is what a resume does first for every segment (glossary terms, fuzzy TM
entries, cache key, cache and memory lookups) before it sends anything, so its cost
per segment decides how soon a resumed run of a long document starts sending. This
builds, in a temporary folder, one Markdown file of 68,000 varied paragraphs and a TM
file of 100,000 units (near matches of half the paragraphs, plus unrelated units),
then times ``estimate_job`` (load, segment, plan, pack) end to end.

Run: ``make bench`` (or ``.venv/bin/python bench/bench_plan_scale.py`` from the repo root).
"""
from __future__ import annotations

import csv
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.config import load_job  # noqa: E402
from pipeline.job.estimate import estimate_job  # noqa: E402
from pipeline.job.run import pool_settings, region_of  # noqa: E402

SEGMENTS = 68_000
TM_UNITS = 100_000
JOB = """input = "in"
output = "out/{lang}"
source_lang = "en"
target_langs = ["zh"]
tm = "tm.csv"
"""


def paragraph(rng: random.Random, i: int) -> str:
    nouns = ("cache", "ledger", "worker", "bundle", "plugin", "router", "schema", "export", "module", "table")
    verbs = ("reads", "writes", "checks", "merges", "splits", "renders")
    return (f"Step {i}: the {rng.choice(nouns)} {rng.choice(verbs)} the {rng.choice(nouns)} of section "
            f"{rng.randrange(5000)} before the {rng.choice(nouns)} {rng.choice(verbs)} item {rng.randrange(100_000)}.")


def main() -> None:
    rng = random.Random(68)
    paragraphs = [paragraph(rng, i) for i in range(SEGMENTS)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        (root / "in" / "long.md").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        with (root / "tm.csv").open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["source", "target"])
            for i in range(TM_UNITS):
                source = paragraphs[i % SEGMENTS].replace("before", "after") if i < SEGMENTS // 2 \
                    else paragraph(rng, SEGMENTS + i)
                out.writerow([source, f"译文 {i}"])
        (root / "job.toml").write_text(JOB, encoding="utf-8")
        job = load_job(root / "job.toml")
        start = time.perf_counter()
        est = estimate_job(job, pool_settings(job), region_of(job))
        elapsed = time.perf_counter() - start
    print(f"qmt estimate: {SEGMENTS:,}-segment Markdown document, {TM_UNITS:,}-unit TM (threshold 75, 3 entries)")
    print(f"  total {elapsed:.1f} s (TM load, parse, plan, pack); {elapsed / SEGMENTS * 1e3:.2f} ms per segment")
    print(f"  {est.segments:,} segments planned: {est.tm_hits} exact TM matches, {est.requests:,} requests, "
          f"{est.prompt_tokens:,} prompt tokens")


if __name__ == "__main__":
    main()
