"""COMPONENT benchmark: the worker pool alone, on segments extracted beforehand.

Not what users run: no CLI, no discovery, extraction, planning, rebuilding or writing,
and one file's worth of packing. The figure users get is ``bench/bench_job.py``
(``qmt translate`` through the CLI on whole folders), which ``make bench`` runs first;
this one shows the ceiling of the pool and where the rest of the pipeline loses.

Throughput against the documented limits: sequential vs concurrent vs packed.

Runs the production pool (QwenBackend over HTTP) against the emulator enforcing the
documented per-model limits (60 requests and 100,000 tokens a minute, Singapore) with a
realistic latency (lognormal time to first byte plus generation time per output
token). Limits and latencies are scaled together by TIME_SCALE so a "minute" lasts
60 * TIME_SCALE seconds: the ratios (fraction of the token limit reached, speed-ups)
are what this measures, not the absolute seconds.

Corpus: the first 2,000+ distinct segments (paragraphs, headings, list items, table
cells) of the 57 Markdown pages in ../shared/corpus/markdown.

Environment: QMT_BENCH_SEGMENTS (default 2000), QMT_BENCH_TIME_SCALE (default 0.02).
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.emulator import EmulatorServer, pseudo_translate  # noqa: E402
from pipeline.formats import LoadContext, handler_for  # noqa: E402
from pipeline.formats.options import MarkdownOptions  # noqa: E402
from pipeline.languages import lookup  # noqa: E402
from pipeline.segments import has_translatable_text  # noqa: E402
from pipeline.translate.batching import plan_batches  # noqa: E402
from pipeline.translate.pool import PoolSettings, RetryPolicy, Unit, WorkerPool  # noqa: E402
from pipeline.translate.qwen_backend import QwenBackend  # noqa: E402

RPM, TPM = 60, 100_000
SEGMENTS = int(os.environ.get("QMT_BENCH_SEGMENTS", "2000"))
TIME_SCALE = float(os.environ.get("QMT_BENCH_TIME_SCALE", "0.02"))
WINDOW = 60 * TIME_SCALE
LATENCY_MS, LATENCY_SIGMA, PER_TOKEN_MS = 800.0, 0.5, 8.0
TARGET = lookup("ja")
# What a job with these limits packs by default (pipeline.config.Job.packing_tokens).
PACK_TOKENS = int(min(2000, max(200, 1.5 * TPM / RPM / 2.2)))


@dataclass
class Result:
    name: str
    wall: float
    requests: int
    tokens: int
    throttled: int
    splits: int
    wrong: int

    def row(self) -> list[str]:
        minutes = self.wall / WINDOW
        tpm = self.tokens / minutes if minutes else 0.0
        return [self.name, f"{self.wall:.1f}", f"{minutes:.1f}", str(self.requests), f"{tpm:,.0f}",
                f"{tpm / TPM:.0%}", str(self.throttled), str(self.splits), str(self.wrong)]


def corpus_segments() -> list[str]:
    folder = ROOT.parent / "shared" / "corpus" / "markdown"
    seen: dict[str, None] = {}
    for path in sorted(folder.glob("*.md")):
        doc = handler_for(path).load(LoadContext(path, path.read_bytes(), MarkdownOptions(), lookup("en"), (TARGET,)))
        for seg in doc.segments():
            if has_translatable_text(seg.text):
                seen.setdefault(seg.text, None)
        if len(seen) >= SEGMENTS:
            break
    return list(seen)[:SEGMENTS]


class _Unjournaled:
    """The pool's observer in a benchmark of the pool alone: nothing is journaled."""

    def record_send(self, attempt) -> None:
        pass

    def record_attempt(self, attempt) -> None:
        pass

    def settled(self, unit) -> None:
        pass


async def run_strategy(server: EmulatorServer, texts: list[str], *, concurrency: int, pack_tokens: int,
                       limited: bool = True) -> tuple[float, WorkerPool, list]:
    backend = QwenBackend(api_key="sk-bench0123456789abcdefgh", base_url=server.base_url, timeout=600)
    settings = PoolSettings(
        model="qwen-mt-flash", source_lang=lookup("en"), concurrency=concurrency,
        retry=RetryPolicy(8, 0.05 * TIME_SCALE * 60, 2.0), pack_tokens=pack_tokens,
        rpm=RPM if limited else None, tpm=TPM if limited else None, rate_window=WINDOW)
    started = time.perf_counter()
    units = [Unit(t, TARGET, origin="bench") for t in texts]
    async with WorkerPool(backend, settings, _Unjournaled()) as pool:
        futures = [pool.expect(u) for u in units]   # packed as a run's plan packs them
        unique = list({u.key: u for u in units}.values())  # the same text is sent once
        for request in plan_batches(unique, pack_tokens, settings.pack_max_segments, sizer=pool.sizer):
            pool.send(request)
        outcomes = await asyncio.gather(*futures)
    wall = time.perf_counter() - started
    await backend.aclose()
    return wall, pool, outcomes


def measure(name: str, texts: list[str], *, concurrency: int, pack_tokens: int) -> Result:
    with EmulatorServer(mode="pseudo", rpm=RPM, tpm=TPM, time_scale=TIME_SCALE, latency_ms=LATENCY_MS,
                        latency_sigma=LATENCY_SIGMA, latency_per_token_ms=PER_TOKEN_MS, seed=1,
                        output_tokens="source") as server:
        wall, pool, outcomes = asyncio.run(run_strategy(server, texts, concurrency=concurrency,
                                                        pack_tokens=pack_tokens))
        wrong = sum(o.text != pseudo_translate(t, TARGET.name) for o, t in zip(outcomes, texts))
        throttled = sum(v for k, v in server.billing.errors.items() if k.startswith("Throttling"))
        return Result(name, wall, server.billing.received, server.billing.total_tokens, throttled,
                      pool.stats.batch_splits, wrong)


def overhead(texts: list[str]) -> list[str]:
    rows = []
    for name, pack_tokens in (("one per request", 0), ("packed", 800)):
        with EmulatorServer(mode="pseudo") as server:
            wall, _, _ = asyncio.run(run_strategy(server, texts, concurrency=8, pack_tokens=pack_tokens,
                                                  limited=False))
        rows.append(f"  {name:<16} {wall / len(texts) * 1000:.2f} ms per segment "
                    f"({len(texts)} segments in {wall:.1f} s, {server.billing.received} requests)")
    return rows


def table(rows: list[list[str]]) -> str:
    header = ["strategy", "wall s", "minutes", "requests", "tokens/min", "of TPM", "429s", "splits", "wrong"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    return "\n".join(lines)


def main() -> None:
    texts = corpus_segments()
    print("COMPONENT benchmark (worker pool only, segments extracted beforehand; what users run: "
          "bench/bench_job.py)")
    print(f"throughput: {len(texts)} distinct corpus segments into {TARGET.name}; emulator limits {RPM} RPM, "
          f"{TPM:,} TPM; latency {LATENCY_MS:.0f} ms (sigma {LATENCY_SIGMA}) + {PER_TOKEN_MS} ms/output token; "
          f"time scale {TIME_SCALE} (a minute lasts {WINDOW:.1f} s)")
    results = [
        measure("sequential, 1/request", texts, concurrency=1, pack_tokens=0),
        measure("concurrent, 1/request", texts, concurrency=16, pack_tokens=0),
        measure("packed + concurrent", texts, concurrency=16, pack_tokens=PACK_TOKENS),
    ]
    print(table([r.row() for r in results]))
    seq, conc, packed = results
    print(f"packed speed-up: {seq.wall / packed.wall:.1f}x over sequential, {conc.wall / packed.wall:.1f}x over "
          f"concurrent unpacked; segments lost or misaligned: {packed.wrong}")
    print("pipeline overhead (zero-latency, unlimited emulator):")
    print("\n".join(overhead(texts)))


if __name__ == "__main__":
    main()
