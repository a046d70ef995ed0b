"""Run a job: find files, extract segments, translate them, rebuild and write each file.

The whole job is one stream of work. A planning thread walks the files in discovery
order through the job's one plan (:mod:`pipeline.job.plan`: load, look up memory,
de-duplicate across the job, split, pack across files), off the event loop; the run
hands each planned request to the worker pool as soon as it is closed (a large file is
planned in parts, so its first requests leave while the rest is planned), and each
output is rebuilt, checked (format and coverage) and staged off the event loop as soon
as its languages are back, the file's outputs renamed into place together
(:mod:`pipeline.job.assemble`). A file that fails (cannot be read, fails its check before
writing) is reported and the others go on. A fatal service error stops the pool; files
still waiting are not written, and the run says so.

Memory bound: planning runs ahead of translation only while the files loaded and not
yet written hold fewer than ``[run] max_segments_in_memory`` segments (default 20,000),
so at most that many segments plus those of the one file being loaded (a single file
is always loaded whole: a 6,000-paragraph DOCX is one file) are held at once, whatever
the number of files. Beside them the run keeps, for the whole job, one entry per
distinct (text, language) it planned (the de-duplication table and its answer) and one
small report per file. The plan closes packs that would hold files waiting longer
than half the bound (:mod:`pipeline.job.plan`), so the bound never stalls the run.
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Coroutine, Mapping

from pipeline.service_facts import API_KEY_ENV, LLM
from pipeline.job.load import inputs
from pipeline.errors import (EXIT_BUDGET, EXIT_FATAL, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, EXIT_STALE, EXIT_STATE,
                             EXIT_UNAVAILABLE, EXIT_USAGE, BudgetExceeded, ConfigError, QmtError,
                             ServiceUnavailable, StateWriteFailed)
from pipeline.formats import Document
from pipeline.formats.base import Found
from pipeline.job.assemble import WARNINGS, FileOutputs, FileReport, Outcomes, SegmentProblem, internal_error
from pipeline.languages import Language
from pipeline.job.runlock import job_lock
from pipeline.job.settings import make_budget, pool_settings, region_of
from pipeline.media.run import MediaShared, glossary_notice, media_problem, process_media, split_media
from pipeline.ledger.journal import Journal, expected_engine
from pipeline.memory.lookup import MemoryLookup, load_glossary_and_tm
from pipeline.provenance import endpoint_of, is_emulated
from pipeline.memory.sources import code_of
from pipeline.repository.book import LockBook
from pipeline.output import write_atomic
from pipeline.job.ownership import claim_outputs, planned_outputs
from pipeline.job.progress import Progress
from pipeline.job.plan import PLANNED, Answer, FilePlan, Planner, PlanPart, sendable_segments
from pipeline.segments import Segment
from pipeline.translate.backend import Backend
from pipeline.translate.engines import make_backend, make_media_backend
from pipeline.translate.pool import FALLBACK, JobStopped, Outcome, PoolSettings, Unit, WorkerPool
from pipeline.translate.sender import build_request

if TYPE_CHECKING:
    from pipeline.config import Job
    from pipeline.translate.livetranslate_backend import LiveTranslateBackend
    from pipeline.translate.model_server import ServerPace

WRITERS = 2                 # threads rebuilding and writing files
FILES_IN_FLIGHT = 4         # media files decoding at once (text files stream: see the module docstring)

#: A file's answers, each with the future of its request (None: answered from memory).
Waits = list[tuple[Answer, "asyncio.Future[Outcome] | None"]]


@dataclass(frozen=True)
class RunResult:
    """What a run did, built once at its end (:func:`_result`) from what the journal, the
    memory, the plan, the pool and the run gathered."""

    run_id: str
    job: str
    files: list[FileReport] = field(default_factory=list)
    fatal: str | None = None
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ledger_dir: str = ""
    stopped_by: str | None = None
    budget_stop: str | None = None
    state_error: str | None = None  # the ledger or cache could not be saved
    unavailable: str | None = None  # stopped by a sustained outage (exit 6)
    state_stop: str | None = None   # stopped because the journal could not be written (exit 7)
    requeued: int = 0           # requests that used up their attempts and went back in the queue
    packed_requests: int = 0    # requests that carried several segments
    batch_splits: int = 0       # packed answers not one-to-one: split in halves and sent again
    misaligned: int = 0         # segments of packed answers not provably aligned: sent again
    cache_hits: int = 0         # segments answered by the cache (no request, no ledger row)
    tm_hits: int = 0            # segments answered by an exact TM match (ledger rows "tm_hit")
    human_hits: int = 0         # segments answered by a reviewed translation (qmt xliff import, an edit)
    committed_hits: int = 0     # segments reused from the committed outputs (the lock file)
    edits: int = 0              # reviewers' edits of committed outputs taken in as human translations
    changed: int = 0            # source segments changed since the committed outputs were written
    pruned: list[str] = field(default_factory=list)     # outputs removed: their input is gone
    lock_files: list[str] = field(default_factory=list) # the lock files written (commit them with the outputs)
    engine: str = ""            # the engine whose stored answers this run reused (pipeline.provenance)
    answered_by: dict[str, int] = field(default_factory=dict)  # requests answered, by engine
    notices: list[str] = field(default_factory=list)   # said once per run (e.g. terms not applying to media)

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return EXIT_FATAL
        if self.budget_stop:
            return EXIT_BUDGET
        if self.unavailable:
            return EXIT_UNAVAILABLE
        if self.state_stop or self.state_error:
            return EXIT_STATE
        if any(f.status in ("failed", "partial") for f in self.files):
            return EXIT_PARTIAL
        return EXIT_OK


def run_job(job: Job, *, backend: Backend | None = None, progress: Progress | None = None,
            lock_wait: float = 0.0, media_backend: "LiveTranslateBackend | None" = None) -> RunResult:
    """Run ``job`` to the end; never raises for a file or service problem.

    Raises JobLockedError when another run of the same job holds its lock.
    """
    with job_lock(job.state_dir, job.name, wait=lock_wait):
        backend = backend or make_backend(job)
        return asyncio.run(_run(job, backend, progress or Progress(), media_backend))


@dataclass
class _Facts:
    """What the run learns along the way that neither the journal, the memory, the plan
    nor the pool holds; :func:`_result` builds the run's result from them all, once."""

    files: list[FileReport] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    lock_files: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    state_stop: str | None = None   # the lock files or the report could not be written


async def _run(job: Job, backend: Backend, progress: Progress,
               media_backend: "LiveTranslateBackend | None" = None) -> RunResult:
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    ledger_dir = job.state_dir / "ledger"
    facts = _Facts()
    # Ledger rows go to the job's state store as responses arrive (with the cache entry
    # they paid for) and reach the Parquet ledger from there: a killed run loses none.
    glossary, tm = load_glossary_and_tm(job)
    backend_engine = backend.engine
    journal = Journal.open(job, run_id=run_id, region=region_of(job), ledger_dir=ledger_dir, engine=backend_engine)
    try:
        book = _open_book(job, journal, facts)
        # A fresh clone has no state to say who answers at the job's endpoint; its lock
        # files do (an emulator behind a configured URL), so committed translations are
        # reused from the engine that made them, never from another.
        journal.engine = expected_engine(job, journal.store, book.committed_engine() or backend_engine)
        lookup = MemoryLookup.open(job, engine=journal.engine, glossary=glossary, tm=tm)
    except BaseException:
        journal.close()
        raise
    progress.spent = journal.spent

    found, skipped = inputs(job)
    # Discovery only leaves out files it refuses (links out of the input, hostile names):
    # each is an input the job asked for and did not translate, so the run is partial.
    facts.files.extend(FileReport(s.relpath, "failed", s.reason) for s in skipped)
    found, media, refused = split_media(found)  # audio and video go to pipeline.media.run
    facts.files.extend(FileReport(relpath, "failed", reason) for relpath, reason in refused)
    settings = pool_settings(job)
    try:
        # One owner per output file, settled before anything is sent (OutputOwned: exit 2).
        claim_outputs(job, planned_outputs(job, ((f.path, f.relpath) for f in found)))
        media_backend = media_backend or (_media_backend(job, backend) if media else None)
        pace = await _learn_server(job, backend, settings, progress) if found else None
        # The journal is the pool's one observer: nothing else hears of a request or a unit.
        async with WorkerPool(backend, settings, journal, media_backend=media_backend) as pool:
            shared = MediaShared(pool, journal.store, journal.engine, progress, asyncio.Semaphore(job.run.concurrency))
            media_tasks = [asyncio.ensure_future(c) for c in _media_files(job, media, shared, facts, media_backend)]
            planner = Planner(job, lookup, settings, sizer=pool.sizer, book=book)
            stream = _Stream(job, pool, planner, journal, lookup, progress, book)
            facts.files.extend(await stream.run(found))
            facts.files.extend(await asyncio.gather(*media_tasks))
        if pace is not None:   # what the run learned by its end, in its report
            facts.notices.append(pace.summary())
    finally:
        if not is_emulated(backend_engine):  # an explicit emulator (--emulator) has nothing to learn
            book.learned(journal.store.learned_engine(endpoint_of(job)))
        _save_book(book, journal, facts)
        lookup.close()
        journal.close()
        progress.close()
        await backend.aclose()
        if media_backend is not None:
            await media_backend.aclose()
    result = _result(run_id, job, facts, journal, lookup, pool, planner, stream, shared)
    return _reported(job, result)


def _result(run_id: str, job: Job, facts: _Facts, journal: Journal, lookup: MemoryLookup, pool: WorkerPool,
            planner: Planner, stream: "_Stream", shared: MediaShared) -> RunResult:
    """The run's result, built once from what each part of the run gathered."""
    fatal = pool.fatal
    stops = {cls: str(fatal) if isinstance(fatal, cls) else None
             for cls in (BudgetExceeded, ServiceUnavailable, StateWriteFailed)}
    other = None if fatal is None or any(stops.values()) else str(fatal)
    spent, memory, stats = journal.spent, lookup.stats, pool.stats
    return RunResult(
        run_id=run_id, job=job.name, files=sorted(facts.files, key=lambda f: f.relpath), fatal=other,
        requests=spent.requests, prompt_tokens=spent.prompt_tokens, completion_tokens=spent.completion_tokens,
        ledger_dir=str(journal.ledger_dir), stopped_by=planner.stop_reason, budget_stop=stops[BudgetExceeded],
        state_error=journal.state_error, unavailable=stops[ServiceUnavailable],
        state_stop=stops[StateWriteFailed] or facts.state_stop, requeued=stats.requeued,
        packed_requests=stats.packed_requests, batch_splits=stats.batch_splits, misaligned=stats.misaligned,
        cache_hits=memory.cache_hits + shared.cache_hits, tm_hits=memory.tm_hits, human_hits=memory.human_hits,
        committed_hits=memory.committed_hits, edits=stream.edits, changed=stream.changed, pruned=facts.pruned,
        lock_files=facts.lock_files, engine=journal.engine, answered_by=dict(spent.answered_by),
        notices=facts.notices)


def _open_book(job: Job, journal: Journal, facts: _Facts) -> LockBook:
    """The job's lock files, repaired from what a killed run journaled, and its outputs
    whose input is gone removed (ConfigError when that is more than half of them and
    the job does not say --prune). Nothing is sent before this."""
    pending = journal.store.lock_pending()
    book = LockBook.load(job, pending)
    gone = book.stale()
    book.check_prune(gone, job.prune)
    if pending or gone:
        book.prune(gone)
        try:
            facts.lock_files = [str(p) for p in book.save()]
            journal.store.clear_lock_pending()
        except (OSError, sqlite3.Error) as exc:
            raise StateWriteFailed(getattr(exc, "filename", None) or book.directory,
                                   getattr(exc, "strerror", None) or str(exc)) from None
    facts.pruned = [str(p.path) for p in gone]
    return book


def _save_book(book: LockBook, journal: Journal, facts: _Facts) -> None:
    """Write the lock files with what the run wrote (a failure stops the run: exit 7)."""
    try:
        facts.lock_files = [str(p) for p in book.save()]
        journal.store.clear_lock_pending()
    except (OSError, sqlite3.Error) as exc:
        where = getattr(exc, "filename", None) or book.directory
        facts.state_stop = f"cannot write {where}: {getattr(exc, 'strerror', None) or exc} (the next run writes it)"


async def _learn_server(job: Job, backend: Backend, settings: PoolSettings, progress: Progress) -> ServerPace | None:
    """engine llm: the model server's slots and speed, and the pool fitted to them
    (:mod:`pipeline.translate.model_server`); said in one line."""
    if job.engine != LLM or not job.target_langs:
        return None
    # Only here: a Qwen-MT run never loads the model server's client (the backend of an
    # engine llm run has loaded it already).
    from pipeline.translate.llm_backend import LlmBackend
    from pipeline.translate.model_server import CALIBRATION_TEXT, PaceSettings

    if not isinstance(backend, LlmBackend):
        return None
    given = job.run_given
    pace = await backend.learn(
        PaceSettings(job.run.concurrency, job.run.timeout, "concurrency" in given, "timeout" in given),
        build_request([Unit(CALIBRATION_TEXT, job.target_langs[0])], settings))
    settings.concurrency, settings.in_flight, settings.pack_ceiling = pace.workers, pace.gate, pace.pack_tokens
    progress.message(pace.summary())
    return pace


def _media_backend(job: Job, backend: Backend) -> "LiveTranslateBackend | None":
    """LiveTranslate for the job's service (pipeline.translate.engines), expecting the text
    backend's engine, with the key from the environment."""
    if job.engine == LLM:  # a model server has no LiveTranslate: media_problem says so per file
        return None
    try:
        return make_media_backend(job, engine=backend.engine)
    except ConfigError:
        return None  # each media file then fails saying why


def _media_files(job: Job, media: list[Found], shared: MediaShared, facts: _Facts,
                 backend: "LiveTranslateBackend | None") -> list[Coroutine[Any, Any, FileReport]]:
    """The runs of the job's media files (:mod:`pipeline.media.run`), as FileReport coroutines."""
    if not media:
        return []
    problem = media_problem(job) or (None if backend else f"{API_KEY_ENV} is not set: export your Model Studio API key")
    if problem is None and (notice := glossary_notice(job)):
        shared.progress.message(notice)
        facts.notices.append(notice)
    files = asyncio.Semaphore(FILES_IN_FLIGHT)          # media files decoding at once

    async def one(found: Found) -> FileReport:
        if problem:
            return FileReport(found.relpath, "failed", problem)
        try:
            async with files:
                done = await process_media(job, found, shared)
        except Exception as exc:  # a bug must not stop the other files
            return FileReport(found.relpath, "failed", internal_error(exc))
        problems = [SegmentProblem(where, "media", lang, status, reason) for where, lang, status, reason in
                    done.pop("problems", [])]
        return FileReport(found.relpath, problems=problems, **done)

    return [one(f) for f in media]


class _Stream:
    """The job's text files as one stream of work (see the module docstring)."""

    def __init__(self, job: Job, pool: WorkerPool, planner: Planner, journal: Journal, lookup: MemoryLookup,
                 progress: Progress, book: LockBook):
        self.job, self.pool, self.planner = job, pool, planner
        self.journal, self.lookup, self.progress = journal, lookup, progress
        self.book = book
        self.edits = 0                  # reviewers' edits taken in
        self.changed = 0                # source segments changed under committed outputs
        self.limit = job.run.max_segments_in_memory
        self.held = 0                   # segments of files loaded and not yet written
        self._freed = asyncio.Event()
        self._tasks: list[asyncio.Task[FileReport]] = []
        # Files are rebuilt and written by two threads: more only contend for the GIL.
        self._writers = ThreadPoolExecutor(WRITERS, thread_name_prefix="qmt-write")

    async def run(self, found: list[Found]) -> list[FileReport]:
        """Plan every file in order, send its requests, and finish each file as its answers arrive."""
        reports: list[FileReport] = []
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(1, thread_name_prefix="qmt-plan") as planning, self._writers:
            for item in found:
                await self._room()
                if (stopped := self._stopped()) is not None:
                    reports.append(FileReport(item.relpath, "stopped", f"not started: {stopped}"))
                    continue
                try:
                    fp = await loop.run_in_executor(planning, self.planner.load, item.path, item.relpath)
                except Exception as exc:  # a bug in a format must not stop the other files
                    reports.append(FileReport(item.relpath, "failed", internal_error(exc)))
                    continue
                if fp.status != PLANNED:
                    reports.append(FileReport(fp.relpath, fp.status, fp.reason))
                    continue
                if (failed := self._take_edits(fp)) is not None or \
                        (failed := await self._plan(fp, planning)) is not None:
                    reports.append(failed)
            for request in self.planner.finish():
                self.pool.send(request)
            reports.extend(await asyncio.gather(*self._tasks))
        return reports

    def _take_edits(self, fp: FilePlan) -> FileReport | None:
        """Store the reviewers' edits the file's committed outputs hold as human
        translations, before anything else of the file (a failure stops the job: exit 7)."""
        src = code_of(self.job.source_lang)
        text_of = {s.id: s.text for s in fp.segments}
        for code, found in fp.harvest.items():
            rows = [(src, code, text_of[sid], found.human[sid]) for sid in found.edits]
            try:
                self.journal.record_edits(rows, f"edit:{fp.relpath}")
            except StateWriteFailed as exc:
                self.pool.fatal = self.pool.fatal or exc
                return FileReport(fp.relpath, "stopped", f"not written: {exc}")
            self.edits += len(rows)
            self.changed += found.changed
        return None

    def _stopped(self) -> str | None:
        if self.pool.fatal is not None:
            return str(self.pool.fatal)
        return self.planner.stop_reason

    async def _room(self) -> None:
        """Wait until the files held leave room under the memory bound."""
        while self.held >= self.limit:
            self._freed.clear()
            await self._freed.wait()

    async def _plan(self, fp: FilePlan, planning: ThreadPoolExecutor) -> FileReport | None:
        """Plan a loaded file part by part on the planning thread, sending each part's
        requests as it comes, then wait for its answers in a task of its own."""
        loop = asyncio.get_running_loop()
        weights = _progress_weights(fp.document(), fp.sendable, self.progress, len(self.job.target_langs))
        waits: Waits = []
        self.held += len(fp.segments)
        parts = self.planner.parts(fp)
        try:
            while (part := await loop.run_in_executor(planning, next, parts, None)) is not None:
                self._send(part, weights, waits)
        except Exception as exc:  # a bug while planning fails the file, never the run
            self._release(fp)
            return FileReport(fp.relpath, "failed", internal_error(exc))
        for lang in self.job.target_langs:   # segments a language does not need: done already
            if (needed := fp.document().needs(lang)) is not None:
                self.progress.advance(sum(weights.get(s.id, 1) for s in fp.sendable if s.id not in needed))
        self._tasks.append(asyncio.create_task(self._finish(fp, waits)))
        return None

    def _send(self, part: PlanPart, weights: dict[str, int], waits: Waits) -> None:
        """Expect the part's answers (journal, pool, progress), then send its requests."""
        for answer in part.answers:
            weight = weights.get(answer.seg.id, 1)
            if not answer.unit.sent:
                self.journal.record_answer(answer.unit)
                self.progress.advance(weight)
                waits.append((answer, None))
                continue
            fut = (self.pool.expect_split(answer.unit, answer.pieces) if answer.pieces
                   else self.pool.expect(answer.unit))
            fut.add_done_callback(self._advancing(weight))
            waits.append((answer, fut))
        for request in part.requests:
            self.pool.send(request)

    def _advancing(self, weight: int) -> Callable[[asyncio.Future[Outcome]], None]:
        """A done callback moving the progress bar by ``weight``."""
        return lambda _future: self.progress.advance(weight)

    def _release(self, fp: FilePlan) -> None:
        self.held -= len(fp.segments)
        self._freed.set()

    async def _finish(self, fp: FilePlan, waits: Waits) -> FileReport:
        try:
            return await self._write(fp, waits)
        finally:
            self._release(fp)

    async def _write(self, fp: FilePlan, waits: Waits) -> FileReport:
        """Stage each output as its languages come back, then commit them together
        (:mod:`pipeline.job.assemble`); a stopped or failed file writes nothing."""
        loop = asyncio.get_running_loop()
        outputs = FileOutputs(self.job, fp, self.lookup)
        groups = [asyncio.ensure_future(_indexed(i, _collect(group, waits))) for i, group in enumerate(outputs.groups)]
        merged: Outcomes = {}
        try:
            for next_group in asyncio.as_completed(groups):
                index, outcomes = await next_group
                merged.update(outcomes)
                failed = await loop.run_in_executor(self._writers, outputs.stage, index, outcomes)
                if failed is not None:
                    return failed
            report = await loop.run_in_executor(self._writers, outputs.prepare)
            if report.status != "failed":
                report = await self._commit(fp, outputs, report)
        except JobStopped as exc:
            return FileReport(fp.relpath, "stopped", f"not written: {exc}")
        except Exception as exc:  # never hang or stop the other files
            return FileReport(fp.relpath, "failed", internal_error(exc))
        finally:
            outputs.discard()
            for task in groups:  # a group left waiting when the file failed: its outcome is not needed
                task.add_done_callback(_observed)
        if report.status == "failed":
            return report
        _forget_format_fallbacks(report, merged, self.lookup, self.journal)  # the journal's store: loop thread
        if any(p.status not in WARNINGS for p in report.problems):
            report.status = "partial"
        return report


    async def _commit(self, fp: FilePlan, outputs: FileOutputs, report: FileReport) -> FileReport:
        """Journal the file's lock entries, then rename its outputs into place."""
        records = self.book.record(fp.relpath, outputs.locked)
        try:
            self.journal.record_lock(records)
        except StateWriteFailed as exc:
            self.pool.fatal = self.pool.fatal or exc
            return FileReport(fp.relpath, "stopped", f"not written: {exc}")
        report = await asyncio.get_running_loop().run_in_executor(self._writers, outputs.commit, report)
        if report.status != "failed":
            self.book.took(fp.relpath, outputs.locked)
        return report


async def _indexed(index: int, collecting: Awaitable[Outcomes]) -> tuple[int, Outcomes]:
    """The outcomes of output group ``index``, with its index (groups finish in any order)."""
    return index, await collecting


def _observed(task: "asyncio.Future[Any]") -> None:
    """Retrieve a finished task's exception so that asyncio does not log it as lost."""
    if not task.cancelled():
        task.exception()


def _forget_format_fallbacks(report: FileReport, outcomes: Mapping[Language, Mapping[str, tuple[Segment, Outcome]]],
                             lookup: MemoryLookup, journal: Journal) -> None:
    """Translations the format kept out (markup that would not survive) leave the cache."""
    by_code = {lang.code: (lang, per) for lang, per in outcomes.items()}
    for problem in report.problems:
        if problem.status != FALLBACK or not problem.segment:
            continue
        for lang, per in ([by_code[problem.lang]] if problem.lang in by_code else by_code.values()):
            if problem.segment in per:
                journal.forget(lookup.known(per[problem.segment][0].text, lang))


async def _collect(langs: tuple[Language, ...], waits: list[tuple[Answer, "asyncio.Future[Outcome] | None"]]
                   ) -> Outcomes:
    """Each (segment, language)'s outcome for ``langs``, in that order; raises what stopped
    a unit (JobStopped) once every unit of those languages has ended. The pool's futures
    are shared between files (de-duplication), so they are waited on, never gathered: a
    cancelled wait must not cancel them."""
    wanted = set(langs)
    futures = [f for answer, f in waits if f is not None and answer.lang in wanted]
    if futures:
        await asyncio.wait(futures)
    failures = [fut.exception() for fut in futures]   # each retrieved, so asyncio logs none as lost
    if (failure := next((exc for exc in failures if exc is not None), None)) is not None:
        raise failure
    outcomes: Outcomes = {lang: {} for lang in langs}
    for answer, fut in waits:
        if answer.lang in wanted:
            outcome = answer.unit.outcome if fut is None else fut.result()
            assert outcome is not None      # an answer from memory comes with its outcome
            outcomes[answer.lang][answer.seg.id] = (answer.seg, outcome)
    return outcomes


def _progress_weights(doc: Document, sendable: list[Segment], progress: Progress, n_langs: int) -> dict[str, int]:
    """How much each finished segment moves the bar: 1, or for tables the rows it stands for.

    A CSV document de-duplicates cell values, so one segment may stand for thousands of
    rows; counting rows (``doc.rows`` and ``doc.row_weights``) keeps the bar honest.
    """
    rows, row_weights = doc.rows, doc.row_weights
    if rows is None or row_weights is None:
        progress.add_total(len(sendable) * n_langs)
        return {}
    progress.add_total(rows * n_langs)
    sent = {s.id for s in sendable}
    progress.advance(n_langs * (rows - sum(w for sid, w in row_weights.items() if sid in sent)))
    # A segment that is not the first of any row moves the bar by 0: its rows are counted once.
    return {sid: row_weights.get(sid, 0) for sid in sent}


def _reported(job: Job, result: RunResult) -> RunResult:
    """Write a JSON report of the run beside the ledger, for CI steps that want to read it.
    A report that cannot be written (disk full) stops the run with exit 7 naming the path
    (the result says so); it never replaces a graver stop."""
    path = job.state_dir / "reports" / f"run-{result.run_id}.json"
    try:
        data = asdict(result) | {"exit_code": result.exit_code}
        write_atomic(path, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))
    except OSError as exc:
        return replace(result, state_stop=result.state_stop or f"cannot write {path}: {exc.strerror or exc}")
    return result


# The exit codes are re-exported: pipeline.errors defines them.
__all__ = ["EXIT_BUDGET", "EXIT_FATAL", "EXIT_LOCKED", "EXIT_OK", "EXIT_PARTIAL", "EXIT_STALE", "EXIT_STATE",
           "EXIT_UNAVAILABLE", "EXIT_USAGE", "FileReport", "QmtError", "make_budget", "pool_settings", "region_of",
           "RunResult", "make_backend", "run_job", "sendable_segments"]
