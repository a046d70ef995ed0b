"""Faults, account states, limits and lifecycle of the emulator, over real HTTP."""
from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request

import openai
import pytest
from openai import OpenAI

from pipeline.emulator import EmulatorServer, pseudo_translate
from pipeline.emulator.faults import ERRORS
from pipeline.emulator.protocol import split_for_stream
from pipeline.tokens import count_tokens

API_KEY = "sk-emulator-test"
TEXT = "Faults must look exactly like the ones the real service produces."


def _stream_list(client, **kw):
    """Iterate a stream; return (chunks received, exception or None)."""
    got = []
    try:
        for chunk in client.chat.completions.create(stream=True, **kw):
            got.append(chunk)
    except Exception as exc:  # what the SDK raises is the point of these tests
        return got, exc
    return got, None


def test_scripted_queue_in_order(emu, client, chat_kwargs) -> None:
    emu.script("429:retry_after=1", "500", "drop", "ok")
    with pytest.raises(openai.RateLimitError) as rate:
        client.chat.completions.create(**chat_kwargs(TEXT))
    assert rate.value.response.headers["retry-after"] == "1"
    assert rate.value.code == "Throttling.RateQuota"
    with pytest.raises(openai.InternalServerError) as server:
        client.chat.completions.create(**chat_kwargs(TEXT))
    assert server.value.status_code == 500 and server.value.code == "internal_error"
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(**chat_kwargs(TEXT))
    ok = client.chat.completions.create(**chat_kwargs(TEXT))
    assert ok.choices[0].message.content == pseudo_translate(TEXT, "Japanese")
    assert emu.billing.received == 4 and len(emu.billing.records) == 1
    assert dict(emu.billing.errors) == {"Throttling.RateQuota": 1, "internal_error": 1, "drop": 1}
    times = emu.billing.received_times()
    assert len(times) == 4 and times == sorted(times)
    assert emu.emulator.faults.pending == 0


@pytest.mark.parametrize("kind", ["429", "burst", "tpm", "free_quota", "500", "502", "503", "504",
                                  "blocked", "400", "401", "403", "arrearage"])
def test_each_error_kind_over_raw_http(emu, post, raw_body, kind) -> None:
    spec = ERRORS[kind]
    emu.script(kind)
    status, headers, raw = post(raw_body())
    payload = json.loads(raw)
    assert status == spec.status
    assert payload["error"] == {"code": spec.code, "message": spec.message, "param": None, "type": spec.type}
    assert headers["x-request-id"] == payload["request_id"]
    assert emu.billing.records == []


def test_error_messages_match_the_service(emu, client, chat_kwargs) -> None:
    emu.script("burst", "tpm", "free_quota", "arrearage")
    messages = []
    for _ in range(4):
        with pytest.raises(openai.APIStatusError) as err:
            client.chat.completions.create(**chat_kwargs())
        messages.append(err.value.message)
    assert "Request rate increased too quickly" in messages[0]
    assert "Allocated quota exceeded, please increase your quota limit." in messages[1]
    assert "Free allocated quota exceeded." in messages[2]
    assert "Access denied, please make sure your account is in good standing." in messages[3]


def test_timeout_hangs_until_the_client_gives_up(emu, chat_kwargs) -> None:
    impatient = OpenAI(api_key=API_KEY, base_url=emu.base_url, max_retries=0, timeout=0.3)
    emu.script("timeout")
    with pytest.raises(openai.APITimeoutError):
        impatient.chat.completions.create(**chat_kwargs())
    # The hang ended with the client's disconnect: the next request is served.
    patient = impatient.with_options(timeout=10)
    assert patient.chat.completions.create(**chat_kwargs()).choices[0].finish_reason == "stop"
    assert emu.billing.errors["timeout"] == 1


def test_latency_applies(chat_kwargs) -> None:
    with EmulatorServer(latency_ms=5000) as emu:
        impatient = OpenAI(api_key="k", base_url=emu.base_url, max_retries=0, timeout=0.3)
        with pytest.raises(openai.APITimeoutError):
            impatient.chat.completions.create(**chat_kwargs())
        emu.set_time_scale(0.001)  # 5 s becomes 5 ms
        patient = impatient.with_options(timeout=10)
        assert patient.chat.completions.create(**chat_kwargs()).choices[0].finish_reason == "stop"


def test_drop_mid_body_is_billed_in_full(emu, client, chat_kwargs) -> None:
    emu.script("drop_mid")
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(**chat_kwargs(TEXT))
    [record] = emu.billing.records
    assert record.status == "interrupted"
    assert record.completion_tokens == count_tokens(pseudo_translate(TEXT, "Japanese"))


def test_malformed_body(emu, client, chat_kwargs) -> None:
    emu.script("malformed")
    with pytest.raises(ValueError):  # the SDK lets json.JSONDecodeError through
        client.chat.completions.create(**chat_kwargs(TEXT))
    assert emu.billing.errors["malformed"] == 1


def test_stream_dropped_midway_bills_what_was_sent(emu, client, chat_kwargs) -> None:
    emu.script("drop_mid:after=3")
    chunks, exc = _stream_list(client, **chat_kwargs(TEXT))
    assert isinstance(exc, openai.APIConnectionError)
    assert not any(c.choices and c.choices[0].finish_reason for c in chunks)
    sent = "".join(split_for_stream(pseudo_translate(TEXT, "Japanese"))[:3])
    [record] = emu.billing.records
    assert record.status == "interrupted" and record.stream
    assert record.completion_tokens == count_tokens(sent)


def test_stream_cut_short_ends_without_finish(emu, client, chat_kwargs) -> None:
    emu.script("cut")
    chunks, exc = _stream_list(client, **chat_kwargs(TEXT, model="qwen-mt-plus"))
    assert exc is None
    assert chunks and not any(c.choices and c.choices[0].finish_reason for c in chunks)
    full = pseudo_translate(TEXT, "Japanese")
    assert chunks[-1].choices[0].delta.content != full and full.startswith(chunks[-1].choices[0].delta.content)
    [record] = emu.billing.records
    assert record.status == "interrupted"
    assert 0 < record.completion_tokens < count_tokens(full)


def test_stream_malformed_line(emu, client, chat_kwargs) -> None:
    emu.script("malformed:after=1")
    _, exc = _stream_list(client, **chat_kwargs(TEXT))
    assert isinstance(exc, ValueError)


def test_content_trigger(emu, client, chat_kwargs) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(**chat_kwargs("Please translate [[BLOCKED]] this"))
    assert err.value.code == "data_inspection_failed"
    emu.set_block_marker("FORBIDDEN")
    assert client.chat.completions.create(**chat_kwargs("[[BLOCKED]] is fine now")).choices
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(**chat_kwargs("FORBIDDEN words"))
    assert emu.billing.errors["data_inspection_failed"] == 2


@pytest.mark.parametrize("state, exc_type, code", [
    ("arrearage", openai.BadRequestError, "Arrearage"),
    ("free_quota_exhausted", openai.RateLimitError, "insufficient_quota"),
    ("access_denied", openai.PermissionDeniedError, "access_denied"),
])
def test_account_states_are_sticky(emu, client, chat_kwargs, state, exc_type, code) -> None:
    emu.set_account_state(state)
    for _ in range(3):
        with pytest.raises(exc_type) as err:
            client.chat.completions.create(**chat_kwargs())
        assert err.value.code == code
    emu.set_account_state("ok")
    assert client.chat.completions.create(**chat_kwargs()).choices[0].finish_reason == "stop"


def _outcomes(seed: int, n: int, chat_kwargs) -> list[str]:
    rates = {"429": 0.2, "503": 0.1, "drop": 0.1}
    with EmulatorServer(error_rates=rates, seed=seed) as emu, \
            OpenAI(api_key="k", base_url=emu.base_url, max_retries=0) as client:
        out = []
        for _ in range(n):
            try:
                client.chat.completions.create(**chat_kwargs("short"))
                out.append("ok")
            except openai.APIStatusError as exc:
                out.append(str(exc.status_code))
            except openai.APIConnectionError:
                out.append("drop")
        assert emu.billing.received == n and len(emu.billing.records) == out.count("ok")
        return out


def test_random_faults_are_seeded(chat_kwargs) -> None:
    first = _outcomes(11, 40, chat_kwargs)
    assert first == _outcomes(11, 40, chat_kwargs)
    assert {"ok", "429", "503", "drop"} <= set(first)


class ManualClock:
    """The emulator's limits clock, moved by the test: no limit test depends on how fast
    the machine sends its requests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rpm_limit_with_retry_after(chat_kwargs) -> None:
    clock = ManualClock()
    with EmulatorServer(rpm=3, time_scale=0.04, clock=clock) as emu:  # a 2.4 s minute
        client = OpenAI(api_key="k", base_url=emu.base_url, max_retries=0)
        for _ in range(3):
            client.chat.completions.create(**chat_kwargs("hi"))
        with pytest.raises(openai.RateLimitError) as err:
            client.chat.completions.create(**chat_kwargs("hi"))
        assert err.value.code == "Throttling.RateQuota"
        assert "Requests rate limit exceeded, please try again later." in err.value.message
        retry = float(err.value.response.headers["retry-after"])
        assert 0 < retry <= 2.4
        # Other models have their own window.
        client.chat.completions.create(**chat_kwargs("hi", model="qwen-mt-plus"))
        clock.now += retry + 0.001   # the header is rounded to milliseconds
        assert client.chat.completions.create(**chat_kwargs("hi")).choices
        assert emu.billing.errors["Throttling.RateQuota"] == 1 and len(emu.billing.records) == 5


def test_tpm_limit(chat_kwargs) -> None:
    clock = ManualClock()
    with EmulatorServer(tpm=150, time_scale=0.04, clock=clock) as emu:
        client = OpenAI(api_key="k", base_url=emu.base_url, max_retries=0)
        first = client.chat.completions.create(**chat_kwargs("A sentence of moderate size."))
        assert first.usage.total_tokens > 75
        with pytest.raises(openai.RateLimitError) as err:
            client.chat.completions.create(**chat_kwargs("A sentence of moderate size."))
        assert err.value.code == "Throttling.AllocationQuota"
        assert "Allocated quota exceeded" in err.value.message
        clock.now += float(err.value.response.headers["retry-after"]) + 0.001
        assert client.chat.completions.create(**chat_kwargs("A sentence of moderate size.")).choices
        emu.set_limits(tpm=None)
        assert client.chat.completions.create(**chat_kwargs("Unlimited again.")).choices


def test_burst_limit_over_http(chat_kwargs) -> None:
    with EmulatorServer(rps=1, time_scale=1.0, clock=ManualClock()) as emu:
        client = OpenAI(api_key="k", base_url=emu.base_url, max_retries=0)
        client.chat.completions.create(**chat_kwargs("hi"))
        with pytest.raises(openai.RateLimitError) as err:
            client.chat.completions.create(**chat_kwargs("hi"))
        assert err.value.code == "Throttling.BurstRate"
        assert "Request rate increased too quickly" in err.value.message
        assert err.value.response.headers["retry-after"] == "1"


def test_control_endpoint(emu, post, raw_body) -> None:
    req = urllib.request.Request(f"{emu.url}/_emulator/control", method="POST",
                                 data=json.dumps({"script": ["503", "ok"]}).encode())
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["pending_script"] == 2
    assert post(raw_body())[0] == 503
    assert post(raw_body())[0] == 200
    bad = urllib.request.Request(f"{emu.url}/_emulator/control", method="POST", data=b'{"script": ["nope"]}')
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(bad, timeout=5)
    err.value.close()
    assert err.value.code == 400


def test_stop_is_clean_even_with_a_hanging_request(chat_kwargs) -> None:
    before = set(threading.enumerate())
    emu = EmulatorServer().start()
    port = emu.port
    emu.script("timeout")
    errors: list[BaseException] = []

    def call() -> None:
        client = OpenAI(api_key="k", base_url=emu.base_url, max_retries=0, timeout=30)
        try:
            client.chat.completions.create(**chat_kwargs())
        except openai.APIError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    while emu.billing.received == 0:
        time.sleep(0.01)
    emu.stop()
    caller.join(timeout=10)
    assert not caller.is_alive() and isinstance(errors[0], openai.APIConnectionError)
    assert set(threading.enumerate()) <= before
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_port_conflict_is_reported() -> None:
    with EmulatorServer() as first:
        with pytest.raises(OSError):
            EmulatorServer(port=first.port).start()


def test_concurrent_async_requests_are_all_accounted_for() -> None:
    import asyncio

    from openai import AsyncOpenAI

    async def burst(base_url: str) -> list[str]:
        client = AsyncOpenAI(api_key="k", base_url=base_url, max_retries=0, timeout=10)

        async def one(i: int) -> str:
            try:
                await client.chat.completions.create(
                    model="qwen-mt-flash", messages=[{"role": "user", "content": f"Segment number {i}."}],
                    extra_body={"translation_options": {"source_lang": "en", "target_lang": "ko"}})
                return "ok"
            except openai.RateLimitError as exc:
                return exc.code
            except openai.APIConnectionError:
                return "drop"

        try:
            return await asyncio.gather(*(one(i) for i in range(30)))
        finally:
            await client.close()

    with EmulatorServer(rpm=10, error_rates={"drop": 0.1}, seed=5, latency_ms=20) as emu:
        outcomes = asyncio.run(burst(emu.base_url))
        assert outcomes.count("ok") + outcomes.count("drop") == 10  # the window admits exactly rpm
        assert outcomes.count("Throttling.RateQuota") == 20
        assert emu.billing.received == 30 and len(emu.billing.records) == outcomes.count("ok")
        assert emu.billing.errors["Throttling.RateQuota"] == 20


def test_a_random_error_answer_does_not_use_the_rate_window() -> None:
    """A random 429 or 5xx refuses the request before the limits count it (as a scripted
    one does): the window then admits exactly ``rpm`` answered requests, however many
    errors came between them. Before, each random error held its request in the window,
    and a client counting what was billed was refused where it had room (issue 28)."""
    with EmulatorServer(rpm=4, error_rates={"500": 0.5}, seed=3) as emu:
        client = OpenAI(api_key="k", base_url=emu.base_url, max_retries=0, timeout=10)
        outcomes = []
        for i in range(16):
            try:
                client.chat.completions.create(
                    model="qwen-mt-flash", messages=[{"role": "user", "content": f"Segment number {i}."}],
                    extra_body={"translation_options": {"source_lang": "en", "target_lang": "ko"}})
                outcomes.append("ok")
            except openai.RateLimitError:
                outcomes.append("429")
            except openai.InternalServerError:
                outcomes.append("500")
        client.close()
    assert outcomes.count("500") >= 4 and outcomes.count("ok") == 4     # the errors took no place in the window
    assert outcomes.count("429") == 16 - 4 - outcomes.count("500")
    assert len(emu.billing.records) == 4
