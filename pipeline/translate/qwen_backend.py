"""The production backend: Qwen-MT through the official ``openai`` SDK (async).

This is the one place where vendor exceptions become qmt's error tree
(:mod:`pipeline.errors`); the worker pool decides what to do by class. The SDK's own
retries are switched off (``max_retries=0``): tenacity in the pool retries, so that a
429 is never retried twice over by two layers.
"""
from __future__ import annotations

import email.utils
import json
import time
from dataclasses import replace
from typing import Any

import openai

from pipeline import errors
from pipeline.provenance import answer_engine, service_engine
from pipeline.secrets import redact, register
from pipeline.tokens import OUTPUT_RATIO, count_tokens, prompt_tokens
from pipeline.translate.backend import TranslationRequest, TranslationResponse

# qwen-mt-plus and qwen-mt-turbo stream the whole text so far in every chunk;
# flash and lite stream increments (docs/qwen-mt.md, "two semantics").
CUMULATIVE_STREAM_MODELS = ("qwen-mt-plus", "qwen-mt-turbo")


class QwenBackend:
    """Sends one :class:`TranslationRequest` per call to ``{base_url}/chat/completions``."""

    def __init__(self, *, api_key: str, base_url: str, timeout: float = 120.0, stream: bool = False,
                 engine: str = ""):
        register(api_key)
        self._base_url = base_url
        # The engine expected at this endpoint; every answer then says who really answered.
        self.engine = engine or service_engine(base_url)
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )
        self._stream = stream

    async def aclose(self) -> None:
        await self._client.close()

    async def translate(self, request: TranslationRequest) -> TranslationResponse:
        kwargs = _request_kwargs(request)
        if self._stream:
            kwargs |= {"stream": True, "stream_options": {"include_usage": True}}
        try:
            # The raw response gives the x-request-id header: the id the service bills under.
            raw = await self._client.chat.completions.with_raw_response.create(**kwargs)
        except openai.APIStatusError as exc:
            self.engine = answer_engine(exc.response.headers, self._base_url)
            raise map_status_error(exc) from None
        except openai.APITimeoutError:
            raise errors.ServiceTimeout("no answer within the request timeout") from None
        except openai.APIConnectionError as exc:
            raise errors.ConnectionDropped(f"connection failed: {_cause(exc)}") from None
        request_id = raw.headers.get("x-request-id")
        self.engine = answer_engine(raw.headers, self._base_url)
        if self._stream:
            return replace(await self._read_stream(request, raw.parse(), request_id), engine=self.engine)
        try:
            completion = raw.parse()
        except (openai.APIResponseValidationError, json.JSONDecodeError, ValueError) as exc:
            # A 200 was billed in full; what it said is lost, so its output is estimated.
            raise errors.MalformedResponse(f"unreadable response: {type(exc).__name__}", request_id=request_id,
                                           billed=_billed(request, None)) from None
        return replace(_response_from_completion(completion, request.model, request_id), engine=self.engine)

    async def _read_stream(self, request: TranslationRequest, stream: Any, request_id: str | None) -> TranslationResponse:
        cumulative = request.model.startswith(CUMULATIVE_STREAM_MODELS)
        text, finish, usage = "", None, None
        try:
            async for chunk in stream:
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    piece = choice.delta.content or ""
                    text = piece if cumulative and piece else text + piece
                    finish = choice.finish_reason or finish
        except openai.APIStatusError as exc:
            raise map_status_error(exc) from None
        except openai.APIConnectionError as exc:
            # Newer SDKs wrap a transport failure mid-stream (timeouts included) as an
            # APIError subclass: still a dropped connection, retried, never a bad request.
            raise errors.ConnectionDropped(f"stream interrupted: {_cause(exc)}", request_id=request_id,
                                           billed=_billed(request, text)) from None
        except openai.APIError as exc:  # an error event inside the stream: classify it by its code
            raise classify(None, *_error_fields(exc), headers=None) from None
        except Exception as exc:  # transport errors and unreadable events surface raw mid-stream
            if isinstance(exc, errors.QmtError):
                raise
            # An interrupted stream is billed for the output generated so far.
            raise errors.ConnectionDropped(f"stream interrupted: {_cause(exc)}", request_id=request_id,
                                           billed=_billed(request, text)) from None
        if finish is None:
            raise errors.ConnectionDropped("stream ended before the translation was complete",
                                           request_id=request_id, billed=_billed(request, text))
        return TranslationResponse(
            text=text, finish_reason=finish,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            request_id=request_id, model=request.model,
        )


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


def _billed(request: TranslationRequest, received: str | None) -> tuple[int, int]:
    """What the service bills for a broken answer: the prompt as counted offline, and the
    output received so far (or, when none could be read, the expected output)."""
    prompt = prompt_tokens(request.text, request.terms, request.tm_list, request.domains)
    if received is None:
        return prompt, round(count_tokens(request.text) * OUTPUT_RATIO)
    return prompt, count_tokens(received)


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
    inner = exc.__cause__ or exc.__context__
    return redact(type(inner).__name__ if inner else type(exc).__name__)
