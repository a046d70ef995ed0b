"""The local Qwen-MT emulator: a real HTTP server that speaks the service's protocol.

It is a test double and an offline demo backend, never a translator: its output is a
pseudo-translation (see :mod:`pipeline.emulator.pseudo`) or the input itself.

It serves both protocols of the service, the OpenAI-compatible one
(``/compatible-mode/v1/chat/completions``) and DashScope's native one
(``/api/v1/services/aigc/text-generation/generation``, :mod:`pipeline.emulator.native`):
one handling, each protocol's own wording of requests, answers, errors and streams.
What a request goes through, in the order the service would apply it::

    auth (401) -> scripted fault -> account state -> validation (400/404)
      -> content trigger (data_inspection_failed) -> RPS/RPM/TPM limits (429 + Retry-After)
      -> random fault -> marker damage (packed requests) -> latency
      -> reply (maybe broken: drop_mid, cut, malformed)

:class:`Emulator` holds the state and builds the aiohttp application (for ``qmt
emulator`` and for embedding); :class:`EmulatorServer` runs it on a background thread
for in-process tests::

    with EmulatorServer(mode="pseudo", rpm=60, time_scale=0.05) as emu:
        client = AsyncOpenAI(api_key="sk-test", base_url=emu.base_url)
        emu.script("429:retry_after=1", "ok")
        ...
        assert emu.billing.records[0].completion_tokens == ...
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace, dataclass, field
from typing import Any, TypeGuard

from aiohttp import web

from pipeline.emulator import livetranslate
from pipeline.emulator.chat import (CHAT_PREFIX, GENERIC, GenericChatRequest, GenericDialect, chatter,
                                   is_generic_body)
from pipeline.emulator.billing import BillingRecord, Ledger
from pipeline.emulator.faults import CONTENT_KINDS, ERRORS, Action, ErrorSpec, FaultPlan
from pipeline.emulator.modes import CHATTER_KINDS, MODES, OUTPUT_TOKEN_MODES
from pipeline.emulator.limits import Latency, LimitChange, LimitValue, QuotaWindows, retry_after_header
from pipeline.emulator.native import GENERATION_PATH, NATIVE_PREFIX, NativeDialect
from pipeline.emulator.protocol import (
    ChatRequest,
    CompatibleDialect,
    EmulatedPair,
    RequestRejected,
    new_request_id,
    split_for_stream,
    truncate_to_tokens,
    uncached_count_tokens,
)
from pipeline.emulator.pseudo import pseudo_translate, reverse_pseudo
from pipeline.emulator.slots import SlotServer, SlotSettings
from pipeline.provenance import ENGINE_HEADER, emulator_engine
from pipeline.tokens import count_tokens
from pipeline.translate.packing import PACK_MARKER_RE

API_PREFIX = "/compatible-mode/v1"
# Marks the answer to a "timeout" fault when EmulatorConfig.announce_hangs is on.
HANG_HEADER = "X-Emulator-Hang"
STATS_PATH = "/_emulator/stats"
CONTROL_PATH = "/_emulator/control"

# A custom translator: (content, target language as sent, terms) -> output.
Translator = Callable[[str, str, tuple[EmulatedPair, ...]], str]

# Faults that need the real reply first (they break it on the way out).
_REPLY_FAULTS = frozenset({"drop_mid", "cut", "malformed"})

# The two protocols of the service: the same handling, worded each its own way.
COMPATIBLE, NATIVE = CompatibleDialect(), NativeDialect()
Dialect = CompatibleDialect | NativeDialect   # GenericDialect is a CompatibleDialect


@dataclass
class EmulatorConfig:
    """Start-up options. Faults, limits, latency, time scale, mode and output token
    counting can be changed while running (EmulatorServer's setters, or fields of
    ``Emulator.config`` for the rest)."""

    mode: str | Translator = "pseudo"
    api_key: str | None = None
    rpm: LimitValue = None
    tpm: LimitValue = None
    rps: LimitValue = None  # per-second burst limit (the service may enforce RPM/60 per second)
    latency_ms: float = 0.0
    latency_sigma: float = 0.0
    latency_per_token_ms: float = 0.0   # added per output token (generation time)
    chunk_delay_ms: float = 0.0
    time_scale: float = 1.0
    error_rates: dict[str, float] = field(default_factory=dict)
    account_state: str = "ok"
    seed: int | None = None
    billing_log: str | None = None
    block_marker: str = "[[BLOCKED]]"
    hang_seconds: float = 600.0  # "timeout" faults hang this long (unscaled) or until the client leaves
    # A "timeout" fault answers at once, an empty 504 marked HANG_HEADER, instead of hanging:
    # for a client transport that raises its own timeout on that mark (the tests' fault
    # mixes), so that a hang costs no wall time and no healthy request needs a short timeout.
    # Never billed, like a hang. Off: the real hang (qmt emulator, benchmarks).
    announce_hangs: bool = False
    # Retry-After (seconds) on the error answers of random faults (None: none): a 429
    # without one pauses the client's whole pool for a second, which a test need not wait.
    fault_retry_after: float | None = None
    output_tokens: str = "actual"  # see OUTPUT_TOKEN_MODES
    # Echo a rejected key in the 401 message, as some gateways do: tests use it to show
    # that the client never lets a key through to a log, report or message.
    echo_key: bool = False
    # LiveTranslate speech is this many times as long as the audio it answers (tests
    # raise it above 1 to force dubbing overruns).
    speech_ratio: float = 1.0
    # Generic chat mode (pipeline.emulator.chat): also serve /v1/chat/completions as a
    # generic OpenAI-compatible model server would (engine llm); chat_usage False: its
    # answers carry no usage.
    chat: bool = False
    chat_usage: bool = True
    # The rate limits' clock: tests pass one they move by hand, so that a limit test never
    # depends on how fast the machine sends the requests.
    clock: Callable[[], float] = time.monotonic
    # The generic chat mode wraps every answer in this chatter (modes.CHATTER_KINDS; "": none).
    chat_chatter: str = ""
    # The slot-server mode of the generic chat endpoint (pipeline.emulator.slots): None: off.
    slots: SlotSettings | None = None

    def __post_init__(self) -> None:
        if isinstance(self.mode, str) and self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; use one of {', '.join(MODES)} or a callable")
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if not 0.1 <= self.speech_ratio <= 10:
            raise ValueError("speech_ratio must be between 0.1 and 10")
        if self.output_tokens not in OUTPUT_TOKEN_MODES:
            raise ValueError(f"output_tokens must be one of {', '.join(OUTPUT_TOKEN_MODES)}")
        if self.chat_chatter and self.chat_chatter not in CHATTER_KINDS:
            raise ValueError(f"chat_chatter must be one of {', '.join(CHATTER_KINDS)}")


class Emulator:
    """State (faults, limits, ledger) and request handling of one emulated service."""

    def __init__(self, config: EmulatorConfig | None = None, **options: Any):
        self.config = config or EmulatorConfig(**options)
        c = self.config
        self.faults = FaultPlan(dict(c.error_rates), c.seed, c.account_state, c.block_marker)
        self.limiter = QuotaWindows(c.rpm, c.tpm, c.time_scale, clock=c.clock, rps=c.rps)
        self.latency = Latency(c.latency_ms, c.latency_sigma, c.time_scale, c.seed, c.latency_per_token_ms)
        self.ledger = Ledger(c.billing_log)
        self.stopping = threading.Event()
        self.handling = 0   # requests whose handler is running (EmulatorServer.wait_idle)
        # While set, answers wait (after their latency) until it is cleared: a test keeps a
        # client busy for as long as it needs, not for a latency long enough under any load.
        self.holding = threading.Event()
        self.held = 0       # requests waiting for the hold to end (EmulatorServer.held)
        # The generic chat mode's dialect (pipeline.emulator.chat); usage as configured now.
        self.generic = GenericDialect(lambda: self.config.chat_usage)
        self.slots = SlotServer(c.slots, lambda: self.config.time_scale) if c.slots is not None else None

    # --- application ----------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=[self._count_handling])  # long term lists fit
        app.router.add_post(f"{API_PREFIX}/chat/completions", self.handle_chat)
        app.router.add_post(GENERATION_PATH, self.handle_native)
        if self.config.chat:
            app.router.add_post(f"{CHAT_PREFIX}/chat/completions", self.handle_generic_chat)
        if self.slots is not None:
            self.slots.add_routes(app)
        app.router.add_get(STATS_PATH, self.handle_stats)
        app.router.add_post(CONTROL_PATH, self.handle_control)
        app.on_response_prepare.append(self._mark_engine)
        return app

    @web.middleware
    async def _count_handling(self, request: web.Request,
                              handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        self.handling += 1
        try:
            return await handler(request)
        finally:
            self.handling -= 1

    async def _mark_engine(self, request: web.Request, response: web.StreamResponse) -> None:
        """Every response, errors and streams included, says it is emulated (and in which
        mode), so qmt never stores or bills it as a real translation."""
        generic = request.get(GENERIC, False) or request.path.startswith(f"{CHAT_PREFIX}/")
        response.headers[ENGINE_HEADER] = emulator_engine(f"chat-{self.mode_name}" if generic else self.mode_name)

    async def handle_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.ledger.snapshot() | {"emulator": True, "mode": self.mode_name})

    async def handle_control(self, request: web.Request) -> web.Response:
        """Change faults and limits of a running ``qmt emulator`` (benchmarks, demos):
        ``{"script": [...], "error_rates": {...}, "account_state": ..., "rpm": ..., "tpm": ...,
        "reset": true}``. Bad values give 400 with the reason."""
        try:
            body = await request.json()
            apply_control(self, body)
        except (ValueError, TypeError, AttributeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True, "pending_script": self.faults.pending})

    @property
    def mode_name(self) -> str:
        return self.config.mode if isinstance(self.config.mode, str) else "custom"

    # --- the chat endpoint -------------------------------------------------------------

    async def handle_chat(self, request: web.Request) -> web.StreamResponse:
        """``POST /compatible-mode/v1/chat/completions`` (Qwen-MT and LiveTranslate)."""
        return await self._serve(request, COMPATIBLE)

    async def handle_native(self, request: web.Request) -> web.StreamResponse:
        """``POST /api/v1/services/aigc/text-generation/generation`` (:mod:`pipeline.emulator.native`)."""
        return await self._serve(request, NATIVE)

    async def handle_generic_chat(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/chat/completions``: the generic chat mode (:mod:`pipeline.emulator.chat`)."""
        return await self._serve(request, self.generic)

    async def _serve(self, request: web.Request, d: Dialect) -> web.StreamResponse:
        rid = new_request_id()
        self.ledger.count_received()
        raw = await request.read()
        self.ledger.keep_body(raw)
        optional = d.key_optional and self.config.api_key is None
        if not optional and (spec := self._auth_error(request, d.bare_key)) is not None:
            return self._error(spec, rid, dialect=d)
        if d is COMPATIBLE and self.config.chat and is_generic_body(raw):
            d = self.generic    # a general model at Qwen-MT's URL, as DashScope's compatible mode serves
        request[GENERIC] = d is self.generic
        action = self.faults.next_scripted()
        if action is not None and action.kind not in _REPLY_FAULTS | CONTENT_KINDS and action.kind != "ok":
            return await self._fail_early(request, action, rid, d)
        if (spec := self.faults.account_error()) is not None:
            return self._error(spec, rid, dialect=d)
        if d is COMPATIBLE and livetranslate.is_livetranslate(raw):
            return await livetranslate.handle(self, request, raw, rid, None if _is_content(action) else action)
        try:
            chat = d.parse(raw, request.headers)
        except RequestRejected as exc:
            return self._error(exc.spec, rid, dialect=d)
        if self.faults.is_blocked(chat.content):
            return self._error(ERRORS["blocked"], rid, dialect=d)
        output, finish = self._generate(chat)
        if _is_content(action):  # scripted damage: known before the limits count the answer
            output, action = self._damage(output, action), None
        completion = self._output_tokens(output, chat)
        drawn = action is None
        if drawn:
            action = self.faults.draw_random()
            if action is not None and action.error is not None and self.config.fault_retry_after is not None:
                action = replace(action, retry_after=self.config.fault_retry_after)
            if action is not None and action.error is not None:
                # An error answer (a throttle, a server error) refuses the request before the
                # limits count it, as a scripted one does: it is not billed, and a client
                # that counts what was billed must see the window the service keeps (issue
                # 28: each random 429 or 5xx held a pack's tokens in the emulator's window
                # for a minute, and requests qmt's window had room for were refused).
                return await self._fail_early(request, action, rid, d)
        if (refusal := self.limiter.admit(chat.model, chat.prompt_tokens + completion)) is not None:
            retry = retry_after_header(refusal.retry_after, self.limiter.time_scale)
            return self._error(ERRORS[refusal.kind], rid, retry_after=retry, dialect=d)
        if drawn:
            if action is not None and action.kind not in _REPLY_FAULTS:
                # A connection lost or hung after the service took the request: counted,
                # as the client cannot know whether it was.
                return await self._fail_early(request, action, rid, d)
            output, completion = self._damaged(output, completion, chat)
        timings = None
        if self.slots is not None and d is self.generic:   # a slot, then the model's time in it
            # llama.cpp takes from its cache the start its slot's last prompt shares: with the
            # same system prompt, everything before the user's text
            system = chat.system if isinstance(chat, GenericChatRequest) else ""
            cached = self.slots.cached(system, chat.prompt_tokens - count_tokens(chat.content))
            timings = await self.slots.generate(chat.prompt_tokens, completion, lambda s: self._sleep(s, request),
                                                cached)
            if timings is None or not await self._held(request):
                return await self._drop(request, "client_gone")
        elif not await self._sleep(self.latency.sample(completion), request) or not await self._held(request):
            return await self._drop(request, "client_gone")
        reply = _Reply(rid, chat, output, finish, completion, action, d, timings)
        if chat.stream:
            return await self._stream(request, reply)
        return await self._respond(request, reply)

    def _auth_error(self, request: web.Request, bare_key: bool = False) -> ErrorSpec | None:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if bare_key and not key and scheme.lower() != "bearer":
            scheme, key = "bearer", scheme.strip()   # "Authorization: KEY", as the native seeds send it
        if scheme.lower() != "bearer" or not key:
            return ERRORS["401"]
        if self.config.api_key is not None and key != self.config.api_key:
            if self.config.echo_key:
                spec = ERRORS["401"]
                return replace(spec, message=f"{spec.message} Key: {key}")
            return ERRORS["401"]
        return None

    def _generate(self, chat: ChatRequest) -> tuple[str, str]:
        mode = self.config.mode
        if mode == "identity":
            text = chat.content
        elif isinstance(mode, str):     # "pseudo": the config accepts no other name
            text = pseudo_translate(chat.content, chat.target_lang, chat.terms)
        else:
            text = mode(chat.content, chat.target_lang, chat.terms)
        if self.config.chat_chatter and isinstance(chat, GenericChatRequest):
            text = chatter(text, self.config.chat_chatter, chat.target.name)
        cut = truncate_to_tokens(text, chat.max_tokens, lambda s: self._output_tokens(s, chat, cached=False))
        return cut, ("stop" if cut == text else "length")

    def _damaged(self, output: str, completion: int, chat: ChatRequest) -> tuple[str, int]:
        """A random draw of marker damage for a packed request, and the answer billed.
        (The limits already counted the intact answer: a few tokens apart.)"""
        if len(PACK_MARKER_RE.findall(chat.content)) < 2 or (action := self.faults.draw_marker()) is None:
            return output, completion
        damaged = self._damage(output, action)
        return damaged, self._output_tokens(damaged, chat)

    def _damage(self, output: str, action: Action) -> str:
        """Damaged answers are counted under ``errors["marker"]`` (served and billed too)."""
        damaged = self.faults.damage_markers(output, action)
        if damaged != output:
            self.ledger.count_error("marker")
        return damaged

    def _output_tokens(self, text: str, chat: ChatRequest, cached: bool = True) -> int:
        """Completion tokens billed for ``text`` (see OUTPUT_TOKEN_MODES)."""
        if self.config.output_tokens == "source" and self.config.mode == "pseudo":
            text = reverse_pseudo(text, chat.target_lang)
        return count_tokens(text) if cached else uncached_count_tokens(text)

    # --- failures --------------------------------------------------------------------------

    def _error(self, spec: ErrorSpec, rid: str, retry_after: str | None = None,
               dialect: Dialect = COMPATIBLE) -> web.Response:
        self.ledger.count_error(spec.code)
        headers = {"x-request-id": rid}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return web.json_response(dialect.error(spec, rid), status=spec.status, headers=headers)

    async def _fail_early(self, request: web.Request, action: Action, rid: str,
                          dialect: Dialect = COMPATIBLE) -> web.StreamResponse:
        """Faults that happen before any reply: an error body, a hang or a drop."""
        if action.error is not None:
            retry = None if action.retry_after is None else _seconds(action.retry_after)
            return self._error(action.error, rid, retry_after=retry, dialect=dialect)
        if action.kind == "timeout":
            # Counted when the hang starts, so a test sees it as soon as its client gives up.
            self.ledger.count_error("timeout")
            if self.config.announce_hangs:   # no request id: a hang never sends its headers
                return web.Response(status=504, headers={HANG_HEADER: "1"})
            await self._sleep(action.seconds if action.seconds is not None else self.config.hang_seconds, request)
            return await self._drop(request, None)
        return await self._drop(request, "drop")

    async def _drop(self, request: web.Request, kind: str | None) -> web.StreamResponse:
        """Close the socket without (the rest of) a response. aiohttp then fails to write
        the returned response and treats it as a client disconnect, quietly."""
        if kind is not None:
            self.ledger.count_error(kind)
        if request.transport is not None:
            request.transport.close()
        return web.Response()

    async def _sleep(self, seconds: float, request: web.Request) -> bool:
        """Sleep in small steps; False if the client left or the server is stopping."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if self.stopping.is_set() or request.transport is None or request.transport.is_closing():
                return False
            await asyncio.sleep(min(left, 0.02))
        return True

    async def _held(self, request: web.Request) -> bool:
        """Wait while answers are held; False if the client left or the server is stopping."""
        if not self.holding.is_set():
            return True
        self.held += 1
        try:
            while self.holding.is_set():
                if not await self._sleep(0.02, request):
                    return False
            return True
        finally:
            self.held -= 1

    # --- replies -------------------------------------------------------------------------

    async def _respond(self, request: web.Request, r: "_Reply") -> web.StreamResponse:
        chat = r.chat
        document = r.dialect.reply(r.rid, chat, r.output, r.finish, r.completion)
        if r.timings is not None:   # llama.cpp's own measure of its speed (slot-server mode)
            document["timings"] = r.timings
        body = json.dumps(document, ensure_ascii=False).encode()
        kind = r.action.kind if r.action else "ok"
        if kind == "malformed":
            self._bill(r, r.completion, "malformed")
            self.ledger.count_error("malformed")
            return web.Response(body=body[: len(body) // 2], content_type="application/json",
                                headers={"x-request-id": r.rid})
        if kind in ("drop_mid", "cut"):
            # The service generated (and bills) the whole output; the client gets half.
            self._bill(r, r.completion, "interrupted")
            resp = web.StreamResponse(headers={"x-request-id": r.rid, "Content-Type": "application/json"})
            resp.content_length = len(body)
            await resp.prepare(request)
            await resp.write(body[: len(body) // 2])
            return await self._drop(request, kind)
        self._bill(r, r.completion, r.finish)
        self.ledger.count_served()
        return web.Response(body=body, content_type="application/json", headers={"x-request-id": r.rid})

    async def _stream(self, request: web.Request, r: "_Reply") -> web.StreamResponse:
        chat = r.chat
        events = r.dialect.stream(r.rid, chat)
        pieces = split_for_stream(r.output)
        kind = r.action.kind if r.action else "ok"
        fail_at = _fail_position(r.action, len(pieces)) if kind in _REPLY_FAULTS else None
        resp = web.StreamResponse(headers={"x-request-id": r.rid, "Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        await resp.prepare(request)
        sent = ""
        complete = False    # all output sent: a client leaving now is not billed again
        so_far = 0
        try:
            if head := events.start():
                await resp.write(head)
            for i, piece in enumerate(pieces):
                if i == fail_at:
                    return await self._break_stream(request, resp, r, kind, sent, events.broken())
                sent += piece
                # Usage so far (native events carry it): the pieces' tokens added up, not the
                # prefix counted again each time (quadratic); the last event has the exact bill.
                # Pieces counted apart can add up to more than the whole (text without spaces,
                # such as CJK pseudo text, merges across their edges): never above the bill.
                so_far += self._output_tokens(piece, chat, cached=False) if events.running_usage else 0
                await resp.write(events.chunk(sent if chat.cumulative else piece, min(so_far, r.completion)))
                if self.config.chunk_delay_ms > 0 and not await self._sleep(
                        self.config.chunk_delay_ms / 1000 * self.config.time_scale, request):
                    raise ConnectionResetError("client gone")
            if fail_at is not None:
                return await self._break_stream(request, resp, r, kind, sent, events.broken())
            # All output is generated: bill now, before the client can see the end.
            self._bill(r, r.completion, r.finish)
            self.ledger.count_served()
            complete = True
            await resp.write(events.end(r.output, r.finish, r.completion))
            await resp.write_eof()
        except ConnectionError:
            if not complete:  # the client left before the output was complete
                self._bill(r, self._output_tokens(sent, chat), "interrupted")
                self.ledger.count_error("client_gone")
        return resp

    async def _break_stream(self, request: web.Request, resp: web.StreamResponse, r: "_Reply", kind: str,
                            sent: str, bad_event: bytes) -> web.StreamResponse:
        """Stream faults: malformed (a bad data line), cut (clean early end), drop_mid."""
        self._bill(r, self._output_tokens(sent, r.chat), "malformed" if kind == "malformed" else "interrupted")
        if kind == "drop_mid":
            return await self._drop(request, kind)
        self.ledger.count_error(kind)
        try:
            if kind == "malformed":
                await resp.write(bad_event)
            await resp.write_eof()
        except ConnectionError:
            pass  # already billed and counted; the client left first
        return resp

    def _bill(self, r: "_Reply", completion: int, status: str) -> None:
        self.ledger.bill(BillingRecord(r.rid, r.chat.model, r.chat.target_lang, r.chat.prompt_tokens, completion,
                                       status, r.chat.stream))


@dataclass(frozen=True, slots=True)
class _Reply:
    rid: str
    chat: ChatRequest
    output: str
    finish: str
    completion: int
    action: Action | None
    dialect: Dialect = COMPATIBLE
    timings: dict[str, Any] | None = None


def _is_content(action: Action | None) -> TypeGuard[Action]:
    return action is not None and action.kind in CONTENT_KINDS


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _fail_position(action: Action | None, n: int) -> int:
    """Content chunks sent before a stream fault: ``after=N`` or half the stream."""
    if action is not None and action.after is not None:
        return max(0, min(action.after, n))
    return n // 2


def apply_control(emu: Emulator, body: dict[str, Any]) -> None:
    """Apply a control document (see :meth:`Emulator.handle_control`)."""
    if not isinstance(body, dict):
        raise ValueError("control body must be a JSON object")
    unknown = set(body) - {"script", "clear_script", "error_rates", "account_state", "rpm", "tpm", "rps", "reset", "mode"}
    if unknown:
        raise ValueError(f"unknown control keys: {', '.join(sorted(unknown))}")
    if body.get("reset"):
        emu.ledger.reset()
        emu.limiter.reset()
    if body.get("clear_script"):
        emu.faults.clear_script()
    if "script" in body:
        emu.faults.script(*body["script"])
    if "error_rates" in body:
        emu.faults.set_error_rates(body["error_rates"])
    if "account_state" in body:
        emu.faults.set_account_state(body["account_state"])
    limits = {k: body[k] for k in ("rpm", "tpm", "rps") if k in body}
    if limits:
        emu.limiter.configure(**limits)
    if "mode" in body:
        if body["mode"] not in MODES:
            raise ValueError(f"unknown mode {body['mode']!r}")
        emu.config.mode = body["mode"]


# --- running it -------------------------------------------------------------------------


async def start_site(emulator: Emulator, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Bind the app; returns the runner (``await runner.cleanup()`` to stop) and the port."""
    count_tokens("warm up")  # load the tokenizer now, not inside the first request's time budget
    runner = web.AppRunner(emulator.make_app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1] if runner.addresses else port
    return runner, bound


class EmulatorServer:
    """The emulator on a background thread and a free 127.0.0.1 port, for tests.

    Use as a context manager; ``base_url`` ends in ``/compatible-mode/v1`` (give it to
    the openai SDK). Faults and limits can be changed while it runs, from any thread.
    """

    def __init__(self, mode: str | Translator = "pseudo", api_key: str | None = None, *,
                 host: str = "127.0.0.1", port: int = 0, config: EmulatorConfig | None = None, **options: Any):
        self.emulator = Emulator(config or EmulatorConfig(mode=mode, api_key=api_key, **options))
        self.host = host
        self.port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._runner: web.AppRunner | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> "EmulatorServer":
        if self._thread is not None:
            raise RuntimeError("emulator already started")
        self.emulator.stopping.clear()
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="qmt-emulator", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            self._thread.join()
            self._thread = None
            raise self._failure
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self.emulator.stopping.set()
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
        self._thread = None

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Return once no connection is open and no request is being handled.

        A client that stops (a pool stopped by a fatal error cancels its requests in flight)
        may leave a request's bytes on the way: this server's thread reads and handles them
        whenever it runs next, possibly after the next test's :meth:`reset`. Once the client
        has closed its connections, waiting for this state is waiting for those requests to
        be counted (or discarded): nothing of the client's arrives afterwards."""
        loop, runner = self._loop, self._runner
        server = runner.server if runner is not None else None
        if loop is None or server is None:
            return

        def busy() -> bool:
            return bool(server.connections) or self.emulator.handling > 0   # connections: a new list each time

        async def settled() -> None:
            while busy():
                await asyncio.sleep(0.005)

        try:
            asyncio.run_coroutine_threadsafe(asyncio.wait_for(settled(), timeout), loop).result()
        except TimeoutError:
            raise TimeoutError(f"the emulator is still busy after {timeout:g} s: {len(server.connections)} "
                               f"connections open, {self.emulator.handling} requests being handled") from None

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._stop = asyncio.Event()
            runner, self.port = loop.run_until_complete(start_site(self.emulator, self.host, self.port))
            self._runner = runner
        except BaseException as exc:  # reported to start()'s caller
            self._failure = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_until_complete(self._stop.wait())
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None
            self._runner = None

    # --- where it is ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}{API_PREFIX}"

    @property
    def native_url(self) -> str:
        """The DashScope native API root (``.../api/v1``), as the dashscope SDK's ``base_http_api_url``."""
        return f"{self.url}{NATIVE_PREFIX}"

    @property
    def chat_base_url(self) -> str:
        """The generic chat mode's base URL (``engine = "llm"``; needs ``chat=True``)."""
        return f"{self.url}{CHAT_PREFIX}"

    def url_for(self, protocol: str) -> str:
        """The base URL a job of ``protocol`` ("openai" or "dashscope") is given."""
        return self.native_url if protocol == NATIVE.name else self.base_url

    # --- what it saw ---------------------------------------------------------------------

    @property
    def billing(self) -> Ledger:
        """The ledger: ``.records`` (BillingRecord list), ``.received``, ``.served``,
        ``.errors`` (Counter by error code or network fault kind), token totals."""
        return self.emulator.ledger

    @property
    def stats(self) -> dict[str, Any]:
        """Same document as ``GET /_emulator/stats``."""
        return self.emulator.ledger.snapshot()

    def reset(self) -> None:
        """Forget billing, counters, the rate-limit window and any pending script."""
        self.emulator.ledger.reset()
        self.emulator.limiter.reset()
        self.emulator.faults.clear_script()

    # --- changing it at run time ---------------------------------------------------------

    def script(self, *actions: str | Action) -> None:
        """Make the next requests fail (or pass: "ok") in this order; see faults.py."""
        self.emulator.faults.script(*actions)

    def clear_script(self) -> None:
        self.emulator.faults.clear_script()

    def set_error_rates(self, rates: dict[str, float] | None = None, **by_kind: float) -> None:
        """Replace all random rates: ``set_error_rates({"429": 0.1}, drop=0.05)``."""
        self.emulator.faults.set_error_rates({**(rates or {}), **by_kind})

    def set_error_rate(self, kind: str, rate: float) -> None:
        self.emulator.faults.set_error_rate(kind, rate)

    def set_seed(self, seed: int | None) -> None:
        self.emulator.faults.reseed(seed)

    def set_account_state(self, state: str) -> None:
        """"ok", "arrearage", "free_quota_exhausted" or "access_denied"."""
        self.emulator.faults.set_account_state(state)

    def set_block_marker(self, marker: str) -> None:
        self.emulator.faults.block_marker = marker

    def set_limits(self, *, rpm: LimitChange = ..., tpm: LimitChange = ..., rps: LimitChange = ...) -> None:
        """Per-minute (and per-second) limits, one number for all models or a dict per
        model; None: off; not given: unchanged."""
        self.emulator.limiter.configure(rpm=rpm, tpm=tpm, rps=rps)

    def hold(self) -> None:
        """Answers wait until :meth:`release` (requests are still received and counted)."""
        self.emulator.holding.set()

    def release(self) -> None:
        self.emulator.holding.clear()

    @property
    def held(self) -> int:
        """Requests whose answer waits for :meth:`release` (ready, not sent, not billed)."""
        return self.emulator.held

    def set_latency(self, ms: float, sigma: float = 0.0) -> None:
        self.emulator.latency.mean_ms = ms
        self.emulator.latency.sigma = sigma

    def set_time_scale(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError("time_scale must be positive")
        self.emulator.config.time_scale = scale
        self.emulator.limiter.configure(time_scale=scale)
        self.emulator.latency.time_scale = scale

    def set_output_tokens(self, how: str) -> None:
        """"actual" or "source"; see OUTPUT_TOKEN_MODES."""
        if how not in OUTPUT_TOKEN_MODES:
            raise ValueError(f"output_tokens must be one of {', '.join(OUTPUT_TOKEN_MODES)}")
        self.emulator.config.output_tokens = how

    def set_mode(self, mode: str | Translator) -> None:
        if isinstance(mode, str) and mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.emulator.config.mode = mode
