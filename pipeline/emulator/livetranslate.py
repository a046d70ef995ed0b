"""The emulator's Qwen3-LiveTranslate endpoint: same URL, same validation, stream only.

A request whose ``model`` is ``qwen3-livetranslate-flash`` is validated the way the
seed documents the service (one user message with one ``input_audio`` part as a
``data:`` URI of a WAV file, or one ``video_url`` part; language **codes** among the
18; ``terms``/``tm_list``/``domains`` refused; speech only for the 11 languages that
have it, in a voice that speaks the target; ``stream: true`` required), then answered
deterministically:

* text: a pseudo-translation derived from the audio's bytes (the same piece always
  gets the same text, about 2.5 words a second, marked ``⟦lang⟧`` as emulated);
* speech (``modalities`` with ``audio``): PCM16 mono 24 kHz, ``speech_ratio`` times
  as long as the input (tests raise it to force overruns), streamed as base64 chunks
  in ``delta.audio.data``, with one ``delta.audio.transcript``;
* a final usage chunk billing the audio it measured by the seed's rules (12.5 tokens
  a second, audio under one second counted as one; video adds the seed's visual tokens).

Faults (scripted or random, early or mid-stream) work as for text requests.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import time
import wave
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from pipeline.emulator.billing import BillingRecord
from pipeline.emulator.faults import ERRORS, Action, model_not_found
from pipeline.emulator.limits import retry_after_header
from pipeline.emulator.protocol import RequestRejected, reject, usage
from pipeline.media.subtitles import WIDE_LANGS
from pipeline.service_facts import (LIVETRANSLATE_LANGS as LANGS, LIVETRANSLATE_MAX_INPUT_TOKENS as MAX_INPUT_TOKENS,
                                    LIVETRANSLATE_MODELS as MODELS, MAX_PAYLOAD_BYTES, SPEECH_RATE, TEXT_ONLY_LANGS,
                                    VOICES, audio_tokens)
from pipeline.tokens import count_tokens

if TYPE_CHECKING:       # the server imports this module to hand it LiveTranslate requests
    from pipeline.emulator.server import Emulator

# Faults that break the reply on its way out (the rest fail the request before it).
_REPLY_FAULTS = frozenset({"drop_mid", "cut", "malformed", "ok"})
_SYLLABLES = ("ka", "lo", "mi", "ren", "to", "sa", "vu", "ne", "dri", "pa", "shi", "mo")
_HANZI = "模拟译文语音片段测试样本字幕声音演示内容"
AUDIO_CHUNK_SECONDS = 0.4


_MODEL_RE = re.compile(rb'"model"\s*:\s*"qwen3-livetranslate')


def is_livetranslate(raw: bytes) -> bool:
    """Whether the body asks for LiveTranslate (before parsing it: text to translate that
    merely mentions the model has its quotes escaped, so it never matches)."""
    return _MODEL_RE.search(raw) is not None


@dataclass(frozen=True)
class MediaChat:
    model: str
    target: str
    source: str | None
    speech: bool
    voice: str
    seconds: float              # audio measured in the input
    digest: str                 # of the input's bytes: what the pseudo text derives from
    video_tokens: int = 0

    @property
    def audio_tokens(self) -> int:
        return audio_tokens(self.seconds)

    @property
    def prompt_tokens(self) -> int:
        return self.audio_tokens + self.video_tokens


def parse_media_request(raw: bytes) -> MediaChat:
    """Validate a LiveTranslate body as the service does; raise RequestRejected."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise reject("The request body is not valid JSON.") from None
    model = body.get("model")
    if model not in MODELS:
        raise RequestRejected(model_not_found(str(model)))
    if body.get("stream") is not True:
        raise reject("qwen3-livetranslate-flash only supports streaming output: set stream to true.")
    messages = body.get("messages")
    if not isinstance(messages, list) or len(messages) != 1 or messages[0].get("role") != "user":
        raise reject("messages must hold exactly one message, with role user.")
    content = messages[0].get("content")
    if not isinstance(content, list) or len(content) != 1 or not isinstance(content[0], dict):
        raise reject("The user message must hold exactly one input_audio or video_url part.")
    options = body.get("translation_options")
    if not isinstance(options, dict):
        raise reject("translation_options with target_lang is required.")
    for key in ("terms", "tm_list", "domains"):
        if key in options:
            raise reject(f"translation_options.{key} is not supported by {model}.")
    target, source = options.get("target_lang"), options.get("source_lang")
    if target not in LANGS:
        raise reject(f"Unsupported target_lang {target!r}: use one of {', '.join(LANGS)}.")
    if source is not None and source not in LANGS:
        raise reject(f"Unsupported source_lang {source!r}: use one of {', '.join(LANGS)}.")
    speech, voice = _modalities(body, target)
    seconds, digest, vtokens = _measure(content[0])
    chat = MediaChat(model, target, source, speech, voice, seconds, digest, vtokens)
    if chat.prompt_tokens > MAX_INPUT_TOKENS:
        raise reject(f"Range of input length should be [1, {MAX_INPUT_TOKENS}]")
    return chat


def _modalities(body: dict[str, Any], target: str) -> tuple[bool, str]:
    modalities = body.get("modalities", ["text"])
    if modalities not in (["text"], ["text", "audio"]):
        raise reject('modalities must be ["text"] or ["text", "audio"].')
    if modalities == ["text"]:
        return False, ""
    if target in TEXT_ONLY_LANGS:
        raise reject(f"Audio output is not supported for target_lang {target!r}.")
    audio = body.get("audio")
    if not isinstance(audio, dict) or audio.get("voice") not in VOICES:
        raise reject(f"audio.voice must be one of {', '.join(VOICES)} when audio output is requested.")
    if target not in VOICES[audio["voice"]]:
        raise reject(f"Voice {audio['voice']} does not support {target!r}.")
    if audio.get("format", "wav") != "wav":
        raise reject("audio.format must be wav.")
    return True, audio["voice"]


def _measure(part: dict[str, Any]) -> tuple[float, str, int]:
    """Seconds of audio, a digest of the bytes, and visual tokens of one content part."""
    if part.get("type") == "input_audio":
        data = (part.get("input_audio") or {}).get("data", "")
    elif part.get("type") == "video_url":
        data = (part.get("video_url") or {}).get("url", "")
    else:
        raise reject("The content part must be of type input_audio or video_url.")
    if not isinstance(data, str) or not data.startswith("data:") or ";base64," not in data:
        raise reject("The emulator takes local media as a data: URI (data:<mime>;base64,...).")
    payload = data.split(";base64,", 1)[1]
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise reject(f"The base64 payload exceeds {MAX_PAYLOAD_BYTES} bytes.")
    try:
        blob = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise reject("The media data is not valid base64.") from None
    digest = hashlib.sha256(blob).hexdigest()
    if part["type"] == "input_audio":
        return _wav_seconds(blob), digest, 0
    seconds, visual = _video_measure(blob)
    return seconds, digest, visual


def _wav_seconds(blob: bytes) -> float:
    try:
        with wave.open(io.BytesIO(blob)) as w:
            seconds: float = w.getnframes() / w.getframerate()
    except (wave.Error, EOFError, ZeroDivisionError):
        raise reject("The input audio could not be decoded as WAV.") from None
    if seconds <= 0:
        raise reject("The input audio is empty.")
    return seconds


def _video_measure(blob: bytes) -> tuple[float, int]:
    import av  # only video requests need a decoder

    from pipeline.media.clips import clip_tokens  # the seed's formula, as qmt estimate applies it

    try:
        return clip_tokens(blob)
    except (av.FFmpegError, ValueError, ZeroDivisionError):
        raise reject("The input video could not be decoded (or has no audio).") from None


def pseudo_text(chat: MediaChat) -> str:
    """Deterministic text for the piece: its digest picks the syllables, its length the count."""
    seed = bytes.fromhex(chat.digest)
    if chat.target in WIDE_LANGS:
        n = max(2, round(chat.seconds * 3.0))
        body = "".join(_HANZI[seed[i % 32] % len(_HANZI)] for i in range(n))
        return f"⟦{chat.target}⟧{body}"
    n = max(1, round(chat.seconds * 2.5))
    words = [_SYLLABLES[seed[i % 32] % 12] + _SYLLABLES[seed[(i * 7 + 3) % 32] % 12] for i in range(n)]
    return f"⟦{chat.target}⟧ " + " ".join(words)


def pseudo_speech(chat: MediaChat, ratio: float) -> bytes:
    """PCM16 mono 24 kHz, ``ratio`` times the input's length: a soft tone, never silence."""
    import numpy as np  # only a dubbed answer needs it: an emulator serving text never loads numpy

    n = max(1, round(chat.seconds * ratio * SPEECH_RATE))
    t = np.arange(n) / SPEECH_RATE
    tone = 0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return (tone * 32767).astype("<i2").tobytes()


async def handle(emu: Emulator, request: web.Request, raw: bytes, rid: str, action: Action | None) -> web.StreamResponse:
    """The LiveTranslate branch of :meth:`Emulator.handle_chat` (after auth and faults)."""
    try:
        chat = parse_media_request(raw)
    except RequestRejected as exc:
        return emu._error(exc.spec, rid)
    text = pseudo_text(chat)
    speech = pseudo_speech(chat, emu.config.speech_ratio) if chat.speech else b""
    out_audio = audio_tokens(len(speech) / 2 / SPEECH_RATE) if speech else 0
    completion = count_tokens(text) + out_audio
    if (refusal := emu.limiter.admit(chat.model, chat.prompt_tokens + completion)) is not None:
        retry = retry_after_header(refusal.retry_after, emu.limiter.time_scale)
        return emu._error(ERRORS[refusal.kind], rid, retry_after=retry)
    if action is None:
        action = emu.faults.draw_random()
        if action is not None and action.kind not in _REPLY_FAULTS:
            return await emu._fail_early(request, action, rid)
    if not await emu._sleep(emu.latency.sample(completion), request):
        return await emu._drop(request, "client_gone")
    return await _stream(emu, request, rid, chat, text, speech, completion, action)


async def _stream(emu: Emulator, request: web.Request, rid: str, chat: MediaChat, text: str, speech: bytes,
                  completion: int, action: Action | None) -> web.StreamResponse:
    created = int(time.time())
    words = text.split(" ")
    deltas: list[dict[str, Any]] = [{"content": w if i == 0 else " " + w} for i, w in enumerate(words)]
    if speech:
        deltas.append({"audio": {"transcript": text}})
        step = int(AUDIO_CHUNK_SECONDS * SPEECH_RATE) * 2
        deltas += [{"audio": {"data": base64.b64encode(speech[i:i + step]).decode(), "id": f"audio_{rid}"}}
                   for i in range(0, len(speech), step)]
    kind = action.kind if action is not None else "ok"
    fail_at = len(deltas) // 2 if kind in ("drop_mid", "cut", "malformed") else None
    resp = web.StreamResponse(headers={"x-request-id": rid, "Content-Type": "text/event-stream"})
    await resp.prepare(request)

    def event(delta: dict[str, Any] | None, finish: str | None = None, usage_: dict[str, Any] | None = None) -> bytes:
        choices = [] if delta is None else [{"delta": {"role": "assistant", **delta}, "finish_reason": finish,
                                             "index": 0, "logprobs": None}]
        body = {"id": f"chatcmpl-{rid}", "choices": choices, "created": created, "model": chat.model,
                "object": "chat.completion.chunk", "usage": usage_}
        return b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"

    try:
        for i, delta in enumerate(deltas):
            if i == fail_at:  # billed for the output generated so far: what was sent
                _bill(emu, rid, chat, _sent_tokens(deltas[:i]), "malformed" if kind == "malformed" else "interrupted")
                if kind == "drop_mid":
                    return await emu._drop(request, kind)
                emu.ledger.count_error(kind)
                if kind == "malformed":
                    await resp.write(b'data: {"id": "chatcmpl-' + rid.encode() + b'", "choices": [{"delta": \n\n')
                await resp.write_eof()
                return resp
            await resp.write(event(delta))
        _bill(emu, rid, chat, completion, "stop")
        emu.ledger.count_served()
        await resp.write(event({"content": ""}, "stop"))
        out_audio = completion - count_tokens(text)
        details = {"prompt_tokens_details": {"audio_tokens": chat.audio_tokens, "video_tokens": chat.video_tokens,
                                             "text_tokens": 0},
                   "completion_tokens_details": {"audio_tokens": out_audio, "text_tokens": count_tokens(text)}}
        await resp.write(event(None, usage_=usage(chat.prompt_tokens, completion) | details))
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
    except ConnectionError:
        emu.ledger.count_error("client_gone")
    return resp


def _sent_tokens(deltas: list[dict[str, Any]]) -> int:
    text = "".join(d.get("content") or "" for d in deltas)
    speech = sum(len(base64.b64decode(d["audio"]["data"])) for d in deltas if "data" in d.get("audio", {}))
    return count_tokens(text) + (audio_tokens(speech / 2 / SPEECH_RATE) if speech else 0)


def _bill(emu: Emulator, rid: str, chat: MediaChat, completion: int, status: str) -> None:
    emu.ledger.bill(BillingRecord(rid, chat.model, chat.target, chat.prompt_tokens, completion, status, True,
                                  audio_tokens=chat.audio_tokens, video_tokens=chat.video_tokens))
