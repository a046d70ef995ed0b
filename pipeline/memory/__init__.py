"""What qmt already knows: glossary terms, translation memory and what earlier runs answered.

* :mod:`~pipeline.memory.terms` — :class:`Glossary` (CSV, TBX): the terms that occur in a segment;
* :mod:`~pipeline.memory.tm` — :class:`TranslationMemory` (TMX 1.4, CSV): exact and fuzzy matches, TMX export;
* :mod:`~pipeline.memory.lookup` — :class:`MemoryLookup`: what is already answered (read-only; the plan asks it);
* :mod:`~pipeline.memory.session` — the TM export (``qmt tm export``);
* :mod:`~pipeline.memory.options` — the job file's memory keys (``tm_fuzzy_threshold``, ``tm_max_entries``).

The job's SQLite state (cache, TM additions, ledger) and the journal that writes it are
:mod:`pipeline.ledger`.

The package imports none of them on import: the job loader reads its options without
loading the TM readers or the state store.
"""
