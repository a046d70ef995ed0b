"""ServerPace: what the run learns of a model server and the rules that follow, from
observations passed in (no server, no clock: every number is the rule's)."""
from __future__ import annotations

import asyncio

import httpx2
import pytest

from pipeline.translate.model_server import (FILL, KEEP, MIN_PACK_TOKENS, OUTPUT_FILL, PROBE_ANSWERS, SLACK, InFlight, Observation, PaceSettings,
                                             ServerPace, read_slots, server_root)

DEFAULTS = PaceSettings(concurrency=8, timeout=120.0)


def answer(rate: float, in_flight: int = 1, completion: int = 120, **timings: float) -> Observation:
    """An answer of ``completion`` tokens that took completion / rate seconds."""
    return Observation(source_tokens=completion, prompt_tokens=200, completion_tokens=completion,
                       seconds=completion / rate, in_flight=in_flight, **timings)


def test_a_server_that_announces_one_slot_gets_one_request_in_flight():
    pace = ServerPace(DEFAULTS, slots=1)
    assert pace.gate.limit == pace.workers == 1


def test_a_server_with_four_slots_gets_four():
    assert ServerPace(DEFAULTS, slots=4).gate.limit == 4


def test_never_more_than_the_jobs_concurrency():
    assert ServerPace(PaceSettings(concurrency=2, timeout=120.0), slots=16).gate.limit == 2


def test_a_concurrency_the_user_set_is_kept_even_above_the_slots():
    pace = ServerPace(PaceSettings(concurrency=8, timeout=120.0, concurrency_given=True), slots=1)
    assert pace.gate.limit == 8
    assert "8 requests in flight (--concurrency/[run] concurrency)" in pace.summary()


def test_the_servers_timings_are_its_speed():
    pace = ServerPace(DEFAULTS, slots=1)
    pace.observe(answer(12.0, predicted_per_second=12.0, prompt_per_second=120.0))
    assert pace.output_rate == 12.0 and pace.prompt_rate == 120.0


def test_without_timings_the_speed_is_the_answers_wall_rate():
    pace = ServerPace(DEFAULTS, slots=1)
    pace.observe(answer(10.0))
    assert pace.output_rate == pytest.approx(10.0) and pace.prompt_rate is None


def test_a_pack_fits_half_the_timeout_at_the_learned_speed():
    pace = ServerPace(DEFAULTS, slots=1)
    assert pace.pack_tokens() is None                      # nothing known: packs as configured
    pace.observe(answer(12.0, predicted_per_second=12.0, prompt_per_second=120.0))
    pace.overhead = 240
    cap = pace.pack_tokens()
    assert cap is not None
    expected = pace.expected_seconds(pace.overhead + cap, cap * pace.output_ratio)
    assert expected is not None and expected <= FILL * 120.0
    assert pace.expected_seconds(pace.overhead + cap + 2, (cap + 2) * pace.output_ratio) > FILL * 120.0


def test_a_system_prompt_the_server_keeps_in_its_cache_is_not_charged_to_packs():
    """llama.cpp on two loaded cores (issue 28): 2.1 output and ~4 prompt tokens a second,
    a system prompt of 210 tokens. Charged to every pack, it takes 50 of the 60 s a pack
    may take and leaves room for one short paragraph; taken from the server's cache
    (``timings.cache_n``), a pack has all 60 s."""
    slow = {"predicted_per_second": 2.1}
    charged, cached = ServerPace(DEFAULTS, slots=1), ServerPace(DEFAULTS, slots=1)
    charged.overhead = cached.overhead = 210
    charged.observe(answer(2.1, completion=30, **slow))
    cached.observe(answer(2.1, completion=30, cached_tokens=230, **slow))
    uncached, kept = charged.pack_tokens(), cached.pack_tokens()
    assert uncached == MIN_PACK_TOKENS and kept is not None and kept > 5 * MIN_PACK_TOKENS
    expected = cached.expected_seconds(kept, kept * cached.output_ratio)      # its text alone
    assert expected is not None and FILL * 120.0 - 1 < expected <= FILL * 120.0
    # A prompt the server processed whole again (another language's system prompt) is charged again.
    cached.observe(answer(2.1, completion=30, cached_tokens=12, **slow))
    assert (cached.pack_tokens() or 0) < 2 * MIN_PACK_TOKENS


def test_a_request_asks_for_no_more_output_than_its_time_bound_allows():
    """A model that runs on stops at max_tokens inside the request's bound (issue 28: a
    pack expected in 20 s ran past the 120 s timeout), while a real answer, at most half
    the bound at the learned speed, has room to spare."""
    pace = ServerPace(DEFAULTS, slots=1)
    assert pace.max_output(200, 120.0) is None                 # no speed yet: the server's own bound
    pace.observe(answer(8.0, predicted_per_second=8.0, prompt_per_second=40.0))
    cap = pace.max_output(200, 120.0)
    assert cap == int(OUTPUT_FILL * 8.0 * (120.0 - 200 / 40.0))
    expected = pace.expected_seconds(200, cap)
    assert expected is not None and expected <= 120.0
    source = pace.pack_tokens() or 0                            # the biggest pack: its output fits twice
    assert 2 * source * pace.output_ratio <= (pace.max_output(200 + source, pace.timeout_for(200 + source, source)) or 0)


def test_the_default_timeout_grows_for_a_request_that_needs_more():
    pace = ServerPace(DEFAULTS, slots=1)
    pace.observe(answer(12.0, predicted_per_second=12.0, prompt_per_second=120.0))
    assert pace.timeout_for(prompt_tokens=200, source_tokens=100) == 120.0      # ~10 s expected
    long = pace.timeout_for(prompt_tokens=2200, source_tokens=2000)             # ~185 s expected
    assert long == pytest.approx(SLACK * (2200 / 120.0 + 2000 * pace.output_ratio / 12.0))


def test_a_timeout_the_user_set_is_a_hard_bound():
    pace = ServerPace(PaceSettings(concurrency=8, timeout=60.0, timeout_given=True), slots=1)
    pace.observe(answer(12.0, predicted_per_second=12.0))
    assert pace.timeout_for(prompt_tokens=2200, source_tokens=2000) == 60.0
    assert (pace.pack_tokens() or 0) * pace.output_ratio / 12.0 <= FILL * 60.0


def test_a_timeout_before_any_speed_is_known_caps_the_speed():
    pace = ServerPace(DEFAULTS, slots=None)
    pace.timed_out(prompt_tokens=1200, source_tokens=1000, seconds=120.0)
    assert pace.output_rate == pytest.approx(1000 / 120.0)
    assert (pace.pack_tokens() or 0) < 1000                 # the next packs are smaller


def probe(pace: ServerPace, rates_by_level: dict[int, float]) -> list[int]:
    """Feed answers at each level's per-request rate; the limits the pace chose, in order."""
    limits = [pace.gate.limit]
    for _ in range(40):
        level = pace.gate.limit
        new = pace.observe(answer(rates_by_level[level], in_flight=level))
        if new is not None:
            pace.gate.limit = new
            limits.append(new)
    return limits


def test_without_slots_it_probes_up_while_each_request_stays_as_fast():
    """Four slots behind a server that does not say: 1, 2, 3, 4 in flight as fast as one;
    the fifth waits in the queue (each request 4/5 as fast... slower than KEEP): back to 4."""
    rates = {1: 12.0, 2: 12.0, 3: 11.5, 4: 11.0, 5: 12.0 * 4 / 5 * KEEP}
    pace = ServerPace(DEFAULTS, slots=None)
    assert probe(pace, rates) == [1, 2, 3, 4, 5, 4]
    assert pace.gate.limit == 4 and "4 requests in flight" in pace.summary()


def test_without_slots_one_slot_stays_at_one():
    pace = ServerPace(DEFAULTS, slots=None)
    assert probe(pace, {1: 12.0, 2: 6.0}) == [1, 2, 1]


def test_probing_stops_at_the_jobs_concurrency():
    pace = ServerPace(PaceSettings(concurrency=3, timeout=120.0), slots=None)
    assert probe(pace, {1: 12.0, 2: 12.0, 3: 12.0}) == [1, 2, 3]


def test_answers_sent_at_another_level_do_not_count():
    pace = ServerPace(DEFAULTS, slots=None)
    for _ in range(PROBE_ANSWERS * 3):
        assert pace.observe(answer(12.0, in_flight=2)) is None    # sent while 2 were in flight: limit is 1
    assert pace.gate.limit == 1


def test_a_queued_answer_is_not_taken_as_the_speed():
    pace = ServerPace(PaceSettings(concurrency=8, timeout=120.0, concurrency_given=True), slots=1)
    pace.observe(answer(12.0, in_flight=1))
    pace.observe(answer(1.5, in_flight=8))   # waited behind 7 others
    assert pace.output_rate == pytest.approx(12.0)


def test_the_gate_lets_through_its_limit_and_more_when_raised():
    async def go() -> list[int]:
        gate, seen, release = InFlight(1), [], asyncio.Event()

        async def one() -> None:
            async with gate:
                seen.append(gate.active)
                await release.wait()

        tasks = [asyncio.create_task(one()) for _ in range(3)]
        for _ in range(5):
            await asyncio.sleep(0)
        before = list(seen)
        await gate.set_limit(3)
        for _ in range(5):
            await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*tasks)
        return before + [max(seen)]

    assert asyncio.run(go()) == [1, 3]


def test_server_root_strips_the_openai_prefix():
    assert server_root("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080"
    assert server_root("http://h/api") == "http://h/api"


def _client(routes: dict[str, httpx2.Response]) -> httpx2.AsyncClient:
    def handle(request: httpx2.Request) -> httpx2.Response:
        return routes.get(request.url.path, httpx2.Response(404))

    return httpx2.AsyncClient(transport=httpx2.MockTransport(handle))


@pytest.mark.parametrize("routes, slots", [
    ({"/props": httpx2.Response(200, json={"total_slots": 3})}, 3),
    ({"/props": httpx2.Response(200, json={}), "/slots": httpx2.Response(200, json=[{"id": 0}, {"id": 1}])}, 2),
    ({"/slots": httpx2.Response(501, json={"error": "slots endpoint disabled"})}, None),
    ({"/props": httpx2.Response(200, text="not json")}, None),
    ({}, None),
], ids=["props", "slots", "disabled", "garbage", "none"])
def test_read_slots(routes, slots):
    async def go() -> int | None:
        async with _client(routes) as client:
            return await read_slots("http://server/v1", client)

    assert asyncio.run(go()) == slots
