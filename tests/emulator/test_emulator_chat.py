"""The emulator's generic chat mode over real HTTP: what it checks, what it answers."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from pipeline.emulator import EmulatorServer, pseudo_translate
from pipeline.provenance import ENGINE_HEADER
from pipeline.tokens import chat_prompt_tokens, count_tokens
from pipeline.translate.backend import TermPair, TranslationRequest
from pipeline.translate.llm_prompt import PACK_RULE, frame, messages
from pipeline.translate.packing import pack

KEY = "sk-chat-test"


@pytest.fixture(autouse=True)
def fresh(chat_emu):
    chat_emu.reset()
    chat_emu.emulator.config.chat_usage = True
    chat_emu.emulator.config.api_key = None
    yield


def post(server: EmulatorServer, body: Any, key: str | None = None) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(f"{server.chat_base_url}/chat/completions", data=json.dumps(body).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    if key is not None:
        req.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            raw, status, headers = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as err:
        with err:
            raw, status, headers = err.read(), err.code, dict(err.headers)
    text = raw.decode()
    return status, headers, json.loads(text) if text.startswith("{") else text


def body_for(text: str, **kw: Any) -> dict[str, Any]:
    req = TranslationRequest(text=text, model="llama3", source_lang="English", target_lang="Japanese", **kw)
    return {"model": "llama3", "messages": messages(req)}


def test_answers_in_pseudo_mode_with_the_glossary_applied_and_usage(chat_emu):
    terms = (TermPair("folder", "フォルダー"),)
    body = body_for("Open the <g1>folder</g1> now.", terms=terms)
    status, headers, answer = post(chat_emu, body)
    assert status == 200, answer
    out = answer["choices"][0]["message"]["content"]
    assert out == pseudo_translate(frame("Open the <g1>folder</g1> now."), "Japanese", [("folder", "フォルダー")])
    assert headers[ENGINE_HEADER] == "emulator:chat-pseudo"
    assert answer["model"] == "llama3"       # any model name: a generic server
    assert answer["usage"]["prompt_tokens"] == chat_prompt_tokens(body["messages"])
    assert answer["usage"]["completion_tokens"] == count_tokens(out)


def test_a_packed_text_comes_back_with_its_markers(chat_emu):
    text = pack(["One <x1/>.", "Two."])
    status, _, answer = post(chat_emu, body_for(text))
    assert status == 200 and answer["choices"][0]["message"]["content"] == pseudo_translate(frame(text), "Japanese")


@pytest.mark.parametrize("change,words", [
    (lambda b: b.update(translation_options={"target_lang": "Japanese"}), "translation_options"),
    (lambda b: b["messages"].pop(0), "system prompt and one user message"),
    (lambda b: b["messages"].reverse(), "first message must be the system prompt"),
    (lambda b: b["messages"][0].update(content="Translate this."), "target language"),
    (lambda b: b["messages"][0].update(content=b["messages"][0]["content"].replace("Japanese", "Klingon")),
     "target language"),
    (lambda b: b["messages"][1].update(content="Click <x1/> now."), "placeholder tags"),
    (lambda b: b["messages"][0].update(content=b["messages"][0]["content"].replace(PACK_RULE, "")), "pack markers"),
    (lambda b: b.update(model=""), "model is required"),
    (lambda b: b.update(temperature=5), "temperature"),
])
def test_requests_qmt_must_never_send_are_refused(chat_emu, change, words):
    body = body_for("Plain text.")
    change(body)
    status, _, answer = post(chat_emu, body)
    assert status == 400 and words in answer["error"]["message"], answer


def test_usage_can_be_left_out_as_some_servers_do(chat_emu):
    chat_emu.emulator.config.chat_usage = False
    status, _, answer = post(chat_emu, body_for("Plain text."))
    assert status == 200 and "usage" not in answer
    assert chat_emu.billing.prompt_tokens > 0      # still billed, so the test can compare


def test_no_key_is_needed_unless_the_emulator_has_one(chat_emu):
    server = chat_emu
    assert post(server, body_for("Plain text."))[0] == 200
    server.emulator.config.api_key = KEY
    assert post(server, body_for("Plain text."))[0] == 401
    assert post(server, body_for("Plain text."), key=KEY)[0] == 200


def test_faults_and_limits_are_the_qwen_endpoints_own(chat_emu):
    server = chat_emu
    server.script("429:retry_after=2", "500")
    status, headers, _ = post(server, body_for("Plain text."))
    assert status == 429 and headers["Retry-After"] == "2"
    assert post(server, body_for("Plain text."))[0] == 500
    assert post(server, body_for("Plain text."))[0] == 200


def test_without_chat_mode_there_is_no_generic_endpoint():
    with EmulatorServer(mode="pseudo") as plain:
        req = urllib.request.Request(f"{plain.url}/v1/chat/completions", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=5)
        info.value.close()      # the error holds the answer's connection
        assert info.value.code == 404


def test_qmt_emulator_flags_switch_chat_mode_and_its_usage():
    import argparse

    from pipeline.emulator.cli import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert not config_from_args(parser.parse_args([])).chat
    on = config_from_args(parser.parse_args(["--chat"]))
    assert on.chat and on.chat_usage
    bare = config_from_args(parser.parse_args(["--chat-no-usage"]))
    assert bare.chat and not bare.chat_usage


def test_the_qwen_endpoint_passes_general_model_bodies_to_chat_mode(chat_emu):
    """DashScope's compatible mode serves general models beside Qwen-MT at one URL."""
    req = urllib.request.Request(f"{chat_emu.base_url}/chat/completions", method="POST",
                                 data=json.dumps(body_for("Plain text.")).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.headers[ENGINE_HEADER] == "emulator:chat-pseudo"
        assert json.loads(resp.read())["choices"][0]["message"]["content"] == pseudo_translate(frame("Plain text."),
                                                                                                "ja")
