"""CSV and TSV: localization tables and data exports, rewritten byte for byte.

Loading recognises the encoding (:mod:`.encoding`: BOM kept, no guessing), sniffs the
dialect from the first records (:mod:`.records`: delimiter, quote character; line
terminators are kept per record), finds the table (:mod:`.shape`: its width and header;
title lines above it and ragged rows are kept as they are and reported), resolves the
job's column rules against the header (:mod:`.columns`) and collects one segment per
distinct cell value (:mod:`.document`).
The file is streamed (:mod:`.source`): read in chunks for loading, again for each
output and for the check, so memory follows the distinct values, not the rows.

Every value is read as text: ``007``, ``1.50`` and ``2024-01-02`` are never parsed, and
a record nobody translates is copied through as it was written.

The registry in :mod:`pipeline.formats` uses :data:`HANDLER`. Note for readers: this
package is ``pipeline.formats.csv``; the standard library ``csv`` is not used here.
"""
from __future__ import annotations

from contextlib import closing

from pipeline.errors import FileError
from pipeline.formats.base import FormatHandler, LoadContext
from pipeline.formats.csv.columns import ColumnPlan, Target, make_plan
from pipeline.formats.csv.document import CsvDocument
from pipeline.formats.csv.encoding import Codec, detect
from pipeline.formats.csv.records import Dialect, MalformedCsvError, sniff, unquote, walk, walk_chunks
from pipeline.formats.csv.shape import ROW, Shape, find_shape
from pipeline.formats.csv.source import Source
from pipeline.formats.options import CsvOptions


class CsvHandler(FormatHandler):
    name = "csv"
    extensions = (".csv", ".tsv")
    streams = True  # reads ctx.path itself, in chunks: a table may be larger than memory
    combines = True  # fill and add modes write one table holding every language

    def load(self, ctx: LoadContext) -> CsvDocument:
        """Detect, sniff, find the table (:mod:`.shape`), plan, then read every record once;
        FileError (MalformedCsvError for bad quoting, anywhere in the file) before anything
        is written. Title lines and ragged rows are kept as they are and reported."""
        options: CsvOptions = ctx.options if ctx.options is not None else CsvOptions()
        options = options.for_file(ctx.relpath or ctx.path.name)
        source = Source(ctx.path, ctx.data)
        codec = detect(source.head(), options.encoding, ctx.path)
        delimiter = _delimiter(options.delimiter, ctx)
        dialect = sniff(source.sample(codec), delimiter, prefer_tab=ctx.path.suffix.lower() == ".tsv")
        stop = options.on_malformed == "stop"
        with closing(source.records(codec, dialect, stop=stop)) as records:
            shape = find_shape((rec for _, rec in records), options.header)
        combined = options.mode != "per-language"
        if shape is None:  # empty, or blank lines only: nothing to translate, written back as it was
            return CsvDocument(ctx.path, source, codec, dialect, None, None, header=None, combined=combined,
                               stop=stop)
        header = _names(shape, dialect) if options.header else None
        names = header or [""] * shape.width

        def sample() -> list[list[str]]:
            return _sample_rows(source, codec, dialect, stop, shape)

        plan = make_plan(
            ctx.path, names, options, ctx.source_lang, ctx.target_langs, has_header=options.header, sample=sample
        )
        if shape.header_width != shape.width and any(t.column is None for t in plan.targets):
            raise FileError(ctx.path, f"the header on line {shape.header_line} names {shape.header_width} columns "
                            f"where the rows have {shape.width}: no column can be added beside them; "
                            'use [csv] mode = "per-language"')
        doc = CsvDocument(ctx.path, source, codec, dialect, plan, shape, header=header, combined=plan.combined,
                          stop=stop, placeholders=options.placeholders)
        if shape.header_width != shape.width:
            doc.decisions.append(f"the header on line {shape.header_line} names {shape.header_width} columns "
                                 f"where the rows have {shape.width}")
        doc.decisions.extend(plan.describe())
        return doc


SAMPLE_ROWS = 1000  # data rows read to detect a data export's prose columns


def _names(shape: Shape, dialect: Dialect) -> list[str]:
    """The header's names, one per column of the rows (unnamed columns: "")."""
    names = [unquote(raw, dialect.quotechar) for raw in shape.header_fields[: shape.width]]
    return names + [""] * (shape.width - len(names))


def _sample_rows(source: Source, codec: Codec, dialect: Dialect, stop: bool, shape: Shape) -> list[list[str]]:
    """The first SAMPLE_ROWS data rows, unquoted (header, kept and blank records left out)."""
    rows: list[list[str]] = []
    with closing(source.records(codec, dialect, stop=stop)) as records:
        for n, (_, rec) in enumerate(records):
            if shape.kind(n, rec) != ROW:
                continue
            rows.append([unquote(raw, dialect.quotechar) for raw in rec.fields])
            if len(rows) >= SAMPLE_ROWS:
                break
    return rows


_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def parse_delimiter(declared: str) -> str | None:
    """The job's delimiter ("auto", one character, or a name such as "tab"), or None
    when it cannot be one. The job file's validation uses this same rule."""
    value = _DELIMITER_NAMES.get(declared.lower(), declared) if declared else "auto"
    if value != "auto" and (len(value) != 1 or value in "\r\n\"'"):
        return None
    return value


def _delimiter(declared: str, ctx: LoadContext) -> str:
    value = parse_delimiter(declared)
    if value is None:
        raise FileError(ctx.path, f"[csv] delimiter must be one character or \"auto\", not {declared!r}")
    return value


HANDLER = CsvHandler()

__all__ = [
    "HANDLER",
    "Codec",
    "CsvDocument",
    "CsvHandler",
    "Dialect",
    "Shape",
    "MalformedCsvError",
    "ColumnPlan",
    "Source",
    "Target",
    "make_plan",
    "sniff",
    "walk",
    "walk_chunks",
]
