"""The translation memory: TMX 1.4 and CSV in, exact and fuzzy lookups, TMX out.

* **Exact match**: a segment whose :func:`~pipeline.memory.text.normalize` form (NFC,
  whitespace collapsed, tags renumbered in order) equals an entry's is answered from
  the memory without a request. The stored target's tag ids are mapped to the
  segment's and the result must pass :func:`~pipeline.segments.check_translation`
  untouched, else it is no match.
* **Fuzzy match**: entries whose tag-free, case-folded text scores at least the
  threshold with :func:`rapidfuzz.fuzz.ratio` (normalized Indel similarity, 0-100) are
  sent as ``tm_list``, best first. A cheap length prefilter comes first: two strings of
  lengths a <= b cannot score above 200a/(a+b), so entries of hopeless length are never
  scored; the rest are scored in one C++ call (``rapidfuzz.process.extract``).
  With a large memory the work per segment is capped: when more than
  :data:`FULL_SCAN_MAX` entries pass the length filter, only the :data:`MAX_CANDIDATES`
  sharing the most of the segment's rarer words (an inverted index of words) are scored.
  A match sharing none of those words can be missed; the cost stays flat as the memory
  grows (``bench/bench_tm_scale.py``).

TMX inline markup maps onto our tags: ``<bpt>``/``<ept>`` pairs and ``<hi>`` become
``<gN>…</gN>`` (``type="link"`` becomes ``<aN>``), ``<ph>``/``<it>``/``<ut>`` become
``<xN/>``; the same ``i``/``x`` attribute gives the same id on both sides of a unit.
Export writes them back the same way, so a memory survives a round trip through
another CAT tool.
"""
from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from lxml import etree
from rapidfuzz import fuzz, process

from pipeline.errors import ConfigError
from pipeline.languages import Language
from pipeline.memory.sources import XML_LANG, Entry, bcp47, code_of, lang_code, local, parse_xml, read_csv
from pipeline.memory.text import edge_whitespace, fuzzy_form, normalize, renumber_like
from pipeline.segments import TAG_RE, PlaceholderError, TagError, check_translation, parse, plain_text, tag_ids
from pipeline.translate.backend import TermPair

TOOL_NAME = "qmt"
TOOL_VERSION = "0.1"
ENGINE_PROP = "x-qmt-engine"    # <prop> of a target <tuv>: the engine that made it


# Above this many entries in a segment's length window, candidates come from the word index.
FULL_SCAN_MAX = 2000
MAX_CANDIDATES = 200        # entries scored per segment at most (with the word index)
QUERY_WORDS = 8             # the segment's rarest words looked up ...
MAX_POSTING = 2000          # ... skipping words found in more entries than this
_WORD_RE = re.compile(r"\w+")


@dataclass
class _FuzzyIndex:
    lengths: list[int]
    forms: list[str]
    pairs: list[TermPair]
    postings: dict[str, list[int]] = field(default_factory=dict)   # word -> entry positions, ascending

    def candidates(self, query: str, lo: int, hi: int) -> list[int]:
        """Positions in [lo, hi) worth scoring: the entries sharing most of the query's
        rarer words, or (none sharing any) the entries nearest its length."""
        if not self.postings:
            for i, form in enumerate(self.forms):
                for word in set(_WORD_RE.findall(form)):
                    self.postings.setdefault(word, []).append(i)
        lists = sorted((ids for w in set(_WORD_RE.findall(query)) if (ids := self.postings.get(w))
                        and len(ids) <= MAX_POSTING), key=len)[:QUERY_WORDS]
        counts: Counter[int] = Counter()
        for ids in lists:
            counts.update(ids[bisect.bisect_left(ids, lo):bisect.bisect_left(ids, hi)])
        if counts:
            return sorted(i for i, _ in counts.most_common(MAX_CANDIDATES))
        mid = bisect.bisect_left(self.lengths, len(query), lo, hi)
        return list(range(max(lo, mid - MAX_CANDIDATES // 2), min(hi, mid + MAX_CANDIDATES // 2)))


class TranslationMemory:
    """Entries (:class:`~pipeline.memory.sources.Entry`) with exact and fuzzy lookup."""

    def __init__(self, entries: Iterable[Entry] = ()):
        self.entries: list[Entry] = []
        self._exact: dict[str, list[Entry]] = defaultdict(list)
        self._fuzzy: dict[tuple[str, str], _FuzzyIndex] = {}
        self.scored = 0             # entries scored by fuzzy lookups (the work, for tests and benchmarks)
        for e in entries:
            self.add(e)

    @classmethod
    def load(cls, path: Path) -> "TranslationMemory":
        suffix = path.suffix.lower()
        if suffix in (".csv", ".tsv", ".txt"):
            return cls(read_csv(path, "TM"))
        if suffix in (".tmx", ".xml"):
            return cls(read_tmx(path))
        raise ConfigError("unsupported translation memory format (use .tmx or .csv)", source=str(path), key="tm")

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: Entry) -> None:
        if not entry.source.strip() or not entry.target.strip():
            return
        self.entries.append(entry)
        self._exact[normalize(entry.source)].append(entry)
        self._fuzzy.clear()  # rebuilt lazily; additions come in batches before lookups

    def exact(self, text: str, source_lang: Language | None, target_lang: Language) -> str | None:
        """The stored translation of ``text`` fitted to its tags and edge whitespace, or None."""
        for entry in self._exact.get(normalize(text), ()):
            if _applies(entry, code_of(source_lang), target_lang.code):
                fitted = fit_target(entry.source, entry.target, text)
                if fitted is not None:
                    return fitted
        return None

    def fuzzy(self, text: str, source_lang: Language | None, target_lang: Language, *,
              threshold: float, limit: int) -> tuple[TermPair, ...]:
        """Up to ``limit`` entries scoring >= ``threshold`` (exact matches left out), best first."""
        if limit <= 0 or not self.entries:
            return ()
        query = fuzzy_form(text)
        if not query:
            return ()
        index = self._index(code_of(source_lang), target_lang.code)
        n = len(query)
        t = max(min(threshold, 100.0), 1.0)
        lo = bisect.bisect_left(index.lengths, n * t / (200 - t))
        hi = bisect.bisect_right(index.lengths, n * (200 - t) / t)
        if lo >= hi:
            return ()
        positions = list(range(lo, hi)) if hi - lo <= FULL_SCAN_MAX else index.candidates(query, lo, hi)
        self.scored += len(positions)
        hits = process.extract(query, [index.forms[p] for p in positions], scorer=fuzz.ratio, processor=None,
                               score_cutoff=t, limit=limit * 4 + 4)
        out: list[TermPair] = []
        seen: set[str] = set()
        for form, _score, i in sorted(hits, key=lambda h: (-h[1], positions[h[2]])):
            pair = index.pairs[positions[i]]
            if form == query or pair.source in seen:
                continue
            seen.add(pair.source)
            out.append(pair)
            if len(out) == limit:
                break
        return tuple(out)

    def _index(self, src: str, tgt: str) -> _FuzzyIndex:
        index = self._fuzzy.get((src, tgt))
        if index is None:
            rows = sorted(((len(f), f, TermPair(e.source, e.target)) for e in self.entries
                           if _applies(e, src, tgt) and (f := fuzzy_form(e.source))),
                          key=lambda r: (r[0], r[1]))
            index = self._fuzzy[(src, tgt)] = _FuzzyIndex([r[0] for r in rows], [r[1] for r in rows],
                                                          [r[2] for r in rows])
        return index


def _applies(entry: Entry, src: str, tgt: str) -> bool:
    return entry.target_lang in ("", tgt) and (not src or entry.source_lang in ("", src))


def fit_target(stored_source: str, stored_target: str, text: str) -> str | None:
    """``stored_target`` as a translation of ``text`` (equal to ``stored_source`` once
    normalized): tag ids mapped, ``text``'s edge whitespace kept; None if the tags do not fit."""
    lead, trail = edge_whitespace(text)
    candidate = lead + renumber_like(stored_source, stored_target, text).strip() + trail
    try:
        checked = check_translation(text, candidate)
    except PlaceholderError:
        return None
    return None if checked.repaired else checked.text


# --- TMX in ------------------------------------------------------------------------------


def read_tmx(path: Path) -> list[Entry]:
    """Every ordered language pair of every ``<tu>`` as an entry."""
    root = parse_xml(path, "TMX")
    if local(root.tag) != "tmx":
        raise ConfigError("not a TMX file (root element must be tmx)", source=str(path), key="tm")
    entries: list[Entry] = []
    for tu in root.iter("{*}tu", "tu"):
        ids = _TagIds()
        segs: dict[str, str] = {}
        for tuv in tu:
            if local(tuv.tag) != "tuv":
                continue
            code = lang_code(tuv.get(XML_LANG) or tuv.get("lang"))
            seg = next((c for c in tuv if local(c.tag) == "seg"), None)
            if code and seg is not None and code not in segs:
                segs[code] = _seg_text(seg, ids)
        segs = _tags_or_plain(segs)
        for (src, s), (tgt, t) in itertools.permutations(segs.items(), 2):
            if s.strip() and t.strip():
                entries.append(Entry(s, t, src, tgt))
    return entries


class _TagIds:
    """Tag ids of one ``<tu>``: the same TMX ``i``/``x`` gives the same id on every side;
    the file's own number is kept when it is free (so our exports read back unchanged)."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.links: set[int] = set()

    def get(self, kind: str, ref: str | None) -> int:
        key = (kind, ref if ref is not None else f"#{len(self.ids)}")
        if key not in self.ids:
            used = set(self.ids.values())
            wanted = int(ref) if ref is not None and ref.isdigit() and int(ref) > 0 else 0
            self.ids[key] = wanted if wanted and wanted not in used else max(used | {0}) + 1
        return self.ids[key]


def _seg_text(seg: etree._Element, ids: _TagIds) -> str:
    """A TMX ``<seg>`` as our tagged text."""
    out: list[str] = [seg.text or ""]
    for child in seg:
        name = local(child.tag)
        if name in ("bpt", "ept"):
            num = ids.get("pair", child.get("i"))
            if name == "bpt" and (child.get("type") or "").lower() == "link":
                ids.links.add(num)
            link = "a" if num in ids.links else "g"
            out.append(f"<{link}{num}>" if name == "bpt" else f"</{link}{num}>")
        elif name == "hi":
            num = ids.get("hi", child.get("x"))
            out.append(f"<g{num}>{_seg_text(child, ids)}</g{num}>")
        elif name in ("ph", "it", "ut"):
            num = ids.get("ph", child.get("x") or child.get("i"))
            out.append(f"<x{num}/>")
        elif name == "sub":
            out.append(_seg_text(child, ids))
        out.append(child.tail or "")
    return "".join(out)


def _tags_or_plain(segs: dict[str, str]) -> dict[str, str]:
    """Keep tags only when every side is well formed with the same tags; else plain text
    (a memory with broken markup is still useful for its words)."""
    shapes: set[frozenset[tuple[tuple[str, int, str], int]] | None] = set()
    for text in segs.values():
        try:
            parse(text)
        except TagError:
            shapes.add(None)
            break
        shapes.add(frozenset(tag_ids(text).items()))
    if len(shapes) <= 1 and None not in shapes:
        return segs
    return {code: plain_text(text) for code, text in segs.items()}


# --- TMX out -----------------------------------------------------------------------------


def write_tmx(entries: Iterable[Entry], source_lang: str) -> bytes:
    """TMX 1.4 bytes: one ``<tu>`` per source text, one ``<tuv>`` per language.

    ``source_lang`` is our code ('' when the job detects it: ``srclang="*all*"``).
    """
    root = etree.Element("tmx", version="1.4")
    etree.SubElement(root, "header", {
        "creationtool": TOOL_NAME, "creationtoolversion": TOOL_VERSION, "datatype": "plaintext",
        "segtype": "paragraph", "adminlang": "en", "srclang": bcp47(source_lang) if source_lang else "*all*",
        "o-tmf": TOOL_NAME,
    })
    body = etree.SubElement(root, "body")
    units: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for e in entries:
        units.setdefault((e.source_lang, e.source), {})[e.target_lang] = (e.target, e.engine)
    for (src, source), targets in units.items():
        tu = etree.SubElement(body, "tu")
        _add_tuv(tu, src, source)
        for tgt, (target, engine) in targets.items():
            _add_tuv(tu, tgt, target, engine)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _add_tuv(tu: etree._Element, code: str, text: str, engine: str = "") -> None:
    tuv = etree.SubElement(tu, "tuv", {XML_LANG: bcp47(code)})
    if engine:  # provenance: which engine made this translation (pipeline.provenance)
        etree.SubElement(tuv, "prop", type=ENGINE_PROP).text = engine
    seg = etree.SubElement(tuv, "seg")
    last: etree._Element | None = None
    pos = 0
    for m in TAG_RE.finditer(text):
        _append_text(seg, last, text[pos:m.start()])
        closing, name, num, selfclose = m.groups()
        if name == "x" or selfclose:
            last = etree.SubElement(seg, "ph", x=num)
        else:
            last = etree.SubElement(seg, "ept" if closing else "bpt", i=num)
            if not closing:
                last.set("type", "link" if name == "a" else "g")
        last.text = m.group(0)  # the native code: our tag, escaped by lxml
        pos = m.end()
    _append_text(seg, last, text[pos:])


def _append_text(seg: etree._Element, last: etree._Element | None, text: str) -> None:
    if last is None:
        seg.text = (seg.text or "") + text
    else:
        last.tail = (last.tail or "") + text
