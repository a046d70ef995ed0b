"""The vendor exception tables (``qwen_backend.EXCEPTION_TABLE``, ``dashscope_backend.EXCEPTION_TABLE``),
one test per row and phase, over both protocols.

Each case drives a production backend (``QwenBackend``: the openai SDK over httpx2;
``DashScopeBackend``: httpx2 itself, the native protocol) against the emulator, through a transport that lets the real request reach the emulator and then
fails the way the network would: before any response, while the body of a 200 is read,
or while a stream is iterated. The SDK call itself is never mocked. Transport failures
must be transient (retried) wherever they surface; once the service has answered (a 200's
headers), the failure carries the tokens billed, estimated.
"""
from __future__ import annotations

import asyncio
import ssl

import anyio
import httpx2
import openai
import pytest
from support import EMULATOR_KEY

from pipeline import errors
from pipeline.languages import lookup
from pipeline.translate.backend import TranslationRequest, tls_context
from pipeline.translate import dashscope_backend
from pipeline.translate.qwen_backend import EXCEPTION_TABLE, vendor_error
from pipeline.translate.service_errors import BEFORE, BODY, STREAM

REQUEST = TranslationRequest(text="One sentence that is long enough to stream in several chunks of output text.",
                             model="qwen-mt-flash", source_lang="English", target_lang=lookup("zh").name)


class _FailingStream(httpx2.AsyncByteStream):
    """The real body, cut after its first chunk by ``exc`` (or followed by ``extra`` bytes)."""

    def __init__(self, inner: httpx2.AsyncByteStream, exc: BaseException | None, extra: bytes = b""):
        self._inner, self._exc, self._extra = inner, exc, extra

    async def __aiter__(self):
        async for chunk in self._inner:
            if self._extra:
                yield self._extra
                break
            yield chunk[: max(1, len(chunk) // 3)]
            break
        if self._exc is not None:
            raise self._exc

    async def aclose(self) -> None:
        await self._inner.aclose()


class FaultTransport(httpx2.AsyncBaseTransport):
    """Sends the request for real, then fails in ``phase`` with ``exc``."""

    def __init__(self, exc: BaseException | None, phase: str, extra: bytes = b""):
        # The backends' TLS context: a transport of its own would load the CA certificates again
        # (20 ms of CPU, in each of this file's hundred tests).
        self._inner = httpx2.AsyncHTTPTransport(verify=tls_context())
        self._exc, self._phase, self._extra = exc, phase, extra

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        if self._phase == BEFORE:
            await response.aclose()       # the service got the request; its answer is lost
            raise self._exc
        if self._phase not in (BODY, STREAM):
            return response
        response.stream = _FailingStream(response.stream, self._exc, self._extra)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def translate(backend_for, exc: BaseException | None, phase: str, *, extra: bytes = b"") -> BaseException:
    stream = phase == STREAM

    async def go():
        backend = backend_for(EMULATOR_KEY, timeout=5, stream=stream,
                              http_client=httpx2.AsyncClient(transport=FaultTransport(exc, phase, extra)))
        try:
            await backend.translate(REQUEST)
        except errors.ServiceError as err:
            return err
        finally:
            await backend.aclose()
        pytest.fail("the request succeeded")

    return asyncio.run(go())


def _req() -> httpx2.Request:
    return httpx2.Request("POST", "http://emulator.invalid/chat/completions")


# (exception raised by the network, phase, the class it must become)
TRANSPORT_CASES = [
    (httpx2.ConnectError("refused"), BEFORE, errors.ConnectionDropped),
    (httpx2.ConnectTimeout("slow connect"), BEFORE, errors.ServiceTimeout),
    (httpx2.ReadTimeout("no answer"), BEFORE, errors.ServiceTimeout),
    (httpx2.WriteTimeout("stuck"), BEFORE, errors.ServiceTimeout),
    (httpx2.PoolTimeout("no connection"), BEFORE, errors.ServiceTimeout),
    (httpx2.RemoteProtocolError("Server disconnected without sending a response."), BEFORE, errors.ConnectionDropped),
    (httpx2.ReadError("reset"), BEFORE, errors.ConnectionDropped),
    (httpx2.WriteError("broken pipe"), BEFORE, errors.ConnectionDropped),
    (httpx2.CloseError("close"), BEFORE, errors.ConnectionDropped),
    (httpx2.LocalProtocolError("bad state"), BEFORE, errors.ConnectionDropped),
    (httpx2.ProxyError("proxy"), BEFORE, errors.ConnectionDropped),
    (anyio.EndOfStream(), BEFORE, errors.ConnectionDropped),
    (ssl.SSLError("tls"), BEFORE, errors.ConnectionDropped),
    (ConnectionResetError(104, "Connection reset by peer"), BEFORE, errors.ConnectionDropped),
    (httpx2.RemoteProtocolError("peer closed connection without sending complete message body"), BODY,
     errors.ConnectionDropped),
    (httpx2.ReadError("reset"), BODY, errors.ConnectionDropped),
    (httpx2.ReadTimeout("stalled body"), BODY, errors.ServiceTimeout),
    (httpx2.DecodingError("bad gzip"), BODY, errors.MalformedResponse),
    (anyio.EndOfStream(), BODY, errors.ConnectionDropped),
    (anyio.BrokenResourceError(), BODY, errors.ConnectionDropped),
    (ConnectionResetError(104, "Connection reset by peer"), BODY, errors.ConnectionDropped),
    # The bug this table fixes: inside a stream the SDK wraps these as APIConnectionError,
    # a subclass of APIError, which used to be taken for an error event (permanent).
    (httpx2.RemoteProtocolError("incomplete chunked read"), STREAM, errors.ConnectionDropped),
    (httpx2.ReadError("reset"), STREAM, errors.ConnectionDropped),
    (httpx2.ReadTimeout("stalled stream"), STREAM, errors.ServiceTimeout),
    (httpx2.DecodingError("bad gzip"), STREAM, errors.ConnectionDropped),
    (anyio.EndOfStream(), STREAM, errors.ConnectionDropped),
    (ConnectionResetError(104, "Connection reset by peer"), STREAM, errors.ConnectionDropped),
]


@pytest.mark.parametrize(("exc", "phase", "cls"), TRANSPORT_CASES,
                         ids=[f"{type(e).__name__}-{p.split()[-1]}" for e, p, _ in TRANSPORT_CASES])
def test_network_failures_are_transient_wherever_they_surface(backend_for, protocol, exc, phase, cls):
    err = translate(backend_for, exc, phase)
    if protocol == "dashscope" and isinstance(exc, httpx2.DecodingError):
        # No SDK wraps it there: an undecodable stream is unreadable, as an undecodable body is.
        cls = errors.MalformedResponse
    assert type(err) is cls, repr(err)
    assert isinstance(err, errors.TransientError)
    if phase == BEFORE:
        assert err.billed is None                     # no answer: nothing to bill
    else:                                             # answered: billed, the output estimated or counted
        assert err.request_id and err.billed is not None and err.billed[0] > 0


def test_an_unreadable_200_body_is_malformed_and_billed(backend_for):
    err = translate(backend_for, None, BODY, extra=b'{"id": "chatcmpl-x", "choices": [{')
    assert type(err) is errors.MalformedResponse and err.billed is not None and err.billed[1] is None


def test_a_bad_event_line_in_a_stream_is_malformed(backend_for):
    err = translate(backend_for, None, STREAM, extra=b'data: {"id": "chatcmpl-x", "choices": [{"delta": \n\n')
    assert type(err) is errors.MalformedResponse


def test_a_stream_that_ends_early_is_dropped_not_done(backend_for):
    err = translate(backend_for, None, STREAM)
    assert type(err) is errors.ConnectionDropped and "before the translation was complete" in str(err)


@pytest.mark.parametrize(("code", "native", "cls"), [("internal_error", "InternalError", errors.ServerError),
                                                     ("Throttling.RateQuota", "Throttling.RateQuota", errors.RateLimited),
                                                     ("data_inspection_failed", "DataInspectionFailed",
                                                      errors.ContentRejected),
                                                     ("Arrearage", "Arrearage", errors.Arrearage)])
def test_an_error_event_in_a_stream_is_classified_by_its_code(backend_for, protocol, code, native, cls):
    if protocol == "openai":
        event = b'data: {"error": {"code": "%s", "message": "from the stream"}}\n\n' % code.encode()
    else:  # the native stream's error event (no HTTP_STATUS line: by its code alone)
        event = b'id:2\nevent:error\ndata:{"code": "%s", "message": "from the stream", "request_id": "r"}\n\n' % \
            native.encode()
    assert type(translate(backend_for, None, STREAM, extra=event)) is cls


@pytest.mark.parametrize(("kind", "cls"), [("429", errors.RateLimited), ("500", errors.ServerError),
                                           ("502", errors.ServerError), ("503", errors.ServerError),
                                           ("504", errors.ServerError), ("400", errors.InvalidRequest),
                                           ("blocked", errors.ContentRejected),
                                           ("401", errors.AuthenticationFailed), ("403", errors.AccessDenied),
                                           ("arrearage", errors.Arrearage), ("free_quota", errors.QuotaExhausted)])
def test_http_error_statuses_by_status_and_code(server, backend_for, kind, cls):
    server.reset()
    server.script(kind)
    err = translate(backend_for, None, "none")
    assert type(err) is cls and err.billed is None


def test_every_row_of_the_table_is_reached_first_by_its_own_kind():
    """Row order matters (APITimeoutError is an APIConnectionError is an APIError): each
    of the SDK's own exceptions must land on its row, not an earlier one."""
    samples = {"HTTP error status (4xx/5xx)": openai.APIStatusError(
                   "x", response=httpx2.Response(500, request=_req()), body=None),
               "no answer in time": openai.APITimeoutError(request=_req()),
               "unreadable answer": openai.APIResponseValidationError(
                   response=httpx2.Response(200, request=_req()), body=None),
               "transport failure": openai.APIConnectionError(request=_req()),
               "error event in a stream": openai.APIError("event", _req(), body={"code": "internal_error"})}
    assert set(samples) == {name for name, _, _ in EXCEPTION_TABLE}
    for name, sample in samples.items():
        assert next(row for row, classes, _ in EXCEPTION_TABLE if isinstance(sample, classes)) == name


def test_every_row_of_the_native_table_is_reached_first_by_its_own_kind():
    """TimeoutException and DecodingError are TransportErrors: their rows must come first."""
    samples = {"no answer in time": httpx2.ReadTimeout("slow"), "unreadable answer": httpx2.DecodingError("gzip"),
               "transport failure": httpx2.ReadError("reset")}
    assert set(samples) == {name for name, _, _ in dashscope_backend.EXCEPTION_TABLE}
    for name, sample in samples.items():
        assert next(row for row, classes, _ in dashscope_backend.EXCEPTION_TABLE if isinstance(sample, classes)) == name


@pytest.mark.parametrize("mapper", [vendor_error, dashscope_backend.native_error], ids=["openai", "dashscope"])
def test_an_unknown_exception_is_a_bug_and_is_not_swallowed(mapper):
    with pytest.raises(RuntimeError):
        mapper(RuntimeError("a bug"), BODY)
