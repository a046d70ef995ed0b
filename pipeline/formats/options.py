"""Per-format job options: the ``[markdown]``, ``[docx]`` and ``[csv]`` tables of a job file.

Defaults live here, once; :mod:`pipeline.config` validates job files against these
dataclasses strictly (unknown keys and wrong types are errors naming file and key).
Tuples stand for TOML arrays.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MarkdownOptions:
    #: Front matter keys whose values are translated (YAML ``---`` and TOML ``+++``).
    front_matter_keys: tuple[str, ...] = ("title", "description")


@dataclass(frozen=True)
class DocxOptions:
    #: Also translate the core properties title and subject.
    core_properties: bool = False
    #: Translate header and footer parts.
    headers_footers: bool = True
    #: Translate footnotes and endnotes.
    notes: bool = True
    #: Translate comments.
    comments: bool = True


@dataclass(frozen=True)
class CsvOptions:
    #: How translations are written:
    #:   "fill"          localization table: fill the target-language columns (one file)
    #:   "add"           add ``{column}_{lang}`` beside each translated column (one file)
    #:   "per-language"  one file per target language with ``columns`` translated
    mode: str = "fill"
    #: Columns to translate ("add" and "per-language"); in "fill" mode, the source
    #: column (default: the column named by the source language, e.g. "en").
    columns: tuple[str, ...] = ()
    #: The key column of a localization table (reported with segment problems).
    key_column: str = ""
    #: Columns never touched even if named elsewhere.
    keep: tuple[str, ...] = ()
    #: "fill" mode: overwrite target cells that already hold a translation.
    overwrite: bool = False
    #: "auto" (BOM or UTF-8) or a Python codec name (latin-1, gbk, utf-16...).
    encoding: str = "auto"
    #: "auto" or one character (",", ";", "\t").
    delimiter: str = "auto"
    #: The first row is a header row.
    header: bool = True
    #: Protect interpolation placeholders ({count}, {{name}}, %s, %1$d, ${x}, <b>) as
    #: tags the translation must keep.
    placeholders: bool = True
    #: What a malformed file (unbalanced quotes, ragged rows) does: "skip" the file or "stop" the job.
    on_malformed: str = "skip"
