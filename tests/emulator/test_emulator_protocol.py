"""The emulator over real HTTP: protocol, validation, streaming, billing (openai SDK + raw)."""
from __future__ import annotations

import asyncio
import json
import urllib.request

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from pipeline.emulator import EmulatorServer, pseudo_translate, reverse_pseudo
from pipeline.tokens import count_tokens, prompt_tokens

API_KEY = "sk-emulator-test"


def test_base_url_shape(emu) -> None:
    assert emu.base_url.startswith("http://127.0.0.1:")
    assert emu.base_url.endswith("/compatible-mode/v1")


def test_pseudo_translation_and_usage(emu, client, chat_kwargs) -> None:
    text = "Hello world, this is a test."
    resp = client.chat.completions.create(**chat_kwargs(text))
    out = resp.choices[0].message.content
    assert out == pseudo_translate(text, "Japanese")
    assert reverse_pseudo(out, "Japanese") == text
    assert resp.object == "chat.completion" and resp.model == "qwen-mt-flash"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.prompt_tokens == prompt_tokens(text)
    assert resp.usage.completion_tokens == count_tokens(out)
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
    [record] = emu.billing.records
    assert resp._request_id == record.request_id
    assert (record.model, record.target_lang, record.status) == ("qwen-mt-flash", "Japanese", "stop")
    assert (record.prompt_tokens, record.completion_tokens) == (resp.usage.prompt_tokens, resp.usage.completion_tokens)


def test_async_client_terms_tm_and_domains_are_billed(emu, chat_kwargs) -> None:
    terms = [{"source": "biosensor", "target": "BIO-SENSOR"}]
    tm = [{"source": "Good morning", "target": "おはよう"}]
    domains = "The sentence is from a medical device manual."
    text = "The Biosensor measures <g1>glucose</g1>.<x2/>"

    async def go():
        client = AsyncOpenAI(api_key=API_KEY, base_url=emu.base_url, max_retries=0)
        try:
            return await client.chat.completions.create(
                **chat_kwargs(text, model="qwen-mt-plus", terms=terms, tm_list=tm, domains=domains))
        finally:
            await client.close()

    resp = asyncio.run(go())
    out = resp.choices[0].message.content
    assert "BIO-SENSOR" in out
    assert out == pseudo_translate(text, "Japanese", [("biosensor", "BIO-SENSOR")])
    assert out.count("<g1>") == out.count("</g1>") == out.count("<x2/>") == 1

    class P:
        def __init__(self, d):
            self.source, self.target = d["source"], d["target"]

    want = prompt_tokens(text, [P(t) for t in terms], [P(t) for t in tm], domains)
    assert resp.usage.prompt_tokens == want == emu.billing.records[0].prompt_tokens


def test_identity_mode_echoes() -> None:
    with EmulatorServer(mode="identity") as emu:
        client = OpenAI(api_key="any-key", base_url=emu.base_url, max_retries=0)
        resp = client.chat.completions.create(
            model="qwen-mt-turbo", messages=[{"role": "user", "content": "Keep <g1>me</g1>\n"}],
            extra_body={"translation_options": {"source_lang": "en", "target_lang": "zh"}})
        assert resp.choices[0].message.content == "Keep <g1>me</g1>\n"


def test_custom_translator_callable() -> None:
    with EmulatorServer(mode=lambda text, target, terms: text.upper()) as emu:
        client = OpenAI(api_key="k", base_url=emu.base_url, max_retries=0)
        resp = client.chat.completions.create(
            model="qwen-mt-flash", messages=[{"role": "user", "content": "shout"}],
            extra_body={"translation_options": {"source_lang": "auto", "target_lang": "en"}})
        assert resp.choices[0].message.content == "SHOUT"


# --- auth ------------------------------------------------------------------------------


def test_wrong_key_is_401(emu, chat_kwargs) -> None:
    bad = OpenAI(api_key="sk-wrong", base_url=emu.base_url, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as err:
        bad.chat.completions.create(**chat_kwargs())
    assert err.value.status_code == 401
    assert err.value.code == "invalid_api_key"
    assert emu.billing.records == [] and emu.billing.errors["invalid_api_key"] == 1


def test_missing_header_is_401_even_without_configured_key(post, raw_body) -> None:
    status, headers, body = post(raw_body(), key=None)
    payload = json.loads(body)
    assert status == 401 and payload["error"]["code"] == "invalid_api_key"
    assert payload["request_id"] and headers["x-request-id"] == payload["request_id"]


def test_any_key_accepted_when_none_configured(raw_body) -> None:
    with EmulatorServer() as emu:
        from urllib.request import Request, urlopen

        req = Request(f"{emu.base_url}/chat/completions", data=json.dumps(raw_body()).encode(),
                      headers={"Authorization": "Bearer whatever", "Content-Type": "application/json"})
        with urlopen(req, timeout=5) as resp:
            assert resp.status == 200


# --- validation over HTTP ------------------------------------------------------------------


@pytest.mark.parametrize("change", [
    {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
    {"messages": [{"role": "system", "content": "Translate"}]},
    {"translation_options": {"source_lang": "auto", "target_lang": "Klingon"}},
    {"translation_options": {"source_lang": "auto"}},
    {"model": "qwen-mt-lite", "translation_options": {"source_lang": "auto", "target_lang": "en",
                                                      "domains": "IT domain"}},
    {"model": "qwen-mt-lite", "translation_options": {"source_lang": "auto", "target_lang": "Welsh"}},
])
def test_invalid_requests_get_the_service_error_body(post, raw_body, change) -> None:
    body = raw_body()
    body.update(change)
    status, headers, raw = post(body)
    payload = json.loads(raw)
    assert status == 400
    assert set(payload) == {"error", "request_id"}
    assert set(payload["error"]) == {"code", "message", "param", "type"}
    assert payload["error"]["code"] == "invalid_parameter" and payload["error"]["param"] is None
    assert headers["x-request-id"] == payload["request_id"]


def test_missing_translation_options_via_sdk(client) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="qwen-mt-flash", messages=[{"role": "user", "content": "hi"}])
    assert err.value.code == "invalid_parameter"


def test_unknown_model_404(client, chat_kwargs) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(**chat_kwargs(model="qwen-mt-ultra"))
    assert err.value.code == "model_not_found"


def test_input_over_8192_tokens(emu, client, chat_kwargs) -> None:
    long_text = "word " * 9000
    assert count_tokens(long_text) > 8192
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(**chat_kwargs(long_text))
    assert err.value.code == "invalid_parameter"
    assert "Range of input length should be [1, 8192]" in err.value.message
    assert emu.billing.records == []


def test_empty_input_rejected(client, chat_kwargs) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(**chat_kwargs(""))


def test_top_level_extras_and_lite_names(client) -> None:
    resp = client.chat.completions.create(
        model="qwen-mt-lite", messages=[{"role": "user", "content": "Thanks"}], temperature=0.65, seed=1,
        extra_body={"translation_options": {"source_lang": "English", "target_lang": "Persian"},
                    "top_k": 1, "repetition_penalty": 1.0})
    assert resp.choices[0].message.content.startswith("⟦fa⟧ ")


def test_malformed_json_request(post) -> None:
    status, _, raw = post(b"{not json")
    assert status == 400 and json.loads(raw)["error"]["code"] == "invalid_parameter"


# --- max_tokens ----------------------------------------------------------------------------


def test_max_tokens_truncates_with_length(emu, client, chat_kwargs) -> None:
    text = "A fairly long sentence that will not fit into a handful of output tokens at all."
    resp = client.chat.completions.create(max_tokens=5, **chat_kwargs(text))
    out = resp.choices[0].message.content
    assert resp.choices[0].finish_reason == "length"
    assert pseudo_translate(text, "Japanese").startswith(out) and out
    assert resp.usage.completion_tokens == count_tokens(out) <= 5
    assert emu.billing.records[0].status == "length"


def test_source_like_output_token_billing(chat_kwargs) -> None:
    text = "Billing pseudo output like a real translation keeps TPM benchmarks honest."
    with EmulatorServer(output_tokens="source") as emu:
        client = OpenAI(api_key="k", base_url=emu.base_url, max_retries=0)
        resp = client.chat.completions.create(**chat_kwargs(text))
        out = resp.choices[0].message.content
        assert out == pseudo_translate(text, "Japanese")
        assert resp.usage.completion_tokens == count_tokens(reverse_pseudo(out, "Japanese")) < count_tokens(out)
        short = client.chat.completions.create(max_tokens=6, **chat_kwargs(text))
        assert short.choices[0].finish_reason == "length"
        assert short.usage.completion_tokens == count_tokens(reverse_pseudo(short.choices[0].message.content,
                                                                            "Japanese")) <= 6


# --- streaming ---------------------------------------------------------------------------


def _stream(client, model, text, include_usage=True, **kw):
    opts = {"stream_options": {"include_usage": True}} if include_usage else {}
    return list(client.chat.completions.create(stream=True, **opts, **kw,
                                               model=model, messages=[{"role": "user", "content": text}],
                                               extra_body={"translation_options": {"source_lang": "auto",
                                                                                   "target_lang": "German"}}))


@pytest.mark.parametrize("model", ["qwen-mt-flash", "qwen-mt-lite"])
def test_incremental_stream(emu, client, model) -> None:
    text = "Streaming output arrives in several small pieces, one after another."
    chunks = _stream(client, model, text)
    want = pseudo_translate(text, "German")
    content = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert "".join(content) == want
    assert len([c for c in content if c]) > 3  # split into several pieces
    assert chunks[0].choices[0].delta.role == "assistant"
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finals] == ["stop", "stop"]
    last = chunks[-1]
    assert last.choices == [] and last.usage.completion_tokens == count_tokens(want)
    assert last.usage.prompt_tokens == prompt_tokens(text)
    assert emu.billing.records[0].completion_tokens == count_tokens(want)


@pytest.mark.parametrize("model", ["qwen-mt-plus", "qwen-mt-turbo"])
def test_cumulative_stream(client, model) -> None:
    text = "Cumulative models resend the whole text so far in every chunk."
    chunks = _stream(client, model, text)
    want = pseudo_translate(text, "German")
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert all(want.startswith(c) for c in content)
    assert all(len(a) < len(b) for a, b in zip(content, content[1:]) if a != want)
    assert content[-1] == want
    finals = [c.choices[0] for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finals) == 2 and all(f.delta.content == want and f.finish_reason == "stop" for f in finals)
    assert chunks[-1].usage.completion_tokens == count_tokens(want)


def test_stream_without_usage_and_with_length(client) -> None:
    text = "Another sentence, long enough to be cut by max tokens in the stream."
    chunks = _stream(client, "qwen-mt-flash", text, include_usage=False, max_tokens=4)
    assert all(c.usage is None for c in chunks) and all(c.choices for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "length"
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert count_tokens(content) <= 4


def test_raw_stream_ends_with_done(post, raw_body) -> None:
    status, headers, raw = post(raw_body(stream=True))
    assert status == 200 and headers["Content-Type"].startswith("text/event-stream")
    events = [line for line in raw.decode().split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    assert all(e.startswith("data: ") for e in events)


# --- stats, log --------------------------------------------------------------------------


def test_stats_endpoint_and_billing_log(tmp_path, chat_kwargs) -> None:
    log = tmp_path / "billing.jsonl"
    with EmulatorServer(api_key=API_KEY, billing_log=str(log)) as emu:
        client = OpenAI(api_key=API_KEY, base_url=emu.base_url, max_retries=0)
        client.chat.completions.create(**chat_kwargs("one"))
        client.chat.completions.create(**chat_kwargs("two", model="qwen-mt-plus"))
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(**chat_kwargs("three", target="Nowhere"))
        with urllib.request.urlopen(f"{emu.url}/_emulator/stats", timeout=5) as resp:
            stats = json.loads(resp.read())
    assert stats["emulator"] is True
    assert stats["received"] == 3 and stats["served"] == 2 and stats["errors"] == {"invalid_parameter": 1}
    assert stats["billed"]["requests"] == 2
    assert set(stats["billed"]["by_model"]) == {"qwen-mt-flash", "qwen-mt-plus"}
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["request_id"] for r in lines] == [r["request_id"] for r in stats["records"]]
    dump = log.read_text(encoding="utf-8") + json.dumps(stats)
    assert API_KEY not in dump and "Authorization" not in dump
