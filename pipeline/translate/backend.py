"""The translation backend interface: one request in, one response out.

Shaped like an httpx transport: a single async method, no retries, no pooling, no
knowledge of documents. The worker pool (:mod:`pipeline.translate.pool`) owns retries
and concurrency; the backend only turns a :class:`TranslationRequest` into a
:class:`TranslationResponse` or raises one of :mod:`pipeline.errors`' ServiceErrors.

The production backends are :class:`pipeline.translate.qwen_backend.QwenBackend` (the
OpenAI-compatible protocol, the ``openai`` SDK) and
:class:`pipeline.translate.dashscope_backend.DashScopeBackend` (DashScope's native
protocol, httpx2); :mod:`pipeline.translate.engines` picks one from the job. Tests run
those same classes against the local emulator, which speaks both protocols.

A media piece is one :class:`MediaRequest` in, one :class:`MediaResponse` out, sent by
:class:`pipeline.translate.livetranslate_backend.LiveTranslateBackend`. The requests and
responses live here, not beside the backends, so that what plans, prices and records a
request (the run, the estimate, the sender, the emulator) loads no SDK: only a backend
that is made to send one does.
"""
from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from pipeline.service_facts import LIVETRANSLATE_MODEL, audio_tokens
from pipeline.tokens import prompt_tokens


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The TLS context every backend's HTTP client verifies the service with: httpx's
    default (the system's CA certificates; ``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured),
    made once per process. Each client made its own, loading the certificates again:
    about 20 ms of CPU per backend (a third of a small test's time)."""
    import httpx2  # the HTTP stack loads with a backend, not with every import of this module

    return httpx2.create_ssl_context()


# qwen-mt-plus and qwen-mt-turbo stream the whole text so far in every chunk; flash and
# lite stream increments (docs/qwen-mt.md, "two semantics"; the same in both protocols).
CUMULATIVE_STREAM_MODELS = ("qwen-mt-plus", "qwen-mt-turbo")


def streamed_text(so_far: str, piece: str, model: str) -> str:
    """The text of a stream after one more chunk, in ``model``'s stream semantics."""
    return piece if model.startswith(CUMULATIVE_STREAM_MODELS) and piece else so_far + piece


@dataclass(frozen=True, slots=True)
class TermPair:
    """A glossary entry or a translation-memory example, as the API takes them."""

    source: str
    target: str

    def as_dict(self) -> dict[str, str]:
        return {"source": self.source, "target": self.target}


@dataclass(frozen=True)
class Sampling:
    """Sampling parameters; None means "leave to the service default"."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    seed: int | None = None
    max_tokens: int | None = None


@dataclass(frozen=True)
class TranslationRequest:
    text: str
    model: str
    source_lang: str            # the API's value: an English name or "auto"
    target_lang: str            # the API's value: an English name
    terms: tuple[TermPair, ...] = ()
    tm_list: tuple[TermPair, ...] = ()
    domains: str | None = None
    sampling: Sampling = field(default_factory=Sampling)
    #: Per packed piece, in marker order ("" where none): where each text is used (engine
    #: llm writes it in the system prompt; Qwen-MT's API has no field for it).
    context: tuple[str, ...] = ()

    def translation_options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {"source_lang": self.source_lang, "target_lang": self.target_lang}
        if self.terms:
            opts["terms"] = [t.as_dict() for t in self.terms]
        if self.tm_list:
            opts["tm_list"] = [t.as_dict() for t in self.tm_list]
        if self.domains:
            opts["domains"] = self.domains
        return opts


@dataclass(frozen=True)
class TranslationResponse:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    request_id: str | None = None
    model: str = ""
    engine: str = ""            # who answered (pipeline.provenance), read from the response
    estimated: bool = False     # the server sent no usage: the tokens are qmt's own count


def request_prompt_tokens(request: TranslationRequest) -> int:
    """The prompt tokens of a Qwen-MT request as billed (qmt's model of the service's
    count: the text, every term, TM example and domain hint, and the request's overhead)."""
    return prompt_tokens(request.text, request.terms, request.tm_list, request.domains)


@dataclass(frozen=True)
class MediaRequest:
    """One media piece to translate into one language (Qwen3-LiveTranslate)."""

    data: bytes                 # the piece: a WAV file, or a video clip with ``video=True``
    mime: str                   # "audio/wav", "video/mp4" ...
    target_lang: str            # a code of service_facts.LIVETRANSLATE_LANGS
    source_lang: str | None = None   # None: the service detects it
    speech: bool = False        # ask for dubbed speech too
    voice: str = "Cherry"
    video: bool = False
    model: str = LIVETRANSLATE_MODEL
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


TEXT_TOKENS_PER_SECOND = 4      # expected translated text per second of speech (budget reservations)


def expected_completion(seconds: float, speech: bool) -> int:
    """The completion tokens expected for ``seconds`` of speech (reservations, the estimate):
    its text, and with dubbing speech as long as the input (qmt's model, as
    :func:`request_prompt_tokens` is for text)."""
    return round(seconds * TEXT_TOKENS_PER_SECOND) + (audio_tokens(seconds) if speech else 0)


class Backend(Protocol):
    """What the sender and the run use of a backend: nothing else is read from one."""

    #: Who answers at this backend's endpoint (:mod:`pipeline.provenance`): the engine
    #: expected until an answer says otherwise; the ledger and the cache record it.
    engine: str

    async def translate(self, request: TranslationRequest) -> TranslationResponse:
        """Send one request. Raises a ServiceError subclass on any failure."""
        ...

    def count_prompt(self, request: TranslationRequest) -> int:
        """The prompt tokens ``request`` is billed as this backend sends it (a backend that
        writes its own prompt counts it): what the sender paces and budgets with."""
        ...

    async def aclose(self) -> None:
        ...
