"""What a real model did to each request, read off the wire between qmt and the server.

The real-model benchmark puts :class:`WireTap`, a small recording HTTP proxy, between
``qmt translate`` and llama.cpp's server, so every chat request and its answer are kept
as sent and as received: qmt's own counters say how it coped (answers split, segments
resent), the tap says what the model did. :func:`judge` reads one exchange with qmt's
own framing rules (:mod:`pipeline.translate.packing`, :mod:`pipeline.translate.llm_prompt`):

* **damaged**: a packed answer (two segments or more) whose markers do not come back
  one-to-one (:func:`pipeline.translate.packing.unpack` refuses it);
* **merged**: segments whose marker is missing from the answer (their text ran into a
  neighbour, or was left out);
* **split**: segments whose answer piece has more paragraphs than their source (split in
  two, or a note added after the translation);
* **tags dropped** / **placeholders dropped**: answer pieces missing a placeholder tag
  (``<g1>``, ``</g1>``, ``<x2/>``) or an interpolation placeholder (``{count}``,
  ``%s``) that their source piece holds;
* **cjk markers**: answers that wrote their markers as ``【§N】``, which qmt reads as the
  markers they stand for (:func:`pipeline.translate.packing.read_markers`), and so does
  this judge: not damage.

Beside the answer, the tap keeps what each request cost: llama.cpp's own ``timings``
(``predicted_n`` output tokens, ``prompt_ms + predicted_ms`` of server time), the wall
time between the request and its answer, and the 1-minute load average when it came
back; the benchmark's rows sum them (output tokens, server seconds) so that the work a
run did is told apart from how fast the machine let it do it.
"""
from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from dataclasses import dataclass, field

from aiohttp import ClientSession, ClientTimeout, web

from pipeline.segments import PLACEHOLDER_RE, TAG_RE
from pipeline.translate.packing import CJK_MARKER_RE, PACK_MARKER_RE, SEPARATOR, read_markers, salvage


@dataclass(frozen=True)
class Exchange:
    """One chat completion as the tap saw it: the user message, the answer, the usage."""

    user: str
    answer: str
    prompt_tokens: int
    completion_tokens: int
    output_tokens: int = 0       # llama.cpp's timings.predicted_n (completion_tokens where absent)
    server_seconds: float = 0.0  # llama.cpp's timings: prompt_ms + predicted_ms, in seconds
    wall_seconds: float = 0.0    # from the request reaching the tap to its answer
    load: float = 0.0            # 1-minute load average when the answer came back


@dataclass
class Judged:
    """What the model did in one or more exchanges (see the module docstring)."""

    requests: int = 0
    packed: int = 0
    damaged: int = 0
    segments_sent: int = 0
    merged: int = 0
    split: int = 0
    tags_dropped: int = 0
    placeholders_dropped: int = 0
    cjk_markers: int = 0
    tokens: int = 0
    output_tokens: int = 0
    server_seconds: float = 0.0

    def add(self, other: "Judged") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def sources_of(user: str) -> list[str]:
    """The segments of a framed user message ``⟦§1⟧ a⏎⏎⟦§2⟧ b⏎⏎⟦§3⟧`` (the last marker closes it)."""
    parts = PACK_MARKER_RE.split(user)   # ["", "1", " a\n\n", "2", " b\n\n", "3", ""]
    bodies = [parts[i + 1] for i in range(1, len(parts) - 1, 2)]
    return [b.strip() for b in bodies[:-1]] if len(bodies) > 1 else [b.strip() for b in bodies]


def _pieces(answer: str, n: int) -> dict[int, str]:
    """Answer text after each marker 1..n (by 0-based index), up to the next marker."""
    matches = [m for m in PACK_MARKER_RE.finditer(answer) if 1 <= int(m.group(1)) <= n + 1]
    out: dict[int, str] = {}
    for i, m in enumerate(matches):
        k = int(m.group(1))
        end = matches[i + 1].start() if i + 1 < len(matches) else len(answer)
        if k <= n and k - 1 not in out:
            out[k - 1] = answer[m.end():end].strip()
    if n == 1 and 0 not in out:      # a single segment answered without its marker
        out[0] = answer.strip()
    return out


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER_RE.finditer(text) if not TAG_RE.fullmatch(m.group(0))}


def judge(exchange: Exchange) -> Judged:
    """Count what the model did to this exchange's segments (see the module docstring)."""
    sources = sources_of(exchange.user)
    n = len(sources)
    answer = read_markers(exchange.answer, exchange.user)
    closing = answer.rfind(f"⟦§{n + 1}⟧")
    inner = answer[:closing] if closing >= 0 else answer
    out = Judged(requests=1, segments_sent=n, tokens=exchange.prompt_tokens + exchange.completion_tokens,
                 output_tokens=exchange.output_tokens, server_seconds=exchange.server_seconds,
                 cjk_markers=int(answer != exchange.answer and bool(CJK_MARKER_RE.search(exchange.answer))))
    pieces = _pieces(inner, n)
    if n > 1:
        out.packed = 1
        out.damaged = int(bool(salvage(inner, sources).misaligned))
        out.merged = sum(1 for i in range(n) if i not in pieces)
    for i, piece in pieces.items():
        source = sources[i]
        if piece.count(SEPARATOR) > source.count(SEPARATOR):
            out.split += 1
        if set(TAG_RE.findall(source)) - set(TAG_RE.findall(piece)):
            out.tags_dropped += 1
        if _placeholders(source) - _placeholders(piece):
            out.placeholders_dropped += 1
    return out


@dataclass
class WireTap:
    """A recording proxy in a thread of its own: ``base_url`` forwards to ``upstream``."""

    upstream: str
    exchanges: list[Exchange] = field(default_factory=list)
    base_url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = None

    def __enter__(self) -> "WireTap":
        started = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(started,), daemon=True)
        self._thread.start()
        started.wait(30)
        if not self.base_url:
            raise RuntimeError("the wire tap did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        loop, runner = self._loop, self._runner
        if loop is not None and runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(30)

    def take(self) -> list[Exchange]:
        """The exchanges recorded since the last call."""
        taken, self.exchanges = self.exchanges, []
        return taken

    def _serve(self, started: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        app = web.Application(client_max_size=64 << 20)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        # A client that leaves cancels its forwarded request, so the server cancels it too
        # (as it would without the tap in between) rather than generating for nobody.
        self._runner = web.AppRunner(app, handler_cancellation=True)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        started.set()
        loop.run_forever()
        loop.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        started = time.monotonic()
        url = self.upstream.rstrip("/").removesuffix("/v1") + request.path_qs
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "authorization")}
        # No timeout of its own: qmt's [run] timeout is what bounds a request.
        async with ClientSession(timeout=ClientTimeout(total=None)) as session:
            async with session.request(request.method, url, data=body, headers=headers) as resp:
                answer = await resp.read()
                status, content_type = resp.status, resp.headers.get("Content-Type", "application/json")
        if request.path.endswith("/chat/completions") and status == 200:
            self._record(body, answer, time.monotonic() - started)
        return web.Response(body=answer, status=status, content_type=content_type.split(";")[0])

    def _record(self, body: bytes, answer: bytes, wall: float) -> None:
        try:
            sent, got = json.loads(body), json.loads(answer)
            user = next(m["content"] for m in reversed(sent["messages"]) if m["role"] == "user")
            text = got["choices"][0]["message"]["content"] or ""
            usage = got.get("usage") or {}
            timings = got.get("timings") or {}
            completion = int(usage.get("completion_tokens", 0))
            output = int(timings.get("predicted_n", completion))
            server = (float(timings.get("prompt_ms", 0.0)) + float(timings.get("predicted_ms", 0.0))) / 1000
        except (ValueError, KeyError, IndexError, StopIteration, TypeError, AttributeError):
            return  # a stream or an odd body: not judged
        self.exchanges.append(Exchange(user, text, int(usage.get("prompt_tokens", 0)), completion,
                                       output, server, wall, os.getloadavg()[0]))
