"""Qwen3-LiveTranslate-Flash: one streamed request per media piece, through the openai SDK.

The facts come from the seed (``../shared/seeds/livetranslate-zh-hant.txt``, digest in
``docs/qwen-mt.md``) and live in :mod:`pipeline.service_facts`, so that reading a job
file, planning or pricing a run loads no SDK (only this module imports openai, and it is
imported when a backend is made): 18 language **codes**, seven of which give text only;
eight voices and the languages each speaks; streaming only; audio billed at 12.5 tokens
a second (audio under one second counts as one second); video adds visual tokens by the
seed's formula. The emulator and ``qmt estimate`` use the same functions, so the bill a
run records, the bill the emulator charges and the estimate agree by construction.

:class:`LiveTranslateBackend` sends one :class:`~pipeline.translate.backend.MediaRequest`
as the seed shows: one user message with one ``input_audio`` part (a ``data:`` URI) or
one ``video_url`` part, ``translation_options`` in ``extra_body``, ``modalities`` and
``audio`` when speech is asked for, ``stream: true`` with ``include_usage``. Errors map
into qmt's error tree through the classifier every backend shares
(:mod:`pipeline.translate.service_errors`).
"""
from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import openai

from pipeline import errors
from pipeline.provenance import answer_engine, service_engine
from pipeline.secrets import register
from pipeline.service_facts import SPEECH_RATE, audio_tokens
from pipeline.tokens import count_tokens
from pipeline.translate.backend import MediaRequest, MediaResponse, tls_context
from pipeline.translate.service_errors import event_error, status_error


class LiveTranslateBackend:
    """Streams one :class:`MediaRequest` per call to ``{base_url}/chat/completions``."""

    def __init__(self, *, api_key: str, base_url: str, timeout: float = 120.0, engine: str = ""):
        register(api_key)
        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0,
                                          http_client=openai.DefaultAsyncHttpxClient(verify=tls_context()))
        self._base_url = base_url
        # The engine expected at this endpoint; every answer then says who really answered.
        self.engine = engine or service_engine(base_url)

    async def aclose(self) -> None:
        await self._client.close()

    async def translate_media(self, request: MediaRequest) -> MediaResponse:
        try:
            raw = await self._client.chat.completions.with_raw_response.create(**request.kwargs())
        except openai.APIStatusError as exc:
            self.engine = answer_engine(exc.response.headers, self._base_url)
            raise status_error(exc) from None
        except openai.APITimeoutError:
            raise errors.ServiceTimeout("no answer within the request timeout") from None
        except openai.APIConnectionError as exc:
            raise errors.ConnectionDropped(f"connection failed: {type(exc).__name__}") from None
        self.engine = answer_engine(raw.headers, self._base_url)
        response = await _read_stream(raw.parse(), raw.headers.get("x-request-id"), request.billed_prompt)
        return replace(response, engine=self.engine)


def _billed_so_far(prompt: int, text: list[str], audio: list[str]) -> tuple[int, int]:
    """An interrupted stream is billed for the input and the output generated so far."""
    speech = sum(len(base64.b64decode(a)) for a in audio if a)
    return prompt, count_tokens("".join(text)) + audio_tokens(speech / 2 / SPEECH_RATE)


async def _read_stream(stream: Any, request_id: str | None, prompt: int) -> MediaResponse:
    text, audio, transcript, finish, usage = [], [], [], None, None
    try:
        async for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                delta = choice.delta
                text.append(delta.content or "")
                piece = _field(delta, "audio")
                if isinstance(piece, dict):
                    audio.append(piece.get("data") or "")
                    transcript.append(piece.get("transcript") or "")
                finish = choice.finish_reason or finish
    except openai.APIStatusError as exc:
        raise status_error(exc) from None
    except openai.APIConnectionError as exc:  # the connection went in the middle of the answer
        raise errors.ConnectionDropped(f"stream interrupted: {type(exc).__name__}", request_id=request_id,
                                       billed=_billed_so_far(prompt, text, audio)) from None
    except openai.APIError as exc:  # an error event inside the stream: classify it by its code
        raise event_error(exc) from None
    except Exception as exc:  # transport errors surface raw mid-stream
        if isinstance(exc, errors.QmtError):
            raise
        raise errors.ConnectionDropped(f"stream interrupted: {type(exc).__name__}", request_id=request_id,
                                       billed=_billed_so_far(prompt, text, audio)) from None
    if finish is None or usage is None:
        raise errors.ConnectionDropped("stream ended before the translation was complete", request_id=request_id,
                                       billed=_billed_so_far(prompt, text, audio))
    details = _details(usage, "prompt_tokens_details")
    try:
        speech = base64.b64decode("".join(audio), validate=True)
    except ValueError:
        raise errors.MalformedResponse("speech is not valid base64", request_id=request_id) from None
    return MediaResponse(
        text="".join(text).strip(), speech=speech, finish_reason=finish,
        prompt_tokens=usage.prompt_tokens or 0, completion_tokens=usage.completion_tokens or 0,
        audio_tokens=int(details.get("audio_tokens") or 0), video_tokens=int(details.get("video_tokens") or 0),
        request_id=request_id, transcript="".join(transcript))


def _field(obj: Any, name: str) -> Any:
    """A field the SDK's models do not declare (``delta.audio``): kept as an extra."""
    value = getattr(obj, name, None)
    if value is None and getattr(obj, "model_extra", None):
        value = obj.model_extra.get(name)
    if value is not None and not isinstance(value, dict) and hasattr(value, "model_dump"):
        value = value.model_dump()
    return value


def _details(usage: Any, name: str) -> dict[str, Any]:
    value = _field(usage, name)
    return value if isinstance(value, dict) else {}
