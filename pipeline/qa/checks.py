"""The QA checks: what a reviewer (pofilter, CheckMate, Xbench) looks at first.

Each check has an id (a field of :class:`~pipeline.qa.options.QaOptions`) and reads one
segment's source and translation (tags included); ``length`` and the two consistency
checks read the whole job, because what is normal is learned from the job itself.
Checks return :class:`Finding` objects; grades come from ``[qa]``.
"""
from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable

from pipeline.languages import EAST_ASIAN_CODES, RTL_CODES, Language
from pipeline.memory import Glossary
from pipeline.memory.terms import missing_terms
from pipeline.qa.options import CHECK_IDS, OFF, QaOptions, grade_of
from pipeline.qa.snapshot import HUMAN, JobState, Row
from pipeline.segments import PLACEHOLDER_RE, TAG_RE, plain_text, tag_ids

URL_RE = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]}。，；：！？）】]")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
CODE_RE = re.compile(r"`[^`\n]+`")
# Digits with group or decimal separators: 1,000.5  1.000,5  1 000,5 (a space only before
# a group of exactly three digits, so "in 2020 42 people" stays two numbers).
NUMBER_RE = re.compile(r"\d+(?:(?:[.,'’]|[ \u00a0\u202f\u2009](?=\d{3}(?!\d)))\d+)*")
DOUBLED_RE = re.compile(r"\b([^\W\d_]+)\s+\1\b", re.IGNORECASE)
_END_CLASS = {".": ".", "。": ".", "｡": ".", "।": ".", "!": "!", "！": "!", "?": "?", "？": "?", "؟": "?",
              ":": ":", "：": ":", ";": ";", "；": ";", "؛": ";", "…": "…"}
_CLOSERS = "\"'”’»」』)）]】›"
# Targets written in another script than Latin: a translation into them that is still
# Latin prose was not translated.
NON_LATIN_CODES = EAST_ASIAN_CODES | RTL_CODES | frozenset({
    "ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "tg", "mn", "th", "lo", "km", "my", "hi", "mr", "ne",
    "bn", "pa", "gu", "ta", "te", "kn", "ml", "si", "el", "ka", "hy", "am", "bo", "ug"})
# Frequent English words that are not words of other Latin-script languages: a target
# made mostly of them is still English ("was", "also", "will", "an" are German words).
ENGLISH_MARKERS = frozenset("""the and of to with for this that is are you your it be from by not can which have
has were should would there their these those what when how into only than then""".split())
MARKER_SHARE = 0.25         # of a target's words, from six words on
LENGTH_MIN_CHARS = 20       # shorter sources are too noisy for ratio statistics
LENGTH_MIN_SAMPLES = 8      # fewer segments per language pair: nothing learned, nothing flagged
LENGTH_MIN_SPREAD = math.log(2.0)  # never flag less than twice (or half) the usual ratio


@dataclass(frozen=True)
class Finding:
    """One problem of one segment in one language."""

    file: str
    lang: str
    segment: str                # segment id
    context: str
    check: str
    severity: str
    message: str
    source: str
    target: str
    side: str = "target"        # which side the excerpt is in
    excerpt: str = ""           # the text to highlight ("" for the whole segment)


# (message, side, excerpt)
Hit = tuple[str, str, str]


def _verbatim(kind: str, pattern: re.Pattern[str]) -> Callable[[str, str], list[Hit]]:
    """A check that every match of ``pattern`` in the source is in the target as it is."""

    def check(src: str, tgt: str) -> list[Hit]:
        want, got = Counter(pattern.findall(src)), Counter(pattern.findall(tgt))
        hits = [(f"{kind} {item} missing or changed", "source", item) for item in (want - got).elements()]
        hits += [(f"{kind} {item} not in the source", "target", item) for item in (got - want).elements()]
        return hits

    return check


def _without(text: str, *patterns: re.Pattern[str]) -> str:
    for pattern in patterns:
        text = pattern.sub(" ", text)
    return text


def check_tags(src_tagged: str, tgt_tagged: str) -> list[Hit]:
    want, got = tag_ids(src_tagged), tag_ids(tgt_tagged)
    if want == got:
        return []
    missing = ", ".join(_tag_text(k) for k in sorted(want - got, key=_tag_order))
    extra = ", ".join(_tag_text(k) for k in sorted(got - want, key=_tag_order))
    bits = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
    return [("inline tags differ from the source: " + "; ".join(bits), "target", "")]


def _tag_order(key: tuple[str, int, str]) -> tuple[int, int]:
    return key[1], ("open", "isolated", "close").index(key[2])


def _tag_text(key: tuple[str, int, str]) -> str:
    name, num, kind = key
    return {"open": f"<{name}{num}>", "close": f"</{name}{num}>"}.get(kind, f"<{name}{num}/>")


def check_placeholders(src: str, tgt: str) -> list[Hit]:
    return _verbatim("placeholder", PLACEHOLDER_RE)(_without(src, URL_RE, EMAIL_RE), _without(tgt, URL_RE, EMAIL_RE))


def number_key(number: str) -> str:
    """A number's digits: 1,000.5, 1.000,5 and 1 000,5 are the same number."""
    return "".join(ch for ch in number if ch.isdigit())


def check_numbers(src: str, tgt: str) -> list[Hit]:
    def numbers(text: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        text = unicodedata.normalize("NFKC", _without(text, URL_RE, EMAIL_RE, PLACEHOLDER_RE, CODE_RE))
        for m in NUMBER_RE.finditer(text):
            found[number_key(m.group(0))].append(m.group(0))
        return found

    want, got = numbers(src), numbers(tgt)
    hits: list[Hit] = []
    for key, forms in want.items():
        for form in forms[len(got.get(key, [])):]:
            hits.append((f"number {form} missing or changed", "source", form))
    for key, forms in got.items():
        for form in forms[len(want.get(key, [])):]:
            hits.append((f"number {form} not in the source", "target", form))
    return hits


def check_whitespace(src_tagged: str, tgt_tagged: str) -> list[Hit]:
    hits = []
    for where, s, t in (("leading", _lead(src_tagged), _lead(tgt_tagged)),
                        ("trailing", _trail(src_tagged), _trail(tgt_tagged))):
        if s != t:
            hits.append((f"{where} whitespace {s!r} in the source, {t!r} in the translation", "target", ""))
    return hits


def _lead(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _trail(text: str) -> str:
    return text[len(text.rstrip()):]


def end_class(text: str) -> str:
    """The class of a text's final punctuation ('' for none), closing quotes ignored."""
    text = text.rstrip().rstrip(_CLOSERS).rstrip()
    if text.endswith("..."):
        return "…"
    return _END_CLASS.get(text[-1:], "")


def check_punctuation(src: str, tgt: str) -> list[Hit]:
    s, t = end_class(src), end_class(tgt)
    if s == t:
        return []
    return [(f"ends with {s or 'no punctuation'!r} in the source, {t or 'no punctuation'!r} in the translation",
             "target", tgt.rstrip()[-1:] if t else "")]


def check_doubled(src_tagged: str, tgt_tagged: str) -> list[Hit]:
    # Tags separate words ("to <x1/> to" is not a doubled word), so they become a mark.
    src, tgt = TAG_RE.sub("\ufffc", src_tagged), TAG_RE.sub("\ufffc", tgt_tagged)
    in_source = {m.group(0).casefold() for m in DOUBLED_RE.finditer(src)}
    return [(f"doubled word {m.group(0)!r}", "target", m.group(0))
            for m in DOUBLED_RE.finditer(tgt) if m.group(0).casefold() not in in_source]


def _ascii_share(text: str) -> tuple[int, float]:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0, 0.0
    return len(letters), sum(1 for ch in letters if ch.isascii()) / len(letters)


def english_share(text: str) -> tuple[int, float]:
    """(words, share of them that are English marker words)."""
    words = re.findall(r"[A-Za-z]+", text)
    if not words:
        return 0, 0.0
    return len(words), sum(1 for w in words if w.lower() in ENGLISH_MARKERS) / len(words)


def check_untranslated(src: str, tgt: str, lang: Language, source_lang: Language | None = None) -> list[Hit]:
    if tgt.strip() == src.strip() and len(src.split()) > 1:
        return [("the translation is the source text", "target", "")]
    if lang.code != "en" and (source_lang is None or source_lang.code == "en"):
        n, share = english_share(tgt)
        if n >= 6 and share >= MARKER_SHARE and english_share(src)[1] >= MARKER_SHARE:
            return [(f"still in English, not {lang.name}", "target", "")]
    if lang.code in NON_LATIN_CODES:
        n_src, src_ascii = _ascii_share(src)
        n_tgt, tgt_ascii = _ascii_share(tgt)
        if n_tgt >= 12 and src_ascii >= 0.9 and tgt_ascii >= 0.9:
            return [(f"still in Latin script, not {lang.name}", "target", "")]
    return []


SEGMENT_CHECKS: dict[str, Callable[[str, str], list[Hit]]] = {
    "placeholders": check_placeholders,
    "numbers": check_numbers,
    "urls": _verbatim("URL", URL_RE),
    "emails": _verbatim("e-mail address", EMAIL_RE),
    "code": _verbatim("inline code", CODE_RE),
    "punctuation": check_punctuation,
}
TAGGED_CHECKS: dict[str, Callable[[str, str], list[Hit]]] = {
    "tags": check_tags, "whitespace": check_whitespace, "doubled_words": check_doubled}


class Checker:
    """Runs the enabled checks over a job's state and grades what they find."""

    def __init__(self, options: QaOptions, glossary: Glossary | None = None):
        self.options = options
        self.glossary = glossary or Glossary()

    def enabled(self, check: str) -> bool:
        return grade_of(self.options, check) != OFF

    def run(self, state: JobState) -> list[Finding]:
        rows = list(state.rows())
        findings: list[Finding] = []
        for row in rows:
            findings.extend(self.segment(row, state.job.source_lang))
        translated = [r for r in rows if r.target is not None]
        if self.enabled("length"):
            findings.extend(self._job_level("length", length_outliers(translated)))
        if self.enabled("inconsistent_target") or self.enabled("inconsistent_source"):
            target_hits, source_hits = inconsistencies(translated)
            if self.enabled("inconsistent_target"):
                findings.extend(self._job_level("inconsistent_target", target_hits))
            if self.enabled("inconsistent_source"):
                findings.extend(self._job_level("inconsistent_source", source_hits))
        findings.sort(key=lambda f: (f.file, f.lang, _order(f.segment), CHECK_IDS.index(f.check)))
        return findings

    def segment(self, row: Row, source_lang: Language | None) -> list[Finding]:
        """The findings of one segment (without the job-level checks)."""
        src_tagged = row.segment.text
        if row.target is None:
            if not self.enabled("untranslated"):
                return []
            return [self._finding(row, "untranslated", ("no translation stored: left in the source language",
                                                        "source", ""))]
        tgt_tagged = row.target
        src, tgt = plain_text(src_tagged), plain_text(tgt_tagged)
        out: list[Finding] = []
        for check, fn in TAGGED_CHECKS.items():
            if self.enabled(check):
                out.extend(self._finding(row, check, hit) for hit in fn(src_tagged, tgt_tagged))
        for check, fn in SEGMENT_CHECKS.items():
            if self.enabled(check):
                out.extend(self._finding(row, check, hit) for hit in fn(src, tgt))
        if self.enabled("untranslated") and row.origin != HUMAN:  # a reviewer may keep the source
            hits = check_untranslated(src, tgt, row.lang, source_lang)
            out.extend(self._finding(row, "untranslated", hit) for hit in hits)
        if self.enabled("glossary"):
            for term in missing_terms(self.glossary.relevant(src_tagged, source_lang, row.lang), tgt_tagged):
                out.append(self._finding(row, "glossary", (f"glossary term {term.source!r} should be "
                                                           f"{term.target!r}", "source", term.source)))
        return out

    def _job_level(self, check: str, hits: Iterable[tuple[Row, Hit]]) -> list[Finding]:
        return [self._finding(row, check, hit) for row, hit in hits]

    def _finding(self, row: Row, check: str, hit: Hit) -> Finding:
        message, side, excerpt = hit
        return Finding(row.file, row.lang.code, row.segment.id, row.segment.context, check,
                       grade_of(self.options, check), message, row.segment.text, row.target or "", side, excerpt)


def _order(segment_id: str) -> list:
    """Natural order of segment ids ("p2" before "p10")."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", segment_id)]


def length_outliers(rows: list[Row]) -> list[tuple[Row, Hit]]:
    """Segments whose length ratio is far from the usual one for their language pair
    in this job (median and median absolute deviation of the log ratio)."""
    by_lang: dict[str, list[tuple[Row, float]]] = defaultdict(list)
    for row in rows:
        src, tgt = plain_text(row.segment.text).strip(), plain_text(row.target or "").strip()
        if len(src) >= LENGTH_MIN_CHARS and tgt:
            by_lang[row.lang.code].append((row, math.log(len(tgt) / len(src))))
    out = []
    for lang, samples in by_lang.items():
        if len(samples) < LENGTH_MIN_SAMPLES:
            continue
        logs = [x for _, x in samples]
        median = statistics.median(logs)
        mad = statistics.median(abs(x - median) for x in logs)
        limit = max(4 * 1.4826 * mad, LENGTH_MIN_SPREAD)
        for row, x in samples:
            if abs(x - median) > limit:
                out.append((row, (f"length ratio {math.exp(x):.2f}, usual for {lang} in this job "
                                  f"{math.exp(median):.2f}", "target", "")))
    return out


def _norm(text: str) -> str:
    return " ".join(plain_text(text).split())


def _fold(text: str) -> str:
    return _norm(text).casefold()


def inconsistencies(rows: list[Row]) -> tuple[list[tuple[Row, Hit]], list[tuple[Row, Hit]]]:
    """(one source -> several targets, several sources -> one target), per language.

    Sources that differ only in case or spacing count as different sources for the
    first ("First page" and "First Page" may keep their case) and as the same source
    for the second."""
    targets: dict[tuple[str, str], set[str]] = defaultdict(set)
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        targets[(row.lang.code, _norm(row.segment.text))].add(_norm(row.target or ""))
        sources[(row.lang.code, _norm(row.target or ""))].add(_fold(row.segment.text))
    by_target, by_source = [], []
    for row in rows:
        alternatives = targets[(row.lang.code, _norm(row.segment.text))]
        if len(alternatives) > 1:
            others = sorted(alternatives - {_norm(row.target or "")})
            by_target.append((row, (f"the same source is translated {len(alternatives)} ways; also: "
                                    + " | ".join(others[:3]), "target", "")))
        originals = sources[(row.lang.code, _norm(row.target or ""))]
        if len(originals) > 1:
            others = sorted(originals - {_fold(row.segment.text)})
            by_source.append((row, (f"{len(originals)} different sources have this translation; also: "
                                    + " | ".join(others[:3]), "source", "")))
    return by_target, by_source
