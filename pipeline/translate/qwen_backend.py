"""The production backend: Qwen-MT through the official ``openai`` SDK (async).

Its exception table maps the SDK's exceptions into qmt's error tree (:mod:`pipeline.errors`)
through the classifier all backends share (:mod:`pipeline.translate.service_errors`); the
worker pool decides what to do by class. The SDK's own
retries are switched off (``max_retries=0``): tenacity in the pool retries, so that a
429 is never retried twice over by two layers. ``timeout`` bounds the whole request, a
stream's every chunk included (:func:`~pipeline.translate.service_errors.within`; the
SDK's own timeout bounds each read only).
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import openai

from pipeline import errors
from pipeline.provenance import answer_engine, service_engine
from pipeline.secrets import register
from pipeline.translate.backend import (TranslationRequest, TranslationResponse, request_prompt_tokens, streamed_text,
                                       tls_context)
from pipeline.translate.service_errors import (BEFORE, BODY, STREAM, TIMEOUTS, TRANSPORT, UNREADABLE, Seen,
                                               billed_estimate, event_error, network_error, status_error,
                                               unfinished_stream, within)


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
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0,
            http_client=http_client or openai.DefaultAsyncHttpxClient(verify=tls_context()))
        self._stream = stream
        self._timeout = timeout

    async def aclose(self) -> None:
        await self._client.close()

    def count_prompt(self, request: TranslationRequest) -> int:
        """The prompt tokens of ``request`` as billed: the request is sent as qmt built it."""
        return request_prompt_tokens(request)

    async def translate(self, request: TranslationRequest) -> TranslationResponse:
        """One request, ``timeout`` bounding all of it."""
        seen = Seen(lambda text: billed_estimate(request, text))
        return await within(self._timeout, self._translate(request, seen), seen, self._stream)

    async def _translate(self, request: TranslationRequest, seen: Seen) -> TranslationResponse:
        kwargs = _request_kwargs(request)
        if self._stream:
            kwargs |= {"stream": True, "stream_options": {"include_usage": True}}
        try:
            # A streamed response returns at the headers: their x-request-id is the id the
            # service bills under, and a 200 means the answer is billed even if its body
            # never arrives whole (then the body phase below estimates what it cost).
            async with self._client.chat.completions.with_streaming_response.create(**kwargs) as raw:
                request_id = raw.headers.get("x-request-id")
                seen.answered(request_id, self._stream)
                self.engine = answer_engine(raw.headers, self._base_url)
                if self._stream:
                    return replace(await self._read_stream(request, raw, seen), engine=self.engine)
                try:
                    completion = await raw.parse()
                except (errors.QmtError, asyncio.CancelledError):
                    raise
                except Exception as exc:
                    # A 200 was billed in full; what it said is lost, so its output is estimated.
                    raise vendor_error(exc, BODY, request_id=request_id, billed=billed_estimate(request, None)) from None
                return replace(_response_from_completion(completion, request.model, request_id), engine=self.engine)
        except (errors.QmtError, asyncio.CancelledError):
            raise
        except Exception as exc:
            if isinstance(exc, openai.APIStatusError):  # an error answer also says who gave it
                self.engine = answer_engine(exc.response.headers, self._base_url)
            raise vendor_error(exc, BEFORE) from None

    async def _read_stream(self, request: TranslationRequest, raw: Any, seen: Seen) -> TranslationResponse:
        text, finish, usage, request_id = "", None, None, seen.request_id
        try:
            async for chunk in await raw.parse():
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    text = seen.text = streamed_text(text, choice.delta.content or "", request.model)
                    finish = choice.finish_reason or finish
        except (errors.QmtError, asyncio.CancelledError):
            raise
        except Exception as exc:
            # An interrupted stream is billed for the output generated so far.
            raise vendor_error(exc, STREAM, request_id=request_id, billed=billed_estimate(request, text)) from None
        if finish is None:
            raise unfinished_stream(request, text, request_id)
        return TranslationResponse(
            text=text, finish_reason=finish,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            request_id=request_id, model=request.model,
        )


# --- vendor exceptions -> the error tree (pipeline.translate.service_errors) ---------------

# The table, first match wins (order matters: APITimeoutError is an APIConnectionError,
# which is an APIError; DecodingError is a RequestError; TimeoutError is an OSError).
# Every row is tested in tests/translate/test_exception_table.py, in every phase it can occur.
EXCEPTION_TABLE: tuple[tuple[str, tuple[type[BaseException], ...], type[errors.ServiceError] | None], ...] = (
    ("HTTP error status (4xx/5xx)", (openai.APIStatusError,), None),          # by status and code: classify()
    ("no answer in time", (openai.APITimeoutError, *TIMEOUTS), errors.ServiceTimeout),
    ("unreadable answer", (openai.APIResponseValidationError, *UNREADABLE), errors.MalformedResponse),
    ("transport failure", (openai.APIConnectionError, *TRANSPORT), errors.ConnectionDropped),
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
            return status_error(exc)
        if cls is None:  # an error event inside a stream: classify it by its code (not billed)
            assert isinstance(exc, openai.APIError)     # the one such row left after the status errors
            return event_error(exc)
        return network_error(exc, cls, phase, request_id=request_id, billed=billed)
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
