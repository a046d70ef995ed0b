"""The memory's settings in a job file: how close a fuzzy TM match must be, how many go along.

``tm_fuzzy_threshold`` and ``tm_max_entries`` are top-level keys of a job file (beside
``tm`` and ``terms``); their defaults and their rules live here, once, and
:mod:`pipeline.config` applies them when it reads a job. A leaf module: the job loader
imports it without loading the memory itself (TMX readers, the state store).
"""
from __future__ import annotations

from pipeline.errors import ConfigError

TM_FUZZY_THRESHOLD = 75.0   # fuzzy TM matches scoring at least this (0-100, a rapidfuzz ratio) go as tm_list
TM_MAX_ENTRIES = 3          # at most this many tm_list entries per request (0: none)


def check_memory(fuzzy_threshold: float, max_entries: int, source: str) -> None:
    """The memory keys' ranges: a ConfigError naming the file and the key."""
    if not 1 <= fuzzy_threshold <= 100:
        raise ConfigError("must be between 1 and 100 (a rapidfuzz ratio score)", source=source,
                          key="tm_fuzzy_threshold")
    if not 0 <= max_entries <= 10:
        raise ConfigError("must be between 0 and 10", source=source, key="tm_max_entries")
