"""Every segment of a job with the translation the job's state holds for it.

The job is walked exactly as a run walks it (same files, same format modules, same
sendable segments) and each (segment, target language) is looked up in memory the
way the next run would answer it (:meth:`MemoryLookup.plan`, read-only): a reviewed
translation, an exact TM match, the cache, or an earlier run's translation. Nothing
is sent and nothing is written. A segment with no stored translation (never run, or
left in the source language) has ``target = None``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from pipeline.errors import FileError
from pipeline.formats.base import NO_VERBATIM, Verbatim
from pipeline.job.load import LoadedDocument, inputs, load_document
from pipeline.languages import Language
from pipeline.memory.terms import Glossary
from pipeline.memory.lookup import MemoryLookup
from pipeline.provenance import EMULATOR_PREFIX, HUMAN_ENGINE, emulator_engine, is_emulated
from pipeline.repository.book import load_book
from pipeline.translate.units import TRANSLATED, Outcome, Unit
from pipeline.segments import Segment

if TYPE_CHECKING:
    from pipeline.config import Job
    from pipeline.repository.committed import FileHarvest

# Where a current translation came from (XLIFF exports it; reports show it).
HUMAN, TM, MT, CACHE = "human", "tm", "mt", "cache"


@dataclass(frozen=True)
class Row:
    """One segment in one target language."""

    file: str                   # the input file, relative to the job's input folder
    lang: Language
    segment: Segment
    target: str | None          # tagged translation, None if the state has none
    origin: str = ""            # human | tm | mt | cache ("" without a target)
    machine: str | None = None  # the machine translation a reviewed one replaced (origin human)
    engine: str = ""            # who made the target (pipeline.provenance; "" without one)
    verbatim: Verbatim = NO_VERBATIM    # the code of the segment's source paragraph
    written: Verbatim | None = None     # the code of its paragraph in the output (None: no output read)

    @property
    def emulated(self) -> bool:
        """The target is the local emulator's output, not a translation."""
        return is_emulated(self.engine)


@dataclass
class FileState:
    relpath: str
    rows: list[Row] = field(default_factory=list)
    error: str = ""             # why the file could not be read ("" if it was)
    #: segment id -> tag number -> the source markup it stands for (opening, closing)
    markup: dict[str, Mapping[int, tuple[str, str]]] = field(default_factory=dict)


@dataclass
class JobState:
    job: Job
    files: list[FileState]
    glossary: Glossary

    def rows(self) -> Iterable[Row]:
        for f in self.files:
            yield from f.rows


def origin_of(plan: Unit) -> str:
    """human, tm (the job's TM file), mt (an earlier run's answer) or cache."""
    if plan.source == "tm":
        return TM if not plan.cache_key else MT  # TM-file hits are decided before the cache key exists
    return {"human": HUMAN, "cache": CACHE, "committed": MT}.get(plan.source, "")


def emulator_engine_of(job: Job, mode: str) -> str:
    """The engine ``qmt translate --emulator MODE`` records for ``job``'s answers."""
    return emulator_engine(f"chat-{mode}" if job.engine == "llm" else mode)


def job_state(job: Job, langs: Iterable[Language] | None = None, files: Iterable[str] | None = None,
              engine: str | None = None) -> JobState:
    """Walk ``job`` (optionally only some target languages or input files) read-only.

    ``engine`` reads the answers of that engine instead of those of the job's endpoint:
    ``emulator:pseudo`` reads what ``qmt translate --emulator`` stored, which a lookup at
    the job's own endpoint never returns (emulated output is never reused as real)."""
    wanted_langs = tuple(langs) if langs else job.target_langs
    wanted_files = set(files) if files is not None else None
    memories = _Memories(job, engine)
    out: list[FileState] = []
    try:
        found, _ = inputs(job)
        for item in found:
            if wanted_files is not None and item.relpath not in wanted_files:
                continue
            state = _file_state(job, item.path, item.relpath, memories, wanted_langs)
            if state is not None:
                out.append(state)
    finally:
        memories.close()
    return JobState(job, out, memories.memory.glossary)


def emulated_only_hint(job: Job, langs: Iterable[Language] | None = None) -> str:
    """For a job that reads as untranslated: whether the emulator's translations are all
    it has (they are never read as the job's own), and the flag that reads them."""
    for mode in ("pseudo", "identity"):
        probe = job_state(job, langs, engine=emulator_engine_of(job, mode))
        if any(r.target is not None for r in probe.rows()):
            return (f"note: the job's only translations came from the emulator ({mode} mode), which is never "
                    f"read as the job's own: --emulator {mode} reads them")
    return ""


class _Memories:
    """The job's memory as a run sees it and, made only when a reviewed translation is
    found, the same memory without reviewed translations (what the machine had said)."""

    def __init__(self, job: Job, engine: str | None = None):
        if engine:  # an endpoint no run has answered at: the lookup takes ``engine`` as given
            job = replace(job, base_url=f"{EMULATOR_PREFIX}//{engine}")
        # The committed outputs answer too (a fresh clone has no state folder): read them
        # back through the lock files, as a run does (pipeline.repository).
        self.book = load_book(job)
        self.job, self.engine = job, engine or self.book.committed_engine()
        self.memory = MemoryLookup.open(job, engine=self.engine)
        self._machine: MemoryLookup | None = None
        self._taken: list[tuple[list[Segment], dict[str, FileHarvest]]] = []

    @property
    def machine(self) -> MemoryLookup:
        if self._machine is None:
            self._machine = MemoryLookup.open(self.job, engine=self.engine)
            self._machine.use_human = False
            for segments, harvest in self._taken:
                self._machine.take_committed(segments, harvest)
        return self._machine

    def take_committed(self, loaded: LoadedDocument, relpath: str) -> dict[str, FileHarvest]:
        """What the file's committed outputs say, given to both lookups; by language code."""
        segments = loaded.segments
        harvest = self.book.harvest(loaded.handler, loaded.ctx, loaded.doc, relpath)
        self.memory.take_committed(segments, harvest)
        self._taken.append((segments, harvest))
        if self._machine is not None:
            self._machine.take_committed(segments, harvest)
        return harvest

    def close(self) -> None:
        self.memory.close()
        if self._machine is not None:
            self._machine.close()


def _file_state(job: Job, path: Path, relpath: str, memories: _Memories,
                langs: tuple[Language, ...]) -> FileState | None:
    memory = memories.memory
    try:
        loaded = load_document(job, path, relpath)
    except (FileError, OSError) as exc:
        return FileState(relpath, error=getattr(exc, "reason", None) or str(exc))
    if loaded is None:
        return None
    doc, segments = loaded.doc, loaded.sendable
    harvest = memories.take_committed(loaded, relpath)
    state = FileState(relpath, markup={seg.id: doc.inline_markup(seg.id) for seg in segments})
    for lang in langs:
        needed = doc.needs(lang)  # a table filled in place, a plural form the language lacks: not needed
        human = harvest[lang.code].human if lang.code in harvest else {}
        written = harvest[lang.code].verbatim if lang.code in harvest else {}
        for seg in segments:
            if needed is not None and seg.id not in needed:
                continue
            plan = memory.plan(seg.text, lang, relpath)
            if seg.id in human:     # this file's own reviewed text (pipeline.job.plan does the same)
                plan = Unit(seg.text, lang, origin=relpath, source="human",
                            outcome=Outcome(human[seg.id], TRANSLATED, "reviewed translation", HUMAN_ENGINE))
            code, out = doc.verbatim(seg.id), written.get(seg.id)
            if plan.outcome is None:
                state.rows.append(Row(relpath, lang, seg, None))
            elif plan.source == "human":
                below = memories.machine.plan(seg.text, lang, relpath).outcome
                state.rows.append(Row(relpath, lang, seg, plan.outcome.text, HUMAN, below.text if below else None,
                                      plan.outcome.engine, code, out))
            else:
                state.rows.append(Row(relpath, lang, seg, plan.outcome.text, origin_of(plan),
                                      engine=plan.outcome.engine, verbatim=code, written=out))
    return state
