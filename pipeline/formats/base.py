"""What every format module provides: load a file into segments, rebuild it from translations.

A format module (``markdown/``, ``docx/``, ``csv/``) walks its document once; the same
walk serves extraction (it yields :class:`~pipeline.segments.Segment` objects) and
rebuild (it writes translated text back in place), so the two cannot drift apart.

The runner calls, per input file::

    doc = handler.load(ctx)                    # FileError if the file cannot be handled
    doc.segments()                             # what to translate
    doc.write(lang, translations, out)         # per target language, or
    doc.write_combined(by_lang, out)           # when doc.combined (one file, all languages)
    doc.verify_file(tmp_path)                  # check before the rename: FormatError on mismatch

``write``/``write_combined``/``verify_file`` default to the in-memory ``rebuild``,
``rebuild_combined`` and ``verify``; a format that must handle files larger than memory
(CSV) overrides them to stream, and sets ``FormatHandler.streams`` so the runner hands
it the path instead of the file's bytes (``LoadContext.data`` is then None).

``translations`` maps segment id to translated tagged text that has already passed
:func:`pipeline.segments.check_translation`; a segment missing from it keeps its source.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Mapping, Sequence

from pipeline.languages import Language
from pipeline.segments import Segment


@dataclass(frozen=True)
class Found:
    """An input file a job reads (:func:`pipeline.job.discover.discover` finds them): the
    documents' formats and the media pipeline both take it, so it lives below them."""

    path: Path          # absolute path of the input file
    relpath: str        # relative to the input folder, "/"-separated


@dataclass(frozen=True)
class LoadContext:
    """Everything a format needs to read one file."""

    path: Path                      # the input file (for messages and relative names)
    data: bytes | None              # its bytes, read once by the runner (None for streaming handlers)
    options: Any                    # this format's options object from the job
    source_lang: Language | None    # None for "auto"
    target_langs: tuple[Language, ...]
    relpath: str = ""               # relative to the input folder ("/"), for per-pattern rules
    rebuilt: bool = False           # qmt's own output re-read for a check: input size limits do not apply
    links: Any = None               # pipeline.job.links.JobLinks when the job rewrites pages' links

    @property
    def content(self) -> bytes:
        """The file's bytes, for a handler that does not stream (the runner always reads them)."""
        if self.data is None:
            raise TypeError(f"{self.path}: a handler that does not stream was given no bytes")
        return self.data


@dataclass(frozen=True)
class Verbatim:
    """What of a segment's paragraph travels as code and must come back byte for byte
    (inline code, a monospace run, a URL, a path, a command line), with the text around it."""

    text: str = ""      # what a reader sees of the paragraph, code included
    #: (code, the isolated tag that carries it in the segment or 0 at the segment's edges
    #: outside its text, its offset in ``text``), in document order
    spans: tuple[tuple[str, int, int], ...] = ()

    @property
    def code(self) -> str:
        """All the code, one span after the other."""
        return "".join(code for code, _, _ in self.spans)


NO_VERBATIM = Verbatim()


class Document(ABC):
    """A loaded input file."""

    #: True when one output file carries every target language (CSV fill/add modes).
    combined: bool = False
    #: True when a segment's ``context`` says something a translator needs (a string's
    #: key and comments), not only where it sits ("table cell"): engine llm sends it.
    model_context: bool = False
    #: A table's data rows, and how many rows each segment stands for (a table de-duplicates
    #: cell values): the progress bar counts rows. None for documents that are not tables.
    rows: int | None = None
    row_weights: Mapping[str, int] | None = None

    def __init__(self, path: Path):
        self.path = path
        #: Set by each rebuild: segment id -> why the format kept that segment's source
        #: even though a checked translation was given (e.g. Markdown markup that the
        #: translated text would break). The runner reports them as fallbacks.
        self.fallbacks: dict[str, str] = {}
        #: What the format decided about this file on its own (e.g. the columns of a data
        #: export it chose to translate): shown in the run report and by ``qmt estimate``.
        self.decisions: list[str] = []
        #: Set by each rebuild: (segment id, status, reason) of what the format noticed in
        #: a translation it wrote all the same (a subtitle cue read too fast): warnings.
        self.notices: list[tuple[str, str, str]] = []
        #: Parts of the file the format found but could not translate (a Markdown line it
        #: could not locate, a DOCX altChunk): reported as untranslated, the rest is written.
        self.problems: list[str] = []
        #: Parts of the file the format kept as they are without reading them, as it was
        #: told to expect they may be there (a CSV title line above the header, a ragged
        #: row): one "where: what" line each, reported as warnings (status KEPT_AS_IS);
        #: the file still counts as written in full.
        self.warnings: list[str] = []

    @abstractmethod
    def segments(self) -> Sequence[Segment]:
        """The translatable segments, in document order; ids unique within the file."""

    def rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        """The document in ``lang``; untranslated segments keep their source bytes."""
        raise NotImplementedError(f"{type(self).__name__} writes one combined file")

    def rebuild_combined(self, translations: Mapping[Language, Mapping[str, str]]) -> bytes:
        """One output holding every target language (only when ``combined``)."""
        raise NotImplementedError(f"{type(self).__name__} writes one file per language")

    def verify(self, data: bytes) -> "Document | None":
        """Re-read the rebuilt bytes and raise FormatError if their structure differs.

        A format whose check re-opens the output as a document returns it, so the
        coverage check reads its segments rather than parsing the output once more
        (a 6,000-paragraph DOCX takes a second to parse); others return None."""
        return None

    def write(self, lang: Language, translations: Mapping[str, str], out: BinaryIO) -> None:
        """Write the document in ``lang`` to ``out`` (default: :meth:`rebuild`)."""
        out.write(self.rebuild(lang, translations))

    def write_combined(self, translations: Mapping[Language, Mapping[str, str]], out: BinaryIO) -> None:
        """Write the combined document to ``out`` (default: :meth:`rebuild_combined`)."""
        out.write(self.rebuild_combined(translations))

    def verify_file(self, path: Path) -> "Document | None":
        """Check a written output before it replaces anything (default: :meth:`verify`);
        returns the re-opened document when the check made one."""
        return self.verify(path.read_bytes())

    def inline_markup(self, segment_id: str) -> Mapping[int, tuple[str, str]]:
        """The source markup each tag of a segment stands for, as (opening, closing) text
        (closing "" for isolated tags), for reviewers' tools (XLIFF ``originalData``).
        Default: none known (the tags themselves are shown)."""
        return {}

    def verbatim(self, segment_id: str) -> Verbatim:
        """The code of a segment's paragraph, which the translation must carry unchanged
        (the QA check ``code`` compares it with an output's). Default: none known."""
        return NO_VERBATIM

    def needs(self, lang: Language) -> "set[str] | None":
        """The ids of the segments an output in ``lang`` needs translated; None: all of
        them (a table filled in place needs none for cells that are already filled; a
        string catalogue sends a plural form only to the languages whose CLDR categories
        need it: Arabic ``few``, not Japanese)."""
        return None

    def read_written(self, output: Path, lang: Language) -> "list[Segment] | None":
        """The segments an output of this document holds for ``lang``, in document order,
        when the format reads its outputs its own way (a table filled in place); None:
        the output is re-extracted like a source (:mod:`pipeline.repository.readback`)."""
        return None

    def unextracted(self) -> list[str]:
        """Text of the source the walk did not extract, found by a reader independent of
        the walk: one "where: what" line each (the run reports them; exit code 1).
        Default: none (a format without such a reader)."""
        return []


# Statuses of Document.notices (warnings: the file still counts as written in full).
READING_SPEED = "reading_speed"     # a subtitle cue with more characters a second than viewers read
LINE_LENGTH = "line_length"         # a subtitle cue whose text needs lines wider than the limit
EXPANDED = "expanded"               # a slide text box whose translation is much longer: set to shrink on overflow
KEPT_AS_IS = "kept_as_is"           # a part of the file the format copied through unread (Document.warnings)


def text_preview(text: str, limit: int = 60) -> str:
    """A short quoted excerpt of ``text`` (whitespace collapsed) for one-line reports."""
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "…")


class FormatHandler(ABC):
    """Registry entry: which files a format takes and how to load them."""

    name: str = ""
    extensions: tuple[str, ...] = ()
    #: The handler reads ``ctx.path`` itself (streaming); the runner passes no bytes.
    streams: bool = False
    #: Its documents may be ``combined`` (one output for every target language, a CSV
    #: table): the job may write that output too (pipeline.job.ownership claims it).
    combines: bool = False

    def takes(self, path: Path) -> bool:
        """Whether this format reads ``path`` (default: every file with its extension; a
        JSON or YAML file is a string catalogue only when its path names a language)."""
        return True

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        """Where the output in ``lang_code`` goes, relative to the job's output folder.
        Default: the input's own relative path; string catalogues rename by language
        (``en.json`` -> ``zh.json``, ``messages.pot`` -> ``zh/LC_MESSAGES/messages.po``)."""
        return relpath

    @abstractmethod
    def load(self, ctx: LoadContext) -> Document:
        """Parse ``ctx.data``; raise FileError naming the problem if it cannot be handled."""
