"""What qmt already knows: glossary terms, translation memory, the cache, the ledger journal.

* :mod:`~pipeline.memory.terms` — :class:`Glossary` (CSV, TBX): the terms that occur in a segment;
* :mod:`~pipeline.memory.tm` — :class:`TranslationMemory` (TMX 1.4, CSV): exact and fuzzy matches, TMX export;
* :mod:`~pipeline.memory.store` — :class:`StateStore`: the job's SQLite file (cache, TM additions, ledger journal);
* :mod:`~pipeline.memory.lookup` — :class:`MemoryLookup`: what is already answered (read-only; the plan asks it);
* :mod:`~pipeline.memory.journal` — :class:`Journal`: what a run records (ledger rows, cache entries, TM additions);
* :mod:`~pipeline.memory.session` — the TM export (``qmt tm export``).
"""
from pipeline.memory.journal import Journal
from pipeline.memory.lookup import MemoryLookup
from pipeline.memory.session import TERM_MISSING, TM_HIT, export_tm
from pipeline.memory.store import StateStore, cache_key
from pipeline.memory.terms import Glossary
from pipeline.memory.tm import TranslationMemory

__all__ = ["Glossary", "Journal", "MemoryLookup", "StateStore", "TERM_MISSING", "TM_HIT", "TranslationMemory",
           "cache_key", "export_tm"]
