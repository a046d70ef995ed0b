"""Which columns are read, which are written: the job's column rules turned into a plan.

Three modes (``[csv] mode``):

* ``fill``: a localization table. One source column (``columns``, else the column named
  by the source language); each target language writes into the column named by its
  code or name (``zh``, ``Chinese``, ``zh-CN``), which is appended, named by the code,
  when the table has none. Only empty cells are filled unless ``overwrite``.
* ``add``: every column in ``columns`` gets ``{column}_{code}`` right after it.
* ``per-language``: one file per language with ``columns`` translated in place.

``keep`` wins over everything: a kept column is never read as a source nor written.

A data export names no language column. When the job (or its ``[[csv.files]]`` rule for
this file) names no columns either, the columns holding prose are detected from a sample
of the rows (:mod:`pipeline.formats.prose_columns`) and translated in place, one file per
language; the plan carries the decision so reports can show it.

A header word that is also a language code (``id``, ``no``, ``it``, ``de`` ...) names a
language only with other evidence (:func:`_header_languages`). Otherwise ``id,text``
would read as an Indonesian table; ``id,de,it`` is a German and Italian one.

A column named by a language holds translations: it is never translated in place nor
written over without ``overwrite`` (a data export keeps it, ``per-language`` refuses to
translate it, ``fill`` fills only its empty cells).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from pipeline.errors import FileError
from pipeline.formats.options import CsvOptions
from pipeline.formats.prose_columns import (AMBIGUOUS_HEADERS, WORD_HEADERS, ColumnChoice, choose_columns,
                                            keep_language_columns, summarize)
from pipeline.languages import Language, lookup

MODES = ("fill", "add", "per-language")


@dataclass(frozen=True, slots=True)
class Target:
    """One translated column of a combined output."""

    source: int             # input column whose values are translated
    lang: Language
    column: int | None      # the input column written into, or None when added
    name: str               # header of an added column
    after: int              # an added column goes right after this input column


@dataclass(frozen=True)
class ColumnPlan:
    mode: str
    width: int                      # columns in the input
    sources: tuple[int, ...]        # input columns whose values are translated
    targets: tuple[Target, ...]     # fill/add: where translations go
    key: int | None                 # column naming a row in reports
    overwrite: bool
    choices: tuple[ColumnChoice, ...] = ()   # detected columns of a data export (empty: named)

    def describe(self) -> list[str]:
        """The plan's own decisions for reports: the detected columns, if any."""
        return [summarize(self.choices)] if self.choices else []

    @property
    def combined(self) -> bool:
        return self.mode != "per-language"

    def written(self) -> frozenset[int]:
        """Input columns whose cells the output may change."""
        if not self.combined:
            return frozenset(self.sources)
        return frozenset(t.column for t in self.targets if t.column is not None)

    def layout(self) -> list[tuple[bool, int]]:
        """Output columns in order: (False, input column) or (True, index into targets)."""
        out: list[tuple[bool, int]] = []
        for i in range(self.width):
            out.append((False, i))
            out.extend((True, n) for n, t in enumerate(self.targets) if t.column is None and t.after == i)
        return out


def make_plan(
    path: Path,
    names: Sequence[str],
    options: CsvOptions,
    source_lang: Language | None,
    target_langs: Sequence[Language],
    *,
    has_header: bool,
    sample: Callable[[], list[list[str]]] = lambda: [],
) -> ColumnPlan:
    """Resolve the job's column rules against this file's header.

    ``sample`` gives the first data rows (unquoted), read only when the file's prose
    columns have to be detected.
    """
    if options.mode not in MODES:
        raise FileError(path, f"unknown [csv] mode {options.mode!r}; use one of {', '.join(MODES)}")
    finder = _Columns(path, names, has_header, source_lang)
    keep = {finder.find(name) for name in options.keep if finder.has(name)}
    key = finder.find(options.key_column) if options.key_column else None
    if not options.columns and not finder.any_language():
        return _export_plan(finder, options, source_lang, target_langs, keep, key, sample())
    if options.mode == "fill":
        return _fill_plan(path, finder, options, source_lang, target_langs, keep, key)
    sources = _named_sources(finder, options, source_lang, keep)
    if options.mode == "per-language" and not options.overwrite:
        _refuse_language_columns(finder, sources, source_lang)
    if options.mode == "per-language":
        return ColumnPlan("per-language", len(names), sources, (), key, options.overwrite)
    targets = tuple(_added(finder, src, lang) for src in sources for lang in target_langs)
    return ColumnPlan("add", len(names), sources, targets, key, options.overwrite)


def _export_plan(
    finder: _Columns,
    options: CsvOptions,
    source_lang: Language | None,
    target_langs: Sequence[Language],
    keep: set[int],
    key: int | None,
    rows: list[list[str]],
) -> ColumnPlan:
    """A data export: its detected prose columns, translated in place (or beside, in add mode)."""
    header = finder.names if finder.has_header else [f"column {i + 1}" for i in range(finder.width)]
    choices = choose_columns(header, rows)
    if finder.has_header and not options.overwrite:
        choices = keep_language_columns(choices, header, source_lang)
    choices = [ColumnChoice(c.index, c.name, False, "kept by the job", "job") if c.index in keep else c for c in choices]
    sources = tuple(c.index for c in choices if c.translate)
    if options.mode == "add":
        targets = tuple(_added(finder, src, lang) for src in sources for lang in target_langs)
        return ColumnPlan("add", finder.width, sources, targets, key, options.overwrite, tuple(choices))
    return ColumnPlan("per-language", finder.width, sources, (), key, options.overwrite, tuple(choices))


def _fill_plan(
    path: Path,
    finder: _Columns,
    options: CsvOptions,
    source_lang: Language | None,
    target_langs: Sequence[Language],
    keep: set[int],
    key: int | None,
) -> ColumnPlan:
    if not finder.has_header:
        raise FileError(path, "[csv] mode \"fill\" needs a header row naming the language columns")
    if len(options.columns) > 1:
        raise FileError(path, "[csv] mode \"fill\" takes one source column in columns")
    source = _fill_source(finder, options, source_lang, target_langs)
    targets = []
    for lang in target_langs:
        if source_lang is not None and lang.code == source_lang.code:
            continue
        column = finder.language_column(lang, exclude={source, key})
        if column in keep:
            continue
        targets.append(Target(source, lang, column, lang.code, finder.width - 1))
    if key is None and source != 0 and not finder.is_language(0):
        key = 0
    sources = () if source in keep else (source,)
    return ColumnPlan("fill", finder.width, sources, tuple(targets), key, options.overwrite)


def _fill_source(
    finder: _Columns, options: CsvOptions, source_lang: Language | None, target_langs: Sequence[Language]
) -> int:
    if options.columns:
        return finder.find(options.columns[0])
    if source_lang is not None:
        column = finder.language_column(source_lang, exclude=set())
        if column is None:
            named = [f"{finder.names[i]} ({lang.name})" for i in range(finder.width)
                     if (lang := finder.language_of(i)) is not None]
            raise finder.error(
                f"no column named for the source language {source_lang.name} ({source_lang.code}) in a table "
                f"of {', '.join(named)}; name the source column with [csv] columns (the language columns hold "
                "translations, filled only where empty unless [csv] overwrite = true)"
            )
        return column
    targets = {lang.code for lang in target_langs}
    for i in range(finder.width):
        lang = finder.language_of(i)
        if lang is not None and lang.code not in targets:
            return i
    raise finder.error("no source-language column found; name it with [csv] columns or set the source language")


def _named_sources(
    finder: _Columns, options: CsvOptions, source_lang: Language | None, keep: set[int]
) -> tuple[int, ...]:
    if options.columns:
        found = [finder.find(name) for name in options.columns]
    elif source_lang is not None and (column := finder.language_column(source_lang, exclude=set())) is not None:
        found = [column]
    else:
        raise finder.error(f"[csv] mode {options.mode!r} needs the columns to translate in [csv] columns")
    unique = list(dict.fromkeys(found))
    return tuple(i for i in unique if i not in keep)


def _refuse_language_columns(finder: _Columns, sources: Sequence[int], source_lang: Language | None) -> None:
    """FileError when a column translated in place names a language other than the job's
    source language: it holds translations, which only ``overwrite`` may replace."""
    if source_lang is None:
        return  # the job does not say which language is the source: a named column may be it
    for i in sources:
        lang = finder.language_of(i)
        if lang is not None and lang.code != source_lang.code:
            raise finder.error(f"column {finder.names[i]!r} names a language, {lang.name}, not the source language "
                               f"{source_lang.name}: its translations are never translated in place without "
                               "[csv] overwrite = true")


def _added(finder: _Columns, source: int, lang: Language) -> Target:
    base = finder.names[source] if finder.has_header else str(source + 1)
    name = f"{base}_{lang.code}"
    column = finder.find(name) if finder.has_header and finder.has(name) else None
    return Target(source, lang, column, name, source)


class _Columns:
    """Column lookup by header name (exact, then case-insensitive) or 1-based number."""

    def __init__(self, path: Path, names: Sequence[str], has_header: bool, source_lang: Language | None = None):
        self.path = path
        self.names = [n.strip() for n in names]
        self.has_header = has_header
        self.width = len(names)
        self._languages = _header_languages(self.names, source_lang) if has_header else [None] * self.width

    def language_of(self, index: int) -> Language | None:
        """The language this column's header names, if it names one (see AMBIGUOUS_HEADERS)."""
        return self._languages[index]

    def any_language(self) -> bool:
        return any(lang is not None for lang in self._languages)

    def has(self, name: str) -> bool:
        return self._index(name) is not None

    def find(self, name: str) -> int:
        index = self._index(name)
        if index is None:
            raise self.error(f"no column {name!r}")
        return index

    def is_language(self, index: int) -> bool:
        return self._languages[index] is not None

    def language_column(self, lang: Language, exclude: set[int | None]) -> int | None:
        for i, found in enumerate(self._languages):
            if found is not None and found.code == lang.code and i not in exclude:
                return i
        return None

    def error(self, problem: str) -> FileError:
        listing = ", ".join(repr(n) for n in self.names) if self.has_header else f"{self.width} unnamed"
        return FileError(self.path, f"{problem} (columns: {listing})")

    def _index(self, name: str) -> int | None:
        wanted = name.strip()
        if self.has_header:
            if wanted in self.names:
                return self.names.index(wanted)
            folded = [n.casefold() for n in self.names]
            if wanted.casefold() in folded:
                return folded.index(wanted.casefold())
        if wanted.isdigit() and 1 <= int(wanted) <= self.width and not self.has_header:
            return int(wanted) - 1
        return None


def _header_languages(names: Sequence[str], source_lang: Language | None) -> list[Language | None]:
    """The language each header names. An ambiguous header names one only with other
    evidence: a header that clearly names a language, or the job's source language being
    this one. A code that is sometimes a word (``de``, ``it``, ``la``), unlike the English
    words (``id``, ``no``, ``to``), also names one when another header names the job's
    source language, or when another such code names a different language: ``id,de,it``
    is a table of German and Italian keyed by id."""
    found = [lookup(n) if n else None for n in names]
    ambiguous = [n.casefold() in AMBIGUOUS_HEADERS for n in names]
    clear = any(lang is not None and not amb for lang, amb in zip(found, ambiguous))
    codes = {lang.code for n, lang, amb in zip(names, found, ambiguous)
             if lang is not None and amb and n.casefold() not in WORD_HEADERS}
    source_named = source_lang is not None and any(lang is not None and lang.code == source_lang.code
                                                   for lang in found)
    out: list[Language | None] = []
    for name, lang, amb in zip(names, found, ambiguous):
        if lang is not None and amb:
            own = source_lang is not None and source_lang.code == lang.code
            word = name.casefold() in WORD_HEADERS
            lang = lang if clear or own or (not word and (source_named or len(codes) >= 2)) else None
        out.append(lang)
    return out
