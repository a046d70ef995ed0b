"""What qmt already knows: glossary terms, translation memory and what earlier runs answered.

* :mod:`~pipeline.memory.terms` — :class:`Glossary` (CSV, TBX): the terms that occur in a segment;
* :mod:`~pipeline.memory.tm` — :class:`TranslationMemory` (TMX 1.4, CSV): exact and fuzzy matches, TMX export;
* :mod:`~pipeline.memory.lookup` — :class:`MemoryLookup`: what is already answered (read-only; the plan asks it);
* :mod:`~pipeline.memory.session` — the TM export (``qmt tm export``).

The job's SQLite state (cache, TM additions, ledger) and the journal that writes it are
:mod:`pipeline.ledger`.
"""
from pipeline.memory.lookup import MemoryLookup
from pipeline.memory.session import TERM_MISSING, TM_HIT, export_tm
from pipeline.memory.terms import Glossary
from pipeline.memory.tm import TranslationMemory

__all__ = ["Glossary", "MemoryLookup", "TERM_MISSING", "TM_HIT", "TranslationMemory", "export_tm"]
