"""Qwen3-LiveTranslate-Flash: what the service takes and one streamed request per media piece.

The facts come from the seed (``../shared/seeds/livetranslate-zh-hant.txt``, digest in
``docs/qwen-mt.md``; the language and voice lists live in :mod:`pipeline.service_facts`, so
that reading a job file does not load the SDK this module imports): 18 language **codes**, seven of which give text only; eight voices
and the languages each speaks; streaming only; audio billed at 12.5 tokens a second
(audio under one second counts as one second); video adds visual tokens by the seed's
formula. The emulator and ``qmt estimate`` use the same functions, so the bill a run
records, the bill the emulator charges and the estimate agree by construction.

:class:`LiveTranslateBackend` sends one piece as the seed shows: one user message with
one ``input_audio`` part (a ``data:`` URI) or one ``video_url`` part,
``translation_options`` in ``extra_body``, ``modalities`` and ``audio`` when speech is
asked for, ``stream: true`` with ``include_usage``. Errors map into qmt's error tree
through the classifier every backend shares (:mod:`pipeline.translate.service_errors`).
"""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass, replace
from typing import Any

import openai

from pipeline import errors
from pipeline.provenance import answer_engine, service_engine
from pipeline.secrets import register
from pipeline.service_facts import (AUDIO_TOKENS_PER_SECOND, LIVETRANSLATE_LANGS, LIVETRANSLATE_MAX_INPUT_TOKENS,
                                    LIVETRANSLATE_MAX_OUTPUT_TOKENS, LIVETRANSLATE_MODEL, LIVETRANSLATE_MODELS,
                                    TEXT_ONLY_LANGS)
from pipeline.service_facts import MAX_PAYLOAD_BYTES, SPEECH_LANGS, VOICES  # noqa: F401  (re-exported: the backend's own facts)
from pipeline.tokens import count_tokens
from pipeline.translate.backend import tls_context
from pipeline.translate.service_errors import event_error, status_error

MODEL, MODELS = LIVETRANSLATE_MODEL, LIVETRANSLATE_MODELS
LANGS = LIVETRANSLATE_LANGS
MAX_INPUT_TOKENS, MAX_OUTPUT_TOKENS = LIVETRANSLATE_MAX_INPUT_TOKENS, LIVETRANSLATE_MAX_OUTPUT_TOKENS
SPEECH_RATE = 24_000            # the model's speech: PCM16 mono at 24 kHz


def audio_tokens(seconds: float) -> int:
    """Tokens billed for ``seconds`` of audio, as the seed says: 12.5 a second, and audio under
    one second counted as one second (3.2 s is 40 tokens, not 4 s' 50). A fraction of a token
    is counted whole (61.7 s: 771.25 -> 772), the side a budget must err on."""
    if seconds <= 0:
        return 0
    return math.ceil(max(seconds, 1.0) * AUDIO_TOKENS_PER_SECOND - 1e-9)


TEXT_TOKENS_PER_SECOND = 4      # expected translated text per second of speech (budget reservations)


def expected_completion(seconds: float, speech: bool) -> int:
    """The completion tokens expected for ``seconds`` of speech (reservations, the estimate):
    its text, and with dubbing speech as long as the input."""
    return round(seconds * TEXT_TOKENS_PER_SECOND) + (audio_tokens(seconds) if speech else 0)


# The seed's video formula (frames at 2 fps, 4..128 of them, sides rounded to 32 px).
_FACTOR, _FPS, _MIN_FRAMES, _MAX_FRAMES = 32, 2, 4, 128
_MIN_PIXELS, _MAX_PIXELS, _TOTAL_PIXELS = 128 * 32 * 32, 768 * 32 * 32, 16384 * 32 * 32


def video_tokens(width: int, height: int, total_frames: int, fps: float) -> int:
    """Visual tokens of a clip, as the seed's ``video_token_calculate`` computes them."""
    if width <= 0 or height <= 0 or total_frames <= 0 or fps <= 0:
        return 0
    min_frames = math.ceil(_MIN_FRAMES / 2) * 2
    max_frames = math.floor(min(_MAX_FRAMES, total_frames) / 2) * 2
    duration = total_frames / fps
    frames = math.ceil(duration * fps) if duration - int(duration) > 1 / _FPS else math.ceil(int(duration) * fps)
    nframes = int(min(min(max(frames / fps * _FPS, min_frames), max_frames), frames))
    nframes = max(nframes, 2)
    max_pixels = max(min(_MAX_PIXELS, _TOTAL_PIXELS / nframes * 2), int(_MIN_PIXELS * 1.05))
    h = max(_FACTOR, round(height / _FACTOR) * _FACTOR)
    w = max(_FACTOR, round(width / _FACTOR) * _FACTOR)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h, w = math.floor(height / beta / _FACTOR) * _FACTOR, math.floor(width / beta / _FACTOR) * _FACTOR
    elif h * w < _MIN_PIXELS:
        beta = math.sqrt(_MIN_PIXELS / (height * width))
        h, w = math.ceil(height * beta / _FACTOR) * _FACTOR, math.ceil(width * beta / _FACTOR) * _FACTOR
    return int(math.ceil(nframes / _FPS) * h / 32 * w / 32) + 2


def text_only(code: str) -> bool:
    return code in TEXT_ONLY_LANGS


@dataclass(frozen=True)
class MediaRequest:
    """One media piece to translate into one language."""

    data: bytes                 # the piece: a WAV file, or a video clip with ``video=True``
    mime: str                   # "audio/wav", "video/mp4" ...
    target_lang: str            # a code of LANGS
    source_lang: str | None = None   # None: the service detects it
    speech: bool = False        # ask for dubbed speech too
    voice: str = "Cherry"
    video: bool = False
    model: str = MODEL
    billed_prompt: int = 0      # the prompt tokens the service bills (for a broken answer's ledger row)

    def data_uri(self) -> str:
        return f"data:{self.mime};base64," + base64.b64encode(self.data).decode("ascii")

    def kwargs(self) -> dict[str, Any]:
        """The SDK call's arguments, exactly as the seed documents them."""
        if self.video:
            part: dict[str, Any] = {"type": "video_url", "video_url": {"url": self.data_uri()}}
        else:
            part = {"type": "input_audio", "input_audio": {"data": self.data_uri(), "format": "wav"}}
        options = {"target_lang": self.target_lang}
        if self.source_lang:
            options = {"source_lang": self.source_lang, **options}
        kw: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "user", "content": [part]}],
            "modalities": ["text", "audio"] if self.speech else ["text"],
            "stream": True, "stream_options": {"include_usage": True},
            "extra_body": {"translation_options": options},
        }
        if self.speech:
            kw["audio"] = {"voice": self.voice, "format": "wav"}
        return kw


@dataclass(frozen=True)
class MediaResponse:
    text: str
    speech: bytes               # PCM16 mono 24 kHz (empty without speech)
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    audio_tokens: int = 0       # of the prompt: the audio the service measured
    video_tokens: int = 0
    request_id: str | None = None
    transcript: str = ""
    engine: str = ""            # who answered (pipeline.provenance): the service or the emulator


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
