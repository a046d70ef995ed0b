"""A loaded CSV file: segments from its cells, streamed outputs, and the check before renaming.

One walk over the records (:func:`records.walk_chunks`) serves extraction, every
output and the check; :meth:`CsvDocument._wanted` decides for extraction and output
which source cells a row needs translated, so what is sent and what is written back
cannot disagree.

Scale: nothing is kept per row, and the file itself is not kept either. Loading reads
it once (:class:`~.source.Source`) and keeps one segment per distinct cell value (ids
are a hash of the value, so a value repeated a million times is translated once); each
output reads it again chunk by chunk, copies runs of unchanged records as slices and
streams through an incremental encoder into the runner's file; the check reads the
output and the input side by side. Memory grows with distinct values, not with rows.
"""
from __future__ import annotations

import hashlib
import io
from contextlib import closing
from itertools import zip_longest
from pathlib import Path
from typing import BinaryIO, Callable, Generator, Iterator, Mapping, Sequence

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import Document
from pipeline.formats.csv.columns import ColumnPlan, Target
from pipeline.formats.csv.encoding import Codec
from pipeline.formats.csv.records import (
    Dialect,
    CsvRecord,
    is_quoted,
    render,
    unquote,
    walk_chunks,
)
from pipeline.formats.csv.shape import HEADER, KEPT, MAX_REPORTED, ROW, KeptReport, Shape
from pipeline.formats.csv.source import Source
from pipeline.languages import Language
from pipeline.segments import (PLACEHOLDER_RE, Isolated, Segment, SegmentBuilder, Text, has_translatable_text,
                               tokenize)

NUL = "\x00"                # a stray NUL in a UTF-8 cell: the cell is kept as it is, never sent
_FLUSH_PARTS = 4096         # pieces of output text gathered before encoding them
_FLUSH_CHARS = 1 << 20      # ... or this many characters, whichever comes first
# Edits a record of a kind (:mod:`.shape`): the new record text, or None to copy it through unchanged.
Edit = Callable[[CsvRecord, str], "str | None"]


class CsvDocument(Document):
    """A CSV/TSV file ready to translate; ``rows`` counts its data rows for progress."""

    def __init__(
        self,
        path: Path,
        source: Source,
        codec: Codec,
        dialect: Dialect,
        plan: ColumnPlan | None,
        shape: Shape | None,
        *,
        header: Sequence[str] | None,
        combined: bool,
        stop: bool = False,
        placeholders: bool = True,
    ):
        super().__init__(path)
        self._placeholders = placeholders
        self.codec = codec
        self.dialect = dialect
        self.plan = plan
        self.shape = shape
        self.combined = combined
        #: Data rows (header and blank lines excluded): the progress bar's total.
        self.rows: int = 0
        #: Segment id -> rows credited to it: each row needing translation is credited
        #: to its first segment, so when every segment is done the weights plus
        #: ``rows - sum(weights)`` (rows with nothing to translate) add up to ``rows``.
        self.row_weights: dict[str, int] = {}
        self._source = source
        self._header = list(header) if header is not None else None
        self._stop = stop
        self._sources = frozenset(plan.sources) if plan else frozenset()
        self._segments: list[Segment] = []
        self._ids: dict[str, str] = {}            # stripped cell value -> segment id
        self._untranslatable: set[str] = set()    # values with letters only inside placeholders
        self._literals: dict[str, dict[int, str]] = {}  # id -> tag-looking source text
        self._taken: set[str] = set()
        self._raw_ids: dict[str, str] = {}       # raw field -> segment id (extraction memo)
        self._needed: dict[str, set[str]] = {}   # combined: language code -> segment ids its cells need
        self._nul_cells: list[str] = []          # "line N (column)" of the first cells holding a NUL byte
        self._nul_more = 0                       # ... and how many more (nothing kept per row)
        self._extract()
        self._raw_ids.clear()

    # --- the shared walk -----------------------------------------------------------

    def _records(self) -> Generator[tuple[str, CsvRecord, str], None, None]:
        """Every record of the input, read afresh: (its buffer, the record, its kind:
        HEADER, ROW, KEPT or BLANK; every record is a ROW of a file without a shape)."""
        shape = self.shape
        with closing(self._source.records(self.codec, self.dialect, stop=self._stop)) as records:
            for n, (buf, rec) in enumerate(records):
                yield buf, rec, ROW if shape is None else shape.kind(n, rec)

    def _planned(self) -> ColumnPlan:
        """The plan, where only a file with one gets (an empty file has none)."""
        assert self.plan is not None
        return self.plan

    def _wanted(self, fields: list[str]) -> Iterator[int]:
        """Source columns of this row whose values the output needs translated."""
        plan = self._planned()
        if not plan.combined:
            yield from plan.sources
            return
        for t in plan.targets:
            if self._needs(t, fields):
                yield t.source

    def _needs(self, t: Target, fields: list[str]) -> bool:
        """Whether target ``t`` of this row is written: a read source and a fillable cell."""
        if t.source not in self._sources:
            return False
        if t.column is None or self._planned().overwrite:
            return True
        return not unquote(fields[t.column], self.dialect.quotechar).strip()

    # --- extraction ----------------------------------------------------------------

    def _extract(self) -> None:
        if self.plan is None or self.shape is None:
            return
        kept = KeptReport(self.shape, self.shape.header_line if self._header is not None else None)
        filled: dict[int, int] = {}  # target column -> its cells kept because they hold a translation
        for _, rec, kind in self._records():
            if kind == KEPT:
                kept.add(rec)
            if kind != ROW:
                continue
            self.rows += 1
            first: str | None = None
            for col in dict.fromkeys(self._wanted(rec.fields)):
                seg_id = self._segment_of(rec, col)
                first = first or seg_id
            if self.plan.combined:
                self._note_needed(rec.fields)
                self._note_filled(rec.fields, filled)
            if first is not None:
                self.row_weights[first] = self.row_weights.get(first, 0) + 1
        self.warnings.extend(kept.lines())
        self.decisions.extend(self._filled_report(filled))
        if self._nul_cells:
            more = f" and {self._nul_more} more" if self._nul_more else ""
            self.warnings.append(f"a NUL byte (U+0000) in the cell on {', '.join(self._nul_cells)}{more}: "
                                 "not translated, kept as is")

    def _note_needed(self, fields: list[str]) -> None:
        """Which languages this row's values are needed in (a filled cell needs none)."""
        for t in self._planned().targets:
            if self._needs(t, fields):
                seg_id = self._ids.get(unquote(fields[t.source], self.dialect.quotechar).strip())
                if seg_id is not None:
                    self._needed.setdefault(t.lang.code, set()).add(seg_id)

    def _note_filled(self, fields: list[str], filled: dict[int, int]) -> None:
        """Count the target cells of this row kept because they already hold a translation."""
        plan = self._planned()
        if plan.overwrite:
            return
        q = self.dialect.quotechar
        for t in plan.targets:
            if (t.column is not None and t.source in self._sources and unquote(fields[t.column], q).strip()
                    and has_translatable_text(unquote(fields[t.source], q))):
                filled[t.column] = filled.get(t.column, 0) + 1

    def _filled_report(self, filled: dict[int, int]) -> list[str]:
        """One line per target column with cells kept: which column, how many."""
        out = []
        for t in self._planned().targets:
            if t.column is None:
                continue
            count = filled.pop(t.column, 0)
            if count:
                cells = "cell" if count == 1 else "cells"
                out.append(f"column {self._column(t.column)} ({t.lang.name}): {count} {cells} holding a translation "
                           "kept ([csv] overwrite = true replaces them)")
        return out

    def needs(self, lang: Language) -> set[str] | None:
        """A table filled in place needs a value in ``lang`` only where a row's cell of that
        language is empty (or ``overwrite``); other modes need every segment."""
        if self.plan is None or not self.plan.combined:
            return None
        return self._needed.get(lang.code, set())

    def _segment_of(self, rec: CsvRecord, col: int) -> str | None:
        """The segment id of a cell, creating the segment on its value's first sight."""
        raw = rec.fields[col]
        seg_id = self._raw_ids.get(raw)
        if seg_id is None:
            core = unquote(raw, self.dialect.quotechar).strip()
            if NUL in core:  # a stray NUL: never sent, the cell is kept as it is
                if len(self._nul_cells) < MAX_REPORTED:
                    self._nul_cells.append(f"line {rec.line} ({self._column(col)})")
                else:
                    self._nul_more += 1
                return None
            if (core and core not in self._ids and core not in self._untranslatable
                    and has_translatable_text(core)):
                self._add_segment(core, self._context(rec, col))
            seg_id = self._ids.get(core)
            if seg_id is not None:  # only segment values: as many as segments, not rows
                self._raw_ids[raw] = seg_id
        return seg_id

    def _add_segment(self, core: str, context: str) -> None:
        seg_id = "csv-" + hashlib.blake2b(core.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        if seg_id in self._taken:  # a hash collision: keep ids unique, deterministically
            seg_id = f"{seg_id}-{len(self._segments)}"
        builder = SegmentBuilder()
        builder.text(core, protect=PLACEHOLDER_RE if self._placeholders else None)
        text = builder.build()
        if not has_translatable_text(text):  # numbers, codes, a lone {placeholder}
            self._untranslatable.add(core)
            return
        if builder.payloads:
            self._literals[seg_id] = {n: lit.text for n, lit in builder.payloads.items()}
        self._taken.add(seg_id)
        self._ids[core] = seg_id
        self._segments.append(Segment(seg_id, text, context))

    def _column(self, col: int) -> str:
        return (self._header[col].strip() if self._header is not None else "") or f"column {col + 1}"

    def _context(self, rec: CsvRecord, col: int) -> str:
        column = self._column(col)
        key = self.plan.key if self.plan else None
        if key is not None and key != col:
            return f"{unquote(rec.fields[key], self.dialect.quotechar)} ({column})"
        return f"line {rec.line} ({column})"

    def segments(self) -> Sequence[Segment]:
        return self._segments

    def inline_markup(self, segment_id: str) -> Mapping[int, tuple[str, str]]:
        """The placeholders ({count}, %s ...) each isolated tag stands for."""
        return {num: (text, "") for num, text in self._literals.get(segment_id, {}).items()}

    # --- output --------------------------------------------------------------------

    def write(self, lang: Language, translations: Mapping[str, str], out: BinaryIO) -> None:
        """Stream the file in ``lang`` (per-language mode) into ``out``."""
        if self.combined:
            raise NotImplementedError("a fill/add CSV document writes one combined file")
        if self.plan is None:
            self._write(_unchanged, lang.name, out)
            return
        cells = _Cells(self, {lang: translations})
        sources, q = self.plan.sources, self.dialect.quotechar

        def edit(rec: CsvRecord, kind: str) -> str | None:
            if kind != ROW:
                return None
            fields, changed = rec.fields, False
            for col in sources:
                raw = fields[col]
                new = cells.rendered(raw, lang, is_quoted(raw, q))
                if new is not None and new != raw:
                    if not changed:
                        fields, changed = list(fields), True
                    fields[col] = new
            return self._join(fields, rec) if changed else None

        self._write(edit, lang.name, out)

    def write_combined(self, translations: Mapping[Language, Mapping[str, str]], out: BinaryIO) -> None:
        """Stream the one output holding every target language (fill/add modes) into ``out``."""
        if not self.combined:
            raise NotImplementedError("a per-language CSV document writes one file per language")
        if self.plan is None:
            self._write(_unchanged, "combined", out)
            return
        cells = _Cells(self, translations)
        layout = self.plan.layout()
        self._write(lambda rec, kind: self._combined_record(rec, kind, cells, layout), "combined", out)

    def rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        if self.combined:
            return super().rebuild(lang, translations)
        out = io.BytesIO()
        self.write(lang, translations, out)
        return out.getvalue()

    def rebuild_combined(self, translations: Mapping[Language, Mapping[str, str]]) -> bytes:
        if not self.combined:
            return super().rebuild_combined(translations)
        out = io.BytesIO()
        self.write_combined(translations, out)
        return out.getvalue()

    def _combined_record(self, rec: CsvRecord, kind: str, cells: "_Cells",
                         layout: list[tuple[bool, int]]) -> str | None:
        targets, q = self._planned().targets, self.dialect.quotechar
        if kind == HEADER:
            if len(layout) == self._planned().width:
                return None  # no column added: the header as it was (whatever its width)
            names = [render(t.name, self.dialect, is_quoted(rec.fields[t.source], q)) for t in targets]
            return self._join([names[i] if is_added else rec.fields[i] for is_added, i in layout], rec)
        if kind != ROW:
            return None
        fields = rec.fields
        added: list[str] = [""] * len(targets)
        written: dict[int, str] = {}
        for n, t in enumerate(targets):
            raw = fields[t.source]
            needed = self._needs(t, fields)
            if t.column is None:
                new = cells.rendered(raw, t.lang, is_quoted(raw, q)) if needed else None
                added[n] = self._unfilled(raw) if new is None else new
            elif needed:
                new = cells.rendered(raw, t.lang, is_quoted(fields[t.column], q))
                if new is not None and new != fields[t.column]:
                    written[t.column] = new
        if not written and len(layout) == len(fields):
            return None
        return self._join([added[i] if is_added else written.get(i, fields[i]) for is_added, i in layout], rec)

    def _unfilled(self, source_raw: str) -> str:
        """An added cell with no translation: add mode keeps the source, fill leaves it empty."""
        if self._planned().mode == "add":
            return source_raw
        return render("", self.dialect, is_quoted(source_raw, self.dialect.quotechar))

    def _join(self, fields: list[str], rec: CsvRecord) -> str:
        return self.dialect.delimiter.join(fields) + rec.terminator

    def _write(self, edit: Edit, label: str, out: BinaryIO) -> None:
        """Walk the input once, copying runs of unchanged records and writing edited ones.

        A run is a slice of the buffer its records came in (records tile their buffers),
        so an untouched stretch of the file is copied as one string, not record by record.
        """
        sink = _Sink(self.codec, self.path, label, out)
        buf: str | None = None
        start = end = 0  # the pending run of unchanged records in ``buf``
        for b, rec, kind in self._records():
            if b is not buf:
                if buf is not None:
                    sink.write(buf[start:end])
                buf, start, end = b, rec.start, rec.start
            new = edit(rec, kind)
            if new is None:
                end = rec.end
                continue
            sink.write(buf[start:end])
            sink.write(new)
            start = end = rec.end
        if buf is not None:
            sink.write(buf[start:end])
        sink.finish()

    # --- reading an output back --------------------------------------------------------

    def read_written(self, output: Path, lang: Language) -> list[Segment]:
        """What ``output`` holds for ``lang``: per source value (segment), the cell its
        first row was written into, read side by side with the input; FormatError when
        the output's records no longer line up with the input's."""
        if self.plan is None:
            return []
        plan, q = self.plan, self.dialect.quotechar
        layout = plan.layout() if plan.combined else [(False, c) for c in range(plan.width)]
        position = {where: n for n, where in enumerate(layout)}
        found: dict[str, str] = {}
        with closing(self._read_back(Source(output))) as written:
            for old_triple, new in zip_longest(self._records(), written):
                if old_triple is None or new is None:
                    raise FormatError(self.path, "the output has a different number of records than the input")
                _, old, kind = old_triple
                if kind != ROW or new.blank:
                    continue
                for col, where in self._written_cells(old.fields, lang, position):
                    seg_id = self._ids.get(unquote(old.fields[col], q).strip())
                    if seg_id is not None and seg_id not in found and where < len(new.fields):
                        found[seg_id] = unquote(new.fields[where], q).strip()
        return [Segment(s.id, self._tagged(found[s.id]), s.context) for s in self._segments if s.id in found]

    def _written_cells(self, fields: list[str], lang: Language,
                       position: dict[tuple[bool, int], int]) -> Iterator[tuple[int, int]]:
        """(source column, output column) of each cell of this row written in ``lang``."""
        plan = self.plan
        assert plan is not None
        if not plan.combined:
            yield from ((col, position[(False, col)]) for col in plan.sources)
            return
        for n, t in enumerate(plan.targets):
            if t.lang == lang and self._needs(t, fields):
                yield t.source, position[(True, n)] if t.column is None else position[(False, t.column)]

    def _tagged(self, value: str) -> str:
        """A cell value as segment text (placeholders as tags, like its source's)."""
        builder = SegmentBuilder()
        builder.text(value, protect=PLACEHOLDER_RE if self._placeholders else None)
        return builder.build()

    # --- the check before renaming ----------------------------------------------------

    def verify_file(self, path: Path) -> None:
        """Check the written output at ``path`` by reading it back beside the input."""
        self._verify(Source(path))

    def verify(self, data: bytes) -> None:
        """Same records, same width, and every column the mode does not write unchanged."""
        self._verify(Source(self.path, data))

    def _verify(self, output: Source) -> None:
        if self.plan is None:
            if not self._source.same_bytes(output):
                raise FormatError(self.path, "the output differs from a file that had nothing to translate")
            return
        if not output.head().startswith(self.codec.bom):
            raise FormatError(self.path, "the output lost the byte order mark")
        self._compare(self._read_back(output))

    def _read_back(self, output: Source) -> Generator[CsvRecord, None, None]:
        """The output's records; a problem reading them is the output's fault (FormatError)."""
        try:
            for _, rec in walk_chunks(output.text(self.codec), self.dialect, self.path):
                yield rec
        except FileError as exc:
            raise FormatError(self.path, f"the output does not read back: {exc.reason}") from None

    def _compare(self, written: Generator[CsvRecord, None, None]) -> None:
        plan = self.plan
        assert plan is not None
        layout = plan.layout() if plan.combined else [(False, c) for c in range(plan.width)]
        position = {c: n for n, (is_added, c) in enumerate(layout) if not is_added}
        kept = [c for c in range(plan.width) if c not in plan.written()]
        with closing(written):
            for old_triple, new in zip_longest(self._records(), written):
                if old_triple is None or new is None:
                    raise FormatError(self.path, "the output has a different number of records than the input")
                _, old, kind = old_triple
                if old.blank or new.blank:
                    if old.blank != new.blank:
                        raise FormatError(self.path, f"record on line {old.line} changed shape in the output")
                    continue
                if kind == KEPT or (kind == HEADER and len(old.fields) != plan.width):
                    if new.fields != old.fields or new.terminator != old.terminator:
                        raise FormatError(self.path, f"the record on line {old.line}, kept as is, changed")
                    continue
                if len(new.fields) != len(layout):
                    raise FormatError(
                        self.path,
                        f"record on line {old.line} has {len(new.fields)} fields in the output, not {len(layout)}",
                    )
                for c in kept:
                    if new.fields[position[c]] != old.fields[c]:
                        raise FormatError(self.path, f"column {c + 1} of the record on line {old.line} changed")


def _unchanged(rec: CsvRecord, kind: str) -> None:
    """The edit of a file with nothing to translate: every record copied through."""
    return None


class _Cells:
    """Translated cell values for one rebuild, each distinct value worked out once."""

    def __init__(self, doc: CsvDocument, translations: Mapping[Language, Mapping[str, str]]):
        self._doc = doc
        self._translations = translations
        self._cache: dict[tuple[str, str], str | None] = {}
        self._rendered: dict[tuple[str, str, bool], str | None] = {}

    def rendered(self, raw: str, lang: Language, quoted: bool) -> str | None:
        """The raw field holding the translation of the cell written ``raw``, or None.

        An unchanged value comes back as ``raw`` itself, so identity is byte-exact.
        Results are memoised only for segment values, which keeps the memo as small
        as the segment list however many rows repeat them.
        """
        key = (raw, lang.code, quoted)
        if key in self._rendered:
            return self._rendered[key]
        q = self._doc.dialect.quotechar
        value = unquote(raw, q)
        new = self.translated(value, lang)
        if new is None:
            out = None
        elif new == value and quoted == is_quoted(raw, q):
            out = raw
        else:
            out = render(new, self._doc.dialect, quoted)
        if value.strip() in self._doc._ids:
            self._rendered[key] = out
        return out

    def translated(self, value: str, lang: Language) -> str | None:
        """The cell in ``lang``: None when nothing is known, the value itself if no letters."""
        core = value.strip()
        if not core or NUL in core:
            return None
        seg_id = self._doc._ids.get(core)
        if seg_id is None:
            return value  # numbers, punctuation: the same in every language
        key = (lang.code, seg_id)
        if key not in self._cache:
            found = self._translations.get(lang, {}).get(seg_id)
            self._cache[key] = None if found is None else self._plain(seg_id, found, core)
        plain = self._cache[key]
        if plain is None:
            return None
        lead, trail = value[: len(value) - len(value.lstrip())], value[len(value.rstrip()) :]
        return lead + plain + trail

    def _plain(self, seg_id: str, translated: str, core: str) -> str:
        literals = self._doc._literals.get(seg_id, {})
        if "<" in translated:
            parts = []
            for tok in tokenize(translated):
                if isinstance(tok, Text):
                    parts.append(tok.text)
                elif isinstance(tok, Isolated):
                    parts.append(literals.get(tok.id, ""))
            translated = "".join(parts)
        plain = translated.strip()
        if "\r\n" in core:  # keep the cell's own line breaks inside a quoted value
            plain = plain.replace("\r\n", "\n").replace("\n", "\r\n")
        return plain


class _Sink:
    """Encodes output text in pieces straight into the output file: never the whole file at once."""

    def __init__(self, codec: Codec, path: Path, label: str, out: BinaryIO):
        self._codec, self._path, self._label = codec, path, label
        self._encoder = codec.encoder()
        self._out = out
        self._out.write(codec.bom)
        self._parts: list[str] = []
        self._size = 0

    def write(self, s: str) -> None:
        if s:
            self._parts.append(s)
            self._size += len(s)
            if len(self._parts) >= _FLUSH_PARTS or self._size >= _FLUSH_CHARS:
                self._flush()

    def finish(self) -> None:
        self._flush(final=True)

    def _flush(self, final: bool = False) -> None:
        chunk = "".join(self._parts)
        self._parts.clear()
        self._size = 0
        try:
            self._out.write(self._encoder.encode(chunk, final))
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start : exc.end]
            raise FormatError(
                self._path,
                f"the {self._label} output holds {bad!r}, which {self._codec.name} cannot encode",
            ) from None
