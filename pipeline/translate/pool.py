"""Where a segment is translated: a bounded pool of async workers in front of the backend.

Every unit of work (one segment's text for one target language) goes through:

1. planned requests: a run's plan (:mod:`pipeline.job.plan`: de-duplication across the
   job, long segments split at sentence boundaries, packing across files, the same plan
   ``qmt estimate`` counts) hands the pool whole requests (:meth:`WorkerPool.send`) and
   asks for each unit's future (:meth:`WorkerPool.expect`, :meth:`WorkerPool.expect_split`
   for a split segment, whose pieces are joined). A media piece (a unit with ``media``)
   is a request of its own, sent to LiveTranslate through the same sender;
2. packing (:mod:`pipeline.translate.packing` writes the markers), with the pack size of
   :attr:`WorkerPool.sizer` (a :class:`~pipeline.translate.pack_size.PackSizer`: smaller
   while answers come back misaligned); an answer that is not one-to-one keeps its
   provably aligned pieces and sends only the rest again
   (:func:`~pipeline.translate.packing.salvage`); one that keeps nothing splits the
   batch in halves, down to single segments. Before that, what a damaged answer did
   not prove (the rest of a salvaged answer, often two segments, or a whole pack that
   kept nothing) is packed again with the leftovers of other answers of its language
   (:meth:`WorkerPool._repack`), up to ``REPACKS`` times, when the run is paced under a
   request limit: a request of two segments, or halves and quarters of a pack, would
   spend the minute's requests on a few hundred tokens each, and a run whose packs come
   back damaged would be held to the request limit far below the token limit (issue
   28). Those packs leave when full, or as soon as fewer requests are queued than there
   are workers (none waits for work that is not coming), or a rate window after their
   oldest unit came. A unit damaged again after that is sent as before: the rest of its
   answer alone, halves when nothing was proved;
   Against a model server whose speed sets a pack ceiling
   (:mod:`pipeline.translate.model_server`), a planned pack takes the packs queued behind
   it in its language as long as they fit the limits of now (:meth:`WorkerPool._grown`):
   a small job is planned whole before its first answer, at the speed of one short
   calibration request, and a ceiling learned since is then the better one (issue 28:
   calibrated at 1.4 output tokens a second on a loaded machine, a run planned every
   paragraph as a request of its own, 24 requests, where its answers then came at 3-4);
3. sending (:class:`~pipeline.translate.sender.Sender`): pacing under the account's
   requests and tokens per minute, shared by all workers, and tenacity retries for
   transient errors only, never sooner than Retry-After;
4. the answer's checks: ``finish_reason == "length"`` is a truncated translation (never
   accepted); the tags must survive (:func:`~pipeline.segments.check_translation`,
   small damage repaired); a bad piece is requested alone, once more, then the segment
   falls back to its source text and is reported.

The error tree decides the rest: a :class:`~pipeline.errors.SegmentError` leaves that
segment in the source language (a packed batch is split to find which one); a
:class:`~pipeline.errors.FatalServiceError`, or the budget refusing the next request
(:class:`~pipeline.errors.BudgetExceeded`), or the journal failing to record the next
request (:class:`~pipeline.errors.StateWriteFailed`), stops the pool at once: no worker
sends another request and every pending unit fails with :class:`JobStopped`.

Transient means retried, not lost: a request that used up its ``max_attempts`` goes back
in the queue after a pause of ``backoff_max``, as long as some request succeeded within
the last ``outage_seconds``; otherwise the service is down and the pool stops with
:class:`~pipeline.errors.ServiceUnavailable` (a rerun resumes).

The pool has one observer (:class:`~pipeline.translate.units.PoolObserver`, the run's
journal): every request is reported before it is sent (the pending ledger row), every
attempt after, failed ones included, and every unit once, when it is settled (its
``outcome`` set): the journal stores its answer under the unit's own cache key.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING

from pipeline import errors
from pipeline.segments import PlaceholderError, check_translation
from pipeline.tokens import count_tokens
from pipeline.translate.backend import Backend, TranslationResponse
from pipeline.translate.batching import Packer, piece_units
from pipeline.translate.pack_size import PackSizer
from pipeline.translate.packing import salvage
from pipeline.translate.sender import Sender
from pipeline.translate.split import Piece, join
from pipeline.translate.units import (FAILED, FALLBACK, REPAIRED, TRANSLATED, Attempt, JobStopped, Outcome,
                                      PoolObserver, PoolSettings, PoolStats, RetryPolicy, Unit)

if TYPE_CHECKING:   # made by engines when a run has media: the SDK loads with it, not with the pool
    from pipeline.translate.livetranslate_backend import LiveTranslateBackend

logger = logging.getLogger(__name__)

# Times a unit from a damaged answer is packed again with other leftovers before it is
# sent as before (with the rest of its answer, halves when nothing was proved): bounded,
# so that a model that damages every pack alike still ends.
REPACKS = 2

# What stops the whole pool (the rest are per request or per segment).
STOPPING = (errors.FatalServiceError, errors.BudgetExceeded, errors.ServiceUnavailable, errors.StateWriteFailed)

__all__ = ["FAILED", "FALLBACK", "REPAIRED", "TRANSLATED", "Attempt", "JobStopped", "Outcome", "PoolObserver",
           "PoolSettings", "PoolStats", "RetryPolicy", "Unit", "WorkerPool"]


class WorkerPool:
    """Send requests, await outcomes. Use ``async with WorkerPool(...) as pool``."""

    def __init__(self, backend: Backend, settings: PoolSettings, observer: PoolObserver, *,
                 media_backend: LiveTranslateBackend | None = None):
        self._s = settings
        self._observer = observer
        self.stats = PoolStats()
        self.fatal: errors.QmtError | None = None   # one of STOPPING: the job stops
        self._sender = Sender(backend, settings, self.stats, observer, lambda: self.fatal, media_backend)
        self.limiter = self._sender.limiter     # one pace for the account, text and media
        self._batches: deque[list[Unit]] = deque()
        self._has_work = asyncio.Event()
        self._futures: dict[tuple[object, ...], asyncio.Future[Outcome]] = {}
        self._workers: list[asyncio.Task[None]] = []
        # Observed after every answer; the packer asks it for the pack size (None: no packing).
        self.sizer = (PackSizer(settings.pack_max_segments, settings.pack_tokens, settings.pack_ceiling)
                      if settings.pack_tokens > 0 else None)
        if self.sizer is not None and settings.rpm and settings.tpm:   # packs no smaller than both limits need
            self.sizer.keep_requests_at(settings.tpm / settings.rpm)
        # The rest of salvaged answers, packed again per language (see the module docstring).
        self._leftovers = Packer(settings.pack_tokens, settings.pack_max_segments, settings.domains, self.sizer)
        self._repacks: dict[tuple[object, ...], int] = {}   # times each unit was packed again (REPACKS at most)
        # When each leftover still in an open pack was packed again, oldest first (a unit
        # leaves it when its pack closes, full or flushed): the age the flush goes by.
        self._open_leftovers: dict[tuple[object, ...], float] = {}

    async def __aenter__(self) -> "WorkerPool":
        self._workers = [asyncio.create_task(self._work()) for _ in range(self._s.concurrency)]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._sender.finish()

    # --- sending ---------------------------------------------------------------------

    def expect(self, unit: Unit) -> asyncio.Future[Outcome]:
        """The future outcome of ``unit``, made before its request is queued (the plan may
        still be filling the pack it travels in); an identical unit shares it."""
        future = self._futures.get(unit.key)
        if future is None:
            future = self._futures[unit.key] = asyncio.get_running_loop().create_future()
            if self.fatal is not None:
                future.set_exception(JobStopped(str(self.fatal)))
        return future

    def expect_split(self, unit: Unit, pieces: list[Piece]) -> asyncio.Future[Outcome]:
        """The future outcome of a unit sent as ``pieces``: joined once every piece is back."""
        future = self._futures.get(unit.key)
        if future is not None:
            return future
        future = self._futures[unit.key] = asyncio.get_running_loop().create_future()
        parts = [self.expect(part) for part in piece_units(unit, pieces)]
        gathered = asyncio.gather(*parts, return_exceptions=True)
        gathered.add_done_callback(lambda g: self._join_pieces(unit, pieces, g.result(), future))
        return future

    def send(self, request: list[Unit]) -> None:
        """Queue one planned request (a unit, or units of one language to pack together, or
        one media piece)."""
        for unit in request:
            self.expect(unit)
        if self.fatal is not None:
            self._fail(request, JobStopped(str(self.fatal)))
            return
        self._batches.append(request)
        self._has_work.set()

    def _join_pieces(self, unit: Unit, pieces: list[Piece], results: list[Outcome | BaseException],
                     future: asyncio.Future[Outcome]) -> None:
        if future.done():  # the pool stopped first
            return
        stopped = next((r for r in results if isinstance(r, BaseException)), None)
        if stopped is not None:
            future.set_exception(stopped)
            return
        answered = [r for r in results if isinstance(r, Outcome)]     # all of them, by the check above
        bad = [(i, r) for i, r in enumerate(answered) if r.status not in (TRANSLATED, REPAIRED)]
        if bad:
            i, r = bad[0]
            outcome = Outcome(unit.text, r.status, f"part {i + 1} of {len(pieces)}: {r.reason}")
        else:
            outcome = _joined_outcome(unit, pieces, answered)
        self._resolve(unit, outcome)

    # --- working ------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            batch = await self._next_batch()
            try:
                await self._translate_batch(batch)
            except STOPPING as exc:
                self._stop(exc)
                self._fail(batch, JobStopped(str(exc)))
            except Exception as exc:  # JobStopped, or a bug: fail what is left, never hang the run
                self._fail(batch, exc)

    def _resolve(self, unit: Unit, outcome: Outcome) -> None:
        """Settle one unit as soon as its outcome is known, so an answer already paid for
        is kept (and stored by the observer) even if the job stops before its batch ends."""
        future = self._futures.get(unit.key)
        if future is None or future.done():   # None: an identical media piece answered first
            return
        unit.outcome = outcome
        future.set_result(outcome)
        if unit.media is not None:  # its speech is not held for the run: nothing shares a piece
            del self._futures[unit.key]
        try:
            self._observer.settled(unit)
        except Exception:  # a failing observer must not take a worker down with it
            logger.exception("the observer failed on a settled unit")

    async def _next_batch(self) -> list[Unit]:
        self._flush_leftovers()
        while not self._batches:
            self._has_work.clear()
            await self._has_work.wait()
            self._flush_leftovers()
        return self._grown(self._batches.popleft())

    def _grown(self, batch: list[Unit]) -> list[Unit]:
        """``batch`` with the requests queued right behind it in its language, as long as
        all of them fit one pack at the limits of now (the packer's own rule); only under
        a model server's pack ceiling (see the module docstring), which the answers change
        after the plan was made. Otherwise the plan's requests are sent as planned (what
        ``qmt estimate`` counts)."""
        if self._s.pack_ceiling is None or self.sizer is None or batch[0].media is not None:
            return batch
        while self._batches:
            following = self._batches[0]
            if following[0].media is not None or following[0].target.code != batch[0].target.code:
                break
            packer = Packer(self._s.pack_tokens, self._s.pack_max_segments, self._s.domains, self.sizer)
            if any(packer.add(unit) for unit in batch + following):
                break               # together they would be more than one pack
            batch = batch + self._batches.popleft()
        return batch

    def _flush_leftovers(self) -> None:
        """The leftovers' open packs leave as they are, first in the queue, when fewer
        requests are queued than there are workers (none waits for work that is not
        coming) or when the oldest leftover has waited a whole rate window (its file is
        held for it; a long queue must not keep it to the end of the run)."""
        since = self._leftover_since()
        if since is None:
            return
        if len(self._batches) < self._s.concurrency or self._s.clock.now() - since >= self._s.rate_window:
            self._batches.extendleft(reversed(self._leftovers.close()))
            self._open_leftovers.clear()

    def _leftover_since(self) -> float | None:
        """When the oldest leftover still waiting in an open pack was packed again (None:
        none waits). Not the oldest since the last flush: one that left in a full pack
        waits for nothing, and counting it made every rate window send each language's
        open pack half full (issue 28: three requests of ~15 segments a minute on the
        docs site, each one of the request limit's slots at less than half a pack)."""
        return next(iter(self._open_leftovers.values()), None)

    def _fail(self, batch: list[Unit], exc: BaseException) -> None:
        for unit in batch:
            future = self._futures.get(unit.key)
            if future is not None and not future.done():
                future.set_exception(exc)

    def _stop(self, exc: errors.QmtError) -> None:
        if self.fatal is None:
            self.fatal = exc
        self._batches.extend(self._leftovers.close())
        self._open_leftovers.clear()
        while self._batches:
            self._fail(self._batches.popleft(), JobStopped(str(exc)))
        # Units expected but not queued yet (their pack was still open) will never be sent.
        stopped = JobStopped(str(exc))
        for future in self._futures.values():
            if not future.done():
                future.set_exception(stopped)

    # --- translating a batch ------------------------------------------------------------

    async def _translate_batch(self, units: list[Unit]) -> None:
        if len(units) == 1:
            await self._translate_one(units[0])
            return
        try:
            response = await self._sender.send(units)
            _check_finished(response)
        except (errors.SegmentError, errors.TruncatedOutput):
            await self._split(units)  # find the segment the service refused, or make room
            return
        except errors.TransientError as exc:
            self._requeue(units, exc)
            return
        found = salvage(response.text, [u.text for u in units])
        self._observe(len(units), len(found.misaligned), response.prompt_tokens + response.completion_tokens,
                      sum(count_tokens(u.text) for u in units))
        self.stats.packed_requests += 1
        if found.misaligned:
            self.stats.misaligned += len(found.misaligned)
            if not found.pieces:  # nothing provable: packed again, then halves (which progress even if damaged alike)
                if rest := self._repack(units):
                    await (self._split(rest) if len(rest) == len(units) else self._translate_batch(rest))
                return
        self.stats.packed_segments += len(found.pieces)
        for i, piece in sorted(found.pieces.items()):
            try:
                self._resolve(units[i], _checked(units[i], piece, response.engine))
            except errors.BadTranslation:
                self.stats.piece_retries += 1
                await self._translate_one(units[i])
        if found.misaligned:  # only the misaligned part is paid for again
            self.stats.resent_segments += len(found.misaligned)
            if rest := self._repack([units[i] for i in found.misaligned]):
                await self._translate_batch(rest)

    def _repack(self, units: list[Unit]) -> list[Unit]:
        """Pack ``units`` (what a damaged answer did not prove) with the other leftovers of
        their language, each at most ``REPACKS`` times, under a request limit only (without
        one a small request costs nothing but its latency, and sent at once it finishes its
        file sooner); a full pack goes to the front of the queue (it holds files planned
        earlier). Returns the units not taken, to send as before."""
        if not self._s.rpm:
            return units
        rest = []
        for unit in units:
            self._repacks[unit.key] = self._repacks.get(unit.key, 0) + 1
            if self._repacks[unit.key] > REPACKS:
                rest.append(unit)
                continue
            self._open_leftovers.pop(unit.key, None)
            self._open_leftovers[unit.key] = self._s.clock.now()
            for request in self._leftovers.add(unit):
                self._batches.appendleft(request)
                for left in request:
                    self._open_leftovers.pop(left.key, None)
        if len(rest) < len(units):
            self._has_work.set()
        return rest

    def _observe(self, segments: int, misaligned: int, tokens: int = 0, source: int = 0) -> None:
        if self.sizer is not None:
            self.sizer.observe(segments, misaligned, tokens, source)

    async def _split(self, units: list[Unit]) -> None:
        """Halves: the first sent by this worker, the second first in the queue, for any
        worker free meanwhile. One worker takes them in the order it always did (the
        second half, and whatever the first one split into, come back to it first), but
        no worker waits for the other half's answer to send it: at the end of a run,
        when the queue is empty and packs come back damaged, halves sent one after the
        other by one worker while the others idled were what the last seconds held."""
        self.stats.batch_splits += 1
        mid = len(units) // 2
        self._batches.appendleft(units[mid:])
        self._has_work.set()
        await self._translate_batch(units[:mid])

    async def _translate_media(self, unit: Unit) -> None:
        """A media piece: one LiveTranslate request; its answer is the outcome's text and speech."""
        try:
            response = await self._sender.send_media(unit)
        except errors.SegmentError as exc:
            self._resolve(unit, Outcome("", FAILED, str(exc)))
            return
        except errors.TransientError as exc:
            self._requeue([unit], exc)
            return
        if not response.text:
            self._resolve(unit, Outcome("", FAILED, "the service returned no text for this piece", response.engine))
            return
        self._resolve(unit, Outcome(response.text, TRANSLATED, engine=response.engine, speech=response.speech))

    async def _translate_one(self, unit: Unit) -> None:
        if unit.media is not None:
            await self._translate_media(unit)
            return
        reason = ""
        for _ in range(2):  # a bad answer is asked for once more, then we fall back
            try:
                response = await self._sender.send([unit])
                self._observe(1, 0)  # a single answer is aligned: lets a pack size of 1 grow back
                _check_finished(response)
                self._resolve(unit, _checked(unit, response.text, response.engine))
                return
            except (errors.TruncatedOutput, errors.BadTranslation) as exc:
                reason = str(exc)
            except errors.SegmentError as exc:
                self._resolve(unit, Outcome(unit.text, FAILED, str(exc)))
                return
            except errors.TransientError as exc:
                self._requeue([unit], exc)
                return
        self._resolve(unit, Outcome(unit.text, FALLBACK, reason))

    def _requeue(self, units: list[Unit], exc: errors.TransientError) -> None:
        """A request that used up its attempts goes back in the queue after a pause, unless
        nothing has succeeded for ``outage_seconds``: then the service is down (raises)."""
        quiet = self._s.clock.now() - self._sender.last_success
        if quiet >= self._s.outage_seconds:
            raise errors.ServiceUnavailable(
                f"service unavailable: no request succeeded for {quiet:.0f} s (last error: {exc}); "
                "run again to resume")
        self.stats.requeued += 1
        logger.info("a request used up %d attempts (%s): queued again", self._s.retry.max_attempts, exc)
        asyncio.get_running_loop().call_later(self._s.retry.max_wait, self._push_back, units)

    def _push_back(self, units: list[Unit]) -> None:
        units = [u for u in units if u.key in self._futures and not self._futures[u.key].done()]
        if not units:
            return
        if self.fatal is not None:
            self._fail(units, JobStopped(str(self.fatal)))
            return
        self._batches.append(units)
        self._has_work.set()


def _check_finished(response: TranslationResponse) -> None:
    """A translation cut at max_tokens is incomplete: never accepted."""
    if response.finish_reason == "length":
        raise errors.TruncatedOutput("translation truncated at max_tokens (finish_reason 'length')")


def _checked(unit: Unit, text: str, engine: str) -> Outcome:
    """The outcome for a translation whose tags pass the check (small damage repaired)."""
    try:
        checked = check_translation(unit.text, text)
    except PlaceholderError as exc:
        raise errors.BadTranslation(f"tags damaged: {exc}") from None
    if checked.repaired:
        return Outcome(checked.text, REPAIRED, "tags repaired", engine)
    return Outcome(checked.text, TRANSLATED, engine=engine)


def _joined_outcome(unit: Unit, pieces: list[Piece], results: list[Outcome]) -> Outcome:
    engines = sorted({r.engine for r in results})
    try:  # pieces answered by different engines are no one engine's answer ("" = unknown)
        outcome = _checked(unit, join(pieces, [r.text for r in results]), engines[0] if len(engines) == 1 else "")
    except errors.BadTranslation as exc:
        return Outcome(unit.text, FALLBACK, f"joined pieces: {exc}")
    if any(r.status == REPAIRED for r in results):
        return Outcome(outcome.text, REPAIRED, "tags repaired", outcome.engine)
    return outcome
