"""``timeout`` bounds the whole request in both Qwen-MT backends, a stream's every chunk
included (pipeline.translate.service_errors.within): against the emulator's slow stream,
whose every chunk arrives well within the timeout while the whole never would."""
from __future__ import annotations

import asyncio

import pytest

from pipeline import errors
from pipeline.translate.backend import TranslationRequest

# About 150 stream chunks at 100 ms each: 15 s of trickle, against a timeout of 0.6 s.
REQUEST = TranslationRequest(text="A sentence long enough to stream in many small chunks of text. " * 12,
                             model="qwen-mt-flash", source_lang="English", target_lang="French")


@pytest.fixture
def slow_stream(server):
    server.reset()
    server.emulator.config.chunk_delay_ms = 100
    yield server
    server.emulator.config.chunk_delay_ms = 0


def _translate(backend):
    async def go():
        try:
            return await backend.translate(REQUEST)
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_a_trickling_stream_ends_at_the_timeout_as_a_retryable_timeout(slow_stream, backend_for):
    with pytest.raises(errors.ServiceTimeout) as caught:
        _translate(backend_for(timeout=0.6, stream=True))
    exc = caught.value
    assert isinstance(exc, errors.TransientError)       # the pool retries it (pipeline/errors.py)
    assert "0.6 s for the whole request, streaming included" in str(exc)
    # The service answered (200) and streamed part of the output: that part is billed.
    assert exc.billed is not None
    prompt, completion = exc.billed
    assert prompt > 0 and completion is not None and completion > 0
    assert exc.request_id


def test_a_stream_that_ends_in_time_is_answered(slow_stream, backend_for):
    slow_stream.emulator.config.chunk_delay_ms = 1
    response = _translate(backend_for(timeout=30.0, stream=True))
    assert response.finish_reason == "stop" and response.text


def test_a_hang_before_any_answer_is_a_timeout_billed_nothing(server, backend_for):
    server.reset()
    server.script("timeout:seconds=30")
    try:
        with pytest.raises(errors.ServiceTimeout) as caught:
            _translate(backend_for(timeout=0.5))
    finally:
        server.clear_script()
    assert caught.value.billed is None
