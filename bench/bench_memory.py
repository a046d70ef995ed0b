"""Glossary and TM selection: prompt tokens with only the relevant entries vs everything.

A 2,000-entry glossary and a 5,000-unit translation memory are synthesized from the
shared corpus (deterministically, so some terms occur and some TM units are near
matches), then every Markdown segment of ``../shared/corpus/markdown`` is looked up as
the runner does (``Glossary.relevant`` + ``TranslationMemory.fuzzy``, threshold 75,
at most 3 entries). Printed: prompt tokens per segment (``pipeline.tokens.prompt_tokens``,
the emulator's billing model) when sending only those entries versus sending the whole
glossary and memory with each request, their ratio, and the time to pick per segment.

Run: ``make bench`` (or ``.venv/bin/python bench/bench_memory.py`` from the repo root).
"""
from __future__ import annotations

import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.emulator import pseudo_translate  # noqa: E402
from pipeline.formats import LoadContext, handler_for  # noqa: E402
from pipeline.formats.options import MarkdownOptions  # noqa: E402
from pipeline.languages import lookup  # noqa: E402
from pipeline.memory.sources import Entry  # noqa: E402
from pipeline.memory.terms import Glossary  # noqa: E402
from pipeline.memory.tm import TranslationMemory  # noqa: E402
from pipeline.segments import has_translatable_text, plain_text  # noqa: E402
from pipeline.tokens import count_tokens, prompt_tokens  # noqa: E402
from pipeline.translate.backend import TermPair  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "markdown"
GLOSSARY_SIZE = 2000
TM_SIZE = 5000
THRESHOLD = 75
MAX_TM = 3
EN, ZH = lookup("en"), lookup("zh")
WORD = re.compile(r"[A-Za-z][A-Za-z-]{3,}")


def corpus_segments() -> list[str]:
    out: list[str] = []
    for path in sorted(CORPUS.glob("*.md")):
        ctx = LoadContext(path, path.read_bytes(), MarkdownOptions(), EN, (ZH,))
        out.extend(s.text for s in handler_for(path).load(ctx).segments() if has_translatable_text(s.text))
    return out


def make_glossary(segments: list[str], rng: random.Random) -> Glossary:
    """Terms: words and two-word phrases of the corpus, skipping the 150 most common
    words (a glossary holds domain terms, not "the"), padded with made-up product names."""
    words: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    for text in segments:
        tokens = WORD.findall(plain_text(text))
        words.update(t.lower() for t in tokens)
        phrases.update(f"{a} {b}".lower() for a, b in zip(tokens, tokens[1:]))
    common = {w for w, _ in words.most_common(150)}
    pool = sorted({w for w in words if w not in common} | {p for p, n in phrases.items() if n >= 3
                                                           and not set(p.split()) & common})
    picked = rng.sample(pool, min(len(pool), GLOSSARY_SIZE * 3 // 4))
    picked += [f"acme{i:04d} widget" for i in range(GLOSSARY_SIZE - len(picked))]
    return Glossary([Entry(term, f"术语{i}", "en", "zh") for i, term in enumerate(picked)])


def make_tm(segments: list[str], rng: random.Random) -> TranslationMemory:
    """TM units: corpus sentences with one or two words changed (near matches for some
    segments), translated by the emulator's pseudo-translation."""
    plain = sorted({plain_text(s) for s in segments if len(plain_text(s)) > 20})
    vocab = sorted({w for s in plain for w in WORD.findall(s)})
    units = []
    for _ in range(TM_SIZE):
        words = rng.choice(plain).split(" ")
        for _ in range(rng.choice((1, 2))):
            words[rng.randrange(len(words))] = rng.choice(vocab)
        source = " ".join(words)
        units.append(Entry(source, pseudo_translate(source, "Chinese"), "en", "zh"))
    return TranslationMemory(units)


def main() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"shared corpus not found at {CORPUS}")
    rng = random.Random(20261121)
    segments = corpus_segments()
    glossary = make_glossary(segments, rng)
    tm = make_tm(segments, rng)

    started = time.perf_counter()
    glossary.relevant("warm up", EN, ZH)
    tm.fuzzy("warm up the index", EN, ZH, threshold=THRESHOLD, limit=MAX_TM)
    build_s = time.perf_counter() - started

    all_terms = glossary.pairs(EN, ZH)
    all_tm = [TermPair(e.source, e.target) for e in tm.entries]
    everything_extra = prompt_tokens("", all_terms, all_tm) - prompt_tokens("")

    terms_all = prompt_tokens("", all_terms) - prompt_tokens("")
    relevant_tokens, everything_tokens, pick_ms, n_terms, n_tm, term_tokens = [], [], [], [], [], []
    for text in segments:
        t0 = time.perf_counter()
        terms = glossary.relevant(text, EN, ZH)
        tm_list = tm.fuzzy(text, EN, ZH, threshold=THRESHOLD, limit=MAX_TM)
        pick_ms.append((time.perf_counter() - t0) * 1000)
        relevant_tokens.append(prompt_tokens(text, terms, tm_list))
        everything_tokens.append(prompt_tokens(text) + everything_extra)
        n_terms.append(len(terms))
        term_tokens.append(prompt_tokens("", terms) - prompt_tokens(""))
        n_tm.append(len(tm_list))

    mean_rel = statistics.fmean(relevant_tokens)
    mean_all = statistics.fmean(everything_tokens)
    text_only = statistics.fmean(prompt_tokens(t) for t in segments)
    pick_sorted = sorted(pick_ms)
    print(f"corpus: {len(segments)} Markdown segments from {CORPUS.name}/ ({len(list(CORPUS.glob('*.md')))} files)")
    print(f"glossary: {len(glossary)} entries ({sum(count_tokens(p.source) + count_tokens(p.target) + 4 for p in all_terms)} "
          f"tokens); TM: {len(tm)} units; index build {build_s * 1000:.0f} ms")
    print()
    print(f"{'':34}{'per segment':>14}")
    print(f"{'prompt tokens, text only':34}{text_only:>14.1f}")
    print(f"{'prompt tokens, relevant entries':34}{mean_rel:>14.1f}")
    print(f"{'prompt tokens, everything':34}{mean_all:>14.1f}")
    print(f"{'glossary tokens, relevant / all':34}{statistics.fmean(term_tokens):>9.1f} / {terms_all}")
    print(f"{'terms sent (mean / max)':34}{statistics.fmean(n_terms):>9.2f} / {max(n_terms)}")
    print(f"{'tm_list entries sent (mean)':34}{statistics.fmean(n_tm):>14.2f}")
    print(f"{'segments with >= 1 term':34}{sum(1 for n in n_terms if n) / len(segments):>14.1%}")
    print(f"{'segments with >= 1 fuzzy match':34}{sum(1 for n in n_tm if n) / len(segments):>14.1%}")
    print(f"{'selection time, mean (ms)':34}{statistics.fmean(pick_ms):>14.3f}")
    print(f"{'selection time, p95 (ms)':34}{pick_sorted[int(len(pick_sorted) * 0.95)]:>14.3f}")
    print()
    print(f"ratio: sending everything costs {mean_all / mean_rel:,.0f}x the prompt tokens of sending only the "
          f"relevant entries ({mean_all:,.0f} vs {mean_rel:.1f} per segment; Qwen-MT takes at most 8,192 "
          f"input tokens, so 'everything' could not even be sent); picking costs "
          f"{statistics.fmean(pick_ms):.2f} ms per segment.")


if __name__ == "__main__":
    main()
