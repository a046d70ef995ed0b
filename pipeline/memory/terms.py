"""The glossary: terms from CSV or TBX, and the few that matter for one segment.

Qwen-MT bills every term sent with a request as input tokens, so sending a 2,000-entry
glossary with each paragraph would cost more than the paragraph. :meth:`Glossary.relevant`
picks only the terms that occur in the segment (rules in :mod:`pipeline.memory.text`),
through an index so that picking among thousands of entries stays cheap:

* terms in spaced scripts are keyed by their first word (case folded); a segment looks
  up only the words it contains, then each candidate is confirmed by a boundary check;
* terms containing unspaced script (or any term when the source language is written
  without spaces) are keyed by their first character and confirmed as substrings.

A term that only occurs inside a longer matching term ("sync" inside "sync folder") is
not sent: the model applies the longer one, and checking the shorter one's target
afterwards would report a miss that is none.

TBX: TBX-Basic (``martif``/``termEntry``/``langSet``/``tig``) and TBX v3
(``tbx``/``conceptEntry``/``langSec``/``termSec``); each concept gives a pair for every
ordered pair of its languages (the first term of a language is its preferred one).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.errors import ConfigError
from pipeline.languages import Language
from pipeline.memory.sources import XML_LANG, Entry, code_of, lang_code, local, parse_xml, read_csv
from pipeline.memory.text import SPACED_WORD_RE, find_all, has_unspaced, matchable
from pipeline.translate.backend import TermPair

TERM_TAGS = ("term",)
ENTRY_TAGS = ("termEntry", "conceptEntry")
LANG_TAGS = ("langSet", "langSec")


@dataclass
class _Index:
    """The terms of one language pair, ready for matching."""

    by_word: dict[str, list[tuple[str, TermPair]]] = field(default_factory=lambda: defaultdict(list))
    by_char: dict[str, list[tuple[str, TermPair]]] = field(default_factory=lambda: defaultdict(list))


class Glossary:
    """Terms for a job; :meth:`relevant` is what the runner calls per segment."""

    def __init__(self, entries: list[Entry] | tuple[Entry, ...] = ()):
        self.entries: tuple[Entry, ...] = tuple(e for e in entries if e.source.strip() and e.target.strip())
        self._indexes: dict[tuple[str, str], _Index] = {}

    @classmethod
    def load(cls, path: Path) -> "Glossary":
        """A glossary from ``.csv``/``.tsv`` or ``.tbx``/``.xml`` (TBX)."""
        suffix = path.suffix.lower()
        if suffix in (".csv", ".tsv", ".txt"):
            return cls(read_csv(path, "glossary"))
        if suffix in (".tbx", ".xml"):
            return cls(read_tbx(path))
        raise ConfigError("unsupported glossary format (use .csv or .tbx)", source=str(path), key="terms")

    def __len__(self) -> int:
        return len(self.entries)

    def pairs(self, source_lang: Language | None, target_lang: Language) -> list[TermPair]:
        """Every term that applies to this language pair (what "send everything" sends)."""
        src, tgt = code_of(source_lang), target_lang.code
        seen: dict[str, TermPair] = {}
        # Entries bound to this language pair win over ones for any pair.
        for e in sorted(self.entries, key=lambda e: (not e.target_lang, not e.source_lang)):
            if e.target_lang in ("", tgt) and (not src or e.source_lang in ("", src)):
                seen.setdefault(e.source.casefold(), TermPair(e.source, e.target))
        return list(seen.values())

    def relevant(self, text: str, source_lang: Language | None, target_lang: Language) -> tuple[TermPair, ...]:
        """The terms occurring in ``text`` (tags ignored), in order of first occurrence."""
        if not self.entries:
            return ()
        index = self._index(source_lang, target_lang)
        folded = matchable(text)
        candidates: dict[str, TermPair] = {}
        for word in set(SPACED_WORD_RE.findall(folded)):
            for fold, pair in index.by_word.get(word, ()):
                candidates[fold] = pair
        for ch in set(folded):
            for fold, pair in index.by_char.get(ch, ()):
                candidates[fold] = pair
        unspaced_source = source_lang is not None and not source_lang.spaced
        found: list[tuple[str, TermPair, list[tuple[int, int]]]] = []
        for fold, pair in candidates.items():
            spans = find_all(folded, fold, boundaries=not (unspaced_source or has_unspaced(fold)))
            if spans:
                found.append((fold, pair, spans))
        return _outermost(found)

    def _index(self, source_lang: Language | None, target_lang: Language) -> _Index:
        key = (code_of(source_lang), target_lang.code)
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = self._build(source_lang, target_lang)
        return index

    def _build(self, source_lang: Language | None, target_lang: Language) -> _Index:
        index = _Index()
        by_char_only = source_lang is not None and not source_lang.spaced
        for pair in self.pairs(source_lang, target_lang):
            fold = matchable(pair.source).strip()
            if not fold:
                continue
            first = SPACED_WORD_RE.search(fold)
            if by_char_only or has_unspaced(fold) or first is None:
                index.by_char[fold[0]].append((fold, pair))
            else:
                index.by_word[first.group(0)].append((fold, pair))
        return index


def _outermost(found: list[tuple[str, TermPair, list[tuple[int, int]]]]) -> tuple[TermPair, ...]:
    """Longest terms first; a term is kept when one of its occurrences is not inside a
    kept term's occurrence. Result in order of first occurrence."""
    kept: list[tuple[int, TermPair]] = []
    taken: list[tuple[int, int]] = []
    for fold, pair, spans in sorted(found, key=lambda f: (-len(f[0]), f[0])):
        free = [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in taken)]
        if free:
            kept.append((free[0][0], pair))
            taken.extend(spans)
    return tuple(pair for _, pair in sorted(kept, key=lambda k: (k[0], k[1].source)))


def missing_terms(terms: tuple[TermPair, ...], translation: str) -> list[TermPair]:
    """The sent terms whose target does not appear in ``translation`` (case-insensitive,
    tags ignored; a substring check, since the target may be inflected or unspaced)."""
    folded = matchable(translation)
    return [t for t in terms if matchable(t.target).strip() not in folded]


# --- TBX ---------------------------------------------------------------------------------


def read_tbx(path: Path) -> list[Entry]:
    root = parse_xml(path, "TBX")
    if local(root.tag) not in ("martif", "tbx"):
        raise ConfigError("not a TBX file (root element must be martif or tbx)", source=str(path), key="terms")
    entries: list[Entry] = []
    for concept in root.iter():
        if local(concept.tag) not in ENTRY_TAGS:
            continue
        by_lang: dict[str, str] = {}
        for lang_set in concept:
            if local(lang_set.tag) not in LANG_TAGS:
                continue
            code = lang_code(lang_set.get(XML_LANG) or lang_set.get("lang"))
            term = next((_text(t) for t in lang_set.iter() if local(t.tag) in TERM_TAGS and _text(t)), "")
            if code and term:
                by_lang.setdefault(code, term)
        for src, s_term in by_lang.items():
            for tgt, t_term in by_lang.items():
                if src != tgt:
                    entries.append(Entry(s_term, t_term, src, tgt))
    return entries


def _text(element: etree._Element) -> str:
    """An element's own text, entity references left out (they are never expanded)."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            parts.append(_text(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())
