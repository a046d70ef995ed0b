"""Run a job: find files, extract segments, translate them, rebuild and write each file.

Files are processed concurrently (a few at a time, to bound memory) and share one
worker pool, so identical segments across files are sent once. A file is written as
soon as all its segments are back, atomically; a file that fails (cannot be read,
fails its check before writing) is reported and the others go on. A fatal service
error stops the pool; files still waiting are not written, and the run says so.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import traceback
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO, Callable, Mapping

from pipeline.config import API_KEY_ENV, REGIONS, Job
from pipeline.coverage import NOT_EXTRACTED, NOT_WRITTEN, not_written, source_leftovers
from pipeline.discover import discover
from pipeline.errors import (BudgetExceeded, ConfigError, FileError, QmtError, ServiceUnavailable,
                             StateWriteFailed)
from pipeline.formats import Document, LoadContext, handler_for
from pipeline.languages import Language
from pipeline.lock import job_lock
from pipeline.media_run import (LiveTranslateBackend, MediaHooks, glossary_notice, make_media_backend, media_problem,
                                process_media, split_media)
from pipeline.memory import TERM_MISSING, RunMemory
from pipeline.output import atomic_writer, output_path, write_atomic
from pipeline.ownership import COMBINED_LABEL, claim_outputs, planned_outputs
from pipeline.progress import Progress
from pipeline.secrets import redact
from pipeline.segments import Segment, has_translatable_text
from pipeline.translate.backend import Backend
from pipeline.translate.budget import Budget
from pipeline.translate.pool import (FALLBACK, REPAIRED, TRANSLATED, Attempt, JobStopped, Outcome, PoolSettings,
                                     RetryPolicy, WorkerPool)
from pipeline.usage.summary import price_of

# Exit codes (documented in the README).
EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_FATAL = 3
EXIT_LOCKED = 4
EXIT_BUDGET = 5
EXIT_UNAVAILABLE = 6        # no request succeeded for [run] outage_seconds: stopped, run again to resume
EXIT_STATE = 7              # the journal or ledger could not be written: stopped before the next request

FILES_IN_FLIGHT = 4


@dataclass
class SegmentProblem:
    segment: str
    context: str
    lang: str
    status: str
    reason: str


@dataclass
class FileReport:
    relpath: str
    status: str                 # written | partial | failed | skipped | stopped
    reason: str = ""
    outputs: list[str] = field(default_factory=list)
    segments: int = 0
    problems: list[SegmentProblem] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)   # the format's own choices (detected columns)


@dataclass
class RunResult:
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
    human_hits: int = 0         # segments answered by a reviewed translation (qmt xliff import)
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
        if self.state_stop:
            return EXIT_STATE
        if self.state_error or any(f.status in ("failed", "partial") for f in self.files):
            return EXIT_PARTIAL
        return EXIT_OK


def make_backend(job: Job) -> Backend:
    """The production backend for ``job``: Qwen-MT with the key from the environment."""
    from pipeline.translate.qwen_backend import QwenBackend

    key = os.environ.get(API_KEY_ENV, "").strip()
    if not key:
        raise ConfigError("is not set: export your Model Studio API key", key=API_KEY_ENV)
    return QwenBackend(api_key=key, base_url=job.base_url, timeout=job.run.timeout, stream=job.run.stream)


def region_of(job: Job) -> str:
    """The price region: the one whose endpoint the job calls, else the job's region."""
    for name, url in REGIONS.items():
        if job.base_url.rstrip("/") == url:
            return name
    return job.region


def run_job(job: Job, *, backend: Backend | None = None, progress: Progress | None = None,
            lock_wait: float = 0.0, media_backend: "LiveTranslateBackend | None" = None) -> RunResult:
    """Run ``job`` to the end; never raises for a file or service problem.

    Raises JobLockedError when another run of the same job holds its lock.
    """
    with job_lock(job.state_dir, job.name, wait=lock_wait):
        backend = backend or make_backend(job)
        return asyncio.run(_run(job, backend, progress or Progress(), media_backend))


async def _run(job: Job, backend: Backend, progress: Progress,
               media_backend: "LiveTranslateBackend | None" = None) -> RunResult:
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    result = RunResult(run_id=run_id, job=job.name)
    ledger_dir = job.state_dir / "ledger"
    result.ledger_dir = str(ledger_dir)
    # Ledger rows go to the job's state store as responses arrive (with the cache entry
    # they paid for) and reach the Parquet ledger from there: a killed run loses none.
    memory = RunMemory.open(job, run_id=run_id, region=region_of(job), ledger_dir=ledger_dir,
                            engine=getattr(backend, "engine", ""))
    result.engine = memory.engine

    def on_attempt(a: Attempt) -> None:
        memory.record_attempt(a)
        result.requests += 1
        result.prompt_tokens += a.prompt_tokens
        result.completion_tokens += a.completion_tokens
        progress.tokens += a.prompt_tokens + a.completion_tokens

    found, skipped = discover(job.input_dir, job.include, job.exclude)
    # Discovery only leaves out files it refuses (links out of the input, hostile names):
    # each is an input the job asked for and did not translate, so the run is partial.
    result.files.extend(FileReport(s.relpath, "failed", s.reason) for s in skipped)
    found, media, refused = split_media(found)  # audio and video go to pipeline.media_run
    result.files.extend(FileReport(relpath, "failed", reason) for relpath, reason in refused)
    gate = asyncio.Semaphore(FILES_IN_FLIGHT)
    settings = pool_settings(job)
    try:
        # One owner per output file, settled before anything is sent (OutputOwned: exit 2).
        claim_outputs(job, planned_outputs(job, ((f.path, f.relpath) for f in found)))
        async with WorkerPool(backend, settings, on_attempt=on_attempt,
                              on_outcome=memory.on_outcome, on_send=memory.record_send) as pool:
            ctx = _RunContext(pool, progress, memory, _StopFlag(), SubmitOrder(len(found)))
            tasks = [_guarded(gate, _process_file(job, f.path, f.relpath, i, ctx)) for i, f in enumerate(found)]
            media_backend = media_backend or (_media_backend(job, backend) if media else None)
            tasks += _media_files(job, media, pool, settings.budget, memory, progress, result, media_backend)
            result.files.extend(await asyncio.gather(*tasks))
            if isinstance(pool.fatal, BudgetExceeded):
                result.budget_stop = str(pool.fatal)
            elif isinstance(pool.fatal, ServiceUnavailable):
                result.unavailable = str(pool.fatal)
            elif isinstance(pool.fatal, StateWriteFailed):
                result.state_stop = str(pool.fatal)
            elif pool.fatal is not None:
                result.fatal = str(pool.fatal)
            result.stopped_by = ctx.stop.reason
            result.packed_requests, result.batch_splits = pool.stats.packed_requests, pool.stats.batch_splits
            result.misaligned = pool.stats.misaligned
            result.requeued = pool.stats.requeued
    finally:
        memory.close()
        result.state_error = memory.state_error
        result.cache_hits, result.tm_hits = memory.stats.cache_hits, memory.stats.tm_hits
        result.human_hits = memory.stats.human_hits
        result.answered_by = dict(memory.answered_by)
        progress.close()
        await backend.aclose()
        if media_backend is not None:
            await media_backend.aclose()
    result.files.sort(key=lambda f: f.relpath)
    _write_report(job, result)
    return result


def pool_settings(job: Job) -> PoolSettings:
    """The worker pool's settings for ``job`` (shared with ``qmt estimate``)."""
    return PoolSettings(
        budget=make_budget(job),
        model=job.model, source_lang=job.source_lang, sampling=job.sampling, domains=job.domains,
        concurrency=job.run.concurrency,
        retry=RetryPolicy(job.run.max_attempts, job.run.backoff_initial, job.run.backoff_max),
        max_segment_tokens=job.run.max_segment_tokens,
        rpm=job.run.rpm or None, tpm=job.tokens_per_minute,
        pack_tokens=job.packing_tokens, pack_max_segments=job.run.pack_max_segments,
        outage_seconds=job.run.outage_seconds,
    )


def make_budget(job: Job) -> Budget | None:
    """The run's budget, priced from the price list (ConfigError if a USD budget has no price)."""
    if not job.run.budget_usd and not job.run.budget_tokens:
        return None
    usd_in = usd_out = 0.0
    if job.run.budget_usd:
        price = price_of(job.model, region_of(job))
        if price is None:
            raise ConfigError(f"no price for {job.model} in {region_of(job)}: add it to the price list",
                              source=job.source, key="run.budget_usd")
        usd_in, usd_out = price
    return Budget(max_usd=job.run.budget_usd or None, max_tokens=job.run.budget_tokens or None,
                  usd_in_per_token=usd_in, usd_out_per_token=usd_out)


def _media_backend(job: Job, backend: Backend) -> "LiveTranslateBackend | None":
    """LiveTranslate at the text backend's endpoint, with its key (the emulator's too)."""
    client = getattr(backend, "_client", None)
    try:
        return make_media_backend(job, api_key=getattr(client, "api_key", None),
                                  base_url=str(client.base_url) if client is not None else None,
                                  engine=getattr(backend, "engine", ""))
    except ConfigError:
        return None  # each media file then fails saying why


def _media_files(job: Job, media: list, pool: WorkerPool, budget: Budget | None, memory: RunMemory,
                 progress: Progress, result: RunResult, backend: "LiveTranslateBackend | None") -> list:
    """The runs of the job's media files (:mod:`pipeline.media_run`), as FileReport coroutines."""
    if not media:
        return []
    problem = media_problem(job) or (None if backend else f"{API_KEY_ENV} is not set: export your Model Studio API key")
    if problem is None and (notice := glossary_notice(job)):
        progress.message(notice)
        result.notices.append(notice)

    def stop(exc: BaseException) -> None:
        if pool.fatal is None:
            pool.fatal = exc

    def count(prompt: int, completion: int) -> None:
        result.requests += 1
        result.prompt_tokens += prompt
        result.completion_tokens += completion
        progress.tokens += prompt + completion

    hooks = MediaHooks(memory, progress, budget, pool.limiter, lambda: pool.fatal, stop, count)
    gate = asyncio.Semaphore(job.run.concurrency)      # pieces in flight, all media files together
    files = asyncio.Semaphore(FILES_IN_FLIGHT)          # media files decoding at once

    async def one(found) -> FileReport:
        if problem:
            return FileReport(found.relpath, "failed", problem)
        try:
            async with files:
                done = await process_media(job, found, hooks, backend, gate)
        except Exception as exc:  # a bug must not stop the other files
            return FileReport(found.relpath, "failed", f"internal error: {redact(repr(exc))}\n{_trace()}")
        problems = [SegmentProblem(where, "media", lang, status, reason) for where, lang, status, reason in
                    done.pop("problems", [])]
        return FileReport(found.relpath, problems=problems, **done)

    return [one(f) for f in media]


@dataclass
class _StopFlag:
    """Set when a file asked the job to stop (e.g. [csv] on_malformed = "stop")."""

    reason: str | None = None


@dataclass
class _RunContext:
    pool: WorkerPool
    progress: Progress
    memory: RunMemory
    stop: _StopFlag
    order: "SubmitOrder"


async def _guarded(gate: asyncio.Semaphore, coro) -> FileReport:
    async with gate:
        return await coro


class SubmitOrder:
    """Files hand their segments to the pool in discovery order, one file per loop turn.

    Loading runs concurrently, but submission waits for the file's turn, so the pool
    packs each file's segments into the same requests in every run and ``qmt estimate``
    (which walks the files in that order) predicts the requests exactly.
    """

    def __init__(self, count: int):
        self._turns = [asyncio.Event() for _ in range(count + 1)]
        self._turns[0].set()

    async def wait(self, index: int) -> None:
        await self._turns[index].wait()

    def release(self, index: int) -> None:
        self._turns[index + 1].set()


async def _process_file(job: Job, path: Path, relpath: str, index: int, ctx: "_RunContext") -> FileReport:
    """Load, translate, rebuild and write one file; never raises."""
    submitted = False
    try:
        loaded = await _load(job, path, relpath, ctx)
        if isinstance(loaded, FileReport):
            return loaded
        doc, segments, digest = loaded
        await ctx.order.wait(index)
        futures = _submit_document(doc, segments, job.target_langs, relpath, ctx)
        ctx.order.release(index)
        submitted = True
        outcomes = await _collect(futures)
    except JobStopped as exc:
        return FileReport(relpath, "stopped", f"not written: {exc}")
    except Exception as exc:  # a bug in a format must not stop the other files
        return FileReport(relpath, "failed", f"internal error: {redact(repr(exc))}\n{_trace()}")
    finally:
        if not submitted:  # keep the order for the files after this one
            await ctx.order.wait(index)
            ctx.order.release(index)
    changed = await asyncio.to_thread(_input_changed, path, digest)
    if changed is not None:
        return FileReport(relpath, "failed", changed, segments=len(segments))
    return await _write_file(job, doc, segments, relpath, outcomes, ctx)


def _content_hash(path: Path, data: bytes | None) -> str:
    """The input's content hash at load (``data`` when the handler was given the bytes)."""
    if data is not None:
        return hashlib.sha256(data).hexdigest()
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _input_changed(path: Path, digest: str) -> str | None:
    """Why the input cannot be written from what was loaded (it changed or went away), or None."""
    try:
        if _content_hash(path, None) == digest:
            return None
    except OSError as exc:
        return f"input could not be read again before writing ({exc.strerror or exc}): not written; run again"
    return "input changed during the run: not written from its old content; run again to translate the new one"


async def _load(job: Job, path: Path, relpath: str,
                ctx: "_RunContext") -> tuple[Document, list[Segment], str] | FileReport:
    handler = handler_for(path)
    if handler is None:
        return FileReport(relpath, "skipped", f"unsupported file type '{path.suffix or path.name}'")
    if ctx.pool.fatal is not None:
        return FileReport(relpath, "stopped", f"not started: {ctx.pool.fatal}")
    if ctx.stop.reason is not None:
        return FileReport(relpath, "stopped", f"not started: {ctx.stop.reason}")
    try:
        if path.stat().st_size == 0:
            return FileReport(relpath, "failed", "empty file (0 bytes): nothing to translate; nothing written")
        data = None if handler.streams else path.read_bytes()
        digest = await asyncio.to_thread(_content_hash, path, data)
        load_ctx = LoadContext(path, data, job.format_options(handler.name), job.source_lang, job.target_langs,
                               relpath=relpath)
        doc = await asyncio.to_thread(handler.load, load_ctx)
        return doc, list(doc.segments()), digest
    except FileError as exc:
        if exc.stop_job and ctx.stop.reason is None:
            ctx.stop.reason = f"the job stopped at {relpath} as the job asks for malformed files"
        return FileReport(relpath, "failed", exc.reason)
    except OSError as exc:
        return FileReport(relpath, "failed", f"cannot read: {exc.strerror or exc}")


# Reported, but the file still counts as written in full: the text is translated.
WARNINGS = frozenset({TERM_MISSING, REPAIRED})


async def _write_file(job: Job, doc: Document, segments: list[Segment], relpath: str,
                      outcomes: dict[Language, dict[str, tuple[Segment, Outcome]]], ctx: "_RunContext") -> FileReport:
    report = FileReport(relpath, "written", segments=len(segments), decisions=list(doc.decisions))
    report.problems = _problems(segments, outcomes) + _term_problems(ctx.memory, outcomes)
    report.problems += [SegmentProblem("", "", "", "untranslated", msg) for msg in getattr(doc, "problems", [])]
    try:
        report.problems += [SegmentProblem("", "", "", NOT_EXTRACTED, msg) for msg in source_leftovers(doc)]
        await asyncio.to_thread(_write_outputs, job, doc, relpath, outcomes, report)
    except FileError as exc:
        return FileReport(relpath, "failed", exc.reason, segments=len(segments), problems=report.problems)
    except Exception as exc:
        return FileReport(relpath, "failed", f"internal error: {redact(repr(exc))}\n{_trace()}")
    _forget_format_fallbacks(report, outcomes, ctx.memory)
    if any(p.status not in WARNINGS for p in report.problems):
        report.status = "partial"
    return report


def _forget_format_fallbacks(report: FileReport, outcomes: Mapping[Language, Mapping[str, tuple[Segment, Outcome]]],
                             memory: RunMemory) -> None:
    """Translations the format kept out (markup that would not survive) leave the cache."""
    by_code = {lang.code: (lang, per) for lang, per in outcomes.items()}
    for problem in report.problems:
        if problem.status != FALLBACK or not problem.segment:
            continue
        for lang, per in ([by_code[problem.lang]] if problem.lang in by_code else by_code.values()):
            if problem.segment in per:
                memory.forget(per[problem.segment][0].text, lang)


def sendable_segments(segments: list[Segment]) -> list[Segment]:
    """The segments with text to translate (the rest are written back as they are)."""
    return [s for s in segments if has_translatable_text(s.text)]


def units_of(sendable: list[Segment], langs: tuple[Language, ...]) -> list[tuple[Language, Segment]]:
    """The (language, segment) pairs a file asks for, in the order they are submitted."""
    return [(lang, seg) for lang in langs for seg in sendable]


def _submit_document(doc: Document, segments: list[Segment], langs: tuple[Language, ...], relpath: str,
                     ctx: "_RunContext") -> dict[Language, dict[str, tuple[Segment, asyncio.Future[Outcome]]]]:
    """Hand every (segment, language) to memory or the pool, in one turn of the loop."""
    sendable = sendable_segments(segments)
    weights = _progress_weights(doc, sendable, ctx.progress, len(langs))
    futures: dict[Language, dict[str, tuple[Segment, asyncio.Future[Outcome]]]] = {lang: {} for lang in langs}
    for lang, seg in units_of(sendable, langs):
        fut = ctx.memory.submit(ctx.pool, seg.text, lang, relpath)  # from memory, or sent
        fut.add_done_callback(lambda _f, w=weights.get(seg.id, 1): ctx.progress.advance(w))
        futures[lang][seg.id] = (seg, fut)
    ctx.pool.flush()  # this file's segments are packed together, never with the next file's
    return futures


async def _collect(futures: dict[Language, dict[str, tuple[Segment, asyncio.Future[Outcome]]]]
                   ) -> dict[Language, dict[str, tuple[Segment, Outcome]]]:
    all_futures = [f for per in futures.values() for (_, f) in per.values()]
    await asyncio.gather(*all_futures, return_exceptions=True)
    for fut in all_futures:
        if isinstance(fut.exception(), BaseException):
            raise fut.exception()
    return {lang: {sid: (seg, fut.result()) for sid, (seg, fut) in per.items()} for lang, per in futures.items()}


def _progress_weights(doc: Document, sendable: list[Segment], progress: Progress, n_langs: int) -> dict[str, int]:
    """How much each finished segment moves the bar: 1, or for tables the rows it stands for.

    A CSV document de-duplicates cell values, so one segment may stand for thousands of
    rows; counting rows (``doc.rows`` and ``doc.row_weights``) keeps the bar honest.
    """
    rows = getattr(doc, "rows", None)
    row_weights = getattr(doc, "row_weights", None)
    if rows is None or row_weights is None:
        progress.add_total(len(sendable) * n_langs)
        return {}
    progress.add_total(rows * n_langs)
    sent = {s.id for s in sendable}
    progress.advance(n_langs * (rows - sum(w for sid, w in row_weights.items() if sid in sent)))
    # A segment that is not the first of any row moves the bar by 0: its rows are counted once.
    return {sid: row_weights.get(sid, 0) for sid in sent}


def _problems(segments: list[Segment], outcomes: Mapping[Language, Mapping[str, tuple[Segment, Outcome]]]) -> list[SegmentProblem]:
    problems = []
    for lang, per in outcomes.items():
        for sid, (seg, outcome) in per.items():
            if outcome.status != TRANSLATED:
                problems.append(SegmentProblem(sid, seg.context, lang.code, outcome.status, outcome.reason))
    return problems


def _term_problems(memory: RunMemory,
                   outcomes: Mapping[Language, Mapping[str, tuple[Segment, Outcome]]]) -> list[SegmentProblem]:
    """Sent glossary terms whose target is missing from the translation: reported, but
    the translation is written (a warning: the file stays "written", exit code 0)."""
    problems = []
    for lang, per in outcomes.items():
        for sid, (seg, outcome) in per.items():
            for term in memory.term_misses(seg.text, lang, outcome):
                problems.append(SegmentProblem(sid, seg.context, lang.code, TERM_MISSING,
                                               f"glossary term {term.source!r} -> {term.target!r} not applied"))
    return problems


def _accepted(per: Mapping[str, tuple[Segment, Outcome]]) -> dict[str, str]:
    """Only checked translations are written; failed and fallback segments keep their source."""
    return {sid: o.text for sid, (_, o) in per.items() if o.status in (TRANSLATED, REPAIRED)}


def _write_outputs(job: Job, doc: Document, relpath: str,
                   outcomes: Mapping[Language, Mapping[str, tuple[Segment, Outcome]]], report: FileReport) -> None:
    """Write each output through a temporary file, check it, then rename it into place.

    Every output of the file is written and checked before any is renamed, so a file
    whose check fails leaves nothing behind (all-or-nothing per input file).
    """
    jobs: list[tuple[Path, Callable[[BinaryIO], None], str]] = []
    accepted_by_label: dict[str, dict[str, str]] = {}   # for the coverage check of each output
    if doc.combined:
        label = job.target_langs[0].code if len(job.target_langs) == 1 else COMBINED_LABEL
        accepted = {lang: _accepted(per) for lang, per in outcomes.items()}
        jobs.append((output_path(job.output_dir(label), relpath),
                     lambda out, a=accepted: doc.write_combined(a, out), label))
    else:
        for lang, per in outcomes.items():
            accepted_by_label[lang.code] = _accepted(per)
            jobs.append((output_path(job.output_dir(lang.code), relpath),
                         lambda out, lang=lang, a=accepted_by_label[lang.code]: doc.write(lang, a, out), lang.code))
    with ExitStack() as stack:
        for target, write, label in jobs:
            out, tmp = stack.enter_context(atomic_writer(target))
            write(out)
            _report_format_fallbacks(doc, label, outcomes, report)
            out.flush()
            doc.verify_file(tmp)
            if label in accepted_by_label:
                report.problems += _unwritten(job, doc, accepted_by_label[label], tmp, label)
    report.outputs.extend(str(target) for target, _, _ in jobs)


def _unwritten(job: Job, doc: Document, accepted: dict[str, str], tmp: Path, label: str) -> list[SegmentProblem]:
    """The coverage invariant's second half: re-extract the written output (see
    :mod:`pipeline.coverage`); translations it does not hold are problems."""
    handler = handler_for(doc.path)
    if handler is None or handler.streams:
        return []
    ctx = LoadContext(doc.path, None, job.format_options(handler.name), job.source_lang, job.target_langs)
    found = not_written(handler, ctx, list(doc.segments()), accepted, tmp.read_bytes())
    return [SegmentProblem("", "", label, NOT_WRITTEN, msg) for msg in found]


def _report_format_fallbacks(doc: Document, lang: str,
                             outcomes: Mapping[Language, Mapping[str, tuple[Segment, Outcome]]],
                             report: FileReport) -> None:
    contexts = {sid: seg.context for per in outcomes.values() for sid, (seg, _) in per.items()}
    for sid, reason in getattr(doc, "fallbacks", {}).items():
        report.problems.append(SegmentProblem(sid, contexts.get(sid, ""), lang, "fallback", reason))


def _write_report(job: Job, result: RunResult) -> None:
    """A JSON report of the run beside the ledger, for CI steps that want to read it."""
    path = job.state_dir / "reports" / f"run-{result.run_id}.json"
    data = asdict(result) | {"exit_code": result.exit_code}
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))


def _trace() -> str:
    return redact(traceback.format_exc(limit=3)) if os.environ.get("QMT_DEBUG") else "(set QMT_DEBUG=1 for details)"


__all__ = ["EXIT_FATAL", "EXIT_OK", "EXIT_PARTIAL", "EXIT_USAGE", "FileReport", "QmtError",
           "RunResult", "make_backend", "run_job"]
