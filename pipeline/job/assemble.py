"""Reassembling a planned text file: each output as soon as its languages are back.

A file has one output per target language, or one combined output for a format that
holds every language in one file (a CSV filled in place). :class:`FileOutputs` stages
each output on a writer thread as soon as the outcomes of its languages are in: the
document is rebuilt into a temporary file beside the target, which is checked there
(the format's own check, then the coverage check: every accepted translation is in
the file). Only when every output of the file has passed, and the input is still what
was loaded, are they renamed into place together (:class:`~pipeline.output.Staging`),
so a file whose check fails leaves nothing behind (all or nothing per input file) and
a run stopped before a file's last language is back writes none of its outputs.

Staging per output, rather than the whole file at its end, keeps a large document's
rebuild off the run's tail: the plan sends a file's languages in turn, so the first
language's output is rebuilt and checked while the next is still being translated, and
only the last one is left after the last answer.

The stages of one file run one at a time (a document is rebuilt by one thread at a
time); the caller awaits each before starting the next.
"""
from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Mapping

from pipeline.job.coverage import NOT_EXTRACTED, NOT_WRITTEN, not_written, source_leftovers
from pipeline.errors import FileError
from pipeline.formats import Document, handler_for, output_relpath
from pipeline.formats.base import EXPANDED, KEPT_AS_IS, LINE_LENGTH, READING_SPEED
from pipeline.languages import Language
from pipeline.memory.session import TERM_MISSING
from pipeline.memory.lookup import MemoryLookup
from pipeline.output import Staging, output_path
from pipeline.job.load import load_context
from pipeline.job.plan import FilePlan, content_hash
from pipeline.repository.book import COMBINED_SEP, output_groups
from pipeline.repository.entries import lock_entries
from pipeline.repository.lockfile import LockedOutput, file_hash
from pipeline.repository.readback import read_written
from pipeline.secrets import redact
from pipeline.segments import Segment
from pipeline.translate.units import FALLBACK, REPAIRED, TRANSLATED, Outcome

if TYPE_CHECKING:
    from pipeline.config import Job

# Each (segment, language)'s outcome, per language.
Outcomes = dict[Language, dict[str, tuple[Segment, Outcome]]]


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


REPOSITORY = "repository"   # report status: what a committed output said (an edit not taken in ...)
HUMAN_REPLACED = "human_replaced"   # a human translation retranslated because its source changed
# Reported, but the file still counts as written in full: the text is translated.
WARNINGS = frozenset({TERM_MISSING, REPAIRED, REPOSITORY, HUMAN_REPLACED, READING_SPEED, LINE_LENGTH, EXPANDED,
                      KEPT_AS_IS})


def internal_error(exc: BaseException) -> str:
    """The reason reported for a bug (never a traceback unless QMT_DEBUG asks for one)."""
    trace = redact(traceback.format_exc(limit=3)) if os.environ.get("QMT_DEBUG") else "(set QMT_DEBUG=1 for details)"
    return f"internal error: {redact(repr(exc))}\n{trace}"


@dataclass
class _Staged:
    """One output written and checked under its temporary name, with what it reported
    and its lock entries (what it holds, segment by segment)."""

    target: Path
    problems: list[SegmentProblem]
    label: str
    locked: LockedOutput


class FileOutputs:
    """The outputs of one planned file: staged one language group at a time, then
    committed together (see the module docstring). Methods run on a writer thread."""

    def __init__(self, job: Job, fp: FilePlan, lookup: MemoryLookup):
        self.job, self.fp, self.lookup = job, fp, lookup
        self.doc = fp.document()
        # One group per output, in the job's language order (the report keeps that order).
        self._labels = output_groups(job, self.doc.combined)
        self.groups: list[tuple[Language, ...]] = [langs for _, langs in self._labels]
        self._staging = Staging()
        self._staged: dict[int, _Staged] = {}

    def stage(self, index: int, outcomes: Outcomes) -> FileReport | None:
        """Rebuild, write and check the output of group ``index``; the file's failure, or None."""
        try:
            self._staged[index] = self._stage(index, outcomes)
        except FileError as exc:
            return self._failed(exc.reason)
        except Exception as exc:  # a bug in a format fails its file, never the run
            return self._failed(internal_error(exc))
        return None

    def prepare(self) -> FileReport:
        """Every output staged: the file's report, unless the input changed meanwhile
        (then failed). :meth:`commit` renames the outputs into place."""
        fp = self.fp
        changed = _input_changed(fp.path, fp.digest)
        if changed is not None:
            return self._failed(changed)
        report = FileReport(fp.relpath, "written", segments=len(fp.segments), decisions=list(self.doc.decisions))
        report.problems = [SegmentProblem("", "", "", "untranslated", msg) for msg in self.doc.problems]
        report.problems += [SegmentProblem("", "", "", KEPT_AS_IS, msg) for msg in self.doc.warnings]
        report.problems += [SegmentProblem("", "", code, REPOSITORY, msg)
                            for code, found in fp.harvest.items() for msg in found.problems]
        context = {s.id: s.context for s in fp.segments}
        report.problems += [SegmentProblem(sid, context.get(sid, ""), code, HUMAN_REPLACED,
                                           "human translation replaced: source changed (the old one went "
                                           "with the request as a TM match; review the new one)")
                            for code, found in fp.harvest.items() for sid in found.replaced]
        try:
            report.problems += [SegmentProblem("", "", "", NOT_EXTRACTED, msg) for msg in source_leftovers(self.doc)]
        except Exception as exc:
            return self._failed(internal_error(exc))
        for index in sorted(self._staged):   # the job's language order
            report.problems += self._staged[index].problems
        return report

    @property
    def locked(self) -> dict[str, LockedOutput]:
        """The lock entries of every staged output, by label."""
        return {staged.label: staged.locked for staged in self._staged.values()}

    def commit(self, report: FileReport) -> FileReport:
        """Rename every staged output into place (their lock entries are journaled first)."""
        staged = [self._staged[index] for index in sorted(self._staged)]
        try:
            self._staging.commit()
        except OSError as exc:
            return self._failed(f"cannot write {exc.filename or 'the output'}: {exc.strerror or exc}")
        report.outputs = [str(output.target) for output in staged]
        return report

    def discard(self) -> None:
        """Remove what was staged (the file is not written)."""
        self._staging.discard()

    def _stage(self, index: int, outcomes: Outcomes) -> _Staged:
        doc, job = self.doc, self.job
        problems = outcome_problems(outcomes) + term_problems(self.lookup, outcomes)
        label = self._labels[index][0]
        target = output_path(job.output_dir(label), output_relpath(job, self.fp.path, self.fp.relpath, label))
        write: Callable[[BinaryIO], None]
        accepted: dict[str, str] | None = None      # the one language's (None: combined)
        if doc.combined:
            by_lang = {lang: accepted_translations(per) for lang, per in outcomes.items()}
            write = lambda out: doc.write_combined(by_lang, out)  # noqa: E731
        else:
            ((only, per),) = outcomes.items()
            accepted = translations = accepted_translations(per)
            write = lambda out: doc.write(only, translations, out)  # noqa: E731
        with self._staging.open(target) as (out, tmp):
            write(out)
            problems += _format_fallbacks(doc, label, outcomes)
            out.flush()
            reopened = doc.verify_file(tmp)
            locked = LockedOutput(self.fp.relpath, self.fp.digest[:16], file_hash(tmp))
            for lang, per in outcomes.items():
                written = self._read_back(tmp, lang, reopened)
                if accepted is not None and not self._streams:
                    problems += [SegmentProblem("", "", label, NOT_WRITTEN, msg)
                                 for msg in not_written(list(doc.segments()), accepted, written)]
                prefix = lang.code + COMBINED_SEP if len(outcomes) > 1 else ""
                locked.entries += lock_entries(doc.segments(), written, per, doc.fallbacks,
                                               self._fingerprint_in(lang), prefix)
        return _Staged(target, problems, label, locked)

    def _fingerprint_in(self, lang: Language) -> Callable[[str], str]:
        """Segment text -> the settings digest its plan into ``lang`` had (lock entries record it)."""
        return lambda text: self.lookup.fingerprint_of(text, lang)

    @property
    def _streams(self) -> bool:
        handler = handler_for(self.doc.path)
        return handler is None or handler.streams

    def _read_back(self, tmp: Path, lang: Language, reopened: Document | None) -> list[Segment]:
        """The staged output's segments in ``lang``, read with the format's extractor."""
        doc, job = self.doc, self.job
        handler = handler_for(doc.path)
        if handler is None:
            return []
        ctx = load_context(job, handler, doc.path, None, self.fp.relpath)
        return read_written(handler, ctx, doc, tmp, lang, reopened)

    def _failed(self, reason: str) -> FileReport:
        self._staging.discard()
        problems = [p for staged in self._staged.values() for p in staged.problems]
        return FileReport(self.fp.relpath, "failed", reason, segments=len(self.fp.segments), problems=problems)


def _input_changed(path: Path, digest: str) -> str | None:
    """Why the input cannot be written from what was loaded (it changed or went away), or None."""
    try:
        if content_hash(path, None) == digest:
            return None
    except OSError as exc:
        return f"input could not be read again before writing ({exc.strerror or exc}): not written; run again"
    return "input changed during the run: not written from its old content; run again to translate the new one"


def outcome_problems(outcomes: Mapping[Language, Mapping[str, tuple[Segment, Outcome]]]) -> list[SegmentProblem]:
    """Every (segment, language) not translated, with its status and reason."""
    problems = []
    for lang, per in outcomes.items():
        for sid, (seg, outcome) in per.items():
            if outcome.status != TRANSLATED:
                problems.append(SegmentProblem(sid, seg.context, lang.code, outcome.status, outcome.reason))
    return problems


def term_problems(lookup: MemoryLookup,
                  outcomes: Mapping[Language, Mapping[str, tuple[Segment, Outcome]]]) -> list[SegmentProblem]:
    """Sent glossary terms whose target is missing from the translation: reported, but
    the translation is written (a warning: the file stays "written", exit code 0)."""
    problems = []
    for lang, per in outcomes.items():
        for sid, (seg, outcome) in per.items():
            for term in lookup.term_misses(seg.text, lang, outcome):
                problems.append(SegmentProblem(sid, seg.context, lang.code, TERM_MISSING,
                                               f"glossary term {term.source!r} -> {term.target!r} not applied"))
    return problems


def accepted_translations(per: Mapping[str, tuple[Segment, Outcome]]) -> dict[str, str]:
    """Only checked translations are written; failed and fallback segments keep their source."""
    return {sid: o.text for sid, (_, o) in per.items() if o.status in (TRANSLATED, REPAIRED)}


def _format_fallbacks(doc: Document, label: str,
                      outcomes: Mapping[Language, Mapping[str, tuple[Segment, Outcome]]]) -> list[SegmentProblem]:
    """Segments the format kept in the source (markup that would not survive), and what it
    noticed in what it wrote (``doc.notices``: a subtitle cue read too fast, a warning),
    from the write just made (both are the last write's)."""
    contexts = {sid: seg.context for per in outcomes.values() for sid, (seg, _) in per.items()}
    return [SegmentProblem(sid, contexts.get(sid, ""), label, FALLBACK, reason)
            for sid, reason in doc.fallbacks.items()] + [
        SegmentProblem(sid, contexts.get(sid, ""), label, status, reason)
        for sid, status, reason in doc.notices]


__all__ = ["FileOutputs", "FileReport", "Outcomes", "SegmentProblem", "WARNINGS", "accepted_translations",
           "internal_error", "outcome_problems", "term_problems"]
