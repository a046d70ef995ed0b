"""The LiveTranslate client sends exactly what the seed documents, and reads the stream."""
from __future__ import annotations

import asyncio
import io

import pytest
from support import EMULATOR_KEY

from pipeline import errors
from mediasynth import speechlike, write_wav
from pipeline.service_facts import audio_tokens, video_tokens
from pipeline.translate.backend import MediaRequest
from pipeline.translate.livetranslate_backend import LiveTranslateBackend


def _wav(seconds: float) -> bytes:
    pcm, _ = speechlike((seconds,), (), lead=0.0, tail=0.0)
    buf = io.BytesIO()
    write_wav(buf, pcm)
    return buf.getvalue()


def _send(server, request: MediaRequest):
    async def go():
        backend = LiveTranslateBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5)
        try:
            return await backend.translate_media(request)
        finally:
            await backend.aclose()
    return asyncio.run(go())


def test_request_body_is_the_seeds(server):
    server.reset()
    response = _send(server, MediaRequest(_wav(1.5), "audio/wav", "ja", "en", speech=True, voice="Nofish"))
    sent = server.billing.bodies()[-1]
    assert sent["model"] == "qwen3-livetranslate-flash"
    assert sent["messages"] == [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": sent["messages"][0]["content"][0]["input_audio"]["data"],
                                                "format": "wav"}}]}]
    assert sent["messages"][0]["content"][0]["input_audio"]["data"].startswith("data:audio/wav;base64,")
    assert sent["translation_options"] == {"source_lang": "en", "target_lang": "ja"}
    assert sent["modalities"] == ["text", "audio"] and sent["audio"] == {"voice": "Nofish", "format": "wav"}
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert response.text.startswith("⟦ja⟧") and len(response.speech) > 0
    assert response.audio_tokens == audio_tokens(1.5) and response.request_id


def test_text_only_with_auto_source_omits_source_and_audio(server):
    server.reset()
    response = _send(server, MediaRequest(_wav(1.0), "audio/wav", "th"))
    sent = server.billing.bodies()[-1]
    assert sent["translation_options"] == {"target_lang": "th"}
    assert sent["modalities"] == ["text"] and "audio" not in sent
    assert response.speech == b""


def test_service_errors_map_into_the_error_tree(server):
    server.reset()
    server.script("429:retry_after=2")
    with pytest.raises(errors.RateLimited) as err:
        _send(server, MediaRequest(_wav(1.0), "audio/wav", "zh"))
    assert err.value.retry_after == pytest.approx(2, abs=0.5)
    with pytest.raises(errors.InvalidRequest):
        _send(server, MediaRequest(_wav(1.0), "audio/wav", "vi", speech=True))


def test_video_tokens_follow_the_seeds_formula():
    # 1280x720, 10 s at 30 fps: 20 frames at 2 fps; 704x1280 is over 768*32*32 pixels, so it is
    # scaled to 640x1152: ceil(20 / 2) * (640 / 32) * (1152 / 32) + 2
    assert video_tokens(1280, 720, 300, 30.0) == 10 * 20 * 36 + 2
    # 160x120, 2 s at 10 fps: 4 frames; below 128*32*32 pixels, so scaled up to 320x448
    assert video_tokens(160, 120, 20, 10.0) == 2 * 10 * 14 + 2
