"""What the translation service said, as qmt's error tree: the one classifier every backend uses.

The service speaks two protocols (the OpenAI-compatible one and DashScope's native one)
with different error bodies but the same status codes and error codes; both, and the
network failures under them, end up here:

* :func:`classify` turns an HTTP status (None for an error event inside a stream), an
  error code and a message into the :mod:`pipeline.errors` class that decides retries,
  by :data:`ERROR_TABLE`: status, code and message read together, each row citing
  where its code is documented;
* :func:`error_fields` reads code, message and request id from either body shape;
* :func:`network_error` turns a transport exception (timeouts, resets, unreadable bodies)
  into a transient error, carrying what the service bills when it had already answered;
* :func:`status_error` / :func:`event_error` do the same for the ``openai`` SDK's
  exceptions (the compatible-mode and LiveTranslate backends);
* :func:`within` bounds a whole request by ``timeout`` (the SDKs' and httpx's own
  timeouts bound each read, so a stream that trickles forever never ends by them), and
  ends one that overruns as a retryable :class:`~pipeline.errors.ServiceTimeout`, billed
  by what it had seen (:class:`Seen`). Every text backend calls it.
"""
from __future__ import annotations

import asyncio
import email.utils
import importlib
import ssl
import sys
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

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
    native backend) and httpx (older openai SDKs).

    httpx is taken only when loaded already: an SDK that runs on it imported it with
    ``import openai`` above, and nothing else can raise its exceptions. Importing it only
    to name its classes cost every process a tenth of a second of CPU (its command line
    brings rich and click) when it is merely installed, as a test extra's dependency."""
    classes = []
    for module in ("httpx2", "httpx"):
        try:
            loaded = sys.modules.get(module) if module == "httpx" else importlib.import_module(module)
            if loaded is not None:
                classes.append(getattr(loaded, name))
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


Answer = TypeVar("Answer")


class Seen:
    """What one request has seen so far, for the bill of one the timeout ends: answered
    (the 200's headers) means billed; a stream is billed for the output received, an
    answer whose body never came whole for the usual output (``bill``'s None)."""

    def __init__(self, bill: Callable[[str | None], tuple[int, int | None]]) -> None:
        self.text = ""
        self.request_id: str | None = None
        self._bill = bill
        self._answered, self._stream = False, False

    def answered(self, request_id: str | None, stream: bool) -> None:
        self._answered, self._stream, self.request_id = True, stream, request_id

    def billed(self) -> tuple[int, int | None] | None:
        if not self._answered:
            return None
        return self._bill(self.text if self._stream else None)


async def within(timeout: float, call: Awaitable[Answer], seen: Seen, streaming: bool) -> Answer:
    """``call`` (one request), ended at ``timeout`` seconds for the whole of it, a stream's
    every chunk included: a retryable ServiceTimeout billed by what ``seen`` saw."""
    try:
        async with asyncio.timeout(timeout) as deadline:
            return await call
    except TimeoutError:
        if not deadline.expired():
            raise
        raise errors.ServiceTimeout(
            f"no complete answer within the request timeout ({timeout:g} s for the whole request"
            f"{', streaming included' if streaming else ''})", request_id=seen.request_id,
            billed=seen.billed()) from None


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


# --- the classification table ------------------------------------------------------------


@dataclass(frozen=True)
class ErrorRow:
    """One row of :data:`ERROR_TABLE`: which answers it catches and the class they become.

    A row catches an answer whose code (compared without case) is one of ``codes`` (a
    code ending in ``*`` is a prefix), or whose HTTP status is one of ``statuses``; and,
    when ``message`` is set, whose message contains it. Inside a stream there is no
    status (an error event): only codes match. ``source`` says where the code is documented.
    """

    name: str
    cls: type[errors.ServiceError]
    codes: frozenset[str] = frozenset()
    statuses: frozenset[int] = frozenset()
    message: str | None = None
    source: str = ""

    def catches(self, status: int | None, code: str, message: str) -> bool:
        if self.message is not None and self.message not in message:
            return False
        if code in self.codes or status in self.statuses:
            return True
        return any(c.endswith("*") and code.startswith(c[:-1]) for c in self.codes)


def _row(name: str, cls: type[errors.ServiceError], *, codes: tuple[str, ...] = (), statuses: tuple[int, ...] = (),
         message: str | None = None, source: str) -> ErrorRow:
    return ErrorRow(name, cls, frozenset(c.lower() for c in codes), frozenset(statuses),
                    message.lower() if message else None, source)


QWEN_MT_MD = "docs/qwen-mt.md 'Errors (ext)'"
ISSUE_28 = ("issue 28, from Alibaba Cloud Model Studio's error-code page (ext); "
            "not in ../shared/seeds nor docs/qwen-mt.md")

# Status, code and message together, first match wins: the billing and account rows come
# before the throttles (a billing code may come with 429), the free quota before the TPM
# throttle (both can say "allocated quota exceeded"), the throttles before the catch-all 429.
# Every row is tested in both protocols, plain and streaming, in tests/translate/test_error_table.py.
ERROR_TABLE: tuple[ErrorRow, ...] = (
    # -- fatal: the account, not the request, is wrong; nothing more is sent (exit 3) --
    _row("free quota used up", errors.QuotaExhausted, codes=("insufficient_quota", "Throttling.AllocationQuota"),
         statuses=(429,), message="free allocated quota exceeded",
         source=f"{QWEN_MT_MD}, 429 row: 'Free allocated quota exceeded' needs billing and will not recover"),
    _row("account in arrears", errors.Arrearage, codes=("Arrearage",),
         source=f"{QWEN_MT_MD}: 400 Arrearage / Arrearage, 'no, stop the job'"),
    _row("prepaid bill overdue", errors.BillOverdue, codes=("PrepaidBillOverdue",), source=ISSUE_28),
    _row("postpaid bill overdue", errors.BillOverdue, codes=("PostpaidBillOverdue",), source=ISSUE_28),
    _row("model not purchased", errors.NotActivated, codes=("CommodityNotPurchased",), source=ISSUE_28),
    _row("bad API key", errors.AuthenticationFailed, codes=("invalid_api_key", "InvalidApiKey"), statuses=(401,),
         source=f"{QWEN_MT_MD}: 401 invalid_api_key / InvalidApiKey"),
    _row("no access to the model", errors.AccessDenied, codes=("access_denied", "AccessDenied"), statuses=(403,),
         source=f"{QWEN_MT_MD}: 403 access_denied / AccessDenied"),
    _row("unknown model", errors.ModelNotFound, codes=("model_not_found", "ModelNotFound"), statuses=(404,),
         source=f"{QWEN_MT_MD}: 404 model_not_found / ModelNotFound"),
    # -- transient: throttles, retried with backoff (Retry-After honoured) --
    _row("TPM throttle (compatible)", errors.RateLimited, codes=("insufficient_quota",),
         message="allocated quota exceeded",
         source=f"{QWEN_MT_MD}, 429 row: insufficient_quota, TPM 'Allocated quota exceeded'; issue 28"),
    _row("TPM throttle (native)", errors.RateLimited, codes=("Throttling.AllocationQuota",),
         source=f"{QWEN_MT_MD}, 429 row: native Throttling.AllocationQuota (TPM)"),
    _row("RPM throttle", errors.RateLimited, codes=("Throttling.RateQuota", "rate_limit_exceeded", "limit_requests"),
         source=f"{QWEN_MT_MD}, 429 row: Throttling.RateQuota / rate_limit_exceeded, 'Requests rate limit exceeded'; "
                "limit_requests: issue 28"),
    _row("burst throttle", errors.RateLimited, codes=("Throttling.BurstRate", "limit_burst_rate"),
         source=f"{QWEN_MT_MD}, 429 row: burst 'Request rate increased too quickly'"),
    _row("throttle", errors.RateLimited, codes=("Throttling", "Throttling.*"),
         source=f"{QWEN_MT_MD}, 429 row (every Throttling code is a throttle); issue 28"),
    _row("unknown 429", errors.RateLimited, codes=("insufficient_quota",), statuses=(429,),
         source="issue 28: an unknown 429 is retried until [run] outage_seconds, never fatal on a guess"),
    _row("request timed out", errors.ServiceTimeout, codes=("RequestTimeOut", "request_timeout"), statuses=(408,),
         source=f"issue 28 (408 RequestTimeOut, ext); {QWEN_MT_MD}: 'Timeouts ...: retry'"),
    # -- the request or this text is wrong: permanent for the segment --
    _row("content moderation", errors.ContentRejected, codes=("data_inspection_failed", "DataInspectionFailed"),
         source=f"{QWEN_MT_MD}: 400 data_inspection_failed / DataInspectionFailed"),
    _row("server error", errors.ServerError, codes=("internal_error", "InternalError", "server_error"),
         statuses=tuple(range(500, 600)), source=f"{QWEN_MT_MD}: 500/502/503/504 internal_error / InternalError"),
    _row("bad request", errors.InvalidRequest, codes=("invalid_parameter", "InvalidParameter"), statuses=(400,),
         source=f"{QWEN_MT_MD}: 400 invalid_parameter / InvalidParameter"),
)
# Which limit a throttle row names, so the pacing slows that one (RateLimiter.throttled);
# a row not listed ("throttle", "unknown 429") names none: both are slowed.
THROTTLED_LIMIT = {"TPM throttle (compatible)": "tokens", "TPM throttle (native)": "tokens",
                   "RPM throttle": "requests", "burst throttle": "requests"}
# What no row catches: another 4xx, or an error event with an unknown code.
FALLBACK = _row("anything else", errors.InvalidRequest, source="not documented: permanent for the segment")


def error_row(status: int | None, code: str | None, message: str) -> ErrorRow:
    """The first row of :data:`ERROR_TABLE` that catches this answer (or :data:`FALLBACK`)."""
    low_code, low_message = (code or "").lower(), message.lower()
    return next((row for row in ERROR_TABLE if row.catches(status, low_code, low_message)), FALLBACK)


def classify(status: int | None, code: str | None, message: str, request_id: str | None, *,
             headers: Any) -> errors.ServiceError:
    """The error class for a status (None inside a stream), an error code and a message,
    by :data:`ERROR_TABLE`."""
    text = f"HTTP {status} {code or ''}: {message}".replace("  ", " ") if status else f"{code or 'error'}: {message}"
    row = error_row(status, code, message)
    cls = row.cls
    if cls is errors.RateLimited:
        return errors.RateLimited(text, retry_after=retry_after_seconds(headers), status=status, code=code,
                                  request_id=request_id, limit=THROTTLED_LIMIT.get(row.name))
    return cls(text, status=status, code=code, request_id=request_id)


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


__all__ = ["BEFORE", "BODY", "ERROR_TABLE", "FALLBACK", "STREAM", "TIMEOUTS", "TRANSPORT", "UNREADABLE", "ErrorRow",
           "Seen", "billed_estimate", "cause", "classify", "error_fields", "error_row", "event_error", "network_error",
           "retry_after_seconds", "status_error", "unfinished_stream", "within"]
