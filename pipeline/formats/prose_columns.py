"""Which columns of a data table hold prose worth translating: CSV data exports and XLSX sheets.

A data export (a CSV from a database, a spreadsheet of records) names no language
columns, and most of its columns are data: numbers, dates, currencies, codes and IDs,
URLs, e-mail addresses, file paths, keys, and enumerations with a handful of values.
Translating those would break whatever reads the file. :func:`choose_columns` looks at
a sample of each column's values and its header and keeps a column only when its values
are prose: letters and spaces, several words, many distinct values. Each decision
carries a short reason, so the run report and ``qmt estimate`` can show it before
anything is paid for.

The same rule serves every tabular format (one job, one place), and so does the rule
for a column whose header names a language (:func:`keep_language_columns`): it holds
translations, human work, and is never translated in place unless the job says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from pipeline.languages import Language, lookup

# A header naming data, not prose: the column is kept whatever its values look like.
_DATA_WORDS = frozenset({
    "id", "ids", "uuid", "guid", "key", "keys", "code", "codes", "sku", "isbn", "ean", "upc", "hash", "sha",
    "md5", "slug", "url", "uri", "href", "link", "links", "email", "mail", "path", "file", "filename", "dir",
    "date", "time", "timestamp", "datetime", "created", "updated", "modified", "year", "month", "day",
    "phone", "fax", "zip", "postcode", "postal", "fips", "lat", "lon", "lng", "latitude", "longitude",
    "price", "cost", "amount", "qty", "quantity", "count", "total", "number", "num", "no", "nr", "ref",
    "abbreviation", "abbrev", "abbr", "iso", "currency", "status", "type", "kind", "flag", "enabled",
    "version", "ip", "host", "domain", "username", "login", "password", "token", "color", "colour",
})
# People: their names are not translated ("Full name", "Customer name", "Author").
_PERSON_WORDS = frozenset({
    "first", "last", "full", "given", "family", "middle", "user", "customer", "contact", "author", "owner",
    "person", "employee", "client", "sender", "recipient", "assignee", "reporter", "manager",
})
# A header naming prose: single-word values are still translated.
_PROSE_WORDS = frozenset({
    "text", "description", "desc", "title", "comment", "comments", "message", "msg", "label", "summary",
    "note", "notes", "body", "content", "caption", "question", "answer", "remark", "remarks", "subject",
    "heading", "headline", "string", "source", "translation", "tooltip", "hint", "help", "reason",
})

# Language codes and aliases that are also header words or abbreviations: such a header
# names a language only with other evidence (see pipeline.formats.csv.columns).
AMBIGUOUS_HEADERS = frozenset({
    "id", "in", "no", "it", "is", "as", "am", "an", "be", "to", "my", "hi", "he", "or", "so", "de", "ms", "ka",
    "ta", "te", "mr", "ne", "si", "la", "el", "km", "lo", "ha", "ga", "gu", "ky", "sd", "bn", "ur", "ml", "pa",
})
# ... of which these are English words or abbreviations first ("id", "no", "to"): never a
# language without a header that is clearly one, nor kept as one in a data export.
WORD_HEADERS = frozenset({"id", "in", "no", "is", "as", "am", "an", "be", "to", "my", "hi", "he", "or", "so",
                          "ms", "mr"})


# Amounts, counts, percentages, currencies, with an optional unit or currency code ("12 kg", "5 EUR").
_NUMBER = re.compile(r"^[\s(+\-−]*[$€£¥₹%]?\s*[\d.,'\s]*\d[\d.,'\s]*(e[+-]?\d+)?\s*[%‰$€£¥₹)]?"
                     r"\s*[A-Za-z]{0,3}$", re.IGNORECASE)
_DATE = re.compile(
    r"^(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2}(:\d{2})?|\d{4}-\d{2}-\d{2}T\S+|"
    r"\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{2,4}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{2,4})"
    r"([ T]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?\s*([AaPp][Mm]|Z|[+-]\d{2}:?\d{2})?)?$"
)
_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|www\.|mailto:)\S+$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_PATH = re.compile(r"^(~?/|\.{1,2}/|[A-Za-z]:\\|\\\\)\S*$|^[^\s/\\]+([/\\][^\s/\\]+)+$|^[\w.-]+\.[A-Za-z0-9]{1,5}$")
_BOOLEAN = frozenset({"true", "false", "yes", "no", "y", "n", "t", "f", "on", "off", "null", "none", "nan", "n/a"})
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# Scripts written without spaces (Chinese, Japanese kana, Thai ...): words are counted by characters.
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CHARS_PER_WORD = 2      # in an unspaced script

MIN_WORDS = 2.0             # average words per value of a prose column
PROSE_SHARE = 0.8           # share of values that must read as text
ENUM_MIN_ROWS = 12          # below this many values, few distinct values prove nothing
ENUM_MAX_SHARE = 0.2        # distinct / values at or under this ...
ENUM_MAX_DISTINCT = 30      # ... and at most this many distinct values: an enumeration,
ENUM_MAX_WORDS = 3.0        # unless the values are sentences (repeated sentences are still prose)


@dataclass(frozen=True)
class ColumnChoice:
    """One column's decision: translated or kept, and why (shown in reports)."""

    index: int
    name: str
    translate: bool
    reason: str
    #: What decided: "header" (it names data), "values" (what the values are), "enumeration",
    #: "empty", or "job" (a rule named or kept it).
    basis: str = "values"

    def describe(self) -> str:
        return f"{self.name} ({self.reason})"


def kind_of(value: str) -> str:
    """What one non-empty cell value is: number, date, url, email, path, boolean, code, word or prose."""
    v = value.strip()
    if v.casefold() in _BOOLEAN:
        return "boolean"
    if _NUMBER.match(v):
        return "number"
    if _DATE.match(v):
        return "date"
    if _URL.match(v):
        return "url"
    if _EMAIL.match(v):
        return "email"
    if " " not in v and _PATH.match(v):
        return "path"
    words = _WORD.findall(v)
    letters = sum(len(w) for w in words)
    if not words or letters < 0.5 * len(v.replace(" ", "")):
        return "code"
    if " " not in v and (any(c.isdigit() or c == "_" for c in v) or (v.isupper() and len(v) <= 4)):
        return "code"  # one token with digits or underscores (KEY_HELLO, a1b2c3), or a short acronym
    return "prose" if word_count(v) >= 2 else "word"


def word_count(value: str) -> float:
    """Words in a value: spaced words, plus characters / 2 of scripts written without spaces."""
    unspaced = len(_UNSPACED.findall(value))
    spaced = [w for w in _WORD.findall(value) if not _UNSPACED.search(w)]
    return len(spaced) + unspaced / CHARS_PER_WORD


def header_words(name: str) -> list[str]:
    """A header split into lower-case words: ``itemName``, ``item_name``, ``Item Name``."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.casefold()) if w]


def choose_columns(names: Sequence[str], rows: Sequence[Sequence[str]], *,
                   min_words: float = MIN_WORDS) -> list[ColumnChoice]:
    """The decision for every column, given its header names and a sample of data rows.

    ``min_words``: the average words per value a column needs without a prose header
    (a workbook's text cells are mostly labels, so XLSX takes single words: 1.0).
    """
    return [_choose(i, name, [r[i] for r in rows if i < len(r)], min_words) for i, name in enumerate(names)]


def _choose(index: int, name: str, column: list[str], min_words: float = MIN_WORDS) -> ColumnChoice:
    label = name.strip() or f"column {index + 1}"
    words = header_words(name)
    if words and words[-1] in _DATA_WORDS or (len(words) == 1 and words[0] in _DATA_WORDS):
        return ColumnChoice(index, label, False, f"header names data: {words[-1]!r}", "header")
    if words and (words[-1] == "name" and _PERSON_WORDS.intersection(words[:-1])
                  or len(words) == 1 and words[0] in _PERSON_WORDS):
        return ColumnChoice(index, label, False, "header names people", "header")
    values = [v.strip() for v in column if v.strip()]
    if not values:
        return ColumnChoice(index, label, False, "empty", "empty")
    kinds: dict[str, int] = {}
    for v in values:
        k = kind_of(v)
        kinds[k] = kinds.get(k, 0) + 1
    texty = kinds.get("prose", 0) + kinds.get("word", 0)
    if texty < PROSE_SHARE * len(values):
        top = max(kinds, key=lambda k: kinds[k])
        return ColumnChoice(index, label, False, f"{_plural(top)}")
    distinct = len(set(values))
    average = sum(word_count(v) for v in values) / len(values)
    if (len(values) >= ENUM_MIN_ROWS and distinct <= ENUM_MAX_SHARE * len(values)
            and distinct <= ENUM_MAX_DISTINCT and average < ENUM_MAX_WORDS):
        return ColumnChoice(index, label, False, f"enumeration: {distinct} distinct values in {len(values)}",
                            "enumeration")
    hinted = any(w in _PROSE_WORDS for w in words)
    if average < min_words and not hinted:
        return ColumnChoice(index, label, False, f"single words ({average:.1f} words per value)")
    return ColumnChoice(index, label, True, f"prose: {average:.1f} words per value, {distinct} distinct")


def _plural(kind: str) -> str:
    return {"number": "numbers", "date": "dates", "url": "URLs", "email": "e-mail addresses", "path": "file paths",
            "boolean": "booleans", "code": "codes and IDs", "word": "single words", "prose": "prose"}[kind]


def summarize(choices: Sequence[ColumnChoice], where: str = "") -> str:
    """One line for reports: which columns are translated and which are kept, with reasons."""
    chosen = [c.describe() for c in choices if c.translate]
    kept = [c.describe() for c in choices if not c.translate]
    prefix = f"{where}: " if where else ""
    return (f"{prefix}columns translated (detected): {'; '.join(chosen) or 'none'}"
            f"; kept: {'; '.join(kept) or 'none'}")


def header_language(name: str) -> Language | None:
    """The language a column header names (``de``, ``de-DE``, ``de_DE``, ``German``), or
    None; the English words among the codes (``id``, ``no``, ``to`` ...) name none here."""
    if name.strip().casefold() in WORD_HEADERS:
        return None
    return lookup(name) if name.strip() else None


def keep_language_columns(choices: Sequence[ColumnChoice], names: Sequence[str],
                          source: Language | None) -> list[ColumnChoice]:
    """The choices, with every column chosen for translation whose header names a language
    other than ``source`` kept instead: its cells are translations (human work), and
    translating them in place would overwrite them. Without a source language every such
    column is kept. Callers skip this when the job says to overwrite."""
    out: list[ColumnChoice] = []
    for c in choices:
        lang = header_language(names[c.index]) if c.translate and c.index < len(names) else None
        if lang is not None and (source is None or lang.code != source.code):
            c = ColumnChoice(c.index, c.name, False, f"names a language, {lang.name}: its translations are kept",
                             "language")
        out.append(c)
    return out
