"""The one plan of a job: what each file asks for, and the requests that answer it.

``qmt translate`` and ``qmt estimate`` both walk the job through :class:`Planner`, file
by file in discovery order: load the document, choose its sendable segments, ask the
read-only memory (:class:`~pipeline.memory.lookup.MemoryLookup`: reviewed translations,
the TM file, the cache, earlier runs, terms, fuzzy TM) what is already answered,
de-duplicate what is left across the whole job, split long segments at sentence
boundaries, and pack the units into requests per target language across files
(:class:`~pipeline.translate.batching.Packer`). The estimate counts the requests; the
run hands them to the worker pool. The requests depend only on the files, the job and
its memory (never on timing), so the estimate predicts the run's requests and prompt
tokens by construction.

A pack stays open until it is full, so a file whose last units wait in an open pack is
held until later files fill it. A large file (``LARGE_FILE_SEGMENTS`` or more) that
fills a pack of its own in a language closes that language's open pack when it has
planned it (the pack then holds only its units), so its languages are answered in turn
and each output can be rebuilt while the next language is translated. To keep the wait
bounded, the open packs are closed (sent as they are) after any file that leaves more
than ``window`` segments of loaded files waiting on them; the run's memory bound
(``[run] max_segments_in_memory``) is twice the window, so a run can always make
progress (see :mod:`pipeline.job.run`). These rules are counted in segments planned, not in
time, so they are the same in the estimate.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeline.errors import FileError
from pipeline.formats import Document, handler_for
from pipeline.job.links import job_links
from pipeline.job.load import load_document, sendable_segments
from pipeline.languages import Language
from pipeline.memory.lookup import MemoryLookup
from pipeline.provenance import HUMAN_ENGINE
from pipeline.segments import Segment
from pipeline.service_facts import LLM
from pipeline.translate.batching import Packer, piece_units, pieces_of
from pipeline.translate.split import Piece
from pipeline.translate.units import HUMAN, TRANSLATED, Outcome, PoolSettings, Unit

if TYPE_CHECKING:
    from pipeline.config import Job
    from pipeline.repository.book import LockBook
    from pipeline.repository.committed import FileHarvest
    from pipeline.translate.pack_size import PackSizer

PLANNED, SKIPPED, FAILED = "planned", "skipped", "failed"
PART_ANSWERS = 1000         # (segment, language) answers per part of a file handed to the run
LARGE_FILE_SEGMENTS = 1000  # segments with text from which a file's languages are sent in turn


@dataclass
class Answer:
    """How one (segment, language) of a file is answered: by its unit, the one record of
    that text and language in the run (:class:`~pipeline.translate.units.Unit`), from
    memory (``unit.sent`` is False: its outcome is known) or sent (whole, or in
    ``pieces`` joined afterwards)."""

    seg: Segment
    lang: Language
    unit: Unit
    pieces: list[Piece] | None = None


@dataclass
class FilePlan:
    """One file as planned; ``requests`` are those its units closed (they may carry other
    files' units too: packs span files)."""

    relpath: str
    path: Path
    status: str = PLANNED           # planned | skipped | failed
    reason: str = ""
    doc: Document | None = None
    segments: list[Segment] = field(default_factory=list)
    sendable: list[Segment] = field(default_factory=list)
    digest: str = ""
    answers: list[Answer] = field(default_factory=list)
    requests: list[list[Unit]] = field(default_factory=list)
    # What the file's committed outputs said, by language code (pipeline.repository).
    harvest: "dict[str, FileHarvest]" = field(default_factory=dict)

    def document(self) -> Document:
        """The loaded document: a planned file's (a skipped or failed file has none)."""
        if self.doc is None:
            raise ValueError(f"{self.relpath} was not loaded ({self.status}: {self.reason})")
        return self.doc


@dataclass
class PlanPart:
    """Answers of a file planned together, and the requests they closed (in that order: a
    request's units are expected before it is sent)."""

    answers: list[Answer] = field(default_factory=list)
    requests: list[list[Unit]] = field(default_factory=list)


def _added(fp: FilePlan, part: PlanPart) -> PlanPart:
    fp.answers.extend(part.answers)
    fp.requests.extend(part.requests)
    return part


@dataclass
class PlanStats:
    files: int = 0              # files planned (loaded)
    segments: int = 0           # (segment, language) pairs with text to translate
    units: int = 0              # distinct texts to send (after memory, de-duplication and splitting)


def content_hash(path: Path, data: bytes | None) -> str:
    """The input's content hash (of ``data`` when the handler was given the bytes)."""
    if data is not None:
        return hashlib.sha256(data).hexdigest()
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class Planner:
    """Plans a job file by file (see the module docstring). Not thread-safe: one caller
    at a time (the run calls it from one planning thread, in discovery order)."""

    def __init__(self, job: Job, lookup: MemoryLookup, settings: PoolSettings, *,
                 sizer: "PackSizer | None" = None, window: int | None = None, book: "LockBook | None" = None):
        self.job = job
        self.lookup = lookup
        self.book = book            # the lock files: what the committed outputs hold
        self._max_segment_tokens = settings.max_segment_tokens
        self._packer = Packer(settings.pack_tokens, settings.pack_max_segments, settings.domains, sizer)
        self.window = window if window is not None else job.run.max_segments_in_memory // 2
        self._seen: set[tuple[object, ...]] = set()
        self._open_keys: dict[tuple[object, ...], str] = {}              # unit key -> language of the open pack holding it
        self._waiting: dict[str, dict[str, int]] = {}       # language -> files waiting on its open pack -> segments
        self.stop_reason: str | None = None                 # a file asked the job to stop ([csv] on_malformed)
        # A string's key and comments go to the model with engine llm (in its prompt);
        # Qwen-MT has no field for them (docs: "Context to the model").
        self._context = job.engine == LLM
        self.stats = PlanStats()
        self._links = job_links(job)                        # relative links of pages, when rewritten

    def add(self, path: Path, relpath: str) -> FilePlan:
        """Load and plan one file whole; never raises for a bad file (its plan says why)."""
        fp = self.load(path, relpath)
        for _ in self.parts(fp):
            pass
        return fp

    def load(self, path: Path, relpath: str) -> FilePlan:
        """Load one file (its plan says why when it cannot be planned); :meth:`parts` plans it."""
        fp = self._load(path, relpath)
        if fp.status == PLANNED:
            self.stats.files += 1
        return fp

    def parts(self, fp: FilePlan) -> Iterator[PlanPart]:
        """Plan a loaded file, in parts of at most ``PART_ANSWERS`` answers (the run sends a
        part's requests while the next is planned, so a large file's first requests do not
        wait for its whole plan); each part is also added to ``fp``. The parts are the same
        whatever their size: they cut the one plan, they do not change it."""
        if fp.status != PLANNED:
            return
        held = len(fp.segments)
        large = len(fp.sendable) >= LARGE_FILE_SEGMENTS
        part = PlanPart()
        for lang in self.job.target_langs:
            closed = 0
            human = fp.harvest[lang.code].human if lang.code in fp.harvest else {}
            needed = fp.document().needs(lang)
            for seg in fp.sendable:
                if needed is not None and seg.id not in needed:
                    continue
                before = len(part.requests)
                if seg.id in human:     # this file's own reviewed text, whatever other files hold
                    part.answers.append(self._human(seg, lang, fp.relpath, human[seg.id]))
                else:
                    context = seg.context if self._context and fp.document().model_context else ""
                    part.answers.append(self._answer(seg, lang, fp.relpath, held, part.requests, context))
                closed += len(part.requests) - before
                if len(part.answers) >= PART_ANSWERS:
                    yield _added(fp, part)
                    part = PlanPart()
            if large and closed:
                # A large file filled a pack of its own in this language, so the open pack
                # holds only its units: send it now, so that the language's output (seconds
                # to rebuild) is rebuilt while the next language is translated, not after
                # the job's last pack. A smaller file leaves it for the next files to fill:
                # one more request per language of every file would cost more than it saves.
                part.requests.extend(self._close(lang.code))
        if self._waiting_segments() > self.window:
            part.requests.extend(self.finish())
        yield _added(fp, part)

    def finish(self) -> list[list[Unit]]:
        """The open packs, closed: what is left to send (at the end of the job)."""
        return self._close()

    def _close(self, code: str | None = None) -> list[list[Unit]]:
        """The open packs (of one language, or all), closed and no longer waited on."""
        closed = self._packer.close(code)
        for request in closed:
            for unit in request:
                self._open_keys.pop(unit.key, None)
        if code is None:
            self._waiting.clear()
        else:
            self._waiting.pop(code, None)
        return closed

    def _human(self, seg: Segment, lang: Language, relpath: str, translation: str) -> Answer:
        """A segment answered by the human translation its own committed output holds."""
        self.stats.segments += 1
        self.lookup.stats.human_hits += 1
        unit = Unit(seg.text, lang, origin=relpath, source=HUMAN,
                    outcome=Outcome(translation, TRANSLATED, "reviewed translation (committed output)",
                                    HUMAN_ENGINE))
        return Answer(seg, lang, unit)

    def _answer(self, seg: Segment, lang: Language, relpath: str, held: int,
                requests: list[list[Unit]], context: str = "") -> Answer:
        self.stats.segments += 1
        unit = self.lookup.plan(seg.text, lang, relpath)
        if not unit.sent:
            return Answer(seg, lang, unit)
        if context and not unit.context:
            unit.context = context      # the one record of this text: the first string's context
        pieces = pieces_of(unit, self._max_segment_tokens)
        for part in (piece_units(unit, pieces) if pieces else [unit]):
            if part.key not in self._seen:
                self._seen.add(part.key)
                self.stats.units += 1
                requests.extend(self._pack(part))
            if part.key in self._open_keys:
                self._waiting.setdefault(lang.code, {})[relpath] = held
        return Answer(seg, lang, unit, pieces)

    def _pack(self, unit: Unit) -> list[list[Unit]]:
        closed = self._packer.add(unit)
        code = unit.target.code
        for request in closed:
            for done in request:
                self._open_keys.pop(done.key, None)
            self._waiting.pop(code, None)
        if not closed or closed[-1][-1] is not unit:    # it waits in the open pack
            self._open_keys[unit.key] = code
        return closed

    def _waiting_segments(self) -> int:
        files: dict[str, int] = {}
        for per in self._waiting.values():
            files.update(per)
        return sum(files.values())

    def _load(self, path: Path, relpath: str) -> FilePlan:
        fp = FilePlan(relpath, path)
        handler = handler_for(path)
        if handler is None:
            fp.status, fp.reason = SKIPPED, f"unsupported file type '{path.suffix or path.name}'"
            return fp
        try:
            if path.stat().st_size == 0:
                fp.status, fp.reason = FAILED, "empty file (0 bytes): nothing to translate; nothing written"
                return fp
            loaded = load_document(self.job, path, relpath, handler, links=self._links)   # as every command reads it
            fp.digest = content_hash(path, loaded.ctx.data)
            fp.doc, fp.segments, fp.sendable = loaded.doc, loaded.segments, loaded.sendable
            if self.book is not None:   # before the plan: a file's committed outputs answer first
                fp.harvest = self.book.harvest(handler, loaded.ctx, fp.doc, relpath)
                self.lookup.take_committed(fp.segments, fp.harvest)
        except FileError as exc:
            if exc.stop_job and self.stop_reason is None:
                self.stop_reason = f"the job stopped at {relpath} as the job asks for malformed files"
            fp.status, fp.reason = FAILED, exc.reason
            return fp
        except OSError as exc:
            fp.status, fp.reason = FAILED, f"cannot read: {exc.strerror or exc}"
            return fp
        return fp


__all__ = ["LARGE_FILE_SEGMENTS", "PART_ANSWERS", "Answer", "FilePlan", "PlanPart", "PlanStats", "Planner",
           "content_hash", "sendable_segments"]
