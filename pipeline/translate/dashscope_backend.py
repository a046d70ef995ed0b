"""Qwen-MT over DashScope's native protocol (``protocol = "dashscope"``), with httpx2.

``POST {base_url}/services/aigc/text-generation/generation`` where ``base_url`` is the
region's API root (``https://dashscope.aliyuncs.com/api/v1``, the dashscope SDK's
``base_http_api_url``). Body ``{"model", "input": {"messages": [...]}, "parameters":
{"translation_options", "result_format": "message", sampling...}}``; the key in
``Authorization`` as the seeds' examples send it; streaming with ``X-DashScope-SSE:
enable`` in both semantics (incremental for flash and lite, cumulative for plus and turbo).
Usage comes as ``input_tokens``/``output_tokens``, the request id as ``request_id``;
error bodies ``{"code", "message", "request_id"}`` go through the classifier every
backend shares (:mod:`pipeline.translate.service_errors`).

Why httpx2 and not the official ``dashscope`` SDK's ``AioGeneration``: the SDK resends
a request once by itself when a pooled connection drops (``send_with_retry_async``), a
second request the journal never sees (the pool's tenacity is the only retry layer, so
that the ledger equals the bill); it logs every error answer's message (a gateway that
echoes the key would put it in a log); it reports a bad stream line as a made-up
``500 Unknown`` answer and carries on; and its stream timeout only bounds the gap between
chunks. httpx2 is what the ``openai`` SDK itself runs on, so both protocols share one
HTTP stack, its timeouts, and the transport rows of the exception table. httpx2's
timeouts bound each read too, so ``timeout`` bounds the whole request, a stream's every
chunk included, the way every text backend does (:func:`~pipeline.translate.service_errors.within`).
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any, AsyncIterator

import httpx2

from pipeline import errors
from pipeline.provenance import answer_engine, service_engine
from pipeline.secrets import register
from pipeline.translate.backend import (TranslationRequest, TranslationResponse, request_prompt_tokens, streamed_text,
                                       tls_context)
from pipeline.translate.service_errors import (BEFORE, BODY, STREAM, TIMEOUTS, TRANSPORT, UNREADABLE, Seen,
                                               billed_estimate, classify, error_fields, network_error,
                                               unfinished_stream, within)

GENERATION_PATH = "/services/aigc/text-generation/generation"
SSE_HEADER = "X-DashScope-SSE"
_SAMPLING = ("temperature", "top_p", "top_k", "repetition_penalty", "seed", "max_tokens")

# Network failures, first match wins (TimeoutException and DecodingError are TransportErrors).
# Error answers and error events are not exceptions here: they are read and classified.
EXCEPTION_TABLE: tuple[tuple[str, tuple[type[BaseException], ...], type[errors.ServiceError]], ...] = (
    ("no answer in time", TIMEOUTS, errors.ServiceTimeout),
    ("unreadable answer", UNREADABLE, errors.MalformedResponse),
    ("transport failure", TRANSPORT, errors.ConnectionDropped),
)


class DashScopeBackend:
    """Sends one :class:`TranslationRequest` per call to the native generation endpoint."""

    def __init__(self, *, api_key: str, base_url: str, timeout: float = 120.0, stream: bool = False,
                 engine: str = "", http_client: httpx2.AsyncClient | None = None):
        register(api_key)
        self._base_url = base_url.rstrip("/")
        # The engine expected at this endpoint; every answer then says who really answered.
        self.engine = engine or service_engine(self._base_url)
        # ``http_client``: another transport (a proxy, or the fault-injecting one of the tests).
        self._client = http_client or httpx2.AsyncClient(verify=tls_context())
        self._timeout = httpx2.Timeout(timeout)
        self._whole = timeout
        self._stream = stream
        self._headers = {"Authorization": api_key, "Content-Type": "application/json"}
        if stream:
            self._headers |= {SSE_HEADER: "enable", "Accept": "text/event-stream"}

    async def aclose(self) -> None:
        await self._client.aclose()

    def count_prompt(self, request: TranslationRequest) -> int:
        """The prompt tokens of ``request`` as billed: the request is sent as qmt built it."""
        return request_prompt_tokens(request)

    async def translate(self, request: TranslationRequest) -> TranslationResponse:
        """One request, ``timeout`` bounding all of it."""
        seen = Seen(lambda text: billed_estimate(request, text))
        return await within(self._whole, self._translate(request, seen), seen, self._stream)

    async def _translate(self, request: TranslationRequest, seen: Seen) -> TranslationResponse:
        try:
            async with self._client.stream("POST", self._base_url + GENERATION_PATH, json=request_body(request),
                                           headers=self._headers, timeout=self._timeout) as raw:
                self.engine = answer_engine(raw.headers, self._base_url)
                if raw.status_code != 200:
                    raise await _error_answer(raw)
                # The 200's headers: from here on the answer is billed even if it never arrives whole.
                request_id = raw.headers.get("x-request-id")
                seen.answered(request_id, self._stream)
                if self._stream:
                    return replace(await _read_stream(request, raw, seen), engine=self.engine)
                return replace(await _read_body(request, raw, request_id), engine=self.engine)
        except (errors.QmtError, asyncio.CancelledError):
            raise
        except Exception as exc:
            raise native_error(exc, BEFORE) from None


def request_body(request: TranslationRequest) -> dict[str, Any]:
    """The native request: the message in ``input``, everything else in ``parameters``."""
    params: dict[str, Any] = {"translation_options": request.translation_options(), "result_format": "message"}
    for name in _SAMPLING:
        value = getattr(request.sampling, name)
        if value is not None:
            params[name] = value
    return {"model": request.model, "input": {"messages": [{"role": "user", "content": request.text}]},
            "parameters": params}


def native_error(exc: BaseException, phase: str, *, request_id: str | None = None,
                 billed: tuple[int, int | None] | None = None) -> errors.ServiceError:
    """The error-tree class for a network failure in ``phase``; an exception the table
    does not know is a bug and is re-raised as it is."""
    for _, classes, cls in EXCEPTION_TABLE:
        if isinstance(exc, classes):
            return network_error(exc, cls, phase, request_id=request_id, billed=billed)
    raise exc


async def _error_answer(raw: httpx2.Response) -> errors.ServiceError:
    """An HTTP error answer (``{"code", "message", "request_id"}``), classified (not billed)."""
    text = (await raw.aread()).decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    return classify(raw.status_code, *error_fields(body, text[:200], raw.headers), headers=raw.headers)


async def _read_body(request: TranslationRequest, raw: httpx2.Response, request_id: str | None) -> TranslationResponse:
    try:
        text, finish, usage, rid = _result(json.loads(await raw.aread()), request_id)
    except Exception as exc:
        # A 200 was billed in full; what it said is lost, so its output is estimated.
        raise native_error(exc, BODY, request_id=request_id, billed=billed_estimate(request, None)) from None
    if finish is None:
        raise errors.MalformedResponse("answer without a finish_reason", request_id=rid,
                                       billed=billed_estimate(request, None))
    return _response(request, text, finish, usage, rid)


async def _read_stream(request: TranslationRequest, raw: httpx2.Response, seen: Seen) -> TranslationResponse:
    text, finish, request_id = "", None, seen.request_id
    usage: dict[str, Any] = {}
    try:
        async for event, status, data in _events(raw):
            if event == "error":  # an error event: classified by its code (not billed)
                body = json.loads(data)
                raise classify(status, *error_fields(body, "error event", raw.headers), headers=raw.headers)
            piece, reason, usage, request_id = _result(json.loads(data), request_id, usage)
            text = seen.text = streamed_text(text, piece, request.model)
            finish = reason or finish
    except (errors.QmtError, asyncio.CancelledError):
        raise
    except Exception as exc:
        # An interrupted stream is billed for the output generated so far.
        raise native_error(exc, STREAM, request_id=request_id, billed=billed_estimate(request, text)) from None
    if finish is None:
        raise unfinished_stream(request, text, request_id)
    return _response(request, text, finish, usage, request_id)


async def _events(raw: httpx2.Response) -> AsyncIterator[tuple[str, int | None, str]]:
    """(event, HTTP status or None, data) of each complete server-sent event of a native stream."""
    event, status = "result", None
    data: list[str] = []
    async for line in raw.aiter_lines():
        if not line:
            if data:
                yield event, status, "\n".join(data)
            event, status, data = "result", None, []
        elif line.startswith("data:"):
            data.append(line[5:])
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith(":HTTP_STATUS/"):
            status = int(line.split("/", 1)[1]) if line.split("/", 1)[1].strip().isdigit() else None
    # An event the stream ended in the middle of is discarded (as the SSE standard says):
    # the stream then lacks its finish, and is dropped, not done.


def _result(data: Any, request_id: str | None, usage: dict[str, Any] | None = None
            ) -> tuple[str, str | None, dict[str, Any], str | None]:
    """(content, finish_reason or None, usage, request id) of an answer or a stream event;
    ValueError when it is not the documented shape."""
    try:
        choice = data["output"]["choices"][0]
        content = choice["message"].get("content") or ""
        reason = choice.get("finish_reason")
        usage = data.get("usage") or usage or {}
        rid = data.get("request_id") or request_id
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ValueError(f"answer without output.choices: {type(exc).__name__}") from None
    if not isinstance(content, str):
        raise ValueError("message content is not a string")
    # During a stream the service sends the string "null" until the last event.
    return content, (None if reason in (None, "", "null") else str(reason)), usage, rid


def _response(request: TranslationRequest, text: str, finish: str, usage: dict[str, Any], request_id: str | None
              ) -> TranslationResponse:
    return TranslationResponse(
        text=text, finish_reason=finish,
        prompt_tokens=int(usage.get("input_tokens") or 0), completion_tokens=int(usage.get("output_tokens") or 0),
        request_id=request_id, model=request.model)


__all__ = ["DashScopeBackend", "EXCEPTION_TABLE", "GENERATION_PATH", "native_error", "request_body"]
