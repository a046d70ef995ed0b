"""``qmt translate JOB --frozen``: is everything translated? Sends nothing, writes nothing.

The pull-request check of the loop. The job is planned exactly as a run plans it (the
same files, lock files, committed outputs, memory and packing: :mod:`pipeline.job.plan`),
and a file is **up to date** when nothing of it would be sent, no reviewer's edit is
waiting to be taken in, and each of its outputs, rebuilt in memory from what is known,
is byte for byte the file on disk and the one its lock entry describes. Outputs whose
input is gone would be removed: they are stale too. An audio or video file is up to
date when its subtitles exist and none of its pieces would be sent (its answers live in
the state folder's media cache: on a fresh runner, media is stale). Anything stale makes the exit code
8, with the files listed and what sending them would cost; a check that matched nothing
at all (no lock file, no output) is stale, never a silent success.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.job.load import inputs
from pipeline.errors import FileError
from pipeline.formats.base import Found
from pipeline.languages import Language
from pipeline.media.run import estimate_media, media_problem, media_targets, output_names, split_media
from pipeline.memory.lookup import MemoryLookup
from pipeline.formats import output_relpath
from pipeline.output import output_path
from pipeline.job.plan import FAILED, PLANNED, FilePlan, Planner
from pipeline.repository.book import LockBook, load_book, output_groups
from pipeline.repository.lockfile import data_hash
from pipeline.translate.units import REPAIRED, TRANSLATED, PoolSettings, Unit

if TYPE_CHECKING:
    from pipeline.config import Job


@dataclass
class StaleFile:
    relpath: str
    why: str
    segments: int = 0           # (segment, language) pairs that would be sent


@dataclass
class Freshness:
    """What a run would do (``stale`` empty: nothing)."""

    job: str
    files: int = 0
    stale: list[StaleFile] = field(default_factory=list)
    requests: list[list[Unit]] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not self.stale


def check_freshness(job: Job, settings: PoolSettings, *, engine: str = "") -> Freshness:
    """Plan ``job`` as a run would (reading only) and say what is not up to date."""
    result = Freshness(job.name)
    book = load_book(job)
    lookup = MemoryLookup.open(job, engine=book.committed_engine() or engine)
    try:
        result.stale += [StaleFile(p.relpath, f"its input is gone: {p.path} would be removed")
                         for p in book.stale()]
        planner = Planner(job, lookup, settings, book=book)
        found, _ = inputs(job)
        found, media, refused = split_media(found)
        result.stale += [StaleFile(relpath, f"cannot be translated: {why}") for relpath, why in refused]
        for item in media:
            result.files += 1
            if (stale := _media_stale(job, item, lookup)) is not None:
                result.stale.append(stale)
        for item in found:
            fp = planner.add(item.path, item.relpath)
            result.requests += fp.requests
            if fp.status == PLANNED:
                result.files += 1
                if (stale := _file_stale(job, book, fp)) is not None:
                    result.stale.append(stale)
            elif fp.status == FAILED:
                result.stale.append(StaleFile(item.relpath, f"cannot be translated: {fp.reason}"))
        result.requests += planner.finish()
        if result.files == 0 and not result.stale:  # a check that matched nothing is no success
            result.stale.append(StaleFile(str(job.input_dir), "no input file matches the job's include patterns"))
    finally:
        lookup.close()
    return result


def _media_stale(job: Job, item: Found, lookup: MemoryLookup) -> StaleFile | None:
    """Why an audio or video file is not up to date: an output missing, or pieces its
    run would send (media answers live in the state folder's cache, not in lock files)."""
    if media_problem(job) is not None:
        return None     # every run reports it; nothing a run would send or write
    targets, _ = media_targets(job)
    for lang in targets:
        (name,) = output_names(item.relpath, lang.code, (".srt",))
        path = output_path(job.output_dir(lang.code), name)
        if not path.exists():
            return StaleFile(item.relpath, f"{path} does not exist")
    est = estimate_media(job, [item], lookup.store, lookup.engine)
    if est.failed:
        return StaleFile(item.relpath, f"cannot be translated: {est.failed[0][1]}")
    if est.requests:
        return StaleFile(item.relpath, f"{est.requests} media pieces to translate (LiveTranslate requests)")
    return None


def _file_stale(job: Job, book: LockBook, fp: FilePlan) -> StaleFile | None:
    """Why one planned file is not up to date, or None."""
    sent = sum(1 for a in fp.answers if a.unit.sent)
    if sent:
        return StaleFile(fp.relpath, f"{sent} segments to translate", sent)
    edits = sum(len(h.edits) for h in fp.harvest.values())
    if edits:
        return StaleFile(fp.relpath, f"{edits} reviewers' edits to take in as human translations")
    for label, langs in output_groups(job, fp.document().combined):
        why = _output_stale(job, book, fp, label, langs)
        if why is not None:
            return StaleFile(fp.relpath, why)
    return None


def _output_stale(job: Job, book: LockBook, fp: FilePlan, label: str, langs: tuple[Language, ...]) -> str | None:
    try:
        path = output_path(job.output_dir(label), output_relpath(job, fp.path, fp.relpath, label))
    except FileError as exc:
        return exc.reason
    locked = book.outputs.get(label, {}).get(fp.relpath)
    if locked is None:
        return f"{path} is not in the lock file" if path.exists() else f"{path} does not exist"
    try:
        on_disk = path.read_bytes()
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc})"
    rebuilt = _rebuild(fp, langs)
    if rebuilt != on_disk:
        return f"{path} would change"
    if locked.output_hash != data_hash(on_disk) or locked.input_hash != fp.digest[:16]:
        return f"the lock entry of {path} is out of date"
    return None


def _rebuild(fp: FilePlan, langs: tuple[Language, ...]) -> bytes:
    """The output of ``langs`` as a run would write it now (every answer is known)."""
    doc = fp.document()
    by_lang: dict[Language, dict[str, str]] = {lang: {} for lang in langs}
    for answer in fp.answers:
        outcome = answer.unit.outcome
        if answer.lang in by_lang and outcome is not None and outcome.status in (TRANSLATED, REPAIRED):
            by_lang[answer.lang][answer.seg.id] = outcome.text
    if doc.combined:
        return doc.rebuild_combined(by_lang)
    ((lang, accepted),) = by_lang.items()
    return doc.rebuild(lang, accepted)


def format_freshness(result: Freshness, cost: str) -> str:
    """The check's report: one line a stale file, then the total."""
    if result.up_to_date:
        return f"qmt: job {result.job} is up to date: {result.files} files, nothing to send, write or remove"
    lines = [f"qmt: {s.relpath}: {s.why}" for s in result.stale]
    segments = sum(s.segments for s in result.stale)
    lines.append(f"qmt: job {result.job} is NOT up to date: {len(result.stale)} of {result.files} files stale; "
                 f"{segments} segments in {len(result.requests)} requests would be sent ({cost})")
    return "\n".join(lines)


__all__ = ["Freshness", "StaleFile", "check_freshness", "format_freshness"]
