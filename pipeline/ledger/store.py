"""The job's state store: one SQLite file in WAL mode beside the ledger.

``<output root>/.qmt/<job>/state.sqlite`` holds what must survive a killed run:

* ``cache``: finished translations keyed by :func:`cache_key` (a sha256 of everything
  that changes the result). Only clean translations go in; repaired, fallback and
  failed results never do.
* ``tm``: the job's translation memory additions, each with the :func:`fingerprint` of
  the settings it was made with (everything but the ``tm_list``), so an exact match
  from the job's own memory is reused only while those settings hold.
* ``human``: reviewed translations imported from XLIFF (``qmt xliff import``), one per
  (languages, source segment); they outrank every machine translation and are never
  sent again (:mod:`pipeline.review.xliff`).
* ``lock_pending``: lock-file entries of outputs about to be renamed into place, journaled
  before the rename and folded into the committed lock file at the end of the run (or,
  after a kill, at the start of the next): see :mod:`pipeline.repository.book`.
* ``ledger``: a journal of every request, written when its response arrives, in the
  same transaction as the cache entry it paid for. Parquet parts are exported from it
  (:meth:`StateStore.export_ledger`); a part's name carries the row-id range it holds,
  so an export cut short by a kill is recognised, never repeated, on the next start.

WAL with ``synchronous=NORMAL``: a commit survives the process being killed (SIGKILL
included); only an OS crash can lose the last transactions, which at worst costs a
repeated request. The API key is never stored: no table has a column for it.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from pipeline.provenance import HUMAN_ENGINE
from pipeline.translate.backend import Sampling, TermPair
from pipeline.translate.units import PENDING
from pipeline.ledger.usage import COLUMNS, OUTCOME_UNKNOWN, write_part

# Bump when what we send for the same inputs changes (prompt shape, option names ...):
# every cache key changes with it, so old answers are not served for a new request.
REQUEST_FORMAT_VERSION = 1
SCHEMA_VERSION = 2
STATE_FILE = "state.sqlite"
_PART_RE = re.compile(r"part-journal-(\d+)-(\d+)\.parquet$")

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cache (
    key TEXT NOT NULL, translation TEXT NOT NULL, created REAL NOT NULL, engine TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (key, engine));
CREATE TABLE IF NOT EXISTS tm (
    id INTEGER PRIMARY KEY, source_lang TEXT NOT NULL, target_lang TEXT NOT NULL,
    norm TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
    fingerprint TEXT NOT NULL, created REAL NOT NULL, engine TEXT NOT NULL DEFAULT '',
    UNIQUE (source_lang, target_lang, norm, fingerprint, engine) ON CONFLICT REPLACE);
CREATE INDEX IF NOT EXISTS tm_norm ON tm (norm);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, job TEXT, run_id TEXT, file TEXT,
    target_lang TEXT, model TEXT, region TEXT, request_id TEXT, prompt_tokens INTEGER,
    completion_tokens INTEGER, status TEXT, latency_s REAL, attempt INTEGER,
    share REAL, segments INTEGER,
    exported INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS ledger_pending ON ledger (exported, id);
CREATE TABLE IF NOT EXISTS media_cache (
    key TEXT PRIMARY KEY, translation TEXT NOT NULL, speech BLOB, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS lock_pending (
    label TEXT NOT NULL, relpath TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (label, relpath));
CREATE TABLE IF NOT EXISTS human (
    source_lang TEXT NOT NULL, target_lang TEXT NOT NULL, source TEXT NOT NULL,
    target TEXT NOT NULL, origin TEXT NOT NULL DEFAULT '', created REAL NOT NULL,
    PRIMARY KEY (source_lang, target_lang, source));
"""
# Older state files get the engine column on open, with a default that reads as
# "unknown" ("" engine: never reused, never exported). Cache and TM rows of different
# engines live side by side (it is part of their unique key), so those two tables are
# rebuilt; the ledger just gains the column. The journal's ``estimated`` (completion
# tokens are an estimate) and ``attempt_key`` (a request's pending row, journaled before
# it was sent) are added the same way; their defaults keep old rows valid.
_REBUILT = ("cache", "tm")
_ADDED_COLUMNS = (("ledger", "engine", "TEXT NOT NULL DEFAULT ''"),
                  ("ledger", "estimated", "INTEGER NOT NULL DEFAULT 0"), ("ledger", "attempt_key", "TEXT"),
                  ("ledger", "audio_tokens", "INTEGER NOT NULL DEFAULT 0"),    # media requests
                  ("ledger", "video_tokens", "INTEGER NOT NULL DEFAULT 0"))
ENGINE_META = "engine:"         # meta key prefix: the engine that last answered at an endpoint


@dataclass(frozen=True, slots=True)
class Entry:
    """One (source, target) pair, optionally bound to a language pair (codes; "" = any): a TM
    or glossary file's entry (:mod:`pipeline.memory.sources`), or a translation the store holds."""

    source: str
    target: str
    source_lang: str = ""
    target_lang: str = ""
    engine: str = ""            # who made it (pipeline.provenance); "" for a TM file's entries


def _digest(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fingerprint(*, source_lang: str, target_lang: str, model: str, terms: Iterable[TermPair],
                domains: str, sampling: Sampling) -> str:
    """Everything that shapes a translation except the segment and its ``tm_list``."""
    return _fingerprint(source_lang, target_lang, model, tuple(terms), domains, sampling)


@lru_cache(maxsize=4096)  # a run asks it per segment, with few distinct settings
def _fingerprint(source_lang: str, target_lang: str, model: str, terms: tuple[TermPair, ...],
                 domains: str, sampling: Sampling) -> str:
    return _digest({
        "v": REQUEST_FORMAT_VERSION, "source_lang": source_lang or "auto", "target_lang": target_lang,
        "model": model, "terms": [[t.source, t.target] for t in terms], "domains": domains or "",
        "sampling": asdict(sampling),
    })


def cache_key(*, text: str, source_lang: str, target_lang: str, model: str, terms: Iterable[TermPair],
              tm_list: Iterable[TermPair], domains: str, sampling: Sampling) -> str:
    """The cache key: the segment (tags included) and everything sent with it."""
    return _digest({
        "text": text, "tm_list": [[t.source, t.target] for t in tm_list],
        "settings": fingerprint(source_lang=source_lang, target_lang=target_lang, model=model,
                                terms=terms, domains=domains, sampling=sampling),
    })


def media_key(identity: str, engine: str) -> str:
    """A media piece's cache key: its identity (a JSON object of everything sent with it,
    :func:`pipeline.media.run.piece_identity`) bound to the engine that answered, so an
    emulated answer never serves a run against the service."""
    payload = json.loads(identity) | {"engine": engine}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class StateStore:
    """The SQLite state of one job. Single-threaded use (the run's event loop)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)  # explicit transactions below
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._engine_column = {"cache": True, "tm": True}
        _upgrade(self._db)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    @classmethod
    def read_only(cls, path: Path, *, any_thread: bool = False) -> "StateStore":
        """The store as it is, for looking only (``qmt estimate``, a run's planning): never
        creates or writes a file; a job that never ran gets an empty store in memory.
        ``any_thread``: used from a thread other than the one that opened it (one at a time)."""
        store = cls.__new__(cls)
        store.path = path
        if path.exists():
            store._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                        check_same_thread=not any_thread)
        else:
            store._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=not any_thread)
            store._db.executescript(_DDL)
        store._engine_column = {t: _has_column(store._db, t, "engine") for t in ("cache", "tm")}
        return store

    @property
    def journal_mode(self) -> str:
        mode: str = self._db.execute("PRAGMA journal_mode").fetchone()[0]
        return mode

    def close(self) -> None:
        self._db.close()

    # --- reads ---------------------------------------------------------------------------

    def cached(self, key: str, engine: str) -> str | None:
        """The cached translation for ``key`` made by ``engine`` (never another engine's)."""
        if not self._engine_column.get("cache", True):  # a read-only pre-provenance file
            return None
        row = self._db.execute("SELECT translation FROM cache WHERE key = ? AND engine = ? AND engine != ''",
                               (key, engine)).fetchone()
        return row[0] if row else None

    def has_rows(self, table: str) -> bool:
        """Whether ``table`` ("cache", "tm" or "human") holds any row (False for a table an
        old read-only file lacks): a plan skips the lookups that cannot answer."""
        if table not in ("cache", "tm", "human"):
            raise ValueError(table)
        try:
            return self._db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
        except sqlite3.OperationalError:
            return False

    def media_cached(self, key: str) -> tuple[str, bytes] | None:
        """A media piece's stored translation and speech (empty without dubbing)."""
        try:
            row = self._db.execute("SELECT translation, speech FROM media_cache WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:  # a store from before media (read-only: not upgraded)
            return None
        return (row[0], bytes(row[1] or b"")) if row else None

    def tm_exact(self, norm: str, source_lang: str, target_lang: str, fp: str, engine: str,
                 upto: int | None = None) -> list[tuple[str, str]]:
        """Stored (source, target) pairs for ``norm`` by ``engine``; only rows up to id
        ``upto`` when given (a run reads what earlier runs stored, never its own rows, so
        where an answer comes from does not depend on the order answers arrive in)."""
        if not self._engine_column.get("tm", True):
            return []
        return self._db.execute(
            "SELECT source, target FROM tm WHERE norm = ? AND source_lang = ? AND target_lang = ? "
            "AND fingerprint = ? AND engine = ? AND engine != '' AND id <= ? ORDER BY id DESC",
            (norm, source_lang, target_lang, fp, engine, upto if upto is not None else 2**63 - 1)).fetchall()

    def last_tm_id(self) -> int:
        last: int = self._db.execute("SELECT coalesce(max(id), 0) FROM tm").fetchone()[0]
        return last

    def tm_entries(self, engine: str | None = None) -> list[Entry]:
        """The job's additions, newest translation per (languages, source, target) once;
        only ``engine``'s when given (a run's fuzzy matches never come from another engine)."""
        if not self._engine_column.get("tm", True):
            return []
        where, args = ("WHERE engine = ? AND engine != '' ", (engine,)) if engine is not None else ("", ())
        rows = self._db.execute(
            "SELECT source, target, source_lang, target_lang, max(engine) FROM tm " + where +
            "GROUP BY source_lang, target_lang, source, target ORDER BY max(id)", args).fetchall()
        return [Entry(*row) for row in rows]

    def human(self, source: str, source_lang: str, target_lang: str) -> str | None:
        """The reviewed translation of ``source`` (tags included), if one was imported."""
        try:
            row = self._db.execute("SELECT target FROM human WHERE source = ? AND source_lang = ? AND "
                                   "target_lang = ?", (source, source_lang, target_lang)).fetchone()
        except sqlite3.OperationalError:  # a read-only state file from before the table existed
            return None
        return row[0] if row else None

    def human_entries(self) -> list[Entry]:
        """Every reviewed translation, oldest first."""
        try:
            rows = self._db.execute("SELECT source, target, source_lang, target_lang FROM human "
                                    "ORDER BY created, source").fetchall()
        except sqlite3.OperationalError:
            return []
        return [Entry(source, target, source_lang, target_lang, engine=HUMAN_ENGINE)
                for source, target, source_lang, target_lang in rows]

    def lock_pending(self) -> list[tuple[str, str, str]]:
        """Journaled lock entries not yet folded into the lock files: (label, relpath, record)."""
        try:
            return self._db.execute("SELECT label, relpath, record FROM lock_pending ORDER BY label, relpath"
                                    ).fetchall()
        except sqlite3.OperationalError:  # a read-only state file from before the table existed
            return []

    def learned_engine(self, base_url: str) -> str | None:
        """The engine that last answered at ``base_url`` (None: never seen)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (ENGINE_META + base_url,)).fetchone()
        return row[0] if row else None

    def ledger_rows(self) -> int:
        count: int = self._db.execute("SELECT count(*) FROM ledger").fetchone()[0]
        return count

    # --- writes --------------------------------------------------------------------------

    def commit(self, *, ledger: Iterable[dict[str, Any]] = (), cache: Iterable[tuple[str, str, str]] = (),
               tm: Iterable[tuple[str, str, str, str, str, str, str]] = (),
               engines: Iterable[tuple[str, str]] = (), media: Iterable[tuple[str, str, bytes]] = ()) -> None:
        """One transaction: journal rows, cache entries (key, translation, engine), TM
        additions (source_lang, target_lang, norm, source, target, fingerprint, engine),
        the engines that answered (base_url, engine; see :meth:`learned_engine`) and media
        pieces (key, translation, speech; the key names the engine that answered)."""
        now = time.time()
        ledger = list(ledger)
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                 [(ENGINE_META + url, engine) for url, engine in engines])
            # A request's final rows replace the pending rows journaled before it was sent.
            self._db.executemany("DELETE FROM ledger WHERE attempt_key = ? AND status = ?",
                                 {(row["attempt_key"], PENDING) for row in ledger if row.get("attempt_key")})
            self._insert_ledger(ledger)
            self._db.executemany("INSERT OR REPLACE INTO cache (key, translation, engine, created) "
                                 "VALUES (?, ?, ?, ?)", [(*c, now) for c in cache])
            self._db.executemany("INSERT INTO tm (source_lang, target_lang, norm, source, target, fingerprint, "
                                 "engine, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(*t, now) for t in tm])
            self._db.executemany("INSERT OR REPLACE INTO media_cache VALUES (?, ?, ?, ?)",
                                 [(*m, now) for m in media])

    def journal_pending(self, rows: Iterable[dict[str, Any]]) -> None:
        """Journal a request before it is sent (status ``pending``, estimated tokens), in a
        transaction of its own: committed before the request leaves, or the request is not sent."""
        with self._transaction():
            self._insert_ledger(list(rows))

    def _insert_ledger(self, rows: list[dict[str, Any]]) -> None:
        columns = (*COLUMNS, "attempt_key")
        self._db.executemany(
            f"INSERT INTO ledger ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [tuple(row.get(c) for c in columns) for row in rows])

    def reconcile_pending(self, *, run_id: str | None = None) -> int:
        """Requests journaled but never settled (the run was killed, or stopped while they
        were in flight) become ``outcome_unknown``: they may have been billed, so they keep
        their prompt tokens and estimated completion. Only ``run_id``'s rows when given."""
        where = "status = ?" + (" AND run_id = ?" if run_id else "")
        args = (PENDING, run_id) if run_id else (PENDING,)
        with self._transaction():
            cur = self._db.execute(f"UPDATE ledger SET status = ?, estimated = 1 WHERE {where}",
                                   (OUTCOME_UNKNOWN, *args))
        return cur.rowcount

    def store_human(self, rows: Iterable[tuple[str, str, str, str, str]]) -> int:
        """Store reviewed translations (source_lang, target_lang, source, target, origin) in
        one transaction; the number that are new or changed (an identical one is a no-op)."""
        now, changed = time.time(), 0
        with self._transaction():
            for source_lang, target_lang, source, target, origin in rows:
                if self.human(source, source_lang, target_lang) == target:
                    continue
                self._db.execute("INSERT OR REPLACE INTO human VALUES (?, ?, ?, ?, ?, ?)",
                                 (source_lang, target_lang, source, target, origin, now))
                changed += 1
        return changed

    def journal_lock(self, records: Iterable[tuple[str, str, str]]) -> None:
        """Journal a file's lock entries (label, relpath, record) before its outputs are renamed."""
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO lock_pending VALUES (?, ?, ?)", list(records))

    def clear_lock_pending(self) -> None:
        """The lock files now hold every journaled entry."""
        with self._transaction():
            self._db.execute("DELETE FROM lock_pending")

    def forget(self, key: str, norm: str, source_lang: str, target_lang: str, fp: str) -> None:
        """Drop a translation that turned out unusable after it was stored (the format
        could not write it back), so no later run reuses it."""
        with self._transaction():
            self._db.execute("DELETE FROM cache WHERE key = ?", (key,))
            self._db.execute("DELETE FROM tm WHERE norm = ? AND source_lang = ? AND target_lang = ? "
                             "AND fingerprint = ?", (norm, source_lang, target_lang, fp))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # --- the Parquet ledger ---------------------------------------------------------------

    def recover_exports(self, directory: Path) -> None:
        """Mark rows whose part was written before a kill cut the export short."""
        if not directory.is_dir():
            return
        for part in directory.glob("part-journal-*.parquet"):
            m = _PART_RE.match(part.name)
            if m:
                self._db.execute("UPDATE ledger SET exported = 1 WHERE exported = 0 AND id BETWEEN ? AND ?",
                                 (int(m.group(1)), int(m.group(2))))

    def export_ledger(self, directory: Path) -> int:
        """Write rows not yet exported as one Parquet part; the number of rows written."""
        # Rows up to the first pending one: a part's id range must never hold a row whose
        # final form is still to come (recover_exports marks whole ranges as exported).
        first_pending = self._db.execute("SELECT min(id) FROM ledger WHERE status = ?", (PENDING,)).fetchone()[0]
        rows = self._db.execute(
            f"SELECT id, {', '.join(COLUMNS)} FROM ledger WHERE exported = 0 AND id < ? ORDER BY id",
            (first_pending if first_pending is not None else 2 ** 62,)).fetchall()
        if not rows:
            return 0
        first, last = rows[0][0], rows[-1][0]
        records = [dict(zip(COLUMNS, r[1:])) for r in rows]
        for rec in records:
            rec["time"] = datetime.fromisoformat(rec["time"])
            rec["estimated"] = bool(rec["estimated"])
        write_part(directory, f"journal-{first:012d}-{last:012d}", records)
        self._db.execute("UPDATE ledger SET exported = 1 WHERE exported = 0 AND id BETWEEN ? AND ?", (first, last))
        return len(rows)


class _Transaction:
    """``BEGIN IMMEDIATE`` on entry; ``COMMIT`` on exit, or ``ROLLBACK`` when the block raised
    (the exception goes on)."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _has_column(db: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})"))


def _table_exists(db: sqlite3.Connection, table: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


def _upgrade(db: sqlite3.Connection) -> None:
    """Create the tables, bringing an older state file up to date (idempotent: a copy
    cut short by a kill is finished on the next open)."""
    for table in _REBUILT:
        if _table_exists(db, table) and not _has_column(db, table, "engine"):
            db.execute(f"ALTER TABLE {table} RENAME TO {table}_old")
            if table == "tm":
                db.execute("DROP INDEX IF EXISTS tm_norm")  # it followed the old table; made anew below
    db.executescript(_DDL)
    for table in _REBUILT:
        if _table_exists(db, f"{table}_old"):
            cols = ", ".join(r[1] for r in db.execute(f"PRAGMA table_info({table}_old)"))
            db.execute("BEGIN IMMEDIATE")
            db.execute(f"INSERT OR IGNORE INTO {table} ({cols}) SELECT {cols} FROM {table}_old")
            db.execute(f"DROP TABLE {table}_old")
            db.execute("COMMIT")
    for table, column, decl in _ADDED_COLUMNS:
        if not _has_column(db, table, column):
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


def ledger_row(*, job: str, run_id: str, region: str, file: str, target_lang: str, model: str,
               request_id: str | None, prompt_tokens: int, completion_tokens: int, status: str,
               latency_s: float, attempt: int, share: float = 1.0, segments: int = 1,
               engine: str = "", estimated: bool = False, attempt_key: str | None = None,
               audio_tokens: int = 0, video_tokens: int = 0) -> dict[str, Any]:
    """A journal row with the ledger's columns (see :data:`pipeline.ledger.usage.COLUMNS`);
    ``attempt_key`` ties a request's final rows to the pending rows journaled before it."""
    return {"time": datetime.now(timezone.utc).isoformat(), "job": job, "run_id": run_id, "file": file,
            "target_lang": target_lang, "model": model, "region": region, "request_id": request_id,
            "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "status": status,
            "latency_s": round(latency_s, 4), "attempt": attempt, "share": share, "segments": segments,
            "engine": engine, "estimated": int(estimated), "attempt_key": attempt_key,
            "audio_tokens": audio_tokens, "video_tokens": video_tokens}
