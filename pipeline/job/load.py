"""The one way a job's documents are read: which input files, through which format, with which rules.

Every command that looks at a job's segments reads them here: the run and ``qmt translate
--frozen`` (through :class:`~pipeline.job.plan.Planner`), ``qmt estimate``, ``qmt check``
and ``qmt xliff export`` (through :mod:`pipeline.review.qa.snapshot`). So they see the same
segments: the same files (:func:`inputs`: the input tree, the job's include and exclude
globs), the same handler, the same options (a format's table with its per-file rules, such
as ``[[csv.files]]``, chosen by the file's path relative to the input folder) and the same
choice of what is sent (:func:`sendable_segments`). A file read two ways once gave
``qmt check`` six segments where the run planned two.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, overload

from pipeline.formats import Document, FormatHandler, LoadContext, handler_for
from pipeline.formats.base import Found
from pipeline.job.discover import Skipped, discover
from pipeline.segments import Segment, has_translatable_text

if TYPE_CHECKING:
    from pipeline.config import Job
    from pipeline.job.links import JobLinks


@dataclass(frozen=True)
class LoadedDocument:
    """A document as every command reads it: the handler, what it was given, its segments
    and those of them with text to translate."""

    handler: FormatHandler
    ctx: LoadContext
    doc: Document
    segments: list[Segment]
    sendable: list[Segment]


def inputs(job: Job) -> tuple[list[Found], list[Skipped]]:
    """The job's input files (sorted) and those refused by name or link (with why)."""
    return discover(job.input_dir, job.include, job.exclude)


def sendable_segments(segments: list[Segment]) -> list[Segment]:
    """The segments with text to translate (the rest are written back as they are)."""
    return [s for s in segments if has_translatable_text(s.text)]


def load_context(job: Job, handler: FormatHandler, path: Path, data: bytes | None, relpath: str, *,
                 rebuilt: bool = False, links: "JobLinks | None" = None) -> LoadContext:
    """What ``handler`` is given for ``path``: the format's options from the job (the
    handler picks the per-file rule by ``relpath``) and the job's languages. ``rebuilt``:
    qmt's own output read back for a check; ``links``: the job's pages, for a run that
    rewrites their links (:mod:`pipeline.formats.links`)."""
    return LoadContext(path, data, job.format_options(handler.name), job.source_lang, job.target_langs,
                       relpath=relpath, rebuilt=rebuilt, links=links)


@overload
def load_document(job: Job, path: Path, relpath: str, handler: FormatHandler, *,
                  links: "JobLinks | None" = None) -> LoadedDocument: ...
@overload
def load_document(job: Job, path: Path, relpath: str, handler: None = None, *,
                  links: "JobLinks | None" = None) -> LoadedDocument | None: ...


def load_document(job: Job, path: Path, relpath: str, handler: FormatHandler | None = None, *,
                  links: "JobLinks | None" = None) -> LoadedDocument | None:
    """Read one input file as every command does; None when no format takes it.

    Raises :class:`~pipeline.errors.FileError` (the format refuses the file) or
    :class:`OSError` (it cannot be read): the caller says how it reports the file."""
    handler = handler or handler_for(path)
    if handler is None:
        return None
    ctx = load_context(job, handler, path, None if handler.streams else path.read_bytes(), relpath, links=links)
    doc = handler.load(ctx)
    segments = list(doc.segments())
    return LoadedDocument(handler, ctx, doc, segments, sendable_segments(segments))


__all__ = ["LoadedDocument", "inputs", "load_context", "load_document", "sendable_segments"]
