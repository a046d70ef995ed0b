"""Any OpenAI-compatible model server (``engine = "llm"``): vLLM, Ollama, llama.cpp's
server, another provider.

The same ``openai`` SDK client as Qwen-MT (:mod:`pipeline.translate.qwen_backend`),
pointed at the server's ``base_url``, and the same error tree: vendor exceptions go
through that module's :func:`~pipeline.translate.qwen_backend.vendor_error` table (the
SDK's exceptions) and :mod:`pipeline.translate.service_errors`. What
differs is the request: the model takes no ``translation_options``, so the instruction
is a system prompt (:mod:`pipeline.translate.llm_prompt`) and the user message is the
text alone. The answer goes through the pool's usual checks (tags, pack markers,
truncation).

* **Key**: optional. ``QMT_LLM_API_KEY`` when the server needs one; without it no
  ``Authorization`` header is sent at all (the SDK's placeholder never leaves the process).
  ``DASHSCOPE_API_KEY`` is never sent to a generic server.
* **Usage**: the server's ``usage`` when it sends one; otherwise qmt counts the messages
  and the answer itself (:func:`pipeline.tokens.chat_prompt_tokens`) and the ledger row is
  marked ``estimated``.
* **Streaming** (``[run] stream``): incremental deltas, as OpenAI-compatible servers send
  them; ``stream_options.include_usage`` is asked for.
* **Reasoning models** that put their thinking in the answer (``<think>…</think>`` first,
  as Qwen3 and DeepSeek-R1 do on Ollama and llama.cpp) get it removed before the checks.
* **Chatty models**: the message is framed by markers and the answer unframed
  (:func:`~pipeline.translate.llm_prompt.unframe`): a preamble, a pleasantry, a fence or
  quotes outside the frame are dropped; chatter where the frame did not come back whole
  is refused as a :class:`~pipeline.errors.BadTranslation` (billed: the server answered),
  which the pool asks once more for and then reports.
* **Timeout**: ``timeout`` bounds the whole request, every chunk of a stream included; a
  stream cut by it is billed for the output received.
* **The server as it is** (:mod:`pipeline.translate.model_server`): :meth:`LlmBackend.learn`
  reads its slots and measures its speed before the run; every answer after that teaches
  the pace more, and each request's bound is the pace's
  (:meth:`~pipeline.translate.model_server.ServerPace.timeout_for`).
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace
from typing import Any

import openai

from pipeline import errors
from pipeline.provenance import llm_answer_engine, llm_engine
from pipeline.secrets import register
from pipeline.tokens import count_tokens
from pipeline.translate.backend import Sampling, TranslationRequest, TranslationResponse, tls_context
from pipeline.translate.llm_prompt import messages as prompt_messages, prompt_tokens_of, unframe
from pipeline.translate.model_server import CALIBRATION_TOKENS, Observation, PaceSettings, ServerPace, read_slots
from pipeline.translate.qwen_backend import vendor_error
from pipeline.translate.service_errors import BEFORE, BODY, STREAM, Seen, within

# The SDK refuses to build a client without a key; this one is never sent (every request
# omits the Authorization header when the job has no key).
_UNSENT_KEY = "no-key"
_THINKING_RE = re.compile(r"\A\s*<think>.*?</think>\s*", re.S)


class LlmBackend:
    """Sends one :class:`TranslationRequest` per call to ``{base_url}/chat/completions``."""

    def __init__(self, *, base_url: str, model: str, api_key: str | None = None, timeout: float = 120.0,
                 stream: bool = False, engine: str = "", http_client: Any = None):
        if api_key:
            register(api_key)
        self._base_url = base_url.rstrip("/")
        self._model = model
        # Who answers: the server (llm:<base_url>#<model>) unless the answer says otherwise.
        # ``engine``: the one expected at this endpoint when it is not the server itself (the emulator).
        self.engine = engine or llm_engine(self._base_url, model)
        self._headers: dict[str, Any] = {} if api_key else {"Authorization": openai.Omit()}
        self._client = openai.AsyncOpenAI(api_key=api_key or _UNSENT_KEY, base_url=self._base_url, timeout=timeout,
                                          max_retries=0,
                                          http_client=http_client or openai.DefaultAsyncHttpxClient(verify=tls_context()))
        self._stream = stream
        self._timeout = timeout
        self._http_client = http_client
        # What the run learned of the server (None until learn(): the plain timeout).
        self.pace: ServerPace | None = None

    async def aclose(self) -> None:
        await self._client.close()

    async def learn(self, settings: PaceSettings, calibration: TranslationRequest) -> ServerPace:
        """Read the server's slots; a server that announces them (a local one) also gets
        ``calibration``, one short request, to measure its speed before the run. It is
        sent twice: first for one output token, unobserved, so that a server that keeps
        its last prompt (llama.cpp) has the system prompt in its cache, as it has for
        every request of the run after the first, and the measure is of that."""
        slots = await read_slots(self._base_url, self._http_client)
        pace = ServerPace(settings, slots)
        pace.overhead = prompt_tokens_of(calibration) - count_tokens(calibration.text)
        if slots is not None:
            for max_tokens, observed in ((1, False), (CALIBRATION_TOKENS, True)):
                self.pace = pace if observed else None
                short = replace(calibration, sampling=replace(calibration.sampling, max_tokens=max_tokens))
                try:
                    async with pace.gate:
                        await self.translate(short)
                except errors.QmtError:   # the run meets the same problem and reports it
                    pass
        self.pace = pace
        return pace

    def count_prompt(self, request: TranslationRequest) -> int:
        """The prompt tokens of ``request`` as sent (system prompt included): what the
        sender paces and budgets with, and the ledger's count when the server sends none."""
        return prompt_tokens_of(request)

    async def translate(self, request: TranslationRequest) -> TranslationResponse:
        """One request; ``timeout`` bounds all of it, a stream's every chunk included (the
        SDK's own timeout only bounds the wait for each read)."""
        pace, source = self.pace, count_tokens(request.text)
        prompt = prompt_tokens_of(request)
        seen = _Seen(lambda text: (prompt, None if text is None else count_tokens(text)))
        seen.prompt = prompt
        bound = pace.timeout_for(prompt, source) if pace is not None else self._timeout
        in_flight = pace.gate.active if pace is not None else 1
        # A runaway answer ends in time; only on a server that announced its slots (a local
        # one: llama.cpp cuts an output at its context), as vLLM refuses a max_tokens over its own.
        if pace is not None and pace.slots is not None and request.sampling.max_tokens is None:
            cap = pace.max_output(prompt, bound)
            if cap is not None:
                request = replace(request, sampling=replace(request.sampling, max_tokens=cap))
        started = time.monotonic()
        try:
            response = await within(bound, self._translate(request, seen, bound), seen, self._stream)
        except errors.ServiceTimeout:
            if pace is not None:
                pace.timed_out(prompt, source, bound)
            raise
        except errors.BadTranslation as exc:   # refused, but answered in full: the server's speed all the same
            if pace is not None and exc.billed is not None:
                await self._observe(pace, source, exc.billed[0], exc.billed[1] or 0, started, in_flight, seen)
            raise
        if pace is not None:
            await self._observe(pace, source, response.prompt_tokens, response.completion_tokens, started,
                                in_flight, seen)
        return response

    @staticmethod
    async def _observe(pace: ServerPace, source: int, prompt: int, completion: int, started: float, in_flight: int,
                       seen: "_Seen") -> None:
        """Teach ``pace`` one answer (the server's timings where it sent them)."""
        timings = seen.timings
        limit = pace.observe(Observation(
            source, prompt, completion, time.monotonic() - started, in_flight,
            _rate(timings, "prompt_per_second", "prompt_n"), _rate(timings, "predicted_per_second", "predicted_n"),
            _cached(timings)))
        if limit is not None:
            await pace.gate.set_limit(limit)

    async def _translate(self, request: TranslationRequest, seen: "_Seen", bound: float) -> TranslationResponse:
        messages = prompt_messages(request)
        kwargs = _request_kwargs(request.model, messages, request.sampling) | {"extra_headers": self._headers,
                                                                                 "timeout": bound}
        if self._stream:
            kwargs |= {"stream": True, "stream_options": {"include_usage": True}}
        try:
            async with self._client.chat.completions.with_streaming_response.create(**kwargs) as raw:
                seen.answered(raw.headers.get("x-request-id"), self._stream)
                self.engine = llm_answer_engine(raw.headers, self._base_url, self._model)
                if self._stream:
                    return await self._read_stream(raw, request, seen)
                try:
                    completion = await raw.parse()
                except (errors.QmtError, asyncio.CancelledError):
                    raise
                except Exception as exc:  # answered (and billed) but unreadable: output estimated
                    raise vendor_error(exc, BODY, request_id=seen.request_id, billed=(seen.prompt, None)) from None
                seen.timings = getattr(completion, "timings", None)   # llama.cpp's own measure of its speed
                return self._from_completion(completion, request, seen.prompt, seen.request_id)
        except (errors.QmtError, asyncio.CancelledError):
            raise
        except Exception as exc:
            if isinstance(exc, openai.APIStatusError):  # an error answer also says who gave it
                self.engine = llm_answer_engine(exc.response.headers, self._base_url, self._model)
            raise _for_model_server(vendor_error(exc, BEFORE)) from None

    def _from_completion(self, completion: Any, request: TranslationRequest, prompt: int,
                         request_id: str | None) -> TranslationResponse:
        try:
            choice = completion.choices[0]
            text = choice.message.content or ""
            finish = choice.finish_reason or "stop"
        except (AttributeError, IndexError, TypeError) as exc:
            raise errors.MalformedResponse(f"response without a choice: {type(exc).__name__}") from None
        return self._response(text, finish, getattr(completion, "usage", None), prompt,
                              request_id or getattr(completion, "id", None), request)

    async def _read_stream(self, raw: Any, request: TranslationRequest, seen: "_Seen") -> TranslationResponse:
        finish, usage, prompt = None, None, seen.prompt
        try:
            async for chunk in await raw.parse():
                seen.request_id = seen.request_id or getattr(chunk, "id", None)  # servers without x-request-id (vLLM)
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
                seen.timings = getattr(chunk, "timings", None) or seen.timings
                for choice in chunk.choices or ():
                    if choice.delta is not None:
                        seen.text += choice.delta.content or ""
                    finish = choice.finish_reason or finish
        except (errors.QmtError, asyncio.CancelledError):
            raise
        except Exception as exc:  # an interrupted stream is billed for what was generated so far
            raise vendor_error(exc, STREAM, request_id=seen.request_id,
                               billed=(prompt, count_tokens(seen.text))) from None
        if finish is None:
            raise errors.ConnectionDropped("stream ended before the translation was complete",
                                           request_id=seen.request_id, billed=(prompt, count_tokens(seen.text)))
        return self._response(seen.text, finish, usage, prompt, seen.request_id, request)

    def _response(self, text: str, finish: str, usage: Any, prompt: int, request_id: str | None,
                  request: TranslationRequest) -> TranslationResponse:
        raw_text = text
        text = _THINKING_RE.sub("", text, count=1)
        if usage is not None:
            prompt_used, completion_used, estimated = usage.prompt_tokens or 0, usage.completion_tokens or 0, False
        else:  # the server counts nothing: qmt's own count, marked estimated in the ledger
            prompt_used, completion_used, estimated = prompt, count_tokens(raw_text), True
        if finish != "length":  # a truncated answer lacks its closing marker: the pool asks again anyway
            try:
                text = unframe(text, request.text)
            except ValueError as exc:  # chatter where the frame cannot say where it ends: refused
                raise errors.BadTranslation(str(exc), request_id=request_id,
                                            billed=(prompt_used, completion_used)) from None
        return TranslationResponse(text=text, finish_reason=finish, prompt_tokens=prompt_used,
                                   completion_tokens=completion_used, request_id=request_id, model=request.model,
                                   engine=self.engine, estimated=estimated)


class _Seen(Seen):
    """What one request has seen so far (:class:`~pipeline.translate.service_errors.Seen`),
    and the server's own ``timings`` of it where it sends them (llama.cpp: its speed)."""

    timings: Any = None
    prompt = 0                  # the prompt's tokens as qmt counts them


# What a fatal answer of a model server asks the user to do: its key is QMT_LLM_API_KEY
# (DASHSCOPE_API_KEY is never sent there) and its models are its own, not Qwen-MT's.
_SERVER_ADVICE: dict[type[errors.FatalServiceError], str] = {
    errors.AuthenticationFailed: "the model server refused the key: set QMT_LLM_API_KEY to the key it expects "
                                 "(or unset it for a server without keys)",
    errors.ModelNotFound: "the model server does not serve this model: check [job] model against the server's "
                          "/v1/models",
    errors.AccessDenied: "the model server refused access to this model with this key (QMT_LLM_API_KEY)",
}


def _for_model_server(exc: errors.ServiceError) -> errors.ServiceError:
    """``exc`` with advice that fits a model server rather than Qwen-MT."""
    if isinstance(exc, errors.FatalServiceError) and (advice := _SERVER_ADVICE.get(type(exc))) is not None:
        exc.advice = advice
    return exc


# A rate from fewer tokens than this is mostly the server's fixed cost per request (a
# prompt served from llama.cpp's cache processes one or two tokens): not a speed.
_MIN_TIMED_TOKENS = 16


def _rate(timings: Any, name: str, count: str) -> float | None:
    """One of llama.cpp's ``timings`` rates (tokens a second) when it counts enough tokens, or None."""
    if not isinstance(timings, dict):
        return None
    value, n = timings.get(name), timings.get(count)
    if not isinstance(value, (int, float)) or value <= 0 or not isinstance(n, int) or n < _MIN_TIMED_TOKENS:
        return None
    return float(value)


def _cached(timings: Any) -> int | None:
    """The prompt tokens llama.cpp took from its cache (``timings.cache_n``), or None."""
    value = timings.get("cache_n") if isinstance(timings, dict) else None
    return value if isinstance(value, int) and value >= 0 else None


def _request_kwargs(model: str, messages: list[dict[str, str]], s: Sampling) -> dict[str, Any]:
    """The body: OpenAI's sampling fields as they are; ``top_k`` and ``repetition_penalty``
    (not OpenAI's) in ``extra_body``, where vLLM, SGLang and llama.cpp's server read them."""
    kwargs: dict[str, Any] = {"model": model, "messages": messages}
    for name in ("temperature", "top_p", "seed", "max_tokens"):
        value = getattr(s, name)
        if value is not None:
            kwargs[name] = value
    extra = {name: getattr(s, name) for name in ("top_k", "repetition_penalty") if getattr(s, name) is not None}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs
