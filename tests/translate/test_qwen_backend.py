"""Mapping the service's errors to the error tree, including errors inside a stream."""
from __future__ import annotations

import pytest

from pipeline import errors
from pipeline.translate.service_errors import classify, retry_after_seconds


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (None, "data_inspection_failed", errors.ContentRejected),
        (None, "Arrearage", errors.Arrearage),
        (None, "invalid_api_key", errors.AuthenticationFailed),
        (None, "Throttling.RateQuota", errors.RateLimited),
        (None, "insufficient_quota", errors.RateLimited),  # a throttle unless it says "Free allocated quota"
        (None, "internal_error", errors.ServerError),
        (None, "InvalidParameter", errors.InvalidRequest),
        (400, "invalid_parameter", errors.InvalidRequest),
        (403, "access_denied", errors.AccessDenied),
        (404, "model_not_found", errors.ModelNotFound),
        (503, "internal_error", errors.ServerError),
    ],
)
def test_classify_by_status_or_code(status, code, cls):
    exc = classify(status, code, "message", "req-1", headers={"retry-after": "2"})
    assert type(exc) is cls
    assert exc.request_id == "req-1"


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_seconds({"retry-after": "1.5"}) == 1.5
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({}) is None


@pytest.mark.parametrize("kind", ["drop_mid", "cut", "drop"])
def test_a_connection_lost_in_a_stream_is_transient_whatever_the_sdk_wraps_it_in(kind, protocol):
    """openai 2+ wraps a transport failure mid-stream as APIConnectionError, an APIError:
    it was once classified as a bad request (the segment failed, never retried)."""
    import asyncio

    from pipeline.emulator import EmulatorServer
    from pipeline.translate.backend import TranslationRequest
    from pipeline.translate.engines import text_backend

    async def send(url: str) -> None:
        backend = text_backend(protocol, api_key="sk-stream0123456789abcdef", base_url=url, timeout=5, stream=True)
        try:
            await backend.translate(TranslationRequest(text="Hello world. " * 40, model="qwen-mt-flash",
                                                       source_lang="English", target_lang="Chinese"))
        finally:
            await backend.aclose()

    with EmulatorServer(mode="pseudo", error_rates={kind: 1.0}) as srv:
        with pytest.raises(errors.ConnectionDropped) as caught:
            asyncio.run(send(srv.url_for(protocol)))
    assert isinstance(caught.value, errors.TransientError)
