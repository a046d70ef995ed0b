"""A client transport on which the emulator's hangs time out at once (fault mixes).

A ``timeout`` fault hangs until the client gives up, so a fault mix used to pay the
client's whole timeout for each one, and needed a timeout short enough to be cheap: one
a healthy request could also exceed on a loaded machine (the ledger then held a request
the emulator never received). Here the emulator announces the hang instead
(``EmulatorConfig.announce_hangs``: an empty 504 marked ``HANG_HEADER``, never billed)
and this transport raises the timeout the HTTP library raises when no answer comes in
time, at once: the backend, its exception table and the pool see exactly what a real
timeout gives them, and every other request keeps a timeout no load can reach.

That a real timer fires against a real hang is tested apart
(``tests/translate/test_pool.py::test_a_request_that_times_out_is_retried``), as is every phase
a timeout can surface in (``tests/translate/test_exception_table.py``).
"""
from __future__ import annotations

import httpx2

from pipeline.emulator.server import HANG_HEADER
from pipeline.translate.backend import tls_context


class HangsTimeOut(httpx2.AsyncBaseTransport):
    """The real transport, except that an answer marked as a hang is a read timeout."""

    def __init__(self) -> None:
        # The backends' TLS context: one of its own would load the CA certificates again (20 ms).
        self._inner = httpx2.AsyncHTTPTransport(verify=tls_context())

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        if HANG_HEADER in response.headers:
            await response.aclose()
            raise httpx2.ReadTimeout("no answer: the emulator hung this request", request=request)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def hang_client() -> httpx2.AsyncClient:
    """An HTTP client for a backend (``http_client=``): the backend closes it with itself."""
    return httpx2.AsyncClient(transport=HangsTimeOut())
