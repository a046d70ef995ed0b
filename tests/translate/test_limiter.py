"""Pacing under requests and tokens per minute, checked by the emulator's own counts,
over both protocols (the token pacing is corrected by each protocol's usage)."""
from __future__ import annotations

import asyncio

import pytest

from pipeline.emulator import EmulatorServer
from pipeline.languages import lookup
from pipeline.translate.limiter import RateLimiter
from pipeline.translate.pool import TRANSLATED, PoolSettings, RetryPolicy, Unit, WorkerPool
from pipeline.translate.engines import text_backend

SCALE = 0.05            # one "minute" lasts 3 s, for the emulator and the client alike
WINDOW = 60 * SCALE


def run(server, protocol, units, **settings):
    async def go():
        backend = text_backend(protocol, api_key="sk-limits0123456789abcdef", base_url=server.url_for(protocol),
                               timeout=10)
        opts = dict(model="qwen-mt-flash", source_lang=lookup("en"), concurrency=4,
                    retry=RetryPolicy(8, 0.01, 0.5), rate_window=WINDOW)
        opts.update(settings)
        async with WorkerPool(backend, PoolSettings(**opts)) as pool:
            outcomes = await asyncio.gather(*(pool.submit(u) for u in units))
        await backend.aclose()
        return outcomes, pool

    return asyncio.run(go())


def max_in_window(times: list[float], window: float) -> int:
    best, start = 0, 0
    for end in range(len(times)):
        while times[end] - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_request_rate_is_never_exceeded(protocol):
    with EmulatorServer(rpm=20, time_scale=SCALE) as server:
        units = [Unit(f"Sentence number {i} about files.", lookup("zh")) for i in range(30)]
        outcomes, pool = run(server, protocol, units, rpm=20)
        assert all(o.status == TRANSLATED for o in outcomes)
        assert sum(server.billing.errors.values()) == 0, server.billing.errors
        assert max_in_window(server.billing.received_times(), WINDOW) <= 20
        assert pool.limiter.stats.throttled == 0


def test_token_rate_is_never_exceeded(protocol):
    with EmulatorServer(tpm=3000, time_scale=SCALE, output_tokens="source") as server:
        units = [Unit(f"Paragraph {i}: " + "the quick brown fox jumps over the lazy dog. " * 3, lookup("ja"))
                 for i in range(40)]
        outcomes, pool = run(server, protocol, units, tpm=3000)
        assert all(o.status == TRANSLATED for o in outcomes)
        assert sum(server.billing.errors.values()) == 0, server.billing.errors
        records = sorted(server.billing.records, key=lambda r: r.time)
        for i, first in enumerate(records):
            in_window = [r.total_tokens for r in records[i:] if r.time - first.time < WINDOW]
            assert sum(in_window) <= 3000


def test_a_429_slows_the_run_and_it_recovers(protocol):
    with EmulatorServer(time_scale=SCALE) as server:
        server.script("429:retry_after=0.3")
        units = [Unit(f"Sentence {i} here.", lookup("de")) for i in range(60)]
        outcomes, pool = run(server, protocol, units, rpm=600, concurrency=1)
        assert all(o.status == TRANSLATED for o in outcomes)
        assert pool.limiter.stats.throttled == 1
        assert pool.limiter.stats.factor_min < 1.0  # slowed down...
        assert pool.limiter.factor == pytest.approx(1.0)  # ...and recovered
        first, second = server.billing.received_times()[:2]
        assert second - first >= 0.3  # nothing sent before Retry-After


def test_estimate_is_corrected_by_usage():
    async def go():
        limiter = RateLimiter(rpm=None, tpm=1000, window=60)
        r = await limiter.acquire(900)
        limiter.settle(r, 100)
        await asyncio.wait_for(limiter.acquire(800), timeout=1)  # fits only after the correction
    asyncio.run(go())
