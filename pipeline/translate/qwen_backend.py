"""The production backend: Qwen-MT through the official ``openai`` SDK (async).

This is the one place where vendor exceptions become qmt's error tree
(:mod:`pipeline.errors`); the worker pool decides what to do by class. The SDK's own
retries are switched off (``max_retries=0``): tenacity in the pool retries, so that a
429 is never retried twice over by two layers.
"""
from __future__ import annotations

import asyncio
import email.utils
import importlib
import ssl
import time
from dataclasses import replace
from typing import Any

import anyio
import openai

from pipeline import errors
from pipeline.provenance import answer_engine, service_engine
from pipeline.secrets import redact, register
from pipeline.tokens import count_tokens, prompt_tokens
from pipeline.translate.backend import TranslationRequest, TranslationResponse

# qwen-mt-plus and qwen-mt-turbo stream the whole text so far in every chunk;
# flash and lite stream increments (docs/qwen-mt.md, "two semantics").
CUMULATIVE_STREAM_MODELS = ("qwen-mt-plus", "qwen-mt-turbo")


class QwenBackend:
    """Sends one :class:`TranslationRequest` per call to ``{base_url}/chat/completions``."""

    def __init__(self, *, api_key: str, base_url: str, timeout: float = 120.0, stream: bool = False,
                 engine: str = "", http_client: Any = None):
        register(api_key)
        self._base_url = base_url
        # The engine expected at this endpoint; every answer then says who really answered.
        self.engine = engine or service_engine(base_url)
        # ``http_client``: another transport (a proxy, or the fault-injecting one of the tests).
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0, http_client=http_client
        )
        self._stream = stream

    async def aclose(self) -> None:
        await self._client.close()

    async def translate(self, request: TranslationRequest) -> TranslationResponse:
        kwargs = _request_kwargs(request)
        if self._stream:
            kwargs |= {"stream": True, "stream_options": {"include_usage": True}}
        try:
            # A streamed response returns at the headers: their x-request-id is the id the
            # service bills under, and a 200 means the answer is billed even if its body
            # never arrives whole (then the body phase below estimates what it cost).
            async with self._client.chat.completions.with_streaming_response.create(**kwargs) as raw:
                request_id = raw.headers.get("x-request-id")
                self.engine = answer_engine(raw.headers, self._base_url)
                if self._stream:
                    return replace(await self._read_stream(request, raw, request_id), engine=self.engine)
                try:
                    completion = await raw.parse()
                except (errors.QmtError, asyncio.CancelledError):
                    raise
                except Exception as exc:
                    # A 200 was billed in full; what it said is lost, so its output is estimated.
                    raise vendor_error(exc, BODY, request_id=request_id, billed=_billed(request, None)) from None
                return replace(_response_from_completion(completion, request.model, request_id), engine=self.engine)
        except (errors.QmtError, asyncio.CancelledError):
            raise
        except Exception as exc:
            if isinstance(exc, openai.APIStatusError):  # an error answer also says who gave it
                self.engine = answer_engine(exc.response.headers, self._base_url)
            raise vendor_error(exc, BEFORE) from None

    async def _read_stream(self, request: TranslationRequest, raw: Any, request_id: str | None) -> TranslationResponse:
        cumulative = request.model.startswith(CUMULATIVE_STREAM_MODELS)
        text, finish, usage = "", None, None
        try:
            async for chunk in await raw.parse():
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    piece = choice.delta.content or ""
                    text = piece if cumulative and piece else text + piece
                    finish = choice.finish_reason or finish
        except (errors.QmtError, asyncio.CancelledError):
            raise
        except Exception as exc:
            # An interrupted stream is billed for the output generated so far.
            raise vendor_error(exc, STREAM, request_id=request_id, billed=_billed(request, text)) from None
        if finish is None:
            raise errors.ConnectionDropped("stream ended before the translation was complete",
                                           request_id=request_id, billed=_billed(request, text))
        return TranslationResponse(
            text=text, finish_reason=finish,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            request_id=request_id, model=request.model,
        )


# --- vendor exceptions -> the error tree ---------------------------------------------------
#
# Where an exception surfaces decides what the answer cost: BEFORE the response headers
# nothing was answered (nothing billed); in the BODY of a 200 or while iterating a STREAM
# the service had answered, so the output is billed (estimated: the usage never arrived).
BEFORE, BODY, STREAM = "before the response", "reading the body", "iterating the stream"


def _http(name: str) -> tuple[type[BaseException], ...]:
    """``<name>`` from each HTTP library the SDK may run on: httpx2 (openai 3) and httpx."""
    classes = []
    for module in ("httpx2", "httpx"):
        try:
            classes.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(classes)


_TIMEOUTS = (openai.APITimeoutError, *_http("TimeoutException"), TimeoutError)
_TRANSPORT = (openai.APIConnectionError, *_http("TransportError"), *_http("RequestError"), *_http("StreamClosed"),
              anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, ssl.SSLError,
              OSError, EOFError)
_UNREADABLE = (openai.APIResponseValidationError, *_http("DecodingError"), ValueError)

# The table, first match wins (order matters: APITimeoutError is an APIConnectionError,
# which is an APIError; DecodingError is a RequestError; TimeoutError is an OSError).
# Every row is tested in tests/translate/test_exception_table.py, in every phase it can occur.
EXCEPTION_TABLE: tuple[tuple[str, tuple[type[BaseException], ...], type[errors.ServiceError] | None], ...] = (
    ("HTTP error status (4xx/5xx)", (openai.APIStatusError,), None),          # by status and code: classify()
    ("no answer in time", _TIMEOUTS, errors.ServiceTimeout),
    ("unreadable answer", _UNREADABLE, errors.MalformedResponse),
    ("transport failure", _TRANSPORT, errors.ConnectionDropped),
    ("error event in a stream", (openai.APIError,), None),                   # by its code: classify()
)


def vendor_error(exc: BaseException, phase: str, *, request_id: str | None = None,
                 billed: tuple[int, int | None] | None = None) -> errors.ServiceError:
    """The error-tree class for a vendor exception raised in ``phase``.

    Transport failures are transient wherever they surface; an exception the table does
    not know is a bug and is re-raised as it is.
    """
    for _, classes, cls in EXCEPTION_TABLE:
        if not isinstance(exc, classes):
            continue
        if isinstance(exc, openai.APIStatusError):
            return map_status_error(exc)
        if cls is None:  # an error event inside a stream: classify it by its code (not billed)
            return classify(None, *_error_fields(exc), headers=None)
        message = f"{'unreadable answer' if cls is errors.MalformedResponse else 'connection failed'} " \
                  f"{phase}: {_cause(exc)}"
        if cls is errors.ServiceTimeout:
            message = f"no answer within the request timeout ({phase})"
        return cls(message, request_id=request_id, billed=billed)
    raise exc


def _request_kwargs(request: TranslationRequest) -> dict[str, Any]:
    s = request.sampling
    kwargs: dict[str, Any] = {
        "model": request.model,
        "messages": [{"role": "user", "content": request.text}],
    }
    for name in ("temperature", "top_p", "seed", "max_tokens"):
        value = getattr(s, name)
        if value is not None:
            kwargs[name] = value
    # Not part of OpenAI's schema: the SDK passes them through extra_body.
    extra: dict[str, Any] = {"translation_options": request.translation_options()}
    if s.top_k is not None:
        extra["top_k"] = s.top_k
    if s.repetition_penalty is not None:
        extra["repetition_penalty"] = s.repetition_penalty
    kwargs["extra_body"] = extra
    return kwargs


def _billed(request: TranslationRequest, received: str | None) -> tuple[int, int | None]:
    """What the service bills for a broken answer: the prompt as counted offline, and the
    output received so far (None when none could be read: the sender estimates it)."""
    prompt = prompt_tokens(request.text, request.terms, request.tm_list, request.domains)
    return prompt, (count_tokens(received) if received is not None else None)


def _response_from_completion(completion: Any, model: str, request_id: str | None = None) -> TranslationResponse:
    try:
        choice = completion.choices[0]
        usage = completion.usage
        return TranslationResponse(
            text=choice.message.content or "",
            finish_reason=choice.finish_reason or "stop",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            request_id=request_id or getattr(completion, "id", None),
            model=getattr(completion, "model", None) or model,
        )
    except (AttributeError, IndexError, TypeError) as exc:
        raise errors.MalformedResponse(f"response without a choice: {type(exc).__name__}") from None


def map_status_error(exc: openai.APIStatusError) -> errors.ServiceError:
    """Turn an HTTP error answer into the class that decides what happens next."""
    return classify(exc.status_code, *_error_fields(exc), headers=exc.response.headers)


def classify(status: int | None, code: str | None, message: str, request_id: str | None, *,
             headers: Any) -> errors.ServiceError:
    """The error class for a status (None inside a stream), an error code and a message."""
    kw = {"status": status, "code": code, "request_id": request_id}
    text = f"HTTP {status} {code or ''}: {message}".replace("  ", " ") if status else f"{code or 'error'}: {message}"
    low = f"{code} {message}".lower()
    if status is None:
        status = _status_of_code(low)
    if status == 401:
        return errors.AuthenticationFailed(text, **kw)
    if status == 403:
        return errors.AccessDenied(text, **kw)
    if status == 404:
        return errors.ModelNotFound(text, **kw)
    if "arrearage" in low:
        return errors.Arrearage(text, **kw)
    if status == 429:
        if "insufficient_quota" in low or "free allocated quota" in low:
            return errors.QuotaExhausted(text, **kw)
        return errors.RateLimited(text, retry_after=retry_after_seconds(headers), **kw)
    if "datainspection" in low.replace("_", ""):
        return errors.ContentRejected(text, **kw)
    if status >= 500:
        return errors.ServerError(text, **kw)
    return errors.InvalidRequest(text, **kw)


def _status_of_code(low: str) -> int:
    """The HTTP status an error code stands for, for errors that arrive inside a stream."""
    for status, words in ((401, ("invalid_api_key", "invalidapikey")), (403, ("access_denied", "accessdenied")),
                          (404, ("model_not_found", "modelnotfound")), (429, ("throttling", "rate_limit", "quota")),
                          (500, ("internal_error", "internalerror", "server_error"))):
        if any(w in low for w in words):
            return status
    return 400


def _error_fields(exc: openai.APIError) -> tuple[str | None, str, str | None]:
    body = exc.body if isinstance(exc.body, dict) else {}
    inner = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    code = inner.get("code") or body.get("code")
    message = inner.get("message") or body.get("message") or exc.message
    response = getattr(exc, "response", None)
    request_id = body.get("request_id") or (response.headers.get("x-request-id") if response is not None else None)
    return (str(code) if code else None), redact(str(message)), request_id


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _cause(exc: BaseException) -> str:
    inner = exc.__cause__ or exc.__context__ if isinstance(exc, openai.OpenAIError) else None
    return redact(type(inner or exc).__name__)
