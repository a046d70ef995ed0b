"""Every segment of a job with the translation the job's state holds for it.

The job is walked exactly as a run walks it (same files, same format modules, same
sendable segments) and each (segment, target language) is looked up in memory the
way the next run would answer it (:meth:`MemoryLookup.plan`, read-only): a reviewed
translation, an exact TM match, the cache, or an earlier run's translation. Nothing
is sent and nothing is written. A segment with no stored translation (never run, or
left in the source language) has ``target = None``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from pipeline.config import Job
from pipeline.discover import discover
from pipeline.errors import FileError
from pipeline.formats import Document, LoadContext, handler_for
from pipeline.languages import Language
from pipeline.memory import Glossary, MemoryLookup
from pipeline.memory.lookup import Plan
from pipeline.segments import Segment

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


def load_segments(job: Job, path: Path) -> tuple[Document, list[Segment]] | None:
    """The document and its sendable segments as a run sees them; None for a file no
    format takes. FileError/OSError when the file cannot be read."""
    from pipeline.plan import sendable_segments  # the plan's own choice

    handler = handler_for(path)
    if handler is None:
        return None
    ctx = LoadContext(path, None if handler.streams else path.read_bytes(),
                      job.format_options(handler.name), job.source_lang, job.target_langs)
    doc = handler.load(ctx)
    return doc, sendable_segments(list(doc.segments()))


def origin_of(plan: Plan) -> str:
    """human, tm (the job's TM file), mt (an earlier run's answer) or cache."""
    if plan.source == "tm":
        return TM if not plan.key else MT  # TM-file hits are decided before the cache key exists
    return {"human": HUMAN, "cache": CACHE}.get(plan.source, "")


def job_state(job: Job, langs: Iterable[Language] | None = None, files: Iterable[str] | None = None) -> JobState:
    """Walk ``job`` (optionally only some target languages or input files) read-only."""
    wanted_langs = tuple(langs) if langs else job.target_langs
    wanted_files = set(files) if files is not None else None
    memories = _Memories(job)
    out: list[FileState] = []
    try:
        found, _ = discover(job.input_dir, job.include, job.exclude)
        for item in found:
            if wanted_files is not None and item.relpath not in wanted_files:
                continue
            state = _file_state(job, item.path, item.relpath, memories, wanted_langs)
            if state is not None:
                out.append(state)
    finally:
        memories.close()
    return JobState(job, out, memories.memory.glossary)


class _Memories:
    """The job's memory as a run sees it and, made only when a reviewed translation is
    found, the same memory without reviewed translations (what the machine had said)."""

    def __init__(self, job: Job):
        self.job = job
        self.memory = MemoryLookup.open(job)
        self._machine: MemoryLookup | None = None

    @property
    def machine(self) -> MemoryLookup:
        if self._machine is None:
            self._machine = MemoryLookup.open(self.job)
            self._machine.use_human = False
        return self._machine

    def close(self) -> None:
        self.memory.close()
        if self._machine is not None:
            self._machine.close()


def _file_state(job: Job, path: Path, relpath: str, memories: _Memories,
                langs: tuple[Language, ...]) -> FileState | None:
    memory = memories.memory
    try:
        loaded = load_segments(job, path)
    except (FileError, OSError) as exc:
        return FileState(relpath, error=getattr(exc, "reason", None) or str(exc))
    if loaded is None:
        return None
    doc, segments = loaded
    state = FileState(relpath, markup={seg.id: doc.inline_markup(seg.id) for seg in segments})
    for lang in langs:
        present = doc.applies(lang)
        for seg in segments:
            if present is not None and seg.id not in present:   # a plural form the language has no category for
                continue
            plan = memory.plan(seg.text, lang, relpath)
            if plan.outcome is None:
                state.rows.append(Row(relpath, lang, seg, None))
            elif plan.source == "human":
                below = memories.machine.plan(seg.text, lang, relpath).outcome
                state.rows.append(Row(relpath, lang, seg, plan.outcome.text, HUMAN, below.text if below else None))
            else:
                state.rows.append(Row(relpath, lang, seg, plan.outcome.text, origin_of(plan)))
    return state
