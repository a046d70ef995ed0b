"""The emulator is as strict as the service: every documented parameter range
(:mod:`pipeline.service_facts`, from the seeds' API references) is refused with 400 and
the service's wording, in each protocol's shape, through the production backends.

The values at the edge of each range are accepted (an open end excluded), so the
emulator is not stricter than the service either.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import httpx2
import pytest
from support import EMULATOR_KEY

from pipeline import errors
from pipeline.service_facts import MAX_SEED, RANGES, SAMPLING_RANGES
from pipeline.translate.backend import Sampling, TranslationRequest
from pipeline.translate.engines import text_backend

REQUEST = TranslationRequest(text="Hello world.", model="qwen-mt-flash", source_lang="English", target_lang="French")

# Outside and inside each documented range (open ends are outside).
OUTSIDE = {"temperature": (-0.1, 2.0, 7), "top_p": (0.0, -0.5, 1.01), "top_k": (-1, 1.5),
           "repetition_penalty": (0.0, -1.0), "seed": (-1, MAX_SEED + 1, 1.5), "max_tokens": (0, 8193)}
INSIDE = {"temperature": (0.0, 1.99), "top_p": (0.01, 1.0), "top_k": (0, 1, 101),
          "repetition_penalty": (0.01, 1.0, 5.0), "seed": (0, MAX_SEED), "max_tokens": (1, 8192)}
PROTOCOLS = ("openai", "dashscope")


def _send(server, protocol: str, request: TranslationRequest):
    backend = text_backend(protocol, api_key=EMULATOR_KEY, base_url=server.url_for(protocol), timeout=5.0)

    async def call():
        try:
            return await backend.translate(request)
        finally:
            await backend.aclose()

    return asyncio.run(call())


def test_every_documented_range_is_tested():
    assert set(OUTSIDE) == set(INSIDE) == {r.name for r in SAMPLING_RANGES}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", sorted(OUTSIDE))
def test_a_value_outside_the_documented_range_gets_the_service_400(server, protocol, name):
    for value in OUTSIDE[name]:
        server.reset()
        with pytest.raises(errors.InvalidRequest) as caught:
            _send(server, protocol, replace(REQUEST, sampling=Sampling(**{name: value})))
        exc = caught.value
        assert exc.status == 400 and exc.code == ("invalid_parameter" if protocol == "openai" else "InvalidParameter")
        assert RANGES[name].message in str(exc), (name, value, str(exc))
        assert server.billing.records == []     # refused before anything is generated or billed


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", sorted(INSIDE))
def test_the_edges_of_each_range_are_accepted(server, protocol, name):
    for value in INSIDE[name]:
        response = _send(server, protocol, replace(REQUEST, sampling=Sampling(**{name: value})))
        assert response.text and response.finish_reason in ("stop", "length"), (name, value)


def test_the_messages_name_each_range_as_documented():
    assert RANGES["temperature"].message == "Range of temperature should be [0.0, 2.0)"
    assert RANGES["top_p"].message == "Range of top_p should be (0.0, 1.0]"
    assert RANGES["top_k"].message == "Range of top_k should be an integer in [0, inf)"
    assert RANGES["repetition_penalty"].message == "Range of repetition_penalty should be (0.0, inf)"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_system_message_is_refused_for_qwen_mt(server, protocol):
    """Qwen-MT takes exactly one user message and no system prompt (qwen-mt.md "Request")."""
    messages = [{"role": "system", "content": "Translate to French."}, {"role": "user", "content": "Hello"}]
    options = {"source_lang": "auto", "target_lang": "French"}
    if protocol == "openai":
        url, body = f"{server.base_url}/chat/completions", {"model": "qwen-mt-flash", "messages": messages,
                                                            "translation_options": options}
    else:
        url = f"{server.native_url}/services/aigc/text-generation/generation"
        body = {"model": "qwen-mt-flash", "input": {"messages": messages},
                "parameters": {"translation_options": options, "result_format": "message"}}
    answer = httpx2.post(url, json=body, headers={"Authorization": f"Bearer {EMULATOR_KEY}"}, timeout=5)
    assert answer.status_code == 400
    payload = answer.json()
    error = payload["error"] if protocol == "openai" else payload
    assert "does not support system messages" in error["message"]
    assert error["code"] == ("invalid_parameter" if protocol == "openai" else "InvalidParameter")
    assert json.dumps(payload).count("request_id") == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("model, options, words", [
    ("qwen-mt-lite", {"target_lang": "Welsh"}, "not a language qwen-mt-lite supports"),
    ("qwen-mt-flash", {"target_lang": "Klingon"}, "not a language qwen-mt-flash supports"),
    ("qwen-mt-lite", {"target_lang": "French", "domains": "IT"}, "does not support translation_options.domains"),
], ids=["lite-language", "unknown-language", "lite-domains"])
def test_languages_per_model_and_domains_with_lite(server, protocol, model, options, words):
    request = replace(REQUEST, model=model, target_lang=options["target_lang"], domains=options.get("domains"))
    with pytest.raises(errors.InvalidRequest) as caught:
        _send(server, protocol, request)
    assert words in str(caught.value)
