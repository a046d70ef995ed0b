"""The usage ledger: one row per request, failed and retried ones included.

Parquet files cannot be appended to in place, so the ledger is a folder of Parquet
parts (``<state dir>/ledger/part-<run id>-<n>.parquet``) that polars reads as one table
with a glob. Rows are buffered and flushed as a new part every ``FLUSH_ROWS`` rows or
``FLUSH_SECONDS`` seconds and at the end of a run; each part is written to a temporary
name and renamed, so a killed run leaves only whole parts behind.

No row holds a secret: the columns are fixed below and carry no request bodies or headers.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

SCHEMA: dict[str, pl.DataType] = {
    "time": pl.Datetime("us", "UTC"),
    "job": pl.String,
    "run_id": pl.String,
    "file": pl.String,
    "target_lang": pl.String,
    "model": pl.String,
    "region": pl.String,
    "request_id": pl.String,
    "prompt_tokens": pl.Int64,
    "completion_tokens": pl.Int64,
    "status": pl.String,
    "latency_s": pl.Float64,
    "attempt": pl.Int32,
}
FLUSH_ROWS = 200
FLUSH_SECONDS = 5.0


@dataclass
class Ledger:
    directory: Path
    job: str
    run_id: str
    region: str
    _rows: list[dict] = field(default_factory=list)
    _parts: int = 0
    _last_flush: float = field(default_factory=time.monotonic)

    def record(self, *, file: str, target_lang: str, model: str, request_id: str | None,
               prompt_tokens: int, completion_tokens: int, status: str, latency_s: float,
               attempt: int) -> None:
        self._rows.append({
            "time": datetime.now(timezone.utc), "job": self.job, "run_id": self.run_id,
            "file": file, "target_lang": target_lang, "model": model, "region": self.region,
            "request_id": request_id, "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens, "status": status,
            "latency_s": round(latency_s, 4), "attempt": attempt,
        })
        if len(self._rows) >= FLUSH_ROWS or time.monotonic() - self._last_flush > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._rows:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        frame = pl.DataFrame(self._rows, schema=SCHEMA, orient="row")
        self._parts += 1
        final = self.directory / f"part-{self.run_id}-{self._parts:05d}.parquet"
        tmp = final.with_suffix(".parquet.tmp")
        frame.write_parquet(tmp)
        os.replace(tmp, final)
        self._rows.clear()


def read_ledger(directory: Path) -> pl.DataFrame:
    """Every row of the ledger in ``directory`` (empty frame when there is none)."""
    parts = sorted(directory.glob("part-*.parquet")) if directory.is_dir() else []
    if not parts:
        return pl.DataFrame(schema=SCHEMA)
    return pl.read_parquet(parts)
