"""What is already answered: the read-only side of the job's memory, used by the plan.

Per (segment text, target language), :meth:`MemoryLookup.plan` decides, in this order
(``--force`` skips steps 1-3):

0. **a reviewed (human) translation**: imported from XLIFF (``qmt xliff import``), or
   a reviewer's edit of a committed output (:mod:`pipeline.repository.committed`): it
   outranks everything, ``--force`` included, and is never sent; no ledger row;
   counted as ``human_hits``;
1. **exact match in the job's TM file** (the user's memory, the authority): reused
   without a request; the journal writes one ledger row with status ``tm_hit`` and
   zero tokens;
2. **the committed output** (``committed_hits``): the translation an output of the job
   holds, unedited, as the lock file says qmt wrote it, made by the engine this run
   expects with the same settings: a fresh clone with no state folder reuses it;
3. **cache**: the same segment with the same terms, ``tm_list``, model, languages,
   domains and sampling was translated before: reused, no ledger row (the ledger stays
   one row per request); counted as ``cache_hits`` in the run report;
4. **exact match in the job's own memory** (translations of earlier runs) made with the
   same settings except ``tm_list``: reused like a TM hit (``tm_hit`` row). This is what
   keeps an unchanged job at zero requests even when a neighbour's new translation
   changes the ``tm_list`` (and so the cache key) of a segment that did not change;
5. otherwise a request: the terms occurring in the segment and the best fuzzy TM
   entries (the TM file and earlier runs' translations) go with it; a segment whose
   human translation's source changed carries that old human translation first.

The lookup never writes. It reads a snapshot: fuzzy and exact TM matches come from what
earlier runs stored (not what this run adds), and each (text, language) is decided once
per run, so the plan, and therefore the requests, do not depend on the order in which
answers arrive; ``qmt estimate`` uses the same lookup and predicts the same requests.
Its own SQLite connection may be used from the run's planning thread.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from pipeline.errors import QmtError
from pipeline.languages import Language
from pipeline.memory.sources import code_of
from pipeline.ledger.journal import expected_engine
from pipeline.ledger.store import STATE_FILE, StateStore, cache_key, fingerprint
from pipeline.memory.terms import Glossary, missing_terms
from pipeline.memory.text import normalize, same_but_tag_ids
from pipeline.memory.tm import TranslationMemory, fit_target
from pipeline.provenance import HUMAN_ENGINE, TM_FILE_ENGINE
from pipeline.segments import Segment
from pipeline.translate.backend import Sampling, TermPair
from pipeline.translate.units import CACHE, COMMITTED, HUMAN, REPAIRED, TM, TRANSLATED, Outcome, Unit

if TYPE_CHECKING:
    from pipeline.config import Job
    from pipeline.repository.committed import FileHarvest, Reusable


class _Settings(TypedDict):
    """What shapes a translation besides the text and its TM examples (the fingerprint)."""

    source_lang: str
    target_lang: str
    model: str
    terms: tuple[TermPair, ...]
    domains: str
    sampling: Sampling


@dataclass
class MemoryStats:
    cache_hits: int = 0
    tm_hits: int = 0
    human_hits: int = 0
    committed_hits: int = 0     # reused from the committed outputs (the lock file)


def load_glossary_and_tm(job: Job) -> tuple[Glossary, TranslationMemory]:
    """The job's glossary and TM files (ConfigError on a bad file)."""
    glossary = Glossary.load(job.terms_file) if job.terms_file else Glossary()
    tm = TranslationMemory.load(job.tm_file) if job.tm_file else TranslationMemory()
    return glossary, tm


class MemoryLookup:
    """Glossary, TM and a read-only view of the state store; see the module docstring."""

    def __init__(self, job: Job, store: StateStore, *, glossary: Glossary | None = None,
                 tm: TranslationMemory | None = None, engine: str = ""):
        self.job = job
        self.store = store
        self.engine = expected_engine(job, store, engine)
        self.glossary = glossary or Glossary()
        self.tm = tm or TranslationMemory()
        self.force = job.force
        self.use_cache = job.cache
        self.threshold = job.tm_fuzzy_threshold
        self.max_entries = job.tm_max_entries
        self._fuzzy = TranslationMemory([*self.tm.entries, *store.tm_entries(engine=self.engine)])
        self._tm_upto = store.last_tm_id()
        # What the store can answer at all: a first run (an empty store) asks it nothing,
        # which keeps planning at a fraction of a millisecond per segment.
        self._any_human = store.has_rows("human")
        self._any_cache = store.has_rows("cache")
        self.stats = MemoryStats()
        self._plans: dict[tuple[str, str], Unit] = {}     # the one record per (text, language)
        self.use_human = True       # False: what the machine side alone would answer (XLIFF import)
        # What the committed outputs said (take_committed), per (source text, language).
        self._committed_human: dict[tuple[str, str], str] = {}
        self._offers: "dict[tuple[str, str], Reusable]" = {}
        self._hints: dict[tuple[str, str], TermPair] = {}

    @classmethod
    def open(cls, job: Job, *, engine: str = "", glossary: Glossary | None = None,
             tm: TranslationMemory | None = None) -> "MemoryLookup":
        """The job's memory for looking only (a run's plan, ``qmt estimate``, ``qmt check``)."""
        if glossary is None or tm is None:
            glossary, tm = load_glossary_and_tm(job)
        try:
            store = StateStore.read_only(job.state_dir / STATE_FILE, any_thread=True)
        except sqlite3.Error as exc:
            raise QmtError(f"cannot read the job's state store {job.state_dir / STATE_FILE}: {exc}") from None
        try:
            return cls(job, store, glossary=glossary, tm=tm, engine=engine)
        except BaseException:
            store.close()
            raise


    def close(self) -> None:
        self.store.close()

    def plan(self, text: str, lang: Language, origin: str) -> Unit:
        """The plan for ``text`` into ``lang`` (the same one for every file of the run)."""
        known = self._plans.get((text, lang.code))
        if known is None:
            known = self._plans[(text, lang.code)] = self._decide(text, lang, origin)
        return known

    def take_committed(self, segments: list[Segment], harvest: "dict[str, FileHarvest]") -> None:
        """What a file's committed outputs say (by language code): human translations
        (they answer that text in every file planned after), translations to reuse, and
        old human translations to send with a changed source."""
        text_of = {s.id: s.text for s in segments}
        for code, found in harvest.items():
            for sid, translation in found.human.items():
                self._committed_human[(text_of[sid], code)] = translation
            for sid, reusable in found.reuse.items():
                self._offers.setdefault((text_of[sid], code), reusable)
            for sid, old in found.replaced.items():
                if old.old_source is not None:
                    self._hints.setdefault((text_of[sid], code), TermPair(old.old_source, old.old_target))

    def fingerprint_of(self, text: str, lang: Language) -> str:
        """The settings digest of the plan made for ``text`` (lock files record it)."""
        plan = self._plans.get((text, lang.code))
        return plan.fingerprint if plan is not None else ""

    def known(self, text: str, lang: Language) -> Unit | None:
        """The plan already made for ``text`` into ``lang``, if any."""
        return self._plans.get((text, lang.code))

    def term_misses(self, text: str, lang: Language, outcome: Outcome) -> list[TermPair]:
        """The sent terms whose target is missing from the translation written."""
        plan = self._plans.get((text, lang.code))
        if plan is None or plan.source in (TM, HUMAN) or not plan.terms or outcome.status not in (TRANSLATED, REPAIRED):
            return []
        return missing_terms(plan.terms, outcome.text)

    def _decide(self, text: str, lang: Language, origin: str) -> Unit:
        job = self.job
        src = code_of(job.source_lang)
        if self.use_human and (reviewed := self._reviewed(text, src, lang)) is not None:
            self.stats.human_hits += 1
            return Unit(text, lang, origin=origin, source=HUMAN,
                        outcome=Outcome(reviewed, TRANSLATED, "reviewed translation", HUMAN_ENGINE))
        if not self.force and (hit := self.tm.exact(text, job.source_lang, lang)) is not None:
            return self._tm_hit(Unit(text, lang, origin=origin), hit, TM_FILE_ENGINE)
        terms = self.glossary.relevant(text, job.source_lang, lang)
        settings = _Settings(source_lang=src, target_lang=lang.code, model=job.model, terms=terms,
                             domains=job.domains, sampling=job.sampling)
        digest = fingerprint(**settings)
        if not self.force and (committed := self._committed(text, lang, digest)) is not None:
            self.stats.committed_hits += 1      # before the fuzzy TM search: it does not depend on it
            return Unit(text, lang, terms, origin=origin, fingerprint=digest, source=COMMITTED,
                        outcome=Outcome(committed.text, TRANSLATED, "from the committed output", committed.engine))
        tm_list = self._fuzzy.fuzzy(text, job.source_lang, lang, threshold=self.threshold, limit=self.max_entries)
        if (old := self._hints.get((text, lang.code))) is not None:  # always sent, first
            tm_list = (old, *(e for e in tm_list if e != old))[:max(self.max_entries, 1)]
        plan = Unit(text, lang, terms, tm_list, origin=origin, fingerprint=digest, norm=normalize(text),
                    cache_key=cache_key(text=text, tm_list=tm_list, **settings))
        if self.force:
            return plan
        if self.use_cache and self._any_cache and (cached := self.store.cached(plan.cache_key, self.engine)) is not None:
            self.stats.cache_hits += 1
            plan.source, plan.outcome = CACHE, Outcome(cached, TRANSLATED, "from the cache", self.engine)
            return plan
        if not self.use_cache or not self._tm_upto:  # earlier runs' translations are a cache too:
            return plan                                # "cache = false" skips them
        for stored_source, stored_target in self.store.tm_exact(plan.norm, src, lang.code, plan.fingerprint,
                                                                self.engine, self._tm_upto):
            # Only a source that differs in tag ids alone: one that differs in whitespace
            # (a soft line break) would get the other's line breaks written back.
            if same_but_tag_ids(stored_source, text) and \
                    (hit := fit_target(stored_source, stored_target, text)) is not None:
                return self._tm_hit(plan, hit, self.engine)
        return plan

    def _committed(self, text: str, lang: Language, digest: str) -> "Reusable | None":
        """The committed output's translation of ``text``, if this run may reuse it: made
        by the engine it expects, with the same settings (``cache = false``: never)."""
        offer = self._offers.get((text, lang.code)) if self.use_cache else None
        if offer is None or offer.engine != self.engine or len(offer.depends) < 8:
            return None
        return offer if digest.startswith(offer.depends) else None

    def _reviewed(self, text: str, src: str, lang: Language) -> str | None:
        """A human translation of ``text``: a committed output's, else an imported one."""
        committed = self._committed_human.get((text, lang.code))
        if committed is not None or not self._any_human:
            return committed
        return self.store.human(text, src, lang.code)

    def _tm_hit(self, plan: Unit, translation: str, engine: str) -> Unit:
        plan.source, plan.outcome = TM, Outcome(translation, TRANSLATED, "exact TM match", engine)
        plan.terms = plan.tm_list = ()
        self.stats.tm_hits += 1
        return plan


__all__ = ["MemoryLookup", "MemoryStats", "expected_engine", "load_glossary_and_tm"]
