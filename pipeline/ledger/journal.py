"""What a run records: ledger rows, pending requests, cache entries and TM additions.

The journal is the writing side of the job's memory (:mod:`pipeline.memory.lookup` is
the reading side). The worker pool reports to it through its observers (``on_send``
before a request is sent, ``on_attempt`` after each attempt, ``on_outcome`` when a unit
is settled); the run tells it which plan each sent unit belongs to (:meth:`expect`) and
which answers came from memory (:meth:`record_answer`). Nothing flows back to the pool.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import StateWriteFailed
from pipeline.memory.lookup import MemoryStats, MemoryDecision, expected_engine
from pipeline.memory.sources import code_of
from pipeline.ledger.store import STATE_FILE, StateStore, ledger_row
from pipeline.memory.text import normalize
from pipeline.provenance import endpoint_of
from pipeline.translate.units import TRANSLATED, Attempt, Outcome, Unit
from pipeline.ledger.usage import TM_HIT, split_tokens

if TYPE_CHECKING:
    from pipeline.config import Job

EXPORT_SECONDS = 5.0


class Journal:
    """The run's writes to the job's state store and ledger; see the module docstring."""

    def __init__(self, job: Job, store: StateStore, *, run_id: str, region: str, ledger_dir: Path,
                 engine: str = "", stats: MemoryStats | None = None):
        self.job = job
        self.store = store
        self.engine = expected_engine(job, store, engine)
        self.answered_by: dict[str, int] = {}   # answers received this run, by engine
        self.run_id = run_id
        self.region = region
        self.ledger_dir = ledger_dir
        self.stats = stats or MemoryStats()     # media pieces answered by the cache (pipeline.media.run)
        self.use_cache = job.cache
        self._inflight: dict[tuple, MemoryDecision] = {}
        self._settled: set[tuple] = set()
        self._tm_rows: set[tuple[str, str]] = set()
        self._pending: list[dict[str, Any]] = []
        self._pending_cache: list[tuple[str, str, str]] = []
        self._pending_tm: list[tuple[str, str, str, str, str, str, str]] = []
        self._pending_engines: list[tuple[str, str]] = []
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

    def expect(self, plan: MemoryDecision, key: tuple) -> None:
        """``plan`` is being sent as the unit ``key``: its answer is stored under the plan's key."""
        if key not in self._settled:
            self._inflight.setdefault(key, plan)

    def record_answer(self, plan: MemoryDecision) -> None:
        """An answer from memory: a TM hit gets its one ``tm_hit`` ledger row (zero tokens)."""
        if plan.source != "tm" or (plan.text, plan.lang.code) in self._tm_rows:
            return
        self._tm_rows.add((plan.text, plan.lang.code))
        engine = plan.outcome.engine if plan.outcome else ""
        self._journal(self._row(plan.origin, plan.lang.code, None, 0, 0, TM_HIT, 0.0, 0, share=0.0, engine=engine))

    def forget(self, plan: MemoryDecision | None) -> None:
        """A stored translation the format could not write back: never reuse it."""
        if plan is None or plan.source in ("tm", "human") or not plan.key:
            return
        self.flush()  # it may still be waiting to be written
        self.store.forget(plan.key, normalize(plan.text), code_of(self.job.source_lang), plan.lang.code,
                          plan.fingerprint)

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

    # --- the pool's observers ----------------------------------------------------------------

    def record_send(self, a: Attempt) -> None:
        """The pool's ``on_send``: journal a request before it is sent, at once (status
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
        """The pool's ``on_attempt``: journal the request's ledger rows, one per origin file
        (a packed request's tokens split by the source tokens each file put in); they
        replace its pending rows."""
        if a.engine:
            if a.engine not in self.answered_by:  # stored with the first answer: a killed run knows it too
                self._pending_engines.append((endpoint_of(self.job), a.engine))
            self.answered_by[a.engine] = self.answered_by.get(a.engine, 0) + 1
        for row in self._rows(a):
            self._journal(row)

    def on_outcome(self, unit: Unit, outcome: Outcome) -> None:
        """The pool's ``on_outcome``, called right after the response that settled ``unit``:
        cache entry, TM addition and pending ledger rows in one transaction."""
        plan = self._inflight.pop(unit.key, None)
        if plan is None or unit.key in self._settled:
            return
        self._settled.add(unit.key)
        if outcome.status == TRANSLATED and outcome.engine:  # stored under the engine that answered
            if self.use_cache:
                self._pending_cache.append((plan.key, outcome.text, outcome.engine))
            self._pending_tm.append((code_of(self.job.source_lang), plan.lang.code, normalize(plan.text),
                                     plan.text, outcome.text, plan.fingerprint, outcome.engine))
        self._schedule_flush()

    # --- writing -------------------------------------------------------------------------------

    def _rows(self, a: Attempt) -> list[dict[str, Any]]:
        origins = a.by_origin()
        shares = [share for _, share in origins]
        prompts = split_tokens(a.prompt_tokens, shares)
        completions = split_tokens(a.completion_tokens, shares)
        return [self._row(origin, a.target_lang, a.request_id, prompt, completion, a.status, a.latency, a.attempt,
                          share=share, segments=a.segments, engine=a.engine, estimated=a.estimated,
                          attempt_key=a.key or None)
                for (origin, share), prompt, completion in zip(origins, prompts, completions)]

    def _row(self, origin: str, lang: str, request_id: str | None, prompt: int, completion: int,
             status: str, latency: float, attempt: int, *, share: float = 1.0, segments: int = 1,
             engine: str = "", estimated: bool = False, attempt_key: str | None = None) -> dict[str, Any]:
        return ledger_row(job=self.job.name, run_id=self.run_id, region=self.region, file=origin,
                          target_lang=lang, model=self.job.model, request_id=request_id,
                          prompt_tokens=prompt, completion_tokens=completion, status=status,
                          latency_s=latency, attempt=attempt, share=share, segments=segments, engine=engine,
                          estimated=estimated, attempt_key=attempt_key)

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
        if self._pending or self._pending_cache or self._pending_tm or self._pending_engines:
            try:
                self.store.commit(ledger=self._pending, cache=self._pending_cache, tm=self._pending_tm,
                                  engines=self._pending_engines)
            except (sqlite3.Error, OSError) as exc:
                self.error, self.error_path = _reason(exc), str(self.store.path)
                return
            self._pending, self._pending_cache, self._pending_tm, self._pending_engines = [], [], [], []
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


__all__ = ["EXPORT_SECONDS", "Journal", "open_store"]
