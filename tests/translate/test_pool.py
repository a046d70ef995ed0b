"""The worker pool and the Qwen-MT backends over real HTTP against the emulator.

No mocks: the production backends (``QwenBackend``, the openai SDK, and
``DashScopeBackend``, the native protocol) talk to ``EmulatorServer``; every test runs
over both protocols (the ``backend_for`` fixture).
"""
from __future__ import annotations

import asyncio

import pytest
from pool_support import Recorder, send_planned
from support import EMULATOR_KEY
from virtual_time import VirtualTime

from pipeline import errors
from pipeline.emulator import pseudo_translate
from pipeline.languages import lookup
from pipeline.translate.backend import Sampling, TermPair
from pipeline.translate.limiter import Clock
from pipeline.translate.pool import (FAILED, FALLBACK, REPAIRED, TRANSLATED, JobStopped, PoolSettings,
                                     RetryPolicy, Unit, WorkerPool)

KEY = EMULATOR_KEY
ZH = lookup("zh")
FAST_RETRY = RetryPolicy(max_attempts=4, initial=0.01, max_wait=0.05)


@pytest.fixture(autouse=True)
def clean(server):
    server.reset()
    server.set_error_rates({})
    server.set_account_state("ok")
    yield
    # A pool a fatal error stopped cancels its requests in flight, but their bytes may be on
    # the way: the emulator's thread handles them when it next runs (under load, after the
    # next test's reset: a stray request in its count). Once it has, nothing more arrives.
    server.wait_idle()
    server.reset()


def run_units(backend_for, units, *, concurrency=2, retry=FAST_RETRY, key=KEY, stream=False, model="qwen-mt-flash",
              sampling=Sampling(), outage_seconds=300.0, timeout=30.0, clock=None):
    recorder = Recorder()

    async def go():
        backend = backend_for(key, timeout=timeout, stream=stream)
        settings = PoolSettings(model=model, source_lang=lookup("en"), sampling=sampling,
                                concurrency=concurrency, retry=retry, outage_seconds=outage_seconds,
                                clock=clock or Clock())
        try:
            async with WorkerPool(backend, settings, recorder) as pool:
                futures = send_planned(pool, settings, units)
                results = await asyncio.gather(*futures, return_exceptions=True)
                return results, pool
        finally:
            await backend.aclose()

    results, pool = asyncio.run(go())
    return results, recorder.attempts, pool


def test_translates_and_keeps_tags(server, backend_for):
    text = "Click <g1>Save</g1> to keep <x2/> changes."
    (outcome,), attempts, _ = run_units(backend_for, [Unit(text, ZH)])
    assert outcome.status == TRANSLATED
    assert outcome.text == pseudo_translate(text, "Chinese", [])
    assert [a.status for a in attempts] == ["ok"]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("model", ["qwen-mt-plus", "qwen-mt-flash"])
def test_streaming_semantics_by_model(server, backend_for, stream, model):
    text = "The quick brown fox jumps over the lazy dog near the riverbank today."
    (outcome,), attempts, _ = run_units(backend_for, [Unit(text, ZH)], stream=stream, model=model)
    assert outcome.text == pseudo_translate(text, "Chinese", [])
    assert attempts[0].completion_tokens > 0


def test_identical_units_are_sent_once(server, backend_for):
    units = [Unit("Hello world", ZH), Unit("Hello world", ZH), Unit("Hello world", lookup("ja"))]
    results, attempts, _ = run_units(backend_for, units)
    assert results[0] is results[1] or results[0] == results[1]
    assert len(attempts) == 2 == len(server.billing.records)


def test_terms_reach_the_service(server, backend_for):
    text = "Open the biosensor settings."
    (outcome,), _, _ = run_units(backend_for, [Unit(text, ZH, terms=(TermPair("biosensor", "生物传感器"),))])
    assert "生物传感器" in outcome.text


def test_429_with_retry_after_is_retried_after_that_delay(server, backend_for):
    server.script("429:retry_after=0.4", "ok")
    (outcome,), attempts, _ = run_units(backend_for, [Unit("Hello there", ZH)], concurrency=1)
    assert outcome.status == TRANSLATED
    assert [a.status for a in attempts] == ["RateLimited", "ok"]
    first, second = server.billing.received_times()[:2]
    assert second - first >= 0.4


@pytest.mark.parametrize("fault", ["500", "503", "drop", "malformed", "drop_mid"])
def test_transient_faults_are_retried(server, backend_for, fault):
    server.script(fault, "ok")
    (outcome,), attempts, _ = run_units(backend_for, [Unit("Hello there", ZH)], concurrency=1)
    assert outcome.status == TRANSLATED
    assert len(attempts) == 2 and [a.status for a in attempts].count("ok") == 1   # lost answers are recorded last


def test_a_request_that_times_out_is_retried(server, backend_for):
    # The one test of a real timer against a real hang (the fault mixes have the emulator
    # announce its hangs instead: tests/hang_transport.py). The hang lasts until the client
    # gives up, so the 0.3 s timeout expires whatever the load; the retry has the same
    # timeout, which a loaded machine can make it miss too: then it is retried again.
    server.script("timeout", "ok")
    (outcome,), attempts, _ = run_units(backend_for, [Unit("Hello there", ZH)], concurrency=1, timeout=0.3)
    assert outcome.status == TRANSLATED
    statuses = [a.status for a in attempts]
    assert statuses[-1] == "ok" and set(statuses[:-1]) == {"ServiceTimeout"}
    assert all(a.request_id is None and a.prompt_tokens == a.completion_tokens == 0 for a in attempts[:-1])
    assert server.billing.errors["timeout"] == 1
    assert attempts[-1].request_id in {r.request_id for r in server.billing.records}


def test_stream_cut_short_is_retried(server, backend_for):
    server.script("cut:after=1", "ok")
    text = "A sentence long enough to be streamed in several chunks of output."
    (outcome,), attempts, _ = run_units(backend_for, [Unit(text, ZH)], stream=True, concurrency=1)
    assert outcome.status == TRANSLATED
    assert attempts[0].status == "ConnectionDropped"


def test_a_request_that_uses_up_its_attempts_goes_back_in_the_queue(server, backend_for):
    # Four 500s use up the four attempts; the request is queued again (not failed) and
    # its next round succeeds: transient means retried, not lost.
    server.script("500", "500", "500", "500", "500")
    (outcome,), attempts, pool = run_units(backend_for, [Unit("Hello there", ZH)], concurrency=1)
    assert outcome.status == TRANSLATED
    assert [a.status for a in attempts] == ["ServerError"] * 5 + ["ok"]
    assert [a.attempt for a in attempts] == [1, 2, 3, 4, 1, 2]
    assert pool.stats.requeued == 1 and pool.fatal is None


def test_a_sustained_outage_stops_the_pool_cleanly(server, backend_for):
    server.set_error_rates({"503": 1.0})
    results, attempts, pool = run_units(backend_for, [Unit(f"Sentence {i}.", ZH) for i in range(3)], concurrency=1,
                                        outage_seconds=0.01)
    assert isinstance(pool.fatal, errors.ServiceUnavailable)
    assert "run again to resume" in str(pool.fatal)
    assert all(isinstance(r, JobStopped) for r in results)
    assert len(attempts) == 4          # one round of attempts, then the outage is declared


def test_data_inspection_failed_keeps_source_and_reports(server, backend_for):
    units = [Unit("Fine text here.", ZH), Unit("Bad words [[BLOCKED]] here.", ZH)]
    results, attempts, _ = run_units(backend_for, units)
    assert results[0].status == TRANSLATED
    assert results[1].status == FAILED
    assert results[1].text == units[1].text
    assert "datainspectionfailed" in results[1].reason.lower().replace("_", "")   # either protocol's spelling
    assert sorted(a.status for a in attempts) == ["ContentRejected", "ok"]


def test_401_stops_the_job_after_at_most_one_request_per_worker(server, backend_for):
    units = [Unit(f"Sentence number {i} (401).", ZH) for i in range(30)]
    results, attempts, pool = run_units(backend_for, units, concurrency=3, key="sk-wrong0123456789abcdef")
    assert isinstance(pool.fatal, errors.AuthenticationFailed)
    assert server.billing.received <= 3
    assert all(isinstance(r, JobStopped) for r in results)
    assert "DASHSCOPE_API_KEY" in str(pool.fatal)
    assert "sk-wrong0123456789abcdef" not in str(pool.fatal)


@pytest.mark.parametrize(("state", "cls"), [("arrearage", errors.Arrearage),
                                            ("free_quota_exhausted", errors.QuotaExhausted),
                                            ("access_denied", errors.AccessDenied)])
def test_account_states_are_fatal(server, backend_for, state, cls):
    server.set_account_state(state)
    units = [Unit(f"Sentence number {i} ({state}).", ZH) for i in range(10)]
    results, _, pool = run_units(backend_for, units, concurrency=2)
    assert isinstance(pool.fatal, cls)
    assert server.billing.received <= 2


def test_truncated_output_is_never_accepted(server, backend_for):
    text = "This sentence is far too long to fit into the tiny output budget we allow."
    (outcome,), attempts, _ = run_units(backend_for, [Unit(text, ZH)], sampling=Sampling(max_tokens=3))
    assert outcome.status == FALLBACK and "truncated" in outcome.reason
    assert outcome.text == text
    assert [a.status for a in attempts] == ["length", "length"]


def test_damaged_tags_retry_once_then_fall_back(server, backend_for):
    text = "Press <x1/> to <g2>save</g2>."
    server.set_mode(lambda content, target, terms: content.replace("<x1/>", ""))
    try:
        (outcome,), attempts, _ = run_units(backend_for, [Unit(text, ZH)])
    finally:
        server.set_mode("pseudo")
    assert outcome.status == FALLBACK and "missing <x1/>" in outcome.reason
    assert outcome.text == text
    assert len(attempts) == 2


def test_loose_tags_are_repaired(server, backend_for):
    text = "Press <x1/> to <g2>save</g2>."
    server.set_mode(lambda content, target, terms: content.replace("<g2>", "< G2 >"))
    try:
        (outcome,), _, _ = run_units(backend_for, [Unit(text, ZH)])
    finally:
        server.set_mode("pseudo")
    assert outcome.status == REPAIRED and outcome.text == text


def test_ledger_tokens_equal_emulator_billing_under_faults(server, backend_for):
    server.set_seed(7)
    server.set_error_rates({"429": 0.15, "500": 0.1, "drop": 0.05})
    units = [Unit(f"Paragraph {i}: the quick brown fox jumps.", ZH) for i in range(40)]
    results, attempts, _ = run_units(backend_for, units, concurrency=4,
                                     retry=RetryPolicy(max_attempts=10, initial=0.01, max_wait=0.02),
                                     clock=VirtualTime().clock)
    assert all(r.status == TRANSLATED for r in results)
    billed = server.billing
    assert sum(a.prompt_tokens for a in attempts) == billed.prompt_tokens
    assert sum(a.completion_tokens for a in attempts) == billed.completion_tokens
    assert len(attempts) == billed.received
    # Request by request: each billed one under its id with its tokens; the attempts without
    # an id are exactly the dropped requests (no headers came back), with no tokens.
    by_id = {a.request_id: a for a in attempts if a.request_id is not None}
    assert all((by_id[r.request_id].prompt_tokens, by_id[r.request_id].completion_tokens)
               == (r.prompt_tokens, r.completion_tokens) for r in billed.records)
    no_id = [a for a in attempts if a.request_id is None]
    assert len(no_id) == billed.errors["drop"] and all(a.prompt_tokens == a.completion_tokens == 0 for a in no_id)


def test_request_body_carries_exactly_the_documented_fields(server, backend_for, protocol):
    sampling = Sampling(temperature=0.3, top_k=5, repetition_penalty=1.05, seed=42, max_tokens=512)
    unit = Unit("Open the biosensor panel.", ZH, terms=(TermPair("biosensor", "生物传感器"),),
                tm_list=(TermPair("Open the panel.", "打开面板。"),))

    async def go():
        backend = backend_for(KEY, timeout=5)
        settings = PoolSettings(model="qwen-mt-plus", source_lang=lookup("en"), sampling=sampling,
                                domains="IT documentation", concurrency=1, retry=FAST_RETRY)
        try:
            async with WorkerPool(backend, settings, Recorder()) as pool:
                await send_planned(pool, settings, [unit])[0]
        finally:
            await backend.aclose()

    asyncio.run(go())
    (body,) = server.billing.bodies()
    options = {
        "source_lang": "English", "target_lang": "Chinese",
        "terms": [{"source": "biosensor", "target": "生物传感器"}],
        "tm_list": [{"source": "Open the panel.", "target": "打开面板。"}],
        "domains": "IT documentation",
    }
    sampling_fields = {"temperature": 0.3, "seed": 42, "max_tokens": 512, "top_k": 5, "repetition_penalty": 1.05}
    messages = [{"role": "user", "content": "Open the biosensor panel."}]
    if protocol == "openai":   # over raw HTTP the SDK's extra_body fields are top-level
        assert body == {"model": "qwen-mt-plus", "messages": messages, **sampling_fields,
                        "translation_options": options}
    else:                      # native: the message in input, everything else in parameters
        assert body == {"model": "qwen-mt-plus", "input": {"messages": messages},
                        "parameters": {"translation_options": options, "result_format": "message",
                                       **sampling_fields}}


def test_streaming_request_asks_for_usage(server, backend_for, protocol):
    (outcome,), attempts, _ = run_units(backend_for, [Unit("Hello there", ZH)], stream=True)
    (body,) = server.billing.bodies()
    if protocol == "openai":
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    else:  # native streams are asked for by the X-DashScope-SSE header and carry usage in every event
        assert "stream" not in body and "stream" not in body["parameters"]
    (record,) = server.billing.records
    assert record.stream and outcome.status == TRANSLATED
    assert (attempts[0].prompt_tokens, attempts[0].completion_tokens) == (record.prompt_tokens,
                                                                           record.completion_tokens)


def test_paragraph_over_the_input_limit_is_split_translated_and_joined(server, backend_for):
    sentence = "Every sentence in this very long paragraph talks about synchronisation rules. "
    text = "<g2>" + sentence * 350 + "A <g1>bold</g1> middle. " + sentence * 350 + "</g2>"
    assert 8192 < __import__("pipeline.tokens", fromlist=["count_tokens"]).count_tokens(text)

    async def go():
        backend = backend_for(KEY, timeout=10)
        settings = PoolSettings(model="qwen-mt-flash", source_lang=lookup("en"), concurrency=3,
                                retry=FAST_RETRY, max_segment_tokens=1000)
        try:
            async with WorkerPool(backend, settings, Recorder()) as pool:
                return await send_planned(pool, settings, [Unit(text, ZH)])[0]
        finally:
            await backend.aclose()

    outcome = asyncio.run(go())
    assert outcome.status == TRANSLATED, outcome.reason
    assert outcome.text.index("<g2>") < 10 and outcome.text.endswith("</g2>")
    assert outcome.text.count("<g1>") == 1 and outcome.text.count("<g2>") == 1
    bodies = server.billing.bodies()
    assert len(bodies) >= 3  # identical middle pieces are sent once
    assert all(__import__("pipeline.tokens", fromlist=["count_tokens"]).count_tokens(
        b.get("input", b)["messages"][0]["content"]) <= 1000 for b in bodies)   # either protocol's shape


def test_the_observer_is_told_once_per_settled_unit_and_the_unit_carries_its_outcome(server, backend_for):
    recorder = Recorder()
    a, b = Unit("Hello there", ZH, cache_key="key-a"), Unit("Good night", ZH, cache_key="key-b")

    async def go():
        backend = backend_for(KEY, timeout=5)
        settings = PoolSettings(model="qwen-mt-flash", source_lang=lookup("en"), concurrency=2, retry=FAST_RETRY)
        try:
            async with WorkerPool(backend, settings, recorder) as pool:
                return await asyncio.gather(*send_planned(pool, settings, [a, b, a]))   # a asked for twice
        finally:
            await backend.aclose()

    outcomes = asyncio.run(go())
    assert sorted(u.cache_key for u in recorder.units) == ["key-a", "key-b"]   # once each, the plan's own records
    assert all(any(u is unit for u in recorder.units) for unit in (a, b))
    assert a.outcome == outcomes[0] == outcomes[2] and b.outcome == outcomes[1]
    assert a.outcome.status == TRANSLATED and a.outcome.text == pseudo_translate("Hello there", "Chinese", [])
    # each request was reported before it left and after it was answered
    assert len(recorder.sent) == len(recorder.attempts) == server.billing.received == 2
    assert {s.key for s in recorder.sent} == {t.key for t in recorder.attempts}
