"""The usage ledger: one row per request and file, failed and retried requests included.

Rows are journalled in the job's SQLite state store at the moment a response arrives
(:mod:`pipeline.ledger.store`), in the same transaction as the translations they paid
for, and exported from there as Parquet parts (``<state dir>/ledger/part-*.parquet``)
that polars reads as one table. A part is written to a temporary name and renamed, so
a killed run leaves only whole parts, and the journal knows which rows were exported.

A packed request that carried segments of several files has one row per file: its
tokens are split by the source tokens each file put in, and ``share`` is that file's
fraction of the request, so requests add up to ``sum(share)`` and per-file cost stays
right. A segment answered by an exact translation-memory match has a ``tm_hit`` row
with zero tokens and zero share. No row holds a secret: the columns are fixed below.

Ledger equals bill: every request is journaled (status ``pending``) before it is sent.
When its answer is lost on the way after the service started answering (a body or a
stream cut short), the row keeps the prompt tokens and the output received, or the
expected output, with ``estimated`` set. A request still pending when its run ended
(killed, or stopped mid-request) becomes ``outcome_unknown`` on the next start, with
the same estimates: it may have been billed, and it is never silently dropped.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from pipeline.provenance import EMULATOR_PREFIX

if TYPE_CHECKING:   # polars loads when a ledger is written or read, not with the journal that feeds it
    import polars as pl

# The ledger's columns and their types, as polars' type names and arguments: the state
# store (:mod:`pipeline.ledger.store`) journals rows by these names without loading
# polars; :func:`schema` makes the types when a part is written or the ledger read.
_COLUMN_TYPES: dict[str, tuple[str, ...]] = {
    "time": ("Datetime", "us", "UTC"),
    "job": ("String",),
    "run_id": ("String",),
    "file": ("String",),
    "target_lang": ("String",),
    "model": ("String",),
    "region": ("String",),
    "request_id": ("String",),
    "prompt_tokens": ("Int64",),
    "completion_tokens": ("Int64",),
    "status": ("String",),
    "latency_s": ("Float64",),
    "attempt": ("Int32",),
    "share": ("Float64",),
    "segments": ("Int32",),
    "engine": ("String",),        # who answered (pipeline.provenance); "" in rows of older runs
    "estimated": ("Boolean",),    # completion tokens are qmt's estimate (the usage never arrived)
    "audio_tokens": ("Int64",),       # of prompt_tokens: audio sent (media pieces; 0 for text)
    "video_tokens": ("Int64",),       # of prompt_tokens: visual tokens (media with video context)
}
COLUMNS: tuple[str, ...] = tuple(_COLUMN_TYPES)
# Columns added after the first release: what parts written before them read as.
ADDED_COLUMNS = {"estimated": False, "audio_tokens": 0, "video_tokens": 0}
OK = "ok"
TM_HIT = "tm_hit"
OUTCOME_UNKNOWN = "outcome_unknown"


@lru_cache(maxsize=1)
def schema() -> dict[str, pl.DataType]:
    """The ledger's polars schema: column -> type, in :data:`COLUMNS` order."""
    import polars as pl

    return {name: getattr(pl, kind)(*args) for name, (kind, *args) in _COLUMN_TYPES.items()}


def write_part(directory: Path, name: str, rows: Iterable[Mapping[str, object]]) -> Path:
    """Write ``rows`` as one Parquet part, atomically (temporary name, then rename)."""
    import polars as pl

    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"part-{name}.parquet"
    tmp = final.with_suffix(".parquet.tmp")
    try:
        pl.DataFrame(list(rows), schema=schema(), orient="row").write_parquet(tmp)
        os.replace(tmp, final)
    except Exception as exc:  # disk full, read-only, quota: polars raises its own errors too
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise
        raise OSError(f"cannot write {final}: {exc}".splitlines()[0]) from None
    return final


def read_ledger(directory: Path) -> pl.DataFrame:
    """Every row of the ledger in ``directory`` (empty frame when there is none)."""
    import polars as pl

    parts = sorted(directory.glob("part-*.parquet")) if directory.is_dir() else []
    if not parts:
        return pl.DataFrame(schema=schema())
    # Parts written before a column existed lack it: it reads as its default.
    frames = [_with_defaults(pl.read_parquet(p)) for p in parts]
    return pl.concat(frames, how="diagonal_relaxed").select(list(COLUMNS))


def _with_defaults(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    types = schema()
    missing = [pl.lit(ADDED_COLUMNS.get(c, "" if types[c] == pl.String else None), dtype=types[c]).alias(c)
               for c in COLUMNS if c not in frame.columns]
    return frame.with_columns(missing) if missing else frame


def emulated_rows(ledger: pl.DataFrame) -> pl.Series:
    """Which rows the emulator answered: never spending (``qmt usage`` keeps them apart)."""
    return ledger["engine"].fill_null("").str.starts_with(EMULATOR_PREFIX)


def split_tokens(total: int, shares: list[float]) -> list[int]:
    """``total`` split by ``shares`` into whole tokens that add up to ``total`` exactly."""
    raw = [total * s for s in shares]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts
