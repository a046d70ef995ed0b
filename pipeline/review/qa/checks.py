"""The QA checks: what a reviewer (pofilter, CheckMate, Xbench) looks at first.

Each check has an id (a field of :class:`~pipeline.review.qa.options.QaOptions`) and reads one
segment's source and translation (tags included); ``length`` and the two consistency
checks read the whole job, because what is normal is learned from the job itself.
Checks return :class:`Finding` objects; grades come from ``[qa]``.
"""
from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

from pipeline.formats.base import Verbatim
from pipeline.languages import EAST_ASIAN_CODES, RTL_CODES, Language
from pipeline.memory.terms import Glossary
from pipeline.memory.terms import missing_terms
from pipeline.review.qa.accepted import finding_id
from pipeline.review.qa.numerals import compare, numerals
from pipeline.review.qa.options import CHECK_IDS, OFF, QaOptions, grade_of
from pipeline.review.qa.snapshot import HUMAN, JobState, Row
from pipeline.segments import PLACEHOLDER_RE, TAG_RE, Close, Open, plain_text, tag_ids, tokenize
from pipeline.translate.chatter import find_chatter

URL_RE = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]}。，；：！？）】]")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
CODE_RE = re.compile(r"`[^`\n]+`")
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
# Too few segments to learn from: the usual length ratio of a translation from English
# (characters), measured on the correct translations of tests/review/qa/data (median per
# language), with a wider margin: three times (or a third of) the usual ratio.
USUAL_RATIO_FROM_ENGLISH = {"zh": 0.56, "zh_tw": 0.56, "ja": 0.72, "ko": 0.71, "de": 1.09, "fr": 1.2, "es": 1.1,
                            "it": 1.1, "pt": 1.1, "nl": 1.1, "ru": 1.07, "uk": 1.07, "ar": 0.92, "he": 0.9}
PRIOR_SPREAD = math.log(3.0)


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
    accepted: str = ""          # the reviewer's reason when accepted (:mod:`pipeline.review.qa.accepted`)

    @property
    def id(self) -> str:
        """Stable across runs: the segment's source, the language, the check, the message."""
        return finding_id(self.source, self.lang, self.check, self.message)


# (message, side, excerpt)
Hit = tuple[str, str, str]


def _verbatim(kind: str, pattern: re.Pattern[str]) -> Callable[[str, str], list[Hit]]:
    """A check that every match of ``pattern`` in the source is in the target as it is."""

    def check(src: str, tgt: str, *_langs: str) -> list[Hit]:
        found, kept = pattern.findall(src), pattern.findall(tgt)
        if not found and not kept:  # most segments: nothing to compare
            return []
        want, got = Counter(found), Counter(kept)
        hits = [(f"{kind} {item} missing or changed", "source", item) for item in (want - got).elements()]
        hits += [(f"{kind} {item} not in the source", "target", item) for item in (got - want).elements()]
        return hits

    return check


def _without(text: str, *patterns: re.Pattern[str]) -> str:
    for pattern in patterns:
        text = pattern.sub(" ", text)
    return text


def check_tags(src_tagged: str, tgt_tagged: str) -> list[Hit]:
    if "<" not in src_tagged and "<" not in tgt_tagged:  # no tag on either side (every tag opens with "<")
        return []
    want, got = tag_ids(src_tagged), tag_ids(tgt_tagged)
    if want == got:
        if (bad := _misnested(tgt_tagged)) and not _misnested(src_tagged):
            return [(f"inline tags out of order: {bad}", "target", bad)]
        return []
    missing = ", ".join(_tag_text(k) for k in sorted(want - got, key=_tag_order))
    extra = ", ".join(_tag_text(k) for k in sorted(got - want, key=_tag_order))
    bits = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
    return [("inline tags differ from the source: " + "; ".join(bits), "target", "")]


def _misnested(tagged: str) -> str:
    """The first tag that closes what is not open, or crosses another pair ("" if none):
    a translation may move a pair, never turn it inside out or interleave two."""
    stack: list[tuple[str, int]] = []
    for tok in tokenize(tagged):
        if isinstance(tok, Open):
            stack.append((tok.name, tok.id))
        elif isinstance(tok, Close):
            if not stack or stack[-1] != (tok.name, tok.id):
                return f"</{tok.name}{tok.id}>"
            stack.pop()
    return f"<{stack[-1][0]}{stack[-1][1]}>" if stack else ""


def _tag_order(key: tuple[str, int, str]) -> tuple[int, int]:
    return key[1], ("open", "isolated", "close").index(key[2])


def _tag_text(key: tuple[str, int, str]) -> str:
    name, num, kind = key
    return {"open": f"<{name}{num}>", "close": f"</{name}{num}>"}.get(kind, f"<{name}{num}/>")


def check_placeholders(src: str, tgt: str, *_langs: str) -> list[Hit]:
    """Positional placeholders (``%s``, ``%d``) as many times as in the source; a named
    one (``{name}``, ``%(name)s``, ``%1$s``) at least once and never one the source lacks:
    a translation may say a name once where English repeats it, or repeat it."""
    if not _PLACEHOLDER_MARK_RE.search(src) and not _PLACEHOLDER_MARK_RE.search(tgt):
        return []
    src, tgt = _without(src, URL_RE, EMAIL_RE), _without(tgt, URL_RE, EMAIL_RE)
    want, got = Counter(PLACEHOLDER_RE.findall(src)), Counter(PLACEHOLDER_RE.findall(tgt))
    hits = []
    for item in sorted(set(want) | set(got), key=lambda p: (src + tgt).find(p)):
        if _named(item):
            if item not in got:
                hits.append((f"placeholder {item} missing or changed", "source", item))
            elif item not in want:
                hits.append((f"placeholder {item} not in the source", "target", item))
            continue
        hits += [(f"placeholder {item} missing or changed", "source", item)] * max(0, want[item] - got[item])
        hits += [(f"placeholder {item} not in the source", "target", item)] * max(0, got[item] - want[item])
    return hits


# Every placeholder (pipeline.segments.PLACEHOLDER_RE) holds one of these: a text with none has none.
_PLACEHOLDER_MARK_RE = re.compile(r"[{%<]")


def _named(placeholder: str) -> bool:
    return placeholder.startswith(("{", "$", "%(")) or "$" in placeholder


def check_code(src: str, tgt: str, *_langs: str) -> list[Hit]:
    """Inline code as in the source; the quotes around it are the translation's
    (`x` may become «x» or 「x」), so it is the code itself that must be there."""
    want = Counter(m.group(0)[1:-1] for m in CODE_RE.finditer(src))
    got = Counter(m.group(0)[1:-1] for m in CODE_RE.finditer(tgt))
    hits = []
    for code, n in want.items():
        present = tgt.count(code)  # quoted in any way, or not
        hits += [(f"inline code `{code}` missing or changed", "source", code)] * max(0, n - present)
    hits += [(f"inline code `{code}` not in the source", "target", code)
             for code in got if code not in want and code not in src]
    return hits


# A character that would make a span of code longer: a code span found in an output's text
# next to one of these is part of some other code (an edited command, a longer URL).
_CODE_CHAR_RE = re.compile(r"[A-Za-z0-9_/\\~@=%#&+$`-]")


def check_verbatim(source: Verbatim, target_tagged: str, written: Verbatim | None) -> list[Hit]:
    """Code kept as code (a monospace run, a code style, a URL, a path, a command line,
    Markdown inline code) comes back byte for byte: its tag is in the translation, and the
    output (``written``: its paragraph as read back, None when there is no output) holds
    each span as the source has it."""
    present = {num for name, num, _ in tag_ids(target_tagged) if name == "x"}
    # The excerpt is the tag that carries the code in the source segment (the report
    # highlights it there), or the code itself for a span at the segment's edge.
    where = {code: f"<x{tag}/>" if tag else code for code, tag, _ in source.spans}
    hits = [(f"code {code!r} dropped from the translation (its tag <x{tag}/> is missing)", "source", f"<x{tag}/>")
            for code, tag, _ in source.spans if tag and tag not in present]
    if written is None:
        return hits
    want, got = Counter(c for c, _, _ in source.spans), Counter(c for c, _, _ in written.spans)
    instead = sorted((got - want).elements(), key=lambda c: written.text.find(c))
    for code, n in want.items():
        missing = n - got[code] - _loose(code, written)
        if missing > 0:
            said = f"; the output has {', '.join(repr(c) for c in instead[:2])}" if instead else ""
            hits += [(f"code {code!r} missing or changed in the output{said}", "source", where[code])] * missing
    return hits


def _loose(code: str, written: Verbatim) -> int:
    """How often ``code`` stands in the output's text on its own outside the spans read as
    code there (next to a CJK word a URL is not read as one; a command moved from the start
    of its line is not read as one): a whole occurrence, not part of a longer code."""
    taken = [(start, start + len(c)) for c, _, start in written.spans]
    text, count, pos = written.text, 0, written.text.find(code)
    while pos >= 0:
        end = pos + len(code)
        before, after, then = text[pos - 1:pos], text[end:end + 1], text[end + 1:end + 2]
        whole = not _CODE_CHAR_RE.match(before) and not _CODE_CHAR_RE.match(after) and not (
            after in (".", ":", "?", ",", ";") and _CODE_CHAR_RE.match(then))
        # Inside a longer span read as code, it is part of other code ("pip install qmt" in
        # "pip install qmt --pre"), unless a letter of another script ends it there (a URL
        # the reader ran on into the Chinese text after it).
        inside = any(s < end and pos < e for s, e in taken)
        if whole and (not inside or (after and not after.isspace() and not after.isascii())):
            count += 1
        pos = text.find(code, end)
    return count


def check_chatter(src: str, tgt: str, *_langs: str) -> list[Hit]:
    """Text with no counterpart in the source: a model's preamble, fence, quotes,
    pleasantry, note or second rendition (:mod:`pipeline.translate.chatter`, the detector
    the llm backend refuses answers with)."""
    found = find_chatter(tgt, src)
    return [(found.reason, "target", found.excerpt)] if found else []


def check_numbers(src: str, tgt: str, source_lang: str = "en", target_lang: str = "") -> list[Hit]:
    """Numbers compared as values in each side's language (:mod:`pipeline.review.qa.numerals`)."""
    missing, extra = compare(numerals(src, source_lang), numerals(tgt, target_lang or source_lang, also=source_lang))
    return ([(f"number {n.text.strip()} missing or changed", "source", n.text.strip()) for n in missing]
            + [(f"number {n.text.strip()} not in the source", "target", n.text.strip()) for n in extra])


def check_whitespace(src_tagged: str, tgt_tagged: str) -> list[Hit]:
    hits = []
    for where, s, t in (("leading", _lead(src_tagged), _lead(tgt_tagged)),
                        ("trailing", _trail(src_tagged), _trail(tgt_tagged))):
        if _space_class(s) != _space_class(t):
            hits.append((f"{where} whitespace {s!r} in the source, {t!r} in the translation", "target", ""))
    return hits


def _space_class(space: str) -> str:
    """What a reader sees of leading or trailing whitespace: a line break, a space, nothing
    (an indent after the line break and the kind of space are the translation's)."""
    return "line break" if "\n" in space else ("space" if space else "")


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


# A final period that ends an abbreviation, not a sentence ("6 p.m." -> "18 Uhr").
_ABBREVIATION_END_RE = re.compile(r"(?:\b[a-zA-Z]\.[a-zA-Z]|\betc|\bInc|\bLtd|\bvs|\bNo|\bapprox)\.$")
# Languages whose formal sentences end in a full stop even where the English is a label
# ("Cannot delete %(name)s" -> "…삭제할 수 없습니다."), and those that write ordinals "3.".
_FULL_STOP_ADDED = frozenset({"ko", "ja", "zh", "zh_tw"})
_ORDINAL_DOT = frozenset({"de", "da", "nb", "no", "fi", "cs", "sk", "sl", "hr", "sr", "hu", "tr", "lv", "et", "is"})


def check_punctuation(src: str, tgt: str, source_lang: str = "en", target_lang: str = "") -> list[Hit]:
    """End punctuation of the same class ("?" and "？" and "؟" alike), with each language's
    habits: an abbreviation's period is no sentence end, a CJK or Korean translation may add
    a full stop, and "{}." after a number is an ordinal in German and its neighbours."""
    s, t = end_class(src), end_class(tgt)
    if s == "." and _ABBREVIATION_END_RE.search(src.rstrip()):
        s = t if t in ("", ".") else ""
    if s == "" and t == "." and target_lang in _FULL_STOP_ADDED:
        return []
    if t == "." and s == "" and target_lang in _ORDINAL_DOT and re.search(r"(?:\d|\}|%\w?)\.$", tgt.rstrip()):
        return []
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
    letters = "".join(filter(str.isalpha, text))
    if not letters:
        return 0, 0.0
    return len(letters), sum(map(str.isascii, letters)) / len(letters)


def english_share(text: str) -> tuple[int, float]:
    """(words, share of them that are English marker words)."""
    words = re.findall(r"[A-Za-z]+", text)
    if not words:
        return 0, 0.0
    return len(words), sum(1 for w in words if w.lower() in ENGLISH_MARKERS) / len(words)


# Words a translation keeps on purpose: acronyms and units (KB, HTTP), names written with
# inner capitals or digits (PostgreSQL, iPhone, IPv6), file names and identifiers (get_url).
_KEPT_RE = re.compile(r"^(?:[A-Z0-9]{2,}s?|[A-Za-z]*[a-z][A-Z][A-Za-z]*|\w*\d\w*|\w*_\w*|[\w-]+\.\w+)$")
UNTRANSLATED_MIN_WORDS = 3  # "Model: {name}" kept as it is names a thing; three words are prose


def prose(text: str, keep: Iterable[str] = ()) -> str:
    """The words of ``text`` that a translation would translate: placeholders, tags, URLs,
    e-mail addresses, code, numbers, acronyms, names with inner capitals or digits and the
    job's do-not-translate terms (``keep``) left out."""
    return _prose(text, tuple(keep))


# Read once per text: a segment's source is checked with each of its target languages.
@lru_cache(maxsize=4096)
def _prose(text: str, keep: tuple[str, ...]) -> str:
    text = _without(text, URL_RE, EMAIL_RE, CODE_RE, PLACEHOLDER_RE, TAG_RE)
    for term in keep:
        text = text.replace(term, " ")
    words = re.findall(r"[^\W_][\w.'’-]*", text)
    return " ".join(w for w in words if not _KEPT_RE.match(w.rstrip(".")) and not w[0].isdigit())


def check_untranslated(src: str, tgt: str, lang: Language, source_lang: Language | None = None,
                       keep: Iterable[str] = ()) -> list[Hit]:
    """The translation is the source, still English, or still in Latin script where the
    target language has another; only the prose counts (:func:`prose`), so a brand name,
    a code or a placeholder kept on purpose is not "untranslated"."""
    keep = tuple(keep)
    src_words, tgt_words = prose(src, keep), prose(tgt, keep)
    if tgt.strip() == src.strip() and len(src_words.split()) >= UNTRANSLATED_MIN_WORDS:
        return [("the translation is the source text", "target", "")]
    if lang.code != "en" and (source_lang is None or source_lang.code == "en"):
        n, share = english_share(tgt_words)
        if n >= 6 and share >= MARKER_SHARE and english_share(src_words)[1] >= MARKER_SHARE:
            return [(f"still in English, not {lang.name}", "target", "")]
    if lang.code in NON_LATIN_CODES:
        n_src, src_ascii = _ascii_share(src_words)
        n_tgt, tgt_ascii = _ascii_share(tgt_words)
        if n_tgt >= 12 and src_ascii >= 0.9 and tgt_ascii >= 0.9:
            return [(f"still in Latin script, not {lang.name}", "target", "")]
    return []


# Each takes (source, translation, source language code, target language code).
SEGMENT_CHECKS: dict[str, Callable[..., list[Hit]]] = {
    "placeholders": check_placeholders,
    "numbers": check_numbers,
    "urls": _verbatim("URL", URL_RE),
    "emails": _verbatim("e-mail address", EMAIL_RE),
    "code": check_code,
    "chatter": check_chatter,
    "punctuation": check_punctuation,
}
TAGGED_CHECKS: dict[str, Callable[[str, str], list[Hit]]] = {
    "tags": check_tags, "whitespace": check_whitespace, "doubled_words": check_doubled}


class Checker:
    """Runs the enabled checks over a job's state and grades what they find."""

    def __init__(self, options: QaOptions, glossary: Glossary | None = None):
        self.options = options
        self.glossary = glossary or Glossary()
        self._kept: dict[tuple[str, str], tuple[str, ...]] = {}
        # The checks ``options`` leaves on, in their order (decided once, not per segment).
        self._tagged = [(c, fn) for c, fn in TAGGED_CHECKS.items() if self.enabled(c)]
        self._plain = [(c, fn) for c, fn in SEGMENT_CHECKS.items() if self.enabled(c)]

    def kept_terms(self, lang: Language, source_lang: Language | None) -> tuple[str, ...]:
        """The glossary's do-not-translate terms for ``lang`` (target written as the source)."""
        key = (lang.code, source_lang.code if source_lang else "")
        if key not in self._kept:
            self._kept[key] = tuple(e.source for e in self.glossary.entries
                                    if e.source == e.target and e.target_lang in ("", lang.code))
        return self._kept[key]

    def enabled(self, check: str) -> bool:
        return grade_of(self.options, check) != OFF

    def run(self, state: JobState) -> list[Finding]:
        rows = list(state.rows())
        findings: list[Finding] = []
        for row in rows:
            findings.extend(self.segment(row, state.job.source_lang))
        translated = [r for r in rows if r.target is not None]
        if self.enabled("length"):
            source = state.job.source_lang.code if state.job.source_lang is not None else ""
            findings.extend(self._job_level("length", length_outliers(translated, source)))
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
        for check, fn in self._tagged:
            out.extend(self._finding(row, check, hit) for hit in fn(src_tagged, tgt_tagged))
        src_code = source_lang.code if source_lang is not None else "en"
        for check, fn in self._plain:
            out.extend(self._finding(row, check, hit) for hit in fn(src, tgt, src_code, row.lang.code))
        if self.enabled("code") and row.verbatim.spans:
            out.extend(self._finding(row, "code", hit) for hit in check_verbatim(row.verbatim, tgt_tagged, row.written))
        if self.enabled("untranslated") and row.origin != HUMAN:  # a reviewer may keep the source
            hits = check_untranslated(src, tgt, row.lang, source_lang, self.kept_terms(row.lang, source_lang))
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


def _order(segment_id: str) -> list[tuple[int, int, str]]:
    """Natural order of segment ids ("p2" before "p10")."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", segment_id)]


def length_outliers(rows: list[Row], source_lang: str = "en") -> list[tuple[Row, Hit]]:
    """Segments whose length ratio is far from the usual one for their language pair
    in this job (median and median absolute deviation of the log ratio); in a job too
    small to learn from, far from the usual ratio of the language pair."""
    by_lang: dict[str, list[tuple[Row, float]]] = defaultdict(list)
    for row in rows:
        src, tgt = plain_text(row.segment.text).strip(), plain_text(row.target or "").strip()
        if len(src) >= LENGTH_MIN_CHARS and tgt:
            by_lang[row.lang.code].append((row, math.log(len(tgt) / len(src))))
    out = []
    for lang, samples in by_lang.items():
        if len(samples) >= LENGTH_MIN_SAMPLES:
            logs = [x for _, x in samples]
            median = statistics.median(logs)
            mad = statistics.median(abs(x - median) for x in logs)
            limit, where = max(4 * 1.4826 * mad, LENGTH_MIN_SPREAD), "in this job"
        elif source_lang == "en" and lang in USUAL_RATIO_FROM_ENGLISH:
            median, limit = math.log(USUAL_RATIO_FROM_ENGLISH[lang]), PRIOR_SPREAD
            where = "from English"
        else:
            continue
        for row, x in samples:
            if abs(x - median) > limit:
                out.append((row, (f"length ratio {math.exp(x):.2f}, usual for {lang} {where} "
                                  f"{math.exp(median):.2f}", "target", "")))
    return out


def _norm(text: str) -> str:
    return " ".join(plain_text(text).split())


def inconsistencies(rows: list[Row]) -> tuple[list[tuple[Row, Hit]], list[tuple[Row, Hit]]]:
    """(one source -> several targets, several sources -> one target), per language.

    Sources that differ only in case or spacing count as different sources for the
    first ("First page" and "First Page" may keep their case) and as the same source
    for the second."""
    # (language, source, target) normalised once per row; the source also case-folded.
    keys = [(row.lang.code, _norm(row.segment.text), _norm(row.target or "")) for row in rows]
    folded = [src.casefold() for _, src, _ in keys]
    targets: dict[tuple[str, str], set[str]] = defaultdict(set)
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (lang, src, tgt), fold in zip(keys, folded):
        targets[(lang, src)].add(tgt)
        sources[(lang, tgt)].add(fold)
    by_target, by_source = [], []
    for row, (lang, src, tgt), fold in zip(rows, keys, folded):
        alternatives = targets[(lang, src)]
        if len(alternatives) > 1:
            others = sorted(alternatives - {tgt})
            by_target.append((row, (f"the same source is translated {len(alternatives)} ways; also: "
                                    + " | ".join(others[:3]), "target", "")))
        originals = sources[(lang, tgt)]
        if len(originals) > 1:
            others = sorted(originals - {fold})
            by_source.append((row, (f"{len(originals)} different sources have this translation; also: "
                                    + " | ".join(others[:3]), "source", "")))
    return by_target, by_source
