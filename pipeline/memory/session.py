"""The job's memory outside a run: its translation memory exported as TMX.

A run's memory is split in two: :mod:`pipeline.memory.lookup` (read-only: what is
already answered, used by the plan) and :mod:`pipeline.ledger.journal` (what the run
records: ledger rows, cache entries, TM additions).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.ledger.journal import open_store
from pipeline.memory.lookup import MemoryStats
from pipeline.memory.sources import Entry, code_of
from pipeline.memory.tm import TranslationMemory, write_tmx
from pipeline.provenance import TM_FILE_ENGINE, is_real
from pipeline.ledger.usage import TM_HIT

if TYPE_CHECKING:
    from pipeline.config import Job

TERM_MISSING = "term_missing"   # report status of a translation lacking a sent term's target


@dataclass
class TmExport:
    """What ``qmt tm export`` wrote: language pairs written, and those left out by engine."""

    written: int
    left_out: dict[str, int]


def export_tm(job: Job, out: Path, *, include_emulated: bool = False) -> TmExport:
    """Write the job's TM (its TM file, every translation it made and every reviewed
    translation imported for it) as TMX 1.4, each translation marked with the engine that
    made it (``<prop type="x-qmt-engine">``; ``human`` for reviewed ones, which replace
    the machine translations of their segment).

    Only real translations (the Qwen service's, the TM file's, reviewed ones) unless ``include_emulated``:
    emulated ones and those of unknown origin (made before engines were recorded) are
    left out and counted."""
    entries: list[Entry] = []
    if job.tm_file:
        src = code_of(job.source_lang)
        targets = {lang.code for lang in job.target_langs}
        entries.extend(replace(e, engine=TM_FILE_ENGINE) for e in TranslationMemory.load(job.tm_file).entries
                       if e.target_lang in targets and (not src or e.source_lang in ("", src)))
    store = open_store(job)
    try:
        made = store.tm_entries()
        reviewed = store.human_entries()
    finally:
        store.close()
    overridden = {(e.source_lang, e.target_lang, e.source) for e in reviewed}
    entries = [e for e in entries if (e.source_lang, e.target_lang, e.source) not in overridden]
    made = [e for e in made if (e.source_lang, e.target_lang, e.source) not in overridden] + reviewed
    left_out: dict[str, int] = {}
    # Each unit's languages in the job's order, whatever order the answers arrived in.
    order = {lang.code: i for i, lang in enumerate(job.target_langs)}
    made.sort(key=lambda e: order.get(e.target_lang, len(order)))
    for entry in made:
        if include_emulated or is_real(entry.engine):
            entries.append(entry)
        else:
            left_out[entry.engine or "unknown"] = left_out.get(entry.engine or "unknown", 0) + 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(write_tmx(entries, code_of(job.source_lang)))
    return TmExport(len(entries), left_out)


__all__ = ["MemoryStats", "TERM_MISSING", "TM_HIT", "TmExport", "export_tm", "open_store"]
