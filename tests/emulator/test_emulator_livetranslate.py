"""The emulator's LiveTranslate endpoint: the seed's validation, billing and stream."""
from __future__ import annotations

import base64
import io
import json
import urllib.error
import urllib.request

import pytest
from mediasynth import speechlike, write_wav
from pipeline.service_facts import AUDIO_TOKENS_PER_SECOND, audio_tokens
from pipeline.translate.backend import MediaRequest


API_KEY = "sk-emulator-test"     # the key tests/emulator/conftest.py's emulator takes


def raw_post(server, payload: dict, *, key: str = API_KEY) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(f"{server.base_url}/chat/completions", data=json.dumps(payload).encode(),
                                 method="POST", headers={"Content-Type": "application/json",
                                                         "Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _wav(seconds: float) -> bytes:
    pcm, _ = speechlike((seconds,), (), lead=0.0, tail=0.0)
    buf = io.BytesIO()
    write_wav(buf, pcm)
    return buf.getvalue()


def body(**changes) -> dict:
    kw = MediaRequest(_wav(2.0), "audio/wav", "zh", "en", speech=True).kwargs()
    out = {k: v for k, v in kw.items() if k != "extra_body"} | kw["extra_body"]
    out.update(changes)
    return out


def test_audio_tokens_follow_the_seed():
    assert audio_tokens(0.2) == 13            # under a second counts as one: 12.5 -> 13 tokens
    assert audio_tokens(2.0) == 25
    assert audio_tokens(2.01) == 26           # not rounded up per second: 25.125 -> 26 (3 s would be 38)
    assert (audio_tokens(0.4), audio_tokens(3.2), audio_tokens(61.7)) == (13, 40, 772)
    assert AUDIO_TOKENS_PER_SECOND == 12.5 and audio_tokens(0) == 0


@pytest.mark.parametrize("change, message", [
    ({"stream": False}, "streaming"),
    ({"translation_options": {"source_lang": "en", "target_lang": "th"}}, "not supported for target_lang 'th'"),
    ({"translation_options": {"target_lang": "English"}}, "Unsupported target_lang"),
    ({"translation_options": {"target_lang": "zh", "terms": [{"source": "a", "target": "b"}]}}, "terms"),
    ({"translation_options": {"target_lang": "zh", "domains": "IT"}}, "domains"),
    ({"audio": {"voice": "Kiki", "format": "wav"}}, "Kiki does not support 'zh'"),
    ({"audio": {"voice": "Alloy", "format": "wav"}}, "audio.voice"),
    ({"modalities": ["audio"]}, "modalities"),
])
def test_requests_the_service_refuses_get_its_error_body(emu, change, message):
    status, headers, raw = raw_post(emu, body(**change))
    assert status == 400 and message in raw.decode(), raw
    assert json.loads(raw)["error"]["code"] == "invalid_parameter"


def test_a_url_instead_of_a_data_uri_is_refused(emu):
    bad = body()
    bad["messages"][0]["content"][0]["input_audio"]["data"] = "https://example.com/cherry.wav"
    status, _, raw = raw_post(emu, bad)
    assert status == 400 and b"data: URI" in raw


def test_stream_bills_the_measured_audio_and_speech_of_the_chosen_ratio(emu):
    emu.emulator.config.speech_ratio = 1.6
    try:
        status, _, raw = raw_post(emu, body())
    finally:
        emu.emulator.config.speech_ratio = 1.0
    assert status == 200
    events = [json.loads(line[6:]) for line in raw.decode().splitlines() if line.startswith("data: {")]
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    speech = b"".join(base64.b64decode(e["choices"][0]["delta"]["audio"]["data"])
                      for e in events if e["choices"] and "data" in (e["choices"][0]["delta"].get("audio") or {}))
    usage = events[-1]["usage"]
    record = emu.billing.records[-1]
    assert text.startswith("⟦zh⟧")
    assert len(speech) / 2 / 24_000 == pytest.approx(1.6 * 2.0, abs=0.01)
    assert usage["prompt_tokens_details"]["audio_tokens"] == audio_tokens(2.0) == record.audio_tokens
    assert usage["prompt_tokens"] == record.prompt_tokens and usage["completion_tokens"] == record.completion_tokens
    assert usage["completion_tokens_details"]["audio_tokens"] == audio_tokens(3.2)


def test_the_same_piece_gets_the_same_text(emu):
    def text(raw: bytes) -> str:
        events = [json.loads(line[6:]) for line in raw.decode().splitlines() if line.startswith("data: {")]
        return "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])

    first, second = text(raw_post(emu, body())[2]), text(raw_post(emu, body())[2])
    assert first == second and first.startswith("⟦zh⟧")
    other = body()
    other["messages"][0]["content"][0]["input_audio"]["data"] = MediaRequest(_wav(3.0), "audio/wav", "zh").data_uri()
    assert text(raw_post(emu, other)[2]) != first


def test_unauthorised_requests_are_refused_before_validation(emu):
    status, _, _ = raw_post(emu, body(), key="sk-wrong")
    assert status == 401


def test_the_emulator_command_takes_a_speech_ratio():
    import argparse

    from pipeline.emulator.cli import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert config_from_args(parser.parse_args(["--speech-ratio", "1.6"])).speech_ratio == 1.6
    with pytest.raises(ValueError):
        config_from_args(parser.parse_args(["--speech-ratio", "0"]))


def test_text_that_mentions_the_model_is_still_a_text_request(emu):
    from pipeline.emulator.livetranslate import is_livetranslate

    text = {"model": "qwen-mt-flash", "messages": [{"role": "user", "content": 'Set "model": "qwen3-livetranslate-flash".'}],
            "translation_options": {"source_lang": "auto", "target_lang": "Chinese"}}
    assert not is_livetranslate(json.dumps(text).encode()) and is_livetranslate(json.dumps(body()).encode())
    status, _, raw = raw_post(emu, text)
    assert status == 200 and "choices" in json.loads(raw)
