"""The emulator's DashScope native endpoint: the compatible one's handling in the native wording.

Every request here is sent twice, once in each protocol's shape, and the two answers must
agree (status, error class, tokens billed, text): the validation, faults, limits and
billing are the same code, only the wording differs.
"""
from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from pipeline.emulator import EmulatorServer
from pipeline.emulator.native import NATIVE_CODES, native_code

KEY = "sk-native0123456789abcdef"


@pytest.fixture(scope="module")
def emu():
    with EmulatorServer(mode="pseudo", api_key=KEY) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean(emu):
    emu.reset()
    emu.set_limits(rpm=None, tpm=None, rps=None)
    yield


def flat(content: str = "Hello world, this is a test.", model: str = "qwen-mt-flash", target: str = "Japanese",
         **params: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}],
            "translation_options": {"source_lang": "auto", "target_lang": target}, **params}


def native(body: dict[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in body.items() if k not in ("model", "messages")}
    return {"model": body.get("model"), "input": {"messages": body.get("messages")},
            "parameters": {**params, "result_format": "message"}}


def send(emu: EmulatorServer, body: Any, *, protocol: str, key: str | None = KEY, sse: bool = False
         ) -> tuple[int, dict[str, str], bytes]:
    if protocol == "openai":
        url, auth = f"{emu.base_url}/chat/completions", f"Bearer {key}"
    else:
        url, auth = f"{emu.native_url}/services/aigc/text-generation/generation", key   # bare, as the seeds send it
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    if key is not None:
        req.add_header("Authorization", auth)
    if sse:
        req.add_header("X-DashScope-SSE", "enable")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def both(emu: EmulatorServer, body: dict[str, Any], **kw: Any):
    return send(emu, body, protocol="openai", **kw), send(emu, native(body), protocol="dashscope", **kw)


def test_an_answer_says_the_same_in_both_wordings(emu):
    (s1, _, compat), (s2, headers, raw) = both(emu, flat())
    assert s1 == s2 == 200
    a, b = json.loads(compat), json.loads(raw)
    assert set(b) == {"output", "usage", "request_id"} and headers["x-request-id"] == b["request_id"]
    choice = b["output"]["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": a["choices"][0]["message"]["content"]}
    assert choice["finish_reason"] == "stop"
    assert b["usage"] == {"input_tokens": a["usage"]["prompt_tokens"], "output_tokens": a["usage"]["completion_tokens"],
                          "total_tokens": a["usage"]["total_tokens"]}
    first, second = emu.billing.records
    assert (first.prompt_tokens, first.completion_tokens) == (second.prompt_tokens, second.completion_tokens)


@pytest.mark.parametrize("change", [
    {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
    {"messages": [{"role": "system", "content": "Translate"}]},
    {"translation_options": {"source_lang": "auto", "target_lang": "Klingon"}},
    {"translation_options": {"source_lang": "auto"}},
    {"model": "qwen-mt-lite", "translation_options": {"source_lang": "auto", "target_lang": "en", "domains": "IT"}},
    {"model": "qwen-mt-max"},
    {"max_tokens": 0},
    {"seed": -1},
    {"messages": [{"role": "user", "content": ""}]},
], ids=["two-messages", "system", "klingon", "no-target", "lite-domains", "unknown-model", "max-tokens", "seed",
        "empty"])
def test_the_same_requests_are_refused_with_the_native_error_body(emu, change):
    (s1, _, compat), (s2, headers, raw) = both(emu, flat(**change) if "messages" not in change
                                               else {**flat(), **change})
    assert s1 == s2 and s1 in (400, 404)
    payload = json.loads(raw)
    assert set(payload) == {"code", "message", "request_id"} and headers["x-request-id"] == payload["request_id"]
    error = json.loads(compat)["error"]
    assert payload["code"] == native_code(error["code"]) and payload["message"] == error["message"]
    assert payload["code"] in ("InvalidParameter", "ModelNotFound")


@pytest.mark.parametrize("kind", ["429", "burst", "tpm", "free_quota", "500", "503", "blocked", "400", "401", "403",
                                  "arrearage"])
def test_scripted_errors_in_the_native_wording(emu, kind):
    emu.script(f"{kind}:retry_after=2", f"{kind}:retry_after=2")
    (s1, h1, compat), (s2, h2, raw) = both(emu, flat())
    assert s1 == s2
    assert h1.get("Retry-After") == h2.get("Retry-After") == "2"
    code = json.loads(compat)["error"]["code"]
    assert json.loads(raw)["code"] == native_code(code)


def test_limits_refuse_both_protocols_alike(emu):
    emu.set_limits(rpm=2)
    answers = [send(emu, native(flat()), protocol="dashscope")[0] for _ in range(2)]
    status, headers, raw = send(emu, flat(), protocol="openai")
    status2, headers2, raw2 = send(emu, native(flat()), protocol="dashscope")
    assert answers == [200, 200] and status == status2 == 429
    assert "Retry-After" in headers2 and json.loads(raw2)["code"] == "Throttling.RateQuota"


@pytest.mark.parametrize("auth", ["bare", "bearer", "wrong", "missing"])
def test_the_key_bare_or_with_bearer(emu, auth):
    key = {"bare": KEY, "bearer": f"Bearer {KEY}", "wrong": "sk-wrong", "missing": None}[auth]
    req = urllib.request.Request(f"{emu.native_url}/services/aigc/text-generation/generation",
                                 data=json.dumps(native(flat())).encode(), method="POST")
    if key is not None:
        req.add_header("Authorization", key)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            status, body = resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        with err:
            status, body = err.code, json.loads(err.read())
    if auth in ("bare", "bearer"):
        assert status == 200
    else:
        assert status == 401 and body["code"] == "InvalidApiKey"


def test_native_only_fields_are_checked(emu):
    body = native(flat())
    status, _, raw = send(emu, {**body, "parameters": {**body["parameters"], "result_format": "text"}},
                          protocol="dashscope")
    assert status == 400 and "result_format" in json.loads(raw)["message"]
    status, _, raw = send(emu, {**body, "parameters": {**body["parameters"], "stream": True}}, protocol="dashscope")
    assert status == 400 and "parameters.stream" in json.loads(raw)["message"]
    status, _, raw = send(emu, {"model": "qwen-mt-flash", "messages": flat()["messages"]}, protocol="dashscope")
    assert status == 400 and json.loads(raw)["code"] == "InvalidParameter"


def _events(raw: bytes) -> list[dict[str, Any]]:
    out = []
    for block in raw.decode().split("\n\n"):
        lines = block.splitlines()
        if not lines:
            continue
        assert lines[1:3] == ["event:result", ":HTTP_STATUS/200"] and lines[0].startswith("id:")
        out.append(json.loads(lines[3][len("data:"):]))
    return out


@pytest.mark.parametrize(("model", "cumulative"), [("qwen-mt-flash", False), ("qwen-mt-lite", False),
                                                   ("qwen-mt-plus", True), ("qwen-mt-turbo", True)])
def test_streams_with_the_header_in_both_semantics(emu, model, cumulative):
    text = "The quick brown fox jumps over the lazy dog near the riverbank today."
    target = "ja" if model == "qwen-mt-lite" else "Japanese"
    status, _, whole = send(emu, native(flat(text, model, target)), protocol="dashscope")
    status2, headers, raw = send(emu, native(flat(text, model, target)), protocol="dashscope", sse=True)
    assert status == status2 == 200 and headers["Content-Type"].startswith("text/event-stream")
    events = _events(raw)
    pieces = [e["output"]["choices"][0]["message"]["content"] for e in events]
    reasons = [e["output"]["choices"][0]["finish_reason"] for e in events]
    assert reasons[:-1] == ["null"] * (len(events) - 1) and reasons[-1] == "stop"
    expected = json.loads(whole)["output"]["choices"][0]["message"]["content"]
    assert (pieces[-1] if cumulative else "".join(pieces)) == expected
    if cumulative:
        assert all(expected.startswith(p) for p in pieces) and len(pieces) > 2
    usage = [e["usage"]["output_tokens"] for e in events]
    assert usage == sorted(usage) and usage[-1] == json.loads(whole)["usage"]["output_tokens"]
    assert len({e["request_id"] for e in events}) == 1
    streamed = emu.billing.records[-1]
    assert streamed.stream and streamed.completion_tokens == usage[-1]


@pytest.mark.parametrize("kind", ["drop_mid", "cut", "malformed"])
def test_broken_native_streams_are_billed_for_what_was_generated(emu, kind):
    emu.script(f"{kind}:after=2")
    try:
        status, _, raw = send(emu, native(flat("One sentence long enough to stream. " * 4)), protocol="dashscope",
                              sse=True)
    except http.client.IncompleteRead:   # drop_mid: the socket went mid-answer
        status, raw = 200, b""
    assert status == 200 and b"stop" not in raw
    (record,) = emu.billing.records
    assert record.status in ("interrupted", "malformed") and record.completion_tokens > 0
    assert emu.billing.errors[kind] == 1


def test_every_compatible_error_code_has_a_native_spelling():
    from pipeline.emulator.faults import ERRORS

    for spec in ERRORS.values():
        code = native_code(spec.code)
        assert code == NATIVE_CODES.get(spec.code, spec.code) and "_" not in code.replace("Throttling.", "")
