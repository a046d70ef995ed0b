"""Fault plan, rate limiter, latency, ledger and request validation, without a server."""
from __future__ import annotations

import json

import pytest

from pipeline.emulator.billing import BillingRecord, Ledger
from pipeline.emulator.faults import ERRORS, Action, FaultPlan, parse_action, parse_rate
from pipeline.emulator.limits import Latency, QuotaWindows, retry_after_header
from pipeline.emulator.protocol import RequestRejected, parse_chat_request, split_for_stream, truncate_to_tokens
from pipeline.tokens import count_tokens


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_parse_action_kinds_and_options() -> None:
    assert parse_action("429:retry_after=1") == Action("429", retry_after=1.0)
    assert parse_action("drop_mid:after=3") == Action("drop_mid", after=3)
    assert parse_action("rate").kind == "429"
    assert parse_action("OK").kind == "ok"
    with pytest.raises(ValueError):
        parse_action("teapot")
    with pytest.raises(ValueError):
        parse_action("429:color=red")


def test_parse_rate_checks_range() -> None:
    assert parse_rate("500=0.25") == ("500", 0.25)
    with pytest.raises(ValueError):
        parse_rate("500=2")
    with pytest.raises(ValueError):
        parse_rate("500")


def test_script_is_fifo_and_random_draws_are_seeded() -> None:
    plan = FaultPlan()
    plan.script("500", "ok")
    assert [plan.next_scripted().kind, plan.next_scripted().kind, plan.next_scripted()] == ["500", "ok", None]
    a = FaultPlan({"429": 0.3, "drop": 0.2}, seed=7)
    b = FaultPlan({"429": 0.3, "drop": 0.2}, seed=7)
    draws_a = [getattr(a.draw_random(), "kind", None) for _ in range(200)]
    assert draws_a == [getattr(b.draw_random(), "kind", None) for _ in range(200)]
    assert {"429", "drop", None} == set(draws_a)


def test_rates_must_not_exceed_one() -> None:
    with pytest.raises(ValueError):
        FaultPlan({"429": 0.7, "500": 0.5})


def test_account_states_map_to_errors() -> None:
    plan = FaultPlan()
    assert plan.account_error() is None
    plan.set_account_state("free_quota_exhausted")
    assert plan.account_error().code == "insufficient_quota"
    plan.set_account_state("arrearage")
    assert plan.account_error() == ERRORS["arrearage"]
    with pytest.raises(ValueError):
        plan.set_account_state("bankrupt")


def test_rpm_sliding_window_and_retry_after() -> None:
    clock = FakeClock()
    limiter = QuotaWindows(rpm=2, clock=clock)
    assert limiter.admit("m", 10) is None
    clock.now += 20
    assert limiter.admit("m", 10) is None
    refusal = limiter.admit("m", 10)
    assert refusal.kind == "429" and refusal.retry_after == pytest.approx(40)
    assert limiter.admit("other-model", 10) is None  # limits are per model
    clock.now += 40.5
    assert limiter.admit("m", 10) is None


def test_tpm_window_and_oversized_request() -> None:
    clock = FakeClock()
    limiter = QuotaWindows(tpm=100, clock=clock, time_scale=0.1)  # a 6 s minute
    assert limiter.admit("m", 60) is None
    clock.now += 1
    assert limiter.admit("m", 30) is None
    refusal = limiter.admit("m", 50)
    assert refusal.kind == "tpm" and refusal.retry_after == pytest.approx(5)
    clock.now += 5.1
    assert limiter.admit("m", 50) is None
    clock.now += 10
    assert limiter.admit("m", 500) is None  # alone in an empty window it passes


def test_rps_burst_limit() -> None:
    clock = FakeClock()
    limiter = QuotaWindows(rpm=600, rps=2, clock=clock, time_scale=0.5)  # a 0.5 s "second"
    assert limiter.admit("m", 1) is None
    clock.now += 0.1
    assert limiter.admit("m", 1) is None
    refusal = limiter.admit("m", 1)
    assert refusal.kind == "burst" and refusal.retry_after == pytest.approx(0.4)
    clock.now += 0.45
    assert limiter.admit("m", 1) is None


def test_per_model_limits() -> None:
    limiter = QuotaWindows(rpm={"qwen-mt-lite": 1}, clock=FakeClock())
    assert limiter.admit("qwen-mt-lite", 1) is None
    assert limiter.admit("qwen-mt-lite", 1) is not None
    assert all(limiter.admit("qwen-mt-plus", 1) is None for _ in range(5))


def test_retry_after_header_format() -> None:
    assert retry_after_header(12.2, 1.0) == "13"
    assert retry_after_header(0.0, 1.0) == "1"
    assert retry_after_header(0.25, 0.1) == "0.250"


def test_latency_fixed_and_scaled() -> None:
    assert Latency(200, time_scale=0.5).sample() == pytest.approx(0.1)
    assert Latency(0).sample() == 0.0


def test_latency_lognormal_is_seeded_around_the_mean() -> None:
    a, b = Latency(100, 0.5, seed=3), Latency(100, 0.5, seed=3)
    xs = [a.sample() for _ in range(2000)]
    assert xs == [b.sample() for _ in range(2000)]
    assert len(set(xs)) > 1000
    assert sum(xs) / len(xs) == pytest.approx(0.1, rel=0.1)


def test_ledger_snapshot_and_log(tmp_path) -> None:
    log = tmp_path / "billing.jsonl"
    ledger = Ledger(log)
    ledger.count_received()
    ledger.bill(BillingRecord("r1", "qwen-mt-plus", "ja", 50, 10, "stop"))
    ledger.count_error("internal_error")
    snap = ledger.snapshot()
    assert snap["received"] == 1 and snap["errors"] == {"internal_error": 1}
    assert snap["billed"]["by_model"]["qwen-mt-plus"] == {"requests": 1, "prompt_tokens": 50, "completion_tokens": 10}
    line = json.loads(log.read_text(encoding="utf-8"))
    assert line["request_id"] == "r1" and line["total_tokens"] == 60


def _body(**over) -> bytes:
    body = {"model": "qwen-mt-flash", "messages": [{"role": "user", "content": "Hello"}],
            "translation_options": {"source_lang": "auto", "target_lang": "Japanese"}}
    body.update(over)
    return json.dumps(body).encode()


@pytest.mark.parametrize("over", [
    {"messages": []},
    {"messages": [{"role": "system", "content": "x"}]},
    {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]},
    {"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]},
    {"translation_options": None},
    {"translation_options": {"source_lang": "auto"}},
    {"translation_options": {"source_lang": "auto", "target_lang": "Klingon"}},
    {"translation_options": {"source_lang": "Elvish", "target_lang": "en"}},
    {"translation_options": {"source_lang": "auto", "target_lang": "japanese"}},
    {"translation_options": {"source_lang": "auto", "target_lang": "en", "terms": [{"source": "x"}]}},
    {"model": "qwen-mt-lite", "translation_options": {"source_lang": "auto", "target_lang": "en", "domains": "IT"}},
    {"model": "qwen-mt-lite", "translation_options": {"source_lang": "auto", "target_lang": "Western Persian"}},
    {"max_tokens": 0},
    {"seed": -1},
])
def test_validation_rejects(over) -> None:
    with pytest.raises(RequestRejected) as err:
        parse_chat_request(_body(**over))
    assert err.value.spec.status == 400 and err.value.spec.code == "invalid_parameter"


def test_validation_accepts_codes_lite_names_and_extras() -> None:
    lite = parse_chat_request(_body(model="qwen-mt-lite", top_k=1, repetition_penalty=1.05,
                                    translation_options={"source_lang": "en", "target_lang": "Persian"}))
    assert lite.target.code == "fa"
    plus = parse_chat_request(_body(model="qwen-mt-plus",
                                    translation_options={"source_lang": "zh", "target_lang": "Western Persian",
                                                         "terms": [{"source": "a", "target": "b"}]}))
    assert plus.cumulative and plus.terms[0].target == "b"


def test_unknown_model_is_404() -> None:
    with pytest.raises(RequestRejected) as err:
        parse_chat_request(_body(model="qwen-max"))
    assert err.value.spec.status == 404 and err.value.spec.code == "model_not_found"


def test_truncate_and_split_helpers() -> None:
    text = "One two three four five six seven eight nine ten."
    cut = truncate_to_tokens(text, 4)
    assert text.startswith(cut) and count_tokens(cut) <= 4 < count_tokens(cut + text[len(cut)])
    for s in [text, "  lead\n\nand trail  ", "我看到这个视频后没有笑"]:
        assert "".join(split_for_stream(s)) == s
