"""The pack-size controller: shrinks on misaligned answers, grows back, deterministic;
and against the emulator, with the pool, under scripted marker damage."""
from __future__ import annotations

import asyncio
import math

import pytest
from pool_support import Recorder, send_planned
from support import EMULATOR_KEY

from pipeline.emulator import pseudo_translate
from pipeline.languages import lookup
from pipeline.translate.pack_size import FLOOR_MARGIN, PackSizer
from pipeline.translate.pool import TRANSLATED, PoolSettings, RetryPolicy, Unit, WorkerPool
from pipeline.translate.qwen_backend import QwenBackend

JA = lookup("ja")


def test_starts_at_the_settings_limits_and_stays_there_without_damage():
    sizer = PackSizer(40, 1200)
    assert sizer.limits() == (40, 1200)
    for _ in range(100):
        sizer.observe(40, 0)
    assert sizer.limits() == (40, 1200) and sizer.shrinks == 0


def test_an_answer_that_kept_nothing_halves_both_limits():
    sizer = PackSizer(40, 1200)
    sizer.observe(40, 40)
    assert sizer.limits() == (20, 600)
    sizer.observe(20, 20)
    assert sizer.limits() == (10, 300)


def test_the_cut_follows_the_misaligned_share():
    sizer = PackSizer(40, 1200)
    sizer.observe(40, 2)              # x (1 - 0.5 * 2/40) = 39
    assert sizer.limits() == (39, 1170)
    sizer.observe(10, 5)              # x 0.75 = 29.25
    assert sizer.limits() == (29, 870)


def test_never_below_one_segment_and_grows_back_one_segment_per_clean_answer():
    sizer = PackSizer(8, 400)
    for _ in range(20):
        sizer.observe(2, 2)
    assert sizer.limits() == (1, 50)
    grown = []
    for _ in range(9):
        sizer.observe(1, 0)
        grown.append(sizer.limits()[0])
    assert grown == [2, 3, 4, 5, 6, 7, 8, 8, 8]
    assert sizer.limits() == (8, 400)


def test_a_large_limit_grows_back_by_a_twentieth_per_clean_answer():
    sizer = PackSizer(40, 1200)
    sizer.observe(40, 40)
    sizes = []
    for _ in range(11):
        sizer.observe(20, 0)
        sizes.append(sizer.limits()[0])
    assert sizes == [22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 40]


def test_same_observations_give_the_same_limits():
    observations = [(40, 3), (37, 0), (30, 30), (15, 0), (16, 1), (16, 0), (10, 10)] * 3

    def replay() -> list[tuple[int, int]]:
        sizer = PackSizer(40, 1500)
        out = []
        for segments, misaligned in observations:
            sizer.observe(segments, misaligned)
            out.append(sizer.limits())
        return out

    assert replay() == replay()


@pytest.mark.parametrize(("args", "observation"), [((0, 100), None), ((10, 0), None), ((10, 100), (0, 0)),
                                                   ((10, 100), (3, 4)), ((10, 100), (3, -1))])
def test_bad_values_are_refused(args, observation):
    with pytest.raises(ValueError):
        sizer = PackSizer(*args)
        sizer.observe(*observation)


# --- against the emulator ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean(server):
    server.reset()
    server.set_error_rates({})
    yield
    server.set_error_rates({})
    server.reset()


def test_pack_size_shrinks_under_marker_damage_and_recovers_without(server):
    """Files of 16 segments go through one pool, one after the other; marker damage on
    every packed answer for the first files, none after."""
    recorder = Recorder()
    attempts = recorder.attempts
    limits: list[tuple[int, int]] = []

    async def go():
        backend = QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5)
        settings = PoolSettings(model="qwen-mt-flash", source_lang=lookup("en"), concurrency=1,
                                retry=RetryPolicy(3, 0.01, 0.02), pack_tokens=400, pack_max_segments=8)
        outcomes = []
        async with WorkerPool(backend, settings, recorder) as pool:
            for n in range(12):
                if n == 4:
                    server.set_error_rates({"marker": 0.0})
                work = [Unit(f"File {n} segment {i} says something short.", JA, origin=f"{n}.md") for i in range(16)]
                got = await asyncio.gather(*send_planned(pool, settings, work))
                outcomes += zip(work, got)
                limits.append(pool.sizer.limits())
        await backend.aclose()
        return outcomes, pool

    server.set_seed(11)
    server.set_error_rates({"marker": 1.0})
    outcomes, pool = asyncio.run(go())
    assert all(o.status == TRANSLATED and o.text == pseudo_translate(u.text, "Japanese") for u, o in outcomes)
    segments = [lim[0] for lim in limits]
    assert max(segments[:4]) <= 4                      # damaged answers shrank the pack size
    assert segments[-1] == 8 and limits[-1] == (8, 400)   # clean answers grew it back to the limit
    assert pool.stats.misaligned > 0 and pool.sizer.shrinks > 0
    # Requests really carried fewer segments while damaged (the first pack of 8 aside).
    damaged_phase = [a.segments for a in attempts if a.origin in {"1.md", "2.md", "3.md"}]
    assert max(damaged_phase) <= 4
    assert max(a.segments for a in attempts if a.origin == "11.md") == 8


def test_under_both_rate_limits_a_pack_shrinks_no_further_than_a_full_request_needs():
    """Issue 28: packs of 40 short segments billing 2,000 tokens are already near the 1,667
    tokens a request must bill at 100,000 TPM and 60 RPM; halving them would leave the
    request limit binding at half the token limit. With packs of 40 segments billing
    4,000, halves still fill the minute (FLOOR_MARGIN over it, 1.25 x 1,667 x 40 / 4,000)."""
    short = PackSizer(40, 1000)
    short.keep_requests_at(100_000 / 60)
    short.observe(40, 40, tokens=2000)                  # an answer that kept nothing
    assert short.limits() == (40, 1000)
    long = PackSizer(40, 1000)
    long.keep_requests_at(100_000 / 60)
    long.observe(40, 40, tokens=4000)
    assert long.limits() == (20, 500)
    long.observe(20, 20, tokens=2000)                  # at the floor: no smaller
    assert long.limits()[0] == math.floor(FLOOR_MARGIN * 100_000 / 60 * 60 / 6000)
    free = PackSizer(40, 1000)                          # no rate limits: halves, as before
    free.observe(40, 40, tokens=2000)
    free.observe(20, 20, tokens=1000)
    assert free.limits() == (10, 250)


def test_under_both_rate_limits_the_floor_holds_the_token_limit_too():
    """Short segments (50 billed, 20 source tokens each) under a segment limit of 80: an
    answer that kept nothing takes the size down to the floor in segments (the segments
    that bill FLOOR_MARGIN x TPM / RPM), and the token limit no lower than those
    segments' source tokens. Cut in the same ratio as the segments (1136 x 41 / 80 =
    582), it would close the pack at 29 segments, a request billing 1,450 tokens: under
    TPM / RPM, where the request limit binds first."""
    sizer = PackSizer(80, 1136)
    sizer.keep_requests_at(1667)
    sizer.observe(40, 40, tokens=2000, source=800)
    segments, tokens = sizer.limits()
    assert segments == math.floor(FLOOR_MARGIN * 1667 * 40 / 2000)
    assert tokens == math.ceil(FLOOR_MARGIN * 1667 * 800 / 2000)
    assert tokens * 2000 / 800 >= FLOOR_MARGIN * 1667       # a pack at the limits bills the floor


def test_without_rate_limits_both_limits_still_shrink_together():
    sizer = PackSizer(80, 1136)
    sizer.observe(40, 40, tokens=2000, source=800)
    assert sizer.limits() == (40, 568)
