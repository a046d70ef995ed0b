"""Packing several segments per request: one-to-one or split, against the emulator."""
from __future__ import annotations

import asyncio
import re

import pytest
from pool_support import Recorder, send_planned
from support import EMULATOR_KEY
from virtual_time import VirtualTime

from pipeline.emulator import pseudo_translate
from pipeline.emulator.faults import FaultPlan, parse_action
from pipeline.languages import lookup
from pipeline.tokens import count_tokens
from pipeline.translate.backend import TermPair
from pipeline.translate.packing import PACK_MARKER_RE, pack, salvage, unpack
from pipeline.translate.pool import FAILED, TRANSLATED, PoolSettings, RetryPolicy, Unit, WorkerPool
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


def run(server, units, pack_tokens=400, stream=False, **overrides):
    recorder = Recorder()
    attempts = recorder.attempts

    async def go():
        backend = QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5, stream=stream)
        settings = PoolSettings(**{"model": "qwen-mt-flash", "source_lang": lookup("en"), "concurrency": 2,
                                   "retry": RetryPolicy(3, 0.01, 0.02), "pack_tokens": pack_tokens, **overrides})
        async with WorkerPool(backend, settings, recorder) as pool:
            outcomes = await asyncio.gather(*send_planned(pool, settings, units))
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


# The damage hits every packed answer, the resent pair too: merging the second marker away
# leaves a pair nothing provable, so that pair is split into two single requests.
@pytest.mark.parametrize(("damage", "requests", "splits"), [(drop_third_piece, 2, 0), (merge_second_into_first, 4, 1)])
def test_a_batch_that_loses_or_merges_a_segment_resends_only_that_part_and_every_segment_ends_right(
        server, damage, requests, splits):
    server.set_mode(damage)
    work = units(12)
    outcomes, pool, _ = run(server, work)
    assert pool.stats.resent_segments == 2 and pool.stats.batch_splits == splits
    assert server.billing.received == requests
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


# --- salvaging a damaged answer ---------------------------------------------------------

FIVE = [f"Segment {i} is here." for i in range(1, 6)]
FIVE_ANSWER = pseudo_translate(pack(FIVE), "Japanese")
FIVE_PIECES = [pseudo_translate(s, "Japanese") for s in FIVE]


def damaged(*specs: str) -> str:
    """The five-piece answer damaged by the emulator's scripted ``marker`` faults, in turn."""
    plan = FaultPlan()
    answer = FIVE_ANSWER
    for spec in specs:
        answer = plan.damage_markers(answer, parse_action(spec))
    return answer


@pytest.mark.parametrize(("specs", "misaligned"), [
    ((), []),
    (("marker:kind=drop,at=3",), [1, 2]),        # piece 2 holds the text of 2 and 3
    (("marker:kind=alter,at=3",), [1, 2]),       # "[§3]" reads as text of piece 2
    (("marker:kind=alter,at=1",), [0]),          # the text before ⟦§2⟧ is piece 1's: not provable
    (("marker:kind=drop,at=2", "marker:kind=drop,at=3"), [0, 1, 2, 3]),  # ⟦§2⟧, then ⟦§4⟧ (third left)
    (("marker:kind=drop,at=5",), [0, 1, 2, 3, 4]),   # last marker short of N: could be a merge
    (("marker:kind=merge,at=2",), [0, 1, 2, 3, 4]),  # renumbered: no marker after says which piece
    (("marker:kind=merge,at=5",), [0, 1, 2, 3, 4]),
])
def test_salvage_keeps_exactly_the_provably_aligned_pieces(specs, misaligned):
    found = salvage(damaged(*specs), FIVE)
    assert found.misaligned == misaligned
    assert found.pieces == {i: FIVE_PIECES[i] for i in range(5) if i not in misaligned}


@pytest.mark.parametrize(("answer", "misaligned"), [
    ("⟦§1⟧ a\n\n⟦§2⟧ \n\n⟦§3⟧ c\n\n⟦§4⟧ d\n\n⟦§5⟧ e", [0, 1, 2]),   # empty piece: its text went next door
    ("Sure:\n⟦§1⟧ a\n\n⟦§2⟧ b\n\n⟦§3⟧ c\n\n⟦§4⟧ d\n\n⟦§5⟧ e", [0]),  # chatter before the first marker
    ("⟦§1⟧ a\n\n⟦§3⟧ c\n\n⟦§2⟧ b\n\n⟦§4⟧ d\n\n⟦§5⟧ e", [0, 1, 2, 3, 4]),  # out of order
    ("⟦§1⟧ a\n\n⟦§2⟧ b\n\n⟦§2⟧ b\n\n⟦§4⟧ d\n\n⟦§5⟧ e", [0, 1, 2, 3, 4]),  # repeated
    ("⟦§1⟧ a\n\n⟦§2⟧ b\n\n⟦§3⟧ c\n\n⟦§4⟧ d\n\n⟦§5⟧ e\n\n⟦§6⟧ f", [0, 1, 2, 3, 4]),  # invented
    ("no markers at all", [0, 1, 2, 3, 4]),
])
def test_salvage_keeps_nothing_it_cannot_prove(answer, misaligned):
    found = salvage(answer, FIVE)
    assert found.misaligned == misaligned
    assert set(found.pieces) == set(range(5)) - set(misaligned)


def test_markers_written_back_in_cjk_brackets_are_read_as_markers():
    """A model writing Chinese wrote ⟦§2⟧ back as 【§2】 in about half its answers (issue 28):
    the same number, so the same marker; an answer that did is aligned, not damaged."""
    answer = PACK_MARKER_RE.sub(lambda m: f"【§{m.group(1)}】", FIVE_ANSWER)
    assert "⟦§" not in answer and salvage(answer, FIVE) == salvage(FIVE_ANSWER, FIVE)
    assert unpack(answer, FIVE) == FIVE_PIECES
    # Mixed with the usual form, and damaged as usual: the same salvage as with ⟦§3⟧.
    assert salvage(damaged("marker:kind=drop,at=3").replace("⟦§4⟧", "【§4】"), FIVE).misaligned == [1, 2]


def test_cjk_brackets_the_sources_hold_themselves_stay_text():
    sources = ["See 【§2】 below.", "Second."]
    assert salvage("【§1】 Voir 【§2】 ci-dessous.\n\n【§2】 Deux.", sources).pieces == {}
    assert salvage("⟦§1⟧ Voir 【§2】 ci-dessous.\n\n⟦§2⟧ Deux.", sources).pieces == {
        0: "Voir 【§2】 ci-dessous.", 1: "Deux."}


def test_salvaged_pieces_get_their_source_white_space_back():
    sources = [" lead", "trail ", "mid"]
    found = salvage("⟦§1⟧ A\n\n[§2] B\n\n⟦§3⟧ C", sources)
    assert found.pieces == {2: "C"} and found.misaligned == [0, 1]
    assert salvage("⟦§1⟧ A\n\n⟦§2⟧ B\n\n⟦§3⟧ C", sources).pieces == {0: " A", 1: "B ", 2: "C"}


@pytest.mark.parametrize(("spec", "resent", "requests"), [
    ("marker:kind=drop,at=3", [1, 2], 2),
    ("marker:kind=alter,at=4", [2, 3], 2),
    ("marker:kind=alter,at=1", [0], 2),
    ("marker:kind=merge,at=3", None, 3),      # nothing provable: the batch is split in halves
])
def test_a_damaged_pack_pays_again_only_for_its_misaligned_part(server, spec, resent, requests):
    work = units(6)
    server.script(spec)
    outcomes, pool, attempts = run(server, work)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    assert all(o.status == TRANSLATED for o in outcomes)
    bodies = [b["messages"][0]["content"] for b in server.billing.bodies()]
    assert len(bodies) == requests and bodies[0] == pack([u.text for u in work])
    if resent is None:
        assert bodies[1:] == [pack([u.text for u in work[:3]]), pack([u.text for u in work[3:]])]
        assert pool.stats.batch_splits == 1 and pool.stats.misaligned == 6
    else:
        sources = [work[i].text for i in resent]
        assert bodies[1] == (pack(sources) if len(sources) > 1 else sources[0])
        assert pool.stats.resent_segments == len(resent) == pool.stats.misaligned
        assert pool.stats.batch_splits == 0
    # The ledger: one row per request, segments as sent, tokens equal to the bill.
    assert [a.segments for a in attempts] == [6] + ([len(resent)] if resent else [3, 3])
    billed = server.billing.records
    assert sum(a.prompt_tokens for a in attempts) == sum(r.prompt_tokens for r in billed)
    assert sum(a.completion_tokens for a in attempts) == sum(r.completion_tokens for r in billed)
    assert server.billing.errors["marker"] == 1


def test_a_pack_answered_in_cjk_brackets_costs_one_request(server):
    work = units(6)
    server.script("marker:kind=cjk")
    outcomes, pool, attempts = run(server, work)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    assert all(o.status == TRANSLATED for o in outcomes)
    assert [a.segments for a in attempts] == [6] and server.billing.errors["marker"] == 1
    assert pool.stats.misaligned == 0 and pool.stats.batch_splits == 0


def test_a_salvaged_piece_with_damaged_tags_is_still_checked(server):
    def damage(content: str, target: str, terms) -> str:
        out = pseudo_translate(content, target, terms)
        if "⟦§4⟧" not in out:
            return out
        head, rest = out.split("⟦§3⟧")
        third, fourth = rest.split("⟦§4⟧")
        untagged = third.replace("<g1>", "").replace("</g1>", "")   # piece 3 loses its tags
        return head.replace("⟦§2⟧", "[§2]") + "⟦§3⟧" + untagged + "⟦§4⟧" + fourth

    server.set_mode(damage)
    work = units(4)
    outcomes, pool, _ = run(server, work)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    # Pieces 1-2 misaligned (resent as a pair); piece 3 aligned but its tags are gone: asked for alone.
    assert pool.stats.misaligned == 2 and pool.stats.piece_retries == 1 and server.billing.received == 3


@pytest.mark.parametrize("kind", ["drop", "merge", "alter"])
def test_damaged_streamed_answers_are_salvaged_the_same_way(server, kind):
    work = units(6)
    server.script(f"marker:kind={kind},at=4")
    outcomes, pool, attempts = run(server, work, stream=True)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    resent = {"drop": [2], "merge": [3, 3], "alter": [2]}[kind]
    assert [a.segments for a in attempts] == [6, *resent]


# --- under a request limit: the rest of damaged answers packed again (issue 28) ---------------

# Paced, but at a pace no test waits for: the request limit is what turns repacking on.
PACED = {"rpm": 60_000, "tpm": 100_000_000, "concurrency": 1}


def test_under_a_request_limit_the_rest_of_two_damaged_answers_travels_in_one_pack(server):
    """Two packs of six, each answer losing its third marker: the two pairs not proved
    go together in one pack (three requests), not in a request each (four). A request
    of two segments would spend one of the minute's requests on a few dozen tokens."""
    work = units(12)
    server.script("marker:kind=drop,at=3", "marker:kind=drop,at=3")
    outcomes, pool, attempts = run(server, work, pack_max_segments=6, **PACED)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    bodies = [b["messages"][0]["content"] for b in server.billing.bodies()]
    assert bodies[:2] == [pack([u.text for u in work[:6]]), pack([u.text for u in work[6:]])]
    assert bodies[2:] == [pack([work[i].text for i in (1, 2, 7, 8)])]
    assert [a.segments for a in attempts] == [6, 6, 4]
    assert pool.stats.resent_segments == 4 and pool.stats.batch_splits == 0


def test_under_a_request_limit_a_pack_that_kept_nothing_is_packed_again_before_halves(server):
    work = units(6)
    server.script("marker:kind=merge,at=3")
    outcomes, pool, attempts = run(server, work, **PACED)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    assert [a.segments for a in attempts] == [6, 6] and pool.stats.batch_splits == 0


def test_under_a_request_limit_a_model_that_damages_every_pack_still_ends(server):
    """Packed again at most REPACKS times, then as before: halves, down to single segments."""
    server.set_mode(merge_second_into_first)
    work = units(12)
    outcomes, pool, attempts = run(server, work, **PACED)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    assert all(o.status == TRANSLATED for o in outcomes)
    # 12, then the pair not proved packed again twice, then halves: two single segments.
    assert [a.segments for a in attempts] == [12, 2, 2, 1, 1]


def test_leftovers_wait_at_most_a_rate_window_behind_a_long_queue(server):
    """Four packs queued for one worker at one request a (virtual) minute: the pair the
    first answer did not prove does not wait behind the whole queue (its file is held
    for it), but leaves first once it has waited a rate window."""
    work = units(24)
    server.script("marker:kind=drop,at=3")
    time = VirtualTime()
    outcomes, pool, attempts = run(server, work, pack_max_segments=6, rpm=1, concurrency=1, clock=time.clock)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    bodies = [b["messages"][0]["content"] for b in server.billing.bodies()]
    packs = [pack([u.text for u in work[i:i + 6]]) for i in range(0, 24, 6)]
    assert bodies == [packs[0], packs[1], pack([work[1].text, work[2].text]), packs[2], packs[3]]


def test_a_leftover_that_left_in_a_full_pack_does_not_make_the_next_ones_leave_early(server):
    """Five packs of six, two requests a (virtual) minute, one worker, damage scripted by
    request. The first answer leaves a pair (1, 2); the second keeps nothing: its six
    fill the pair's pack, which leaves full, and open another (10, 11). The third (that
    full pack) keeps nothing either: its six fill that one and open a pair (8, 9). That
    pair waits its own rate window, not the first pair's (which left long ago in a full
    pack), so the fifth answer's six (12-17) join it and it leaves full too (the last pair,
    16 and 17, leaves when its own window is up). Aged from the first pair, (8, 9) left
    alone at once: a request of two segments, one of the minute's requests spent on a
    few dozen tokens."""
    work = units(30)
    server.script("marker:kind=drop,at=3", "marker:kind=merge,at=3", "marker:kind=merge,at=3", "ok",
                  "marker:kind=merge,at=3")
    time = VirtualTime()
    outcomes, pool, attempts = run(server, work, pack_max_segments=6, rpm=2, tpm=100_000_000, concurrency=1,
                                   clock=time.clock)
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    bodies = [b["messages"][0]["content"] for b in server.billing.bodies()]
    packed = [pack([work[i].text for i in indexes]) for indexes in (
        range(0, 6), range(6, 12), (1, 2, 6, 7, 8, 9), (10, 11, 1, 2, 6, 7), range(12, 18), (8, 9, 12, 13, 14, 15),
        range(18, 24), (16, 17), range(24, 30))]
    assert bodies == packed
    assert pool.stats.batch_splits == 0


def test_the_halves_of_a_split_pack_are_answered_by_two_workers_at_once(server):
    """A pack the service refuses (one blocked segment) is split; the second half waits
    first in the queue for any free worker, not behind the first half's answer: with two
    workers and nothing else queued, both halves are in flight together."""
    work = units(8)
    work[1] = Unit("This one is [[BLOCKED]] by moderation.", JA)
    blocked = work[1].text
    server.set_latency(200)     # each answer takes a while: the first half is still in flight
    recorder = Recorder()
    in_flight, most = set(), [0]

    class Watch(Recorder):
        def record_send(self, attempt):
            in_flight.add(attempt.key)
            most[0] = max(most[0], len(in_flight))
            recorder.record_send(attempt)

        def record_attempt(self, attempt):
            in_flight.discard(attempt.key)
            recorder.record_attempt(attempt)

    async def go():
        backend = QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5)
        settings = PoolSettings(model="qwen-mt-flash", source_lang=lookup("en"), concurrency=2,
                                retry=RetryPolicy(3, 0.01, 0.02), pack_tokens=400)
        async with WorkerPool(backend, settings, Watch()) as pool:
            outcomes = await asyncio.gather(*send_planned(pool, settings, work))
        await backend.aclose()
        return outcomes, pool

    outcomes, pool = asyncio.run(go())
    assert [o.status for o in outcomes] == [FAILED if u.text == blocked else TRANSLATED for u in work]
    assert pool.stats.batch_splits >= 1
    assert most[0] == 2


# --- under a model server's pack ceiling: planned packs grow with it (issue 28) ---------------


@pytest.mark.parametrize(("ceiling", "requests"), [(None, [1] * 6), (400, [6]), (40, [2, 2, 2])])
def test_requests_planned_under_a_low_ceiling_grow_with_the_ceiling_learned_since(server, ceiling, requests):
    """A small job is planned whole at the speed of the calibration alone (here: a
    segment a request); when the answers since allow bigger packs, requests queued
    behind each other in one language go together, up to the pack the ceiling allows
    now (a segment here is 18 tokens). Without a model server's ceiling, the plan is
    sent as planned (what qmt estimate counts)."""
    async def go():
        backend = QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5)
        settings = PoolSettings(model="qwen-mt-flash", source_lang=lookup("en"), concurrency=1,
                                retry=RetryPolicy(3, 0.01, 0.02), pack_tokens=400,
                                pack_ceiling=(lambda: ceiling) if ceiling else None)
        async with WorkerPool(backend, settings, Recorder()) as pool:
            futures = [pool.expect(unit) for unit in work]
            for unit in work:
                pool.send([unit])                          # planned: one segment a request
            outcomes = await asyncio.gather(*futures)
        await backend.aclose()
        return outcomes

    work = units(6)
    assert {count_tokens(u.text) for u in work} == {18}
    outcomes = asyncio.run(go())
    assert [o.text for o in outcomes] == [pseudo_translate(u.text, "Japanese") for u in work]
    sent = [b["messages"][0]["content"] for b in server.billing.bodies()]
    assert [len(PACK_MARKER_RE.findall(text)) or 1 for text in sent] == requests
