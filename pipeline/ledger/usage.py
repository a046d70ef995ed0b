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
from pathlib import Path
from typing import Iterable, Mapping

import polars as pl

from pipeline.provenance import EMULATOR_PREFIX

SCHEMA: dict[str, pl.DataType] = {
    "time": pl.Datetime("us", "UTC"),
    "job": pl.String(),
    "run_id": pl.String(),
    "file": pl.String(),
    "target_lang": pl.String(),
    "model": pl.String(),
    "region": pl.String(),
    "request_id": pl.String(),
    "prompt_tokens": pl.Int64(),
    "completion_tokens": pl.Int64(),
    "status": pl.String(),
    "latency_s": pl.Float64(),
    "attempt": pl.Int32(),
    "share": pl.Float64(),
    "segments": pl.Int32(),
    "engine": pl.String(),        # who answered (pipeline.provenance); "" in rows of older runs
    "estimated": pl.Boolean(),    # completion tokens are qmt's estimate (the usage never arrived)
    "audio_tokens": pl.Int64(),       # of prompt_tokens: audio sent (media pieces; 0 for text)
    "video_tokens": pl.Int64(),       # of prompt_tokens: visual tokens (media with video context)
}
# Columns added after the first release: what parts written before them read as.
ADDED_COLUMNS = {"estimated": False, "audio_tokens": 0, "video_tokens": 0}
OK = "ok"
TM_HIT = "tm_hit"
OUTCOME_UNKNOWN = "outcome_unknown"


def write_part(directory: Path, name: str, rows: Iterable[Mapping[str, object]]) -> Path:
    """Write ``rows`` as one Parquet part, atomically (temporary name, then rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"part-{name}.parquet"
    tmp = final.with_suffix(".parquet.tmp")
    try:
        pl.DataFrame(list(rows), schema=SCHEMA, orient="row").write_parquet(tmp)
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
    parts = sorted(directory.glob("part-*.parquet")) if directory.is_dir() else []
    if not parts:
        return pl.DataFrame(schema=SCHEMA)
    # Parts written before a column existed lack it: it reads as its default.
    frames = [_with_defaults(pl.read_parquet(p)) for p in parts]
    return pl.concat(frames, how="diagonal_relaxed").select(list(SCHEMA))


def _with_defaults(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [pl.lit(ADDED_COLUMNS.get(c, "" if SCHEMA[c] == pl.String else None), dtype=SCHEMA[c]).alias(c)
               for c in SCHEMA if c not in frame.columns]
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
