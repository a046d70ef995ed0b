"""What a run records: ledger rows, pending requests, cache entries and TM additions.

The journal is the writing side of the job's memory (:mod:`pipeline.memory.lookup` is
the reading side). It is the worker pool's only observer (:class:`~pipeline.translate.
units.PoolObserver`): told of each request before it is sent (:meth:`record_send`),
after each attempt (:meth:`record_attempt`), and once of each unit the pool settles
(:meth:`settled`); the unit is the plan's own record and carries the cache key its
answer is stored under, so nothing needs matching. The run tells it which answers came
from memory (:meth:`record_answer`). Nothing flows back to the pool; what the run spent
is gathered here (:attr:`Journal.spent`) for the run's result.

A clean answer (status TRANSLATED) is stored at once, in the same SQLite transaction
as the ledger row of the request that paid for it: cache entry and TM addition (for a
packed request, every segment it answered). So a run killed at any point, and started
again, sends no segment whose answer had been received and stored.

Packed requests carry the union of their segments' terms and ``tm_list``; each segment
is still cached under its own key (its own terms and TM entries), so what a segment
gets from the cache does not depend on which neighbours it happened to travel with.
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import StateWriteFailed
from pipeline.ledger.store import STATE_FILE, StateStore, ledger_row, media_key
from pipeline.provenance import endpoint_of, job_engine
from pipeline.translate.units import TM, TRANSLATED, Attempt, Unit
from pipeline.ledger.usage import TM_HIT, split_tokens

if TYPE_CHECKING:
    from pipeline.config import Job

EXPORT_SECONDS = 5.0


@dataclass
class Spent:
    """What the run's requests cost, as the journal recorded them (every attempt)."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    answered_by: dict[str, int] = field(default_factory=dict)   # answers received, by engine

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def expected_engine(job: Job, store: StateStore, engine: str = "") -> str:
    """The engine whose stored answers a run reuses (:mod:`pipeline.provenance`)."""
    return store.learned_engine(endpoint_of(job)) or engine or job_engine(job)


def _source_code(job: Job) -> str:
    return job.source_lang.code if job.source_lang else ""


class Journal:
    """The run's writes to the job's state store and ledger; see the module docstring."""

    def __init__(self, job: Job, store: StateStore, *, run_id: str, region: str, ledger_dir: Path,
                 engine: str = ""):
        self.job = job
        self.store = store
        self.engine = expected_engine(job, store, engine)
        self.spent = Spent()
        self.run_id = run_id
        self.region = region
        self.ledger_dir = ledger_dir
        self.use_cache = job.cache
        self._tm_rows: set[tuple[str, str]] = set()
        self._pending: list[dict[str, Any]] = []
        self._pending_cache: list[tuple[str, str, str]] = []
        self._pending_tm: list[tuple[str, str, str, str, str, str, str]] = []
        self._pending_engines: list[tuple[str, str]] = []
        self._pending_media: list[tuple[str, str, bytes]] = []
        self._flush_scheduled = False
        self._last_export = time.monotonic()
        self.error: str | None = None  # the last failure to write the state store or ledger ...
        self.error_path = ""           # ... and the path it could not write

    @classmethod
    def open(cls, job: Job, *, run_id: str, region: str, ledger_dir: Path, engine: str = "") -> "Journal":
        """Open the job's store for writing (QmtError if it cannot be opened).

        Journal rows a killed run left unexported go to the Parquet ledger first."""
        store = open_store(job)
        try:
            store.reconcile_pending()   # requests a killed run had in flight: outcome unknown
            store.recover_exports(ledger_dir)
            store.export_ledger(ledger_dir)
        except (sqlite3.Error, OSError) as exc:  # nothing is sent on a state that cannot be written
            store.close()
            raise StateWriteFailed(ledger_dir if isinstance(exc, OSError) else store.path, _reason(exc)) from None
        return cls(job, store, run_id=run_id, region=region, ledger_dir=ledger_dir, engine=engine)

    # --- what the run tells it -------------------------------------------------------------

    def record_answer(self, unit: Unit) -> None:
        """An answer from memory: a TM hit gets its one ``tm_hit`` ledger row (zero tokens)."""
        if unit.source != TM or (unit.text, unit.target.code) in self._tm_rows:
            return
        self._tm_rows.add((unit.text, unit.target.code))
        engine = unit.outcome.engine if unit.outcome else ""
        self._journal(self._row(unit.origin, unit.target.code, None, 0, 0, TM_HIT, 0.0, 0, share=0.0, engine=engine))

    def forget(self, unit: Unit | None) -> None:
        """A stored translation the format could not write back: never reuse it."""
        if unit is None or not unit.sent or not unit.cache_key:
            return
        self.flush()  # it may still be waiting to be written
        self.store.forget(unit.cache_key, unit.norm, _source_code(self.job), unit.target.code, unit.fingerprint)

    def record_edits(self, rows: list[tuple[str, str, str, str]], origin: str) -> None:
        """Reviewers' edits of a committed output, taken in as human translations
        ((source_lang, target_lang, source, target) each), at once and on their own:
        they are a person's work, kept whatever happens to the rest of the run."""
        if not rows:
            return
        try:
            self.store.store_human([(*row, origin) for row in rows])
        except (sqlite3.Error, OSError) as exc:
            self.error, self.error_path = _reason(exc), str(self.store.path)
            raise StateWriteFailed(self.error_path, self.error) from None

    def record_lock(self, records: list[tuple[str, str, str]]) -> None:
        """A file's lock entries, journaled before its outputs are renamed into place
        (StateWriteFailed: the outputs must not be renamed)."""
        if self.error is not None:
            raise StateWriteFailed(self.error_path, self.error)
        try:
            self.store.journal_lock(records)
        except (sqlite3.Error, OSError) as exc:
            self.error, self.error_path = _reason(exc), str(self.store.path)
            raise StateWriteFailed(self.error_path, self.error) from None

    # --- the pool's observer ------------------------------------------------------------------

    def record_send(self, a: Attempt) -> None:
        """Before each request: journal it, at once (status
        ``pending``, prompt counted, completion estimated), so a lost answer or a killed
        process leaves it in the ledger. Raises StateWriteFailed when the journal or the
        ledger cannot be written: the request is not sent, and neither is any other."""
        if self.error is not None:
            raise StateWriteFailed(self.error_path, self.error)
        try:
            self.store.journal_pending(self._rows(a))
        except (sqlite3.Error, OSError) as exc:
            self.error, self.error_path = _reason(exc), str(self.store.path)
            raise StateWriteFailed(self.error_path, self.error) from None

    def record_attempt(self, a: Attempt) -> None:
        """After each attempt: journal the request's ledger rows, one per origin file
        (a packed request's tokens split by the source tokens each file put in); they
        replace its pending rows."""
        spent = self.spent
        spent.requests += 1
        spent.prompt_tokens += a.prompt_tokens
        spent.completion_tokens += a.completion_tokens
        if a.engine:
            if a.engine not in spent.answered_by:  # stored with the first answer: a killed run knows it too
                self._pending_engines.append((endpoint_of(self.job), a.engine))
            spent.answered_by[a.engine] = spent.answered_by.get(a.engine, 0) + 1
        for row in self._rows(a):
            self._journal(row)

    def settled(self, unit: Unit) -> None:
        """The pool settled ``unit`` (its ``outcome`` set), right after the response that
        answered it: its cache entry and TM addition go in one transaction with the
        pending ledger rows. Told once per unit; a unit without a cache key (a piece of a
        split segment) stores nothing."""
        outcome = unit.outcome
        if outcome is not None and unit.cache_key and outcome.status == TRANSLATED and outcome.engine:
            if unit.media is not None:  # keyed with the engine that answered
                if self.use_cache:
                    self._pending_media.append((media_key(unit.cache_key, outcome.engine), outcome.text,
                                                outcome.speech))
            else:                       # stored under the engine that answered
                if self.use_cache:
                    self._pending_cache.append((unit.cache_key, outcome.text, outcome.engine))
                self._pending_tm.append((_source_code(self.job), unit.target.code, unit.norm, unit.text,
                                         outcome.text, unit.fingerprint, outcome.engine))
        self._schedule_flush()

    # --- writing -------------------------------------------------------------------------------

    def _rows(self, a: Attempt) -> list[dict[str, Any]]:
        origins = a.by_origin()
        shares = [share for _, share in origins]
        prompts = split_tokens(a.prompt_tokens, shares)
        completions = split_tokens(a.completion_tokens, shares)
        return [self._row(origin, a.target_lang, a.request_id, prompt, completion, a.status, a.latency, a.attempt,
                          share=share, segments=a.segments, engine=a.engine, estimated=a.estimated,
                          attempt_key=a.key or None, model=a.model, audio=a.audio_tokens, video=a.video_tokens)
                for (origin, share), prompt, completion in zip(origins, prompts, completions)]

    def _row(self, origin: str, lang: str, request_id: str | None, prompt: int, completion: int,
             status: str, latency: float, attempt: int, *, share: float = 1.0, segments: int = 1,
             engine: str = "", estimated: bool = False, attempt_key: str | None = None, model: str = "",
             audio: int = 0, video: int = 0) -> dict[str, Any]:
        return ledger_row(job=self.job.name, run_id=self.run_id, region=self.region, file=origin,
                          target_lang=lang, model=model or self.job.model, request_id=request_id,
                          prompt_tokens=prompt, completion_tokens=completion, status=status,
                          latency_s=latency, attempt=attempt, share=share, segments=segments, engine=engine,
                          estimated=estimated, attempt_key=attempt_key, audio_tokens=audio, video_tokens=video)

    def _journal(self, row: dict[str, Any]) -> None:
        """A ledger row waits for the answers it paid for (one transaction with their
        cache entries); whatever is pending at the end of this turn of the loop is written."""
        self._pending.append(row)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write pending ledger rows, cache entries and TM additions in one transaction.

        A failed write (disk full, a locked or damaged database) keeps everything pending
        for the next flush and is recorded in :attr:`error`: the next request is refused
        (:meth:`record_send`), so the run stops spending; the run reports it.
        """
        self._flush_scheduled = False
        if self._pending or self._pending_cache or self._pending_tm or self._pending_engines or self._pending_media:
            try:
                self.store.commit(ledger=self._pending, cache=self._pending_cache, tm=self._pending_tm,
                                  engines=self._pending_engines, media=self._pending_media)
            except (sqlite3.Error, OSError) as exc:
                self.error, self.error_path = _reason(exc), str(self.store.path)
                return
            self._pending, self._pending_cache, self._pending_tm, self._pending_engines = [], [], [], []
            self._pending_media = []
        if time.monotonic() - self._last_export > EXPORT_SECONDS:
            self._last_export = time.monotonic()
            self._export()

    def _export(self) -> None:
        try:
            self.store.export_ledger(self.ledger_dir)
        except (sqlite3.Error, OSError) as exc:  # the rows stay in the journal for the next export
            self.error, self.error_path = _reason(exc), str(self.ledger_dir)

    def close(self) -> None:
        """Write what is pending, export the ledger journal, close the store."""
        try:
            self.flush()
            try:  # requests cut off by the stop: they may have been billed
                self.store.reconcile_pending(run_id=self.run_id)
            except (sqlite3.Error, OSError) as exc:  # the next start reconciles them
                self.error, self.error_path = _reason(exc), str(self.store.path)
            self._export()
        finally:
            self.store.close()

    @property
    def state_error(self) -> str | None:
        """The last failure to write the state, as one line naming the path."""
        return f"cannot write {self.error_path}: {self.error}" if self.error else None


def _reason(exc: BaseException) -> str:
    """An OS or SQLite error as one short line (no path: the caller names it)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def open_store(job: Job) -> StateStore:
    """The job's state store, for writing (QmtError if it cannot be opened)."""
    from pipeline.errors import QmtError

    try:
        return StateStore(job.state_dir / STATE_FILE)
    except (OSError, sqlite3.Error) as exc:  # a read-only folder, a corrupt file ...
        raise QmtError(f"cannot open the job's state store {job.state_dir / STATE_FILE}: {exc}") from None


__all__ = ["EXPORT_SECONDS", "Journal", "Spent", "expected_engine", "open_store"]
