"""Pacing under requests and tokens per minute, in virtual time (tests/virtual_time.py).

The pool sends real requests to the emulator over both protocols (the token pacing is
corrected by each protocol's usage), while its limiter reads and waits a virtual clock:
a real 60 s minute costs no wall time, and the checks are on the times the limiter gave
each request, so they hold however loaded the machine is. The emulator's own enforcement
of the limits is tested on a fake clock in tests/emulator/test_emulator_units.py; how
close to the limits the client can pace against real latencies is what ``make bench``
measures (bench/bench_throughput.py).
"""
from __future__ import annotations

import asyncio

import pytest
from pool_support import Recorder, send_planned
from virtual_time import VirtualTime

from pipeline.emulator import EmulatorServer
from pipeline.languages import lookup
from pipeline.translate.engines import text_backend
from pipeline.translate.limiter import DECREASE, EXPIRY_FLOOR, EXPIRY_MARGIN, LAG_CAP, SAFETY, RateLimiter, Reservation
from pipeline.translate.pool import TRANSLATED, PoolSettings, RetryPolicy, Unit, WorkerPool

WINDOW = 60.0


def run(server, protocol, units, **settings):
    """The units through a pool whose pacing runs on virtual time; also every reservation
    its limiter made (their tokens corrected from usage by the end)."""
    time = VirtualTime()
    reservations: list[Reservation] = []

    async def go():
        backend = text_backend(protocol, api_key="sk-limits0123456789abcdef", base_url=server.url_for(protocol),
                               timeout=10)
        opts = dict(model="qwen-mt-flash", source_lang=lookup("en"), concurrency=4,
                    retry=RetryPolicy(8, 0.01, 0.5), rate_window=WINDOW, clock=time.clock)
        opts.update(settings)
        pool_settings = PoolSettings(**opts)
        async with WorkerPool(backend, pool_settings, Recorder()) as pool:
            acquire = pool.limiter.acquire

            async def recorded(tokens: int) -> Reservation:
                reservation = await acquire(tokens)
                reservations.append(reservation)
                return reservation

            pool.limiter.acquire = recorded
            outcomes = await asyncio.gather(*send_planned(pool, pool_settings, units))
        await backend.aclose()
        return outcomes, pool

    outcomes, pool = asyncio.run(go())
    return outcomes, pool, reservations, time


def most_in_window(times: list[float], window: float) -> int:
    best, start = 0, 0
    for end in range(len(times)):
        while times[end] - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_request_rate_is_never_exceeded(protocol):
    with EmulatorServer() as server:
        units = [Unit(f"Sentence number {i} about files.", lookup("zh")) for i in range(30)]
        outcomes, pool, reservations, time = run(server, protocol, units, rpm=20)
    assert all(o.status == TRANSLATED for o in outcomes)
    times = [r.at for r in reservations]
    assert len(times) == 30 == len(server.billing.records)
    assert most_in_window(times, WINDOW) in (19, 20)          # paced just under the limit, not far under it
    assert time.now() >= 29 * WINDOW / 20                       # 30 requests at 20 a minute: 87 s of virtual time
    assert pool.limiter.stats.throttled == 0


def test_token_rate_is_never_exceeded(protocol):
    with EmulatorServer(output_tokens="source") as server:
        units = [Unit(f"Paragraph {i}: " + "the quick brown fox jumps over the lazy dog. " * 3, lookup("ja"))
                 for i in range(40)]
        outcomes, pool, reservations, time = run(server, protocol, units, tpm=3000)
    assert all(o.status == TRANSLATED for o in outcomes)
    # The limiter's tokens are the emulator's bill once usage has corrected them...
    assert sum(r.tokens for r in reservations) == server.billing.total_tokens
    # ...and no minute, starting at any request, holds more than the limit of them.
    by_time = sorted(reservations, key=lambda r: r.at)
    windows = [sum(r.tokens for r in by_time[i:] if r.at - first.at < WINDOW) for i, first in enumerate(by_time)]
    assert max(windows) <= 3000
    assert max(windows) >= 0.9 * 3000                            # and the limit is used, not wasted
    assert time.now() >= (server.billing.total_tokens / 3000 - 1) * WINDOW


def test_a_429_slows_the_run_and_it_recovers(protocol):
    with EmulatorServer() as server:
        server.script("429:retry_after=30")
        units = [Unit(f"Sentence {i} here.", lookup("de")) for i in range(60)]
        outcomes, pool, reservations, _ = run(server, protocol, units, rpm=600, concurrency=1)
    assert all(o.status == TRANSLATED for o in outcomes)
    assert pool.limiter.stats.throttled == 1
    assert pool.limiter.stats.factor_min < 1.0                  # slowed down...
    assert pool.limiter.factor == pytest.approx(1.0)            # ...and recovered
    first, second = reservations[:2]
    assert second.at - first.at >= 30                           # nothing sent before Retry-After


def test_estimate_is_corrected_by_usage():
    time = VirtualTime()

    async def go():
        limiter = RateLimiter(rpm=None, tpm=1000, window=WINDOW, clock=time.clock)
        reservation = await limiter.acquire(900)
        limiter.settle(reservation, 100)
        await limiter.acquire(800)                              # fits only after the correction
        assert time.slept == []                                 # so it did not wait
        await limiter.acquire(200)                              # 1,100 do not fit: wait for the first to leave
        assert time.now() >= WINDOW

    asyncio.run(go())


def test_concurrent_callers_share_the_minute_in_order():
    """Many tasks at once on one limiter: each is admitted in turn (FIFO), evenly spaced."""
    time = VirtualTime()

    async def go():
        limiter = RateLimiter(rpm=30, tpm=None, window=WINDOW, clock=time.clock)
        return await asyncio.gather(*(limiter.acquire(10) for _ in range(61)))

    times = [r.at for r in asyncio.run(go())]
    assert times == sorted(times)
    gaps = {round(b - a, 6) for a, b in zip(times, times[1:])}
    assert gaps == {round(WINDOW / (30 * SAFETY), 6)}           # the spacing of 30 a minute, with the safety margin
    assert most_in_window(times, WINDOW) == 30


def test_a_burst_of_429s_lowers_the_rates_once():
    """Issue 28's stall: the requests in flight when the first 429 came were paced at the
    old rate; their 429s pause the run but do not cut the rate again (a cut per 429 would
    compound: DECREASE to the power of the requests in flight). A 429 of a request admitted
    after the cut means the cut was not enough: that one lowers the rates again."""
    time = VirtualTime()

    async def go() -> list[float]:
        limiter = RateLimiter(rpm=60, tpm=100_000, window=WINDOW, clock=time.clock)
        in_flight = [await limiter.acquire(1000) for _ in range(4)]
        factors = []
        for reservation in in_flight:           # all four come back 429, Retry-After 2 s
            limiter.throttled(2.0, reservation)
            factors.append(limiter.factor)
        later = await limiter.acquire(1000)     # admitted after the pause, at the lowered rate
        assert later.at >= in_flight[-1].at + 2.0
        limiter.throttled(None, later)
        return factors + [limiter.factor]

    factors = asyncio.run(go())
    assert factors[:4] == [pytest.approx(DECREASE)] * 4
    assert factors[4] == pytest.approx(DECREASE ** 2)


def test_a_429_without_its_reservation_always_lowers_the_rates():
    time = VirtualTime()
    limiter = RateLimiter(rpm=60, tpm=None, window=WINDOW, clock=time.clock)
    limiter.throttled(None)
    limiter.throttled(None)
    assert limiter.factor == pytest.approx(DECREASE ** 2) and limiter.stats.throttled == 2


def test_a_slot_missed_by_less_than_one_spacing_is_kept_and_never_more():
    """A request that comes half a spacing late does not push every later slot back: the
    next one may follow at once. After a long pause only one slot is kept, so at most
    one request more than the even spacing ever falls in a window (SAFETY's room)."""
    time = VirtualTime()
    spacing = WINDOW / (60 * SAFETY)

    async def go() -> list[float]:
        limiter = RateLimiter(rpm=60, tpm=None, window=WINDOW, clock=time.clock)
        times = [(await limiter.acquire(10)).at]
        await time.sleep(1.5 * spacing)                 # the second request comes late
        times += [(await limiter.acquire(10)).at for _ in range(2)]
        await time.sleep(10 * spacing)                  # a long pause: one slot kept, not ten
        times += [(await limiter.acquire(10)).at for _ in range(3)]
        return times

    times = asyncio.run(go())
    gaps = [round((b - a) / spacing, 6) for a, b in zip(times, times[1:])]
    assert gaps == [1.5, 0.5, 10.0, 0.0, 1.0]
    assert most_in_window(times, WINDOW) <= 60


def test_a_request_holds_its_place_in_the_window_from_when_it_leaves():
    """Admitted at 0, journaled and sent 5 s later: its tokens count until 5 s + the
    horizon, as the service counts them from their arrival, not from the admission."""
    time = VirtualTime()

    async def go() -> float:
        limiter = RateLimiter(rpm=None, tpm=1000, window=WINDOW, clock=time.clock)
        first = await limiter.acquire(900)
        await time.sleep(5.0)
        limiter.leaving(first)
        await limiter.acquire(900)                      # waits for the first to leave
        return time.now()

    assert asyncio.run(go()) >= 5.0 + WINDOW


def test_a_429_for_a_request_our_window_admitted_holds_tokens_as_long_as_the_service_does():
    """The service refused (Retry-After 0.5 s) a request our window had room for: its
    window lets go of requests later than ours. From then on a request's tokens stay in
    our window that much longer, so the next request that needs them waits for the
    service's window, not ours; a Retry-After longer than LAG_CAP of the window (a pause,
    not a lag) moves the margin to LAG_CAP, no further."""
    time = VirtualTime()

    async def go() -> tuple[float, float, float]:
        limiter = RateLimiter(rpm=None, tpm=1000, window=WINDOW, clock=time.clock)
        first = await limiter.acquire(900)
        refused = await limiter.acquire(50)
        limiter.throttled(0.5, refused)
        limiter.settle(refused, 0)
        await limiter.acquire(900)                      # waits for the first to leave
        waited = time.now()
        limiter.throttled(30.0, refused)
        return first.at, waited, limiter.lag

    first, waited, lag = asyncio.run(go())
    assert waited >= first + WINDOW + 0.5
    assert WINDOW * EXPIRY_MARGIN < 0.5 and EXPIRY_FLOOR < 0.5       # longer than the usual margin
    assert lag == pytest.approx(WINDOW * LAG_CAP)


def test_a_429_without_a_retry_after_leaves_the_window_as_it_was():
    time = VirtualTime()
    limiter = RateLimiter(rpm=60, tpm=1000, window=WINDOW, clock=time.clock)
    horizon = limiter.horizon
    limiter.throttled(None, Reservation(0.0, 10))
    assert limiter.lag == 0.0 and limiter.horizon == horizon


@pytest.mark.parametrize("limit, tokens, requests", [("requests", 1.0, DECREASE), ("tokens", DECREASE, 1.0),
                                                    (None, DECREASE, DECREASE)])
def test_a_throttle_slows_the_rate_it_names_and_the_other_keeps_its_pace(limit, tokens, requests):
    """A request-rate throttle (RateQuota) at a token-bound pace must not cut the token
    budget: a cut admits nothing until the window drains to it (issue 28: a 5 s stall of
    the docs site's second minute, for a 429 about requests). Both rates come back with answers."""
    time = VirtualTime()
    limiter = RateLimiter(rpm=60, tpm=100_000, window=WINDOW, clock=time.clock)
    limiter.throttled(None, None, limit)
    assert (limiter.factor, limiter.request_factor) == (pytest.approx(tokens), pytest.approx(requests))
    assert limiter.stats.factor_min == pytest.approx(DECREASE)
    limiter.succeeded()
    limiter.succeeded()
    assert limiter.factor == pytest.approx(1.0) and limiter.request_factor == pytest.approx(1.0)


def test_after_a_request_throttle_a_full_token_window_still_admits_at_its_budget():
    time = VirtualTime()

    async def go() -> float:
        limiter = RateLimiter(rpm=None, tpm=10_000, window=WINDOW, clock=time.clock)
        await limiter.acquire(int(10_000 * SAFETY) - 500)      # the window nearly full
        limiter.throttled(None, None, "requests")
        start = time.now()
        await limiter.acquire(400)                              # still fits the unchanged budget
        return time.now() - start

    assert asyncio.run(go()) <= WINDOW / 60 + 1e-9             # at most the pause, never the drain

