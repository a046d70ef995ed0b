"""Sending one request: pacing, retries by error class, and the ledger's attempt records.

The sender turns a list of units (one, or a packed batch) into one request, or a media
piece into one LiveTranslate request (:meth:`Sender.send_media`): the same path for
both. Each attempt waits for the shared :class:`~pipeline.translate.limiter.RateLimiter`
(requests and tokens per minute) and the budget, is journaled as ``pending`` before it
leaves (the observer raises StateWriteFailed when it cannot be: nothing is sent), and
transient errors are retried with tenacity (exponential backoff with jitter, never
sooner than Retry-After). Everything else propagates: the pool decides what a
SegmentError or a fatal error means.
"""
from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Awaitable, Callable, Generic, Iterable, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from pipeline import errors
from pipeline.service_facts import audio_tokens
from pipeline.tokens import OUTPUT_RATIO, count_tokens, estimate_completion
from pipeline.translate.backend import (Backend, MediaResponse, TermPair, TranslationRequest, TranslationResponse,
                                        expected_completion)
from pipeline.translate.limiter import RateLimiter
from pipeline.translate.packing import pack
from pipeline.translate.units import PENDING, Attempt, JobStopped, PoolObserver, PoolSettings, PoolStats, Unit

if TYPE_CHECKING:   # made by engines when a run has media: the SDK loads with it, not with the sender
    from pipeline.translate.livetranslate_backend import LiveTranslateBackend


#: What a request answers: a text translation or a media piece's.
Answered = TypeVar("Answered", TranslationResponse, MediaResponse)


@dataclass(frozen=True)
class _Call(Generic[Answered]):
    """One request as the sender paces, sends and records it, text or media."""

    units: list[Unit]
    model: str
    prompt: int                 # prompt tokens as billed
    completion: int             # expected completion tokens
    send: Callable[[], Awaitable[Answered]]     # the backend's call
    lang: str                   # the target language as the request names it (output ratios)
    text_tokens: int = 0        # source text tokens (learning the output ratio; 0: media)
    seconds: float = 0.0        # a media piece's audio (its ledger row's audio tokens)
    engine: str = ""            # the engine expected to answer


class Sender:
    """Sends requests for the pool: builds them, paces them, retries them, records them."""

    def __init__(self, backend: Backend, settings: PoolSettings, stats: PoolStats, observer: PoolObserver,
                 is_stopped: Callable[[], errors.QmtError | None], media_backend: LiveTranslateBackend | None = None):
        self._backend = backend
        self._media = media_backend
        self._s = settings
        self._stats = stats
        # Journals each request before it is sent (ledger equals bill even if the answer, or
        # the process, is lost; it raises to stop the spending when the journal cannot be
        # written) and each attempt after.
        self._observer = observer
        self.last_success = settings.clock.now()   # the outage clock (see WorkerPool)
        self._is_stopped = is_stopped
        self.limiter = RateLimiter(settings.rpm, settings.tpm, window=settings.rate_window, clock=settings.clock)
        self.output_ratio = OUTPUT_RATIO
        # Learned per target language as well (scripts differ in tokens per translated
        # text), weighted by length: source and completion tokens of answered requests.
        self._totals: dict[str, list[int]] = {}
        # Answers lost after the service billed them, whose output length is unknown: their
        # ledger rows wait for finish(), when the run has learned the output ratio best
        # (their pending journal rows, with the first estimate, cover a kill meanwhile).
        self._lost: list[tuple[Attempt, int, str]] = []
        self._backoff = wait_exponential_jitter(
            multiplier=settings.retry.initial, max=settings.retry.max_wait, jitter=settings.retry.initial)

    async def send(self, units: list[Unit]) -> TranslationResponse:
        """One request for ``units`` (packed when several), transient errors retried."""
        request = build_request(units, self._s)
        prompt, completion = self.estimate(request)
        call = _Call(units, self._s.model, prompt, completion, lambda: self._backend.translate(request),
                     request.target_lang, count_tokens(request.text), engine=self._backend.engine)
        return await self._retried(call)

    async def send_media(self, unit: Unit) -> MediaResponse:
        """One LiveTranslate request for a media piece, paced, budgeted, journaled and
        retried exactly like a text request."""
        request, media = unit.media, self._media
        if request is None or media is None:
            raise errors.ConfigError("a media piece needs the LiveTranslate backend")
        call = _Call([unit], request.model, request.billed_prompt, expected_completion(unit.seconds, request.speech),
                     lambda: media.translate_media(request), request.target_lang, seconds=unit.seconds,
                     engine=media.engine)
        return await self._retried(call)

    async def _retried(self, call: _Call[Answered]) -> Answered:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(errors.TransientError),
            stop=stop_after_attempt(self._s.retry.max_attempts),
            wait=self._wait, sleep=self._s.clock.sleep, reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(call, attempt.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def estimate(self, request: TranslationRequest) -> tuple[int, int]:
        """Prompt tokens as billed and the expected completion tokens of ``request``."""
        # A backend that writes its own prompt (engine llm: a system prompt) counts it.
        prompt = self._backend.count_prompt(request)
        return prompt, estimate_completion(count_tokens(request.text), self._ratio(request.target_lang))

    async def _attempt(self, call: _Call[Answered], number: int) -> Answered:
        # A model server's gate: a request waits here, before it is paced, journaled or
        # timed, rather than in the server's queue (pipeline.translate.model_server).
        async with self._s.in_flight or contextlib.nullcontext():
            return await self._send_once(call, number)

    async def _send_once(self, call: _Call[Answered], number: int) -> Answered:
        self._raise_if_stopped()
        prompt, completion = call.prompt, call.completion
        pace = await self.limiter.acquire(prompt + completion)
        budget = self._s.budget
        try:
            reserved = await budget.reserve(prompt, completion) if budget else None
            self._raise_if_stopped()  # a fatal error elsewhere while we waited
        except BaseException:
            self.limiter.settle(pace, 0)
            raise
        key = uuid.uuid4().hex
        started = time.monotonic()
        try:
            self._observer.record_send(self._attempt_of(call, key, None, prompt, completion, PENDING, 0.0, number, True))
        except BaseException:
            self.limiter.settle(pace, 0)
            if budget is not None and reserved is not None:
                await budget.settle(reserved, 0, 0)
            raise
        self._stats.requests += 1
        self.limiter.leaving(pace)
        try:
            response = await call.send()
        except BaseException as exc:
            billed = exc.billed if isinstance(exc, errors.ServiceError) else None  # a broken answer may be billed
            estimated, lost = billed is not None, billed is not None and billed[1] is None
            # the output lost (completion None): expect the usual length
            charged = (0, 0) if billed is None else (billed[0], completion if billed[1] is None else billed[1])
            self.limiter.settle(pace, sum(charged))
            if budget is not None and reserved is not None:
                await budget.settle(reserved, *charged)
            if isinstance(exc, errors.ServiceError):
                attempt = self._attempt_of(call, key, exc.request_id, *charged, type(exc).__name__,
                                           time.monotonic() - started, number, estimated,
                                           audio=audio_tokens(call.seconds) if charged[0] else 0)
                if lost:
                    self._lost.append((attempt, call.text_tokens, call.lang))
                else:
                    self._observer.record_attempt(attempt)
                if isinstance(exc, errors.RateLimited):
                    self.limiter.throttled(exc.retry_after, pace, exc.limit)
            raise
        self.limiter.settle(pace, response.prompt_tokens + response.completion_tokens)
        self.limiter.succeeded()
        self.last_success = self._s.clock.now()
        if budget is not None and reserved is not None:
            await budget.settle(reserved, response.prompt_tokens, response.completion_tokens)
        self._learn_output_ratio(call.lang, call.text_tokens, response.completion_tokens)
        self._observer.record_attempt(self._attempt_of(
            call, key, response.request_id, response.prompt_tokens, response.completion_tokens,
            _status(response.finish_reason, call.seconds > 0), time.monotonic() - started, number,
            estimated=getattr(response, "estimated", False), engine=response.engine,
            # a media usage without details: the audio as the seed's rule counts it
            audio=getattr(response, "audio_tokens", 0) or audio_tokens(call.seconds),
            video=getattr(response, "video_tokens", 0)))
        return response

    def finish(self) -> None:
        """Record the answers lost on the way, with the output ratio learned by now."""
        lost, self._lost = self._lost, []
        for attempt, text_tokens, lang in lost:
            self._observer.record_attempt(
                replace(attempt, completion_tokens=estimate_completion(text_tokens, self._ratio(lang))))

    def _ratio(self, target_lang: str) -> float:
        totals = self._totals.get(target_lang)
        return totals[1] / totals[0] if totals and totals[0] else self.output_ratio

    def _raise_if_stopped(self) -> None:
        stopped = self._is_stopped()
        if stopped is not None:
            raise JobStopped(str(stopped))

    def _learn_output_ratio(self, target_lang: str, text_tokens: int, completion_tokens: int) -> None:
        if text_tokens > 0 and completion_tokens > 0:
            self.output_ratio += (completion_tokens / text_tokens - self.output_ratio) * 0.2
            totals = self._totals.setdefault(target_lang, [0, 0])
            totals[0] += text_tokens
            totals[1] += completion_tokens

    def _wait(self, state: RetryCallState) -> float:
        backoff = self._backoff(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        return max(backoff, retry_after) if retry_after else backoff

    def _attempt_of(self, call: _Call[Answered], key: str, request_id: str | None, prompt: int, completion: int,
                    status: str, latency: float, number: int, estimated: bool = False,
                    engine: str | None = None, audio: int = 0, video: int = 0) -> Attempt:
        """The ledger's record of one request; ``engine`` defaults to the backend's (the
        one expected, or the last that answered)."""
        units, first = call.units, call.units[0]
        if engine is None:   # the backend's engine now: the last that answered, else the one expected
            backend = self._media if first.media is not None else self._backend
            engine = backend.engine if backend is not None else call.engine
        return Attempt(first.origin, first.target.code, call.model, request_id, prompt, completion, status,
                       latency, number, segments=len(units), shares=shares_by_origin(units), engine=engine,
                       key=key, estimated=estimated, audio_tokens=audio if call.seconds else 0,
                       video_tokens=video if call.seconds else 0)


def _status(finish_reason: str | None, media: bool) -> str:
    """A ledger row's status for an answer: "ok", or why it ended otherwise."""
    if media:
        return "ok" if finish_reason == "stop" else str(finish_reason)
    return "ok" if finish_reason != "length" else "length"


def build_request(units: list[Unit], settings: PoolSettings) -> TranslationRequest:
    """The request for one unit, or the packed request carrying the union of terms and TM."""
    model, src = settings.model, settings.source_lang
    text = units[0].text if len(units) == 1 else pack([u.text for u in units])
    return TranslationRequest(
        text=text, model=model,
        source_lang=src.api_name(model) if src else "auto",
        target_lang=units[0].target.api_name(model),
        terms=_union(u.terms for u in units), tm_list=_union(u.tm_list for u in units),
        domains=settings.domains or None, sampling=settings.sampling,
        context=tuple(u.context for u in units) if any(u.context for u in units) else (),
    )


def shares_by_origin(units: list[Unit]) -> tuple[tuple[str, float], ...]:
    """Each origin file's fraction of a request, by the source tokens it put in."""
    if len(units) == 1:
        return ((units[0].origin, 1.0),)
    weights: dict[str, int] = {}
    for unit in units:
        weights[unit.origin] = weights.get(unit.origin, 0) + max(1, count_tokens(unit.text))
    total = sum(weights.values())
    return tuple((origin, w / total) for origin, w in weights.items())


def _union(groups: Iterable[Iterable[TermPair]]) -> tuple[TermPair, ...]:
    seen: dict[TermPair, None] = {}
    for group in groups:
        for pair in group:
            seen.setdefault(pair, None)
    return tuple(seen)
