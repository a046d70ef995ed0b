"""Where a segment is translated: a bounded pool of async workers in front of the backend.

Every unit of work (one segment's text for one target language) goes through:

1. de-duplication: identical text for the same target within a run is sent once;
2. a worker slot (``concurrency`` requests in flight at most);
3. tenacity retries for :class:`~pipeline.errors.TransientError` only, exponential
   backoff with jitter, never sooner than the service's ``Retry-After``; a 429 also
   pauses every worker until that moment, so one throttle does not become a storm;
4. the answer's checks: ``finish_reason == "length"`` is a truncated translation
   (never accepted); the tags must survive (:func:`~pipeline.segments.check_translation`,
   small damage repaired); a bad answer is requested once more, then the segment falls
   back to its source text and is reported.

The error tree decides the rest: a :class:`~pipeline.errors.SegmentError` leaves that
segment in the source language; a :class:`~pipeline.errors.FatalServiceError` stops the
pool at once: no worker sends another request and every pending unit fails with
:class:`JobStopped`.

Every attempt, failed ones included, is reported to ``on_attempt`` (the usage ledger).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from pipeline import errors
from pipeline.languages import Language
from pipeline.segments import PlaceholderError, check_translation
from pipeline.translate.backend import Backend, Sampling, TermPair, TranslationRequest, TranslationResponse

# How a unit ended, as reported per segment.
TRANSLATED = "translated"   # checked and clean
REPAIRED = "repaired"       # tags repaired (never cached)
FALLBACK = "fallback"       # translation unusable twice: source text kept
FAILED = "failed"           # the service refused the segment: source text kept


@dataclass(frozen=True)
class Unit:
    """One segment text to translate into one language, with what travels with it."""

    text: str
    target: Language
    terms: tuple[TermPair, ...] = ()
    tm_list: tuple[TermPair, ...] = ()
    origin: str = ""            # the file that first asked for it (ledger attribution)

    @property
    def key(self) -> tuple[str, str, tuple[TermPair, ...], tuple[TermPair, ...]]:
        return (self.text, self.target.code, self.terms, self.tm_list)


@dataclass(frozen=True)
class Outcome:
    text: str                   # what to write: the translation, or the source
    status: str
    reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Attempt:
    """One request as the ledger records it."""

    origin: str
    target_lang: str
    model: str
    request_id: str | None
    prompt_tokens: int
    completion_tokens: int
    status: str                 # "ok", "length", or the error class name
    latency: float
    attempt: int


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    initial: float = 1.0
    max_wait: float = 60.0


class JobStopped(errors.QmtError):
    """The pool stopped on a fatal service error; this unit was never sent."""


@dataclass
class PoolSettings:
    model: str
    source_lang: Language | None
    sampling: Sampling = field(default_factory=Sampling)
    domains: str = ""
    concurrency: int = 4
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class WorkerPool:
    """Submit units, await outcomes. Use ``async with WorkerPool(...) as pool``."""

    def __init__(
        self,
        backend: Backend,
        settings: PoolSettings,
        *,
        on_attempt: Callable[[Attempt], None] = lambda a: None,
        on_outcome: Callable[[Unit, Outcome], None] = lambda u, o: None,
    ):
        self._backend = backend
        self._s = settings
        self._on_attempt = on_attempt
        self._on_outcome = on_outcome
        self._queue: asyncio.Queue[Unit] = asyncio.Queue()
        self._futures: dict[tuple, asyncio.Future[Outcome]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._resume_at = 0.0
        self._backoff = wait_exponential_jitter(
            multiplier=settings.retry.initial, max=settings.retry.max_wait, jitter=settings.retry.initial
        )
        self.fatal: errors.FatalServiceError | None = None
        self.requests_sent = 0

    async def __aenter__(self) -> "WorkerPool":
        self._workers = [asyncio.create_task(self._work()) for _ in range(self._s.concurrency)]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    def submit(self, unit: Unit) -> asyncio.Future[Outcome]:
        """The outcome of ``unit``; an identical unit already submitted shares it."""
        future = self._futures.get(unit.key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._futures[unit.key] = future
            if self.fatal is not None:
                future.set_exception(JobStopped(str(self.fatal)))
            else:
                self._queue.put_nowait(unit)
        return future

    async def _work(self) -> None:
        while True:
            unit = await self._queue.get()
            future = self._futures[unit.key]
            try:
                outcome = await self._translate(unit)
            except JobStopped as exc:
                future.set_exception(exc)
                continue
            except errors.FatalServiceError as exc:
                self._stop(exc)
                future.set_exception(JobStopped(str(exc)))
                continue
            except Exception as exc:  # a bug must fail the unit, not hang the run
                future.set_exception(exc)
                continue
            future.set_result(outcome)
            self._on_outcome(unit, outcome)

    def _stop(self, exc: errors.FatalServiceError) -> None:
        if self.fatal is None:
            self.fatal = exc
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            fut = self._futures[pending.key]
            if not fut.done():
                fut.set_exception(JobStopped(str(exc)))

    async def _translate(self, unit: Unit) -> Outcome:
        tokens = [0, 0]
        reason = ""
        for _ in range(2):  # a bad answer is asked for once more, then we fall back
            try:
                response = await self._send(unit)
            except errors.SegmentError as exc:
                return Outcome(unit.text, FAILED, str(exc), *tokens)
            except errors.TransientError as exc:
                return Outcome(unit.text, FAILED,
                               f"gave up after {self._s.retry.max_attempts} attempts: {exc}", *tokens)
            tokens[0] += response.prompt_tokens
            tokens[1] += response.completion_tokens
            if response.finish_reason == "length":
                reason = "translation truncated at max_tokens (finish_reason 'length')"
                continue
            try:
                checked = check_translation(unit.text, response.text)
            except PlaceholderError as exc:
                reason = f"tags damaged: {exc}"
                continue
            status = REPAIRED if checked.repaired else TRANSLATED
            return Outcome(checked.text, status, "tags repaired" if checked.repaired else "", *tokens)
        return Outcome(unit.text, FALLBACK, reason, *tokens)

    async def _send(self, unit: Unit) -> TranslationResponse:
        request = self._request(unit)
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(errors.TransientError),
            stop=stop_after_attempt(self._s.retry.max_attempts),
            wait=self._wait,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(unit, request, attempt.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _attempt(self, unit: Unit, request: TranslationRequest, number: int) -> TranslationResponse:
        await self._wait_for_cooldown()
        if self.fatal is not None:
            raise JobStopped(str(self.fatal))
        started = time.monotonic()
        self.requests_sent += 1
        try:
            response = await self._backend.translate(request)
        except errors.ServiceError as exc:
            self._record(unit, None, exc, started, number)
            if isinstance(exc, errors.RateLimited) and exc.retry_after:
                self._resume_at = max(self._resume_at, time.monotonic() + exc.retry_after)
            raise
        self._record(unit, response, None, started, number)
        return response

    async def _wait_for_cooldown(self) -> None:
        delay = self._resume_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _wait(self, state: RetryCallState) -> float:
        backoff = self._backoff(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        return max(backoff, retry_after) if retry_after else backoff

    def _request(self, unit: Unit) -> TranslationRequest:
        model = self._s.model
        src = self._s.source_lang
        return TranslationRequest(
            text=unit.text, model=model,
            source_lang=src.api_name(model) if src else "auto",
            target_lang=unit.target.api_name(model),
            terms=unit.terms, tm_list=unit.tm_list,
            domains=self._s.domains or None, sampling=self._s.sampling,
        )

    def _record(self, unit: Unit, response: TranslationResponse | None,
                exc: errors.ServiceError | None, started: float, number: int) -> None:
        if response is not None:
            status = "ok" if response.finish_reason != "length" else "length"
            self._on_attempt(Attempt(
                unit.origin, unit.target.code, self._s.model, response.request_id,
                response.prompt_tokens, response.completion_tokens, status,
                time.monotonic() - started, number))
        else:
            self._on_attempt(Attempt(
                unit.origin, unit.target.code, self._s.model, exc.request_id if exc else None,
                0, 0, type(exc).__name__, time.monotonic() - started, number))
