"""Packing several segments per request: one-to-one or split, against the emulator."""
from __future__ import annotations

import asyncio
import re

import pytest
from support import EMULATOR_KEY

from pipeline.emulator import pseudo_translate
from pipeline.languages import lookup
from pipeline.translate.backend import TermPair
from pipeline.translate.packing import pack, unpack
from pipeline.translate.pool import FAILED, TRANSLATED, Attempt, PoolSettings, RetryPolicy, Unit, WorkerPool
from pipeline.translate.qwen_backend import QwenBackend

JA = lookup("ja")
SOURCES = ["Hello <g1>world</g1>.", " Second one ", "第三。"]


def test_pack_and_unpack_round_trip():
    packed = pack(SOURCES)
    assert unpack(packed, SOURCES) == ["Hello <g1>world</g1>.", " Second one ", "第三。"]


@pytest.mark.parametrize(
    "answer",
    [
        "⟦§1⟧ a\n\n⟦§2⟧ b",                      # a segment dropped
        "⟦§1⟧ a b\n\n⟦§3⟧ c",                    # two merged
        "⟦§2⟧ b\n\n⟦§1⟧ a\n\n⟦§3⟧ c",            # reordered
        "Here is the translation:\n⟦§1⟧ a\n\n⟦§2⟧ b\n\n⟦§3⟧ c",  # chatter before
        "⟦§1⟧ a\n\n⟦§2⟧ \n\n⟦§3⟧ c",             # an empty piece
        "⟦§1⟧ a\n\n⟦§2⟧ b\n\n⟦§3⟧ c\n\n⟦§4⟧ d",  # one invented
    ],
)
def test_unpack_refuses_anything_not_one_to_one(answer):
    assert unpack(answer, SOURCES) is None


@pytest.fixture(autouse=True)
def clean(server):
    server.reset()
    server.set_mode("pseudo")
    yield
    server.set_mode("pseudo")


def run(server, units, pack_tokens=400):
    attempts: list[Attempt] = []

    async def go():
        backend = QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5)
        settings = PoolSettings(model="qwen-mt-flash", source_lang=lookup("en"), concurrency=2,
                                retry=RetryPolicy(3, 0.01, 0.02), pack_tokens=pack_tokens)
        async with WorkerPool(backend, settings, on_attempt=attempts.append) as pool:
            outcomes = await asyncio.gather(*(pool.submit(u) for u in units))
        await backend.aclose()
        return outcomes, pool

    outcomes, pool = asyncio.run(go())
    return outcomes, pool, attempts


def units(n: int, origin: str = "a.md") -> list[Unit]:
    return [Unit(f"Segment number {i} talks about <g1>files</g1> and folders.", JA, origin=origin)
            for i in range(n)]


def test_packed_run_uses_fewer_requests_and_keeps_alignment(server):
    work = units(30)
    outcomes, pool, _ = run(server, work)
    assert all(o.status == TRANSLATED for o in outcomes)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    assert server.billing.received < 10
    assert pool.stats.packed_segments == 30 and pool.stats.batch_splits == 0


def drop_third_piece(content: str, target: str, terms) -> str:
    out = pseudo_translate(content, target, terms)
    return re.sub(r"⟦§3⟧[^⟦]*", "", out)


def merge_second_into_first(content: str, target: str, terms) -> str:
    out = pseudo_translate(content, target, terms)
    return out.replace("⟦§2⟧", "", 1)


@pytest.mark.parametrize("damage", [drop_third_piece, merge_second_into_first])
def test_a_batch_that_loses_or_merges_a_segment_is_split_and_every_segment_ends_right(server, damage):
    server.set_mode(damage)
    work = units(12)
    outcomes, pool, _ = run(server, work)
    assert pool.stats.batch_splits > 0
    assert all(o.status == TRANSLATED for o in outcomes)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]


def test_refused_segment_in_a_batch_fails_alone(server):
    work = units(8)
    work[5] = Unit("This one is [[BLOCKED]] by moderation.", JA)
    outcomes, pool, _ = run(server, work)
    assert [o.status for o in outcomes].count(FAILED) == 1 and outcomes[5].status == FAILED
    assert all(o.status == TRANSLATED for i, o in enumerate(outcomes) if i != 5)
    assert pool.stats.batch_splits >= 1


def test_packed_request_carries_the_union_of_terms(server):
    work = [Unit("The biosensor is ready.", JA, terms=(TermPair("biosensor", "バイオセンサー"),)),
            Unit("The hub is ready.", JA, terms=(TermPair("hub", "ハブ"),)),
            Unit("The biosensor and hub.", JA, terms=(TermPair("biosensor", "バイオセンサー"), TermPair("hub", "ハブ")))]
    outcomes, _, _ = run(server, work)
    (body,) = server.billing.bodies()
    assert body["translation_options"]["terms"] == [{"source": "biosensor", "target": "バイオセンサー"},
                                                    {"source": "hub", "target": "ハブ"}]
    assert "バイオセンサー" in outcomes[0].text and "ハブ" in outcomes[1].text


def test_tokens_are_attributed_to_files_by_share(server):
    work = units(4, "a.md") + units(4, "b.md")[:2]
    work = [Unit(u.text + (" extra words here" if u.origin == "b.md" else ""), JA, origin=u.origin)
            for u in work]
    _, _, attempts = run(server, work)
    (attempt,) = attempts
    shares = dict(attempt.by_origin())
    assert set(shares) == {"a.md", "b.md"} and sum(shares.values()) == pytest.approx(1.0)
    assert attempt.segments == 6
