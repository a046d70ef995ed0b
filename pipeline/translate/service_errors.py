"""What the translation service said, as qmt's error tree: the one classifier every backend uses.

The service speaks two protocols (the OpenAI-compatible one and DashScope's native one)
with different error bodies but the same status codes and error codes; both, and the
network failures under them, end up here:

* :func:`classify` turns an HTTP status (None for an error event inside a stream), an
  error code and a message into the :mod:`pipeline.errors` class that decides retries;
* :func:`error_fields` reads code, message and request id from either body shape;
* :func:`network_error` turns a transport exception (timeouts, resets, unreadable bodies)
  into a transient error, carrying what the service bills when it had already answered;
* :func:`status_error` / :func:`event_error` do the same for the ``openai`` SDK's
  exceptions (the compatible-mode and LiveTranslate backends).
"""
from __future__ import annotations

import email.utils
import importlib
import ssl
import time
from typing import Any

import anyio
import openai

from pipeline import errors
from pipeline.secrets import redact
from pipeline.tokens import count_tokens, prompt_tokens
from pipeline.translate.backend import TranslationRequest

# Where an exception surfaces decides what the answer cost: BEFORE the response headers
# nothing was answered (nothing billed); in the BODY of a 200 or while iterating a STREAM
# the service had answered, so the output is billed (estimated: the usage never arrived).
BEFORE, BODY, STREAM = "before the response", "reading the body", "iterating the stream"


def _http(name: str) -> tuple[type[BaseException], ...]:
    """``<name>`` from each HTTP library a backend may run on: httpx2 (openai 3, and the
    native backend) and httpx."""
    classes = []
    for module in ("httpx2", "httpx"):
        try:
            classes.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(classes)


# Network failures by what they mean; every backend's exception table is built from these.
TIMEOUTS: tuple[type[BaseException], ...] = (*_http("TimeoutException"), TimeoutError)
TRANSPORT: tuple[type[BaseException], ...] = (
    *_http("TransportError"), *_http("RequestError"), *_http("StreamClosed"), anyio.EndOfStream,
    anyio.BrokenResourceError, anyio.ClosedResourceError, ssl.SSLError, OSError, EOFError)
UNREADABLE: tuple[type[BaseException], ...] = (*_http("DecodingError"), ValueError)


def network_error(exc: BaseException, cls: type[errors.ServiceError], phase: str, *,
                  request_id: str | None = None, billed: tuple[int, int | None] | None = None
                  ) -> errors.ServiceError:
    """The transient error ``cls`` for a network failure ``exc`` in ``phase``."""
    if cls is errors.ServiceTimeout:
        message = f"no answer within the request timeout ({phase})"
    else:
        what = "unreadable answer" if cls is errors.MalformedResponse else "connection failed"
        message = f"{what} {phase}: {cause(exc)}"
    return cls(message, request_id=request_id, billed=billed)


def cause(exc: BaseException) -> str:
    """The name of what really failed (an SDK wrapper names its cause)."""
    inner = exc.__cause__ or exc.__context__ if isinstance(exc, openai.OpenAIError) else None
    return redact(type(inner or exc).__name__)


def billed_estimate(request: TranslationRequest, received: str | None) -> tuple[int, int | None]:
    """What the service bills for a broken answer: the prompt as counted offline, and the
    output received so far (None when none could be read: the sender estimates it)."""
    prompt = prompt_tokens(request.text, request.terms, request.tm_list, request.domains)
    return prompt, (count_tokens(received) if received is not None else None)


def unfinished_stream(request: TranslationRequest, text: str, request_id: str | None) -> errors.ConnectionDropped:
    """A stream that ended without its finish: dropped, billed for the output so far."""
    return errors.ConnectionDropped("stream ended before the translation was complete", request_id=request_id,
                                    billed=billed_estimate(request, text))


# --- error answers ------------------------------------------------------------------------


def error_fields(body: Any, fallback: str = "", headers: Any = None) -> tuple[str | None, str, str | None]:
    """(code, message, request id) of an error body in either protocol's shape:
    ``{"error": {"code", "message"}, "request_id"}`` or ``{"code", "message", "request_id"}``."""
    body = body if isinstance(body, dict) else {}
    inner = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    code = inner.get("code") or body.get("code")
    message = inner.get("message") or body.get("message") or fallback
    request_id = body.get("request_id") or (headers.get("x-request-id") if headers is not None else None)
    return (str(code) if code else None), redact(str(message)), request_id


def status_error(exc: openai.APIStatusError) -> errors.ServiceError:
    """An HTTP error answer the ``openai`` SDK raised, as the class that decides what happens next."""
    return classify(exc.status_code, *error_fields(exc.body, exc.message, exc.response.headers),
                    headers=exc.response.headers)


def event_error(exc: openai.APIError) -> errors.ServiceError:
    """An error event inside an ``openai`` stream, classified by its code (not billed)."""
    response = getattr(exc, "response", None)
    return classify(None, *error_fields(exc.body, exc.message, response.headers if response is not None else None),
                    headers=None)


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
    """The HTTP status an error code stands for (both protocols' spellings), for errors
    that arrive inside a stream."""
    for status, words in ((401, ("invalid_api_key", "invalidapikey")), (403, ("access_denied", "accessdenied")),
                          (404, ("model_not_found", "modelnotfound")), (429, ("throttling", "rate_limit", "quota")),
                          (500, ("internal_error", "internalerror", "server_error"))):
        if any(w in low for w in words):
            return status
    return 400


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


__all__ = ["BEFORE", "BODY", "STREAM", "TIMEOUTS", "TRANSPORT", "UNREADABLE", "billed_estimate", "cause", "classify",
           "error_fields", "event_error", "network_error", "retry_after_seconds", "status_error", "unfinished_stream"]
