"""What the runner asks the memory during a run: answer from memory, or what to send.

Per (segment, target language), :meth:`RunMemory.submit` decides, in this order
(``--force`` skips steps 1-3):

0. **a reviewed (human) translation** imported from XLIFF (``qmt xliff import``): it
   outranks everything, ``--force`` included, and is never sent; no ledger row;
   counted as ``human_hits``;
1. **exact match in the job's TM file** (the user's memory, the authority): reused
   without a request; one ledger row with status ``tm_hit`` and zero tokens;
2. **cache**: the same segment with the same terms, ``tm_list``, model, languages,
   domains and sampling was translated before: reused, no ledger row (the ledger stays
   one row per request); counted as ``cache_hits`` in the run report;
3. **exact match in the job's own memory** (translations of earlier runs) made with the
   same settings except ``tm_list``: reused like a TM hit (``tm_hit`` row). This is what
   keeps an unchanged job at zero requests even when a neighbour's new translation
   changes the ``tm_list`` (and so the cache key) of a segment that did not change;
4. otherwise a request: the terms occurring in the segment and the best fuzzy TM
   entries (the TM file and earlier runs' translations) go with it.

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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.config import Job
from pipeline.errors import QmtError, StateWriteFailed
from pipeline.languages import Language
from pipeline.memory.sources import Entry, code_of
from pipeline.memory.store import STATE_FILE, StateStore, cache_key, fingerprint, ledger_row
from pipeline.memory.terms import Glossary, missing_terms
from pipeline.memory.text import normalize, same_but_tag_ids
from pipeline.memory.tm import TranslationMemory, fit_target, write_tmx
from pipeline.provenance import HUMAN_ENGINE, TM_FILE_ENGINE, endpoint_of, is_real, job_engine
from pipeline.translate.backend import TermPair
from pipeline.translate.pool import REPAIRED, TRANSLATED, Attempt, Outcome, Unit, WorkerPool
from pipeline.usage.ledger import TM_HIT, split_tokens

TERM_MISSING = "term_missing"   # report status of a translation lacking a sent term's target
EXPORT_SECONDS = 5.0


@dataclass
class Plan:
    """How one (segment text, language) is answered this run."""

    text: str
    lang: Language
    origin: str
    terms: tuple[TermPair, ...] = ()
    tm_list: tuple[TermPair, ...] = ()
    key: str = ""
    fingerprint: str = ""
    source: str = "request"     # request | cache | tm
    outcome: Outcome | None = None

    @property
    def unit(self) -> Unit:
        return Unit(self.text, self.lang, terms=self.terms, tm_list=self.tm_list, origin=self.origin)


@dataclass
class MemoryStats:
    cache_hits: int = 0
    tm_hits: int = 0
    human_hits: int = 0


class RunMemory:
    """Glossary, TM and state store for one run of a job; see the module docstring."""

    def __init__(self, job: Job, store: StateStore, *, run_id: str, region: str, ledger_dir: Path,
                 glossary: Glossary | None = None, tm: TranslationMemory | None = None, engine: str = ""):
        self.job = job
        self.store = store
        # The engine this run expects (pipeline.provenance): only its answers are reused.
        self.engine = store.learned_engine(endpoint_of(job)) or engine or job_engine(job)
        self.answered_by: dict[str, int] = {}   # answers received this run, by engine
        self.run_id = run_id
        self.region = region
        self.ledger_dir = ledger_dir
        self.glossary = glossary or Glossary()
        self.tm = tm or TranslationMemory()
        self.force = job.force
        self.use_cache = job.cache
        self.threshold = job.tm_fuzzy_threshold
        self.max_entries = job.tm_max_entries
        # Fuzzy matches come from the TM file and the job's earlier translations (a
        # snapshot: what this run adds is not used by this run, so its requests do not
        # depend on the order in which answers arrive).
        self._fuzzy = TranslationMemory([*self.tm.entries, *store.tm_entries(engine=self.engine)])
        self._tm_upto = store.last_tm_id()  # exact matches too: what earlier runs stored
        self.stats = MemoryStats()
        self._plans: dict[tuple[str, str], Plan] = {}
        self._inflight: dict[tuple, Plan] = {}
        self._settled: set[tuple] = set()
        self._tm_rows: set[tuple[str, str]] = set()
        self._pending: list[dict[str, Any]] = []
        self._pending_cache: list[tuple[str, str]] = []
        self._pending_tm: list[tuple[str, str, str, str, str, str, str]] = []
        self._pending_engines: list[tuple[str, str]] = []
        self._flush_scheduled = False
        self._last_export = time.monotonic()
        self.dry = False            # planning only (qmt estimate): journal nothing
        self.use_human = True       # False: what the machine side alone would answer (XLIFF import)
        self.error: str | None = None  # the last failure to write the state store or ledger ...
        self.error_path = ""           # ... and the path it could not write

    @classmethod
    def for_estimate(cls, job: Job) -> "RunMemory":
        """The memory as a run would see it, for planning only: reads the job's glossary,
        TM and state store, and writes nothing."""
        glossary = Glossary.load(job.terms_file) if job.terms_file else Glossary()
        tm = TranslationMemory.load(job.tm_file) if job.tm_file else TranslationMemory()
        try:
            store = StateStore.read_only(job.state_dir / STATE_FILE)
        except sqlite3.Error as exc:
            raise QmtError(f"cannot read the job's state store {job.state_dir / STATE_FILE}: {exc}") from None
        memory = cls(job, store, run_id="estimate", region="", ledger_dir=job.state_dir / "ledger",
                     glossary=glossary, tm=tm)
        memory.dry = True
        return memory

    @classmethod
    def open(cls, job: Job, *, run_id: str, region: str, ledger_dir: Path, engine: str = "") -> "RunMemory":
        """Load the job's glossary and TM and open its store (ConfigError on a bad file).

        Journal rows a killed run left unexported go to the Parquet ledger first."""
        glossary = Glossary.load(job.terms_file) if job.terms_file else Glossary()
        tm = TranslationMemory.load(job.tm_file) if job.tm_file else TranslationMemory()
        store = open_store(job)
        try:
            store.reconcile_pending()   # requests a killed run had in flight: outcome unknown
            store.recover_exports(ledger_dir)
            store.export_ledger(ledger_dir)
        except (sqlite3.Error, OSError) as exc:  # nothing is sent on a state that cannot be written
            store.close()
            raise StateWriteFailed(ledger_dir if isinstance(exc, OSError) else store.path, _reason(exc)) from None
        return cls(job, store, run_id=run_id, region=region, ledger_dir=ledger_dir, glossary=glossary, tm=tm,
                   engine=engine)

    # --- deciding --------------------------------------------------------------------------

    def plan(self, text: str, lang: Language, origin: str) -> Plan:
        """The plan for ``text`` into ``lang`` (the same one for every file of the run)."""
        known = self._plans.get((text, lang.code))
        if known is None:
            known = self._plans[(text, lang.code)] = self._decide(text, lang, origin)
        return known

    def _decide(self, text: str, lang: Language, origin: str) -> Plan:
        job = self.job
        src = code_of(job.source_lang)
        if self.use_human and (reviewed := self.store.human(text, src, lang.code)) is not None:
            self.stats.human_hits += 1
            return Plan(text, lang, origin, source="human",
                        outcome=Outcome(reviewed, TRANSLATED, "reviewed translation", HUMAN_ENGINE))
        if not self.force and (hit := self.tm.exact(text, job.source_lang, lang)) is not None:
            return self._tm_hit(Plan(text, lang, origin), hit, TM_FILE_ENGINE)
        terms = self.glossary.relevant(text, job.source_lang, lang)
        tm_list = self._fuzzy.fuzzy(text, job.source_lang, lang, threshold=self.threshold, limit=self.max_entries)
        settings = dict(source_lang=src, target_lang=lang.code, model=job.model, terms=terms,
                        domains=job.domains, sampling=job.sampling)
        plan = Plan(text, lang, origin, terms, tm_list, cache_key(text=text, tm_list=tm_list, **settings),
                    fingerprint(**settings))
        if self.force:
            return plan
        if self.use_cache and (cached := self.store.cached(plan.key, self.engine)) is not None:
            self.stats.cache_hits += 1
            plan.source, plan.outcome = "cache", Outcome(cached, TRANSLATED, "from the cache", self.engine)
            return plan
        if not self.use_cache:  # earlier runs' translations are a cache too: "cache = false" skips them
            return plan
        for stored_source, stored_target in self.store.tm_exact(normalize(text), src, lang.code, plan.fingerprint,
                                                                self.engine, self._tm_upto):
            # Only a source that differs in tag ids alone: one that differs in whitespace
            # (a soft line break) would get the other's line breaks written back.
            if same_but_tag_ids(stored_source, text) and \
                    (hit := fit_target(stored_source, stored_target, text)) is not None:
                return self._tm_hit(plan, hit, self.engine)
        return plan

    def _tm_hit(self, plan: Plan, translation: str, engine: str) -> Plan:
        plan.source, plan.outcome = "tm", Outcome(translation, TRANSLATED, "exact TM match", engine)
        plan.terms = plan.tm_list = ()
        self.stats.tm_hits += 1
        if (plan.text, plan.lang.code) not in self._tm_rows:
            self._tm_rows.add((plan.text, plan.lang.code))
            self._journal(self._row(plan.origin, plan.lang.code, None, 0, 0, TM_HIT, 0.0, 0, share=0.0,
                                    engine=engine))
        return plan

    def submit(self, pool: WorkerPool, text: str, lang: Language, origin: str) -> asyncio.Future[Outcome]:
        """The outcome for ``text`` into ``lang``: at once from memory, or from the pool."""
        plan = self.plan(text, lang, origin)
        if plan.outcome is not None:
            done = asyncio.get_running_loop().create_future()
            done.set_result(plan.outcome)
            return done
        unit = plan.unit
        future = pool.submit(unit)
        self._inflight.setdefault(unit.key, plan)
        # The pool reports each outcome to on_outcome; should one only complete the future
        # (a path that does not call on_outcome), it is stored when the future completes.
        future.add_done_callback(lambda f, p=plan, k=unit.key: self._settle_future(p, k, f))
        return future

    def term_misses(self, text: str, lang: Language, outcome: Outcome) -> list[TermPair]:
        """The sent terms whose target is missing from the translation written."""
        plan = self._plans.get((text, lang.code))
        if plan is None or plan.source in ("tm", "human") or not plan.terms or outcome.status not in (TRANSLATED, REPAIRED):
            return []
        return missing_terms(plan.terms, outcome.text)

    # --- storing ---------------------------------------------------------------------------

    def record_send(self, a: Attempt) -> None:
        """The pool's ``on_send``: journal a request before it is sent, at once (status
        ``pending``, prompt counted, completion estimated), so a lost answer or a killed
        process leaves it in the ledger. Raises StateWriteFailed when the journal or the
        ledger cannot be written: the request is not sent, and neither is any other."""
        if self.dry:
            return
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

    def _rows(self, a: Attempt) -> list[dict[str, Any]]:
        origins = a.by_origin()
        shares = [share for _, share in origins]
        prompts = split_tokens(a.prompt_tokens, shares)
        completions = split_tokens(a.completion_tokens, shares)
        return [self._row(origin, a.target_lang, a.request_id, prompt, completion, a.status, a.latency, a.attempt,
                          share=share, segments=a.segments, engine=a.engine, estimated=a.estimated,
                          attempt_key=a.key or None)
                for (origin, share), prompt, completion in zip(origins, prompts, completions)]

    def on_outcome(self, unit: Unit, outcome: Outcome) -> None:
        """The pool's ``on_outcome``, called right after the response that settled ``unit``:
        cache entry, TM addition and pending ledger rows in one transaction."""
        plan = self._inflight.get(unit.key)
        if plan is not None:
            self._settle(plan, unit.key, outcome)

    def _settle_future(self, plan: Plan, key: tuple, future: asyncio.Future[Outcome]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._settle(plan, key, future.result())

    def _settle(self, plan: Plan, key: tuple, outcome: Outcome) -> None:
        """Queue the cache entry and TM addition of a clean answer; they are written with
        the pending ledger rows in one transaction at the end of this turn of the loop,
        i.e. after every unit the same (packed) response answered has been settled."""
        if key in self._settled:
            return
        self._settled.add(key)
        if outcome.status == TRANSLATED and outcome.engine:  # stored under the engine that answered
            if self.use_cache:
                self._pending_cache.append((plan.key, outcome.text, outcome.engine))
            self._pending_tm.append((code_of(self.job.source_lang), plan.lang.code, normalize(plan.text),
                                     plan.text, outcome.text, plan.fingerprint, outcome.engine))
        self._schedule_flush()

    def forget(self, text: str, lang: Language) -> None:
        """A stored translation the format could not write back: never reuse it."""
        plan = self._plans.get((text, lang.code))
        if plan is None or plan.source in ("tm", "human") or not plan.key or self.dry:
            return
        self.flush()  # it may still be waiting to be written
        self.store.forget(plan.key, normalize(text), code_of(self.job.source_lang), lang.code, plan.fingerprint)

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
        if self.dry:
            return
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
            if not self.dry:
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
    try:
        return StateStore(job.state_dir / STATE_FILE)
    except (OSError, sqlite3.Error) as exc:  # a read-only folder, a corrupt file ...
        raise QmtError(f"cannot open the job's state store {job.state_dir / STATE_FILE}: {exc}") from None


@dataclass
class TmExport:
    """What ``qmt tm export`` wrote: language pairs written, and those left out by engine."""

    written: int
    left_out: dict[str, int]


def export_tm(job: Job, out: Path, *, include_emulated: bool = False) -> TmExport:
    """Write the job's TM (its TM file, every translation it made and every reviewed
    translation imported for it) as TMX 1.4, each translation marked with the engine that
    made it (``<prop type="x-qmt-engine">``; ``human`` for reviewed ones, which replace
    the machine translations of their segment).

    Only real translations (the Qwen service's, the TM file's, reviewed ones) unless ``include_emulated``:
    emulated ones and those of unknown origin (made before engines were recorded) are
    left out and counted."""
    entries: list[Entry] = []
    if job.tm_file:
        src = code_of(job.source_lang)
        targets = {lang.code for lang in job.target_langs}
        entries.extend(replace(e, engine=TM_FILE_ENGINE) for e in TranslationMemory.load(job.tm_file).entries
                       if e.target_lang in targets and (not src or e.source_lang in ("", src)))
    store = open_store(job)
    try:
        made = store.tm_entries()
        reviewed = store.human_entries()
    finally:
        store.close()
    overridden = {(e.source_lang, e.target_lang, e.source) for e in reviewed}
    entries = [e for e in entries if (e.source_lang, e.target_lang, e.source) not in overridden]
    made = [e for e in made if (e.source_lang, e.target_lang, e.source) not in overridden] + reviewed
    left_out: dict[str, int] = {}
    # Each unit's languages in the job's order, whatever order the answers arrived in.
    order = {lang.code: i for i, lang in enumerate(job.target_langs)}
    made.sort(key=lambda e: order.get(e.target_lang, len(order)))
    for entry in made:
        if include_emulated or is_real(entry.engine):
            entries.append(entry)
        else:
            left_out[entry.engine or "unknown"] = left_out.get(entry.engine or "unknown", 0) + 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(write_tmx(entries, code_of(job.source_lang)))
    return TmExport(len(entries), left_out)


__all__ = ["MemoryStats", "Plan", "RunMemory", "TERM_MISSING", "TM_HIT", "TmExport", "export_tm", "open_store"]
